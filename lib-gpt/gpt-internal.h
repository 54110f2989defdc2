/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the format-independent front end (gpt.c) and the
 * algorithms compiled once per format (gpt-core.h).
 */
#ifndef _LIB_GPT_INTERNAL_H
#define _LIB_GPT_INTERNAL_H

#include <linux/gpt.h>

/**
 * struct gpt_fmt - one compiled instance of the algorithms
 * @name: the format's name, for messages and tests
 * @min_levels: fewest levels a table of the format may have
 * @max_levels: most levels
 * @can_grow: the top may gain levels while in use (AMD-Vi v1)
 * @has_dirty: leaves carry a dirty bit the IOMMU sets
 * @max_pa_bits: widest output address a leaf can hold
 * @dirty_bits: the leaf bits that mean dirty
 * @run_max_log2: log2 of the most entries a contiguous run may span (0: none)
 * @leaf_levels: bitmap of the levels that may hold leaves
 * @levels_for: levels needed for an input width
 * @prot_ok: whether the format can express a GPT_* protection
 * @fill: map a range or a page array (struct gpt_src) below @pt
 * @unmap: clear [iova, last], gathering freed tables in @g; returns bytes
 * @lookup: the leaf translating an IOVA
 * @walk: call @fn on every leaf in [iova, last], optionally clearing dirty
 * @split: turn the huge leaf at an IOVA into a table of the next level
 * @free_all: free every table, the table being unused
 * @entry: the entry translating an IOVA and its level (tests)
 * @shrink: drop top levels, gathering the dropped tables in @g
 *
 * Built by lib-gpt for each format (gpt-core.h).  Users see it opaque;
 * lib-gpt's own tests read the constants.
 */
struct gpt_fmt {
	const char *name;
	unsigned int min_levels;
	unsigned int max_levels;
	bool can_grow;
	bool has_dirty;
	unsigned int max_pa_bits;
	u64 dirty_bits;
	unsigned int run_max_log2;
	unsigned int leaf_levels;
	unsigned int (*levels_for)(unsigned int va_bits);
	bool (*prot_ok)(unsigned int prot);
	int (*fill)(struct gpt *pt, void *src, struct gpt_gather *g, gfp_t gfp);
	u64 (*unmap)(struct gpt *pt, u64 iova, u64 last, struct gpt_gather *g);
	int (*lookup)(struct gpt *pt, u64 iova, struct gpt_leaf *leaf);
	int (*walk)(struct gpt *pt, u64 iova, u64 last, bool clear_dirty,
		    int (*fn)(void *arg, const struct gpt_leaf *leaf), void *arg);
	int (*split)(struct gpt *pt, u64 iova, unsigned int level, gfp_t gfp);
	void (*free_all)(struct gpt *pt);
	u64 *(*entry)(struct gpt *pt, u64 iova, unsigned int *level);
	int (*shrink)(struct gpt *pt, unsigned int levels, struct gpt_gather *g);
};

/*
 * What a fill call writes: either a physically contiguous range (@pfns is
 * NULL) or an hmm_range_fault()-style array of pfns, one per 4 KiB page.
 */
struct gpt_src {
	u64 iova;
	u64 last;
	u64 pa;
	const unsigned long *pfns;
	unsigned int prot;
	/* Replace what is there (update) rather than require it empty (map). */
	bool update;
};

void *__gpt_table_alloc(struct gpt *pt, gfp_t gfp, bool zero);
void gpt_table_free(struct gpt *pt, void *table);

/* A table with every entry empty. */
static inline void *gpt_table_alloc(struct gpt *pt, gfp_t gfp)
{
	return __gpt_table_alloc(pt, gfp, true);
}

void gpt_table_gather(struct gpt *pt, struct gpt_gather *g, void *table);

/* Entries a walker may have cached changed in [@start, @last]. */
static inline void gpt_gather_range(struct gpt_gather *g, u64 start, u64 last)
{
	g->flush = true;
	if (start < g->start)
		g->start = start;
	if (last > g->last)
		g->last = last;
}

/* An array entry that maps: valid and not an error. */
static inline bool gpt_pfn_ok(unsigned long v)
{
	return (v & (GPT_PFN_VALID | GPT_PFN_ERROR)) == GPT_PFN_VALID;
}

/* Write permission only where both the caller and the entry allow it. */
static inline unsigned int gpt_pfn_prot(const struct gpt_src *s, unsigned long v)
{
	unsigned int prot = s->prot & ~GPT_WRITE;

	if (v & GPT_PFN_WRITE)
		prot |= s->prot & GPT_WRITE;
	return prot;
}

static inline unsigned int gpt_shift(unsigned int level)
{
	return GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS;
}

static inline unsigned int gpt_index(u64 iova, unsigned int level)
{
	return (iova >> gpt_shift(level)) & (GPT_ENTRIES - 1);
}

/*
 * How many entries of @size bytes, from index @i on, lie entirely inside
 * [@iova, @last]; @iova is aligned to @size.
 */
static inline int gpt_whole_entries(u64 iova, u64 last, u64 size, int i)
{
	u64 n = (last - iova) / size + ((last - iova) % size == size - 1);

	return min_t(u64, n, GPT_ENTRIES - i);
}

/* Last IOVA a tree of @levels levels reaches. */
static inline u64 gpt_reach(unsigned int levels)
{
	unsigned int bits = gpt_shift(levels);

	return bits >= 64 ? U64_MAX : (1ULL << bits) - 1;
}

static inline u64 *gpt_top_table(unsigned long top)
{
	return (u64 *)(top & ~(GPT_PAGE_SIZE - 1));
}

static inline unsigned int gpt_top_levels(unsigned long top)
{
	return (top & (GPT_PAGE_SIZE - 1)) + 1;
}

static inline unsigned long gpt_mk_top(u64 *table, unsigned int levels)
{
	return (unsigned long)table | (levels - 1);
}

#endif /* _LIB_GPT_INTERNAL_H */
