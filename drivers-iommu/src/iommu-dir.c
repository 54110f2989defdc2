// SPDX-License-Identifier: GPL-2.0
/*
 * iommu directory API: map, update and unmap hmm_range_fault()-style page
 * arrays in an IOMMU domain, with at most one IOTLB flush per call.
 *
 * The checks live here, so that a driver op and the generic fallback see
 * only valid requests; a call that fails a check changes nothing.
 */
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/module.h>
#include <linux/slab.h>

bool iommu_gpt_enabled = true;
EXPORT_SYMBOL_GPL(iommu_gpt_enabled);

#define DIR_PAGE_SHIFT	12
#define DIR_PAGE_SIZE	BIT(DIR_PAGE_SHIFT)

/**
 * iommu_dir_init() - prepare a paging domain for directory mapping
 * @dir: the directory state to initialise
 * @domain: a paging domain with 4 KiB pages
 * @dev: the device the domain serves: its reserved IOVA regions (the MSI
 *	window, for one) are never mapped through @dir
 *
 * Context: process context; sleeps.
 * Return: 0, -EINVAL if @domain cannot map 4 KiB pages, or -ENOMEM.
 */
int iommu_dir_init(struct iommu_dir *dir, struct iommu_domain *domain,
		   struct device *dev)
{
	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING) ||
	    !(domain->pgsize_bitmap & DIR_PAGE_SIZE))
		return -EINVAL;
	dir->domain = domain;
	INIT_LIST_HEAD(&dir->resv);
	atomic_long_set(&dir->nr_flushes, 0);
	if (dev)
		iommu_get_resv_regions(dev, &dir->resv);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_dir_init);

/**
 * iommu_dir_destroy() - release what iommu_dir_init() took
 * @dir: the directory
 *
 * Mappings stay; unmap them first if the domain lives on.
 *
 * Context: process context.
 */
void iommu_dir_destroy(struct iommu_dir *dir)
{
	iommu_put_resv_regions(NULL, &dir->resv);
}
EXPORT_SYMBOL_GPL(iommu_dir_destroy);

static int iommu_dir_check(struct iommu_dir *dir, unsigned long iova,
			   unsigned long npages)
{
	struct iommu_domain_geometry *geo = &dir->domain->geometry;
	struct iommu_resv_region *r;
	unsigned long last;

	if (!npages || !IS_ALIGNED(iova, DIR_PAGE_SIZE))
		return -EINVAL;
	if (npages > (ULONG_MAX >> DIR_PAGE_SHIFT) ||
	    check_add_overflow(iova, (npages << DIR_PAGE_SHIFT) - 1, &last))
		return -ERANGE;
	if (geo->force_aperture &&
	    (iova < geo->aperture_start || last > geo->aperture_end))
		return -ERANGE;
	list_for_each_entry(r, &dir->resv, list) {
		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (iova <= r->start + r->length - 1 && r->start <= last)
			return -EADDRNOTAVAIL;
	}
	return 0;
}

static bool iommu_dir_pfn_ok(unsigned long v)
{
	return (v & (HMM_PFN_VALID | HMM_PFN_ERROR)) == HMM_PFN_VALID;
}

static int iommu_dir_pfn_prot(unsigned long v, int prot)
{
	return v & HMM_PFN_WRITE ? prot : prot & ~IOMMU_WRITE;
}

/* Length in pages of the physically contiguous, same-permission run at @i. */
static unsigned long iommu_dir_run(const unsigned long *pfns, unsigned long i,
				   unsigned long npages)
{
	unsigned long n = 1, pfn = pfns[i] & ~HMM_PFN_FLAGS;

	while (i + n < npages && iommu_dir_pfn_ok(pfns[i + n]) &&
	       (pfns[i + n] & ~HMM_PFN_FLAGS) == pfn + n &&
	       !((pfns[i + n] ^ pfns[i]) & HMM_PFN_WRITE))
		n++;
	return n;
}

static void iommu_dir_sync(struct iommu_dir *dir,
			   struct iommu_iotlb_gather *gather)
{
	if (gather->start > gather->end)
		return;
	iommu_iotlb_sync(dir->domain, gather);
	atomic_long_inc(&dir->nr_flushes);
}

/*
 * The driver op, then the single flush; -EOPNOTSUPP: use the fallback.  An
 * op that had to flush by itself (it freed page tables) returns how often,
 * and leaves the gather empty.
 */
static int iommu_dir_op(struct iommu_dir *dir, unsigned long iova,
			const unsigned long *pfns, unsigned long npages,
			int prot, unsigned int flags, gfp_t gfp)
{
	const struct iommu_domain_ops *ops = dir->domain->ops;
	struct iommu_iotlb_gather gather;
	int ret;

	if (!ops->map_dir)
		return -EOPNOTSUPP;
	iommu_iotlb_gather_init(&gather);
	ret = ops->map_dir(dir->domain, iova, pfns, npages, prot, flags, gfp,
			   &gather);
	iommu_dir_sync(dir, &gather);
	/*
	 * New entries: a caching-mode vIOMMU (VT-d CM, AMD-Vi NpCache) or a
	 * write-buffer flush needs to hear of them, as after iommu_map().
	 */
	if (ret >= 0 && !(flags & IOMMU_DIR_UNMAP) && ops->iotlb_sync_map) {
		int err = ops->iotlb_sync_map(dir->domain, iova,
					      npages << DIR_PAGE_SHIFT);

		if (err)
			return err;
	}
	if (ret <= 0)
		return ret;
	atomic_long_add(ret, &dir->nr_flushes);
	return 0;
}

/*
 * Fallback for domains without map_dir: each contiguous run goes through
 * iommu_map(), which picks page sizes from the domain's bitmap.  Overlap is
 * checked first so that -EEXIST leaves the domain untouched.
 */
static int iommu_dir_map_generic(struct iommu_dir *dir, unsigned long iova,
				 const unsigned long *pfns,
				 unsigned long npages, int prot, gfp_t gfp)
{
	struct iommu_domain *domain = dir->domain;
	struct iommu_iotlb_gather gather;
	unsigned long i, n;
	int ret = 0;

	for (i = 0; i < npages; i++)
		if (iommu_dir_pfn_ok(pfns[i]) &&
		    iommu_iova_to_phys(domain, iova + (i << DIR_PAGE_SHIFT)))
			return -EEXIST;
	for (i = 0; i < npages; i += n) {
		n = 1;
		if (!iommu_dir_pfn_ok(pfns[i]))
			continue;
		n = iommu_dir_run(pfns, i, npages);
		ret = iommu_map(domain, iova + (i << DIR_PAGE_SHIFT),
				(phys_addr_t)(pfns[i] & ~HMM_PFN_FLAGS) << DIR_PAGE_SHIFT,
				n << DIR_PAGE_SHIFT, iommu_dir_pfn_prot(pfns[i], prot),
				gfp);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	/*
	 * All or nothing: take back the runs this call mapped, each whole,
	 * as it was mapped (a 4 KiB piece of a huge page would take the
	 * whole page and then find the rest gone).
	 */
	iommu_iotlb_gather_init(&gather);
	for (n = 0; n < i; ) {
		unsigned long len;

		if (!iommu_dir_pfn_ok(pfns[n])) {
			n++;
			continue;
		}
		len = min(iommu_dir_run(pfns, n, npages), i - n);
		iommu_unmap_fast(domain, iova + (n << DIR_PAGE_SHIFT),
				 len << DIR_PAGE_SHIFT, &gather);
		n += len;
	}
	iommu_dir_sync(dir, &gather);
	return ret;
}

/**
 * iommu_dir_map() - map a page array at an IOVA
 * @dir: the directory
 * @iova: IOVA of the first entry of @pfns, 4 KiB aligned
 * @pfns: one entry per 4 KiB page, as hmm_range_fault() fills them
 * @npages: number of entries
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE; IOMMU_WRITE is granted only
 *	to entries with HMM_PFN_WRITE
 * @gfp: allocation flags for page-table memory; GFP_ATOMIC or GFP_NOWAIT
 *	from a notifier or under a spinlock
 *
 * Entries without HMM_PFN_VALID (or with HMM_PFN_ERROR) stay unmapped.
 * Aligned, physically contiguous runs use huge IOMMU pages where the
 * domain has them.  Nothing needs flushing after a map.
 *
 * Context: may sleep only if @gfp allows.
 * Return: 0, or an error with nothing changed: -EINVAL (zero @npages or
 * unaligned @iova), -ERANGE (overflow or outside the aperture),
 * -EADDRNOTAVAIL (a reserved region), -EEXIST (part is mapped), -ENOMEM.
 */
int iommu_dir_map(struct iommu_dir *dir, unsigned long iova,
		  const unsigned long *pfns, unsigned long npages, int prot,
		  gfp_t gfp)
{
	int ret = iommu_dir_check(dir, iova, npages);

	if (!ret)
		ret = iommu_dir_op(dir, iova, pfns, npages, prot, 0, gfp);
	if (ret != -EOPNOTSUPP)
		return ret;
	return iommu_dir_map_generic(dir, iova, pfns, npages, prot, gfp);
}
EXPORT_SYMBOL_GPL(iommu_dir_map);

/**
 * iommu_dir_update() - make a mapped range match a new page array
 * @dir: the directory
 * @iova: IOVA of the first entry of @pfns, 4 KiB aligned
 * @pfns: the new array, as for iommu_dir_map()
 * @npages: number of entries
 * @prot: as for iommu_dir_map()
 * @gfp: as for iommu_dir_map()
 *
 * Entries that changed are replaced, entries that vanished are unmapped,
 * and a read-only entry that became writable is upgraded in place; the
 * IOTLB is flushed once, before the call returns, so the device never
 * uses an old page afterwards.  With a driver op, pages that did not
 * change stay mapped throughout; the generic fallback unmaps the range and
 * maps it again, so a device access during the call may fault.
 *
 * Context: may sleep only if @gfp allows.
 * Return: 0, or the errors of iommu_dir_map() except -EEXIST; after
 * -ENOMEM the range holds a mix of old and new pages, each correct for one
 * of the two arrays: unmap it.
 */
int iommu_dir_update(struct iommu_dir *dir, unsigned long iova,
		     const unsigned long *pfns, unsigned long npages, int prot,
		     gfp_t gfp)
{
	int ret = iommu_dir_check(dir, iova, npages);

	if (!ret)
		ret = iommu_dir_op(dir, iova, pfns, npages, prot,
				   IOMMU_DIR_UPDATE, gfp);
	if (ret != -EOPNOTSUPP)
		return ret;
	iommu_dir_unmap(dir, iova, npages);
	return iommu_dir_map_generic(dir, iova, pfns, npages, prot, gfp);
}
EXPORT_SYMBOL_GPL(iommu_dir_update);

/**
 * iommu_dir_unmap() - unmap a range mapped through the directory
 * @dir: the directory
 * @iova: first IOVA, 4 KiB aligned
 * @npages: number of 4 KiB pages
 *
 * The IOTLB is flushed once before the call returns, and page-table memory
 * is freed only after that flush.  Holes in the range are fine.  Never
 * allocates: an IOMMU huge page the range cuts is removed whole, so more
 * than the range may become unmapped, never less; to keep the rest, update
 * the range first (iommu_dir_update() splits without a hole).
 *
 * Context: any context the domain's unmap allows (no sleeping).
 * Return: bytes unmapped (the range), 0 for a bad range.
 */
size_t iommu_dir_unmap(struct iommu_dir *dir, unsigned long iova,
		       unsigned long npages)
{
	struct iommu_iotlb_gather gather;
	size_t done;
	int ret;

	if (iommu_dir_check(dir, iova, npages))
		return 0;
	/*
	 * Through the driver op, a driver that must flush before it frees
	 * page tables does that flush instead of the gather's, not besides.
	 */
	ret = iommu_dir_op(dir, iova, NULL, npages, 0, IOMMU_DIR_UNMAP, GFP_ATOMIC);
	if (!ret)
		return npages << DIR_PAGE_SHIFT;
	if (ret != -EOPNOTSUPP)
		return 0;
	iommu_iotlb_gather_init(&gather);
	done = iommu_unmap_fast(dir->domain, iova, npages << DIR_PAGE_SHIFT,
				&gather);
	iommu_dir_sync(dir, &gather);
	return done;
}
EXPORT_SYMBOL_GPL(iommu_dir_unmap);

MODULE_DESCRIPTION("iommu directory API");
MODULE_LICENSE("GPL");
