#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/fleet/bmdeb.sh [SUITE]: the prebuilt, signed module packages of
# scripts/fleet-bmdeb.sh (TAP on stdout, progress on stderr; no QEMU).
# Builds them for SUITE's kernel (default trixie) with the cached test
# organisation key and checks: the packages' names, dependencies and
# files; that the userland files are the repository's own (tool, softdep,
# example policy file, initramfs hook, man page); the module's vermagic;
# and its appended signature: modinfo's signer and serial are the org
# certificate's, and the PKCS#7 signature verifies (openssl) over the
# module's bytes with the org certificate, and not with another key's
# certificate, nor over a module with one byte changed.
# tests/fleet/ansible.sh installs them on hosts without a compiler.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../host/lib.sh
. "$here/../host/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../../scripts/common.sh
. "$top/scripts/common.sh"
cache_lock

suite=${1:-trixie}
out=$tmp/debs
if ! debs=$(bash "$top/scripts/fleet-bmdeb.sh" "$suite" "$out"); then
	host_result fail "scripts/fleet-bmdeb.sh $suite"
	host_done "fleet bmdeb"
	exit 1
fi
mdeb=$(sed -n 1p <<<"$debs")
udeb=$(sed -n 2p <<<"$debs")
KVER=$(sed -n 's/^KVER=//p' "$("$top/scripts/fetch-kernel.sh" "$suite")")
ver=$(cat "$top/VERSION")
cert=$CACHE/fleet/org-key/org.crt
host_result ok "built $(basename "$mdeb") and $(basename "$udeb")"

# field DEB NAME: a control field.
field() { dpkg-deb -f "$1" "$2"; }
got="$(field "$mdeb" Package) $(field "$mdeb" Architecture) | $(field "$mdeb" Depends)"
want="kvm-s2attr-modules-$KVER arm64 | kvm-s2attr-utils (= $ver), linux-image-$KVER | linux-image-$KVER-unsigned"
host_expect "module package: name, architecture, dependencies" "$got" "$want"
got="$(field "$udeb" Package) $(field "$udeb" Version) $(field "$udeb" Architecture) | $(field "$udeb" Conflicts)"
want="kvm-s2attr-utils $ver all | kvm-s2attr-dkms"
host_expect "userland package: name, version, conflicts with kvm-s2attr-dkms" "$got" "$want"

mkdir -p "$tmp/m" "$tmp/u"
dpkg-deb -x "$mdeb" "$tmp/m" && dpkg-deb -x "$udeb" "$tmp/u" && dpkg-deb -e "$udeb" "$tmp/u.ctl"
ko=$(find "$tmp/m" -name kvm_s2attr.ko)
case $ko in
*/lib/modules/"$KVER"/updates/kvm_s2attr.ko) host_result ok "the module is in /lib/modules/$KVER/updates/ (${ko#"$tmp/m"})" ;;
*) host_result fail "the module is in /lib/modules/$KVER/updates/" "got: ${ko:-none}" ;;
esac
if [ -z "$(find "$tmp/m" -type f ! -name kvm_s2attr.ko ! -name copyright)" ] &&
	[ -z "$(find "$tmp/u" -path '*/usr/src*')" ]; then
	host_result ok "no source in either package, nothing but the module (and copyright) in the module package"
else
	host_result fail "no source in either package, nothing but the module in the module package" \
		"$(find "$tmp/m" "$tmp/u" -type f)"
fi

# The userland is the repository's, as debian/ installs it.
bad=
for pair in tools/kvm-s2attr:usr/sbin/kvm-s2attr debian/modprobe.conf:usr/lib/modprobe.d/kvm-s2attr-softdep.conf \
	debian/modprobe-options.conf:etc/modprobe.d/kvm-s2attr.conf \
	debian/kvm-s2attr-dkms.initramfs-hook:usr/share/initramfs-tools/hooks/kvm-s2attr; do
	cmp -s "$top/${pair%%:*}" "$tmp/u/${pair#*:}" || bad="$bad ${pair#*:}"
done
zcat "$tmp/u/usr/share/man/man8/kvm-s2attr.8.gz" 2>/dev/null | cmp -s - "$top/tools/kvm-s2attr.8" || bad="$bad man8"
[ -x "$tmp/u/usr/sbin/kvm-s2attr" ] || bad="$bad tool-not-executable"
grep -qx /etc/modprobe.d/kvm-s2attr.conf "$tmp/u.ctl/conffiles" || bad="$bad conffile"
if [ -z "$bad" ]; then
	host_result ok "userland: tool, softdep, policy file (a conffile), initramfs hook, man page are the repository's"
else
	host_result fail "userland: the repository's files" "differ or missing:$bad"
fi

vm=$(modinfo -F vermagic "$ko")
if [[ $vm == "$KVER "* ]]; then
	host_result ok "vermagic: $vm"
else
	host_result fail "vermagic starts with $KVER" "got: $vm"
fi

# The signature: modinfo's view, then openssl's.
cn=$(openssl x509 -in "$cert" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
serial=$(openssl x509 -in "$cert" -noout -serial | sed 's/^serial=//')
got="$(modinfo -F signer "$ko") | $(modinfo -F sig_key "$ko" | tr -d ':') | $(modinfo -F sig_hashalgo "$ko") | $(modinfo -F sig_id "$ko")"
want="$cn | $serial | sha256 | PKCS#7"
host_expect "modinfo: signer, sig_key, sig_hashalgo, sig_id are the org key's ($cn)" "$got" "$want"

# split_sig KO PREFIX: PREFIX.body (the signed bytes) and PREFIX.p7s (the
# PKCS#7 DER) from a module with a signature appended: ... body, sig,
# struct module_signature (12 bytes, sig_len big-endian last), magic.
split_sig() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = b"~Module signature appended~\n"
if not data.endswith(magic):
    sys.exit("no signature appended")
info = data[-len(magic) - 12:-len(magic)]
(sig_len,) = struct.unpack(">I", info[8:12])
end = len(data) - len(magic) - 12
open(sys.argv[2] + ".p7s", "wb").write(data[end - sig_len:end])
open(sys.argv[2] + ".body", "wb").write(data[:end - sig_len])
EOF
}
# verify PREFIX CERT: the signature verifies over the body with CERT.
verify() {
	openssl cms -verify -binary -inform DER -in "$1.p7s" -content "$1.body" \
		-certfile "$2" -nointern -noverify -out /dev/null 2>"$1.err"
}
if split_sig "$ko" "$tmp/sig" && verify "$tmp/sig" "$cert"; then
	host_result ok "openssl: the PKCS#7 signature verifies over the module with the org certificate"
else
	host_result fail "openssl: the signature verifies with the org certificate" "$(cat "$tmp/sig.err" 2>/dev/null)"
fi
openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=kvm-s2attr fleet test signing key' \
	-keyout "$tmp/other.key" -out "$tmp/other.crt" 2>/dev/null
if verify "$tmp/sig" "$tmp/other.crt"; then
	host_result fail "openssl: another key's certificate (same name) does not verify it"
else
	host_result ok "openssl: another key's certificate (same name) does not verify it"
fi
cp "$tmp/sig.body" "$tmp/bad.body" && cp "$tmp/sig.p7s" "$tmp/bad.p7s"
printf '\x55' | dd of="$tmp/bad.body" bs=1 seek=4096 conv=notrunc status=none
if verify "$tmp/bad" "$cert"; then
	host_result fail "openssl: a module with one byte changed does not verify"
else
	host_result ok "openssl: a module with one byte changed does not verify"
fi
host_done "fleet bmdeb"
