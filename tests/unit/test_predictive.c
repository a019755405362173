/*
 * Unit tests for predictive (src/predictive.h): the posterior predictive
 * of a level's observables at a population's samples.
 *
 * Each test loads a small plan from its scratch directory (plan_load),
 * with the M1 model and data of tests/data/figures copied beside it, and
 * fills a population (population_init) with samples near the truths of
 * tests/data/figures/plan.json (a11 0.8, a12 2.0, a22 1.0, b1 0.1, b2 0.2).
 *
 * The expected values are computed here, independently of the module's
 * chunked sums: every sample is run with tsm_run and its first-order
 * moments taken with tsm_phibar_moments (sd_c = cov theta_c), the model
 * theta assembled by hand from the level's free parameters and the
 * truths, and then combined by the law of total variance in the textbook
 * two-pass form, mean = avg mu_s, var = avg var_s + avg (mu_s - mean)^2.
 * The module sums differences from a reference in chunks, so the two
 * agree to rounding: 1e-9 relative is allowed (the sums have about 12
 * terms of similar size; the spread is not small against the TSM part,
 * so nothing cancels catastrophically).
 *
 * Exact properties: one record per every-th step from step 0 (steps/every
 * + 1 of them), t = step dt; lower and upper are mean -+ 2 sd and sd_data
 * is sqrt(sd^2 + sigma_obs^2) (to an ulp or two); sd >= sd_tsm; with N
 * identical samples the spread is exactly 0, so sd == sd_tsm bit for bit,
 * and mean == phi_mean psi_mean (phibar = phi psi); the bytes are the
 * same for threads 1, 2 and 3 over 70 samples (3 chunks of 32: the
 * determinism contract); a sample whose solver fails (a11 = 1e6: Newton
 * does not converge at step 1) is left out and counted, the records being
 * the same bytes as without it, and a level all of whose samples fail has
 * no records; sd_data is there only when sigma_obs is known.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "population.h"
#include "predictive.h"
#include "rng.h"
#include "stream.h"
#include "tsm.h"

#include "figures.h"
#include "predictive_rows.h"
#include "scratch.h"

#define MAX_ROWS 16
#define MAX_SAMPLES 128

/* the truths of tests/data/figures/plan.json, in M1's theta order */
static const double truth[5] = {0.8, 2.0, 1.0, 0.1, 0.2}; /* a11 a12 a22 b1 b2 */

static int setup(void **state)
{
	return scratch_setup(state, "test_predictive", "plan.json");
}

/* every parameter free; the plan's sigma_obs */
static const char plan_all[] = "{" M1_PARAMETERS ",\n \"cov\": 0.005, \"sigma_obs\": 0.005,\n"
			       " \"tmcmc\": {\"samples\": 20, \"seed\": 1},\n"
			       " \"levels\": [{\"name\": \"M1\", \"model\": \"M1.json\", \"data\": \"M1.data.mpk\",\n"
			       "   \"free\": [\"b2\", \"a11\", \"a12\", \"a22\", \"b1\"]}]}\n";
/* a11 and b1 free, the rest at their truths; a cov of its own */
static const char plan_two[] = "{" M1_PARAMETERS ",\n \"cov\": 0.01, \"sigma_obs\": 0.004,\n"
			       " \"tmcmc\": {\"samples\": 20, \"seed\": 1},\n"
			       " \"levels\": [{\"name\": \"L\", \"model\": \"M1.json\", \"data\": \"M1.data.mpk\",\n"
			       "   \"free\": [\"b1\", \"a11\"]}]}\n";
/* no sigma_obs in the plan: the level's comes from its data, the
 * validation (no data) has none */
static const char plan_val[] = "{" M1_PARAMETERS ",\n \"cov\": 0.005,\n"
			       " \"tmcmc\": {\"samples\": 20, \"seed\": 1},\n"
			       " \"levels\": [{\"name\": \"M1\", \"model\": \"M1.json\", \"data\": \"M1.data.mpk\",\n"
			       "   \"free\": [\"a11\", \"a12\", \"a22\", \"b1\", \"b2\"]}],\n"
			       " \"validation\": {\"model\": \"M1.json\"}}\n";

/* n samples near the truths (relative spread rel), the level's free
 * parameters (plan order: a11 a12 a22 b1 b2) filled from them. */
static void fill_near_truth(struct population *p, int n, const struct plan_level *lv, double rel, uint64_t seed)
{
	struct err e = {0};
	struct rng r;

	assert_int_equal(population_init(p, n, lv->prior.n, &e), 0);
	rng_init(&r, seed);
	for (int i = 0; i < n; i++) {
		for (int f = 0; f < lv->prior.n; f++) {
			int g = lv->free[f]; /* index in the plan's parameters = in truth[] */
			p->theta[(size_t)i * (size_t)p->d + (size_t)f] = truth[g] * (1 + rel * rng_normal(&r));
		}
		p->loglik[i] = 0;
		p->logprior[i] = 0;
	}
}

/* The model theta of sample i, by hand: the free ones from the sample,
 * the others their truths (plan order is M1's theta order here). */
static void model_theta(const struct plan_level *lv, const struct population *p, int i, double *theta)
{
	memcpy(theta, truth, sizeof truth);
	for (int f = 0; f < lv->prior.n; f++)
		theta[lv->free[f]] = p->theta[(size_t)i * (size_t)p->d + (size_t)f];
}

/* ---- the expected predictive, sample by sample ---- */

struct expect {
	int rows, failed;
	long step[MAX_ROWS];
	double mean[MAX_ROWS][2], sd[MAX_ROWS][2], sdt[MAX_ROWS][2];
};

static void expected(const struct plan_level *lv, double cov, const struct population *p, long every,
		     struct expect *x)
{
	const struct model *m = &lv->model;
	struct tsm t;
	struct err e = {0};
	int save[MAX_ROWS], rows = (int)(m->steps / every) + 1, d = model_state_size(m), n = m->species;
	static double mu[MAX_SAMPLES][MAX_ROWS][2], var[MAX_SAMPLES][MAX_ROWS][2];
	int ok[MAX_SAMPLES];

	assert_true(rows <= MAX_ROWS && p->n <= MAX_SAMPLES && n == 2);
	memset(x, 0, sizeof *x);
	x->rows = rows;
	for (int r = 0; r < rows; r++)
		save[r] = (int)(r * every);
	assert_int_equal(tsm_init(&t, m, NULL, 0, &e), 0);
	double *states = malloc(sizeof(double) * (size_t)(rows * d));
	double *dstate = malloc(sizeof(double) * (size_t)(rows * d * t.P));
	double pm[MAX_ROWS * 2], pv[MAX_ROWS * 2];
	assert_non_null(states);
	assert_non_null(dstate);
	int good = 0;
	for (int i = 0; i < p->n; i++) {
		double theta[5], sd[5];
		struct solver_outcome o;
		model_theta(lv, p, i, theta);
		tsm_run(&t, theta, save, rows, states, dstate, &o);
		ok[i] = o.status == SOLVER_OK;
		if (!ok[i]) {
			x->failed++;
			continue;
		}
		good++;
		for (int c = 0; c < 5; c++)
			sd[c] = cov * theta[c];
		tsm_phibar_moments(&t, states, dstate, rows, sd, pm, pv);
		for (int r = 0; r < rows; r++)
			for (int k = 0; k < n; k++) {
				mu[i][r][k] = pm[r * n + k];
				var[i][r][k] = pv[r * n + k];
			}
	}
	for (int r = 0; r < rows && good > 0; r++) {
		x->step[r] = save[r];
		for (int k = 0; k < n; k++) {
			double s = 0, v = 0, spread = 0;
			for (int i = 0; i < p->n; i++)
				if (ok[i]) {
					s += mu[i][r][k];
					v += var[i][r][k];
				}
			double mean = s / good;
			for (int i = 0; i < p->n; i++)
				if (ok[i])
					spread += (mu[i][r][k] - mean) * (mu[i][r][k] - mean);
			x->mean[r][k] = mean;
			x->sd[r][k] = sqrt(v / good + spread / good);
			x->sdt[r][k] = sqrt(v / good);
		}
	}
	if (good == 0)
		x->rows = 0;
	free(states);
	free(dstate);
	tsm_free(&t);
}

/* ---- running and reading back ---- */

static int run(const struct plan *pl, const struct plan_level *lv, const struct population *p, int threads,
	       long every, const char *path, long *failed, struct err *e)
{
	struct stream_writer w;
	int rc;

	stream_writer_init(&w);
	if ((rc = stream_writer_open(&w, path, 0, e)))
		return rc;
	predictive_pack_header(stream_writer_packer(&w), pl);
	*failed = -1;
	if (!(rc = predictive_write(lv, pl->cov, p, threads, every, &w, failed, e)))
		rc = stream_writer_commit(&w, e);
	stream_writer_free(&w);
	return rc;
}

static void run_ok(const struct plan *pl, const struct plan_level *lv, const struct population *p, int threads,
		   long every, const char *path, long *failed)
{
	struct err e = {0};
	int rc = run(pl, lv, p, threads, every, path, failed, &e);
	if (rc)
		fail_msg("predictive_write: %d: %s", rc, e.msg);
}

static void assert_close(const char *what, int r, int k, double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want) + 1e-300))
		fail_msg("row %d species %d: %s = %.17g, want %.17g (relative %.3g)", r, k, what, got, want,
			 fabs(got - want) / fabs(want));
}

/* What every predictive record must satisfy, and the values. */
static void check_rows(const struct predictive_row *rows, int n, const struct expect *x, const char *level, double dt,
		       double sigma_obs)
{
	const char *keys = isnan(sigma_obs)
				   ? "level step t mean sd sd_tsm lower upper phi_mean phi_sd psi_mean psi_sd"
				   : "level step t mean sd sd_tsm lower upper sd_data phi_mean phi_sd psi_mean psi_sd";
	assert_int_equal(n, x->rows);
	for (int r = 0; r < n; r++) {
		const struct predictive_row *w = &rows[r];
		assert_string_equal(w->keys, keys);
		assert_string_equal(w->level, level);
		assert_int_equal(w->step, x->step[r]);
		assert_true(w->t == x->step[r] * dt);
		for (int k = 0; k < 2; k++) {
			assert_close("mean", r, k, w->mean[k], x->mean[r][k], 1e-9);
			assert_close("sd", r, k, w->sd[k], x->sd[r][k], 1e-9);
			assert_close("sd_tsm", r, k, w->sd_tsm[k], x->sdt[r][k], 1e-9);
			/* the band, to rounding */
			assert_close("lower", r, k, w->lower[k], w->mean[k] - 2 * w->sd[k], 1e-15);
			assert_close("upper", r, k, w->upper[k], w->mean[k] + 2 * w->sd[k], 1e-15);
			/* the posterior spread only adds */
			if (!(w->sd[k] >= w->sd_tsm[k]))
				fail_msg("row %d species %d: sd %.17g < sd_tsm %.17g", r, k, w->sd[k], w->sd_tsm[k]);
			if (!isnan(sigma_obs))
				assert_close("sd_data^2", r, k, w->sd_data[k] * w->sd_data[k],
					     w->sd[k] * w->sd[k] + sigma_obs * sigma_obs, 1e-14);
			assert_true(w->phi_sd[k] >= 0 && w->psi_sd[k] >= 0);
			assert_true(w->phi_mean[k] > 0 && w->psi_mean[k] > 0);
		}
	}
}

/* ---- tests ---- */

static void test_header(void **state)
{
	struct scratch *s = *state;
	struct plan pl;
	struct pack b;
	msgpack_unpacked u;

	load_m1_plan(s, &pl, plan_val);
	pack_init(&b);
	predictive_pack_header(pack_packer(&b), &pl);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, b.data, b.len, NULL), MSGPACK_UNPACK_SUCCESS);
	const msgpack_object *h = &u.data, *levels;
	assert_true(stream_object_is_str(stream_map_get(h, "kind"), "predictive"));
	assert_true(stream_object_is_str(stream_map_get(h, "plan"), s->path));
	levels = stream_map_get(h, "levels");
	assert_non_null(levels);
	assert_int_equal(levels->via.array.size, 2);
	char model[256], data[256];
	scratch_path(s, "M1.json", model, sizeof model);
	scratch_path(s, "M1.data.mpk", data, sizeof data);
	const msgpack_object *l0 = &levels->via.array.ptr[0], *l1 = &levels->via.array.ptr[1];
	assert_true(stream_object_is_str(stream_map_get(l0, "name"), "M1"));
	assert_true(stream_object_is_str(stream_map_get(l0, "model"), model));
	assert_true(stream_object_is_str(stream_map_get(l0, "data"), data));
	const msgpack_object *sp = stream_map_get(l0, "species");
	assert_int_equal(sp->via.array.size, 2);
	assert_int_equal(sp->via.array.ptr[0].via.u64, 1);
	assert_int_equal(sp->via.array.ptr[1].via.u64, 2);
	assert_true(stream_object_is_str(stream_map_get(l1, "name"), "validation"));
	assert_int_equal(stream_map_get(l1, "data")->type, MSGPACK_OBJECT_NIL);
	msgpack_unpacked_destroy(&u);
	pack_free(&b);
	plan_free(&pl);
}

/* Every parameter free, 12 samples 2% around the truth, every 500th
 * step: 6 records, each the law of total variance over the samples. */
static void test_records(void **state)
{
	struct scratch *s = *state;
	struct plan pl;
	struct population p;
	struct expect x;
	struct predictive_row rows[MAX_ROWS];
	char out[256], names[4][64];
	long failed;
	int n_names;

	load_m1_plan(s, &pl, plan_all);
	const struct plan_level *lv = &pl.levels[0];
	fill_near_truth(&p, 12, lv, 0.02, 1);
	scratch_path(s, "pred.mpk", out, sizeof out);
	run_ok(&pl, lv, &p, 1, 500, out, &failed);
	assert_int_equal(failed, 0);
	expected(lv, pl.cov, &p, 500, &x);
	assert_int_equal(x.rows, 6);
	int n = predictive_rows(out, rows, MAX_ROWS, names, 4, &n_names);
	assert_int_equal(n_names, 1);
	assert_string_equal(names[0], "M1");
	assert_int_equal(n, 6);
	assert_int_equal(rows[5].step, 2500);
	check_rows(rows, n, &x, "M1", 1e-5, 0.005);
	/* the spread of 2% in theta is visible: sd well above sd_tsm late on */
	assert_true(rows[5].sd[0] > 1.5 * rows[5].sd_tsm[0]);
	/* at step 0 every sample starts at phi0 psi0: no spread, no TSM variance */
	assert_true(rows[0].mean[0] == 0.2 * 0.999);
	assert_true(rows[0].sd[0] == 0 && rows[0].sd_tsm[0] == 0);
	assert_close("sd_data at step 0", 0, 0, rows[0].sd_data[0], 0.005, 1e-15);
	population_free(&p);
	plan_free(&pl);
}

/* Two free parameters (b1, a11 listed: plan order a11, b1), the rest at
 * their truths; every 700th step: steps 0, 700, 1400, 2100. */
static void test_partial_level(void **state)
{
	struct scratch *s = *state;
	struct plan pl;
	struct population p;
	struct expect x;
	struct predictive_row rows[MAX_ROWS];
	char out[256];
	long failed;

	load_m1_plan(s, &pl, plan_two);
	const struct plan_level *lv = &pl.levels[0];
	assert_int_equal(lv->prior.n, 2);
	assert_int_equal(lv->free[0], 0); /* a11 */
	assert_int_equal(lv->free[1], 3); /* b1 */
	fill_near_truth(&p, 10, lv, 0.03, 2);
	scratch_path(s, "pred.mpk", out, sizeof out);
	run_ok(&pl, lv, &p, 2, 700, out, &failed);
	assert_int_equal(failed, 0);
	expected(lv, pl.cov, &p, 700, &x);
	int n = predictive_rows(out, rows, MAX_ROWS, NULL, 0, NULL);
	assert_int_equal(n, 4);
	assert_int_equal(rows[3].step, 2100);
	assert_true(rows[3].t == 2100 * 1e-5);
	check_rows(rows, n, &x, "L", 1e-5, 0.004);
	population_free(&p);
	plan_free(&pl);
}

/* N copies of one sample: the spread term is 0, sd is sd_tsm exactly,
 * and that is the sample's own TSM sd; phibar = phi psi. */
static void test_identical_samples(void **state)
{
	struct scratch *s = *state;
	struct plan pl;
	struct population p, one;
	struct expect x;
	struct predictive_row rows[MAX_ROWS], rows1[MAX_ROWS];
	char out[256], out1[256];
	long failed;
	struct err e = {0};

	load_m1_plan(s, &pl, plan_all);
	const struct plan_level *lv = &pl.levels[0];
	const double sample[5] = {0.81, 1.98, 1.01, 0.102, 0.199};
	assert_int_equal(population_init(&p, 40, 5, &e), 0);
	assert_int_equal(population_init(&one, 1, 5, &e), 0);
	for (int i = 0; i < 40; i++) {
		memcpy(p.theta + 5 * i, sample, sizeof sample);
		p.loglik[i] = p.logprior[i] = 0;
	}
	memcpy(one.theta, sample, sizeof sample);
	one.loglik[0] = one.logprior[0] = 0;
	scratch_path(s, "pred.mpk", out, sizeof out);
	scratch_path(s, "one.mpk", out1, sizeof out1);
	run_ok(&pl, lv, &p, 2, 250, out, &failed);
	assert_int_equal(failed, 0);
	run_ok(&pl, lv, &one, 1, 250, out1, &failed);
	expected(lv, pl.cov, &one, 250, &x);
	int n = predictive_rows(out, rows, MAX_ROWS, NULL, 0, NULL);
	assert_int_equal(predictive_rows(out1, rows1, MAX_ROWS, NULL, 0, NULL), n);
	assert_int_equal(n, 11);
	check_rows(rows, n, &x, "M1", 1e-5, 0.005);
	for (int r = 0; r < n; r++)
		for (int k = 0; k < 2; k++) {
			if (rows[r].sd[k] != rows[r].sd_tsm[k])
				fail_msg("row %d species %d: sd %.17g, sd_tsm %.17g: identical samples have no "
					 "spread", r, k, rows[r].sd[k], rows[r].sd_tsm[k]);
			assert_true(rows[r].mean[k] == rows1[r].mean[k]);
			assert_close("sd of 40 copies", r, k, rows[r].sd[k], rows1[r].sd[k], 1e-14);
			assert_close("phi_mean psi_mean", r, k, rows[r].phi_mean[k] * rows[r].psi_mean[k],
				     rows[r].mean[k], 1e-15);
			assert_true(rows[r].phi_mean[k] == rows1[r].phi_mean[k]);
			assert_true(rows[r].psi_mean[k] == rows1[r].psi_mean[k]);
		}
	assert_true(rows[n - 1].sd[0] > 0);
	population_free(&one);
	population_free(&p);
	plan_free(&pl);
}

/* The same bytes for 1, 2 and 3 threads over 70 samples (3 chunks). */
static void test_threads_same_bytes(void **state)
{
	struct scratch *s = *state;
	struct plan pl;
	struct population p;
	char o1[256], o2[256], o3[256], o9[256];
	long f1, f2, f3, f9;

	load_m1_plan(s, &pl, plan_all);
	const struct plan_level *lv = &pl.levels[0];
	fill_near_truth(&p, 70, lv, 0.02, 3);
	scratch_path(s, "t1.mpk", o1, sizeof o1);
	scratch_path(s, "t2.mpk", o2, sizeof o2);
	scratch_path(s, "t3.mpk", o3, sizeof o3);
	scratch_path(s, "t9.mpk", o9, sizeof o9);
	run_ok(&pl, lv, &p, 1, 500, o1, &f1);
	run_ok(&pl, lv, &p, 2, 500, o2, &f2);
	run_ok(&pl, lv, &p, 3, 500, o3, &f3);
	run_ok(&pl, lv, &p, 9, 500, o9, &f9); /* more threads than chunks */
	assert_int_equal(f1, 0);
	assert_int_equal(f2, 0);
	assert_int_equal(f3, 0);
	assert_int_equal(f9, 0);
	assert_same_file(o1, o2);
	assert_same_file(o1, o3);
	assert_same_file(o1, o9);
	population_free(&p);
	plan_free(&pl);
}

/* A sample whose solver fails is left out and counted: the records are
 * those of the population without it, wherever it stands; with every
 * sample failing there are no records. */
static void test_failed_samples(void **state)
{
	struct scratch *s = *state;
	struct plan pl;
	struct population good, mid, first, all_bad;
	struct expect x;
	struct err e = {0};
	char og[256], om[256], of[256], ob[256];
	long failed;
	const double bad[5] = {1e6, 2.0, 1.0, 0.1, 0.2};

	load_m1_plan(s, &pl, plan_all);
	const struct plan_level *lv = &pl.levels[0];
	/* the failing sample, checked here with the solver itself */
	fill_near_truth(&all_bad, 3, lv, 0, 0);
	for (int i = 0; i < 3; i++)
		memcpy(all_bad.theta + 5 * i, bad, sizeof bad);
	expected(lv, pl.cov, &all_bad, 500, &x);
	assert_int_equal(x.failed, 3);
	assert_int_equal(x.rows, 0);

	fill_near_truth(&good, 4, lv, 0.02, 4);
	assert_int_equal(population_init(&mid, 5, 5, &e), 0);
	assert_int_equal(population_init(&first, 5, 5, &e), 0);
	for (int i = 0, j = 0; i < 5; i++) {
		mid.loglik[i] = first.loglik[i] = mid.logprior[i] = first.logprior[i] = 0;
		if (i == 2) {
			memcpy(mid.theta + 5 * i, bad, sizeof bad);
		} else {
			memcpy(mid.theta + 5 * i, good.theta + 5 * j, sizeof bad);
			j++;
		}
		if (i == 0)
			memcpy(first.theta, bad, sizeof bad);
		else
			memcpy(first.theta + 5 * i, good.theta + 5 * (i - 1), sizeof bad);
	}
	scratch_path(s, "good.mpk", og, sizeof og);
	scratch_path(s, "mid.mpk", om, sizeof om);
	scratch_path(s, "first.mpk", of, sizeof of);
	scratch_path(s, "bad.mpk", ob, sizeof ob);
	run_ok(&pl, lv, &good, 1, 500, og, &failed);
	assert_int_equal(failed, 0);
	run_ok(&pl, lv, &mid, 2, 500, om, &failed);
	assert_int_equal(failed, 1);
	run_ok(&pl, lv, &first, 1, 500, of, &failed);
	assert_int_equal(failed, 1);
	assert_same_file(og, om);
	assert_same_file(og, of);
	/* and the values are those of the four good ones */
	struct predictive_row rows[MAX_ROWS];
	expected(lv, pl.cov, &mid, 500, &x);
	assert_int_equal(x.failed, 1);
	int n = predictive_rows(om, rows, MAX_ROWS, NULL, 0, NULL);
	check_rows(rows, n, &x, "M1", 1e-5, 0.005);
	/* all fail: no records, all counted */
	run_ok(&pl, lv, &all_bad, 2, 500, ob, &failed);
	assert_int_equal(failed, 3);
	assert_int_equal(predictive_rows(ob, rows, MAX_ROWS, NULL, 0, NULL), 0);
	population_free(&all_bad);
	population_free(&good);
	population_free(&mid);
	population_free(&first);
	plan_free(&pl);
}

/* sd_data only where sigma_obs is known: the level's comes from its data
 * (0.005), the validation without data has none. */
static void test_sd_data_only_with_sigma(void **state)
{
	struct scratch *s = *state;
	struct plan pl;
	struct population p;
	struct expect x;
	struct predictive_row rows[MAX_ROWS];
	char out[256], outv[256];
	long failed;

	load_m1_plan(s, &pl, plan_val);
	assert_true(isnan(pl.sigma_obs));
	assert_true(pl.levels[0].sigma_obs == 0.005);
	assert_true(pl.has_validation);
	assert_true(isnan(pl.validation.sigma_obs));
	fill_near_truth(&p, 6, &pl.levels[0], 0.02, 5);
	scratch_path(s, "level.mpk", out, sizeof out);
	scratch_path(s, "val.mpk", outv, sizeof outv);
	run_ok(&pl, &pl.levels[0], &p, 1, 1250, out, &failed);
	run_ok(&pl, &pl.validation, &p, 1, 1250, outv, &failed);
	expected(&pl.levels[0], pl.cov, &p, 1250, &x);
	int n = predictive_rows(out, rows, MAX_ROWS, NULL, 0, NULL);
	assert_int_equal(n, 3);
	check_rows(rows, n, &x, "M1", 1e-5, 0.005);
	assert_true(rows[0].has_sd_data);
	n = predictive_rows(outv, rows, MAX_ROWS, NULL, 0, NULL);
	assert_int_equal(n, 3);
	check_rows(rows, n, &x, "validation", 1e-5, NAN);
	for (int r = 0; r < n; r++)
		assert_false(rows[r].has_sd_data);
	population_free(&p);
	plan_free(&pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_partial_level, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_identical_samples, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_threads_same_bytes, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_failed_samples, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_sd_data_only_with_sigma, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
