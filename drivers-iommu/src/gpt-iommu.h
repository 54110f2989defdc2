/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VT-d and AMD-Vi glues share: IOMMU_* protection to lib-gpt's,
 * iova_to_phys, and dirty tracking reported into an iommu_dirty_bitmap.
 */
#ifndef _GPT_IOMMU_H
#define _GPT_IOMMU_H

#include <linux/gpt.h>
#include <linux/iommu.h>
#include <linux/minmax.h>

static inline unsigned int gpt_iommu_prot(int prot, bool cache)
{
	return (prot & IOMMU_READ ? GPT_READ : 0) |
	       (prot & IOMMU_WRITE ? GPT_WRITE : 0) | (cache ? GPT_CACHE : 0);
}

/*
 * The IOVA range to flush before @g's tables are freed, for a call on
 * [@iova, @iova + @size): the call's range, widened to the span of tables
 * earlier maps replaced if the gather took some.
 */
static inline void gpt_iommu_flush_span(const struct gpt_gather *g, u64 iova,
					u64 size, u64 *start, u64 *last)
{
	*start = iova;
	*last = iova + size - 1;
	if (g->start <= g->last) {
		*start = min(*start, g->start);
		*last = max(*last, g->last);
	}
}

static inline phys_addr_t gpt_iommu_iova_to_phys(struct gpt *gpt, u64 iova)
{
	struct gpt_leaf leaf;

	if (gpt_lookup(gpt, iova, &leaf))
		return 0;
	return leaf.pa + (iova - leaf.iova);
}

static inline int gpt_iommu_record_dirty(void *arg, const struct gpt_leaf *leaf)
{
	if (leaf->dirty)
		iommu_dirty_bitmap_record(arg, leaf->iova, leaf->size);
	return 0;
}

/* read_and_clear_dirty, honouring IOMMU_DIRTY_NO_CLEAR. */
static inline int gpt_iommu_read_dirty(struct gpt *gpt, unsigned long iova,
				       size_t size, unsigned long flags,
				       struct iommu_dirty_bitmap *dirty)
{
	if (flags & IOMMU_DIRTY_NO_CLEAR)
		return gpt_walk(gpt, iova, size, gpt_iommu_record_dirty, dirty);
	return gpt_read_and_clear_dirty(gpt, iova, size, gpt_iommu_record_dirty,
					dirty);
}

struct gpt *intel_gpt_domain(struct iommu_domain *domain);
struct gpt *amd_gpt_domain(struct iommu_domain *domain);

/* The lib-gpt table behind a paging domain, or NULL: for tests. */
static inline struct gpt *gpt_iommu_domain_gpt(struct iommu_domain *domain)
{
	struct gpt *pt = NULL;

	if (IS_ENABLED(CONFIG_INTEL_IOMMU_GPT))
		pt = intel_gpt_domain(domain);
	if (!pt && IS_ENABLED(CONFIG_AMD_IOMMU_GPT))
		pt = amd_gpt_domain(domain);
	return pt;
}

#endif /* _GPT_IOMMU_H */
