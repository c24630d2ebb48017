// SPDX-License-Identifier: GPL-2.0
/* Kernel symbols the module needs but that are not exported. */
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>

#include "ksym.h"

/*
 * kallsyms_lookup_name() is not exported; a kprobe resolves a text symbol
 * for us. It is registered disabled, so the kernel text is never patched.
 * Returns 0 if the symbol is absent or not a probe-able function.
 */
unsigned long s2attr_ksym_lookup(const char *name)
{
	struct kprobe kp = {
		.symbol_name = name,
		.flags = KPROBE_FLAG_DISABLED,
	};
	unsigned long addr;

	if (register_kprobe(&kp))
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/* The size of the function at addr, from "name+0x0/0xsize [mod]"; 0 if unknown. */
unsigned long s2attr_ksym_size(unsigned long addr)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long size;
	char *slash;

	sprint_symbol(buf, addr);
	slash = strchr(buf, '/');
	if (!slash || sscanf(slash + 1, "%lx", &size) != 1)
		return 0;
	return size;
}
