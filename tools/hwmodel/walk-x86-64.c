// SPDX-License-Identifier: GPL-2.0
#include <linux/gpt-x86-64.h>
#define HW_ACCESSED	X86_PT_A
#include "walk.h"
