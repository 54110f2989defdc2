// SPDX-License-Identifier: GPL-2.0
/*
 * gpt_edu_dir - real device DMA through mappings made with the iommu
 * directory API.
 *
 * Why this exists: the directory API (iommu_dir_map / _update / _unmap)
 * takes the page arrays hmm_range_fault() fills and programs the IOMMU from
 * them, with one IOTLB flush per call.  KUnit can check what the page table
 * then holds, but only a device behind the IOMMU shows what matters to a
 * mirror: the device reaches every valid entry at its IOVA and nothing
 * else, read-only entries stay read-only, after an update it sees the new
 * page and never the old one, and after an unmap it sees nothing.  QEMU's
 * edu device does the DMA (see edu-dma.h for how it is driven).
 *
 * Why it looks the way it does:
 *  - Everything edu reaches, its staging pages included, is mapped through
 *    the directory; iommu_map() is never called.
 *  - Before an update or an unmap the device touches the pages concerned,
 *    so that QEMU holds their translations in its IOTLB (VT-d runs with
 *    caching-mode off, AMD-Vi caches per domain): a flush the call forgot
 *    then shows up as a device access that still reaches the old page.
 *  - The IOVAs lie above 2^40, clear of the MSI window and of AMD's
 *    reserved hole, in one 1 GiB-aligned slot per test; the last test
 *    checks that the directory refuses those reserved windows itself.
 *  - Huge pages: a 2 MiB run of aligned, contiguous pages must become one
 *    2 MiB IOMMU page, and a 1 GiB-aligned range of RAM one 1 GiB page.
 *    The leaf sizes are read from lib-gpt behind the driver (edu_dir.h).
 *    Of the 1 GiB the device only reads, through a read-only mapping: that
 *    memory belongs to the rest of the guest.  The guest needs 3 GiB of RAM
 *    for such a gigabyte ([4 GiB, 5 GiB) on q35); with less the 1 GiB page
 *    is checked by lookups only, and the test says so.
 *  - "# dir: " lines summarise what was mapped and what the device saw, for
 *    the report of "make run"; other "# " lines are details.
 *  - no_flush=1 is the negative control: the updates then go to lib-gpt
 *    directly and nothing flushes the IOTLB, so the update tests must fail.
 *    It proves on every run that a missing flush is visible to the device
 *    here, which is what makes the passing update tests mean something.
 */

#include <linux/gpt.h>
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "edu-dma.h"
#include "edu_dir.h"

static bool no_flush;
module_param(no_flush, bool, 0444);
MODULE_PARM_DESC(no_flush,
		 "Negative control: updates go to lib-gpt directly, without the IOTLB flush, so the update checks must fail");

/* One 1 GiB slot per test, far from the reserved windows. */
#define DIR_BASE		BIT_ULL(41)
#define IOVA_STAGE		(DIR_BASE + 0x00000)	/* loads the edu buffer */
#define IOVA_SINK		(DIR_BASE + 0x10000)	/* reads it back */
#define IOVA_MAP		(DIR_BASE + 1ULL * SZ_1G)
#define IOVA_RO			(DIR_BASE + 2ULL * SZ_1G)
#define IOVA_UPD		(DIR_BASE + 3ULL * SZ_1G)
#define IOVA_HUGE		(DIR_BASE + 4ULL * SZ_1G)
#define IOVA_BAD		(DIR_BASE + 5ULL * SZ_1G)
#define IOVA_GIGA		BIT_ULL(42)
#define IOVA_TOP		(BIT_ULL(48) - SZ_2M)

#define MAP_N			16	/* entries of the plain array */
#define MAP_HOLE_PFN		5	/* a pfn, but no HMM_PFN_VALID */
#define MAP_HOLE_ZERO		11	/* all zero */
#define RO_N			4
#define UPD_N			8
#define HUGE_N			(SZ_2M / PAGE_SIZE)
#define HUGE_ORDER		9
#define HUGE_SPLIT		300	/* the entry the update replaces */
#define GIGA_N			(SZ_1G / PAGE_SIZE)
#define TOP_N			(SZ_2M / PAGE_SIZE)
/* 1 GiB-aligned physical ranges tried for the 1 GiB page, from 1 GiB up */
#define GIGA_MAX_PHYS		(64ULL * SZ_1G)
#define MAX_PAGES		128

struct edu_dir {
	struct edu_dev edu;
	struct iommu_dir dir;
	bool dir_ready;
	struct gpt *gpt;	/* the domain's table, for leaf sizes, or NULL */
	struct page *pages[MAX_PAGES];	/* all freed at remove */
	unsigned int nr_pages;
	struct page *huge;	/* HUGE_N pages, physically aligned */
	struct page *stage;
	struct page *sink;
	u64 bytes_verified;
	/* what one test leaves mapped for the next */
	struct page *map_pg[MAP_N];
	struct page *hole;
	struct page *upd_pg[UPD_N];
	unsigned long huge_pfns[HUGE_N];
};

static bool dir_probed;

static const char *suite_name(void)
{
	return no_flush ? "gpt_edu_dir_no_flush" : "gpt_edu_dir";
}

static struct edu_dir *to_dir(struct edu_dev *edu)
{
	return container_of(edu, struct edu_dir, edu);
}

/* ---- pages and arrays ----------------------------------------------------- */

static struct page *dir_alloc(struct edu_dir *ed)
{
	struct page *page;

	if (ed->nr_pages == MAX_PAGES)
		return NULL;
	page = alloc_page(GFP_KERNEL);
	if (page)
		ed->pages[ed->nr_pages++] = page;
	return page;
}

/* A copy of @page, to check later that the device left it alone. */
static struct page *dir_keep(struct edu_dir *ed, struct page *page)
{
	struct page *copy = dir_alloc(ed);

	if (copy)
		memcpy(page_address(copy), page_address(page), PAGE_SIZE);
	return copy;
}

static unsigned int diff_bytes(const void *a, const void *b, unsigned int len)
{
	const u8 *x = a, *y = b;
	unsigned int i, bad = 0;

	for (i = 0; i < len; i++)
		bad += x[i] != y[i];
	return bad;
}

/* Bytes of @page that differ from its copy @kept. */
static unsigned int dir_changed(struct edu_dir *ed, struct page *page,
				struct page *kept)
{
	ed->bytes_verified += PAGE_SIZE;
	return diff_bytes(page_address(page), page_address(kept), PAGE_SIZE);
}

/* The hmm_range_fault() form of @page. */
static unsigned long pfn_entry(struct page *page, bool writable)
{
	return HMM_PFN_VALID | (writable ? HMM_PFN_WRITE : 0) |
	       page_to_pfn(page);
}

static bool entry_valid(unsigned long v)
{
	return (v & (HMM_PFN_VALID | HMM_PFN_ERROR)) == HMM_PFN_VALID;
}

static phys_addr_t entry_phys(unsigned long v)
{
	return entry_valid(v) ? PFN_PHYS(v & ~HMM_PFN_FLAGS) : 0;
}

/* A page poisoned but for [0, EDU_XFER), which holds pattern @seed. */
static void fill_half(struct page *page, u8 seed)
{
	fill_pattern(page, seed);
	memset(page_address(page) + EDU_XFER, POISON, PAGE_SIZE - EDU_XFER);
}

/*
 * Translations of the entries at @iova that disagree with @pfns, looking at
 * every @step-th entry and the last.
 */
static unsigned long xlate_mismatches(struct edu_dir *ed, u64 iova,
				      const unsigned long *pfns,
				      unsigned long n, unsigned long step)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i = (i + step < n || i == n - 1) ? i + step : n - 1) {
		u64 at = iova + i * PAGE_SIZE + ((i * 0x48) & ~PAGE_MASK);
		phys_addr_t want = entry_phys(pfns[i]);
		phys_addr_t got = iommu_iova_to_phys(ed->edu.domain, at);

		if (want)
			want += at & ~PAGE_MASK;
		if (got != want && bad++ < 3)
			diag("IOVA %#llx translates to %pa, expected %pa", at,
			     &got, &want);
	}
	return bad;
}

/* Nothing at all translates in [iova, iova + n pages). */
static unsigned long xlate_left(struct edu_dir *ed, u64 iova, unsigned long n,
				unsigned long step)
{
	unsigned long i, left = 0;

	for (i = 0; i < n; i = (i + step < n || i == n - 1) ? i + step : n - 1)
		left += !!iommu_iova_to_phys(ed->edu.domain, iova + i * PAGE_SIZE);
	return left;
}

/* Size of the IOMMU page that maps @iova: 0 if unmapped, -1 if unknown. */
static s64 leaf_size(struct edu_dir *ed, u64 iova)
{
	struct gpt_leaf leaf;

	if (!ed->gpt)
		return -1;
	if (gpt_lookup(ed->gpt, iova, &leaf))
		return 0;
	return leaf.size;
}

static const char *size_name(s64 size)
{
	switch (size) {
	case -1:
		return "size not visible";
	case 0:
		return "unmapped";
	case SZ_4K:
		return "4 KiB";
	case SZ_2M:
		return "2 MiB";
	case SZ_1G:
		return "1 GiB";
	}
	return "other size";
}

/*
 * Map @pfns at @iova through the directory and check every translation.
 * @what names the range in the report.
 */
static int dir_map(struct edu_dir *ed, u64 iova, const unsigned long *pfns,
		   unsigned long n, unsigned long step, const char *what)
{
	unsigned long i, rw = 0, ro = 0, bad;
	int ret;

	ret = iommu_dir_map(&ed->dir, iova, pfns, n, IOMMU_READ | IOMMU_WRITE,
			    GFP_KERNEL);
	if (ret) {
		diag("iommu_dir_map(IOVA %#llx, %lu entries): %d", iova, n, ret);
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (!entry_valid(pfns[i]))
			continue;
		if (pfns[i] & HMM_PFN_WRITE)
			rw++;
		else
			ro++;
	}
	diag("dir: map: IOVA %#llx-%#llx: %lu %s, %lu rw, %lu ro, %lu invalid (%s)",
	     iova, iova + n * PAGE_SIZE - 1, n, n == 1 ? "entry" : "entries",
	     rw, ro, n - rw - ro, what);
	bad = xlate_mismatches(ed, iova, pfns, n, step);
	if (bad) {
		diag("%lu entries translate wrongly after the map", bad);
		return -EIO;
	}
	return 0;
}

/* Unmap through the directory; checks the size and that nothing is left. */
static int dir_unmap(struct edu_dir *ed, u64 iova, unsigned long n,
		     unsigned long step)
{
	size_t done = iommu_dir_unmap(&ed->dir, iova, n);

	if (done != n * PAGE_SIZE) {
		diag("iommu_dir_unmap(IOVA %#llx, %lu pages) returned %zu",
		     iova, n, done);
		return -EIO;
	}
	if (xlate_left(ed, iova, n, step)) {
		diag("IOVA %#llx-%#llx still translates after unmap", iova,
		     iova + n * PAGE_SIZE - 1);
		return -EIO;
	}
	return 0;
}

static long flushes(struct edu_dir *ed)
{
	return atomic_long_read(&ed->dir.nr_flushes);
}

/*
 * iommu_dir_update(), or under no_flush the same change made in lib-gpt
 * directly, with no IOTLB flush at all: what a forgotten flush looks like.
 */
static int dir_update(struct edu_dir *ed, u64 iova, const unsigned long *pfns,
		      unsigned long n)
{
	struct gpt_gather g;
	int ret;

	if (!no_flush)
		return iommu_dir_update(&ed->dir, iova, pfns, n,
					IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (!ed->gpt)
		return -EOPNOTSUPP;
	gpt_gather_init(&g);
	ret = gpt_update_pfns(ed->gpt, iova, pfns, n, GPT_READ | GPT_WRITE, &g,
			      GFP_KERNEL);
	gpt_gather_free(&g);
	return ret;
}

/* The one IOTLB flush an update owes, unless no_flush skipped it. */
static bool one_flush(long nflush)
{
	return no_flush || nflush == 1;
}

/* ---- device accesses -------------------------------------------------------- */

/*
 * The device writes EDU_XFER bytes of pattern @seed at @iova: the bytes land
 * where pattern_mismatches(page, @seed, offset of @iova, EDU_XFER) expects
 * them.
 */
static int dev_write(struct edu_dir *ed, u64 iova, u8 seed)
{
	unsigned int off = offset_in_page(iova);
	int ret;

	fill_pattern(ed->stage, seed);
	ret = dma_to_edu(&ed->edu, IOVA_STAGE + off, EDU_XFER);
	return ret ? ret : dma_from_edu(&ed->edu, iova, EDU_XFER);
}

/*
 * The device reads EDU_XFER bytes at @iova; they land in the sink page at
 * the same offset, the rest of the sink is poison.  The edu buffer is
 * loaded with pattern @seed first, so that a blocked read leaves that.
 */
static int dev_read(struct edu_dir *ed, u64 iova, u8 seed)
{
	unsigned int off = offset_in_page(iova);
	int ret;

	fill_pattern(ed->stage, seed);
	ret = dma_to_edu(&ed->edu, IOVA_STAGE, EDU_XFER);
	if (!ret)
		ret = dma_to_edu(&ed->edu, iova, EDU_XFER);
	if (ret)
		return ret;
	fill_poison(ed->sink);
	return dma_from_edu(&ed->edu, IOVA_SINK + off, EDU_XFER);
}

/* Bytes the device read at offset @off that differ from @data. */
static unsigned int read_mismatches(struct edu_dir *ed, unsigned int off,
				    const void *data)
{
	ed->bytes_verified += EDU_XFER;
	return diff_bytes(page_address(ed->sink) + off, data, EDU_XFER);
}

/*
 * After dev_write(@seed) at offset @off of a page that was @before: bytes
 * that are not what they should be.
 */
static unsigned int write_mismatches(struct edu_dir *ed, struct page *page,
				     struct page *before, u8 seed,
				     unsigned int off)
{
	const u8 *p = page_address(page), *b = page_address(before);
	unsigned int end = off + EDU_XFER;

	ed->bytes_verified += PAGE_SIZE;
	return pattern_mismatches(page, seed, off, EDU_XFER) +
	       diff_bytes(p, b, off) +
	       diff_bytes(p + end, b + end, PAGE_SIZE - end);
}

/*
 * A device write at @iova that must land in @page: returns the number of
 * wrong bytes, or -1 if the transfer failed.
 */
static int write_lands(struct edu_dir *ed, u64 iova, struct page *page,
		       u8 seed)
{
	struct page *before = dir_keep(ed, page);

	if (!before || dev_write(ed, iova, seed))
		return -1;
	return write_mismatches(ed, page, before, seed, offset_in_page(iova));
}

/*
 * A device write at @iova that the IOMMU must block; @page is what a wrong
 * translation would hit (or NULL).  Returns the bytes of @page that
 * changed, or -1 if the transfer failed.  @certain: see expect_fault().
 */
static int write_blocked(struct edu_dir *ed, u64 iova, struct page *page,
			 u8 seed, bool certain)
{
	struct page *before = page ? dir_keep(ed, page) : NULL;

	if (page && !before)
		return -1;
	/* Under no_flush a stale translation may let it through unlogged. */
	expect_fault("write", iova & PAGE_MASK, certain && !no_flush);
	if (dev_write(ed, iova, seed))
		return -1;
	return page ? dir_changed(ed, page, before) : 0;
}

/*
 * A device read at the page-aligned @iova that the IOMMU must block:
 * returns whether the first EDU_XFER bytes of @page got through (1), not
 * (0), or -1 if a transfer failed.
 */
static int read_blocked(struct edu_dir *ed, u64 iova, struct page *page,
			u8 seed)
{
	expect_fault("read", iova, !no_flush);
	if (dev_read(ed, iova, seed))
		return -1;
	diag("blocked read at IOVA %#llx: %s", iova,
	     describe_edu_copy(ed->sink, seed));
	return !read_mismatches(ed, 0, page_address(page));
}

/* What kind of IOMMU page maps [@iova, @iova + @size), for the report. */
static void report_page(u64 iova, u64 size, phys_addr_t phys, s64 sz_lo,
			s64 sz_hi)
{
	if (sz_lo == sz_hi)
		diag("dir: page: IOVA %#llx-%#llx: one %s IOMMU page, phys %pa",
		     iova, iova + size - 1, size_name(sz_lo), &phys);
	else
		diag("dir: page: IOVA %#llx-%#llx: %s and %s IOMMU pages at the ends, phys %pa",
		     iova, iova + size - 1, size_name(sz_lo), size_name(sz_hi),
		     &phys);
}

/* ---- the tests ---------------------------------------------------------------- */

static enum edu_result test_domain_attach(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	unsigned long pfn;
	int ret;

	if (edu_attach_domain(edu) != EDU_PASS)
		return EDU_FAIL;
	ret = iommu_dir_init(&ed->dir, edu->domain, &edu->pdev->dev);
	if (ret) {
		diag("iommu_dir_init: %d", ret);
		return edu_fail(edu, "iommu_dir_init failed");
	}
	ed->dir_ready = true;
	if (!strcmp(edu->iommu_kind, "Intel VT-d"))
		ed->gpt = edu_dir_gpt_vtd(edu->domain);
	else if (!strcmp(edu->iommu_kind, "AMD-Vi"))
		ed->gpt = edu_dir_gpt_amd(edu->domain);
	diag("dir: domain: %s (%s), %s, %s", edu->iommu_name, edu->iommu_kind,
	     ed->gpt ? "page table on lib-gpt" :
	     "page table not on lib-gpt (leaf sizes not checked)",
	     edu->domain->ops->map_dir ? "driver's directory op" :
	     "generic directory fallback");
	if (no_flush && !ed->gpt)
		return edu_fail(edu, "no_flush needs a domain on lib-gpt");

	ed->stage = dir_alloc(ed);
	ed->sink = dir_alloc(ed);
	if (!ed->stage || !ed->sink)
		return edu_fail(edu, "out of memory");
	pfn = pfn_entry(ed->stage, true);
	if (dir_map(ed, IOVA_STAGE, &pfn, 1, 1, "staging page: loads edu"))
		return edu_fail(edu, "cannot map the staging page");
	pfn = pfn_entry(ed->sink, true);
	if (dir_map(ed, IOVA_SINK, &pfn, 1, 1, "sink page: reads edu back"))
		return edu_fail(edu, "cannot map the sink page");
	return EDU_PASS;
}

/*
 * A 16-entry array with two holes.  The first half of each valid page goes
 * through edu to the second half of the next valid page; then every byte
 * of every page is checked.
 */
static enum edu_result test_map(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	unsigned long pfns[MAP_N];
	unsigned int i, j, n = 0, bad = 0, total;
	struct page *hole_before;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	ed->hole = dir_alloc(ed);
	if (!ed->hole)
		return edu_fail(edu, "out of memory");
	fill_pattern(ed->hole, 0xe0);
	for (i = 0; i < MAP_N; i++) {
		if (i == MAP_HOLE_PFN) {
			pfns[i] = HMM_PFN_WRITE | page_to_pfn(ed->hole);
			continue;
		}
		if (i == MAP_HOLE_ZERO) {
			pfns[i] = 0;
			continue;
		}
		ed->map_pg[i] = dir_alloc(ed);
		if (!ed->map_pg[i])
			return edu_fail(edu, "out of memory");
		fill_half(ed->map_pg[i], 0x10 + i);
		pfns[i] = pfn_entry(ed->map_pg[i], true);
	}
	hole_before = dir_keep(ed, ed->hole);
	if (!hole_before)
		return edu_fail(edu, "out of memory");
	if (dir_map(ed, IOVA_MAP, pfns, MAP_N, 1, "16 pages, 2 holes"))
		return edu_fail(edu, "map failed");

	for (i = 0; i < MAP_N; i = j) {
		for (j = i + 1; j < MAP_N && !ed->map_pg[j]; j++)
			;
		if (!ed->map_pg[i])
			continue;
		if (dma_to_edu(edu, IOVA_MAP + i * PAGE_SIZE, EDU_XFER) ||
		    dma_from_edu(edu, IOVA_MAP + (j % MAP_N) * PAGE_SIZE +
				 EDU_XFER, EDU_XFER))
			return edu_fail(edu, "transfer did not complete");
		n++;
	}
	/* Page j's second half now holds page i's first half. */
	for (i = 0; i < MAP_N; i++) {
		u8 *p;

		if (!ed->map_pg[i])
			continue;
		for (j = i + 1; !ed->map_pg[j % MAP_N]; j++)
			;
		p = page_address(ed->map_pg[j % MAP_N]);
		bad += diff_bytes(p + EDU_XFER, page_address(ed->map_pg[i]),
				  EDU_XFER);
		bad += pattern_mismatches(ed->map_pg[i], 0x10 + i, 0, EDU_XFER);
		ed->bytes_verified += PAGE_SIZE;
	}
	bad += dir_changed(ed, ed->hole, hole_before);
	/* the valid pages and the hole's page */
	total = (n + 1) * PAGE_SIZE;
	diag("dir: saw: map: %u pages, half of each copied to the next: %u/%u bytes right",
	     n, total - bad, total);
	if (bad)
		return edu_fail(edu, "device did not move the bytes as mapped");
	return EDU_PASS;
}

/* Entries without HMM_PFN_VALID: not mapped, the device cannot reach them. */
static enum edu_result test_map_invalid(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	u64 iova = IOVA_MAP + MAP_HOLE_PFN * PAGE_SIZE;
	int changed, leaked;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	if (!ed->hole)
		return edu_fail(edu, "the array is not mapped");
	if (xlate_left(ed, iova, 1, 1) ||
	    xlate_left(ed, IOVA_MAP + MAP_HOLE_ZERO * PAGE_SIZE, 1, 1))
		return edu_fail(edu, "an invalid entry translates");
	changed = write_blocked(ed, iova, ed->hole, 0x5a, true);
	leaked = read_blocked(ed, iova, ed->hole, 0x5b);
	if (changed < 0 || leaked < 0)
		return edu_fail(edu, "transfer did not complete");
	diag("dir: saw: map: entry with a pfn but no HMM_PFN_VALID: write %s, read %s",
	     changed ? "CHANGED the page" : "blocked",
	     leaked ? "GOT the page" : "blocked");
	if (changed || leaked)
		return edu_fail(edu, "device reached an invalid entry's page");
	return EDU_PASS;
}

/*
 * Entries without HMM_PFN_WRITE: the device reads them, its writes are
 * blocked; the writable entries around them take writes.
 */
static enum edu_result test_readonly(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	static const bool writable[RO_N] = { true, false, false, true };
	unsigned long pfns[RO_N];
	struct page *pg[RO_N];
	int rd, w_fresh, w_read, w0, w3;
	unsigned int i;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	for (i = 0; i < RO_N; i++) {
		pg[i] = dir_alloc(ed);
		if (!pg[i])
			return edu_fail(edu, "out of memory");
		fill_pattern(pg[i], 0xb0 + i);
		pfns[i] = pfn_entry(pg[i], writable[i]);
	}
	if (dir_map(ed, IOVA_RO, pfns, RO_N, 1, "rw, ro, ro, rw"))
		return edu_fail(edu, "map failed");

	if (dev_read(ed, IOVA_RO + PAGE_SIZE, 0x3c))
		return edu_fail(edu, "transfer did not complete");
	rd = read_mismatches(ed, 0, page_address(pg[1]));
	/* Entry 2 was never read: QEMU walks it and logs the fault. */
	w_fresh = write_blocked(ed, IOVA_RO + 2 * PAGE_SIZE, pg[2], 0xc2, true);
	w_read = write_blocked(ed, IOVA_RO + PAGE_SIZE, pg[1], 0xc1, false);
	w0 = write_lands(ed, IOVA_RO, pg[0], 0xc0);
	w3 = write_lands(ed, IOVA_RO + 3 * PAGE_SIZE + EDU_XFER, pg[3], 0xc3);
	if (w_fresh < 0 || w_read < 0 || w0 < 0 || w3 < 0)
		return edu_fail(edu, "transfer did not complete");
	diag("dir: saw: map: read-only entries: read %s, writes %s; rw neighbours %s",
	     rd ? "FAILED" : "ok", w_fresh || w_read ? "LANDED" : "blocked",
	     w0 || w3 ? "NOT written" : "written");
	if (rd)
		return edu_fail(edu, "device read of a read-only entry failed");
	if (w_fresh || w_read)
		return edu_fail(edu, "device wrote to a read-only entry");
	if (w0 || w3)
		return edu_fail(edu, "device write to a writable entry failed");
	return EDU_PASS;
}

/*
 * iommu_dir_update() with every kind of change; the device has used each
 * entry before, so QEMU caches the old translations:
 *   0: page A -> page A2            4: invalid -> page E
 *   1: B read-only -> B writable    5: F read-only -> F2 read-only
 *   2: page C -> invalid            6: G writable -> G read-only
 *   3: page D, unchanged            7: invalid, unchanged
 */
static enum edu_result test_update(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	struct page **p = ed->upd_pg, *a, *a2, *f2, *a_before;
	int ret, i, r[6], old_changed, w_new, w_up, w_kept, w_added, r_ro;
	int w_down, w_gone, r_gone;
	unsigned long pfns[UPD_N];
	long f0, nflush;
	u64 e[UPD_N];

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	for (i = 0; i < UPD_N; i++) {
		e[i] = IOVA_UPD + i * PAGE_SIZE;
		p[i] = dir_alloc(ed);
		if (!p[i])
			return edu_fail(edu, "out of memory");
		fill_half(p[i], 0xd0 + i);
		pfns[i] = pfn_entry(p[i], i != 1 && i != 5);
	}
	a2 = dir_alloc(ed);
	f2 = dir_alloc(ed);
	if (!a2 || !f2)
		return edu_fail(edu, "out of memory");
	fill_poison(a2);
	fill_pattern(f2, 0xf2);
	pfns[4] = 0;
	pfns[7] = 0;
	if (dir_map(ed, IOVA_UPD, pfns, UPD_N, 1, "before the update"))
		return edu_fail(edu, "map failed");

	/* Use every valid entry once, so that QEMU caches the translations. */
	r[0] = write_lands(ed, e[0] + EDU_XFER, p[0], 0x60);
	r[1] = dev_read(ed, e[1], 0x3c) ? -1 :
	       read_mismatches(ed, 0, page_address(p[1]));
	r[2] = dev_read(ed, e[2], 0x3c) ? -1 :
	       read_mismatches(ed, 0, page_address(p[2]));
	r[3] = write_lands(ed, e[3] + EDU_XFER, p[3], 0x63);
	r[4] = dev_read(ed, e[5], 0x3c) ? -1 :
	       read_mismatches(ed, 0, page_address(p[5]));
	r[5] = write_lands(ed, e[6] + EDU_XFER, p[6], 0x66);
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		if (r[i] < 0)
			return edu_fail(edu, "transfer did not complete");
		if (r[i])
			return edu_fail(edu, "device access before the update failed");
	}

	pfns[0] = pfn_entry(a2, true);
	pfns[1] = pfn_entry(p[1], true);
	pfns[2] = 0;
	pfns[4] = pfn_entry(p[4], true);
	pfns[5] = pfn_entry(f2, false);
	pfns[6] = pfn_entry(p[6], false);
	f0 = flushes(ed);
	ret = dir_update(ed, IOVA_UPD, pfns, UPD_N);
	nflush = flushes(ed) - f0;
	if (ret) {
		diag("iommu_dir_update(IOVA %#llx, %u entries): %d", IOVA_UPD,
		     UPD_N, ret);
		return edu_fail(edu, "update failed");
	}
	/* From now on the unmap test finds the new pages here. */
	a = p[0];
	p[0] = a2;
	p[5] = f2;
	if (xlate_mismatches(ed, IOVA_UPD, pfns, UPD_N, 1))
		return edu_fail(edu, "wrong translations after the update");

	a_before = dir_keep(ed, a);
	if (!a_before)
		return edu_fail(edu, "out of memory");
	w_new = write_lands(ed, e[0], a2, 0x70);
	w_up = write_lands(ed, e[1], p[1], 0x71);
	w_kept = write_lands(ed, e[3], p[3], 0x73);
	w_added = write_lands(ed, e[4], p[4], 0x74);
	r_ro = dev_read(ed, e[5] + 0x200, 0x3c) ? -1 :
	       read_mismatches(ed, 0x200, page_address(f2) + 0x200);
	/* Entry 6 lost write permission, entry 2 its page. */
	w_down = write_blocked(ed, e[6], p[6], 0x76, true);
	w_gone = write_blocked(ed, e[2], p[2], 0x72, true);
	r_gone = read_blocked(ed, e[2], p[2], 0x3d);
	if (w_new < 0 || w_up < 0 || w_kept < 0 || w_added < 0 || r_ro < 0 ||
	    w_down < 0 || w_gone < 0 || r_gone < 0)
		return edu_fail(edu, "transfer did not complete");
	old_changed = dir_changed(ed, a, a_before);

	diag("dir: saw: update: IOVA %#llx-%#llx, every entry used before, %ld IOTLB flush(es)",
	     IOVA_UPD, IOVA_UPD + UPD_N * PAGE_SIZE - 1, nflush);
	diag("dir: saw: update: page switched: write went to the %s page, old page %s",
	     w_new ? "WRONG" : "new", old_changed ? "CHANGED" : "unchanged");
	diag("dir: saw: update: read-only -> writable: write %s",
	     w_up ? "did NOT land" : "landed");
	diag("dir: saw: update: unchanged and newly valid entries: writes %s",
	     w_kept || w_added ? "did NOT land" : "landed");
	diag("dir: saw: update: read-only page switched: read got the %s page",
	     r_ro ? "OLD or no" : "new");
	diag("dir: saw: update: writable -> read-only: write %s",
	     w_down ? "LANDED" : "blocked");
	diag("dir: saw: update: valid -> invalid: write %s, read %s",
	     w_gone ? "LANDED" : "blocked", r_gone ? "GOT the old page" : "blocked");
	if (!one_flush(nflush))
		return edu_fail(edu, "update did not flush the IOTLB exactly once");
	if (w_new || old_changed || w_up || w_kept || w_added || r_ro ||
	    w_down || w_gone || r_gone)
		return edu_fail(edu, "device saw the old mapping after the update");
	return EDU_PASS;
}

/* iommu_dir_unmap(): the device reaches none of the pages it just used. */
static enum edu_result test_unmap(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	static const unsigned int used[] = { 0, 1, 3, 4 };
	struct page **p = ed->upd_pg;
	int changed = 0, r, leaked;
	long f0, nflush;
	unsigned int i;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	if (!p[0] || !ed->map_pg[0])
		return edu_fail(edu, "the earlier tests mapped nothing");
	f0 = flushes(ed);
	if (dir_unmap(ed, IOVA_UPD, UPD_N, 1))
		return edu_fail(edu, "unmap failed");
	nflush = flushes(ed) - f0;
	if (dir_unmap(ed, IOVA_MAP, MAP_N, 1) || dir_unmap(ed, IOVA_RO, RO_N, 1))
		return edu_fail(edu, "unmap failed");

	for (i = 0; i < ARRAY_SIZE(used); i++) {
		r = write_blocked(ed, IOVA_UPD + used[i] * PAGE_SIZE,
				  p[used[i]], 0x80 + i, true);
		if (r < 0)
			return edu_fail(edu, "transfer did not complete");
		changed += r;
	}
	r = write_blocked(ed, IOVA_MAP, ed->map_pg[0], 0x88, true);
	leaked = read_blocked(ed, IOVA_UPD + 3 * PAGE_SIZE, p[3], 0x89);
	if (r < 0 || leaked < 0)
		return edu_fail(edu, "transfer did not complete");
	changed += r;
	diag("dir: saw: unmap: IOVA %#llx-%#llx (%ld IOTLB flush), the map and read-only ranges",
	     IOVA_UPD, IOVA_UPD + UPD_N * PAGE_SIZE - 1, nflush);
	diag("dir: saw: unmap: 5 writes to pages just used %s, 1 read %s",
	     changed ? "CHANGED pages" : "blocked, pages unchanged",
	     leaked ? "GOT the page" : "blocked");
	if (nflush != 1)
		return edu_fail(edu, "unmap did not flush the IOTLB exactly once");
	if (changed || leaked)
		return edu_fail(edu, "device reached a page after the unmap");
	return EDU_PASS;
}

/* An aligned, contiguous 2 MiB run becomes one 2 MiB IOMMU page. */
static enum edu_result test_huge_2m(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	unsigned long *pfns = ed->huge_pfns;
	struct page *first, *last;
	unsigned long i, base;
	phys_addr_t phys, lo, hi;
	s64 sz_lo, sz_hi;
	int rd, wr;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	ed->huge = alloc_pages(GFP_KERNEL | __GFP_NOWARN, HUGE_ORDER);
	if (!ed->huge)
		return edu_fail(edu, "no free 2 MiB block");
	phys = page_to_phys(ed->huge);
	if (!IS_ALIGNED(phys, SZ_2M))
		return edu_fail(edu, "the 2 MiB block is not aligned");
	base = page_to_pfn(ed->huge);
	/* As hmm_range_fault() reports a PMD-mapped page: order 9. */
	for (i = 0; i < HUGE_N; i++)
		pfns[i] = HMM_PFN_VALID | HMM_PFN_WRITE |
			  ((unsigned long)HUGE_ORDER << HMM_PFN_ORDER_SHIFT) |
			  (base + i);
	first = ed->huge;
	last = nth_page(ed->huge, HUGE_N - 1);
	fill_pattern(first, 0x21);
	fill_poison(last);
	if (dir_map(ed, IOVA_HUGE, pfns, HUGE_N, 1,
		    "2 MiB aligned, physically contiguous"))
		return edu_fail(edu, "map failed");

	lo = iommu_iova_to_phys(edu->domain, IOVA_HUGE);
	hi = iommu_iova_to_phys(edu->domain, IOVA_HUGE + SZ_2M - 1);
	sz_lo = leaf_size(ed, IOVA_HUGE);
	sz_hi = leaf_size(ed, IOVA_HUGE + SZ_2M - 1);
	rd = dev_read(ed, IOVA_HUGE, 0x3c) ? -1 :
	     read_mismatches(ed, 0, page_address(first));
	wr = write_lands(ed, IOVA_HUGE + SZ_2M - EDU_XFER, last, 0x22);
	if (rd < 0 || wr < 0)
		return edu_fail(edu, "transfer did not complete");
	report_page(IOVA_HUGE, SZ_2M, phys, sz_lo, sz_hi);
	diag("dir: saw: 2 MiB: read of the first 4 KiB %s, write of the last %s",
	     rd ? "WRONG" : "ok", wr ? "WRONG" : "ok");
	if (lo != phys || hi != phys + SZ_2M - 1)
		return edu_fail(edu, "the 2 MiB range translates wrongly");
	if (sz_lo >= 0 && (sz_lo != SZ_2M || sz_hi != SZ_2M))
		return edu_fail(edu, "not mapped as one 2 MiB IOMMU page");
	if (rd || wr)
		return edu_fail(edu, "device DMA through the 2 MiB page failed");
	return EDU_PASS;
}

/*
 * An update of one entry inside the 2 MiB page: the page is split without
 * a hole, the device sees the new page there and the block around it.
 */
static enum edu_result test_huge_split(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	u64 iova = IOVA_HUGE + HUGE_SPLIT * PAGE_SIZE;
	struct page *newp, *old, *old_before;
	int wr_new, wr_next, rd_prev, changed;
	unsigned long pfn;
	long f0, nflush;
	s64 sz;
	int ret;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	if (!ed->huge || !iommu_iova_to_phys(edu->domain, IOVA_HUGE))
		return edu_fail(edu, "the 2 MiB page is not mapped");
	newp = dir_alloc(ed);
	if (!newp)
		return edu_fail(edu, "out of memory");
	fill_poison(newp);
	old = nth_page(ed->huge, HUGE_SPLIT);
	fill_pattern(old, 0x25);
	fill_pattern(nth_page(ed->huge, HUGE_SPLIT - 1), 0x26);
	fill_poison(nth_page(ed->huge, HUGE_SPLIT + 1));
	/* QEMU now caches the translation of the 2 MiB page. */
	if (dev_read(ed, iova, 0x3c))
		return edu_fail(edu, "transfer did not complete");
	if (read_mismatches(ed, 0, page_address(old)))
		return edu_fail(edu, "device read before the update failed");
	old_before = dir_keep(ed, old);
	if (!old_before)
		return edu_fail(edu, "out of memory");

	pfn = pfn_entry(newp, true);
	f0 = flushes(ed);
	ret = dir_update(ed, iova, &pfn, 1);
	nflush = flushes(ed) - f0;
	if (ret) {
		diag("iommu_dir_update(IOVA %#llx, 1 entry): %d", iova, ret);
		return edu_fail(edu, "update failed");
	}
	ed->huge_pfns[HUGE_SPLIT] = pfn;
	if (xlate_mismatches(ed, IOVA_HUGE, ed->huge_pfns, HUGE_N, 1))
		return edu_fail(edu, "wrong translations after the split");
	sz = leaf_size(ed, iova);

	wr_new = write_lands(ed, iova, newp, 0x27);
	wr_next = write_lands(ed, iova + PAGE_SIZE,
			      nth_page(ed->huge, HUGE_SPLIT + 1), 0x28);
	rd_prev = dev_read(ed, iova - PAGE_SIZE + EDU_XFER, 0x3c) ? -1 :
		  read_mismatches(ed, EDU_XFER,
				  page_address(nth_page(ed->huge, HUGE_SPLIT - 1)) +
				  EDU_XFER);
	if (wr_new < 0 || wr_next < 0 || rd_prev < 0)
		return edu_fail(edu, "transfer did not complete");
	changed = dir_changed(ed, old, old_before);
	diag("dir: saw: split: entry %u updated inside the 2 MiB page, %ld IOTLB flush(es): now %s",
	     HUGE_SPLIT, nflush, size_name(sz));
	diag("dir: saw: split: write went to the %s page, old page %s; neighbours %s",
	     wr_new ? "WRONG" : "new", changed ? "CHANGED" : "unchanged",
	     wr_next || rd_prev ? "LOST" : "still reach the block");
	if (dir_unmap(ed, IOVA_HUGE, HUGE_N, 1))
		return edu_fail(edu, "unmap failed");
	if (!one_flush(nflush))
		return edu_fail(edu, "update did not flush the IOTLB exactly once");
	if (sz >= 0 && sz != SZ_4K)
		return edu_fail(edu, "the replaced entry is not a 4 KiB page");
	if (wr_new || changed)
		return edu_fail(edu, "device saw the old page after the update");
	if (wr_next || rd_prev)
		return edu_fail(edu, "the rest of the 2 MiB block was lost");
	return EDU_PASS;
}

/* A 1 GiB-aligned physical range that is all RAM, or 0. */
static phys_addr_t find_ram_gigabyte(void)
{
	phys_addr_t base;

	for (base = SZ_1G; base < GIGA_MAX_PHYS; base += SZ_1G)
		if (region_intersects(base, SZ_1G, IORESOURCE_SYSTEM_RAM,
				      IORES_DESC_NONE) == REGION_INTERSECTS)
			return base;
	return 0;
}

/*
 * Copy RAM that belongs to someone else, who may be writing or freeing it:
 * copy_from_kernel_nofault() reads it without KASAN's checks and survives
 * a page that is not mapped.
 */
static int peek_ram(void *dst, phys_addr_t phys, size_t len)
{
	if (!copy_from_kernel_nofault(dst, phys_to_virt(phys), len))
		return 0;
	diag("the CPU cannot read %pa", &phys);
	return -EFAULT;
}

/*
 * The device reads EDU_XFER bytes at @phys through the 1 GiB mapping; what
 * it got must be what the CPU reads there before and after (retried if the
 * memory changed meanwhile).  Returns mismatching bytes, or -1 if the
 * transfer or the CPU's read failed.
 */
static int giga_read(struct edu_dir *ed, phys_addr_t base, phys_addr_t phys,
		     u8 *cpu)
{
	u64 iova = IOVA_GIGA + (phys - base);
	unsigned int off = offset_in_page(iova), try;
	int bad = 0;

	for (try = 0; try < 3; try++) {
		if (peek_ram(cpu, phys, EDU_XFER) || dev_read(ed, iova, 0x3c))
			return -1;
		bad = read_mismatches(ed, off, cpu);
		if (peek_ram(cpu + EDU_XFER, phys, EDU_XFER))
			return -1;
		if (!diff_bytes(cpu, cpu + EDU_XFER, EDU_XFER))
			break;
		diag("RAM at %pa changed during the read; again", &phys);
	}
	return bad;
}

/*
 * A 1 GiB-aligned range of RAM mapped read-only through a 262144-entry
 * array must become one 1 GiB IOMMU page.  The device reads both ends and
 * one of our own pages inside it, and a write to our page is blocked.
 */
static enum edu_result test_huge_1g(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	int rd_lo = 0, rd_hi = 0, rd_own = 0, wr_own = 0;
	enum edu_result res = EDU_FAIL;
	struct page *own = NULL, *tries[64];
	unsigned long *pfns, i, nr_tries = 0;
	phys_addr_t base, own_phys = 0;
	s64 sz_lo, sz_hi;
	u64 own_iova = 0;
	bool ram;
	u8 *cpu;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	base = find_ram_gigabyte();
	ram = base;
	if (!ram) {
		/* Mapping memory that is not there is fine: no DMA goes to it. */
		diag("dir: saw: 1 GiB: no 1 GiB-aligned range is all RAM: lookups only, no DMA");
		base = SZ_1G;
	}
	pfns = kvmalloc_array(GIGA_N, sizeof(*pfns), GFP_KERNEL);
	cpu = kmalloc(2 * EDU_XFER, GFP_KERNEL);
	if (!pfns || !cpu) {
		edu_fail(edu, "out of memory");
		goto out;
	}
	for (i = 0; i < GIGA_N; i++)
		pfns[i] = HMM_PFN_VALID | (PHYS_PFN(base) + i);
	/* One of our own pages inside the range: the one place DMA may write. */
	while (ram && nr_tries < ARRAY_SIZE(tries)) {
		struct page *pg = alloc_page(GFP_KERNEL);

		if (!pg)
			break;
		if (page_to_phys(pg) >= base && page_to_phys(pg) < base + SZ_1G) {
			own = pg;
			break;
		}
		tries[nr_tries++] = pg;
	}
	if (own) {
		own_phys = page_to_phys(own);
		own_iova = IOVA_GIGA + (own_phys - base);
		fill_pattern(own, 0x31);
	}
	if (dir_map(ed, IOVA_GIGA, pfns, GIGA_N, 4099,
		    ram ? "1 GiB of RAM, read-only" : "1 GiB, lookups only")) {
		edu_fail(edu, "map failed");
		goto out;
	}
	sz_lo = leaf_size(ed, IOVA_GIGA);
	sz_hi = leaf_size(ed, IOVA_GIGA + SZ_1G - 1);
	report_page(IOVA_GIGA, SZ_1G, base, sz_lo, sz_hi);

	if (ram) {
		/* Nothing has used the mapping yet: QEMU walks and logs. */
		if (own)
			wr_own = write_blocked(ed, own_iova, own, 0x32, true);
		rd_lo = giga_read(ed, base, base, cpu);
		rd_hi = giga_read(ed, base, base + SZ_1G - EDU_XFER, cpu);
		if (own)
			rd_own = giga_read(ed, base, own_phys + 0x400, cpu);
		if (wr_own < 0 || rd_lo < 0 || rd_hi < 0 || rd_own < 0) {
			edu_fail(edu, "a transfer or a CPU read failed");
			goto out_unmap;
		}
		diag("dir: saw: 1 GiB: reads at both ends %s; own page inside: read %s, write %s",
		     rd_lo || rd_hi ? "DIFFER from the CPU" : "match the CPU",
		     !own ? "not tried (none inside)" : rd_own ? "WRONG" : "ok",
		     !own ? "not tried" : wr_own ? "LANDED" : "blocked");
	}
	if (sz_lo >= 0 && (sz_lo != SZ_1G || sz_hi != SZ_1G))
		edu_fail(edu, "not mapped as one 1 GiB IOMMU page");
	else if (xlate_mismatches(ed, IOVA_GIGA, pfns, GIGA_N, 4099))
		edu_fail(edu, "the 1 GiB range translates wrongly");
	else if (rd_lo || rd_hi || rd_own)
		edu_fail(edu, "device read through the 1 GiB page failed");
	else if (wr_own)
		edu_fail(edu, "device wrote through a read-only 1 GiB page");
	else
		res = EDU_PASS;
out_unmap:
	if (dir_unmap(ed, IOVA_GIGA, GIGA_N, 4099))
		res = edu_fail(edu, "unmap failed");
out:
	for (i = 0; i < nr_tries; i++)
		__free_page(tries[i]);
	if (own)
		__free_page(own);
	kfree(cpu);
	kvfree(pfns);
	return res;
}

/* The top 2 MiB below 2^48: the first two and last two entries valid. */
static enum edu_result test_top(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	static const unsigned int at[] = { 0, 1, TOP_N - 2, TOP_N - 1 };
	struct page *pg[ARRAY_SIZE(at)];
	unsigned long *pfns;
	int ret, rd, w[3];
	unsigned int i;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	if (!iova_in_aperture(edu, IOVA_TOP, SZ_2M)) {
		snprintf(edu->note, sizeof(edu->note),
			 "IOVA %#llx is beyond the aperture end %#llx",
			 BIT_ULL(48) - 1,
			 (unsigned long long)edu->domain->geometry.aperture_end);
		return EDU_SKIP;
	}
	pfns = kcalloc(TOP_N, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return edu_fail(edu, "out of memory");
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		pg[i] = dir_alloc(ed);
		if (!pg[i]) {
			kfree(pfns);
			return edu_fail(edu, "out of memory");
		}
		fill_pattern(pg[i], 0x40 + i);
		pfns[at[i]] = pfn_entry(pg[i], true);
	}
	ret = dir_map(ed, IOVA_TOP, pfns, TOP_N, 1, "the last 2 MiB below 2^48");
	kfree(pfns);
	if (ret)
		return edu_fail(edu, "map failed");
	rd = dev_read(ed, IOVA_TOP, 0x3c) ? -1 :
	     read_mismatches(ed, 0, page_address(pg[0]));
	w[0] = write_lands(ed, IOVA_TOP + PAGE_SIZE + 0x100, pg[1], 0x45);
	w[1] = write_lands(ed, BIT_ULL(48) - 2 * PAGE_SIZE, pg[2], 0x46);
	/* The last byte written is 2^48 - 1. */
	w[2] = write_lands(ed, BIT_ULL(48) - EDU_XFER, pg[3], 0x47);
	if (rd < 0 || w[0] < 0 || w[1] < 0 || w[2] < 0)
		return edu_fail(edu, "transfer did not complete");
	diag("dir: saw: 2^48: read at IOVA %#llx %s, writes up to IOVA %#llx %s",
	     IOVA_TOP, rd ? "WRONG" : "ok", BIT_ULL(48) - 1,
	     w[0] || w[1] || w[2] ? "WRONG" : "ok");
	if (dir_unmap(ed, IOVA_TOP, TOP_N, 1))
		return edu_fail(edu, "unmap failed");
	if (rd || w[0] || w[1] || w[2])
		return edu_fail(edu, "device DMA below 2^48 failed");
	return EDU_PASS;
}

struct bad_call {
	const char *what;
	int ret;
	int want;
};

static unsigned int bad_report(struct bad_call *c, unsigned int n)
{
	unsigned int i, wrong = 0;

	for (i = 0; i < n; i++) {
		diag("bad input: %s: %d (want %d)%s", c[i].what, c[i].ret,
		     c[i].want, c[i].ret == c[i].want ? "" : " WRONG");
		wrong += c[i].ret != c[i].want;
	}
	return wrong;
}

/* Every documented error, each with nothing changed. */
static enum edu_result test_bad_input(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	const struct iommu_domain_geometry *geo = &edu->domain->geometry;
	const int rw = IOMMU_READ | IOMMU_WRITE;
	struct iommu_dir *dir = &ed->dir;
	struct iommu_resv_region *r;
	struct bad_call c[16];
	struct page *x, *y;
	unsigned long *pfns, i;
	unsigned int n = 0, wrong, left = 0;
	int changed, rd;
	long f0;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	x = dir_alloc(ed);
	y = dir_alloc(ed);
	pfns = kcalloc(HUGE_N, sizeof(*pfns), GFP_KERNEL);
	if (!x || !y || !pfns) {
		kfree(pfns);
		return edu_fail(edu, "out of memory");
	}
	fill_pattern(x, 0x51);
	fill_pattern(y, 0x52);
	for (i = 0; i < HUGE_N; i++)
		pfns[i] = pfn_entry(y, true);
	f0 = flushes(ed);

	c[n++] = (struct bad_call){ "map at an unaligned IOVA",
		iommu_dir_map(dir, IOVA_BAD + 8, pfns, 1, rw, GFP_KERNEL), -EINVAL };
	c[n++] = (struct bad_call){ "map of 0 pages",
		iommu_dir_map(dir, IOVA_BAD, pfns, 0, rw, GFP_KERNEL), -EINVAL };
	c[n++] = (struct bad_call){ "update at an unaligned IOVA",
		iommu_dir_update(dir, IOVA_BAD + 8, pfns, 1, rw, GFP_KERNEL), -EINVAL };
	c[n++] = (struct bad_call){ "update of 0 pages",
		iommu_dir_update(dir, IOVA_BAD, pfns, 0, rw, GFP_KERNEL), -EINVAL };
	c[n++] = (struct bad_call){ "unmap at an unaligned IOVA (bytes)",
		iommu_dir_unmap(dir, IOVA_BAD + 8, 1), 0 };
	c[n++] = (struct bad_call){ "map at the MSI window 0xfee00000",
		iommu_dir_map(dir, 0xfee00000UL, pfns, 1, rw, GFP_KERNEL),
		-EADDRNOTAVAIL };
	c[n++] = (struct bad_call){ "map of 2 pages ending in the MSI window",
		iommu_dir_map(dir, 0xfee00000UL - PAGE_SIZE, pfns, 2, rw, GFP_KERNEL),
		-EADDRNOTAVAIL };
	c[n++] = (struct bad_call){ "update at the MSI window",
		iommu_dir_update(dir, 0xfee00000UL, pfns, 1, rw, GFP_KERNEL),
		-EADDRNOTAVAIL };
	c[n++] = (struct bad_call){ "map across the end of the address space",
		iommu_dir_map(dir, ULONG_MAX - PAGE_SIZE + 1, pfns, 2, rw, GFP_KERNEL),
		-ERANGE };
	if (geo->force_aperture && geo->aperture_end < ULONG_MAX - PAGE_SIZE) {
		c[n++] = (struct bad_call){ "map across the aperture end",
			iommu_dir_map(dir, geo->aperture_end + 1 - PAGE_SIZE, pfns,
				      2, rw, GFP_KERNEL), -ERANGE };
		left += !!iommu_iova_to_phys(edu->domain,
					     geo->aperture_end + 1 - PAGE_SIZE);
	}
	/*
	 * The driver's other reserved windows (AMD's HyperTransport hole),
	 * leaving room in c[] for the two overlap calls.
	 */
	list_for_each_entry(r, &dir->resv, list) {
		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    r->start == 0xfee00000UL || n == ARRAY_SIZE(c) - 2)
			continue;
		c[n++] = (struct bad_call){ "map in a reserved region",
			iommu_dir_map(dir, r->start, pfns, 1, rw, GFP_KERNEL),
			-EADDRNOTAVAIL };
		diag("reserved region %#llx-%#llx (%s)", (u64)r->start,
		     (u64)(r->start + r->length - 1), resv_type_name(r->type));
		left += !!iommu_iova_to_phys(edu->domain, r->start);
	}
	left += !!iommu_iova_to_phys(edu->domain, 0xfee00000UL - PAGE_SIZE);
	left += !!iommu_iova_to_phys(edu->domain, 0xfee00000UL);

	/* Overlap: one page mapped inside the range of a second call. */
	pfns[0] = pfn_entry(x, true);
	c[n++] = (struct bad_call){ "map of 1 page inside a free range",
		iommu_dir_map(dir, IOVA_BAD + SZ_1M, pfns, 1, rw, GFP_KERNEL), 0 };
	pfns[0] = pfn_entry(y, true);
	c[n++] = (struct bad_call){ "map of 2 MiB over that page",
		iommu_dir_map(dir, IOVA_BAD, pfns, HUGE_N, rw, GFP_KERNEL), -EEXIST };
	kfree(pfns);
	wrong = bad_report(c, n);
	left += xlate_left(ed, IOVA_BAD, SZ_1M / PAGE_SIZE, 1);
	left += xlate_left(ed, IOVA_BAD + SZ_1M + PAGE_SIZE,
			   SZ_1M / PAGE_SIZE - 1, 1);
	if (iommu_iova_to_phys(edu->domain, IOVA_BAD + SZ_1M) != page_to_phys(x))
		left++;
	f0 = flushes(ed) - f0;

	/* The device agrees: the refused map left nothing, the first is intact. */
	changed = write_blocked(ed, IOVA_BAD, y, 0x53, true);
	rd = dev_read(ed, IOVA_BAD + SZ_1M, 0x3c) ? -1 :
	     read_mismatches(ed, 0, page_address(x));
	if (changed < 0 || rd < 0)
		return edu_fail(edu, "transfer did not complete");
	diag("dir: saw: refused: %u calls, %u not as documented; %u stray mappings, %ld flushes",
	     n, wrong, left, f0);
	diag("dir: saw: refused: device %s the refused range, the page mapped before is %s",
	     changed ? "REACHED" : "cannot reach", rd ? "LOST" : "intact");
	if (dir_unmap(ed, IOVA_BAD + SZ_1M, 1, 1))
		return edu_fail(edu, "unmap failed");
	if (wrong)
		return edu_fail(edu, "a call returned other than the documented errno");
	/*
	 * Only the overlapping 2 MiB map may flush, once: it had mapped the
	 * free first half, which the IOMMU may have cached, before it found
	 * the page and rolled back.  Every other refusal comes first.
	 */
	if (left || f0 > 1 || changed || rd)
		return edu_fail(edu, "a refused call changed the mapping");
	return EDU_PASS;
}

static enum edu_result test_domain_detach(struct edu_dev *edu)
{
	struct edu_dir *ed = to_dir(edu);
	struct iommu_domain *now;

	if (!edu->domain)
		return edu_fail(edu, "no domain attached");
	diag("dir: total: %lu transfers moved %llu bytes; the CPU checked %llu bytes",
	     edu->nr_xfers, edu->bytes_moved, ed->bytes_verified);
	if (dir_unmap(ed, IOVA_STAGE, 1, 1) || dir_unmap(ed, IOVA_SINK, 1, 1))
		return edu_fail(edu, "unmap failed");
	/* The negative control skips the unmap test. */
	if (no_flush)
		iommu_dir_unmap(&ed->dir, IOVA_UPD, UPD_N);
	/* What the tests mapped, they unmapped: nothing may be left. */
	if (xlate_left(ed, DIR_BASE, 6ULL * SZ_1G / PAGE_SIZE, 4093))
		return edu_fail(edu, "mappings left behind");
	iommu_dir_destroy(&ed->dir);
	ed->dir_ready = false;
	now = edu_free_domain(edu);
	if (!now)
		return edu_fail(edu, "device has no domain after detach");
	diag("detached; edu is back on its default domain (type %#x)",
	     now->type);
	return EDU_PASS;
}

static const struct edu_test dir_tests[] = {
	{ "domain_attach", test_domain_attach },
	{ "map_array_dma_every_byte", test_map },
	{ "map_invalid_entries_unreachable", test_map_invalid },
	{ "map_readonly_entries", test_readonly },
	{ "update_device_sees_new_pages_only", test_update },
	{ "unmap_device_reaches_nothing", test_unmap },
	{ "huge_page_2m", test_huge_2m },
	{ "update_splits_2m_page", test_huge_split },
	{ "huge_page_1g", test_huge_1g },
	{ "iova_below_2pow48", test_top },
	{ "bad_input_changes_nothing", test_bad_input },
	{ "domain_detach", test_domain_detach },
};

/* The negative control: the updates, and what they need. */
static const struct edu_test no_flush_tests[] = {
	{ "domain_attach", test_domain_attach },
	{ "update_device_sees_new_pages_only", test_update },
	{ "huge_page_2m", test_huge_2m },
	{ "update_splits_2m_page", test_huge_split },
	{ "domain_detach", test_domain_detach },
};

/* ---- the PCI driver ------------------------------------------------------- */

static void dir_teardown(struct edu_dir *ed)
{
	unsigned int i;

	/* No DMA may reach the pages once they are freed. */
	pci_clear_master(ed->edu.pdev);
	if (ed->dir_ready)
		iommu_dir_destroy(&ed->dir);
	ed->dir_ready = false;
	edu_free_domain(&ed->edu);
	if (ed->huge)
		__free_pages(ed->huge, HUGE_ORDER);
	ed->huge = NULL;
	for (i = 0; i < ed->nr_pages; i++)
		__free_page(ed->pages[i]);
	ed->nr_pages = 0;
}

static int dir_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dir *ed;
	int ret;

	if (dir_probed)
		return -EBUSY;	/* one edu is enough */
	ed = kzalloc(sizeof(*ed), GFP_KERNEL);
	if (!ed)
		return -ENOMEM;
	ret = edu_open(&ed->edu, pdev);
	if (ret) {
		kfree(ed);
		return ret;
	}
	pci_set_drvdata(pdev, ed);
	dir_probed = true;
	if (no_flush)
		edu_run_suite(&ed->edu, suite_name(), no_flush_tests,
			      ARRAY_SIZE(no_flush_tests),
			      "no_flush=1 updates lib-gpt directly, without the IOTLB flush");
	else
		edu_run_suite(&ed->edu, suite_name(), dir_tests,
			      ARRAY_SIZE(dir_tests), NULL);
	return 0;
}

static void dir_remove(struct pci_dev *pdev)
{
	struct edu_dir *ed = pci_get_drvdata(pdev);

	dir_teardown(ed);
	edu_close(&ed->edu);
	kfree(ed);
	dir_probed = false;
}

EDU_TEST_MODULE(dir, dir_probe, dir_remove, dir_probed, suite_name());

MODULE_DESCRIPTION("Device DMA through mappings made with the iommu directory API, with QEMU's edu");
MODULE_LICENSE("GPL");
