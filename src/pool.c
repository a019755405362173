/*
 * pool: threads started per run and joined at its end; an atomic counter
 * hands out the items. Starting two threads costs some tens of
 * microseconds, small against a batch of likelihoods (about 1 ms each).
 */
#define _POSIX_C_SOURCE 200809L
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct pool_job {
	pool_fn fn;
	void *ctx;
	long n;
	atomic_long next;
};

struct pool_worker {
	struct pool_job *job;
	int id;
};

static void work(struct pool_job *j, int id)
{
	long i;
	while ((i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->n)
		j->fn(j->ctx, id, i);
}

static void *worker_main(void *arg)
{
	struct pool_worker *w = arg;
	work(w->job, w->id);
	return NULL;
}

void pool_run(int threads, long n, pool_fn fn, void *ctx)
{
	struct pool_job j = {.fn = fn, .ctx = ctx, .n = n};
	pthread_t tid[POOL_MAX_THREADS];
	struct pool_worker w[POOL_MAX_THREADS];
	int started = 0;

	atomic_init(&j.next, 0);
	if (threads > POOL_MAX_THREADS)
		threads = POOL_MAX_THREADS;
	if (threads > n)
		threads = n > 0 ? (int)n : 1;
	for (int t = 1; t < threads; t++) {
		w[t].job = &j;
		w[t].id = t;
		if (pthread_create(&tid[t], NULL, worker_main, &w[t]))
			break;
		started = t;
	}
	work(&j, 0);
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
}

int pool_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > POOL_MAX_THREADS ? POOL_MAX_THREADS : (int)n;
}
