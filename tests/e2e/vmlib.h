/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlib.h: what s2test and s2bench share to put a vfio-pci BAR into a KVM
 * guest and look at it: the BAR through vfio (group, container, device,
 * region), a VM with memory slots and vCPUs, their core registers, and
 * the stage-2 read-back through s2peek. Static functions, included once
 * per program, which defines bail(): report the failure (errno is the
 * cause) and exit.
 */
#ifndef VMLIB_H
#define VMLIB_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "s2peek/s2peek_uapi.h"

static void bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A BAR of a device bound to vfio-pci, not yet mapped. */
struct vfio_bar {
	int container, group, dev;
	int index;			/* BAR number */
	uint64_t size, offset, pa;	/* region size and offset, bus address */
	uint32_t flags;			/* VFIO_REGION_INFO_FLAG_* */
	char group_path[64];		/* /dev/vfio/N */
};

/* The bus address of BAR bar of bdf, and its size in *size, from sysfs. */
static inline uint64_t sysfs_bar_range(const char *bdf, int bar, uint64_t *size)
{
	unsigned long long start = 0, end = 0, flags;
	char path[256];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		bail("open %s", path);
	for (i = 0; i <= bar; i++)
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			bail("parse %s line %d", path, i);
	fclose(f);
	*size = end > start ? end - start + 1 : 0;
	return start;
}

/*
 * Turn bdf's memory decoding (PCI_COMMAND_MEMORY) on or off through its
 * sysfs config file; returns whether it was on. vfio-pci turns it on only
 * while the device is open, so a BAR mapped through sysfs may read all
 * ones; the sysfs "enable" file refuses a device with a driver bound
 * (EBUSY), as every device here is bound to vfio-pci.
 */
static inline bool sysfs_pci_mem_decode(const char *bdf, bool on)
{
	uint16_t cmd, was;
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &was, sizeof(was), PCI_COMMAND) != sizeof(was))
		bail("read the command register, %s", path);
	cmd = on ? was | PCI_COMMAND_MEMORY : was & ~PCI_COMMAND_MEMORY;
	if (cmd != was && pwrite(fd, &cmd, sizeof(cmd), PCI_COMMAND) != sizeof(cmd))
		bail("write the command register, %s", path);
	close(fd);
	return was & PCI_COMMAND_MEMORY;
}

/*
 * Describe BAR bar of bdf from sysfs only, for sysfs_bar_mmap(): vfio is
 * not opened (its fds are -1), so the device's regions stay unclaimed.
 */
static inline void sysfs_bar_describe(struct vfio_bar *b, const char *bdf, int bar)
{
	b->container = b->group = b->dev = -1;
	b->index = bar;
	b->offset = 0;
	b->pa = sysfs_bar_range(bdf, bar, &b->size);
	b->flags = VFIO_REGION_INFO_FLAG_MMAP;
	snprintf(b->group_path, sizeof(b->group_path), "(none: sysfs)");
}

/* Open bdf's IOMMU group and device through vfio; describe its BAR bar. */
static inline void vfio_bar_open(struct vfio_bar *b, const char *bdf, int bar)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	char path[256], link[256], *grp = b->group_path;
	uint64_t size;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		bail("readlink %s", path);
	link[n] = 0;
	snprintf(grp, sizeof(b->group_path), "/dev/vfio/%s", basename(link));

	b->container = open("/dev/vfio/vfio", O_RDWR);
	if (b->container < 0)
		bail("open /dev/vfio/vfio");
	if (ioctl(b->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		bail("VFIO_GET_API_VERSION");
	b->group = open(grp, O_RDWR);
	if (b->group < 0)
		bail("open %s", grp);
	if (ioctl(b->group, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		bail("group %s not viable (flags 0x%x)", grp, gs.flags);
	if (ioctl(b->group, VFIO_GROUP_SET_CONTAINER, &b->container))
		bail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(b->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) &&
	    ioctl(b->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		bail("VFIO_SET_IOMMU");
	b->dev = ioctl(b->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (b->dev < 0)
		bail("VFIO_GROUP_GET_DEVICE_FD %s", bdf);
	ri.index = VFIO_PCI_BAR0_REGION_INDEX + bar;
	if (ioctl(b->dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		bail("VFIO_DEVICE_GET_REGION_INFO bar%d", bar);
	b->index = bar;
	b->size = ri.size;
	b->offset = ri.offset;
	b->flags = ri.flags;
	b->pa = sysfs_bar_range(bdf, bar, &size);
}

/* Map size bytes of the BAR, at addr if not NULL (MAP_FIXED). */
static inline void *vfio_bar_mmap(const struct vfio_bar *b, void *addr, uint64_t size)
{
	void *p = mmap(addr, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | (addr ? MAP_FIXED : 0), b->dev, b->offset);

	if (p == MAP_FAILED)
		bail("mmap bar%d", b->index);
	return p;
}

/*
 * Map size bytes of BAR bar of bdf at addr (MAP_FIXED) through its sysfs
 * resource file instead: a mapping that is not vfio's.
 */
static inline void *sysfs_bar_mmap(const char *bdf, int bar, void *addr, uint64_t size)
{
	char path[256];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", bdf, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		bail("open %s", path);
	p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		bail("mmap %s", path);
	close(fd);
	return p;
}

static inline void vfio_bar_close(struct vfio_bar *b)
{
	close(b->dev);
	close(b->group);
	close(b->container);
}

/* ------------------------------------------------------------- KVM -- */

static inline int kvm_create_vm(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0)
		bail("KVM_CREATE_VM");
	return vm;
}

static inline void kvm_slot(int vm, uint32_t nr, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region m = {
		.slot = nr, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m))
		bail("KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%" PRIx64
		     " size 0x%" PRIx64, nr, gpa, size);
}

/* vCPU idx of vm, initialised as the host's preferred target; *run mapped. */
static inline int kvm_add_vcpu(int kvm, int vm, int idx, struct kvm_run **run)
{
	struct kvm_vcpu_init init;
	int vcpu, runsz;

	memset(&init, 0, sizeof(init));
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init))
		bail("KVM_ARM_PREFERRED_TARGET");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, idx);
	if (vcpu < 0)
		bail("KVM_CREATE_VCPU %d", idx);
	runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz <= 0)
		bail("KVM_GET_VCPU_MMAP_SIZE");
	*run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (*run == MAP_FAILED)
		bail("mmap kvm_run %d", idx);
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		bail("KVM_ARM_VCPU_INIT %d", idx);
	return vcpu;
}

/* Set a core register, by its offset in struct kvm_regs. */
static inline void kvm_set_core_reg(int vcpu, size_t off, uint64_t val)
{
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      (off / sizeof(uint32_t)),
		.addr = (uintptr_t)&val,
	};

	if (ioctl(vcpu, KVM_SET_ONE_REG, &reg))
		bail("KVM_SET_ONE_REG 0x%zx", off);
}

/* ------------------------------------------------------------ s2peek -- */

/* The stage-2 entries of nr pages of vm from ipa, walked by s2peek.ko. */
static inline void s2peek_walk(int vm, uint64_t ipa, uint32_t nr,
			       struct s2peek_entry *e, struct s2peek_req *req)
{
	int fd = open(S2PEEK_PATH, O_RDWR);

	if (fd < 0)
		bail("open %s (is s2peek.ko loaded?)", S2PEEK_PATH);
	memset(req, 0, sizeof(*req));
	req->vm_fd = vm;
	req->ipa = ipa;
	req->nr_pages = nr;
	req->entries = (uintptr_t)e;
	if (ioctl(fd, S2PEEK_IOC_WALK, req))
		bail("S2PEEK_IOC_WALK ipa 0x%" PRIx64 " nr %u", ipa, nr);
	close(fd);
}

#endif /* VMLIB_H */
