// SPDX-License-Identifier: GPL-2.0
/*
 * gpt front end: argument checks, table memory and the gather list.
 *
 * Everything that depends on how entries are encoded lives in gpt-core.h,
 * compiled once per format; this file only validates a request and hands
 * it to the format, so that bad input is refused in one place and a failed
 * call never reaches the tree.
 */
#include <linux/gpt.h>
#include <linux/gpt-test.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/rcupdate.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>
#include "gpt-internal.h"

#ifdef CONFIG_HMM_MIRROR
#include <linux/hmm.h>
static_assert(GPT_PFN_VALID == HMM_PFN_VALID);
static_assert(GPT_PFN_WRITE == HMM_PFN_WRITE);
static_assert(GPT_PFN_ERROR == HMM_PFN_ERROR);
static_assert(GPT_PFN_ORDER_SHIFT == HMM_PFN_ORDER_SHIFT);
#endif
/* gpt_check_pfns() finds the valid entries by the sign bit. */
static_assert(GPT_PFN_VALID == 1UL << (BITS_PER_LONG - 1));

/*
 * Tables an unmap freed come back to the next map that needs one, warm
 * in the cache and with no trip through the page allocator: a tree that
 * is unmapped and mapped again over the same span (a mirror's invalidate
 * and fault, a driver's DMA buffers) reuses its own pages.  The cache never
 * makes the tree's memory grow beyond what it owned at its peak, and never
 * beyond GPT_CACHE_MAX pages.
 */
#define GPT_CACHE_MAX	1024

/*
 * Every live tree, for the shrinker: a cache is memory the tree does not
 * need, and the system may want it back long before the tree goes.  Lock
 * order: gpt_trees_lock, then a tree's cache_lock.
 */
static LIST_HEAD(gpt_trees);
static DEFINE_SPINLOCK(gpt_trees_lock);
static unsigned long gpt_nr_trees;	/* on gpt_trees */

/*
 * A cached table may be handed out only after the grace period that began
 * after it left the tree, as it would have been freed.  The pending list
 * waits on the newest state: pages that joined it earlier wait a little
 * longer than they need, never less.
 */
static void *gpt_cache_get(struct gpt *pt, bool zero)
{
	struct page *page = NULL;
	unsigned long flags;

	if (!READ_ONCE(pt->nr_cached))
		return NULL;
	spin_lock_irqsave(&pt->cache_lock, flags);
	if (list_empty(&pt->cache_ready) && !list_empty(&pt->cache_pending) &&
	    poll_state_synchronize_rcu_full(&pt->cache_gp))
		list_splice_init(&pt->cache_pending, &pt->cache_ready);
	if (!list_empty(&pt->cache_ready)) {
		page = list_first_entry(&pt->cache_ready, struct page, lru);
		list_del(&page->lru);
		WRITE_ONCE(pt->nr_cached, pt->nr_cached - 1);
	}
	spin_unlock_irqrestore(&pt->cache_lock, flags);
	if (!page)
		return NULL;
	/* Tables leave the tree with their entries: clear them now. */
	if (zero)
		clear_page(page_address(page));
	return page_address(page);
}

/*
 * A table for @pt.  Without @zero its entries hold anything, and the
 * caller writes every one before the table is published.
 */
void *__gpt_table_alloc(struct gpt *pt, gfp_t gfp, bool zero)
{
	void *table = gpt_cache_get(pt, zero);
	long n;

	if (!table) {
		struct page *page = alloc_page(gfp | (zero ? __GFP_ZERO : 0));

		if (!page)
			return NULL;
		table = page_address(page);
	}
	n = atomic_long_inc_return(&pt->nr_tables);
	/* Racing maps may each miss the other's count: a peak, not a bound. */
	if (n > READ_ONCE(pt->peak_tables))
		WRITE_ONCE(pt->peak_tables, n);
	return table;
}

/* Free a table that no walker can have seen. */
void gpt_table_free(struct gpt *pt, void *table)
{
	atomic_long_dec(&pt->nr_tables);
	free_page((unsigned long)table);
}

/* A table left the tree: its page waits on @g for the caller's flush. */
void gpt_table_gather(struct gpt *pt, struct gpt_gather *g, void *table)
{
	atomic_long_dec(&pt->nr_tables);
	list_add_tail(&virt_to_page(table)->lru, &g->tables);
	if (!g->nr_tables++)
		g->pt = pt;
	else if (g->pt != pt)
		g->pt = NULL;
}

/*
 * One grace period for a whole gather: the first page carries the
 * rcu_head, and page_private() of it points at the others, which stay
 * linked in a ring through their lru.
 */
static void gpt_free_rcu(struct rcu_head *head)
{
	struct page *first = container_of(head, struct page, rcu_head);
	struct page *ring = (struct page *)page_private(first), *page, *next;

	/*
	 * In the order they were gathered, as one callback per page would
	 * free them: the page allocator's per-CPU lists hand them back in
	 * reverse, and a tree rebuilt over the same range gets the layout
	 * one callback per page gave it.  Reversed, the next 1 GiB unmap
	 * under UML ran at about half the speed.
	 */
	set_page_private(first, 0);
	__free_page(first);
	if (!ring)
		return;
	page = ring;
	do {
		next = list_entry(page->lru.next, struct page, lru);
		__free_page(page);
		page = next;
	} while (page != ring);
}

/* Free the pages on @list after a grace period, with one RCU callback. */
static void gpt_free_list_rcu(struct list_head *list)
{
	struct page *first;

	if (list_empty(list))
		return;
	first = list_first_entry(list, struct page, lru);
	list_del(&first->lru);
	if (list_empty(list)) {
		set_page_private(first, 0);
	} else {
		struct page *ring = list_first_entry(list, struct page, lru);

		/* Close the list into a ring without its head. */
		list_del(list);
		set_page_private(first, (unsigned long)ring);
	}
	call_rcu(&first->rcu_head, gpt_free_rcu);
}

/*
 * Park what fits of @g's tables in @pt's cache, behind a grace period
 * that starts now; leave the rest on @g.
 */
static void gpt_cache_put(struct gpt *pt, struct gpt_gather *g)
{
	struct rcu_gp_oldstate gp;
	unsigned long flags, room;

	/*
	 * Taken now that the tables are out of the tree and flushed.  Only
	 * with interrupts on may a grace period be asked for; otherwise the
	 * pages wait for the next one that something else starts.
	 */
	if (irqs_disabled())
		get_state_synchronize_rcu_full(&gp);
	else
		start_poll_synchronize_rcu_full(&gp);
	spin_lock_irqsave(&pt->cache_lock, flags);
	room = min_t(unsigned long, GPT_CACHE_MAX, READ_ONCE(pt->peak_tables));
	room -= min(room, atomic_long_read(&pt->nr_tables) + pt->nr_cached);
	if (room) {
		/* Pages whose wait is over need not wait for the new state. */
		if (poll_state_synchronize_rcu_full(&pt->cache_gp))
			list_splice_init(&pt->cache_pending, &pt->cache_ready);
		if (room >= g->nr_tables) {
			room = g->nr_tables;
			list_splice_tail_init(&g->tables, &pt->cache_pending);
		} else {
			unsigned long i;

			for (i = 0; i < room; i++)
				list_move_tail(g->tables.next, &pt->cache_pending);
		}
		g->nr_tables -= room;
		WRITE_ONCE(pt->nr_cached, pt->nr_cached + room);
		pt->cache_gp = gp;
	}
	spin_unlock_irqrestore(&pt->cache_lock, flags);
}

/* Move up to @n pages from @from to @to; return how many. */
static unsigned long gpt_pages_move(struct list_head *from,
				    struct list_head *to, unsigned long n)
{
	unsigned long k;

	for (k = 0; k < n && !list_empty(from); k++)
		list_move_tail(from->next, to);
	return k;
}

static unsigned long gpt_cache_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	unsigned long flags, n = 0;
	struct gpt *pt;

	spin_lock_irqsave(&gpt_trees_lock, flags);
	list_for_each_entry(pt, &gpt_trees, cache_node)
		n += READ_ONCE(pt->nr_cached);
	spin_unlock_irqrestore(&gpt_trees_lock, flags);
	return n ? n : SHRINK_EMPTY;
}

/*
 * Give back up to @sc->nr_to_scan cached table pages, tree by tree, each
 * tree visited going to the back of the list so that the next scan starts
 * elsewhere.  A page whose grace period has passed is freed at once; one
 * still waiting is freed after a grace period, as it would have been
 * without the cache: a lockless reader may still be inside it.
 */
static unsigned long gpt_cache_scan(struct shrinker *s,
				    struct shrink_control *sc)
{
	unsigned long flags, i, k, freed = 0;
	struct page *page, *next;
	LIST_HEAD(ready);
	LIST_HEAD(pending);

	spin_lock_irqsave(&gpt_trees_lock, flags);
	for (i = gpt_nr_trees; i && freed < sc->nr_to_scan; i--) {
		struct gpt *pt = list_first_entry(&gpt_trees, struct gpt, cache_node);

		list_move_tail(&pt->cache_node, &gpt_trees);
		if (!READ_ONCE(pt->nr_cached))
			continue;
		spin_lock(&pt->cache_lock);
		if (poll_state_synchronize_rcu_full(&pt->cache_gp))
			list_splice_init(&pt->cache_pending, &pt->cache_ready);
		k = gpt_pages_move(&pt->cache_ready, &ready, sc->nr_to_scan - freed);
		k += gpt_pages_move(&pt->cache_pending, &pending,
				    sc->nr_to_scan - freed - k);
		WRITE_ONCE(pt->nr_cached, pt->nr_cached - k);
		spin_unlock(&pt->cache_lock);
		freed += k;
	}
	spin_unlock_irqrestore(&gpt_trees_lock, flags);
	list_for_each_entry_safe(page, next, &ready, lru)
		__free_page(page);
	gpt_free_list_rcu(&pending);
	return freed ? freed : SHRINK_STOP;
}

static struct shrinker *gpt_shrinker;

/**
 * gpt_cache_shrinker() - the shrinker of the table caches, for tests
 *
 * Context: any.
 * Return: the shrinker lib-gpt registered at load, or NULL if it could
 * not allocate one (then the caches are only freed with their trees).
 */
struct shrinker *gpt_cache_shrinker(void)
{
	return gpt_shrinker;
}
EXPORT_SYMBOL_GPL(gpt_cache_shrinker);

/**
 * __gpt_gather_free() - free the tables that a call released
 * @g: the gather list, holding at least one table
 *
 * The work of gpt_gather_free() when there is a table to free.  When
 * @g->pt is set, @g->nr_tables must count the pages on @g->tables: what
 * fits goes to the tree's cache, the rest is freed after a grace period.
 *
 * Context: any; does not sleep.
 */
void __gpt_gather_free(struct gpt_gather *g)
{
	if (g->pt && g->nr_tables)
		gpt_cache_put(g->pt, g);
	gpt_free_list_rcu(&g->tables);
	gpt_gather_init(g);
}
EXPORT_SYMBOL_GPL(__gpt_gather_free);

/*
 * Page sizes @fmt encodes up to the leaves of @max_level: each leaf level's
 * natural size and, where the format has runs, the sizes between it and
 * the next level; nothing above @max_level's natural size.
 */
static u64 gpt_fmt_pgsizes(const struct gpt_fmt *fmt, unsigned int max_level)
{
	u64 sizes = 0;
	unsigned int level, k;

	for (level = 0; level <= max_level && level < GPT_MAX_LEVELS; level++) {
		if (!(fmt->leaf_levels & BIT(level)))
			continue;
		for (k = 0; k <= (level < max_level ? fmt->run_max_log2 : 0) &&
		     k < GPT_LEVEL_BITS; k++)
			if (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS + k < 64)
				sizes |= BIT_ULL(GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS + k);
	}
	return sizes;
}

/**
 * gpt_init() - create an empty page table
 * @pt: the page table to initialise
 * @fmt: its format, one of the gpt_fmt_* objects
 * @cfg: address widths, flags and the optional sync hook
 * @gfp: allocation flags for the top table
 *
 * Context: may sleep if @gfp allows.
 * Return: 0, -EINVAL if @cfg asks for more than @fmt can do, or -ENOMEM.
 */
int gpt_init(struct gpt *pt, const struct gpt_fmt *fmt,
	     const struct gpt_cfg *cfg, gfp_t gfp)
{
	unsigned int levels, prot;
	unsigned long flags;
	u64 *top;

	if (!fmt || !cfg || cfg->va_bits <= GPT_PAGE_SHIFT || cfg->va_bits > 64 ||
	    cfg->pa_bits <= GPT_PAGE_SHIFT || cfg->pa_bits > fmt->max_pa_bits ||
	    (cfg->flags & ~(GPT_CFG_NO_HUGE | GPT_CFG_DIRTY)))
		return -EINVAL;
	if (!fmt->can_grow &&
	    DIV_ROUND_UP(cfg->va_bits - GPT_PAGE_SHIFT, GPT_LEVEL_BITS) > fmt->max_levels)
		return -EINVAL;
	if (fmt->can_grow && cfg->va_bits > GPT_PAGE_SHIFT + GPT_LEVEL_BITS * fmt->max_levels)
		return -EINVAL;
	levels = fmt->levels_for(cfg->va_bits);
	if (levels < fmt->min_levels || levels > fmt->max_levels)
		return -EINVAL;

	pt->fmt = fmt;
	pt->cfg = *cfg;
	atomic_long_set(&pt->nr_tables, 0);
	pt->peak_tables = 0;
	pt->prot_ok = 0;
	for (prot = 0; prot <= GPT_PROT_MASK; prot++)
		if (fmt->prot_ok(prot))
			pt->prot_ok |= BIT(prot);
	spin_lock_init(&pt->cache_lock);
	INIT_LIST_HEAD(&pt->cache_ready);
	INIT_LIST_HEAD(&pt->cache_pending);
	get_state_synchronize_rcu_full(&pt->cache_gp);
	pt->nr_cached = 0;
	pt->pgsize = gpt_fmt_pgsizes(fmt, cfg->flags & GPT_CFG_NO_HUGE ? 0 :
				     cfg->max_leaf_level ? cfg->max_leaf_level :
				     GPT_MAX_LEVELS) &
		     (cfg->pgsize_bitmap ? cfg->pgsize_bitmap : U64_MAX);
	pt->pgsize |= GPT_PAGE_SIZE;
	top = gpt_table_alloc(pt, gfp);
	if (!top)
		return -ENOMEM;
	if (cfg->sync)
		cfg->sync(cfg->cookie, top, GPT_PAGE_SIZE);
	pt->top = gpt_mk_top(top, levels);
	spin_lock_irqsave(&gpt_trees_lock, flags);
	list_add_tail(&pt->cache_node, &gpt_trees);
	gpt_nr_trees++;
	spin_unlock_irqrestore(&gpt_trees_lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(gpt_init);

/**
 * gpt_destroy() - free every table
 * @pt: the page table
 *
 * Mappings need not be removed first.  No walker (hardware or lockless
 * reader) may use @pt any more.
 *
 * Context: any.
 */
void gpt_destroy(struct gpt *pt)
{
	struct page *page, *next;
	unsigned long flags;

	/* Out of the shrinker's sight before the cache goes. */
	spin_lock_irqsave(&gpt_trees_lock, flags);
	if (!list_empty(&pt->cache_node)) {
		list_del_init(&pt->cache_node);
		gpt_nr_trees--;
	}
	spin_unlock_irqrestore(&gpt_trees_lock, flags);
	pt->fmt->free_all(pt);
	pt->top = 0;
	list_for_each_entry_safe(page, next, &pt->cache_ready, lru)
		__free_page(page);
	INIT_LIST_HEAD(&pt->cache_ready);
	/* The grace period they wait for may still be running. */
	gpt_free_list_rcu(&pt->cache_pending);
	INIT_LIST_HEAD(&pt->cache_pending);
	pt->nr_cached = 0;
}
EXPORT_SYMBOL_GPL(gpt_destroy);

/* The checks every call that names a range makes. */
static int gpt_check_range(struct gpt *pt, u64 iova, u64 size)
{
	if (!size || !IS_ALIGNED(iova | size, GPT_PAGE_SIZE))
		return -EINVAL;
	if (iova + size - 1 < iova)
		return -ERANGE;
	if (pt->cfg.va_bits < 64 && (iova + size - 1) >> pt->cfg.va_bits)
		return -ERANGE;
	return 0;
}

static int gpt_check_prot(struct gpt *pt, unsigned int prot)
{
	if ((prot & ~GPT_PROT_MASK) || !(pt->prot_ok & BIT(prot)))
		return -EINVAL;
	return 0;
}

/**
 * gpt_map() - map a physically contiguous range
 * @pt: the page table
 * @iova: first IOVA, 4 KiB aligned
 * @pa: physical address @iova translates to, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @prot: GPT_READ / GPT_WRITE / GPT_CACHE (the format may refuse some)
 * @g: collects what the map removed: empty tables that a huge leaf
 *	replaced, and on failure what it had mapped and the tables it had
 *	installed, which a walker may have seen meanwhile
 * @gfp: allocation flags for new tables
 *
 * Uses the largest leaves that the alignment of @iova and @pa and the
 * allowed page sizes permit.  The range must not overlap a concurrent
 * call's range; maps of disjoint ranges may run in parallel without a
 * lock.  A successful map that replaced nothing leaves @g->flush clear;
 * otherwise flush [@g->start, @g->last] before gpt_gather_free(), on
 * failure as well.
 *
 * Context: may sleep if @gfp allows.
 * Return: 0 with the whole range mapped, or an error with nothing mapped:
 * -EINVAL for zero size, unaligned arguments, bad @prot or no @g, -ERANGE
 * beyond the address widths, -EEXIST if part of the range is mapped,
 * -ENOMEM.
 */
int gpt_map(struct gpt *pt, u64 iova, u64 pa, u64 size, unsigned int prot,
	    struct gpt_gather *g, gfp_t gfp)
{
	struct gpt_src src = {
		.iova = iova, .last = iova + size - 1, .pa = pa, .prot = prot,
	};
	int ret;

	ret = gpt_check_range(pt, iova, size);
	if (!ret)
		ret = gpt_check_prot(pt, prot);
	if (ret)
		return ret;
	if (!IS_ALIGNED(pa, GPT_PAGE_SIZE))
		return -EINVAL;
	if (pa + size - 1 < pa || (pa + size - 1) >> pt->cfg.pa_bits)
		return -ERANGE;
	if (!g)
		return -EINVAL;
	return pt->fmt->fill(pt, &src, g, gfp);
}
EXPORT_SYMBOL_GPL(gpt_map);

static int gpt_check_pfns(struct gpt *pt, const unsigned long *pfns,
			  unsigned long npages)
{
	/* The pfn bits at or above pa_bits: a valid entry has none set. */
	unsigned long high = pt->cfg.pa_bits - GPT_PAGE_SHIFT >= BITS_PER_LONG ? 0 :
			     ~GPT_PFN_FLAGS & ~((1UL << (pt->cfg.pa_bits - GPT_PAGE_SHIFT)) - 1);
	unsigned long i, valid = 0;

	if (!pfns)
		return -EINVAL;
	/*
	 * Without a branch per entry: this runs over every entry of every
	 * call, 512 for a 2 MiB piece of a mirror.  GPT_PFN_VALID is the top
	 * bit, so the arithmetic shift is all ones for a valid entry: the OR
	 * of the valid entries, masked once at the end.
	 */
	for (i = 0; i < npages; i++)
		valid |= pfns[i] & (unsigned long)((long)pfns[i] >> (BITS_PER_LONG - 1));
	return valid & high ? -ERANGE : 0;
}

static int gpt_pfns_args(struct gpt *pt, u64 iova, const unsigned long *pfns,
			 unsigned long npages, unsigned int prot)
{
	int ret;

	if (!npages || npages > (U64_MAX >> GPT_PAGE_SHIFT))
		return npages ? -ERANGE : -EINVAL;
	ret = gpt_check_range(pt, iova, (u64)npages << GPT_PAGE_SHIFT);
	if (!ret)
		ret = gpt_check_prot(pt, prot);
	if (!ret)
		ret = gpt_check_pfns(pt, pfns, npages);
	return ret;
}

/**
 * gpt_map_pfns() - map an array of pages, as hmm_range_fault() returns it
 * @pt: the page table
 * @iova: IOVA of the first entry of @pfns, 4 KiB aligned
 * @pfns: one entry per 4 KiB page: pfn | GPT_PFN_VALID [| GPT_PFN_WRITE]
 * @npages: number of entries
 * @prot: protection for every page; GPT_WRITE is granted only where the
 *	entry has GPT_PFN_WRITE
 * @g: as for gpt_map()
 * @gfp: allocation flags for new tables
 *
 * Entries without GPT_PFN_VALID (or with GPT_PFN_ERROR) are left unmapped.
 * Runs of valid entries that are physically contiguous, aligned and of
 * equal permission become huge leaves.  Same concurrency and flush rules
 * as gpt_map().
 *
 * Context: may sleep if @gfp allows.
 * Return: 0, or an error with nothing mapped: -EINVAL (zero @npages,
 * unaligned @iova, bad @prot, no @g), -ERANGE (beyond the address widths),
 * -EEXIST (part of the range is mapped), -ENOMEM.
 */
int gpt_map_pfns(struct gpt *pt, u64 iova, const unsigned long *pfns,
		 unsigned long npages, unsigned int prot, struct gpt_gather *g,
		 gfp_t gfp)
{
	struct gpt_src src = {
		.iova = iova, .last = iova + ((u64)npages << GPT_PAGE_SHIFT) - 1,
		.pfns = pfns, .prot = prot,
	};
	int ret;

	if (!g)
		return -EINVAL;
	ret = gpt_pfns_args(pt, iova, pfns, npages, prot);
	if (ret)
		return ret;
	return pt->fmt->fill(pt, &src, g, gfp);
}
EXPORT_SYMBOL_GPL(gpt_map_pfns);

/**
 * gpt_update_pfns() - make a range match a new array of pages
 * @pt: the page table
 * @iova: IOVA of the first entry of @pfns, 4 KiB aligned
 * @pfns: as for gpt_map_pfns()
 * @npages: number of entries
 * @prot: as for gpt_map_pfns()
 * @g: collects the tables that the update releases; @g->flush is set when
 *	an entry a walker may have cached was changed or removed
 * @gfp: allocation flags for new tables
 *
 * Entries that changed are replaced in place, entries that became invalid
 * are unmapped, entries that did not change are not touched (they keep
 * the accessed and dirty bits the walker set): a page that stays mapped is
 * never unmapped in between, and a read-only page that became writable is
 * upgraded in place.  Huge leaves and runs that the new array cuts are
 * split without a hole, which may allocate.  The caller flushes
 * [@g->start, @g->last] if @g->flush, then calls gpt_gather_free().
 *
 * Context: may sleep if @gfp allows.
 * Return: 0, or -EINVAL/-ERANGE for bad arguments (nothing changed), or
 * -ENOMEM; after -ENOMEM each page holds its old or its new translation,
 * and the caller should unmap the range.
 */
int gpt_update_pfns(struct gpt *pt, u64 iova, const unsigned long *pfns,
		    unsigned long npages, unsigned int prot,
		    struct gpt_gather *g, gfp_t gfp)
{
	struct gpt_src src = {
		.iova = iova, .last = iova + ((u64)npages << GPT_PAGE_SHIFT) - 1,
		.pfns = pfns, .prot = prot, .update = true,
	};
	int ret;

	if (!g)
		return -EINVAL;
	ret = gpt_pfns_args(pt, iova, pfns, npages, prot);
	if (ret)
		return ret;
	return pt->fmt->fill(pt, &src, g, gfp);
}
EXPORT_SYMBOL_GPL(gpt_update_pfns);

/**
 * gpt_unmap() - unmap a range
 * @pt: the page table
 * @iova: first IOVA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @g: collects the tables that became unreachable
 *
 * Holes in the range are fine.  Never allocates, never fails: a huge leaf
 * or run that the range touches is removed whole, also where it sticks out
 * of the range, as iommu_unmap() does with huge pages; a caller that wants
 * to keep the rest splits first (gpt_split(), gpt_update_pfns()).  A table
 * is freed when the range covers its whole span.  The caller flushes
 * [@g->start, @g->last], which covers every leaf removed, then calls
 * gpt_gather_free().
 *
 * Context: any; does not sleep or allocate.
 * Return: bytes the removed leaves mapped: what was mapped in the range,
 * plus what the leaves it cut mapped outside it; 0 for bad arguments.
 */
u64 gpt_unmap(struct gpt *pt, u64 iova, u64 size, struct gpt_gather *g)
{
	if (!g || gpt_check_range(pt, iova, size))
		return 0;
	return pt->fmt->unmap(pt, iova, iova + size - 1, g);
}
EXPORT_SYMBOL_GPL(gpt_unmap);

/**
 * gpt_lookup() - translate one IOVA
 * @pt: the page table
 * @iova: any IOVA
 * @leaf: filled with the leaf that maps @iova; @leaf->pa is the address of
 *	the leaf's start, so @iova translates to @leaf->pa + (@iova - @leaf->iova)
 *
 * Lockless.  Races with map and unmap of the same IOVA see the old or the
 * new translation.
 *
 * Context: any.
 * Return: 0, or -ENOENT if @iova is not mapped.
 */
int gpt_lookup(struct gpt *pt, u64 iova, struct gpt_leaf *leaf)
{
	return pt->fmt->lookup(pt, iova, leaf);
}
EXPORT_SYMBOL_GPL(gpt_lookup);

/**
 * gpt_walk() - report every leaf that overlaps a range
 * @pt: the page table
 * @iova: first IOVA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @fn: called for each leaf in IOVA order, under rcu_read_lock(): it must
 *	not sleep; a non-zero return stops the walk and is returned
 * @arg: passed to @fn
 *
 * Context: any.
 * Return: 0, what @fn returned, or -EINVAL/-ERANGE for a bad range.
 */
int gpt_walk(struct gpt *pt, u64 iova, u64 size,
	     int (*fn)(void *arg, const struct gpt_leaf *leaf), void *arg)
{
	int ret = gpt_check_range(pt, iova, size);

	if (ret)
		return ret;
	return pt->fmt->walk(pt, iova, iova + size - 1, false, fn, arg);
}
EXPORT_SYMBOL_GPL(gpt_walk);

/**
 * gpt_read_and_clear_dirty() - report and clear the dirty leaves of a range
 * @pt: the page table, created with GPT_CFG_DIRTY
 * @iova: first IOVA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @fn: called for each leaf whose dirty bit was set, as for gpt_walk()
 * @arg: passed to @fn
 *
 * The dirty bit is cleared atomically, so a write by the walker between
 * the read and the clear is never lost.  The caller flushes the IOTLB for
 * the range before relying on the walker to set the bit again.
 *
 * Context: any.
 * Return: 0, what @fn returned, -EOPNOTSUPP if the format has no dirty
 * bit or @pt was created without GPT_CFG_DIRTY, or -EINVAL/-ERANGE for a
 * bad range.
 */
int gpt_read_and_clear_dirty(struct gpt *pt, u64 iova, u64 size,
			     int (*fn)(void *arg, const struct gpt_leaf *leaf),
			     void *arg)
{
	int ret = gpt_check_range(pt, iova, size);

	if (!ret && !(pt->cfg.flags & GPT_CFG_DIRTY))
		ret = -EOPNOTSUPP;
	if (ret)
		return ret;
	return pt->fmt->walk(pt, iova, iova + size - 1, true, fn, arg);
}
EXPORT_SYMBOL_GPL(gpt_read_and_clear_dirty);

/**
 * gpt_split() - split the huge leaf holding an IOVA down to 4 KiB leaves
 * @pt: the page table
 * @iova: any IOVA inside the leaf
 * @gfp: allocation flags for the new tables
 *
 * Every address keeps its translation throughout: the tables are built
 * privately and each is published with one cmpxchg, and a run is broken
 * up entry by entry with cmpxchg.  Used before dirty tracking at 4 KiB
 * granularity, and before an unmap that must keep the rest of a huge leaf
 * (unmap itself never splits).
 *
 * Context: may sleep if @gfp allows.
 * Return: 0 (also when @iova already maps through a 4 KiB leaf), -ENOENT
 * if @iova is not mapped (or a racing unmap removed it), -ENOMEM.
 */
int gpt_split(struct gpt *pt, u64 iova, gfp_t gfp)
{
	return pt->fmt->split(pt, iova, 0, gfp);
}
EXPORT_SYMBOL_GPL(gpt_split);

/**
 * gpt_top() - what the hardware must be pointed at
 * @pt: the page table
 * @top_pa: physical address of the top table
 * @levels: number of levels
 *
 * For formats that grow (AMD-Vi v1) read this after every map and update
 * the device table before the new IOVAs are used; the old root remains a
 * valid subtree, so walkers using it keep working meanwhile.
 *
 * Context: any.
 */
void gpt_top(struct gpt *pt, u64 *top_pa, unsigned int *levels)
{
	unsigned long top = READ_ONCE(pt->top);

	*top_pa = virt_to_phys(gpt_top_table(top));
	*levels = gpt_top_levels(top);
}
EXPORT_SYMBOL_GPL(gpt_top);

/**
 * gpt_set_max_leaf_level() - change the largest leaf future maps may use
 * @pt: the page table
 * @level: highest level for leaves (0: 4 KiB only), capped by the format
 *
 * For a walker whose huge-page support is learnt late (an IOMMU driver
 * finds out when a device attaches).  Existing leaves are not touched.
 *
 * Context: any.
 */
void gpt_set_max_leaf_level(struct gpt *pt, unsigned int level)
{
	u64 sizes = gpt_fmt_pgsizes(pt->fmt, level) | GPT_PAGE_SIZE;

	/* @level overrides GPT_CFG_NO_HUGE, which only set the start. */
	if (pt->cfg.pgsize_bitmap)
		sizes &= pt->cfg.pgsize_bitmap | GPT_PAGE_SIZE;
	WRITE_ONCE(pt->pgsize, sizes);
}
EXPORT_SYMBOL_GPL(gpt_set_max_leaf_level);

/**
 * gpt_pgsize_bitmap() - the page sizes leaves may have
 * @pt: the page table
 *
 * Context: any.
 * Return: a bitmap as iommu_domain's pgsize_bitmap, 4 KiB always set.
 */
u64 gpt_pgsize_bitmap(struct gpt *pt)
{
	return READ_ONCE(pt->pgsize);
}
EXPORT_SYMBOL_GPL(gpt_pgsize_bitmap);

static int gpt_found(void *arg, const struct gpt_leaf *leaf)
{
	return 1;
}

/**
 * gpt_shrink() - narrow the input address width, dropping top levels
 * @pt: the page table, of a format that does not grow
 * @va_bits: the new input width, at most the current one
 * @g: gathers the dropped top tables, to be freed after the flush
 *
 * For a walker that turns out to handle fewer levels than the table was
 * made with (an IOMMU driver learns this at attach).  Works while every
 * mapping lies below the new width: each dropped top table may use only
 * its entry 0.  Must not race with other calls on @pt.  The dropped
 * tables go to @g: a walker that already uses the table (the domain is
 * attached elsewhere) may hold them, so flush everything before
 * gpt_gather_free().
 *
 * Context: any.
 * Return: 0, -EINVAL for a bad width or no @g, or -EBUSY if something is
 * mapped above the new width (nothing changed).
 */
int gpt_shrink(struct gpt *pt, unsigned int va_bits, struct gpt_gather *g)
{
	unsigned int levels;
	int ret;

	if (!g || pt->fmt->can_grow || va_bits <= GPT_PAGE_SHIFT ||
	    va_bits > pt->cfg.va_bits)
		return -EINVAL;
	levels = pt->fmt->levels_for(va_bits);
	if (levels < pt->fmt->min_levels)
		return -EINVAL;
	if (va_bits < pt->cfg.va_bits) {
		u64 above = (pt->cfg.va_bits == 64 ? 0 : 1ULL << pt->cfg.va_bits) -
			    (1ULL << va_bits);

		if (gpt_walk(pt, 1ULL << va_bits, above, gpt_found, NULL))
			return -EBUSY;
		/* Release the empty tables partial unmaps left up there. */
		gpt_unmap(pt, 1ULL << va_bits, above, g);
	}
	ret = pt->fmt->shrink(pt, levels, g);
	if (g->nr_tables)
		gpt_gather_range(g, 0, U64_MAX);
	if (!ret)
		pt->cfg.va_bits = va_bits;
	return ret;
}
EXPORT_SYMBOL_GPL(gpt_shrink);

/**
 * gpt_leaf_entry() - find the leaf entry that maps an IOVA
 * @pt: the page table
 * @iova: any IOVA
 * @level: set to the leaf's level
 *
 * For tests and debugging: the entry may change or be freed at any time
 * unless the caller owns the range and holds off unmaps.
 *
 * Context: any.
 * Return: the entry's address, or NULL if @iova is not mapped.
 */
u64 *gpt_leaf_entry(struct gpt *pt, u64 iova, unsigned int *level)
{
	return pt->fmt->entry(pt, iova, level);
}
EXPORT_SYMBOL_GPL(gpt_leaf_entry);

/*
 * Without a shrinker lib-gpt still works: the caches are bounded, and go
 * with their trees.
 */
static int __init gpt_module_init(void)
{
	gpt_shrinker = shrinker_alloc(0, "gpt-table-cache");
	if (!gpt_shrinker) {
		pr_warn("gpt: no shrinker for the table caches\n");
		return 0;
	}
	gpt_shrinker->count_objects = gpt_cache_count;
	gpt_shrinker->scan_objects = gpt_cache_scan;
	shrinker_register(gpt_shrinker);
	return 0;
}
module_init(gpt_module_init);

static void __exit gpt_module_exit(void)
{
	shrinker_free(gpt_shrinker);
}
module_exit(gpt_module_exit);

MODULE_DESCRIPTION("Generic lockless page table for IOMMUs");
MODULE_LICENSE("GPL");
