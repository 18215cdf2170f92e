// SPDX-License-Identifier: MIT
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "control.h"
#include "listen.h"
#include "log.h"
#include "session.h"

struct server {
	const struct server_config *cfg;
	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_usr1;
	struct event *detach_ev;
	struct control_socket cs;
	struct control *control;
	struct control_policy policy;
	struct control_ops control_ops;
	struct session_ops session_ops;
	struct session *session;
	struct ucred peer; /* who attached the current VM */
	char detach_reason[64];
	int exit_code;
};

static void log_counters(struct server *srv, enum sg_log_level level)
{
	control_log_stats(srv->control, level);
	if (srv->session)
		session_log_stats(srv->session, level);
}

static bool is_busy(void *arg)
{
	struct server *srv = arg;

	return srv->session != NULL;
}

static int attach(void *arg, const struct attach_req *req)
{
	struct server *srv = arg;
	const struct sg_vm_shape *s = req->shape;

	srv->session = session_new(srv->base, s, req->chan_fds, req->ram, &srv->session_ops);
	if (!srv->session) {
		sg_err("VM %s: cannot set up the session (out of memory?)", srv->cfg->vm_name);
		return -1;
	}
	srv->peer = req->peer;
	sg_notice("VM %s attached by pid %d uid %u gid %u: %u vCPUs, %u SPIs, %u ITS, %u RAM "
		  "regions",
		  srv->cfg->vm_name, (int)req->peer.pid, (unsigned)req->peer.uid,
		  (unsigned)req->peer.gid, s->nr_vcpus, s->nr_spis, s->map.nr_its,
		  srv->session->ram.nr_regions);
	sd_notifyf(0, "STATUS=Serving VM %s (%u vCPUs, %u SPIs) for pid %d", srv->cfg->vm_name,
		   s->nr_vcpus, s->nr_spis, (int)req->peer.pid);
	return 0;
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
	srv->exit_code = GICD_EXIT_OK;
	event_base_loopbreak(srv->base);
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
	srv->policy = (struct control_policy){ .vm_name = srv->cfg->vm_name,
					       .allow_uid = srv->cfg->allow_uid,
					       .nr_allow_uids = srv->cfg->nr_allow_uids };
	srv->control_ops = (struct control_ops){ .busy = is_busy, .attach = attach, .arg = srv };
	srv->session_ops = (struct session_ops){ .gone = session_gone, .arg = srv };
	srv->control = control_new(srv->base, srv->cs.fd, &srv->policy, &srv->control_ops);
	return srv->control ? 0 : -1;
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
	if (srv->base)
		event_base_free(srv->base);
	control_socket_close(&srv->cs);
}

int server_run(const struct server_config *cfg)
{
	struct server srv = { .cfg = cfg, .exit_code = GICD_EXIT_FAILURE };
	char where[160];
	int rc;

	sg_notice("gicd-server %s starting for VM %s", SG_VERSION, cfg->vm_name);
	/* Peers that vanish must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	rc = control_socket_open(&srv.cs, cfg->control_path);
	if (rc)
		return rc;
	control_socket_describe(&srv.cs, where, sizeof(where));
	if (setup_events(&srv) < 0) {
		sg_err("cannot set up the event loop");
		teardown(&srv);
		return GICD_EXIT_FAILURE;
	}
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
