/*
 * solver: the implicit-Euler time stepper with Newton's method (DESIGN §1).
 *
 * Each step solves Q(g_k, g_{k-1}; theta) = 0 from a quadratic-extrapolation
 * predictor, with a full Newton update per iteration; after every update
 * phi, phi_0 and psi are clamped to >= SOLVER_CLAMP. A step has converged
 * when max|Q| < tolerance at the current iterate (checked before the
 * update, so the returned state satisfies the tolerance). A tolerance below
 * the rounding floor of the residual, 4 eps max|x| / dt (Q holds terms
 * (x_k - x_{k-1})/dt; about 1e-10 when dt = 1e-5), cannot be met in double
 * precision and is raised to that floor. A struct solver
 * holds all workspace: stepping allocates nothing. One solver per thread.
 * Its meter (meter.h), NULL after solver_init, may be set to time the
 * assembly and the factorisation of each Newton iteration.
 */
#ifndef BF_SOLVER_H
#define BF_SOLVER_H

#include "linalg.h"
#include "meter.h"
#include "residual.h"

#define SOLVER_CLAMP 1e-8

enum solver_status {
	SOLVER_OK = 0,
	SOLVER_NO_CONVERGENCE, /* max_newton iterations without reaching the tolerance */
	SOLVER_SINGULAR,       /* the Jacobian could not be factored */
	SOLVER_NONFINITE,      /* the residual became NaN or infinite */
	SOLVER_STOPPED,        /* a hook stopped the run (not a failure of the solver) */
};

struct solver {
	const struct model *m;
	struct residual_params p;
	int dim;
	double Q[LINALG_MAX];
	/* LU of the last reduced Jacobian factored (residual.h; order 2n) and
	 * its a0 */
	double J[LINALG_MAX * LINALG_MAX];
	int piv[LINALG_MAX];
	double a0;
	struct meter *meter;     /* NULL (solver_init): not timed */
};

struct solver_outcome {
	enum solver_status status;
	int step;                /* the step that failed (status != SOLVER_OK) */
	int saved;               /* rows written to the output */
	long newton_iterations;  /* Jacobian solves, all steps */
};

void solver_init(struct solver *s, const struct model *m, const double *theta);

/* One step k >= 1: g holds the initial guess on entry and g_k on return;
 * g_prev is g_{k-1}. *iters gets the number of Newton updates. */
enum solver_status solver_step(struct solver *s, int k, const double *g_prev, double *g, int *iters);

/* Integrate from g_0 over all model steps, copying g_k into row r of out
 * (row length dim) for each save[r] == k. save is ascending, values in
 * 0..steps; the run ends at the last saved step (all steps if n_save is
 * 0), or at the first failing step, with the outcome saying so. */
void solver_run(struct solver *s, const int *save, int n_save, double *out, struct solver_outcome *o);

/* Called after each converged step k >= 1 with g_{k-1} and g_k (the
 * sensitivities ride along this way); a status other than SOLVER_OK stops
 * the run with that status at step k. */
typedef enum solver_status (*solver_hook_fn)(void *ctx, struct solver *s, int k, const double *g_prev,
					     const double *g);

/* solver_run with a hook after every step (hook may be NULL). */
void solver_run_hooked(struct solver *s, const int *save, int n_save, double *out, solver_hook_fn hook,
		       void *ctx, struct solver_outcome *o);

/* A message for a status, e.g. "newton did not converge". */
const char *solver_status_string(enum solver_status st);

#endif
