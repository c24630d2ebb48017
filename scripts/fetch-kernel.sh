#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fetch-kernel.sh NAME: download the Debian arm64 kernel called NAME (a
# release, e.g. bookworm, or a flavour, e.g. trixie-16k: see SUITES_ALL in
# common.sh) into the cache: headers, common headers, the amd64 kbuild
# tools, image and modules. The version is resolved now, the newest of the
# suites a host of that release takes kernels from (Debian keeps only the
# newest one). Prints the path of the kernel's env file, which records
# what was fetched.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock

suite=${1:?usage: fetch-kernel.sh NAME (one of: $SUITES_ALL $SUITES_FLAVOURS $SUITES_DEBUG)}
# The debug kernels are not Debian's but built here with the kernel's own
# checkers on (debug-kernel.sh); they are used the same way.
case " $SUITES_DEBUG " in
*" $suite "*) exec "$(dirname "$0")/debug-kernel.sh" "$suite" ;;
esac
src=$(kernel_source "$suite") ||
	die "unknown kernel '$suite' (one of: $SUITES_ALL $SUITES_FLAVOURS $SUITES_DEBUG)"
read -r _ flavour meta suites <<<"$src"

suite_update "$suites"

# The kernel release (e.g. 6.1.0-50-arm64, 6.12.117+deb13-arm64-16k) comes
# from the metapackage's dependency, in its candidate version: the newest
# of $suites.
kver=$(suite_apt_cache "$suites" depends "$meta:arm64" |
	sed -n "s/^  Depends: linux-headers-\(.*-$flavour\):arm64\$/\1/p" | head -n 1)
[ -n "$kver" ] || die "$suite: cannot resolve $meta in $suites to a kernel version"
dest=$CACHE/kernels/$kver
envfile=$dest/kernel.env
if [ -f "$envfile" ]; then
	printf '%s\n' "$envfile"
	exit 0
fi

exists() { suite_apt_cache "$suites" show "$1" >/dev/null 2>&1; }
pkg_deps() {
	suite_apt_cache "$suites" depends "$1" |
		sed -n -e 's/^  \(Pre\)\{0,1\}Depends: <\{0,1\}\(linux-[^<>: ]*\).*/\2/p' \
			-e 's/^    \(linux-[^<>: ]*\)$/\1/p' | sort -u
}

# Headers: the flavour's package, the shared -common one (-common-rt for
# rt-arm64), and the kbuild host tools (fixdep, modpost) built for this
# (amd64) machine.
pkgs="linux-headers-$kver:arm64"
for dep in $(pkg_deps "linux-headers-$kver:arm64"); do
	case $dep in
	linux-headers-*-common | linux-headers-*-common-rt) pkgs="$pkgs $dep:all";;
	linux-kbuild-*) pkgs="$pkgs $dep:amd64";;
	linux-base-"$kver") pkgs="$pkgs $dep:arm64";;
	esac
done
# Image and modules: one -unsigned package up to 6.12; split in three since.
if exists "linux-image-$kver-unsigned:arm64"; then
	pkgs="$pkgs linux-image-$kver-unsigned:arm64"
else
	for p in "linux-binary-unsigned-$kver" "linux-modules-$kver" "linux-base-$kver"; do
		exists "$p:arm64" || die "$suite: package $p not found"
		case " $pkgs " in *" $p:arm64 "*) ;; *) pkgs="$pkgs $p:arm64";; esac
	done
fi

tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp/debs" "$tmp/root"
log "$suite: fetching $kver: $pkgs"
# shellcheck disable=SC2086 # word splitting of the package list is intended
(cd "$tmp/debs" && suite_apt "$suites" download $pkgs >/dev/null) ||
	die "$suite: download failed"
for deb in "$tmp"/debs/*.deb; do
	dpkg-deb -x "$deb" "$tmp/root"
done
pkgver=$(dpkg-deb -f "$(ls "$tmp"/debs/linux-headers-"$kver"_*.deb)" Version)
rm -rf "$tmp/debs"

root=$tmp/root
kdir=$root/usr/src/linux-headers-$kver
[ -d "$kdir" ] || die "$suite: headers not at $kdir"
# The flavour's Makefile names the -common tree (and on 7.x its own
# output directory) by absolute path.
sed -i "s#/usr/src/#$dest/root/usr/src/#g" "$kdir/Makefile"
# The compiler Debian built this kernel with: "CC := $(CROSS_COMPILE)gcc-NN".
gcc=$(sed -n 's/^CC.*=.*\(gcc-[0-9][0-9]*\).*/\1/p' "$kdir/.kernelvariables" 2>/dev/null | head -n 1)
[ -n "$gcc" ] || die "$suite: no compiler named in $kdir/.kernelvariables"

first() { ls -d "$@" 2>/dev/null | head -n 1 || true; }
moddir=$(first "$root/lib/modules/$kver" "$root/usr/lib/modules/$kver")
image=$(first "$root/boot/vmlinuz-$kver" "$moddir"/vmlinuz*)
config=$(first "$root/boot/config-$kver" "$moddir/config" "$kdir/.config")
[ -n "$moddir" ] && [ -n "$image" ] || die "$suite: image or modules missing from the packages"

mv "$tmp" "$dest"
fix() { printf '%s\n' "${1/$tmp/$dest}"; }
cat > "$envfile" <<EOT
SUITE=$suite
FLAVOUR=$flavour
APT_SUITES="$suites"
KVER=$kver
PKGVER=$pkgver
GCC=$gcc
KDIR=$(fix "$kdir")
MODDIR=$(fix "$moddir")
IMAGE=$(fix "$image")
KCONFIG=$(fix "$config")
EOT
log "$suite: $kver ($pkgver) in $dest, built with $gcc"
printf '%s\n' "$envfile"
