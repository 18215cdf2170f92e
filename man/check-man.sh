#!/bin/sh
# The docs suite: every built manual page renders without a groff warning
# (-ww: all warnings) and man(1) formats it.  Arguments: the built pages.
set -u
command -v groff >/dev/null || { echo "groff not installed: skipped"; exit 77; }
status=0
for page in "$@"; do
	out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ $? -ne 0 ] || [ -n "$out" ]; then
		echo "FAIL $page: groff:" >&2
		printf '%s\n' "$out" >&2
		status=1
		continue
	fi
	out=
	if command -v man >/dev/null; then
		out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null)
	fi
	if [ -n "$out" ]; then
		echo "FAIL $page: man:" >&2
		printf '%s\n' "$out" >&2
		status=1
		continue
	fi
	# Every page has the sections a reader looks for.
	for sec in NAME SYNOPSIS DESCRIPTION 'SEE ALSO'; do
		if ! grep -Eq "^\.SH \"?$sec\"?\$" "$page"; then
			echo "FAIL $page: no $sec section" >&2
			status=1
		fi
	done
	echo "ok $page"
done
exit $status
