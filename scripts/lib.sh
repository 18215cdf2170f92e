# Shared by scripts/demo and scripts/test: Debian package bootstrap and builds.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Packages every build needs.
BUILD_PKGS=(meson ninja-build pkg-config gcc libc6-dev libevent-dev libprotobuf-c-dev
	protobuf-c-compiler libsystemd-dev libseccomp-dev check linux-libc-dev-arm64-cross
	systemtap-sdt-dev libjson-c-dev scdoc)

# The systemd tests: systemd-analyze, and `systemd --user` for the units;
# gicctl's --json output is checked against its schemas with python3-jsonschema;
# valgrind runs the daemon's integration tests under memcheck (scripts/test).
TEST_PKGS=(systemd python3-jsonschema valgrind)
# splitgic-vm (Unicorn, libfdt) and the arm64 guest programs it runs: the demo
# and the vm test suite need them.
VM_PKGS=(libunicorn-dev libfdt-dev gcc-aarch64-linux-gnu)
# libFuzzer comes with clang's runtime.
FUZZ_PKGS=(clang libclang-rt-14-dev)
# The arm64 cross build of the agent, run under qemu-user; arm64 libraries
# through Debian multiarch.  The cross compiler also builds the guest programs.
CROSS_PKGS=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross qemu-user
	libprotobuf-c-dev:arm64 check:arm64 libsubunit-dev:arm64)

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# ensure_packages PKG... : installs what is missing when root, else prints the
# exact command and exits.  Packages named foo:arm64 need the arm64 architecture.
ensure_packages() {
	local missing=() need_arm64=0 p
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
		[[ $p == *:arm64 ]] && need_arm64=1
	done
	((${#missing[@]})) || return 0
	if [[ $(id -u) -ne 0 ]]; then
		echo "Missing Debian packages: ${missing[*]}" >&2
		echo "Install them with:" >&2
		if ((need_arm64)) && ! dpkg --print-foreign-architectures | grep -qx arm64; then
			echo "  sudo dpkg --add-architecture arm64 && sudo apt-get update && \\" >&2
			echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		else
			echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		fi
		exit 1
	fi
	if ((need_arm64)) && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi
	echo "Installing missing Debian packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# meson_build DIR [meson setup options...]: configure once (the options only
# apply then; delete DIR to change them), then build.
meson_build() {
	local dir=$1
	shift
	if [[ ! -f $top/$dir/build.ninja ]]; then
		meson setup "$top/$dir" "$top" "$@"
	fi
	ninja -C "$top/$dir"
}

# The libFuzzer build (clang, ASan+UBSan), in $FUZZ_BUILD (default build-fuzz).
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
build_fuzz() {
	if [[ ! -f $top/$FUZZ_BUILD/build.ninja ]]; then
		CC=clang meson setup "$top/$FUZZ_BUILD" "$top" -Dfuzz=true -Dtests=false \
			-Db_sanitize=address,undefined -Db_lundef=false
	fi
	ninja -C "$top/$FUZZ_BUILD"
}

# run_fuzz SECONDS: every libFuzzer target for SECONDS (docs/fuzzing.md).
# Inputs: the committed corpus fuzz/corpus/<target>/ (read only), plus what
# fuzz-seeds writes and earlier runs found in fuzz-corpus/<target>/ (not
# committed; new inputs go there), with the protocol dictionary.  Any crash,
# leak, sanitizer report or hang (-timeout) fails the run: libFuzzer exits
# non-zero and leaves the input in fuzz-corpus/crashes/.  One summary line
# per target: executions/s, edge coverage (cov) and features (ft).
run_fuzz() {
	local seconds=$1 t name corpus log rc failed=0
	mkdir -p "$top/fuzz-corpus/crashes"
	for t in "$top/$FUZZ_BUILD"/fuzz/fuzz-*; do
		name=$(basename "$t")
		[[ -f $t && -x $t && $name != fuzz-seeds ]] || continue
		corpus=$top/fuzz-corpus/$name
		log=$top/fuzz-corpus/$name.log
		mkdir -p "$corpus"
		"$top/$FUZZ_BUILD/fuzz/fuzz-seeds" "$corpus" "$name"
		echo "== fuzzing $name for ${seconds}s"
		rc=0
		UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			"$t" -max_total_time="$seconds" -timeout=25 -detect_leaks=1 -error_exitcode=77 \
			-dict="$top/fuzz/splitgic.dict" -artifact_prefix="$top/fuzz-corpus/crashes/" \
			-print_final_stats=1 "$corpus" "$top/fuzz/corpus/$name" >"$log" 2>&1 || rc=$?
		awk '/^#[0-9]+/ { last = $0 } /^stat::average_exec_per_sec/ { eps = $2 }
			END { match(last, /cov: [0-9]+ ft: [0-9]+/);
			      printf "   %s exec/s, %s\n", eps, substr(last, RSTART, RLENGTH) }' "$log"
		if ((rc != 0)) || grep -qE '^(==[0-9]+==ERROR|SUMMARY: )' "$log"; then
			echo "fuzzing $name failed (exit $rc): $log, inputs in fuzz-corpus/crashes/" >&2
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 >&2
			failed=1
		fi
	done
	return $failed
}

# run_sockfuzz SECONDS: the socket-level fuzzer (fuzz/sockfuzz.c,
# docs/fuzzing.md) against $FUZZ_BUILD's ASan+UBSan daemon: the saved
# regression cases, then SECONDS of new cases from a fresh seed (printed).
# A failing case is saved in fuzz-corpus/crashes/ (with the daemon's log)
# and fails the run.
run_sockfuzz() {
	local seconds=$1
	mkdir -p "$top/fuzz-corpus/crashes"
	echo "== socket-level fuzzing of a running gicd-server for ${seconds}s"
	"$top/$FUZZ_BUILD/fuzz/gicd-sockfuzz" --seconds "$seconds" \
		--regress "$top/tests/fuzz-regress/sockfuzz" \
		--artifacts "$top/fuzz-corpus/crashes" "$top/$FUZZ_BUILD/gicd-server/gicd-server"
}
