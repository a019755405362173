/*
 * infer: a whole hierarchical calibration from a plan file, in one process
 * (DESIGN §4): every level's TMCMC to beta = 1 with likelihoods on a thread
 * pool (or an evaluator command), the posterior stream, a summary per
 * level, the posterior predictive. --setup and --from are the two ends of
 * pipelines/calibrate.mk, which runs the same stages as files. See
 * man/infer.1. This main parses options, wires library calls and prints.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calibration.h"
#include "cli.h"
#include "clock.h"
#include "meter.h"
#include "monitor.h"
#include "phases.h"
#include "plan.h"
#include "pool.h"
#include "posterior.h"
#include "predictive.h"
#include "progress.h"
#include "stream.h"

static const char usage[] =
	"usage: infer PLAN.json [-o POSTERIOR] [-j N] [options]\n"
	"       infer PLAN.json --setup LEVEL --from DIR\n"
	"       infer PLAN.json --from DIR [-o POSTERIOR] [options]\n"
	"\n"
	"Calibrates the plan's levels in order: TMCMC from each level's prior to\n"
	"beta = 1, parameters learnt at a level fixed at their MAP (or mean) in later\n"
	"ones. Prints a summary per level; writes the posterior stream with -o and the\n"
	"posterior predictive (levels and validation) with -p.\n"
	"\n"
	"  -o, --output FILE    posterior stream: per level a header with the summary,\n"
	"                       then its samples (written atomically)\n"
	"  -p, --predictive FILE  posterior predictive of phibar (and phi, psi) for\n"
	"                       every level and the validation: mean, sd, mean +- 2 sd\n"
	"                       per step (pipelines/figures.mk draws it)\n"
	"      --every K        predictive at every K-th step (default: about 500 rows)\n"
	"  -j, --threads N      likelihoods on N threads (default: all cores)\n"
	"  -e, --eval CMD       likelihoods from CMD (run by /bin/sh, as tmcmc-stage's)\n"
	"                       instead; CMD sees the level in BIOFILTER_* variables,\n"
	"                       e.g. -e 'sensitivity $BIOFILTER_EVAL_ARGS'\n"
	"      --eval-timeout S stop CMD, and fail, when it has not answered a batch\n"
	"                       within S seconds (default: wait)\n"
	"      --workdir DIR    where --eval's level files go (default: a temporary\n"
	"                       directory, removed at the end)\n"
	"      --json           the summary as JSON on stdout instead of tables\n"
	"      --from DIR       take each level's final population from\n"
	"                       DIR/LEVEL/posterior.mpk instead of running it\n"
	"      --setup LEVEL    write DIR/LEVEL/{model.json,prior.json,env} for a\n"
	"                       pipeline's stages of LEVEL (with --from DIR)\n"
	"      --make-rules     print the plan's levels and their order as Make rules\n"
	"                       (with --from DIR; pipelines/calibrate.mk includes them)\n"
	"  -v, --verbose        a line per stage on stderr (as tmcmc-stage -v)\n"
	CLI_USAGE_INSTRUMENTS
	"  -z, --compress       gzip the output streams\n"
	"      --progress       show progress on stderr even when it is not a terminal\n"
	"  -q, --quiet          no progress, no summary tables (--json still prints)\n"
	"  -h, --help           this help\n"
	"      --version        print the version\n"
	"\n"
	"SIGINT or SIGTERM stops the calibration before its next batch of likelihoods\n"
	"(a second one at once); so does a failure. The finished levels' posterior then\n"
	"goes to POSTERIOR.partial.\n"
	"\n"
	"Exit status: 0 success, 1 run-time failure, 2 bad plan, bad input or usage,\n"
	"128 + the signal when stopped by one.\n";

static const char synopsis[] = "PLAN.json [-o POSTERIOR] [-j N] [options]";

enum { OPT_EVERY = 256, OPT_WORKDIR, OPT_JSON, OPT_FROM, OPT_SETUP, OPT_MAKE_RULES, OPT_PROGRESS, OPT_VERSION, OPT_PHASES,
       OPT_STATS, OPT_EVAL_TIMEOUT };

static const struct option longopts[] = {
	{"output", required_argument, NULL, 'o'},
	{"predictive", required_argument, NULL, 'p'},
	{"every", required_argument, NULL, OPT_EVERY},
	{"threads", required_argument, NULL, 'j'},
	{"eval", required_argument, NULL, 'e'},
	{"eval-timeout", required_argument, NULL, OPT_EVAL_TIMEOUT},
	{"workdir", required_argument, NULL, OPT_WORKDIR},
	{"json", no_argument, NULL, OPT_JSON},
	{"from", required_argument, NULL, OPT_FROM},
	{"setup", required_argument, NULL, OPT_SETUP},
	{"make-rules", no_argument, NULL, OPT_MAKE_RULES},
	{"compress", no_argument, NULL, 'z'},
	{"verbose", no_argument, NULL, 'v'},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"phases", required_argument, NULL, OPT_PHASES},
	{"stats", optional_argument, NULL, OPT_STATS},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct options {
	const char *plan, *out, *predictive, *eval, *workdir, *from, *setup, *phases;
	long threads, every;
	int json, make_rules, compress, progress, quiet, verbose, stats;
	double stats_interval, eval_timeout;
};

/* The signal that asked the calibration to stop (SIGINT, SIGTERM), or 0:
 * set by the handler, read between batches of likelihoods. */
static volatile sig_atomic_t stop_signal;

/* The first SIGINT or SIGTERM asks for a clean stop; a second one ends
 * the process at once, as if there were no handler. */
static void on_signal(int sig)
{
	if (stop_signal) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Where the finished levels go when a level fails or is stopped:
 * OUT.partial (not OUT: a file under the final name would be taken for
 * the whole calibration, by Make among others); 0 when there is no named
 * output. */
static int partial_path(const struct options *o, char *buf, size_t size)
{
	if (!o->out || !strcmp(o->out, "-"))
		return 0;
	snprintf(buf, size, "%s.partial", o->out);
	return 1;
}

/* After a level failed or was stopped: the finished levels' posterior to
 * partial_path. */
static void write_partial(const struct options *o, const struct calibration *c, int failed_level)
{
	struct stream_writer w;
	struct err e = {0};
	char path[4200], names[512] = "";
	int n = 0, rc;

	for (int k = 0; k < c->plan->n_levels; k++)
		if (c->done[k]) {
			size_t len = strlen(names);
			snprintf(names + len, sizeof names - len, "%s%s", n ? ", " : "", c->plan->levels[k].name);
			n++;
		}
	if (n == 0 || !partial_path(o, path, sizeof path))
		return;
	stream_writer_init(&w);
	if (!(rc = stream_writer_open(&w, path, o->compress, &e)) && !(rc = calibration_write_posterior(c, &w, &e)))
		rc = stream_writer_commit(&w, &e);
	stream_writer_free(&w);
	if (rc)
		fprintf(stderr, "infer: %s\n", e.msg);
	else
		fprintf(stderr, "infer: level '%s' did not finish; the posterior of %s is in %s\n",
			c->plan->levels[failed_level].name, names, path);
}

static int parse_options(int argc, char **argv, struct options *o, struct err *e)
{
	int c, rc = 0;

	memset(o, 0, sizeof *o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:p:j:e:zvqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'p': o->predictive = optarg; break;
		case OPT_EVERY: rc = cli_parse_long(optarg, "--every", 1, MODEL_MAX_STEPS, &o->every, e); break;
		case 'j': rc = cli_parse_long(optarg, "--threads", 1, POOL_MAX_THREADS, &o->threads, e); break;
		case 'e': rc = cli_parse_command(optarg, "--eval", &o->eval, e); break;
		case OPT_EVAL_TIMEOUT:
			rc = cli_parse_double_in(optarg, "--eval-timeout", 0, 1e9, CLI_OPEN_LO, &o->eval_timeout, e);
			break;
		case OPT_WORKDIR: o->workdir = optarg; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_SETUP: o->setup = optarg; break;
		case OPT_MAKE_RULES: o->make_rules = 1; break;
		case 'z': o->compress = 1; break;
		case 'v': o->verbose = 1; break;
		case OPT_PROGRESS: o->progress = 1; break;
		case OPT_PHASES: o->phases = optarg; break;
		case OPT_STATS:
			rc = cli_parse_stats(optarg, &o->stats_interval, e);
			o->stats = 1;
			break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("infer"); exit(0);
		default: return cli_bad_option(c, argv, e);
		}
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return err_set(e, ERR_INPUT, "no plan file given");
	if (argc - optind > 1)
		return err_set(e, ERR_INPUT, "unexpected argument '%s' (one plan file)", argv[optind + 1]);
	o->plan = argv[optind];
	if ((o->setup || o->make_rules) && !o->from)
		return err_set(e, ERR_INPUT, "'%s' needs '--from DIR' (the pipeline's directory)",
			       o->setup ? "--setup" : "--make-rules");
	if ((o->setup || o->make_rules) && (o->out || o->predictive || o->json || o->eval))
		return err_set(e, ERR_INPUT, "'%s' writes level files only: no '-o', '-p', '--json' or '--eval'",
			       o->setup ? "--setup" : "--make-rules");
	if (o->setup && o->make_rules)
		return err_set(e, ERR_INPUT, "'--setup' and '--make-rules' are separate steps");
	if (o->workdir && !o->eval)
		return err_set(e, ERR_INPUT, "'--workdir' goes with '--eval'");
	if (o->eval_timeout > 0 && !o->eval)
		return err_set(e, ERR_INPUT, "'--eval-timeout' goes with '--eval'");
	if (o->from && o->eval)
		return err_set(e, ERR_INPUT, "'--from' reads finished levels: it evaluates nothing ('--eval')");
	if (o->stats && (o->eval || o->from || o->setup || o->make_rules))
		return err_set(e, ERR_INPUT, "'--stats' times the likelihoods infer evaluates itself: not with '%s'",
			       o->eval ? "--eval" : o->from ? "--from" : "--setup");
	if (o->phases && (o->from || o->setup || o->make_rules))
		return err_set(e, ERR_INPUT, "'--phases' times a calibration: not with '--from'");
	if (o->every && !o->predictive)
		return err_set(e, ERR_INPUT, "'--every' goes with '-p FILE'");
	return 0;
}

/* Progress on stderr: one line per level, rewritten a few times a second. */
struct level_progress {
	struct progress p;
	int verbose;
	double level_start;
	long evals;
	double beta1; /* the first stage's beta, for the ETA */
};

static void progress_line(struct level_progress *pr, const struct plan_level *lv, const struct population *p,
			  int force)
{
	if (!progress_due(&pr->p, force))
		return;
	double el = pr->p.last - pr->level_start;
	char eta[64] = "";
	/* stages advance beta about geometrically: the share of log beta
	 * covered since the first stage guesses the share of the time */
	if (p->stage >= 2 && pr->beta1 > 0 && pr->beta1 < 1 && p->beta < 1) {
		double f = log(p->beta / pr->beta1) / log(1 / pr->beta1);
		if (f > 0.05)
			snprintf(eta, sizeof eta, ", ETA ~%.0f s", el * (1 - f) / f);
	}
	fprintf(stderr, "\rinfer: %s stage %ld: beta %.4g, ess %.0f, acceptance %.2f, %ld evaluations, %.0f/s%s\033[K",
		lv->name, p->stage, p->beta, p->stage ? p->ess : (double)p->n, p->stage ? p->acceptance : 0.0,
		pr->evals, el > 0 ? pr->evals / el : 0.0, eta);
}

static void on_batch(void *ctx, const struct plan_level *lv, const struct population *from, long n)
{
	struct level_progress *pr = ctx;
	pr->evals += n;
	progress_line(pr, lv, from, 0);
}

static void on_stage(void *ctx, const struct plan_level *lv, const struct population *p)
{
	struct level_progress *pr = ctx;
	if (p->stage == 1)
		pr->beta1 = p->beta;
	if (pr->verbose) {
		if (pr->p.on)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "infer: %s stage %ld: beta %.6g (dbeta %.3g), ess %.1f, acceptance %.3f, scale %.3g, "
			"%ld steps, %ld evaluations, log_evidence %.6g\n", lv->name, p->stage, p->beta, p->dbeta, p->ess,
			p->acceptance, p->scale, p->chain_steps, p->evaluations, p->log_evidence);
	}
	progress_line(pr, lv, p, p->beta == 1);
}

static void print_number(double x)
{
	printf(" %10.5g", x);
}

static void print_level(const struct calibration *c, int k)
{
	const struct plan *pl = c->plan;
	const struct plan_level *lv = &pl->levels[k];
	const struct population *p = &c->post[k];
	const struct posterior_summary *s = &c->sum[k];
	int d = p->d;

	printf("level %s (%s): %ld stages, %ld evaluations", lv->name, lv->model_path, p->stage, p->evaluations_total);
	if (c->seconds[k] > 0)
		printf(" in %.1f s (%.0f per second)", c->seconds[k], p->evaluations_total / c->seconds[k]);
	printf("\nlog-evidence %.6g (se %.2g)\n", p->log_evidence, p->log_evidence_se);
	printf("%-10s %10s %10s %10s %10s %10s %10s\n", "parameter", "truth", "mean", "MAP", "std", "2.5%", "97.5%");
	for (int a = 0; a < d; a++) {
		const struct prior_param *q = &lv->prior.p[a];
		printf("%-10s", q->name);
		if (q->has_truth)
			print_number(q->truth);
		else
			printf(" %10s", "-");
		print_number(s->mean[a]);
		print_number(s->map[a]);
		print_number(s->sd[a]);
		print_number(s->q025[a]);
		print_number(s->q975[a]);
		printf("\n");
	}
	printf("correlation\n%-10s", "");
	for (int b = 0; b < d; b++)
		printf(" %7s", lv->prior.names[b]);
	printf("\n");
	for (int a = 0; a < d; a++) {
		printf("%-10s", lv->prior.names[a]);
		for (int b = 0; b < d; b++)
			printf(" %7.3f", s->corr[a * d + b]);
		printf("\n");
	}
	int fixed = 0;
	for (int j = 0; j < lv->model.n_theta; j++)
		if (lv->from_free[j] < 0) {
			const char *how = lv->from_level[j] < 0 ? "truth"
					  : lv->fixed == PLAN_MAP ? "MAP" : "mean";
			printf("%s %s=%.6g (%s%s%s)", fixed++ ? "," : "fixed:", lv->model.names[j], lv->fixed_value[j],
			       how, lv->from_level[j] < 0 ? "" : " of ",
			       lv->from_level[j] < 0 ? "" : pl->levels[lv->from_level[j]].name);
		}
	if (fixed)
		printf("\n");
	printf("\n");
}

static json_t *numbers_json(const double *x, int n)
{
	json_t *a = json_array();
	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, json_real(x[i]));
	return a;
}

static int print_json(const struct calibration *c, struct err *e)
{
	const struct plan *pl = c->plan;
	json_t *root = json_object(), *levels = json_array();
	if (!root || !levels || json_object_set_new(root, "levels", levels)) {
		json_decref(root);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	json_object_set_new(root, "plan", json_string(pl->path));
	for (int k = 0; k < pl->n_levels; k++) {
		const struct plan_level *lv = &pl->levels[k];
		const struct population *p = &c->post[k];
		const struct posterior_summary *s = &c->sum[k];
		json_t *o = json_object(), *params = json_array(), *corr = json_array(), *fixed = json_object();
		json_array_append_new(levels, o);
		json_object_set_new(o, "name", json_string(lv->name));
		json_object_set_new(o, "model", json_string(lv->model_path));
		json_object_set_new(o, "data", json_string(lv->data_path));
		json_object_set_new(o, "stages", json_integer(p->stage));
		json_object_set_new(o, "evaluations", json_integer(p->evaluations_total));
		json_object_set_new(o, "seconds", json_real(c->seconds[k]));
		json_object_set_new(o, "log_evidence", json_real(p->log_evidence));
		json_object_set_new(o, "log_evidence_se", json_real(p->log_evidence_se));
		json_object_set_new(o, "parameters", params);
		for (int a = 0; a < p->d; a++) {
			const struct prior_param *q = &lv->prior.p[a];
			json_t *x = json_object();
			json_array_append_new(params, x);
			json_object_set_new(x, "name", json_string(q->name));
			json_object_set_new(x, "truth", q->has_truth ? json_real(q->truth) : json_null());
			json_object_set_new(x, "mean", json_real(s->mean[a]));
			json_object_set_new(x, "map", json_real(s->map[a]));
			json_object_set_new(x, "sd", json_real(s->sd[a]));
			json_object_set_new(x, "q025", json_real(s->q025[a]));
			json_object_set_new(x, "q975", json_real(s->q975[a]));
		}
		json_object_set_new(o, "correlation", corr);
		for (int a = 0; a < p->d; a++)
			json_array_append_new(corr, numbers_json(s->corr + a * p->d, p->d));
		json_object_set_new(o, "fixed", fixed);
		for (int j = 0; j < lv->model.n_theta; j++)
			if (lv->from_free[j] < 0)
				json_object_set_new(fixed, lv->model.names[j], json_real(lv->fixed_value[j]));
	}
	int bad = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) || fputc('\n', stdout) == EOF;
	json_decref(root);
	return bad ? err_set(e, ERR_RUNTIME, "cannot write the summary: %s", strerror(errno)) : 0;
}

/* A level's final population under --from DIR. */
static int level_file(const struct options *o, const struct calibration *c, int k, char *buf, size_t size,
		      struct err *e)
{
	return calibration_level_path(c, o->from, k, CALIBRATION_POSTERIOR_FILE, buf, size, e);
}

/* --make-rules: the order of the levels for pipelines/calibrate.mk. */
static int make_rules(const struct options *o, const struct calibration *c, struct err *e)
{
	const struct plan *pl = c->plan;
	char path[4096];
	int rc;

	printf("# levels of %s (infer --make-rules)\nLEVELS =", pl->path);
	for (int k = 0; k < pl->n_levels; k++)
		printf(" %s", pl->levels[k].name);
	printf("\n");
	for (int k = 0; k < pl->n_levels; k++) {
		const struct plan_level *lv = &pl->levels[k];
		if ((rc = calibration_level_path(c, o->from, k, calibration_setup_files[CALIBRATION_ENV], path,
						 sizeof path, e)))
			return rc;
		printf("%s:", path);
		for (int l = 0; l < k; l++) {
			if (!plan_level_takes_from(lv, l))
				continue;
			if ((rc = level_file(o, c, l, path, sizeof path, e)))
				return rc;
			printf(" %s", path);
		}
		printf("\n");
	}
	return 0;
}

static int run_setup(const struct options *o, struct calibration *c, struct err *e)
{
	const struct plan *pl = c->plan;
	char path[4096];
	int k = -1, rc;

	for (int l = 0; l < pl->n_levels; l++)
		if (!strcmp(pl->levels[l].name, o->setup))
			k = l;
	if (k < 0)
		return err_set(e, ERR_INPUT, "'--setup': the plan has no level '%s'", o->setup);
	for (int l = 0; l < k; l++) {
		const struct plan_level *lv = &pl->levels[k];
		if (plan_level_takes_from(lv, l) && ((rc = level_file(o, c, l, path, sizeof path, e)) ||
						     (rc = calibration_load_level(c, l, path, e))))
			return rc;
	}
	return calibration_write_setup(c, k, o->from, e);
}

static int write_outputs(const struct options *o, struct calibration *c, struct err *e)
{
	struct plan *pl = c->plan;
	struct stream_writer w;
	int rc = 0;

	stream_writer_init(&w);
	if (o->out) {
		if (!(rc = stream_writer_open(&w, o->out, o->compress, e)) &&
		    !(rc = calibration_write_posterior(c, &w, e)))
			rc = stream_writer_commit(&w, e);
		stream_writer_free(&w);
		if (rc)
			return rc;
	}
	if (o->predictive) {
		long failed[pl->n_levels + 1];
		if (!(rc = stream_writer_open(&w, o->predictive, o->compress, e)) &&
		    !(rc = calibration_write_predictive(c, o->every, &w, failed, e)))
			rc = stream_writer_commit(&w, e);
		stream_writer_free(&w);
		for (int k = 0; !rc && !o->quiet && k < pl->n_levels + pl->has_validation; k++)
			if (failed[k])
				fprintf(stderr, "infer: predictive of '%s': %ld of %ld samples failed to run and are left "
					"out\n", k < pl->n_levels ? pl->levels[k].name : pl->validation.name, failed[k],
					pl->samples);
	}
	return rc;
}

/* --phases: the threads' meters and the run's shape. */
static int write_phases(const struct options *o, const struct plan *pl, struct meter *meters, struct err *e)
{
	struct phases_shape s;

	phases_shape_init(&s);
	s.threads = o->threads;
	s.levels = pl->n_levels;
	s.samples = pl->samples;
	return phases_write(meters, (int)o->threads, o->phases, "infer", &s, e);
}

int main(int argc, char **argv)
{
	struct options o;
	struct plan pl;
	struct calibration c;
	struct err e = {0};
	char tmpbuf[4096], *workdir = NULL;
	struct meter *meters = NULL;
	struct monitor monitor;
	int rc, exit_status = 0;

	cli_init();
	memset(&pl, 0, sizeof pl);
	memset(&c, 0, sizeof c);
	if ((rc = parse_options(argc, argv, &o, &e))) {
		cli_option_error("infer", synopsis, rc, &e);
		return err_exit_status(rc);
	}
	if (!o.threads)
		o.threads = pool_cores();
	if ((rc = plan_load(&pl, o.plan, &e)))
		goto done;
	if (o.eval) {
		if (o.workdir) {
			workdir = (char *)o.workdir;
		} else {
			const char *t = getenv("TMPDIR");
			snprintf(tmpbuf, sizeof tmpbuf, "%s/infer.XXXXXX", t && *t ? t : "/tmp");
			if (!(workdir = mkdtemp(tmpbuf))) {
				rc = err_set(&e, ERR_RUNTIME, "cannot make a temporary directory: %s", strerror(errno));
				goto done;
			}
		}
		if (mkdir(workdir, 0777) && errno != EEXIST) {
			rc = err_set(&e, ERR_RUNTIME, "cannot make '%s': %s", workdir, strerror(errno));
			goto done;
		}
	}
	if ((rc = calibration_init(&c, &pl, (int)o.threads, o.eval, workdir, &e)))
		goto done;
	if (o.phases && (rc = meter_init_threads(&meters, (int)o.threads, &e)))
		goto done;
	c.meters = meters;
	if (o.stats) {
		monitor_init(&monitor, "infer", "evaluations", o.stats_interval);
		c.monitor = &monitor;
	}
	if (o.make_rules) {
		rc = make_rules(&o, &c, &e);
		goto done;
	}
	if (o.setup) {
		rc = run_setup(&o, &c, &e);
		goto done;
	}
	struct level_progress pr = {.verbose = o.verbose && !o.quiet};
	progress_init(&pr.p, o.progress, o.quiet);
	pr.p.last = 0; /* a level's first line at once */
	struct calibration_hooks h = {on_batch, on_stage, &pr};
	c.stop = &stop_signal;
	c.eval_timeout = o.eval_timeout;
	if (!o.from)
		catch_signals();
	for (int k = 0; k < pl.n_levels; k++) {
		if (o.from) {
			char path[4096];
			if ((rc = level_file(&o, &c, k, path, sizeof path, &e)) ||
			    (rc = calibration_load_level(&c, k, path, &e)))
				goto done;
		} else {
			pr.level_start = clock_now();
			pr.evals = 0;
			pr.beta1 = 0;
			rc = calibration_run_level(&c, k, &h, &e);
			if (pr.p.on)
				fputc('\n', stderr);
			if (rc) {
				if (stop_signal)
					snprintf(e.msg, sizeof e.msg, "%s: stopped in level '%s'",
						 stop_signal == SIGINT ? "SIGINT" : "SIGTERM", pl.levels[k].name);
				fprintf(stderr, "infer: %s\n", e.msg);
				write_partial(&o, &c, k);
				exit_status = stop_signal ? 128 + stop_signal : err_exit_status(rc);
				rc = 0; /* said */
				goto done;
			}
		}
		if (!o.quiet && !o.json)
			print_level(&c, k);
		fflush(stdout);
	}
	if ((rc = write_outputs(&o, &c, &e)))
		goto done;
	char partial[4200];
	if (partial_path(&o, partial, sizeof partial))
		remove(partial); /* an earlier stopped run's finished levels are now in o.out */
	if (o.json)
		rc = print_json(&c, &e);
	if (!rc && fflush(stdout))
		rc = err_set(&e, ERR_RUNTIME, "cannot write the summary: %s", strerror(errno));
	if (!rc && o.stats)
		monitor_done(&monitor);
	if (!rc && o.phases)
		rc = write_phases(&o, &pl, meters, &e);
done:
	if (rc)
		fprintf(stderr, "infer: %s\n", e.msg);
	if (workdir && !o.workdir) {
		if (c.plan)
			calibration_remove_setup(&c, workdir); /* the level files of --eval */
		else
			rmdir(workdir);
	}
	calibration_free(&c);
	plan_free(&pl);
	free(meters);
	return rc ? err_exit_status(rc) : exit_status;
}
