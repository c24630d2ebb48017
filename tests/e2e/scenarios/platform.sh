# SPDX-License-Identifier: GPL-2.0
# Known-bad platforms (issue 23): where write-combined PCIe writes corrupt
# data, a rule by identity and the default give every device bound to
# vfio-pci Device-nGnRE; a device listed by address keeps its own; the
# platform file, bound, status, JSON and Prometheus say why. The module
# knows such a platform by a PCI device it has (Ampere Altra's root
# complex, 1def:e100); the test build kvm_s2attr-wcunsafe.ko takes QEMU's
# PCIe host bridge (1b36:0008) for it. The real module on the same
# machine says "ok" and follows the same rule: the platform is the only
# difference. The rule asks for normal-nc, which neither the real module's
# result here nor, from 6.9, stock KVM's would turn into Device-nGnRE.
# e2e-blocks: 28
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
WKO=/e2e/kvm_s2attr-wcunsafe.ko
T=/sbin/kvm-s2attr
P=/sys/bus/pci/devices
small=$e2e_dev_small
big=$e2e_dev_big
stock=$(e2e_stock_attr)
id="$(sed 's/^0x//' "$P/$small/vendor"):$(sed 's/^0x//' "$P/$small/device")"
# QEMU's PCIe host bridge, from PCI's sysfs: the test build's known-bad device.
hb=
for d in "$P"/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" != 0x1b36:0x0008 ] || hb=${d##*/}
done
e2e_expect_eq "platform: QEMU's PCIe host bridge is there" "${hb:+found}" found
# pf_match NAME ERE TEXT: TEXT matches ERE.
pf_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		e2e_pass "platform: $1"
	else
		e2e_fail "platform: $1" "want /$2/" "got: $3"
	fi
}
# pf_bound BDF: its memattr and what gave it, from bound.
pf_bound() {
	grep "^$1 " $S/bound | cut -d' ' -f3,4
}

[ ! -e $S ] || rmmod kvm_s2attr
# The real module: not a known-bad platform, the rule decides.
e2e_check "platform: insmod ids=$id=normal-nc" insmod $KO "ids=$id=normal-nc"
e2e_expect_eq "platform: real module: platform ok" "$(cat $S/platform)" ok
e2e_s2test "platform: real module, the rule's normal-nc, small" "$small" --expect normal-nc
e2e_expect_eq "platform: real module: bound, by the rule" "$(pf_bound "$small")" "normal-nc id=$id"
e2e_check "platform: rmmod" rmmod kvm_s2attr

# The test build, the same rule: Device-nGnRE, and said everywhere.
e2e_check "platform: insmod the test build, ids=$id=normal-nc" insmod $WKO "ids=$id=normal-nc"
e2e_expect_eq "platform: the platform file names the device" "$(cat $S/platform)" \
	"wc-unsafe $hb 1b36:0008 test build: QEMU's PCIe host bridge as a known-bad platform"
e2e_s2test "platform: known-bad, rule normal-nc, small" "$small" --expect device-ngnre
e2e_s2test "platform: known-bad, rule normal-nc, big" "$big" --expect device-ngnre
e2e_expect_eq "platform: bound, the rule and the platform, small" "$(pf_bound "$small")" "device id=$id+platform"
e2e_expect_eq "platform: bound, the rule and the platform, big" "$(pf_bound "$big")" "device id=$id+platform"
e2e_check "platform: status exits 0 (not a fault)" $T status
pf_match "status says why" "^  platform: +write combining to PCIe is unsafe here: test build" "$($T status 2>&1)"
pf_match "JSON" "\"platform\":\"wc-unsafe $hb 1b36:0008 " "$($T status --json 2>&1)"
pf_match "Prometheus" '^kvm_s2attr_platform_wc_unsafe 1$' "$($T status --prometheus 2>&1)"
pf_match "the kernel log" "QEMU's PCIe host bridge as a known-bad platform \\($hb\\): write combining to PCIe is unsafe here" "$(dmesg | tail -n 20)"

# Listed by address: the admin's word.
e2e_check "platform: set $small normal-nc, by address" $T set "$small" normal-nc
e2e_s2test "platform: listed by address, small" "$small" --expect normal-nc
e2e_s2test "platform: big still by the platform" "$big" --expect device-ngnre
e2e_expect_eq "platform: bound, small listed" "$(pf_bound "$small")" "normal-nc listed"
e2e_check "platform: unset $small" $T unset "$small"
e2e_check "platform: rmmod the test build" rmmod kvm_s2attr

# No rule, default kernel: the platform decides.
e2e_check "platform: insmod the test build, no rules" insmod $WKO
e2e_s2test "platform: known-bad, default kernel, small" "$small" --expect device-ngnre
e2e_expect_eq "platform: bound, the default and the platform" "$(pf_bound "$small")" "device default+platform"
e2e_check "platform: rmmod" rmmod kvm_s2attr
e2e_s2test "platform: after rmmod, KVM's own, small" "$small" --expect "$stock"
