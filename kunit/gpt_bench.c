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
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include "gpt_test.h"

struct bench_pt {
	struct gpt gpt;
	struct io_pgtable_ops *ops;
};

/*
 * Everything leaves through KUnit actions, so that a case an assertion
 * ends early still takes its tree off the table-cache shrinker's list
 * before the memory under it is freed.
 */
KUNIT_DEFINE_ACTION_WRAPPER(bench_gpt_destroy, gpt_destroy, struct gpt *);
KUNIT_DEFINE_ACTION_WRAPPER(bench_io_free, free_io_pgtable_ops, struct io_pgtable_ops *);
KUNIT_DEFINE_ACTION_WRAPPER(bench_vfree, vfree, const void *);

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

#define ROUNDS	7

struct bench_case {
	const char *name;
	u64 pgsize;
	u64 count;
	unsigned int reps;
	unsigned int batch;
	/*
	 * Map again right after the unmap, with no grace period between:
	 * the tables the unmap released cannot be reused yet.
	 */
	bool no_grace;
	/* Targets, as peer / gpt x 100; 0 where the row has none of its own. */
	unsigned int map_target;
	unsigned int unmap_target;
};

/* Per round: ns per call of each side, and of the store floor. */
struct bench_rounds {
	u64 gmap[ROUNDS], gunmap[ROUNDS], imap[ROUNDS], iunmap[ROUNDS];
	u64 floor[ROUNDS];
};

static int median_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(const u64 *v)
{
	u64 s[ROUNDS];

	memcpy(s, v, sizeof(s));
	sort(s, ROUNDS, sizeof(*s), median_cmp, NULL);
	return s[ROUNDS / 2];
}

/* @a / @b x 100 for every round. */
static void ratios(const u64 *a, const u64 *b, u64 *q)
{
	int i;

	for (i = 0; i < ROUNDS; i++)
		q[i] = a[i] * 100 / max(b[i], 1ULL);
}

static void spread(const u64 *q, u64 *lo, u64 *hi)
{
	int i;

	*lo = *hi = q[0];
	for (i = 1; i < ROUNDS; i++) {
		*lo = min(*lo, q[i]);
		*hi = max(*hi, q[i]);
	}
}

/*
 * One round of the floor: store as many 8-byte entries as a call writes,
 * @calls times, into a table-sized buffer: what a map could cost at best.
 */
static u64 floor_ns(u64 *buf, u64 count, u64 calls)
{
	u64 t0 = ktime_get_ns(), c, i;

	for (c = 0; c < calls; c++)
		for (i = 0; i < count; i++)
			WRITE_ONCE(buf[i], ((i + c) << 12) | 3);
	return (ktime_get_ns() - t0) / calls;
}

static void print_row(const struct bench_case *c, const char *op, const u64 *g,
		      const u64 *i, const u64 *floor)
{
	u64 q[ROUNDS], f[ROUNDS], lo, hi, r;

	ratios(i, g, q);
	r = median(q);
	spread(q, &lo, &hi);
	if (c->count < 256) {
		pr_info("gptbench: %-16s %-5s gpt %9llu ns  io-pgtable-arm %9llu ns  ratio %llu.%02llux [%llu.%02llu-%llu.%02llu]\n",
			c->name, op, median(g), median(i), r / 100, r % 100,
			lo / 100, lo % 100, hi / 100, hi % 100);
		return;
	}
	ratios(g, floor, f);
	pr_info("gptbench: %-16s %-5s gpt %9llu ns  io-pgtable-arm %9llu ns  ratio %llu.%02llux [%llu.%02llu-%llu.%02llu]  gpt/floor %llu.%02llux\n",
		c->name, op, median(g), median(i), r / 100, r % 100,
		lo / 100, lo % 100, hi / 100, hi % 100,
		median(f) / 100, median(f) % 100);
}

/* Met only if the ratio holds in every round. */
static bool print_target(const char *name, const char *op, const u64 *g,
			 const u64 *i, unsigned int want)
{
	u64 q[ROUNDS];
	int k, held = 0;

	ratios(i, g, q);
	for (k = 0; k < ROUNDS; k++)
		held += q[k] >= want;
	pr_info("gptbench: target: %s %s >= %u.%02ux io-pgtable-arm: %s (%d of %d rounds, median %llu.%02llux)\n",
		name, op, want / 100, want % 100,
		held == ROUNDS ? "met" : "not met", held, ROUNDS,
		median(q) / 100, median(q) % 100);
	return held == ROUNDS;
}

/*
 * Each timed block maps @c->batch ranges at distinct IOVAs, then unmaps
 * them, so the clock is read twice per block and not per call.  Every
 * case has its own IOVA region, so none inherits another's tables.  The
 * physical address is aligned to the page size and no more, so both
 * tables are built from leaves of exactly that size.
 */
static void bench_one(struct kunit *test, struct bench_pt *b,
		      const struct bench_case *c, u64 iova, struct bench_rounds *res,
		      u64 *buf)
{
	u64 size = c->pgsize * c->count, stride = max_t(u64, size, SZ_2M);
	u64 pa = 8ULL * SZ_1G + c->pgsize;
	u64 calls = (u64)c->reps * c->batch;
	unsigned int round, r, k;

	/*
	 * One untimed pass first: the tables both sides keep after an
	 * unmap (those above the leaves) are then there in every round,
	 * not only after the first.
	 */
	for (k = 0; k < c->batch; k++) {
		KUNIT_ASSERT_EQ(test, gpt_test_map(&b->gpt, iova + k * stride, pa, size,
						   GPT_READ | GPT_WRITE | GPT_CACHE,
						   GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, gpt_test_unmap(&b->gpt, iova + k * stride, size),
				size);
		KUNIT_ASSERT_EQ(test, io_map(b->ops, iova + k * stride, pa, c->pgsize,
					     c->count), 0);
		KUNIT_ASSERT_EQ(test, io_unmap(b->ops, iova + k * stride, c->pgsize,
					       c->count), size);
	}
	synchronize_rcu();
	for (round = 0; round < ROUNDS; round++) {
		u64 t0, gmap = 0, gunmap = 0, imap = 0, iunmap = 0;

		for (r = 0; r < c->reps; r++) {
			t0 = ktime_get_ns();
			for (k = 0; k < c->batch; k++)
				KUNIT_ASSERT_EQ(test, gpt_test_map(&b->gpt, iova + k * stride, pa,
								   size,
								   GPT_READ | GPT_WRITE | GPT_CACHE,
								   GFP_KERNEL), 0);
			gmap += ktime_get_ns() - t0;
			if (!r && !round) {
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
			/*
			 * Untimed, as is the RCU work behind it: the grace
			 * period after which the tables the unmap released
			 * may serve the next map.
			 */
			if (!c->no_grace)
				synchronize_rcu();

			t0 = ktime_get_ns();
			for (k = 0; k < c->batch; k++)
				KUNIT_ASSERT_EQ(test, io_map(b->ops, iova + k * stride, pa,
							     c->pgsize, c->count), 0);
			imap += ktime_get_ns() - t0;
			if (!r && !round)
				KUNIT_EXPECT_EQ(test, b->ops->iova_to_phys(b->ops, iova + size - 1),
						pa + size - 1);
			t0 = ktime_get_ns();
			for (k = 0; k < c->batch; k++)
				KUNIT_ASSERT_EQ(test, io_unmap(b->ops, iova + k * stride, c->pgsize,
							       c->count), size);
			iunmap += ktime_get_ns() - t0;
		}
		res->gmap[round] = gmap / calls;
		res->gunmap[round] = gunmap / calls;
		res->imap[round] = imap / calls;
		res->iunmap[round] = iunmap / calls;
		res->floor[round] = floor_ns(buf, c->count, calls);
	}
	print_row(c, "map", res->gmap, res->imap, res->floor);
	print_row(c, "unmap", res->gunmap, res->iunmap, res->floor);
}

static void gptbench_arm_lpae(struct kunit *test)
{
	/* Every row at least 1x its peer; some rows more. */
	static const struct bench_case cases[] = {
		{ "1x4K",	    SZ_4K, 1,		  200, 256, false, 130, 130 },
		{ "256x4K",	    SZ_4K, 256,		  200, 16,  false, 300, 300 },
		{ "256x2M",	    SZ_2M, 256,		  100, 2,   false, 100, 100 },
		{ "1G-as-4K",	    SZ_4K, SZ_1G / SZ_4K, 10,  1,   false, 150, 100 },
		{ "1G-as-4K-no-gp", SZ_4K, SZ_1G / SZ_4K, 10,  1,   true,  0,   0 },
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
	struct bench_rounds *res;
	unsigned int i, met = 0, all = 0;
	u64 *buf;

	KUNIT_ASSERT_NOT_NULL(test, b);
	res = kunit_kcalloc(test, ARRAY_SIZE(cases), sizeof(*res), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, res);
	buf = vmalloc(SZ_1G / SZ_4K * sizeof(u64));
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bench_vfree, buf), 0);
	KUNIT_ASSERT_EQ(test, gpt_init(&b->gpt, &gpt_fmt_arm_lpae_s1, &gcfg,
				       GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bench_gpt_destroy, &b->gpt), 0);
	b->ops = alloc_io_pgtable_ops(ARM_64_LPAE_S1, &icfg, b);
	KUNIT_ASSERT_NOT_NULL(test, b->ops);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bench_io_free, b->ops), 0);
	pr_info("gptbench: medians of %d rounds; ratio = io-pgtable-arm / gpt, median [min-max]; floor = a plain loop storing as many 8-byte entries, timed in the same round\n",
		ROUNDS);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		bench_one(test, b, &cases[i], (i + 1) * 64ULL * SZ_1G, &res[i], buf);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bench_case *c = &cases[i];

		if (!c->map_target)
			continue;
		met += print_target(c->name, "map", res[i].gmap, res[i].imap,
				    c->map_target);
		met += print_target(c->name, "unmap", res[i].gunmap, res[i].iunmap,
				    c->unmap_target);
		all += 2;
	}
	pr_info("gptbench: UML targets: %u of %u met\n", met, all);
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
