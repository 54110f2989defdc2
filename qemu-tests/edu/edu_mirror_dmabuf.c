// SPDX-License-Identifier: GPL-2.0
/*
 * gpt_edu_mirror's dma-buf requests: export a range of the caller's memory
 * (iommu_mirror_dmabuf_export()), and let a file's edu import a dma-buf the
 * way a device that knows nothing of mirrors would.
 *
 * The importer is an ordinary dynamic importer: it keeps its mapping
 * across requests, and when move_notify says the buffer moved it unmaps
 * and maps again before its next DMA.  Each request's DMA runs under the
 * buffer's resv lock with a fence in the resv, so an invalidation of the
 * exported range waits for it before the exporter takes the mapping down.
 * The device DMAs through its default DMA domain (the DMA API), so the
 * file's mirror domain is detached first.  The other leg of each edu copy
 * is a coherent bounce buffer the CPU copies to or from the caller.
 */
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/iommu-mirror.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "edu_mirror_uapi.h"
#include "edu_mirror.h"

#define IMPORT_MAX_LEN	SZ_64K

struct edu_import {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	/* The current mapping; it and @moved change under the resv lock. */
	struct sg_table *sgt;
	bool moved;
	u64 maps;
	u64 moves;
	/* Each request's DMA is a fence of this timeline in the resv. */
	u64 fence_context;
	u64 fence_seqno;
};

/*
 * The fences' lock outlives every import: a waiter may still hold a
 * fence of an import that was detached and freed meanwhile.
 */
static DEFINE_SPINLOCK(import_fence_lock);

static const char *import_fence_name(struct dma_fence *fence)
{
	return "gpt_edu_mirror";
}

static const struct dma_fence_ops import_fence_ops = {
	.get_driver_name = import_fence_name,
	.get_timeline_name = import_fence_name,
};

/* Called by the exporter with the resv lock held. */
static void import_move_notify(struct dma_buf_attachment *attach)
{
	struct edu_import *imp = attach->importer_priv;

	imp->moved = true;
	imp->moves++;
}

static const struct dma_buf_attach_ops import_ops = {
	.move_notify = import_move_notify,
};

static int mirror_export(struct edu_mirror_export *e)
{
	struct dma_buf *dmabuf;
	int fd;

	if (e->__pad)
		return -EINVAL;
	dmabuf = iommu_mirror_dmabuf_export(current->mm, e->addr, e->len);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	e->fd = fd;
	return 0;
}

static void import_free(struct edu_import *imp)
{
	if (imp->sgt) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		dma_buf_unmap_attachment(imp->attach, imp->sgt, DMA_BIDIRECTIONAL);
		dma_resv_unlock(imp->dmabuf->resv);
	}
	dma_buf_detach(imp->dmabuf, imp->attach);
	dma_buf_put(imp->dmabuf);
	kfree(imp);
}

/*
 * The static and pin flags only check that the exporter refuses: the
 * errno is the answer, and nothing stays attached.
 */
static int import_attach(struct mirror_file *mf, struct edu_mirror_import *r)
{
	struct device *dev = &mf->md->edu.pdev->dev;
	struct dma_buf_attachment *attach;
	struct edu_import *imp;
	int ret;

	if (r->flags & ~(EDU_MIRROR_IMPORT_STATIC | EDU_MIRROR_IMPORT_PIN))
		return -EINVAL;
	if (mf->import)
		return -EBUSY;
	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return -ENOMEM;
	imp->dmabuf = dma_buf_get(r->fd);
	if (IS_ERR(imp->dmabuf)) {
		ret = PTR_ERR(imp->dmabuf);
		kfree(imp);
		return ret;
	}
	if (r->flags & EDU_MIRROR_IMPORT_STATIC)
		attach = dma_buf_attach(imp->dmabuf, dev);
	else
		attach = dma_buf_dynamic_attach(imp->dmabuf, dev, &import_ops, imp);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		dma_buf_put(imp->dmabuf);
		kfree(imp);
		return ret;
	}
	imp->attach = attach;
	if (r->flags) {
		ret = 0;
		if (r->flags & EDU_MIRROR_IMPORT_PIN) {
			dma_resv_lock(imp->dmabuf->resv, NULL);
			ret = dma_buf_pin(attach);
			if (!ret)
				dma_buf_unpin(attach);
			dma_resv_unlock(imp->dmabuf->resv);
		}
		import_free(imp);
		return ret;
	}
	imp->fence_context = dma_fence_context_alloc(1);
	mf->import = imp;
	return 0;
}

/* The bus address of byte @off of the mapping. */
static dma_addr_t import_dma_addr(struct sg_table *sgt, u64 off)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (off < sg_dma_len(sg))
			return sg_dma_address(sg) + off;
		off -= sg_dma_len(sg);
	}
	return DMA_MAPPING_ERROR;
}

/* The mapping for the next DMA: again if the buffer moved. Resv held. */
static int import_map(struct edu_import *imp)
{
	struct sg_table *sgt;

	if (imp->sgt && imp->moved) {
		dma_buf_unmap_attachment(imp->attach, imp->sgt, DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
	}
	if (imp->sgt)
		return 0;
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	imp->sgt = sgt;
	imp->moved = false;
	imp->maps++;
	return 0;
}

/* The device copies between the buffer and the bounce, page by page. */
static int import_dma(struct mirror_dev *md, struct edu_import *imp,
		      u64 offset, u64 len, dma_addr_t bounce, bool write)
{
	u64 off;
	int ret = 0;

	for (off = 0; off < len && !ret; off += PAGE_SIZE) {
		dma_addr_t buf = import_dma_addr(imp->sgt, offset + off);

		if (buf == DMA_MAPPING_ERROR)
			return -EINVAL;
		if (write)
			ret = edu_copy(&md->edu, bounce + off, buf, PAGE_SIZE);
		else
			ret = edu_copy(&md->edu, buf, bounce + off, PAGE_SIZE);
	}
	return ret;
}

static int import_rw(struct mirror_file *mf, struct edu_mirror_import *r,
		     bool write)
{
	struct edu_import *imp = mf->import;
	struct mirror_dev *md = mf->md;
	struct device *dev = &md->edu.pdev->dev;
	struct dma_fence *fence, *stub;
	struct dma_resv *resv;
	dma_addr_t bounce;
	bool cookie;
	void *buf;
	u64 end;
	int ret;

	if (!imp)
		return -ENOENT;
	if (!r->len || r->len > IMPORT_MAX_LEN ||
	    !PAGE_ALIGNED(r->offset | r->len) ||
	    check_add_overflow(r->offset, r->len, &end) ||
	    end > imp->dmabuf->size)
		return -EINVAL;
	resv = imp->dmabuf->resv;
	buf = dma_alloc_coherent(dev, r->len, &bounce, GFP_KERNEL);
	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	if (!buf || !fence) {
		ret = -ENOMEM;
		goto free;
	}
	if (write && copy_from_user(buf, u64_to_user_ptr(r->ptr), r->len)) {
		ret = -EFAULT;
		goto free;
	}
	mutex_lock(&md->lock);
	mirror_detach(md);
	dma_resv_lock(resv, NULL);
	ret = import_map(imp);
	if (!ret)
		ret = dma_resv_reserve_fences(resv, 1);
	if (!ret) {
		/*
		 * From here the fence must signal without waiting for a
		 * fault or an allocation: the exporter's notifier waits for
		 * it.  The mapping exists already; the DMA only waits for edu.
		 */
		dma_fence_init(fence, &import_fence_ops, &import_fence_lock,
			       imp->fence_context, ++imp->fence_seqno);
		dma_resv_add_fence(resv, fence, DMA_RESV_USAGE_BOOKKEEP);
		cookie = dma_fence_begin_signalling();
		ret = import_dma(md, imp, r->offset, r->len, bounce, write);
		dma_fence_signal(fence);
		dma_fence_end_signalling(cookie);
		/*
		 * Signalled: leave the built-in stub in its place, so that no
		 * fence with this module's ops outlives the module in a
		 * buffer another process still holds.
		 */
		stub = dma_fence_get_stub();
		dma_resv_replace_fences(resv, imp->fence_context, stub,
					DMA_RESV_USAGE_BOOKKEEP);
		dma_fence_put(stub);
		dma_fence_put(fence);
		fence = NULL;
	}
	dma_resv_unlock(resv);
	mutex_unlock(&md->lock);
	if (!ret && !write &&
	    copy_to_user(u64_to_user_ptr(r->ptr), buf, r->len))
		ret = -EFAULT;
free:
	kfree(fence);
	if (buf)
		dma_free_coherent(dev, r->len, buf, bounce);
	return ret;
}

long mirror_dmabuf_ioctl(struct mirror_file *mf, unsigned int cmd_nr,
			 void __user *uarg)
{
	struct edu_mirror_export e;
	struct edu_mirror_import r;
	int ret;

	if (cmd_nr == EDU_MIRROR_EXPORT) {
		if (copy_from_user(&e, uarg, sizeof(e)))
			return -EFAULT;
		ret = mirror_export(&e);
		if (ret)
			return ret;
		if (copy_to_user(uarg, &e, sizeof(e)))
			return -EFAULT;
		return 0;
	}
	if (cmd_nr == EDU_MIRROR_IMPORT_DETACH) {
		mutex_lock(&mf->lock);
		ret = mf->import ? 0 : -ENOENT;
		if (mf->import)
			import_free(mf->import);
		mf->import = NULL;
		mutex_unlock(&mf->lock);
		return ret;
	}
	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	mutex_lock(&mf->lock);
	switch (cmd_nr) {
	case EDU_MIRROR_IMPORT:
		ret = import_attach(mf, &r);
		break;
	case EDU_MIRROR_IMPORT_READ:
	case EDU_MIRROR_IMPORT_WRITE:
		ret = import_rw(mf, &r, cmd_nr == EDU_MIRROR_IMPORT_WRITE);
		break;
	default:
		ret = -ENOTTY;
	}
	if (mf->import) {
		/* move_notify counts under the resv lock: a snapshot */
		r.maps = mf->import->maps;
		r.moves = READ_ONCE(mf->import->moves);
	}
	mutex_unlock(&mf->lock);
	/* The counts are news on failure too. */
	if (copy_to_user(uarg, &r, sizeof(r)))
		return -EFAULT;
	return ret;
}

void mirror_dmabuf_release(struct mirror_file *mf)
{
	if (mf->import)
		import_free(mf->import);
	mf->import = NULL;
}

MODULE_IMPORT_NS(DMA_BUF);
