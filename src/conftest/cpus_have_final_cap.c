// SPDX-License-Identifier: GPL-2.0
/* cpus_have_final_cap() exists (cpus_have_const_cap() went away in v6.8). */
#include <asm/cpufeature.h>

bool conftest_fwb(void);
bool conftest_fwb(void)
{
	return cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
}
