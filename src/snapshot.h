/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_S2ATTR_SNAPSHOT_H
#define KVM_S2ATTR_SNAPSHOT_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>

#include "bar_table.h"
#include "idrules.h"
#include "memattr.h"

/*
 * What the hook needs to know about the owner of a range: a listed device
 * or an unlisted one a rule by identity decides, and its attribute; or
 * (owner 0) any other device bound to vfio-pci, which only default=device
 * changes.
 */
struct s2attr_owner {
	bool listed;			/* listed, or decided by a rule */
	u32 bdf;			/* listed: the device's */
	enum s2attr_memattr memattr;
	atomic64_t *rewrites;
};

/*
 * The memory BARs of every device bound to vfio-pci, listed or not, that
 * do not overlap one another, sorted for lookup in the stage-2 fault path.
 * Immutable once published; replaced as a whole.
 */
struct s2attr_snapshot {
	struct rcu_head rcu;
	u32 nr;
	struct s2attr_owner *owners;	/* indexed by s2attr_range.owner */
	struct s2attr_range ranges[];
};

/* What the hook reads: the published snapshot and default=. */
extern struct s2attr_snapshot __rcu *s2attr_snapshot;
extern enum s2attr_default s2attr_default_memattr;
extern atomic64_t s2attr_default_rewrites;
/* Rewrites of the BARs of devices a rule by identity decides. */
extern atomic64_t s2attr_id_rewrites;

struct s2attr_bar {
	u64 start;
	u64 end;		/* inclusive: the last byte a guest can map */
	int index;
	bool overlap;		/* dropped: overlaps another device's BAR */
};

/*
 * A listed device, as the snapshot sees it (devices.c embeds one in each
 * of its entries): its attribute, and what PCI said of it when the
 * snapshot was last built.
 */
struct s2attr_listed {
	struct list_head node;
	u32 bdf;
	enum s2attr_memattr memattr;
	atomic64_t rewrites;
	bool present;
	char driver[32];
	u32 nr_bars;
	struct s2attr_bar bars[PCI_STD_NUM_BARS];
};

/*
 * What a snapshot is built from: the listed devices and the rules by
 * identity, owned by devices.c and changed only under *lock, which every
 * function here that takes a policy expects held.
 */
struct s2attr_policy {
	struct mutex *lock;		/* devices.c's, held while in use */
	struct list_head listed;	/* of struct s2attr_listed */
	u32 nr_listed;
	struct s2attr_id_rule rules[S2ATTR_MAX_ID_RULES];
	u32 nr_rules;
	/* A known-bad platform (host probe): unlisted devices get device. */
	bool wc_unsafe;
};

/*
 * Rebuild the snapshot from p and PCI, and publish it. event_dev is the
 * device a bus notification is about (gone: being removed), or NULL. On
 * failure the previous snapshot stays published (see
 * s2attr_snapshot_stale()).
 */
int s2attr_snapshot_publish(struct s2attr_policy *p,
			    struct pci_dev *event_dev, bool event_gone);
/* Unpublish (unload); the snapshot is freed after a grace period. */
void s2attr_snapshot_unpublish(struct s2attr_policy *p);
/* The last rebuild failed, with *err: the hook reads an older one. */
bool s2attr_snapshot_stale(struct s2attr_policy *p, int *err);

struct s2attr_listed *s2attr_listed_find(struct s2attr_policy *p, u32 bdf);
/* pdev's address, unless its PCI domain is wider than 16 bits. */
bool s2attr_pdev_bdf(struct pci_dev *pdev, u32 *bdf);
/* The name of pdev's driver ("-": none); *vfio: vfio-pci or a variant. */
const char *s2attr_pdev_driver(struct s2attr_policy *p, struct pci_dev *pdev,
			       bool *vfio);
/* The rule by identity that decides for pdev, or -1 if none matches. */
int s2attr_pdev_rule(struct s2attr_policy *p, struct pci_dev *pdev);
/*
 * What an unlisted device whose rule is rule (s2attr_pdev_rule()) gets
 * (platform.c); -1: KVM's own.
 */
int s2attr_rule_unlisted_memattr(struct s2attr_policy *p, int rule);
/* Whether the platform, not the rule or default=, decided that. */
bool s2attr_rule_unlisted_by_platform(struct s2attr_policy *p, int rule);
/*
 * Unlisted devices bound to vfio-pci: the pci_dev of each, referenced, in
 * devs (up to max); returns how many there are (more than max if devs was
 * too small).
 */
u32 s2attr_unlisted_vfio(struct s2attr_policy *p, struct pci_dev *event_dev,
			 bool event_gone, struct pci_dev **devs, u32 max);

#endif /* KVM_S2ATTR_SNAPSHOT_H */
