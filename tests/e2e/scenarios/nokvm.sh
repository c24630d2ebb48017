# SPDX-License-Identifier: GPL-2.0
# A kernel built without KVM (Debian's bookworm rt-arm64; booted in mode
# "none", which only checks that KVM did not come up). DKMS does not build
# kvm_s2attr for it (tests/pkg), but a module built by hand must refuse to
# load, say why and leave nothing behind; the tool must call the host
# unsupported (exit 4) and name the missing option, from the kernel's own
# /boot/config-<release>.
# e2e-blocks: 6
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
KO=/e2e/kvm_s2attr.ko
T=/sbin/kvm-s2attr
config=/boot/config-$(uname -r)

# What this kernel is comes from Debian's configuration, not the module.
e2e_check "nokvm: $config says CONFIG_KVM is not set" grep -qx '# CONFIG_KVM is not set' "$config"
if insmod $KO "devices=$e2e_dev_small=normal-nc"; then
	e2e_fail "nokvm: insmod fails" "insmod succeeded"
	rmmod kvm_s2attr
else
	e2e_pass "nokvm: insmod fails"
fi
msg=$(dmesg | grep 'kvm_s2attr: refusing to load' | tail -n 1)
case $msg in
*"this kernel is built without KVM (CONFIG_KVM is not set)"*) e2e_pass "nokvm: the refusal says the kernel has no KVM" ;;
*) e2e_fail "nokvm: the refusal says the kernel has no KVM" "got: '$msg'" ;;
esac
e2e_check "nokvm: nothing left behind" sh -c '! grep -q "^kvm_s2attr " /proc/modules && test ! -e /sys/kernel/kvm_s2attr'
$T status >/tmp/nokvm.out 2>&1
rc=$?
if [ $rc = 4 ] && grep -q "unsupported host: kernel $(uname -r) is built without KVM (CONFIG_KVM not set in $config)" /tmp/nokvm.out; then
	e2e_pass "nokvm: kvm-s2attr status: exit 4, names CONFIG_KVM"
else
	e2e_fail "nokvm: kvm-s2attr status: exit 4, names CONFIG_KVM" "exit $rc: $(cat /tmp/nokvm.out)"
fi
$T status --prometheus >/tmp/nokvm.out 2>&1
rc=$?
if [ $rc = 0 ] && grep -qx 'kvm_s2attr_supported 0' /tmp/nokvm.out; then
	e2e_pass "nokvm: --prometheus: kvm_s2attr_supported 0"
else
	e2e_fail "nokvm: --prometheus: kvm_s2attr_supported 0" "exit $rc: $(grep supported /tmp/nokvm.out)"
fi
