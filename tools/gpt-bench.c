// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace benchmark of lib-gpt: map and unmap at the sizes the IOMMU
 * layer sees, lookups, and beside each a plain loop that stores the same
 * number of 8-byte entries (the physical floor), all measured in one run.
 * Each figure is the best of several rounds, to shed scheduler noise.
 */
#include <time.h>
#include <linux/gpt.h>
#include "gpt-internal.h"
#include "shim.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL
#define ROUNDS	7

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static u64 sink;

/* The floor: store @n 8-byte entries, as a table walk at best would. */
static double floor_ns(u64 n)
{
	static u64 buf[SZ_1G / SZ_4K];
	double best = 1e30;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		u64 t = now_ns(), i, done = 0;

		while (done < n) {
			u64 k = min(n - done, (u64)ARRAY_SIZE(buf));

			/* One 8-byte store per entry, as a table update does. */
			for (i = 0; i < k; i++)
				WRITE_ONCE(buf[i], (i << 12) | 3);
			done += k;
		}
		t = now_ns() - t;
		best = min(best, (double)t);
	}
	sink += buf[n % ARRAY_SIZE(buf)];
	return best;
}

struct result {
	double map, unmap;	/* ns per call */
};

/*
 * Each round maps @reps ranges at consecutive IOVAs and then unmaps them,
 * reading the clock once per batch rather than once per call.  The
 * physical address is aligned to @pgsize and no more, so the table is
 * built from leaves of exactly that size.
 */
static struct result time_map_unmap(const struct gpt_fmt *fmt, u64 pgsize,
				    u64 count, unsigned int reps)
{
	struct gpt_cfg cfg = { .va_bits = 48, .pa_bits = 48 };
	struct result best = { 1e30, 1e30 };
	u64 size = pgsize * count, iova = 4 * SZ_1G, pa = 8 * SZ_1G + pgsize;
	struct gpt_gather g;
	struct gpt pt;
	unsigned int k;
	int r;

	if (gpt_init(&pt, fmt, &cfg, GFP_KERNEL))
		abort();
	for (r = 0; r < ROUNDS; r++) {
		u64 t;

		gpt_gather_init(&g);
		t = now_ns();
		for (k = 0; k < reps; k++)
			if (gpt_map(&pt, iova + k * size, pa, size, GPT_READ | GPT_WRITE,
				    &g, GFP_KERNEL))
				abort();
		best.map = min(best.map, (double)(now_ns() - t) / reps);
		gpt_gather_free(&g);
		t = now_ns();
		for (k = 0; k < reps; k++)
			if (gpt_unmap(&pt, iova + k * size, size, &g) != size)
				abort();
		gpt_gather_free(&g);
		best.unmap = min(best.unmap, (double)(now_ns() - t) / reps);
		rcu_barrier();
	}
	gpt_destroy(&pt);
	return best;
}

static double time_lookup(const struct gpt_fmt *fmt)
{
	struct gpt_cfg cfg = { .va_bits = 48, .pa_bits = 48 };
	u64 iova = 4 * SZ_1G, n = 4096, i;
	struct gpt_leaf leaf;
	double best = 1e30;
	struct gpt pt;
	int r;

	struct gpt_gather g;

	gpt_gather_init(&g);
	if (gpt_init(&pt, fmt, &cfg, GFP_KERNEL) ||
	    gpt_map(&pt, iova, 0, n * SZ_4K, GPT_READ, &g, GFP_KERNEL))
		abort();
	for (r = 0; r < ROUNDS; r++) {
		u64 t = now_ns(), sum = 0;
		int k;

		for (k = 0; k < 100; k++)
			for (i = 0; i < n; i++) {
				gpt_lookup(&pt, iova + ((i * 7) % n) * SZ_4K, &leaf);
				sum += leaf.pa;
			}
		t = now_ns() - t;
		sink += sum;
		best = min(best, (double)t / (100 * n));
	}
	gpt_destroy(&pt);
	return best;
}

int main(void)
{
	const struct gpt_fmt *fmts[] = {
		&gpt_fmt_vtd_ss, &gpt_fmt_amd_v1, &gpt_fmt_x86_64, &gpt_fmt_arm_lpae_s1,
	};
	u64 n1g = SZ_1G / SZ_4K;
	double f256 = floor_ns(256), f1g = floor_ns(n1g);
	double f512 = floor_ns(512);
	unsigned int i;

	rcu_read_lock();
	rcu_read_unlock();
	printf("lib-gpt userspace benchmark (best of %d rounds; floor = plain loop storing the same number of 8-byte entries)\n",
	       ROUNDS);
	printf("floor: 256 entries %.1f ns (%.2f ns/entry), 262144 entries %.2f ns/entry\n",
	       f256, f256 / 256, f1g / n1g);
	printf("%-12s %-10s %12s %12s %12s %12s %10s %10s\n", "format", "case",
	       "map ns", "unmap ns", "map ns/pg", "unmap ns/pg", "map/floor", "unmap/fl");
	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct result one = time_map_unmap(fmts[i], SZ_4K, 1, 4096);
		struct result r256 = time_map_unmap(fmts[i], SZ_4K, 256, 64);
		struct result r1g = time_map_unmap(fmts[i], SZ_4K, n1g, 1);
		struct result r1g2m = time_map_unmap(fmts[i], SZ_2M, 512, 4);

		printf("%-12s %-10s %12.1f %12.1f %12.2f %12.2f %10s\n", fmts[i]->name,
		       "1x4K", one.map, one.unmap, one.map, one.unmap, "");
		printf("%-12s %-10s %12.1f %12.1f %12.2f %12.2f %9.2fx %9.2fx\n", "",
		       "256x4K", r256.map, r256.unmap, r256.map / 256, r256.unmap / 256,
		       r256.map / f256, r256.unmap / f256);
		printf("%-12s %-10s %12.0f %12.0f %12.2f %12.2f %9.2fx %9.2fx\n", "",
		       "1G as 4K", r1g.map, r1g.unmap, r1g.map / n1g, r1g.unmap / n1g,
		       r1g.map / f1g, r1g.unmap / f1g);
		printf("%-12s %-10s %12.1f %12.1f %12.2f %12.2f %9.2fx %9.2fx\n", "",
		       "1G as 2M", r1g2m.map, r1g2m.unmap, r1g2m.map / 512,
		       r1g2m.unmap / 512, r1g2m.map / f512, r1g2m.unmap / f512);
		printf("%-12s %-10s %12.1f ns (map+unmap of one 4K page)\n", "",
		       "4K m+u", one.map + one.unmap);
		printf("%-12s %-10s %12.2f ns (warm, %s levels)\n", "", "lookup",
		       time_lookup(fmts[i]), fmts[i]->can_grow ? "3" : "4");
	}
	return sink == 42;
}
