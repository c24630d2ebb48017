# SPDX-License-Identifier: GPL-2.0
# A VMM that exits while changes are applied to its guest (issue 21). An
# application holds a reference on the memory of each process that maps
# the device until it is done with it, so a process that exits meanwhile
# is torn down by the application's last put, after it dropped its locks.
# Every change must still succeed, and the kernel must report nothing.
# s2test --live over the big BAR with 8 more processes mapping it (it is
# never told anything: once its guest has made a first pass, its vCPUs go
# on storing while s2test waits for a command) is killed (SIGKILL) at a
# random moment while a writer changes the device's attribute and the
# default as fast as it can, e2e_exits_n times (default 8).
# e2e-blocks: 8
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
S=/sys/kernel/kvm_s2attr
KO=/e2e/kvm_s2attr.ko
R=/tmp/exits
ex_dev=$e2e_dev_big
ex_n=${e2e_exits_n:-8}
rm -rf $R
mkdir -p $R

e2e_check "exits: insmod devices=$ex_dev=normal-nc" insmod $KO "devices=$ex_dev=normal-nc"

rm -f $R/stop
e2e_writer $R/stop $R/writer.count "device>devices/$ex_dev/memattr" "device>default" \
	"normal-nc>devices/$ex_dev/memattr" "kernel>default" 2>$R/writer.err &
ex_wp=$!
ex_i=0
ex_killed=0
: >$R/bad
while [ $ex_i -lt "$ex_n" ]; do
	ex_i=$((ex_i + 1))
	rm -f $R/in $R/out
	mkfifo $R/in $R/out
	$S2TEST --live $R/in,$R/out --forks=8 --vcpus 2 "$ex_dev" --expect any \
		--allow-unmapped >$R/s2.$ex_i 2>&1 &
	ex_pid=$!
	# Its guest runs once its first pass is reported (then it opens the
	# command FIFO, and waits there for good).
	ex_t=0
	while ! grep -q 'live: all 2 vCPUs completed a first pass' $R/s2.$ex_i &&
		kill -0 $ex_pid 2>/dev/null && [ $ex_t -lt $((600 * E2E_SLOW)) ]; do
		sleep 0.1
		ex_t=$((ex_t + 1))
	done
	sleep "$(awk -v s="$ex_i" 'BEGIN { srand(s); printf "%.2f", 0.1 + rand() }')"
	kill -9 $ex_pid 2>/dev/null
	wait $ex_pid
	ex_rc=$?
	# Its 8 forks die with it (PR_SET_PDEATHSIG), a moment later; until
	# then they hold the vfio group, which the next run must open.
	ex_t=0
	while pidof s2test >/dev/null && [ $ex_t -lt $((100 * E2E_SLOW)) ]; do
		sleep 0.1
		ex_t=$((ex_t + 1))
	done
	if [ $ex_rc = 137 ] && grep -q '^ok .*live: all 2 vCPUs completed a first pass' $R/s2.$ex_i; then
		ex_killed=$((ex_killed + 1))
	else
		echo "run $ex_i: exit $ex_rc: $(grep -E '^not ok|^Bail' $R/s2.$ex_i | head -n 3)" >>$R/bad
	fi
done
touch $R/stop
wait $ex_wp
read -r ex_ok ex_err <$R/writer.count
tap_diag "  exits: $ex_killed of $ex_n VMMs killed while their guests ran; writer: $ex_ok changes, $ex_err refused"
if [ "$ex_killed" = "$ex_n" ]; then
	e2e_pass "exits: all $ex_n VMMs were killed while their guests ran, during changes"
else
	e2e_fail "exits: all $ex_n VMMs were killed while their guests ran" "$(cat $R/bad)"
fi
if [ "$ex_ok" -gt 0 ] && [ "$ex_err" = 0 ]; then
	e2e_pass "exits: every change succeeded ($ex_ok)"
else
	e2e_fail "exits: every change succeeded" "$ex_ok ok, $ex_err refused:" \
		"$(sort $R/writer.err | uniq -c | head -n 5)"
fi
ex_applied=$(cat "$S/devices/$ex_dev/applied" 2>&1)
case $ex_applied in
*" bars="[1-9]*" mappings="*" ok") e2e_pass "exits: the device's last application: $ex_applied" ;;
*) e2e_fail "exits: the device's last application" "applied: $ex_applied" ;;
esac
e2e_dmesg_clean "exits: dmesg has no kernel warning, bug or stack dump"
e2e_check "exits: $ex_dev normal-nc" sh -c "echo normal-nc > $S/devices/$ex_dev/memattr"
e2e_s2test "exits: then, big" "$ex_dev" --expect normal-nc
e2e_check "exits: rmmod" rmmod kvm_s2attr
