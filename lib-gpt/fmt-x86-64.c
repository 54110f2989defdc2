// SPDX-License-Identifier: GPL-2.0
/* gpt algorithms compiled for the x86-64 (AMD-Vi v2, VT-d first stage) format. */
#include <linux/gpt-x86-64.h>
#include "gpt-core.h"

const struct gpt_fmt gpt_fmt_x86_64 = PT_FMT_OPS;
EXPORT_SYMBOL_GPL(gpt_fmt_x86_64);
