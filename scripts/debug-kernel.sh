#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# debug-kernel.sh [NAME]: build, once, an arm64 kernel with lockdep,
# atomic-sleep checks, KASAN and KFENCE from one of Debian bookworm's
# linux-source packages, with the config fragment debug-kernel.config:
#   debug      linux-source-6.1: the kernel the module targets first, and
#              its way of applying a change to running guests (5.10's too)
#   debug-612  linux-source-6.12 (bookworm-security): the 6.10+ way
#              (unmap_mapping_range on vfio's own address space)
# Both are built with bookworm's gcc-12, which is on the host. Cached under
# $CACHE/kernels by name, source version and fragment, like a fetched
# kernel: prints the path of its kernel.env, whose SUITE is NAME
# (fetch-kernel.sh NAME lands here).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock
here=$(cd "$(dirname "$0")" && pwd)

name=${1:-debug}
case $name in
debug) src_suite=bookworm src_pkg=linux-source-6.1 ;;
debug-612) src_suite="bookworm bookworm-updates bookworm-security" src_pkg=linux-source-6.12 ;;
*) die "debug-kernel.sh: unknown debug kernel '$name' (one of: $SUITES_DEBUG)" ;;
esac
gcc="gcc-12"
fragment=$here/debug-kernel.config

suite_update "$src_suite"
pkgver=$(suite_apt_cache "$src_suite" policy "$src_pkg" |
	sed -n 's/^  Candidate: //p')
[ -n "$pkgver" ] && [ "$pkgver" != "(none)" ] ||
	die "$src_suite: no $src_pkg package to build the debug kernel from"
key=$(sha1sum <"$fragment" | cut -c1-8)
# No "~" (as in 6.12.117-1~deb12u1) in the build tree's path.
dest=$CACHE/kernels/$name-${pkgver//\~/+}-$key
envfile=$dest/kernel.env
if [ -f "$envfile" ]; then
	printf '%s\n' "$envfile"
	exit 0
fi

for t in flex bison bc "aarch64-linux-gnu-$gcc"; do
	command -v "$t" >/dev/null || die "debug kernel: $t is not installed"
done
# Built in place (the build tree records absolute paths); kernel.env is
# written last and marks it complete.
tmp=$dest
rm -rf "$tmp"
mkdir -p "$tmp/deb" "$tmp/build"
log "debug kernel: fetching $src_pkg $pkgver"
(cd "$tmp/deb" && suite_apt "$src_suite" download "$src_pkg=$pkgver" >/dev/null) ||
	die "$src_suite: download of $src_pkg failed"
dpkg-deb --fsys-tarfile "$tmp"/deb/*.deb | tar -x -C "$tmp/deb" --wildcards '*.tar.xz'
log "debug kernel: unpacking the source"
tar -xf "$tmp"/deb/usr/src/linux-source-*.tar.xz -C "$tmp"
rm -rf "$tmp/deb"
srcdir=$(ls -d "$tmp"/linux-source-*)
mv "$srcdir" "$tmp/src"

# O= build tree, so that it can serve as KDIR for out-of-tree modules.
kmake() {
	make -C "$tmp/src" O="$tmp/build" ARCH=arm64 \
		CROSS_COMPILE=aarch64-linux-gnu- CC="aarch64-linux-gnu-$gcc" "$@"
}
kmake allnoconfig >"$tmp/config.log" 2>&1 || die "allnoconfig failed, see $tmp/config.log"
cat "$fragment" >>"$tmp/build/.config"
kmake olddefconfig >>"$tmp/config.log" 2>&1 || die "olddefconfig failed, see $tmp/config.log"
# Every option asked for must have survived olddefconfig (a missing
# dependency silently drops one).
lost=
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF -- "$line" "$tmp/build/.config" || lost="$lost $line" ;;
	"# CONFIG_"*" is not set") grep -qxF -- "$line" "$tmp/build/.config" || lost="$lost ${line#\# }" ;;
	esac
done <"$fragment"
[ -z "$lost" ] || die "debug kernel: options dropped by olddefconfig:$lost"

jobs=$(nproc)
log "debug kernel: building Image and modules with $jobs jobs (log: $tmp/build.log)"
kmake -j"$jobs" Image modules >"$tmp/build.log" 2>&1 &
pid=$!
t0=$SECONDS
while kill -0 "$pid" 2>/dev/null; do
	sleep 30
	kill -0 "$pid" 2>/dev/null || break
	log "debug kernel: $((SECONDS - t0))s, $(find "$tmp/build" -name '*.o' | wc -l) objects"
done
wait "$pid" || { tail -n 20 "$tmp/build.log" >&2; die "debug kernel build failed, see $tmp/build.log"; }
log "debug kernel: built in $((SECONDS - t0))s"
kmake INSTALL_MOD_PATH="$tmp/root" modules_install >>"$tmp/build.log" 2>&1 ||
	die "modules_install failed, see $tmp/build.log"
kver=$(kmake -s kernelrelease)

cat >"$envfile.tmp" <<EOT
SUITE=$name
KVER=$kver
PKGVER=$pkgver+debug.$key
GCC=$gcc
KCC=aarch64-linux-gnu-$gcc
KDIR=$dest/build
MODDIR=$dest/root/lib/modules/$kver
IMAGE=$dest/build/arch/arm64/boot/Image
KCONFIG=$dest/build/.config
EOT
mv "$envfile.tmp" "$envfile"
log "debug kernel: $kver ($src_pkg $pkgver, fragment $key) in $dest"
printf '%s\n' "$envfile"
