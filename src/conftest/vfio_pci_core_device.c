// SPDX-License-Identifier: GPL-2.0
/*
 * v5.15+: vfio-pci's drvdata is a struct vfio_pci_core_device, which holds
 * the struct vfio_device a device file's private_data points to. Before,
 * the drvdata was that struct vfio_device itself (vfio_group_create_device()).
 */
#include <linux/vfio_pci_core.h>

struct vfio_device *conftest_vfio_pci_core_device(struct vfio_pci_core_device *v);
struct vfio_device *conftest_vfio_pci_core_device(struct vfio_pci_core_device *v)
{
	return v->pdev ? &v->vdev : NULL;
}
