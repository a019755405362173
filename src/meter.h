/*
 * meter: the in-program timers and counters behind `--phases FILE` and
 * `profile`'s phase breakdown (DESIGN §5: every program reports its own
 * counters, so that profile can explain a time).
 *
 * A phase is a leaf of the work: residual and Jacobian assembly, the
 * factorisation and solve of a Newton update, the sensitivity step, stream
 * reading and writing, the sampler's own bookkeeping, an external
 * evaluator, the parts of an agent step. Phases never nest, so their times
 * add up to at most the run's wall time (on one thread); the rest is
 * "other" (option parsing, packing records, set-up).
 *
 * Cost: a struct meter pointer that is NULL turns every call into one
 * predictable branch, so the timers cost nothing when off. When on, a lap
 * reads the time stamp counter (x86-64; elsewhere CLOCK_MONOTONIC), about
 * 20 cycles; meter_write subtracts the measured cost of a read from every
 * lap, so the figures are those of the work, not of the timers.
 *
 * One meter per thread; a caller merges workers' meters into the main one
 * before writing. Nothing here is shared or global. A leaf of the library:
 * the document of --phases is phases.h's, which turns meters into it.
 */
#ifndef BF_METER_H
#define BF_METER_H

#include <stdint.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "err.h"

enum meter_phase {
	METER_ASSEMBLY,    /* residual and Jacobian of a Newton iteration */
	METER_FACTOR,      /* LU factorisation and solve of a Newton update */
	METER_SENSITIVITY, /* the TSM step: dQ/dtheta, factor at g_k, P solves, moments */
	METER_READ,        /* stream input: read(2), inflate, unpack */
	METER_WRITE,       /* stream output: deflate, write(2) */
	METER_SAMPLER,     /* TMCMC's own work: dbeta, weights, resampling, proposals */
	METER_EVALUATOR,   /* waiting on an evaluator command (tmcmc-stage --eval) */
	METER_STATES,      /* agent: infer_states */
	METER_POLICIES,    /* agent: expected free energy and q_pi */
	METER_ACTION,      /* agent: action selection */
	METER_LEARNING,    /* agent: update_A/B/D */
	METER_PHASES
};

enum meter_counter {
	METER_RECORDS,     /* records answered */
	METER_BAD,         /* records that were bad or failed */
	METER_STEPS,       /* time steps integrated */
	METER_NEWTON,      /* Newton updates */
	METER_EVALUATIONS, /* likelihood evaluations */
	METER_STAGES,      /* TMCMC stages */
	METER_AGENT_STEPS, /* agent steps */
	METER_COUNTERS
};

struct meter {
	uint64_t ticks[METER_PHASES];
	long laps[METER_PHASES];
	long count[METER_COUNTERS];
	long begins;            /* laps begun: with the laps, the counter reads */
	/* the run's start, to convert ticks to seconds (meter_init) */
	uint64_t tick0;
	double wall0;
};

/* Zero m and note the start of the run. */
void meter_init(struct meter *m);

/* n meters, one per thread, each initialised (free them with free). */
BF_RESULT int meter_init_threads(struct meter **m, int n, struct err *e);

static inline uint64_t meter_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* The start of a lap (0 when m is NULL). */
static inline uint64_t meter_begin(struct meter *m)
{
	if (!m)
		return 0;
	m->begins++;
	return meter_ticks();
}

/* End a lap begun at t0 in phase p; returns now, the start of the next
 * lap. */
static inline uint64_t meter_lap(struct meter *m, enum meter_phase p, uint64_t t0)
{
	if (!m)
		return 0;
	uint64_t t = meter_ticks();
	m->ticks[p] += t - t0;
	m->laps[p]++;
	return t;
}

/* Add ticks measured elsewhere (laps of them) to phase p. */
static inline void meter_add(struct meter *m, enum meter_phase p, uint64_t ticks, long laps)
{
	if (m) {
		m->ticks[p] += ticks;
		m->laps[p] += laps;
	}
}

static inline void meter_count(struct meter *m, enum meter_counter c, long k)
{
	if (m)
		m->count[c] += k;
}

/* Add src's phases and counters to dst. */
void meter_merge(struct meter *dst, const struct meter *src);

const char *meter_phase_name(enum meter_phase p);
const char *meter_counter_name(enum meter_counter c);

/* Current and peak resident memory of this process in KiB (VmRSS and
 * VmHWM of /proc/self/status; current is -1 where that is missing, and
 * the peak then comes from getrusage). */
void meter_memory(long *rss_kib, long *peak_kib);

/* The figures of a run's meters m[0..n-1] (merged into m[0] first), in
 * seconds: the wall time since meter_init, each phase's time less the
 * measured cost of its counter reads, the timers' own cost (every read,
 * which the phases exclude), the cost of one read, and the peak resident
 * memory. */
struct meter_report {
	double wall_seconds, timer_seconds, timer_overhead_ns;
	double seconds[METER_PHASES];
	long peak_rss_kib;
};
void meter_report(struct meter *m, int n, struct meter_report *r);

#endif
