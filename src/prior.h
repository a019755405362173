/*
 * prior: independent priors over named parameters (DESIGN §3): the prior
 * file of tmcmc-stage and the "parameters" of a plan, an ordered JSON array
 *
 *     [{"name": "a11", "uniform": [0, 3], "truth": 0.8},
 *      {"name": "x", "normal": [0, 1], "bounds": [0, null]}, ...]
 *
 * "uniform": [low, high] is U(low, high); "normal": [mean, sd] is
 * N(mean, sd^2), truncated to "bounds": [low, high] when given (null: that
 * side open). "truth" is optional. Densities are normalised (truncation
 * included), so log-evidences computed against them are absolute.
 *
 * The prior travels in population headers (prior_pack), so later stages
 * read it from their input; parsing is the same for a file and a header.
 */
#ifndef BF_PRIOR_H
#define BF_PRIOR_H

#include <jansson.h>
#include <msgpack.h>

#include "err.h"
#include "rng.h"

#define PRIOR_MAX_DIM 64

enum prior_kind { PRIOR_UNIFORM, PRIOR_NORMAL };

struct prior_param {
	char *name;
	enum prior_kind kind;
	double a, b;      /* uniform: low, high; normal: mean, sd */
	double lo, hi;    /* the support: [low, high], or the bounds (+-inf when open) */
	int bounded;      /* normal: "bounds" given */
	double log_norm;  /* log density = log_norm (uniform), or log_norm - z^2/2 */
	int has_truth;
	double truth;
};

struct prior {
	int n;
	struct prior_param *p;
	char **names;     /* p[i].name, for stream_reader_check_names and friends */
};

/* Parse a JSON prior file. */
BF_RESULT int prior_load(struct prior *pr, const char *path, struct err *e);
/* Parse a prior from a JSON array (a plan's "parameters"). */
BF_RESULT int prior_from_json(struct prior *pr, const json_t *j, const char *where, struct err *e);

/* Parse a prior from a MessagePack array (a header's "prior"); `where`
 * names it in messages. */
BF_RESULT int prior_from_object(struct prior *pr, const msgpack_object *o, const char *where, struct err *e);
/* dst: the parameters idx[0..n-1] of src, in that order. */
BF_RESULT int prior_select(struct prior *dst, const struct prior *src, const int *idx, int n, struct err *e);

/* Pack the prior as the array it was read from (canonical form). */
void prior_pack(msgpack_packer *pk, const struct prior *pr);
void prior_free(struct prior *pr);

/* log prior density at theta; -inf outside the support. */
double prior_logpdf(const struct prior *pr, const double *theta);
/* Draw theta from the prior: one uniform per parameter, by inversion, so
 * a keyed stream gives the same draw everywhere. */
void prior_draw(const struct prior *pr, struct rng *r, double *theta);

#endif
