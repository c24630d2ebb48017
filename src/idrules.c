// SPDX-License-Identifier: GPL-2.0
/*
 * Rules by device identity, for fleets whose hosts put the same devices at
 * different addresses. A rule is written
 *
 *	vendor:device[:subvendor:subdevice][/class]=<memattr>
 *
 * with 4 hex digits per ID (as lspci -n and vfio-pci's ids= write them) or
 * "*" for any, and a class of 4 hex digits (base class and subclass, as
 * lspci -n prints it) or 6 (with the programming interface). The rule that
 * gives more of the fields, weighed vendor first, then device, subvendor,
 * subdevice, class, wins: two rules that give the same fields can only
 * both match a device if they are the same rule, which is refused.
 */
#include "idrules.h"
#include "params.h"

/* Exactly len hex digits. */
static int s2attr_hex(const char *s, size_t len, u32 *v)
{
	u32 x = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		u32 d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

/* One ID field: 4 hex digits, or "*" (given stays clear). */
static int s2attr_id_field(const char *s, size_t len, u16 *v, u8 *given,
			   u8 bit)
{
	u32 x;

	if (len == 1 && s[0] == '*')
		return 0;
	if (len != 4 || s2attr_hex(s, len, &x))
		return -EINVAL;
	*v = x;
	*given |= bit;
	return 0;
}

/* "vendor:device[:subvendor:subdevice][/class]", no newline in it. */
static int s2attr_id_parse(const char *s, size_t len, struct s2attr_id_rule *r)
{
	static const u8 bits[] = { S2ATTR_ID_VENDOR, S2ATTR_ID_DEVICE,
				   S2ATTR_ID_SUBVENDOR, S2ATTR_ID_SUBDEVICE };
	u16 *fields[] = { &r->vendor, &r->device, &r->subvendor, &r->subdevice };
	const char *slash = memchr(s, '/', len);
	size_t idlen = slash ? (size_t)(slash - s) : len, pos = 0;
	u32 n = 0, cls;

	r->given = 0;
	r->vendor = 0;
	r->device = 0;
	r->subvendor = 0;
	r->subdevice = 0;
	r->class = 0;
	for (;;) {
		const char *colon = memchr(s + pos, ':', idlen - pos);
		size_t flen = colon ? (size_t)(colon - (s + pos)) : idlen - pos;

		if (n == ARRAY_SIZE(bits) ||
		    s2attr_id_field(s + pos, flen, fields[n], &r->given, bits[n]))
			return -EINVAL;
		n++;
		if (!colon)
			break;
		pos += flen + 1;
	}
	if (n != 2 && n != 4)
		return -EINVAL;
	if (!slash)
		return 0;
	len -= idlen + 1;
	if ((len != 4 && len != 6) || s2attr_hex(slash + 1, len, &cls))
		return -EINVAL;
	if (len == 4) {
		r->class = cls << 8;
		r->given |= S2ATTR_ID_CLASS;
	} else {
		r->class = cls;
		r->given |= S2ATTR_ID_CLASS | S2ATTR_ID_PROGIF;
	}
	return 0;
}

/* The same fields given, with the same values: the same rule. */
static bool s2attr_id_same(const struct s2attr_id_rule *a,
			   const struct s2attr_id_rule *b)
{
	return a->given == b->given && a->vendor == b->vendor &&
	       a->device == b->device && a->subvendor == b->subvendor &&
	       a->subdevice == b->subdevice && a->class == b->class;
}

/* "<ID>=<memattr>" (s2attr_parse_list() has checked: no newline in it). */
static int s2attr_id_item(const char *item, size_t len, void *e)
{
	struct s2attr_id_rule *r = e;
	const char *eq = memchr(item, '=', len);

	if (!eq || s2attr_id_parse(item, eq - item, r))
		return -EINVAL;
	return s2attr_memattr_parse(eq + 1, len - (eq + 1 - item), &r->memattr);
}

static bool s2attr_id_same_rule(const void *a, const void *b)
{
	return s2attr_id_same(a, b);
}

/*
 * ids=<rule>[,<rule>...] (s2attr_parse_list()): a rule's ID may appear
 * only once.
 */
int s2attr_parse_ids(const char *buf, struct s2attr_id_rule *out, u32 max,
		     u32 *nr, size_t *err_pos)
{
	return s2attr_parse_list(buf, out, sizeof(*out), max, nr, err_pos,
				 s2attr_id_item, s2attr_id_same_rule);
}

bool s2attr_id_matches(const struct s2attr_id_rule *r,
		       const struct s2attr_pci_id *id)
{
	u32 class_mask = 0;

	if (r->given & S2ATTR_ID_CLASS)
		class_mask = r->given & S2ATTR_ID_PROGIF ? 0xffffff : 0xffff00;
	return (!(r->given & S2ATTR_ID_VENDOR) || r->vendor == id->vendor) &&
	       (!(r->given & S2ATTR_ID_DEVICE) || r->device == id->device) &&
	       (!(r->given & S2ATTR_ID_SUBVENDOR) ||
		r->subvendor == id->subvendor) &&
	       (!(r->given & S2ATTR_ID_SUBDEVICE) ||
		r->subdevice == id->subdevice) &&
	       (id->class & class_mask) == r->class;
}

/* The index of the rule that decides for id, or -1 if none matches. */
int s2attr_id_best(const struct s2attr_id_rule *rules, u32 nr,
		   const struct s2attr_pci_id *id)
{
	int best = -1;
	u32 i;

	for (i = 0; i < nr; i++)
		if (s2attr_id_matches(&rules[i], id) &&
		    (best < 0 || rules[i].given > rules[best].given))
			best = i;
	return best;
}

/* The rule as it is parsed, without its attribute; returns its length. */
int s2attr_id_format(const struct s2attr_id_rule *r, char *buf, size_t size)
{
	const u16 *v[] = { &r->vendor, &r->device, &r->subvendor, &r->subdevice };
	static const u8 bits[] = { S2ATTR_ID_VENDOR, S2ATTR_ID_DEVICE,
				   S2ATTR_ID_SUBVENDOR, S2ATTR_ID_SUBDEVICE };
	u32 i, n = r->given & (S2ATTR_ID_SUBVENDOR | S2ATTR_ID_SUBDEVICE) ? 4 : 2;
	size_t len = 0;

	for (i = 0; i < n; i++) {
		if (r->given & bits[i])
			len += snprintf(buf + len, size > len ? size - len : 0,
					"%s%04x", i ? ":" : "", *v[i]);
		else
			len += snprintf(buf + len, size > len ? size - len : 0,
					"%s*", i ? ":" : "");
	}
	if (r->given & S2ATTR_ID_PROGIF)
		len += snprintf(buf + len, size > len ? size - len : 0, "/%06x",
				r->class);
	else if (r->given & S2ATTR_ID_CLASS)
		len += snprintf(buf + len, size > len ? size - len : 0, "/%04x",
				r->class >> 8);
	return len;
}
