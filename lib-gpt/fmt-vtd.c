// SPDX-License-Identifier: GPL-2.0
/* gpt algorithms compiled for the Intel VT-d second stage format. */
#include <linux/gpt-vtd.h>
#include "gpt-core.h"
