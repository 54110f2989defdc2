// SPDX-License-Identifier: GPL-2.0
/*
 * iommu mirror dma-buf: a live, unpinned view of a process's address range
 * as a dma-buf, for dynamic importers.
 *
 * The buffer is whatever the process maps in [start, start + len) now.  An
 * importer's map_dma_buf faults the range in (hmm_range_fault() and the
 * mirror's retry protocol) and maps those pages for the importer's device;
 * when the process's page tables change there (munmap, mprotect, COW,
 * migration, exit) the notifier takes every importer's mapping down, with
 * the IOTLB flushed, before the mm may free the pages, and tells the
 * importers through move_notify so they map again before their next DMA.
 *
 * The kernel fixes the lock order (dma_resv_lockdep() teaches it to
 * lockdep at boot): mmap_lock -> dma_resv -> fs_reclaim -> mmu notifier ->
 * fence wait.  So:
 *  - map_dma_buf runs under the resv lock and takes the mmap lock only
 *    with a trylock, which orders nothing;
 *  - the notifier never waits for the resv lock: it takes the exporter's
 *    update lock, waits for the importers' fences (allowed from a
 *    notifier), unmaps and flushes, and calls dma_buf_move_notify() under
 *    the resv lock only if a trylock gets it, or else from a work item;
 *  - the update lock is held for short sections that neither fault nor
 *    allocate, since reclaim calls the notifier, which takes it.
 */
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/hmm.h>
#include <linux/iommu.h>
#include <linux/iommu-mirror.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

/* Page arrays of this size are allocated per map. */
#define MDB_MAX_LEN	SZ_1G

struct mdb_attach {
	struct list_head node;
	struct dma_buf_attachment *attach;
	/* The mapping handed to the importer, until it unmaps it. */
	struct sg_table *sgt;
	enum dma_data_direction dir;
	/* @sgt's DMA mapping still exists: no invalidation took it down. */
	bool dma_live;
};

struct mirror_dmabuf {
	struct dma_buf *dmabuf;
	struct mm_struct *mm;
	struct mmu_interval_notifier notifier;
	unsigned long start;
	unsigned long npages;
	/* The update lock: @attachments and their mappings. */
	struct mutex lock;
	struct list_head attachments;
	/* dma_buf_move_notify() when the notifier could not take the resv. */
	struct work_struct move_work;
};

/* Take @ma's DMA mapping down; the device cannot use it once this returns. */
static void mdb_dma_unmap(struct mdb_attach *ma)
{
	struct device *dev = ma->attach->dev;
	struct iommu_domain *domain = iommu_get_dma_domain(dev);

	dma_unmap_sgtable(dev, ma->sgt, ma->dir, DMA_ATTR_SKIP_CPU_SYNC);
	/* A lazy DMA domain only queues the IOTLB flush: do it now. */
	if (domain && domain->type == IOMMU_DOMAIN_DMA_FQ)
		iommu_flush_iotlb_all(domain);
	ma->dma_live = false;
}

static void mdb_move_work(struct work_struct *work)
{
	struct mirror_dmabuf *mdb = container_of(work, struct mirror_dmabuf,
						 move_work);

	dma_resv_lock(mdb->dmabuf->resv, NULL);
	dma_buf_move_notify(mdb->dmabuf);
	dma_resv_unlock(mdb->dmabuf->resv);
	dma_buf_put(mdb->dmabuf);
}

/* The importers must map again: tell them now if the resv is free. */
static void mdb_tell_importers(struct mirror_dmabuf *mdb)
{
	if (dma_resv_trylock(mdb->dmabuf->resv)) {
		dma_buf_move_notify(mdb->dmabuf);
		dma_resv_unlock(mdb->dmabuf->resv);
		return;
	}
	/* Live attachments exist, so the dma-buf is not being released. */
	get_dma_buf(mdb->dmabuf);
	if (!schedule_work(&mdb->move_work))
		dma_buf_put(mdb->dmabuf);
}

static bool mdb_invalidate(struct mmu_interval_notifier *mni,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	struct mirror_dmabuf *mdb = container_of(mni, struct mirror_dmabuf,
						 notifier);
	bool blockable = mmu_notifier_range_blockable(range);
	struct mdb_attach *ma;
	bool live = false;

	if (blockable)
		mutex_lock(&mdb->lock);
	else if (!mutex_trylock(&mdb->lock))
		return false;
	list_for_each_entry(ma, &mdb->attachments, node)
		live |= ma->dma_live;
	/* A DMA the importers fenced may still run: let it end first. */
	if (live && !blockable &&
	    !dma_resv_test_signaled(mdb->dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP)) {
		mutex_unlock(&mdb->lock);
		return false;
	}
	mmu_interval_set_seq(mni, cur_seq);
	if (live) {
		dma_resv_wait_timeout(mdb->dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP,
				      false, MAX_SCHEDULE_TIMEOUT);
		list_for_each_entry(ma, &mdb->attachments, node)
			if (ma->dma_live)
				mdb_dma_unmap(ma);
	}
	mutex_unlock(&mdb->lock);
	if (live)
		mdb_tell_importers(mdb);
	return true;
}

static const struct mmu_interval_notifier_ops mdb_notifier_ops = {
	.invalidate = mdb_invalidate,
};

static int mdb_attach(struct dma_buf *dmabuf,
		      struct dma_buf_attachment *attach)
{
	struct mirror_dmabuf *mdb = dmabuf->priv;
	struct iommu_domain *domain;
	struct mdb_attach *ma;

	/* A static importer would need the pages pinned: see pin. */
	if (!dma_buf_attachment_is_dynamic(attach))
		return -EOPNOTSUPP;
	/*
	 * Taking a mapping down must stop the device: only an IOMMU that
	 * translates the device's DMA can promise that.
	 */
	if (!device_iommu_mapped(attach->dev))
		return -EOPNOTSUPP;
	domain = iommu_get_dma_domain(attach->dev);
	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return -EOPNOTSUPP;
	ma = kzalloc(sizeof(*ma), GFP_KERNEL);
	if (!ma)
		return -ENOMEM;
	ma->attach = attach;
	attach->priv = ma;
	mutex_lock(&mdb->lock);
	list_add(&ma->node, &mdb->attachments);
	mutex_unlock(&mdb->lock);
	return 0;
}

static void mdb_detach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attach)
{
	struct mirror_dmabuf *mdb = dmabuf->priv;
	struct mdb_attach *ma = attach->priv;

	mutex_lock(&mdb->lock);
	list_del(&ma->node);
	mutex_unlock(&mdb->lock);
	WARN_ON(ma->sgt);
	kfree(ma);
}

/*
 * A pinned attachment would freeze the view: the process's later changes
 * would not reach it, or the pages could not move.  Refuse.
 */
static int mdb_pin(struct dma_buf_attachment *attach)
{
	return -EOPNOTSUPP;
}

static void mdb_unpin(struct dma_buf_attachment *attach)
{
}

/* The CPU's pages of the range now, faulted in; resv held. */
static int mdb_fault(struct mirror_dmabuf *mdb, struct hmm_range *range)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	int ret;

	do {
		if (time_after(jiffies, timeout))
			return -EBUSY;
		range->notifier_seq = mmu_interval_read_begin(&mdb->notifier);
		/* The mmap lock nests outside the resv lock: only try it. */
		if (!mmap_read_trylock(mdb->mm)) {
			usleep_range(50, 100);
			ret = -EBUSY;
			continue;
		}
		ret = hmm_range_fault(range);
		mmap_read_unlock(mdb->mm);
	} while (ret == -EBUSY);
	return ret;
}

static struct sg_table *mdb_map(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct mirror_dmabuf *mdb = attach->dmabuf->priv;
	struct mdb_attach *ma = attach->priv;
	unsigned long npages = mdb->npages, k;
	struct hmm_range range = {
		.notifier = &mdb->notifier,
		.start = mdb->start,
		.end = mdb->start + (npages << PAGE_SHIFT),
		.default_flags = HMM_PFN_REQ_FAULT |
				 (dir == DMA_TO_DEVICE ? 0 : HMM_PFN_REQ_WRITE),
	};
	struct sg_table *sgt = NULL;
	struct page **pages = NULL;
	unsigned long *pfns = NULL;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (ma->sgt)
		return ERR_PTR(-EBUSY);
	/* The process exited: its pages are gone for good. */
	if (!mmget_not_zero(mdb->mm))
		return ERR_PTR(-ESRCH);
	pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	ret = pfns && pages && sgt ? 0 : -ENOMEM;
	range.hmm_pfns = pfns;
	while (!ret) {
		ret = mdb_fault(mdb, &range);
		if (ret)
			break;
		for (k = 0; k < npages; k++)
			pages[k] = hmm_pfn_to_page(pfns[k]);
		ret = sg_alloc_table_from_pages_segment(sgt, pages, npages, 0,
							npages << PAGE_SHIFT,
							dma_get_max_seg_size(attach->dev),
							GFP_KERNEL);
		if (ret)
			break;
		ret = dma_map_sgtable(attach->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
		if (ret) {
			sg_free_table(sgt);
			break;
		}
		/*
		 * The pages are the process's now unless an invalidation ran
		 * since the fault; from here on the notifier sees the mapping
		 * and takes it down before the pages go.
		 */
		mutex_lock(&mdb->lock);
		if (!mmu_interval_read_retry(&mdb->notifier, range.notifier_seq)) {
			ma->sgt = sgt;
			ma->dir = dir;
			ma->dma_live = true;
			mutex_unlock(&mdb->lock);
			break;
		}
		mutex_unlock(&mdb->lock);
		/* Stale before the importer saw it: no device used it. */
		dma_unmap_sgtable(attach->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
		sg_free_table(sgt);
	}
	mmput(mdb->mm);
	kvfree(pages);
	kvfree(pfns);
	if (ret) {
		kfree(sgt);
		return ERR_PTR(ret);
	}
	return sgt;
}

static void mdb_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct mirror_dmabuf *mdb = attach->dmabuf->priv;
	struct mdb_attach *ma = attach->priv;

	mutex_lock(&mdb->lock);
	if (!WARN_ON(ma->sgt != sgt)) {
		if (ma->dma_live)
			mdb_dma_unmap(ma);
		ma->sgt = NULL;
	}
	mutex_unlock(&mdb->lock);
	sg_free_table(sgt);
	kfree(sgt);
}

static void mdb_release(struct dma_buf *dmabuf)
{
	struct mirror_dmabuf *mdb = dmabuf->priv;

	WARN_ON(!list_empty(&mdb->attachments));
	mmu_interval_notifier_remove(&mdb->notifier);
	mmdrop(mdb->mm);
	kfree(mdb);
}

static const struct dma_buf_ops mdb_ops = {
	.attach = mdb_attach,
	.detach = mdb_detach,
	.pin = mdb_pin,
	.unpin = mdb_unpin,
	.map_dma_buf = mdb_map,
	.unmap_dma_buf = mdb_unmap,
	.release = mdb_release,
};

/**
 * iommu_mirror_dmabuf_export() - a process's address range as a dma-buf
 * @mm: the process's mm, with a reference held by the caller (mmget)
 * @start: first user address, page aligned
 * @len: bytes, page aligned, at most 1 GiB
 *
 * The dma-buf is a live view of what @mm maps in [@start, @start + @len):
 * a map faults the range in and maps the pages found for the importer's
 * device; a later change of the process's page tables there takes every
 * importer's mapping down before the mm may reuse the pages, and calls
 * the importers' move_notify.  Nothing is pinned.  Only dynamic importers
 * whose device is behind a translating IOMMU may attach; static attaches
 * and pins get -EOPNOTSUPP.  A map after the range was unmapped fails with
 * -EFAULT, after the process exited with -ESRCH, for a device write to
 * a range the process may not write with -EPERM; a busy mmap lock or a
 * range that keeps changing makes it fail with -EBUSY: map again.
 *
 * Context: process context; sleeps.
 * Return: the dma-buf, or ERR_PTR(-EINVAL) for a bad range, -EFAULT if
 * part of it has no VMA, -ENOMEM.
 */
struct dma_buf *iommu_mirror_dmabuf_export(struct mm_struct *mm,
					   unsigned long start,
					   unsigned long len)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct mirror_dmabuf *mdb;
	struct vm_area_struct *vma;
	struct dma_buf *dmabuf;
	unsigned long end, va;
	int ret = 0;

	if (!len || len > MDB_MAX_LEN || !PAGE_ALIGNED(start | len) ||
	    check_add_overflow(start, len, &end) || end > TASK_SIZE)
		return ERR_PTR(-EINVAL);
	mmap_read_lock(mm);
	for (va = start; va < end; va = vma->vm_end) {
		vma = vma_lookup(mm, va);
		if (!vma) {
			ret = -EFAULT;
			break;
		}
	}
	mmap_read_unlock(mm);
	if (ret)
		return ERR_PTR(ret);
	mdb = kzalloc(sizeof(*mdb), GFP_KERNEL);
	if (!mdb)
		return ERR_PTR(-ENOMEM);
	mdb->mm = mm;
	mmgrab(mm);
	mdb->start = start;
	mdb->npages = len >> PAGE_SHIFT;
	mutex_init(&mdb->lock);
	INIT_LIST_HEAD(&mdb->attachments);
	INIT_WORK(&mdb->move_work, mdb_move_work);
	ret = mmu_interval_notifier_insert(&mdb->notifier, mm, start, len,
					   &mdb_notifier_ops);
	if (ret)
		goto free;
	exp_info.ops = &mdb_ops;
	exp_info.size = len;
	exp_info.flags = O_RDWR;
	exp_info.priv = mdb;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		mmu_interval_notifier_remove(&mdb->notifier);
		goto free;
	}
	mdb->dmabuf = dmabuf;
	return dmabuf;

free:
	mmdrop(mm);
	kfree(mdb);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(iommu_mirror_dmabuf_export);
