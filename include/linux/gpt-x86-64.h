/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpt format: x86-64 long-mode paging, as walked by AMD-Vi v2 (guest) page
 * tables and Intel VT-d first-stage translation.
 *
 * Intel SDM vol. 3A section 4.5 / AMD APM vol. 2 section 5.3: 4 levels for
 * 48-bit and 5 for 57-bit addresses; leaves at 4 KiB, 2 MiB and 1 GiB (PS
 * in a PDE / PDPE).  Read access is implied by presence; there is no
 * write-only page.
 */
#ifndef _LINUX_GPT_X86_64_H
#define _LINUX_GPT_X86_64_H

#include <linux/gpt.h>

#define X86_PT_P		BIT_ULL(0)	/* present */
#define X86_PT_RW		BIT_ULL(1)	/* writable */
#define X86_PT_US		BIT_ULL(2)	/* user: needed for user DMA */
#define X86_PT_PCD		BIT_ULL(4)	/* cache disable */
#define X86_PT_A		BIT_ULL(5)	/* accessed */
#define X86_PT_D		BIT_ULL(6)	/* dirty */
#define X86_PT_PS		BIT_ULL(7)	/* page size: leaf above level 0 */
#define X86_PT_ADDR		GENMASK_ULL(51, 12)
#define X86_PT_XD		BIT_ULL(63)	/* execute disable */

#define PT_FMT_NAME		x86_64
#define PT_MIN_LEVELS		4
#define PT_MAX_LEVELS		5
#define PT_CAN_GROW		0
#define PT_HAS_DIRTY		1
#define PT_DIRTY_BITS		X86_PT_D
#define PT_WALKER_BITS		(X86_PT_A | X86_PT_D)
/* Ignored by the walker in a non-leaf entry: "written back" (gpt-core.h). */
#define PT_SW_SYNCED		BIT_ULL(52)
#define PT_MAX_PA_BITS		52
#define PT_LEAF_LEVELS		(BIT(0) | BIT(1) | BIT(2))

static inline unsigned int pt_levels_for(unsigned int va_bits)
{
	return va_bits > 48 ? 5 : 4;
}

static inline bool pt_prot_ok(unsigned int prot)
{
	return prot & GPT_READ;
}

static inline bool pt_present(u64 e)
{
	return e & X86_PT_P;
}

static inline bool pt_is_table(u64 e, unsigned int level)
{
	return level && !(e & X86_PT_PS);
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
	return pt_present(all) && (all & X86_PT_PS);
}

static inline u64 pt_table_pa(u64 e)
{
	return e & X86_PT_ADDR;
}

static inline u64 pt_mk_table(u64 pa, unsigned int level, const struct gpt *pt)
{
	/* A set in tables spares the walker a locked write-back of A. */
	return pa | X86_PT_P | X86_PT_RW | X86_PT_US | X86_PT_A;
}

static inline u64 pt_mk_leaf(u64 pa, unsigned int level, unsigned int prot,
			     const struct gpt *pt)
{
	/*
	 * No XD: DMA never executes, Linux dropped DMA_FL_PTE_XD, and XD is
	 * reserved on VT-d first stage when NXE is clear.  The driver's own
	 * AMD-Vi v2 code does not set it either.
	 */
	u64 e = pa | X86_PT_P | X86_PT_US | X86_PT_A;

	if (prot & GPT_WRITE)
		e |= X86_PT_RW;
	if (!(prot & GPT_CACHE))
		e |= X86_PT_PCD;
	if (level)
		e |= X86_PT_PS;
	return e;
}

static inline u64 pt_leaf_pa(u64 e, unsigned int level)
{
	return e & X86_PT_ADDR & ~((1ULL << (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS)) - 1);
}

static inline unsigned int pt_leaf_prot(u64 e)
{
	return GPT_READ | (e & X86_PT_RW ? GPT_WRITE : 0) |
	       (e & X86_PT_PCD ? 0 : GPT_CACHE);
}

#endif /* _LINUX_GPT_X86_64_H */
