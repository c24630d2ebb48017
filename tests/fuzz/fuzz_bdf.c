// SPDX-License-Identifier: GPL-2.0
/*
 * s2attr_bdf_parse() and s2attr_bdf_format(): the parser must agree with
 * the grammar (fuzz_ref_bdf), write *bdf only on success, and round-trip
 * through the formatter; formatting any u32 must parse back to it.
 */
#include <ctype.h>

#include "fuzz.h"
#include "bdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	char canon[S2ATTR_BDF_STRLEN], again[S2ATTR_BDF_STRLEN];
	u32 got = 0xdeadbeef, want = 0, back = 0xdeadbeef, x;
	int rc, ref;
	size_t len, i;

	rc = s2attr_bdf_parse(buf, size, &got);
	ref = fuzz_ref_bdf(buf, size, &want);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "rc %d", rc);
	FUZZ_ASSERT((rc == 0) == (ref == 0), "parser %d, grammar %d", rc, ref);
	if (rc) {
		FUZZ_ASSERT(got == 0xdeadbeef, "*bdf written on failure: %#x", got);
	} else {
		FUZZ_ASSERT(got == want, "got %#x want %#x", got, want);
		/* The canonical spelling is the input, lower-cased. */
		s2attr_bdf_format(got, canon);
		FUZZ_ASSERT(strlen(canon) == 12, "format length %zu", strlen(canon));
		len = size && buf[size - 1] == '\n' ? size - 1 : size;
		for (i = 0; i < len; i++) {
			char c = canon[i + 12 - len];

			FUZZ_ASSERT(tolower((unsigned char)buf[i]) == c,
				    "input '%.*s' vs canonical '%s'", (int)len, buf, canon);
		}
		if (len == 7)
			FUZZ_ASSERT(!memcmp(canon, "0000:", 5), "short form domain %s", canon);
		FUZZ_ASSERT(!s2attr_bdf_parse(canon, 12, &back) && back == got,
			    "canonical %s does not parse back", canon);
	}

	/* Any u32 is a BDF (the fields are masked): format, parse, same. */
	if (size >= 4) {
		memcpy(&x, data, 4);
		s2attr_bdf_format(x, canon);
		back = 0;
		FUZZ_ASSERT(!s2attr_bdf_parse(canon, strlen(canon), &back) && back == x,
			    "%#x formats to %s which parses to %#x", x, canon, back);
		memcpy(again, canon, sizeof(again));
		again[12] = '\n';	/* one trailing newline, not NUL-terminated */
		back = 0;
		FUZZ_ASSERT(!s2attr_bdf_parse(again, 13, &back) && back == x,
			    "%#x with a newline", x);
	}
	free(buf);
	return 0;
}
