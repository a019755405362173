/*
 * monitor: --stats lines (see monitor.h). The line reads
 *   sensitivity: stats: 1523 evaluations in 10.0 s: mean 0.781 ms, sd 0.052 ms,
 *   min 0.702 ms, max 1.21 ms; rss 6.2 MiB, peak 6.4 MiB
 * (one line), and the last one "... stats: all 5000 evaluations in ...".
 */
#include "monitor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "meter.h"

static void moments_reset(struct monitor_moments *x)
{
	memset(x, 0, sizeof *x);
	x->min = INFINITY;
	x->max = -INFINITY;
}

static void moments_add(struct monitor_moments *x, double v)
{
	double d = v - x->mean;
	x->n++;
	x->mean += d / (double)x->n;
	x->m2 += d * (v - x->mean);
	x->min = v < x->min ? v : x->min;
	x->max = v > x->max ? v : x->max;
}

void monitor_init(struct monitor *m, const char *prog, const char *unit, double interval)
{
	m->prog = prog;
	m->unit = unit;
	m->interval = interval;
	m->start = m->last = clock_now();
	moments_reset(&m->window);
	moments_reset(&m->total);
}

static void print_line(const struct monitor *m, const struct monitor_moments *x, const char *all, double span)
{
	char mean[32], sd[32], lo[32], hi[32];
	long rss, peak;

	clock_format_seconds(mean, sizeof mean, x->mean);
	clock_format_seconds(sd, sizeof sd, x->n > 1 ? sqrt(x->m2 / (double)(x->n - 1)) : 0.0);
	clock_format_seconds(lo, sizeof lo, x->min);
	clock_format_seconds(hi, sizeof hi, x->max);
	meter_memory(&rss, &peak);
	fprintf(stderr, "%s: stats: %s%ld %s in %.1f s: mean %s, sd %s, min %s, max %s; rss %.1f MiB, peak %.1f MiB\n",
		m->prog, all, x->n, m->unit, span, mean, sd, lo, hi, rss / 1024.0, peak / 1024.0);
}

void monitor_record(struct monitor *m, double seconds)
{
	if (!m)
		return;
	moments_add(&m->window, seconds);
	moments_add(&m->total, seconds);
	double now = clock_now();
	if (now - m->last >= m->interval) {
		print_line(m, &m->window, "", now - m->last);
		m->last = now;
		moments_reset(&m->window);
	}
}

void monitor_done(struct monitor *m)
{
	if (!m)
		return;
	double now = clock_now();
	if (m->window.n)
		print_line(m, &m->window, "", now - m->last);
	if (m->total.n)
		print_line(m, &m->total, "all ", now - m->start);
	else
		fprintf(stderr, "%s: stats: no %s\n", m->prog, m->unit);
}
