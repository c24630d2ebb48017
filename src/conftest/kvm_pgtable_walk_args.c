// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_pgtable_walk(pgt, addr, size, walker): the arguments the hook reads
 * from registers 0, 2 and 3 (-Werror: another prototype fails to build).
 */
#include <asm/kvm_pgtable.h>

int (*conftest_kvm_pgtable_walk)(struct kvm_pgtable *pgt, u64 addr, u64 size,
				 struct kvm_pgtable_walker *walker) = kvm_pgtable_walk;
