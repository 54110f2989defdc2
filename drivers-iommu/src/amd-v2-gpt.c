// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-Vi v2 (guest, x86-64 format) page tables on lib-gpt.
 *
 * The AMD driver uses a v2 page table through io_pgtable_ops and one field,
 * iop.pgd, the top table, which it writes into the GCR3 table of each
 * device.  This file provides the same io-pgtable format, AMD_IOMMU_V2,
 * with lib-gpt's x86-64 format underneath.  The height is fixed when the
 * table is allocated: 4 levels (48-bit IOVAs) or 5 (57-bit), as the driver
 * chose at init in amd_iommu_gpt_level, so iop.pgd never changes.
 *
 * Where it behaves differently from the driver's own io_pgtable_v2.c:
 *
 * - Mapping over a present translation fails with -EEXIST and changes
 *   nothing.  The old code silently replaced the old translation (and
 *   flushed it).  The iommu core never maps over a mapping on purpose: it
 *   is the caller's bug, and io-pgtable-arm refuses it the same way.
 * - The leaves are the largest that the alignment of IOVA and physical
 *   address allow, whatever @pgsize says.  The iommu core already asks for
 *   the largest page size that fits, so from iommu_map() the trees match.
 * - Unmapping part of a huge page removes the whole page and reports its
 *   size, as the old code does: an unmap never allocates.
 * - Leaves carry no preset D bit; the old code preset D.
 * - cfg->ias is 48 with 4 levels, what the table translates; the old code
 *   said 52.  The driver takes the domain's aperture from elsewhere.
 */
#include <linux/gpt.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/mem_encrypt.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include "gpt-iommu.h"

#include "../amd/amd_iommu_types.h"
#include "../amd/amd_iommu.h"

static struct gpt *amd_v2_gpt(struct io_pgtable_ops *ops)
{
	return io_pgtable_ops_to_data(ops)->gpt;
}

/*
 * x86-64 paging has no write-only page: presence grants read.  The old
 * code mapped IOMMU_PROT_IW alone as read/write, so does this.  It never
 * set PCD or PWT, i.e. all DMA is cache coherent: GPT_CACHE.
 */
static unsigned int amd_v2_gpt_prot(int prot)
{
	return GPT_READ | GPT_CACHE | (prot & IOMMU_PROT_IW ? GPT_WRITE : 0);
}

static int amd_v2_gpt_map_pages(struct io_pgtable_ops *ops, unsigned long iova,
				phys_addr_t paddr, size_t pgsize, size_t pgcount,
				int prot, gfp_t gfp, size_t *mapped)
{
	struct amd_io_pgtable *pgtable = io_pgtable_ops_to_data(ops);
	struct gpt_gather g;
	size_t size;
	int ret;

	/* Bad input is the caller's bug, reported without a WARN. */
	if (!is_power_of_2(pgsize) || !(pgsize & pgtable->pgtbl.cfg.pgsize_bitmap) ||
	    !pgcount || !IS_ALIGNED(iova | paddr, pgsize) ||
	    !(prot & IOMMU_PROT_MASK))
		return -EINVAL;
	if (check_mul_overflow(pgsize, pgcount, &size))
		return -ERANGE;
	gpt_gather_init(&g);
	ret = gpt_map(pgtable->gpt, iova, paddr, size, amd_v2_gpt_prot(prot), &g, gfp);
	/*
	 * A huge leaf replaced tables that partial unmaps had emptied, or a
	 * failed map rolled back what the IOMMU may have walked: flush the
	 * span now and free them.  The old code flushed in a map in the
	 * first case too (it freed the replaced tables at once).
	 */
	gpt_iommu_release(&g, NULL, amd_gpt_flush, pgtable);
	if (ret)
		return ret;
	if (mapped)
		*mapped += size;
	return 0;
}

static size_t amd_v2_gpt_unmap_pages(struct io_pgtable_ops *ops,
				     unsigned long iova, size_t pgsize,
				     size_t pgcount,
				     struct iommu_iotlb_gather *gather)
{
	struct amd_io_pgtable *pgtable = io_pgtable_ops_to_data(ops);
	struct gpt_gather g;
	size_t size, ret;
	u64 unmapped;

	if (!is_power_of_2(pgsize) || !(pgsize & pgtable->pgtbl.cfg.pgsize_bitmap) ||
	    !pgcount || check_mul_overflow(pgsize, pgcount, &size))
		return 0;

	gpt_gather_init(&g);
	unmapped = gpt_unmap(pgtable->gpt, iova, size, &g);
	/*
	 * Holes count as unmapped, but a range with nothing mapped reports
	 * 0, like the old code; a huge page the range cut went whole.
	 */
	ret = unmapped ? gpt_iommu_unmapped(&g, iova, size) : 0;
	/* The driver adds the range to its own gather and syncs it later. */
	gpt_iommu_unmap_release(&g, iova, amd_gpt_flush, pgtable);
	return ret;
}

static phys_addr_t amd_v2_gpt_iova_to_phys(struct io_pgtable_ops *ops,
					   unsigned long iova)
{
	return gpt_iommu_iova_to_phys(amd_v2_gpt(ops), iova);
}

static void amd_v2_gpt_free(struct io_pgtable *iop)
{
	struct amd_io_pgtable *pgtable = io_pgtable_to_data(iop);

	if (!pgtable->gpt) {
		io_pgtable_amd_iommu_v2_init_fns.free(iop);
		return;
	}
	gpt_iommu_free(pgtable->gpt);
	pgtable->gpt = NULL;
	pgtable->pgd = NULL;
}

static struct io_pgtable *amd_v2_gpt_alloc(struct io_pgtable_cfg *cfg,
					   void *cookie)
{
	struct amd_io_pgtable *pgtable = io_pgtable_cfg_to_data(cfg);
	unsigned int ias = amd_iommu_gpt_level == PAGE_MODE_5_LEVEL ? 57 : 48;
	struct gpt_cfg gcfg = {
		.va_bits = ias,
		.pa_bits = IOMMU_OUT_ADDR_BIT_SIZE,
	};
	unsigned int levels;
	u64 top;

	/*
	 * The driver's own code: for comparison (iommu_gpt_enabled), and under
	 * SME, whose encryption bit lib-gpt does not put in table entries.
	 */
	if (!amd_gpt_wanted(sme_get_me_mask())) {
		pgtable->gpt = NULL;
		return io_pgtable_amd_iommu_v2_init_fns.alloc(cfg, cookie);
	}
	pgtable->gpt = gpt_iommu_alloc(&gpt_fmt_x86_64, &gcfg);
	if (!pgtable->gpt)
		return NULL;
	gpt_top(pgtable->gpt, &top, &levels);
	pgtable->pgd = phys_to_virt(top);

	cfg->pgsize_bitmap = AMD_IOMMU_PGSIZES_V2;
	cfg->ias = ias;
	cfg->oas = IOMMU_OUT_ADDR_BIT_SIZE;

	pgtable->pgtbl.ops.map_pages = amd_v2_gpt_map_pages;
	pgtable->pgtbl.ops.unmap_pages = amd_v2_gpt_unmap_pages;
	pgtable->pgtbl.ops.iova_to_phys = amd_v2_gpt_iova_to_phys;
	return &pgtable->pgtbl;
}

struct io_pgtable_init_fns io_pgtable_amd_iommu_v2_gpt_init_fns = {
	.alloc	= amd_v2_gpt_alloc,
	.free	= amd_v2_gpt_free,
};
