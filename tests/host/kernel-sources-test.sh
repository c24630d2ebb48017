#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of where scripts/common.sh takes Debian's kernels from: the
# sources.list of an apt set of several suites (apt_set_sources) and where
# its state lives (suite_dir). Pure functions, no network. TAP.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=../../scripts/common.sh
. "$top/scripts/common.sh"
CACHE=/cache

# expect NAME WANT GOT
expect() {
	if [ "$2" = "$3" ]; then
		host_result ok "$1"
	else
		host_result fail "$1" "want: $2" "got:  $3"
	fi
}

m=http://m.example/debian s=http://s.example/debian-security
expect "one suite: the line it always had" \
	"deb [arch=amd64,arm64] $m bookworm main" \
	"$(apt_set_sources bookworm "$m" "$s")"
expect "a suite list: -updates from the mirror, -security from the security mirror" \
	"deb [arch=amd64,arm64] $m bookworm main
deb [arch=amd64,arm64] $m bookworm-updates main
deb [arch=amd64,arm64] $s bookworm-security main" \
	"$(apt_set_sources "bookworm bookworm-updates bookworm-security" "$m" "$s")"
expect "no security mirror: the -security suite is left out" \
	"deb [arch=amd64,arm64] $m trixie main
deb [arch=amd64,arm64] $m trixie-updates main" \
	"$(apt_set_sources "trixie trixie-updates trixie-security" "$m" "")"
expect "one suite's state where it always was" /cache/apt/sid "$(suite_dir sid)"
expect "a list's state in its own directory" /cache/apt/bookworm+bookworm-security \
	"$(suite_dir "bookworm bookworm-security")"

host_done kernel-sources
