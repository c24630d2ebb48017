// SPDX-License-Identifier: GPL-2.0
/*
 * Known-bad platforms and the policy there (platform.h). Pure logic: the
 * module's host probe looks the devices up.
 */
#include "platform.h"

/*
 * KVM_S2ATTR_TEST_WC_UNSAFE (a test build, like the swapped-layout one):
 * QEMU's PCIe host bridge stands for a known-bad platform, so that the
 * end-to-end tests see the whole chain on QEMU's virt machine.
 */
static const struct s2attr_wc_unsafe s2attr_wc_unsafe_table[] = {
#ifdef KVM_S2ATTR_TEST_WC_UNSAFE
	{ 0x1b36, 0x0008, "test build: QEMU's PCIe host bridge as a known-bad platform" },
#else
	/*
	 * Ampere Altra: its PCIe root complex may emit wrong addresses for
	 * CPU writes with gapped byte enables, as write combining makes.
	 * Ampere's own workaround (LKML, 2024-08-27, "ampere/arm64: Work
	 * around Ampere Altra erratum #82288 PCIE_65") keys on this device
	 * and maps PCIe memory Device-nGnRE instead of Normal-NC.
	 */
	{ 0x1def, 0xe100, "Ampere Altra erratum 82288 (PCIE_65)" },
#endif
};

const struct s2attr_wc_unsafe *s2attr_wc_unsafe_find(u16 vendor, u16 device)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(s2attr_wc_unsafe_table); i++)
		if (s2attr_wc_unsafe_table[i].vendor == vendor &&
		    s2attr_wc_unsafe_table[i].device == device)
			return &s2attr_wc_unsafe_table[i];
	return NULL;
}

int s2attr_unlisted_memattr(int rule_memattr, enum s2attr_default def,
			    bool wc_unsafe)
{
	if (wc_unsafe)
		return S2ATTR_MEMATTR_DEVICE;
	if (rule_memattr >= 0)
		return rule_memattr;
	return def == S2ATTR_DEFAULT_DEVICE ? S2ATTR_MEMATTR_DEVICE : -1;
}

bool s2attr_unlisted_by_platform(int rule_memattr, enum s2attr_default def,
				 bool wc_unsafe)
{
	return wc_unsafe &&
	       s2attr_unlisted_memattr(rule_memattr, def, false) !=
	       S2ATTR_MEMATTR_DEVICE;
}
