/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lib-gpt interfaces for tests and debugging only: not part of the API a
 * driver uses, and free to change.
 */
#ifndef _LINUX_GPT_TEST_H
#define _LINUX_GPT_TEST_H

#include <linux/gpt.h>

struct shrinker;

u64 *gpt_leaf_entry(struct gpt *pt, u64 iova, unsigned int *level);
struct shrinker *gpt_cache_shrinker(void);

#endif /* _LINUX_GPT_TEST_H */
