// SPDX-License-Identifier: MIT
#include "gicd_units.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness_files.h"

/* Only what a private user manager needs differently, each said why. */
static const char dropin_common[] =
	"[Service]\n"
	"# No journal behind a private user manager: the daemon's log goes to a\n"
	"# file (printed when a test fails).\n"
	"StandardError=append:%t/gicd-server-%i.log\n"
	"# A sanitizer build's leak check at exit ptrace()s the process, which\n"
	"# SystemCallFilter=~@debug forbids: every clean exit would fail.  Leaks\n"
	"# are checked by the tests that run the daemon outside systemd.\n"
	"Environment=ASAN_OPTIONS=detect_leaks=0\n";

static const char dropin_no_inaccessible[] =
	"# These mount the manager's \"inaccessible\" nodes over what they hide,\n"
	"# and a user manager takes them from /run/systemd/inaccessible/, which\n"
	"# only systemd running as PID 1 creates at boot.  On a host whose PID 1\n"
	"# is something else they fail with 226/NAMESPACE; a tmpfs hides the\n"
	"# home directories just as well.\n"
	"ProtectHome=tmpfs\n"
	"ProtectKernelTunables=no\n"
	"ProtectKernelLogs=no\n";

int gicd_units_install(struct sd_user *m, const char *service_unit, const char *socket_unit,
		       const char *vm, char *why, size_t whylen)
{
	char dropin[2048], unit[128], out[4096];
	int rc;

	if (sd_user_install(m, service_unit, "gicd-server@.service") < 0 ||
	    sd_user_install(m, socket_unit, "gicd-server@.socket") < 0) {
		snprintf(why, whylen, "cannot copy %s and %s", service_unit, socket_unit);
		return -1;
	}
	snprintf(dropin, sizeof(dropin), "%s%s", dropin_common,
		 access("/run/systemd/inaccessible", F_OK) == 0 ? "" : dropin_no_inaccessible);
	if (sd_user_write(m, "gicd-server@.service.d/user-manager.conf", dropin) < 0) {
		snprintf(why, whylen, "cannot write the drop-in");
		return -1;
	}
	rc = sd_user_ctl(m, out, sizeof(out), "daemon-reload", (char *)NULL);
	if (rc == 0) {
		snprintf(unit, sizeof(unit), "gicd-server@%s.socket", vm);
		rc = sd_user_ctl(m, out, sizeof(out), "start", unit, (char *)NULL);
	}
	if (rc != 0) {
		snprintf(why, whylen, "systemctl --user (%d): %s", rc, out);
		return -1;
	}
	return 0;
}

void gicd_units_control_path(const struct sd_user *m, const char *vm, char *path, size_t cap)
{
	snprintf(path, cap, "%s/splitgic/%s.control", m->runtime_dir, vm);
}

void gicd_units_dump_log(const struct sd_user *m, const char *vm)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/gicd-server-%s.log", m->runtime_dir, vm);
	harness_print_log("gicd-server", path);
}
