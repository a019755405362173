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
 */
#include "tsm.h"

#include <stdlib.h>
#include <string.h>

int tsm_init(struct tsm *t, const struct model *m, struct err *e)
{
	memset(t, 0, sizeof *t);
	t->m = m;
	t->d = model_state_size(m);
	t->P = m->n_theta;
	size_t n = (size_t)t->d * (size_t)t->P;
	t->x = calloc(n, sizeof *t->x);
	t->x_next = calloc(n, sizeof *t->x_next);
	if (!t->x || !t->x_next) {
		tsm_free(t);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

void tsm_free(struct tsm *t)
{
	free(t->x);
	free(t->x_next);
	memset(t, 0, sizeof *t);
}

/* Add (A-derivative) contribution of (A Phi)_row changing by dI. */
static void add_interaction(const struct residual_params *p, int n, const double *g, int row, double dI,
			    double *col)
{
	double ce = p->c * p->inv_eta[row];
	col[row] -= ce * g[n + 1 + row] * dI;      /* phi_row equation: psi (A Phi) */
	col[n + 1 + row] -= ce * g[row] * dI;      /* psi_row equation: phi (A Phi) */
}

void tsm_dq_dtheta(const struct residual_params *p, const struct model *m, const double *g, int param,
		   double *col)
{
	const int n = m->species, d = 2 * n + 2;
	int k = 0;

	for (int i = 0; i < d; i++)
		col[i] = 0;
	for (int i = 0; i < n; i++)
		for (int j = i; j < n; j++, k++) {
			if (k != param)
				continue;
			add_interaction(p, n, g, i, g[j] * g[n + 1 + j], col);
			if (i != j)
				add_interaction(p, n, g, j, g[i] * g[n + 1 + i], col);
			return;
		}
	int i = param - k; /* b_i */
	col[n + 1 + i] = p->alpha * p->inv_eta[i] * g[n + 1 + i];
}

static enum solver_status tsm_step(void *ctx, struct solver *s, int k, const double *go, const double *g)
{
	struct tsm *t = ctx;
	const int n = t->m->species, d = t->d, P = t->P;
	const double idt = s->p.inv_dt;
	double col[LINALG_MAX];

	residual_jacobian(&s->p, g, go, t->J);
	if (linalg_lu_factor(t->J, d, t->piv))
		return SOLVER_SINGULAR;
	for (int q = 0; q < P; q++) {
		const double *x = t->x;
		tsm_dq_dtheta(&s->p, t->m, g, q, col);
		/* + dQ/dg_{k-1} x1_{k-1}, then negate */
		for (int i = 0; i < n; i++) {
			double phi = g[i], psi = g[n + 1 + i];
			double xphi = x[i * P + q], xpsi = x[(n + 1 + i) * P + q];
			col[i] -= ((1.0 + psi * psi) * xphi + phi * psi * xpsi) * idt;
			col[n + 1 + i] -= (phi * psi * xphi + phi * phi * xpsi) * idt;
		}
		col[n] -= x[n * P + q] * idt;
		for (int i = 0; i < d; i++)
			col[i] = -col[i];
		linalg_lu_solve(t->J, d, t->piv, col);
		for (int i = 0; i < d; i++)
			t->x_next[i * P + q] = col[i];
	}
	double *tmp = t->x;
	t->x = t->x_next;
	t->x_next = tmp;
	while (t->r < t->n_save && t->save[t->r] == k) {
		memcpy(t->out + (size_t)t->r * d * P, t->x, sizeof(double) * (size_t)d * P);
		t->r++;
	}
	return SOLVER_OK;
}

void tsm_run(struct tsm *t, const double *theta, const int *save, int n_save, double *states,
	     double *dstate, struct solver_outcome *o)
{
	const size_t dp = (size_t)t->d * (size_t)t->P;

	memset(t->x, 0, dp * sizeof *t->x);
	t->save = save;
	t->n_save = n_save;
	t->out = dstate;
	t->r = 0;
	while (t->r < n_save && save[t->r] == 0)
		memset(dstate + dp * (size_t)t->r++, 0, dp * sizeof *dstate);
	solver_init(&t->s, t->m, theta);
	solver_run_hooked(&t->s, save, n_save, states, tsm_step, t, o);
}
