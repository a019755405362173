/*
 * Unit tests for posterior: the type-7 quantile and the summary of a
 * level's final population.
 *
 * Quantiles are compared with values computed by hand from the definition
 * (R's type 7: h = (n - 1) p, x[floor h] + (h - floor h) (x[floor h + 1] -
 * x[floor h]) over the sorted sample), to 4 eps relative: h itself is
 * (n - 1) p rounded, which moves the result by about an ulp.
 *
 * The summary is checked on populations whose columns are chosen so that
 * the arithmetic is exact (small integers and halves): the means, the sd
 * with n - 1, and correlations of exactly -1, +1 and 0 for columns that are
 * linear images of one another or orthogonal to them, the diagonal exactly
 * 1, a constant column correlated 0 with everything. Independent draws
 * (2000 of them, fixed seed) must have |r| < 4 / sqrt(n), where a correct
 * estimator fails with probability 6e-5 at each entry (the seed is fixed,
 * so the outcome is too). The MAP is the sample of highest loglik +
 * logprior, the lowest id among equals.
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

#include "population.h"
#include "posterior.h"
#include "rng.h"

#define EPS 2.220446049250313e-16

static void assert_close(const char *what, double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: got %.17g, want %.17g (difference %.3g, tolerance %.3g)", what, got, want,
			 fabs(got - want), tol);
}

/* ---- quantiles ---- */

static double quantile_of(const double *x, int n, double p)
{
	double buf[64];
	assert_true(n <= 64);
	memcpy(buf, x, (size_t)n * sizeof *x);
	return posterior_quantile(buf, n, p);
}

static void test_quantile_five(void **state)
{
	(void)state;
	const double x[] = {4, 1, 5, 3, 2};
	static const struct {
		double p, want;
	} cases[] = {
		/* h = 4p */
		{0, 1},      {1, 5},       {0.5, 3},      {0.25, 2},     {0.75, 4},   {0.1, 1.4},
		{0.025, 1.1}, {0.975, 4.9}, {0.3, 2.2},   {0.9, 4.6},    {0.99, 4.96},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		char what[64];
		snprintf(what, sizeof what, "quantile %g of 1..5", cases[c].p);
		assert_close(what, quantile_of(x, 5, cases[c].p), cases[c].want, 4 * EPS * cases[c].want);
	}
	/* sorted in place */
	double y[] = {4, 1, 5, 3, 2};
	(void)posterior_quantile(y, 5, 0.5);
	for (int i = 0; i < 5; i++)
		assert_true(y[i] == i + 1);
}

static void test_quantile_ten(void **state)
{
	(void)state;
	/* 1, 2, 4, .., 512 shuffled, and a repeated value among others */
	const double x[] = {64, 2, 512, 1, 32, 256, 8, 128, 4, 16};
	static const struct {
		double p, want;
	} cases[] = {
		/* h = 9p */
		{0.025, 1.225},        /* h 0.225: 1 + 0.225 * 1 */
		{0.975, 454.4},        /* h 8.775: 256 + 0.775 * 256 */
		{0.5, 24},             /* h 4.5: 16 + 0.5 * 16 */
		{0.3, 6.8},            /* h 2.7: 4 + 0.7 * 4 */
		{1.0 / 3, 8},          /* h 3 */
		{0, 1},
		{1, 512},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		char what[64];
		snprintf(what, sizeof what, "quantile %g of 1, 2, .., 512", cases[c].p);
		assert_close(what, quantile_of(x, 10, cases[c].p), cases[c].want, 4 * EPS * cases[c].want);
	}
	const double t[] = {3, -1, 3, 7, 3, 0, 10, 3, -2, 5};
	/* sorted: -2 -1 0 3 3 3 3 5 7 10 */
	assert_close("0.025 with negatives", quantile_of(t, 10, 0.025), -2 + 0.225, 4 * EPS);
	assert_close("0.975 with negatives", quantile_of(t, 10, 0.975), 7 + 0.775 * 3, 4 * EPS * 10);
	assert_close("median among ties", quantile_of(t, 10, 0.5), 3, 0);
	assert_close("0.2", quantile_of(t, 10, 0.2), -1 + 0.8 * 1, 4 * EPS);
	/* one value: every quantile is it */
	const double one[] = {2.5};
	assert_true(quantile_of(one, 1, 0) == 2.5);
	assert_true(quantile_of(one, 1, 0.025) == 2.5);
	assert_true(quantile_of(one, 1, 1) == 2.5);
	/* two */
	const double two[] = {3, 1};
	assert_close("0.25 of two", quantile_of(two, 2, 0.25), 1.5, 4 * EPS);
}

/* ---- summary ---- */

static void fill(struct population *p, const double *theta, const double *loglik, const double *logprior)
{
	memcpy(p->theta, theta, (size_t)p->n * (size_t)p->d * sizeof *theta);
	memcpy(p->loglik, loglik, (size_t)p->n * sizeof *loglik);
	memcpy(p->logprior, logprior, (size_t)p->n * sizeof *logprior);
}

static void test_summary_exact(void **state)
{
	(void)state;
	enum { N = 6, D = 5 };
	/* c0 = 1..6; c1 = 3 - 2 c0; c2 = c0 / 2 + 7; c3 orthogonal to c0;
	 * c4 constant */
	const double theta[N * D] = {
		1, 1,  7.5, 1,  4,
		2, -1, 8,   -1, 4,
		3, -3, 8.5, 0,  4,
		4, -5, 9,   0,  4,
		5, -7, 9.5, -1, 4,
		6, -9, 10,  1,  4,
	};
	/* ids 2 and 4 tie for the highest loglik + logprior (-3); 5 has the
	 * highest loglik alone, 0 the highest logprior alone */
	const double loglik[N] = {-10, -4, -1, -INFINITY, -2.5, -0.5};
	const double logprior[N] = {0, -1, -2, 0, -0.5, -5};
	struct population p;
	struct posterior_summary s;
	struct err e = {0};

	assert_int_equal(population_init(&p, N, D, &e), 0);
	fill(&p, theta, loglik, logprior);
	if (posterior_summary_init(&s, &p, &e))
		fail_msg("posterior_summary_init: %s", e.msg);
	assert_int_equal(s.d, D);

	static const double mean[D] = {3.5, -4, 8.75, 0, 4};
	/* sums of squared deviations: 17.5, 70, 4.375, 4, 0 */
	const double sd[D] = {sqrt(17.5 / 5), sqrt(70.0 / 5), sqrt(4.375 / 5), sqrt(4.0 / 5), 0};
	for (int a = 0; a < D; a++) {
		char what[32];
		snprintf(what, sizeof what, "mean %d", a);
		assert_close(what, s.mean[a], mean[a], 0);
		snprintf(what, sizeof what, "sd %d", a);
		assert_close(what, s.sd[a], sd[a], 2 * EPS * sd[a]);
	}

	/* MAP: id 2, not 4 */
	assert_int_equal(s.map_id, 2);
	assert_true(s.map_logpost == -3);
	for (int a = 0; a < D; a++)
		assert_true(s.map[a] == theta[2 * D + a]);

	/* correlations */
	static const double corr[D][D] = {
		{1, -1, 1, 0, 0},
		{-1, 1, -1, 0, 0},
		{1, -1, 1, 0, 0},
		{0, 0, 0, 1, 0},
		{0, 0, 0, 0, 1},
	};
	for (int a = 0; a < D; a++)
		for (int b = 0; b < D; b++)
			if (s.corr[a * D + b] != corr[a][b])
				fail_msg("corr[%d][%d] = %.17g, want %g", a, b, s.corr[a * D + b], corr[a][b]);

	/* quantiles: those of each column */
	for (int a = 0; a < D; a++) {
		double col[N];
		for (int i = 0; i < N; i++)
			col[i] = theta[i * D + a];
		assert_true(s.q025[a] == posterior_quantile(col, N, 0.025));
		assert_true(s.q975[a] == posterior_quantile(col, N, 0.975));
	}
	/* by hand for c0 (h = 0.125 and 4.875) and c1 (sorted -9 .. 1, step 2) */
	assert_close("q025 of c0", s.q025[0], 1.125, 4 * EPS);
	assert_close("q975 of c0", s.q975[0], 5.875, 4 * EPS * 6);
	assert_close("q025 of c1", s.q025[1], -8.75, 4 * EPS * 9);
	assert_close("q975 of c1", s.q975[1], 0.75, 4 * EPS * 9);
	assert_true(s.q025[4] == 4 && s.q975[4] == 4);

	/* the population is left as it was */
	for (int i = 0; i < N * D; i++)
		assert_true(p.theta[i] == theta[i]);
	for (int i = 0; i < N; i++)
		assert_true(p.loglik[i] == loglik[i] || (isinf(p.loglik[i]) && isinf(loglik[i])));

	posterior_summary_free(&s);
	assert_null(s.mean);
	assert_null(s.corr);

	/* the MAP when the highest comes last, and when nothing is finite
	 * (id 0: the lowest among equals) */
	const double ll2[N] = {-3, -3, -3, -3, -3, -2.5};
	const double lp0[N] = {0};
	fill(&p, theta, ll2, lp0);
	assert_int_equal(posterior_summary_init(&s, &p, &e), 0);
	assert_int_equal(s.map_id, 5);
	assert_true(s.map_logpost == -2.5);
	assert_true(s.map[0] == 6 && s.map[1] == -9);
	posterior_summary_free(&s);
	const double ll_inf[N] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
	fill(&p, theta, ll_inf, lp0);
	assert_int_equal(posterior_summary_init(&s, &p, &e), 0);
	assert_int_equal(s.map_id, 0);
	assert_true(s.map_logpost == -INFINITY);
	assert_true(s.map[0] == 1);
	posterior_summary_free(&s);
	/* all equal: id 0 */
	const double ll_eq[N] = {-1, -1, -1, -1, -1, -1};
	fill(&p, theta, ll_eq, lp0);
	assert_int_equal(posterior_summary_init(&s, &p, &e), 0);
	assert_int_equal(s.map_id, 0);
	posterior_summary_free(&s);
	population_free(&p);
}

/* Independent columns: |r| small; a column and a negative multiple of it
 * (plus a constant): r = -1 to rounding; means and sds against a two-pass computation here. */
static void test_summary_random(void **state)
{
	(void)state;
	enum { N = 2000, D = 4 };
	struct population p;
	struct posterior_summary s;
	struct err e = {0};
	struct rng r;

	assert_int_equal(population_init(&p, N, D, &e), 0);
	rng_init(&r, 7);
	for (int i = 0; i < N; i++) {
		double *t = p.theta + (size_t)i * D;
		t[0] = rng_normal(&r);
		t[1] = 5 + 0.1 * rng_normal(&r);
		t[2] = rng_uniform(&r);
		t[3] = -0.3 * t[0] + 1e-3; /* dependent on column 0 */
		p.loglik[i] = -0.5 * t[0] * t[0];
		p.logprior[i] = 0;
	}
	assert_int_equal(posterior_summary_init(&s, &p, &e), 0);
	for (int a = 0; a < D; a++) {
		double m = 0, ss = 0;
		for (int i = 0; i < N; i++)
			m += p.theta[(size_t)i * D + a];
		m /= N;
		for (int i = 0; i < N; i++) {
			double dv = p.theta[(size_t)i * D + a] - m;
			ss += dv * dv;
		}
		assert_close("mean", s.mean[a], m, 1e-13 * (fabs(m) + 1));
		assert_close("sd", s.sd[a], sqrt(ss / (N - 1)), 1e-13 * sqrt(ss / (N - 1)));
		assert_true(s.corr[a * D + a] == 1);
		for (int b = 0; b < D; b++)
			assert_true(s.corr[a * D + b] == s.corr[b * D + a]);
	}
	const double bound = 4 / sqrt((double)N);
	int indep[][2] = {{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 3}};
	for (size_t k = 0; k < sizeof indep / sizeof *indep; k++) {
		double rr = s.corr[indep[k][0] * D + indep[k][1]];
		if (!(fabs(rr) < bound))
			fail_msg("corr[%d][%d] = %g, want |r| < %g", indep[k][0], indep[k][1], rr, bound);
	}
	assert_close("corr of a column and its negative multiple", s.corr[0 * D + 3], -1, 8 * EPS);
	/* the MAP: the draw nearest 0 in column 0, the lowest id if tied */
	int best = 0;
	for (int i = 1; i < N; i++)
		if (p.loglik[i] > p.loglik[best])
			best = i;
	assert_int_equal(s.map_id, best);
	assert_true(s.map[0] == p.theta[(size_t)best * D]);
	posterior_summary_free(&s);
	population_free(&p);
}

/* One sample: sd 0, off-diagonal 0, quantiles the sample. */
static void test_summary_one(void **state)
{
	(void)state;
	struct population p;
	struct posterior_summary s;
	struct err e = {0};

	assert_int_equal(population_init(&p, 1, 2, &e), 0);
	p.theta[0] = 0.25;
	p.theta[1] = -3;
	p.loglik[0] = -1;
	p.logprior[0] = -2;
	assert_int_equal(posterior_summary_init(&s, &p, &e), 0);
	assert_true(s.mean[0] == 0.25 && s.mean[1] == -3);
	assert_true(s.sd[0] == 0 && s.sd[1] == 0);
	assert_true(s.corr[0] == 1 && s.corr[3] == 1 && s.corr[1] == 0 && s.corr[2] == 0);
	assert_true(s.q025[0] == 0.25 && s.q975[1] == -3);
	assert_int_equal(s.map_id, 0);
	assert_true(s.map_logpost == -3);
	posterior_summary_free(&s);
	population_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_five),
		cmocka_unit_test(test_quantile_ten),
		cmocka_unit_test(test_summary_exact),
		cmocka_unit_test(test_summary_random),
		cmocka_unit_test(test_summary_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
