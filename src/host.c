// SPDX-License-Identifier: GPL-2.0
/* What kvm-s2attr finds about the host it is loaded on. */
#include <linux/kvm_host.h>
#include <asm/virt.h>

#include "compat/compat.h"
#include "host.h"
#include "ksym.h"

/*
 * KVM's own record of its mode, where the kernel has one (not v5.10, which
 * has no protected mode). The symbols behind is_hyp_mode_available() and
 * is_protected_kvm_enabled() are not exported, but kvm_get_mode() is text.
 */
static enum s2attr_kvm_mode s2attr_kvm_get_mode(void)
{
#ifdef KVM_S2ATTR_HAVE_KVM_GET_MODE
	enum kvm_mode (*get_mode)(void);

	get_mode = (void *)s2attr_ksym_lookup("kvm_get_mode");
	if (get_mode) {
		switch (get_mode()) {
		case KVM_MODE_NONE:
			return S2ATTR_KVM_NONE;
		case KVM_MODE_PROTECTED:
			return S2ATTR_KVM_PROTECTED;
		default:
			break;
		}
	}
#endif
	return is_kernel_in_hyp_mode() ? S2ATTR_KVM_VHE : S2ATTR_KVM_NVHE;
}

void s2attr_host_probe(struct s2attr_host *host)
{
	host->kvm_mode = s2attr_kvm_get_mode();
	host->fwb = s2attr_cpu_has_fwb();
	host->kernel_nc = s2attr_kernel_has_normal_nc();
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
	default:
		return "none";
	}
}
