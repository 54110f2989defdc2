/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpt format: Intel VT-d second-stage page table.
 *
 * Intel VT-d specification rev 4.x, section 9.8 ("Second-Stage Paging
 * Entries"): 3 levels for a 39-bit, 4 for a 48-bit and 5 for a 57-bit
 * address width; leaves at 4 KiB (SL-PTE), 2 MiB and 1 GiB (PS=1 in an
 * SL-PDE / SL-PDPE).  An entry is present when R or W is set.
 */
#ifndef _LINUX_GPT_VTD_H
#define _LINUX_GPT_VTD_H

#include <linux/gpt.h>
#include <linux/math.h>

#define VTD_SS_R		BIT_ULL(0)	/* read */
#define VTD_SS_W		BIT_ULL(1)	/* write */
#define VTD_SS_PS		BIT_ULL(7)	/* page size: leaf above level 0 */
#define VTD_SS_A		BIT_ULL(8)	/* accessed (SSADS) */
#define VTD_SS_D		BIT_ULL(9)	/* dirty (SSADS) */
#define VTD_SS_SNP		BIT_ULL(11)	/* snoop */
#define VTD_SS_ADDR		GENMASK_ULL(51, 12)

#define PT_FMT_NAME		vtd_ss
#define PT_MIN_LEVELS		3
#define PT_MAX_LEVELS		5
#define PT_CAN_GROW		0
#define PT_HAS_DIRTY		1
#define PT_DIRTY_BITS		VTD_SS_D
#define PT_WALKER_BITS		(VTD_SS_A | VTD_SS_D)
/* Ignored by the walker in a non-leaf entry: "written back" (gpt-core.h). */
#define PT_SW_SYNCED		BIT_ULL(52)
#define PT_MAX_PA_BITS		52
#define PT_LEAF_LEVELS		(BIT(0) | BIT(1) | BIT(2))

static inline unsigned int pt_levels_for(unsigned int va_bits)
{
	return DIV_ROUND_UP(va_bits - GPT_PAGE_SHIFT, GPT_LEVEL_BITS);
}

static inline bool pt_prot_ok(unsigned int prot)
{
	return prot & (GPT_READ | GPT_WRITE);
}

static inline bool pt_present(u64 e)
{
	return e & (VTD_SS_R | VTD_SS_W);
}

static inline bool pt_is_table(u64 e, unsigned int level)
{
	return level && !(e & VTD_SS_PS);
}

/*
 * Four present entries of @level (at least 1), given their AND @all and
 * their OR @any, are all leaves and none of them a run: the unmap loops'
 * test of four entries at once.  %false may be wrong (the caller then
 * looks at each entry); %true must not be.
 */
static inline bool pt_leaves4(u64 all, u64 any, unsigned int level)
{
	/* A leaf above level 0 is one with PS set. */
	return pt_present(all) && (all & VTD_SS_PS);
}

static inline u64 pt_table_pa(u64 e)
{
	return e & VTD_SS_ADDR;
}

static inline u64 pt_mk_table(u64 pa, unsigned int level, const struct gpt *pt)
{
	/* R/W on non-leaf entries only allow; the leaf decides. */
	return pa | VTD_SS_R | VTD_SS_W;
}

static inline u64 pt_mk_leaf(u64 pa, unsigned int level, unsigned int prot,
			     const struct gpt *pt)
{
	u64 e = pa;

	if (prot & GPT_READ)
		e |= VTD_SS_R;
	if (prot & GPT_WRITE)
		e |= VTD_SS_W;
	if (prot & GPT_CACHE)
		e |= VTD_SS_SNP;
	if (level)
		e |= VTD_SS_PS;
	return e;
}

static inline u64 pt_leaf_pa(u64 e, unsigned int level)
{
	return e & VTD_SS_ADDR & ~((1ULL << (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS)) - 1);
}

static inline unsigned int pt_leaf_prot(u64 e)
{
	return (e & VTD_SS_R ? GPT_READ : 0) | (e & VTD_SS_W ? GPT_WRITE : 0) |
	       (e & VTD_SS_SNP ? GPT_CACHE : 0);
}

#endif /* _LINUX_GPT_VTD_H */
