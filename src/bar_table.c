// SPDX-License-Identifier: GPL-2.0
/*
 * BAR range table: sorted once when the device set changes, then searched
 * in O(log n) for every stage-2 fault on MMIO.
 */
#include "bar_table.h"

static int s2attr_range_cmp(const void *a, const void *b)
{
	const struct s2attr_range *ra = a, *rb = b;

	/* No subtraction: starts are full 64-bit values. */
	if (ra->start < rb->start)
		return -1;
	return ra->start > rb->start;
}

/*
 * Sorts @r by start and checks it can be searched: each range must have
 * end >= start and no two may overlap, so an address matches at most one.
 * On -EINVAL the order of @r is unspecified.
 */
int s2attr_ranges_sort(struct s2attr_range *r, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (r[i].end < r[i].start)
			return -EINVAL;

	if (nr > 1)
		s2attr_sort(r, nr, sizeof(*r), s2attr_range_cmp);

	for (i = 1; i < nr; i++)
		if (r[i].start <= r[i - 1].end)
			return -EINVAL;
	return 0;
}

/*
 * Returns the range holding all of [phys, phys + size), or NULL. A request
 * that is empty, runs past the top of the address space, or spans two
 * ranges (even adjacent ones: they may belong to different devices)
 * matches nothing.
 * @r must have been through s2attr_ranges_sort().
 */
const struct s2attr_range *s2attr_ranges_lookup(const struct s2attr_range *r,
						u32 nr, u64 phys, u64 size)
{
	u64 last;

	if (!size || !nr)
		return NULL;
	last = phys + (size - 1);
	if (last < phys)
		return NULL;

	/*
	 * The only candidate is the last range starting at or below phys.
	 * Halving without a data-dependent branch (the compiler emits a
	 * conditional select) avoids a mispredict per level on random
	 * addresses: 6144 ranges are 13 steps.
	 */
	while (nr > 1) {
		u32 half = nr / 2;

		r = r[half].start <= phys ? r + half : r;
		nr -= half;
	}
	if (r->start > phys)
		return NULL;
	return last <= r->end ? r : NULL;
}

/*
 * Sorts @r by start, keeping at the front every range that is valid and
 * apart from all the others, in order, and moving behind them every range
 * that is reversed or overlaps another: a mapping in an overlap cannot be
 * told to belong to one device, so all the ranges involved are dropped,
 * and only they. Returns the number kept, which the lookup may search.
 */
u32 s2attr_ranges_sort_apart(struct s2attr_range *r, u32 nr)
{
	struct s2attr_range tmp;
	u32 i, kept, top = 0;
	bool any = false;

	if (nr > 1)
		s2attr_sort(r, nr, sizeof(*r), s2attr_range_cmp);
	for (i = 0; i < nr; i++)
		r[i].drop = r[i].end < r[i].start;
	/*
	 * A range overlaps an earlier one exactly when it starts at or below
	 * the highest end so far: drop it and the range holding that end.
	 * Any other earlier range it overlaps was dropped on its own turn.
	 */
	for (i = 0; i < nr; i++) {
		if (r[i].drop)
			continue;
		if (any && r[i].start <= r[top].end) {
			r[i].drop = true;
			r[top].drop = true;
		}
		if (!any || r[i].end > r[top].end)
			top = i;
		any = true;
	}
	for (i = 0, kept = 0; i < nr; i++) {
		if (r[i].drop)
			continue;
		tmp = r[kept];
		r[kept++] = r[i];
		r[i] = tmp;
	}
	return kept;
}

/*
 * The last byte a guest can reach through vfio-pci's mmap of the BAR
 * [start, end]: vfio-pci maps a BAR smaller than a page as the whole page
 * when the BAR starts on a page boundary and it can reserve the rest of
 * that page, so that page is the BAR's. Any other BAR ends where it ends.
 */
u64 s2attr_bar_mapped_end(u64 start, u64 end, u64 page_size)
{
	if (end - start < page_size - 1 && !(start & (page_size - 1)))
		return start + page_size - 1;
	return end;
}

/*
 * Extend each range that is a BAR smaller than a page to the page vfio-pci
 * maps for it, unless another range starts in the rest of that page: there
 * vfio-pci cannot reserve the page, does not let it be mapped, and the BAR
 * keeps its own size (so that it does not seem to overlap its neighbour).
 */
void s2attr_ranges_extend_subpage(struct s2attr_range *r, u32 nr,
				  u64 page_size)
{
	u32 i, j;
	u64 end;

	for (i = 0; i < nr; i++) {
		end = s2attr_bar_mapped_end(r[i].start, r[i].end, page_size);
		if (end == r[i].end || r[i].end < r[i].start)
			continue;
		for (j = 0; j < nr; j++)
			if (j != i && r[j].start > r[i].end &&
			    r[j].start <= end)
				break;
		if (j == nr)
			r[i].end = end;
	}
}

/*
 * Is @name vfio-pci's driver, or one of its variants' (mlx5_vfio_pci,
 * hisi_acc_vfio_pci, nvgrace_gpu_vfio_pci, ...), which name themselves
 * "<vendor>_vfio_pci" or "<vendor>-vfio-pci"?
 */
bool s2attr_driver_is_vfio_pci(const char *name)
{
	size_t len = strlen(name), n = strlen("vfio-pci");
	const char *tail;

	if (!strcmp(name, "vfio-pci"))
		return true;
	if (len <= n + 1)
		return false;
	tail = name + len - n;
	return (tail[-1] == '_' && !strcmp(tail, "vfio_pci")) ||
	       (tail[-1] == '-' && !strcmp(tail, "vfio-pci"));
}
