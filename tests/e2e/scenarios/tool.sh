# SPDX-License-Identifier: GPL-2.0
# The kvm-s2attr tool against the real module: its messages and exit codes
# before the module is loaded, set/unset/default, "status" (text, --json,
# --prometheus) checked against sysfs, bad input; then boot-time
# configuration: /etc/modprobe.d/kvm-s2attr.conf and "modprobe kvm_s2attr"
# (from /lib/modules/$(uname -r)/extra, after depmod) before any guest runs,
# with the attributes read back from the stage-2 tables by s2test.
# e2e-blocks: 82
# shellcheck shell=sh disable=SC2154,SC2086,SC2012 # e2e_* come from the kernel command line; BDFs have no blanks
S=/sys/kernel/kvm_s2attr
small=$e2e_dev_small
big=$e2e_dev_big
T=/sbin/kvm-s2attr
O=/tmp/tool.out
E=/tmp/tool.err

# tool_rc NAME WANT-EXIT ARGS...: run the tool, check its exit status;
# stdout in $O, stderr in $E.
tool_rc() {
	name=$1 want=$2
	shift 2
	$T "$@" >$O 2>$E
	rc=$?
	if [ "$rc" = "$want" ]; then
		e2e_pass "tool: $name (exit $rc)"
	else
		e2e_fail "tool: $name" "kvm-s2attr $*: exit $rc, want $want" "stdout: $(cat $O)" "stderr: $(cat $E)"
	fi
}

# tool_has NAME FILE ERE: FILE has a line matching ERE.
tool_has() {
	if grep -Eq -- "$3" "$2"; then
		e2e_pass "tool: $1"
	else
		e2e_fail "tool: $1" "no line matching /$3/ in:" "$(cat "$2")"
	fi
}

tool_json_ok() {
	if awk -f /e2e/json-check.awk $O >/tmp/json.err 2>&1; then
		e2e_pass "tool: $1: JSON well-formed"
	else
		e2e_fail "tool: $1: JSON well-formed" "$(cat /tmp/json.err)" "$(cat $O)"
	fi
	tap_diag "  tool-json $(cat $O)"
}

[ ! -e $S ] || rmmod kvm_s2attr

# Before the module is loaded.
tool_rc "status, module not loaded" 3 status
tool_has "not loaded: says what to do" $E "module is not loaded: run 'modprobe kvm_s2attr'"
tool_rc "status --json, not loaded" 3 status --json
tool_json_ok "not loaded"
tool_has "not loaded: json loaded false, supported true" $O '^\{"supported":true,"loaded":false,'
tool_rc "status --prometheus, not loaded" 0 status --prometheus
tool_has "not loaded: kvm_s2attr_loaded 0" $O '^kvm_s2attr_loaded 0$'
tool_has "not loaded: kvm_s2attr_supported 1" $O '^kvm_s2attr_supported 1$'
tool_rc "set, not loaded" 3 set "$small" normal-nc

e2e_check "tool: insmod kvm_s2attr" insmod /e2e/kvm_s2attr.ko
tool_rc "status" 0 status
tool_has "status: KVM mode $e2e_mode" $O "^  KVM mode: +$e2e_mode\$"
tool_has "status: hook as sysfs" $O "^  hook: +$(cat $S/hook)\$"
tool_has "status: no devices" $O '^  listed devices: +0$'

tool_rc "set $small normal-nc" 0 set "$small" normal-nc
e2e_expect_eq "tool: sysfs memattr of $small" "$(cat $S/devices/$small/memattr)" normal-nc
tool_rc "set ${big#0000:} device (short form)" 0 set "${big#0000:}" device
e2e_expect_eq "tool: sysfs memattr of $big" "$(cat $S/devices/$big/memattr)" device
e2e_s2test "tool: set normal-nc, small" "$small" --expect normal-nc
e2e_s2test "tool: set device, big" "$big" --expect device-ngnre

# status, --json and --prometheus against sysfs.
rw_small=$(cat $S/devices/$small/rewrites)
rw_big=$(cat $S/devices/$big/rewrites)
tap_diag "  rewrites: $small=$rw_small $big=$rw_big"
tool_rc "status, two devices" 0 status
tool_has "status: row of $small" $O "^$small +normal-nc +yes +vfio-pci +$rw_small +.*bar2=0x"
tool_has "status: row of $big" $O "^$big +device +yes +vfio-pci +$rw_big +.*bar2=0x"
tool_has "status: default kernel" $O '^  default: +kernel '
tool_rc "status --json" 0 status --json
tool_json_ok "loaded"
tool_has "json: mode, hook, default" $O "\"kvm_mode\":\"$e2e_mode\".*\"hook\":\"$(cat $S/hook)\",\"default\":\"kernel\",\"default_rewrites\":$(cat $S/default_rewrites),"
tool_has "json: $small" $O "\{\"bdf\":\"$small\",\"memattr\":\"normal-nc\",\"present\":true,\"driver\":\"vfio-pci\",\"rewrites\":$rw_small,\"bars\":\[\{\"bar\":"
tool_has "json: $big" $O "\{\"bdf\":\"$big\",\"memattr\":\"device\",\"present\":true,\"driver\":\"vfio-pci\",\"rewrites\":$rw_big,"
bar2=$(sed -n 's/.* bar2=\(0x[0-9a-f]*\)-.*/\1/p' $S/devices/$small/state)
tool_has "json: bar2 start of $small as in state ($bar2)" $O "\"bdf\":\"$small\"[^]]*\"bar\":2,\"start\":\"$bar2\""
tool_rc "status --prometheus" 0 status --prometheus
tool_has "prometheus: loaded" $O '^kvm_s2attr_loaded 1$'
tool_has "prometheus: listed 2" $O '^kvm_s2attr_devices_listed 2$'
tool_has "prometheus: rewrites of $small" $O "^kvm_s2attr_rewrites_total\{bdf=\"$small\",memattr=\"normal-nc\"\} $rw_small\$"
tool_has "prometheus: rewrites of $big" $O "^kvm_s2attr_rewrites_total\{bdf=\"$big\",memattr=\"device\"\} $rw_big\$"
tool_has "prometheus: $small present" $O "^kvm_s2attr_device_present\{bdf=\"$small\",driver=\"vfio-pci\"\} 1\$"
tool_has "prometheus: info" $O "^kvm_s2attr_info\{kvm_mode=\"$e2e_mode\",fwb=\"$(cat $S/fwb)\",kernel_nc=\"$([ "$(e2e_stock_attr)" = normal-nc ] && echo 1 || echo 0)\",hook=\"$(cat $S/hook)\",default=\"kernel\"\} 1\$"

# A listed address with no device behind it.
tool_rc "set absent 0000:00:1f.0" 0 set 0000:00:1f.0 normal-nc
tool_rc "status --json, absent device" 0 status --json
tool_json_ok "absent device"
# A change to an absent device is applied to running guests: to nothing.
ap='"applied":\{"result":"ok","time":[0-9]+,"bars":0,"mappings":0\}'
tool_has "json: absent device" $O '\{"bdf":"0000:00:1f.0","memattr":"normal-nc","present":false,"driver":null,"rewrites":0,"bars":\[\],"overlap_bars":\[\],'"$ap"'\}'
tool_rc "status --prometheus, absent device" 0 status --prometheus
tool_has "prometheus: absent device" $O '^kvm_s2attr_device_present\{bdf="0000:00:1f.0",driver="-"\} 0$'
tool_rc "unset 00:1f.0" 0 unset 00:1f.0

# default
tool_rc "default device" 0 default device
e2e_expect_eq "tool: sysfs default" "$(cat $S/default)" device
tool_rc "unset $big" 0 unset "$big"
e2e_check "tool: $big gone from sysfs" test ! -e "$S/devices/$big"
e2e_s2test "tool: default device, unlisted big" "$big" --expect device-ngnre
tool_rc "default kernel" 0 default kernel
e2e_expect_eq "tool: sysfs default again" "$(cat $S/default)" kernel
tool_rc "default (show)" 0 default
tool_has "default shows kernel" $O '^default: kernel$'

# Bad input: nothing changes.
tool_rc "unset $big again (not listed)" 1 unset "$big"
tool_has "unset: not listed" $E "not listed"
tool_rc "set zz:00.0" 2 set zz:00.0 normal-nc
tool_rc "set device 0x20" 2 set 00:20.0 normal-nc
tool_rc "set $small cacheable" 2 set "$small" cacheable
tool_rc "set without attribute" 2 set "$small"
tool_rc "default maybe" 2 default maybe
tool_rc "unknown command" 2 frobnicate
tool_rc "status --yaml" 2 status --yaml
e2e_expect_eq "tool: $small unchanged by bad input" "$(cat $S/devices/$small/memattr)" normal-nc
e2e_expect_eq "tool: one device listed" "$(ls $S/devices | wc -l)" 1
e2e_check "tool: rmmod" rmmod kvm_s2attr

# Boot-time configuration: modprobe.d + modprobe, as the package sets up.
kdir=/lib/modules/$(uname -r)
e2e_check "tool: install the module in $kdir/extra and depmod" \
	sh -c "mkdir -p $kdir/extra && cp /e2e/kvm_s2attr.ko $kdir/extra/ && depmod"
mkdir -p /etc/modprobe.d
cat >/etc/modprobe.d/kvm-s2attr.conf <<EOT
# as /etc/modprobe.d/kvm-s2attr.conf on a host
options kvm_s2attr devices=$small=normal-nc default=device
EOT
# Configured but not yet loaded: an error, with a metric to alert on.
tool_rc "configured, not loaded: status" 3 status
tool_has "configured, not loaded: says where" $E "ERROR: kvm_s2attr is configured \(in /etc/modprobe.d/kvm-s2attr.conf\) but not loaded"
tool_rc "configured, not loaded: --prometheus" 0 status --prometheus
tool_has "configured, not loaded: metric" $O '^kvm_s2attr_configured_not_loaded 1$'
e2e_check "tool: modprobe kvm_s2attr (options from modprobe.d)" modprobe kvm_s2attr
e2e_expect_eq "tool: modprobe.d: memattr of $small" "$(cat $S/devices/$small/memattr 2>&1)" normal-nc
e2e_expect_eq "tool: modprobe.d: default" "$(cat $S/default 2>&1)" device
tool_rc "status after modprobe" 0 status
tool_has "status after modprobe: $small" $O "^$small +normal-nc +yes +vfio-pci "
tool_rc "--prometheus after modprobe" 0 status --prometheus
tool_has "after modprobe: configured and loaded" $O '^kvm_s2attr_configured_not_loaded 0$'
e2e_s2test "tool: modprobe.d normal-nc, small" "$small" --expect normal-nc
e2e_s2test "tool: modprobe.d default=device, big" "$big" --expect device-ngnre
e2e_check "tool: modprobe -r kvm_s2attr" modprobe -r kvm_s2attr
e2e_check "tool: sysfs gone" test ! -e $S
rm -f /etc/modprobe.d/kvm-s2attr.conf "$kdir/extra/kvm_s2attr.ko"
depmod
tool_rc "status after unload" 3 status
