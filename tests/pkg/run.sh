#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/pkg/run.sh [SUITE...]: the packaging tests ("make pkg-check"), TAP on
# stdout, summary in build/pkg/summary.txt:
#   - the kvm-s2attr tool on a fake sysfs (tool-test.sh);
#   - "make deb" builds kvm-s2attr-dkms_<VERSION>_all.deb; its contents and
#     control data are what they should be;
#   - "dkms build" of the source the .deb installs succeeds for every
#     kernel of the matrix (default: all four), cross-built, signed with a
#     throwaway key; vermagic and signature checked (dkms-build.sh); a
#     kernel without KVM (bookworm-rt) must be declined cleanly (exit 77);
#   - a build asked to be signed that comes out unsigned is caught, both by
#     dkms-build.sh and by "make dkms-install" (tools/dkms-install.sh), which
#     is run into temporary trees;
#   - bullseye's dkms (2.8.4, which "make dkms-install" runs on 5.10 hosts)
#     builds the source for bullseye's kernel;
#   - the initramfs: the hook, and the softdep through vfio-pci.
# tests/pkg/run.sh --dkms-only SUITE...: the package and its dkms builds
# only (make check-flavours: Debian's other arm64 flavours). The modules
# built are copied to build/pkg*/modules/<kver>/ for the end-to-end tests.
# tests/pkg/run.sh --package-only: the tool and the package, without the
# dkms builds and the initramfs (no kernels, no cache lock: a minute), into
# build/pkg-package.
# Needs root (chroots, mount namespaces), dkms, dh-dkms, debhelper.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/common.sh
. "$top/scripts/common.sh"
# shellcheck source=fake-module.sh
. "$here/fake-module.sh"
# --dkms-only (make pkg-check-flavours): the package and its dkms builds
# only, for the kernels named, into build/pkg-flavours.
dkms_only=0 package_only=0 W=$top/build/pkg
if [ "${1:-}" = --dkms-only ]; then
	dkms_only=1 W=$top/build/pkg-flavours
	shift
elif [ "${1:-}" = --package-only ]; then
	package_only=1 W=$top/build/pkg-package
	shift
fi
[ $package_only = 1 ] || cache_lock
if [ $dkms_only = 1 ]; then suites=${*:-$SUITES_FLAVOURS}; else suites=${*:-$SUITES_ALL}; fi
rm -rf "$W"
mkdir -p "$W"
n=0 failed=0
summary=()
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
	local l line; for l in "$@"; do while IFS= read -r line; do echo "#   $line"; done <<<"$l"; done
}
check() { local name=$1; shift; if out=$("$@" 2>&1); then ok "$name"; else nok "$name" "$out"; fi; }
finish() {
	echo "1..$n"
	{
		echo "# ---- pkg-check: $n tests, $failed failed ----"
		for l in "${summary[@]}"; do echo "# $l"; done
	} | tee "$W/summary.txt"
	[ "$failed" = 0 ]
}

echo "TAP version 13"
# 1. The tool on a fake sysfs.
if [ $dkms_only = 1 ]; then
	:
elif bash "$here/tool-test.sh" >"$W/tool-test.tap" 2>&1; then
	ok "tool-test: $(tail -n 1 "$W/tool-test.tap" | sed 's/^# tool-test: //')"
else
	nok "tool-test" "$(grep -A3 '^not ok' "$W/tool-test.tap")"
fi

# 2. The package.
ver=$(cat "$top/VERSION")
t0=$(date +%s)
if deb=$(bash "$top/tools/mkdeb.sh" "$W/deb" 2>"$W/mkdeb.err"); then
	ok "make deb: $(basename "$deb") in $(( $(date +%s) - t0 ))s, $(stat -c %s "$deb") bytes"
	summary+=("deb: $(basename "$deb") $(stat -c %s "$deb") bytes")
else
	nok "make deb" "$(cat "$W/mkdeb.err")"
	echo "1..$n"
	exit 1
fi
check "checkout left clean by make deb" test ! -e "$top/debian/kvm-s2attr-dkms"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's#^\./#/#' >"$W/contents"
for f in /usr/src/kvm-s2attr-$ver/dkms.conf /usr/src/kvm-s2attr-$ver/Makefile \
	/usr/src/kvm-s2attr-$ver/Kbuild /usr/src/kvm-s2attr-$ver/VERSION \
	/usr/src/kvm-s2attr-$ver/scripts/conftest.sh /usr/src/kvm-s2attr-$ver/src/main.c \
	/usr/src/kvm-s2attr-$ver/src/compat/compat.h /usr/src/kvm-s2attr-$ver/src/conftest/sanity.c \
	/usr/src/kvm-s2attr-$ver/src/conftest/exports \
	/usr/sbin/kvm-s2attr /etc/modprobe.d/kvm-s2attr.conf /usr/lib/modprobe.d/kvm-s2attr-softdep.conf \
	/usr/share/doc/kvm-s2attr-dkms/README.md /usr/share/doc/kvm-s2attr-dkms/copyright \
	/usr/share/doc/kvm-s2attr-dkms/sysfs-kernel-kvm_s2attr /usr/share/doc/kvm-s2attr-dkms/kvm-s2attr.rst \
	/usr/share/man/man8/kvm-s2attr.8.gz; do
	# dh_compress gzips documentation larger than 4 KiB.
	check "deb contains $f" sh -c "grep -qxF '$f' '$W/contents' || grep -qxF '$f.gz' '$W/contents'"
done
check "deb: no build output, tests or VCS files in the source" \
	sh -c "! grep -E '\\.(o|ko|cmd|mod)\$|/\\.conftest|/tests/|/\\.git|kvm_s2attr_config\\.h' '$W/contents'"
check "deb: tool is executable (-rwxr-xr-x)" \
	sh -c "dpkg-deb -c '$deb' | grep -E '^-rwxr-xr-x .* \\./usr/sbin/kvm-s2attr\$'"
field() { dpkg-deb -f "$deb" "$1"; }
check "deb: Package kvm-s2attr-dkms" test "$(field Package)" = kvm-s2attr-dkms
check "deb: Version $ver" test "$(field Version)" = "$ver"
check "deb: Architecture all" test "$(field Architecture)" = all
check "deb: Depends on dkms ($(field Depends))" sh -c "dpkg-deb -f '$deb' Depends | grep -qE '(^|, )dkms( |,|\$)'"
x=$W/x
rm -rf "$x"
mkdir -p "$x/root" "$x/ctl"
dpkg-deb -x "$deb" "$x/root"
dpkg-deb -e "$deb" "$x/ctl"
conf=$x/root/usr/src/kvm-s2attr-$ver/dkms.conf
check "dkms.conf: PACKAGE_VERSION=\"$ver\" (dh_dkms -V)" grep -qx "PACKAGE_VERSION=\"$ver\"" "$conf"
check "dkms.conf: PACKAGE_NAME, BUILT_MODULE_NAME, AUTOINSTALL, BUILD_EXCLUSIVE_*" sh -c "
	grep -qx 'PACKAGE_NAME=\"kvm-s2attr\"' '$conf' && grep -qx 'BUILT_MODULE_NAME\[0\]=\"kvm_s2attr\"' '$conf' &&
	grep -qx 'AUTOINSTALL=\"yes\"' '$conf' && grep -qx 'BUILD_EXCLUSIVE_ARCH=\"aarch64\"' '$conf' &&
	grep -qx 'BUILD_EXCLUSIVE_CONFIG=\"CONFIG_KVM CONFIG_KPROBES CONFIG_FUNCTION_TRACER\"' '$conf'"
check "postinst registers with dkms (dh_dkms)" grep -q 'dkms' "$x/ctl/postinst"
check "prerm removes from dkms" grep -q 'dkms remove' "$x/ctl/prerm"
check "conffiles: /etc/modprobe.d/kvm-s2attr.conf alone (the softdeps are not a conffile)" \
	sh -c "echo /etc/modprobe.d/kvm-s2attr.conf | cmp - '$x/ctl/conffiles'"
check "modprobe.d example (the administrator's): every line a comment" \
	sh -c "! grep -vE '^(#|\$)' '$x/root/etc/modprobe.d/kvm-s2attr.conf'"
check "/usr/lib/modprobe.d/kvm-s2attr-softdep.conf: every line a comment but the two softdeps" sh -c "
	grep -vE '^(#|\$)' '$x/root/usr/lib/modprobe.d/kvm-s2attr-softdep.conf' >'$W/softdep-active'
	printf 'softdep vfio_pci pre: kvm_s2attr\nsoftdep vfio_pci_core pre: kvm_s2attr\n' | cmp - '$W/softdep-active'"
# kmod (this machine's, 30, as bookworm's) with the package's two files as
# /etc/modprobe.d and /usr/lib/modprobe.d (= /lib/modprobe.d with a merged
# /usr), an option uncommented: both take effect. A file in /etc shadows
# one of the same name in /lib; the two names differ for that.
modprobe_c() {
	# shellcheck disable=SC2016 # $1 is the inner shell's
	unshare --mount --propagation private sh -c '
		mount --bind "$1/etc/modprobe.d" /etc/modprobe.d &&
		mount --bind "$1/usr/lib/modprobe.d" /usr/lib/modprobe.d && modprobe -c' sh "$1"
}
mp=$W/modprobe-root
rm -rf "$mp" && cp -a "$x/root" "$mp"
sed -i 's/^#options kvm_s2attr default=device$/options kvm_s2attr default=device/' "$mp/etc/modprobe.d/kvm-s2attr.conf"
modprobe_c "$mp" >"$W/modprobe-c" 2>&1
for l in 'softdep vfio_pci pre: kvm_s2attr' 'softdep vfio_pci_core pre: kvm_s2attr' 'options kvm_s2attr default=device'; do
	check "kmod modprobe -c with the package's files: $l" grep -qxF "$l" "$W/modprobe-c"
done
check "deb: no modules-load.d file (it would fail every boot once the package is gone)" \
	sh -c "! grep -q modules-load '$W/contents'"
# The tool's "configured" with the package's files (real paths, real
# content): the softdeps alone are not a configuration; an options line is.
# shellcheck disable=SC2016 # $1 is the inner shell's
check "tool with the package's files only: not configured" sh -c '
	KVM_S2ATTR_CONF_ROOT=$1 KVM_S2ATTR_ARCH=aarch64 KVM_S2ATTR_DEV_KVM=/dev/null KVM_S2ATTR_SYSFS=/nonexistent \
		sh "$1/usr/sbin/kvm-s2attr" status --prometheus | grep -qx "kvm_s2attr_configured 0"' sh "$x/root"
# shellcheck disable=SC2016
check "tool with the package's files, an option uncommented: configured in /etc/modprobe.d/kvm-s2attr.conf" sh -c '
	KVM_S2ATTR_CONF_ROOT=$1 KVM_S2ATTR_ARCH=aarch64 KVM_S2ATTR_DEV_KVM=/dev/null KVM_S2ATTR_SYSFS=/nonexistent \
		sh "$1/usr/sbin/kvm-s2attr" status 2>&1 | grep -q "configured (in /etc/modprobe.d/kvm-s2attr.conf) but not loaded"' sh "$mp"
dsc=$(ls "$W"/deb/kvm-s2attr_*.dsc)
check "Build-Depends: debhelper-compat (= 13), dh-sequence-dkms ($(basename "$dsc"))" \
	grep -qx 'Build-Depends: debhelper-compat (= 13), dh-sequence-dkms' "$dsc"
check "debian/rules: dh without --with (the sequence comes from Build-Depends)" \
	sh -c "grep -qx '	dh \$@' '$top/debian/rules' && ! grep -q -- '--with' '$top/debian/rules'"
check "deb: Depends on the arm64 kernel headers (metapackages, any flavour)" sh -c "dpkg-deb -f '$deb' Depends |
	grep -qF 'linux-headers-arm64 | linux-headers-cloud-arm64 | linux-headers-arm64-16k | linux-headers-rt-arm64 | linux-headers-generic'"
# bullseye's dkms is 2.8.4-3: the package needs a newer one (dh_dkms asks
# for what BUILD_EXCLUSIVE_CONFIG needs), so the README sends 5.10 hosts to
# "make dkms-install"; this says so if the first stops being true.
dkmsdep=$(dpkg-deb -f "$deb" Depends | sed -n 's/.*dkms (>= \([^)]*\)).*/\1/p')
check "deb: dkms (>= $dkmsdep) is newer than bullseye's 2.8.4-3, and README says how bullseye hosts install" sh -c "
	dpkg --compare-versions 2.8.4-3 lt '$dkmsdep' &&
	grep -q 'Debian 11 (bullseye, dkms 2.8.4) cannot install the package' '$top/README.md'"
# postrm: an administrator's modules-load.d line that names the module is
# pointed out on remove and purge (DPKG_ROOT: dpkg's root, here a fake one).
pr=$W/postrm-root
rm -rf "$pr" && mkdir -p "$pr/etc/modules-load.d"
printf 'kvm_s2attr\n' >"$pr/etc/modules-load.d/kvm.conf"
printf '# /etc/modules\nloop\n' >"$pr/etc/modules"
ln -s ../modules "$pr/etc/modules-load.d/modules.conf"
check "postrm remove: names the modules-load.d file that lists kvm_s2attr" sh -c "
	DPKG_ROOT='$pr' sh '$x/ctl/postrm' remove 2>&1 | grep -qx 'kvm-s2attr-dkms: /etc/modules-load.d/kvm.conf still lists kvm_s2attr, which is no longer installed: remove that line, or systemd-modules-load fails at every boot'"
printf 'loop\nkvm-s2attr\n' >"$pr/etc/modules"
rm "$pr/etc/modules-load.d/kvm.conf"
check "postrm purge: names /etc/modules once (modules-load.d/modules.conf links to it)" sh -c "
	test \"\$(DPKG_ROOT='$pr' sh '$x/ctl/postrm' purge 2>&1 | grep -c 'still lists kvm_s2attr')\" = 1 &&
	DPKG_ROOT='$pr' sh '$x/ctl/postrm' purge 2>&1 | grep -q '^kvm-s2attr-dkms: /etc/modules still lists'"
printf 'loop\n' >"$pr/etc/modules"
check "postrm remove: nothing lists kvm_s2attr, nothing said, exit 0" sh -c "
	out=\$(DPKG_ROOT='$pr' sh '$x/ctl/postrm' remove 2>&1) && test -z \"\$out\""
# postinst, with DKMS's common.postinst replaced (in a private mount
# namespace) by a stand-in that records its call: after DKMS installed a
# module other than the loaded one, it tells to run "kvm-s2attr reload",
# and never runs rmmod or modprobe itself.
pi=$W/postinst
rm -rf "$pi" && mkdir -p "$pi/bin" "$pi/sys/devices" "$pi/module"
printf '#!/bin/sh\necho "common.postinst $*"\n' >"$pi/common.postinst"
for c in rmmod modprobe; do printf '#!/bin/sh\necho "%s ran" >>"%s"\nexit 1\n' "$c" "$pi/ran" >"$pi/bin/$c"; done
chmod +x "$pi/common.postinst" "$pi/bin/rmmod" "$pi/bin/modprobe"
: >"$pi/sys/add"
printf 'ok\n' >"$pi/sys/health"
printf '0.0.9\n' >"$pi/module/version"
printf 'AAAAAAAAAAAAAAAAAAAAAAA\n' >"$pi/module/srcversion"
run_postinst() {
	# shellcheck disable=SC2016 # $1, $2, $3 are the inner shell's
	unshare --mount --propagation private sh -c '
		mount --bind "$1/common.postinst" /usr/lib/dkms/common.postinst &&
		PATH=$1/bin:$2/usr/sbin:$PATH KVM_S2ATTR_SYSFS=$1/sys KVM_S2ATTR_MODULE_SYSFS=$1/module \
		KVM_S2ATTR_CONF_ROOT=$1/root KVM_S2ATTR_ARCH=aarch64 KVM_S2ATTR_DEV_KVM=/dev/null \
		sh "$3" configure 0.0.9' sh "$pi" "$x/root" "$x/ctl/postinst"
}
if install_module "$pi/root" "$ver" BBBBBBBBBBBBBBBBBBBBBBB && run_postinst >"$pi/out" 2>&1; then
	check "postinst: DKMS's common.postinst first, then: the loaded module is not the one installed, run 'kvm-s2attr reload'" \
		sh -c "head -n 1 '$pi/out' | grep -qx 'common.postinst kvm-s2attr $ver /usr/share/kvm-s2attr-dkms  0.0.9' &&
			sed -n 2p '$pi/out' | grep -q \"^kvm-s2attr-dkms: the kvm_s2attr module loaded now is not the one just installed for .*: run 'kvm-s2attr reload' to load the new one\""
	check "postinst: never unloads or loads the module" test ! -e "$pi/ran"
else
	nok "postinst runs" "$(cat "$pi/out")"
fi
printf 'BBBBBBBBBBBBBBBBBBBBBBB\n' >"$pi/module/srcversion"
if run_postinst >"$pi/out" 2>&1; then
	check "postinst: the loaded module is the one installed: only DKMS speaks" sh -c "test \$(wc -l <'$pi/out') = 1"
else
	nok "postinst runs (module up to date)" "$(cat "$pi/out")"
fi
# The running kernel's headers missing (an arm64 kernel with KVM, as
# uname -m and DPKG_ROOT's /boot/config-<release> say): how to get them.
rkver=$(uname -r)
# shellcheck disable=SC2016 # the stand-in's own $1 and $@
printf '#!/bin/sh\n[ "$1" = -m ] && { echo aarch64; exit; }\nexec /bin/uname "$@"\n' >"$pi/bin/uname"
chmod +x "$pi/bin/uname"
mkdir -p "$pi/root/boot"
printf 'CONFIG_KVM=y\n' >"$pi/root/boot/config-$rkver"
if DPKG_ROOT=$pi/root run_postinst >"$pi/out" 2>&1; then
	check "postinst: the running kernel's headers missing: says how to install them" \
		grep -qx "kvm-s2attr-dkms: the headers of the running kernel $rkver are not installed, so DKMS did not build kvm_s2attr for it: install them (apt install linux-headers-$rkver) and DKMS builds it" "$pi/out"
else
	nok "postinst runs (no headers)" "$(cat "$pi/out")"
fi
mkdir -p "$pi/root/lib/modules/$rkver/build"
if DPKG_ROOT=$pi/root run_postinst >"$pi/out" 2>&1; then
	check "postinst: the running kernel's headers there: nothing said of them" sh -c "! grep -q headers '$pi/out'"
else
	nok "postinst runs (headers there)" "$(cat "$pi/out")"
fi
hook=/usr/share/initramfs-tools/hooks/kvm-s2attr-dkms
check "deb: initramfs hook $hook, executable, parses" sh -c "
	grep -qxF '$hook' '$W/contents' && test -x '$x/root$hook' && sh -n '$x/root$hook'"
check "postinst updates the initramfs (dh_installinitramfs trigger)" grep -qx 'activate-noawait update-initramfs' "$x/ctl/triggers"
check "modprobe.d example: options line, once uncommented, names the module" \
	grep -qE '^#options kvm_s2attr devices=' "$x/root/etc/modprobe.d/kvm-s2attr.conf"
check "installed tool parses (sh -n) and prints help" sh -c "sh -n '$x/root/usr/sbin/kvm-s2attr' && sh '$x/root/usr/sbin/kvm-s2attr' help | grep -q 'Exit codes'"
if command -v lintian >/dev/null; then
	lintian "$deb" >"$W/lintian.txt" 2>&1 || true
	echo "# lintian: $(grep -c '^E:' "$W/lintian.txt") errors, $(grep -c '^W:' "$W/lintian.txt") warnings (build/pkg/lintian.txt)"
fi
if [ $package_only = 1 ]; then
	finish
	exit
fi

# 3. dkms build of the installed source tree, every kernel, signed.
# A kernel built without KVM (Debian's bookworm rt-arm64) must be skipped
# cleanly (exit 77), every other one built: which is which comes from the
# kernel's own configuration. Kernels and toolchains are fetched first,
# one at a time (they share apt sets and chroots); then two builds run at
# once, since much of a build is its conftest's one-at-a-time compiles.
for s in $suites; do
	# shellcheck disable=SC1090
	. "$("$top/scripts/fetch-kernel.sh" "$s")"
	"$top/scripts/toolchain.sh" "$s" "$GCC" >/dev/null
done
dkms_build() {
	local t0=$SECONDS rc=0
	bash "$here/dkms-build.sh" "$1" "$x/root/usr/src" "$W/dkms-$1" sign \
		>"$W/dkms-$1.res" 2>"$W/dkms-$1.err" || rc=$?
	echo "$rc $((SECONDS - t0))" >"$W/dkms-$1.rc"
}
running=()
for s in $suites; do
	dkms_build "$s" &
	running+=($!)
	if [ ${#running[@]} -ge 2 ]; then
		wait "${running[0]}"
		running=("${running[@]:1}")
	fi
done
wait
for s in $suites; do
	# shellcheck disable=SC1090
	. "$("$top/scripts/fetch-kernel.sh" "$s")"
	res=$(cat "$W/dkms-$s.res")
	read -r rc secs <"$W/dkms-$s.rc"
	if grep -q '^CONFIG_KVM=y$' "$KDIR/.config"; then
		if [ "$rc" = 0 ]; then
			ok "dkms build $s: $res (${secs}s)"
			summary+=("dkms: $res")
			# For the end-to-end tests (E2E_PREBUILT): the module users get.
			install -D -m 0644 "$W/dkms-$s/dkms/kvm-s2attr/$ver/$KVER/aarch64/module/kvm_s2attr.ko" \
				"$W/modules/$KVER/kvm_s2attr.ko"
		else
			nok "dkms build $s" "exit $rc: $res" "$(tail -n 40 "$W/dkms-$s.err")"
			summary+=("dkms: FAIL $s")
		fi
	elif [ "$rc" = 77 ] && [[ $res == *"the kernel has no CONFIG_KVM"* ]]; then
		ok "dkms build $s, a kernel without KVM: skipped cleanly: $res"
		summary+=("dkms: $res")
	else
		nok "dkms build $s, a kernel without KVM: must exit 77 naming CONFIG_KVM" "exit $rc: $res" "$(tail -n 40 "$W/dkms-$s.err")"
		summary+=("dkms: FAIL $s (no KVM, not skipped)")
	fi
done

if [ $dkms_only = 1 ]; then
	finish
	exit
fi

# 4. Signing asked for, sign-file missing: dkms builds and says nothing
# fatal; the check must turn that into a failure.
s=${suites%% *}
bash "$here/dkms-build.sh" "$s" "$x/root/usr/src" "$W/dkms-$s-broken" sign-broken >"$W/broken.out" 2>"$W/broken.err"
rc=$?
if [ "$rc" = 3 ] && grep -q "not signed" "$W/broken.out"; then
	ok "unsigned module when signing was asked for is an error ($s: exit 3, dkms said: $(grep -m1 "won't be signed" "$W/dkms-$s-broken/dkms.log"))"
else
	nok "unsigned module when signing was asked for is an error" "exit $rc" "$(cat "$W/broken.out" "$W/broken.err")"
fi
check "check-signed.sh: unsigned .ko fails" sh -c "! sh '$top/tools/check-signed.sh' '$W/dkms-$s-broken'/dkms/kvm-s2attr/$ver/*/aarch64/module/kvm_s2attr.ko"
check "check-signed.sh: signed .ko passes" sh "$top/tools/check-signed.sh" "$W/dkms-$s/dkms/kvm-s2attr/$ver/"*/aarch64/module/kvm_s2attr.ko

# 5. "make dkms-install" from the checkout, into temporary trees, cross
# (bookworm: this machine's gcc-12), signing required but not configured:
# the module builds, and dkms-install must refuse it.
envfile=$("$top/scripts/fetch-kernel.sh" bookworm)
# shellcheck disable=SC1090
. "$envfile"
if [ "$("$top/scripts/toolchain.sh" bookworm "$GCC")" = host ]; then
	d=$W/dkms-install
	mkdir -p "$d"/{src,prefix,etc,dkms,conf.d,bin}
	ln -sf "$(command -v aarch64-linux-gnu-strip)" "$d/bin/strip"
	printf 'sign_file=%s\n' "$d/no-such-sign-file" >"$d/conf.d/nosign.conf"
	unshare --mount --propagation private sh -c '
		mount --bind "$1/conf.d" /etc/dkms/framework.conf.d &&
		cd "$2" && PATH=$1/bin:$PATH ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		SRC_TREE=$1/src PREFIX=$1/prefix ETC=$1/etc LIB=$1/lib DKMS_STEPS="add build" \
		DKMS_OPTS="--dkmstree $1/dkms --sourcetree $1/src --kernelsourcedir $3" \
		KVM_S2ATTR_REQUIRE_SIGNED=1 make dkms-install KVER=$4/aarch64
	' sh "$d" "$top" "$KDIR" "$KVER" >"$d/log" 2>&1
	rc=$?
	ko=$d/dkms/kvm-s2attr/$ver/$KVER/aarch64/module/kvm_s2attr.ko
	if [ "$rc" != 0 ] && grep -q "is not signed" "$d/log" && [ -f "$ko" ]; then
		ok "make dkms-install: built for $KVER, refused unsigned under KVM_S2ATTR_REQUIRE_SIGNED=1"
	else
		nok "make dkms-install: refuses an unsigned module" "exit $rc" "$(tail -n 30 "$d/log")"
	fi
	check "make dkms-install: source in SRC_TREE/kvm-s2attr-$ver with PACKAGE_VERSION=\"$ver\"" \
		grep -qx "PACKAGE_VERSION=\"$ver\"" "$d/src/kvm-s2attr-$ver/dkms.conf"
	check "make dkms-install: vermagic $KVER" sh -c "modinfo -F vermagic '$ko' | grep -q '^$KVER '"
	check "make dkms-install: tool, softdeps in LIB/modprobe.d and the modprobe.d example installed" \
		test -x "$d/prefix/sbin/kvm-s2attr" -a -f "$d/etc/modprobe.d/kvm-s2attr.conf" \
		-a -f "$d/lib/modprobe.d/kvm-s2attr-softdep.conf"
fi

# 5b. How a bullseye (5.10) host installs: its dkms, 2.8.4, is older than
# the package needs, so "make dkms-install" runs it (dkms add, build,
# install). Here: bullseye's own dkms script builds the source for
# bullseye's kernel, in its toolchain chroot, as dkms-build.sh does with
# this machine's.
if [[ " $suites " == *" bullseye "* ]]; then
	d284=$CACHE/pkg/dkms-bullseye
	if [ ! -f "$d284/usr/sbin/dkms" ]; then
		rm -rf "$d284" && mkdir -p "$d284/deb"
		(cd "$d284/deb" && suite_apt bullseye download dkms >/dev/null) && dpkg-deb -x "$d284"/deb/dkms_*.deb "$d284"
	fi
	v284=$(dpkg-deb -f "$d284"/deb/dkms_*.deb Version 2>/dev/null)
	# On a host dkms 2.8.4 builds against /lib/modules/<kver>/build and
	# leaves it alone; told --kernelsourcedir, it would "prepare" the tree.
	if DKMS_SCRIPT=$d284/usr/sbin/dkms DKMS_BUILD_OPTS="--no-prepare-kernel --no-clean-kernel" \
		bash "$here/dkms-build.sh" bullseye "$x/root/usr/src" "$W/dkms-bullseye-284" nosign \
		>"$W/dkms-bullseye-284.res" 2>"$W/dkms-bullseye-284.err"; then
		ok "bullseye's dkms ($v284) builds the source for bullseye's kernel: $(cat "$W/dkms-bullseye-284.res")"
	else
		nok "bullseye's dkms (${v284:-not fetched}) builds the source for bullseye's kernel" \
			"$(cat "$W/dkms-bullseye-284.res")" "$(tail -n 30 "$W/dkms-bullseye-284.err")"
	fi
fi

# 6. The initramfs, with Debian's own initramfs-tools hook functions (the
# suite's initramfs-tools-core) and the bookworm kernel's module tree plus
# the module dkms built above, in a private mount namespace: the package's
# hook adds kvm_s2attr, and so does adding vfio_pci alone (what
# /etc/initramfs-tools/modules does), through the softdep; without the
# module built, the hook adds nothing and succeeds. The package's two
# modprobe.d files are in place (/etc/modprobe.d, /usr/lib/modprobe.d).
# initramfs_case NAME hook|vfio yes|no: $W/initramfs/NAME.list, the modules
# the package's hook, or adding vfio_pci, put in the initramfs.
initramfs_case() {
	local what=$2 with_ko=$3 root=$W/initramfs/$1
	rm -rf "$root"
	mkdir -p "$root/modules" "$root/modprobe.d" "$root/lib-modprobe.d" "$root/dest"
	cp -al "$MODDIR" "$root/modules/$KVER"
	if [ "$with_ko" = yes ]; then
		mkdir -p "$root/modules/$KVER/updates/dkms"
		cp "$W"/dkms-bookworm/dkms/kvm-s2attr/"$ver"/"$KVER"/aarch64/module/kvm_s2attr.ko \
			"$root/modules/$KVER/updates/dkms/" || return 1
	fi
	mkdir -p "$root/lib" && ln -s ../modules "$root/lib/modules"
	depmod -b "$root" "$KVER" || return 1
	cp "$x/root/etc/modprobe.d/kvm-s2attr.conf" "$root/modprobe.d/"
	cp "$x/root/usr/lib/modprobe.d/kvm-s2attr-softdep.conf" "$root/lib-modprobe.d/"
	unshare --mount --propagation private sh -c '
		mount --bind "$1/modules" /lib/modules &&
		mount --bind "$1/modprobe.d" /etc/modprobe.d &&
		mount --bind "$1/lib-modprobe.d" /usr/lib/modprobe.d &&
		mount --bind "$2/usr/share/initramfs-tools" /usr/share/initramfs-tools &&
		export DESTDIR=$1/dest version=$3 verbose=n CONFDIR=$1 &&
		case $4 in
		hook) "$5" ;;
		vfio) . /usr/share/initramfs-tools/hook-functions && manual_add_modules vfio_pci ;;
		esac
	' sh "$root" "$itools" "$KVER" "$what" "$x/root$hook" >"$root.log" 2>&1 || return 1
	(cd "$root/dest" && find . -name '*.ko*' | sort) >"$root.list"
}
itools=$CACHE/pkg/initramfs-tools-core-bookworm
if [ ! -d "$itools/usr/share/initramfs-tools" ]; then
	rm -rf "$itools" && mkdir -p "$itools/deb"
	(cd "$itools/deb" && suite_apt bookworm download initramfs-tools-core >/dev/null) &&
		dpkg-deb -x "$itools"/deb/*.deb "$itools" || nok "initramfs-tools-core (bookworm) fetched"
fi
mkdir -p /usr/share/initramfs-tools /lib/modules	# mount points
# What mkinitramfs copies: /etc/modprobe.d and /lib/modprobe.d, which is
# /usr/lib/modprobe.d with a merged /usr (bookworm's requirement).
check "initramfs: bookworm's mkinitramfs copies /lib/modprobe.d/*.conf (the softdep file's directory)" \
	grep -qF 'for file in /etc/modprobe.d/*.conf /lib/modprobe.d/*.conf' "$itools/usr/sbin/mkinitramfs"
if initramfs_case hook hook yes; then
	check "initramfs: the hook adds kvm_s2attr ($KVER)" grep -q '/updates/dkms/kvm_s2attr\.ko' "$W/initramfs/hook.list"
else
	nok "initramfs: the hook runs" "$(cat "$W/initramfs/hook.log")"
fi
if initramfs_case vfio vfio yes; then
	check "initramfs: adding vfio_pci adds kvm_s2attr, by the softdep" grep -q '/updates/dkms/kvm_s2attr\.ko' "$W/initramfs/vfio.list"
	check "initramfs: adding vfio_pci adds vfio_pci" grep -q '/vfio-pci\.ko' "$W/initramfs/vfio.list"
else
	nok "initramfs: manual_add_modules vfio_pci runs" "$(cat "$W/initramfs/vfio.log")"
fi
if initramfs_case nomod hook no; then
	check "initramfs: no module built, the hook adds nothing" test ! -s "$W/initramfs/nomod.list"
else
	nok "initramfs: no module built, the hook succeeds" "$(cat "$W/initramfs/nomod.log")"
fi

finish
