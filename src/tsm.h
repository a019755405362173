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
 * The sensitivities are taken for a chosen set of parameters, the columns
 * (all of them by default; the likelihood needs only those that carry
 * variance). The moments of the observables phibar_i = phi_i psi_i follow
 * from them to first order.
 *
 * A struct tsm owns its workspace: running allocates nothing. One per
 * thread. With t->meter set (meter.h), the solver's phases and each
 * sensitivity step are timed.
 */
#ifndef BF_TSM_H
#define BF_TSM_H

#include "solver.h"

struct tsm {
	struct solver s;
	const struct model *m;
	struct meter *meter;            /* NULL (tsm_init): not timed */
	int d, P;                       /* state size, columns */
	int Pp;                         /* P padded to a multiple of LINALG_BLOCK */
	int param[MODEL_MAX_THETA];     /* column c is d / d theta_param[c] */
	/* column of a_ij for row i's (A Phi)_i (both orders), of b_i; -1 if
	 * that parameter is not a column */
	int acol[MODEL_MAX_SPECIES * MODEL_MAX_SPECIES];
	int bcol[MODEL_MAX_SPECIES];
	/* x1_k in the reduced layout, row-major with row stride Pp: rows
	 * 0..n-1 d phi, n..2n-1 d psi (solved in place each step); p0 the
	 * d phi_0 row, p0_prev the previous step's. d gamma is not needed by
	 * the recursion and is made only at saved steps. */
	double *y, *p0, *p0_prev;
	double J[LINALG_MAX * LINALG_MAX]; /* LU of the reduced dQ/dg_k at g_k */
	int piv[LINALG_MAX];
	double a0;
	const int *save;                /* the run's saved steps, for the hook */
	int n_save, r;
	double *out;                    /* n_save x d x P */
	/* when set, called at each saved row r with the state g and its
	 * d state / d theta (layout [state][column]); a status other than
	 * SOLVER_OK stops the run (the likelihood's early rejection) */
	enum solver_status (*on_row)(void *ctx, int r, const double *g, const double *dstate);
	void *on_row_ctx;
};

/* Sensitivities with respect to params[0..n_params-1] (ascending indices
 * into theta, no repeats), or to every parameter when params is NULL. */
BF_RESULT int tsm_init(struct tsm *t, const struct model *m, const int *params, int n_params,
		       struct err *e);
void tsm_free(struct tsm *t);

/* Solve at theta and propagate the sensitivities; at each save[r] (as in
 * solver_run) the state goes to states + r d and d state / d theta to
 * dstate + r d P, layout [state][column] (the golden files' when all
 * parameters are columns). */
void tsm_run(struct tsm *t, const double *theta, const int *save, int n_save, double *states,
	     double *dstate, struct solver_outcome *o);

/* The same d state / d theta by central differences of whole trajectories,
 * the check of the recursion: column c is (g(theta + h e_p) - g(theta -
 * h e_p)) / 2h with p = t->param[c] and h = rel_h max(|theta_p|, 1).
 * states gets the unperturbed run; work holds 2 n_save d doubles. A failing
 * run, perturbed or not, ends it with that outcome. */
void tsm_run_fd(struct tsm *t, const double *theta, double rel_h, const int *save, int n_save,
		double *states, double *dstate, double *work, struct solver_outcome *o);

/* First-order moments of phibar_i = phi_i psi_i at `rows` saved rows:
 * mean_i = phi_i psi_i and var_i = sum_c (d phibar_i / d theta_c)^2 sd_c^2
 * with d phibar = psi d phi + phi d psi (the phi-psi covariance is in it),
 * sd_c the standard deviation of the column's parameter. mean and var are
 * rows x species. */
void tsm_phibar_moments(const struct tsm *t, const double *states, const double *dstate, int rows,
			const double *sd, double *mean, double *var);

/* First-order variances of the state components themselves at `rows`
 * saved rows: var_s = sum_c (d g_s / d theta_c)^2 sd_c^2 (rows x state
 * size; the means are the states). */
void tsm_state_var(const struct tsm *t, const double *dstate, int rows, const double *sd, double *var);

#endif
