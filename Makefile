# SPDX-License-Identifier: GPL-2.0
#
# kvm-s2attr: per-device stage-2 memory attributes for vfio-pci BARs.
#
#   make                  build for the running kernel
#   make KDIR=<tree>      build against any configured tree or headers
#   make check            the whole test suite (unit, matrix, end-to-end)
#   make matrix           cross-build for every supported Debian kernel
#   make unit             user-space unit tests of the pure logic
#   make style            checkpatch on src/

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
SRC := $(CURDIR)
CONFIG_H := $(CURDIR)/kvm_s2attr_config.h
CONFTEST_SRC := $(wildcard $(SRC)/src/conftest/*.c)

.PHONY: all module clean unit matrix e2e check style

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

unit:
	$(MAKE) -C tests/unit check

matrix:
	bash scripts/build-matrix.sh

# The stock kernels' own behaviour, then the module's, on every kernel
# in VHE and nVHE.
e2e:
	bash tests/e2e/run.sh --scenarios "stock module"

style:
	bash scripts/style.sh

check: unit style matrix e2e
