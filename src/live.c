// SPDX-License-Identifier: GPL-2.0
/*
 * Live application: once the BAR table has changed, make KVM drop the
 * stage-2 entries it already has for the BARs concerned, so that a guest's
 * next access faults and gets the new attribute through the hook.
 *
 * KVM picks a leaf's attribute only when it installs the leaf, so only an
 * invalidation and a re-fault change it. Invalidating the BAR's host
 * mapping does that: the mmu notifier makes KVM unmap the range from every
 * guest using it, under its mmu_lock. It is what vfio-pci itself does
 * before a reset (vfio_pci_zap_bars()).
 *
 * Order: the caller has published the new table and dropped the module's
 * locks (the PCI bus notifier runs under the device lock and takes
 * s2attr_devices_lock). Every leaf installed before the invalidation is
 * dropped by it; a fault racing with it is retried by KVM
 * (mmu_invalidate_retry) and reads the new table. Invalidating first and
 * publishing after would let such a fault keep the old attribute.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kallsyms.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rbtree.h>
#include <linux/timekeeping.h>

#include "bar_table.h"
#include "bdf.h"
#include "ksym.h"
#include "kvm_s2attr_trace.h"
#include "live.h"

/* For the trace only: the domain is cut to the 16 bits a BDF holds. */
static u32 s2attr_pci_bdf(struct pci_dev *pdev)
{
	return S2ATTR_BDF(pci_domain_nr(pdev->bus) & 0xffff, pdev->bus->number,
			  pdev->devfn);
}

#if defined(KVM_S2ATTR_HAVE_VFIO_DEVICE_INODE) || \
	defined(KVM_S2ATTR_HAVE_VFIO_PCI_CORE_VMA_LIST)
#define S2ATTR_LIVE 1
#include <linux/vfio_pci_core.h>

/* One application at a time: they only ever wait for one another. */
static DEFINE_MUTEX(s2attr_live_lock);

/* pdev's vfio-pci-core device: its drivers must make it their drvdata. */
static struct vfio_pci_core_device *s2attr_vfio_core(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	return vdev && vdev->pdev == pdev ? vdev : NULL;
}
#endif

#ifdef KVM_S2ATTR_HAVE_VFIO_DEVICE_INODE
const char *s2attr_live_mechanism(void)
{
	return "vfio-inode";
}

/* Host mappings of file range [first, last] (pages) of mapping. */
static u32 s2attr_count_mappings(struct address_space *mapping,
				 pgoff_t first, pgoff_t last)
{
	struct vm_area_struct *vma;
	struct rb_node *node;
	u32 n = 0;

	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		vma = rb_entry(node, struct vm_area_struct, shared.rb);
		if (vma->vm_pgoff <= last && vma->vm_pgoff + vma_pages(vma) > first)
			n++;
	}
	i_mmap_unlock_read(mapping);
	return n;
}

/*
 * v6.10+: every mapping of a vfio device, through the group or the cdev,
 * is of the device's own inode. Unmapping the BAR's file range there is
 * vfio_pci_zap_bars(), for one BAR; vfio-pci's fault handler maps it
 * again on the next access (its memory_lock is not needed: that fault
 * reads the new table too).
 */
static int s2attr_live_zap(struct pci_dev *pdev, struct s2attr_live_result *res)
{
	struct vfio_pci_core_device *vdev = s2attr_vfio_core(pdev);
	struct address_space *mapping;
	int i;

	if (!vdev || !vdev->vdev.inode)
		return -ENODEV;
	mapping = vdev->vdev.inode->i_mapping;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		resource_size_t len = pci_resource_len(pdev, i);
		loff_t start = VFIO_PCI_INDEX_TO_OFFSET(i);

		if (!len || !(pci_resource_flags(pdev, i) & IORESOURCE_MEM))
			continue;
		len = PAGE_ALIGN(len);
		res->mappings += s2attr_count_mappings(mapping, start >> PAGE_SHIFT,
						       (start + len - 1) >> PAGE_SHIFT);
		unmap_mapping_range(mapping, start, len, 1);
		res->bars++;
	}
	return 0;
}
#elif defined(KVM_S2ATTR_HAVE_VFIO_PCI_CORE_VMA_LIST)
const char *s2attr_live_mechanism(void)
{
	return "vfio-zap";
}

/*
 * v5.15 to v6.9: vfio-pci-core keeps the VMAs it has mapped a device in on
 * vma_list and maps them on fault only while listed. Its own zap (what it
 * does before a reset: not exported, found by name, checked to be in
 * vfio_pci_core) unmaps and unlists them all, which fires the mmu
 * notifiers; the next fault lists and maps them again. Zapping them behind
 * its back would leave them listed but empty, and KVM unable to fault
 * them in. Called under the device lock, so the driver, and with it
 * vfio_pci_core, stays loaded.
 */
static int s2attr_live_zap(struct pci_dev *pdev, struct s2attr_live_result *res)
{
	struct vfio_pci_core_device *vdev = s2attr_vfio_core(pdev);
	void (*zap_and_lock)(struct vfio_pci_core_device *vdev);
	char where[KSYM_SYMBOL_LEN];
	struct list_head *node;
	unsigned long addr;
	int i;

	if (!vdev)
		return -ENODEV;
	addr = s2attr_ksym_lookup("vfio_pci_zap_and_down_write_memory_lock");
	if (!addr)
		return -ENOENT;
	snprintf(where, sizeof(where), "%pS", (void *)addr);
	if (!strstr(where, "[vfio_pci_core]")) {
		pr_warn_once("vfio_pci_zap_and_down_write_memory_lock is %s, not in vfio_pci_core: not applying changes to running guests\n",
			     where);
		return -ENOENT;
	}
	zap_and_lock = (void *)addr;
	mutex_lock(&vdev->vma_lock);
	list_for_each(node, &vdev->vma_list)
		res->mappings++;
	mutex_unlock(&vdev->vma_lock);
	zap_and_lock(vdev);
	up_write(&vdev->memory_lock);
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		if (pci_resource_len(pdev, i) &&
		    (pci_resource_flags(pdev, i) & IORESOURCE_MEM))
			res->bars++;
	return 0;
}
#endif

#ifdef S2ATTR_LIVE
int s2attr_live_apply(struct pci_dev *pdev, struct s2attr_live_result *res)
{
	struct device_driver *drv;
	int err;

	memset(res, 0, sizeof(*res));
	res->when = ktime_get_real_seconds();
	mutex_lock(&s2attr_live_lock);
	/* The driver stays bound, and drvdata valid, while we hold it. */
	err = device_lock_interruptible(&pdev->dev);
	if (!err) {
		drv = pdev->dev.driver;
		if (drv && s2attr_driver_is_vfio_pci(drv->name))
			err = s2attr_live_zap(pdev, res);
		device_unlock(&pdev->dev);
	}
	mutex_unlock(&s2attr_live_lock);
	res->err = err;
	trace_kvm_s2attr_apply(s2attr_pci_bdf(pdev), res->bars, res->mappings, err);
	return err;
}
#else
const char *s2attr_live_mechanism(void)
{
	return NULL;
}

int s2attr_live_apply(struct pci_dev *pdev, struct s2attr_live_result *res)
{
	memset(res, 0, sizeof(*res));
	res->when = ktime_get_real_seconds();
	res->err = -EOPNOTSUPP;
	trace_kvm_s2attr_apply(s2attr_pci_bdf(pdev), 0, 0, res->err);
	return res->err;
}
#endif

int s2attr_live_apply_bdf(u32 bdf, struct s2attr_live_result *res)
{
	struct pci_dev *pdev;
	int err;

	pdev = pci_get_domain_bus_and_slot(S2ATTR_BDF_DOMAIN(bdf),
					   S2ATTR_BDF_BUS(bdf),
					   S2ATTR_BDF_DEVFN(bdf));
	if (!pdev) {
		/* Nothing there: no guest can have it mapped. */
		memset(res, 0, sizeof(*res));
		res->when = ktime_get_real_seconds();
		res->err = s2attr_live_mechanism() ? 0 : -EOPNOTSUPP;
		return res->err;
	}
	err = s2attr_live_apply(pdev, res);
	pci_dev_put(pdev);
	return err;
}

int s2attr_live_apply_all(struct s2attr_live_result *res)
{
	struct s2attr_live_result one;
	struct pci_dev *pdev = NULL;
	int err, first_err = 0;

	memset(res, 0, sizeof(*res));
	res->when = ktime_get_real_seconds();
	for_each_pci_dev(pdev) {
		struct device_driver *drv = READ_ONCE(pdev->dev.driver);

		if (!drv || !s2attr_driver_is_vfio_pci(drv->name))
			continue;
		err = s2attr_live_apply(pdev, &one);
		res->bars += one.bars;
		res->mappings += one.mappings;
		if (err && !first_err)
			first_err = err;
	}
	res->err = first_err;
	return first_err;
}
