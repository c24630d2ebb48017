# SPDX-License-Identifier: GPL-2.0
#
# kvm-s2attr: per-device stage-2 memory attributes for vfio-pci BARs.
#
#   make                  build for the running kernel
#   make KDIR=<tree>      build against any configured tree or headers
#   make check            the whole test suite: unit, fuzz (short), style,
#                         matrix, end-to-end in QEMU, packaging
#   make matrix           cross-build for every supported Debian kernel
#   make matrix-flavours  the same for Debian's other arm64 flavours (16k, rt,
#                         cloud) and bookworm's 6.12
#   make check-flavours   dkms builds and end-to-end tests on those flavours
#   make unit             user-space unit tests of the pure logic
#   make fuzz             a short libFuzzer run of the parsers (long: make -C tests/fuzz long)
#   make style            checkpatch on src/
#   make bench            stage-2 fault cost with and without the module
#   make debug-e2e        end-to-end and robustness tests on a kernel built
#                         here with lockdep, KASAN, KFENCE (long the first time)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
SRC := $(CURDIR)
CONFIG_H := $(CURDIR)/kvm_s2attr_config.h
CONFTEST_SRC := $(wildcard $(SRC)/src/conftest/*.c)

.PHONY: all module clean unit matrix matrix-flavours e2e check style bench bench-check selftests fuzz debug-e2e host-setup check-flavours

all: module

# Rebuilt when the target tree or a conftest changes.
$(CONFIG_H): $(CONFTEST_SRC) $(SRC)/scripts/conftest.sh $(KDIR)/.config
	sh $(SRC)/scripts/conftest.sh $(KDIR) $(SRC) $(CURDIR)/.conftest $@

module: $(CONFIG_H)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf $(CURDIR)/.conftest $(CONFIG_H)
	$(MAKE) -C tests/unit clean

# Root, /dev/shm, apt sources; installs scripts/host-packages' missing ones.
host-setup:
	bash scripts/host-setup.sh

unit:
	$(MAKE) -C tests/unit check
	bash tests/host/apt-sources-test.sh
	bash tests/host/kernel-sources-test.sh
	bash tests/host/cache-lock-test.sh

matrix:
	bash scripts/build-matrix.sh

matrix-flavours:
	bash scripts/build-matrix.sh flavours

# The end-to-end tests run Debian trixie's QEMU (10.0, from the toolchain
# chroot): under this machine's QEMU 7.2 with multi-threaded TCG, the stock
# 7.2 kernel loses a vCPU's preempt notifier now and then while VMs come
# and go (scripts/qemu-compare.sh; tests/e2e/README.md has the numbers).
E2E_QEMU ?= trixie
# Kernels booted at once by the end-to-end lanes (tests/e2e/run.sh --jobs):
# one boot keeps about 1.2 of the 2 cores busy. Not the bench: one boot.
E2E_JOBS ?= 2
E2E = bash tests/e2e/run.sh --qemu $(E2E_QEMU) --jobs $(E2E_JOBS)

# On every kernel in VHE and nVHE: the stock kernels' own behaviour, the
# module's, its robustness, the status tool, its fail-closed checks and
# changes reaching running guests. On every kernel in VHE: VM starts and
# device resets while changes are applied, VMMs killed while changes are
# applied, rules by device identity, the policy file kept in sync
# (apply, diff, --persist, kmod's modprobe), an application that cannot
# reach a mapping made other than through vfio, a known-bad platform
# (its test build) giving device where rules and the default would not
# (host-side paths, the same in both modes: vfio, the driver core,
# process exit, the BAR table; the stage-2 read-back of each mode is the
# scenarios' above). Then, in protected
# mode and with kvm-arm.mode=none (5.16+) and on a machine without EL2
# (all), that the module refuses to load.
e2e:
	$(E2E) --scenarios "stock module robust tool failclosed live"
	$(E2E) --modes vhe --scenarios "resets exits ids policy unreached platform"
	$(E2E) --kernels "bullseye:noel2 bookworm:protected,none,noel2 \
		trixie:protected,none,noel2 sid:protected,none,noel2" --scenarios refuse

# Debian's other arm64 flavours (16 KiB pages, PREEMPT_RT, cloud,
# bookworm's 6.12): the
# package's dkms builds for all of them (bookworm-rt, built without KVM,
# must be declined), then, with the modules dkms built (no second build),
# the end-to-end scenarios on each flavour that
# runs KVM, VHE and nVHE, robust on PREEMPT_RT; on bookworm-rt, that a
# module built by hand refuses to load and the tool says why. CI runs it
# after make check.
FLAVOURS_E2E ?= bookworm-612 bookworm-cloud trixie-cloud sid-cloud \
	trixie-16k sid-16k bookworm-612-16k
FLAVOURS_RT ?= trixie-rt sid-rt
check-flavours: host-setup
	bash tests/pkg/run.sh --dkms-only
	E2E_PREBUILT=$(CURDIR)/build/pkg-flavours/modules $(E2E) \
		--kernels "$(FLAVOURS_E2E)" --scenarios "stock module tool"
	E2E_PREBUILT=$(CURDIR)/build/pkg-flavours/modules $(E2E) \
		--kernels "$(FLAVOURS_RT)" --scenarios "stock module tool robust"
	$(E2E) --kernels bookworm-rt --modes none --scenarios nokvm

fuzz:
	$(MAKE) -C tests/fuzz check

style:
	bash scripts/style.sh

# Benchmark: the hook's cost per stage-2 fault, per kernel (3 rounds).
# bench-check, in check: the same without the kprobe fallback and with
# one round of live applications (their figures vary least), each figure
# held to its limit in tests/bench/thresholds (RAM and BAR fault ratios,
# live stall per page). The README's figures come from it.
bench:
	bash scripts/bench.sh

bench-check:
	BENCH_CONFIGS=off,empty,listed,floor,apply BENCH_APPLY_ROUNDS=1 \
		bash scripts/bench.sh --check

# Debug-kernel lane: Debian's 6.1 and 6.12 sources with lockdep,
# DEBUG_ATOMIC_SLEEP, KASAN and KFENCE (scripts/debug-kernel.config), built
# once and cached. 6.1 applies a change to running guests through the mmu
# notifiers (as 5.10 does), 6.12 through vfio's inode (as 7.2 does). The
# checkers watch the host kernel's locking, the same in both KVM modes:
# 6.1 runs VHE, 6.12 nVHE, so that each mode is covered once. The live
# scenario's small BAR flips 11 times there, not 23 (make e2e does 23):
# the checkers need each way through the code once, and these kernels run
# several times slower, which CI's 90 minutes cannot hold. One at a time:
# one of these kernels keeps both cores busy (two at once: load average 4,
# each at half speed). The
# live scenario takes the module's unbind lock (applications, and the
# unbind that waits for a guest); resets, exits and ids do not run here
# (CI's time).
DEBUG_SCENARIOS = stock module robust failclosed live
debug-e2e:
	$(E2E) --jobs 1 --kernels "debug:vhe debug-612:nvhe" \
		--scenarios "$(DEBUG_SCENARIOS)" --append "e2e_robust_conc_s=40 e2e_live_flips=11"

# Upstream's KVM selftests (tests/e2e/kvm-selftests.list, from the
# kernel's own linux-source) stock and with the module loaded, on 6.12
# and 7.2, VHE and nVHE: an oracle from outside the project. Not in check
# yet: 21 minutes (6.12's two boots 5.5, 7.2's 11), which CI's 90 minutes
# cannot hold (README).
selftests:
	$(E2E) --kernels "trixie sid" --scenarios selftests --timeout 3000

check: host-setup unit fuzz style matrix e2e bench-check pkg-check

# The fleet lane (not in check: CI's time; README "Fleet"): the prebuilt
# signed module packages (scripts/fleet-bmdeb.sh) and their signature,
# then the Ansible role (contrib/ansible/roles/kvm_s2attr) on two Debian
# trixie arm64 hosts under QEMU (scripts/fleet-image.sh, built once).
.PHONY: fleet
fleet: host-setup
	bash tests/fleet/bmdeb.sh
	bash tests/fleet/ansible.sh

# ---- packaging and the demo ----
#   make dkms-install     install this checkout with DKMS (root)
#   make deb              build/deb/kvm-s2attr-dkms_<version>_all.deb
#   make pkg-check        the package, the tool, dkms builds for every kernel
#   make demo             before/after in QEMU (DEMO_SUITE=bookworm)
#   make fresh            make demo, unit, fuzz in a fresh Debian 12 root
.PHONY: dkms-install deb pkg-check demo fresh

dkms-install:
	sh tools/dkms-install.sh $(if $(filter command line,$(origin KVER)),$(KVER))

deb:
	bash tools/mkdeb.sh

pkg-check:
	bash tests/pkg/run.sh

demo:
	bash scripts/demo.sh

# make demo, make unit and make fuzz in a fresh debootstrapped Debian 12 root.
fresh:
	bash scripts/fresh.sh
