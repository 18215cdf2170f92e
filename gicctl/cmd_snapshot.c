// SPDX-License-Identifier: MIT
/*
 * gicctl snapshot save|load FILE: the daemon's state for migration
 * (docs/restart.md "Migration").  gicctl opens FILE and passes the fd with
 * the request: the daemon writes (save) or reads (load) through it, with
 * the caller's access to the file, and never opens a path it was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gicctl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gicctl [--json] snapshot save FILE\n"
		   "       gicctl [--json] snapshot load FILE\n\n"
		   "save: writes the attached VM's state to FILE (created 0600, replaced)\n"
		   "load: gives a daemon without a VM the state in FILE; the VM's VMM then\n"
		   "      re-attaches with its resume token\n");
}

static void print_json(const Sg__SnapshotResult *res, const char *file)
{
	json_object *o = json_object_new_object();
	char crc[16];

	snprintf(crc, sizeof(crc), "%08x", res->checksum);
	json_object_object_add(o, "operation",
			       json_object_new_string(res->op == SG__SNAPSHOT_REQUEST__OP__LOAD
							      ? "load"
							      : "save"));
	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "vm", json_object_new_string(res->vm_name ? res->vm_name : ""));
	json_object_object_add(o, "epoch", json_object_new_uint64(res->epoch));
	json_object_object_add(o, "bytes", json_object_new_uint64(res->bytes));
	json_object_object_add(o, "snapshot_bytes", json_object_new_uint64(res->snapshot_bytes));
	json_object_object_add(o, "crc32", json_object_new_string(crc));
	json_object_object_add(o, "vcpus", json_object_new_int64(res->vcpus));
	json_object_object_add(o, "spis", json_object_new_int64(res->spis));
	json_object_object_add(o, "its", json_object_new_int64(res->its));
	gicctl_print_json(o);
}

static void print_text(const Sg__SnapshotResult *res, const char *file)
{
	bool load = res->op == SG__SNAPSHOT_REQUEST__OP__LOAD;

	printf("%s VM %s (epoch %llu: %u vCPUs, %u SPIs, %u ITS) %s %s\n",
	       load ? "loaded" : "saved", res->vm_name ? res->vm_name : "",
	       (unsigned long long)res->epoch, res->vcpus, res->spis, res->its,
	       load ? "from" : "to", file);
	if (load)
		printf("%llu bytes, crc32 %08x; the daemon waits for the VM's VMM to re-attach "
		       "with its resume token\n",
		       (unsigned long long)res->bytes, res->checksum);
	else
		printf("%llu bytes (snapshot %llu bytes), crc32 %08x\n",
		       (unsigned long long)res->bytes, (unsigned long long)res->snapshot_bytes,
		       res->checksum);
}

int cmd_snapshot(struct gicctl *g, int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	Sg__AdminRequest req = SG__ADMIN_REQUEST__INIT;
	Sg__SnapshotRequest sr = SG__SNAPSHOT_REQUEST__INIT;
	const Sg__SnapshotResult *res = NULL;
	const Sg__AdminReply *r;
	const char *file;
	struct stat st;
	bool save, regular;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return GICCTL_EXIT_OK;
		}
		usage(stderr);
		return GICCTL_EXIT_USAGE;
	}
	if (argc - optind != 2 ||
	    (strcmp(argv[optind], "save") != 0 && strcmp(argv[optind], "load") != 0)) {
		usage(stderr);
		return GICCTL_EXIT_USAGE;
	}
	save = strcmp(argv[optind], "save") == 0;
	file = argv[optind + 1];
	fd = save ? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
		  : open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gicctl_fail(GICCTL_EXIT_ERROR, "cannot open %s: %s", file, strerror(errno));
	/* Only a regular file is removed again if the save fails. */
	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	sr.op = save ? SG__SNAPSHOT_REQUEST__OP__SAVE : SG__SNAPSHOT_REQUEST__OP__LOAD;
	req.req_case = SG__ADMIN_REQUEST__REQ_SNAPSHOT;
	req.snapshot = &sr;
	rc = gicctl_request(g, &req, &fd, 1);
	close(fd);
	while (rc == 0 && (r = gicctl_next_reply(g, &rc)))
		if (r->rep_case == SG__ADMIN_REPLY__REP_SNAPSHOT && !res)
			res = r->snapshot; /* the last reply: valid until the next call */
	if (rc == 0 && !res)
		rc = gicctl_fail(GICCTL_EXIT_ERROR, "the daemon sent no snapshot result");
	if (rc) {
		/* Emptied or half written: not a file anyone should load. */
		if (save && regular)
			unlink(file);
		return rc;
	}
	if (g->json)
		print_json(res, file);
	else
		print_text(res, file);
	return GICCTL_EXIT_OK;
}
