// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/idrules.c: rules by device identity. */
#include <stdlib.h>

#include "unit.h"
#include "idrules.h"

#define DEV	S2ATTR_MEMATTR_DEVICE
#define NC	S2ATTR_MEMATTR_NORMAL_NC
#define NOPOS	((size_t)-1)

/* Each good rule is printed back (without its attribute) as want. */
static const struct {
	const char *in;
	const char *want;
	u8 given;
	enum s2attr_memattr memattr;
} rules_good[] = {
	{ "10de:2330=normal-nc", "10de:2330", 0x30, NC },
	{ "10DE:2330=device", "10de:2330", 0x30, DEV },
	{ "15b3:1021:15b3:0041=device", "15b3:1021:15b3:0041", 0x3c, DEV },
	{ "15b3:1021:*:0041=device", "15b3:1021:*:0041", 0x34, DEV },
	{ "15b3:*=device", "15b3:*", 0x20, DEV },
	{ "*:*=normal-nc", "*:*", 0x00, NC },
	{ "*:*/0300=normal-nc", "*:*/0300", 0x02, NC },
	{ "*:*/030000=normal-nc", "*:*/030000", 0x03, NC },
	{ "1af4:1110:1af4:1100/0500=device", "1af4:1110:1af4:1100/0500", 0x3e, DEV },
	{ "1af4:1110:*:*=device", "1af4:1110", 0x30, DEV },
	{ "1af4:1110=device\n", "1af4:1110", 0x30, DEV },
};

static const struct {
	const char *in;
	size_t pos;
} rules_bad[] = {
	{ "10de=device", 0 },
	{ "10de:2330:10de=device", 0 },
	{ "10de:2330:10de:16a1:ffff=device", 0 },
	{ "10de:233=device", 0 },
	{ "10de:23300=device", 0 },
	{ "0x10de:2330=device", 0 },
	{ "10dg:2330=device", 0 },
	{ "10de:2330", 0 },
	{ "10de:2330=", 0 },
	{ "10de:2330=kernel", 0 },
	{ "10de:2330=Device", 0 },
	{ "10de:2330 =device", 0 },
	{ " 10de:2330=device", 0 },
	{ "10de:2330=device ", 0 },
	{ "10de:2330=device\n\n", 0 },
	{ "10de:2330=device\r\n", 0 },
	{ "10de::2330=device", 0 },
	{ "10de:2330:=device", 0 },
	{ ":10de:2330=device", 0 },
	{ "**:2330=device", 0 },
	{ "10de:2330/03=device", 0 },
	{ "10de:2330/03000=device", 0 },
	{ "10de:2330/*=device", 0 },
	{ "10de:2330/0300/00=device", 0 },
	{ "10de:2330/=device", 0 },
	{ "10de:2330=device,", 17 },
	{ ",10de:2330=device", 0 },
	{ "10de:2330=device,,1af4:1110=device", 17 },
	{ "10de:2330=device, 1af4:1110=device", 17 },
	/* Conflicts: the same ID twice, however spelled or decided. */
	{ "10de:2330=device,10de:2330=normal-nc", 17 },
	{ "10de:2330=device,10DE:2330=device", 17 },
	{ "10de:2330=device,10de:2330:*:*=normal-nc", 17 },
	{ "*:*/0300=device,1af4:1110=device,*:*/0300=normal-nc", 33 },
};

static void test_rules_good(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(rules_good); i++) {
		struct s2attr_id_rule out[4];
		const char *in = rules_good[i].in;
		char buf[S2ATTR_ID_RULE_LEN];
		size_t pos = NOPOS;
		u32 nr = 12345;
		int ret, len;

		ret = s2attr_parse_ids(in, out, 4, &nr, &pos);
		UNIT_EXPECT_EQ_ERR(ret, 0, "parse_ids(%s)", unit_q(in, strlen(in)));
		UNIT_EXPECT_EQ_INT(nr, 1, "parse_ids(%s) count", unit_q(in, strlen(in)));
		UNIT_EXPECT_EQ_INT(pos, NOPOS, "parse_ids(%s) leaves *err_pos alone",
				   unit_q(in, strlen(in)));
		if (ret || nr != 1)
			continue;
		UNIT_EXPECT_EQ_HEX(out[0].given, rules_good[i].given, "parse_ids(%s) fields given",
				   unit_q(in, strlen(in)));
		UNIT_EXPECT_EQ_INT(out[0].memattr, rules_good[i].memattr,
				   "parse_ids(%s) memattr", unit_q(in, strlen(in)));
		len = s2attr_id_format(&out[0], buf, sizeof(buf));
		UNIT_EXPECT_EQ_STR(buf, rules_good[i].want, "format(%s)",
				   unit_q(in, strlen(in)));
		UNIT_EXPECT_EQ_INT(len, strlen(rules_good[i].want), "format(%s) length",
				   unit_q(in, strlen(in)));
	}
}

static void test_rules_bad(void)
{
	struct s2attr_id_rule out[4];
	size_t i, pos;
	u32 nr;
	int ret;

	for (i = 0; i < UNIT_ARRAY_SIZE(rules_bad); i++) {
		const char *in = rules_bad[i].in;

		pos = NOPOS;
		ret = s2attr_parse_ids(in, out, 4, &nr, &pos);
		UNIT_EXPECT_EQ_ERR(ret, -EINVAL, "parse_ids(%s) rejected", unit_q(in, strlen(in)));
		UNIT_EXPECT_EQ_INT(pos, rules_bad[i].pos, "parse_ids(%s) err_pos",
				   unit_q(in, strlen(in)));
	}
	/* Empty, NULL and a lone newline: no rules. */
	nr = 7;
	UNIT_EXPECT_EQ_ERR(s2attr_parse_ids("", out, 4, &nr, NULL), 0, "parse_ids(\"\")");
	UNIT_EXPECT_EQ_INT(nr, 0, "parse_ids(\"\") count");
	nr = 7;
	UNIT_EXPECT_EQ_ERR(s2attr_parse_ids(NULL, out, 4, &nr, NULL), 0, "parse_ids(NULL)");
	UNIT_EXPECT_EQ_INT(nr, 0, "parse_ids(NULL) count");
	nr = 7;
	UNIT_EXPECT_EQ_ERR(s2attr_parse_ids("\n", out, 4, &nr, NULL), 0, "parse_ids(\\n)");
	UNIT_EXPECT_EQ_INT(nr, 0, "parse_ids(\\n) count");
	/* One more than fits. */
	pos = NOPOS;
	ret = s2attr_parse_ids("1:*=device,2:*=device", out, 1, &nr, &pos);
	UNIT_EXPECT_EQ_ERR(ret, -EINVAL, "parse_ids: 1-digit vendor");
	pos = NOPOS;
	ret = s2attr_parse_ids("0001:*=device,0002:*=device", out, 1, &nr, &pos);
	UNIT_EXPECT_EQ_ERR(ret, -E2BIG, "parse_ids: more rules than max");
	UNIT_EXPECT_EQ_INT(pos, 14, "parse_ids: more rules than max, err_pos");
}

/* Which rule decides for a device: the one that gives the most significant fields. */
static void test_best(void)
{
	static const char rules[] =
		"*:*=device,"					/* 0 */
		"1af4:1110=normal-nc,"				/* 1 */
		"1af4:1110:1af4:1100=device,"			/* 2 */
		"1af4:*=device,"				/* 3 */
		"*:*/0500=normal-nc,"				/* 4 */
		"1af4:1110/0500=device,"			/* 5 */
		"10de:2330:*:16a1=normal-nc,"			/* 6 */
		"*:*/030200=device";				/* 7 */
	static const struct {
		struct s2attr_pci_id id;
		int want;
	} cases[] = {
		{ { 0x1af4, 0x1110, 0x1af4, 0x1100, 0x050000 }, 2 },
		{ { 0x1af4, 0x1110, 0x1af4, 0x1101, 0x050000 }, 5 },
		{ { 0x1af4, 0x1110, 0x1af4, 0x1101, 0x020000 }, 1 },
		{ { 0x1af4, 0x1000, 0x1af4, 0x0001, 0x020000 }, 3 },
		{ { 0x8086, 0x10d3, 0x8086, 0xa01f, 0x050000 }, 4 },
		{ { 0x8086, 0x10d3, 0x8086, 0xa01f, 0x050010 }, 4 },
		{ { 0x10de, 0x2330, 0x10de, 0x16a1, 0x030200 }, 6 },
		{ { 0x10de, 0x2330, 0x10de, 0x16a2, 0x030200 }, 7 },
		{ { 0x10de, 0x2330, 0x10de, 0x16a2, 0x030201 }, 0 },
	};
	struct s2attr_id_rule r[8], rr[8];
	u32 nr = 0;
	size_t i;
	int ret;

	ret = s2attr_parse_ids(rules, r, 8, &nr, NULL);
	UNIT_EXPECT_EQ_ERR(ret, 0, "parse_ids(the rules for best)");
	UNIT_EXPECT_EQ_INT(nr, 8, "parse_ids(the rules for best) count");
	if (ret || nr != 8)
		return;
	for (i = 0; i < nr; i++)
		rr[nr - 1 - i] = r[i];
	for (i = 0; i < UNIT_ARRAY_SIZE(cases); i++) {
		const struct s2attr_pci_id *id = &cases[i].id;

		UNIT_EXPECT_EQ_INT(s2attr_id_best(r, nr, id), cases[i].want,
				   "best for %04x:%04x:%04x:%04x/%06x", id->vendor, id->device,
				   id->subvendor, id->subdevice, id->class);
		/* The order of the rules does not matter. */
		UNIT_EXPECT_EQ_INT(s2attr_id_best(rr, nr, id), (int)nr - 1 - cases[i].want,
				   "best for %04x:%04x, rules reversed", id->vendor, id->device);
	}
	UNIT_EXPECT_EQ_INT(s2attr_id_best(r, 0, &cases[0].id), -1, "best of no rules");
}

void test_idrules(void)
{
	test_rules_good();
	test_rules_bad();
	test_best();
}
