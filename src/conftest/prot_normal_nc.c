// SPDX-License-Identifier: GPL-2.0
/* KVM itself can map memory Normal-NC at stage 2 (upstream v6.9+). */
#include <asm/kvm_pgtable.h>

enum kvm_pgtable_prot conftest_prot_normal_nc = KVM_PGTABLE_PROT_NORMAL_NC;
