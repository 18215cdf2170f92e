// SPDX-License-Identifier: MIT
#include "gicctl_test.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Appends what fd has to *buf (grown as needed); false at EOF. */
static bool drain_fd(int fd, char **buf, size_t *len, size_t *cap)
{
	ssize_t n;

	if (*cap - *len < 4096) {
		*cap = *cap * 2 + 4096;
		*buf = realloc(*buf, *cap);
		ck_assert_ptr_nonnull(*buf);
	}
	n = read(fd, *buf + *len, *cap - *len - 1);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return true;
}

struct gicctl_run gicctl_run(const struct harness_daemon *d, const char *const *args)
{
	const char *bin = getenv("GICCTL");
	struct gicctl_run r = { 0 };
	size_t olen = 0, ocap = 0, elen = 0, ecap = 0;
	int out[2], err[2], status;
	struct pollfd p[2];
	pid_t pid;

	ck_assert_msg(bin, "GICCTL is not set (run the tests with meson test)");
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *argv[64] = { bin, "-s", d->control_path };
		unsigned n = 3;

		for (unsigned i = 0; args && args[i] && n < 63; i++)
			argv[n++] = args[i];
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	r.out = calloc(1, 1);
	r.err = calloc(1, 1);
	p[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			ck_assert_int_eq(errno, EINTR);
			continue;
		}
		if (p[0].revents && !drain_fd(out[0], &r.out, &olen, &ocap))
			p[0].fd = -1;
		if (p[1].revents && !drain_fd(err[0], &r.err, &elen, &ecap))
			p[1].fd = -1;
	}
	close(out[0]);
	close(err[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

void gicctl_run_free(struct gicctl_run *r)
{
	free(r->out);
	free(r->err);
	*r = (struct gicctl_run){ 0 };
}

void gicctl_check_schema(const char *json, const char *schema)
{
	const char *dir = getenv("GICCTL_SCHEMA_DIR"), *validator = getenv("GICCTL_VALIDATE");
	char doc[] = "/tmp/gicctl-json-XXXXXX", schema_path[512], cmd[1200], msg[4096] = "";
	size_t used = 0;
	FILE *f, *p;
	int fd, status;

	ck_assert_msg(dir && validator, "GICCTL_SCHEMA_DIR/GICCTL_VALIDATE not set");
	fd = mkstemp(doc);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(json, f);
	fclose(f);
	snprintf(schema_path, sizeof(schema_path), "%s/%s.schema.json", dir, schema);
	snprintf(cmd, sizeof(cmd), "%s %s %s 2>&1", validator, schema_path, doc);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (used < sizeof(msg) - 1 && fgets(msg + used, (int)(sizeof(msg) - used), p))
		used = strlen(msg);
	status = pclose(p);
	unlink(doc);
	ck_assert_msg(
		WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"gicctl --json output does not match %s.schema.json:\n%s\n--- document:\n%.2000s",
		schema, msg, json);
}

/* ------------------------------------------------ gicctl in the background */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 4096, n;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	buf[0] = '\0';
	if (!f)
		return buf;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

void gicctl_start(struct gicctl_bg *bg, const struct harness_daemon *d, const char *const *args)
{
	const char *bin = getenv("GICCTL");
	int out, err;

	ck_assert_msg(bin, "GICCTL is not set (run the tests with meson test)");
	snprintf(bg->out_path, sizeof(bg->out_path), "/tmp/gicctl-out-XXXXXX");
	snprintf(bg->err_path, sizeof(bg->err_path), "/tmp/gicctl-err-XXXXXX");
	out = mkstemp(bg->out_path);
	err = mkstemp(bg->err_path);
	ck_assert_int_ge(out, 0);
	ck_assert_int_ge(err, 0);
	bg->pid = fork();
	ck_assert_int_ge(bg->pid, 0);
	if (bg->pid == 0) {
		const char *argv[64] = { bin, "-s", d->control_path };
		unsigned n = 3;

		for (unsigned i = 0; args && args[i] && n < 63; i++)
			argv[n++] = args[i];
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(out);
	close(err);
}

char *gicctl_bg_output(const struct gicctl_bg *bg)
{
	return slurp(bg->out_path);
}

struct gicctl_run gicctl_wait(struct gicctl_bg *bg, int sig)
{
	struct gicctl_run r = { 0 };
	int status;

	if (sig)
		ck_assert_int_eq(kill(bg->pid, sig), 0);
	ck_assert_int_eq(waitpid(bg->pid, &status, 0), bg->pid);
	r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r.out = slurp(bg->out_path);
	r.err = slurp(bg->err_path);
	unlink(bg->out_path);
	unlink(bg->err_path);
	bg->pid = 0;
	return r;
}

json_object *gicctl_json(const struct harness_daemon *d, const char *const *args,
			 const char *schema)
{
	const char *argv[16] = { "--json" };
	struct gicctl_run r;
	json_object *doc;
	unsigned n = 1;

	for (unsigned i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	r = gicctl_run(d, argv);
	ck_assert_msg(r.exit_code == 0, "gicctl --json %s: exit %d: %s", args[0], r.exit_code,
		      r.err);
	gicctl_check_schema(r.out, schema);
	doc = json_tokener_parse(r.out);
	ck_assert_msg(doc, "gicctl --json %s printed no JSON: %s", args[0], r.out);
	gicctl_run_free(&r);
	return doc;
}

json_object *gicctl_json_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in %.500s", key,
		      json_object_to_json_string(o));
	return v;
}
