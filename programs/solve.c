/*
 * solve: theta records in, trajectory records (or synthetic data) out.
 * See man/solve.1. This main parses options and wires library calls.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "meter.h"
#include "model.h"
#include "monitor.h"
#include "mpjson.h"
#include "phases.h"
#include "rng.h"
#include "solver.h"
#include "stream.h"
#include "thetaloop.h"
#include "trajectory.h"

static const char usage[] =
	"usage: solve -m MODEL.json [-i IN] [-o OUT] [-z] [options]\n"
	"\n"
	"Reads theta records ({\"id\", \"theta\"}) and writes one trajectory record per\n"
	"theta: the implicit-Euler solution of the biofilm model with Newton's method.\n"
	"\n"
	"  -m, --model FILE     model file (JSON), required\n"
	"  -i, --input FILE     theta stream (default: stdin; gzip is read as is)\n"
	"  -o, --output FILE    output stream (default: stdout), written atomically\n"
	"  -z, --compress       gzip the output\n"
	"      --every K        save every K-th step (default 1: all steps)\n"
	"      --steps LIST     save these steps only, e.g. 0,50,100 (0 = initial state)\n"
	"      --observables    write phibar_i = phi_i psi_i instead of the state\n"
	"      --observe N      write synthetic data: phibar at N steps from 5% of the\n"
	"                       run to its end, plus noise\n"
	"      --noise S        data noise sd, sigma_obs (default 0.005)\n"
	"      --seed X         random seed for --observe (default 1)\n"
	"      --aleatory COV   each data point from its own run, theta ~ N(theta, (COV theta)^2)\n"
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

enum { OPT_EVERY = 256, OPT_STEPS, OPT_OBSERVABLES, OPT_OBSERVE, OPT_NOISE, OPT_SEED, OPT_ALEATORY,
       OPT_SHARD, OPT_SET, OPT_PROGRESS, OPT_VERSION, OPT_PHASES, OPT_STATS };

static const struct option longopts[] = {
	{"model", required_argument, NULL, 'm'},
	{"input", required_argument, NULL, 'i'},
	{"output", required_argument, NULL, 'o'},
	{"compress", no_argument, NULL, 'z'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"every", required_argument, NULL, OPT_EVERY},
	{"steps", required_argument, NULL, OPT_STEPS},
	{"observables", no_argument, NULL, OPT_OBSERVABLES},
	{"observe", required_argument, NULL, OPT_OBSERVE},
	{"noise", required_argument, NULL, OPT_NOISE},
	{"seed", required_argument, NULL, OPT_SEED},
	{"aleatory", required_argument, NULL, OPT_ALEATORY},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"set", required_argument, NULL, OPT_SET},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"phases", required_argument, NULL, OPT_PHASES},
	{"stats", optional_argument, NULL, OPT_STATS},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct options {
	const char *model, *in, *out, *set, *phases;
	int compress, quiet, progress, observables, stats;
	double stats_interval;
	long every, observe, seed;
	int *steps, n_steps;
	double noise, aleatory;
	unsigned shard_i, shard_k;
	int every_set, noise_set, seed_set, aleatory_set;
};

static int parse_options(int argc, char **argv, struct options *o, struct err *e)
{
	int c, rc = 0;
	long v;

	memset(o, 0, sizeof *o);
	o->every = 1;
	o->noise = 0.005;
	o->seed = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:i:o:zqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case 'z': o->compress = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("solve"); exit(0);
		case OPT_EVERY:
			rc = cli_parse_long(optarg, "--every", 1, MODEL_MAX_STEPS, &o->every, e);
			o->every_set = 1;
			break;
		case OPT_STEPS:
			free(o->steps);
			rc = cli_parse_list(optarg, "--steps", 0, MODEL_MAX_STEPS, &o->steps, &o->n_steps, e);
			break;
		case OPT_OBSERVABLES: o->observables = 1; break;
		case OPT_OBSERVE: rc = cli_parse_long(optarg, "--observe", 1, MODEL_MAX_STEPS, &o->observe, e); break;
		case OPT_NOISE:
			rc = cli_parse_double_in(optarg, "--noise", 0, INFINITY, 0, &o->noise, e);
			o->noise_set = 1;
			break;
		case OPT_SEED:
			rc = cli_parse_long(optarg, "--seed", 0, 0x7fffffffffffffffL, &v, e);
			o->seed = v;
			o->seed_set = 1;
			break;
		case OPT_ALEATORY:
			rc = cli_parse_double_in(optarg, "--aleatory", 0, INFINITY, 0, &o->aleatory, e);
			o->aleatory_set = 1;
			break;
		case OPT_SHARD: rc = cli_parse_shard(optarg, &o->shard_i, &o->shard_k, e); break;
		case OPT_SET: o->set = optarg; break;
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
	if (o->observe && (o->every_set || o->n_steps || o->observables))
		return err_set(e, ERR_INPUT, "'--observe' chooses its own steps and writes phibar; "
			       "drop '--every', '--steps' and '--observables'");
	if (!o->observe && (o->noise_set || o->seed_set || o->aleatory_set))
		return err_set(e, ERR_INPUT, "'--noise', '--seed' and '--aleatory' need '--observe N'");
	if (o->every_set && o->n_steps)
		return err_set(e, ERR_INPUT, "give '--every' or '--steps', not both");
	return 0;
}

/* The steps to save: --observe's, or --steps, or every K-th. */
static int save_steps(const struct options *o, const struct model *m, int **save, int *n, struct err *e)
{
	if (!o->observe)
		return trajectory_save_steps(m, o->steps, o->n_steps, o->every, save, n, e);
	if (!(*save = malloc(sizeof(int) * (size_t)o->observe)))
		return err_set(e, ERR_NOMEM, "out of memory");
	*n = (int)o->observe;
	return trajectory_data_steps(m->steps, *n, *save, e);
}

static void pack_header(msgpack_packer *pk, const struct options *o, const struct model *m)
{
	struct pack_map h;

	stream_header_program(&h, pk, o->observe ? "data" : "trajectory", "solve");
	model_pack_entries(&h, m);
	if (o->observe) {
		pack_kv_long(&h, "points", o->observe);
		pack_kv_double(&h, "noise", o->noise);
		pack_key(&h, "seed");
		msgpack_pack_int64(pk, o->seed);
		pack_kv_double(&h, "aleatory", o->aleatory);
	} else {
		pack_kv_bool(&h, "observables", o->observables);
	}
	pack_map_end(&h);
}

static uint64_t id_key(uint64_t seed, const msgpack_object *id)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint64_t k;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *id);
	k = rng_key_bytes(rng_key(0x736f6c7665ULL /* "solve" */, seed), sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return k;
}

struct run {
	struct options o;
	struct model m;
	struct stream_reader r;
	struct thetaloop_map map;
	struct stream_writer w;
	struct solver *s;
	int *save, n_save;
	double *rows, *phibar;
	int bad; /* some record was bad: exit 2 at the end */
	struct meter meter, *mp;  /* mp: &meter with --phases */
	struct monitor monitor;
};

static void answer(void *ctx, msgpack_packer *pk, const msgpack_object *id, const double *theta,
		   const msgpack_object *rec)
{
	(void)rec;
	struct run *u = ctx;
	const struct model *m = &u->m;
	struct solver_outcome out;

	if (u->o.observe) {
		struct trajectory_observation ob = {u->o.noise, u->o.aleatory, id_key((uint64_t)u->o.seed, id)};
		u->s->meter = u->mp;
		trajectory_observe(u->s, m, theta, u->save, u->n_save, &ob, u->rows, u->phibar, &out);
		trajectory_pack_data(pk, m, id, u->save, u->n_save, u->phibar, u->o.noise, &out);
	} else {
		solver_init(u->s, m, theta);
		u->s->meter = u->mp;
		solver_run(u->s, u->save, u->n_save, u->rows, &out);
		trajectory_pack(pk, m, id, theta, &out, u->save, u->rows, u->o.observables);
	}
}

static void answer_bad(void *ctx, msgpack_packer *pk, const msgpack_object *id, const char *why)
{
	struct pack_map m;

	(void)ctx;
	pack_map_begin(&m, pk);
	trajectory_pack_bad(&m, id, why);
	pack_map_end(&m);
}

static int process(struct run *u, struct err *e)
{
	const struct thetaloop l = {"solve", "trajectories", &u->map, u->o.quiet, u->o.progress, answer,
				      answer_bad, u, u->mp, u->o.stats ? &u->monitor : NULL};

	u->r.meter = u->w.meter = u->mp;
	monitor_init(&u->monitor, "solve", "trajectories", u->o.stats_interval);
	pack_header(stream_writer_packer(&u->w), &u->o, &u->m);
	return thetaloop_run(&l, &u->r, &u->w, &u->bad, e);
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
		cli_option_error("solve", "-m MODEL.json [options]", rc, &e);
		free(u.o.steps);
		return err_exit_status(rc);
	}
	u.mp = u.o.phases ? &u.meter : NULL;
	if ((rc = model_load(&u.m, u.o.model, &e)) ||
	    (rc = save_steps(&u.o, &u.m, &u.save, &u.n_save, &e)))
		goto done;
	if (!(u.s = calloc(1, sizeof *u.s)) ||
	    !(u.rows = malloc(sizeof(double) * (size_t)u.n_save * (size_t)model_state_size(&u.m))) ||
	    !(u.phibar = malloc(sizeof(double) * (size_t)u.n_save * (size_t)u.m.species))) {
		rc = err_set(&e, ERR_NOMEM, "out of memory");
		goto done;
	}
	if ((rc = thetaloop_open(&u.r, u.o.in, u.o.shard_i, u.o.shard_k,
			       (const char *const *)u.m.names, u.m.n_theta, u.o.set, &u.map, &e)) ||
	    (rc = stream_writer_open(&u.w, u.o.out, u.o.compress, &e)) || (rc = process(&u, &e)) ||
	    (rc = stream_writer_commit(&u.w, &e)))
		goto done;
	if (u.o.stats)
		monitor_done(&u.monitor);
	if (u.o.phases)
		rc = phases_write(&u.meter, 1, u.o.phases, "solve", NULL, &e);
done:
	if (rc)
		fprintf(stderr, "solve: %s\n", e.msg);
	stream_writer_free(&u.w);
	stream_reader_free(&u.r);
	model_free(&u.m);
	free(u.s);
	free(u.rows);
	free(u.phibar);
	free(u.save);
	free(u.o.steps);
	if (rc)
		return err_exit_status(rc);
	return u.bad ? 2 : 0;
}
