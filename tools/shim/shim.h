/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's API for lib-gpt's .c files, and the KUnit
 * suites, to compile unmodified in userspace: types, READ_ONCE and the
 * atomics (as C11 builtins, so ThreadSanitizer understands them), pages
 * with failure injection, and a small RCU whose grace periods really wait
 * for readers.
 */
#ifndef _GPT_SHIM_H
#define _GPT_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <assert.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef int32_t s32;
typedef u64 phys_addr_t;
typedef unsigned int gfp_t;

#define BITS_PER_LONG		64
#define U64_MAX			UINT64_MAX
#define BIT(n)			(1UL << (n))
#define BIT_ULL(n)		(1ULL << (n))
#define GENMASK_ULL(h, l)	((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define ALIGN(x, a)		(((x) + (a) - 1) & ~((typeof(x))(a) - 1))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define min_t(t, a, b)		min((t)(a), (t)(b))
#define min3(a, b, c)		min(min(a, b), c)
#define max_t(t, a, b)		max((t)(a), (t)(b))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)
#define container_of(p, t, m)	((t *)((char *)(p) - offsetof(t, m)))
#undef static_assert
#define static_assert(e)	_Static_assert(e, #e)
#define EXPORT_SYMBOL_GPL(s)
#define EXPORT_SYMBOL(s)
#define MODULE_DESCRIPTION(s)
#define MODULE_LICENSE(s)
#define MODULE_AUTHOR(s)
/* A module's init runs before main(), as a built-in's initcall runs at boot. */
#define __init
#define __exit
#define module_init(fn) \
	static void __attribute__((constructor)) __module_init_##fn(void) { fn(); }
#define module_exit(fn) \
	static void __attribute__((destructor)) __module_exit_##fn(void) { fn(); }
#define __maybe_unused		__attribute__((unused))
#define noinline		__attribute__((noinline))
#define fallthrough		__attribute__((__fallthrough__))
#define __always_unused		__attribute__((unused))
#define WARN_ON(c)		({ bool __c = !!(c); if (__c) fprintf(stderr, "WARN_ON %s:%d\n", __FILE__, __LINE__); __c; })
#define BUG_ON(c)		assert(!(c))
#define pr_info(...)		printf(__VA_ARGS__)
#define pr_err(...)		fprintf(stderr, __VA_ARGS__)
#define pr_warn(...)		fprintf(stderr, __VA_ARGS__)

static inline unsigned long __ffs(unsigned long x) { return __builtin_ctzl(x); }
static inline int ilog2(u64 x) { return 63 - __builtin_clzll(x); }

/* ---- memory ordering ------------------------------------------------- */
/*
 * The kernel orders a reader's loads through the address dependency on
 * the entry it read; acquire is the C11 model of that.  WRITE_ONCE()
 * orders nothing in the kernel, so here it is a relaxed store: a table
 * published with it instead of a cmpxchg or smp_store_release() shows up
 * as a race under ThreadSanitizer.
 */
#ifdef SHIM_PREEMPT
/*
 * The hardware-model build: any access to shared memory may be where the
 * thread is preempted, so that races show up even on one core.
 */
extern unsigned int shim_preempt_every;
void shim_preempt_point(void);
#define READ_ONCE(x)		({ shim_preempt_point(); __atomic_load_n(&(x), __ATOMIC_ACQUIRE); })
#define WRITE_ONCE(x, v)	({ shim_preempt_point(); __atomic_store_n(&(x), (v), __ATOMIC_RELAXED); })
#else
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#endif
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xchg(p, v)		__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define try_cmpxchg(p, oldp, new) \
	__atomic_compare_exchange_n((p), (oldp), (new), false, \
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define try_cmpxchg64(p, oldp, new)	try_cmpxchg(p, oldp, new)

typedef struct { long counter; } atomic_long_t;
typedef struct { s64 counter; } atomic64_t;
typedef struct { int counter; } atomic_t;
#define atomic_long_read(a)	__atomic_load_n(&(a)->counter, __ATOMIC_RELAXED)
#define atomic_long_set(a, v)	__atomic_store_n(&(a)->counter, (v), __ATOMIC_RELAXED)
#define atomic_long_inc(a)	__atomic_fetch_add(&(a)->counter, 1, __ATOMIC_RELAXED)
#define atomic_long_dec(a)	__atomic_fetch_sub(&(a)->counter, 1, __ATOMIC_RELAXED)
#define atomic_long_inc_return(a) __atomic_add_fetch(&(a)->counter, 1, __ATOMIC_RELAXED)
#define atomic_read(a)		__atomic_load_n(&(a)->counter, __ATOMIC_SEQ_CST)
#define atomic_set(a, v)	__atomic_store_n(&(a)->counter, (v), __ATOMIC_RELAXED)
#define atomic_inc(a)		__atomic_fetch_add(&(a)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic_dec(a)		__atomic_fetch_sub(&(a)->counter, 1, __ATOMIC_SEQ_CST)
#define atomic64_fetch_andnot(m, a) \
	((u64)__atomic_fetch_and(&(a)->counter, ~(s64)(m), __ATOMIC_SEQ_CST))

/* ---- lists ---------------------------------------------------------------- */
struct list_head { struct list_head *next, *prev; };
#define LIST_HEAD(n)		struct list_head n = { &(n), &(n) }
static inline void INIT_LIST_HEAD(struct list_head *h) { h->next = h->prev = h; }
static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev; n->next = h; h->prev->next = n; h->prev = n;
}
static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next; n->next->prev = n->prev;
}
static inline bool list_empty(const struct list_head *h) { return h->next == h; }
static inline void list_del_init(struct list_head *n)
{
	list_del(n);
	INIT_LIST_HEAD(n);
}
static inline bool list_empty_careful(const struct list_head *h)
{
	return __atomic_load_n(&h->next, __ATOMIC_ACQUIRE) == h;
}
static inline void list_splice_tail_init(struct list_head *from, struct list_head *to)
{
	if (list_empty(from))
		return;
	from->next->prev = to->prev;
	to->prev->next = from->next;
	from->prev->next = to;
	to->prev = from->prev;
	INIT_LIST_HEAD(from);
}
static inline void list_splice_init(struct list_head *from, struct list_head *to)
{
	if (list_empty(from))
		return;
	from->prev->next = to->next;
	to->next->prev = from->prev;
	to->next = from->next;
	from->next->prev = to;
	INIT_LIST_HEAD(from);
}
static inline void list_move_tail(struct list_head *n, struct list_head *h)
{
	list_del(n);
	list_add_tail(n, h);
}
#define list_for_each(p, head) for (p = (head)->next; p != (head); p = p->next)
#define list_for_each_entry(pos, head, m) \
	for (pos = list_entry((head)->next, typeof(*pos), m); &pos->m != (head); \
	     pos = list_entry(pos->m.next, typeof(*pos), m))

/* ---- spinlocks ------------------------------------------------------------ */
typedef struct { int locked; } spinlock_t;
#define DEFINE_SPINLOCK(n)	spinlock_t n = { 0 }
static inline void spin_lock_init(spinlock_t *l) { l->locked = 0; }
static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		;
}
static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
/* No interrupts here: the flags only keep the kernel's calling convention. */
static inline bool irqs_disabled(void) { return false; }
#define spin_lock_irqsave(l, flags)	 do { (flags) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, flags) do { (void)(flags); spin_unlock(l); } while (0)
#define list_entry(p, t, m)	container_of(p, t, m)
#define list_for_each_entry_safe(pos, n, head, m) \
	for (pos = list_entry((head)->next, typeof(*pos), m), \
	     n = list_entry(pos->m.next, typeof(*pos), m); \
	     &pos->m != (head); pos = n, n = list_entry(n->m.next, typeof(*n), m))

/* ---- RCU -------------------------------------------------------------------- */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

/*
 * The read side is inline and has no locked instruction, as the kernel's
 * (a per-task counter or nothing): a lookup should not pay here what it
 * does not pay there.  What orders it against a grace period is in
 * shim.c, beside the grace period; rcu_reader_fence is set only where the
 * membarrier() that grace periods rely on is not available.
 */
extern __thread u64 *rcu_my_counter;
extern __thread int rcu_nesting;
extern bool rcu_reader_fence;
u64 *rcu_register_reader(void);

/* Only the owning thread writes its counter: no read-modify-write needed. */
static inline void rcu_counter_step(u64 *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

static inline void rcu_read_lock(void)
{
	u64 *c = rcu_my_counter;

	if (unlikely(!c))
		c = rcu_register_reader();
	if (likely(rcu_nesting++ == 0)) {
		rcu_counter_step(c);
		if (unlikely(rcu_reader_fence))
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		else
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
}

static inline void rcu_read_unlock(void)
{
	if (likely(--rcu_nesting == 0))
		rcu_counter_step(rcu_my_counter);
}

void synchronize_rcu(void);
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void rcu_barrier(void);
unsigned long get_state_synchronize_rcu(void);
unsigned long start_poll_synchronize_rcu(void);
bool poll_state_synchronize_rcu(unsigned long cookie);
/* One flavour of grace period here: the full state is the plain cookie. */
struct rcu_gp_oldstate {
	unsigned long rgos_norm;
};
static inline void get_state_synchronize_rcu_full(struct rcu_gp_oldstate *s)
{
	s->rgos_norm = get_state_synchronize_rcu();
}
static inline void start_poll_synchronize_rcu_full(struct rcu_gp_oldstate *s)
{
	s->rgos_norm = start_poll_synchronize_rcu();
}
static inline bool poll_state_synchronize_rcu_full(struct rcu_gp_oldstate *s)
{
	return poll_state_synchronize_rcu(s->rgos_norm);
}

/* ---- pages -------------------------------------------------------------- */
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define GFP_KERNEL		0x1u
#define GFP_ATOMIC		0x2u
#define GFP_NOWAIT		0x4u
#define __GFP_ZERO		0x100u
#define __GFP_NOWARN		0x200u

/* The 4 KiB of data come first, so the page's address is the data's. */
struct page {
	struct list_head lru;
	struct rcu_head rcu_head;
	unsigned long private;
};
#define page_private(p)		((p)->private)
#define set_page_private(p, v)	((p)->private = (v))
#define list_first_entry(h, t, m)	list_entry((h)->next, t, m)
struct page *alloc_page(gfp_t gfp);
void __free_page(struct page *page);
void free_page(unsigned long addr);
void *page_address(struct page *page);
static inline void clear_page(void *addr) { memset(addr, 0, PAGE_SIZE); }
struct page *virt_to_page(const void *addr);
static inline u64 virt_to_phys(const void *p) { return (u64)(uintptr_t)p; }
static inline void *phys_to_virt(u64 pa) { return (void *)(uintptr_t)pa; }
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
void kfree(const void *p);
#define kvcalloc kcalloc
#define kvfree kfree

/* Failure injection: fail the Nth allocation from now (0 = never). */
extern __thread long shim_fail_countdown;
/* Fail every allocation of this thread while set. */
extern __thread bool shim_fail_all;
extern long shim_pages_live;
/* Hooks for tools/hwmodel: a page was allocated, is being freed, failed. */
extern void (*shim_page_alloc_hook)(void *data);
extern void (*shim_page_free_hook)(void *data);
extern void (*shim_alloc_fail_hook)(void);
/* 4 KiB of scratch that belongs to the page holding @addr. */
u64 *shim_page_shadow(const void *addr);

/* ---- random ---------------------------------------------------------------- */
struct rnd_state { u64 s; };
static inline void prandom_seed_state(struct rnd_state *st, u64 seed)
{
	st->s = seed ? seed : 0x9e3779b97f4a7c15ULL;
}
static inline u32 prandom_u32_state(struct rnd_state *st)
{
	/* xorshift64* */
	st->s ^= st->s >> 12;
	st->s ^= st->s << 25;
	st->s ^= st->s >> 27;
	return (u32)((st->s * 0x2545f4914f6cdd1dULL) >> 32);
}

#endif /* _GPT_SHIM_H */
