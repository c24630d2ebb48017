# SPDX-License-Identifier: GPL-2.0
# Shared helpers for kvm-s2attr's host-side scripts (sourced, not run).
#
# Everything fetched lives under $KVM_S2ATTR_CACHE (default /var/cache/kvm-s2attr),
# outside the clone, so later runs and CI reuse it.

KVM_S2ATTR_CACHE=${KVM_S2ATTR_CACHE:-/var/cache/kvm-s2attr}
CACHE=$KVM_S2ATTR_CACHE
SUITES_ALL="bullseye bookworm trixie sid"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian mirror this machine already uses, read from its own apt
# configuration (deb822 or one-line format), never hard-coded.
debian_mirror() {
	local uri
	uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources |
		awk '{for (i = 2; i <= NF; i++) print $i}' |
		grep -E '/debian/?$' | head -n 1)
	[ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
		awk '{for (i = 2; i <= NF; i++) if ($i ~ /^(http|https|file):/) { print $i; break }}' |
		grep -E '/debian/?$' | head -n 1)
	[ -n "$uri" ] || die "no Debian mirror (a URI ending in /debian) found in /etc/apt"
	printf '%s\n' "${uri%/}"
}

# suite_apt SUITE APT-GET-ARGS...: apt-get on a private configuration that
# sees only SUITE (main, amd64 + arm64). Release signatures are checked with
# the host's keyrings as usual (not their Valid-Until date: the mirror may
# serve a snapshot); nothing under / is touched.
suite_apt() {
	local suite=$1 dir=$CACHE/apt/$1
	shift
	if [ ! -f "$dir/sources.list" ]; then
		mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/parts"
		: > "$dir/status"
		printf 'deb [arch=amd64,arm64] %s %s main\n' "$(debian_mirror)" "$suite" > "$dir/sources.list"
	fi
	apt-get -q \
		-o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts="$dir/parts" \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::State::status="$dir/status" \
		-o Dir::Cache="$dir" \
		-o Dir::Cache::archives="$dir/archives" \
		-o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
		-o Acquire::Languages=none \
		-o APT::Sandbox::User=root \
		-o Acquire::Check-Valid-Until=false \
		"$@"
}

suite_apt_cache() {
	local suite=$1 dir=$CACHE/apt/$1
	shift
	apt-cache \
		-o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts="$dir/parts" \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::State::status="$dir/status" \
		-o Dir::Cache="$dir" \
		-o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
		"$@"
}

# Refresh a suite's package lists at most once every 12 hours.
suite_update() {
	local stamp=$CACHE/apt/$1/updated
	if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -720)" ]; then
		return 0
	fi
	log "apt: updating package lists for $1"
	suite_apt "$1" update >/dev/null || die "apt-get update failed for suite $1"
	touch "$stamp"
}
