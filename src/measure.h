/*
 * measure: one run of a program as profile times it: fork and exec with
 * stdin and stdout from and to files, wait4 for the exit status and the
 * child's peak resident memory (ru_maxrss), monotonic wall time around
 * both, and the child's stderr kept in a file for the message of a failed
 * run. Also the order statistics profile reports.
 *
 * The wall time includes the program's start-up and exit, as a user's
 * command line does; the programs' own --phases timers say what happened
 * inside.
 */
#ifndef BF_MEASURE_H
#define BF_MEASURE_H

#include <stddef.h>

#include "err.h"

#define MEASURE_MAX_ARGS 64

struct measure_run {
	double seconds;   /* wall time */
	long peak_rss_kib;
	int status;       /* exit status, or 128 + signal */
};

/* Run argv[0] (a path) with arguments argv (NULL-terminated), stdin from
 * `in` (NULL: /dev/null), stdout to `out` (NULL: /dev/null) and stderr to
 * `errlog` (NULL: /dev/null). A program that exits non-zero is an
 * ERR_RUNTIME error quoting the last line of errlog. */
BF_RESULT int measure_run(char *const *argv, const char *in, const char *out, const char *errlog,
			  struct measure_run *r, struct err *e);

/* min, median (mean of the middle two for an even count) and max of
 * x[0..n-1], n >= 1; x is sorted in place. */
struct measure_stats {
	double min, median, max;
};
void measure_stats(double *x, int n, struct measure_stats *s);

/* argv as one line for reports and messages (arguments with spaces or
 * quotes single-quoted), into buf. */
void measure_command_line(char *const *argv, char *buf, size_t size);

#endif
