// SPDX-License-Identifier: GPL-2.0
/*
 * Runs every unit-test suite and prints the TAP plan and the closing
 * "N passed, N failed" line. UNIT_SEED=<n> replays a random sequence.
 */
#include <stdlib.h>

#define UNIT_MAIN
#include "unit.h"

static const struct {
	const char *name;
	void (*fn)(void);
} suites[] = {
	{ "bdf", test_bdf },
	{ "memattr", test_memattr },
	{ "bar_table", test_bar_table },
	{ "params", test_params },
	{ "idrules", test_idrules },
	{ "platform", test_platform },
};

int main(void)
{
	const char *seed = getenv("UNIT_SEED");
	size_t i;

	unit.rng = seed ? strtoull(seed, NULL, 0) : 0x5241545453324b56ULL;
	printf("TAP version 13\n");
	printf("# seed %#" PRIx64 " (set UNIT_SEED to change)\n", unit.rng);

	for (i = 0; i < UNIT_ARRAY_SIZE(suites); i++) {
		unit_suite(suites[i].name);
		suites[i].fn();
	}

	printf("1..%u\n", unit.n);
	printf("%u passed, %u failed\n", unit.passed, unit.failed);
	return unit.failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
