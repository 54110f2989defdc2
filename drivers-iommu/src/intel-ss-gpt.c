// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-d second-stage page tables on lib-gpt.
 *
 * A paging domain that uses second-stage translation keeps its table in
 * lib-gpt's VT-d format; domain->pgd points at lib-gpt's top table, so the
 * context and PASID entries the driver programs need no change.  The
 * driver's map, unmap, iova_to_phys and dirty-tracking ops call in here
 * for such domains, and the old dma_pte code is not used for them.
 */
#include <kunit/visibility.h>
#include <linux/gpt.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/slab.h>
#include <linux/cacheflush.h>
#include "gpt-iommu.h"
#include "../intel/iommu.h"

static struct dmar_domain *gpt_dmar(struct iommu_domain *domain)
{
	return container_of(domain, struct dmar_domain, domain);
}

/* The walker does not snoop: write the entries back to memory. */
static void intel_gpt_sync(void *cookie, void *ptr, size_t len)
{
	struct dmar_domain *domain = cookie;

	if (!domain->iommu_coherency)
		clflush_cache_range(ptr, len);
}

/* A new, empty table for @domain's current width and page sizes. */
static struct gpt *intel_gpt_alloc(struct dmar_domain *domain)
{
	struct gpt_cfg cfg = {
		.va_bits = agaw_to_width(domain->agaw),
		.pa_bits = 52,
		.flags = GPT_CFG_DIRTY | (domain->iommu_superpage ? 0 : GPT_CFG_NO_HUGE),
		.max_leaf_level = domain->iommu_superpage,
		.sync = intel_gpt_sync,
		.cookie = domain,
	};
	unsigned int levels;
	struct gpt *gpt;
	u64 top;

	gpt = gpt_iommu_alloc(&gpt_fmt_vtd_ss, &cfg);
	if (!gpt)
		return ERR_PTR(-ENOMEM);
	gpt_top(gpt, &top, &levels);
	if (WARN_ON(levels != agaw_to_level(domain->agaw))) {
		gpt_iommu_free(gpt);
		return ERR_PTR(-EINVAL);
	}
	return gpt;
}

static void intel_gpt_install(struct dmar_domain *domain, struct gpt *gpt)
{
	unsigned int levels;
	u64 top;

	gpt_top(gpt, &top, &levels);
	domain->gpt = gpt;
	domain->pgd = phys_to_virt(top);
}

/**
 * intel_gpt_domain_init() - give a second-stage domain a lib-gpt table
 * @domain: the domain, with gaw, agaw and iommu_superpage set
 *
 * Context: process context; sleeps.
 * Return: 0 or -ENOMEM / -EINVAL.
 */
int intel_gpt_domain_init(struct dmar_domain *domain)
{
	struct gpt *gpt = intel_gpt_alloc(domain);

	if (IS_ERR(gpt))
		return PTR_ERR(gpt);
	intel_gpt_install(domain, gpt);
	return 0;
}

/**
 * intel_gpt_domain_free() - free a domain's lib-gpt table
 * @domain: the domain, no longer attached anywhere
 *
 * Context: any.
 */
void intel_gpt_domain_free(struct dmar_domain *domain)
{
	gpt_iommu_free(domain->gpt);
	domain->gpt = NULL;
	domain->pgd = NULL;
}

/**
 * intel_gpt_domain_shrink() - fit a domain to a narrower IOMMU
 * @domain: the domain, about to be attached
 * @agaw: the IOMMU's adjusted guest address width
 *
 * Where the driver's own tables drop their top levels, the lib-gpt table
 * does the same: every mapping must already lie below the new width.
 *
 * Context: process context.
 * Return: 0, or -EBUSY if something is mapped above the new width.
 */
int intel_gpt_domain_shrink(struct dmar_domain *domain, int agaw)
{
	unsigned int levels;
	struct gpt_gather g;
	u64 top;
	int ret;

	gpt_gather_init(&g);
	ret = gpt_shrink(domain->gpt, agaw_to_width(agaw), &g);
	/* The domain may be live on another IOMMU: flush before freeing. */
	if (g.flush)
		cache_tag_flush_all(domain);
	gpt_gather_free(&g);
	if (ret)
		return ret;
	gpt_top(domain->gpt, &top, &levels);
	domain->pgd = phys_to_virt(top);
	domain->agaw = agaw;
	return 0;
}

/* The driver checks attach against the highest address ever mapped. */
static int intel_gpt_note_max(struct dmar_domain *domain, u64 last)
{
	if (domain->gaw < 64 && last >> domain->gaw)
		return -ERANGE;
	if (domain->max_addr < last + 1)
		domain->max_addr = last + 1;
	return 0;
}

/* gpt_iommu_flush_t: the whole flush, IOTLB and paging-structure caches. */
static void intel_gpt_flush(void *dmar, u64 start, u64 last)
{
	cache_tag_flush_range(dmar, start, last, 0);
}

static bool intel_gpt_release(struct dmar_domain *dmar, struct gpt_gather *g,
			      struct iommu_iotlb_gather *gather)
{
	return gpt_iommu_release(g, gather, intel_gpt_flush, dmar);
}

/**
 * intel_gpt_map_pages() - iommu_domain_ops.map_pages for lib-gpt domains
 * @domain: the domain
 * @iova: first IOVA
 * @paddr: physical address
 * @pgsize: page size
 * @pgcount: number of pages
 * @prot: IOMMU_READ / IOMMU_WRITE
 * @gfp: allocation flags
 * @mapped: incremented by the bytes mapped
 *
 * Context: may sleep if @gfp allows.
 * Return: 0 or a negative errno, with nothing mapped.
 */
int intel_gpt_map_pages(struct iommu_domain *domain, unsigned long iova,
			phys_addr_t paddr, size_t pgsize, size_t pgcount,
			int prot, gfp_t gfp, size_t *mapped)
{
	struct dmar_domain *dmar = gpt_dmar(domain);
	size_t size = pgsize * pgcount;
	struct gpt_gather g;
	int ret;

	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	ret = intel_gpt_note_max(dmar, iova + size - 1);
	if (ret)
		return ret;
	gpt_gather_init(&g);
	ret = gpt_map(dmar->gpt, iova, paddr, size, gpt_iommu_prot(prot, dmar->set_pte_snp),
		      &g, gfp);
	/* Tables a huge page replaced, or what a failed map rolled back. */
	intel_gpt_release(dmar, &g, NULL);
	if (ret)
		return ret;
	if (mapped)
		*mapped += size;
	return 0;
}

/**
 * intel_gpt_unmap_pages() - iommu_domain_ops.unmap_pages for lib-gpt domains
 * @domain: the domain
 * @iova: first IOVA
 * @pgsize: page size
 * @pgcount: number of pages
 * @gather: the range is added here for the caller's IOTLB sync
 *
 * A huge page that the range cuts is removed whole, as the driver's own
 * code does: an unmap never allocates.  The removed span goes to @gather,
 * and so do page tables that left the tree (on its freelist): the core's
 * sync flushes once, paging-structure caches included, and only then are
 * they freed, after an RCU grace period (intel_gpt_tlb_sync()).  With a
 * queued gather (lazy flush mode), tables are flushed and freed here.
 *
 * Context: any.
 * Return: bytes unmapped from @iova on: the range, or more when a huge
 * page stuck out of its end.
 */
size_t intel_gpt_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			     size_t pgsize, size_t pgcount,
			     struct iommu_iotlb_gather *gather)
{
	struct dmar_domain *dmar = gpt_dmar(domain);
	size_t size = pgsize * pgcount, unmapped;
	struct gpt_gather g;

	gpt_gather_init(&g);
	gpt_unmap(dmar->gpt, iova, size, &g);
	unmapped = gpt_iommu_unmapped(&g, iova, size);
	if (iommu_iotlb_gather_queued(gather)) {
		gpt_iommu_unmap_release(&g, iova, intel_gpt_flush, dmar);
		return unmapped;
	}
	/*
	 * Add the span first: adding may sync what the gather held before,
	 * which must not free these tables ahead of their own flush.
	 */
	if (g.flush)
		iommu_iotlb_gather_add_page(domain, gather, g.start, g.last - g.start + 1);
	else
		iommu_iotlb_gather_add_page(domain, gather, iova, unmapped);
	list_splice_tail_init(&g.tables, &gather->freelist);
	return unmapped;
}

/**
 * intel_gpt_tlb_sync() - iommu_domain_ops.iotlb_sync for lib-gpt domains
 * @domain: the domain
 * @gather: what unmaps gathered: a range, and lib-gpt tables on its
 *	freelist
 *
 * One flush of the range, of the paging-structure caches too when tables
 * left the tree; then the tables go back to lib-gpt, which frees them after
 * an RCU grace period for its lockless readers.  An empty gather flushes
 * nothing.
 *
 * Context: any.
 */
void intel_gpt_tlb_sync(struct iommu_domain *domain,
			struct iommu_iotlb_gather *gather)
{
	bool tables = !list_empty(&gather->freelist);
	struct gpt_gather g;

	if (gather->start > gather->end && !tables)
		return;
	cache_tag_flush_range(gpt_dmar(domain), gather->start, gather->end, !tables);
	gpt_gather_init(&g);
	list_splice_init(&gather->freelist, &g.tables);
	/* Only this domain's unmaps fill the freelist: its cache may keep them. */
	g.nr_tables = list_count_nodes(&g.tables);
	g.pt = gpt_dmar(domain)->gpt;
	gpt_gather_free(&g);
}

/**
 * intel_gpt_iova_to_phys() - iommu_domain_ops.iova_to_phys, lockless
 * @domain: the domain
 * @iova: the IOVA
 *
 * Context: any.
 * Return: the physical address, or 0 if @iova is not mapped.
 */
phys_addr_t intel_gpt_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	return gpt_iommu_iova_to_phys(gpt_dmar(domain)->gpt, iova);
}

/**
 * intel_gpt_read_and_clear_dirty() - dirty tracking for lib-gpt domains
 * @domain: the domain
 * @iova: first IOVA
 * @size: bytes
 * @flags: IOMMU_DIRTY_NO_CLEAR to leave the bits set
 * @dirty: the bitmap to record dirty leaves in
 *
 * Context: any.
 * Return: 0 or a negative errno.
 */
int intel_gpt_read_and_clear_dirty(struct iommu_domain *domain,
				   unsigned long iova, size_t size,
				   unsigned long flags,
				   struct iommu_dirty_bitmap *dirty)
{
	return gpt_iommu_read_dirty(gpt_dmar(domain)->gpt, iova, size, flags,
				    dirty);
}

/**
 * intel_gpt_map_dir() - iommu_domain_ops.map_dir for lib-gpt domains
 * @domain: the domain
 * @iova: IOVA of the first entry of @pfns
 * @pfns: hmm_range_fault()-style page array
 * @npages: number of entries
 * @prot: IOMMU_READ / IOMMU_WRITE
 * @flags: IOMMU_DIR_UPDATE to replace instead of map, IOMMU_DIR_UNMAP to
 *	unmap (@pfns NULL)
 * @gfp: allocation flags
 * @gather: collects the range to flush; the caller syncs it once
 *
 * When page tables leave the tree (an unmap or update, or a map that puts
 * a huge page over empty tables), the op flushes by itself before freeing
 * them, and leaves @gather empty.
 *
 * Context: may sleep if @gfp allows.
 * Return: the number of IOTLB flushes the op issued itself (0 or 1),
 * -EOPNOTSUPP for a first-stage domain, or lib-gpt's error.
 */
int intel_gpt_map_dir(struct iommu_domain *domain, unsigned long iova,
		      const unsigned long *pfns, unsigned long npages, int prot,
		      unsigned int flags, gfp_t gfp,
		      struct iommu_iotlb_gather *gather)
{
	struct dmar_domain *dmar = gpt_dmar(domain);
	size_t size = npages << VTD_PAGE_SHIFT;
	struct gpt_gather g;
	bool flushed;
	int ret;

	if (!dmar->gpt)
		return -EOPNOTSUPP;
	if (flags & IOMMU_DIR_UNMAP)
		return gpt_iommu_dir_unmap(dmar->gpt, iova, size, gather,
					   intel_gpt_flush, dmar);
	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	ret = intel_gpt_note_max(dmar, iova + size - 1);
	if (ret)
		return ret;
	gpt_gather_init(&g);
	if (!(flags & IOMMU_DIR_UPDATE))
		ret = gpt_map_pfns(dmar->gpt, iova, pfns, npages,
				   gpt_iommu_prot(prot, dmar->set_pte_snp), &g, gfp);
	else
		ret = gpt_update_pfns(dmar->gpt, iova, pfns, npages,
				      gpt_iommu_prot(prot, dmar->set_pte_snp), &g, gfp);
	flushed = intel_gpt_release(dmar, &g, gather);
	return ret ? ret : flushed;
}

/**
 * intel_gpt_domain() - the lib-gpt page table behind an IOMMU domain
 * @domain: any IOMMU domain
 *
 * For tests, which check huge pages and table counts in the real thing.
 *
 * Return: the table, or NULL if @domain is not a VT-d domain on lib-gpt.
 */
struct gpt *intel_gpt_domain(struct iommu_domain *domain)
{
	if (!domain->ops || domain->ops->map_dir != intel_gpt_map_dir)
		return NULL;
	return gpt_dmar(domain)->gpt;
}
EXPORT_SYMBOL_IF_KUNIT(intel_gpt_domain);
