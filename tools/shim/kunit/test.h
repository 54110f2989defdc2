/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A userspace KUnit: the subset of <kunit/test.h> the gpt suites use, so
 * the very same test file runs under kunit.py and as a plain program that
 * prints KTAP.  An ASSERT failure ends the case with longjmp, as the
 * kernel's ends the case's kthread.
 */
#ifndef _GPT_SHIM_KUNIT_TEST_H
#define _GPT_SHIM_KUNIT_TEST_H

#include <setjmp.h>
#include <inttypes.h>
#include "../shim.h"

typedef void (kunit_action_t)(void *);

/* Deferred actions, run last-in first-out when the case ends. */
struct kunit_shim_action {
	kunit_action_t *fn;
	void *ctx;
	struct kunit_shim_action *next;
};

struct kunit {
	const char *name;
	void *priv;
	bool failed;
	bool skipped;
	jmp_buf abort;
	struct kunit_shim_action *actions;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char name[256];
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(f)		{ .run_case = f, .name = #f }
#define KUNIT_CASE_SLOW(f)	KUNIT_CASE(f)

void kunit_shim_register(struct kunit_suite **suites, int n);
int kunit_add_action(struct kunit *test, kunit_action_t *fn, void *ctx);
int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *fn, void *ctx);
void kunit_release_action(struct kunit *test, kunit_action_t *fn, void *ctx);
void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp);
#define kunit_kcalloc(test, n, size, gfp)	kunit_kzalloc(test, (n) * (size), gfp)
void kunit_shim_fail(struct kunit *test, const char *file, int line,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Unique names per use: a file may register several suites. */
#define __kunit_shim_cat2(a, b)	a##b
#define __kunit_shim_cat(a, b)	__kunit_shim_cat2(a, b)
#define __kunit_shim_suites(arr, reg, ...)				\
	static struct kunit_suite *arr[] = { __VA_ARGS__ };		\
	static void __attribute__((constructor)) reg(void)		\
	{								\
		kunit_shim_register(arr, ARRAY_SIZE(arr));		\
	}
#define kunit_test_suites(...)						\
	__kunit_shim_suites(__kunit_shim_cat(__kunit_suites_, __LINE__),	\
			    __kunit_shim_cat(__kunit_register_, __LINE__),	\
			    __VA_ARGS__)
#define kunit_test_suite(suite)	kunit_test_suites(&(suite))

#define kunit_info(test, fmt, ...)	printf("    # " fmt, ##__VA_ARGS__)
#define kunit_skip(test, fmt, ...)					\
	do {								\
		(test)->skipped = true;					\
		printf("    # SKIP " fmt "\n", ##__VA_ARGS__);		\
		longjmp((test)->abort, 1);				\
	} while (0)

#define __KUNIT_CHECK(test, abort_, cond, fmt, ...)			\
	do {								\
		if (!(cond)) {						\
			kunit_shim_fail(test, __FILE__, __LINE__, fmt,	\
					##__VA_ARGS__);			\
			if (abort_)					\
				longjmp((test)->abort, 1);		\
		}							\
	} while (0)

#define __KUNIT_BINOP(test, abort_, a, op, b)				\
	do {								\
		/* Each side keeps its type, as in the kernel's KUnit. */ \
		__typeof__(a) __a = (a);				\
		__typeof__(b) __b = (b);				\
		__KUNIT_CHECK(test, abort_, __a op __b,			\
			      "%s %s %s: 0x%llx vs 0x%llx", #a, #op, #b,\
			      (unsigned long long)__a,			\
			      (unsigned long long)__b);			\
	} while (0)

#define KUNIT_EXPECT_EQ(t, a, b)	__KUNIT_BINOP(t, 0, a, ==, b)
#define KUNIT_EXPECT_NE(t, a, b)	__KUNIT_BINOP(t, 0, a, !=, b)
#define KUNIT_EXPECT_LE(t, a, b)	__KUNIT_BINOP(t, 0, a, <=, b)
#define KUNIT_EXPECT_LT(t, a, b)	__KUNIT_BINOP(t, 0, a, <, b)
#define KUNIT_EXPECT_GE(t, a, b)	__KUNIT_BINOP(t, 0, a, >=, b)
#define KUNIT_EXPECT_GT(t, a, b)	__KUNIT_BINOP(t, 0, a, >, b)
#define KUNIT_ASSERT_EQ(t, a, b)	__KUNIT_BINOP(t, 1, a, ==, b)
#define KUNIT_ASSERT_NE(t, a, b)	__KUNIT_BINOP(t, 1, a, !=, b)
#define KUNIT_ASSERT_LE(t, a, b)	__KUNIT_BINOP(t, 1, a, <=, b)
#define KUNIT_ASSERT_GE(t, a, b)	__KUNIT_BINOP(t, 1, a, >=, b)
#define KUNIT_EXPECT_TRUE(t, c)		__KUNIT_CHECK(t, 0, c, "%s", #c)
#define KUNIT_EXPECT_FALSE(t, c)	__KUNIT_CHECK(t, 0, !(c), "!(%s)", #c)
#define KUNIT_ASSERT_TRUE(t, c)		__KUNIT_CHECK(t, 1, c, "%s", #c)
#define KUNIT_ASSERT_FALSE(t, c)	__KUNIT_CHECK(t, 1, !(c), "!(%s)", #c)
#define KUNIT_ASSERT_NOT_NULL(t, p)	__KUNIT_CHECK(t, 1, (p) != NULL, "%s != NULL", #p)
#define KUNIT_EXPECT_EQ_MSG(t, a, b, fmt, ...) \
	__KUNIT_CHECK(t, 0, (a) == (b), fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_EQ_MSG(t, a, b, fmt, ...) \
	__KUNIT_CHECK(t, 1, (a) == (b), fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_TRUE_MSG(t, c, fmt, ...) \
	__KUNIT_CHECK(t, 0, c, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_TRUE_MSG(t, c, fmt, ...) \
	__KUNIT_CHECK(t, 1, c, fmt, ##__VA_ARGS__)
#define KUNIT_FAIL(t, fmt, ...)		__KUNIT_CHECK(t, 0, 0, fmt, ##__VA_ARGS__)

#endif /* _GPT_SHIM_KUNIT_TEST_H */
