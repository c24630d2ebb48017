// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-pci-core keeps the VMAs a device is mapped in on a list, under
 * memory_lock (v5.15 to v6.9): live application goes through its own zap.
 */
#include <linux/vfio_pci_core.h>

struct rw_semaphore *conftest_vfio_pci_core_vma_list(struct vfio_pci_core_device *v);
struct rw_semaphore *conftest_vfio_pci_core_vma_list(struct vfio_pci_core_device *v)
{
	return list_empty(&v->vma_list) ? &v->memory_lock : NULL;
}
