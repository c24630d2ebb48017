#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of cache_lock (scripts/common.sh): a second run on the same
# cache waits until the first is done, a child of the holder does not, and
# a run on another cache does not. Emits 3 tests (TAP).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# run CACHE NAME SECONDS: take the lock, record when, hold it SECONDS.
run() {
	KVM_S2ATTR_CACHE=$1 bash -c '. "$0/scripts/common.sh"; cache_lock; date +%s.%N >"$1"; sleep "$2"' \
		"$top" "$tmp/$2" "$3" 2>>"$tmp/$2.err"
}
elapsed() { awk -v a="$(cat "$tmp/$1")" -v b="$(cat "$tmp/$2")" 'BEGIN { printf "%.1f", b - a }'; }

run "$tmp/c1" first 2 &
sleep 0.5
run "$tmp/c1" second 0
wait
d=$(elapsed first second)
if awk -v d="$d" 'BEGIN { exit !(d >= 1.9) }' && grep -q "waiting for another kvm-s2attr run" "$tmp/second.err"; then
	host_result ok "a second run on the same cache waits for the first (${d}s) and says so"
else
	host_result fail "a second run on the same cache waits for the first" "got ${d}s" "$(cat "$tmp/second.err")"
fi

KVM_S2ATTR_CACHE=$tmp/c2 timeout 10 bash -c '. "$0/scripts/common.sh"; cache_lock
	KVM_S2ATTR_CACHE=$KVM_S2ATTR_CACHE bash -c ". \"$0/scripts/common.sh\"; cache_lock; echo child-in"' "$top" \
	>"$tmp/child.out" 2>&1
if grep -q child-in "$tmp/child.out"; then
	host_result ok "a child of the holder passes"
else
	host_result fail "a child of the holder passes" "$(cat "$tmp/child.out")"
fi

run "$tmp/c3" third 2 &
sleep 0.5
run "$tmp/c4" fourth 0
wait
d=$(elapsed third fourth)
if awk -v d="$d" 'BEGIN { exit !(d < 1.5) }'; then
	host_result ok "a run on another cache does not wait (${d}s)"
else
	host_result fail "a run on another cache does not wait" "got ${d}s"
fi
host_done cache-lock
