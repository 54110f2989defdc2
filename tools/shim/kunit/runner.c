// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the registered suites and prints KTAP, as kunit.py would parse it.
 * Usage: prog [suite-glob [case-glob]]
 */
#include <fnmatch.h>
#include <stdarg.h>
#include "test.h"

static struct kunit_suite *suites[64];
static int nr_suites;

void kunit_shim_register(struct kunit_suite **s, int n)
{
	while (n--)
		suites[nr_suites++] = *s++;
}

void kunit_shim_fail(struct kunit *test, const char *file, int line,
		     const char *fmt, ...)
{
	va_list ap;

	test->failed = true;
	printf("    # %s: EXPECTATION FAILED at %s:%d\n    # ", test->name,
	       file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int kunit_add_action(struct kunit *test, kunit_action_t *fn, void *ctx)
{
	struct kunit_shim_action *a = malloc(sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->fn = fn;
	a->ctx = ctx;
	a->next = test->actions;
	test->actions = a;
	return 0;
}

int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *fn, void *ctx)
{
	int ret = kunit_add_action(test, fn, ctx);

	if (ret)
		fn(ctx);
	return ret;
}

/* Run the newest matching action now, and forget it. */
void kunit_release_action(struct kunit *test, kunit_action_t *fn, void *ctx)
{
	struct kunit_shim_action **p, *a;

	for (p = &test->actions; (a = *p); p = &a->next) {
		if (a->fn == fn && a->ctx == ctx) {
			*p = a->next;
			fn(ctx);
			free(a);
			return;
		}
	}
}

void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	void *p = calloc(1, size);

	if (p && kunit_add_action_or_reset(test, free, p))
		p = NULL;
	return p;
}

static void run_actions(struct kunit *test)
{
	struct kunit_shim_action *a;

	while ((a = test->actions)) {
		test->actions = a->next;
		a->fn(a->ctx);
		free(a);
	}
}

static bool run_case(struct kunit_suite *s, struct kunit_case *c, int nr)
{
	static struct kunit test;

	memset(&test, 0, sizeof(test));
	test.name = c->name;
	if (!setjmp(test.abort)) {
		if (s->init && s->init(&test))
			test.failed = true;
		else
			c->run_case(&test);
	}
	if (s->exit)
		s->exit(&test);
	run_actions(&test);
	rcu_barrier();
	if (test.skipped && !test.failed)
		printf("    ok %d %s # SKIP\n", nr, c->name);
	else
		printf("    %s %d %s\n", test.failed ? "not ok" : "ok", nr, c->name);
	fflush(stdout);
	return !test.failed;
}

int main(int argc, char **argv)
{
	const char *glob = argc > 1 ? argv[1] : "*";
	const char *cglob = argc > 2 ? argv[2] : "*";
	int i, n = 0, bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < nr_suites; i++)
		n += !fnmatch(glob, suites[i]->name, 0);
	printf("KTAP version 1\n1..%d\n", n);
	n = 0;
	for (i = 0; i < nr_suites; i++) {
		struct kunit_suite *s = suites[i];
		struct kunit_case *c;
		int k = 0, ok = 1;

		if (fnmatch(glob, s->name, 0))
			continue;
		for (c = s->test_cases; c->run_case; c++)
			k += !fnmatch(cglob, c->name, 0);
		printf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n",
		       s->name, k);
		k = 0;
		for (c = s->test_cases; c->run_case; c++)
			if (!fnmatch(cglob, c->name, 0))
				ok &= run_case(s, c, ++k);
		printf("%s %d %s\n", ok ? "ok" : "not ok", ++n, s->name);
		bad += !ok;
	}
	return bad ? 1 : 0;
}
