/*
 * residual: the discrete model equations, one implicit-Euler step.
 *
 * Q(g_k, g_{k-1}; theta) of Fritsch et al. 2025, eqs. 19-21, with the
 * penalty terms that keep phi, phi_0 and psi inside (0, 1) (DESIGN §1), and
 * its Jacobian dQ/dg_k. Rows: 0..n-1 the phi_i equations, n the phi_0
 * equation, n+1..2n the psi_i equations, 2n+1 the volume constraint.
 *
 * Both penalty terms of DESIGN §1 are the same function of v:
 *   Kp(2-4v)/((v-1)^3 v^3) = -2Kp/((v-1)^2 v^3) - 2Kp/((v-1)^3 v^2)
 *                          = -2 Kp (2v-1) / (v(v-1))^3,
 * with derivative Kp (20v^2 - 20v + 6) / (v(v-1))^4.
 *
 * The kernels are static inline so the solver can instantiate them for a
 * constant n; residual_eval/residual_jacobian are the out-of-line forms.
 */
#ifndef BF_RESIDUAL_H
#define BF_RESIDUAL_H

#include "model.h"

/* Everything a step needs besides the states; filled once per theta by
 * residual_params_init, alpha updated per step by the caller. */
struct residual_params {
	int n;
	double inv_dt, kp, c, alpha;
	double inv_eta[MODEL_MAX_SPECIES];
	double A[MODEL_MAX_SPECIES * MODEL_MAX_SPECIES]; /* symmetric, row-major */
	double b[MODEL_MAX_SPECIES];
};

void residual_params_init(struct residual_params *p, const struct model *m, const double *theta);

static inline double residual_penalty(double kp, double v)
{
	double q = v * (v - 1.0);
	return -2.0 * kp * (2.0 * v - 1.0) / (q * q * q);
}

static inline double residual_dpenalty(double kp, double v)
{
	double q = v * (v - 1.0), q2 = q * q;
	return kp * ((20.0 * v - 20.0) * v + 6.0) / (q2 * q2);
}

/* Q at g (= g_k) given go (= g_{k-1}); n must equal p->n. */
static inline void residual_eval_n(const struct residual_params *restrict p, int n,
				   const double *restrict g, const double *restrict go,
				   double *restrict Q)
{
	const double *phi = g, *psi = g + n + 1;
	const double *ophi = go, *opsi = go + n + 1;
	double Phi[MODEL_MAX_SPECIES];
	double gam = g[2 * n + 1], sum = g[n];

	for (int j = 0; j < n; j++)
		Phi[j] = phi[j] * psi[j];
	for (int i = 0; i < n; i++) {
		double I = 0;
		for (int j = 0; j < n; j++)
			I += p->A[i * n + j] * Phi[j];
		double phid = (phi[i] - ophi[i]) * p->inv_dt;
		double psid = (psi[i] - opsi[i]) * p->inv_dt;
		double ce = p->c * p->inv_eta[i];
		Q[i] = residual_penalty(p->kp, phi[i]) + gam * p->inv_eta[i] +
		       (1.0 + psi[i] * psi[i]) * phid + phi[i] * psi[i] * psid - ce * psi[i] * I;
		Q[n + 1 + i] = residual_penalty(p->kp, psi[i]) + p->b[i] * p->alpha * p->inv_eta[i] * psi[i] +
			       phi[i] * psi[i] * phid + phi[i] * phi[i] * psid - ce * phi[i] * I;
		sum += phi[i];
	}
	Q[n] = gam + residual_penalty(p->kp, g[n]) + (g[n] - go[n]) * p->inv_dt;
	Q[2 * n + 1] = sum - 1.0;
}

/* The phi/psi block of dQ/dg_k: rows and columns phi_0..phi_n-1 at 0..n-1,
 * psi_i at n + off + i, row stride ld (the full Jacobian has off = 1, the
 * phi_0 row and column between; the reduced one off = 0). */
static inline void residual_block_n(const struct residual_params *restrict p, int n,
				    const double *restrict g, const double *restrict go,
				    double *restrict K, int ld, int off)
{
	const double *phi = g, *psi = g + n + 1;
	const double *ophi = go, *opsi = go + n + 1;
	double Phi[MODEL_MAX_SPECIES];

	for (int j = 0; j < n; j++)
		Phi[j] = phi[j] * psi[j];
	for (int i = 0; i < n; i++) {
		double *ri = K + i * ld, *rs = K + (n + off + i) * ld;
		double I = 0;
		for (int j = 0; j < n; j++)
			I += p->A[i * n + j] * Phi[j];
		double phid = (phi[i] - ophi[i]) * p->inv_dt;
		double psid = (psi[i] - opsi[i]) * p->inv_dt;
		double ce = p->c * p->inv_eta[i];
		double cpsi = ce * psi[i], cphi = ce * phi[i];
		/* the interaction term -(c/eta_i) x_i (A Phi)_i, x = psi or phi */
		for (int j = 0; j < n; j++) {
			double a = p->A[i * n + j];
			ri[j] = -cpsi * a * psi[j];
			ri[n + off + j] = -cpsi * a * phi[j];
			rs[j] = -cphi * a * psi[j];
			rs[n + off + j] = -cphi * a * phi[j];
		}
		ri[i] += residual_dpenalty(p->kp, phi[i]) + (1.0 + psi[i] * psi[i]) * p->inv_dt +
			 psi[i] * psid;
		ri[n + off + i] += 2.0 * psi[i] * phid + phi[i] * psid + phi[i] * psi[i] * p->inv_dt - ce * I;
		rs[i] += psi[i] * phid + phi[i] * psi[i] * p->inv_dt + 2.0 * phi[i] * psid - ce * I;
		rs[n + off + i] += residual_dpenalty(p->kp, psi[i]) + p->b[i] * p->alpha * p->inv_eta[i] +
				   phi[i] * phid + phi[i] * phi[i] * p->inv_dt;
	}
}

/* d Q_phi0 / d phi_0, the one entry of the phi_0 row besides gamma's 1. */
static inline double residual_a0(const struct residual_params *p, const double *g, int n)
{
	return residual_dpenalty(p->kp, g[n]) + p->inv_dt;
}

/* J = dQ/dg_k at g, row-major (2n+2)^2. */
static inline void residual_jacobian_n(const struct residual_params *restrict p, int n,
				       const double *restrict g, const double *restrict go,
				       double *restrict J)
{
	const int d = 2 * n + 2;

	residual_block_n(p, n, g, go, J, d, 1);
	for (int i = 0; i < n; i++) {
		double *ri = J + i * d, *rs = J + (n + 1 + i) * d;
		ri[n] = 0.0;
		ri[2 * n + 1] = p->inv_eta[i];
		rs[n] = 0.0;
		rs[2 * n + 1] = 0.0;
	}
	double *r0 = J + n * d, *rc = J + (2 * n + 1) * d;
	for (int j = 0; j < d; j++) {
		r0[j] = 0.0;
		rc[j] = (j <= n) ? 1.0 : 0.0;
	}
	r0[n] = residual_a0(p, g, n);
	r0[2 * n + 1] = 1.0;
}

/*
 * The reduced Jacobian. phi_0 and gamma appear in two rows only: the phi_0
 * row, a0 dphi_0 + dgamma = r_phi0, and the volume constraint,
 * sum_j dphi_j + dphi_0 = r_c (and gamma in the phi rows as gamma/eta_i).
 * Eliminating them, dphi_0 = r_c - sum_j dphi_j and
 * dgamma = r_phi0 - a0 dphi_0, leaves the 2n x 2n system over (phi, psi)
 *
 *     (K + (a0/eta) 1^T) y = r_(phi,psi) - (1/eta)(r_phi0 - a0 r_c) on the phi rows,
 *
 * with K the phi/psi block of J: the same solution as the full system at
 * (2n)^3 instead of (2n+2)^3 work (a 2 x 2 border whose determinant is -1,
 * so the elimination needs no pivot). M is row-major (2n)^2 with phi rows
 * and columns first, then psi; *a0 receives a0.
 */
static inline void residual_reduced_jacobian_n(const struct residual_params *restrict p, int n,
					       const double *restrict g, const double *restrict go,
					       double *restrict M, double *restrict a0)
{
	const int m = 2 * n;

	residual_block_n(p, n, g, go, M, m, 0);
	*a0 = residual_a0(p, g, n);
	for (int i = 0; i < n; i++) {
		double w = *a0 * p->inv_eta[i];
		for (int j = 0; j < n; j++)
			M[i * m + j] += w;
	}
}

/* The right-hand side r (full order, state layout) reduced to y (2n, phi
 * then psi) for the reduced Jacobian. */
static inline void residual_reduce_rhs(const struct residual_params *restrict p, int n, double a0,
				       const double *restrict r, double *restrict y)
{
	const double t = r[n] - a0 * r[2 * n + 1];

	for (int i = 0; i < n; i++) {
		y[i] = r[i] - p->inv_eta[i] * t;
		y[n + i] = r[n + 1 + i];
	}
}

/* The full solution x (state layout) from the reduced one y and r. */
static inline void residual_expand(int n, double a0, const double *restrict r, const double *restrict y,
				   double *restrict x)
{
	double sum = 0;

	for (int i = 0; i < n; i++) {
		x[i] = y[i];
		x[n + 1 + i] = y[n + i];
		sum += y[i];
	}
	x[n] = r[2 * n + 1] - sum;
	x[2 * n + 1] = r[n] - a0 * x[n];
}

void residual_eval(const struct residual_params *p, const double *g, const double *go, double *Q);
void residual_jacobian(const struct residual_params *p, const double *g, const double *go, double *J);

#endif
