/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers for the "devices=" module parameter and the sysfs "add" file.
 */
#ifndef KVM_S2ATTR_PARAMS_H
#define KVM_S2ATTR_PARAMS_H

#include "s2attr_types.h"
#include "memattr.h"

#define S2ATTR_MAX_DEVICES	1024

struct s2attr_param_entry {
	u32 bdf;
	enum s2attr_memattr memattr;
};

int s2attr_parse_list(const char *buf, void *out, size_t size, u32 max,
		      u32 *nr, size_t *err_pos,
		      int (*parse)(const char *item, size_t len, void *e),
		      bool (*same)(const void *a, const void *b));
int s2attr_parse_devices(const char *buf, struct s2attr_param_entry *out,
			 u32 max, u32 *nr, size_t *err_pos);
int s2attr_parse_add(const char *buf, size_t len, u32 *bdf,
		     enum s2attr_memattr *m);

#endif /* KVM_S2ATTR_PARAMS_H */
