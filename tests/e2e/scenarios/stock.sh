# SPDX-License-Identifier: GPL-2.0
# Stock KVM, no kvm_s2attr module: both BARs get the kernel's own stage-2
# attribute (Device-nGnRE before 6.9, Normal-NC since) and the guest's data
# goes through. The big BAR runs twice: mapped so that KVM may use 2 MiB
# blocks, then skewed by 4 KiB so that it must use pages.
# shellcheck shell=sh disable=SC2154 # e2e_* come from the kernel command line
e2e_s2test "stock small" "$e2e_dev_small" --expect kernel-default
e2e_s2test "stock big, 4K-skewed" "$e2e_dev_big" --expect kernel-default --align page
e2e_s2test "stock big" "$e2e_dev_big" --expect kernel-default
