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
	s.target_ess = 0.5;
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
	s.target_ess = 0.5;
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

/* A toy evaluator: a Gaussian at c with a quartic term (so that no
 * quadratic fits it exactly: a delayed-acceptance screen is not the
 * likelihood), checking what it is given. */
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
			s -= 0.5 * z * z + 0.05 * z * z * z * z;
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

static void run_stages(struct prior *pr, struct toy *t, enum tmcmc_kernel kernel, struct population *out)
{
	struct tmcmc_settings s;
	struct tmcmc_evaluator ev = {toy_eval, t, NULL};
	struct population a, b;
	struct err e;
	long missing = 0;
	tmcmc_settings_default(&s);
	s.kernel = kernel;
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
		/* rw: the proposal covariance is the weighted covariance of a
		 * (tpcn's is the fitted t's scale: test_tpcn_fit) */
		for (int p = 0; kernel == TMCMC_RW && p < 4; p++)
			assert_true(fabs(b.covariance[p] - c[p]) <= 1e-12 * fabs(c[0] + c[3]));
		assert_true(b.stage == a.stage + 1 && b.beta > a.beta);
		population_free(&a);
		a = b;
	}
	assert_int_equal(evaluations, t->thetas);
	*out = a;
}

static void stage_contract(void **state, enum tmcmc_kernel kernel)
{
	struct scratch *sc = *state;
	struct prior pr;
	struct population p1, p2;
	load_prior(&pr, sc->path);
	/* the peak near the edge: many proposals fall outside [0, 1]^2 */
	struct toy t1 = {&pr, 0.02, 0, 0, 0, 0, 0}, t2 = {&pr, 0.02, 0, 0, 1, 0, 0}, t3 = {&pr, 0.02, 0, 0, 0, 1, 0};
	struct population p3;
	run_stages(&pr, &t1, kernel, &p1);
	run_stages(&pr, &t2, kernel, &p2);
	run_stages(&pr, &t3, kernel, &p3);
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

static void test_stage_contract(void **state)
{
	stage_contract(state, TMCMC_RW);
}

static void test_stage_contract_tpcn(void **state)
{
	stage_contract(state, TMCMC_TPCN);
}

/* A draw from the 2-D t with nu degrees of freedom, location m and scale
 * matrix with factor l (lower, 2 x 2). */
static void draw_t(struct rng *r, double nu, const double *m, const double *l, double *x)
{
	double z0 = rng_normal(r), z1 = rng_normal(r), g = 2 * rng_gamma(r, 0.5 * nu);
	double s = sqrt(nu / g);
	x[0] = m[0] + s * l[0] * z0;
	x[1] = m[1] + s * (l[2] * z0 + l[3] * z1);
}

/* tpcn's proposal is a t fitted (EM, nu fixed) to the weighted population:
 * from 20000 draws of a t with nu = 5, equal weights, the fitted location
 * is the true one within 5 of its standard errors (sd/sqrt(N) of a t with
 * nu = 5: sqrt(5/3) scale/sqrt(N)), and the scale matrix within 5%
 * (its Monte Carlo error at N = 20000 is about 1%). */
static void test_tpcn_fit(void **state)
{
	(void)state;
	enum { N = 20000 };
	const double m[2] = {1.0, 2.0}, l[4] = {0.3, 0, 0.2, 0.1}; /* Sigma = [.09 .06; .06 .05] */
	const double sigma[4] = {0.09, 0.06, 0.06, 0.05};
	struct tmcmc_settings s;
	struct population in, out;
	struct tmcmc_round rd;
	struct rng r;
	struct err e;

	tmcmc_settings_default(&s);
	assert_int_equal(population_init(&in, N, 2, &e), 0);
	rng_init(&r, 77);
	for (int i = 0; i < N; i++) {
		draw_t(&r, 5, m, l, in.theta + 2 * i);
		in.loglik[i] = 0; /* equal weights at any dbeta */
		in.logprior[i] = 0;
	}
	in.scale = 0.5;
	assert_int_equal(tmcmc_stage_begin(&in, &s, &out, &rd, &e), 0);
	assert_true(out.beta == 1 && out.dof == 5);
	for (int a = 0; a < 2; a++) {
		double se = sqrt(5.0 / 3.0 * sigma[3 * a]) / sqrt(N);
		if (fabs(out.center[a] - m[a]) > 5 * se)
			fail_msg("t location %d: %g, want %g (se %g)", a, out.center[a], m[a], se);
	}
	for (int p = 0; p < 4; p++)
		if (fabs(out.covariance[p] - sigma[p]) > 0.05 * sigma[p])
			fail_msg("t scale [%d]: %g, want %g", p, out.covariance[p], sigma[p]);
	/* and the round's proposal carries the factor of that scale */
	assert_true(fabs(rd.q.chol[0] * rd.q.chol[0] - out.covariance[0]) < 1e-12);
	tmcmc_round_free(&rd);
	population_free(&out);
	population_free(&in);
}

/* The target of the exactness tests: a 2-D Gaussian likelihood, mean
 * (1.2, 1.8), sds (0.2, 0.1), correlation 0.8, under U(0, 3)^2, whose mass
 * outside the box is below 1e-12, at beta = 1. */
static const double tm[2] = {1.2, 1.8}, tl[4] = {0.2, 0, 0.08, 0.06};

static double target_loglik(const double *x)
{
	double y0 = (x[0] - tm[0]) / tl[0], y1 = (x[1] - tm[1] - tl[2] * y0) / tl[3];
	return -0.5 * (y0 * y0 + y1 * y1);
}

static int target_eval(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d,
		       double *loglik, struct err *e)
{
	(void)ctx;
	(void)ids;
	(void)floor;
	(void)e;
	for (int i = 0; i < n; i++)
		loglik[i] = target_loglik(theta + (size_t)i * (size_t)d);
	return 0;
}

/* A kernel leaves the target invariant: N chains drawn exactly from it
 * (independently) are still distributed as it after 30 steps with a
 * proposal deliberately unlike it (tpcn: a t centred 1.5 sds off, twice
 * as wide, r 0.7; rw: a step 3 times too wide), so the sample means are
 * the exact ones within 5 standard errors (sd/sqrt(N): the chains stay
 * independent) and the variances within 5 of theirs (var sqrt(2/N)). A
 * kernel whose MH ratio left out the t's density ratio fails: its chains
 * drift toward the t's centre. */
static void kernel_invariance(void **state, enum tmcmc_kernel kernel, int delayed)
{
	struct scratch *sc = *state;
	enum { N = 6000 };
	struct prior pr;
	struct population p;
	struct tmcmc_round rd;
	struct tmcmc_evaluator ev = {target_eval, NULL, NULL};
	struct rng r;
	struct err e;
	long accepted;

	scratch_write(sc->path, "[{\"name\": \"a\", \"uniform\": [0, 3]}, {\"name\": \"b\", \"uniform\": [0, 3]}]");
	assert_int_equal(prior_load(&pr, sc->path, &e), 0);
	assert_int_equal(population_init(&p, N, 2, &e), 0);
	p.seed = 3;
	p.stage = 1;
	rng_init(&r, 99);
	for (int i = 0; i < N; i++) {
		double z0 = rng_normal(&r), z1 = rng_normal(&r), *x = p.theta + 2 * i;
		x[0] = tm[0] + tl[0] * z0;
		x[1] = tm[1] + tl[2] * z0 + tl[3] * z1;
		p.loglik[i] = target_loglik(x);
		p.logprior[i] = prior_logpdf(&pr, x);
	}
	memset(&rd, 0, sizeof rd);
	rd.q.kernel = kernel;
	rd.q.d = 2;
	rd.q.beta = 1;
	if (kernel == TMCMC_TPCN) {
		rd.q.scale = 0.7;
		rd.q.dof = 5;
		rd.q.center[0] = tm[0] + 1.5 * tl[0];
		rd.q.center[1] = tm[1] - 1.5 * 0.1;
		rd.q.chol[0] = 2 * tl[0];
		rd.q.chol[2] = 0;
		rd.q.chol[3] = 2 * 0.1;
	} else {
		rd.q.scale = 3;
		memcpy(rd.q.chol, tl, sizeof tl);
	}
	if (delayed) {
		/* features 1, z0, z1, z0^2, z0 z1, z1^2 of z = (x - center) / sd */
		static const double coef[6] = {0, 1.0, -0.5, -0.8, 0.3, -0.4};
		rd.q.n_coef = 6;
		rd.q.sd[0] = 0.2;
		rd.q.sd[1] = 0.1;
		memcpy(rd.q.coef, coef, sizeof coef);
	}
	rd.next = 30;
	assert_int_equal(tmcmc_move(&p, 0, N, &pr, &rd, &ev, &accepted, &e), 0);
	/* it moved (5% of the proposals at least): the test is not of chains
	 * that stood still */
	if (!(accepted > N * 30 / 20))
		fail_msg("%s%s: accepted %ld of %d", tmcmc_kernel_name(kernel), delayed ? " delayed" : "", accepted, N * 30);
	const double sd[2] = {0.2, 0.1};
	for (int a = 0; a < 2; a++) {
		double mean = 0, var = 0;
		for (int i = 0; i < N; i++)
			mean += p.theta[2 * i + a] / N;
		for (int i = 0; i < N; i++)
			var += (p.theta[2 * i + a] - mean) * (p.theta[2 * i + a] - mean) / (N - 1);
		double zm = (mean - tm[a]) / (sd[a] / sqrt(N)), zv = (var / (sd[a] * sd[a]) - 1) / sqrt(2.0 / N);
		if (fabs(zm) > 5 || fabs(zv) > 5)
			fail_msg("%s: parameter %d: mean %g (z %.2f), var %g (z %.2f)", tmcmc_kernel_name(kernel), a, mean,
				 zm, var, zv);
	}
	population_free(&p);
	prior_free(&pr);
}

static void test_tpcn_invariance(void **state)
{
	kernel_invariance(state, TMCMC_TPCN, 0);
}

/* Delayed acceptance is exact whatever its screen: with a surrogate that
 * is no quadratic fit of the target at all (its own optimum elsewhere,
 * other curvatures), the chains still keep the target. A second stage
 * that left out the screen's correction fails. */
static void test_tpcn_delayed_invariance(void **state)
{
	kernel_invariance(state, TMCMC_TPCN, 1);
}

static void test_rw_invariance(void **state)
{
	kernel_invariance(state, TMCMC_RW, 0);
}

/* A stage cut into K shards of chains, each run through every round on
 * its own copy and merged after each round (as hosts would), gives the
 * bytes of the stage run whole, for K = 1, 2, 3, 7, both kernels, with a
 * decorrelation threshold that makes tpcn take more than one round. */
static void shards(void **state, enum tmcmc_kernel kernel)
{
	struct scratch *sc = *state;
	struct prior pr;
	struct tmcmc_settings s;
	struct population p0, whole;
	struct err e;
	load_prior(&pr, sc->path);
	struct toy t = {&pr, 0.5, 0, 0, 0, 0, 0};
	struct tmcmc_evaluator ev = {toy_eval, &t, NULL};

	tmcmc_settings_default(&s);
	s.kernel = kernel;
	s.decorrelation = 0.05;
	assert_int_equal(tmcmc_init(&p0, &pr, 301, 9, 2, &s, &e), 0);
	long missing = 0;
	assert_int_equal(tmcmc_evaluate_missing(&p0, &ev, &missing, &e), 0);
	assert_int_equal(tmcmc_stage(&p0, &pr, &s, &ev, &whole, &e), 0);
	assert_true(kernel == TMCMC_RW || whole.chain_steps > 3); /* more than the first round */
	static const int ks[] = {1, 2, 3, 7};
	for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
		const int K = ks[i], n = p0.n;
		struct population out, part;
		struct tmcmc_round rd;
		assert_int_equal(tmcmc_stage_begin(&p0, &s, &out, &rd, &e), 0);
		while (rd.next > 0) {
			long total = 0;
			for (int k = 0; k < K; k++) {
				int c0 = n * k / K, c1 = n * (k + 1) / K;
				long acc;
				struct tmcmc_round mine = rd;
				/* the shard's own copy of the population */
				assert_int_equal(population_init(&part, n, 2, &e), 0);
				memcpy(part.theta, out.theta, sizeof(double) * 2 * (size_t)n);
				memcpy(part.loglik, out.loglik, sizeof(double) * (size_t)n);
				memcpy(part.logprior, out.logprior, sizeof(double) * (size_t)n);
				part.seed = out.seed;
				part.level = out.level;
				part.stage = out.stage;
				assert_int_equal(tmcmc_move(&part, c0, c1, &pr, &mine, &ev, &acc, &e), 0);
				memcpy(out.theta + 2 * c0, part.theta + 2 * c0, sizeof(double) * 2 * (size_t)(c1 - c0));
				memcpy(out.loglik + c0, part.loglik + c0, sizeof(double) * (size_t)(c1 - c0));
				memcpy(out.logprior + c0, part.logprior + c0, sizeof(double) * (size_t)(c1 - c0));
				out.evaluations += part.evaluations;
				total += acc;
				population_free(&part);
			}
			tmcmc_stage_round(&out, &s, &rd, total);
		}
		assert_int_equal(tmcmc_stage_end(&p0, &out, &rd, &e), 0);
		assert_memory_equal(out.theta, whole.theta, sizeof(double) * 2 * (size_t)n);
		assert_memory_equal(out.loglik, whole.loglik, sizeof(double) * (size_t)n);
		assert_memory_equal(out.logprior, whole.logprior, sizeof(double) * (size_t)n);
		assert_int_equal(out.evaluations, whole.evaluations);
		assert_int_equal(out.chain_steps, whole.chain_steps);
		assert_true(out.scale == whole.scale && out.acceptance == whole.acceptance);
		tmcmc_round_free(&rd);
		population_free(&out);
	}
	population_free(&whole);
	population_free(&p0);
	prior_free(&pr);
}

static void test_shards_rw(void **state)
{
	shards(state, TMCMC_RW);
}

static void test_shards_tpcn(void **state)
{
	shards(state, TMCMC_TPCN);
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
		cmocka_unit_test_setup_teardown(test_stage_contract_tpcn, setup, teardown),
		cmocka_unit_test(test_tpcn_fit),
		cmocka_unit_test_setup_teardown(test_tpcn_invariance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tpcn_delayed_invariance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rw_invariance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shards_rw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shards_tpcn, setup, teardown),
		cmocka_unit_test(test_keys_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
