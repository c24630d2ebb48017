#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu-suite.sh SUITE: make sure Debian SUITE's qemu-system-aarch64 is in
# that suite's chroot (cached, the one scripts/toolchain.sh makes), and
# print a command that runs it from this machine: the chroot's own dynamic
# loader and libraries, its firmware directory, host paths unchanged. Lets
# the e2e harness compare QEMU versions (run.sh --qemu SUITE).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cache_lock

suite=${1:?usage: qemu-suite.sh SUITE}
case " $SUITES_ALL " in *" $suite "*) ;; *) die "unknown suite '$suite' (one of: $SUITES_ALL)" ;; esac
# The chroot exists once its compiler was needed; make sure of it.
gcc=$(sed -n 's/^GCC=//p' "$("$(dirname "$0")/fetch-kernel.sh" "$suite")")
root=$("$(dirname "$0")/toolchain.sh" "$suite" "$gcc")
[ "$root" != host ] || die "$suite's compiler is this machine's: its QEMU is this machine's too"
wrapper=$root/.kvm-s2attr-qemu
if [ ! -x "$root/usr/bin/qemu-system-aarch64" ]; then
	log "qemu: installing qemu-system-arm in the $suite chroot"
	chroot_sh "$root" "$CACHE/chroot/$suite.log" "apt-get -q update &&
		DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends \
			qemu-system-arm && apt-get clean" ||
		die "installing qemu-system-arm in the $suite chroot failed, see $CACHE/chroot/$suite.log"
fi
# The chroot's own loader: its /lib64 link is absolute, so resolve it there
# (resolved here it could name this machine's loader).
ld=$root$(chroot "$root" readlink -f /lib64/ld-linux-x86-64.so.2)
[ -f "$ld" ] || die "no x86-64 dynamic loader in $root"
libs=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
cat >"$wrapper" <<EOT
#!/bin/sh
# Debian $suite's qemu-system-aarch64, run from its chroot's libraries.
exec "$ld" --library-path "$libs" "$root/usr/bin/qemu-system-aarch64" -L "$root/usr/share/qemu" "\$@"
EOT
chmod +x "$wrapper"
"$wrapper" --version | head -n 1 >&2
echo "$wrapper"
