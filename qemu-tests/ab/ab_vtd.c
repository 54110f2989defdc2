// SPDX-License-Identifier: GPL-2.0
/*
 * Walk a VT-d second-stage table from the domain's root, as the hardware
 * does (see ab_walk.h for why).
 */
#include <linux/bits.h>
#include <linux/iommu.h>
#include <linux/io.h>

#include "intel/iommu.h"
#include "ab_walk.h"

u64 ab_leaf_vtd(struct iommu_domain *domain, u64 iova, unsigned int *level)
{
	struct dmar_domain *dmar = to_dmar_domain(domain);
	u64 *table = (u64 *)dmar->pgd;
	int l;

	for (l = agaw_to_level(dmar->agaw); l >= 1; l--) {
		u64 e = READ_ONCE(table[(iova >> (12 + 9 * (l - 1))) & 511]);

		if (!(e & (DMA_PTE_READ | DMA_PTE_WRITE)))
			return 0;
		if (l == 1 || (e & DMA_PTE_LARGE_PAGE)) {
			*level = l - 1;
			/* Accessed and dirty: the hardware's, not the code's. */
			return e & ~(BIT_ULL(8) | BIT_ULL(9));
		}
		table = phys_to_virt(e & GENMASK_ULL(51, 12));
	}
	return 0;
}
