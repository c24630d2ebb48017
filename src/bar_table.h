/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sorted table of physical BAR ranges, looked up from KVM's stage-2 fault
 * path: atomic context, so lookups take no locks and allocate nothing.
 * The caller publishes a sorted table and keeps it alive (e.g. RCU).
 */
#ifndef KVM_S2ATTR_BAR_TABLE_H
#define KVM_S2ATTR_BAR_TABLE_H

#include "s2attr_types.h"

struct s2attr_range {
	u64 start;
	u64 end;	/* inclusive */
	u32 owner;	/* caller's index */
};

int s2attr_ranges_sort(struct s2attr_range *r, u32 nr);
const struct s2attr_range *s2attr_ranges_lookup(const struct s2attr_range *r,
						u32 nr, u64 phys, u64 size);

#endif /* KVM_S2ATTR_BAR_TABLE_H */
