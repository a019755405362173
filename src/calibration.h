/*
 * calibration: a plan's levels run in order (DESIGN §1, §4): each level a
 * TMCMC from its prior to beta = 1 with the library core of tmcmc-stage,
 * its likelihoods on a thread pool or through an evaluator command; each
 * level's parameters handed on to later levels by MAP or mean.
 *
 * The same stages in the same order from the same keys make the same
 * bytes as pipelines/calibrate.mk, which runs tmcmc-stage and sensitivity
 * from the files calibration_write_setup writes: the population that goes
 * from stage to stage here carries exactly what a population file carries,
 * and nothing depends on the thread count (results go by chain).
 */
#ifndef BF_CALIBRATION_H
#define BF_CALIBRATION_H

#include "meter.h"
#include "monitor.h"
#include "plan.h"
#include "population.h"
#include <signal.h>

#include "posterior.h"
#include "stream.h"

/* What a caller may watch (progress): after each batch of likelihoods,
 * and after each stage. Either may be NULL. */
struct calibration_hooks {
	void (*batch)(void *ctx, const struct plan_level *lv, const struct population *from, long n);
	void (*stage)(void *ctx, const struct plan_level *lv, const struct population *p);
	void *ctx;
};

struct calibration {
	struct plan *plan;
	int threads;
	const char *eval;          /* evaluator command, or NULL: in-process */
	const char *workdir;       /* with eval: where the level files go */
	struct population *post;   /* per level: the final population */
	struct posterior_summary *sum;
	double *seconds;           /* per level: wall time */
	int *done;                 /* per level: post and sum are set */
	/* instruments, set by the caller after init (NULL: off): one meter
	 * per thread (meters[0] is the calling thread's, which also times
	 * the sampler), and a monitor fed the time of each in-process
	 * likelihood evaluation */
	struct meter *meters;
	struct monitor *monitor;
	/* set by the caller after init: the --eval timeout per batch (0:
	 * none), and a flag (a signal handler's) that, once non-zero, stops
	 * the level being run before its next batch of likelihoods */
	double eval_timeout;
	const volatile sig_atomic_t *stop;
};

/* threads >= 1; eval and workdir NULL for in-process likelihoods. */
BF_RESULT int calibration_init(struct calibration *c, struct plan *plan, int threads, const char *eval,
			       const char *workdir, struct err *e);
void calibration_free(struct calibration *c);

/* Fill lv's fixed values (plan_level_fix) from the levels done; an error
 * if lv takes a value from one that is not. */
BF_RESULT int calibration_fix(struct calibration *c, struct plan_level *lv, struct err *e);

/* Run level k. Every level it takes values from must be done. A stop
 * (c->stop) ends it with ERR_RUNTIME and "interrupted", the level not
 * done. */
BF_RESULT int calibration_run_level(struct calibration *c, int k, const struct calibration_hooks *h,
				    struct err *e);

/* Take level k's final population from a file (the pipeline's) instead:
 * its prior, seed, level and size must be the plan's, its beta 1. */
BF_RESULT int calibration_load_level(struct calibration *c, int k, const char *path, struct err *e);

/* A pipeline's files, one directory per level under a root (infer
 * --setup/--from and pipelines/calibrate.mk, infer --eval's work
 * directory): ROOT/LEVEL/ holds the setup files that
 * calibration_write_setup writes, then the level's stages and its final
 * population, posterior.mpk. */
enum calibration_setup_file { CALIBRATION_MODEL, CALIBRATION_PRIOR, CALIBRATION_ENV, CALIBRATION_SETUP_FILES };
/* "model.json", "prior.json", "env" */
extern const char *const calibration_setup_files[CALIBRATION_SETUP_FILES];
#define CALIBRATION_POSTERIOR_FILE "posterior.mpk"

/* ROOT/LEVEL/NAME of level k into buf; an error when it does not fit. */
BF_RESULT int calibration_level_path(const struct calibration *c, const char *root, int k, const char *name,
				     char *buf, size_t size, struct err *e);

/* Write what a pipeline needs to run level k into ROOT/LEVEL (made, with
 * ROOT, when missing): model.json (the level's model, global names),
 * prior.json (its free parameters) and env, a shell file of BIOFILTER_*
 * variables: the arguments of tmcmc-stage --init, of its stages, and of
 * the evaluator `sensitivity` (model, data, sigma_obs, cov, the --set of
 * the values taken from earlier levels). Written atomically. */
BF_RESULT int calibration_write_setup(struct calibration *c, int k, const char *root, struct err *e);

/* Remove what calibration_write_setup wrote under root for every level,
 * the levels' directories and root itself, where they are empty. */
void calibration_remove_setup(const struct calibration *c, const char *root);

/* The posterior predictive stream (predictive.h) of every level, then of
 * the validation, if the plan has one, which is drawn at the last level's
 * population (the parameters that level did not learn are fixed as the
 * validation's own "fixed" says: MAP or mean). Every level must be done. Rows at every `every`-th
 * step, or about 500 rows with every = 0; failed[k] (n_levels + 1 of
 * them) gets the samples of item k that did not run and are left out. */
BF_RESULT int calibration_write_predictive(struct calibration *c, long every, struct stream_writer *w,
					   long *failed, struct err *e);

/* The posterior stream of the levels done, in level order. */
BF_RESULT int calibration_write_posterior(const struct calibration *c, struct stream_writer *w, struct err *e);

#endif
