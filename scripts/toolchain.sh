#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# toolchain.sh SUITE GCC: make sure the aarch64 cross compiler GCC (e.g.
# gcc-14) that Debian built SUITE's kernel with is available, and print how
# to run it: "host" when this machine has it, otherwise the path of a
# minimal chroot (cached) of SUITE's release holding it; SUITE may name a
# flavour (trixie-16k), whose release's chroot (trixie) serves it. A chroot
# is used because newer cross compilers need a newer glibc than this
# host's; apt inside it keeps the choice robust to Debian's version drift.
# Release files are still verified, but not their Valid-Until: the mirror
# may serve a snapshot.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock

suite=${1:?usage: toolchain.sh SUITE gcc-NN}
suite=${suite%%-*}
gcc=${2:?usage: toolchain.sh SUITE gcc-NN}

if command -v "aarch64-linux-gnu-$gcc" >/dev/null; then
	echo host
	exit 0
fi

root=$CACHE/chroot/$suite
if [ -x "$root/usr/bin/aarch64-linux-gnu-$gcc" ] && [ -f "$root/.kvm-s2attr-ready" ]; then
	echo "$root"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "building the $suite toolchain chroot needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

rm -rf "$root.tmp"
mkdir -p "$CACHE/chroot"
log "toolchain: debootstrap $suite (minbase) for aarch64-linux-gnu-$gcc"
debootstrap --variant=minbase "$suite" "$root.tmp" "$(debian_mirror)" > "$CACHE/chroot/$suite.log" 2>&1 ||
	die "debootstrap $suite failed, see $CACHE/chroot/$suite.log"
log "toolchain: installing $gcc-aarch64-linux-gnu in the $suite chroot"
chroot_sh "$root.tmp" "$CACHE/chroot/$suite.log" "
	echo 'Acquire::Check-Valid-Until \"false\";' >/etc/apt/apt.conf.d/99snapshot &&
	apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q install -y \
		--no-install-recommends make bc kmod $gcc-aarch64-linux-gnu \
		binutils-aarch64-linux-gnu dwarves && apt-get clean" ||
	die "installing $gcc in the $suite chroot failed, see $CACHE/chroot/$suite.log"
touch "$root.tmp/.kvm-s2attr-ready"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$root"
