/*
 * study: the sampler's accuracy study (`profile --sweep accuracy`): whole
 * TMCMC runs, in this process, on likelihoods whose answers are known
 * exactly (mixture.h: Gaussian mixtures under independent priors), over
 * many seeds, for the old and the new kernel side by side.
 *
 * The problems (examples/tmcmc): a 2-D, a 5-D and a 6-D Gaussian under
 * U(0,3) priors, the far tail (N(0,1)^2 prior, the likelihood 4.8 prior
 * sds out), a bimodal mixture (weights 0.3 and 0.7), a 3-D ridge of
 * correlation 0.99 and a curved ridge (a quarter arc). For each problem,
 * N and kernel, over the seeds 1..S: the log-evidence error (rms, worst,
 * bias), the posterior means against their Monte Carlo error sd/sqrt(N)
 * (rms and worst z), the worst relative error of a posterior sd, the
 * worst error of a component's posterior weight (the mean of the
 * responsibilities over the samples; along a ridge of many components
 * this measures how evenly the ridge is covered), and the mean
 * evaluations, stages and MH steps per stage.
 *
 * Everything is keyed by the seed: a rerun gives the same table.
 */
#ifndef BF_STUDY_H
#define BF_STUDY_H

#include "err.h"
#include "report.h"
#include "tmcmc.h"

struct mixture;

/* One run's figures against the exact answer. */
struct study_run {
	double log_evidence_error;
	double max_abs_z;          /* worst |mean - exact| / (sd / sqrt(N)) */
	double sum_z2;             /* over the parameters */
	double max_sd_error;       /* worst |sd / exact sd - 1| */
	double max_weight_error;   /* worst |weight - exact weight| */
	long evaluations, stages, steps;
};

/* A TMCMC run of N samples from the prior pr to beta = 1 on the mixture a
 * with settings s and seed, measured against the exact answer. */
BF_RESULT int study_run(const struct mixture *a, const struct prior *pr, const struct tmcmc_settings *s, int n,
			uint64_t seed, struct study_run *out, struct err *e);

struct study_options {
	const char *examples;   /* the directory holding tmcmc/ */
	int seeds;              /* seeds 1..seeds */
	const int *sizes;       /* the N to run */
	int n_sizes;
	int quiet;
};

/* Every problem at every N with the kernels rw (old default) and tpcn
 * (new): the sweep "accuracy" of r, a row per problem, N and kernel. */
BF_RESULT int study_accuracy(const struct study_options *o, struct report *r, struct err *e);

#endif
