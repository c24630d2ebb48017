/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sorted table of physical BAR ranges, looked up from KVM's stage-2 fault
 * path under KVM's mmu_lock (a spinning lock, or a sleeping one on
 * PREEMPT_RT), so lookups take no locks, allocate nothing, never sleep.
 * The caller publishes a sorted table and keeps it alive (e.g. RCU).
 */
#ifndef KVM_S2ATTR_BAR_TABLE_H
#define KVM_S2ATTR_BAR_TABLE_H

#include "s2attr_types.h"

struct s2attr_range {
	u64 start;
	u64 end;	/* inclusive */
	u32 owner;	/* caller's index */
	u8 bar;		/* caller's: the BAR's index */
	bool drop;	/* set by s2attr_ranges_sort_apart() */
};

int s2attr_ranges_sort(struct s2attr_range *r, u32 nr);
u32 s2attr_ranges_sort_apart(struct s2attr_range *r, u32 nr);
u64 s2attr_bar_mapped_end(u64 start, u64 end, u64 page_size);
void s2attr_ranges_extend_subpage(struct s2attr_range *r, u32 nr,
				  u64 page_size);
bool s2attr_driver_is_vfio_pci(const char *name);
const struct s2attr_range *s2attr_ranges_lookup(const struct s2attr_range *r,
						u32 nr, u64 phys, u64 size);

#endif /* KVM_S2ATTR_BAR_TABLE_H */
