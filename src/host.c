// SPDX-License-Identifier: GPL-2.0
/* What kvm-s2attr finds about the host it is loaded on. */
#include <linux/kvm_host.h>
#include <linux/pci.h>
#include <asm/virt.h>

#include "compat/compat.h"
#include "host.h"
#include "ksym.h"

/*
 * Did KVM initialise? Without EL2, or with kvm-arm.mode=none, it did not,
 * and nothing else tells a module: is_hyp_mode_available() reads data
 * that is not exported. KVM's own answer, where it has one, is text that
 * can be looked up; older kernels create kvm_debugfs_dir (exported) only
 * once KVM is up. Neither: not known, which refuses.
 */
static int s2attr_kvm_initialised(void)
{
#if defined(KVM_S2ATTR_HAVE_IS_KVM_ARM_INITIALISED)
	bool (*initialised)(void);

	initialised = (void *)s2attr_ksym_lookup("is_kvm_arm_initialised");
	if (!initialised)
		return -ENOENT;
	return initialised();
#elif defined(KVM_S2ATTR_HAVE_EXPORT_KVM_DEBUGFS_DIR)
	return !!READ_ONCE(kvm_debugfs_dir);
#else
	return -EOPNOTSUPP;
#endif
}

static bool s2attr_kvm_protected(void)
{
#ifdef KVM_S2ATTR_HAVE_IS_PROTECTED_KVM_ENABLED
	return is_protected_kvm_enabled();
#else
	return false;	/* no protected mode before v5.12 */
#endif
}

static enum s2attr_kvm_mode s2attr_kvm_mode(void)
{
	int initialised = s2attr_kvm_initialised();

	if (initialised < 0)
		return S2ATTR_KVM_UNKNOWN;
	if (!initialised)
		return S2ATTR_KVM_NONE;
	if (s2attr_kvm_protected())
		return S2ATTR_KVM_PROTECTED;
	return is_kernel_in_hyp_mode() ? S2ATTR_KVM_VHE : S2ATTR_KVM_NVHE;
}

/* A known-bad platform's device (platform.c), present from boot. */
static void s2attr_wc_unsafe_probe(struct s2attr_host *host)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		host->wc_unsafe = s2attr_wc_unsafe_find(pdev->vendor, pdev->device);
		if (host->wc_unsafe) {
			strscpy(host->wc_unsafe_dev, pci_name(pdev),
				sizeof(host->wc_unsafe_dev));
			pci_dev_put(pdev);	/* for_each_pci_dev's reference */
			return;
		}
	}
}

void s2attr_host_probe(struct s2attr_host *host)
{
	host->kvm_mode = s2attr_kvm_mode();
	host->fwb = s2attr_cpu_has_fwb();
	host->kernel_nc = s2attr_kernel_has_normal_nc();
	s2attr_wc_unsafe_probe(host);
}

const char *s2attr_kvm_mode_name(enum s2attr_kvm_mode mode)
{
	switch (mode) {
	case S2ATTR_KVM_VHE:
		return "vhe";
	case S2ATTR_KVM_NVHE:
		return "nvhe";
	case S2ATTR_KVM_PROTECTED:
		return "protected";
	case S2ATTR_KVM_NONE:
		return "none";
	default:
		return "unknown";
	}
}
