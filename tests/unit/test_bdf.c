// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/bdf.c: BDF parsing and formatting. */
#include <stdlib.h>

#include "unit.h"
#include "bdf.h"

#define SENTINEL	0xdeadbeefu

static const struct {
	struct unit_str in;
	u32 want;
} good[] = {
	{ US("0000:00:00.0"), 0 },
	{ US("00:00.0"), 0 },
	{ US("01:00.0"), 0x100 },
	{ US("01:00.0\n"), 0x100 },
	{ US("0000:01:00.0"), 0x100 },
	{ US("0000:01:00.0\n"), 0x100 },
	{ US("00:1f.7"), 0xff },
	{ US("00:01.1"), 0x09 },
	{ US("0001:02:03.4"), 0x1021c },
	{ US("ffff:ff:1f.7"), 0xffffffff },
	{ US("FFFF:FF:1F.7"), 0xffffffff },
	{ US("aBcD:eF:0a.3"), 0xabcdef53 },
	{ US("0a:1B.6\n"), 0x0ade },
	{ US("10:00.0"), 0x1000 },
};

/* Every one must fail with -EINVAL and leave the output alone. */
static const struct unit_str bad[] = {
	US(""),
	US("\n"),
	US("\n\n"),
	US("01:00.0\n\n"),
	US("0000:01:00.0\n\n"),
	US("\n01:00.0"),
	US(" 01:00.0"),
	US("01:00.0 "),
	US("01:00.0\t"),
	US("01:00.0\r\n"),
	US("01 :00.0"),
	US("1:00.0"),
	US("01:0.0"),
	US("01:00."),
	US("01:00"),
	US("01:00.00"),
	US("001:00.0"),
	US("00000:01:00.0"),
	US("000:01:00.0"),
	US("0000:1:00.0"),
	US("0000:01:00.0:0"),
	US("0000:01:00.0.0"),
	US("0000:0001:00.0"),
	US("01:20.0"),		/* device > 0x1f */
	US("01:ff.0"),
	US("0000:00:3f.0"),
	US("01:00.8"),		/* function > 7 */
	US("01:00.f"),
	US("+1:00.0"),
	US("-1:00.0"),
	US("01:+0.0"),
	US("01:-0.0"),
	US("01:00.+"),
	US("+000:01:00.0"),
	US("0x1:00.0"),
	US("0x01:00.0"),
	US("0x0000:01:00.0"),
	US("01.00.0"),
	US("01:00:0"),
	US("0000.01:00.0"),
	US("0000:01.00.0"),
	US("0000-01-00.0"),
	US("0000x01:00.0"),
	US("0000:01_00.0"),
	US("01:00,0"),
	US("01:00 0"),
	US("0000:01:00/0"),
	US("g1:00.0"),
	US("01:0g.0"),
	US("01:00.g"),
	US("zz:zz.z"),
	US("01:00.0x"),
	US("01:00.0,"),
	US("01:00.0=device"),
	US("01\0:00.0"),		/* embedded NULs inside len */
	US("01:\0\0.0"),
	US("01:00.0\0"),
	US("01:00.\0"),
	US("\0\0\0\0\0\0\0"),
	US("0000:01:00.0\0"),
	US("01:00.\xff"),
	US("\xef\xbc\x90\xef\xbc\x91:00.0"),
	US("0000:01:00.0 device"),
};

static void test_parse_good(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(good); i++) {
		u32 bdf = SENTINEL;
		int ret = s2attr_bdf_parse(good[i].in.s, good[i].in.len, &bdf);

		UNIT_EXPECT_EQ_ERR(ret, 0, "bdf_parse(%s) returns 0",
				   unit_q(good[i].in.s, good[i].in.len));
		UNIT_EXPECT_EQ_HEX(bdf, good[i].want, "bdf_parse(%s)",
				   unit_q(good[i].in.s, good[i].in.len));
	}
}

static void test_parse_bad(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(bad); i++) {
		u32 bdf = SENTINEL;
		int ret = s2attr_bdf_parse(bad[i].s, bad[i].len, &bdf);

		UNIT_EXPECT_EQ_ERR(ret, -EINVAL, "bdf_parse(%s) rejected",
				   unit_q(bad[i].s, bad[i].len));
		UNIT_EXPECT_EQ_HEX(bdf, SENTINEL,
				   "bdf_parse(%s) leaves *bdf untouched",
				   unit_q(bad[i].s, bad[i].len));
	}
}

/* Only len bytes count: sysfs buffers are not NUL-terminated for us. */
static void test_parse_len(void)
{
	static const char buf[] = "0000:01:00.0garbage";
	u32 bdf = SENTINEL;
	size_t len;

	UNIT_EXPECT_EQ_ERR(s2attr_bdf_parse(buf, 12, &bdf), 0,
			   "bdf_parse(%s, len 12)", unit_q(buf, 12));
	UNIT_EXPECT_EQ_HEX(bdf, 0x100, "bdf_parse(%s, len 12)",
			   unit_q(buf, 12));
	UNIT_EXPECT_EQ_ERR(s2attr_bdf_parse(buf + 5, 7, &bdf), 0,
			   "bdf_parse(%s, len 7)", unit_q(buf + 5, 7));

	/* Every other prefix length of a valid string is wrong. */
	for (len = 0; len < sizeof(buf) - 1; len++) {
		int want = len == 12 ? 0 : -EINVAL;

		bdf = SENTINEL;
		UNIT_EXPECT_EQ_ERR(s2attr_bdf_parse(buf, len, &bdf), want,
				   "bdf_parse(%s, len %zu)", unit_q(buf, len),
				   len);
	}
}

static void test_format(void)
{
	static const struct {
		u32 bdf;
		const char *want;
	} cases[] = {
		{ 0, "0000:00:00.0" },
		{ 0x100, "0000:01:00.0" },
		{ 0xff, "0000:00:1f.7" },
		{ 0xffffffff, "ffff:ff:1f.7" },
		{ 0xabcdef53, "abcd:ef:0a.3" },
		{ 0x1021c, "0001:02:03.4" },
	};
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++) {
		/* Heap buffer of the exact size: ASan catches any overrun. */
		char *buf = malloc(S2ATTR_BDF_STRLEN);

		s2attr_bdf_format(cases[i].bdf, buf);
		UNIT_EXPECT_EQ_STR(buf, cases[i].want, "bdf_format(%#x)",
				   cases[i].bdf);
		free(buf);
	}
	UNIT_EXPECT_EQ_INT(S2ATTR_BDF_STRLEN, sizeof("dddd:bb:dd.f"),
			   "S2ATTR_BDF_STRLEN fits dddd:bb:dd.f and NUL");
}

/* format() then parse() is the identity on all 2^32 encodings (sampled). */
static void test_roundtrip(void)
{
	unsigned int i, bad_fmt = 0, bad_parse = 0, bad_upper = 0;
	u32 first_bad = 0;

	for (i = 0; i < 100000; i++) {
		u32 bdf = i < 256 ? i : (u32)unit_rand(), back = SENTINEL;
		char buf[S2ATTR_BDF_STRLEN + 1], up[S2ATTR_BDF_STRLEN + 1];
		char want[32];
		size_t j;

		snprintf(want, sizeof(want), "%04x:%02x:%02x.%x", bdf >> 16,
			 (bdf >> 8) & 0xff, (bdf >> 3) & 0x1f, bdf & 7);
		s2attr_bdf_format(bdf, buf);
		if (strcmp(buf, want)) {
			bad_fmt++;
			first_bad = bdf;
		}
		if (s2attr_bdf_parse(buf, strlen(buf), &back) || back != bdf) {
			bad_parse++;
			first_bad = bdf;
		}
		/* Upper case plus a newline: same BDF. */
		for (j = 0; buf[j]; j++)
			up[j] = buf[j] >= 'a' && buf[j] <= 'f' ?
				buf[j] - 'a' + 'A' : buf[j];
		up[j++] = '\n';
		back = SENTINEL;
		if (s2attr_bdf_parse(up, j, &back) || back != bdf) {
			bad_upper++;
			first_bad = bdf;
		}
	}
	UNIT_EXPECT_EQ_INT(bad_fmt, 0,
			   "bdf_format matches %%04x:%%02x:%%02x.%%x (last bad %#x)",
			   first_bad);
	UNIT_EXPECT_EQ_INT(bad_parse, 0,
			   "bdf_parse(bdf_format(x)) == x (last bad %#x)",
			   first_bad);
	UNIT_EXPECT_EQ_INT(bad_upper, 0,
			   "bdf_parse(upper(bdf_format(x)) \"\\n\") == x (last bad %#x)",
			   first_bad);
}

/* Exhaustive over "00:dd.f" with dd, f in 0..ff: ranges enforced. */
static void test_dev_fn_range(void)
{
	unsigned int dev, fn, wrong = 0;
	char buf[16];

	for (dev = 0; dev < 0x100; dev++) {
		for (fn = 0; fn < 16; fn++) {
			u32 bdf = SENTINEL;
			int want = dev <= 0x1f && fn <= 7 ? 0 : -EINVAL;
			int ret;

			snprintf(buf, sizeof(buf), "00:%02x.%x", dev, fn);
			ret = s2attr_bdf_parse(buf, strlen(buf), &bdf);
			if (ret != want ||
			    (!ret && bdf != (dev << 3 | fn)) ||
			    (ret && bdf != SENTINEL)) {
				if (!wrong)
					UNIT_EXPECT_EQ_ERR(ret, want,
							   "bdf_parse(%s)",
							   unit_q(buf, strlen(buf)));
				wrong++;
			}
		}
	}
	UNIT_EXPECT_EQ_INT(wrong, 0,
			   "bdf_parse accepts exactly dev <= 0x1f, fn <= 7 (4096 cases)");
}

void test_bdf(void)
{
	test_parse_good();
	test_parse_bad();
	test_parse_len();
	test_format();
	test_roundtrip();
	test_dev_fn_range();
}
