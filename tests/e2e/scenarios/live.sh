# SPDX-License-Identifier: GPL-2.0
# Live: a change reaches guests that are already running. s2test keeps a
# VM over a BAR (--live) whose vCPUs keep storing and reading back
# sequence numbers on every page, while the host changes the device's
# attribute with the tool, many times (23 for the small BAR, 5 for the
# big one: odd, so that the unset after them is a change), then unsets
# it, changes the default both ways and unloads the module; then loads
# it with the device listed as the opposite of stock, and reloads it with
# default=device (a load reaches running guests too, and so does an
# upgrade, which is an unload and a load). On the big BAR, 8 more
# processes share the mapping (s2test --forks), and a second VM in
# s2test's process maps it too, its vCPUs storing to the same pages
# (--second-vm): an application handles every process and every VM that
# maps the device, and stage 2 is read back in both VMs. After each
# change, read back from stage 2, no leaf of the BAR has another attribute
# than the new one; after every vCPU's next pass every touched page has
# it, and its leaf differs from the stock scenario's (which runs first)
# in MemAttr only; KVM_RUN never fails, no read-back differs, and every
# page ends with its last sequence number. The small BAR's
# s2test never touches it through its own mapping (--no-host-touch): on
# 5.10, KVM maps such a BAR when the memslot is made, and no host page
# table entry exists for a change to find (s2test --expect-eager asserts
# the first there, before the first change).
# First, the trace events: a new mapping rewritten (kvm_s2attr_rewrite,
# MemAttr codes from the architecture) and an application
# (kvm_s2attr_apply); a set to the attribute the device already has
# applies nothing (no second event).
# Last, a change while an unbind, then a remove, of the device waits for
# a running guest to let it go: it must fail within seconds and say so,
# and the guest's leaves keep their attribute.
# e2e-blocks: 36
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
T=/sbin/kvm-s2attr
stock=$(e2e_stock_attr)
opp=$(e2e_other_attr "$stock")

# lv_change WANT CMD...: run the tool, then tell s2test what stage 2 must
# show now, and wait until it has checked. Tool failures go to /tmp/lv.err.
lv_change() {
	want=$1
	shift
	out=$("$T" "$@" 2>&1)
	rc=$?
	if [ $rc != 0 ]; then
		echo "kvm-s2attr $*: exit $rc: $out" >>/tmp/lv.err
	else
		case $out in
		*"running guests"*"next access"* | *"default:"*) ;;
		*) echo "kvm-s2attr $*: does not say it reached running guests: $out" >>/tmp/lv.err ;;
		esac
	fi
	lv_step "$want"
}

# lv_step WANT: one epoch of s2test --live.
lv_step() {
	echo "expect $1" >&5
	lv_epochs=$((lv_epochs + 1))
	read -r _ <&6 || echo "s2test gave no acknowledgement after '$1'" >>/tmp/lv.err
}

# lv_load WANT ARG...: load the module with ARGs under the running guest;
# its load must have applied to running guests, with mappings dropped.
# Then one epoch: stage 2 has WANT. The time from the previous unload's
# end to this load's end (a reload's window) goes to /tmp/lv.window.
lv_load() {
	want=$1
	shift
	insmod $KO "$@" || echo "insmod $*: failed" >>/tmp/lv.err
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "$t0_unload $t1" | awk '{ printf "%d ms\n", ($2 - $1) * 1000 }' >>/tmp/lv.window
	la=$(cat $S/last_apply 2>&1)
	echo "$la" | grep -Eq '^load [0-9]+ bars=[1-9][0-9]* mappings=[1-9][0-9]* ok$' ||
		echo "insmod $*: last_apply does not say the load dropped the guest's mappings: $la" >>/tmp/lv.err
	lv_step "$want"
}

# lv_unload: rmmod; stage 2 has the stock attribute in the next epoch.
lv_unload() {
	rmmod kvm_s2attr || echo "rmmod failed" >>/tmp/lv.err
	t0_unload=$(cut -d' ' -f1 /proc/uptime)
	lv_step "$stock"
}

# lv_start [S2TEST-OPTION...] BDF: start s2test --live over BDF's BAR2,
# its commands on fd 5 and its acknowledgements on fd 6, once its guest
# has made its first pass (s2test opens the FIFOs then).
lv_start() {
	rm -f /tmp/lv.in /tmp/lv.out
	mkfifo /tmp/lv.in /tmp/lv.out
	$S2TEST --live /tmp/lv.in,/tmp/lv.out "$@" --expect kernel-default >/tmp/lv.tap 2>&1 &
	lv_pid=$!
	lv_epochs=0
	exec 5>/tmp/lv.in 6</tmp/lv.out
}

# lv_stop NAME: stop s2test --live; its TAP becomes block NAME.
lv_stop() {
	echo quit >&5
	exec 5>&- 6<&-
	wait $lv_pid
	echo "e2e: s2test $1: exit $?, $(grep -c '^ok' /tmp/lv.tap) ok, $(grep -c '^not ok' /tmp/lv.tap) not ok"
	tap_diag "e2e-block $1"
	cat /tmp/lv.tap >&3
}

# lv_run NAME BDF FLIPS VCPUS [S2TEST-OPTION...]: s2test --live with VCPUS
# vCPUs over BDF's BAR2 through FLIPS changes of its attribute, unset,
# default device and kernel, a set, the module's unload, a load with the
# device listed, a reload with default=device and an unload. s2test's
# count of epochs must be the number of steps. Four blocks.
lv_run() {
	lv_name=$1 dev=$2 flips=$3 vcpus=$4
	shift 4
	lv_opt=$*
	: >/tmp/lv.err
	# shellcheck disable=SC2086 # lv_opt: options, a word each
	lv_start --vcpus "$vcpus" $lv_opt "$dev"
	i=1
	while [ $i -le "$flips" ]; do
		if [ $((i % 2)) = 1 ]; then a=$opp; else a=$stock; fi
		lv_change "$a" set "$dev" "$(e2e_setting "$a")"
		i=$((i + 1))
	done
	lv_change "$stock" unset "$dev"
	lv_change device-ngnre default device
	lv_change "$stock" default kernel
	lv_change "$opp" set "$dev" "$(e2e_setting "$opp")"
	applied=$(cat "$S/devices/$dev/applied" 2>&1)
	: >/tmp/lv.window
	lv_unload
	lv_load "$opp" devices="$dev=$(e2e_setting "$opp")"
	lv_unload
	lv_load device-ngnre default=device
	lv_unload
	lv_stop "$lv_name"
	epochs=$(sed -n 's/^# s2test-live .* epochs=\([0-9]*\) .*/\1/p' /tmp/lv.tap)
	[ "$epochs" = "$lv_epochs" ] ||
		echo "s2test counted ${epochs:-no} epochs, the scenario asked for $lv_epochs" >>/tmp/lv.err
	tap_diag "$lv_name: reload windows, unload to load, under emulation: $(tr '\n' ' ' </tmp/lv.window)"
	if [ -s /tmp/lv.err ]; then
		e2e_fail "$lv_name: every change by the tool succeeded and said where it applies" "$(cat /tmp/lv.err)"
	else
		e2e_pass "$lv_name: every change by the tool succeeded and said where it applies"
	fi
	# --forks=N: N more processes map the BAR, each one more mapping.
	maps=1
	for o in $lv_opt; do
		case $o in --forks=*) maps=$((${o#--forks=} + 1)) ;; esac
	done
	got=$(echo "$applied" | sed -n 's/^[0-9]* bars=[1-9][0-9]* mappings=\([0-9]*\) ok$/\1/p')
	if [ -n "$got" ] && [ "$got" -ge "$maps" ]; then
		e2e_pass "$lv_name: the device's last application dropped its $maps or more mappings: $applied"
	else
		e2e_fail "$lv_name: the device's last application dropped its $maps or more mappings" "applied: $applied"
	fi
	e2e_check "$lv_name: insmod again" insmod $KO
}

# lv_unbind BDF unbind|remove: a change while BDF's unbind (or its
# removal from the bus) waits for a running guest (s2test --live) to let
# the device go, holding its device lock. The change fails within seconds
# saying the device is busy, the device's application and status say
# error, and the guest's leaves keep their attribute (s2test "keep"); once
# the guest is gone the unbind (removal) completes. Then the device is
# bound to vfio-pci again (after a rescan). Eight blocks; nine for remove.
lv_unbind() {
	dev=$1 how=$2
	lv_start "$dev"
	if [ "$how" = remove ]; then
		echo 1 >"/sys/bus/pci/devices/$dev/remove" &
	else
		echo "$dev" >/sys/bus/pci/drivers/vfio-pci/unbind &
	fi
	ub=$!
	sleep 2
	# (The driver link goes before the driver's remove runs, and waits.)
	if kill -0 $ub 2>/dev/null; then
		e2e_pass "live: $how: the $how of $dev waits for the running guest"
	else
		e2e_fail "live: $how: the $how of $dev waits for the running guest" "it did not wait"
	fi
	t0=$(date +%s)
	out=$("$T" set "$dev" "$(e2e_setting "$opp")" 2>&1)
	rc=$?
	t=$(($(date +%s) - t0))
	case "$rc $out" in
	"1 "*"device is busy"*) e2e_pass "live: $how: set fails, saying the device is busy, in ${t}s" ;;
	*) e2e_fail "live: $how: set fails, saying the device is busy" "exit $rc after ${t}s: $out" ;;
	esac
	if [ "$t" -le 10 ]; then
		e2e_pass "live: $how: set returned within 10s (${t}s)"
	else
		e2e_fail "live: $how: set returned within 10s" "it took ${t}s"
	fi
	applied=$(cat "$S/devices/$dev/applied" 2>&1)
	if echo "$applied" | grep -Eq '^[0-9]+ bars=0 mappings=0 error -16$'; then
		e2e_pass "live: $how: the device's application says error -16: $applied"
	else
		e2e_fail "live: $how: the device's application says error -16" "applied: $applied"
	fi
	"$T" status >/tmp/lv.status 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -q "APPLIED error" /tmp/lv.status; then
		e2e_pass "live: $how: status exits 1 and names the failed application"
	else
		e2e_fail "live: $how: status exits 1 and names the failed application" "exit $rc:" "$(cat /tmp/lv.status)"
	fi
	echo "keep $stock" >&5
	read -r _ <&6
	lv_stop "live: $how: s2test"
	wait $ub
	if [ "$how" = remove ]; then
		if [ ! -e "/sys/bus/pci/devices/$dev" ]; then
			e2e_pass "live: $how: $dev removed once the guest was gone"
		else
			e2e_fail "live: $how: $dev removed once the guest was gone" "still there"
		fi
		e2e_check "live: $how: rescan" sh -c "echo 1 > /sys/bus/pci/rescan"
	elif [ ! -e "/sys/bus/pci/devices/$dev/driver" ]; then
		e2e_pass "live: $how: $dev unbound once the guest was gone"
	else
		e2e_fail "live: $how: $dev unbound once the guest was gone" "still bound to $(readlink "/sys/bus/pci/devices/$dev/driver")"
	fi
	e2e_check "live: $how: $dev bound to vfio-pci again" e2e_bind_vfio "$dev"
	"$T" unset "$dev" >/dev/null 2>&1
}

e2e_check "live: insmod" insmod $KO
live=$(cat $S/live 2>&1)
case $live in
vfio-inode | mmu-notifier) e2e_pass "live: sysfs live says how: $live" ;;
*) e2e_fail "live: sysfs live says how" "got '$live'" ;;
esac
# 6.10+: the vfio device's inode; before, the notifiers (see README).
if e2e_kernel_at_least 6 10; then want_live=vfio-inode; else want_live=mmu-notifier; fi
e2e_expect_eq "live: this kernel's way to reach running guests" "$live" "$want_live"
# ------------------------------------------------------- trace events ---
TR=/sys/kernel/tracing
code() { if [ "$1" = normal-nc ]; then echo 0x5; else echo 0x1; fi; }
e2e_check "live: trace: kvm_s2attr events enabled" sh -c \
	"{ [ -d $TR/events ] || mount -t tracefs nodev $TR; } && echo > $TR/trace && echo 1 > $TR/events/kvm_s2attr/enable"
e2e_check "live: trace: set $e2e_dev_small $(e2e_setting "$opp")" $T set "$e2e_dev_small" "$(e2e_setting "$opp")"
e2e_s2test "live: trace: listed $opp, small" "$e2e_dev_small" --expect "$opp"
$T set "$e2e_dev_small" "$(e2e_setting "$opp")" >/tmp/lv.same 2>&1 || echo "exit $?" >>/tmp/lv.same
echo 0 > $TR/events/kvm_s2attr/enable
cat $TR/trace >/tmp/lv.trace
# The small BAR is mapped with pages: one event per page, of its size.
want="kvm_s2attr_rewrite: phys=0x[0-9a-f]+ size=$(printf 0x%x "$E2E_PAGE_SIZE") dev=$e2e_dev_small bar=2 memattr=$(code "$stock")->$(code "$opp")\$"
if grep -Eq "$want" /tmp/lv.trace; then
	e2e_pass "live: trace: a rewrite event per mapping ($(grep -c kvm_s2attr_rewrite /tmp/lv.trace) events)"
else
	e2e_fail "live: trace: a rewrite event per mapping" "no line matches /$want/ in:" "$(grep -v '^#' /tmp/lv.trace | head -n 5)"
fi
err=0
want="kvm_s2attr_apply: dev=$e2e_dev_small bars=[0-9]+ mappings=[0-9]+ err=$err\$"
if grep -Eq "$want" /tmp/lv.trace; then
	e2e_pass "live: trace: the set's application event (err=$err)"
else
	e2e_fail "live: trace: the set's application event" "no line matches /$want/ in:" "$(grep kvm_s2attr_apply /tmp/lv.trace | head -n 5)"
fi
n=$(grep -c "kvm_s2attr_apply: dev=$e2e_dev_small " /tmp/lv.trace)
if [ "$n" = 1 ] && ! grep -q exit /tmp/lv.same; then
	e2e_pass "live: a set to the device's own attribute succeeds and applies nothing (1 application event)"
else
	e2e_fail "live: a set to the device's own attribute succeeds and applies nothing" "$n application events; the second set said: $(cat /tmp/lv.same)"
fi
e2e_check "live: trace: unset $e2e_dev_small" $T unset "$e2e_dev_small"

# ------------------------------------------------- changes while running ---
# 5.10 maps a PFN-mapped memslot when it is made: s2test asserts that
# before the guest runs, so that the small BAR's changes there are known
# to reach mappings KVM made eagerly. (That no host page table entry
# exists is not asserted: /proc/self/pagemap skips PFN-mapped areas.)
case $(uname -r) in 5.10.*) lv_eager=--expect-eager ;; *) lv_eager= ;; esac
# shellcheck disable=SC2086 # lv_eager: no option or one word
lv_run "live: small" "$e2e_dev_small" "${e2e_live_flips:-23}" 4 --no-host-touch $lv_eager \
	--same-leaves /tmp/stock-small.leaves
lv_run "live: big, 9 processes, 2 VMs" "$e2e_dev_big" 5 2 --forks=8 --second-vm \
	--same-leaves /tmp/stock-big.leaves
lv_unbind "$e2e_dev_small" unbind
lv_unbind "$e2e_dev_small" remove
e2e_check "live: rmmod" rmmod kvm_s2attr
