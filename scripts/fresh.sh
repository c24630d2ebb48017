#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fresh.sh ("make fresh"): prove that a new user's commands work on a
# Debian 12 machine where nothing was installed by hand. A minimal bookworm
# amd64 root (debootstrap --variant=minbase, cached pristine) is copied,
# given this machine's apt configuration as a fresh machine of the same
# kind would have it (its main source rewritten as a mirror+file: entry in
# deb822, as Debian's cloud images write it), and a clean clone of this
# checkout's HEAD; then, inside it, with its own apt state and its own
# empty kernel cache, "make demo", "make unit" and "make fuzz" run exactly as
# the README says. Nothing of this machine's packages or caches is visible.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=common.sh
. "$top/scripts/common.sh"
cache_lock

[ "$(id -u)" = 0 ] || die "make fresh needs root (debootstrap, chroot)"
for c in debootstrap unshare chroot git; do
	command -v "$c" >/dev/null || die "$c is missing (scripts/host-setup.sh installs it)"
done
fdir=$CACHE/fresh
base=$fdir/bookworm-minbase
run=$fdir/run
mkdir -p "$fdir"
t0=$SECONDS
step() { log "fresh: [$((SECONDS - t0))s] $*"; }

# Pristine base root, made once.
if [ ! -f "$base/.kvm-s2attr-ready" ]; then
	step "debootstrap bookworm (minbase), once (log: $fdir/debootstrap.log)"
	rm -rf "$base"
	debootstrap --variant=minbase bookworm "$base" "$(debian_mirror)" >"$fdir/debootstrap.log" 2>&1 ||
		{ tail -n 5 "$fdir/debootstrap.log" >&2; die "debootstrap failed, see $fdir/debootstrap.log"; }
	touch "$base/.kvm-s2attr-ready"
fi

# A copy to dirty, never the base itself.
step "copying the base root"
if mountpoint -q "$run/proc" 2>/dev/null; then die "$run is still in use"; fi
rm -rf "$run"
cp -a "$base" "$run"
rm -f "$run/.kvm-s2attr-ready"

# This machine's apt sources and settings, main source as mirror+file:.
mirror=$(debian_mirror)
mkdir -p "$run/etc/apt/mirrors"
printf '%s\n' "$mirror" >"$run/etc/apt/mirrors/debian.lst"
rm -f "$run/etc/apt/sources.list"
{
	printf 'Types: deb\nURIs: mirror+file:/etc/apt/mirrors/debian.lst\n'
	printf 'Suites: bookworm bookworm-updates\nComponents: main\n'
	printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
	if security=$(debian_mirror security 2>/dev/null); then
		printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
	fi
} >"$run/etc/apt/sources.list.d/debian.sources"
for f in /etc/apt/apt.conf.d/*; do
	! grep -q '^Acquire::' "$f" 2>/dev/null || cp "$f" "$run/etc/apt/apt.conf.d/"
done
cp -L /etc/resolv.conf "$run/etc/resolv.conf"

# A clean clone of HEAD: what CI and a new user start from.
[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
	log "fresh: note: uncommitted changes in $top are not part of the test (it clones HEAD)"
git clone -q "$top" "$run/root/kvm-s2attr"
head=$(git -C "$run/root/kvm-s2attr" rev-parse --short HEAD)

# The README's first step on a new machine, word for word.
readme_first=$(sed -n 's/^    \(apt-get .*make\)$/\1/p' "$top/README.md" | head -n 1)
[ -n "$readme_first" ] || die "README.md names no 'apt-get ... make' first step"
step "in the fresh root, at $head: $readme_first, make demo, make unit, make fuzz (log: $fdir/run.log)"
rc=0
unshare --mount --propagation private sh -c '
	set -e
	r=$1
	mount -t proc proc "$r/proc"
	mount -t sysfs sysfs "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs -o size=1g tmpfs "$r/dev/shm"
	exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c "cd /root/kvm-s2attr && $2 && make demo && make unit && make fuzz"
' sh "$run" "$readme_first" >"$fdir/run.log" 2>&1 || rc=$?
grep -E '^\[[0-9]/[0-9]\]|demo done|^    [0-9a-f]{4}:|passed|fuzz:|error' "$fdir/run.log" | tail -n 40 || true
[ "$rc" = 0 ] || { tail -n 30 "$fdir/run.log"; die "make fresh: failed (exit $rc) after $((SECONDS - t0))s, see $fdir/run.log"; }
step "passed: make demo, make unit and make fuzz in a fresh Debian 12 root"
echo "fresh: ok in $((SECONDS - t0))s"
