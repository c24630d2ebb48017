// SPDX-License-Identifier: GPL-2.0
/*
 * v5.10-v6.2: an mmu-notifier range names its VMA, and the notifier
 * calls behind mmu_notifier_invalidate_range_start/end() take these
 * arguments. Live application fires them itself (they are not exported:
 * looked up at run time, so the types must be checked here).
 */
#include <linux/mmu_notifier.h>

void (*conftest_range_init)(struct mmu_notifier_range *r,
			    enum mmu_notifier_event event, unsigned int flags,
			    struct vm_area_struct *vma, struct mm_struct *mm,
			    unsigned long start, unsigned long end) =
	mmu_notifier_range_init;
int (*conftest_range_start)(struct mmu_notifier_range *r) =
	__mmu_notifier_invalidate_range_start;
void (*conftest_range_end)(struct mmu_notifier_range *r, bool only_end) =
	__mmu_notifier_invalidate_range_end;
