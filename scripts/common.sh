# SPDX-License-Identifier: GPL-2.0
# Shared helpers for kvm-s2attr's host-side scripts (sourced, not run).
#
# Everything fetched lives under $KVM_S2ATTR_CACHE (default /var/cache/kvm-s2attr),
# outside the clone, so later runs and CI reuse it.

KVM_S2ATTR_CACHE=${KVM_S2ATTR_CACHE:-/var/cache/kvm-s2attr}
CACHE=$KVM_S2ATTR_CACHE
# The kernels the scripts fetch, build and boot are named for a Debian
# release (its codename; bookworm-612 for the linux-6.12 built for
# bookworm), followed, for one of Debian's other arm64 flavours, by -16k
# (arm64-16k: 16 KiB pages), -rt (rt-arm64: PREEMPT_RT) or -cloud
# (cloud-arm64: a trimmed configuration); see kernel_source. SUITES_ALL
# are the default arm64 flavour of each release, what make check covers;
# SUITES_FLAVOURS the others (scripts/build-matrix.sh flavours).
SUITES_ALL="bullseye bookworm trixie sid"
SUITES_FLAVOURS="bookworm-612 bookworm-612-16k bookworm-rt bookworm-cloud"
SUITES_FLAVOURS="$SUITES_FLAVOURS trixie-16k trixie-rt trixie-cloud sid-16k sid-rt sid-cloud"
# Kernels built here with the kernel's own checkers on (debug-kernel.sh).
SUITES_DEBUG="debug debug-612"

# cache_lock: hold the machine-wide lock on $CACHE until this process and
# its children are done, waiting (and saying so) while another run holds
# it, so that two clones never write the shared cache, or boot QEMU, at
# once. Called first by every script that writes the cache; its children
# inherit the lock (KVM_S2ATTR_CACHE_LOCKED, fd 8) and pass.
cache_lock() {
	[ "${KVM_S2ATTR_CACHE_LOCKED:-}" != "$CACHE" ] || return 0
	mkdir -p "$CACHE"
	exec 8>>"$CACHE/.lock"
	if ! flock -n 8; then
		log "waiting for another kvm-s2attr run, which holds $CACHE/.lock"
		flock 8
	fi
	export KVM_S2ATTR_CACHE_LOCKED=$CACHE
}

# module_source_copy DEST: what a build of the module needs (what DKMS
# gets, see debian/rules), copied into the existing folder DEST.
module_source_copy() {
	local top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	cp -a "$top/Kbuild" "$top/Makefile" "$top/VERSION" "$top/src" "$top/scripts" "$1/"
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_entries: "URI SUITE" for every enabled binary ("deb") source of this
# machine's apt configuration ($APT_ETC, default /etc/apt), one-line and
# deb822 formats alike; a mirror+file: URI is replaced by the first mirror
# its list names.
apt_entries() {
	local etc=${APT_ETC:-/etc/apt} f uri suite list
	{
		for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk '$1 == "deb" {
				i = 2
				if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if (i + 1 <= NF) print $i, $(i + 1)
			}' "$f"
		done
		for f in "$etc"/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk 'BEGIN { RS = ""; FS = "\n" }
			{
				delete v; key = ""
				for (l = 1; l <= NF; l++) {
					line = $l
					if (line ~ /^#/) continue
					if (line ~ /^[ \t]/ && key != "") { v[key] = v[key] " " line; continue }
					n = index(line, ":")
					if (!n) continue
					key = tolower(substr(line, 1, n - 1))
					v[key] = substr(line, n + 1)
				}
				if (tolower(v["enabled"]) ~ /no/ || v["types"] !~ /(^|[ \t])deb([ \t]|$)/) next
				nu = split(v["uris"], u, /[ \t]+/); ns = split(v["suites"], su, /[ \t]+/)
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
					if (u[i] != "" && su[j] != "") print u[i], su[j]
			}' "$f"
		done
	} | while read -r uri suite; do
		case $uri in
		mirror+file:*)
			list=${uri#mirror+file:}
			[ -r "$list" ] || { echo "unreadable-mirror-list:$list $suite"; continue; }
			uri=$(awk '!/^[ \t]*(#|$)/ { print $1; exit }' "$list")
			[ -n "$uri" ] || uri="empty-mirror-list:$list"
			;;
		esac
		printf '%s %s\n' "$uri" "$suite"
	done
}

# host_codename: this machine's Debian codename (bookworm on Debian 12).
host_codename() {
	sed -n 's/^VERSION_CODENAME=//p' "${OS_RELEASE:-/etc/os-release}" 2>/dev/null | tr -d '"'
}

# debian_mirror [security]: the Debian mirror this machine already uses,
# read from its own apt configuration, never hard-coded: the URI of the
# entry for its own suite (bookworm, or bookworm-updates), or with
# "security" that of its -security suite. Dies, naming what it read, when
# there is none or it is not a URI apt-get can use from here.
debian_mirror() {
	local want=${1:-main} codename uri entries
	codename=$(host_codename)
	[ -n "$codename" ] || die "cannot tell this machine's Debian release (no VERSION_CODENAME in /etc/os-release)"
	entries=$(apt_entries)
	if [ "$want" = security ]; then
		uri=$(awk -v s="$codename-security" '$2 == s { print $1; exit }' <<<"$entries")
	else
		uri=$(awk -v s="$codename" '$2 == s || $2 == s "-updates" { print $1; exit }' <<<"$entries")
	fi
	[ -n "$uri" ] || die "no apt source for $codename${1:+-$1} in ${APT_ETC:-/etc/apt} (entries read: $(tr '\n' ';' <<<"$entries"))"
	case $uri in
	http://* | https://* | file:/*) ;;
	unreadable-mirror-list:*) die "cannot read the mirror list ${uri#*:} named by a mirror+file: apt source" ;;
	empty-mirror-list:*) die "the mirror list ${uri#*:} named by a mirror+file: apt source names no mirror" ;;
	*) die "apt source '$uri' for $codename${1:+-$1}: only http, https, file and mirror+file URIs are supported" ;;
	esac
	printf '%s\n' "${uri%/}"
}

# chroot_sh ROOT LOG SCRIPT: run SCRIPT with sh inside the chroot ROOT,
# with its own /proc (in a private mount namespace, so nothing stays
# mounted), output appended to LOG.
chroot_sh() {
	unshare --mount --propagation private sh -c '
		mount -t proc proc "$0/proc" && chroot "$0" sh -c "$1"
	' "$1" "$3" >>"$2" 2>&1
}

# kernel_source NAME: where the kernel called NAME (see SUITES_ALL) comes
# from, as one line "CODENAME FLAVOUR METAPACKAGE SUITE...": the Debian
# release whose toolchain builds it, Debian's name for its flavour (arm64,
# arm64-16k, rt-arm64, cloud-arm64), the headers metapackage whose
# dependency names its newest ABI, and the suites a host of that release
# takes kernels from, for suite_apt. Fails, printing nothing, for a name
# it does not know.
kernel_source() {
	local name=$1 series flavour=arm64 meta=linux-headers- suites
	case $name in
	*-16k) flavour=arm64-16k series=${name%-16k} ;;
	*-rt) flavour=rt-arm64 series=${name%-rt} ;;
	*-cloud) flavour=cloud-arm64 series=${name%-cloud} ;;
	*) series=$name ;;
	esac
	case $series in
	# Security updates included, as on a host: the -security suites carry
	# newer kernels than the releases' last point releases. Not for
	# bullseye: its (LTS) security suite lists arm64 kernels whose
	# packages the mirror does not serve (404), only amd64's and all's.
	# sid has no security suite.
	bookworm | trixie) suites="$series $series-updates $series-security" ;;
	bullseye | sid) suites=$series ;;
	# linux-6.12 for bookworm (6.12.N+deb12, gcc-12) is only in
	# bookworm-security; its metapackages are linux-headers-6.12-*.
	bookworm-612) meta=linux-headers-6.12- suites="bookworm bookworm-updates bookworm-security" ;;
	*) return 1 ;;
	esac
	printf '%s %s %s%s %s\n' "${series%-612}" "$flavour" "$meta" "$flavour" "$suites"
}

# apt_set_sources SUITES MIRROR SECURITY: the sources.list of an apt set,
# one "deb" line per suite of SUITES (a space-separated list, e.g.
# "bookworm bookworm-updates bookworm-security"): a -security suite from
# SECURITY, any other from MIRROR, main only, amd64 and arm64. With
# SECURITY empty (this machine has no security source) the -security
# suites are left out.
apt_set_sources() {
	local s
	for s in $1; do
		case $s in
		*-security) [ -z "$3" ] || printf 'deb [arch=amd64,arm64] %s %s main\n' "$3" "$s" ;;
		*) printf 'deb [arch=amd64,arm64] %s %s main\n' "$2" "$s" ;;
		esac
	done
}

# suite_dir SUITES: where the apt set of SUITES keeps its state; a single
# suite's is $CACHE/apt/SUITE, as it always was.
suite_dir() {
	local s=$1
	printf '%s\n' "$CACHE/apt/${s// /+}"
}

# suite_apt SUITES APT-GET-ARGS...: apt-get on a private configuration that
# sees only SUITES (one suite, or a space-separated list whose newest
# versions win, as on a host that has them all; main, amd64 + arm64).
# Release signatures are checked with the host's keyrings as usual (not
# their Valid-Until date: the mirror may serve a snapshot); nothing under /
# is touched. The sources are rewritten, and the lists refreshed, when this
# machine's mirrors change.
suite_apt() {
	local dir security='' sources
	dir=$(suite_dir "$1")
	case " $1 " in
	*-security" "*)
		security=$(debian_mirror security 2>/dev/null) ||
			log "apt: this machine has no security source: $1 without its -security suite"
		;;
	esac
	sources=$(apt_set_sources "$1" "$(debian_mirror)" "$security")
	if [ "$(cat "$dir/sources.list" 2>/dev/null)" != "$sources" ]; then
		mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/parts"
		[ -f "$dir/status" ] || : > "$dir/status"
		printf '%s\n' "$sources" > "$dir/sources.list"
		rm -f "$dir/updated"
	fi
	shift
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
	local dir
	dir=$(suite_dir "$1")
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

# suite_update SUITES: refresh the package lists of SUITES (one suite or a
# list, as for suite_apt) at most once every 12 hours.
suite_update() {
	local stamp
	stamp=$(suite_dir "$1")/updated
	if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -720)" ]; then
		return 0
	fi
	log "apt: updating package lists for $1"
	suite_apt "$1" update >/dev/null || die "apt-get update failed for $1"
	touch "$stamp"
}
