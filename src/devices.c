// SPDX-License-Identifier: GPL-2.0
/*
 * The listed devices: one entry per PCI address, shown in sysfs as
 * devices/<BDF>/; the rules by identity, default= and the applications of
 * changes to running guests. The BAR snapshot the stage-2 hook reads is
 * built from them by snapshot.c.
 *
 * Entries change only in process context, under s2attr_devices_lock (sysfs
 * writes, module load, the PCI bus notifier), and every change rebuilds
 * and publishes the whole snapshot.
 *
 * Adding and removing entries is also serialised as a whole by
 * s2attr_entries_lock, held until a removed entry's sysfs directory is
 * gone, so that an add of the same address never meets its old directory.
 * Only add, remove and unload take it; an entry's own files do not, so
 * waiting for them to drain under it cannot deadlock.
 *
 * An entry's directory is a kobject the kernel owns (its release function
 * is the kernel's): a kobject release can run long after the last put
 * (CONFIG_DEBUG_KOBJECT_RELEASE delays it by seconds), when this module's
 * text may be gone. The entry itself is freed by the module, once the
 * directory is removed and its files have drained.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>

#include "bdf.h"
#include "devices.h"
#include "live.h"

/* A listed device: its sysfs directory, and its last application. */
struct s2attr_entry {
	struct s2attr_listed listed;	/* what the snapshot sees of it */
	struct kobject *kobj;		/* devices/<BDF>/, the kernel's */
	bool applied_valid;
	u64 applied_seq;
	struct s2attr_live_result applied;
};

static DEFINE_MUTEX(s2attr_entries_lock);
static DEFINE_MUTEX(s2attr_devices_lock);
/* The listed devices and the rules by identity (ids=): snapshot.c's input. */
static struct s2attr_policy s2attr_policy = {
	.lock = &s2attr_devices_lock,
	.listed = LIST_HEAD_INIT(s2attr_policy.listed),
};

static struct kset *s2attr_devices_kset;

static struct s2attr_entry *s2attr_find(u32 bdf)
{
	struct s2attr_listed *l = s2attr_listed_find(&s2attr_policy, bdf);

	return l ? container_of(l, struct s2attr_entry, listed) : NULL;
}

/* What pdev, unlisted, gets by its rule, default= and the platform. */
static int s2attr_pdev_unlisted_memattr(struct pci_dev *pdev)
{
	return s2attr_rule_unlisted_memattr(&s2attr_policy,
					    s2attr_pdev_rule(&s2attr_policy, pdev));
}

static bool s2attr_apply_failed(const struct s2attr_live_result *res)
{
	return res->err && res->err != -EOPNOTSUPP;
}

/*
 * Change a listed entry's attribute; on failure, keep the old one. Returns
 * 1 if it already had it and its last application did not fail: nothing
 * to apply (configuration management sets the same policy every run).
 */
static int s2attr_entry_set_memattr(struct s2attr_entry *e,
				    enum s2attr_memattr memattr)
{
	enum s2attr_memattr old = e->listed.memattr;
	int err;

	lockdep_assert_held(&s2attr_devices_lock);
	if (old == memattr)
		return e->applied_valid && s2attr_apply_failed(&e->applied) ? 0 : 1;
	WRITE_ONCE(e->listed.memattr, memattr);
	err = s2attr_snapshot_publish(&s2attr_policy, NULL, false);
	if (err) {
		WRITE_ONCE(e->listed.memattr, old);
		s2attr_snapshot_publish(&s2attr_policy, NULL, false);
	}
	return err;
}

/* Take e off the list and out of the snapshot; the caller then drops it. */
static void s2attr_entry_unlink(struct s2attr_entry *e)
{
	lockdep_assert_held(&s2attr_devices_lock);
	list_del(&e->listed.node);
	s2attr_policy.nr_listed--;
	s2attr_snapshot_publish(&s2attr_policy, NULL, false);
}

/*
 * Remove an entry's directory, outside the lock: removing its sysfs files
 * waits for their readers and writers, which take the lock themselves.
 */
static void s2attr_entry_del_dir(struct s2attr_entry *e)
{
	kobject_del(e->kobj);
	kobject_put(e->kobj);
}

/* Free an unlinked entry whose directory is gone. */
static void s2attr_entry_free(struct s2attr_entry *e)
{
	/* The old snapshot may still point at e->listed.rewrites. */
	synchronize_rcu();
	kfree(e);
}

/* The listed entry whose directory kobj is, if it is still listed. */
static struct s2attr_entry *s2attr_find_kobj(struct kobject *kobj)
{
	struct s2attr_entry *e;

	lockdep_assert_held(&s2attr_devices_lock);
	list_for_each_entry(e, &s2attr_policy.listed, listed.node)
		if (e->kobj == kobj)
			return e;
	return NULL;
}

static struct s2attr_live_result s2attr_last_apply;
static char s2attr_last_apply_what[S2ATTR_BDF_STRLEN];
/*
 * Applications are numbered. One to every device ("load", "default",
 * "unload") that failed is a fault until another succeeds; so is a
 * device's own failed one, unless such an application succeeded after it.
 */
static u64 s2attr_apply_seq;
static u64 s2attr_all_ok_seq;
static bool s2attr_all_failed;
static char s2attr_all_failed_what[S2ATTR_BDF_STRLEN];
static struct s2attr_live_result s2attr_all_failed_res;

/*
 * "[<what> ]<unix time> bars=<n> mappings=<n> ok|error <errno>" (with
 * "unreached=<n> " before "error -18": see s2attr_live_apply()), or
 * "[<what> ]<unix time> unsupported": an application to running guests.
 */
static ssize_t s2attr_live_result_emit(char *buf, const char *what,
				       const struct s2attr_live_result *res)
{
	const char *sep = what[0] ? " " : "";

	if (res->err == -EOPNOTSUPP)
		return sysfs_emit(buf, "%s%s%lld unsupported\n", what, sep,
				  (long long)res->when);
	if (res->err == -EXDEV)
		return sysfs_emit(buf, "%s%s%lld bars=%u mappings=%u unreached=%u error %d\n",
				  what, sep, (long long)res->when, res->bars,
				  res->mappings, res->unreached, res->err);
	if (res->err)
		return sysfs_emit(buf, "%s%s%lld bars=%u mappings=%u error %d\n",
				  what, sep, (long long)res->when, res->bars,
				  res->mappings, res->err);
	return sysfs_emit(buf, "%s%s%lld bars=%u mappings=%u ok\n", what, sep,
			  (long long)res->when, res->bars, res->mappings);
}

/*
 * Remember an application, as the device's last and as the last of all.
 * A kernel without a way to apply changes to running guests is not an
 * error here (status says so); a failure is, though the new table already
 * holds for new mappings: returned, and logged. One to some unlisted
 * devices (!listed && !all) that failed is a fault like one to every
 * device, but its success does not end an earlier one's fault.
 */
static int s2attr_record_apply(const char *what, u32 bdf, bool listed,
			       bool all, const struct s2attr_live_result *res)
{
	bool failed = s2attr_apply_failed(res);
	struct s2attr_entry *e;

	mutex_lock(&s2attr_devices_lock);
	s2attr_apply_seq++;
	if (listed) {
		e = s2attr_find(bdf);
		if (e) {
			e->applied = *res;
			e->applied_valid = true;
			e->applied_seq = s2attr_apply_seq;
		}
	} else if (failed) {
		s2attr_all_failed = true;
		s2attr_all_failed_res = *res;
		strscpy(s2attr_all_failed_what, what,
			sizeof(s2attr_all_failed_what));
	} else if (all) {
		s2attr_all_failed = false;
		s2attr_all_ok_seq = s2attr_apply_seq;
	}
	s2attr_last_apply = *res;
	strscpy(s2attr_last_apply_what, what, sizeof(s2attr_last_apply_what));
	mutex_unlock(&s2attr_devices_lock);
	if (!failed)
		return 0;
	pr_warn("%s: the table holds for new mappings, but running guests may keep an old attribute: invalidation failed (%d)\n",
		what, res->err);
	return res->err;
}

/* After a change of bdf's entry, published: apply it to running guests. */
static int s2attr_apply_device(u32 bdf)
{
	struct s2attr_live_result res;
	char name[S2ATTR_BDF_STRLEN];

	s2attr_live_apply_bdf(bdf, &res);
	s2attr_bdf_format(bdf, name);
	return s2attr_record_apply(name, bdf, true, false, &res);
}

int s2attr_apply_all(const char *what)
{
	struct s2attr_live_result res;

	s2attr_live_apply_all(&res);
	return s2attr_record_apply(what, 0, false, true, &res);
}

/*
 * Replace the rules by identity, publish, and apply to the running guests
 * of the unlisted devices bound to vfio-pci whose attribute changed (all
 * of them if an application to every device failed last): none if the
 * rules are the same (configuration management writes them every run).
 */
static int s2attr_ids_set(const struct s2attr_id_rule *rules, u32 nr)
{
	struct s2attr_live_result res, one;
	struct s2attr_id_rule *old;
	struct pci_dev **devs = NULL;
	u32 nr_old, n = 0, got = 0, i, applied = 0;
	int *before = NULL, err = -ENOMEM;
	bool retry;

	old = kmemdup(s2attr_policy.rules, sizeof(s2attr_policy.rules), GFP_KERNEL);
	if (!old)
		return -ENOMEM;
	mutex_lock(&s2attr_devices_lock);
	n = s2attr_unlisted_vfio(&s2attr_policy, NULL, false, NULL, 0);
	if (n) {
		devs = kcalloc(n, sizeof(*devs), GFP_KERNEL);
		before = kcalloc(n, sizeof(*before), GFP_KERNEL);
		if (!devs || !before)
			goto unlock;
		got = min(s2attr_unlisted_vfio(&s2attr_policy, NULL, false, devs, n), n);
	}
	for (i = 0; i < got; i++)
		before[i] = s2attr_pdev_unlisted_memattr(devs[i]);
	nr_old = s2attr_policy.nr_rules;
	memcpy(s2attr_policy.rules, rules, nr * sizeof(*rules));
	s2attr_policy.nr_rules = nr;
	err = s2attr_snapshot_publish(&s2attr_policy, NULL, false);
	if (err) {
		memcpy(s2attr_policy.rules, old, sizeof(s2attr_policy.rules));
		s2attr_policy.nr_rules = nr_old;
		s2attr_snapshot_publish(&s2attr_policy, NULL, false);
		goto unlock;
	}
	retry = s2attr_all_failed;
	for (i = 0; i < got; i++) {
		if (!retry && before[i] == s2attr_pdev_unlisted_memattr(devs[i])) {
			pci_dev_put(devs[i]);
			devs[i] = NULL;
		}
	}
unlock:
	mutex_unlock(&s2attr_devices_lock);
	memset(&res, 0, sizeof(res));
	res.when = ktime_get_real_seconds();
	for (i = 0; i < got; i++) {
		if (!devs[i])
			continue;
		if (!err) {
			s2attr_live_apply(devs[i], &one);
			res.bars += one.bars;
			res.mappings += one.mappings;
			if (one.err && !res.err)
				res.err = one.err;
			applied++;
		}
		pci_dev_put(devs[i]);
	}
	kfree(devs);
	kfree(before);
	kfree(old);
	if (err || !applied)
		return err;
	return s2attr_record_apply("ids", 0, false, false, &res);
}

ssize_t s2attr_ids_show(char *buf)
{
	char id[S2ATTR_ID_RULE_LEN];
	ssize_t len = 0;
	u32 i;

	mutex_lock(&s2attr_devices_lock);
	for (i = 0; i < s2attr_policy.nr_rules; i++) {
		s2attr_id_format(&s2attr_policy.rules[i], id, sizeof(id));
		len += sysfs_emit_at(buf, len, "%s=%s\n", id,
				     s2attr_memattr_name(s2attr_policy.rules[i].memattr));
	}
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

/* One rule a line, as ids shows them, or separated by commas. */
int s2attr_ids_store(const char *buf, size_t count)
{
	struct s2attr_id_rule *rules;
	char *text;
	size_t i;
	u32 nr;
	int err;

	text = kmemdup_nul(buf, count, GFP_KERNEL);
	rules = kcalloc(S2ATTR_MAX_ID_RULES, sizeof(*rules), GFP_KERNEL);
	err = -ENOMEM;
	if (!text || !rules)
		goto out;
	for (i = 0; i + 1 < count; i++)
		if (text[i] == '\n')
			text[i] = ',';
	err = s2attr_parse_ids(text, rules, S2ATTR_MAX_ID_RULES, &nr, NULL);
	if (!err)
		err = s2attr_ids_set(rules, nr);
out:
	kfree(rules);
	kfree(text);
	return err;
}

/*
 * "<BDF> <vendor>:<device>:<subvendor>:<subdevice>/<class> <memattr>
 * <by>" for every device bound to vfio-pci, by: "listed", "id=<rule>" or
 * "default" (memattr "kernel": KVM's own), with "+platform" where a
 * known-bad platform made it "device". A page holds about 50 of them;
 * then a last line says "truncated".
 */
ssize_t s2attr_bound_show(char *buf)
{
	char id[S2ATTR_ID_RULE_LEN] = "";
	struct pci_dev *pdev = NULL;
	struct s2attr_entry *e;
	const char *memattr;
	ssize_t len = 0;
	bool vfio, platform;
	u32 bdf;
	int rule, m;

	mutex_lock(&s2attr_devices_lock);
	for_each_pci_dev(pdev) {
		s2attr_pdev_driver(&s2attr_policy, pdev, &vfio);
		if (!vfio)
			continue;
		if (len > PAGE_SIZE - 128) {
			len += sysfs_emit_at(buf, len, "truncated\n");
			pci_dev_put(pdev);	/* for_each_pci_dev's reference */
			break;
		}
		e = s2attr_pdev_bdf(pdev, &bdf) ? s2attr_find(bdf) : NULL;
		rule = e ? -1 : s2attr_pdev_rule(&s2attr_policy, pdev);
		m = e ? (int)e->listed.memattr : s2attr_rule_unlisted_memattr(&s2attr_policy, rule);
		memattr = m >= 0 ? s2attr_memattr_name(m) :
			  s2attr_default_name(S2ATTR_DEFAULT_KERNEL);
		platform = !e && s2attr_rule_unlisted_by_platform(&s2attr_policy, rule);
		if (rule >= 0)
			s2attr_id_format(&s2attr_policy.rules[rule], id, sizeof(id));
		len += sysfs_emit_at(buf, len, "%s %04x:%04x:%04x:%04x/%06x %s %s%s%s\n",
				     pci_name(pdev), pdev->vendor, pdev->device,
				     pdev->subsystem_vendor, pdev->subsystem_device,
				     pdev->class, memattr,
				     e ? "listed" : rule >= 0 ? "id=" : "default",
				     rule >= 0 ? id : "", platform ? "+platform" : "");
	}
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

/* Unchanged, and its last application did not fail: nothing to apply. */
int s2attr_default_set(enum s2attr_default def)
{
	bool changed;

	mutex_lock(&s2attr_devices_lock);
	/* On a known-bad platform no unlisted device follows default. */
	changed = (def != s2attr_default_memattr && !s2attr_policy.wc_unsafe) ||
		  s2attr_all_failed;
	/* The hook reads it directly: published by this store. */
	WRITE_ONCE(s2attr_default_memattr, def);
	mutex_unlock(&s2attr_devices_lock);
	return changed ? s2attr_apply_all("default") : 0;
}

/* Why a failed application failed, for the health line. */
static const char *s2attr_apply_why(int err)
{
	if (err == -EXDEV)
		return " (mapped other than through vfio-pci, e.g. a sysfs resource file)";
	return "";
}

/*
 * "<code>: <why>" lines for what is wrong with the table or its
 * applications, appended to buf at len; returns the new length.
 */
ssize_t s2attr_devices_health(char *buf, ssize_t len)
{
	char name[S2ATTR_BDF_STRLEN];
	struct s2attr_entry *e;
	int err;

	mutex_lock(&s2attr_devices_lock);
	if (s2attr_snapshot_stale(&s2attr_policy, &err))
		len += sysfs_emit_at(buf, len,
				     "table-stale: rebuilding the BAR table failed (%d): the hook uses the previous one, which may not match the configuration or the devices; any change retries\n",
				     err);
	if (s2attr_all_failed)
		len += sysfs_emit_at(buf, len,
				     "apply-failed: %s at %lld: error %d%s: running guests may keep an old attribute; apply again (kvm-s2attr default, set) or restart them\n",
				     s2attr_all_failed_what,
				     (long long)s2attr_all_failed_res.when,
				     s2attr_all_failed_res.err,
				     s2attr_apply_why(s2attr_all_failed_res.err));
	list_for_each_entry(e, &s2attr_policy.listed, listed.node) {
		if (!e->applied_valid || !s2attr_apply_failed(&e->applied) ||
		    e->applied_seq < s2attr_all_ok_seq)
			continue;
		s2attr_bdf_format(e->listed.bdf, name);
		len += sysfs_emit_at(buf, len,
				     "apply-failed: %s at %lld: error %d%s: its running guests may keep the old attribute; set it again or restart them\n",
				     name, (long long)e->applied.when,
				     e->applied.err,
				     s2attr_apply_why(e->applied.err));
	}
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

ssize_t s2attr_last_apply_show(char *buf)
{
	ssize_t len;

	mutex_lock(&s2attr_devices_lock);
	if (!s2attr_last_apply_what[0])
		len = sysfs_emit(buf, "never\n");
	else
		len = s2attr_live_result_emit(buf, s2attr_last_apply_what,
					      &s2attr_last_apply);
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

static ssize_t memattr_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct s2attr_entry *e;
	ssize_t len = -ENOENT;

	mutex_lock(&s2attr_devices_lock);
	e = s2attr_find_kobj(kobj);
	if (e)
		len = sysfs_emit(buf, "%s\n", s2attr_memattr_name(e->listed.memattr));
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

static ssize_t memattr_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct s2attr_entry *e;
	enum s2attr_memattr memattr;
	u32 bdf;
	int err;

	err = s2attr_memattr_parse(buf, count, &memattr);
	if (err)
		return err;
	mutex_lock(&s2attr_devices_lock);
	e = s2attr_find_kobj(kobj);
	err = e ? s2attr_entry_set_memattr(e, memattr) : -ENOENT;
	bdf = e ? e->listed.bdf : 0;
	mutex_unlock(&s2attr_devices_lock);
	if (!err)
		err = s2attr_apply_device(bdf);
	return err < 0 ? err : count;
}

/*
 * "present <driver> bar<N>=<start>-<end>..." or "absent": the BARs taken
 * (bound to vfio-pci, assigned, claimed), "overlap-bar<N>=..." for one
 * left out because it overlaps another device's.
 */
static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct s2attr_entry *e;
	ssize_t len;
	u32 i;

	mutex_lock(&s2attr_devices_lock);
	e = s2attr_find_kobj(kobj);
	if (!e) {
		len = -ENOENT;
	} else if (!e->listed.present) {
		len = sysfs_emit(buf, "absent\n");
	} else {
		len = sysfs_emit(buf, "present %s", e->listed.driver);
		for (i = 0; i < e->listed.nr_bars; i++)
			len += sysfs_emit_at(buf, len, " %sbar%d=%#llx-%#llx",
					     e->listed.bars[i].overlap ? "overlap-" : "",
					     e->listed.bars[i].index, e->listed.bars[i].start,
					     e->listed.bars[i].end);
		len += sysfs_emit_at(buf, len, "\n");
	}
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

static ssize_t rewrites_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct s2attr_entry *e;
	ssize_t len = -ENOENT;

	mutex_lock(&s2attr_devices_lock);
	e = s2attr_find_kobj(kobj);
	if (e)
		len = sysfs_emit(buf, "%lld\n",
				 (long long)atomic64_read(&e->listed.rewrites));
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

static ssize_t applied_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct s2attr_entry *e;
	ssize_t len = -ENOENT;

	mutex_lock(&s2attr_devices_lock);
	e = s2attr_find_kobj(kobj);
	if (e && !e->applied_valid)
		len = sysfs_emit(buf, "never\n");
	else if (e)
		len = s2attr_live_result_emit(buf, "", &e->applied);
	mutex_unlock(&s2attr_devices_lock);
	return len;
}

static struct kobj_attribute s2attr_memattr_attr = __ATTR_RW_MODE(memattr, 0644);
static struct kobj_attribute s2attr_state_attr = __ATTR_RO(state);
static struct kobj_attribute s2attr_rewrites_attr = __ATTR_RO(rewrites);
static struct kobj_attribute s2attr_applied_attr = __ATTR_RO(applied);

static struct attribute *s2attr_entry_attrs[] = {
	&s2attr_memattr_attr.attr,
	&s2attr_state_attr.attr,
	&s2attr_rewrites_attr.attr,
	&s2attr_applied_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(s2attr_entry);

/* devices/<BDF>/ with its files, or NULL. */
static struct kobject *s2attr_entry_create_dir(u32 bdf)
{
	char name[S2ATTR_BDF_STRLEN];
	struct kobject *kobj;

	s2attr_bdf_format(bdf, name);
	kobj = kobject_create_and_add(name, &s2attr_devices_kset->kobj);
	if (kobj && sysfs_create_groups(kobj, s2attr_entry_groups)) {
		kobject_del(kobj);
		kobject_put(kobj);
		kobj = NULL;
	}
	return kobj;
}

/*
 * Create an entry or update its attribute; takes the lock. Unless publish,
 * the caller publishes afterwards (the load does, once for all entries).
 * Returns 1 if it was listed with that attribute already (see
 * s2attr_entry_set_memattr()).
 */
static int s2attr_device_add(u32 bdf, enum s2attr_memattr memattr,
			     bool publish)
{
	struct s2attr_entry *e;
	int err;

	mutex_lock(&s2attr_entries_lock);
	mutex_lock(&s2attr_devices_lock);
	e = s2attr_find(bdf);
	if (e) {
		err = publish ? s2attr_entry_set_memattr(e, memattr) : -EEXIST;
		goto out;
	}
	err = -ENOSPC;
	if (s2attr_policy.nr_listed >= S2ATTR_MAX_DEVICES)
		goto out;
	err = -ENOMEM;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		goto out;
	e->listed.bdf = bdf;
	e->listed.memattr = memattr;
	atomic64_set(&e->listed.rewrites, 0);
	e->kobj = s2attr_entry_create_dir(bdf);
	if (!e->kobj) {
		kfree(e);
		goto out;
	}
	list_add_tail(&e->listed.node, &s2attr_policy.listed);
	s2attr_policy.nr_listed++;
	err = publish ? s2attr_snapshot_publish(&s2attr_policy, NULL, false) : 0;
	if (err) {
		s2attr_entry_unlink(e);
		mutex_unlock(&s2attr_devices_lock);
		s2attr_entry_del_dir(e);
		s2attr_entry_free(e);
		mutex_unlock(&s2attr_entries_lock);
		return err;
	}
out:
	mutex_unlock(&s2attr_devices_lock);
	mutex_unlock(&s2attr_entries_lock);
	return err;
}

/* Unchanged (s2attr_device_add() returns 1): nothing to apply. */
int s2attr_device_set(u32 bdf, enum s2attr_memattr memattr)
{
	int err = s2attr_device_add(bdf, memattr, true);

	if (err)
		return err < 0 ? err : 0;
	return s2attr_apply_device(bdf);
}

int s2attr_device_remove(u32 bdf)
{
	struct s2attr_entry *e;

	mutex_lock(&s2attr_entries_lock);
	mutex_lock(&s2attr_devices_lock);
	e = s2attr_find(bdf);
	if (e)
		s2attr_entry_unlink(e);
	mutex_unlock(&s2attr_devices_lock);
	if (e) {
		s2attr_entry_del_dir(e);
		s2attr_entry_free(e);
	}
	mutex_unlock(&s2attr_entries_lock);
	return e ? s2attr_apply_device(bdf) : -ENOENT;
}

static int s2attr_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	bool gone;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		gone = false;
		break;
	case BUS_NOTIFY_DEL_DEVICE:
	case BUS_NOTIFY_REMOVED_DEVICE:
		gone = true;
		break;
	default:
		return NOTIFY_DONE;
	}
	/*
	 * Any device: a listed one changes its own BARs, any other binding
	 * to or from vfio-pci changes what default=device covers.
	 */
	mutex_lock(&s2attr_devices_lock);
	s2attr_snapshot_publish(&s2attr_policy, pdev, gone);
	mutex_unlock(&s2attr_devices_lock);
	return NOTIFY_OK;
}

static struct notifier_block s2attr_pci_nb = {
	.notifier_call = s2attr_pci_notify,
};

static void s2attr_devices_free(void)
{
	struct s2attr_entry *e, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&s2attr_entries_lock);
	mutex_lock(&s2attr_devices_lock);
	list_splice_init(&s2attr_policy.listed, &dead);
	s2attr_policy.nr_listed = 0;
	s2attr_snapshot_unpublish(&s2attr_policy);
	mutex_unlock(&s2attr_devices_lock);
	list_for_each_entry(e, &dead, listed.node)
		s2attr_entry_del_dir(e);
	synchronize_rcu();
	list_for_each_entry_safe(e, tmp, &dead, listed.node)
		kfree(e);
	mutex_unlock(&s2attr_entries_lock);
}

int s2attr_devices_init(struct kobject *parent,
			const struct s2attr_param_entry *entries, u32 nr,
			const struct s2attr_id_rule *rules, u32 nr_rules,
			bool wc_unsafe)
{
	u32 i;
	int err;

	/* No snapshot yet, no notifier: nothing reads them before the lock. */
	s2attr_policy.wc_unsafe = wc_unsafe;
	memcpy(s2attr_policy.rules, rules, nr_rules * sizeof(*rules));
	s2attr_policy.nr_rules = nr_rules;
	atomic64_set(&s2attr_id_rewrites, 0);

	s2attr_devices_kset = kset_create_and_add("devices", NULL, parent);
	if (!s2attr_devices_kset)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		err = s2attr_device_add(entries[i].bdf, entries[i].memattr,
					false);
		if (err)
			goto fail;
	}
	err = bus_register_notifier(&pci_bus_type, &s2attr_pci_nb);
	if (err)
		goto fail;
	/* Once, for every entry; and after the notifier is in place. */
	mutex_lock(&s2attr_devices_lock);
	err = s2attr_snapshot_publish(&s2attr_policy, NULL, false);
	mutex_unlock(&s2attr_devices_lock);
	if (err) {
		bus_unregister_notifier(&pci_bus_type, &s2attr_pci_nb);
		goto fail;
	}
	return 0;

fail:
	s2attr_devices_free();
	kset_unregister(s2attr_devices_kset);
	return err;
}

void s2attr_devices_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &s2attr_pci_nb);
	s2attr_devices_free();
	kset_unregister(s2attr_devices_kset);
	/* The last snapshot was freed with kfree_rcu(): wait for it. */
	rcu_barrier();
}
