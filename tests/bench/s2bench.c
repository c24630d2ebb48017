// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench: the cost of a stage-2 fault, for RAM and for a vfio-pci BAR.
 *
 *   s2bench BDF [--bar N] [--ram-pages N] [--bar-pages N] [--vms N] [--label L]
 *           [--apply FILE=TEXT]...
 *
 * Each VM has a RAM slot and the BAR (its guest address 4 KiB off its host
 * address modulo any block size, so KVM must use pages). Its vCPU stores to every page
 * twice: the first pass takes one stage-2 fault per page, the second none;
 * their difference over the page count is the cost of a fault. Run under
 * QEMU -icount shift=0,sleep=off, CLOCK_MONOTONIC then counts instructions
 * of the emulated machine (1 ns = 1 instruction), which repeats to ~0.1%.
 * Setting up the BAR slot is timed too: Linux 5.10 maps PFNMAP slots there
 * and then, not on fault. The first VM warms caches and is not reported.
 * The BAR pages stored to are zeroed again at the end.
 * Output, one line per VM and one of medians:
 *   s2bench vm=I ram=T bar=T slot=T        (ns per fault, ns per slot)
 *   s2bench-median label=L ram=T bar=T slot=T vms=N
 *
 * --apply FILE=TEXT (given more than once, used in turn): the stall of a
 * live application. After the two BAR passes, each VM writes each TEXT to
 * its FILE (kvm_s2attr's sysfs "add": the application to running guests)
 * and makes one more pass. "write" is the duration of the write, "stall"
 * the pass's extra time over the fault-free second pass: the re-faults the
 * application cost the guest. Per write and VM, and medians:
 *   s2bench-apply vm=I text=TEXT write=T stall=T
 *   s2bench-apply-median label=L write=T stall=T pages=N writes=N
 * An application that dropped the BAR's mappings costs the guest about a
 * stage-2 fault per page; one that dropped nothing, about nothing. A stall
 * under half the VM's own RAM fault cost times the pages is reported
 * ("stall too small") and makes s2bench exit 1. (RAM, not the BAR: 5.10
 * maps the BAR when the slot is made, so its first pass takes no fault.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../e2e/vmlib.h"

#define SZ_4K		0x1000ULL
#define SZ_1G		0x40000000ULL
#define CODE_GPA	0x40000000ULL
#define RAM_GPA		0x80000000ULL
#define BAR_GPA		0x100000000ULL
#define MMIO_GPA	0x20000000ULL

static const char *bdf, *label = "-";
static int bar_index = 2;
static uint64_t ram_pages = 4096, bar_pages = 4096;
static int nr_vms = 6;

#define MAX_APPLY	8
static struct apply {
	const char *file, *text;
} applies[MAX_APPLY];
static int nr_applies;

static void bail(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("s2bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

/* x0 = first page, x1 = pages: store to each, then exit by MMIO write. */
extern const uint32_t touch_start[], touch_end[];
__asm__(".pushsection .rodata\n"
	".balign 4\n"
	".global touch_start\n.global touch_end\n"
	"touch_start:\n"
	"1:	cbz	x1, 2f\n"
	"	str	x1, [x0]\n"
	"	add	x0, x0, #4096\n"
	"	sub	x1, x1, #1\n"
	"	b	1b\n"
	"2:	movz	x2, #0x2000, lsl #16\n"
	"	str	x1, [x2]\n"
	"3:	b	3b\n"
	"touch_end:\n"
	".popsection\n");

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

struct bar {
	struct vfio_bar v;
	uint8_t *map;
};

static void bar_open(struct bar *b)
{
	vfio_bar_open(&b->v, bdf, bar_index);
	if (bar_pages * SZ_4K + SZ_4K > b->v.size) {
		errno = EINVAL;
		bail("--bar-pages %" PRIu64 " larger than the BAR", bar_pages);
	}
	b->map = vfio_bar_mmap(&b->v, NULL, b->v.size);
}

struct vm {
	int vm, vcpu;
	struct kvm_run *run;
	uint64_t slot_ns, bar_gpa;
};

static void vm_create(int kvm, struct vm *v, const struct bar *b)
{
	uint8_t *code, *ram;
	uint64_t t0;

	v->vm = kvm_create_vm(kvm);
	code = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ram = mmap(NULL, ram_pages * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED || ram == MAP_FAILED)
		bail("mmap");
	/* Host pages present and small: the faults measured are stage 2 only. */
	madvise(ram, ram_pages * SZ_4K, MADV_NOHUGEPAGE);
	memset(ram, 1, ram_pages * SZ_4K);
	memcpy(code, touch_start, (char *)touch_end - (char *)touch_start);
	__builtin___clear_cache((char *)code, (char *)code + SZ_4K);
	kvm_slot(v->vm, 0, CODE_GPA, SZ_4K, code);
	kvm_slot(v->vm, 1, RAM_GPA, ram_pages * SZ_4K, ram);
	/*
	 * The slot's guest address is 4 KiB off its host address modulo every
	 * block size (up to 1 GiB), so KVM can only map it with pages.
	 */
	v->bar_gpa = BAR_GPA + (((uintptr_t)b->map + SZ_4K) & (SZ_1G - 1)) +
		     SZ_4K;
	t0 = now_ns();
	kvm_slot(v->vm, 2, v->bar_gpa, b->v.size - SZ_4K, b->map + SZ_4K);
	v->slot_ns = now_ns() - t0;

	v->vcpu = kvm_add_vcpu(kvm, v->vm, 0, &v->run);
}

/* One pass over pages at gpa; returns its duration. */
static uint64_t touch(struct vm *v, uint64_t gpa, uint64_t pages)
{
	uint64_t t0, t;

	kvm_set_core_reg(v->vcpu, offsetof(struct kvm_regs, regs.pc), CODE_GPA);
	kvm_set_core_reg(v->vcpu, offsetof(struct kvm_regs, regs.regs[0]), gpa);
	kvm_set_core_reg(v->vcpu, offsetof(struct kvm_regs, regs.regs[1]), pages);
	t0 = now_ns();
	if (ioctl(v->vcpu, KVM_RUN, 0))
		bail("KVM_RUN");
	t = now_ns() - t0;
	if (v->run->exit_reason != KVM_EXIT_MMIO ||
	    v->run->mmio.phys_addr != MMIO_GPA) {
		fprintf(stderr, "s2bench: unexpected exit %u\n",
			v->run->exit_reason);
		exit(1);
	}
	return t;
}

/* Write one application; returns its duration. */
static uint64_t apply_write(const struct apply *a)
{
	size_t len = strlen(a->text);
	uint64_t t0, t;
	ssize_t n;
	int fd;

	fd = open(a->file, O_WRONLY);
	if (fd < 0)
		bail("open %s", a->file);
	t0 = now_ns();
	n = write(fd, a->text, len);
	t = now_ns() - t0;
	if (n != (ssize_t)len) {
		fprintf(stderr, "s2bench: write \"%s\" to %s: %s\n", a->text,
			a->file, n < 0 ? strerror(errno) : "short write");
		exit(1);
	}
	close(fd);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double *ram, *barf, *slots, *writes, *stalls;
	int i, j, kvm, nr_writes = 0, failed = 0;
	struct bar b;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bar") && i + 1 < argc)
			bar_index = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ram-pages") && i + 1 < argc)
			ram_pages = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--bar-pages") && i + 1 < argc)
			bar_pages = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--vms") && i + 1 < argc)
			nr_vms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--label") && i + 1 < argc)
			label = argv[++i];
		else if (!strcmp(argv[i], "--apply") && i + 1 < argc &&
			 nr_applies < MAX_APPLY && strchr(argv[i + 1], '=')) {
			applies[nr_applies].file = argv[++i];
			applies[nr_applies].text = strchr(argv[i], '=') + 1;
			*strchr(argv[i], '=') = 0;
			nr_applies++;
		}
		else if (argv[i][0] != '-' && !bdf)
			bdf = argv[i];
		else
			bdf = NULL, i = argc;
	}
	if (!bdf || nr_vms < 2 || !ram_pages || !bar_pages) {
		fprintf(stderr, "usage: s2bench BDF [--bar N] [--ram-pages N] [--bar-pages N] [--vms N>=2] [--label L] [--apply FILE=TEXT]...\n");
		return 2;
	}
	bar_open(&b);
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		bail("open /dev/kvm");
	ram = calloc(nr_vms, sizeof(*ram));
	barf = calloc(nr_vms, sizeof(*barf));
	slots = calloc(nr_vms, sizeof(*slots));
	writes = calloc(nr_vms * (nr_applies + 1), sizeof(*writes));
	stalls = calloc(nr_vms * (nr_applies + 1), sizeof(*stalls));
	for (i = 0; i < nr_vms; i++) {
		uint64_t r1, r2, b1, b2;
		struct vm v;

		vm_create(kvm, &v, &b);
		r1 = touch(&v, RAM_GPA, ram_pages);
		r2 = touch(&v, RAM_GPA, ram_pages);
		b1 = touch(&v, v.bar_gpa, bar_pages);
		b2 = touch(&v, v.bar_gpa, bar_pages);
		ram[i] = ((double)r1 - r2) / ram_pages;
		barf[i] = ((double)b1 - b2) / bar_pages;
		slots[i] = v.slot_ns;
		printf("s2bench vm=%d ram=%.1f bar=%.1f slot=%.0f%s\n", i,
		       ram[i], barf[i], slots[i], i ? "" : " (warm-up, not counted)");
		for (j = 0; j < nr_applies; j++) {
			uint64_t w = apply_write(&applies[j]);
			uint64_t b3 = touch(&v, v.bar_gpa, bar_pages);

			printf("s2bench-apply vm=%d text=\"%s\" write=%" PRIu64
			       " stall=%" PRId64 "%s\n", i, applies[j].text, w,
			       (int64_t)(b3 - b2), i ? "" : " (warm-up)");
			if ((double)b3 - b2 < ram[i] * bar_pages / 2) {
				printf("s2bench-apply vm=%d text=\"%s\": stall too small: %.0f, under half of %" PRIu64
				       " pages x %.1f per RAM fault: the application dropped no mappings?\n",
				       i, applies[j].text, (double)b3 - b2, bar_pages, ram[i]);
				failed = 1;
			}
			if (!i)
				continue;
			writes[nr_writes] = w;
			stalls[nr_writes++] = (double)b3 - b2;
		}
		close(v.vcpu);
		close(v.vm);
	}
	memset(b.map + SZ_4K, 0, bar_pages * SZ_4K);
	printf("s2bench-median label=%s ram=%.1f bar=%.1f slot=%.0f vms=%d\n",
	       label, median(ram + 1, nr_vms - 1), median(barf + 1, nr_vms - 1),
	       median(slots + 1, nr_vms - 1), nr_vms - 1);
	if (nr_writes)
		printf("s2bench-apply-median label=%s write=%.0f stall=%.0f pages=%" PRIu64 " writes=%d\n",
		       label, median(writes, nr_writes),
		       median(stalls, nr_writes), bar_pages, nr_writes);
	return failed;
}
