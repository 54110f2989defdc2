// SPDX-License-Identifier: GPL-2.0
/*
 * mirror-fork-bench - how many pages a device must fault again to read a
 * mirrored buffer after its process forks.
 *
 * fork() write-protects the parent's private pages for copy-on-write and
 * tells mirrors so (MMU_NOTIFY_PROTECTION_PAGE).  The pages do not change:
 * a mirror that write-protects its entries in place keeps every read
 * mapping, one that drops the range makes the device fault all of it in
 * again.  This program mirrors a 64 MiB buffer (once with 4 KiB pages,
 * once with THP), forks, waits for the child, and then asks page by page
 * whether a device read needed a fault pass.
 *
 *   mirror-fork-bench edu       /dev/hmm_dmirror0 is gpt_edu_mirror: the
 *                               per-page probe is EDU_MIRROR_FAULT, the
 *                               access a READ starts with, without DMA
 *   mirror-fork-bench test_hmm  /dev/hmm_dmirror0 is lib/test_hmm.c: the
 *                               probe is a one-page HMM_DMIRROR_READ
 *
 * Both report faults > 0 for a page the device no longer had.  Output:
 * "# mbench: " lines; exit status 0 when every ioctl worked and the data
 * read back was right (the counts are figures, not verdicts, except for
 * edu, where the target is zero re-faults).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lib/test_hmm_uapi.h>
#include "edu_mirror_uapi.h"

#define BUF_SIZE	(64UL << 20)
#define HUGE_SIZE	(2UL << 20)

static long page_size;

/* Fault passes a device read of one page needs now, or -1. */
static long probe(int fd, int edu, char *addr, __u64 *scratch)
{
	struct edu_mirror_fault f = {
		.addr = (uintptr_t)addr, .len = page_size,
	};
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr, .ptr = (uintptr_t)scratch,
		.npages = 1,
	};

	if (edu)
		return ioctl(fd, EDU_MIRROR_FAULT, &f) ? -1 : (long)f.faults;
	if (ioctl(fd, HMM_DMIRROR_READ, &cmd))
		return -1;
	/* test_hmm's read copies the page out: check it. */
	if (scratch[0] != (uintptr_t)addr)
		return -1;
	return cmd.faults;
}

/* Mirror the whole buffer, as a first device read would. */
static int mirror_all(int fd, int edu, char *buf, __u64 *bounce)
{
	struct edu_mirror_fault f = {
		.addr = (uintptr_t)buf, .len = BUF_SIZE,
	};
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)buf, .ptr = (uintptr_t)bounce,
		.npages = BUF_SIZE / page_size,
	};

	if (edu)
		return ioctl(fd, EDU_MIRROR_FAULT, &f);
	return ioctl(fd, HMM_DMIRROR_READ, &cmd);
}

static int run(const char *kind, int edu, int thp)
{
	unsigned long npages = BUF_SIZE / page_size, i, refaulted = 0;
	char *raw, *buf;
	__u64 *bounce, scratch[512];
	int fd, status, ret = 1;
	pid_t pid;

	fd = open("/dev/hmm_dmirror0", O_RDWR);
	if (fd < 0) {
		perror("open /dev/hmm_dmirror0");
		return 1;
	}
	raw = mmap(NULL, BUF_SIZE + HUGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bounce = malloc(BUF_SIZE);
	if (raw == MAP_FAILED || !bounce) {
		perror("buffers");
		goto out;
	}
	buf = (char *)(((uintptr_t)raw + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	madvise(buf, BUF_SIZE, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	/* Each page holds its own address: a probe read checks it. */
	for (i = 0; i < npages; i++)
		*(__u64 *)(buf + i * page_size) = (uintptr_t)buf + i * page_size;
	if (mirror_all(fd, edu, buf, bounce)) {
		perror("mirror the buffer");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		goto out;
	}
	if (!pid)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		goto out;
	}
	for (i = 0; i < npages; i++) {
		long f = probe(fd, edu, buf + i * page_size, scratch);

		if (f < 0) {
			fprintf(stderr, "probe of page %lu failed: %s\n", i,
				strerror(errno));
			goto out;
		}
		refaulted += f > 0;
	}
	fprintf(stdout,
		"# mbench: fork, %lu MiB mirrored (%s pages), %s: pages the device re-faulted to read it after fork: %lu of %lu\n",
		BUF_SIZE >> 20, thp ? "THP" : "4 KiB", kind, refaulted, npages);
	if (edu)
		fprintf(stdout,
			"# mbench: target: re-faults for reads after fork (%s pages): %lu (target 0): %s\n",
			thp ? "THP" : "4 KiB", refaulted, refaulted ? "not met" : "met");
	ret = 0;
out:
	free(bounce);
	if (raw != MAP_FAILED)
		munmap(raw, BUF_SIZE + HUGE_SIZE);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	int edu, ret;

	if (argc != 2 || (strcmp(argv[1], "edu") && strcmp(argv[1], "test_hmm"))) {
		fprintf(stderr, "usage: %s edu|test_hmm\n", argv[0]);
		return 2;
	}
	page_size = sysconf(_SC_PAGESIZE);
	edu = !strcmp(argv[1], "edu");
	ret = run(edu ? "iommu mirror" : "test_hmm", edu, 0);
	ret |= run(edu ? "iommu mirror" : "test_hmm", edu, 1);
	return ret;
}
