// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/params.c: "devices=" and sysfs "add" parsers. */
#include <stdlib.h>

#include "unit.h"
#include "params.h"

#define DEV	S2ATTR_MEMATTR_DEVICE
#define NC	S2ATTR_MEMATTR_NORMAL_NC
#define NOPOS	((size_t)-1)

static const struct {
	const char *in;
	u32 nr;
	struct s2attr_param_entry want[3];
} devices_good[] = {
	{ "", 0, { { 0 } } },
	{ "\n", 0, { { 0 } } },
	{ "01:00.0=device", 1, { { 0x100, DEV } } },
	{ "01:00.0=device\n", 1, { { 0x100, DEV } } },
	{ "0000:01:00.0=normal-nc", 1, { { 0x100, NC } } },
	{ "0000:01:00.0=normal-nc,0000:02:00.1=device\n", 2,
	  { { 0x100, NC }, { 0x201, DEV } } },
	{ "ABCD:EF:1f.7=normal-nc,abcd:ef:1F.6=device,01:00.0=normal-nc", 3,
	  { { 0xabcdefff, NC }, { 0xabcdeffe, DEV }, { 0x100, NC } } },
	/* Same bus/dev/fn in another domain is another device. */
	{ "0001:01:00.0=device,01:00.0=device", 2,
	  { { 0x10100, DEV }, { 0x100, DEV } } },
};

static const struct {
	const char *in;
	int want;
	size_t pos;
} devices_bad[] = {
	{ ",", -EINVAL, 0 },
	{ ",\n", -EINVAL, 0 },
	{ ",01:00.0=device", -EINVAL, 0 },
	{ "01:00.0=device,", -EINVAL, 15 },
	{ "01:00.0=device,\n", -EINVAL, 15 },
	{ "01:00.0=device,,02:00.0=device", -EINVAL, 15 },
	{ "01:00.0", -EINVAL, 0 },
	{ "01:00.0=", -EINVAL, 0 },
	{ "=device", -EINVAL, 0 },
	{ "=", -EINVAL, 0 },
	{ "device", -EINVAL, 0 },
	{ "01:00.0=device=device", -EINVAL, 0 },
	{ "01:00.0==device", -EINVAL, 0 },
	{ "01:00.0 =device", -EINVAL, 0 },
	{ "01:00.0= device", -EINVAL, 0 },
	{ " 01:00.0=device", -EINVAL, 0 },
	{ "01:00.0=device ", -EINVAL, 0 },
	{ "01:00.0=device\t", -EINVAL, 0 },
	{ "01:00.0=device\r\n", -EINVAL, 0 },
	{ "01:00.0=device\n\n", -EINVAL, 0 },
	{ "\n01:00.0=device", -EINVAL, 0 },
	{ "01:00.0\n=device", -EINVAL, 0 },
	{ "01:00.0=device\n,02:00.0=device", -EINVAL, 0 },
	{ "01:00.0=device,02:00.0\n=device", -EINVAL, 15 },
	{ "01:00.0=Device", -EINVAL, 0 },
	{ "01:00.0=normal", -EINVAL, 0 },
	{ "01:00.0=kernel", -EINVAL, 0 },
	{ "01:00.0=normal-wb", -EINVAL, 0 },
	{ "01:00.0:device", -EINVAL, 0 },
	{ "01:00.0=device;02:00.0=device", -EINVAL, 0 },
	{ "01:00.0=device 02:00.0=device", -EINVAL, 0 },
	{ "01:00.0=device, 02:00.0=device", -EINVAL, 15 },
	{ "01:00.0=device,02:00.0=devicex", -EINVAL, 15 },
	{ "1:00.0=device", -EINVAL, 0 },
	{ "01:20.0=device", -EINVAL, 0 },
	{ "01:00.8=device", -EINVAL, 0 },
	{ "+1:00.0=device", -EINVAL, 0 },
	{ "0x01:00.0=device", -EINVAL, 0 },
	{ "00000:01:00.0=device", -EINVAL, 0 },
	{ "0000:01:00.0.0=device", -EINVAL, 0 },
	/* Duplicates, however spelled. */
	{ "01:00.0=device,01:00.0=normal-nc", -EINVAL, 15 },
	{ "01:00.0=device,01:00.0=device", -EINVAL, 15 },
	{ "01:00.0=device,0000:01:00.0=device", -EINVAL, 15 },
	{ "0000:01:00.0=device,01:00.0=normal-nc", -EINVAL, 20 },
	{ "0a:00.0=device,02:00.0=device,0000:0A:00.0=normal-nc",
	  -EINVAL, 30 },
};

static void test_devices_good(void)
{
	size_t i;
	u32 j;

	for (i = 0; i < UNIT_ARRAY_SIZE(devices_good); i++) {
		struct s2attr_param_entry out[S2ATTR_MAX_DEVICES];
		const char *in = devices_good[i].in;
		size_t pos = NOPOS;
		u32 nr = 12345;
		int ret;

		ret = s2attr_parse_devices(in, out, S2ATTR_MAX_DEVICES, &nr,
					   &pos);
		UNIT_EXPECT_EQ_ERR(ret, 0, "parse_devices(%s)",
				   unit_q(in, strlen(in)));
		UNIT_EXPECT_EQ_INT(nr, devices_good[i].nr,
				   "parse_devices(%s) count",
				   unit_q(in, strlen(in)));
		for (j = 0; j < nr && j < devices_good[i].nr; j++) {
			UNIT_EXPECT_EQ_HEX(out[j].bdf, devices_good[i].want[j].bdf,
					   "parse_devices(%s) entry %u bdf",
					   unit_q(in, strlen(in)), j);
			UNIT_EXPECT_EQ_INT(out[j].memattr,
					   devices_good[i].want[j].memattr,
					   "parse_devices(%s) entry %u memattr",
					   unit_q(in, strlen(in)), j);
		}
		UNIT_EXPECT_EQ_INT(pos, NOPOS,
				   "parse_devices(%s) leaves *err_pos alone",
				   unit_q(in, strlen(in)));
	}
}

static void test_devices_bad(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(devices_bad); i++) {
		struct s2attr_param_entry out[S2ATTR_MAX_DEVICES];
		const char *in = devices_bad[i].in;
		size_t pos = NOPOS;
		u32 nr = 0;
		int ret;

		ret = s2attr_parse_devices(in, out, S2ATTR_MAX_DEVICES, &nr,
					   &pos);
		UNIT_EXPECT_EQ_ERR(ret, devices_bad[i].want,
				   "parse_devices(%s) rejected",
				   unit_q(in, strlen(in)));
		UNIT_EXPECT_EQ_INT(pos, devices_bad[i].pos,
				   "parse_devices(%s) err_pos",
				   unit_q(in, strlen(in)));
	}

	/* err_pos is optional. */
	{
		struct s2attr_param_entry out[2];
		u32 nr;

		UNIT_EXPECT_EQ_ERR(s2attr_parse_devices("01:00.0", out, 2, &nr,
							NULL),
				   -EINVAL, "parse_devices(\"01:00.0\", err_pos NULL)");
	}
}

/* Writes "0000:bb:dd.f=<memattr>" items for @n distinct BDFs. */
static char *make_list(u32 n, size_t *item_pos, u32 item)
{
	/* "dddd:bb:dd.f=normal-nc," is at most 23 bytes. */
	char *buf = malloc(n * 23 + 2), *p = buf;
	u32 i;

	*p = '\0';
	for (i = 0; i < n; i++) {
		if (i == item)
			*item_pos = p - buf;
		p += sprintf(p, "%s%04x:%02x:%02x.%x=%s", i ? "," : "",
			     i >> 8, i & 0xff, (i * 7) & 0x1f, i % 8,
			     i % 3 ? "device" : "normal-nc");
		/* Positions count from the item, not its comma. */
		if (i == item && i)
			(*item_pos)++;
	}
	return buf;
}

static void test_devices_max(void)
{
	static struct s2attr_param_entry out[S2ATTR_MAX_DEVICES + 1];
	size_t pos = NOPOS, want_pos = 0;
	u32 nr = 0, i, wrong = 0;
	char *buf;
	int ret;

	UNIT_EXPECT_EQ_INT(S2ATTR_MAX_DEVICES, 1024, "S2ATTR_MAX_DEVICES");

	buf = make_list(S2ATTR_MAX_DEVICES, &want_pos, ~0u);
	ret = s2attr_parse_devices(buf, out, S2ATTR_MAX_DEVICES, &nr, &pos);
	UNIT_EXPECT_EQ_ERR(ret, 0, "parse_devices(%u entries, max %u)",
			   S2ATTR_MAX_DEVICES, S2ATTR_MAX_DEVICES);
	UNIT_EXPECT_EQ_INT(nr, S2ATTR_MAX_DEVICES,
			   "parse_devices(%u entries) count", S2ATTR_MAX_DEVICES);
	for (i = 0; i < nr; i++)
		wrong += out[i].bdf != (i << 8 | ((i * 7) & 0x1f) << 3 | i % 8) ||
			 out[i].memattr != (i % 3 ? DEV : NC);
	UNIT_EXPECT_EQ_INT(wrong, 0, "parse_devices(%u entries) values",
			   S2ATTR_MAX_DEVICES);
	free(buf);

	buf = make_list(S2ATTR_MAX_DEVICES + 1, &want_pos, S2ATTR_MAX_DEVICES);
	ret = s2attr_parse_devices(buf, out, S2ATTR_MAX_DEVICES, &nr, &pos);
	UNIT_EXPECT_EQ_ERR(ret, -E2BIG, "parse_devices(%u entries, max %u)",
			   S2ATTR_MAX_DEVICES + 1, S2ATTR_MAX_DEVICES);
	UNIT_EXPECT_EQ_INT(pos, want_pos,
			   "parse_devices(%u entries) err_pos is the extra item",
			   S2ATTR_MAX_DEVICES + 1);
	free(buf);

	/* A duplicate of the first entry, as the last of 1024. */
	buf = make_list(S2ATTR_MAX_DEVICES - 1, &want_pos, ~0u);
	want_pos = strlen(buf) + 1;
	buf = realloc(buf, want_pos + 32);
	strcat(buf, ",00:00.0=device");
	ret = s2attr_parse_devices(buf, out, S2ATTR_MAX_DEVICES, &nr, &pos);
	UNIT_EXPECT_EQ_ERR(ret, -EINVAL, "parse_devices(1023 entries + dup of first)");
	UNIT_EXPECT_EQ_INT(pos, want_pos,
			   "parse_devices(1023 entries + dup of first) err_pos");
	free(buf);

	/* Small limits. */
	pos = NOPOS;
	ret = s2attr_parse_devices("01:00.0=device,02:00.0=device,03:00.0=device",
				   out, 2, &nr, &pos);
	UNIT_EXPECT_EQ_ERR(ret, -E2BIG, "parse_devices(3 entries, max 2)");
	UNIT_EXPECT_EQ_INT(pos, 30, "parse_devices(3 entries, max 2) err_pos");
	pos = NOPOS;
	ret = s2attr_parse_devices("01:00.0=device", NULL, 0, &nr, &pos);
	UNIT_EXPECT_EQ_ERR(ret, -E2BIG, "parse_devices(1 entry, max 0)");
	UNIT_EXPECT_EQ_INT(pos, 0, "parse_devices(1 entry, max 0) err_pos");
	nr = 99;
	ret = s2attr_parse_devices("", NULL, 0, &nr, &pos);
	UNIT_EXPECT(!ret && !nr, "parse_devices(\"\", max 0) -> 0 entries");
	nr = 99;
	ret = s2attr_parse_devices(NULL, out, S2ATTR_MAX_DEVICES, &nr, &pos);
	UNIT_EXPECT(!ret && !nr, "parse_devices(NULL) -> 0 entries");
}

static const struct {
	struct unit_str in;
	u32 bdf;
	enum s2attr_memattr m;
} add_good[] = {
	{ US("01:00.0 device"), 0x100, DEV },
	{ US("01:00.0 device\n"), 0x100, DEV },
	{ US("0000:01:00.0 normal-nc"), 0x100, NC },
	{ US("0000:01:00.0 normal-nc\n"), 0x100, NC },
	{ US("FFFF:FF:1F.7 normal-nc\n"), 0xffffffff, NC },
	{ US("00:00.0 device"), 0, DEV },
};

static const struct unit_str add_bad[] = {
	US(""), US("\n"), US(" "), US(" \n"),
	US("01:00.0"), US("01:00.0\n"), US("01:00.0 "), US("01:00.0 \n"),
	US(" device"), US("device"),
	US("01:00.0  device"), US(" 01:00.0 device"),
	US("01:00.0 device "), US("01:00.0 device \n"),
	US("01:00.0\tdevice"), US("01:00.0 \tdevice"),
	US("01:00.0 device extra"), US("01:00.0 device normal-nc"),
	US("01:00.0 device\n\n"), US("01:00.0\n device"),
	US("01:00.0 device\r\n"), US("01:00.0\ndevice"),
	US("01:00.0=device"), US("device 01:00.0"),
	US("01:00.0 Device"), US("01:00.0 kernel"), US("01:00.0 normal"),
	US("01:00.0 device\0"), US("01:00.0\0device"),
	US("01:00.0 dev\0ice"), US("\0" "01:00.0 device"),
	US("1:00.0 device"), US("01:20.0 device"), US("01:00.8 device"),
	US("+01:00.0 device"), US("0x01:00.0 device"),
	US("01:00.0 device,02:00.0 device"),
	US("01:00.0 device\n02:00.0 device"),
};

static void test_add(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(add_good); i++) {
		const struct unit_str *in = &add_good[i].in;
		enum s2attr_memattr m = 77;
		u32 bdf = 0xdeadbeef;

		UNIT_EXPECT_EQ_ERR(s2attr_parse_add(in->s, in->len, &bdf, &m), 0,
				   "parse_add(%s)", unit_q(in->s, in->len));
		UNIT_EXPECT_EQ_HEX(bdf, add_good[i].bdf, "parse_add(%s) bdf",
				   unit_q(in->s, in->len));
		UNIT_EXPECT_EQ_INT(m, add_good[i].m, "parse_add(%s) memattr",
				   unit_q(in->s, in->len));
	}
	for (i = 0; i < UNIT_ARRAY_SIZE(add_bad); i++) {
		const struct unit_str *in = &add_bad[i];
		enum s2attr_memattr m = 77;
		u32 bdf = 0xdeadbeef;

		UNIT_EXPECT_EQ_ERR(s2attr_parse_add(in->s, in->len, &bdf, &m),
				   -EINVAL, "parse_add(%s) rejected",
				   unit_q(in->s, in->len));
		UNIT_EXPECT(bdf == 0xdeadbeef && m == 77,
			    "parse_add(%s) leaves outputs untouched",
			    unit_q(in->s, in->len));
	}

	/* Only len bytes count. */
	{
		static const char buf[] = "01:00.0 device\nJUNK";
		enum s2attr_memattr m = 77;
		u32 bdf = 0;

		UNIT_EXPECT_EQ_ERR(s2attr_parse_add(buf, 15, &bdf, &m), 0,
				   "parse_add(%s, len 15)", unit_q(buf, 15));
		UNIT_EXPECT_EQ_ERR(s2attr_parse_add(buf, 16, &bdf, &m), -EINVAL,
				   "parse_add(%s, len 16)", unit_q(buf, 16));
		UNIT_EXPECT_EQ_ERR(s2attr_parse_add(buf, 13, &bdf, &m), -EINVAL,
				   "parse_add(%s, len 13)", unit_q(buf, 13));
	}
}

void test_params(void)
{
	test_devices_good();
	test_devices_bad();
	test_devices_max();
	test_add();
}
