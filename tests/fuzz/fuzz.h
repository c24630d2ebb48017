/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the libFuzzer targets. Each target feeds bytes to one
 * of the pure-logic parsers in src/ (the same files the module builds) and
 * checks the result against an independent oracle written from the
 * specification (Documentation/ABI/testing/sysfs-kernel-kvm_s2attr and the
 * comments in src/). Any disagreement aborts, so libFuzzer saves the input.
 */
#ifndef KVM_S2ATTR_FUZZ_H
#define KVM_S2ATTR_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s2attr_types.h"

#define FUZZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: oracle disagrees: %s: ",		\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/*
 * An exact-size heap copy of the input, so that ASan catches a parser
 * reading one byte past what it was given (libFuzzer's own buffer is
 * exact-size too; copies made here keep that property).
 */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

static inline int fuzz_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The BDF grammar, written out from the ABI document: "dddd:bb:dd.f" or
 * "bb:dd.f", hex digits in any case, device <= 0x1f, function <= 7, at
 * most one trailing newline and nothing else. Returns 0 and *bdf, or -1.
 */
static inline int fuzz_ref_bdf(const char *s, size_t len, u32 *bdf)
{
	static const char *const pat[] = { "hhhh:hh:hh.h", "hh:hh.h" };
	unsigned int field[4] = { 0 }, nf, p, i, k;

	if (len && s[len - 1] == '\n')
		len--;
	for (p = 0; p < 2; p++) {
		const char *q = pat[p];

		if (len != strlen(q))
			continue;
		nf = p ? 1 : 0;		/* the short form has no domain */
		memset(field, 0, sizeof(field));
		for (i = 0; i < len; i++) {
			if (q[i] == 'h') {
				int d = fuzz_hex(s[i]);

				if (d < 0)
					return -1;
				field[nf] = field[nf] << 4 | d;
			} else {
				if (s[i] != q[i])
					return -1;
				nf++;
			}
		}
		if (field[2] > 0x1f || field[3] > 7)
			return -1;
		k = field[0] << 16 | field[1] << 8 | field[2] << 3 | field[3];
		*bdf = k;
		return 0;
	}
	return -1;
}

#endif /* KVM_S2ATTR_FUZZ_H */
