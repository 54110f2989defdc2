// SPDX-License-Identifier: GPL-2.0
/*
 * mirror-adversarial: the process changes its address space under a
 * device that DMAs into it through the iommu mirror (gpt_edu_mirror,
 * /dev/hmm_dmirror0 and 1), between and during device accesses, and every
 * test checks by data what the device read and what it wrote.
 *
 * What a failure would mean: the device reached a page the process no
 * longer maps (it read old data, or its write was lost to the process and
 * landed in a freed page: with page_poison=1 the next allocation of that
 * page reports "pagealloc: memory corruption", which the runner counts as
 * a splat), or the mirror refused a legal access.
 *
 * Page contents: every 8-byte word of page p of generation g holds
 * word(g, p), so a page read back names its generation, and a torn page
 * (half old, half new) or a page of another buffer is visible.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
/*
 * Guest time, which the harness's alarm counts: edu takes 100 ms of it per
 * transfer of at most 4 KiB, so 2 MiB one way is about 100 s.  (QEMU's
 * -icount sleep=off skips the wait: in wall time a transfer is short.)
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 3600

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lib/test_hmm_uapi.h>
#include "guest-compat.h"

#define PAGE		4096UL
#define TWO_MB		(2UL << 20)
#define MAGIC		0x6770745f65647500ULL	/* "gpt_edu" */
/* A generation no test writes, for "nothing arrived". */
#define GEN_NONE	0xfffffU

static uint64_t word(unsigned int gen, unsigned long page)
{
	return MAGIC ^ ((uint64_t)gen << 32) ^ page;
}

static void fill(void *p, unsigned long npages, unsigned int gen)
{
	uint64_t *w = p;
	unsigned long i;

	for (i = 0; i < npages * PAGE / 8; i++)
		w[i] = word(gen, i / (PAGE / 8));
}

/*
 * The generation page @page of @p holds: GEN_NONE + 1 for a zero page,
 * -1 for a page that is not one generation throughout.
 */
static long page_gen(const void *p, unsigned long page)
{
	const uint64_t *w = (const uint64_t *)((const char *)p + page * PAGE);
	uint64_t g = (w[0] ^ MAGIC ^ page);
	unsigned long i;

	if (!w[0]) {
		for (i = 1; i < PAGE / 8; i++)
			if (w[i])
				return -1;
		return GEN_NONE + 1;
	}
	if (g & 0xffffffffULL)
		return -1;
	for (i = 1; i < PAGE / 8; i++)
		if (w[i] != w[0])
			return -1;
	return g >> 32;
}

/* Pages [first, first + npages) of @p are generation @gen. */
static bool range_gen(const void *p, unsigned long first, unsigned long npages,
		      unsigned int gen)
{
	unsigned long i;

	for (i = first; i < first + npages; i++)
		if (page_gen(p, i) != gen)
			return false;
	return true;
}

static bool all_gen(const void *p, unsigned long npages, unsigned int gen)
{
	return range_gen(p, 0, npages, gen);
}

/* One ioctl; 0 or -errno.  @faults, if set, gets the fault passes. */
static int dev_cmd(int fd, unsigned long req, void *addr, void *ptr,
		   unsigned long npages, unsigned long *faults)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)ptr,
		.npages = npages,
	};

	while (ioctl(fd, req, &cmd)) {
		if (errno != EINTR)
			return -errno;
	}
	if (cmd.cpages != npages)
		return -EIO;
	if (faults)
		*faults = cmd.faults;
	return 0;
}

static int dev_read(int fd, void *addr, void *to, unsigned long npages)
{
	return dev_cmd(fd, HMM_DMIRROR_READ, addr, to, npages, NULL);
}

static int dev_write(int fd, void *addr, void *from, unsigned long npages)
{
	return dev_cmd(fd, HMM_DMIRROR_WRITE, addr, from, npages, NULL);
}

static void *map_anon(void *at, unsigned long size, int prot)
{
	void *p = mmap(at, size, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       (at ? MAP_FIXED : 0), -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* @size bytes at a 2 MiB-aligned address. */
static void *map_aligned(unsigned long size)
{
	char *p = map_anon(NULL, size + TWO_MB, PROT_READ | PROT_WRITE);
	char *a;

	if (!p)
		return NULL;
	a = (char *)(((uintptr_t)p + TWO_MB - 1) & ~(TWO_MB - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + TWO_MB - a);
	return a;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * The page frame behind each of @n pages at @p, from /proc/self/pagemap
 * (0 if not present): how the tests see that a page really moved.
 */
static void frames_of(const void *p, unsigned long n, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	unsigned long i;

	for (i = 0; i < n; i++) {
		uint64_t e = 0;

		if (fd < 0 || pread(fd, &e, sizeof(e),
				    ((uintptr_t)p / PAGE + i) * sizeof(e)) != sizeof(e))
			e = 0;
		pfn[i] = e >> 63 ? e & ((1ULL << 55) - 1) : 0;
	}
	if (fd >= 0)
		close(fd);
}

/* How many of the @n pages at @p sit in another frame than @before. */
static unsigned long frames_moved(const void *p, unsigned long n,
				  const uint64_t *before)
{
	uint64_t now[n];
	unsigned long i, moved = 0;

	frames_of(p, n, now);
	for (i = 0; i < n; i++)
		moved += before[i] && now[i] && now[i] != before[i];
	return moved;
}

FIXTURE(mirror) {
	int fd0;
	int fd1;
};

FIXTURE_SETUP(mirror)
{
	self->fd0 = open("/dev/hmm_dmirror0", O_RDWR);
	ASSERT_GE(self->fd0, 0);
	self->fd1 = open("/dev/hmm_dmirror1", O_RDWR);
	ASSERT_GE(self->fd1, 0);
}

FIXTURE_TEARDOWN(mirror)
{
	close(self->fd0);
	close(self->fd1);
}

/* munmap, then a new mapping at the same address: the device sees it. */
TEST_F(mirror, munmap_between)
{
	unsigned long n = 8;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);

	ASSERT_NE(buf, NULL);
	fill(buf, n, 1);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 1));
	ASSERT_EQ(munmap(buf, n * PAGE), 0);
	fill(out, n, GEN_NONE);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), -EFAULT);
	ASSERT_TRUE(all_gen(out, n, GEN_NONE));
	ASSERT_EQ(map_anon(buf, n * PAGE, PROT_READ | PROT_WRITE), buf);
	fill(buf, n, 2);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 2));
	fill(out, n, 3);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 3));
	munmap(buf, n * PAGE);
	free(out);
}

/* mremap moves the pages: the device finds them at the new address only. */
TEST_F(mirror, mremap_between)
{
	unsigned long n = 8;
	char *a = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *b = map_anon(NULL, n * PAGE, PROT_NONE);
	char *out = malloc(n * PAGE);

	ASSERT_NE(a, NULL);
	ASSERT_NE(b, NULL);
	fill(a, n, 1);
	ASSERT_EQ(dev_write(self->fd0, a, a, n), 0);
	ASSERT_EQ(mremap(a, n * PAGE, n * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, b), b);
	ASSERT_EQ(dev_read(self->fd0, a, out, n), -EFAULT);
	ASSERT_EQ(dev_read(self->fd0, b, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 1));
	fill(out, n, 2);
	ASSERT_EQ(dev_write(self->fd0, b, out, n), 0);
	ASSERT_TRUE(all_gen(b, n, 2));
	munmap(b, n * PAGE);
	free(out);
}

/* mprotect read-only, none and back: the device gets what the CPU gets. */
TEST_F(mirror, mprotect_between)
{
	unsigned long n = 8;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);

	ASSERT_NE(buf, NULL);
	fill(out, n, 1);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 1));
	ASSERT_EQ(mprotect(buf, n * PAGE, PROT_READ), 0);
	fill(out, n, 2);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), -EPERM);
	ASSERT_TRUE(all_gen(buf, n, 1));
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 1));
	ASSERT_EQ(mprotect(buf, n * PAGE, PROT_NONE), 0);
	fill(out, n, GEN_NONE);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), -EFAULT);
	ASSERT_TRUE(all_gen(out, n, GEN_NONE));
	ASSERT_EQ(mprotect(buf, n * PAGE, PROT_READ | PROT_WRITE), 0);
	fill(out, n, 3);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 3));
	munmap(buf, n * PAGE);
	free(out);
}

/* MADV_DONTNEED drops the pages: the device then reads zeroes. */
TEST_F(mirror, dontneed_between)
{
	unsigned long n = 8;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);

	ASSERT_NE(buf, NULL);
	fill(out, n, 1);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_EQ(madvise(buf, n * PAGE, MADV_DONTNEED), 0);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, GEN_NONE + 1));
	fill(out, n, 2);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 2));
	munmap(buf, n * PAGE);
	free(out);
}

/*
 * After fork, a CPU write in the parent breaks COW: the parent's device
 * must follow the parent's new page, and its writes must not reach the
 * child.  Then the child writes its copy: the parent's device must not
 * see that either.
 */
TEST_F(mirror, fork_cow)
{
	unsigned long n = 8;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);
	int go[2], done[2], status;
	unsigned long faults = ~0UL;
	char c = 0;
	pid_t pid;

	ASSERT_NE(buf, NULL);
	fill(out, n, 1);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_EQ(pipe(go), 0);
	ASSERT_EQ(pipe(done), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* Wait for the parent's writes, check none reached us. */
		if (read(go[0], &c, 1) != 1 || !all_gen(buf, n, 1))
			_exit(1);
		fill(buf, n, 7);
		if (write(done[1], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	/*
	 * Read access stays across fork's write-protect (the mirror drops
	 * only write permission, in place): reading needs no fault pass...
	 */
	ASSERT_EQ(dev_cmd(self->fd0, HMM_DMIRROR_READ, buf, out, n, &faults), 0);
	ASSERT_EQ(faults, 0);
	ASSERT_TRUE(all_gen(out, n, 1));
	/* ...and follows the parent's copy once the CPU breaks COW. */
	fill(buf, n, 2);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 2));
	fill(out, n, 3);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 3));
	ASSERT_EQ(write(go[1], &c, 1), 1);
	ASSERT_EQ(read(done[0], &c, 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	/* The child's COW copy never reached the parent's device. */
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 3));
	munmap(buf, n * PAGE);
	free(out);
}

/*
 * After fork, the device writes first: the write fault breaks COW for the
 * parent, and the child keeps the old data.
 */
TEST_F(mirror, fork_device_write)
{
	unsigned long n = 8;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);
	int go[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_NE(buf, NULL);
	fill(out, n, 1);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_EQ(pipe(go), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(all_gen(buf, n, 1) ? 0 : 1);
	}
	fill(out, n, 2);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 2));
	ASSERT_EQ(write(go[1], &c, 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	munmap(buf, n * PAGE);
	free(out);
}

/*
 * A transparent huge page split by mprotect of its upper half: the device
 * may write the lower half only, and reads the whole of it right.
 */
TEST_F(mirror, thp_split)
{
	unsigned long n = TWO_MB / PAGE, half = n / 2;
	char *buf = map_aligned(TWO_MB);
	char *out = malloc(TWO_MB);

	ASSERT_NE(buf, NULL);
	ASSERT_EQ(madvise(buf, TWO_MB, MADV_HUGEPAGE), 0);
	fill(buf, n, 1);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 1));
	ASSERT_EQ(mprotect(buf + half * PAGE, half * PAGE, PROT_READ), 0);
	fill(out, n, 2);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), -EPERM);
	ASSERT_EQ(dev_write(self->fd0, buf, out, half), 0);
	ASSERT_TRUE(all_gen(buf, half, 2));
	ASSERT_TRUE(range_gen(buf, half, half, 1));
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(range_gen(out, 0, half, 2));
	ASSERT_TRUE(range_gen(out, half, half, 1));
	fill(buf, half, 3);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(range_gen(out, 0, half, 3));
	ASSERT_TRUE(range_gen(out, half, half, 1));
	munmap(buf, TWO_MB);
	free(out);
}

/*
 * Compaction migrates pages the device has mapped; afterwards the device
 * must reach the pages the CPU uses, not the old frames.
 */
TEST_F(mirror, compaction_between)
{
	unsigned long n = 64;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);
	uint64_t frames[n];

	ASSERT_NE(buf, NULL);
	fill(out, n, 1);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	frames_of(buf, n, frames);
	ASSERT_EQ(write_file("/proc/sys/vm/compact_memory", "1"), 0);
	TH_LOG("compaction moved %lu of the %lu pages",
	       frames_moved(buf, n, frames), n);
	fill(buf, n, 2);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 2));
	fill(out, n, 3);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 3));
	munmap(buf, n * PAGE);
	free(out);
}

/*
 * MADV_SOFT_OFFLINE migrates exactly these pages to new frames (and takes
 * the old ones out of use): afterwards the device must reach the new
 * frames, both ways.
 */
TEST_F(mirror, migration_between)
{
	unsigned long n = 32;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);
	uint64_t frames[n];

	ASSERT_NE(buf, NULL);
	fill(out, n, 1);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 1));
	frames_of(buf, n, frames);
	ASSERT_EQ(madvise(buf, n * PAGE, MADV_SOFT_OFFLINE), 0);
	/* every page is in a new frame: the device must follow */
	ASSERT_EQ(frames_moved(buf, n, frames), n);
	fill(buf, n, 2);
	ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, 2));
	ASSERT_EQ(madvise(buf, n * PAGE, MADV_SOFT_OFFLINE), 0);
	fill(out, n, 3);
	ASSERT_EQ(dev_write(self->fd0, buf, out, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 3));
	munmap(buf, n * PAGE);
	free(out);
}

/* ---- during: another thread changes the mapping while the device runs ---- */

enum churn {
	CHURN_MREMAP, CHURN_MPROTECT, CHURN_DONTNEED, CHURN_COMPACT, CHURN_MIGRATE,
};

struct churn_arg {
	enum churn how;
	char *buf;
	unsigned long npages;
	atomic_uint gen;	/* the generation the CPU maps now */
	atomic_bool stop;
	unsigned long rounds;
	int err;
};

static void *churn_thread(void *p)
{
	struct churn_arg *a = p;
	unsigned long size = a->npages * PAGE;

	while (!atomic_load(&a->stop)) {
		unsigned int g = atomic_load(&a->gen) + 1;
		char *s;

		switch (a->how) {
		case CHURN_MREMAP:
			/* A new generation replaces the old one at once. */
			s = map_anon(NULL, size, PROT_READ | PROT_WRITE);
			if (!s) {
				a->err = errno;
				return NULL;
			}
			fill(s, a->npages, g);
			if (mremap(s, size, size, MREMAP_MAYMOVE | MREMAP_FIXED,
				   a->buf) != a->buf) {
				a->err = errno;
				return NULL;
			}
			atomic_store(&a->gen, g);
			break;
		case CHURN_MPROTECT:
			mprotect(a->buf, size, PROT_READ);
			usleep(200);
			mprotect(a->buf, size, PROT_NONE);
			usleep(200);
			mprotect(a->buf, size, PROT_READ | PROT_WRITE);
			break;
		case CHURN_DONTNEED:
			madvise(a->buf, size, MADV_DONTNEED);
			break;
		case CHURN_COMPACT:
			write_file("/proc/sys/vm/compact_memory", "1");
			break;
		case CHURN_MIGRATE:
			if (madvise(a->buf, size, MADV_SOFT_OFFLINE)) {
				a->err = errno;
				return NULL;
			}
			break;
		}
		a->rounds++;
		/*
		 * Idle between rounds: edu's 100 ms per transfer are skipped
		 * only while every vCPU idles (-icount sleep=off); a busy
		 * loop here would make each transfer cost 10^8 guest
		 * instructions.  Compaction of the whole guest is the
		 * expensive one.
		 */
		usleep(a->how == CHURN_COMPACT ? 200000 : 500);
	}
	return NULL;
}

static void churn_start(struct churn_arg *a, pthread_t *t, enum churn how,
			char *buf, unsigned long npages)
{
	a->how = how;
	a->buf = buf;
	a->npages = npages;
	atomic_store(&a->stop, false);
	a->rounds = 0;
	a->err = 0;
	pthread_create(t, NULL, churn_thread, a);
}

static void churn_stop(struct churn_arg *a, pthread_t t)
{
	atomic_store(&a->stop, true);
	pthread_join(t, NULL);
}

/*
 * The range is replaced by mremap over and over while the device reads
 * it.  The driver moves each page inside one access (an invalidation
 * waits for it), in address order: every page read is one generation
 * throughout, later pages are never older than earlier ones, and none is
 * older than the generation mapped when the read began.
 */
TEST_F(mirror, mremap_during_reads)
{
	unsigned long n = 64, i, p, reads = 0, mixed = 0;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc(n * PAGE);
	struct churn_arg a = { };
	pthread_t t;

	ASSERT_NE(buf, NULL);
	fill(buf, n, 0);
	churn_start(&a, &t, CHURN_MREMAP, buf, n);
	for (i = 0; i < 30; i++) {
		unsigned int before = atomic_load(&a.gen), after;
		long g, prev;

		ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
		after = atomic_load(&a.gen);
		prev = page_gen(out, 0);
		/* the churn thread publishes gen just after its mremap */
		ASSERT_GE(prev, before);
		for (p = 0; p < n; p++) {
			g = page_gen(out, p);
			ASSERT_GE(g, prev);
			ASSERT_LE(g, after + 1);
			mixed += g != prev;
			prev = g;
		}
		reads++;
	}
	churn_stop(&a, t);
	ASSERT_EQ(a.err, 0);
	TH_LOG("%lu reads against %lu replacements, %lu generation changes inside a read",
	       reads, a.rounds, mixed);
	ASSERT_GT(a.rounds, 1);
	munmap(buf, n * PAGE);
	free(out);
}

/*
 * The device writes while the range is replaced: a write lands whole in
 * one generation's pages (never in a freed one: page poisoning would
 * say), and the last one, after the churn, is what the CPU reads.
 */
TEST_F(mirror, mremap_during_writes)
{
	unsigned long n = 16, i;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *in = malloc(n * PAGE);
	struct churn_arg a = { };
	pthread_t t;

	ASSERT_NE(buf, NULL);
	fill(in, n, 0xbeef);
	churn_start(&a, &t, CHURN_MREMAP, buf, n);
	for (i = 0; i < 60; i++)
		ASSERT_EQ(dev_write(self->fd0, buf, in, n), 0);
	churn_stop(&a, t);
	ASSERT_EQ(a.err, 0);
	ASSERT_TRUE(all_gen(buf, n, a.gen) || all_gen(buf, n, 0xbeef));
	fill(in, n, 0xcafe);
	ASSERT_EQ(dev_write(self->fd0, buf, in, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 0xcafe));
	munmap(buf, n * PAGE);
	free(in);
}

/*
 * mprotect cycles RO/NONE/RW under device writes and reads: each call
 * either succeeds with the right data or fails with the errno the current
 * protection gives.
 */
TEST_F(mirror, mprotect_during)
{
	unsigned long n = 16, i, ok = 0;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *in = malloc(n * PAGE), *out = malloc(n * PAGE);
	struct churn_arg a = { };
	pthread_t t;
	int ret;

	ASSERT_NE(buf, NULL);
	fill(buf, n, 5);
	fill(in, n, 5);
	churn_start(&a, &t, CHURN_MPROTECT, buf, n);
	for (i = 0; i < 60; i++) {
		ret = dev_write(self->fd0, buf, in, n);
		ASSERT_TRUE(ret == 0 || ret == -EPERM || ret == -EFAULT);
		ret = dev_read(self->fd0, buf, out, n);
		ASSERT_TRUE(ret == 0 || ret == -EFAULT);
		if (!ret) {
			ASSERT_TRUE(all_gen(out, n, 5));
			ok++;
		}
	}
	churn_stop(&a, t);
	TH_LOG("%lu of 60 reads got through %lu protection cycles", ok, a.rounds);
	fill(in, n, 6);
	ASSERT_EQ(dev_write(self->fd0, buf, in, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 6));
	munmap(buf, n * PAGE);
	free(in);
	free(out);
}

/*
 * MADV_DONTNEED zaps the range under device writes and reads: a read
 * sees, page by page, the device's data or zeroes, never anything else.
 */
TEST_F(mirror, dontneed_during)
{
	unsigned long n = 16, i, p;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *in = malloc(n * PAGE), *out = malloc(n * PAGE);
	struct churn_arg a = { };
	pthread_t t;

	ASSERT_NE(buf, NULL);
	fill(in, n, 9);
	churn_start(&a, &t, CHURN_DONTNEED, buf, n);
	for (i = 0; i < 60; i++) {
		ASSERT_EQ(dev_write(self->fd0, buf, in, n), 0);
		ASSERT_EQ(dev_read(self->fd0, buf, out, n), 0);
		for (p = 0; p < n; p++) {
			long g = page_gen(out, p);

			ASSERT_TRUE(g == 9 || g == GEN_NONE + 1);
		}
	}
	churn_stop(&a, t);
	ASSERT_EQ(dev_write(self->fd0, buf, in, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 9));
	munmap(buf, n * PAGE);
	free(in);
	free(out);
}

/*
 * The device and the CPU take turns writing the buffer while @how moves
 * its pages over and over: each side always sees the other's last write,
 * whichever frames hold it by then.  Returns how many of the pages sit in
 * other frames at the end than at the start.
 */
static unsigned long turns_under_churn(struct __test_metadata *_metadata,
				       int fd, enum churn how,
				       unsigned long rounds)
{
	unsigned long n = 16, i, moved;
	char *buf = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
	char *io = malloc(n * PAGE);
	struct churn_arg a = { };
	uint64_t frames[n];
	pthread_t t;

	EXPECT_NE(buf, NULL);
	if (!buf)
		return 0;
	fill(buf, n, 0);
	frames_of(buf, n, frames);
	churn_start(&a, &t, how, buf, n);
	for (i = 1; i <= rounds && !_metadata->exit_code; i++) {
		fill(io, n, 2 * i);
		EXPECT_EQ(dev_write(fd, buf, io, n), 0);
		EXPECT_TRUE(all_gen(buf, n, 2 * i));
		fill(buf, n, 2 * i + 1);
		EXPECT_EQ(dev_read(fd, buf, io, n), 0);
		EXPECT_TRUE(all_gen(io, n, 2 * i + 1));
	}
	churn_stop(&a, t);
	EXPECT_EQ(a.err, 0);
	EXPECT_GT(a.rounds, 1);
	moved = frames_moved(buf, n, frames);
	TH_LOG("%lu rounds of churn; %lu of the %lu pages in other frames at the end",
	       a.rounds, moved, n);
	munmap(buf, n * PAGE);
	free(io);
	return moved;
}

/* Compaction of the whole guest, which moves the pages only by chance. */
TEST_F(mirror, compaction_during)
{
	turns_under_churn(_metadata, self->fd0, CHURN_COMPACT, 5);
}

/* Soft offline (migration) of exactly these pages, over and over. */
TEST_F(mirror, migration_during)
{
	ASSERT_EQ(turns_under_churn(_metadata, self->fd0, CHURN_MIGRATE, 20), 16);
}

/*
 * The process that bound a mirror exits while another process holds the
 * device file (taken with pidfd_getfd(): this kernel has no sockets for
 * SCM_RIGHTS): the holder's commands fail, the device writes nothing.
 */
TEST_F(mirror, exit_while_held)
{
	unsigned long n = 4;
	char *out = malloc(n * PAGE);
	int sync_pipe[2], pidfd, fd, status;
	char *addr;
	pid_t pid;

	ASSERT_EQ(pipe(sync_pipe), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int cfd = open("/dev/hmm_dmirror1", O_RDWR);
		char *b = map_anon(NULL, n * PAGE, PROT_READ | PROT_WRITE);
		char *o = malloc(n * PAGE);

		if (cfd < 0 || !b || !o)
			_exit(1);
		fill(b, n, 4);
		if (dev_read(cfd, b, o, n) || !all_gen(o, n, 4))
			_exit(2);
		/* Tell the parent the fd number and the address, then wait. */
		if (write(sync_pipe[1], &cfd, sizeof(cfd)) != sizeof(cfd) ||
		    write(sync_pipe[1], &b, sizeof(b)) != sizeof(b))
			_exit(3);
		pause();
		_exit(0);
	}
	ASSERT_EQ(read(sync_pipe[0], &fd, sizeof(fd)), sizeof(fd));
	ASSERT_EQ(read(sync_pipe[0], &addr, sizeof(addr)), sizeof(addr));
	pidfd = syscall(__NR_pidfd_open, pid, 0);
	ASSERT_GE(pidfd, 0);
	fd = syscall(__NR_pidfd_getfd, pidfd, fd, 0);
	ASSERT_GE(fd, 0);
	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	/* The child's mm is gone: nothing to read, nothing to write. */
	fill(out, n, GEN_NONE);
	ASSERT_LT(dev_read(fd, addr, out, n), 0);
	ASSERT_TRUE(all_gen(out, n, GEN_NONE));
	ASSERT_LT(dev_write(fd, addr, out, n), 0);
	ASSERT_EQ(close(fd), 0);
	close(pidfd);
	free(out);
}

/*
 * One process's part of two_processes_two_devices: 0, or which step failed.
 * Each device writes a generation of the process's own into one half and
 * the other device reads it back.
 */
static int two_devices_rounds(unsigned int base)
{
	unsigned long n = 8, i;
	int fd[2] = {
		open("/dev/hmm_dmirror0", O_RDWR),
		open("/dev/hmm_dmirror1", O_RDWR),
	};
	char *buf = map_anon(NULL, 2 * n * PAGE, PROT_READ | PROT_WRITE);
	char *io = malloc(n * PAGE);
	int bad = 0, d;

	if (fd[0] < 0 || fd[1] < 0 || !buf || !io)
		bad = 1;
	for (i = 0; i < 10 && !bad; i++) {
		for (d = 0; d < 2; d++) {
			char *mine = buf + d * n * PAGE;
			unsigned int g = base + 2 * i + d;

			fill(io, n, g);
			if (dev_write(fd[d], mine, io, n) || !all_gen(mine, n, g))
				bad = 2;
			else if (dev_read(fd[1 - d], mine, io, n) || !all_gen(io, n, g))
				bad = 3;
		}
	}
	close(fd[0]);
	close(fd[1]);
	return bad;
}

/*
 * Two processes, each with both devices, each device alternating between
 * the two processes' mirrors: every byte goes where its owner put it.
 */
TEST_F(mirror, two_processes_two_devices)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(two_devices_rounds(200));
	ASSERT_EQ(two_devices_rounds(100), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

/* Refused input, and nothing moved by a refused command. */
TEST_F(mirror, bad_ioctls)
{
	unsigned long n = 4;
	char *buf = map_anon(NULL, (n + 1) * PAGE, PROT_READ | PROT_WRITE);
	char *out = malloc((n + 1) * PAGE);
	struct hmm_dmirror_cmd cmd = { };

	ASSERT_NE(buf, NULL);
	/* a hole right after the buffer */
	ASSERT_EQ(munmap(buf + n * PAGE, PAGE), 0);
	fill(buf, n, 1);
	fill(out, n, GEN_NONE);
	/* unaligned address, zero and absurd page counts */
	ASSERT_EQ(dev_read(self->fd0, buf + 8, out, n), -EINVAL);
	ASSERT_EQ(dev_read(self->fd0, buf, out, 0), -EINVAL);
	ASSERT_EQ(dev_read(self->fd0, buf, out, 1UL << 40), -EINVAL);
	ASSERT_EQ(dev_read(self->fd0, buf, out, ~0UL >> 12), -EINVAL);
	/* kernel addresses, NULL: no VMA, outside the user range */
	ASSERT_LT(dev_read(self->fd0, (void *)0xffff888000000000UL, out, n), 0);
	ASSERT_LT(dev_write(self->fd0, (void *)0xffffffff81000000UL, out, n), 0);
	ASSERT_EQ(dev_read(self->fd0, NULL, out, n), -EFAULT);
	ASSERT_TRUE(all_gen(out, n, GEN_NONE));
	/* a bad destination of the copy out */
	ASSERT_EQ(dev_read(self->fd0, buf, NULL, n), -EFAULT);
	ASSERT_EQ(dev_write(self->fd0, buf, NULL, n), -EFAULT);
	ASSERT_TRUE(all_gen(buf, n, 1));
	/* a range that runs off the end of the mapping moves nothing */
	ASSERT_EQ(dev_write(self->fd0, buf, out, n + 1), -EFAULT);
	ASSERT_TRUE(all_gen(buf, n, 1));
	/* overlapping source and destination: the read is what was there */
	ASSERT_EQ(dev_read(self->fd0, buf, buf, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 1));
	ASSERT_EQ(dev_write(self->fd0, buf, buf, n), 0);
	ASSERT_TRUE(all_gen(buf, n, 1));
	/* unknown request, and requests that need device memory */
	cmd.addr = (uintptr_t)buf;
	cmd.ptr = (uintptr_t)out;
	cmd.npages = n;
	ASSERT_NE(ioctl(self->fd0, _IOWR('H', 0x7f, struct hmm_dmirror_cmd), &cmd), 0);
	ASSERT_EQ(ioctl(self->fd0, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd), -1);
	ASSERT_EQ(errno, EOPNOTSUPP);
	ASSERT_EQ(ioctl(self->fd0, HMM_DMIRROR_EXCLUSIVE, &cmd), -1);
	ASSERT_EQ(errno, EOPNOTSUPP);
	ASSERT_TRUE(all_gen(buf, n, 1));
	munmap(buf, n * PAGE);
	free(out);
}

/*
 * Last: allocate and touch most of free memory, so that page poisoning
 * checks the pages the tests above freed (a stray device write into one
 * shows up as "pagealloc: memory corruption" on the console).
 */
TEST_F(mirror, poison_sweep)
{
	long pages = sysconf(_SC_AVPHYS_PAGES) * 3 / 4;
	unsigned long size = pages * PAGE, i;
	char *p;

	ASSERT_GT(pages, 0);
	p = map_anon(NULL, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(p, NULL);
	for (i = 0; i < size; i += PAGE)
		p[i] = 1;
	TH_LOG("touched %lu MiB", size >> 20);
	munmap(p, size);
}

TEST_HARNESS_MAIN
