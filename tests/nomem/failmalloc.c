/*
 * failmalloc: an LD_PRELOAD library that makes the N-th allocation of a
 * process fail (FAILMALLOC_NTH=N; malloc, calloc, realloc and
 * posix_memalign count, one sequence), so that tests/nomem.bats can walk
 * every allocation of a run and check that each failure is handled: a
 * message and exit status 1 or 2, never a crash. FAILMALLOC_COUNT=FILE
 * writes the number of allocations made to FILE at exit instead.
 *
 * The real functions come from dlsym(RTLD_NEXT); while dlsym itself
 * allocates (it may, once), a small static arena serves it.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_memalign)(void **, size_t, size_t);
static long count, nth = -1;
static const char *count_file;
static int resolving;
static char arena[4096];
static size_t arena_used;

static void report(void)
{
	FILE *f = fopen(count_file, "w");
	if (f) {
		fprintf(f, "%ld\n", count);
		fclose(f);
	}
}

static void resolve(void)
{
	if (real_malloc || resolving)
		return;
	resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
	const char *s = getenv("FAILMALLOC_NTH");
	nth = s ? atol(s) : -1;
	count_file = getenv("FAILMALLOC_COUNT");
	if (count_file)
		atexit(report);
	resolving = 0;
}

/* Whether this allocation is the one to fail (errno ENOMEM, as the real
 * allocators set it, and as glibc's own callers assert). */
static int fail_now(void)
{
	if (++count != nth)
		return 0;
	errno = ENOMEM;
	return 1;
}

static void *from_arena(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (arena_used + n > sizeof arena)
		return NULL;
	void *p = arena + arena_used;
	arena_used += n;
	return p;
}

static int in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof arena;
}

void *malloc(size_t n)
{
	resolve();
	if (!real_malloc)
		return from_arena(n);
	return fail_now() ? NULL : real_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	resolve();
	if (!real_calloc) {
		void *p = from_arena(k * n);
		if (p)
			memset(p, 0, k * n);
		return p;
	}
	return fail_now() ? NULL : real_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	resolve();
	if (in_arena(p)) {
		void *q = malloc(n);
		if (q)
			memcpy(q, p, n); /* the arena block is at least as long as what was asked */
		return q;
	}
	return fail_now() ? NULL : real_realloc(p, n);
}

int posix_memalign(void **p, size_t align, size_t n)
{
	resolve();
	return fail_now() ? ENOMEM : real_memalign(p, align, n);
}

void free(void *p)
{
	static void (*real_free)(void *);
	if (!p || in_arena(p))
		return;
	if (!real_free)
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	real_free(p);
}
