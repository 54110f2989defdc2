// SPDX-License-Identifier: GPL-2.0
/*
 * The lib-gpt table behind an AMD-Vi paging domain, so that gpt_edu_dir can
 * check leaf sizes (see edu_dir.h for why).
 */
#include <linux/iommu.h>

#include "amd/amd_iommu.h"
#include "edu_dir.h"

struct gpt *edu_dir_gpt_amd(struct iommu_domain *domain)
{
	struct protection_domain *pdom = to_pdomain(domain);

	/* v2 (first-stage) domains keep their table elsewhere. */
	return pdom->pd_mode == PD_MODE_V1 ? pdom->iop.gpt : NULL;
}
