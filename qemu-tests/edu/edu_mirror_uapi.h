/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gpt_edu_mirror's own requests, next to the test_hmm ones it implements:
 * a memory copy done entirely by the device (both ends are the process's
 * virtual addresses, both reached by DMA through the iommu mirror), the
 * mirror's counters, and a fault without data movement.  The make-run demo
 * and make bench use them.
 */
#ifndef _EDU_MIRROR_UAPI_H
#define _EDU_MIRROR_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct edu_mirror_copy - copy @len bytes from @src to @dst by DMA
 * @src: source, a user address of the file's process
 * @dst: destination, ditto; must not overlap the source
 * @len: bytes; @src, @dst and @len page aligned
 * @copied: out: bytes the device copied before it stopped (all of them
 *	when the request succeeds)
 * @faults: out: fault passes the mirror needed
 */
struct edu_mirror_copy {
	__u64 src;
	__u64 dst;
	__u64 len;
	__u64 copied;
	__u64 faults;
};

/**
 * struct edu_mirror_stats - the file's mirror, as iommu_mirror_get_stats()
 * @faults: fault passes so far
 * @invalidations: notifier calls that changed the domain
 * @flushes: IOTLB flushes caused by the mirror's directory calls
 * @mapped: 4 KiB pages mapped now
 * @huge: 2 MiB pieces among them mapped from one huge CPU page
 */
struct edu_mirror_stats {
	__u64 faults;
	__u64 invalidations;
	__u64 flushes;
	__u64 mapped;
	__u64 huge;
};

/**
 * struct edu_mirror_fault - make a range reachable by the device, move nothing
 * @addr: first byte, a user address of the file's process, page aligned
 * @len: bytes, page aligned, not zero
 * @flags: EDU_MIRROR_FAULT_WRITE to make it writable by the device
 * @faults: out: fault passes the mirror needed (0: all of it was mapped)
 *
 * The same access a READ or WRITE starts with, without the DMA: it tells
 * what a device access would have had to fault, at no edu transfer cost.
 */
struct edu_mirror_fault {
	__u64 addr;
	__u64 len;
	__u64 flags;
	__u64 faults;
};

#define EDU_MIRROR_FAULT_WRITE	0x1

/**
 * struct edu_mirror_export - a range of the caller's memory as a dma-buf
 * @addr: first byte, page aligned
 * @len: bytes, page aligned, not zero, at most 1 GiB, all inside mappings
 * @fd: out: the dma-buf's file descriptor (close-on-exec)
 * @__pad: zero
 *
 * The dma-buf is a live, unpinned view of what the process maps there
 * (iommu_mirror_dmabuf_export()).
 */
struct edu_mirror_export {
	__u64 addr;
	__u64 len;
	__s32 fd;
	__u32 __pad;
};

/**
 * struct edu_mirror_import - this file's device as a dma-buf importer
 * @fd: EDU_MIRROR_IMPORT: the dma-buf to attach to
 * @flags: EDU_MIRROR_IMPORT: EDU_MIRROR_IMPORT_STATIC attaches as a static
 *	importer, EDU_MIRROR_IMPORT_PIN tries to pin a dynamic attachment;
 *	both only to see the exporter refuse, and detach at once
 * @offset: READ/WRITE: first byte in the buffer, page aligned
 * @len: READ/WRITE: bytes, page aligned, at most 64 KiB
 * @ptr: READ/WRITE: user buffer the bytes come from or go to (the CPU
 *	copies that leg, through a DMA-API bounce buffer)
 * @maps: out: the attachment's maps so far (one more after each move)
 * @moves: out: move_notify calls the attachment received so far
 */
struct edu_mirror_import {
	__s32 fd;
	__u32 flags;
	__u64 offset;
	__u64 len;
	__u64 ptr;
	__u64 maps;
	__u64 moves;
};

#define EDU_MIRROR_IMPORT_STATIC	0x1
#define EDU_MIRROR_IMPORT_PIN		0x2

/* 'H' is test_hmm's; its requests are 0x00-0x07. */
#define EDU_MIRROR_COPY		_IOWR('H', 0x40, struct edu_mirror_copy)
#define EDU_MIRROR_STATS	_IOR('H', 0x41, struct edu_mirror_stats)
#define EDU_MIRROR_FAULT	_IOWR('H', 0x42, struct edu_mirror_fault)
#define EDU_MIRROR_EXPORT	_IOWR('H', 0x43, struct edu_mirror_export)
/* The device attaches to a dma-buf, reads it into ptr, writes ptr into it. */
#define EDU_MIRROR_IMPORT	_IOWR('H', 0x44, struct edu_mirror_import)
#define EDU_MIRROR_IMPORT_READ	_IOWR('H', 0x45, struct edu_mirror_import)
#define EDU_MIRROR_IMPORT_WRITE	_IOWR('H', 0x46, struct edu_mirror_import)
#define EDU_MIRROR_IMPORT_DETACH _IO('H', 0x47)

#endif /* _EDU_MIRROR_UAPI_H */
