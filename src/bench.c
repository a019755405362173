/*
 * bench: the components, sweeps and leak check of profile (see bench.h).
 * Invariant: b->tmp exists while the bench lives; every file made lives in
 * it; have_* say which inputs are made.
 */
#define _XOPEN_SOURCE 700
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aif/episodes.h"
#include "aif/genmodel.h"
#include "aif/world.h"
#include "calibration.h"
#include "clock.h"
#include "likelihood.h"
#include "measure.h"
#include "meter.h"
#include "mixture.h"
#include "mpjson.h"
#include "phases.h"
#include "plan.h"
#include "posterior.h"
#include "population.h"
#include "prior.h"
#include "rng.h"
#include "solver.h"
#include "stream.h"
#include "study.h"
#include "tmcmc.h"

static const char *const case2_models[] = {"M1", "M2", "M3"};

/* The agent sizes of pymdp's performance guide (issue 6): observations,
 * states, controls, policy_len, and steps per run (a --quick run takes a
 * quarter). */
static const struct agent_size {
	int obs, states, controls, policy_len;
	long steps;
} agent_sizes[] = {
	{6, 8, 4, 1, 2000},
	{16, 32, 8, 1, 2000},
	{6, 8, 4, 3, 1000},
	{6, 8, 4, 5, 200},
};

struct component;
static const struct component *find_component(const char *name, struct err *e);

int bench_is_component(const char *name)
{
	struct err e;
	return find_component(name, &e) != NULL;
}

int bench_is_sweep(const char *name)
{
	static const char *const s[] = {"steps", "species", "samples", "threads", "agent", "accuracy", "accuracy-m1"};
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		if (!strcmp(name, s[i]))
			return 1;
	return 0;
}

/* ---- paths and files ---- */

static void tmp_path(const struct bench *b, char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", b->tmp, name);
}

static void example_path(const struct bench *b, char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", b->o.examples, name);
}

static void bin_path(const struct bench *b, char *buf, size_t size, const char *prog)
{
	snprintf(buf, size, "%s/%s", b->o.bin, prog);
}

static int write_json(const char *path, const json_t *j, struct err *e)
{
	if (json_dump_file(j, path, JSON_COMPACT))
		return err_set(e, ERR_RUNTIME, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---- a command line ---- */

struct cmd {
	char *argv[MEASURE_MAX_ARGS + 1];
	int argc;
	char store[8192];
	size_t used;
};

static void cmd_init(struct cmd *c)
{
	c->argc = 0;
	c->used = 0;
	c->argv[0] = NULL;
}

/* Append an argument (printf-style); a command too long is a bug of this
 * file, not of the user's input, and is cut short loudly by the program
 * then failing. */
__attribute__((format(printf, 2, 3))) static void cmd_arg(struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof c->store - c->used;
	if (c->argc >= MEASURE_MAX_ARGS || room < 2)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(c->store + c->used, room, fmt, ap);
	va_end(ap);
	c->argv[c->argc++] = c->store + c->used;
	c->argv[c->argc] = NULL;
	c->used += (size_t)n + 1 < room ? (size_t)n + 1 : room;
}

static void cmd_prog(struct cmd *c, const struct bench *b, const char *prog)
{
	char p[4096];
	cmd_init(c);
	bin_path(b, p, sizeof p, prog);
	cmd_arg(c, "%s", p);
}

static int run(const struct bench *b, struct cmd *c, struct measure_run *r, struct err *e)
{
	char out[4200], log[4200];
	tmp_path(b, out, sizeof out, "out.mpk");
	tmp_path(b, log, sizeof log, "stderr.txt");
	return measure_run(c->argv, NULL, out, log, r, e);
}

static void progress(const struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const struct bench *b, const char *fmt, ...)
{
	va_list ap;
	if (b->o.quiet)
		return;
	fputs("profile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- inputs ---- */

/* The truth of a Case II model: "theta" of the first line of its
 * truth.jsonl. */
static int load_truth(const struct bench *b, const char *model, double *theta, int *n, struct err *e)
{
	char path[4200], line[8192];
	json_t *j = NULL;
	int rc;

	snprintf(path, sizeof path, "%s/case2/%s.truth.jsonl", b->o.examples, model);
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set(e, ERR_INPUT, "cannot open '%s': %s", path, strerror(errno));
	char *got = fgets(line, sizeof line, f);
	fclose(f);
	if (!got)
		return err_set(e, ERR_INPUT, "%s: empty", path);
	if ((rc = mpjson_parse(line, strlen(line), &j, path, e)))
		return rc;
	const json_t *t = json_object_get(j, "theta");
	*n = (int)json_array_size(t);
	if (!*n || *n > MODEL_MAX_THETA) {
		json_decref(j);
		return err_set(e, ERR_INPUT, "%s: line 1: no 'theta'", path);
	}
	for (int k = 0; k < *n; k++)
		theta[k] = json_number_value(json_array_get(t, (size_t)k));
	json_decref(j);
	return 0;
}

/* count thetas, each theta0 times a factor in [0.9, 1.1), from a fixed
 * seed: the same work every time. */
static void jitter(const double *theta0, int n, long count, double *out)
{
	struct rng r;
	rng_init(&r, rng_key(0x70726f66696c65ULL /* "profile" */, 1));
	for (long i = 0; i < count; i++)
		for (int k = 0; k < n; k++)
			out[i * n + k] = theta0[k] * (0.9 + 0.2 * rng_uniform(&r));
}

static int write_thetas(const char *path, const double *theta, int n, long count, struct err *e)
{
	struct stream_writer w;
	int rc = stream_writer_open(&w, path, 0, e);
	for (long i = 0; !rc && i < count; i++) {
		struct pack_map m;
		pack_map_begin(&m, stream_writer_packer(&w));
		pack_kv_long(&m, "id", i);
		pack_kv_numbers(&m, "theta", theta + i * n, (size_t)n);
		pack_map_end(&m);
		rc = stream_writer_flush(&w, 0, e);
	}
	if (!rc)
		rc = stream_writer_commit(&w, e);
	stream_writer_free(&w);
	return rc;
}

static long case2_thetas(const struct bench *b)
{
	return b->o.quick ? 100 : 500;
}

/* Synthetic data of a Case II model as examples/case2/Makefile makes it. */
static int make_data(const struct bench *b, const char *model, struct err *e)
{
	struct cmd c;
	struct measure_run r;
	char truth[4200], data[4200];
	int rc;

	snprintf(truth, sizeof truth, "%s/%s.truth.mpk", b->tmp, model);
	snprintf(data, sizeof data, "%s/%s.data.mpk", b->tmp, model);
	cmd_prog(&c, b, "mpcat");
	cmd_arg(&c, "--from-json");
	cmd_arg(&c, "-i");
	cmd_arg(&c, "%s/case2/%s.truth.jsonl", b->o.examples, model);
	cmd_arg(&c, "-o");
	cmd_arg(&c, "%s", truth);
	if ((rc = run(b, &c, &r, e)))
		return rc;
	cmd_prog(&c, b, "solve");
	cmd_arg(&c, "-q");
	cmd_arg(&c, "-m");
	cmd_arg(&c, "%s/case2/%s.json", b->o.examples, model);
	cmd_arg(&c, "--observe");
	cmd_arg(&c, "20");
	cmd_arg(&c, "--noise");
	cmd_arg(&c, "0.005");
	cmd_arg(&c, "--aleatory");
	cmd_arg(&c, "0.005");
	cmd_arg(&c, "--seed");
	cmd_arg(&c, "1");
	cmd_arg(&c, "-i");
	cmd_arg(&c, "%s", truth);
	cmd_arg(&c, "-o");
	cmd_arg(&c, "%s", data);
	return run(b, &c, &r, e);
}

static int prepare_case2(struct bench *b, struct err *e)
{
	static const char *const data[] = {"M1", "M2", "M3", "M3val"};
	const long count = case2_thetas(b);
	double theta0[MODEL_MAX_THETA], *theta;
	int n, rc = 0;

	if (b->have_case2)
		return 0;
	if (!(theta = malloc(sizeof(double) * MODEL_MAX_THETA * (size_t)count)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (int m = 0; !rc && m < 3; m++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s.theta.mpk", b->tmp, case2_models[m]);
		if (!(rc = load_truth(b, case2_models[m], theta0, &n, e))) {
			jitter(theta0, n, count, theta);
			rc = write_thetas(path, theta, n, count, e);
		}
	}
	free(theta);
	for (int m = 0; !rc && m < 4; m++)
		rc = make_data(b, data[m], e);
	b->have_case2 = !rc;
	return rc;
}

/* The plans, with the models and data where they are: the quick preset
 * (plan.json), the same with fewer samples and MH steps (--quick, and the
 * leak check: plan-small.json), and the paper's settings (plan-paper.json;
 * with --quick, 100 samples). */
enum { PLAN_QUICK, PLAN_SMALL, PLAN_PAPER };

static const char *plan_file(int which)
{
	static const char *const names[] = {"plan.json", "plan-small.json", "plan-paper.json"};
	return names[which];
}

static int prepare_plan(struct bench *b, int which, struct err *e)
{
	char path[4200];
	json_t *p;
	int rc;

	if (b->have_plan & (1 << which))
		return 0;
	if ((rc = prepare_case2(b, e)))
		return rc;
	example_path(b, path, sizeof path, which == PLAN_PAPER ? "case2/plan.json" : "case2/quick.json");
	if ((rc = mpjson_load_file(path, "a plan file", &p, e)))
		return rc;
	json_t *levels = json_object_get(p, "levels"), *lv;
	size_t i;
	json_array_foreach(levels, i, lv) {
		const char *name = json_string_value(json_object_get(lv, "name"));
		char m[4200], d[4200];
		snprintf(m, sizeof m, "%s/case2/%s.json", b->o.examples, name ? name : "");
		snprintf(d, sizeof d, "%s/%s.data.mpk", b->tmp, name ? name : "");
		json_object_set_new(lv, "model", json_string(m));
		json_object_set_new(lv, "data", json_string(d));
	}
	json_t *v = json_object_get(p, "validation");
	if (v) {
		char m[4200], d[4200];
		snprintf(m, sizeof m, "%s/case2/M3val.json", b->o.examples);
		snprintf(d, sizeof d, "%s/M3val.data.mpk", b->tmp);
		json_object_set_new(v, "model", json_string(m));
		json_object_set_new(v, "data", json_string(d));
	}
	json_t *t = json_object_get(p, "tmcmc");
	if (which == PLAN_SMALL) {
		json_object_set_new(t, "samples", json_integer(30));
		json_object_set_new(t, "max_chain_steps", json_integer(3));
	} else if (which == PLAN_PAPER && b->o.quick) {
		json_object_set_new(t, "samples", json_integer(100));
	}
	json_object_set_new(p, "description", json_string(which == PLAN_PAPER ? "profile: Case II at the paper's settings"
										: "profile: the Case II quick preset"));
	tmp_path(b, path, sizeof path, plan_file(which));
	rc = write_json(path, p, e);
	json_decref(p);
	if (!rc)
		b->have_plan |= 1 << which;
	return rc;
}

/* A random agent model file per size, named agent-SIZE.json. */
static void agent_name(const struct agent_size *a, char *buf, size_t size)
{
	snprintf(buf, size, "s%d o%d c%d p%d", a->states, a->obs, a->controls, a->policy_len);
}

static int random_agent(const struct bench *b, const struct agent_size *a, const char *path, struct err *e)
{
	struct cmd c;
	struct measure_run r;
	cmd_prog(&c, b, "agent");
	cmd_arg(&c, "--random-model");
	cmd_arg(&c, "obs=%d,states=%d,controls=%d,policy_len=%d,seed=1", a->obs, a->states, a->controls,
		a->policy_len);
	cmd_arg(&c, "-o");
	cmd_arg(&c, "%s", path);
	return run(b, &c, &r, e);
}

/* ---- the programs' own measurements (--phases, phases.h) ---- */

/* The report's phases of a --phases document: seconds, share of the
 * run's thread time (wall times threads: the phases of several threads
 * add), laps; "timers" the timers' own reads, "other" the rest (start-up,
 * packing records, threads waiting). */
static json_t *phase_shares(const struct phases *ph)
{
	const double wall = ph->wall_seconds * (ph->shape.threads > 1 ? (double)ph->shape.threads : 1.0);
	const double timers = ph->timer_seconds;
	json_t *out = json_object();
	double sum = timers;

	for (int p = 0; p < METER_PHASES; p++) {
		if (!ph->laps[p])
			continue;
		double s = ph->seconds[p];
		sum += s;
		json_object_set_new(out, meter_phase_name(p),
				    json_pack("{s:f,s:f,s:I}", "seconds", s, "share", wall > 0 ? s / wall : 0.0, "laps",
					      (json_int_t)ph->laps[p]));
	}
	json_object_set_new(out, "timers",
			    json_pack("{s:f,s:f,s:I}", "seconds", timers, "share", wall > 0 ? timers / wall : 0.0, "laps",
				      (json_int_t)0));
	double other = wall - sum > 0 ? wall - sum : 0;
	json_object_set_new(out, "other",
			    json_pack("{s:f,s:f,s:I}", "seconds", other, "share", wall > 0 ? other / wall : 0.0, "laps",
				      (json_int_t)0));
	return out;
}

/* The counters as the report keeps them: {name: n}. */
static json_t *counters(const struct phases *ph)
{
	json_t *c = json_object();
	for (int k = 0; k < METER_COUNTERS; k++)
		json_object_set_new(c, meter_counter_name(k), json_integer(ph->count[k]));
	return c;
}

/* An agent step's in-program time: infer_states, infer_policies, the
 * action and learning. */
static double step_seconds(const struct phases *ph)
{
	long steps = ph->count[METER_AGENT_STEPS];
	return steps > 0 ? (ph->seconds[METER_STATES] + ph->seconds[METER_POLICIES] + ph->seconds[METER_ACTION] +
			    ph->seconds[METER_LEARNING]) /
				   (double)steps
			 : NAN;
}

/* What a user asks of a result, from the counters and phases. */
static json_t *figures(const struct phases *ph)
{
	json_t *f = json_object();
	long steps = ph->count[METER_STEPS], stages = ph->count[METER_STAGES];

	if (steps > 0)
		json_object_set_new(f, "newton_per_step", json_real((double)ph->count[METER_NEWTON] / steps));
	if (stages > 0) {
		/* the sampler's own work against the likelihoods' */
		json_object_set_new(f, "stages", json_integer(stages));
		json_object_set_new(f, "sampler_seconds", json_real(ph->seconds[METER_SAMPLER]));
		if (ph->laps[METER_EVALUATOR])
			json_object_set_new(f, "evaluator_seconds", json_real(ph->seconds[METER_EVALUATOR]));
	}
	if (ph->count[METER_AGENT_STEPS] > 0)
		json_object_set_new(f, "step_seconds", json_real(step_seconds(ph)));
	if (ph->shape.levels >= 0)
		json_object_set_new(f, "levels", json_integer(ph->shape.levels));
	if (ph->shape.policies >= 0)
		json_object_set_new(f, "policies", json_integer(ph->shape.policies));
	return f;
}

/* ---- one result: warm-up, timed runs, one run with --phases ---- */

struct job {
	const char *name, *component, *unit;
	struct cmd c;
	long items;                 /* units of work per run; 0: the counter items_from */
	enum meter_counter items_from;
};

/* The command warmup + repeat times: the timed runs' min, median and max
 * wall time, and their largest peak resident memory. */
static int timed_runs(struct bench *b, struct cmd *c, struct measure_stats *st, long *peak, struct err *e)
{
	struct measure_run r;
	double t[64];
	const int n = b->o.repeat < 64 ? b->o.repeat : 64;
	int rc;

	*peak = 0;
	for (int i = 0; i < b->o.warmup; i++)
		if ((rc = run(b, c, &r, e)))
			return rc;
	for (int i = 0; i < n; i++) {
		if ((rc = run(b, c, &r, e)))
			return rc;
		t[i] = r.seconds;
		*peak = r.peak_rss_kib > *peak ? r.peak_rss_kib : *peak;
	}
	measure_stats(t, n, st);
	return 0;
}

/* One run with --phases; *ph gets the program's document. */
static int phases_run(struct bench *b, struct cmd *c, struct phases *ph, struct err *e)
{
	struct measure_run r;
	char path[4200];
	int rc;

	tmp_path(b, path, sizeof path, "phases.json");
	cmd_arg(c, "--phases");
	cmd_arg(c, "%s", path);
	rc = run(b, c, &r, e);
	c->argv[c->argc -= 2] = NULL;
	return rc ? rc : phases_load(ph, path, e);
}

/* The timed runs, then one with --phases; *ph gets the program's
 * --phases document. */
static int time_job(struct bench *b, struct job *j, struct measure_stats *st, long *peak, struct phases *ph,
		    struct err *e)
{
	int rc;

	return (rc = timed_runs(b, &j->c, st, peak, e)) ? rc : phases_run(b, &j->c, ph, e);
}

static int add_result(struct bench *b, struct job *j, const struct measure_stats *st, long peak,
		      const struct phases *ph, struct err *e)
{
	char line[1024], med[32];
	long items = j->items ? j->items : ph->count[j->items_from];

	measure_command_line(j->c.argv, line, sizeof line);
	if (items <= 0)
		return err_set(e, ERR_RUNTIME, "'%s' did no work", line);
	struct report_result x = {j->name, j->component, line,
				  j->unit, items,
				  b->o.repeat, *st,
				  peak,	   counters(ph),
				  figures(ph), phase_shares(ph),
				  ph->wall_seconds};
	clock_format_seconds(med, sizeof med, st->median);
	progress(b, "%s: median %s for %ld %s", j->name, med, items, j->unit);
	return report_add_result(b->report, &x, e);
}

static int job(struct bench *b, struct job *j, struct err *e)
{
	struct measure_stats st;
	long peak;
	struct phases ph;
	int rc = time_job(b, j, &st, &peak, &ph, e);
	if (!rc)
		rc = add_result(b, j, &st, peak, &ph, e);
	return rc;
}

/* ---- components ---- */

static void case2_cmd(struct bench *b, struct cmd *c, const char *prog, const char *model, const char *thetas)
{
	cmd_prog(c, b, prog);
	cmd_arg(c, "-q");
	cmd_arg(c, "-m");
	cmd_arg(c, "%s/case2/%s.json", b->o.examples, model);
	cmd_arg(c, "-i");
	cmd_arg(c, "%s/%s", b->tmp, thetas);
	cmd_arg(c, "-o");
	cmd_arg(c, "/dev/null");
}

static int component_solve(struct bench *b, int likelihood, struct err *e)
{
	int rc;
	if ((rc = prepare_case2(b, e)))
		return rc;
	for (int m = 0; m < 3; m++) {
		struct job j = {NULL, likelihood ? "sensitivity" : "solve", likelihood ? "evaluations" : "trajectories",
				{{0}, 0, {0}, 0}, case2_thetas(b), METER_RECORDS};
		char name[64], th[64], model[4200];
		snprintf(name, sizeof name, "%s %s", j.component, case2_models[m]);
		snprintf(th, sizeof th, "%s.theta.mpk", case2_models[m]);
		j.name = name;
		case2_cmd(b, &j.c, j.component, case2_models[m], th);
		if (likelihood) {
			cmd_arg(&j.c, "--data");
			cmd_arg(&j.c, "%s/%s.data.mpk", b->tmp, case2_models[m]);
		} else {
			/* the final state only: the figure is the solver's, not the output's */
			struct model md;
			snprintf(model, sizeof model, "%s/case2/%s.json", b->o.examples, case2_models[m]);
			if ((rc = model_load(&md, model, e)))
				return rc;
			cmd_arg(&j.c, "--steps");
			cmd_arg(&j.c, "%d", md.steps);
			model_free(&md);
		}
		if ((rc = job(b, &j, e)))
			return rc;
	}
	return 0;
}

/* A whole TMCMC run of the analytic problem through tmcmc-stage: init,
 * then stages until beta = 1. *acc gets the stages' --phases summed. */
static int tmcmc_run(struct bench *b, int n, double *seconds, long *peak, struct phases *acc, struct err *e)
{
	char prior[4200], spec[4200], ph[4200], eval[9000], pop[2][4200];
	struct cmd c;
	struct measure_run r;
	int rc;

	example_path(b, prior, sizeof prior, "tmcmc/prior5.json");
	example_path(b, spec, sizeof spec, "tmcmc/gauss5.json");
	tmp_path(b, ph, sizeof ph, "phases.json");
	tmp_path(b, pop[0], sizeof pop[0], "pop0.mpk");
	tmp_path(b, pop[1], sizeof pop[1], "pop1.mpk");
	snprintf(eval, sizeof eval, "'%s/analytic-loglik' -q --prior '%s' '%s'", b->o.bin, prior, spec);
	*seconds = 0;
	*peak = 0;
	phases_init(acc);
	cmd_prog(&c, b, "tmcmc-stage");
	cmd_arg(&c, "--init");
	cmd_arg(&c, "--prior");
	cmd_arg(&c, "%s", prior);
	cmd_arg(&c, "-N");
	cmd_arg(&c, "%d", n);
	cmd_arg(&c, "--seed");
	cmd_arg(&c, "1");
	cmd_arg(&c, "-o");
	cmd_arg(&c, "%s", pop[0]);
	if ((rc = measure_run(c.argv, NULL, NULL, NULL, &r, e)))
		return rc;
	*seconds += r.seconds;
	for (int stage = 0;; stage++) {
		struct phases x;
		if (stage > 1000)
			return err_set(e, ERR_RUNTIME, "the analytic TMCMC run did not reach beta = 1");
		cmd_prog(&c, b, "tmcmc-stage");
		cmd_arg(&c, "-q");
		cmd_arg(&c, "--eval");
		cmd_arg(&c, "%s", eval);
		cmd_arg(&c, "-i");
		cmd_arg(&c, "%s", pop[stage % 2]);
		cmd_arg(&c, "-o");
		cmd_arg(&c, "%s", pop[(stage + 1) % 2]);
		cmd_arg(&c, "--phases");
		cmd_arg(&c, "%s", ph);
		if ((rc = run(b, &c, &r, e)) || (rc = phases_load(&x, ph, e)))
			return rc;
		*seconds += r.seconds;
		*peak = r.peak_rss_kib > *peak ? r.peak_rss_kib : *peak;
		phases_add(acc, &x);
		if (x.shape.beta >= 1)
			return 0;
	}
}

static int component_tmcmc(struct bench *b, struct err *e)
{
	const int n = b->o.quick ? 200 : 500;
	double t[64];
	const int reps = b->o.repeat < 64 ? b->o.repeat : 64;
	long peak = 0, pk;
	struct phases acc;
	struct measure_stats st;
	int rc = 0;

	for (int i = 0; !rc && i < b->o.warmup + reps; i++) {
		double s;
		if ((rc = tmcmc_run(b, n, &s, &pk, &acc, e)))
			break;
		if (i >= b->o.warmup) {
			t[i - b->o.warmup] = s;
			peak = pk > peak ? pk : peak;
		}
	}
	if (!rc) {
		struct job j = {"tmcmc gauss5", "tmcmc", "evaluations", {{0}, 0, {0}, 0}, 0, METER_EVALUATIONS};
		cmd_prog(&j.c, b, "tmcmc-stage");
		cmd_arg(&j.c, "--eval");
		cmd_arg(&j.c, "analytic-loglik gauss5.json");
		cmd_arg(&j.c, "-N");
		cmd_arg(&j.c, "%d", n);
		measure_stats(t, reps, &st);
		rc = add_result(b, &j, &st, peak, &acc, e);
	}
	return rc;
}

static void infer_cmd(struct bench *b, struct cmd *c, int which, int threads)
{
	cmd_prog(c, b, "infer");
	cmd_arg(c, "%s/%s", b->tmp, plan_file(which));
	cmd_arg(c, "-q");
	cmd_arg(c, "-j");
	cmd_arg(c, "%d", threads);
	cmd_arg(c, "-o");
	cmd_arg(c, "/dev/null");
}

static int component_infer(struct bench *b, struct err *e)
{
	struct job j = {"infer case2 quick", "infer", "evaluations", {{0}, 0, {0}, 0}, 0, METER_EVALUATIONS};
	int rc;

	if ((rc = prepare_plan(b, b->o.quick ? PLAN_SMALL : PLAN_QUICK, e)))
		return rc;
	infer_cmd(b, &j.c, b->o.quick ? PLAN_SMALL : PLAN_QUICK, b->o.threads);
	return job(b, &j, e);
}

/* Case II at the paper's settings (N = 500 a level, and the validation):
 * the figure the sampler is judged by. Three timed runs at most and no
 * warm-up, as a run takes tens of seconds. */
static int component_case2(struct bench *b, struct err *e)
{
	struct job j = {"infer case2 paper", "case2", "evaluations", {{0}, 0, {0}, 0}, 0, METER_EVALUATIONS};
	struct bench_options o = b->o;
	int rc;

	if ((rc = prepare_plan(b, PLAN_PAPER, e)))
		return rc;
	infer_cmd(b, &j.c, PLAN_PAPER, b->o.threads);
	b->o.repeat = o.repeat < 3 ? o.repeat : 3;
	b->o.warmup = 0;
	rc = job(b, &j, e);
	b->o = o;
	return rc;
}

static void agent_cmd(struct bench *b, struct cmd *c, const char *model, long steps)
{
	cmd_prog(c, b, "agent");
	cmd_arg(c, "-m");
	cmd_arg(c, "%s", model);
	cmd_arg(c, "--env");
	cmd_arg(c, "model");
	cmd_arg(c, "--steps");
	cmd_arg(c, "%ld", steps);
	cmd_arg(c, "-o");
	cmd_arg(c, "/dev/null");
}

static int component_agent(struct bench *b, struct err *e)
{
	int rc;

	for (size_t k = 0; k < sizeof agent_sizes / sizeof *agent_sizes; k++) {
		const struct agent_size *a = &agent_sizes[k];
		char size[64], name[80], model[4200];
		long steps = b->o.quick ? a->steps / 4 : a->steps;
		agent_name(a, size, sizeof size);
		snprintf(name, sizeof name, "agent %s", size);
		snprintf(model, sizeof model, "%s/agent-%zu.json", b->tmp, k);
		if ((rc = random_agent(b, a, model, e)))
			return rc;
		struct job j = {name, "agent", "steps", {{0}, 0, {0}, 0}, steps, METER_AGENT_STEPS};
		agent_cmd(b, &j.c, model, steps);
		if ((rc = job(b, &j, e)))
			return rc;
	}
	return 0;
}

static int component_likelihood(struct bench *b, struct err *e)
{
	return component_solve(b, 1, e);
}

static int component_solve_only(struct bench *b, struct err *e)
{
	return component_solve(b, 0, e);
}

/* ---- sweeps ---- */

/* A model file: base (a JSON object, not changed) with "steps" set. */
static int model_with_steps(const json_t *base, int steps, const char *path, struct err *e)
{
	json_t *m = json_deep_copy(base);
	if (!m)
		return err_set(e, ERR_NOMEM, "out of memory");
	json_object_set_new(m, "steps", json_integer(steps));
	int rc = write_json(path, m, e);
	json_decref(m);
	return rc;
}

/* solve and sensitivity (moments of all parameters) of count thetas at
 * the final step of the model at path: median ms per trajectory, and
 * Newton updates per step. */
static int solve_and_tsm(struct bench *b, const char *model, int steps, const char *thetas, long count,
			 double *solve_ms, double *tsm_ms, double *newton, struct err *e)
{
	static const char *const progs[] = {"solve", "sensitivity"};
	double *out[] = {solve_ms, tsm_ms};
	int rc;

	for (int p = 0; p < 2; p++) {
		struct cmd c;
		struct measure_stats st;
		long peak;
		cmd_prog(&c, b, progs[p]);
		cmd_arg(&c, "-q");
		cmd_arg(&c, "-m");
		cmd_arg(&c, "%s", model);
		cmd_arg(&c, "-i");
		cmd_arg(&c, "%s", thetas);
		cmd_arg(&c, "-o");
		cmd_arg(&c, "/dev/null");
		cmd_arg(&c, "--steps");
		cmd_arg(&c, "%d", steps);
		if ((rc = timed_runs(b, &c, &st, &peak, e)))
			return rc;
		*out[p] = 1e3 * st.median / (double)count;
		if (p == 0) {
			struct phases ph;
			if ((rc = phases_run(b, &c, &ph, e)))
				return rc;
			long steps_done = ph.count[METER_STEPS];
			*newton = steps_done > 0 ? (double)ph.count[METER_NEWTON] / steps_done : NAN;
		}
	}
	return 0;
}

static int sweep_steps(struct bench *b, struct err *e)
{
	static const int steps[] = {250, 500, 1000, 2500, 5000, 10000};
	static const char *const cols[] = {"steps", "solve_ms", "tsm_ms", "solve_us_per_step", "tsm_us_per_step",
					   "newton_per_step"};
	const int n_steps = b->o.quick ? 4 : 6;
	const long count = b->o.quick ? 20 : 50;
	double theta0[MODEL_MAX_THETA], theta[50 * MODEL_MAX_THETA], cells[6 * 6];
	char path[4200], th[4200], model[4200];
	json_t *base;
	int n, rc;

	example_path(b, path, sizeof path, "case2/M1.json");
	tmp_path(b, th, sizeof th, "sweep.theta.mpk");
	tmp_path(b, model, sizeof model, "sweep.model.json");
	if ((rc = load_truth(b, "M1", theta0, &n, e)))
		return rc;
	jitter(theta0, n, count, theta);
	if ((rc = write_thetas(th, theta, n, count, e)) || (rc = mpjson_load_file(path, "a model file", &base, e)))
		return rc;
	for (int i = 0; !rc && i < n_steps; i++) {
		double *row = cells + i * 6;
		progress(b, "sweep steps: %d", steps[i]);
		if ((rc = model_with_steps(base, steps[i], model, e)) ||
		    (rc = solve_and_tsm(b, model, steps[i], th, count, &row[1], &row[2], &row[5], e)))
			break;
		row[0] = steps[i];
		row[3] = 1e3 * row[1] / steps[i];
		row[4] = 1e3 * row[2] / steps[i];
	}
	json_decref(base);
	return rc ? rc
		  : report_add_sweep(b->report, "steps",
				     "M1 (2 species), cost against the number of time steps: ms per trajectory", cols, 6,
				     cells, n_steps, e);
}

/* A synthetic model of n species with the settings of Case II M3, and a
 * theta that extends M3's truth: a_ij and b_i of species i mod 4. */
static int species_model(int n, const char *path, double *theta0, int *n_theta, struct err *e)
{
	static const double a3[4][4] = {{0.8, 2.0, 2.0, 1.0}, {2.0, 1.0, 2.0, 1.0}, {2.0, 2.0, 1.5, 1.0},
					{1.0, 1.0, 1.0, 2.0}};
	json_t *eta = json_array(), *phi0 = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(eta, json_real(1.0));
		json_array_append_new(phi0, json_real(0.02));
	}
	json_t *m = json_pack("{s:i,s:f,s:i,s:o,s:o,s:f,s:f,s:f,s:f,s:f}", "species", n, "dt", 1e-4, "steps", 750,
			      "eta", eta, "phi0", phi0, "nutrients", 25.0, "antibiotics", 0.0, "psi0", 0.999,
			      "gamma0", 1e-6, "penalty", 1e-4);
	if (!m)
		return err_set(e, ERR_NOMEM, "out of memory");
	int rc = write_json(path, m, e), k = 0;
	json_decref(m);
	for (int i = 0; i < n; i++)
		for (int j = i; j < n; j++)
			theta0[k++] = a3[i % 4][j % 4];
	for (int i = 0; i < n; i++)
		theta0[k++] = 0.1 * (1 + i % 4);
	*n_theta = k;
	return rc;
}

static int sweep_species(struct bench *b, struct err *e)
{
	static const char *const cols[] = {"species", "parameters", "solve_ms", "tsm_ms", "tsm_over_solve"};
	const long count = b->o.quick ? 10 : 40;
	double theta0[MODEL_MAX_THETA], *theta, cells[10 * 5];
	char th[4200], model[4200];
	int rc = 0, n_theta = 0;

	if (!(theta = malloc(sizeof(double) * MODEL_MAX_THETA * (size_t)count)))
		return err_set(e, ERR_NOMEM, "out of memory");
	tmp_path(b, th, sizeof th, "species.theta.mpk");
	tmp_path(b, model, sizeof model, "species.model.json");
	for (int n = 1; !rc && n <= 10; n++) {
		double *row = cells + (n - 1) * 5, newton;
		progress(b, "sweep species: %d", n);
		if ((rc = species_model(n, model, theta0, &n_theta, e)))
			break;
		jitter(theta0, n_theta, count, theta);
		if ((rc = write_thetas(th, theta, n_theta, count, e)) ||
		    (rc = solve_and_tsm(b, model, 750, th, count, &row[2], &row[3], &newton, e)))
			break;
		row[0] = n;
		row[1] = n_theta;
		row[4] = row[3] / row[2];
	}
	free(theta);
	return rc ? rc
		  : report_add_sweep(b->report, "species",
				     "synthetic models of 1 to 10 species (dt 1e-4, 750 steps): ms per trajectory, "
				     "TSM with all parameters",
				     cols, 5, cells, 10, e);
}

static int sweep_samples(struct bench *b, struct err *e)
{
	static const int ns[] = {100, 200, 500, 1000, 2000};
	static const char *const cols[] = {"samples", "stages", "evaluations", "seconds", "sampler_seconds",
					   "evaluator_seconds", "sampler_us_per_evaluation"};
	const int count = b->o.quick ? 3 : 5, reps = b->o.repeat < 64 ? b->o.repeat : 64;
	double cells[5 * 7];
	int rc = 0;

	for (int i = 0; !rc && i < count; i++) {
		double t[64], *row = cells + i * 7;
		long peak;
		struct phases acc;
		struct measure_stats st;
		progress(b, "sweep samples: %d", ns[i]);
		for (int k = 0; !rc && k < reps; k++) {
			rc = tmcmc_run(b, ns[i], &t[k], &peak, &acc, e);
		}
		if (!rc) {
			measure_stats(t, reps, &st);
			long ev = acc.count[METER_EVALUATIONS];
			row[0] = ns[i];
			row[1] = (double)acc.count[METER_STAGES];
			row[2] = (double)ev;
			row[3] = st.median;
			row[4] = acc.seconds[METER_SAMPLER];
			row[5] = acc.seconds[METER_EVALUATOR];
			row[6] = ev > 0 ? 1e6 * row[4] / (double)ev : NAN;
		}
	}
	return rc ? rc
		  : report_add_sweep(b->report, "samples",
				     "TMCMC of the analytic problem (gauss5) against N: the sampler's own work and the "
				     "evaluator's",
				     cols, 7, cells, count, e);
}

static int sweep_threads(struct bench *b, struct err *e)
{
	static const char *const cols[] = {"threads", "seconds", "speedup", "efficiency"};
	const int top = b->o.threads;
	double *cells;
	int rc;

	if ((rc = prepare_plan(b, b->o.quick ? PLAN_SMALL : PLAN_QUICK, e)))
		return rc;
	if (!(cells = malloc(sizeof(double) * 4 * (size_t)top)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (int t = 1; !rc && t <= top; t++) {
		struct cmd c;
		double *row = cells + (t - 1) * 4;
		progress(b, "sweep threads: %d", t);
		struct measure_stats st;
		long peak;
		infer_cmd(b, &c, b->o.quick ? PLAN_SMALL : PLAN_QUICK, t);
		if ((rc = timed_runs(b, &c, &st, &peak, e)))
			break;
		row[1] = st.median;
		row[0] = t;
		row[2] = cells[1] / row[1];
		row[3] = row[2] / t;
	}
	if (!rc)
		rc = report_add_sweep(b->report, "threads",
				      "infer, the Case II quick preset, on 1 to all threads: wall time, speedup and "
				      "parallel efficiency",
				      cols, 4, cells, top, e);
	free(cells);
	return rc;
}

static int sweep_agent(struct bench *b, struct err *e)
{
	static const int states[] = {2, 4, 8, 16, 32}, obs[] = {2, 4, 8, 16}, controls[] = {2, 4, 8};
	static const char *const cols[] = {"states", "observations", "controls", "policy_len", "policies", "step_us",
					   "steps_per_second"};
	enum { GRID = 5 * 4 * 3, ROWS = GRID + 5 };
	double cells[ROWS * 7];
	char model[4200];
	int rc = 0, row = 0;
	const long steps = b->o.quick ? 100 : 400;

	tmp_path(b, model, sizeof model, "sweep-agent.json");
	for (int k = 0; !rc && k < ROWS; k++) {
		struct agent_size a;
		if (k < GRID)
			a = (struct agent_size){obs[(k / 3) % 4], states[k / 12], controls[k % 3], 1, steps};
		else
			a = (struct agent_size){6, 8, 4, k - GRID + 1, k - GRID + 1 >= 5 ? steps / 4 : steps};
		struct cmd c;
		double st[64];
		const int reps = b->o.repeat < 64 ? b->o.repeat : 64;
		struct phases ph;
		if (k % 12 == 0 || k >= GRID)
			progress(b, "sweep agent: states %d, policy_len %d", a.states, a.policy_len);
		if ((rc = random_agent(b, &a, model, e)))
			break;
		agent_cmd(b, &c, model, a.steps);
		/* the in-program step time, median over the repetitions */
		for (int i = 0; !rc && i < reps; i++) {
			if (!(rc = phases_run(b, &c, &ph, e)))
				st[i] = step_seconds(&ph);
		}
		if (!rc) {
			struct measure_stats s;
			double *x = cells + row++ * 7;
			measure_stats(st, reps, &s);
			x[0] = a.states;
			x[1] = a.obs;
			x[2] = a.controls;
			x[3] = a.policy_len;
			x[4] = (double)ph.shape.policies;
			x[5] = 1e6 * s.median;
			x[6] = 1 / s.median;
		}
	}
	return rc ? rc
		  : report_add_sweep(b->report, "agent",
				     "agent step (infer_states, infer_policies, action) on random models: the grid of "
				     "pymdp's inference-scaling benchmark at policy_len 1, then policy_len 1 to 5",
				     cols, 7, cells, row, e);
}

/* One M1 calibration in this process (level M1 of the quick plan, its
 * data made here) with settings s, N samples and seed; *out gets its
 * final population and *sum its summary. */
static int m1_run(struct bench *b, const struct tmcmc_settings *s, int n, uint64_t seed, struct population *out,
		  struct posterior_summary *sum, double *seconds, struct err *e)
{
	char path[4200];
	struct plan p;
	struct calibration c;
	int rc;

	memset(&p, 0, sizeof p);
	memset(&c, 0, sizeof c);
	memset(out, 0, sizeof *out);
	memset(sum, 0, sizeof *sum);
	tmp_path(b, path, sizeof path, plan_file(PLAN_QUICK));
	if ((rc = prepare_plan(b, PLAN_QUICK, e)) || (rc = plan_load(&p, path, e)))
		return rc;
	p.tmcmc = *s;
	p.samples = n;
	p.seed = seed;
	double t0 = clock_now();
	if (!(rc = calibration_init(&c, &p, b->o.threads, NULL, NULL, e)) && !(rc = calibration_run_level(&c, 0, NULL, e))) {
		*seconds = clock_now() - t0;
		*out = c.post[0];
		*sum = c.sum[0];
		memset(&c.post[0], 0, sizeof c.post[0]);
		memset(&c.sum[0], 0, sizeof c.sum[0]);
	}
	if (c.plan)
		calibration_free(&c);
	plan_free(&p);
	return rc;
}

/* --sweep accuracy-m1: the study of study.h on the M1 likelihood, whose
 * answer is not known: against one long reference run (tpcn with N =
 * 4000, target ESS 0.9, a first round of 5 steps, seed 1000), the old and the
 * new kernel at the paper's N = 500 over the seeds. */
static int sweep_accuracy_m1(struct bench *b, struct err *e)
{
	static const char *const cols[] = {"kernel",	 "samples",	       "seeds",	    "stages",	  "evaluations",
					   "seconds",	 "logz_rms",   "logz_worst", "logz_bias", "mean_z_rms",
					   "mean_z_worst", "sd_error_worst"};
	enum { COLS = sizeof cols / sizeof *cols };
	const int seeds = b->o.seeds > 0 ? b->o.seeds : b->o.quick ? 2 : 5, n = b->o.quick ? 200 : 500;
	const int n_ref = b->o.quick ? 1000 : 4000;
	struct tmcmc_settings s;
	struct population ref;
	struct posterior_summary ref_sum;
	double cells[2 * COLS], secs;
	char title[512];
	int rc;

	tmcmc_settings_default(&s);
	s.target_ess = 0.9;
	s.min_chain_steps = 5;
	progress(b, "accuracy m1: the reference run, N %d", n_ref);
	if ((rc = m1_run(b, &s, n_ref, 1000, &ref, &ref_sum, &secs, e)))
		return rc;
	const int d = ref.d;
	for (int k = 0; !rc && k < 2; k++) {
		double sum2 = 0, worst = 0, bias = 0, z2 = 0, zmax = 0, sdmax = 0, ev = 0, st = 0, sec = 0;
		tmcmc_settings_default(&s);
		s.kernel = k ? TMCMC_TPCN : TMCMC_RW;
		for (int seed = 1; !rc && seed <= seeds; seed++) {
			struct population p;
			struct posterior_summary ps;
			double t;
			progress(b, "accuracy m1: %s, seed %d", tmcmc_kernel_name(s.kernel), seed);
			if ((rc = m1_run(b, &s, n, (uint64_t)seed, &p, &ps, &t, e)))
				break;
			double err = p.log_evidence - ref.log_evidence;
			sum2 += err * err;
			worst = fmax(worst, fabs(err));
			bias += err;
			for (int a = 0; a < d; a++) {
				double z = (ps.mean[a] - ref_sum.mean[a]) / (ref_sum.sd[a] / sqrt(n));
				z2 += z * z;
				zmax = fmax(zmax, fabs(z));
				sdmax = fmax(sdmax, fabs(ps.sd[a] / ref_sum.sd[a] - 1));
			}
			ev += (double)p.evaluations_total;
			st += (double)p.stage;
			sec += t;
			population_free(&p);
			posterior_summary_free(&ps);
		}
		double *row = cells + k * COLS;
		const double v[COLS] = {s.kernel, n, seeds, st / seeds, ev / seeds, sec / seeds, sqrt(sum2 / seeds),
					worst, bias / seeds, sqrt(z2 / (seeds * d)), zmax, sdmax};
		memcpy(row, v, sizeof v);
	}
	snprintf(title, sizeof title,
		 "M1 (Case II) against a reference run (tpcn, N %d, target ESS 0.9, a first round of 5 steps: log-evidence "
		 "%.4f, %ld evaluations); kernel 0 rw (old default), 1 tpcn (new)",
		 n_ref, ref.log_evidence, ref.evaluations_total);
	population_free(&ref);
	posterior_summary_free(&ref_sum);
	return rc ? rc : report_add_sweep(b->report, "accuracy-m1", title, cols, COLS, cells, 2, e);
}

int bench_sweep(struct bench *b, const char *name, struct err *e)
{
	if (!strcmp(name, "steps"))
		return sweep_steps(b, e);
	if (!strcmp(name, "species"))
		return sweep_species(b, e);
	if (!strcmp(name, "samples"))
		return sweep_samples(b, e);
	if (!strcmp(name, "threads"))
		return sweep_threads(b, e);
	if (!strcmp(name, "agent"))
		return sweep_agent(b, e);
	if (!strcmp(name, "accuracy")) {
		static const int full[] = {1000, 2000}, quick[] = {500};
		int seeds = b->o.seeds > 0 ? b->o.seeds : b->o.quick ? 5 : 20;
		struct study_options so = {b->o.examples, seeds, b->o.quick ? quick : full, b->o.quick ? 1 : 2,
					   b->o.quiet};
		return study_accuracy(&so, b->report, e);
	}
	if (!strcmp(name, "accuracy-m1"))
		return sweep_accuracy_m1(b, e);
	return err_set(e, ERR_INPUT, "no sweep '%s' (steps, species, samples, threads, agent, accuracy, accuracy-m1)",
		       name);
}

/* ---- leak check: the same work through the library, in this process ---- */

static int leak_solve(struct bench *b, int likelihood, struct err *e)
{
	char path[4200];
	double theta0[MODEL_MAX_THETA], *theta;
	struct model m;
	struct likelihood_data d;
	struct likelihood l;
	struct solver *s = NULL;
	const long count = 100;
	int n, rc;

	memset(&d, 0, sizeof d);
	memset(&l, 0, sizeof l);
	example_path(b, path, sizeof path, "case2/M1.json");
	if ((rc = load_truth(b, "M1", theta0, &n, e)))
		return rc;
	if (!(theta = malloc(sizeof(double) * (size_t)n * count)))
		return err_set(e, ERR_NOMEM, "out of memory");
	jitter(theta0, n, count, theta);
	if ((rc = model_load(&m, path, e))) {
		free(theta);
		return rc;
	}
	if (likelihood) {
		int all[MODEL_MAX_THETA];
		for (int k = 0; k < m.n_theta; k++)
			all[k] = k;
		tmp_path(b, path, sizeof path, "M1.data.mpk");
		if (!(rc = likelihood_data_load(&d, path, &m, e)) &&
		    !(rc = likelihood_init(&l, &m, &d, all, m.n_theta, 0.005, 0.005, e)))
			for (long i = 0; i < count; i++) {
				struct likelihood_result res;
				likelihood_eval(&l, theta + i * n, &res);
			}
		likelihood_free(&l);
		likelihood_data_free(&d);
	} else {
		double *rows = malloc(sizeof(double) * (size_t)model_state_size(&m));
		int save = m.steps;
		if (!(s = calloc(1, sizeof *s)) || !rows)
			rc = err_set(e, ERR_NOMEM, "out of memory");
		for (long i = 0; !rc && i < count; i++) {
			struct solver_outcome o;
			solver_init(s, &m, theta + i * n);
			solver_run(s, &save, 1, rows, &o);
		}
		free(rows);
		free(s);
	}
	model_free(&m);
	free(theta);
	return rc;
}

static int leak_tmcmc(struct bench *b, struct err *e)
{
	char path[4200];
	struct prior pr;
	struct mixture a;
	struct population cur, next;
	struct tmcmc_settings s;
	int rc;

	memset(&pr, 0, sizeof pr);
	memset(&a, 0, sizeof a);
	memset(&cur, 0, sizeof cur);
	memset(&next, 0, sizeof next);
	tmcmc_settings_default(&s);
	struct tmcmc_evaluator ev = {mixture_batch, &a, NULL};
	example_path(b, path, sizeof path, "tmcmc/prior5.json");
	if ((rc = prior_load(&pr, path, e)))
		return rc;
	example_path(b, path, sizeof path, "tmcmc/gauss5.json");
	if (!(rc = mixture_load(&a, path, e)) && !(rc = tmcmc_init(&cur, &pr, 200, 1, 0, &s, e)))
		while (!rc && cur.beta < 1) {
			if (!(rc = tmcmc_advance(&cur, &pr, &s, &ev, &next, e))) {
				population_free(&cur);
				cur = next;
				memset(&next, 0, sizeof next);
			}
		}
	population_free(&cur);
	population_free(&next);
	mixture_free(&a);
	prior_free(&pr);
	return rc;
}

static int leak_infer(struct bench *b, struct err *e)
{
	char path[4200];
	struct plan p;
	struct calibration c;
	int rc;

	memset(&p, 0, sizeof p);
	memset(&c, 0, sizeof c);
	tmp_path(b, path, sizeof path, plan_file(PLAN_SMALL));
	if (!(rc = plan_load(&p, path, e)) && !(rc = calibration_init(&c, &p, b->o.threads, NULL, NULL, e)))
		for (int k = 0; !rc && k < p.n_levels; k++)
			rc = calibration_run_level(&c, k, NULL, e);
	if (c.plan)
		calibration_free(&c);
	plan_free(&p);
	return rc;
}

static int leak_agent(struct bench *b, struct err *e)
{
	char path[4200];
	struct genmodel g;
	struct world world;
	struct stream_writer w;
	struct world_options wo = {3, 3, 0.98};
	int rc, have_world = 0;

	memset(&g, 0, sizeof g);
	stream_writer_init(&w);
	snprintf(path, sizeof path, "%s/agent-2.json", b->tmp);
	if (!(rc = random_agent(b, &agent_sizes[2], path, e)) && !(rc = genmodel_load(&g, path, e)) &&
	    !(rc = world_init(&world, "model", &wo, &g, e))) {
		have_world = 1;
		struct episodes_options eo = {&g, 1, 0, b->o.threads, 0, 0, 0, 1, "profile", NULL, NULL, NULL};
		if (!(rc = stream_writer_open(&w, "/dev/null", 0, e)))
			rc = episodes_closed_loop(&eo, &world, 4, 50, &w, NULL, e);
		if (!rc)
			rc = stream_writer_commit(&w, e);
	}
	stream_writer_free(&w);
	if (have_world)
		world_free(&world);
	genmodel_free(&g);
	return rc;
}

static int leak_solve_only(struct bench *b, struct err *e)
{
	return leak_solve(b, 0, e);
}

static int leak_likelihood(struct bench *b, struct err *e)
{
	return leak_solve(b, 1, e);
}

/* The components: measured as programs, and run in this process. */
static const struct component {
	const char *name;
	int (*measure)(struct bench *b, struct err *e);
	int (*once)(struct bench *b, struct err *e);
} components[] = {
	{"solve", component_solve_only, leak_solve_only},
	{"sensitivity", component_likelihood, leak_likelihood},
	{"tmcmc", component_tmcmc, leak_tmcmc},
	{"infer", component_infer, leak_infer},
	{"case2", component_case2, leak_infer},
	{"agent", component_agent, leak_agent},
};

static const struct component *find_component(const char *name, struct err *e)
{
	for (size_t i = 0; i < sizeof components / sizeof *components; i++)
		if (!strcmp(name, components[i].name))
			return &components[i];
	err_set(e, ERR_INPUT, "no component '%s' (solve, sensitivity, tmcmc, infer, agent)", name);
	return NULL;
}

int bench_component(struct bench *b, const char *name, struct err *e)
{
	const struct component *c = find_component(name, e);
	return c ? c->measure(b, e) : ERR_INPUT;
}

int bench_leak(struct bench *b, const char *name, int runs, struct err *e)
{
	const struct component *c = find_component(name, e);
	long *rss, peak;
	int rc = 0;

	if (!c)
		return ERR_INPUT;
	if ((!strcmp(name, "sensitivity") && (rc = prepare_case2(b, e))) ||
	    (!strcmp(name, "infer") && (rc = prepare_plan(b, PLAN_SMALL, e))))
		return rc;
	if (!(rss = malloc(sizeof *rss * (size_t)runs)))
		return err_set(e, ERR_NOMEM, "out of memory");
	progress(b, "leak check %s: %d runs", name, runs);
	for (int i = 0; !rc && i < runs; i++)
		if (!(rc = c->once(b, e)))
			meter_memory(&rss[i], &peak);
	if (!rc) {
		long growth = rss[runs - 1] - rss[0];
		rc = report_add_leak(b->report, name, rss, runs, growth, growth > BENCH_LEAK_KIB, e);
	}
	free(rss);
	return rc;
}

/* ---- set-up ---- */

int bench_init(struct bench *b, const struct bench_options *o, struct report *r, struct err *e)
{
	const char *t = getenv("TMPDIR");
	char probe[4200];

	memset(b, 0, sizeof *b);
	b->o = *o;
	b->report = r;
	static const char *const progs[] = {"solve", "sensitivity", "tmcmc-stage", "analytic-loglik", "infer",
					    "agent", "mpcat"};
	for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
		bin_path(b, probe, sizeof probe, progs[i]);
		if (access(probe, X_OK))
			return err_set(e, ERR_INPUT, "'%s': %s (give the programs' directory with '--bin DIR')", probe,
				       strerror(errno));
	}
	example_path(b, probe, sizeof probe, "case2/M1.json");
	if (access(probe, R_OK))
		return err_set(e, ERR_INPUT, "'%s': %s (give the inputs' directory with '--examples DIR')", probe,
			       strerror(errno));
	snprintf(b->tmp, sizeof b->tmp, "%s/profile.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(b->tmp)) {
		int err = errno;
		b->tmp[0] = 0;
		return err_set(e, ERR_RUNTIME, "cannot make a temporary directory: %s", strerror(err));
	}
	return 0;
}

void bench_free(struct bench *b)
{
	if (b->tmp[0])
		nftw(b->tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	b->tmp[0] = 0;
}
