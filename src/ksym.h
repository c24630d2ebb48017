/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_S2ATTR_KSYM_H
#define KVM_S2ATTR_KSYM_H

unsigned long s2attr_ksym_lookup(const char *name);
unsigned long s2attr_ksym_size(unsigned long addr);

#endif /* KVM_S2ATTR_KSYM_H */
