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
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_REG_IDENT		0x00
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_CMD_START		BIT(0)
#define EDU_CMD_TO_RAM		BIT(1)
#define EDU_CMD_IRQ		BIT(2)
#define EDU_IRQ_DMA		0x100

/* The internal buffer, as edu addresses it; reachable only by DMA. */
#define EDU_BUF			0x40000ULL
/* One transfer: half the buffer, well clear of the 0x41000 abort. */
#define EDU_XFER		2048
/* Guest (virtual-clock) time; a transfer takes 100 ms. */
#define EDU_DMA_TIMEOUT_MS	3000

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

/*
 * The VT-d driver rate-limits its fault messages (10 per 5 s, and one fault
 * costs three), so an access that must show up in the DMAR fault log waits
 * until the previous window has run out.  Virtual time: with
 * "-icount sleep=off" an idle guest skips over it.
 */
#define FAULT_LOG_GAP_MS	5100

#define POISON			0xa5
#define MAX_PAGES		32

static bool break_mapping;
module_param(break_mapping, bool, 0444);
MODULE_PARM_DESC(break_mapping,
		 "Negative control: map a decoy page at every destination IOVA, so the DMA checks must fail");

enum smoke_result {
	SMOKE_PASS,
	SMOKE_FAIL,
	SMOKE_SKIP,
};

struct edu_smoke {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct completion dma_done;
	struct iommu_domain *domain;
	const char *iommu_name;
	const char *iommu_kind;
	struct list_head resv;
	bool resv_valid;
	bool dead;		/* a transfer timed out: stop issuing DMA */
	struct page *pages[MAX_PAGES];
	unsigned int nr_pages;
	struct page *stage;
	struct page *sink;
	struct page *decoy;
	struct page *readonly;
	char note[128];		/* why a test failed or was skipped */
};

static bool smoke_probed;

static __printf(1, 2) void diag(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("# %pV\n", &vaf);
	va_end(args);
}

static const char *suite_name(void)
{
	return break_mapping ? "gpt_edu_smoke_break_mapping" : "gpt_edu_smoke";
}

/* ---- edu ---------------------------------------------------------------- */

static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu_smoke *es = data;
	u32 status = readl(es->mmio + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	writel(status, es->mmio + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&es->dma_done);
	return IRQ_HANDLED;
}

/*
 * One edu transfer of @len bytes; @to_ram selects edu buffer -> bus address,
 * otherwise bus address -> edu buffer.  Returns once the completion
 * interrupt arrived.
 */
static int edu_dma(struct edu_smoke *es, u64 src, u64 dst, u32 len,
		   bool to_ram)
{
	u64 cmd = EDU_CMD_START | EDU_CMD_IRQ | (to_ram ? EDU_CMD_TO_RAM : 0);

	if (es->dead)
		return -EIO;
	if (readq(es->mmio + EDU_REG_DMA_CMD) & EDU_CMD_START) {
		diag("edu: a transfer is still running");
		es->dead = true;
		return -EBUSY;
	}
	reinit_completion(&es->dma_done);
	writeq(src, es->mmio + EDU_REG_DMA_SRC);
	writeq(dst, es->mmio + EDU_REG_DMA_DST);
	writeq(len, es->mmio + EDU_REG_DMA_COUNT);
	writeq(cmd, es->mmio + EDU_REG_DMA_CMD);
	if (!wait_for_completion_timeout(&es->dma_done,
					 msecs_to_jiffies(EDU_DMA_TIMEOUT_MS))) {
		diag("edu: no completion interrupt after %u ms",
		     EDU_DMA_TIMEOUT_MS);
		es->dead = true;
		return -ETIMEDOUT;
	}
	return 0;
}

/* bus address @iova -> edu buffer */
static int dma_to_edu(struct edu_smoke *es, u64 iova, u32 len)
{
	return edu_dma(es, iova, EDU_BUF, len, false);
}

/* edu buffer -> bus address @iova */
static int dma_from_edu(struct edu_smoke *es, u64 iova, u32 len)
{
	return edu_dma(es, EDU_BUF, iova, len, true);
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

static u8 pattern_byte(u8 seed, unsigned int i)
{
	/* Two different seeds differ in every byte. */
	return seed + i * 7 + (i >> 8);
}

static void fill_pattern(struct page *page, u8 seed)
{
	u8 *p = page_address(page);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = pattern_byte(seed, i);
}

static void fill_poison(struct page *page)
{
	memset(page_address(page), POISON, PAGE_SIZE);
}

/* Bytes in [off, off + len) of @page that differ from pattern @seed. */
static unsigned int pattern_mismatches(struct page *page, u8 seed,
				       unsigned int off, unsigned int len)
{
	const u8 *p = page_address(page);
	unsigned int i, bad = 0;

	for (i = off; i < off + len; i++)
		bad += p[i] != pattern_byte(seed, i);
	return bad;
}

static unsigned int poison_mismatches(struct page *page, unsigned int off,
				      unsigned int len)
{
	const u8 *p = page_address(page);
	unsigned int i, bad = 0;

	for (i = off; i < off + len; i++)
		bad += p[i] != POISON;
	return bad;
}

static bool iova_in_aperture(struct edu_smoke *es, u64 iova, u64 len)
{
	const struct iommu_domain_geometry *g = &es->domain->geometry;

	return iova >= g->aperture_start && iova + len - 1 <= g->aperture_end;
}

static const char *prot_name(int prot)
{
	if ((prot & (IOMMU_READ | IOMMU_WRITE)) == (IOMMU_READ | IOMMU_WRITE))
		return "read-write";
	return prot & IOMMU_READ ? "read-only" : "write-only";
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

	ret = iommu_map(es->domain, iova, phys, PAGE_SIZE, prot, GFP_KERNEL);
	if (ret) {
		diag("iommu_map(IOVA %#llx) failed: %d", iova, ret);
		return ret;
	}
	found = iommu_iova_to_phys(es->domain, iova + 0x123);
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
	size_t done = iommu_unmap(es->domain, iova, PAGE_SIZE);
	phys_addr_t found;

	if (done != PAGE_SIZE) {
		diag("iommu_unmap(IOVA %#llx) unmapped %zu bytes", iova, done);
		return -EIO;
	}
	found = iommu_iova_to_phys(es->domain, iova);
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
	return dma_to_edu(es, IOVA_STAGE, EDU_XFER);
}

/* Copy the edu buffer to the sink page (poisoned first). */
static int read_edu(struct edu_smoke *es)
{
	fill_poison(es->sink);
	return dma_from_edu(es, IOVA_SINK, EDU_XFER);
}

/* What the edu buffer held, as read back into the sink page. */
static const char *describe_sink(struct edu_smoke *es, u8 old_seed)
{
	const u8 *p = page_address(es->sink);

	if (!pattern_mismatches(es->sink, old_seed, 0, EDU_XFER))
		return "buffer kept its old data";
	if (!memchr_inv(p, 0, EDU_XFER))
		return "buffer got zeros";
	if (!memchr_inv(p, 0xff, EDU_XFER))
		return "buffer got all-ones";
	return "buffer got other data";
}

/*
 * Announce an access the IOMMU must block (@certain: QEMU walks the tables
 * and records a fault; otherwise it may refuse from its IOTLB silently).
 */
static void expect_fault(const char *access, u64 iova, bool certain)
{
	msleep(FAULT_LOG_GAP_MS);
	diag("%s: %s %#llx", certain ? "expect-fault" : "maybe-fault", access,
	     iova);
}

/* ---- the tests ------------------------------------------------------------ */

static enum smoke_result fail(struct edu_smoke *es, const char *why)
{
	strscpy(es->note, why, sizeof(es->note));
	return SMOKE_FAIL;
}

static enum smoke_result need_domain(struct edu_smoke *es)
{
	if (!es->domain)
		return fail(es, "no domain attached");
	if (es->dead)
		return fail(es, "edu stopped answering");
	return SMOKE_PASS;
}

static int count_group_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

static void name_iommu(struct edu_smoke *es)
{
	struct device *dev = &es->pdev->dev;
	struct iommu_device *iommu;

	es->iommu_name = "unknown";
	es->iommu_kind = "unknown IOMMU";
	if (!dev->iommu || !dev->iommu->iommu_dev)
		return;
	iommu = dev->iommu->iommu_dev;
	if (!iommu->dev)
		return;
	es->iommu_name = dev_name(iommu->dev);
	if (!strncmp(es->iommu_name, "dmar", 4))
		es->iommu_kind = "Intel VT-d";
	else if (!strncmp(es->iommu_name, "ivhd", 4))
		es->iommu_kind = "AMD-Vi";
}

static enum smoke_result test_domain_attach(struct edu_smoke *es)
{
	struct device *dev = &es->pdev->dev;
	struct iommu_domain *domain;
	struct iommu_group *group;
	unsigned int members = 0;
	int ret;

	group = iommu_group_get(dev);
	if (!group)
		return fail(es, "edu is not behind an IOMMU");
	iommu_group_for_each_dev(group, &members, count_group_dev);
	iommu_group_put(group);
	if (members != 1) {
		diag("edu shares its IOMMU group with %u other devices",
		     members - 1);
		return fail(es, "edu is not alone in its IOMMU group");
	}

	name_iommu(es);
	domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(domain)) {
		diag("iommu_paging_domain_alloc: %ld", PTR_ERR(domain));
		return fail(es, "cannot allocate a paging domain");
	}
	ret = iommu_attach_device(domain, dev);
	if (ret) {
		diag("iommu_attach_device: %d", ret);
		iommu_domain_free(domain);
		return fail(es, "cannot attach the domain");
	}
	es->domain = domain;
	if (iommu_get_domain_for_dev(dev) != domain)
		return fail(es, "device is not on the new domain");
	/* Aperture and page sizes are final only once attached. */
	diag("iommu: %s (%s); domain aperture %#llx-%#llx, page sizes %#lx",
	     es->iommu_name, es->iommu_kind,
	     (unsigned long long)domain->geometry.aperture_start,
	     (unsigned long long)domain->geometry.aperture_end,
	     domain->pgsize_bitmap);

	es->stage = smoke_alloc(es);
	es->sink = smoke_alloc(es);
	es->decoy = smoke_alloc(es);
	if (!es->stage || !es->sink || !es->decoy)
		return fail(es, "out of memory");
	fill_poison(es->decoy);
	if (smoke_map(es, IOVA_STAGE, es->stage, IOMMU_READ | IOMMU_WRITE,
		      "staging page: loads the edu buffer") ||
	    smoke_map(es, IOVA_SINK, es->sink, IOMMU_READ | IOMMU_WRITE,
		      "sink page: reads the edu buffer back"))
		return fail(es, "cannot map the staging pages");
	return SMOKE_PASS;
}

static const char * const resv_type_names[] = {
	[IOMMU_RESV_DIRECT] = "direct",
	[IOMMU_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
	[IOMMU_RESV_RESERVED] = "reserved",
	[IOMMU_RESV_MSI] = "msi",
	[IOMMU_RESV_SW_MSI] = "sw-msi",
};

static enum smoke_result test_resv_regions(struct edu_smoke *es)
{
	struct device *dev = &es->pdev->dev;
	struct iommu_resv_region *r;
	unsigned int i, clashes = 0;

	/* The core asks the device's IOMMU driver: there has to be one. */
	if (!device_iommu_mapped(dev) || !dev->iommu || !dev->iommu->iommu_dev)
		return fail(es, "edu is not behind an IOMMU");
	iommu_get_resv_regions(dev, &es->resv);
	es->resv_valid = true;
	list_for_each_entry(r, &es->resv, list) {
		u64 start = r->start, end = r->start + r->length - 1;

		diag("reserved IOVA %#llx-%#llx (%s)", start, end,
		     r->type < ARRAY_SIZE(resv_type_names) ?
		     resv_type_names[r->type] : "?");
		for (i = 0; i < ARRAY_SIZE(test_iovas); i++) {
			u64 lo = test_iovas[i], hi = lo + SPAN - 1;

			if (lo <= end && hi >= start) {
				diag("test IOVA %#llx overlaps it", lo);
				clashes++;
			}
		}
	}
	if (clashes)
		return fail(es, "test IOVAs overlap reserved regions");
	diag("all %zu test IOVA ranges are clear of reserved regions",
	     ARRAY_SIZE(test_iovas));
	return SMOKE_PASS;
}

/*
 * Map two source and two destination pages at @src / @dst, copy EDU_XFER
 * bytes from @src + @off into the edu buffer and from there to @dst + @off,
 * then check every byte of both destination pages: the copied range holds
 * the source bytes, the rest is still poison.
 */
static enum smoke_result roundtrip(struct edu_smoke *es, u64 src, u64 dst,
				   unsigned int off, u8 seed, bool may_skip)
{
	struct page *sp[2], *dp[2];
	unsigned int i, bad = 0, untouched = 0, intact = 0;
	char why[96];
	int ret;

	if (need_domain(es) != SMOKE_PASS)
		return SMOKE_FAIL;
	if (!iova_in_aperture(es, src, SPAN) ||
	    !iova_in_aperture(es, dst, SPAN)) {
		snprintf(why, sizeof(why), "IOVA %#llx is beyond the aperture end %#llx",
			 max(src, dst),
			 (unsigned long long)es->domain->geometry.aperture_end);
		strscpy(es->note, why, sizeof(es->note));
		return may_skip ? SMOKE_SKIP : SMOKE_FAIL;
	}

	for (i = 0; i < 2; i++) {
		sp[i] = smoke_alloc(es);
		dp[i] = smoke_alloc(es);
		if (!sp[i] || !dp[i])
			return fail(es, "out of memory");
		fill_pattern(sp[i], seed + i * 0x40);
		fill_poison(dp[i]);
	}
	for (i = 0; i < 2; i++) {
		if (smoke_map(es, src + i * PAGE_SIZE, sp[i],
			      IOMMU_READ | IOMMU_WRITE, "source") ||
		    smoke_map_dst(es, dst + i * PAGE_SIZE, dp[i], "destination"))
			return fail(es, "map failed");
	}

	ret = dma_to_edu(es, src + off, EDU_XFER);
	if (!ret)
		ret = dma_from_edu(es, dst + off, EDU_XFER);
	if (ret)
		return fail(es, "transfer did not complete");

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
			return fail(es, "unmap failed");
	}
	if (bad)
		return fail(es, "destination does not hold the source bytes");
	if (intact != untouched)
		return fail(es, "bytes outside the transfer were changed");
	return SMOKE_PASS;
}

static enum smoke_result test_roundtrip_low(struct edu_smoke *es)
{
	return roundtrip(es, IOVA_LOW_SRC, IOVA_LOW_DST, 0x100, 0x11, false);
}

static enum smoke_result test_roundtrip_cross(struct edu_smoke *es)
{
	/* 1 KiB from the end of one page plus 1 KiB of the next. */
	return roundtrip(es, IOVA_CROSS_SRC, IOVA_CROSS_DST,
			 PAGE_SIZE - EDU_XFER / 2, 0x22, false);
}

static enum smoke_result test_roundtrip_2pow40(struct edu_smoke *es)
{
	return roundtrip(es, IOVA_2POW40_SRC, IOVA_2POW40_DST, 0x400, 0x33,
			 false);
}

static enum smoke_result test_roundtrip_2pow47(struct edu_smoke *es)
{
	return roundtrip(es, IOVA_2POW47_SRC, IOVA_2POW47_DST, 0x7ff, 0x44,
			 false);
}

static enum smoke_result test_roundtrip_2pow48(struct edu_smoke *es)
{
	return roundtrip(es, IOVA_2POW48_SRC, IOVA_2POW48_DST, 0x800, 0x55,
			 true);
}

static enum smoke_result test_unmap_blocks_write(struct edu_smoke *es)
{
	struct page *page;
	unsigned int bad;

	if (need_domain(es) != SMOKE_PASS)
		return SMOKE_FAIL;
	page = smoke_alloc(es);
	if (!page)
		return fail(es, "out of memory");
	fill_poison(page);
	if (smoke_map_dst(es, IOVA_UNMAP_WRITE, page, "page to unmap"))
		return fail(es, "map failed");

	/* While mapped, a device write must land. */
	if (load_edu(es, 0x66) || dma_from_edu(es, IOVA_UNMAP_WRITE, EDU_XFER))
		return fail(es, "transfer did not complete");
	bad = pattern_mismatches(page, 0x66, 0, EDU_XFER);
	if (bad) {
		diag("while mapped: %u/%u bytes of the device write arrived",
		     EDU_XFER - bad, EDU_XFER);
		return fail(es, "device write to a mapped page did not land");
	}

	if (smoke_unmap(es, IOVA_UNMAP_WRITE))
		return fail(es, "unmap failed");
	fill_poison(page);
	if (load_edu(es, 0x77))
		return fail(es, "transfer did not complete");
	expect_fault("write", IOVA_UNMAP_WRITE, true);
	if (dma_from_edu(es, IOVA_UNMAP_WRITE, EDU_XFER))
		return fail(es, "transfer did not complete");
	bad = poison_mismatches(page, 0, PAGE_SIZE);
	diag("unmap: IOVA %#llx, then a %u-byte device write to it: %lu/%lu bytes unchanged",
	     IOVA_UNMAP_WRITE, EDU_XFER, PAGE_SIZE - bad, PAGE_SIZE);
	if (bad)
		return fail(es, "device wrote to an unmapped page");
	return SMOKE_PASS;
}

static enum smoke_result test_unmap_blocks_read(struct edu_smoke *es)
{
	struct page *page;
	unsigned int bad;

	if (need_domain(es) != SMOKE_PASS)
		return SMOKE_FAIL;
	page = smoke_alloc(es);
	if (!page)
		return fail(es, "out of memory");
	fill_pattern(page, 0x88);
	if (smoke_map(es, IOVA_UNMAP_READ, page, IOMMU_READ | IOMMU_WRITE,
		      "page to unmap"))
		return fail(es, "map failed");

	/* While mapped, the device reads the page. */
	if (dma_to_edu(es, IOVA_UNMAP_READ, EDU_XFER) || read_edu(es))
		return fail(es, "transfer did not complete");
	bad = pattern_mismatches(es->sink, 0x88, 0, EDU_XFER);
	if (bad)
		return fail(es, "device read of a mapped page failed");

	if (smoke_unmap(es, IOVA_UNMAP_READ))
		return fail(es, "unmap failed");
	if (load_edu(es, 0x99))
		return fail(es, "transfer did not complete");
	expect_fault("read", IOVA_UNMAP_READ, true);
	if (dma_to_edu(es, IOVA_UNMAP_READ, EDU_XFER) || read_edu(es))
		return fail(es, "transfer did not complete");
	bad = pattern_mismatches(es->sink, 0x88, 0, EDU_XFER);
	diag("unmap: IOVA %#llx, then a %u-byte device read: %u bytes match the page (edu %s)",
	     IOVA_UNMAP_READ, EDU_XFER, EDU_XFER - bad,
	     describe_sink(es, 0x99));
	if (!bad)
		return fail(es, "device read an unmapped page");
	return SMOKE_PASS;
}

static enum smoke_result test_readonly_read(struct edu_smoke *es)
{
	unsigned int bad;

	if (need_domain(es) != SMOKE_PASS)
		return SMOKE_FAIL;
	es->readonly = smoke_alloc(es);
	if (!es->readonly)
		return fail(es, "out of memory");
	fill_pattern(es->readonly, 0xaa);
	if (smoke_map(es, IOVA_READONLY, es->readonly, IOMMU_READ,
		      "read-only page")) {
		es->readonly = NULL;
		return fail(es, "map failed");
	}
	if (dma_to_edu(es, IOVA_READONLY, EDU_XFER) || read_edu(es))
		return fail(es, "transfer did not complete");
	bad = pattern_mismatches(es->sink, 0xaa, 0, EDU_XFER);
	diag("read-only: device read %u bytes from IOVA %#llx: %u/%u match",
	     EDU_XFER, IOVA_READONLY, EDU_XFER - bad, EDU_XFER);
	if (bad)
		return fail(es, "device read of a read-only page failed");
	return SMOKE_PASS;
}

/*
 * Two writes: to a read-only page the device never touched, which QEMU's
 * VT-d walks and reports as a DMAR fault, and to the page the previous test
 * read, whose read-only translation QEMU may already hold in its IOTLB and
 * then refuses without logging anything.  Both pages must stay unchanged.
 */
static enum smoke_result test_readonly_write(struct edu_smoke *es)
{
	struct page *fresh;
	unsigned int bad_fresh, bad_read;

	if (need_domain(es) != SMOKE_PASS)
		return SMOKE_FAIL;
	if (!es->readonly)
		return fail(es, "read-only page not mapped");
	fresh = smoke_alloc(es);
	if (!fresh)
		return fail(es, "out of memory");
	fill_pattern(fresh, 0xcc);
	if (smoke_map(es, IOVA_READONLY_FRESH, fresh, IOMMU_READ,
		      "read-only page, not yet read"))
		return fail(es, "map failed");

	if (load_edu(es, 0xbb))
		return fail(es, "transfer did not complete");
	expect_fault("write", IOVA_READONLY_FRESH, true);
	if (dma_from_edu(es, IOVA_READONLY_FRESH, EDU_XFER))
		return fail(es, "transfer did not complete");
	expect_fault("write", IOVA_READONLY, false);
	if (dma_from_edu(es, IOVA_READONLY, EDU_XFER))
		return fail(es, "transfer did not complete");
	bad_fresh = pattern_mismatches(fresh, 0xcc, 0, PAGE_SIZE);
	bad_read = pattern_mismatches(es->readonly, 0xaa, 0, PAGE_SIZE);
	diag("read-only: device write of %u bytes to IOVA %#llx: %lu/%lu bytes unchanged",
	     EDU_XFER, IOVA_READONLY_FRESH, PAGE_SIZE - bad_fresh, PAGE_SIZE);
	diag("read-only: device write of %u bytes to IOVA %#llx: %lu/%lu bytes unchanged",
	     EDU_XFER, IOVA_READONLY, PAGE_SIZE - bad_read, PAGE_SIZE);
	if (smoke_unmap(es, IOVA_READONLY_FRESH) ||
	    smoke_unmap(es, IOVA_READONLY))
		return fail(es, "unmap failed");
	if (bad_fresh || bad_read)
		return fail(es, "device wrote to a read-only page");
	return SMOKE_PASS;
}

static enum smoke_result test_domain_detach(struct edu_smoke *es)
{
	struct device *dev = &es->pdev->dev;
	struct iommu_domain *now;

	if (!es->domain)
		return fail(es, "no domain attached");
	if (smoke_unmap(es, IOVA_STAGE) || smoke_unmap(es, IOVA_SINK))
		return fail(es, "unmap failed");
	iommu_detach_device(es->domain, dev);
	now = iommu_get_domain_for_dev(dev);
	iommu_domain_free(es->domain);
	es->domain = NULL;
	if (!now)
		return fail(es, "device has no domain after detach");
	diag("detached; edu is back on its default domain (type %#x)",
	     now->type);
	return SMOKE_PASS;
}

struct smoke_test {
	const char *name;
	enum smoke_result (*run)(struct edu_smoke *es);
};

static const struct smoke_test smoke_tests[] = {
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

static void run_suite(struct edu_smoke *es)
{
	unsigned int i, pass = 0, failed = 0, skip = 0;

	pr_info("KTAP version 1\n");
	pr_info("# Subtest: %s\n", suite_name());
	if (break_mapping)
		diag("negative-control: break_mapping=1 maps a decoy page at each target IOVA");
	pr_info("1..%zu\n", ARRAY_SIZE(smoke_tests));
	for (i = 0; i < ARRAY_SIZE(smoke_tests); i++) {
		enum smoke_result r;

		es->note[0] = '\0';
		r = smoke_tests[i].run(es);
		switch (r) {
		case SMOKE_PASS:
			pr_info("ok %u %s\n", i + 1, smoke_tests[i].name);
			pass++;
			break;
		case SMOKE_SKIP:
			pr_info("ok %u %s # SKIP %s\n", i + 1,
				smoke_tests[i].name, es->note);
			skip++;
			break;
		default:
			pr_info("not ok %u %s # %s\n", i + 1,
				smoke_tests[i].name, es->note);
			failed++;
			break;
		}
	}
	diag("%s: pass:%u fail:%u skip:%u total:%zu", suite_name(), pass,
	     failed, skip, ARRAY_SIZE(smoke_tests));
}

/* ---- the PCI driver ------------------------------------------------------- */

static void smoke_teardown(struct edu_smoke *es)
{
	unsigned int i;

	/* No DMA may reach the pages once they are freed. */
	pci_clear_master(es->pdev);
	if (es->domain) {
		iommu_detach_device(es->domain, &es->pdev->dev);
		iommu_domain_free(es->domain);
		es->domain = NULL;
	}
	if (es->resv_valid)
		iommu_put_resv_regions(&es->pdev->dev, &es->resv);
	es->resv_valid = false;
	for (i = 0; i < es->nr_pages; i++)
		__free_page(es->pages[i]);
	es->nr_pages = 0;
}

static int smoke_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_smoke *es;
	u32 ident;
	int ret;

	if (smoke_probed)
		return -EBUSY;	/* one edu is enough */
	es = kzalloc(sizeof(*es), GFP_KERNEL);
	if (!es)
		return -ENOMEM;
	es->pdev = pdev;
	INIT_LIST_HEAD(&es->resv);
	init_completion(&es->dma_done);

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_free;
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	es->mmio = pci_iomap(pdev, 0, 0);
	if (!es->mmio) {
		ret = -ENOMEM;
		goto err_release;
	}
	ident = readl(es->mmio + EDU_REG_IDENT);
	if ((ident & 0xff) != 0xed) {
		dev_err(&pdev->dev, "not an edu device (ident %#x)\n", ident);
		ret = -ENODEV;
		goto err_unmap;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		goto err_unmap;
	ret = request_irq(pci_irq_vector(pdev, 0), edu_irq, IRQF_SHARED,
			  KBUILD_MODNAME, es);
	if (ret)
		goto err_vectors;
	/* Without bus mastering edu's DMA silently does nothing. */
	pci_set_master(pdev);
	pci_set_drvdata(pdev, es);
	smoke_probed = true;

	dev_info(&pdev->dev, "edu %u.%u, %s interrupt\n", ident >> 24,
		 (ident >> 16) & 0xff, pdev->msi_enabled ? "MSI" : "INTx");
	run_suite(es);
	return 0;

err_vectors:
	pci_free_irq_vectors(pdev);
err_unmap:
	pci_iounmap(pdev, es->mmio);
err_release:
	pci_release_region(pdev, 0);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(es);
	return ret;
}

static void smoke_remove(struct pci_dev *pdev)
{
	struct edu_smoke *es = pci_get_drvdata(pdev);

	smoke_teardown(es);
	free_irq(pci_irq_vector(pdev, 0), es);
	pci_free_irq_vectors(pdev);
	pci_iounmap(pdev, es->mmio);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	kfree(es);
	smoke_probed = false;
}

static const struct pci_device_id smoke_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, smoke_ids);

static struct pci_driver smoke_driver = {
	.name = KBUILD_MODNAME,
	.id_table = smoke_ids,
	.probe = smoke_probe,
	.remove = smoke_remove,
	/* The device is put on our own domain; the DMA API is not used. */
	.driver_managed_dma = true,
};

static int __init smoke_init(void)
{
	int ret = pci_register_driver(&smoke_driver);

	if (ret)
		return ret;
	if (!smoke_probed) {
		/* Report the missing device instead of staying silent. */
		pr_info("KTAP version 1\n");
		pr_info("# Subtest: %s\n", suite_name());
		pr_info("1..1\n");
		pr_info("not ok 1 edu_device_found # no edu (1234:11e8) bound; start QEMU with -device edu\n");
	}
	return 0;
}
module_init(smoke_init);

static void __exit smoke_exit(void)
{
	pci_unregister_driver(&smoke_driver);
}
module_exit(smoke_exit);

MODULE_DESCRIPTION("Device DMA through a driver-owned IOMMU domain, with QEMU's edu");
MODULE_LICENSE("GPL");
