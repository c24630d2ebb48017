#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh ("make demo"): show kvm-s2attr at work, on a Debian 12 amd64
# machine (root), in QEMU: Debian's arm64 kernel (bookworm 6.1
# by default, DEMO_SUITE=bullseye|bookworm|trixie|sid) boots with KVM
# inside, an ivshmem device is passed through vfio-pci to a KVM guest, and
# the stage-2 descriptors of its BAR are read back before and after
# "kvm-s2attr set <BDF> normal-nc", with the guest's accesses checked.
#
# Reuses the project's machinery: scripts/fetch-kernel.sh,
# scripts/build-matrix.sh (one suite) and tests/e2e/run.sh with the "demo"
# scenario (tests/e2e/scenarios/demo.sh). Downloads are cached under
# /var/cache/kvm-s2attr. Waits if another e2e run holds the QEMU lock.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$top/scripts/common.sh"
cache_lock
suite=${DEMO_SUITE:-bookworm}
case " $SUITES_ALL " in *" $suite "*) ;; *) die "DEMO_SUITE=$suite: one of $SUITES_ALL" ;; esac
step=0
steps=5
say() { step=$((step + 1)); printf '\n[%d/%d] %s\n' "$step" "$steps" "$*"; }

say "checking this host"
# The same host packages and checks as make check and CI.
"$top/scripts/host-setup.sh" 2>&1 | sed 's/^/    /'
echo "    ok: $(uname -m), $(nproc) cores, QEMU $(qemu-system-aarch64 --version | head -n 1 | awk '{ print $4 }')"

say "fetching Debian $suite's arm64 kernel (cached after the first time)"
envfile=$("$top/scripts/fetch-kernel.sh" "$suite")
# shellcheck disable=SC1090
. "$envfile"
echo "    $KVER ($PKGVER), built with $GCC"

say "building kvm_s2attr.ko for $KVER"
ko=$top/build/$KVER/kvm_s2attr.ko
mkdir -p "$top/build"
if [ ! -f "$ko" ] ||
	[ -n "$(find "$top/src" "$top/Kbuild" "$top/Makefile" "$top/VERSION" -newer "$ko" -print -quit)" ]; then
	"$top/scripts/build-matrix.sh" "$suite" >"$top/build/demo-build.log" 2>&1 ||
		{ tail -n 20 "$top/build/demo-build.log"; die "build failed, see build/demo-build.log"; }
fi
echo "    $ko: vermagic \"$(modinfo -F vermagic "$ko")\""

say "booting $KVER in QEMU (KVM inside, ivshmem through vfio-pci): before, set, after"
log=$top/build/demo-run.log
dir=$top/out/e2e/$KVER-vhe
# Results of an earlier demo must not pass for this one.
rm -rf "$dir"
t0=$(date +%s)
last=
while :; do
	bash "$top/tests/e2e/run.sh" --kernels "$suite" --modes vhe --scenarios demo >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if grep -q "another tests/e2e/run.sh is running" "$log" 2>/dev/null; then
			cur="waiting for another e2e run to finish"
		else
			cur=
			[ -z "$(find "$dir/console.log" -newer "$log" 2>/dev/null)" ] ||
				cur=$(grep -ahE '^e2e: ' "$dir/console.log" | tail -n 1 | cut -c1-70 || true)
			[ -n "$cur" ] || cur=$(grep -aE '^\[' "$log" | tail -n 1 | cut -c12-80 || true)
		fi
		if [ "$cur" != "$last" ]; then
			printf '    %4ss  %s\n' "$(($(date +%s) - t0))" "$cur"
			last=$cur
		fi
	done
	rc=0
	wait "$pid" || rc=$?
	grep -q "another tests/e2e/run.sh is running" "$log" || break
	sleep 10
done

say "results"
raw=$dir/tap.raw
[ -f "$raw" ] || { tail -n 5 "$log" | sed "s/^/    /"; die "no results in $dir (see $log)"; }
# block NAME: "<ok>/<total>" of the TAP block NAME in the guest's TAP.
block() {
	awk -v b="# e2e-block $1" '
		$0 == b { on = 1; next }
		/^# e2e-block / { on = 0 }
		on && /^ok / { ok++; n++ }
		on && /^not ok / { n++ }
		END { printf "%d/%d", ok, n }' "$raw"
}
# map NAME FIELD: a field of the block's s2test-map line.
map() {
	awk -v b="# e2e-block $1" -v f="$2" '
		$0 == b { on = 1; next }
		/^# e2e-block / { on = 0 }
		on && /^# s2test-map / {
			for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] }
		}' "$raw"
}
pretty() {
	case $1 in
	device-ngnre) echo Device-nGnRE ;;
	normal-nc) echo Normal-NC ;;
	*) echo "${1:-?}" ;;
	esac
}
bdf=$(map "demo: before" dev)
echo "    device $bdf (ivshmem, 1 MiB BAR2) in a KVM guest on $KVER, VHE:"
grep -a '^# demo-out ' "$raw" | sed 's/^# demo-out /      /'
echo
printf '    %-38s %-20s %-14s %s\n' "" "stage 2 (read back)" "entries" "guest accesses (s2test)"
for b in before after unlisted; do
	case $b in
	before) label="$bdf before (stock kernel)" ;;
	after) label="$bdf after 'set ... normal-nc'" ;;
	unlisted) label="$(map "demo: $b" dev) unlisted, after" ;;
	esac
	l2=$(map "demo: $b" L2)
	l3=$(map "demo: $b" L3)
	printf '    %-38s %-20s %-14s %s\n' "$label" "$(pretty "$(map "demo: $b" seen)")" \
		"L2=${l2:-?} L3=${l3:-?}" "$(block "demo: $b") checks ok"
done
echo
echo "    full TAP: out/e2e/runs/latest.tap; console: $dir/console.log; $(grep -c '^not ok' "$top/out/e2e/runs/latest.tap" || true) failed"
[ "$rc" = 0 ] || die "the demo run failed (exit $rc): see $log"
echo "    demo done in $(($(date +%s) - t0))s"
