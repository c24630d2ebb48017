# SPDX-License-Identifier: GPL-2.0
# The kvm_s2attr module, loaded and driven through its parameters and sysfs.
# Every attribute is read back from the stage-2 tables by s2test/s2peek.
# Expected: a listed device gets its attribute on every kernel (the module
# encodes Normal-NC where KVM has none); unlisted ones keep the kernel's
# choice unless default=device; remove and rmmod bring stock behaviour back
# for new guests; "rewrites" counts the entries the module changed. A
# rewritten leaf must equal the stock one (saved by the "stock" scenario,
# which runs first) in every bit but MemAttr[5:2], and keep its level,
# whether listed or given by default=device.
# e2e-blocks: 43
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
small=$e2e_dev_small
big=$e2e_dev_big
KO=/e2e/kvm_s2attr.ko

e2e_check "module: insmod devices=$small=normal-nc" insmod $KO "devices=$small=normal-nc"
# ftrace, on the walk kvm_pgtable_stage2_map calls: kvm_pgtable_walk, or on
# 5.10, where that is inlined, its callee _kvm_pgtable_walk.
hook=$(cat $S/hook)
case $hook in
"ftrace kvm_pgtable_walk" | "ftrace _kvm_pgtable_walk") e2e_pass "module: hook is $hook" ;;
*) e2e_fail "module: hook" "got '$hook', want ftrace on (_)kvm_pgtable_walk" ;;
esac
e2e_expect_eq "module: kvm_mode" "$(cat $S/kvm_mode)" "$e2e_mode"
e2e_expect_eq "module: default" "$(cat $S/default)" kernel
# What stock KVM does comes from the kernel release, not from the module;
# the module's own view (kernel_nc) must agree with it.
stock=$(e2e_stock_attr)
if [ "$stock" = normal-nc ]; then stock_nc=1; else stock_nc=0; fi
e2e_expect_eq "module: kernel_nc agrees with stock KVM on $(uname -r) ($stock)" "$(cat $S/kernel_nc)" $stock_nc
tap_diag "  stock=$stock kernel_nc=$(cat $S/kernel_nc) fwb=$(cat $S/fwb) $(dmesg | grep kvm_s2attr | tail -1)"
state=$(cat $S/devices/$small/state)
case $state in
"present vfio-pci "*" bar2=0x"*) e2e_pass "module: state of $small: $state" ;;
*) e2e_fail "module: state of $small" "got '$state'" ;;
esac

e2e_s2test "module: listed normal-nc, small" "$small" --expect normal-nc \
	--same-leaves /tmp/stock-small.leaves
e2e_s2test "module: unlisted, big" "$big" --expect kernel-default
# Where KVM has no NC the module rewrote each of the page entries of the
# 1 MiB BAR, 256 of 4 KiB (5.10 maps them at memslot creation, 6.1 on
# fault); elsewhere KVM already chose NC and nothing was changed.
if [ "$stock_nc" = 1 ]; then want=0; else want=$(e2e_pages $((1024 * 1024))); fi
e2e_expect_eq "module: rewrites of $small" "$(cat $S/devices/$small/rewrites)" $want

e2e_check "module: add '$big device'" sh -c "echo '$big device' > $S/add"
e2e_expect_eq "module: memattr of $big" "$(cat $S/devices/$big/memattr)" device
e2e_s2test "module: listed device, big" "$big" --expect device-ngnre \
	--levels "$(e2e_big_levels)" --same-leaves /tmp/stock-big.leaves
rw=$(cat $S/devices/$big/rewrites)
if [ "$stock_nc" = 1 ]; then
	# Its level-2 blocks (32 of 2 MiB, 2 of 32 MiB); only the touched
	# pages if the kernel used pages.
	[ "$rw" -gt 0 ] && e2e_pass "module: rewrites of $big = $rw" ||
		e2e_fail "module: rewrites of $big" "got $rw, want > 0"
else
	e2e_expect_eq "module: rewrites of $big" "$rw" 0
fi
e2e_check "module: memattr of $big -> normal-nc" sh -c "echo normal-nc > $S/devices/$big/memattr"
e2e_s2test "module: listed normal-nc, big" "$big" --expect normal-nc \
	--levels "$(e2e_big_levels)" --same-leaves /tmp/stock-big.leaves

e2e_check "module: remove $big" sh -c "echo $big > $S/remove"
e2e_check "module: $big gone from sysfs" test ! -e $S/devices/$big
e2e_check "module: default=device" sh -c "echo device > $S/default"
e2e_s2test "module: default=device, unlisted big" "$big" --expect device-ngnre \
	--levels "$(e2e_big_levels)" --same-leaves /tmp/stock-big.leaves
e2e_s2test "module: default=device, listed small" "$small" --expect normal-nc
e2e_check "module: default=kernel" sh -c "echo kernel > $S/default"
e2e_check "module: remove ${small#0000:} (short form)" sh -c "echo ${small#0000:} > $S/remove"
e2e_s2test "module: removed, small" "$small" --expect kernel-default

e2e_check "module: rmmod" rmmod kvm_s2attr
e2e_check "module: sysfs gone after rmmod" test ! -e $S
e2e_s2test "module: after rmmod, small" "$small" --expect kernel-default

e2e_check "module: insmod devices=${big#0000:}=normal-nc default=device" \
	insmod $KO "devices=${big#0000:}=normal-nc" default=device
e2e_s2test "module: listed normal-nc from load, big" "$big" --expect normal-nc
e2e_s2test "module: default=device from load, small" "$small" --expect device-ngnre \
	--same-leaves /tmp/stock-small.leaves
# default=device covers the BARs of unlisted devices while they are bound
# to vfio-pci: the table follows an unlisted device's unbind and re-bind.
# (On 6.9+ only does this show the module acted: before, KVM gives Device.)
e2e_check "module: unbind unlisted $small from vfio-pci" \
	sh -c "echo $small > /sys/bus/pci/drivers/vfio-pci/unbind"
e2e_check "module: re-bind unlisted $small to vfio-pci" \
	sh -c "echo $small > /sys/bus/pci/drivers_probe && test -e /sys/bus/pci/drivers/vfio-pci/$small"
e2e_s2test "module: default=device after the re-bind, small" "$small" --expect device-ngnre
e2e_check "module: rmmod again" rmmod kvm_s2attr
e2e_s2test "module: after second rmmod, big" "$big" --expect kernel-default

e2e_check "module: devices=zz:00.0=normal-nc refused" sh -c "! insmod $KO devices=zz:00.0=normal-nc"
e2e_check "module: default=maybe refused" sh -c "! insmod $KO default=maybe"
e2e_check "module: refusals leave nothing behind" test ! -e $S

# Options from the kernel command line, as modprobe reads them from
# /proc/cmdline at boot. The harness boots every scenario with one command
# line, so this one is laid over /proc/cmdline for the modprobe call only.
kmods=/lib/modules/$(uname -r)
mkdir -p "$kmods/extra" && cp $KO "$kmods/extra/" && depmod
echo "$(cat /proc/cmdline) kvm_s2attr.devices=$big=normal-nc kvm_s2attr.default=device" >/tmp/cmdline
mount --bind /tmp/cmdline /proc/cmdline
e2e_check "module: modprobe, options on the kernel command line" modprobe kvm_s2attr
umount /proc/cmdline
e2e_expect_eq "module: memattr of $big from the command line" \
	"$(cat $S/devices/$big/memattr 2>&1)" normal-nc
e2e_expect_eq "module: default from the command line" "$(cat $S/default 2>&1)" device
e2e_s2test "module: listed on the command line, big" "$big" --expect normal-nc
e2e_check "module: rmmod after modprobe" rmmod kvm_s2attr
rm -f "$kmods/extra/kvm_s2attr.ko"
depmod

# A kobject's release can run seconds after its last put (1-4 s, always,
# with CONFIG_DEBUG_KOBJECT_RELEASE), when the module may be gone: none of
# it may be module code. On a kernel built so (not the CI's debug lane: it
# makes every module load 1-4 s slower, and 6.1's vfio releases its own
# devices from unloaded module text), wait for them, and look.
waited=0
if dmesg | grep -q 'kobject_release, parent .* (delayed'; then
	sleep 5
	waited=5
fi
e2e_dmesg_clean "module: no kernel trouble after the delayed kobject releases (waited ${waited}s)"
