/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page-table algorithms, compiled once per format.
 *
 * A format header (include/linux/gpt-*.h) is included first; it defines
 * PT_FMT_NAME and the pt_*() entry helpers.  Everything here is static and
 * the format's helpers are inlined, so a walk makes no indirect call per
 * entry.  The result is one "const struct gpt_fmt gpt_fmt_<name>".
 *
 * Every walk handles one table at a time: it visits the entries of a range
 * in that table, writes what it must, and tells a non-coherent walker about
 * the written entries with a single cfg->sync() call per table visit.
 */
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/log2.h>
#include "gpt-internal.h"

/*
 * Runs: a leaf repeated in 2^k consecutive entries of one table, mapping a
 * page 2^k times the entry's natural size (AMD-Vi v1's NextLevel 7).  A
 * format without them needs to say nothing.  One with them must make
 * pt_leaf_run_log2(), given the OR of some leaves of one level, return
 * non-zero only when one of them is a run: unmap tests four at a time
 * that way.
 */
#ifndef PT_RUN_MAX_LOG2
#define PT_RUN_MAX_LOG2		0
static inline unsigned int pt_leaf_run_log2(u64 e, unsigned int level)
{
	return 0;
}

static inline u64 pt_mk_run(u64 pa, unsigned int level, unsigned int log2n,
			    unsigned int prot, const struct gpt *pt)
{
	return 0;
}
#endif

/*
 * A bit the walker ignores in a table entry, set once the entry was
 * written back for a walker that does not snoop (0: none, always write
 * back).
 */
#ifndef PT_SW_SYNCED
#define PT_SW_SYNCED		0
#endif

/* Bits the walker sets in a leaf (accessed, dirty): not part of what it maps. */
#ifndef PT_WALKER_BITS
#define PT_WALKER_BITS		PT_DIRTY_BITS
#endif

#define PT_CAT2(a, b)	a##_##b
#define PT_CAT(a, b)	PT_CAT2(a, b)
#define PT(fn)		PT_CAT(PT_FMT_NAME, fn)

/* One call's state, threaded through the recursion. */
struct pt_op {
	struct gpt *pt;
	const struct gpt_src *src;
	struct gpt_gather *g;
	gfp_t gfp;
	int err;
	/* first IOVA the failing step was working on */
	u64 err_iova;
};

static inline u64 *PT(child)(u64 e)
{
	return phys_to_virt(pt_table_pa(e));
}

/* Leaves of @level are in the page sizes the user allows. */
static inline bool PT(may_leaf)(const struct gpt *pt, unsigned int level)
{
	return (PT_LEAF_LEVELS & BIT(level)) &&
	       (READ_ONCE(pt->pgsize) & BIT_ULL(gpt_shift(level)));
}

static inline void PT(sync)(const struct gpt *pt, u64 *table, int lo, int hi)
{
	if (pt->cfg.sync && lo <= hi)
		pt->cfg.sync(pt->cfg.cookie, &table[lo], (hi - lo + 1) * sizeof(u64));
}

/*
 * @table[@i] now holds @e, a table entry this call installed and wrote
 * back: mark it so, for the callers that find it later.  A cmpxchg, so
 * an entry replaced meanwhile is left alone; the walker ignores the bit,
 * so the marked entry need not be written back again.
 */
static inline void PT(synced)(const struct gpt *pt, u64 *table, int i, u64 e)
{
	if (PT_SW_SYNCED && pt->cfg.sync)
		try_cmpxchg64(&table[i], &e, e | PT_SW_SYNCED);
}

/*
 * About to rely on @table[@i] == @e, a table entry this call found rather
 * than wrote: a walker that does not snoop sees it only after it was
 * written back, and the caller that wrote it may not have done so yet.
 * An entry its writer marked written back (PT(synced)) costs nothing;
 * for any other, writing it back again is cheap next to a map or unmap
 * that returned while the walker still saw the old entry.
 */
static inline void PT(rely)(const struct gpt *pt, u64 *table, int i, u64 e)
{
	if (pt->cfg.sync && !(e & PT_SW_SYNCED))
		pt->cfg.sync(pt->cfg.cookie, &table[i], sizeof(u64));
}

/*
 * A table that left the tree: hand it, and every table below it, to @g.
 * Return the bytes its leaves mapped.  One pass over the subtree.  With a
 * NULL @g, only count.
 */
static u64 PT(gather_subtree)(struct gpt *pt, struct gpt_gather *g,
			      u64 *table, unsigned int level)
{
	u64 bytes = 0, n = 0;
	int i;

	/*
	 * 4 KiB entries, four at a time: a bit of the present mask in their
	 * AND means all four are there (a run counts one page per entry).
	 */
	for (i = 0; !level && i < GPT_ENTRIES; i += 4) {
		u64 a = READ_ONCE(table[i]), b = READ_ONCE(table[i + 1]);
		u64 c = READ_ONCE(table[i + 2]), d = READ_ONCE(table[i + 3]);

		if (pt_present(a & b & c & d))
			n += 4;
		else
			n += pt_present(a) + pt_present(b) + pt_present(c) +
			     pt_present(d);
	}
	for (i = 0; level && i < GPT_ENTRIES; i++) {
		u64 e = READ_ONCE(table[i]);

		if (!pt_present(e))
			continue;
		if (pt_is_table(e, level))
			bytes += PT(gather_subtree)(pt, g, PT(child)(e), level - 1);
		else
			n++;
	}
	if (g)
		gpt_table_gather(pt, g, table);
	return bytes + (n << gpt_shift(level));
}

/*
 * Rewrite the run that @table[@i] belongs to as natural leaves, each with
 * its own address.  Every entry translates as before throughout, so this
 * is hitless; it comes before any change to part of the run (update,
 * split; an unmap removes a run whole).
 *
 * Each entry changes by cmpxchg from the run entry it still holds, so an
 * entry that a racing caller cleared or rewrote stays as it is: two
 * callers breaking the same run end with the same result, and neither
 * brings back what the other removed.  A dirty bit the walker sets on any
 * entry of the run marks the whole page dirty; one that appears while the
 * run is being broken fails that cmpxchg and is carried to every entry.
 */
static void PT(break_run)(struct gpt *pt, u64 *table, int i, u64 e,
			  unsigned int level)
{
	unsigned int k = pt_leaf_run_log2(e, level);
	int first = i & ~((1 << k) - 1), j;
	u64 size = BIT_ULL(gpt_shift(level)), pa = pt_leaf_pa(e, level);
	unsigned int prot = pt_leaf_prot(e);
	u64 run = e & ~PT_WALKER_BITS, dirty = 0;
	bool again;

	do {
		again = false;
		for (j = 0; j < (1 << k); j++) {
			u64 leaf = pt_mk_leaf(pa + j * size, level, prot, pt);
			u64 old = READ_ONCE(table[first + j]);

			for (;;) {
				u64 d = old & PT_DIRTY_BITS;

				if ((old & ~PT_WALKER_BITS) == run) {
					if (d & ~dirty) {
						dirty |= d;
						again = j;
					}
					if (try_cmpxchg64(&table[first + j], &old,
							  leaf | dirty | (old & PT_WALKER_BITS)))
						break;
				} else if ((old & ~PT_WALKER_BITS) == leaf && (dirty & ~d)) {
					/* Broken up before this dirty bit was seen. */
					if (try_cmpxchg64(&table[first + j], &old, old | dirty))
						break;
				} else {
					break;
				}
			}
		}
	} while (again);
	PT(sync)(pt, table, first, first + (1 << k) - 1);
}

/* Break @e's run unless it lies inside [@lo, @hi] (indexes); true if broken. */
static bool PT(break_run_outside)(struct gpt *pt, u64 *table, int i, u64 e,
				  unsigned int level, int lo, int hi)
{
	unsigned int k = pt_leaf_run_log2(e, level);
	int first = i & ~((1 << k) - 1);

	if (!PT_RUN_MAX_LOG2 || !k || (first >= lo && first + (1 << k) - 1 <= hi))
		return false;
	PT(break_run)(pt, table, i, e, level);
	return true;
}

/*
 * Replace the huge leaf @e in @table[@i] by a table of leaves one level
 * down that translate every address exactly as @e did.  The new table is
 * built privately and published with one cmpxchg, so a walker sees either
 * the huge leaf or the complete table: there is no window in which part of
 * the range is unmapped.  Fails with -EAGAIN when the entry changed (the
 * walker set its dirty bit) or was part of a run, now broken up; the
 * caller rereads and retries.
 */
static int PT(split_entry)(struct gpt *pt, u64 *table, int i, u64 e,
			   unsigned int level, gfp_t gfp)
{
	u64 pa = pt_leaf_pa(e, level);
	unsigned int prot = pt_leaf_prot(e);
	u64 dirty = e & PT_DIRTY_BITS;
	u64 step = 1ULL << gpt_shift(level - 1);
	u64 *t, new;
	int j;

	if (PT_RUN_MAX_LOG2 && pt_leaf_run_log2(e, level)) {
		PT(break_run)(pt, table, i, e, level);
		return -EAGAIN;
	}
	t = gpt_table_alloc(pt, gfp);
	if (!t)
		return -ENOMEM;
	for (j = 0; j < GPT_ENTRIES; j++)
		WRITE_ONCE(t[j], pt_mk_leaf(pa + j * step, level - 1, prot, pt) | dirty);
	PT(sync)(pt, t, 0, GPT_ENTRIES - 1);
	new = pt_mk_table(virt_to_phys(t), level, pt);
	if (!try_cmpxchg64(&table[i], &e, new)) {
		gpt_table_free(pt, t);
		return -EAGAIN;
	}
	PT(sync)(pt, table, i, i);
	PT(synced)(pt, table, i, new);
	return 0;
}

/*
 * Publish the table @t, written in full, in the empty entry @table[@i] of
 * @level, unless another caller mapping a disjoint range got there first:
 * then rely on theirs and free ours, which no walker has seen.  *@e gets
 * the entry now in @table[@i]; false when it is not ours.
 */
static inline bool PT(publish_table)(struct pt_op *op, u64 *table, int i,
				     u64 *t, unsigned int level, u64 *e)
{
	u64 old = 0, new;

	PT(sync)(op->pt, t, 0, GPT_ENTRIES - 1);
	new = pt_mk_table(virt_to_phys(t), level, op->pt);
	/* Fully ordered: the entries are visible before the table is. */
	if (!try_cmpxchg64(&table[i], &old, new)) {
		gpt_table_free(op->pt, t);
		PT(rely)(op->pt, table, i, old);
		*e = old;
		return false;
	}
	PT(sync)(op->pt, table, i, i);
	PT(synced)(op->pt, table, i, new);
	*e = new;
	return true;
}

/*
 * Install an empty table in @table[@i], or use the one another caller
 * installed first.  Return the entry now in @table[@i].
 */
static u64 PT(install_table)(struct pt_op *op, u64 *table, int i,
			     unsigned int level)
{
	u64 *t, e;

	t = gpt_table_alloc(op->pt, op->gfp);
	if (!t) {
		op->err = -ENOMEM;
		return 0;
	}
	PT(publish_table)(op, table, i, t, level, &e);
	return e;
}

/*
 * The largest run that can start at entry @i: @i and @pa aligned to it,
 * and at most @n entries.  0 when the format has no runs.
 */
static inline unsigned int PT(run_order)(const struct gpt *pt, int i, u64 pa,
					 unsigned int level, int n)
{
	unsigned int k;

	if (!PT_RUN_MAX_LOG2)
		return 0;
	k = min(__ffs((pa >> gpt_shift(level)) | BIT(PT_RUN_MAX_LOG2)),
		__ffs(i | BIT(PT_RUN_MAX_LOG2)));
	k = min_t(unsigned int, k, ilog2(n));
	/* Only the page sizes the user allows. */
	while (k && !(READ_ONCE(pt->pgsize) & BIT_ULL(gpt_shift(level) + k)))
		k--;
	return k;
}

/*
 * [@iova, @iova + 2 MiB) of the source, in 4 KiB leaves (or runs of them),
 * under the empty entry @table[@i] of level 1: fill a private table and
 * publish it whole.  The page is not cleared first, as every entry is
 * written, and no walker ever finds the table half filled.  Return false,
 * with *@e the entry found, when something else was installed there
 * first; or with op->err.
 *
 * Out of line: inlined into fill_level, the same store loop ran at half
 * the speed in some builds (UML, a 1 GiB map of 4 KiB pages).
 */
static noinline bool PT(install_filled)(struct pt_op *op, u64 *table, int i,
					u64 iova, u64 *e)
{
	const struct gpt_src *s = op->src;
	u64 *t;
	int k;

	t = __gpt_table_alloc(op->pt, op->gfp, false);
	if (!t) {
		op->err = -ENOMEM;
		return false;
	}
	/* As in write_leaves: an odd page address leaves no run anywhere. */
	if (!s->pfns && PT_RUN_MAX_LOG2 > 0 &&
	    !(((s->pa + (iova - s->iova)) >> GPT_PAGE_SHIFT) & 1)) {
		u64 pa = s->pa + (iova - s->iova);

		/* The largest runs the alignment and the page sizes allow. */
		for (k = 0; k < GPT_ENTRIES;) {
			unsigned int order = PT(run_order)(op->pt, k, pa, 0,
							   GPT_ENTRIES - k);
			u64 e = order ? pt_mk_run(pa, 0, order, s->prot, op->pt) :
					pt_mk_leaf(pa, 0, s->prot, op->pt);
			int j;

			for (j = 0; j < 1 << order; j++)
				t[k + j] = e;
			k += 1 << order;
			pa += GPT_PAGE_SIZE << order;
		}
	} else if (!s->pfns) {
		u64 leaf = pt_mk_leaf(s->pa + (iova - s->iova), 0, s->prot, op->pt);

		/* The address field is linear: step the encoded entry. */
		for (k = 0; k < GPT_ENTRIES; k++, leaf += GPT_PAGE_SIZE)
			t[k] = leaf;
	} else {
		const unsigned long *p = s->pfns + ((iova - s->iova) >> GPT_PAGE_SHIFT);

		for (k = 0; k < GPT_ENTRIES; k++) {
			unsigned long v = p[k];

			t[k] = gpt_pfn_ok(v) ?
			       pt_mk_leaf((u64)(v & ~GPT_PFN_FLAGS) << GPT_PAGE_SHIFT,
					  0, gpt_pfn_prot(s, v), op->pt) : 0;
		}
	}
	return PT(publish_table)(op, table, i, t, 1, e);
}

/* ---- classifying what the source holds for one entry ------------------- */

enum pt_src_kind { PT_SRC_NONE, PT_SRC_LEAF, PT_SRC_MIXED };

/*
 * What must happen to [@iova, @last], the part of the range that one entry
 * at @level covers: nothing to map (NONE), one leaf of the entry's size
 * (LEAF, with *@pa and *@prot), or a mix that needs the level below.
 */
static enum pt_src_kind PT(classify)(const struct gpt *pt,
				     const struct gpt_src *s, u64 iova,
				     u64 last, unsigned int level, u64 *pa,
				     unsigned int *prot)
{
	u64 size = 1ULL << gpt_shift(level);
	bool whole = !(iova & (size - 1)) && last - iova == size - 1;
	const unsigned long *p;
	unsigned long n, k, pfn, v;

	if (!s->pfns) {
		*pa = s->pa + (iova - s->iova);
		*prot = s->prot;
		if (whole && !(*pa & (size - 1)) && PT(may_leaf)(pt, level))
			return PT_SRC_LEAF;
		return PT_SRC_MIXED;
	}

	p = s->pfns + ((iova - s->iova) >> GPT_PAGE_SHIFT);
	n = ((last - iova) >> GPT_PAGE_SHIFT) + 1;
	v = p[0];
	if (!gpt_pfn_ok(v)) {
		for (k = 1; k < n; k++)
			if (gpt_pfn_ok(p[k]))
				return PT_SRC_MIXED;
		return PT_SRC_NONE;
	}
	if (!whole || !PT(may_leaf)(pt, level))
		return PT_SRC_MIXED;
	pfn = v & ~GPT_PFN_FLAGS;
	*pa = (u64)pfn << GPT_PAGE_SHIFT;
	*prot = gpt_pfn_prot(s, v);
	if (*pa & (size - 1))
		return PT_SRC_MIXED;
	/*
	 * The common case first, one compare per entry: every entry is the
	 * first plus its index, flags and all (a run of one CPU huge page
	 * looks so).  The pfn cannot carry into the flags: it is below
	 * pa_bits.  Any other entry gets the full test from there on.
	 */
	for (k = 1; k < n && p[k] == v + k; k++)
		;
	for (; k < n; k++) {
		unsigned long w = p[k];

		if ((w & ~GPT_PFN_FLAGS) != pfn + k || !gpt_pfn_ok(w) ||
		    ((w ^ v) & GPT_PFN_WRITE))
			return PT_SRC_MIXED;
	}
	return PT_SRC_LEAF;
}

/*
 * Walk down from @table while [@iova, @last] lies inside a single entry
 * that is a table and that the range does not cover whole: there is
 * nothing to decide at those levels, only a pointer to follow.  With
 * @alloc, missing tables are installed on the way (map of a range).
 * Return the table to start the real work in and its level in *@levelp,
 * or NULL when an unmap finds nothing there or installing failed
 * (op->err).
 */
static u64 *PT(descend)(struct pt_op *op, u64 *table, unsigned int *levelp,
			u64 iova, u64 last, bool alloc)
{
	unsigned int level = *levelp;

	while (level) {
		unsigned int sh = gpt_shift(level);
		int i = gpt_index(iova, level);
		u64 e;

		if ((iova >> sh) != (last >> sh) ||
		    (!(iova & (BIT_ULL(sh) - 1)) && last - iova == BIT_ULL(sh) - 1))
			break;
		e = READ_ONCE(table[i]);
		if (pt_present(e) && !pt_is_table(e, level))
			break;
		if (pt_present(e)) {
			PT(rely)(op->pt, table, i, e);
		} else {
			if (!op->src)
				return NULL;
			if (!alloc)
				break;
			e = PT(install_table)(op, table, i, level);
			if (!op->err && !pt_is_table(e, level))
				/* A racing map of an overlapping range put a leaf here. */
				op->err = -EEXIST;
			if (op->err) {
				op->err_iova = iova;
				return NULL;
			}
		}
		table = PT(child)(e);
		level--;
	}
	*levelp = level;
	return table;
}

/*
 * The leaf table that holds [@iova, @last], when the range lies inside one
 * and every table above it is there: the shape of most single-page maps
 * and unmaps, which then cost a load per level and no decision.  NULL
 * sends the caller to PT(descend), which knows every other case (a range
 * that spans tables or covers a whole entry, a table to install, a huge
 * leaf on the way, a range beyond the tree's reach).
 */
static __always_inline u64 *PT(leaf_table)(const struct gpt *pt,
					   unsigned long top, u64 iova, u64 last)
{
	unsigned int level = gpt_top_levels(top) - 1;
	u64 *table = gpt_top_table(top);

	if ((iova ^ last) >> gpt_shift(1) ||
	    last - iova == BIT_ULL(gpt_shift(1)) - 1 || last > gpt_reach(level + 1))
		return NULL;
	for (; level; level--) {
		int i = gpt_index(iova, level);
		u64 e = READ_ONCE(table[i]);

		if (!pt_present(e) || !pt_is_table(e, level))
			return NULL;
		PT(rely)(pt, table, i, e);
		table = PT(child)(e);
	}
	return table;
}

/* ---- unmap ---------------------------------------------------------------- */

static u64 PT(unmap_level)(struct pt_op *op, u64 *table, unsigned int level,
			   u64 iova, u64 last);

/*
 * Remove the entry @e in @table[@i] (for @iova) whole: a table with
 * everything below it, a leaf, or every entry of the run it belongs to.
 * Nothing is allocated, so this cannot fail.  The gather's span grows by
 * what the entry mapped, which may reach beyond the caller's range.
 * Return the bytes the removed leaves mapped.  A run's entries are written
 * back here; the caller writes back @i.
 */
static u64 PT(remove_entry)(struct pt_op *op, u64 *table, int i,
			    unsigned int level, u64 e, u64 iova)
{
	u64 size = BIT_ULL(gpt_shift(level));
	unsigned int k;
	int first, j;

	if (pt_is_table(e, level)) {
		WRITE_ONCE(table[i], 0);
		gpt_gather_range(op->g, iova & ~(size - 1), iova | (size - 1));
		return PT(gather_subtree)(op->pt, op->g, PT(child)(e), level - 1);
	}
	k = pt_leaf_run_log2(e, level);
	size <<= k;
	gpt_gather_range(op->g, iova & ~(size - 1), iova | (size - 1));
	if (!k) {
		WRITE_ONCE(table[i], 0);
		return size;
	}
	/*
	 * A racing unmap elsewhere in the run clears it too: both stores
	 * write 0, and both report the whole run.
	 */
	first = i & ~((1 << k) - 1);
	for (j = first; j < first + (1 << k); j++)
		WRITE_ONCE(table[j], 0);
	PT(sync)(op->pt, table, first, first + (1 << k) - 1);
	return size;
}

/*
 * Remove [@iova, @last] (inside the span of @table[@i]) from the tree.
 * Return the bytes of the leaves removed.  A table the range covers whole
 * goes with its subtree; a table it cuts is entered; a leaf it touches goes
 * whole, even where it sticks out of the range (iommu_unmap() semantics):
 * splitting it would need memory, and an unmap must never fail.
 */
static u64 PT(unmap_entry)(struct pt_op *op, u64 *table, int i,
			   unsigned int level, u64 iova, u64 last, bool *wrote)
{
	u64 size = 1ULL << gpt_shift(level);
	bool whole = !(iova & (size - 1)) && last - iova == size - 1;
	u64 e = READ_ONCE(table[i]);

	if (!pt_present(e))
		return 0;
	if (!whole && pt_is_table(e, level)) {
		PT(rely)(op->pt, table, i, e);
		return PT(unmap_level)(op, PT(child)(e), level - 1, iova, last);
	}
	*wrote = true;
	return PT(remove_entry)(op, table, i, level, e, iova);
}

/*
 * Unmap [@iova, @last] from a table of 4 KiB leaves: clear each present
 * entry.  Every entry looked at lies in the range, which no one else
 * changes: writing them all back is cheaper than tracking which.
 */
static __always_inline u64 PT(clear_ptes)(struct pt_op *op, u64 *table,
					  u64 iova, u64 last)
{
	int first = gpt_index(iova, 0);
	int end = first + (int)min_t(u64, GPT_ENTRIES - first,
				     ((last - iova) >> GPT_PAGE_SHIFT) + 1);
	u64 *p = &table[first], *stop = &table[end], bytes = 0;
	unsigned long cleared = 0;
	int n = end - first, j;

	/*
	 * Four plain leaves at a time, with one test: a bit of the present
	 * mask set in all four entries means that each is present, and
	 * their OR reads as a run only if one of them is one.  The first
	 * group that fails it, and the rest, go entry by entry.  Indexed off
	 * one base rather than by a stepped pointer: with AMD-Vi's run test
	 * in the loop, GCC kept a register per entry's address and spilled
	 * the end, which cost that format's 256 x 4 KiB unmap about a third.
	 */
	for (j = 0; j + 4 <= n; j += 4) {
		u64 a = READ_ONCE(p[j]), b = READ_ONCE(p[j + 1]);
		u64 c = READ_ONCE(p[j + 2]), d = READ_ONCE(p[j + 3]);

		if (!pt_present(a & b & c & d) ||
		    pt_leaf_run_log2(a | b | c | d, 0))
			break;
		WRITE_ONCE(p[j], 0);
		WRITE_ONCE(p[j + 1], 0);
		WRITE_ONCE(p[j + 2], 0);
		WRITE_ONCE(p[j + 3], 0);
	}
	cleared = j;
	p += j;
	for (; p < stop; p++) {
		u64 e = READ_ONCE(*p);

		if (!pt_present(e))
			continue;
		if (PT_RUN_MAX_LOG2 > 0 && pt_leaf_run_log2(e, 0)) {
			int i = p - table;
			u64 at = iova + ((u64)(i - first) << GPT_PAGE_SHIFT);

			bytes += PT(remove_entry)(op, table, i, 0, e, at);
			continue;
		}
		WRITE_ONCE(*p, 0);
		cleared++;
	}
	bytes += (u64)cleared << GPT_PAGE_SHIFT;
	if (bytes)
		PT(sync)(op->pt, table, first, end - 1);
	return bytes;
}

static u64 PT(unmap_level)(struct pt_op *op, u64 *table, unsigned int level,
			   u64 iova, u64 last)
{
	int i = gpt_index(iova, level), lo = GPT_ENTRIES, hi = -1;
	u64 bytes = 0;

	if (!level)
		return PT(clear_ptes)(op, table, iova, last);
	for (;;) {
		u64 size = BIT_ULL(gpt_shift(level));
		u64 end = iova | (size - 1);
		u64 chunk = min(end, last);
		bool wrote = false;

		if (chunk == end && !(iova & (size - 1))) {
			/* Whole entries: leaves cleared in one tight loop. */
			u64 *p = &table[i], *stop = p + gpt_whole_entries(iova, last, size, i);
			u64 before = bytes;
			int k, cleared = 0;

			/*
			 * Four at a time, as in clear_ptes(), while the
			 * format can tell from their AND and OR that all four
			 * are plain leaves.
			 */
			for (; stop - p >= 4; p += 4) {
				u64 a = READ_ONCE(p[0]), b = READ_ONCE(p[1]);
				u64 c = READ_ONCE(p[2]), d = READ_ONCE(p[3]);

				if (!pt_leaves4(a & b & c & d, a | b | c | d, level))
					break;
				WRITE_ONCE(p[0], 0);
				WRITE_ONCE(p[1], 0);
				WRITE_ONCE(p[2], 0);
				WRITE_ONCE(p[3], 0);
				cleared += 4;
			}
			for (; p < stop; p++) {
				u64 e = READ_ONCE(*p);

				if (!pt_present(e))
					continue;
				if (pt_is_table(e, level))
					break;
				if (PT_RUN_MAX_LOG2 > 0 && pt_leaf_run_log2(e, level)) {
					k = p - &table[i];
					bytes += PT(remove_entry)(op, table, i + k, level, e,
								  iova + k * size);
					continue;
				}
				WRITE_ONCE(*p, 0);
				cleared++;
			}
			k = p - &table[i];
			bytes += cleared * size;
			if (k) {
				/* As at level 0: write back every entry looked at. */
				if (bytes != before) {
					lo = min(lo, i);
					hi = i + k - 1;
				}
				i += k;
				iova += k * size;
				if (i == GPT_ENTRIES || iova - 1 == last)
					break;
				continue;
			}
		}
		bytes += PT(unmap_entry)(op, table, i, level, iova, chunk, &wrote);
		if (wrote) {
			lo = min(lo, i);
			hi = i;
		}
		if (chunk == last || ++i == GPT_ENTRIES)
			break;
		iova = chunk + 1;
	}
	PT(sync)(op->pt, table, lo, hi);
	return bytes;
}

static noinline u64 PT(unmap_any)(struct gpt *pt, u64 iova, u64 last,
				  struct gpt_gather *g)
{
	unsigned long top = READ_ONCE(pt->top);
	unsigned int levels = gpt_top_levels(top);
	struct pt_op op = { .pt = pt, .g = g };
	unsigned int level = levels - 1;
	u64 *table, bytes;

	if (iova > gpt_reach(levels))
		return 0;
	last = min(last, gpt_reach(levels));
	table = PT(leaf_table)(pt, top, iova, last);
	if (table) {
		bytes = PT(clear_ptes)(&op, table, iova, last);
	} else {
		table = PT(descend)(&op, gpt_top_table(top), &level, iova, last,
				    false);
		if (!table)
			return 0;
		bytes = PT(unmap_level)(&op, table, level, iova, last);
	}
	if (bytes)
		gpt_gather_range(g, iova, last);
	return bytes;
}

/* One 4 KiB leaf in a leaf table that is there: clear it and be done. */
static u64 PT(unmap)(struct gpt *pt, u64 iova, u64 last, struct gpt_gather *g)
{
	if (last - iova == GPT_PAGE_SIZE - 1) {
		u64 *table = PT(leaf_table)(pt, READ_ONCE(pt->top), iova, last);
		int i = gpt_index(iova, 0);
		u64 e;

		if (table) {
			e = READ_ONCE(table[i]);
			if (pt_present(e) && !pt_leaf_run_log2(e, 0)) {
				WRITE_ONCE(table[i], 0);
				PT(sync)(pt, table, i, i);
				gpt_gather_range(g, iova, last);
				return GPT_PAGE_SIZE;
			}
		}
	}
	return PT(unmap_any)(pt, iova, last, g);
}

/* ---- map and update ----------------------------------------------------- */

static void PT(fill_level)(struct pt_op *op, u64 *table, unsigned int level,
			   u64 iova, u64 last);

static void PT(fill_entry)(struct pt_op *op, u64 *table, int i,
			   unsigned int level, u64 iova, u64 last, bool *wrote)
{
	const struct gpt_src *s = op->src;
	u64 e = READ_ONCE(table[i]);
	u64 size = BIT_ULL(gpt_shift(level));
	bool whole = !(iova & (size - 1)) && last - iova == size - 1;
	enum pt_src_kind kind;
	unsigned int prot = 0;
	u64 pa = 0, new;
	int ret;

	kind = PT(classify)(op->pt, s, iova, last, level, &pa, &prot);
	if (kind == PT_SRC_NONE) {
		if (!s->update || !pt_present(e))
			return;
		if (whole) {
			/* An update keeps the rest of a run: break it up first. */
			if (PT(break_run_outside)(op->pt, table, i, e, level, i, i))
				e = READ_ONCE(table[i]);
			if (!pt_present(e))
				return;
			*wrote = true;
			PT(remove_entry)(op, table, i, level, e, iova);
			return;
		}
		/* Part of a leaf or table: the level below decides. */
		kind = PT_SRC_MIXED;
	}
	if (kind == PT_SRC_LEAF) {
		new = pt_mk_leaf(pa, level, prot, op->pt);
		if (!pt_present(e)) {
			WRITE_ONCE(table[i], new);
			*wrote = true;
			return;
		}
		if (!s->update) {
			/*
			 * A leaf below means an overlap.  A table with none
			 * was left behind by partial unmaps: the huge leaf
			 * takes its place, and the tables go to the caller's
			 * gather, to be freed after its flush.
			 */
			if (!pt_is_table(e, level) ||
			    PT(gather_subtree)(op->pt, NULL, PT(child)(e), level - 1))
				goto exists;
			WRITE_ONCE(table[i], new);
			*wrote = true;
			gpt_gather_range(op->g, iova, last);
			PT(gather_subtree)(op->pt, op->g, PT(child)(e), level - 1);
			return;
		}
		if (!pt_is_table(e, level)) {
			if (PT(break_run_outside)(op->pt, table, i, e, level, i, i))
				e = READ_ONCE(table[i]);
			/*
			 * In place, by cmpxchg: an unchanged entry keeps the
			 * accessed and dirty bits the walker set (and needs no
			 * flush), and an upgrade of the same page to writable
			 * keeps them too; it is never a hole.
			 */
			for (;;) {
				u64 keep = pt_leaf_pa(e, level) == pa ? e & PT_WALKER_BITS : 0;

				if (!((e ^ new) & ~PT_WALKER_BITS))
					return;
				if (try_cmpxchg64(&table[i], &e, new | keep))
					break;
			}
			*wrote = true;
			gpt_gather_range(op->g, iova, last);
			return;
		}
		WRITE_ONCE(table[i], new);
		*wrote = true;
		gpt_gather_range(op->g, iova, last);
		PT(gather_subtree)(op->pt, op->g, PT(child)(e), level - 1);
		return;
	}

	/* PT_SRC_MIXED: work one level down. */
	if (level == 1 && whole && !pt_present(e) && !s->update) {
		if (PT(install_filled)(op, table, i, iova, &e))
			return;
		if (op->err)
			goto fail;
	}
	for (;;) {
		if (!pt_present(e)) {
			e = PT(install_table)(op, table, i, level);
			if (op->err)
				goto fail;
			continue;
		}
		if (pt_is_table(e, level))
			break;
		if (!s->update)
			goto exists;
		ret = PT(split_entry)(op->pt, table, i, e, level, op->gfp);
		if (ret == -ENOMEM) {
			op->err = ret;
			goto fail;
		}
		e = READ_ONCE(table[i]);
	}
	PT(rely)(op->pt, table, i, e);
	PT(fill_level)(op, PT(child)(e), level - 1, iova, last);
	return;

exists:
	op->err = -EEXIST;
fail:
	op->err_iova = iova;
}

/* @e is a table with no leaf below it, left behind by partial unmaps. */
static bool PT(empty_table)(struct gpt *pt, u64 e, unsigned int level)
{
	return level && pt_is_table(e, level) &&
	       !PT(gather_subtree)(pt, NULL, PT(child)(e), level - 1);
}

/*
 * Store @leaf, @leaf + @step, ... in the entries from @p up to @stop while
 * they are empty; return the first one not written.  Four at a time with
 * one test (no bit of the present mask in their OR: none is present):
 * a quarter of the loop overhead, and a speed that does not depend on
 * where the loop lands in the code.  The address field is linear, so
 * stepping the encoded entry steps the address.
 *
 * The test reads with plain loads, which the compiler folds into the ORs
 * (READ_ONCE() would keep four loads apart): these entries are the
 * caller's range alone, and nothing else writes them while they are
 * empty, not a map of another range (it installs tables only in entries
 * it covers in part) and not a walker (it sets accessed and dirty bits
 * only in leaves).  Every store a walker can see stays a WRITE_ONCE().
 */
static __always_inline u64 *PT(store_leaves)(u64 *p, u64 *stop, u64 leaf,
					     u64 step)
{
	u64 *end4 = p + ((stop - p) & ~3L);

	for (; p != end4; p += 4, leaf += 4 * step) {
		if (pt_present(p[0] | p[1] | p[2] | p[3]))
			break;
		WRITE_ONCE(p[0], leaf);
		WRITE_ONCE(p[1], leaf + step);
		WRITE_ONCE(p[2], leaf + 2 * step);
		WRITE_ONCE(p[3], leaf + 3 * step);
	}
	for (; p < stop; p++, leaf += step) {
		if (pt_present(READ_ONCE(*p)))
			break;
		WRITE_ONCE(*p, leaf);
	}
	return p;
}

/*
 * Write leaves of @level for [@pa, ...) into @table[@i, @i + @n), all of
 * which the caller found to be whole entries of its range: runs where the
 * format has them and the alignment allows, single leaves otherwise.
 * Return how many entries were written; fewer than @n means the next one
 * was not empty.
 */
static int PT(write_leaves)(struct pt_op *op, u64 *table, int i, int n, u64 pa,
			    unsigned int level, unsigned int prot)
{
	struct gpt *pt = op->pt;
	u64 size = BIT_ULL(gpt_shift(level));
	u64 leaf = pt_mk_leaf(pa, level, prot, pt);
	int k = 0;

	/*
	 * A run needs the entry index and the address equally aligned, and
	 * their distance never changes along the way: if it is odd, there is
	 * no run to be had anywhere here.
	 */
	if (!PT_RUN_MAX_LOG2 || (((pa >> gpt_shift(level)) - i) & 1))
		return PT(store_leaves)(&table[i], &table[i + n], leaf, size) -
		       &table[i];
	while (k < n) {
		unsigned int order = PT(run_order)(pt, i + k, pa + k * size, level, n - k);
		int j, len = 1 << order;

		for (j = 0; j < len; j++) {
			u64 e = READ_ONCE(table[i + k + j]);

			if (pt_present(e) && !PT(empty_table)(pt, e, level))
				return k + (order ? 0 : j);
		}
		if (order) {
			u64 run = pt_mk_run(pa + k * size, level, order, prot, pt);
			bool replaced = false;

			/*
			 * Tables partial unmaps left here make way, as in
			 * fill_entry: they join the caller's gather, to be
			 * freed after its flush.
			 */
			for (j = 0; j < len; j++) {
				u64 e = READ_ONCE(table[i + k + j]);

				if (pt_present(e)) {
					PT(gather_subtree)(pt, op->g, PT(child)(e),
							   level - 1);
					replaced = true;
				}
			}
			for (j = 0; j < len; j++)
				WRITE_ONCE(table[i + k + j], run);
			if (replaced)
				gpt_gather_range(op->g, op->src->iova, op->src->last);
			k += len;
			continue;
		}
		if (pt_present(READ_ONCE(table[i + k])))
			return k;
		/* The address field is linear: step the encoded entry. */
		WRITE_ONCE(table[i + k], leaf + k * size);
		k++;
	}
	return k;
}

/*
 * Map a run of 4 KiB leaves into one table: the common case, kept to a
 * load, a test and a store per entry.  Update calls take the general path.
 */
static void PT(fill_ptes)(struct pt_op *op, u64 *table, u64 iova, u64 last)
{
	const struct gpt_src *s = op->src;
	int i = gpt_index(iova, 0), first = i;
	int end = i + (int)min_t(u64, GPT_ENTRIES - i, ((last - iova) >> GPT_PAGE_SHIFT) + 1);
	int lo = GPT_ENTRIES, hi = -1;

	if (!s->pfns) {
		u64 pa = s->pa + (iova - s->iova);

		/*
		 * Without runs, straight to the store loop.  The kernel
		 * build keeps write_leaves() out of line, where the step
		 * depends on the level: each entry of a group then needs a
		 * register for its offset, and they spill.  Here the step
		 * is the page size, an immediate in each entry's add.
		 */
		if (PT_RUN_MAX_LOG2)
			i += PT(write_leaves)(op, table, i, end - i, pa, 0, s->prot);
		else
			i = PT(store_leaves)(&table[i], &table[end],
					     pt_mk_leaf(pa, 0, s->prot, op->pt),
					     GPT_PAGE_SIZE) - table;
		if (i < end)
			goto exists;
		lo = first;
		hi = end - 1;
	} else {
		const unsigned long *p = s->pfns + ((iova - s->iova) >> GPT_PAGE_SHIFT) - i;

		for (; i < end; i++) {
			unsigned long v = p[i];

			if (!gpt_pfn_ok(v))
				continue;
			if (pt_present(READ_ONCE(table[i])))
				goto exists;
			WRITE_ONCE(table[i], pt_mk_leaf((u64)(v & ~GPT_PFN_FLAGS) << GPT_PAGE_SHIFT,
							0, gpt_pfn_prot(s, v), op->pt));
			lo = min(lo, i);
			hi = i;
		}
	}
	PT(sync)(op->pt, table, lo, hi);
	return;

exists:
	PT(sync)(op->pt, table, first, i - 1);
	op->err = -EEXIST;
	op->err_iova = iova + ((u64)(i - first) << GPT_PAGE_SHIFT);
}

static void PT(fill_level)(struct pt_op *op, u64 *table, unsigned int level,
			   u64 iova, u64 last)
{
	int i = gpt_index(iova, level), lo = GPT_ENTRIES, hi = -1;

	const struct gpt_src *s = op->src;
	u64 size = BIT_ULL(gpt_shift(level));
	/* Map of a range: whole, aligned, empty entries become leaves here. */
	bool fast = !s->pfns && !s->update && PT(may_leaf)(op->pt, level);

	if (!level && !s->update) {
		PT(fill_ptes)(op, table, iova, last);
		return;
	}
	for (;;) {
		u64 end = iova | (size - 1);
		u64 chunk = min(end, last);
		bool wrote = false;
		u64 pa = s->pa + (iova - s->iova);

		if (fast && chunk == end && !((iova | pa) & (size - 1))) {
			/* A run of whole leaves, with everything in registers. */
			int n = gpt_whole_entries(iova, last, size, i);
			unsigned int prot = s->prot;
			int k;

			k = PT(write_leaves)(op, table, i, n, pa, level, prot);
			if (k) {
				lo = min(lo, i);
				hi = i + k - 1;
				i += k;
				iova += k * size;
				if (i == GPT_ENTRIES || iova - 1 == last)
					break;
				continue;
			}
		}
		PT(fill_entry)(op, table, i, level, iova, chunk, &wrote);
		if (wrote) {
			lo = min(lo, i);
			hi = i;
		}
		if (op->err || chunk == last || ++i == GPT_ENTRIES)
			break;
		iova = chunk + 1;
	}
	PT(sync)(op->pt, table, lo, hi);
}

/*
 * After a failed map, free the tables it left empty.  Only tables whose
 * whole span lies inside the failed call's range are candidates: by the
 * caller contract no one else maps there, so an empty one is unused.
 */
static bool PT(prune_level)(struct pt_op *op, u64 *table, unsigned int level,
			    u64 iova, u64 last)
{
	int i = gpt_index(iova, level), lo = GPT_ENTRIES, hi = -1;
	bool empty = true;
	int j;

	for (;;) {
		u64 size = 1ULL << gpt_shift(level);
		u64 end = iova | (size - 1);
		u64 chunk = min(end, last);
		u64 e = READ_ONCE(table[i]);

		if (pt_present(e) && pt_is_table(e, level) &&
		    PT(prune_level)(op, PT(child)(e), level - 1, iova, chunk) &&
		    !(iova & (size - 1)) && chunk == end) {
			WRITE_ONCE(table[i], 0);
			lo = min(lo, i);
			hi = i;
			gpt_table_gather(op->pt, op->g, PT(child)(e));
		}
		if (chunk == last || ++i == GPT_ENTRIES)
			break;
		iova = chunk + 1;
	}
	PT(sync)(op->pt, table, lo, hi);
	for (j = 0; j < GPT_ENTRIES && empty; j++)
		empty = !pt_present(READ_ONCE(table[j]));
	return empty;
}

#if PT_CAN_GROW
/* Add levels on top until the tree reaches @last. */
static int PT(grow)(struct gpt *pt, u64 last, gfp_t gfp)
{
	unsigned long top = READ_ONCE(pt->top);

	while (last > gpt_reach(gpt_top_levels(top))) {
		unsigned int levels = gpt_top_levels(top);
		u64 *old = gpt_top_table(top), *t;

		if (levels == PT_MAX_LEVELS)
			return -ERANGE;
		t = gpt_table_alloc(pt, gfp);
		if (!t)
			return -ENOMEM;
		WRITE_ONCE(t[0], pt_mk_table(virt_to_phys(old), levels, pt));
		PT(sync)(pt, t, 0, GPT_ENTRIES - 1);
		/* Root and height change together, in one word. */
		if (!try_cmpxchg(&pt->top, &top, gpt_mk_top(t, levels + 1)))
			gpt_table_free(pt, t);
		else
			top = gpt_mk_top(t, levels + 1);
	}
	return 0;
}
#else
static int PT(grow)(struct gpt *pt, u64 last, gfp_t gfp)
{
	return last > gpt_reach(gpt_top_levels(READ_ONCE(pt->top))) ? -ERANGE : 0;
}
#endif

/*
 * Undo a failed map up to @end (exclusive): remove exactly what it mapped.
 * For an array that is only the valid entries; whatever was mapped under
 * the invalid ones before the call stays.
 */
static u64 PT(rollback)(struct pt_op *op, unsigned long top, u64 end)
{
	const struct gpt_src *s = op->src;
	unsigned int level = gpt_top_levels(top) - 1;
	u64 n = (end - s->iova) >> GPT_PAGE_SHIFT, i = 0, j, bytes = 0;

	if (!s->pfns) {
		if (n)
			bytes = PT(unmap_level)(op, gpt_top_table(top), level, s->iova,
						end - 1);
		return bytes;
	}
	while (i < n) {
		if (!gpt_pfn_ok(s->pfns[i])) {
			i++;
			continue;
		}
		for (j = i; j < n && gpt_pfn_ok(s->pfns[j]); j++)
			;
		bytes += PT(unmap_level)(op, gpt_top_table(top), level,
					 s->iova + (i << GPT_PAGE_SHIFT),
					 s->iova + (j << GPT_PAGE_SHIFT) - 1);
		i = j;
	}
	return bytes;
}

static noinline int PT(fill_any)(struct gpt *pt, const struct gpt_src *s,
				 struct gpt_gather *g, gfp_t gfp)
{
	struct pt_op op = { .pt = pt, .src = s, .g = g, .gfp = gfp };
	unsigned int level;
	unsigned long top;
	u64 *table;
	int ret;

	top = READ_ONCE(pt->top);
	table = s->update ? NULL : PT(leaf_table)(pt, top, s->iova, s->last);
	if (table) {
		PT(fill_ptes)(&op, table, s->iova, s->last);
	} else {
		ret = PT(grow)(pt, s->last, gfp);
		if (ret)
			return ret;
		top = READ_ONCE(pt->top);
		level = gpt_top_levels(top) - 1;
		table = PT(descend)(&op, gpt_top_table(top), &level, s->iova,
				    s->last, !s->pfns);
		if (table)
			PT(fill_level)(&op, table, level, s->iova, s->last);
	}
	ret = op.err;
	if (ret && !s->update) {
		/*
		 * All or nothing: remove what this call mapped, then the
		 * tables it left empty.  The walker may have walked into
		 * them, and cached the leaves, while they were published:
		 * both go to the caller's gather, whose flush over the
		 * call's range comes before they are freed.
		 */
		unsigned long tables = g->nr_tables;
		u64 bytes;

		op.err = 0;
		bytes = PT(rollback)(&op, top, op.err_iova);
		PT(prune_level)(&op, gpt_top_table(top), gpt_top_levels(top) - 1,
				s->iova, s->last);
		/* A map refused before it published anything needs no flush. */
		if (bytes || g->nr_tables != tables)
			gpt_gather_range(g, s->iova, s->last);
	}
	return ret;
}

/*
 * One page of a contiguous source onto an empty entry of a leaf table
 * that is there: nothing to decide, and no state for the general path
 * to set up.
 */
static int PT(fill)(struct gpt *pt, void *srcp, struct gpt_gather *g, gfp_t gfp)
{
	const struct gpt_src *s = srcp;

	if (!s->pfns && !s->update && s->last - s->iova == GPT_PAGE_SIZE - 1) {
		u64 *table = PT(leaf_table)(pt, READ_ONCE(pt->top), s->iova, s->last);
		int i = gpt_index(s->iova, 0);

		if (table && !pt_present(READ_ONCE(table[i]))) {
			WRITE_ONCE(table[i], pt_mk_leaf(s->pa, 0, s->prot, pt));
			PT(sync)(pt, table, i, i);
			return 0;
		}
	}
	return PT(fill_any)(pt, s, g, gfp);
}

/* ---- lockless readers ----------------------------------------------------- */

static __always_inline void PT(leaf)(struct gpt_leaf *leaf, u64 e,
				     unsigned int level, u64 iova)
{
	leaf->size = 1ULL << (gpt_shift(level) + pt_leaf_run_log2(e, level));
	leaf->iova = iova & ~(leaf->size - 1);
	leaf->pa = pt_leaf_pa(e, level);
	leaf->prot = pt_leaf_prot(e);
	leaf->dirty = e & PT_DIRTY_BITS;
}

/*
 * One level of a lookup.  Always inlined with @level a constant, so that
 * the index shift, the table test (which differs at level 0) and the leaf
 * decode fold to immediates, and the walk is straight-line code: no loop,
 * no variable shift, one predicted branch per level on the way down.
 */
static __always_inline bool PT(lookup_step)(u64 **tablep, unsigned int level,
					    u64 iova, struct gpt_leaf *leaf,
					    int *ret)
{
	u64 e = READ_ONCE((*tablep)[gpt_index(iova, level)]);

	if (unlikely(!pt_present(e)))
		return false;
	if (level && pt_is_table(e, level)) {
		*tablep = PT(child)(e);
		return true;
	}
	PT(leaf)(leaf, e, level, iova);
	*ret = 0;
	return false;
}

static int PT(lookup)(struct gpt *pt, u64 iova, struct gpt_leaf *leaf)
{
	unsigned long top;
	u64 *table;
	int ret = -ENOENT;

	rcu_read_lock();
	top = READ_ONCE(pt->top);
	table = gpt_top_table(top);
	static_assert(PT_MAX_LEVELS <= 6);
	/* Two shifts: one of 12 + 9 * 6 bits would overflow. */
	if ((iova >> GPT_PAGE_SHIFT) >> (gpt_top_levels(top) * GPT_LEVEL_BITS))
		goto out;
	switch (gpt_top_levels(top) - 1) {
	case 5:
		if (!PT(lookup_step)(&table, 5, iova, leaf, &ret))
			break;
		fallthrough;
	case 4:
		if (!PT(lookup_step)(&table, 4, iova, leaf, &ret))
			break;
		fallthrough;
	case 3:
		if (!PT(lookup_step)(&table, 3, iova, leaf, &ret))
			break;
		fallthrough;
	case 2:
		if (!PT(lookup_step)(&table, 2, iova, leaf, &ret))
			break;
		fallthrough;
	case 1:
		if (!PT(lookup_step)(&table, 1, iova, leaf, &ret))
			break;
		fallthrough;
	default:
		PT(lookup_step)(&table, 0, iova, leaf, &ret);
	}
out:
	rcu_read_unlock();
	return ret;
}

static int PT(walk_level)(struct gpt *pt, u64 *table, unsigned int level,
			  u64 iova, u64 last, bool clear_dirty,
			  int (*fn)(void *arg, const struct gpt_leaf *leaf),
			  void *arg)
{
	int i = gpt_index(iova, level), lo = GPT_ENTRIES, hi = -1, ret = 0;
	int start = i;

	for (;;) {
		u64 end = iova | ((1ULL << gpt_shift(level)) - 1);
		u64 chunk = min(end, last);
		u64 e = READ_ONCE(table[i]);
		struct gpt_leaf leaf;
		unsigned int k;
		int first, j;

		if (!pt_present(e))
			goto next;
		if (pt_is_table(e, level)) {
			ret = PT(walk_level)(pt, PT(child)(e), level - 1, iova,
					     chunk, clear_dirty, fn, arg);
			goto next;
		}
		/* A run is reported once, from its first entry in the range. */
		k = pt_leaf_run_log2(e, level);
		first = i & ~((1 << k) - 1);
		if (i != first && i != start)
			goto next;
		for (j = first; j < first + (1 << k); j++) {
			u64 r = READ_ONCE(table[j]);

			if (!clear_dirty || !(r & PT_DIRTY_BITS))
				continue;
			/* Atomic: the walker may be setting A/D too. */
			e |= atomic64_fetch_andnot(PT_DIRTY_BITS,
						   (atomic64_t *)&table[j]);
			lo = min(lo, j);
			hi = max(hi, j);
		}
		for (j = first; !clear_dirty && j < first + (1 << k); j++)
			e |= READ_ONCE(table[j]) & PT_DIRTY_BITS;
		PT(leaf)(&leaf, e, level, iova);
		if (!clear_dirty || leaf.dirty)
			ret = fn(arg, &leaf);
next:
		if (ret || chunk == last || ++i == GPT_ENTRIES)
			break;
		iova = chunk + 1;
	}
	PT(sync)(pt, table, lo, hi);
	return ret;
}

static int PT(walk)(struct gpt *pt, u64 iova, u64 last, bool clear_dirty,
		    int (*fn)(void *arg, const struct gpt_leaf *leaf), void *arg)
{
	unsigned long top;
	int ret = 0;

	if (clear_dirty && !PT_HAS_DIRTY)
		return -EOPNOTSUPP;
	/*
	 * One read-side critical section per top-level entry, not one for
	 * the whole range: a walk of a large address space must not hold
	 * off grace periods for its whole length.
	 */
	for (;;) {
		unsigned int levels, sh;
		u64 chunk;

		rcu_read_lock();
		top = READ_ONCE(pt->top);
		levels = gpt_top_levels(top);
		sh = gpt_shift(levels - 1);
		if (iova > gpt_reach(levels)) {
			rcu_read_unlock();
			break;
		}
		chunk = min3(last, gpt_reach(levels), iova | (BIT_ULL(sh) - 1));
		ret = PT(walk_level)(pt, gpt_top_table(top), levels - 1, iova,
				     chunk, clear_dirty, fn, arg);
		rcu_read_unlock();
		if (ret || chunk == last)
			break;
		iova = chunk + 1;
	}
	return ret;
}

/* Split the leaf holding @iova down to @level. */
static int PT(split)(struct gpt *pt, u64 iova, unsigned int level, gfp_t gfp)
{
	unsigned long top = READ_ONCE(pt->top);
	unsigned int l = gpt_top_levels(top) - 1;
	u64 *table = gpt_top_table(top);
	int ret;

	if (iova > gpt_reach(l + 1))
		return -ENOENT;
	for (;;) {
		int i = gpt_index(iova, l);
		u64 e = READ_ONCE(table[i]);

		/* Re-read after every step: a racing call may have changed it. */
		if (!pt_present(e))
			return -ENOENT;
		if (l == level) {
			/* A run at the target level is a leaf larger than it. */
			if (PT_RUN_MAX_LOG2 && !pt_is_table(e, l) && pt_leaf_run_log2(e, l))
				PT(break_run)(pt, table, i, e, l);
			return 0;
		}
		if (!pt_is_table(e, l)) {
			ret = PT(split_entry)(pt, table, i, e, l, gfp);
			if (ret && ret != -EAGAIN)
				return ret;
			continue;
		}
		PT(rely)(pt, table, i, e);
		table = PT(child)(e);
		l--;
	}
}

static void PT(free_level)(struct gpt *pt, u64 *table, unsigned int level)
{
	int i;

	for (i = 0; level && i < GPT_ENTRIES; i++) {
		u64 e = table[i];

		if (pt_present(e) && pt_is_table(e, level))
			PT(free_level)(pt, PT(child)(e), level - 1);
	}
	gpt_table_free(pt, table);
}

static void PT(free_all)(struct gpt *pt)
{
	PT(free_level)(pt, gpt_top_table(pt->top), gpt_top_levels(pt->top) - 1);
}

/*
 * Drop top levels while only entry 0 of the top table is in use, so that
 * the tree fits a walker with fewer levels.  The child of entry 0 becomes
 * the top; an empty top table just serves at the lower level.
 */
static int PT(shrink)(struct gpt *pt, unsigned int levels, struct gpt_gather *g)
{
	unsigned long top = READ_ONCE(pt->top);

	while (gpt_top_levels(top) > levels) {
		unsigned int level = gpt_top_levels(top) - 1;
		u64 *t = gpt_top_table(top);
		u64 e0 = READ_ONCE(t[0]);
		int i;

		/* Tables left behind by partial unmaps do not count. */
		for (i = 1; i < GPT_ENTRIES; i++) {
			u64 e = READ_ONCE(t[i]);

			if (pt_present(e) &&
			    (!pt_is_table(e, level) ||
			     PT(gather_subtree)(pt, NULL, PT(child)(e), level - 1)))
				return -EBUSY;
		}
		for (i = 1; i < GPT_ENTRIES; i++) {
			u64 e = READ_ONCE(t[i]);

			if (pt_present(e)) {
				WRITE_ONCE(t[i], 0);
				PT(gather_subtree)(pt, g, PT(child)(e), level - 1);
			}
		}
		if (!pt_present(e0)) {
			top = gpt_mk_top(t, level);
		} else if (pt_is_table(e0, level)) {
			top = gpt_mk_top(PT(child)(e0), level);
			gpt_table_gather(pt, g, t);
		} else {
			return -EBUSY;
		}
		WRITE_ONCE(pt->top, top);
	}
	return 0;
}

/* The leaf entry that maps @iova, for tests and debugging. */
static u64 *PT(entry)(struct gpt *pt, u64 iova, unsigned int *levelp)
{
	unsigned long top = READ_ONCE(pt->top);
	unsigned int level = gpt_top_levels(top) - 1;
	u64 *table = gpt_top_table(top);

	if (iova > gpt_reach(level + 1))
		return NULL;
	for (;;) {
		u64 *p = &table[gpt_index(iova, level)];
		u64 e = READ_ONCE(*p);

		if (!pt_present(e))
			return NULL;
		if (!pt_is_table(e, level)) {
			*levelp = level;
			return p;
		}
		table = PT(child)(e);
		level--;
	}
}

static unsigned int PT(levels_for)(unsigned int va_bits)
{
	return pt_levels_for(va_bits);
}

static bool PT(prot_ok)(unsigned int prot)
{
	return pt_prot_ok(prot);
}

/* The per-format object: "const struct gpt_fmt gpt_fmt_<name> = PT_FMT_OPS;" */
#define PT_FMT_OPS {						\
	.name		= __stringify(PT_FMT_NAME),			\
	.min_levels	= PT_MIN_LEVELS,				\
	.max_levels	= PT_MAX_LEVELS,				\
	.can_grow	= PT_CAN_GROW,					\
	.has_dirty	= PT_HAS_DIRTY,					\
	.max_pa_bits	= PT_MAX_PA_BITS,				\
	.dirty_bits	= PT_DIRTY_BITS,				\
	.run_max_log2	= PT_RUN_MAX_LOG2,				\
	.leaf_levels	= PT_LEAF_LEVELS,				\
	.levels_for	= PT(levels_for),				\
	.prot_ok	= PT(prot_ok),					\
	.fill		= PT(fill),					\
	.unmap		= PT(unmap),					\
	.lookup		= PT(lookup),					\
	.walk		= PT(walk),					\
	.split		= PT(split),					\
	.free_all	= PT(free_all),					\
	.entry		= PT(entry),					\
	.shrink		= PT(shrink),					\
}
