/*
 * aif: one discrete active-inference agent, step by step, as pymdp 0.0.7's
 * numpy Agent computes it (infer_states, infer_policies, sample_action,
 * update_A, update_B, update_D); golden/aif's README lists each rule.
 *
 * An agent reads its generative model (shared, read-only) and owns what it
 * changes: beliefs, history, and copies of A, B, D and their Dirichlet
 * parameters when it learns them. All workspace is allocated by
 * aif_agent_init; aif_agent_step allocates nothing.
 *
 * Expected free energy is evaluated on the tree of policy prefixes: a
 * policy's G is a sum over its time steps of terms that depend only on the
 * actions up to that step, so the U + U^2 + ... + U^L prefixes are each
 * evaluated once instead of L U^L times (U = joint controls per step). The
 * result equals pymdp's up to the order of floating-point additions.
 */
#ifndef BF_AIF_H
#define BF_AIF_H
#include "err.h"
#include "aif/genmodel.h"
#include "meter.h"
#include "rng.h"

struct aif_agent {
	const struct genmodel *g;
	int sum_states, sum_controls, sum_obs;
	int soff[GENMODEL_MAX_FACTORS], coff[GENMODEL_MAX_FACTORS], ooff[GENMODEL_MAX_MODALITIES];
	long n_joint_controls;      /* controls per step over all factors (U) */
	long n_out;                 /* joint outcomes (prod num_obs) */
	int t;                      /* time step within the trial */
	/* the arrays in use: the model's, or the agent's own when learnt */
	double *A[GENMODEL_MAX_MODALITIES], *B[GENMODEL_MAX_FACTORS], *D[GENMODEL_MAX_FACTORS];
	double *pA[GENMODEL_MAX_MODALITIES], *pB[GENMODEL_MAX_FACTORS], *pD[GENMODEL_MAX_FACTORS];
	int own_A, own_B, own_D;
	/* derived from them */
	double *lnC[GENMODEL_MAX_MODALITIES]; /* log(softmax(C) + 1e-16) */
	double *Bu[GENMODEL_MAX_FACTORS];     /* B[f][:, :, u] contiguous per u */
	double *ambiguity;          /* per joint state: sum po log(po + e^-16) */
	double *WA[GENMODEL_MAX_MODALITIES];  /* wnorm(pA) masked by pA > 0 */
	double *WB[GENMODEL_MAX_FACTORS];
	double *lnE;
	/* beliefs and results of the last step (per factor, concatenated) */
	double *qs, *qs_prev, *qs_first;
	double *q_pi, *neg_efe, *action_probs, *policy_probs, *vfe;
	int action[GENMODEL_MAX_FACTORS], last_action[GENMODEL_MAX_FACTORS];
	int has_action;
	/* workspace */
	double *prior, *lnprior, *logL, *qx, *qo, *qoj, *po, *xs, *gsum, *tmp;
	/* MMP: likelihoods of the window, the policy-conditioned sequences,
	 * the backward transitions, the prior at the window's start, the
	 * first policy_len actions and a ring of the last horizon actions */
	double *lh, *seq, *transB[GENMODEL_MAX_FACTORS], *latest;
	int *obs_ring, *first_actions, *action_ring;
	struct meter *meter;        /* set after init to time the step's parts, or NULL */
};

BF_RESULT int aif_agent_init(struct aif_agent *a, const struct genmodel *g, struct err *e);
void aif_agent_free(struct aif_agent *a);

/* One step at time t: infer_states(obs), infer_policies(), then the action
 * (sampled with r when selection is stochastic, or `forced` when not
 * NULL), then learning. obs must be in range (aif_check_obs). */
void aif_agent_step(struct aif_agent *a, const int *obs, const int *forced, struct rng *r);

/* Start a new trial: with learn_D, update pD as pymdp's update_D would at
 * the end of the trial (VANILLA: from the trial's first belief; MMP: from
 * the belief before the inference window, the policy average pymdp keeps
 * as latest_belief, which is D while the window still reaches back to the
 * start); then time 0, prior D, no history. Learnt A, B and D are kept. */
void aif_agent_new_trial(struct aif_agent *a);

/* The first out-of-range modality, or -1. */
int aif_check_obs(const struct genmodel *g, const int *obs);
#endif
