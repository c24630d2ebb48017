#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tool-test.sh: tools/kvm-s2attr on this (x86_64) host against a fake
# /sys/kernel/kvm_s2attr (KVM_S2ATTR_SYSFS), under dash: exit codes,
# status text, --json (checked by tests/pkg/json-check.awk and, if there,
# python3) and --prometheus. The real module is exercised in the QEMU
# guest by tests/e2e/scenarios/tool.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tool=$top/tools/kvm-s2attr
sh=$(command -v dash || command -v sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
# t NAME WANT-RC [env...] -- ARGS: run the tool, check its exit status.
t() {
	local name=$1 want=$2 rc
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" "$sh" "$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else nok "$name" "exit $rc, want $want" "$(cat "$tmp/out" "$tmp/err")"; fi
}
has() { if grep -qE -- "$2" "$3"; then ok "$1"; else nok "$1" "no /$2/ in:" "$(cat "$3")"; fi; }
hasnt() { if grep -qE -- "$2" "$3"; then nok "$1" "/$2/ in:" "$(grep -E -- "$2" "$3")"; else ok "$1"; fi; }

S=$tmp/sys
M=$tmp/module
# The loaded module's /sys/module/kvm_s2attr (version, srcversion), and an
# empty root for everything the tool reads from / (modprobe.d, the modules
# modinfo finds): nothing on this machine leaks into the results.
mkdir -p "$tmp/emptyroot"
arm=(KVM_S2ATTR_ARCH=aarch64 KVM_S2ATTR_DEV_KVM=/dev/null KVM_S2ATTR_SYSFS="$S"
	KVM_S2ATTR_MODULE_SYSFS="$M" KVM_S2ATTR_CONF_ROOT="$tmp/emptyroot")

t "x86 host: status is unsupported" 4 KVM_S2ATTR_SYSFS="$S" KVM_S2ATTR_ARCH=x86_64 -- status
has "x86 host: message names the arch" "unsupported host: this host is x86_64" "$tmp/err"
t "arm64 without /dev/kvm: unsupported" 4 KVM_S2ATTR_SYSFS="$S" KVM_S2ATTR_ARCH=aarch64 KVM_S2ATTR_DEV_KVM="$tmp/nokvm" -- status
has "no KVM: message" "KVM is not available" "$tmp/err"
t "arm64, not loaded: status" 3 "${arm[@]}" -- status
has "not loaded: message" "module is not loaded: run 'modprobe kvm_s2attr'" "$tmp/err"
t "not loaded: set" 3 "${arm[@]}" -- set 01:00.0 normal-nc
t "not loaded: --json" 3 "${arm[@]}" -- status --json
has "not loaded: json says loaded false" '"loaded":false' "$tmp/out"
t "not loaded: --prometheus exits 0" 0 "${arm[@]}" -- status --prometheus
has "not loaded: kvm_s2attr_loaded 0" '^kvm_s2attr_loaded 0$' "$tmp/out"
# Configured but not loaded: an error an alert can fire on.
C=$tmp/conf
mkdir -p "$C/etc/modprobe.d" "$C/etc/modules-load.d" "$C/proc"
printf 'quiet\n' >"$C/proc/cmdline"
printf '#options kvm_s2attr default=device\nsoftdep vfio_pci pre: kvm_s2attr\n' >"$C/etc/modprobe.d/kvm-s2attr.conf"
t "not configured: --prometheus" 0 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$C" -- status --prometheus
has "not configured: configured 0" '^kvm_s2attr_configured 0$' "$tmp/out"
has "not configured: configured_not_loaded 0" '^kvm_s2attr_configured_not_loaded 0$' "$tmp/out"
printf 'options kvm_s2attr devices=0000:01:00.0=normal-nc\n' >"$C/etc/modprobe.d/kvm-s2attr.conf"
t "configured in modprobe.d, not loaded: status" 3 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$C" -- status
has "configured, not loaded: names the file" "ERROR: kvm_s2attr is configured \(in /etc/modprobe.d/kvm-s2attr.conf\) but not loaded" "$tmp/err"
t "configured, not loaded: --json" 3 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$C" -- status --json
has "configured, not loaded: json" '"loaded":false,"configured":true,"reason":"the kvm_s2attr module is configured \(in /etc/modprobe.d/kvm-s2attr.conf\) but not loaded"' "$tmp/out"
t "configured, not loaded: --prometheus" 0 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$C" -- status --prometheus
has "configured, not loaded: configured_not_loaded 1" '^kvm_s2attr_configured_not_loaded 1$' "$tmp/out"
rm "$C/etc/modprobe.d/kvm-s2attr.conf"
printf 'kvm_s2attr\n' >"$C/etc/modules-load.d/kvm.conf"
printf 'quiet kvm_s2attr.default=device\n' >"$C/proc/cmdline"
t "configured in modules-load.d and the command line: status" 3 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$C" -- status
has "configured: both places" "configured \(in /etc/modules-load.d/kvm.conf, /proc/cmdline\) but not loaded" "$tmp/err"
# A kernel built without KVM (Debian's bookworm rt-arm64) or without the
# hooks' options: unsupported, naming what is missing, whether or not
# /dev/kvm exists (the config is read first).
K=$tmp/kconf
mkdir -p "$K/boot"
printf 'CONFIG_ARM64=y\n# CONFIG_KVM is not set\nCONFIG_KPROBES=y\nCONFIG_FUNCTION_TRACER=y\n' >"$K/boot/config-$(uname -r)"
t "kernel without CONFIG_KVM: status unsupported" 4 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$K" -- status
has "kernel without CONFIG_KVM: says so" "unsupported host: kernel $(uname -r) is built without KVM \(CONFIG_KVM not set in /boot/config-$(uname -r)\): kvm-s2attr cannot run on it, and DKMS does not build it" "$tmp/err"
t "kernel without CONFIG_KVM: set unsupported" 4 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$K" -- set 01:00.0 normal-nc
t "kernel without CONFIG_KVM: --json" 4 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$K" -- status --json
has "kernel without CONFIG_KVM: json reason" '"supported":false.*built without KVM' "$tmp/out"
t "kernel without CONFIG_KVM: --prometheus" 0 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$K" -- status --prometheus
has "kernel without CONFIG_KVM: kvm_s2attr_supported 0" '^kvm_s2attr_supported 0$' "$tmp/out"
printf 'CONFIG_KVM=y\nCONFIG_KPROBES=y\n# CONFIG_FUNCTION_TRACER is not set\n' >"$K/boot/config-$(uname -r)"
t "kernel without the function tracer: unsupported" 4 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$K" -- status
has "kernel without the function tracer: names it" "built without what kvm-s2attr hooks KVM with \(CONFIG_FUNCTION_TRACER not set" "$tmp/err"
printf 'CONFIG_KVM=y\nCONFIG_KPROBES=y\nCONFIG_FUNCTION_TRACER=y\n' >"$K/boot/config-$(uname -r)"
t "kernel with all three: not loaded, not unsupported" 3 "${arm[@]}" KVM_S2ATTR_CONF_ROOT="$K" -- status
# The tool's list is dkms.conf's: a kernel DKMS skips is one the tool
# calls unsupported, and the reverse.
dkms_list=$(sed -n 's/^BUILD_EXCLUSIVE_CONFIG="\(.*\)"$/\1/p' "$top/dkms.conf")
tool_list=$(sed -n 's/^NEEDED_CONFIG="\(.*\)"$/\1/p' "$tool")
if [ -n "$dkms_list" ] && [ "$dkms_list" = "$tool_list" ]; then
	ok "the tool's needed options are dkms.conf's BUILD_EXCLUSIVE_CONFIG ($tool_list)"
else
	nok "the tool's needed options are dkms.conf's BUILD_EXCLUSIVE_CONFIG" "tool: '$tool_list'" "dkms.conf: '$dkms_list'"
fi
t "x86: --prometheus supported 0" 0 KVM_S2ATTR_SYSFS="$S" KVM_S2ATTR_ARCH=x86_64 -- status --prometheus
has "x86: kvm_s2attr_supported 0" '^kvm_s2attr_supported 0$' "$tmp/out"

t "no arguments: usage" 2 "${arm[@]}" --
t "unknown command" 2 "${arm[@]}" -- frobnicate
t "status --yaml" 2 "${arm[@]}" -- status --yaml
t "set, malformed BDF" 2 "${arm[@]}" -- set zz:00.0 normal-nc
t "set, device 0x20" 2 "${arm[@]}" -- set 00:20.0 normal-nc
t "set, function 8" 2 "${arm[@]}" -- set 00:03.8 normal-nc
t "set, bad memattr" 2 "${arm[@]}" -- set 00:03.0 cacheable
t "set, missing memattr" 2 "${arm[@]}" -- set 00:03.0
t "unset, no BDF" 2 "${arm[@]}" -- unset
t "default maybe" 2 "${arm[@]}" -- default maybe
t "help" 0 "${arm[@]}" -- help
has "help lists exit codes" "3  the kvm_s2attr module is not loaded" "$tmp/out"
for code in hook-not-armed layout-mismatch apply-failed table-stale; do
	has "help lists the health code $code" "$code" "$tmp/out"
done
has "help lists reload" "^  kvm-s2attr reload\$" "$tmp/out"

# A loaded module, as sysfs would show it.
mkdir -p "$S/devices/0000:00:03.0" "$S/devices/0000:0a:1f.7"
printf 'vhe\n' >"$S/kvm_mode"; printf '1\n' >"$S/fwb"; printf '0\n' >"$S/kernel_nc"
printf 'ftrace kvm_pgtable_walk\n' >"$S/hook"; printf 'kernel\n' >"$S/default"
printf '7\n' >"$S/default_rewrites"; : >"$S/add"; : >"$S/remove"
printf 'ok\n' >"$S/health"
printf 'normal-nc\n' >"$S/devices/0000:00:03.0/memattr"
printf '256\n' >"$S/devices/0000:00:03.0/rewrites"
printf 'present vfio-pci bar0=0x10000000-0x100000ff bar2=0x8000000000-0x80000fffff\n' >"$S/devices/0000:00:03.0/state"
printf 'device\n' >"$S/devices/0000:0a:1f.7/memattr"
printf '0\n' >"$S/devices/0000:0a:1f.7/rewrites"
printf 'absent\n' >"$S/devices/0000:0a:1f.7/state"
printf 'vfio-inode\n' >"$S/live"
printf '0000:00:03.0 1700000000 bars=2 mappings=1 ok\n' >"$S/last_apply"
printf '10de:2330=normal-nc\n15b3:1021:15b3:0041/0200=device\n' >"$S/ids"
printf '12\n' >"$S/id_rewrites"
printf '%s\n' "0000:00:03.0 1af4:1110:1af4:1100/050000 normal-nc listed" \
	"0000:81:00.0 10de:2330:10de:16c1/030200 normal-nc id=10de:2330" \
	"0000:82:00.0 8086:1572:8086:0000/020000 kernel default" >"$S/bound"
printf '1700000000 bars=2 mappings=1 ok\n' >"$S/devices/0000:00:03.0/applied"

mkdir -p "$M"
printf '0.1.0\n' >"$M/version"
printf '0123456789ABCDEF0123456\n' >"$M/srcversion"

t "loaded: status" 0 "${arm[@]}" -- status
has "status: version and srcversion" "^  version: +0.1.0 \(srcversion 0123456789ABCDEF0123456\)$" "$tmp/out"
has "status: nothing installed for this kernel" "^  installed: +none for kernel $(uname -r) " "$tmp/out"
has "status: KVM mode" "KVM mode: +vhe" "$tmp/out"
has "status: hook" "hook: +ftrace kvm_pgtable_walk" "$tmp/out"
has "status: health ok" "health: +ok$" "$tmp/out"
has "status: present device row" "^0000:00:03.0 +normal-nc +yes +vfio-pci +256 +ok +bar0=0x10000000-0x100000ff bar2=0x8000000000-0x80000fffff$" "$tmp/out"
has "status: absent device row" "^0000:0a:1f.7 +device +no +- +0 +never +-$" "$tmp/out"
has "status: live" "live: +vfio-inode \(changes reach running guests" "$tmp/out"
has "status: last application" "last application: +0000:00:03.0 1700000000 bars=2 mappings=1 ok$" "$tmp/out"
has "status: id rules" "^  id rules: +2 \(12 mappings rewritten\)$" "$tmp/out"
has "status: a rule" "^    15b3:1021:15b3:0041/0200=device$" "$tmp/out"
has "status: bound, by a rule" "^0000:81:00.0 +10de:2330:10de:16c1/030200 +normal-nc +id=10de:2330$" "$tmp/out"
has "status: bound, by default" "^0000:82:00.0 +8086:1572:8086:0000/020000 +kernel +default$" "$tmp/out"
t "loaded: --json" 0 "${arm[@]}" -- status --json
cp "$tmp/out" "$tmp/json"
if awk -f "$here/json-check.awk" "$tmp/json" 2>"$tmp/err"; then ok "json: well-formed (json-check.awk)"; else nok "json: well-formed" "$(cat "$tmp/err")" "$(cat "$tmp/json")"; fi
if awk -f "$here/json-check.awk" <<<'{"a":[1,}' 2>/dev/null; then nok "json-check.awk rejects broken JSON"; else ok "json-check.awk rejects broken JSON"; fi
# python3 is a host package (scripts/host-packages): no silent skip.
if python3 - "$tmp/json" <<'PY' >"$tmp/py" 2>&1; then ok "json: python3 reads the expected values"; else nok "json: python3" "$(cat "$tmp/py")" "$(cat "$tmp/json")"; fi
import json, sys
d = json.load(open(sys.argv[1]))
assert d["loaded"] is True and d["supported"] is True, d
assert d["kvm_mode"] == "vhe" and d["fwb"] is True and d["kernel_nc"] is False, d
assert d["hook"] == "ftrace kvm_pgtable_walk" and d["default"] == "kernel" and d["default_rewrites"] == 7, d
assert d["healthy"] is True and d["faults"] == [], d
assert d["live"] == "vfio-inode" and d["last_apply"] == "0000:00:03.0 1700000000 bars=2 mappings=1 ok", d
assert d["version"] == "0.1.0" and d["srcversion"] == "0123456789ABCDEF0123456", d
assert d["installed"] is None and d["reload_needed"] is False, d
assert d["ids"] == [{"id": "10de:2330", "memattr": "normal-nc"},
                    {"id": "15b3:1021:15b3:0041/0200", "memattr": "device"}], d
assert d["id_rewrites"] == 12, d
assert d["platform"] is None, d
assert d["bound"] == [
    {"bdf": "0000:00:03.0", "ids": "1af4:1110:1af4:1100/050000", "memattr": "normal-nc", "by": "listed"},
    {"bdf": "0000:81:00.0", "ids": "10de:2330:10de:16c1/030200", "memattr": "normal-nc", "by": "id=10de:2330"},
    {"bdf": "0000:82:00.0", "ids": "8086:1572:8086:0000/020000", "memattr": "kernel", "by": "default"}], d
a, b = d["devices"]
assert a == {"bdf": "0000:00:03.0", "memattr": "normal-nc", "present": True, "driver": "vfio-pci", "rewrites": 256,
             "overlap_bars": [], "bars": [{"bar": 0, "start": "0x10000000", "end": "0x100000ff"},
                      {"bar": 2, "start": "0x8000000000", "end": "0x80000fffff"}],
             "applied": {"result": "ok", "time": 1700000000, "bars": 2, "mappings": 1}}, a
assert b == {"bdf": "0000:0a:1f.7", "memattr": "device", "present": False, "driver": None, "rewrites": 0,
             "overlap_bars": [], "bars": [],
             "applied": {"result": "never", "time": None, "bars": None, "mappings": None}}, b
PY
t "loaded: --prometheus" 0 "${arm[@]}" -- status --prometheus
for re in '^kvm_s2attr_loaded 1$' '^kvm_s2attr_supported 1$' '^kvm_s2attr_devices_listed 2$' \
	'^kvm_s2attr_default_rewrites_total 7$' '^kvm_s2attr_healthy 1$' \
	'^kvm_s2attr_rewrites_total\{bdf="0000:00:03.0",memattr="normal-nc"\} 256$' \
	'^kvm_s2attr_device_present\{bdf="0000:00:03.0",driver="vfio-pci"\} 1$' \
	'^kvm_s2attr_device_present\{bdf="0000:0a:1f.7",driver="-"\} 0$' \
	'^kvm_s2attr_info\{kvm_mode="vhe",fwb="1",kernel_nc="0",hook="ftrace kvm_pgtable_walk",default="kernel"\} 1$' \
	'^kvm_s2attr_live_supported 1$' '^kvm_s2attr_apply_failed\{bdf="0000:00:03.0"\} 0$' \
	'^kvm_s2attr_build_info\{version="0.1.0",srcversion="0123456789ABCDEF0123456"\} 1$' \
	'^kvm_s2attr_reload_needed 0$' '^kvm_s2attr_id_rules 2$' '^kvm_s2attr_id_rewrites_total 12$' \
	'^kvm_s2attr_bound_device\{bdf="0000:81:00.0",ids="10de:2330:10de:16c1/030200",memattr="normal-nc",by="id=10de:2330"\} 1$' \
	'^# HELP kvm_s2attr_fault .*hook-not-armed, layout-mismatch, apply-failed, table-stale' \
	'^# TYPE kvm_s2attr_rewrites_total counter$'; do
	has "prometheus: $re" "$re" "$tmp/out"
done
# Every line a comment or "name{labels} value" (text exposition format).
if grep -vqE '^(# (HELP|TYPE) .*|[a-z0-9_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+)$' "$tmp/out"; then
	nok "prometheus: every line well-formed" "$(grep -vE '^(# (HELP|TYPE) .*|[a-z0-9_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+)$' "$tmp/out")"
else
	ok "prometheus: every line well-formed"
fi
hasnt "prometheus: no platform metric from a module without the file" '^kvm_s2attr_platform' "$tmp/out"
# A known-bad platform (the module's platform file): said in every form,
# not a fault; "ok" said too.
printf 'ok\n' >"$S/platform"
t "platform ok: status" 0 "${arm[@]}" -- status
has "platform ok: status" "^  platform: +ok$" "$tmp/out"
t "platform ok: --prometheus" 0 "${arm[@]}" -- status --prometheus
has "platform ok: prometheus 0" '^kvm_s2attr_platform_wc_unsafe 0$' "$tmp/out"
printf 'wc-unsafe 0000:00:00.0 1def:e100 Ampere Altra erratum 82288 (PCIE_65)\n' >"$S/platform"
cp "$S/bound" "$tmp/bound.saved"
printf '0000:82:00.0 8086:1572:8086:0000/020000 device default+platform\n' >"$S/bound"
t "platform wc-unsafe: status exits 0" 0 "${arm[@]}" -- status
has "platform wc-unsafe: status says why" "^  platform: +write combining to PCIe is unsafe here: Ampere Altra erratum 82288 \(PCIE_65\) \(PCI device 1def:e100 at 0000:00:00.0\);$" "$tmp/out"
has "platform wc-unsafe: status says what it does" "^ +devices bound to vfio-pci get device unless listed by address$" "$tmp/out"
has "platform wc-unsafe: bound, by the platform" "^0000:82:00.0 +8086:1572:8086:0000/020000 +device +default\+platform$" "$tmp/out"
t "platform wc-unsafe: --json" 0 "${arm[@]}" -- status --json
has "platform wc-unsafe: json" '"platform":"wc-unsafe 0000:00:00.0 1def:e100 Ampere Altra erratum 82288 \(PCIE_65\)"' "$tmp/out"
has "platform wc-unsafe: json bound" '"by":"default\+platform"' "$tmp/out"
t "platform wc-unsafe: --prometheus" 0 "${arm[@]}" -- status --prometheus
has "platform wc-unsafe: prometheus 1" '^kvm_s2attr_platform_wc_unsafe 1$' "$tmp/out"
rm -f "$S/platform"
cp "$tmp/bound.saved" "$S/bound"
# ids: print the rules; replace them from a file (comments and blank
# lines left out); a file that cannot be read changes nothing.
t "ids: print" 0 "${arm[@]}" -- ids
has "ids: printed" "^15b3:1021:15b3:0041/0200=device$" "$tmp/out"
cp "$S/ids" "$tmp/ids.saved"
printf '# the fleet policy\n\n10de:2330=device  # GPUs\n  *:*/0300=normal-nc\n' >"$tmp/policy"
t "ids: from a file" 0 "${arm[@]}" -- ids "$tmp/policy"
if [ "$(cat "$S/ids")" = "$(printf '10de:2330=device\n*:*/0300=normal-nc')" ]; then
	ok "ids: the module got one rule a line"
else
	nok "ids: the module got one rule a line" "$(cat "$S/ids")"
fi
t "ids: an unreadable file" 1 "${arm[@]}" -- ids "$tmp/nosuchfile"
t "ids: two files" 2 "${arm[@]}" -- ids "$tmp/policy" "$tmp/policy"
cp "$tmp/ids.saved" "$S/ids"
# A BAR left out because it overlaps another device's: an error.
cp "$S/devices/0000:00:03.0/state" "$tmp/state"
printf 'present vfio-pci overlap-bar0=0x10000000-0x10000fff bar2=0x8000000000-0x80000fffff\n' >"$S/devices/0000:00:03.0/state"
t "overlap: status exits 1" 1 "${arm[@]}" -- status
has "overlap: the BAR is marked" "^0000:00:03.0 .* bar2=0x8000000000-0x80000fffff bar0:OVERLAP$" "$tmp/out"
has "overlap: says so" "^ERROR: BARs marked OVERLAP" "$tmp/out"
t "overlap: --json exits 1" 1 "${arm[@]}" -- status --json
has "overlap: json overlap_bars" '"bdf":"0000:00:03.0",.*"bars":\[\{"bar":2,[^]]*\],"overlap_bars":\[0\],"applied":' "$tmp/out"
t "overlap: --prometheus" 0 "${arm[@]}" -- status --prometheus
has "overlap: prometheus" '^kvm_s2attr_bars_overlapping\{bdf="0000:00:03.0"\} 1$' "$tmp/out"
has "overlap: prometheus, other device 0" '^kvm_s2attr_bars_overlapping\{bdf="0000:0a:1f.7"\} 0$' "$tmp/out"
cp "$tmp/state" "$S/devices/0000:00:03.0/state"

# A change that did not reach running guests: an error.
printf '1700000001 bars=2 mappings=1 error -4\n' >"$S/devices/0000:00:03.0/applied"
t "apply failed: status exits 1" 1 "${arm[@]}" -- status
has "apply failed: the row says error" "^0000:00:03.0 +normal-nc +yes +vfio-pci +256 +error " "$tmp/out"
has "apply failed: says so" "^ERROR: the last change of devices marked APPLIED error did not reach running guests" "$tmp/out"
t "apply failed: --json exits 1" 1 "${arm[@]}" -- status --json
has "apply failed: json" '"applied":\{"result":"error","time":1700000001,"bars":2,"mappings":1\}' "$tmp/out"
t "apply failed: --prometheus" 0 "${arm[@]}" -- status --prometheus
has "apply failed: prometheus" '^kvm_s2attr_apply_failed\{bdf="0000:00:03.0"\} 1$' "$tmp/out"
printf '1700000000 unsupported\n' >"$S/devices/0000:00:03.0/applied"
printf 'unsupported\n' >"$S/live"
t "live unsupported: status exits 0" 0 "${arm[@]}" -- status
has "live unsupported: the row says unsupported" "^0000:00:03.0 +normal-nc +yes +vfio-pci +256 +unsupported " "$tmp/out"
has "live unsupported: status says running guests keep theirs" "live: +unsupported \(changes reach new mappings only; running guests keep theirs until restarted\)" "$tmp/out"
t "live unsupported: --prometheus" 0 "${arm[@]}" -- status --prometheus
has "live unsupported: prometheus" '^kvm_s2attr_live_supported 0$' "$tmp/out"
printf '1700000000 bars=2 mappings=1 ok\n' >"$S/devices/0000:00:03.0/applied"
printf 'vfio-inode\n' >"$S/live"

# A loaded module that is not doing what it says: an error everywhere.
printf '%s\n' "hook-not-armed: the kprobe hook on kvm_pgtable_walk is not in the kernel's text" \
	"layout-mismatch: KVM's stage-2 map data is not laid out as expected (attributes: 0x80000000)" >"$S/health"
t "unhealthy: status exits 1" 1 "${arm[@]}" -- status
has "unhealthy: status names the first fault" "health: +ERROR: hook-not-armed: the kprobe hook" "$tmp/out"
has "unhealthy: status names the second fault" "health: +ERROR: layout-mismatch: " "$tmp/out"
has "unhealthy: status still lists devices" "^0000:00:03.0 +normal-nc" "$tmp/out"
t "unhealthy: --json exits 1" 1 "${arm[@]}" -- status --json
if python3 - "$tmp/out" <<'PY' >"$tmp/py" 2>&1; then ok "unhealthy: json says so"; else nok "unhealthy: json" "$(cat "$tmp/py")" "$(cat "$tmp/out")"; fi
import json, sys
d = json.load(open(sys.argv[1]))
assert d["healthy"] is False, d
assert [f.split(":")[0] for f in d["faults"]] == ["hook-not-armed", "layout-mismatch"], d
PY
t "unhealthy: --prometheus still exits 0" 0 "${arm[@]}" -- status --prometheus
has "unhealthy: prometheus healthy 0" '^kvm_s2attr_healthy 0$' "$tmp/out"
has "unhealthy: prometheus hook-not-armed" '^kvm_s2attr_fault\{code="hook-not-armed"\} 1$' "$tmp/out"
has "unhealthy: prometheus layout-mismatch" '^kvm_s2attr_fault\{code="layout-mismatch"\} 1$' "$tmp/out"
# The faults of a module that applies changes to running guests.
printf '%s\n' "apply-failed: applying load to running guests failed (error -16): running guests may keep an old attribute" \
	"table-stale: rebuilding the BAR table failed (error -12): the previous table is kept" >"$S/health"
t "apply-failed, table-stale: status exits 1" 1 "${arm[@]}" -- status
has "apply-failed: status names it" "health: +ERROR: apply-failed: applying load" "$tmp/out"
has "table-stale: status names it" "health: +ERROR: table-stale: rebuilding the BAR table failed" "$tmp/out"
t "apply-failed, table-stale: --json exits 1" 1 "${arm[@]}" -- status --json
has "apply-failed, table-stale: json faults" '"healthy":false,"faults":\["apply-failed: [^"]*","table-stale: [^"]*"\]' "$tmp/out"
t "apply-failed, table-stale: --prometheus exits 0" 0 "${arm[@]}" -- status --prometheus
has "apply-failed: prometheus fault" '^kvm_s2attr_fault\{code="apply-failed"\} 1$' "$tmp/out"
has "table-stale: prometheus fault" '^kvm_s2attr_fault\{code="table-stale"\} 1$' "$tmp/out"
rm "$S/health"
t "no health file: status exits 1" 1 "${arm[@]}" -- status
has "no health file: unknown" "health: +ERROR: unknown: the loaded module does not report its health" "$tmp/out"
printf 'ok\n' >"$S/health"

t "set (fake sysfs reads back normal-nc)" 0 "${arm[@]}" -- set 00:03.0 normal-nc
has "set: writes the canonical BDF" '^0000:00:03.0 normal-nc$' "$S/add"
# (The fake sysfs keeps the attribute it has: a set that changes it is
# tests/e2e/scenarios/live.sh's.)
has "set to the device's attribute: says nothing changed" "^0000:00:03.0: normal-nc \(unchanged: it was normal-nc already; running guests keep their mappings\)$" "$tmp/out"
t "set upper-case BDF" 0 "${arm[@]}" -- set 0000:0A:1F.7 device
has "set: canonical lower case" '^0000:0a:1f.7 device$' "$S/add"
t "set, read-back mismatch is an error" 1 "${arm[@]}" -- set 00:03.0 device
t "unset unlisted" 1 "${arm[@]}" -- unset 00:05.0
has "unset unlisted: message" "not listed" "$tmp/err"
t "unset listed" 0 "${arm[@]}" -- unset 0a:1f.7
has "unset: writes remove" '^0000:0a:1f.7$' "$S/remove"
t "default (show)" 0 "${arm[@]}" -- default
has "default: shows" '^default: kernel$' "$tmp/out"
chmod 0444 "$S/remove"
if [ "$(id -u)" != 0 ]; then
	t "unset, sysfs not writable" 1 "${arm[@]}" -- unset 00:03.0
fi
chmod 0644 "$S/remove"

# A write that failed because the change did not reach running guests:
# the module's last application says why (/proc/version fails the write).
rm "$S/add" && ln -s /proc/version "$S/add"
printf '0000:00:03.0 %s bars=0 mappings=0 error -16\n' "$(($(date +%s) + 5))" >"$S/last_apply"
t "set, application failed: exit 1" 1 "${arm[@]}" -- set 00:03.0 normal-nc
has "set, application failed: says busy and what holds" "set 0000:00:03.0: the change holds for new mappings, but running guests keep the old attribute: the device is busy" "$tmp/err"
printf '0000:00:03.0 1700000000 bars=0 mappings=0 error -16\n' >"$S/last_apply"
t "set, write failed, an older application failed: exit 1" 1 "${arm[@]}" -- set 00:03.0 normal-nc
has "set, write failed, older application: not blamed" "writing .*/add failed" "$tmp/err"
rm "$S/add" && : >"$S/add"

# ------------------------------------------------------------ policy file --
# apply/diff and --persist against the fake sysfs: parsing, drift, what is
# refused (nothing written), and the file --persist rewrites. A real
# application is exercised in the QEMU guest (tests/e2e/scenarios/policy.sh).
PR=$tmp/policyroot
PF=$PR/etc/modprobe.d/kvm-s2attr.conf
mkdir -p "$PR/etc/modprobe.d" "$PR/proc"
: >"$PR/proc/cmdline"
pol=("${arm[@]}" KVM_S2ATTR_CONF_ROOT="$PR")
# The fake module: default kernel, 00:03.0 normal-nc, 0a:1f.7 device, two
# rules (set up above); the writes apply and diff would make go to these.
printf 'kernel\n' >"$S/default"
printf 'normal-nc\n' >"$S/devices/0000:00:03.0/memattr"
printf 'device\n' >"$S/devices/0000:0a:1f.7/memattr"
printf '10de:2330=normal-nc\n15b3:1021:15b3:0041/0200=device\n' >"$S/ids"
: >"$S/add"; : >"$S/remove"
sysfs_sum() { cat "$S/add" "$S/remove" "$S/default" "$S/ids" | md5sum; }
untouched() {
	if [ "$(sysfs_sum)" = "$sum0" ]; then ok "$1: nothing written to the module"; else nok "$1: nothing written to the module" "add: $(cat "$S/add")" "remove: $(cat "$S/remove")" "default: $(cat "$S/default")" "ids: $(cat "$S/ids")"; fi
}
sum0=$(sysfs_sum)
# The same policy as the module runs, spelt otherwise: short BDFs, upper
# case, ":*:*", one rule a line and a continued line, other modules' lines.
cat >"$PF" <<'EOT'
# fleet policy
options kvm_s2attr devices=00:03.0=normal-nc
softdep vfio_pci pre: kvm_s2attr
options kvm-s2attr devices=0A:1F.7=device default=kernel
options kvm_s2attr ids=15B3:1021:15b3:0041/0200=device \
	ids=10de:2330:*:*=normal-nc
options vfio_pci ids=10de:2330
EOT
cp "$PF" "$tmp/policy.same"
t "diff, file matches the module" 0 "${pol[@]}" -- diff
if [ ! -s "$tmp/out" ]; then ok "diff, no drift: prints nothing"; else nok "diff, no drift: prints nothing" "$(cat "$tmp/out")"; fi
t "apply, file matches the module" 0 "${pol[@]}" -- apply
has "apply, no drift: says nothing changed" "^kvm_s2attr: the running module matches /etc/modprobe.d/kvm-s2attr.conf: nothing changed$" "$tmp/out"
untouched "apply with no drift"
t "diff FILE, same policy elsewhere" 0 "${pol[@]}" -- diff "$tmp/policy.same"
# Drift: default, a rule's attribute, a device no longer listed.
printf 'options kvm_s2attr devices=00:03.0=normal-nc default=device\noptions kvm_s2attr ids=10de:2330=device,15b3:1021:15b3:0041/0200=device\n' >"$PF"
t "diff, drift" 1 "${pol[@]}" -- diff
want_drift='--- running kvm_s2attr
+++ /etc/modprobe.d/kvm-s2attr.conf
-default kernel
+default device
-device 0000:0a:1f.7 device
-id 10de:2330 normal-nc
+id 10de:2330 device'
if [ "$(cat "$tmp/out")" = "$want_drift" ]; then ok "diff, drift: each difference, - running, + file"; else nok "diff, drift: each difference" "got:" "$(cat "$tmp/out")" "want:" "$want_drift"; fi
untouched "diff"
t "diff, module not loaded" 3 KVM_S2ATTR_ARCH=aarch64 KVM_S2ATTR_DEV_KVM=/dev/null KVM_S2ATTR_SYSFS="$tmp/nosys" KVM_S2ATTR_CONF_ROOT="$PR" -- diff
t "diff, no such file" 1 "${pol[@]}" -- diff "$tmp/nofile"
has "diff, no such file: says so" "cannot read the policy file '$tmp/nofile'" "$tmp/err"
t "diff, two files" 2 "${pol[@]}" -- diff "$PF" "$PF"
# A hook other than the loaded one: only a load changes it.
mkdir -p "$M/parameters"
printf 'auto\n' >"$M/parameters/hook"
printf 'options kvm_s2attr devices=00:03.0=normal-nc,0a:1f.7=device hook=kprobe\noptions kvm_s2attr ids=10de:2330=normal-nc,15b3:1021:15b3:0041/0200=device\n' >"$PF"
t "diff, another hook" 1 "${pol[@]}" -- diff
has "diff, another hook: both" "^\+hook kprobe$" "$tmp/out"
t "apply, another hook: refused" 1 "${pol[@]}" -- apply
has "apply, another hook: says to reload" "asks for hook=kprobe, the module runs with hook=auto: only a load changes it \('kvm-s2attr reload'\); nothing done" "$tmp/err"
untouched "apply, another hook"
rm -r "$M/parameters"
# Bad files: a clear error with the line, exit 2, nothing written.
n_bad=0
while IFS='|' read -r text msg; do
	n_bad=$((n_bad + 1))
	printf '# a comment\n%b\n' "$text" >"$PF"
	t "apply, bad policy $n_bad ($text)" 2 "${pol[@]}" -- apply
	has "apply, bad policy $n_bad: says what, where" "^kvm-s2attr: /etc/modprobe.d/kvm-s2attr.conf:$msg" "$tmp/err"
	t "diff, bad policy $n_bad" 2 "${pol[@]}" -- diff
	untouched "bad policy $n_bad"
done <<'EOT'
options kvm_s2attr devices=00:03.0=cacheable|2: devices= entry "00:03.0=cacheable": expected <BDF>=device\|normal-nc
options kvm_s2attr devices=00:20.0=device|2: devices= entry "00:20.0=device"
options kvm_s2attr devices=00:03.0=device\noptions kvm_s2attr devices=0000:00:03.0=normal-nc|3: devices= lists 0000:00:03.0 twice \(also on line 2\)
options kvm_s2attr ids=10de:2330=device\noptions kvm_s2attr ids=10DE:2330:*:*=normal-nc|3: ids= has 10de:2330 twice \(also on line 2\)
options kvm_s2attr ids=10de=device|2: ids= rule "10de=device": expected vendor:device
options kvm_s2attr ids=10de:2330/03=device|2: ids= rule "10de:2330/03=device"
options kvm_s2attr ids=10de:233g=device|2: ids= rule "10de:233g=device"
options kvm_s2attr ids=10de:2330=device,|2: ids= has an empty entry \(a comma too many\)
options kvm_s2attr default=maybe|2: default=maybe: expected default=kernel or default=device
options kvm_s2attr hook=jprobe|2: hook=jprobe: expected hook=auto, ftrace or kprobe
options kvm_s2attr defualt=device|2: unknown option "defualt=device" of kvm_s2attr
options kvm_s2attr devices|2: devices: expected devices=<list>
options kvm_s2attr \\\n  devices=00:03.0=device \\\n  ids=*:*/0300=bogus|2: ids= rule "\*:\*/0300=bogus"
EOT
# More than 256 rules, as the module counts them.
{ i=0; while [ $i -le 256 ]; do printf 'options kvm_s2attr ids=1000:%04x=device\n' $i; i=$((i + 1)); done; } >"$PF"
t "apply, 257 rules" 2 "${pol[@]}" -- apply
has "apply, 257 rules: says so" "kvm-s2attr.conf:257: ids= has more than 256 rules" "$tmp/err"
untouched "257 rules"
# Options elsewhere, which boot would load too.
printf 'options kvm_s2attr devices=00:03.0=normal-nc\n' >"$PF"
printf 'options kvm_s2attr default=device\n' >"$PR/etc/modprobe.d/local.conf"
t "apply, options also in another modprobe.d file" 1 "${pol[@]}" -- apply
has "apply, another file: names it" "kvm_s2attr options are also set in /etc/modprobe.d/local.conf: boot loads them with /etc/modprobe.d/kvm-s2attr.conf's; keep the policy in one file" "$tmp/err"
untouched "options in another file"
rm "$PR/etc/modprobe.d/local.conf"
printf 'quiet kvm_s2attr.default=device\n' >"$PR/proc/cmdline"
t "diff, options on the kernel command line" 1 "${pol[@]}" -- diff
has "diff, command line: names it" "also set in /proc/cmdline" "$tmp/err"
: >"$PR/proc/cmdline"
untouched "the bad-policy cases"

# --persist: the change goes to the file too, the rest of it stays as it
# was (comments, other modules' lines, continued lines without the key).
cat >"$PF" <<'EOT'
# fleet policy: keep
options kvm_s2attr devices=00:03.0=device default=kernel
options vfio_pci ids=10de:2330
options kvm_s2attr hook=auto \
	ids=10de:2330=normal-nc
options kvm_s2attr devices=0a:1f.7=device
EOT
t "set --persist (the module has it already)" 0 "${pol[@]}" -- set --persist 00:03.0 normal-nc
has "set --persist: says the file is written" "^/etc/modprobe.d/kvm-s2attr.conf: written$" "$tmp/out"
want_file='# fleet policy: keep
options kvm_s2attr default=kernel
options vfio_pci ids=10de:2330
options kvm_s2attr hook=auto \
	ids=10de:2330=normal-nc
options kvm_s2attr devices=0000:0a:1f.7=device
options kvm_s2attr devices=0000:00:03.0=normal-nc'
if [ "$(cat "$PF")" = "$want_file" ]; then ok "set --persist: the file's devices= rewritten, one a line, the rest kept"; else nok "set --persist: the file" "got:" "$(cat "$PF")" "want:" "$want_file"; fi
t "unset --persist" 0 "${pol[@]}" -- unset --persist 0a:1f.7
has "unset --persist: the module's remove written" '^0000:0a:1f.7$' "$S/remove"
if ! grep -q 0a:1f.7 "$PF" && grep -q '^options kvm_s2attr devices=0000:00:03.0=normal-nc$' "$PF"; then ok "unset --persist: the device left the file, the other stays"; else nok "unset --persist: the file" "$(cat "$PF")"; fi
t "default --persist device" 0 "${pol[@]}" -- default --persist device
if [ "$(grep -c default= "$PF")" = 1 ] && grep -q '^options kvm_s2attr default=device$' "$PF"; then ok "default --persist: one default= in the file, the new one"; else nok "default --persist: the file" "$(cat "$PF")"; fi
# The fake ids file holds what the tool writes; the module would print its
# own spelling, which the tool persists: here, the rules as it spells them.
printf '15b3:1021=device\n10de:2330=normal-nc\n' >"$tmp/rules"
t "ids --persist FILE" 0 "${pol[@]}" -- ids --persist "$tmp/rules"
want_file='# fleet policy: keep
options vfio_pci ids=10de:2330
options kvm_s2attr hook=auto
options kvm_s2attr devices=0000:00:03.0=normal-nc
options kvm_s2attr default=device
options kvm_s2attr ids=15b3:1021=device
options kvm_s2attr ids=10de:2330=normal-nc'
if [ "$(cat "$PF")" = "$want_file" ]; then ok "ids --persist: the module's rules, one a line; hook kept"; else nok "ids --persist: the file" "got:" "$(cat "$PF")" "want:" "$want_file"; fi
printf 'options kvm_s2attr devices=00:03.0=bogus\n' >"$PF"
cp "$PF" "$tmp/policy.bad"
sum0=$(sysfs_sum)
t "set --persist, the file is bad" 2 "${pol[@]}" -- set --persist 00:03.0 device
untouched "set --persist, bad file"
if cmp -s "$PF" "$tmp/policy.bad"; then ok "set --persist, bad file: left as it was"; else nok "set --persist, bad file: left as it was" "$(cat "$PF")"; fi
rm "$PF"
t "default --persist, no file yet" 0 "${pol[@]}" -- default --persist kernel
if [ "$(cat "$PF")" = 'options kvm_s2attr default=kernel' ]; then ok "default --persist, no file: makes it"; else nok "default --persist, no file: makes it" "$(cat "$PF" 2>&1)"; fi
t "set --persist, missing memattr" 2 "${pol[@]}" -- set --persist 00:03.0
t "default --persist without a value" 2 "${pol[@]}" -- default --persist
printf 'kernel\n' >"$S/default"
printf 'normal-nc\n' >"$S/devices/0000:00:03.0/memattr"
printf 'device\n' >"$S/devices/0000:0a:1f.7/memattr"
printf '10de:2330=normal-nc\n15b3:1021:15b3:0041/0200=device\n' >"$S/ids"
: >"$S/add"; : >"$S/remove"

# ------------------------------------------------- installed module, reload --
# The module installed for the running kernel, as modinfo (kmod's, with -b:
# KVM_S2ATTR_CONF_ROOT) finds it after depmod (fake-module.sh).
# shellcheck source=fake-module.sh
. "$here/fake-module.sh"
kver=$(uname -r)
R=$tmp/root
if install_module "$R" 0.2.0 FEDCBA9876543210FEDCBA9 && modinfo -b "$R" -F srcversion kvm_s2attr | grep -qx FEDCBA9876543210FEDCBA9; then
	ok "a module with another srcversion installed for $kver (modinfo -b finds it)"
else
	nok "a module with another srcversion installed for $kver" "$(modinfo -b "$R" kvm_s2attr 2>&1)"
fi
inst=(KVM_S2ATTR_CONF_ROOT="$R")
t "upgrade not loaded: status exits 1" 1 "${arm[@]}" "${inst[@]}" -- status
has "upgrade not loaded: installed line" "^  installed: +0.2.0 \(srcversion FEDCBA9876543210FEDCBA9\), not the loaded one: reload needed$" "$tmp/out"
has "upgrade not loaded: says to reload" "^ERROR: the kvm_s2attr module installed for kernel $kver, 0.2.0 \(srcversion FEDCBA9876543210FEDCBA9\), is not the one loaded, 0.1.0 \(srcversion 0123456789ABCDEF0123456\): an upgrade not loaded yet; run 'kvm-s2attr reload'" "$tmp/out"
t "upgrade not loaded: --json exits 1" 1 "${arm[@]}" "${inst[@]}" -- status --json
cp "$tmp/out" "$tmp/json"
if python3 - "$tmp/json" "$R" <<'PY' >"$tmp/py" 2>&1; then ok "upgrade not loaded: json"; else nok "upgrade not loaded: json" "$(cat "$tmp/py")" "$(cat "$tmp/json")"; fi
import json, os, sys
d = json.load(open(sys.argv[1]))
assert d["reload_needed"] is True and d["healthy"] is True, d
assert d["version"] == "0.1.0" and d["srcversion"] == "0123456789ABCDEF0123456", d
assert d["installed"] == {"file": "/lib/modules/%s/updates/dkms/kvm_s2attr.ko" % os.uname().release,
                          "version": "0.2.0", "srcversion": "FEDCBA9876543210FEDCBA9"}, d
PY
if awk -f "$here/json-check.awk" "$tmp/json" 2>"$tmp/err"; then ok "upgrade not loaded: json well-formed"; else nok "upgrade not loaded: json well-formed" "$(cat "$tmp/err")"; fi
t "upgrade not loaded: --prometheus exits 0" 0 "${arm[@]}" "${inst[@]}" -- status --prometheus
has "upgrade not loaded: kvm_s2attr_reload_needed 1" '^kvm_s2attr_reload_needed 1$' "$tmp/out"
# A loaded module without a version (built before MODULE_VERSION), an
# installed one with: an upgrade too.
mv "$M" "$M.saved"
t "loaded module without a version, installed one with: status exits 1" 1 "${arm[@]}" "${inst[@]}" -- status
has "no version: unknown" "^  version: +unknown \(srcversion unknown\)$" "$tmp/out"
t "no version: --prometheus" 0 "${arm[@]}" "${inst[@]}" -- status --prometheus
has "no version: build_info says unknown" '^kvm_s2attr_build_info\{version="unknown",srcversion="unknown"\} 1$' "$tmp/out"
mv "$M.saved" "$M"
install_module "$R" 0.1.0 0123456789ABCDEF0123456
t "installed = loaded: status exits 0" 0 "${arm[@]}" "${inst[@]}" -- status
has "installed = loaded: says so" "^  installed: +the loaded one \($R/lib/modules/$kver/updates/dkms/kvm_s2attr.ko\)$" "$tmp/out"
t "installed = loaded: --prometheus" 0 "${arm[@]}" "${inst[@]}" -- status --prometheus
has "installed = loaded: kvm_s2attr_reload_needed 0" '^kvm_s2attr_reload_needed 0$' "$tmp/out"

# reload, with rmmod and modprobe stand-ins first in PATH (a module cannot
# be loaded on this host): they log their arguments, and take the fake
# sysfs away and put it back as the kernel would, the module's version
# and srcversion those of the installed module, the last application
# "load ...". FAKE_RMMOD_FAIL, FAKE_MODPROBE_FAIL: fail like kmod;
# FAKE_HEALTH: the health the loaded module reports; FAKE_RMMOD_SLEEP,
# FAKE_MODPROBE_SLEEP: seconds the unload and the load take;
# FAKE_MODPROBE_C: what "modprobe -c" prints (the configuration).
B=$tmp/bin
mkdir -p "$B"
cat >"$B/rmmod" <<'EOT'
#!/bin/sh
echo "rmmod $*" >>"$FAKE_LOG"
[ -z "${FAKE_RMMOD_SLEEP:-}" ] || sleep "$FAKE_RMMOD_SLEEP"
if [ -n "${FAKE_RMMOD_FAIL:-}" ]; then echo "rmmod: ERROR: Module kvm_s2attr is in use" >&2; exit 1; fi
mv "$KVM_S2ATTR_SYSFS" "$KVM_S2ATTR_SYSFS.out" && mv "$KVM_S2ATTR_MODULE_SYSFS" "$KVM_S2ATTR_MODULE_SYSFS.out"
EOT
cat >"$B/modprobe" <<'EOT'
#!/bin/sh
if [ "$1" = -c ]; then printf '%s\n' "${FAKE_MODPROBE_C:-}"; exit 0; fi
echo "modprobe $*" >>"$FAKE_LOG"
[ -z "${FAKE_MODPROBE_SLEEP:-}" ] || sleep "$FAKE_MODPROBE_SLEEP"
if [ -n "${FAKE_MODPROBE_FAIL:-}" ]; then echo "modprobe: ERROR: could not insert 'kvm_s2attr': Invalid argument" >&2; exit 1; fi
mv "$KVM_S2ATTR_SYSFS.out" "$KVM_S2ATTR_SYSFS" && mv "$KVM_S2ATTR_MODULE_SYSFS.out" "$KVM_S2ATTR_MODULE_SYSFS" || exit 1
ko=$(modinfo -b "$KVM_S2ATTR_CONF_ROOT" -n kvm_s2attr)
modinfo -F version "$ko" >"$KVM_S2ATTR_MODULE_SYSFS/version"
modinfo -F srcversion "$ko" >"$KVM_S2ATTR_MODULE_SYSFS/srcversion"
echo "load $(date +%s) bars=2 mappings=1 ok" >"$KVM_S2ATTR_SYSFS/last_apply"
printf '%s\n' "${FAKE_HEALTH:-ok}" >"$KVM_S2ATTR_SYSFS/health"
EOT
chmod +x "$B/rmmod" "$B/modprobe"
L=$tmp/modlog
rl=("${arm[@]}" "${inst[@]}" PATH="$B:$PATH" FAKE_LOG="$L")
# log_is WANT...: the stand-ins ran exactly these, in this order.
log_is() {
	local name=$1 want
	shift
	want=$(printf '%s\n' "$@")
	if [ "$(cat "$L" 2>/dev/null)" = "$want" ]; then ok "$name"; else nok "$name" "ran: $(tr '\n' ';' <"$L" 2>/dev/null)" "want: $(printf '%s;' "$@")"; fi
	rm -f "$L"
}
install_module "$R" 0.2.0 FEDCBA9876543210FEDCBA9
t "reload: takes no arguments" 2 "${rl[@]}" -- reload now
log_is "reload with an argument: runs nothing"
good_opts='options kvm_s2attr devices="0000:00:03.0=normal-nc,0A:1F.7=device" default=device hook=auto ids=10de:2330=normal-nc,*:*/0300=device,10de:2330:10de:16c1=device
options kvm_s2attr default=kernel
softdep vfio_pci pre: kvm_s2attr'
t "reload after an upgrade" 0 "${rl[@]}" FAKE_RMMOD_SLEEP=0.2 FAKE_MODPROBE_SLEEP=0.3 FAKE_MODPROBE_C="$good_opts" -- reload
log_is "reload: rmmod, then modprobe" "rmmod kvm_s2attr" "modprobe kvm_s2attr"
has "reload: old and new version" "^kvm_s2attr: reloaded: 0.1.0 \(srcversion 0123456789ABCDEF0123456\) -> 0.2.0 \(srcversion FEDCBA9876543210FEDCBA9\)$" "$tmp/out"
has "reload: the time it was out" "^  out for: +[0-9]+ ms \(rmmod [0-9]+ ms, modprobe [0-9]+ ms\)" "$tmp/out"
ms=$(sed -n 's/^  out for: *\([0-9]*\) ms.*/\1/p' "$tmp/out")
if [ -n "$ms" ] && [ "$ms" -ge 500 ] && [ "$ms" -lt 5000 ]; then ok "reload: the window measured holds the 200 ms unload and the 300 ms load ($ms ms)"; else nok "reload: window measured" "got '$ms' ms for a 200 ms unload and a 300 ms load"; fi
has "reload: the load's application" "^  last application: +load [0-9]+ bars=2 mappings=1 ok$" "$tmp/out"
has "reload: health" "^  health: +ok$" "$tmp/out"
t "after the reload: status exits 0" 0 "${arm[@]}" "${inst[@]}" -- status
has "after the reload: version" "^  version: +0.2.0 \(srcversion FEDCBA9876543210FEDCBA9\)$" "$tmp/out"
# Without date's %N, /proc/uptime's hundredths.
printf '#!/bin/sh\necho "1700000000%%N"\n' >"$B/date" && chmod +x "$B/date"
t "reload, date without %N" 0 "${rl[@]}" FAKE_RMMOD_SLEEP=0.2 FAKE_MODPROBE_SLEEP=0.3 -- reload
ms=$(sed -n 's/^  out for: *\([0-9]*\) ms.*/\1/p' "$tmp/out")
if [ -n "$ms" ] && [ "$ms" -ge 490 ] && [ "$ms" -lt 5000 ]; then ok "reload, date without %N: measured from /proc/uptime ($ms ms)"; else nok "reload, date without %N" "got '$ms' ms for 500 ms" "$(cat "$tmp/out")"; fi
rm "$B/date"
rm -f "$L"
t "reload: rmmod fails" 1 "${rl[@]}" FAKE_RMMOD_FAIL=1 -- reload
has "reload: rmmod fails: nothing changed, rmmod's reason" "reload: unloading kvm_s2attr failed, nothing changed: rmmod: ERROR: Module kvm_s2attr is in use" "$tmp/err"
log_is "reload: rmmod fails: no modprobe" "rmmod kvm_s2attr"
t "reload: modprobe fails" 1 "${rl[@]}" FAKE_MODPROBE_FAIL=1 -- reload
has "reload: modprobe fails: says the module is out" "ERROR: reload: kvm_s2attr was unloaded, but loading it again failed: modprobe: ERROR: could not insert 'kvm_s2attr': Invalid argument" "$tmp/err"
has "reload: modprobe fails: what it means" "BARs get KVM's own attributes until it loads" "$tmp/err"
log_is "reload: modprobe fails: rmmod, modprobe" "rmmod kvm_s2attr" "modprobe kvm_s2attr"
t "reload: module not loaded now" 3 "${rl[@]}" -- reload
log_is "reload, not loaded: runs nothing"
mv "$S.out" "$S" && mv "$M.out" "$M"
# Options the module would refuse: nothing unloaded.
for bad in 'devices=0000:00:03.0=cacheable' 'devices=00:03.0=device,0000:00:03.0=normal-nc' \
	'default=maybe' 'hook=jprobe' 'devices=00:20.0=device' 'ids=10de=device' \
	'ids=10de:2330=device,10DE:2330:*:*=normal-nc' 'ids=10de:2330/03=device'; do
	t "reload, modprobe.d has options kvm_s2attr $bad" 1 "${rl[@]}" FAKE_MODPROBE_C="options kvm_s2attr $bad" -- reload
	has "reload, $bad: says the module would refuse it" "reload: the module would refuse the options in modprobe.d \(.*\), and stay unloaded: nothing done" "$tmp/err"
	log_is "reload, $bad: runs nothing"
done
t "reload: loaded again, unhealthy" 1 "${rl[@]}" FAKE_HEALTH="apply-failed: applying load to running guests failed (error -16)" -- reload
has "reload: unhealthy: names the fault" "^  health: +ERROR: apply-failed: applying load" "$tmp/out"
log_is "reload, unhealthy: rmmod, modprobe" "rmmod kvm_s2attr" "modprobe kvm_s2attr"
printf 'ok\n' >"$S/health"
install_module "$R" 0.2.0 FEDCBA9876543210FEDCBA9 6.1.0-57-arm64
t "reload: installed module built for another kernel" 1 "${rl[@]}" -- reload
has "reload: another kernel: says so" "reload: the installed .*kvm_s2attr.ko is built for '6.1.0-57-arm64', not the running kernel $kver: nothing done" "$tmp/err"
log_is "reload, another kernel: runs nothing"
rm -rf "$R"
t "reload: nothing installed" 1 "${rl[@]}" -- reload
has "reload: nothing installed: says so" "reload: no kvm_s2attr module is installed for kernel $kver, so it could not be loaded again: nothing done" "$tmp/err"
log_is "reload, nothing installed: runs nothing"

echo "1..$n"
[ "$failed" = 0 ] && echo "# tool-test: all $n passed" || echo "# tool-test: $failed of $n failed"
[ "$failed" = 0 ]
