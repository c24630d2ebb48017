#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dkms-build.sh SUITE SRCTREE WORKDIR [sign|sign-broken|nosign]
#
# Cross-build kvm-s2attr with the dkms of this machine (3.0.10) from
# SRCTREE (a directory holding kvm-s2attr-<version>/, e.g. the /usr/src of
# the unpacked .deb) for SUITE's Debian arm64 kernel, as dkms on the target
# would: "dkms add" then "dkms build -k <kver>/aarch64 --kernelsourcedir",
# ARCH and CROSS_COMPILE in the environment, an aarch64 strip first in PATH.
# Nothing outside WORKDIR is written: --sourcetree/--dkmstree/--installtree
# point there, and /etc/dkms/framework.conf.d is replaced, in a private
# mount namespace, by WORKDIR's own (signing key, sign-file).
#
# Kernels whose compiler this machine lacks (toolchain.sh prints a chroot)
# are built inside that chroot: the cache, WORKDIR and SRCTREE are bind
# mounted at their own paths and the same dkms script runs there (bash,
# kmod, make and the cross binutils are in the chroot), so every kernel is
# built by the same dkms with the compiler Debian built it with.
#
# Signing: "sign" signs with a throwaway key and the kernel's own sign-file
# (from its linux-kbuild package); "sign-broken" asks for signing but names
# a sign-file that does not exist (dkms then only says "modules won't be
# signed"); "nosign" (default) disables signing. With sign and sign-broken
# the module must carry a signature (tools/check-signed.sh), else exit 3.
# Checks the vermagic. Prints "ok <kver> <vermagic>" on success; for a
# kernel dkms declines (BUILD_EXCLUSIVE_CONFIG), "skip ..." and exit 77.
# DKMS_SCRIPT: another dkms script to run instead of this machine's (e.g.
# bullseye's 2.8.4, to test how 5.10 hosts install), with "nosign";
# DKMS_BUILD_OPTS: more options for its "dkms build" (2.8.4 "prepares"
# a kernel tree named by --kernelsourcedir, make mrproper included, unless
# told --no-prepare-kernel --no-clean-kernel). The kernel cache is mounted
# read-only for the build, so that no dkms can change a kernel tree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/common.sh
. "$top/scripts/common.sh"
cache_lock

suite=${1:?usage: dkms-build.sh SUITE SRCTREE WORKDIR [sign|sign-broken|nosign]}
srctree=$(cd "${2:?}" && pwd)
work=${3:?}
sign=${4:-nosign}

envfile=$("$top/scripts/fetch-kernel.sh" "$suite")
# shellcheck disable=SC1090
. "$envfile"
runner=$("$top/scripts/toolchain.sh" "$suite" "$GCC")
ver=$(basename "$(ls -d "$srctree"/kvm-s2attr-*)")
ver=${ver#kvm-s2attr-}

rm -rf "$work"
mkdir -p "$work"/{dkms,install,conf.d,bin,key,tmp}
work=$(cd "$work" && pwd)
cp "${DKMS_SCRIPT:-/usr/sbin/dkms}" "$work/bin/dkms"
ln -s "$(command -v aarch64-linux-gnu-strip || echo /usr/bin/aarch64-linux-gnu-strip)" "$work/bin/strip"
kbuild=$(ls -d "$(dirname "$KDIR")"/../lib/linux-kbuild-* 2>/dev/null | head -n 1)
kbuild=$(cd "$kbuild" && pwd)
case $sign in
sign)
	openssl req -new -x509 -nodes -days 1 -subj "/CN=kvm-s2attr throwaway test key" \
		-newkey rsa:2048 -keyout "$work/key/mok.key" -outform DER \
		-out "$work/key/mok.der" >/dev/null 2>&1
	printf 'sign_file=%s\nmok_signing_key=%s\nmok_certificate=%s\n' \
		"$kbuild/scripts/sign-file" "$work/key/mok.key" "$work/key/mok.der" >"$work/conf.d/sign.conf"
	;;
sign-broken)
	printf 'sign_file=%s\nmok_signing_key=%s\nmok_certificate=%s\n' \
		"$work/no-such-sign-file" "$work/key/mok.key" "$work/key/mok.der" >"$work/conf.d/sign.conf"
	;;
nosign)
	printf 'sign_file=%s\n' "$work/no-such-sign-file" >"$work/conf.d/sign.conf"
	;;
*) die "unknown signing mode $sign" ;;
esac
printf 'tmp_location=%s\n' "$work/tmp" >"$work/conf.d/tmp.conf"

cat >"$work/run-dkms.sh" <<EOT
#!/bin/bash
set -e
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- PATH=$work/bin:\$PATH
d="bash $work/bin/dkms"
opts="--sourcetree $srctree --dkmstree $work/dkms --installtree $work/install"
\$d add -m kvm-s2attr -v $ver \$opts
\$d build -m kvm-s2attr -v $ver \$opts -k $KVER/aarch64 --kernelsourcedir $KDIR ${DKMS_BUILD_OPTS:-}
EOT
chmod +x "$work/run-dkms.sh"

rc=0
if [ "$runner" = host ]; then
	unshare --mount --propagation private sh -c '
		mount --bind "$2" "$2" && mount -o remount,bind,ro "$2" &&
		mount --bind "$1/conf.d" /etc/dkms/framework.conf.d && exec "$1/run-dkms.sh"
	' sh "$work" "$CACHE" >"$work/dkms.log" 2>&1 || rc=$?
else
	unshare --mount --propagation private sh -c '
		root=$1 cache=$2 work=$3 srctree=$4
		for d in "$cache" "$work" "$srctree" /etc/dkms/framework.conf.d; do
			mkdir -p "$root$d"
		done
		mount --bind "$cache" "$root$cache" && mount -o remount,bind,ro "$root$cache" &&
		mount --bind "$work" "$root$work" &&
		mount --bind "$srctree" "$root$srctree" &&
		mount --bind "$work/conf.d" "$root/etc/dkms/framework.conf.d" &&
		mount -t proc proc "$root/proc" &&
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 "$work/run-dkms.sh"
	' sh "$runner" "$CACHE" "$work" "$srctree" >"$work/dkms.log" 2>&1 || rc=$?
fi
# dkms exits 77 when the kernel lacks a BUILD_EXCLUSIVE_CONFIG option: a
# clean skip, reported with what the kernel's configuration lacks.
if [ "$rc" = 77 ] && grep -q BUILD_EXCLUSIVE "$work/dkms.log"; then
	missing=$(sed -n 's/^BUILD_EXCLUSIVE_CONFIG="\(.*\)"$/\1/p' "$srctree/kvm-s2attr-$ver/dkms.conf" |
		tr ' ' '\n' | while read -r opt; do
			grep -Eq "^$opt=[ym]$" "$KDIR/.config" || printf '%s ' "$opt"
		done)
	echo "skip $suite $KVER: dkms declines to build (exit 77, BUILD_EXCLUSIVE): the kernel has no ${missing% }"
	exit 77
fi
if [ "$rc" != 0 ]; then
	cat "$work/dkms.log" >&2
	log=$(ls "$work"/dkms/kvm-s2attr/"$ver"/build/make.log 2>/dev/null || true)
	[ -z "$log" ] || tail -n 30 "$log" >&2
	echo "FAIL $suite $KVER: dkms build exited $rc (log: $work/dkms.log)"
	exit 1
fi
ko=$(ls "$work/dkms/kvm-s2attr/$ver/$KVER/aarch64/module/"kvm_s2attr.ko* 2>/dev/null | head -n 1)
[ -n "$ko" ] || { cat "$work/dkms.log" >&2; echo "FAIL $suite $KVER: no module in the dkms tree"; exit 1; }
makelog=$work/dkms/kvm-s2attr/$ver/$KVER/aarch64/log/make.log
if [ ! -s "$makelog" ]; then
	echo "FAIL $suite $KVER: no make.log in the dkms tree ($makelog)"
	exit 1
elif grep -iE '(warning|error):' "$makelog" >&2; then
	echo "FAIL $suite $KVER: the build printed warnings (see above)"
	exit 1
fi
vermagic=$(modinfo -F vermagic "$ko")
case $vermagic in
"$KVER "*aarch64*) ;;
*) echo "FAIL $suite $KVER: vermagic '$vermagic'"; exit 1 ;;
esac
signed=unsigned
if [ "$sign" != nosign ]; then
	if ! sh "$top/tools/check-signed.sh" "$ko" >"$work/check-signed.log" 2>&1; then
		cat "$work/check-signed.log" >&2
		grep -i "sign" "$work/dkms.log" >&2 || true
		echo "FAIL $suite $KVER: signing was asked for, but the module is not signed"
		exit 3
	fi
	signed="signed ($(modinfo -F signer "$ko" 2>/dev/null || echo '?'), $(modinfo -F sig_hashalgo "$ko" 2>/dev/null || echo '?'))"
fi
echo "ok $suite $KVER vermagic \"$vermagic\" $signed $(stat -c %s "$ko") bytes"
