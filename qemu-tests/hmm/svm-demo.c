// SPDX-License-Identifier: GPL-2.0
/*
 * svm-demo: shared virtual memory with a plain DMA engine.  The program
 * mallocs buffers and asks QEMU's edu device (gpt_edu_mirror) to copy
 * between two of its virtual addresses: edu reads and writes the process's
 * memory by DMA at those addresses, through the iommu mirror, with no
 * pinning and no CPU copy.  Then the process changes its address space
 * (munmap, mprotect, fork) and the device follows.
 *
 * Every line it prints starts with "demo: "; the last one is the verdict.
 * Exit status 0 when every check held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edu_mirror_uapi.h"

#define MiB		0x100000UL
#define SIZE		(4 * MiB)

static int fd, checks, failed;

static void check(int ok, const char *what)
{
	checks++;
	if (!ok) {
		failed++;
		printf("demo:   FAILED: %s\n", what);
	}
}

static void stats(struct edu_mirror_stats *s)
{
	if (ioctl(fd, EDU_MIRROR_STATS, s))
		memset(s, 0, sizeof(*s));
}

/* The device copies @len bytes from @src to @dst: 0 or -errno. */
static int dev_copy(void *dst, void *src, unsigned long len,
		    struct edu_mirror_copy *c, double *secs)
{
	struct timespec t0, t1;
	int ret;

	*c = (struct edu_mirror_copy) {
		.src = (uintptr_t)src, .dst = (uintptr_t)dst, .len = len,
	};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = ioctl(fd, EDU_MIRROR_COPY, c) ? -errno : 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return ret;
}

/* 2 MiB-aligned anonymous memory, transparent huge pages asked for. */
static void *alloc_huge(unsigned long size)
{
	char *p = mmap(NULL, size + 2 * MiB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + 2 * MiB - 1) & ~(2 * MiB - 1));
	madvise(a, size, MADV_HUGEPAGE);
	return a;
}

static void fill(unsigned char *p, unsigned long len, unsigned int seed)
{
	unsigned long i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + seed + (i >> 12));
}

static int same(const unsigned char *p, unsigned long len, unsigned int seed)
{
	unsigned long i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(i * 7 + seed + (i >> 12)))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/hmm_dmirror0";
	struct edu_mirror_stats s0, s1;
	struct edu_mirror_copy c;
	unsigned char *src, *dst, *small;
	int ret, status, go[2];
	double secs;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(dev, O_RDWR);
	if (fd < 0) {
		printf("demo: cannot open %s: %s\nverdict: FAIL\n", dev, strerror(errno));
		return 1;
	}
	printf("demo: %s: edu DMA into this process at its own virtual addresses\n", dev);

	/* 1. memcpy offload between two malloc'ed (THP) buffers. */
	src = alloc_huge(SIZE);
	dst = alloc_huge(SIZE);
	if (!src || !dst) {
		printf("demo: out of memory\nverdict: FAIL\n");
		return 1;
	}
	fill(src, SIZE, 1);
	memset(dst, 0, SIZE);
	stats(&s0);
	ret = dev_copy(dst, src, SIZE, &c, &secs);
	stats(&s1);
	printf("demo: copy 4 MiB %p -> %p by DMA: %s, %llu bytes in %.0f s of guest time %s\n",
	       (void *)src, (void *)dst, ret ? strerror(-ret) : "ok",
	       (unsigned long long)c.copied, secs, "(edu: 100 ms per transfer)");
	fprintf(stdout,
		"demo:   mirror: %llu fault passes, %llu pages mapped, %llu of them in 2 MiB IOMMU pages (%llu huge)\n",
		(unsigned long long)(s1.faults - s0.faults),
		(unsigned long long)s1.mapped,
		(unsigned long long)s1.huge * 512, (unsigned long long)s1.huge);
	check(!ret && c.copied == SIZE, "the copy completed");
	check(same(dst, SIZE, 1), "the CPU reads the copied bytes in the destination");
	printf("demo:   verified %lu bytes in the destination with the CPU\n", SIZE);

	/* 2. Again, after the CPU rewrote the source: no stale page. */
	fill(src, SIZE, 2);
	ret = dev_copy(dst, src, SIZE, &c, &secs);
	check(!ret && same(dst, SIZE, 2), "a second copy sees the CPU's new data");
	printf("demo: CPU rewrites the source, device copies again: %s\n",
	       !ret && same(dst, SIZE, 2) ? "new bytes arrived" : "WRONG");

	/* 3. munmap half of the destination: the device is refused. */
	stats(&s0);
	munmap(dst + SIZE / 2, SIZE / 2);
	stats(&s1);
	ret = dev_copy(dst, src, SIZE, &c, &secs);
	fprintf(stdout,
		"demo: munmap half of the destination (%llu invalidation, %llu pages left mapped); copy: %s, %llu bytes moved\n",
		(unsigned long long)(s1.invalidations - s0.invalidations),
		(unsigned long long)s1.mapped, ret ? strerror(-ret) : "ok",
		(unsigned long long)c.copied);
	check(ret == -EFAULT && !c.copied, "a copy into unmapped memory is refused");

	/* 4. mprotect the destination read-only: writes refused, reads go on. */
	small = dst;
	fill(small, SIZE / 2, 3);
	mprotect(small, SIZE / 2, PROT_READ);
	ret = dev_copy(small, src, SIZE / 2, &c, &secs);
	printf("demo: mprotect(PROT_READ) the destination; copy into it: %s, %llu bytes moved\n",
	       ret ? strerror(-ret) : "ok", (unsigned long long)c.copied);
	check(ret == -EPERM && same(small, SIZE / 2, 3),
	      "a copy into read-only memory is refused and changes nothing");
	ret = dev_copy(src, small, SIZE / 2, &c, &secs);
	printf("demo:   copy out of it: %s, %llu bytes\n",
	       ret ? strerror(-ret) : "ok", (unsigned long long)c.copied);
	check(!ret && same(src, SIZE / 2, 3), "a copy out of read-only memory works");
	mprotect(small, SIZE / 2, PROT_READ | PROT_WRITE);

	/* 5. fork: copy-on-write; the device follows the parent's pages. */
	fill(src, SIZE, 4);
	dev_copy(dst, src, SIZE / 2, &c, &secs);
	stats(&s0);
	if (pipe(go))
		return 1;
	pid = fork();
	if (!pid) {
		char x;

		if (read(go[0], &x, 1) != 1)
			_exit(2);
		/* The parent's device wrote after the fork: not into us. */
		_exit(same(dst, SIZE / 2, 4) && same(src, SIZE / 2, 4) ? 0 : 1);
	}
	fill(src, SIZE / 2, 5);
	ret = dev_copy(dst, src, SIZE / 2, &c, &secs);
	stats(&s1);
	if (write(go[1], "x", 1) != 1 || waitpid(pid, &status, 0) != pid)
		status = -1;
	fprintf(stdout,
		"demo: fork; parent writes its source (COW), device copies: %s; parent sees new bytes: %s; child still sees its own: %s\n",
		ret ? strerror(-ret) : "ok", same(dst, SIZE / 2, 5) ? "yes" : "NO",
		WIFEXITED(status) && !WEXITSTATUS(status) ? "yes" : "NO");
	fprintf(stdout,
		"demo:   %llu invalidations (fork write-protected in place, COW moved pages), %llu fault passes\ndemo:   (a pass per transfer that found its pages unmapped since the copy began: the mm rearranged the copied-on-write pages under the 100 s copy)\n",
		(unsigned long long)(s1.invalidations - s0.invalidations),
		(unsigned long long)(s1.faults - s0.faults));
	check(!ret && same(dst, SIZE / 2, 5), "after fork the device follows the parent's pages");
	check(WIFEXITED(status) && !WEXITSTATUS(status),
	      "the child's copy-on-write pages never see the parent's DMA");

	printf("demo: %d checks, %d failed\n", checks, failed);
	printf("verdict: %s\n", failed ? "FAIL" : "PASS");
	close(fd);
	return failed ? 1 : 0;
}
