# SPDX-License-Identifier: GPL-2.0
# Stock KVM, no kvm_s2attr module: both BARs get the kernel's own stage-2
# attribute (Device-nGnRE before 6.9, Normal-NC since) and the guest's data
# goes through. The big BAR runs twice: skewed by a page (4 KiB, or 16
# KiB on the arm64-16k kernels) so that KVM must use pages, then mapped so
# that KVM may use level-2 blocks (2 MiB, or 32 MiB) and must where
# e2e_big_levels says so.
# e2e-blocks: 3
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
# The leaves are kept for the module scenario, which checks that a
# rewritten leaf differs from these in MemAttr[5:2] only.
e2e_s2test "stock small" "$e2e_dev_small" --expect kernel-default --levels pages \
	--save-leaves /tmp/stock-small.leaves
e2e_s2test "stock big, page-skewed" "$e2e_dev_big" --expect kernel-default --align page \
	--levels pages --save-leaves /tmp/stock-big-page.leaves
e2e_s2test "stock big" "$e2e_dev_big" --expect kernel-default --levels "$(e2e_big_levels)" \
	--save-leaves /tmp/stock-big.leaves
