/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VT-d and AMD-Vi glues share: their lib-gpt table's lifetime,
 * IOMMU_* protection to lib-gpt's, freeing released tables after a flush,
 * iova_to_phys, and dirty tracking reported into an iommu_dirty_bitmap.
 */
#ifndef _GPT_IOMMU_H
#define _GPT_IOMMU_H

#include <linux/gpt.h>
#include <linux/iommu.h>
#include <linux/minmax.h>
#include <linux/slab.h>

/* A lib-gpt table in an allocation of its own, or NULL. */
static inline struct gpt *gpt_iommu_alloc(const struct gpt_fmt *fmt,
					  const struct gpt_cfg *cfg)
{
	struct gpt *pt = kzalloc(sizeof(*pt), GFP_KERNEL);

	if (pt && gpt_init(pt, fmt, cfg, GFP_KERNEL)) {
		kfree(pt);
		pt = NULL;
	}
	return pt;
}

static inline void gpt_iommu_free(struct gpt *pt)
{
	gpt_destroy(pt);
	kfree(pt);
}

static inline unsigned int gpt_iommu_prot(int prot, bool cache)
{
	return (prot & IOMMU_READ ? GPT_READ : 0) |
	       (prot & IOMMU_WRITE ? GPT_WRITE : 0) | (cache ? GPT_CACHE : 0);
}

/* The driver's flush of IOTLB and walk caches for [@start, @last]. */
typedef void (*gpt_iommu_flush_t)(void *cookie, u64 start, u64 last);

/*
 * Tables left the tree: flush [@g->start, @g->last] now, so they can be
 * freed before the op returns (the core flushes only afterwards, and the
 * tables may sit in the walk caches).  Without tables, a gather that asks
 * for a flush hands its span to @gather, when there is one, for the
 * caller's single sync, or else is flushed here (a map has no gather).
 * Return whether it flushed.
 */
static inline bool gpt_iommu_release(struct gpt_gather *g,
				     struct iommu_iotlb_gather *gather,
				     gpt_iommu_flush_t flush, void *cookie)
{
	bool now = g->flush && (g->nr_tables || !gather);

	if (now)
		flush(cookie, g->start, g->last);
	else if (g->flush)
		iommu_iotlb_gather_add_range(gather, g->start, g->last - g->start + 1);
	gpt_gather_free(g);
	return now;
}

/*
 * unmap_pages: the caller flushes [@iova, @iova + the count returned)
 * after the op returns.  Flush here only what cannot wait for that: tables
 * about to be freed, and a huge page that began before @iova.  Then free
 * the tables.  Return whether it flushed.
 */
static inline bool gpt_iommu_unmap_release(struct gpt_gather *g, u64 iova,
					   gpt_iommu_flush_t flush, void *cookie)
{
	bool now = g->nr_tables || (g->flush && g->start < iova);

	if (now)
		flush(cookie, g->start, g->last);
	gpt_gather_free(g);
	return now;
}

/*
 * What unmap_pages reports: the bytes from @iova to the end of the last
 * leaf removed, at least @size (a huge page the range cut went whole).
 */
static inline size_t gpt_iommu_unmapped(struct gpt_gather *g, u64 iova, u64 size)
{
	if (g->flush && g->last >= iova + size)
		return g->last - iova + 1;
	return size;
}

/*
 * map_dir's IOMMU_DIR_UNMAP: when tables go, the op's own flush replaces
 * the gather's.  Return the flushes issued here (0 or 1).
 */
static inline int gpt_iommu_dir_unmap(struct gpt *pt, u64 iova, u64 size,
				      struct iommu_iotlb_gather *gather,
				      gpt_iommu_flush_t flush, void *cookie)
{
	struct gpt_gather g;

	gpt_gather_init(&g);
	gpt_unmap(pt, iova, size, &g);
	return gpt_iommu_release(&g, gather, flush, cookie);
}

static inline phys_addr_t gpt_iommu_iova_to_phys(struct gpt *gpt, u64 iova)
{
	struct gpt_leaf leaf;

	if (gpt_lookup(gpt, iova, &leaf))
		return 0;
	return leaf.pa + (iova - leaf.iova);
}

struct gpt_iommu_dirty {
	struct iommu_dirty_bitmap *bitmap;
	u64 start;
	u64 last;
};

/*
 * The part of @leaf inside [@start, @last], as [*@iova, *@iova + *@len):
 * a huge leaf may begin before the range asked about, and the bitmap
 * iommufd passes covers only that range.  Return false if none.
 */
static inline bool gpt_iommu_dirty_span(const struct gpt_leaf *leaf, u64 start,
					u64 last, u64 *iova, u64 *len)
{
	u64 first = max(leaf->iova, start);
	u64 end = min(leaf->iova + leaf->size - 1, last);

	if (first > end)
		return false;
	*iova = first;
	*len = end - first + 1;
	return true;
}

static inline int gpt_iommu_record_dirty(void *arg, const struct gpt_leaf *leaf)
{
	struct gpt_iommu_dirty *d = arg;
	u64 iova, len;

	if (leaf->dirty && gpt_iommu_dirty_span(leaf, d->start, d->last, &iova, &len))
		iommu_dirty_bitmap_record(d->bitmap, iova, len);
	return 0;
}

/* read_and_clear_dirty, honouring IOMMU_DIRTY_NO_CLEAR. */
static inline int gpt_iommu_read_dirty(struct gpt *gpt, unsigned long iova,
				       size_t size, unsigned long flags,
				       struct iommu_dirty_bitmap *dirty)
{
	struct gpt_iommu_dirty d = { dirty, iova, iova + size - 1 };

	if (flags & IOMMU_DIRTY_NO_CLEAR)
		return gpt_walk(gpt, iova, size, gpt_iommu_record_dirty, &d);
	return gpt_read_and_clear_dirty(gpt, iova, size, gpt_iommu_record_dirty, &d);
}

struct gpt *intel_gpt_domain(struct iommu_domain *domain);
struct gpt *amd_gpt_domain(struct iommu_domain *domain);
bool amd_gpt_wanted(u64 me_mask);
/* AMD-Vi's gpt_iommu_flush_t (v1 and v2): @pgtable is a struct amd_io_pgtable. */
void amd_gpt_flush(void *pgtable, u64 start, u64 last);

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
