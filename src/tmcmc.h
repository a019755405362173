/*
 * tmcmc: Transitional Markov chain Monte Carlo (Ching & Chen 2007) with the
 * improvements of Betz, Papaioannou & Straub (2016), one stage at a time
 * (DESIGN §1).
 *
 * A stage takes the population at beta_j (every loglik known) to beta_j+1:
 * dbeta by bisection so that the weights w_i = L_i^dbeta have the target
 * ESS; log-evidence increment log mean(w); Gaussian random-walk proposal
 * with the weighted sample covariance times scale^2; resampling by the
 * weights; then MH steps in which all N chains step together, so that each
 * step is one batch of likelihood evaluations through the evaluator. The
 * scale adapts after every step toward the target acceptance; the number
 * of steps is fixed or stops once the chains have decorrelated from where
 * they were resampled.
 *
 * Determinism: every random number comes from a stream keyed by (seed,
 * level, stage, chain, step, purpose), and every decision depends only on
 * those and on the loglik values, so the result is the same bytes whatever
 * evaluates the likelihood and in whatever order or grouping.
 */
#ifndef BF_TMCMC_H
#define BF_TMCMC_H

#include "err.h"
#include "meter.h"
#include "population.h"
#include "prior.h"

enum tmcmc_resample { TMCMC_SYSTEMATIC, TMCMC_MULTINOMIAL };

struct tmcmc_settings {
	double target_ess;        /* fraction of N (0, 1]; default 0.5 */
	double min_dbeta;         /* lower bound on dbeta; default 0 */
	double logl_scale;        /* multiplies loglik when choosing dbeta only; default 1 */
	double scale;             /* starting proposal scale; NaN: the population's, else 2.4/sqrt(d) */
	int adapt;                /* adapt the scale after each MH step; default 1 */
	double target_acceptance; /* NaN: 0.23 + 0.21/d */
	enum tmcmc_resample resample;
	int chain_steps;          /* > 0: exactly this many MH steps; 0: adaptive */
	int max_chain_steps;      /* adaptive: at most this many; default 50 */
	double decorrelation;     /* adaptive: stop when every |corr(start, now)| <= this */
};

void tmcmc_settings_default(struct tmcmc_settings *s);

/* The likelihood: loglik[i] for theta[i*d .. i*d+d-1], i < n, whose chain
 * numbers are ids[i] (strictly increasing). -inf is a failed evaluation; NaN
 * or +inf must not be returned. floor, when not NULL, says that only
 * whether loglik[i] >= floor[i] matters (an MH step rejects below it): an
 * evaluator that knows loglik[i] < floor[i] early may return -inf there
 * (early rejection); at or above the floor the value must be exact.
 * floor[i] = -inf asks for the value. Returns 0 or a negative error. */
struct tmcmc_evaluator {
	BF_RESULT int (*eval)(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d,
			      double *loglik, struct err *e);
	void *ctx;
	/* when set, a stage's own work (all but eval) is timed as the
	 * sampler's, and stages and evaluations are counted */
	struct meter *meter;
};

/* Purposes of random streams (the last word of a key). */
enum tmcmc_purpose { TMCMC_DRAW = 1, TMCMC_RESAMPLE, TMCMC_PROPOSE, TMCMC_ACCEPT };
uint64_t tmcmc_key(uint64_t seed, long level, long stage, long chain, long step, enum tmcmc_purpose purpose);

/* Stage 0: n draws from the prior (loglik not evaluated), beta 0. */
BF_RESULT int tmcmc_init(struct population *p, const struct prior *pr, int n, uint64_t seed, long level,
			 const struct tmcmc_settings *s, struct err *e);

/* Evaluate the records of p that lack a loglik (one batch); adds their
 * number to *evaluations and to p->evaluations_total. */
BF_RESULT int tmcmc_evaluate_missing(struct population *p, const struct tmcmc_evaluator *ev, long *evaluations,
				     struct err *e);

/* A run's step from one population file to the next, as tmcmc-stage and
 * infer take it (their bytes agree because both come here): the records
 * of `in` that lack a loglik are evaluated first (one batch: stage 0's
 * draws), then the stage runs from in to out (initialised by this call),
 * and out->evaluations counts both. in must be below beta = 1. */
BF_RESULT int tmcmc_advance(struct population *in, const struct prior *pr, const struct tmcmc_settings *s,
			    const struct tmcmc_evaluator *ev, struct population *out, struct err *e);

/* The step size dbeta for the logliks l[0..n-1] at beta (see top), and the
 * ESS (as a count) that the real weights L^dbeta have. */
BF_RESULT int tmcmc_choose_dbeta(const double *l, int n, double beta, const struct tmcmc_settings *s,
				 double *dbeta, double *ess, struct err *e);

/* log mean(exp(dbeta l_i)), with the maximum shifted out. */
double tmcmc_log_mean_weight(const double *l, int n, double dbeta);

/* Resample n indices out of n by the weights w (not necessarily normalised)
 * with uniforms from rng; idx comes out sorted. */
void tmcmc_resample(const double *w, int n, enum tmcmc_resample how, struct rng *rng, int *idx);

/* One stage: from `in` (every loglik known, beta < 1) to `out` (initialised
 * by this call). out->evaluations counts the stage's MH evaluations (a
 * caller that evaluated missing records first adds those);
 * out->evaluations_total is in's plus the stage's. */
BF_RESULT int tmcmc_stage(const struct population *in, const struct prior *pr, const struct tmcmc_settings *s,
			  const struct tmcmc_evaluator *ev, struct population *out, struct err *e);

/* The settings as a header's "tmcmc" map (d: the dimension, for the
 * default target acceptance). */
void tmcmc_pack_settings(msgpack_packer *pk, const struct tmcmc_settings *s, int d);

/* Write a population stream (population_write) whose header carries, when
 * s is not NULL, the settings of the stage that made it as "tmcmc". */
BF_RESULT int tmcmc_write_population(const struct population *p, const struct prior *pr,
				     const struct tmcmc_settings *s, struct stream_writer *w, struct err *e);

#endif
