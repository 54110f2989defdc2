// SPDX-License-Identifier: GPL-2.0
/*
 * lib-gpt's Arm LPAE stage-1 format against Linux's io-pgtable-arm, timed
 * in the same run through the same map_pages/unmap_pages-style calls.  Run
 * natively on UML by "make bench"; each case also checks that both tables
 * translate the mapped range identically, so a wrong result fails.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/gpt.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>
#include "gpt_test.h"

struct bench_pt {
	struct gpt gpt;
	struct io_pgtable_ops *ops;
};

static void noop_flush_all(void *cookie)
{
}

static void noop_flush_walk(unsigned long iova, size_t size, size_t granule,
			    void *cookie)
{
}

static const struct iommu_flush_ops noop_flush_ops = {
	.tlb_flush_all	= noop_flush_all,
	.tlb_flush_walk	= noop_flush_walk,
};

static struct device bench_dev;

/* The iommu core's loop: map_pages until the whole range is mapped. */
static int io_map(struct io_pgtable_ops *ops, u64 iova, u64 pa, u64 pgsize,
		  u64 count)
{
	while (count) {
		size_t mapped = 0;
		int ret = ops->map_pages(ops, iova, pa, pgsize, count,
					 IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE,
					 GFP_KERNEL, &mapped);

		if (ret)
			return ret;
		iova += mapped;
		pa += mapped;
		count -= mapped / pgsize;
	}
	return 0;
}

static u64 io_unmap(struct io_pgtable_ops *ops, u64 iova, u64 pgsize, u64 count)
{
	struct iommu_iotlb_gather gather;
	u64 total = 0;

	iommu_iotlb_gather_init(&gather);
	while (count) {
		size_t done = ops->unmap_pages(ops, iova, pgsize, count, &gather);

		if (!done)
			break;
		total += done;
		iova += done;
		count -= done / pgsize;
	}
	return total;
}

struct bench_case {
	const char *name;
	u64 pgsize;
	u64 count;
	unsigned int reps;
	unsigned int batch;
};

/*
 * Each timed block maps @c->batch ranges at distinct IOVAs, then unmaps
 * them, so the clock is read twice per block and not per call.  Every
 * case has its own IOVA region, so none inherits another's tables.  The
 * physical address is aligned to the page size and no more, so both
 * tables are built from leaves of exactly that size.
 */
static void bench_one(struct kunit *test, struct bench_pt *b,
		      const struct bench_case *c, u64 iova)
{
	u64 size = c->pgsize * c->count, stride = max_t(u64, size, SZ_2M);
	u64 pa = 8ULL * SZ_1G + c->pgsize;
	u64 t0, gmap = 0, gunmap = 0, imap = 0, iunmap = 0, calls;
	unsigned int r, k;

	for (r = 0; r < c->reps; r++) {
		t0 = ktime_get_ns();
		for (k = 0; k < c->batch; k++)
			KUNIT_ASSERT_EQ(test, gpt_test_map(&b->gpt, iova + k * stride, pa, size,
							   GPT_READ | GPT_WRITE | GPT_CACHE,
						      GFP_KERNEL), 0);
		gmap += ktime_get_ns() - t0;
		if (!r) {
			struct gpt_leaf leaf;
			u64 probe = iova + size - 1;

			KUNIT_ASSERT_EQ(test, gpt_lookup(&b->gpt, probe, &leaf), 0);
			KUNIT_EXPECT_EQ(test, leaf.pa + (probe - leaf.iova),
					pa + size - 1);
			KUNIT_EXPECT_EQ(test, leaf.size, c->pgsize);
		}
		t0 = ktime_get_ns();
		for (k = 0; k < c->batch; k++)
			KUNIT_ASSERT_EQ(test, gpt_test_unmap(&b->gpt, iova + k * stride,
							     size), size);
		gunmap += ktime_get_ns() - t0;
		/* Let freed tables reach the allocator, as io-pgtable's do at once. */
		rcu_barrier();

		t0 = ktime_get_ns();
		for (k = 0; k < c->batch; k++)
			KUNIT_ASSERT_EQ(test, io_map(b->ops, iova + k * stride, pa,
						     c->pgsize, c->count), 0);
		imap += ktime_get_ns() - t0;
		if (!r)
			KUNIT_EXPECT_EQ(test, b->ops->iova_to_phys(b->ops, iova + size - 1),
					pa + size - 1);
		t0 = ktime_get_ns();
		for (k = 0; k < c->batch; k++)
			KUNIT_ASSERT_EQ(test, io_unmap(b->ops, iova + k * stride, c->pgsize,
						       c->count), size);
		iunmap += ktime_get_ns() - t0;
	}
	calls = (u64)c->reps * c->batch;
	gmap /= calls;
	gunmap /= calls;
	imap /= calls;
	iunmap /= calls;
	pr_info("gptbench: %-10s map   gpt %9llu ns  io-pgtable-arm %9llu ns  ratio %llu.%02llux\n",
		c->name, gmap, imap, imap / max(gmap, 1ULL),
		imap * 100 / max(gmap, 1ULL) % 100);
	pr_info("gptbench: %-10s unmap gpt %9llu ns  io-pgtable-arm %9llu ns  ratio %llu.%02llux\n",
		c->name, gunmap, iunmap, iunmap / max(gunmap, 1ULL),
		iunmap * 100 / max(gunmap, 1ULL) % 100);
	if (c->count > 1000)
		pr_info("gptbench: %-10s per page: map gpt %llu.%02llu ns, io-pgtable-arm %llu.%02llu ns; unmap gpt %llu.%02llu ns, io-pgtable-arm %llu.%02llu ns\n",
			c->name, gmap / c->count, gmap * 100 / c->count % 100,
			imap / c->count, imap * 100 / c->count % 100,
			gunmap / c->count, gunmap * 100 / c->count % 100,
			iunmap / c->count, iunmap * 100 / c->count % 100);
}

static void gptbench_arm_lpae(struct kunit *test)
{
	static const struct bench_case cases[] = {
		{ "1x4K",	SZ_4K,	1,		200,	256 },
		{ "256x4K",	SZ_4K,	256,		200,	16 },
		{ "256x2M",	SZ_2M,	256,		100,	2 },
		{ "1G-as-4K",	SZ_4K,	SZ_1G / SZ_4K,	10,	1 },
	};
	struct gpt_cfg gcfg = { .va_bits = 48, .pa_bits = 48 };
	struct io_pgtable_cfg icfg = {
		.pgsize_bitmap	= SZ_4K | SZ_2M | SZ_1G,
		.ias		= 48,
		.oas		= 48,
		.coherent_walk	= true,
		.tlb		= &noop_flush_ops,
		.iommu_dev	= &bench_dev,
	};
	struct bench_pt *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_EQ(test, gpt_init(&b->gpt, &gpt_fmt_arm_lpae_s1, &gcfg,
				       GFP_KERNEL), 0);
	b->ops = alloc_io_pgtable_ops(ARM_64_LPAE_S1, &icfg, b);
	KUNIT_ASSERT_NOT_NULL(test, b->ops);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		bench_one(test, b, &cases[i], (i + 1) * 64ULL * SZ_1G);
	free_io_pgtable_ops(b->ops);
	gpt_destroy(&b->gpt);
}

static struct kunit_case gptbench_cases[] = {
	KUNIT_CASE_SLOW(gptbench_arm_lpae),
	{}
};

static struct kunit_suite gptbench_suite = {
	.name = "gptbench",
	.test_cases = gptbench_cases,
};

kunit_test_suites(&gptbench_suite);

MODULE_DESCRIPTION("lib-gpt against io-pgtable-arm");
MODULE_LICENSE("GPL");
