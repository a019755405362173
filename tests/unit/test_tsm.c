/*
 * test_tsm: the tangent-linear sensitivities against the golden files
 * (d state / d theta by central differences of whole trajectories from the
 * seed's solver at Newton tolerance 1e-13; DESIGN §6) and against our own
 * central differences of whole trajectories.
 *
 * Tolerance: 1e-6 relative (issue 3) plus the truncation error of the
 * golden central difference itself. That error is not negligible: with
 * h = 1e-5 max(1, |theta|), a small parameter such as b1 = 0.1 is stepped
 * by 1e-4 of itself, and the golden M1 d phi_1/d b1 at step 1500 is
 * 6e-6 (relative) off the h -> 0 limit (our central differences at
 * h = 1e-4, 1e-5, 1e-6: 2.23230e-3, 2.2336545e-3, 2.2336682e-3, against
 * the recursion's 2.2336683e-3). The truncation error is estimated per
 * entry by Richardson from our own trajectories, T = 4/3 (D(h) - D(h/2)),
 * and allowed twice; so is the rounding noise of a central difference of
 * states computed to full precision, 4 eps max(|g|, 1) / h (about 1e-10 for
 * the golden h; a Newton solution's error spreads over all components, so
 * a small component is as noisy as the O(1) ones; this matters for entries
 * near 1e-6, e.g. M3val d psi_4/d a11 at step 900, 2.5e-6, where the golden
 * and our value differ by 9.5e-12). gamma is another matter: the phi_0
 * equation makes it gamma = -(penalty(phi_0) + (phi_0,k - phi_0,k-1)/dt),
 * a difference of states over dt, so its error is that of the residual,
 * not eps |gamma|: the golden Newton tolerance (1e-13) or, when larger, the
 * rounding floor of the residual, 4 eps max|x| / dt (8.9e-11 at dt 1e-5),
 * times max(1, eta) (gamma/eta is in the phi equations); its central difference carries that over h (8.9e-6 at
 * dt = 1e-5; M2 d gamma/d b2 at step 1500 differs from the golden by
 * 4.7e-7, 3e-6 relative). Entries at or below 1e-9 are differences of rounding
 * noise and are not compared (issue 3).
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "examples.h"
#include "tsm.h"

#define GOLDEN_TOLERANCE 1e-13 /* Newton, max|Q|, of the golden runs */

#ifndef DATA_DIR
#define DATA_DIR "tests/data/golden"
#endif

static void check_golden(const char *name)
{
	char path[512];
	json_error_t je;
	struct model m;
	struct tsm t;
	struct err e;

	snprintf(path, sizeof path, "%s/%s.json", DATA_DIR, name);
	json_t *root = json_load_file(path, 0, &je);
	assert_non_null(root);
	json_t *mo = json_deep_copy(json_object_get(root, "model"));
	json_object_set_new(mo, "tolerance", json_real(1e-12));
	assert_int_equal(model_from_json(&m, mo, path, &e), 0);
	json_decref(mo);
	assert_int_equal(tsm_init(&t, &m, NULL, 0, &e), 0);

	double theta[MODEL_MAX_THETA];
	json_t *th = json_object_get(root, "theta");
	for (int p = 0; p < m.n_theta; p++)
		theta[p] = json_number_value(json_array_get(th, (size_t)p));
	json_t *sens = json_object_get(root, "sensitivity");
	json_t *steps = json_object_get(sens, "steps"), *ref = json_object_get(sens, "d_state_d_theta");
	int ns = (int)json_array_size(steps), d = model_state_size(&m), P = m.n_theta;
	int *save = malloc(sizeof(int) * (size_t)ns);
	double *states = malloc(sizeof(double) * (size_t)(ns * d));
	double *ds = malloc(sizeof(double) * (size_t)(ns * d * P));
	assert_non_null(save);
	assert_non_null(states);
	assert_non_null(ds);
	for (int r = 0; r < ns; r++)
		save[r] = (int)json_integer_value(json_array_get(steps, (size_t)r));

	struct solver_outcome o;
	tsm_run(&t, theta, save, ns, states, ds, &o);
	assert_int_equal(o.status, SOLVER_OK);
	assert_int_equal(o.saved, ns);

	/* our own central differences at the golden h and at h/2 */
	double *dh = malloc(sizeof(double) * (size_t)(ns * d * P));
	double *dh2 = malloc(sizeof(double) * (size_t)(ns * d * P));
	double *gp = malloc(sizeof(double) * (size_t)(ns * d)), *gm = malloc(sizeof(double) * (size_t)(ns * d));
	assert_non_null(dh);
	assert_non_null(dh2);
	assert_non_null(gp);
	assert_non_null(gm);
	for (int p = 0; p < P; p++)
		for (int half = 0; half < 2; half++) {
			double h = 1e-5 * fmax(1.0, fabs(theta[p])) / (half ? 2 : 1), tp[MODEL_MAX_THETA];
			struct solver_outcome oo;
			memcpy(tp, theta, sizeof tp);
			tp[p] = theta[p] + h;
			solver_init(&t.s, &m, tp);
			solver_run(&t.s, save, ns, gp, &oo);
			assert_int_equal(oo.status, SOLVER_OK);
			tp[p] = theta[p] - h;
			solver_init(&t.s, &m, tp);
			solver_run(&t.s, save, ns, gm, &oo);
			assert_int_equal(oo.status, SOLVER_OK);
			for (int i = 0; i < ns * d; i++)
				(half ? dh2 : dh)[(size_t)i * P + p] = (gp[i] - gm[i]) / (2 * h);
		}

	double worst = 0, eta_max = 1;
	int compared = 0;
	for (int i = 0; i < m.species; i++)
		eta_max = fmax(eta_max, m.eta[i]);
	for (int r = 0; r < ns; r++)
		for (int s = 0; s < d; s++)
			for (int p = 0; p < P; p++) {
				double g = json_number_value(
					json_array_get(json_array_get(json_array_get(ref, (size_t)r), (size_t)s), (size_t)p));
				double v = ds[((size_t)r * d + s) * P + p];
				if (fabs(g) <= 1e-9)
					continue;
				size_t at = ((size_t)r * d + s) * P + p;
				double trunc = 4.0 / 3.0 * fabs(dh[at] - dh2[at]);
				double h = 1e-5 * fmax(1.0, fabs(theta[p]));
				double noise = 4 * DBL_EPSILON * fmax(fabs(states[(size_t)r * d + s]), 1.0) / h;
				if (s == d - 1) /* gamma: converged only to the golden's 1e-13 */
					noise += fmax(GOLDEN_TOLERANCE, 4 * DBL_EPSILON / m.dt) * eta_max / h;
				double tol = 1e-6 * fabs(g) + 2 * trunc + noise;
				double ratio = fabs(v - g) / tol;
				compared++;
				if (ratio > worst)
					worst = ratio;
				if (ratio > 1)
					fail_msg("%s: step %d state %d param %s: ours %.12g, golden %.12g, "
						 "allowed %.3g (1e-6 relative + twice the golden's truncation %.3g)",
						 name, save[r], s, m.names[p], v, g, tol, trunc);
			}
	assert_true(compared > ns * d); /* the check compared something real */
	print_message("%s: worst error %.3g of the allowance over %d entries\n", name, worst, compared);
	free(dh);
	free(dh2);
	free(gp);
	free(gm);
	free(save);
	free(states);
	free(ds);
	tsm_free(&t);
	model_free(&m);
	json_decref(root);
}

static void test_case1(void **state) { (void)state; check_golden("case1"); }
static void test_case2_M1(void **state) { (void)state; check_golden("case2_M1"); }
static void test_case2_M2(void **state) { (void)state; check_golden("case2_M2"); }
static void test_case2_M3(void **state) { (void)state; check_golden("case2_M3"); }
static void test_case2_M3val(void **state) { (void)state; check_golden("case2_M3val"); }

/* ---- sensitivity columns ----
 *
 * tsm_init with a subset of columns must give, bitwise, the corresponding
 * columns of the full run: each column is its own right-hand side of the
 * same factorisation (built from the same converged states, solved by the
 * same row operations), and the trajectory itself does not depend on the
 * columns. Exact equality, not a tolerance: any difference would mean the
 * columns interact (a wrong scatter of dQ/dtheta, a stale padding column).
 */

/* The subset run of cols against the full run at every 50th step of m. */
static void check_columns(const struct model *m, const double *theta, const int *cols, int nc)
{
	const int d = model_state_size(m), P = m->n_theta;
	const int ns = m->steps / 50 + 1;
	struct tsm full, sub;
	struct err e = {0};
	struct solver_outcome of, os;
	int *save = malloc(sizeof(int) * (size_t)ns);
	double *gf = malloc(sizeof(double) * (size_t)(ns * d)), *gs = malloc(sizeof(double) * (size_t)(ns * d));
	double *xf = malloc(sizeof(double) * (size_t)(ns * d * P));
	double *xs = malloc(sizeof(double) * (size_t)(ns * d * (nc > 0 ? nc : 1)));

	assert_non_null(save);
	assert_non_null(gf);
	assert_non_null(gs);
	assert_non_null(xf);
	assert_non_null(xs);
	for (int r = 0; r < ns; r++)
		save[r] = 50 * r;
	assert_int_equal(tsm_init(&full, m, NULL, 0, &e), 0);
	if (tsm_init(&sub, m, cols, nc, &e))
		fail_msg("tsm_init with %d columns: %s", nc, e.msg);
	assert_int_equal(sub.P, nc);
	for (int c = 0; c < nc; c++)
		assert_int_equal(sub.param[c], cols[c]);
	tsm_run(&full, theta, save, ns, gf, xf, &of);
	tsm_run(&sub, theta, save, ns, gs, xs, &os);
	assert_int_equal(of.status, SOLVER_OK);
	assert_int_equal(os.status, SOLVER_OK);
	assert_int_equal(os.saved, ns);
	assert_int_equal(os.newton_iterations, of.newton_iterations);
	assert_memory_equal(gs, gf, sizeof(double) * (size_t)(ns * d));
	long nonzero = 0;
	for (int r = 0; r < ns; r++)
		for (int s = 0; s < d; s++)
			for (int c = 0; c < nc; c++) {
				double a = xs[((size_t)r * d + s) * nc + c], b = xf[((size_t)r * d + s) * P + cols[c]];
				if (memcmp(&a, &b, sizeof a) != 0)
					fail_msg("step %d state %d d/d%s: subset %.17g, full %.17g", save[r], s,
						 m->names[cols[c]], a, b);
				nonzero += a != 0;
			}
	assert_true(nc == 0 || nonzero > ns * d / 2); /* real sensitivities were compared */
	tsm_free(&full);
	tsm_free(&sub);
	free(save);
	free(gf);
	free(gs);
	free(xf);
	free(xs);
}

static void test_columns_subset(void **state)
{
	(void)state;
	struct model m;
	const double m1[] = {0.8, 2.0, 1.0, 0.1, 0.2};
	const double m3[] = {0.8, 2.0, 2.0, 1.0, 1.0, 2.0, 1.0, 1.5, 1.0, 2.0, 0.1, 0.2, 0.3, 0.4};

	load_example(&m, "M1");
	check_columns(&m, m1, (const int[]){1, 4}, 2);    /* a12 b2 */
	check_columns(&m, m1, (const int[]){0}, 1);       /* a11 alone */
	check_columns(&m, m1, (const int[]){0, 1, 2, 3}, 4); /* one full block, b2 left out */
	check_columns(&m, m1, (const int[]){0, 1, 2, 3, 4}, 5);
	check_columns(&m, m1, (const int[]){0}, 0);       /* no column: the states alone */
	model_free(&m);

	load_example(&m, "M3");
	check_columns(&m, m3, (const int[]){0, 13}, 2);   /* a11 b4 */
	check_columns(&m, m3, (const int[]){2, 3, 5, 6}, 4); /* a13 a14 a23 a24, learnt in M3 */
	check_columns(&m, m3, (const int[]){1, 4, 7, 8, 9, 12}, 6); /* across block boundaries */
	model_free(&m);
}

/* Columns must be ascending parameter indices without repeats. */
static void test_columns_refused(void **state)
{
	(void)state;
	struct model m;
	struct tsm t;
	static const struct {
		int cols[6], n;
	} bad[] = {
		{{4, 1}, 2}, {{1, 1}, 2}, {{0, 2, 1}, 3}, {{-1}, 1}, {{5}, 1}, {{0, 5}, 2},
		{{0, 1, 2, 3, 4, 4}, 6}, /* more columns than parameters */
		{{0}, -1},
	};

	load_example(&m, "M1");
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		struct err e = {0};
		int rc = tsm_init(&t, &m, bad[k].cols, bad[k].n, &e);
		if (rc != ERR_INPUT)
			fail_msg("columns case %zu: got %d, want ERR_INPUT", k, rc);
		assert_true(strlen(e.msg) > 0);
		tsm_free(&t);
	}
	model_free(&m);
}

/* ---- state variances ----
 *
 * tsm_state_var gives the first-order variance of each state component,
 * sum_c (d g_s / d theta_c)^2 sd_c^2. Checked against the same sum
 * written out here over d g / d theta by central differences of whole
 * trajectories, Richardson-extrapolated from relative steps 1e-4 and
 * 5e-5: D = (4 D(h/2) - D(h)) / 3 cancels the O(h^2) truncation, and steps
 * this large keep the difference's noise (the Newton tolerance over h,
 * about 1e-7 absolute at h = 1e-5: 2e-4 of the small d phi_0 / d a11
 * of M1) near 1e-9. The derivatives then agree to about 1e-7 relative,
 * the variances to twice that; 1e-6 relative is allowed, plus, for the
 * small derivatives where the noise still shows (d phi_0 late in M1), the
 * error the extrapolated derivative may carry, taken as |D(h/2) - D(h)|
 * and allowed twice: 2 sum_c 2 |D_c| sd_c^2 |D(h/2) - D(h)|_c. Variances
 * below 1e-18 (sd 1e-9) are compared absolutely. gamma, the last state,
 * is left out: its derivative is a difference of states over dt, with the
 * residual's error (see the top), and no figure or predictive uses it.
 * The initial state does not depend on theta: its variance must be
 * exactly 0.
 */
static void test_state_var(void **state)
{
	(void)state;
	static const char *const names[] = {"M1", "M3"};
	static const double thetas[][MODEL_MAX_THETA] = {
		{0.8, 2.0, 1.0, 0.1, 0.2},
		{0.8, 2.0, 2.0, 1.0, 1.0, 2.0, 1.0, 1.5, 1.0, 2.0, 0.1, 0.2, 0.3, 0.4},
	};

	for (int k = 0; k < 2; k++) {
		struct model m;
		struct tsm t;
		struct err e = {0};
		struct solver_outcome o;
		load_example(&m, names[k]);
		const int d = model_state_size(&m), P = m.n_theta, ns = m.steps / 100 + 1;
		const size_t cells = (size_t)(ns * d * P);
		int *save = malloc(sizeof(int) * (size_t)ns);
		double *g = malloc(sizeof(double) * (size_t)(ns * d)), *x = malloc(sizeof(double) * cells);
		double *x1 = malloc(sizeof(double) * cells), *x2 = malloc(sizeof(double) * cells);
		double *work = malloc(sizeof(double) * (size_t)(2 * ns * d));
		double *var = malloc(sizeof(double) * (size_t)(ns * d)), sd[MODEL_MAX_THETA];
		assert_true(save && g && x && x1 && x2 && work && var);
		for (int r = 0; r < ns; r++)
			save[r] = 100 * r;
		for (int c = 0; c < P; c++)
			sd[c] = 0.005 * thetas[k][c];
		assert_int_equal(tsm_init(&t, &m, NULL, 0, &e), 0);
		tsm_run(&t, thetas[k], save, ns, g, x, &o);
		assert_int_equal(o.status, SOLVER_OK);
		tsm_state_var(&t, x, ns, sd, var);
		tsm_run_fd(&t, thetas[k], 1e-4, save, ns, g, x1, work, &o);
		assert_int_equal(o.status, SOLVER_OK);
		tsm_run_fd(&t, thetas[k], 5e-5, save, ns, g, x2, work, &o);
		assert_int_equal(o.status, SOLVER_OK);
		long compared = 0;
		for (int r = 0; r < ns; r++)
			for (int s = 0; s < d - 1; s++) {
				double want = 0, tol = 1e-18;
				for (int c = 0; c < P; c++) {
					size_t i = ((size_t)r * d + s) * P + c;
					double D = (4 * x2[i] - x1[i]) / 3;
					want += D * sd[c] * (D * sd[c]);
					tol += 2 * 2 * fabs(D) * sd[c] * sd[c] * fabs(x2[i] - x1[i]);
				}
				tol += 1e-6 * want;
				double got = var[(size_t)r * d + s];
				if (r == 0) {
					if (got != 0)
						fail_msg("%s: the initial state's variance is %g, not 0", names[k], got);
					continue;
				}
				if (!(fabs(got - want) <= tol))
					fail_msg("%s step %d state %d: var %.10g, by differences %.10g", names[k], save[r], s,
						 got, want);
				compared += want > 1e-18;
			}
		assert_true(compared > (long)(ns - 1) * (d - 1) / 2); /* real variances were compared */
		tsm_free(&t);
		model_free(&m);
		free(save);
		free(g);
		free(x);
		free(x1);
		free(x2);
		free(work);
		free(var);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case1),
		cmocka_unit_test(test_case2_M1),
		cmocka_unit_test(test_case2_M2),
		cmocka_unit_test(test_case2_M3),
		cmocka_unit_test(test_case2_M3val),
		cmocka_unit_test(test_columns_subset),
		cmocka_unit_test(test_columns_refused),
		cmocka_unit_test(test_state_var),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
