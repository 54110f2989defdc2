// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-Vi v1 page tables on lib-gpt.
 *
 * The AMD driver reaches its v1 page table only through io_pgtable_ops and
 * two fields, iop.root and iop.mode, that it copies into device table
 * entries.  This file provides the same io-pgtable format, AMD_IOMMU_V1,
 * with lib-gpt's AMD v1 format underneath, and keeps root and mode in step
 * when lib-gpt grows the tree.
 */
#include <kunit/visibility.h>
#include <linux/gpt.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/slab.h>
#include "gpt-iommu.h"

/* The driver's own v1 code always sets FC: DMA is cache coherent. */
#define AMD_GPT_FC	true
#include "../amd/amd_iommu_types.h"
#include "../amd/amd_iommu.h"

/**
 * amd_gpt_wanted() - whether a new AMD-Vi page table goes on lib-gpt
 * @me_mask: the SME encryption mask, sme_get_me_mask()
 *
 * Under SME the IOMMU needs the C-bit in every table and leaf address,
 * which lib-gpt's AMD-Vi formats do not set: the driver's own code
 * serves then, as it does when iommu_gpt_enabled is off (for A/B tests).
 *
 * Return: true to use lib-gpt.
 */
VISIBLE_IF_KUNIT bool amd_gpt_wanted(u64 me_mask)
{
	return READ_ONCE(iommu_gpt_enabled) && !me_mask;
}
EXPORT_SYMBOL_IF_KUNIT(amd_gpt_wanted);

static struct gpt *amd_gpt(struct io_pgtable_ops *ops)
{
	return io_pgtable_ops_to_data(ops)->gpt;
}

/*
 * lib-gpt added levels on top: give the driver the new root and mode, have
 * the device table entries point at them, and only then publish the mode
 * in gpt_mode, which is what a map checks without the lock: a mapper that
 * returned through that shortcut before the device table was updated would
 * have its DMA above the old reach fault.  Walkers still using the old
 * root stay correct, since it is now the subtree at index 0 of the new one.
 */
static void amd_gpt_sync_top(struct amd_io_pgtable *pgtable)
{
	struct protection_domain *domain =
		container_of(pgtable, struct protection_domain, iop);
	unsigned int levels;
	unsigned long flags;
	u64 top;

	gpt_top(pgtable->gpt, &top, &levels);
	/* Pairs with the release below: the DTEs use this mode already. */
	if (levels == smp_load_acquire(&pgtable->gpt_mode))
		return;
	spin_lock_irqsave(&domain->lock, flags);
	gpt_top(pgtable->gpt, &top, &levels);
	if (levels > pgtable->mode) {
		write_seqcount_begin(&pgtable->seqcount);
		pgtable->root = phys_to_virt(top);
		pgtable->mode = levels;
		write_seqcount_end(&pgtable->seqcount);
		amd_iommu_update_and_flush_device_table(domain);
	}
	/* Only now may a mapper skip the lock: see the acquire above. */
	smp_store_release(&pgtable->gpt_mode, pgtable->mode);
	spin_unlock_irqrestore(&domain->lock, flags);
}

/**
 * amd_gpt_flush() - gpt_iommu_flush_t for AMD-Vi v1 and v2 tables
 * @pgtable: the struct amd_io_pgtable inside a protection_domain
 * @start: first IOVA
 * @last: last IOVA
 *
 * Context: any; takes the domain's lock.
 */
void amd_gpt_flush(void *pgtable, u64 start, u64 last)
{
	struct protection_domain *domain =
		container_of(pgtable, struct protection_domain, iop);
	unsigned long flags;

	spin_lock_irqsave(&domain->lock, flags);
	amd_iommu_domain_flush_pages(domain, start, last - start + 1);
	spin_unlock_irqrestore(&domain->lock, flags);
}

static bool amd_gpt_release(struct amd_io_pgtable *pgtable,
			    struct gpt_gather *g, struct iommu_iotlb_gather *gather)
{
	return gpt_iommu_release(g, gather, amd_gpt_flush, pgtable);
}

static int amd_gpt_map_pages(struct io_pgtable_ops *ops, unsigned long iova,
			     phys_addr_t paddr, size_t pgsize, size_t pgcount,
			     int prot, gfp_t gfp, size_t *mapped)
{
	struct amd_io_pgtable *pgtable = io_pgtable_ops_to_data(ops);
	size_t size = pgsize * pgcount;
	struct gpt_gather g;
	int ret;

	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	gpt_gather_init(&g);
	ret = gpt_map(pgtable->gpt, iova, paddr, size, gpt_iommu_prot(prot, AMD_GPT_FC),
		      &g, gfp);
	amd_gpt_sync_top(pgtable);
	/* Tables a huge page replaced, or what a failed map rolled back. */
	amd_gpt_release(pgtable, &g, NULL);
	if (ret)
		return ret;
	*mapped += size;
	return 0;
}

static size_t amd_gpt_unmap_pages(struct io_pgtable_ops *ops, unsigned long iova,
				  size_t pgsize, size_t pgcount,
				  struct iommu_iotlb_gather *gather)
{
	struct amd_io_pgtable *pgtable = io_pgtable_ops_to_data(ops);
	size_t size = pgsize * pgcount;
	struct gpt_gather g;

	size_t unmapped;

	gpt_gather_init(&g);
	gpt_unmap(pgtable->gpt, iova, size, &g);
	/* A huge page the range cut went whole, as in the code it replaces. */
	unmapped = gpt_iommu_unmapped(&g, iova, size);
	/* The driver passes no gather: it adds the range itself, then syncs. */
	gpt_iommu_unmap_release(&g, iova, amd_gpt_flush, pgtable);
	return unmapped;
}

static phys_addr_t amd_gpt_iova_to_phys(struct io_pgtable_ops *ops,
					unsigned long iova)
{
	return gpt_iommu_iova_to_phys(amd_gpt(ops), iova);
}

static int amd_gpt_read_and_clear_dirty(struct io_pgtable_ops *ops,
					unsigned long iova, size_t size,
					unsigned long flags,
					struct iommu_dirty_bitmap *dirty)
{
	return gpt_iommu_read_dirty(amd_gpt(ops), iova, size, flags, dirty);
}

static void amd_gpt_free(struct io_pgtable *iop)
{
	struct amd_io_pgtable *pgtable = io_pgtable_to_data(iop);

	if (!pgtable->gpt) {
		io_pgtable_amd_iommu_v1_init_fns.free(iop);
		return;
	}
	gpt_iommu_free(pgtable->gpt);
	pgtable->gpt = NULL;
	pgtable->mode = PAGE_MODE_NONE;
}

static struct io_pgtable *amd_gpt_alloc(struct io_pgtable_cfg *cfg, void *cookie)
{
	struct amd_io_pgtable *pgtable = io_pgtable_cfg_to_data(cfg);
	struct gpt_cfg gcfg = {
		.va_bits = IOMMU_IN_ADDR_BIT_SIZE,
		.pa_bits = IOMMU_OUT_ADDR_BIT_SIZE,
		.flags = GPT_CFG_DIRTY,
		/* amd_iommu=nohugepages and v2_pgsizes_only included */
		.pgsize_bitmap = amd_iommu_pgsize_bitmap,
	};
	unsigned int levels;
	u64 top;

	/* The driver's own code, for A/B tests and under SME. */
	if (!amd_gpt_wanted(sme_get_me_mask())) {
		pgtable->gpt = NULL;
		return io_pgtable_amd_iommu_v1_init_fns.alloc(cfg, cookie);
	}
	pgtable->gpt = gpt_iommu_alloc(&gpt_fmt_amd_v1, &gcfg);
	if (!pgtable->gpt)
		return NULL;
	gpt_top(pgtable->gpt, &top, &levels);
	seqcount_init(&pgtable->seqcount);
	pgtable->root = phys_to_virt(top);
	pgtable->mode = levels;
	pgtable->gpt_mode = levels;

	cfg->pgsize_bitmap = amd_iommu_pgsize_bitmap;
	cfg->ias = IOMMU_IN_ADDR_BIT_SIZE;
	cfg->oas = IOMMU_OUT_ADDR_BIT_SIZE;

	pgtable->pgtbl.ops.map_pages = amd_gpt_map_pages;
	pgtable->pgtbl.ops.unmap_pages = amd_gpt_unmap_pages;
	pgtable->pgtbl.ops.iova_to_phys = amd_gpt_iova_to_phys;
	pgtable->pgtbl.ops.read_and_clear_dirty = amd_gpt_read_and_clear_dirty;
	return &pgtable->pgtbl;
}

struct io_pgtable_init_fns io_pgtable_amd_iommu_v1_gpt_init_fns = {
	.alloc	= amd_gpt_alloc,
	.free	= amd_gpt_free,
};

/**
 * amd_gpt_map_dir() - iommu_domain_ops.map_dir for AMD-Vi domains on lib-gpt
 * @dom: the domain
 * @iova: IOVA of the first entry of @pfns
 * @pfns: hmm_range_fault()-style page array
 * @npages: number of entries
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @flags: IOMMU_DIR_UPDATE to replace instead of map, IOMMU_DIR_UNMAP to
 *	unmap (@pfns NULL)
 * @gfp: allocation flags for page-table memory
 * @gather: collects the range to flush; the caller syncs it once
 *
 * The array goes into lib-gpt directly: huge pages for aligned contiguous
 * runs, updates in place, in v1 tables and in v2 (x86-64 format) ones
 * alike; only v1 tables grow, and x86-64 has no write-only page, so in v2
 * IOMMU_WRITE alone maps read/write, as amd-v2-gpt.c does.  When page
 * tables leave the tree (an unmap or update, or a map that puts a huge
 * page over empty tables), the op flushes by itself before freeing them,
 * and leaves @gather empty.
 *
 * Context: may sleep only if @gfp allows.
 * Return: the number of IOTLB flushes the op issued itself (0 or 1),
 * -EOPNOTSUPP for a domain not on lib-gpt, or lib-gpt's error.
 */
int amd_gpt_map_dir(struct iommu_domain *dom, unsigned long iova,
		    const unsigned long *pfns, unsigned long npages, int prot,
		    unsigned int flags, gfp_t gfp,
		    struct iommu_iotlb_gather *gather)
{
	struct protection_domain *domain = to_pdomain(dom);
	struct amd_io_pgtable *pgtable = &domain->iop;
	size_t size = npages << PAGE_SHIFT;
	bool v1 = domain->pd_mode == PD_MODE_V1;
	struct gpt_gather g;
	bool flushed;
	int ret;

	if (!pgtable->gpt)
		return -EOPNOTSUPP;
	if (flags & IOMMU_DIR_UNMAP)
		return gpt_iommu_dir_unmap(pgtable->gpt, iova, size, gather,
					   amd_gpt_flush, pgtable);
	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	if (!v1)
		prot |= IOMMU_READ;
	gpt_gather_init(&g);
	if (!(flags & IOMMU_DIR_UPDATE))
		ret = gpt_map_pfns(pgtable->gpt, iova, pfns, npages,
				   gpt_iommu_prot(prot, AMD_GPT_FC), &g, gfp);
	else
		ret = gpt_update_pfns(pgtable->gpt, iova, pfns, npages,
				      gpt_iommu_prot(prot, AMD_GPT_FC), &g, gfp);
	if (v1)
		amd_gpt_sync_top(pgtable);
	flushed = amd_gpt_release(pgtable, &g, gather);
	return ret ? ret : flushed;
}

/**
 * amd_gpt_domain() - the lib-gpt page table behind an IOMMU domain
 * @dom: any IOMMU domain
 *
 * For tests, which check huge pages and table counts in the real thing.
 *
 * Return: the table, or NULL if @dom is not an AMD-Vi domain on lib-gpt.
 */
struct gpt *amd_gpt_domain(struct iommu_domain *dom)
{
	if (!dom->ops || dom->ops->map_dir != amd_gpt_map_dir)
		return NULL;
	return to_pdomain(dom)->iop.gpt;
}
EXPORT_SYMBOL_IF_KUNIT(amd_gpt_domain);
