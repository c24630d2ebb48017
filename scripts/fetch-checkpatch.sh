#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fetch-checkpatch.sh: print the path of checkpatch.pl taken from Debian's
# linux-source package (bookworm), extracted once into the cache.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock

dest=$CACHE/checkpatch
if [ -x "$dest/scripts/checkpatch.pl" ]; then
	echo "$dest/scripts/checkpatch.pl"
	exit 0
fi
suite_update bookworm
src=$(suite_apt_cache bookworm depends linux-source |
	sed -n 's/^  Depends: \(linux-source-[0-9.]*\)$/\1/p' | head -n 1)
[ -n "$src" ] || die "cannot resolve the linux-source package"
tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
log "checkpatch: fetching $src"
(cd "$tmp" && suite_apt bookworm download "$src" >/dev/null) || die "download of $src failed"
dpkg-deb --fsys-tarfile "$tmp"/"$src"_*.deb |
	tar -x -C "$tmp" --wildcards './usr/src/*.tar.xz'
tar -xJf "$tmp"/usr/src/"$src".tar.xz -C "$tmp" --strip-components=1 \
	--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
	'*/scripts/const_structs.checkpatch'
dpkg-deb -f "$tmp"/"$src"_*.deb Version > "$tmp/VERSION"
rm -rf "$tmp"/usr "$tmp"/*.deb
rm -rf "$dest"
mv "$tmp" "$dest"
echo "$dest/scripts/checkpatch.pl"
