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
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/rcupdate.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include "gpt-internal.h"

#ifdef CONFIG_HMM_MIRROR
#include <linux/hmm.h>
static_assert(GPT_PFN_VALID == HMM_PFN_VALID);
static_assert(GPT_PFN_WRITE == HMM_PFN_WRITE);
static_assert(GPT_PFN_ERROR == HMM_PFN_ERROR);
static_assert(GPT_PFN_ORDER_SHIFT == HMM_PFN_ORDER_SHIFT);
#endif

void *gpt_table_alloc(struct gpt *pt, gfp_t gfp)
{
	struct page *page = alloc_page(gfp | __GFP_ZERO);

	if (!page)
		return NULL;
	atomic_long_inc(&pt->nr_tables);
	return page_address(page);
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
	g->nr_tables++;
}

/*
 * A map in [@iova, @last] replaced empty tables with a huge leaf.  A map has
 * no gather, so they wait on pt->deferred with their span, for whichever
 * gather takes them next: its flush must cover that span, since a walker
 * may still hold a cached pointer to them, and whoever takes them may be
 * working elsewhere in the address space.
 */
void gpt_defer(struct gpt *pt, struct gpt_gather *g, u64 iova, u64 last)
{
	spin_lock(&pt->deferred_lock);
	list_splice_tail_init(&g->tables, &pt->deferred);
	pt->deferred_start = min(pt->deferred_start, iova);
	pt->deferred_last = max(pt->deferred_last, last);
	spin_unlock(&pt->deferred_lock);
}

/**
 * gpt_gather_deferred() - take the tables maps replaced with huge leaves
 * @pt: the page table
 * @g: the gather to add them to
 *
 * A map that puts a huge leaf where partial unmaps left empty tables cannot
 * free those tables itself: walkers may have cached pointers to them, and a
 * map does not flush.  gpt_unmap() and gpt_update_pfns() take them
 * automatically; a user that flushes after maps, or wants them freed
 * sooner, takes them here, flushes [@g->start, @g->last], then calls
 * gpt_gather_free().
 *
 * Context: any; does not sleep.
 * Return: true if tables were added (and @g->flush set).
 */
bool gpt_gather_deferred(struct gpt *pt, struct gpt_gather *g)
{
	struct list_head *p;

	if (list_empty_careful(&pt->deferred))
		return false;
	spin_lock(&pt->deferred_lock);
	if (list_empty(&pt->deferred)) {
		spin_unlock(&pt->deferred_lock);
		return false;
	}
	list_for_each(p, &pt->deferred)
		g->nr_tables++;
	list_splice_tail_init(&pt->deferred, &g->tables);
	g->start = min(g->start, pt->deferred_start);
	g->last = max(g->last, pt->deferred_last);
	pt->deferred_start = U64_MAX;
	pt->deferred_last = 0;
	spin_unlock(&pt->deferred_lock);
	g->flush = true;
	return true;
}
EXPORT_SYMBOL_GPL(gpt_gather_deferred);

/**
 * gpt_gather_init() - prepare an empty gather list
 * @g: the gather list
 *
 * Context: any.
 */
void gpt_gather_init(struct gpt_gather *g)
{
	INIT_LIST_HEAD(&g->tables);
	g->nr_tables = 0;
	g->flush = false;
	g->start = U64_MAX;
	g->last = 0;
}
EXPORT_SYMBOL_GPL(gpt_gather_init);

static void gpt_free_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/**
 * gpt_gather_free() - free the tables that unmap or update released
 * @g: the gather list
 *
 * Call only after the IOTLB (and paging-structure caches) were flushed for
 * the range that released them.  The pages are freed after an RCU grace
 * period, so a lockless reader still inside one of them is safe.  @g is
 * empty and reusable afterwards.
 *
 * Context: any; does not sleep.
 */
void gpt_gather_free(struct gpt_gather *g)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &g->tables, lru) {
		list_del(&page->lru);
		call_rcu(&page->rcu_head, gpt_free_rcu);
	}
	gpt_gather_init(g);
}
EXPORT_SYMBOL_GPL(gpt_gather_free);

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
	unsigned int levels;
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
	spin_lock_init(&pt->deferred_lock);
	INIT_LIST_HEAD(&pt->deferred);
	pt->deferred_start = U64_MAX;
	pt->deferred_last = 0;
	atomic_long_set(&pt->nr_tables, 0);
	pt->max_level = cfg->flags & GPT_CFG_NO_HUGE ? 0 :
			cfg->max_leaf_level ? cfg->max_leaf_level : GPT_MAX_LEVELS;
	top = gpt_table_alloc(pt, gfp);
	if (!top)
		return -ENOMEM;
	if (cfg->sync)
		cfg->sync(cfg->cookie, top, GPT_PAGE_SIZE);
	pt->top = gpt_mk_top(top, levels);
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

	list_for_each_entry_safe(page, next, &pt->deferred, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	pt->fmt->free_all(pt);
	pt->top = 0;
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
	if ((prot & ~GPT_PROT_MASK) || !pt->fmt->prot_ok(prot))
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
 * @gfp: allocation flags for new tables
 *
 * Uses the largest leaves that the alignment of @iova and @pa allows.  The
 * range must not overlap a concurrent call's range; maps of disjoint
 * ranges may run in parallel without a lock.  Nothing needs flushing after
 * a map.
 *
 * Context: may sleep if @gfp allows.
 * Return: 0 with the whole range mapped, or an error with nothing changed:
 * -EINVAL for zero size, unaligned arguments or bad @prot, -ERANGE beyond
 * the address widths, -EEXIST if part of the range is mapped, -ENOMEM.
 */
int gpt_map(struct gpt *pt, u64 iova, u64 pa, u64 size, unsigned int prot,
	    gfp_t gfp)
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
	return pt->fmt->fill(pt, &src, NULL, gfp);
}
EXPORT_SYMBOL_GPL(gpt_map);

static int gpt_check_pfns(struct gpt *pt, const unsigned long *pfns,
			  unsigned long npages)
{
	unsigned long limit = pt->cfg.pa_bits - GPT_PAGE_SHIFT >= BITS_PER_LONG ?
			      ~0UL : 1UL << (pt->cfg.pa_bits - GPT_PAGE_SHIFT);
	unsigned long i;

	if (!pfns)
		return -EINVAL;
	for (i = 0; i < npages; i++)
		if ((pfns[i] & GPT_PFN_VALID) &&
		    (pfns[i] & ~GPT_PFN_FLAGS) >= limit)
			return -ERANGE;
	return 0;
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
 * @iova: IOVA of @pfns[0], 4 KiB aligned
 * @pfns: one entry per 4 KiB page: pfn | GPT_PFN_VALID [| GPT_PFN_WRITE]
 * @npages: number of entries
 * @prot: protection for every page; GPT_WRITE is granted only where the
 *	entry has GPT_PFN_WRITE
 * @gfp: allocation flags for new tables
 *
 * Entries without GPT_PFN_VALID (or with GPT_PFN_ERROR) are left unmapped.
 * Runs of valid entries that are physically contiguous, aligned and of
 * equal permission become huge leaves.  Same concurrency rules as
 * gpt_map().
 *
 * Context: may sleep if @gfp allows.
 * Return: 0, or an error with nothing changed: -EINVAL (zero @npages,
 * unaligned @iova, bad @prot), -ERANGE (beyond the address widths),
 * -EEXIST (part of the range is mapped), -ENOMEM.
 */
int gpt_map_pfns(struct gpt *pt, u64 iova, const unsigned long *pfns,
		 unsigned long npages, unsigned int prot, gfp_t gfp)
{
	struct gpt_src src = {
		.iova = iova, .last = iova + ((u64)npages << GPT_PAGE_SHIFT) - 1,
		.pfns = pfns, .prot = prot,
	};
	int ret;

	ret = gpt_pfns_args(pt, iova, pfns, npages, prot);
	if (ret)
		return ret;
	return pt->fmt->fill(pt, &src, NULL, gfp);
}
EXPORT_SYMBOL_GPL(gpt_map_pfns);

/**
 * gpt_update_pfns() - make a range match a new array of pages
 * @pt: the page table
 * @iova: IOVA of @pfns[0], 4 KiB aligned
 * @pfns: as for gpt_map_pfns()
 * @npages: number of entries
 * @prot: as for gpt_map_pfns()
 * @g: collects the tables that the update releases; @g->flush is set when
 *	an entry a walker may have cached was changed or removed
 * @gfp: allocation flags for new tables
 *
 * Entries that changed are replaced in place, entries that became invalid
 * are unmapped, entries that did not change are not touched: a page that
 * stays mapped is never unmapped in between, and a read-only page that
 * became writable is upgraded in place.  Huge leaves that the new array
 * cuts are split without a hole.  The caller flushes the IOTLB for the
 * range if @g->flush, then calls gpt_gather_free().
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
	gpt_gather_deferred(pt, g);
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
 * Holes in the range are fine.  A huge leaf that straddles an end of the
 * range is split first, without a hole, and only the part inside the range
 * is removed.  A table is freed when the range covers its whole span.  The
 * caller flushes the IOTLB, then calls gpt_gather_free().
 *
 * Context: any; splitting allocates with GFP_ATOMIC.
 * Return: bytes that were mapped in the range and now are not; 0 for bad
 * arguments; short of the mapped total only if a split found no memory.
 */
u64 gpt_unmap(struct gpt *pt, u64 iova, u64 size, struct gpt_gather *g)
{
	if (!g || gpt_check_range(pt, iova, size))
		return 0;
	gpt_gather_deferred(pt, g);
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
 * bit, or -EINVAL/-ERANGE for a bad range.
 */
int gpt_read_and_clear_dirty(struct gpt *pt, u64 iova, u64 size,
			     int (*fn)(void *arg, const struct gpt_leaf *leaf),
			     void *arg)
{
	int ret = gpt_check_range(pt, iova, size);

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
 * privately and each is published with one cmpxchg.  Used before dirty
 * tracking at 4 KiB granularity; unmap splits by itself.
 *
 * Context: may sleep if @gfp allows.
 * Return: 0 (also when @iova already maps through a 4 KiB leaf), -ENOENT
 * if @iova is not mapped, -ENOMEM.
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
	WRITE_ONCE(pt->max_level, level);
}
EXPORT_SYMBOL_GPL(gpt_set_max_leaf_level);

static int gpt_found(void *arg, const struct gpt_leaf *leaf)
{
	return 1;
}

/**
 * gpt_shrink() - narrow the input address width, dropping top levels
 * @pt: the page table, of a format that does not grow
 * @va_bits: the new input width, at most the current one
 *
 * For a walker that turns out to handle fewer levels than the table was
 * made with (an IOMMU driver learns this at attach).  Works while every
 * mapping lies below the new width: each dropped top table may use only
 * its entry 0.  Must not race with other calls on @pt; the dropped tables
 * are freed after an RCU grace period, so no walker may still use them
 * (call it before the table is handed to hardware, or flush first).
 *
 * Context: any.
 * Return: 0, -EINVAL for a bad width, or -EBUSY if something is mapped
 * above the new width (nothing changed).
 */
int gpt_shrink(struct gpt *pt, unsigned int va_bits)
{
	unsigned int levels;
	struct gpt_gather g;
	int ret;

	if (pt->fmt->can_grow || va_bits <= GPT_PAGE_SHIFT || va_bits > pt->cfg.va_bits)
		return -EINVAL;
	levels = pt->fmt->levels_for(va_bits);
	if (levels < pt->fmt->min_levels)
		return -EINVAL;
	gpt_gather_init(&g);
	if (va_bits < pt->cfg.va_bits) {
		u64 above = (pt->cfg.va_bits == 64 ? 0 : 1ULL << pt->cfg.va_bits) -
			    (1ULL << va_bits);

		if (gpt_walk(pt, 1ULL << va_bits, above, gpt_found, NULL))
			return -EBUSY;
		/* Release the empty tables partial unmaps left up there. */
		gpt_unmap(pt, 1ULL << va_bits, above, &g);
	}
	ret = pt->fmt->shrink(pt, levels, &g);
	gpt_gather_free(&g);
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

MODULE_DESCRIPTION("Generic lockless page table for IOMMUs");
MODULE_LICENSE("GPL");
