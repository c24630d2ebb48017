// SPDX-License-Identifier: GPL-2.0
/*
 * Live application: once the BAR table has changed, make KVM drop the
 * stage-2 entries it already has for the BARs concerned, so that a guest's
 * next access faults and gets the new attribute through the hook.
 *
 * KVM picks a leaf's attribute only when it installs the leaf, so only an
 * invalidation and a re-fault change it. An mmu-notifier invalidation of
 * the BAR's host mapping does that: KVM unmaps the range from every guest
 * using it, under its mmu_lock. On v6.10+ the module zaps each process's
 * mappings of the BARs, as vfio-pci does before a reset
 * (vfio_pci_zap_bars()); before, it fires the notifiers itself (see
 * there why).
 *
 * Order: the caller has published the new table and dropped the module's
 * locks (the PCI bus notifier runs under the device lock and takes
 * s2attr_devices_lock: an application must not make it wait). Every leaf
 * installed before the invalidation is dropped by it; a fault racing with
 * it is retried by KVM (mmu_invalidate_retry) and reads the new table.
 * Invalidating first and publishing after would let such a fault keep the
 * old attribute.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pgtable.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "bar_table.h"
#include "bdf.h"
#include "compat/compat.h"
#include "kvm_s2attr_trace.h"
#include "live.h"

/* For the trace only: the domain is cut to the 16 bits a BDF holds. */
static u32 s2attr_pci_bdf(struct pci_dev *pdev)
{
	return S2ATTR_BDF(pci_domain_nr(pdev->bus) & 0xffff, pdev->bus->number,
			  pdev->devfn);
}

#if defined(KVM_S2ATTR_HAVE_VFIO_DEVICE_INODE) || \
	defined(KVM_S2ATTR_HAVE_MMU_NOTIFIER_RANGE_VMA)
#define S2ATTR_LIVE 1
#endif

/* One application at a time: they only ever wait for one another. */
static DEFINE_MUTEX(s2attr_live_lock);

/*
 * What an application needs of a device, looked up under s2attr_bind_lock
 * (below) and referenced, so that nothing the driver core or vfio waits
 * for is held while the application waits for processes' mmap locks.
 */
struct s2attr_live_target {
	struct pci_dev *pdev;
	struct module *owner;	/* the vfio-pci driver's: keeps vfio loaded */
#ifdef KVM_S2ATTR_HAVE_VFIO_DEVICE_INODE
	struct inode *inode;	/* the vfio device's, referenced */
#else
	void *vfio_device;	/* what its vfio device files' private_data is */
#endif
};

#ifdef S2ATTR_LIVE
static bool s2attr_is_mem_bar(struct pci_dev *pdev, int bar)
{
	return pci_resource_len(pdev, bar) &&
	       (pci_resource_flags(pdev, bar) & IORESOURCE_MEM);
}

/* Put the processes s2attr_bar_mms() found, and free its array. */
static void s2attr_put_mms(struct mm_struct **mms, int n)
{
	while (n-- > 0)
		mmput(mms[n]);
	kvfree(mms);
}

/*
 * One pass over mapping: the processes with a mapping that maps_bar()
 * accepts, referenced, into mms (up to cap of them); returns how many,
 * and in *more how many mappings did not fit.
 */
static int s2attr_bar_mms_pass(struct address_space *mapping,
			       const struct s2attr_live_target *t,
			       bool (*maps_bar)(struct vm_area_struct *vma,
						const struct s2attr_live_target *t),
			       struct mm_struct **mms, int cap, u32 *mappings,
			       int *more)
{
	struct vm_area_struct *vma;
	struct rb_node *node;
	int n = 0, i;

	*mappings = 0;
	*more = 0;
	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		vma = rb_entry(node, struct vm_area_struct, shared.rb);
		if (!maps_bar(vma, t))
			continue;
		(*mappings)++;
		for (i = 0; i < n && mms[i] != vma->vm_mm; i++)
			;
		if (i < n)
			continue;	/* seen */
		if (n == cap)
			(*more)++;
		else if (mmget_not_zero(vma->vm_mm))
			mms[n++] = vma->vm_mm;	/* else exiting */
	}
	i_mmap_unlock_read(mapping);
	return n;
}

/*
 * The processes with a mapping in mapping that maps_bar() says is one of
 * the target's BARs, referenced, in *mmsp (s2attr_put_mms() them); returns
 * how many, or a negative errno. *mappings counts the mappings. As many
 * as there are: the array grows while mappings appear faster than it.
 */
static int s2attr_bar_mms(struct address_space *mapping,
			  const struct s2attr_live_target *t,
			  bool (*maps_bar)(struct vm_area_struct *vma,
					   const struct s2attr_live_target *t),
			  struct mm_struct ***mmsp, u32 *mappings)
{
	struct mm_struct **mms;
	int cap = 8, n, more, tries;

	for (tries = 0; tries < 4; tries++) {
		mms = kmalloc_array(cap, sizeof(*mms), GFP_KERNEL);
		if (!mms)
			return -ENOMEM;
		n = s2attr_bar_mms_pass(mapping, t, maps_bar, mms, cap,
					mappings, &more);
		if (!more) {
			*mmsp = mms;
			return n;
		}
		/* A last put tears a process down: never under i_mmap_rwsem. */
		s2attr_put_mms(mms, n);
		cap = n + more + 8;
	}
	return -EBUSY;
}
#endif

#ifdef KVM_S2ATTR_HAVE_VFIO_DEVICE_INODE
#include <linux/vfio_pci_core.h>

/* pdev's vfio-pci-core device: its drivers must make it their drvdata. */
static struct vfio_pci_core_device *s2attr_vfio_core(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	return vdev && vdev->pdev == pdev ? vdev : NULL;
}

static const char *s2attr_mech_name(void)
{
	return "vfio-inode";
}

static void s2attr_mech_init(void)
{
}

static void s2attr_mech_exit(void)
{
}

/* Under s2attr_bind_lock, with vfio-pci bound: drvdata is valid. */
static int s2attr_live_target_fill(struct pci_dev *pdev,
				   struct s2attr_live_target *t)
{
	struct vfio_pci_core_device *vdev = s2attr_vfio_core(pdev);

	if (!vdev || !vdev->vdev.inode)
		return -ENODEV;
	t->inode = vdev->vdev.inode;
	ihold(t->inode);
	return 0;
}

static void s2attr_live_target_release(struct s2attr_live_target *t)
{
	iput(t->inode);
}

/* Is vma a mapping of one of the device's memory BARs (file offsets of vfio)? */
static bool s2attr_vma_maps_bar(struct vm_area_struct *vma,
				const struct s2attr_live_target *t)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		resource_size_t len = pci_resource_len(t->pdev, i);
		pgoff_t first = VFIO_PCI_INDEX_TO_OFFSET(i) >> PAGE_SHIFT;

		if (!s2attr_is_mem_bar(t->pdev, i))
			continue;
		if (vma->vm_pgoff < first + (PAGE_ALIGN(len) >> PAGE_SHIFT) &&
		    vma->vm_pgoff + vma_pages(vma) > first)
			return true;
	}
	return false;
}

/* A mapping of the device through vfio: the mechanism's to reach. */
static bool s2attr_vma_of_device(struct vm_area_struct *vma,
				 const struct s2attr_live_target *t)
{
	return vma->vm_file && vma->vm_file->f_mapping == t->inode->i_mapping;
}

/*
 * v6.10+: every mapping of a vfio device, through the group or the cdev,
 * is of the device's own inode. Each process's mappings of the BARs are
 * zapped, as vfio_pci_zap_bars() does before a reset; vfio-pci's fault
 * handler maps them again on the next access (its memory_lock is not
 * needed: that fault reads the new table too). The zap fires the mmu
 * notifiers, and KVM drops the stage-2 entries.
 *
 * Under that process's mmap_lock held for writing: KVM resolves a fault
 * on a PFN-mapped memslot under it for reading in two steps (it faults the
 * host mapping in, then looks it up again), and a zap between the two
 * fails KVM_RUN with EFAULT, which kills a VMM. One process at a time, so
 * there is no limit on how many map the device.
 */
static int s2attr_zap_mm(struct mm_struct *mm, const struct s2attr_live_target *t)
{
	struct address_space *mapping = t->inode->i_mapping;
	struct vm_area_struct *vma;
	int err;

	err = mmap_write_lock_killable(mm);
	if (err)
		return err;
	for (vma = find_vma(mm, 0); vma; vma = find_vma(mm, vma->vm_end)) {
		if (!vma->vm_file || vma->vm_file->f_mapping != mapping ||
		    !(vma->vm_flags & VM_PFNMAP) || !s2attr_vma_maps_bar(vma, t))
			continue;
		/* vfio maps one region per mapping: all of it is the BAR's. */
		s2attr_zap_pfnmap(vma, vma->vm_start, vma->vm_end - vma->vm_start);
	}
	mmap_write_unlock(mm);
	return 0;
}

/* The processes are put once no lock is held: a last put tears one down. */
static int s2attr_live_zap(const struct s2attr_live_target *t,
			   struct s2attr_live_result *res)
{
	struct mm_struct **mms;
	int err = 0, i, n;

	n = s2attr_bar_mms(t->inode->i_mapping, t, s2attr_vma_maps_bar, &mms,
			   &res->mappings);
	if (n < 0)
		return n;
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		res->bars += s2attr_is_mem_bar(t->pdev, i);
	for (i = 0; i < n && !err; i++)
		err = s2attr_zap_mm(mms[i], t);
	s2attr_put_mms(mms, n);
	return err;
}
#elif defined(KVM_S2ATTR_HAVE_MMU_NOTIFIER_RANGE_VMA)
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mmu_notifier.h>

#include "ksym.h"

/*
 * v5.10-v6.2: fire the mmu notifiers of the BARs' mappings ourselves,
 * without touching a page table entry. KVM's notifier drops the stage-2
 * entries (it does so for any range of a memslot's host mapping), and the
 * next guest access faults. Zapping the PTEs instead would not work here:
 * on 5.10 KVM maps a PFN-mapped memslot when it is created, so there may
 * be no PTE to zap; on 6.1 vfio-pci keeps a list of the VMAs it faulted
 * in, and answers a fault on a listed VMA without a PTE with nothing,
 * which fails KVM_RUN with EFAULT.
 *
 * The calls behind mmu_notifier_invalidate_range_start/end() are not
 * exported; the conftest checked their types, and they are looked up once.
 */
static typeof(__mmu_notifier_invalidate_range_start) *s2attr_notifier_start;
static typeof(__mmu_notifier_invalidate_range_end) *s2attr_notifier_end;

/*
 * Every vfio device file (vfio_device_open()) is a file of the one
 * anonymous inode; its mapping lists every VMA that maps one, and those of
 * every other anonymous-inode file (io_uring's rings, for instance).
 */
static struct inode *s2attr_anon_inode;

static const char *s2attr_mech_name(void)
{
	return s2attr_anon_inode ? "mmu-notifier" : NULL;
}

static void s2attr_mech_init(void)
{
	struct file *file;

	s2attr_notifier_start = (void *)s2attr_ksym_lookup("__mmu_notifier_invalidate_range_start");
	s2attr_notifier_end = (void *)s2attr_ksym_lookup("__mmu_notifier_invalidate_range_end");
	if (!s2attr_notifier_start || !s2attr_notifier_end) {
		pr_warn("live application unsupported: the kernel's mmu notifier calls were not found; changes reach new mappings only\n");
		return;
	}
	/*
	 * Only to reach the inode. The kernel's own file operations: the
	 * last fput runs when insmod returns, after a failed load has freed
	 * the module.
	 */
	file = anon_inode_getfile("[kvm_s2attr]", &generic_ro_fops, NULL,
				  O_RDONLY);
	if (IS_ERR(file)) {
		pr_warn("live application unsupported: no anonymous inode (%ld); changes reach new mappings only\n",
			PTR_ERR(file));
		return;
	}
	s2attr_anon_inode = file_inode(file);
	ihold(s2attr_anon_inode);
	fput(file);
}

static void s2attr_mech_exit(void)
{
	if (s2attr_anon_inode)
		iput(s2attr_anon_inode);
	s2attr_anon_inode = NULL;
}

#ifdef KVM_S2ATTR_HAVE_VFIO_PCI_CORE_DEVICE
#include <linux/vfio_pci_core.h>
#endif

/*
 * Under s2attr_bind_lock, with vfio-pci bound: drvdata is valid. A file of
 * this vfio device has it (vfio_device_open(), vfio_group_get_device_fd())
 * as its private_data; only compared, never followed from a file.
 */
static int s2attr_live_target_fill(struct pci_dev *pdev,
				   struct s2attr_live_target *t)
{
#ifdef KVM_S2ATTR_HAVE_VFIO_PCI_CORE_DEVICE
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!vdev || vdev->pdev != pdev)
		return -ENODEV;
	t->vfio_device = &vdev->vdev;
#else
	t->vfio_device = dev_get_drvdata(&pdev->dev);
	if (!t->vfio_device)
		return -ENODEV;
#endif
	return 0;
}

static void s2attr_live_target_release(struct s2attr_live_target *t)
{
}

/*
 * A mapping of this vfio device's file whose vm_pgoff (vfio-pci sets it to
 * the page frame it maps) falls in one of the device's memory BARs. Other
 * anonymous-inode files (io_uring's rings at 0x8000000 and 0x10000000)
 * can have the same offsets.
 */
static bool s2attr_vma_maps_bar(struct vm_area_struct *vma,
				const struct s2attr_live_target *t)
{
	int i;

	if (!(vma->vm_flags & VM_PFNMAP) || !vma->vm_file ||
	    vma->vm_file->private_data != t->vfio_device)
		return false;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned long first = pci_resource_start(t->pdev, i) >> PAGE_SHIFT;
		unsigned long last = pci_resource_end(t->pdev, i) >> PAGE_SHIFT;

		if (!s2attr_is_mem_bar(t->pdev, i))
			continue;
		if (vma->vm_pgoff <= last && vma->vm_pgoff + vma_pages(vma) > first)
			return true;
	}
	return false;
}

/* A mapping of one of this vfio device's files: the mechanism's to reach. */
static bool s2attr_vma_of_device(struct vm_area_struct *vma,
				 const struct s2attr_live_target *t)
{
	return vma->vm_file && vma->vm_file->private_data == t->vfio_device;
}

/*
 * Under the mmap_lock, which keeps the VMAs, for reading: KVM then takes
 * its mmu_lock, counts the invalidation in progress (a fault racing with
 * it is retried) and drops the range from every guest of this process.
 */
static int s2attr_invalidate_mm(struct mm_struct *mm,
				const struct s2attr_live_target *t)
{
	struct mmu_notifier_range range;
	struct vm_area_struct *vma;
	int err;

	err = mmap_read_lock_killable(mm);
	if (err)
		return err;
	for (vma = find_vma(mm, 0); vma && mm_has_notifiers(mm);
	     vma = find_vma(mm, vma->vm_end)) {
		if (!s2attr_vma_maps_bar(vma, t))
			continue;
		mmu_notifier_range_init(&range, MMU_NOTIFY_CLEAR,
					MMU_NOTIFIER_RANGE_BLOCKABLE, vma, mm,
					vma->vm_start, vma->vm_end);
		/* A failed start has ended the notifiers it started itself. */
		err = s2attr_notifier_start(&range);
		if (err)
			break;
		s2attr_notifier_end(&range, false);
	}
	mmap_read_unlock(mm);
	return err;
}

static int s2attr_live_zap(const struct s2attr_live_target *t,
			   struct s2attr_live_result *res)
{
	struct mm_struct **mms;
	int err = 0, i, n;

	n = s2attr_bar_mms(s2attr_anon_inode->i_mapping, t,
			   s2attr_vma_maps_bar, &mms, &res->mappings);
	if (n < 0)
		return n;
	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		res->bars += s2attr_is_mem_bar(t->pdev, i);
	for (i = 0; i < n && !err; i++)
		err = s2attr_invalidate_mm(mms[i], t);
	s2attr_put_mms(mms, n);
	return err;
}
#else
static const char *s2attr_mech_name(void)
{
	return NULL;
}

static void s2attr_mech_init(void)
{
}

static void s2attr_mech_exit(void)
{
}

static int s2attr_live_target_fill(struct pci_dev *pdev,
				   struct s2attr_live_target *t)
{
	return -EOPNOTSUPP;
}

static void s2attr_live_target_release(struct s2attr_live_target *t)
{
}

static int s2attr_live_zap(const struct s2attr_live_target *t,
			   struct s2attr_live_result *res)
{
	return -EOPNOTSUPP;
}
#endif

#ifdef S2ATTR_LIVE
/*
 * Proof that an application reached every mapping of the device: a process
 * that maps its BARs other than through vfio's files (a sysfs resource
 * file; or all of them, on a kernel that moved BAR mmaps elsewhere) is one
 * the mechanism never sees, and its guests keep the old attribute. Such
 * mappings are found by the page frames in every process's page tables,
 * not by vfio's bookkeeping.
 */
static bool s2attr_pfns_in_bars(const struct s2attr_live_target *t,
				unsigned long pfn, unsigned long nr)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!s2attr_is_mem_bar(t->pdev, i))
			continue;
		if (pfn <= pci_resource_end(t->pdev, i) >> PAGE_SHIFT &&
		    pfn + nr > pci_resource_start(t->pdev, i) >> PAGE_SHIFT)
			return true;
	}
	return false;
}

/*
 * Does [addr, end) of mm map a page of the BARs? Under mm's mmap_lock: no
 * page table of a VM_PFNMAP/VM_IO mapping is freed under it but by RCU.
 */
static bool s2attr_range_maps_bars(struct mm_struct *mm, unsigned long addr,
				   unsigned long end,
				   const struct s2attr_live_target *t)
{
	unsigned long next;
	bool found = false;
	pud_t *pud, pudv;
	pmd_t pmdv;
	pte_t *pte;
	pgd_t *pgd;
	p4d_t *p4d;

	for (; addr < end && !found; addr = next) {
		next = pmd_addr_end(addr, end);
		rcu_read_lock();
		pgd = pgd_offset(mm, addr);
		if (pgd_none(READ_ONCE(*pgd))) {
			next = pgd_addr_end(addr, end);
			goto unlock;
		}
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(READ_ONCE(*p4d))) {
			next = p4d_addr_end(addr, end);
			goto unlock;
		}
		pud = pud_offset(p4d, addr);
		pudv = READ_ONCE(*pud);
		if (pud_none(pudv) || pud_leaf(pudv)) {
			next = pud_addr_end(addr, end);
			found = pud_leaf(pudv) &&
				s2attr_pfns_in_bars(t, pud_pfn(pudv),
						    PUD_SIZE >> PAGE_SHIFT);
			goto unlock;
		}
		pmdv = READ_ONCE(*pmd_offset(pud, addr));
		if (pmd_none(pmdv))
			goto unlock;
		if (pmd_leaf(pmdv)) {
			found = s2attr_pfns_in_bars(t, pmd_pfn(pmdv),
						    PMD_SIZE >> PAGE_SHIFT);
			goto unlock;
		}
		if (pmd_bad(pmdv))
			goto unlock;
		/* The table the copy points to: arm64's are in the linear map. */
		pte = pte_offset_kernel(&pmdv, addr);
		for (; addr < next && !found; addr += PAGE_SIZE, pte++) {
			pte_t ptev = READ_ONCE(*pte);

			found = pte_present(ptev) &&
				s2attr_pfns_in_bars(t, pte_pfn(ptev), 1);
		}
unlock:
		rcu_read_unlock();
		cond_resched();
	}
	return found;
}

/* How many of mm's device mappings outside vfio's files map the BARs. */
static int s2attr_mm_unreached(struct mm_struct *mm,
			       const struct s2attr_live_target *t, u32 *count)
{
	struct vm_area_struct *vma;
	int err;

	err = mmap_read_lock_killable(mm);
	if (err)
		return err;
	for (vma = find_vma(mm, 0); vma; vma = find_vma(mm, vma->vm_end)) {
		if (!(vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)) ||
		    s2attr_vma_of_device(vma, t))
			continue;
		*count += s2attr_range_maps_bars(mm, vma->vm_start,
						 vma->vm_end, t);
	}
	mmap_read_unlock(mm);
	return 0;
}

/* Every user process's mm, referenced, in *mmsp; how many, or an errno. */
static int s2attr_user_mms(struct mm_struct ***mmsp)
{
	struct task_struct *p;
	struct mm_struct **mms, *mm;
	int cap = 256, n, tries;
	bool more;

	for (tries = 0; tries < 6; tries++, cap *= 4) {
		mms = kvmalloc_array(cap, sizeof(*mms), GFP_KERNEL);
		if (!mms)
			return -ENOMEM;
		n = 0;
		more = false;
		rcu_read_lock();
		for_each_process(p) {
			if (p->flags & PF_KTHREAD)
				continue;
			if (n == cap) {
				more = true;
				break;
			}
			mm = get_task_mm(p);
			if (mm)
				mms[n++] = mm;
		}
		rcu_read_unlock();
		if (!more) {
			*mmsp = mms;
			return n;
		}
		s2attr_put_mms(mms, n);
	}
	return -EBUSY;
}

/*
 * After the mechanism's invalidation: -EXDEV, with their number in
 * res->unreached, if mappings of the BARs remain that it could not reach.
 */
static int s2attr_live_prove(const struct s2attr_live_target *t,
			     struct s2attr_live_result *res)
{
	struct mm_struct **mms;
	int err = 0, i, n;

	n = s2attr_user_mms(&mms);
	if (n < 0)
		return n;
	for (i = 0; i < n && !err; i++)
		err = s2attr_mm_unreached(mms[i], t, &res->unreached);
	s2attr_put_mms(mms, n);
	if (err)
		return err;
	return res->unreached ? -EXDEV : 0;
}
#else
static int s2attr_live_prove(const struct s2attr_live_target *t,
			     struct s2attr_live_result *res)
{
	return 0;
}
#endif

/*
 * Applications never take a device lock: vfio only trylocks it (a VM's
 * first open of the device, VFIO_DEVICE_RESET, the reset at last close)
 * and fails or skips those while anyone holds it. Instead, the driver
 * core tells the module before a driver's remove() runs
 * (BUS_NOTIFY_UNBIND_DRIVER) and after the device has no driver
 * (BUS_NOTIFY_UNBOUND_DRIVER), and both wait here for s2attr_bind_lock:
 * a driver seen under it stays bound, its driver data valid, until the
 * lock is released. It is held only to look and take references.
 */
static DEFINE_MUTEX(s2attr_bind_lock);
static bool s2attr_bind_nb_registered;

static int s2attr_bind_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	if (action != BUS_NOTIFY_UNBIND_DRIVER &&
	    action != BUS_NOTIFY_UNBOUND_DRIVER)
		return NOTIFY_DONE;
	mutex_lock(&s2attr_bind_lock);
	mutex_unlock(&s2attr_bind_lock);
	return NOTIFY_OK;
}

static struct notifier_block s2attr_bind_nb = {
	.notifier_call = s2attr_bind_notify,
};

/* Without the unbind barrier, no application: it could meet a freed device. */
const char *s2attr_live_mechanism(void)
{
	return s2attr_bind_nb_registered ? s2attr_mech_name() : NULL;
}

void s2attr_live_init(void)
{
	int err;

	s2attr_mech_init();
	if (!s2attr_mech_name())
		return;
	err = bus_register_notifier(&pci_bus_type, &s2attr_bind_nb);
	if (err) {
		pr_warn("live application unsupported: no PCI bus notifier (%d); changes reach new mappings only\n",
			err);
		return;
	}
	s2attr_bind_nb_registered = true;
}

void s2attr_live_exit(void)
{
	if (s2attr_bind_nb_registered)
		bus_unregister_notifier(&pci_bus_type, &s2attr_bind_nb);
	s2attr_bind_nb_registered = false;
	s2attr_mech_exit();
}

/*
 * Under s2attr_bind_lock, only long enough to see that vfio-pci is bound
 * and to reference what the application needs. Returns 1 if it is not
 * bound, or still probing (nothing of it can be mapped into a guest before
 * its probe ends), -EBUSY while it is being unbound (the unbind waits for
 * its guests to let it go: they still map it), 0 with t referenced.
 */
static int s2attr_live_target_get(struct pci_dev *pdev,
				  struct s2attr_live_target *t)
{
	struct device_driver *drv;
	int err;

	mutex_lock(&s2attr_bind_lock);
	t->pdev = pdev;
	drv = READ_ONCE(pdev->dev.driver);
	if (!drv || !s2attr_driver_is_vfio_pci(drv->name)) {
		err = 1;
	} else {
		switch (READ_ONCE(pdev->dev.links.status)) {
		case DL_DEV_DRIVER_BOUND:
			err = 0;
			break;
		case DL_DEV_UNBINDING:
			err = -EBUSY;
			break;
		default:
			err = 1;
			break;
		}
	}
	if (!err && !try_module_get(drv->owner))
		err = 1;	/* being unloaded: unbinding drops every mapping */
	if (!err) {
		t->owner = drv->owner;
		err = s2attr_live_target_fill(pdev, t);
		if (err)
			module_put(t->owner);
	}
	mutex_unlock(&s2attr_bind_lock);
	return err;
}

static void s2attr_live_target_put(struct s2attr_live_target *t)
{
	s2attr_live_target_release(t);
	module_put(t->owner);
}

int s2attr_live_apply(struct pci_dev *pdev, struct s2attr_live_result *res)
{
	struct s2attr_live_target target;
	int err;

	memset(res, 0, sizeof(*res));
	res->when = ktime_get_real_seconds();
	if (!s2attr_live_mechanism()) {
		res->err = -EOPNOTSUPP;
		goto out;
	}
	err = mutex_lock_killable(&s2attr_live_lock);
	if (err)
		goto done;
	err = s2attr_live_target_get(pdev, &target);
	if (err > 0) {
		/* Not bound to vfio-pci: no event, nothing to drop. */
		mutex_unlock(&s2attr_live_lock);
		return 0;
	}
	if (!err) {
		err = s2attr_live_zap(&target, res);
		if (!err)
			err = s2attr_live_prove(&target, res);
		s2attr_live_target_put(&target);
	}
	mutex_unlock(&s2attr_live_lock);
done:
	res->err = err;
out:
	trace_kvm_s2attr_apply(s2attr_pci_bdf(pdev), res->bars, res->mappings,
			       res->err);
	return res->err;
}

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

/*
 * Every device: s2attr_live_apply() tells, under s2attr_bind_lock, which
 * are bound to vfio-pci (a driver read without it may be freed meanwhile).
 */
int s2attr_live_apply_all(struct s2attr_live_result *res)
{
	struct s2attr_live_result one;
	struct pci_dev *pdev = NULL;
	int err, first_err = 0;

	memset(res, 0, sizeof(*res));
	res->when = ktime_get_real_seconds();
	for_each_pci_dev(pdev) {
		err = s2attr_live_apply(pdev, &one);
		res->bars += one.bars;
		res->mappings += one.mappings;
		res->unreached += one.unreached;
		if (err && !first_err)
			first_err = err;
		if (err == -EINTR || err == -EOPNOTSUPP) {
			pci_dev_put(pdev);	/* for_each_pci_dev's reference */
			break;
		}
	}
	res->err = first_err;
	return first_err;
}
