/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny header-only TAP test framework for the pure-logic unit tests.
 *
 * Every check prints "ok N - what" or, on failure,
 * "not ok N - what -> got X want Y", so a failure log says what was
 * compared without a debugger. main.c defines UNIT_MAIN before including
 * this header to instantiate the shared state, runs the suites and prints
 * the closing "N passed, N failed" line.
 */
#ifndef KVM_S2ATTR_UNIT_H
#define KVM_S2ATTR_UNIT_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct unit_state {
	unsigned int n;
	unsigned int passed;
	unsigned int failed;
	uint64_t rng;
};

extern struct unit_state unit;

#ifdef UNIT_MAIN
struct unit_state unit;
#endif

/* A string with an explicit length, so table entries can hold NULs. */
struct unit_str {
	const char *s;
	size_t len;
};

/* Only for string literals: the length includes embedded NULs. */
#define US(lit)	{ (lit), sizeof(lit) - 1 }

#define UNIT_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline void unit_suite(const char *name)
{
	printf("# %s\n", name);
}

__attribute__((format(printf, 3, 4)))
static inline bool unit_report(bool ok, const char *detail,
			       const char *fmt, ...)
{
	va_list ap;

	unit.n++;
	if (ok)
		unit.passed++;
	else
		unit.failed++;
	printf("%sok %u - ", ok ? "" : "not ", unit.n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok && detail && *detail)
		printf(" -> %s", detail);
	putchar('\n');
	fflush(stdout);
	return ok;
}

/*
 * C-style quoting of @len bytes of @s, so newlines, NULs and other control
 * bytes are visible in test names. Returns one of a few rotating static
 * buffers: fine for a handful of uses per printf.
 */
static inline const char *unit_q(const char *s, size_t len)
{
	static char bufs[4][160];
	static unsigned int next;
	char *b = bufs[next++ % 4], *p = b;
	char *end = b + sizeof(bufs[0]) - 8;
	size_t i;

	*p++ = '"';
	for (i = 0; i < len && p < end; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '\n':
			p += sprintf(p, "\\n");
			break;
		case '\t':
			p += sprintf(p, "\\t");
			break;
		case '\r':
			p += sprintf(p, "\\r");
			break;
		case '\0':
			p += sprintf(p, "\\0");
			break;
		case '"':
			p += sprintf(p, "\\\"");
			break;
		case '\\':
			p += sprintf(p, "\\\\");
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				p += sprintf(p, "\\x%02x", c);
			else
				*p++ = c;
		}
	}
	if (i < len)
		p += sprintf(p, "...");
	*p++ = '"';
	*p = '\0';
	return b;
}

static inline const char *unit_errname(long long e)
{
	static char buf[4][24];
	static unsigned int next;
	char *b;

	switch (e) {
	case 0:
		return "0";
	case -EINVAL:
		return "-EINVAL";
	case -E2BIG:
		return "-E2BIG";
	case -ENOMEM:
		return "-ENOMEM";
	case -ERANGE:
		return "-ERANGE";
	}
	b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "%lld", e);
	return b;
}

/* Deterministic PRNG (splitmix64); the seed is printed so runs repeat. */
static inline uint64_t unit_rand(void)
{
	uint64_t z = (unit.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for tests; n > 0. */
static inline uint64_t unit_rand_below(uint64_t n)
{
	return unit_rand() % n;
}

#define UNIT_EXPECT(cond, ...) \
	unit_report(!!(cond), "false: " #cond, __VA_ARGS__)

#define UNIT_EXPECT_EQ_INT(got, want, ...) ({				\
	long long g_ = (got), w_ = (want);				\
	char d_[64];							\
	snprintf(d_, sizeof(d_), "got %lld want %lld", g_, w_);	\
	unit_report(g_ == w_, d_, __VA_ARGS__);				\
})

#define UNIT_EXPECT_EQ_HEX(got, want, ...) ({				\
	unsigned long long g_ = (got), w_ = (want);			\
	char d_[64];							\
	snprintf(d_, sizeof(d_), "got %#llx want %#llx", g_, w_);	\
	unit_report(g_ == w_, d_, __VA_ARGS__);				\
})

/* Return codes: 0 or -errno, printed by name. */
#define UNIT_EXPECT_EQ_ERR(got, want, ...) ({				\
	long long g_ = (got), w_ = (want);				\
	char d_[64];							\
	snprintf(d_, sizeof(d_), "got %s want %s",			\
		 unit_errname(g_), unit_errname(w_));			\
	unit_report(g_ == w_, d_, __VA_ARGS__);				\
})

#define UNIT_EXPECT_EQ_STR(got, want, ...) ({				\
	const char *g_ = (got), *w_ = (want);				\
	char d_[200];							\
	bool ok_ = g_ && w_ ? !strcmp(g_, w_) : g_ == w_;		\
	snprintf(d_, sizeof(d_), "got %s want %s",			\
		 g_ ? unit_q(g_, strlen(g_)) : "NULL",			\
		 w_ ? unit_q(w_, strlen(w_)) : "NULL");			\
	unit_report(ok_, d_, __VA_ARGS__);				\
})

#define UNIT_EXPECT_EQ_PTR(got, want, ...) ({				\
	const void *g_ = (got), *w_ = (want);				\
	char d_[64];							\
	snprintf(d_, sizeof(d_), "got %p want %p", g_, w_);		\
	unit_report(g_ == w_, d_, __VA_ARGS__);				\
})

/* Suites, one per file. */
void test_bdf(void);
void test_memattr(void);
void test_bar_table(void);
void test_params(void);
void test_idrules(void);
void test_platform(void);

#endif /* KVM_S2ATTR_UNIT_H */
