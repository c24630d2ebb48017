/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_S2ATTR_HOST_H
#define KVM_S2ATTR_HOST_H

#include <linux/types.h>

#include "platform.h"

enum s2attr_kvm_mode {
	S2ATTR_KVM_UNKNOWN,	/* this kernel does not say whether KVM runs */
	S2ATTR_KVM_NONE,	/* KVM did not initialise: no EL2, or mode=none */
	S2ATTR_KVM_VHE,
	S2ATTR_KVM_NVHE,
	S2ATTR_KVM_PROTECTED,
};

/* What the module found about this host, fixed at load time. */
struct s2attr_host {
	enum s2attr_kvm_mode kvm_mode;
	bool fwb;		/* FEAT_S2FWB in use by KVM */
	bool kernel_nc;		/* stock KVM maps vfio-pci BARs Normal-NC */
	/* A platform where write combining to PCIe is unsafe, or NULL. */
	const struct s2attr_wc_unsafe *wc_unsafe;
	char wc_unsafe_dev[16];	/* the PCI device that says so */
};

void s2attr_host_probe(struct s2attr_host *host);
const char *s2attr_kvm_mode_name(enum s2attr_kvm_mode mode);

#endif /* KVM_S2ATTR_HOST_H */
