#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit test of the apt source reading in scripts/common.sh (apt_entries,
# debian_mirror) on made-up /etc/apt trees: one-line and deb822 formats,
# options, disabled stanzas, deb-src, mirror+file: lists, URIs that do not
# end in /debian, and the refusals. Emits 12 tests (TAP).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
printf 'VERSION_CODENAME=bookworm\n' >"$tmp/os-release"
export OS_RELEASE=$tmp/os-release

# mirror ETC [security]: debian_mirror's output and exit status, in a subshell.
mirror() {
	APT_ETC=$1 bash -c '. "$0/scripts/common.sh"; debian_mirror "$@"' "$top" "${@:2}" 2>"$tmp/err"
}
# expect NAME WANT GOT
expect() {
	if [ "$2" = "$3" ]; then
		host_result ok "$1"
	else
		host_result fail "$1" "want: $2" "got:  $3"
	fi
}
# refuses NAME PATTERN ETC [security]: debian_mirror fails, PATTERN in its message.
refuses() {
	local out rc=0
	out=$(mirror "${@:3}") || rc=$?
	if [ "$rc" != 0 ] && [ -z "$out" ] && grep -q -- "$2" "$tmp/err"; then
		host_result ok "$1"
	else
		host_result fail "$1" "rc=$rc out=$out err=$(cat "$tmp/err")"
	fi
}
mk() { rm -rf "$tmp/$1"; mkdir -p "$tmp/$1/sources.list.d"; }

mk line
cat >"$tmp/line/sources.list" <<'S'
# comment
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://a.example/debian/ bookworm main contrib
deb [ arch=amd64 ] http://sec.example/debian-security bookworm-security main
S
expect "one-line: options skipped, trailing slash dropped" http://a.example/debian "$(mirror "$tmp/line")"
expect "one-line: the -security suite's URI" http://sec.example/debian-security "$(mirror "$tmp/line" security)"

mk d822
cat >"$tmp/d822/sources.list.d/debian.sources" <<'S'
Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
URIs: http://off.example/debian
Suites: bookworm
Enabled: no

Types: deb deb-src
URIs: http://mirror.example/
 http://second.example/debian
Suites: trixie bookworm-updates
Components: main

Types: deb
URIs: https://sec.example/x
Suites: bookworm-security
S
expect "deb822: disabled and deb-src stanzas skipped, URI without /debian" http://mirror.example "$(mirror "$tmp/d822")"
expect "deb822: security" https://sec.example/x "$(mirror "$tmp/d822" security)"
entries=$(APT_ETC=$tmp/d822 bash -c '. "$0/scripts/common.sh"; apt_entries' "$top" | wc -l)
expect "deb822: continuation lines and every URI x suite pair" 5 "$entries"

mk mf
printf '# list\n\nhttp://listed.example/debian\tpriority:1\nhttp://other.example/debian\n' >"$tmp/mf/debian.lst"
cat >"$tmp/mf/sources.list.d/debian.sources" <<S
Types: deb
URIs: mirror+file:$tmp/mf/debian.lst
Suites: bookworm bookworm-updates
S
expect "mirror+file: the list's first mirror" http://listed.example/debian "$(mirror "$tmp/mf")"

mk mfmissing
printf 'deb mirror+file:/nonexistent/debian.lst bookworm main\n' >"$tmp/mfmissing/sources.list"
refuses "mirror+file: an unreadable list is refused, naming it" "cannot read the mirror list /nonexistent/debian.lst" "$tmp/mfmissing"

mk http
printf 'deb mirror+http://lists.example/mirrors.txt bookworm main\n' >"$tmp/http/sources.list"
refuses "mirror+http: refused as unsupported" "only http, https, file and mirror+file" "$tmp/http"

mk other
printf 'deb http://a.example/debian trixie main\n' >"$tmp/other/sources.list"
refuses "no entry for this machine's suite: refused" "no apt source for bookworm" "$tmp/other"
refuses "no security entry: refused when asked for" "no apt source for bookworm-security" "$tmp/other" security

mk empty
refuses "no sources at all: refused" "no apt source" "$tmp/empty"
printf 'VERSION_CODENAME=\n' >"$tmp/os-release"
refuses "unknown release: refused" "VERSION_CODENAME" "$tmp/line"

host_done apt-sources
