/* SPDX-License-Identifier: MIT */
/*
 * Running the real gicctl binary ($GICCTL) against a daemon started by the
 * harness, and checking its --json output against gicctl/schema/.
 */
#ifndef GICCTL_TEST_H
#define GICCTL_TEST_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "harness.h"

/* What one gicctl run printed and how it ended. */
struct gicctl_run {
	int exit_code; /* or 128+signal */
	char *out;     /* stdout, NUL-terminated, malloc'd */
	char *err;     /* stderr */
};

/*
 * Runs `gicctl -s <d's control socket> args...` (args NULL-terminated) to
 * completion; ck_asserts that it could be run.  Free with gicctl_run_free().
 */
struct gicctl_run gicctl_run(const struct harness_daemon *d, const char *const *args);
void gicctl_run_free(struct gicctl_run *r);

/* A gicctl running in the background (a stream: gicctl trace); its stdout
 * and stderr go to files, so it never waits for the test to read them. */
struct gicctl_bg {
	pid_t pid;
	char out_path[64];
	char err_path[64];
};

/* Starts `gicctl -s <d's control socket> args...` in the background. */
void gicctl_start(struct gicctl_bg *bg, const struct harness_daemon *d, const char *const *args);
/* What it has printed on stdout so far (malloc'd, NUL-terminated). */
char *gicctl_bg_output(const struct gicctl_bg *bg);
/* Sends sig (0: none) and waits for it to exit; its output and exit code,
 * as gicctl_run() gives them.  Removes the files. */
struct gicctl_run gicctl_wait(struct gicctl_bg *bg, int sig);

/* ck_asserts that json validates against gicctl/schema/<schema>.schema.json
 * (python3-jsonschema), printing every violation otherwise. */
void gicctl_check_schema(const char *json, const char *schema);

/*
 * Runs `gicctl --json args...` (args NULL-terminated, at most 14); ck_asserts
 * that it exits 0 and that what it printed validates against schema and
 * parses.  The document: json_object_put() it.
 */
json_object *gicctl_json(const struct harness_daemon *d, const char *const *args,
			 const char *schema);

/* Member key of object o; ck_asserts that o has one. */
json_object *gicctl_json_get(json_object *o, const char *key);

#endif
