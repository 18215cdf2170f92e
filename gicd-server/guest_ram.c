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
#include "log.h"

#define PA_LIMIT (1ull << 52)

/*
 * A VMM can shrink a memfd after we mapped it; touching the lost pages then
 * raises SIGBUS.  guest_ram_read() arms this guard around its copy and the
 * handler jumps back out, so hostile RAM costs -EFAULT, not the daemon.
 * SIGBUS goes to the faulting thread: a guard per thread keeps this right
 * where the core runs in a multi-threaded VMM (embedded mode).
 */
static _Thread_local sigjmp_buf bus_guard_env;
static _Thread_local volatile sig_atomic_t bus_guard_armed;
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
	r->page = (uint64_t)sysconf(_SC_PAGESIZE);
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
	for (unsigned i = 0; i < GUEST_RAM_MAX_WINDOWS; i++)
		if (r->win[i].len)
			munmap(r->win[i].map, r->win[i].map_len);
	for (unsigned i = 0; i < r->nr_regions; i++)
		munmap((void *)r->region[i].host, r->region[i].size);
	for (unsigned i = 0; i < r->nr_fds; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	guest_ram_init(r);
}

/* The copy under the SIGBUS guard; kept apart so no caller state is live
 * across sigsetjmp.  Used in both directions. */
static __attribute__((noinline)) int guarded_copy(void *dst, const void *src, size_t len)
{
	if (sigsetjmp(bus_guard_env, 0))
		return -EFAULT;
	bus_guard_armed = 1;
	memcpy(dst, src, len);
	bus_guard_armed = 0;
	return 0;
}

/* The region holding all of [gpa, gpa + len), or NULL; regions never merge. */
static const struct guest_ram_region *find_region(const struct guest_ram *r, uint64_t gpa,
						  uint64_t len)
{
	for (unsigned i = 0; i < r->nr_regions; i++) {
		const struct guest_ram_region *g = &r->region[i];

		if (gpa < g->gpa || gpa - g->gpa >= g->size)
			continue;
		if (len > g->size - (gpa - g->gpa))
			return NULL;
		return g;
	}
	return NULL;
}

int guest_ram_read(const struct guest_ram *r, uint64_t gpa, void *buf, size_t len)
{
	const struct guest_ram_region *g = find_region(r, gpa, len);

	if (!g)
		return -EFAULT;
	return guarded_copy(buf, g->host + (gpa - g->gpa), len);
}

/* ------------------------------------------------------ writable windows */

static bool window_covers(const struct guest_ram_window *w, uint64_t gpa, uint64_t len)
{
	return w->len && gpa >= w->gpa && gpa - w->gpa <= w->len && len <= w->len - (gpa - w->gpa);
}

static void window_drop(struct guest_ram *r, struct guest_ram_window *w)
{
	munmap(w->map, w->map_len);
	memset(w, 0, sizeof(*w));
	r->nr_windows--;
}

/* A free slot, or the least recently used window dropped to make one. */
static struct guest_ram_window *window_slot(struct guest_ram *r)
{
	struct guest_ram_window *lru = NULL;

	for (unsigned i = 0; i < GUEST_RAM_MAX_WINDOWS; i++) {
		struct guest_ram_window *w = &r->win[i];

		if (!w->len)
			return w;
		if (!lru || w->last_use < lru->last_use)
			lru = w;
	}
	/* Not an error: the owner maps it again when it next writes there. */
	{
		static struct sg_ratelimit rl = SG_RATELIMIT_INIT(1000, 10);

		sg_log_ratelimited(
			&rl, SG_LOG_NOTICE,
			"guest RAM: all %u writable windows in use (GUEST_RAM_MAX_WINDOWS): "
			"unmapping the least recently used one",
			GUEST_RAM_MAX_WINDOWS);
	}
	window_drop(r, lru);
	r->stats.rw_evictions++;
	return lru;
}

int guest_ram_map_rw(struct guest_ram *r, uint64_t gpa, uint64_t len, uint32_t owner)
{
	const struct guest_ram_region *g;
	struct guest_ram_window *w;
	uint64_t start, end;
	void *p;

	if (len == 0)
		return -EINVAL;
	g = find_region(r, gpa, len);
	if (!g) {
		r->stats.rw_map_fail++;
		return -EFAULT;
	}
	for (unsigned i = 0; i < GUEST_RAM_MAX_WINDOWS; i++) {
		w = &r->win[i];
		if (w->owner == owner && window_covers(w, gpa, len)) {
			w->last_use = ++r->win_clock;
			r->stats.rw_reuses++;
			return 0;
		}
	}
	/* Regions are page aligned, so the covering pages stay inside g. */
	start = (gpa - g->gpa) & ~(r->page - 1);
	end = (gpa - g->gpa + len + r->page - 1) & ~(r->page - 1);
	p = mmap(NULL, end - start, PROT_READ | PROT_WRITE, MAP_SHARED, r->fds[g->fd_index],
		 (off_t)(g->fd_offset + start));
	if (p == MAP_FAILED) {
		r->stats.rw_map_fail++;
		return -errno;
	}
	w = window_slot(r);
	*w = (struct guest_ram_window){
		.gpa = gpa,
		.len = len,
		.host = (unsigned char *)p + (gpa - g->gpa - start),
		.map = p,
		.map_len = end - start,
		.owner = owner,
		.last_use = ++r->win_clock,
	};
	r->nr_windows++;
	r->stats.rw_maps++;
	return 0;
}

unsigned guest_ram_unmap_rw(struct guest_ram *r, uint64_t gpa, uint64_t len, uint32_t owner)
{
	unsigned n = 0;

	for (unsigned i = 0; i < GUEST_RAM_MAX_WINDOWS; i++) {
		struct guest_ram_window *w = &r->win[i];

		if (w->len && w->owner == owner && w->gpa == gpa && w->len == len) {
			window_drop(r, w);
			n++;
		}
	}
	r->stats.rw_unmaps += n;
	return n;
}

unsigned guest_ram_unmap_owner(struct guest_ram *r, uint32_t owner)
{
	unsigned n = 0;

	for (unsigned i = 0; i < GUEST_RAM_MAX_WINDOWS; i++) {
		struct guest_ram_window *w = &r->win[i];

		if (w->len && w->owner == owner) {
			window_drop(r, w);
			n++;
		}
	}
	r->stats.rw_unmaps += n;
	return n;
}

static struct guest_ram_window *find_window(const struct guest_ram *r, uint64_t gpa, size_t len)
{
	for (unsigned i = 0; i < GUEST_RAM_MAX_WINDOWS; i++)
		if (window_covers(&r->win[i], gpa, len))
			return (struct guest_ram_window *)&r->win[i];
	return NULL;
}

bool guest_ram_writable(const struct guest_ram *r, uint64_t gpa, size_t len)
{
	return len && find_window(r, gpa, len);
}

int guest_ram_write(struct guest_ram *r, uint64_t gpa, const void *buf, size_t len)
{
	struct guest_ram_window *w = len ? find_window(r, gpa, len) : NULL;

	if (!w) {
		r->stats.write_denied++;
		return -EPERM;
	}
	w->last_use = ++r->win_clock;
	if (guarded_copy(w->host + (gpa - w->gpa), buf, len) < 0) {
		r->stats.write_fault++;
		return -EFAULT;
	}
	return 0;
}
