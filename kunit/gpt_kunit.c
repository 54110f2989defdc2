// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for lib-gpt, one per format, with the same cases.
 *
 * The file also builds in userspace against tools/shim (a small KUnit and
 * kernel shim), so one set of cases runs under kunit.py and as a plain
 * program; the userspace run adds allocation-failure injection and runs
 * the random-operation case for a million operations per format.
 */
#include <kunit/test.h>
#include <linux/gpt.h>
#include <linux/gpt-test.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include "gpt-internal.h"
#include "gpt_test.h"
#ifdef __KERNEL__
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/prandom.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

static unsigned long random_ops = 20000;
module_param(random_ops, ulong, 0444);
MODULE_PARM_DESC(random_ops, "operations in the random-operation case");
static unsigned long random_seed;
module_param(random_seed, ulong, 0444);
MODULE_PARM_DESC(random_seed, "seed of the random-operation case (0: random)");

#define gpt_test_fail_after(n)	((void)(n), false)
#define gpt_test_fail_reset()	do { } while (0)

static void *gpt_test_bigalloc(size_t size)
{
	return vzalloc(size);
}

static void gpt_test_bigfree(void *p)
{
	vfree(p);
}

static u64 gpt_test_seed(void)
{
	return random_seed ? random_seed : get_random_u64();
}

struct gpt_thread {
	void (*fn)(void *arg);
	void *arg;
	struct completion done;
};

static int gpt_thread_fn(void *data)
{
	struct gpt_thread *t = data;

	t->fn(t->arg);
	complete(&t->done);
	return 0;
}

static void gpt_thread_start(struct gpt_thread *t)
{
	init_completion(&t->done);
	if (IS_ERR(kthread_run(gpt_thread_fn, t, "gpt-test")))
		gpt_thread_fn(t);
}

static void gpt_thread_join(struct gpt_thread *t)
{
	wait_for_completion(&t->done);
}
#else
#include <pthread.h>
#include <time.h>

static unsigned long random_ops = 20000;
static unsigned long random_seed;

/* The userspace runner's stand-in for module parameters. */
static void __attribute__((constructor)) gpt_test_params(void)
{
	if (getenv("GPT_OPS"))
		random_ops = strtoul(getenv("GPT_OPS"), NULL, 0);
	if (getenv("GPT_SEED"))
		random_seed = strtoul(getenv("GPT_SEED"), NULL, 0);
}

#define gpt_test_fail_after(n)	(shim_fail_countdown = (n), true)
#define gpt_test_fail_reset()	(shim_fail_countdown = 0)

static void *gpt_test_bigalloc(size_t size)
{
	return calloc(1, size);
}

static void gpt_test_bigfree(void *p)
{
	free(p);
}

static u64 gpt_test_seed(void)
{
	return random_seed ? random_seed : (u64)time(NULL);
}

struct gpt_thread {
	void (*fn)(void *arg);
	void *arg;
	pthread_t tid;
};

static void *gpt_thread_fn(void *data)
{
	struct gpt_thread *t = data;

	t->fn(t->arg);
	return NULL;
}

static void gpt_thread_start(struct gpt_thread *t)
{
	if (pthread_create(&t->tid, NULL, gpt_thread_fn, t))
		abort();
}

static void gpt_thread_join(struct gpt_thread *t)
{
	pthread_join(t->tid, NULL);
}
#endif

#define PG_4K	0x1000ULL
#define PG_2M	0x200000ULL
#define PG_1G	0x40000000ULL

/* What a suite knows about its format. */
struct gpt_test_fmt {
	const struct gpt_fmt *fmt;
	unsigned int va_bits;
	unsigned int pa_bits;
	/* highest level with leaves, under the default configuration */
	unsigned int top_leaf;
	/* protections the format can express exactly */
	unsigned int prots[4];
	/* table entries carry a "written back" bit (PT_SW_SYNCED) */
	bool marks_synced;
};

static const struct gpt_test_fmt fmt_vtd = {
	&gpt_fmt_vtd_ss, 48, 52, 2,
	{ GPT_READ, GPT_WRITE, GPT_READ | GPT_WRITE, GPT_READ | GPT_WRITE | GPT_CACHE },
	true,
};

static const struct gpt_test_fmt fmt_amd = {
	&gpt_fmt_amd_v1, 64, 52, 2,
	{ GPT_READ, GPT_WRITE, GPT_READ | GPT_WRITE, GPT_READ | GPT_WRITE | GPT_CACHE },
};

static const struct gpt_test_fmt fmt_x86 = {
	&gpt_fmt_x86_64, 48, 52, 2,
	{ GPT_READ, GPT_READ | GPT_CACHE, GPT_READ | GPT_WRITE, GPT_READ | GPT_WRITE | GPT_CACHE },
	true,
};

static const struct gpt_test_fmt fmt_arm = {
	&gpt_fmt_arm_lpae_s1, 48, 48, 2,
	{ GPT_READ, GPT_READ | GPT_CACHE, GPT_READ | GPT_WRITE, GPT_READ | GPT_WRITE | GPT_CACHE },
	true,
};

static const struct gpt_test_fmt *tfmt(struct kunit *test)
{
	return test->priv;
}

static void destroy_pt(void *pt)
{
	gpt_destroy(pt);
}

/*
 * Trees live on the heap and leave through a KUnit action: a case that an
 * assertion ends early must not leave a tree, which the table-cache
 * shrinker can still reach, in a stack frame that is gone.
 */
static struct gpt *init_pt(struct kunit *test, const struct gpt_cfg *cfg)
{
	struct gpt *pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pt);
	KUNIT_ASSERT_EQ(test, gpt_init(pt, tfmt(test)->fmt, cfg, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, destroy_pt, pt), 0);
	return pt;
}

static struct gpt *new_pt(struct kunit *test, unsigned int flags)
{
	const struct gpt_test_fmt *f = tfmt(test);
	struct gpt_cfg cfg = {
		.va_bits = f->va_bits, .pa_bits = f->pa_bits, .flags = flags,
	};
	struct gpt *pt = init_pt(test, &cfg);

	KUNIT_ASSERT_EQ(test, gpt_nr_tables(pt), 1);
	return pt;
}

/* gpt_destroy() now, where a case checks what it releases. */
static void put_pt(struct kunit *test, struct gpt *pt)
{
	kunit_release_action(test, destroy_pt, pt);
}

/*
 * Leak check: once nothing is mapped, an unmap of the whole address space
 * returns every table but the top one.
 */
static void expect_only_top(struct kunit *test, struct gpt *pt)
{
	const struct gpt_test_fmt *f = tfmt(test);

	if (f->va_bits == 64) {
		KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 0, 1ULL << 63), 0);
		KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 1ULL << 63, 1ULL << 63), 0);
	} else {
		KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 0, 1ULL << f->va_bits), 0);
	}
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), 1);
}

static u64 leaf_size(unsigned int level)
{
	return PG_4K << (9 * level);
}

/* Map one leaf of every size with every protection and read it back. */
static void gpt_test_encode_decode(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	unsigned int level, p;
	struct gpt_leaf leaf;
	struct gpt *pt;

	pt = new_pt(test, 0);
	for (level = 0; level <= f->top_leaf; level++) {
		u64 size = leaf_size(level);
		u64 pas[] = { size, (1ULL << f->pa_bits) - size,
			      0x5a5ULL * size & ((1ULL << f->pa_bits) - 1) };
		unsigned int k;

		for (k = 0; k < ARRAY_SIZE(pas); k++) {
			for (p = 0; p < ARRAY_SIZE(f->prots); p++) {
				u64 iova = size * (1 + p + 4 * k);
				unsigned int prot = f->prots[p];

				KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, pas[k], size,
								   prot, GFP_KERNEL), 0);
				KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + size / 2, &leaf), 0);
				KUNIT_EXPECT_EQ(test, leaf.iova, iova);
				KUNIT_EXPECT_EQ(test, leaf.pa, pas[k]);
				KUNIT_EXPECT_EQ(test, leaf.size, size);
				KUNIT_EXPECT_EQ(test, leaf.prot, prot);
				KUNIT_EXPECT_FALSE(test, leaf.dirty);
				KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, size), size);
			}
		}
	}
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/*
 * Every IOVA bit reaches its own index, and only once; a lookup beyond
 * what the tree reaches misses (AMD-Vi: before the tree grows to it, then
 * on 6 levels).
 */
static void gpt_test_va_bits(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	unsigned int bits = f->va_bits, b, c;
	u64 mapped = 0;
	struct gpt_leaf leaf;
	struct gpt *pt;

	pt = new_pt(test, 0);
	/* 4 KiB is mapped first: an IOVA past the reach must not alias it. */
	for (b = GPT_PAGE_SHIFT; b < bits; b++) {
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, (1ULL << b) | PG_4K, &leaf),
				-ENOENT);
		KUNIT_ASSERT_EQ(test, gpt_test_map(pt, 1ULL << b, (u64)b << 12, PG_4K,
						   GPT_READ, GFP_KERNEL), 0);
	}
	for (b = GPT_PAGE_SHIFT; b < bits; b++) {
		KUNIT_ASSERT_EQ(test, gpt_lookup(pt, 1ULL << b, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.pa, (u64)b << 12);
		KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
		/* Two bits set: an index decoded twice would alias. */
		for (c = GPT_PAGE_SHIFT; c < b; c++)
			KUNIT_EXPECT_EQ(test, gpt_lookup(pt, (1ULL << b) | (1ULL << c),
							 &leaf), -ENOENT);
	}
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, 0, &leaf), -ENOENT);
	if (bits < 64)
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, (1ULL << bits) | PG_4K, &leaf),
				-ENOENT);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, U64_MAX, &leaf), -ENOENT);
	for (b = bits - 1; b >= GPT_PAGE_SHIFT; b--)
		mapped += gpt_test_unmap(pt, 1ULL << b, 1ULL << b);
	KUNIT_EXPECT_EQ(test, mapped, (u64)(bits - GPT_PAGE_SHIFT) * PG_4K);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

struct walk_count {
	u64 leaves, bytes, last_end;
	bool ordered;
};

static int count_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct walk_count *w = arg;

	w->ordered &= leaf->iova >= w->last_end;
	w->last_end = leaf->iova + leaf->size;
	w->leaves++;
	w->bytes += leaf->size;
	return 0;
}

/* Map two leaves of each size, cut one in the middle, unmap the rest. */
static void gpt_test_sizes(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	struct gpt_leaf leaf;
	unsigned int level;
	struct gpt *pt;

	pt = new_pt(test, 0);
	for (level = 0; level <= f->top_leaf; level++) {
		/* pa an odd multiple: natural leaves, never a run of two. */
		u64 size = leaf_size(level), iova = 4 * size, pa = 5 * size;
		struct walk_count w = { .ordered = true };

		KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, pa, 2 * size,
						   GPT_READ | GPT_WRITE, GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, gpt_walk(pt, 0, 16 * size, count_leaf, &w), 0);
		KUNIT_EXPECT_EQ(test, w.leaves, 2);
		KUNIT_EXPECT_EQ(test, w.bytes, 2 * size);
		KUNIT_EXPECT_TRUE(test, w.ordered);
		KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + size + 0x234, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.pa + (iova + size + 0x234 - leaf.iova),
				pa + size + 0x234);
		KUNIT_EXPECT_EQ(test, leaf.size, size);
		/* A neighbour of a map must stay unmapped. */
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova - 1, &leaf), -ENOENT);
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 2 * size, &leaf), -ENOENT);

		/*
		 * Cut a page out of the first leaf: the unmap removes the
		 * whole leaf, says so, and leaves its neighbour alone.
		 */
		if (level) {
			u64 hole = iova + size / 2;
			struct gpt_gather g;

			gpt_gather_init(&g);
			KUNIT_EXPECT_EQ(test, gpt_unmap(pt, hole, PG_4K, &g), size);
			KUNIT_EXPECT_TRUE(test, g.flush);
			KUNIT_EXPECT_EQ(test, g.start, iova);
			KUNIT_EXPECT_EQ(test, g.last, iova + size - 1);
			gpt_gather_free(&g);
			KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova, &leaf), -ENOENT);
			KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + size - PG_4K, &leaf),
					-ENOENT);
			KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + size, &leaf), 0);
			KUNIT_EXPECT_EQ(test, leaf.size, size);
			/* Split first to keep the rest: then exactly the page goes. */
			KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, pa, size,
							   GPT_READ | GPT_WRITE, GFP_KERNEL), 0);
			KUNIT_ASSERT_EQ(test, gpt_split(pt, hole, GFP_KERNEL), 0);
			KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, hole, PG_4K), PG_4K);
			KUNIT_EXPECT_EQ(test, gpt_lookup(pt, hole, &leaf), -ENOENT);
			KUNIT_ASSERT_EQ(test, gpt_lookup(pt, hole + PG_4K, &leaf), 0);
			KUNIT_EXPECT_EQ(test, leaf.pa, pa + size / 2 + PG_4K);
			KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 2 * size),
					2 * size - PG_4K);
		} else {
			KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 2 * size), 2 * size);
		}
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova, &leaf), -ENOENT);
	}
	expect_only_top(test, pt);

	/* max_leaf_level caps leaves (and runs) at 2 MiB, whatever the alignment. */
	put_pt(test, pt);
	{
		struct gpt_cfg cfg = {
			.va_bits = f->va_bits, .pa_bits = f->pa_bits,
			.max_leaf_level = 1,
		};

		pt = init_pt(test, &cfg);
	}
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, PG_1G, PG_1G, PG_1G, GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, PG_1G + 5 * PG_2M + 7, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_2M);
	KUNIT_EXPECT_EQ(test, leaf.pa + (PG_1G + 5 * PG_2M - leaf.iova), PG_1G + 5 * PG_2M);

	/* A pgsize_bitmap of 4 KiB and 1 GiB: 2 MiB alignment gets 4 KiB. */
	put_pt(test, pt);
	{
		struct gpt_cfg cfg = {
			.va_bits = f->va_bits, .pa_bits = f->pa_bits,
			.pgsize_bitmap = PG_4K | PG_1G,
		};

		pt = init_pt(test, &cfg);
	}
	KUNIT_EXPECT_EQ(test, gpt_pgsize_bitmap(pt), PG_4K | PG_1G);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, PG_1G + PG_2M, PG_2M, 64 * PG_4K, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, PG_1G + PG_2M + 17 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, 2 * PG_1G, PG_1G, PG_1G, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, 2 * PG_1G + 5 * PG_2M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_1G);
	/* No format maps 512 GiB pages: Linux's drivers never allow them. */
	put_pt(test, pt);
	pt = new_pt(test, 0);
	KUNIT_EXPECT_EQ(test, gpt_pgsize_bitmap(pt) >> 39, 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, 1ULL << 39, 0, 1ULL << 39, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, (1ULL << 39) + PG_1G, &leaf), 0);
	KUNIT_EXPECT_LT(test, leaf.size, 1ULL << 39);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 1ULL << 39, 1ULL << 39), 1ULL << 39);

	/* GPT_CFG_NO_HUGE keeps everything at 4 KiB. */
	put_pt(test, pt);
	pt = new_pt(test, GPT_CFG_NO_HUGE);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, PG_1G, PG_1G, PG_2M, GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, PG_1G + PG_2M - 1, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	put_pt(test, pt);
}

/* Bad input: a clear errno and nothing changed. */
static void gpt_test_bad_input(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	u64 va_end = f->va_bits >= 64 ? 0 : 1ULL << f->va_bits;
	unsigned long pfns[2] = { GPT_PFN_VALID | 1, GPT_PFN_VALID | 2 };
	struct walk_count w = { .ordered = true };
	struct gpt_gather g;
	struct gpt *pt;

	pt = new_pt(test, 0);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0, 0, 0, GPT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0x800, 0, PG_4K, GPT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0, 0x800, PG_4K, GPT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0, 0, 0x1800, GPT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0, 0, PG_4K, 0, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0, 0, PG_4K, GPT_READ | BIT(7), GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, U64_MAX - PG_4K + 1, 0, 2 * PG_4K,
					   GPT_READ, GFP_KERNEL), -ERANGE);
	if (va_end)
		KUNIT_EXPECT_EQ(test, gpt_test_map(pt, va_end - PG_4K, 0, 2 * PG_4K,
						   GPT_READ, GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0, (1ULL << f->pa_bits) - PG_4K,
					   2 * PG_4K, GPT_READ, GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, gpt_test_map_pfns(pt, 0, pfns, 0, GPT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_test_map_pfns(pt, 0x10, pfns, 2, GPT_READ, GFP_KERNEL), -EINVAL);
	pfns[1] = GPT_PFN_VALID | (1UL << (f->pa_bits - GPT_PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, gpt_test_map_pfns(pt, 0, pfns, 2, GPT_READ, GFP_KERNEL), -ERANGE);
	gpt_gather_init(&g);
	KUNIT_EXPECT_EQ(test, gpt_unmap(pt, 0, 0, &g), 0);
	KUNIT_EXPECT_EQ(test, gpt_update_pfns(pt, 0, pfns, 2, GPT_READ, NULL, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gpt_walk(pt, 0, 0, count_leaf, &w), -EINVAL);

	/* Overlap: -EEXIST and the part that did not overlap is not mapped. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, PG_2M + 8 * PG_4K, 0, PG_4K, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, PG_2M, 0, PG_2M, GPT_READ, GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 0, 0, 4 * PG_2M, GPT_READ, GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_EQ(test, gpt_walk(pt, 0, PG_1G, count_leaf, &w), 0);
	KUNIT_EXPECT_EQ(test, w.leaves, 1);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 0, PG_1G), PG_4K);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/*
 * The page array's two quick scans, and the cases they must hand to the
 * full tests: a 2 MiB piece whose entries differ in flags that do not
 * matter is still one leaf; one that breaks contiguity late is not; a
 * pfn beyond pa_bits is refused only in a valid entry.
 */
static void gpt_test_pfns_scans(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	unsigned long high = 1UL << (f->pa_bits - GPT_PAGE_SHIFT), i;
	unsigned long *pfns = kunit_kcalloc(test, 512, sizeof(*pfns), GFP_KERNEL);
	u64 iova = 9 * PG_1G;
	struct gpt_leaf leaf;
	struct gpt *pt;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	pt = new_pt(test, 0);
	/* The first half says "order 9", the second half nothing. */
	for (i = 0; i < 512; i++)
		pfns[i] = GPT_PFN_VALID | GPT_PFN_WRITE | (0x80000 + i) |
			  (i < 256 ? 9UL << GPT_PFN_ORDER_SHIFT : 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, 512,
						GPT_READ | GPT_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 300 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, f->top_leaf ? PG_2M : PG_4K);
	KUNIT_EXPECT_EQ(test, leaf.pa + (iova + 300 * PG_4K - leaf.iova),
			(0x80000ULL + 300) << GPT_PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M);

	/* Flags differ from entry 100, and entry 400 is not contiguous. */
	for (i = 100; i < 512; i++)
		pfns[i] &= ~(GPT_PFN_ORDER_MASK << GPT_PFN_ORDER_SHIFT);
	pfns[400] += 2;
	KUNIT_ASSERT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, 512,
						GPT_READ | GPT_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 400 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	KUNIT_EXPECT_EQ(test, leaf.pa, (0x80000ULL + 402) << GPT_PAGE_SHIFT);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 399 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M);

	/* A pfn beyond pa_bits: only a valid entry is refused. */
	for (i = 0; i < 512; i++)
		pfns[i] = GPT_PFN_VALID | (0x80000 + i);
	pfns[511] = high | 0x3;
	KUNIT_ASSERT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, 512, GPT_READ,
						GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 511 * PG_4K, &leaf), -ENOENT);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), 511 * PG_4K);
	pfns[511] |= GPT_PFN_VALID;
	KUNIT_EXPECT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, 512, GPT_READ,
						GFP_KERNEL), -ERANGE);
	pfns[511] = GPT_PFN_VALID | (high - 1);
	KUNIT_EXPECT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, 512, GPT_READ,
						GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M);
	expect_only_top(test, pt);
}

/* hmm_range_fault()-style arrays: coalescing, holes, write permission. */
static void gpt_test_pfns(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	unsigned long n = 3 * 512, i;
	unsigned long *pfns = kcalloc(n, sizeof(*pfns), GFP_KERNEL);
	u64 iova = 7 * PG_1G;
	struct walk_count w = { .ordered = true };
	struct gpt_leaf leaf;
	struct gpt_gather g;
	struct gpt *pt;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	pt = new_pt(test, 0);
	/* [0,512): one aligned contiguous writable run -> a 2 MiB leaf */
	for (i = 0; i < 512; i++)
		pfns[i] = GPT_PFN_VALID | GPT_PFN_WRITE | (0x40000 + i);
	/* [512,1024): contiguous but one read-only page in the middle */
	for (i = 512; i < 1024; i++)
		pfns[i] = GPT_PFN_VALID | GPT_PFN_WRITE | (0x40000 + i);
	pfns[700] &= ~GPT_PFN_WRITE;
	/* [1024,1536): holes and scattered pages */
	for (i = 1024; i < n; i++)
		pfns[i] = i % 3 ? GPT_PFN_VALID | (0x90000 + 7 * i) : 0;
	pfns[1030] = GPT_PFN_VALID | GPT_PFN_ERROR | 5;

	KUNIT_ASSERT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, n,
						GPT_READ | GPT_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 5 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, f->top_leaf ? PG_2M : PG_4K);
	KUNIT_EXPECT_EQ(test, leaf.pa, 0x40000ULL << 12);
	KUNIT_EXPECT_EQ(test, leaf.prot, GPT_READ | GPT_WRITE);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 700 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	KUNIT_EXPECT_EQ(test, leaf.prot, GPT_READ);
	KUNIT_EXPECT_EQ(test, leaf.pa, (0x40000ULL + 700) << 12);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 1025 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pa, (0x90000ULL + 7 * 1025) << 12);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 1029 * PG_4K, &leaf), -ENOENT);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 1030 * PG_4K, &leaf), -ENOENT);
	KUNIT_EXPECT_EQ(test, gpt_walk(pt, iova, n * PG_4K, count_leaf, &w), 0);
	KUNIT_EXPECT_EQ(test, w.bytes, (1024 + 341) * PG_4K);

	/* Mapping over a mapped page fails. */
	KUNIT_EXPECT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, 1, GPT_READ, GFP_KERNEL),
			-EEXIST);

	/* Update: upgrade page 700, move page 5, drop page 6, add page 1029. */
	gpt_gather_init(&g);
	pfns[700] |= GPT_PFN_WRITE;
	pfns[5] = GPT_PFN_VALID | 0x12345;
	pfns[6] = 0;
	pfns[1029] = GPT_PFN_VALID | GPT_PFN_WRITE | 0x777;
	KUNIT_ASSERT_EQ(test, gpt_update_pfns(pt, iova, pfns, n, GPT_READ | GPT_WRITE,
					      &g, GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, g.flush);
	gpt_gather_free(&g);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 700 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.prot, GPT_READ | GPT_WRITE);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 5 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pa, 0x12345ULL << 12);
	KUNIT_EXPECT_EQ(test, leaf.prot, GPT_READ);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 6 * PG_4K, &leaf), -ENOENT);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 7 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pa, (0x40000ULL + 7) << 12);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 1029 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pa, 0x777ULL << 12);

	/* An update that changes nothing asks for no flush. */
	gpt_gather_init(&g);
	KUNIT_ASSERT_EQ(test, gpt_update_pfns(pt, iova, pfns, n, GPT_READ | GPT_WRITE,
					      &g, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, g.flush);
	KUNIT_EXPECT_EQ(test, g.nr_tables, 0);

	KUNIT_EXPECT_GT(test, gpt_test_unmap(pt, iova, n * PG_4K), 0);
	expect_only_top(test, pt);
	put_pt(test, pt);
	kfree(pfns);
}

static int count_dirty(void *arg, const struct gpt_leaf *leaf)
{
	u64 *n = arg;

	*n += leaf->size;
	return 0;
}

/* Dirty bits: read-and-clear, and kept across a split. */
static void gpt_test_dirty(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	u64 iova = PG_1G, n = 0, *e;
	unsigned int level;
	struct gpt_leaf leaf;
	struct gpt *pt;

	pt = new_pt(test, GPT_CFG_DIRTY);
	/* pa 2 MiB: aligned for 2 MiB leaves but never for a run of two. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_2M, 2 * PG_2M, GPT_READ | GPT_WRITE,
					   GFP_KERNEL), 0);
	if (!f->fmt->has_dirty) {
		KUNIT_EXPECT_EQ(test, gpt_read_and_clear_dirty(pt, iova, PG_2M,
							       count_dirty, &n),
				-EOPNOTSUPP);
		put_pt(test, pt);
		return;
	}
	/* Play the walker: set the dirty bit of the second 2 MiB leaf. */
	e = gpt_leaf_entry(pt, iova + PG_2M, &level);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, level, 1);
	WRITE_ONCE(*e, *e | f->fmt->dirty_bits);
	KUNIT_EXPECT_EQ(test, gpt_read_and_clear_dirty(pt, iova, 2 * PG_2M,
						       count_dirty, &n), 0);
	KUNIT_EXPECT_EQ(test, n, PG_2M);
	n = 0;
	KUNIT_EXPECT_EQ(test, gpt_read_and_clear_dirty(pt, iova, 2 * PG_2M,
						       count_dirty, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 0);

	/* Split a dirty leaf: every 4 KiB piece is dirty. */
	WRITE_ONCE(*e, *e | f->fmt->dirty_bits);
	KUNIT_ASSERT_EQ(test, gpt_split(pt, iova + PG_2M + PG_4K, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + PG_2M + PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	KUNIT_EXPECT_EQ(test, leaf.pa, 2 * PG_2M + PG_4K);
	KUNIT_EXPECT_TRUE(test, leaf.dirty);
	KUNIT_EXPECT_EQ(test, gpt_read_and_clear_dirty(pt, iova, 2 * PG_2M,
						       count_dirty, &n), 0);
	KUNIT_EXPECT_EQ(test, n, PG_2M);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 2 * PG_2M), 2 * PG_2M);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/* ---- random operations against a reference model -------------------------- */

#define MODEL_PAGES	(2 * PG_1G / PG_4K)

/* One u64 per 4 KiB page of the window: (pa | prot), 0 when unmapped. */
struct model {
	struct kunit *test;
	struct gpt *pt;
	struct rnd_state rnd;
	u64 base;
	u64 *page;
	unsigned long *pfns;
	u64 mapped;
	unsigned int top_leaf;
	unsigned int prot_w;
	/* the last operation, for the message when a check fails */
	char last[96];
};

static u64 rnd(struct model *m, u64 n)
{
	u64 v = ((u64)prandom_u32_state(&m->rnd) << 32) | prandom_u32_state(&m->rnd);

	return n ? v % n : 0;
}

static u64 model_pages_mapped(struct model *m, u64 first, u64 n)
{
	u64 i, c = 0;

	for (i = first; i < first + n; i++)
		c += !!m->page[i];
	return c;
}

static void model_set(struct model *m, u64 i, u64 v)
{
	m->mapped += !!v - !!m->page[i];
	m->page[i] = v;
}

/* Pick a range: mostly small, sometimes huge-aligned. */
static void model_range(struct model *m, u64 *first, u64 *n)
{
	u64 kind = rnd(m, 1000);

	if (kind < 750) {
		*n = 1 + rnd(m, 24);
		*first = rnd(m, MODEL_PAGES - *n);
	} else if (kind < 998) {
		*n = 512 * (1 + rnd(m, 2)) + (rnd(m, 3) ? 0 : rnd(m, 512));
		*first = rnd(m, MODEL_PAGES / 512 - 4) * 512 + (rnd(m, 4) ? 0 : rnd(m, 512));
	} else {
		*n = MODEL_PAGES / 2;
		*first = rnd(m, 2) * *n;
	}
}

static unsigned int model_prot(struct model *m)
{
	return GPT_READ | (rnd(m, 2) ? m->prot_w : 0);
}

static void model_check_page(struct model *m, u64 i)
{
	struct kunit *test = m->test;
	struct gpt_leaf leaf;
	int ret = gpt_lookup(m->pt, m->base + i * PG_4K, &leaf);

	if (!m->page[i]) {
		KUNIT_EXPECT_EQ(test, ret, -ENOENT);
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, leaf.pa + (m->base + i * PG_4K - leaf.iova) +
			leaf.prot, m->page[i]);
}

struct model_walk {
	struct model *m;
	u64 pages;
	bool ok;
};

static int model_walk_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct model_walk *w = arg;
	u64 first = (leaf->iova - w->m->base) / PG_4K, i;

	for (i = 0; i < leaf->size / PG_4K; i++)
		if (w->m->page[first + i] != ((leaf->pa + i * PG_4K) | leaf->prot))
			w->ok = false;
	w->pages += leaf->size / PG_4K;
	return 0;
}

static void model_check_all(struct model *m)
{
	struct model_walk w = { .m = m, .ok = true };

	KUNIT_ASSERT_EQ(m->test, gpt_walk(m->pt, m->base, MODEL_PAGES * PG_4K,
					  model_walk_leaf, &w), 0);
	KUNIT_ASSERT_TRUE_MSG(m->test, w.ok, "after %s", m->last);
	KUNIT_ASSERT_EQ_MSG(m->test, w.pages, m->mapped, "after %s", m->last);
}

struct model_extent {
	struct model *m;
	u64 lo, hi;	/* pages the removed leaves cover */
	u64 bytes;
	bool ok;
};

/* A leaf an unmap will remove: it must be what the model mapped there. */
static int model_extent_leaf(void *arg, const struct gpt_leaf *leaf)
{
	struct model_extent *x = arg;
	u64 first = (leaf->iova - x->m->base) / PG_4K, i;

	if (leaf->iova < x->m->base || first + leaf->size / PG_4K > MODEL_PAGES) {
		x->ok = false;
		return 0;
	}
	for (i = 0; i < leaf->size / PG_4K; i++)
		if (x->m->page[first + i] != ((leaf->pa + i * PG_4K) | leaf->prot))
			x->ok = false;
	x->lo = min(x->lo, first);
	x->hi = max(x->hi, first + leaf->size / PG_4K - 1);
	x->bytes += leaf->size;
	return 0;
}

static void model_op(struct model *m, u64 op)
{
	struct kunit *test = m->test;
	u64 first, n, i, pa, iova;
	unsigned int prot = model_prot(m), kind;
	struct gpt_gather g;
	bool inject = false;
	int ret, expect;

	model_range(m, &first, &n);
	iova = m->base + first * PG_4K;
	kind = rnd(m, 10);
	snprintf(m->last, sizeof(m->last), "op %llu (kind %u) at page %llx+%llx",
		 (unsigned long long)op, kind, (unsigned long long)first,
		 (unsigned long long)n);
	switch (kind) {
	case 0: case 1: case 2:		/* map a contiguous range */
		pa = rnd(m, 4) ? (first * PG_4K + rnd(m, 64) * PG_1G) :
				 rnd(m, 1ULL << 30) * PG_4K;
		expect = model_pages_mapped(m, first, n) ? -EEXIST : 0;
		if (rnd(m, 8) == 0)
			inject = gpt_test_fail_after(1 + rnd(m, 4));
		ret = gpt_test_map(m->pt, iova, pa, n * PG_4K, prot, GFP_KERNEL);
		gpt_test_fail_reset();
		if (inject && ret == -ENOMEM)
			expect = -ENOMEM;
		KUNIT_ASSERT_EQ_MSG(test, ret, expect, "op %llu map %llx+%llx: %d",
				    (unsigned long long)op, (unsigned long long)iova,
				    (unsigned long long)n, ret);
		if (!ret)
			for (i = 0; i < n; i++)
				model_set(m, first + i, (pa + i * PG_4K) | prot);
		break;
	case 3: case 4:			/* map or update an array */
	case 5: {
		bool update = rnd(m, 2);
		u64 run = rnd(m, 3) ? 0x1000 + rnd(m, 1 << 20) * 512 : 0;

		n = min_t(u64, n, 2048);
		first = min_t(u64, first, MODEL_PAGES - n);
		iova = m->base + first * PG_4K;
		expect = 0;
		for (i = 0; i < n; i++) {
			unsigned long v = 0;

			if (rnd(m, 16))
				v = GPT_PFN_VALID | (run ? run + i : 1 + rnd(m, 1 << 24)) |
				    (rnd(m, 8) ? GPT_PFN_WRITE : 0);
			m->pfns[i] = v;
			if ((v & GPT_PFN_VALID) && m->page[first + i] && !update)
				expect = -EEXIST;
		}
		if (!update && rnd(m, 8) == 0)
			inject = gpt_test_fail_after(1 + rnd(m, 4));
		gpt_gather_init(&g);
		if (update)
			ret = gpt_update_pfns(m->pt, iova, m->pfns, n,
					      GPT_READ | m->prot_w, &g, GFP_KERNEL);
		else
			ret = gpt_test_map_pfns(m->pt, iova, m->pfns, n,
						GPT_READ | m->prot_w, GFP_KERNEL);
		gpt_test_fail_reset();
		gpt_gather_free(&g);
		if (inject && ret == -ENOMEM)
			expect = -ENOMEM;
		KUNIT_ASSERT_EQ_MSG(test, ret, expect, "op %llu %s %llx+%llx: %d",
				    (unsigned long long)op, update ? "update" : "map_pfns",
				    (unsigned long long)iova, (unsigned long long)n, ret);
		if (ret)
			break;
		for (i = 0; i < n; i++) {
			unsigned long v = m->pfns[i];

			if (v & GPT_PFN_VALID)
				model_set(m, first + i, ((u64)(v & ~GPT_PFN_FLAGS) << 12) |
					  GPT_READ | (v & GPT_PFN_WRITE ? m->prot_w : 0));
			else if (update)
				model_set(m, first + i, 0);
		}
		break;
	}
	case 6:				/* split a mapped page's leaf */
		if (!m->page[first])
			break;
		KUNIT_ASSERT_EQ(test, gpt_split(m->pt, iova, GFP_KERNEL), 0);
		model_check_page(m, first);
		break;
	default: {			/* unmap */
		/* Leaves the range cuts go whole: find them first. */
		struct model_extent x = { m, first, first + n - 1, 0, true };

		KUNIT_ASSERT_EQ(test, gpt_walk(m->pt, iova, n * PG_4K, model_extent_leaf,
					       &x), 0);
		KUNIT_ASSERT_TRUE(test, x.ok);
		gpt_gather_init(&g);
		KUNIT_ASSERT_EQ_MSG(test, gpt_unmap(m->pt, iova, n * PG_4K, &g), x.bytes,
				    "op %llu unmap %llx+%llx", (unsigned long long)op,
				    (unsigned long long)iova, (unsigned long long)n);
		if (x.bytes) {
			KUNIT_EXPECT_TRUE(test, g.flush);
			KUNIT_EXPECT_LE(test, g.start, m->base + x.lo * PG_4K);
			KUNIT_EXPECT_GE(test, g.last, m->base + x.hi * PG_4K + PG_4K - 1);
		}
		gpt_gather_free(&g);
		for (i = x.lo; i <= x.hi; i++)
			model_set(m, i, 0);
		break;
	}
	}
	for (i = 0; i < 4; i++)
		model_check_page(m, rnd(m, 4) ? first + rnd(m, n) : rnd(m, MODEL_PAGES));
}

static void gpt_test_random(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	u64 seed = gpt_test_seed(), op;
	unsigned long check_every = max(1024UL, random_ops / 64);

#ifndef __KERNEL__
	if (getenv("GPT_CHECK_EVERY"))
		check_every = strtoul(getenv("GPT_CHECK_EVERY"), NULL, 0);
#endif
	struct model *m = kzalloc(sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	kunit_info(test, "seed %llu, %lu operations\n", (unsigned long long)seed,
		   random_ops);
	m->test = test;
	prandom_seed_state(&m->rnd, seed);
	m->page = gpt_test_bigalloc(MODEL_PAGES * sizeof(u64));
	m->pfns = kcalloc(2048, sizeof(*m->pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->page);
	KUNIT_ASSERT_NOT_NULL(test, m->pfns);
	/* A window high in the address space, 1 GiB aligned. */
	m->base = (1ULL << (min(f->va_bits, 57U) - 1)) - 4 * PG_1G + PG_1G * rnd(m, 2);
	m->prot_w = f->prots[2] & GPT_WRITE;
	m->pt = new_pt(test, 0);

	for (op = 0; op < random_ops; op++) {
		model_op(m, op);
		if (op % check_every == check_every - 1)
			model_check_all(m);
	}
	model_check_all(m);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(m->pt, m->base, MODEL_PAGES * PG_4K),
			m->mapped * PG_4K);
	expect_only_top(test, m->pt);
	put_pt(test, m->pt);
	gpt_test_bigfree(m->page);
	kfree(m->pfns);
	kfree(m);
}

/* ---- concurrency ------------------------------------------------------- */

#define CONC_THREADS	4
#define CONC_PAGES	256
#define CONC_ROUNDS	40

struct conc {
	struct gpt *pt;
	u64 base;
	atomic_t errors;
	atomic_t running;
};

struct conc_arg {
	struct conc *c;
	unsigned int id;
};

static u64 conc_pa(u64 iova)
{
	return (iova ^ 0x5550000000ULL) & GENMASK_ULL(47, 12);
}

/* Writers own interleaved pages, so they share every leaf table. */
static void conc_writer(void *data)
{
	struct conc_arg *a = data;
	struct conc *c = a->c;
	unsigned int r, k;

	for (r = 0; r < CONC_ROUNDS; r++) {
		for (k = 0; k < CONC_PAGES; k++) {
			u64 iova = c->base + (k * CONC_THREADS + a->id) * PG_4K;

			if (gpt_test_map(c->pt, iova, conc_pa(iova), PG_4K, GPT_READ,
					 GFP_KERNEL))
				atomic_inc(&c->errors);
		}
		for (k = 0; k < CONC_PAGES; k++) {
			u64 iova = c->base + (k * CONC_THREADS + a->id) * PG_4K;

			if (gpt_test_unmap(c->pt, iova, PG_4K) != PG_4K)
				atomic_inc(&c->errors);
		}
		/* A whole 2 MiB block per round: its tables get freed. */
		{
			u64 blk = c->base + (4 + a->id) * PG_1G;

			if (gpt_test_map(c->pt, blk + PG_4K, conc_pa(blk + PG_4K),
					 PG_2M - PG_4K, GPT_READ, GFP_KERNEL) ||
			    gpt_test_unmap(c->pt, blk, PG_1G) != PG_2M - PG_4K)
				atomic_inc(&c->errors);
		}
#ifdef __KERNEL__
		cond_resched();
#endif
	}
	atomic_dec(&c->running);
}

/* Lockless readers: whatever they find must be the one right answer. */
static void conc_reader(void *data)
{
	struct conc_arg *a = data;
	struct conc *c = a->c;
	struct rnd_state rs;
	struct gpt_leaf leaf;

	prandom_seed_state(&rs, a->id + 1);
	while (atomic_read(&c->running)) {
		unsigned int k;

		for (k = 0; k < 256; k++) {
			u32 r = prandom_u32_state(&rs);
			u64 iova = c->base + (r & 1 ?
				(r >> 1) % (CONC_PAGES * CONC_THREADS) * PG_4K :
				(4 + (r >> 1) % CONC_THREADS) * PG_1G + (r >> 8) % 512 * PG_4K);

			if (!gpt_lookup(c->pt, iova, &leaf) &&
			    leaf.pa + (iova - leaf.iova) != conc_pa(iova))
				atomic_inc(&c->errors);
		}
#ifdef __KERNEL__
		cond_resched();
#endif
	}
}

static void gpt_test_concurrent(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	struct gpt_thread t[CONC_THREADS + 2];
	struct conc_arg args[CONC_THREADS + 2];
	struct conc *c = kzalloc(sizeof(*c), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->pt = new_pt(test, 0);
	/* AMD: start above the 3-level reach, so the writers race to grow. */
	c->base = f->fmt->can_grow ? 1ULL << 45 : 8 * PG_1G;
	atomic_set(&c->running, CONC_THREADS);
	for (i = 0; i < CONC_THREADS + 2; i++) {
		args[i].c = c;
		args[i].id = i < CONC_THREADS ? i : i - CONC_THREADS;
		t[i].fn = i < CONC_THREADS ? conc_writer : conc_reader;
		t[i].arg = &args[i];
		gpt_thread_start(&t[i]);
	}
	for (i = 0; i < CONC_THREADS + 2; i++)
		gpt_thread_join(&t[i]);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->errors), 0);
	expect_only_top(test, c->pt);
	put_pt(test, c->pt);
	kfree(c);
}

/*
 * Fail each allocation of a map in turn: every failure returns -ENOMEM
 * with the tree translating exactly as before, and nothing leaks.
 */
static void gpt_test_alloc_failures(struct kunit *test)
{
#ifdef __KERNEL__
	kunit_skip(test, "allocation-failure injection runs in the userspace build");
#else
	const struct gpt_test_fmt *f = tfmt(test);
	unsigned long n = 3 * 512 + 7, i;
	unsigned long *pfns = kcalloc(n, sizeof(*pfns), GFP_KERNEL);
	u64 iova = (1ULL << (min(f->va_bits, 57U) - 1)) - PG_2M - 5 * PG_4K;
	long pages = shim_pages_live;
	struct walk_count w;
	struct gpt *pt;
	int nth, ret;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	for (i = 0; i < n; i++)
		pfns[i] = i % 5 ? GPT_PFN_VALID | GPT_PFN_WRITE | (0x100000 + i) : 0;
	pt = new_pt(test, 0);
	/* Something already mapped nearby must survive every failure. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, 0x1000, PG_4K, GPT_READ, GFP_KERNEL), 0);
	for (nth = 1; ; nth++) {
		shim_fail_countdown = nth;
		ret = gpt_test_map_pfns(pt, iova, pfns, n, GPT_READ | GPT_WRITE, GFP_KERNEL);
		shim_fail_countdown = 0;
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		memset(&w, 0, sizeof(w));
		w.ordered = true;
		KUNIT_ASSERT_EQ(test, gpt_walk(pt, iova - PG_1G, 2 * PG_1G + n * PG_4K,
					       count_leaf, &w), 0);
		KUNIT_ASSERT_EQ_MSG(test, w.bytes, PG_4K, "failure %d left %llu bytes",
				    nth, (unsigned long long)w.bytes);
	}
	kunit_info(test, "%d allocation points failed one by one\n", nth - 1);
	KUNIT_EXPECT_GE(test, nth, 3);
	memset(&w, 0, sizeof(w));
	KUNIT_EXPECT_EQ(test, gpt_walk(pt, iova + PG_4K, (n - 1) * PG_4K, count_leaf, &w), 0);
	KUNIT_EXPECT_EQ(test, w.bytes, (n - 1 - n / 5) * PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_4K), PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova + PG_4K, (n - 1) * PG_4K), w.bytes);
	expect_only_top(test, pt);
	put_pt(test, pt);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, shim_pages_live, pages);
	kfree(pfns);
#endif
}

/* The sync hook sees every written entry, in few batched calls. */
struct sync_log {
	unsigned long calls;
	u64 bytes;
};

static void log_sync(void *cookie, void *ptr, size_t len)
{
	struct sync_log *s = cookie;

	s->calls++;
	s->bytes += len;
}

static void gpt_test_sync(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	struct sync_log log = { 0 };
	struct gpt_cfg cfg = {
		.va_bits = f->va_bits, .pa_bits = f->pa_bits,
		.sync = log_sync, .cookie = &log,
	};
	struct gpt *pt;

	pt = init_pt(test, &cfg);
	log.calls = 0;
	log.bytes = 0;
	/* 512 pages in one leaf table: new tables plus one batch per table. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, PG_1G + PG_4K, 0, 511 * PG_4K, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_LE(test, log.calls, 2 * 4 + 1);
	KUNIT_EXPECT_GE(test, log.bytes, 511 * 8);

	/*
	 * The tables are there now: a map or unmap inside them writes back
	 * its leaves once, and the table entries on its way only where the
	 * format cannot mark them written back.
	 */
	log.calls = 0;
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, PG_1G, 0, PG_4K, GPT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_LE(test, log.calls, f->marks_synced ? 1 : 1 + 4);
	log.calls = 0;
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, PG_1G, 512 * PG_4K), 512 * PG_4K);
	KUNIT_EXPECT_LE(test, log.calls, f->marks_synced ? 1 : 1 + 4);
	put_pt(test, pt);
}

static int test_shrink(struct gpt *pt, unsigned int va_bits)
{
	struct gpt_gather g;
	int ret;

	gpt_gather_init(&g);
	ret = gpt_shrink(pt, va_bits, &g);
	gpt_gather_free(&g);
	return ret;
}

/* Dropping top levels keeps every mapping below the new width. */
static void gpt_test_shrink(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	struct gpt_leaf leaf;
	struct gpt *pt;

	pt = new_pt(test, 0);
	if (f->fmt->can_grow) {
		KUNIT_EXPECT_EQ(test, test_shrink(pt, 39), -EINVAL);
		put_pt(test, pt);
		return;
	}
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, PG_2M, 0x5000, PG_4K, GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, 1ULL << 40, 0x6000, PG_4K, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, test_shrink(pt, 39), -EBUSY);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, 1ULL << 40, &leaf), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 1ULL << 40, PG_4K), PG_4K);
	/* The empty tables that unmap left at 2^40 do not hold it back. */
	KUNIT_ASSERT_EQ(test, test_shrink(pt, 39), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, PG_2M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pa, 0x5000);
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, 1ULL << 39, 0, PG_4K, GPT_READ, GFP_KERNEL),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 0, 1ULL << 39), PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), 1);
	put_pt(test, pt);
}

/*
 * Runs (AMD-Vi's sizes between levels): chosen by alignment, reported as
 * one leaf, broken up without a hole when part of one is unmapped.
 */
static void gpt_test_runs(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	u64 iova = 3 * PG_1G, pa = 5 * PG_1G, run = PG_4K << f->fmt->run_max_log2;
	struct walk_count w = { .ordered = true };
	struct gpt_leaf leaf;
	struct gpt *pt;
	u64 off;

	pt = new_pt(test, 0);
	/* 64 KiB aligned: one 64 KiB page, or sixteen 4 KiB leaves. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, pa, 16 * PG_4K, GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 5 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, f->fmt->run_max_log2 ? 16 * PG_4K : PG_4K);
	KUNIT_EXPECT_EQ(test, leaf.pa + (iova + 5 * PG_4K - leaf.iova), pa + 5 * PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_walk(pt, iova, PG_2M, count_leaf, &w), 0);
	KUNIT_EXPECT_EQ(test, w.bytes, 16 * PG_4K);
	KUNIT_EXPECT_EQ(test, w.leaves, f->fmt->run_max_log2 ? 1 : 16);
	/* Mapping over any part of it fails. */
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, iova + 15 * PG_4K, 0, PG_4K, GPT_READ,
					   GFP_KERNEL), -EEXIST);
	/* Cutting one page out removes the whole run, and says so. */
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova + 7 * PG_4K, PG_4K),
			f->fmt->run_max_log2 ? 16 * PG_4K : PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova, &leaf),
			f->fmt->run_max_log2 ? -ENOENT : 0);
	gpt_test_unmap(pt, iova, 16 * PG_4K);
	/* Split first, and only the page goes: the rest, page by page. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, pa, 16 * PG_4K, GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_split(pt, iova + 7 * PG_4K, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 7 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova + 7 * PG_4K, PG_4K), PG_4K);
	for (off = 0; off < 16 * PG_4K; off += PG_4K) {
		int ret = gpt_lookup(pt, iova + off, &leaf);

		if (off == 7 * PG_4K) {
			KUNIT_EXPECT_EQ(test, ret, -ENOENT);
			continue;
		}
		KUNIT_ASSERT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
		KUNIT_EXPECT_EQ(test, leaf.pa, pa + off);
	}
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 16 * PG_4K), 15 * PG_4K);

	/* The largest run at 4 KiB, then a split of it to make room. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, pa, run, GPT_READ | GPT_WRITE,
					   GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + run - 1, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, run);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, run), run);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/*
 * A huge page mapped over the empty tables partial unmaps left behind
 * replaces them; they come back in the map's own gather, with the span
 * the caller must flush before they are freed.
 */
static void gpt_test_remap_huge(struct kunit *test)
{
	u64 iova = 9 * PG_1G + 3 * PG_2M;
	struct gpt_leaf leaf;
	struct gpt_gather g;
	struct gpt *pt;
	long tables;

	pt = new_pt(test, 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova + 5 * PG_4K, 0, PG_4K, GPT_READ,
					   GFP_KERNEL), 0);
	tables = gpt_nr_tables(pt);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova + 5 * PG_4K, PG_4K), PG_4K);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables);
	gpt_gather_init(&g);
	KUNIT_ASSERT_EQ(test, gpt_map(pt, iova, 7 * PG_2M, PG_2M, GPT_READ, &g,
				      GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, g.nr_tables, 1);
	KUNIT_EXPECT_TRUE(test, g.flush);
	KUNIT_EXPECT_LE(test, g.start, iova);
	KUNIT_EXPECT_GE(test, g.last, iova + PG_2M - 1);
	gpt_gather_free(&g);
	KUNIT_EXPECT_GT(test, g.start, g.last);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 5 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, PG_2M);
	KUNIT_EXPECT_EQ(test, leaf.pa, 7 * PG_2M);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables - 1);
	/* A map that replaced nothing asks for no flush. */
	gpt_gather_init(&g);
	KUNIT_ASSERT_EQ(test, gpt_map(pt, iova + PG_2M, 0, PG_4K, GPT_READ, &g,
				      GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, g.flush);
	KUNIT_EXPECT_EQ(test, g.nr_tables, 0);
	/* Refused before it wrote anything: no flush either. */
	KUNIT_EXPECT_EQ(test, gpt_map(pt, iova + PG_2M - PG_4K, 0, 2 * PG_4K, GPT_READ,
				      &g, GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_FALSE(test, g.flush);
	/* Failing after it mapped a page: its rollback asks for a flush. */
	KUNIT_EXPECT_EQ(test, gpt_map(pt, iova + 2 * PG_2M - PG_4K, 0, 3 * PG_4K,
				      GPT_READ, &g, GFP_KERNEL), 0);
	/* (an odd page for an even IOVA: no AMD-Vi run, page by page) */
	KUNIT_EXPECT_EQ(test, gpt_map(pt, iova + 2 * PG_2M - 2 * PG_4K, PG_4K, 2 * PG_4K,
				      GPT_READ, &g, GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_TRUE(test, g.flush);
	KUNIT_EXPECT_LE(test, g.start, iova + 2 * PG_2M - 2 * PG_4K);
	KUNIT_EXPECT_GE(test, g.last, iova + 2 * PG_2M - 1);
	gpt_gather_free(&g);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova + 2 * PG_2M - PG_4K, 3 * PG_4K),
			3 * PG_4K);
	/* A map without a gather is refused. */
	KUNIT_EXPECT_EQ(test, gpt_map(pt, 0, 0, PG_4K, GPT_READ, NULL, GFP_KERNEL),
			-EINVAL);
	/* A table that still holds a leaf is an overlap. */
	KUNIT_EXPECT_EQ(test, gpt_test_map(pt, iova + PG_2M, 0, PG_2M, GPT_READ, GFP_KERNEL),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 2 * PG_2M), PG_2M + PG_4K);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/*
 * Unmap never allocates: cutting into huge leaves works with no memory
 * at all (the userspace build fails every allocation meanwhile).
 */
static void gpt_test_unmap_no_alloc(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	unsigned int level;
	struct gpt_leaf leaf;
	struct gpt *pt;

	pt = new_pt(test, 0);
	for (level = 1; level <= f->top_leaf; level++) {
		u64 size = leaf_size(level), iova = 4 * size;

		KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, 0, 3 * size, GPT_READ,
						   GFP_KERNEL), 0);
#ifndef __KERNEL__
		shim_fail_all = true;
#endif
		/* Across the border of two leaves: both go, the third stays. */
		KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova + size - PG_4K, 2 * PG_4K),
				2 * size);
#ifndef __KERNEL__
		shim_fail_all = false;
#endif
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova, &leaf), -ENOENT);
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 2 * size - PG_4K, &leaf), -ENOENT);
		KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 2 * size, &leaf), 0);
		KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 3 * size), size);
	}
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/* The table holding the leaf that maps @iova, which must be 4 KiB. */
static u64 *leaf_table(struct kunit *test, struct gpt *pt, u64 iova)
{
	unsigned int level = ~0U;
	u64 *e = gpt_leaf_entry(pt, iova, &level);

	KUNIT_EXPECT_EQ(test, level, 0);
	return (u64 *)((uintptr_t)e & ~(uintptr_t)(PG_4K - 1));
}

/*
 * Tables an unmap released come back to later maps from the tree's cache,
 * but only after a grace period: until then a lockless reader may still
 * be inside one, and must not find it turned into another part of the
 * tree.  A reused table comes back empty.
 */
static void gpt_test_table_cache(struct kunit *test)
{
	u64 iova = 4 * PG_2M, *first, *second, *t;
	struct gpt *pt;
	int i;

	pt = new_pt(test, 0);
	/* @pa is not 2 MiB aligned: 4 KiB leaves in a table of their own. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_4K, PG_2M, GPT_READ,
					   GFP_KERNEL), 0);
	first = leaf_table(test, pt, iova);

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M);
	KUNIT_EXPECT_EQ(test, pt->nr_cached, 1);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_4K, PG_2M, GPT_READ,
					   GFP_ATOMIC), 0);
	second = leaf_table(test, pt, iova);
	KUNIT_EXPECT_TRUE(test, second != first);
	KUNIT_EXPECT_EQ(test, pt->nr_cached, 1);
	rcu_read_unlock();

	/*
	 * The tree never held more than its peak in tables and cache
	 * together: the second table has no room, it is freed.
	 */
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M);
	KUNIT_EXPECT_EQ(test, pt->nr_cached, 1);
	synchronize_rcu();
	/* Half the span: the other half of the reused table must be empty. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_4K, PG_2M / 2, GPT_READ,
					   GFP_KERNEL), 0);
	t = leaf_table(test, pt, iova);
	KUNIT_EXPECT_TRUE(test, t == first);
	KUNIT_EXPECT_EQ(test, pt->nr_cached, 0);
	for (i = GPT_ENTRIES / 2; i < GPT_ENTRIES; i++)
		KUNIT_EXPECT_EQ(test, READ_ONCE(t[i]), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M / 2);
	expect_only_top(test, pt);
	put_pt(test, pt);
	KUNIT_EXPECT_EQ(test, pt->nr_cached, 0);
}

/* Scan the shrinker until @pt's cache is empty; other trees may have some. */
static void shrink_all(struct kunit *test, struct shrinker *s, struct gpt *pt)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	unsigned long n;
	int tries;

	for (tries = 0; READ_ONCE(pt->nr_cached) && tries < 64; tries++) {
		n = s->count_objects(s, &sc);
		/* No assertion: a reader may be holding the grace period. */
		KUNIT_EXPECT_NE(test, n, SHRINK_EMPTY);
		if (n == SHRINK_EMPTY)
			break;
		KUNIT_EXPECT_GE(test, n, READ_ONCE(pt->nr_cached));
		sc.nr_to_scan = n;
		KUNIT_EXPECT_NE(test, s->scan_objects(s, &sc), SHRINK_STOP);
	}
	KUNIT_EXPECT_EQ(test, pt->nr_cached, 0);
}

/*
 * Under memory pressure the shrinker takes a tree's cached tables back:
 * pages past their grace period at once, pages still waiting for it only
 * after it, since a lockless reader may still be inside one (the ASan
 * build reads such a page after the scan).  The tree goes on working,
 * with pages of its own again, and leaves the shrinker's sight when it
 * goes.
 */
static void gpt_test_cache_shrinker(struct kunit *test)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = 1 };
	struct shrinker *s = gpt_cache_shrinker();
	u64 iova = 4 * PG_2M, sum = 0, *old;
	unsigned long tables, cached;
	struct gpt *pt;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	pt = new_pt(test, 0);
	/* @pa is not 2 MiB aligned: four leaf tables of 4 KiB leaves. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_4K, 4 * PG_2M, GPT_READ,
					   GFP_KERNEL), 0);
	tables = gpt_nr_tables(pt);
	old = leaf_table(test, pt, iova);

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 4 * PG_2M), 4 * PG_2M);
	KUNIT_EXPECT_EQ(test, pt->nr_cached, 4);
	shrink_all(test, s, pt);
	/* Taken from the cache, but not freed under this reader. */
	for (i = 0; i < GPT_ENTRIES; i++)
		sum += READ_ONCE(old[i]);
	rcu_read_unlock();
	/* Tables leave the tree with their entries: these were leaves. */
	KUNIT_EXPECT_NE(test, sum, 0);

	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_4K, 4 * PG_2M, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 4 * PG_2M), 4 * PG_2M);
	synchronize_rcu();
	/* A scan frees no more than it is asked to. */
	cached = pt->nr_cached;
	KUNIT_EXPECT_EQ(test, cached, 4);
	KUNIT_EXPECT_EQ(test, s->scan_objects(s, &sc), 1);
	KUNIT_EXPECT_GE(test, pt->nr_cached, cached - 1);
	shrink_all(test, s, pt);

	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_4K, 4 * PG_2M, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), tables);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 4 * PG_2M), 4 * PG_2M);
	expect_only_top(test, pt);
	put_pt(test, pt);
	KUNIT_EXPECT_TRUE(test, list_empty(&pt->cache_node));
}

/*
 * A map that covers a leaf table's whole span builds the table before it
 * publishes it, on a page it does not clear first: every entry must come
 * out written, holes of an array included, even on a reused page that
 * still holds the leaves of its previous life.
 */
static void gpt_test_filled_table(struct kunit *test)
{
	u64 iova = 6 * PG_2M, *first;
	struct gpt_leaf leaf;
	unsigned long *pfns;
	struct gpt *pt;
	int i;

	pfns = kcalloc(GPT_ENTRIES, sizeof(*pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);
	pt = new_pt(test, 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_4K, PG_2M, GPT_READ,
					   GFP_KERNEL), 0);
	first = leaf_table(test, pt, iova);
	for (i = 0; i < GPT_ENTRIES; i++) {
		KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + i * PG_4K, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.pa, PG_4K + i * PG_4K);
		KUNIT_EXPECT_EQ(test, leaf.size, PG_4K);
	}
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M);
	synchronize_rcu();

	/* Every third page a hole, over the page that held the leaves. */
	for (i = 0; i < GPT_ENTRIES; i++)
		pfns[i] = i % 3 ? GPT_PFN_VALID | (0x7000 + 5 * i) : 0;
	KUNIT_ASSERT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, GPT_ENTRIES,
						GPT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, leaf_table(test, pt, iova + PG_4K) == first);
	for (i = 0; i < GPT_ENTRIES; i++) {
		int ret = gpt_lookup(pt, iova + i * PG_4K, &leaf);

		if (!(i % 3)) {
			KUNIT_EXPECT_EQ_MSG(test, ret, -ENOENT, "page %d", i);
			continue;
		}
		KUNIT_ASSERT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, leaf.pa, (u64)(0x7000 + 5 * i) << GPT_PAGE_SHIFT);
	}
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M),
			(GPT_ENTRIES - (GPT_ENTRIES + 2) / 3) * PG_4K);
	synchronize_rcu();

	/* 1 MiB aligned: AMD-Vi v1 fills the table with runs. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, PG_2M / 2, PG_2M, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, leaf_table(test, pt, iova) == first);
	for (i = 0; i < GPT_ENTRIES; i++) {
		u64 at = iova + i * PG_4K;

		KUNIT_ASSERT_EQ(test, gpt_lookup(pt, at, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.pa + (at - leaf.iova), PG_2M / 2 + i * PG_4K);
	}
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, PG_2M), PG_2M);
	expect_only_top(test, pt);
	put_pt(test, pt);
	kfree(pfns);
}

/*
 * Unmap clears 4 KiB leaves four at a time while all four are present:
 * holes anywhere in a group of four, read-only and writable leaves mixed,
 * and a range that does not start or end on a group.
 */
static void gpt_test_unmap_groups(struct kunit *test)
{
	u64 iova = 10 * PG_2M + 3 * PG_4K;
	unsigned long pfns[61];
	struct gpt_leaf leaf;
	unsigned int i, n = 0;
	struct gpt *pt;

	for (i = 0; i < ARRAY_SIZE(pfns); i++) {
		bool hole = i % 5 == 2 || i % 7 == 3;

		pfns[i] = hole ? 0 : GPT_PFN_VALID | (i % 3 ? GPT_PFN_WRITE : 0) | (0x5000 + i);
		n += !hole;
	}
	pt = new_pt(test, 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map_pfns(pt, iova, pfns, ARRAY_SIZE(pfns),
						GPT_READ | GPT_WRITE, GFP_KERNEL), 0);
	/* A leaf just outside the range on each side stays. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova - PG_4K, PG_4K, PG_4K, GPT_READ,
					   GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova + ARRAY_SIZE(pfns) * PG_4K,
					   PG_4K, PG_4K, GPT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, ARRAY_SIZE(pfns) * PG_4K),
			n * PG_4K);
	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		KUNIT_EXPECT_EQ_MSG(test, gpt_lookup(pt, iova + i * PG_4K, &leaf), -ENOENT,
				    "page %u", i);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova - PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + ARRAY_SIZE(pfns) * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova - PG_4K, (ARRAY_SIZE(pfns) + 2) * PG_4K),
			2 * PG_4K);
	/* The same holes in a leaf table that an unmap removes whole. */
	KUNIT_ASSERT_EQ(test, gpt_test_map_pfns(pt, 11 * PG_2M + PG_4K, pfns, ARRAY_SIZE(pfns),
						GPT_READ | GPT_WRITE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, 11 * PG_2M, PG_2M), n * PG_4K);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/*
 * Map stores empty entries four at a time: a leaf at any position of the
 * first two groups, of 4 KiB and of 2 MiB entries, makes the map fail with
 * nothing of it left behind.
 */
static void gpt_test_map_groups(struct kunit *test)
{
	static const u64 sizes[] = { PG_4K, PG_2M };
	struct walk_count w;
	struct gpt_leaf leaf;
	unsigned int s, j;
	struct gpt *pt;

	pt = new_pt(test, 0);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		u64 sz = sizes[s], iova = 6 * PG_1G, pa = PG_1G + sz;

		for (j = 0; j < 8; j++) {
			KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova + j * sz, 0x40000000 + sz, sz,
							   GPT_READ, GFP_KERNEL), 0);
			/* An odd page address: no runs, entries one by one. */
			KUNIT_EXPECT_EQ_MSG(test, gpt_test_map(pt, iova, pa, 12 * sz,
							       GPT_READ | GPT_WRITE, GFP_KERNEL),
					    -EEXIST, "level %u, entry %u", s, j);
			memset(&w, 0, sizeof(w));
			KUNIT_EXPECT_EQ(test, gpt_walk(pt, iova, 12 * sz, count_leaf, &w), 0);
			KUNIT_EXPECT_EQ_MSG(test, w.bytes, sz, "level %u, entry %u", s, j);
			KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + j * sz, &leaf), 0);
			KUNIT_EXPECT_EQ(test, leaf.pa, 0x40000000 + sz);
			KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 12 * sz), sz);
		}
	}
	put_pt(test, pt);
}

/*
 * Unmap of 4 KiB entries four at a time: a group holding part of a run
 * (AMD-Vi v1) must remove the whole run, even where it goes on past the
 * range.  Other formats have sixteen leaves there and only the range goes.
 */
static void gpt_test_unmap_group_runs(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	u64 iova = 12 * PG_2M, run = f->fmt->run_max_log2 ? 16 * PG_4K : PG_4K;
	struct gpt_leaf leaf;
	struct gpt *pt;

	pt = new_pt(test, 0);
	/* Sixteen plain leaves (an odd page address allows no run)... */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova, 0x1001000, 16 * PG_4K,
					   GPT_READ, GFP_KERNEL), 0);
	/* ...then sixteen aligned ones: one 64 KiB run where there are runs. */
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, iova + 16 * PG_4K, 0x2000000,
					   16 * PG_4K, GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, iova + 16 * PG_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, run);
	/* Five groups of four; the last one is the start of the run. */
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 20 * PG_4K),
			16 * PG_4K + max(run, 4 * PG_4K));
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 20 * PG_4K, &leaf),
			run > PG_4K ? -ENOENT : 0);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, iova + 31 * PG_4K, &leaf),
			run > PG_4K ? -ENOENT : 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, iova, 32 * PG_4K),
			run > PG_4K ? 0 : 12 * PG_4K);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

/*
 * Whole 2 MiB entries are unmapped four at a time while all four are
 * leaves: a hole or a table at each position of the first two groups, and
 * a group holding the start of a run (AMD-Vi: 8 entries, 16 MiB), are each
 * removed as what they are, and the bytes say so.
 */
static void gpt_test_unmap_groups_2m(struct kunit *test)
{
	const struct gpt_test_fmt *f = tfmt(test);
	u64 base = 64 * PG_2M, want, got;
	unsigned int table, j, i;
	struct gpt_leaf leaf;
	struct gpt *pt;

	pt = new_pt(test, 0);
	for (table = 0; table < 2; table++) {
		for (j = 0; j < 8; j++) {
			want = 0;
			for (i = 0; i < 12; i++) {
				u64 iova = base + i * PG_2M;
				int ret = 0;

				if (i != j) {
					/* An odd page address allows no run. */
					ret = gpt_test_map(pt, iova, (2 * i + 1) * PG_2M,
							   PG_2M, GPT_READ, GFP_KERNEL);
					want += PG_2M;
				} else if (table) {
					ret = gpt_test_map(pt, iova + PG_4K, PG_4K, PG_4K,
							   GPT_READ, GFP_KERNEL);
					want += PG_4K;
				}
				KUNIT_ASSERT_EQ(test, ret, 0);
			}
			KUNIT_EXPECT_EQ_MSG(test, gpt_test_unmap(pt, base, 12 * PG_2M),
					    want, "%s at %u", table ? "table" : "hole", j);
			for (i = 0; i < 12; i++)
				KUNIT_EXPECT_EQ(test, gpt_lookup(pt, base + i * PG_2M + PG_4K,
								 &leaf), -ENOENT);
		}
	}
	/* Eight plain leaves, then eight aligned ones: a run where there are. */
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_EQ(test, gpt_test_map(pt, base + i * PG_2M, (2 * i + 1) * PG_2M,
						   PG_2M, GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_test_map(pt, base + 8 * PG_2M, 16 * PG_2M, 8 * PG_2M,
					   GPT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, base + 8 * PG_2M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, f->fmt->run_max_log2 ? 8 * PG_2M : PG_2M);
	/* Three groups of four; the last one is the start of the run. */
	got = gpt_test_unmap(pt, base, 12 * PG_2M);
	KUNIT_EXPECT_EQ(test, got, f->fmt->run_max_log2 ? 16 * PG_2M : 12 * PG_2M);
	KUNIT_EXPECT_EQ(test, gpt_lookup(pt, base + 15 * PG_2M, &leaf),
			f->fmt->run_max_log2 ? -ENOENT : 0);
	KUNIT_EXPECT_EQ(test, gpt_test_unmap(pt, base, 16 * PG_2M), 16 * PG_2M - got);
	expect_only_top(test, pt);
	put_pt(test, pt);
}

static struct kunit_case gpt_cases[] = {
	KUNIT_CASE(gpt_test_encode_decode),
	KUNIT_CASE(gpt_test_va_bits),
	KUNIT_CASE(gpt_test_sizes),
	KUNIT_CASE(gpt_test_bad_input),
	KUNIT_CASE(gpt_test_pfns),
	KUNIT_CASE(gpt_test_pfns_scans),
	KUNIT_CASE(gpt_test_dirty),
	KUNIT_CASE(gpt_test_sync),
	KUNIT_CASE(gpt_test_alloc_failures),
	KUNIT_CASE(gpt_test_shrink),
	KUNIT_CASE(gpt_test_runs),
	KUNIT_CASE(gpt_test_remap_huge),
	KUNIT_CASE(gpt_test_unmap_no_alloc),
	KUNIT_CASE(gpt_test_table_cache),
	KUNIT_CASE(gpt_test_cache_shrinker),
	KUNIT_CASE(gpt_test_filled_table),
	KUNIT_CASE(gpt_test_unmap_groups),
	KUNIT_CASE(gpt_test_unmap_group_runs),
	KUNIT_CASE(gpt_test_unmap_groups_2m),
	KUNIT_CASE(gpt_test_map_groups),
	KUNIT_CASE_SLOW(gpt_test_random),
	KUNIT_CASE_SLOW(gpt_test_concurrent),
	{}
};

#define GPT_SUITE(fmtname, desc)					\
static int gpt_init_##fmtname(struct kunit *test)			\
{									\
	test->priv = (void *)&(desc);					\
	return 0;							\
}									\
static struct kunit_suite gpt_suite_##fmtname = {			\
	.name = "gpt_" #fmtname,					\
	.init = gpt_init_##fmtname,					\
	.test_cases = gpt_cases,					\
};									\
kunit_test_suite(gpt_suite_##fmtname)

/* One suite per format, all running the same cases. */
GPT_SUITE(vtd_ss, fmt_vtd);
GPT_SUITE(amd_v1, fmt_amd);
GPT_SUITE(x86_64, fmt_x86);
GPT_SUITE(arm_lpae_s1, fmt_arm);

MODULE_DESCRIPTION("KUnit tests for the generic page table");
MODULE_LICENSE("GPL");
