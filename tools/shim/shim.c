// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace stand-ins for the kernel services lib-gpt uses: page
 * allocation (with failure injection and a live-page count for leak
 * checks) and RCU.
 *
 * The RCU is deliberately simple but real: every reader thread owns a
 * counter that is odd inside a read-side critical section, and a grace
 * period waits until each counter seen odd has moved on (how it is
 * ordered, and what ThreadSanitizer sees of it, is below).
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shim.h"

__thread long shim_fail_countdown;
__thread bool shim_fail_all;
long shim_pages_live;
void (*shim_page_alloc_hook)(void *data);
void (*shim_page_free_hook)(void *data);
void (*shim_alloc_fail_hook)(void);

/*
 * Each page carries a second 4 KiB, for a model of what a walker that
 * does not snoop CPU caches sees of it (tools/hwmodel).
 */
struct shim_page {
	char data[PAGE_SIZE];
	u64 shadow[PAGE_SIZE / sizeof(u64)];
	struct page page;
};

static bool shim_should_fail(void)
{
	bool fail = shim_fail_all;

	if (!fail && shim_fail_countdown > 0)
		fail = --shim_fail_countdown == 0;
	if (fail && shim_alloc_fail_hook)
		shim_alloc_fail_hook();
	return fail;
}

#ifdef SHIM_PREEMPT
unsigned int shim_preempt_every;
static __thread u64 shim_preempt_rnd;

void shim_preempt_point(void)
{
	unsigned int every = __atomic_load_n(&shim_preempt_every, __ATOMIC_RELAXED);

	if (!every)
		return;
	if (!shim_preempt_rnd)
		shim_preempt_rnd = (uintptr_t)&shim_preempt_rnd | 1;
	shim_preempt_rnd ^= shim_preempt_rnd << 13;
	shim_preempt_rnd ^= shim_preempt_rnd >> 7;
	shim_preempt_rnd ^= shim_preempt_rnd << 17;
	if (!(shim_preempt_rnd % every))
		sched_yield();
}
#endif

u64 *shim_page_shadow(const void *addr)
{
	uintptr_t a = (uintptr_t)addr & ~(PAGE_SIZE - 1);

	return ((struct shim_page *)a)->shadow;
}

/*
 * Freed pages are kept for reuse, as the kernel's allocator keeps them,
 * rather than returned to malloc, which may hand them back to the OS and
 * make every reuse a page fault.  ASan builds keep malloc's checking.
 */
static pthread_mutex_t shim_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_page *shim_pool;

#if defined(__SANITIZE_ADDRESS__)
#define SHIM_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHIM_POOL 0
#endif
#endif
#ifndef SHIM_POOL
#define SHIM_POOL 1
#endif

struct page *alloc_page(gfp_t gfp)
{
	struct shim_page *p = NULL;

	if (shim_should_fail())
		return NULL;
	if (SHIM_POOL) {
		pthread_mutex_lock(&shim_pool_lock);
		p = shim_pool;
		if (p)
			shim_pool = *(struct shim_page **)p;
		pthread_mutex_unlock(&shim_pool_lock);
	}
	if (!p && posix_memalign((void **)&p, PAGE_SIZE, sizeof(*p)))
		return NULL;
	memset(p->data, 0, PAGE_SIZE);
	__atomic_fetch_add(&shim_pages_live, 1, __ATOMIC_RELAXED);
	if (shim_page_alloc_hook)
		shim_page_alloc_hook(p->data);
	return &p->page;
}

void *page_address(struct page *page)
{
	return container_of(page, struct shim_page, page)->data;
}

struct page *virt_to_page(const void *addr)
{
	uintptr_t a = (uintptr_t)addr & ~(PAGE_SIZE - 1);

	return &((struct shim_page *)a)->page;
}

void __free_page(struct page *page)
{
	struct shim_page *p = container_of(page, struct shim_page, page);

	if (shim_page_free_hook)
		shim_page_free_hook(p->data);
	__atomic_fetch_sub(&shim_pages_live, 1, __ATOMIC_RELAXED);
	if (!SHIM_POOL) {
		free(p);
		return;
	}
	pthread_mutex_lock(&shim_pool_lock);
	*(struct shim_page **)p = shim_pool;
	shim_pool = p;
	pthread_mutex_unlock(&shim_pool_lock);
}

void free_page(unsigned long addr)
{
	__free_page(virt_to_page((void *)addr));
}

void *kmalloc(size_t size, gfp_t gfp)
{
	if (shim_should_fail())
		return NULL;
	return malloc(size);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kcalloc(1, size, gfp);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (shim_should_fail())
		return NULL;
	return calloc(n, size);
}

void kfree(const void *p)
{
	free((void *)p);
}

/* ---- RCU ------------------------------------------------------------------ */
/*
 * Our own RCU rather than liburcu's, on purpose: the edge a freed table
 * depends on, a reader's last access before its section ends to the free
 * after the grace period, is a release store and an acquire load here,
 * which ThreadSanitizer models exactly: the TSan build sees it and still
 * reports a table freed under a reader.  Each reader thread owns a slot
 * whose counter is odd inside a read-side section; a grace period waits
 * until every odd counter it saw has moved.
 *
 * The other edge, a section's first load after its counter store, is
 * what a store buffer can reorder.  The reader does not fence it (the
 * kernel's rcu_read_lock() does not either): the grace period does, with
 * membarrier(), which runs a full barrier on every thread of the process
 * before the slots are read, so a reader's counter store is either seen
 * by the scan or its loads come after that barrier and see the updater's
 * unpublish.  Where membarrier() is not available, rcu_reader_fence makes
 * readers fence for themselves.  TSan does not model store buffers, so it
 * neither needs nor sees this half.
 */
#define RCU_SLOTS 1024

static u64 rcu_slot[RCU_SLOTS];
static unsigned int rcu_nr_slots;
__thread u64 *rcu_my_counter;
__thread int rcu_nesting;
bool rcu_reader_fence;

static bool rcu_membarrier(int cmd)
{
	return !syscall(__NR_membarrier, cmd, 0, 0);
}

/* Before main(), so before any reader: the choice never changes under one. */
static void __attribute__((constructor)) rcu_init(void)
{
	rcu_reader_fence =
		!rcu_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

/* A thread's first rcu_read_lock() takes it a slot, for good. */
u64 *rcu_register_reader(void)
{
	unsigned int slot = __atomic_fetch_add(&rcu_nr_slots, 1, __ATOMIC_SEQ_CST);

	assert(slot < RCU_SLOTS);
	rcu_my_counter = &rcu_slot[slot];
	return rcu_my_counter;
}

/*
 * Grace periods are numbered as they begin; a cookie is the number of the
 * last one begun, and any that begins later and ends covers it.
 */
static unsigned long rcu_gp_begun, rcu_gp_ended;

unsigned long get_state_synchronize_rcu(void)
{
	return __atomic_load_n(&rcu_gp_begun, __ATOMIC_SEQ_CST);
}

/* Grace periods here run only when someone waits for one. */
unsigned long start_poll_synchronize_rcu(void)
{
	return get_state_synchronize_rcu();
}

bool poll_state_synchronize_rcu(unsigned long cookie)
{
	return __atomic_load_n(&rcu_gp_ended, __ATOMIC_SEQ_CST) > cookie;
}

void synchronize_rcu(void)
{
	unsigned long gp = __atomic_add_fetch(&rcu_gp_begun, 1, __ATOMIC_SEQ_CST);
	unsigned long ended;
	unsigned int i, n;

	if (!rcu_reader_fence &&
	    !rcu_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		abort();
	n = __atomic_load_n(&rcu_nr_slots, __ATOMIC_SEQ_CST);
	for (i = 0; i < n && i < RCU_SLOTS; i++) {
		u64 seen = __atomic_load_n(&rcu_slot[i], __ATOMIC_SEQ_CST);

		if (!(seen & 1))
			continue;
		while (__atomic_load_n(&rcu_slot[i], __ATOMIC_SEQ_CST) == seen)
			sched_yield();
	}
	ended = __atomic_load_n(&rcu_gp_ended, __ATOMIC_SEQ_CST);
	while (ended < gp &&
	       !__atomic_compare_exchange_n(&rcu_gp_ended, &ended, gp, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

/* Callbacks run in the order they were queued, as the kernel's do. */
static pthread_mutex_t rcu_cb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_head *rcu_cb_list, **rcu_cb_tail = &rcu_cb_list;
static unsigned long rcu_cb_count;

static void rcu_run(struct rcu_head *list)
{
	synchronize_rcu();
	while (list) {
		struct rcu_head *next = list->next;

		list->func(list);
		list = next;
	}
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	struct rcu_head *batch = NULL;

	head->func = func;
	head->next = NULL;
	pthread_mutex_lock(&rcu_cb_lock);
	*rcu_cb_tail = head;
	rcu_cb_tail = &head->next;
	if (++rcu_cb_count >= 4096) {
		batch = rcu_cb_list;
		rcu_cb_list = NULL;
		rcu_cb_tail = &rcu_cb_list;
		rcu_cb_count = 0;
	}
	pthread_mutex_unlock(&rcu_cb_lock);
	if (batch)
		rcu_run(batch);
}

void rcu_barrier(void)
{
	struct rcu_head *batch;

	pthread_mutex_lock(&rcu_cb_lock);
	batch = rcu_cb_list;
	rcu_cb_list = NULL;
	rcu_cb_tail = &rcu_cb_list;
	rcu_cb_count = 0;
	pthread_mutex_unlock(&rcu_cb_lock);
	rcu_run(batch);
}
