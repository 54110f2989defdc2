/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpt_edu_mirror's pieces shared between its files: the device and open
 * file, and the dma-buf exporter and importer requests (edu_mirror_dmabuf.c).
 */
#ifndef _EDU_MIRROR_H
#define _EDU_MIRROR_H

#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include "edu-dma.h"

/* The largest transfer edu takes from the start of its buffer, 64-byte units. */
#define EDU_MIRROR_XFER		4032

struct mirror_dev {
	struct edu_dev edu;
	struct miscdevice misc;
	char name[24];
	int index;
	/* one command at a time; guards @attached */
	struct mutex lock;
	/* the mirror domain the device is attached to; NULL: its DMA domain */
	struct iommu_domain *attached;
};

struct edu_import;

struct mirror_file {
	/*
	 * One command of this file at a time: they share the bounce
	 * buffer's IOVA range in the file's domain, and @import.
	 */
	struct mutex lock;
	struct mirror_dev *md;
	struct iommu_domain *domain;
	struct iommu_mirror *mirror;
	/* the dma-buf this file's device imported, if any */
	struct edu_import *import;
};

void mirror_detach(struct mirror_dev *md);
int edu_copy(struct edu_dev *edu, u64 src, u64 dst, unsigned long len);

long mirror_dmabuf_ioctl(struct mirror_file *mf, unsigned int cmd_nr,
			 void __user *uarg);
void mirror_dmabuf_release(struct mirror_file *mf);

#endif /* _EDU_MIRROR_H */
