// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the iommu mirror, in the QEMU guests.
 *
 * The test thread gets a real user address space from kunit_vm_mmap() and
 * mirrors it into paging domains of the edu device; every check compares
 * what the IOMMU translates with what the CPU maps, looked up through GUP
 * (not through HMM, which the mirror itself uses).  Tests that need a
 * second process build one with mm_alloc() and switch the thread into it
 * only to create mappings.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/iommu-mirror.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include "gpt-iommu.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define NR_DOMAINS	3
#define MSI_WINDOW	0xfee00000UL

struct mirror_test {
	struct pci_dev *pdev;
	struct iommu_domain *domain[NR_DOMAINS];
	struct iommu_mirror *mirror[NR_DOMAINS];
	long base_tables[NR_DOMAINS];
	bool attached;
	/* the redirected iommu_mirror_after_hmm() ran its invalidation */
	bool invalidated;
};

/*
 * AMD-Vi v1 grows its tree to reach high addresses and keeps the growth:
 * reach the top of the user range once (and unmap the 512 GiB around it,
 * which frees the tables the map made), so that "every table given back"
 * means back to this count: 1 where the tree does not grow.
 */
static long grown_tables(struct mirror_test *t, struct iommu_domain *dom)
{
	struct gpt *pt = gpt_iommu_domain_gpt(dom);
	unsigned long pfn = HMM_PFN_VALID | page_to_pfn(ZERO_PAGE(0));
	struct iommu_dir dir;

	if (!pt || iommu_dir_init(&dir, dom, &t->pdev->dev))
		return -1;
	if (!iommu_dir_map(&dir, TASK_SIZE_MAX - PAGE_SIZE, &pfn, 1, IOMMU_READ,
			   GFP_KERNEL))
		iommu_dir_unmap(&dir, ALIGN_DOWN(TASK_SIZE_MAX, SZ_512G),
				SZ_512G >> PAGE_SHIFT);
	iommu_dir_destroy(&dir);
	return gpt_nr_tables(pt);
}

static int mirror_test_init(struct kunit *test)
{
	struct mirror_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int i;

	if (!t)
		return -ENOMEM;
	t->pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!t->pdev)
		kunit_skip(test, "no edu device in this machine");
	test->priv = t;
	for (i = 0; i < NR_DOMAINS; i++) {
		t->domain[i] = iommu_paging_domain_alloc(&t->pdev->dev);
		if (IS_ERR(t->domain[i])) {
			long err = PTR_ERR(t->domain[i]);

			t->domain[i] = NULL;
			kunit_skip(test, "no paging domain for edu: %ld", err);
		}
		/*
		 * Domain 0 is attached, as a mirror's domain is in use: VT-d
		 * learns the superpages and levels it may use at attach.
		 */
		if (i == 0)
			t->attached = !iommu_attach_device(t->domain[0],
							   &t->pdev->dev);
		t->base_tables[i] = grown_tables(t, t->domain[i]);
	}
	return 0;
}

static void mirror_test_exit(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	int i;

	if (!t)
		return;
	for (i = 0; i < NR_DOMAINS; i++) {
		if (t->mirror[i])
			iommu_mirror_unbind(t->mirror[i]);
		if (i == 0 && t->attached)
			iommu_detach_device(t->domain[0], &t->pdev->dev);
		if (t->domain[i])
			iommu_domain_free(t->domain[i]);
	}
	pci_dev_put(t->pdev);
}

static unsigned long user_map(struct kunit *test, unsigned long len,
			      unsigned long prot)
{
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, len, prot,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);

	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap failed");
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	return addr;
}

static struct iommu_mirror *bind(struct kunit *test, int i,
				 struct mm_struct *mm)
{
	struct mirror_test *t = test->priv;
	struct iommu_mirror *m;

	m = iommu_mirror_bind(mm, t->domain[i], &t->pdev->dev);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(m), "iommu_mirror_bind: %ld", PTR_ERR(m));
	t->mirror[i] = m;
	return m;
}

/* Unbind and check the domain is empty and every table given back. */
static void unbind(struct kunit *test, int i, unsigned long addr,
		   unsigned long npages)
{
	struct mirror_test *t = test->priv;
	struct gpt *pt = gpt_iommu_domain_gpt(t->domain[i]);
	unsigned long k, left = 0;

	iommu_mirror_unbind(t->mirror[i]);
	t->mirror[i] = NULL;
	for (k = 0; k < npages; k++)
		if (iommu_iova_to_phys(t->domain[i], addr + k * PAGE_SIZE))
			left++;
	KUNIT_EXPECT_EQ(test, left, 0);
	if (pt)
		KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), t->base_tables[i]);
}

static void touch(unsigned long addr, unsigned long npages)
{
	unsigned long k;

	for (k = 0; k < npages; k++)
		if (put_user((u8)k, (u8 __user *)(addr + k * PAGE_SIZE)))
			break;
}

/* The CPU's page at @va in @mm, through GUP; 0 if none. */
static phys_addr_t cpu_phys(struct mm_struct *mm, unsigned long va)
{
	struct page *page;
	phys_addr_t pa = 0;
	long n;

	mmap_read_lock(mm);
	n = get_user_pages_remote(mm, va, 1, 0, &page, NULL);
	mmap_read_unlock(mm);
	if (n == 1) {
		pa = page_to_phys(page);
		put_page(page);
	}
	return pa;
}

/* Pages in [addr, +npages) where the IOMMU does not translate to the CPU's page. */
static unsigned long mismatches(struct mirror_test *t, int i,
				struct mm_struct *mm, unsigned long addr,
				unsigned long npages)
{
	unsigned long k, bad = 0;

	for (k = 0; k < npages; k++) {
		unsigned long va = addr + k * PAGE_SIZE;
		phys_addr_t cpu = cpu_phys(mm, va);

		if (!cpu || iommu_iova_to_phys(t->domain[i], va + 0x80) != cpu + 0x80)
			bad++;
	}
	return bad;
}

static unsigned long translated(struct mirror_test *t, int i,
				unsigned long addr, unsigned long npages)
{
	unsigned long k, n = 0;

	for (k = 0; k < npages; k++)
		if (iommu_iova_to_phys(t->domain[i], addr + k * PAGE_SIZE))
			n++;
	return n;
}

/* 1 writable, 0 read-only, -1 not mapped or not on lib-gpt. */
static int leaf_writable(struct mirror_test *t, int i, unsigned long va)
{
	struct gpt *pt = gpt_iommu_domain_gpt(t->domain[i]);
	struct gpt_leaf leaf;

	if (!pt || gpt_lookup(pt, va, &leaf))
		return -1;
	return !!(leaf.prot & GPT_WRITE);
}

static struct iommu_mirror_stats stats(struct iommu_mirror *m)
{
	struct iommu_mirror_stats s;

	iommu_mirror_get_stats(m, &s);
	return s;
}

/*
 * A read fault maps the CPU's pages read-only, the zero page included; a
 * write fault then gives the process its own pages, and the domain
 * follows, writable.
 */
static void mirror_test_fault_matches_cpu(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	const unsigned long n = 64;
	unsigned long addr = user_map(test, n * PAGE_SIZE, PROT_READ | PROT_WRITE);
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m;
	phys_addr_t zero;

	touch(addr, n / 2);
	m = bind(test, 0, mm);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 0);
	KUNIT_ASSERT_EQ(test, iommu_mirror_fault(m, addr, n * PAGE_SIZE, 0), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr, n), 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, n);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr), 0);
	zero = iommu_iova_to_phys(t->domain[0], addr + (n - 1) * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zero, page_to_phys(ZERO_PAGE(0)));

	KUNIT_ASSERT_EQ(test, iommu_mirror_fault(m, addr, n * PAGE_SIZE,
						 IOMMU_MIRROR_WRITE), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr, n), 0);
	KUNIT_EXPECT_NE(test, iommu_iova_to_phys(t->domain[0],
						 addr + (n - 1) * PAGE_SIZE), zero);
	KUNIT_EXPECT_NE(test, leaf_writable(t, 0, addr + (n - 1) * PAGE_SIZE), 0);
	unbind(test, 0, addr, n);
}

/*
 * munmap removes exactly what it unmapped from the domain, with one
 * flush, before it returns; a fault over the hole then fails and leaves
 * nothing mapped, even the part before the hole in an earlier piece.  The
 * mapping is 1 MiB across a 2 MiB boundary, so that the CPU maps no THP
 * (whose split would rightly take the whole 2 MiB).
 */
static void mirror_test_munmap(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_8M, PROT_READ | PROT_WRITE);
	unsigned long b = ALIGN(addr, SZ_2M) + SZ_2M;
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m;
	unsigned long flushes;

	KUNIT_ASSERT_EQ(test, vm_munmap(addr, b - SZ_512K - addr), 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(b + SZ_512K, addr + SZ_8M - b - SZ_512K), 0);
	m = bind(test, 0, mm);
	KUNIT_ASSERT_EQ(test, iommu_mirror_fault(m, b - SZ_64K, SZ_128K,
						 IOMMU_MIRROR_WRITE), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, b - SZ_64K, 32), 0);
	flushes = stats(m).flushes;
	KUNIT_ASSERT_EQ(test, vm_munmap(b + SZ_16K, SZ_16K), 0);
	KUNIT_EXPECT_EQ(test, stats(m).flushes - flushes, 1);
	KUNIT_EXPECT_EQ(test, translated(t, 0, b + SZ_16K, 4), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, b - SZ_64K, 20), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, b + SZ_32K, 8), 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 28);

	/* Nothing the notifier has to do: no flush. */
	flushes = stats(m).flushes;
	KUNIT_ASSERT_EQ(test, vm_munmap(b - SZ_512K, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, stats(m).flushes, flushes);

	/* [b - 64K, b) is one piece and maps; [b, b + 64K) has the hole. */
	iommu_mirror_unbind(m);
	t->mirror[0] = NULL;
	m = bind(test, 0, mm);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, b - SZ_64K, SZ_128K, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, translated(t, 0, b - SZ_64K, 32), 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 0);
	unbind(test, 0, b - SZ_64K, 32);
}

/* Read-only and PROT_NONE mappings give the errors test_hmm reports. */
static void mirror_test_permissions(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long ro = user_map(test, SZ_64K, PROT_READ);
	unsigned long none = user_map(test, SZ_64K, PROT_NONE);
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m = bind(test, 0, mm);
	unsigned long faults;

	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, ro, SZ_64K, IOMMU_MIRROR_WRITE),
			-EPERM);
	KUNIT_EXPECT_EQ(test, translated(t, 0, ro, 16), 0);
	KUNIT_EXPECT_EQ(test, iommu_mirror_access_begin(m, ro, SZ_64K,
							IOMMU_MIRROR_WRITE, &faults),
			-EPERM);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, ro, SZ_64K, 0), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, ro, 16), 0);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, ro), 0);

	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, none, SZ_64K, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, translated(t, 0, none, 16), 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 16);
	unbind(test, 0, ro, 16);
}

/* Bad input: a clear errno, and neither the domain nor the mirror changed. */
static void mirror_test_bad_input(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_64K, PROT_READ | PROT_WRITE);
	struct mm_struct *mm = current->mm;
	struct gpt *pt = gpt_iommu_domain_gpt(t->domain[0]);
	struct iommu_mirror *m;
	unsigned long pfns[2], faults;

	KUNIT_EXPECT_EQ(test, PTR_ERR(iommu_mirror_bind(NULL, t->domain[0],
							&t->pdev->dev)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(iommu_mirror_bind(mm, NULL, &t->pdev->dev)),
			-EINVAL);
	m = bind(test, 0, mm);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, addr + 8, PAGE_SIZE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, addr, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, addr, PAGE_SIZE + 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, addr, PAGE_SIZE, 0x80), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, PAGE_MASK, 2 * PAGE_SIZE, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, TASK_SIZE_MAX, PAGE_SIZE, 0),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, TASK_SIZE_MAX - PAGE_SIZE,
						 2 * PAGE_SIZE, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(m, MSI_WINDOW - PAGE_SIZE,
						 2 * PAGE_SIZE, 0), -EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(NULL, addr, PAGE_SIZE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_snapshot(m, addr, 2, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_snapshot(m, addr, 0, pfns), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_access_begin(m, addr + 8, PAGE_SIZE, 0,
							&faults), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_mirror_access_begin(m, MSI_WINDOW, PAGE_SIZE, 0,
							&faults), -EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 0);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr, 16), 0);
	if (pt)
		KUNIT_EXPECT_EQ(test, gpt_nr_tables(pt), t->base_tables[0]);
	unbind(test, 0, addr, 16);
}

/*
 * access_begin counts one fault pass per missing stretch and maps the
 * whole rest of the range in it; a write access after a read one needs a
 * pass to upgrade; a snapshot reports the CPU's view without faulting.
 */
static void mirror_test_access_faults(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_128K, PROT_READ | PROT_WRITE);
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m = bind(test, 0, mm);
	unsigned long faults, pfns[32], k, valid = 0;

	KUNIT_ASSERT_EQ(test, iommu_mirror_snapshot(m, addr, 32, pfns), 0);
	for (k = 0; k < 32; k++)
		valid += !!(pfns[k] & HMM_PFN_VALID);
	KUNIT_EXPECT_EQ(test, valid, 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 0);

	KUNIT_ASSERT_EQ(test, iommu_mirror_access_begin(m, addr, SZ_128K, 0, &faults), 0);
	iommu_mirror_access_end(m);
	KUNIT_EXPECT_EQ(test, faults, 1);
	KUNIT_ASSERT_EQ(test, iommu_mirror_access_begin(m, addr, SZ_128K, 0, &faults), 0);
	iommu_mirror_access_end(m);
	KUNIT_EXPECT_EQ(test, faults, 0);
	KUNIT_ASSERT_EQ(test, iommu_mirror_access_begin(m, addr, SZ_128K,
							IOMMU_MIRROR_WRITE, &faults), 0);
	iommu_mirror_access_end(m);
	KUNIT_EXPECT_EQ(test, faults, 1);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr, 32), 0);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr + SZ_64K), 1);

	KUNIT_ASSERT_EQ(test, iommu_mirror_snapshot(m, addr, 32, pfns), 0);
	for (k = 0, valid = 0; k < 32; k++)
		valid += (pfns[k] & (HMM_PFN_VALID | HMM_PFN_WRITE)) ==
			 (HMM_PFN_VALID | HMM_PFN_WRITE);
	KUNIT_EXPECT_EQ(test, valid, 32);

	/* Two holes: still one pass, which faults from the first to the end. */
	KUNIT_ASSERT_EQ(test, vm_munmap(addr + SZ_16K, PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr + SZ_64K, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, iommu_mirror_access_begin(m, addr, SZ_128K, 0, &faults),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr + SZ_16K, 1), 0);
	KUNIT_ASSERT_EQ(test, vm_mmap(NULL, addr + SZ_16K, PAGE_SIZE,
				      PROT_READ | PROT_WRITE,
				      MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0),
			addr + SZ_16K);
	KUNIT_ASSERT_EQ(test, vm_mmap(NULL, addr + SZ_64K, PAGE_SIZE,
				      PROT_READ | PROT_WRITE,
				      MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0),
			addr + SZ_64K);
	KUNIT_ASSERT_EQ(test, iommu_mirror_access_begin(m, addr, SZ_128K, 0, &faults), 0);
	iommu_mirror_access_end(m);
	KUNIT_EXPECT_EQ(test, faults, 1);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr, 32), 0);
	unbind(test, 0, addr, 32);
}

struct munmap_work {
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long len;
	struct completion done;
	bool finished;
};

static int munmap_worker(void *arg)
{
	struct munmap_work *w = arg;

	kthread_use_mm(w->mm);
	vm_munmap(w->addr, w->len);
	kthread_unuse_mm(w->mm);
	WRITE_ONCE(w->finished, true);
	complete(&w->done);
	return 0;
}

/*
 * An access holds a concurrent munmap off until it ends: while it is
 * held, the pages stay translated and munmap has not returned; after it,
 * munmap returns with the pages gone from the domain.
 */
static void mirror_test_access_holds_invalidation(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_64K, PROT_READ | PROT_WRITE);
	struct munmap_work *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m = bind(test, 0, mm);
	unsigned long faults, held = 0;
	struct task_struct *worker;
	bool finished = true;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->mm = mm;
	w->addr = addr;
	w->len = SZ_64K;
	init_completion(&w->done);
	/* Created first: nothing may allocate while the access is held. */
	worker = kthread_create(munmap_worker, w, "mirror-munmap");
	KUNIT_ASSERT_FALSE(test, IS_ERR(worker));
	ret = iommu_mirror_access_begin(m, addr, SZ_64K, IOMMU_MIRROR_WRITE, &faults);
	if (!ret) {
		wake_up_process(worker);
		msleep(200);
		finished = READ_ONCE(w->finished);
		held = translated(t, 0, addr, 16);
		iommu_mirror_access_end(m);
	} else {
		wake_up_process(worker);
	}
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&w->done, 10 * HZ), 0);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, finished);
	KUNIT_EXPECT_EQ(test, held, 16);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr, 16), 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 0);
	unbind(test, 0, addr, 16);
}

/* Replace the mapping under the fault, once, between HMM and the lock. */
static void remap_after_hmm(struct iommu_mirror *m, struct hmm_range *range)
{
	struct kunit *test = kunit_get_current_test();
	struct mirror_test *t = test->priv;
	unsigned long len = range->end - range->start;

	if (t->invalidated)
		return;
	t->invalidated = true;
	if (vm_mmap(NULL, range->start, len, PROT_READ | PROT_WRITE,
		    MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0) != range->start)
		KUNIT_FAIL(test, "vm_mmap over the faulting range failed");
	touch(range->start, len >> PAGE_SHIFT);
}

static void unmap_after_hmm(struct iommu_mirror *m, struct hmm_range *range)
{
	struct kunit *test = kunit_get_current_test();
	struct mirror_test *t = test->priv;

	if (t->invalidated)
		return;
	t->invalidated = true;
	vm_munmap(range->start, range->end - range->start);
}

/*
 * The pfns hmm_range_fault() returned go stale before the fault takes the
 * update lock: the retry check must send it round again, so that the
 * domain ends up with the new pages (or, after an munmap, with nothing),
 * never with the freed ones.
 */
static void mirror_test_invalidation_after_hmm(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_64K, PROT_READ | PROT_WRITE);
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m = bind(test, 0, mm);
	int ret;

	touch(addr, 16);
	kunit_activate_static_stub(test, iommu_mirror_after_hmm, remap_after_hmm);
	ret = iommu_mirror_fault(m, addr, SZ_64K, IOMMU_MIRROR_WRITE);
	kunit_deactivate_static_stub(test, iommu_mirror_after_hmm);
	KUNIT_EXPECT_TRUE(test, t->invalidated);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr, 16), 0);

	t->invalidated = false;
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, SZ_64K), 0);
	KUNIT_ASSERT_EQ(test, vm_mmap(NULL, addr, SZ_64K, PROT_READ | PROT_WRITE,
				      MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0), addr);
	touch(addr, 16);
	kunit_activate_static_stub(test, iommu_mirror_after_hmm, unmap_after_hmm);
	ret = iommu_mirror_fault(m, addr, SZ_64K, 0);
	kunit_deactivate_static_stub(test, iommu_mirror_after_hmm);
	KUNIT_EXPECT_TRUE(test, t->invalidated);
	KUNIT_EXPECT_EQ(test, ret, -EFAULT);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr, 16), 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 0);
	unbind(test, 0, addr, 16);
}

struct race_work {
	struct mirror_test *t;
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long rounds;
	unsigned long stale;	/* pages still translated after munmap returned */
	unsigned long errors;
	struct completion done;
	bool stop;
};

static int munmap_racer(void *arg)
{
	struct race_work *w = arg;
	unsigned long r;

	kthread_use_mm(w->mm);
	for (r = 0; r < w->rounds; r++) {
		if (vm_mmap(NULL, w->addr, SZ_64K, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0) != w->addr) {
			w->errors++;
			break;
		}
		touch(w->addr, 16);
		cond_resched();
		if (vm_munmap(w->addr, SZ_64K)) {
			w->errors++;
			break;
		}
		/* No VMA until the next round maps one: nothing may translate. */
		w->stale += translated(w->t, 0, w->addr, 16);
	}
	kthread_unuse_mm(w->mm);
	WRITE_ONCE(w->stop, true);
	complete(&w->done);
	return 0;
}

/*
 * Faults race a thread that maps, touches and unmaps the range in a loop:
 * once munmap returns, nothing of the range may be translated, whatever
 * fault was under way; every fault succeeds or fails with -EFAULT.
 */
static void mirror_test_fault_munmap_race(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_64K, PROT_READ | PROT_WRITE);
	struct race_work *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m = bind(test, 0, mm);
	unsigned long ok = 0, efault = 0, other = 0;
	struct task_struct *racer;

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->t = t;
	w->mm = mm;
	w->addr = addr;
	w->rounds = 300;
	init_completion(&w->done);
	racer = kthread_run(munmap_racer, w, "mirror-racer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(racer));
	while (!READ_ONCE(w->stop)) {
		int ret = iommu_mirror_fault(m, addr, SZ_64K, ok % 2 ? IOMMU_MIRROR_WRITE : 0);

		if (!ret)
			ok++;
		else if (ret == -EFAULT)
			efault++;
		else
			other++;
		cond_resched();
	}
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&w->done, 60 * HZ), 0);
	kunit_info(test, "%lu rounds, %lu faults mapped, %lu -EFAULT", w->rounds, ok, efault);
	KUNIT_EXPECT_EQ(test, w->errors, 0);
	KUNIT_EXPECT_EQ(test, w->stale, 0);
	KUNIT_EXPECT_EQ(test, other, 0);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr, 16), 0);
	unbind(test, 0, addr, 16);
}

static void notify(struct mm_struct *mm, enum mmu_notifier_event event,
		   unsigned long start, unsigned long end)
{
	struct mmu_notifier_range range;

	mmu_notifier_range_init(&range, event, 0, mm, start, end);
	mmu_notifier_invalidate_range_start(&range);
	mmu_notifier_invalidate_range_end(&range);
}

/*
 * A page write-protect (fork's COW, writeback cleaning) takes write away
 * from the device in place and leaves reads; soft-dirty clearing changes
 * nothing.  The events are sent as the mm sends them.
 */
static void mirror_test_protection_events(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_64K, PROT_READ | PROT_WRITE);
	struct mm_struct *mm = current->mm;
	struct iommu_mirror *m = bind(test, 0, mm);
	unsigned long faults, flushes;

	if (!gpt_iommu_domain_gpt(t->domain[0]))
		kunit_skip(test, "the domain is not on lib-gpt: no permission read-back");
	KUNIT_ASSERT_EQ(test, iommu_mirror_fault(m, addr, SZ_64K, IOMMU_MIRROR_WRITE), 0);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr), 1);

	flushes = stats(m).flushes;
	notify(mm, MMU_NOTIFY_SOFT_DIRTY, addr, addr + SZ_64K);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr), 1);
	KUNIT_EXPECT_EQ(test, stats(m).flushes, flushes);

	notify(mm, MMU_NOTIFY_PROTECTION_PAGE, addr, addr + SZ_32K);
	KUNIT_EXPECT_EQ(test, stats(m).flushes - flushes, 1);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr), 0);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr + SZ_32K - PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr + SZ_32K), 1);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr, 16), 0);
	KUNIT_EXPECT_EQ(test, stats(m).mapped, 16);

	KUNIT_ASSERT_EQ(test, iommu_mirror_access_begin(m, addr, SZ_64K, 0, &faults), 0);
	iommu_mirror_access_end(m);
	KUNIT_EXPECT_EQ(test, faults, 0);
	KUNIT_ASSERT_EQ(test, iommu_mirror_access_begin(m, addr, SZ_64K,
							IOMMU_MIRROR_WRITE, &faults), 0);
	iommu_mirror_access_end(m);
	KUNIT_EXPECT_EQ(test, faults, 1);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, addr), 1);

	/* mprotect-style: the whole thing goes. */
	notify(mm, MMU_NOTIFY_PROTECTION_VMA, addr, addr + SZ_64K);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr, 16), 0);
	unbind(test, 0, addr, 16);
}

/*
 * A transparent huge page becomes one 2 MiB IOMMU page, read-only on a read
 * fault even where the CPU may write it; munmap of one
 * 4 KiB page of it splits the CPU's and removes the IOMMU's whole, and the
 * rest faults back in 4 KiB pages.
 */
static void mirror_test_thp(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_8M, PROT_READ | PROT_WRITE);
	unsigned long b = ALIGN(addr, SZ_2M), faults, *pfns;
	struct mm_struct *mm = current->mm;
	struct gpt *pt = gpt_iommu_domain_gpt(t->domain[0]);
	struct iommu_mirror *m;
	struct gpt_leaf leaf;

	if (!pt)
		kunit_skip(test, "the domain is not on lib-gpt");
	if (!t->attached)
		kunit_skip(test, "domain 0 could not be attached to edu");
	pfns = kunit_kcalloc(test, 512, sizeof(*pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);
	m = bind(test, 0, mm);
	KUNIT_ASSERT_EQ(test, iommu_mirror_fault(m, b, SZ_2M, IOMMU_MIRROR_WRITE), 0);
	KUNIT_ASSERT_EQ(test, iommu_mirror_snapshot(m, b, 512, pfns), 0);
	if (hmm_pfn_to_map_order(pfns[0]) != 9)
		kunit_skip(test, "the CPU did not map a THP (order %u)",
			   hmm_pfn_to_map_order(pfns[0]));
	KUNIT_ASSERT_EQ(test, gpt_lookup(pt, b + SZ_1M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, SZ_2M);
	KUNIT_EXPECT_EQ(test, leaf.iova, b);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, b, 512), 0);
	KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, b), 1);

	/*
	 * A read fault of a huge page the CPU maps writable gives the device
	 * read only, still as one 2 MiB page; a write fault then upgrades it.
	 */
	touch(b + SZ_2M, 512);
	KUNIT_ASSERT_EQ(test, iommu_mirror_fault(m, b + SZ_2M, SZ_2M, 0), 0);
	KUNIT_ASSERT_EQ(test, iommu_mirror_snapshot(m, b + SZ_2M, 512, pfns), 0);
	if (hmm_pfn_to_map_order(pfns[0]) == 9 && (pfns[0] & HMM_PFN_WRITE)) {
		KUNIT_ASSERT_EQ(test, gpt_lookup(pt, b + SZ_2M, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.size, SZ_2M);
		KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, b + SZ_2M + SZ_1M), 0);
		KUNIT_ASSERT_EQ(test, iommu_mirror_fault(m, b + SZ_2M, SZ_2M,
							 IOMMU_MIRROR_WRITE), 0);
		KUNIT_ASSERT_EQ(test, gpt_lookup(pt, b + SZ_2M, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.size, SZ_2M);
		KUNIT_EXPECT_EQ(test, leaf_writable(t, 0, b + SZ_2M + SZ_1M), 1);
		KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, b + SZ_2M, 512), 0);
		KUNIT_EXPECT_EQ(test, stats(m).huge, 2);
	} else {
		kunit_info(test, "no writable THP at b + 2 MiB: read-fault case not run");
	}

	KUNIT_ASSERT_EQ(test, vm_munmap(b + SZ_1M, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, translated(t, 0, b + SZ_1M, 1), 0);
	KUNIT_ASSERT_EQ(test, iommu_mirror_access_begin(m, b, SZ_1M, 0, &faults), 0);
	iommu_mirror_access_end(m);
	KUNIT_EXPECT_LE(test, faults, 1);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, b, 256), 0);
	unbind(test, 0, b, 1024);
}

/* A second process's address space, with one mapping made in it. */
static struct mm_struct *other_mm(struct kunit *test, unsigned long len,
				  unsigned long *addr)
{
	struct mm_struct *mine = current->mm, *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	mm->task_size = TASK_SIZE;
	arch_pick_mmap_layout(mm, &current->signal->rlim[RLIMIT_STACK]);
	kthread_unuse_mm(mine);
	kthread_use_mm(mm);
	*addr = vm_mmap(NULL, 0, len, PROT_READ | PROT_WRITE,
			MAP_ANONYMOUS | MAP_PRIVATE, 0);
	kthread_unuse_mm(mm);
	kthread_use_mm(mine);
	if (IS_ERR_VALUE(*addr)) {
		mmput(mm);
		KUNIT_FAIL_AND_ABORT(test, "vm_mmap in the other mm: %ld", (long)*addr);
	}
	return mm;
}

/*
 * Two mirrors of one mm (two domains) follow the same munmap; a mirror
 * of a second mm is independent, and its process's exit tears it down:
 * nothing translated, later calls get -ESRCH.
 */
static void mirror_test_two_mirrors_two_mms(struct kunit *test)
{
	struct mirror_test *t = test->priv;
	unsigned long addr = user_map(test, SZ_64K, PROT_READ | PROT_WRITE), other;
	struct mm_struct *mm = current->mm, *mm2 = other_mm(test, SZ_64K, &other);
	struct iommu_mirror *a = bind(test, 0, mm), *b = bind(test, 1, mm), *c;
	unsigned long faults;

	c = iommu_mirror_bind(mm2, t->domain[2], &t->pdev->dev);
	if (IS_ERR(c)) {
		mmput(mm2);
		KUNIT_FAIL_AND_ABORT(test, "bind mm2: %ld", PTR_ERR(c));
	}
	t->mirror[2] = c;
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(a, addr, SZ_64K, IOMMU_MIRROR_WRITE), 0);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(b, addr, SZ_64K, 0), 0);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(c, other, SZ_64K, IOMMU_MIRROR_WRITE), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr, 16), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 1, mm, addr, 16), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 2, mm2, other, 16), 0);

	KUNIT_ASSERT_EQ(test, vm_munmap(addr, SZ_32K), 0);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr, 8), 0);
	KUNIT_EXPECT_EQ(test, translated(t, 1, addr, 8), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 0, mm, addr + SZ_32K, 8), 0);
	KUNIT_EXPECT_EQ(test, mismatches(t, 1, mm, addr + SZ_32K, 8), 0);
	KUNIT_EXPECT_EQ(test, translated(t, 2, other, 16), 16);

	/* The other process exits. */
	mmput(mm2);
	KUNIT_EXPECT_EQ(test, translated(t, 2, other, 16), 0);
	KUNIT_EXPECT_EQ(test, stats(c).mapped, 0);
	KUNIT_EXPECT_EQ(test, iommu_mirror_fault(c, other, SZ_64K, 0), -ESRCH);
	KUNIT_EXPECT_EQ(test, iommu_mirror_access_begin(c, other, SZ_64K, 0, &faults),
			-ESRCH);
	KUNIT_EXPECT_EQ(test, translated(t, 0, addr + SZ_32K, 8), 8);
	unbind(test, 2, other, 16);
	unbind(test, 1, addr, 16);
	unbind(test, 0, addr, 16);
}

static struct kunit_case mirror_test_cases[] = {
	KUNIT_CASE(mirror_test_fault_matches_cpu),
	KUNIT_CASE(mirror_test_munmap),
	KUNIT_CASE(mirror_test_permissions),
	KUNIT_CASE(mirror_test_bad_input),
	KUNIT_CASE(mirror_test_access_faults),
	KUNIT_CASE(mirror_test_access_holds_invalidation),
	KUNIT_CASE(mirror_test_invalidation_after_hmm),
	KUNIT_CASE(mirror_test_fault_munmap_race),
	KUNIT_CASE(mirror_test_protection_events),
	KUNIT_CASE(mirror_test_thp),
	KUNIT_CASE(mirror_test_two_mirrors_two_mms),
	{}
};

static struct kunit_suite mirror_test_suite = {
	.name = "iommu_mirror",
	.init = mirror_test_init,
	.exit = mirror_test_exit,
	.test_cases = mirror_test_cases,
};

kunit_test_suites(&mirror_test_suite);

MODULE_DESCRIPTION("KUnit tests for the iommu mirror");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
