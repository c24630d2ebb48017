// SPDX-License-Identifier: GPL-2.0
/*
 * s2attr_parse_ids() ("ids=" at load, the sysfs "ids" file after its
 * newlines became commas) against a reference parser written from the ABI
 * document: return code, rules, error position, and a re-spelling of the
 * rules by s2attr_id_format() that parses back to the same rules. The
 * input is the C string the kernel passes (cut at the first NUL).
 */
#include "fuzz.h"
#include "idrules.h"

#define MAXRULES	8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 4 hex digits or "*": 0 and *v (given), 1 ("*"), or -1. */
static int ref_field(const char *s, size_t len, u16 *v)
{
	size_t i;

	if (len == 1 && s[0] == '*')
		return 1;
	if (len != 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		if (fuzz_hex(s[i]) < 0)
			return -1;
		*v = *v << 4 | fuzz_hex(s[i]);
	}
	return 0;
}

/* "ID=memattr" as the ABI document writes it. */
static int ref_rule(const char *s, size_t len, void *out)
{
	struct s2attr_id_rule *r = out;
	static const u8 bits[] = { S2ATTR_ID_VENDOR, S2ATTR_ID_DEVICE,
				   S2ATTR_ID_SUBVENDOR, S2ATTR_ID_SUBDEVICE };
	u16 *f[] = { &r->vendor, &r->device, &r->subvendor, &r->subdevice };
	const char *eq = memchr(s, '=', len), *p, *end, *slash;
	size_t i;
	int n = 0, k;

	memset(r, 0, sizeof(*r));
	if (!eq)
		return -1;
	k = fuzz_ref_memattr(eq + 1, len - (eq + 1 - s));
	if (k < 0)
		return -1;
	r->memattr = k;
	slash = memchr(s, '/', eq - s);
	end = slash ? slash : eq;
	for (p = s; ; n++) {
		const char *c = memchr(p, ':', end - p);
		const char *fe = c ? c : end;

		if (n >= 4)
			return -1;
		k = ref_field(p, fe - p, f[n]);
		if (k < 0)
			return -1;
		if (!k)
			r->given |= bits[n];
		if (!c)
			break;
		p = c + 1;
	}
	if (n != 1 && n != 3)	/* 2 or 4 fields */
		return -1;
	if (slash) {
		size_t cl = eq - (slash + 1);

		if (cl != 4 && cl != 6)
			return -1;
		for (i = 0; i < cl; i++) {
			if (fuzz_hex(slash[1 + i]) < 0)
				return -1;
			r->class = r->class << 4 | fuzz_hex(slash[1 + i]);
		}
		if (cl == 4) {
			r->class <<= 8;
			r->given |= S2ATTR_ID_CLASS;
		} else {
			r->given |= S2ATTR_ID_CLASS | S2ATTR_ID_PROGIF;
		}
	}
	return 0;
}

static bool same_rule(const void *pa, const void *pb)
{
	const struct s2attr_id_rule *a = pa, *b = pb;

	return a->given == b->given && a->vendor == b->vendor && a->device == b->device &&
	       a->subvendor == b->subvendor && a->subdevice == b->subdevice &&
	       a->class == b->class;
}

/* The documented "ids=" grammar. */
static int ref_ids(const char *buf, struct s2attr_id_rule *out, u32 max, u32 *nr,
		   size_t *err_pos)
{
	return fuzz_ref_list(buf, out, sizeof(*out), max, nr, err_pos, ref_rule,
			     same_rule);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s2attr_id_rule got[MAXRULES], want[MAXRULES], again[MAXRULES];
	char *buf = malloc(size + 1), spelled[MAXRULES * (S2ATTR_ID_RULE_LEN + 12)];
	size_t gpos = 12345, wpos = 0, len = 0;
	u32 gnr = 0, wnr = 0, anr = 0, i;
	int gret, wret;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	gret = s2attr_parse_ids(buf, got, MAXRULES, &gnr, &gpos);
	wret = ref_ids(buf, want, MAXRULES, &wnr, &wpos);
	FUZZ_ASSERT(gret == wret, "ret %d, reference %d", gret, wret);
	if (gret) {
		FUZZ_ASSERT(gpos == wpos, "err_pos %zu, reference %zu", gpos, wpos);
		free(buf);
		return 0;
	}
	FUZZ_ASSERT(gnr == wnr, "%u rules, reference %u", gnr, wnr);
	for (i = 0; i < gnr; i++) {
		FUZZ_ASSERT(same_rule(&got[i], &want[i]) && got[i].memattr == want[i].memattr,
			    "rule %u differs", i);
		len += s2attr_id_format(&got[i], spelled + len, sizeof(spelled) - len);
		len += snprintf(spelled + len, sizeof(spelled) - len, "=%s%s",
				got[i].memattr == S2ATTR_MEMATTR_DEVICE ? "device" : "normal-nc",
				i + 1 < gnr ? "," : "");
	}
	spelled[len] = '\0';
	FUZZ_ASSERT(!s2attr_parse_ids(spelled, again, MAXRULES, &anr, NULL) && anr == gnr,
		    "the re-spelling %s does not parse back", spelled);
	for (i = 0; i < gnr; i++)
		FUZZ_ASSERT(same_rule(&got[i], &again[i]) && got[i].memattr == again[i].memattr,
			    "rule %u re-spelled as %s parses to another", i, spelled);
	free(buf);
	return 0;
}
