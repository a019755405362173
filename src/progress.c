/*
 * progress: progress lines on stderr (see progress.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "clock.h"

void progress_init(struct progress *p, int forced, int quiet)
{
	p->on = !quiet && (forced || isatty(2));
	p->start = p->last = clock_now();
	p->count = 0;
}

void progress_tick(struct progress *p, const char *prog, const char *what)
{
	progress_add(p, 1, prog, what);
}

int progress_due(struct progress *p, int force)
{
	if (!p->on)
		return 0;
	double now = clock_now();
	if (!force && now - p->last < 0.25)
		return 0;
	p->last = now;
	return 1;
}

void progress_add(struct progress *p, long k, const char *prog, const char *what)
{
	p->count += k;
	if (progress_due(p, 0))
		fprintf(stderr, "\r%s: %ld %s (%.1f/s)", prog, p->count, what, p->count / (p->last - p->start));
}

void progress_done(struct progress *p, const char *prog, const char *what)
{
	if (!p->on)
		return;
	double dt = clock_now() - p->start;
	fprintf(stderr, "\r%s: %ld %s in %.2f s\n", prog, p->count, what, dt);
}
