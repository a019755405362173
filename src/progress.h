/*
 * progress: the progress line of a long run on stderr (DESIGN §3): shown
 * when stderr is a terminal or when forced (--progress), never when quiet
 * (-q); redrawn at most four times a second, so counting costs a clock
 * read at most; the last line gives the count and the time.
 *
 *   sensitivity: 1523 evaluations (701.2/s)
 *   sensitivity: 5000 evaluations in 7.13 s
 */
#ifndef BF_PROGRESS_H
#define BF_PROGRESS_H

struct progress {
	int on;
	double last, start;
	long count;
};

void progress_init(struct progress *p, int forced, int quiet);
void progress_tick(struct progress *p, const char *prog, const char *what);
/* Count k more at once (a batch). */
void progress_add(struct progress *p, long k, const char *prog, const char *what);
void progress_done(struct progress *p, const char *prog, const char *what);

/* For a caller that draws its own line (infer's, per level): whether a
 * line is due now (on, and a quarter of a second since the last, or
 * `force`), noting the time when it is. */
int progress_due(struct progress *p, int force);

#endif
