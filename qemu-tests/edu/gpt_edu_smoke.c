// SPDX-License-Identifier: GPL-2.0
/*
 * gpt_edu_smoke - real device DMA through an IOMMU domain this module owns.
 *
 * Why this exists: unit tests can check what a page table holds, but only a
 * DMA master behind the IOMMU shows that the hardware (here QEMU's VT-d or
 * AMD-Vi model) walks it the way we think: a mapped page is reachable at
 * exactly its IOVA, an unmapped one is not, a read-only one cannot be
 * written, and IOVAs beyond 39 bits work.  QEMU's edu device is the simplest
 * DMA master there is: it copies between a 4 KiB internal buffer and a bus
 * address, then raises an interrupt.
 *
 * Why it looks the way it does:
 *  - edu is attached to an unmanaged domain allocated here, so the DMA API
 *    is never used for it: every bus address edu sees is an IOVA this module
 *    mapped with iommu_map().
 *  - edu reports no translation failure, so every check compares bytes, and
 *    pages are poisoned first so that "nothing arrived" is visible.
 *  - Every transfer stays inside [0x40000, 0x40fff): in QEMU 7.2 a transfer
 *    that ends at 0x41000 aborts the whole emulator.
 *  - Completion is waited for on the interrupt, never polled: edu finishes a
 *    transfer on a 100 ms virtual-clock timer, which "-icount sleep=off"
 *    skips over.
 *  - Results are KTAP on the console.  "# " lines are for humans and for
 *    run-qemu.sh: which IOMMU, what is mapped where, and an "expect-fault"
 *    line before every access that must be blocked, so the runner can match
 *    it against the DMAR fault log.
 *  - break_mapping=1 maps a decoy page at every destination IOVA: a negative
 *    control proving that the checks do fail when the mapping is wrong.
 *  - Driving edu (registers, interrupt, poison and pattern checks, KTAP) is
 *    shared with gpt_edu_dir through edu-dma.h.
 */

#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "edu-dma.h"

/*
 * IOVAs used by the tests.  All are page aligned, outside the MSI window
 * (0xfee00000-0xfeefffff) and outside AMD's HyperTransport hole
 * (0xfd00000000-0xffffffffff); the second test checks that against the
 * reserved regions the IOMMU driver reports.
 */
#define IOVA_STAGE		0x00100000ULL	/* loads the edu buffer */
#define IOVA_SINK		0x00200000ULL	/* reads the edu buffer back */
#define IOVA_UNMAP_WRITE	0x00300000ULL
#define IOVA_UNMAP_READ		0x00310000ULL
#define IOVA_READONLY		0x00400000ULL	/* read by the device first */
#define IOVA_READONLY_FRESH	0x00410000ULL	/* never read by the device */
#define IOVA_LOW_SRC		0x01000000ULL
#define IOVA_LOW_DST		0x01100000ULL
#define IOVA_CROSS_SRC		0x02000000ULL
#define IOVA_CROSS_DST		0x02100000ULL
#define IOVA_2POW40_SRC		BIT_ULL(40)
#define IOVA_2POW40_DST		(BIT_ULL(40) + SZ_2M)
#define IOVA_2POW47_SRC		(BIT_ULL(47) - 8 * PAGE_SIZE)
#define IOVA_2POW47_DST		(BIT_ULL(47) - 4 * PAGE_SIZE)
#define IOVA_2POW48_SRC		(BIT_ULL(48) - 8 * PAGE_SIZE)
#define IOVA_2POW48_DST		(BIT_ULL(48) - 4 * PAGE_SIZE)

/* Every roundtrip maps two pages at each end. */
#define SPAN			(2 * PAGE_SIZE)

static const u64 test_iovas[] = {
	IOVA_STAGE, IOVA_SINK, IOVA_UNMAP_WRITE, IOVA_UNMAP_READ,
	IOVA_READONLY, IOVA_READONLY_FRESH, IOVA_LOW_SRC, IOVA_LOW_DST,
	IOVA_CROSS_SRC, IOVA_CROSS_DST, IOVA_2POW40_SRC, IOVA_2POW40_DST,
	IOVA_2POW47_SRC, IOVA_2POW47_DST, IOVA_2POW48_SRC, IOVA_2POW48_DST,
};

#define MAX_PAGES		32

static bool break_mapping;
module_param(break_mapping, bool, 0444);
MODULE_PARM_DESC(break_mapping,
		 "Negative control: map a decoy page at every destination IOVA, so the DMA checks must fail");

struct edu_smoke {
	struct edu_dev edu;
	struct list_head resv;
	bool resv_valid;
	struct page *pages[MAX_PAGES];
	unsigned int nr_pages;
	struct page *stage;
	struct page *sink;
	struct page *decoy;
	struct page *readonly;
};

static bool smoke_probed;

static struct edu_smoke *to_smoke(struct edu_dev *edu)
{
	return container_of(edu, struct edu_smoke, edu);
}

static const char *suite_name(void)
{
	return break_mapping ? "gpt_edu_smoke_break_mapping" : "gpt_edu_smoke";
}

/* ---- pages and mappings ------------------------------------------------- */

static struct page *smoke_alloc(struct edu_smoke *es)
{
	struct page *page;

	if (es->nr_pages == MAX_PAGES)
		return NULL;
	page = alloc_page(GFP_KERNEL);
	if (page)
		es->pages[es->nr_pages++] = page;
	return page;
}

/*
 * Map one page at @iova and check that the domain translates it back.
 * @what names the page in the report.
 */
static int smoke_map(struct edu_smoke *es, u64 iova, struct page *page,
		     int prot, const char *what)
{
	phys_addr_t phys = page_to_phys(page);
	phys_addr_t found;
	int ret;

	ret = iommu_map(es->edu.domain, iova, phys, PAGE_SIZE, prot, GFP_KERNEL);
	if (ret) {
		diag("iommu_map(IOVA %#llx) failed: %d", iova, ret);
		return ret;
	}
	found = iommu_iova_to_phys(es->edu.domain, iova + 0x123);
	if (found != phys + 0x123) {
		diag("IOVA %#llx translates to %pa, expected %pa",
		     iova + 0x123, &found, &phys);
		return -EIO;
	}
	diag("map IOVA %#llx -> phys %pa %s (%s)", iova, &phys,
	     prot_name(prot), what);
	return 0;
}

/* Destination pages get the decoy instead under break_mapping. */
static int smoke_map_dst(struct edu_smoke *es, u64 iova, struct page *page,
			 const char *what)
{
	if (break_mapping) {
		diag("break_mapping: IOVA %#llx gets a decoy page instead of the %s",
		     iova, what);
		page = es->decoy;
	}
	return smoke_map(es, iova, page, IOMMU_READ | IOMMU_WRITE, what);
}

static int smoke_unmap(struct edu_smoke *es, u64 iova)
{
	size_t done = iommu_unmap(es->edu.domain, iova, PAGE_SIZE);
	phys_addr_t found;

	if (done != PAGE_SIZE) {
		diag("iommu_unmap(IOVA %#llx) unmapped %zu bytes", iova, done);
		return -EIO;
	}
	found = iommu_iova_to_phys(es->edu.domain, iova);
	if (found) {
		diag("IOVA %#llx still translates to %pa after unmap", iova,
		     &found);
		return -EIO;
	}
	return 0;
}

/* Put EDU_XFER bytes of pattern @seed into the edu buffer via the stage page. */
static int load_edu(struct edu_smoke *es, u8 seed)
{
	fill_pattern(es->stage, seed);
	return dma_to_edu(&es->edu, IOVA_STAGE, EDU_XFER);
}

/* Copy the edu buffer to the sink page (poisoned first). */
static int read_edu(struct edu_smoke *es)
{
	fill_poison(es->sink);
	return dma_from_edu(&es->edu, IOVA_SINK, EDU_XFER);
}

/* ---- the tests ------------------------------------------------------------ */

static enum edu_result test_domain_attach(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);

	if (edu_attach_domain(edu) != EDU_PASS)
		return EDU_FAIL;

	es->stage = smoke_alloc(es);
	es->sink = smoke_alloc(es);
	es->decoy = smoke_alloc(es);
	if (!es->stage || !es->sink || !es->decoy)
		return edu_fail(edu, "out of memory");
	fill_poison(es->decoy);
	if (smoke_map(es, IOVA_STAGE, es->stage, IOMMU_READ | IOMMU_WRITE,
		      "staging page: loads the edu buffer") ||
	    smoke_map(es, IOVA_SINK, es->sink, IOMMU_READ | IOMMU_WRITE,
		      "sink page: reads the edu buffer back"))
		return edu_fail(edu, "cannot map the staging pages");
	return EDU_PASS;
}

static enum edu_result test_resv_regions(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);
	struct device *dev = &edu->pdev->dev;
	struct iommu_resv_region *r;
	unsigned int i, clashes = 0;

	/* The core asks the device's IOMMU driver: there has to be one. */
	if (!device_iommu_mapped(dev) || !dev->iommu || !dev->iommu->iommu_dev)
		return edu_fail(edu, "edu is not behind an IOMMU");
	iommu_get_resv_regions(dev, &es->resv);
	es->resv_valid = true;
	list_for_each_entry(r, &es->resv, list) {
		u64 start = r->start, end = r->start + r->length - 1;

		diag("reserved IOVA %#llx-%#llx (%s)", start, end,
		     resv_type_name(r->type));
		for (i = 0; i < ARRAY_SIZE(test_iovas); i++) {
			u64 lo = test_iovas[i], hi = lo + SPAN - 1;

			if (lo <= end && hi >= start) {
				diag("test IOVA %#llx overlaps it", lo);
				clashes++;
			}
		}
	}
	if (clashes)
		return edu_fail(edu, "test IOVAs overlap reserved regions");
	diag("all %zu test IOVA ranges are clear of reserved regions",
	     ARRAY_SIZE(test_iovas));
	return EDU_PASS;
}

/*
 * Map two source and two destination pages at @src / @dst, copy EDU_XFER
 * bytes from @src + @off into the edu buffer and from there to @dst + @off,
 * then check every byte of both destination pages: the copied range holds
 * the source bytes, the rest is still poison.
 */
static enum edu_result roundtrip(struct edu_smoke *es, u64 src, u64 dst,
				 unsigned int off, u8 seed, bool may_skip)
{
	struct page *sp[2], *dp[2];
	unsigned int i, bad = 0, untouched = 0, intact = 0;
	char why[96];
	int ret;

	if (edu_ready(&es->edu) != EDU_PASS)
		return EDU_FAIL;
	if (!iova_in_aperture(&es->edu, src, SPAN) ||
	    !iova_in_aperture(&es->edu, dst, SPAN)) {
		snprintf(why, sizeof(why), "IOVA %#llx is beyond the aperture end %#llx",
			 max(src, dst),
			 (unsigned long long)es->edu.domain->geometry.aperture_end);
		strscpy(es->edu.note, why, sizeof(es->edu.note));
		return may_skip ? EDU_SKIP : EDU_FAIL;
	}

	for (i = 0; i < 2; i++) {
		sp[i] = smoke_alloc(es);
		dp[i] = smoke_alloc(es);
		if (!sp[i] || !dp[i])
			return edu_fail(&es->edu, "out of memory");
		fill_pattern(sp[i], seed + i * 0x40);
		fill_poison(dp[i]);
	}
	for (i = 0; i < 2; i++) {
		if (smoke_map(es, src + i * PAGE_SIZE, sp[i],
			      IOMMU_READ | IOMMU_WRITE, "source") ||
		    smoke_map_dst(es, dst + i * PAGE_SIZE, dp[i], "destination"))
			return edu_fail(&es->edu, "map failed");
	}

	ret = dma_to_edu(&es->edu, src + off, EDU_XFER);
	if (!ret)
		ret = dma_from_edu(&es->edu, dst + off, EDU_XFER);
	if (ret)
		return edu_fail(&es->edu, "transfer did not complete");

	/* Byte i of the transfer sits in page (off + i) / PAGE_SIZE. */
	for (i = 0; i < EDU_XFER; i++) {
		unsigned int pos = off + i, pg = pos / PAGE_SIZE;
		const u8 *s = page_address(sp[pg]);
		const u8 *d = page_address(dp[pg]);

		bad += d[pos % PAGE_SIZE] != s[pos % PAGE_SIZE];
	}
	/*
	 * Everything outside the transfer must still be poison: in page i
	 * the transfer covers [lo, hi).
	 */
	for (i = 0; i < 2; i++) {
		long base = (long)i * PAGE_SIZE;
		unsigned int lo = clamp_t(long, (long)off - base, 0, PAGE_SIZE);
		unsigned int hi = clamp_t(long, (long)off + EDU_XFER - base, 0,
					  PAGE_SIZE);

		untouched += lo + (PAGE_SIZE - hi);
		intact += lo - poison_mismatches(dp[i], 0, lo);
		intact += (PAGE_SIZE - hi) -
			  poison_mismatches(dp[i], hi, PAGE_SIZE - hi);
	}
	diag("dma: %u bytes IOVA %#llx -> edu -> IOVA %#llx: %u/%u match, %u/%u rest intact",
	     EDU_XFER, src + off, dst + off, EDU_XFER - bad,
	     EDU_XFER, intact, untouched);

	for (i = 0; i < 2; i++) {
		if (smoke_unmap(es, src + i * PAGE_SIZE) ||
		    smoke_unmap(es, dst + i * PAGE_SIZE))
			return edu_fail(&es->edu, "unmap failed");
	}
	if (bad)
		return edu_fail(&es->edu, "destination does not hold the source bytes");
	if (intact != untouched)
		return edu_fail(&es->edu, "bytes outside the transfer were changed");
	return EDU_PASS;
}

static enum edu_result test_roundtrip_low(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);

	return roundtrip(es, IOVA_LOW_SRC, IOVA_LOW_DST, 0x100, 0x11, false);
}

static enum edu_result test_roundtrip_cross(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);

	/* 1 KiB from the end of one page plus 1 KiB of the next. */
	return roundtrip(es, IOVA_CROSS_SRC, IOVA_CROSS_DST,
			 PAGE_SIZE - EDU_XFER / 2, 0x22, false);
}

static enum edu_result test_roundtrip_2pow40(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);

	return roundtrip(es, IOVA_2POW40_SRC, IOVA_2POW40_DST, 0x400, 0x33,
			 false);
}

static enum edu_result test_roundtrip_2pow47(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);

	return roundtrip(es, IOVA_2POW47_SRC, IOVA_2POW47_DST, 0x7ff, 0x44,
			 false);
}

static enum edu_result test_roundtrip_2pow48(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);

	return roundtrip(es, IOVA_2POW48_SRC, IOVA_2POW48_DST, 0x800, 0x55,
			 true);
}

static enum edu_result test_unmap_blocks_write(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);
	struct page *page;
	unsigned int bad;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	page = smoke_alloc(es);
	if (!page)
		return edu_fail(edu, "out of memory");
	fill_poison(page);
	if (smoke_map_dst(es, IOVA_UNMAP_WRITE, page, "page to unmap"))
		return edu_fail(edu, "map failed");

	/* While mapped, a device write must land. */
	if (load_edu(es, 0x66) || dma_from_edu(edu, IOVA_UNMAP_WRITE, EDU_XFER))
		return edu_fail(edu, "transfer did not complete");
	bad = pattern_mismatches(page, 0x66, 0, EDU_XFER);
	if (bad) {
		diag("while mapped: %u/%u bytes of the device write arrived",
		     EDU_XFER - bad, EDU_XFER);
		return edu_fail(edu, "device write to a mapped page did not land");
	}

	if (smoke_unmap(es, IOVA_UNMAP_WRITE))
		return edu_fail(edu, "unmap failed");
	fill_poison(page);
	if (load_edu(es, 0x77))
		return edu_fail(edu, "transfer did not complete");
	expect_fault("write", IOVA_UNMAP_WRITE, true);
	if (dma_from_edu(edu, IOVA_UNMAP_WRITE, EDU_XFER))
		return edu_fail(edu, "transfer did not complete");
	bad = poison_mismatches(page, 0, PAGE_SIZE);
	diag("unmap: IOVA %#llx, then a %u-byte device write to it: %lu/%lu bytes unchanged",
	     IOVA_UNMAP_WRITE, EDU_XFER, PAGE_SIZE - bad, PAGE_SIZE);
	if (bad)
		return edu_fail(edu, "device wrote to an unmapped page");
	return EDU_PASS;
}

static enum edu_result test_unmap_blocks_read(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);
	struct page *page;
	unsigned int bad;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	page = smoke_alloc(es);
	if (!page)
		return edu_fail(edu, "out of memory");
	fill_pattern(page, 0x88);
	if (smoke_map(es, IOVA_UNMAP_READ, page, IOMMU_READ | IOMMU_WRITE,
		      "page to unmap"))
		return edu_fail(edu, "map failed");

	/* While mapped, the device reads the page. */
	if (dma_to_edu(edu, IOVA_UNMAP_READ, EDU_XFER) || read_edu(es))
		return edu_fail(edu, "transfer did not complete");
	bad = pattern_mismatches(es->sink, 0x88, 0, EDU_XFER);
	if (bad)
		return edu_fail(edu, "device read of a mapped page failed");

	if (smoke_unmap(es, IOVA_UNMAP_READ))
		return edu_fail(edu, "unmap failed");
	if (load_edu(es, 0x99))
		return edu_fail(edu, "transfer did not complete");
	expect_fault("read", IOVA_UNMAP_READ, true);
	if (dma_to_edu(edu, IOVA_UNMAP_READ, EDU_XFER) || read_edu(es))
		return edu_fail(edu, "transfer did not complete");
	bad = pattern_mismatches(es->sink, 0x88, 0, EDU_XFER);
	diag("unmap: IOVA %#llx, then a %u-byte device read: %u bytes match the page (edu %s)",
	     IOVA_UNMAP_READ, EDU_XFER, EDU_XFER - bad,
	     describe_edu_copy(es->sink, 0x99));
	if (!bad)
		return edu_fail(edu, "device read an unmapped page");
	return EDU_PASS;
}

static enum edu_result test_readonly_read(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);
	unsigned int bad;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	es->readonly = smoke_alloc(es);
	if (!es->readonly)
		return edu_fail(edu, "out of memory");
	fill_pattern(es->readonly, 0xaa);
	if (smoke_map(es, IOVA_READONLY, es->readonly, IOMMU_READ,
		      "read-only page")) {
		es->readonly = NULL;
		return edu_fail(edu, "map failed");
	}
	if (dma_to_edu(edu, IOVA_READONLY, EDU_XFER) || read_edu(es))
		return edu_fail(edu, "transfer did not complete");
	bad = pattern_mismatches(es->sink, 0xaa, 0, EDU_XFER);
	diag("read-only: device read %u bytes from IOVA %#llx: %u/%u match",
	     EDU_XFER, IOVA_READONLY, EDU_XFER - bad, EDU_XFER);
	if (bad)
		return edu_fail(edu, "device read of a read-only page failed");
	return EDU_PASS;
}

/*
 * Two writes: to a read-only page the device never touched, which QEMU's
 * VT-d walks and reports as a DMAR fault, and to the page the previous test
 * read, whose read-only translation QEMU may already hold in its IOTLB and
 * then refuses without logging anything.  Both pages must stay unchanged.
 */
static enum edu_result test_readonly_write(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);
	struct page *fresh;
	unsigned int bad_fresh, bad_read;

	if (edu_ready(edu) != EDU_PASS)
		return EDU_FAIL;
	if (!es->readonly)
		return edu_fail(edu, "read-only page not mapped");
	fresh = smoke_alloc(es);
	if (!fresh)
		return edu_fail(edu, "out of memory");
	fill_pattern(fresh, 0xcc);
	if (smoke_map(es, IOVA_READONLY_FRESH, fresh, IOMMU_READ,
		      "read-only page, not yet read"))
		return edu_fail(edu, "map failed");

	if (load_edu(es, 0xbb))
		return edu_fail(edu, "transfer did not complete");
	expect_fault("write", IOVA_READONLY_FRESH, true);
	if (dma_from_edu(edu, IOVA_READONLY_FRESH, EDU_XFER))
		return edu_fail(edu, "transfer did not complete");
	expect_fault("write", IOVA_READONLY, false);
	if (dma_from_edu(edu, IOVA_READONLY, EDU_XFER))
		return edu_fail(edu, "transfer did not complete");
	bad_fresh = pattern_mismatches(fresh, 0xcc, 0, PAGE_SIZE);
	bad_read = pattern_mismatches(es->readonly, 0xaa, 0, PAGE_SIZE);
	diag("read-only: device write of %u bytes to IOVA %#llx: %lu/%lu bytes unchanged",
	     EDU_XFER, IOVA_READONLY_FRESH, PAGE_SIZE - bad_fresh, PAGE_SIZE);
	diag("read-only: device write of %u bytes to IOVA %#llx: %lu/%lu bytes unchanged",
	     EDU_XFER, IOVA_READONLY, PAGE_SIZE - bad_read, PAGE_SIZE);
	if (smoke_unmap(es, IOVA_READONLY_FRESH) ||
	    smoke_unmap(es, IOVA_READONLY))
		return edu_fail(edu, "unmap failed");
	if (bad_fresh || bad_read)
		return edu_fail(edu, "device wrote to a read-only page");
	return EDU_PASS;
}

static enum edu_result test_domain_detach(struct edu_dev *edu)
{
	struct edu_smoke *es = to_smoke(edu);
	struct iommu_domain *now;

	if (!edu->domain)
		return edu_fail(edu, "no domain attached");
	if (smoke_unmap(es, IOVA_STAGE) || smoke_unmap(es, IOVA_SINK))
		return edu_fail(edu, "unmap failed");
	now = edu_free_domain(edu);
	if (!now)
		return edu_fail(edu, "device has no domain after detach");
	diag("detached; edu is back on its default domain (type %#x)",
	     now->type);
	return EDU_PASS;
}

static const struct edu_test smoke_tests[] = {
	{ "domain_attach", test_domain_attach },
	{ "iovas_clear_of_reserved_regions", test_resv_regions },
	{ "dma_roundtrip_low_iova", test_roundtrip_low },
	{ "dma_roundtrip_across_pages", test_roundtrip_cross },
	{ "dma_roundtrip_iova_2pow40", test_roundtrip_2pow40 },
	{ "dma_roundtrip_iova_below_2pow47", test_roundtrip_2pow47 },
	{ "dma_roundtrip_iova_below_2pow48", test_roundtrip_2pow48 },
	{ "unmap_blocks_device_write", test_unmap_blocks_write },
	{ "unmap_blocks_device_read", test_unmap_blocks_read },
	{ "readonly_allows_device_read", test_readonly_read },
	{ "readonly_blocks_device_write", test_readonly_write },
	{ "domain_detach", test_domain_detach },
};

/* ---- the PCI driver ------------------------------------------------------- */

static void smoke_teardown(struct edu_smoke *es)
{
	unsigned int i;

	/* No DMA may reach the pages once they are freed. */
	pci_clear_master(es->edu.pdev);
	edu_free_domain(&es->edu);
	if (es->resv_valid)
		iommu_put_resv_regions(&es->edu.pdev->dev, &es->resv);
	es->resv_valid = false;
	for (i = 0; i < es->nr_pages; i++)
		__free_page(es->pages[i]);
	es->nr_pages = 0;
}

static int smoke_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_smoke *es;
	int ret;

	if (smoke_probed)
		return -EBUSY;	/* one edu is enough */
	es = kzalloc(sizeof(*es), GFP_KERNEL);
	if (!es)
		return -ENOMEM;
	INIT_LIST_HEAD(&es->resv);
	ret = edu_open(&es->edu, pdev);
	if (ret) {
		kfree(es);
		return ret;
	}
	pci_set_drvdata(pdev, es);
	smoke_probed = true;

	edu_run_suite(&es->edu, suite_name(), smoke_tests,
		      ARRAY_SIZE(smoke_tests),
		      break_mapping ?
		      "break_mapping=1 maps a decoy page at each target IOVA" :
		      NULL);
	return 0;
}

static void smoke_remove(struct pci_dev *pdev)
{
	struct edu_smoke *es = pci_get_drvdata(pdev);

	smoke_teardown(es);
	edu_close(&es->edu);
	kfree(es);
	smoke_probed = false;
}

EDU_TEST_MODULE(smoke, smoke_probe, smoke_remove, smoke_probed, suite_name());

MODULE_DESCRIPTION("Device DMA through a driver-owned IOMMU domain, with QEMU's edu");
MODULE_LICENSE("GPL");
