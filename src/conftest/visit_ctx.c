// SPDX-License-Identifier: GPL-2.0
/* Stage-2 visitors take a struct kvm_pgtable_visit_ctx (v6.2+ layout). */
#include <asm/kvm_pgtable.h>

static int conftest_cb(const struct kvm_pgtable_visit_ctx *ctx,
		       enum kvm_pgtable_walk_flags visit)
{
	return ctx->level;
}

kvm_pgtable_visitor_fn_t conftest_visit_ctx = conftest_cb;
