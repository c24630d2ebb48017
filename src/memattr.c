// SPDX-License-Identifier: GPL-2.0
/*
 * Memory attribute names and the stage-2 MemAttr field. Pure logic: no
 * hardware access, so the user-space unit tests cover all of it.
 */
#include "memattr.h"

static const char * const s2attr_memattr_names[] = {
	[S2ATTR_MEMATTR_DEVICE]		= "device",
	[S2ATTR_MEMATTR_NORMAL_NC]	= "normal-nc",
};

static const char * const s2attr_default_names[] = {
	[S2ATTR_DEFAULT_KERNEL]		= "kernel",
	[S2ATTR_DEFAULT_DEVICE]		= "device",
};

static const char * const s2attr_memtype_names[] = {
	[S2ATTR_MT_DEVICE_nGnRnE]	= "device-ngnrne",
	[S2ATTR_MT_DEVICE_nGnRE]	= "device-ngnre",
	[S2ATTR_MT_DEVICE_nGRE]		= "device-ngre",
	[S2ATTR_MT_DEVICE_GRE]		= "device-gre",
	[S2ATTR_MT_NORMAL_NC]		= "normal-nc",
	[S2ATTR_MT_NORMAL_WB]		= "normal-wb",
	[S2ATTR_MT_NORMAL_S1]		= "normal-s1",
	[S2ATTR_MT_NORMAL_OTHER]	= "normal-other",
	[S2ATTR_MT_RESERVED]		= "reserved",
};

/*
 * Exact, case-sensitive match of @buf[0..len) against @name, allowing one
 * trailing newline (sysfs writes). An embedded NUL never matches.
 */
static bool s2attr_name_match(const char *buf, size_t len, const char *name)
{
	if (len && buf[len - 1] == '\n')
		len--;
	return len == strlen(name) && !memcmp(buf, name, len);
}

/* Returns the index of the name matching @buf, or -EINVAL. */
static int s2attr_name_lookup(const char *buf, size_t len,
			      const char * const *names, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (s2attr_name_match(buf, len, names[i]))
			return i;
	return -EINVAL;
}

int s2attr_memattr_parse(const char *buf, size_t len,
			 enum s2attr_memattr *out)
{
	int i = s2attr_name_lookup(buf, len, s2attr_memattr_names,
				   ARRAY_SIZE(s2attr_memattr_names));

	if (i < 0)
		return i;
	*out = i;
	return 0;
}

const char *s2attr_memattr_name(enum s2attr_memattr m)
{
	if ((unsigned int)m >= ARRAY_SIZE(s2attr_memattr_names))
		return "unknown";
	return s2attr_memattr_names[m];
}

int s2attr_default_parse(const char *buf, size_t len,
			 enum s2attr_default *out)
{
	int i = s2attr_name_lookup(buf, len, s2attr_default_names,
				   ARRAY_SIZE(s2attr_default_names));

	if (i < 0)
		return i;
	*out = i;
	return 0;
}

const char *s2attr_default_name(enum s2attr_default d)
{
	if ((unsigned int)d >= ARRAY_SIZE(s2attr_default_names))
		return "unknown";
	return s2attr_default_names[d];
}

static const enum s2attr_pte_memtype s2attr_device_types[] = {
	S2ATTR_MT_DEVICE_nGnRnE,
	S2ATTR_MT_DEVICE_nGnRE,
	S2ATTR_MT_DEVICE_nGRE,
	S2ATTR_MT_DEVICE_GRE,
};

/*
 * Without FWB: MemAttr[3:2] == 0 is Device of type MemAttr[1:0]; otherwise
 * Normal with outer = MemAttr[3:2], inner = MemAttr[1:0] (1 NC, 2 WT,
 * 3 WB; inner 0 is reserved). The guest's stage 1 can still make the
 * combined result stronger, never weaker.
 */
static enum s2attr_pte_memtype s2attr_decode_nofwb(unsigned int attr)
{
	unsigned int outer = attr >> 2, inner = attr & 3;

	if (!outer)
		return s2attr_device_types[inner];
	if (!inner)
		return S2ATTR_MT_RESERVED;
	if (outer == 1 && inner == 1)
		return S2ATTR_MT_NORMAL_NC;
	if (outer == 3 && inner == 3)
		return S2ATTR_MT_NORMAL_WB;
	return S2ATTR_MT_NORMAL_OTHER;
}

/*
 * With FWB, stage 2 forces the result: MemAttr[2] == 0 is Device of type
 * MemAttr[1:0]; MemAttr[2] == 1 is 01 Normal-NC, 10 Normal-WB, 11 "use
 * stage 1", 00 reserved. MemAttr[3] has no defined meaning with FWB (KVM
 * never sets it), so anything with it set is reported as reserved.
 */
static enum s2attr_pte_memtype s2attr_decode_fwb(unsigned int attr)
{
	if (attr & 0x8)
		return S2ATTR_MT_RESERVED;
	if (!(attr & 0x4))
		return s2attr_device_types[attr & 3];
	switch (attr & 3) {
	case 1:
		return S2ATTR_MT_NORMAL_NC;
	case 2:
		return S2ATTR_MT_NORMAL_WB;
	case 3:
		return S2ATTR_MT_NORMAL_S1;
	default:
		return S2ATTR_MT_RESERVED;
	}
}

enum s2attr_pte_memtype s2attr_pte_memtype(u64 pte, bool fwb)
{
	unsigned int attr = (pte & S2ATTR_PTE_MEMATTR_MASK) >>
			    S2ATTR_PTE_MEMATTR_SHIFT;

	return fwb ? s2attr_decode_fwb(attr) : s2attr_decode_nofwb(attr);
}

const char *s2attr_pte_memtype_name(enum s2attr_pte_memtype t)
{
	if ((unsigned int)t >= ARRAY_SIZE(s2attr_memtype_names))
		return "unknown";
	return s2attr_memtype_names[t];
}

/*
 * Rewrites only MemAttr, bits [5:2]. Device-nGnRE and Normal-NC happen to
 * have the same encoding with and without FWB; @fwb is still honoured so
 * that this stays right if that ever changes. An unknown @m gets Device,
 * the conservative choice for MMIO.
 */
u64 s2attr_pte_set_memattr(u64 pte, enum s2attr_memattr m, bool fwb)
{
	u64 attr;

	if (m == S2ATTR_MEMATTR_NORMAL_NC)
		attr = fwb ? S2ATTR_S2_FWB_NORMAL_NC : S2ATTR_S2_NORMAL_NC;
	else
		attr = fwb ? S2ATTR_S2_FWB_DEVICE_NGNRE :
			     S2ATTR_S2_DEVICE_NGNRE;

	return (pte & ~S2ATTR_PTE_MEMATTR_MASK) |
	       (attr << S2ATTR_PTE_MEMATTR_SHIFT);
}

/*
 * True when the mapping may be cached: Write-Back, Write-Through or mixed,
 * and "stage 1 decides" (which the guest may make cacheable).
 */
bool s2attr_memtype_is_cacheable(enum s2attr_pte_memtype t)
{
	switch (t) {
	case S2ATTR_MT_NORMAL_WB:
	case S2ATTR_MT_NORMAL_S1:
	case S2ATTR_MT_NORMAL_OTHER:
		return true;
	default:
		return false;
	}
}

/*
 * Could @attr be the attributes KVM is about to give a stage-2 leaf? KVM
 * builds them apart from the output address and adds the address and the
 * descriptor type (bits [1:0]) only when it writes the leaf, so a value
 * with any of those bits set was read from the wrong place. Bits [47:12]
 * hold the output address at every granule, including OA[51:48] with
 * 64K pages; LPA2 puts OA[51:50] in SH [9:8], which is therefore not
 * checked. KVM sets the access flag (bit 10) in every leaf it installs.
 */
bool s2attr_leaf_attr_plausible(u64 attr)
{
	const u64 never = 0x3ULL | (((1ULL << 36) - 1) << 12);

	return !(attr & never) && (attr & (1ULL << 10));
}
