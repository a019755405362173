/*
 * cli: what every program's main shares: parsing of option values with
 * messages in one style, the --shard and --steps syntaxes, and process
 * set-up. (Progress lines are progress.h's, the clock clock.h's.)
 *
 * Option errors are ERR_INPUT (exit 2) and read "'--every' must be a
 * positive integer, got 'x'".
 */
#ifndef BF_CLI_H
#define BF_CLI_H

#include <stdio.h>

#include "err.h"

/* Process set-up for a filter: ignore SIGPIPE, so that a closed output is
 * a write error with a message and a non-zero exit, not a silent death. */
void cli_init(void);

BF_RESULT int cli_parse_long(const char *arg, const char *opt, long lo, long hi, long *out, struct err *e);
BF_RESULT int cli_parse_double(const char *arg, const char *opt, double *out, struct err *e);
/* A finite number in the interval from lo to hi (hi may be INFINITY),
 * each end closed unless `open` has CLI_OPEN_LO or CLI_OPEN_HI. Messages:
 * "must be positive" / "must not be negative" for (0, inf) / [0, inf),
 * "must be between lo and hi" when both ends are open, else "must be in
 * (lo, hi]". */
enum { CLI_OPEN_LO = 1, CLI_OPEN_HI = 2 };
BF_RESULT int cli_parse_double_in(const char *arg, const char *opt, double lo, double hi, int open, double *out,
				  struct err *e);
/* The instruments of a program that does work (meter.h, monitor.h):
 * --phases FILE writes the run's phase times and counters as JSON, and
 * --stats[=SECONDS] prints a rolling monitor line at that interval. */
#define CLI_STATS_INTERVAL 10.0
#define CLI_USAGE_INSTRUMENTS \
	"      --phases FILE    time the run's phases (assembly, factorisation, sensitivity,\n" \
	"                       I/O, sampler, agent step parts) and write them with the\n" \
	"                       run's counters as JSON to FILE (for profile)\n" \
	"      --stats[=S]      every S seconds (default 10) print the mean, sd, min and\n" \
	"                       max time per unit of work and the memory on stderr\n"
/* The value of --stats: NULL (no '=') is the default interval. */
BF_RESULT int cli_parse_stats(const char *arg, double *interval, struct err *e);

/* "I/K" with 0 <= I < K. */
BF_RESULT int cli_parse_shard(const char *arg, unsigned *i, unsigned *k, struct err *e);
/* A comma-separated list of integers in [lo, hi], sorted and deduplicated
 * on return; *out is malloc'ed. */
/* A shell command given to option opt (an evaluator): refused when empty
 * or blank, as it could only fail at run time. */
BF_RESULT int cli_parse_command(const char *arg, const char *opt, const char **out, struct err *e);

BF_RESULT int cli_parse_list(const char *arg, const char *opt, long lo, long hi, int **out, int *n,
			     struct err *e);

/* The error for getopt_long's ':' (missing value) or '?' (unknown or
 * ambiguous option) return `c`, naming the option as the user wrote it,
 * also inside a bundle such as -qx. */
int cli_bad_option(int c, char **argv, struct err *e);

/* Report an option error: "prog: message" on stderr and, for bad usage
 * (ERR_INPUT), the line "usage: prog SYNOPSIS; see prog --help". */
void cli_option_error(const char *prog, const char *synopsis, int rc, const struct err *e);

/* Print "prog VERSION" to stdout. */
void cli_print_version(const char *prog);

#endif
