// SPDX-License-Identifier: GPL-2.0
/* kvm_pgtable_get_leaf() is declared (not in v5.10). */
#include <asm/kvm_pgtable.h>

void *conftest_get_leaf = kvm_pgtable_get_leaf;
