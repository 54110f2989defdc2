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

#define EDU_MIRROR_FAULT_WRITE	(1 << 0)

/* 'H' is test_hmm's; its requests are 0x00-0x07. */
#define EDU_MIRROR_COPY		_IOWR('H', 0x40, struct edu_mirror_copy)
#define EDU_MIRROR_STATS	_IOR('H', 0x41, struct edu_mirror_stats)
#define EDU_MIRROR_FAULT	_IOWR('H', 0x42, struct edu_mirror_fault)

#endif /* _EDU_MIRROR_UAPI_H */
