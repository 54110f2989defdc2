// SPDX-License-Identifier: GPL-2.0
#include <linux/gpt-vtd.h>
#define HW_ACCESSED	VTD_SS_A
#include "walk.h"
