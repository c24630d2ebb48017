# SPDX-License-Identifier: GPL-2.0
# "make demo" (scripts/demo.sh): the small ivshmem device, bound to
# vfio-pci by the harness, mapped into a KVM guest twice: first with the
# stock kernel, then after "kvm-s2attr set <BDF> normal-nc". Each time
# s2test runs guest code over the BAR (writes and reads checked) and reads
# the stage-2 descriptors back. Lines "# demo-out ..." carry what the
# commands printed, for scripts/demo.sh to show.
# e2e-blocks: 7
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
dev=$e2e_dev_small

# demo_run CMD...: run, show the command and its output on the TAP channel.
demo_run() {
	tap_diag "demo-out # $*"
	"$@" >/tmp/demo.out 2>&1
	rc=$?
	while IFS= read -r l; do tap_diag "demo-out $l"; done </tmp/demo.out
	return $rc
}

[ ! -e /sys/kernel/kvm_s2attr ] || rmmod kvm_s2attr
e2e_s2test "demo: before" "$dev" --expect kernel-default
e2e_check "demo: insmod kvm_s2attr" demo_run insmod /e2e/kvm_s2attr.ko
e2e_check "demo: kvm-s2attr set $dev normal-nc" demo_run kvm-s2attr set "$dev" normal-nc
e2e_s2test "demo: after" "$dev" --expect normal-nc
# The other (unlisted) device keeps the kernel's attribute.
e2e_s2test "demo: unlisted" "$e2e_dev_big" --expect kernel-default
e2e_check "demo: kvm-s2attr status" demo_run kvm-s2attr status
e2e_check "demo: rmmod kvm_s2attr" rmmod kvm_s2attr
