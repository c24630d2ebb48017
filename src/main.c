// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-s2attr: choose, per PCI device, the stage-2 memory attribute KVM
 * gives a vfio-pci BAR mapped into a guest (Device-nGnRE or Normal-NC).
 *
 * Load order: check the host, resolve the hook point, build the device
 * table and sysfs, and only then attach the hook. Any failure leaves the
 * kernel untouched, with one message saying what was checked and what the
 * user can do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "bdf.h"
#include "devices.h"
#include "hook.h"
#include "host.h"
#include "live.h"
#include "params.h"

/*
 * devices= may list up to S2ATTR_MAX_DEVICES entries and ids= up to
 * S2ATTR_MAX_ID_RULES rules, far more than a charp parameter's 1024
 * characters hold: keep a copy of any length (kp->arg: the char *).
 * Given more than once (one rule per "options" line in modprobe.d, or
 * modprobe.d and the kernel command line), the lists are joined in order,
 * so that none is silently lost; the parser then refuses repeats.
 */
static char *devices_param;
static char *ids_param;

static int s2attr_long_param_set(const char *val, const struct kernel_param *kp)
{
	char **param = kp->arg;
	char *copy;

	if (!val)	/* "devices" or "ids" without "=" */
		return -EINVAL;
	if (!*val && *param)
		return 0;
	if (*param && **param)
		copy = kasprintf(GFP_KERNEL, "%s,%s", *param, val);
	else
		copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	kfree(*param);
	*param = copy;
	return 0;
}

static int s2attr_long_param_get(char *buf, const struct kernel_param *kp)
{
	char **param = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%s\n", *param ?: "");
}

static void s2attr_long_param_free(void *arg)
{
	char **param = arg;

	kfree(*param);
	*param = NULL;
}

static const struct kernel_param_ops s2attr_long_param_ops = {
	.set = s2attr_long_param_set,
	.get = s2attr_long_param_get,
	.free = s2attr_long_param_free,
};

module_param_cb(devices, &s2attr_long_param_ops, &devices_param, 0444);
MODULE_PARM_DESC(devices, "Listed devices: <BDF>=device|normal-nc[,...]");
module_param_cb(ids, &s2attr_long_param_ops, &ids_param, 0444);
MODULE_PARM_DESC(ids, "Rules by identity, for unlisted devices: vendor:device[:subvendor:subdevice][/class]=device|normal-nc[,...] (IDs in hex or *)");

static char *default_param = "kernel";
module_param_named(default, default_param, charp, 0444);
MODULE_PARM_DESC(default, "Attribute of unlisted devices' BARs: kernel (KVM's choice) or device");

static char *hook_param = "auto";
module_param_named(hook, hook_param, charp, 0444);
MODULE_PARM_DESC(hook, "How to hook KVM: auto (ftrace, else kprobe), ftrace or kprobe");

static struct s2attr_host s2attr_host;
static struct s2attr_hook_target s2attr_target;
static struct kobject *s2attr_kobj;

static ssize_t add_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	enum s2attr_memattr memattr;
	u32 bdf;
	int err;

	err = s2attr_parse_add(buf, count, &bdf, &memattr);
	if (!err)
		err = s2attr_device_set(bdf, memattr);
	return err ? err : count;
}

static ssize_t remove_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	u32 bdf;
	int err;

	err = s2attr_bdf_parse(buf, count, &bdf);
	if (!err)
		err = s2attr_device_remove(bdf);
	return err ? err : count;
}

static ssize_t default_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  s2attr_default_name(READ_ONCE(s2attr_default_memattr)));
}

static ssize_t default_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	enum s2attr_default def;
	int err;

	err = s2attr_default_parse(buf, count, &def);
	if (!err)
		err = s2attr_default_set(def);
	return err ? err : count;
}

/* The rules by identity, one "<id>=<memattr>" a line; a write replaces them. */
static ssize_t ids_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return s2attr_ids_show(buf);
}

static ssize_t ids_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	int err = s2attr_ids_store(buf, count);

	return err < 0 ? err : count;
}

static ssize_t id_rewrites_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&s2attr_id_rewrites));
}

/* Every device bound to vfio-pci, its attribute, and what gave it. */
static ssize_t bound_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return s2attr_bound_show(buf);
}

static ssize_t default_rewrites_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&s2attr_default_rewrites));
}

/* "<ftrace|kprobe> <function>": how KVM's stage-2 map path is hooked. */
static ssize_t hook_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s %s\n", s2attr_hook_kind_name(),
			  s2attr_target.func);
}

/*
 * "ok", or one line per reason the module is loaded but not doing what
 * it says: "<code>: <explanation>". The tool turns anything but "ok" into
 * an error and a metric.
 */
static ssize_t health_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct s2attr_layout_report layout;
	int len = 0;

	if (!s2attr_hook_armed())
		len += sysfs_emit_at(buf, len,
				     "hook-not-armed: the %s hook on %s is not in the kernel's text (kprobes disabled system-wide?): no mapping is rewritten\n",
				     s2attr_hook_kind_name(), s2attr_target.func);
	if (s2attr_hook_layout_report(&layout))
		len += sysfs_emit_at(buf, len,
				     "layout-mismatch: KVM's stage-2 map data is not laid out as expected (%s: 0x%llx): rewriting stopped until the module is reloaded\n",
				     layout.what, layout.value);
	len = s2attr_devices_health(buf, len);
	if (!len)
		len = sysfs_emit(buf, "ok\n");
	return len;
}

/* How a change reaches running guests on this kernel, or "unsupported". */
static ssize_t live_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	const char *mech = s2attr_live_mechanism();

	return sysfs_emit(buf, "%s\n", mech ?: "unsupported");
}

static ssize_t last_apply_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return s2attr_last_apply_show(buf);
}

static ssize_t kvm_mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", s2attr_kvm_mode_name(s2attr_host.kvm_mode));
}

static ssize_t fwb_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", s2attr_host.fwb);
}

static ssize_t kernel_nc_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n", s2attr_host.kernel_nc);
}

/*
 * "ok", or "wc-unsafe <BDF> <vendor>:<device> <why>": a known-bad
 * platform, and the device that says so, where devices not listed by
 * address get Device-nGnRE.
 */
static ssize_t platform_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	const struct s2attr_wc_unsafe *p = s2attr_host.wc_unsafe;

	if (!p)
		return sysfs_emit(buf, "ok\n");
	return sysfs_emit(buf, "wc-unsafe %s %04x:%04x %s\n", s2attr_host.wc_unsafe_dev,
			  p->vendor, p->device, p->why);
}

static struct kobj_attribute s2attr_add_attr = __ATTR_WO(add);
static struct kobj_attribute s2attr_remove_attr = __ATTR_WO(remove);
static struct kobj_attribute s2attr_default_attr = __ATTR_RW_MODE(default, 0644);
static struct kobj_attribute s2attr_default_rewrites_attr = __ATTR_RO(default_rewrites);
static struct kobj_attribute s2attr_ids_attr = __ATTR_RW_MODE(ids, 0644);
static struct kobj_attribute s2attr_id_rewrites_attr = __ATTR_RO(id_rewrites);
static struct kobj_attribute s2attr_bound_attr = __ATTR_RO(bound);
static struct kobj_attribute s2attr_hook_attr = __ATTR_RO(hook);
static struct kobj_attribute s2attr_health_attr = __ATTR_RO(health);
static struct kobj_attribute s2attr_kvm_mode_attr = __ATTR_RO(kvm_mode);
static struct kobj_attribute s2attr_fwb_attr = __ATTR_RO(fwb);
static struct kobj_attribute s2attr_kernel_nc_attr = __ATTR_RO(kernel_nc);
static struct kobj_attribute s2attr_platform_attr = __ATTR_RO(platform);
static struct kobj_attribute s2attr_live_attr = __ATTR_RO(live);
static struct kobj_attribute s2attr_last_apply_attr = __ATTR_RO(last_apply);

static struct attribute *s2attr_attrs[] = {
	&s2attr_add_attr.attr,
	&s2attr_remove_attr.attr,
	&s2attr_default_attr.attr,
	&s2attr_default_rewrites_attr.attr,
	&s2attr_ids_attr.attr,
	&s2attr_id_rewrites_attr.attr,
	&s2attr_bound_attr.attr,
	&s2attr_hook_attr.attr,
	&s2attr_health_attr.attr,
	&s2attr_kvm_mode_attr.attr,
	&s2attr_fwb_attr.attr,
	&s2attr_kernel_nc_attr.attr,
	&s2attr_platform_attr.attr,
	&s2attr_live_attr.attr,
	&s2attr_last_apply_attr.attr,
	NULL,
};

static const struct attribute_group s2attr_group = {
	.attrs = s2attr_attrs,
};

/*
 * Out of sysfs now, not when the last reference goes: a release may run
 * seconds later (CONFIG_DEBUG_KOBJECT_RELEASE), and a reload must not meet
 * the old directory.
 */
static void s2attr_kobj_remove(void)
{
	kobject_del(s2attr_kobj);
	kobject_put(s2attr_kobj);
}

/* One message naming what was checked and what the user can do. */
static int s2attr_refuse(int err, const char *what, const char *todo)
{
	pr_err("refusing to load: %s; %s\n", what, todo);
	return err;
}

/* ids=, into *rules (kcalloc'd, the caller frees it, also on failure). */
static int s2attr_parse_ids_param(struct s2attr_id_rule **rules, u32 *nr)
{
	size_t err_pos = 0;
	int err;

	*rules = kcalloc(S2ATTR_MAX_ID_RULES, sizeof(**rules), GFP_KERNEL);
	if (!*rules)
		return -ENOMEM;
	err = s2attr_parse_ids(ids_param, *rules, S2ATTR_MAX_ID_RULES, nr,
			       &err_pos);
	if (err == -E2BIG)
		pr_err("refusing to load: ids= has more than %d rules\n",
		       S2ATTR_MAX_ID_RULES);
	else if (err)
		pr_err("refusing to load: ids= is malformed at \"%.40s\": expected vendor:device[:subvendor:subdevice][/class]=device|normal-nc[,...], IDs of 4 hex digits or *, a class of 4 or 6, each rule once\n",
		       ids_param + err_pos);
	return err;
}

static int s2attr_parse_params(struct s2attr_param_entry **entries, u32 *nr,
			       enum s2attr_hook_kind *kind)
{
	size_t err_pos = 0;
	int err;

	if (s2attr_default_parse(default_param, strlen(default_param),
				 &s2attr_default_memattr)) {
		pr_err("refusing to load: default=%s is not one of: kernel, device\n",
		       default_param);
		return -EINVAL;
	}
	if (!strcmp(hook_param, "auto")) {
		*kind = S2ATTR_HOOK_AUTO;
	} else if (!strcmp(hook_param, "ftrace")) {
		*kind = S2ATTR_HOOK_FTRACE;
	} else if (!strcmp(hook_param, "kprobe")) {
		*kind = S2ATTR_HOOK_KPROBE;
	} else {
		pr_err("refusing to load: hook=%s is not one of: auto, ftrace, kprobe\n",
		       hook_param);
		return -EINVAL;
	}

	*entries = kcalloc(S2ATTR_MAX_DEVICES, sizeof(**entries), GFP_KERNEL);
	if (!*entries)
		return -ENOMEM;
	err = s2attr_parse_devices(devices_param, *entries, S2ATTR_MAX_DEVICES,
				   nr, &err_pos);
	if (err == -E2BIG) {
		pr_err("refusing to load: devices= lists more than %d devices\n",
		       S2ATTR_MAX_DEVICES);
	} else if (err) {
		pr_err("refusing to load: devices= is malformed at \"%.40s\": expected <BDF>=device|normal-nc[,...], each device once\n",
		       devices_param + err_pos);
	}
	if (err) {
		kfree(*entries);
		return err;
	}
	return 0;
}

static int __init s2attr_init(void)
{
	struct s2attr_param_entry *entries;
	struct s2attr_id_rule *rules;
	enum s2attr_hook_kind kind;
	u32 nr, nr_rules;
	char why[192];
	int err;

	err = s2attr_parse_params(&entries, &nr, &kind);
	if (err)
		return err;
	err = s2attr_parse_ids_param(&rules, &nr_rules);
	if (err)
		goto free_entries;

	/* DKMS does not build it there; a hand-made build must say why. */
	err = -ENODEV;
	if (!IS_ENABLED(CONFIG_KVM)) {
		s2attr_refuse(err, "this kernel is built without KVM (CONFIG_KVM is not set)",
			      "use a kernel flavour with KVM (Debian's arm64 or cloud-arm64)");
		goto free_entries;
	}
	s2attr_host_probe(&s2attr_host);
	err = -EOPNOTSUPP;
	if (s2attr_host.kvm_mode == S2ATTR_KVM_UNKNOWN) {
		s2attr_refuse(err, "cannot tell whether KVM is running on this kernel (neither is_kvm_arm_initialised nor kvm_debugfs_dir is available)",
			      "this kernel is not supported; please report it");
		goto free_entries;
	}
	err = -ENODEV;
	if (s2attr_host.kvm_mode == S2ATTR_KVM_NONE) {
		s2attr_refuse(err, "KVM is not running on this host (no EL2, or kvm-arm.mode=none)",
			      "boot the kernel at EL2 with KVM enabled");
		goto free_entries;
	}
	err = -EOPNOTSUPP;
	if (s2attr_host.kvm_mode == S2ATTR_KVM_PROTECTED) {
		s2attr_refuse(err, "KVM runs in protected mode, where guests' stage-2 tables belong to EL2",
			      "boot without kvm-arm.mode=protected to use kvm-s2attr");
		goto free_entries;
	}
	err = s2attr_hook_resolve(&s2attr_target, why, sizeof(why));
	if (err) {
		s2attr_refuse(err, why, "this kernel is not supported; please report it");
		goto free_entries;
	}

	/*
	 * add, remove and default appear last and go first: before them no
	 * write can reach a half-built (or half-torn-down) device table.
	 */
	s2attr_live_init();
	err = -ENOMEM;
	s2attr_kobj = kobject_create_and_add("kvm_s2attr", kernel_kobj);
	if (!s2attr_kobj)
		goto live_exit;
	err = s2attr_devices_init(s2attr_kobj, entries, nr, rules, nr_rules,
				  s2attr_host.wc_unsafe);
	if (err)
		goto put_kobj;

	err = s2attr_hook_start(&s2attr_target, s2attr_host.fwb, kind, why,
				sizeof(why));
	if (err) {
		s2attr_refuse(err, why, "check that ftrace and kprobes are enabled (CONFIG_FTRACE, CONFIG_KPROBES) and not in use by lockdown");
		goto exit_devices;
	}
	err = sysfs_create_group(s2attr_kobj, &s2attr_group);
	if (err)
		goto stop_hook;
	kfree(entries);
	kfree(rules);
	/*
	 * Running guests keep the leaves they had (KVM's, after an unload):
	 * drop them, as a change in sysfs does. A failure is a health fault,
	 * not a failed load: the table already holds for new mappings.
	 */
	if (s2attr_live_mechanism())
		s2attr_apply_all("load");

	pr_info("KVM %s, FWB %s, stock Normal-NC for vfio-pci %s; hooked %s by %s; %u device(s) listed, %u id rule(s), default %s\n",
		s2attr_kvm_mode_name(s2attr_host.kvm_mode),
		s2attr_host.fwb ? "yes" : "no",
		s2attr_host.kernel_nc ? "yes" : "no",
		s2attr_target.func, s2attr_hook_kind_name(), nr, nr_rules,
		s2attr_default_name(s2attr_default_memattr));
	if (s2attr_host.wc_unsafe)
		pr_warn("%s (%s): write combining to PCIe is unsafe here: devices bound to vfio-pci get device unless listed by address\n",
			s2attr_host.wc_unsafe->why, s2attr_host.wc_unsafe_dev);
	return 0;

stop_hook:
	s2attr_hook_stop();
exit_devices:
	s2attr_devices_exit();
put_kobj:
	s2attr_kobj_remove();
live_exit:
	s2attr_live_exit();
free_entries:
	kfree(entries);
	kfree(rules);
	return err;
}

/*
 * Stock behaviour from here on: for new mappings once the hook is off, and
 * for running guests once their entries of vfio-pci BARs are dropped
 * (where the kernel lets the module do that: see "live").
 */
static void __exit s2attr_exit(void)
{
	/* Waits for writes in progress; none can start afterwards. */
	sysfs_remove_group(s2attr_kobj, &s2attr_group);
	s2attr_hook_stop();
	s2attr_devices_exit();
	if (s2attr_live_mechanism() && s2attr_apply_all("unload"))
		pr_err("unload: running guests may keep the module's attributes until they re-fault (a guest restart, or a reload and a change)\n");
	s2attr_kobj_remove();
	s2attr_live_exit();
}

module_init(s2attr_init);
module_exit(s2attr_exit);

MODULE_DESCRIPTION("Per-device stage-2 memory attributes for vfio-pci BARs in KVM guests");
MODULE_AUTHOR("kvm-s2attr developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KVM_S2ATTR_VERSION);
