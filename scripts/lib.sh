# Shared by scripts/demo and scripts/test: Debian package bootstrap and builds.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Packages every build needs.
BUILD_PKGS=(meson ninja-build pkg-config gcc libc6-dev libevent-dev libprotobuf-c-dev
	protobuf-c-compiler libsystemd-dev libseccomp-dev check linux-libc-dev-arm64-cross)

# The systemd tests: systemd-analyze, and `systemd --user` for the units.
TEST_PKGS=(systemd)
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

# The libFuzzer build (clang, ASan+UBSan), in build-fuzz.
build_fuzz() {
	if [[ ! -f $top/build-fuzz/build.ninja ]]; then
		CC=clang meson setup "$top/build-fuzz" "$top" -Dfuzz=true -Dtests=false \
			-Db_sanitize=address,undefined -Db_lundef=false
	fi
	ninja -C "$top/build-fuzz"
}

# run_fuzz SECONDS: every target for SECONDS from the seed corpus and what
# earlier runs found; a crash fails the run.
run_fuzz() {
	local seconds=$1 t corpus
	mkdir -p "$top/fuzz-corpus/crashes"
	for t in "$top"/build-fuzz/fuzz/fuzz-*; do
		[[ -f $t && -x $t && $(basename "$t") != fuzz-seeds ]] || continue
		corpus=$top/fuzz-corpus/$(basename "$t")
		mkdir -p "$corpus"
		"$top/build-fuzz/fuzz/fuzz-seeds" "$corpus"
		echo "== fuzzing $(basename "$t") for ${seconds}s"
		UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1 "$t" -max_total_time="$seconds" \
			-artifact_prefix="$top/fuzz-corpus/crashes/" -print_final_stats=1 \
			"$corpus" 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss)|^#[0-9]+ +DONE|ERROR|SUMMARY' || true
		if ls "$top"/fuzz-corpus/crashes/crash-* "$top"/fuzz-corpus/crashes/leak-* >/dev/null 2>&1; then
			echo "fuzzing found a crash: see fuzz-corpus/crashes/" >&2
			return 1
		fi
	done
}
