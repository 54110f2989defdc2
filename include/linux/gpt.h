/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpt: a generic, lockless page table for IOMMUs.
 *
 * A page table is a radix tree of 4 KiB tables holding 512 64-bit entries.
 * Levels are numbered from the leaves: level 0 maps 4 KiB, level 1 2 MiB,
 * level 2 1 GiB and so on; the top level depends on the input address width
 * and, for formats that allow it (AMD-Vi v1), grows at run time.
 *
 * How an entry is encoded is the business of a *format*: a header of small
 * static inline functions (include/linux/gpt-*.h).  The algorithms in
 * lib-gpt are compiled once per format, so a walk makes no indirect call per
 * entry; the only indirect call is the one that selects the format.
 *
 *  ===========  =====================================================
 *  entry kind   meaning
 *  ===========  =====================================================
 *  empty        not present: the format's "present" test fails
 *  table        points to the 4 KiB table of the level below
 *  leaf         maps 4 KiB << (9 * level) bytes at an aligned address
 *  ===========  =====================================================
 *
 * Concurrency contract (see Documentation/gpt.rst):
 *
 *  - Map, update, unmap and split calls may run concurrently without any
 *    lock on ranges that are *disjoint at leaf granularity*: no leaf (huge
 *    page, or AMD-Vi run) that one call touches may lie in another's
 *    range.  Tables are installed with cmpxchg; a table is freed only by
 *    an unmap that covers its whole span.  Two unmaps inside one huge leaf
 *    or run are the exception: both remove it whole, and neither fails.
 *  - gpt_lookup() and gpt_walk() are lockless and may race with anything;
 *    they see the old or the new entry and never a freed table, because
 *    tables removed from the tree are freed only after an RCU grace period
 *    (gpt_gather_free()).
 *  - Every call that changes the tree takes a gather.  When it comes back
 *    with @flush set, the caller flushes its IOTLB and walk caches over
 *    [@start, @last] before gpt_gather_free(): RCU protects CPU readers,
 *    not the IOMMU.  That holds for a failed map too: its rollback removes
 *    entries and tables the walker may have seen.
 *  - Unmap never allocates and never fails: a leaf the range only cuts is
 *    removed whole, and the return value and the gather's span say so.
 */
#ifndef _LINUX_GPT_H
#define _LINUX_GPT_H

#include <linux/bits.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/spinlock.h>

#define GPT_PAGE_SHIFT		12
#define GPT_PAGE_SIZE		BIT_ULL(GPT_PAGE_SHIFT)
#define GPT_LEVEL_BITS		9
#define GPT_ENTRIES		BIT(GPT_LEVEL_BITS)
#define GPT_MAX_LEVELS		6

/* Protection and attributes of a leaf, as passed to the map calls. */
#define GPT_READ		BIT(0)
#define GPT_WRITE		BIT(1)
/* Coherent with CPU caches: VT-d SNP, AMD FC, ARM write-back attribute. */
#define GPT_CACHE		BIT(2)
#define GPT_PROT_MASK		(GPT_READ | GPT_WRITE | GPT_CACHE)

/*
 * Directory entries, as filled by hmm_range_fault(): a pfn in the low bits,
 * flags and the CPU mapping order in the top byte.  The values equal
 * HMM_PFN_*; lib-gpt checks that at build time where hmm.h exists.
 */
#define GPT_PFN_VALID		(1UL << (BITS_PER_LONG - 1))
#define GPT_PFN_WRITE		(1UL << (BITS_PER_LONG - 2))
#define GPT_PFN_ERROR		(1UL << (BITS_PER_LONG - 3))
#define GPT_PFN_ORDER_SHIFT	(BITS_PER_LONG - 8)
#define GPT_PFN_ORDER_MASK	0x1fUL
#define GPT_PFN_FLAGS		(0xffUL << GPT_PFN_ORDER_SHIFT)

/* gpt_cfg.flags */
/* Use only 4 KiB leaves. */
#define GPT_CFG_NO_HUGE		BIT(0)
/*
 * The walker sets dirty bits (VT-d SSADS, AMD-Vi HD): gpt_read_and_clear_dirty()
 * works only on tables created with it.
 */
#define GPT_CFG_DIRTY		BIT(1)

struct gpt;

/**
 * struct gpt_cfg - what the user of a page table chooses
 * @va_bits: input (IOVA) address width; the format picks the level count.
 * @pa_bits: output address width; larger addresses are refused.
 * @flags: GPT_CFG_*.
 * @max_leaf_level: highest level leaves may use, for hardware that walks
 *	fewer huge-page sizes than the format encodes; 0 means the format's
 *	own limit (GPT_CFG_NO_HUGE is how to ask for 4 KiB only).
 * @pgsize_bitmap: page sizes leaves may have, as iommu_domain's
 *	pgsize_bitmap; 0 means every size the format encodes.  Every path
 *	(map, array map, update, runs) keeps to it; 4 KiB is always allowed.
 * @sync: if the walker does not snoop CPU caches, called after entries in
 *	[@ptr, @ptr + @len) were written and before they may be walked.  One
 *	call per batch of consecutive entries, never one per entry.
 * @cookie: passed to @sync.
 */
struct gpt_cfg {
	unsigned int va_bits;
	unsigned int pa_bits;
	unsigned int flags;
	unsigned int max_leaf_level;
	u64 pgsize_bitmap;
	void (*sync)(void *cookie, void *ptr, size_t len);
	void *cookie;
};

/**
 * struct gpt_leaf - one translation, as reported by lookup and walk
 * @iova: first IOVA of the leaf (aligned to @size)
 * @pa: physical address @iova translates to
 * @size: bytes the leaf maps
 * @prot: GPT_READ / GPT_WRITE / GPT_CACHE
 * @dirty: the walker set the format's dirty bit
 */
struct gpt_leaf {
	u64 iova;
	u64 pa;
	u64 size;
	unsigned int prot;
	bool dirty;
};

/**
 * struct gpt_gather - what a call removed, to be flushed and freed
 * @tables: table pages no longer reachable from the tree
 * @nr_tables: number of pages on @tables
 * @flush: entries that a walker may have cached were changed or removed
 * @start: first IOVA of what must be flushed
 * @last: last IOVA of it; @start > @last when there is nothing.  It may
 *	reach outside the call's range: an unmap that cuts a huge leaf
 *	removes all of it.
 *
 * @pt: the tree @tables came from, whose table cache they may refill;
 *	NULL if none yet, or if they came from more than one tree.  A
 *	caller that moves the pages to a list of its own and back sets
 *	@nr_tables and @pt again, or the pages are only freed.
 *
 * Owned by one caller, and may collect several calls.  Initialise with
 * gpt_gather_init(); if @flush, flush the IOTLB and walk caches over
 * [@start, @last]; then hand the tables back with gpt_gather_free().
 */
struct gpt_gather {
	struct list_head tables;
	unsigned long nr_tables;
	struct gpt *pt;
	bool flush;
	u64 start;
	u64 last;
};

/*
 * struct gpt_fmt - one compiled instance of the algorithms, per format.
 * Opaque: users pass one of the gpt_fmt_* objects below to gpt_init().
 */
struct gpt_fmt;

/**
 * struct gpt - a page table
 * @top: the top table's address with (levels - 1) in its low bits, so that
 *	root and level change together when the tree grows.
 * @fmt: the format.
 * @cfg: the user's choices.
 * @nr_tables: table pages currently owned, top table included.
 * @pgsize: page sizes leaves may have: the format's, cfg's and
 *	gpt_set_max_leaf_level()'s limits together.
 * @prot_ok: bit n set if the format can express protection n.
 * @peak_tables: the most table pages the tree has owned at once.
 * @cache_lock: protects the table cache.
 * @cache_ready: table pages that left the tree, were flushed and have
 *	passed an RCU grace period: a map may reuse them.
 * @cache_pending: table pages that left the tree and were flushed, still
 *	waiting for the grace period @cache_gp names.
 * @cache_gp: poll_state_synchronize_rcu_full() state of @cache_pending:
 *	a normal or an expedited grace period ends the wait.
 * @nr_cached: pages on both lists.
 * @cache_node: on the list of trees the caches' shrinker visits.
 */
struct gpt {
	unsigned long top;
	const struct gpt_fmt *fmt;
	struct gpt_cfg cfg;
	atomic_long_t nr_tables;
	u64 pgsize;
	u8 prot_ok;
	unsigned long peak_tables;
	spinlock_t cache_lock;		/* the cache_* fields and nr_cached */
	struct list_head cache_ready;
	struct list_head cache_pending;
	struct rcu_gp_oldstate cache_gp;
	unsigned long nr_cached;
	struct list_head cache_node;
};

extern const struct gpt_fmt gpt_fmt_vtd_ss;
extern const struct gpt_fmt gpt_fmt_amd_v1;
extern const struct gpt_fmt gpt_fmt_x86_64;
extern const struct gpt_fmt gpt_fmt_arm_lpae_s1;

int gpt_init(struct gpt *pt, const struct gpt_fmt *fmt,
	     const struct gpt_cfg *cfg, gfp_t gfp);
void gpt_destroy(struct gpt *pt);

int gpt_map(struct gpt *pt, u64 iova, u64 pa, u64 size, unsigned int prot,
	    struct gpt_gather *g, gfp_t gfp);
int gpt_map_pfns(struct gpt *pt, u64 iova, const unsigned long *pfns,
		 unsigned long npages, unsigned int prot, struct gpt_gather *g,
		 gfp_t gfp);
int gpt_update_pfns(struct gpt *pt, u64 iova, const unsigned long *pfns,
		    unsigned long npages, unsigned int prot,
		    struct gpt_gather *g, gfp_t gfp);
u64 gpt_unmap(struct gpt *pt, u64 iova, u64 size, struct gpt_gather *g);
int gpt_lookup(struct gpt *pt, u64 iova, struct gpt_leaf *leaf);
int gpt_walk(struct gpt *pt, u64 iova, u64 size,
	     int (*fn)(void *arg, const struct gpt_leaf *leaf), void *arg);
int gpt_read_and_clear_dirty(struct gpt *pt, u64 iova, u64 size,
			     int (*fn)(void *arg, const struct gpt_leaf *leaf),
			     void *arg);
int gpt_split(struct gpt *pt, u64 iova, gfp_t gfp);
void gpt_top(struct gpt *pt, u64 *top_pa, unsigned int *levels);
void gpt_set_max_leaf_level(struct gpt *pt, unsigned int level);
u64 gpt_pgsize_bitmap(struct gpt *pt);
int gpt_shrink(struct gpt *pt, unsigned int va_bits, struct gpt_gather *g);

void __gpt_gather_free(struct gpt_gather *g);

/**
 * gpt_gather_init() - prepare an empty gather list
 * @g: the gather list
 *
 * Context: any.
 */
static inline void gpt_gather_init(struct gpt_gather *g)
{
	INIT_LIST_HEAD(&g->tables);
	g->nr_tables = 0;
	g->pt = NULL;
	g->flush = false;
	g->start = U64_MAX;
	g->last = 0;
}

/**
 * gpt_gather_free() - free the tables that a call released
 * @g: the gather list
 *
 * Call only after the IOTLB and paging-structure caches were flushed over
 * [@g->start, @g->last] (when @g->flush).  The pages are freed, or kept
 * for the tree's next maps, after an RCU grace period, so a lockless
 * reader still inside one of them is safe; one RCU callback serves the
 * whole gather.  @g is empty and reusable afterwards.
 *
 * Context: any; does not sleep.
 */
static inline void gpt_gather_free(struct gpt_gather *g)
{
	if (!list_empty(&g->tables))
		__gpt_gather_free(g);
	else
		gpt_gather_init(g);
}

/**
 * gpt_nr_tables() - table pages the page table owns
 * @pt: the page table
 *
 * Context: any.
 * Return: the count, top table included; 1 when nothing is mapped and every
 * unmap covered whole tables.
 */
static inline long gpt_nr_tables(struct gpt *pt)
{
	return atomic_long_read(&pt->nr_tables);
}

#endif /* _LINUX_GPT_H */
