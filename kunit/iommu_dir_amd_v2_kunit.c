// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: AMD-Vi v2 (guest, x86-64 format) page tables on lib-gpt
 * against the driver's own io_pgtable_v2.c.
 *
 * QEMU 7.2's amd-iommu has no v2 tables, so the driver never builds one in
 * the guests.  This suite needs no AMD hardware at all: it puts each page
 * table in a protection_domain of its own that no device is attached to (a
 * flush then has nothing to do) and drives it through io_pgtable_ops, once
 * with io_pgtable_amd_iommu_v2_init_fns (the old code) and once through
 * alloc_io_pgtable_ops(AMD_IOMMU_V2), which the project's patch points at
 * lib-gpt.  Physical addresses are made up: nothing is ever accessed.
 *
 * The A/B case runs one operation sequence on both and compares every leaf
 * entry, found by walking both trees from pgd as the IOMMU does, bit for
 * bit except for one bit, checked to differ exactly as follows:
 *
 *  bit 6 (D):   the old code presets Dirty in every leaf, read-only ones
 *               included, so the IOMMU never writes it back; lib-gpt's
 *               x86-64 format leaves it for the walker to set, as v2
 *               domains do no dirty tracking either way.
 *
 * XD is clear in both.
 *
 * Everything else must match: present, R/W, U/S, A (preset by both), PS,
 * PWT and PCD (clear in both: DMA is coherent) and the address.  Table
 * entries are not compared: the old code never frees a table on unmap,
 * lib-gpt frees one when an unmap covers its span, so the trees may differ
 * in empty tables that translate nothing.
 *
 * Not compared, because the two differ on purpose (see amd-v2-gpt.c):
 * mapping over a present entry (old: replaced; lib-gpt: -EEXIST).
 * Unmapping part of a huge page removes the whole page in both, counted
 * from the requested IOVA (lib-gpt) or as the page's size (old).
 * Separate cases pin down each behaviour.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/gpt.h>
#include <linux/hmm.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/gpt-test.h>
#include <linux/iommu-dir.h>
#include <linux/kthread.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../amd/amd_iommu_types.h"
#include "../amd/amd_iommu.h"
#include "gpt-iommu.h"

#define V2_D		BIT_ULL(6)
#define V2_PS		BIT_ULL(7)
#define V2_XD		BIT_ULL(63)
#define V2_RW		BIT_ULL(1)
/* The bits the header comment explains; the rest must be equal. */
#define V2_AB_MASK	V2_D

#define TOP48		BIT_ULL(48)
/* Made-up physical addresses, 1 GiB aligned, below 2^52. */
#define PA_BASE		(SZ_1G * 5ULL)
#define PA_HIGH		(BIT_ULL(52) - SZ_1G)

#define RW		(IOMMU_PROT_IR | IOMMU_PROT_IW)
#define RO		IOMMU_PROT_IR

struct v2_pt {
	struct protection_domain *dom;
	struct io_pgtable_ops *ops;
	bool gpt;
	unsigned int levels;
};

struct v2_leaf {
	u64 iova;
	u64 pte;
	unsigned int level;
};

struct v2_leaves {
	struct v2_leaf *v;
	unsigned int n, max;
	long tables;	/* reachable from pgd, pgd included */
};

static void v2_pt_release(void *arg)
{
	struct v2_pt *pt = arg;
	struct io_pgtable *iop = &pt->dom->iop.pgtbl;

	if (pt->gpt)
		free_io_pgtable_ops(pt->ops);
	else
		io_pgtable_amd_iommu_v2_init_fns.free(iop);
	kfree(pt->dom);
}

/*
 * A protection_domain with what the map/unmap/flush paths touch set up as
 * protection_domain_alloc() would, and no device: flushes find nothing to
 * send.
 */
static struct protection_domain *pdom_new(struct kunit *test,
					  enum protection_domain_mode mode)
{
	struct protection_domain *dom = kzalloc(sizeof(*dom), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dom);
	spin_lock_init(&dom->lock);
	INIT_LIST_HEAD(&dom->dev_list);
	INIT_LIST_HEAD(&dom->dev_data_list);
	xa_init(&dom->iommu_array);
	dom->pd_mode = mode;
	dom->iop.pgtbl.cfg.amd.nid = NUMA_NO_NODE;
	return dom;
}

/*
 * A v2 table in a pdom_new() domain.  @gpt picks lib-gpt (through the
 * io-pgtable table, which also proves the wiring) or the driver's own v2
 * code (called directly).
 */
static struct v2_pt *v2_pt_new(struct kunit *test, bool gpt)
{
	struct v2_pt *pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);
	struct protection_domain *dom;
	struct io_pgtable *iop;

	KUNIT_ASSERT_NOT_NULL(test, pt);
	dom = pdom_new(test, PD_MODE_V2);
	pt->dom = dom;
	pt->gpt = gpt;
	pt->levels = amd_iommu_gpt_level;

	if (gpt) {
		pt->ops = alloc_io_pgtable_ops(AMD_IOMMU_V2, &dom->iop.pgtbl.cfg, dom);
		if (pt->ops && !dom->iop.gpt) {
			/* The old code's, allocated by the fallback. */
			free_io_pgtable_ops(pt->ops);
			kfree(dom);
			kunit_skip(test, "v2 domains do not use lib-gpt here (SME?)");
		}
	} else {
		iop = io_pgtable_amd_iommu_v2_init_fns.alloc(&dom->iop.pgtbl.cfg, dom);
		if (iop) {
			iop->fmt = AMD_IOMMU_V2;
			iop->cookie = dom;
			pt->ops = &iop->ops;
		}
	}
	if (!pt->ops)
		kfree(dom);
	KUNIT_ASSERT_NOT_NULL(test, pt->ops);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, v2_pt_release, pt));
	return pt;
}

/*
 * Split [iova, iova + size) into io-pgtable calls the way the iommu core
 * does: the largest supported page size that both addresses are aligned
 * to and that fits, as many of them as reach the next larger size's
 * boundary (if that size could be used there) or the end.
 */
static size_t v2_pgsize(unsigned long bitmap, u64 iova, u64 pa, u64 size,
			size_t *count)
{
	unsigned long fit = bitmap;
	size_t pgsize = 0, next = 0, span = size;
	int b;

	for_each_set_bit(b, &fit, BITS_PER_LONG) {
		if (BIT_ULL(b) > size || !IS_ALIGNED(iova | pa, BIT_ULL(b))) {
			if (pgsize && !next)
				next = BIT_ULL(b);
			continue;
		}
		pgsize = BIT_ULL(b);
		next = 0;
	}
	if (next && IS_ALIGNED(iova ^ pa, next) &&
	    round_up(iova + 1, next) - iova + next <= size)
		span = round_up(iova + 1, next) - iova;
	*count = span / pgsize;
	return pgsize;
}

static int v2_map(struct v2_pt *pt, u64 iova, u64 pa, u64 size, int prot)
{
	unsigned long bitmap = pt->dom->iop.pgtbl.cfg.pgsize_bitmap;
	size_t pgsize, count, mapped;
	int ret;

	while (size) {
		mapped = 0;
		pgsize = v2_pgsize(bitmap, iova, pa, size, &count);
		ret = pt->ops->map_pages(pt->ops, iova, pa, pgsize, count, prot,
					 GFP_KERNEL, &mapped);
		if (ret)
			return ret;
		if (mapped != pgsize * count)
			return -EIO;
		iova += mapped;
		pa += mapped;
		size -= mapped;
	}
	return 0;
}

/* iommu_unmap()'s loop: stop at the first call that unmaps nothing. */
static u64 v2_unmap(struct v2_pt *pt, u64 iova, u64 size)
{
	unsigned long bitmap = pt->dom->iop.pgtbl.cfg.pgsize_bitmap;
	size_t pgsize, count, r;
	u64 done = 0;

	while (done < size) {
		pgsize = v2_pgsize(bitmap, iova, iova, size - done, &count);
		r = pt->ops->unmap_pages(pt->ops, iova, pgsize, count, NULL);
		if (!r)
			break;
		iova += r;
		done += r;
	}
	return done;
}

static phys_addr_t v2_phys(struct v2_pt *pt, u64 iova)
{
	return pt->ops->iova_to_phys(pt->ops, iova);
}

static long v2_nr_tables(struct v2_pt *pt)
{
	return pt->dom->iop.gpt ? gpt_nr_tables(pt->dom->iop.gpt) : -1;
}

/* Every leaf reachable from pgd, in IOVA order, as the IOMMU walks them. */
static void v2_collect_level(struct kunit *test, struct v2_leaves *out,
			     u64 *table, unsigned int level, u64 base)
{
	unsigned int shift = PAGE_SHIFT + 9 * level, i;
	u64 e;

	for (i = 0; i < 512; i++) {
		e = READ_ONCE(table[i]);
		if (!(e & IOMMU_PTE_PR))
			continue;
		if (level && !(e & V2_PS)) {
			out->tables++;
			v2_collect_level(test, out, iommu_phys_to_virt(e & PM_ADDR_MASK),
					 level - 1, base + ((u64)i << shift));
			continue;
		}
		KUNIT_ASSERT_LT(test, out->n, out->max);
		out->v[out->n].iova = base + ((u64)i << shift);
		out->v[out->n].pte = e;
		out->v[out->n].level = level;
		out->n++;
	}
}

static void v2_collect(struct kunit *test, struct v2_pt *pt, struct v2_leaves *out)
{
	out->n = 0;
	out->tables = 1;
	v2_collect_level(test, out, pt->dom->iop.pgd, pt->levels - 1, 0);
}

KUNIT_DEFINE_ACTION_WRAPPER(v2_kvfree, kvfree, const void *);

static struct v2_leaves *v2_leaves_new(struct kunit *test, unsigned int max)
{
	struct v2_leaves *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, l);
	l->v = kvcalloc(max, sizeof(*l->v), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, l->v);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, v2_kvfree, l->v));
	l->max = max;
	return l;
}

/* The one leaf a tree holds: its level and raw entry. */
static u64 v2_only_leaf(struct kunit *test, struct v2_pt *pt, u64 iova,
			unsigned int *level)
{
	struct v2_leaves *l = v2_leaves_new(test, 4);

	v2_collect(test, pt, l);
	KUNIT_ASSERT_EQ(test, l->n, 1U);
	KUNIT_EXPECT_EQ(test, l->v[0].iova, iova);
	*level = l->v[0].level;
	return l->v[0].pte;
}

/* One map_pages call; a failed one must report nothing mapped. */
static int v2_map1(struct kunit *test, struct v2_pt *pt, u64 iova, u64 pa,
		   size_t pgsize, size_t count, int prot)
{
	size_t mapped = 0;
	int ret;

	ret = pt->ops->map_pages(pt->ops, iova, pa, pgsize, count, prot,
				 GFP_KERNEL, &mapped);
	KUNIT_EXPECT_EQ(test, mapped, ret ? 0 : pgsize * count);
	return ret;
}

static size_t v2_unmap1(struct v2_pt *pt, u64 iova, size_t pgsize, size_t count)
{
	return pt->ops->unmap_pages(pt->ops, iova, pgsize, count, NULL);
}

/*
 * lib-gpt's count of the tables it owns must be the number reachable from
 * pgd: a table neither in the tree nor on its way to being freed leaked.
 */
static void v2_check_tables(struct kunit *test, struct v2_pt *pt)
{
	struct v2_leaves *l = v2_leaves_new(test, 4096);

	v2_collect(test, pt, l);
	KUNIT_EXPECT_EQ(test, v2_nr_tables(pt), l->tables);
}

/*
 * With nothing mapped, tables that partial unmaps emptied stay until an
 * unmap covers their span (the old code keeps them for good).  One unmap
 * of the whole IOVA space covers them all: then only pgd may be left.
 */
static void v2_sweep(struct kunit *test, struct v2_pt *pt)
{
	size_t n = 1UL << (pt->dom->iop.pgtbl.cfg.ias - 30);

	v2_check_tables(test, pt);
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, 0, SZ_1G, n), 0);
	KUNIT_EXPECT_EQ(test, v2_nr_tables(pt), 1L);
}

/* ---- cases run on both implementations --------------------------------- */

static void v2_test_alloc(struct kunit *test)
{
	struct v2_pt *old = v2_pt_new(test, false);
	struct v2_pt *new = v2_pt_new(test, true);
	struct io_pgtable_cfg *oc = &old->dom->iop.pgtbl.cfg;
	struct io_pgtable_cfg *nc = &new->dom->iop.pgtbl.cfg;
	unsigned int levels;
	u64 top;

	KUNIT_EXPECT_EQ(test, nc->pgsize_bitmap, (unsigned long)AMD_IOMMU_PGSIZES_V2);
	KUNIT_EXPECT_EQ(test, nc->pgsize_bitmap, oc->pgsize_bitmap);
	/*
	 * With 4 levels the old code reports IOMMU_IN_ADDR_BIT_SIZE (52),
	 * though its table translates 48 bits (higher IOVAs alias lower
	 * ones); lib-gpt reports what it translates.  Nothing reads cfg.ias
	 * in the driver: the domain's aperture comes from dma_max_address().
	 */
	KUNIT_EXPECT_EQ(test, oc->ias, new->levels == 5 ? 57U : 52U);
	KUNIT_EXPECT_EQ(test, nc->ias, new->levels == 5 ? 57U : 48U);
	KUNIT_EXPECT_EQ(test, nc->oas, oc->oas);
	KUNIT_EXPECT_EQ(test, nc->oas, (unsigned int)IOMMU_OUT_ADDR_BIT_SIZE);
	/* pgd is what the driver writes into the GCR3 table. */
	gpt_top(new->dom->iop.gpt, &top, &levels);
	KUNIT_EXPECT_PTR_EQ(test, (void *)new->dom->iop.pgd, phys_to_virt(top));
	KUNIT_EXPECT_EQ(test, levels, new->levels);
	KUNIT_EXPECT_EQ(test, v2_nr_tables(new), 1L);
}

/* Map one page of @pgsize at @iova, check both ends, unmap it. */
static void v2_check_one(struct kunit *test, struct v2_pt *pt, u64 iova,
			 u64 pa, size_t pgsize, unsigned int want_level)
{
	unsigned int level;
	u64 pte;

	KUNIT_ASSERT_EQ(test, 0, v2_map1(test, pt, iova, pa, pgsize, 1, RW));
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova), pa);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova + 0x123), pa + 0x123);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova + pgsize - 1), pa + pgsize - 1);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova + pgsize / 2), pa + pgsize / 2);
	if (iova)
		KUNIT_EXPECT_EQ(test, v2_phys(pt, iova - 1), 0);
	if (iova + pgsize < TOP48)
		KUNIT_EXPECT_EQ(test, v2_phys(pt, iova + pgsize), 0);

	pte = v2_only_leaf(test, pt, iova, &level);
	KUNIT_EXPECT_EQ(test, level, want_level);
	KUNIT_EXPECT_EQ(test, pte & PM_ADDR_MASK, pa);
	KUNIT_EXPECT_EQ(test, !!(pte & V2_PS), want_level > 0);
	KUNIT_EXPECT_TRUE(test, pte & V2_RW);

	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, iova, pgsize, 1),
			pgsize);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova + pgsize - 1), 0);
}

static void v2_test_sizes(struct kunit *test, bool gpt)
{
	struct v2_pt *pt = v2_pt_new(test, gpt);

	v2_check_one(test, pt, SZ_1G, PA_BASE + SZ_4K, SZ_4K, 0);
	v2_check_one(test, pt, SZ_1G + SZ_2M, PA_BASE + SZ_2M, SZ_2M, 1);
	v2_check_one(test, pt, 3ULL * SZ_1G, PA_BASE, SZ_1G, 2);
	/* The last page of each size below 2^48, and the top of the PAs. */
	v2_check_one(test, pt, TOP48 - SZ_4K, PA_HIGH + SZ_1G - SZ_4K, SZ_4K, 0);
	v2_check_one(test, pt, TOP48 - SZ_2M, PA_HIGH + SZ_2M, SZ_2M, 1);
	v2_check_one(test, pt, TOP48 - SZ_1G, PA_HIGH, SZ_1G, 2);
	v2_check_one(test, pt, 0, PA_BASE, SZ_4K, 0);
	if (gpt)
		v2_sweep(test, pt);
}

static void v2_test_sizes_old(struct kunit *test)
{
	v2_test_sizes(test, false);
}

static void v2_test_sizes_gpt(struct kunit *test)
{
	v2_test_sizes(test, true);
}

/* Input both accept or refuse alike, without a WARN in either. */
static void v2_test_common_input(struct kunit *test, bool gpt)
{
	struct v2_pt *pt = v2_pt_new(test, gpt);
	unsigned int level;
	u64 pte;

	/* No permission at all. */
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G, PA_BASE, SZ_4K, 1, 0));
	/* No page. */
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G, PA_BASE, SZ_4K, 0, RW));
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G), 0);
	/* Nothing mapped: nothing unmapped. */
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, SZ_1G, SZ_4K, 4), 0);
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, SZ_1G, SZ_1G, 1), 0);

	/* x86-64 paging has no write-only page: IW alone maps read/write. */
	KUNIT_ASSERT_EQ(test, 0, v2_map1(test, pt, SZ_1G, PA_BASE, SZ_4K, 1, IOMMU_PROT_IW));
	pte = v2_only_leaf(test, pt, SZ_1G, &level);
	KUNIT_EXPECT_TRUE(test, pte & V2_RW);
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, SZ_1G, SZ_4K, 1),
			SZ_4K);
	/* Read-only. */
	KUNIT_ASSERT_EQ(test, 0, v2_map(pt, SZ_1G, PA_BASE, SZ_2M, RO));
	pte = v2_only_leaf(test, pt, SZ_1G, &level);
	KUNIT_EXPECT_FALSE(test, pte & V2_RW);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, SZ_1G, SZ_2M), SZ_2M);
}

static void v2_test_common_input_old(struct kunit *test)
{
	v2_test_common_input(test, false);
}

static void v2_test_common_input_gpt(struct kunit *test)
{
	v2_test_common_input(test, true);
}

/* ---- lib-gpt only ------------------------------------------------------- */

/*
 * Input the old code takes with a WARN or gets wrong (an IOVA at or above
 * 2^48 aliases to the bottom of the space there): refused here, cleanly.
 */
static void v2_test_bad_input_gpt(struct kunit *test)
{
	struct v2_pt *pt = v2_pt_new(test, true);

	/* Page sizes the table does not have, or not one size. */
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G, PA_BASE, SZ_8K, 1, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G, PA_BASE, SZ_4M, 1, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G, PA_BASE, SZ_4K | SZ_2M, 1, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G, PA_BASE, 0, 1, RW));
	/* Addresses not aligned to the page size. */
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G + SZ_4K, PA_BASE, SZ_2M, 1, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G, PA_BASE + SZ_4K, SZ_2M, 1, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, v2_map1(test, pt, SZ_1G + 1, PA_BASE, SZ_4K, 1, RW));
	/* Beyond 2^48, across it, beyond the output width, overflowing. */
	KUNIT_EXPECT_EQ(test, -ERANGE, v2_map1(test, pt, TOP48, PA_BASE, SZ_4K, 1, RW));
	KUNIT_EXPECT_EQ(test, -ERANGE, v2_map1(test, pt, TOP48 - SZ_4K, PA_BASE, SZ_4K, 2, RW));
	KUNIT_EXPECT_EQ(test, -ERANGE, v2_map1(test, pt, SZ_1G, BIT_ULL(52), SZ_4K, 1, RW));
	KUNIT_EXPECT_EQ(test, -ERANGE, v2_map1(test, pt, SZ_1G, PA_BASE, SZ_1G, SIZE_MAX / 2, RW));
	KUNIT_EXPECT_EQ(test, v2_phys(pt, 0), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, TOP48 - SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, TOP48), 0);
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, SZ_1G, SZ_8K, 1), 0);
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, TOP48, SZ_4K, 1), 0);
	KUNIT_EXPECT_EQ(test, v2_nr_tables(pt), 1L);
}

/*
 * Mapping over a present translation: -EEXIST, and the map changes nothing,
 * not even the pages before the overlap (the old code replaced it).
 */
static void v2_test_overlap_gpt(struct kunit *test)
{
	struct v2_pt *pt = v2_pt_new(test, true);

	KUNIT_ASSERT_EQ(test, 0, v2_map(pt, SZ_1G + SZ_8K, PA_BASE, SZ_4K, RW));
	KUNIT_EXPECT_EQ(test, -EEXIST, v2_map1(test, pt, SZ_1G, PA_HIGH, SZ_4K, 4, RW));
	KUNIT_EXPECT_EQ(test, -EEXIST, v2_map1(test, pt, SZ_1G, PA_HIGH, SZ_2M, 1, RW));
	KUNIT_EXPECT_EQ(test, -EEXIST, v2_map1(test, pt, 0, PA_BASE, SZ_1G, 2, RW));
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G + SZ_8K), PA_BASE);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, 0), 0);
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, SZ_1G, SZ_2M), SZ_2M);
	v2_sweep(test, pt);
}

/*
 * The old code, asked to unmap part of a huge page, removes the whole page
 * and says so; the iommu core accepts any count of at least the request.
 */
static void v2_test_partial_unmap_old(struct kunit *test)
{
	struct v2_pt *pt = v2_pt_new(test, false);

	KUNIT_ASSERT_EQ(test, 0, v2_map(pt, SZ_1G, PA_BASE, SZ_2M, RW));
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, SZ_1G + SZ_8K, SZ_4K, 1), SZ_2M);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G + SZ_2M - 1), 0);
}

/*
 * lib-gpt too removes the whole huge page and reports it from the
 * requested IOVA on: an unmap never allocates, so it cannot split.
 */
static void v2_test_partial_unmap_gpt(struct kunit *test)
{
	struct v2_pt *pt = v2_pt_new(test, true);
	u64 iova = 4ULL * SZ_1G;

	KUNIT_ASSERT_EQ(test, 0, v2_map(pt, SZ_1G, PA_BASE, SZ_2M, RW));
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, SZ_1G + SZ_8K, SZ_4K, 1), SZ_2M - SZ_8K);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, SZ_1G + SZ_2M - 1), 0);

	/* A 2 MiB cut in the middle of a 1 GiB page takes all of it. */
	KUNIT_ASSERT_EQ(test, 0, v2_map(pt, iova, PA_HIGH, SZ_1G, RO));
	KUNIT_EXPECT_EQ(test, v2_unmap1(pt, iova + SZ_4M, SZ_2M, 1), SZ_1G - SZ_4M);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova), 0);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova + SZ_1G - 1), 0);
	v2_sweep(test, pt);
}

/*
 * 5-level tables: the driver picks them at init when the IOMMU and the
 * CPU have them; the height is read once, when the table is allocated.
 */
static void v2_test_five_levels_gpt(struct kunit *test)
{
	int saved = amd_iommu_gpt_level;
	u64 top57 = BIT_ULL(57);
	struct v2_pt *pt;

	amd_iommu_gpt_level = PAGE_MODE_5_LEVEL;
	pt = v2_pt_new(test, true);
	amd_iommu_gpt_level = saved;
	KUNIT_ASSERT_EQ(test, pt->levels, 5U);
	KUNIT_EXPECT_EQ(test, pt->dom->iop.pgtbl.cfg.ias, 57U);

	v2_check_one(test, pt, top57 - SZ_1G, PA_HIGH, SZ_1G, 2);
	v2_check_one(test, pt, top57 - SZ_4K, PA_BASE, SZ_4K, 0);
	v2_check_one(test, pt, TOP48, PA_BASE + SZ_2M, SZ_2M, 1);
	KUNIT_EXPECT_EQ(test, -ERANGE, v2_map(pt, top57, PA_BASE, SZ_4K, RW));
	v2_sweep(test, pt);
}

/* ---- A/B: the same operations on both ---------------------------------- */

struct v2_ab {
	struct kunit *test;
	struct v2_pt *pt[2];
	struct v2_leaves *l[2];
	unsigned int compared;
};

static void v2_ab_map(struct v2_ab *ab, u64 iova, u64 pa, u64 size, int prot)
{
	KUNIT_ASSERT_EQ(ab->test, 0, v2_map(ab->pt[0], iova, pa, size, prot));
	KUNIT_ASSERT_EQ(ab->test, 0, v2_map(ab->pt[1], iova, pa, size, prot));
}

static void v2_ab_unmap(struct v2_ab *ab, u64 iova, u64 size)
{
	KUNIT_EXPECT_EQ(ab->test, v2_unmap(ab->pt[0], iova, size), size);
	KUNIT_EXPECT_EQ(ab->test, v2_unmap(ab->pt[1], iova, size), size);
}

static u64 v2_leaf_size(const struct v2_leaf *l)
{
	return (u64)SZ_4K << (9 * l->level);
}

/* Both trees, leaf by leaf, from pgd. */
static void v2_ab_compare(struct v2_ab *ab)
{
	struct kunit *test = ab->test;
	struct v2_leaf *a, *b;
	unsigned int i;

	v2_collect(test, ab->pt[0], ab->l[0]);
	v2_collect(test, ab->pt[1], ab->l[1]);
	KUNIT_ASSERT_EQ(test, ab->l[0]->n, ab->l[1]->n);
	for (i = 0; i < ab->l[0]->n; i++) {
		a = &ab->l[0]->v[i];
		b = &ab->l[1]->v[i];
		KUNIT_ASSERT_EQ_MSG(test, a->iova, b->iova, "leaf %u", i);
		KUNIT_ASSERT_EQ_MSG(test, a->level, b->level, "iova %llx", a->iova);
		KUNIT_ASSERT_EQ_MSG(test, a->pte & ~V2_AB_MASK, b->pte & ~V2_AB_MASK,
				    "iova %llx old %llx gpt %llx", a->iova, a->pte, b->pte);
		/* The masked bits differ exactly as documented. */
		KUNIT_ASSERT_EQ_MSG(test, a->pte & V2_AB_MASK, V2_D, "iova %llx", a->iova);
		KUNIT_ASSERT_EQ_MSG(test, b->pte & V2_AB_MASK, 0, "iova %llx", b->iova);
		/* Translations at the first, a middle and the last byte. */
		KUNIT_ASSERT_EQ(test, v2_phys(ab->pt[0], a->iova), v2_phys(ab->pt[1], a->iova));
		KUNIT_ASSERT_EQ(test, v2_phys(ab->pt[1], a->iova + 0x5a8),
				(a->pte & PM_ADDR_MASK) + 0x5a8);
		KUNIT_ASSERT_EQ(test,
				v2_phys(ab->pt[1], a->iova + v2_leaf_size(a) - 1),
				v2_phys(ab->pt[0], a->iova + v2_leaf_size(a) - 1));
	}
	ab->compared += ab->l[0]->n;
}

/* The random part: slots of 4 MiB, each holding at most one mapping. */
#define AB_SLOTS	32
#define AB_SLOT		SZ_4M
#define AB_RND_BASE	(SZ_1G * 64ULL)
#define AB_RND_OPS	2000
#define AB_SEED		0x67707476ULL

static const int v2_ab_prots[] = { RW, RO, IOMMU_PROT_IW };

struct v2_ab_slot {
	u64 iova, size;
	bool mapped;
	bool split_ok;	/* no huge leaf: may be unmapped in two pieces */
};

static void v2_ab_random(struct v2_ab *ab)
{
	struct v2_ab_slot *slots;
	struct rnd_state rnd;
	unsigned int op, s;
	u64 off, npages, pa, cut;
	int prot;

	slots = kunit_kcalloc(ab->test, AB_SLOTS, sizeof(*slots), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(ab->test, slots);
	prandom_seed_state(&rnd, AB_SEED);
	kunit_info(ab->test, "seed %#llx, %u ops", AB_SEED, AB_RND_OPS);

	for (op = 0; op < AB_RND_OPS; op++) {
		struct v2_ab_slot *sl;

		s = prandom_u32_state(&rnd) % AB_SLOTS;
		sl = &slots[s];
		if (sl->mapped) {
			if (sl->split_ok && sl->size > SZ_4K && prandom_u32_state(&rnd) & 1) {
				npages = sl->size / SZ_4K;
				cut = (1 + prandom_u32_state(&rnd) % (npages - 1)) * SZ_4K;
				v2_ab_unmap(ab, sl->iova, cut);
				v2_ab_unmap(ab, sl->iova + cut, sl->size - cut);
			} else {
				v2_ab_unmap(ab, sl->iova, sl->size);
			}
			sl->mapped = false;
		} else {
			/* Often 2 MiB-aligned and long enough for a huge leaf. */
			if (prandom_u32_state(&rnd) % 3) {
				off = (prandom_u32_state(&rnd) % 2) * SZ_2M;
				npages = 512 * (1 + (off ? 0 : prandom_u32_state(&rnd) % 2));
			} else {
				off = (prandom_u32_state(&rnd) % 1024) * SZ_4K;
				npages = 1 + prandom_u32_state(&rnd) % ((AB_SLOT - off) / SZ_4K);
			}
			pa = PA_BASE + (u64)(prandom_u32_state(&rnd) % 4096) * SZ_2M;
			/* Every third mapping is not 2 MiB-alignable. */
			if (!(prandom_u32_state(&rnd) % 3))
				pa += (1 + prandom_u32_state(&rnd) % 511) * SZ_4K;
			else
				pa += off % SZ_2M;
			prot = v2_ab_prots[prandom_u32_state(&rnd) % ARRAY_SIZE(v2_ab_prots)];
			sl->iova = AB_RND_BASE + (u64)s * AB_SLOT + off;
			sl->size = npages * SZ_4K;
			sl->split_ok = !IS_ALIGNED(sl->iova ^ pa, SZ_2M) || sl->size < SZ_2M;
			v2_ab_map(ab, sl->iova, pa, sl->size, prot);
			sl->mapped = true;
		}
		if (op % 100 == 99)
			v2_ab_compare(ab);
	}
	for (s = 0; s < AB_SLOTS; s++)
		if (slots[s].mapped)
			v2_ab_unmap(ab, slots[s].iova, slots[s].size);
}

static void v2_test_ab(struct kunit *test)
{
	struct v2_ab ab = { .test = test };
	u64 emptied = 2ULL * SZ_1G + SZ_2M * 3;

	ab.pt[0] = v2_pt_new(test, false);
	ab.pt[1] = v2_pt_new(test, true);
	ab.l[0] = v2_leaves_new(test, AB_SLOTS * 1024 + 2048);
	ab.l[1] = v2_leaves_new(test, AB_SLOTS * 1024 + 2048);

	/* Fixed part: every size, both permissions, the top of the space. */
	v2_ab_map(&ab, SZ_1G, PA_BASE + SZ_4K, 37 * SZ_4K, RW);
	v2_ab_map(&ab, SZ_1G + SZ_2M, PA_BASE + SZ_2M, 3 * SZ_2M, RO);
	/* Mixed: 4 KiB up to a 2 MiB boundary, 2 MiB pages, 4 KiB tail. */
	v2_ab_map(&ab, SZ_1G + SZ_16M - SZ_64K, PA_BASE + SZ_16M - SZ_64K,
		  SZ_64K + SZ_4M + SZ_8K, RW);
	v2_ab_map(&ab, 3ULL * SZ_1G, PA_HIGH, SZ_1G, RW);
	v2_ab_map(&ab, TOP48 - SZ_1G - SZ_2M, PA_BASE - SZ_2M, SZ_2M + SZ_1G, RW);
	/* Same alignment, 2 MiB apart in PA: only 4 KiB leaves possible. */
	v2_ab_map(&ab, 5ULL * SZ_1G, PA_BASE + SZ_4K * 3, SZ_4M, IOMMU_PROT_IW);
	v2_ab_compare(&ab);

	/*
	 * A table emptied by two partial unmaps, then a 2 MiB page over it:
	 * both flush and free the table in that map; the leaves are the
	 * same, and lib-gpt owns no table it cannot reach.
	 */
	v2_ab_map(&ab, emptied, PA_BASE + SZ_4K, SZ_2M, RW);
	v2_ab_unmap(&ab, emptied, SZ_1M);
	v2_ab_unmap(&ab, emptied + SZ_1M, SZ_1M);
	v2_ab_map(&ab, emptied, PA_BASE, SZ_2M, RO);
	v2_ab_compare(&ab);
	v2_check_tables(test, ab.pt[1]);

	v2_ab_unmap(&ab, SZ_1G + SZ_2M, 3 * SZ_2M);
	v2_ab_unmap(&ab, TOP48 - SZ_1G - SZ_2M, SZ_2M + SZ_1G);
	v2_ab_compare(&ab);

	v2_ab_random(&ab);
	v2_ab_compare(&ab);

	v2_ab_unmap(&ab, SZ_1G, 37 * SZ_4K);
	v2_ab_unmap(&ab, SZ_1G + SZ_16M - SZ_64K, SZ_64K + SZ_4M + SZ_8K);
	v2_ab_unmap(&ab, 3ULL * SZ_1G, SZ_1G);
	v2_ab_unmap(&ab, 5ULL * SZ_1G, SZ_4M);
	v2_ab_unmap(&ab, emptied, SZ_2M);
	v2_ab_compare(&ab);
	KUNIT_EXPECT_EQ(test, ab.l[0]->n, 0U);
	kunit_info(test, "%u leaves compared", ab.compared);

	/* Leak check. */
	v2_sweep(test, ab.pt[1]);
}

/*
 * Every size, unmapped piecewise and out of order, huge pages cut: at each
 * step the tables lib-gpt owns are exactly those reachable from pgd.
 */
static void v2_test_no_leak_gpt(struct kunit *test)
{
	struct v2_pt *pt = v2_pt_new(test, true);
	u64 iova = 8ULL * SZ_1G;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, 0, v2_map(pt, iova, PA_BASE, SZ_1G + SZ_2M + SZ_4K, RW));
	KUNIT_ASSERT_EQ(test, 0, v2_map(pt, TOP48 - SZ_4M, PA_BASE + SZ_4K, SZ_4M, RO));
	KUNIT_EXPECT_EQ(test, v2_nr_tables(pt), 8L);
	v2_check_tables(test, pt);
	/* A cut into the 1 GiB page takes it whole, counted from the cut on. */
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, iova + SZ_1G - SZ_1M, SZ_1M), SZ_1M);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova), 0);
	v2_check_tables(test, pt);
	/* 4 KiB pages where it was: tables come, and stay when emptied. */
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, 0, v2_map(pt, iova + i * (SZ_1G / 8), PA_BASE,
						SZ_4K, RW));
		v2_check_tables(test, pt);
	}
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_EQ(test, v2_unmap(pt, iova + i * (SZ_1G / 8), SZ_4K), SZ_4K);
		v2_check_tables(test, pt);
	}
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, iova + SZ_1G + SZ_4M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, TOP48 - SZ_4M, SZ_4M), SZ_4M);
	v2_check_tables(test, pt);
	KUNIT_EXPECT_EQ(test, v2_phys(pt, iova + SZ_1G + SZ_2M), PA_BASE + SZ_1G + SZ_2M);
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, iova + SZ_1G, SZ_4M), SZ_4M);
	/* A whole 1 GiB span: its emptied tables go too. */
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, iova, SZ_1G), 0);
	v2_check_tables(test, pt);
	v2_sweep(test, pt);
}

/*
 * The directory op on a v2 domain: a 2 MiB run becomes one 2 MiB leaf,
 * entries without HMM_PFN_WRITE are read-only, invalid ones stay unmapped;
 * an update moves a page (splitting the 2 MiB leaf without a hole) and
 * drops one; the flushes go to the gather, none issued by the op itself.
 */
static void v2_test_map_dir_gpt(struct kunit *test)
{
	struct v2_pt *pt = v2_pt_new(test, true);
	struct iommu_domain *d = &pt->dom->domain;
	unsigned long base = PA_BASE >> PAGE_SHIFT, i, bad = 0;
	unsigned long *pfns = kunit_kcalloc(test, 1024, sizeof(*pfns), GFP_KERNEL);
	struct iommu_iotlb_gather gather;
	u64 iova = 3ULL * SZ_1G, *e;
	unsigned int level;

	KUNIT_ASSERT_NOT_NULL(test, pfns);
	for (i = 0; i < 512; i++)
		pfns[i] = HMM_PFN_VALID | HMM_PFN_WRITE | (base + i);
	for (i = 512; i < 1024; i++)
		pfns[i] = i % 2 ? HMM_PFN_VALID | (base + 4096 + i) : 0;
	iommu_iotlb_gather_init(&gather);
	KUNIT_ASSERT_EQ(test, amd_gpt_map_dir(d, iova, pfns, 1024, IOMMU_READ | IOMMU_WRITE,
					      0, GFP_KERNEL, &gather), 0);
	KUNIT_EXPECT_GT(test, gather.start, gather.end);

	e = gpt_leaf_entry(pt->dom->iop.gpt, iova, &level);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, level, 1);
	KUNIT_EXPECT_TRUE(test, *e & V2_RW);
	e = gpt_leaf_entry(pt->dom->iop.gpt, iova + 513 * SZ_4K, &level);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, level, 0);
	KUNIT_EXPECT_FALSE(test, *e & V2_RW);
	for (i = 0; i < 1024; i++) {
		phys_addr_t want = pfns[i] ? PFN_PHYS(pfns[i] & ~HMM_PFN_FLAGS) + 8 : 0;

		if (v2_phys(pt, iova + i * SZ_4K + 8) != want)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);

	pfns[3] = HMM_PFN_VALID | (base + 900);
	pfns[513] = 0;
	KUNIT_ASSERT_EQ(test, amd_gpt_map_dir(d, iova, pfns, 1024, IOMMU_READ | IOMMU_WRITE,
					      IOMMU_DIR_UPDATE, GFP_KERNEL, &gather), 0);
	KUNIT_EXPECT_LE(test, gather.start, iova + 3 * SZ_4K);
	KUNIT_EXPECT_GE(test, gather.end, iova + 514 * SZ_4K - 1);
	for (i = 0, bad = 0; i < 1024; i++) {
		phys_addr_t want = pfns[i] ? PFN_PHYS(pfns[i] & ~HMM_PFN_FLAGS) + 8 : 0;

		if (v2_phys(pt, iova + i * SZ_4K + 8) != want)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, v2_unmap(pt, iova, SZ_4M), SZ_4M);
	v2_check_tables(test, pt);
}

/*
 * SME: lib-gpt never builds AMD-Vi tables whose addresses would lack the
 * C-bit; the driver's own code takes over.
 */
static void v2_test_sme_fallback(struct kunit *test)
{
	bool was = iommu_gpt_enabled;

	iommu_gpt_enabled = true;
	KUNIT_EXPECT_TRUE(test, amd_gpt_wanted(0));
	KUNIT_EXPECT_FALSE(test, amd_gpt_wanted(BIT_ULL(47)));
	KUNIT_EXPECT_FALSE(test, amd_gpt_wanted(BIT_ULL(51)));
	iommu_gpt_enabled = false;
	KUNIT_EXPECT_FALSE(test, amd_gpt_wanted(0));
	iommu_gpt_enabled = was;
}

/*
 * AMD-Vi v1 growth: the mapper that grows the tree raises pgtable->mode,
 * then points the device table entries at the new root.  A second map above
 * the old reach must not return in between: the DTEs still have the old
 * mode and its DMA would fault.  Here the first mapper is held right there
 * (domain lock taken, mode raised, DTEs not yet updated) by a thread on
 * one CPU while a map runs on another; the map must wait for the lock.
 */
struct v1_grow {
	struct protection_domain *dom;
	struct io_pgtable_ops *ops;
	struct completion go, held, mapped;
	bool started, returned_early;
	int ret;
};

static int v1_grow_holder(void *arg)
{
	struct v1_grow *t = arg;
	unsigned long flags;
	int ms;

	spin_lock_irqsave(&t->dom->lock, flags);
	t->dom->iop.mode = t->dom->iop.mode + 1;
	complete(&t->go);
	for (ms = 0; ms < 2000 && !READ_ONCE(t->started); ms++)
		mdelay(1);
	/* Ample time, under TCG too, for a map that does not wait to return. */
	mdelay(100);
	t->returned_early = completion_done(&t->mapped);
	spin_unlock_irqrestore(&t->dom->lock, flags);
	complete(&t->held);
	return 0;
}

static int v1_grow_mapper(void *arg)
{
	struct v1_grow *t = arg;
	size_t mapped = 0;

	wait_for_completion(&t->go);
	WRITE_ONCE(t->started, true);
	t->ret = t->ops->map_pages(t->ops, BIT_ULL(40) + SZ_4K, PA_BASE, SZ_4K, 1,
				   IOMMU_READ, GFP_KERNEL, &mapped);
	complete(&t->mapped);
	return 0;
}

static void v1_test_growth_waits_for_dte(struct kunit *test)
{
	struct task_struct *holder, *mapper;
	struct amd_io_pgtable *pgtable;
	struct protection_domain *dom;
	struct io_pgtable_ops *ops;
	struct gpt_gather g;
	struct v1_grow *t;
	unsigned int levels;
	int published;
	u64 top;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	dom = pdom_new(test, PD_MODE_V1);
	ops = alloc_io_pgtable_ops(AMD_IOMMU_V1, &dom->iop.pgtbl.cfg, dom);
	if (!ops || !dom->iop.gpt) {
		if (ops)
			free_io_pgtable_ops(ops);
		kfree(dom);
		kunit_skip(test, "v1 domains do not use lib-gpt here");
	}
	pgtable = &dom->iop;
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);

	/* The first mapper's lib-gpt call: the tree now reaches 2^48. */
	gpt_gather_init(&g);
	KUNIT_ASSERT_EQ(test, gpt_map(pgtable->gpt, BIT_ULL(40), PA_BASE, SZ_4K,
				      GPT_READ, &g, GFP_KERNEL), 0);
	gpt_gather_free(&g);
	gpt_top(pgtable->gpt, &top, &levels);
	KUNIT_ASSERT_EQ(test, levels, pgtable->mode + 1);

	t->dom = dom;
	t->ops = ops;
	init_completion(&t->go);
	init_completion(&t->held);
	init_completion(&t->mapped);
	holder = kthread_create(v1_grow_holder, t, "v1-grow-holder");
	mapper = kthread_create(v1_grow_mapper, t, "v1-grow-mapper");
	KUNIT_ASSERT_FALSE(test, IS_ERR(holder) || IS_ERR(mapper));
	kthread_bind(holder, cpumask_first(cpu_online_mask));
	kthread_bind(mapper, cpumask_next(cpumask_first(cpu_online_mask), cpu_online_mask));
	wake_up_process(mapper);
	wake_up_process(holder);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&t->held, 30 * HZ));
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&t->mapped, 30 * HZ));

	KUNIT_EXPECT_TRUE(test, READ_ONCE(t->started));
	KUNIT_EXPECT_FALSE(test, t->returned_early);
	KUNIT_EXPECT_EQ(test, t->ret, 0);
	published = READ_ONCE(pgtable->gpt_mode);
	KUNIT_EXPECT_EQ(test, published, (int)levels);
	free_io_pgtable_ops(ops);
	kfree(dom);
}

static struct kunit_case v2_test_cases[] = {
	KUNIT_CASE(v2_test_sme_fallback),
	KUNIT_CASE(v2_test_alloc),
	KUNIT_CASE(v2_test_sizes_old),
	KUNIT_CASE(v2_test_sizes_gpt),
	KUNIT_CASE(v2_test_common_input_old),
	KUNIT_CASE(v2_test_common_input_gpt),
	KUNIT_CASE(v2_test_bad_input_gpt),
	KUNIT_CASE(v2_test_overlap_gpt),
	KUNIT_CASE(v2_test_partial_unmap_old),
	KUNIT_CASE(v2_test_partial_unmap_gpt),
	KUNIT_CASE(v2_test_five_levels_gpt),
	KUNIT_CASE(v2_test_ab),
	KUNIT_CASE(v2_test_no_leak_gpt),
	KUNIT_CASE(v2_test_map_dir_gpt),
	KUNIT_CASE(v1_test_growth_waits_for_dte),
	{}
};

static struct kunit_suite v2_test_suite = {
	.name = "amd_v2_gpt",
	.test_cases = v2_test_cases,
};

kunit_test_suites(&v2_test_suite);

MODULE_DESCRIPTION("KUnit tests for AMD-Vi v2 page tables on lib-gpt");
MODULE_LICENSE("GPL");
