# SPDX-License-Identifier: GPL-2.0
# json-check.awk: exit 0 if the input is exactly one well-formed JSON value
# (RFC 8259 grammar; numbers, strings with escapes, nesting), else print
# where it went wrong and exit 1. POSIX awk, so that it also runs under
# busybox in the e2e guest, which has no python.
function fail(msg) {
	printf "json-check: %s at offset %d: \"%s\"\n", msg, pos, substr(s, pos, 20) > "/dev/stderr"
	bad = 1
	exit 1
}
function ws() { while (pos <= n && index(" \t\n\r", substr(s, pos, 1))) pos++ }
function lit(w) {
	if (substr(s, pos, length(w)) != w) fail("expected " w)
	pos += length(w)
}
function str(   c) {
	lit("\"")
	while (pos <= n) {
		c = substr(s, pos, 1)
		if (c == "\"") { pos++; return }
		if (c == "\\") {
			c = substr(s, pos + 1, 1)
			if (c == "u") {
				if (substr(s, pos + 2, 4) !~ /^[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]$/) fail("bad \\u escape")
				pos += 6
			} else if (index("\"\\/bfnrt", c)) pos += 2
			else fail("bad escape")
			continue
		}
		if (c < " ") fail("control character in string")
		pos++
	}
	fail("unterminated string")
}
function num(   rest) {
	rest = substr(s, pos)
	if (!match(rest, /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) fail("bad number")
	pos += RLENGTH
}
function value(   c) {
	ws()
	c = substr(s, pos, 1)
	if (c == "{") {
		pos++; ws()
		if (substr(s, pos, 1) == "}") { pos++; return }
		for (;;) {
			ws(); str(); ws(); lit(":"); value(); ws()
			c = substr(s, pos, 1)
			if (c == ",") { pos++; continue }
			if (c == "}") { pos++; return }
			fail("expected , or }")
		}
	}
	if (c == "[") {
		pos++; ws()
		if (substr(s, pos, 1) == "]") { pos++; return }
		for (;;) {
			value(); ws()
			c = substr(s, pos, 1)
			if (c == ",") { pos++; continue }
			if (c == "]") { pos++; return }
			fail("expected , or ]")
		}
	}
	if (c == "\"") { str(); return }
	if (c == "t") { lit("true"); return }
	if (c == "f") { lit("false"); return }
	if (c == "n") { lit("null"); return }
	if (c ~ /[-0-9]/) { num(); return }
	fail("expected a value")
}
{ s = s $0 "\n" }
END {
	if (bad) exit 1
	n = length(s); pos = 1
	value(); ws()
	if (pos <= n) fail("trailing text")
}
