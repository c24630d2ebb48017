# SPDX-License-Identifier: GPL-2.0
# Nothing blocks a VM (issue 21). vfio resets a device only if it gets the
# device's lock at once (pci_try_reset_function()): a VM's first open of
# the device fails with EAGAIN otherwise (vfio_pci_core_enable()), and so
# does VFIO_DEVICE_RESET; the reset at last close is skipped. Changes
# applied to running guests must never hold that lock.
# A device that can be reset (alone behind a PCIe root port: a secondary
# bus reset; run.sh adds it for this scenario) is listed, and while two
# writers change its attribute and the default as fast as they can (each
# change is an application, the default's to every device), s2test starts
# VMs on it one after the other for e2e_resets_s seconds (default 20), and
# at least 5 times, each resetting the device twice with its VM there
# (a secondary bus reset waits a second on 5.10 and 6.1, and vfio resets
# at open and at last close too): every start and every reset succeeds,
# and the writers' changes too.
# e2e-blocks: 11
# shellcheck shell=sh disable=SC2154,SC2012 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
R=/tmp/resets
rs_dev=$e2e_dev_rst
rs_secs=${e2e_resets_s:-20}
rs_resets=2
rm -rf $R
mkdir -p $R

e2e_check "resets: $rs_dev bound to vfio-pci" e2e_bind_vfio "$rs_dev"
# Without a reset method vfio never tries the lock: nothing would be shown.
e2e_check "resets: $rs_dev can be reset (it has a sysfs reset file)" \
	test -e "/sys/bus/pci/devices/$rs_dev/reset"
e2e_s2test "resets: no module, a VM on $rs_dev and $rs_resets resets" "$rs_dev" \
	--expect kernel-default --resets $rs_resets
e2e_check "resets: insmod devices=$rs_dev=normal-nc" insmod $KO "devices=$rs_dev=normal-nc"

rm -f $R/stop
e2e_writer $R/stop $R/attr.count "device>devices/$rs_dev/memattr" \
	"normal-nc>devices/$rs_dev/memattr" 2>$R/attr.err &
rs_p1=$!
e2e_writer $R/stop $R/default.count "device>default" "kernel>default" 2>$R/default.err &
rs_p2=$!
read -r rs_t0 _ </proc/uptime
rs_end=$(awk -v t="$rs_t0" -v s="$rs_secs" 'BEGIN { printf "%d", t + s }')
rs_last=$(awk -v t="$rs_t0" -v s="$((120 * E2E_SLOW))" 'BEGIN { printf "%d", t + s }')
rs_min=5
: >$R/runs
rs_n=0
while :; do
	read -r rs_now _ </proc/uptime
	[ "${rs_now%.*}" -lt "$rs_end" ] || [ $rs_n -lt $rs_min ] || break
	[ "${rs_now%.*}" -lt "$rs_last" ] || break
	rs_n=$((rs_n + 1))
	# The writers drop the BAR's mappings at any moment (see robust).
	$S2TEST --allow-unmapped "$rs_dev" --expect any --resets $rs_resets >$R/cur 2>&1
	rs_rc=$?
	rs_got=$(sed -n 's/^# s2test-resets .* ok=\([0-9]*\)$/\1/p' $R/cur)
	echo "$rs_rc ${rs_got:-none}" >>$R/runs
	[ $rs_rc = 0 ] || cp $R/cur "$R/fail.$rs_n"
done
touch $R/stop
wait $rs_p1 $rs_p2

rs_runs=$(grep -c . $R/runs)
rs_bad=$(grep -vc '^0 ' $R/runs)
rs_resets_ok=$(awk '$2 ~ /^[0-9]+$/ { n += $2 } END { print n + 0 }' $R/runs)
rs_f=$(ls $R/fail.* 2>/dev/null | head -n 1)
read -r rs_now _ </proc/uptime
tap_diag "  resets: $rs_runs VM starts in $(awk -v a="$rs_t0" -v b="$rs_now" 'BEGIN { printf "%.0f", b - a }')s, $rs_bad failed, $rs_resets_ok resets succeeded"
if [ "$rs_runs" -ge $rs_min ] && [ "$rs_bad" = 0 ]; then
	e2e_pass "resets: all $rs_runs VM starts on $rs_dev succeeded while changes were applied"
else
	e2e_fail "resets: VM starts on $rs_dev while changes were applied" \
		"$rs_runs runs ($rs_min or more wanted), $rs_bad failed" \
		"${rs_f:+first failure ($rs_f):}" "$([ -z "$rs_f" ] || grep -E '^not ok|^Bail|^# stderr' "$rs_f" | head -n 6)"
fi
e2e_expect_eq "resets: VFIO_DEVICE_RESETs that succeeded, of $rs_runs x $rs_resets" \
	"$rs_resets_ok" $((rs_runs * rs_resets))
read -r rs_aok rs_aerr <$R/attr.count
read -r rs_dok rs_derr <$R/default.count
tap_diag "  resets: writers: attribute $rs_aok ok $rs_aerr refused, default $rs_dok ok $rs_derr refused"
if [ "$rs_aok" -gt 0 ] && [ "$rs_dok" -gt 0 ] && [ "$rs_aerr" = 0 ] && [ "$rs_derr" = 0 ]; then
	e2e_pass "resets: every change succeeded ($rs_aok of the attribute, $rs_dok of the default)"
else
	e2e_fail "resets: every change succeeded" \
		"attribute $rs_aok ok $rs_aerr refused, default $rs_dok ok $rs_derr refused" \
		"$(sort $R/attr.err $R/default.err | uniq -c | head -n 5)"
fi
# The last change of the device applied to it (its BAR, no error).
rs_applied=$(cat "$S/devices/$rs_dev/applied" 2>&1)
case $rs_applied in
*" bars="[1-9]*" mappings="*" ok") e2e_pass "resets: the device's last application: $rs_applied" ;;
*) e2e_fail "resets: the device's last application" "applied: $rs_applied" ;;
esac
e2e_dmesg_clean "resets: dmesg has no kernel warning, bug or stack dump"
e2e_check "resets: rmmod" rmmod kvm_s2attr
e2e_s2test "resets: after rmmod, $rs_dev" "$rs_dev" --expect kernel-default --resets 1
