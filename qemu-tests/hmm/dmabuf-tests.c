// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-tests: a range of this process's memory exported as a live,
 * unpinned dma-buf (iommu_mirror_dmabuf_export() through gpt_edu_mirror's
 * EDU_MIRROR_EXPORT), imported by an edu device acting as a plain dynamic
 * importer (EDU_MIRROR_IMPORT*: DMA API mapping, remap after move_notify).
 *
 * Every test checks by data what the importer read and what it wrote.
 * Each page holds one generation: every 8-byte word of page p of
 * generation g is word(g, p).  A stale page shows up as an old generation
 * read by the importer, or as an importer write the process never sees
 * (and, with page_poison=1, as "pagealloc: memory corruption" when the
 * freed page it landed in is allocated again).
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
/* edu takes 100 ms of guest time per transfer; the alarm counts guest time. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edu_mirror_uapi.h"
#include "guest-compat.h"

#define PAGE		4096UL
#define NPAGES		4UL
#define MAGIC		0x646d616275662e00ULL	/* "dmabuf." */

static __u64 word(unsigned int gen, unsigned long page)
{
	return MAGIC ^ ((__u64)gen << 32) ^ page;
}

static void fill(void *p, unsigned long first, unsigned long npages,
		 unsigned int gen)
{
	__u64 *w = p;
	unsigned long i;

	for (i = 0; i < npages * PAGE / 8; i++)
		w[i] = word(gen, first + i / (PAGE / 8));
}

/* The generation page @page (numbered @first + k in the buffer) holds, or -1. */
static long gen_of(const void *p, unsigned long k, unsigned long page)
{
	const __u64 *w = (const __u64 *)((const char *)p + k * PAGE);
	__u64 g = (w[0] ^ MAGIC ^ page) >> 32;
	unsigned long i;

	for (i = 0; i < PAGE / 8; i++)
		if (w[i] != word(g, page))
			return -1;
	return g;
}

static int export(int fd, void *addr, unsigned long len, int *dbuf)
{
	struct edu_mirror_export e = { .addr = (uintptr_t)addr, .len = len };

	if (ioctl(fd, EDU_MIRROR_EXPORT, &e))
		return -errno;
	*dbuf = e.fd;
	return 0;
}

static int attach(int fd, int dbuf, unsigned int flags)
{
	struct edu_mirror_import r = { .fd = dbuf, .flags = flags };

	return ioctl(fd, EDU_MIRROR_IMPORT, &r) ? -errno : 0;
}

/* The importer's DMA of pages [first, first + n) to or from @data. */
static int dev_rw(int fd, bool write, unsigned long first, unsigned long n,
		  void *data, struct edu_mirror_import *out)
{
	struct edu_mirror_import r = {
		.offset = first * PAGE, .len = n * PAGE, .ptr = (uintptr_t)data,
	};
	int ret = ioctl(fd, write ? EDU_MIRROR_IMPORT_WRITE : EDU_MIRROR_IMPORT_READ,
			&r) ? -errno : 0;

	if (out)
		*out = r;
	return ret;
}

FIXTURE(dmabuf)
{
	int exp;	/* /dev/hmm_dmirror0: the exporting process's file */
	int imp;	/* /dev/hmm_dmirror1: the importing device */
	char *buf;
	char data[NPAGES * PAGE];
};

FIXTURE_SETUP(dmabuf)
{
	self->exp = open("/dev/hmm_dmirror0", O_RDWR);
	ASSERT_GE(self->exp, 0);
	self->imp = open("/dev/hmm_dmirror1", O_RDWR);
	ASSERT_GE(self->imp, 0);
	self->buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(self->buf, MAP_FAILED);
	madvise(self->buf, NPAGES * PAGE, MADV_NOHUGEPAGE);
	fill(self->buf, 0, NPAGES, 1);
}

FIXTURE_TEARDOWN(dmabuf)
{
	if (self->buf)
		munmap(self->buf, NPAGES * PAGE);
	if (self->imp >= 0)
		close(self->imp);
	if (self->exp >= 0)
		close(self->exp);
}

/* The importer reads what the process wrote, and the process what it wrote. */
TEST_F(dmabuf, read_then_write)
{
	struct edu_mirror_import r;
	unsigned long k;
	int dbuf = -1;

	ASSERT_EQ(export(self->exp, self->buf, NPAGES * PAGE, &dbuf), 0);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	ASSERT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), 0);
	for (k = 0; k < NPAGES; k++)
		EXPECT_EQ(gen_of(self->data, k, k), 1);
	fill(self->data, 0, NPAGES, 2);
	ASSERT_EQ(dev_rw(self->imp, true, 0, NPAGES, self->data, &r), 0);
	for (k = 0; k < NPAGES; k++)
		EXPECT_EQ(gen_of(self->buf, k, k), 2);
	/* Nothing changed in between: one mapping served both. */
	EXPECT_EQ(r.maps, 1);
	EXPECT_EQ(r.moves, 0);
	close(dbuf);
}

/*
 * After fork, the parent's write gives it a new page (copy-on-write): the
 * importer sees that page, its own write reaches the parent only, and
 * the child keeps the old page.
 */
TEST_F(dmabuf, cow_after_fork)
{
	struct edu_mirror_import r;
	int dbuf = -1, go[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(export(self->exp, self->buf, NPAGES * PAGE, &dbuf), 0);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	ASSERT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), 0);
	ASSERT_EQ(pipe(go), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(gen_of(self->buf, 0, 0) == 1 && gen_of(self->buf, 1, 1) == 1 ? 0 : 1);
	}
	fill(self->buf, 0, 1, 3);
	ASSERT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 0), 3);
	EXPECT_EQ(gen_of(self->data, 1, 1), 1);
	EXPECT_GE(r.moves, 1);
	EXPECT_EQ(r.maps, 2);
	fill(self->data, 1, 1, 4);
	ASSERT_EQ(dev_rw(self->imp, true, 1, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->buf, 1, 1), 4);
	ASSERT_EQ(write(go[1], &c, 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(go[0]);
	close(go[1]);
	close(dbuf);
}

/* The physical page behind @p, from /proc/self/pagemap (0 if unknown). */
static __u64 pfn_of(void *p)
{
	__u64 e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / PAGE * 8) != 8)
		e = 0;
	close(fd);
	return e & ((1ULL << 55) - 1);
}

/*
 * Pages that migrate (compaction, then a soft offline that must move page
 * 0) are new pages: the importer is told, maps again, reads the data from
 * the new page and writes into it.
 */
TEST_F(dmabuf, migration)
{
	struct edu_mirror_import r;
	__u64 before, after;
	unsigned long k;
	int dbuf = -1, fd;

	ASSERT_EQ(export(self->exp, self->buf, NPAGES * PAGE, &dbuf), 0);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	ASSERT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), 0);
	before = pfn_of(self->buf);
	fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			TH_LOG("compact_memory: %s", strerror(errno));
		close(fd);
	}
	ASSERT_EQ(madvise(self->buf, PAGE, MADV_SOFT_OFFLINE), 0);
	after = pfn_of(self->buf);
	TH_LOG("page 0: pfn %#llx -> %#llx", (unsigned long long)before,
	       (unsigned long long)after);
	EXPECT_NE(before, after);
	ASSERT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), 0);
	for (k = 0; k < NPAGES; k++)
		EXPECT_EQ(gen_of(self->data, k, k), 1);
	EXPECT_GE(r.moves, 1);
	EXPECT_EQ(r.maps, 2);
	fill(self->data, 0, NPAGES, 5);
	ASSERT_EQ(dev_rw(self->imp, true, 0, NPAGES, self->data, &r), 0);
	for (k = 0; k < NPAGES; k++)
		EXPECT_EQ(gen_of(self->buf, k, k), 5);
	close(dbuf);
}

/* After munmap, the importer's map fails and its DMA goes nowhere. */
TEST_F(dmabuf, munmap)
{
	struct edu_mirror_import r;
	int dbuf = -1;

	ASSERT_EQ(export(self->exp, self->buf, NPAGES * PAGE, &dbuf), 0);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	ASSERT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), 0);
	ASSERT_EQ(munmap(self->buf, NPAGES * PAGE), 0);
	self->buf = NULL;
	fill(self->data, 0, NPAGES, 6);
	EXPECT_EQ(dev_rw(self->imp, true, 0, NPAGES, self->data, &r), -EFAULT);
	EXPECT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), -EFAULT);
	EXPECT_GE(r.moves, 1);
	close(dbuf);
}

/*
 * Another process exports its memory; this one takes the fd (with
 * pidfd_getfd(): the guest kernel has no sockets for SCM_RIGHTS), imports
 * and reads it; then the exporter exits, and the next map fails with
 * ESRCH; closing everything frees the buffer.
 */
TEST_F(dmabuf, exporter_exits)
{
	struct edu_mirror_import r;
	int up[2], down[2], pidfd, dbuf = -1, status;
	unsigned long k;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(pipe(up), 0);
	ASSERT_EQ(pipe(down), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char *mem = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int fd = open("/dev/hmm_dmirror0", O_RDWR), d = -1;

		if (mem == MAP_FAILED || fd < 0)
			_exit(2);
		fill(mem, 0, NPAGES, 7);
		if (export(fd, mem, NPAGES * PAGE, &d) ||
		    write(up[1], &d, sizeof(d)) != sizeof(d))
			_exit(3);
		/* Stay until the parent has read; then exit, fd still held there. */
		if (read(down[0], &c, 1) != 1)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(read(up[0], &dbuf, sizeof(dbuf)), sizeof(dbuf));
	pidfd = syscall(__NR_pidfd_open, pid, 0);
	ASSERT_GE(pidfd, 0);
	dbuf = syscall(__NR_pidfd_getfd, pidfd, dbuf, 0);
	ASSERT_GE(dbuf, 0);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	ASSERT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), 0);
	for (k = 0; k < NPAGES; k++)
		EXPECT_EQ(gen_of(self->data, k, k), 7);
	ASSERT_EQ(write(down[1], &c, 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(dev_rw(self->imp, false, 0, NPAGES, self->data, &r), -ESRCH);
	EXPECT_GE(r.moves, 1);
	EXPECT_EQ(ioctl(self->imp, EDU_MIRROR_IMPORT_DETACH), 0);
	close(dbuf);
	close(pidfd);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/*
 * Two importers (the two edus) on one buffer: both see the process's
 * writes, and each sees the other's.
 */
TEST_F(dmabuf, two_importers)
{
	struct edu_mirror_import r;
	int dbuf = -1, imp2;

	imp2 = open("/dev/hmm_dmirror0", O_RDWR);
	ASSERT_GE(imp2, 0);
	ASSERT_EQ(export(self->exp, self->buf, NPAGES * PAGE, &dbuf), 0);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	ASSERT_EQ(attach(imp2, dbuf, 0), 0);
	ASSERT_EQ(dev_rw(self->imp, false, 2, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 2), 1);
	ASSERT_EQ(dev_rw(imp2, false, 2, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 2), 1);
	/* A new page under both mappings. */
	ASSERT_EQ(madvise(self->buf + 2 * PAGE, PAGE, MADV_DONTNEED), 0);
	fill(self->buf + 2 * PAGE, 2, 1, 8);
	ASSERT_EQ(dev_rw(self->imp, false, 2, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 2), 8);
	EXPECT_GE(r.moves, 1);
	ASSERT_EQ(dev_rw(imp2, false, 2, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 2), 8);
	EXPECT_GE(r.moves, 1);
	fill(self->data, 3, 1, 9);
	ASSERT_EQ(dev_rw(self->imp, true, 3, 1, self->data, &r), 0);
	memset(self->data, 0, PAGE);
	ASSERT_EQ(dev_rw(imp2, false, 3, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 3), 9);
	EXPECT_EQ(gen_of(self->buf, 3, 3), 9);
	close(imp2);
	close(dbuf);
}

/* Bad requests fail with a clear errno and leave nothing behind. */
TEST_F(dmabuf, bad_input)
{
	struct edu_mirror_import r;
	int dbuf = -1;

	EXPECT_EQ(export(self->exp, self->buf + 1, PAGE, &dbuf), -EINVAL);
	EXPECT_EQ(export(self->exp, self->buf, 0, &dbuf), -EINVAL);
	EXPECT_EQ(export(self->exp, self->buf, PAGE + 1, &dbuf), -EINVAL);
	/* The last page unmapped: the range runs past the mapping. */
	ASSERT_EQ(munmap(self->buf + (NPAGES - 1) * PAGE, PAGE), 0);
	EXPECT_EQ(export(self->exp, self->buf, NPAGES * PAGE, &dbuf), -EFAULT);
	EXPECT_EQ(export(self->exp, (void *)(1UL << 63), PAGE, &dbuf), -EINVAL);

	ASSERT_EQ(export(self->exp, self->buf, PAGE, &dbuf), 0);
	EXPECT_EQ(attach(self->imp, dbuf, EDU_MIRROR_IMPORT_STATIC), -EOPNOTSUPP);
	EXPECT_EQ(attach(self->imp, dbuf, EDU_MIRROR_IMPORT_PIN), -EOPNOTSUPP);
	EXPECT_EQ(attach(self->imp, self->exp, 0), -EINVAL);
	EXPECT_EQ(dev_rw(self->imp, false, 0, 1, self->data, &r), -ENOENT);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	EXPECT_EQ(attach(self->imp, dbuf, 0), -EBUSY);
	EXPECT_EQ(dev_rw(self->imp, false, 1, 1, self->data, &r), -EINVAL);
	EXPECT_EQ(dev_rw(self->imp, false, 0, 0, self->data, &r), -EINVAL);
	ASSERT_EQ(dev_rw(self->imp, false, 0, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 0), 1);
	munmap(self->buf, (NPAGES - 1) * PAGE);
	self->buf = NULL;
	close(dbuf);
}

/*
 * The importer's fences must not outlive its module: import and DMA
 * (which leaves a fence in the buffer's resv), close both device files,
 * unload gpt_edu_mirror while this process still holds the dma-buf, then
 * drop the dma-buf, which releases the resv's fences; a fence whose ops or
 * lock were in the module would oops here.  The module is loaded again
 * for the tests and plan steps that follow.
 */
TEST_F(dmabuf, fence_outlives_importer_module)
{
	struct edu_mirror_import r;
	int dbuf = -1, ko;

	ASSERT_EQ(export(self->exp, self->buf, NPAGES * PAGE, &dbuf), 0);
	ASSERT_EQ(attach(self->imp, dbuf, 0), 0);
	ASSERT_EQ(dev_rw(self->imp, false, 0, 1, self->data, &r), 0);
	EXPECT_EQ(gen_of(self->data, 0, 0), 1);
	close(self->imp);
	close(self->exp);
	self->imp = -1;
	self->exp = -1;
	ASSERT_EQ(syscall(__NR_delete_module, "gpt_edu_mirror", O_NONBLOCK), 0);
	close(dbuf);
	ko = open("/tests/gpt_edu_mirror.ko", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ko, 0);
	ASSERT_EQ(syscall(__NR_finit_module, ko, "", 0), 0);
	close(ko);
}

TEST_HARNESS_MAIN
