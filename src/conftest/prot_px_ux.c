// SPDX-License-Identifier: GPL-2.0
/* Split privileged/unprivileged execute bits: the prot bits moved. */
#include <asm/kvm_pgtable.h>

enum kvm_pgtable_prot conftest_prot_px_ux = KVM_PGTABLE_PROT_PX | KVM_PGTABLE_PROT_UX;
