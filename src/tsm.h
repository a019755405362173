/*
 * tsm: first-order time-separated stochastic mechanics (DESIGN §1): the
 * sensitivities x1_k = d g_k / d theta along a trajectory, by the
 * tangent-linear recursion of the implicit-Euler step,
 *
 *     J_k x1_k = -(dQ/dtheta + dQ/dg_{k-1} x1_{k-1}),   x1_0 = 0,
 *
 * with J_k = dQ/dg_k at the converged g_k, factored once per step and used
 * for every parameter. The history term dQ/dg_{k-1} x1_{k-1} is what the
 * seed's code drops; with it the result matches finite differences of
 * whole trajectories (the golden files) to about 1e-6 relative.
 *
 * A struct tsm owns its workspace (two d x P matrices); running allocates
 * nothing. One per thread.
 */
#ifndef BF_TSM_H
#define BF_TSM_H

#include "solver.h"

struct tsm {
	struct solver s;
	const struct model *m;
	int d, P;
	double *x, *x_next;   /* d x P, row-major: x[state * P + param] */
	double J[LINALG_MAX * LINALG_MAX];
	int piv[LINALG_MAX];
	const int *save;      /* the run's saved steps, for the hook */
	int n_save, r;
	double *out;          /* n_save x d x P */
};

BF_RESULT int tsm_init(struct tsm *t, const struct model *m, struct err *e);
void tsm_free(struct tsm *t);

/* Solve at theta and propagate the sensitivities; at each save[r] (as in
 * solver_run) the state goes to states + r d and d state / d theta to
 * dstate + r d P, layout [state][parameter] (the golden files'). */
void tsm_run(struct tsm *t, const double *theta, const int *save, int n_save, double *states,
	     double *dstate, struct solver_outcome *o);

/* dQ/dtheta_p at g (column p of the d x P matrix), for tests. */
void tsm_dq_dtheta(const struct residual_params *p, const struct model *m, const double *g, int param,
		   double *col);

#endif
