// SPDX-License-Identifier: MIT
/* The image loader: a valid ELF, a flat image, and malformed ELFs that
 * must be refused before anything is written to RAM. */
#include <elf.h>
#include <string.h>

#include "check_run.h"
#include "loader.h"
#include "machine.h"

#define RAM_SIZE (2u << 20)
#define RESERVED (VM_RAM_BASE + VM_DTB_MAX)

static struct guest_ram ram;
static char err[256];

/* An ELF with two PT_LOADs: text with data, and 0x100 bytes of .bss after
 * 0x10 bytes of data. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t text[16];
	uint8_t data[16];
} __attribute__((packed));

static struct image img;

static void make_image(void)
{
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_ident[EI_VERSION] = EV_CURRENT;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = EM_AARCH64;
	img.eh.e_version = EV_CURRENT;
	img.eh.e_entry = VM_FLAT_LOAD_ADDR + 4;
	img.eh.e_phoff = offsetof(struct image, ph);
	img.eh.e_ehsize = sizeof(Elf64_Ehdr);
	img.eh.e_phentsize = sizeof(Elf64_Phdr);
	img.eh.e_phnum = 2;
	img.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
				  .p_flags = PF_R | PF_X,
				  .p_offset = offsetof(struct image, text),
				  .p_vaddr = VM_FLAT_LOAD_ADDR,
				  .p_paddr = VM_FLAT_LOAD_ADDR,
				  .p_filesz = 16,
				  .p_memsz = 16 };
	img.ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
				  .p_flags = PF_R | PF_W,
				  .p_offset = offsetof(struct image, data),
				  .p_vaddr = VM_FLAT_LOAD_ADDR + 0x1000,
				  .p_paddr = VM_FLAT_LOAD_ADDR + 0x1000,
				  .p_filesz = 16,
				  .p_memsz = 0x100 };
	memset(img.text, 0xaa, sizeof(img.text));
	memset(img.data, 0xbb, sizeof(img.data));
}

static void setup(void)
{
	ck_assert_int_eq(guest_ram_create(&ram, VM_RAM_BASE, RAM_SIZE), 0);
	/* Garbage everywhere, so zeroing and untouched bytes are visible. */
	memset(ram.host, 0x5a, RAM_SIZE);
	make_image();
	err[0] = '\0';
}

static void teardown(void)
{
	guest_ram_destroy(&ram);
}

static uint8_t *at(uint64_t gpa)
{
	return ram.host + (gpa - VM_RAM_BASE);
}

static bool ram_untouched(void)
{
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (ram.host[i] != 0x5a)
			return false;
	return true;
}

/* The image must be refused with a reason and RAM left alone. */
static void refused(const void *buf, size_t len, const char *why_part)
{
	struct load_result r;

	ck_assert_int_eq(load_image(buf, len, &ram, RESERVED, &r, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, why_part), "reason '%s' lacks '%s'", err, why_part);
	ck_assert(ram_untouched());
}

START_TEST(valid_elf)
{
	struct load_result r;

	ck_assert_int_eq(
		load_image((void *)&img, sizeof(img), &ram, RESERVED, &r, err, sizeof(err)), 0);
	ck_assert(r.elf);
	ck_assert_uint_eq(r.entry, VM_FLAT_LOAD_ADDR + 4);
	ck_assert_uint_eq(r.lo, VM_FLAT_LOAD_ADDR);
	ck_assert_uint_eq(r.hi, VM_FLAT_LOAD_ADDR + 0x1100);
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR), 0xaa);
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 15), 0xaa);
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 16), 0x5a);
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 0x1000), 0xbb);
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 0x100f), 0xbb);
	/* .bss zeroed up to memsz, nothing beyond. */
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 0x1010), 0);
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 0x10ff), 0);
	ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 0x1100), 0x5a);
}
END_TEST

START_TEST(flat_image)
{
	static const uint8_t code[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static uint8_t big[RAM_SIZE];
	struct load_result r;

	ck_assert_int_eq(load_image(code, sizeof(code), &ram, RESERVED, &r, err, sizeof(err)), 0);
	ck_assert(!r.elf);
	ck_assert_uint_eq(r.entry, VM_FLAT_LOAD_ADDR);
	ck_assert_mem_eq(at(VM_FLAT_LOAD_ADDR), code, sizeof(code));
	memset(ram.host, 0x5a, RAM_SIZE);
	refused(big, sizeof(big), "does not fit");
	refused(code, 0, "empty");
}
END_TEST

START_TEST(bad_headers)
{
	refused(&img, sizeof(Elf64_Ehdr) - 1, "truncated");
	img.eh.e_ident[EI_CLASS] = ELFCLASS32;
	refused(&img, sizeof(img), "ELF64");
	make_image();
	img.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	refused(&img, sizeof(img), "ELF64");
	make_image();
	img.eh.e_machine = EM_X86_64;
	refused(&img, sizeof(img), "machine");
	make_image();
	img.eh.e_type = ET_DYN;
	refused(&img, sizeof(img), "ET_EXEC");
	make_image();
	img.eh.e_phentsize = 32;
	refused(&img, sizeof(img), "program header table");
	make_image();
	img.eh.e_phnum = 0;
	refused(&img, sizeof(img), "program header table");
}
END_TEST

START_TEST(header_table_outside_file)
{
	img.eh.e_phoff = sizeof(img) - 8;
	refused(&img, sizeof(img), "outside the file");
	make_image();
	img.eh.e_phoff = UINT64_MAX - 10; /* offset + size wraps */
	refused(&img, sizeof(img), "outside the file");
	make_image();
	img.eh.e_phnum = 200; /* the table runs past the end */
	refused(&img, sizeof(img), "outside the file");
}
END_TEST

START_TEST(bad_segments)
{
	img.ph[1].p_filesz = img.ph[1].p_memsz + 1;
	refused(&img, sizeof(img), "file size");
	make_image();
	img.ph[1].p_offset = sizeof(img) - 4;
	refused(&img, sizeof(img), "outside the file");
	make_image();
	img.ph[1].p_offset = UINT64_MAX;
	refused(&img, sizeof(img), "outside the file");
	make_image();
	/* Data offsets of a segment without file data do not matter (.bss
	 * only, as linkers emit it). */
	img.ph[1].p_filesz = 0;
	img.ph[1].p_offset = sizeof(img) + 0x10000;
	{
		struct load_result r;

		ck_assert_int_eq(
			load_image((void *)&img, sizeof(img), &ram, RESERVED, &r, err, sizeof(err)),
			0);
		ck_assert_uint_eq(*at(VM_FLAT_LOAD_ADDR + 0x1000), 0);
		memset(ram.host, 0x5a, RAM_SIZE);
	}
	make_image();
	/* Into the DTB area at the start of RAM. */
	img.ph[0].p_paddr = VM_RAM_BASE + 0x100;
	refused(&img, sizeof(img), "not inside RAM");
	make_image();
	img.ph[0].p_paddr = VM_RAM_BASE - 0x1000;
	refused(&img, sizeof(img), "not inside RAM");
	make_image();
	img.ph[1].p_memsz = RAM_SIZE; /* runs past the end of RAM */
	refused(&img, sizeof(img), "not inside RAM");
	make_image();
	img.ph[1].p_paddr = UINT64_MAX - 0x10; /* address + size wraps */
	refused(&img, sizeof(img), "not inside RAM");
	make_image();
	/* The second segment is bad: the first must not have been written. */
	img.ph[1].p_paddr = VM_RAM_BASE + RAM_SIZE;
	refused(&img, sizeof(img), "segment 1");
}
END_TEST

START_TEST(bad_entry)
{
	img.eh.e_entry = VM_FLAT_LOAD_ADDR + 0x800; /* between the segments */
	refused(&img, sizeof(img), "entry point");
	make_image();
	img.eh.e_entry = VM_FLAT_LOAD_ADDR + 2; /* misaligned */
	refused(&img, sizeof(img), "entry point");
	make_image();
	img.ph[0].p_type = PT_NOTE;
	img.ph[1].p_type = PT_NOTE;
	refused(&img, sizeof(img), "no loadable segment");
}
END_TEST

START_TEST(missing_file)
{
	struct load_result r;

	ck_assert_int_eq(
		load_image_file("/nonexistent/image.elf", &ram, RESERVED, &r, err, sizeof(err)),
		-1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/image.elf"));
	ck_assert_int_eq(load_image_file("/", &ram, RESERVED, &r, err, sizeof(err)), -1);
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("vm-loader");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_elf);
	tcase_add_test(tc, flat_image);
	tcase_add_test(tc, bad_headers);
	tcase_add_test(tc, header_table_outside_file);
	tcase_add_test(tc, bad_segments);
	tcase_add_test(tc, bad_entry);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(loader_suite());
}
