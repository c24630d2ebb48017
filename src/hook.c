// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the point in KVM's stage-2 map path to hook.
 *
 * Every stage-2 leaf KVM installs for a guest is written by
 * stage2_map_walker(), driven by one walk per kvm_pgtable_stage2_map()
 * call; the leaf attributes are computed before the walk and carried in the
 * walker's private map data. Hooking the walk function (once per map) rather
 * than the visitor (once per table level) keeps the cost of every RAM fault
 * low. Which function performs that walk depends on inlining, so it is read
 * from kvm_pgtable_stage2_map()'s own code rather than assumed.
 *
 * The hook rewrites only the MemAttr field of the pending leaf attributes,
 * before the walk installs them, and only for mappings that KVM made Device
 * or Normal-NC (never RAM or anything cacheable) whose whole physical range
 * lies in a listed device's BAR, or, with default=device, NC mappings in a
 * memory BAR of an unlisted device bound to vfio-pci (never memory that a
 * vfio-pci variant driver exposes but that is no BAR).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/rcupdate.h>
#include <linux/sched/task_stack.h>
#include <linux/uaccess.h>
#include <asm/debug-monitors.h>
#include <asm/insn.h>

#include "compat/compat.h"
#include "snapshot.h"
#include "hook.h"
#include "ksym.h"
#include "kvm_s2attr_trace.h"

/* Does the function at func contain a direct call (BL) to target? */
static bool s2attr_func_calls(unsigned long func, unsigned long size,
			      unsigned long target)
{
	unsigned long pc;

	for (pc = func; pc + AARCH64_INSN_SIZE <= func + size;
	     pc += AARCH64_INSN_SIZE) {
		u32 insn = le32_to_cpu(*(__le32 *)pc);
		/* BL: 0b100101 imm26, target = pc + sign_extend(imm26) * 4 */
		long offset;

		if ((insn & 0xfc000000) != 0x94000000)
			continue;
		offset = sign_extend64(insn & 0x03ffffff, 25) * 4;
		if (pc + offset == target)
			return true;
	}
	return false;
}

int s2attr_hook_resolve(struct s2attr_hook_target *t, char *why, size_t len)
{
	unsigned long walk, walk_data, size;

	t->stage2_map = s2attr_ksym_lookup("kvm_pgtable_stage2_map");
	t->map_walker = s2attr_ksym_lookup("stage2_map_walker");
	if (!t->stage2_map || !t->map_walker) {
		snprintf(why, len,
			 "KVM's stage-2 code (kvm_pgtable_stage2_map, stage2_map_walker) not found in kallsyms: this kernel's KVM is not built in or not supported");
		return -ENOENT;
	}
	size = s2attr_ksym_size(t->stage2_map);
	if (!size) {
		snprintf(why, len, "cannot size kvm_pgtable_stage2_map");
		return -ENOENT;
	}

	walk = s2attr_ksym_lookup("kvm_pgtable_walk");
	if (S2ATTR_CAN_HOOK_WALK_ARGS && walk &&
	    s2attr_func_calls(t->stage2_map, size, walk)) {
		t->func = "kvm_pgtable_walk";
		t->func_addr = walk;
		t->abi = S2ATTR_WALK_ARGS;
		return 0;
	}
	walk_data = s2attr_ksym_lookup("_kvm_pgtable_walk");
	if (S2ATTR_CAN_HOOK_WALK_DATA && walk_data &&
	    s2attr_func_calls(t->stage2_map, size, walk_data)) {
		t->func = "_kvm_pgtable_walk";
		t->func_addr = walk_data;
		t->abi = S2ATTR_WALK_DATA_V1;
		return 0;
	}
	snprintf(why, len,
		 "kvm_pgtable_stage2_map does not call %s directly: this KVM build is not one kvm-s2attr knows how to hook",
		 S2ATTR_CAN_HOOK_WALK_ARGS && S2ATTR_CAN_HOOK_WALK_DATA ?
		 "kvm_pgtable_walk or _kvm_pgtable_walk" :
		 S2ATTR_CAN_HOOK_WALK_ARGS ? "kvm_pgtable_walk" :
		 S2ATTR_CAN_HOOK_WALK_DATA ? "_kvm_pgtable_walk" :
		 "a walk function with a prototype it knows");
	return -EOPNOTSUPP;
}

static struct s2attr_hook_target s2attr_target;
static bool s2attr_fwb;
static enum s2attr_hook_kind s2attr_active;

/*
 * KVM's private layouts are fixed when the kernel is built, so checking
 * them on the first map walks after load proves them for the later ones:
 * RAM faults then do not pay for the checks, and a layout that hides the
 * attributes still shows on the first guest's first faults. The path that
 * writes checks every time. > 0: walks left to check; 0: checked; < 0:
 * found wrong, so nothing is written (KVM's own attributes apply) until
 * the module is reloaded.
 */
#define S2ATTR_LAYOUT_CHECKS 1024
static int s2attr_walk_checks = S2ATTR_LAYOUT_CHECKS;
static bool s2attr_layout_bad;
static struct s2attr_layout_report s2attr_layout_first;

/* Not inlined: the map path only branches here when something is wrong. */
static noinline void s2attr_layout_mismatch(const char *what, u64 value)
{
	if (!cmpxchg(&s2attr_layout_first.what, NULL, what)) {
		s2attr_layout_first.value = value;
		pr_err("KVM's stage-2 map data is not laid out as this module expects (%s: 0x%llx): rewriting stopped, KVM's own attributes apply; unload the module and report this kernel\n",
		       what, value);
	}
	WRITE_ONCE(s2attr_layout_bad, true);
	WRITE_ONCE(s2attr_walk_checks, -1);
}

bool s2attr_hook_layout_report(struct s2attr_layout_report *report)
{
	if (!READ_ONCE(s2attr_layout_bad))
		return false;
	*report = s2attr_layout_first;
	return true;
}

/*
 * KVM's map data is private to pgtable.c; every supported kernel starts it
 * with {phys, attr} on the caller's stack. Check that before trusting it:
 * a wrong guess would write into KVM's data under its lock.
 */
static noinline bool s2attr_map_data_valid(struct s2attr_map_data_head *map,
					   u64 attr)
{
	if (!object_is_on_stack(map)) {
		s2attr_layout_mismatch("map data not on the stack", 0);
		return false;
	}
	if (!s2attr_leaf_attr_plausible(attr)) {
		s2attr_layout_mismatch("attributes", attr);
		return false;
	}
	if (map->phys & ~PAGE_MASK) {
		s2attr_layout_mismatch("output address", map->phys);
		return false;
	}
	return true;
}

/*
 * A Device or Normal-NC mapping is about to be installed: check the map
 * data, look its range up and set the attribute asked for.
 */
static __always_inline void s2attr_rewrite(struct s2attr_map_data_head *map,
					   u64 size, u64 attr, u64 field)
{
	const struct s2attr_snapshot *snap;
	const struct s2attr_range *range;
	const struct s2attr_owner *owner;
	enum s2attr_memattr want;
	atomic64_t *counter;
	u64 new;

	if (READ_ONCE(s2attr_layout_bad) || !s2attr_map_data_valid(map, attr))
		return;
	/* KVM holds mmu_lock; this also makes the snapshot's lifetime explicit. */
	rcu_read_lock_sched_notrace();
	snap = rcu_dereference_sched(s2attr_snapshot);
	range = snap ? s2attr_ranges_lookup(snap->ranges, snap->nr, map->phys,
					    size) : NULL;
	if (!range)
		goto out;
	owner = &snap->owners[range->owner];
	if (owner->listed)
		want = owner->memattr;
	else if (field == S2ATTR_S2_NORMAL_NC &&
		 READ_ONCE(s2attr_default_memattr) == S2ATTR_DEFAULT_DEVICE)
		want = S2ATTR_MEMATTR_DEVICE;
	else
		goto out;
	counter = owner->rewrites;
	new = s2attr_pte_set_memattr(attr, want, s2attr_fwb);
	if (new != attr) {
		WRITE_ONCE(map->attr, new);
		atomic64_inc(counter);
		trace_kvm_s2attr_rewrite(map->phys, size, owner->listed,
					 owner->bdf, range->bar,
					 (attr >> 2) & 0xf, (new >> 2) & 0xf);
	}
out:
	rcu_read_unlock_sched_notrace();
}

/*
 * A map walk that is not RAM with the layout already checked: one of the
 * first map walks (count it, check the map data; a decrement lost to a
 * racing one only checks once more, and a mismatch's -1 is never
 * overwritten), or a Device or Normal-NC mapping. Out of line, so that
 * the RAM path stays a few instructions long.
 */
static noinline void s2attr_map_walk_slow(struct s2attr_map_data_head *map,
					  u64 size, u64 attr)
{
	int left = READ_ONCE(s2attr_walk_checks);
	u64 field;

	if (left < 0)
		return;
	if (left > 0) {
		cmpxchg(&s2attr_walk_checks, left, left - 1);
		if (!s2attr_map_data_valid(map, attr))
			return;
	}
	field = (attr & S2ATTR_PTE_MEMATTR_MASK) >> S2ATTR_PTE_MEMATTR_SHIFT;
	/* RAM and anything cacheable: never touched. */
	if (field == S2ATTR_S2_DEVICE_NGNRE || field == S2ATTR_S2_NORMAL_NC)
		s2attr_rewrite(map, size, attr, field);
}

/*
 * Runs on every stage-2 walk, with mmu_lock held (a spinning rwlock, or on
 * PREEMPT_RT a sleeping one: never sleep here either way). Most walks are
 * not map walks (a RAM fault makes two walks on 6.x): they leave at the
 * first test. The walker's layout is public (kvm_pgtable.h); the map
 * data, on KVM's stack, can be read before it is checked but not trusted.
 * A RAM map walk leaves without a call once the layout was checked.
 * checked: the caller just saw that it was (the slow path reads again).
 */
static __always_inline void s2attr_on_map_walk(struct kvm_pgtable_walker *walker,
					       u64 size, const bool checked)
{
	struct s2attr_map_data_head *map;
	u64 attr, field;

	if ((unsigned long)walker->cb != s2attr_target.map_walker)
		return;
	map = walker->arg;
	attr = READ_ONCE(map->attr);
	field = (attr & S2ATTR_PTE_MEMATTR_MASK) >> S2ATTR_PTE_MEMATTR_SHIFT;
	if ((checked || likely(!READ_ONCE(s2attr_walk_checks))) &&
	    field != S2ATTR_S2_DEVICE_NGNRE && field != S2ATTR_S2_NORMAL_NC)
		return;
	s2attr_map_walk_slow(map, size, attr);
}

#if S2ATTR_CAN_HOOK_WALK_DATA
/* Both live on kvm_pgtable_walk()'s and its caller's stacks. */
static noinline bool s2attr_walk_data_valid(struct s2attr_walk_data_v1 *data)
{
	if (READ_ONCE(s2attr_walk_checks) < 0)
		return false;
	if (object_is_on_stack(data) && object_is_on_stack(data->walker) &&
	    data->addr <= data->end)
		return true;
	s2attr_layout_mismatch("walk data not on the stack or its range reversed",
			       0);
	return false;
}

/*
 * _kvm_pgtable_walk(data): the walk data is private too, and its walker
 * is only found through it: checked (on the first map walks) before use.
 */
static noinline void s2attr_on_walk_data_v1_checked(struct s2attr_walk_data_v1 *data)
{
	if (s2attr_walk_data_valid(data))
		s2attr_on_map_walk(data->walker, data->end - data->addr, false);
}

static __always_inline void s2attr_on_walk_data_v1(unsigned long arg0)
{
	struct s2attr_walk_data_v1 *data = (void *)arg0;

	if (unlikely(READ_ONCE(s2attr_walk_checks)))
		s2attr_on_walk_data_v1_checked(data);
	else
		s2attr_on_map_walk(data->walker, data->end - data->addr, true);
}
#endif

/* One ftrace callback per walk function's prototype (hook.h). */
static void notrace s2attr_ftrace_walk_args(unsigned long ip,
					    unsigned long parent_ip,
					    struct ftrace_ops *op,
					    struct s2attr_fregs *fregs)
{
#ifdef KVM_S2ATTR_BENCH_EMPTY_CALLBACK
	/* The floor: what one ftrace callback per walk costs (make bench). */
	return;
#endif
	s2attr_on_map_walk((struct kvm_pgtable_walker *)s2attr_fregs_arg(fregs, 3),
			   s2attr_fregs_arg(fregs, 2), false);
}

#if S2ATTR_CAN_HOOK_WALK_DATA
static void notrace s2attr_ftrace_walk_data_v1(unsigned long ip,
					       unsigned long parent_ip,
					       struct ftrace_ops *op,
					       struct s2attr_fregs *fregs)
{
#ifdef KVM_S2ATTR_BENCH_EMPTY_CALLBACK
	return;
#endif
	s2attr_on_walk_data_v1(s2attr_fregs_arg(fregs, 0));
}
#endif

/*
 * PERMANENT: with kernel.ftrace_enabled=0 the callback would silently not
 * run; this makes registration fail there (so "auto" falls back to a
 * kprobe) and the sysctl refuse to turn ftrace off while it is registered.
 */
static struct ftrace_ops s2attr_ftrace_ops = {
	.func = s2attr_ftrace_walk_args,
	.flags = S2ATTR_FTRACE_SAVE_REGS | S2ATTR_FTRACE_RECURSION_FLAGS |
		 FTRACE_OPS_FL_PERMANENT,
};

static int s2attr_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
#if S2ATTR_CAN_HOOK_WALK_DATA
	if (s2attr_target.abi == S2ATTR_WALK_DATA_V1) {
		s2attr_on_walk_data_v1(regs->regs[0]);
		return 0;
	}
#endif
	s2attr_on_map_walk((struct kvm_pgtable_walker *)regs->regs[3],
			   regs->regs[2], false);
	return 0;
}

static struct kprobe s2attr_kprobe = {
	.pre_handler = s2attr_kprobe_pre,
};

/*
 * ftrace turns a NOP among the function's first instructions (after BTI
 * and the "mov x9, x30" it adds itself) into a BL to its trampoline.
 */
static bool s2attr_ftrace_armed(void)
{
	const __le32 *pc = (const __le32 *)s2attr_target.func_addr;
	int i;

	for (i = 0; i < 4; i++)
		if ((le32_to_cpu(READ_ONCE(pc[i])) & 0xfc000000) == 0x94000000)
			return true;
	return false;
}

/*
 * register_kprobe() succeeds, and arms nothing, while kprobes are disabled
 * system-wide (debugfs kprobes/enabled = 0), and a later disarm does not
 * tell the probe's owner: read the text, where an armed probe is a BRK.
 */
static bool s2attr_kprobe_armed(void)
{
	const __le32 *pc = (const __le32 *)s2attr_kprobe.addr;

	return !kprobe_disabled(&s2attr_kprobe) &&
	       le32_to_cpu(READ_ONCE(*pc)) == BRK64_OPCODE_KPROBES;
}

bool s2attr_hook_armed(void)
{
	switch (s2attr_active) {
	case S2ATTR_HOOK_FTRACE:
		return s2attr_ftrace_armed();
	case S2ATTR_HOOK_KPROBE:
		return s2attr_kprobe_armed();
	default:
		return false;
	}
}

static int s2attr_ftrace_start(char *why, size_t len)
{
	char name[KSYM_NAME_LEN];
	int err;

#if S2ATTR_CAN_HOOK_WALK_DATA
	if (s2attr_target.abi == S2ATTR_WALK_DATA_V1)
		s2attr_ftrace_ops.func = s2attr_ftrace_walk_data_v1;
#endif
	strscpy(name, s2attr_target.func, sizeof(name));
	err = ftrace_set_filter(&s2attr_ftrace_ops, name, strlen(name), 1);
	if (err) {
		snprintf(why, len, "ftrace cannot trace %s (%d)",
			 s2attr_target.func, err);
		return err;
	}
	err = register_ftrace_function(&s2attr_ftrace_ops);
	if (err) {
		s2attr_ftrace_free_filter(&s2attr_ftrace_ops);
		snprintf(why, len, "registering the ftrace callback on %s failed (%d)",
			 s2attr_target.func, err);
		return err;
	}
	if (!s2attr_ftrace_armed()) {
		unregister_ftrace_function(&s2attr_ftrace_ops);
		s2attr_ftrace_free_filter(&s2attr_ftrace_ops);
		snprintf(why, len,
			 "the ftrace callback on %s was registered but the function's text was not patched",
			 s2attr_target.func);
		return -EPERM;
	}
	return 0;
}

static int s2attr_kprobe_start(char *why, size_t len)
{
	int err;

	s2attr_kprobe.addr = (kprobe_opcode_t *)s2attr_target.func_addr;
	err = register_kprobe(&s2attr_kprobe);
	if (err) {
		snprintf(why, len, "registering a kprobe on %s failed (%d)",
			 s2attr_target.func, err);
		return err;
	}
	if (!s2attr_kprobe_armed()) {
		unregister_kprobe(&s2attr_kprobe);
		snprintf(why, len,
			 "the kprobe on %s was registered but is not armed: kprobes are disabled system-wide (enable them with 'echo 1 > /sys/kernel/debug/kprobes/enabled', or use hook=ftrace)",
			 s2attr_target.func);
		return -EPERM;
	}
	return 0;
}

int s2attr_hook_start(const struct s2attr_hook_target *target, bool fwb,
		      enum s2attr_hook_kind kind, char *why, size_t len)
{
	int err = -EINVAL;

	s2attr_target = *target;
	s2attr_fwb = fwb;
	if (kind != S2ATTR_HOOK_KPROBE) {
		err = s2attr_ftrace_start(why, len);
		if (!err) {
			s2attr_active = S2ATTR_HOOK_FTRACE;
			return 0;
		}
		if (kind == S2ATTR_HOOK_FTRACE)
			return err;
		pr_warn("%s: falling back to a kprobe, which costs more per fault\n",
			why);
	}
	err = s2attr_kprobe_start(why, len);
	if (!err)
		s2attr_active = S2ATTR_HOOK_KPROBE;
	return err;
}

/* Returns once no callback runs any more. */
void s2attr_hook_stop(void)
{
	if (s2attr_active == S2ATTR_HOOK_FTRACE) {
		unregister_ftrace_function(&s2attr_ftrace_ops);
		s2attr_ftrace_free_filter(&s2attr_ftrace_ops);
	} else if (s2attr_active == S2ATTR_HOOK_KPROBE) {
		unregister_kprobe(&s2attr_kprobe);
	}
	s2attr_active = S2ATTR_HOOK_AUTO;
}

const char *s2attr_hook_kind_name(void)
{
	switch (s2attr_active) {
	case S2ATTR_HOOK_FTRACE:
		return "ftrace";
	case S2ATTR_HOOK_KPROBE:
		return "kprobe";
	default:
		return "none";
	}
}
