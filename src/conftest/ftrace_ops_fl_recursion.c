// SPDX-License-Identifier: GPL-2.0
/* Recursion protection is opt-in (v5.11+), not opt-out via RECURSION_SAFE. */
#include <linux/ftrace.h>

unsigned long conftest_fl_recursion = FTRACE_OPS_FL_RECURSION;
