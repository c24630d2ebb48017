# SPDX-License-Identifier: GPL-2.0
# Benchmark (run by scripts/bench.sh under QEMU -icount): stage-2 fault
# cost with the module not loaded ("off"), loaded with an empty list
# ("empty"), with the big device listed ("listed"), listed with the
# kprobe fallback ("kprobe"), and the floor: a build whose ftrace callback
# returns at once, the big device listed ("floor"). Configurations are
# interleaved, several rounds; each s2bench run reports medians over its
# VMs. The numbers go out as TAP diagnostics; the tests only say that each
# run completed.
# "apply": the stall of a live application, for the small (1 MiB) and the
# big (64 MiB) BAR, every page of each touched: both devices listed
# normal-nc, each VM's BAR flipped to device and back through sysfs "add".
# Its runs also fail if a write stalled the guest less than half a
# stage-2 fault (of RAM) per page (s2bench): the application then dropped
# no mappings.
# e2e_bench_configs: the configurations, comma separated (default: all
# six, in the order above but apply last); e2e_bench_rounds: rounds (default 3), of which
# apply runs in the first e2e_bench_apply_rounds (default all: its figures
# vary less). One TAP block, one test per run; the block's plan is the
# number of runs asked for.
# e2e-blocks: 3
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

configs=$(echo "${e2e_bench_configs:-off,empty,listed,floor,kprobe,apply}" | tr , ' ')
apply_rounds=${e2e_bench_apply_rounds:-$rounds}
tap_diag "e2e-block bench"
n=0
r=1
while [ $r -le "$rounds" ]; do
	for cfg in $configs; do
		[ "$cfg" != apply ] || [ $r -le "$apply_rounds" ] || continue
		n=$((n + 1))
		: >/tmp/bench.out
		case $cfg in
		off) ok=0 ;;
		empty) insmod $KO; ok=$? ;;
		listed) insmod $KO "devices=$big=normal-nc"; ok=$? ;;
		floor) insmod /e2e/kvm_s2attr-floor.ko "devices=$big=normal-nc"; ok=$? ;;
		kprobe) insmod $KO "devices=$big=normal-nc" hook=kprobe; ok=$? ;;
		apply) insmod $KO "devices=$small=normal-nc,$big=normal-nc"; ok=$? ;;
		*) echo "bench: unknown configuration '$cfg'" >/tmp/bench.out; ok=2 ;;
		esac
		if [ $ok != 0 ]; then
			:
		elif [ "$cfg" = apply ]; then
			bench_apply "$small" 255 small &&
				bench_apply "$big" 16383 big
			ok=$?
		else
			/e2e/s2bench "$big" --label "$cfg" --vms 4 >/tmp/bench.out 2>&1
			ok=$?
		fi
		if [ $ok = 0 ]; then
			sed -n "s/^s2bench.*median .*/# bench round=$r &/p" /tmp/bench.out >&3
			echo "ok $n - bench round $r $cfg" >&3
		else
			echo "not ok $n - bench round $r $cfg" >&3
			sed 's/^/#   /' /tmp/bench.out >&3
		fi
		[ "$cfg" = off ] || [ $ok = 2 ] || rmmod kvm_s2attr
	done
	r=$((r + 1))
done
echo "1..$n" >&3
# The chain works and the data is right (the host checks the backing
# files for these runs' pattern; s2bench zeroed what it wrote).
e2e_s2test "bench: stock small" "$e2e_dev_small" --expect kernel-default
e2e_s2test "bench: stock big" "$e2e_dev_big" --expect kernel-default
