#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/fleet/ansible.sh: the fleet lane (TAP on stdout, progress on
# stderr). Two fleet hosts (tests/fleet/host.sh: Debian trixie arm64, the
# stock kernel, no compiler) whose two ivshmem devices (1af4:1110, the same
# model; "small" 1 MiB and "big" 64 MiB BAR2) sit at different PCI slots:
# h1 at 3 and 4, h2 at 5 and 16. ansible-playbook runs the role of
# contrib/ansible/roles (FLEET_ROLES overrides it: a broken copy must fail
# here) over ssh on 127.0.0.1 with tests/fleet/play.yml:
#
#   1. policy "ids" (a rule by identity, with subsystem IDs: both devices
#      on both hosts get "device", the opposite of 6.12's stock Normal-NC):
#      the play installs the prebuilt signed packages (scripts/fleet-bmdeb.sh)
#      on hosts without a compiler; a guest (s2test --live on the big
#      device, started before the play) sees Device-nGnRE, read back from
#      its stage-2 tables (s2peek); "bound" names the rule; the fact
#      kvm_s2attr_status comes back healthy
#   2. the same play again: changed=0, the guest keeps its attribute and
#      nothing was applied; kvm-s2attr diff is clean
#   3. the previous policy ("stock") in check and diff mode: changed, the
#      file's diff shown, nothing changed on the hosts
#   4. rollback: the play with the previous policy: the guest sees
#      Normal-NC again, then "ids" again, the guest Device-nGnRE
#   5. bad policy variables (an unknown attribute, a rule given twice):
#      the play fails with the role's message, the hosts unchanged
#   6. both hosts rebooted (their own new initramfs): the module is in it,
#      loaded before vfio-pci bound the devices, both devices get the
#      rule's attribute (bound, and s2test on a new VM), no drift
#
# FLEET_H1_PORT (10031) and FLEET_H2_PORT (10032): the ssh ports on
# 127.0.0.1. Logs of the plays and the hosts in $FLEET_RUN (out/fleet).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../host/lib.sh
. "$here/../host/lib.sh"
# shellcheck source-path=SCRIPTDIR source=host.sh
. "$here/host.sh"
cache_lock

roles=${FLEET_ROLES:-$top/contrib/ansible/roles}
hosts=(h1 h2)
declare -A port=([h1]=${FLEET_H1_PORT:-10031} [h2]=${FLEET_H2_PORT:-10032})
declare -A slots=([h1]="3 4" [h2]="5 16")
adir=$FLEET_RUN/ansible
rm -rf "$adir"
mkdir -p "$adir/facts"
t_lane=$SECONDS
trap 'fleet_stop_all; rm -rf "$tmp"' EXIT

# bdf SLOT: the BDF of bus 0's SLOT.
bdf() { printf '0000:00:%02x.0' "$1"; }
small_of() { bdf "${slots[$1]% *}"; }
big_of() { bdf "${slots[$1]#* }"; }
# The rule of policy "ids": ivshmem's IDs and QEMU's subsystem IDs.
RULE=1af4:1110:1af4:1100
bail() {
	host_result fail "$@"
	host_done "fleet ansible"
	exit 1
}

# ---- what runs on the controller and the hosts
KVER=$(sed -n 's/^KVER=//p' "$("$top/scripts/fetch-kernel.sh" "$FLEET_SUITE")")
mapfile -t debs < <(bash "$top/scripts/fleet-bmdeb.sh" "$FLEET_SUITE" "$adir/debs")
[ ${#debs[@]} = 2 ] || bail "scripts/fleet-bmdeb.sh $FLEET_SUITE: the packages"
bin=$top/build/fleet
mkdir -p "$bin/s2peek-$KVER"
# s2test and s2peek as tests/e2e/run.sh builds them.
if ! aarch64-linux-gnu-gcc -O2 -static -pthread -Wall -Werror -o "$bin/s2test" "$top/tests/e2e/s2test.c" ||
	! cp -r "$top/tests/e2e/s2peek/." "$bin/s2peek-$KVER/" ||
	! "$top/scripts/kbuild.sh" "$FLEET_SUITE" "$bin/s2peek-$KVER" >"$bin/s2peek-$KVER.log" 2>&1; then
	bail "s2test and s2peek.ko for $KVER" "see $bin/s2peek-$KVER.log"
fi
host_result ok "built: $(basename "${debs[0]}"), $(basename "${debs[1]}"), s2test, s2peek.ko for $KVER"

# ---- two hosts, booted at once
for h in "${hosts[@]}"; do
	# shellcheck disable=SC2086 # two slots
	(fleet_host_start "$h" "${port[$h]}" ${slots[$h]} && echo "$FLEET_BOOT_SECONDS" >"$adir/$h.boot") &
done
wait
for h in "${hosts[@]}"; do
	[ -f "$adir/$h.boot" ] || bail "boot: $h to ssh" "console: $(fleet_dir "$h")/console.log"
	host_result ok "boot: $h (ivshmem at $(small_of "$h") and $(big_of "$h")) answers ssh after $(cat "$adir/$h.boot")s"
done
fleet_write_inventory "$adir/inventory" "${hosts[@]}"

# Before the play: no compiler, nothing of kvm-s2attr; s2peek in, and a
# guest on the big device (stock attribute) that stays through the plays.
for h in "${hosts[@]}"; do
	# shellcheck disable=SC2016 # run on the host
	out=$(fleet_ssh "$h" 'for c in gcc cc c99 make; do command -v $c; done; dpkg -l "kvm-s2attr*" 2>/dev/null | grep "^ii"; ls /sys/kernel/kvm_s2attr 2>/dev/null' 2>&1)
	if [ -z "$out" ]; then
		host_result ok "$h: no compiler (gcc, cc, c99, make), no kvm-s2attr package, no module loaded"
	else
		host_result fail "$h: no compiler, no kvm-s2attr package, no module loaded" "got: $out"
	fi
	if ! fleet_scp_to "$h" "$bin/s2test" "$bin/s2peek-$KVER/s2peek.ko" /root/ ||
		! fleet_ssh "$h" 'insmod /root/s2peek.ko'; then
		bail "$h: s2test and s2peek.ko copied, s2peek loaded"
	fi
done

# The guest that stays through the plays: s2test --live on the big device
# in the background on the host, its first pass checked for ATTR. Commands
# go to /run/s2live/in (a sleep holds it open, so that s2test never reads
# its end), acknowledgements ("done N") to /run/s2live/out, TAP to
# /run/s2live/tap, the exit status to /run/s2live/rc.
# shellcheck disable=SC2016 # run on the host
LIVE_SH='set -u
d=/run/s2live
case $1 in
start)
	rm -rf $d && mkdir -p $d && mkfifo $d/in && : >$d/out || exit 1
	setsid sh -c "exec sleep 100000 >$d/in" </dev/null >/dev/null 2>&1 &
	echo $! >$d/holder
	setsid sh -c "/root/s2test --timeout 300 --granule 4096 --live $d/in,$d/out $2 --expect $3 >$d/tap 2>&1; echo \$? >$d/rc" \
		</dev/null >/dev/null 2>&1 &
	for i in $(seq 600); do
		grep -q "live: all" $d/tap 2>/dev/null && break
		[ ! -s $d/rc ] || break
		sleep 1
	done
	if ! grep -q "live: all" $d/tap || grep -q "^not ok" $d/tap; then
		cat $d/tap
		exit 1
	fi
	echo "$(grep -c "^ok" $d/tap) s2test checks passed"
	;;
cmd)
	before=$(wc -l <$d/tap)
	echo "$3" >$d/in
	for i in $(seq 600); do
		grep -qx "done $2" $d/out && break
		[ ! -s $d/rc ] || break
		sleep 1
	done
	tail -n +$((before + 1)) $d/tap
	grep -qx "done $2" $d/out
	;;
quit)
	echo quit >$d/in
	for i in $(seq 300); do
		[ -s $d/rc ] && break
		sleep 1
	done
	kill "$(cat $d/holder)"
	echo "rc=$(cat $d/rc)"
	grep -c "^not ok" $d/tap
	;;
esac'
# live NAME start BDF ATTR | cmd N CMD | quit
live() {
	local h=$1
	shift
	fleet_ssh "$h" "sh -c '$LIVE_SH' live $(printf '%q ' "$@")" 2>&1
}
live_cmd() { live "$1" cmd "$2" "$3"; }
# live_check NAME N CMD WHAT: live_cmd as a test.
live_check() {
	local out
	if out=$(live_cmd "$1" "$2" "$3") && ! grep -q '^not ok' <<<"$out"; then
		host_result ok "$1: $4: the guest on $(big_of "$1") ($3): stage 2 read back ($(grep -c '^ok' <<<"$out") s2test checks)"
	else
		host_result fail "$1: $4: the guest on $(big_of "$1") ($3)" "$out"
	fi
}
for h in "${hosts[@]}"; do
	if out=$(live "$h" start "$(big_of "$h")" normal-nc); then
		host_result ok "$h: a guest on $(big_of "$h") before the play, stock Normal-NC: $out"
	else
		host_result fail "$h: a guest on $(big_of "$h") before the play" "$out"
	fi
done

# ---- the plays
cat >"$adir/vars.yml" <<EOF
kvm_s2attr_package: binary
kvm_s2attr_debs:
  - ${debs[1]}
  - ${debs[0]}
kvm_s2attr_policies:
  stock:
    default: kernel
    ids: []
    devices: []
  ids:
    default: kernel
    ids:
      - id: "$RULE"
        attr: device
    devices: []
kvm_s2attr_policy: "{{ kvm_s2attr_policies[kvm_s2attr_policy_name] }}"
fleet_facts_dir: $adir/facts
EOF
play_n=0
# play NAME ARGS...: ansible-playbook with the role, output in
# $adir/play-N-NAME.log; sets play_rc, play_log, play_secs.
play() {
	local name=$1 t0=$SECONDS
	shift
	play_n=$((play_n + 1))
	play_log=$adir/play-$play_n-$name.log
	rm -f "$adir"/facts/*.json
	ANSIBLE_ROLES_PATH=$roles ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 \
		ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
		ansible-playbook -i "$adir/inventory" "$here/play.yml" -e "@$adir/vars.yml" "$@" \
		>"$play_log" 2>&1
	play_rc=$?
	play_secs=$((SECONDS - t0))
	echo "$name ${play_secs}s" >>"$adir/times"
	fleet_log "play $play_n ($name): exit $play_rc in ${play_secs}s, log $play_log"
	echo "# play $play_n ($name): exit $play_rc, ${play_secs}s"
}
# changed HOST: changed= of HOST in the play's recap.
changed() { sed -n "s/^$1 *: .* changed=\([0-9]*\) .*/\1/p" "$play_log"; }
failed() { sed -n "s/^$1 *: .* failed=\([0-9]*\) .*/\1/p" "$play_log"; }
# state HOST: what a play could change: the policy file, the running
# policy, the last application, the packages.
state() {
	fleet_ssh "$1" 'sha256sum /etc/modprobe.d/kvm-s2attr.conf; cat /sys/kernel/kvm_s2attr/default \
		/sys/kernel/kvm_s2attr/ids /sys/kernel/kvm_s2attr/bound /sys/kernel/kvm_s2attr/last_apply; \
		dpkg-query -W "kvm-s2attr*"' 2>&1
}
# bound_is HOST ATTR BY: both devices of HOST bound to vfio-pci with ATTR
# given by BY, as the module's "bound" file says.
# unchanged_on_each WHAT: each host's state is what "before" holds.
unchanged_on_each() {
	local h
	for h in "${hosts[@]}"; do
		host_expect "$h: $1 changed nothing" "$(state "$h")" "${before[$h]}"
	done
}

bound_is() {
	local got want
	got=$(fleet_ssh "$1" 'cat /sys/kernel/kvm_s2attr/bound' 2>&1 | awk '{ print $1, $3, $4 }' | sort)
	want=$(printf '%s %s %s\n' "$(small_of "$1")" "$2" "$3" "$(big_of "$1")" "$2" "$3" | sort)
	if [ "$got" = "$want" ]; then
		host_result ok "$1: bound: both devices $2 by $3"
	else
		host_result fail "$1: bound: both devices $2 by $3" "got:  $(tr '\n' ';' <<<"$got")" "want: $(tr '\n' ';' <<<"$want")"
	fi
}
# diff_clean HOST WHEN: kvm-s2attr diff on HOST finds no drift.
diff_clean() {
	local out
	out=$(fleet_ssh "$1" 'kvm-s2attr diff; echo "exit $?"' 2>&1)
	if [ "$out" = "exit 0" ]; then
		host_result ok "$1: kvm-s2attr diff $2: no drift (exit 0)"
	else
		host_result fail "$1: kvm-s2attr diff $2: no drift (exit 0)" "got: $out"
	fi
}
# play_ok WHAT CHANGED: the play passed, every host's changed= is
# CHANGED ("some": at least 1).
play_ok() {
	local h c bad=
	for h in "${hosts[@]}"; do
		c=$(changed "$h")
		case $2 in
		some) [ "${c:-0}" -ge 1 ] || bad="$bad $h:changed=${c:-none}" ;;
		*) [ "${c:-none}" = "$2" ] || bad="$bad $h:changed=${c:-none}" ;;
		esac
	done
	if [ "$play_rc" = 0 ] && [ -z "$bad" ]; then
		host_result ok "play $play_n: $1: exit 0, changed=$2 on each host (${play_secs}s)"
	else
		host_result fail "play $play_n: $1: exit 0, changed=$2 on each host" "exit $play_rc;$bad" \
			"$(grep -E '^(fatal|failed|changed):|"msg"' "$play_log" | head -n 12)" "log: $play_log"
	fi
}

# 1. The ID rule, with the package installed on the way.
play ids -e kvm_s2attr_policy_name=ids
play_ok "install and policy ids" some
for h in "${hosts[@]}"; do
	# /lib is /usr/lib (merged /usr): kmod may print either.
	out=$(fleet_ssh "$h" "dpkg-query -W -f='\${Package} \${Status}\n' kvm-s2attr-utils kvm-s2attr-modules-$KVER; modinfo -F signer kvm_s2attr; modinfo -n kvm_s2attr | sed 's|^/usr/lib/|/lib/|'" 2>&1)
	want="kvm-s2attr-modules-$KVER install ok installed
kvm-s2attr-utils install ok installed
kvm-s2attr fleet test signing key
/lib/modules/$KVER/updates/kvm_s2attr.ko"
	if [ "$out" = "$want" ]; then
		host_result ok "$h: both packages installed; modinfo: the module in updates/, signed by the org key"
	else
		host_result fail "$h: both packages installed, the module signed by the org key" "got: $out"
	fi
	live_check "$h" 1 "expect device-ngnre" "policy ids"
	bound_is "$h" device "id=$RULE"
	f=$adir/facts/$h.json
	got=$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["loaded"], s["healthy"], sorted((b["bdf"], b["memattr"], b["by"]) for b in s["bound"]))' "$f" 2>&1)
	want="True True $(python3 -c 'import sys; print(sorted((b, "device", "id=" + sys.argv[3]) for b in sys.argv[1:3]))' \
		"$(small_of "$h")" "$(big_of "$h")" "$RULE")"
	if [ "$got" = "$want" ]; then
		host_result ok "$h: the fact kvm_s2attr_status: loaded, healthy, both devices device by the rule"
	else
		host_result fail "$h: the fact kvm_s2attr_status: loaded, healthy, both devices device by the rule" \
			"got:  $got" "want: $want"
	fi
done

# 2. Again: nothing to do.
declare -A before
for h in "${hosts[@]}"; do before[$h]=$(state "$h"); done
play ids-again -e kvm_s2attr_policy_name=ids
play_ok "policy ids again" 0
for h in "${hosts[@]}"; do
	live_check "$h" 2 "keep device-ngnre" "policy ids again"
	host_expect "$h: the second play changed nothing (policy file, running policy, last application, packages)" \
		"$(state "$h")" "${before[$h]}"
	diff_clean "$h" "after the second play"
done

# 3. Check and diff mode, the previous policy: drift reported, nothing done.
play check-stock -e kvm_s2attr_policy_name=stock --check --diff -v
play_ok "check mode, policy stock" some
# The template's diff of the file, and kvm-s2attr diff's drift (its
# stdout, -v) on each host, the task reported changed.
n_drift=$(grep -c "^changed: .*-id $RULE device" "$play_log")
if grep -q "^-options kvm_s2attr ids=$RULE=device" "$play_log" && [ "$n_drift" = 2 ]; then
	host_result ok "play $play_n: --diff shows the file's rule going; kvm-s2attr diff reports the drift, changed, on both hosts"
else
	host_result fail "play $play_n: --diff shows the file's rule going; kvm-s2attr diff reports the drift on both hosts" \
		"drift lines: $n_drift" "log: $play_log"
fi
unchanged_on_each "check mode"

# 4. Rollback: the previous policy, then this one again.
play rollback -e kvm_s2attr_policy_name=stock
play_ok "rollback to policy stock" some
for h in "${hosts[@]}"; do
	live_check "$h" 3 "expect normal-nc" "rollback"
	bound_is "$h" kernel default
	diff_clean "$h" "after the rollback"
done
play ids-back -e kvm_s2attr_policy_name=ids
play_ok "policy ids back" some
for h in "${hosts[@]}"; do
	live_check "$h" 4 "expect device-ngnre" "policy ids back"
	out=$(live "$h" quit)
	if [ "$out" = "$(printf 'rc=0\n0')" ]; then
		host_result ok "$h: the guest's s2test --live ended well (exit 0, no failed check over 4 changes)"
	else
		host_result fail "$h: the guest's s2test --live ended well" "got: $out" \
			"$(fleet_ssh "$h" 'grep "^not ok" -A3 /run/s2live/tap | head -20' 2>&1)"
	fi
done

# 5. Bad policy variables: refused, nothing changed.
for h in "${hosts[@]}"; do before[$h]=$(state "$h"); done
bad_play() {
	local name=$1 msg=$2
	shift 2
	play "$name" "$@"
	if [ "$play_rc" != 0 ] && grep -qF "$msg" "$play_log" && [ "$(failed h1)" = 1 ] && [ "$(failed h2)" = 1 ]; then
		host_result ok "play $play_n: $name: fails on each host with: $msg"
	else
		host_result fail "play $play_n: $name: fails on each host with: $msg" "exit $play_rc" \
			"$(grep -E '^(fatal|failed):|"msg"' "$play_log" | head -n 6)" "log: $play_log"
	fi
	unchanged_on_each "$name"
}
bad_play bad-attr "kvm_s2attr: bad rule in kvm_s2attr_policy.ids" \
	-e '{"kvm_s2attr_policy": {"default": "kernel", "ids": [{"id": "1af4:1110", "attr": "write-combine"}]}}'
bad_play duplicate-id "kvm_s2attr: kvm_s2attr_policy names 1af4:1110 more than once" \
	-e '{"kvm_s2attr_policy": {"default": "kernel", "ids": [{"id": "1af4:1110", "attr": "device"}, {"id": "1AF4:1110", "attr": "normal-nc"}]}}'

# 6. Reboot, both at once: the policy holds from the start.
t0=$SECONDS
for h in "${hosts[@]}"; do
	(fleet_host_reboot "$h" && echo "$FLEET_BOOT_SECONDS" >"$adir/$h.reboot") &
done
wait
reboot_s=$((SECONDS - t0))
for h in "${hosts[@]}"; do
	if [ ! -f "$adir/$h.reboot" ]; then
		host_result fail "$h: reboot" "console: $(fleet_dir "$h")/console.log"
		continue
	fi
	host_result ok "$h: rebooted (its own initramfs), ssh after $(cat "$adir/$h.reboot")s"
	# The package's trigger remade it (the hook of kvm-s2attr-utils).
	out=$(fleet_ssh "$h" "lsinitramfs /boot/initrd.img-$KVER | grep -E '(kvm_s2attr.ko|kvm-s2attr-softdep.conf)\$' | sed 's|.*/||' | sort" 2>&1)
	if [ "$out" = "$(printf '%s\n' kvm-s2attr-softdep.conf kvm_s2attr.ko)" ]; then
		host_result ok "$h: the initramfs holds kvm_s2attr.ko and the softdep"
	else
		host_result fail "$h: the initramfs holds kvm_s2attr.ko and the softdep" "got: $out"
	fi
	# The module's sysfs appeared before vfio-pci's driver bound: the
	# kernel log's order of its load line and vfio-pci's first one.
	out=$(fleet_ssh "$h" 'dmesg | grep -nE "kvm_s2attr|vfio[-_]pci" | head -n 4' 2>&1)
	first=$(grep -m1 -oE 'kvm_s2attr|vfio[-_]pci' <<<"$out")
	if [ "$first" = kvm_s2attr ] && fleet_ssh "$h" 'kvm-s2attr status >/dev/null' 2>/dev/null; then
		host_result ok "$h: kvm_s2attr loaded (and healthy) before vfio-pci, per the kernel log"
	else
		host_result fail "$h: kvm_s2attr loaded (and healthy) before vfio-pci, per the kernel log" "got: $out"
	fi
	bound_is "$h" device "id=$RULE"
	echo "# $h: $(fleet_ssh "$h" 'dmesg | grep -m1 "kvm_s2attr: module verification"' 2>&1) (the org key is not enrolled here: no Secure Boot)"
	if out=$(fleet_ssh "$h" "insmod /root/s2peek.ko && /root/s2test --timeout 300 --granule 4096 $(big_of "$h") --expect device-ngnre" 2>&1) &&
		! grep -q '^not ok' <<<"$out"; then
		host_result ok "$h: after the reboot a new guest on $(big_of "$h") gets Device-nGnRE (s2test, $(grep -c '^ok' <<<"$out") checks)"
	else
		host_result fail "$h: after the reboot a new guest on $(big_of "$h") gets Device-nGnRE" "$(grep -v '^ok' <<<"$out" | head -20)"
	fi
	diff_clean "$h" "after the reboot"
done

for h in "${hosts[@]}"; do
	if fleet_host_stop "$h"; then
		host_result ok "$h: powered off cleanly"
	else
		host_result fail "$h: powered off cleanly" "console: $(fleet_dir "$h")/console.log"
	fi
done
echo "# times: plays $(tr '\n' ' ' <"$adir/times")reboot of both ${reboot_s}s, lane $((SECONDS - t_lane))s"
host_done "fleet ansible"
