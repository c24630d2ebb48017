// SPDX-License-Identifier: GPL-2.0
/* Arguments can be read from ftrace_regs without a full pt_regs (WITH_ARGS). */
#include <linux/ftrace.h>

unsigned long conftest_get_argument(struct ftrace_regs *fregs);
unsigned long conftest_get_argument(struct ftrace_regs *fregs)
{
	return ftrace_regs_get_argument(fregs, 0);
}
