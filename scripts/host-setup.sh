#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-setup.sh: what make demo, make check, make fresh and .ci/run run
# first. Fails early, with the fix in the message, unless this is a Debian
# 12 amd64 machine, run as root, whose apt sources can be read and whose
# /dev/shm has room for the ivshmem backing files; then installs the
# packages of scripts/host-packages that are missing (the only list).
#   --check   check only, install nothing (exit 1 if a package is missing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
check_only=0
[ "${1:-}" != --check ] || check_only=1

# The ivshmem backing files (64 MiB + 1 MiB per boot) and the guests'
# initramfs copies live in /dev/shm.
SHM_NEED_MIB=256

[ "$(uname -s)" = Linux ] || die "kvm-s2attr's host side needs Linux"
[ "$(id -u)" = 0 ] || die "run as root (toolchain chroots, DKMS and the Debian package need it): sudo make ..."
arch=$(dpkg --print-architecture 2>/dev/null || true)
[ "$arch" = amd64 ] || die "this is a '${arch:-non-Debian}' machine; the package list is for Debian 12 amd64"
codename=$(host_codename)
[ "$codename" = bookworm ] ||
	die "this is Debian '${codename:-?}': the package list (scripts/host-packages) is for Debian 12 (bookworm)"
[ -d /dev/shm ] && [ -w /dev/shm ] || die "/dev/shm is missing or not writable: mount a tmpfs there"
shm_mib=$(df -Pm /dev/shm | awk 'NR == 2 { print $4 }')
[ "${shm_mib:-0}" -ge "$SHM_NEED_MIB" ] ||
	die "/dev/shm has ${shm_mib:-0} MiB free, the QEMU runs need $SHM_NEED_MIB MiB: mount -o remount,size=1G /dev/shm"
# Kernels and toolchains come from the mirror the machine already uses.
debian_mirror >/dev/null

missing=()
while read -r p _; do
	case $p in '' | '#'*) continue ;; esac
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done <"$here/host-packages"
if [ ${#missing[@]} -gt 0 ]; then
	[ "$check_only" = 0 ] || die "missing host packages: ${missing[*]} (scripts/host-setup.sh installs them)"
	log "host: installing ${missing[*]}"
	apt-get update -q >/dev/null || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi
log "host: ok (Debian $codename $arch, root, /dev/shm ${shm_mib} MiB free, apt sources read, $(grep -cvE '^[[:space:]]*(#|$)' "$here/host-packages") packages present)"
