/*
 * Unit tests for analytic: the Gaussian-mixture test likelihood, its
 * exact evidence and posterior moments, and its spec file.
 *
 * mixture_loglik is checked against a direct computation in long double
 * (whose range holds exp(-1250), so the reference needs no log-sum-exp
 * even 50 sds from every mean); the double computation has a relative
 * rounding error of a few eps in the squared distance q, so the
 * tolerance is 1e-14 (1 + |log L|).
 *
 * mixture_exact is checked against composite Simpson quadrature of
 * prior(theta) L(theta) (through prior_logpdf and mixture_loglik) over
 * the support, with n and 2n intervals per dimension: Simpson's error is
 * O(h^4), so the 2n result is off by about |Q_2n - Q_n| / 15, and each
 * quantity must agree with the 2n result within |Q_2n - Q_n| plus a
 * rounding floor of 1e-12 (the sums have up to 6e5 terms). So that this
 * cannot pass by being vague, |Q_2n - Q_n| itself must be below 1e-7 of
 * the quantity's scale. Measured, the differences are |Q_2n - Q_n| / 15
 * as the theory says, from 1e-15 to 1e-9 (the 2-d grid). The far tails,
 * where quadrature is no independent check, are compared with closed
 * forms: the Gaussian conjugate posterior, and for a posterior cut 14 to
 * 15 sds out in a tail the Mills ratio's continued fraction in long
 * double (truncated normal mean and variance without cancellation).
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

#include "mixture.h"
#include "normal.h"
#include "prior.h"
#include "scratch.h"

#define EPS 2.220446049250313e-16

/* ---- files ---- */

static int setup(void **state)
{
	return scratch_setup(state, "test_analytic", "spec.json");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}


static void spec_ok(struct scratch *s, struct mixture *a, const char *text)
{
	struct err e = {0};
	scratch_write(s->path, text);
	if (mixture_load(a, s->path, &e))
		fail_msg("mixture_load %s: %s", text, e.msg);
}

static void prior_ok(struct scratch *s, struct prior *pr, const char *text)
{
	char path[200];
	struct err e = {0};
	snprintf(path, sizeof path, "%s/prior.json", s->dir);
	scratch_write(path, text);
	if (prior_load(pr, path, &e))
		fail_msg("prior_load %s: %s", text, e.msg);
}

static void exact_ok(const struct mixture *a, const struct prior *pr, struct mixture_exact *x)
{
	struct err e = {0};
	if (mixture_exact(a, pr, x, &e))
		fail_msg("mixture_exact: %s", e.msg);
}

static void assert_close(const char *what, double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: got %.17g, want %.17g (difference %.3g, tolerance %.3g)", what, got, want,
			 fabs(got - want), tol);
}

/* ---- the likelihood ---- */

/* log(exp(c) sum_k w_k prod_i N(x_i; mu_ki, sd_ki^2)) with w normalised,
 * in long double without logs of sums */
static double direct_loglik(int d, int k, const double *w, const double *mu, const double *sd, double c,
			    const double *x)
{
	long double sw = 0, sum = 0;
	for (int j = 0; j < k; j++)
		sw += w[j];
	for (int j = 0; j < k; j++) {
		long double p = w[j] / sw;
		for (int i = 0; i < d; i++) {
			long double z = ((long double)x[i] - mu[j * d + i]) / sd[j * d + i];
			p *= expl(-0.5L * z * z) / (sqrtl(2 * 3.14159265358979323846264338327950288L) * sd[j * d + i]);
		}
		sum += p;
	}
	return (double)(c + logl(sum));
}

static void test_loglik(void **state)
{
	struct scratch *s = *state;
	struct mixture a;
	const double w[2] = {3, 1}, mu[6] = {1, -2, 0.5, -1, 0, 4}, sd[6] = {0.5, 1, 2, 0.3, 0.7, 1.5};
	const double c = -2.25;

	spec_ok(s, &a,
		"{\"components\": [{\"weight\": 3, \"mean\": [1, -2, 0.5], \"sd\": [0.5, 1, 2]},"
		" {\"mean\": [-1, 0, 4], \"sd\": [0.3, 0.7, 1.5]}], \"log_scale\": -2.25}");
	assert_int_equal(a.d, 3);
	assert_int_equal(a.k, 2);
	assert_true(a.c[0].weight == 0.75 && a.c[1].weight == 0.25);
	assert_true(a.log_scale == c);

	/* at the means, between them, and 50 sds from every mean (there the
	 * nearer component is 50 sds away in x_1 and the sum is exp(-1250)) */
	const double thetas[][3] = {
		{1, -2, 0.5}, {-1, 0, 4}, {0, -1, 2}, {0.3, 0.2, -1}, {26, -2, 0.5}, {1 + 50 * 0.5, 50 * 0.7, -60},
	};
	for (size_t t = 0; t < sizeof thetas / sizeof *thetas; t++) {
		double want = direct_loglik(3, 2, w, mu, sd, c, thetas[t]);
		double got = mixture_loglik(&a, thetas[t]);
		char what[64];
		snprintf(what, sizeof what, "theta %zu", t);
		assert_true(isfinite(got));
		assert_close(what, got, want, 1e-14 * (1 + fabs(want)));
	}
	/* far enough that even the squared distance overflows: -inf, not NaN */
	const double far[3] = {1e200, 0, 0};
	assert_true(mixture_loglik(&a, far) == -INFINITY);
	mixture_free(&a);
	assert_null(a.json);

	/* weights only matter by their ratio; log_scale only adds */
	struct mixture b, b0;
	spec_ok(s, &b,
		"{\"components\": [{\"weight\": 300, \"mean\": [1, -2, 0.5], \"sd\": [0.5, 1, 2]},"
		" {\"weight\": 100, \"mean\": [-1, 0, 4], \"sd\": [0.3, 0.7, 1.5]}], \"log_scale\": -2.25}");
	spec_ok(s, &b0,
		"{\"components\": [{\"weight\": 0.75, \"mean\": [1, -2, 0.5], \"sd\": [0.5, 1, 2]},"
		" {\"weight\": 0.25, \"mean\": [-1, 0, 4], \"sd\": [0.3, 0.7, 1.5]}]}");
	for (size_t t = 0; t < sizeof thetas / sizeof *thetas; t++) {
		double want = direct_loglik(3, 2, w, mu, sd, c, thetas[t]);
		assert_close("weights 300:100", mixture_loglik(&b, thetas[t]), want, 1e-14 * (1 + fabs(want)));
		assert_close("no log_scale", mixture_loglik(&b0, thetas[t]) + c, want, 1e-14 * (1 + fabs(want)));
	}
	mixture_free(&b);
	mixture_free(&b0);

	/* weights that would overflow a plain sum still normalise */
	spec_ok(s, &b, "{\"components\": [{\"weight\": 1e308, \"mean\": [0], \"sd\": [1]},"
		       " {\"weight\": 1e308, \"mean\": [1], \"sd\": [1]}]}");
	assert_true(b.c[0].weight == 0.5 && b.c[1].weight == 0.5);
	mixture_free(&b);
}

/* ---- exact against quadrature ---- */

struct quad {
	double log_z, mean[2], sd[2], weight[MIXTURE_MAX_COMPONENTS];
};

/* log of component j's term of L, as the spec says: log_scale + log w_j
 * + sum_i log N(x_i; mu, sd^2) */
static double component_loglik(const struct mixture *a, int j, const double *x)
{
	const struct mixture_component *c = &a->c[j];
	double l = a->log_scale + log(c->weight);
	for (int i = 0; i < a->d; i++) {
		double z = (x[i] - c->mean[i]) / c->sd[i];
		l += -0.5 * z * z - log(c->sd[i]) - NORMAL_LOG_SQRT_2PI;
	}
	return l;
}

static double simpson_weight(int i, int n)
{
	return i == 0 || i == n ? 1 : i % 2 ? 4 : 2;
}

/* Composite Simpson over [lo_0, hi_0] (x [lo_1, hi_1] when d = 2), n
 * intervals a side (even). The integrand is scaled by exp(-shift) so that
 * it neither overflows nor underflows. Two passes: Z, means and weights,
 * then the variances about the means. */
static void simpson(const struct mixture *a, const struct prior *pr, const double *lo, const double *hi, int n,
		    double shift, struct quad *q)
{
	const int d = a->d, n1 = d == 2 ? n : 0;
	double h0 = (hi[0] - lo[0]) / n, h1 = d == 2 ? (hi[1] - lo[1]) / n : 1;
	double z = 0, m[2] = {0, 0}, v[2] = {0, 0}, wk[MIXTURE_MAX_COMPONENTS] = {0};

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i <= n; i++)
			for (int j = 0; j <= n1; j++) {
				double x[2] = {i == n ? hi[0] : lo[0] + i * h0,
					       d == 2 ? (j == n ? hi[1] : lo[1] + j * h1) : 0};
				double w = simpson_weight(i, n) * (d == 2 ? simpson_weight(j, n) : 1);
				double lp = prior_logpdf(pr, x);
				double f = w * exp(lp + mixture_loglik(a, x) - shift);
				for (int t = 0; t < d; t++) {
					if (pass == 0)
						m[t] += f * x[t];
					else
						v[t] += f * (x[t] - m[t]) * (x[t] - m[t]);
				}
				if (pass == 0) {
					z += f;
					for (int k = 0; k < a->k; k++)
						wk[k] += w * exp(lp + component_loglik(a, k, x) - shift);
				}
			}
		if (pass == 0)
			for (int t = 0; t < d; t++)
				m[t] /= z;
	}
	q->log_z = log(z * h0 * h1 / (d == 2 ? 9 : 3)) + shift;
	for (int t = 0; t < d; t++) {
		q->mean[t] = m[t];
		q->sd[t] = sqrt(v[t] / z);
	}
	for (int k = 0; k < a->k; k++)
		q->weight[k] = wk[k] / z;
}

/* Compare x with the quadrature at n and 2n intervals (see the top);
 * floor_log_z is the rounding floor of the log evidence. */
static void check_quadrature(const char *name, const struct mixture *a, const struct prior *pr, const double *lo,
			     const double *hi, int n, double floor_log_z)
{
	struct mixture_exact x;
	struct quad q1, q2;
	char what[128];

	exact_ok(a, pr, &x);
	simpson(a, pr, lo, hi, n, x.log_evidence, &q1);
	simpson(a, pr, lo, hi, 2 * n, x.log_evidence, &q2);

#define CHECK(label, got, fine, coarse, scale, floor)                                                        \
	do {                                                                                                 \
		double est = fabs((fine) - (coarse));                                                        \
		snprintf(what, sizeof what, "%s: %s", name, label);                                          \
		if (!(est <= 1e-7 * (scale)))                                                                \
			fail_msg("%s: the quadrature is too coarse to check with (n and 2n differ by %.3g)", \
				 what, est);                                                                 \
		assert_close(what, got, fine, est + (floor) * (scale));                                      \
	} while (0)

	CHECK("log evidence", x.log_evidence, q2.log_z, q1.log_z, 1, floor_log_z);
	for (int t = 0; t < a->d; t++) {
		CHECK("mean", x.mean[t], q2.mean[t], q1.mean[t], x.sd[t], 1e-12);
		CHECK("sd", x.sd[t], q2.sd[t], q1.sd[t], x.sd[t], 1e-12);
	}
	double total = 0;
	for (int k = 0; k < a->k; k++) {
		CHECK("weight", x.weight[k], q2.weight[k], q1.weight[k], 1, 1e-12);
		total += x.weight[k];
	}
	assert_close("weights sum to 1", total, 1, 1e-15);
#undef CHECK
}

static void test_exact_1d(void **state)
{
	struct scratch *s = *state;
	struct mixture a;
	struct prior pr;

	/* uniform: the cut at 0 (0.7 sds below the mean) matters */
	spec_ok(s, &a, "{\"components\": [{\"mean\": [0.2], \"sd\": [0.3]}], \"log_scale\": 1.5}");
	prior_ok(s, &pr, "[{\"name\": \"x\", \"uniform\": [0, 3]}]");
	check_quadrature("uniform", &a, &pr, (double[]){0}, (double[]){3}, 2000, 1e-12);
	prior_free(&pr);

	/* normal, open: the posterior N(c, v) within +-14 of its sds */
	prior_ok(s, &pr, "[{\"name\": \"x\", \"normal\": [1, 2]}]");
	mixture_free(&a);
	spec_ok(s, &a, "{\"components\": [{\"mean\": [-1], \"sd\": [0.5]}]}");
	{
		double v = 4 * 0.25 / 4.25, c = (1 * 0.25 + -1 * 4) / 4.25;
		check_quadrature("normal", &a, &pr, (double[]){c - 14 * sqrt(v)}, (double[]){c + 14 * sqrt(v)}, 2000, 1e-12);
	}
	prior_free(&pr);

	/* normal truncated on both sides, likelihood beyond the upper bound */
	prior_ok(s, &pr, "[{\"name\": \"x\", \"normal\": [0, 1], \"bounds\": [0.5, 2.5]}]");
	mixture_free(&a);
	spec_ok(s, &a, "{\"components\": [{\"mean\": [3], \"sd\": [1]}]}");
	check_quadrature("truncated normal", &a, &pr, (double[]){0.5}, (double[]){2.5}, 2000, 1e-12);
	prior_free(&pr);

	/* a three-component mixture in a one-sided truncated normal */
	prior_ok(s, &pr, "[{\"name\": \"x\", \"normal\": [0.5, 1.5], \"bounds\": [-1, null]}]");
	mixture_free(&a);
	spec_ok(s, &a,
		"{\"components\": [{\"weight\": 1, \"mean\": [-1.2], \"sd\": [0.3]},"
		" {\"weight\": 2, \"mean\": [0.4], \"sd\": [0.2]},"
		" {\"weight\": 0.5, \"mean\": [2.5], \"sd\": [0.8]}], \"log_scale\": -3}");
	check_quadrature("mixture", &a, &pr, (double[]){-1}, (double[]){12}, 4000, 1e-12);
	prior_free(&pr);

	/* a uniform far narrower than the likelihood (the closed form's
	 * variance would cancel here); its mass is Phi(0.3001) - Phi(0.3)
	 * from normal_log_mass, a difference of two numbers near 0.62 that
	 * loses eps / (1e-4 phi(0.3)) = 6e-12 at most (measured 3.5e-13) */
	prior_ok(s, &pr, "[{\"name\": \"x\", \"uniform\": [0.3, 0.3001]}]");
	mixture_free(&a);
	spec_ok(s, &a, "{\"components\": [{\"mean\": [0], \"sd\": [1]}]}");
	check_quadrature("narrow uniform", &a, &pr, (double[]){0.3}, (double[]){0.3001}, 200, 1e-11);
	prior_free(&pr);
	mixture_free(&a);
}

static void test_exact_2d_mixture(void **state)
{
	struct scratch *s = *state;
	struct mixture a;
	struct prior pr;

	/* x uniform, y a normal cut below at -1; two components of weight 1:3
	 * with posterior weights far from 1:3 (the prior favours the second
	 * in y, the cut takes some of the first) */
	spec_ok(s, &a,
		"{\"components\": [{\"weight\": 1, \"mean\": [-1.5, 0.5], \"sd\": [0.5, 0.4]},"
		" {\"weight\": 3, \"mean\": [1.5, -0.5], \"sd\": [0.7, 0.6]}], \"log_scale\": 2.5}");
	prior_ok(s, &pr,
		 "[{\"name\": \"x\", \"uniform\": [-4, 4]}, {\"name\": \"y\", \"normal\": [0, 1.5], \"bounds\": [-1, null]}]");
	check_quadrature("2-d mixture", &a, &pr, (double[]){-4, -1}, (double[]){4, 8}, 400, 1e-12);
	prior_free(&pr);
	mixture_free(&a);
}

/* ---- exact in the tails, against closed forms ---- */

/* Mean and variance of the standard normal cut to [x, inf), x > 0, and
 * log of its mass, from the Mills ratio R(x) = 1 / T_1, T_n = x + n /
 * T_{n+1} (continued fraction): mean = T_1, var = (x + 4/T_3 - 3/T_4) /
 * (T_3 T_2^2), none of which cancels; 400 terms in long double are exact
 * to rounding for x >= 3. */
static void tail_moments(double x, double *mean, double *var, double *log_mass)
{
	long double t[401], X = x;
	t[400] = X;
	for (int n = 399; n >= 1; n--)
		t[n] = X + n / t[n + 1];
	*mean = (double)t[1];
	*var = (double)((X + 4 / t[3] - 3 / t[4]) / (t[3] * t[2] * t[2]));
	*log_mass = (double)(-0.5L * X * X - NORMAL_LOG_SQRT_2PI - logl(t[1]));
}

static double log_normal_pdf(double x, double m, double var)
{
	return -NORMAL_LOG_SQRT_2PI - 0.5 * log(var) - 0.5 * (x - m) * (x - m) / var;
}

static void test_exact_tails(void **state)
{
	struct scratch *s = *state;
	struct mixture a;
	struct prior pr;
	struct mixture_exact x;

	/* N(0, 1) prior, likelihood N(8, 0.5^2), 8 prior sds out: the
	 * conjugate posterior N(6.4, 0.2) and Z = N(8; 0, 1.25) */
	spec_ok(s, &a, "{\"components\": [{\"mean\": [8], \"sd\": [0.5]}]}");
	prior_ok(s, &pr, "[{\"name\": \"x\", \"normal\": [0, 1]}]");
	exact_ok(&a, &pr, &x);
	/* a few roundings of each: EPS is one */
	assert_close("8 sds: log evidence", x.log_evidence, log_normal_pdf(8, 0, 1.25), 8 * EPS * 33);
	assert_close("8 sds: mean", x.mean[0], 6.4, 8 * EPS * 6.4);
	assert_close("8 sds: sd", x.sd[0], sqrt(0.2), 8 * EPS * sqrt(0.2));
	assert_true(x.weight[0] == 1);
	prior_free(&pr);

	/* the same prior cut to x <= 0: the posterior is N(6.4, 0.2) cut
	 * 14.3 of its sds below its mean; Z gains the cut mass over the
	 * prior's mass 1/2 */
	prior_ok(s, &pr, "[{\"name\": \"x\", \"normal\": [0, 1], \"bounds\": [null, 0]}]");
	exact_ok(&a, &pr, &x);
	{
		double sv = sqrt(0.2), al = 6.4 / sv, m, v, lm;
		tail_moments(al, &m, &v, &lm);
		double lz = log_normal_pdf(8, 0, 1.25) + lm + log(2);
		/* log Z ~ -136: a relative 1e-15 is 1.4e-13 of it */
		assert_close("cut 8 sds: log evidence", x.log_evidence, lz, 8 * EPS * fabs(lz));
		/* the mean, -0.031, is 6.4 less 6.43: both computations
		 * round at the size of 6.4, which is 5e-14 of the sd */
		assert_close("cut 8 sds: mean", x.mean[0], 6.4 - sv * m, 8 * EPS * 6.4);
		assert_close("cut 8 sds: sd", x.sd[0], sv * sqrt(v), 32 * EPS * sv * sqrt(v));
	}
	prior_free(&pr);
	mixture_free(&a);

	/* uniform U(0, 1), likelihood N(-3, 0.2^2), 15 sds below it: the piece
	 * is N(-3, 0.04) on [15, 20] of its sds; the part beyond 20 sds is
	 * e^-87 of the rest, far below rounding */
	spec_ok(s, &a, "{\"components\": [{\"mean\": [-3], \"sd\": [0.2]}]}");
	prior_ok(s, &pr, "[{\"name\": \"x\", \"uniform\": [0, 1]}]");
	exact_ok(&a, &pr, &x);
	{
		double m, v, lm;
		tail_moments(15, &m, &v, &lm);
		assert_close("15 sds: log evidence", x.log_evidence, lm, 8 * EPS * fabs(lm));
		assert_close("15 sds: mean", x.mean[0], -3 + 0.2 * m, 8 * EPS * 3);
		assert_close("15 sds: sd", x.sd[0], 0.2 * sqrt(v), 32 * EPS * 0.2 * sqrt(v));
	}

	/* one component out of reach (1e3 sds away: no representable mass)
	 * and one inside: weight 0 and 1, moments of the one inside */
	mixture_free(&a);
	spec_ok(s, &a, "{\"components\": [{\"mean\": [-1000], \"sd\": [1]}, {\"mean\": [0.5], \"sd\": [0.01]}]}");
	exact_ok(&a, &pr, &x);
	assert_true(x.weight[0] == 0 && x.weight[1] == 1);
	assert_close("one out of reach: mean", x.mean[0], 0.5, 1e-15);
	assert_close("one out of reach: sd", x.sd[0], 0.01, 1e-16);
	assert_close("one out of reach: log evidence", x.log_evidence, log(0.5), 1e-15);

	/* none in reach: refused */
	struct err e = {0};
	mixture_free(&a);
	spec_ok(s, &a, "{\"components\": [{\"mean\": [-1000], \"sd\": [1]}]}");
	assert_int_equal(mixture_exact(&a, &pr, &x, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "no representable mass"));
	prior_free(&pr);

	/* the prior's dimension must be the spec's */
	prior_ok(s, &pr, "[{\"name\": \"x\", \"uniform\": [0, 1]}, {\"name\": \"y\", \"uniform\": [0, 1]}]");
	assert_int_equal(mixture_exact(&a, &pr, &x, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "the prior has 2 parameters but the likelihood has dimension 1"));
	prior_free(&pr);
	mixture_free(&a);
}

/* ---- spec errors ---- */

static void test_spec_errors(void **state)
{
	struct scratch *s = *state;
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{"[1, 2]", "a spec must be a JSON object"},
		{"{\"components\": [{\"mean\": [0], \"sd\": [1]}], \"scale\": 1}", "unknown key 'scale'"},
		{"{\"log_scale\": 1}", "missing key 'components'"},
		{"{\"components\": []}", "'components' must be a list of 1 to 64 objects"},
		{"{\"components\": {\"mean\": [0], \"sd\": [1]}}", "'components' must be a list of 1 to 64 objects"},
		{"{\"components\": [1]}", "component 1 must be an object"},
		{"{\"components\": [{\"mean\": [0], \"sd\": [1], \"sigma\": [1]}]}", "component 1: unknown key 'sigma'"},
		{"{\"components\": [{\"sd\": [1]}]}", "component 1: missing key 'mean'"},
		{"{\"components\": [{\"mean\": [0]}]}", "component 1: missing key 'sd'"},
		{"{\"components\": [{\"mean\": 0, \"sd\": [1]}]}", "component 1: 'mean' must be a list of numbers"},
		{"{\"components\": [{\"mean\": [], \"sd\": []}]}", "component 1: 'mean' must have 1 to 64 finite numbers, got 0"},
		{"{\"components\": [{\"mean\": [0, \"a\"], \"sd\": [1, 1]}]}", "component 1: 'mean'[1] must be a finite number"},
		{"{\"components\": [{\"mean\": [0, 1e999], \"sd\": [1, 1]}]}", NULL}, /* jansson: overflow */
		{"{\"components\": [{\"mean\": [0, 0, 0], \"sd\": [1, 1, 1]}, {\"mean\": [0, 0, 0], \"sd\": [1, 1]}]}",
		 "component 2: 'sd' must have 3 positive numbers, got 2"},
		{"{\"components\": [{\"mean\": [0, 0], \"sd\": [1, 1]}, {\"mean\": [0], \"sd\": [1]}]}",
		 "component 2: 'mean' must have 2 finite numbers, got 1"},
		{"{\"components\": [{\"mean\": [0, 0], \"sd\": [1, 0]}]}", "component 1: 'sd'[1] must be a positive number"},
		{"{\"components\": [{\"mean\": [0, 0], \"sd\": [-1, 1]}]}", "component 1: 'sd'[0] must be a positive number"},
		{"{\"components\": [{\"mean\": [0], \"sd\": [1e-320]}]}", "component 1: 'sd'[0] is too small"},
		{"{\"components\": [{\"weight\": 0, \"mean\": [0], \"sd\": [1]}]}", "component 1: 'weight' must be a positive number"},
		{"{\"components\": [{\"weight\": -1, \"mean\": [0], \"sd\": [1]}]}", "component 1: 'weight' must be a positive number"},
		{"{\"components\": [{\"weight\": \"1\", \"mean\": [0], \"sd\": [1]}]}", "component 1: 'weight' must be a positive number"},
		{"{\"components\": [{\"weight\": 1e300, \"mean\": [0], \"sd\": [1]}, {\"weight\": 1e-300, \"mean\": [0], \"sd\": [1]}]}",
		 "component 2: 'weight' is too small beside the others"},
		{"{\"components\": [{\"mean\": [0], \"sd\": [1]}], \"log_scale\": null}", "'log_scale' must be a finite number"},
		{"{\"components\": [{\"mean\": [0], \"sd\": [1]}], \"log_scale\": 1, \"log_scale\": 2}", "duplicate"},
		{"{\"components\": [{\"mean\": [0], \"sd\": [1], \"sd\": [2]}]}", "duplicate"},
		{"{\"components\": [", "line 1"},
	};
	struct mixture a;
	struct err e = {0};

	for (size_t c = 0; c < sizeof bad / sizeof *bad; c++) {
		scratch_write(s->path, bad[c].text);
		int rc = mixture_load(&a, s->path, &e);
		if (rc != ERR_INPUT)
			fail_msg("%s: got %d (%s), want ERR_INPUT", bad[c].text, rc, rc ? e.msg : "accepted");
		if (strncmp(e.msg, s->path, strlen(s->path)) || (bad[c].needle && !strstr(e.msg, bad[c].needle)))
			fail_msg("%s: message \"%s\" does not start with the file and contain \"%s\"", bad[c].text,
				 e.msg, bad[c].needle ? bad[c].needle : "");
		/* nothing is kept on failure */
		assert_null(a.json);
		assert_int_equal(a.k, 0);
		mixture_free(&a);
	}

	/* 65 components, and 65 dimensions */
	static char text[65536];
	int n = snprintf(text, sizeof text, "{\"components\": [");
	for (int j = 0; j < MIXTURE_MAX_COMPONENTS + 1; j++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%s{\"mean\": [0], \"sd\": [1]}", j ? ", " : "");
	snprintf(text + n, sizeof text - (size_t)n, "]}");
	scratch_write(s->path, text);
	assert_int_equal(mixture_load(&a, s->path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "'components' must be a list of 1 to 64 objects"));
	n = snprintf(text, sizeof text, "{\"components\": [{\"mean\": [");
	for (int i = 0; i < 65; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%s0", i ? ", " : "");
	snprintf(text + n, sizeof text - (size_t)n, "], \"sd\": [1]}]}");
	scratch_write(s->path, text);
	assert_int_equal(mixture_load(&a, s->path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "component 1: 'mean' must have 1 to 64 finite numbers, got 65"));

	/* a missing file */
	char path[200];
	snprintf(path, sizeof path, "%s/absent.json", s->dir);
	assert_int_equal(mixture_load(&a, path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, path));

	/* the largest spec is accepted, its JSON kept */
	n = snprintf(text, sizeof text, "{\"components\": [");
	for (int j = 0; j < 16; j++) {
		n += snprintf(text + n, sizeof text - (size_t)n, "%s{\"weight\": %d, \"mean\": [", j ? ", " : "", j + 1);
		for (int i = 0; i < 64; i++)
			n += snprintf(text + n, sizeof text - (size_t)n, "%s%d", i ? "," : "", i - j);
		n += snprintf(text + n, sizeof text - (size_t)n, "], \"sd\": [");
		for (int i = 0; i < 64; i++)
			n += snprintf(text + n, sizeof text - (size_t)n, "%s%g", i ? "," : "", 1 + 0.01 * i);
		n += snprintf(text + n, sizeof text - (size_t)n, "]}");
	}
	assert_true(n < (int)sizeof text - 3);
	snprintf(text + n, sizeof text - (size_t)n, "]}");
	spec_ok(s, &a, text);
	assert_int_equal(a.k, 16);
	assert_int_equal(a.d, 64);
	assert_true(json_is_object(a.json));
	assert_true(fabs(a.c[15].weight - 16.0 / 136) < 1e-16);
	mixture_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loglik, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_1d, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_2d_mixture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_tails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
