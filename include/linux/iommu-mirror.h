/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu mirror: a process address space mirrored into an IOMMU domain.
 *
 * A mirror makes a paging domain translate a process's user addresses
 * (IOVA == VA) to the pages the process maps there now, so that a plain
 * DMA master (no PASID, ATS or PRI) can DMA into process memory.  Pages
 * get into the domain when the driver faults them in (hmm_range_fault()
 * and the iommu directory API); an mmu_interval_notifier takes them out,
 * with the IOTLB flushed, before the CPU side lets go of them.  A DMA runs
 * between iommu_mirror_access_begin() and iommu_mirror_access_end(), which
 * hold invalidations of the mirror off, so it never uses a stale page.
 *
 * See Documentation/iommu-mirror.rst for the locking rules.
 */
#ifndef _LINUX_IOMMU_MIRROR_H
#define _LINUX_IOMMU_MIRROR_H

#include <linux/types.h>

struct device;
struct dma_buf;
struct iommu_domain;
struct mm_struct;
struct iommu_mirror;

/* Fault and access flags */
/* The device will write: fault for write, map writable. */
#define IOMMU_MIRROR_WRITE	BIT(0)

struct iommu_mirror *iommu_mirror_bind(struct mm_struct *mm,
				       struct iommu_domain *domain,
				       struct device *dev);
void iommu_mirror_unbind(struct iommu_mirror *mirror);
int iommu_mirror_fault(struct iommu_mirror *mirror, unsigned long start,
		       unsigned long len, unsigned int flags);
int iommu_mirror_snapshot(struct iommu_mirror *mirror, unsigned long start,
			  unsigned long npages, unsigned long *pfns);
int iommu_mirror_access_begin(struct iommu_mirror *mirror, unsigned long start,
			      unsigned long len, unsigned int flags,
			      unsigned long *faults);
void iommu_mirror_access_end(struct iommu_mirror *mirror);

/**
 * struct iommu_mirror_stats - what a mirror did, for tests and debugfs
 * @faults: fault passes (hmm_range_fault() rounds that mapped something)
 * @invalidations: notifier calls that changed the domain
 * @flushes: IOTLB flushes the mirror's directory calls caused
 * @mapped: 4 KiB pages the domain maps for the mirror now
 * @huge: 2 MiB pieces among them mapped whole from one huge CPU page (the
 *	domain may hold each as one 2 MiB IOMMU page)
 */
struct iommu_mirror_stats {
	unsigned long faults;
	unsigned long invalidations;
	unsigned long flushes;
	unsigned long mapped;
	unsigned long huge;
};

void iommu_mirror_get_stats(struct iommu_mirror *mirror,
			    struct iommu_mirror_stats *stats);

/* A live, unpinned dma-buf over a process's range (iommu-mirror-dmabuf.c). */
struct dma_buf *iommu_mirror_dmabuf_export(struct mm_struct *mm,
					   unsigned long start,
					   unsigned long len);

#if IS_ENABLED(CONFIG_KUNIT)
struct hmm_range;
/* For the KUnit suite, which redirects it (see iommu-mirror.c). */
void iommu_mirror_after_hmm(struct iommu_mirror *mirror,
			    struct hmm_range *range);
#endif

#endif /* _LINUX_IOMMU_MIRROR_H */
