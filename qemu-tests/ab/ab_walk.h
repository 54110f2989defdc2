/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ab_walk.h - the leaf entry the hardware would use, read from a domain's
 * root the way the IOMMU walks it.
 *
 * Why this exists: gpt_ab compares the drivers' own page tables with
 * lib-gpt's entry by entry, not only by translation, so it walks both the
 * same way, from the root the driver hands to the hardware.  The walkers
 * sit in files of their own because the Intel and AMD private headers
 * cannot be included in one file.
 */
#ifndef _GPT_AB_WALK_H
#define _GPT_AB_WALK_H

#include <linux/types.h>

struct iommu_domain;

/*
 * The leaf entry mapping @iova, with the accessed and dirty bits masked, or
 * 0 if none; *@level is set to its level (0 = 4 KiB).  @domain must come
 * from the matching driver.
 */
u64 ab_leaf_vtd(struct iommu_domain *domain, u64 iova, unsigned int *level);
u64 ab_leaf_amd(struct iommu_domain *domain, u64 iova, unsigned int *level);

#endif /* _GPT_AB_WALK_H */
