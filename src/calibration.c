/*
 * calibration: running a plan's levels (see calibration.h). Invariant:
 * c->done[k] implies c->post[k] is level k's population at beta = 1 and
 * c->sum[k] its summary; a level starts only when every level it takes
 * values from is done.
 */
#define _POSIX_C_SOURCE 200809L
#include "calibration.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "evalcmd.h"
#include "likelihood.h"
#include "mpjson.h"
#include "outfile.h"
#include "pool.h"
#include "predictive.h"
#include "tmcmc.h"

int calibration_init(struct calibration *c, struct plan *plan, int threads, const char *eval, const char *workdir,
		     struct err *e)
{
	int n = plan->n_levels;

	memset(c, 0, sizeof *c);
	c->plan = plan;
	c->threads = threads < 1 ? 1 : threads;
	c->eval = eval;
	c->workdir = workdir;
	c->post = calloc((size_t)n, sizeof *c->post);
	c->sum = calloc((size_t)n, sizeof *c->sum);
	c->seconds = calloc((size_t)n, sizeof *c->seconds);
	c->done = calloc((size_t)n, sizeof *c->done);
	if (!c->post || !c->sum || !c->seconds || !c->done) {
		calibration_free(c);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

void calibration_free(struct calibration *c)
{
	if (c->post)
		for (int k = 0; k < c->plan->n_levels; k++) {
			population_free(&c->post[k]);
			if (c->sum)
				posterior_summary_free(&c->sum[k]);
		}
	free(c->post);
	free(c->sum);
	free(c->seconds);
	free(c->done);
	memset(c, 0, sizeof *c);
}

/* Fill lv's fixed values from the levels done; every one it needs must be. */
int calibration_fix(struct calibration *c, struct plan_level *lv, struct err *e)
{
	int n = c->plan->n_levels;
	const double *map[n > 0 ? n : 1], *mean[n > 0 ? n : 1];

	for (int l = 0; l < n; l++) {
		map[l] = c->done[l] ? c->sum[l].map : NULL;
		mean[l] = c->done[l] ? c->sum[l].mean : NULL;
	}
	for (int j = 0; j < lv->model.n_theta; j++) {
		int l = lv->from_level[j];
		if (l >= 0 && !c->done[l])
			return err_set(e, ERR_INPUT, "level '%s' takes '%s' from level '%s', which is not done yet",
				       lv->name, lv->model.names[j], c->plan->levels[l].name);
	}
	plan_level_fix(lv, map, mean);
	return 0;
}

/* The in-process likelihood of a level: one struct likelihood per worker. */
struct level_eval {
	const struct plan_level *lv;
	struct likelihood *lik;
	int threads;
	const struct calibration_hooks *h;
	const struct population *from;
	struct monitor *monitor;
	double *seconds;          /* per item of a batch, for the monitor */
	/* the batch */
	const double *theta, *floor;
	double *loglik;
	int d;
	const volatile sig_atomic_t *stop;
};

/* A stop asked for (calibration.stop) ends the level before a batch. */
static int stopped(const volatile sig_atomic_t *stop, struct err *e)
{
	if (stop && *stop)
		return err_set(e, ERR_RUNTIME, "interrupted");
	return 0;
}

static void eval_one(void *ctx, int worker, long i)
{
	struct level_eval *le = ctx;
	double theta[MODEL_MAX_THETA];
	struct likelihood_result res;

	double t0 = le->monitor ? clock_now() : 0;
	plan_level_theta(le->lv, le->theta + (size_t)i * (size_t)le->d, theta);
	likelihood_eval_floor(&le->lik[worker], theta, le->floor ? le->floor[i] : -INFINITY, &res);
	le->loglik[i] = res.status == LIKELIHOOD_OK ? res.loglik : -INFINITY;
	if (le->monitor)
		le->seconds[i] = clock_now() - t0;
}

static int eval_batch(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d,
		      double *loglik, struct err *e)
{
	struct level_eval *le = ctx;
	(void)ids;
	int rc = stopped(le->stop, e);
	if (rc)
		return rc;
	le->theta = theta;
	le->floor = floor;
	le->loglik = loglik;
	le->d = d;
	pool_run(le->threads, n, eval_one, le);
	for (int i = 0; le->monitor && i < n; i++)
		monitor_record(le->monitor, le->seconds[i]);
	if (le->h && le->h->batch)
		le->h->batch(le->h->ctx, le->lv, le->from, n);
	return 0;
}

/* The evaluator command, counted for the hooks. */
struct cmd_eval {
	struct evalcmd ec;
	const struct plan_level *lv;
	const struct calibration_hooks *h;
	const struct population *from;
	struct meter *meter;
	const volatile sig_atomic_t *stop;
};

static int cmd_batch(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d,
		     double *loglik, struct err *e)
{
	struct cmd_eval *ce = ctx;
	int rc = stopped(ce->stop, e);
	if (rc)
		return rc;
	uint64_t t0 = meter_begin(ce->meter);
	rc = evalcmd_eval(&ce->ec, ids, theta, floor, n, d, loglik, e);
	meter_lap(ce->meter, METER_EVALUATOR, t0);
	if (!rc && ce->h && ce->h->batch)
		ce->h->batch(ce->h->ctx, ce->lv, ce->from, n);
	return rc;
}

/* Single-quote s for the shell into buf. */
static void shell_quote(char *buf, size_t size, const char *s)
{
	size_t k = 0;
	if (k + 1 < size)
		buf[k++] = '\'';
	for (; *s && k + 5 < size; s++) {
		if (*s == '\'') {
			memcpy(buf + k, "'\\''", 4);
			k += 4;
		} else {
			buf[k++] = *s;
		}
	}
	if (k + 1 < size)
		buf[k++] = '\'';
	buf[k] = 0;
}

/* The model file of a level, indented as jansson writes it. */
static int write_model_file(const char *path, const json_t *j, struct err *e)
{
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
	if (!text)
		return err_set(e, ERR_NOMEM, "out of memory");
	int rc = outfile_write_file(path, text, strlen(text), e);
	free(text);
	return rc;
}

/* The prior file of a level: prior_pack's canonical form, as JSON. */
static int write_prior_file(const char *path, const struct prior *pr, struct err *e)
{
	struct pack b;

	pack_init(&b);
	prior_pack(pack_packer(&b), pr);
	int rc = mpjson_write_file(path, &b, e);
	pack_free(&b);
	return rc;
}

/* The stage options of tmcmc-stage that reproduce the plan's settings. */
static void stage_args(const struct plan *p, char *buf, size_t size)
{
	const struct tmcmc_settings *s = &p->tmcmc;
	int k = snprintf(buf, size, "--kernel %s --dof %.17g --target-ess %.17g --min-dbeta %.17g --logl-scale %.17g "
			 "--resample %s", tmcmc_kernel_name(s->kernel), s->dof, tmcmc_target_ess(s), s->min_dbeta,
			 s->logl_scale, s->resample == TMCMC_SYSTEMATIC ? "systematic" : "multinomial");
	if (!isnan(s->scale))
		k += snprintf(buf + k, size - (size_t)k, " --scale %.17g", s->scale);
	if (!s->adapt)
		k += snprintf(buf + k, size - (size_t)k, " --fixed-scale");
	if (!s->delayed)
		k += snprintf(buf + k, size - (size_t)k, " --no-delayed-acceptance");
	if (!isnan(s->target_acceptance))
		k += snprintf(buf + k, size - (size_t)k, " --target-acceptance %.17g", s->target_acceptance);
	if (s->chain_steps > 0)
		snprintf(buf + k, size - (size_t)k, " --chain-steps %d", s->chain_steps);
	else
		snprintf(buf + k, size - (size_t)k,
			 " --chain-steps auto --min-chain-steps %d --max-chain-steps %d --decorrelation %.17g",
			 tmcmc_min_chain_steps(s), s->max_chain_steps, tmcmc_decorrelation(s));
}

const char *const calibration_setup_files[CALIBRATION_SETUP_FILES] = {"model.json", "prior.json", "env"};

int calibration_level_path(const struct calibration *c, const char *root, int k, const char *name, char *buf,
			   size_t size, struct err *e)
{
	const char *level = c->plan->levels[k].name;
	if ((size_t)snprintf(buf, size, "%s/%s%s%s", root, level, name ? "/" : "", name ? name : "") >= size)
		return err_set(e, ERR_INPUT, "'%s': the path of level '%s' is too long", root, level);
	return 0;
}

static int make_dir(const char *path, struct err *e)
{
	if (mkdir(path, 0777) && errno != EEXIST)
		return err_set(e, ERR_RUNTIME, "cannot make '%s': %s", path, strerror(errno));
	return 0;
}

int calibration_write_setup(struct calibration *c, int k, const char *root, struct err *e)
{
	const struct plan *p = c->plan;
	struct plan_level *lv = &p->levels[k];
	char path[CALIBRATION_SETUP_FILES][4096], q[5][8300];
	int rc;

	if ((rc = calibration_fix(c, lv, e)) || (rc = make_dir(root, e)) ||
	    (rc = calibration_level_path(c, root, k, NULL, path[0], sizeof path[0], e)) ||
	    (rc = make_dir(path[0], e)))
		return rc;
	for (int f = 0; f < CALIBRATION_SETUP_FILES; f++)
		if ((rc = calibration_level_path(c, root, k, calibration_setup_files[f], path[f], sizeof path[f], e)))
			return rc;
	json_t *model = plan_level_model_json(lv);
	if (!model)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = write_model_file(path[CALIBRATION_MODEL], model, e);
	json_decref(model);
	if (rc || (rc = write_prior_file(path[CALIBRATION_PRIOR], &lv->prior, e)))
		return rc;

	/* the values taken from earlier levels or the truth, every digit */
	char set[8192] = "";
	size_t len = 0;
	for (int j = 0; j < lv->model.n_theta && len < sizeof set; j++)
		if (lv->from_free[j] < 0)
			len += (size_t)snprintf(set + len, sizeof set - len, "%s%s=%.17g", len ? "," : "",
						lv->model.names[j], lv->fixed_value[j]);
	if (len >= sizeof set)
		return err_set(e, ERR_INPUT, "level '%s': too many fixed parameters", lv->name);
	char stage[1024];
	stage_args(p, stage, sizeof stage);
	shell_quote(q[0], sizeof q[0], path[CALIBRATION_MODEL]);
	shell_quote(q[1], sizeof q[1], path[CALIBRATION_PRIOR]);
	shell_quote(q[2], sizeof q[2], lv->data_path);
	shell_quote(q[3], sizeof q[3], lv->name);

	char *text = NULL;
	size_t text_len;
	FILE *f = open_memstream(&text, &text_len);
	if (!f)
		return err_set(e, ERR_NOMEM, "out of memory");
	fprintf(f, "# level %s of %s, for the pipeline's stages (infer --setup); sh syntax\n", lv->name, p->path);
	fprintf(f, "BIOFILTER_LEVEL=%s\nBIOFILTER_LEVEL_INDEX=%d\n", q[3], lv->index);
	fprintf(f, "BIOFILTER_MODEL=%s\nBIOFILTER_PRIOR=%s\nBIOFILTER_DATA=%s\n", q[0], q[1], q[2]);
	shell_quote(q[4], sizeof q[4], set);
	fprintf(f, "BIOFILTER_SIGMA_OBS=%.17g\nBIOFILTER_COV=%.17g\nBIOFILTER_SET=%s\n", lv->sigma_obs, p->cov, q[4]);
	fprintf(f, "BIOFILTER_EVAL_ARGS=\"-m $BIOFILTER_MODEL --data $BIOFILTER_DATA --sigma-obs $BIOFILTER_SIGMA_OBS "
		   "--cov $BIOFILTER_COV --set=$BIOFILTER_SET\"\n");
	fprintf(f, "BIOFILTER_SAMPLES=%ld\nBIOFILTER_SEED=%llu\n", p->samples, (unsigned long long)p->seed);
	fprintf(f, "BIOFILTER_INIT_ARGS=\"--prior $BIOFILTER_PRIOR -N %ld --seed %llu --level %d", p->samples,
		(unsigned long long)p->seed, lv->index);
	if (!isnan(p->tmcmc.scale))
		fprintf(f, " --scale %.17g", p->tmcmc.scale);
	fprintf(f, "\"\nBIOFILTER_STAGE_ARGS='%s'\n", stage);
	fprintf(f, "export BIOFILTER_LEVEL BIOFILTER_LEVEL_INDEX BIOFILTER_MODEL BIOFILTER_PRIOR BIOFILTER_DATA "
		   "BIOFILTER_SIGMA_OBS BIOFILTER_COV BIOFILTER_SET BIOFILTER_EVAL_ARGS BIOFILTER_SAMPLES "
		   "BIOFILTER_SEED BIOFILTER_INIT_ARGS BIOFILTER_STAGE_ARGS\n");
	if (ferror(f) | fclose(f)) {
		free(text);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	rc = outfile_write_file(path[CALIBRATION_ENV], text, text_len, e);
	free(text);
	return rc;
}

void calibration_remove_setup(const struct calibration *c, const char *root)
{
	char path[4096];
	struct err e;

	for (int k = 0; k < c->plan->n_levels; k++) {
		for (int f = 0; f < CALIBRATION_SETUP_FILES; f++)
			if (!calibration_level_path(c, root, k, calibration_setup_files[f], path, sizeof path, &e))
				remove(path);
		if (!calibration_level_path(c, root, k, NULL, path, sizeof path, &e))
			rmdir(path);
	}
	rmdir(root);
}

/* Level k is run or loaded again: what it had is forgotten first, so
 * that done[k] never stands for a population that is gone. */
static void forget_level(struct calibration *c, int k)
{
	population_free(&c->post[k]);
	posterior_summary_free(&c->sum[k]);
	c->done[k] = 0;
}

static int finish_level(struct calibration *c, int k, struct err *e)
{
	int rc = posterior_summary_init(&c->sum[k], &c->post[k], e);
	if (!rc)
		c->done[k] = 1;
	return rc;
}

int calibration_run_level(struct calibration *c, int k, const struct calibration_hooks *h, struct err *e)
{
	struct plan *p = c->plan;
	struct plan_level *lv = &p->levels[k];
	struct population cur, next;
	struct level_eval le = {.lv = lv, .threads = c->threads, .h = h, .stop = c->stop};
	struct cmd_eval ce = {.lv = lv, .h = h, .meter = c->meters, .stop = c->stop};
	struct tmcmc_evaluator ev;
	double t0 = clock_now();
	int rc, n_lik = 0;
	char *cmd = NULL;

	memset(&cur, 0, sizeof cur);
	memset(&next, 0, sizeof next);
	if ((rc = calibration_fix(c, lv, e)))
		return rc;
	forget_level(c, k);
	if (c->eval) {
		/* the command sees the level through the setup's variables */
		char env[4096], qenv[4200];
		if ((rc = calibration_write_setup(c, k, c->workdir, e)) ||
		    (rc = calibration_level_path(c, c->workdir, k, calibration_setup_files[CALIBRATION_ENV], env,
						 sizeof env, e)))
			return rc;
		shell_quote(qenv, sizeof qenv, env);
		size_t len = strlen(qenv) + strlen(c->eval) + 32;
		if (!(cmd = malloc(len)))
			return err_set(e, ERR_NOMEM, "out of memory");
		snprintf(cmd, len, ". %s && %s", qenv, c->eval);
		evalcmd_init(&ce.ec, cmd, (const char *const *)lv->prior.names, lv->prior.n);
		ce.ec.timeout = c->eval_timeout;
		ev = (struct tmcmc_evaluator){cmd_batch, &ce, c->meters};
	} else {
		if (!(le.lik = calloc((size_t)c->threads, sizeof *le.lik)) ||
		    (c->monitor && !(le.seconds = malloc(sizeof(double) * (size_t)p->samples)))) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		int all[MODEL_MAX_THETA];
		for (int j = 0; j < lv->model.n_theta; j++)
			all[j] = j;
		for (; n_lik < c->threads; n_lik++)
			if ((rc = likelihood_init(&le.lik[n_lik], &lv->model, &lv->data, all, lv->model.n_theta, p->cov,
						  lv->sigma_obs, e)))
				goto out;
		for (int w = 0; c->meters && w < c->threads; w++)
			le.lik[w].t.meter = &c->meters[w];
		le.monitor = c->monitor;
		ev = (struct tmcmc_evaluator){eval_batch, &le, c->meters};
	}
	if ((rc = tmcmc_init(&cur, &lv->prior, (int)p->samples, p->seed, lv->index, &p->tmcmc, e)))
		goto out;
	while (cur.beta < 1) {
		le.from = ce.from = &cur;
		if ((rc = tmcmc_advance(&cur, &lv->prior, &p->tmcmc, &ev, &next, e)))
			goto out;
		population_free(&cur);
		cur = next;
		memset(&next, 0, sizeof next);
		if (h && h->stage)
			h->stage(h->ctx, lv, &cur);
	}
	c->post[k] = cur;
	memset(&cur, 0, sizeof cur);
	c->seconds[k] = clock_now() - t0;
	rc = finish_level(c, k, e);
out:
	if (rc && c->eval)
		err_prefix(e, "level '%s'", lv->name);
	for (int i = 0; i < n_lik; i++)
		likelihood_free(&le.lik[i]);
	free(le.lik);
	free(le.seconds);
	free(cmd);
	population_free(&cur);
	population_free(&next);
	return rc;
}

int calibration_load_level(struct calibration *c, int k, const char *path, struct err *e)
{
	struct plan *p = c->plan;
	struct plan_level *lv = &p->levels[k];
	struct population *pop = &c->post[k];
	struct prior pr;
	int rc;

	if ((rc = calibration_fix(c, lv, e)))
		return rc;
	forget_level(c, k);
	if ((rc = population_read(pop, &pr, path, e)))
		return rc;
	int same = pr.n == lv->prior.n;
	for (int i = 0; same && i < pr.n; i++) {
		const struct prior_param *a = &pr.p[i], *b = &lv->prior.p[i];
		same = !strcmp(a->name, b->name) && a->kind == b->kind && a->a == b->a && a->b == b->b &&
		       a->lo == b->lo && a->hi == b->hi;
	}
	prior_free(&pr);
	if (!same)
		rc = err_set(e, ERR_INPUT, "%s: its prior is not level '%s''s in %s", path, lv->name, p->path);
	else if (pop->seed != p->seed || pop->level != lv->index || pop->n != p->samples)
		rc = err_set(e, ERR_INPUT, "%s: its seed, level or size is not level '%s''s in %s (seed %llu, "
			     "level %d, %ld samples)", path, lv->name, p->path, (unsigned long long)p->seed,
			     lv->index, p->samples);
	else if (pop->beta != 1)
		rc = err_set(e, ERR_INPUT, "%s: beta is %g, not 1: the level has not finished", path, pop->beta);
	if (rc) {
		population_free(pop);
		return rc;
	}
	return finish_level(c, k, e);
}

int calibration_write_predictive(struct calibration *c, long every, struct stream_writer *w, long *failed,
				 struct err *e)
{
	struct plan *pl = c->plan;
	int rc = 0;

	predictive_pack_header(stream_writer_packer(w), pl);
	for (int k = 0; !rc && k < pl->n_levels + pl->has_validation; k++) {
		int validation = k == pl->n_levels, from = validation ? pl->n_levels - 1 : k;
		struct plan_level *lv = validation ? &pl->validation : &pl->levels[k];
		failed[k] = 0;
		if (!c->done[from])
			return err_set(e, ERR_RUNTIME, "the predictive of '%s' needs level '%s', which is not done", lv->name,
				       pl->levels[from].name);
		if (validation && (rc = calibration_fix(c, lv, e)))
			break;
		rc = predictive_write(lv, pl->cov, &c->post[from], c->threads,
				      every ? every : (lv->model.steps + 499) / 500, w, &failed[k], e);
	}
	return rc;
}

int calibration_write_posterior(const struct calibration *c, struct stream_writer *w, struct err *e)
{
	for (int k = 0; k < c->plan->n_levels; k++)
		if (c->done[k]) {
			int rc = posterior_write(c->plan, &c->plan->levels[k], &c->post[k], &c->sum[k], w, e);
			if (rc)
				return rc;
		}
	return 0;
}
