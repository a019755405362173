/*
 * plan: the plan file of infer (DESIGN §3) and what it means for each
 * level of a hierarchical calibration.
 *
 *     {"parameters": [{"name": "a11", "uniform": [0, 3], "truth": 0.8}, ...],
 *      "cov": 0.005, "sigma_obs": 0.005,
 *      "tmcmc": {"samples": 500, "seed": 1, "chain_steps": "auto", ...},
 *      "levels": [{"name": "M1", "model": "M1.json", "data": "M1.data.mpk",
 *                  "free": ["a11", ...], "species": [1, 2], "fixed": "map"}, ...],
 *      "validation": {"model": "M3val.json", "species": [1, 2, 3, 4]}}
 *
 * Names are global: a level's model, written for local species 1..n, has
 * its default parameter names mapped through "species" (a11 of a level with
 * species [3, 4] is the global a33). Every parameter of a level's model is
 * one of: free (sampled by the level's TMCMC, the level's theta, in plan
 * order), learnt by an earlier level (the latest one; fixed at its MAP or
 * posterior mean, as this level's "fixed" says), or fixed at its "truth".
 * The validation is a level without data whose free parameters are those of
 * the last level: it is run at the last level's posterior samples.
 *
 * Invariants after plan_load: every model and data file has been read and
 * checked (species counts, steps), so a bad plan fails before any work;
 * a level's prior is the plan's prior restricted to its free parameters.
 */
#ifndef BF_PLAN_H
#define BF_PLAN_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "likelihood.h"
#include "model.h"
#include "prior.h"
#include "tmcmc.h"

enum plan_fixed { PLAN_MAP, PLAN_MEAN };

struct plan_level {
	char *name;
	int index;               /* 0-based; the level word of the TMCMC keys */
	char *model_path;        /* resolved against the plan's directory */
	char *data_path;         /* NULL: no data (the validation without them) */
	struct model model;      /* its names are the global names */
	int species[MODEL_MAX_SPECIES]; /* the global species (1-based) of each of the model's */
	int has_data;
	struct likelihood_data data;
	double sigma_obs;        /* the plan's, else the data's */
	enum plan_fixed fixed;
	struct prior prior;      /* the free parameters, plan order */
	int free[PRIOR_MAX_DIM]; /* their indices in the plan's parameters */
	/* per model parameter (model->n_theta of each) */
	int *global;             /* index in the plan's parameters */
	int *from_free;          /* index in the level's theta, or -1 */
	int *from_level;         /* -1, or the earlier level that learnt it */
	int *from_pos;           /* its index in that level's theta */
	double *fixed_value;     /* the value when not free (plan_level_fix) */
};

struct plan {
	char *path;
	struct prior params;     /* every parameter, in the order of the posterior */
	double cov;              /* relative sd of each model parameter (TSM) */
	double sigma_obs;        /* NAN: each level's data say */
	long samples;
	uint64_t seed;
	struct tmcmc_settings tmcmc;
	int n_levels;
	struct plan_level *levels;
	int has_validation;
	struct plan_level validation;
};

/* Read and check a plan file and every file it names. Errors are ERR_INPUT
 * and name the plan, the level and the key; on error nothing is left to
 * free (plan_free of the zeroed p is harmless). */
BF_RESULT int plan_load(struct plan *p, const char *path, struct err *e);
void plan_free(struct plan *p);

/* Fill lv->fixed_value from the earlier levels' results: map[l] and
 * mean[l] are level l's MAP and posterior mean (its theta, plan order),
 * for every l that lv takes values from. */
void plan_level_fix(struct plan_level *lv, const double *const *map, const double *const *mean);

/* Does lv take a value from level l (an earlier level that learnt one of
 * its model's parameters)? */
int plan_level_takes_from(const struct plan_level *lv, int l);

/* The model's theta for the level's theta (free parameters, plan order). */
void plan_level_theta(const struct plan_level *lv, const double *free_theta, double *model_theta);

/* The level's model as JSON with its global "parameters" (the model file a
 * pipeline's evaluator reads); a new reference. */
json_t *plan_level_model_json(const struct plan_level *lv);

#endif
