/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types and helpers shared by the pure-logic files (bdf.c, memattr.c,
 * bar_table.c, params.c, idrules.c, platform.c), which build both into the
 * module and into the user-space unit tests (tests/unit). Only this header
 * knows which.
 */
#ifndef KVM_S2ATTR_TYPES_H
#define KVM_S2ATTR_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/sort.h>

/* Heapsort: no allocation, O(n log n) worst case. */
#define s2attr_sort(base, num, size, cmp) sort(base, num, size, cmp, NULL)
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define s2attr_sort(base, num, size, cmp) qsort(base, num, size, cmp)
#endif

#endif /* KVM_S2ATTR_TYPES_H */
