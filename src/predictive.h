/*
 * predictive: the posterior predictive of the observables phibar_i of a
 * level's model (or the validation model) at a population's samples: for
 * each sample the first-order TSM mean and variance (DESIGN §1), then over
 * the samples
 *
 *     mean = avg mu_s,   var = avg var_s + (avg mu_s^2 - mean^2),
 *
 * the TSM variance plus the spread of the posterior (law of total
 * variance); the band is mean +- 2 sd. A new data point would scatter
 * further by the observation noise: sd_data = sqrt(var + sigma_obs^2).
 * Samples whose run fails are left out and counted.
 *
 * Determinism: samples are summed in fixed chunks, and chunks in order, so
 * the bytes do not depend on the thread count.
 */
#ifndef BF_PREDICTIVE_H
#define BF_PREDICTIVE_H

#include "plan.h"
#include "population.h"
#include "stream.h"

/* The header of a predictive stream for the levels (and validation) of pl. */
void predictive_pack_header(msgpack_packer *pk, const struct plan *pl);

/* Records {"level", "step", "t", "mean", "sd", "sd_tsm", "lower", "upper",
 * "sd_data"} (one number per species of the level's model in each list;
 * sd_data only when lv->sigma_obs is known) at every `every`-th step of
 * lv's model, at the samples of p, which has lv's free parameters.
 * *failed gets the number of samples left out. */
BF_RESULT int predictive_write(const struct plan_level *lv, double cov, const struct population *p, int threads,
			       long every, struct stream_writer *w, long *failed, struct err *e);

#endif
