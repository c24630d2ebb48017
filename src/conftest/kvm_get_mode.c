// SPDX-License-Identifier: GPL-2.0
/* KVM records its mode (none/default/protected) in kvm_get_mode(). */
#include <linux/kvm_host.h>

enum kvm_mode (*conftest_kvm_get_mode)(void) = kvm_get_mode;
int conftest_kvm_mode_protected = KVM_MODE_PROTECTED;
