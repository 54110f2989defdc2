// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: the directory API's IOTLB flushes on VT-d, counted where the
 * IOMMU sees them, on the DMAR unit's invalidation queue.
 *
 * iommu_dir.nr_flushes counts what the API and the driver op report.  This
 * suite checks those reports against the descriptors the driver queues,
 * which also shows a flush nobody reports, such as one a glue issues on
 * its own before it frees page tables.  It runs at boot in the VT-d
 * guests, before any driver binds edu, when nothing else in the guest
 * queues invalidations; the domain is attached to edu, since a domain
 * attached to nothing has nothing to flush.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include "gpt-iommu.h"
#include "../intel/iommu.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define NPAGES		(3 * 512)
#define TEST_IOVA	BIT_ULL(40)

struct vtd_test {
	struct pci_dev *pdev;
	struct iommu_domain *domain;
	struct intel_iommu *iommu;
	struct iommu_dir dir;
	struct page *block;	/* 2 MiB, physically aligned */
	unsigned long *pfns;
	bool attached;
};

/* Descriptors queued since @head, with the queue's wrap-around. */
static unsigned int qi_since(struct intel_iommu *iommu, int head)
{
	return (READ_ONCE(iommu->qi->free_head) - head + QI_LENGTH) % QI_LENGTH;
}

static int qi_head(struct intel_iommu *iommu)
{
	return READ_ONCE(iommu->qi->free_head);
}

static int vtd_test_init(struct kunit *test)
{
	struct vtd_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct device_domain_info *info;
	unsigned long base, i;

	if (!t)
		return -ENOMEM;
	test->priv = t;
	t->pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!t->pdev)
		kunit_skip(test, "no edu device in this machine");
	t->domain = iommu_paging_domain_alloc(&t->pdev->dev);
	if (IS_ERR(t->domain)) {
		t->domain = NULL;
		kunit_skip(test, "no paging domain for edu");
	}
	/* Only a VT-d domain says the device's private data is VT-d's. */
	if (!IS_ENABLED(CONFIG_INTEL_IOMMU_GPT) || !intel_gpt_domain(t->domain))
		kunit_skip(test, "edu is not behind VT-d, or its domain is not on lib-gpt");
	info = dev_iommu_priv_get(&t->pdev->dev);
	if (!info || !info->iommu || !info->iommu->qi)
		kunit_skip(test, "the VT-d unit has no invalidation queue");
	t->iommu = info->iommu;
	if (iommu_attach_device(t->domain, &t->pdev->dev))
		kunit_skip(test, "cannot attach the domain to edu");
	t->attached = true;
	t->block = alloc_pages(GFP_KERNEL, get_order(SZ_2M));
	t->pfns = kunit_kcalloc(test, NPAGES, sizeof(*t->pfns), GFP_KERNEL);
	if (!t->block || !t->pfns ||
	    iommu_dir_init(&t->dir, t->domain, &t->pdev->dev))
		return -ENOMEM;
	/* [0,512): the block, one 2 MiB page; then every other 4 KiB page. */
	base = page_to_pfn(t->block);
	for (i = 0; i < NPAGES; i++)
		t->pfns[i] = i < 512 || i % 2 ?
			     HMM_PFN_VALID | HMM_PFN_WRITE | (base + i % 512) : 0;
	return 0;
}

static void vtd_test_exit(struct kunit *test)
{
	struct vtd_test *t = test->priv;

	if (!t || !t->pdev)
		return;
	if (t->dir.domain) {
		iommu_dir_unmap(&t->dir, TEST_IOVA, NPAGES);
		iommu_dir_destroy(&t->dir);
	}
	if (t->attached)
		iommu_detach_device(t->domain, &t->pdev->dev);
	if (t->domain)
		iommu_domain_free(t->domain);
	if (t->block)
		__free_pages(t->block, get_order(SZ_2M));
	pci_dev_put(t->pdev);
}

/*
 * A map queues nothing; an update queues one flush; an unmap that frees
 * page tables queues one flush too, the same as the update's, where a glue
 * flushing before it frees the tables and the gather's sync after it would
 * queue two.  In caching mode (a vIOMMU under VFIO) the driver must also
 * hear of new entries: then a map queues its iotlb_sync_map flush, and an
 * update queues that besides its own.
 */
static void vtd_test_one_flush_per_call(struct kunit *test)
{
	struct vtd_test *t = test->priv;
	struct gpt *pt = gpt_iommu_domain_gpt(t->domain);
	bool cm = cap_caching_mode(t->iommu->cap);
	unsigned int one, sync_map;
	long flushes, tables;
	int head;

	kunit_info(test, "caching mode %s\n", cm ? "on" : "off");
	head = qi_head(t->iommu);
	KUNIT_ASSERT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA, t->pfns, NPAGES,
					    IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	sync_map = qi_since(t->iommu, head);
	if (cm)
		KUNIT_EXPECT_GT(test, sync_map, 0);
	else
		KUNIT_EXPECT_EQ(test, sync_map, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes), 0);

	/* Move one page: no table leaves the tree. */
	t->pfns[601] = HMM_PFN_VALID | (page_to_pfn(t->block) + 7);
	tables = gpt_nr_tables(pt);
	head = qi_head(t->iommu);
	KUNIT_ASSERT_EQ(test, iommu_dir_update(&t->dir, TEST_IOVA, t->pfns, NPAGES,
					       IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	one = qi_since(t->iommu, head) - sync_map;
	KUNIT_EXPECT_GT(test, one, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes), 1);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables);

	/* The whole range: the 4 KiB tables of the scattered part go. */
	flushes = atomic_long_read(&t->dir.nr_flushes);
	head = qi_head(t->iommu);
	KUNIT_EXPECT_EQ(test, iommu_dir_unmap(&t->dir, TEST_IOVA, NPAGES),
			(size_t)NPAGES << PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, qi_since(t->iommu, head), one);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes) - flushes, 1);
	KUNIT_EXPECT_LT(test, gpt_nr_tables(pt), tables);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(t->domain, TEST_IOVA + SZ_2M + SZ_4K), 0);
}

/*
 * iommu_unmap() that frees a page table: the glue flushes before freeing
 * it, and the core's sync must not flush the range again.
 */
static void vtd_test_unmap_one_flush(struct kunit *test)
{
	struct vtd_test *t = test->priv;
	struct gpt *pt = gpt_iommu_domain_gpt(t->domain);
	phys_addr_t pa = page_to_phys(t->block);
	unsigned long cached, now;
	unsigned int leaf_only;
	long tables;
	int head;

	/* A page in its own leaf table; unmapping it leaves the table. */
	KUNIT_ASSERT_EQ(test, iommu_map(t->domain, TEST_IOVA + SZ_4K, pa, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	tables = gpt_nr_tables(pt);
	head = qi_head(t->iommu);
	KUNIT_EXPECT_EQ(test, iommu_unmap(t->domain, TEST_IOVA + SZ_4K, SZ_4K),
			(size_t)SZ_4K);
	leaf_only = qi_since(t->iommu, head);
	KUNIT_EXPECT_GT(test, leaf_only, 0);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables);

	/* The whole 2 MiB: the table goes, with one flush all the same. */
	KUNIT_ASSERT_EQ(test, iommu_map(t->domain, TEST_IOVA + SZ_4K, pa, SZ_4K,
					IOMMU_READ, GFP_KERNEL), 0);
	cached = READ_ONCE(pt->nr_cached);
	head = qi_head(t->iommu);
	KUNIT_EXPECT_EQ(test, iommu_unmap(t->domain, TEST_IOVA, SZ_2M), (size_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, qi_since(t->iommu, head), leaf_only);
	KUNIT_EXPECT_LT(test, gpt_nr_tables(pt), tables);
	/*
	 * The sync handed the table back to lib-gpt, whose cache keeps it
	 * for the domain's next maps: not lost on the way.
	 */
	now = READ_ONCE(pt->nr_cached);
	KUNIT_EXPECT_EQ(test, now, cached + 1);
}

static struct kunit_case vtd_test_cases[] = {
	KUNIT_CASE(vtd_test_one_flush_per_call),
	KUNIT_CASE(vtd_test_unmap_one_flush),
	{}
};

static struct kunit_suite vtd_test_suite = {
	.name = "iommu_dir_vtd",
	.init = vtd_test_init,
	.exit = vtd_test_exit,
	.test_cases = vtd_test_cases,
};

kunit_test_suites(&vtd_test_suite);

MODULE_DESCRIPTION("KUnit: the directory API's IOTLB flushes on VT-d");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
