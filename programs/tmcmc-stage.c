/*
 * tmcmc-stage: one stage of Transitional MCMC as a filter (DESIGN §4):
 * --init draws stage 0 from the prior; otherwise a population comes in,
 * records still lacking a loglik are evaluated, one stage runs, and the
 * next population goes out. Likelihoods come from an evaluator command.
 * See man/tmcmc-stage.1. This main parses options and wires library calls.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "evalcmd.h"
#include "phases.h"
#include "population.h"
#include "prior.h"
#include "progress.h"
#include "stream.h"
#include "tmcmc.h"

static const char usage[] =
	"usage: tmcmc-stage --init --prior PRIOR.json -N COUNT [--seed S] [-o OUT]\n"
	"       tmcmc-stage --eval CMD [-i POP] [-o OUT] [options]\n"
	"\n"
	"Transitional MCMC one stage at a time. --init draws stage 0 from the prior;\n"
	"otherwise reads a population, evaluates the records that lack a loglik,\n"
	"tempers to the next beta, resamples, moves every chain by Metropolis-Hastings\n"
	"steps, and writes the next population. Repeat until the header's beta is 1.\n"
	"\n"
	"Stage 0:\n"
	"      --init           draw stage 0 from the prior (nothing is evaluated)\n"
	"      --prior FILE     the prior (JSON array of {\"name\", \"uniform\" | \"normal\"})\n"
	"  -N, --samples N      number of chains\n"
	"      --seed S         key of every random stream (default 0)\n"
	"      --level L        a further key word, for hierarchical runs (default 0)\n"
	"\n"
	"Stages:\n"
	"  -e, --eval CMD       the likelihood: CMD (run by /bin/sh) reads theta records\n"
	"                       on stdin and writes loglik records on stdout\n"
	"      --eval-timeout S stop CMD, and fail, when it has not answered a batch\n"
	"                       within S seconds (default: wait)\n"
	"      --kernel K       the MH kernel: tpcn (default; t-preconditioned Crank-Nicolson\n"
	"                       from a Student-t fitted to the weighted population) or rw\n"
	"                       (Gaussian random walk)\n"
	"      --dof NU         tpcn: the fitted t's degrees of freedom (default 5)\n"
	"      --no-delayed-acceptance  tpcn: evaluate every proposal (default: screen\n"
	"                       them first with a quadratic fit of the loglik, d <= 10)\n"
	"      --target-ess F   ESS of the weights as a fraction of N (default: tpcn 0.6,\n"
	"                       rw 0.5)\n"
	"      --min-dbeta X    smallest tempering step (default 0)\n"
	"      --logl-scale X   scale logliks by X when choosing dbeta only (default 1)\n"
	"      --scale S        proposal scale to start from (default: the population's;\n"
	"                       at stage 0 tpcn's r = min(2.38/sqrt(d), 0.99), rw 2.4/sqrt(d))\n"
	"      --fixed-scale    do not adapt the scale (Ching & Chen: --scale 0.2 --fixed-scale)\n"
	"      --target-acceptance A  acceptance the scale adapts to (default: tpcn 0.234,\n"
	"                       rw 0.23 + 0.21/d)\n"
	"      --resample HOW   systematic (default) or multinomial\n"
	"      --chain-steps K  MH steps per stage, or 'auto' (default): stop once the\n"
	"                       chains have decorrelated from where they started (tpcn:\n"
	"                       5 steps, then more while they have not)\n"
	"      --min-chain-steps K  'auto': the steps before decorrelation is first checked\n"
	"                       (default: tpcn 5, rw 1)\n"
	"      --max-chain-steps K  most steps of 'auto' (default 50)\n"
	"      --decorrelation R  'auto' stops when every |corr(start, now)| <= R (default:\n"
	"                       tpcn 0.7, rw 0.2)\n"
	"\n"
	"  -i, --input FILE     the population (default: stdin; gzip is read as is)\n"
	"  -o, --output FILE    the next population (default: stdout), written atomically\n"
	"  -z, --compress       gzip the output\n"
	"  -v, --verbose        a summary line per stage on stderr, with timings\n"
	"      --phases FILE    time the stage's own work (sampler), the evaluator and\n"
	"                       the output, and write them with the stage's counters, beta\n"
	"                       and acceptance as JSON to FILE (for profile)\n"
	"      --progress       show progress on stderr even when it is not a terminal\n"
	"  -q, --quiet          no messages but errors\n"
	"  -h, --help           this help\n"
	"      --version        print the version\n"
	"\n"
	"Exit status: 0 success, 1 run-time failure (the evaluator failed), 2 bad input\n"
	"or usage.\n";

static const char synopsis[] = "--init --prior PRIOR -N COUNT | --eval CMD [options]";

enum { OPT_INIT = 256, OPT_PRIOR, OPT_SEED, OPT_LEVEL, OPT_TARGET_ESS, OPT_MIN_DBETA, OPT_LOGL_SCALE, OPT_SCALE,
       OPT_FIXED_SCALE, OPT_TARGET_ACC, OPT_RESAMPLE, OPT_CHAIN_STEPS, OPT_MIN_CHAIN_STEPS, OPT_MAX_CHAIN_STEPS,
       OPT_DECORRELATION,
       OPT_DOF, OPT_KERNEL, OPT_DELAYED, OPT_NO_DELAYED, OPT_PROGRESS, OPT_VERSION, OPT_PHASES,
       OPT_EVAL_TIMEOUT };

static const struct option longopts[] = {
	{"init", no_argument, NULL, OPT_INIT},
	{"prior", required_argument, NULL, OPT_PRIOR},
	{"samples", required_argument, NULL, 'N'},
	{"seed", required_argument, NULL, OPT_SEED},
	{"level", required_argument, NULL, OPT_LEVEL},
	{"eval", required_argument, NULL, 'e'},
	{"eval-timeout", required_argument, NULL, OPT_EVAL_TIMEOUT},
	{"target-ess", required_argument, NULL, OPT_TARGET_ESS},
	{"min-dbeta", required_argument, NULL, OPT_MIN_DBETA},
	{"logl-scale", required_argument, NULL, OPT_LOGL_SCALE},
	{"scale", required_argument, NULL, OPT_SCALE},
	{"fixed-scale", no_argument, NULL, OPT_FIXED_SCALE},
	{"target-acceptance", required_argument, NULL, OPT_TARGET_ACC},
	{"resample", required_argument, NULL, OPT_RESAMPLE},
	{"chain-steps", required_argument, NULL, OPT_CHAIN_STEPS},
	{"min-chain-steps", required_argument, NULL, OPT_MIN_CHAIN_STEPS},
	{"max-chain-steps", required_argument, NULL, OPT_MAX_CHAIN_STEPS},
	{"decorrelation", required_argument, NULL, OPT_DECORRELATION},
	{"dof", required_argument, NULL, OPT_DOF},
	{"kernel", required_argument, NULL, OPT_KERNEL},
	{"delayed-acceptance", no_argument, NULL, OPT_DELAYED},
	{"no-delayed-acceptance", no_argument, NULL, OPT_NO_DELAYED},
	{"input", required_argument, NULL, 'i'},
	{"output", required_argument, NULL, 'o'},
	{"compress", no_argument, NULL, 'z'},
	{"verbose", no_argument, NULL, 'v'},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"phases", required_argument, NULL, OPT_PHASES},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct options {
	int init, compress, verbose, quiet, progress;
	const char *prior, *eval, *in, *out, *phases;
	double eval_timeout;
	long n, level;
	unsigned long long seed;
	int seed_set, level_set, stage_opts, auto_opts;
	struct tmcmc_settings s;
};

static int parse_options(int argc, char **argv, struct options *o, struct err *e)
{
	int c, rc = 0;
	long k;

	memset(o, 0, sizeof *o);
	tmcmc_settings_default(&o->s);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":N:e:i:o:zvqh", longopts, NULL)) != -1) {
		if (c >= OPT_TARGET_ESS && c <= OPT_NO_DELAYED && c != OPT_SCALE)
			o->stage_opts = 1;
		switch (c) {
		case OPT_INIT: o->init = 1; break;
		case OPT_PRIOR: o->prior = optarg; break;
		case 'N': rc = cli_parse_long(optarg, "--samples", 2, POPULATION_MAX_N, &o->n, e); break;
		case OPT_SEED: {
			char *end;
			errno = 0;
			o->seed = strtoull(optarg, &end, 10);
			if (errno || !isdigit((unsigned char)optarg[0]) || *end || o->seed > INT64_MAX)
				rc = err_set(e, ERR_INPUT, "'--seed' must be an integer from 0 to 2^63-1, got '%s'",
					     optarg);
			o->seed_set = 1;
			break;
		}
		case OPT_LEVEL:
			rc = cli_parse_long(optarg, "--level", 0, 1000000000, &o->level, e);
			o->level_set = 1;
			break;
		case 'e': rc = cli_parse_command(optarg, "--eval", &o->eval, e); break;
		case OPT_EVAL_TIMEOUT:
			rc = cli_parse_double_in(optarg, "--eval-timeout", 0, 1e9, CLI_OPEN_LO, &o->eval_timeout, e);
			break;
		case OPT_TARGET_ESS: rc = cli_parse_double_in(optarg, "--target-ess", 0, 1, CLI_OPEN_LO, &o->s.target_ess, e); break;
		case OPT_MIN_DBETA: rc = cli_parse_double_in(optarg, "--min-dbeta", 0, 1, 0, &o->s.min_dbeta, e); break;
		case OPT_LOGL_SCALE:
			rc = cli_parse_double_in(optarg, "--logl-scale", 0, INFINITY, CLI_OPEN_LO, &o->s.logl_scale, e);
			break;
		case OPT_SCALE: rc = cli_parse_double_in(optarg, "--scale", 0, 1e6, CLI_OPEN_LO, &o->s.scale, e); break;
		case OPT_FIXED_SCALE: o->s.adapt = 0; break;
		case OPT_TARGET_ACC:
			rc = cli_parse_double_in(optarg, "--target-acceptance", 0, 1, CLI_OPEN_LO | CLI_OPEN_HI,
						 &o->s.target_acceptance, e);
			break;
		case OPT_RESAMPLE:
			if (!strcmp(optarg, "systematic"))
				o->s.resample = TMCMC_SYSTEMATIC;
			else if (!strcmp(optarg, "multinomial"))
				o->s.resample = TMCMC_MULTINOMIAL;
			else
				rc = err_set(e, ERR_INPUT, "'--resample' must be systematic or multinomial, got '%s'",
					     optarg);
			break;
		case OPT_CHAIN_STEPS:
			if (!strcmp(optarg, "auto"))
				o->s.chain_steps = 0;
			else if (!(rc = cli_parse_long(optarg, "--chain-steps", 1, 100000, &k, e)))
				o->s.chain_steps = (int)k;
			break;
		case OPT_MIN_CHAIN_STEPS:
			if (!(rc = cli_parse_long(optarg, "--min-chain-steps", 1, 100000, &k, e)))
				o->s.min_chain_steps = (int)k;
			o->auto_opts = 1;
			break;
		case OPT_MAX_CHAIN_STEPS:
			if (!(rc = cli_parse_long(optarg, "--max-chain-steps", 1, 100000, &k, e)))
				o->s.max_chain_steps = (int)k;
			o->auto_opts = 1;
			break;
		case OPT_KERNEL:
			if (tmcmc_kernel_parse(optarg, &o->s.kernel))
				rc = err_set(e, ERR_INPUT, "'--kernel' must be tpcn or rw, got '%s'", optarg);
			break;
		case OPT_DOF: rc = cli_parse_double_in(optarg, "--dof", 1, 1e6, 0, &o->s.dof, e); break;
		case OPT_DELAYED: o->s.delayed = 1; break;
		case OPT_NO_DELAYED: o->s.delayed = 0; break;
		case OPT_DECORRELATION:
			rc = cli_parse_double_in(optarg, "--decorrelation", 0, 1, CLI_OPEN_LO, &o->s.decorrelation, e);
			o->auto_opts = 1;
			break;
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case 'z': o->compress = 1; break;
		case 'v': o->verbose = 1; break;
		case OPT_PROGRESS: o->progress = 1; break;
		case OPT_PHASES: o->phases = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("tmcmc-stage"); exit(0);
		default: return cli_bad_option(c, argv, e);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return err_set(e, ERR_INPUT, "unexpected argument '%s' (the population is read with -i or stdin)",
			       argv[optind]);
	if (o->eval_timeout > 0 && !o->eval && !o->init)
		return err_set(e, ERR_INPUT, "'--eval-timeout' goes with '--eval'");
	if (o->init) {
		if (o->eval_timeout > 0)
			o->stage_opts = 1; /* refused below, with --eval */
		if (!o->prior || !o->n)
			return err_set(e, ERR_INPUT, "'--init' needs '--prior FILE' and '-N COUNT'");
		if (o->eval || o->in || o->stage_opts)
			return err_set(e, ERR_INPUT, "'--init' only draws from the prior: '--eval', '-i' and the "
				       "stage options go with the stages that follow");
		return 0;
	}
	if (o->prior || o->n || o->seed_set || o->level_set)
		return err_set(e, ERR_INPUT, "'--prior', '-N', '--seed' and '--level' go with '--init'; a stage "
			       "takes them from its input population");
	if (!o->eval)
		return err_set(e, ERR_INPUT, "a stage needs a likelihood: '--eval CMD' (or '--init' to start)");
	if (o->auto_opts && o->s.chain_steps > 0)
		return err_set(e, ERR_INPUT, "'--min-chain-steps', '--max-chain-steps' and '--decorrelation' go with "
			       "'--chain-steps auto'");
	return 0;
}

struct run {
	struct options o;
	struct prior prior;
	struct population in, out;
	struct stream_writer w;
	struct meter meter, *mp; /* mp: &meter with --phases */
};

static int write_population(struct run *u, const struct population *p, const struct tmcmc_settings *s,
			    struct err *e)
{
	int rc;
	if ((rc = stream_writer_open(&u->w, u->o.out, u->o.compress, e)))
		return rc;
	u->w.meter = u->mp;
	if ((rc = tmcmc_write_population(p, &u->prior, s, &u->w, e)))
		return rc;
	return stream_writer_commit(&u->w, e);
}

static int run_init(struct run *u, struct err *e)
{
	int rc;
	if ((rc = prior_load(&u->prior, u->o.prior, e)) ||
	    (rc = tmcmc_init(&u->out, &u->prior, (int)u->o.n, u->o.seed, u->o.level, &u->o.s, e)))
		return rc;
	return write_population(u, &u->out, NULL, e);
}

/* The evaluator command, with a progress meter counting likelihoods. */
struct metered {
	struct evalcmd ec;
	struct progress p;
	struct meter *meter;
};

static int metered_eval(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d,
			double *loglik, struct err *e)
{
	struct metered *m = ctx;
	uint64_t t0 = meter_begin(m->meter);
	int rc = evalcmd_eval(&m->ec, ids, theta, floor, n, d, loglik, e);
	meter_lap(m->meter, METER_EVALUATOR, t0);
	progress_add(&m->p, n, "tmcmc-stage", "likelihoods");
	return rc;
}

static int run_stage(struct run *u, struct err *e)
{
	struct metered m;
	struct evalcmd *ec = &m.ec;
	struct tmcmc_evaluator ev = {metered_eval, &m, u->mp};
	double t0 = clock_now();
	int rc;

	if ((rc = population_read(&u->in, &u->prior, u->o.in, e)))
		return rc;
	if (!(u->in.beta < 1))
		return err_set(e, ERR_INPUT, "%s: the population is at beta = 1 already: nothing to do",
			       u->o.in ? u->o.in : "<stdin>");
	evalcmd_init(ec, u->o.eval, (const char *const *)u->prior.names, u->prior.n);
	ec->timeout = u->o.eval_timeout;
	progress_init(&m.p, u->o.progress, u->o.quiet);
	m.meter = u->mp;
	if ((rc = tmcmc_advance(&u->in, &u->prior, &u->o.s, &ev, &u->out, e)))
		return rc;
	progress_done(&m.p, "tmcmc-stage", "likelihoods");
	if ((rc = write_population(u, &u->out, &u->o.s, e)))
		return rc;
	if (u->o.verbose && !u->o.quiet) {
		const struct population *p = &u->out;
		double total = clock_now() - t0;
		fprintf(stderr,
			"tmcmc-stage: stage %ld: beta %.6g (dbeta %.3g), ess %.1f, acceptance %.3f, scale %.3g, "
			"%ld steps, %ld evaluations, log_evidence %.6g; %.3f s, of which evaluator %.3f s, "
			"own %.4f s\n",
			p->stage, p->beta, p->dbeta, p->ess, p->acceptance, p->scale, p->chain_steps, p->evaluations,
			p->log_evidence, total, ec->seconds, total - ec->seconds);
	}
	return 0;
}

/* --phases: the meter, and where the stage got to. */
static int write_phases(struct run *u, struct err *e)
{
	const struct population *p = &u->out;
	struct phases_shape s;

	phases_shape_init(&s);
	s.stage = p->stage;
	s.beta = p->beta;
	s.acceptance = u->o.init ? 0.0 : p->acceptance;
	s.chain_steps = p->chain_steps;
	return phases_write(&u->meter, 1, u->o.phases, "tmcmc-stage", &s, e);
}

int main(int argc, char **argv)
{
	struct run u;
	struct err e = {0};
	int rc;

	cli_init();
	memset(&u, 0, sizeof u);
	meter_init(&u.meter);
	if ((rc = parse_options(argc, argv, &u.o, &e))) {
		cli_option_error("tmcmc-stage", synopsis, rc, &e);
		return err_exit_status(rc);
	}
	u.mp = u.o.phases ? &u.meter : NULL;
	rc = u.o.init ? run_init(&u, &e) : run_stage(&u, &e);
	if (!rc && u.o.phases)
		rc = write_phases(&u, &e);
	if (rc)
		fprintf(stderr, "tmcmc-stage: %s\n", e.msg);
	stream_writer_free(&u.w);
	population_free(&u.in);
	population_free(&u.out);
	prior_free(&u.prior);
	return rc ? err_exit_status(rc) : 0;
}
