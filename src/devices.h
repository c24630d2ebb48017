/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_S2ATTR_DEVICES_H
#define KVM_S2ATTR_DEVICES_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/rcupdate.h>

#include "idrules.h"
#include "memattr.h"
#include "params.h"
#include "snapshot.h"

int s2attr_devices_init(struct kobject *parent,
			const struct s2attr_param_entry *entries, u32 nr,
			const struct s2attr_id_rule *rules, u32 nr_rules,
			bool wc_unsafe);
void s2attr_devices_exit(void);
int s2attr_device_set(u32 bdf, enum s2attr_memattr memattr);
int s2attr_device_remove(u32 bdf);
/*
 * Apply a change that concerns every device (what: "load", "default",
 * "unload"); a failure is a health fault until one succeeds.
 */
int s2attr_apply_all(const char *what);
/* default=: applied to running guests unless it is unchanged. */
int s2attr_default_set(enum s2attr_default def);
/* Append "<code>: <why>" lines for the table and failed applications. */
ssize_t s2attr_devices_health(char *buf, ssize_t len);
/*
 * The rules by identity (sysfs ids): a store replaces them all, or, if the
 * text is bad, none; it applies to the running guests of the devices
 * whose attribute changed.
 */
ssize_t s2attr_ids_show(char *buf);
int s2attr_ids_store(const char *buf, size_t count);
/* "<BDF> <ids> <memattr> <by>" for every device bound to vfio-pci. */
ssize_t s2attr_bound_show(char *buf);
/* The last application: "never", or "<what> <result>" (sysfs). */
ssize_t s2attr_last_apply_show(char *buf);

#endif /* KVM_S2ATTR_DEVICES_H */
