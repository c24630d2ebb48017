// SPDX-License-Identifier: GPL-2.0
/* KVM says whether it initialised (v6.3+; text, not exported). */
#include <asm/virt.h>

bool (*conftest_is_kvm_arm_initialised)(void) = is_kvm_arm_initialised;
