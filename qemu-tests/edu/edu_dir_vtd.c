// SPDX-License-Identifier: GPL-2.0
/*
 * The lib-gpt table behind an Intel VT-d paging domain, so that gpt_edu_dir
 * can check leaf sizes (see edu_dir.h for why).
 */
#include <linux/iommu.h>

#include "intel/iommu.h"
#include "edu_dir.h"

struct gpt *edu_dir_gpt_vtd(struct iommu_domain *domain)
{
	struct dmar_domain *dmar = to_dmar_domain(domain);

	return domain_uses_gpt(dmar) ? dmar->gpt : NULL;
}
