// SPDX-License-Identifier: GPL-2.0
/*
 * A vfio device has its own inode, whose address space every mapping of
 * the device shares (v6.10+): live application unmaps BARs through it.
 */
#include <linux/fs.h>
#include <linux/vfio_pci_core.h>

struct address_space *conftest_vfio_device_inode(struct vfio_pci_core_device *v);
struct address_space *conftest_vfio_device_inode(struct vfio_pci_core_device *v)
{
	return v->vdev.inode->i_mapping;
}
