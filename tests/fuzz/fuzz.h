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
#include "memattr.h"

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

/* The documented attribute words; -1 for anything else. */
static inline int fuzz_ref_memattr(const char *s, size_t len)
{
	if (len == 6 && !memcmp(s, "device", 6))
		return S2ATTR_MEMATTR_DEVICE;
	if (len == 9 && !memcmp(s, "normal-nc", 9))
		return S2ATTR_MEMATTR_NORMAL_NC;
	return -1;
}

/*
 * The documented list grammar "devices=" and "ids=" share, checked in the
 * documented order: items separated by commas, at most one trailing
 * newline, empty for none; an empty item or one with a newline is bad;
 * item() reads one into the n-th element of out (size bytes each), 0 or
 * -1; same() refuses an element equal to one before it. *err_pos: where
 * the item at fault starts.
 */
static inline int fuzz_ref_list(const char *buf, void *out, size_t size, u32 max,
				u32 *nr, size_t *err_pos,
				int (*item)(const char *s, size_t len, void *e),
				bool (*same)(const void *a, const void *b))
{
	size_t len = strlen(buf), pos = 0;
	u32 n = 0, i;

	if (len && buf[len - 1] == '\n')
		len--;
	while (len) {
		const char *it = buf + pos, *comma = memchr(it, ',', len - pos);
		size_t ilen = comma ? (size_t)(comma - it) : len - pos;
		void *e = (char *)out + n * size;

		*err_pos = pos;
		if (n >= max)
			return -E2BIG;
		if (!ilen || memchr(it, '\n', ilen) || item(it, ilen, e))
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (same((char *)out + i * size, e))
				return -EINVAL;
		n++;
		if (!comma)
			break;
		pos += ilen + 1;
	}
	*nr = n;
	return 0;
}

#endif /* KVM_S2ATTR_FUZZ_H */
