// SPDX-License-Identifier: GPL-2.0
/*
 * iommu mirror: keep a paging domain equal to a process's page tables over
 * its user range, IOVA == VA.
 *
 * Faults run hmm_range_fault() without any mirror lock, then take the
 * update lock, check that no invalidation ran meanwhile and program the
 * domain through the iommu directory API.  The notifier takes the same
 * lock, so a DMA that holds it (access_begin .. access_end) finishes before
 * the CPU side may reuse a page it targets.
 *
 * Besides the domain, the mirror keeps a shadow of which 4 KiB pages it
 * mapped and which of them writable, per 2 MiB chunk.  It lets the notifier
 * skip the many invalidations that touch nothing the device mapped (no
 * flush for them), lets an access find what is missing without walking the
 * IOMMU table, and tells a write-protect what to rewrite.  Chunks are
 * allocated outside the lock and live until unbind.
 */
#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/iommu-dir.h>
#include <linux/iommu-mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>

#define CHUNK_SHIFT	21
#define CHUNK_SIZE	BIT(CHUNK_SHIFT)
#define CHUNK_PAGES	(CHUNK_SIZE >> PAGE_SHIFT)

/*
 * Under the update lock the mirror may not enter direct reclaim: reclaim
 * unmaps pages, which calls the notifier, which waits for the lock.
 */
#define MIRROR_GFP	(GFP_NOWAIT | __GFP_NOWARN)

struct mirror_chunk {
	DECLARE_BITMAP(mapped, CHUNK_PAGES);
	DECLARE_BITMAP(writable, CHUNK_PAGES);
	/*
	 * Mapped whole from one aligned, contiguous run: the domain may hold
	 * it as one huge page, which an unmap removes whole, so the shadow
	 * must drop it whole too.
	 */
	bool huge;
};

struct iommu_mirror {
	struct mmu_interval_notifier notifier;
	struct mm_struct *mm;
	struct iommu_dir dir;
	int prot;
	/* [begin, end): the user range the domain can translate */
	unsigned long begin;
	unsigned long end;
	/* end, or the whole top table entry past it: what teardown unmaps */
	unsigned long reach;
	/* The update lock: the domain, the shadow and @dead change under it. */
	struct mutex lock;
	struct xarray chunks;
	/* The write-protect's page array: a notifier cannot allocate one. */
	unsigned long *wp_pfns;
	/* One for the binding, one per call in progress or access held. */
	refcount_t users;
	bool dead;
	unsigned long nr_mapped;
	/* chunks mapped whole from one huge run */
	unsigned long nr_huge;
	atomic_long_t nr_faults;
	atomic_long_t nr_invalidations;
};

static struct mirror_chunk *mirror_chunk(struct iommu_mirror *m,
					 unsigned long va)
{
	return xa_load(&m->chunks, va >> CHUNK_SHIFT);
}

/* Outside the update lock: may sleep. */
static struct mirror_chunk *mirror_chunk_get(struct iommu_mirror *m,
					     unsigned long va)
{
	struct mirror_chunk *c = mirror_chunk(m, va), *old;

	if (c)
		return c;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	old = xa_cmpxchg(&m->chunks, va >> CHUNK_SHIFT, NULL, c, GFP_KERNEL);
	if (!old)
		return c;
	kfree(c);
	return xa_is_err(old) ? ERR_PTR(xa_err(old)) : old;
}

static bool mirror_resv_overlaps(struct iommu_mirror *m, unsigned long start,
				 unsigned long end)
{
	struct iommu_resv_region *r;

	list_for_each_entry(r, &m->dir.resv, list)
		if (r->type != IOMMU_RESV_DIRECT_RELAXABLE &&
		    start < r->start + r->length && r->start < end)
			return true;
	return false;
}

static int mirror_check(struct iommu_mirror *m, unsigned long start,
			unsigned long len)
{
	unsigned long end;

	if (!m || !len || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(len) ||
	    check_add_overflow(start, len, &end))
		return -EINVAL;
	if (end > TASK_SIZE_MAX)
		return -EFAULT;
	if (start < m->begin || end > m->end)
		return -ERANGE;
	if (mirror_resv_overlaps(m, start, end))
		return -EADDRNOTAVAIL;
	return 0;
}

static bool mirror_get(struct iommu_mirror *m)
{
	return refcount_inc_not_zero(&m->users);
}

static void mirror_put(struct iommu_mirror *m)
{
	if (refcount_dec_and_test(&m->users))
		wake_up_var(&m->users);
}

/* Check a call's range and flags, then hold the mirror: 0 or -errno. */
static int mirror_enter(struct iommu_mirror *m, unsigned long start,
			unsigned long len, unsigned int flags)
{
	int ret = mirror_check(m, start, len);

	if (ret)
		return ret;
	if (flags & ~IOMMU_MIRROR_WRITE)
		return -EINVAL;
	return mirror_get(m) ? 0 : -ESRCH;
}

/*
 * One directory unmap (one flush) for [start, end), in pieces around the
 * reserved regions, which the directory refuses to touch and the mirror
 * never maps.
 */
static void mirror_dir_unmap(struct iommu_mirror *m, unsigned long start,
			     unsigned long end)
{
	struct iommu_resv_region *r;

	list_for_each_entry(r, &m->dir.resv, list) {
		unsigned long rs = ALIGN_DOWN(r->start, PAGE_SIZE);
		unsigned long re = ALIGN(r->start + r->length, PAGE_SIZE);

		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    !(start < re && rs < end))
			continue;
		if (start < rs)
			mirror_dir_unmap(m, start, rs);
		if (re < end)
			mirror_dir_unmap(m, re, end);
		return;
	}
	iommu_dir_unmap(&m->dir, start, (end - start) >> PAGE_SHIFT);
}

/* The part of chunk @idx inside [start, end), as page indices [*first, *last). */
static void mirror_chunk_span(struct mirror_chunk *c, unsigned long idx,
			      unsigned long start, unsigned long end,
			      unsigned int *first, unsigned int *last)
{
	unsigned long base = idx << CHUNK_SHIFT;

	if (c->huge) {
		*first = 0;
		*last = CHUNK_PAGES;
		return;
	}
	*first = (max(start, base) - base) >> PAGE_SHIFT;
	*last = (min(end, base + CHUNK_SIZE) - base) >> PAGE_SHIFT;
}

/*
 * Remove what the mirror mapped in [start, end), and whole huge chunks that
 * reach into it, with one unmap over the stretch that holds anything.
 * Never allocates.  Called with the update lock held.
 */
static void mirror_unmap_locked(struct iommu_mirror *m, unsigned long start,
				unsigned long end)
{
	unsigned long idx, lo = ULONG_MAX, hi = 0;
	struct mirror_chunk *c;

	lockdep_assert_held(&m->lock);
	if (start >= end)
		return;
	xa_for_each_range(&m->chunks, idx, c, start >> CHUNK_SHIFT,
			  (end - 1) >> CHUNK_SHIFT) {
		unsigned long base = idx << CHUNK_SHIFT;
		unsigned int first, last, k, n = 0;

		mirror_chunk_span(c, idx, start, end, &first, &last);
		for_each_set_bit_from(first, c->mapped, last) {
			k = first;
			if (!n++)
				lo = min(lo, base + ((unsigned long)k << PAGE_SHIFT));
			hi = max(hi, base + ((unsigned long)(k + 1) << PAGE_SHIFT));
			__clear_bit(k, c->mapped);
			__clear_bit(k, c->writable);
		}
		m->nr_mapped -= n;
		if (c->huge && bitmap_empty(c->mapped, CHUNK_PAGES)) {
			c->huge = false;
			m->nr_huge--;
		}
	}
	if (lo >= hi)
		return;
	mirror_dir_unmap(m, lo, hi);
	atomic_long_inc(&m->nr_invalidations);
}

/*
 * Take write permission away in [start, end) and leave read access: each
 * chunk with writable pages is updated to the same pages, read-only, in
 * place.  A huge chunk loses write whole rather than being split.  If the
 * update cannot be done without memory, the pages go instead.
 */
static void mirror_wrprotect_locked(struct iommu_mirror *m, unsigned long start,
				    unsigned long end)
{
	unsigned long idx;
	struct mirror_chunk *c;

	lockdep_assert_held(&m->lock);
	if (start >= end)
		return;
	xa_for_each_range(&m->chunks, idx, c, start >> CHUNK_SHIFT,
			  (end - 1) >> CHUNK_SHIFT) {
		unsigned long base = idx << CHUNK_SHIFT, va;
		unsigned int first, last, k;

		mirror_chunk_span(c, idx, start, end, &first, &last);
		first = find_next_bit(c->writable, last, first);
		if (first >= last)
			continue;
		if (!c->huge)
			last = find_last_bit(c->writable, last) + 1;
		va = base + ((unsigned long)first << PAGE_SHIFT);
		for (k = first; k < last; k++) {
			phys_addr_t pa = 0;

			if (test_bit(k, c->mapped))
				pa = iommu_iova_to_phys(m->dir.domain,
							base + ((unsigned long)k << PAGE_SHIFT));
			m->wp_pfns[k - first] = pa ? HMM_PFN_VALID | PHYS_PFN(pa) : 0;
		}
		if (iommu_dir_update(&m->dir, va, m->wp_pfns, last - first,
				     m->prot, MIRROR_GFP)) {
			mirror_unmap_locked(m, va,
					    base + ((unsigned long)last << PAGE_SHIFT));
			continue;
		}
		bitmap_clear(c->writable, first, last - first);
		atomic_long_inc(&m->nr_invalidations);
	}
}

/*
 * Unmap the whole mirrored range, so that the tables go too (an unmap
 * frees only the tables it covers whole): only the few that also hold a
 * reserved region stay, empty, until the domain is freed.
 */
static void mirror_teardown_locked(struct iommu_mirror *m)
{
	mirror_unmap_locked(m, m->begin, m->end);
	mirror_dir_unmap(m, m->begin, m->reach);
}

static bool mirror_invalidate(struct mmu_interval_notifier *mni,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	struct iommu_mirror *m = container_of(mni, struct iommu_mirror, notifier);
	unsigned long start = ALIGN_DOWN(range->start, PAGE_SIZE);
	unsigned long end = range->end >= m->end ? m->end :
			    ALIGN(range->end, PAGE_SIZE);

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&m->lock);
	else if (!mutex_trylock(&m->lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	switch (range->event) {
	case MMU_NOTIFY_SOFT_DIRTY:
		/* Only the CPU's soft-dirty bits change. */
		break;
	case MMU_NOTIFY_PROTECTION_PAGE:
		/* Fork's COW or writeback cleaning: reads may go on. */
		mirror_wrprotect_locked(m, start, end);
		break;
	case MMU_NOTIFY_RELEASE:
		mirror_teardown_locked(m);
		m->dead = true;
		break;
	default:
		mirror_unmap_locked(m, start, end);
		break;
	}
	mutex_unlock(&m->lock);
	return true;
}

static const struct mmu_interval_notifier_ops mirror_notifier_ops = {
	.invalidate = mirror_invalidate,
};

/* The piece would be one aligned, contiguous run of one permission. */
static bool mirror_run_is_huge(const unsigned long *pfns)
{
	unsigned long pfn = pfns[0] & ~HMM_PFN_FLAGS;
	unsigned int k;

	if (!(pfns[0] & HMM_PFN_VALID) || !IS_ALIGNED(pfn, CHUNK_PAGES))
		return false;
	for (k = 1; k < CHUNK_PAGES; k++)
		if ((pfns[k] & ~HMM_PFN_FLAGS) != pfn + k ||
		    !(pfns[k] & HMM_PFN_VALID) ||
		    ((pfns[k] ^ pfns[0]) & HMM_PFN_WRITE))
			return false;
	return true;
}

/*
 * The whole chunk is one PMD-mapped huge page of the CPU: one entry of the
 * CPU's table, so every pfn follows the first and carries its flags.
 */
static bool mirror_piece_is_pmd(const unsigned long *pfns)
{
	return (pfns[0] & HMM_PFN_VALID) &&
	       hmm_pfn_to_map_order(pfns[0]) >= CHUNK_SHIFT - PAGE_SHIFT &&
	       IS_ALIGNED(pfns[0] & ~HMM_PFN_FLAGS, CHUNK_PAGES);
}

/*
 * mirror_map_locked() for a chunk that is one huge page, with one write
 * permission for all of it: the shadow changes as a whole, without the
 * walks over 512 entries a mixed piece needs.
 */
static int mirror_map_pmd_locked(struct iommu_mirror *m, struct mirror_chunk *c,
				 unsigned long va, unsigned long *pfns)
{
	int ret = iommu_dir_update(&m->dir, va, pfns, CHUNK_PAGES, m->prot,
				   MIRROR_GFP);

	if (ret) {
		mirror_unmap_locked(m, va, va + CHUNK_SIZE);
		return ret;
	}
	m->nr_mapped += CHUNK_PAGES - bitmap_weight(c->mapped, CHUNK_PAGES);
	bitmap_fill(c->mapped, CHUNK_PAGES);
	if (pfns[0] & HMM_PFN_WRITE)
		bitmap_fill(c->writable, CHUNK_PAGES);
	else
		bitmap_zero(c->writable, CHUNK_PAGES);
	if (!c->huge) {
		c->huge = true;
		m->nr_huge++;
	}
	return 0;
}

/*
 * Make the domain match @pfns for the piece [va, va + n pages) of chunk @c.
 * A read fault grants write only where the device already had it: device
 * writes then always follow a write fault, which dirtied the CPU PTE.
 */
static int mirror_map_locked(struct iommu_mirror *m, struct mirror_chunk *c,
			     unsigned long va, unsigned long *pfns,
			     unsigned int n, bool write)
{
	unsigned int first = (va & (CHUNK_SIZE - 1)) >> PAGE_SHIFT, k;
	int ret;

	lockdep_assert_held(&m->lock);
	if (n == CHUNK_PAGES && mirror_piece_is_pmd(pfns)) {
		bool keep_write = write || !(pfns[0] & HMM_PFN_WRITE) ||
				  bitmap_full(c->writable, CHUNK_PAGES);

		if (keep_write || bitmap_empty(c->writable, CHUNK_PAGES)) {
			for (k = 0; !keep_write && k < n; k++)
				pfns[k] &= ~HMM_PFN_WRITE;
			return mirror_map_pmd_locked(m, c, va, pfns);
		}
	}
	for (k = 0; k < n; k++) {
		pfns[k] &= ~HMM_PFN_ERROR;
		if (!write && !test_bit(first + k, c->writable))
			pfns[k] &= ~HMM_PFN_WRITE;
	}
	ret = iommu_dir_update(&m->dir, va, pfns, n, m->prot, MIRROR_GFP);
	if (ret) {
		/* Part old, part new, both valid: drop it all, to be sure. */
		mirror_unmap_locked(m, va, va + ((unsigned long)n << PAGE_SHIFT));
		return ret;
	}
	for (k = 0; k < n; k++) {
		bool valid = pfns[k] & HMM_PFN_VALID;

		if (valid != test_bit(first + k, c->mapped))
			m->nr_mapped += valid ? 1 : -1;
		__assign_bit(first + k, c->mapped, valid);
		__assign_bit(first + k, c->writable,
			     valid && (pfns[k] & HMM_PFN_WRITE));
	}
	if (!c->huge && n == CHUNK_PAGES && mirror_run_is_huge(pfns)) {
		c->huge = true;
		m->nr_huge++;
	}
	return 0;
}

/*
 * A sleeping allocation, without the lock, so that reclaim can make room
 * for the MIRROR_GFP ones under it.  -EBUSY: try again.
 */
static int mirror_make_room(void)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_NOWARN);

	if (!page)
		return -ENOMEM;
	__free_page(page);
	return -EBUSY;
}

/*
 * Between hmm_range_fault() and the update lock, where an invalidation
 * makes the pfns just read stale: the KUnit suite redirects this to run
 * one exactly there, to show that the retry check catches it.
 */
VISIBLE_IF_KUNIT void iommu_mirror_after_hmm(struct iommu_mirror *m,
					     struct hmm_range *range)
{
	KUNIT_STATIC_STUB_REDIRECT(iommu_mirror_after_hmm, m, range);
}
EXPORT_SYMBOL_IF_KUNIT(iommu_mirror_after_hmm);

/*
 * hmm_range_fault() on one piece (within one chunk) and the retry protocol;
 * then, for a fault (@c set), program the domain.  -EBUSY after the timeout.
 */
static int mirror_hmm_piece(struct iommu_mirror *m, struct hmm_range *range,
			    struct mirror_chunk *c, bool write)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	unsigned int n = (range->end - range->start) >> PAGE_SHIFT;
	int ret;

	for (;;) {
		if (fatal_signal_pending(current))
			return -EINTR;
		range->notifier_seq = mmu_interval_read_begin(range->notifier);
		mmap_read_lock(m->mm);
		ret = hmm_range_fault(range);
		mmap_read_unlock(m->mm);
		if (!ret) {
			iommu_mirror_after_hmm(m, range);
			mutex_lock(&m->lock);
			if (m->dead)
				ret = -ESRCH;
			else if (mmu_interval_read_retry(range->notifier,
							 range->notifier_seq))
				ret = -EBUSY;
			else if (c)
				ret = mirror_map_locked(m, c, range->start,
							range->hmm_pfns, n, write);
			mutex_unlock(&m->lock);
			if (ret == -ENOMEM)
				ret = mirror_make_room();
		}
		if (ret != -EBUSY)
			return ret;
		if (time_after(jiffies, timeout))
			return -EBUSY;
		cond_resched();
	}
}

/*
 * Fault [start, end) in 2 MiB pieces, with @pfns for CHUNK_PAGES entries.
 * A failure takes back what this call mapped before it (and whatever was
 * mapped there already: the device faults it in again).
 */
static int mirror_fault_range(struct iommu_mirror *m, unsigned long start,
			      unsigned long end, bool write, unsigned long *pfns)
{
	struct hmm_range range = {
		.notifier = &m->notifier,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = m,
	};
	unsigned long va;
	int ret = 0;

	if (!mmget_not_zero(m->mm))
		return -ESRCH;
	for (va = start; va < end; va = range.end) {
		struct mirror_chunk *c = mirror_chunk_get(m, va);

		if (IS_ERR(c)) {
			ret = PTR_ERR(c);
			break;
		}
		range.start = va;
		range.end = min(end, ALIGN(va + 1, CHUNK_SIZE));
		ret = mirror_hmm_piece(m, &range, c, write);
		if (ret)
			break;
	}
	if (ret && va > start) {
		mutex_lock(&m->lock);
		mirror_unmap_locked(m, start, va);
		mutex_unlock(&m->lock);
	}
	mmput(m->mm);
	if (!ret)
		atomic_long_inc(&m->nr_faults);
	return ret;
}

static int mirror_fault(struct iommu_mirror *m, unsigned long start,
			unsigned long end, bool write)
{
	unsigned long *pfns = kmalloc_array(CHUNK_PAGES, sizeof(*pfns), GFP_KERNEL);
	int ret;

	if (!pfns)
		return -ENOMEM;
	ret = mirror_fault_range(m, start, end, write, pfns);
	kfree(pfns);
	return ret;
}

/*
 * Lockdep learns here that the update lock is taken under reclaim (the
 * notifier runs from it), before any reclaim happens, so that a sleeping
 * allocation under the lock is reported the first time it is made.
 */
static void mirror_prime_lockdep(struct iommu_mirror *m)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	fs_reclaim_acquire(GFP_KERNEL);
	might_lock(&m->lock);
	fs_reclaim_release(GFP_KERNEL);
}

/**
 * iommu_mirror_bind() - mirror a process address space into a domain
 * @mm: the process's mm
 * @domain: a paging domain with 4 KiB pages that serves @dev and nothing
 *	else maps into
 * @dev: the device that will DMA through @domain: its reserved regions
 *	(the MSI window) are never mapped, and IOMMU_CACHE is used if it
 *	snoops
 *
 * The domain starts empty and fills as the driver faults or accesses
 * ranges, IOVA == VA, over the part of the user range the domain's aperture
 * covers.  Several mirrors of one mm (one per device) and mirrors of
 * several mms may exist at once.
 *
 * Context: process context; sleeps.  Takes the mm's mmap lock for write.
 * Return: the mirror, or ERR_PTR(): -EINVAL for a missing argument or a
 * domain that cannot map 4 KiB pages, -ESRCH if @mm has no users left,
 * -ENOMEM.
 */
struct iommu_mirror *iommu_mirror_bind(struct mm_struct *mm,
				       struct iommu_domain *domain,
				       struct device *dev)
{
	struct iommu_domain_geometry *geo;
	struct iommu_mirror *m;
	int ret;

	if (!mm || !domain || !dev)
		return ERR_PTR(-EINVAL);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->wp_pfns = kmalloc_array(CHUNK_PAGES, sizeof(*m->wp_pfns), GFP_KERNEL);
	if (!m->wp_pfns) {
		ret = -ENOMEM;
		goto free;
	}
	ret = iommu_dir_init(&m->dir, domain, dev);
	if (ret)
		goto free;
	geo = &domain->geometry;
	/* TASK_SIZE_MAX leaves out a guard page, but tables cover it. */
	m->begin = 0;
	m->reach = TASK_SIZE_MAX + PAGE_SIZE;
	if (geo->force_aperture) {
		m->begin = ALIGN(geo->aperture_start, PAGE_SIZE);
		if (geo->aperture_end < m->reach - 1)
			m->reach = ALIGN_DOWN(geo->aperture_end + 1, PAGE_SIZE);
	}
	m->end = min_t(unsigned long, m->reach, TASK_SIZE_MAX);
	if (m->begin >= m->end) {
		ret = -EINVAL;
		goto destroy;
	}
	m->prot = IOMMU_READ | IOMMU_WRITE;
	if (device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		m->prot |= IOMMU_CACHE;
	mutex_init(&m->lock);
	xa_init(&m->chunks);
	refcount_set(&m->users, 1);
	mirror_prime_lockdep(m);

	if (!mmget_not_zero(mm)) {
		ret = -ESRCH;
		goto destroy;
	}
	ret = mmu_interval_notifier_insert(&m->notifier, mm, m->begin,
					   m->end - m->begin, &mirror_notifier_ops);
	mmput(mm);
	if (ret)
		goto destroy;
	mmgrab(mm);
	m->mm = mm;
	return m;

destroy:
	iommu_dir_destroy(&m->dir);
free:
	kfree(m->wp_pfns);
	kfree(m);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(iommu_mirror_bind);

/**
 * iommu_mirror_unbind() - stop mirroring and empty the domain
 * @mirror: the mirror, from iommu_mirror_bind()
 *
 * Waits for faults in progress and for an access held to end, then removes
 * the notifier, unmaps everything the mirror mapped, flushes the IOTLB and
 * frees the mirror.  The domain is empty (and may be freed) on return.
 *
 * Context: process context; sleeps.  Not from the mirror's own calls or
 * between access_begin and access_end.
 */
void iommu_mirror_unbind(struct iommu_mirror *mirror)
{
	struct iommu_mirror *m = mirror;
	struct mirror_chunk *c;
	unsigned long idx;

	mutex_lock(&m->lock);
	m->dead = true;
	mutex_unlock(&m->lock);
	mirror_put(m);
	wait_var_event(&m->users, !refcount_read(&m->users));
	mmu_interval_notifier_remove(&m->notifier);

	mutex_lock(&m->lock);
	mirror_teardown_locked(m);
	mutex_unlock(&m->lock);
	xa_for_each(&m->chunks, idx, c)
		kfree(c);
	xa_destroy(&m->chunks);
	iommu_dir_destroy(&m->dir);
	mmdrop(m->mm);
	mutex_destroy(&m->lock);
	kfree(m->wp_pfns);
	kfree(m);
}
EXPORT_SYMBOL_GPL(iommu_mirror_unbind);

/**
 * iommu_mirror_fault() - map a range of the process into the domain
 * @mirror: the mirror
 * @start: first user address, page aligned
 * @len: length in bytes, page aligned
 * @flags: IOMMU_MIRROR_WRITE to fault for write and map writable
 *
 * Faults the range in the process as a CPU access would (a write fault
 * dirties the pages) and maps it: IOVA == VA, huge IOMMU pages where the
 * process maps a huge page.  Pages stay mapped until the process unmaps,
 * moves or write-protects them (then write access goes, read stays) or the
 * mirror is unbound.
 *
 * Context: process context; sleeps.  Takes the mm's mmap lock for read.
 * Return: 0; -EINVAL (zero, unaligned or overflowing range, unknown flag),
 * -EFAULT (beyond the user address space, or a page without a VMA or with
 * PROT_NONE), -EPERM (write to a read-only mapping), -ERANGE (outside the
 * domain's aperture), -EADDRNOTAVAIL (a reserved region of the device),
 * -ESRCH (the process exited or the mirror is being unbound), -EBUSY
 * (invalidations kept the range changing for a second), -EINTR, -ENOMEM.
 * On error nothing of the range is left mapped by this call.
 */
int iommu_mirror_fault(struct iommu_mirror *mirror, unsigned long start,
		       unsigned long len, unsigned int flags)
{
	int ret = mirror_enter(mirror, start, len, flags);

	if (ret)
		return ret;
	ret = mirror_fault(mirror, start, start + len, flags & IOMMU_MIRROR_WRITE);
	mirror_put(mirror);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_mirror_fault);

/**
 * iommu_mirror_snapshot() - what the process maps in a range, without faulting
 * @mirror: the mirror
 * @start: first user address, page aligned
 * @npages: number of 4 KiB pages
 * @pfns: @npages entries, filled as hmm_range_fault() fills them without
 *	HMM_PFN_REQ_FAULT: HMM_PFN_VALID and HMM_PFN_WRITE for what the CPU
 *	maps, HMM_PFN_ERROR for a hole without a VMA or a PROT_NONE page
 *
 * Each 2 MiB piece of the answer was true at one instant; the pages may be
 * gone by the time the call returns, and the domain is not changed.
 *
 * Context: process context; sleeps.
 * Return: 0, or the errors of iommu_mirror_fault() that apply.
 */
int iommu_mirror_snapshot(struct iommu_mirror *mirror, unsigned long start,
			  unsigned long npages, unsigned long *pfns)
{
	struct hmm_range range = {
		.notifier = mirror ? &mirror->notifier : NULL,
		.dev_private_owner = mirror,
	};
	unsigned long end, va;
	int ret;

	if (!pfns || npages > ULONG_MAX >> PAGE_SHIFT)
		return -EINVAL;
	ret = mirror_check(mirror, start, npages << PAGE_SHIFT);
	if (ret)
		return ret;
	if (!mirror_get(mirror))
		return -ESRCH;
	if (!mmget_not_zero(mirror->mm)) {
		mirror_put(mirror);
		return -ESRCH;
	}
	end = start + (npages << PAGE_SHIFT);
	for (va = start; va < end && !ret; va = range.end) {
		range.start = va;
		range.end = min(end, ALIGN(va + 1, CHUNK_SIZE));
		range.hmm_pfns = pfns + ((va - start) >> PAGE_SHIFT);
		ret = mirror_hmm_piece(mirror, &range, NULL, false);
	}
	mmput(mirror->mm);
	mirror_put(mirror);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_mirror_snapshot);

/* First page of [start, end) the device cannot reach as needed, or @end. */
static unsigned long mirror_first_missing(struct iommu_mirror *m,
					  unsigned long start, unsigned long end,
					  bool write)
{
	unsigned long va, next;

	for (va = start; va < end; va = next) {
		struct mirror_chunk *c = mirror_chunk(m, va);
		unsigned int first = (va & (CHUNK_SIZE - 1)) >> PAGE_SHIFT, k;

		next = min(end, ALIGN(va + 1, CHUNK_SIZE));
		if (!c)
			return va;
		k = find_next_zero_bit(write ? c->writable : c->mapped,
				       first + ((next - va) >> PAGE_SHIFT), first);
		if (va + ((unsigned long)(k - first) << PAGE_SHIFT) < next)
			return va + ((unsigned long)(k - first) << PAGE_SHIFT);
	}
	return end;
}

/**
 * iommu_mirror_access_begin() - make a range reachable and keep it so
 * @mirror: the mirror
 * @start: first user address, page aligned
 * @len: length in bytes, page aligned
 * @flags: IOMMU_MIRROR_WRITE if the device will write
 * @faults: if not NULL, set to the number of fault passes needed: one per
 *	missing stretch found, each faulting from there to the end of the
 *	range (so 1 for a range never accessed, 0 for one fully mapped)
 *
 * On success the whole range is mapped with the permission asked for and
 * stays so until iommu_mirror_access_end(): invalidations of the mirror
 * wait (or, when they may not sleep, fail and are retried by the mm) until
 * then, so a DMA started in between cannot reach a page the process is
 * letting go of.  Between the two calls the caller must not sleep for
 * long, fault on user memory or allocate memory with reclaim.
 *
 * Context: process context; sleeps.  Returns with the mirror's update lock
 * held on success.
 * Return: 0, or the errors of iommu_mirror_fault(), with nothing held.
 */
int iommu_mirror_access_begin(struct iommu_mirror *mirror, unsigned long start,
			      unsigned long len, unsigned int flags,
			      unsigned long *faults)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	bool write = flags & IOMMU_MIRROR_WRITE;
	struct iommu_mirror *m = mirror;
	unsigned long va, end;
	int ret = mirror_enter(m, start, len, flags);

	if (ret)
		return ret;
	if (faults)
		*faults = 0;
	end = start + len;
	for (;;) {
		mutex_lock(&m->lock);
		if (m->dead) {
			ret = -ESRCH;
			break;
		}
		va = mirror_first_missing(m, start, end, write);
		if (va == end)
			return 0;
		mutex_unlock(&m->lock);
		if (time_after(jiffies, timeout))
			ret = -EBUSY;
		else
			ret = mirror_fault(m, va, end, write);
		if (ret)
			goto out;
		if (faults)
			(*faults)++;
	}
	mutex_unlock(&m->lock);
out:
	mirror_put(m);
	return ret;
}
EXPORT_SYMBOL_GPL(iommu_mirror_access_begin);

/**
 * iommu_mirror_access_end() - let invalidations of the mirror proceed
 * @mirror: the mirror, after a successful iommu_mirror_access_begin()
 *
 * The DMA must be over: the pages may be unmapped as soon as this returns.
 *
 * Context: the task that called iommu_mirror_access_begin().
 */
void iommu_mirror_access_end(struct iommu_mirror *mirror)
{
	mutex_unlock(&mirror->lock);
	mirror_put(mirror);
}
EXPORT_SYMBOL_GPL(iommu_mirror_access_end);

/**
 * iommu_mirror_get_stats() - read a mirror's counters
 * @mirror: the mirror
 * @stats: filled in
 *
 * Context: process context; sleeps (waits for an access in progress).
 */
void iommu_mirror_get_stats(struct iommu_mirror *mirror,
			    struct iommu_mirror_stats *stats)
{
	stats->faults = atomic_long_read(&mirror->nr_faults);
	stats->invalidations = atomic_long_read(&mirror->nr_invalidations);
	stats->flushes = atomic_long_read(&mirror->dir.nr_flushes);
	mutex_lock(&mirror->lock);
	stats->mapped = mirror->nr_mapped;
	stats->huge = mirror->nr_huge;
	mutex_unlock(&mirror->lock);
}
EXPORT_SYMBOL_GPL(iommu_mirror_get_stats);

MODULE_DESCRIPTION("iommu mirror: process address spaces in IOMMU domains");
MODULE_LICENSE("GPL");
