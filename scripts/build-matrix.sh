#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-matrix.sh [SUITE...]: build kvm_s2attr.ko for each supported Debian
# arm64 kernel (default: all), each in build/<kver>/ with the compiler that
# kernel was built with, check its vermagic, and record the results in
# build/matrix.txt. Fetches kernels and toolchains into the cache if needed.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock
top=$(cd "$(dirname "$0")/.." && pwd)

suites=${*:-$SUITES_ALL}
results=$top/build/matrix.txt
mkdir -p "$top/build"
: > "$results.tmp"
fail=0
for suite in $suites; do
	envfile=$("$top/scripts/fetch-kernel.sh" "$suite")
	# shellcheck disable=SC1090
	. "$envfile"
	runner=$("$top/scripts/toolchain.sh" "$suite" "$GCC")
	out=$top/build/$KVER
	rm -rf "$out"
	mkdir -p "$out"
	cp -a "$top/Kbuild" "$top/Makefile" "$top/src" "$top/scripts" "$out/"
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
	printf 'ok   %-9s %-22s %-12s %s-%-8s %5.1fs  vermagic "%s"\n     features: %s\n' \
		"$suite" "$KVER" "$PKGVER" "$GCC" "$ccver" "$secs" "$vermagic" "$features" |
		tee -a "$results.tmp"
done
mv "$results.tmp" "$results"
[ "$fail" = 0 ] || die "matrix: some kernels failed (see $results)"
log "matrix: all kernels built; cache $CACHE is $(du -sh "$CACHE" | cut -f1)"
