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
#     is run into temporary trees.
# tests/pkg/run.sh --dkms-only SUITE...: the package and its dkms builds
# only (make check-flavours: Debian's other arm64 flavours). The modules
# built are copied to build/pkg*/modules/<kver>/ for the end-to-end tests.
# Needs root (chroots, mount namespaces), dkms, dh-dkms, debhelper.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/common.sh
. "$top/scripts/common.sh"
cache_lock
# --dkms-only (make pkg-check-flavours): the package and its dkms builds
# only, for the kernels named, into build/pkg-flavours.
dkms_only=0 W=$top/build/pkg
if [ "${1:-}" = --dkms-only ]; then
	dkms_only=1 W=$top/build/pkg-flavours
	shift
fi
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
	/usr/sbin/kvm-s2attr /etc/modprobe.d/kvm-s2attr.conf \
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
check "conffiles: /etc/modprobe.d/kvm-s2attr.conf" grep -qx /etc/modprobe.d/kvm-s2attr.conf "$x/ctl/conffiles"
check "modprobe.d example: every line a comment but the two softdeps" sh -c "
	grep -vE '^(#|\$)' '$x/root/etc/modprobe.d/kvm-s2attr.conf' >'$W/conf-active'
	printf 'softdep vfio_pci pre: kvm_s2attr\nsoftdep vfio_pci_core pre: kvm_s2attr\n' | cmp - '$W/conf-active'"
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
		SRC_TREE=$1/src PREFIX=$1/prefix ETC=$1/etc DKMS_STEPS="add build" \
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
	check "make dkms-install: tool and modprobe.d example installed" \
		test -x "$d/prefix/sbin/kvm-s2attr" -a -f "$d/etc/modprobe.d/kvm-s2attr.conf"
fi

# 6. The initramfs, with Debian's own initramfs-tools hook functions (the
# suite's initramfs-tools-core) and the bookworm kernel's module tree plus
# the module dkms built above, in a private mount namespace: the package's
# hook adds kvm_s2attr, and so does adding vfio_pci alone (what
# /etc/initramfs-tools/modules does), through the softdep; without the
# module built, the hook adds nothing and succeeds.
# initramfs_case NAME hook|vfio yes|no: $W/initramfs/NAME.list, the modules
# the package's hook, or adding vfio_pci, put in the initramfs.
initramfs_case() {
	local what=$2 with_ko=$3 root=$W/initramfs/$1
	rm -rf "$root"
	mkdir -p "$root/modules" "$root/modprobe.d" "$root/dest"
	cp -al "$MODDIR" "$root/modules/$KVER"
	if [ "$with_ko" = yes ]; then
		mkdir -p "$root/modules/$KVER/updates/dkms"
		cp "$W"/dkms-bookworm/dkms/kvm-s2attr/"$ver"/"$KVER"/aarch64/module/kvm_s2attr.ko \
			"$root/modules/$KVER/updates/dkms/" || return 1
	fi
	mkdir -p "$root/lib" && ln -s ../modules "$root/lib/modules"
	depmod -b "$root" "$KVER" || return 1
	cp "$x/root/etc/modprobe.d/kvm-s2attr.conf" "$root/modprobe.d/"
	unshare --mount --propagation private sh -c '
		mount --bind "$1/modules" /lib/modules &&
		mount --bind "$1/modprobe.d" /etc/modprobe.d &&
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
