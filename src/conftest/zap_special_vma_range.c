// SPDX-License-Identifier: GPL-2.0
/*
 * v7.x: zap_vma_ptes(), which unmaps part of a VM_PFNMAP mapping, is
 * called zap_special_vma_range().
 */
#include <linux/mm.h>

void conftest_zap_special_vma_range(struct vm_area_struct *vma);
void conftest_zap_special_vma_range(struct vm_area_struct *vma)
{
	zap_special_vma_range(vma, vma->vm_start, vma->vm_end - vma->vm_start);
}
