# SPDX-License-Identifier: GPL-2.0
# Stock-kernel stress, without kvm_s2attr: the load of robust.sh's
# concurrency phase (an s2test loop on each device, two busy shell loops)
# for e2e_stress_s seconds (default 60). Tells a kernel problem under this
# load apart from one the module causes. With e2e_stress_reload=1 a fifth
# loop loads and unloads kvm_s2attr (no device listed, ftrace and kprobe
# hooks in turn): the module's text patching under running guests, with
# nothing else of it in play.
# e2e-blocks: 6
# shellcheck shell=sh disable=SC2154
R=/tmp/stress
st_s=${e2e_stress_s:-60}
st_reload=${e2e_stress_reload:-0}
rm -rf $R
mkdir -p $R

st_loop() {	# TAG BDF
	: >"$R/$1.runs"
	st_n=0
	while [ ! -e $R/stop ]; do
		st_n=$((st_n + 1))
		$S2TEST "$2" --expect any >"$R/$1.cur" 2>&1
		st_rc=$?
		st_nok=$(grep -c '^not ok' "$R/$1.cur")
		echo "$st_rc $st_nok" >>"$R/$1.runs"
		[ "$st_rc" = 0 ] && [ "$st_nok" = 0 ] || cp "$R/$1.cur" "$R/$1.fail.$st_n"
	done
}
st_reload() {
	st_i=0
	st_fail=0
	while [ ! -e $R/stop ]; do
		st_i=$((st_i + 1))
		if [ $((st_i % 2)) = 0 ]; then st_h=kprobe; else st_h=auto; fi
		if insmod /e2e/kvm_s2attr.ko hook=$st_h 2>>$R/reload.err; then
			rmmod kvm_s2attr 2>>$R/reload.err || st_fail=$((st_fail + 1))
		else
			st_fail=$((st_fail + 1))
		fi
	done
	echo "$st_i $st_fail" >$R/reload.count
}
st_busy() {
	while [ ! -e $R/stop ]; do
		cat /proc/uptime /sys/bus/pci/devices/*/vendor >/dev/null
	done
}

e2e_sigtrace_start
st_loop small "$e2e_dev_small" &
st_p1=$!
st_loop big "$e2e_dev_big" &
st_p2=$!
st_busy &
st_p3=$!
st_busy &
st_p4=$!
st_p5=
if [ "$st_reload" = 1 ]; then
	st_reload &
	st_p5=$!
fi
sleep "$st_s"
touch $R/stop
wait $st_p1 $st_p2 $st_p3 $st_p4 $st_p5
e2e_sigtrace_stop
if [ "$st_reload" = 1 ]; then
	read -r st_i st_fail <$R/reload.count
	if [ "$st_i" -gt 0 ] && [ "$st_fail" = 0 ]; then
		e2e_pass "stress: $st_i insmod/rmmod cycles of kvm_s2attr under the load"
	else
		e2e_fail "stress: insmod/rmmod cycles" "$st_i cycles, $st_fail failed" "$(head -n 5 $R/reload.err)"
	fi
else
	e2e_pass "stress: no module reloads (e2e_stress_reload=0)"
fi
for t in small big; do
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(awk '{ n++; if ($1 != 0 || $2 != 0) bad++ } END { print n + 0, bad + 0 }' $R/$t.runs)
	if [ "$1" -gt 0 ] && [ "$2" = 0 ]; then
		e2e_pass "stress: ${st_s}s s2test loop on $t ($1 runs, all passed)"
	else
		e2e_fail "stress: ${st_s}s s2test loop on $t" "$1 runs, $2 failed" \
			"exit status and not-ok count of the failed runs: $(grep -v '^0 0$' $R/$t.runs | tr '\n' ' ')" \
			"$(for f in $R/$t.fail.*; do echo "== $f"; grep -E '^not ok|^Bail|^#   [^L]|stderr' "$f" | head -n 6; done | head -n 40)" \
			"kernel log about s2test: $(dmesg | grep -E 's2test|unhandled' | tail -n 5)" \
			"forced signals (ftrace): $(e2e_sigtrace_dump)"
	fi
done
e2e_dmesg_clean "stress: dmesg clean"
# The host checks the backing files against the last foreground run.
e2e_s2test "stress: then, small" "$e2e_dev_small" --expect kernel-default
e2e_s2test "stress: then, big" "$e2e_dev_big" --expect kernel-default
