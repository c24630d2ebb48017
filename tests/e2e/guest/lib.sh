# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest side of the e2e tests (sourced by /init and by the
# scenario scripts, busybox sh). TAP is written in blocks: each starts with
# "# e2e-block NAME" and ends with its own plan; the host merges the blocks
# into one stream, prefixing every test name with kernel and mode. fd 3 is
# the TAP channel once e2e_open_tap has run.
# The e2e_* variables come from the kernel command line (see /init).
# shellcheck disable=SC2154

# Timeouts scale with the lane: e2e_slow (kernel command line, from run.sh)
# is 4 on the debug kernel (KASAN, lockdep), 1 otherwise. S2TEST is split
# into words where it is used.
E2E_SLOW=${e2e_slow:-1}
# The host's page size, KVM's stage-2 granule: 4096, or 16384 on the
# arm64-16k kernels. run.sh takes it from the kernel's config, never from
# the code under test, and every s2test run checks that the stage-2 walk
# used it (--granule).
E2E_PAGE_SIZE=${e2e_page_size:-4096}
S2TEST="/e2e/s2test --timeout $((60 * E2E_SLOW))${e2e_page_size:+ --granule $e2e_page_size}"

# Find the virtio-serial port named "tap" and make fd 3 write to it.
e2e_open_tap() {
	modprobe virtio_mmio 2>/dev/null
	modprobe virtio_console 2>/dev/null
	i=0
	while [ $i -lt 100 ]; do
		for p in /sys/class/virtio-ports/*; do
			[ -f "$p/name" ] || continue
			if [ "$(cat "$p/name")" = tap ] && [ -c "/dev/${p##*/}" ]; then
				exec 3>"/dev/${p##*/}"
				echo "e2e: TAP channel is /dev/${p##*/}"
				return 0
			fi
		done
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

tap_diag() {
	echo "# $*" >&3
}

# e2e_uptime: e2e_up = seconds since boot, without a fork (the console's
# progress lines carry it, so that a slow step shows in the console log).
e2e_uptime() {
	read -r e2e_up _ </proc/uptime
}

# e2e_pass NAME / e2e_fail NAME WHY...: a one-test block.
e2e_pass() {
	printf '# e2e-block %s\nok 1 - %s\n1..1\n' "$1" "$1" >&3
	e2e_uptime
	echo "e2e: [$e2e_up] ok - $1"
}

e2e_fail() {
	name=$1
	shift
	printf '# e2e-block %s\nnot ok 1 - %s\n' "$name" "$name" >&3
	# A diagnostic may span lines: each one must stay a TAP comment.
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /' >&3
	done
	echo 1..1 >&3
	e2e_uptime
	echo "e2e: [$e2e_up] NOT OK - $name: $*"
}

# e2e_check NAME CMD...: one test, ok if CMD exits 0; its output becomes
# diagnostics.
e2e_check() {
	name=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		e2e_pass "$name"
	else
		rc=$?
		e2e_fail "$name" "command: $*" "exit status $rc" "$(cat /tmp/check.out)"
	fi
}

# e2e_sigtrace_start / e2e_sigtrace_stop / e2e_sigtrace_dump: record, with
# ftrace, every forced signal and its call stack (a test program killed by
# a signal the kernel sent for its own reasons leaves no other trace).
E2E_TRACE=/sys/kernel/debug/tracing
e2e_sigtrace_start() {
	[ -w $E2E_TRACE/set_ftrace_filter ] || return 0
	: >$E2E_TRACE/set_ftrace_filter
	for f in force_sig force_sigsegv force_fatal_sig force_sig_fault \
		arm64_force_sig_fault force_sig_fault_to_task; do
		echo $f >>$E2E_TRACE/set_ftrace_filter 2>/dev/null
	done
	# An empty filter would trace every function.
	[ -n "$(grep -v '^#' $E2E_TRACE/set_ftrace_filter)" ] || return 0
	: >/tmp/sigtrace.txt
	# The faulting address and the user PC of every bad-area fault.
	if [ -w $E2E_TRACE/kprobe_events ]; then
		echo 'p:e2e_bad_area do_bad_area far=%x0 esr=%x1 pc=+256(%x2):x64 sp=+248(%x2):x64' \
			>$E2E_TRACE/kprobe_events 2>/dev/null &&
			echo 1 >$E2E_TRACE/events/kprobes/e2e_bad_area/enable
	fi
	: >$E2E_TRACE/trace
	echo 1 >$E2E_TRACE/options/func_stack_trace
	echo function >$E2E_TRACE/current_tracer
	echo 1 >$E2E_TRACE/tracing_on
}

e2e_sigtrace_stop() {
	[ -w $E2E_TRACE/current_tracer ] || return 0
	echo 0 >$E2E_TRACE/tracing_on
	grep -v '^#' $E2E_TRACE/trace >/tmp/sigtrace.txt 2>/dev/null
	echo nop >$E2E_TRACE/current_tracer
	: >$E2E_TRACE/set_ftrace_filter
	if [ -e $E2E_TRACE/events/kprobes/e2e_bad_area/enable ]; then
		echo 0 >$E2E_TRACE/events/kprobes/e2e_bad_area/enable
		echo >$E2E_TRACE/kprobe_events
	fi
	echo 1 >$E2E_TRACE/tracing_on
}

e2e_sigtrace_dump() {
	grep -v -e '=> ftrace_call' -e '=> el0t_64_sync' /tmp/sigtrace.txt 2>/dev/null | head -n 60
}

# e2e_stock_attr: the stage-2 attribute stock KVM gives a vfio-pci BAR on
# the running kernel, from its release alone (upstream switched to
# Normal-NC in 6.9; s2test's --expect kernel-default has the same rule).
# Never read from the module under test: its kernel_nc is checked against
# this. e2e_other_attr ATTR: the other one of the two. e2e_setting ATTR:
# the module's name for it (device or normal-nc).
e2e_stock_attr() {
	if e2e_kernel_at_least 6 9; then echo normal-nc; else echo device-ngnre; fi
}

# e2e_kernel_at_least MAJOR MINOR: is the running kernel's release at least
# MAJOR.MINOR?
e2e_kernel_at_least() {
	e2e_rel=$(uname -r)
	e2e_maj=${e2e_rel%%.*}
	e2e_min=${e2e_rel#*.}
	e2e_min=${e2e_min%%[!0-9]*}
	[ "$e2e_maj" -gt "$1" ] || { [ "$e2e_maj" = "$1" ] && [ "$e2e_min" -ge "$2" ]; }
}
# e2e_kernel_sublevel: the running kernel's stable release (192 for
# 6.1.192), from Debian's version in /proc/version ("Debian 6.1.192-3"),
# or else from the release ("6.1.176-s2attr-debug").
e2e_kernel_sublevel() {
	e2e_v=$(sed -n 's/.* Debian [0-9]*\.[0-9]*\.\([0-9]*\).*/\1/p' /proc/version)
	[ -n "$e2e_v" ] || e2e_v=$(uname -r | sed -n 's/^[0-9]*\.[0-9]*\.\([0-9]*\).*/\1/p')
	echo "${e2e_v:-0}"
}
# e2e_big_levels: how stock KVM maps the big (64 MiB) BAR, whose host
# mapping, guest and physical addresses agree modulo 1 GiB: with level-2
# blocks on fault where KVM maps PFN-mapped memory with blocks, else with
# pages (5.10 maps every page eagerly, at memslot creation). 6.12 and later
# take a block where the host maps the BAR with one (get_user_mapping_size
# in transparent_hugepage_adjust): vfio-pci's huge_fault does so with
# CONFIG_ARCH_SUPPORTS_PMD_PFNMAP (e2e_pmd_pfnmap, from the kernel's
# config), which PREEMPT_RT kernels, without THP, lack. Debian's 6.1.176
# looked at VM_PFNMAP itself (get_vma_page_shift()), a stable backport its
# 6.1.192 has reverted; where in 6.1.177-191 the revert came is not known
# here: those would take pages. A level-2 block is a table of pages: 2 MiB
# of 4 KiB pages, 32 MiB of 16 KiB (both divide the BAR); 512 MiB of 64 KiB
# would not fit, pages then.
e2e_big_levels() {
	if [ $((64 * 1024 * 1024 % (E2E_PAGE_SIZE * E2E_PAGE_SIZE / 8))) != 0 ]; then
		echo pages
	elif e2e_kernel_at_least 6 12; then
		if [ "${e2e_pmd_pfnmap:-1}" = 1 ]; then echo blocks; else echo pages; fi
	elif e2e_kernel_at_least 6 1 && ! e2e_kernel_at_least 6 2 &&
		[ "$(e2e_kernel_sublevel)" -le 176 ]; then
		echo blocks
	else
		echo pages
	fi
}
e2e_other_attr() {
	if [ "$1" = normal-nc ]; then echo device-ngnre; else echo normal-nc; fi
}
e2e_setting() {
	if [ "$1" = device-ngnre ]; then echo device; else echo "$1"; fi
}

# e2e_pages BYTES: how many of the host's pages BYTES are.
e2e_pages() {
	echo $(($1 / E2E_PAGE_SIZE))
}

# e2e_kernel_trouble FILE: print the first lines of FILE (a kernel log)
# that show a panic, Oops, BUG, WARN, stack dump, stall, lockup or UBSAN
# report; exit 0 if there is one. The host checks the console with the
# same list.
e2e_kernel_trouble() {
	grep -E -f /e2e/kernel-trouble.ere "$1" | head -n 5 | grep .
}

# e2e_writer STOP COUNT VALUE>FILE...: write each VALUE to its FILE (under
# /sys/kernel/kvm_s2attr), in turn, over and over until the file STOP
# exists (for the scenarios' writers racing guests and one another); then
# "<written> <refused>" to the file COUNT. Refusals' messages go to stderr.
e2e_writer() {
	ew_stop=$1
	ew_count=$2
	shift 2
	ew_ok=0
	ew_err=0
	while [ ! -e "$ew_stop" ]; do
		for ew_w in "$@"; do
			if echo "${ew_w%>*}" >"/sys/kernel/kvm_s2attr/${ew_w##*>}"; then
				ew_ok=$((ew_ok + 1))
			else
				ew_err=$((ew_err + 1))
			fi
		done
	done
	echo "$ew_ok $ew_err" >"$ew_count"
}

# e2e_expect_eq NAME GOT WANT: one test, ok if GOT is WANT.
e2e_expect_eq() {
	if [ "$2" = "$3" ]; then
		e2e_pass "$1"
	else
		e2e_fail "$1" "got '$2', want '$3'"
	fi
}

# e2e_dmesg_clean NAME: one test, ok if the kernel log has none of that.
e2e_dmesg_clean() {
	dmesg >/tmp/e2e.dmesg
	if e2e_kernel_trouble /tmp/e2e.dmesg >/tmp/e2e.trouble; then
		e2e_fail "$1" "$(cat /tmp/e2e.trouble)"
	else
		e2e_pass "$1"
	fi
}

# e2e_s2test NAME BDF [s2test options]: one block with s2test's own TAP.
# A crash or a missing plan is caught by the host (plan check per block).
e2e_s2test() {
	name=$1
	shift
	e2e_uptime
	echo "e2e: [$e2e_up] s2test $name: $*"
	tap_diag "e2e-block $name"
	$S2TEST "$@" >&3 2>/tmp/s2test.err
	rc=$?
	[ -s /tmp/s2test.err ] && sed 's/^/# stderr: /' /tmp/s2test.err >&3
	e2e_uptime
	echo "e2e: [$e2e_up] s2test $name exited with status $rc"
	return 0
}

# Bind a PCI function to vfio-pci (driver_override survives re-probes).
e2e_bind_vfio() {
	d=/sys/bus/pci/devices/$1
	[ -d "$d" ] || { echo "no PCI device $1"; return 1; }
	echo vfio-pci >"$d/driver_override" || return 1
	[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
	drv=$(readlink "$d/driver")
	[ "${drv##*/}" = vfio-pci ] || { echo "$1 bound to '${drv##*/}'"; return 1; }
	grp=$(readlink "$d/iommu_group")
	[ -c "/dev/vfio/${grp##*/}" ] || { echo "no /dev/vfio/${grp##*/}"; return 1; }
	echo "$1: vfio-pci, group ${grp##*/}"
}

# Which KVM mode came up, from KVM's init line in the kernel log.
e2e_kvm_mode() {
	line=$(dmesg | grep -m1 -E 'kvm \[[0-9]+\]: .*mode initialized successfully')
	case $line in
	*Protected*) echo protected ;;
	*nVHE*) echo nvhe ;;
	*VHE\ mode*) echo vhe ;;
	*Hyp\ mode*) echo nvhe ;;
	*) echo none ;;
	esac
}

e2e_setup() {
	mode=$(e2e_kvm_mode)
	line=$(dmesg | grep -m1 -E 'kvm \[[0-9]+\]: .*mode initialized')
	case $e2e_mode in
	noel2 | none)	# KVM must not have come up: these boots test refusals
		if [ "$mode" = none ] && [ ! -e /dev/kvm ]; then
			e2e_pass "kvm is not running ($e2e_mode)"
			tap_diag "  dmesg: $(dmesg | grep -m1 -iE 'kvm|hyp mode' || echo 'no KVM line')"
		else
			e2e_fail "kvm is not running ($e2e_mode)" "got mode '$mode', /dev/kvm: $(ls /dev/kvm 2>&1)"
		fi
		;;
	*)
		if [ "$mode" = "$e2e_mode" ] && [ -c /dev/kvm ]; then
			e2e_pass "kvm mode is $e2e_mode"
			tap_diag "  dmesg: $line"
		else
			e2e_fail "kvm mode is $e2e_mode" "got mode '$mode', /dev/kvm: $(ls /dev/kvm 2>&1)" \
				"dmesg: ${line:-no KVM init line}"
		fi
		;;
	esac
	e2e_check "modprobe vfio-pci vfio_iommu_type1" \
		sh -c 'modprobe vfio-pci && modprobe vfio_iommu_type1'
	for bdf in $(echo "$e2e_devs" | tr , ' '); do
		e2e_check "dev $bdf bound to vfio-pci" e2e_bind_vfio "$bdf"
	done
	e2e_check "insmod s2peek.ko" insmod /e2e/s2peek.ko
	e2e_s2test "s2test decoder selftest" --selftest
}
