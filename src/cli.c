/*
 * cli: option parsing and progress for the programs' mains.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "version.h"

void cli_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* past a file size limit a write fails (EFBIG) and is reported, as on a
	 * full disk, instead of the process being killed */
	signal(SIGXFSZ, SIG_IGN);
}

int cli_parse_command(const char *arg, const char *opt, const char **out, struct err *e)
{
	*out = arg;
	if (strspn(arg, " \t\n") == strlen(arg))
		return err_set(e, ERR_INPUT, "'%s' needs a command, got '%s'", opt, arg);
	return 0;
}

int cli_parse_long(const char *arg, const char *opt, long lo, long hi, long *out, struct err *e)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi)
		return err_set(e, ERR_INPUT, "'%s' must be an integer from %ld to %ld, got '%s'", opt, lo, hi, arg);
	*out = v;
	return 0;
}

int cli_parse_double(const char *arg, const char *opt, double *out, struct err *e)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	/* ERANGE also flags an underflow to a subnormal, which is a number;
	 * an overflow is infinite */
	if ((errno && errno != ERANGE) || end == arg || *end || !isfinite(v))
		return err_set(e, ERR_INPUT, "'%s' must be a finite number, got '%s'", opt, arg);
	*out = v;
	return 0;
}

int cli_parse_double_in(const char *arg, const char *opt, double lo, double hi, int open, double *out,
			struct err *e)
{
	int rc = cli_parse_double(arg, opt, out, e);
	if (rc)
		return rc;
	double x = *out;
	if ((open & CLI_OPEN_LO ? x > lo : x >= lo) && (open & CLI_OPEN_HI ? x < hi : x <= hi))
		return 0;
	if (lo == 0 && hi == INFINITY)
		return err_set(e, ERR_INPUT, "'%s' must %s, got '%s'", opt,
			       open & CLI_OPEN_LO ? "be positive" : "not be negative", arg);
	if ((open & CLI_OPEN_LO) && (open & CLI_OPEN_HI))
		return err_set(e, ERR_INPUT, "'%s' must be between %g and %g, got '%s'", opt, lo, hi, arg);
	return err_set(e, ERR_INPUT, "'%s' must be in %c%g, %g%c, got '%s'", opt, open & CLI_OPEN_LO ? '(' : '[', lo,
		       hi, open & CLI_OPEN_HI ? ')' : ']', arg);
}

int cli_parse_stats(const char *arg, double *interval, struct err *e)
{
	if (!arg) {
		*interval = CLI_STATS_INTERVAL;
		return 0;
	}
	return cli_parse_double_in(arg, "--stats", 0, INFINITY, 0, interval, e);
}

int cli_parse_shard(const char *arg, unsigned *i, unsigned *k, struct err *e)
{
	char *end;
	errno = 0;
	unsigned long a = strtoul(arg, &end, 10), b;
	if (errno || end == arg || *end != '/' || arg[0] == '-')
		goto bad;
	const char *s = end + 1;
	b = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || b < 1 || b > 1000000 || a >= b)
		goto bad;
	*i = (unsigned)a;
	*k = (unsigned)b;
	return 0;
bad:
	return err_set(e, ERR_INPUT, "'--shard' must be I/K with 0 <= I < K, got '%s'", arg);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int cli_parse_list(const char *arg, const char *opt, long lo, long hi, int **out, int *n, struct err *e)
{
	size_t cap = 1;
	for (const char *p = arg; *p; p++)
		cap += *p == ',';
	int *v = malloc(cap * sizeof *v);
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	int m = 0;
	const char *p = arg;
	for (;;) {
		char *end;
		errno = 0;
		long x = strtol(p, &end, 10);
		if (errno || end == p || (*end && *end != ',') || x < lo || x > hi) {
			free(v);
			return err_set(e, ERR_INPUT, "'%s' must be a comma-separated list of integers from %ld to %ld, got '%s'",
				       opt, lo, hi, arg);
		}
		v[m++] = (int)x;
		if (!*end)
			break;
		p = end + 1;
	}
	qsort(v, (size_t)m, sizeof *v, cmp_int);
	int u = 0;
	for (int i = 0; i < m; i++)
		if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	*out = v;
	*n = u;
	return 0;
}

int cli_bad_option(int c, char **argv, struct err *e)
{
	const char *arg = argv[optind - 1], *next = argv[optind];
	char shortopt[3] = {'-', (char)optopt, 0};

	/* A short option's letter is in optopt (a long one's is 0, or its
	 * short letter when its value is missing). getopt moves optind past
	 * a bundle only after its last letter, so a bad letter inside a
	 * bundle (-xq) is in argv[optind], not argv[optind - 1], which may be
	 * a long option before it. */
	int long_before = arg[0] == '-' && arg[1] == '-';
	int in_bundle = next && next[0] == '-' && next[1] && next[1] != '-' && strchr(next + 1, optopt);
	if (optopt && (!long_before || in_bundle))
		arg = shortopt;
	if (c == ':')
		return err_set(e, ERR_INPUT, "option '%s' needs a value", arg);
	return err_set(e, ERR_INPUT, "unknown or ambiguous option '%s'", arg);
}

void cli_option_error(const char *prog, const char *synopsis, int rc, const struct err *e)
{
	fprintf(stderr, "%s: %s\n", prog, e->msg);
	if (rc == ERR_INPUT)
		fprintf(stderr, "usage: %s %s; see %s --help\n", prog, synopsis, prog);
}

void cli_print_version(const char *prog)
{
	printf("%s (biofilter) %s\n", prog, BIOFILTER_VERSION);
}
