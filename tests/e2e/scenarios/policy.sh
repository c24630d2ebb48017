# SPDX-License-Identifier: GPL-2.0
# One policy file, kept in sync (issue 23): /etc/modprobe.d/kvm-s2attr.conf,
# one rule a line, is what Debian's kmod modprobe loads (the lines' lists
# joined by the module) and what "kvm-s2attr apply" makes the running
# module match. Both test devices are the same model at different
# addresses: small is listed by address with stock's attribute, big gets
# the opposite through the more specific of two ID rules. With a guest
# running on big (s2test --live): "diff" shows a changed rule, "apply"
# brings it to the guest (stage 2 read back), a second "apply" changes
# nothing (no application), the previous file back (a rollback) and
# "apply" bring the guest back. A bad file changes nothing (exit 2).
# "set --persist" writes to the file, and "kvm-s2attr reload" (kmod's
# rmmod and modprobe) loads exactly the file again.
# e2e-blocks: 38
# shellcheck shell=sh disable=SC2154,SC2086 # e2e_* come from the kernel command line; BDFs have no blanks
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
T=/sbin/kvm-s2attr
KMOD=/e2e/kmod
MODS=/lib/modules/$(uname -r)
PF=/etc/modprobe.d/kvm-s2attr.conf
small=$e2e_dev_small
big=$e2e_dev_big
stock=$(e2e_stock_attr)
opp=$(e2e_other_attr "$stock")
opp_set=$(e2e_setting "$opp")
stock_set=$(e2e_setting "$stock")
P=/sys/bus/pci/devices
hex() { sed 's/^0x//' "$P/$1/$2"; }
id="$(hex "$small" vendor):$(hex "$small" device)"
sub="$id:$(hex "$small" subsystem_vendor):$(hex "$small" subsystem_device)"

# pol_rc NAME WANT ARGS...: the tool's exit status; output in /tmp/pol.out.
pol_rc() {
	name=$1 want=$2
	shift 2
	PATH=$KMOD:$PATH $T "$@" >/tmp/pol.out 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then
		e2e_pass "policy: $name (exit $rc)"
	else
		e2e_fail "policy: $name" "kvm-s2attr $*: exit $rc, want $want" "$(cat /tmp/pol.out)"
	fi
}
# The module's whole state that a policy sets, and its last application.
pol_state() {
	echo "default $(cat $S/default)"
	for d in "$S"/devices/*; do
		[ -d "$d" ] && echo "device ${d##*/} $(cat "$d/memattr")"
	done
	sed 's/^/id /' $S/ids
	echo "last_apply $(cat $S/last_apply)"
}

[ ! -e $S ] || rmmod kvm_s2attr
e2e_check "policy: kvm_s2attr installed for modprobe (kmod depmod)" sh -c \
	"mkdir -p $MODS/updates && cp $KO $MODS/updates/ && $KMOD/depmod -a"
mkdir -p /etc/modprobe.d
{
	cat /e2e/kvm-s2attr.conf
	echo "# the fleet's policy: one rule a line"
	echo "options kvm_s2attr default=device"
	echo "options kvm_s2attr ids=$id=$opp_set"
	echo "options kvm_s2attr ids=$sub=$opp_set"
	echo "options kvm_s2attr devices=$small=$stock_set"
} >$PF
cp $PF /tmp/policy.v1
e2e_check "policy: kmod modprobe kvm_s2attr with the file" $KMOD/modprobe kvm_s2attr
# Both ids= lines count: the module joins them (the last alone before).
e2e_expect_eq "policy: the module has both rules" "$(cat $S/ids)" "$(printf '%s=%s\n%s=%s' "$id" "$opp_set" "$sub" "$opp_set")"
e2e_expect_eq "policy: small listed by address" "$(cat $S/devices/$small/memattr 2>&1)" "$stock_set"
pol_rc "diff right after the load" 0 diff
e2e_expect_eq "policy: diff prints nothing" "$(cat /tmp/pol.out)" ""
before=$(pol_state)
pol_rc "apply right after the load" 0 apply
e2e_expect_eq "policy: apply says nothing changed" "$(cat /tmp/pol.out)" \
	"kvm_s2attr: the running module matches $PF: nothing changed"
e2e_expect_eq "policy: nothing applied" "$(pol_state)" "$before"
e2e_s2test "policy: small, by address" "$small" --expect "$stock"

# A guest on big, by the more specific rule; the rule changes under it.
rm -f /tmp/pol.in /tmp/pol.fo
mkfifo /tmp/pol.in /tmp/pol.fo
$S2TEST --live /tmp/pol.in,/tmp/pol.fo "$big" --expect "$opp" >/tmp/pol.tap 2>&1 &
pol_pid=$!
exec 5>/tmp/pol.in 6</tmp/pol.fo
sed "s/^options kvm_s2attr ids=$sub=$opp_set\$/options kvm_s2attr ids=$sub=$stock_set/" /tmp/policy.v1 >$PF
pol_rc "diff, a rule changed in the file" 1 diff
e2e_expect_eq "policy: diff shows the rule, running and in the file" \
	"$(grep '^[-+]id' /tmp/pol.out | tr '\n' ' ')" "-id $sub $opp_set +id $sub $stock_set "
pol_rc "apply the changed rule" 0 apply
e2e_expect_eq "policy: apply made one change" "$(tail -n 1 /tmp/pol.out)" "kvm_s2attr: 1 change(s) applied from $PF"
e2e_expect_eq "policy: the application reached the guest's mappings" \
	"$(sed -n 's/^ids [0-9]* bars=[1-9][0-9]* mappings=[1-9][0-9]* ok$/ok/p' $S/last_apply)" ok
echo "expect $stock" >&5
read -r _ <&6
before=$(pol_state)
pol_rc "apply again" 0 apply
e2e_expect_eq "policy: apply again applied nothing" "$(pol_state)" "$before"
pol_rc "diff after apply" 0 diff
# A bad file: refused, nothing changed.
printf 'options kvm_s2attr ids=%s=%s\noptions kvm_s2attr ids=%s=bogus\n' "$id" "$opp_set" "$sub" >$PF
pol_rc "apply, bad file" 2 apply
e2e_expect_eq "policy: bad file: says where" "$(cat /tmp/pol.out)" \
	"kvm-s2attr: $PF:2: ids= rule \"$sub=bogus\": expected vendor:device[:subvendor:subdevice][/class]=device|normal-nc (IDs of 4 hex digits or *, a class of 4 or 6)"
e2e_expect_eq "policy: bad file changed nothing" "$(pol_state)" "$before"
echo "keep $stock" >&5
read -r _ <&6
# Rollback: the previous file back.
cp /tmp/policy.v1 $PF
pol_rc "apply the previous file (rollback)" 0 apply
echo "expect $opp" >&5
read -r _ <&6
echo quit >&5
wait $pol_pid
pol_s2rc=$?
exec 5>&- 6<&-
tap_diag "e2e-block policy: a running guest follows apply, then the rollback"
cat /tmp/pol.tap >&3
echo "e2e: s2test --live for policy: exit $pol_s2rc"
pol_rc "diff after the rollback" 0 diff

# --persist, then a reload loads exactly the file.
pol_rc "set --persist big" 0 set --persist "$big" "$stock_set"
e2e_expect_eq "policy: set --persist wrote the file" "$(grep -c "^options kvm_s2attr devices=$big=$stock_set\$" $PF)" 1
pol_rc "diff after set --persist" 0 diff
pol_rc "reload" 0 reload
e2e_expect_eq "policy: after reload, big listed from the file" "$(cat $S/devices/$big/memattr 2>&1)" "$stock_set"
e2e_expect_eq "policy: after reload, both rules" "$(grep -c . $S/ids)" 2
pol_rc "diff after reload" 0 diff
e2e_s2test "policy: after reload, big" "$big" --expect "$stock"
pol_rc "unset --persist big" 0 unset --persist "$big"
e2e_expect_eq "policy: the file is the first one again" "$(cat $PF)" "$(cat /tmp/policy.v1)"
e2e_s2test "policy: big by the rule again" "$big" --expect "$opp"
pol_rc "status" 0 status
e2e_dmesg_clean "policy: no kernel warning, bug or stack dump"

e2e_check "policy: rmmod" rmmod kvm_s2attr
rm -f $PF "$MODS/updates/kvm_s2attr.ko"
$KMOD/depmod -a
