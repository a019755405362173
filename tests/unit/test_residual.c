/*
 * Unit tests for residual: the step residual Q (DESIGN §1) and its
 * Jacobian dQ/dg_k, checked against central finite differences.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "residual.h"
#include "rng.h"

#define NS 6               /* species tested: 1..NS */
#define D (2 * NS + 2)     /* largest state */

/* ---- building models ---- */

static json_t *numbers(const double *x, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_real(x[i]));
	return a;
}

/* A model object with the given settings (antibiotics a number). */
static json_t *model_obj(int n, double dt, const double *eta, const double *phi0, double nutrients,
			 double alpha, double kp)
{
	json_t *o = json_pack("{s:i, s:f, s:i, s:o, s:o, s:f, s:f, s:f}", "species", n, "dt", dt,
			      "steps", 100, "eta", numbers(eta, n), "phi0", numbers(phi0, n),
			      "nutrients", nutrients, "antibiotics", alpha, "penalty", kp);
	assert_non_null(o);
	return o;
}

static void load(struct model *m, json_t *o)
{
	struct err e = {0};
	int rc = model_from_json(m, o, "test", &e);
	if (rc)
		fail_msg("model_from_json: %s", e.msg);
	json_decref(o);
}

/* ---- random states ---- */

static double uniform(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng_uniform(r);
}

/* A state inside the domain: phi_i > 0 with sum < 1, phi_0 = 1 - sum,
 * psi in (0.05, 0.95), gamma of either sign. Every volume fraction is at
 * least about 0.05 / (1.05 (n + 1)) (>= 0.006 for n = 6), so the
 * finite-difference steps below stay far inside (0, 1). */
static void random_state(struct rng *r, int n, double *g)
{
	double w[NS + 1], tot = 0, sum = 0;
	for (int i = 0; i <= n; i++)
		tot += (w[i] = uniform(r, 0.05, 1.0));
	for (int i = 0; i < n; i++)
		sum += (g[i] = w[i] / tot);
	g[n] = 1.0 - sum;
	for (int i = 0; i < n; i++)
		g[n + 1 + i] = uniform(r, 0.05, 0.95);
	g[2 * n + 1] = uniform(r, -5, 5);
}

/* A previous state near g: relative changes up to 1e-3. */
static void nearby_state(struct rng *r, int n, const double *g, double *go)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += (go[i] = g[i] * (1 + uniform(r, -1e-3, 1e-3)));
	go[n] = 1.0 - sum;
	for (int i = 0; i < n; i++)
		go[n + 1 + i] = g[n + 1 + i] * (1 + uniform(r, -1e-3, 1e-3));
	go[2 * n + 1] = g[2 * n + 1] + uniform(r, -1e-2, 1e-2);
}

/* ---- the finite-difference comparison ---- */

/* Bound on |P'''(v)| / Kp for the penalty P of residual.h: computed
 * symbolically, |P'''(v)| / (v^-6 + (1-v)^-6) peaks at 144 Kp at v = 1/2
 * and tends to 120 Kp at either end. */
static double penalty_d3_bound(double kp, double v, double h)
{
	double lo = v - h, hi = 1 - (v + h); /* the nearest the FD points get to 0 and 1 */
	return 150.0 * kp * (pow(lo, -6) + pow(hi, -6));
}

/* The size of the terms summed in row i of Q, for the rounding error of
 * evaluating it: V[i] the terms as they are, and, for the variables that
 * appear in a difference quotient (x - x_old)/dt of that row, W[i] and
 * Wd[i] the extra rounding that quotient carries when x itself is the
 * variable being stepped: eps |x| / dt rather than eps |x - x_old| / dt.
 * W[i] is for the phi column (j = i, or j = n for row n), Wd[i] for the
 * psi column (j = n+1+i) of rows i and n+1+i. */
struct scales {
	double V[D], W[D], Wd[D];
};

static void row_scales(const struct residual_params *p, const double *g, const double *go,
		       struct scales *s)
{
	const int n = p->n;
	const double *phi = g, *psi = g + n + 1, *ophi = go, *opsi = go + n + 1;
	double gam = fabs(g[2 * n + 1]), sum = fabs(g[n]);

	memset(s, 0, sizeof *s);
	for (int i = 0; i < n; i++) {
		double I = 0;
		for (int j = 0; j < n; j++)
			I += fabs(p->A[i * n + j] * phi[j] * psi[j]);
		double ce = fabs(p->c * p->inv_eta[i]);
		double phid = fabs(phi[i] - ophi[i]) * p->inv_dt, psid = fabs(psi[i] - opsi[i]) * p->inv_dt;
		double xphi = (fabs(phi[i]) + fabs(ophi[i])) * p->inv_dt;
		double xpsi = (fabs(psi[i]) + fabs(opsi[i])) * p->inv_dt;
		s->V[i] = fabs(residual_penalty(p->kp, phi[i])) + gam * p->inv_eta[i] +
			  (1 + psi[i] * psi[i]) * phid + fabs(phi[i] * psi[i]) * psid + ce * fabs(psi[i]) * I;
		s->W[i] = (1 + psi[i] * psi[i]) * xphi;
		s->Wd[i] = fabs(phi[i] * psi[i]) * xpsi;
		s->V[n + 1 + i] = fabs(residual_penalty(p->kp, psi[i])) +
				  fabs(p->b[i] * p->alpha * p->inv_eta[i] * psi[i]) + fabs(phi[i] * psi[i]) * phid +
				  phi[i] * phi[i] * psid + ce * fabs(phi[i]) * I;
		s->W[n + 1 + i] = fabs(phi[i] * psi[i]) * xphi;
		s->Wd[n + 1 + i] = phi[i] * phi[i] * xpsi;
		sum += fabs(phi[i]);
	}
	s->V[n] = gam + fabs(residual_penalty(p->kp, g[n])) + fabs(g[n] - go[n]) * p->inv_dt;
	s->W[n] = (fabs(g[n]) + fabs(go[n])) * p->inv_dt;
	s->V[2 * n + 1] = sum + 1;
}

/* The rounding scale of entry (i, j). */
static double entry_scale(const struct scales *s, int n, int i, int j)
{
	int k = i <= n ? i : i - n - 1; /* the species of row i (or n) */
	double x = s->V[i];
	if (i < 2 * n + 1) {
		if (j == k)
			x += s->W[i];
		else if (i != n && j == n + 1 + k)
			x += s->Wd[i];
	}
	return x;
}

/*
 * Compare J with central differences of residual_eval, column by column.
 *
 * Step: for the volume fractions h_j = 1e-6 max(|g_j|, 1e-3), i.e. 1e-6
 * relative (every fraction here is >= 0.006). That is a little below
 * eps^(1/3) (6e-6), the step balancing truncation and rounding of a
 * central difference, since most entries have no truncation error at all
 * (below). Q is linear in gamma, so there h = 1e-2 max(|gamma|, 1): the
 * difference is exact up to rounding and a large step makes that small.
 * The step actually taken is (g_j + h) - (g_j - h) as rounded, which is
 * exact (Sterbenz).
 *
 * Error of the central difference, per entry (i, j):
 *  - rounding: each evaluation of Q_i is off by at most about
 *    (n + 8) eps S_ij, where S_ij is the size of the row's terms
 *    (entry_scale: the terms as they are, plus eps |x| / dt for a
 *    difference quotient (x - x_old)/dt whose x is g_j; the n is for the
 *    sum in (A Phi)_i, the 8 for the few products and sums of each term).
 *    The difference of two evaluations over 2h is then off by
 *    (n + 8) eps S_ij / h, which we allow 4 times. On the diagonal of the
 *    phi and psi rows this is eps |x| / dt / (1e-6 |x|) ~ 1e-10 / dt,
 *    i.e. about eps^(2/3) relative to the entry (~ 1/dt);
 *  - truncation: h^2/6 |d^3 Q_i / dg_j^3|. Every term of Q other than the
 *    penalties is a polynomial of degree <= 2 in each single variable
 *    (e.g. phi_i psi_i psidot_i in psi_i), so central differences are
 *    exact for it; only the penalty entries (the diagonal of the phi,
 *    phi_0 and psi rows) get h^2/6 * max|P'''| on [g_j - h, g_j + h];
 *  - 1e-6 |J_ij| on top, for anything not modelled above.
 * A deliberately wrong entry (1e-3 relative) exceeds this for every
 * non-zero entry (test_comparison_catches_wrong_entry).
 *
 * Returns the number of entries out of tolerance and the largest ratio
 * |J_fd - J| / tolerance; prints the first few failures when `report`.
 */
static int jacobian_mismatches(const struct residual_params *p, const double *g, const double *go,
			       const double *J, int report, double *worst)
{
	const int n = p->n, d = 2 * n + 2;
	struct scales sc;
	double gp[D], gm[D], Qp[D], Qm[D];
	int bad = 0;

	row_scales(p, g, go, &sc);
	*worst = 0;
	for (int j = 0; j < d; j++) {
		double h = j == 2 * n + 1 ? 1e-2 * fmax(fabs(g[j]), 1.0) : 1e-6 * fmax(fabs(g[j]), 1e-3);
		memcpy(gp, g, sizeof(double) * (size_t)d);
		memcpy(gm, g, sizeof(double) * (size_t)d);
		gp[j] += h;
		gm[j] -= h;
		double step = gp[j] - gm[j];
		residual_eval(p, gp, go, Qp);
		residual_eval(p, gm, go, Qm);
		for (int i = 0; i < d; i++) {
			double fd = (Qp[i] - Qm[i]) / step;
			double Jij = J[i * d + j];
			double tol = 4.0 * (n + 8) * DBL_EPSILON * entry_scale(&sc, n, i, j) / (step / 2) +
				     1e-6 * fabs(Jij);
			if (i == j && i < 2 * n + 1) /* a penalty entry */
				tol += step * step / 24 * penalty_d3_bound(p->kp, g[j], step / 2);
			double diff = fabs(fd - Jij);
			if (diff / tol > *worst)
				*worst = diff / tol;
			if (!(diff <= tol)) {
				if (report && bad < 5)
					print_message("n = %d: J[%d][%d] = %.17g, finite difference %.17g, "
						      "diff %.3g > tol %.3g\n", n, i, j, Jij, fd, diff, tol);
				bad++;
			}
		}
	}
	return bad;
}

struct setup {
	struct model m;
	struct residual_params p;
	double theta[MODEL_MAX_THETA];
};

/* A model of n species with random eta, nutrients, antibiotics, theta. */
static void random_setup(struct rng *r, int n, double dt, double kp, struct setup *s)
{
	double eta[NS], phi0[NS];
	for (int i = 0; i < n; i++) {
		eta[i] = uniform(r, 0.5, 2.0);
		phi0[i] = 0.5 / n;
	}
	load(&s->m, model_obj(n, dt, eta, phi0, uniform(r, 10, 100), uniform(r, 1, 100), kp));
	for (int k = 0; k < s->m.n_theta; k++)
		s->theta[k] = uniform(r, 0, 3);
	residual_params_init(&s->p, &s->m, s->theta);
	assert_true(s->p.alpha > 0);
	/* and a step-dependent alpha, as the solver sets it */
	s->p.alpha = uniform(r, 1, 100);
}

static void test_jacobian_vs_finite_differences(void **state)
{
	(void)state;
	const double dts[2] = {1e-4, 1e-5};
	const double kps[2] = {1e-4, 1e-2};
	struct rng r;
	struct setup s;
	double g[D], go[D], J[D * D];
	double worst_all = 0;
	int cases = 0;

	rng_init(&r, rng_key(7, 1));
	for (int n = 1; n <= NS; n++)
		for (int t = 0; t < 2; t++)
			for (int k = 0; k < 2; k++)
				for (int rep = 0; rep < 10; rep++) {
					random_setup(&r, n, dts[t], kps[k], &s);
					random_state(&r, n, g);
					nearby_state(&r, n, g, go);
					residual_jacobian(&s.p, g, go, J);
					double worst;
					int bad = jacobian_mismatches(&s.p, g, go, J, 1, &worst);
					if (bad)
						fail_msg("n = %d, dt = %g, Kp = %g, case %d: %d Jacobian entries "
							 "differ from finite differences", n, dts[t], kps[k], rep, bad);
					worst_all = fmax(worst_all, worst);
					cases++;
					model_free(&s.m);
				}
	print_message("%d cases, largest |J_fd - J| / tolerance %.3g\n", cases, worst_all);
}

/* The comparison must be able to fail: a single entry off by 1e-3 of
 * itself is reported, for every non-zero entry. */
static void test_comparison_catches_wrong_entry(void **state)
{
	(void)state;
	struct rng r;
	struct setup s;
	double g[D], go[D], J[D * D];
	int tried = 0;

	rng_init(&r, rng_key(7, 2));
	for (int c = 0; c < 4 * NS; c++) {
		int n = 1 + c % NS;
		random_setup(&r, n, c % 2 ? 1e-5 : 1e-4, c % 3 ? 1e-4 : 1e-2, &s);
		random_state(&r, n, g);
		nearby_state(&r, n, g, go);
		residual_jacobian(&s.p, g, go, J);
		const int d = 2 * n + 2;
		double worst;
		assert_int_equal(jacobian_mismatches(&s.p, g, go, J, 1, &worst), 0);
		for (int e = 0; e < d * d; e++) {
			if (J[e] == 0)
				continue;
			double keep = J[e];
			J[e] = keep * (1 + 1e-3);
			int bad = jacobian_mismatches(&s.p, g, go, J, 0, &worst);
			if (bad != 1)
				fail_msg("n = %d: J[%d][%d] perturbed by 1e-3 relative: %d entries reported, "
					 "want 1", n, e / d, e % d, bad);
			J[e] = keep;
			tried++;
		}
		/* and an entry that must be zero (Q_0 does not depend on phi_0) */
		J[n] = 1e-3 * J[0];
		assert_int_equal(jacobian_mismatches(&s.p, g, go, J, 0, &worst), 1);
		model_free(&s.m);
	}
	assert_true(tried > 100);
}

/* P' of residual_dpenalty against central differences of P. Step
 * h = 1e-4 min(v, 1-v); error bound h^2/6 max|P'''| (penalty_d3_bound)
 * plus rounding 8 eps max|P| / h. */
static void test_dpenalty_vs_finite_differences(void **state)
{
	(void)state;
	const double vs[] = {0.001, 0.01, 0.05, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.95, 0.99, 0.999};
	const double kps[] = {1e-4, 1.0};

	for (size_t k = 0; k < sizeof kps / sizeof *kps; k++)
		for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
			double kp = kps[k], v = vs[i];
			double h = 1e-4 * fmin(v, 1 - v);
			double vp = v + h, vm = v - h, step = vp - vm;
			double Pp = residual_penalty(kp, vp), Pm = residual_penalty(kp, vm);
			double fd = (Pp - Pm) / step;
			double dp = residual_dpenalty(kp, v);
			double tol = step * step / 24 * penalty_d3_bound(kp, v, step / 2) +
				     8 * DBL_EPSILON * fmax(fabs(Pp), fabs(Pm)) / (step / 2);
			if (!(fabs(fd - dp) <= tol))
				fail_msg("Kp = %g, v = %g: P' = %.17g, finite difference %.17g, tol %.3g", kp, v,
					 dp, fd, tol);
			assert_true(dp > 0); /* P' = Kp (20v^2 - 20v + 6)/(v(v-1))^4 > 0 */
		}
}

/* The penalty of residual.h is both forms of DESIGN §1, and odd about 1/2. */
static void test_penalty_matches_design(void **state)
{
	(void)state;
	const double kp = 1e-4;
	for (int k = 1; k < 100; k++) {
		double v = k / 100.0;
		double p = residual_penalty(kp, v);
		double phi_form = kp * (2 - 4 * v) / (pow(v - 1, 3) * pow(v, 3));
		double psi_form = -2 * kp / (pow(v - 1, 2) * pow(v, 3)) - 2 * kp / (pow(v - 1, 3) * pow(v, 2));
		double scale = 2 * kp / (pow(v - 1, 2) * pow(v, 3)) + 2 * kp / fabs(pow(v - 1, 3) * pow(v, 2));
		assert_true(fabs(p - phi_form) <= 1e-14 * scale);
		assert_true(fabs(p - psi_form) <= 1e-14 * scale);
		assert_true(fabs(p + residual_penalty(kp, 1 - v)) <= 1e-14 * scale);
	}
	assert_true(residual_penalty(kp, 0.5) == 0);
}

/* Q against a direct transcription of the equations of DESIGN §1 (with
 * eta_i multiplied out, as written there), so that an error shared by
 * the residual and its Jacobian would still be seen. */
static void test_eval_matches_design(void **state)
{
	(void)state;
	struct rng r;
	struct setup s;
	double g[D], go[D], Q[D];
	struct scales sc;

	rng_init(&r, rng_key(7, 3));
	for (int n = 1; n <= NS; n++) {
		random_setup(&r, n, 1e-4, 1e-4, &s);
		random_state(&r, n, g);
		nearby_state(&r, n, g, go);
		residual_eval(&s.p, g, go, Q);
		row_scales(&s.p, g, go, &sc);
		const double dt = s.m.dt, c = s.m.nutrients, kp = s.m.penalty, alpha = s.p.alpha;
		const double *phi = g, *psi = g + n + 1, *ophi = go, *opsi = go + n + 1;
		double A[NS][NS], b[NS], want[D], sum = 0;
		int t = 0;
		for (int i = 0; i < n; i++)
			for (int j = i; j < n; j++)
				A[i][j] = A[j][i] = s.theta[t++];
		for (int i = 0; i < n; i++)
			b[i] = s.theta[t++];
		for (int i = 0; i < n; i++) {
			double eta = s.m.eta[i], APhi = 0, v;
			for (int j = 0; j < n; j++)
				APhi += A[i][j] * phi[j] * psi[j];
			double phidot = (phi[i] - ophi[i]) / dt, psidot = (psi[i] - opsi[i]) / dt;
			v = phi[i];
			want[i] = kp * (2 - 4 * v) / (pow(v - 1, 3) * pow(v, 3)) +
				  (g[2 * n + 1] + (eta + eta * psi[i] * psi[i]) * phidot +
				   eta * phi[i] * psi[i] * psidot) / eta -
				  (c / eta) * psi[i] * APhi;
			v = psi[i];
			want[n + 1 + i] = -2 * kp / (pow(v - 1, 2) * pow(v, 3)) -
					  2 * kp / (pow(v - 1, 3) * pow(v, 2)) + (b[i] * alpha / eta) * v +
					  phi[i] * v * phidot + phi[i] * phi[i] * psidot -
					  (c / eta) * phi[i] * APhi;
			sum += phi[i];
		}
		double p0 = g[n];
		want[n] = g[2 * n + 1] + kp * (2 - 4 * p0) / (pow(p0 - 1, 3) * pow(p0, 3)) +
			  (p0 - go[n]) / dt;
		want[2 * n + 1] = sum + p0 - 1;
		for (int i = 0; i < 2 * n + 2; i++)
			if (!(fabs(Q[i] - want[i]) <= 64 * DBL_EPSILON * (sc.V[i] + sc.W[i] + sc.Wd[i])))
				fail_msg("n = %d: Q[%d] = %.17g, DESIGN formula %.17g", n, i, Q[i], want[i]);
		model_free(&s.m);
	}
}

/* residual_params_init: 1/dt, Kp, c*, alpha at step 1, 1/eta, A, b. */
static void test_params_init(void **state)
{
	(void)state;
	const double eta[3] = {1, 2, 4}, phi0[3] = {0.1, 0.2, 0.3};
	const double theta[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	struct model m;
	struct residual_params p;

	json_t *o = model_obj(3, 1e-4, eta, phi0, 25, 0, 1e-3);
	json_object_set_new(o, "antibiotics", json_pack("{s:i, s:f, s:f}", "after_step", 0, "before", 1.0,
							 "after", 50.0));
	load(&m, o);
	residual_params_init(&p, &m, theta);
	assert_int_equal(p.n, 3);
	assert_true(p.inv_dt == 1.0 / 1e-4);
	assert_true(p.kp == 1e-3);
	assert_true(p.c == 25);
	assert_true(p.alpha == 50); /* after_step 0: "after" from step 1 */
	assert_true(p.inv_eta[0] == 1 && p.inv_eta[1] == 0.5 && p.inv_eta[2] == 0.25);
	const double A[9] = {1, 2, 3, 2, 4, 5, 3, 5, 6};
	assert_memory_equal(p.A, A, sizeof A);
	assert_true(p.b[0] == 7 && p.b[1] == 8 && p.b[2] == 9);
	model_free(&m);
}

/* At the initial state of the paper's models, with g_{k-1} = g_k, the
 * volume constraint holds exactly, the time derivatives vanish, and Q_n is
 * gamma0 + P(phi_0). */
static void test_initial_state(void **state)
{
	(void)state;
	static const struct {
		int n;
		double phi0[4], eta[4], c, alpha, dt;
	} cases[] = {
		{2, {0.25, 0.30}, {1, 2}, 100, 10, 1e-4},                   /* Case I */
		{2, {0.2, 0.2}, {1, 1}, 100, 100, 1e-5},                    /* M1 */
		{2, {0.2, 0.2}, {1, 1}, 100, 10, 1e-5},                     /* M2 */
		{4, {0.02, 0.02, 0.02, 0.02}, {1, 1, 1, 1}, 25, 0, 1e-4},   /* M3 */
	};
	double theta[MODEL_MAX_THETA], g[D], Q[D];

	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		struct model m;
		struct residual_params p;
		int n = cases[c].n;
		load(&m, model_obj(n, cases[c].dt, cases[c].eta, cases[c].phi0, cases[c].c, cases[c].alpha,
				   1e-4));
		for (int k = 0; k < m.n_theta; k++)
			theta[k] = 0.1 * (k + 1);
		residual_params_init(&p, &m, theta);
		model_initial_state(&m, g);
		residual_eval(&p, g, g, Q);
		if (Q[2 * n + 1] != 0.0)
			fail_msg("case %zu: volume constraint row %.17g, want exactly 0", c, Q[2 * n + 1]);
		assert_true(Q[n] == m.gamma0 + residual_penalty(m.penalty, g[n]));
		assert_true(g[2 * n + 1] == 1e-6);
		for (int i = 0; i < n; i++)
			assert_true(g[n + 1 + i] == 0.999);
		model_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_init),
		cmocka_unit_test(test_penalty_matches_design),
		cmocka_unit_test(test_dpenalty_vs_finite_differences),
		cmocka_unit_test(test_eval_matches_design),
		cmocka_unit_test(test_jacobian_vs_finite_differences),
		cmocka_unit_test(test_comparison_catches_wrong_entry),
		cmocka_unit_test(test_initial_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
