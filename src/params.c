// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for what an admin writes: "devices=" at module load and the
 * sysfs "add" file, and the list syntax "ids=" shares. All are strict,
 * since a typo silently matching nothing would leave a device with the
 * wrong memory type.
 */
#include "params.h"
#include "bdf.h"

/* "<BDF>=<memattr>" (s2attr_parse_list() has checked: no newline in it). */
static int s2attr_parse_device_item(const char *item, size_t len, void *out)
{
	struct s2attr_param_entry *e = out;
	const char *eq = memchr(item, '=', len);

	if (!eq || s2attr_bdf_parse(item, eq - item, &e->bdf))
		return -EINVAL;
	return s2attr_memattr_parse(eq + 1, len - (eq + 1 - item), &e->memattr);
}

/*
 * "<item>[,<item>...]", optionally followed by one newline; an empty or
 * NULL (unset) string means no items. parse() reads one item (with no
 * newline in it) into out's n-th element of size bytes, same() says
 * whether two elements are the same (refused: each may appear once).
 * On error, *err_pos is the byte offset in buf of the item at fault; *nr
 * and out are then unspecified. E2BIG past max items.
 */
int s2attr_parse_list(const char *buf, void *out, size_t size, u32 max,
		      u32 *nr, size_t *err_pos,
		      int (*parse)(const char *item, size_t len, void *e),
		      bool (*same)(const void *a, const void *b))
{
	size_t len = buf ? strlen(buf) : 0, pos = 0;
	u32 n = 0, i;
	int ret;

	if (len && buf[len - 1] == '\n')
		len--;
	while (len) {
		const char *item = buf + pos;
		const char *comma = memchr(item, ',', len - pos);
		size_t ilen = comma ? (size_t)(comma - item) : len - pos;
		void *e = (char *)out + n * size;

		if (n >= max) {
			ret = -E2BIG;
			goto err;
		}
		/* The item parsers would take one trailing '\n' in a field. */
		ret = !ilen || memchr(item, '\n', ilen) ? -EINVAL :
		      parse(item, ilen, e);
		if (ret)
			goto err;
		for (i = 0; i < n; i++) {
			if (same((char *)out + i * size, e)) {
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
	*nr = n;
	return 0;

err:
	if (err_pos)
		*err_pos = pos;
	return ret;
}

static bool s2attr_same_device(const void *a, const void *b)
{
	return ((const struct s2attr_param_entry *)a)->bdf ==
	       ((const struct s2attr_param_entry *)b)->bdf;
}

/*
 * devices=<BDF>=<memattr>[,<BDF>=<memattr>...] (s2attr_parse_list()): a
 * BDF may appear only once, however it is spelled.
 */
int s2attr_parse_devices(const char *buf, struct s2attr_param_entry *out,
			 u32 max, u32 *nr, size_t *err_pos)
{
	return s2attr_parse_list(buf, out, sizeof(*out), max, nr, err_pos,
				 s2attr_parse_device_item, s2attr_same_device);
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
