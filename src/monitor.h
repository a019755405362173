/*
 * monitor: the rolling performance monitor of `--stats` for long runs.
 *
 * The wall time of each unit of work (a theta answered, an agent step, a
 * likelihood evaluation) goes into a window; once `interval` seconds have
 * passed since the last line, a line on stderr gives the window's count,
 * the mean, standard deviation, minimum and maximum time per unit, and the
 * process's current and peak resident memory, and a new window starts.
 * monitor_done prints the same over the whole run. Interval 0 prints a
 * line after every unit. A NULL monitor does nothing, so callers need not
 * test for it.
 */
#ifndef BF_MONITOR_H
#define BF_MONITOR_H

/* Running moments (Welford), so that long runs keep their precision. */
struct monitor_moments {
	long n;
	double mean, m2, min, max;
};

struct monitor {
	const char *prog, *unit;   /* "sensitivity", "evaluations" */
	double interval, start, last;
	struct monitor_moments window, total;
};

void monitor_init(struct monitor *m, const char *prog, const char *unit, double interval);

/* One unit of work took `seconds`. */
void monitor_record(struct monitor *m, double seconds);

/* The last partial window, if any, and the line for the whole run. */
void monitor_done(struct monitor *m);

#endif
