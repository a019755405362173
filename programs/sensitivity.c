/*
 * sensitivity: theta records in, first-order TSM moments of the
 * observables (or, with --data, the log-likelihood of paper eq. 29) out.
 * See man/sensitivity.1. This main parses options and wires library calls.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "likelihood.h"
#include "meter.h"
#include "model.h"
#include "monitor.h"
#include "mpjson.h"
#include "phases.h"
#include "stream.h"
#include "thetaloop.h"
#include "trajectory.h"
#include "tsm.h"

static const char usage[] =
	"usage: sensitivity -m MODEL.json [-i IN] [-o OUT] [-z] [options]\n"
	"\n"
	"Reads theta records ({\"id\", \"theta\"}) and writes, per theta, the mean and\n"
	"variance of the observables phibar_i = phi_i psi_i from first-order TSM\n"
	"sensitivities, or with --data the log-likelihood of the data (paper eq. 29).\n"
	"\n"
	"  -m, --model FILE     model file (JSON), required\n"
	"  -i, --input FILE     theta stream (default: stdin; gzip is read as is)\n"
	"  -o, --output FILE    output stream (default: stdout), written atomically\n"
	"  -z, --compress       gzip the output\n"
	"      --cov C          relative sd of each parameter: var(theta_p) = (C theta_p)^2\n"
	"                       (default 0.005)\n"
	"      --aleatory NAMES parameters that carry variance, e.g. a11,b1 (default: all;\n"
	"                       'none' for none)\n"
	"      --every K        moments at every K-th step (default 1: all steps)\n"
	"      --steps LIST     moments at these steps only, e.g. 0,50,100\n"
	"      --jacobian       add d state / d theta (all parameters) to each record\n"
	"      --method M       tsm (default), or fd: central differences of whole\n"
	"                       trajectories, the check of the recursion\n"
	"      --fd-step H      relative step of --method fd (default 1e-5)\n"
	"      --data FILE      data stream (solve --observe): write log-likelihood\n"
	"                       records {\"id\", \"loglik\", \"status\"} instead\n"
	"      --sigma-obs S    observation noise sd (default: the data's sigma_obs)\n"
	"      --set LIST       fix parameters the thetas do not carry, e.g. a11=0.8,b1=0.1;\n"
	"                       the theta stream's header names the ones it carries\n"
	"      --shard I/K      handle only records whose index is I mod K\n"
	CLI_USAGE_INSTRUMENTS
	"      --progress       show progress on stderr even when it is not a terminal\n"
	"  -q, --quiet          no progress; bad records are not reported one by one\n"
	"                       (they still get a status record and exit status 2)\n"
	"  -h, --help           this help\n"
	"      --version        print the version\n"
	"\n"
	"Exit status: 0 success, 1 run-time failure, 2 bad input or usage.\n";

enum { OPT_COV = 256, OPT_ALEATORY, OPT_EVERY, OPT_STEPS, OPT_JACOBIAN, OPT_METHOD, OPT_FD_STEP, OPT_DATA,
       OPT_SIGMA_OBS, OPT_SHARD, OPT_SET, OPT_PROGRESS, OPT_VERSION, OPT_PHASES,
       OPT_STATS };

static const struct option longopts[] = {
	{"model", required_argument, NULL, 'm'},
	{"input", required_argument, NULL, 'i'},
	{"output", required_argument, NULL, 'o'},
	{"compress", no_argument, NULL, 'z'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"cov", required_argument, NULL, OPT_COV},
	{"aleatory", required_argument, NULL, OPT_ALEATORY},
	{"every", required_argument, NULL, OPT_EVERY},
	{"steps", required_argument, NULL, OPT_STEPS},
	{"jacobian", no_argument, NULL, OPT_JACOBIAN},
	{"method", required_argument, NULL, OPT_METHOD},
	{"fd-step", required_argument, NULL, OPT_FD_STEP},
	{"data", required_argument, NULL, OPT_DATA},
	{"sigma-obs", required_argument, NULL, OPT_SIGMA_OBS},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"set", required_argument, NULL, OPT_SET},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"phases", required_argument, NULL, OPT_PHASES},
	{"stats", optional_argument, NULL, OPT_STATS},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct options {
	const char *model, *in, *out, *aleatory, *data, *set, *phases;
	int compress, quiet, progress, jacobian, fd, stats;
	double stats_interval;
	long every;
	int *steps, n_steps;
	double cov, fd_step, sigma_obs;
	unsigned shard_i, shard_k;
	int every_set, fd_step_set;
};

static int parse_options(int argc, char **argv, struct options *o, struct err *e)
{
	int c, rc = 0;

	memset(o, 0, sizeof *o);
	o->every = 1;
	o->cov = 0.005;
	o->fd_step = 1e-5;
	o->sigma_obs = NAN;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:i:o:zqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case 'z': o->compress = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("sensitivity"); exit(0);
		case OPT_COV:
			rc = cli_parse_double_in(optarg, "--cov", 0, INFINITY, 0, &o->cov, e);
			break;
		case OPT_ALEATORY: o->aleatory = optarg; break;
		case OPT_EVERY:
			rc = cli_parse_long(optarg, "--every", 1, MODEL_MAX_STEPS, &o->every, e);
			o->every_set = 1;
			break;
		case OPT_STEPS:
			free(o->steps);
			rc = cli_parse_list(optarg, "--steps", 0, MODEL_MAX_STEPS, &o->steps, &o->n_steps, e);
			break;
		case OPT_JACOBIAN: o->jacobian = 1; break;
		case OPT_METHOD:
			if (!strcmp(optarg, "fd"))
				o->fd = 1;
			else if (!strcmp(optarg, "tsm"))
				o->fd = 0;
			else
				rc = err_set(e, ERR_INPUT, "'--method' must be tsm or fd, got '%s'", optarg);
			break;
		case OPT_FD_STEP:
			rc = cli_parse_double_in(optarg, "--fd-step", 0, 1, CLI_OPEN_LO | CLI_OPEN_HI, &o->fd_step, e);
			o->fd_step_set = 1;
			break;
		case OPT_DATA: o->data = optarg; break;
		case OPT_SET: o->set = optarg; break;
		case OPT_SIGMA_OBS:
			rc = cli_parse_double_in(optarg, "--sigma-obs", 0, INFINITY, CLI_OPEN_LO, &o->sigma_obs, e);
			break;
		case OPT_SHARD: rc = cli_parse_shard(optarg, &o->shard_i, &o->shard_k, e); break;
		case OPT_PROGRESS: o->progress = 1; break;
		case OPT_PHASES: o->phases = optarg; break;
		case OPT_STATS:
			rc = cli_parse_stats(optarg, &o->stats_interval, e);
			o->stats = 1;
			break;
		default: return cli_bad_option(c, argv, e);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return err_set(e, ERR_INPUT, "unexpected argument '%s' (the input is read with -i or stdin)",
			       argv[optind]);
	if (!o->model)
		return err_set(e, ERR_INPUT, "a model file is required (-m MODEL.json)");
	if (o->every_set && o->n_steps)
		return err_set(e, ERR_INPUT, "give '--every' or '--steps', not both");
	if (o->data && (o->every_set || o->n_steps || o->jacobian || o->fd))
		return err_set(e, ERR_INPUT, "'--data' takes its steps from the data and uses the TSM; "
			       "drop '--every', '--steps', '--jacobian' and '--method fd'");
	if (o->data && !strcmp(o->data, "-") && (!o->in || !strcmp(o->in, "-")))
		return err_set(e, ERR_INPUT, "the data and the thetas cannot both come from stdin; "
			       "give the thetas with -i FILE");
	if (!o->data && !isnan(o->sigma_obs))
		return err_set(e, ERR_INPUT, "'--sigma-obs' needs '--data FILE'");
	if (o->fd_step_set && !o->fd)
		return err_set(e, ERR_INPUT, "'--fd-step' needs '--method fd'");
	return 0;
}

struct run {
	struct options o;
	struct model m;
	struct stream_reader r;
	struct thetaloop_map map;
	struct stream_writer w;
	int aleatory[MODEL_MAX_THETA], n_aleatory;
	/* moments */
	struct tsm *t;
	int *save, n_save;
	double *states, *dstate, *mean, *var, *work;
	/* likelihood */
	struct likelihood_data data;
	struct likelihood *l;
	int bad; /* some record was bad: exit 2 at the end */
	struct meter meter, *mp;  /* mp: &meter with --phases */
	struct monitor monitor;
};

static void pack_names(msgpack_packer *pk, const struct model *m, const int *idx, int n)
{
	msgpack_pack_array(pk, (size_t)n);
	for (int i = 0; i < n; i++)
		pack_str(pk, m->names[idx[i]]);
}

static void pack_header(msgpack_packer *pk, const struct run *u)
{
	const struct model *m = &u->m;
	const struct options *o = &u->o;
	struct pack_map h;

	stream_header_program(&h, pk, o->data ? "loglik" : "moments", "sensitivity");
	model_pack_entries(&h, m);
	pack_kv_double(&h, "cov", o->cov);
	pack_key(&h, "aleatory");
	pack_names(pk, m, u->aleatory, u->n_aleatory);
	if (o->data) {
		pack_kv_double(&h, "sigma_obs", sqrt(u->l->sigma2));
		pack_kv_long(&h, "points", u->data.points);
	} else {
		pack_kv_str(&h, "method", o->fd ? "fd" : "tsm");
		pack_kv_bool(&h, "jacobian", o->jacobian);
	}
	pack_map_end(&h);
}

static void pack_rows(msgpack_packer *pk, const double *x, int rows, int n)
{
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		pack_numbers(pk, x + (size_t)r * n, (size_t)n);
}

/* One moments record. */
static void moments(struct run *u, msgpack_packer *pk, const msgpack_object *id, const double *theta)
{
	const struct model *m = &u->m;
	struct tsm *t = u->t;
	struct solver_outcome o;
	double sd[MODEL_MAX_THETA];
	struct pack_map rec;

	if (u->o.fd)
		tsm_run_fd(t, theta, u->o.fd_step, u->save, u->n_save, u->states, u->dstate, u->work, &o);
	else
		tsm_run(t, theta, u->save, u->n_save, u->states, u->dstate, &o);
	pack_map_begin(&rec, pk);
	pack_kv_object(&rec, "id", id);
	pack_kv_numbers(&rec, "theta", theta, (size_t)m->n_theta);
	trajectory_pack_status(&rec, &o);
	pack_kv_long(&rec, "newton_iterations", o.newton_iterations);
	if (o.status != SOLVER_OK) {
		pack_map_end(&rec);
		return;
	}
	/* the columns are the aleatory parameters, or all with --jacobian */
	for (int c = 0, a = 0; c < t->P; c++) {
		int p = t->param[c];
		while (a < u->n_aleatory && u->aleatory[a] < p)
			a++;
		sd[c] = a < u->n_aleatory && u->aleatory[a] == p ? u->o.cov * theta[p] : 0.0;
	}
	tsm_phibar_moments(t, u->states, u->dstate, u->n_save, sd, u->mean, u->var);
	trajectory_pack_steps(&rec, m, u->save, u->n_save);
	pack_key(&rec, "mean");
	pack_rows(pk, u->mean, u->n_save, m->species);
	pack_key(&rec, "var");
	pack_rows(pk, u->var, u->n_save, m->species);
	if (u->o.jacobian) {
		const int d = t->d, P = t->P;
		pack_key(&rec, "dstate_dtheta");
		msgpack_pack_array(pk, (size_t)u->n_save);
		for (int r = 0; r < u->n_save; r++)
			pack_rows(pk, u->dstate + (size_t)r * d * P, d, P);
	}
	pack_map_end(&rec);
}

/* One loglik record. */
static void loglik(struct run *u, msgpack_packer *pk, const msgpack_object *id, const double *theta,
		   const msgpack_object *rec)
{
	struct likelihood_result res;
	const msgpack_object *f = stream_map_get(rec, "loglik_floor");
	double floor = -INFINITY;
	char why[256];
	struct pack_map m;

	/* a TMCMC stage's early rejection: below the floor, -inf will do */
	if (f && (stream_object_number(f, &floor) || isnan(floor)))
		floor = -INFINITY;
	likelihood_eval_floor(u->l, theta, floor, &res);
	meter_count(u->mp, METER_EVALUATIONS, 1);
	likelihood_status_string(u->l, &res, why, sizeof why);
	pack_map_begin(&m, pk);
	pack_kv_object(&m, "id", id);
	pack_kv_double(&m, "loglik", res.loglik);
	pack_kv_str(&m, "status", why);
	pack_kv_long(&m, "newton_iterations", res.solver.newton_iterations);
	pack_map_end(&m);
}

static void answer(void *ctx, msgpack_packer *pk, const msgpack_object *id, const double *theta,
		   const msgpack_object *rec)
{
	struct run *u = ctx;

	if (u->o.data)
		loglik(u, pk, id, theta, rec);
	else
		moments(u, pk, id, theta);
}

static void answer_bad(void *ctx, msgpack_packer *pk, const msgpack_object *id, const char *why)
{
	const struct run *u = ctx;
	struct pack_map m;

	pack_map_begin(&m, pk);
	trajectory_pack_bad(&m, id, why);
	if (u->o.data) {
		/* a likelihood consumer matches by id: answer with -inf */
		pack_kv_double(&m, "loglik", -INFINITY);
		pack_kv_long(&m, "newton_iterations", 0);
	}
	pack_map_end(&m);
}

static int process(struct run *u, struct err *e)
{
	const struct thetaloop l = {"sensitivity", "thetas", &u->map, u->o.quiet, u->o.progress, answer,
				      answer_bad, u, u->mp, u->o.stats ? &u->monitor : NULL};

	if (u->t)
		u->t->meter = u->mp;
	if (u->l)
		u->l->t.meter = u->mp;
	u->r.meter = u->w.meter = u->mp;
	monitor_init(&u->monitor, "sensitivity", u->o.data ? "evaluations" : "thetas", u->o.stats_interval);
	pack_header(stream_writer_packer(&u->w), u);
	return thetaloop_run(&l, &u->r, &u->w, &u->bad, e);
}

/* Workspace of the moments mode. */
static int setup_moments(struct run *u, struct err *e)
{
	const struct model *m = &u->m;
	int rc;

	if ((rc = trajectory_save_steps(m, u->o.steps, u->o.n_steps, u->o.every, &u->save, &u->n_save, e)))
		return rc;
	if (!(u->t = malloc(sizeof *u->t)))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = u->o.jacobian ? tsm_init(u->t, m, NULL, 0, e)
				: tsm_init(u->t, m, u->aleatory, u->n_aleatory, e))) {
		free(u->t);
		u->t = NULL;
		return rc;
	}
	const size_t rows = (size_t)u->n_save, d = (size_t)u->t->d, P = (size_t)(u->t->P ? u->t->P : 1);
	if (rows * d * P > ((size_t)1 << 31) / sizeof(double))
		return err_set(e, ERR_INPUT, "%zu steps x %zu states x %zu parameters is too much to hold; "
			       "save fewer steps (--every, --steps)", rows, d, P);
	if (!(u->states = malloc(sizeof(double) * rows * d)) || !(u->dstate = malloc(sizeof(double) * rows * d * P)) ||
	    !(u->mean = malloc(sizeof(double) * rows * (size_t)m->species)) ||
	    !(u->var = malloc(sizeof(double) * rows * (size_t)m->species)) ||
	    (u->o.fd && !(u->work = malloc(sizeof(double) * 2 * rows * d))))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

static int setup_likelihood(struct run *u, struct err *e)
{
	int rc;

	if ((rc = likelihood_data_load(&u->data, u->o.data, &u->m, e)))
		return rc;
	double sigma = !isnan(u->o.sigma_obs) ? u->o.sigma_obs : u->data.sigma_obs;
	if (isnan(sigma))
		return err_set(e, ERR_INPUT, "%s: the data do not say their 'sigma_obs'; give '--sigma-obs S'",
			       u->o.data);
	if (isnan(u->o.sigma_obs) && u->data.sigma_differs)
		return err_set(e, ERR_INPUT, "%s: record %ld: 'sigma_obs' differs from an earlier record's %g; "
			       "give '--sigma-obs S'", u->o.data, u->data.sigma_differs, u->data.sigma_obs);
	if (!(u->l = malloc(sizeof *u->l)))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = likelihood_init(u->l, &u->m, &u->data, u->aleatory, u->n_aleatory, u->o.cov, sigma, e))) {
		free(u->l);
		u->l = NULL;
		if (rc == ERR_INPUT) /* the data do not fit the model: name them */
			err_prefix(e, "%s", u->o.data);
		return rc;
	}
	return 0;
}

/* Everything between the options and the clean-up. */
static int run_all(struct run *u, struct err *e)
{
	int rc;

	if ((rc = model_load(&u->m, u->o.model, e)) ||
	    (rc = model_param_list(&u->m, u->o.aleatory ? u->o.aleatory : "all", "--aleatory", u->aleatory,
				   &u->n_aleatory, e)) ||
	    (rc = u->o.data ? setup_likelihood(u, e) : setup_moments(u, e)) ||
	    (rc = thetaloop_open(&u->r, u->o.in, u->o.shard_i, u->o.shard_k,
				(const char *const *)u->m.names, u->m.n_theta, u->o.set, &u->map, e)) ||
	    (rc = stream_writer_open(&u->w, u->o.out, u->o.compress, e)) || (rc = process(u, e)) ||
	    (rc = stream_writer_commit(&u->w, e)))
		return rc;
	if (u->o.stats)
		monitor_done(&u->monitor);
	return u->o.phases ? phases_write(&u->meter, 1, u->o.phases, "sensitivity", NULL, e) : 0;
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
		cli_option_error("sensitivity", "-m MODEL.json [options]", rc, &e);
		free(u.o.steps);
		return err_exit_status(rc);
	}
	u.mp = u.o.phases ? &u.meter : NULL;
	rc = run_all(&u, &e);
	if (rc)
		fprintf(stderr, "sensitivity: %s\n", e.msg);
	stream_writer_free(&u.w);
	stream_reader_free(&u.r);
	if (u.t)
		tsm_free(u.t);
	if (u.l)
		likelihood_free(u.l);
	free(u.t);
	free(u.l);
	likelihood_data_free(&u.data);
	model_free(&u.m);
	free(u.save);
	free(u.states);
	free(u.dstate);
	free(u.mean);
	free(u.var);
	free(u.work);
	free(u.o.steps);
	if (rc)
		return err_exit_status(rc);
	return u.bad ? 2 : 0;
}
