/*
 * Unit tests for prior (prior files, densities, draws, packing) and for
 * normal, the special functions it is built on.
 *
 * normal: Phi^-1(Phi(x)) must give x back to within what the rounding of
 * Phi(x) allows: Phi(x) carries a relative error of an eps or so, which
 * moves x by eps Phi(x) / phi(x) (1.25 eps at 0, about eps / |x| far
 * out), so the tolerance is 4 eps (|x| + Phi(x) / phi(x)), 1e-15
 * relative for |x| >= 1 (measured: 1.26 eps (...) at worst on a 1e-4
 * grid of [-37, 0]). Tail masses are compared with log(erfc / 2) taken
 * directly, to 1e-15 relative; truncated draws must be inside their
 * bounds and, in a far tail, put u where the truncated CDF says, to the
 * 1e-12 that rounding of x (relative eps, amplified by x^2 = 900 at 30
 * sds through d log(1 - Phi) / dx = -x) allows.
 *
 * prior: the densities must integrate to 1 (Simpson, with its own error
 * estimate as the tolerance, as in test_analytic); the mean of 2e5
 * draws of a truncated normal must be within 5 standard errors of the
 * exact mean (the draws are keyed, so the outcome is fixed; 5 SE is
 * where a correct sampler would fail with probability 6e-7); packing and
 * parsing back must give the same bytes.
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

#include "normal.h"
#include "pack.h"
#include "prior.h"
#include "rng.h"
#include "scratch.h"

#define EPS 2.220446049250313e-16

static int setup(void **state)
{
	return scratch_setup(state, "test_prior", "prior.json");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}


static void assert_close(const char *what, double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: got %.17g, want %.17g (difference %.3g, tolerance %.3g)", what, got, want,
			 fabs(got - want), tol);
}

static double phi(double x)
{
	return exp(-0.5 * x * x - NORMAL_LOG_SQRT_2PI);
}

/* ---- normal ---- */

static void test_quantile_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i <= 37000; i++) {
		double x = -37 + i * 1e-3;
		if (x > 0)
			x = 0;
		double p = normal_cdf(x), back = normal_quantile(p);
		char what[64];
		snprintf(what, sizeof what, "quantile(cdf(%g))", x);
		assert_close(what, back, x, 4 * EPS * (fabs(x) + p / phi(x)));
	}
	/* and the reflection: the upper half maps back as well */
	for (double x = 0.25; x < 8; x += 0.25)
		assert_close("quantile(cdf(x)), x > 0", normal_quantile(normal_cdf(x)), x,
			     4 * EPS * (x + 1 / phi(x)));
	assert_true(normal_quantile(0) == -INFINITY);
	assert_true(normal_quantile(1) == INFINITY);
	assert_true(isnan(normal_quantile(-0.1)) && isnan(normal_quantile(1.5)) && isnan(normal_quantile(NAN)));
	assert_true(normal_quantile(0.5) == 0);
}

static void test_log_mass(void **state)
{
	(void)state;
	for (double x = 0.5; x <= 37; x += 0.5) {
		double want = log(0.5 * erfc(x / sqrt(2)));
		assert_close("log mass of the lower tail", normal_log_mass(-INFINITY, -x), want, 1e-15 * fabs(want));
		assert_close("log mass of the upper tail", normal_log_mass(x, INFINITY), want, 1e-15 * fabs(want));
	}
	/* an interval far out on either side, against long double: the
	 * naive difference of Phi in double would be 0 - 0 or 1 - 1 */
	long double t20 = 0.5L * erfcl(20 / sqrtl(2)), t21 = 0.5L * erfcl(21 / sqrtl(2));
	double want = (double)logl(t20 - t21);
	assert_close("log mass of [20, 21]", normal_log_mass(20, 21), want, 1e-15 * fabs(want));
	assert_close("log mass of [-21, -20]", normal_log_mass(-21, -20), want, 1e-15 * fabs(want));
	/* near the middle */
	assert_close("log mass of [-1, 2]", normal_log_mass(-1, 2), log(normal_cdf(2) - normal_cdf(-1)), 4 * EPS);
	assert_true(normal_log_mass(-INFINITY, INFINITY) == 0);
	assert_true(normal_log_mass(1, 1) == -INFINITY);
	assert_true(normal_log_mass(2, 1) == -INFINITY);
}

static void test_truncated(void **state)
{
	(void)state;
	static const double bounds[][2] = {
		{-1, 1}, {0.5, INFINITY}, {-INFINITY, -2}, {30, INFINITY}, {-INFINITY, -30}, {5, 5.001}, {-32, -30}, {8, 9},
	};
	struct rng r;

	rng_init(&r, 42);
	for (size_t c = 0; c < sizeof bounds / sizeof *bounds; c++) {
		double a = bounds[c][0], b = bounds[c][1];
		for (int i = 0; i < 20000; i++) {
			double u = i < 2 ? (i ? 1 - EPS / 2 : 0x1p-53) : rng_uniform(&r);
			double x = normal_truncated(u, a, b);
			if (!(x >= a && x <= b))
				fail_msg("normal_truncated(%.17g, %g, %g) = %.17g is outside", u, a, b, x);
		}
	}
	/* the inverse-CDF mapping far out: P(X <= x | X in [a, b]) = u */
	static const double us[] = {1e-12, 0.01, 0.3, 0.5, 0.9, 0.999999};
	for (size_t k = 0; k < sizeof us / sizeof *us; k++) {
		double u = us[k];
		double x = normal_truncated(u, 30, INFINITY);
		assert_close("upper tail above 30", (double)(erfcl(x / sqrtl(2)) / erfcl(30 / sqrtl(2))), 1 - u,
			     1e-12 * (1 - u));
		x = normal_truncated(u, -INFINITY, -30);
		assert_close("lower tail below -30", (double)(erfcl(-x / sqrtl(2)) / erfcl(30 / sqrtl(2))), u, 1e-12 * u);
		x = normal_truncated(u, -32, -30);
		long double lo = erfcl(32 / sqrtl(2)), hi = erfcl(30 / sqrtl(2));
		assert_close("[-32, -30]", (double)((erfcl(-x / sqrtl(2)) - lo) / (hi - lo)), u, 1e-12 * u + 1e-15);
	}
}

/* ---- prior files ---- */

static void load_ok(struct scratch *s, struct prior *pr, const char *text)
{
	struct err e = {0};
	scratch_write(s->path, text);
	if (prior_load(pr, s->path, &e))
		fail_msg("prior_load %s: %s", text, e.msg);
}

static const char good[] =
	"[{\"name\": \"a11\", \"uniform\": [0, 3], \"truth\": 0.8},\n"
	" {\"name\": \"x\", \"normal\": [1, 2]},\n"
	" {\"name\": \"y\", \"normal\": [0, 1], \"bounds\": [0.5, null], \"truth\": 1},\n"
	" {\"name\": \"z\", \"normal\": [-1, 0.5], \"bounds\": [null, 0]},\n"
	" {\"truth\": 2, \"bounds\": [-1, 2.5], \"normal\": [0, 1], \"name\": \"w\"}]\n";

static void test_load(void **state)
{
	struct scratch *s = *state;
	struct prior pr;

	load_ok(s, &pr, good);
	assert_int_equal(pr.n, 5);
	const char *names[] = {"a11", "x", "y", "z", "w"};
	for (int i = 0; i < 5; i++) {
		assert_string_equal(pr.p[i].name, names[i]);
		assert_ptr_equal(pr.names[i], pr.p[i].name);
	}
	const struct prior_param *p = pr.p;
	assert_int_equal(p[0].kind, PRIOR_UNIFORM);
	assert_true(p[0].a == 0 && p[0].b == 3 && p[0].lo == 0 && p[0].hi == 3);
	assert_true(p[0].has_truth && p[0].truth == 0.8);
	assert_close("uniform log_norm", p[0].log_norm, -log(3), EPS);
	assert_int_equal(p[1].kind, PRIOR_NORMAL);
	assert_true(p[1].a == 1 && p[1].b == 2 && p[1].lo == -INFINITY && p[1].hi == INFINITY);
	assert_false(p[1].bounded);
	assert_false(p[1].has_truth);
	assert_close("normal log_norm", p[1].log_norm, -NORMAL_LOG_SQRT_2PI - log(2), 2 * EPS);
	assert_true(p[2].bounded && p[2].lo == 0.5 && p[2].hi == INFINITY);
	assert_close("cut normal log_norm", p[2].log_norm,
		     -NORMAL_LOG_SQRT_2PI - log(0.5 * erfc(0.5 / sqrt(2))), 4 * EPS);
	assert_true(p[3].bounded && p[3].lo == -INFINITY && p[3].hi == 0);
	assert_close("cut normal log_norm (upper)", p[3].log_norm,
		     -NORMAL_LOG_SQRT_2PI - log(0.5) - log(normal_cdf(2)), 4 * EPS);
	assert_true(p[4].bounded && p[4].lo == -1 && p[4].hi == 2.5 && p[4].truth == 2);
	prior_free(&pr);
	assert_null(pr.p);
	assert_int_equal(pr.n, 0);

	/* a bound far in the tail still has a finite density */
	load_ok(s, &pr, "[{\"name\": \"t\", \"normal\": [0, 1], \"bounds\": [30, null]}]");
	assert_true(isfinite(pr.p[0].log_norm));
	assert_close("log_norm 30 sds out", pr.p[0].log_norm,
		     (double)(-NORMAL_LOG_SQRT_2PI - logl(0.5L * erfcl(30 / sqrtl(2)))), 1e-15 * 450);
	prior_free(&pr);
}

static void test_load_errors(void **state)
{
	struct scratch *s = *state;
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{"{\"name\": \"x\", \"uniform\": [0, 1]}", "the prior must be a non-empty array"},
		{"[]", "the prior must be a non-empty array"},
		{"[1]", "parameter 1: must be an object"},
		{"[{\"uniform\": [0, 1]}]", "parameter 1: 'name' is missing"},
		{"[{\"name\": \"\", \"uniform\": [0, 1]}]", "parameter 1: 'name' must be a non-empty string"},
		{"[{\"name\": 3, \"uniform\": [0, 1]}]", "parameter 1: 'name' must be a non-empty string"},
		{"[{\"name\": \"x\", \"uniform\": [0, 1]}, {\"name\": \"y\", \"uniform\": [0, 1], \"normal\": [0, 1]}]",
		 "parameter 2 ('y'): give one of 'uniform' or 'normal'"},
		{"[{\"name\": \"x\"}]", "parameter 1 ('x'): give one of 'uniform' or 'normal'"},
		{"[{\"name\": \"x\", \"normal\": [0, 0]}]", "parameter 1 ('x'): 'normal' must be [mean, sd] with sd > 0"},
		{"[{\"name\": \"x\", \"normal\": [0, -1]}]", "'normal' must be [mean, sd] with sd > 0"},
		{"[{\"name\": \"x\", \"normal\": [0]}]", "'normal' must be [mean, sd] with sd > 0"},
		{"[{\"name\": \"x\", \"normal\": [0, \"1\"]}]", "'normal' must be [mean, sd] with sd > 0"},
		{"[{\"name\": \"x\", \"uniform\": [1, 1]}]", "'uniform' must be [low, high] with low < high"},
		{"[{\"name\": \"x\", \"uniform\": [2, 1]}]", "'uniform' must be [low, high] with low < high"},
		{"[{\"name\": \"x\", \"uniform\": [0, null]}]", "'uniform' must be [low, high] with low < high"},
		{"[{\"name\": \"x\", \"uniform\": [-1e308, 1e308]}]", "'uniform' has a width that is not representable"},
		{"[{\"name\": \"x\", \"normal\": [0, 1], \"bounds\": [1, 1]}]",
		 "'bounds' must be [low, high] with low < high (null: open)"},
		{"[{\"name\": \"x\", \"normal\": [0, 1], \"bounds\": [null, -1e3]}]", "'bounds' hold no probability"},
		{"[{\"name\": \"x\", \"normal\": [0, 1], \"bounds\": [40, 41]}]", "'bounds' hold no probability"},
		{"[{\"name\": \"x\", \"uniform\": [0, 1], \"bounds\": [0, 1]}]", "'bounds' goes with 'normal'"},
		{"[{\"name\": \"x\", \"uniform\": [0, 1], \"truth\": \"1\"}]", "'truth' must be a number"},
		{"[{\"name\": \"x\", \"uniform\": [0, 1], \"prior\": 1}]", "parameter 1 ('x'): unknown key 'prior'"},
		{"[{\"name\": \"x\", \"uniform\": [0, 1]}, {\"name\": \"x\", \"normal\": [0, 1]}]",
		 "parameter 2 ('x'): the name is used twice"},
		{"[{\"name\": \"x\", \"uniform\": [0, 1], \"name\": \"y\"}]", "duplicate"},
		{"[{\"name\": \"x\", ", "line"},
	};
	struct prior pr;
	struct err e = {0};

	for (size_t c = 0; c < sizeof bad / sizeof *bad; c++) {
		scratch_write(s->path, bad[c].text);
		int rc = prior_load(&pr, s->path, &e);
		if (rc != ERR_INPUT)
			fail_msg("%s: got %d (%s), want ERR_INPUT", bad[c].text, rc, rc ? e.msg : "accepted");
		if (strncmp(e.msg, s->path, strlen(s->path)) || !strstr(e.msg, bad[c].needle))
			fail_msg("%s: message \"%s\" does not start with the file and contain \"%s\"", bad[c].text,
				 e.msg, bad[c].needle);
		assert_null(pr.p);
		assert_int_equal(pr.n, 0);
	}

	/* 65 parameters */
	static char text[8192];
	int n = snprintf(text, sizeof text, "[");
	for (int i = 0; i < 65; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%s{\"name\": \"p%d\", \"uniform\": [0, 1]}",
			      i ? ", " : "", i);
	snprintf(text + n, sizeof text - (size_t)n, "]");
	scratch_write(s->path, text);
	assert_int_equal(prior_load(&pr, s->path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "at most 64 parameters, got 65"));

	/* a file that is not there */
	char path[200];
	snprintf(path, sizeof path, "%s/absent.json", s->dir);
	assert_int_equal(prior_load(&pr, path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, path));
}

/* ---- density and draws ---- */

/* Simpson's rule for exp(prior_logpdf) of a 1-d prior over [lo, hi]. */
static double simpson_mass(const struct prior *pr, double lo, double hi, int n)
{
	double h = (hi - lo) / n, sum = 0;
	for (int i = 0; i <= n; i++) {
		double x = i == n ? hi : lo + i * h;
		sum += (i == 0 || i == n ? 1 : i % 2 ? 4 : 2) * exp(prior_logpdf(pr, &x));
	}
	return sum * h / 3;
}

static void test_logpdf(void **state)
{
	struct scratch *s = *state;
	struct prior pr;
	static const struct {
		const char *text;
		double lo, hi; /* the range integrated: the support, or +-14 sds */
	} cases[] = {
		{"[{\"name\": \"x\", \"normal\": [1, 0.5], \"bounds\": [0.2, 1.9]}]", 0.2, 1.9},
		{"[{\"name\": \"x\", \"normal\": [1, 0.5], \"bounds\": [0.2, null]}]", 0.2, 1 + 14 * 0.5},
		{"[{\"name\": \"x\", \"normal\": [-2, 3]}]", -2 - 14 * 3, -2 + 14 * 3},
		{"[{\"name\": \"x\", \"normal\": [0, 1], \"bounds\": [3, 4]}]", 3, 4},
		{"[{\"name\": \"x\", \"uniform\": [-2, 5]}]", -2, 5},
	};

	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		load_ok(s, &pr, cases[c].text);
		double q1 = simpson_mass(&pr, cases[c].lo, cases[c].hi, 2000);
		double q2 = simpson_mass(&pr, cases[c].lo, cases[c].hi, 4000);
		double est = fabs(q2 - q1);
		assert_true(est < 1e-9);
		assert_close(cases[c].text, q2, 1, est + 1e-13);
		/* just outside a finite bound: -inf; on it (the support is
		 * closed): finite; NaN is outside everything */
		const struct prior_param *p = &pr.p[0];
		double below = nextafter(p->lo, -INFINITY), above = nextafter(p->hi, INFINITY), nan = NAN;
		if (isfinite(p->lo)) {
			assert_true(prior_logpdf(&pr, &below) == -INFINITY);
			assert_true(isfinite(prior_logpdf(&pr, &p->lo)));
		}
		if (isfinite(p->hi)) {
			assert_true(prior_logpdf(&pr, &above) == -INFINITY);
			assert_true(isfinite(prior_logpdf(&pr, &p->hi)));
		}
		assert_true(prior_logpdf(&pr, &nan) == -INFINITY);
		prior_free(&pr);
	}

	/* two dimensions add */
	load_ok(s, &pr, good);
	double th[5] = {1, 2, 0.7, -0.3, 0};
	double sum = 0;
	for (int i = 0; i < 5; i++) {
		struct prior one = {.n = 1, .p = &pr.p[i], .names = &pr.names[i]};
		sum += prior_logpdf(&one, &th[i]);
	}
	assert_close("sum over parameters", prior_logpdf(&pr, th), sum, 8 * EPS * fabs(sum));
	th[2] = 0.4; /* below y's bound */
	assert_true(prior_logpdf(&pr, th) == -INFINITY);
	prior_free(&pr);
}

static void test_draw(void **state)
{
	struct scratch *s = *state;
	struct prior pr;
	struct rng r;
	enum { N = 200000 };

	load_ok(s, &pr,
		"[{\"name\": \"u\", \"uniform\": [-1, 2]}, {\"name\": \"y\", \"normal\": [0, 1], \"bounds\": [0.5, null]},"
		" {\"name\": \"t\", \"normal\": [0, 1], \"bounds\": [30, 30.5]}, {\"name\": \"n\", \"normal\": [3, 2]}]");
	rng_init(&r, rng_key(7, 1));
	double sum[4] = {0};
	for (int i = 0; i < N; i++) {
		double th[4];
		prior_draw(&pr, &r, th);
		for (int k = 0; k < 4; k++) {
			if (!(th[k] >= pr.p[k].lo && th[k] <= pr.p[k].hi))
				fail_msg("draw %d: %s = %.17g is outside the support", i, pr.names[k], th[k]);
			sum[k] += th[k];
		}
		assert_true(isfinite(prior_logpdf(&pr, th)));
	}
	/* exact means and sds: U(-1, 2): 0.5, sqrt(3)/2; N(0, 1) cut to
	 * [0.5, inf): phi(0.5) / (1 - Phi(0.5)) = r, sd sqrt(1 + 0.5 r - r^2);
	 * N(3, 2^2): 3, 2 */
	double r5 = phi(0.5) / (0.5 * erfc(0.5 / sqrt(2)));
	const double mean[4] = {0.5, r5, NAN, 3}, sd[4] = {sqrt(3) / 2, sqrt(1 + 0.5 * r5 - r5 * r5), NAN, 2};
	for (int k = 0; k < 4; k++) {
		if (isnan(mean[k]))
			continue;
		char what[64];
		snprintf(what, sizeof what, "mean of %d draws of %s", N, pr.names[k]);
		assert_close(what, sum[k] / N, mean[k], 5 * sd[k] / sqrt(N));
	}
	/* far out, where the mass is 5e-198, the draws still have the right
	 * mean: N(0, 1) cut to [30, 30.5] has mean 30.033259534806877 and sd
	 * 0.033222060139991042 (mpmath, 60 digits) */
	assert_close("mean of draws in [30, 30.5]", sum[2] / N, 30.033259534806877, 5 * 0.033222060139991042 / sqrt(N));
	prior_free(&pr);
}

/* ---- packing ---- */

static void pack(const struct prior *pr, struct pack *b)
{
	pack_init(b);
	prior_pack(pack_packer(b), pr);
}

static void test_pack_round_trip(void **state)
{
	struct scratch *s = *state;
	struct prior pr, back;
	struct err e = {0};
	struct pack sb1, sb2;
	msgpack_zone zone;
	msgpack_object o;
	size_t off = 0;

	load_ok(s, &pr, good);
	pack(&pr, &sb1);
	msgpack_zone_init(&zone, 4096);
	assert_int_equal(msgpack_unpack(sb1.data, sb1.len, &off, &zone, &o), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, sb1.len);
	if (prior_from_object(&back, &o, "header", &e))
		fail_msg("prior_from_object: %s", e.msg);
	pack(&back, &sb2);
	assert_int_equal(sb1.len, sb2.len);
	assert_memory_equal(sb1.data, sb2.data, sb1.len);

	/* and the parameters are the same */
	assert_int_equal(back.n, pr.n);
	for (int i = 0; i < pr.n; i++) {
		const struct prior_param *p = &pr.p[i], *q = &back.p[i];
		assert_string_equal(p->name, q->name);
		assert_int_equal(p->kind, q->kind);
		assert_true(p->a == q->a && p->b == q->b && p->lo == q->lo && p->hi == q->hi);
		assert_int_equal(p->bounded, q->bounded);
		assert_int_equal(p->has_truth, q->has_truth);
		assert_true(!p->has_truth || p->truth == q->truth);
		assert_true(p->log_norm == q->log_norm);
	}

	/* errors from an object name the place given */
	prior_free(&back);
	msgpack_object not_array = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 1};
	assert_int_equal(prior_from_object(&back, &not_array, "pop.mpk: header 'prior'", &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "pop.mpk: header 'prior'"));

	msgpack_zone_destroy(&zone);
	pack_free(&sb1);
	pack_free(&sb2);
	prior_free(&back);
	prior_free(&pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_round_trip),
		cmocka_unit_test(test_log_mass),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logpdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pack_round_trip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
