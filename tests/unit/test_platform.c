// SPDX-License-Identifier: GPL-2.0
/* Unit tests for src/platform.c: known-bad platforms and the policy there. */
#include "unit.h"
#include "platform.h"

#define DEV	S2ATTR_MEMATTR_DEVICE
#define NC	S2ATTR_MEMATTR_NORMAL_NC
#define KERNEL	S2ATTR_DEFAULT_KERNEL
#define DDEV	S2ATTR_DEFAULT_DEVICE

static void test_find(void)
{
	const struct s2attr_wc_unsafe *p = s2attr_wc_unsafe_find(0x1def, 0xe100);

	UNIT_EXPECT(p != NULL, "Ampere Altra's PCIe root complex 1def:e100 is known-bad");
	if (p)
		UNIT_EXPECT(strstr(p->why, "82288") != NULL, "its reason names erratum 82288: %s",
			    p->why);
	/* Other Ampere devices, a vendor's device ID under another vendor. */
	UNIT_EXPECT_EQ_PTR(s2attr_wc_unsafe_find(0x1def, 0xe101), NULL, "1def:e101");
	UNIT_EXPECT_EQ_PTR(s2attr_wc_unsafe_find(0x1def, 0x0000), NULL, "1def:0000");
	UNIT_EXPECT_EQ_PTR(s2attr_wc_unsafe_find(0x10de, 0xe100), NULL, "10de:e100");
	UNIT_EXPECT_EQ_PTR(s2attr_wc_unsafe_find(0xe100, 0x1def), NULL, "e100:1def");
	/* The test build's stand-in is not in the real table. */
	UNIT_EXPECT_EQ_PTR(s2attr_wc_unsafe_find(0x1b36, 0x0008), NULL, "1b36:0008");
}

/* rule (-1: none), default, unsafe -> attribute (-1: KVM's), by platform. */
static const struct {
	int rule;
	enum s2attr_default def;
	bool unsafe;
	int want;
	bool by_platform;
} resolve[] = {
	{ -1, KERNEL, false, -1, false },
	{ -1, DDEV, false, DEV, false },
	{ NC, KERNEL, false, NC, false },
	{ NC, DDEV, false, NC, false },
	{ DEV, KERNEL, false, DEV, false },
	{ DEV, DDEV, false, DEV, false },
	/* Known-bad: Device-nGnRE whatever decides, the platform if it changed that. */
	{ -1, KERNEL, true, DEV, true },
	{ -1, DDEV, true, DEV, false },
	{ NC, KERNEL, true, DEV, true },
	{ NC, DDEV, true, DEV, true },
	{ DEV, KERNEL, true, DEV, false },
	{ DEV, DDEV, true, DEV, false },
};

static void test_resolve(void)
{
	size_t i;

	for (i = 0; i < UNIT_ARRAY_SIZE(resolve); i++) {
		UNIT_EXPECT_EQ_INT(s2attr_unlisted_memattr(resolve[i].rule, resolve[i].def,
							   resolve[i].unsafe),
				   resolve[i].want, "unlisted_memattr(rule %d, default %d, unsafe %d)",
				   resolve[i].rule, resolve[i].def, resolve[i].unsafe);
		UNIT_EXPECT_EQ_INT(s2attr_unlisted_by_platform(resolve[i].rule, resolve[i].def,
							       resolve[i].unsafe),
				   resolve[i].by_platform,
				   "unlisted_by_platform(rule %d, default %d, unsafe %d)",
				   resolve[i].rule, resolve[i].def, resolve[i].unsafe);
	}
}

void test_platform(void)
{
	test_find();
	test_resolve();
}
