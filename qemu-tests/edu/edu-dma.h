/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edu-dma.h - QEMU's edu device as a DMA master for the IOMMU test modules.
 *
 * Why this header exists: gpt_edu_smoke (mappings made with iommu_map())
 * and gpt_edu_dir (mappings made with the iommu directory API) test
 * different calls with the same device, the same byte checks and the same
 * report format; the device handling lives here once.  It holds static
 * inline functions rather than being a .c file linked into both modules,
 * because kbuild warns about an object that is part of two modules, and
 * each module only pays for what it uses.
 *
 * The facts the helpers are built around (QEMU 7.2, hw/misc/edu.c):
 *  - edu copies between a 4 KiB internal buffer, at edu address 0x40000 and
 *    reachable only by DMA, and a bus address, then raises an interrupt.
 *  - A transfer that ends at 0x41000 aborts the whole emulator: every
 *    transfer here is EDU_XFER bytes at EDU_BUF, inside [0x40000, 0x40fff).
 *  - A transfer completes on a 100 ms virtual-clock timer: the helpers wait
 *    for the interrupt, never poll, and "-icount sleep=off" skips the wait.
 *  - edu reports no translation failure, so every check compares bytes and
 *    pages are poisoned first, so that "nothing arrived" is visible.  On
 *    VT-d the guest logs blocked accesses; expect_fault() announces each one
 *    on the console so that run-qemu.sh can match the DMAR fault log.
 *  - The device sits on an unmanaged domain the module allocates
 *    (driver_managed_dma): every bus address edu sees is an IOVA the module
 *    mapped, and the DMA API is never used for it.
 *  - Results are KTAP on the console; "# " lines are for humans and for
 *    run-qemu.sh.
 */
#ifndef _GPT_EDU_DMA_H
#define _GPT_EDU_DMA_H

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/printk.h>
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
 * The VT-d driver rate-limits its fault messages (10 per 5 s, and one fault
 * costs three), so an access that must show up in the DMAR fault log waits
 * until the previous window has run out.  Virtual time: with
 * "-icount sleep=off" an idle guest skips over it.
 */
#define FAULT_LOG_GAP_MS	5100

#define POISON			0xa5

enum edu_result {
	EDU_PASS,
	EDU_FAIL,
	EDU_SKIP,
};

/**
 * struct edu_dev - one edu device driven by a test module
 * @pdev: the PCI device
 * @mmio: BAR0
 * @dma_done: completed by the DMA interrupt
 * @domain: the paging domain edu_attach_domain() attached, or NULL
 * @iommu_name: device name of the IOMMU unit edu sits behind
 * @iommu_kind: "Intel VT-d", "AMD-Vi" or "unknown IOMMU"
 * @dead: a transfer timed out: no more DMA is issued
 * @nr_xfers: transfers that completed
 * @bytes_moved: bytes those transfers copied
 * @note: why the current test failed or was skipped
 */
struct edu_dev {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct completion dma_done;
	struct iommu_domain *domain;
	const char *iommu_name;
	const char *iommu_kind;
	bool dead;
	unsigned long nr_xfers;
	u64 bytes_moved;
	char note[128];
};

/* A "# " line: for humans and run-qemu.sh, ignored by KTAP parsers. */
static inline void __printf(1, 2) diag(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("# %pV\n", &vaf);
	va_end(args);
}

/* ---- the device ----------------------------------------------------------- */

static inline irqreturn_t edu_irq(int irq, void *data)
{
	struct edu_dev *edu = data;
	u32 status = readl(edu->mmio + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	writel(status, edu->mmio + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&edu->dma_done);
	return IRQ_HANDLED;
}

/*
 * One edu transfer of @len bytes; @to_ram selects edu buffer -> bus address,
 * otherwise bus address -> edu buffer.  Returns once the completion
 * interrupt arrived.
 */
static inline int edu_dma(struct edu_dev *edu, u64 src, u64 dst, u32 len,
			  bool to_ram)
{
	u64 cmd = EDU_CMD_START | EDU_CMD_IRQ | (to_ram ? EDU_CMD_TO_RAM : 0);

	if (edu->dead)
		return -EIO;
	if (readq(edu->mmio + EDU_REG_DMA_CMD) & EDU_CMD_START) {
		diag("edu: a transfer is still running");
		edu->dead = true;
		return -EBUSY;
	}
	reinit_completion(&edu->dma_done);
	writeq(src, edu->mmio + EDU_REG_DMA_SRC);
	writeq(dst, edu->mmio + EDU_REG_DMA_DST);
	writeq(len, edu->mmio + EDU_REG_DMA_COUNT);
	writeq(cmd, edu->mmio + EDU_REG_DMA_CMD);
	if (!wait_for_completion_timeout(&edu->dma_done,
					 msecs_to_jiffies(EDU_DMA_TIMEOUT_MS))) {
		diag("edu: no completion interrupt after %u ms",
		     EDU_DMA_TIMEOUT_MS);
		edu->dead = true;
		return -ETIMEDOUT;
	}
	edu->nr_xfers++;
	edu->bytes_moved += len;
	return 0;
}

/* bus address @iova -> edu buffer */
static inline int dma_to_edu(struct edu_dev *edu, u64 iova, u32 len)
{
	return edu_dma(edu, iova, EDU_BUF, len, false);
}

/* edu buffer -> bus address @iova */
static inline int dma_from_edu(struct edu_dev *edu, u64 iova, u32 len)
{
	return edu_dma(edu, EDU_BUF, iova, len, true);
}

/*
 * Enable @pdev, map BAR0, check that it is an edu, and wire up its
 * interrupt and bus mastering.  Undone by edu_close().
 */
static inline int edu_open(struct edu_dev *edu, struct pci_dev *pdev)
{
	u32 ident;
	int ret;

	edu->pdev = pdev;
	init_completion(&edu->dma_done);
	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	edu->mmio = pci_iomap(pdev, 0, 0);
	if (!edu->mmio) {
		ret = -ENOMEM;
		goto err_release;
	}
	ident = readl(edu->mmio + EDU_REG_IDENT);
	if ((ident & 0xff) != 0xed) {
		dev_err(&pdev->dev, "not an edu device (ident %#x)\n", ident);
		ret = -ENODEV;
		goto err_unmap;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		goto err_unmap;
	ret = request_irq(pci_irq_vector(pdev, 0), edu_irq, IRQF_SHARED,
			  KBUILD_MODNAME, edu);
	if (ret)
		goto err_vectors;
	/* Without bus mastering edu's DMA silently does nothing. */
	pci_set_master(pdev);
	dev_info(&pdev->dev, "edu %u.%u, %s interrupt\n", ident >> 24,
		 (ident >> 16) & 0xff, pdev->msi_enabled ? "MSI" : "INTx");
	return 0;

err_vectors:
	pci_free_irq_vectors(pdev);
err_unmap:
	pci_iounmap(pdev, edu->mmio);
err_release:
	pci_release_region(pdev, 0);
err_disable:
	pci_disable_device(pdev);
	return ret;
}

/* Undo edu_open(); bus mastering must already be off. */
static inline void edu_close(struct edu_dev *edu)
{
	struct pci_dev *pdev = edu->pdev;

	free_irq(pci_irq_vector(pdev, 0), edu);
	pci_free_irq_vectors(pdev);
	pci_iounmap(pdev, edu->mmio);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
}

/* ---- pages ---------------------------------------------------------------- */

static inline u8 pattern_byte(u8 seed, unsigned int i)
{
	/* Two different seeds differ in every byte. */
	return seed + i * 7 + (i >> 8);
}

static inline void fill_pattern(struct page *page, u8 seed)
{
	u8 *p = page_address(page);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = pattern_byte(seed, i);
}

static inline void fill_poison(struct page *page)
{
	memset(page_address(page), POISON, PAGE_SIZE);
}

/* Bytes in [off, off + len) of @page that differ from pattern @seed. */
static inline unsigned int pattern_mismatches(struct page *page, u8 seed,
					      unsigned int off,
					      unsigned int len)
{
	const u8 *p = page_address(page);
	unsigned int i, bad = 0;

	for (i = off; i < off + len; i++)
		bad += p[i] != pattern_byte(seed, i);
	return bad;
}

static inline unsigned int poison_mismatches(struct page *page,
					     unsigned int off,
					     unsigned int len)
{
	const u8 *p = page_address(page);
	unsigned int i, bad = 0;

	for (i = off; i < off + len; i++)
		bad += p[i] != POISON;
	return bad;
}

/*
 * What the edu buffer held, as read back into @page: after a blocked read
 * it should not be the data of the page the device tried to read.
 */
static inline const char *describe_edu_copy(struct page *page, u8 old_seed)
{
	const u8 *p = page_address(page);

	if (!pattern_mismatches(page, old_seed, 0, EDU_XFER))
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
static inline void expect_fault(const char *access, u64 iova, bool certain)
{
	msleep(FAULT_LOG_GAP_MS);
	diag("%s: %s %#llx", certain ? "expect-fault" : "maybe-fault", access,
	     iova);
}

/* ---- the domain ----------------------------------------------------------- */

static inline enum edu_result edu_fail(struct edu_dev *edu, const char *why)
{
	strscpy(edu->note, why, sizeof(edu->note));
	return EDU_FAIL;
}

/* Can the next test use the device? */
static inline enum edu_result edu_ready(struct edu_dev *edu)
{
	if (!edu->domain)
		return edu_fail(edu, "no domain attached");
	if (edu->dead)
		return edu_fail(edu, "edu stopped answering");
	return EDU_PASS;
}

static inline bool iova_in_aperture(struct edu_dev *edu, u64 iova, u64 len)
{
	const struct iommu_domain_geometry *g = &edu->domain->geometry;

	return iova >= g->aperture_start && iova + len - 1 <= g->aperture_end;
}

static inline const char *prot_name(int prot)
{
	if ((prot & (IOMMU_READ | IOMMU_WRITE)) == (IOMMU_READ | IOMMU_WRITE))
		return "read-write";
	return prot & IOMMU_READ ? "read-only" : "write-only";
}

static inline const char *resv_type_name(enum iommu_resv_type type)
{
	switch (type) {
	case IOMMU_RESV_DIRECT:
		return "direct";
	case IOMMU_RESV_DIRECT_RELAXABLE:
		return "direct-relaxable";
	case IOMMU_RESV_RESERVED:
		return "reserved";
	case IOMMU_RESV_MSI:
		return "msi";
	case IOMMU_RESV_SW_MSI:
		return "sw-msi";
	}
	return "?";
}

static inline int edu_count_group_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

static inline void edu_name_iommu(struct edu_dev *edu)
{
	struct device *dev = &edu->pdev->dev;
	struct iommu_device *iommu;

	edu->iommu_name = "unknown";
	edu->iommu_kind = "unknown IOMMU";
	if (!dev->iommu || !dev->iommu->iommu_dev)
		return;
	iommu = dev->iommu->iommu_dev;
	if (!iommu->dev)
		return;
	edu->iommu_name = dev_name(iommu->dev);
	if (!strncmp(edu->iommu_name, "dmar", 4))
		edu->iommu_kind = "Intel VT-d";
	else if (!strncmp(edu->iommu_name, "ivhd", 4))
		edu->iommu_kind = "AMD-Vi";
}

/*
 * Put edu alone on a paging domain of its own, so that it reaches exactly
 * what the test maps; the domain is detached and freed by
 * edu_free_domain().
 */
static inline enum edu_result edu_attach_domain(struct edu_dev *edu)
{
	struct device *dev = &edu->pdev->dev;
	struct iommu_domain *domain;
	struct iommu_group *group;
	unsigned int members = 0;
	int ret;

	group = iommu_group_get(dev);
	if (!group)
		return edu_fail(edu, "edu is not behind an IOMMU");
	iommu_group_for_each_dev(group, &members, edu_count_group_dev);
	iommu_group_put(group);
	if (members != 1) {
		diag("edu shares its IOMMU group with %u other devices",
		     members - 1);
		return edu_fail(edu, "edu is not alone in its IOMMU group");
	}

	edu_name_iommu(edu);
	domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(domain)) {
		diag("iommu_paging_domain_alloc: %ld", PTR_ERR(domain));
		return edu_fail(edu, "cannot allocate a paging domain");
	}
	ret = iommu_attach_device(domain, dev);
	if (ret) {
		diag("iommu_attach_device: %d", ret);
		iommu_domain_free(domain);
		return edu_fail(edu, "cannot attach the domain");
	}
	edu->domain = domain;
	if (iommu_get_domain_for_dev(dev) != domain)
		return edu_fail(edu, "device is not on the new domain");
	/* Aperture and page sizes are final only once attached. */
	diag("iommu: %s (%s); domain aperture %#llx-%#llx, page sizes %#lx",
	     edu->iommu_name, edu->iommu_kind,
	     (unsigned long long)domain->geometry.aperture_start,
	     (unsigned long long)domain->geometry.aperture_end,
	     domain->pgsize_bitmap);
	return EDU_PASS;
}

/* Detach and free the domain; returns what the device is on now. */
static inline struct iommu_domain *edu_free_domain(struct edu_dev *edu)
{
	struct device *dev = &edu->pdev->dev;
	struct iommu_domain *now;

	if (!edu->domain)
		return iommu_get_domain_for_dev(dev);
	iommu_detach_device(edu->domain, dev);
	now = iommu_get_domain_for_dev(dev);
	iommu_domain_free(edu->domain);
	edu->domain = NULL;
	return now;
}

/* ---- KTAP ----------------------------------------------------------------- */

struct edu_test {
	const char *name;
	enum edu_result (*run)(struct edu_dev *edu);
};

/*
 * Run @tests in order as KTAP suite @suite.  A @negative suite is expected
 * to fail; the line says why to run-qemu.sh and to humans.
 */
static inline void edu_run_suite(struct edu_dev *edu, const char *suite,
				 const struct edu_test *tests, size_t n,
				 const char *negative)
{
	unsigned int i, pass = 0, failed = 0, skip = 0;

	pr_info("KTAP version 1\n");
	pr_info("# Subtest: %s\n", suite);
	if (negative)
		diag("negative-control: %s", negative);
	pr_info("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		enum edu_result r;

		edu->note[0] = '\0';
		r = tests[i].run(edu);
		switch (r) {
		case EDU_PASS:
			pr_info("ok %u %s\n", i + 1, tests[i].name);
			pass++;
			break;
		case EDU_SKIP:
			pr_info("ok %u %s # SKIP %s\n", i + 1, tests[i].name,
				edu->note);
			skip++;
			break;
		default:
			pr_info("not ok %u %s # %s\n", i + 1, tests[i].name,
				edu->note);
			failed++;
			break;
		}
	}
	diag("%s: pass:%u fail:%u skip:%u total:%zu", suite, pass, failed, skip,
	     n);
}

/* No edu was bound: report it instead of staying silent. */
static inline void edu_report_missing(const char *suite)
{
	pr_info("KTAP version 1\n");
	pr_info("# Subtest: %s\n", suite);
	pr_info("1..1\n");
	pr_info("not ok 1 edu_device_found # no edu (1234:11e8) bound; start QEMU with -device edu\n");
}

/*
 * The module glue every edu test module shares: a PCI driver for edu that
 * owns the device's DMA (the device goes on the module's own domain, the
 * DMA API is not used), and a module init that reports a missing device
 * as a failed test instead of staying silent.  @probed is the module's
 * "probe ran" flag; @suite, its suite name.
 */
#define EDU_TEST_MODULE(pfx, probe_fn, remove_fn, probed, suite)	\
static const struct pci_device_id pfx##_ids[] = {			\
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },			\
	{ }								\
};									\
MODULE_DEVICE_TABLE(pci, pfx##_ids);					\
static struct pci_driver pfx##_driver = {				\
	.name = KBUILD_MODNAME,						\
	.id_table = pfx##_ids,						\
	.probe = probe_fn,						\
	.remove = remove_fn,						\
	.driver_managed_dma = true,					\
};									\
static int __init pfx##_init(void)					\
{									\
	int ret = pci_register_driver(&pfx##_driver);			\
									\
	if (!ret && !(probed))						\
		edu_report_missing(suite);				\
	return ret;							\
}									\
module_init(pfx##_init);						\
static void __exit pfx##_exit(void)					\
{									\
	pci_unregister_driver(&pfx##_driver);				\
}									\
module_exit(pfx##_exit)

#endif /* _GPT_EDU_DMA_H */
