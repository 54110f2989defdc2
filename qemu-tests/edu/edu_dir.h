/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edu_dir.h - gpt_edu_dir's look behind the IOMMU drivers.
 *
 * Why this exists: whether the directory API made a huge IOMMU page is part
 * of what gpt_edu_dir tests, and it cannot be seen from outside the domain:
 * iommu_iova_to_phys() translates one 2 MiB leaf and 512 small ones alike,
 * and the device moves the same bytes through either.  On VT-d and AMD-Vi
 * domains kept on lib-gpt the table itself can tell (gpt_lookup() reports
 * the leaf size); these functions find it by reading the drivers' private
 * domain structures.  They sit in files of their own because the Intel and
 * AMD private headers cannot be included in one file.
 */
#ifndef _GPT_EDU_DIR_H
#define _GPT_EDU_DIR_H

struct gpt;
struct iommu_domain;

/*
 * The lib-gpt table of @domain, or NULL if the driver keeps this domain's
 * table in its own code.  @domain must come from that driver: the caller
 * checks which IOMMU unit the device sits behind.
 */
struct gpt *edu_dir_gpt_vtd(struct iommu_domain *domain);
struct gpt *edu_dir_gpt_amd(struct iommu_domain *domain);

#endif /* _GPT_EDU_DIR_H */
