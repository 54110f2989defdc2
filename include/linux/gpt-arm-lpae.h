/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpt format: Arm VMSAv8-64 long-descriptor (LPAE) stage 1, 4 KiB granule.
 *
 * Arm ARM (DDI 0487) section D8.3: up to 4 levels (Arm levels 0..3 are our
 * levels 3..0); block descriptors at 1 GiB and 2 MiB, page descriptors at
 * 4 KiB.  Bits 1:0 are 0b11 for a table or page and 0b01 for a block.  The
 * attributes follow what Linux's io-pgtable-arm programs for stage 1, with
 * MAIR index 0 non-cacheable and index 1 write-back cacheable, so both page
 * tables are directly comparable.
 *
 * A hitless split (gpt_split(), an update that cuts a block) replaces a
 * valid block descriptor by a valid table descriptor in one store.  The
 * architecture calls that a break-before-make violation unless the SMMU
 * supports it: on SMMUv3 only with BBML level 1 or 2 (SMMU_IDR3.BBML);
 * without it, split with the mapping removed first, or not at all.
 */
#ifndef _LINUX_GPT_ARM_LPAE_H
#define _LINUX_GPT_ARM_LPAE_H

#include <linux/gpt.h>
#include <linux/math.h>

#define ARM_LPAE_VALID		BIT_ULL(0)
#define ARM_LPAE_TABLE_OR_PAGE	BIT_ULL(1)
#define ARM_LPAE_ATTRIDX_SHIFT	2		/* AttrIndx[2:0] */
#define ARM_LPAE_AP_UNPRIV	BIT_ULL(6)	/* AP[1] */
#define ARM_LPAE_AP_RDONLY	BIT_ULL(7)	/* AP[2] */
#define ARM_LPAE_SH_MASK	(3ULL << 8)
#define ARM_LPAE_SH_OS		(2ULL << 8)	/* outer shareable */
#define ARM_LPAE_SH_IS		(3ULL << 8)	/* inner shareable */
#define ARM_LPAE_AF		BIT_ULL(10)	/* access flag */
#define ARM_LPAE_NG		BIT_ULL(11)	/* not global */
#define ARM_LPAE_ADDR		GENMASK_ULL(47, 12)
#define ARM_LPAE_XN		BIT_ULL(54)
#define ARM_LPAE_MAIR_NC	0
#define ARM_LPAE_MAIR_WB	1

#define PT_FMT_NAME		arm_lpae_s1
#define PT_MIN_LEVELS		2
#define PT_MAX_LEVELS		4
#define PT_CAN_GROW		0
#define PT_HAS_DIRTY		0
#define PT_DIRTY_BITS		0
/* Ignored in a table descriptor (bits 58:52): "written back" (gpt-core.h). */
#define PT_SW_SYNCED		BIT_ULL(55)
#define PT_MAX_PA_BITS		48
#define PT_LEAF_LEVELS		(BIT(0) | BIT(1) | BIT(2))

static inline unsigned int pt_levels_for(unsigned int va_bits)
{
	return DIV_ROUND_UP(va_bits - GPT_PAGE_SHIFT, GPT_LEVEL_BITS);
}

static inline bool pt_prot_ok(unsigned int prot)
{
	return prot & GPT_READ;
}

static inline bool pt_present(u64 e)
{
	return e & ARM_LPAE_VALID;
}

static inline bool pt_is_table(u64 e, unsigned int level)
{
	return level && (e & ARM_LPAE_TABLE_OR_PAGE);
}

/*
 * Four present entries of @level (at least 1), given their AND @all and
 * their OR @any, are all leaves and none of them a run: the unmap loops'
 * test of four entries at once.  %false may be wrong (the caller then
 * looks at each entry); %true must not be.
 */
static inline bool pt_leaves4(u64 all, u64 any, unsigned int level)
{
	/* A block above level 0 is one with the table bit clear. */
	return pt_present(all) && !(any & ARM_LPAE_TABLE_OR_PAGE);
}

static inline u64 pt_table_pa(u64 e)
{
	return e & ARM_LPAE_ADDR;
}

static inline u64 pt_mk_table(u64 pa, unsigned int level, const struct gpt *pt)
{
	return pa | ARM_LPAE_VALID | ARM_LPAE_TABLE_OR_PAGE;
}

static inline u64 pt_mk_leaf(u64 pa, unsigned int level, unsigned int prot,
			     const struct gpt *pt)
{
	/*
	 * As io-pgtable-arm for stage 1 without IOMMU_NOEXEC: no XN, and
	 * outer shareable for non-cacheable memory.
	 */
	u64 e = pa | ARM_LPAE_VALID | ARM_LPAE_AF | ARM_LPAE_NG |
		ARM_LPAE_AP_UNPRIV;

	if (!level)
		e |= ARM_LPAE_TABLE_OR_PAGE;
	if (!(prot & GPT_WRITE))
		e |= ARM_LPAE_AP_RDONLY;
	if (prot & GPT_CACHE)
		e |= ARM_LPAE_SH_IS |
		     ((u64)ARM_LPAE_MAIR_WB << ARM_LPAE_ATTRIDX_SHIFT);
	else
		e |= ARM_LPAE_SH_OS;
	return e;
}

static inline u64 pt_leaf_pa(u64 e, unsigned int level)
{
	return e & ARM_LPAE_ADDR & ~((1ULL << (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS)) - 1);
}

static inline unsigned int pt_leaf_prot(u64 e)
{
	return GPT_READ | (e & ARM_LPAE_AP_RDONLY ? 0 : GPT_WRITE) |
	       ((e & ARM_LPAE_SH_MASK) == ARM_LPAE_SH_IS ? GPT_CACHE : 0);
}

#endif /* _LINUX_GPT_ARM_LPAE_H */
