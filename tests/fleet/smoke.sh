#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/fleet/smoke.sh [SUITE]: the fleet lane's self-test (TAP on stdout,
# progress on stderr). Gets the image of SUITE (default trixie; built on
# first use), boots one host with its ivshmem devices at PCI slots 3 and
# 4, and checks over ssh: the kernel is the one the e2e tests use, KVM
# is there in VHE mode, both ivshmem devices are bound to vfio-pci,
# systemd is PID 1 and the system is running (or degraded: the failed
# units are listed). Then reboots it once (fleet_host_reboot: the host's
# own current initramfs), checks ssh and the kernel again, and powers it
# off. Prints the times of the image build, the boot to ssh and the
# reboot. FLEET_SMOKE_PORT (10022) is the ssh port on 127.0.0.1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../host/lib.sh
. "$here/../host/lib.sh"
# shellcheck source-path=SCRIPTDIR source=host.sh
. "$here/host.sh"
cache_lock

FLEET_SUITE=${1:-$FLEET_SUITE}
name=smoke
port=${FLEET_SMOKE_PORT:-10022}
trap 'fleet_alive "$name" && fleet_host_stop "$name"; rm -rf "$tmp"' EXIT

t0=$SECONDS
if ! fleet_image; then
	host_result fail "image: scripts/fleet-image.sh $FLEET_SUITE"
	host_done "fleet smoke"
	exit 1
fi
image_s=$((SECONDS - t0))
host_result ok "image: $FLEET_IMAGE ($(du -h "$FLEET_IMAGE" | cut -f1)), $FLEET_KVER $FLEET_PKGVER, key $FLEET_KEY"

if ! fleet_host_start "$name" "$port" 3 4; then
	host_result fail "boot: $name to ssh" "console: $(fleet_dir "$name")/console.log"
	host_done "fleet smoke"
	exit 1
fi
boot_s=$FLEET_BOOT_SECONDS
host_result ok "boot: $name answers ssh on 127.0.0.1:$port after ${boot_s}s"

# check_kernel WHEN: uname -r over ssh is the e2e tests' kernel.
check_kernel() {
	local got
	got=$(fleet_ssh "$name" uname -r 2>&1)
	if [ "$got" = "$FLEET_KVER" ]; then
		host_result ok "$1: uname -r is $FLEET_KVER"
	else
		host_result fail "$1: uname -r is $FLEET_KVER" "got: $got"
	fi
}
check_kernel boot

if fleet_ssh "$name" test -c /dev/kvm; then
	host_result ok "/dev/kvm exists"
else
	host_result fail "/dev/kvm exists" "$(fleet_ssh "$name" 'ls -l /dev/kvm; dmesg | grep -i kvm' 2>&1)"
fi
kvm=$(fleet_ssh "$name" 'dmesg | grep -E "kvm \[[0-9]+\]: .*(VHE|nVHE|hVHE)" | tail -n 1' 2>&1)
if [[ $kvm == *"VHE mode initialized successfully"* && $kvm != *nVHE* && $kvm != *hVHE* ]]; then
	host_result ok "kernel log: KVM in VHE mode"
else
	host_result fail "kernel log: KVM in VHE mode" "got: ${kvm:-no such line}"
fi

# Every 1af4:1110 device and its driver, from sysfs.
# shellcheck disable=SC2016 # expanded on the host, not here
devs=$(fleet_ssh "$name" 'for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1110 ] || continue
	drv=none
	[ ! -e "$d/driver" ] || drv=$(basename "$(readlink "$d/driver")")
	echo "${d##*/} $drv"
done' 2>&1)
want=$(printf '0000:00:03.0 vfio-pci\n0000:00:04.0 vfio-pci')
if [ "$devs" = "$want" ]; then
	host_result ok "both ivshmem devices (00:03.0, 00:04.0) are bound to vfio-pci"
else
	host_result fail "both ivshmem devices (00:03.0, 00:04.0) are bound to vfio-pci" \
		"got: $devs" "$(fleet_ssh "$name" 'lspci -nnk' 2>&1)"
fi

pid1=$(fleet_ssh "$name" cat /proc/1/comm 2>&1)
if [ "$pid1" = systemd ]; then
	host_result ok "PID 1 is systemd"
else
	host_result fail "PID 1 is systemd" "got: $pid1"
fi
state=$(fleet_ssh "$name" 'timeout 300 systemctl is-system-running --wait' 2>&1)
failed=$(fleet_ssh "$name" 'systemctl --failed --no-legend --plain' 2>&1)
case $state in
running) host_result ok "systemctl is-system-running: running" ;;
degraded) host_result ok "systemctl is-system-running: degraded" "failed units:" "$failed" ;;
*) host_result fail "systemctl is-system-running: running or degraded" "got: $state" "failed units:" "$failed" ;;
esac
# restrict=on: the guest reaches nothing outside, not even this machine.
# 10.0.2.2:PORT is QEMU's own listener on 127.0.0.1:PORT, which the guest
# would reach without restrict=on.
out=$(fleet_ssh "$name" "if timeout 10 bash -c 'exec 3<>/dev/tcp/10.0.2.2/$port' 2>/dev/null; then
	echo reached; else echo blocked; fi" 2>&1)
if [ "$out" = blocked ]; then
	host_result ok "the guest cannot reach 127.0.0.1:$port of this machine (restrict=on)"
else
	host_result fail "the guest cannot reach 127.0.0.1:$port of this machine (restrict=on)" "got: $out"
fi
echo "# inventory: $(fleet_inventory_line "$name")"

t0=$SECONDS
if fleet_host_reboot "$name"; then
	reboot_s=$((SECONDS - t0))
	host_result ok "reboot: $name answers ssh again after ${reboot_s}s (poweroff and boot)"
	check_kernel reboot
else
	reboot_s="failed after $((SECONDS - t0))"
	host_result fail "reboot: $name answers ssh again" "console: $(fleet_dir "$name")/console.log"
fi

if fleet_host_stop "$name"; then
	host_result ok "stop: $name powered off cleanly"
else
	host_result fail "stop: $name powered off cleanly" "console: $(fleet_dir "$name")/console.log"
fi
echo "# times: image ${image_s}s (0 when cached), boot to ssh ${boot_s}s, reboot ${reboot_s}s"
host_done "fleet smoke"
