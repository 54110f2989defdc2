// SPDX-License-Identifier: GPL-2.0
/*
 * lib-gpt against a model of the IOMMU that walks it (tools/hwmodel):
 * the invariant that a device never reaches a page after the call that
 * removed it returned, and that a table the walker may hold is freed only
 * after the caller's flush, checked under memory pressure, concurrency and
 * non-coherent walkers.  Userspace only: the model needs the shim's pages.
 */
#include <pthread.h>
#include <sched.h>
#include <kunit/test.h>
#include <linux/gpt.h>
#include "gpt-internal.h"
#include "hwmodel/hwmodel.h"

#define PG_4K	0x1000ULL
#define PG_2M	0x200000ULL
#define PG_1G	0x40000000ULL

struct hw_test_fmt {
	const struct gpt_fmt *fmt;
	const struct hw_walker *walker;
	unsigned int va_bits;
	unsigned int pa_bits;
	unsigned int top_leaf;
	bool runs;
	bool dirty;
};

static const struct hw_test_fmt hw_vtd = {
	&gpt_fmt_vtd_ss, &hw_walker_vtd_ss, 48, 52, 2, false, true,
};
static const struct hw_test_fmt hw_amd = {
	&gpt_fmt_amd_v1, &hw_walker_amd_v1, 64, 52, 2, true, true,
};
static const struct hw_test_fmt hw_x86 = {
	&gpt_fmt_x86_64, &hw_walker_x86_64, 48, 52, 2, false, true,
};
static const struct hw_test_fmt hw_arm = {
	&gpt_fmt_arm_lpae_s1, &hw_walker_arm_lpae_s1, 48, 48, 2, false, false,
};

static unsigned long hw_ops(unsigned long dflt)
{
	const char *s = getenv("GPT_HW_OPS");

	return s ? strtoul(s, NULL, 0) : dflt;
}

struct hw_env {
	struct hw hw;
	struct gpt pt;
	long pages;
};

static void hw_env_init(struct kunit *test, struct hw_env *e, bool coherent)
{
	const struct hw_test_fmt *f = test->priv;
	struct gpt_cfg cfg = {
		.va_bits = f->va_bits, .pa_bits = f->pa_bits,
		.flags = f->dirty ? GPT_CFG_DIRTY : 0,
	};

	rcu_barrier();
	e->pages = __atomic_load_n(&shim_pages_live, __ATOMIC_SEQ_CST);
	hw_init(&e->hw, f->walker, coherent, &cfg);
	KUNIT_ASSERT_EQ(test, gpt_init(&e->pt, f->fmt, &cfg, GFP_KERNEL), 0);
	hw_attach(&e->hw, &e->pt);
}

static void hw_env_fini(struct kunit *test, struct hw_env *e)
{
	rcu_barrier();
	/* Detached: the driver flushes everything before freeing. */
	hw_flush(&e->hw, 0, ~0ULL);
	gpt_destroy(&e->pt);
	/* Cached tables still in their grace period are freed after it. */
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, hw_errors(&e->hw), 0);
	if (e->pages >= 0)
		KUNIT_EXPECT_EQ(test, __atomic_load_n(&shim_pages_live, __ATOMIC_SEQ_CST),
				e->pages);
	hw_fini(&e->hw);
}

static bool hw_faults(struct hw *hw, u64 iova)
{
	u64 pa;

	return hw_translate(hw, iova, false, true, &pa) == -EFAULT;
}

/* ---- an unmap never needs memory ------------------------------------- */

static unsigned long hw_failed_allocs;

static void hw_count_fail(void)
{
	hw_failed_allocs++;
}

/*
 * Cut a page out of a huge leaf (and out of a run) with every allocation
 * failing: the unmap must still remove the page from the device's reach,
 * and must not even try to allocate.
 */
static void hw_unmap_cut_nomem(struct kunit *test)
{
	const struct hw_test_fmt *f = test->priv;
	unsigned int level, k;
	struct hw_env *e = kzalloc(sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, e);
	hw_env_init(test, e, true);
	for (level = 0; level <= f->top_leaf; level++) {
		for (k = 0; k < (f->runs ? 2 : 1); k++) {
			/* k = 1: 16 leaves of this level, a run where there are runs */
			u64 size = (PG_4K << (9 * level)) << (k ? 4 : 0);
			u64 iova = 4 * PG_1G + 16 * size, hole = iova + size / 2;
			u64 bytes;

			if (size == PG_4K)
				continue;
			KUNIT_ASSERT_EQ(test, hw_map(&e->hw, iova, 8 * size, size,
						     GPT_READ | GPT_WRITE), 0);
			KUNIT_ASSERT_FALSE(test, hw_faults(&e->hw, hole));
			hw_failed_allocs = 0;
			shim_alloc_fail_hook = hw_count_fail;
			shim_fail_all = true;
			bytes = hw_unmap(&e->hw, hole, PG_4K);
			shim_fail_all = false;
			shim_alloc_fail_hook = NULL;
			KUNIT_EXPECT_EQ(test, hw_failed_allocs, 0);
			KUNIT_EXPECT_TRUE_MSG(test, hw_faults(&e->hw, hole),
					      "level %u size %llx: device still reaches the page after unmap returned %llx",
					      level, (unsigned long long)size,
					      (unsigned long long)bytes);
			KUNIT_EXPECT_GE(test, bytes, PG_4K);
			hw_unmap(&e->hw, iova, size);
		}
	}
	hw_env_fini(test, e);
	kfree(e);
}

/* ---- a failed map: tables the walker saw are freed after a flush ------ */

static struct hw *hw_walk_on_fail_hw;
static u64 hw_walk_on_fail_iova, hw_walk_on_fail_n;

/* The device walks the whole range while the map runs out of memory. */
static void hw_walk_on_fail(void)
{
	u64 i, pa;

	for (i = 0; i < hw_walk_on_fail_n; i++)
		hw_translate(hw_walk_on_fail_hw, hw_walk_on_fail_iova + i * PG_4K,
			     false, true, &pa);
}

static void hw_map_fail_walked(struct kunit *test)
{
	const struct hw_test_fmt *f = test->priv;
	unsigned long n = 3 * 512 + 7, i;
	unsigned long *pfns = kcalloc(n, sizeof(*pfns), GFP_KERNEL);
	u64 iova = (1ULL << (min(f->va_bits, 57U) - 1)) - PG_2M - 5 * PG_4K;
	struct hw_env *e = kzalloc(sizeof(*e), GFP_KERNEL);
	int nth, ret, stale = 0;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	KUNIT_ASSERT_NOT_NULL(test, e);
	for (i = 0; i < n; i++)
		pfns[i] = i % 5 ? GPT_PFN_VALID | GPT_PFN_WRITE | (0x100000 + i) : 0;
	hw_env_init(test, e, true);
	KUNIT_ASSERT_EQ(test, hw_map(&e->hw, iova, 0x1000, PG_4K, GPT_READ), 0);
	hw_walk_on_fail_hw = &e->hw;
	hw_walk_on_fail_iova = iova;
	hw_walk_on_fail_n = n;
	for (nth = 1; ; nth++) {
		shim_alloc_fail_hook = hw_walk_on_fail;
		shim_fail_countdown = nth;
		ret = hw_map_pfns(&e->hw, iova, pfns, n, GPT_READ | GPT_WRITE);
		shim_fail_countdown = 0;
		shim_alloc_fail_hook = NULL;
		/* RCU-deferred frees happen now: none may hit a cached table. */
		rcu_barrier();
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		for (i = 1; i < n; i++)
			stale += !hw_faults(&e->hw, iova + i * PG_4K);
	}
	KUNIT_EXPECT_EQ_MSG(test, stale, 0,
			    "translations of failed maps still reachable by the device");
	KUNIT_EXPECT_GE(test, nth, 3);

	/*
	 * An update failing at each allocation (it splits the 2 MiB page a
	 * new array cuts): every page translates to its old or its new
	 * address afterwards, and nothing the walker holds was freed.
	 */
	KUNIT_ASSERT_EQ(test, hw_unmap(&e->hw, iova, n * PG_4K) >= PG_4K, true);
	hw_walk_on_fail_iova = iova + 5 * PG_4K;
	KUNIT_ASSERT_EQ(test, hw_map(&e->hw, iova + 5 * PG_4K, PG_1G, PG_2M,
				     GPT_READ | GPT_WRITE), 0);
	for (i = 0; i < 512; i++)
		pfns[i] = GPT_PFN_VALID | GPT_PFN_WRITE | ((PG_1G >> 12) + i);
	for (nth = 1; ; nth++) {
		pfns[nth % 512] = GPT_PFN_VALID | (0x7000 + nth);
		shim_alloc_fail_hook = hw_walk_on_fail;
		shim_fail_countdown = nth;
		ret = hw_update_pfns(&e->hw, iova + 5 * PG_4K, pfns, 512,
				     GPT_READ | GPT_WRITE, NULL);
		shim_fail_countdown = 0;
		shim_alloc_fail_hook = NULL;
		rcu_barrier();
		for (i = 0; i < 512; i++) {
			u64 pa = 0, want = (u64)(pfns[i] & ~GPT_PFN_FLAGS) << 12;
			int r = hw_translate(&e->hw, iova + (5 + i) * PG_4K, false, true, &pa);

			if (r || (pa != want && pa != PG_1G + i * PG_4K))
				stale++;
		}
		if (!ret)
			break;
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
	}
	KUNIT_EXPECT_EQ_MSG(test, stale, 0, "pages neither old nor new after a failed update");
	hw_unmap(&e->hw, iova + 5 * PG_4K, PG_2M);

	/* A huge page over the empty tables a partial unmap left behind. */
	iova = 9 * PG_1G + 3 * PG_2M;
	KUNIT_ASSERT_EQ(test, hw_map(&e->hw, iova + 5 * PG_4K, 0, PG_4K, GPT_READ), 0);
	KUNIT_ASSERT_EQ(test, hw_unmap(&e->hw, iova + 5 * PG_4K, PG_4K), PG_4K);
	/* The device walks into the now empty table (and faults). */
	KUNIT_EXPECT_TRUE(test, hw_faults(&e->hw, iova + 5 * PG_4K));
	KUNIT_ASSERT_EQ(test, hw_map(&e->hw, iova, 7 * PG_2M, PG_2M, GPT_READ), 0);
	rcu_barrier();
	KUNIT_EXPECT_FALSE(test, hw_faults(&e->hw, iova + 5 * PG_4K));
	hw_unmap(&e->hw, iova, PG_2M);
	hw_env_fini(test, e);
	kfree(pfns);
	kfree(e);
}

/* ---- two threads, one table ------------------------------------------ */

struct hw_pair {
	void (*fn)(struct hw_pair *p, int id);
	struct hw *hw;
	int round_gen;
	int arrived;
	bool stop;
	u64 a, b;
	int lost;
	bool done;
	pthread_t thread;
};

/* Both sides start each round together, as close as spinning gets. */
static void hw_pair_sync(struct hw_pair *p, int *gen)
{
	int g = ++*gen;

	if (__atomic_add_fetch(&p->arrived, 1, __ATOMIC_SEQ_CST) == 2 * g)
		return;
	while (__atomic_load_n(&p->arrived, __ATOMIC_ACQUIRE) < 2 * g)
		sched_yield();
}

static void *hw_pair_thread(void *arg)
{
	struct hw_pair *p = arg;
	int gen = 0;

	for (;;) {
		hw_pair_sync(p, &gen);
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			return NULL;
		p->fn(p, 1);
		hw_pair_sync(p, &gen);
	}
}

static void hw_pair_run(struct hw_pair *p, unsigned long rounds,
			void (*setup)(struct hw_pair *p, unsigned long r),
			void (*check)(struct hw_pair *p))
{
	unsigned long r;
	int gen = 0;

	pthread_create(&p->thread, NULL, hw_pair_thread, p);
	shim_preempt_every = 8;
	for (r = 0; r < rounds; r++) {
		setup(p, r);
		hw_pair_sync(p, &gen);
		p->fn(p, 0);
		hw_pair_sync(p, &gen);
		check(p);
	}
	shim_preempt_every = 0;
	__atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
	hw_pair_sync(p, &gen);
	pthread_join(p->thread, NULL);
}

/*
 * One race: each round @setup, then @fn on two threads at once, then
 * @check, which counts in p->lost what must never happen.
 */
struct hw_race {
	void (*setup)(struct hw_pair *p, unsigned long r);
	void (*fn)(struct hw_pair *p, int id);
	void (*check)(struct hw_pair *p);
	const char *lost;	/* what p->lost counts */
	unsigned int fewer;	/* run 1/fewer of the rounds (0: all) */
	bool runs;		/* needs a format with runs */
	bool noncoherent;	/* the walker does not snoop */
	bool may_leak;		/* a caller bug: a lost race may leave a table */
};

static void hw_race_run(struct kunit *test, const struct hw_race *race)
{
	const struct hw_test_fmt *f = test->priv;
	unsigned long rounds = hw_ops(20000) / (race->fewer ? race->fewer : 1);
	struct hw_pair p = { .fn = race->fn };
	struct hw_env *e;

	if (race->runs && !f->runs)
		kunit_skip(test, "the format has no runs");
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	hw_env_init(test, e, !race->noncoherent);
	if (race->noncoherent)
		e->hw.sync_yield = 3;
	p.hw = &e->hw;
	hw_pair_run(&p, rounds, race->setup, race->check);
	KUNIT_EXPECT_EQ_MSG(test, p.lost, 0, "%d %s in %lu rounds", p.lost, race->lost,
			    rounds);
	if (race->may_leak)
		e->pages = -1;
	hw_env_fini(test, e);
	kfree(e);
}

#define RUN_PAGES	256
#define RUN_IOVA	(5 * PG_1G)

static void run_unmap_setup(struct hw_pair *p, unsigned long r)
{
	p->a = r % RUN_PAGES;
	p->b = (p->a + 1 + (r / RUN_PAGES) % (RUN_PAGES - 1)) % RUN_PAGES;
	if (hw_map(p->hw, RUN_IOVA, 3 * PG_1G, RUN_PAGES * PG_4K, GPT_READ | GPT_WRITE))
		p->lost = -1000000;
}

static void run_unmap_fn(struct hw_pair *p, int id)
{
	hw_unmap(p->hw, RUN_IOVA + (id ? p->b : p->a) * PG_4K, PG_4K);
}

static void run_unmap_check(struct hw_pair *p)
{
	p->lost += !hw_faults(p->hw, RUN_IOVA + p->a * PG_4K);
	p->lost += !hw_faults(p->hw, RUN_IOVA + p->b * PG_4K);
	hw_unmap(p->hw, RUN_IOVA, RUN_PAGES * PG_4K);
}

/* Disjoint unmaps inside one AMD-Vi run: neither page may come back. */
static void hw_run_unmap_race(struct kunit *test)
{
	static const struct hw_race race = {
		run_unmap_setup, run_unmap_fn, run_unmap_check,
		"unmapped pages reachable", .runs = true,
	};

	hw_race_run(test, &race);
}

#define NC_IOVA		(6 * PG_1G)

static void nc_setup(struct hw_pair *p, unsigned long r)
{
	/* A fresh 2 MiB block: both maps race to install its leaf table. */
	u64 blk = NC_IOVA + (r % 4096) * PG_2M;

	p->a = blk + (r % 7) * PG_4K;
	p->b = blk + (8 + r % 5) * PG_4K;
}

static void nc_fn(struct hw_pair *p, int id)
{
	u64 iova = id ? p->b : p->a, pa;

	if (hw_map(p->hw, iova, iova ^ 0x7770000000ULL, PG_4K, GPT_READ)) {
		__atomic_fetch_add(&p->lost, 1000000, __ATOMIC_RELAXED);
		return;
	}
	/* Returned: the device must be able to use it, now. */
	if (hw_translate(p->hw, iova, false, false, &pa) || pa != (iova ^ 0x7770000000ULL))
		__atomic_fetch_add(&p->lost, 1, __ATOMIC_RELAXED);
}

static void nc_check(struct hw_pair *p)
{
	hw_unmap(p->hw, p->a & ~(PG_1G - 1), PG_1G);
}

/*
 * Non-coherent walker: two maps race to install one table.  The one that
 * loses the cmpxchg must not return before the walker can see the table.
 */
static void hw_noncoherent_map_race(struct kunit *test)
{
	static const struct hw_race race = {
		nc_setup, nc_fn, nc_check, "maps invisible to the walker",
		.noncoherent = true,
	};

	hw_race_run(test, &race);
}

#define OV_IOVA		(7 * PG_1G)

/*
 * A caller bug: a 2 MiB map and a 4 KiB map inside it, racing.  The
 * 2 MiB leaf points at real memory here, zeroed so that it reads as an
 * empty table: a map that took the leaf for a table would write its entry
 * into that memory.  One of the two may
 * fail, one mapping may be lost and a table may leak, but nothing outside
 * the table pages may change.
 */
static u8 *ov_buf;

static void ov_setup(struct hw_pair *p, unsigned long r)
{
	p->a = OV_IOVA + (r % 64) * PG_2M;
	p->b = p->a + (1 + r % 511) * PG_4K;
}

static void ov_fn(struct hw_pair *p, int id)
{
	if (id)
		hw_map(p->hw, p->b, 0x1000, PG_4K, GPT_READ);
	else
		hw_map(p->hw, p->a, virt_to_phys(ov_buf), PG_2M, GPT_READ);
}

static void ov_check(struct hw_pair *p)
{
	unsigned int i;

	for (i = 0; i < PG_4K; i++)
		if (ov_buf[i])
			p->lost++;
	memset(ov_buf, 0, PG_4K);
	hw_unmap(p->hw, p->a, PG_2M);
}

static void hw_overlap_map_race(struct kunit *test)
{
	/* Tables a lost race leaked are not this test's business. */
	static const struct hw_race race = {
		ov_setup, ov_fn, ov_check, "bytes of a mapped page overwritten",
		.may_leak = true,
	};

	KUNIT_ASSERT_EQ(test, posix_memalign((void **)&ov_buf, PG_2M, PG_2M), 0);
	memset(ov_buf, 0, PG_4K);
	hw_race_run(test, &race);
	free(ov_buf);
}

/* Another caller bug: a split racing with an unmap of the same leaf. */
static void su_setup(struct hw_pair *p, unsigned long r)
{
	p->a = OV_IOVA + (r % 64) * PG_1G;
	if (hw_map(p->hw, p->a, 3 * PG_1G, PG_1G, GPT_READ))
		p->lost += 1000000;
}

static void su_fn(struct hw_pair *p, int id)
{
	int ret;

	if (id) {
		hw_unmap(p->hw, p->a, PG_1G);
		return;
	}
	ret = gpt_split(p->hw->pt, p->a + 5 * PG_2M + 7 * PG_4K, GFP_KERNEL);
	if (ret && ret != -ENOENT)
		p->lost++;
}

static void su_check(struct hw_pair *p)
{
	p->lost += !hw_faults(p->hw, p->a + 5 * PG_2M);
	hw_unmap(p->hw, p->a, PG_1G);
}

/* The split fails with -ENOENT or splits; it never follows a cleared entry. */
static void hw_split_unmap_race(struct kunit *test)
{
	/* A split that lost the race may leave its new table behind. */
	static const struct hw_race race = {
		su_setup, su_fn, su_check, "bad outcomes", .fewer = 4, .may_leak = true,
	};

	hw_race_run(test, &race);
}

#define FM_IOVA		(8 * PG_1G)

static void fm_setup(struct hw_pair *p, unsigned long r)
{
	/* 4 KiB aligned only: 4 KiB leaves, in one table. */
	p->a = 0x100000000ULL + (r % 1024) * PG_2M + PG_4K;
	p->b = 0x300000000ULL + (r % 1024) * PG_2M + PG_4K;
	p->done = false;
	/*
	 * The block's leaf table, filled with leaves to @p->b, released,
	 * and past its grace period: the map below gets its page back.
	 */
	if (hw_map(p->hw, FM_IOVA, p->b, PG_2M, GPT_READ))
		p->lost += 1000000;
	hw_unmap(p->hw, FM_IOVA, PG_2M);
	synchronize_rcu();
}

static void fm_fn(struct hw_pair *p, int id)
{
	u64 k, pa;

	if (!id) {
		if (hw_map(p->hw, FM_IOVA, p->a, PG_2M, GPT_READ))
			__atomic_fetch_add(&p->lost, 1000000, __ATOMIC_RELAXED);
		__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
		return;
	}
	/* The walker, from the page tables alone, while the map runs. */
	for (k = 511; !__atomic_load_n(&p->done, __ATOMIC_ACQUIRE); k = (k + 257) % 512)
		if (!hw_translate(p->hw, FM_IOVA + k * PG_4K, false, false, &pa) &&
		    pa != p->a + k * PG_4K)
			__atomic_fetch_add(&p->lost, 1, __ATOMIC_RELAXED);
}

static void fm_check(struct hw_pair *p)
{
	hw_unmap(p->hw, FM_IOVA, PG_2M);
}

/*
 * A map of a whole leaf table's span builds the table on a page it does
 * not clear, then publishes it: the walker must never find the table
 * before every entry is written, nor any leaf of the page's previous life.
 */
static void hw_filled_map_race(struct kunit *test)
{
	static const struct hw_race race = {
		fm_setup, fm_fn, fm_check, "walks that saw a stale or torn leaf table",
		.fewer = 4,
	};

	hw_race_run(test, &race);
}

static int hw_count_dirty(void *arg, const struct gpt_leaf *leaf)
{
	*(u64 *)arg += leaf->dirty ? leaf->size : 0;
	return 0;
}

static void dirty_setup(struct hw_pair *p, unsigned long r)
{
	p->a = r % RUN_PAGES;
	p->b = r;
	if (hw_map(p->hw, RUN_IOVA, 3 * PG_1G, RUN_PAGES * PG_4K, GPT_READ | GPT_WRITE))
		p->lost = -1000000;
}

static void dirty_fn(struct hw_pair *p, int id)
{
	u64 pa;
	unsigned int spin = p->b % 512;

	if (id) {
		u64 c = (p->a + 1 + (p->b >> 9) % (RUN_PAGES - 1)) % RUN_PAGES;
		unsigned long pfn = GPT_PFN_VALID | GPT_PFN_WRITE | 0x77777;

		/* Break the run: a split, or an update of another page in it. */
		if (p->b & 1)
			gpt_split(p->hw->pt, RUN_IOVA + c * PG_4K, GFP_KERNEL);
		else
			hw_update_pfns(p->hw, RUN_IOVA + c * PG_4K, &pfn, 1,
				       GPT_READ | GPT_WRITE, NULL);
		return;
	}
	while (spin--)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* The device writes through the run while it is being broken up. */
	hw_translate(p->hw, RUN_IOVA + p->a * PG_4K, true, false, &pa);
}

static void dirty_check(struct hw_pair *p)
{
	u64 dirty = 0;

	gpt_read_and_clear_dirty(p->hw->pt, RUN_IOVA, RUN_PAGES * PG_4K,
				 hw_count_dirty, &dirty);
	p->lost += !dirty;
	hw_unmap(p->hw, RUN_IOVA, RUN_PAGES * PG_4K);
}

/* A write the walker makes while a run is split is never lost. */
static void hw_dirty_run_split(struct kunit *test)
{
	static const struct hw_race race = {
		dirty_setup, dirty_fn, dirty_check, "device writes lost", .runs = true,
	};

	hw_race_run(test, &race);
}

/* An update with the same array keeps what the walker set, and no flush. */
static void hw_update_keeps_ad(struct kunit *test)
{
	const struct hw_test_fmt *f = test->priv;
	struct hw_env *e = kzalloc(sizeof(*e), GFP_KERNEL);
	unsigned long pfns[4] = {
		GPT_PFN_VALID | GPT_PFN_WRITE | 0x1234, GPT_PFN_VALID | GPT_PFN_WRITE | 0x1235,
		GPT_PFN_VALID | GPT_PFN_WRITE | 0x999, 0,
	};
	u64 iova = 7 * PG_1G, pa, dirty = 0;
	bool flushed = true;

	KUNIT_ASSERT_NOT_NULL(test, e);
	hw_env_init(test, e, true);
	KUNIT_ASSERT_EQ(test, hw_map_pfns(&e->hw, iova, pfns, 4, GPT_READ | GPT_WRITE), 0);
	KUNIT_ASSERT_EQ(test, hw_translate(&e->hw, iova, true, false, &pa), 0);
	KUNIT_ASSERT_EQ(test, hw_translate(&e->hw, iova + PG_4K, false, false, &pa), 0);
	KUNIT_ASSERT_EQ(test, hw_update_pfns(&e->hw, iova, pfns, 4, GPT_READ | GPT_WRITE,
					     &flushed), 0);
	KUNIT_EXPECT_FALSE(test, flushed);
	if (f->dirty) {
		KUNIT_EXPECT_EQ(test, gpt_read_and_clear_dirty(&e->pt, iova, 4 * PG_4K,
							       hw_count_dirty, &dirty), 0);
		KUNIT_EXPECT_EQ(test, dirty, PG_4K);
	}
	hw_unmap(&e->hw, iova, 4 * PG_4K);
	hw_env_fini(test, e);
	kfree(e);
}

/* ---- the adversary: many threads, shared tables, a walker ------------- */

#define ST_WORKERS	3
#define ST_CHUNK	8			/* pages a worker owns in a row */
#define ST_PAGES	4096			/* 4 KiB area: 8 leaf tables */
#define ST_BLOCKS	(3 * ST_WORKERS)	/* 2 MiB blocks */
#define ST_BPAGES	(ST_BLOCKS * 512)

struct st {
	struct hw *hw;
	u64 base;		/* 4 KiB area; the blocks start 1 GiB above */
	unsigned long ops;
	bool stop;
	int bad;
	char what[160];
};

struct st_worker {
	struct st *st;
	unsigned int id;
	struct rnd_state rnd;
	u64 page[ST_PAGES];	/* expected pa, 0 = unmapped (only own pages) */
	u64 bpage[ST_BPAGES];
	unsigned long pfns[512];
};

static u64 st_rnd(struct st_worker *w, u64 n)
{
	u64 v = ((u64)prandom_u32_state(&w->rnd) << 32) | prandom_u32_state(&w->rnd);

	return n ? v % n : 0;
}

static void st_bad(struct st *st, const char *what, u64 iova, u64 want, u64 got)
{
	if (__atomic_fetch_add(&st->bad, 1, __ATOMIC_SEQ_CST))
		return;
	snprintf(st->what, sizeof(st->what), "%s at %llx: want %llx got %llx", what,
		 (unsigned long long)iova, (unsigned long long)want,
		 (unsigned long long)got);
}

/* Device view and lockless lookup of [first, first + n) against the model. */
static void st_verify(struct st_worker *w, u64 base, u64 *model, u64 first, u64 n,
		      const char *op)
{
	struct st *st = w->st;
	u64 i;

	for (i = first; i < first + n; i++) {
		u64 iova = base + i * PG_4K, pa = 0;
		struct gpt_leaf leaf;
		int ret = hw_translate(st->hw, iova, false, true, &pa);

		if (model[i] ? ret || pa != model[i] : !ret)
			st_bad(st, op, iova, model[i], ret ? ~0ULL : pa);
		ret = gpt_lookup(st->hw->pt, iova, &leaf);
		if (model[i] ? ret || leaf.pa + (iova - leaf.iova) != model[i] : !ret)
			st_bad(st, "lookup", iova, model[i], ret ? ~0ULL : leaf.pa);
	}
}

struct st_extent {
	u64 base;
	u64 *model;
	u64 lo, hi;	/* page indexes the removed leaves covered */
};

static int st_leaf_extent(void *arg, const struct gpt_leaf *leaf)
{
	struct st_extent *x = arg;
	u64 first = (leaf->iova - x->base) / PG_4K;

	x->lo = min(x->lo, first);
	x->hi = max(x->hi, first + leaf->size / PG_4K - 1);
	return 0;
}

/* Unmap [first, first + n): whatever leaves it cuts go as a whole. */
static void st_unmap(struct st_worker *w, u64 base, u64 *model, u64 first, u64 n)
{
	struct st_extent x = { base, model, first, first + n - 1 };
	u64 i;

	gpt_walk(w->st->hw->pt, base + first * PG_4K, n * PG_4K, st_leaf_extent, &x);
	hw_unmap(w->st->hw, base + first * PG_4K, n * PG_4K);
	for (i = x.lo; i <= x.hi; i++)
		model[i] = 0;
	st_verify(w, base, model, x.lo, x.hi - x.lo + 1, "unmap");
}

static void st_pfns_op(struct st_worker *w, u64 base, u64 *model, u64 first, u64 n,
		       bool update)
{
	u64 run = st_rnd(w, 2) ? (0x40000 + st_rnd(w, 1 << 16) * 512 + (first & 511)) : 0;
	bool exists = false;
	u64 i;
	int ret;

	for (i = 0; i < n; i++) {
		unsigned long v = 0;

		if (st_rnd(w, 8))
			v = GPT_PFN_VALID | GPT_PFN_WRITE | (run ? run + i : 1 + st_rnd(w, 1 << 24));
		w->pfns[i] = v;
		if (v && model[first + i])
			exists = true;
	}
	if (update)
		ret = hw_update_pfns(w->st->hw, base + first * PG_4K, w->pfns, n,
				     GPT_READ | GPT_WRITE, NULL);
	else
		ret = hw_map_pfns(w->st->hw, base + first * PG_4K, w->pfns, n,
				  GPT_READ | GPT_WRITE);
	if (ret != (!update && exists ? -EEXIST : 0)) {
		st_bad(w->st, update ? "update ret" : "map_pfns ret", base + first * PG_4K,
		       0, ret);
		return;
	}
	if (ret)
		return;
	for (i = 0; i < n; i++)
		if (w->pfns[i])
			model[first + i] = (u64)(w->pfns[i] & ~GPT_PFN_FLAGS) << 12;
		else if (update)
			model[first + i] = 0;
	st_verify(w, base, model, first, n, update ? "update" : "map_pfns");
}

static void st_map(struct st_worker *w, u64 base, u64 *model, u64 first, u64 n,
		   u64 align)
{
	/* Same alignment as the IOVA half the time: huge leaves and runs. */
	u64 pa = st_rnd(w, 2) ? ((base + first * PG_4K) ^ (st_rnd(w, 64) * PG_1G)) :
		 (1 + st_rnd(w, 1 << 24)) * PG_4K;
	bool exists = false;
	u64 i;
	int ret;

	pa = (pa & (PG_1G * 64 - 1)) | PG_1G * 64;
	pa &= ~(align - 1);
	for (i = 0; i < n; i++)
		exists |= !!model[first + i];
	ret = hw_map(w->st->hw, base + first * PG_4K, pa, n * PG_4K, GPT_READ | GPT_WRITE);
	if (ret != (exists ? -EEXIST : 0)) {
		st_bad(w->st, "map ret", base + first * PG_4K, exists, ret);
		return;
	}
	if (ret)
		return;
	for (i = 0; i < n; i++)
		model[first + i] = pa + i * PG_4K;
	st_verify(w, base, model, first, n, "map");
}

static void *st_worker_fn(void *arg)
{
	struct st_worker *w = arg;
	struct st *st = w->st;
	u64 bbase = st->base + PG_1G;
	unsigned long op;

	for (op = 0; op < st->ops && !__atomic_load_n(&st->bad, __ATOMIC_RELAXED); op++) {
		u64 kind = st_rnd(w, 12);

		if (kind < 8) {
			/* A piece of one of our chunks in the shared leaf tables. */
			u64 chunk = st_rnd(w, ST_PAGES / ST_CHUNK / ST_WORKERS) * ST_WORKERS + w->id;
			u64 off = st_rnd(w, ST_CHUNK), n = 1 + st_rnd(w, ST_CHUNK - off);
			u64 first = chunk * ST_CHUNK + off;

			switch (kind) {
			case 0: case 1:
				st_map(w, st->base, w->page, first, n, PG_4K);
				break;
			case 2:
				st_pfns_op(w, st->base, w->page, first, n, false);
				break;
			case 3: case 4:
				st_pfns_op(w, st->base, w->page, first, n, true);
				break;
			default:
				st_unmap(w, st->base, w->page, first, n);
				break;
			}
		} else {
			/* One of our 2 MiB blocks: huge leaves, cut and split. */
			u64 blk = st_rnd(w, ST_BLOCKS / ST_WORKERS) * ST_WORKERS + w->id;
			u64 first = blk * 512, off = st_rnd(w, 512), n = 1 + st_rnd(w, 512 - off);

			switch (kind) {
			case 8:
				st_map(w, bbase, w->bpage, first, 512, PG_2M);
				break;
			case 9:
				st_pfns_op(w, bbase, w->bpage, first + off, n, true);
				break;
			case 10:
				if (w->bpage[first + off]) {
					gpt_split(st->hw->pt, bbase + (first + off) * PG_4K,
						  GFP_KERNEL);
					st_verify(w, bbase, w->bpage, first, 512, "split");
				}
				break;
			default:
				st_unmap(w, bbase, w->bpage, first + off, n);
				break;
			}
		}
	}
	return NULL;
}

/* The device, all the while: random DMA over everything, reads and writes. */
static void *st_device_fn(void *arg)
{
	struct st *st = arg;
	struct rnd_state rnd;
	u64 pa;

	prandom_seed_state(&rnd, 99);
	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		u32 r = prandom_u32_state(&rnd);
		u64 iova = r & 1 ? st->base + (r >> 1) % ST_PAGES * PG_4K :
			   st->base + PG_1G + (r >> 1) % ST_BPAGES * PG_4K;

		hw_translate(st->hw, iova, r & 2, true, &pa);
	}
	return NULL;
}

static void hw_stress(struct kunit *test, bool coherent)
{
	const struct hw_test_fmt *f = test->priv;
	struct hw_env *e = kzalloc(sizeof(*e), GFP_KERNEL);
	struct st_worker *w = kcalloc(ST_WORKERS, sizeof(*w), GFP_KERNEL);
	pthread_t t[ST_WORKERS], dev;
	struct st st = { 0 };
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_NOT_NULL(test, w);
	hw_env_init(test, e, coherent);
	e->hw.sync_yield = coherent ? 0 : 7;
	st.hw = &e->hw;
	st.ops = hw_ops(20000);
	/* AMD: above the 3-level reach, so the first maps race to grow. */
	st.base = f->fmt->can_grow ? 1ULL << 42 : 1ULL << 40;
	shim_preempt_every = 64;
	pthread_create(&dev, NULL, st_device_fn, &st);
	for (i = 0; i < ST_WORKERS; i++) {
		w[i].st = &st;
		w[i].id = i;
		prandom_seed_state(&w[i].rnd, 1000 + i);
		pthread_create(&t[i], NULL, st_worker_fn, &w[i]);
	}
	for (i = 0; i < ST_WORKERS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&st.stop, true, __ATOMIC_RELEASE);
	pthread_join(dev, NULL);
	shim_preempt_every = 0;
	KUNIT_EXPECT_EQ_MSG(test, st.bad, 0, "%d disagreements, first: %s", st.bad, st.what);
	hw_unmap(&e->hw, st.base, 2 * PG_1G);
	kunit_info(test, "%lu ops x %d workers, %lu flushes\n", st.ops, ST_WORKERS,
		   e->hw.flushes);
	hw_env_fini(test, e);
	kfree(w);
	kfree(e);
}

static void hw_stress_coherent(struct kunit *test)
{
	hw_stress(test, true);
}

static void hw_stress_noncoherent(struct kunit *test)
{
	hw_stress(test, false);
}

static struct kunit_case hw_cases[] = {
	KUNIT_CASE(hw_unmap_cut_nomem),
	KUNIT_CASE(hw_map_fail_walked),
	KUNIT_CASE(hw_update_keeps_ad),
	KUNIT_CASE(hw_run_unmap_race),
	KUNIT_CASE(hw_dirty_run_split),
	KUNIT_CASE(hw_noncoherent_map_race),
	KUNIT_CASE(hw_overlap_map_race),
	KUNIT_CASE(hw_split_unmap_race),
	KUNIT_CASE(hw_filled_map_race),
	KUNIT_CASE(hw_stress_coherent),
	KUNIT_CASE(hw_stress_noncoherent),
	{}
};

#define HW_SUITE(fmtname, desc)						\
static int hw_init_##fmtname(struct kunit *test)				\
{									\
	test->priv = (void *)&(desc);					\
	return 0;							\
}									\
static struct kunit_suite hw_suite_##fmtname = {				\
	.name = "gpt_hw_" #fmtname,					\
	.init = hw_init_##fmtname,						\
	.test_cases = hw_cases,						\
}

HW_SUITE(vtd_ss, hw_vtd);
HW_SUITE(amd_v1, hw_amd);
HW_SUITE(x86_64, hw_x86);
HW_SUITE(arm_lpae_s1, hw_arm);

kunit_test_suites(&hw_suite_vtd_ss, &hw_suite_amd_v1, &hw_suite_x86_64,
		  &hw_suite_arm_lpae_s1);
