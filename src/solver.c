/*
 * solver: Newton's method per step and the time loop.
 *
 * The residual, Jacobian and LU kernels are instantiated for constant
 * orders (1 to 4 species, the sizes of the paper's cases) so the compiler
 * unrolls them; other sizes use the generic instance. The predictor is the
 * quadratic extrapolation g = 3 g_{k-1} - 3 g_{k-2} + g_{k-3} (linear at
 * k = 2). Newton updates per step at the truths of the Case II models
 * (tolerance 1e-6), quadratic / linear / previous state as the guess:
 * M1 0.89/1.07/2.02, M2 0.96/0.98/1.77, M3 1.04/1.12/2.07,
 * M3val 0.90/1.13/1.48; make bench (M1) went from 1.22 to 1.02 ms per
 * trajectory with it. phi_0 and gamma are eliminated from each update
 * (residual.h), which leaves a 2n x 2n factorisation.
 *
 * The sensitivity run (tsm.c) factors the Jacobian at each converged g_k
 * anyway; using it for the first update of step k + 1 (a chord step) saved
 * 16% (M1) to 23% (M3) of the instructions of a TSM run, but with dt 1e-4
 * the chord step could jump past the barrier at psi = 1 and converge to an
 * unphysical root or fail where solve succeeds (34 of 300 M3val thetas
 * from the prior, just after the antibiotics switch on). Every update is a
 * full Newton update, so solve and sensitivity follow the same trajectory
 * bit for bit.
 */
#include "solver.h"

#include <float.h>
#include <math.h>
#include <string.h>

void solver_init(struct solver *s, const struct model *m, const double *theta)
{
	s->m = m;
	s->dim = model_state_size(m);
	s->meter = NULL;
	residual_params_init(&s->p, m, theta);
}

static void clamp(double *g, int n)
{
	for (int i = 0; i <= 2 * n; i++)
		if (g[i] < SOLVER_CLAMP)
			g[i] = SOLVER_CLAMP;
}

/* The smallest max|Q| that double precision can promise: Q holds terms
 * x_k/dt, whose rounding is about eps |x| / dt (with a factor 1 + psi^2 <= 2
 * and a margin of 2). With dt = 1e-5 this is near 1e-10; tolerances below
 * it are met as far as they can be. */
static double rounding_floor(const double *g, int n, double inv_dt)
{
	double xmax = 0;
	for (int i = 0; i <= 2 * n; i++)
		xmax = fabs(g[i]) > xmax ? fabs(g[i]) : xmax;
	return 4 * DBL_EPSILON * inv_dt * xmax;
}

static inline enum solver_status newton_n(struct solver *s, int n, const double *g_prev, double *g,
					  int *iters)
{
	const int d = 2 * n + 2;
	const int max_it = s->m->max_newton;
	const double floor = rounding_floor(g_prev, n, s->p.inv_dt);
	const double tol = s->m->tolerance > floor ? s->m->tolerance : floor;
	double *Q = s->Q, *J = s->J;
	double y[LINALG_MAX], dx[LINALG_MAX];

	for (int it = 0;; it++) {
		uint64_t t0 = meter_begin(s->meter);
		residual_eval_n(&s->p, n, g, g_prev, Q);
		double norm = 0, sum = 0;
		for (int i = 0; i < d; i++) {
			double a = fabs(Q[i]);
			norm = a > norm ? a : norm;
			sum += a; /* NaN anywhere makes the sum NaN; the max skips it */
		}
		*iters = it;
		if (!isfinite(sum) || norm < tol || it == max_it) {
			meter_lap(s->meter, METER_ASSEMBLY, t0);
			return !isfinite(sum) ? SOLVER_NONFINITE : norm < tol ? SOLVER_OK : SOLVER_NO_CONVERGENCE;
		}
		residual_reduced_jacobian_n(&s->p, n, g, g_prev, J, &s->a0);
		t0 = meter_lap(s->meter, METER_ASSEMBLY, t0);
		int singular = linalg_lu_factor_n(J, 2 * n, s->piv);
		if (!singular) {
			residual_reduce_rhs(&s->p, n, s->a0, Q, y);
			linalg_lu_solve_n(J, 2 * n, s->piv, y);
			residual_expand(n, s->a0, Q, y, dx);
			for (int i = 0; i < d; i++)
				g[i] -= dx[i];
			clamp(g, n);
		}
		meter_lap(s->meter, METER_FACTOR, t0);
		if (singular)
			return SOLVER_SINGULAR;
	}
}

enum solver_status solver_step(struct solver *s, int k, const double *g_prev, double *g, int *iters)
{
	s->p.alpha = model_antibiotics(s->m, k);
	switch (s->p.n) {
	case 1: return newton_n(s, 1, g_prev, g, iters);
	case 2: return newton_n(s, 2, g_prev, g, iters);
	case 3: return newton_n(s, 3, g_prev, g, iters);
	case 4: return newton_n(s, 4, g_prev, g, iters);
	default: return newton_n(s, s->p.n, g_prev, g, iters);
	}
}

void solver_run(struct solver *s, const int *save, int n_save, double *out, struct solver_outcome *o)
{
	solver_run_hooked(s, save, n_save, out, NULL, NULL, o);
}

void solver_run_hooked(struct solver *s, const int *save, int n_save, double *out, solver_hook_fn hook,
		       void *ctx, struct solver_outcome *o)
{
	const struct model *m = s->m;
	const int d = s->dim, n = m->species;
	double buf[4][LINALG_MAX];
	double *g3 = buf[3], *g2 = buf[0], *g1 = buf[1], *g = buf[2]; /* g_{k-3}, g_{k-2}, g_{k-1}, g_k */
	int r = 0;

	memset(o, 0, sizeof *o);
	model_initial_state(m, g1);
	memcpy(g2, g1, sizeof(double) * (size_t)d);
	memcpy(g3, g1, sizeof(double) * (size_t)d);
	while (r < n_save && save[r] == 0)
		memcpy(out + (size_t)r++ * d, g1, sizeof(double) * (size_t)d);
	/* nothing past the last saved step is needed */
	const int last = n_save > 0 ? save[n_save - 1] : m->steps;
	for (int k = 1; k <= last; k++) {
		int iters;
		for (int i = 0; i < d; i++)
			g[i] = k >= 3 ? 3.0 * (g1[i] - g2[i]) + g3[i] : 2.0 * g1[i] - g2[i];
		clamp(g, n);
		enum solver_status st = solver_step(s, k, g1, g, &iters);
		o->newton_iterations += iters;
		if (st != SOLVER_OK) {
			o->status = st;
			o->step = k;
			break;
		}
		if (hook && (st = hook(ctx, s, k, g1, g)) != SOLVER_OK) {
			o->status = st;
			o->step = k;
			break;
		}
		while (r < n_save && save[r] == k)
			memcpy(out + (size_t)r++ * d, g, sizeof(double) * (size_t)d);
		double *t = g3;
		g3 = g2;
		g2 = g1;
		g1 = g;
		g = t;
	}
	o->saved = r;
	if (s->meter) {
		meter_count(s->meter, METER_STEPS, o->status == SOLVER_OK ? last : o->step);
		meter_count(s->meter, METER_NEWTON, o->newton_iterations);
	}
}

const char *solver_status_string(enum solver_status st)
{
	switch (st) {
	case SOLVER_OK: return "ok";
	case SOLVER_NO_CONVERGENCE: return "newton did not converge";
	case SOLVER_SINGULAR: return "singular jacobian";
	case SOLVER_NONFINITE: return "non-finite residual";
	case SOLVER_STOPPED: return "stopped";
	}
	return "unknown";
}
