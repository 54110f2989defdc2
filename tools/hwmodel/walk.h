/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One format's entries as the hardware decodes them, for hwmodel.c.
 * Included once per format, after the format header.
 */
#include "shim.h"
#include "hwmodel.h"

#ifndef PT_RUN_MAX_LOG2
static inline unsigned int pt_leaf_run_log2(u64 e, unsigned int level)
{
	return 0;
}
#endif

#define HW_CAT2(a, b)	a##_##b
#define HW_CAT(a, b)	HW_CAT2(a, b)

static enum hw_kind HW_CAT(hw_decode, PT_FMT_NAME)(u64 e, unsigned int level,
						   u64 iova, struct hw_decoded *d)
{
	if (!pt_present(e))
		return HW_NONE;
	if (pt_is_table(e, level)) {
		d->addr = pt_table_pa(e);
		return HW_TABLE;
	}
	d->size = 1ULL << (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS +
			   pt_leaf_run_log2(e, level));
	d->addr = pt_leaf_pa(e, level) + (iova & (d->size - 1));
	d->prot = pt_leaf_prot(e);
	return HW_LEAF;
}

const struct hw_walker HW_CAT(hw_walker, PT_FMT_NAME) = {
	.name = __stringify(PT_FMT_NAME),
	.decode = HW_CAT(hw_decode, PT_FMT_NAME),
	.accessed = HW_ACCESSED,
	.dirty = PT_DIRTY_BITS,
};
