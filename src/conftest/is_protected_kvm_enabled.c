// SPDX-License-Identifier: GPL-2.0
/* Protected KVM exists (v5.12+) and says whether it is on (a CPU cap). */
#include <asm/virt.h>

bool conftest_is_protected_kvm_enabled(void);
bool conftest_is_protected_kvm_enabled(void)
{
	return is_protected_kvm_enabled();
}
