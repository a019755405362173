/*
 * report: profile's report, a JSON document (man/profile.1 lists every
 * field), printed as tables for people and compared with a baseline.
 *
 *   {"report": "biofilter profile", "format": 1, "version", "commit",
 *    "date", "machine": {"hostname", "system", "cpu", "cores",
 *    "memory_kib"}, "compiler", "settings": {"quick", "repeat", "warmup",
 *    "threads"},
 *    "results": [{"name", "component", "command", "unit", "items",
 *                 "repeat", "seconds": {"min", "median", "max"},
 *                 "per_item_seconds": {...}, "throughput_per_second",
 *                 "peak_rss_kib", "counters": {...}, "figures": {...},
 *                 "phases": {name: {"seconds", "share", "laps"}},
 *                 "phases_wall_seconds"}],
 *    "sweeps": [{"name", "title", "columns": [...], "rows": [[...]]}],
 *    "leaks": [{"component", "runs", "rss_kib": [...], "growth_kib",
 *               "flagged"}],
 *    "comparison": {"baseline", "time_tolerance", "memory_tolerance",
 *                   "entries": [{"name", "median_seconds",
 *                   "baseline_median_seconds", "time_ratio",
 *                   "peak_rss_kib", "baseline_peak_rss_kib",
 *                   "memory_ratio", "time_regression",
 *                   "memory_regression"}], "regressions"}}
 *
 * A result is identified by its name ("solve M1"), so reports from other
 * machines and versions compare result by result; one that only one side
 * has is listed as new or missing, and one whose "items" differ (a --quick
 * report against a full one) as incomparable, none of them a regression.
 */
#ifndef BF_REPORT_H
#define BF_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "err.h"
#include "measure.h"

#define REPORT_FORMAT 1

struct report {
	json_t *doc; /* owned */
};

struct report_settings {
	int quick, repeat, warmup, threads;
};

/* A new report: machine, compiler, commit, date and settings filled in. */
BF_RESULT int report_init(struct report *r, const struct report_settings *s, struct err *e);
/* Read a report written by report_write; its "results" must be there. */
BF_RESULT int report_load(struct report *r, const char *path, struct err *e);
void report_free(struct report *r);

/* One result. counters, figures and phases (may be NULL) are taken over
 * (their reference is stolen). */
struct report_result {
	const char *name, *component, *command, *unit;
	long items;
	int repeat;
	struct measure_stats seconds;
	long peak_rss_kib;
	json_t *counters, *figures, *phases;
	double phases_wall;
};
BF_RESULT int report_add_result(struct report *r, const struct report_result *x, struct err *e);

/* A sweep's table: n_cols column names, rows of numbers (row-major). */
BF_RESULT int report_add_sweep(struct report *r, const char *name, const char *title, const char *const *cols,
			       int n_cols, const double *cells, int n_rows, struct err *e);

/* A leak check: resident memory after each of `runs` runs. */
BF_RESULT int report_add_leak(struct report *r, const char *component, const long *rss_kib, int runs,
			      long growth_kib, int flagged, struct err *e);

/* Compare r's results with base's by name: a median time more than
 * time_tol (0.2 = 20%) above the baseline's, or a peak memory more than
 * mem_tol above, is a regression. Adds "comparison" to r; *regressions
 * gets their number. */
BF_RESULT int report_compare(struct report *r, const struct report *base, const char *base_name, double time_tol,
			     double mem_tol, int *regressions, struct err *e);

/* The tables for people: results, phases, sweeps, leaks, comparison. */
void report_print(const struct report *r, FILE *f);
/* One sweep's table as gnuplot-ready TSV ('#' header line). */
BF_RESULT int report_write_tsv(const struct report *r, const char *sweep, const char *path, struct err *e);

/* The JSON document, indented, written atomically ("-": stdout). */
BF_RESULT int report_write(const struct report *r, const char *path, struct err *e);

#endif
