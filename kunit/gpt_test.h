/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the lib-gpt KUnit suites and benchmark. */
#ifndef _GPT_TEST_H
#define _GPT_TEST_H

#include <linux/gpt.h>

/*
 * Unmap and free the released tables at once: fine in a test, where no
 * IOTLB caches the entries.  A real user flushes in between.
 */
static inline u64 gpt_test_unmap(struct gpt *pt, u64 iova, u64 size)
{
	struct gpt_gather g;
	u64 bytes;

	gpt_gather_init(&g);
	bytes = gpt_unmap(pt, iova, size, &g);
	gpt_gather_free(&g);
	return bytes;
}

/* Map, and free at once what the map replaced or rolled back. */
static inline int gpt_test_map(struct gpt *pt, u64 iova, u64 pa, u64 size,
			       unsigned int prot, gfp_t gfp)
{
	struct gpt_gather g;
	int ret;

	gpt_gather_init(&g);
	ret = gpt_map(pt, iova, pa, size, prot, &g, gfp);
	gpt_gather_free(&g);
	return ret;
}

static inline int gpt_test_map_pfns(struct gpt *pt, u64 iova,
				    const unsigned long *pfns,
				    unsigned long npages, unsigned int prot,
				    gfp_t gfp)
{
	struct gpt_gather g;
	int ret;

	gpt_gather_init(&g);
	ret = gpt_map_pfns(pt, iova, pfns, npages, prot, &g, gfp);
	gpt_gather_free(&g);
	return ret;
}

#endif /* _GPT_TEST_H */
