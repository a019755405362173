/*
 * bench: what `profile` measures (man/profile.1): the components on fixed
 * inputs, the scaling sweeps and the leak check, each adding to a report.
 *
 * Fixed inputs: the Case II models and truths (examples/case2), the
 * analytic TMCMC problem (examples/tmcmc), the Case II quick preset, and
 * random agent models; thetas, data and plans made from them go to a
 * temporary directory that bench_free removes. Everything derived is
 * seeded, so two runs measure the same work.
 *
 * Components and sweeps run the real programs as child processes
 * (measure.h), with --phases for their own counters and phase timers; the
 * leak check runs the same work through the library inside this process,
 * K times, since only one long-lived process can show memory that is not
 * given back.
 */
#ifndef BF_BENCH_H
#define BF_BENCH_H

#include "err.h"
#include "report.h"

/* Growth of resident memory over a leak check above which it is flagged:
 * glibc keeps freed memory in its arenas and trims only above 128 KiB, so
 * smaller changes are noise; a leaked population or trajectory per run
 * grows by more than this over ten runs. */
#define BENCH_LEAK_KIB 1024

struct bench_options {
	const char *bin;      /* directory of the programs */
	const char *examples; /* directory of the fixed inputs */
	int quick, repeat, warmup, threads, quiet;
	int seeds;            /* the accuracy study's (0: 20; 5 with quick) */
};

struct bench {
	struct bench_options o;
	char tmp[4096];       /* work directory, removed by bench_free */
	struct report *report;
	int have_case2, have_plan; /* inputs made so far (have_plan: bit 1 the small plan) */
};

BF_RESULT int bench_init(struct bench *b, const struct bench_options *o, struct report *r, struct err *e);
void bench_free(struct bench *b);

/* Is name a component (solve, sensitivity, tmcmc, infer, agent), a sweep
 * (steps, species, samples, threads, agent)? */
int bench_is_component(const char *name);
int bench_is_sweep(const char *name);

BF_RESULT int bench_component(struct bench *b, const char *name, struct err *e);
BF_RESULT int bench_sweep(struct bench *b, const char *name, struct err *e);
BF_RESULT int bench_leak(struct bench *b, const char *name, int runs, struct err *e);

#endif
