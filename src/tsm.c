/*
 * tsm: the tangent-linear sensitivity recursion.
 *
 * dQ/dtheta (DESIGN §1 residual): theta_p = a_ij enters (A Phi)_i through
 * Phi_j and, when i != j, (A Phi)_j through Phi_i; the phi_i and psi_i rows
 * carry -(c/eta_i) psi_i (A Phi)_i and -(c/eta_i) phi_i (A Phi)_i. theta_p =
 * b_i enters the psi_i row as (alpha/eta_i) psi_i.
 * dQ/dg_{k-1}: only the time derivatives see g_{k-1}, each as -x_{k-1}/dt:
 * row phi_i: -(1 + psi_i^2)/dt dphi_i - phi_i psi_i/dt dpsi_i;
 * row phi_0: -dphi_0/dt; row psi_i: -phi_i psi_i/dt dphi_i - phi_i^2/dt dpsi_i.
 *
 * A step builds the right-hand sides of all columns at once, row by row
 * (the history term is a few multiples of rows of x1_{k-1}, dQ/dtheta a
 * scatter of at most n + 1 entries per row), and solves them with one
 * multi-right-hand-side LU solve whose inner loops run along the columns.
 * The kernels are instantiated for 1 to 4 species, as in the solver.
 * Instructions per M1 TSM run of 2500 steps (callgrind, 20 saved steps):
 * 10.4M with the full (2n+2) system and per-column loops, 8.0M with the
 * reduced 2n system (residual.h), 7.9M with column blocks, 7.3M with the
 * sensitivities kept in the reduced layout; 8.5M without the chord reuse
 * of this factorisation by the next Newton step, given up for robustness
 * (solver.c).
 */
#include "tsm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int tsm_init(struct tsm *t, const struct model *m, const int *params, int n_params, struct err *e)
{
	const int n = m->species;

	memset(t, 0, sizeof *t);
	t->m = m;
	t->d = model_state_size(m);
	if (!params)
		n_params = m->n_theta;
	if (n_params < 0 || n_params > m->n_theta)
		return err_set(e, ERR_INPUT, "%d sensitivity columns for %d parameters", n_params, m->n_theta);
	int col[MODEL_MAX_THETA];
	for (int p = 0; p < m->n_theta; p++)
		col[p] = -1;
	for (int c = 0; c < n_params; c++) {
		int p = params ? params[c] : c;
		if (p < 0 || p >= m->n_theta || (c > 0 && p <= t->param[c - 1]))
			return err_set(e, ERR_INPUT, "sensitivity columns must be ascending parameter indices");
		t->param[c] = p;
		col[p] = c;
	}
	t->P = n_params;
	int k = 0;
	for (int i = 0; i < n; i++)
		for (int j = i; j < n; j++, k++)
			t->acol[i * n + j] = t->acol[j * n + i] = col[k];
	for (int i = 0; i < n; i++)
		t->bcol[i] = col[k + i];
	t->Pp = (n_params + LINALG_BLOCK - 1) / LINALG_BLOCK * LINALG_BLOCK;
	size_t sz = (size_t)t->d * (size_t)(t->Pp > 0 ? t->Pp : 1);
	t->y = calloc(sz, sizeof *t->y);
	t->p0 = calloc(sz / (size_t)t->d, sizeof *t->p0);
	t->p0_prev = calloc(sz / (size_t)t->d, sizeof *t->p0_prev);
	if (!t->y || !t->p0 || !t->p0_prev) {
		tsm_free(t);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

void tsm_free(struct tsm *t)
{
	free(t->y);
	free(t->p0);
	free(t->p0_prev);
	memset(t, 0, sizeof *t);
}

/* One step of the recursion for n species: x1_{k-1} to x1_k, in place.
 * The right-hand sides -(dQ/dtheta + dQ/dg_{k-1} x1_{k-1}) are built
 * straight into their reduced form (residual.h: a phi row less 1/eta_i
 * times the phi_0 row's, whose only term is d phi_0 / dt; the constraint
 * row's is 0), row i from rows i and n + i of x1_{k-1} only, so in place;
 * d phi_0 follows as residual_expand has it. */
static inline enum solver_status step_n(struct tsm *t, int n, const struct residual_params *p,
					const double *restrict g, const double *restrict go)
{
	const int P = t->Pp, W = LINALG_BLOCK;
	const double idt = p->inv_dt;
	double *restrict Y = t->y;
	double Phi[MODEL_MAX_SPECIES], a0;

	residual_reduced_jacobian_n(p, n, g, go, t->J, &a0);
	if (linalg_lu_factor_n(t->J, 2 * n, t->piv))
		return SOLVER_SINGULAR;
	t->a0 = a0;
	double *tmp = t->p0_prev;
	t->p0_prev = t->p0;
	t->p0 = tmp;
	const double *restrict x0 = t->p0_prev;
	double *restrict xp0 = t->p0;
	for (int j = 0; j < n; j++)
		Phi[j] = g[j] * g[n + 1 + j];
	for (int i = 0; i < n; i++) {
		const double phi = g[i], psi = g[n + 1 + i], ie = p->inv_eta[i];
		const double a1 = (1.0 + psi * psi) * idt, a2 = phi * psi * idt, a3 = phi * phi * idt;
		const double a4 = ie * idt;
		double *yf = Y + i * P, *ys = Y + (n + i) * P;
		for (int c = 0; c < P; c += W)
			for (int q = 0; q < W; q++) {
				const double xf = yf[c + q], xs = ys[c + q];
				yf[c + q] = a1 * xf + a2 * xs - a4 * x0[c + q];
				ys[c + q] = a2 * xf + a3 * xs;
			}
		const double ce = p->c * ie;
		for (int j = 0; j < n; j++) {
			int c = t->acol[i * n + j];
			if (c >= 0) {
				yf[c] += ce * psi * Phi[j];
				ys[c] += ce * phi * Phi[j];
			}
		}
		if (t->bcol[i] >= 0)
			ys[t->bcol[i]] -= p->alpha * ie * psi;
	}
	linalg_lu_solve_multi_n(t->J, 2 * n, t->piv, Y, P);
	for (int c = 0; c < P; c++)
		xp0[c] = 0.0;
	for (int i = 0; i < n; i++)
		for (int c = 0; c < P; c += W)
			for (int q = 0; q < W; q++)
				xp0[c + q] -= Y[i * P + c + q];
	return SOLVER_OK;
}

/* x1_k in the state layout [state][column] into out (d x P). */
static void expand(const struct tsm *t, double *out)
{
	const int n = t->m->species, P = t->P, Pp = t->Pp;
	const double idt = t->s.p.inv_dt, a0 = t->a0;

	for (int i = 0; i < n; i++) {
		memcpy(out + (size_t)i * P, t->y + (size_t)i * Pp, sizeof(double) * (size_t)P);
		memcpy(out + (size_t)(n + 1 + i) * P, t->y + (size_t)(n + i) * Pp, sizeof(double) * (size_t)P);
	}
	memcpy(out + (size_t)n * P, t->p0, sizeof(double) * (size_t)P);
	/* gamma from the phi_0 row: a0 dphi_0 + dgamma = dphi_0,prev / dt */
	for (int c = 0; c < P; c++)
		out[(size_t)(2 * n + 1) * P + c] = t->p0_prev[c] * idt - a0 * t->p0[c];
}

static enum solver_status sensitivity_step(struct tsm *t, struct solver *s, int k, const double *go,
					   const double *g)
{
	enum solver_status st;

	switch (s->p.n) {
	case 1: st = step_n(t, 1, &s->p, g, go); break;
	case 2: st = step_n(t, 2, &s->p, g, go); break;
	case 3: st = step_n(t, 3, &s->p, g, go); break;
	case 4: st = step_n(t, 4, &s->p, g, go); break;
	default: st = step_n(t, s->p.n, &s->p, g, go); break;
	}
	if (st != SOLVER_OK)
		return st;
	const size_t dp = (size_t)t->d * (size_t)t->P;
	while (t->r < t->n_save && t->save[t->r] == k) {
		expand(t, t->out + (size_t)t->r * dp);
		if (t->on_row && (st = t->on_row(t->on_row_ctx, t->r, g, t->out + (size_t)t->r * dp)) != SOLVER_OK)
			return st;
		t->r++;
	}
	return SOLVER_OK;
}

static enum solver_status hook(void *ctx, struct solver *s, int k, const double *go, const double *g)
{
	uint64_t t0 = meter_begin(s->meter);
	enum solver_status st = sensitivity_step(ctx, s, k, go, g);
	meter_lap(s->meter, METER_SENSITIVITY, t0);
	return st;
}

void tsm_run(struct tsm *t, const double *theta, const int *save, int n_save, double *states,
	     double *dstate, struct solver_outcome *o)
{
	const size_t dp = (size_t)t->d * (size_t)t->P;

	memset(t->y, 0, (size_t)(t->d - 2) * (size_t)t->Pp * sizeof *t->y);
	memset(t->p0, 0, (size_t)t->Pp * sizeof *t->p0);
	t->save = save;
	t->n_save = n_save;
	t->out = dstate;
	t->r = 0;
	while (t->r < n_save && save[t->r] == 0)
		memset(dstate + dp * (size_t)t->r++, 0, dp * sizeof *dstate);
	solver_init(&t->s, t->m, theta);
	t->s.meter = t->meter;
	solver_run_hooked(&t->s, save, n_save, states, hook, t, o);
}

void tsm_run_fd(struct tsm *t, const double *theta, double rel_h, const int *save, int n_save,
		double *states, double *dstate, double *work, struct solver_outcome *o)
{
	const int d = t->d, P = t->P;
	const size_t nd = (size_t)n_save * (size_t)d;
	double *gp = work, *gm = work + nd, th[MODEL_MAX_THETA];
	long iters;

	solver_init(&t->s, t->m, theta);
	solver_run(&t->s, save, n_save, states, o);
	iters = o->newton_iterations;
	memcpy(th, theta, sizeof(double) * (size_t)t->m->n_theta);
	for (int c = 0; c < P && o->status == SOLVER_OK; c++) {
		const int q = t->param[c];
		const double h = rel_h * fmax(fabs(theta[q]), 1.0);
		struct solver_outcome op, om;
		th[q] = theta[q] + h;
		solver_init(&t->s, t->m, th);
		solver_run(&t->s, save, n_save, gp, &op);
		th[q] = theta[q] - h;
		solver_init(&t->s, t->m, th);
		solver_run(&t->s, save, n_save, gm, &om);
		th[q] = theta[q];
		iters += op.newton_iterations + om.newton_iterations;
		if (op.status != SOLVER_OK || om.status != SOLVER_OK) {
			*o = op.status != SOLVER_OK ? op : om;
			break;
		}
		for (size_t i = 0; i < nd; i++)
			dstate[i * (size_t)P + (size_t)c] = (gp[i] - gm[i]) / (2.0 * h);
	}
	o->newton_iterations = iters;
}

void tsm_phibar_moments(const struct tsm *t, const double *states, const double *dstate, int rows,
			const double *sd, double *mean, double *var)
{
	const int n = t->m->species, d = t->d, P = t->P;

	for (int r = 0; r < rows; r++) {
		const double *g = states + (size_t)r * d, *x = dstate + (size_t)r * d * P;
		for (int i = 0; i < n; i++) {
			const double phi = g[i], psi = g[n + 1 + i];
			const double *xf = x + i * P, *xs = x + (n + 1 + i) * P;
			double v = 0;
			for (int c = 0; c < P; c++) {
				double dy = (psi * xf[c] + phi * xs[c]) * sd[c];
				v += dy * dy;
			}
			mean[r * n + i] = phi * psi;
			var[r * n + i] = v;
		}
	}
}

void tsm_state_var(const struct tsm *t, const double *dstate, int rows, const double *sd, double *var)
{
	const int d = t->d, P = t->P;

	for (int r = 0; r < rows; r++)
		for (int s = 0; s < d; s++) {
			const double *x = dstate + ((size_t)r * d + s) * P;
			double v = 0;
			for (int c = 0; c < P; c++) {
				double dy = x[c] * sd[c];
				v += dy * dy;
			}
			var[(size_t)r * d + s] = v;
		}
}
