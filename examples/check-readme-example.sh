#!/bin/sh
# The docs suite: the C block README.md shows under "Integrating a VMM"
# (the first ```c block after the line <!-- examples/vmm_integration.c -->)
# is examples/vmm_integration.c, byte for byte.  Arguments: README, file.
set -eu
readme=$1 example=$2
shown=$(awk '
	/<!-- examples\/vmm_integration.c -->/ { armed = 1; next }
	armed && !inblock && /^```c$/ { inblock = 1; next }
	inblock && /^```$/ { exit }
	inblock { print }
' "$readme")
if [ -z "$shown" ]; then
	echo "README.md shows no examples/vmm_integration.c block" >&2
	exit 1
fi
if ! printf '%s\n' "$shown" | diff -u "$example" - >&2; then
	echo "README.md's example differs from $example (above): copy the file into README.md" >&2
	exit 1
fi
echo "ok: README.md shows $example"
