/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVM_S2ATTR_HOOK_H
#define KVM_S2ATTR_HOOK_H

#include <linux/types.h>

/* How the hooked function receives the walk it is about to perform. */
enum s2attr_walk_abi {
	S2ATTR_WALK_ARGS,	/* kvm_pgtable_walk(pgt, addr, size, walker) */
	S2ATTR_WALK_DATA_V1,	/* _kvm_pgtable_walk(walk_data) (v5.10) */
};

/* Where and how the stage-2 map path is hooked; resolved at load. */
struct s2attr_hook_target {
	const char *func;		/* the walk function hooked */
	unsigned long func_addr;
	enum s2attr_walk_abi abi;
	unsigned long map_walker;	/* stage2_map_walker: the map walks */
	unsigned long stage2_map;	/* kvm_pgtable_stage2_map */
};

/* How the hook is attached: ftrace is cheap, a kprobe traps on every call. */
enum s2attr_hook_kind {
	S2ATTR_HOOK_AUTO,	/* ftrace, else kprobe */
	S2ATTR_HOOK_FTRACE,
	S2ATTR_HOOK_KPROBE,
};

int s2attr_hook_resolve(struct s2attr_hook_target *target,
			char *why, size_t why_len);
int s2attr_hook_start(const struct s2attr_hook_target *target, bool fwb,
		      enum s2attr_hook_kind kind, char *why, size_t why_len);
void s2attr_hook_stop(void);
/* Is the hook patched into the kernel's text now? */
bool s2attr_hook_armed(void);

/* The first piece of KVM's private data that did not look as expected. */
struct s2attr_layout_report {
	const char *what;
	u64 value;
};

/* True, with the first mismatch, once the hook stopped rewriting. */
bool s2attr_hook_layout_report(struct s2attr_layout_report *report);
/* "ftrace" or "kprobe" once started. */
const char *s2attr_hook_kind_name(void);

#endif /* KVM_S2ATTR_HOOK_H */
