/*
 * tmcmc: Transitional Markov chain Monte Carlo (Ching & Chen 2007) with the
 * improvements of Betz, Papaioannou & Straub (2016), one stage at a time
 * (DESIGN §1).
 *
 * A stage takes the population at beta_j (every loglik known) to beta_j+1:
 * dbeta by bisection so that the weights w_i = L_i^dbeta have the target
 * ESS; log-evidence increment log mean(w); a proposal fitted to the
 * weighted population (the kernel, below); resampling by the weights; then
 * MH steps in which all N chains step together, so that each step is one
 * batch of likelihood evaluations through the evaluator. The steps run in
 * rounds: within a round the proposal is fixed and every chain moves on
 * its own; between rounds the population adapts the scale toward the
 * target acceptance and decides whether the chains have decorrelated from
 * where they were resampled (the safeguard: a stage that mixes badly takes
 * more rounds). With tpcn, a quadratic surrogate of the loglik screens the
 * proposals before they are evaluated (delayed acceptance, Christen & Fox
 * 2005), exactly: the second test corrects the screen.
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

/* The MH kernel of a stage's chains:
 *   rw    Gaussian random walk, x' = x + scale L z with L L^T the weighted
 *         sample covariance (Ching & Chen 2007; Betz et al. 2016);
 *   tpcn  t-preconditioned Crank-Nicolson (pocoMC's kernel without its
 *         flow, Karamanis et al. 2022): a Student-t fitted to the weighted
 *         population, mean mu and scale matrix Sigma = L L^T, nu degrees of
 *         freedom; per proposal s = (nu + delta(x)) / chi2_{d+nu}, delta the
 *         Mahalanobis distance, and x' = mu + sqrt(1 - r^2) (x - mu) +
 *         r sqrt(s) L z; the move is reversible for the t itself, so the MH
 *         ratio carries t(x) / t(x'). `scale` is r in (0, 1). */
enum tmcmc_kernel { TMCMC_RW, TMCMC_TPCN };
const char *tmcmc_kernel_name(enum tmcmc_kernel k);
/* The kernel named name ("rw", "tpcn"): 0, or -1 for another name. */
int tmcmc_kernel_parse(const char *name, enum tmcmc_kernel *k);

struct tmcmc_settings {
	enum tmcmc_kernel kernel; /* default TMCMC_TPCN */
	double dof;               /* tpcn: the t's degrees of freedom; default 5 */
	double target_ess;        /* fraction of N (0, 1]; NaN: the kernel's (rw 0.5, tpcn 0.6) */
	double min_dbeta;         /* lower bound on dbeta; default 0 */
	double logl_scale;        /* multiplies loglik when choosing dbeta only; default 1 */
	double scale;             /* starting proposal scale; NaN: the population's, else rw 2.4/sqrt(d),
				   * tpcn min(2.38/sqrt(d), 0.99) */
	int adapt;                /* adapt the scale between rounds of MH steps; default 1 */
	double target_acceptance; /* NaN: rw 0.23 + 0.21/d, tpcn 0.234 */
	enum tmcmc_resample resample;
	int chain_steps;          /* > 0: exactly this many MH steps; 0: adaptive */
	int max_chain_steps;      /* adaptive: at most this many; default 50 */
	int min_chain_steps;      /* adaptive: the first round, after which decorrelation is
				   * checked; 0: the kernel's (rw 1, tpcn 5) */
	double decorrelation;     /* adaptive: stop when every |corr(start, now)| <= this; NaN: rw 0.2, tpcn 0.7 */
	int delayed;              /* delayed acceptance, screened by a quadratic surrogate of the
				   * loglik fitted to each stage's population (d <= 10); default 1 */
};

void tmcmc_settings_default(struct tmcmc_settings *s);
/* The target ESS and acceptance, and the starting scale, that NaN stands
 * for under s's kernel at dimension d. */
double tmcmc_target_ess(const struct tmcmc_settings *s);
double tmcmc_target_acceptance(const struct tmcmc_settings *s, int d);
double tmcmc_start_scale(const struct tmcmc_settings *s, int d);
double tmcmc_decorrelation(const struct tmcmc_settings *s);
int tmcmc_min_chain_steps(const struct tmcmc_settings *s);

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
enum tmcmc_purpose { TMCMC_DRAW = 1, TMCMC_RESAMPLE, TMCMC_PROPOSE, TMCMC_ACCEPT, TMCMC_SCREEN };
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

#define TMCMC_DA_MAX_DIM 10
#define TMCMC_MAX_COEF ((TMCMC_DA_MAX_DIM + 1) * (TMCMC_DA_MAX_DIM + 2) / 2)

/* A stage's proposal for a round of MH steps: fixed for the round. */
struct tmcmc_proposal {
	enum tmcmc_kernel kernel;
	int d;
	double beta;                    /* the stage's */
	double scale;                   /* rw: the step scale; tpcn: r in (0, 1) */
	double dof;                     /* tpcn: nu */
	double center[PRIOR_MAX_DIM];   /* tpcn: the t's location */
	double chol[PRIOR_MAX_DIM * PRIOR_MAX_DIM]; /* L, lower: of the weighted covariance (rw), of the
						     * t's scale matrix (tpcn) */
	/* delayed acceptance: a quadratic surrogate of the loglik in
	 * (theta - center) / sd, n_coef coefficients (0: none) */
	int n_coef;
	double sd[PRIOR_MAX_DIM];
	double coef[TMCMC_MAX_COEF];
};

/* A stage between its rounds of MH steps. The central steps (tempering,
 * the fit of the proposal, resampling: tmcmc_stage_begin; adaptation and
 * the decision to go on: tmcmc_stage_round; tmcmc_stage_end) see every
 * chain; a round (tmcmc_move) moves each chain on its own, from its own
 * keys and the round's fixed proposal, so any partition of the chains
 * (threads, shards, hosts) run apart and merged gives the same bytes. */
struct tmcmc_round {
	struct tmcmc_proposal q;
	long done;                      /* MH steps taken */
	long next;                      /* steps of the next round; 0: the chains are done */
	long accepted;                  /* moves accepted so far */
	int rounds;                     /* rounds done */
	double corr[4];                 /* the decorrelation rule's memory */
	double *start;                  /* n x d: where the chains were resampled */
	uint64_t eval_ticks;            /* time in the evaluator (metered runs) */
};

/* The central step that opens a stage: dbeta, the log-evidence increment,
 * the proposal fitted to the weighted population, resampling into `out`
 * (initialised here), and the first round's length in rd. */
BF_RESULT int tmcmc_stage_begin(const struct population *in,
				const struct tmcmc_settings *s, struct population *out, struct tmcmc_round *rd,
				struct err *e);

/* Run the round: steps rd->done + 1 .. rd->done + rd->next of chains
 * [c0, c1) of p (each step one batch through ev); *accepted gets the moves
 * taken, p->evaluations counts the evaluations. Only rd->eval_ticks
 * changes in rd. */
BF_RESULT int tmcmc_move(struct population *p, int c0, int c1, const struct prior *pr, struct tmcmc_round *rd,
			 const struct tmcmc_evaluator *ev, long *accepted, struct err *e);

/* The central step after a round whose moves accepted (over all chains):
 * the scale adapted, and rd->next set (0 when the chains are done). */
void tmcmc_stage_round(struct population *out, const struct tmcmc_settings *s, struct tmcmc_round *rd,
		       long accepted);

/* Close the stage: chain steps, acceptance, scale, history, counts. */
BF_RESULT int tmcmc_stage_end(const struct population *in, struct population *out, struct tmcmc_round *rd,
			      struct err *e);
void tmcmc_round_free(struct tmcmc_round *rd);

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
