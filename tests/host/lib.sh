# SPDX-License-Identifier: GPL-2.0
# Shared by the host-script tests (sourced): a scratch directory, TAP
# output and the final count. host_result ok|fail NAME [DIAGNOSTIC...];
# host_expect NAME GOT WANT: ok if GOT is WANT, else both shown;
# host_done NAME prints the plan and a summary and exits non-zero if any
# test failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host_n=0
host_failed=0

host_result() {
	local st=$1 name=$2 d
	shift 2
	host_n=$((host_n + 1))
	if [ "$st" = ok ]; then
		echo "ok $host_n - $name"
		return
	fi
	host_failed=$((host_failed + 1))
	echo "not ok $host_n - $name"
	for d in "$@"; do
		printf '%s\n' "$d" | sed 's/^/#   /'
	done
}

host_expect() {
	if [ "$2" = "$3" ]; then
		host_result ok "$1"
	else
		host_result fail "$1" "got:  $2" "want: $3"
	fi
}

host_done() {
	echo "1..$host_n"
	echo "$1: $((host_n - host_failed)) passed, $host_failed failed"
	[ "$host_failed" = 0 ]
}
