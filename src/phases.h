/*
 * phases: the document of `--phases FILE` (man/profile.1), both ways: a
 * program writes it from its meters (meter.h) at the end of a run, and
 * profile reads it back to explain a time. This module alone spells its
 * field names.
 *
 *   {"program", "version", "wall_seconds", "timer_overhead_ns",
 *    "timer_seconds" (the timers' own cost: every counter read, which the
 *    phases exclude), "phases": {NAME: {"seconds", "laps"}} (phases with
 *    laps only), "counters": {NAME: n} (all), "peak_rss_kib",
 *    then the run's shape, where the program has one: "threads", "levels",
 *    "samples", "policies" (infer, agent), "stage", "beta", "acceptance",
 *    "chain_steps" (tmcmc-stage)}
 *
 * One line of JSON, written atomically (outfile.h). Phase and counter
 * names are meter_phase_name's and meter_counter_name's.
 */
#ifndef BF_PHASES_H
#define BF_PHASES_H

#include "err.h"
#include "meter.h"

/* The run's shape: a long is absent when negative, a double when NaN
 * (phases_shape_init makes every field absent). */
struct phases_shape {
	long threads, levels, samples, policies; /* infer, agent */
	long stage, chain_steps;                 /* tmcmc-stage */
	double beta, acceptance;                 /* tmcmc-stage */
};

struct phases {
	char program[32], version[32];
	double wall_seconds, timer_overhead_ns, timer_seconds;
	double seconds[METER_PHASES];
	long laps[METER_PHASES];                 /* 0: the phase did not run */
	long count[METER_COUNTERS];
	long peak_rss_kib;
	struct phases_shape shape;
};

void phases_shape_init(struct phases_shape *s);

/* Write the document for the meters m[0..n-1] of a run's threads (merged
 * into m[0] first) of program prog, with its shape (NULL: none). */
BF_RESULT int phases_write(struct meter *m, int n, const char *path, const char *prog,
			   const struct phases_shape *shape, struct err *e);

/* Read a document: a file without "phases" is refused ("PATH: no
 * 'phases'"); absent phases have no laps, absent counters are 0, absent
 * shape fields stay absent. */
BF_RESULT int phases_load(struct phases *ph, const char *path, struct err *e);

/* An empty document (every phase without laps, every count 0), to sum
 * runs into with phases_add. */
void phases_init(struct phases *ph);

/* Add src's wall and timer seconds, phases and counters to acc (the
 * stages of one TMCMC run). */
void phases_add(struct phases *acc, const struct phases *src);

#endif
