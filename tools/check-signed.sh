#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-signed.sh MODULE...: exit 0 if every module (.ko, .ko.xz, .ko.zst or
# .ko.gz) carries an appended module signature ("~Module signature
# appended~" trailer), else name the unsigned ones and exit 1 (2: usage or
# unreadable file). dkms does not fail a build whose signing failed, so a
# build that was meant to be signed must be checked with this.
[ $# -gt 0 ] || { echo "usage: check-signed.sh MODULE..." >&2; exit 2; }
magic='~Module signature appended~'
rc=0
for ko in "$@"; do
	case $ko in
	*.xz) cat='xz -dc' ;;
	*.zst) cat='zstd -qdc' ;;
	*.gz) cat='gzip -dc' ;;
	*) cat='cat' ;;
	esac
	if ! tail=$($cat "$ko" | tail -c 28 | tr -d '\n'); then
		echo "check-signed: cannot read $ko" >&2
		exit 2
	fi
	if [ "$tail" = "$magic" ]; then
		signer=$(modinfo -F signer "$ko" 2>/dev/null || true)
		echo "check-signed: $ko: signed${signer:+ by \"$signer\"}"
	else
		echo "check-signed: $ko: NOT signed (no \"$magic\" trailer)" >&2
		rc=1
	fi
done
exit $rc
