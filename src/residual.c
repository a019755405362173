/*
 * residual: parameter set-up and out-of-line instances of the kernels.
 */
#include "residual.h"

void residual_params_init(struct residual_params *p, const struct model *m, const double *theta)
{
	p->n = m->species;
	p->inv_dt = 1.0 / m->dt;
	p->kp = m->penalty;
	p->c = m->nutrients;
	p->alpha = model_antibiotics(m, 1);
	for (int i = 0; i < m->species; i++)
		p->inv_eta[i] = 1.0 / m->eta[i];
	model_unpack_theta(m, theta, p->A, p->b);
}

void residual_eval(const struct residual_params *p, const double *g, const double *go, double *Q)
{
	residual_eval_n(p, p->n, g, go, Q);
}

void residual_jacobian(const struct residual_params *p, const double *g, const double *go, double *J)
{
	residual_jacobian_n(p, p->n, g, go, J);
}
