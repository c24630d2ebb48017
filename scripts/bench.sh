#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh [--check] [SUITE...]: the stage-2 fault cost of kvm_s2attr, per
# kernel.
#
# Boots each kernel (VHE) under QEMU -icount shift=0,sleep=off, where the
# emulated clock counts instructions, and runs the "bench" e2e scenario:
# configurations off / empty / listed / floor / kprobe interleaved over several
# rounds, each an s2bench run (4096 RAM and 4096 BAR page faults per VM,
# medians over 3 VMs after a warm-up). Prints, per kernel and
# configuration, the median over rounds, the spread (min-max) and the
# ratio to "off"; also written to build/bench.txt. First, the user-space
# micro-benchmark of the BAR-range lookup (build/bench-lookup.txt).
# The "apply" configuration gives the stall of a live application per BAR
# (sysfs write and the guest's re-faults), tabulated after the fault costs.
# BENCH_ROUNDS: rounds per kernel (default 3); BENCH_CONFIGS: the
# configurations, comma separated (default all); BENCH_APPLY_ROUNDS: the
# rounds "apply" runs in (default all); BENCH_JOBS: kernels booted at
# once (default 2). Under -icount each boot is one host thread, and its
# figures are instructions, which the other boot does not change.
# --check: then hold each kernel's figures to tests/bench/thresholds (RAM
# and BAR fault ratios, stall per page, as in the tables); any over its
# limit, or missing, fails (exit 1), the table saying which
# (build/bench-check.txt).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
cache_lock

check=
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
suites=${*:-$SUITES_ALL}
rounds=${BENCH_ROUNDS:-3}
configs=${BENCH_CONFIGS:-off,empty,listed,floor,kprobe,apply}
apply_rounds=${BENCH_APPLY_ROUNDS:-$rounds}
jobs=${BENCH_JOBS:-2}
[[ $jobs =~ ^[1-4]$ ]] || die "bench: BENCH_JOBS must be 1-4, not '$jobs'"
[[ $rounds =~ ^[1-9][0-9]?$ ]] || die "bench: BENCH_ROUNDS must be 1-99, not '$rounds'"
[[ $apply_rounds =~ ^[1-9][0-9]?$ ]] || die "bench: BENCH_APPLY_ROUNDS must be 1-99, not '$apply_rounds'"
[[ ,$configs, =~ ^(,(off|empty|listed|floor|kprobe|apply))+,$ ]] ||
	die "bench: BENCH_CONFIGS: a comma-separated list of off, empty, listed, floor, kprobe, apply, not '$configs'"
mkdir -p "$top/build"

# The BAR-range lookup the hook runs, in user space (host CPU).
cc -O2 -Wall -I"$top/src" -o "$top/build/lookup_bench" \
	"$top/tests/bench/lookup_bench.c" "$top/src/bar_table.c"
echo "BAR-range lookup, user space on this host, 6 BARs per device:" |
	tee "$top/build/bench-lookup.txt"
"$top/build/lookup_bench" | tee -a "$top/build/bench-lookup.txt"
# BENCH_REPORT_ONLY=1: tabulate the last run again without booting.
if [ -z "${BENCH_REPORT_ONLY:-}" ]; then
	"$top/tests/e2e/run.sh" --kernels "$suites" --modes vhe --scenarios bench \
		--icount --jobs "$jobs" --timeout 900 --append "e2e_bench_rounds=$rounds e2e_bench_apply_rounds=$apply_rounds e2e_bench_configs=$configs" \
		>"$top/build/bench-e2e.log" 2>&1 || {
		grep -E '^not ok|^# ----' "$top/build/bench-e2e.log" >&2 || true
		die "bench: the benchmark run failed (log: build/bench-e2e.log)"
	}
fi

# awk helpers of both reports: field("name") of a "name=value" line;
# med("v1 v2 ...") the median, setting lo and hi to the extremes.
# shellcheck disable=SC2016 # awk code, not shell
awk_lib='
function field(name,   i, kv) {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == name)
			return kv[2]
	}
}
function med(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

report() {
	local kver=$1 tap=$top/out/e2e/$1-vhe/tap.raw
	grep -h 's2bench-median' "$tap" | awk -v kver="$kver" '
	'"$awk_lib"'
	{
		l = field("label")
		if (l ~ /^apply/)
			next
		if (!(l in seen)) { order[++nl] = l; seen[l] = 1 }
		ram[l] = ram[l] " " field("ram"); bar[l] = bar[l] " " field("bar")
		slot[l] = slot[l] " " field("slot"); rounds[l]++
	}
	END {
		printf "%-22s %-7s %6s  %-26s %-26s %-26s\n", kver, "config", "rounds",
		       "RAM fault (insns, ratio)", "BAR fault (insns, ratio)",
		       "BAR slot setup (insns, ratio)"
		for (i = 1; i <= nl; i++) {
			l = order[i]
			r = med(ram[l]); rl = lo; rh = hi
			b = med(bar[l]); bl = lo; bh = hi
			s = med(slot[l])
			if (l == "off") { r0 = r; b0 = b; s0 = s }
			printf "%-22s %-7s %6d  %7.1f [%5.0f-%5.0f] %5.3f  %7.1f [%5.0f-%5.0f] %5.3f  %9.0f %5.3f\n",
			       "", l, rounds[l], r, rl, rh, r0 ? r / r0 : 0, b, bl, bh,
			       b0 ? b / b0 : 0, s, s0 ? s / s0 : 0
		}
	}'
}

# apply_report KVER: the stall of a live application (the "apply" config):
# per BAR, the median over rounds of each round's median write and stall.
apply_report() {
	local kver=$1 tap=$top/out/e2e/$1-vhe/tap.raw
	# None when BENCH_CONFIGS has no apply: an empty table.
	{ grep -h 's2bench-apply-median' "$tap" || true; } | awk -v kver="$kver" '
	'"$awk_lib"'
	{
		l = field("label")
		if (!(l in seen)) { order[++nl] = l; seen[l] = 1 }
		w[l] = w[l] " " field("write"); s[l] = s[l] " " field("stall")
		pages[l] = field("pages"); rounds[l]++
	}
	END {
		printf "%-22s %-12s %6s %6s  %-28s %-28s %s\n", kver, "BAR", "pages",
		       "rounds", "sysfs write (insns)", "guest stall (insns)",
		       "stall per page"
		for (i = 1; i <= nl; i++) {
			l = order[i]
			wm = med(w[l]); wl = lo; wh = hi
			sm = med(s[l]); sl = lo; sh = hi
			printf "%-22s %-12s %6d %6d  %9.0f [%7.0f-%7.0f] %9.0f [%7.0f-%7.0f] %7.0f\n",
			       "", l, pages[l], rounds[l], wm, wl, wh, sm, sl, sh,
			       pages[l] ? sm / pages[l] : 0
		}
	}'
}

# each_kernel FUNCTION: FUNCTION KVER for every suite benchmarked.
each_kernel() {
	local suite
	for suite in $suites; do
		# shellcheck disable=SC1090
		. "$("$top/scripts/fetch-kernel.sh" "$suite")"
		"$1" "$KVER"
	done
}

{
	echo "kvm_s2attr stage-2 fault cost under QEMU -icount (1 ns = 1 instruction); VHE"
	echo "off: module not loaded; empty: loaded, nothing listed; listed: the BAR's device"
	echo "listed normal-nc (ftrace hook); floor: listed, a build whose ftrace callback"
	echo "returns at once; kprobe: listed, hook=kprobe (the fallback)"
	each_kernel report
	echo
	echo "The stall of a live application (sysfs add, device <-> normal-nc), every"
	echo "page of the BAR but one mapped by one VM with 4 KiB pages: the write's"
	echo "duration, and the extra time of the guest's next pass over those pages"
	each_kernel apply_report
} | tee "$top/build/bench.txt"

[ -n "$check" ] || exit 0

# limits KVER: the thresholds line of KVER's series (5.10, 6.12, ...).
limits() {
	local series
	series=$(sed -n 's/^\([0-9]*\.[0-9]*\)[.+-].*/\1/p' <<<"$1")
	awk -v s="$series" '$1 == s { print; f = 1 } END { exit !f }' "$top/tests/bench/thresholds" ||
		die "bench: no line for series '$series' (kernel $1) in tests/bench/thresholds"
}

# check_kernel KVER: one line per figure, "ok" or "FAIL", against its limit.
check_kernel() {
	local kver=$1 tap=$top/out/e2e/$1-vhe/tap.raw
	grep -h 's2bench-.*median' "$tap" | awk -v kver="$kver" -v lim="$(limits "$kver")" \
		-v rounds="$rounds" -v arounds="$apply_rounds" '
	'"$awk_lib"'
	function verdict(what, got, max) {
		if (got == "" || got + 0 > max + 0) { bad++; v = "FAIL" } else v = "ok"
		printf "%-4s %-22s %-34s %10s  limit %s\n", v, kver, what, got == "" ? "missing" : got, max
	}
	function counted(l, want) {
		if (runs[l] + 0 != want) {
			bad++
			printf "FAIL %-22s %s: %d runs reported, %d asked for\n", kver, l, runs[l], want
		}
	}
	/s2bench-median/ {
		l = field("label"); ram[l] = ram[l] " " field("ram"); bar[l] = bar[l] " " field("bar")
		if (l !~ /^apply/)
			runs[l]++
	}
	/s2bench-apply-median/ {
		l = field("label"); pages[l] = field("pages")
		stall[l] = stall[l] " " field("stall"); runs[l]++
	}
	END {
		counted("off", rounds); counted("empty", rounds); counted("listed", rounds)
		counted("apply-small", arounds); counted("apply-big", arounds)
		split(lim, L, /[ \t]+/)
		# The figures of the table above: medians over rounds.
		off = med(ram["off"]); boff = med(bar["off"])
		verdict("RAM fault, empty / off", off ? sprintf("%.3f", med(ram["empty"]) / off) : "", L[2])
		verdict("RAM fault, listed / off", off ? sprintf("%.3f", med(ram["listed"]) / off) : "", L[2])
		if (L[3] == "-") {
			if (boff != 0) { bad++; printf "FAIL %-22s BAR faults seen (%s), the limits say none\n", kver, boff }
		} else
			verdict("BAR fault, listed / off", boff ? sprintf("%.3f", med(bar["listed"]) / boff) : "", L[3])
		verdict("stall per page, small BAR", pages["apply-small"] ? sprintf("%.0f", med(stall["apply-small"]) / pages["apply-small"]) : "", L[4])
		verdict("stall per page, big BAR", pages["apply-big"] ? sprintf("%.0f", med(stall["apply-big"]) / pages["apply-big"]) : "", L[4])
		exit bad > 0
	}'
}

for c in off empty listed apply; do
	[[ ,$configs, == *,$c,* ]] || die "bench: --check needs the configuration $c (BENCH_CONFIGS: $configs)"
done
fail=0
: >"$top/build/bench-check.txt"
for suite in $suites; do
	# shellcheck disable=SC1090
	. "$("$top/scripts/fetch-kernel.sh" "$suite")"
	check_kernel "$KVER" | tee -a "$top/build/bench-check.txt" || fail=1
done
if [ $fail != 0 ]; then
	echo "bench: over a limit of tests/bench/thresholds (build/bench-check.txt)" >&2
	exit 1
fi
echo "bench: every figure within tests/bench/thresholds"
