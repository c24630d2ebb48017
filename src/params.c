// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for what an admin writes: "devices=" at module load and the
 * sysfs "add" file. Both are strict, since a typo silently matching
 * nothing would leave a device with the wrong memory type.
 */
#include "params.h"
#include "bdf.h"

/* "<BDF>=<memattr>", with no newline anywhere in it. */
static int s2attr_parse_item(const char *item, size_t len,
			     struct s2attr_param_entry *e)
{
	const char *eq;

	/* The parsers below would take one trailing '\n' in each half. */
	if (!len || memchr(item, '\n', len))
		return -EINVAL;
	eq = memchr(item, '=', len);
	if (!eq)
		return -EINVAL;
	if (s2attr_bdf_parse(item, eq - item, &e->bdf))
		return -EINVAL;
	return s2attr_memattr_parse(eq + 1, len - (eq + 1 - item), &e->memattr);
}

/*
 * devices=<BDF>=<memattr>[,<BDF>=<memattr>...], optionally followed by one
 * newline; an empty or NULL (unset) string means no devices. A BDF may
 * appear only once, however it is spelled. On error, *err_pos is the byte
 * offset in @buf of the item at fault; *nr and @out are then unspecified.
 */
int s2attr_parse_devices(const char *buf, struct s2attr_param_entry *out,
			 u32 max, u32 *nr, size_t *err_pos)
{
	size_t len = buf ? strlen(buf) : 0, pos = 0;
	u32 n = 0, i;
	int ret;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len)
		goto out;

	for (;;) {
		const char *item = buf + pos;
		const char *comma = memchr(item, ',', len - pos);
		size_t ilen = comma ? (size_t)(comma - item) : len - pos;

		if (n >= max) {
			ret = -E2BIG;
			goto err;
		}
		ret = s2attr_parse_item(item, ilen, &out[n]);
		if (ret)
			goto err;
		for (i = 0; i < n; i++) {
			if (out[i].bdf == out[n].bdf) {
				ret = -EINVAL;
				goto err;
			}
		}
		n++;

		if (!comma)
			break;
		/* After a trailing comma this leaves an empty, bad item. */
		pos += ilen + 1;
	}

out:
	*nr = n;
	return 0;

err:
	if (err_pos)
		*err_pos = pos;
	return ret;
}

/*
 * sysfs "add": "<BDF> <memattr>", one space between, optionally one
 * trailing newline. Outputs are written only on success.
 */
int s2attr_parse_add(const char *buf, size_t len, u32 *bdf,
		     enum s2attr_memattr *m)
{
	struct s2attr_param_entry e;
	const char *sp;

	if (len && buf[len - 1] == '\n')
		len--;
	/* The parsers below would take one trailing '\n' in each half. */
	if (!len || memchr(buf, '\n', len))
		return -EINVAL;
	sp = memchr(buf, ' ', len);
	if (!sp)
		return -EINVAL;
	if (s2attr_bdf_parse(buf, sp - buf, &e.bdf) ||
	    s2attr_memattr_parse(sp + 1, len - (sp + 1 - buf), &e.memattr))
		return -EINVAL;

	*bdf = e.bdf;
	*m = e.memattr;
	return 0;
}
