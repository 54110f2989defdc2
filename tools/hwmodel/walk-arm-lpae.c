// SPDX-License-Identifier: GPL-2.0
#include <linux/gpt-arm-lpae.h>
#define HW_ACCESSED	ARM_LPAE_AF
#include "walk.h"
