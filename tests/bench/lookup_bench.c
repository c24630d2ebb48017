// SPDX-License-Identifier: GPL-2.0
/*
 * lookup_bench: ns per BAR-range lookup (src/bar_table.c, the code the
 * stage-2 hook runs) with 1, 16, 256 and 1024 listed devices of 6 BARs
 * each, for hits (a page inside a BAR) and misses (RAM-like addresses
 * between and outside BARs). A micro-benchmark: numbers, not pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bar_table.h"

#define BARS_PER_DEV	6
#define QUERIES		(1u << 16)
#define REPEAT		64

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static u64 rnd(void)
{
	static u64 x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Devices' BARs laid out like a PCI host bridge window: 16 MiB apart. */
static void make_table(struct s2attr_range *r, u32 devs)
{
	u32 d, b, n = 0;

	for (d = 0; d < devs; d++)
		for (b = 0; b < BARS_PER_DEV; b++, n++) {
			r[n].start = 0x8000000000ULL + (u64)n * 0x1000000;
			r[n].end = r[n].start + 0x100000 - 1;	/* 1 MiB */
			r[n].owner = d;
		}
	s2attr_ranges_sort(r, n);
}

static double bench(const struct s2attr_range *r, u32 nr, const u64 *q,
		    u32 *found)
{
	double t0 = now_ns();
	u32 i, k, hits = 0;

	for (k = 0; k < REPEAT; k++)
		for (i = 0; i < QUERIES; i++)
			hits += !!s2attr_ranges_lookup(r, nr, q[i], 0x1000);
	*found = hits / REPEAT;
	return (now_ns() - t0) / ((double)QUERIES * REPEAT);
}

int main(void)
{
	static const u32 sizes[] = { 1, 16, 256, 1024 };
	struct s2attr_range *r;
	u64 *hit, *miss;
	u32 i, s, found;

	r = calloc(1024 * BARS_PER_DEV, sizeof(*r));
	hit = calloc(QUERIES, sizeof(*hit));
	miss = calloc(QUERIES, sizeof(*miss));
	if (!r || !hit || !miss)
		return 1;
	printf("%-8s %-8s %-14s %-14s\n", "devices", "ranges", "hit ns/lookup",
	       "miss ns/lookup");
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		u32 nr = sizes[s] * BARS_PER_DEV;
		double th, tm;

		make_table(r, sizes[s]);
		for (i = 0; i < QUERIES; i++) {
			const struct s2attr_range *x = &r[rnd() % nr];

			hit[i] = x->start + (rnd() % 0x100) * 0x1000;
			/* Half in the gaps between BARs, half in "RAM". */
			miss[i] = i & 1 ? x->end + 1 + (rnd() % 0xe00) * 0x1000 :
				  0x40000000ULL + (rnd() % 0x80000) * 0x1000;
		}
		th = bench(r, nr, hit, &found);
		if (found != QUERIES)
			return fprintf(stderr, "hits found %u of %u\n", found, QUERIES), 1;
		tm = bench(r, nr, miss, &found);
		if (found)
			return fprintf(stderr, "misses found %u\n", found), 1;
		printf("%-8u %-8u %-14.1f %-14.1f\n", sizes[s], nr, th, tm);
	}
	return 0;
}
