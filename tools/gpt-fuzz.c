// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a sequence of operations on a page table
 * of one format, checked after each step against a page-by-page model.
 * Any difference, or a leak at the end, aborts.
 */
#include <linux/gpt.h>
#include "shim.h"

#define WIN_PAGES	2048		/* 8 MiB window: four 2 MiB leaves */
#define SZ_4K		0x1000ULL

static const struct gpt_fmt *const fmts[] = {
	&gpt_fmt_vtd_ss, &gpt_fmt_amd_v1, &gpt_fmt_x86_64, &gpt_fmt_arm_lpae_s1,
};

static u64 model[WIN_PAGES];
static unsigned long pfns[WIN_PAGES];

static void check(struct gpt *pt, u64 base)
{
	struct gpt_leaf leaf;
	unsigned int i;

	for (i = 0; i < WIN_PAGES; i++) {
		int ret = gpt_lookup(pt, base + i * SZ_4K, &leaf);

		if (!model[i] ? ret != -ENOENT :
		    ret || ((leaf.pa + base + i * SZ_4K - leaf.iova) | leaf.prot) != model[i])
			abort();
	}
}

struct extent {
	u64 base, bytes;
	unsigned int lo, hi;
};

/* The leaves an unmap will remove whole, also where they stick out. */
static int leaf_extent(void *arg, const struct gpt_leaf *leaf)
{
	struct extent *x = arg;
	unsigned int first = (leaf->iova - x->base) / SZ_4K;

	x->bytes += leaf->size;
	x->lo = first < x->lo ? first : x->lo;
	x->hi = max_t(unsigned int, x->hi, first + leaf->size / SZ_4K - 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gpt_cfg cfg = { .va_bits = 48, .pa_bits = 40 };
	const uint8_t *end = data + size;
	struct gpt_gather g;
	struct gpt pt;
	u64 base;
	long live = shim_pages_live;

	if (size < 2)
		return 0;
	if (gpt_init(&pt, fmts[data[0] & 3], &cfg, GFP_KERNEL))
		abort();
	base = (u64)(data[1] & 0x7f) << 39 | (u64)(data[1] >> 7) << 30;
	data += 2;
	memset(model, 0, sizeof(model));

	while (end - data >= 6) {
		unsigned int op = data[0] & 7, i;
		unsigned int first = (data[1] | data[2] << 8) % WIN_PAGES;
		unsigned int n = 1 + (data[3] | (data[4] & 7) << 8) % (WIN_PAGES - first);
		unsigned int prot = GPT_READ | (data[4] & 0x80 ? GPT_WRITE : 0);
		u64 pa = (u64)(data[5] | (data[4] & 0x70) << 4) << 21;
		u64 iova = base + first * SZ_4K;
		bool busy = false;
		int ret;

		data += 6;
		for (i = 0; i < n; i++)
			busy |= !!model[first + i];
		gpt_gather_init(&g);
		switch (op) {
		case 0: case 1:
			pa += (u64)(op ? first : data[-1]) * SZ_4K;
			ret = gpt_map(&pt, iova, pa, n * SZ_4K, prot, &g, GFP_KERNEL);
			if (ret != (busy ? -EEXIST : 0))
				abort();
			for (i = 0; !ret && i < n; i++)
				model[first + i] = (pa + i * SZ_4K) | prot;
			break;
		case 2: case 3:
			busy = false;
			for (i = 0; i < n; i++) {
				pfns[i] = (i + data[-2]) % 7 ? 0 :
					  GPT_PFN_VALID | (pa >> 12) + i * (op & 1) + (i % 5) |
					  ((i & 4) ? GPT_PFN_WRITE : 0);
				busy |= (pfns[i] & GPT_PFN_VALID) && model[first + i];
			}
			if (op == 3)
				ret = gpt_update_pfns(&pt, iova, pfns, n, GPT_READ | GPT_WRITE,
						      &g, GFP_KERNEL);
			else
				ret = gpt_map_pfns(&pt, iova, pfns, n, GPT_READ | GPT_WRITE,
						   &g, GFP_KERNEL);
			if (ret != (busy && op == 2 ? -EEXIST : 0))
				abort();
			for (i = 0; !ret && i < n; i++) {
				if (pfns[i] & GPT_PFN_VALID)
					model[first + i] = ((u64)(pfns[i] & ~GPT_PFN_FLAGS) << 12) |
						GPT_READ | (pfns[i] & GPT_PFN_WRITE ? GPT_WRITE : 0);
				else if (op == 3)
					model[first + i] = 0;
			}
			break;
		case 4:
			if (model[first] && gpt_split(&pt, iova, GFP_KERNEL))
				abort();
			break;
		default: {
			struct extent x = { base, 0, first, first + n - 1 };

			gpt_walk(&pt, iova, n * SZ_4K, leaf_extent, &x);
			if (x.hi >= WIN_PAGES ||
			    gpt_unmap(&pt, iova, n * SZ_4K, &g) != x.bytes)
				abort();
			memset(&model[x.lo], 0, (x.hi - x.lo + 1) * sizeof(model[0]));
		}
		}
		gpt_gather_free(&g);
		check(&pt, base);
	}
	gpt_gather_init(&g);
	gpt_unmap(&pt, 0, 1ULL << 48, &g);
	gpt_gather_free(&g);
	if (gpt_nr_tables(&pt) != 1)
		abort();
	gpt_destroy(&pt);
	rcu_barrier();
	if (shim_pages_live != live)
		abort();
	return 0;
}
