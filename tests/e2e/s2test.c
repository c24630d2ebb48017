// SPDX-License-Identifier: GPL-2.0
/*
 * s2test - end-to-end check of the stage-2 mapping KVM gives a vfio-pci BAR.
 *
 * Runs inside an arm64 guest of QEMU (which provides EL2, so KVM works):
 *   1. opens the vfio group/device of a PCI function and mmaps one BAR,
 *      at a host virtual address congruent to the BAR's physical address
 *      modulo 1 GiB, so that KVM is free to use block mappings;
 *      "page" below is the host's page (sysconf), which is KVM's stage-2
 *      granule: 4 KiB, or 16 KiB on Debian's arm64-16k kernels;
 *   2. creates a KVM VM with a RAM memslot (guest code + a list of BAR
 *      offsets) and a memslot backed by the BAR mmap, at a guest-physical
 *      address with the same congruence;
 *   3. runs one vCPU whose code loads word0 of every listed BAR page, stores
 *      ~word0 to word1 and the offset to word2, then reports the sum and
 *      count of what it loaded by writing to unmapped GPAs (KVM_EXIT_MMIO);
 *   4. checks every page of the BAR through its own mapping;
 *   5. while the VM still exists, reads the stage-2 leaf descriptor of every
 *      page of the BAR's IPA range through the test-only s2peek module (which
 *      walks the tables by hand), decodes MemAttr itself and compares it with
 *      --expect, and checks the output address is the BAR's own.
 * It leaves word0..2 of the touched pages in the BAR (and so in the file
 * backing the QEMU ivshmem device) for the host harness to verify; the
 * "# s2test-pattern" line describes it.
 *
 * Output is TAP (plan at the end). Test names carry no kernel/mode: the host
 * harness prefixes them. Exit status: 0 all passed, 1 a test failed, 2 usage.
 *
 * With --live, the VM then stays: its vCPUs keep storing and reading back
 * sequence numbers on the touched pages while a scenario changes the BAR's
 * attribute, and s2test checks stage 2 after each change (see live_loop()).
 *
 * Build: aarch64-linux-gnu-gcc -O2 -static -pthread -Wall -o s2test s2test.c
 */
#define _GNU_SOURCE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

#include "vmlib.h"

#define SZ_1G		UINT64_C(0x40000000)

#define RAM_GPA		UINT64_C(0x40000000)	/* guest code + parameters */
#define RAM_SIZE	UINT64_C(0x100000)
#define PARAM_OFF	UINT64_C(0x1000)	/* struct guest_params in RAM */
#define MMIO_GPA	UINT64_C(0x20000000)	/* unmapped: every access exits */
#define LIVE_CODE_OFF	UINT64_C(0x800)		/* --live: the vCPUs' loop */
#define STOP_OFF	UINT64_C(0xff8)		/* --live: 1 = stop after this pass */
#define MAX_VCPUS	8
#define BAR_GPA_BASE	UINT64_C(0x100000000)	/* + (BAR PA mod 1 GiB) */
#define MAX_PAGES	((RAM_SIZE - PARAM_OFF) / 8 - 3)

/* ---------------------------------------------------------------- TAP -- */

static int tap_n, tap_failed;

static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* Diagnostics about the next test, printed after its result line. */
static char diag_buf[16384];
static size_t diag_len;

static void tap_defer(const char *fmt, ...)
{
	size_t room = sizeof(diag_buf) - diag_len;
	va_list ap;
	int n;

	if (room < 4)
		return;
	va_start(ap, fmt);
	n = vsnprintf(diag_buf + diag_len + 2, room - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > room - 4)
		n = room - 4;
	diag_buf[diag_len] = '#';
	diag_buf[diag_len + 1] = ' ';
	diag_len += 2 + n;
	diag_buf[diag_len++] = '\n';
	diag_buf[diag_len] = 0;
}

static bool tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fputs(diag_buf, stdout);
	diag_len = 0;
	diag_buf[0] = 0;
	fflush(stdout);
	if (!ok)
		tap_failed++;
	return ok;
}

static __attribute__((noreturn)) void tap_plan_and_exit(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	exit(tap_failed ? 1 : 0);
}

/* A step that cannot fail without making the rest meaningless. */
static void bail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tap_result(false, "%s (errno %d: %s)", msg, errno, strerror(errno));
	tap_plan_and_exit();
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ------------------------------------------------------ page sizes -- */

/*
 * The host's page size: the unit of memslots and of the host's mappings,
 * and KVM's stage-2 granule. The walk's own granule is what s2peek says it
 * walked with (g_granule, checked against --granule): the level sizes
 * come from it, so that a walk with another granule shows as wrong output
 * addresses rather than being read as if it were right.
 */
static uint64_t page_size;
static uint64_t g_granule;
static unsigned int g_granule_shift;

static unsigned int log2u64(uint64_t v)
{
	unsigned int n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* Bytes mapped by one leaf at level (3: a page; 2, 1, 0: blocks). */
static uint64_t level_bytes(int level)
{
	return g_granule << ((g_granule_shift - 3) * (3 - level));
}

/* "4K", "32M", ...: the size of a leaf at level, for messages. */
static const char *level_size(int level)
{
	static char buf[4][16];
	static const char units[] = "KMGTP";
	uint64_t b;
	int u = 0;

	if (level < 0 || level > 3 || !g_granule)
		return "?";
	b = level_bytes(level) >> 10;
	while (b >= 1024 && u < 4) {
		b >>= 10;
		u++;
	}
	snprintf(buf[level], sizeof(buf[level]), "%" PRIu64 "%c", b, units[u]);
	return buf[level];
}

/* ------------------------------------------------- MemAttr decoding -- */

/*
 * Stage-2 descriptor MemAttr, bits [5:2] (Arm ARM D8.5.5). Without
 * FEAT_S2FWB: [3:2] = outer, [1:0] = inner (00 with outer 00 = Device,
 * [1:0] then the Device type). With FWB (HCR_EL2.FWB=1): [2] = 0 Device
 * ([1:0] type), [2] = 1 Normal: [1:0] 01 NC, 10 WB, 11 use stage 1.
 * Written from the architecture, independently of KVM and of the module.
 */
struct memattr_code {
	bool fwb;
	unsigned int val;
	const char *name;
};

static const struct memattr_code memattr_codes[] = {
	{ false, 0x0, "device-ngnrne" }, { true, 0x0, "device-ngnrne" },
	{ false, 0x1, "device-ngnre" },  { true, 0x1, "device-ngnre" },
	{ false, 0x2, "device-ngre" },   { true, 0x2, "device-ngre" },
	{ false, 0x3, "device-gre" },    { true, 0x3, "device-gre" },
	{ false, 0x5, "normal-nc" },     { true, 0x5, "normal-nc" },
	{ false, 0xa, "normal-wt" },
	{ false, 0xf, "normal-wb" },     { true, 0x6, "normal-wb" },
	{ true, 0x7, "normal-s1" },
};

static const char *memattr_name(unsigned int val, bool fwb)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(memattr_codes); i++)
		if (memattr_codes[i].fwb == fwb && memattr_codes[i].val == val)
			return memattr_codes[i].name;
	return fwb ? "other-fwb" : "other";
}

/* -------------------------------------------------- descriptor bits -- */

#define D_MEMATTR(d)	(((d) >> 2) & 0xf)
#define D_S2AP(d)	(((d) >> 6) & 0x3)
#define D_AF		(1ULL << 10)
#define D_XN(d)		(((d) >> 53) & 0x3)

/*
 * The output address of a leaf: bits [47:n] (LPA2: [49:n] and [51:50] in
 * [9:8]), n the log2 of its size.
 */
static uint64_t desc_oa(uint64_t d, int level, bool lpa2)
{
	int shift = log2u64(level_bytes(level));
	uint64_t oa = d & (((1ULL << 48) - 1) & ~((1ULL << shift) - 1));

	if (lpa2)
		oa = (d & (((1ULL << 50) - 1) & ~((1ULL << shift) - 1))) |
		     (((d >> 8) & 3) << 50);
	return oa;
}

/* Attribute bits of a leaf: everything but the output address. */
static uint64_t desc_attrs(uint64_t d, bool lpa2)
{
	uint64_t oa_bits = ((1ULL << 48) - 1) & ~(g_granule - 1);

	if (lpa2)
		oa_bits = (((1ULL << 50) - 1) & ~(g_granule - 1)) | (3ULL << 8);
	return d & ~oa_bits;
}

/* ------------------------------------------------------- guest code -- */

/*
 * EL1, MMU off, position independent. x0 = GPA of struct guest_params.
 * For each offset: x6 = bar[off], and unless read_only, bar[off+8] = ~x6,
 * bar[off+16] = off. Then MMIO writes: sum of loaded words to MMIO_GPA,
 * count to MMIO_GPA+8.
 */
struct guest_params {
	uint64_t bar_gpa;
	uint64_t count;
	uint64_t read_only;
	uint64_t offsets[];
};

extern const uint32_t guest_start[], guest_end[];
__asm__(
	".pushsection .rodata\n"
	".balign 4\n"
	".global guest_start\n.global guest_end\n"
	"guest_start:\n"
	"	ldr	x1, [x0]\n"
	"	ldr	x2, [x0, #8]\n"
	"	ldr	x11, [x0, #16]\n"
	"	add	x3, x0, #24\n"
	"	mov	x8, #0\n"
	"	mov	x9, #0\n"
	"1:	cbz	x2, 2f\n"
	"	ldr	x4, [x3], #8\n"
	"	add	x5, x1, x4\n"
	"	ldr	x6, [x5]\n"
	"	cbnz	x11, 4f\n"
	"	mvn	x7, x6\n"
	"	str	x7, [x5, #8]\n"
	"	str	x4, [x5, #16]\n"
	"4:	add	x8, x8, x6\n"
	"	add	x9, x9, #1\n"
	"	sub	x2, x2, #1\n"
	"	b	1b\n"
	"2:	movz	x10, #0x2000, lsl #16\n"
	"	str	x8, [x10]\n"
	"	str	x9, [x10, #8]\n"
	"3:	b	3b\n"
	"guest_end:\n"
	".popsection\n");

/*
 * --live, on every vCPU: x0 = GPA of struct guest_params, x1 = this vCPU's
 * index, x2 = number of vCPUs, x3 = GPA of the stop flag, x14 = the byte
 * offset of its word in a page (24: word 3; --second-vm's vCPUs: word 4).
 * Pass seq = 1, 2, ...: for every offset j = x1, x1 + x2, ... store
 * (seq << 32 | j) to that word of the page and load it back; a different
 * value is reported (MMIO+16 what was stored, MMIO+40 what came back).
 * After each pass: seq to MMIO+24; if the stop flag is set, seq to MMIO+32
 * and spin. Words 0-2 (s2test's pattern) are left alone.
 */
extern const uint32_t guest_live_start[], guest_live_end[];
__asm__(
	".pushsection .rodata\n"
	".balign 4\n"
	".global guest_live_start\n.global guest_live_end\n"
	"guest_live_start:\n"
	"	ldr	x4, [x0]\n"
	"	ldr	x5, [x0, #8]\n"
	"	add	x6, x0, #24\n"
	"	movz	x10, #0x2000, lsl #16\n"
	"	mov	x7, #1\n"
	"1:	mov	x8, x1\n"
	"2:	cmp	x8, x5\n"
	"	b.hs	4f\n"
	"	ldr	x9, [x6, x8, lsl #3]\n"
	"	add	x9, x4, x9\n"
	"	orr	x11, x8, x7, lsl #32\n"
	"	str	x11, [x9, x14]\n"
	"	ldr	x12, [x9, x14]\n"
	"	cmp	x12, x11\n"
	"	b.eq	3f\n"
	"	str	x11, [x10, #16]\n"
	"	str	x12, [x10, #40]\n"
	"3:	add	x8, x8, x2\n"
	"	b	2b\n"
	"4:	str	x7, [x10, #24]\n"
	"	ldr	x13, [x3]\n"
	"	cbnz	x13, 5f\n"
	"	add	x7, x7, #1\n"
	"	b	1b\n"
	"5:	str	x7, [x10, #32]\n"
	"6:	b	6b\n"
	"guest_live_end:\n"
	".popsection\n");

/* --------------------------------------------------------- options -- */

enum touch { TOUCH_AUTO, TOUCH_ALL, TOUCH_SPARSE };

static struct {
	const char *bdf;
	int bar;
	const char *expect;	/* memattr name, "kernel-default" or "any" */
	enum touch touch;
	uint64_t seed;
	int timeout_s;
	bool selftest;
	bool hold_vm;
	bool read_only;		/* --read-only: the guest only loads */
	bool allow_unmapped;	/* --allow-unmapped: see usage() */
	bool no_host_touch;	/* --no-host-touch: see usage() */
	bool expect_eager;	/* --expect-eager: see usage() */
	uint64_t granule;	/* --granule: the stage-2 granule expected */
	bool page_align;	/* --align page: make block mappings impossible */
	const char *levels;	/* --levels: "blocks", "pages" or NULL (any) */
	const char *save_leaves;	/* --save-leaves FILE */
	const char *same_leaves;	/* --same-leaves FILE */
	const char *live_in;	/* --live IN,OUT: commands in, acks out */
	const char *live_out;
	int vcpus;		/* --vcpus: how many run the --live loop */
	int forks;		/* --forks: child processes sharing the mapping */
	int resets;		/* --resets: VFIO_DEVICE_RESETs at the end */
	bool second_vm;		/* --second-vm: see usage() */
	bool sysfs_map;		/* --sysfs-map: see usage() */
} opt = { .bar = 2, .expect = "any", .timeout_s = 60, .vcpus = 1 };

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [options] BDF\n"
		"  --bar N          BAR index (default 2)\n"
		"  --expect ATTR    device-ngnre | normal-nc | normal-wb |\n"
		"                   kernel-default (stock KVM: Device-nGnRE before 6.9,\n"
		"                   Normal-NC since) | any (default: report only)\n"
		"  --touch MODE     all | sparse | auto (default: all up to 4 MiB;\n"
		"                   sparse = first, second and last page of every\n"
		"                   level-2 block (2 MiB with 4 KiB pages, 32 MiB\n"
		"                   with 16 KiB) plus a few pages of the first one)\n"
		"  --seed N         pattern seed (default: from the clock)\n"
		"  --timeout S      limit for the vCPU run (default 60)\n"
		"  --align MODE     block (default): hva = gpa = pa modulo 1 GiB, so\n"
		"                   KVM may use block mappings; page: hva and gpa one\n"
		"                   page off that, so it must use pages\n"
		"  --levels L       blocks: every leaf of the BAR is a block (L1/L2);\n"
		"                   pages: every leaf is a page (L3) (default: any)\n"
		"  --granule BYTES  one more test: the walk used this translation\n"
		"                   granule (4096, 16384), as does the host's page\n"
		"                   size, with a start level and IPA size the\n"
		"                   architecture allows for it, and the leaves of the\n"
		"                   BAR, at that granule's sizes, cover it exactly\n"
		"  --save-leaves F  write the BAR's leaf descriptors to F\n"
		"  --same-leaves F  every leaf equals the one saved in F (by a run\n"
		"                   without the module) in all bits but MemAttr[5:2];\n"
		"                   with --live, also after each change's re-faults\n"
		"  --read-only      the guest only loads, and nothing checks or leaves\n"
		"                   data: for a register BAR; one smaller than a page\n"
		"                   (page-aligned) is mapped as its page\n"
		"  --live IN,OUT    then keep the VM: for each line of FIFO IN,\n"
		"                   \"expect ATTR\": no leaf of the BAR has another\n"
		"                   attribute, and after one more guest pass every\n"
		"                   touched page has ATTR; \"keep ATTR\": every leaf\n"
		"                   still has ATTR, also after the pass; \"quit\".\n"
		"                   Each command is acknowledged on FIFO OUT. Meanwhile\n"
		"                   --vcpus N (default 1, at most 8) vCPUs store and\n"
		"                   read back a sequence number on every touched page\n"
		"  --second-vm      with --live: a second VM in this process maps the\n"
		"                   same BAR, its --vcpus vCPUs storing to word 4 of\n"
		"                   the same pages; every check of stage 2 is made\n"
		"                   in both VMs\n"
		"  --sysfs-map      map the BAR through its sysfs resource file, not\n"
		"                   through vfio, which it never opens (it turns the\n"
		"                   device's memory decoding on meanwhile, through\n"
		"                   its sysfs config file): a mapping vfio knows\n"
		"                   nothing of\n"
		"  --no-host-touch  this process never touches the BAR through its\n"
		"                   mapping (it reads and writes it with pread and\n"
		"                   pwrite on the vfio device): no host page table\n"
		"                   entry exists until KVM faults one in\n"
		"  --expect-eager   with --no-host-touch: KVM maps the whole BAR when\n"
		"                   its memslot is made (5.10), so every page is mapped\n"
		"                   at stage 2 before the guest runs\n"
		"  --allow-unmapped a touched page may have no stage-2 mapping any more:\n"
		"                   a change applied to running guests, concurrently,\n"
		"                   may have dropped it\n"
		"  --forks N        once the BAR is mapped, fork N processes (at most\n"
		"                   64) that keep the mapping until this one exits:\n"
		"                   N + 1 processes map the device\n"
		"  --resets N       at the end, reset the device N times (at most\n"
		"                   1000) with VFIO_DEVICE_RESET, with the VM still\n"
		"                   there: each must succeed\n"
		"  --selftest       only check the MemAttr decoder's table\n"
		"  --hold-vm        only create an empty VM and keep it until killed\n",
		argv0);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bar", required_argument, NULL, 'b' },
		{ "expect", required_argument, NULL, 'e' },
		{ "touch", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "selftest", no_argument, NULL, 'S' },
		{ "hold-vm", no_argument, NULL, 'H' },
		{ "read-only", no_argument, NULL, 'R' },
		{ "allow-unmapped", no_argument, NULL, 'U' },
		{ "no-host-touch", no_argument, NULL, 'N' },
		{ "expect-eager", no_argument, NULL, 'E' },
		{ "live", required_argument, NULL, 'L' },
		{ "vcpus", required_argument, NULL, 'V' },
		{ "align", required_argument, NULL, 'a' },
		{ "levels", required_argument, NULL, 'l' },
		{ "save-leaves", required_argument, NULL, 'w' },
		{ "same-leaves", required_argument, NULL, 'c' },
		{ "granule", required_argument, NULL, 'g' },
		{ "forks", required_argument, NULL, 'F' },
		{ "resets", required_argument, NULL, 'r' },
		{ "second-vm", no_argument, NULL, '2' },
		{ "sysfs-map", no_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			opt.bar = atoi(optarg);
			break;
		case 'e':
			opt.expect = optarg;
			break;
		case 't':
			if (!strcmp(optarg, "all"))
				opt.touch = TOUCH_ALL;
			else if (!strcmp(optarg, "sparse"))
				opt.touch = TOUCH_SPARSE;
			else if (!strcmp(optarg, "auto"))
				opt.touch = TOUCH_AUTO;
			else
				usage(argv[0]);
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			opt.timeout_s = atoi(optarg);
			break;
		case 'S':
			opt.selftest = true;
			break;
		case 'H':
			opt.hold_vm = true;
			break;
		case 'R':
			opt.read_only = true;
			break;
		case 'N':
			opt.no_host_touch = true;
			break;
		case 'E':
			opt.expect_eager = true;
			break;
		case 'U':
			opt.allow_unmapped = true;
			break;
		case 'V':
			opt.vcpus = atoi(optarg);
			if (opt.vcpus < 1 || opt.vcpus > MAX_VCPUS)
				usage(argv[0]);
			break;
		case 'L': {
			char *comma = strchr(optarg, ',');

			if (!comma)
				usage(argv[0]);
			*comma = 0;
			opt.live_in = optarg;
			opt.live_out = comma + 1;
			break;
		}
		case 'a':
			if (!strcmp(optarg, "page"))
				opt.page_align = true;
			else if (strcmp(optarg, "block"))
				usage(argv[0]);
			break;
		case 'l':
			if (strcmp(optarg, "blocks") && strcmp(optarg, "pages") &&
			    strcmp(optarg, "any"))
				usage(argv[0]);
			opt.levels = strcmp(optarg, "any") ? optarg : NULL;
			break;
		case 'w':
			opt.save_leaves = optarg;
			break;
		case 'c':
			opt.same_leaves = optarg;
			break;
		case 'g':
			opt.granule = strtoull(optarg, NULL, 0);
			if (opt.granule != 4096 && opt.granule != 16384)
				usage(argv[0]);
			break;
		case 'F':
			opt.forks = atoi(optarg);
			if (opt.forks < 0 || opt.forks > 64)
				usage(argv[0]);
			break;
		case '2':
			opt.second_vm = true;
			break;
		case 'Y':
			opt.sysfs_map = true;
			break;
		case 'r':
			opt.resets = atoi(optarg);
			if (opt.resets < 1 || opt.resets > 1000)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (opt.selftest || opt.hold_vm)
		return;
	if (optind != argc - 1 || opt.bar < 0 || opt.bar > 5 ||
	    (opt.expect_eager && !opt.no_host_touch) || (opt.second_vm && !opt.live_in) ||
	    (opt.sysfs_map && opt.no_host_touch))
		usage(argv[0]);
	opt.bdf = argv[optind];
}

/* Resolve an --expect value to a memattr name, or NULL for "any". */
static const char *resolve_memattr(const char *want)
{
	struct utsname u;
	int maj = 0, min = 0;

	size_t i;

	if (!strcmp(want, "any"))
		return NULL;
	if (strcmp(want, "kernel-default")) {
		for (i = 0; i < ARRAY_SIZE(memattr_codes); i++)
			if (!strcmp(want, memattr_codes[i].name))
				return memattr_codes[i].name;
		fprintf(stderr, "unknown memattr %s\n", want);
		exit(2);
	}
	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		bail("cannot parse the kernel release for --expect kernel-default");
	return (maj > 6 || (maj == 6 && min >= 9)) ? "normal-nc" : "device-ngnre";
}

/*
 * Keep one VM in existence: the number of VMs then never drops to zero,
 * which is when KVM turns the scheduler's preempt-notifier static key off
 * (and on again with the next VM). See tests/e2e/scenarios/stress.sh.
 */
static int hold_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR), vm;

	if (kvm < 0)
		bail("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		bail("KVM_CREATE_VM");
	printf("# s2test: holding VM fd %d\n", vm);
	for (;;)
		pause();
	return 0;	/* not reached: killed by the scenario */
}

/*
 * --forks: processes that inherit the BAR's mapping (vfio does not mark it
 * VM_DONTCOPY) and keep it until this process exits; each is one more
 * process an application to running guests must handle.
 */
static void fork_mappers(int n)
{
	pid_t parent = getpid();
	int i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			bail("fork");
		if (pid)
			continue;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (;;)
			pause();
	}
	tap_diag("s2test: %d more processes map dev %s bar %d", n, opt.bdf, opt.bar);
}

/* --expect-eager, before the guest runs: every page of the BAR is mapped. */
static void check_eager_map(int vm, uint64_t bar_gpa, uint64_t pages,
			    struct s2peek_entry *e)
{
	struct s2peek_req req;
	uint64_t i, mapped = 0;

	s2peek_walk(vm, bar_gpa, pages, e, &req);
	for (i = 0; i < pages; i++)
		mapped += !!(e[i].flags & S2PEEK_E_LEAF);
	tap_result(mapped == pages,
		   "eager: KVM mapped all %" PRIu64 " pages of the BAR at stage 2 when its memslot was made, before the guest ran (%" PRIu64 " mapped)",
		   pages, mapped);
}

/* ---------------------------------------------------------- selftest -- */

static int selftest(void)
{
	/* Known encodings and what KVM writes (see NOTES section 3). */
	static const struct { unsigned int val; bool fwb; const char *name; } t[] = {
		{ 0x1, false, "device-ngnre" }, { 0x1, true, "device-ngnre" },
		{ 0x5, false, "normal-nc" },    { 0x5, true, "normal-nc" },
		{ 0xf, false, "normal-wb" },    { 0x6, true, "normal-wb" },
		{ 0x0, false, "device-ngnrne" }, { 0x6, false, "other" },
		{ 0xf, true, "other-fwb" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		const char *got = memattr_name(t[i].val, t[i].fwb);

		tap_result(!strcmp(got, t[i].name),
			   "decoder: MemAttr 0x%x fwb=%d is %s (got %s)",
			   t[i].val, t[i].fwb, t[i].name, got);
	}
	tap_plan_and_exit();
	return 0;
}

/* ------------------------------------------------------------- vfio -- */

struct bar {
	struct vfio_bar v;
	uint64_t size;		/* mapped (a sub-page BAR: a page, read-only) */
	volatile uint64_t *map;
	bool decode_was_on;	/* --sysfs-map: memory decoding before */
};

/*
 * The host's accesses to the BAR: through its mapping, or with
 * --no-host-touch through the vfio device's read and write (vfio-pci's
 * own kernel mapping), which leave the process's page tables alone.
 */
static uint64_t bar_read(struct bar *b, uint64_t off)
{
	uint64_t v;

	if (!opt.no_host_touch)
		return b->map[off / 8];
	if (pread(b->v.dev, &v, 8, b->v.offset + off) != 8)
		bail("pread bar%d at 0x%" PRIx64, opt.bar, off);
	return v;
}

static void bar_write(struct bar *b, uint64_t off, uint64_t v)
{
	if (!opt.no_host_touch) {
		b->map[off / 8] = v;
		return;
	}
	if (pwrite(b->v.dev, &v, 8, b->v.offset + off) != 8)
		bail("pwrite bar%d at 0x%" PRIx64, opt.bar, off);
}

/* Offset added to hva and gpa (mod 1 GiB, relative to pa) by --align. */
static uint64_t align_skew(void)
{
	return opt.page_align ? page_size : 0;
}

static void bar_open(struct bar *b)
{
	uint8_t *resv, *want;

	if (opt.sysfs_map) {
		sysfs_bar_describe(&b->v, opt.bdf, opt.bar);
		b->decode_was_on = sysfs_pci_mem_decode(opt.bdf, true);
	} else {
		vfio_bar_open(&b->v, opt.bdf, opt.bar);
	}
	b->size = b->v.size;
	/* vfio maps the page of a page-aligned BAR smaller than a page. */
	if (opt.read_only && b->size && b->size < page_size)
		b->size = page_size;
	if (!(b->v.flags & VFIO_REGION_INFO_FLAG_MMAP) || b->size < page_size ||
	    (b->size & (page_size - 1)) || (b->v.pa & (page_size - 1)))
		bail("bar%d not mmap-able as whole pages (size 0x%" PRIx64
		     " pa 0x%" PRIx64 " flags 0x%x)", opt.bar, b->size, b->v.pa, b->v.flags);

	/*
	 * Reserve VA, then map the BAR at va == pa (mod 1 GiB): KVM may only
	 * use a block mapping where hva, gpa and pa agree modulo its size.
	 */
	resv = mmap(NULL, b->size + SZ_1G, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		bail("reserve VA");
	want = (uint8_t *)(((uintptr_t)resv + SZ_1G - 1) & ~(uintptr_t)(SZ_1G - 1)) +
	       ((b->v.pa + align_skew()) & (SZ_1G - 1));
	if (want + b->size > resv + b->size + SZ_1G)
		want -= SZ_1G;
	if (opt.sysfs_map)
		b->map = sysfs_bar_mmap(opt.bdf, opt.bar, want, b->size);
	else
		b->map = vfio_bar_mmap(&b->v, want, b->size);
	tap_result(true, "dev %s bar%d%s: vfio group %s, size 0x%" PRIx64 " (mapped 0x%"
		   PRIx64 "), pa 0x%" PRIx64 ", mapped at %p", opt.bdf, opt.bar,
		   opt.sysfs_map ? " (mapped through sysfs)" : "", b->v.group_path,
		   b->v.size, b->size, b->v.pa, (void *)b->map);
}

/* -------------------------------------------------------------- KVM -- */

struct vm {
	int kvm, vm, vcpu;	/* vcpu, run: the first vCPU's */
	struct kvm_run *run;
	int vcpus[MAX_VCPUS];
	struct kvm_run *runs[MAX_VCPUS];
	uint8_t *ram;
	uint64_t bar_gpa;
};

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

/*
 * A crash must say where: the harness keeps only this program's output.
 * Which step ran last (g_step) and the faulting address and PC.
 */
static const char *volatile g_step = "start";

static void on_fatal(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	char buf[200];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "Bail out! signal %d (code %d) at address %p, pc 0x%llx, during: %s\n",
		     sig, si->si_code, si->si_addr,
		     (unsigned long long)uc->uc_mcontext.pc, g_step);
	if (n > 0)
		(void)!write(STDOUT_FILENO, buf, (size_t)n);
	_exit(128 + sig);
}

static void vm_create(struct vm *v, struct bar *b)
{
	int i;

	v->kvm = open("/dev/kvm", O_RDWR);
	if (v->kvm < 0)
		bail("open /dev/kvm");
	v->vm = kvm_create_vm(v->kvm);
	v->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->ram == MAP_FAILED)
		bail("mmap guest RAM");
	memcpy(v->ram, guest_start, (char *)guest_end - (char *)guest_start);
	memcpy(v->ram + LIVE_CODE_OFF, guest_live_start,
	       (char *)guest_live_end - (char *)guest_live_start);
	__builtin___clear_cache((char *)v->ram, (char *)v->ram + RAM_SIZE);
	kvm_slot(v->vm, 0, RAM_GPA, RAM_SIZE, v->ram);
	v->bar_gpa = BAR_GPA_BASE + ((b->v.pa + align_skew()) & (SZ_1G - 1));
	kvm_slot(v->vm, 1, v->bar_gpa, b->size, (void *)b->map);
	for (i = 0; i < opt.vcpus; i++)
		v->vcpus[i] = kvm_add_vcpu(v->kvm, v->vm, i, &v->runs[i]);
	v->vcpu = v->vcpus[0];
	v->run = v->runs[0];
}

static void set_core_reg(struct vm *v, size_t off, uint64_t val)
{
	kvm_set_core_reg(v->vcpu, off, val);
}

/*
 * Before moving a vCPU's PC: KVM completes an MMIO exit at the next
 * KVM_RUN by stepping over the instruction, which would then be the first
 * one at the new PC. Complete it now, without entering the guest.
 */
static void vcpu_settle(int vcpu, struct kvm_run *run)
{
	if (run->exit_reason != KVM_EXIT_MMIO)
		return;
	run->immediate_exit = 1;
	if (!ioctl(vcpu, KVM_RUN, 0) || errno != EINTR)
		bail("KVM_RUN with immediate_exit did not return EINTR");
	run->immediate_exit = 0;
	run->exit_reason = KVM_EXIT_INTR;
}

/* Run until the next MMIO write; returns false (after a TAP failure) if not. */
static bool run_to_mmio(struct vm *v, uint64_t *addr, uint64_t *data)
{
	struct kvm_run *r = v->run;

	alarm(opt.timeout_s);
	if (ioctl(v->vcpu, KVM_RUN, 0)) {
		alarm(0);
		return tap_result(false, "dev %s bar%d: KVM_RUN failed%s (errno %d: %s)",
				  opt.bdf, opt.bar, timed_out ? ": timeout" : "",
				  errno, strerror(errno));
	}
	alarm(0);
	if (r->exit_reason != KVM_EXIT_MMIO || !r->mmio.is_write || r->mmio.len != 8)
		return tap_result(false, "dev %s bar%d: vCPU exit: expected 8-byte MMIO "
				  "write, got exit_reason %u (mmio addr 0x%llx len %u write %u)",
				  opt.bdf, opt.bar, r->exit_reason,
				  (unsigned long long)r->mmio.phys_addr, r->mmio.len,
				  r->mmio.is_write);
	*addr = r->mmio.phys_addr;
	memcpy(data, r->mmio.data, 8);
	return true;
}

/* ---------------------------------------------------------- pattern -- */

static uint64_t pattern(uint64_t off)
{
	return opt.seed ^ off;
}

/*
 * Offsets (bytes) of the BAR pages the guest touches, ascending. Sparse:
 * around the edges of every block a level-2 leaf of the host's granule
 * would map (a table of pages: 512 of 4 KiB, 2 MiB; 2048 of 16 KiB, 32 MiB).
 */
static size_t touch_list(uint64_t size, uint64_t *list, uint8_t *touched)
{
	uint64_t pages = size / page_size, p;
	uint64_t block = page_size / 8;	/* pages per level-2 block */
	enum touch t = opt.touch;
	size_t n = 0;

	if (t == TOUCH_AUTO)
		t = size <= 4 * 1024 * 1024 ? TOUCH_ALL : TOUCH_SPARSE;
	for (p = 0; p < pages; p++) {
		uint64_t in_block = p % block;
		bool pick = t == TOUCH_ALL ||
			in_block == 0 || in_block == 1 ||
			in_block == block - 1 || p == pages - 1 ||
			(p < block && (p == 2 || p == 3 || p == 7 || p == 200));

		if (pick && n < MAX_PAGES) {
			list[n++] = p * page_size;
			touched[p] = 1;
		}
	}
	return n;
}

/* ---------------------------------------------------- the test itself -- */

struct unit {
	uint64_t first, last;	/* page indexes */
	uint64_t desc;		/* descriptor of the first page */
	uint64_t nentries;	/* stage-2 leaf entries (or unmapped pages) */
	uint64_t ntouched;
	int level;
	bool leaf;
};

static const char *expect_name;
static char seen[128];		/* distinct memattrs seen in the BAR range */
static const uint8_t *g_touched;
static struct bar *g_bar;
static uint64_t g_gpa;

/* Output address the stage-2 entry gives BAR page p (entry may be a block). */
static uint64_t page_oa(const struct s2peek_entry *e, uint64_t p, bool lpa2)
{
	uint64_t ipa = g_gpa + p * page_size;

	return desc_oa(e[p].desc, e[p].level, lpa2) +
	       (ipa & (level_bytes(e[p].level) - 1));
}

/* Does page p start a new stage-2 entry (as opposed to continuing a block)? */
static bool entry_starts(const struct s2peek_entry *e, uint64_t p)
{
	if (p == 0 || !(e[p].flags & S2PEEK_E_LEAF) || e[p].level == 3 ||
	    e[p].level != e[p - 1].level)
		return true;
	return ((g_gpa + p * page_size) & (level_bytes(e[p].level) - 1)) == 0;
}

/* Check the data of pages [first, last]; print what is wrong. */
static int check_data(uint64_t first, uint64_t last)
{
	uint64_t p;
	int bad = 0;

	if (opt.read_only)
		return 0;
	for (p = first; p <= last; p++) {
		uint64_t off = p * page_size, w[3];
		uint64_t e0 = 0, e1 = 0, e2 = 0;

		if (g_touched[p]) {
			e0 = pattern(off);
			e1 = ~e0;
			e2 = off;
		}
		w[0] = bar_read(g_bar, off);
		w[1] = bar_read(g_bar, off + 8);
		w[2] = bar_read(g_bar, off + 16);
		if (w[0] != e0 || w[1] != e1 || w[2] != e2) {
			if (bad++ < 8)
				tap_defer("  page 0x%" PRIx64 " (%s): words expected "
					 "0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
					 ", got 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
					 off, g_touched[p] ? "touched" : "untouched",
					 e0, e1, e2, w[0], w[1], w[2]);
		}
	}
	if (bad > 8)
		tap_defer("  ... %d pages with wrong data in this range", bad);
	return bad;
}

/* One TAP test per unit: memattr, output address and data of its pages. */
static void report_unit(const struct unit *u, const struct s2peek_entry *e,
			bool fwb, bool lpa2)
{
	uint64_t npages = u->last - u->first + 1, p;
	const char *got = u->leaf ? memattr_name(D_MEMATTR(u->desc), fwb) : "unmapped";
	int bad_oa = 0, bad_unmapped = 0;
	char where[128];
	bool ok = true;

	if (npages == 1)
		snprintf(where, sizeof(where), "page 0x%" PRIx64, u->first * page_size);
	else if (u->leaf && u->level < 3)
		snprintf(where, sizeof(where), "%s 0x%" PRIx64 "-0x%" PRIx64
			 " (%" PRIu64 " x L%d %s)", u->nentries > 1 ? "blocks" : "block",
			 u->first * page_size, (u->last + 1) * page_size - 1, u->nentries,
			 u->level, level_size(u->level));
	else
		snprintf(where, sizeof(where), "pages 0x%" PRIx64 "-0x%" PRIx64
			 " (%" PRIu64 " x %s%s%s)", u->first * page_size,
			 (u->last + 1) * page_size - 1, npages,
			 u->leaf ? "L3" : "unmapped", u->leaf ? " " : "",
			 u->leaf ? level_size(3) : "");

	for (p = u->first; p <= u->last; p++) {
		if (!u->leaf) {
			/*
			 * Unmapped is fine only for pages the guest never
			 * touched, or with --allow-unmapped.
			 */
			if (g_touched[p] && !opt.allow_unmapped && bad_unmapped++ < 8)
				tap_defer("  touched page 0x%" PRIx64 " has no stage-2 mapping "
					 "(walk stopped at level %d)", p * page_size, e[p].level);
			continue;
		}
		if (page_oa(e, p, lpa2) != g_bar->v.pa + p * page_size && bad_oa++ < 4)
			tap_defer("  page 0x%" PRIx64 ": output address expected 0x%" PRIx64
				 ", got 0x%" PRIx64 " (L%d desc 0x%016" PRIx64 ")",
				 p * page_size, g_bar->v.pa + p * page_size, page_oa(e, p, lpa2),
				 e[p].level, e[p].desc);
	}
	if (bad_oa || bad_unmapped)
		ok = false;
	if (u->leaf && !strstr(seen, got) &&
	    strlen(seen) + strlen(got) + 2 < sizeof(seen))
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s",
			 seen[0] ? "," : "", got);
	if (u->leaf && expect_name && strcmp(got, expect_name)) {
		ok = false;
		tap_defer("  memattr: expected %s, got %s (MemAttr 0x%x, fwb %d)",
			 expect_name, got, (unsigned int)D_MEMATTR(u->desc), fwb);
	}
	if (check_data(u->first, u->last))
		ok = false;

	if (u->leaf)
		tap_defer("  L%d desc 0x%016" PRIx64 " MemAttr 0x%x S2AP %u XN %u AF %d,"
			 " %" PRIu64 " pages touched", u->level, u->desc,
			 (unsigned int)D_MEMATTR(u->desc), (unsigned int)D_S2AP(u->desc),
			 (unsigned int)D_XN(u->desc), !!(u->desc & D_AF), u->ntouched);
	tap_result(ok, "dev %s bar%d %s: %s", opt.bdf, opt.bar, where, got);
}

/*
 * Group pages into units, one TAP test each: a touched page is a unit
 * of its own; otherwise consecutive pages merge while they are all unmapped,
 * or all mapped at the same level with the same attributes and contiguous
 * output addresses (so runs of identical blocks collapse into one line).
 */
static void report_map(const struct s2peek_entry *e, uint64_t pages,
		       bool fwb, bool lpa2, uint64_t *count_by_level, uint64_t *unmapped)
{
	struct unit u = { 0 };
	bool open = false;
	uint64_t p;

	for (p = 0; p < pages; p++) {
		bool leaf = e[p].flags & S2PEEK_E_LEAF;
		int lvl = e[p].level;
		bool alone = leaf && lvl == 3 && g_touched[p];
		bool same = open && leaf == u.leaf && !alone &&
			    !(u.leaf && u.level == 3 && g_touched[u.last]);

		if (leaf && (lvl < 0 || lvl > 3))
			bail("s2peek returned leaf level %d for page 0x%" PRIx64,
			     lvl, p * page_size);
		if (!leaf)
			(*unmapped)++;
		else if (entry_starts(e, p))
			count_by_level[lvl]++;
		if (same && leaf)
			same = lvl == u.level &&
			       desc_attrs(e[p].desc, lpa2) == desc_attrs(u.desc, lpa2) &&
			       page_oa(e, p, lpa2) == page_oa(e, p - 1, lpa2) + page_size;
		if (!same) {
			if (open)
				report_unit(&u, e, fwb, lpa2);
			u = (struct unit){ .first = p, .desc = e[p].desc,
					   .level = lvl, .leaf = leaf };
			open = true;
		}
		u.last = p;
		u.ntouched += g_touched[p];
		if (!leaf || entry_starts(e, p))
			u.nentries++;
	}
	if (open)
		report_unit(&u, e, fwb, lpa2);
}

/* --levels: one test, on the counts of leaf entries per level. */
static void check_levels(const uint64_t *count_by_level)
{
	uint64_t blocks = count_by_level[1] + count_by_level[2];
	uint64_t pages = count_by_level[3];

	if (!opt.levels)
		return;
	if (!strcmp(opt.levels, "blocks"))
		tap_result(blocks > 0 && pages == 0,
			   "dev %s bar%d: block entries only (L1 %" PRIu64 ", L2 %" PRIu64
			   ", L3 %" PRIu64 ")", opt.bdf, opt.bar, count_by_level[1],
			   count_by_level[2], pages);
	else
		tap_result(pages > 0 && blocks == 0,
			   "dev %s bar%d: %s pages only (L1 %" PRIu64 ", L2 %" PRIu64
			   ", L3 %" PRIu64 ")", opt.bdf, opt.bar, level_size(3),
			   count_by_level[1], count_by_level[2], pages);
}

/*
 * --granule: the walk used the expected translation granule, which must
 * also be the host's page size, and the start level and IPA size it
 * reports fit that granule: the start level resolves at least one bit and
 * at most 16 concatenated tables (Arm ARM). With 16 KiB and KVM's default
 * 40-bit IPA that is level 2, 16 tables; with 4 KiB level 1, 2 tables.
 */
static void check_granule(const struct s2peek_req *req)
{
	unsigned int shift = log2u64(opt.granule), bits = 0;
	int start = req->start_level;
	unsigned int lshift = shift + (shift - 3) * (3 - start);
	bool fits = start >= -1 && start <= 3 && req->ia_bits > lshift &&
		    req->ia_bits - lshift <= shift - 3 + 4;

	if (fits)
		bits = req->ia_bits - lshift;
	tap_result(req->granule == opt.granule && page_size == opt.granule && fits,
		   "stage 2 granule: s2peek walked with %" PRIu32 " bytes (want %" PRIu64
		   ", host page size %" PRIu64 "), ia_bits %u start level %d: %s",
		   req->granule, opt.granule, page_size, req->ia_bits, start,
		   fits ? "a start level of that granule" : "NOT a start level of that granule");
	if (fits)
		tap_diag("  start level %d: %u entries, %u concatenated table(s) of %u",
			 start, 1U << bits, bits > shift - 3 ? 1U << (bits - (shift - 3)) : 1,
			 1U << (shift - 3));
}

/*
 * --granule: the BAR's leaves, each counted at the size the expected
 * granule gives its level, and its unmapped pages cover the BAR exactly:
 * blocks of another size (a walk with another granule) do not.
 */
static void check_cover(const uint64_t *count_by_level, uint64_t unmapped,
			uint64_t size)
{
	unsigned int shift = log2u64(opt.granule);
	uint64_t sum = unmapped * opt.granule, lb[4];
	int l;

	for (l = 0; l <= 3; l++) {
		lb[l] = opt.granule << ((shift - 3) * (3 - l));
		sum += count_by_level[l] * lb[l];
	}
	tap_result(sum == size,
		   "dev %s bar%d: leaves at %" PRIu64 "-byte granule sizes cover its 0x%" PRIx64
		   " bytes (0x%" PRIx64 "): L1 %" PRIu64 " x 0x%" PRIx64 ", L2 %" PRIu64
		   " x 0x%" PRIx64 ", L3 %" PRIu64 " x 0x%" PRIx64 ", %" PRIu64 " unmapped",
		   opt.bdf, opt.bar, opt.granule, size, sum, count_by_level[1], lb[1],
		   count_by_level[2], lb[2], count_by_level[3], lb[3], unmapped);
}

/*
 * --save-leaves / --same-leaves: the BAR's entries, one per page
 * (level and descriptor), so that a run with the module can be compared
 * with one without: the module may change MemAttr[5:2] and nothing else
 * (S2AP, SH, AF, XN, contiguous, output address, level, software bits).
 */
#define D_MEMATTR_MASK	(0xfULL << 2)

static void save_leaves(const struct s2peek_entry *e, uint64_t pages)
{
	FILE *f = fopen(opt.save_leaves, "w");
	uint64_t p;

	if (!f)
		bail("cannot write %s", opt.save_leaves);
	fprintf(f, "s2test-leaves pa=0x%" PRIx64 " pages=%" PRIu64 "\n", g_bar->v.pa, pages);
	for (p = 0; p < pages; p++)
		fprintf(f, "%d 0x%016" PRIx64 "\n",
			e[p].flags & S2PEEK_E_LEAF ? e[p].level : -1,
			e[p].flags & S2PEEK_E_LEAF ? (uint64_t)e[p].desc : 0);
	if (fclose(f))
		bail("cannot write %s", opt.save_leaves);
}

/* EPOCH: of --live, 0 before it (the test's name says which). */
static void compare_leaves(const struct s2peek_entry *e, uint64_t pages, int epoch)
{
	char when[24] = "";

	FILE *f = fopen(opt.same_leaves, "r");
	uint64_t p, pa = 0, n = 0, compared = 0, desc;
	int level, bad = 0;

	if (epoch)
		snprintf(when, sizeof(when), "live %d: ", epoch);
	if (!f || fscanf(f, "s2test-leaves pa=0x%" SCNx64 " pages=%" SCNu64, &pa, &n) != 2) {
		tap_result(false, "%sdev %s bar%d: leaves as without the module: cannot read %s",
			   when, opt.bdf, opt.bar, opt.same_leaves);
		if (f)
			fclose(f);
		return;
	}
	if (pa != g_bar->v.pa || n != pages)
		tap_defer("  %s is of pa 0x%" PRIx64 ", %" PRIu64 " pages; this BAR: 0x%"
			  PRIx64 ", %" PRIu64, opt.same_leaves, pa, n, g_bar->v.pa, pages);
	for (p = 0; p < pages && p < n; p++) {
		if (fscanf(f, "%d 0x%" SCNx64, &level, &desc) != 2) {
			bad++;
			tap_defer("  %s: no entry for page %" PRIu64, opt.same_leaves, p);
			break;
		}
		if (!(e[p].flags & S2PEEK_E_LEAF) || level < 0)
			continue;
		compared++;
		if (level == e[p].level &&
		    (desc & ~D_MEMATTR_MASK) == (e[p].desc & ~D_MEMATTR_MASK))
			continue;
		if (bad++ < 4)
			tap_defer("  page 0x%" PRIx64 ": without the module L%d 0x%016" PRIx64
				  ", now L%d 0x%016" PRIx64 " (differs in 0x%016" PRIx64 ")",
				  p * page_size, level, desc, e[p].level, e[p].desc,
				  (desc ^ e[p].desc) & ~D_MEMATTR_MASK);
	}
	fclose(f);
	tap_result(!bad && pa == g_bar->v.pa && n == pages && compared > 0,
		   "%sdev %s bar%d: %" PRIu64 " leaves as without the module but for MemAttr[5:2]"
		   " (%d differ)", when, opt.bdf, opt.bar, compared, bad);
}

/*
 * Plant the pattern (or, read-only, read what is there) through the host's
 * mapping, then run the guest over the touched pages once: two tests.
 */
static bool guest_pass(struct vm *v, struct bar *b, struct guest_params *gp,
		       uint64_t pages)
{
	uint64_t i, sum = 0, addr, data, n;
	bool ok;

	/*
	 * Clear the first words of every page, then plant word0 of touched
	 * ones. --live also clears word 3, its sequence numbers: what the
	 * last --live run leaves there is then all the host finds in the
	 * backing file (the "s2test-live" line says what that must be).
	 */
	g_step = "writing the BAR through the vfio mapping";
	for (i = 0; i < pages && !opt.read_only; i++) {
		bar_write(b, i * page_size, 0);
		bar_write(b, i * page_size + 8, 0);
		bar_write(b, i * page_size + 16, 0);
		if (opt.live_in)
			bar_write(b, i * page_size + 24, 0);
		if (opt.second_vm)
			bar_write(b, i * page_size + 32, 0);
	}
	for (i = 0; i < gp->count; i++) {
		if (opt.read_only) {
			sum += bar_read(b, gp->offsets[i]);
			continue;
		}
		bar_write(b, gp->offsets[i], pattern(gp->offsets[i]));
		sum += pattern(gp->offsets[i]);
	}

	vcpu_settle(v->vcpu, v->run);
	set_core_reg(v, offsetof(struct kvm_regs, regs.pc), RAM_GPA);
	set_core_reg(v, offsetof(struct kvm_regs, regs.regs[0]), RAM_GPA + PARAM_OFF);
	g_step = "running the guest";
	ok = run_to_mmio(v, &addr, &data);
	if (ok)
		ok = tap_result(addr == MMIO_GPA && data == sum,
				"dev %s bar%d: guest loads: MMIO write to 0x%" PRIx64
				" (expected 0x%" PRIx64 ") of sum 0x%" PRIx64 " (expected 0x%"
				PRIx64 ")", opt.bdf, opt.bar, addr, MMIO_GPA, data, sum);
	if (ok && run_to_mmio(v, &addr, &n))
		ok = tap_result(addr == MMIO_GPA + 8 && n == gp->count,
				"dev %s bar%d: guest touched %" PRIu64 " pages (expected %"
				PRIu64 ") at gpa 0x%" PRIx64, opt.bdf, opt.bar, n,
				(uint64_t)gp->count, v->bar_gpa);
	return ok;
}

/*
 * --live: the leaves of the BAR, by attribute: those with want, those with
 * another (the first one's page and name in other_page and other_name),
 * and the touched pages without want (not mapped, or another attribute).
 */
struct live_count {
	uint64_t want, other, unmapped, touched_not_want, other_page;
	const char *other_name;
};

static void live_count(const struct s2peek_entry *e, uint64_t pages, bool fwb,
		       const char *want, struct live_count *c)
{
	uint64_t p;

	memset(c, 0, sizeof(*c));
	for (p = 0; p < pages; p++) {
		const char *got;

		if (!(e[p].flags & S2PEEK_E_LEAF)) {
			c->unmapped++;
			c->touched_not_want += g_touched[p];
			continue;
		}
		got = memattr_name(D_MEMATTR(e[p].desc), fwb);
		if (!strcmp(got, want)) {
			c->want++;
			continue;
		}
		if (!c->other++) {
			c->other_page = p;
			c->other_name = got;
		}
		c->touched_not_want += g_touched[p];
	}
}

/*
 * --live: the vCPUs, each in a thread of its own running the live loop
 * (guest_live_start) until the stop flag; what they report.
 */
struct live_vcpu {
	struct vm *v;
	int idx;
	pthread_t thread;
	uint64_t progress;	/* last pass completed (atomic) */
	uint64_t final;		/* the pass it stopped after */
	uint64_t mismatches, bad_stored, bad_loaded;
	int done;		/* atomic: stopped, or failed */
	int err;		/* KVM_RUN's errno, or -1: an unexpected exit */
	unsigned int exit_reason;
};

static void *live_vcpu_thread(void *arg)
{
	struct live_vcpu *c = arg;
	struct kvm_run *r = c->v->runs[c->idx];
	uint64_t data;

	for (;;) {
		if (ioctl(c->v->vcpus[c->idx], KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			c->err = errno;
			break;
		}
		if (r->exit_reason != KVM_EXIT_MMIO || !r->mmio.is_write ||
		    r->mmio.len != 8) {
			c->err = -1;
			c->exit_reason = r->exit_reason;
			break;
		}
		memcpy(&data, r->mmio.data, 8);
		switch (r->mmio.phys_addr - MMIO_GPA) {
		case 16:
			c->bad_stored = data;
			break;
		case 40:
			c->bad_loaded = data;
			__atomic_add_fetch(&c->mismatches, 1, __ATOMIC_RELEASE);
			break;
		case 24:
			__atomic_store_n(&c->progress, data, __ATOMIC_RELEASE);
			break;
		case 32:
			c->final = data;
			__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
			return NULL;
		default:
			c->err = -1;
			c->exit_reason = r->exit_reason;
			goto out;
		}
	}
out:
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The first VM's vCPUs, then --second-vm's: live_n in all. */
static struct live_vcpu live_vcpus[2 * MAX_VCPUS];
static int live_n;

/* Wait until every vCPU completed pass progress[i] + passes; false on timeout. */
static bool live_wait(const uint64_t *from, uint64_t passes)
{
	double t_end = now_ms() + opt.timeout_s * 1e3;
	int i;

	for (i = 0; i < live_n; i++)
		while (__atomic_load_n(&live_vcpus[i].progress, __ATOMIC_ACQUIRE) <
		       from[i] + passes) {
			if (__atomic_load_n(&live_vcpus[i].done, __ATOMIC_ACQUIRE) ||
			    now_ms() > t_end)
				return false;
			usleep(1000);
		}
	return true;
}

/* One test: no vCPU failed or saw a mismatch so far. */
static bool live_vcpus_ok(const char *when)
{
	uint64_t mismatches = 0;
	bool ok = true;
	int i;

	for (i = 0; i < live_n; i++) {
		struct live_vcpu *c = &live_vcpus[i];
		uint64_t m = __atomic_load_n(&c->mismatches, __ATOMIC_ACQUIRE);

		if (m)
			tap_defer("  vCPU %d: %" PRIu64 " read-back mismatches, last stored 0x%016"
				  PRIx64 ", loaded 0x%016" PRIx64, i, m, c->bad_stored, c->bad_loaded);
		if (c->err)
			tap_defer("  vCPU %d: KVM_RUN %s (errno %d, exit reason %u)", i,
				  c->err > 0 ? "failed" : "exited unexpectedly", c->err,
				  c->exit_reason);
		mismatches += m;
		ok = ok && !m && !c->err;
	}
	return tap_result(ok, "live: %s: %d vCPUs, KVM_RUN never failed, %" PRIu64
			  " read-back mismatches", when, live_n, mismatches);
}

/*
 * --live: keep the VM and follow the scenario's commands, one epoch each,
 * while the vCPUs keep storing and reading back sequence numbers on every
 * touched page. "expect ATTR" (the host has just changed the attribute
 * and says the change applies to running guests): no leaf keeps another
 * attribute, and after every vCPU's next full pass every touched page has
 * ATTR. "keep ATTR" (a kernel that cannot apply it): every leaf still has
 * the old one, also then. Each epoch ends with "done N" on the
 * acknowledgement FIFO. On "quit", the vCPUs stop after a pass and every
 * touched page must hold its owner's last sequence number.
 */
/*
 * One epoch's read-back of stage 2 in one VM: right after the change
 * (after = false) or after the vCPUs' next pass. NAME is "" or " of VM N".
 */
static void live_check(struct vm *v, const char *name, struct guest_params *gp,
		       struct s2peek_entry *e, uint64_t pages, bool fwb, int epoch,
		       const char *want, bool keep, bool after)
{
	struct s2peek_req req;
	struct live_count c;

	s2peek_walk(v->vm, v->bar_gpa, pages, e, &req);
	live_count(e, pages, fwb, want, &c);
	if (c.other)
		tap_defer("  page 0x%" PRIx64 " is %s", c.other_page * page_size,
			  c.other_name);
	if (!after) {
		tap_result(!c.other && (!keep || c.want),
			   "live %d: right after the change, every leaf of dev %s bar%d%s %s %s"
			   " (%" PRIu64 " leaves %s, %" PRIu64 " other, %" PRIu64 " unmapped)",
			   epoch, opt.bdf, opt.bar, name,
			   keep ? "still has" : "has, or is unmapped:", want, c.want, want,
			   c.other, c.unmapped);
		return;
	}
	tap_result(!c.touched_not_want && !c.other,
		   "live %d: after the next pass, all %" PRIu64 " touched pages of dev %s"
		   " bar%d%s are %s (%" PRIu64 " leaves %s, %" PRIu64 " other, %" PRIu64
		   " unmapped)", epoch, (uint64_t)gp->count, opt.bdf, opt.bar, name, want,
		   c.want, want, c.other, c.unmapped);
	/* Re-faulted leaves: only MemAttr may differ from stock's. */
	if (opt.same_leaves)
		compare_leaves(e, pages, epoch);
}

/* Start the --live vCPUs of v, live_vcpus[first...]: see guest_live_start. */
static void live_start(struct vm *v, int first, uint64_t word_off)
{
	int i;

	*(volatile uint64_t *)(v->ram + STOP_OFF) = 0;
	for (i = 0; i < opt.vcpus; i++) {
		struct live_vcpu *c = &live_vcpus[first + i];

		*c = (struct live_vcpu){ .v = v, .idx = i };
		vcpu_settle(v->vcpus[i], v->runs[i]);
		kvm_set_core_reg(v->vcpus[i], offsetof(struct kvm_regs, regs.pc),
				 RAM_GPA + LIVE_CODE_OFF);
		kvm_set_core_reg(v->vcpus[i], offsetof(struct kvm_regs, regs.regs[0]),
				 RAM_GPA + PARAM_OFF);
		kvm_set_core_reg(v->vcpus[i], offsetof(struct kvm_regs, regs.regs[1]), i);
		kvm_set_core_reg(v->vcpus[i], offsetof(struct kvm_regs, regs.regs[2]),
				 opt.vcpus);
		kvm_set_core_reg(v->vcpus[i], offsetof(struct kvm_regs, regs.regs[3]),
				 RAM_GPA + STOP_OFF);
		kvm_set_core_reg(v->vcpus[i], offsetof(struct kvm_regs, regs.regs[14]),
				 word_off);
		if (pthread_create(&c->thread, NULL, live_vcpu_thread, c))
			bail("pthread_create vCPU %d", first + i);
	}
}

/*
 * v2: --second-vm's VM, or NULL. Its vCPUs are live_vcpus[opt.vcpus...];
 * vCPU i of either VM stores to the pages i, i + vcpus, ..., the first
 * VM's to word 3, the second's to word 4.
 */
static void live_loop(struct vm *v, struct vm *v2, struct bar *b, struct guest_params *gp,
		      struct s2peek_entry *e, uint64_t pages, bool fwb)
{
	char line[128], word[16], attr[32], finals[MAX_VCPUS * 21];
	struct vm *vms[2] = { v, v2 };
	uint64_t from[2 * MAX_VCPUS], j;
	const char *want, *vm_name[2] = { "", "" };
	int epoch = 0, i, k, bad = 0, n, nvms = v2 ? 2 : 1;
	FILE *in, *out;
	bool keep;

	g_step = "live: starting the vCPUs";
	live_n = opt.vcpus * nvms;
	if (v2) {
		vm_name[0] = " of VM 1";
		vm_name[1] = " of VM 2";
		/* Its own copy of the parameters the first pass left in v's RAM. */
		memcpy(v2->ram + PARAM_OFF, v->ram + PARAM_OFF,
		       sizeof(*gp) + gp->count * sizeof(gp->offsets[0]));
	}
	live_start(v, 0, 24);
	if (v2)
		live_start(v2, opt.vcpus, 32);
	memset(from, 0, sizeof(from));
	tap_result(live_wait(from, 1), "live: all %d vCPUs completed a first pass", live_n);

	g_step = "opening the --live FIFOs";
	in = fopen(opt.live_in, "r");
	out = in ? fopen(opt.live_out, "w") : NULL;
	if (!out)
		bail("open --live %s,%s", opt.live_in, opt.live_out);
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "quit", 4))
			break;
		if (sscanf(line, "%15s %31s", word, attr) != 2 ||
		    (strcmp(word, "expect") && strcmp(word, "keep"))) {
			tap_result(false, "live: unknown command: %s", line);
			break;
		}
		keep = !strcmp(word, "keep");
		want = resolve_memattr(attr);
		epoch++;
		for (i = 0; i < live_n; i++)
			from[i] = __atomic_load_n(&live_vcpus[i].progress, __ATOMIC_ACQUIRE);
		g_step = "live: reading back stage 2 after the change";
		for (k = 0; k < nvms; k++)
			live_check(vms[k], vm_name[k], gp, e, pages, fwb, epoch, want, keep, false);
		/* Two more passes: one of them started after the change. */
		g_step = "live: waiting for the vCPUs' next pass";
		if (!tap_result(live_wait(from, 2), "live %d: every vCPU completed a pass after the change",
				epoch))
			break;
		for (k = 0; k < nvms; k++)
			live_check(vms[k], vm_name[k], gp, e, pages, fwb, epoch, want, keep, true);
		fprintf(out, "done %d\n", epoch);
		fflush(out);
	}
	fclose(in);
	fclose(out);

	g_step = "live: stopping the vCPUs";
	for (k = 0; k < nvms; k++)
		__atomic_store_n((uint64_t *)(vms[k]->ram + STOP_OFF), 1, __ATOMIC_RELEASE);
	for (i = 0; i < live_n; i++) {
		double t_end = now_ms() + opt.timeout_s * 1e3;

		while (!__atomic_load_n(&live_vcpus[i].done, __ATOMIC_ACQUIRE) &&
		       now_ms() < t_end)
			usleep(1000);
		if (!__atomic_load_n(&live_vcpus[i].done, __ATOMIC_ACQUIRE))
			bail("live: vCPU %d did not stop", i);
		pthread_join(live_vcpus[i].thread, NULL);
	}
	live_vcpus_ok("over all epochs");
	/* The last store of every touched page, as the host sees it. */
	for (k = 0; k < nvms; k++) {
		const struct live_vcpu *first = &live_vcpus[k * opt.vcpus];

		bad = 0;
		for (j = 0; j < gp->count; j++) {
			uint64_t w = bar_read(b, gp->offsets[j] + 24 + 8 * k);
			uint64_t expect = first[j % opt.vcpus].final << 32 | j;

			if (w != expect && bad++ < 4)
				tap_defer("  page 0x%" PRIx64 ": word %d is 0x%016" PRIx64
					  ", expected 0x%016" PRIx64, gp->offsets[j], 3 + k, w,
					  expect);
		}
		tap_result(!bad && first->final > 0,
			   "live: every touched page of dev %s bar%d holds its vCPU's last sequence"
			   " number%s (vCPU 0 stopped after pass %" PRIu64 ")", opt.bdf, opt.bar,
			   vm_name[k], first->final);
	}
	tap_result(!check_data(0, pages - 1),
		   "live: words 0-2 of every page of dev %s bar%d as the first pass left them",
		   opt.bdf, opt.bar);
	/*
	 * For the host's check of the backing file: word 3 of the j-th
	 * touched page is (finals[j % vcpus] << 32 | j), every other page's 0.
	 */
	n = 0;
	for (i = 0; i < opt.vcpus; i++)
		n += snprintf(finals + n, sizeof(finals) - n, "%s%" PRIu64, i ? "," : "",
			      live_vcpus[i].final);
	tap_diag("s2test-live dev=%s epochs=%d vcpus=%d passes=%" PRIu64 " pages=%" PRIu64
		 " finals=%s", opt.bdf, epoch, opt.vcpus, live_vcpus[0].final,
		 (uint64_t)gp->count, finals);
}

/*
 * --resets: vfio resets a device only if it can take its device lock at
 * once (pci_try_reset_function()), and fails with EAGAIN otherwise, as the
 * open that started this process's VM would have. One test.
 */
static void device_resets(const struct bar *b)
{
	int i, ok = 0, err = 0;

	g_step = "VFIO_DEVICE_RESET";
	for (i = 0; i < opt.resets; i++) {
		if (!ioctl(b->v.dev, VFIO_DEVICE_RESET))
			ok++;
		else if (!err)
			err = errno;
	}
	tap_result(ok == opt.resets,
		   "dev %s: %d of %d VFIO_DEVICE_RESETs succeeded%s%s", opt.bdf, ok,
		   opt.resets, err ? "; the first failure: " : "", err ? strerror(err) : "");
	tap_diag("s2test-resets dev=%s asked=%d ok=%d", opt.bdf, opt.resets, ok);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t count_by_level[4] = { 0 }, unmapped = 0;
	double t0, t_vfio, t_run0, t_run1, t_peek;
	uint64_t pages;
	struct s2peek_entry *e, ram_e;
	struct s2peek_req req;
	struct guest_params *gp;
	struct bar b = { 0 };
	struct vm v = { 0 }, v2 = { 0 };
	uint8_t *touched;
	bool fwb, lpa2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	g_granule = page_size;
	g_granule_shift = log2u64(page_size);
	parse_args(argc, argv);
	if (opt.selftest)
		return selftest();
	if (opt.hold_vm)
		return hold_vm();
	if (!opt.seed)
		opt.seed = ((uint64_t)time(NULL) << 32) ^ ((uint64_t)getpid() << 16) ^
			   0x5332544553540000ULL;
	expect_name = resolve_memattr(opt.expect);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN gets EINTR */
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	t0 = now_ms();
	g_step = "bar_open";
	bar_open(&b);
	g_step = "allocating";
	t_vfio = now_ms();
	g_bar = &b;
	pages = b.size / page_size;
	touched = calloc(pages, 1);
	e = calloc(pages, sizeof(*e));
	if (!touched || !e)
		bail("calloc");
	g_touched = touched;

	if (opt.forks)
		fork_mappers(opt.forks);
	g_step = "vm_create";
	vm_create(&v, &b);
	if (opt.second_vm)
		vm_create(&v2, &b);
	g_gpa = v.bar_gpa;
	if (opt.expect_eager)
		check_eager_map(v.vm, v.bar_gpa, pages, e);
	gp = (struct guest_params *)(v.ram + PARAM_OFF);
	gp->bar_gpa = v.bar_gpa;
	gp->count = touch_list(b.size, gp->offsets, touched);
	gp->read_only = opt.read_only;

	t_run0 = now_ms();
	guest_pass(&v, &b, gp, pages);
	t_run1 = now_ms();

	/* Stage-2 read-back while the VM exists; RAM first, as a control. */
	g_step = "reading back stage 2";
	s2peek_walk(v.vm, RAM_GPA, 1, &ram_e, &req);
	fwb = req.info & S2PEEK_I_FWB;
	lpa2 = req.info & S2PEEK_I_LPA2;
	tap_diag("s2peek: granule %" PRIu32 " ia_bits %u start_level %d lpa2 %d fwb %d vhe %d",
		 req.granule, req.ia_bits, req.start_level, lpa2, fwb,
		 !!(req.info & S2PEEK_I_VHE));
	if (req.granule != 4096 && req.granule != 16384)
		bail("s2peek says it walked with a %" PRIu32 "-byte granule", req.granule);
	g_granule = req.granule;
	g_granule_shift = log2u64(req.granule);
	if (opt.granule)
		check_granule(&req);
	tap_result((ram_e.flags & S2PEEK_E_LEAF) &&
		   !strcmp(memattr_name(D_MEMATTR(ram_e.desc), fwb), "normal-wb"),
		   "control: guest RAM page 0x%" PRIx64 " is normal-wb (got %s, L%d desc 0x%016"
		   PRIx64 ")", RAM_GPA,
		   ram_e.flags & S2PEEK_E_LEAF ?
		   memattr_name(D_MEMATTR(ram_e.desc), fwb) : "unmapped",
		   ram_e.level, ram_e.desc);

	s2peek_walk(v.vm, v.bar_gpa, pages, e, &req);
	report_map(e, pages, fwb, lpa2, count_by_level, &unmapped);
	check_levels(count_by_level);
	if (opt.granule)
		check_cover(count_by_level, unmapped, b.size);
	if (opt.save_leaves)
		save_leaves(e, pages);
	if (opt.same_leaves)
		compare_leaves(e, pages, 0);
	t_peek = now_ms();
	if (opt.live_in)
		live_loop(&v, opt.second_vm ? &v2 : NULL, &b, gp, e, pages, fwb);
	if (opt.resets)
		device_resets(&b);

	tap_diag("s2test-map dev=%s bar=%d size=0x%" PRIx64 " granule=%s touched=%" PRIu64
		 " L1=%" PRIu64 " L2=%" PRIu64 " L3=%" PRIu64 " unmapped=%" PRIu64
		 " seen=%s expect=%s", opt.bdf, opt.bar, b.size, level_size(3),
		 (uint64_t)gp->count,
		 count_by_level[1], count_by_level[2], count_by_level[3], unmapped,
		 seen[0] ? seen : "none", expect_name ? expect_name : "any");
	if (!opt.read_only)
		tap_diag("s2test-pattern dev=%s bar=%d seed=0x%016" PRIx64 " pages=%" PRIu64,
			 opt.bdf, opt.bar, opt.seed, (uint64_t)gp->count);
	tap_diag("s2test-time dev=%s vfio_ms=%.1f run_ms=%.1f check_ms=%.1f total_ms=%.1f",
		 opt.bdf, t_vfio - t0, t_run1 - t_run0, t_peek - t_run1, t_peek - t0);

	close(v.vcpu);
	close(v.vm);
	close(v.kvm);
	if (opt.second_vm) {
		close(v2.vcpu);
		close(v2.vm);
		close(v2.kvm);
	}
	munmap((void *)b.map, b.size);
	vfio_bar_close(&b.v);
	if (opt.sysfs_map && !b.decode_was_on)
		sysfs_pci_mem_decode(opt.bdf, false);
	tap_plan_and_exit();
	return 0;
}
