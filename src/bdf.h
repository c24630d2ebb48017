/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI address ("BDF") parsing and formatting. A BDF is kept as one u32:
 * domain << 16 | bus << 8 | device << 3 | function, which is also
 * pci_domain_nr() << 16 | bus->number << 8 | devfn.
 */
#ifndef KVM_S2ATTR_BDF_H
#define KVM_S2ATTR_BDF_H

#include "s2attr_types.h"

/* "dddd:bb:dd.f" plus the terminating NUL */
#define S2ATTR_BDF_STRLEN	13

#define S2ATTR_BDF(domain, bus, devfn) \
	(((u32)(domain) & 0xffff) << 16 | ((u32)(bus) & 0xff) << 8 | \
	 ((u32)(devfn) & 0xff))
#define S2ATTR_BDF_DOMAIN(bdf)	((u32)(bdf) >> 16)
#define S2ATTR_BDF_BUS(bdf)	(((u32)(bdf) >> 8) & 0xff)
#define S2ATTR_BDF_DEVFN(bdf)	((u32)(bdf) & 0xff)
#define S2ATTR_BDF_DEV(bdf)	(((u32)(bdf) >> 3) & 0x1f)
#define S2ATTR_BDF_FN(bdf)	((u32)(bdf) & 0x7)

int s2attr_bdf_parse(const char *buf, size_t len, u32 *bdf);
void s2attr_bdf_format(u32 bdf, char buf[S2ATTR_BDF_STRLEN]);

#endif /* KVM_S2ATTR_BDF_H */
