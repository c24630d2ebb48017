# SPDX-License-Identifier: GPL-2.0
# Rules by device identity (issue 23): both test devices are the same
# model (ivshmem, IDs read from PCI's sysfs) at different addresses, as a
# fleet's hosts put the same devices at different BDFs. A rule by ID gives
# both the attribute opposite to stock's; a device listed by address keeps
# its own (address first); a more specific rule (subsystem IDs) wins over
# a less specific one; the file "bound" says for each device bound to
# vfio-pci what gave it its attribute. A change of rules reaches a running
# guest (s2test --live), rewriting the same rules applies nothing, bad
# rules change nothing, a device removed and found again (hot-plug) and
# bound to vfio-pci gets its rule's attribute, and ids= at load works.
# e2e-blocks: 28
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
small=$e2e_dev_small
big=$e2e_dev_big
stock=$(e2e_stock_attr)
opp=$(e2e_other_attr "$stock")
opp_set=$(e2e_setting "$opp")
stock_set=$(e2e_setting "$stock")
P=/sys/bus/pci/devices
# "vvvv:dddd" and "vvvv:dddd:ssss:tttt" of a device, from PCI's sysfs.
id_of() {
	echo "$(sed 's/^0x//' "$P/$1/vendor"):$(sed 's/^0x//' "$P/$1/device")"
}
sub_of() {
	echo "$(id_of "$1"):$(sed 's/^0x//' "$P/$1/subsystem_vendor"):$(sed 's/^0x//' "$P/$1/subsystem_device")"
}
id=$(id_of "$small")
sub=$(sub_of "$small")
e2e_expect_eq "ids: both devices are the same model" "$(sub_of "$big")" "$sub"

e2e_check "ids: insmod ids=$id=$opp_set" insmod $KO "ids=$id=$opp_set"
e2e_expect_eq "ids: the ids file" "$(cat $S/ids)" "$id=$opp_set"
e2e_s2test "ids: rule $id, small" "$small" --expect "$opp"
e2e_s2test "ids: rule $id, big" "$big" --expect "$opp"
# In the order of the kernel's PCI device list, which a hot-plug changes.
e2e_expect_eq "ids: bound says the rule gave both their attribute" \
	"$(grep -E "^($small|$big) " $S/bound | cut -d' ' -f1,3,4 | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "$small $opp_set id=$id" "$big $opp_set id=$id" | sort | tr '\n' ' ')"
# The rule's attribute is the opposite of KVM's: every mapping rewritten.
rw=$(cat $S/id_rewrites)
if [ "$rw" -gt 0 ]; then
	e2e_pass "ids: id_rewrites counts the rule's rewrites ($rw)"
else
	e2e_fail "ids: id_rewrites counts the rule's rewrites" "got '$rw'"
fi

# An address comes first.
e2e_check "ids: add $small $stock_set" sh -c "echo '$small $stock_set' > $S/add"
e2e_s2test "ids: listed by address, small" "$small" --expect "$stock"
e2e_s2test "ids: still by the rule, big" "$big" --expect "$opp"
e2e_expect_eq "ids: bound says small is listed" \
	"$(grep "^$small " $S/bound | cut -d' ' -f3,4)" "$stock_set listed"
e2e_check "ids: remove $small" sh -c "echo $small > $S/remove"

# The more specific rule wins, whatever the order; a change reaches a
# running guest.
rm -f /tmp/ids.in /tmp/ids.out
mkfifo /tmp/ids.in /tmp/ids.out
$S2TEST --live /tmp/ids.in,/tmp/ids.out "$big" --expect "$opp" >/tmp/ids.tap 2>&1 &
ids_pid=$!
exec 5>/tmp/ids.in 6</tmp/ids.out
printf '%s=%s\n%s=%s\n' "$sub" "$stock_set" "$id" "$opp_set" >/tmp/ids.rules
e2e_check "ids: write two rules, $sub=$stock_set first" sh -c "cat /tmp/ids.rules > $S/ids"
echo "expect $stock" >&5
read -r _ <&6
e2e_expect_eq "ids: the device's last application was the rules'" \
	"$(sed -n 's/^ids [0-9]* bars=[1-9][0-9]* mappings=\([1-9][0-9]*\) ok$/ok/p' $S/last_apply)" ok
# The same rules again: nothing to apply.
la=$(cat $S/last_apply)
e2e_check "ids: the same rules again" sh -c "cat /tmp/ids.rules > $S/ids"
e2e_expect_eq "ids: the same rules applied nothing" "$(cat $S/last_apply)" "$la"
echo "keep $stock" >&5
read -r _ <&6
echo quit >&5
wait $ids_pid
ids_rc=$?
exec 5>&- 6<&-
tap_diag "e2e-block ids: a running guest gets the more specific rule's attribute"
cat /tmp/ids.tap >&3
echo "e2e: s2test --live for ids: exit $ids_rc"
e2e_s2test "ids: the more specific rule, small" "$small" --expect "$stock"

# Bad rules are refused and change nothing.
before=$(cat $S/ids)
for bad in "$id=bogus" "$id=$opp_set,$id=$stock_set" "${id%:*}=device" "$id/05=device" \
	"$id=$opp_set,"; do
	if echo "$bad" >$S/ids 2>/dev/null; then
		echo "accepted: $bad" >>/tmp/ids.bad
	fi
done
e2e_expect_eq "ids: bad rules refused" "$(cat /tmp/ids.bad 2>/dev/null)" ""
e2e_expect_eq "ids: bad rules changed nothing" "$(cat $S/ids)" "$before"

# Hot-plug: the device found again, bound to vfio-pci, gets its rule.
e2e_check "ids: one rule, $id=$opp_set" sh -c "echo '$id=$opp_set' > $S/ids"
e2e_check "ids: remove $big from the bus" sh -c "echo 1 > $P/$big/remove"
e2e_check "ids: rescan" sh -c "echo 1 > /sys/bus/pci/rescan"
e2e_check "ids: $big bound to vfio-pci again" e2e_bind_vfio "$big"
e2e_s2test "ids: rule after hot-plug, big" "$big" --expect "$opp"

e2e_check "ids: rmmod" rmmod kvm_s2attr
e2e_s2test "ids: after rmmod, big" "$big" --expect kernel-default
e2e_check "ids: ids=$id=maybe refused at load" sh -c "! insmod $KO ids=$id=maybe && test ! -e $S"
