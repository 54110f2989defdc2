// SPDX-License-Identifier: GPL-2.0
#include <linux/gpt-amd-v1.h>
#define HW_ACCESSED	AMD_V1_A
#include "walk.h"
