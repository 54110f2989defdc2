/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shrinker interface as lib-gpt uses it: registration only records the
 * callbacks, and nothing calls them but a test, as memory pressure would.
 */
#ifndef _SHIM_LINUX_SHRINKER_H
#define _SHIM_LINUX_SHRINKER_H

#include "../shim.h"

#define SHRINK_STOP	(~0UL)
#define SHRINK_EMPTY	(~0UL - 1)

struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
};

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *s,
				       struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *s,
				      struct shrink_control *sc);
	bool registered;
};

static inline struct shrinker *shrinker_alloc(unsigned int flags,
					      const char *name, ...)
{
	return calloc(1, sizeof(struct shrinker));
}

static inline void shrinker_register(struct shrinker *s)
{
	s->registered = true;
}

static inline void shrinker_free(struct shrinker *s)
{
	free(s);
}

#endif /* _SHIM_LINUX_SHRINKER_H */
