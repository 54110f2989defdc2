// SPDX-License-Identifier: GPL-2.0
/* gpt algorithms compiled for the Intel VT-d second stage format. */
#include <linux/gpt-vtd.h>
#include "gpt-core.h"

const struct gpt_fmt gpt_fmt_vtd_ss = PT_FMT_OPS;
EXPORT_SYMBOL_GPL(gpt_fmt_vtd_ss);
