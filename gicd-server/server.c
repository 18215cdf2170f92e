// SPDX-License-Identifier: MIT
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "admin.h"
#include "log.h"
#include "sandbox.h"
#include "server_internal.h"
#include "session.h"
#include "trace.h"

static void log_counters(struct server *srv, enum sg_log_level level)
{
	control_log_stats(srv->control, level);
	if (srv->admin)
		admin_log_stats(srv->admin, level);
	if (srv->session)
		session_log_stats(srv->session, level);
}

static bool is_busy(void *arg)
{
	struct server *srv = arg;

	return srv->session != NULL;
}

/* A new state store for a first attach: the state file (emptied) or a memfd. */
static int new_state_fd(const struct server *srv)
{
	int fd;

	if (srv->cfg->state_file)
		fd = open(srv->cfg->state_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	else
		fd = memfd_create("gicd-state", MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static bool same_shape(const struct sg_vm_shape *a, const struct sg_vm_shape *b)
{
	return a->nr_vcpus == b->nr_vcpus && a->nr_spis == b->nr_spis &&
	       memcmp(a->mpidr, b->mpidr, a->nr_vcpus * sizeof(a->mpidr[0])) == 0 &&
	       a->map.gicd_base == b->map.gicd_base && a->map.gicr_base == b->map.gicr_base &&
	       a->map.nr_its == b->map.nr_its &&
	       memcmp(a->map.its_base, b->map.its_base, a->map.nr_its * sizeof(uint64_t)) == 0;
}

static bool same_ram(const Sg__Hello *a, const Sg__Hello *b)
{
	if (a->n_ram != b->n_ram)
		return false;
	for (size_t i = 0; i < a->n_ram; i++)
		if (a->ram[i]->gpa != b->ram[i]->gpa || a->ram[i]->size != b->ram[i]->size)
			return false;
	return true;
}

/*
 * A Hello with a resume token: the VMM re-attaches to the VM saved in the
 * state file (a restart without systemd's fd store).  Returns the state fd
 * or a negative errno with *why set.
 */
static int open_resume_state(struct server *srv, const struct attach_req *req, const char **why)
{
	Sg__Hello *saved = NULL;
	struct sg_vm_shape shape;
	uint64_t epoch;
	unsigned char token[32];
	int fd, rc;

	if (!srv->resume_file) {
		*why = "no saved VM to resume here (start gicd-server with the same --state-file)";
		return -ENOENT;
	}
	if (srv->loaded_state_fd >= 0) /* gicctl snapshot load */
		fd = fcntl(srv->loaded_state_fd, F_DUPFD_CLOEXEC, 0);
	else
		fd = open(srv->cfg->state_file, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*why = "the state file is gone";
		return -errno;
	}
	rc = session_peek_state(fd, &saved, &epoch, token);
	if (rc < 0 || !sg_shape_from_hello(saved, &shape, why)) {
		*why = "the saved state cannot be read";
		rc = -EPROTO;
	} else if (req->hello->resume_token.len != sizeof(token) ||
		   memcmp(req->hello->resume_token.data, token, sizeof(token)) != 0) {
		*why = "resume token does not match the saved VM";
		rc = -EACCES;
	} else if (!same_shape(&shape, req->shape) || !same_ram(saved, req->hello)) {
		*why = "the VM's shape or RAM layout differs from the saved one";
		rc = -EINVAL;
	}
	if (saved)
		sg__hello__free_unpacked(saved, NULL);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static void fill_result(const struct server *srv, struct attach_result *res)
{
	const struct session *s = srv->session;

	for (unsigned i = 0; i < s->nr_chans; i++)
		res->applied[i] = s->chan[i].last_applied;
	res->epoch = s->dur.epoch;
	memcpy(res->token, s->dur.token, sizeof(res->token));
}

static void keep_in_fdstore(const struct session *s)
{
	int chans[SG_MAX_VCPUS + 1];

	for (unsigned i = 0; i < s->nr_chans; i++)
		chans[i] = s->chan[i].fd;
	fdstore_keep_vm(s->state_fd, chans, s->shape.nr_vcpus, s->ram.fds, s->ram.nr_fds);
}

static int attach(void *arg, const struct attach_req *req, struct attach_result *res)
{
	struct server *srv = arg;
	const struct sg_vm_shape *s = req->shape;
	bool resume = req->hello->resume_token.len > 0;
	struct session_init init = { .shape = s, .chan_fds = req->chan_fds, .ram = req->ram };
	unsigned char *hello = NULL;
	int fd;

	fd = resume ? open_resume_state(srv, req, &res->reason) : new_state_fd(srv);
	if (fd >= 0 && !resume) {
		init.hello_len = sg__hello__get_packed_size(req->hello);
		hello = malloc(init.hello_len ? init.hello_len : 1);
		if (hello)
			sg__hello__pack(req->hello, hello);
		else
			fd = (close(fd), -ENOMEM);
	}
	if (fd < 0) {
		if (!res->reason)
			res->reason = "cannot create the VM's state store";
		for (unsigned i = 0; i <= s->nr_vcpus; i++)
			close(req->chan_fds[i]);
		guest_ram_unmap(req->ram);
		return fd;
	}
	init.state_fd = fd;
	init.restore = resume;
	init.hello = hello;
	srv->session = session_new(srv->base, &init, &srv->session_ops);
	free(hello);
	if (!srv->session) {
		sg_err("VM %s: cannot set up the session", srv->cfg->vm_name);
		res->reason = "cannot set up the VM session";
		return -1;
	}
	srv->resume_file = false;
	if (srv->loaded_state_fd >= 0) {
		close(srv->loaded_state_fd); /* the session has its own fd */
		srv->loaded_state_fd = -1;
	}
	fill_result(srv, res);
	keep_in_fdstore(srv->session);
	srv->peer = req->peer;
	sg_notice("VM %s %s by pid %d uid %u gid %u: %u vCPUs, %u SPIs, %u ITS, %u RAM "
		  "regions",
		  srv->cfg->vm_name, resume ? "re-attached" : "attached", (int)req->peer.pid,
		  (unsigned)req->peer.uid, (unsigned)req->peer.gid, s->nr_vcpus, s->nr_spis,
		  s->map.nr_its, srv->session->ram.nr_regions);
	trace_attach((int)req->peer.pid, (unsigned)req->peer.uid, (unsigned)req->peer.gid,
		     s->nr_vcpus, s->nr_spis, s->map.nr_its, srv->session->ram.nr_regions, resume);
	if (resume)
		trace_restore(TRACE_RESTORE_STATE_FILE, srv->session->dur.epoch,
			      srv->session->nr_chans, s->nr_vcpus);
	sd_notifyf(0, "STATUS=Serving VM %s (%u vCPUs, %u SPIs) for pid %d", srv->cfg->vm_name,
		   s->nr_vcpus, s->nr_spis, (int)req->peer.pid);
	return 0;
}

/*
 * A restart under systemd: the channels, the guest RAM and the state came
 * back from the fd store.  Carries on serving the VM; the VMM never knew.
 */
static int restore_from_fdstore(struct server *srv)
{
	struct inherited_fds *f = &srv->inh;
	struct session_init init = { .restore = true };
	int chans[SG_MAX_VCPUS + 1];
	struct sg_vm_shape shape;
	struct guest_ram ram;
	Sg__Hello *h = NULL;
	unsigned char token[32];
	uint64_t epoch;
	const char *why = "the saved state cannot be read";
	int rc;

	rc = session_peek_state(f->state, &h, &epoch, token);
	if (rc < 0 || !sg_shape_from_hello(h, &shape, &why))
		goto fail;
	if (f->nr_mmio != shape.nr_vcpus || f->bus < 0 || f->nr_ram != h->nr_ram_fds) {
		why = "the fd store does not hold every channel and RAM fd of the VM";
		goto fail;
	}
	rc = guest_ram_map(&ram, &shape, h->ram, h->n_ram, f->ram, f->nr_ram, &why);
	for (unsigned i = 0; i < f->nr_ram; i++)
		f->ram[i] = -1; /* guest_ram took them */
	if (rc < 0)
		goto fail;
	for (unsigned i = 0; i < shape.nr_vcpus; i++) {
		chans[i] = f->mmio[i];
		f->mmio[i] = -1;
	}
	chans[shape.nr_vcpus] = f->bus;
	f->bus = -1;
	init.shape = &shape;
	init.chan_fds = chans;
	init.ram = &ram;
	init.state_fd = f->state;
	f->state = -1;
	sg__hello__free_unpacked(h, NULL);
	srv->session = session_new(srv->base, &init, &srv->session_ops);
	if (!srv->session)
		return -1;
	sg_notice("VM %s resumed from the service manager's fd store: %u vCPUs, epoch %llu",
		  srv->cfg->vm_name, shape.nr_vcpus, (unsigned long long)srv->session->dur.epoch);
	trace_restore(TRACE_RESTORE_FDSTORE, srv->session->dur.epoch, srv->session->nr_chans,
		      shape.nr_vcpus);
	sd_notifyf(0, "STATUS=Serving VM %s (%u vCPUs, %u SPIs), resumed", srv->cfg->vm_name,
		   shape.nr_vcpus, shape.nr_spis);
	return 0;
fail:
	sg_err("VM %s: cannot resume from the fd store: %s", srv->cfg->vm_name, why);
	if (h)
		sg__hello__free_unpacked(h, NULL);
	return -1;
}

/* Without systemd: a state file left by an earlier instance is a VM whose
 * VMM will re-attach with its resume token. */
static void look_for_state_file(struct server *srv)
{
	Sg__Hello *h = NULL;
	unsigned char token[32];
	uint64_t epoch;
	int fd;

	if (!srv->cfg->state_file)
		return;
	fd = open(srv->cfg->state_file, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	if (session_peek_state(fd, &h, &epoch, token) == 0) {
		srv->resume_file = true;
		sg_notice("state file %s holds VM %s (epoch %llu): waiting for its VMM to "
			  "re-attach",
			  srv->cfg->state_file, h->vm_name, (unsigned long long)epoch);
		sg__hello__free_unpacked(h, NULL);
	}
	close(fd);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	sd_notify(0, "WATCHDOG=1");
	evtimer_add(srv->watchdog_ev, &srv->watchdog_period);
}

/* A channel is gone: finish the session from its own callback (detach_ev). */
static void session_gone(void *arg, const char *reason)
{
	struct server *srv = arg;

	snprintf(srv->detach_reason, sizeof(srv->detach_reason), "%s", reason);
	event_active(srv->detach_ev, 0, 0);
}

static void on_detach(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	sg_notice("VM %s detached (channel %s closed or failed): stopping", srv->cfg->vm_name,
		  srv->detach_reason);
	trace_detach(srv->detach_reason);
	/* The VM is gone for good: nothing to keep for a restart. */
	if (srv->session)
		fdstore_forget_vm(srv->session->shape.nr_vcpus, srv->session->ram.nr_fds);
	if (srv->cfg->state_file)
		unlink(srv->cfg->state_file);
	sd_notify(0, "STOPPING=1\nSTATUS=VM detached, stopping");
	srv->exit_code = GICD_EXIT_OK;
	event_base_loopbreak(srv->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	(void)what;
	if (sig == SIGUSR1) {
		sg_notice("SIGUSR1: counters follow");
		log_counters(srv, SG_LOG_NOTICE);
		return;
	}
	sg_notice("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1\nSTATUS=Shutting down");
	/* A restart or an upgrade follows: everything in one snapshot. */
	if (srv->session && session_checkpoint(srv->session) == 0)
		sg_notice("VM %s: state saved for a restart (epoch %llu)", srv->cfg->vm_name,
			  (unsigned long long)srv->session->dur.epoch);
	srv->exit_code = GICD_EXIT_OK;
	event_base_loopbreak(srv->base);
}

static void take_admin(void *arg, int fd, const struct ucred *peer, const Sg__AdminRequest *req,
		       int *fds, unsigned nfds)
{
	struct server *srv = arg;

	admin_take(srv->admin, fd, peer, req, fds, nfds);
}

/* The control socket's Hello intake and the VM session's callbacks. */
static int setup_control(struct server *srv)
{
	srv->policy = (struct control_policy){ .vm_name = srv->cfg->vm_name,
					       .allow_uid = srv->cfg->allow_uid,
					       .nr_allow_uids = srv->cfg->nr_allow_uids };
	srv->control_ops = (struct control_ops){
		.busy = is_busy, .attach = attach, .admin = take_admin, .arg = srv
	};
	srv->admin = admin_new(srv->base, srv);
	if (!srv->admin)
		return -1;
	srv->session_ops = (struct session_ops){ .gone = session_gone, .arg = srv };
	srv->control = control_new(srv->base, srv->cs.fd, &srv->policy, &srv->control_ops);
	return srv->control ? 0 : -1;
}

static int setup_events(struct server *srv)
{
	srv->base = event_base_new();
	if (!srv->base)
		return -1;
	srv->sig_term = evsignal_new(srv->base, SIGTERM, on_signal, srv);
	srv->sig_int = evsignal_new(srv->base, SIGINT, on_signal, srv);
	srv->sig_usr1 = evsignal_new(srv->base, SIGUSR1, on_signal, srv);
	srv->detach_ev = event_new(srv->base, -1, 0, on_detach, srv);
	if (!srv->sig_term || !srv->sig_int || !srv->sig_usr1 || !srv->detach_ev)
		return -1;
	if (evsignal_add(srv->sig_term, NULL) < 0 || evsignal_add(srv->sig_int, NULL) < 0 ||
	    evsignal_add(srv->sig_usr1, NULL) < 0)
		return -1;
	if (setup_control(srv) < 0)
		return -1;
	srv->watchdog_ev = evtimer_new(srv->base, on_watchdog, srv);
	if (!srv->watchdog_ev)
		return -1;
	return 0;
}

/*
 * DESIGN §7: everything that needs privileges or unusual system calls is
 * done (control socket bound, saved VM restored); give them up.
 */
static int enter_sandbox(const struct server_config *cfg)
{
	char why[160];
	int rc = sandbox_drop_privileges(cfg->user, why, sizeof(why));

	if (rc < 0) {
		sg_err("sandbox: %s", why);
		return rc == -EINVAL ? GICD_EXIT_USAGE : GICD_EXIT_FAILURE;
	}
	if (!cfg->no_seccomp && sandbox_install_seccomp(why, sizeof(why)) < 0) {
		sg_err("sandbox: %s", why);
		return GICD_EXIT_FAILURE;
	}
	sg_info("sandbox: uid %u gid %u, no capabilities, no_new_privs, %s", (unsigned)geteuid(),
		(unsigned)getegid(),
		cfg->no_seccomp ? "no system call filter (--no-seccomp)"
		: sandbox_sanitizer_build()
			? "system call filter on (with the sanitizer runtime's calls)"
			: "system call filter on");
	return 0;
}

/* WatchdogSec=: keep-alives at half the interval. */
static void start_watchdog(struct server *srv)
{
	uint64_t usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	usec /= 2;
	srv->watchdog_period = (struct timeval){ (time_t)(usec / 1000000), (long)(usec % 1000000) };
	evtimer_add(srv->watchdog_ev, &srv->watchdog_period);
}

static void teardown(struct server *srv)
{
	sigset_t stop;

	/* Freeing the signal events restores the default actions: a SIGTERM
	 * arriving now (say the service manager stops us while the VM
	 * detaches) must not kill us halfway through; it dies with us. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGUSR1);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	if (srv->control)
		log_counters(srv, SG_LOG_INFO);
	/* Trace streams and queued replies go before the session they report on. */
	admin_free(srv->admin);
	session_free(srv->session);
	control_free(srv->control);
	if (srv->sig_term)
		event_free(srv->sig_term);
	if (srv->sig_int)
		event_free(srv->sig_int);
	if (srv->sig_usr1)
		event_free(srv->sig_usr1);
	if (srv->detach_ev)
		event_free(srv->detach_ev);
	if (srv->watchdog_ev)
		event_free(srv->watchdog_ev);
	fdstore_close_unused(&srv->inh);
	if (srv->loaded_state_fd >= 0)
		close(srv->loaded_state_fd);
	if (srv->base)
		event_base_free(srv->base);
	control_socket_close(&srv->cs);
}

int server_run(const struct server_config *cfg)
{
	struct server srv = { .cfg = cfg, .exit_code = GICD_EXIT_FAILURE, .loaded_state_fd = -1 };
	char where[160];
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &srv.started);
	sg_notice("gicd-server %s starting for VM %s", SG_VERSION, cfg->vm_name);
	/* Peers that vanish must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	rc = fdstore_collect(&srv.inh);
	if (rc < 0) {
		sg_err("cannot read the fds passed by the service manager: %s", strerror(-rc));
		return GICD_EXIT_FAILURE;
	}
	rc = control_socket_open(&srv.cs, cfg->control_path, srv.inh.control);
	if (rc) {
		fdstore_close_unused(&srv.inh);
		return rc;
	}
	control_socket_describe(&srv.cs, where, sizeof(where));
	if (setup_events(&srv) < 0) {
		sg_err("cannot set up the event loop");
		teardown(&srv);
		return GICD_EXIT_FAILURE;
	}
	if (srv.inh.state >= 0) {
		if (restore_from_fdstore(&srv) < 0) {
			teardown(&srv);
			return GICD_EXIT_FAILURE;
		}
	} else {
		look_for_state_file(&srv);
	}
	fdstore_close_unused(&srv.inh);
	rc = enter_sandbox(cfg);
	if (rc) {
		teardown(&srv);
		return rc;
	}
	start_watchdog(&srv);
	sg_notice("listening on %s for VM %s", where, cfg->vm_name);
	sd_notifyf(0, "READY=1\nSTATUS=Waiting for VM %s on %s", cfg->vm_name, where);
	if (event_base_dispatch(srv.base) < 0) {
		sg_err("event loop failed");
		srv.exit_code = GICD_EXIT_FAILURE;
	}
	teardown(&srv);
	sg_notice("gicd-server stopped (exit code %d)", srv.exit_code);
	return srv.exit_code;
}

/* ------------------------------------------------ in-process (fuzz/) */

struct server *server_inproc_new(struct event_base *base, int listen_fd,
				 const struct server_config *cfg)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->cfg = cfg;
	srv->base = base;
	srv->exit_code = GICD_EXIT_FAILURE;
	srv->loaded_state_fd = -1;
	srv->cs.fd = listen_fd; /* the caller's: control_free() leaves it open */
	srv->detach_ev = event_new(base, -1, 0, on_detach, srv);
	if (!srv->detach_ev || setup_control(srv) < 0) {
		server_inproc_free(srv);
		return NULL;
	}
	return srv;
}

const struct session *server_inproc_session(const struct server *srv)
{
	return srv->session;
}

bool server_inproc_stopped(const struct server *srv)
{
	/* on_detach() is the only place an in-process server sets it. */
	return srv->exit_code == GICD_EXIT_OK;
}

void server_inproc_free(struct server *srv)
{
	if (!srv)
		return;
	admin_free(srv->admin); /* before the session it reports on, as teardown() */
	session_free(srv->session);
	control_free(srv->control);
	if (srv->detach_ev)
		event_free(srv->detach_ev);
	if (srv->loaded_state_fd >= 0)
		close(srv->loaded_state_fd);
	free(srv);
}
