/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory attribute names, and the MemAttr field of a stage-2 leaf
 * descriptor (bits [5:2]) as the Arm ARM defines it with and without
 * FEAT_S2FWB (HCR_EL2.FWB).
 */
#ifndef KVM_S2ATTR_MEMATTR_H
#define KVM_S2ATTR_MEMATTR_H

#include "s2attr_types.h"

/* What an admin asks for, per device. */
enum s2attr_memattr {
	S2ATTR_MEMATTR_DEVICE,		/* "device": Device-nGnRE */
	S2ATTR_MEMATTR_NORMAL_NC,	/* "normal-nc": Normal Non-cacheable */
};

/* What a BAR without a per-device entry gets. */
enum s2attr_default {
	S2ATTR_DEFAULT_KERNEL,		/* "kernel": keep KVM's choice */
	S2ATTR_DEFAULT_DEVICE,		/* "device": force Device-nGnRE */
};

int s2attr_memattr_parse(const char *buf, size_t len,
			 enum s2attr_memattr *out);
const char *s2attr_memattr_name(enum s2attr_memattr m);

int s2attr_default_parse(const char *buf, size_t len,
			 enum s2attr_default *out);
const char *s2attr_default_name(enum s2attr_default d);

#define S2ATTR_PTE_MEMATTR_SHIFT	2
#define S2ATTR_PTE_MEMATTR_MASK		(0xfULL << 2)

/* MemAttr values, as Linux's MT_S2_* and MT_S2_FWB_* (asm/memory.h). */
#define S2ATTR_S2_DEVICE_NGNRE		0x1
#define S2ATTR_S2_NORMAL_NC		0x5
#define S2ATTR_S2_NORMAL		0xf
#define S2ATTR_S2_FWB_DEVICE_NGNRE	0x1
#define S2ATTR_S2_FWB_NORMAL_NC		0x5
#define S2ATTR_S2_FWB_NORMAL		0x6
#define S2ATTR_S2_FWB_AS_S1		0x7

/* What a stage-2 descriptor's MemAttr field decodes to. */
enum s2attr_pte_memtype {
	S2ATTR_MT_DEVICE_nGnRnE,
	S2ATTR_MT_DEVICE_nGnRE,
	S2ATTR_MT_DEVICE_nGRE,
	S2ATTR_MT_DEVICE_GRE,
	S2ATTR_MT_NORMAL_NC,
	S2ATTR_MT_NORMAL_WB,
	S2ATTR_MT_NORMAL_S1,	/* FWB 0b0111: stage-1 attributes apply */
	S2ATTR_MT_NORMAL_OTHER,	/* WT and mixed cacheable */
	S2ATTR_MT_RESERVED,
};

enum s2attr_pte_memtype s2attr_pte_memtype(u64 pte, bool fwb);
const char *s2attr_pte_memtype_name(enum s2attr_pte_memtype t);
u64 s2attr_pte_set_memattr(u64 pte, enum s2attr_memattr m, bool fwb);
bool s2attr_memtype_is_cacheable(enum s2attr_pte_memtype t);
bool s2attr_leaf_attr_plausible(u64 attr);

#endif /* KVM_S2ATTR_MEMATTR_H */
