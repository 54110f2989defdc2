// SPDX-License-Identifier: GPL-2.0
/*
 * The IOMMU model of hwmodel.h: shadow memory for non-coherent walkers,
 * an IOTLB and paging-structure caches that hold what was walked until a
 * flush covers it, and checks on every table page freed.
 */
#include <sched.h>
#include <stdarg.h>
#include "shim.h"
#include "hwmodel.h"

/* The shim's page hooks are global: one model is active at a time. */
static struct hw *hw_current;

void hw_error(struct hw *hw, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&hw->errors, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(hw->what, sizeof(hw->what), fmt, ap);
	va_end(ap);
}

int hw_errors(struct hw *hw)
{
	if (__atomic_load_n(&hw->errors, __ATOMIC_SEQ_CST))
		printf("    # hwmodel: %d error(s), first: %s\n", hw->errors, hw->what);
	return __atomic_load_n(&hw->errors, __ATOMIC_SEQ_CST);
}

static void hw_page_alloc(void *data)
{
	u64 *shadow = shim_page_shadow(data);
	int i;

	/* Whatever the page held before: a walker must never read it. */
	for (i = 0; i < GPT_ENTRIES; i++)
		__atomic_store_n(&shadow[i], HW_POISON, __ATOMIC_RELAXED);
}

/* @data leaves lib-gpt's hands: the walker must not hold it any more. */
static void hw_check_gone(struct hw *hw, const void *data, const char *how)
{
	unsigned int i;

	pthread_mutex_lock(&hw->lock);
	for (i = 0; i < hw->nr_psc; i++) {
		if (hw->psc[i].table != data)
			continue;
		hw_error(hw, "table %p (IOVA %llx-%llx) %s while the walker may still hold it",
			 data, (unsigned long long)hw->psc[i].start,
			 (unsigned long long)hw->psc[i].last, how);
		hw->psc[i] = hw->psc[--hw->nr_psc];
		break;
	}
	pthread_mutex_unlock(&hw->lock);
}

static void hw_page_free(void *data)
{
	if (hw_current)
		hw_check_gone(hw_current, data, "freed");
}

/* cfg->sync: write entries back to the memory the walker reads. */
static void hw_sync(void *cookie, void *ptr, size_t len)
{
	struct hw *hw = cookie;
	u64 *cpu = ptr, *shadow = shim_page_shadow(ptr) + ((uintptr_t)ptr & (PAGE_SIZE - 1)) / 8;
	size_t i;

	if (hw->sync_yield &&
	    !(__atomic_fetch_add(&hw->syncs, 1, __ATOMIC_RELAXED) % hw->sync_yield))
		sched_yield();
	for (i = 0; i < len / sizeof(u64); i++)
		__atomic_store_n(&shadow[i], __atomic_load_n(&cpu[i], __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
}

void hw_init(struct hw *hw, const struct hw_walker *w, bool coherent,
	     struct gpt_cfg *cfg)
{
	memset(hw, 0, sizeof(*hw));
	hw->w = w;
	hw->coherent = coherent;
	pthread_mutex_init(&hw->lock, NULL);
	if (!coherent) {
		cfg->sync = hw_sync;
		cfg->cookie = hw;
	}
	hw_current = hw;
	shim_page_alloc_hook = hw_page_alloc;
	shim_page_free_hook = hw_page_free;
}

void hw_attach(struct hw *hw, struct gpt *pt)
{
	hw->pt = pt;
}

void hw_fini(struct hw *hw)
{
	shim_page_alloc_hook = NULL;
	shim_page_free_hook = NULL;
	shim_alloc_fail_hook = NULL;
	hw_current = NULL;
	pthread_mutex_destroy(&hw->lock);
}

static void hw_psc_add(struct hw *hw, const void *table, u64 start, u64 last)
{
	unsigned int i;

	for (i = 0; i < hw->nr_psc; i++) {
		if (hw->psc[i].table != table)
			continue;
		hw->psc[i].start = min(hw->psc[i].start, start);
		hw->psc[i].last = max(hw->psc[i].last, last);
		return;
	}
	/* A full cache evicts; an evicted entry is no longer held. */
	if (hw->nr_psc < HW_PSC_SIZE)
		hw->psc[hw->nr_psc++] = (struct hw_psc_entry){ table, start, last };
}

static u64 hw_read(struct hw *hw, u64 *table, unsigned int i)
{
	if (hw->coherent)
		return __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
	return __atomic_load_n(&shim_page_shadow(table)[i], __ATOMIC_ACQUIRE);
}

/*
 * Set accessed (and dirty) bits as the hardware does: an atomic update of
 * the entry it used; if the entry changed since, the walk starts again.
 */
static bool hw_set_ad(struct hw *hw, u64 *p, u64 e, bool write)
{
	u64 bits = hw->w->accessed | (write ? hw->w->dirty : 0);

	if (!hw->coherent || !bits || (e & bits) == bits)
		return true;
	return __atomic_compare_exchange_n(p, &e, e | bits, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

static int hw_walk(struct hw *hw, u64 iova, bool write, struct hw_decoded *d)
{
	unsigned int levels, level;
	u64 top, *table;

again:
	gpt_top(hw->pt, &top, &levels);
	table = phys_to_virt(top);
	for (level = levels - 1; ; level--) {
		unsigned int shift = GPT_PAGE_SHIFT + (level + 1) * GPT_LEVEL_BITS;
		u64 span = shift >= 64 ? ~0ULL : (1ULL << shift) - 1;
		unsigned int i = (iova >> (GPT_PAGE_SHIFT + level * GPT_LEVEL_BITS)) &
				 (GPT_ENTRIES - 1);
		u64 e;

		if (level == levels - 1 && levels * GPT_LEVEL_BITS + GPT_PAGE_SHIFT < 64 &&
		    iova >> (levels * GPT_LEVEL_BITS + GPT_PAGE_SHIFT))
			return -EFAULT;
		hw_psc_add(hw, table, iova & ~span, iova | span);
		e = hw_read(hw, table, i);
		if (e == HW_POISON) {
			hw_error(hw, "IOVA %llx: level %u entry never written back (sync)",
				 (unsigned long long)iova, level);
			return -EFAULT;
		}
		switch (hw->w->decode(e, level, iova, d)) {
		case HW_NONE:
			return -EFAULT;
		case HW_LEAF:
			if (!hw_set_ad(hw, &table[i], e, write))
				goto again;
			return 0;
		case HW_TABLE:
			if (!level) {
				hw_error(hw, "IOVA %llx: table entry at level 0",
					 (unsigned long long)iova);
				return -EFAULT;
			}
			table = phys_to_virt(d->addr);
			break;
		}
	}
}

/**
 * hw_translate() - one DMA access
 * @hw: the model
 * @iova: address the device uses
 * @write: a write (needs write permission, sets dirty)
 * @use_tlb: consult the IOTLB first, as the device does; false for a walk
 *	of what memory holds now
 * @pa: the translation
 *
 * Return: 0, or -EFAULT when the access faults.
 */
int hw_translate(struct hw *hw, u64 iova, bool write, bool use_tlb, u64 *pa)
{
	struct hw_decoded d = { 0 };
	unsigned int i;
	int ret;

	pthread_mutex_lock(&hw->lock);
	for (i = 0; use_tlb && i < HW_TLB_SIZE; i++) {
		struct hw_tlb_entry *t = &hw->tlb[i];

		if (t->valid && iova - t->iova < t->size) {
			ret = write && !(t->prot & GPT_WRITE) ? -EFAULT : 0;
			*pa = t->pa + (iova - t->iova);
			pthread_mutex_unlock(&hw->lock);
			return ret;
		}
	}
	ret = hw_walk(hw, iova, write, &d);
	if (!ret && write && !(d.prot & GPT_WRITE))
		ret = -EFAULT;
	if (!ret) {
		struct hw_tlb_entry *t = &hw->tlb[hw->tlb_next++ % HW_TLB_SIZE];

		t->iova = iova & ~(d.size - 1);
		t->size = d.size;
		t->pa = d.addr - (iova & (d.size - 1));
		t->prot = d.prot;
		t->valid = true;
		*pa = d.addr;
	}
	pthread_mutex_unlock(&hw->lock);
	return ret;
}

/* IOTLB and paging-structure caches for [@start, @last]. */
void hw_flush(struct hw *hw, u64 start, u64 last)
{
	unsigned int i;

	pthread_mutex_lock(&hw->lock);
	hw->flushes++;
	for (i = 0; i < HW_TLB_SIZE; i++) {
		struct hw_tlb_entry *t = &hw->tlb[i];

		if (t->valid && t->iova <= last && start <= t->iova + t->size - 1)
			t->valid = false;
	}
	for (i = 0; i < hw->nr_psc; ) {
		if (hw->psc[i].start <= last && start <= hw->psc[i].last)
			hw->psc[i] = hw->psc[--hw->nr_psc];
		else
			i++;
	}
	pthread_mutex_unlock(&hw->lock);
}

/*
 * What a driver does after a call: flush what the gather says a walker
 * may have cached, then free the tables.
 */
void hw_release(struct hw *hw, struct gpt_gather *g, u64 iova, u64 last)
{
	struct page *page;

	if (g->flush || g->nr_tables) {
		if (g->start <= g->last) {
			iova = min(iova, g->start);
			last = max(last, g->last);
		}
		hw_flush(hw, iova, last);
	}
	/*
	 * The tree's cache may keep these pages for its next maps rather
	 * than free them: check them as they are handed back.
	 */
	list_for_each_entry(page, &g->tables, lru)
		hw_check_gone(hw, page_address(page), "released");
	gpt_gather_free(g);
}

u64 hw_unmap(struct hw *hw, u64 iova, u64 size)
{
	struct gpt_gather g;
	u64 bytes;

	gpt_gather_init(&g);
	bytes = gpt_unmap(hw->pt, iova, size, &g);
	hw_release(hw, &g, iova, iova + size - 1);
	return bytes;
}

int hw_map(struct hw *hw, u64 iova, u64 pa, u64 size, unsigned int prot)
{
	struct gpt_gather g;
	int ret;

	gpt_gather_init(&g);
	ret = gpt_map(hw->pt, iova, pa, size, prot, &g, GFP_KERNEL);
	hw_release(hw, &g, iova, iova + size - 1);
	return ret;
}

int hw_map_pfns(struct hw *hw, u64 iova, const unsigned long *pfns,
		unsigned long npages, unsigned int prot)
{
	struct gpt_gather g;
	int ret;

	gpt_gather_init(&g);
	ret = gpt_map_pfns(hw->pt, iova, pfns, npages, prot, &g, GFP_KERNEL);
	hw_release(hw, &g, iova, iova + npages * PAGE_SIZE - 1);
	return ret;
}

int hw_update_pfns(struct hw *hw, u64 iova, const unsigned long *pfns,
		   unsigned long npages, unsigned int prot, bool *flushed)
{
	struct gpt_gather g;
	int ret;

	gpt_gather_init(&g);
	ret = gpt_update_pfns(hw->pt, iova, pfns, npages, prot, &g, GFP_KERNEL);
	if (flushed)
		*flushed = g.flush || g.nr_tables;
	hw_release(hw, &g, iova, iova + npages * PAGE_SIZE - 1);
	return ret;
}
