/*
 * mixture: a likelihood with analytic densities, for tests and demos of
 * the TMCMC sampler (DESIGN §4): a mixture of axis-aligned Gaussians
 *
 *     L(theta) = exp(log_scale) sum_k w_k N(theta; mean_k, diag(sd_k^2))
 *
 * read from a spec file (JSON)
 *
 *     {"components": [{"weight": w, "mean": [..d..], "sd": [..d..]}, ...],
 *      "log_scale": c}
 *
 * "weight" is optional (default 1) and positive; the weights are
 * normalised to sum 1, so only their ratios matter. "log_scale" is
 * optional (default 0) and is added to every log-likelihood, so that an
 * evidence is not the prior's mass of a normalised density by accident.
 *
 * Against an independent prior (prior.h) the evidence, the posterior
 * moments and the posterior weight of each component are known exactly:
 * every term of the integral factorises into one-dimensional Gaussian
 * integrals over the prior's support (mixture_exact).
 *
 * Invariants after a successful load: 1 <= k <= MIXTURE_MAX_COMPONENTS,
 * 1 <= d <= PRIOR_MAX_DIM, every mean finite, every sd positive and
 * finite, the weights positive and summing to 1 (up to rounding), all the
 * derived constants finite.
 */
#ifndef BF_MIXTURE_H
#define BF_MIXTURE_H

#include <jansson.h>

#include "err.h"
#include "prior.h"

#define MIXTURE_MAX_COMPONENTS 64

struct mixture_component {
	double weight;                 /* normalised */
	double log_weight;             /* log of the normalised weight */
	double mean[PRIOR_MAX_DIM];
	double sd[PRIOR_MAX_DIM];
	double inv_sd[PRIOR_MAX_DIM];
	double log_norm;               /* log_weight - sum_i log sd_i - d log sqrt(2 pi) */
};

struct mixture {
	int d;                         /* dimension of theta */
	int k;                         /* number of components */
	double log_scale;
	struct mixture_component c[MIXTURE_MAX_COMPONENTS];
	json_t *json;                  /* the spec as read, for output headers */
};

/* Read the spec file at path; messages name the file, the component and
 * the field ("spec.json: component 2: 'sd' must have 3 positive numbers"). */
BF_RESULT int mixture_load(struct mixture *a, const char *path, struct err *e);
/* The same from a parsed JSON value; `where` names it in messages. Takes
 * its own reference to obj. */
BF_RESULT int mixture_from_json(struct mixture *a, json_t *obj, const char *where, struct err *e);
void mixture_free(struct mixture *a);

/* log L(theta), theta of a->d numbers. Finite as long as the squared
 * distance in sds from some mean is (it is -inf only when that overflows);
 * allocates nothing. */
double mixture_loglik(const struct mixture *a, const double *theta);

/* The responsibilities of the components at theta: r[j] = the share of
 * component j in L(theta) (summing to 1; all 0 where L underflows). */
void mixture_responsibilities(const struct mixture *a, const double *theta, double *r);

/* A batch evaluator (tmcmc.h's tmcmc_evaluator signature) over the
 * mixture ctx: the log-likelihood of each theta; ids and floor unused. */
BF_RESULT int mixture_batch(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d,
			    double *loglik, struct err *e);

struct mixture_exact {
	double log_evidence;           /* log of the integral of prior(theta) L(theta) */
	double mean[PRIOR_MAX_DIM];    /* posterior mean and sd of each parameter */
	double sd[PRIOR_MAX_DIM];
	double weight[MIXTURE_MAX_COMPONENTS]; /* posterior probability of each component */
};

/* The exact evidence and posterior summaries of L under the prior pr,
 * whose dimension must be a->d. ERR_INPUT when the dimensions differ, or
 * when the likelihood has no mass inside the prior's support that a
 * double can hold (every component beyond ~38 sds of the support). */
BF_RESULT int mixture_exact(const struct mixture *a, const struct prior *pr, struct mixture_exact *x,
			     struct err *e);

#endif
