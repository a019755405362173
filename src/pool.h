/*
 * pool: a parallel loop over work items on POSIX threads: the likelihoods
 * of a TMCMC batch, the samples of a posterior predictive.
 *
 * pool_run calls fn(ctx, worker, item) once for every item in 0..n-1, on
 * `threads` workers (the calling thread is worker 0), items handed out one
 * at a time in order, so uneven items balance. Which worker runs an item is
 * not determined; a caller whose result must not depend on the thread
 * count writes results by item and keeps per-worker state to workspace.
 */
#ifndef BF_POOL_H
#define BF_POOL_H

#define POOL_MAX_THREADS 256

typedef void (*pool_fn)(void *ctx, int worker, long item);

/* Every item is done when this returns: a thread that cannot be started
 * leaves its share to the others. */
void pool_run(int threads, long n, pool_fn fn, void *ctx);

/* The number of online processors (at least 1, at most POOL_MAX_THREADS). */
int pool_cores(void);

#endif
