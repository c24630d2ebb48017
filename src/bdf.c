// SPDX-License-Identifier: GPL-2.0
/*
 * PCI address parsing. Hand-written rather than kstrto*()/sscanf(): those
 * accept signs, "0x" prefixes, leading whitespace and any number of
 * digits, and a BDF written by an admin must have exactly one spelling.
 */
#include "bdf.h"

static int s2attr_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly @n hex digits at @s; a NUL or anything else fails. */
static bool s2attr_hex_field(const char *s, unsigned int n, u32 *val)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		int d = s2attr_hex_digit(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | d;
	}
	*val = v;
	return true;
}

/*
 * Accepts "dddd:bb:dd.f" or "bb:dd.f" (domain 0), hex in any case, with
 * at most one trailing newline as sysfs writes carry. *bdf is written only
 * on success.
 */
int s2attr_bdf_parse(const char *buf, size_t len, u32 *bdf)
{
	u32 domain = 0, bus, dev, fn;

	if (len && buf[len - 1] == '\n')
		len--;

	if (len == 12) {
		if (!s2attr_hex_field(buf, 4, &domain) || buf[4] != ':')
			return -EINVAL;
		buf += 5;
	} else if (len != 7) {
		return -EINVAL;
	}

	/* "bb:dd.f" */
	if (!s2attr_hex_field(buf, 2, &bus) || buf[2] != ':' ||
	    !s2attr_hex_field(buf + 3, 2, &dev) || buf[5] != '.' ||
	    !s2attr_hex_field(buf + 6, 1, &fn))
		return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;

	*bdf = domain << 16 | bus << 8 | dev << 3 | fn;
	return 0;
}

static void s2attr_put_hex(char *p, u32 v, unsigned int n)
{
	static const char digits[] = "0123456789abcdef";

	while (n--) {
		p[n] = digits[v & 0xf];
		v >>= 4;
	}
}

/* Lower-case "%04x:%02x:%02x.%x", the form lspci and sysfs use. */
void s2attr_bdf_format(u32 bdf, char buf[S2ATTR_BDF_STRLEN])
{
	s2attr_put_hex(buf, S2ATTR_BDF_DOMAIN(bdf), 4);
	buf[4] = ':';
	s2attr_put_hex(buf + 5, S2ATTR_BDF_BUS(bdf), 2);
	buf[7] = ':';
	s2attr_put_hex(buf + 8, S2ATTR_BDF_DEV(bdf), 2);
	buf[10] = '.';
	s2attr_put_hex(buf + 11, S2ATTR_BDF_FN(bdf), 1);
	buf[12] = '\0';
}
