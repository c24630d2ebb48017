// SPDX-License-Identifier: GPL-2.0
/* The module's trace events, defined once (see kvm_s2attr_trace.h). */
#define CREATE_TRACE_POINTS
#include "kvm_s2attr_trace.h"
