// SPDX-License-Identifier: GPL-2.0
/* Must always build: proves the conftest machinery and KVM headers work. */
#include <linux/kvm_host.h>
#include <asm/kvm_pgtable.h>

int conftest_sanity(struct kvm_pgtable_walker *w);
int conftest_sanity(struct kvm_pgtable_walker *w)
{
	return !!w->cb;
}
