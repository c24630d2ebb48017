#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fleet-bmdeb.sh [SUITE] [OUTDIR]: the packages a fleet installs on hosts
# without compilers, for the stock kernel of SUITE (default trixie, the
# fleet image's), in OUTDIR (default build/fleet/debs):
#
#   kvm-s2attr-modules-KVER_VER_arm64.deb
#       kvm_s2attr.ko for kernel KVER only, signed with the organisation's
#       key, in /lib/modules/KVER/updates/ (through /usr/lib on merged-/usr
#       releases, trixie on); depmod in postinst and postrm, the initramfs
#       remade (dpkg's update-initramfs trigger). Depends on
#       kvm-s2attr-utils of the same version.
#   kvm-s2attr-utils_VER_all.deb
#       the userland of kvm-s2attr-dkms without DKMS and the module's
#       source: the tool, its man page, the softdep, the example policy
#       file (a conffile), the initramfs hook and the documentation. Its
#       files are taken from the kvm-s2attr-dkms .deb that tools/mkdeb.sh
#       builds from debian/ (its install rules are the only ones); the
#       two packages conflict.
#
# The module is built as the e2e tests' is (scripts/build-matrix.sh): the
# module's source (module_source_copy) built by scripts/kbuild.sh with the
# compiler SUITE's kernel was built with, no warnings, vermagic checked.
# Then it is signed with the kernel's own scripts/sign-file (from its
# headers, sha256 as the kernel's CONFIG_MODULE_SIG_HASH) with:
#
#   FLEET_SIGN_KEY, FLEET_SIGN_CERT   the organisation's private key (PEM,
#       or a PKCS#11 URI sign-file accepts) and its X.509 certificate (PEM
#       or DER): the one key a fleet enrols once (mokutil --import on each
#       host, or the firmware's db), instead of DKMS's key per host.
#   unset: a test key, made here once and kept in $CACHE/fleet/org-key/
#       (org.key, org.crt in PEM, org.der: what mokutil --import takes).
#
# Prints the two .debs' paths on stdout, module package first; progress
# on stderr. Needs what tools/mkdeb.sh needs and openssl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"
cache_lock

suite=${1:-trixie}
out=${2:-$top/build/fleet/debs}
command -v openssl >/dev/null || die "openssl is missing (scripts/host-setup.sh installs it)"
ver=$(cat "$top/VERSION")

envfile=$("$here/fetch-kernel.sh" "$suite") || die "$suite: fetch-kernel.sh failed"
KVER='' KDIR='' KCONFIG=''
# shellcheck disable=SC1090 # written by fetch-kernel.sh
. "$envfile"
if [ -z "$KVER" ] || [ ! -d "$KDIR" ] || [ ! -f "$KCONFIG" ]; then
	die "$suite: no KVER, KDIR or KCONFIG in $envfile"
fi
hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$KCONFIG")
[ -n "$hash" ] || die "$KVER: no CONFIG_MODULE_SIG_HASH in $KCONFIG: the kernel checks no module signatures"
signfile=$KDIR/scripts/sign-file
[ -x "$signfile" ] || die "$KVER: no $signfile in its headers"

# The organisation's key, or the cached test key.
if [ -n "${FLEET_SIGN_KEY:-}" ] || [ -n "${FLEET_SIGN_CERT:-}" ]; then
	key=${FLEET_SIGN_KEY:?FLEET_SIGN_CERT is set, FLEET_SIGN_KEY is not}
	cert=${FLEET_SIGN_CERT:?FLEET_SIGN_KEY is set, FLEET_SIGN_CERT is not}
else
	kdir=$CACHE/fleet/org-key
	key=$kdir/org.key cert=$kdir/org.crt
	if [ ! -f "$key" ] || [ ! -f "$cert" ] || [ ! -f "$kdir/org.der" ]; then
		log "fleet-bmdeb: making the test organisation key in $kdir"
		rm -rf "$kdir.tmp"
		mkdir -p "$kdir.tmp"
		# What the kernel's certs/x509.genkey asks for a module signing key.
		openssl req -new -x509 -newkey rsa:3072 -sha256 -nodes -days 36500 \
			-subj '/O=kvm-s2attr test organisation/CN=kvm-s2attr fleet test signing key' \
			-addext basicConstraints=critical,CA:FALSE -addext keyUsage=digitalSignature \
			-addext extendedKeyUsage=codeSigning -addext subjectKeyIdentifier=hash \
			-keyout "$kdir.tmp/org.key" -out "$kdir.tmp/org.crt" 2>/dev/null ||
			die "openssl req failed"
		openssl x509 -in "$kdir.tmp/org.crt" -outform DER -out "$kdir.tmp/org.der" ||
			die "openssl x509 -outform DER failed"
		chmod 0600 "$kdir.tmp/org.key"
		rm -rf "$kdir"
		mv "$kdir.tmp" "$kdir"
	fi
fi
[ -r "$key" ] || case $key in pkcs11:*) ;; *) die "cannot read the signing key $key" ;; esac
[ -r "$cert" ] || die "cannot read the signing certificate $cert"

work=$top/build/fleet/bmdeb-$KVER
rm -rf "$work"
mkdir -p "$work/build" "$out"

# The module, as scripts/build-matrix.sh builds it.
log "fleet-bmdeb: building kvm_s2attr.ko for $KVER ($suite)"
module_source_copy "$work/build"
if ! "$here/kbuild.sh" "$suite" "$work/build" module >"$work/build.log" 2>&1; then
	tail -n 30 "$work/build.log" >&2
	die "fleet-bmdeb: the build failed (log: $work/build.log)"
fi
if grep -iE '(warning|error):' "$work/build.log" >&2; then
	die "fleet-bmdeb: the build printed warnings (above; log: $work/build.log)"
fi
ko=$work/build/kvm_s2attr.ko
case $(modinfo -F vermagic "$ko") in
"$KVER "*) ;;
*) die "fleet-bmdeb: vermagic '$(modinfo -F vermagic "$ko")' is not $KVER's" ;;
esac
# Debian's kernel packages strip their modules' debug information before
# signing; a signature must come last.
aarch64-linux-gnu-strip --strip-debug "$ko" 2>/dev/null || strip --strip-debug "$ko" 2>/dev/null ||
	log "fleet-bmdeb: no strip for arm64: the module keeps its debug information"
"$signfile" "$hash" "$key" "$cert" "$ko" || die "fleet-bmdeb: sign-file failed"
tail -c 28 "$ko" | grep -q '~Module signature appended~' || die "fleet-bmdeb: no signature on $ko after sign-file"
log "fleet-bmdeb: signed by '$(modinfo -F signer "$ko")' (serial $(modinfo -F sig_key "$ko"))"

# The userland: the DKMS package's files, as debian/ installs them.
log "fleet-bmdeb: the userland from tools/mkdeb.sh's kvm-s2attr-dkms"
dkmsdeb=$(bash "$top/tools/mkdeb.sh" "$work/dkms") || die "fleet-bmdeb: tools/mkdeb.sh failed"
u=$work/utils
dpkg-deb -R "$dkmsdeb" "$u"
rm -rf "$u/usr/src" "$u/DEBIAN"/{postinst,prerm,postrm,md5sums}
# Its initramfs hook, for the module packages' modules (it adds kvm_s2attr
# wherever modinfo finds it for the kernel, whoever installed it).
mv "$u/usr/share/initramfs-tools/hooks/kvm-s2attr-dkms" "$u/usr/share/initramfs-tools/hooks/kvm-s2attr"
mv "$u/usr/share/doc/kvm-s2attr-dkms" "$u/usr/share/doc/kvm-s2attr-utils"
# The description's last paragraph is the DKMS package's own.
desc=$(sed -n '/^Description:/,$p' "$u/DEBIAN/control" | sed '/^ \.$/,$d' | sed 's/ (DKMS)$//')
{
	echo "Package: kvm-s2attr-utils"
	sed -n 's/^\(Source\|Version\|Maintainer\|Section\|Priority\):/&/p' "$u/DEBIAN/control"
	echo "Architecture: all"
	echo "Depends: kmod"
	echo "Recommends: kvm-s2attr-modules-$KVER | kvm-s2attr-dkms"
	echo "Conflicts: kvm-s2attr-dkms"
	echo "Replaces: kvm-s2attr-dkms"
	echo "Installed-Size: $(du -sk --exclude=DEBIAN "$u" | cut -f1)"
	printf '%s\n' "$desc"
	echo " ."
	echo " This package provides the kvm-s2attr tool, the load order"
	echo " (/usr/lib/modprobe.d/kvm-s2attr-softdep.conf), an example"
	echo " /etc/modprobe.d/kvm-s2attr.conf and the initramfs-tools hook, without"
	echo " DKMS: the module comes prebuilt and signed in kvm-s2attr-modules-KVER."
} >"$u/DEBIAN/control.new"
mv "$u/DEBIAN/control.new" "$u/DEBIAN/control"
(cd "$u" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)

# The module package.
m=$work/modules
case $suite in
bullseye* | bookworm*) moddir=lib/modules/$KVER/updates ;;
*) moddir=usr/lib/modules/$KVER/updates ;;
esac
mkdir -p "$m/DEBIAN" "$m/$moddir" "$m/usr/share/doc/kvm-s2attr-modules-$KVER"
install -m 0644 "$ko" "$m/$moddir/kvm_s2attr.ko"
cp "$u/usr/share/doc/kvm-s2attr-utils/copyright" "$m/usr/share/doc/kvm-s2attr-modules-$KVER/"
{
	echo "Package: kvm-s2attr-modules-$KVER"
	echo "Source: kvm-s2attr"
	echo "Version: $ver"
	echo "Architecture: arm64"
	sed -n 's/^\(Maintainer\|Section\|Priority\):/&/p' "$u/DEBIAN/control"
	echo "Depends: kvm-s2attr-utils (= $ver), linux-image-$KVER | linux-image-$KVER-unsigned"
	echo "Conflicts: kvm-s2attr-dkms"
	echo "Installed-Size: $(du -sk "$m/$moddir" | cut -f1)"
	echo "Description: kvm-s2attr module for Linux $KVER, prebuilt and signed"
	echo " kvm_s2attr.ko built for the kernel $KVER only, signed with the key"
	echo " of the organisation that built it ($(modinfo -F signer "$ko")), for"
	echo " hosts without compilers or with Secure Boot and that key enrolled."
	echo " The tool and configuration are in kvm-s2attr-utils."
} >"$m/DEBIAN/control"
cat >"$m/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
# The module is found by modprobe only once depmod has indexed it.
if [ "\$1" = configure ] && [ -d /lib/modules/$KVER/kernel ]; then
	depmod -a $KVER
fi
exit 0
EOF
cat >"$m/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ "\$1" = remove ] && [ -d /lib/modules/$KVER/kernel ]; then
	depmod -a $KVER
fi
exit 0
EOF
chmod 0755 "$m/DEBIAN/postinst" "$m/DEBIAN/postrm"
# The initramfs holds the module (the hook of kvm-s2attr-utils).
cp "$u/DEBIAN/triggers" "$m/DEBIAN/triggers"
(cd "$m" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)

mdeb=$out/kvm-s2attr-modules-${KVER}_${ver}_arm64.deb
udeb=$out/kvm-s2attr-utils_${ver}_all.deb
rm -f "$mdeb" "$udeb"
dpkg-deb --root-owner-group -Zxz --build "$u" "$udeb" >/dev/null || die "dpkg-deb --build $u failed"
dpkg-deb --root-owner-group -Zxz --build "$m" "$mdeb" >/dev/null || die "dpkg-deb --build $m failed"
log "fleet-bmdeb: $mdeb, $udeb"
printf '%s\n' "$mdeb" "$udeb"
