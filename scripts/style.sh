#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# style.sh: checkpatch (from Debian's linux-source package, --strict) over
# the kernel sources; any ERROR or WARNING fails, CHECKs are listed. Passes
# only if checkpatch printed its "total:" line for every file: a file it
# did not get to, or a checkpatch that died, is a failure, not a pass.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
checkpatch=$("$top/scripts/fetch-checkpatch.sh")

cd "$top"
files=$(find src tests/e2e/s2peek -name '*.[ch]' 2>/dev/null | sort)
[ -n "$files" ] || { echo "style: no files to check" >&2; exit 1; }
rc=0
# shellcheck disable=SC2086 # one argument per file
out=$(perl "$checkpatch" --no-tree --show-types --strict --emacs --summary-file -f $files 2>&1) || rc=$?
# Problems, one line each ("FILE:LINE: TYPE:NAME: message").
printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK):' || true
# Per-file totals: "FILE total: E errors, W warnings, C checks, L lines checked".
totals=$(printf '%s\n' "$out" |
	sed -n 's/^\([^ ]*\) total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks, [0-9]* lines checked$/\1 \2 \3 \4/p')
missing=
for f in $files; do
	grep -q "^$f " <<<"$totals" || missing="$missing $f"
done
read -r bad checks < <(awk '{ b += $2 + $3; c += $4 } END { print b + 0, c + 0 }' <<<"$totals")
echo "style: checkpatch $(cat "$(dirname "$checkpatch")/../VERSION") on $(echo "$files" | wc -w) files: $bad errors/warnings, $checks checks"
if [ -n "$missing" ]; then
	printf '%s\n' "$out" | tail -n 5 >&2
	echo "style: checkpatch printed no total for:$missing (exit status $rc)" >&2
	exit 1
fi
[ "$bad" = 0 ] || { echo "style: fix the errors and warnings above" >&2; exit 1; }
