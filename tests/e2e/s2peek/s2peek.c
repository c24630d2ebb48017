// SPDX-License-Identifier: GPL-2.0
/*
 * s2peek - test-only read-back of a KVM VM's stage-2 page tables.
 *
 * The kvm-s2attr end-to-end tests must not trust the module under test, nor
 * KVM's own helpers (kvm_pgtable_get_leaf() does not exist on 5.10 and the
 * walker API changed twice since), to say which memory attribute a guest
 * page got. This module walks the stage-2 tables of a VM by hand, following
 * the Arm ARM rules for the 4 KiB granule, and hands the raw leaf descriptors
 * to user space, which decodes them itself.
 *
 * Interface: ioctl(S2PEEK_IOC_WALK) on the debugfs file "s2peek", see
 * s2peek_uapi.h. Only the layout of struct kvm_pgtable (pgd, ia_bits,
 * start_level) and kvm->mmu_lock are taken from KVM's headers; no KVM
 * function is called.
 */
#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/kvm_pgtable.h>
#include <asm/virt.h>

#include "s2peek_uapi.h"

#define S2_VALID	BIT_ULL(0)
#define S2_TABLE	BIT_ULL(1)	/* table at levels < 3, page at level 3 */
#define S2_ADDR_48	GENMASK_ULL(47, 12)
#define S2_ADDR_LPA2	GENMASK_ULL(49, 12)
#define S2_ADDR_51_50	GENMASK_ULL(9, 8)
#define S2_MAX_LEVEL	3
#define S2_MIN_LEVEL	(-1)		/* LPA2 with 52-bit IPA */
#define S2_CHUNK	512		/* pages looked up per lock hold */

static struct dentry *s2peek_dentry;

/*
 * With FEAT_LPA2 (possible on 6.9+ kernels built with 52-bit PA, e.g. Debian
 * 6.12 and 7.2 under "-cpu max"), table and leaf descriptors carry OA[51:50]
 * in bits [9:8]; otherwise those bits are SH[1:0] (ignored in table
 * descriptors). Whether KVM uses the LPA2 layout is a system-wide decision,
 * which the kernel exposes as kvm_lpa2_is_enabled() in kernels that have it.
 */
static bool s2peek_lpa2(void)
{
#ifdef KVM_PTE_ADDR_51_50_LPA2
	return kvm_lpa2_is_enabled();
#else
	return false;
#endif
}

static unsigned int s2peek_level_shift(int level)
{
	return PAGE_SHIFT + (S2_MAX_LEVEL - level) * (PAGE_SHIFT - 3);
}

static u64 s2peek_table_phys(kvm_pte_t pte, bool lpa2)
{
	if (lpa2)
		return (pte & S2_ADDR_LPA2) |
		       (FIELD_GET(S2_ADDR_51_50, pte) << 50);
	return pte & S2_ADDR_48;
}

/*
 * Look up one IPA. The start level may consist of up to 16 concatenated
 * tables, so its index is not masked to 9 bits (the caller has checked the
 * IPA against ia_bits). Returns 0 with e->desc = 0 for an unmapped IPA.
 */
static int s2peek_walk_one(kvm_pte_t *pgd, int start_level, u64 ipa,
			   bool lpa2, struct s2peek_entry *e)
{
	kvm_pte_t *table = pgd;
	int level = start_level;
	u64 idx = ipa >> s2peek_level_shift(level);

	memset(e, 0, sizeof(*e));
	for (;;) {
		kvm_pte_t pte = READ_ONCE(table[idx]);
		u64 phys;

		e->level = level;
		if (!(pte & S2_VALID))
			return 0;
		/*
		 * Leaf: a page at level 3 (bits[1:0] = 0b11; 0b01 there is
		 * reserved, i.e. invalid) or a block above it (0b01).
		 */
		if (level == S2_MAX_LEVEL || !(pte & S2_TABLE)) {
			if (level == S2_MAX_LEVEL && !(pte & S2_TABLE))
				return 0;
			e->desc = pte;
			e->flags = S2PEEK_E_LEAF;
			return 0;
		}

		phys = s2peek_table_phys(pte, lpa2);
		/* Never dereference something that is not RAM. */
		if (!pfn_valid(PHYS_PFN(phys)))
			return -EFAULT;
		table = phys_to_virt(phys);
		level++;
		idx = (ipa >> s2peek_level_shift(level)) & (PTRS_PER_PTE - 1);
	}
}

static void s2peek_lock(struct kvm *kvm)
{
#ifdef KVM_HAVE_MMU_RWLOCK
	read_lock(&kvm->mmu_lock);
#else
	spin_lock(&kvm->mmu_lock);
#endif
	/* 6.2+ frees stage-2 tables after an RCU grace period. */
	rcu_read_lock();
}

static void s2peek_unlock(struct kvm *kvm)
{
	rcu_read_unlock();
#ifdef KVM_HAVE_MMU_RWLOCK
	read_unlock(&kvm->mmu_lock);
#else
	spin_unlock(&kvm->mmu_lock);
#endif
}

/* A VM fd is an anon inode file named "kvm-vm" (see KVM_CREATE_VM). */
static bool s2peek_is_kvm_vm(struct file *f)
{
	return file_inode(f)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(f->f_path.dentry->d_name.name, "kvm-vm") &&
	       f->private_data;
}

static long s2peek_walk(struct s2peek_req __user *ureq)
{
	struct s2peek_entry __user *uent;
	struct s2peek_entry *buf;
	struct kvm_pgtable *pgt;
	struct s2peek_req req;
	bool lpa2 = s2peek_lpa2();
	struct file *vmf;
	struct kvm *kvm;
	u32 done, n, i;
	long ret = 0;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	if (!req.nr_pages || req.nr_pages > S2PEEK_MAX_PAGES ||
	    !PAGE_ALIGNED(req.ipa))
		return -EINVAL;
	uent = u64_to_user_ptr(req.entries);

	vmf = fget(req.vm_fd);
	if (!vmf)
		return -EBADF;
	if (!s2peek_is_kvm_vm(vmf)) {
		ret = -EINVAL;
		goto out_fput;
	}
	/* Our file reference keeps the VM alive. */
	kvm = vmf->private_data;

	/*
	 * Protected KVM (6.9+) keeps guests' stage-2 at EL2, out of our reach:
	 * the harness never boots it, so there is no check (and no version
	 * test) here.
	 */
	buf = kvmalloc_array(S2_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_fput;
	}

	for (done = 0; done < req.nr_pages; done += n) {
		kvm_pte_t *pgd = NULL;
		int start = 0;

		n = min_t(u32, S2_CHUNK, req.nr_pages - done);
		s2peek_lock(kvm);
		/* Re-read under the lock: the tables go away with the VM. */
		pgt = kvm->arch.mmu.pgt;
		if (!pgt) {
			ret = -ENXIO;
		} else {
			pgd = (__force kvm_pte_t *)pgt->pgd;
			start = pgt->start_level;
			req.ia_bits = pgt->ia_bits;
			req.start_level = start;
			if (start < S2_MIN_LEVEL || start > S2_MAX_LEVEL ||
			    req.ia_bits > 52 || !pgd)
				ret = -EIO;
			else if ((req.ipa >> req.ia_bits) ||
				 ((req.ipa + ((u64)req.nr_pages << PAGE_SHIFT) - 1)
				  >> req.ia_bits))
				ret = -ERANGE;
		}
		for (i = 0; i < n && !ret; i++)
			ret = s2peek_walk_one(pgd, start,
					      req.ipa + ((u64)(done + i) << PAGE_SHIFT),
					      lpa2, &buf[i]);
		s2peek_unlock(kvm);
		if (ret)
			break;
		/* Copy out with no lock held: this may fault. */
		if (copy_to_user(uent + done, buf, n * sizeof(*buf))) {
			ret = -EFAULT;
			break;
		}
	}
	kvfree(buf);
	if (ret)
		goto out_fput;

	req.info = (lpa2 ? S2PEEK_I_LPA2 : 0) |
		   (cpus_have_final_cap(ARM64_HAS_STAGE2_FWB) ? S2PEEK_I_FWB : 0) |
		   (has_vhe() ? S2PEEK_I_VHE : 0);
	if (copy_to_user(ureq, &req, sizeof(req)))
		ret = -EFAULT;
out_fput:
	fput(vmf);
	return ret;
}

static long s2peek_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case S2PEEK_IOC_WALK:
		return s2peek_walk((struct s2peek_req __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations s2peek_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= s2peek_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static int __init s2peek_init(void)
{
	BUILD_BUG_ON(PAGE_SIZE != SZ_4K);
	s2peek_dentry = debugfs_create_file("s2peek", 0600, NULL, NULL,
					    &s2peek_fops);
	if (IS_ERR_OR_NULL(s2peek_dentry))
		return s2peek_dentry ? PTR_ERR(s2peek_dentry) : -ENOMEM;
	return 0;
}

static void __exit s2peek_exit(void)
{
	debugfs_remove(s2peek_dentry);
}

module_init(s2peek_init);
module_exit(s2peek_exit);
MODULE_DESCRIPTION("kvm-s2attr tests: read back KVM stage-2 leaf descriptors");
MODULE_LICENSE("GPL");
