# SPDX-License-Identifier: GPL-2.0
# fake-module.sh, sourced by the packaging tests: install_module ROOT
# VERSION SRCVERSION [KVER-OF-VERMAGIC] makes ROOT/lib/modules/$(uname -r)
# hold a kvm_s2attr.ko in updates/dkms, as DKMS installs it, and runs
# depmod -b ROOT, so that kmod's "modinfo -b ROOT kvm_s2attr" finds it:
# an ELF object with the .modinfo section of a module (version,
# srcversion, vermagic), which is all modinfo and depmod read. A real
# module cannot be built or loaded for this (x86) host's kernel.
# shellcheck shell=bash
install_module() {
	local root=$1 release d t
	release=$(uname -r)
	d=$root/lib/modules/$release/updates/dkms
	t=$(mktemp -d) || return 1
	rm -rf "$root" && mkdir -p "$d" &&
		printf 'version=%s\0srcversion=%s\0vermagic=%s SMP mod_unload aarch64\0name=kvm_s2attr\0license=GPL\0' \
			"$2" "$3" "${4:-$release}" >"$t/modinfo.bin" &&
		: >"$t/empty.c" && cc -c "$t/empty.c" -o "$t/empty.o" &&
		objcopy --add-section .modinfo="$t/modinfo.bin" --set-section-flags .modinfo=alloc,readonly \
			"$t/empty.o" "$d/kvm_s2attr.ko" &&
		depmod -b "$root" "$release" 2>/dev/null
	local rc=$?
	rm -rf "$t"
	return $rc
}
