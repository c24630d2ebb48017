#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of where scripts/common.sh takes Debian's kernels from: the
# kernel names and their flavours, metapackages and suites
# (kernel_source), the sources.list of an apt set of several suites
# (apt_set_sources) and where its state lives (suite_dir). Pure functions,
# no network. TAP.
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

# source_of NAME: kernel_source's line, or "refused" when it fails quietly.
source_of() {
	local out
	if out=$(kernel_source "$1"); then
		printf '%s\n' "$out"
	elif [ -z "$out" ]; then
		echo refused
	else
		echo "failed, printing: $out"
	fi
}
expect "bookworm: its arm64 flavour, security updates included" \
	"bookworm arm64 linux-headers-arm64 bookworm bookworm-updates bookworm-security" \
	"$(source_of bookworm)"
expect "-16k: arm64-16k" \
	"trixie arm64-16k linux-headers-arm64-16k trixie trixie-updates trixie-security" \
	"$(source_of trixie-16k)"
expect "bullseye: its point release only" \
	"bullseye arm64 linux-headers-arm64 bullseye" "$(source_of bullseye)"
expect "-rt: rt-arm64" "sid rt-arm64 linux-headers-rt-arm64 sid" "$(source_of sid-rt)"
expect "-cloud: cloud-arm64" \
	"bookworm cloud-arm64 linux-headers-cloud-arm64 bookworm bookworm-updates bookworm-security" \
	"$(source_of bookworm-cloud)"
expect "bookworm-612: linux-6.12's metapackage, from bookworm-security" \
	"bookworm arm64 linux-headers-6.12-arm64 bookworm bookworm-updates bookworm-security" \
	"$(source_of bookworm-612)"
expect "bookworm-612-16k: its 16k flavour" \
	"bookworm arm64-16k linux-headers-6.12-arm64-16k bookworm bookworm-updates bookworm-security" \
	"$(source_of bookworm-612-16k)"
bad=
for n in "" debug buster trixie-612 bookworm-16k-rt sid-64k -rt bookworm-612-612; do
	[ "$(source_of "$n")" = refused ] || bad="$bad '$n'"
done
expect "unknown names, two flavours, 612 on another release: refused" "" "$bad"
bad=
for n in $SUITES_ALL $SUITES_FLAVOURS; do
	read -r codename _ <<<"$(source_of "$n")"
	# toolchain.sh takes a name's release as what precedes its first "-".
	[ "$codename" = "${n%%-*}" ] || bad="$bad $n"
done
expect "every listed name is known, its release the part toolchain.sh takes" "" "$bad"

host_done kernel-sources
