/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernels kvm-s2attr supports, keyed on
 * the KVM_S2ATTR_HAVE_* results of scripts/conftest.sh (never on version
 * numbers: distros backport). The rest of the module includes only this.
 */
#ifndef KVM_S2ATTR_COMPAT_H
#define KVM_S2ATTR_COMPAT_H

#include <linux/ftrace.h>
#include <linux/mm.h>
#include <linux/types.h>
#include <asm/cpufeature.h>
#include <asm/kvm_pgtable.h>
#include <asm/virt.h>

static inline bool s2attr_cpu_has_fwb(void)
{
#ifdef KVM_S2ATTR_HAVE_CPUS_HAVE_FINAL_CAP
	return cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
#else
	return cpus_have_const_cap(ARM64_HAS_STAGE2_FWB);
#endif
}

/* Stock KVM already maps vfio-pci BARs Normal-NC (VM_ALLOW_ANY_UNCACHED). */
static inline bool s2attr_kernel_has_normal_nc(void)
{
#ifdef KVM_S2ATTR_HAVE_PROT_NORMAL_NC
	return true;
#else
	return false;
#endif
}

/* Unmap part of a VM_PFNMAP mapping (firing the mmu notifiers). */
static inline void s2attr_zap_pfnmap(struct vm_area_struct *vma,
				     unsigned long addr, unsigned long size)
{
#ifdef KVM_S2ATTR_HAVE_ZAP_SPECIAL_VMA_RANGE
	zap_special_vma_range(vma, addr, size);
#else
	zap_vma_ptes(vma, addr, size);
#endif
}

/* The hook reads kvm_pgtable_walk()'s arguments by position. */
#ifdef KVM_S2ATTR_HAVE_KVM_PGTABLE_WALK_ARGS
#define S2ATTR_CAN_HOOK_WALK_ARGS 1
#else
#define S2ATTR_CAN_HOOK_WALK_ARGS 0
#endif

/*
 * The walk that installs stage-2 leaves. Where kvm_pgtable_walk() is called
 * out of line, its arguments are (pgt, addr, size, walker). Where it is
 * inlined (Debian 5.10), the out-of-line callee is _kvm_pgtable_walk(data),
 * whose private walk_data starts {pgt, walker, addr, end}; that layout only
 * exists in trees with the old visitor signature.
 */
#ifndef KVM_S2ATTR_HAVE_VISIT_CTX
#define S2ATTR_CAN_HOOK_WALK_DATA 1
#ifndef KVM_S2ATTR_TEST_SWAPPED_LAYOUT
struct s2attr_walk_data_v1 {
	struct kvm_pgtable *pgt;
	struct kvm_pgtable_walker *walker;
	u64 addr;
	u64 end;
};
#else
struct s2attr_walk_data_v1 {
	struct kvm_pgtable_walker *walker;
	struct kvm_pgtable *pgt;
	u64 addr;
	u64 end;
};
#endif
#else
#define S2ATTR_CAN_HOOK_WALK_DATA 0
#endif

/*
 * The head of pgtable.c's private struct stage2_map_data, the same in every
 * supported tree: the output address and the leaf attributes being mapped.
 * The hook checks both at run time (hook.c).
 *
 * KVM_S2ATTR_TEST_SWAPPED_LAYOUT is for the test harness only: it builds a
 * module that reads these private structs with two fields swapped, as
 * after a distro backport that reordered them, to see the check refuse.
 */
#ifndef KVM_S2ATTR_TEST_SWAPPED_LAYOUT
struct s2attr_map_data_head {
	u64 phys;
	kvm_pte_t attr;
};
#else
struct s2attr_map_data_head {
	kvm_pte_t attr;
	u64 phys;
};
#endif

/*
 * ftrace: the callback's register view (struct s2attr_fregs names it) and
 * how to read an argument from it.
 */
#ifdef KVM_S2ATTR_HAVE_FTRACE_REGS
#define s2attr_fregs ftrace_regs
#else
#define s2attr_fregs pt_regs
#endif

#if defined(KVM_S2ATTR_HAVE_FTRACE_REGS_GET_ARGUMENT) && \
	defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#define S2ATTR_FTRACE_SAVE_REGS 0
static __always_inline unsigned long s2attr_fregs_arg(struct s2attr_fregs *fregs,
						      unsigned int n)
{
	return ftrace_regs_get_argument(fregs, n);
}
#elif defined(KVM_S2ATTR_HAVE_FTRACE_REGS)
/* WITH_REGS only: ask for a full pt_regs, then read it. */
#define S2ATTR_FTRACE_SAVE_REGS FTRACE_OPS_FL_SAVE_REGS
static __always_inline unsigned long s2attr_fregs_arg(struct s2attr_fregs *fregs,
						      unsigned int n)
{
	return ftrace_get_regs(fregs)->regs[n];
}
#else
#define S2ATTR_FTRACE_SAVE_REGS FTRACE_OPS_FL_SAVE_REGS
static __always_inline unsigned long s2attr_fregs_arg(struct s2attr_fregs *regs,
						      unsigned int n)
{
	return regs->regs[n];
}
#endif

/*
 * The callback touches only its own data and calls nothing traceable, so
 * it needs no recursion protection from ftrace (which would cost a check
 * per call). Before v5.11 that had to be declared; since, it is the default.
 */
#ifdef KVM_S2ATTR_HAVE_FTRACE_OPS_FL_RECURSION
#define S2ATTR_FTRACE_RECURSION_FLAGS 0
#else
#define S2ATTR_FTRACE_RECURSION_FLAGS FTRACE_OPS_FL_RECURSION_SAFE
#endif

/* Drop the ops' filter after unregistering it. */
static inline void s2attr_ftrace_free_filter(struct ftrace_ops *ops)
{
#ifdef KVM_S2ATTR_HAVE_EXPORT_FTRACE_FREE_FILTER
	ftrace_free_filter(ops);
#else
	/* Not exported: empty the filter, which frees its entries. */
	ftrace_set_filter(ops, NULL, 0, 1);
#endif
}

#endif /* KVM_S2ATTR_COMPAT_H */
