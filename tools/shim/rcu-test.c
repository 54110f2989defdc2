// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's RCU on its own: the userspace tests trust it to keep every
 * table a lockless reader may hold alive until a grace period has passed,
 * so a grace period that ends early would hide exactly the bugs they look
 * for.  The object a reader checks is read and retired with plain
 * accesses, so that the ThreadSanitizer build also checks that the end of
 * a read-side section happens-before the retirement.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <kunit/test.h>

#define RT_READERS	2
#define RT_OBJS		3
#define RT_LIVE		0x11
#define RT_DEAD		0xdd

struct rt_obj {
	long state;
};

struct rt_shared {
	struct rt_obj obj[RT_OBJS];
	struct rt_obj *cur;
	bool stop;
};

struct rt_reader {
	struct rt_shared *s;
	unsigned long reads;
	unsigned long dead;
};

static void *rt_reader_fn(void *arg)
{
	struct rt_reader *r = arg;
	struct rt_shared *s = r->s;

	while (!READ_ONCE(s->stop)) {
		struct rt_obj *p;
		bool dead = false;
		int k;

		rcu_read_lock();
		p = READ_ONCE(s->cur);
		/* Stay in the section a while: an early grace period lands here. */
		for (k = 0; k < 64; k++) {
			dead |= p->state != RT_LIVE;
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		}
		rcu_read_unlock();
		r->dead += dead;
		r->reads++;
	}
	return NULL;
}

/*
 * Readers read the published object all through a section while the
 * updater publishes the next one, waits for a grace period and marks the
 * old one dead: no reader may ever see a dead object.
 */
static void shim_rcu_grace_period(struct kunit *test)
{
	struct rt_reader r[RT_READERS] = {};
	pthread_t tid[RT_READERS];
	struct rt_shared s = {};
	unsigned long i, n = 4000;

	for (i = 0; i < RT_OBJS; i++)
		s.obj[i].state = RT_DEAD;
	s.obj[0].state = RT_LIVE;
	s.cur = &s.obj[0];
	for (i = 0; i < RT_READERS; i++) {
		r[i].s = &s;
		KUNIT_ASSERT_EQ(test, pthread_create(&tid[i], NULL, rt_reader_fn,
						     &r[i]), 0);
	}
	for (i = 0; i < n; i++) {
		struct rt_obj *next = &s.obj[(i + 1) % RT_OBJS], *old;

		/* Retired two grace periods ago: nobody can reach it. */
		next->state = RT_LIVE;
		old = __atomic_exchange_n(&s.cur, next, __ATOMIC_RELEASE);
		synchronize_rcu();
		old->state = RT_DEAD;
		if (!(i % 64))
			sched_yield();
	}
	WRITE_ONCE(s.stop, true);
	for (i = 0; i < RT_READERS; i++) {
		pthread_join(tid[i], NULL);
		KUNIT_EXPECT_EQ(test, r[i].dead, 0UL);
		KUNIT_EXPECT_GT(test, r[i].reads, 0UL);
	}
}

struct rt_nest {
	bool entered;
	bool release;
	bool gp_done;
};

static void *rt_nest_reader(void *arg)
{
	struct rt_nest *n = arg;

	rcu_read_lock();
	rcu_read_lock();
	rcu_read_unlock();
	__atomic_store_n(&n->entered, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&n->release, __ATOMIC_ACQUIRE))
		sched_yield();
	rcu_read_unlock();
	return NULL;
}

static void *rt_nest_updater(void *arg)
{
	struct rt_nest *n = arg;

	synchronize_rcu();
	__atomic_store_n(&n->gp_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* An inner unlock does not end the section: only the outermost does. */
static void shim_rcu_nested(struct kunit *test)
{
	struct rt_nest n = {};
	pthread_t reader, updater;

	KUNIT_ASSERT_EQ(test, pthread_create(&reader, NULL, rt_nest_reader, &n), 0);
	while (!__atomic_load_n(&n.entered, __ATOMIC_ACQUIRE))
		sched_yield();
	KUNIT_ASSERT_EQ(test, pthread_create(&updater, NULL, rt_nest_updater, &n), 0);
	usleep(50000);
	KUNIT_EXPECT_FALSE(test, __atomic_load_n(&n.gp_done, __ATOMIC_ACQUIRE));
	__atomic_store_n(&n.release, true, __ATOMIC_RELEASE);
	pthread_join(reader, NULL);
	pthread_join(updater, NULL);
	KUNIT_EXPECT_TRUE(test, __atomic_load_n(&n.gp_done, __ATOMIC_ACQUIRE));
}

static struct kunit_case shim_rcu_cases[] = {
	KUNIT_CASE(shim_rcu_grace_period),
	KUNIT_CASE(shim_rcu_nested),
	{}
};

static struct kunit_suite shim_rcu_suite = {
	.name = "shim_rcu",
	.test_cases = shim_rcu_cases,
};
kunit_test_suite(shim_rcu_suite);
