/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * s2peek: test-only interface to read back the stage-2 leaf descriptors of a
 * KVM VM. Shared by the s2peek module and the s2test user-space program.
 * A page is one translation granule of KVM's stage 2: the host's PAGE_SIZE
 * (4 KiB or 16 KiB), which the walk reports in s2peek_req.granule.
 */
#ifndef S2PEEK_UAPI_H
#define S2PEEK_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define S2PEEK_PATH		"/sys/kernel/debug/s2peek"
#define S2PEEK_MAX_PAGES	(1U << 20)	/* 4 GiB of IPA per call (4 KiB pages) */

/* s2peek_entry.flags */
#define S2PEEK_E_LEAF		(1U << 0)	/* desc is a valid block/page */

/* s2peek_req.info (filled in by the kernel) */
#define S2PEEK_I_LPA2		(1U << 0)	/* descriptors use the LPA2 layout */
#define S2PEEK_I_FWB		(1U << 1)	/* FEAT_S2FWB in use (MemAttr meaning) */
#define S2PEEK_I_VHE		(1U << 2)	/* host kernel runs at EL2 (VHE) */

struct s2peek_entry {
	__u64	desc;		/* raw leaf descriptor, 0 if not mapped */
	__s8	level;		/* level of the leaf, or where the walk stopped */
	__u8	flags;		/* S2PEEK_E_* */
	__u8	pad[6];
};

struct s2peek_req {
	__s32	vm_fd;		/* in: fd returned by KVM_CREATE_VM */
	__u32	nr_pages;	/* in: number of pages (granules) to look up */
	__u64	ipa;		/* in: first IPA, aligned to the granule */
	__u64	entries;	/* in: user pointer to nr_pages s2peek_entry */
	__u32	ia_bits;	/* out: IPA size of the VM's stage-2 */
	__s32	start_level;	/* out: start level of the walk */
	__u32	info;		/* out: S2PEEK_I_* */
	__u32	granule;	/* out: translation granule of the walk, bytes */
};

#define S2PEEK_IOC_WALK		_IOWR('S', 0x2a, struct s2peek_req)

#endif /* S2PEEK_UAPI_H */
