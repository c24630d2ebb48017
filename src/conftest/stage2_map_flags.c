// SPDX-License-Identifier: GPL-2.0
/* kvm_pgtable_stage2_map() takes walk flags (v6.2+): informational. */
#include <asm/kvm_pgtable.h>

int (*conftest_map)(struct kvm_pgtable *pgt, u64 addr, u64 size, u64 phys,
		    enum kvm_pgtable_prot prot, void *mc,
		    enum kvm_pgtable_walk_flags flags) = kvm_pgtable_stage2_map;
