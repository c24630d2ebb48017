#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# style.sh: checkpatch (from Debian's linux-source package, --strict) over
# the kernel sources; any ERROR or WARNING fails, CHECKs are listed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
checkpatch=$("$top/scripts/fetch-checkpatch.sh")

cd "$top"
files=$(find src tests/e2e/s2peek -name '*.[ch]' 2>/dev/null | sort)
# shellcheck disable=SC2086 # one argument per file
out=$(perl "$checkpatch" --no-tree --show-types --terse --strict -f $files | grep -v '^total:' || true)
bad=$(printf '%s\n' "$out" | grep -cE ': (ERROR|WARNING):' || true)
checks=$(printf '%s\n' "$out" | grep -cE ': CHECK:' || true)
[ -z "$out" ] || printf '%s\n' "$out"
echo "style: checkpatch $(cat "$(dirname "$checkpatch")/../VERSION") on $(echo "$files" | wc -w) files: $bad errors/warnings, $checks checks"
[ "$bad" = 0 ] || { echo "style: fix the errors and warnings above" >&2; exit 1; }
