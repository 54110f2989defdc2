/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu directory API: map what hmm_range_fault() returns.
 *
 * A "directory" is an array with one unsigned long per 4 KiB page, in the
 * form hmm_range_fault() fills: the pfn in the low bits and HMM_PFN_VALID /
 * HMM_PFN_WRITE / the CPU mapping order in the top byte.  The API maps such
 * an array at an IOVA, later makes part of the mapping match a new array,
 * and unmaps it, each call with at most one IOTLB flush.
 *
 * Drivers whose domains implement iommu_domain_ops.map_dir do it in their
 * page table directly (huge pages, in-place updates, no hole during an
 * update); others get a generic fallback over map_pages/unmap_pages.
 */
#ifndef _LINUX_IOMMU_DIR_H
#define _LINUX_IOMMU_DIR_H

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/types.h>

/* iommu_domain_ops.map_dir flags */
/* Replace what is mapped (update) instead of requiring the range empty. */
#define IOMMU_DIR_UPDATE	BIT(0)
/* Unmap the range: no array (pfns is NULL), prot is 0. */
#define IOMMU_DIR_UNMAP		BIT(1)

/**
 * struct iommu_dir - a domain prepared for directory mapping
 * @domain: the paging domain
 * @resv: reserved IOVA regions of the device the domain serves (MSI
 *	windows and the like), which a directory may never map
 * @nr_flushes: IOTLB flushes the directory's calls caused, for tests: the
 *	syncs of their gathers, plus those a map_dir op issued itself (to
 *	free page tables) and reported through its return value.  With the
 *	generic fallback, an unmap_pages op that flushes before it frees page
 *	tables does so unseen.
 */
struct iommu_dir {
	struct iommu_domain *domain;
	struct list_head resv;
	atomic_long_t nr_flushes;
};

/*
 * Drivers that can keep their page tables on lib-gpt do so for domains
 * created while this is true (the default).  Clearing it makes new domains
 * use the driver's own page-table code, so a test can run the same
 * operations on both and compare.
 */
extern bool iommu_gpt_enabled;

int iommu_dir_init(struct iommu_dir *dir, struct iommu_domain *domain,
		   struct device *dev);
void iommu_dir_destroy(struct iommu_dir *dir);
int iommu_dir_map(struct iommu_dir *dir, unsigned long iova,
		  const unsigned long *pfns, unsigned long npages, int prot,
		  gfp_t gfp);
int iommu_dir_update(struct iommu_dir *dir, unsigned long iova,
		     const unsigned long *pfns, unsigned long npages, int prot,
		     gfp_t gfp);
size_t iommu_dir_unmap(struct iommu_dir *dir, unsigned long iova,
		       unsigned long npages);

#endif /* _LINUX_IOMMU_DIR_H */
