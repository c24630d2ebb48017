// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the point in KVM's stage-2 map path to hook.
 *
 * Every stage-2 leaf KVM installs for a guest is written by
 * stage2_map_walker(), driven by one walk per kvm_pgtable_stage2_map()
 * call; the leaf attributes are computed before the walk and carried in the
 * walker's private map data. Hooking the walk function (once per map) rather
 * than the visitor (once per table level) keeps the cost of every RAM fault
 * low. Which function performs that walk depends on inlining, so it is read
 * from kvm_pgtable_stage2_map()'s own code rather than assumed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/insn.h>

#include "compat/compat.h"
#include "hook.h"
#include "ksym.h"

/* Does the function at func contain a direct call (BL) to target? */
static bool s2attr_func_calls(unsigned long func, unsigned long size,
			      unsigned long target)
{
	unsigned long pc;

	for (pc = func; pc + AARCH64_INSN_SIZE <= func + size;
	     pc += AARCH64_INSN_SIZE) {
		u32 insn = le32_to_cpu(*(__le32 *)pc);
		/* BL: 0b100101 imm26, target = pc + sign_extend(imm26) * 4 */
		long offset;

		if ((insn & 0xfc000000) != 0x94000000)
			continue;
		offset = sign_extend64(insn & 0x03ffffff, 25) * 4;
		if (pc + offset == target)
			return true;
	}
	return false;
}

int s2attr_hook_resolve(struct s2attr_hook_target *t, char *why, size_t len)
{
	unsigned long walk, walk_data, size;

	t->stage2_map = s2attr_ksym_lookup("kvm_pgtable_stage2_map");
	t->map_walker = s2attr_ksym_lookup("stage2_map_walker");
	if (!t->stage2_map || !t->map_walker) {
		snprintf(why, len,
			 "KVM's stage-2 code (kvm_pgtable_stage2_map, stage2_map_walker) not found in kallsyms: this kernel's KVM is not built in or not supported");
		return -ENOENT;
	}
	size = s2attr_ksym_size(t->stage2_map);
	if (!size) {
		snprintf(why, len, "cannot size kvm_pgtable_stage2_map");
		return -ENOENT;
	}

	walk = s2attr_ksym_lookup("kvm_pgtable_walk");
	if (walk && s2attr_func_calls(t->stage2_map, size, walk)) {
		t->func = "kvm_pgtable_walk";
		t->func_addr = walk;
		t->abi = S2ATTR_WALK_ARGS;
		return 0;
	}
	walk_data = s2attr_ksym_lookup("_kvm_pgtable_walk");
	if (S2ATTR_CAN_HOOK_WALK_DATA && walk_data &&
	    s2attr_func_calls(t->stage2_map, size, walk_data)) {
		t->func = "_kvm_pgtable_walk";
		t->func_addr = walk_data;
		t->abi = S2ATTR_WALK_DATA_V1;
		return 0;
	}
	snprintf(why, len,
		 "kvm_pgtable_stage2_map does not call kvm_pgtable_walk%s directly: this KVM build is not one kvm-s2attr knows how to hook",
		 S2ATTR_CAN_HOOK_WALK_DATA ? " or _kvm_pgtable_walk" : "");
	return -EOPNOTSUPP;
}
