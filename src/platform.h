/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Platforms on which write-combined (Normal-NC) writes to PCIe corrupt
 * data, known by a PCI device every such platform has, and what that
 * does to the policy.
 */
#ifndef KVM_S2ATTR_PLATFORM_H
#define KVM_S2ATTR_PLATFORM_H

#include "memattr.h"

struct s2attr_wc_unsafe {
	u16 vendor;
	u16 device;
	const char *why;	/* the erratum, for status */
};

/* The known-bad platform whose device this is, or NULL. */
const struct s2attr_wc_unsafe *s2attr_wc_unsafe_find(u16 vendor, u16 device);

/*
 * What a device not listed by address gets: its rule's attribute
 * (rule_memattr, or -1 without a rule), else the default's; on a platform
 * where write combining is unsafe, Device-nGnRE either way. -1: KVM's own.
 */
int s2attr_unlisted_memattr(int rule_memattr, enum s2attr_default def,
			    bool wc_unsafe);

/* Whether the platform, not the rule or default, decided that. */
bool s2attr_unlisted_by_platform(int rule_memattr, enum s2attr_default def,
				 bool wc_unsafe);

#endif /* KVM_S2ATTR_PLATFORM_H */
