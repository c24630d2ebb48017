// SPDX-License-Identifier: GPL-2.0
/*
 * s2peek - test-only read-back of a KVM VM's stage-2 page tables.
 *
 * The kvm-s2attr end-to-end tests must not trust the module under test, nor
 * KVM's own helpers (kvm_pgtable_get_leaf() does not exist on 5.10 and the
 * walker API changed twice since), to say which memory attribute a guest
 * page got. This module walks the stage-2 tables of a VM by hand, following
 * the Arm ARM rules for the translation granule KVM's stage 2 uses, which is
 * the host's PAGE_SIZE (4 KiB or 16 KiB here), and hands the raw leaf
 * descriptors to user space, which decodes them itself.
 *
 * Interface: ioctl(S2PEEK_IOC_WALK) on the debugfs file "s2peek", see
 * s2peek_uapi.h. Only the layout of struct kvm_pgtable (pgd, ia_bits,
 * start_level), the VM's VTCR_EL2 value and kvm->mmu_lock are taken from
 * KVM's headers, and each walk checks them against one another and against
 * the architecture before it trusts them; no KVM function is called.
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
/* Output and next-level table addresses: bits [47:granule] (or [49:]). */
#define S2_ADDR_48	GENMASK_ULL(47, PAGE_SHIFT)
#define S2_ADDR_LPA2	GENMASK_ULL(49, PAGE_SHIFT)
#define S2_ADDR_51_50	GENMASK_ULL(9, 8)
#define S2_MAX_LEVEL	3
/* Each level resolves PAGE_SHIFT - 3 bits: 9 (4 KiB), 11 (16 KiB). */
#define S2_LEVEL_BITS	(PAGE_SHIFT - 3)
/* Up to 16 tables may be concatenated at the start level (Arm ARM). */
#define S2_MAX_CONCAT_BITS	4
#define S2_CHUNK	512		/* pages looked up per lock hold */

/* VTCR_EL2 fields (Arm ARM D19.2, VTCR_EL2), as the architecture has them. */
#define S2_VTCR_T0SZ	GENMASK_ULL(5, 0)
#define S2_VTCR_SL0	GENMASK_ULL(7, 6)
#define S2_VTCR_TG0	GENMASK_ULL(15, 14)
#define S2_VTCR_SL2	BIT_ULL(33)
#define S2_TG0_4K	0	/* 1 is 64 KiB, which the walk does not know */
#define S2_TG0_16K	2

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
	return PAGE_SHIFT + (S2_MAX_LEVEL - level) * S2_LEVEL_BITS;
}

/*
 * The levels at which a block descriptor is allowed (Arm ARM D8.3): with
 * the 4 KiB granule at levels 1 and 2 (1 GiB, 2 MiB), and 0 with LPA2;
 * with 16 KiB at level 2 (32 MiB), and 1 (64 GiB) with LPA2 only. A block
 * anywhere else is a translation fault to the hardware, and to us a sign
 * that the tables are not what we think they are.
 */
static bool s2peek_block_allowed(int level, bool lpa2)
{
	int min = IS_ENABLED(CONFIG_ARM64_4K_PAGES) ? 1 : 2;

	return level < S2_MAX_LEVEL && level >= min - lpa2;
}

/*
 * The lowest start level the granule allows: 0 for 16 KiB (with LPA2;
 * without it 1), -1 for 4 KiB with LPA2 (KVM concatenates tables rather
 * than use it, but the architecture has it).
 */
static int s2peek_min_level(bool lpa2)
{
	return (IS_ENABLED(CONFIG_ARM64_4K_PAGES) ? 0 : 1) - lpa2;
}

/* The VM's VTCR_EL2 value, which KVM loads whenever one of its vCPUs runs. */
static u64 s2peek_vtcr(struct kvm *kvm)
{
	/* In struct kvm_s2_mmu since 6.7, struct kvm_arch before (Makefile). */
#ifdef S2PEEK_MMU_VTCR
	return kvm->arch.mmu.vtcr;
#else
	return kvm->arch.vtcr;
#endif
}

/*
 * Trust what struct kvm_pgtable says only if the VM's VTCR_EL2, what the
 * MMU translates with, says the same (granule, IPA size, start level),
 * and the start level is one the architecture allows for that IPA size:
 * it resolves at least one bit, at most 16 concatenated tables, and the
 * tables are aligned to their size. Returns the granule in bytes, or 0.
 */
static u32 s2peek_check_layout(struct kvm *kvm, kvm_pte_t *pgd, u32 ia_bits,
			       int start, bool lpa2)
{
	u64 vtcr = s2peek_vtcr(kvm);
	unsigned int sl0 = FIELD_GET(S2_VTCR_SL0, vtcr);
	unsigned int bits, granule_shift;
	int vtcr_start;

	switch (FIELD_GET(S2_VTCR_TG0, vtcr)) {
	case S2_TG0_4K:
		granule_shift = 12;
		vtcr_start = 2 - sl0;	/* SL0 3: level 3, FEAT_TTST only */
		break;
	case S2_TG0_16K:
		granule_shift = 14;
		vtcr_start = 3 - sl0;
		break;
	default:
		return 0;
	}
	/* The walk is written for the host's granule. */
	if (granule_shift != PAGE_SHIFT || (vtcr & S2_VTCR_SL2) ||
	    (IS_ENABLED(CONFIG_ARM64_4K_PAGES) && sl0 == 3))
		return 0;
	if (!pgd || start != vtcr_start || start < s2peek_min_level(lpa2) ||
	    start > S2_MAX_LEVEL || ia_bits != 64 - FIELD_GET(S2_VTCR_T0SZ, vtcr) ||
	    ia_bits > 52 || ia_bits <= s2peek_level_shift(start))
		return 0;
	bits = ia_bits - s2peek_level_shift(start);
	if (bits > S2_LEVEL_BITS + S2_MAX_CONCAT_BITS ||
	    !IS_ALIGNED(virt_to_phys(pgd), max_t(u64, PAGE_SIZE,
						 sizeof(kvm_pte_t) << bits)))
		return 0;
	return 1U << granule_shift;
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
 * tables, so its index is not masked to S2_LEVEL_BITS (the caller has
 * checked the IPA against ia_bits). Returns 0 with e->desc = 0 for an
 * unmapped IPA, -EIO for a block where the granule allows none.
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
			if (level < S2_MAX_LEVEL &&
			    !s2peek_block_allowed(level, lpa2))
				return -EIO;
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
		idx = (ipa >> s2peek_level_shift(level)) &
		      (BIT(S2_LEVEL_BITS) - 1);
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
	u32 granule = 0;
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
			granule = s2peek_check_layout(kvm, pgd, req.ia_bits,
						      start, lpa2);
			if (!granule)
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
	req.granule = granule;
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
	/* The walk knows the 4 KiB and 16 KiB granules, not 64 KiB. */
	BUILD_BUG_ON(PAGE_SIZE != SZ_4K && PAGE_SIZE != SZ_16K);
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
