// SPDX-License-Identifier: GPL-2.0
/* gpt algorithms compiled for the AMD-Vi v1 format. */
#include <linux/gpt-amd-v1.h>
#include "gpt-core.h"
