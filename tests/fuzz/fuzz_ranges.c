// SPDX-License-Identifier: GPL-2.0
/*
 * s2attr_ranges_sort() and s2attr_ranges_lookup(), the BAR table the
 * stage-2 hook searches. The sort must accept exactly the tables with no
 * inverted and no overlapping range (checked pairwise), keep every range
 * with its owner, and leave them strictly ascending; every lookup must
 * agree with a linear search for the one range holding all of
 * [phys, phys + size).
 *
 * Input: a count byte, then per range a flag byte and either 16 raw bytes
 * (start, end) or 4 small ones (offsets from 0 or from near the top of the
 * address space, so that adjacency, overlap, inversion and wrap-around
 * are all a few bits away); the rest are lookup queries.
 */
#include "fuzz.h"
#include "bar_table.h"

#define MAXR	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cursor {
	const uint8_t *p;
	size_t left;
};

static u64 take(struct cursor *c, unsigned int n)
{
	u64 v = 0;

	while (n--) {
		v <<= 8;
		if (c->left) {
			v |= *c->p++;
			c->left--;
		}
	}
	return v;
}

static const struct s2attr_range *linear(const struct s2attr_range *r, u32 nr,
					 u64 phys, u64 size)
{
	u64 last = phys + size - 1;
	const struct s2attr_range *hit = NULL;
	u32 i;

	if (!size || last < phys)
		return NULL;
	for (i = 0; i < nr; i++) {
		if (r[i].start <= phys && last <= r[i].end) {
			FUZZ_ASSERT(!hit, "two ranges hold %#llx+%#llx",
				    (unsigned long long)phys, (unsigned long long)size);
			hit = &r[i];
		}
	}
	return hit;
}

static void query(const struct s2attr_range *r, u32 nr, u64 phys, u64 size)
{
	const struct s2attr_range *got = s2attr_ranges_lookup(r, nr, phys, size);
	const struct s2attr_range *want = linear(r, nr, phys, size);

	FUZZ_ASSERT(got == want, "lookup %#llx+%#llx: got #%td, want #%td",
		    (unsigned long long)phys, (unsigned long long)size,
		    got ? got - r : -1, want ? want - r : -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u64 sizes[] = { 0, 1, 2, 0x1000, 0x200000, ~0ULL };
	struct cursor c = { data, size };
	struct s2attr_range *r, *orig;
	u32 nr, i, j;
	int rc, valid;
	bool found;

	nr = take(&c, 1) % (MAXR + 1);
	r = malloc((nr ? nr : 1) * sizeof(*r));	/* exact size, for ASan */
	orig = malloc((nr ? nr : 1) * sizeof(*r));
	if (!r || !orig)
		abort();
	for (i = 0; i < nr; i++) {
		u8 flag = take(&c, 1);

		if (flag & 1) {
			r[i].start = take(&c, 8);
			r[i].end = take(&c, 8);
		} else {
			u64 base = (flag & 2) ? ~0ULL - 0x3fff : 0;

			r[i].start = base + (take(&c, 2) & 0x3fff);
			/* end = start + len - 1: len 0 inverts, may wrap */
			r[i].end = r[i].start + (take(&c, 2) & 0x3fff) - 1;
		}
		r[i].owner = i;
	}
	memcpy(orig, r, nr * sizeof(*r));

	valid = 0;
	for (i = 0; i < nr && !valid; i++) {
		if (orig[i].end < orig[i].start)
			valid = -EINVAL;
		for (j = 0; j < i; j++)
			if (orig[i].start <= orig[j].end && orig[j].start <= orig[i].end)
				valid = -EINVAL;
	}
	rc = s2attr_ranges_sort(r, nr);
	FUZZ_ASSERT(rc == valid, "sort %d, pairwise check %d (nr %u)", rc, valid, nr);
	if (rc)
		goto out;
	for (i = 1; i < nr; i++)
		FUZZ_ASSERT(r[i - 1].end < r[i].start, "not ascending at %u", i);
	for (i = 0; i < nr; i++) {
		found = false;
		for (j = 0; j < nr; j++)
			if (r[j].start == orig[i].start && r[j].end == orig[i].end &&
			    r[j].owner == orig[i].owner)
				found = true;
		FUZZ_ASSERT(found, "range %u lost or its owner changed by the sort", i);
	}

	/* Around every edge, with the usual sizes. */
	for (i = 0; i < nr; i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			query(r, nr, r[i].start, sizes[j]);
			query(r, nr, r[i].start - 1, sizes[j]);
			query(r, nr, r[i].start + 1, sizes[j]);
			query(r, nr, r[i].end, sizes[j]);
			query(r, nr, r[i].end + 1, sizes[j]);
			query(r, nr, r[i].end - sizes[j] + 1, sizes[j]);
		}
		query(r, nr, r[i].start, r[i].end - r[i].start + 1);
		query(r, nr, r[i].start, r[i].end - r[i].start + 2);
	}
	/* The rest of the input: (range index or raw, offset, size) queries. */
	while (c.left) {
		u8 how = take(&c, 1);
		u64 phys, sz;

		if ((how & 1) || !nr) {
			phys = take(&c, 8);
			sz = take(&c, 8);
		} else {
			const struct s2attr_range *b = &r[(how >> 1) % nr];

			phys = b->start + (s64)(int16_t)take(&c, 2);
			sz = take(&c, 2);
		}
		query(r, nr, phys, sz);
	}
out:
	free(orig);
	free(r);
	return 0;
}
