// SPDX-License-Identifier: MIT
#include "guest_ram.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gic_regs.h"

#define PA_LIMIT (1ull << 52)

/*
 * A VMM can shrink a memfd after we mapped it; touching the lost pages then
 * raises SIGBUS.  guest_ram_read() arms this guard around its copy and the
 * handler jumps back out, so hostile RAM costs -EFAULT, not the daemon.
 * The daemon is single-threaded, so one static guard is enough.
 */
static sigjmp_buf bus_guard_env;
static volatile sig_atomic_t bus_guard_armed;
static bool bus_guard_installed;

static void bus_guard_handler(int sig)
{
	if (bus_guard_armed) {
		bus_guard_armed = 0;
		siglongjmp(bus_guard_env, 1);
	}
	/* Not ours: die the way the default action would. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static int bus_guard_install(void)
{
	/* SA_NODEFER: we leave the handler with siglongjmp without restoring
	 * the signal mask, so SIGBUS must not stay blocked. */
	struct sigaction sa = { .sa_handler = bus_guard_handler, .sa_flags = SA_NODEFER };

	if (bus_guard_installed)
		return 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	bus_guard_installed = true;
	return 0;
}

void guest_ram_init(struct guest_ram *r)
{
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < SG_MAX_RAM_REGIONS; i++)
		r->fds[i] = -1;
}

struct range {
	uint64_t base, size;
};

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Everything about one region that needs no other region; why on failure. */
static bool region_ok(const Sg__RamRegion *reg, const int *fds, unsigned nr_fds, uint64_t page,
		      const char **why)
{
	struct stat st;

	if (reg->fd_index >= nr_fds) {
		*why = "RAM region names a memfd that was not passed";
		return false;
	}
	if (reg->size == 0) {
		*why = "RAM region of size 0";
		return false;
	}
	if (reg->gpa % page || reg->size % page || reg->fd_offset % page) {
		*why = "RAM region not page aligned";
		return false;
	}
	if (reg->gpa > PA_LIMIT || reg->size > PA_LIMIT - reg->gpa) {
		*why = "RAM region beyond the 52-bit physical address space";
		return false;
	}
	if (reg->fd_offset > UINT64_MAX - reg->size) {
		*why = "RAM region offset overflows";
		return false;
	}
	if (fstat(fds[reg->fd_index], &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "RAM fd is not a regular file or memfd";
		return false;
	}
	if (st.st_size < 0 || reg->fd_offset + reg->size > (uint64_t)st.st_size) {
		*why = "RAM region extends beyond the end of its memfd";
		return false;
	}
	return true;
}

static bool hits_gic_frame(const struct sg_vm_shape *s, uint64_t gpa, uint64_t size)
{
	const struct sg_addr_map *m = &s->map;

	if (overlap(gpa, size, m->gicd_base, GICD_FRAME_SIZE))
		return true;
	if (overlap(gpa, size, m->gicr_base, (uint64_t)s->nr_vcpus * GICR_FRAME_SIZE))
		return true;
	for (unsigned i = 0; i < m->nr_its; i++)
		if (overlap(gpa, size, m->its_base[i], GITS_FRAME_SIZE))
			return true;
	return false;
}

static int check_regions(const struct sg_vm_shape *shape, Sg__RamRegion *const *regions,
			 size_t nr_regions, const int *fds, unsigned nr_fds, const char **why)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (nr_regions > SG_MAX_RAM_REGIONS) {
		*why = "too many RAM regions";
		return -EINVAL;
	}
	if (nr_fds > SG_MAX_RAM_REGIONS) {
		*why = "too many RAM memfds";
		return -EINVAL;
	}
	for (size_t i = 0; i < nr_regions; i++) {
		const Sg__RamRegion *reg = regions[i];

		if (!region_ok(reg, fds, nr_fds, page, why))
			return -EINVAL;
		if (hits_gic_frame(shape, reg->gpa, reg->size)) {
			*why = "RAM region overlaps a GIC frame";
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (overlap(reg->gpa, reg->size, regions[j]->gpa, regions[j]->size)) {
				*why = "RAM regions overlap";
				return -EINVAL;
			}
	}
	return 0;
}

int guest_ram_map(struct guest_ram *r, const struct sg_vm_shape *shape,
		  Sg__RamRegion *const *regions, size_t nr_regions, int *fds, unsigned nr_fds,
		  const char **why)
{
	int rc;

	guest_ram_init(r);
	rc = check_regions(shape, regions, nr_regions, fds, nr_fds, why);
	if (rc < 0) {
		for (unsigned i = 0; i < nr_fds; i++)
			close(fds[i]);
		return rc;
	}
	r->nr_fds = nr_fds;
	memcpy(r->fds, fds, nr_fds * sizeof(fds[0]));
	rc = nr_regions ? bus_guard_install() : 0;
	if (rc < 0) {
		*why = "cannot install the SIGBUS guard";
		guest_ram_unmap(r);
		return rc;
	}
	for (size_t i = 0; i < nr_regions; i++) {
		struct guest_ram_region *g = &r->region[i];
		void *p = mmap(NULL, regions[i]->size, PROT_READ, MAP_SHARED,
			       fds[regions[i]->fd_index], (off_t)regions[i]->fd_offset);

		if (p == MAP_FAILED) {
			rc = -errno;
			*why = "cannot map a RAM region";
			guest_ram_unmap(r);
			return rc;
		}
		g->gpa = regions[i]->gpa;
		g->size = regions[i]->size;
		g->fd_offset = regions[i]->fd_offset;
		g->fd_index = regions[i]->fd_index;
		g->host = p;
		r->nr_regions++;
	}
	return 0;
}

void guest_ram_unmap(struct guest_ram *r)
{
	for (unsigned i = 0; i < r->nr_regions; i++)
		munmap((void *)r->region[i].host, r->region[i].size);
	for (unsigned i = 0; i < r->nr_fds; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	guest_ram_init(r);
}

/* The copy under the SIGBUS guard; kept apart so no caller state is live
 * across sigsetjmp. */
static __attribute__((noinline)) int guarded_copy(void *dst, const void *src, size_t len)
{
	if (sigsetjmp(bus_guard_env, 0))
		return -EFAULT;
	bus_guard_armed = 1;
	memcpy(dst, src, len);
	bus_guard_armed = 0;
	return 0;
}

int guest_ram_read(const struct guest_ram *r, uint64_t gpa, void *buf, size_t len)
{
	for (unsigned i = 0; i < r->nr_regions; i++) {
		const struct guest_ram_region *g = &r->region[i];

		if (gpa < g->gpa || gpa - g->gpa >= g->size)
			continue;
		if (len > g->size - (gpa - g->gpa))
			return -EFAULT; /* runs off this region; regions never merge */
		return guarded_copy(buf, g->host + (gpa - g->gpa), len);
	}
	return -EFAULT;
}
