# SPDX-License-Identifier: GPL-2.0
# Upstream's KVM selftests as an oracle from outside the project: each
# test of tests/e2e/kvm-selftests.list for this kernel runs on the stock
# kernel (kvm_s2attr not loaded), then again with kvm_s2attr loaded with
# a device listed and default=device. Every test that passed stock must
# pass with the module. Tests that fail, skip or time out stock (under
# this emulation) are not compared: they are reported as SKIP with the
# reason, never dropped. The module pass is shown to be one: the hook is
# in ftrace's list of patched functions and the module healthy before and
# after it, and s2test then reads the module's attributes back from the
# stage-2 tables (the small BAR listed normal-nc, the big one Device-nGnRE
# through default=device, which stock 6.9+ KVM would map Normal-NC).
# e2e-blocks: 13
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
T=/e2e/kvm-selftests
KO=/e2e/kvm_s2attr.ko
small=$e2e_dev_small
big=$e2e_dev_big
# Tests the stock kernel passed, as list lines: the ones compared.
ST_PASSED=/tmp/st-passed

# st_run TIMEOUT TEST [ARG...]: run one selftest from /tmp, output in
# /tmp/st.out; st_rc its exit status (124 if it timed out), st_t seconds.
st_run() {
	st_to=$(($1 * E2E_SLOW))
	st_name=$2
	shift 2
	read -r st_a _ </proc/uptime
	echo "e2e: [$st_a] selftest $st_name $*"
	(cd /tmp && timeout "$st_to" "$T/$st_name" "$@" </dev/null >/tmp/st.out 2>&1)
	st_rc=$?
	read -r st_b _ </proc/uptime
	st_t=$(awk -v a="$st_a" -v b="$st_b" 'BEGIN { printf "%.1f", b - a }')
	# busybox timeout ends the test with SIGTERM (143); a test that
	# exited by itself with that status after less than its time did not
	# time out.
	if [ "$st_rc" = 143 ] && [ "${st_t%.*}" -ge "$st_to" ]; then
		st_rc=124
	fi
	echo "e2e: selftest $st_name: exit $st_rc after ${st_t}s"
}

# st_why: a one-line description of the last run's outcome.
st_why() {
	case $st_rc in
	124) echo "timed out after ${st_to}s" ;;
	4) echo "exit 4 (KSFT_SKIP): $(grep -m1 -i 'skip' /tmp/st.out | cut -c1-150)" ;;
	*) echo "exit $st_rc after ${st_t}s" ;;
	esac
}

# st_tail: the end of the last run's output, as TAP diagnostics.
st_tail() {
	tail -n 15 /tmp/st.out | sed 's/^/#   | /' >&3
}

listed=$(grep -c . $T/list 2>/dev/null)
if [ -s $T/list ] && [ "$listed" = "$(cat $T/count 2>/dev/null)" ] &&
	missing=$(while read -r _ b _; do [ -x "$T/$b" ] || echo "$b"; done <$T/list) &&
	[ -z "$missing" ]; then
	e2e_pass "selftests: $listed tests listed for $(uname -r), all present"
else
	e2e_fail "selftests: the list and the tests" "list: $listed lines, count file: $(cat $T/count 2>&1)" \
		"missing: $missing"
fi

# Hugetlb pages for the tests that ask for them (-s anonymous_hugetlb_2mb):
# RAM that KVM maps with stage-2 blocks.
if echo 32 >/proc/sys/vm/nr_hugepages && [ "$(cat /proc/sys/vm/nr_hugepages)" = 32 ]; then
	e2e_pass "selftests: 32 hugetlb pages reserved"
else
	e2e_fail "selftests: 32 hugetlb pages reserved" "nr_hugepages: $(cat /proc/sys/vm/nr_hugepages)" \
		"$(grep -i huge /proc/meminfo)"
fi

# Stock: kvm_s2attr must not be loaded (no other scenario may have left it).
if [ ! -e $S ] && ! grep -q '^kvm_s2attr ' /proc/modules; then
	e2e_pass "selftests: kvm_s2attr not loaded for the stock pass"
else
	e2e_fail "selftests: kvm_s2attr not loaded for the stock pass" "$(grep kvm_s2attr /proc/modules)"
fi

: >$ST_PASSED
n=0 st_fail=0 st_skip=0
tap_diag "e2e-block selftests: stock"
while read -r to b args; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # the arguments are words
	st_run "$to" "$b" $args
	case $st_rc in
	0)
		echo "ok $n - selftests stock: $b${args:+ $args} (${st_t}s)" >&3
		echo "$to $b $args" >>$ST_PASSED
		;;
	4)
		st_skip=$((st_skip + 1))
		echo "ok $n - selftests stock: $b${args:+ $args} # SKIP stock-skip, not compared: $(st_why)" >&3
		;;
	*)
		st_fail=$((st_fail + 1))
		echo "ok $n - selftests stock: $b${args:+ $args} # SKIP stock-fail, not compared: $(st_why)" >&3
		st_tail
		;;
	esac
done <$T/list
echo "1..$n" >&3
stock_ran=$n
compared=$(grep -c . $ST_PASSED)

e2e_check "selftests: insmod devices=$small=normal-nc default=device" \
	insmod $KO "devices=$small=normal-nc" default=device

# The module is loaded and its hook armed, from its own sysfs and from
# ftrace's list of the functions it patched.
st_hooked() {
	[ -d $S ] || { echo "no $S"; return 1; }
	h=$(cat $S/hook)
	case $h in
	"ftrace kvm_pgtable_walk" | "ftrace _kvm_pgtable_walk") ;;
	*) echo "hook '$h', want ftrace on (_)kvm_pgtable_walk"; return 1 ;;
	esac
	grep -q "^${h#ftrace } " /sys/kernel/debug/tracing/enabled_functions ||
		{ echo "${h#ftrace } not in enabled_functions:"; cat /sys/kernel/debug/tracing/enabled_functions; return 1; }
	[ "$(cat $S/health)" = ok ] || { echo "health: $(cat $S/health)"; return 1; }
	[ "$(cat $S/default)" = device ] || { echo "default: $(cat $S/default)"; return 1; }
	[ "$(cat $S/devices/"$small"/memattr)" = normal-nc ] ||
		{ echo "memattr of $small: $(cat $S/devices/"$small"/memattr)"; return 1; }
	echo "hook: $h; health: ok; default: device; $small: normal-nc"
}
e2e_check "selftests: kvm_s2attr loaded, hook armed, healthy" st_hooked

n=0 mod_pass=0
tap_diag "e2e-block selftests: with kvm_s2attr"
while read -r to b args; do
	n=$((n + 1))
	if [ ! -d $S ]; then
		echo "not ok $n - selftests with kvm_s2attr: $b${args:+ $args}: not run, the module is not loaded" >&3
		continue
	fi
	# shellcheck disable=SC2086 # the arguments are words
	st_run "$to" "$b" $args
	if [ "$st_rc" = 0 ]; then
		mod_pass=$((mod_pass + 1))
		echo "ok $n - selftests with kvm_s2attr: $b${args:+ $args} (${st_t}s)" >&3
	else
		echo "not ok $n - selftests with kvm_s2attr: $b${args:+ $args}: passed stock, now $(st_why)" >&3
		st_tail
	fi
done <$ST_PASSED
echo "1..$n" >&3
mod_ran=$n

# Hooked throughout: still armed and healthy (the hook checks KVM's map
# data on every walk, RAM included, and would report a mismatch here).
e2e_check "selftests: after the module pass, hook still armed, healthy" st_hooked
e2e_s2test "selftests: module acting, $small listed normal-nc" "$small" --expect normal-nc
e2e_s2test "selftests: module acting, $big Device-nGnRE by default=device" "$big" --expect device-ngnre

# A run cut short cannot pass: every listed test ran stock, every stock
# pass ran with the module, and at least half the list passed stock (else
# the environment is broken and the comparison would prove little).
tap_diag "selftests-counts kernel=$(uname -r) mode=$e2e_mode listed=$listed stock-ran=$stock_ran stock-pass=$compared stock-fail=$st_fail stock-skip=$st_skip compared=$mod_ran module-pass=$mod_pass"
if [ "$stock_ran" = "$listed" ] && [ "$mod_ran" = "$compared" ] &&
	[ $((compared + st_fail + st_skip)) = "$listed" ] && [ $((2 * compared)) -ge "$listed" ]; then
	e2e_pass "selftests: $listed listed, $compared passed stock and were compared, $mod_pass passed with kvm_s2attr"
else
	e2e_fail "selftests: counts" "listed $listed, ran stock $stock_ran ($compared passed, $st_fail failed, $st_skip skipped), ran with the module $mod_ran" \
		"want: every listed test run stock, every stock pass run with the module, at least half the list passing stock"
fi

e2e_check "selftests: rmmod kvm_s2attr" rmmod kvm_s2attr
e2e_dmesg_clean "selftests: dmesg clean"
