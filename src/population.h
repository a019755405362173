/*
 * population: the N samples of one TMCMC stage and what the stream header
 * says about them (DESIGN §3, §4; man/biofilter-stream.5, kind
 * "population").
 *
 * Records are {"id": chain, "theta": [..], "loglik": x, "logprior": y},
 * chains numbered 0..N-1 in order; a record without "loglik" has not been
 * evaluated yet (loglik NaN here). The header carries the prior, so a
 * stage needs nothing but its input population and its options; the RNG
 * key (seed, level), the stage number, beta, the cumulative log-evidence
 * and the proposal scale reached so far travel with it too. What a stage
 * did (dbeta, ESS, acceptance, chain steps, evaluations, the proposal
 * covariance and the settings) is written for the record and not read
 * back, except as the history: one entry per stage so far (stage 1 up),
 * read back and extended by each stage, so the last population of a run
 * carries the diagnostics of all its stages.
 */
#ifndef BF_POPULATION_H
#define BF_POPULATION_H

#include <stdint.h>

#include "err.h"
#include "prior.h"
#include "stream.h"

#define POPULATION_MAX_N 10000000
#define POPULATION_MAX_STAGES 100000

/* What stage `stage` did and reached (the header's "history" entries). */
struct population_stage {
	long stage;
	double beta, dbeta, ess, acceptance, scale, log_evidence;
	long chain_steps, evaluations_total;
};

struct population {
	int n, d;
	double *theta;      /* n x d, row per chain */
	double *loglik;     /* NaN: not evaluated yet; -inf: no likelihood */
	double *logprior;
	/* the state that carries from stage to stage */
	uint64_t seed;
	long level, stage;
	double beta, log_evidence, scale;
	double log_evidence_se; /* sqrt of sum over stages of 1/ESS - 1/N */
	long evaluations_total; /* every evaluation since stage 0 */
	/* the stage that made this population (stage >= 1) */
	double dbeta, ess, acceptance;
	long evaluations, chain_steps;
	double *covariance; /* d x d: the proposal's matrix, the weighted sample
			     * covariance (rw) or the fitted t's scale (tpcn) */
	double *center;     /* d: the fitted t's location (tpcn) */
	double dof;         /* the fitted t's degrees of freedom (tpcn), 0 (rw) */
	double scale_start; /* the scale the stage started from */
	struct population_stage *history; /* n_history entries, stages in order */
	long n_history;
};

BF_RESULT int population_init(struct population *p, int n, int d, struct err *e);
void population_free(struct population *p);

/* Read a population stream (header and every record) into p and its prior
 * into pr. Records are taken in input order whatever their ids; every one
 * must have a theta inside the prior's support, and a loglik, if any, that
 * is a number (not NaN, not +inf). Errors name the file, record and field. */
BF_RESULT int population_read(struct population *p, struct prior *pr, const char *path, struct err *e);

/* Entries a header gets beyond the population's own (the settings of the
 * sampler that made it, which this module does not know): pack adds them
 * to the open header map h. */
struct population_extra {
	void (*pack)(struct pack_map *h, const void *ctx, const struct population *p);
	const void *ctx;
};

/* Write p as a population stream: header (with the prior, and x's
 * entries when x is not NULL) and records. */
BF_RESULT int population_write(const struct population *p, const struct prior *pr,
			       const struct population_extra *x, struct stream_writer *w, struct err *e);

/* Set p's history to in's plus an entry for the stage that made p. */
BF_RESULT int population_extend_history(struct population *p, const struct population *in, struct err *e);

/* The history as the header's "history" value: a list of maps {"stage",
 * "beta", "dbeta", "ess", "acceptance", "scale", "chain_steps",
 * "evaluations_total", "log_evidence"}. */
void population_pack_history(msgpack_packer *pk, const struct population *p);

/* The records alone ({"id", "theta", "loglik", "logprior"}). */
BF_RESULT int population_write_records(const struct population *p, struct stream_writer *w, struct err *e);

#endif
