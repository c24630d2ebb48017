#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fleet-image.sh [SUITE]: the root disk of a "fleet" host, a real Debian
# arm64 system of SUITE (default trixie) that tests/fleet/host.sh boots
# under QEMU and reaches over SSH on 127.0.0.1. Built once and cached in
# $CACHE/fleet/SUITE-HASH/, HASH covering this script (the package list
# included), the kernel package and SUITE, so that a change rebuilds:
#
#   root.qcow2      the root file system: ext4, no partition table (8 GiB
#                   virtual, compressed), UUID in FLEET_ROOT_UUID
#   vmlinuz         the kernel, as QEMU boots it (an uncompressed Image)
#   initrd.img      the initramfs the image generated itself
#   fleet_ed25519   a private key authorized for root (.pub next to it)
#   image.env       the NAME=value lines below; build.log the build's log,
#                   packages.txt what the image has installed
#
# Made from this machine's Debian mirrors, the suites a host of SUITE
# takes packages from (SUITE, -updates, -security): mmdebstrap --arch
# arm64 --variant=minbase with the packages of PACKAGES (no recommends;
# apt runs here, dpkg and the maintainer scripts under qemu-user-static,
# through binfmt_misc, registered here if it is not), then the stock
# kernel package of the kernel the e2e tests boot for SUITE
# (scripts/fetch-kernel.sh: the same KVER and package version; the .deb
# is kept in $CACHE/fleet/debs) installed with dpkg, which makes the
# initramfs (MODULES=most, gzip). (debootstrap --foreign and its second
# stage under qemu-user took 28 minutes here, mmdebstrap far less.) The image has systemd as init, systemd-networkd (DHCP on
# any Ethernet link), sshd (keys only, root allowed), hostname fleet,
# vfio-pci bound to every ivshmem device (1af4:1110) at boot, a getty on
# ttyAMA0 and an empty machine-id (each host makes its own at first boot).
# Its apt sources name the mirror, but it has no package lists.
#
# Prints image.env on stdout, one NAME=value line each, shell-quoted
# (source it: . <(scripts/fleet-image.sh trixie)): FLEET_SUITE, FLEET_KVER,
# FLEET_PKGVER, FLEET_IMAGE, FLEET_KEY, FLEET_KERNEL, FLEET_INITRD,
# FLEET_ROOT_UUID. Progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"
cache_lock

suite=${1:-trixie}
case " $SUITES_ALL " in
*" $suite "*) ;;
*) die "unknown suite '$suite' (one of: $SUITES_ALL)" ;;
esac
[ "$(id -u)" = 0 ] || die "building the fleet image needs root (mmdebstrap, chroot, binfmt_misc)"
for c in mmdebstrap chroot mkfs.ext4 qemu-img ssh-keygen; do
	command -v "$c" >/dev/null || die "$c is missing (scripts/host-setup.sh installs it)"
done

# What the image holds besides minbase. Part of the cache key.
# e2fsprogs: fsck.ext4 for the root file system (not Priority: required
# since trixie, so not in minbase). python3 and python3-apt: what
# Ansible's modules (apt with deb=) need on a managed host. No compiler:
# these hosts install the prebuilt module package (scripts/fleet-bmdeb.sh).
PACKAGES="systemd-sysv udev openssh-server python3 python3-apt kmod initramfs-tools apt dpkg pciutils e2fsprogs"
# The root file system's size as the hosts see it (the qcow2 holds only
# what is written).
DISK_SIZE=8G

# The kernel the e2e tests boot for this suite, and its package.
envfile=$("$here/fetch-kernel.sh" "$suite") || die "$suite: fetch-kernel.sh failed"
kver=$(sed -n 's/^KVER=//p' "$envfile")
pkgver=$(sed -n 's/^PKGVER=//p' "$envfile")
apt_suites=$(sed -n 's/^APT_SUITES="\(.*\)"$/\1/p' "$envfile")
if [ -z "$kver" ] || [ -z "$pkgver" ] || [ -z "$apt_suites" ]; then
	die "$suite: no KVER, PKGVER or APT_SUITES in $envfile"
fi
exists() { suite_apt_cache "$apt_suites" show "$1" >/dev/null 2>&1; }
# fetch-kernel.sh takes the -unsigned image (the same binaries as the
# signed one); 7.x splits it, as there.
if exists "linux-image-$kver-unsigned:arm64"; then
	kpkgs="linux-image-$kver-unsigned"
else
	kpkgs="linux-binary-unsigned-$kver linux-modules-$kver"
	! exists "linux-base-$kver:arm64" || kpkgs="$kpkgs linux-base-$kver"
fi

key=$({
	cat "${BASH_SOURCE[0]}"
	printf '%s\n' "suite=$suite" "packages=$PACKAGES" "kernel=$kpkgs=$pkgver" "disk=$DISK_SIZE"
} | sha256sum | cut -c1-12)
fdir=$CACHE/fleet
dest=$fdir/$suite-$key
if [ -f "$dest/image.env" ]; then
	cat "$dest/image.env"
	exit 0
fi

t0=$SECONDS
step() { log "fleet-image: $suite [$((SECONDS - t0))s] $*"; }
# rm_build DIR: remove a build's folder, never what is mounted below it
# (a build cut off inside mmdebstrap leaves its chroot's /proc, /sys,
# /dev/pts and /dev/shm mounted, the last one this machine's own /dev/shm
# through mount propagation): such a folder is left, and said so.
rm_build() {
	[ -e "$1" ] || return 0
	if findmnt -rn -o TARGET | grep -qF "$1/"; then
		log "fleet-image: leaving $1: file systems are mounted below it (findmnt | grep ${1##*/}; umount them, then remove it)"
		return 1
	fi
	rm -rf --one-file-system "$1"
}
work=$dest.tmp
root=$work/root
logf=$work/build.log
rm_build "$work" || die "fleet-image: cannot start over in $work"
mkdir -p "$work" "$fdir/debs"
fail() {
	tail -n 15 "$logf" >&2 || true
	die "fleet-image: $suite: $* (log: $logf)"
}

# arm64 binaries run through qemu-user-static; the F flag opens the
# interpreter now, so it works inside the chroot too.
binfmt_aarch64() {
	local dir=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-aarch64.conf
	[ -e "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir" ||
		die "cannot mount binfmt_misc on $dir"
	if [ -e "$dir/qemu-aarch64" ]; then
		grep -qx enabled "$dir/qemu-aarch64" || die "binfmt_misc: qemu-aarch64 is registered but disabled"
		return 0
	fi
	[ -f "$conf" ] || die "$conf is missing (apt-get install qemu-user-static)"
	log "fleet-image: registering qemu-aarch64 with binfmt_misc ($conf)"
	cat "$conf" >"$dir/register" || die "binfmt_misc: registering qemu-aarch64 failed"
}
binfmt_aarch64

# The kernel package: the exact version the e2e tests use, downloaded
# here (fetch-kernel.sh keeps only what it extracted), kept in the cache.
debs=()
for p in $kpkgs; do
	f=$fdir/debs/${p}_${pkgver}_arm64.deb
	if [ ! -f "$f" ]; then
		step "downloading $p $pkgver"
		(cd "$fdir/debs" && suite_apt "$apt_suites" download "$p:arm64=$pkgver" >>"$logf" 2>&1) ||
			fail "cannot download $p:arm64=$pkgver from $apt_suites"
		[ -f "$f" ] || fail "$p: no $f after the download"
	fi
	debs+=("$f")
done

ssh-keygen -q -t ed25519 -N '' -C "kvm-s2attr-fleet-$suite" -f "$work/fleet_ed25519" ||
	die "ssh-keygen failed"

# The apt sources of a host of this release (those fetch-kernel.sh takes
# the kernel from), from this machine's mirrors: the packages come from
# all of them, as on a host, and the image keeps them.
mirror=$(debian_mirror)
security=$(debian_mirror security 2>/dev/null) || security=
sources=()
for s in $apt_suites; do
	case $s in
	*-security) [ -z "$security" ] || sources+=("deb $security $s main") ;;
	*) sources+=("deb $mirror $s main") ;;
	esac
done
# apt runs here, dpkg and the maintainer scripts inside, under qemu-user.
step "mmdebstrap --arch arm64 --variant=minbase (log: $logf)"
mmdebstrap --mode=root --arch=arm64 --variant=minbase --include="$PACKAGES" \
	--aptopt='Acquire::Check-Valid-Until "false"' --aptopt='Acquire::Languages "none"' \
	"$suite" "$root" "${sources[@]}" >>"$logf" 2>&1 || fail "mmdebstrap failed"

step "configuring"
uuid=$(cat /proc/sys/kernel/random/uuid)
echo fleet >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tfleet\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
printf 'UUID=%s\t/\text4\terrors=remount-ro\t0\t1\n' "$uuid" >"$root/etc/fstab"
# No package lists (the hosts cannot reach the mirror); no recommends.
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
	>"$root/etc/apt/apt.conf.d/99fleet"
# Both ivshmem devices go to vfio-pci at boot.
echo 'options vfio-pci ids=1af4:1110' >"$root/etc/modprobe.d/vfio-fleet.conf"
echo vfio-pci >"$root/etc/modules-load.d/vfio-fleet.conf"
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nType=ether\n\n[Network]\nDHCP=ipv4\n' >"$root/etc/systemd/network/80-fleet.network"
mkdir -p "$root/etc/ssh/sshd_config.d"
printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n' \
	>"$root/etc/ssh/sshd_config.d/fleet.conf"
install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$work/fleet_ed25519.pub" "$root/root/.ssh/authorized_keys"
# The initramfs: no swap to resume from; fsck.ext4 for the root, whose
# type cannot be read from its UUID here; gzip (no zstd in the image);
# only the modules that mount the root (and what hooks add, kvm_s2attr's
# among them): with MODULES=most a package's update-initramfs trigger
# took over 5 minutes on a host under TCG.
mkdir -p "$root/etc/initramfs-tools/conf.d"
printf 'RESUME=none\nFSTYPE=ext4\nCOMPRESS=gzip\nMODULES=list\n' >"$root/etc/initramfs-tools/conf.d/fleet"
printf '%s\n' virtio_mmio virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# systemd-firstboot would ask for a locale and a root password on the
# console at the first boot (the machine-id is empty): nobody answers.
chroot_sh "$root" "$logf" "systemctl enable systemd-networkd.service serial-getty@ttyAMA0.service &&
	systemctl mask systemd-firstboot.service" || fail "systemctl enable/mask failed"

step "installing $kpkgs $pkgver (the initramfs is made under qemu-user)"
mkdir -p "$root/tmp/kernel"
cp "${debs[@]}" "$root/tmp/kernel/"
chroot_sh "$root" "$logf" "dpkg -i /tmp/kernel/*.deb" || fail "installing the kernel package failed"
rm -rf "$root/tmp/kernel"
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
got=$(chroot "$root" dpkg-query -W -f='${Version}' "${kpkgs%% *}")
[ "$got" = "$pkgver" ] || fail "installed ${kpkgs%% *} $got, not $pkgver"
if [ ! -f "$root/boot/vmlinuz-$kver" ] || [ ! -s "$root/boot/initrd.img-$kver" ]; then
	fail "no /boot/vmlinuz-$kver or /boot/initrd.img-$kver in the image"
fi

# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
chroot "$root" dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' >"$work/packages.txt" ||
	fail "dpkg-query failed"

# Cleaning up what the build left and what must differ per host.
rm -f "$root/usr/sbin/policy-rc.d" "$root/var/lib/dbus/machine-id"
: >"$root/etc/machine-id"
: >"$root/etc/resolv.conf"
chroot_sh "$root" "$logf" "apt-get clean" || fail "apt-get clean failed"
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/log/"*.log

# The kernel as QEMU boots it (run.sh's get_image), and the initramfs.
if [ "$(head -c 2 "$root/boot/vmlinuz-$kver" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
	zcat "$root/boot/vmlinuz-$kver" >"$work/vmlinuz"
else
	cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
fi
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"

step "making the ext4 root ($(du -sh "$root" | cut -f1)) and root.qcow2"
truncate -s "$DISK_SIZE" "$work/root.raw"
mkfs.ext4 -q -F -L fleet-root -U "$uuid" -d "$root" "$work/root.raw" >>"$logf" 2>&1 ||
	fail "mkfs.ext4 -d failed"
rm_build "$root" || fail "cannot remove $root"
qemu-img convert -c -f raw -O qcow2 "$work/root.raw" "$work/root.qcow2" >>"$logf" 2>&1 ||
	fail "qemu-img convert failed"
rm -f "$work/root.raw"
chmod 0444 "$work/root.qcow2"

q() { printf '%s=%q\n' "$1" "$2"; }
{
	q FLEET_SUITE "$suite"
	q FLEET_KVER "$kver"
	q FLEET_PKGVER "$pkgver"
	q FLEET_IMAGE "$dest/root.qcow2"
	q FLEET_KEY "$dest/fleet_ed25519"
	q FLEET_KERNEL "$dest/vmlinuz"
	q FLEET_INITRD "$dest/initrd.img"
	q FLEET_ROOT_UUID "$uuid"
} >"$work/image.env"
rm -rf "$dest"
mv "$work" "$dest"
# Older builds for this suite (another hash) are of no more use, nor
# builds that were cut off (*.tmp; the cache lock keeps out any other).
for d in "$fdir/$suite"-*.tmp; do
	rm_build "$d" || true
done
for d in "$fdir/$suite"-*; do
	[ "${d%.tmp}" = "$d" ] || continue
	[ "$d" != "$dest" ] || continue
	grep -qsx "FLEET_SUITE=$suite" "$d/image.env" || continue
	log "fleet-image: removing the older image $d"
	rm -rf "$d"
done
step "done: $dest/root.qcow2 ($(du -h "$dest/root.qcow2" | cut -f1)), $kver $pkgver"
cat "$dest/image.env"
