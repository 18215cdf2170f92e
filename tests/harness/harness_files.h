/* SPDX-License-Identifier: MIT */
/*
 * File chores shared by the daemon harness (harness.c) and the systemd user
 * manager helper (sd_user.c, gicd_units.c): print a log file to stderr and
 * remove a temporary directory tree.  Header only, without Check, as
 * bench/bench_restart.c builds those files on their own.
 */
#ifndef SPLITGIC_HARNESS_FILES_H
#define SPLITGIC_HARNESS_FILES_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

/* The file at path on stderr, between "---- <what> log (<path>) ----" and
 * "---- end of log ----"; nothing if it cannot be opened. */
static inline void harness_print_log(const char *what, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	fprintf(stderr, "---- %s log (%s) ----\n", what, path);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fprintf(stderr, "---- end of log ----\n");
	fclose(f);
}

static inline int harness_rm_entry_(const char *path, const struct stat *st, int flag,
				    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes dir and everything in it (links not followed); best effort. */
static inline void harness_rm_tree(const char *dir)
{
	nftw(dir, harness_rm_entry_, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
