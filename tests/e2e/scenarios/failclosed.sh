# SPDX-License-Identifier: GPL-2.0
# Fail closed: where the module cannot do what it says, it refuses to load
# or reports the fault in sysfs "health", the tool's exit status and its
# Prometheus output; it never claims a hook that rewrites nothing.
#  a. kprobes disarmed system-wide (debugfs kprobes/enabled = 0): hook=kprobe
#     refuses to load (register_kprobe() succeeds there and arms nothing);
#     hook=auto loads with ftrace, which that switch does not affect.
#  b. kprobes disarmed while loaded: health says so and the tool fails;
#     s2test shows the stock attribute meanwhile (the fault is real) and the
#     listed one again once kprobes are re-enabled.
#  c. KVM's private map data read the wrong way round (a module built with
#     KVM_S2ATTR_TEST_SWAPPED_LAYOUT, as after a distro backport reordered
#     it): the module writes nothing, says so once, and KVM's own attribute
#     stays; no kernel warning.
#  d. load order, with Debian's kmod and the package's modprobe.d file:
#     "modprobe vfio_pci" loads kvm_s2attr first (softdep), and goes on with
#     vfio_pci when kvm_s2attr refuses to load, which the tool then reports
#     as configured but not loaded (exit 3, Prometheus).
#  e. a BAR smaller than a page (ivshmem's 256-byte register BAR0): with the
#     other device removed, so that nothing else shares its page, vfio-pci
#     maps the whole page; the device's setting must reach that page.
# Every listed device asks for the attribute stock KVM would not give.
# e2e-blocks: 72
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
T=/sbin/kvm-s2attr
KPE=/sys/kernel/debug/kprobes/enabled
small=$e2e_dev_small
stock=$(e2e_stock_attr)
opp=$(e2e_other_attr "$stock")
opp_set=$(e2e_setting "$opp")

# fc_has NAME TEXT ERE
fc_has() {
	if printf '%s\n' "$2" | grep -Eq "$3"; then
		e2e_pass "$1"
	else
		e2e_fail "$1" "no line matches /$3/ in:" "$2"
	fi
}

fc_unloaded() {
	e2e_check "$1" sh -c '! grep -q "^kvm_s2attr " /proc/modules && test ! -e /sys/kernel/kvm_s2attr'
}

# fc_tool_fails NAME: status and status --json exit 1 naming CODE; the
# Prometheus output has kvm_s2attr_healthy 0 and the fault's code.
fc_tool_fails() {
	out=$($T status 2>&1)
	rc=$?
	e2e_expect_eq "$1: kvm-s2attr status exits 1" "$rc" 1
	fc_has "$1: status shows the fault" "$out" "health: +ERROR: $2: "
	$T status --json >/tmp/fc.json 2>&1
	e2e_expect_eq "$1: kvm-s2attr status --json exits 1" "$?" 1
	fc_has "$1: json says not healthy" "$(cat /tmp/fc.json)" "\"healthy\":false,\"faults\":\[\"$2: "
	out=$($T status --prometheus 2>&1)
	fc_has "$1: prometheus healthy 0" "$out" '^kvm_s2attr_healthy 0$'
	fc_has "$1: prometheus fault code" "$out" "^kvm_s2attr_fault\{code=\"$2\"\} 1$"
}

# ------------------------------------------------ a. disarmed at load ---
e2e_check "failclosed: kprobes are armed to start with" grep -qx 1 $KPE
e2e_check "failclosed: disarm kprobes system-wide" sh -c "echo 0 > $KPE"
dmesg -c >/dev/null
if insmod $KO "devices=$small=$opp_set" hook=kprobe; then
	e2e_fail "failclosed: hook=kprobe refuses to load while kprobes are disarmed" "insmod succeeded: $(cat $S/hook) / $(cat $S/health)"
	rmmod kvm_s2attr
else
	e2e_pass "failclosed: hook=kprobe refuses to load while kprobes are disarmed"
fi
fc_has "failclosed: the refusal names the cause and the fix" "$(dmesg | grep 'kvm_s2attr: refusing to load')" \
	"was registered but is not armed: kprobes are disabled system-wide .*echo 1 > /sys/kernel/debug/kprobes/enabled"
fc_unloaded "failclosed: nothing left behind"
e2e_check "failclosed: hook=auto loads with kprobes disarmed" insmod $KO "devices=$small=$opp_set"
fc_has "failclosed: hook=auto took ftrace" "$(cat $S/hook 2>&1)" "^ftrace "
e2e_expect_eq "failclosed: hook=auto: health ok" "$(cat $S/health 2>&1)" ok
e2e_check "failclosed: rmmod" rmmod kvm_s2attr

# ----------------------------------------------- b. disarmed while loaded ---
e2e_check "failclosed: re-arm kprobes" sh -c "echo 1 > $KPE"
e2e_check "failclosed: insmod devices=$small=$opp_set hook=kprobe" insmod $KO "devices=$small=$opp_set" hook=kprobe
e2e_expect_eq "failclosed: armed kprobe: health ok" "$(cat $S/health 2>&1)" ok
e2e_s2test "failclosed: armed kprobe, listed $opp_set, small" "$small" --expect "$opp"
e2e_check "failclosed: disarm kprobes under the module" sh -c "echo 0 > $KPE"
fc_has "failclosed: disarmed: health says the hook is not armed" "$(cat $S/health 2>&1)" \
	"^hook-not-armed: the kprobe hook on _?kvm_pgtable_walk is not in the kernel's text"
fc_tool_fails "failclosed: disarmed" hook-not-armed
e2e_s2test "failclosed: disarmed: KVM's own attribute, small" "$small" --expect "$stock"
e2e_check "failclosed: re-arm kprobes under the module" sh -c "echo 1 > $KPE"
e2e_expect_eq "failclosed: re-armed: health ok" "$(cat $S/health 2>&1)" ok
e2e_s2test "failclosed: re-armed: listed $opp_set again, small" "$small" --expect "$opp"
e2e_check "failclosed: rmmod with kprobes re-armed" rmmod kvm_s2attr

# -------------------------------------------------- c. layout mismatch ---
dmesg -c >/dev/null
e2e_check "failclosed: insmod the swapped-layout build, devices=$small=$opp_set" \
	insmod /e2e/kvm_s2attr-swapped.ko "devices=$small=$opp_set"
e2e_expect_eq "failclosed: swapped layout: health ok before KVM maps anything" "$(cat $S/health 2>&1)" ok
e2e_s2test "failclosed: swapped layout: KVM's own attribute, small" "$small" --expect "$stock"
fc_has "failclosed: swapped layout: health reports the mismatch" "$(cat $S/health 2>&1)" \
	"^layout-mismatch: KVM's stage-2 map data is not laid out as expected \((attributes|walk data not on the stack or its range reversed|map data not on the stack|output address): 0x[0-9a-f]+\): rewriting stopped"
fc_tool_fails "failclosed: swapped layout" layout-mismatch
e2e_expect_eq "failclosed: swapped layout: no rewrite counted" "$(cat $S/devices/"$small"/rewrites)" 0
e2e_s2test "failclosed: swapped layout: still KVM's own attribute, small" "$small" --expect "$stock"
e2e_expect_eq "failclosed: swapped layout: reported once in the kernel log" \
	"$(dmesg | grep -c 'kvm_s2attr: KVM.s stage-2 map data is not laid out as this module expects')" 1
e2e_check "failclosed: swapped layout: rmmod" rmmod kvm_s2attr
e2e_dmesg_clean "failclosed: no kernel warning, bug or stack dump"
e2e_s2test "failclosed: after rmmod, small" "$small" --expect kernel-default

# ------------------------------------------------------ d. load order ---
# By path: busybox sh would run its own applets for bare names.
KMOD=/e2e/kmod
MODS=/lib/modules/$(uname -r)
# fc_vfio_out: unbind the devices, unload vfio-pci (and vfio-pci-core).
fc_vfio_out() {
	for bdf in $(echo "$e2e_devs" | tr , ' '); do
		[ ! -e "/sys/bus/pci/devices/$bdf/driver" ] ||
			echo "$bdf" >"/sys/bus/pci/devices/$bdf/driver/unbind"
	done
	rmmod vfio_pci || return 1
	! grep -q '^vfio_pci_core ' /proc/modules || rmmod vfio_pci_core
}
# fc_modline MOD: MOD's line number in /proc/modules (newest first), or 0.
fc_modline() {
	awk -v m="$1" '$1 == m { print NR; found = 1; exit } END { if (!found) print 0 }' /proc/modules
}
fc_has "order: modprobe is kmod's" "$($KMOD/modprobe --version 2>&1)" "^kmod version [0-9]+"
e2e_check "order: vfio-pci unloaded, devices unbound" fc_vfio_out
e2e_check "order: kvm_s2attr installed for modprobe (kmod depmod)" sh -c \
	"mkdir -p $MODS/updates && cp $KO $MODS/updates/ && $KMOD/depmod -a"
mkdir -p /etc/modprobe.d
{ cat /e2e/kvm-s2attr.conf; echo "options kvm_s2attr devices=$small=$opp_set"; } >/etc/modprobe.d/kvm-s2attr.conf
e2e_check "order: kmod modprobe vfio_pci" $KMOD/modprobe vfio_pci
a=$(fc_modline kvm_s2attr)
v=$(fc_modline vfio_pci)
if [ "$a" -gt 0 ] && [ "$v" -gt 0 ] && [ "$a" -gt "$v" ]; then
	e2e_pass "order: kvm_s2attr was loaded before vfio_pci"
else
	e2e_fail "order: kvm_s2attr was loaded before vfio_pci" "/proc/modules lines: kvm_s2attr $a, vfio_pci $v" "$(head -n 8 /proc/modules)"
fi
e2e_expect_eq "order: the options of modprobe.d applied" "$(cat $S/devices/"$small"/memattr 2>&1)" "$opp_set"
for bdf in $(echo "$e2e_devs" | tr , ' '); do
	e2e_check "order: dev $bdf bound to vfio-pci again" e2e_bind_vfio "$bdf"
done
e2e_s2test "order: loaded by the softdep, listed $opp_set, small" "$small" --expect "$opp"
e2e_expect_eq "order: kvm-s2attr status exits 0" "$($T status >/dev/null 2>&1; echo $?)" 0
e2e_check "order: rmmod kvm_s2attr" rmmod kvm_s2attr
e2e_check "order: vfio-pci unloaded again" fc_vfio_out
# Refused: a bad option.
{ cat /e2e/kvm-s2attr.conf; echo "options kvm_s2attr devices=$small=bogus"; } >/etc/modprobe.d/kvm-s2attr.conf
dmesg -c >/dev/null
e2e_check "order: kvm_s2attr refuses, kmod modprobe vfio_pci still succeeds" $KMOD/modprobe vfio_pci
e2e_expect_eq "order: kvm_s2attr is not loaded" "$(fc_modline kvm_s2attr)" 0
fc_has "order: vfio_pci is loaded" "$(cat /proc/modules)" "^vfio_pci "
fc_has "order: the refusal is in the kernel log" "$(dmesg | grep kvm_s2attr)" "kvm_s2attr: .*bogus"
out=$($T status 2>&1)
e2e_expect_eq "order: refused: kvm-s2attr status exits 3" "$?" 3
fc_has "order: refused: status says configured but not loaded" "$out" \
	"ERROR: kvm_s2attr is configured \(in /etc/modprobe.d/kvm-s2attr.conf\) but not loaded"
fc_has "order: refused: prometheus configured_not_loaded 1" "$($T status --prometheus 2>&1)" \
	'^kvm_s2attr_configured_not_loaded 1$'
rm -f /etc/modprobe.d/kvm-s2attr.conf "$MODS/updates/kvm_s2attr.ko"
$KMOD/depmod -a
for bdf in $(echo "$e2e_devs" | tr , ' '); do
	e2e_check "order: dev $bdf bound to vfio-pci at the end" e2e_bind_vfio "$bdf"
done

# ------------------------------------------- e. BAR smaller than a page ---
# fc_bar0 BDF: BAR0's start and size, from sysfs, in bar0_start/bar0_size.
fc_bar0() {
	read -r bar0_start bar0_end _ <"/sys/bus/pci/devices/$1/resource"
	bar0_size=$((bar0_end - bar0_start + 1))
	bar0_start=$((bar0_start))
	echo "$1: BAR0 at $(printf '%#x' $bar0_start), $bar0_size bytes"
}
sub=
for bdf in $(echo "$e2e_devs" | tr , ' '); do
	fc_bar0 "$bdf" >/dev/null
	if [ "$bar0_size" -lt "$E2E_PAGE_SIZE" ] && [ $((bar0_start % E2E_PAGE_SIZE)) = 0 ]; then sub=$bdf; fi
done
others=$(echo "$e2e_devs" | tr , '\n' | grep -vx "$sub")
if [ -n "$sub" ]; then
	e2e_pass "subpage: $sub has a page-aligned BAR0 smaller than a page"
	tap_diag "  $(fc_bar0 "$sub")"
else
	e2e_fail "subpage: a device has a page-aligned BAR0 smaller than a page" "$(for b in $(echo "$e2e_devs" | tr , ' '); do fc_bar0 "$b"; done)"
	sub=$small
fi
e2e_check "subpage: the other device removed, so that BAR0 is alone in its page" sh -c \
	"for b in $others; do echo \$b > /sys/bus/pci/devices/\$b/driver/unbind; echo 1 > /sys/bus/pci/devices/\$b/remove; done"
e2e_check "subpage: insmod devices=$sub=$opp_set" insmod $KO "devices=$sub=$opp_set"
fc_bar0 "$sub" >/dev/null
fc_has "subpage: state shows BAR0 as its page" "$(cat $S/devices/"$sub"/state 2>&1)" \
	" bar0=$(printf '%#x' $bar0_start)-$(printf '%#x' $((bar0_start + E2E_PAGE_SIZE - 1)))( |\$)"
e2e_s2test "subpage: listed $opp_set, bar0" "$sub" --bar 0 --read-only --expect "$opp"
e2e_check "subpage: rmmod" rmmod kvm_s2attr
e2e_s2test "subpage: after rmmod, KVM's own attribute, bar0" "$sub" --bar 0 --read-only --expect kernel-default
e2e_check "subpage: rescan" sh -c "echo 1 > /sys/bus/pci/rescan"
for bdf in $others; do
	e2e_check "subpage: dev $bdf back and bound to vfio-pci" e2e_bind_vfio "$bdf"
done
