// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/memattr.c: names and stage-2 MemAttr decode/encode. */
#include "unit.h"
#include "memattr.h"

#define SENTINEL	0x5a5a

static const struct {
	struct unit_str in;
	enum s2attr_memattr want;
} memattr_good[] = {
	{ US("device"), S2ATTR_MEMATTR_DEVICE },
	{ US("device\n"), S2ATTR_MEMATTR_DEVICE },
	{ US("normal-nc"), S2ATTR_MEMATTR_NORMAL_NC },
	{ US("normal-nc\n"), S2ATTR_MEMATTR_NORMAL_NC },
};

static const struct unit_str memattr_bad[] = {
	US(""), US("\n"), US("\n\n"),
	US("Device"), US("DEVICE"), US("normal-NC"), US("Normal-nc"),
	US("normal_nc"), US("normalnc"), US("normal"), US("normal-"),
	US("nc"), US("wc"), US("normal-wb"), US("kernel"),
	US(" device"), US("device "), US("\tdevice"), US("device\t"),
	US("device\n\n"), US("\ndevice"), US("device\r\n"),
	US("devic"), US("devicee"), US("device,"), US("device=1"),
	US("+device"), US("-device"), US("0"), US("1"), US("0x1"),
	US("device\0"), US("dev\0ice"), US("\0device"),
	US("normal-nc\0"), US("normal-nc\0\n"),
	US("device normal-nc"), US("devicenormal-nc"),
};

static const struct {
	struct unit_str in;
	enum s2attr_default want;
} default_good[] = {
	{ US("kernel"), S2ATTR_DEFAULT_KERNEL },
	{ US("kernel\n"), S2ATTR_DEFAULT_KERNEL },
	{ US("device"), S2ATTR_DEFAULT_DEVICE },
	{ US("device\n"), S2ATTR_DEFAULT_DEVICE },
};

static const struct unit_str default_bad[] = {
	US(""), US("\n"), US("Kernel"), US("KERNEL"), US("Device"),
	US("normal-nc"), US("kernel\n\n"), US(" kernel"), US("kernel "),
	US("kerne"), US("kernels"), US("kernel\0"), US("ker\0nel"),
	US("device\r"), US("default"), US("none"), US("0"),
};

static void test_memattr_parse(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(memattr_good); i++) {
		enum s2attr_memattr m = SENTINEL;
		const struct unit_str *in = &memattr_good[i].in;

		UNIT_EXPECT_EQ_ERR(s2attr_memattr_parse(in->s, in->len, &m), 0,
				   "memattr_parse(%s)", unit_q(in->s, in->len));
		UNIT_EXPECT_EQ_INT(m, memattr_good[i].want,
				   "memattr_parse(%s) value",
				   unit_q(in->s, in->len));
	}
	for (i = 0; i < UNIT_ARRAY_SIZE(memattr_bad); i++) {
		enum s2attr_memattr m = SENTINEL;
		const struct unit_str *in = &memattr_bad[i];

		UNIT_EXPECT_EQ_ERR(s2attr_memattr_parse(in->s, in->len, &m),
				   -EINVAL, "memattr_parse(%s) rejected",
				   unit_q(in->s, in->len));
		UNIT_EXPECT_EQ_INT(m, SENTINEL,
				   "memattr_parse(%s) leaves *out untouched",
				   unit_q(in->s, in->len));
	}
}

static void test_default_parse(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(default_good); i++) {
		enum s2attr_default d = SENTINEL;
		const struct unit_str *in = &default_good[i].in;

		UNIT_EXPECT_EQ_ERR(s2attr_default_parse(in->s, in->len, &d), 0,
				   "default_parse(%s)", unit_q(in->s, in->len));
		UNIT_EXPECT_EQ_INT(d, default_good[i].want,
				   "default_parse(%s) value",
				   unit_q(in->s, in->len));
	}
	for (i = 0; i < UNIT_ARRAY_SIZE(default_bad); i++) {
		enum s2attr_default d = SENTINEL;
		const struct unit_str *in = &default_bad[i];

		UNIT_EXPECT_EQ_ERR(s2attr_default_parse(in->s, in->len, &d),
				   -EINVAL, "default_parse(%s) rejected",
				   unit_q(in->s, in->len));
		UNIT_EXPECT_EQ_INT(d, SENTINEL,
				   "default_parse(%s) leaves *out untouched",
				   unit_q(in->s, in->len));
	}
}

static void test_names(void)
{
	const char *n;
	enum s2attr_memattr m;
	enum s2attr_default d;
	unsigned int i;

	UNIT_EXPECT_EQ_STR(s2attr_memattr_name(S2ATTR_MEMATTR_DEVICE),
			   "device", "memattr_name(DEVICE)");
	UNIT_EXPECT_EQ_STR(s2attr_memattr_name(S2ATTR_MEMATTR_NORMAL_NC),
			   "normal-nc", "memattr_name(NORMAL_NC)");
	UNIT_EXPECT_EQ_STR(s2attr_memattr_name((enum s2attr_memattr)2),
			   "unknown", "memattr_name(2)");
	UNIT_EXPECT_EQ_STR(s2attr_memattr_name((enum s2attr_memattr)-1),
			   "unknown", "memattr_name(-1)");
	UNIT_EXPECT_EQ_STR(s2attr_default_name(S2ATTR_DEFAULT_KERNEL),
			   "kernel", "default_name(KERNEL)");
	UNIT_EXPECT_EQ_STR(s2attr_default_name(S2ATTR_DEFAULT_DEVICE),
			   "device", "default_name(DEVICE)");
	UNIT_EXPECT_EQ_STR(s2attr_default_name((enum s2attr_default)2),
			   "unknown", "default_name(2)");

	/* Names parse back to their value. */
	for (i = S2ATTR_MEMATTR_DEVICE; i <= S2ATTR_MEMATTR_NORMAL_NC; i++) {
		m = SENTINEL;
		n = s2attr_memattr_name(i);
		UNIT_EXPECT(!s2attr_memattr_parse(n, strlen(n), &m) && m == i,
			    "memattr_parse(memattr_name(%u)) == %u", i, i);
	}
	for (i = S2ATTR_DEFAULT_KERNEL; i <= S2ATTR_DEFAULT_DEVICE; i++) {
		d = SENTINEL;
		n = s2attr_default_name(i);
		UNIT_EXPECT(!s2attr_default_parse(n, strlen(n), &d) && d == i,
			    "default_parse(default_name(%u)) == %u", i, i);
	}
}

#define DEV_NGNRNE	S2ATTR_MT_DEVICE_nGnRnE
#define DEV_NGNRE	S2ATTR_MT_DEVICE_nGnRE
#define DEV_NGRE	S2ATTR_MT_DEVICE_nGRE
#define DEV_GRE		S2ATTR_MT_DEVICE_GRE
#define NC		S2ATTR_MT_NORMAL_NC
#define WB		S2ATTR_MT_NORMAL_WB
#define S1		S2ATTR_MT_NORMAL_S1
#define OTHER		S2ATTR_MT_NORMAL_OTHER
#define RSVD		S2ATTR_MT_RESERVED

/* Arm ARM stage-2 MemAttr[3:0], indexed by value. */
static const enum s2attr_pte_memtype decode_nofwb[16] = {
	DEV_NGNRNE, DEV_NGNRE, DEV_NGRE, DEV_GRE,	/* 00xx: Device */
	RSVD, NC, OTHER, OTHER,		/* outer NC; inner -, NC, WT, WB */
	RSVD, OTHER, OTHER, OTHER,	/* outer WT */
	RSVD, OTHER, OTHER, WB,		/* outer WB */
};

static const enum s2attr_pte_memtype decode_fwb[16] = {
	DEV_NGNRNE, DEV_NGNRE, DEV_NGRE, DEV_GRE,	/* 0 0xx: Device */
	RSVD, NC, WB, S1,				/* 0 1xx: Normal */
	RSVD, RSVD, RSVD, RSVD,				/* MemAttr[3] set */
	RSVD, RSVD, RSVD, RSVD,
};

static void test_decode(void)
{
	unsigned int v, fwb;

	UNIT_EXPECT_EQ_HEX(S2ATTR_PTE_MEMATTR_MASK, 0x3c,
			   "MemAttr mask is bits [5:2]");
	UNIT_EXPECT_EQ_INT(S2ATTR_PTE_MEMATTR_SHIFT, 2, "MemAttr shift");

	for (fwb = 0; fwb < 2; fwb++) {
		for (v = 0; v < 16; v++) {
			enum s2attr_pte_memtype want =
				fwb ? decode_fwb[v] : decode_nofwb[v];
			/* Other bits set or clear must not matter. */
			u64 lo = (u64)v << 2;
			u64 hi = ~S2ATTR_PTE_MEMATTR_MASK | lo;
			enum s2attr_pte_memtype got_lo, got_hi;

			got_lo = s2attr_pte_memtype(lo, fwb);
			got_hi = s2attr_pte_memtype(hi, fwb);
			UNIT_EXPECT_EQ_STR(s2attr_pte_memtype_name(got_lo),
					   s2attr_pte_memtype_name(want),
					   "pte_memtype(MemAttr %#x, fwb=%u)",
					   v, fwb);
			UNIT_EXPECT_EQ_STR(s2attr_pte_memtype_name(got_hi),
					   s2attr_pte_memtype_name(want),
					   "pte_memtype(%#llx, fwb=%u)",
					   (unsigned long long)hi, fwb);
		}
	}

	/* Linux's own MT_S2_* and MT_S2_FWB_* values. */
	UNIT_EXPECT_EQ_INT(s2attr_pte_memtype(0x1 << 2, false), DEV_NGNRE,
			   "MT_S2_DEVICE_nGnRE decodes as device-ngnre");
	UNIT_EXPECT_EQ_INT(s2attr_pte_memtype(0x5 << 2, false), NC,
			   "MT_S2_NORMAL_NC decodes as normal-nc");
	UNIT_EXPECT_EQ_INT(s2attr_pte_memtype(0xf << 2, false), WB,
			   "MT_S2_NORMAL decodes as normal-wb");
	UNIT_EXPECT_EQ_INT(s2attr_pte_memtype(0x1 << 2, true), DEV_NGNRE,
			   "MT_S2_FWB_DEVICE_nGnRE decodes as device-ngnre");
	UNIT_EXPECT_EQ_INT(s2attr_pte_memtype(0x5 << 2, true), NC,
			   "MT_S2_FWB_NORMAL_NC decodes as normal-nc");
	UNIT_EXPECT_EQ_INT(s2attr_pte_memtype(0x6 << 2, true), WB,
			   "MT_S2_FWB_NORMAL decodes as normal-wb");
	UNIT_EXPECT_EQ_INT(s2attr_pte_memtype(0x7 << 2, true), S1,
			   "MT_S2_FWB_AS_S1 decodes as normal-s1");
}

static void test_memtype_names(void)
{
	static const char * const want[] = {
		[S2ATTR_MT_DEVICE_nGnRnE] = "device-ngnrne",
		[S2ATTR_MT_DEVICE_nGnRE] = "device-ngnre",
		[S2ATTR_MT_DEVICE_nGRE] = "device-ngre",
		[S2ATTR_MT_DEVICE_GRE] = "device-gre",
		[S2ATTR_MT_NORMAL_NC] = "normal-nc",
		[S2ATTR_MT_NORMAL_WB] = "normal-wb",
		[S2ATTR_MT_NORMAL_S1] = "normal-s1",
		[S2ATTR_MT_NORMAL_OTHER] = "normal-other",
		[S2ATTR_MT_RESERVED] = "reserved",
	};
	static const bool cacheable[] = {
		[S2ATTR_MT_NORMAL_WB] = true,
		[S2ATTR_MT_NORMAL_S1] = true,
		[S2ATTR_MT_NORMAL_OTHER] = true,
	};
	unsigned int t;

	for (t = 0; t < UNIT_ARRAY_SIZE(want); t++) {
		UNIT_EXPECT_EQ_STR(s2attr_pte_memtype_name(t), want[t],
				   "pte_memtype_name(%u)", t);
		UNIT_EXPECT_EQ_INT(s2attr_memtype_is_cacheable(t),
				   t < UNIT_ARRAY_SIZE(cacheable) &&
				   cacheable[t],
				   "memtype_is_cacheable(%s)", want[t]);
	}
	UNIT_EXPECT_EQ_STR(s2attr_pte_memtype_name(t), "unknown",
			   "pte_memtype_name(%u) out of range", t);
	UNIT_EXPECT_EQ_INT(s2attr_memtype_is_cacheable(t), false,
			   "memtype_is_cacheable(%u) out of range", t);
}

/* set_memattr touches bits [5:2] only, and the result decodes right. */
static void test_set_memattr(void)
{
	static const struct {
		enum s2attr_memattr m;
		u64 field;
		enum s2attr_pte_memtype type;
	} want[] = {
		{ S2ATTR_MEMATTR_DEVICE, 0x1, S2ATTR_MT_DEVICE_nGnRE },
		{ S2ATTR_MEMATTR_NORMAL_NC, 0x5, S2ATTR_MT_NORMAL_NC },
	};
	unsigned int i, fwb, n;

	for (i = 0; i < UNIT_ARRAY_SIZE(want); i++) {
		for (fwb = 0; fwb < 2; fwb++) {
			unsigned int other = 0, field = 0, type = 0;
			u64 bad_pte = 0, pte, out;

			for (n = 0; n < 20000; n++) {
				/* Edge patterns first, then random ones. */
				pte = n == 0 ? 0 : n == 1 ? ~0ULL :
				      n == 2 ? S2ATTR_PTE_MEMATTR_MASK :
				      n == 3 ? ~S2ATTR_PTE_MEMATTR_MASK :
				      unit_rand();
				out = s2attr_pte_set_memattr(pte, want[i].m,
							     fwb);
				if ((out ^ pte) & ~S2ATTR_PTE_MEMATTR_MASK) {
					other++;
					bad_pte = pte;
				}
				if (want[i].field << S2ATTR_PTE_MEMATTR_SHIFT !=
				    (out & S2ATTR_PTE_MEMATTR_MASK)) {
					field++;
					bad_pte = pte;
				}
				if (s2attr_pte_memtype(out, fwb) !=
				    want[i].type) {
					type++;
					bad_pte = pte;
				}
			}
			UNIT_EXPECT_EQ_INT(other, 0,
					   "set_memattr(pte, %s, fwb=%u) keeps bits outside [5:2] (20000 ptes, last bad %#llx)",
					   s2attr_memattr_name(want[i].m), fwb,
					   (unsigned long long)bad_pte);
			UNIT_EXPECT_EQ_INT(field, 0,
					   "set_memattr(pte, %s, fwb=%u) writes MemAttr %#llx",
					   s2attr_memattr_name(want[i].m), fwb,
					   (unsigned long long)want[i].field);
			UNIT_EXPECT_EQ_INT(type, 0,
					   "set_memattr(pte, %s, fwb=%u) decodes as %s",
					   s2attr_memattr_name(want[i].m), fwb,
					   s2attr_pte_memtype_name(want[i].type));
		}
	}

	/* A value we do not know gets the conservative Device. */
	UNIT_EXPECT_EQ_HEX(s2attr_pte_set_memattr(~0ULL,
						  (enum s2attr_memattr)7,
						  false),
			   ~0ULL & ~(0xeULL << 2),
			   "set_memattr(~0, 7, fwb=0) falls back to Device");
	UNIT_EXPECT_EQ_HEX(s2attr_pte_set_memattr(0x40000000000747ULL,
						  S2ATTR_MEMATTR_NORMAL_NC,
						  true),
			   0x40000000000757ULL,
			   "set_memattr(0x40000000000747, normal-nc, fwb=1)");
	UNIT_EXPECT_EQ_HEX(s2attr_pte_set_memattr(0x400000000007ffULL,
						  S2ATTR_MEMATTR_DEVICE,
						  false),
			   0x400000000007c7ULL,
			   "set_memattr(0x400000000007ff, device, fwb=0)");
}

/*
 * Values written out by hand from the Arm ARM's stage-2 descriptor layout,
 * not computed with the code under test.
 */
static void test_leaf_attr_plausible(void)
{
	static const struct {
		uint64_t attr;
		bool want;
		const char *what;
	} cases[] = {
		/* S2AP RW, SH inner, AF, Device-nGnRE, XN */
		{ 0x400000000007c4ULL, true, "device attributes, XN" },
		/* S2AP RW, SH inner, AF, Normal-WB */
		{ 0x7fcULL, true, "RAM attributes" },
		{ 0x7d4ULL, true, "normal-nc attributes" },
		/* LPA2: SH [9:8] holds OA[51:50], zero here */
		{ 0x4c4ULL, true, "device attributes, no SH (LPA2)" },
		/* software bits [58:55], contiguous [52], DBM [51] */
		{ 0x07d80000000007c4ULL, true, "software, XN, contiguous and DBM bits" },
		{ 0x3c4ULL, false, "no access flag" },
		{ 0x0ULL, false, "zero" },
		{ 0x400000400007c4ULL, false, "output address bit 30" },
		{ 0x400000000017c4ULL, false, "output address bit 12" },
		{ 0x400080000007c4ULL, false, "output address bit 47" },
		{ 0x400000000087c4ULL, false, "OA[51:48] in [15:12] (64K pages)" },
		{ 0x400000000007c7ULL, false, "a whole valid page descriptor type" },
		{ 0x400000000007c5ULL, false, "valid bit" },
		{ 0x400000000007c6ULL, false, "table bit" },
		{ 0x80000000ULL, false, "a physical address (fields swapped)" },
		{ 0x40000000000747ULL, false, "a leaf with its output address" },
	};
	unsigned int i;

	unit_suite("leaf_attr_plausible");
	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++)
		UNIT_EXPECT_EQ_INT(s2attr_leaf_attr_plausible(cases[i].attr),
				   cases[i].want, "leaf_attr_plausible(0x%" PRIx64 "): %s",
				   cases[i].attr, cases[i].what);
}

void test_memattr(void)
{
	test_memattr_parse();
	test_default_parse();
	test_names();
	test_decode();
	test_memtype_names();
	test_set_memattr();
	test_leaf_attr_plausible();
}
