// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the iommu directory API against a real driver domain.
 *
 * Runs inside the QEMU guests, where the edu PCI device sits behind an
 * emulated VT-d or AMD-Vi unit: the suite allocates a paging domain for
 * that device (attached only where page sizes must be as in real use; no
 * driver is bound yet, so no DMA happens here: the edu module does the DMA)
 * and checks translations through iommu_iova_to_phys,
 * and, where the driver keeps the domain on lib-gpt, page sizes and table
 * counts in the table itself.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/gpt-test.h>
#include <linux/iommu-dir.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include "gpt-iommu.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define NPAGES		(3 * 512)
/* Clear of the MSI window and of AMD's reserved hole. */
#define TEST_IOVA	BIT_ULL(40)

struct dir_test {
	struct pci_dev *pdev;
	struct iommu_domain *domain;
	struct iommu_dir dir;
	struct page *huge;	/* a 2 MiB block, physically aligned */
	unsigned long *pfns;
	bool attached;
};

static int dir_test_init(struct kunit *test)
{
	struct dir_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!t->pdev)
		kunit_skip(test, "no edu device in this machine");
	t->domain = iommu_paging_domain_alloc(&t->pdev->dev);
	if (IS_ERR(t->domain)) {
		pci_dev_put(t->pdev);
		kunit_skip(test, "no paging domain for edu: %ld", PTR_ERR(t->domain));
	}
	t->huge = alloc_pages(GFP_KERNEL, get_order(SZ_2M));
	t->pfns = kunit_kcalloc(test, NPAGES, sizeof(*t->pfns), GFP_KERNEL);
	if (!t->huge || !t->pfns ||
	    iommu_dir_init(&t->dir, t->domain, &t->pdev->dev))
		return -ENOMEM;
	test->priv = t;
	return 0;
}

static void dir_test_exit(struct kunit *test)
{
	struct dir_test *t = test->priv;

	if (!t)
		return;
	iommu_dir_unmap(&t->dir, TEST_IOVA, NPAGES);
	if (t->attached)
		iommu_detach_device(t->domain, &t->pdev->dev);
	iommu_dir_destroy(&t->dir);
	iommu_domain_free(t->domain);
	__free_pages(t->huge, get_order(SZ_2M));
	pci_dev_put(t->pdev);
}

/* [0,512): the 2 MiB block; [512,1024): scattered, page 600 read-only. */
static void fill(struct dir_test *t)
{
	unsigned long base = page_to_pfn(t->huge), i;

	for (i = 0; i < 512; i++)
		t->pfns[i] = HMM_PFN_VALID | HMM_PFN_WRITE | (base + i);
	for (i = 512; i < 1024; i++)
		t->pfns[i] = HMM_PFN_VALID | HMM_PFN_WRITE | (base + (i * 7) % 512);
	t->pfns[600] &= ~HMM_PFN_WRITE;
	for (i = 1024; i < NPAGES; i++)
		t->pfns[i] = i % 2 ? HMM_PFN_VALID | (base + i % 512) : 0;
}

static phys_addr_t expect_pa(struct dir_test *t, unsigned long i)
{
	if (!(t->pfns[i] & HMM_PFN_VALID))
		return 0;
	return (phys_addr_t)(t->pfns[i] & ~HMM_PFN_FLAGS) << PAGE_SHIFT;
}

static void check_range(struct kunit *test, struct dir_test *t, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		u64 iova = TEST_IOVA + (i << PAGE_SHIFT);

		if (iommu_iova_to_phys(t->domain, iova + 0x123) !=
		    (expect_pa(t, i) ? expect_pa(t, i) + 0x123 : 0))
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
}

static void check_all(struct kunit *test, struct dir_test *t)
{
	check_range(test, t, NPAGES);
}

/* Fill the array and map all of it. */
static void map_filled(struct kunit *test, struct dir_test *t)
{
	fill(t);
	KUNIT_ASSERT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA, t->pfns, NPAGES,
					    IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	check_all(test, t);
}

static void dir_test_map_update_unmap(struct kunit *test)
{
	struct dir_test *t = test->priv;
	long flushes;

	map_filled(test, t);
	/* A map needs no flush. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes), 0);

	/* Update: move one page, drop one, add one, upgrade 600 in place. */
	t->pfns[5] = HMM_PFN_VALID | (page_to_pfn(t->huge) + 77);
	t->pfns[700] = 0;
	t->pfns[1024] = HMM_PFN_VALID | HMM_PFN_WRITE | page_to_pfn(t->huge);
	t->pfns[600] |= HMM_PFN_WRITE;
	flushes = atomic_long_read(&t->dir.nr_flushes);
	KUNIT_ASSERT_EQ(test, iommu_dir_update(&t->dir, TEST_IOVA, t->pfns, NPAGES,
					       IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	check_all(test, t);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes) - flushes, 1);

	flushes = atomic_long_read(&t->dir.nr_flushes);
	KUNIT_EXPECT_EQ(test, iommu_dir_unmap(&t->dir, TEST_IOVA, NPAGES),
			(size_t)NPAGES << PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes) - flushes, 1);
	memset(t->pfns, 0, NPAGES * sizeof(*t->pfns));
	check_all(test, t);
}

static void dir_test_unchanged_update_is_free(struct kunit *test)
{
	struct dir_test *t = test->priv;
	long flushes;

	map_filled(test, t);
	if (!t->domain->ops->map_dir)
		kunit_skip(test, "generic fallback: update remaps and flushes");
	flushes = atomic_long_read(&t->dir.nr_flushes);
	KUNIT_ASSERT_EQ(test, iommu_dir_update(&t->dir, TEST_IOVA, t->pfns, NPAGES,
					       IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes) - flushes, 0);
	check_all(test, t);
}

static void dir_test_bad_input(struct kunit *test)
{
	struct dir_test *t = test->priv;
	struct iommu_domain_geometry *geo = &t->domain->geometry;

	fill(t);
	KUNIT_EXPECT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA, t->pfns, 0,
					    IOMMU_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA + 8, t->pfns, 1,
					    IOMMU_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_dir_map(&t->dir, ULONG_MAX - PAGE_SIZE + 1,
					    t->pfns, 2, IOMMU_READ, GFP_KERNEL), -ERANGE);
	if (geo->force_aperture && geo->aperture_end < ULONG_MAX - PAGE_SIZE)
		KUNIT_EXPECT_EQ(test, iommu_dir_map(&t->dir,
						    geo->aperture_end + 1 - PAGE_SIZE,
						    t->pfns, 2, IOMMU_READ,
						    GFP_KERNEL), -ERANGE);
	/* The x86 MSI window is reserved on both vIOMMUs. */
	KUNIT_EXPECT_EQ(test, iommu_dir_map(&t->dir, 0xfee00000UL - PAGE_SIZE,
					    t->pfns, 2, IOMMU_READ, GFP_KERNEL),
			-EADDRNOTAVAIL);

	/* Overlap: -EEXIST and nothing of the second call is mapped. */
	KUNIT_ASSERT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA + SZ_1M, t->pfns, 1,
					    IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA, t->pfns, 512,
					    IOMMU_READ, GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(t->domain, TEST_IOVA), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(t->domain, TEST_IOVA + SZ_2M - PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, iommu_dir_unmap(&t->dir, TEST_IOVA + SZ_1M, 1), PAGE_SIZE);
}

/* An unmap covering the whole 512 GiB below TEST_IOVA's top-level entry. */
#define SPAN_PAGES	(SZ_512G >> PAGE_SHIFT)

/*
 * The lib-gpt table of the domain, attached to edu: VT-d learns which
 * superpages it may use only at attach, as the driver's own code does.
 */
static struct gpt *dir_test_gpt(struct kunit *test, struct dir_test *t)
{
	struct gpt *pt = gpt_iommu_domain_gpt(t->domain);
	int ret;

	if (!pt)
		kunit_skip(test, "the domain is not on lib-gpt");
	ret = iommu_attach_device(t->domain, &t->pdev->dev);
	if (ret)
		kunit_skip(test, "cannot attach the domain to edu: %d", ret);
	t->attached = true;
	return pt;
}

static unsigned int leaf_level(struct gpt *pt, unsigned long i)
{
	unsigned int level = UINT_MAX;

	if (!gpt_leaf_entry(pt, TEST_IOVA + (i << PAGE_SHIFT), &level))
		return UINT_MAX;
	return level;
}

/*
 * The 2 MiB block becomes one 2 MiB IOMMU page, scattered pages stay 4 KiB,
 * and unmapping everything gives every table back.
 */
static void dir_test_huge_pages_and_leaks(struct kunit *test)
{
	struct dir_test *t = test->priv;
	struct gpt *pt = dir_test_gpt(test, t);
	long base;

	/* AMD-Vi grows its tree to reach TEST_IOVA; growth stays. */
	fill(t);
	KUNIT_ASSERT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA, t->pfns, 1,
					    IOMMU_READ, GFP_KERNEL), 0);
	iommu_dir_unmap(&t->dir, TEST_IOVA, SPAN_PAGES);
	base = gpt_nr_tables(pt);

	map_filled(test, t);
	KUNIT_EXPECT_EQ(test, leaf_level(pt, 0), 1);
	KUNIT_EXPECT_EQ(test, leaf_level(pt, 511), 1);
	KUNIT_EXPECT_EQ(test, leaf_level(pt, 512), 0);
	KUNIT_EXPECT_EQ(test, leaf_level(pt, 1025), 0);
	KUNIT_EXPECT_GT(test, gpt_nr_tables(pt), base);

	t->pfns[700] = 0;
	KUNIT_ASSERT_EQ(test, iommu_dir_update(&t->dir, TEST_IOVA, t->pfns, NPAGES,
					       IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_dir_unmap(&t->dir, TEST_IOVA, SPAN_PAGES),
			(size_t)SZ_512G);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), base);
}

/*
 * Partial unmaps leave an empty table; a 2 MiB page mapped over it takes
 * its place.  The walk caches may still point at the table, so the map
 * must flush before the table is freed, and free it then, not leave it
 * for some later call's flush, which may cover another range.
 */
static void dir_test_huge_over_empty_table(struct kunit *test)
{
	struct dir_test *t = test->priv;
	struct gpt *pt = dir_test_gpt(test, t);
	long flushes, tables;

	fill(t);
	KUNIT_ASSERT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA + 3 * PAGE_SIZE,
					    t->pfns + 3, 1, IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, leaf_level(pt, 3), 0);
	tables = gpt_nr_tables(pt);
	KUNIT_EXPECT_EQ(test, iommu_dir_unmap(&t->dir, TEST_IOVA + 3 * PAGE_SIZE, 1),
			PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables);

	flushes = atomic_long_read(&t->dir.nr_flushes);
	KUNIT_ASSERT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA, t->pfns, 512,
					    IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, leaf_level(pt, 3), 1);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables - 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes) - flushes, 1);
	check_range(test, t, 512);
}

/*
 * Unmap never allocates: a cut into a 2 MiB page takes the whole page,
 * through the directory API and through iommu_unmap(), which is told so.
 */
static void dir_test_unmap_cuts_whole(struct kunit *test)
{
	struct dir_test *t = test->priv;
	struct gpt *pt = dir_test_gpt(test, t);
	long flushes;

	fill(t);
	KUNIT_ASSERT_EQ(test, iommu_dir_map(&t->dir, TEST_IOVA, t->pfns, 512,
					    IOMMU_READ | IOMMU_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, leaf_level(pt, 0), 1);
	flushes = atomic_long_read(&t->dir.nr_flushes);
	iommu_dir_unmap(&t->dir, TEST_IOVA + 100 * PAGE_SIZE, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->dir.nr_flushes) - flushes, 1);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(t->domain, TEST_IOVA), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(t->domain, TEST_IOVA + SZ_2M - 1), 0);

	KUNIT_ASSERT_EQ(test, iommu_map(t->domain, TEST_IOVA, page_to_phys(t->huge), SZ_2M,
					IOMMU_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(t->domain, TEST_IOVA, SZ_4K), (size_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(t->domain, TEST_IOVA + SZ_1M), 0);
}

/* Dirty reporting stays inside the range asked about. */
static void dir_test_dirty_span(struct kunit *test)
{
	struct gpt_leaf leaf = { .iova = SZ_2M, .size = SZ_2M, .dirty = true };
	u64 iova, len;

	KUNIT_EXPECT_TRUE(test, gpt_iommu_dirty_span(&leaf, SZ_2M + SZ_4K,
						     SZ_2M + 3 * SZ_4K - 1, &iova, &len));
	KUNIT_EXPECT_EQ(test, iova, SZ_2M + SZ_4K);
	KUNIT_EXPECT_EQ(test, len, 2 * SZ_4K);
	KUNIT_EXPECT_TRUE(test, gpt_iommu_dirty_span(&leaf, 0, SZ_4M - 1, &iova, &len));
	KUNIT_EXPECT_EQ(test, iova, SZ_2M);
	KUNIT_EXPECT_EQ(test, len, SZ_2M);
	KUNIT_EXPECT_FALSE(test, gpt_iommu_dirty_span(&leaf, SZ_4M, SZ_8M, &iova, &len));
}

static struct kunit_case dir_test_cases[] = {
	KUNIT_CASE(dir_test_unmap_cuts_whole),
	KUNIT_CASE(dir_test_dirty_span),
	KUNIT_CASE(dir_test_map_update_unmap),
	KUNIT_CASE(dir_test_unchanged_update_is_free),
	KUNIT_CASE(dir_test_bad_input),
	KUNIT_CASE(dir_test_huge_pages_and_leaks),
	KUNIT_CASE(dir_test_huge_over_empty_table),
	{}
};

static struct kunit_suite dir_test_suite = {
	.name = "iommu_dir",
	.init = dir_test_init,
	.exit = dir_test_exit,
	.test_cases = dir_test_cases,
};

kunit_test_suites(&dir_test_suite);

MODULE_DESCRIPTION("KUnit tests for the iommu directory API");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
