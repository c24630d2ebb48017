// SPDX-License-Identifier: GPL-2.0
/*
 * s2attr_memattr_parse(), s2attr_default_parse() and the MemAttr helpers:
 * a name is accepted exactly, with at most one trailing newline; outputs
 * are written only on success; rewriting a descriptor changes MemAttr
 * (bits [5:2]) only and never yields a cacheable type.
 */
#include "fuzz.h"
#include "memattr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Index of the name @buf spells (name or name + "\n"), or -1. */
static int ref_lookup(const char *buf, size_t len, const char *const *names,
		      int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		size_t n = strlen(names[i]);

		if ((len == n || (len == n + 1 && buf[n] == '\n')) &&
		    !memcmp(buf, names[i], n))
			return i;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const mnames[] = { "device", "normal-nc" };
	static const char *const dnames[] = { "kernel", "device" };
	char *buf = fuzz_dup(data, size);
	enum s2attr_memattr m = (enum s2attr_memattr)77;
	enum s2attr_default d = (enum s2attr_default)77;
	enum s2attr_pte_memtype t;
	int rc, ref, fwb;
	u64 pte, out;

	rc = s2attr_memattr_parse(buf, size, &m);
	ref = ref_lookup(buf, size, mnames, 2);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "memattr rc %d", rc);
	FUZZ_ASSERT((rc == 0) == (ref >= 0), "memattr parser %d, reference %d", rc, ref);
	if (rc)
		FUZZ_ASSERT((int)m == 77, "memattr written on failure");
	else
		FUZZ_ASSERT((int)m == ref && !strcmp(s2attr_memattr_name(m), mnames[ref]),
			    "memattr %d name %s", (int)m, s2attr_memattr_name(m));

	rc = s2attr_default_parse(buf, size, &d);
	ref = ref_lookup(buf, size, dnames, 2);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL, "default rc %d", rc);
	FUZZ_ASSERT((rc == 0) == (ref >= 0), "default parser %d, reference %d", rc, ref);
	if (rc)
		FUZZ_ASSERT((int)d == 77, "default written on failure");
	else
		FUZZ_ASSERT((int)d == ref && !strcmp(s2attr_default_name(d), dnames[ref]),
			    "default %d name %s", (int)d, s2attr_default_name(d));

	/* Descriptor rewrite, with the first 8 bytes as a stage-2 leaf. */
	if (size >= 9) {
		int mi = data[8] & 1;

		memcpy(&pte, data, 8);
		fwb = (data[8] >> 1) & 1;
		out = s2attr_pte_set_memattr(pte, (enum s2attr_memattr)mi, fwb);
		FUZZ_ASSERT((out & ~S2ATTR_PTE_MEMATTR_MASK) == (pte & ~S2ATTR_PTE_MEMATTR_MASK),
			    "bits outside MemAttr changed: %#llx -> %#llx",
			    (unsigned long long)pte, (unsigned long long)out);
		t = s2attr_pte_memtype(out, fwb);
		FUZZ_ASSERT(t == (mi ? S2ATTR_MT_NORMAL_NC : S2ATTR_MT_DEVICE_nGnRE),
			    "asked %s, decodes to %s", mnames[mi], s2attr_pte_memtype_name(t));
		FUZZ_ASSERT(!s2attr_memtype_is_cacheable(t), "rewrite made it cacheable");
		/* An out-of-range request falls back to Device. */
		out = s2attr_pte_set_memattr(pte, (enum s2attr_memattr)(data[8] | 2), fwb);
		FUZZ_ASSERT(s2attr_pte_memtype(out, fwb) == S2ATTR_MT_DEVICE_nGnRE,
			    "unknown memattr %d not Device", data[8] | 2);
		/* The decoder is total: every MemAttr has a name. */
		t = s2attr_pte_memtype(pte, fwb);
		FUZZ_ASSERT(strcmp(s2attr_pte_memtype_name(t), "unknown"),
			    "MemAttr %#llx undecodable", (unsigned long long)(pte >> 2 & 0xf));
	}
	if (size >= 4) {
		int v;

		memcpy(&v, data, 4);
		if (v < 0 || v > 1) {
			FUZZ_ASSERT(!strcmp(s2attr_memattr_name((enum s2attr_memattr)v), "unknown"), "name(%d)", v);
			FUZZ_ASSERT(!strcmp(s2attr_default_name((enum s2attr_default)v), "unknown"), "name(%d)", v);
		}
	}
	free(buf);
	return 0;
}
