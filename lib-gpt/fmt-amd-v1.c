// SPDX-License-Identifier: GPL-2.0
/* gpt algorithms compiled for the AMD-Vi v1 format. */
#include <linux/gpt-amd-v1.h>
#include "gpt-core.h"

const struct gpt_fmt gpt_fmt_amd_v1 = PT_FMT_OPS;
EXPORT_SYMBOL_GPL(gpt_fmt_amd_v1);
