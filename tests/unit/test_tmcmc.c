/*
 * Unit tests for tmcmc: the tempering step, the evidence increment,
 * resampling, and what a stage promises its evaluator and its output.
 *
 * dbeta: the bisection keeps ESS(dbeta) >= target and stops when the
 * interval no longer halves, so ESS at the chosen dbeta is the target to
 * within what one ulp of dbeta moves it; allowed 1e-9 relative. The other
 * properties are exact: dbeta = 1 - beta when that already meets the
 * target, the floor --min-dbeta, and --logl-scale s choosing dbeta / s
 * (ESS of s l at x is ESS of l at s x) up to the same bisection precision.
 *
 * Systematic resampling gives every sample floor(N w) or ceil(N w) copies
 * (a property of the method, exact); multinomial counts are checked
 * against their binomial spread (5 sd) on 20000 draws.
 *
 * A stage with a toy Gaussian evaluator: ids strictly increasing, never a
 * theta outside the prior's support, evaluations counted, the weighted
 * covariance recomputed here, and the same bytes of output whether the
 * evaluator is called as given or answers in any internal order.
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

#include "rng.h"
#include "scratch.h"
#include "tmcmc.h"

static double ess_at(const double *l, int n, double x)
{
	double m = -INFINITY, s = 0, s2 = 0;
	for (int i = 0; i < n; i++)
		if (l[i] > m)
			m = l[i];
	for (int i = 0; i < n; i++) {
		double w = exp(x * (l[i] - m));
		s += w;
		s2 += w * w;
	}
	return s * s / s2;
}

static void fill_logliks(double *l, int n, uint64_t seed, double spread)
{
	struct rng r;
	rng_init(&r, seed);
	for (int i = 0; i < n; i++)
		l[i] = -spread * fabs(rng_normal(&r)) - 1000; /* far from 0: the shift matters */
}

static void test_dbeta_hits_target(void **state)
{
	(void)state;
	struct tmcmc_settings s;
	struct err e;
	double l[500], db, ess;
	tmcmc_settings_default(&s);
	fill_logliks(l, 500, 1, 300);
	assert_int_equal(tmcmc_choose_dbeta(l, 500, 0.2, &s, &db, &ess, &e), 0);
	assert_true(db > 0 && db < 0.8);
	assert_true(fabs(ess / 250 - 1) < 1e-9);
	assert_true(fabs(ess_at(l, 500, db) / ess - 1) < 1e-12);
	/* another target */
	s.target_ess = 0.9;
	double db2;
	assert_int_equal(tmcmc_choose_dbeta(l, 500, 0.2, &s, &db2, &ess, &e), 0);
	assert_true(db2 < db);
	assert_true(fabs(ess / 450 - 1) < 1e-9);
}

static void test_dbeta_whole_step_floor_and_scale(void **state)
{
	(void)state;
	struct tmcmc_settings s;
	struct err e;
	double l[400], db, db_scaled, ess;
	tmcmc_settings_default(&s);
	/* flat logliks: the whole remaining step keeps ESS = N */
	for (int i = 0; i < 400; i++)
		l[i] = -3.0 - 1e-3 * (i % 7);
	assert_int_equal(tmcmc_choose_dbeta(l, 400, 0.75, &s, &db, &ess, &e), 0);
	assert_true(db == 0.25);
	/* the floor */
	fill_logliks(l, 400, 2, 1e4);
	assert_int_equal(tmcmc_choose_dbeta(l, 400, 0, &s, &db, &ess, &e), 0);
	assert_true(db < 1e-3);
	s.min_dbeta = 0.01;
	assert_int_equal(tmcmc_choose_dbeta(l, 400, 0, &s, &db, &ess, &e), 0);
	assert_true(db == 0.01);
	assert_true(ess < 200); /* the real weights, below the target */
	/* ... but never past beta = 1 */
	assert_int_equal(tmcmc_choose_dbeta(l, 400, 0.995, &s, &db, &ess, &e), 0);
	assert_true(db == 1 - 0.995);
	/* --logl-scale s: dbeta / s */
	s.min_dbeta = 0;
	assert_int_equal(tmcmc_choose_dbeta(l, 400, 0, &s, &db, &ess, &e), 0);
	s.logl_scale = 0.2;
	assert_int_equal(tmcmc_choose_dbeta(l, 400, 0, &s, &db_scaled, &ess, &e), 0);
	assert_true(fabs(db_scaled * 0.2 / db - 1) < 1e-9);
	assert_true(ess < 200); /* chosen on flatter weights: the real ESS is lower */
}

static void test_dbeta_infinite_logliks(void **state)
{
	(void)state;
	struct tmcmc_settings s;
	struct err e;
	double l[300], db, ess;
	tmcmc_settings_default(&s);
	fill_logliks(l, 300, 3, 50);
	for (int i = 0; i < 300; i += 3)
		l[i] = -INFINITY;
	/* the target is half of the 200 finite ones */
	assert_int_equal(tmcmc_choose_dbeta(l, 300, 0, &s, &db, &ess, &e), 0);
	assert_true(fabs(ess / 100 - 1) < 1e-9);
	for (int i = 0; i < 300; i++)
		l[i] = -INFINITY;
	assert_int_equal(tmcmc_choose_dbeta(l, 300, 0, &s, &db, &ess, &e), ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "no sample has a finite loglik"));
}

static void test_log_mean_weight(void **state)
{
	(void)state;
	double l[4] = {-1e5, -1e5 + 1, -1e5 + 2, -INFINITY};
	/* log((e^0 + e^1 + e^2 + 0) / 4) + dbeta * (-1e5), dbeta 1: no underflow */
	double want = -1e5 + log((1 + exp(1) + exp(2)) / 4);
	assert_true(fabs(tmcmc_log_mean_weight(l, 4, 1) - want) < 1e-9 * fabs(want));
	double want_half = 0.5 * -1e5 + log((1 + exp(0.5) + exp(1)) / 4);
	assert_true(fabs(tmcmc_log_mean_weight(l, 4, 0.5) - want_half) < 1e-9 * fabs(want_half));
}

static void test_resample_systematic(void **state)
{
	(void)state;
	enum { N = 1000 };
	double w[N];
	int idx[N], count[N] = {0};
	struct rng r;
	rng_init(&r, 42);
	double total = 0;
	for (int i = 0; i < N; i++)
		total += w[i] = i % 10 == 0 ? 0 : exp(rng_normal(&r));
	rng_init(&r, 7);
	tmcmc_resample(w, N, TMCMC_SYSTEMATIC, &r, idx);
	for (int j = 0; j < N; j++) {
		assert_true(idx[j] >= 0 && idx[j] < N);
		if (j)
			assert_true(idx[j] >= idx[j - 1]);
		count[idx[j]]++;
	}
	for (int i = 0; i < N; i++) {
		double nw = N * w[i] / total;
		assert_true(count[i] >= floor(nw) - 1e-9 * N && count[i] <= ceil(nw) + 1e-9 * N);
	}
}

static void test_resample_multinomial(void **state)
{
	(void)state;
	enum { N = 20000, K = 5 };
	static double w[N];
	static int idx[N];
	int count[K] = {0};
	double pk[K] = {0.1, 0.2, 0.3, 0.15, 0.25};
	/* N samples in K groups: group k holds N/K samples sharing weight pk */
	for (int i = 0; i < N; i++)
		w[i] = pk[i % K] / (N / K);
	struct rng r;
	rng_init(&r, 11);
	tmcmc_resample(w, N, TMCMC_MULTINOMIAL, &r, idx);
	for (int j = 0; j < N; j++) {
		if (j)
			assert_true(idx[j] >= idx[j - 1]);
		count[idx[j] % K]++;
	}
	for (int k = 0; k < K; k++) {
		double mean = N * pk[k], sd = sqrt(N * pk[k] * (1 - pk[k]));
		assert_true(fabs(count[k] - mean) < 5 * sd);
	}
}

/* A toy evaluator: standard Gaussian at c, checking what it is given. */
struct toy {
	const struct prior *pr;
	double c;
	long thetas, calls;
	int reverse; /* compute in reverse order: must not matter */
	int use_floor; /* answer -inf under the floor (early rejection): must not matter */
	long below;    /* answers so replaced */
};

static int toy_eval(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d,
		    double *loglik, struct err *e)
{
	struct toy *t = ctx;
	(void)e;
	t->calls++;
	t->thetas += n;
	for (int i = 1; i < n; i++)
		assert_true(ids[i] > ids[i - 1]);
	for (int k = 0; k < n; k++) {
		int i = t->reverse ? n - 1 - k : k;
		assert_true(prior_logpdf(t->pr, theta + (size_t)i * (size_t)d) > -INFINITY);
		double s = 0;
		for (int a = 0; a < d; a++) {
			double z = (theta[(size_t)i * (size_t)d + (size_t)a] - t->c) / 0.1;
			s -= 0.5 * z * z;
		}
		loglik[i] = s;
		if (t->use_floor && floor && s < floor[i]) {
			loglik[i] = -INFINITY;
			t->below++;
		}
	}
	return 0;
}

static void load_prior(struct prior *pr, const char *path)
{
	scratch_write(path, "[{\"name\": \"a\", \"uniform\": [0, 1]}, {\"name\": \"b\", \"uniform\": [0, 1]}]");
	struct err e;
	assert_int_equal(prior_load(pr, path, &e), 0);
}

static void run_stages(struct prior *pr, struct toy *t, struct population *out)
{
	struct tmcmc_settings s;
	struct tmcmc_evaluator ev = {toy_eval, t, NULL};
	struct population a, b;
	struct err e;
	long missing = 0;
	tmcmc_settings_default(&s);
	assert_int_equal(tmcmc_init(&a, pr, 300, 5, 0, &s, &e), 0);
	assert_int_equal(tmcmc_evaluate_missing(&a, &ev, &missing, &e), 0);
	assert_int_equal(missing, 300);
	long evaluations = missing;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(tmcmc_stage(&a, pr, &s, &ev, &b, &e), 0);
		evaluations += b.evaluations;
		/* the proposal covariance is the weighted covariance of a */
		double lmax = -INFINITY, tot = 0, m[2] = {0, 0}, c[4] = {0, 0, 0, 0};
		for (int i = 0; i < a.n; i++)
			lmax = fmax(lmax, a.loglik[i]);
		for (int i = 0; i < a.n; i++)
			tot += exp(b.dbeta * (a.loglik[i] - lmax));
		for (int i = 0; i < a.n; i++)
			for (int p = 0; p < 2; p++)
				m[p] += exp(b.dbeta * (a.loglik[i] - lmax)) / tot * a.theta[2 * i + p];
		for (int i = 0; i < a.n; i++)
			for (int p = 0; p < 2; p++)
				for (int q = 0; q < 2; q++)
					c[2 * p + q] += exp(b.dbeta * (a.loglik[i] - lmax)) / tot * (a.theta[2 * i + p] - m[p]) *
							(a.theta[2 * i + q] - m[q]);
		for (int p = 0; p < 4; p++)
			assert_true(fabs(b.covariance[p] - c[p]) <= 1e-12 * fabs(c[0] + c[3]));
		assert_true(b.stage == a.stage + 1 && b.beta > a.beta);
		population_free(&a);
		a = b;
	}
	assert_int_equal(evaluations, t->thetas);
	*out = a;
}

static void test_stage_contract(void **state)
{
	struct scratch *sc = *state;
	struct prior pr;
	struct population p1, p2;
	load_prior(&pr, sc->path);
	/* the peak near the edge: many proposals fall outside [0, 1]^2 */
	struct toy t1 = {&pr, 0.02, 0, 0, 0, 0, 0}, t2 = {&pr, 0.02, 0, 0, 1, 0, 0}, t3 = {&pr, 0.02, 0, 0, 0, 1, 0};
	struct population p3;
	run_stages(&pr, &t1, &p1);
	run_stages(&pr, &t2, &p2);
	run_stages(&pr, &t3, &p3);
	assert_true(t1.thetas < t1.calls * 300); /* some proposals were never evaluated */
	assert_int_equal(t1.thetas, t2.thetas);
	assert_memory_equal(p1.theta, p2.theta, sizeof(double) * 600);
	assert_memory_equal(p1.loglik, p2.loglik, sizeof(double) * 300);
	/* -inf for every answer under its floor: the same stages, to the bit
	 * (the floor is exactly where acceptance turns, so this is the most
	 * an early-rejecting evaluator can do) */
	assert_true(t3.below > 0);
	assert_int_equal(t1.thetas, t3.thetas);
	assert_memory_equal(p1.theta, p3.theta, sizeof(double) * 600);
	assert_memory_equal(p1.loglik, p3.loglik, sizeof(double) * 300);
	population_free(&p1);
	population_free(&p2);
	population_free(&p3);
	prior_free(&pr);
}

static void test_keys_differ(void **state)
{
	(void)state;
	uint64_t k = tmcmc_key(1, 0, 1, 0, 1, TMCMC_PROPOSE);
	assert_true(k != tmcmc_key(2, 0, 1, 0, 1, TMCMC_PROPOSE));
	assert_true(k != tmcmc_key(1, 1, 1, 0, 1, TMCMC_PROPOSE));
	assert_true(k != tmcmc_key(1, 0, 2, 0, 1, TMCMC_PROPOSE));
	assert_true(k != tmcmc_key(1, 0, 1, 1, 1, TMCMC_PROPOSE));
	assert_true(k != tmcmc_key(1, 0, 1, 0, 2, TMCMC_PROPOSE));
	assert_true(k != tmcmc_key(1, 0, 1, 0, 1, TMCMC_ACCEPT));
	/* no accidental symmetry between the words */
	assert_true(tmcmc_key(1, 0, 2, 3, 1, TMCMC_PROPOSE) != tmcmc_key(1, 0, 3, 2, 1, TMCMC_PROPOSE));
}

static int setup(void **state)
{
	return scratch_setup(state, "test_tmcmc", "prior.json");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dbeta_hits_target),
		cmocka_unit_test(test_dbeta_whole_step_floor_and_scale),
		cmocka_unit_test(test_dbeta_infinite_logliks),
		cmocka_unit_test(test_log_mean_weight),
		cmocka_unit_test(test_resample_systematic),
		cmocka_unit_test(test_resample_multinomial),
		cmocka_unit_test_setup_teardown(test_stage_contract, setup, teardown),
		cmocka_unit_test(test_keys_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
