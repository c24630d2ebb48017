// SPDX-License-Identifier: GPL-2.0
/*
 * s2attr_parse_devices() ("devices=" at load) and s2attr_parse_add() (the
 * sysfs "add" file) against reference parsers written from the ABI
 * document: return code, entries, error position, E2BIG at the limit,
 * outputs untouched on failure, and a canonical re-spelling that parses
 * back to the same entries.
 *
 * Built twice: -DFUZZ_DEVICES (devices-fuzzer: the input as the C string
 * the kernel passes, cut at the first NUL) and -DFUZZ_ADD (add-fuzzer:
 * all of the input with its length, as a sysfs write).
 */
#include "fuzz.h"
#include "bdf.h"
#include "params.h"

#define MAXDEV	16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "<BDF>=<memattr>" as the ABI document writes it. */
static int ref_device(const char *item, size_t ilen, void *out)
{
	struct s2attr_param_entry *e = out;
	const char *eq = memchr(item, '=', ilen);
	int m;

	if (!eq || fuzz_ref_bdf(item, eq - item, &e->bdf))
		return -1;
	m = fuzz_ref_memattr(eq + 1, ilen - (eq + 1 - item));
	if (m < 0)
		return -1;
	e->memattr = m;
	return 0;
}

static bool ref_same_device(const void *a, const void *b)
{
	return ((const struct s2attr_param_entry *)a)->bdf ==
	       ((const struct s2attr_param_entry *)b)->bdf;
}

/* The documented "devices=" grammar. */
static __attribute__((unused)) int ref_devices(const char *buf, u32 max,
					       struct s2attr_param_entry *out,
					       u32 *nr, size_t *err_pos)
{
	return fuzz_ref_list(buf, out, sizeof(*out), max, nr, err_pos, ref_device,
			     ref_same_device);
}

static __attribute__((unused)) size_t respell(const struct s2attr_param_entry *e, u32 nr, char *s)
{
	char b[S2ATTR_BDF_STRLEN];
	size_t at = 0;
	u32 i;

	s[0] = '\0';
	for (i = 0; i < nr; i++) {
		s2attr_bdf_format(e[i].bdf, b);
		at += sprintf(s + at, "%s%s=%s", i ? "," : "", b,
			      e[i].memattr ? "normal-nc" : "device");
	}
	return at;
}

#ifdef FUZZ_DEVICES
static void check_devices(const uint8_t *data, size_t size)
{
	size_t slen = strnlen((const char *)data, size), pos = 12345, rpos = 54321;
	char *str = malloc(slen + 1), *canon;
	struct s2attr_param_entry *out = malloc(MAXDEV * sizeof(*out));
	struct s2attr_param_entry ref[MAXDEV + 1], *out2;
	u32 nr = 999, rnr = 999, nr2 = 999, i;
	int rc, rrc;

	if (!str || !out)
		abort();
	memcpy(str, data, slen);
	str[slen] = '\0';
	rc = s2attr_parse_devices(str, out, MAXDEV, &nr, &pos);
	rrc = ref_devices(str, MAXDEV, ref, &rnr, &rpos);
	FUZZ_ASSERT(rc == rrc, "rc %d, reference %d on '%s'", rc, rrc, str);
	if (rc) {
		FUZZ_ASSERT(pos == rpos, "error at %zu, reference %zu on '%s'", pos, rpos, str);
		FUZZ_ASSERT(pos <= slen && (pos == 0 || str[pos - 1] == ','),
			    "error position %zu is not an item start", pos);
	} else {
		FUZZ_ASSERT(nr == rnr && nr <= MAXDEV, "nr %u, reference %u", nr, rnr);
		for (i = 0; i < nr; i++)
			FUZZ_ASSERT(out[i].bdf == ref[i].bdf && out[i].memattr == ref[i].memattr,
				    "entry %u: %#x/%d, reference %#x/%d", i, out[i].bdf,
				    out[i].memattr, ref[i].bdf, ref[i].memattr);
		/* The canonical spelling parses back to the same entries. */
		canon = malloc(nr * 24 + 2);
		out2 = malloc(MAXDEV * sizeof(*out2));
		if (!canon || !out2)
			abort();
		respell(out, nr, canon);
		FUZZ_ASSERT(!s2attr_parse_devices(canon, out2, MAXDEV, &nr2, NULL) && nr2 == nr &&
			    !memcmp(out2, out, nr * sizeof(*out)), "'%s' does not parse back", canon);
		/* One fewer slot than entries: E2BIG at the last item. */
		if (nr) {
			rc = s2attr_parse_devices(str, out2, nr - 1, &nr2, &pos);
			rrc = ref_devices(str, nr - 1, ref, &rnr, &rpos);
			FUZZ_ASSERT(rc == -E2BIG && rrc == -E2BIG && pos == rpos,
				    "max %u: rc %d pos %zu, reference %d pos %zu", nr - 1,
				    rc, pos, rrc, rpos);
		}
		free(canon);
		free(out2);
	}
	/* A NULL (unset) parameter means no devices. */
	FUZZ_ASSERT(!s2attr_parse_devices(NULL, out, MAXDEV, &nr, NULL) && nr == 0, "NULL");
	free(out);
	free(str);
}

#else
static void check_add(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size), canon[32], b[S2ATTR_BDF_STRLEN];
	enum s2attr_memattr m = (enum s2attr_memattr)77, m2;
	u32 bdf = 0xdeadbeef, rbdf = 0, bdf2;
	size_t len = size, splen;
	const char *sp;
	int rc, ok, rm = -1;

	rc = s2attr_parse_add(buf, size, &bdf, &m);
	/* Reference: one trailing newline off, "<BDF> <memattr>", no other '\n'. */
	if (len && buf[len - 1] == '\n')
		len--;
	sp = len ? memchr(buf, ' ', len) : NULL;
	ok = len && !memchr(buf, '\n', len) && sp;
	if (ok) {
		splen = sp - buf;
		rm = fuzz_ref_memattr(sp + 1, len - splen - 1);
		ok = !fuzz_ref_bdf(buf, splen, &rbdf) && rm >= 0;
	}
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "add rc %d", rc);
	FUZZ_ASSERT((rc == 0) == !!ok, "add: parser %d, reference %d on '%.*s'",
		    rc, ok, (int)size, buf);
	if (rc) {
		FUZZ_ASSERT(bdf == 0xdeadbeef && (int)m == 77, "add: outputs written on failure");
	} else {
		FUZZ_ASSERT(bdf == rbdf && (int)m == rm, "add: %#x/%d, reference %#x/%d",
			    bdf, m, rbdf, rm);
		s2attr_bdf_format(bdf, b);
		snprintf(canon, sizeof(canon), "%s %s\n", b, m ? "normal-nc" : "device");
		FUZZ_ASSERT(!s2attr_parse_add(canon, strlen(canon), &bdf2, &m2) &&
			    bdf2 == bdf && m2 == m, "'%s' does not parse back", canon);
	}
	free(buf);
}

#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_DEVICES
	check_devices(data, size);
#else
	check_add(data, size);
#endif
	return 0;
}
