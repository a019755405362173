/*
 * Unit tests for pool: every item done exactly once, by a worker whose id
 * is within [0, threads), for threads 1, 2, 3, 8 (and more than the
 * maximum) and n = 0, 1, 7, 1000.
 *
 * Each call of fn writes only its own item's slots (a count and the
 * worker), as the callers do, so a correct pool has no data race here; an
 * item done twice shows as a count of 2 (or, done twice at once, as a torn
 * count, still not 1). Worker 0 is the calling thread and no other; one
 * thread runs the items in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

struct job {
	long n;
	int *count;         /* per item: times done */
	int *worker;        /* per item: by whom */
	long *order;        /* per item: the how-manieth call it was (threads = 1) */
	atomic_long calls;
	pthread_t caller;
	atomic_int wrong_thread; /* worker 0 not the caller, or another worker the caller */
	atomic_int out_of_range; /* an item outside 0..n-1 */
};

static void count_item(void *ctx, int worker, long item)
{
	struct job *j = ctx;

	if (item < 0 || item >= j->n) {
		atomic_fetch_add(&j->out_of_range, 1);
		return;
	}
	j->count[item]++;
	j->worker[item] = worker;
	j->order[item] = atomic_fetch_add(&j->calls, 1);
	if ((worker == 0) != (pthread_equal(pthread_self(), j->caller) != 0))
		atomic_fetch_add(&j->wrong_thread, 1);
}

static void run(int threads, long n)
{
	struct job j = {.n = n};

	j.count = calloc((size_t)n + 1, sizeof *j.count);
	j.worker = calloc((size_t)n + 1, sizeof *j.worker);
	j.order = calloc((size_t)n + 1, sizeof *j.order);
	assert_non_null(j.count);
	assert_non_null(j.worker);
	assert_non_null(j.order);
	atomic_init(&j.calls, 0);
	atomic_init(&j.wrong_thread, 0);
	atomic_init(&j.out_of_range, 0);
	j.caller = pthread_self();

	pool_run(threads, n, count_item, &j);

	if (atomic_load(&j.out_of_range))
		fail_msg("threads %d, n %ld: %d calls for items outside 0..n-1", threads, n,
			 atomic_load(&j.out_of_range));
	if (atomic_load(&j.calls) != n)
		fail_msg("threads %d, n %ld: %ld calls, want %ld", threads, n, atomic_load(&j.calls), n);
	int max = threads < POOL_MAX_THREADS ? threads : POOL_MAX_THREADS;
	for (long i = 0; i < n; i++) {
		if (j.count[i] != 1)
			fail_msg("threads %d, n %ld: item %ld done %d times", threads, n, i, j.count[i]);
		if (j.worker[i] < 0 || j.worker[i] >= max)
			fail_msg("threads %d, n %ld: item %ld done by worker %d", threads, n, i, j.worker[i]);
		if (threads == 1 && j.order[i] != i)
			fail_msg("one thread: item %ld was call %ld", i, j.order[i]);
	}
	if (atomic_load(&j.wrong_thread))
		fail_msg("threads %d, n %ld: %d calls where worker 0 and the calling thread disagree", threads, n,
			 atomic_load(&j.wrong_thread));
	free(j.count);
	free(j.worker);
	free(j.order);
}

static void test_every_item_once(void **state)
{
	(void)state;
	static const int threads[] = {1, 2, 3, 8};
	static const long n[] = {0, 1, 7, 1000};

	for (size_t t = 0; t < sizeof threads / sizeof *threads; t++)
		for (size_t k = 0; k < sizeof n / sizeof *n; k++)
			run(threads[t], n[k]);
}

/* The same, many times over, where races would show. */
static void test_repeated(void **state)
{
	(void)state;
	for (int rep = 0; rep < 200; rep++) {
		run(8, 1000);
		run(3, 7);
		run(2, 2);
	}
}

/* More threads than the maximum, and more than items. */
static void test_thread_counts(void **state)
{
	(void)state;
	run(POOL_MAX_THREADS + 44, 1000);
	run(POOL_MAX_THREADS, 5);
	run(64, 1);
	run(64, 0);
	assert_true(pool_cores() >= 1 && pool_cores() <= POOL_MAX_THREADS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_once),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_thread_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
