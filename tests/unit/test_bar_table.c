// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/bar_table.c: range sorting and lookup. */
#include <stdlib.h>

#include "unit.h"
#include "bar_table.h"

#define MAX	(~0ULL)

static const char *range_str(const struct s2attr_range *r)
{
	static char buf[4][64];
	static unsigned int next;
	char *b = buf[next++ % 4];

	if (!r)
		return "NULL";
	snprintf(b, sizeof(buf[0]), "[%#llx-%#llx] owner %u",
		 (unsigned long long)r->start, (unsigned long long)r->end,
		 r->owner);
	return b;
}

#define EXPECT_RANGE(got, want, ...) ({					\
	const struct s2attr_range *g_ = (got), *w_ = (want);		\
	char d_[160];							\
	snprintf(d_, sizeof(d_), "got %s want %s", range_str(g_),	\
		 range_str(w_));					\
	unit_report(g_ == w_, d_, __VA_ARGS__);				\
})

/* The specification, the slow way. */
static const struct s2attr_range *brute_lookup(const struct s2attr_range *r,
					       u32 nr, u64 phys, u64 size)
{
	u64 last = phys + size - 1;
	u32 i;

	if (!size || last < phys)
		return NULL;
	for (i = 0; i < nr; i++)
		if (r[i].start <= phys && last <= r[i].end)
			return &r[i];
	return NULL;
}

static int brute_valid(const struct s2attr_range *r, u32 nr)
{
	u32 i, j;

	for (i = 0; i < nr; i++) {
		if (r[i].end < r[i].start)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (r[i].start <= r[j].end && r[j].start <= r[i].end)
				return -EINVAL;
	}
	return 0;
}

static bool is_sorted(const struct s2attr_range *r, u32 nr)
{
	u32 i;

	for (i = 1; i < nr; i++)
		if (r[i - 1].start >= r[i].start)
			return false;
	return true;
}

static void test_sort_fixed(void)
{
	static const struct {
		const char *what;
		struct s2attr_range r[4];
		u32 nr;
		int want;
	} cases[] = {
		{ "empty table", { { 0 } }, 0, 0 },
		{ "one byte", { { 5, 5, 0 } }, 1, 0 },
		{ "end < start", { { 6, 5, 0 } }, 1, -EINVAL },
		{ "end < start, second", { { 0, 1, 0 }, { 0x10, 0xf, 1 } }, 2,
		  -EINVAL },
		{ "whole space", { { 0, MAX, 0 } }, 1, 0 },
		{ "reversed, adjacent",
		  { { 0x3000, 0x3fff, 0 }, { 0x2000, 0x2fff, 1 },
		    { 0x1000, 0x1fff, 2 } }, 3, 0 },
		{ "share one byte",
		  { { 0x1000, 0x1fff, 0 }, { 0x1fff, 0x2fff, 1 } }, 2,
		  -EINVAL },
		{ "share one byte, reversed",
		  { { 0x1fff, 0x2fff, 0 }, { 0x1000, 0x1fff, 1 } }, 2,
		  -EINVAL },
		{ "identical", { { 0x1000, 0x1fff, 0 }, { 0x1000, 0x1fff, 1 } },
		  2, -EINVAL },
		{ "same start", { { 0x1000, 0x1fff, 0 }, { 0x1000, 0x1000, 1 } },
		  2, -EINVAL },
		{ "nested", { { 0x1000, 0x4fff, 0 }, { 0x2000, 0x2fff, 1 } }, 2,
		  -EINVAL },
		{ "top of space",
		  { { MAX - 0xfff, MAX, 0 }, { 0, 0xfff, 1 } }, 2, 0 },
		{ "top and whole", { { MAX, MAX, 0 }, { 0, MAX, 1 } }, 2,
		  -EINVAL },
		{ "far apart, unsorted",
		  { { 0x8000000000ULL, 0x80ffffffffULL, 0 }, { 0x10, 0x1f, 1 },
		    { 0x4000000000ULL, 0x4000000fffULL, 2 },
		    { 0x20, 0x2f, 3 } }, 4, 0 },
	};
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++) {
		struct s2attr_range r[4];
		int ret;

		memcpy(r, cases[i].r, sizeof(r));
		ret = s2attr_ranges_sort(r, cases[i].nr);
		UNIT_EXPECT_EQ_ERR(ret, cases[i].want, "ranges_sort(%s)",
				   cases[i].what);
		if (!ret)
			UNIT_EXPECT(is_sorted(r, cases[i].nr),
				    "ranges_sort(%s) sorts by start",
				    cases[i].what);
	}
}

/* Random small tables, many overlapping: sort agrees with brute force. */
static void test_sort_random(void)
{
	unsigned int n, wrong = 0, unsorted = 0, valid = 0;

	for (n = 0; n < 20000; n++) {
		struct s2attr_range r[8];
		u32 nr = unit_rand_below(9), i;
		int want, got;

		for (i = 0; i < nr; i++) {
			r[i].start = unit_rand_below(512);
			r[i].end = r[i].start + unit_rand_below(40);
			/* Now and then an inverted one. */
			if (!unit_rand_below(50))
				r[i].end = r[i].start - 1;
			r[i].owner = i;
		}
		want = brute_valid(r, nr);
		got = s2attr_ranges_sort(r, nr);
		if (got != want) {
			if (!wrong)
				UNIT_EXPECT_EQ_ERR(got, want,
						   "ranges_sort(random table %u)",
						   n);
			wrong++;
		}
		if (!got) {
			valid++;
			if (!is_sorted(r, nr))
				unsorted++;
		}
	}
	UNIT_EXPECT_EQ_INT(wrong, 0,
			   "ranges_sort agrees with brute force on 20000 random tables (%u valid)",
			   valid);
	UNIT_EXPECT(valid > 1000 && valid < 19000,
		    "random tables mix valid and invalid (%u valid)", valid);
	UNIT_EXPECT_EQ_INT(unsorted, 0, "valid random tables come out sorted");
}

/* Tables that start at 0 or cover everything. */
static void test_lookup_edges(void)
{
	static const struct s2attr_range all = { 0, MAX, 7 };
	static const struct s2attr_range low[] = {
		{ 0, 0xfff, 0 }, { 0x1000, 0x1000, 1 }, { MAX, MAX, 2 },
	};
	const struct {
		const struct s2attr_range *r;
		u32 nr;
		u64 phys, size;
		const struct s2attr_range *want;
	} cases[] = {
		{ &all, 1, 0, 0, NULL },		/* size 0 at 0 */
		{ &all, 1, 0, 1, &all },
		{ &all, 1, 0, MAX, &all },
		{ &all, 1, 1, MAX, &all },		/* ends at 2^64 */
		{ &all, 1, 2, MAX, NULL },		/* wraps */
		{ &all, 1, MAX, 1, &all },
		{ &all, 1, MAX, 0, NULL },
		{ &all, 1, 0x1234, 0, NULL },
		{ &all, 1, MAX, 2, NULL },		/* wraps to 0 */
		{ low, 3, 0, 0, NULL },
		{ low, 3, 0, 1, &low[0] },
		{ low, 3, 0, 0x1000, &low[0] },
		{ low, 3, 0, 0x1001, NULL },
		{ low, 3, 0x1000, 1, &low[1] },
		{ low, 3, 0x1000, 2, NULL },
		{ low, 3, 0x1001, 1, NULL },
		{ low, 3, MAX, 1, &low[2] },
		{ low, 3, MAX, 2, NULL },
		{ low, 3, MAX - 1, 2, NULL },
	};
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++) {
		const char *table = "table low";

		if (cases[i].r == &all)
			table = "table all";
		EXPECT_RANGE(s2attr_ranges_lookup(cases[i].r, cases[i].nr,
						  cases[i].phys,
						  cases[i].size),
			     cases[i].want,
			     "ranges_lookup(%#llx, size %#llx) in %s",
			     (unsigned long long)cases[i].phys,
			     (unsigned long long)cases[i].size, table);
	}
}

static void test_lookup_fixed(void)
{
	/* Sorted already; adjacent A/B, a gap, and the top of the space. */
	static const struct s2attr_range r[] = {
		{ 0x1000, 0x1fff, 10 },		/* A */
		{ 0x2000, 0x2fff, 11 },		/* B */
		{ 0x10000, 0x1ffff, 12 },	/* C */
		{ MAX - 0xfff, MAX, 13 },	/* D */
	};
	const struct s2attr_range *A = &r[0], *B = &r[1], *C = &r[2];
	const struct s2attr_range *D = &r[3];
	const struct {
		u64 phys, size;
		const struct s2attr_range *want;
	} cases[] = {
		{ 0x1000, 1, A },
		{ 0x1000, 0x1000, A },
		{ 0x1fff, 1, A },
		{ 0x1800, 0x800, A },
		{ 0x1800, 0x801, NULL },	/* straddles A and B */
		{ 0x1fff, 2, NULL },
		{ 0x1000, 0x2000, NULL },	/* all of A and B */
		{ 0x2000, 1, B },
		{ 0x2000, 0x1000, B },
		{ 0x2fff, 1, B },
		{ 0x2fff, 2, NULL },		/* runs into the gap */
		{ 0x3000, 1, NULL },
		{ 0xfff, 1, NULL },		/* just below A */
		{ 0xfff, 2, NULL },		/* starts below A */
		{ 0, 1, NULL },
		{ 0, MAX, NULL },
		{ 0x1000, 0, NULL },		/* size 0 */
		{ 0x10000, 0, NULL },
		{ 0xffff, 1, NULL },
		{ 0x10000, 0x10000, C },
		{ 0x10000, 0x10001, NULL },
		{ 0x1ffff, 1, C },
		{ 0x20000, 1, NULL },
		{ 0x8000000000ULL, 0x1000, NULL },
		{ MAX - 0x1000, 1, NULL },	/* just below D */
		{ MAX - 0xfff, 0x1000, D },	/* ends exactly at 2^64 */
		{ MAX - 0xfff, 1, D },
		{ MAX, 1, D },
		{ MAX, 2, NULL },		/* wraps */
		{ MAX - 0xfff, 0x1001, NULL },	/* wraps */
		{ MAX, MAX, NULL },
		{ 0x1000, MAX, NULL },
		{ MAX, 0, NULL },
	};
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++)
		EXPECT_RANGE(s2attr_ranges_lookup(r, UNIT_ARRAY_SIZE(r),
						  cases[i].phys,
						  cases[i].size),
			     cases[i].want, "ranges_lookup(%#llx, size %#llx)",
			     (unsigned long long)cases[i].phys,
			     (unsigned long long)cases[i].size);

	test_lookup_edges();
	EXPECT_RANGE(s2attr_ranges_lookup(NULL, 0, 0x1000, 1), NULL,
		     "ranges_lookup on an empty table");
	EXPECT_RANGE(s2attr_ranges_lookup(r, 1, 0x1000, 1), A,
		     "ranges_lookup(0x1000) in a 1-range table");
	EXPECT_RANGE(s2attr_ranges_lookup(r, 1, 0x2000, 1), NULL,
		     "ranges_lookup(0x2000) in a 1-range table");
	EXPECT_RANGE(s2attr_ranges_lookup(r, 1, 0xfff, 1), NULL,
		     "ranges_lookup(0xfff) in a 1-range table");
	EXPECT_RANGE(s2attr_ranges_lookup(r + 3, 1, MAX, 1), D,
		     "ranges_lookup(MAX) in a 1-range table");
}

/*
 * A random valid table of @nr ranges, shuffled. Gaps are often zero
 * (adjacent BARs) and sizes range from one byte to 4 GiB.
 */
static void make_table(struct s2attr_range *r, u32 nr)
{
	u64 cursor = unit_rand_below(0x10000);
	u32 i;

	for (i = 0; i < nr; i++) {
		u64 gap, len;

		switch (unit_rand_below(4)) {
		case 0:
			gap = 0;
			break;
		case 1:
			gap = 1;
			break;
		case 2:
			gap = unit_rand_below(0x10000);
			break;
		default:
			gap = unit_rand_below(1ULL << 34);
			break;
		}
		switch (unit_rand_below(5)) {
		case 0:
			len = 1;
			break;
		case 1:
			len = 0x1000;
			break;
		case 2:
			len = 1 + unit_rand_below(0x100);
			break;
		case 3:
			len = 1 + unit_rand_below(1ULL << 20);
			break;
		default:
			len = 1 + unit_rand_below(1ULL << 32);
			break;
		}
		r[i].start = cursor + gap;
		r[i].end = r[i].start + len - 1;
		r[i].owner = i;
		cursor = r[i].end + 1;
	}
	/* Now and then, the last range ends at the top of the space. */
	if (nr && !unit_rand_below(4)) {
		r[nr - 1].end = MAX;
		if (r[nr - 1].start == 0)
			r[nr - 1].start = 1;
	}
	for (i = nr; i > 1; i--) {
		u32 j = unit_rand_below(i);
		struct s2attr_range t = r[i - 1];

		r[i - 1] = r[j];
		r[j] = t;
	}
}

/* Queries that hug the edges of a random range, plus random ones. */
static void make_query(const struct s2attr_range *r, u32 nr, u64 *phys,
		       u64 *size)
{
	const struct s2attr_range *k;
	u64 len;

	if (!nr || !unit_rand_below(8)) {
		*phys = unit_rand_below(2) ? unit_rand() :
			unit_rand_below(1ULL << 40);
		*size = unit_rand_below(2) ? unit_rand() :
			unit_rand_below(1ULL << 24);
		return;
	}
	k = &r[unit_rand_below(nr)];
	len = k->end - k->start + 1;	/* 0 means the whole space */

	switch (unit_rand_below(8)) {
	case 0:
		*phys = k->start - 1;
		break;
	case 1:
		*phys = k->start;
		break;
	case 2:
		*phys = k->start + 1;
		break;
	case 3:
		*phys = k->end - 1;
		break;
	case 4:
		*phys = k->end;
		break;
	case 5:
		*phys = k->end + 1;
		break;
	default:
		*phys = k->start + (len ? unit_rand_below(len) : 0);
		break;
	}
	switch (unit_rand_below(10)) {
	case 0:
		*size = 0;
		break;
	case 1:
		*size = 1;
		break;
	case 2:
		*size = 2;
		break;
	case 3:
		*size = len;
		break;
	case 4:
		*size = len - 1;
		break;
	case 5:
		*size = len + 1;
		break;
	case 6:
		*size = k->end - *phys + 1;	/* to the end */
		break;
	case 7:
		*size = k->end - *phys + 2;	/* one past */
		break;
	case 8:
		*size = MAX - *phys + 1 + unit_rand_below(2);
		break;
	default:
		*size = 1 + unit_rand_below(0x2000);
		break;
	}
}

static void check_random_table(u32 nr, unsigned int queries)
{
	struct s2attr_range *r = calloc(nr ? nr : 1, sizeof(*r));
	unsigned int q, wrong = 0, hits = 0;
	u32 i, order_wrong = 0;

	make_table(r, nr);
	UNIT_EXPECT_EQ_ERR(s2attr_ranges_sort(r, nr), 0,
			   "ranges_sort(random valid table of %u)", nr);
	for (i = 0; i < nr; i++)
		order_wrong += r[i].owner != i;
	UNIT_EXPECT_EQ_INT(order_wrong, 0,
			   "ranges_sort restores the order of %u shuffled ranges",
			   nr);

	for (q = 0; q < queries; q++) {
		const struct s2attr_range *got, *want;
		u64 phys, size;

		make_query(r, nr, &phys, &size);
		got = s2attr_ranges_lookup(r, nr, phys, size);
		want = brute_lookup(r, nr, phys, size);
		hits += !!want;
		if (got != want) {
			if (!wrong)
				EXPECT_RANGE(got, want,
					     "ranges_lookup(%#llx, size %#llx) in %u ranges",
					     (unsigned long long)phys,
					     (unsigned long long)size, nr);
			wrong++;
		}
	}
	UNIT_EXPECT_EQ_INT(wrong, 0,
			   "ranges_lookup == linear search, %u ranges, %u queries (%u hits)",
			   nr, queries, hits);
	if (nr)
		UNIT_EXPECT(hits > queries / 50 && hits < queries - queries / 50,
			    "queries on %u ranges both hit and miss (%u hits)",
			    nr, hits);
	free(r);
}

static void test_lookup_random(void)
{
	u32 nr;

	for (nr = 0; nr <= 17; nr++)
		check_random_table(nr, 5000);
	check_random_table(100, 20000);
	check_random_table(1023, 50000);
	check_random_table(1024, 100000);
	check_random_table(1024, 100000);
}

/* Is r[i] valid and apart from every other range of the table? */
static bool brute_keep(const struct s2attr_range *r, u32 nr, u32 i)
{
	u32 j;

	if (r[i].end < r[i].start)
		return false;
	for (j = 0; j < nr; j++)
		if (j != i && r[j].start <= r[j].end &&
		    r[i].start <= r[j].end && r[j].start <= r[i].end)
			return false;
	return true;
}

/*
 * ranges_sort_apart on random tables (owner = original index): the kept
 * ranges, at the front and sorted, are exactly those brute force keeps;
 * every dropped one follows them; nothing is lost or duplicated.
 */
static void test_sort_apart_random(void)
{
	unsigned int n, wrong = 0, partial = 0;

	for (n = 0; n < 20000; n++) {
		struct s2attr_range orig[8], r[8];
		bool want[8], seen[8] = { false };
		u32 nr = unit_rand_below(9), i, kept, nkeep = 0;
		bool bad = false;

		for (i = 0; i < nr; i++) {
			orig[i].start = unit_rand_below(512);
			orig[i].end = orig[i].start + unit_rand_below(40);
			if (!unit_rand_below(50))
				orig[i].end = orig[i].start - 1;
			orig[i].owner = i;
		}
		for (i = 0; i < nr; i++) {
			want[i] = brute_keep(orig, nr, i);
			nkeep += want[i];
		}
		memcpy(r, orig, sizeof(r));
		kept = s2attr_ranges_sort_apart(r, nr);
		bad |= kept != nkeep || !is_sorted(r, kept);
		for (i = 0; i < nr; i++) {
			u32 o = r[i].owner;

			bad |= o >= nr || seen[o] || want[o] != (i < kept) ||
			       r[i].start != orig[o].start ||
			       r[i].end != orig[o].end;
			if (o < nr)
				seen[o] = true;
		}
		if (bad && !wrong)
			UNIT_EXPECT(false, "ranges_sort_apart(random table %u): %u kept, want %u",
				    n, kept, nkeep);
		wrong += bad;
		partial += kept && kept < nr;
	}
	UNIT_EXPECT_EQ_INT(wrong, 0,
			   "ranges_sort_apart keeps exactly the ranges apart from all others on 20000 random tables");
	UNIT_EXPECT(partial > 1000,
		    "random tables often keep some ranges and drop others (%u)", partial);
}

static void test_sort_apart_fixed(void)
{
	/* A long range over two short ones: all three go, the far one stays. */
	struct s2attr_range r[4] = {
		{ 0x5000, 0x5fff, 0 }, { 0x1000, 0x4fff, 1 },
		{ 0x2000, 0x2fff, 2 }, { 0x3000, 0x3fff, 3 },
	};
	struct s2attr_range adj[2] = { { 0x2000, 0x2fff, 0 }, { 0x1000, 0x1fff, 1 } };

	UNIT_EXPECT_EQ_INT(s2attr_ranges_sort_apart(r, 4), 1,
			   "ranges_sort_apart(one range over two, one apart) keeps 1");
	UNIT_EXPECT_EQ_INT(r[0].owner, 0, "ranges_sort_apart keeps the one apart");
	UNIT_EXPECT_EQ_INT(s2attr_ranges_sort_apart(adj, 2), 2,
			   "ranges_sort_apart(adjacent) keeps both");
	UNIT_EXPECT_EQ_INT(adj[0].owner, 1, "ranges_sort_apart sorts");
	UNIT_EXPECT_EQ_INT(s2attr_ranges_sort_apart(r, 0), 0,
			   "ranges_sort_apart(empty) keeps 0");
}

/* The range a guest reaches through vfio's mmap of a BAR, by hand. */
static void test_bar_mapped_end(void)
{
	static const struct {
		u64 start, end, page, want;
		const char *what;
	} cases[] = {
		{ 0x10000000, 0x100000ff, 0x1000, 0x10000fff, "256 B at a 4K page" },
		{ 0x10000000, 0x100000ff, 0x4000, 0x10003fff, "256 B at a 16K page" },
		{ 0x10000000, 0x10000fff, 0x4000, 0x10003fff, "4K at a 16K page" },
		{ 0x10000000, 0x10003fff, 0x4000, 0x10003fff, "a whole 16K page" },
		{ 0x10000000, 0x100fffff, 0x1000, 0x100fffff, "1M" },
		{ 0x10000100, 0x100001ff, 0x1000, 0x100001ff, "256 B not at a page start" },
		{ 0x10002000, 0x10002fff, 0x4000, 0x10002fff, "4K not at a 16K page start" },
		{ MAX - 0xff, MAX, 0x1000, MAX, "at the top of the space" },
	};
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++)
		UNIT_EXPECT_EQ_HEX(s2attr_bar_mapped_end(cases[i].start, cases[i].end,
							 cases[i].page),
				   cases[i].want, "bar_mapped_end(%s)", cases[i].what);
}

static void test_driver_is_vfio_pci(void)
{
	static const struct {
		const char *name;
		bool want;
	} cases[] = {
		{ "vfio-pci", true }, { "mlx5_vfio_pci", true },
		{ "hisi_acc_vfio_pci", true }, { "nvgrace_gpu_vfio_pci", true },
		{ "pds_vfio_pci", true }, { "virtio_vfio_pci", true },
		{ "nvgrace-gpu-vfio-pci", true },
		{ "vfio_pci", false }, { "vfio-pci-core", false },
		{ "vfio-platform", false }, { "nvme", false }, { "-", false },
		{ "", false }, { "xvfio-pci", false }, { "_vfio_pci", false },
		{ "a_vfio-pci", false }, { "a-vfio_pci", false },
		{ "VFIO-PCI", false }, { "pcieport", false },
	};
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++)
		UNIT_EXPECT_EQ_INT(s2attr_driver_is_vfio_pci(cases[i].name),
				   cases[i].want, "driver_is_vfio_pci(\"%s\")",
				   cases[i].name);
}

static void test_extend_subpage(void)
{
	/* Two 256-byte BARs in one page (as QEMU places ivshmem's BAR0s). */
	struct s2attr_range two[3] = {
		{ 0x10000100, 0x100001ff, 1 }, { 0x10000000, 0x100000ff, 0 },
		{ 0x10001000, 0x100010ff, 2 },
	};
	struct s2attr_range one[2] = {
		{ 0x10000000, 0x100000ff, 0 }, { 0x10001000, 0x10001fff, 1 },
	};

	s2attr_ranges_extend_subpage(two, 3, 0x1000);
	UNIT_EXPECT_EQ_HEX(two[1].end, 0x100000ff,
			   "extend_subpage: a BAR with another in its page keeps its size");
	UNIT_EXPECT_EQ_HEX(two[0].end, 0x100001ff,
			   "extend_subpage: a BAR not at a page start keeps its size");
	UNIT_EXPECT_EQ_HEX(two[2].end, 0x10001fff,
			   "extend_subpage: a BAR alone in its page gets the page");
	s2attr_ranges_extend_subpage(one, 2, 0x1000);
	UNIT_EXPECT_EQ_HEX(one[0].end, 0x10000fff,
			   "extend_subpage: the next page's BAR does not stop it");
	UNIT_EXPECT_EQ_HEX(one[1].end, 0x10001fff,
			   "extend_subpage: a whole-page BAR is unchanged");
	UNIT_EXPECT_EQ_INT(s2attr_ranges_sort_apart(two, 3), 3,
			   "extend_subpage: then nothing overlaps");
}

void test_bar_table(void)
{
	test_extend_subpage();
	test_driver_is_vfio_pci();
	test_sort_fixed();
	test_sort_random();
	test_sort_apart_fixed();
	test_sort_apart_random();
	test_bar_mapped_end();
	test_lookup_fixed();
	test_lookup_random();
}
