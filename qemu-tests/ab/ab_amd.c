// SPDX-License-Identifier: GPL-2.0
/*
 * Walk an AMD-Vi v1 table from the domain's root, as the hardware does
 * (see ab_walk.h for why).
 */
#include <linux/bits.h>
#include <linux/iommu.h>
#include <linux/io.h>

#include "amd/amd_iommu.h"
#include "ab_walk.h"

u64 ab_leaf_amd(struct iommu_domain *domain, u64 iova, unsigned int *level)
{
	struct protection_domain *pdom = to_pdomain(domain);
	u64 *table = pdom->iop.root;
	int l;

	for (l = pdom->iop.mode; l >= 1; l--) {
		u64 e = READ_ONCE(table[(iova >> (12 + 9 * (l - 1))) & 511]);
		unsigned int next = (e >> 9) & 7;

		if (!(e & IOMMU_PTE_PR))
			return 0;
		if (!next || next == 7) {
			*level = l - 1;
			/* Accessed and dirty: the hardware's, not the code's. */
			return e & ~(BIT_ULL(5) | IOMMU_PTE_HD);
		}
		table = phys_to_virt(e & GENMASK_ULL(51, 12));
	}
	return 0;
}
