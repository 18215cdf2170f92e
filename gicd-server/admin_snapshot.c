// SPDX-License-Identifier: MIT
/*
 * gicctl snapshot save|load FILE (docs/restart.md "Migration").
 *
 * The file comes as an fd with the request; the daemon never opens a path
 * it was given.  Its content is a whole state store (state_store.h) holding
 * one full snapshot of the VM, identity included (its Hello, resume token
 * and epoch), and an empty journal: the daemon's own format, so that
 * `gicd-server --state-file FILE` can take it up as well.
 *
 * save: the VM's state now (between two messages: everything applied is
 *       committed), built in a memfd and copied to the file, zero blocks
 *       skipped so the file stays sparse.
 * load: into a daemon with no VM, attached or waiting.  The file is read
 *       into a memfd and checked completely (a store with an intact
 *       snapshot, a VM shape this daemon can serve, every record applying
 *       to a core of that shape) before anything changes; then it becomes
 *       the daemon's state store (its --state-file, or that memfd) and the
 *       daemon waits for the VMM to re-attach with the resume token, as
 *       after a restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <zlib.h>

#include "admin_handlers.h"
#include "core.h"
#include "server_internal.h"
#include "session.h"
#include "snapshot.h"
#include "state_store.h"

/* Unit of the copies: blocks of zeros are skipped (holes). */
#define COPY_BLOCK (64u << 10)

static const unsigned char zero_block[COPY_BLOCK];

/* Why an operation failed: the AdminError's message. */
struct why {
	char msg[200];
};

/* An I/O failure: what, and the error. */
static int io_fail(struct why *w, int rc, const char *what)
{
	snprintf(w->msg, sizeof(w->msg), "%s: %s", what, strerror(-rc));
	return rc;
}

/* The file is not what it must be. */
static int reject(struct why *w, int rc, const char *what)
{
	snprintf(w->msg, sizeof(w->msg), "%s", what);
	return rc;
}

static uint32_t crc_update(uint32_t crc, const void *data, size_t len)
{
	return (uint32_t)crc32(crc, data, (uInt)len);
}

static int write_all(int fd, const unsigned char *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * Writes the STATE_STORE_SIZE bytes at map to fd (a regular file, emptied
 * first), leaving holes for blocks of zeros, and makes them durable; *crc:
 * CRC-32 of all of them.
 */
static int copy_out(int fd, const unsigned char *map, uint32_t *crc, struct why *why)
{
	uint32_t c = (uint32_t)crc32(0L, Z_NULL, 0);
	int rc;

	if (ftruncate(fd, 0) < 0 || ftruncate(fd, STATE_STORE_SIZE) < 0)
		return io_fail(why, -errno, "cannot size the file");
	for (size_t off = 0; off < STATE_STORE_SIZE; off += COPY_BLOCK) {
		size_t len =
			STATE_STORE_SIZE - off < COPY_BLOCK ? STATE_STORE_SIZE - off : COPY_BLOCK;

		c = crc_update(c, map + off, len);
		if (memcmp(map + off, zero_block, len) == 0)
			continue;
		rc = write_all(fd, map + off, len, (off_t)off);
		if (rc < 0)
			return io_fail(why, rc, "cannot write the file");
	}
	if (fdatasync(fd) < 0 && errno != EINVAL)
		return io_fail(why, -errno, "cannot flush the file to its storage");
	*crc = c;
	return 0;
}

static int check_regular(int fd, off_t *size, struct why *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return io_fail(why, -errno, "cannot stat the file");
	if (!S_ISREG(st.st_mode))
		return reject(why, -EINVAL, "not a regular file");
	*size = st.st_size;
	return 0;
}

static const char *op_name(Sg__SnapshotRequest__Op op)
{
	return op == SG__SNAPSHOT_REQUEST__OP__LOAD ? "load" : "save";
}

static void reply(struct admin_conn *c, Sg__SnapshotResult *res)
{
	Sg__AdminReply r = SG__ADMIN_REPLY__INIT;

	r.rep_case = SG__ADMIN_REPLY__REP_SNAPSHOT;
	r.snapshot = res;
	admin_send(c, &r);
}

static void fill_shape(Sg__SnapshotResult *res, const struct sg_vm_shape *s)
{
	res->vcpus = s->nr_vcpus;
	res->spis = s->nr_spis;
	res->its = s->map.nr_its;
}

/* ---------------------------------------------------------------- save */

/* A state store in a new memfd holding one full snapshot: rec. */
static int build_image(const unsigned char *rec, size_t len, int *out_fd, struct why *why)
{
	struct state_store st;
	int fd = memfd_create("gicd-snapshot", MFD_CLOEXEC), rc;

	if (fd < 0)
		return io_fail(why, -errno, "cannot create a memfd");
	rc = state_store_open(&st, fd, true);
	if (rc == 0) {
		rc = state_store_write_snapshot(&st, rec, len);
		state_store_close(&st);
	}
	if (rc < 0) {
		close(fd);
		return io_fail(why, rc, "cannot build the state image");
	}
	*out_fd = fd;
	return 0;
}

static void save(struct admin_conn *c, int fd)
{
	struct server *srv = admin_conn_server(c);
	struct session *s = srv->session;
	Sg__SnapshotResult res = SG__SNAPSHOT_RESULT__INIT;
	struct why why = { "" };
	unsigned char *rec = NULL, *map;
	Sg__Hello *hello;
	ssize_t n = 0;
	off_t size = 0;
	int img = -1, rc;

	if (!s) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__NO_VM,
				 "no VM attached: there is nothing to save");
		return;
	}
	rc = check_regular(fd, &size, &why);
	if (rc == 0) {
		n = session_encode_full(s, &rec);
		rc = n < 0 ? io_fail(&why, (int)n, "cannot encode the VM's state")
			   : build_image(rec, (size_t)n, &img, &why);
	}
	if (rc == 0) {
		map = mmap(NULL, STATE_STORE_SIZE, PROT_READ, MAP_SHARED, img, 0);
		if (map == MAP_FAILED) {
			rc = io_fail(&why, -errno, "cannot map the state image");
		} else {
			rc = copy_out(fd, map, &res.checksum, &why);
			munmap(map, STATE_STORE_SIZE);
		}
	}
	if (img >= 0)
		close(img);
	free(rec);
	if (rc < 0) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED, "snapshot save: %s", why.msg);
		return;
	}
	hello = sg__hello__unpack(NULL, s->dur.hello_len, s->dur.hello);
	res.op = SG__SNAPSHOT_REQUEST__OP__SAVE;
	res.bytes = STATE_STORE_SIZE;
	res.snapshot_bytes = (uint64_t)n;
	res.epoch = s->dur.epoch;
	res.vm_name = hello && hello->vm_name ? hello->vm_name : (char *)"";
	fill_shape(&res, &s->shape);
	sg_notice("VM %s: state saved by gicctl (pid %d): epoch %llu, %zd bytes of snapshot, "
		  "checksum %08x",
		  res.vm_name, (int)admin_conn_peer(c)->pid, (unsigned long long)res.epoch, n,
		  res.checksum);
	reply(c, &res);
	if (hello)
		sg__hello__free_unpacked(hello, NULL);
}

/* ---------------------------------------------------------------- load */

/* A trial restore: the records must apply to a core of the VM's shape. */
struct trial {
	struct sg_vm_shape shape;
	struct guest_ram ram;
	struct gic_core core;
	struct durable d;
};

static void trial_drop(void *ctx, unsigned chan, const Sg__Envelope *env)
{
	(void)ctx;
	(void)chan;
	(void)env;
}

static int trial_apply(void *ctx, const void *data, size_t len)
{
	struct trial *t = ctx;

	return snapshot_apply(&t->d, data, len);
}

/*
 * Reads the image in fd (size bytes) into a new memfd and checks all of
 * it.  Returns the memfd, or a negative errno with why set.
 */
static int read_and_check(int fd, off_t size, Sg__SnapshotResult *res, Sg__Hello **hello,
			  struct why *why)
{
	struct core_out out = { trial_drop, NULL };
	unsigned char token[32], *map = MAP_FAILED, *buf = NULL;
	uint32_t c = (uint32_t)crc32(0L, Z_NULL, 0);
	struct trial *t = NULL;
	const char *shape_why = NULL;
	struct state_store st;
	int img, rc = 0;

	if ((uint64_t)size != STATE_STORE_SIZE) {
		snprintf(why->msg, sizeof(why->msg), "%s: %llu bytes, a state image has %u",
			 (uint64_t)size < STATE_STORE_SIZE ? "truncated" : "not a state image",
			 (unsigned long long)size, STATE_STORE_SIZE);
		return -EINVAL;
	}
	img = memfd_create("gicd-state", MFD_CLOEXEC);
	if (img < 0)
		return io_fail(why, -errno, "cannot create a memfd");
	buf = malloc(COPY_BLOCK);
	if (!buf || ftruncate(img, STATE_STORE_SIZE) < 0) {
		rc = io_fail(why, buf ? -errno : -ENOMEM, "cannot set up a copy");
		goto out;
	}
	map = mmap(NULL, STATE_STORE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, img, 0);
	if (map == MAP_FAILED) {
		rc = io_fail(why, -errno, "cannot map a copy");
		goto out;
	}
	/* Only blocks that are not zeros are stored: the copy stays sparse. */
	for (size_t off = 0; off < STATE_STORE_SIZE;) {
		size_t want =
			STATE_STORE_SIZE - off < COPY_BLOCK ? STATE_STORE_SIZE - off : COPY_BLOCK;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? io_fail(why, -errno, "cannot read the file")
				   : reject(why, -EIO, "truncated while being read");
			goto out;
		}
		c = crc_update(c, buf, (size_t)n);
		if (memcmp(buf, zero_block, (size_t)n) != 0)
			memcpy(map + off, buf, (size_t)n);
		off += (size_t)n;
	}
	munmap(map, STATE_STORE_SIZE);
	map = MAP_FAILED;
	res->checksum = c;
	res->bytes = STATE_STORE_SIZE;

	rc = session_peek_state(img, hello, &res->epoch, token);
	if (rc == -ENOENT)
		reject(why, rc, "no intact snapshot in it (corrupt, or an empty state store)");
	else if (rc == -EPROTO)
		reject(why, rc,
		       "not a gicd-server state image of this layout, or its snapshot is "
		       "corrupt or from a newer gicd-server");
	else if (rc < 0)
		io_fail(why, rc, "cannot read its snapshot");
	if (rc < 0)
		goto out;
	t = calloc(1, sizeof(*t));
	if (!t) {
		rc = io_fail(why, -ENOMEM, "cannot check it");
		goto out;
	}
	if (!sg_shape_from_hello(*hello, &t->shape, &shape_why)) {
		snprintf(why->msg, sizeof(why->msg), "its VM cannot be served: %s", shape_why);
		rc = -EINVAL;
		goto out;
	}
	guest_ram_init(&t->ram);
	core_init(&t->core, &t->shape, &t->ram, &out);
	t->d.core = &t->core;
	rc = state_store_open(&st, img, false);
	if (rc == 0) {
		rc = state_store_load(&st, trial_apply, trial_apply, t);
		state_store_close(&st);
	}
	if (rc == 0)
		snapshot_finish(&t->d);
	if (rc != 0) {
		rc = io_fail(why, rc < 0 ? rc : -EPROTO, "its snapshot does not apply");
		goto out;
	}
	fill_shape(res, &t->shape);
out:
	if (t) {
		durable_release(&t->d);
		free(t);
	}
	if (map != MAP_FAILED)
		munmap(map, STATE_STORE_SIZE);
	free(buf);
	if (rc < 0) {
		close(img);
		return rc;
	}
	return img;
}

/* The checked image becomes the daemon's state store: the state file (a
 * copy) or the memfd itself.  Returns the store's fd. */
static int install(struct server *srv, int img, struct why *why)
{
	unsigned char *map;
	uint32_t crc;
	int fd, rc;

	if (!srv->cfg->state_file)
		return img;
	fd = open(srv->cfg->state_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = io_fail(why, -errno, "cannot open the state file");
		close(img);
		return rc;
	}
	map = mmap(NULL, STATE_STORE_SIZE, PROT_READ, MAP_SHARED, img, 0);
	if (map == MAP_FAILED) {
		rc = io_fail(why, -errno, "cannot map the checked copy");
	} else {
		rc = copy_out(fd, map, &crc, why);
		munmap(map, STATE_STORE_SIZE);
	}
	close(img);
	if (rc < 0) {
		/* Nothing half-written stays behind to be taken for a VM. */
		if (ftruncate(fd, 0) < 0)
			sg_warn("state file %s: cannot empty it: %m", srv->cfg->state_file);
		close(fd);
		return rc;
	}
	return fd;
}

static void load(struct admin_conn *c, int fd)
{
	struct server *srv = admin_conn_server(c);
	Sg__SnapshotResult res = SG__SNAPSHOT_RESULT__INIT;
	Sg__Hello *hello = NULL;
	struct why why = { "" };
	off_t size = 0;
	int img, rc;

	if (srv->session) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__BUSY,
				 "snapshot load: VM %s is attached (pid %d): a snapshot loads only "
				 "into a daemon without a VM",
				 srv->cfg->vm_name, (int)srv->peer.pid);
		return;
	}
	if (srv->resume_file) {
		admin_send_error(
			c, SG__ADMIN_ERROR__CODE__BUSY,
			"snapshot load: this daemon already holds VM %s, waiting for its VMM "
			"to re-attach: a snapshot loads only into a daemon without a VM",
			srv->cfg->vm_name);
		return;
	}
	rc = check_regular(fd, &size, &why);
	img = rc < 0 ? rc : read_and_check(fd, size, &res, &hello, &why);
	/* Its VMM's Hello names the VM: control.c refuses another name. */
	if (img >= 0 && hello->vm_name && hello->vm_name[0] &&
	    strcmp(hello->vm_name, srv->cfg->vm_name) != 0) {
		snprintf(why.msg, sizeof(why.msg),
			 "the file holds VM %s, this daemon serves VM %s (--vm)", hello->vm_name,
			 srv->cfg->vm_name);
		close(img);
		img = -EINVAL;
	}
	if (img >= 0)
		img = install(srv, img, &why);
	if (img < 0) {
		admin_send_error(c, SG__ADMIN_ERROR__CODE__FAILED,
				 "snapshot load: %s: nothing changed", why.msg);
		if (hello)
			sg__hello__free_unpacked(hello, NULL);
		return;
	}
	srv->loaded_state_fd = img;
	srv->resume_file = true;
	res.op = SG__SNAPSHOT_REQUEST__OP__LOAD;
	res.vm_name = hello->vm_name ? hello->vm_name : (char *)"";
	sg_notice("state of VM %s (epoch %llu, checksum %08x) loaded by gicctl (pid %d)%s%s: "
		  "waiting for its VMM to re-attach",
		  res.vm_name, (unsigned long long)res.epoch, res.checksum,
		  (int)admin_conn_peer(c)->pid, srv->cfg->state_file ? " into " : "",
		  srv->cfg->state_file ? srv->cfg->state_file : "");
	sd_notifyf(0, "STATUS=Holding VM %s (loaded), waiting for its VMM", res.vm_name);
	reply(c, &res);
	sg__hello__free_unpacked(hello, NULL);
}

void admin_snapshot(struct admin_conn *c, const Sg__SnapshotRequest *req, int *fds, unsigned nfds)
{
	Sg__SnapshotRequest__Op op = req->op;

	if (op != SG__SNAPSHOT_REQUEST__OP__SAVE && op != SG__SNAPSHOT_REQUEST__OP__LOAD) {
		sg_wire_close_fds(fds, nfds);
		admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
				 "snapshot: unknown operation %d", (int)op);
		return;
	}
	if (nfds != 1) {
		sg_wire_close_fds(fds, nfds);
		admin_send_error(c, SG__ADMIN_ERROR__CODE__INVALID,
				 "snapshot %s needs exactly one fd (the file), got %u", op_name(op),
				 nfds);
		return;
	}
	if (op == SG__SNAPSHOT_REQUEST__OP__SAVE)
		save(c, fds[0]);
	else
		load(c, fds[0]);
	close(fds[0]);
}
