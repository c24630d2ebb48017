# SPDX-License-Identifier: GPL-2.0
# Proof that an application reached every mapping (issue 21). A guest
# whose BAR memslot is backed by the BAR's sysfs resource file, a mapping
# vfio knows nothing of (as all of them would be on a kernel that moved
# BAR mmaps elsewhere), is one the module cannot drop: a change of the
# device's attribute must then fail and say so (the tool's exit status,
# last_apply, health, status, Prometheus), and stage 2, read back, keeps
# what it had. Once that process is gone the same change succeeds and
# health is clean. A guest on vfio's own mapping of the device changes
# with no such fault: the proof raises no false alarm.
# KVM gives a mapping that is not vfio's Device-nGnRE on every kernel
# (only vfio-pci's allow Normal-NC since 6.9).
# e2e-blocks: 17
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
T=/sbin/kvm-s2attr
small=$e2e_dev_small

# ur_start NAME S2TEST-OPTION...: s2test --live over small's BAR2,
# commands on fd 5, acknowledgements on fd 6, once its guest has made a
# first pass; if it ends before that, its TAP is block NAME and this
# fails (the FIFOs never opened: nothing waits on them).
ur_start() {
	ur_name=$1
	shift
	rm -f /tmp/ur.in /tmp/ur.out
	mkfifo /tmp/ur.in /tmp/ur.out
	$S2TEST --live /tmp/ur.in,/tmp/ur.out "$@" "$small" >/tmp/ur.tap 2>&1 &
	ur_pid=$!
	while kill -0 $ur_pid 2>/dev/null && ! grep -q "completed a first pass" /tmp/ur.tap; do
		sleep 0.1
	done
	if ! kill -0 $ur_pid 2>/dev/null; then
		wait $ur_pid
		tap_diag "e2e-block $ur_name"
		cat /tmp/ur.tap >&3
		echo "e2e: s2test $*: ended before its guest's first pass: $(tail -n 3 /tmp/ur.tap)"
		return 1
	fi
	exec 5>/tmp/ur.in 6</tmp/ur.out
}
# ur_step expect|keep ATTR: one epoch of s2test --live.
ur_step() {
	echo "$1 $2" >&5
	read -r _ <&6
}
# ur_stop NAME: end s2test --live; its TAP is block NAME.
ur_stop() {
	echo quit >&5
	exec 5>&- 6<&-
	wait $ur_pid
	tap_diag "e2e-block $1"
	cat /tmp/ur.tap >&3
}
# ur_set NAME WANT ATTR: kvm-s2attr set small ATTR exits WANT; output in
# /tmp/ur.set.
ur_set() {
	$T set "$small" "$3" >/tmp/ur.set 2>&1
	rc=$?
	if [ $rc = "$2" ]; then
		e2e_pass "unreached: $1 (exit $rc)"
	else
		e2e_fail "unreached: $1" "kvm-s2attr set $small $3: exit $rc, want $2" "$(cat /tmp/ur.set)"
	fi
}
# ur_match NAME ERE TEXT: TEXT matches ERE.
ur_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		e2e_pass "unreached: $1"
	else
		e2e_fail "unreached: $1" "want /$2/" "got: $3"
	fi
}

[ ! -e $S ] || rmmod kvm_s2attr
e2e_check "unreached: insmod, nothing listed" insmod $KO

# A guest on the sysfs mapping; the change cannot reach it.
if ur_start "unreached: the guest on the sysfs mapping kept Device-nGnRE" \
	--sysfs-map --expect device-ngnre; then
	ur_set "set normal-nc under a guest on a sysfs mapping fails" 1 normal-nc
	ur_match "the tool says why" "other than through vfio-pci" "$(cat /tmp/ur.set)"
	ur_match "last_apply counts the mapping it could not reach" \
		" bars=[1-9][0-9]* mappings=0 unreached=1 error -18\$" "$(cat $S/last_apply)"
	ur_match "health: apply-failed, and why" \
		"^apply-failed: $small at [0-9]+: error -18 \\(mapped other than through vfio-pci" "$(cat $S/health)"
	e2e_check "unreached: kvm-s2attr status exits 1" sh -c "$T status >/dev/null 2>&1; [ \$? = 1 ]"
	ur_match "Prometheus: the fault" '^kvm_s2attr_fault\{code="apply-failed"\} 1$' "$($T status --prometheus 2>&1)"
	ur_match "JSON: not healthy" '"healthy":false' "$($T status --json 2>&1)"
	ur_step keep device-ngnre
	ur_stop "unreached: the guest on the sysfs mapping kept Device-nGnRE"
fi

# That process gone, the same change reaches every mapping: no fault.
ur_set "the same set again, the process gone" 0 normal-nc
ur_match "last_apply: ok" " bars=[1-9][0-9]* mappings=0 ok\$" "$(cat $S/last_apply)"
e2e_expect_eq "unreached: health ok again" "$(cat $S/health)" ok

# A guest on vfio's mapping: reached, no false alarm.
if ur_start "unreached: the guest on vfio's mapping got Device-nGnRE" --expect normal-nc; then
	ur_set "set device under a guest on vfio's mapping" 0 device
	ur_match "last_apply: its mapping dropped, ok" " bars=[1-9][0-9]* mappings=[1-9][0-9]* ok\$" "$(cat $S/last_apply)"
	e2e_expect_eq "unreached: health ok under vfio's mapping" "$(cat $S/health)" ok
	ur_step expect device-ngnre
	ur_stop "unreached: the guest on vfio's mapping got Device-nGnRE"
fi
e2e_check "unreached: rmmod" rmmod kvm_s2attr
