// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-s2attr: choose, per PCI device, the stage-2 memory attribute KVM
 * gives a vfio-pci BAR mapped into a guest (Device-nGnRE or Normal-NC).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "host.h"
#include "hook.h"

static struct s2attr_host s2attr_host;
static struct s2attr_hook_target s2attr_target;

/* One message naming what was checked and what the user can do. */
static int s2attr_refuse(int err, const char *what, const char *todo)
{
	pr_err("refusing to load: %s; %s\n", what, todo);
	return err;
}

static int __init s2attr_init(void)
{
	char why[192];
	int err;

	s2attr_host_probe(&s2attr_host);
	if (s2attr_host.kvm_mode == S2ATTR_KVM_NONE)
		return s2attr_refuse(-ENODEV, "KVM has no EL2 on this host",
				     "boot the kernel at EL2 to run KVM guests");
	if (s2attr_host.kvm_mode == S2ATTR_KVM_PROTECTED)
		return s2attr_refuse(-EOPNOTSUPP,
				     "KVM runs in protected mode, where guests' stage-2 tables belong to EL2",
				     "boot without kvm-arm.mode=protected to use kvm-s2attr");

	err = s2attr_hook_resolve(&s2attr_target, why, sizeof(why));
	if (err)
		return s2attr_refuse(err, why,
				     "please report this kernel to kvm-s2attr");

	pr_info("KVM %s, FWB %s, stock Normal-NC for vfio-pci %s; stage-2 map walks hooked at %s (%ps)\n",
		s2attr_kvm_mode_name(s2attr_host.kvm_mode),
		s2attr_host.fwb ? "yes" : "no",
		s2attr_host.kernel_nc ? "yes" : "no",
		s2attr_target.func, (void *)s2attr_target.func_addr);
	return 0;
}

static void __exit s2attr_exit(void)
{
}

module_init(s2attr_init);
module_exit(s2attr_exit);

MODULE_DESCRIPTION("Per-device stage-2 memory attributes for vfio-pci BARs in KVM guests");
MODULE_AUTHOR("kvm-s2attr developers");
MODULE_LICENSE("GPL");
