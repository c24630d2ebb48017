# SPDX-License-Identifier: GPL-2.0
# Benchmark (run by scripts/bench.sh under QEMU -icount): stage-2 fault
# cost with the module not loaded ("off"), loaded with an empty list
# ("empty"), with the big device listed ("listed"), and listed with the
# kprobe fallback ("kprobe"). Configurations are interleaved, several
# rounds; each s2bench run reports medians over its VMs. The numbers go out
# as TAP diagnostics; the tests only say that each run completed.
# e2e-blocks: 6
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
KO=/e2e/kvm_s2attr.ko

big=$e2e_dev_big
rounds=${e2e_bench_rounds:-3}
# One TAP block per configuration, one test per round in it, written at
# the end (rounds interleave the configurations).
rm -f /tmp/bench.*.tap
r=1
while [ $r -le "$rounds" ]; do
	for cfg in off empty listed kprobe; do
		case $cfg in
		off) ok=0 ;;
		empty) insmod $KO; ok=$? ;;
		listed) insmod $KO "devices=$big=normal-nc"; ok=$? ;;
		kprobe) insmod $KO "devices=$big=normal-nc" hook=kprobe; ok=$? ;;
		esac
		if [ $ok = 0 ] && /e2e/s2bench "$big" --label $cfg --vms 4 >/tmp/bench.out 2>&1; then
			tap_diag "bench round=$r $(grep s2bench-median /tmp/bench.out)"
			echo "ok $r - bench round $r $cfg" >>/tmp/bench.$cfg.tap
		else
			echo "not ok $r - bench round $r $cfg" >>/tmp/bench.$cfg.tap
			sed 's/^/#   /' /tmp/bench.out >>/tmp/bench.$cfg.tap 2>/dev/null
		fi
		[ $cfg = off ] || rmmod kvm_s2attr
	done
	r=$((r + 1))
done
for cfg in off empty listed kprobe; do
	{
		echo "# e2e-block bench $cfg"
		cat /tmp/bench.$cfg.tap
		echo "1..$rounds"
	} >&3
done
# The chain works and the data is right (the host checks the backing
# files for these runs' pattern; s2bench zeroed what it wrote).
e2e_s2test "bench: stock small" "$e2e_dev_small" --expect kernel-default
e2e_s2test "bench: stock big" "$e2e_dev_big" --expect kernel-default
