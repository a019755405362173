/*
 * profile: benchmarks and profiles of biofilter's parts, with regression
 * checks against a baseline report. See man/profile.1. This main parses
 * options and wires bench (what is measured) and report (what is said).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "pool.h"
#include "report.h"

static const char usage[] =
	"usage: profile [-c COMPONENTS] [--quick] [-o REPORT.json] [--compare BASELINE.json] [options]\n"
	"       profile --sweep NAMES [--tsv FILE] [options]\n"
	"       profile --leak COMPONENTS [-K RUNS] [options]\n"
	"       profile --from REPORT.json --compare BASELINE.json [--fail-on-regression]\n"
	"\n"
	"Benchmarks and profiles of biofilter's parts on fixed inputs, from the\n"
	"programs' own measurements: wall time (min, median, max over repetitions\n"
	"after a warm-up), throughput, peak resident memory, the programs' counters,\n"
	"and the share of each phase from their --phases timers.\n"
	"\n"
	"  -c, --component LIST  solve, sensitivity, tmcmc, infer, case2 (Case II at the\n"
	"                        paper's settings), agent, or all (the default when no\n"
	"                        --sweep or --leak is given)\n"
	"      --quick           smaller inputs and 3 repetitions: all components in\n"
	"                        well under a minute\n"
	"  -r, --repeat N        timed repetitions (default 5; 3 with --quick)\n"
	"  -w, --warmup N        untimed runs before them (default 1)\n"
	"      --sweep LIST      scaling tables: steps (time steps), species (1 to 10),\n"
	"                        samples (TMCMC N), threads (1 to all cores: speedup and\n"
	"                        efficiency), agent (states x observations x controls,\n"
	"                        and policy_len 1 to 5), accuracy (TMCMC on problems\n"
	"                        with exact answers, the old and the new kernel),\n"
	"                        accuracy-m1 (the same on Case II's M1 against a long\n"
	"                        reference run)\n"
	"      --seeds S         seeds of the accuracy sweeps (default: accuracy 20,\n"
	"                        accuracy-m1 5; with --quick 5 and 2)\n"
	"      --tsv FILE        write the sweep's table as gnuplot-ready TSV (one sweep)\n"
	"      --leak LIST       run each component K times in this process and report\n"
	"                        the resident memory after each; growth is flagged\n"
	"  -K, --runs K          runs of --leak (default 10)\n"
	"  -o, --output FILE     the report as JSON (written atomically)\n"
	"      --compare FILE    compare with a baseline report: flag a median time more\n"
	"                        than 20% above the baseline's, or a peak memory more\n"
	"                        than 50% above\n"
	"      --time-tolerance P    the time threshold in percent (default 20)\n"
	"      --memory-tolerance P  the memory threshold in percent (default 50)\n"
	"      --fail-on-regression  exit 1 when --compare flags a regression\n"
	"      --from FILE       take the results from a report instead of measuring\n"
	"  -j, --threads N       threads of infer and the top of --sweep threads\n"
	"                        (default: all cores)\n"
	"      --bin DIR         where the programs are (default: beside profile)\n"
	"      --examples DIR    the fixed inputs (default: examples/ of the source tree,\n"
	"                        or the installed share/biofilter/examples)\n"
	"  -q, --quiet           no progress lines on stderr\n"
	"  -h, --help            this help\n"
	"      --version         print the version\n"
	"\n"
	"Exit status: 0 success, 1 run-time failure or (with --fail-on-regression) a\n"
	"regression, 2 bad input or usage.\n";

static const char synopsis[] = "[-c COMPONENTS] [--quick] [-o REPORT.json] [--compare BASELINE.json] [options]";

enum { OPT_QUICK = 256, OPT_SWEEP, OPT_TSV, OPT_LEAK, OPT_COMPARE, OPT_TIME_TOL, OPT_MEM_TOL, OPT_FAIL, OPT_FROM,
       OPT_BIN, OPT_EXAMPLES, OPT_VERSION, OPT_SEEDS };

static const struct option longopts[] = {
	{"component", required_argument, NULL, 'c'},
	{"quick", no_argument, NULL, OPT_QUICK},
	{"repeat", required_argument, NULL, 'r'},
	{"warmup", required_argument, NULL, 'w'},
	{"sweep", required_argument, NULL, OPT_SWEEP},
	{"tsv", required_argument, NULL, OPT_TSV},
	{"leak", required_argument, NULL, OPT_LEAK},
	{"runs", required_argument, NULL, 'K'},
	{"output", required_argument, NULL, 'o'},
	{"compare", required_argument, NULL, OPT_COMPARE},
	{"time-tolerance", required_argument, NULL, OPT_TIME_TOL},
	{"memory-tolerance", required_argument, NULL, OPT_MEM_TOL},
	{"fail-on-regression", no_argument, NULL, OPT_FAIL},
	{"from", required_argument, NULL, OPT_FROM},
	{"threads", required_argument, NULL, 'j'},
	{"bin", required_argument, NULL, OPT_BIN},
	{"examples", required_argument, NULL, OPT_EXAMPLES},
	{"seeds", required_argument, NULL, OPT_SEEDS},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

#define MAX_NAMES 16

struct options {
	char *components[MAX_NAMES], *sweeps[MAX_NAMES], *leaks[MAX_NAMES];
	int n_components, n_sweeps, n_leaks;
	char lists[3][512];
	const char *tsv, *out, *compare, *from, *bin, *examples;
	int quick, quiet, fail;
	long repeat, warmup, runs, threads, seeds;
	double time_tol, mem_tol;
};

/* Split a comma-separated list into out (pointing into buf); every name
 * must pass ok(); "all" (when all_names is given) is every one of them. */
static int parse_names(const char *arg, const char *opt, int (*ok)(const char *), const char *const *all_names,
		       char *buf, size_t size, char **out, int *n, struct err *e)
{
	if (strlen(arg) >= size)
		return err_set(e, ERR_INPUT, "'%s': the list is too long", opt);
	strcpy(buf, arg);
	*n = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (all_names && !strcmp(t, "all")) {
			for (int i = 0; all_names[i] && *n < MAX_NAMES; i++)
				out[(*n)++] = (char *)all_names[i];
			continue;
		}
		if (!ok(t))
			return err_set(e, ERR_INPUT, "'%s': unknown name '%s'", opt, t);
		if (*n == MAX_NAMES)
			return err_set(e, ERR_INPUT, "'%s': too many names", opt);
		out[(*n)++] = t;
	}
	if (!*n)
		return err_set(e, ERR_INPUT, "'%s' needs at least one name", opt);
	return 0;
}

static const char *const all_components[] = {"solve", "sensitivity", "tmcmc", "infer", "case2", "agent", NULL};

static int parse_options(int argc, char **argv, struct options *o, struct err *e)
{
	int c, rc = 0, repeat_set = 0;

	memset(o, 0, sizeof *o);
	o->warmup = 1;
	o->runs = 10;
	o->time_tol = 20;
	o->mem_tol = 50;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:r:w:K:o:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			rc = parse_names(optarg, "--component", bench_is_component, all_components, o->lists[0],
					 sizeof o->lists[0], o->components, &o->n_components, e);
			break;
		case OPT_QUICK: o->quick = 1; break;
		case 'r':
			rc = cli_parse_long(optarg, "--repeat", 1, 64, &o->repeat, e);
			repeat_set = 1;
			break;
		case 'w': rc = cli_parse_long(optarg, "--warmup", 0, 100, &o->warmup, e); break;
		case OPT_SWEEP:
			rc = parse_names(optarg, "--sweep", bench_is_sweep, NULL, o->lists[1], sizeof o->lists[1], o->sweeps,
					 &o->n_sweeps, e);
			break;
		case OPT_TSV: o->tsv = optarg; break;
		case OPT_LEAK:
			rc = parse_names(optarg, "--leak", bench_is_component, all_components, o->lists[2],
					 sizeof o->lists[2], o->leaks, &o->n_leaks, e);
			break;
		case 'K': rc = cli_parse_long(optarg, "--runs", 2, 100000, &o->runs, e); break;
		case 'o': o->out = optarg; break;
		case OPT_COMPARE: o->compare = optarg; break;
		case OPT_TIME_TOL: rc = cli_parse_double_in(optarg, "--time-tolerance", 0, INFINITY, 0, &o->time_tol, e); break;
		case OPT_MEM_TOL: rc = cli_parse_double_in(optarg, "--memory-tolerance", 0, INFINITY, 0, &o->mem_tol, e); break;
		case OPT_FAIL: o->fail = 1; break;
		case OPT_FROM: o->from = optarg; break;
		case 'j': rc = cli_parse_long(optarg, "--threads", 1, POOL_MAX_THREADS, &o->threads, e); break;
		case OPT_BIN: o->bin = optarg; break;
		case OPT_EXAMPLES: o->examples = optarg; break;
		case OPT_SEEDS: rc = cli_parse_long(optarg, "--seeds", 1, 10000, &o->seeds, e); break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("profile"); exit(0);
		default: return cli_bad_option(c, argv, e);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return err_set(e, ERR_INPUT, "unexpected argument '%s'", argv[optind]);
	if (!repeat_set)
		o->repeat = o->quick ? 3 : 5;
	if (o->from && (o->n_components || o->n_sweeps || o->n_leaks))
		return err_set(e, ERR_INPUT, "'--from' takes the results of a report: it measures nothing");
	if (o->from && !o->compare)
		return err_set(e, ERR_INPUT, "'--from' goes with '--compare BASELINE.json'");
	if (o->fail && !o->compare)
		return err_set(e, ERR_INPUT, "'--fail-on-regression' goes with '--compare BASELINE.json'");
	if (o->tsv && o->n_sweeps != 1)
		return err_set(e, ERR_INPUT, "'--tsv' writes the table of one sweep: give '--sweep NAME'");
	if (!o->from && !o->n_components && !o->n_sweeps && !o->n_leaks) {
		for (o->n_components = 0; all_components[o->n_components]; o->n_components++)
			o->components[o->n_components] = (char *)all_components[o->n_components];
	}
	return 0;
}

/* The directory of this program, for the programs beside it. */
static int self_dir(char *buf, size_t size, struct err *e)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0)
		return err_set(e, ERR_RUNTIME, "cannot find my own location: %s (give '--bin DIR')", strerror(errno));
	buf[n] = 0;
	*strrchr(buf, '/') = 0;
	return 0;
}

/* The fixed inputs: the source tree's examples beside bin/, else the
 * installed ones (PREFIX/libexec/biofilter -> PREFIX/share/biofilter). */
static void find_examples(const char *bin, char *buf, size_t size)
{
	snprintf(buf, size, "%s/../examples", bin);
	char probe[PATH_MAX + 128];
	snprintf(probe, sizeof probe, "%.*s/case2/M1.json", PATH_MAX, buf);
	if (access(probe, R_OK))
		snprintf(buf, size, "%s/../../share/biofilter/examples", bin);
}

static int measure_all(const struct options *o, struct report *r, struct err *e)
{
	char bin[PATH_MAX], examples[PATH_MAX + 64];
	struct bench b;
	int rc;

	if (o->bin)
		snprintf(bin, sizeof bin, "%s", o->bin);
	else if ((rc = self_dir(bin, sizeof bin, e)))
		return rc;
	if (o->examples)
		snprintf(examples, sizeof examples, "%s", o->examples);
	else
		find_examples(bin, examples, sizeof examples);
	struct bench_options bo = {bin,	      examples,		o->quick,
				   (int)o->repeat, (int)o->warmup, o->threads ? (int)o->threads : pool_cores(),
				   o->quiet, (int)o->seeds};
	struct report_settings rs = {o->quick, bo.repeat, bo.warmup, bo.threads};
	if ((rc = report_init(r, &rs, e)))
		return rc;
	if ((rc = bench_init(&b, &bo, r, e)))
		return rc;
	for (int i = 0; !rc && i < o->n_components; i++)
		rc = bench_component(&b, o->components[i], e);
	for (int i = 0; !rc && i < o->n_sweeps; i++)
		rc = bench_sweep(&b, o->sweeps[i], e);
	for (int i = 0; !rc && i < o->n_leaks; i++)
		rc = bench_leak(&b, o->leaks[i], (int)o->runs, e);
	bench_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct report r = {NULL}, base = {NULL};
	struct err e = {0};
	int rc, regressions = 0;

	cli_init();
	if ((rc = parse_options(argc, argv, &o, &e))) {
		cli_option_error("profile", synopsis, rc, &e);
		return err_exit_status(rc);
	}
	/* a baseline that cannot be read should say so before minutes of measuring */
	if (o.compare && (rc = report_load(&base, o.compare, &e)))
		goto done;
	if ((rc = o.from ? report_load(&r, o.from, &e) : measure_all(&o, &r, &e)))
		goto done;
	if (o.compare &&
	    (rc = report_compare(&r, &base, o.compare, o.time_tol / 100, o.mem_tol / 100, &regressions, &e)))
		goto done;
	report_print(&r, stdout);
	if (fflush(stdout)) {
		rc = err_set(&e, ERR_RUNTIME, "cannot write the tables: %s", strerror(errno));
		goto done;
	}
	if (o.tsv && (rc = report_write_tsv(&r, o.sweeps[0], o.tsv, &e)))
		goto done;
	if (o.out)
		rc = report_write(&r, o.out, &e);
done:
	if (rc)
		fprintf(stderr, "profile: %s\n", e.msg);
	report_free(&r);
	report_free(&base);
	if (rc)
		return err_exit_status(rc);
	return o.fail && regressions ? 1 : 0;
}
