/*
 * meter: timers and counters (see meter.h). Ticks become seconds at the
 * end, by the ratio of ticks to monotonic wall time over the whole run, so
 * a lap costs one counter read and an add.
 */
#define _POSIX_C_SOURCE 200809L
#include "meter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"

static const char *const phase_names[METER_PHASES] = {
	"assembly", "factorisation", "sensitivity", "read", "write", "sampler",
	"evaluator", "states", "policies", "action", "learning",
};

static const char *const counter_names[METER_COUNTERS] = {
	"records", "bad_records", "steps", "newton_iterations", "evaluations", "stages", "agent_steps",
};

void meter_init(struct meter *m)
{
	memset(m, 0, sizeof *m);
	m->wall0 = clock_now();
	m->tick0 = meter_ticks();
}

int meter_init_threads(struct meter **m, int n, struct err *e)
{
	if (!(*m = malloc(sizeof **m * (size_t)(n > 0 ? n : 1))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (int i = 0; i < n; i++)
		meter_init(&(*m)[i]);
	return 0;
}

void meter_merge(struct meter *dst, const struct meter *src)
{
	for (int p = 0; p < METER_PHASES; p++) {
		dst->ticks[p] += src->ticks[p];
		dst->laps[p] += src->laps[p];
	}
	for (int c = 0; c < METER_COUNTERS; c++)
		dst->count[c] += src->count[c];
	dst->begins += src->begins;
}

const char *meter_phase_name(enum meter_phase p)
{
	return p < METER_PHASES ? phase_names[p] : "unknown";
}

const char *meter_counter_name(enum meter_counter c)
{
	return c < METER_COUNTERS ? counter_names[c] : "unknown";
}

void meter_memory(long *rss_kib, long *peak_kib)
{
	struct rusage ru;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	*rss_kib = *peak_kib = -1;
	if (f) {
		while (fgets(line, sizeof line, f)) {
			if (!strncmp(line, "VmRSS:", 6))
				*rss_kib = strtol(line + 6, NULL, 10);
			else if (!strncmp(line, "VmHWM:", 6))
				*peak_kib = strtol(line + 6, NULL, 10);
		}
		fclose(f);
	}
	if (*peak_kib < 0 && !getrusage(RUSAGE_SELF, &ru))
		*peak_kib = ru.ru_maxrss;
	if (*peak_kib < *rss_kib)
		*peak_kib = *rss_kib;
}

/* The cost of one counter read in ticks: what a lap adds to the interval
 * it measures (the mean over a tight loop of reads). */
static double read_cost(void)
{
	enum { N = 4096 };
	uint64_t t0 = meter_ticks(), t = t0;

	for (int i = 0; i < N; i++)
		t = meter_ticks();
	return (double)(t - t0) / N;
}

void meter_report(struct meter *m, int n, struct meter_report *r)
{
	for (int i = 1; i < n; i++)
		meter_merge(&m[0], &m[i]);
	const double wall = clock_now() - m->wall0;
	const double ticks = (double)(meter_ticks() - m->tick0);
#if defined(__x86_64__) || defined(__i386__)
	const double tps = wall > 0 && ticks > 0 ? ticks / wall : 1e9;
#else
	const double tps = 1e9;
#endif
	const double cost = read_cost();
	long reads = m->begins, rss;

	for (int p = 0; p < METER_PHASES; p++) {
		reads += m->laps[p];
		double t = ((double)m->ticks[p] - cost * (double)m->laps[p]) / tps;
		r->seconds[p] = m->laps[p] && t > 0 ? t : 0.0;
	}
	r->wall_seconds = wall;
	r->timer_overhead_ns = cost / tps * 1e9;
	r->timer_seconds = cost * (double)reads / tps;
	meter_memory(&rss, &r->peak_rss_kib);
}
