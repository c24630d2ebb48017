# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# tests/fleet/host.sh: "fleet" hosts, real Debian arm64 systems (the image
# of scripts/fleet-image.sh) booted under QEMU with EL2 (VHE: KVM works
# inside them) and reached over SSH on 127.0.0.1 only. A bash library,
# sourced by a test driver; every function is fleet_*, returns non-zero
# (with a message on stderr) on failure and leaves the caller's shell
# options alone. Progress goes to stderr.
#
#   fleet_host_start NAME PORT SLOT_A SLOT_B
#       boot host NAME: a qcow2 overlay of the cached image, the stock
#       kernel and the image's own initramfs (-kernel/-initrd), 2 vCPUs,
#       FLEET_MEM of RAM, two ivshmem-plain devices (1af4:1110; A: 1 MiB,
#       B: 64 MiB BAR2, backed by files in /dev/shm) at PCI slots SLOT_A
#       and SLOT_B of bus 0 (decimal, 1 to 31: 3 and 4 are run.sh's
#       0000:00:03.0 and 0000:00:04.0; 16 is 0000:00:10.0), which
#       the host binds to vfio-pci at boot, and one virtio-net whose only
#       way out is 127.0.0.1:PORT -> the host's port 22 (restrict=on: the
#       guest reaches nothing else). Waits until ssh works.
#   fleet_ssh NAME CMD...       ssh to NAME as root; CMD is one remote
#                               shell command line, as for ssh
#   fleet_scp_to NAME SRC... DST   copy files to NAME (DST on the host)
#   fleet_scp_from NAME SRC DST    copy a file from NAME
#   fleet_host_reboot NAME      fetch NAME's current /boot/initrd.img-KVER,
#                               power it off cleanly, boot it again with
#                               that initramfs (what a reboot is here)
#   fleet_host_stop NAME        clean poweroff over ssh; killed after
#                               FLEET_STOP_TIMEOUT seconds
#   fleet_stop_all              stop every host of FLEET_RUN still running
#   fleet_inventory_line NAME   NAME's line of an Ansible inventory
#   fleet_write_inventory FILE NAME...   an inventory of group [fleet]
#
# A guest that reboots by itself (reboot, Ansible's reboot module) makes
# its QEMU exit (-no-reboot): QEMU would otherwise boot the initramfs it
# was started with, not the one the host may have made since. Reboot
# through fleet_host_reboot.
#
# Per host, in FLEET_RUN/NAME/ (kept after a stop, replaced by the next
# start): disk.qcow2 (overlay), initrd.img (what QEMU boots), console.log
# (the serial console, every boot appended), qemu.cmd, qemu.log, host.env.
# After a successful boot or reboot FLEET_BOOT_SECONDS holds the seconds
# from QEMU's start to a working ssh.
#
# Environment (defaults in parentheses):
#   FLEET_SUITE (trixie)     the image's Debian suite
#   FLEET_QEMU (trixie)      the QEMU: a Debian suite's, from its chroot
#                            (scripts/qemu-suite.sh, as tests/e2e/run.sh
#                            --qemu and make's E2E_QEMU), or "host"
#   FLEET_RUN (out/fleet)    the run directory
#   FLEET_MEM (3G), FLEET_SMP (2)
#   FLEET_BOOT_TIMEOUT (900) seconds from QEMU's start to ssh
#   FLEET_STOP_TIMEOUT (180) seconds for a clean poweroff
#
# Booting takes the project's machine-wide cache lock (cache_lock in
# scripts/common.sh), which every QEMU started here inherits.

fleet_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/common.sh
. "$fleet_top/scripts/common.sh"

: "${FLEET_SUITE:=trixie}"
: "${FLEET_QEMU:=trixie}"
: "${FLEET_RUN:=$fleet_top/out/fleet}"
: "${FLEET_MEM:=3G}"
: "${FLEET_SMP:=2}"
: "${FLEET_BOOT_TIMEOUT:=900}"
: "${FLEET_STOP_TIMEOUT:=180}"
# shellcheck disable=SC2034 # for the caller
FLEET_BOOT_SECONDS=

fleet_log() { log "fleet: $*"; }
fleet_err() {
	printf 'fleet: error: %s\n' "$*" >&2
	return 1
}

# fleet_image: the cached image of FLEET_SUITE (built on first use); sets
# FLEET_IMAGE, FLEET_KEY, FLEET_KVER, FLEET_KERNEL, FLEET_INITRD, ...
fleet_image() {
	local out
	[ -z "${FLEET_IMAGE:-}" ] || [ "${FLEET_IMAGE_SUITE:-}" != "$FLEET_SUITE" ] || return 0
	out=$("$fleet_top/scripts/fleet-image.sh" "$FLEET_SUITE") ||
		fleet_err "scripts/fleet-image.sh $FLEET_SUITE failed" || return 1
	# NAME=value lines, shell-quoted by fleet-image.sh.
	eval "$out"
	FLEET_IMAGE_SUITE=$FLEET_SUITE
}

# fleet_qemu_bin: the qemu-system-aarch64 to run (FLEET_QEMU_BIN).
fleet_qemu_bin() {
	[ -z "${FLEET_QEMU_BIN:-}" ] || return 0
	if [ "$FLEET_QEMU" = host ]; then
		FLEET_QEMU_BIN="qemu-system-aarch64"
	else
		FLEET_QEMU_BIN=$("$fleet_top/scripts/qemu-suite.sh" "$FLEET_QEMU") ||
			fleet_err "no QEMU from $FLEET_QEMU (scripts/qemu-suite.sh)" || return 1
	fi
}

fleet_dir() { printf '%s/%s\n' "$FLEET_RUN" "$1"; }

# fleet_get NAME KEY: KEY's value in NAME's host.env (port, key, kver,
# dir, shm, slot_a, slot_b, ...).
fleet_get() {
	local f
	f=$(fleet_dir "$1")/host.env
	[ -f "$f" ] || fleet_err "no host $1 (no $f)" || return 1
	# shellcheck disable=SC1090 # written by fleet_host_start
	(. "$f" && v=h_$2 && printf '%s\n' "${!v:?no $2 in $f}")
}

# fleet_alive NAME: NAME's QEMU is running (the pid recorded at its boot,
# still a QEMU on NAME's disk: never another process that got the pid).
fleet_alive() {
	local dir pid state
	dir=$(fleet_dir "$1")
	pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ] || return 1
	tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qF "file=$dir/disk.qcow2,"
}

fleet_ssh_opts() {
	printf '%s\n' -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR -o IdentitiesOnly=yes \
		-o ServerAliveInterval=15 -o ServerAliveCountMax=4
}

fleet_ssh() {
	local name=${1:?usage: fleet_ssh NAME CMD...} opts port key
	shift
	port=$(fleet_get "$name" port) && key=$(fleet_get "$name" key) || return 1
	mapfile -t opts < <(fleet_ssh_opts)
	ssh -i "$key" -p "$port" "${opts[@]}" root@127.0.0.1 "$@"
}

fleet_scp_to() {
	local name=${1:?usage: fleet_scp_to NAME SRC... DST} opts dst port key
	shift
	[ $# -ge 2 ] || fleet_err "usage: fleet_scp_to NAME SRC... DST" || return 1
	port=$(fleet_get "$name" port) && key=$(fleet_get "$name" key) || return 1
	mapfile -t opts < <(fleet_ssh_opts)
	dst=${*: -1}
	scp -q -i "$key" -P "$port" "${opts[@]}" "${@:1:$#-1}" "root@127.0.0.1:$dst"
}

fleet_scp_from() {
	local name=${1:?usage: fleet_scp_from NAME SRC DST} opts port key
	port=$(fleet_get "$name" port) && key=$(fleet_get "$name" key) || return 1
	mapfile -t opts < <(fleet_ssh_opts)
	scp -q -i "$key" -P "$port" "${opts[@]}" "root@127.0.0.1:${2:?}" "${3:?}"
}

# fleet_console_tail NAME [N]: the last N (3) non-empty console lines.
fleet_console_tail() {
	tail -c 8192 "$(fleet_dir "$1")/console.log" 2>/dev/null |
		sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' | grep -v '^[[:space:]]*$' |
		tail -n "${2:-3}" | cut -c1-160
}

fleet_host_start() {
	local name=${1:-} port=${2:-} slot_a=${3:-} slot_b=${4:-} dir shm s
	local usage="usage: fleet_host_start NAME PORT SLOT_A SLOT_B"
	[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || fleet_err "$usage (NAME: letters, digits, _ . -)" || return 1
	[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] ||
		fleet_err "$usage (PORT: 1024 to 65535)" || return 1
	for s in "$slot_a" "$slot_b"; do
		[[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge 1 ] && [ "$s" -le 31 ] ||
			fleet_err "$usage (SLOT: a PCI slot on bus 0, 1 to 31)" || return 1
	done
	[ "$slot_a" != "$slot_b" ] || fleet_err "$usage (two different slots)" || return 1
	! fleet_alive "$name" || fleet_err "host $name is already running" || return 1
	# Nothing else may listen on the port: the forward would fail, or
	# ssh would reach someone else.
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		fleet_err "127.0.0.1:$port is in use" || return 1
	fi
	cache_lock
	fleet_image || return 1
	fleet_qemu_bin || return 1

	dir=$(fleet_dir "$name")
	rm -rf "$dir"
	mkdir -p "$dir" || return 1
	qemu-img create -q -f qcow2 -F qcow2 -b "$FLEET_IMAGE" "$dir/disk.qcow2" ||
		fleet_err "$name: qemu-img create failed" || return 1
	cp "$FLEET_INITRD" "$dir/initrd.img" || return 1
	shm=$(mktemp -d "/dev/shm/kvm-s2attr-fleet-$name.XXXXXX") || return 1
	truncate -s 1M "$shm/a.bin" && truncate -s 64M "$shm/b.bin" || return 1
	{
		printf 'h_%s=%q\n' name "$name" dir "$dir" port "$port" slot_a "$slot_a" \
			slot_b "$slot_b" shm "$shm" kver "${FLEET_KVER:?}" key "${FLEET_KEY:?}" \
			kernel "$FLEET_KERNEL" uuid "$FLEET_ROOT_UUID" qemu "$FLEET_QEMU_BIN"
		printf 'h_boots=0\n'
	} >"$dir/host.env"
	fleet_boot "$name"
}

# fleet_boot NAME: start NAME's QEMU as host.env says, wait for ssh.
fleet_boot() {
	local name=$1
	local qemu pid t0 next=20 elapsed dir port slot_a slot_b shm kver kernel uuid bin boots
	dir=$(fleet_dir "$name")
	port=$(fleet_get "$name" port) && slot_a=$(fleet_get "$name" slot_a) &&
		slot_b=$(fleet_get "$name" slot_b) && shm=$(fleet_get "$name" shm) &&
		kver=$(fleet_get "$name" kver) && kernel=$(fleet_get "$name" kernel) &&
		uuid=$(fleet_get "$name" uuid) && bin=$(fleet_get "$name" qemu) &&
		boots=$(fleet_get "$name" boots) || return 1
	boots=$((boots + 1))
	sed -i "s/^h_boots=.*/h_boots=$boots/" "$dir/host.env"
	# Copied from tests/e2e/run.sh (VHE): EL2 so that KVM works inside,
	# an SMMUv3 so that vfio-pci does. Disk and NIC are virtio-mmio, off
	# the PCI bus, which holds only the two ivshmem devices.
	# shellcheck disable=SC2054 # commas are QEMU option syntax
	qemu=("$bin"
		-M virt,virtualization=on,gic-version=3,iommu=smmuv3
		-cpu max,pauth-impdef=on -smp "$FLEET_SMP" -m "$FLEET_MEM"
		-display none -monitor none -audio none -no-reboot
		-chardev "file,id=con,path=$dir/console.log,append=on" -serial chardev:con
		-kernel "$kernel" -initrd "$dir/initrd.img"
		-append "root=UUID=$uuid ro console=ttyAMA0 panic=-1 systemd.ssh_auto=no"
		-drive "if=none,id=disk,file=$dir/disk.qcow2,format=qcow2,discard=unmap"
		-device virtio-blk-device,drive=disk
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22"
		-device virtio-net-device,netdev=n0
		-object "memory-backend-file,id=mem-a,size=1M,mem-path=$shm/a.bin,share=on"
		-device "ivshmem-plain,memdev=mem-a,addr=$(printf %x "$slot_a")"
		-object "memory-backend-file,id=mem-b,size=64M,mem-path=$shm/b.bin,share=on"
		-device "ivshmem-plain,memdev=mem-b,addr=$(printf %x "$slot_b")")
	printf '%q ' "${qemu[@]}" >"$dir/qemu.cmd"
	echo >>"$dir/qemu.cmd"
	printf '\n==== fleet: boot %s of %s, %s\n' "$boots" "$name" "$(date '+%F %T')" >>"$dir/console.log"
	fleet_log "$name: booting $kver (boot $boots, ssh on 127.0.0.1:$port, ivshmem at 00:$(printf '%02x' "$slot_a").0 and 00:$(printf '%02x' "$slot_b").0, console: $dir/console.log)"
	t0=$SECONDS
	"${qemu[@]}" </dev/null >>"$dir/qemu.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/qemu.pid"
	while :; do
		elapsed=$((SECONDS - t0))
		if fleet_ssh "$name" true </dev/null 2>/dev/null; then
			# shellcheck disable=SC2034 # for the caller
			FLEET_BOOT_SECONDS=$((SECONDS - t0))
			fleet_log "$name: ssh works after ${FLEET_BOOT_SECONDS}s"
			return 0
		fi
		if ! fleet_alive "$name"; then
			wait "$pid" 2>/dev/null || true
			fleet_log "$name: QEMU exited before ssh worked; qemu.log: $(tail -n 3 "$dir/qemu.log" | tr '\n' ' ')"
			fleet_console_tail "$name" 10 >&2
			return 1
		fi
		if [ "$elapsed" -ge "$FLEET_BOOT_TIMEOUT" ]; then
			fleet_log "$name: no ssh after ${elapsed}s (FLEET_BOOT_TIMEOUT), last console lines:"
			fleet_console_tail "$name" 10 >&2
			fleet_kill "$name"
			return 1
		fi
		if [ "$elapsed" -ge "$next" ]; then
			fleet_log "$name: [${elapsed}s] waiting for ssh; console: $(fleet_console_tail "$name" 1)"
			next=$((next + 30))
		fi
		sleep 3
	done
}

# fleet_kill NAME: end NAME's QEMU now (TERM, then KILL).
fleet_kill() {
	local pid n=0
	fleet_alive "$1" || return 0
	pid=$(cat "$(fleet_dir "$1")/qemu.pid")
	kill -TERM "$pid" 2>/dev/null || true
	while fleet_alive "$1" && [ "$n" -lt 10 ]; do
		sleep 1
		n=$((n + 1))
	done
	! fleet_alive "$1" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

# fleet_shutdown NAME: clean poweroff over ssh, waiting for QEMU to exit;
# non-zero (after killing it) if it did not within FLEET_STOP_TIMEOUT.
fleet_shutdown() {
	local name=$1 pid t0
	fleet_alive "$name" || return 0
	pid=$(cat "$(fleet_dir "$name")/qemu.pid")
	fleet_log "$name: powering off"
	t0=$SECONDS
	fleet_ssh "$name" systemctl --no-block poweroff </dev/null >/dev/null 2>&1 ||
		fleet_log "$name: ssh for the poweroff failed; waiting anyway"
	while fleet_alive "$name"; do
		if [ $((SECONDS - t0)) -ge "$FLEET_STOP_TIMEOUT" ]; then
			fleet_log "$name: still running after ${FLEET_STOP_TIMEOUT}s: killing QEMU (pid $pid)"
			fleet_console_tail "$name" 5 >&2
			fleet_kill "$name"
			return 1
		fi
		sleep 1
	done
	wait "$pid" 2>/dev/null || true
	fleet_log "$name: off after $((SECONDS - t0))s"
	return 0
}

fleet_host_stop() {
	local name=${1:?usage: fleet_host_stop NAME} rc=0 shm
	shm=$(fleet_get "$name" shm) || return 1
	fleet_shutdown "$name" || rc=1
	case $shm in /dev/shm/kvm-s2attr-fleet-*) rm -rf "$shm" ;; esac
	return "$rc"
}

fleet_stop_all() {
	local f rc=0
	for f in "$FLEET_RUN"/*/host.env; do
		[ -f "$f" ] || continue
		f=${f%/host.env}
		f=${f##*/}
		if fleet_alive "$f"; then
			fleet_host_stop "$f" || rc=1
		fi
	done
	return "$rc"
}

fleet_host_reboot() {
	local name=${1:?usage: fleet_host_reboot NAME} remote local_sum dir kver
	dir=$(fleet_dir "$name")
	kver=$(fleet_get "$name" kver) || return 1
	fleet_alive "$name" || fleet_err "host $name is not running" || return 1
	# The host's current initramfs (it may have made a new one since it
	# booted): what the next boot starts.
	fleet_ssh "$name" "cat /boot/initrd.img-$kver" </dev/null >"$dir/initrd.img.new" ||
		fleet_err "$name: cannot read /boot/initrd.img-$kver over ssh" || return 1
	remote=$(fleet_ssh "$name" "sha256sum /boot/initrd.img-$kver" </dev/null | cut -d' ' -f1) || remote=
	local_sum=$(sha256sum "$dir/initrd.img.new" | cut -d' ' -f1)
	[ -n "$remote" ] && [ "$remote" = "$local_sum" ] ||
		fleet_err "$name: the initramfs fetched ($local_sum) is not the host's (${remote:-none})" || return 1
	if cmp -s "$dir/initrd.img.new" "$dir/initrd.img"; then
		fleet_log "$name: initramfs unchanged since the last boot"
	else
		fleet_log "$name: the host's initramfs changed since the last boot: booting the new one"
	fi
	fleet_shutdown "$name" || fleet_err "$name: no clean poweroff" || return 1
	mv "$dir/initrd.img.new" "$dir/initrd.img"
	fleet_boot "$name"
}

fleet_inventory_line() {
	local name=${1:?usage: fleet_inventory_line NAME} port key
	port=$(fleet_get "$name" port) && key=$(fleet_get "$name" key) || return 1
	printf '%s ansible_host=127.0.0.1 ansible_port=%s ansible_user=root ansible_ssh_private_key_file=%s' \
		"$name" "$port" "$key"
	printf ' ansible_python_interpreter=/usr/bin/python3'
	printf " ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n"
}

fleet_write_inventory() {
	local file=${1:?usage: fleet_write_inventory FILE NAME...} n
	shift
	{
		echo '[fleet]'
		for n in "$@"; do
			fleet_inventory_line "$n" || return 1
		done
	} >"$file"
}
