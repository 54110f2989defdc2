// SPDX-License-Identifier: GPL-2.0
/*
 * gpt_mirror_bench - what the iommu mirror adds to the CPU walk it mirrors.
 *
 * In the insmod task's own mm, on the first edu, fresh anonymous regions
 * are faulted in three ways, with the same 2 MiB pieces and the same
 * retry protocol:
 *  - hmm:    hmm_range_fault() alone, behind a notifier that only bumps
 *            the sequence: the floor, the CPU-side work every mirror does;
 *  - xarray: a mirror kept the way lib/test_hmm.c keeps one (each page
 *            stored in an xarray under the update lock; the notifier
 *            erases the range);
 *  - iommu:  iommu_mirror_fault(), which programs the IOMMU domain.
 * once with 4 KiB pages (VM_NOHUGEPAGE) and once with THP, and then each
 * region is unmapped, which runs the invalidation of each kind.
 *
 * Under QEMU's TCG with -icount shift=0 the guest clock counts guest
 * instructions, so the figures are instruction counts: compare ratios.
 * Each figure is the median of ROUNDS fresh regions, the kinds taking
 * turns to go first; what programming the IOMMU adds is the median of the
 * per-round differences iommu - hmm.  Lines start with "# mbench: "; make
 * bench prints them.
 */
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/iommu-mirror.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xarray.h>
#include "edu-dma.h"

#define ROUNDS		9
#define REGION		SZ_8M
#define PIECE		SZ_2M

enum kind { HMM, XARRAY, IOMMU, NR_KINDS };
static const char * const kind_name[NR_KINDS] = { "hmm", "xarray", "iommu" };

/* The hmm and xarray kinds: a notifier over one region. */
struct bench_mirror {
	struct mmu_interval_notifier notifier;
	/* the update lock: the notifier and the fault's commit take it */
	struct mutex lock;
	struct xarray pages;
	bool keep_pages;
};

static bool bench_invalidate(struct mmu_interval_notifier *mni,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct bench_mirror *b = container_of(mni, struct bench_mirror, notifier);
	unsigned long idx;
	void *entry;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&b->lock);
	else if (!mutex_trylock(&b->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	if (b->keep_pages)
		xa_for_each_range(&b->pages, idx, entry, range->start >> PAGE_SHIFT,
				  (range->end - 1) >> PAGE_SHIFT)
			xa_erase(&b->pages, idx);
	mutex_unlock(&b->lock);
	return true;
}

static const struct mmu_interval_notifier_ops bench_ops = {
	.invalidate = bench_invalidate,
};

/* hmm_range_fault() over [start, end) in pieces, with the retry protocol. */
static int bench_fault(struct bench_mirror *b, struct mm_struct *mm,
		       unsigned long start, unsigned long end,
		       unsigned long *pfns)
{
	struct hmm_range range = {
		.notifier = &b->notifier,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
	};
	unsigned long va, k;
	int ret;

	for (va = start; va < end; va = range.end) {
		range.start = va;
		range.end = min(end, ALIGN(va + 1, PIECE));
again:
		range.notifier_seq = mmu_interval_read_begin(&b->notifier);
		mmap_read_lock(mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(mm);
		if (ret == -EBUSY)
			goto again;
		if (ret)
			return ret;
		mutex_lock(&b->lock);
		if (mmu_interval_read_retry(&b->notifier, range.notifier_seq)) {
			mutex_unlock(&b->lock);
			goto again;
		}
		for (k = 0; b->keep_pages && k < (range.end - va) >> PAGE_SHIFT; k++)
			xa_store(&b->pages, (va >> PAGE_SHIFT) + k,
				 hmm_pfn_to_page(pfns[k]), GFP_ATOMIC);
		mutex_unlock(&b->lock);
	}
	return 0;
}

/* A fresh anonymous region, 2 MiB aligned, with or without THP. */
static unsigned long bench_region(struct mm_struct *mm, bool thp,
				  unsigned long *base)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	*base = vm_mmap(NULL, 0, REGION + PIECE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(*base))
		return 0;
	addr = ALIGN(*base, PIECE);
	mmap_write_lock(mm);
	vma = find_vma(mm, addr);
	if (vma)
		vm_flags_set(vma, thp ? VM_HUGEPAGE : VM_NOHUGEPAGE);
	mmap_write_unlock(mm);
	return vma ? addr : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v)
{
	sort(v, ROUNDS, sizeof(*v), cmp_u64, NULL);
	return v[ROUNDS / 2];
}

static int cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median over rounds of iommu minus hmm in the same round, clamped
 * at 0: pairing each round's two figures cancels the drift of the
 * guest's background work between rounds, which a difference of two
 * medians keeps.
 */
static u64 median_added(u64 (*f)[ROUNDS])
{
	s64 d[ROUNDS];
	int r;

	for (r = 0; r < ROUNDS; r++)
		d[r] = (s64)f[IOMMU][r] - (s64)f[HMM][r];
	sort(d, ROUNDS, sizeof(*d), cmp_s64, NULL);
	return max_t(s64, d[ROUNDS / 2], 0);
}

/*
 * One round of one kind: fault a fresh region in, then unmap it.  The
 * costs go to @fault and @unmap.
 */
static int bench_round(struct edu_dev *edu, enum kind kind, bool thp,
		       unsigned long *pfns, u64 *fault, u64 *unmap)
{
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *mirror = NULL;
	struct bench_mirror b = { .keep_pages = kind == XARRAY };
	unsigned long base, addr;
	u64 t;
	int ret;

	mutex_init(&b.lock);
	xa_init(&b.pages);
	addr = bench_region(mm, thp, &base);
	if (!addr)
		return -ENOMEM;
	if (kind == IOMMU) {
		mirror = iommu_mirror_bind(mm, edu->domain, &edu->pdev->dev);
		ret = PTR_ERR_OR_ZERO(mirror);
	} else {
		ret = mmu_interval_notifier_insert(&b.notifier, mm, addr, REGION,
						   &bench_ops);
	}
	if (ret) {
		vm_munmap(base, REGION + PIECE);
		return ret;
	}
	t = ktime_get_ns();
	if (kind == IOMMU)
		ret = iommu_mirror_fault(mirror, addr, REGION, IOMMU_MIRROR_WRITE);
	else
		ret = bench_fault(&b, mm, addr, addr + REGION, pfns);
	*fault = ktime_get_ns() - t;
	t = ktime_get_ns();
	vm_munmap(base, REGION + PIECE);
	*unmap = ktime_get_ns() - t;
	if (kind == IOMMU)
		iommu_mirror_unbind(mirror);
	else
		mmu_interval_notifier_remove(&b.notifier);
	xa_destroy(&b.pages);
	return ret;
}

/*
 * The IOMMU programming alone, for the breakdown: iommu_dir_update() of
 * one 2 MiB physically contiguous run (as the mirror sees a THP) into an
 * empty slot of the domain, at an IOVA above every user address; median
 * of ROUNDS, each followed by its unmap.
 */
static int bench_dir_update_2m(struct edu_dev *edu, unsigned long *pfns,
			       u64 *cost)
{
	const unsigned long iova = BIT_ULL(47) + PIECE;
	struct iommu_dir dir;
	struct page *run;
	u64 t[ROUNDS];
	unsigned long k;
	int r, ret;

	ret = iommu_dir_init(&dir, edu->domain, &edu->pdev->dev);
	if (ret)
		return ret;
	run = alloc_pages(GFP_KERNEL | __GFP_NOWARN, PMD_SHIFT - PAGE_SHIFT);
	if (!run) {
		iommu_dir_destroy(&dir);
		return -ENOMEM;
	}
	for (k = 0; k < PIECE >> PAGE_SHIFT; k++)
		pfns[k] = (page_to_pfn(run) + k) | HMM_PFN_VALID | HMM_PFN_WRITE |
			  ((unsigned long)(PMD_SHIFT - PAGE_SHIFT) << HMM_PFN_ORDER_SHIFT);
	for (r = 0; r < ROUNDS && !ret; r++) {
		u64 t0 = ktime_get_ns();

		ret = iommu_dir_update(&dir, iova, pfns, PIECE >> PAGE_SHIFT,
				       IOMMU_READ | IOMMU_WRITE, GFP_NOWAIT);
		t[r] = ktime_get_ns() - t0;
		iommu_dir_unmap(&dir, iova, PIECE >> PAGE_SHIFT);
	}
	__free_pages(run, PMD_SHIFT - PAGE_SHIFT);
	iommu_dir_destroy(&dir);
	if (!ret)
		*cost = median(t);
	return ret;
}

/* @num as a percentage of @den. */
static u64 pct(u64 num, u64 den)
{
	return den ? div64_u64(num * 100, den) : 0;
}

/* Met only if @num is at most @target_pct of @den exactly, not rounded. */
static void bench_verdict(const char *what, u64 num, u64 den, u64 target_pct)
{
	u64 permille = den ? div64_u64(num * 1000, den) : 0;

	pr_info("# mbench: target: %s: %llu.%llu%% (target <= %llu%%): %s\n",
		what, permille / 10, permille % 10, target_pct,
		den && num * 100 <= target_pct * den ? "met" : "not met");
}

static void bench_run(struct edu_dev *edu)
{
	u64 f[NR_KINDS][ROUNDS], u[NR_KINDS][ROUNDS];
	u64 fm[2][NR_KINDS], um[2][NR_KINDS], added[2], dir2m = 0;
	unsigned long *pfns;
	int thp, k, r, ret = 0;

	pfns = kmalloc_array(PIECE >> PAGE_SHIFT, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return;
	pr_info("# mbench: TCG with -icount shift=0: ns are guest instructions; medians of %d rounds of %lu MiB\n",
		ROUNDS, (unsigned long)REGION >> 20);
	for (thp = 0; thp < 2 && !ret; thp++) {
		/* Each round starts with another kind: no kind always goes first. */
		for (r = 0; r < ROUNDS && !ret; r++)
			for (k = 0; k < NR_KINDS && !ret; k++) {
				int kk = (k + r) % NR_KINDS;

				ret = bench_round(edu, kk, thp, pfns, &f[kk][r],
						  &u[kk][r]);
			}
		if (!ret)
			added[thp] = median_added(f);
		for (k = 0; k < NR_KINDS && !ret; k++) {
			fm[thp][k] = median(f[k]);
			um[thp][k] = median(u[k]);
			pr_info("# mbench: %s pages, %-6s mirror: fault %llu ns per %s, munmap of %lu MiB %llu ns\n",
				thp ? "THP" : "4 KiB", kind_name[k],
				div64_u64(fm[thp][k], thp ? REGION / PIECE : REGION >> PAGE_SHIFT),
				thp ? "2 MiB page" : "4 KiB page",
				(unsigned long)REGION >> 20, um[thp][k]);
		}
	}
	if (!ret)
		ret = bench_dir_update_2m(edu, pfns, &dir2m);
	kfree(pfns);
	if (ret) {
		pr_info("# mbench: failed: %d\n", ret);
		return;
	}
	pr_info("# mbench: fault, iommu as %% of hmm: 4 KiB %llu%%, THP %llu%%; of xarray: 4 KiB %llu%%, THP %llu%%\n",
		pct(fm[0][IOMMU], fm[0][HMM]), pct(fm[1][IOMMU], fm[1][HMM]),
		pct(fm[0][IOMMU], fm[0][XARRAY]), pct(fm[1][IOMMU], fm[1][XARRAY]));
	pr_info("# mbench: added by IOMMU programming, median of per-round differences: %llu ns per 4 KiB page, %llu ns per 2 MiB page\n",
		div64_u64(added[0], REGION >> PAGE_SHIFT),
		div64_u64(added[1], REGION / PIECE));
	pr_info("# mbench: of which iommu_dir_update() of a 2 MiB run: %llu ns (the rest is the mirror's own work)\n",
		dir2m);
	bench_verdict("IOMMU programming added to hmm_range_fault per 4 KiB page",
		      added[0], fm[0][HMM], 25);
	bench_verdict("IOMMU programming added to hmm_range_fault per 2 MiB page",
		      added[1], fm[1][HMM], 5);
	bench_verdict("munmap of a mirrored range (4 KiB pages), iommu vs xarray mirror",
		      um[0][IOMMU], um[0][XARRAY], 200);
	bench_verdict("munmap of a mirrored range (THP), iommu vs xarray mirror",
		      um[1][IOMMU], um[1][XARRAY], 200);
}

static bool probed;

static int bench_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dev *edu;
	int ret;

	/* One device is enough; the second edu stays free. */
	if (probed)
		return -EBUSY;
	probed = true;
	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	ret = edu_open(edu, pdev);
	if (ret)
		return ret;
	if (edu_attach_domain(edu) == EDU_PASS)
		bench_run(edu);
	edu_free_domain(edu);
	pci_clear_master(pdev);
	edu_close(edu);
	return -ENODEV;
}

static void bench_remove(struct pci_dev *pdev)
{
}

EDU_TEST_MODULE(mbench, bench_probe, bench_remove, probed, "gpt_mirror_bench");

MODULE_DESCRIPTION("iommu mirror fault and invalidation costs against hmm_range_fault and an xarray mirror");
MODULE_LICENSE("GPL");
