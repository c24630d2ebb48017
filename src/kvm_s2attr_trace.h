/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events (kvm_s2attr:*, for trace-cmd and perf): which stage-2
 * mapping got which attribute, and what each application of a change to
 * running guests did.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm_s2attr

#if !defined(KVM_S2ATTR_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVM_S2ATTR_TRACE_H

#include <linux/tracepoint.h>

#include "bdf.h"

/*
 * A mapping of [phys, phys + size) is installed with new_memattr (MemAttr,
 * descriptor bits [5:2]) instead of KVM's old_memattr; bdf is the listed
 * device's, or unset (listed false) for default=device.
 */
TRACE_EVENT(kvm_s2attr_rewrite,
	TP_PROTO(u64 phys, u64 size, bool listed, u32 bdf, u8 bar,
		 u8 old_memattr, u8 new_memattr),
	TP_ARGS(phys, size, listed, bdf, bar, old_memattr, new_memattr),
	TP_STRUCT__entry(
		__field(u64, phys)
		__field(u64, size)
		__field(bool, listed)
		__field(u32, bdf)
		__field(u8, bar)
		__field(u8, old_memattr)
		__field(u8, new_memattr)
	),
	TP_fast_assign(
		__entry->phys = phys;
		__entry->size = size;
		__entry->listed = listed;
		__entry->bdf = bdf;
		__entry->bar = bar;
		__entry->old_memattr = old_memattr;
		__entry->new_memattr = new_memattr;
	),
	TP_printk("phys=%#llx size=%#llx dev=%04x:%02x:%02x.%x%s bar=%u memattr=%#x->%#x",
		  __entry->phys, __entry->size, S2ATTR_BDF_DOMAIN(__entry->bdf),
		  S2ATTR_BDF_BUS(__entry->bdf), S2ATTR_BDF_DEV(__entry->bdf),
		  S2ATTR_BDF_FN(__entry->bdf),
		  __entry->listed ? "" : "(default)", __entry->bar,
		  __entry->old_memattr, __entry->new_memattr)
);

/* A change was applied to running guests: pci device bdf's BARs. */
TRACE_EVENT(kvm_s2attr_apply,
	TP_PROTO(u32 bdf, u32 bars, u32 mappings, int err),
	TP_ARGS(bdf, bars, mappings, err),
	TP_STRUCT__entry(
		__field(u32, bdf)
		__field(u32, bars)
		__field(u32, mappings)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->bdf = bdf;
		__entry->bars = bars;
		__entry->mappings = mappings;
		__entry->err = err;
	),
	TP_printk("dev=%04x:%02x:%02x.%x bars=%u mappings=%u err=%d",
		  S2ATTR_BDF_DOMAIN(__entry->bdf), S2ATTR_BDF_BUS(__entry->bdf),
		  S2ATTR_BDF_DEV(__entry->bdf), S2ATTR_BDF_FN(__entry->bdf),
		  __entry->bars, __entry->mappings, __entry->err)
);

#endif /* KVM_S2ATTR_TRACE_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE kvm_s2attr_trace
#include <trace/define_trace.h>
