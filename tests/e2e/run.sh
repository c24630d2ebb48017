#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/e2e/run.sh: end-to-end tests on Debian's own arm64 kernels.
#
#   tests/e2e/run.sh [--kernels "bullseye bookworm trixie sid debug"] [--modes "vhe nvhe protected noel2 none"]
#                    [--scenarios "stock"] [--timeout SECONDS] [--icount] [--append ARGS]
#                    [--tcg single|multi] [--qemu SUITE] [--jobs N]
#
# --jobs N boots up to N kernels at once (default 1). One boot keeps about
# 1.2 of this machine's 2 cores busy (a vCPU, the host's side of it and
# QEMU's I/O); two share them. Timeouts, the guest's too, scale with N.
# Results are reported in the order the boots started.
# --kernels SUITE:MODE,... boots that kernel in those modes (not --modes).
# --kernels debug (debug-612) is the debug-kernel lane: Debian's 6.1 (6.12)
# source built here with lockdep, KASAN, KFENCE and atomic-sleep checks
# (scripts/debug-kernel.sh).
# --append adds to the kernel command line (e.g. e2e_robust_conc_s=40).
#
# --icount runs QEMU single-threaded with -icount shift=0,sleep=off, so the
# emulated machine's clock counts executed instructions (for benchmarks).
# --tcg single|multi picks QEMU's TCG threading (default: QEMU's, multi);
# --qemu SUITE runs Debian SUITE's QEMU from its chroot (scripts/qemu-suite.sh).
#
# For every kernel and KVM mode, boots the kernel under qemu-system-aarch64
# (with EL2, so KVM works inside it, and an SMMUv3, so vfio-pci works) with
# two ivshmem-plain devices, each backed by its own host file: "small" (1 MiB
# BAR2, PCI 00:03.0) and "big" (64 MiB BAR2, PCI 00:04.0, so that KVM may use
# block mappings). The guest binds them to vfio-pci and runs the scenarios;
# s2test maps the BAR into a KVM VM, runs guest code over it and reads the
# stage-2 descriptors back through the test-only s2peek module.
#
# Results travel as TAP over a virtio-serial port backed by a host file (not
# through the console). The host merges every boot's TAP into one stream on
# stdout, each test name prefixed with kernel and mode, adds its own checks
# (QEMU exit, timeout, console free of panic/Oops/BUG/WARN, the guest's pattern
# in each ivshmem backing file) and exits non-zero if anything failed.
# Artifacts: out/e2e/<kver>-<mode>/{console.log,tap.raw,qemu.cmd},
# out/e2e/runs/<run>.tap and .summary, appended to out/e2e/results.tap and
# out/e2e/summary.txt.
#
# Adding a scenario (e.g. for the kvm_s2attr module):
#   1. tests/e2e/scenarios/NAME.sh, guest side, sourced by the busybox init
#      (see guest/lib.sh): e2e_check NAME CMD..., e2e_pass/e2e_fail, and
#      e2e_s2test NAME BDF --expect device-ngnre|normal-nc|kernel-default.
#      $e2e_dev_small/$e2e_dev_big are the two BDFs, $e2e_mode the KVM mode.
#      Example:
#        e2e_check "insmod kvm_s2attr" insmod /e2e/kvm_s2attr.ko nc_devs=$e2e_dev_small
#        e2e_s2test "module nc" "$e2e_dev_small" --expect normal-nc
#        e2e_s2test "module other" "$e2e_dev_big" --expect kernel-default
#   2. optionally tests/e2e/scenarios/NAME.host, host side, sourced by this
#      script once per kernel; it may define scenario_NAME_payload DESTDIR to
#      put files into the initramfs (DESTDIR/e2e/...), with SUITE, KVER, KDIR
#      and the helper kbuild_module (see below) available. Non-zero = failure.
#   3. run with --scenarios "stock NAME": scenarios run in order in one boot.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/common.sh
. "$top/scripts/common.sh"
cache_lock

kernels=$SUITES_ALL
modes="vhe nvhe"
scenarios=stock
boot_timeout=300
accel=()
# --qemu SUITE: that Debian suite's QEMU (scripts/qemu-suite.sh), not this
# machine's, to tell a QEMU problem from a kernel one.
qemu_suite=
qemu_bin=qemu-system-aarch64
extra_append=""
jobs=1

usage() {
	sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=${2:?}; shift 2 ;;
	--modes) modes=${2:?}; shift 2 ;;
	--scenarios) scenarios=${2:?}; shift 2 ;;
	--timeout) boot_timeout=${2:?}; shift 2 ;;
	--append) extra_append=${2:?}; shift 2 ;;
	--icount) accel=(-accel tcg,thread=single -icount shift=0,sleep=off); shift ;;
	--tcg)
		case ${2:?} in
		single | multi) accel=(-accel "tcg,thread=$2") ;;
		*) die "--tcg single|multi" ;;
		esac
		shift 2 ;;
	--qemu) qemu_suite=${2:?}; shift 2 ;;
	--jobs) jobs=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
done
for m in $modes $(printf '%s\n' $kernels | sed -n 's/^[^:]*://p' | tr , ' '); do
	case $m in vhe|nvhe|protected|noel2|none) ;; *) die "unknown mode '$m' (vhe, nvhe, protected, noel2, none)" ;; esac
done

OUT=$top/out/e2e
BUILD=$top/build/e2e
ECACHE=$CACHE/e2e
# Modules the guest needs (dependencies are added from modinfo): vfio for
# the devices, virtio-mmio + virtio_console for the TAP port (modules on
# 5.10/6.1; virtio_console is built in on 6.12+, then it is simply absent).
GUEST_MODS="vfio-pci vfio_iommu_type1 virtio_mmio virtio_console"
# Bump when the layout of the cached base initramfs changes.
BASE_FORMAT=1

mkdir -p "$OUT" "$BUILD" "$ECACHE"
# One QEMU at a time on this machine, and one writer of out/e2e.
exec 9>"$OUT/.lock"
flock -n 9 || die "another tests/e2e/run.sh is running"
# Every run keeps its own TAP and summary (out/e2e/runs/, "latest.*" the
# newest) and is appended to results.tap and summary.txt, so that one
# make check's runs (and CI's debug lane after it) are all kept.
run_id=$(date +%Y%m%d-%H%M%S)-$$
RUNTAP=$OUT/runs/$run_id.tap
RUNSUM=$OUT/runs/$run_id.summary
mkdir -p "$OUT/runs"
: >"$RUNTAP"
ln -sfn "$run_id.tap" "$OUT/runs/latest.tap"
ln -sfn "$run_id.summary" "$OUT/runs/latest.summary"
printf '# ==== e2e run %s: kernels=%s modes=%s scenarios=%s\n' "$run_id" "$kernels" "$modes" "$scenarios" |
	tee -a "$OUT/summary.txt" >>"$OUT/results.tap"

# Backing files of the ivshmem devices live in tmpfs, removed on exit.
shm=$(mktemp -d /dev/shm/kvm-s2attr-e2e.XXXXXX)
trap 'rm -rf "$shm"' EXIT

# ------------------------------------------------------------------ TAP --

tap_n=0
tap_failed=0

emit() {
	printf '%s\n' "$@" | tee -a "$RUNTAP" "$OUT/results.tap"
}

# tap_result ok|fail NAME [DIAGNOSTIC...]
tap_result() {
	local st=$1 name=$2 d l
	shift 2
	tap_n=$((tap_n + 1))
	if [ "$st" = ok ]; then
		emit "ok $tap_n - $name"
	else
		tap_failed=$((tap_failed + 1))
		emit "not ok $tap_n - $name"
	fi
	# Diagnostics may span lines: every line must stay a TAP comment.
	for d in "$@"; do
		while IFS= read -r l; do
			emit "#   $l"
		done <<<"$d"
	done
}

# merge_tap RAW PREFIX STATFILE MAPFILE: renumber the guest's TAP blocks into
# the global stream. Each block ("# e2e-block NAME" ... "1..N") must carry a
# plan matching the tests it ran; a missing plan, a bail-out or a missing
# "# e2e-guest-done" becomes a failed test. STATFILE gets "count failed done",
# MAPFILE the s2test-map lines with their block names, COUNTFILE a line
# "SCENARIO BLOCKS" per scenario the guest started ("# e2e-scenario NAME").
merge_tap() {
	awk -v start="$tap_n" -v prefix="$2" -v statfile="$3" -v mapfile="$4" -v countfile="$5" '
	function emit_test(ok, rest) {
		n++
		if (!ok)
			failed++
		print (ok ? "ok " : "not ok ") n " - " prefix " " rest
	}
	function close_block() {
		if (inblock && !planned)
			emit_test(0, bname ": no plan, " bcount " tests ran (crashed or timed out?)")
		inblock = 0
	}
	BEGIN { n = start; failed = 0; done = 0; scen = ""; ns = 0 }
	{ sub(/\r$/, "") }
	/^# e2e-scenario / { scen = substr($0, 16); order[++ns] = scen; blocks[scen] += 0 }
	/^# e2e-block / {
		close_block()
		bname = substr($0, 13); inblock = 1; planned = 0; bcount = 0
		if (scen != "") blocks[scen]++
		next
	}
	/^# e2e-guest-done/ { close_block(); done = 1; next }
	/^# s2test-map / { print bname ": " substr($0, 14) > mapfile }
	/^(not )?ok [0-9]+/ {
		if (!inblock) { bname = "(outside any block)"; inblock = 1; planned = 0; bcount = 0 }
		rest = $0
		sub(/^(not )?ok [0-9]+ *(- )?/, "", rest)
		bcount++
		emit_test($0 ~ /^ok/, rest)
		next
	}
	/^1\.\.[0-9]+/ {
		p = substr($0, 4) + 0
		if (!inblock)
			emit_test(0, "plan outside any block: " $0)
		else if (p != bcount)
			emit_test(0, bname ": planned " p " tests, ran " bcount)
		planned = 1
		next
	}
	/^Bail out!/ { emit_test(0, bname ": " $0); next }
	/^#/ { print; next }
	{ print "# guest: " $0 }
	END {
		close_block()
		print n - start, failed, done > statfile
		printf "" > countfile
		for (i = 1; i <= ns; i++) print order[i], blocks[order[i]] > countfile
	}' "$1" | tee -a "$RUNTAP" "$OUT/results.tap"
	read -r cnt fl _ <"$3"
	tap_n=$((tap_n + cnt))
	tap_failed=$((tap_failed + fl))
}

# ---------------------------------------------------------- preparation --

# busybox-static:arm64 from bookworm, cached (any version will do).
get_busybox() {
	local bb=$ECACHE/busybox/busybox deb tmp
	if [ -x "$bb" ]; then
		printf '%s\n' "$bb"
		return
	fi
	mkdir -p "$ECACHE/debs" "$ECACHE/busybox"
	suite_update bookworm
	(cd "$ECACHE/debs" && suite_apt bookworm download busybox-static:arm64 >/dev/null) ||
		die "cannot download busybox-static:arm64"
	deb=$(ls -t "$ECACHE"/debs/busybox-static_*_arm64.deb | head -n 1)
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	install -m 0755 "$tmp/bin/busybox" "$bb.tmp"
	rm -rf "$tmp"
	mv "$bb.tmp" "$bb"
	printf '%s\n' "$bb"
}

# The kernel as an uncompressed Image (QEMU boots arm64 Images only).
get_image() {
	local img=$ECACHE/$KVER/Image
	if [ "$(head -c 2 "$IMAGE" | od -An -tx1 | tr -d ' ')" != 1f8b ]; then
		printf '%s\n' "$IMAGE"
		return
	fi
	if [ ! -f "$img" ]; then
		mkdir -p "$ECACHE/$KVER"
		zcat "$IMAGE" >"$img.tmp"
		mv "$img.tmp" "$img"
	fi
	printf '%s\n' "$img"
}

# Base initramfs per kernel, cached: busybox and the guest modules with
# their dependencies, decompressed (busybox modprobe cannot read .xz/.zst)
# and depmod'ed.
get_base_cpio() {
	local dir=$ECACHE/$KVER bb=$1 key root f rel m
	local -A ko=() seen=()
	key="format=$BASE_FORMAT mods=$GUEST_MODS busybox=$(sha1sum <"$bb" | cut -c1-12) pkg=$PKGVER"
	if [ -f "$dir/base.cpio.gz" ] && [ "$(cat "$dir/base.key" 2>/dev/null)" = "$key" ]; then
		printf '%s\n' "$dir/base.cpio.gz"
		return
	fi
	log "$KVER: building the base initramfs"
	mkdir -p "$dir"
	root=$dir/base.tmp
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,e2e} "$root/lib/modules/$KVER"
	install -m 0755 "$bb" "$root/bin/busybox"
	# Index the kernel's modules by name (- and _ are the same to modprobe).
	while IFS= read -r f; do
		m=${f##*/}
		m=${m%%.ko*}
		ko[${m//-/_}]=$f
	done < <(find "$MODDIR" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
	add_mod() {
		local name=${1//-/_} src dst d
		[ -z "${seen[$name]:-}" ] || return 0
		seen[$name]=1
		src=${ko[$name]:-}
		if [ -z "$src" ]; then
			grep -qs "/${name//_/[-_]}\.ko" "$MODDIR/modules.builtin" ||
				log "$KVER: module $name is neither a module nor built in"
			return 0
		fi
		rel=${src#"$MODDIR"/}
		dst=$root/lib/modules/$KVER/${rel%.xz}
		dst=${dst%.zst}
		dst=${dst%.gz}
		mkdir -p "$(dirname "$dst")"
		case $src in
		*.xz) xz -dc "$src" >"$dst" ;;
		*.zst) zstd -qdc "$src" >"$dst" ;;
		*.gz) zcat "$src" >"$dst" ;;
		*) cp "$src" "$dst" ;;
		esac
		for d in $(modinfo -F depends "$dst" | tr , ' '); do
			add_mod "$d"
		done
	}
	for m in $GUEST_MODS; do
		add_mod "$m"
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ ! -f "$MODDIR/$f" ] || cp "$MODDIR/$f" "$root/lib/modules/$KVER/"
	done
	depmod -b "$root" "$KVER"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$dir/base.cpio.gz.tmp"
	mv "$dir/base.cpio.gz.tmp" "$dir/base.cpio.gz"
	printf '%s\n' "$key" >"$dir/base.key"
	log "$KVER: base initramfs has: $(cd "$root/lib/modules/$KVER" && find . -name '*.ko' -printf '%f ')"
	rm -rf "$root"
	printf '%s\n' "$dir/base.cpio.gz"
}

# kbuild_module SRCDIR DESTDIR LOG: build an out-of-tree module for the
# current kernel from a copy of SRCDIR (so the four kernels never share
# objects) and copy the .ko files into DESTDIR.
kbuild_module() {
	local src=$1 dest=$2 logf=$3 b
	b=$BUILD/$KVER/$(basename "$src")
	rm -rf "$b"
	mkdir -p "$b" "$dest"
	cp -r "$src"/. "$b"/
	"$top/scripts/kbuild.sh" "$SUITE" "$b" >"$logf" 2>&1 || return 1
	cp "$b"/*.ko "$dest"/
}

# The per-kernel part of the initramfs: init, helpers, scenarios, s2test,
# s2peek.ko and whatever the scenarios' host hooks add.
make_run_cpio() {
	local stage=$BUILD/$KVER/initrd s f
	rm -rf "$stage"
	mkdir -p "$stage/e2e/scenarios"
	install -m 0755 "$here/guest/init" "$stage/init"
	cp "$here/guest/lib.sh" "$here/kernel-trouble.ere" "$stage/e2e/"
	cp "$here"/scenarios/*.sh "$stage/e2e/scenarios/"
	install -m 0755 "$BUILD/s2test" "$stage/e2e/s2test"
	kbuild_module "$here/s2peek" "$stage/e2e" "$BUILD/$KVER/s2peek.log" ||
		{ echo "s2peek build failed, see $BUILD/$KVER/s2peek.log"; return 1; }
	for s in $scenarios; do
		f=$here/scenarios/$s.host
		[ -f "$f" ] || continue
		# shellcheck disable=SC1090
		. "$f"
		if declare -F "scenario_${s}_payload" >/dev/null; then
			"scenario_${s}_payload" "$stage" || { echo "scenario $s payload failed"; return 1; }
		fi
	done
	(cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$BUILD/$KVER/run.cpio.gz"
}

# kernel_page_size: the page size the current kernel was built with, from
# its config (KCONFIG in kernel.env): KVM's stage-2 granule, which the
# guest expects s2peek's walk to have used. Never from the code under
# test. A kernel named *-16k must have 16 KiB pages, any other 4 KiB.
kernel_page_size() {
	local ps want
	if grep -qsx 'CONFIG_ARM64_16K_PAGES=y' "${KCONFIG:-/nonexistent}"; then
		ps=16384
	elif grep -qsx 'CONFIG_ARM64_4K_PAGES=y' "${KCONFIG:-/nonexistent}"; then
		ps=4096
	else
		echo "$KVER: no 4 KiB or 16 KiB page size in its config ${KCONFIG:-(none)}" >&2
		return 1
	fi
	want=4096
	[[ $KVER != *-16k ]] || want=16384
	if [ "$ps" != "$want" ]; then
		echo "$KVER: its config says $ps-byte pages, its name does not" >&2
		return 1
	fi
	echo "$ps"
}

# ----------------------------------------------------------------- boot --

# Devices: name, BAR size, PCI slot. BDFs follow from the slot (bus 0).
DEVS=("small 1M 3" "big 64M 4")

# verify_backing FILE SEED PAGES [LIVE-PAGES FINALS]: the guest's last
# s2test left word0 = seed ^ offset, word1 = ~word0, word2 = offset in
# exactly PAGES pages, the rest zero. With LIVE-PAGES, the last s2test
# --live left its sequence numbers in word 3: in exactly LIVE-PAGES pages,
# the k-th of them (by offset) holds (FINALS[k % vCPUs] << 32 | k), where
# FINALS is the comma-separated list of the pass each vCPU stopped after;
# every other page's word 3 is zero. perl is part of every Debian system
# (perl-base is Essential).
verify_backing() {
	perl -e '
		use strict; use warnings; no warnings "portable";
		my ($f, $seed, $want, $lwant, $finals) = @ARGV;
		my @fin = split /,/, ($finals // "");
		$seed = hex $seed;
		open(my $fh, "<:raw", $f) or die "open $f: $!\n";
		my ($off, $n, $bad, $buf, $ln, $lbad) = (0, 0, 0, "", 0, 0);
		while (read($fh, $buf, 4096) == 4096) {
			my ($w0, $w1, $w2, $w3) = unpack("Q<4", $buf);
			if ($w0 || $w1 || $w2) {
				$n++;
				my ($e0, $e1) = ($seed ^ $off, ~($seed ^ $off));
				if ($w0 != $e0 || $w1 != $e1 || $w2 != $off) {
					printf("page 0x%x: 0x%x 0x%x 0x%x, expected 0x%x 0x%x 0x%x\n",
					       $off, $w0, $w1, $w2, $e0, $e1, $off) if ++$bad <= 8;
				}
			}
			if (defined $lwant && $w3) {
				my $e3 = ($fin[$ln % @fin] << 32) | $ln;
				printf("page 0x%x: word 3 0x%x, expected 0x%x\n", $off, $w3, $e3)
					if $w3 != $e3 && ++$lbad <= 8;
				$ln++;
			}
			$off += 4096;
		}
		print "$n pages carry a pattern, $bad wrong, $want expected";
		print "; $ln pages a last sequence number, $lbad wrong, $lwant expected"
			if defined $lwant;
		print "\n";
		exit(($bad || $n != $want || (defined $lwant && ($lbad || $ln != $lwant))) ? 1 : 0);
	' "$@"
}

# The summary line of one boot, for the end of the run.
summaries=()

# scenario_blocks NAME: the number of TAP blocks scenario NAME declares it
# emits ("# e2e-blocks: N" in its header).
scenario_blocks() {
	sed -n 's/^# e2e-blocks: \([0-9][0-9]*\)$/\1/p' "$here/scenarios/$1.sh" | head -n 1
}

# boot_start MODE BASE IMAGE: boot the current kernel in MODE in the
# background; its QEMU exit status and wall time go to $dir/qemu.exit, and
# what boot_report needs of this boot to $dir/boot.env. Sets boot_name
# (its directory under $OUT) and boot_pid (the background job's).
boot_start() {
	local mode=$1 base=$2 image=$3 name dir rundir cpu append
	local devs="" small="" big="" qargs=() d size slot bdf dname kvmarg
	name=$KVER-$mode
	dir=$OUT/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	rundir=$shm/$name
	mkdir -p "$rundir"

	# nVHE: kvm-arm.mode=nvhe (5.12+); 5.10 ignores it, there a CPU
	# without VHE (FEAT_VHE is v8.1; the Cortex-A72 is v8.0) gives nVHE.
	cpu=max,pauth-impdef=on
	kvmarg=""
	append="console=ttyAMA0 panic=-1 panic_on_warn=1 rdinit=/init e2e_mode=$mode"
	if [ "$mode" = nvhe ]; then
		if [ "$(printf '%s\n' "$KVER" 5.12 | sort -V | head -n 1)" = 5.12 ]; then
			kvmarg=" kvm-arm.mode=nvhe"
			append="$append$kvmarg"
		else
			cpu=cortex-a72
		fi
	elif [ "$mode" = protected ]; then
		# pKVM (5.12+): for refusal tests; 5.10 has no such mode.
		kvmarg=" kvm-arm.mode=protected"
		append="$append$kvmarg"
	elif [ "$mode" = none ]; then
		# KVM disabled on the command line (5.16+): for refusal tests.
		kvmarg=" kvm-arm.mode=none"
		append="$append$kvmarg"
	fi
	# noel2: the kernel starts at EL1 (no EL2 at all): for refusal tests.
	virt=on
	[ "$mode" != noel2 ] || virt=off
	for d in "${DEVS[@]}"; do
		read -r dname size slot <<<"$d"
		bdf=$(printf '0000:00:%02x.0' "$slot")
		devs="$devs${devs:+,}$bdf"
		eval "$dname=\$bdf"
		rm -f "$rundir/$dname.bin"
		truncate -s "$size" "$rundir/$dname.bin"
		qargs+=(-object "memory-backend-file,id=mem-$dname,size=$size,mem-path=$rundir/$dname.bin,share=on"
			-device "ivshmem-plain,memdev=mem-$dname,addr=$slot")
	done
	# The resets scenario's device: alone behind a PCIe root port, so that
	# it can be reset (a secondary bus reset; vfio resets a device only if
	# it gets the device lock at once). Not in e2e_devs: bound by that
	# scenario, no backing-file check.
	if [[ " $scenarios " == *" resets "* ]]; then
		truncate -s 1M "$rundir/rst.bin"
		qargs+=(-device "pcie-root-port,id=rp-rst,chassis=1,addr=5"
			-object "memory-backend-file,id=mem-rst,size=1M,mem-path=$rundir/rst.bin,share=on"
			-device "ivshmem-plain,memdev=mem-rst,bus=rp-rst")
		append="$append e2e_dev_rst=0000:01:00.0"
	fi
	# Timeouts in the guest scale like the boot's (e2e_slow).
	append="$append e2e_slow=$slow e2e_devs=$devs e2e_dev_small=$small e2e_dev_big=$big"
	append="$append e2e_page_size=$page_size e2e_pmd_pfnmap=$pmd_pfnmap"
	append="$append e2e_scenarios=${scenarios// /,}${extra_append:+ $extra_append}"
	cat "$base" "$BUILD/$KVER/run.cpio.gz" >"$rundir/initrd.cpio.gz"

	# shellcheck disable=SC2054 # commas are QEMU option syntax
	local qemu=("$qemu_bin"
		-M "virt,virtualization=$virt,gic-version=3,iommu=smmuv3"
		-cpu "$cpu" -smp 2 -m 2G -nographic -no-reboot -nic none "${accel[@]}"
		-kernel "$image" -initrd "$rundir/initrd.cpio.gz" -append "$append"
		"${qargs[@]}"
		-device virtio-serial-device
		-chardev "file,id=tap,path=$dir/tap.raw"
		-device virtserialport,chardev=tap,name=tap)
	printf '%q ' "${qemu[@]}" >"$dir/qemu.cmd"
	echo >>"$dir/qemu.cmd"

	printf 'mode=%q\nKVER=%q\nSUITE=%q\nkboot_timeout=%q\n' "$mode" "$KVER" "$SUITE" \
		"$kboot_timeout" >"$dir/boot.env"
	log "$name: booting (-cpu $cpu$kvmarg, timeout ${kboot_timeout}s)"
	(
		t0=$EPOCHREALTIME
		rc=0
		timeout -k 10 "$kboot_timeout" "${qemu[@]}" </dev/null >"$dir/console.log" 2>&1 || rc=$?
		echo "$rc $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')" \
			>"$dir/qemu.exit"
	) &
	boot_name=$name
	boot_pid=$!
}

# boot_report NAME: once boot NAME's QEMU has exited, its results into the
# run's TAP: QEMU's exit, the guest's TAP, the declared blocks, the
# console, the backing files. Boots are reported in the order they started.
boot_report() {
	local name=$1 dir rundir st rc wall mode KVER SUITE kboot_timeout prefix
	local cnt fl gdone bad line seed pages res boot_up end_up dname size slot bdf live d
	dir=$OUT/$name
	rundir=$shm/$name
	# shellcheck disable=SC1091 # written by boot_start
	. "$dir/boot.env"
	prefix=$KVER\ $mode
	read -r rc wall <"$dir/qemu.exit" || { rc=255; wall=0; }
	touch "$dir/tap.raw"

	emit "# $name: QEMU exit status $rc after ${wall}s, console: $dir/console.log"
	case $rc in
	0) tap_result ok "$prefix boot: QEMU exited by itself after ${wall}s" ;;
	124|137) tap_result fail "$prefix boot: timed out after ${kboot_timeout}s" \
		"console: $dir/console.log" "last console lines:" \
		"$(tail -n 5 "$dir/console.log")" ;;
	*) tap_result fail "$prefix boot: QEMU exit status $rc" "console: $dir/console.log" \
		"$(tail -n 5 "$dir/console.log")" ;;
	esac

	# The guest's own results, merged.
	: >"$dir/map.txt"
	merge_tap "$dir/tap.raw" "$prefix" "$rundir/stat" "$dir/map.txt" "$dir/blocks.txt"
	read -r cnt fl gdone <"$rundir/stat"
	if [ "$gdone" = 1 ]; then
		tap_result ok "$prefix guest: TAP complete ($cnt tests)"
	else
		tap_result fail "$prefix guest: TAP incomplete (no e2e-guest-done marker, $cnt tests)" \
			"raw TAP: $dir/tap.raw" "console: $dir/console.log"
	fi
	# Every scenario emitted the blocks it declares: a block never reached
	# cannot vanish unnoticed.
	for s in $scenarios; do
		local want got
		want=$(scenario_blocks "$s")
		got=$(awk -v s="$s" '$1 == s { print $2 }' "$dir/blocks.txt")
		if [ -n "$want" ] && [ "${got:-none}" = "$want" ]; then
			tap_result ok "$prefix scenario $s: $got test blocks, as declared"
		else
			tap_result fail "$prefix scenario $s: ${got:-no} test blocks, declared ${want:-nothing}" \
				"(# e2e-blocks: in tests/e2e/scenarios/$s.sh; a block is one e2e_pass, e2e_fail, e2e_check or e2e_s2test)"
		fi
	done

	# A panic reboots (and -no-reboot then ends QEMU normally), a WARN
	# panics (panic_on_warn): only the console tells. The patterns are the
	# guest's too (e2e_kernel_trouble), one list for both.
	bad=$(grep -nE -f "$here/kernel-trouble.ere" "$dir/console.log" | head -n 5 || true)
	if [ -z "$bad" ]; then
		tap_result ok "$prefix console: no panic, Oops, BUG, WARN, stack dump, stall, lockup or UBSAN report"
	else
		tap_result fail "$prefix console: kernel trouble, see $dir/console.log" "$bad"
	fi

	# The debug lane is only worth its time if its checkers ran.
	if [[ $SUITE == debug* ]]; then
		for d in "kasan: KernelAddressSanitizer initialized" "kfence: initialized" \
			"Lock dependency validator"; do
			if grep -q "$d" "$dir/console.log"; then
				tap_result ok "$prefix debug kernel: console says \"$d\""
			else
				tap_result fail "$prefix debug kernel: console says \"$d\"" \
					"console: $dir/console.log"
			fi
		done
	fi

	# The pattern the guest left in each device's memory, seen from here.
	for d in "${DEVS[@]}"; do
		read -r dname size slot <<<"$d"
		bdf=$(printf '0000:00:%02x.0' "$slot")
		line=$(grep -E "^# s2test-pattern dev=$bdf " "$dir/tap.raw" | tail -n 1 || true)
		if [ -z "$line" ] && [[ $mode =~ ^(protected|noel2|none)$ ]]; then
			# These boots only test that kvm_s2attr refuses.
			tap_result ok "$prefix backing file of dev $bdf ($dname) # SKIP $mode mode: no guest maps the BAR"
			continue
		fi
		if [ -z "$line" ]; then
			tap_result fail "$prefix backing file of dev $bdf ($dname): no s2test-pattern line from the guest"
			continue
		fi
		seed=$(sed -n 's/.* seed=\(0x[0-9a-f]*\).*/\1/p' <<<"$line")
		pages=$(sed -n 's/.* pages=\([0-9]*\).*/\1/p' <<<"$line")
		# The live scenario's last s2test --live on the device: its
		# sequence numbers, whatever s2test ran after it.
		live=()
		if [[ " $scenarios " == *" live "* ]]; then
			line=$(grep -E "^# s2test-live dev=$bdf " "$dir/tap.raw" | tail -n 1 || true)
			live=("$(sed -n 's/.* pages=\([0-9]*\).*/\1/p' <<<"$line")"
				"$(sed -n 's/.* finals=\([0-9,]*\)$/\1/p' <<<"$line")")
			if [ -z "${live[0]}" ] || [ -z "${live[1]}" ]; then
				tap_result fail "$prefix backing file of dev $bdf ($dname): no s2test-live line with pages and finals from the guest" \
					"got: ${line:-nothing}"
				continue
			fi
		fi
		if res=$(verify_backing "$rundir/$dname.bin" "$seed" "$pages" "${live[@]}" 2>&1); then
			tap_result ok "$prefix backing file of dev $bdf ($dname, $size): $res"
		else
			tap_result fail "$prefix backing file of dev $bdf ($dname, $size): pattern or sequence numbers wrong" \
				"$res"
		fi
	done
	rm -f "$rundir"/*.bin "$rundir/initrd.cpio.gz"

	boot_up=$(sed -n 's/^# e2e-boot uptime=\([0-9.]*\).*/\1/p' "$dir/tap.raw" | head -n 1)
	end_up=$(sed -n 's/^# e2e-end uptime=\([0-9.]*\).*/\1/p' "$dir/tap.raw" | tail -n 1)
	local test_s="?"
	[ -z "$boot_up" ] || [ -z "$end_up" ] ||
		test_s=$(awk -v a="$boot_up" -v b="$end_up" 'BEGIN { printf "%.1f", b - a }')
	st=PASS
	[ "$tap_failed" = "${failed_before:-0}" ] || st=FAIL
	line=$(printf '%-22s %-4s %s  boot %ss  tests %ss  wall %ss' "$KVER" "$mode" "$st" \
		"${boot_up:-?}" "$test_s" "$wall")
	emit "# $line"
	summaries+=("$line")
	while IFS= read -r line; do
		summaries+=("      $line")
	done <"$dir/map.txt"
	failed_before=$tap_failed
}

# boot_drain N: report the oldest boots until fewer than N are running or
# waiting to be reported (N = 1: all of them).
boot_drain() {
	local b p
	while [ ${#queue[@]} -ge "$1" ] && [ ${#queue[@]} -gt 0 ]; do
		read -r b p <<<"${queue[0]}"
		wait "$p" || true
		boot_report "$b"
		queue=("${queue[@]:1}")
	done
}

# ----------------------------------------------------------------- main --
queue=()

run_t0=$EPOCHREALTIME
failed_before=0
emit "TAP version 13"
bb=$(get_busybox)
if [ -n "$qemu_suite" ]; then
	qemu_bin=$("$top/scripts/qemu-suite.sh" "$qemu_suite") || die "no QEMU from $qemu_suite"
fi
emit "# QEMU: $("$qemu_bin" --version | head -n 1)${accel[*]:+, ${accel[*]}}"
mkdir -p "$BUILD"
# s2test is kernel independent: one static binary for all boots.
aarch64-linux-gnu-gcc -O2 -static -pthread -Wall -Werror -o "$BUILD/s2test" "$here/s2test.c" ||
	die "cannot build s2test"

for suite in $kernels; do
	# SUITE:MODE,MODE: this kernel in these modes, not --modes.
	kmodes=$modes
	if [[ $suite == *:* ]]; then
		kmodes=${suite#*:}
		kmodes=${kmodes//,/ }
		suite=${suite%%:*}
	fi
	envfile=$("$top/scripts/fetch-kernel.sh" "$suite") || {
		tap_result fail "$suite: fetch kernel"
		continue
	}
	KCONFIG=
	# shellcheck disable=SC1090
	. "$envfile"
	mkdir -p "$BUILD/$KVER"
	# errexit is ignored in conditions, so run the preparation as a plain
	# command in a subshell with its own errexit, and test its status after.
	set +e
	(
		set -e
		get_base_cpio "$bb" >"$BUILD/$KVER/base.path"
		get_image >"$BUILD/$KVER/image.path"
		make_run_cpio >&2
	)
	rc=$?
	set -e
	if [ "$rc" != 0 ]; then
		tap_result fail "$KVER: prepare initramfs, s2peek and image" \
			"see the messages above and $BUILD/$KVER/s2peek.log"
		continue
	fi
	# Whether the host can map a BAR with PMDs (vfio-pci's huge_fault),
	# from the kernel's config: then 6.12+ KVM maps it with blocks.
	pmd_pfnmap=0
	! grep -qsx 'CONFIG_ARCH_SUPPORTS_PMD_PFNMAP=y' "${KCONFIG:-/nonexistent}" || pmd_pfnmap=1
	if ! page_size=$(kernel_page_size); then
		tap_result fail "$KVER: page size from the kernel's config" "KCONFIG=${KCONFIG:-}"
		continue
	fi
	# KASAN, lockdep and friends make the debug kernel a few times slower.
	slow=1
	[[ $SUITE != debug* ]] || slow=4
	# Boots that share the cores run slower too: timeouts scale with them.
	slow=$((slow * jobs))
	kboot_timeout=$((boot_timeout * slow))
	base=$(cat "$BUILD/$KVER/base.path")
	image=$(cat "$BUILD/$KVER/image.path")
	for mode in $kmodes; do
		boot_start "$mode" "$base" "$image"
		queue+=("$boot_name $boot_pid")
		boot_drain "$jobs"
	done
done
boot_drain 1

emit "1..$tap_n"
failures=$(awk '/^not ok / { n++; show = n <= 40 } /^ok |^1\.\./ { show = 0 }
	show && (/^not ok / || /^#   /) { print "# " $0 }' "$RUNTAP" | head -n 200)
total=$(awk -v a="$run_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
{
	echo "# ---- e2e summary: $tap_n tests, $tap_failed failed, ${total}s ----"
	for line in "${summaries[@]}"; do
		echo "# $line"
	done
	# Last, so that the tail of a long log names what failed.
	if [ "$tap_failed" != 0 ]; then
		echo "# ---- $tap_failed failed (first 40, with their diagnostics):"
		printf '%s\n' "$failures"
	fi
} | tee "$RUNSUM" | tee -a "$OUT/summary.txt" | tee -a "$RUNTAP" "$OUT/results.tap"
[ "$tap_failed" = 0 ]
