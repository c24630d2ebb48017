/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rules by device identity: a PCI vendor and device ID, optionally the
 * subsystem's IDs and a class, each given or "*" (any), with the memory
 * attribute a device that matches gets unless it is listed by address.
 */
#ifndef KVM_S2ATTR_IDRULES_H
#define KVM_S2ATTR_IDRULES_H

#include "s2attr_types.h"
#include "memattr.h"

#define S2ATTR_MAX_ID_RULES	256
/* "vvvv:dddd:ssss:tttt/cccccc=normal-nc" and a NUL. */
#define S2ATTR_ID_RULE_LEN	40

/* The fields a rule gives, most significant first: its precedence. */
#define S2ATTR_ID_VENDOR	0x20
#define S2ATTR_ID_DEVICE	0x10
#define S2ATTR_ID_SUBVENDOR	0x08
#define S2ATTR_ID_SUBDEVICE	0x04
#define S2ATTR_ID_CLASS		0x02	/* base class and subclass */
#define S2ATTR_ID_PROGIF	0x01	/* with it: the whole class code */

struct s2attr_id_rule {
	u16 vendor, device, subvendor, subdevice;
	u32 class;		/* 24 bits, as the device's class code */
	u8 given;		/* S2ATTR_ID_* */
	enum s2attr_memattr memattr;
};

/* What a rule is matched against: the device's own configuration. */
struct s2attr_pci_id {
	u16 vendor, device, subvendor, subdevice;
	u32 class;
};

int s2attr_parse_ids(const char *buf, struct s2attr_id_rule *out, u32 max,
		     u32 *nr, size_t *err_pos);
bool s2attr_id_matches(const struct s2attr_id_rule *r,
		       const struct s2attr_pci_id *id);
int s2attr_id_best(const struct s2attr_id_rule *rules, u32 nr,
		   const struct s2attr_pci_id *id);
int s2attr_id_format(const struct s2attr_id_rule *r, char *buf, size_t size);

#endif /* KVM_S2ATTR_IDRULES_H */
