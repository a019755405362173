/*
 * agent: discrete active-inference agents compatible with pymdp 0.0.7's
 * numpy Agent, as a filter (observation records in, step records out), in
 * a closed loop with a built-in world, or writing model files. See
 * man/agent.1. This main parses options and wires library calls.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aif/episodes.h"
#include "aif/genmodel.h"
#include "aif/world.h"
#include "cli.h"
#include "meter.h"
#include "monitor.h"
#include "mpjson.h"
#include "phases.h"
#include "pool.h"
#include "stream.h"

static const char usage[] =
	"usage: agent -m MODEL [-i IN] [-o OUT] [options]\n"
	"       agent -m MODEL --env tmaze|grid|model [--steps T] [--episodes N] [options]\n"
	"       agent --random-model obs=6,states=8,controls=4[,policy_len=L][,seed=S] [-o FILE]\n"
	"       agent --env tmaze|grid --env-model [-o FILE]\n"
	"\n"
	"Discrete active-inference agents as pymdp 0.0.7's numpy Agent computes them.\n"
	"Reads observation records ({\"id\", \"obs\": [index per modality]}, optionally\n"
	"\"action\": [index per factor] to replay an episode and \"reset\": true to start\n"
	"a new trial) and writes one step record per observation: {\"id\", \"t\", \"obs\",\n"
	"\"qs\", \"q_pi\", \"neg_efe\", \"action\"}, plus \"action_probs\" (marginal) or\n"
	"\"policy_probs\" (full) when action selection is stochastic. Every id is an\n"
	"agent of its own.\n"
	"\n"
	"  -m, --model FILE       generative model (JSON, or a MessagePack map)\n"
	"  -i, --input FILE       observation stream (default: stdin)\n"
	"  -o, --output FILE      output (default: stdout), written atomically\n"
	"  -z, --compress         gzip the output\n"
	"      --seed N           seed of stochastic actions and of worlds (default 1)\n"
	"      --learnt           add the Dirichlet parameters being learnt (pA, pB, pD)\n"
	"  -j, --threads N        run episodes on N threads (default 1: answer each\n"
	"                         record as it arrives); the output is the same\n"
	"      --shard I/K        handle only episodes whose first-appearance number is I mod K\n"
	"  -u, --unbuffered       write each step record at once (a live world on a pipe)\n"
	"      --env NAME         closed loop in a world: tmaze, grid, or model (the\n"
	"                         generative model itself as the world)\n"
	"      --steps T          steps per episode in a closed loop (default 10)\n"
	"      --episodes N       episodes in a closed loop, ids 0..N-1 (default 1)\n"
	"      --grid RxC         the grid world's shape (default 3x3)\n"
	"      --reward-prob P    the T-maze's reward probability in the cued arm (default 0.98)\n"
	"      --env-model        write the world's own generative process as a model file\n"
	"      --random-model SPEC  write a random generative model file (random_A_matrix,\n"
	"                         random_B_matrix); lists like states=4:2 give more factors\n"
	"      --timing           print the time per agent step (median, min, max) on stderr\n"
	"      --phases FILE      time the step's parts (states, policies, action, learning)\n"
	"                         and the I/O, and write them with the run's counters as\n"
	"                         JSON to FILE (for profile)\n"
	"      --stats[=S]        every S seconds (default 10) print the mean, sd, min and\n"
	"                         max time per step and the memory on stderr\n"
	"      --progress         show progress on stderr even when it is not a terminal\n"
	"  -q, --quiet            no progress; bad records are not reported one by one\n"
	"  -h, --help             this help\n"
	"      --version          print the version\n"
	"\n"
	"Exit status: 0 success, 1 run-time failure, 2 bad input or usage.\n";

static const char synopsis[] = "-m MODEL [options]";

enum { OPT_SEED = 256, OPT_LEARNT, OPT_SHARD, OPT_ENV, OPT_STEPS, OPT_EPISODES, OPT_GRID, OPT_REWARD,
       OPT_ENV_MODEL, OPT_RANDOM, OPT_TIMING, OPT_PROGRESS, OPT_VERSION, OPT_PHASES, OPT_STATS };

static const struct option longopts[] = {
	{"model", required_argument, NULL, 'm'},
	{"input", required_argument, NULL, 'i'},
	{"output", required_argument, NULL, 'o'},
	{"compress", no_argument, NULL, 'z'},
	{"threads", required_argument, NULL, 'j'},
	{"unbuffered", no_argument, NULL, 'u'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"seed", required_argument, NULL, OPT_SEED},
	{"learnt", no_argument, NULL, OPT_LEARNT},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"env", required_argument, NULL, OPT_ENV},
	{"steps", required_argument, NULL, OPT_STEPS},
	{"episodes", required_argument, NULL, OPT_EPISODES},
	{"grid", required_argument, NULL, OPT_GRID},
	{"reward-prob", required_argument, NULL, OPT_REWARD},
	{"env-model", no_argument, NULL, OPT_ENV_MODEL},
	{"random-model", required_argument, NULL, OPT_RANDOM},
	{"timing", no_argument, NULL, OPT_TIMING},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"phases", required_argument, NULL, OPT_PHASES},
	{"stats", optional_argument, NULL, OPT_STATS},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct options {
	const char *model, *in, *out, *env, *random, *phases;
	int compress, unbuffered, quiet, learnt, env_model, timing, progress, stats;
	double stats_interval;
	long threads, seed, steps, episodes;
	unsigned shard_i, shard_k;
	struct world_options world;
	int steps_set, episodes_set, world_set, seed_set;
};

static int parse_grid(const char *arg, struct world_options *w, struct err *e)
{
	char *x;
	long r = strtol(arg, &x, 10), c;

	if (x == arg || (*x != 'x' && *x != 'X'))
		goto bad;
	c = strtol(x + 1, &x, 10);
	if (*x || r < 1 || c < 1 || r * c > GENMODEL_MAX_LEVELS)
		goto bad;
	w->rows = (int)r;
	w->cols = (int)c;
	return 0;
bad:
	return err_set(e, ERR_INPUT, "'--grid' must be ROWSxCOLS (at most %d cells), got '%s'", GENMODEL_MAX_LEVELS,
		       arg);
}

static int parse_options(int argc, char **argv, struct options *o, struct err *e)
{
	int c, rc = 0;

	memset(o, 0, sizeof *o);
	o->threads = 1;
	o->seed = 1;
	o->steps = 10;
	o->episodes = 1;
	o->world.rows = o->world.cols = 3;
	o->world.reward_prob = 0.98;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:i:o:zj:uqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case 'z': o->compress = 1; break;
		case 'u': o->unbuffered = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("agent"); exit(0);
		case 'j': rc = cli_parse_long(optarg, "--threads", 1, POOL_MAX_THREADS, &o->threads, e); break;
		case OPT_SEED:
			rc = cli_parse_long(optarg, "--seed", 0, 0x7fffffffffffffffL, &o->seed, e);
			o->seed_set = 1;
			break;
		case OPT_LEARNT: o->learnt = 1; break;
		case OPT_SHARD: rc = cli_parse_shard(optarg, &o->shard_i, &o->shard_k, e); break;
		case OPT_ENV: o->env = optarg; break;
		case OPT_STEPS:
			rc = cli_parse_long(optarg, "--steps", 1, 100000000L, &o->steps, e);
			o->steps_set = 1;
			break;
		case OPT_EPISODES:
			rc = cli_parse_long(optarg, "--episodes", 1, 100000000L, &o->episodes, e);
			o->episodes_set = 1;
			break;
		case OPT_GRID:
			rc = parse_grid(optarg, &o->world, e);
			o->world_set = 1;
			break;
		case OPT_REWARD:
			rc = cli_parse_double_in(optarg, "--reward-prob", 0, 1, 0, &o->world.reward_prob, e);
			o->world_set = 1;
			break;
		case OPT_ENV_MODEL: o->env_model = 1; break;
		case OPT_RANDOM: o->random = optarg; break;
		case OPT_TIMING: o->timing = 1; break;
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
	if ((o->random || o->env_model) && o->compress)
		return err_set(e, ERR_INPUT, "model files are JSON text: drop '-z'");
	if ((o->random || o->env_model) && (o->phases || o->stats || o->timing))
		return err_set(e, ERR_INPUT, "'%s' writes a model file: nothing to time", o->random ? "--random-model" : "--env-model");
	if (o->random)
		return o->model || o->env || o->in || o->seed_set
			       ? err_set(e, ERR_INPUT, "'--random-model' takes no model, world, input or '--seed' "
					     "(its seed is seed=N in the spec)")
			       : 0;
	if (o->env_model)
		return !o->env || (strcmp(o->env, "tmaze") && strcmp(o->env, "grid")) || o->in || o->model
			       ? err_set(e, ERR_INPUT, "'--env-model' needs '--env tmaze' or '--env grid', and no model or input")
			       : 0;
	if (!o->model)
		return err_set(e, ERR_INPUT, "a generative model is required (-m MODEL.json)");
	if (o->env && o->in)
		return err_set(e, ERR_INPUT, "a closed loop ('--env') reads no observations; drop '-i'");
	if (!o->env && (o->steps_set || o->episodes_set || o->world_set))
		return err_set(e, ERR_INPUT, "'--steps', '--episodes', '--grid' and '--reward-prob' need '--env'");
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report_timing(struct episodes_timing *tm)
{
	if (!tm->n) {
		fprintf(stderr, "agent: no steps timed\n");
		return;
	}
	qsort(tm->seconds, (size_t)tm->n, sizeof(double), compare_doubles);
	double med = tm->n % 2 ? tm->seconds[tm->n / 2] : 0.5 * (tm->seconds[tm->n / 2 - 1] + tm->seconds[tm->n / 2]);
	fprintf(stderr, "agent: %ld steps, time per step: median %.3g us, min %.3g us, max %.3g us\n", tm->n,
		med * 1e6, tm->seconds[0] * 1e6, tm->seconds[tm->n - 1] * 1e6);
}

/* --phases: the threads' meters and the model's size. */
static int write_phases(const struct options *o, const struct genmodel *g, struct meter *meters, struct err *e)
{
	struct phases_shape s;

	phases_shape_init(&s);
	s.threads = o->threads;
	s.policies = g->n_policies;
	return phases_write(meters, (int)o->threads, o->phases, "agent", &s, e);
}

int main(int argc, char **argv)
{
	struct options o;
	struct err e = {0};
	struct genmodel g;
	struct world world;
	struct stream_reader r;
	struct stream_writer w;
	struct episodes_timing tm = {0};
	struct meter *meters = NULL;
	struct monitor monitor;
	json_t *j = NULL;
	int rc, bad = 0, have_world = 0;

	cli_init();
	memset(&g, 0, sizeof g);
	memset(&r, 0, sizeof r);
	stream_writer_init(&w);
	if ((rc = parse_options(argc, argv, &o, &e))) {
		cli_option_error("agent", synopsis, rc, &e);
		return err_exit_status(rc);
	}
	if (o.random) {
		struct genmodel_spec spec;
		if (!(rc = genmodel_spec_parse(o.random, &spec, &e)) && !(rc = genmodel_random_json(&spec, &j, &e)))
			rc = mpjson_write_json_file(o.out, j, &e);
		goto done;
	}
	if (o.model && (rc = genmodel_load(&g, o.model, &e)))
		goto done;
	if (o.env) {
		if ((rc = world_init(&world, o.env, &o.world, o.model ? &g : NULL, &e)))
			goto done;
		have_world = 1;
		if (o.env_model) {
			if (!(rc = world_model_json(&world, &j, &e)))
				rc = mpjson_write_json_file(o.out, j, &e);
			goto done;
		}
		if ((rc = world_check_model(&world, &g, o.model, &e)))
			goto done;
	}
	struct progress pg;
	progress_init(&pg, o.progress, o.quiet);
	if (o.phases && (rc = meter_init_threads(&meters, (int)o.threads, &e)))
		goto done;
	monitor_init(&monitor, "agent", "steps", o.stats_interval);
	struct episodes_options eo = {&g,        (uint64_t)o.seed, o.learnt, (int)o.threads, o.shard_i,
				      o.shard_k, o.unbuffered,     o.quiet,  "agent",         &pg,
				      meters,    o.stats ? &monitor : NULL};
	if ((rc = stream_writer_open(&w, o.out, o.compress, &e)))
		goto done;
	w.meter = meters;
	episodes_pack_header(stream_writer_packer(&w), &eo, o.env, &o.world);
	if (o.env)
		rc = episodes_closed_loop(&eo, &world, o.episodes, o.steps, &w, o.timing ? &tm : NULL, &e);
	else if (!(rc = stream_reader_open(&r, o.in, &e))) {
		stream_reader_shard(&r, 0, 1);
		r.meter = meters;
		rc = episodes_filter(&eo, &r, &w, &bad, o.timing ? &tm : NULL, &e);
	}
	if (!rc)
		rc = stream_writer_commit(&w, &e);
	if (!rc)
		progress_done(&pg, "agent", "steps");
	if (!rc && o.timing)
		report_timing(&tm);
	if (!rc && o.stats)
		monitor_done(&monitor);
	if (!rc && o.phases)
		rc = write_phases(&o, &g, meters, &e);
done:
	if (rc)
		fprintf(stderr, "agent: %s\n", e.msg);
	episodes_timing_free(&tm);
	stream_writer_free(&w);
	stream_reader_free(&r);
	if (have_world)
		world_free(&world);
	genmodel_free(&g);
	json_decref(j);
	free(meters);
	if (rc)
		return err_exit_status(rc);
	return bad ? 2 : 0;
}
