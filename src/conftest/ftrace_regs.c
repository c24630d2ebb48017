// SPDX-License-Identifier: GPL-2.0
/* ftrace callbacks receive a struct ftrace_regs (v5.11+), not pt_regs. */
#include <linux/ftrace.h>

static void conftest_cb(unsigned long ip, unsigned long parent_ip,
			struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}

ftrace_func_t conftest_ftrace_regs = conftest_cb;
