// SPDX-License-Identifier: GPL-2.0
/*
 * The snapshot the stage-2 hook reads: the memory BARs of the listed
 * devices and of the unlisted ones bound to vfio-pci, built from the
 * policy (devices.c) and what PCI says of each device, and published with
 * RCU. The hook runs under KVM's mmu_lock with preemption disabled, where
 * nothing may sleep or look PCI devices up: every change of the policy or
 * of a device rebuilds the whole snapshot here, in process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/overflow.h>
#include <linux/slab.h>

#include "bdf.h"
#include "platform.h"
#include "snapshot.h"

struct s2attr_snapshot __rcu *s2attr_snapshot;
enum s2attr_default s2attr_default_memattr;
atomic64_t s2attr_default_rewrites;
atomic64_t s2attr_id_rewrites;

/* A rebuild failed: the hook still reads the table before it (health). */
static bool s2attr_table_stale;
static int s2attr_table_stale_err;

/*
 * A listed address names a 16-bit PCI domain; a device in a wider one
 * (VMD, for instance) can never be listed, and must not alias domain 0.
 */
bool s2attr_pdev_bdf(struct pci_dev *pdev, u32 *bdf)
{
	int domain = pci_domain_nr(pdev->bus);

	if (domain < 0 || domain > 0xffff)
		return false;
	*bdf = S2ATTR_BDF(domain, pdev->bus->number, pdev->devfn);
	return true;
}

/*
 * Only vfio-pci and its variants map BARs into guests. Read without the
 * device lock: the driver cannot go away meanwhile, because unbinding it
 * sends the bus notifier, which waits for the policy's lock, held by every
 * caller.
 */
const char *s2attr_pdev_driver(struct s2attr_policy *p, struct pci_dev *pdev,
			       bool *vfio)
{
	struct device_driver *drv = READ_ONCE(pdev->dev.driver);

	lockdep_assert_held(p->lock);
	*vfio = drv && s2attr_driver_is_vfio_pci(drv->name);
	return drv ? drv->name : "-";
}

/*
 * The memory BARs a guest may map: assigned and claimed in the resource
 * tree (a BAR being moved or resized is not). Returns how many were
 * written to bars. (s2attr_snapshot_publish() extends the ones smaller
 * than a page.)
 */
static u32 s2attr_pdev_bars(struct pci_dev *pdev, struct s2attr_bar *bars)
{
	u32 nr = 0;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct resource *res = &pdev->resource[i];

		if (!(res->flags & IORESOURCE_MEM) ||
		    (res->flags & IORESOURCE_UNSET) || !READ_ONCE(res->parent) ||
		    !res->start || !resource_size(res))
			continue;
		bars[nr].start = res->start;
		bars[nr].end = res->end;
		bars[nr].index = i;
		bars[nr].overlap = false;
		nr++;
	}
	return nr;
}

int s2attr_pdev_rule(struct s2attr_policy *p, struct pci_dev *pdev)
{
	struct s2attr_pci_id id = {
		.vendor = pdev->vendor,
		.device = pdev->device,
		.subvendor = pdev->subsystem_vendor,
		.subdevice = pdev->subsystem_device,
		.class = pdev->class,
	};

	lockdep_assert_held(p->lock);
	return s2attr_id_best(p->rules, p->nr_rules, &id);
}

/* Its rule's attribute (rule: s2attr_pdev_rule()), or -1 without one. */
static int s2attr_rule_memattr(struct s2attr_policy *p, int rule)
{
	return rule < 0 ? -1 : (int)p->rules[rule].memattr;
}

int s2attr_rule_unlisted_memattr(struct s2attr_policy *p, int rule)
{
	return s2attr_unlisted_memattr(s2attr_rule_memattr(p, rule),
				       READ_ONCE(s2attr_default_memattr),
				       p->wc_unsafe);
}

bool s2attr_rule_unlisted_by_platform(struct s2attr_policy *p, int rule)
{
	return s2attr_unlisted_by_platform(s2attr_rule_memattr(p, rule),
					   READ_ONCE(s2attr_default_memattr),
					   p->wc_unsafe);
}

/* BARs only while bound to vfio-pci: nothing else maps them into guests. */
static void s2attr_listed_fill(struct s2attr_policy *p, struct s2attr_listed *l,
			       struct pci_dev *pdev)
{
	bool vfio;

	l->present = true;
	strscpy(l->driver, s2attr_pdev_driver(p, pdev, &vfio), sizeof(l->driver));
	if (vfio)
		l->nr_bars = s2attr_pdev_bars(pdev, l->bars);
}

/*
 * Ask PCI about l's device. The device a bus notification is about is
 * used as given: while it is being added or removed, a look-up by address
 * may or may not find it.
 */
static void s2attr_listed_resolve(struct s2attr_policy *p,
				  struct s2attr_listed *l,
				  struct pci_dev *event_dev, bool event_gone)
{
	struct pci_dev *pdev;
	u32 bdf;

	l->present = false;
	l->nr_bars = 0;
	strscpy(l->driver, "-", sizeof(l->driver));
	if (event_dev && s2attr_pdev_bdf(event_dev, &bdf) && bdf == l->bdf) {
		if (!event_gone)
			s2attr_listed_fill(p, l, event_dev);
		return;
	}
	pdev = pci_get_domain_bus_and_slot(S2ATTR_BDF_DOMAIN(l->bdf),
					   S2ATTR_BDF_BUS(l->bdf),
					   S2ATTR_BDF_DEVFN(l->bdf));
	if (pdev) {
		s2attr_listed_fill(p, l, pdev);
		pci_dev_put(pdev);
	}
}

struct s2attr_listed *s2attr_listed_find(struct s2attr_policy *p, u32 bdf)
{
	struct s2attr_listed *l;

	lockdep_assert_held(p->lock);
	list_for_each_entry(l, &p->listed, node)
		if (l->bdf == bdf)
			return l;
	return NULL;
}

u32 s2attr_unlisted_vfio(struct s2attr_policy *p, struct pci_dev *event_dev,
			 bool event_gone, struct pci_dev **devs, u32 max)
{
	struct pci_dev *pdev = NULL;
	u32 nr = 0, bdf;
	bool vfio;

	for_each_pci_dev(pdev) {
		if (pdev == event_dev && event_gone)
			continue;
		if (!s2attr_pdev_bdf(pdev, &bdf) || s2attr_listed_find(p, bdf))
			continue;
		s2attr_pdev_driver(p, pdev, &vfio);
		if (!vfio)
			continue;
		if (nr < max)
			devs[nr] = pci_dev_get(pdev);
		nr++;
	}
	return nr;
}

/* Overlapping BARs are left out of the table: say which, in status too. */
static void s2attr_report_dropped(struct s2attr_policy *p,
				  const struct s2attr_range *r, u32 nr)
{
	struct s2attr_listed *l;
	u32 i, owner, j;

	for (i = 0; i < nr; i++) {
		pr_warn_ratelimited("BAR %#llx-%#llx overlaps another device's BAR: left to KVM's own attribute\n",
				    r[i].start, r[i].end);
		if (!r[i].owner)
			continue;	/* an unlisted device's */
		owner = 1;
		list_for_each_entry(l, &p->listed, node)
			if (owner++ == r[i].owner)
				for (j = 0; j < l->nr_bars; j++)
					if (l->bars[j].index == r[i].bar)
						l->bars[j].overlap = true;
	}
}

/*
 * The snapshot: the BARs of listed devices (owners 1 and up), of unlisted
 * devices bound to vfio-pci that a rule by identity decides (an owner
 * each, after the listed ones), and of the other unlisted ones (owner 0,
 * for default=device). On failure the previous snapshot stays published:
 * dropping it would give every listed device KVM's attribute, silently.
 * Health reports the failure until a rebuild succeeds.
 */
int s2attr_snapshot_publish(struct s2attr_policy *p,
			    struct pci_dev *event_dev, bool event_gone)
{
	struct s2attr_bar bars[PCI_STD_NUM_BARS];
	struct s2attr_snapshot *snap, *old;
	struct pci_dev **unlisted = NULL;
	u32 nr = 0, owner = 1, i, nr_unlisted, got, kept;
	struct s2attr_listed *l;
	int err = -ENOMEM;

	lockdep_assert_held(p->lock);
	list_for_each_entry(l, &p->listed, node) {
		s2attr_listed_resolve(p, l, event_dev, event_gone);
		nr += l->nr_bars;
	}
	/* Devices may bind meanwhile: their own notification rebuilds again. */
	nr_unlisted = s2attr_unlisted_vfio(p, event_dev, event_gone, NULL, 0);
	if (nr_unlisted) {
		unlisted = kcalloc(nr_unlisted, sizeof(*unlisted), GFP_KERNEL);
		if (!unlisted) {
			nr_unlisted = 0;	/* no references taken */
			goto fail;
		}
		got = s2attr_unlisted_vfio(p, event_dev, event_gone, unlisted,
					   nr_unlisted);
		nr_unlisted = min(got, nr_unlisted);
	}
	snap = kzalloc(struct_size(snap, ranges,
				   nr + nr_unlisted * PCI_STD_NUM_BARS) +
		       (p->nr_listed + 1 + nr_unlisted) * sizeof(*snap->owners),
		       GFP_KERNEL);
	if (!snap)
		goto fail;
	snap->owners = (struct s2attr_owner *)
		&snap->ranges[nr + nr_unlisted * PCI_STD_NUM_BARS];
	snap->owners[0].listed = false;
	snap->owners[0].rewrites = &s2attr_default_rewrites;
	list_for_each_entry(l, &p->listed, node) {
		snap->owners[owner].listed = true;
		snap->owners[owner].bdf = l->bdf;
		snap->owners[owner].memattr = l->memattr;
		snap->owners[owner].rewrites = &l->rewrites;
		for (i = 0; i < l->nr_bars; i++) {
			snap->ranges[snap->nr].start = l->bars[i].start;
			snap->ranges[snap->nr].end = l->bars[i].end;
			snap->ranges[snap->nr].owner = owner;
			snap->ranges[snap->nr].bar = l->bars[i].index;
			snap->nr++;
		}
		owner++;
	}
	for (i = 0; i < nr_unlisted; i++) {
		u32 n = s2attr_pdev_bars(unlisted[i], bars), j, o = 0, bdf = 0;
		int rule = s2attr_pdev_rule(p, unlisted[i]);

		/* A rule, or a known-bad platform, decides: an owner each. */
		if (rule >= 0 || p->wc_unsafe) {
			o = owner++;
			s2attr_pdev_bdf(unlisted[i], &bdf);
			snap->owners[o].listed = true;
			snap->owners[o].bdf = bdf;
			snap->owners[o].memattr = s2attr_rule_unlisted_memattr(p, rule);
			snap->owners[o].rewrites = rule >= 0 ?
				&s2attr_id_rewrites : &s2attr_default_rewrites;
		}
		for (j = 0; j < n; j++) {
			snap->ranges[snap->nr].start = bars[j].start;
			snap->ranges[snap->nr].end = bars[j].end;
			snap->ranges[snap->nr].owner = o;
			snap->ranges[snap->nr].bar = bars[j].index;
			snap->nr++;
		}
	}
	s2attr_ranges_extend_subpage(snap->ranges, snap->nr, PAGE_SIZE);
	/* Listed devices' ranges come first, in list order: show the pages. */
	i = 0;
	list_for_each_entry(l, &p->listed, node) {
		u32 j;

		for (j = 0; j < l->nr_bars; j++)
			l->bars[j].end = snap->ranges[i++].end;
	}
	kept = s2attr_ranges_sort_apart(snap->ranges, snap->nr);
	s2attr_report_dropped(p, &snap->ranges[kept], snap->nr - kept);
	snap->nr = kept;
	old = rcu_replace_pointer(s2attr_snapshot, snap,
				  lockdep_is_held(p->lock));
	if (old)
		kfree_rcu(old, rcu);
	s2attr_table_stale = false;
	err = 0;
	goto out;

fail:
	pr_err("cannot rebuild the BAR table (%d): the previous one stays in use until a rebuild succeeds\n",
	       err);
	s2attr_table_stale = true;
	s2attr_table_stale_err = err;
out:
	for (i = 0; i < nr_unlisted; i++)
		pci_dev_put(unlisted[i]);
	kfree(unlisted);
	return err;
}

void s2attr_snapshot_unpublish(struct s2attr_policy *p)
{
	struct s2attr_snapshot *old;

	old = rcu_replace_pointer(s2attr_snapshot, NULL,
				  lockdep_is_held(p->lock));
	if (old)
		kfree_rcu(old, rcu);
}

bool s2attr_snapshot_stale(struct s2attr_policy *p, int *err)
{
	lockdep_assert_held(p->lock);
	*err = s2attr_table_stale_err;
	return s2attr_table_stale;
}
