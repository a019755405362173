/*
 * posterior: what a level's final population (beta = 1, equally weighted
 * samples) says about its parameters, and the posterior stream of infer
 * (DESIGN §3, kind "posterior"; man/biofilter-stream.5).
 *
 * Summary per parameter: mean, MAP (the sample of highest loglik +
 * logprior; the lowest id among equals), standard deviation (n - 1), the
 * 2.5% and 97.5% quantiles (linear interpolation between order statistics,
 * R's type 7), and the Pearson correlation matrix. Everything is computed
 * in a fixed order from the samples alone, so the same population gives
 * the same bytes in infer and in the pipeline.
 */
#ifndef BF_POSTERIOR_H
#define BF_POSTERIOR_H

#include "plan.h"
#include "population.h"
#include "stream.h"

struct posterior_summary {
	int d;
	double *mean, *map, *sd, *q025, *q975; /* d each */
	double *corr;                           /* d x d */
	int map_id;
	double map_logpost;
};

BF_RESULT int posterior_summary_init(struct posterior_summary *s, const struct population *p, struct err *e);
void posterior_summary_free(struct posterior_summary *s);

/* The p-quantile (type 7) of x[0..n-1], which is sorted in place. */
double posterior_quantile(double *x, int n, double p);

/* One level of the posterior stream: its header (kind "posterior": the
 * level, its model with global names, the values its fixed parameters
 * took, the population's header fields, the summary, the TMCMC settings)
 * and its records, as a population's. */
BF_RESULT int posterior_write(const struct plan *pl, const struct plan_level *lv, const struct population *p,
			      const struct posterior_summary *s, struct stream_writer *w, struct err *e);

#endif
