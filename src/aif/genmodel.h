/*
 * genmodel: the generative model of a discrete active-inference agent
 * (DESIGN §3): the arrays A, B, C, D, the optional Dirichlet parameters
 * pA, pB, pD, the policy prior E, and the agent's options, with pymdp
 * 0.0.7's keywords and defaults.
 *
 * Invariants after genmodel_load/genmodel_from_json:
 *   - shapes agree: A[m] is num_obs[m] x num_states[0] x ... (C order, as
 *     numpy), B[f] is num_states[f] x num_states[f] x num_controls[f];
 *   - every column of A[m], B[f][:, :, u] and D[f] is a distribution
 *     (non-negative, sums to 1 within 1e-6); pA, pB, pD are non-negative;
 *   - policies holds every policy in pymdp's order (itertools.product over
 *     each factor's controls, time-major, the last factor at the last step
 *     varying fastest), n_policies x policy_len x n_factors;
 *   - the options are consistent (e.g. no parameter learning under MMP).
 * The model is read-only once loaded: agents share it across threads.
 */
#ifndef BF_GENMODEL_H
#define BF_GENMODEL_H
#include <jansson.h>
#include <stdint.h>
#include "err.h"

#define GENMODEL_MAX_FACTORS 8
#define GENMODEL_MAX_MODALITIES 8
#define GENMODEL_MAX_LEVELS 4096       /* states, observations or controls of one factor/modality */
#define GENMODEL_MAX_JOINT (1L << 22)  /* joint hidden states; also elements of one A[m] */
#define GENMODEL_MAX_POLICIES (1L << 22)
#define GENMODEL_MAX_POLICY_LEN 64

enum genmodel_algo { GENMODEL_VANILLA, GENMODEL_MMP };

struct genmodel_options {
	int policy_len, inference_horizon, algo, num_iter;
	double dF, dF_tol, gamma, alpha, lr_pA, lr_pB, lr_pD;
	int use_utility, use_states_info_gain, use_param_info_gain;
	int stochastic;           /* action_selection "stochastic" */
	int full;                 /* sampling_mode "full" (else "marginal") */
	int learn_A, learn_B, learn_D;
	int update_B_previous;    /* update_B with a_{t-1} instead of pymdp's a_t */
	unsigned char learn_modality[GENMODEL_MAX_MODALITIES]; /* modalities_to_learn */
	unsigned char learn_factor[GENMODEL_MAX_FACTORS];      /* factors_to_learn */
};

struct genmodel {
	int n_mod, n_fac;
	int num_obs[GENMODEL_MAX_MODALITIES];
	int num_states[GENMODEL_MAX_FACTORS];
	int num_controls[GENMODEL_MAX_FACTORS];
	long n_joint;              /* prod num_states */
	double *A[GENMODEL_MAX_MODALITIES], *pA[GENMODEL_MAX_MODALITIES];
	double *B[GENMODEL_MAX_FACTORS], *pB[GENMODEL_MAX_FACTORS];
	double *C[GENMODEL_MAX_MODALITIES];
	double *D[GENMODEL_MAX_FACTORS], *pD[GENMODEL_MAX_FACTORS];
	int has_pA, has_pB, has_pD;
	double *E;                 /* n_policies, or NULL (uniform) */
	int n_control_fac, control_fac_idx[GENMODEL_MAX_FACTORS];
	long n_policies;
	int *policies;             /* [policy][step][factor] */
	struct genmodel_options opt;
	json_t *json;              /* the model as read (stream headers) */
};

/* Load a model file: JSON, or one MessagePack map. Errors name the file,
 * the array and the index: "m.json: 'A'[0] column [2] sums to 0.9, not 1". */
BF_RESULT int genmodel_load(struct genmodel *g, const char *path, struct err *e);
/* The same from a parsed JSON object; `where` names it in messages. The
 * model keeps a reference to j. */
BF_RESULT int genmodel_from_json(struct genmodel *g, json_t *j, const char *where, struct err *e);
void genmodel_free(struct genmodel *g);

/* dst = src with each column (along the first axis of a rows x cols
 * array) divided by its sum: pymdp's norm_dist, no epsilon. src may be
 * dst. */
void genmodel_normalise_columns(const double *src, double *dst, int rows, long cols);

/* The element A[m][o, s] for the joint state index s (C order). */
static inline double genmodel_A(const struct genmodel *g, int m, int o, long s)
{
	return g->A[m][(long)o * g->n_joint + s];
}

/* A random model like pymdp's random_A_matrix/random_B_matrix (columns
 * drawn uniformly and normalised), with C zero and D uniform, one factor
 * per states[f] and one modality per obs[m]; policy_len in the options. */
struct genmodel_spec {
	int n_mod, n_fac;
	int obs[GENMODEL_MAX_MODALITIES], states[GENMODEL_MAX_FACTORS], controls[GENMODEL_MAX_FACTORS];
	int policy_len;
	uint64_t seed;
};
/* Parse "obs=6,states=8,controls=4[,policy_len=3][,seed=1]"; a list value
 * (states=4:2) gives several factors or modalities. */
BF_RESULT int genmodel_spec_parse(const char *arg, struct genmodel_spec *s, struct err *e);
BF_RESULT int genmodel_random_json(const struct genmodel_spec *s, json_t **out, struct err *e);

/* A model file (JSON object) from arrays: A[m] (num_obs[m] x joint) and
 * B[f] (ns x ns x nc) as flat C-order arrays, C zero, D given or uniform. */
BF_RESULT int genmodel_arrays_json(int n_mod, const int *num_obs, double *const *A, int n_fac,
				   const int *num_states, const int *num_controls, double *const *B,
				   double *const *D, json_t **out, struct err *e);
#endif
