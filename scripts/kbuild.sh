#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kbuild.sh SUITE DIR [MAKE-ARGS...]: run "make -C DIR MAKE-ARGS" for SUITE's
# Debian arm64 kernel with the cross compiler that kernel was built with
# (host or chroot, see toolchain.sh). KDIR, KVER and CROSS_COMPILE are set;
# DIR must be an absolute path. Fetches the kernel and toolchain if needed.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock
here=$(cd "$(dirname "$0")" && pwd)

suite=${1:?usage: kbuild.sh SUITE DIR [MAKE-ARGS...]}
dir=${2:?usage: kbuild.sh SUITE DIR [MAKE-ARGS...]}
shift 2
case $dir in /*) ;; *) die "kbuild.sh: DIR must be absolute: $dir";; esac

envfile=$("$here/fetch-kernel.sh" "$suite")
KCC=
# shellcheck disable=SC1090
. "$envfile"
runner=$("$here/toolchain.sh" "$suite" "$GCC")

# KCC: a kernel built here (debug-kernel.sh) names its compiler itself;
# Debian's headers do it in their Makefile.
set -- make -C "$dir" KDIR="$KDIR" KVER="$KVER" ARCH=arm64 \
	CROSS_COMPILE=aarch64-linux-gnu- ${KCC:+CC="$KCC"} "$@"
if [ "$runner" = host ]; then
	exec "$@"
fi
# Run the build inside the toolchain chroot. The cache and DIR are bind
# mounted at their own paths, so every path means the same inside; the
# mount namespace goes away with the command.
exec unshare --mount --propagation private sh -c '
	root=$1 cache=$2 dir=$3
	shift 3
	mkdir -p "$root$cache" "$root$dir" &&
	mount --bind "$cache" "$root$cache" &&
	mount --bind "$dir" "$root$dir" &&
	mount -t proc proc "$root/proc" &&
	exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@"
' sh "$runner" "$CACHE" "$dir" "$@"
