/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpt format: AMD-Vi "v1" (host) page table.
 *
 * AMD I/O Virtualization Technology (IOMMU) Specification 48882, section
 * 2.2.3 ("I/O Page Tables for Host Translations"): 1 to 6 levels chosen by
 * the DTE's Mode field; each entry names the level of what it points to in
 * NextLevel (bits 11:9).  NextLevel 0 is a leaf of its level's natural size.
 * NextLevel 7 is a leaf whose size, 2 to 256 times the natural one, is
 * encoded in the address bits (the lowest clear bit above bit 12 marks
 * the size) and which is repeated in every entry the page covers: a *run*
 * in lib-gpt's terms (section 2.2.3.2, "Page Size").  The tree starts
 * with 3 levels (as Linux does for unmanaged domains) and grows when an
 * IOVA beyond its reach is mapped: the new top table's entry 0 points to
 * the old one, so the old root stays a valid subtree and walkers using the
 * old DTE Mode keep working.
 */
#ifndef _LINUX_GPT_AMD_V1_H
#define _LINUX_GPT_AMD_V1_H

#include <linux/bitops.h>
#include <linux/gpt.h>

#define AMD_V1_PR		BIT_ULL(0)	/* present */
#define AMD_V1_A		BIT_ULL(5)	/* accessed (HA) */
#define AMD_V1_D		BIT_ULL(6)	/* dirty (HD) */
#define AMD_V1_NEXT		GENMASK_ULL(11, 9)
#define AMD_V1_NEXT_SHIFT	9
#define AMD_V1_ADDR		GENMASK_ULL(51, 12)
#define AMD_V1_FC		BIT_ULL(60)	/* force coherent */
#define AMD_V1_IR		BIT_ULL(61)	/* read permission */
#define AMD_V1_IW		BIT_ULL(62)	/* write permission */

#define PT_FMT_NAME		amd_v1
#define PT_MIN_LEVELS		3
#define PT_MAX_LEVELS		6
#define PT_CAN_GROW		1
#define PT_HAS_DIRTY		1
#define PT_DIRTY_BITS		AMD_V1_D
#define PT_MAX_PA_BITS		52
#define PT_WALKER_BITS		(AMD_V1_A | AMD_V1_D)
/*
 * Leaves up to 1 GiB, and runs up to 256 GiB: the encoding allows more, but
 * Linux never uses 512 GiB pages (AMD_IOMMU_PGSIZES leaves them out).
 */
#define PT_LEAF_LEVELS		(BIT(0) | BIT(1) | BIT(2))
/* Runs of 2^1 .. 2^8 entries: the page sizes between the levels. */
#define PT_RUN_MAX_LOG2		8

static inline unsigned int pt_levels_for(unsigned int va_bits)
{
	/* The initial height; map grows it up to va_bits on demand. */
	return 3;
}

static inline bool pt_prot_ok(unsigned int prot)
{
	return prot & (GPT_READ | GPT_WRITE);
}

static inline bool pt_present(u64 e)
{
	return e & AMD_V1_PR;
}

static inline unsigned int amd_v1_next(u64 e)
{
	return (e & AMD_V1_NEXT) >> AMD_V1_NEXT_SHIFT;
}

static inline bool pt_is_table(u64 e, unsigned int level)
{
	return level && amd_v1_next(e) && amd_v1_next(e) != 7;
}

/*
 * Four present entries of @level (at least 1), given their AND @all and
 * their OR @any, are all leaves and none of them a run: the unmap loops'
 * test of four entries at once.  %false may be wrong (the caller then
 * looks at each entry); %true must not be.
 */
static inline bool pt_leaves4(u64 all, u64 any, unsigned int level)
{
	/* NextLevel 0 in all four: no table (1-6), no run (7). */
	return pt_present(all) && !(any & AMD_V1_NEXT);
}

static inline u64 pt_table_pa(u64 e)
{
	return e & AMD_V1_ADDR;
}

static inline u64 pt_mk_table(u64 pa, unsigned int level, const struct gpt *pt)
{
	/*
	 * NextLevel counts levels from 1 at the 4 KiB level: the table below
	 * an entry of our level L is at AMD level L.
	 */
	return pa | ((u64)level << AMD_V1_NEXT_SHIFT) | AMD_V1_PR |
	       AMD_V1_IR | AMD_V1_IW;
}

static inline u64 pt_mk_leaf(u64 pa, unsigned int level, unsigned int prot,
			     const struct gpt *pt)
{
	u64 e = pa | AMD_V1_PR;

	if (prot & GPT_READ)
		e |= AMD_V1_IR;
	if (prot & GPT_WRITE)
		e |= AMD_V1_IW;
	if (prot & GPT_CACHE)
		e |= AMD_V1_FC;
	return e;
}

/*
 * log2 of the number of entries a leaf's page spans: 0 for NextLevel 0.
 * Given the OR of some leaves of one level, non-zero only when one is a
 * run: a leaf's NextLevel 0 adds nothing to a run's 7, a run sets every
 * address bit below its level's page size (so the result is at least 1),
 * and bits 52-59, never set, keep a clear bit for __ffs().
 */
static inline unsigned int pt_leaf_run_log2(u64 e, unsigned int level)
{
	if ((e & AMD_V1_NEXT) != AMD_V1_NEXT)
		return 0;
	/* The lowest clear address bit is bit log2(size) - 1. */
	return __ffs(~(e | (BIT_ULL(GPT_PAGE_SHIFT) - 1))) + 1 -
	       (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS);
}

static inline u64 pt_leaf_pa(u64 e, unsigned int level)
{
	unsigned int shift = GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS +
			     pt_leaf_run_log2(e, level);

	return e & AMD_V1_ADDR & ~((1ULL << shift) - 1);
}

/* The entry written in each of the 2^@log2n entries of a run. */
static inline u64 pt_mk_run(u64 pa, unsigned int level, unsigned int log2n,
			    unsigned int prot, const struct gpt *pt)
{
	u64 size = 1ULL << (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS + log2n);
	u64 e = pt_mk_leaf(pa, 0, prot, pt) & ~AMD_V1_ADDR;

	return e | ((pa | (size - 1)) & ~(size >> 1) & AMD_V1_ADDR) |
	       (7ULL << AMD_V1_NEXT_SHIFT);
}

static inline unsigned int pt_leaf_prot(u64 e)
{
	return (e & AMD_V1_IR ? GPT_READ : 0) | (e & AMD_V1_IW ? GPT_WRITE : 0) |
	       (e & AMD_V1_FC ? GPT_CACHE : 0);
}

#endif /* _LINUX_GPT_AMD_V1_H */
