// SPDX-License-Identifier: GPL-2.0
/* gpt algorithms compiled for the Arm LPAE stage 1, 4 KiB granule format. */
#include <linux/gpt-arm-lpae.h>
#include "gpt-core.h"

const struct gpt_fmt gpt_fmt_arm_lpae_s1 = PT_FMT_OPS;
EXPORT_SYMBOL_GPL(gpt_fmt_arm_lpae_s1);
