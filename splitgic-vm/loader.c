// SPDX-License-Identifier: MIT
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine.h"

#define MAX_PHNUM 256u
#define MAX_IMAGE (1ull << 32)

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* [gpa, gpa + size) inside RAM and at or above reserved_end, without overflow. */
static bool range_ok(const struct guest_ram *ram, uint64_t reserved_end, uint64_t gpa,
		     uint64_t size)
{
	if (gpa < reserved_end || gpa < ram->gpa)
		return false;
	return guest_ram_ptr(ram, gpa, size) != NULL;
}

static int load_elf(const uint8_t *img, size_t len, struct guest_ram *ram, uint64_t reserved_end,
		    struct load_result *res, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	unsigned loaded = 0;
	bool entry_ok = false;

	if (len < sizeof(eh))
		return fail(err, errlen, "ELF header truncated (%zu bytes)", len);
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_ident[EI_VERSION] != EV_CURRENT)
		return fail(err, errlen, "not a little-endian ELF64 file");
	if (eh.e_machine != EM_AARCH64)
		return fail(err, errlen, "ELF machine %u is not AArch64", eh.e_machine);
	if (eh.e_type != ET_EXEC)
		return fail(err, errlen, "ELF type %u is not an executable (ET_EXEC)", eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHNUM)
		return fail(err, errlen, "bad program header table (entsize %u, count %u)",
			    eh.e_phentsize, eh.e_phnum);
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return fail(err, errlen, "program header table outside the file");

	res->lo = UINT64_MAX;
	res->hi = 0;
	/* Check every segment before writing any. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			uint8_t *dst;

			memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
				continue;
			if (pass == 0) {
				if (ph.p_filesz > ph.p_memsz)
					return fail(err, errlen,
						    "segment %u: file size 0x%llx > memory size "
						    "0x%llx",
						    i, (unsigned long long)ph.p_filesz,
						    (unsigned long long)ph.p_memsz);
				/* A segment without file data (.bss) may name any offset. */
				if (ph.p_filesz &&
				    (ph.p_offset > len || ph.p_filesz > len - ph.p_offset))
					return fail(err, errlen,
						    "segment %u: data outside the file", i);
				if (!range_ok(ram, reserved_end, ph.p_paddr, ph.p_memsz))
					return fail(err, errlen,
						    "segment %u: 0x%llx+0x%llx is not inside RAM "
						    "0x%llx..0x%llx (above the DTB area)",
						    i, (unsigned long long)ph.p_paddr,
						    (unsigned long long)ph.p_memsz,
						    (unsigned long long)reserved_end,
						    (unsigned long long)(ram->gpa + ram->size));
				if (eh.e_entry >= ph.p_paddr &&
				    eh.e_entry - ph.p_paddr < ph.p_memsz)
					entry_ok = true;
				loaded++;
				continue;
			}
			dst = guest_ram_ptr(ram, ph.p_paddr, ph.p_memsz);
			memcpy(dst, img + ph.p_offset, ph.p_filesz);
			memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
			if (ph.p_paddr < res->lo)
				res->lo = ph.p_paddr;
			if (ph.p_paddr + ph.p_memsz > res->hi)
				res->hi = ph.p_paddr + ph.p_memsz;
		}
		if (pass == 0 && loaded == 0)
			return fail(err, errlen, "no loadable segment");
		if (pass == 0 && (!entry_ok || (eh.e_entry & 3)))
			return fail(err, errlen, "entry point 0x%llx is not in a loaded segment",
				    (unsigned long long)eh.e_entry);
	}
	res->entry = eh.e_entry;
	res->elf = true;
	return 0;
}

int load_image(const uint8_t *img, size_t len, struct guest_ram *ram, uint64_t reserved_end,
	       struct load_result *res, char *err, size_t errlen)
{
	uint8_t *dst;

	memset(res, 0, sizeof(*res));
	if (len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0)
		return load_elf(img, len, ram, reserved_end, res, err, errlen);
	if (len == 0)
		return fail(err, errlen, "empty image");
	if (!range_ok(ram, reserved_end, VM_FLAT_LOAD_ADDR, len))
		return fail(err, errlen, "flat image of %zu bytes does not fit in RAM at 0x%llx",
			    len, (unsigned long long)VM_FLAT_LOAD_ADDR);
	dst = guest_ram_ptr(ram, VM_FLAT_LOAD_ADDR, len);
	memcpy(dst, img, len);
	res->entry = VM_FLAT_LOAD_ADDR;
	res->lo = VM_FLAT_LOAD_ADDR;
	res->hi = VM_FLAT_LOAD_ADDR + len;
	return 0;
}

int load_image_file(const char *path, struct guest_ram *ram, uint64_t reserved_end,
		    struct load_result *res, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_IMAGE) {
		close(fd);
		return fail(err, errlen, "%s: not a regular file of at most 4 GiB", path);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return fail(err, errlen, "%s: out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			close(fd);
			return fail(err, errlen, "%s: read failed", path);
		}
		got += (size_t)n;
	}
	close(fd);
	rc = load_image(buf, got, ram, reserved_end, res, err, errlen);
	free(buf);
	return rc;
}
