#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkdeb.sh [OUTDIR]: build the kvm-s2attr-dkms Debian package (dh-dkms,
# source format 3.0 (native)) out of a copy of the tree, so that the
# checkout stays clean. Results (.deb, .dsc, .tar.xz, .changes, .buildinfo,
# build.log) in OUTDIR, default build/deb/. Needs debhelper, dh-dkms,
# dpkg-dev.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/deb}
ver=$(cat "$top/VERSION")
chver=$(cd "$top" && dpkg-parsechangelog -S Version)
[ "$chver" = "$ver" ] || { echo "mkdeb: debian/changelog says $chver, VERSION says $ver" >&2; exit 1; }
for p in debhelper dh-dkms dpkg-dev; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		{ echo "mkdeb: $p is not installed (apt-get install $p)" >&2; exit 1; }
done

rm -rf "$out"
src=$out/kvm-s2attr-$ver
mkdir -p "$src"
# The files of the checkout (tracked, and new ones not ignored), never
# build output; a tree that is not a git checkout is copied without
# build/ and out/.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -c -o --exclude-standard | xargs -0 -I{} sh -c '[ -e "{}" ] && echo "{}"' |
		tar --no-recursion -cf - -T -) | tar -xf - -C "$src"
else
	tar -C "$top" --exclude=./build --exclude=./out --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
echo "mkdeb: building kvm-s2attr $ver in $src" >&2
if ! (cd "$src" && dpkg-buildpackage -us -uc -ui) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed, see $out/build.log" >&2
	exit 1
fi
rm -rf "$src"
deb=$out/kvm-s2attr-dkms_${ver}_all.deb
[ -f "$deb" ] || { echo "mkdeb: $deb was not produced" >&2; exit 1; }
echo "mkdeb: $deb ($(stat -c %s "$deb") bytes)" >&2
echo "$deb"
