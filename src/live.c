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
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rbtree.h>
#include <linux/sched/mm.h>
#include <linux/timekeeping.h>

#include "bar_table.h"
#include "bdf.h"
#include "kvm_s2attr_trace.h"
#include "live.h"

/* For the trace only: the domain is cut to the 16 bits a BDF holds. */
static u32 s2attr_pci_bdf(struct pci_dev *pdev)
{
	return S2ATTR_BDF(pci_domain_nr(pdev->bus) & 0xffff, pdev->bus->number,
			  pdev->devfn);
}

#ifdef KVM_S2ATTR_HAVE_VFIO_DEVICE_INODE
#include <linux/vfio_pci_core.h>

/* One application at a time: they only ever wait for one another. */
static DEFINE_MUTEX(s2attr_live_lock);

/* pdev's vfio-pci-core device: its drivers must make it their drvdata. */
static struct vfio_pci_core_device *s2attr_vfio_core(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	return vdev && vdev->pdev == pdev ? vdev : NULL;
}

const char *s2attr_live_mechanism(void)
{
	return "vfio-inode";
}

/* Is vma a mapping of one of pdev's memory BARs (file offsets of vfio)? */
static bool s2attr_vma_maps_bar(struct vm_area_struct *vma, struct pci_dev *pdev)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		resource_size_t len = pci_resource_len(pdev, i);
		pgoff_t first = VFIO_PCI_INDEX_TO_OFFSET(i) >> PAGE_SHIFT;

		if (!len || !(pci_resource_flags(pdev, i) & IORESOURCE_MEM))
			continue;
		if (vma->vm_pgoff < first + (PAGE_ALIGN(len) >> PAGE_SHIFT) &&
		    vma->vm_pgoff + vma_pages(vma) > first)
			return true;
	}
	return false;
}

/* Processes whose mmap_lock one application holds: lockdep's subclasses. */
#define S2ATTR_LIVE_MAX_MMS	8

/*
 * The processes that map one of pdev's BARs, referenced, in mms; returns
 * how many, or -EBUSY if more than S2ATTR_LIVE_MAX_MMS. *mappings counts
 * the mappings.
 */
static int s2attr_bar_mms(struct address_space *mapping, struct pci_dev *pdev,
			  struct mm_struct **mms, u32 *mappings)
{
	struct vm_area_struct *vma;
	struct rb_node *node;
	int n = 0, i;

	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		vma = rb_entry(node, struct vm_area_struct, shared.rb);
		if (!s2attr_vma_maps_bar(vma, pdev))
			continue;
		(*mappings)++;
		for (i = 0; i < n && mms[i] != vma->vm_mm; i++)
			;
		if (i < n || !mmget_not_zero(vma->vm_mm))
			continue;	/* seen, or exiting */
		if (n == S2ATTR_LIVE_MAX_MMS) {
			/* Under i_mmap_rwsem: a last put must not tear down here. */
			mmput_async(vma->vm_mm);
			while (n--)
				mmput_async(mms[n]);
			n = -EBUSY;
			break;
		}
		mms[n++] = vma->vm_mm;
	}
	i_mmap_unlock_read(mapping);
	return n;
}

/*
 * v6.10+: every mapping of a vfio device, through the group or the cdev,
 * is of the device's own inode. Unmapping the BARs' file ranges there is
 * vfio_pci_zap_bars(); vfio-pci's fault handler maps them again on the
 * next access (its memory_lock is not needed: that fault reads the new
 * table too).
 *
 * With the mmap_lock of every process mapping them held for writing: KVM
 * resolves a fault on a PFN-mapped memslot under that lock for reading in
 * two steps (it faults the host mapping in, then looks it up again), and
 * an unmap between the two fails KVM_RUN with EFAULT, which kills a VMM.
 */
static int s2attr_live_zap(struct pci_dev *pdev, struct s2attr_live_result *res)
{
	struct vfio_pci_core_device *vdev = s2attr_vfio_core(pdev);
	struct mm_struct *mms[S2ATTR_LIVE_MAX_MMS];
	struct address_space *mapping;
	int i, n;

	if (!vdev || !vdev->vdev.inode)
		return -ENODEV;
	mapping = vdev->vdev.inode->i_mapping;
	n = s2attr_bar_mms(mapping, pdev, mms, &res->mappings);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		mmap_write_lock_nested(mms[i], i);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		resource_size_t len = pci_resource_len(pdev, i);

		if (!len || !(pci_resource_flags(pdev, i) & IORESOURCE_MEM))
			continue;
		unmap_mapping_range(mapping, VFIO_PCI_INDEX_TO_OFFSET(i),
				    PAGE_ALIGN(len), 1);
		res->bars++;
	}
	while (n--) {
		mmap_write_unlock(mms[n]);
		mmput(mms[n]);
	}
	return 0;
}

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
