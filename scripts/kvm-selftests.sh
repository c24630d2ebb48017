#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kvm-selftests.sh NAME: build, once, upstream's KVM selftests
# (tools/testing/selftests/kvm) for arm64 from the Debian linux-source
# package of the kernel called NAME (trixie: linux-source-6.12, sid:
# linux-source-7.2; the version that kernel was fetched at), statically
# linked with this machine's cross compiler, for the selftests scenario
# (tests/e2e/scenarios/selftests.*): an oracle from outside the project.
# Cached under $CACHE/kvm-selftests by package, version and a key of this
# script and the compiler; selftests.env, written last, marks a build
# complete. Prints the directory of the binaries (unstripped, one flat
# directory: <arch dir>/x and x alike become x).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
cache_lock

name=${1:?usage: kvm-selftests.sh NAME (a kernel name: trixie, sid, ...)}
cross=aarch64-linux-gnu-
command -v "${cross}gcc" >/dev/null ||
	die "kvm selftests: ${cross}gcc is not installed (scripts/host-packages: gcc-aarch64-linux-gnu)"

# The source must be the running kernel's: the tests' view of the UAPI
# and of KVM's features is that release's.
envfile=$("$(dirname "$0")/fetch-kernel.sh" "$name") || die "kvm selftests: cannot fetch kernel $name"
KVER='' PKGVER='' APT_SUITES=''
# shellcheck disable=SC1090
. "$envfile"
if [ -z "$KVER" ] || [ -z "$PKGVER" ] || [ -z "$APT_SUITES" ]; then
	die "kvm selftests: $envfile lacks KVER, PKGVER or APT_SUITES"
fi
series=$(sed -n 's/^\([0-9]*\.[0-9]*\)[.+-].*/\1/p' <<<"$KVER")
[ -n "$series" ] || die "kvm selftests: cannot tell the series of kernel $KVER"
pkg=linux-source-$series

suite_update "$APT_SUITES"
# Exactly the kernel's version; apt-get download of a version the lists do
# not hold would fail later with a vaguer message.
suite_apt_cache "$APT_SUITES" madison "$pkg" | awk -F' *[|] *' -v v="$PKGVER" '$2 == v { f = 1 } END { exit !f }' ||
	die "kvm selftests: $APT_SUITES has no $pkg version $PKGVER (kernel $KVER); it has: $(suite_apt_cache "$APT_SUITES" madison "$pkg" | awk -F' *[|] *' '{ printf "%s ", $2 }')"

key=$({ cat "$0"; "${cross}gcc" --version | head -n 1; } | sha1sum | cut -c1-8)
dest=$CACHE/kvm-selftests/$pkg-${PKGVER//\~/+}-$key
marker=$dest/selftests.env
if [ -f "$marker" ]; then
	printf '%s\n' "$dest/bin"
	exit 0
fi

t0=$SECONDS
tmp=$dest.tmp
rm -rf "$tmp" "$dest"
mkdir -p "$tmp/deb" "$tmp/bin"
log "kvm selftests: fetching $pkg $PKGVER"
(cd "$tmp/deb" && suite_apt "$APT_SUITES" download "$pkg=$PKGVER" >/dev/null) ||
	die "kvm selftests: download of $pkg $PKGVER failed"
deb=$(ls "$tmp"/deb/"${pkg}"_*.deb 2>/dev/null) || die "kvm selftests: no $pkg .deb downloaded"
got=$(dpkg-deb -f "$deb" Version) || die "kvm selftests: $deb is not a Debian package"
[ "$got" = "$PKGVER" ] || die "kvm selftests: downloaded $pkg $got, wanted $PKGVER"

# What the selftests and "make headers" read: tools/, the UAPI headers,
# arm64's tree and kbuild. Not the drivers: a tenth of the tree.
log "kvm selftests: unpacking tools/ and headers"
top=$pkg
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
	tar -xJ -C "$tmp" --wildcards "$top/Makefile" "$top/Kbuild" "$top/Kconfig" \
		"$top/tools/*" "$top/include/*" "$top/arch/arm64/*" "$top/arch/Kconfig" \
		"$top/scripts/*" "$top/usr/*" ||
	die "kvm selftests: $deb holds no usable /usr/src/$pkg.tar.xz"
rm -rf "$tmp/deb"
src=$tmp/$top
[ -d "$src/tools/testing/selftests/kvm" ] || die "kvm selftests: $pkg has no tools/testing/selftests/kvm"

log "kvm selftests: installing the UAPI headers (log: $tmp/build.log)"
make -C "$src" ARCH=arm64 CROSS_COMPILE="$cross" headers >"$tmp/build.log" 2>&1 ||
	{ tail -n 20 "$tmp/build.log" >&2; die "kvm selftests: make headers failed, see $tmp/build.log"; }
log "kvm selftests: building with $(nproc) jobs"
make -C "$src/tools/testing/selftests/kvm" -j"$(nproc)" ARCH=arm64 CROSS_COMPILE="$cross" \
	LDFLAGS=-static >>"$tmp/build.log" 2>&1 ||
	{ tail -n 20 "$tmp/build.log" >&2; die "kvm selftests: build failed, see $tmp/build.log"; }

# The test programs: executables that are static arm64 ELF files (the
# directory also holds scripts).
n=0
while IFS= read -r f; do
	file -b "$f" | grep -q 'ELF 64-bit LSB executable, ARM aarch64.*statically linked' || continue
	b=${f##*/}
	[ ! -e "$tmp/bin/$b" ] || die "kvm selftests: two tests named $b"
	cp "$f" "$tmp/bin/$b"
	n=$((n + 1))
done < <(find "$src/tools/testing/selftests/kvm" -type f -perm -u+x | sort)
[ "$n" -gt 0 ] || die "kvm selftests: the build produced no static arm64 test program"

rm -rf "$src"
cat >"$tmp/selftests.env.tmp" <<EOT
NAME=$name
KVER=$KVER
PKG=$pkg
PKGVER=$PKGVER
CC=$("${cross}gcc" --version | head -n 1)
TESTS=$n
EOT
mv "$tmp/selftests.env.tmp" "$tmp/selftests.env"
mv "$tmp" "$dest"
log "kvm selftests: $n tests from $pkg $PKGVER in $((SECONDS - t0))s, in $dest/bin"
printf '%s\n' "$dest/bin"
