/*
 * aif: the agent's step, rule by rule as pymdp 0.0.7.1 computes it (see
 * tests/data/aif/README.md, copied from the golden runs, for each rule and
 * its quirks). Layouts: a joint hidden state s is the C-order index over
 * factors; A[m] is num_obs[m] x n_joint; B[f] is [s'][s][u]; beliefs over
 * factors are concatenated (factor f at soff[f]).
 *
 * Epsilons follow pymdp exactly: 1e-16 inside logs and wnorm, exp(-16) only
 * inside the state information gain; normalisation of learnt arrays has no
 * epsilon.
 */
#include "aif/aif.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-16
#define TAU 0.25 /* pymdp's MMP gradient step */

/* ---- small kernels ---- */

static void softmax(double *x, long n)
{
	double mx = x[0], s = 0;
	for (long i = 1; i < n; i++)
		if (x[i] > mx)
			mx = x[i];
	for (long i = 0; i < n; i++) {
		x[i] = exp(x[i] - mx);
		s += x[i];
	}
	for (long i = 0; i < n; i++)
		x[i] /= s;
}

static double dot(const double *x, const double *y, long n)
{
	double s = 0;
	for (long i = 0; i < n; i++)
		s += x[i] * y[i];
	return s;
}

/* out = M x, M rows x cols row-major. */
static void matvec(const double *M, const double *x, int rows, long cols, double *out)
{
	for (int r = 0; r < rows; r++)
		out[r] = dot(M + (long)r * cols, x, cols);
}

static void log_eps(const double *x, double *out, long n)
{
	for (long i = 0; i < n; i++)
		out[i] = log(x[i] + EPS);
}

/* The outer product of the factors' beliefs q (concatenated) into qx, in
 * spm_cross's order of multiplication ((q0 q1) q2 ...). */
static void outer(const struct aif_agent *a, const double *q, double *qx)
{
	const struct genmodel *g = a->g;
	long n = 1;

	qx[0] = 1;
	for (int f = 0; f < g->n_fac; f++) {
		int ns = g->num_states[f];
		const double *qf = q + a->soff[f];
		for (long i = n - 1; i >= 0; i--) {
			double v = qx[i];
			for (int k = ns - 1; k >= 0; k--)
				qx[i * ns + k] = v * qf[k];
		}
		n *= ns;
	}
}

/* The joint beliefs: q itself for one factor, else their outer product. */
static const double *joint(const struct aif_agent *a, const double *q, double *qx)
{
	if (a->g->n_fac == 1)
		return q;
	outer(a, q, qx);
	return qx;
}

/* out[k] = sum over joint s with s_f = k of X[s] prod_{h != f} q_h[s_h]. */
static void contract_except(const struct aif_agent *a, const double *X, const double *q, int f, double *out)
{
	const struct genmodel *g = a->g;
	int idx[GENMODEL_MAX_FACTORS] = {0}, F = g->n_fac;

	memset(out, 0, sizeof(double) * (size_t)g->num_states[f]);
	for (long s = 0; s < g->n_joint; s++) {
		double w = X[s];
		for (int h = 0; h < F; h++)
			if (h != f)
				w *= q[a->soff[h] + idx[h]];
		out[idx[f]] += w;
		for (int h = F - 1; h >= 0; h--) {
			if (++idx[h] < g->num_states[h])
				break;
			idx[h] = 0;
		}
	}
}

/* ---- what depends on A and B ---- */

/* po over the joint outcomes of all modalities for joint state s: the
 * outer product of the A[m][:, s], in spm_cross's order of multiplication. */
static void outcome_joint(const struct aif_agent *a, long s, double *po)
{
	const struct genmodel *g = a->g;
	long n = 1;

	po[0] = 1;
	for (int m = 0; m < g->n_mod; m++) {
		int no = g->num_obs[m];
		for (long i = n - 1; i >= 0; i--) {
			double v = po[i];
			for (int o = no - 1; o >= 0; o--)
				po[i * no + o] = v * a->A[m][(long)o * g->n_joint + s];
		}
		n *= no;
	}
}

/* Per joint state, sum over joint outcomes of po log(po + exp(-16))
 * (spm_MDP_G's first term, cached because it depends on A only). */
static void derive_ambiguity(struct aif_agent *a)
{
	const double e16 = exp(-16.0);

	for (long s = 0; s < a->g->n_joint; s++) {
		double h = 0;
		outcome_joint(a, s, a->po);
		for (long j = 0; j < a->n_out; j++)
			h += a->po[j] * log(a->po[j] + e16);
		a->ambiguity[s] = h;
	}
}

/* spm_wnorm: 1/sum_0(p + eps) - 1/(p + eps), masked by p > 0. */
static void derive_wnorm(const double *p, double *w, int rows, long cols)
{
	for (long c = 0; c < cols; c++) {
		double s = 0;
		for (int r = 0; r < rows; r++)
			s += p[(long)r * cols + c] + EPS;
		for (int r = 0; r < rows; r++) {
			double v = p[(long)r * cols + c];
			w[(long)r * cols + c] = v > 0 ? 1.0 / s - 1.0 / (v + EPS) : 0.0;
		}
	}
}

static void derive_A(struct aif_agent *a)
{
	const struct genmodel *g = a->g;

	if (g->opt.use_states_info_gain)
		derive_ambiguity(a);
	for (int m = 0; m < g->n_mod; m++)
		if (a->WA[m])
			derive_wnorm(a->pA[m], a->WA[m], g->num_obs[m], g->n_joint);
}

static void derive_B(struct aif_agent *a)
{
	const struct genmodel *g = a->g;

	for (int f = 0; f < g->n_fac; f++) {
		int ns = g->num_states[f], nc = g->num_controls[f];
		for (int u = 0; u < nc; u++)
			for (int i = 0; i < ns; i++)
				for (int j = 0; j < ns; j++)
					a->Bu[f][((long)u * ns + i) * ns + j] = a->B[f][((long)i * ns + j) * nc + u];
		if (a->WB[f])
			derive_wnorm(a->pB[f], a->WB[f], ns, (long)ns * nc);
		/* MMP's backward message: spm_norm(B^T): (B[j, i, u] + eps) over
		 * its column sums, laid out [u][i][j] like Bu */
		if (a->transB[f])
			for (int u = 0; u < nc; u++)
				for (int j = 0; j < ns; j++) {
					double s = 0;
					for (int i = 0; i < ns; i++)
						s += a->B[f][((long)j * ns + i) * nc + u] + EPS;
					for (int i = 0; i < ns; i++)
						a->transB[f][((long)u * ns + i) * ns + j] =
							(a->B[f][((long)j * ns + i) * nc + u] + EPS) / s;
				}
	}
}

/* ---- set-up ---- */

static double *dup_doubles(const double *x, long n)
{
	double *p = malloc(sizeof *p * (size_t)n);
	if (p)
		memcpy(p, x, sizeof *p * (size_t)n);
	return p;
}

int aif_check_obs(const struct genmodel *g, const int *obs)
{
	for (int m = 0; m < g->n_mod; m++)
		if (obs[m] < 0 || obs[m] >= g->num_obs[m])
			return m;
	return -1;
}

int aif_agent_init(struct aif_agent *a, const struct genmodel *g, struct err *e)
{
	const struct genmodel_options *o = &g->opt;
	int M = g->n_mod, F = g->n_fac, L = o->policy_len, H = o->inference_horizon, ok = 1;
	long S = g->n_joint, P = g->n_policies, n_out = 1;

	memset(a, 0, sizeof *a);
	a->g = g;
	a->n_joint_controls = 1;
	for (int f = 0; f < F; f++) {
		a->soff[f] = a->sum_states;
		a->coff[f] = a->sum_controls;
		a->sum_states += g->num_states[f];
		a->sum_controls += g->num_controls[f];
		a->n_joint_controls *= g->num_controls[f];
	}
	for (int m = 0; m < M; m++) {
		a->ooff[m] = a->sum_obs;
		a->sum_obs += g->num_obs[m];
		n_out *= g->num_obs[m];
		if (o->use_states_info_gain && n_out > GENMODEL_MAX_JOINT)
			return err_set(e, ERR_INPUT,
				       "the joint outcomes of all modalities (%ld or more) are too many for the state "
				       "information gain",
				       n_out);
	}
	a->n_out = n_out;
	a->own_A = o->learn_A;
	a->own_B = o->learn_B;
	a->own_D = o->learn_D;
	for (int m = 0; m < M; m++) {
		a->A[m] = o->learn_A ? dup_doubles(g->A[m], (long)g->num_obs[m] * S) : g->A[m];
		a->pA[m] = g->has_pA && o->learn_A ? dup_doubles(g->pA[m], (long)g->num_obs[m] * S) : g->pA[m];
		ok &= a->A[m] && (!g->has_pA || a->pA[m]);
		a->lnC[m] = malloc(sizeof(double) * (size_t)g->num_obs[m]);
		ok &= a->lnC[m] != NULL;
		if (o->use_param_info_gain && g->has_pA)
			ok &= (a->WA[m] = malloc(sizeof(double) * (size_t)g->num_obs[m] * (size_t)S)) != NULL;
	}
	for (int f = 0; f < F; f++) {
		long nb = (long)g->num_states[f] * g->num_states[f] * g->num_controls[f];
		a->B[f] = o->learn_B ? dup_doubles(g->B[f], nb) : g->B[f];
		a->pB[f] = g->has_pB && o->learn_B ? dup_doubles(g->pB[f], nb) : g->pB[f];
		a->D[f] = o->learn_D ? dup_doubles(g->D[f], g->num_states[f]) : g->D[f];
		a->pD[f] = g->has_pD && o->learn_D ? dup_doubles(g->pD[f], g->num_states[f]) : g->pD[f];
		ok &= a->B[f] && a->D[f] && (!g->has_pB || a->pB[f]) && (!g->has_pD || a->pD[f]);
		ok &= (a->Bu[f] = malloc(sizeof(double) * (size_t)nb)) != NULL;
		if (o->use_param_info_gain && g->has_pB)
			ok &= (a->WB[f] = malloc(sizeof(double) * (size_t)nb)) != NULL;
		if (o->algo == GENMODEL_MMP)
			ok &= (a->transB[f] = malloc(sizeof(double) * (size_t)nb)) != NULL;
	}
	long qoj = o->use_states_info_gain && n_out > a->sum_obs ? n_out : a->sum_obs;
	long tmp = S > a->sum_states ? S : a->sum_states;
	for (int m = 0; m < M; m++)
		if (g->num_obs[m] > tmp)
			tmp = g->num_obs[m];
	ok &= (a->ambiguity = malloc(sizeof(double) * (size_t)S)) != NULL;
	ok &= (a->lnE = malloc(sizeof(double) * (size_t)P)) != NULL;
	ok &= (a->qs = calloc((size_t)a->sum_states, sizeof(double))) != NULL;
	ok &= (a->qs_prev = calloc((size_t)a->sum_states, sizeof(double))) != NULL;
	ok &= (a->qs_first = calloc((size_t)a->sum_states, sizeof(double))) != NULL;
	ok &= (a->prior = malloc(sizeof(double) * (size_t)a->sum_states)) != NULL;
	ok &= (a->lnprior = malloc(sizeof(double) * (size_t)a->sum_states)) != NULL;
	ok &= (a->q_pi = malloc(sizeof(double) * (size_t)P)) != NULL;
	ok &= (a->neg_efe = malloc(sizeof(double) * (size_t)P)) != NULL;
	ok &= (a->policy_probs = malloc(sizeof(double) * (size_t)P)) != NULL;
	ok &= (a->vfe = calloc((size_t)P, sizeof(double))) != NULL;
	ok &= (a->action_probs = malloc(sizeof(double) * (size_t)a->sum_controls)) != NULL;
	ok &= (a->logL = malloc(sizeof(double) * (size_t)S)) != NULL;
	ok &= (a->qx = malloc(sizeof(double) * (size_t)S)) != NULL;
	ok &= (a->qo = malloc(sizeof(double) * (size_t)a->sum_obs)) != NULL;
	ok &= (a->qoj = malloc(sizeof(double) * (size_t)qoj)) != NULL;
	if (o->use_states_info_gain)
		ok &= (a->po = malloc(sizeof(double) * (size_t)n_out)) != NULL;
	/* 2 S for the information gain's masked beliefs, 5 vectors of a
	 * factor's states for an MMP update */
	ok &= (a->tmp = malloc(sizeof(double) * (size_t)(2 * tmp + 5 * a->sum_states))) != NULL;
	ok &= (a->xs = malloc(sizeof(double) * (size_t)(L + H + 1) * (size_t)a->sum_states)) != NULL;
	ok &= (a->gsum = malloc(sizeof(double) * (size_t)(L + 1))) != NULL;
	if (o->algo == GENMODEL_MMP) {
		ok &= (a->lh = malloc(sizeof(double) * (size_t)H * (size_t)S)) != NULL;
		ok &= (a->seq = malloc(sizeof(double) * (size_t)P * (size_t)(H + L) * (size_t)a->sum_states)) != NULL;
		ok &= (a->latest = malloc(sizeof(double) * (size_t)a->sum_states)) != NULL;
		ok &= (a->obs_ring = malloc(sizeof(int) * (size_t)H * (size_t)M)) != NULL;
		ok &= (a->first_actions = malloc(sizeof(int) * (size_t)L * (size_t)F)) != NULL;
		ok &= (a->action_ring = malloc(sizeof(int) * (size_t)H * (size_t)F)) != NULL;
	}
	if (!ok) {
		aif_agent_free(a);
		return err_set(e, ERR_NOMEM, "out of memory for an agent");
	}
	for (int m = 0; m < M; m++) {
		/* calc_expected_utility softmaxes C first */
		memcpy(a->lnC[m], g->C[m], sizeof(double) * (size_t)g->num_obs[m]);
		softmax(a->lnC[m], g->num_obs[m]);
		log_eps(a->lnC[m], a->lnC[m], g->num_obs[m]);
	}
	for (long p = 0; p < P; p++)
		a->lnE[p] = log((g->E ? g->E[p] : 1.0 / (double)P) + EPS);
	derive_A(a);
	derive_B(a);
	aif_agent_new_trial(a);
	return 0;
}

void aif_agent_free(struct aif_agent *a)
{
	const struct genmodel *g = a->g;

	if (!g)
		return;
	for (int m = 0; m < GENMODEL_MAX_MODALITIES; m++) {
		if (a->own_A) {
			free(a->A[m]);
			if (g->has_pA)
				free(a->pA[m]);
		}
		free(a->lnC[m]);
		free(a->WA[m]);
	}
	for (int f = 0; f < GENMODEL_MAX_FACTORS; f++) {
		if (a->own_B) {
			free(a->B[f]);
			if (g->has_pB)
				free(a->pB[f]);
		}
		if (a->own_D) {
			free(a->D[f]);
			if (g->has_pD)
				free(a->pD[f]);
		}
		free(a->Bu[f]);
		free(a->WB[f]);
		free(a->transB[f]);
	}
	free(a->ambiguity);
	free(a->lnE);
	free(a->qs);
	free(a->qs_prev);
	free(a->qs_first);
	free(a->prior);
	free(a->lnprior);
	free(a->q_pi);
	free(a->neg_efe);
	free(a->policy_probs);
	free(a->vfe);
	free(a->action_probs);
	free(a->logL);
	free(a->qx);
	free(a->qo);
	free(a->qoj);
	free(a->po);
	free(a->tmp);
	free(a->xs);
	free(a->gsum);
	free(a->lh);
	free(a->seq);
	free(a->latest);
	free(a->obs_ring);
	free(a->first_actions);
	free(a->action_ring);
	memset(a, 0, sizeof *a);
}

void aif_agent_new_trial(struct aif_agent *a)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;

	if (o->learn_D && a->t > 0) {
		/* update_state_prior_dirichlet, then D = norm(pD) for every factor */
		const double *q0 = o->algo == GENMODEL_MMP ? a->latest : a->qs_first;
		for (int f = 0; f < g->n_fac; f++) {
			if (o->learn_factor[f])
				for (int s = 0; s < g->num_states[f]; s++)
					a->pD[f][s] += o->lr_pD * q0[a->soff[f] + s];
			genmodel_normalise_columns(a->pD[f], a->D[f], g->num_states[f], 1);
		}
	}
	a->t = 0;
	a->has_action = 0;
	for (int f = 0; f < g->n_fac; f++)
		for (int s = 0; s < g->num_states[f]; s++)
			a->qs[a->soff[f] + s] = 1.0 / g->num_states[f];
	if (o->algo == GENMODEL_MMP)
		for (int f = 0; f < g->n_fac; f++)
			memcpy(a->latest + a->soff[f], a->D[f], sizeof(double) * (size_t)g->num_states[f]);
}

/* ---- state inference (VANILLA): pymdp's run_vanilla_fpi ---- */

static void joint_likelihood(const struct aif_agent *a, const int *obs, double *L)
{
	const struct genmodel *g = a->g;
	long S = g->n_joint;

	for (long s = 0; s < S; s++)
		L[s] = 1.0;
	for (int m = 0; m < g->n_mod; m++) {
		const double *row = a->A[m] + (long)obs[m] * S;
		for (long s = 0; s < S; s++)
			L[s] *= row[s];
	}
}

/* sum_f [q_f . log(q_f + eps) - q_f . lnprior_f] */
static double entropy_terms(const struct aif_agent *a, const double *q)
{
	const struct genmodel *g = a->g;
	double F = 0;

	for (int f = 0; f < g->n_fac; f++) {
		const double *qf = q + a->soff[f];
		double negH = 0, xH = 0;
		for (int s = 0; s < g->num_states[f]; s++) {
			negH += qf[s] * log(qf[s] + EPS);
			xH -= qf[s] * a->lnprior[a->soff[f] + s];
		}
		F += negH + xH;
	}
	return F;
}

static void infer_states_fpi(struct aif_agent *a, const int *obs)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;
	long S = g->n_joint;

	if (a->has_action)
		for (int f = 0; f < g->n_fac; f++) {
			int ns = g->num_states[f];
			matvec(a->Bu[f] + (long)a->action[f] * ns * ns, a->qs + a->soff[f], ns, ns,
			       a->prior + a->soff[f]);
		}
	else
		for (int f = 0; f < g->n_fac; f++)
			memcpy(a->prior + a->soff[f], a->D[f], sizeof(double) * (size_t)g->num_states[f]);
	log_eps(a->prior, a->lnprior, a->sum_states);
	joint_likelihood(a, obs, a->logL);
	log_eps(a->logL, a->logL, S);
	if (g->n_fac == 1) {
		for (long s = 0; s < S; s++)
			a->qs[s] = a->logL[s] + a->lnprior[s];
		softmax(a->qs, S);
		return;
	}
	for (int f = 0; f < g->n_fac; f++)
		for (int s = 0; s < g->num_states[f]; s++)
			a->qs[a->soff[f] + s] = 1.0 / g->num_states[f];
	double Fprev = entropy_terms(a, a->qs), dF = o->dF;
	double *next = a->tmp;
	for (int it = 0; it < o->num_iter && dF >= o->dF_tol; it++) {
		/* every factor from the beliefs at the start of the iteration */
		for (int f = 0; f < g->n_fac; f++)
			contract_except(a, a->logL, a->qs, f, next + a->soff[f]);
		for (int f = 0; f < g->n_fac; f++) {
			double *qf = next + a->soff[f];
			for (int s = 0; s < g->num_states[f]; s++)
				qf[s] += a->lnprior[a->soff[f] + s];
			softmax(qf, g->num_states[f]);
		}
		memcpy(a->qs, next, sizeof(double) * (size_t)a->sum_states);
		outer(a, a->qs, a->qx);
		double F = entropy_terms(a, a->qs) - dot(a->logL, a->qx, S);
		dF = fabs(Fprev - F);
		Fprev = F;
	}
}

/* ---- expected free energy ---- */

/* spm_MDP_G: mutual information of states and (joint) outcomes under qx,
 * over joint states with qx > exp(-16). For one modality, qo (A qx, or
 * NULL) is the outcome distribution when no state falls below that. */
static double states_info_gain(struct aif_agent *a, const double *qx, const double *qo)
{
	const struct genmodel *g = a->g;
	const double thr = exp(-16.0);
	long S = g->n_joint;
	double G = 0, *qoj = a->qoj;

	if (g->n_mod == 1) {
		int no = g->num_obs[0], masked = 0;
		double *qm = a->tmp + S; /* beliefs below the threshold drop out */
		for (long s = 0; s < S; s++) {
			masked |= !(qx[s] > thr);
			qm[s] = qx[s] > thr ? qx[s] : 0.0;
			G += qm[s] * a->ambiguity[s];
		}
		if (masked || !qo) {
			matvec(a->A[0], qm, no, S, qoj);
			qo = qoj;
		}
		for (int o = 0; o < no; o++)
			G -= qo[o] * log(qo[o] + EPS);
		return G;
	}
	memset(qoj, 0, sizeof(double) * (size_t)a->n_out);
	for (long s = 0; s < S; s++) {
		if (!(qx[s] > thr))
			continue;
		G += qx[s] * a->ambiguity[s];
		outcome_joint(a, s, a->po);
		for (long j = 0; j < a->n_out; j++)
			qoj[j] += qx[s] * a->po[j];
	}
	for (long j = 0; j < a->n_out; j++)
		G -= qoj[j] * log(qoj[j] + EPS);
	return G;
}

/* The EFE terms of one time step of a policy: states x (concatenated) after
 * actions u from x_prev. */
static double step_value(struct aif_agent *a, const double *x, const double *x_prev, const int *u)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;
	long S = g->n_joint;
	const double *qx = joint(a, x, a->qx);
	int pa = o->use_param_info_gain && g->has_pA, pb = o->use_param_info_gain && g->has_pB;
	double v = 0;

	int need_qo = o->use_utility || pa || (o->use_states_info_gain && g->n_mod == 1);
	if (need_qo)
		for (int m = 0; m < g->n_mod; m++)
			matvec(a->A[m], qx, g->num_obs[m], S, a->qo + a->ooff[m]);
	if (o->use_utility)
		for (int m = 0; m < g->n_mod; m++)
			v += dot(a->qo + a->ooff[m], a->lnC[m], g->num_obs[m]);
	if (o->use_states_info_gain)
		v += states_info_gain(a, qx, need_qo ? a->qo : NULL);
	if (pa)
		for (int m = 0; m < g->n_mod; m++) {
			matvec(a->WA[m], qx, g->num_obs[m], S, a->tmp);
			v -= dot(a->qo + a->ooff[m], a->tmp, g->num_obs[m]);
		}
	if (pb)
		for (int f = 0; f < g->n_fac; f++) {
			int ns = g->num_states[f], nc = g->num_controls[f];
			const double *W = a->WB[f], *xp = x_prev + a->soff[f], *xf = x + a->soff[f];
			for (int i = 0; i < ns; i++) {
				double r = 0;
				for (int j = 0; j < ns; j++)
					r += W[((long)i * ns + j) * nc + u[f]] * xp[j];
				v -= xf[i] * r;
			}
		}
	return v;
}

/* Decode joint control index c (last factor fastest) into u[]. */
static void decode_controls(const struct genmodel *g, long c, int *u)
{
	for (int f = g->n_fac - 1; f >= 0; f--) {
		u[f] = (int)(c % g->num_controls[f]);
		c /= g->num_controls[f];
	}
}

/* Depth-first over policy prefixes: xs[k] holds the states after k steps,
 * gsum[k] the EFE of the prefix. */
static void efe_tree(struct aif_agent *a, int depth, long prefix)
{
	const struct genmodel *g = a->g;
	int L = g->opt.policy_len, u[GENMODEL_MAX_FACTORS];
	double *xp = a->xs + (long)(depth - 1) * a->sum_states, *x = xp + a->sum_states;

	for (long c = 0; c < a->n_joint_controls; c++) {
		decode_controls(g, c, u);
		for (int f = 0; f < g->n_fac; f++) {
			int ns = g->num_states[f];
			matvec(a->Bu[f] + (long)u[f] * ns * ns, xp + a->soff[f], ns, ns, x + a->soff[f]);
		}
		a->gsum[depth] = a->gsum[depth - 1] + step_value(a, x, xp, u);
		long idx = prefix * a->n_joint_controls + c;
		if (depth == L)
			a->neg_efe[idx] = a->gsum[depth];
		else
			efe_tree(a, depth + 1, idx);
	}
}

static void infer_policies_vanilla(struct aif_agent *a)
{
	memcpy(a->xs, a->qs, sizeof(double) * (size_t)a->sum_states);
	a->gsum[0] = 0;
	efe_tree(a, 1, 0);
}

static void policy_posterior(struct aif_agent *a, int with_vfe)
{
	const struct genmodel *g = a->g;

	for (long p = 0; p < g->n_policies; p++)
		a->q_pi[p] = a->neg_efe[p] * g->opt.gamma - (with_vfe ? a->vfe[p] : 0.0) + a->lnE[p];
	softmax(a->q_pi, g->n_policies);
}

/* ---- marginal message passing (pymdp's run_mmp, grad_descent) ---- */

/* The action of factor f at absolute time tau (tau < t). */
static int past_action(const struct aif_agent *a, long tau, int f)
{
	const struct genmodel *g = a->g;
	int L = g->opt.policy_len, H = g->opt.inference_horizon;
	return tau < L ? a->first_actions[tau * g->n_fac + f] : a->action_ring[(tau % H) * g->n_fac + f];
}

static void infer_states_mmp(struct aif_agent *a, const int *obs)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;
	int F = g->n_fac, L = o->policy_len, H = o->inference_horizon, ss = a->sum_states;
	long S = g->n_joint, t = a->t;
	int past = t + 1 < H ? (int)t + 1 : H, n = past + L, cutoff = past + L - 2;
	/* pymdp's window of past actions: all of them until the observations
	 * fill the horizon, then the last H-1 (for H = 1, prev_actions[-0:]
	 * is all of them, so the rows after the first come from the start of
	 * the episode: pymdp does this, and so do we) */
	long n_wa = t == 0 ? 0 : (t + 1 <= H || H == 1) ? t : H - 1;

	memcpy(a->obs_ring + (t % H) * g->n_mod, obs, sizeof(int) * (size_t)g->n_mod);
	for (int k = 0; k < past; k++) {
		long tau = t - past + 1 + k;
		joint_likelihood(a, a->obs_ring + (tau % H) * g->n_mod, a->lh + (long)k * S);
	}
	for (long p = 0; p < g->n_policies; p++) {
		const int *pol = g->policies + p * L * F;
		double *seq = a->seq + p * (long)(H + L) * ss, Fp = 0;
		for (int k = 0; k < n; k++)
			for (int f = 0; f < F; f++)
				for (int s = 0; s < g->num_states[f]; s++)
					seq[(long)k * ss + a->soff[f] + s] = 1.0 / g->num_states[f];
		for (int it = 0; it < o->num_iter; it++) {
			Fp = 0;
			for (int k = 0; k < n; k++) {
				for (int f = 0; f < F; f++) {
					int ns = g->num_states[f];
					double *q = seq + (long)k * ss + a->soff[f];
					double *lnA = a->tmp, *past_m = lnA + ns, *fut = past_m + ns, *err = fut + ns,
					       *sx = err + ns;
					if (k < past) {
						if (F == 1)
							memcpy(lnA, a->lh + (long)k * S, sizeof(double) * (size_t)ns);
						else
							contract_except(a, a->lh + (long)k * S, seq + (long)k * ss, f, lnA);
						log_eps(lnA, lnA, ns);
					} else {
						memset(lnA, 0, sizeof(double) * (size_t)ns);
					}
					if (k == 0) {
						log_eps(a->latest + a->soff[f], past_m, ns);
					} else {
						long row = k - 1;
						int u = row < n_wa ? past_action(a, t - n_wa + row, f) : pol[(row - n_wa) * F + f];
						matvec(a->Bu[f] + (long)u * ns * ns, seq + (long)(k - 1) * ss + a->soff[f], ns, ns,
						       past_m);
						log_eps(past_m, past_m, ns);
					}
					if (k >= cutoff) {
						memset(fut, 0, sizeof(double) * (size_t)ns);
					} else {
						long row = k;
						int u = row < n_wa ? past_action(a, t - n_wa + row, f) : pol[(row - n_wa) * F + f];
						matvec(a->transB[f] + (long)u * ns * ns, seq + (long)(k + 1) * ss + a->soff[f], ns,
						       ns, fut);
						log_eps(fut, fut, ns);
					}
					double coeff = k >= cutoff ? 1 : 2, mean = 0;
					memcpy(sx, q, sizeof(double) * (size_t)ns);
					for (int s = 0; s < ns; s++) {
						double lnq = log(sx[s] + EPS);
						err[s] = (coeff * lnA[s] + past_m[s] + fut[s]) - coeff * lnq;
						mean += err[s];
					}
					mean /= ns;
					for (int s = 0; s < ns; s++)
						q[s] = log(sx[s] + EPS) + TAU * (err[s] - mean);
					softmax(q, ns);
					double fv = 0;
					if (k == 0 || k == n - 1)
						for (int s = 0; s < ns; s++)
							fv += sx[s] * (0.5 * err[s]);
					else
						for (int s = 0; s < ns; s++)
							fv += sx[s] * (0.5 * (err[s] - (F - 1) * lnA[s] / F));
					Fp += fv;
				}
			}
		}
		a->vfe[p] = Fp;
	}
}

static void infer_policies_mmp(struct aif_agent *a)
{
	const struct genmodel *g = a->g;
	int L = g->opt.policy_len, H = g->opt.inference_horizon, ss = a->sum_states, F = g->n_fac;
	int past = a->t + 1 < H ? a->t + 1 : H;

	for (long p = 0; p < g->n_policies; p++) {
		const double *seq = a->seq + p * (long)(H + L) * ss;
		const int *pol = g->policies + p * L * F;
		double G = 0;
		/* the current time and the policy_len steps after it */
		for (int k = past - 1; k < past + L; k++)
			G += step_value(a, seq + (long)k * ss, k > 0 ? seq + (long)(k - 1) * ss : a->latest,
					pol + (k - past + 1 < L ? k - past + 1 : L - 1) * F);
		a->neg_efe[p] = G;
	}
}

/* ---- action ---- */

static int argmax(const double *x, long n)
{
	long best = 0;
	for (long i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return (int)best;
}

static void select_action(struct aif_agent *a, const int *forced, struct rng *r)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;
	int F = g->n_fac, L = o->policy_len;

	if (o->full) {
		long chosen = 0;
		if (o->stochastic) {
			for (long p = 0; p < g->n_policies; p++)
				a->policy_probs[p] = log(a->q_pi[p] + EPS) * o->alpha;
			softmax(a->policy_probs, g->n_policies);
			if (!forced) /* GENMODEL_MAX_POLICIES fits an int */
				chosen = rng_categorical(r, a->policy_probs, (int)g->n_policies);
		} else {
			long best = 0;
			for (long p = 1; p < g->n_policies; p++)
				if (a->q_pi[p] > a->q_pi[best])
					best = p;
			chosen = best;
		}
		for (int f = 0; f < F; f++)
			a->action[f] = forced ? forced[f] : g->policies[chosen * L * F + f];
		return;
	}
	/* marginal over each policy's first action, normalised */
	memset(a->action_probs, 0, sizeof(double) * (size_t)a->sum_controls);
	for (long p = 0; p < g->n_policies; p++)
		for (int f = 0; f < F; f++)
			a->action_probs[a->coff[f] + g->policies[p * L * F + f]] += a->q_pi[p];
	for (int f = 0; f < F; f++) {
		double *m = a->action_probs + a->coff[f];
		int nc = g->num_controls[f];
		double s = 0;
		for (int u = 0; u < nc; u++)
			s += m[u];
		for (int u = 0; u < nc; u++)
			m[u] /= s;
		if (o->stochastic) {
			for (int u = 0; u < nc; u++)
				m[u] = log(m[u] + EPS) * o->alpha;
			softmax(m, nc);
			a->action[f] = forced ? forced[f] : rng_categorical(r, m, nc);
		} else {
			a->action[f] = forced ? forced[f] : argmax(m, nc);
		}
	}
}

/* ---- learning ---- */

static void update_A(struct aif_agent *a, const int *obs)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;
	long S = g->n_joint;
	const double *qx = joint(a, a->qs, a->qx);

	for (int m = 0; m < g->n_mod; m++) {
		if (o->learn_modality[m]) {
			double *p = a->pA[m] + (long)obs[m] * S;
			const double *A = a->A[m] + (long)obs[m] * S;
			for (long s = 0; s < S; s++)
				p[s] += o->lr_pA * (qx[s] * (A[s] > 0 ? 1.0 : 0.0));
		}
		genmodel_normalise_columns(a->pA[m], a->A[m], g->num_obs[m], S);
	}
	derive_A(a);
}

static void update_B(struct aif_agent *a, const int *u)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;

	for (int f = 0; f < g->n_fac; f++) {
		int ns = g->num_states[f], nc = g->num_controls[f];
		if (o->learn_factor[f]) {
			const double *q = a->qs + a->soff[f], *qp = a->qs_prev + a->soff[f];
			for (int i = 0; i < ns; i++)
				for (int j = 0; j < ns; j++) {
					long k = ((long)i * ns + j) * nc + u[f];
					a->pB[f][k] += o->lr_pB * (q[i] * qp[j] * (a->B[f][k] > 0 ? 1.0 : 0.0));
				}
		}
		genmodel_normalise_columns(a->pB[f], a->B[f], ns, (long)ns * nc);
	}
	derive_B(a);
}

/* ---- the step ---- */

void aif_agent_step(struct aif_agent *a, const int *obs, const int *forced, struct rng *r)
{
	const struct genmodel *g = a->g;
	const struct genmodel_options *o = &g->opt;
	int F = g->n_fac, L = o->policy_len, H = o->inference_horizon;

	uint64_t t0 = meter_begin(a->meter);
	memcpy(a->qs_prev, a->qs, sizeof(double) * (size_t)a->sum_states);
	memcpy(a->last_action, a->action, sizeof a->action);
	if (o->algo == GENMODEL_MMP) {
		int past = a->t + 1 < H ? a->t + 1 : H, ss = a->sum_states;
		infer_states_mmp(a, obs);
		t0 = meter_lap(a->meter, METER_STATES, t0);
		infer_policies_mmp(a);
		policy_posterior(a, 1);
		/* the reported belief: the current time, averaged over policies */
		memset(a->qs, 0, sizeof(double) * (size_t)ss);
		for (long p = 0; p < g->n_policies; p++) {
			const double *x = a->seq + p * (long)(H + L) * ss + (long)(past - 1) * ss;
			for (int i = 0; i < ss; i++)
				a->qs[i] += x[i] * a->q_pi[p];
		}
	} else {
		infer_states_fpi(a, obs);
		t0 = meter_lap(a->meter, METER_STATES, t0);
		infer_policies_vanilla(a);
		policy_posterior(a, 0);
	}
	t0 = meter_lap(a->meter, METER_POLICIES, t0);
	if (a->t == 0)
		memcpy(a->qs_first, a->qs, sizeof(double) * (size_t)a->sum_states);
	select_action(a, forced, r);
	if (o->algo == GENMODEL_MMP) {
		int ss = a->sum_states;
		if (a->t < L)
			memcpy(a->first_actions + (long)a->t * F, a->action, sizeof(int) * (size_t)F);
		memcpy(a->action_ring + (long)(a->t % H) * F, a->action, sizeof(int) * (size_t)F);
		/* step_time: the prior of the next window is the policy average of
		 * this window's first beliefs, once the horizon has filled */
		if (a->t + 1 - H >= 0) {
			memset(a->latest, 0, sizeof(double) * (size_t)ss);
			for (long p = 0; p < g->n_policies; p++) {
				const double *x = a->seq + p * (long)(H + L) * ss;
				for (int i = 0; i < ss; i++)
					a->latest[i] += x[i] * a->q_pi[p];
			}
		}
	}
	t0 = meter_lap(a->meter, METER_ACTION, t0);
	if (o->learn_A || o->learn_B) {
		if (o->learn_A)
			update_A(a, obs);
		if (o->learn_B && a->t > 0)
			update_B(a, o->update_B_previous ? a->last_action : a->action);
		meter_lap(a->meter, METER_LEARNING, t0);
	}
	meter_count(a->meter, METER_AGENT_STEPS, 1);
	a->has_action = 1;
	a->t++;
}
