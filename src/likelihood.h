/*
 * likelihood: the Gaussian log-likelihood of the calibration (Fritsch et
 * al. 2025, eq. 29; DESIGN §1) with first-order TSM moments,
 *
 *     log L = sum_{l,m} -0.5 log(2 pi s2) - 0.5 (d_lm - mu_lm)^2 / s2,
 *     s2 = var_lm + sigma_obs^2,
 *
 * over the data points d_lm (species l, data step m), mu and var the mean
 * and variance of phibar_l at step m with var(theta_c) = (cov theta_c)^2
 * for the aleatory parameters (tsm_phibar_moments).
 *
 * Data are the records of a data stream (`solve --observe`): each a set of
 * steps with a phibar row per step; several records are independent data
 * sets whose log-likelihoods add. A struct likelihood owns its workspace
 * and a struct tsm: evaluating allocates nothing. One per thread; the data
 * are shared, read-only.
 */
#ifndef BF_LIKELIHOOD_H
#define BF_LIKELIHOOD_H

#include <stddef.h>

#include "tsm.h"

struct likelihood_data {
	int species;
	int points;        /* data rows over all records */
	int *row;          /* points: the row of save[] the point is at */
	int *step;         /* points: its step */
	double *phibar;    /* points x species */
	int n_save;        /* distinct steps */
	int *save;         /* ascending */
	int *row_start;    /* n_save + 1: the points of row r are by_row[row_start[r] .. row_start[r+1]-1] */
	int *by_row;       /* points, in row order */
	double sigma_obs;  /* the data's own (the first record's), NAN when they do not say */
	long sigma_differs; /* the first record whose sigma_obs differs, or 0 */
};

/* Read the data stream at path ("-" for stdin) for model m: every record's
 * "step" (integers in 0..steps), "phibar" (a row of m->species numbers per
 * step), "t" if present (must be step * dt: data made with another dt are
 * refused), "sigma_obs" if present (sigma_differs says when records
 * disagree, for the caller to refuse unless told which to use), "status" if
 * present (must be "ok"). Errors name the file, record and field. */
BF_RESULT int likelihood_data_load(struct likelihood_data *d, const char *path, const struct model *m,
				   struct err *e);
void likelihood_data_free(struct likelihood_data *d);

struct likelihood {
	struct tsm t;
	const struct likelihood_data *data;
	double cov, sigma2;
	double *states, *dstate, *mean, *var; /* at the n_save data steps */
	double sd[MODEL_MAX_THETA];
	/* early rejection (likelihood_eval_floor) */
	double floor, partial, term_max;
	int next_row;
};

/* aleatory[0..n_aleatory-1]: ascending indices of the parameters that
 * carry variance; cov >= 0; sigma_obs > 0 and finite. */
BF_RESULT int likelihood_init(struct likelihood *l, const struct model *m, const struct likelihood_data *d,
			      const int *aleatory, int n_aleatory, double cov, double sigma_obs,
			      struct err *e);
void likelihood_free(struct likelihood *l);

enum likelihood_status {
	LIKELIHOOD_OK = 0,
	LIKELIHOOD_SOLVER,   /* the solver failed: see solver */
	LIKELIHOOD_VARIANCE, /* s2 not positive and finite at point, species */
	LIKELIHOOD_NONFINITE, /* a term not finite at point, species */
	LIKELIHOOD_BELOW_FLOOR, /* log L < floor for certain, known at solver.step */
};

struct likelihood_result {
	double loglik;       /* -inf unless status is LIKELIHOOD_OK */
	enum likelihood_status status;
	struct solver_outcome solver;
	int point, species;
};

/* log L at theta (model order). Never fails as a call: a theta the model
 * cannot run gets a status and loglik -inf. */
void likelihood_eval(struct likelihood *l, const double *theta, struct likelihood_result *res);

/* log L at theta, or, as soon as the data seen so far prove log L < floor
 * (each term of eq. 29 is at most -0.5 log(2 pi sigma_obs^2), as s2 >=
 * sigma_obs^2), status LIKELIHOOD_BELOW_FLOOR and loglik -inf without
 * running the rest of the trajectory: the early rejection of an MH step
 * whose acceptance needs log L >= floor (Solonen et al. 2012). Decided with
 * a margin, so that it stops only where the full value is below floor by
 * far more than rounding; otherwise the value is likelihood_eval's to the
 * bit. floor = -inf is likelihood_eval. */
void likelihood_eval_floor(struct likelihood *l, const double *theta, double floor, struct likelihood_result *res);

/* The status as a record's "status": "ok", "newton did not converge at
 * step 812", "variance not positive and finite at step 500, species 2". */
void likelihood_status_string(const struct likelihood *l, const struct likelihood_result *res, char *buf,
			      size_t size);

#endif
