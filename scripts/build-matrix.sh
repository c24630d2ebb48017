#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-matrix.sh [NAME...]: build kvm_s2attr.ko for each supported Debian
# arm64 kernel (default: SUITES_ALL, one per release; "flavours" for
# SUITES_FLAVOURS, "all" for both), each in build/<kver>/ with the compiler
# that kernel was built with, check its vermagic, and record the results,
# with the conftest features and the kernel's configuration as far as the
# module cares, in build/matrix.txt. A kernel without what dkms.conf's
# BUILD_EXCLUSIVE_CONFIG asks for is not built, as DKMS would not, and is
# recorded as skipped. Fetches kernels and toolchains into the cache if
# needed.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock
top=$(cd "$(dirname "$0")/.." && pwd)

[ $# -gt 0 ] || set -- "$SUITES_ALL"
suites=
for a in "$@"; do
	case $a in
	all) suites="$suites $SUITES_ALL $SUITES_FLAVOURS" ;;
	flavours) suites="$suites $SUITES_FLAVOURS" ;;
	*) suites="$suites $a" ;;
	esac
done
exclusive=$(sed -n 's/^BUILD_EXCLUSIVE_CONFIG="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$exclusive" ] || die "no BUILD_EXCLUSIVE_CONFIG in $top/dkms.conf"

# kconfig OPTION: its value in the kernel's configuration, "n" if unset.
kconfig() {
	local v
	v=$(sed -n "s/^CONFIG_$1=//p" "$KDIR/.config")
	printf '%s\n' "${v:-n}"
}

results=$top/build/matrix.txt
mkdir -p "$top/build"
: > "$results.tmp"
fail=0
skipped=
for suite in $suites; do
	envfile=$("$top/scripts/fetch-kernel.sh" "$suite")
	# shellcheck disable=SC1090
	. "$envfile"
	# What the module relies on, and what differs between flavours.
	pages=4K
	[ "$(kconfig ARM64_16K_PAGES)" = n ] || pages=16K
	[ "$(kconfig ARM64_64K_PAGES)" = n ] || pages=64K
	withftrace=n
	[ "$(kconfig DYNAMIC_FTRACE_WITH_REGS)" = n ] || withftrace=REGS
	[ "$(kconfig DYNAMIC_FTRACE_WITH_ARGS)" = n ] || withftrace=ARGS
	config="KVM=$(kconfig KVM) VFIO_PCI=$(kconfig VFIO_PCI) KPROBES=$(kconfig KPROBES)"
	config="$config FUNCTION_TRACER=$(kconfig FUNCTION_TRACER) DYNAMIC_FTRACE_WITH=$withftrace"
	config="$config PREEMPT_RT=$(kconfig PREEMPT_RT) pages=$pages"
	config="$config VA_BITS=$(kconfig ARM64_VA_BITS) PGTABLE_LEVELS=$(kconfig PGTABLE_LEVELS)"
	missing=
	for opt in $exclusive; do
		[ "$(kconfig "${opt#CONFIG_}")" != n ] || missing="$missing $opt"
	done
	if [ -n "$missing" ]; then
		printf 'skip %-16s %-26s %-20s not built: no%s (dkms.conf: BUILD_EXCLUSIVE_CONFIG)\n     config: %s\n' \
			"$suite" "$KVER" "$PKGVER" "$missing" "$config" | tee -a "$results.tmp"
		skipped="$skipped $suite"
		continue
	fi
	runner=$("$top/scripts/toolchain.sh" "$suite" "$GCC")
	out=$top/build/$KVER
	rm -rf "$out"
	mkdir -p "$out"
	module_source_copy "$out"
	log "matrix: building for $KVER ($suite, $PKGVER, $GCC)"
	start=$(date +%s.%N)
	if ! "$top/scripts/kbuild.sh" "$suite" "$out" module > "$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		echo "FAIL $suite $KVER: build failed (log: $out/build.log)" | tee -a "$results.tmp"
		fail=1
		continue
	fi
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	if grep -iE '(warning|error):' "$out/build.log" >&2; then
		echo "FAIL $suite $KVER: the build printed warnings (see above)" | tee -a "$results.tmp"
		fail=1
		continue
	fi
	vermagic=$(modinfo -F vermagic "$out/kvm_s2attr.ko")
	case "$vermagic" in
	"$KVER "*) ;;
	*)
		echo "FAIL $suite $KVER: vermagic '$vermagic' does not match" | tee -a "$results.tmp"
		fail=1
		continue;;
	esac
	if [ "$runner" = host ]; then
		ccver=$("aarch64-linux-gnu-$GCC" -dumpfullversion)
	else
		ccver=$(chroot "$runner" "aarch64-linux-gnu-$GCC" -dumpfullversion)
	fi
	features=$(sed -n 's/^#define KVM_S2ATTR_HAVE_\([A-Z0-9_]*\) 1$/\1/p' \
		"$out/kvm_s2attr_config.h" | tr '\n' ' ')
	printf 'ok   %-16s %-26s %-20s %s-%-8s %5.1fs  vermagic "%s"\n     features: %s\n     config: %s\n' \
		"$suite" "$KVER" "$PKGVER" "$GCC" "$ccver" "$secs" "$vermagic" "$features" "$config" |
		tee -a "$results.tmp"
done
mv "$results.tmp" "$results"
[ "$fail" = 0 ] || die "matrix: some kernels failed (see $results)"
[ -z "$skipped" ] || log "matrix: skipped, as DKMS would:$skipped"
log "matrix: all kernels built; cache $CACHE is $(du -sh "$CACHE" | cut -f1)"
