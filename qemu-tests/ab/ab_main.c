// SPDX-License-Identifier: GPL-2.0
/*
 * gpt_ab - the driver's own page-table code against lib-gpt, in one guest.
 *
 * Why this exists: lib-gpt replaces the page tables of the VT-d and AMD-Vi
 * paging domains, and the replaced code is still in the tree.  Clearing
 * iommu_gpt_enabled makes the next domain use the old code, so the same
 * operations can run on an old domain and a new one for the same device:
 * every translation, and every leaf entry the hardware would read, must
 * come out the same, and the cost of each is printed.  Under QEMU's TCG
 * with -icount shift=0 the guest clock counts instructions, so the figures
 * are instruction counts: compare the ratio, not the nanoseconds.
 *
 * The domains are attached to edu in turn (the drivers learn the hardware's
 * page sizes at attach), but edu does no DMA here: gpt_edu_smoke does that.
 */

#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>
#include <linux/sort.h>
#include <linux/slab.h>
#include "../edu/edu-dma.h"
#include "ab_walk.h"

/* IOVAs clear of the MSI window and of AMD's reserved hole. */
#define AB_IOVA_4K	BIT_ULL(40)
#define AB_IOVA_2M	(2ULL << 40)
#define AB_IOVA_RND	(3ULL << 40)
#define AB_RND_SPAN	SZ_1G
/* Physical addresses need not exist: nothing is ever accessed. */
#define AB_PA_4K	(0x40000000ULL + SZ_4K)
#define AB_PA_2M	(0x80000000ULL + SZ_2M)
#define AB_REPS		32
#define AB_RND_OPS	200
/* Translations sampled per case, every AB_STEP bytes. */
#define AB_SAMPLES	2048

#define AB_ROUNDS	7

struct ab_run {
	/* ns per call, per round */
	u64 map_4k[AB_ROUNDS], unmap_4k[AB_ROUNDS];
	u64 map_2m[AB_ROUNDS], unmap_2m[AB_ROUNDS];
	u64 xl_4k[256];
	u64 xl_2m[AB_SAMPLES];
	u64 xl_rnd[AB_SAMPLES];
	/* the raw leaf entries behind the same samples */
	u64 pte_4k[256];
	u64 pte_2m[AB_SAMPLES];
	u64 pte_rnd[AB_SAMPLES];
	struct iommu_domain *d;
	int err;
};

static u64 (*ab_leaf)(struct iommu_domain *d, u64 iova, unsigned int *level);

static bool ab_probed;

static void ab_sample(struct iommu_domain *d, u64 iova, u64 span,
		      u64 *out, u64 *pte, unsigned int n)
{
	u64 step = span / n;
	unsigned int i, level;

	for (i = 0; i < n; i++) {
		u64 at = iova + i * step + (i % 7) * 0x208;

		out[i] = iommu_iova_to_phys(d, at);
		pte[i] = ab_leaf ? ab_leaf(d, at, &level) : 0;
	}
}

/*
 * Map and unmap @count pages of @pgsize @AB_REPS times: ns per call, in
 * *@map_ns and *@unmap_ns.
 */
static int ab_time(struct iommu_domain *d, u64 iova, u64 pa, size_t pgsize,
		   size_t count, u64 *map_ns, u64 *unmap_ns)
{
	size_t size = pgsize * count;
	u64 t, tm = 0, tu = 0;
	unsigned int r;
	int ret;

	for (r = 0; r < AB_REPS; r++) {
		t = ktime_get_ns();
		ret = iommu_map(d, iova, pa, size, IOMMU_READ | IOMMU_WRITE,
				GFP_KERNEL);
		tm += ktime_get_ns() - t;
		if (ret)
			return ret;
		t = ktime_get_ns();
		if (iommu_unmap(d, iova, size) != size)
			return -EIO;
		tu += ktime_get_ns() - t;
	}
	*map_ns = tm / AB_REPS;
	*unmap_ns = tu / AB_REPS;
	return 0;
}

/* One round of every timed case on @d, attached to @dev for the round. */
static int ab_round(struct iommu_domain *d, struct device *dev,
		    struct ab_run *run, unsigned int round)
{
	int err = iommu_attach_device(d, dev);

	if (err)
		return err;
	/*
	 * Untimed: one call of each case, and the RCU callbacks the attach
	 * and the previous round queued, which would otherwise run inside
	 * whichever calls come next.
	 */
	if (iommu_map(d, AB_IOVA_4K, AB_PA_4K, 256 * SZ_4K, IOMMU_READ, GFP_KERNEL) ||
	    iommu_map(d, AB_IOVA_2M, AB_PA_2M, 256 * SZ_2M, IOMMU_READ, GFP_KERNEL))
		err = -ENOMEM;
	iommu_unmap(d, AB_IOVA_4K, 256 * SZ_4K);
	iommu_unmap(d, AB_IOVA_2M, 256 * SZ_2M);
	rcu_barrier();
	if (!err)
		err = ab_time(d, AB_IOVA_4K, AB_PA_4K, SZ_4K, 256,
			      &run->map_4k[round], &run->unmap_4k[round]);
	if (!err)
		err = ab_time(d, AB_IOVA_2M, AB_PA_2M, SZ_2M, 256,
			      &run->map_2m[round], &run->unmap_2m[round]);
	iommu_detach_device(d, dev);
	return err;
}

/*
 * The rounds of the two domains alternate, and which goes first too, so
 * that each pair of rounds compared is measured moments apart: what the
 * guest does in the background then weighs on both sides alike.
 */
static int ab_rounds(struct pci_dev *pdev, struct ab_run *old, struct ab_run *new)
{
	unsigned int round;
	int err = 0;

	for (round = 0; round < AB_ROUNDS && !err; round++) {
		struct ab_run *first = round & 1 ? new : old;
		struct ab_run *second = round & 1 ? old : new;

		err = ab_round(first->d, &pdev->dev, first, round);
		if (!err)
			err = ab_round(second->d, &pdev->dev, second, round);
	}
	return err;
}

static bool ab_free_range(struct iommu_domain *d, u64 iova, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += SZ_4K)
		if (iommu_iova_to_phys(d, iova + off))
			return false;
	return true;
}

/*
 * A fixed pseudo-random mix of maps and unmaps, the same on both domains.
 * A map goes only where nothing is mapped and an unmap removes exactly one
 * earlier map: where the old code and lib-gpt are allowed to differ
 * (overlapping maps, unmaps that cut a huge page) is left out.
 */
static int ab_random(struct iommu_domain *d)
{
	struct ab_range { u64 off; size_t size; } *live;
	unsigned int i, n = 0;
	struct rnd_state rs;
	int ret = 0;

	live = kcalloc(AB_RND_OPS, sizeof(*live), GFP_KERNEL);
	if (!live)
		return -ENOMEM;
	prandom_seed_state(&rs, 0x5eed);
	for (i = 0; i < AB_RND_OPS; i++) {
		u32 r = prandom_u32_state(&rs), q = prandom_u32_state(&rs);
		size_t size = r & 1 ? (1 + r % 64) * SZ_4K : SZ_2M * (1 + (r >> 8) % 4);
		u64 off = (u64)(q % (AB_RND_SPAN / SZ_2M - 8)) * SZ_2M +
			  (r & 1 ? ((r >> 12) % 256) * SZ_4K : 0);

		if (n && (r >> 20) % 3 == 0) {
			unsigned int k = q % n;

			if (iommu_unmap(d, AB_IOVA_RND + live[k].off, live[k].size) !=
			    live[k].size) {
				ret = -EIO;
				break;
			}
			live[k] = live[--n];
			continue;
		}
		if (!ab_free_range(d, AB_IOVA_RND + off, size))
			continue;
		ret = iommu_map(d, AB_IOVA_RND + off, 0x100000000ULL + off, size,
				IOMMU_READ | (r & 2 ? IOMMU_WRITE : 0), GFP_KERNEL);
		if (ret)
			break;
		live[n].off = off;
		live[n++].size = size;
	}
	kfree(live);
	return ret;
}

static void ab_one(struct pci_dev *pdev, bool gpt, struct ab_run *run)
{
	struct iommu_domain *d;

	WRITE_ONCE(iommu_gpt_enabled, gpt);
	d = iommu_paging_domain_alloc(&pdev->dev);
	WRITE_ONCE(iommu_gpt_enabled, true);
	if (IS_ERR(d)) {
		run->err = PTR_ERR(d);
		return;
	}
	run->err = iommu_attach_device(d, &pdev->dev);
	if (run->err)
		goto out_free;

	run->err = iommu_map(d, AB_IOVA_4K, AB_PA_4K, 256 * SZ_4K,
			     IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	if (!run->err)
		run->err = iommu_map(d, AB_IOVA_2M, AB_PA_2M, 256 * SZ_2M,
				     IOMMU_READ, GFP_KERNEL);
	if (!run->err)
		run->err = ab_random(d);
	if (run->err)
		goto out_detach;
	ab_sample(d, AB_IOVA_4K, 256 * SZ_4K, run->xl_4k, run->pte_4k, 256);
	ab_sample(d, AB_IOVA_2M, 256 * SZ_2M, run->xl_2m, run->pte_2m, AB_SAMPLES);
	ab_sample(d, AB_IOVA_RND, AB_RND_SPAN, run->xl_rnd, run->pte_rnd, AB_SAMPLES);
	iommu_unmap(d, AB_IOVA_4K, 256 * SZ_4K);
	iommu_unmap(d, AB_IOVA_2M, 256 * SZ_2M);
	iommu_unmap(d, AB_IOVA_RND, AB_RND_SPAN);
out_detach:
	iommu_detach_device(d, &pdev->dev);
	/* Kept for the timed rounds, which attach it again in turn. */
	if (!run->err) {
		run->d = d;
		return;
	}
out_free:
	iommu_domain_free(d);
}

static int ab_median_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 ab_median(const u64 *v)
{
	u64 s[AB_ROUNDS];

	memcpy(s, v, sizeof(s));
	sort(s, AB_ROUNDS, sizeof(*s), ab_median_cmp, NULL);
	return s[AB_ROUNDS / 2];
}

/*
 * old / gpt x 100 of each round, paired in order: the median and spread,
 * and the target (at least 1x, in every round).  Return whether it holds.
 */
static bool ab_ratio(const char *iommu, const char *what, const u64 *old,
		     const u64 *gpt)
{
	u64 q[AB_ROUNDS], lo = U64_MAX, hi = 0, m;
	int i, held = 0;

	for (i = 0; i < AB_ROUNDS; i++) {
		q[i] = old[i] * 100 / max(gpt[i], 1ULL);
		lo = min(lo, q[i]);
		hi = max(hi, q[i]);
		held += q[i] >= 100;
	}
	m = ab_median(q);
	pr_info("# ab: %-13s old %8llu ns  gpt %8llu ns  old/gpt %llu.%02llux [%llu.%02llu-%llu.%02llu]\n",
		what, ab_median(old), ab_median(gpt), m / 100, m % 100,
		lo / 100, lo % 100, hi / 100, hi % 100);
	pr_info("# ab: target: %s %s >= 1.00x the driver's own code: %s (%d of %d rounds)\n",
		iommu, what, held == AB_ROUNDS ? "met" : "not met", held, AB_ROUNDS);
	return held == AB_ROUNDS;
}

static void ab_report(unsigned int nr, const char *name, const u64 *a,
		      const u64 *b, unsigned int n, int err)
{
	unsigned int i, diff = 0, mapped = 0;

	if (err) {
		pr_info("not ok %u %s # error %d\n", nr, name, err);
		return;
	}
	for (i = 0; i < n; i++) {
		diff += a[i] != b[i];
		mapped += !!b[i];
	}
	if (diff || !mapped)
		pr_info("not ok %u %s # %u of %u sampled translations differ, %u mapped\n",
			nr, name, diff, n, mapped);
	else
		pr_info("ok %u %s # %u sampled translations agree, %u mapped\n",
			nr, name, n, mapped);
}

/* Every sampled leaf entry, bit for bit (accessed/dirty masked). */
static void ab_entries(const struct ab_run *old, const struct ab_run *new, int err)
{
	unsigned int i, diff = 0, n = 0;

	if (err) {
		pr_info("not ok 4 same_leaf_entries # error %d\n", err);
		return;
	}
	for (i = 0; i < 256; i++, n++)
		diff += old->pte_4k[i] != new->pte_4k[i];
	for (i = 0; i < AB_SAMPLES; i++, n += 2)
		diff += (old->pte_2m[i] != new->pte_2m[i]) +
			(old->pte_rnd[i] != new->pte_rnd[i]);
	for (i = 0; i < AB_SAMPLES && diff; i++) {
		if (old->pte_rnd[i] != new->pte_rnd[i]) {
			pr_info("# ab: first difference, random sample %u: old %#llx gpt %#llx\n",
				i, old->pte_rnd[i], new->pte_rnd[i]);
			break;
		}
	}
	if (diff)
		pr_info("not ok 4 same_leaf_entries # %u of %u sampled leaf entries differ\n",
			diff, n);
	else
		pr_info("ok 4 same_leaf_entries # %u sampled leaf entries identical, bit for bit\n",
			n);
}

static int ab_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ab_run *old, *new;
	const char *iommu;
	int err;

	if (ab_probed)
		return -EBUSY;
	old = kzalloc(sizeof(*old), GFP_KERNEL);
	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!old || !new) {
		kfree(old);
		kfree(new);
		return -ENOMEM;
	}
	ab_probed = true;
	iommu = pdev->dev.iommu && pdev->dev.iommu->iommu_dev ?
		dev_name(pdev->dev.iommu->iommu_dev->dev) : "no iommu";
	if (!strncmp(iommu, "dmar", 4))
		ab_leaf = ab_leaf_vtd;
	else if (!strncmp(iommu, "ivhd", 4))
		ab_leaf = ab_leaf_amd;
	ab_one(pdev, false, old);
	ab_one(pdev, true, new);
	err = old->err ? old->err : new->err;
	if (!err)
		err = ab_rounds(pdev, old, new);
	if (old->d)
		iommu_domain_free(old->d);
	if (new->d)
		iommu_domain_free(new->d);

	pr_info("KTAP version 1\n");
	pr_info("# Subtest: gpt_ab\n");
	pr_info("1..4\n");
	pr_info("# ab: %s; old = the driver's page-table code, gpt = lib-gpt\n",
		iommu);
	pr_info("# ab: TCG with -icount shift=0: ns are guest instructions; compare ratios\n");
	if (!err) {
		int met = 0;

		pr_info("# ab: medians of %d rounds of %d calls, old and gpt rounds alternating; ratio median [min-max] across rounds\n",
			AB_ROUNDS, AB_REPS);
		met += ab_ratio(iommu, "256x4K map", old->map_4k, new->map_4k);
		met += ab_ratio(iommu, "256x4K unmap", old->unmap_4k, new->unmap_4k);
		met += ab_ratio(iommu, "256x2M map", old->map_2m, new->map_2m);
		met += ab_ratio(iommu, "256x2M unmap", old->unmap_2m, new->unmap_2m);
		pr_info("# ab: %s targets: %d of 4 met\n", iommu, met);
	}
	ab_report(1, "same_translations_256x4k", old->xl_4k, new->xl_4k, 256, err);
	ab_report(2, "same_translations_256x2m", old->xl_2m, new->xl_2m, AB_SAMPLES, err);
	ab_report(3, "same_translations_random_ops", old->xl_rnd, new->xl_rnd,
		  AB_SAMPLES, err);
	if (!ab_leaf)
		pr_info("ok 4 same_leaf_entries # SKIP no walker for %s\n", iommu);
	else
		ab_entries(old, new, err);
	kfree(old);
	kfree(new);
	return 0;
}

static void ab_remove(struct pci_dev *pdev)
{
	ab_probed = false;
}

EDU_TEST_MODULE(ab, ab_probe, ab_remove, ab_probed, "gpt_ab");

MODULE_DESCRIPTION("The IOMMU drivers' own page tables against lib-gpt, same guest");
MODULE_LICENSE("GPL");
