#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu-compare.sh [--boots N] [--seconds S] [--kernel SUITE] [--configs "..."] [--host-load N]
#                 [--scenario stress|robust]:
# the stock-kernel "stress" scenario (two s2test loops and two busy loops
# racing; no VM kept between s2test runs) booted N times per configuration,
# and a table of s2test runs and failures per configuration. With
# --scenario robust, the robust scenario instead (no VM kept between its
# s2test runs), and a table of its tests and failed tests. Tells whether
# the intermittent s2test faults seen under emulation (a host process
# running with a guest's TPIDR_EL0) follow QEMU, its TCG threading, or the
# module's text patching. Configurations:
#   mttcg          this machine's QEMU, multi-threaded TCG (the harness's)
#   single         this machine's QEMU, one TCG thread for all vCPUs
#   trixie         Debian trixie's QEMU (scripts/qemu-suite.sh), multi-threaded
#   <c>+reload     any of these with kvm_s2attr loaded and unloaded in a loop
# --host-load N keeps N busy loops running on this machine meanwhile, so
# that QEMU's vCPU threads are preempted (as when CI shares the cores).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=common.sh
. "$top/scripts/common.sh"
cache_lock

boots=4
secs=60
kernel=bookworm
configs="mttcg single trixie mttcg+reload"
host_load=0
scenario=stress
while [ $# -gt 0 ]; do
	case $1 in
	--boots) boots=${2:?}; shift 2 ;;
	--seconds) secs=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--configs) configs=${2:?}; shift 2 ;;
	--host-load) host_load=${2:?}; shift 2 ;;
	--scenario) scenario=${2:?}; shift 2 ;;
	*) die "usage: qemu-compare.sh [--boots N] [--seconds S] [--kernel SUITE] [--configs \"mttcg single trixie mttcg+reload\"]" ;;
	esac
done
# shellcheck disable=SC1090
. "$("$top/scripts/fetch-kernel.sh" "$kernel")"
bootdir=$top/out/e2e/$KVER-vhe
out=$top/out/qemu-compare
load_pids=()
trap '[ ${#load_pids[@]} = 0 ] || kill "${load_pids[@]}" 2>/dev/null' EXIT
for _ in $(seq 1 "$host_load"); do
	sh -c 'while :; do :; done' &
	load_pids+=($!)
done
mkdir -p "$out"
table=$out/table.txt
case $scenario in
stress) what="stress ${secs}s per boot" unit=s2test ;;
robust) what="robust (no idle VM)" unit=tests ;;
*) die "unknown scenario $scenario (stress or robust)" ;;
esac
echo "# $what on $kernel, $host_load busy loops on the host" | tee -a "$table"
printf '%-20s %5s %7s %7s %7s  %s\n' config boots "$unit" failed 1/1000 "bad boots (KVM_BUG, WARN, ...)" | tee -a "$table"
for cfg in $configs; do
	args=(--kernels "$kernel" --modes vhe --scenarios "$scenario")
	append="e2e_stress_s=$secs"
	case ${cfg%+reload} in
	mttcg) args+=(--tcg multi) ;;
	single) args+=(--tcg single) ;;
	trixie | sid) args+=(--tcg multi --qemu "${cfg%+reload}") ;;
	*) die "unknown configuration $cfg" ;;
	esac
	[ "$cfg" = "${cfg%+reload}" ] || append="$append e2e_stress_reload=1"
	runs=0 failed=0 badboots=""
	for b in $(seq 1 "$boots"); do
		log "qemu-compare: $cfg, boot $b of $boots ($what)"
		bash "$top/tests/e2e/run.sh" "${args[@]}" --append "$append" >"$out/$cfg.$b.log" 2>&1 || true
		cp "$bootdir/tap.raw" "$out/$cfg.$b.tap.raw"
		cp "$bootdir/console.log" "$out/$cfg.$b.console.log"
		# "stress: 60s s2test loop on small (N runs, all passed)" or
		# "... loop on small" with "#   N runs, M failed".
		read -r r f < <(awk -v scenario="$scenario" '
			scenario == "robust" && /^ok / { r++ }
			scenario == "robust" && /^not ok / { r++; f++ }
			scenario == "robust" { next }
			/s2test loop on .*runs, all passed/ { match($0, /\(([0-9]+) runs/); r += substr($0, RSTART + 1, RLENGTH - 6) + 0 }
			/^#   [0-9]+ runs, [0-9]+ failed/ { r += $2; f += $4 }
			END { print r + 0, f + 0 }' "$out/$cfg.$b.tap.raw")
		runs=$((runs + r))
		failed=$((failed + f))
		trouble=$(grep -cE -f "$top/tests/e2e/kernel-trouble.ere" "$out/$cfg.$b.console.log" || true)
		[ "$trouble" = 0 ] || badboots="$badboots $b"
		log "qemu-compare: $cfg boot $b: $r $unit, $f failed, $trouble kernel-trouble lines"
	done
	printf '%-20s %5s %7s %7s %7s  %s\n' "$cfg" "$boots" "$runs" "$failed" \
		"$(awk -v f="$failed" -v r="$runs" 'BEGIN { printf "%.2f", r ? 1000 * f / r : 0 }')" "${badboots:-none}" |
		tee -a "$table"
done
echo "qemu-compare: table in $table, logs in $out"
