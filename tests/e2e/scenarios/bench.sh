# SPDX-License-Identifier: GPL-2.0
# Benchmark (run by scripts/bench.sh under QEMU -icount): stage-2 fault
# cost with the module not loaded ("off"), loaded with an empty list
# ("empty"), with the big device listed ("listed"), and listed with the
# kprobe fallback ("kprobe"). Configurations are interleaved, several
# rounds; each s2bench run reports medians over its VMs. The numbers go out
# as TAP diagnostics; the tests only say that each run completed.
# "apply": the stall of a live application, for the small (1 MiB) and the
# big (64 MiB) BAR, every page of each touched: both devices listed
# normal-nc, each VM's BAR flipped to device and back through sysfs "add".
# Its runs also fail if a write stalled the guest less than half a
# stage-2 fault (of RAM) per page (s2bench): the application then dropped
# no mappings.
# e2e-blocks: 7
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
KO=/e2e/kvm_s2attr.ko

small=$e2e_dev_small
big=$e2e_dev_big
rounds=${e2e_bench_rounds:-3}
sysfs_add=/sys/kernel/kvm_s2attr/add

# bench_apply BDF PAGES LABEL: the apply stall for one BAR (its pages but
# the first, which the skewed slot leaves out), both directions.
bench_apply() {
	/e2e/s2bench "$1" --label "apply-$3" --vms 4 --ram-pages 256 \
		--bar-pages "$2" --apply "$sysfs_add=$1 device" \
		--apply "$sysfs_add=$1 normal-nc" >>/tmp/bench.out 2>&1
}

# One TAP block per configuration, one test per round in it, written at
# the end (rounds interleave the configurations).
rm -f /tmp/bench.*.tap
r=1
while [ $r -le "$rounds" ]; do
	for cfg in off empty listed kprobe apply; do
		: >/tmp/bench.out
		case $cfg in
		off) ok=0 ;;
		empty) insmod $KO; ok=$? ;;
		listed) insmod $KO "devices=$big=normal-nc"; ok=$? ;;
		kprobe) insmod $KO "devices=$big=normal-nc" hook=kprobe; ok=$? ;;
		apply) insmod $KO "devices=$small=normal-nc,$big=normal-nc"; ok=$? ;;
		esac
		if [ $ok != 0 ]; then
			:
		elif [ $cfg = apply ]; then
			bench_apply "$small" 255 small &&
				bench_apply "$big" 16383 big
			ok=$?
		else
			/e2e/s2bench "$big" --label $cfg --vms 4 >/tmp/bench.out 2>&1
			ok=$?
		fi
		if [ $ok = 0 ]; then
			sed -n "s/^s2bench.*median .*/# bench round=$r &/p" /tmp/bench.out >&3
			echo "ok $r - bench round $r $cfg" >>/tmp/bench.$cfg.tap
		else
			echo "not ok $r - bench round $r $cfg" >>/tmp/bench.$cfg.tap
			sed 's/^/#   /' /tmp/bench.out >>/tmp/bench.$cfg.tap
		fi
		[ $cfg = off ] || rmmod kvm_s2attr
	done
	r=$((r + 1))
done
for cfg in off empty listed kprobe apply; do
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
