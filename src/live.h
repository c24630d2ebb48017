/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_S2ATTR_LIVE_H
#define KVM_S2ATTR_LIVE_H

#include <linux/pci.h>
#include <linux/types.h>

/* What one application to a device did. */
struct s2attr_live_result {
	time64_t when;		/* wall clock, seconds */
	int err;		/* 0, or why it failed */
	u32 bars;		/* BARs invalidated */
	u32 mappings;		/* host mappings of them, so guests' entries */
	u32 unreached;		/* mappings of them outside vfio: -EXDEV */
};

/* How this kernel applies a change to running guests, or NULL: it cannot. */
const char *s2attr_live_mechanism(void);

/*
 * Find what the mechanism needs and register for unbind notifications (at
 * load); the mechanism is NULL if that failed.
 */
void s2attr_live_init(void);
void s2attr_live_exit(void);

/*
 * Make KVM drop every stage-2 entry of pdev's memory BARs, if it is bound
 * to a vfio-pci driver; the guests' next accesses fault and get the
 * attribute the published table gives. Takes no device lock; never call
 * it holding s2attr_devices_lock (bus notifiers wait for it under a
 * device lock). Returns 0 (also when not bound to vfio-pci: nothing to
 * drop), -EBUSY while the device is being unbound, -EXDEV if processes
 * map its BARs other than through vfio (res->unreached: those mappings'
 * guests keep the old attribute), or another negative errno, in res too.
 */
int s2attr_live_apply(struct pci_dev *pdev, struct s2attr_live_result *res);

/* The same, by address; -ENODEV in res if no such PCI device. */
int s2attr_live_apply_bdf(u32 bdf, struct s2attr_live_result *res);

/* Every device bound to vfio-pci; returns the first error, counts in res. */
int s2attr_live_apply_all(struct s2attr_live_result *res);

#endif /* KVM_S2ATTR_LIVE_H */
