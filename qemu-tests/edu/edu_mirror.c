// SPDX-License-Identifier: GPL-2.0
/*
 * gpt_edu_mirror - QEMU's edu device as a device that shares process
 * address spaces through the iommu mirror, behind the test_hmm uAPI.
 *
 * Each edu gets /dev/hmm_dmirrorN with the ioctls of lib/test_hmm_uapi.h,
 * so that the upstream hmm-tests drive it.  The difference from test_hmm
 * is where the bytes go: test_hmm's "device" is an xarray the CPU copies
 * through, here every byte read from or written to process memory at
 * cmd.addr is moved by edu DMA through the IOMMU at the process's own
 * virtual address, inside iommu_mirror_access_begin()/_end().
 *
 * Why it looks the way it does:
 *  - One mirror and one paging domain per open file, bound to the opener's
 *    mm; the device is attached to the domain of the file whose command
 *    runs (commands on one device take turns).
 *  - edu copies only between its 4 KiB internal buffer and a bus address,
 *    so a command needs a second leg: the other end is a bounce buffer the
 *    driver maps at IOVA 2^47, above every user address (the mirror never
 *    maps there), and copies to or from cmd.ptr with the CPU, outside the
 *    access, as test_hmm copies from its mirror.
 *  - A transfer moves at most EDU_MIRROR_XFER bytes (edu aborts QEMU on a
 *    transfer reaching the end of its buffer) and takes 100 ms of guest
 *    time: 4 MiB cost about 100 s of guest time per leg.
 *  - EDU_MIRROR_COPY is a memcpy offload with no CPU copy at all: both
 *    legs of every edu transfer are the process's virtual addresses.
 *  - Migration to device memory and exclusive access need device memory,
 *    which edu has not: those ioctls return -EOPNOTSUPP.
 */
#include <linux/hmm.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/iommu-mirror.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "test_hmm_uapi.h"
#include "edu_mirror_uapi.h"
#include "edu-dma.h"
#include "edu_mirror.h"

#define BOUNCE_IOVA		BIT_ULL(47)
/*
 * Pages per access: how long an invalidation of the range may have to
 * wait for the device (17 transfers, 1.7 s of guest time on edu).
 */
#define ACCESS_PAGES		16
/* Per command; hmm-tests moves at most 4 MiB. */
#define MAX_NPAGES		(SZ_64M >> PAGE_SHIFT)

static DEFINE_IDA(mirror_ida);

/* Back to the default DMA domain, for the DMA API; md->lock held. */
void mirror_detach(struct mirror_dev *md)
{
	if (md->attached)
		iommu_detach_device(md->attached, &md->edu.pdev->dev);
	md->attached = NULL;
}

/* Called with md->lock held. */
static int mirror_attach(struct mirror_dev *md, struct iommu_domain *domain)
{
	struct device *dev = &md->edu.pdev->dev;
	int ret;

	if (md->attached == domain)
		return 0;
	mirror_detach(md);
	ret = iommu_attach_device(domain, dev);
	if (!ret)
		md->attached = domain;
	return ret;
}

static int mirror_open(struct inode *inode, struct file *file)
{
	struct mirror_dev *md = container_of(file->private_data,
					     struct mirror_dev, misc);
	struct device *dev = &md->edu.pdev->dev;
	struct mirror_file *mf;
	int ret;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mutex_init(&mf->lock);
	mf->md = md;
	mf->domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(mf->domain)) {
		ret = PTR_ERR(mf->domain);
		goto free;
	}
	/* Attached before anything is mapped: VT-d fixes its levels then. */
	mutex_lock(&md->lock);
	ret = mirror_attach(md, mf->domain);
	mutex_unlock(&md->lock);
	if (ret)
		goto free_domain;
	mf->mirror = iommu_mirror_bind(current->mm, mf->domain, dev);
	if (IS_ERR(mf->mirror)) {
		ret = PTR_ERR(mf->mirror);
		goto detach;
	}
	file->private_data = mf;
	return 0;

detach:
	mutex_lock(&md->lock);
	if (md->attached == mf->domain) {
		iommu_detach_device(mf->domain, dev);
		md->attached = NULL;
	}
	mutex_unlock(&md->lock);
free_domain:
	iommu_domain_free(mf->domain);
free:
	kfree(mf);
	return ret;
}

static int mirror_release(struct inode *inode, struct file *file)
{
	struct mirror_file *mf = file->private_data;
	struct mirror_dev *md = mf->md;

	mirror_dmabuf_release(mf);
	iommu_mirror_unbind(mf->mirror);
	mutex_lock(&md->lock);
	if (md->attached == mf->domain) {
		iommu_detach_device(mf->domain, &md->edu.pdev->dev);
		md->attached = NULL;
	}
	mutex_unlock(&md->lock);
	iommu_domain_free(mf->domain);
	kfree(mf);
	return 0;
}

/* The bounce buffer of one command, mapped at BOUNCE_IOVA. */
struct bounce {
	void *buf;
	unsigned long size;
};

static int bounce_map(struct mirror_file *mf, struct bounce *b,
		      unsigned long size)
{
	unsigned long off;
	int ret;

	b->size = size;
	b->buf = vzalloc(size);
	if (!b->buf)
		return -ENOMEM;
	for (off = 0; off < size; off += PAGE_SIZE) {
		ret = iommu_map(mf->domain, BOUNCE_IOVA + off,
				page_to_phys(vmalloc_to_page(b->buf + off)),
				PAGE_SIZE, IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
		if (ret) {
			if (off)
				iommu_unmap(mf->domain, BOUNCE_IOVA, off);
			vfree(b->buf);
			return ret;
		}
	}
	return 0;
}

static void bounce_unmap(struct mirror_file *mf, struct bounce *b)
{
	iommu_unmap(mf->domain, BOUNCE_IOVA, b->size);
	vfree(b->buf);
}

/* edu moves @len bytes from bus address @src to @dst, through its buffer. */
int edu_copy(struct edu_dev *edu, u64 src, u64 dst, unsigned long len)
{
	unsigned long off, n;
	int ret;

	for (off = 0; off < len; off += n) {
		n = min_t(unsigned long, len - off, EDU_MIRROR_XFER);
		ret = edu_dma(edu, src + off, EDU_BUF, n, false);
		if (!ret)
			ret = edu_dma(edu, EDU_BUF, dst + off, n, true);
		if (ret)
			return ret;
	}
	return 0;
}

/* [addr, addr + len) is page aligned, not empty, within a command's size. */
static bool user_range_ok(u64 addr, u64 len)
{
	u64 end;

	return len && len <= (MAX_NPAGES << PAGE_SHIFT) &&
	       PAGE_ALIGNED(addr | len) && !check_add_overflow(addr, len, &end);
}

static int mirror_check_cmd(const struct hmm_dmirror_cmd *cmd)
{
	if (cmd->npages > MAX_NPAGES ||
	    !user_range_ok(cmd->addr, cmd->npages << PAGE_SHIFT))
		return -EINVAL;
	return 0;
}

/*
 * The device reads [addr, +npages) by DMA into the bounce buffer, which
 * the CPU then copies to ptr; or the CPU fills the bounce buffer from ptr
 * and the device writes it to [addr, +npages).
 *
 * One access over the whole range first makes it all reachable and counts
 * the fault passes as test_hmm does (one for a range the device never
 * touched).  The DMA then runs in windows of ACCESS_PAGES, each inside an
 * access of its own, so that an invalidation waits for one window's DMA,
 * not for a 4 MiB command (minutes of guest time on edu); a window whose
 * pages went meanwhile is faulted again, and a window that is gone for
 * good fails the command.  Each page is moved inside one access: a read
 * never returns a page torn between two mappings.
 */
static int mirror_rw(struct mirror_file *mf, struct hmm_dmirror_cmd *cmd,
		     bool write)
{
	unsigned long size = cmd->npages << PAGE_SHIFT, faults = 0, more;
	unsigned int flags = write ? IOMMU_MIRROR_WRITE : 0;
	struct mirror_dev *md = mf->md;
	unsigned long off, win;
	struct bounce b;
	int ret = mirror_check_cmd(cmd);

	if (ret)
		return ret;
	ret = bounce_map(mf, &b, size);
	if (ret)
		return ret;
	if (write && copy_from_user(b.buf, u64_to_user_ptr(cmd->ptr), size)) {
		ret = -EFAULT;
		goto out;
	}
	mutex_lock(&md->lock);
	ret = mirror_attach(md, mf->domain);
	if (!ret)
		ret = iommu_mirror_access_begin(mf->mirror, cmd->addr, size,
						flags, &faults);
	if (!ret)
		iommu_mirror_access_end(mf->mirror);
	for (off = 0; !ret && off < size; off += win) {
		win = min_t(unsigned long, size - off, ACCESS_PAGES << PAGE_SHIFT);
		ret = iommu_mirror_access_begin(mf->mirror, cmd->addr + off,
						win, flags, &more);
		if (ret)
			break;
		faults += more;
		if (write)
			ret = edu_copy(&md->edu, BOUNCE_IOVA + off,
				       cmd->addr + off, win);
		else
			ret = edu_copy(&md->edu, cmd->addr + off,
				       BOUNCE_IOVA + off, win);
		iommu_mirror_access_end(mf->mirror);
	}
	mutex_unlock(&md->lock);
	if (!ret && !write &&
	    copy_to_user(u64_to_user_ptr(cmd->ptr), b.buf, size))
		ret = -EFAULT;
	cmd->faults = faults;
	cmd->cpages = ret ? 0 : cmd->npages;
out:
	bounce_unmap(mf, &b);
	return ret;
}

/* Pages [start, end) of the file's process, for one access. */
static int mirror_access_bytes(struct mirror_file *mf, u64 va, u64 len,
			       bool write, unsigned long *faults)
{
	u64 start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN(va + len, PAGE_SIZE);
	unsigned long f = 0;
	int ret;

	ret = iommu_mirror_access_begin(mf->mirror, start, end - start,
					write ? IOMMU_MIRROR_WRITE : 0, &f);
	*faults += f;
	return ret;
}

/*
 * edu copies c->len bytes from c->src to c->dst, both user addresses of
 * the file's process.  Both ranges are faulted in first (huge IOMMU pages
 * where the CPU has huge pages); then each transfer reads its source
 * under an access of the source pages and writes its destination under an
 * access of the destination pages, so an invalidation of either waits for
 * the DMA that uses it, and whatever was invalidated meanwhile is faulted
 * again.
 */
static int mirror_copy(struct mirror_file *mf, struct edu_mirror_copy *c)
{
	struct mirror_dev *md = mf->md;
	unsigned long faults = 0, n;
	u64 off;
	int ret;

	if (!user_range_ok(c->src, c->len) || !user_range_ok(c->dst, c->len) ||
	    (c->src < c->dst + c->len && c->dst < c->src + c->len))
		return -EINVAL;
	c->copied = 0;
	ret = iommu_mirror_fault(mf->mirror, c->src, c->len, 0);
	if (!ret)
		ret = iommu_mirror_fault(mf->mirror, c->dst, c->len,
					 IOMMU_MIRROR_WRITE);
	if (ret)
		return ret;
	/* Each of the two faults above is one pass over its range. */
	faults = 2;
	mutex_lock(&md->lock);
	ret = mirror_attach(md, mf->domain);
	for (off = 0; !ret && off < c->len; off += n) {
		n = min_t(u64, c->len - off, EDU_MIRROR_XFER);
		ret = mirror_access_bytes(mf, c->src + off, n, false, &faults);
		if (ret)
			break;
		ret = edu_dma(&md->edu, c->src + off, EDU_BUF, n, false);
		iommu_mirror_access_end(mf->mirror);
		if (ret)
			break;
		ret = mirror_access_bytes(mf, c->dst + off, n, true, &faults);
		if (ret)
			break;
		ret = edu_dma(&md->edu, EDU_BUF, c->dst + off, n, true);
		iommu_mirror_access_end(mf->mirror);
		if (!ret)
			c->copied += n;
	}
	mutex_unlock(&md->lock);
	c->faults = faults;
	return ret;
}

/* One access over the range, with no DMA in it: what a READ would fault. */
static int mirror_fault_only(struct mirror_file *mf, struct edu_mirror_fault *f)
{
	unsigned long faults = 0;
	int ret;

	if (!user_range_ok(f->addr, f->len) ||
	    (f->flags & ~(u64)EDU_MIRROR_FAULT_WRITE))
		return -EINVAL;
	ret = iommu_mirror_access_begin(mf->mirror, f->addr, f->len,
					f->flags & EDU_MIRROR_FAULT_WRITE ?
					IOMMU_MIRROR_WRITE : 0, &faults);
	if (ret)
		return ret;
	iommu_mirror_access_end(mf->mirror);
	f->faults = faults;
	return 0;
}

static long mirror_edu_ioctl(struct mirror_file *mf, unsigned int cmd_nr,
			     void __user *uarg)
{
	struct iommu_mirror_stats s;
	struct edu_mirror_stats us;
	struct edu_mirror_fault f;
	struct edu_mirror_copy c;
	int ret;

	switch (cmd_nr) {
	case EDU_MIRROR_COPY:
		if (copy_from_user(&c, uarg, sizeof(c)))
			return -EFAULT;
		mutex_lock(&mf->lock);
		ret = mirror_copy(mf, &c);
		mutex_unlock(&mf->lock);
		/* How far it got is news on failure too. */
		if (copy_to_user(uarg, &c, sizeof(c)))
			return -EFAULT;
		return ret;
	case EDU_MIRROR_STATS:
		iommu_mirror_get_stats(mf->mirror, &s);
		us = (struct edu_mirror_stats) {
			.faults = s.faults,
			.invalidations = s.invalidations,
			.flushes = s.flushes,
			.mapped = s.mapped,
			.huge = s.huge,
		};
		return copy_to_user(uarg, &us, sizeof(us)) ? -EFAULT : 0;
	case EDU_MIRROR_FAULT:
		if (copy_from_user(&f, uarg, sizeof(f)))
			return -EFAULT;
		ret = mirror_fault_only(mf, &f);
		if (ret)
			return ret;
		return copy_to_user(uarg, &f, sizeof(f)) ? -EFAULT : 0;
	}
	return -ENOTTY;
}

/* test_hmm's byte per page from what the CPU maps. */
static u8 snapshot_entry(unsigned long pfn)
{
	u8 v;

	if (pfn & HMM_PFN_ERROR)
		return HMM_DMIRROR_PROT_ERROR;
	if (!(pfn & HMM_PFN_VALID))
		return HMM_DMIRROR_PROT_NONE;
	v = pfn & HMM_PFN_WRITE ? HMM_DMIRROR_PROT_WRITE : HMM_DMIRROR_PROT_READ;
	if (is_zero_pfn(pfn & ~HMM_PFN_FLAGS))
		v |= HMM_DMIRROR_PROT_ZERO;
	if (hmm_pfn_to_map_order(pfn) + PAGE_SHIFT == PMD_SHIFT)
		v |= HMM_DMIRROR_PROT_PMD;
	else if (hmm_pfn_to_map_order(pfn) + PAGE_SHIFT == PUD_SHIFT)
		v |= HMM_DMIRROR_PROT_PUD;
	return v;
}

static int mirror_snapshot(struct mirror_file *mf, struct hmm_dmirror_cmd *cmd)
{
	unsigned long *pfns, i;
	u8 *perm;
	int ret = mirror_check_cmd(cmd);

	if (ret)
		return ret;
	pfns = kvcalloc(cmd->npages, sizeof(*pfns), GFP_KERNEL);
	perm = kvmalloc(cmd->npages, GFP_KERNEL);
	ret = pfns && perm ? 0 : -ENOMEM;
	if (!ret)
		ret = iommu_mirror_snapshot(mf->mirror, cmd->addr, cmd->npages, pfns);
	if (!ret) {
		for (i = 0; i < cmd->npages; i++)
			perm[i] = snapshot_entry(pfns[i]);
		if (copy_to_user(u64_to_user_ptr(cmd->ptr), perm, cmd->npages))
			ret = -EFAULT;
	}
	cmd->cpages = ret ? 0 : cmd->npages;
	kvfree(perm);
	kvfree(pfns);
	return ret;
}

static long mirror_ioctl(struct file *file, unsigned int cmd_nr,
			 unsigned long arg)
{
	struct mirror_file *mf = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct hmm_dmirror_cmd cmd;
	int ret;

	if (cmd_nr == EDU_MIRROR_COPY || cmd_nr == EDU_MIRROR_STATS ||
	    cmd_nr == EDU_MIRROR_FAULT)
		return mirror_edu_ioctl(mf, cmd_nr, uarg);
	if (cmd_nr == EDU_MIRROR_EXPORT || cmd_nr == EDU_MIRROR_IMPORT ||
	    cmd_nr == EDU_MIRROR_IMPORT_READ || cmd_nr == EDU_MIRROR_IMPORT_WRITE ||
	    cmd_nr == EDU_MIRROR_IMPORT_DETACH)
		return mirror_dmabuf_ioctl(mf, cmd_nr, uarg);
	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	cmd.cpages = 0;
	cmd.faults = 0;
	switch (cmd_nr) {
	case HMM_DMIRROR_READ:
	case HMM_DMIRROR_WRITE:
		mutex_lock(&mf->lock);
		ret = mirror_rw(mf, &cmd, cmd_nr == HMM_DMIRROR_WRITE);
		mutex_unlock(&mf->lock);
		break;
	case HMM_DMIRROR_SNAPSHOT:
		ret = mirror_snapshot(mf, &cmd);
		break;
	case HMM_DMIRROR_MIGRATE_TO_DEV:
	case HMM_DMIRROR_MIGRATE_TO_SYS:
	case HMM_DMIRROR_EXCLUSIVE:
	case HMM_DMIRROR_CHECK_EXCLUSIVE:
	case HMM_DMIRROR_RELEASE:
		/* These need device memory; edu has none. */
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	return copy_to_user(uarg, &cmd, sizeof(cmd)) ? -EFAULT : 0;
}

/* As test_hmm: zeroed pages inserted into the mapping (VM_MIXEDMAP). */
static int mirror_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long addr;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		int ret;

		if (!page)
			return -ENOMEM;
		ret = vm_insert_page(vma, addr, page);
		/* The mapping holds its own reference now. */
		put_page(page);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct file_operations mirror_fops = {
	.owner		= THIS_MODULE,
	.open		= mirror_open,
	.release	= mirror_release,
	.unlocked_ioctl	= mirror_ioctl,
	.mmap		= mirror_mmap,
	.llseek		= default_llseek,
};

static int mirror_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct mirror_dev *md;
	int ret;

	md = devm_kzalloc(&pdev->dev, sizeof(*md), GFP_KERNEL);
	if (!md)
		return -ENOMEM;
	mutex_init(&md->lock);
	ret = edu_open(&md->edu, pdev);
	if (ret)
		return ret;
	md->index = ida_alloc(&mirror_ida, GFP_KERNEL);
	if (md->index < 0) {
		ret = md->index;
		goto close;
	}
	snprintf(md->name, sizeof(md->name), "hmm_dmirror%d", md->index);
	md->misc.minor = MISC_DYNAMIC_MINOR;
	md->misc.name = md->name;
	md->misc.fops = &mirror_fops;
	md->misc.mode = 0666;
	ret = misc_register(&md->misc);
	if (ret)
		goto free_index;
	pci_set_drvdata(pdev, md);
	/* run-qemu.sh checks which IOMMU serves edu from this line. */
	edu_name_iommu(&md->edu);
	diag("iommu: %s (%s); /dev/%s: process memory by DMA through the iommu mirror",
	     md->edu.iommu_name, md->edu.iommu_kind, md->name);
	return 0;

free_index:
	ida_free(&mirror_ida, md->index);
close:
	pci_clear_master(pdev);
	edu_close(&md->edu);
	return ret;
}

static void mirror_remove(struct pci_dev *pdev)
{
	struct mirror_dev *md = pci_get_drvdata(pdev);

	/* No file is open: each holds a module reference. */
	misc_deregister(&md->misc);
	ida_free(&mirror_ida, md->index);
	pci_clear_master(pdev);
	edu_close(&md->edu);
}

static const struct pci_device_id mirror_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, mirror_ids);

static struct pci_driver mirror_driver = {
	.name			= "gpt_edu_mirror",
	.id_table		= mirror_ids,
	.probe			= mirror_probe,
	.remove			= mirror_remove,
	/* Every bus address edu uses is an IOVA of a mirror domain. */
	.driver_managed_dma	= true,
};
module_pci_driver(mirror_driver);

MODULE_DESCRIPTION("QEMU edu as a test_hmm-style device DMAing through the iommu mirror");
MODULE_LICENSE("GPL");
