/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of the IOMMU hardware that walks a lib-gpt table, for the
 * userspace tests.
 *
 * What the real walker does and CPU-side tests cannot see:
 *
 *  - It reads memory, not CPU caches: a non-coherent walker sees an entry
 *    only after cfg->sync() wrote it back.  The model keeps a shadow of
 *    every table page that only sync() updates; a page nobody synced
 *    reads as poison.
 *  - It caches: translations in an IOTLB, and the tables it walked in
 *    paging-structure caches, until the caller's flush covers them.  A
 *    table freed while it may still sit in those caches is an error, and
 *    so is a translation that survives the flush of the call that removed
 *    it.
 *  - It sets the accessed and dirty bits of the leaves it uses, with an
 *    atomic read-modify-write, concurrently with the CPU.
 *
 * A walk holds the model's lock throughout, so a flush waits for walks in
 * flight, as an invalidation's completion does.
 */
#ifndef _GPT_HWMODEL_H
#define _GPT_HWMODEL_H

#include <pthread.h>
#include <linux/gpt.h>

enum hw_kind { HW_NONE, HW_TABLE, HW_LEAF };

struct hw_decoded {
	u64 addr;		/* table: its address; leaf: pa of the iova */
	u64 size;		/* leaf: bytes the leaf (or run) maps */
	unsigned int prot;
};

/* One format, as the hardware decodes it. */
struct hw_walker {
	const char *name;
	enum hw_kind (*decode)(u64 e, unsigned int level, u64 iova,
			       struct hw_decoded *d);
	u64 accessed;		/* set on every use of a leaf */
	u64 dirty;		/* set on a write through a leaf */
};

extern const struct hw_walker hw_walker_vtd_ss, hw_walker_amd_v1,
	hw_walker_x86_64, hw_walker_arm_lpae_s1;

#define HW_TLB_SIZE	64
#define HW_PSC_SIZE	4096
/* What a walker reads in a table page that no sync() wrote back. */
#define HW_POISON	0x5a5a5a5a5a5a5a5aULL

struct hw_tlb_entry {
	u64 iova;
	u64 size;
	u64 pa;
	unsigned int prot;
	bool valid;
};

struct hw_psc_entry {
	const void *table;
	u64 start;
	u64 last;
};

struct hw {
	struct gpt *pt;
	const struct hw_walker *w;
	bool coherent;
	/* yield inside every Nth sync(), to widen the races around it */
	unsigned int sync_yield;
	pthread_mutex_t lock;
	struct hw_tlb_entry tlb[HW_TLB_SIZE];
	unsigned int tlb_next;
	struct hw_psc_entry psc[HW_PSC_SIZE];
	unsigned int nr_psc;
	unsigned long syncs;
	unsigned long flushes;
	int errors;
	char what[256];
};

void hw_init(struct hw *hw, const struct hw_walker *w, bool coherent,
	     struct gpt_cfg *cfg);
void hw_attach(struct hw *hw, struct gpt *pt);
void hw_fini(struct hw *hw);
int hw_translate(struct hw *hw, u64 iova, bool write, bool use_tlb, u64 *pa);
void hw_flush(struct hw *hw, u64 start, u64 last);
void hw_error(struct hw *hw, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int hw_errors(struct hw *hw);

/* The driver side: each call, then the flush its gather asks for. */
u64 hw_unmap(struct hw *hw, u64 iova, u64 size);
int hw_map(struct hw *hw, u64 iova, u64 pa, u64 size, unsigned int prot);
int hw_map_pfns(struct hw *hw, u64 iova, const unsigned long *pfns,
		unsigned long npages, unsigned int prot);
int hw_update_pfns(struct hw *hw, u64 iova, const unsigned long *pfns,
		   unsigned long npages, unsigned int prot, bool *flushed);
void hw_release(struct hw *hw, struct gpt_gather *g, u64 iova, u64 last);

#endif /* _GPT_HWMODEL_H */
