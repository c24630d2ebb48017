# SPDX-License-Identifier: GPL-2.0
# Fail closed where KVM's stage-2 tables are not the host kernel's to
# change: in protected mode (kvm-arm.mode=protected) guests' stage-2 tables
# belong to EL2; without EL2 (noel2) or with kvm-arm.mode=none, KVM never
# initialised. kvm_s2attr must refuse to load, say why, and leave nothing
# behind.
# e2e-blocks: 3
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
if insmod /e2e/kvm_s2attr.ko "devices=$e2e_dev_small=normal-nc"; then
	e2e_fail "refuse: insmod in $e2e_mode mode fails" "insmod succeeded: kvm_mode $(cat /sys/kernel/kvm_s2attr/kvm_mode)"
	rmmod kvm_s2attr
else
	e2e_pass "refuse: insmod in $e2e_mode mode fails"
fi
msg=$(dmesg | grep 'kvm_s2attr: refusing to load' | tail -n 1)
case $e2e_mode:$msg in
protected:*"KVM runs in protected mode"*"boot without kvm-arm.mode=protected"* | \
	noel2:*"KVM is not running on this host (no EL2, or kvm-arm.mode=none)"* | \
	none:*"KVM is not running on this host (no EL2, or kvm-arm.mode=none)"*)
	e2e_pass "refuse: message names the check and the fix" ;;
*) e2e_fail "refuse: message names the check and the fix" "got: '$msg'" ;;
esac
e2e_check "refuse: nothing left behind" sh -c '! grep -q "^kvm_s2attr " /proc/modules && test ! -e /sys/kernel/kvm_s2attr'
