#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dkms-install.sh [KVER]: install this source checkout with DKMS ("make
# dkms-install"): copy the module source to /usr/src/kvm-s2attr-<VERSION>
# (VERSION file), then dkms add, build and install for KVER (default: the
# running kernel), and install the kvm-s2attr tool, the load order
# (/lib/modprobe.d/kvm-s2attr-softdep.conf: /lib, which kmod reads with or
# without a merged /usr, as on a bullseye host) and an example
# /etc/modprobe.d/kvm-s2attr.conf (never overwriting an existing one).
#
# Signing: if UEFI Secure Boot is on (or KVM_S2ATTR_REQUIRE_SIGNED=1), the
# module dkms built must be signed (dkms signs with the key in
# /etc/dkms/framework.conf, default /var/lib/dkms/mok.key, but does not fail
# when signing fails): an unsigned module is an error, with what to do.
#
# For tests: SRC_TREE (default /usr/src), PREFIX (default /usr), ETC
# (default /etc), LIB (default /lib), DKMS_OPTS (e.g. --dkmstree DIR), DKMS_STEPS (default
# "add build install").
# shellcheck disable=SC2086 # DKMS_OPTS and the module list are separate arguments
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-$(uname -r)}
ver=$(cat "$top/VERSION")
src_tree=${SRC_TREE:-/usr/src}
prefix=${PREFIX:-/usr}
etc=${ETC:-/etc}
lib=${LIB:-/lib}
steps=${DKMS_STEPS:-add build install}
opts=${DKMS_OPTS:-}
dest=$src_tree/kvm-s2attr-$ver

command -v dkms >/dev/null || { echo "dkms-install: dkms is not installed (apt install dkms)" >&2; exit 1; }
[ -w "$src_tree" ] || { echo "dkms-install: cannot write $src_tree (run as root)" >&2; exit 1; }

# A previous registration of this version goes first (dkms refuses to add
# a version twice).

if dkms status $opts -m kvm-s2attr -v "$ver" 2>/dev/null | grep -q .; then
	echo "dkms-install: removing the registered kvm-s2attr/$ver first"
	dkms remove $opts -m kvm-s2attr -v "$ver" --all
fi
rm -rf "$dest"
mkdir -p "$dest/scripts"
cp -a "$top/Makefile" "$top/Kbuild" "$top/VERSION" "$top/src" "$dest/"
rm -rf "$dest/src/.conftest"
find "$dest/src" \( -name '*.o' -o -name '.*.cmd' -o -name '*.mod*' \) -exec rm -f {} +
cp "$top/scripts/conftest.sh" "$dest/scripts/"
sed "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" "$top/dkms.conf" >"$dest/dkms.conf"
echo "dkms-install: source in $dest"

install -D -m 0755 "$top/tools/kvm-s2attr" "$prefix/sbin/kvm-s2attr"
install -D -m 0644 "$top/debian/modprobe.conf" "$lib/modprobe.d/kvm-s2attr-softdep.conf"
if [ ! -e "$etc/modprobe.d/kvm-s2attr.conf" ]; then
	install -D -m 0644 "$top/debian/modprobe-options.conf" "$etc/modprobe.d/kvm-s2attr.conf"
fi

for step in $steps; do
	case $step in
	add) dkms add $opts -m kvm-s2attr -v "$ver" ;;
	*) dkms "$step" $opts -m kvm-s2attr -v "$ver" -k "$kver" ;;
	esac
done

secure_boot() {
	for f in /sys/firmware/efi/efivars/SecureBoot-*; do
		[ -r "$f" ] || continue
		[ "$(od -An -tu1 "$f" | awk '{ print $NF }')" = 1 ] && return 0
	done
	return 1
}
if [ "${KVM_S2ATTR_REQUIRE_SIGNED:-0}" = 1 ] || secure_boot; then
	dkmstree=$(printf '%s\n' "$opts" | sed -n 's/.*--dkmstree[ =]\([^ ]*\).*/\1/p')
	kos=$(ls "${dkmstree:-/var/lib/dkms}/kvm-s2attr/$ver/${kver%%/*}"/*/module/kvm_s2attr.ko* 2>/dev/null || true)
	if [ -z "$kos" ] || ! sh "$top/tools/check-signed.sh" $kos; then
		cat >&2 <<EOT
dkms-install: Secure Boot is on (or KVM_S2ATTR_REQUIRE_SIGNED=1) but the
module dkms built for $kver is not signed, so the kernel would refuse it.
Set sign_file, mok_signing_key and mok_certificate in
/etc/dkms/framework.conf (see README.md, "Secure Boot"), enrol the
certificate with "mokutil --import", then run "make dkms-install" again.
EOT
		exit 1
	fi
fi
echo "dkms-install: kvm-s2attr $ver: $steps done for $kver"
