/*
 * genmodel: reading, checking and making generative-model files.
 *
 * Shapes come from the arrays themselves, as pymdp infers them: num_states
 * and num_controls from B, num_obs from A; every other array must agree.
 * A missing A, B or D is the normalised pA, pB or pD (or, for D, uniform),
 * and a missing C is zero, as in pymdp's Agent.
 */
#include "aif/genmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "mpjson.h"
#include "rng.h"
#include "stream.h"

#define NORM_TOL 1e-6

static const char *const model_keys[] = {"A", "B", "C", "D", "pA", "pB", "pD", "E", "control_fac_idx",
					 "options", "num_obs", "num_states", "num_controls", NULL};
static const char *const option_keys[] = {
	"policy_len", "inference_horizon", "inference_algo", "num_iter", "dF", "dF_tol", "gamma", "alpha",
	"use_utility", "use_states_info_gain", "use_param_info_gain", "action_selection", "sampling_mode",
	"modalities_to_learn", "lr_pA", "factors_to_learn", "lr_pB", "lr_pD", "learn_A", "learn_B", "learn_D",
	"update_B_action", "use_BMA", "policy_sep_prior", "save_belief_hist", NULL};

/* A value that JSON null stands for "not given" (the golden files' pA: null). */
static json_t *get(const json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	return v && !json_is_null(v) ? v : NULL;
}

/* Read a nested list of numbers of shape dims[0..nd-1] into out (C order).
 * `name` is the array's path so far ("'A'[1]"), extended in messages. */
static int read_tensor(const json_t *j, const int *dims, int nd, double *out, const char *where,
		       const char *name, struct err *e)
{
	if (!json_is_array(j))
		return err_set(e, ERR_INPUT, "%s: %s must be a list of %d", where, name, dims[0]);
	if ((int)json_array_size(j) != dims[0])
		return err_set(e, ERR_INPUT, "%s: %s must have %d entries, got %zu", where, name, dims[0],
			       json_array_size(j));
	long stride = 1;
	for (int k = 1; k < nd; k++)
		stride *= dims[k];
	for (int i = 0; i < dims[0]; i++) {
		const json_t *v = json_array_get(j, (size_t)i);
		char sub[256];
		snprintf(sub, sizeof sub, "%s[%d]", name, i);
		if (nd > 1) {
			int rc = read_tensor(v, dims + 1, nd - 1, out + i * stride, where, sub, e);
			if (rc)
				return rc;
			continue;
		}
		if (!json_is_number(v))
			return err_set(e, ERR_INPUT, "%s: %s must be a number", where, sub);
		out[i] = json_number_value(v);
		if (!isfinite(out[i]))
			return err_set(e, ERR_INPUT, "%s: %s must be finite", where, sub);
	}
	return 0;
}

/* The length of a list, for inferring shapes; -1 if not a non-empty list. */
static int list_len(const json_t *j)
{
	return json_is_array(j) && json_array_size(j) > 0 && json_array_size(j) <= GENMODEL_MAX_LEVELS
		       ? (int)json_array_size(j)
		       : -1;
}

/* A list of per-modality (or per-factor) arrays of length n. */
static int check_list(const json_t *j, const char *key, int n, const char *where, struct err *e)
{
	if (!json_is_array(j))
		return err_set(e, ERR_INPUT, "%s: '%s' must be a list with one array per %s", where, key,
			       key[strlen(key) - 1] == 'A' || key[strlen(key) - 1] == 'C' ? "modality" : "factor");
	if (n >= 0 && (int)json_array_size(j) != n)
		return err_set(e, ERR_INPUT, "%s: '%s' must have %d arrays, got %zu", where, key, n,
			       json_array_size(j));
	return 0;
}

static double *alloc_doubles(long n, struct err *e)
{
	double *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
	if (!p)
		err_set(e, ERR_NOMEM, "out of memory");
	return p;
}

/* "2, 1" for the column index c of an array whose trailing axes are axes[]. */
static void format_index(char *buf, size_t size, long c, const int *axes, int n_axes)
{
	int sub[GENMODEL_MAX_FACTORS + 2], len = 0;

	buf[0] = 0;
	for (int k = n_axes - 1; k >= 0; k--) {
		sub[k] = (int)(c % axes[k]);
		c /= axes[k];
	}
	for (int k = 0; k < n_axes && len < (int)size; k++)
		len += snprintf(buf + len, size - (size_t)len, "%s%d", k ? ", " : "", sub[k]);
}

/* The columns (along the first axis) of x, a rows x cols array whose
 * columns have the trailing axes axes[], must be distributions. */
static int check_columns(const double *x, int rows, long cols, const int *axes, int n_axes, const char *where,
			 const char *name, struct err *e)
{
	char idx[128];

	for (long c = 0; c < cols; c++) {
		double s = 0;
		for (int r = 0; r < rows; r++) {
			double v = x[(long)r * cols + c];
			if (v < 0) {
				format_index(idx, sizeof idx, c, axes, n_axes);
				return err_set(e, ERR_INPUT, "%s: %s[%d%s%s] is negative (%g)", where, name, r,
					       n_axes ? ", " : "", idx, v);
			}
			s += v;
		}
		if (!(fabs(s - 1) <= NORM_TOL)) { /* NaN too */
			format_index(idx, sizeof idx, c, axes, n_axes);
			return err_set(e, ERR_INPUT, "%s: %s column [:%s%s] sums to %.17g, not 1", where, name,
				       n_axes ? ", " : "", idx, s);
		}
	}
	return 0;
}

static int check_nonnegative(const double *x, long n, const char *where, const char *name, struct err *e)
{
	for (long i = 0; i < n; i++)
		if (x[i] < 0)
			return err_set(e, ERR_INPUT, "%s: %s has a negative entry (%g) at flat index %ld", where, name,
				       x[i], i);
	return 0;
}

void genmodel_normalise_columns(const double *src, double *dst, int rows, long cols)
{
	for (long c = 0; c < cols; c++) {
		double s = 0;
		for (int r = 0; r < rows; r++)
			s += src[(long)r * cols + c];
		for (int r = 0; r < rows; r++)
			dst[(long)r * cols + c] = src[(long)r * cols + c] / s;
	}
}

static int get_bool(const json_t *o, const char *key, int dflt, int *out, const char *where, struct err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return err_set(e, ERR_INPUT, "%s: option '%s' must be true or false", where, key);
	*out = json_is_true(v);
	return 0;
}

static int get_choice(const json_t *o, const char *key, const char *const *choices, int dflt, int *out,
		      const char *where, struct err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	for (int i = 0; choices[i]; i++)
		if (json_is_string(v) && !strcmp(json_string_value(v), choices[i])) {
			*out = i;
			return 0;
		}
	char list[256] = "";
	for (int i = 0; choices[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s'%s'", i ? " or " : "", choices[i]);
	return err_set(e, ERR_INPUT, "%s: option '%s' must be %s", where, key, list);
}

/* "all" or a list of indices below n: sets mask[0..n-1]. */
static int get_which(const json_t *o, const char *key, int n, unsigned char *mask, const char *where,
		     struct err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v || (json_is_string(v) && !strcmp(json_string_value(v), "all"))) {
		memset(mask, 1, (size_t)n);
		return 0;
	}
	memset(mask, 0, (size_t)n);
	if (!json_is_array(v))
		return err_set(e, ERR_INPUT, "%s: option '%s' must be \"all\" or a list of indices", where, key);
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) >= n)
			return err_set(e, ERR_INPUT, "%s: option '%s'[%zu] must be an index from 0 to %d", where, key,
				       i, n - 1);
		mask[json_integer_value(x)] = 1;
	}
	return 0;
}

static int read_options(struct genmodel *g, const json_t *o, const char *where, struct err *e)
{
	static const char *const algos[] = {"VANILLA", "MMP", NULL};
	static const char *const selections[] = {"deterministic", "stochastic", NULL};
	static const char *const modes[] = {"marginal", "full", NULL};
	static const char *const b_actions[] = {"current", "previous", NULL};
	struct genmodel_options *p = &g->opt;
	char w[512];
	int rc, v;

	snprintf(w, sizeof w, "%s: 'options'", where);
	if (o && !json_is_object(o))
		return err_set(e, ERR_INPUT, "%s must be an object", w);
	json_t *empty = NULL;
	if (!o && !(o = empty = json_object()))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = mpjson_check_keys(o, option_keys, w, e)) ||
	    (rc = mpjson_get_int(o, "policy_len", w, 0, 1, 1, GENMODEL_MAX_POLICY_LEN, &p->policy_len, e)) ||
	    (rc = mpjson_get_int(o, "inference_horizon", w, 0, 1, 1, 1 << 20, &p->inference_horizon, e)) ||
	    (rc = get_choice(o, "inference_algo", algos, GENMODEL_VANILLA, &p->algo, w, e)) ||
	    (rc = mpjson_get_int(o, "num_iter", w, 0, 10, 1, 1 << 20, &p->num_iter, e)) ||
	    (rc = mpjson_get_number(o, "dF", w, 0, 1.0, &p->dF, e)) ||
	    (rc = mpjson_get_number(o, "dF_tol", w, 0, 0.001, &p->dF_tol, e)) ||
	    (rc = mpjson_get_number(o, "gamma", w, 0, 16.0, &p->gamma, e)) ||
	    (rc = mpjson_get_number(o, "alpha", w, 0, 16.0, &p->alpha, e)) ||
	    (rc = mpjson_get_number(o, "lr_pA", w, 0, 1.0, &p->lr_pA, e)) ||
	    (rc = mpjson_get_number(o, "lr_pB", w, 0, 1.0, &p->lr_pB, e)) ||
	    (rc = mpjson_get_number(o, "lr_pD", w, 0, 1.0, &p->lr_pD, e)) ||
	    (rc = get_bool(o, "use_utility", 1, &p->use_utility, w, e)) ||
	    (rc = get_bool(o, "use_states_info_gain", 1, &p->use_states_info_gain, w, e)) ||
	    (rc = get_bool(o, "use_param_info_gain", 0, &p->use_param_info_gain, w, e)) ||
	    (rc = get_choice(o, "action_selection", selections, 0, &p->stochastic, w, e)) ||
	    (rc = get_choice(o, "sampling_mode", modes, 0, &p->full, w, e)) ||
	    (rc = get_bool(o, "learn_A", 0, &p->learn_A, w, e)) ||
	    (rc = get_bool(o, "learn_B", 0, &p->learn_B, w, e)) ||
	    (rc = get_bool(o, "learn_D", 0, &p->learn_D, w, e)) ||
	    (rc = get_choice(o, "update_B_action", b_actions, 0, &p->update_B_previous, w, e)) ||
	    (rc = get_which(o, "modalities_to_learn", g->n_mod, p->learn_modality, w, e)) ||
	    (rc = get_which(o, "factors_to_learn", g->n_fac, p->learn_factor, w, e)))
		goto done;
	/* pymdp's numpy Agent breaks on these combinations (a policy-indexed
	 * prior read as a factor-indexed one, a missing belief history): say
	 * so rather than invent a meaning */
	if ((rc = get_bool(o, "use_BMA", 1, &v, w, e)))
		goto done;
	if (!v) {
		rc = err_set(e, ERR_INPUT, "%s: option 'use_BMA' false is not supported", w);
		goto done;
	}
	if ((rc = get_bool(o, "policy_sep_prior", 0, &v, w, e)))
		goto done;
	if (v) {
		rc = err_set(e, ERR_INPUT, "%s: option 'policy_sep_prior' true is not supported", w);
		goto done;
	}
	if ((rc = get_bool(o, "save_belief_hist", 0, &v, w, e)))
		goto done;
	if (v) {
		rc = err_set(e, ERR_INPUT, "%s: option 'save_belief_hist' true is not supported", w);
		goto done;
	}
	if (p->dF_tol < 0 || p->lr_pA < 0 || p->lr_pB < 0 || p->lr_pD < 0) {
		rc = err_set(e, ERR_INPUT, "%s: 'dF_tol' and the learning rates must not be negative", w);
		goto done;
	}
	if (p->algo == GENMODEL_VANILLA)
		p->inference_horizon = 1; /* pymdp: VANILLA has no horizon */
done:
	json_decref(empty);
	return rc;
}

/* The policies in itertools.product order: digit k of the mixed-radix
 * index is (step k / n_fac, factor k % n_fac), the last digit fastest. */
static int make_policies(struct genmodel *g, const char *where, struct err *e)
{
	int L = g->opt.policy_len, F = g->n_fac;
	long n = 1;

	for (int k = 0; k < L * F; k++) {
		n *= g->num_controls[k % F];
		if (n > GENMODEL_MAX_POLICIES)
			return err_set(e, ERR_INPUT, "%s: 'policy_len' %d gives more than %ld policies", where, L,
				       GENMODEL_MAX_POLICIES);
	}
	if (!(g->policies = malloc(sizeof(int) * (size_t)n * (size_t)(L * F))))
		return err_set(e, ERR_NOMEM, "out of memory");
	g->n_policies = n;
	for (long p = 0; p < n; p++) {
		long q = p;
		for (int k = L * F - 1; k >= 0; k--) {
			int nc = g->num_controls[k % F];
			g->policies[p * L * F + k] = (int)(q % nc);
			q /= nc;
		}
	}
	return 0;
}

/* The optional num_obs/num_states/num_controls lists must agree. */
static int check_dims(const json_t *j, const char *key, const int *have, int n, const char *where,
		      struct err *e)
{
	json_t *v = get(j, key);
	if (!v)
		return 0;
	if (!json_is_array(v) || (int)json_array_size(v) != n)
		return err_set(e, ERR_INPUT, "%s: '%s' must be a list of %d", where, key, n);
	for (int i = 0; i < n; i++)
		if (!json_is_integer(json_array_get(v, (size_t)i)) ||
		    json_integer_value(json_array_get(v, (size_t)i)) != have[i])
			return err_set(e, ERR_INPUT, "%s: '%s'[%d] does not match the arrays' %d", where, key, i,
				       have[i]);
	return 0;
}

static int read_shapes(struct genmodel *g, const json_t *j, const char *where, struct err *e)
{
	const json_t *B = get(j, "B") ? get(j, "B") : get(j, "pB");
	const json_t *A = get(j, "A") ? get(j, "A") : get(j, "pA");
	const char *bn = get(j, "B") ? "B" : "pB", *an = get(j, "A") ? "A" : "pA";
	int rc;

	if (!B)
		return err_set(e, ERR_INPUT, "%s: missing key 'B' (or 'pB')", where);
	if (!A)
		return err_set(e, ERR_INPUT, "%s: missing key 'A' (or 'pA')", where);
	if ((rc = check_list(B, bn, -1, where, e)) || (rc = check_list(A, an, -1, where, e)))
		return rc;
	g->n_fac = (int)json_array_size(B);
	g->n_mod = (int)json_array_size(A);
	if (g->n_fac < 1 || g->n_fac > GENMODEL_MAX_FACTORS)
		return err_set(e, ERR_INPUT, "%s: '%s' must have 1 to %d factors, got %d", where, bn,
			       GENMODEL_MAX_FACTORS, g->n_fac);
	if (g->n_mod < 1 || g->n_mod > GENMODEL_MAX_MODALITIES)
		return err_set(e, ERR_INPUT, "%s: '%s' must have 1 to %d modalities, got %d", where, an,
			       GENMODEL_MAX_MODALITIES, g->n_mod);
	g->n_joint = 1;
	for (int f = 0; f < g->n_fac; f++) {
		const json_t *b = json_array_get(B, (size_t)f);
		int ns = list_len(b), ns2 = ns > 0 ? list_len(json_array_get(b, 0)) : -1,
		    nc = ns2 > 0 ? list_len(json_array_get(json_array_get(b, 0), 0)) : -1;
		if (ns < 0 || ns2 < 0 || nc < 0)
			return err_set(e, ERR_INPUT,
				       "%s: '%s'[%d] must be a states x states x controls list of lists of lists "
				       "(at most %d each)",
				       where, bn, f, GENMODEL_MAX_LEVELS);
		g->num_states[f] = ns;
		g->num_controls[f] = nc;
		g->n_joint *= ns;
		if (g->n_joint > GENMODEL_MAX_JOINT)
			return err_set(e, ERR_INPUT, "%s: more than %ld joint hidden states", where, GENMODEL_MAX_JOINT);
	}
	for (int m = 0; m < g->n_mod; m++) {
		int no = list_len(json_array_get(A, (size_t)m));
		if (no < 0)
			return err_set(e, ERR_INPUT, "%s: '%s'[%d] must be a non-empty list (at most %d outcomes)",
				       where, an, m, GENMODEL_MAX_LEVELS);
		if ((long)no * g->n_joint > GENMODEL_MAX_JOINT)
			return err_set(e, ERR_INPUT, "%s: '%s'[%d] has more than %ld entries", where, an, m,
				       GENMODEL_MAX_JOINT);
		g->num_obs[m] = no;
	}
	if ((rc = check_dims(j, "num_obs", g->num_obs, g->n_mod, where, e)) ||
	    (rc = check_dims(j, "num_states", g->num_states, g->n_fac, where, e)) ||
	    (rc = check_dims(j, "num_controls", g->num_controls, g->n_fac, where, e)))
		return rc;
	return 0;
}

/* Read key[i] (a list per modality or factor) of shape dims(i) into out[i]. */
static int read_arrays(const json_t *j, const char *key, const struct genmodel *g, int per_modality, int kind,
		       double **out, const char *where, struct err *e)
{
	const json_t *v = get(j, key);
	int n = per_modality ? g->n_mod : g->n_fac, rc;

	if ((rc = check_list(v, key, n, where, e)))
		return rc;
	for (int i = 0; i < n; i++) {
		int dims[GENMODEL_MAX_FACTORS + 1], nd = 0;
		long size = 1;
		if (kind == 'A') {
			dims[nd++] = g->num_obs[i];
			for (int f = 0; f < g->n_fac; f++)
				dims[nd++] = g->num_states[f];
		} else if (kind == 'B') {
			dims[nd++] = g->num_states[i];
			dims[nd++] = g->num_states[i];
			dims[nd++] = g->num_controls[i];
		} else {
			dims[nd++] = per_modality ? g->num_obs[i] : g->num_states[i];
		}
		for (int k = 0; k < nd; k++)
			size *= dims[k];
		char name[64];
		snprintf(name, sizeof name, "'%s'[%d]", key, i);
		if (!(out[i] = alloc_doubles(size, e)))
			return ERR_NOMEM;
		if ((rc = read_tensor(json_array_get(v, (size_t)i), dims, nd, out[i], where, name, e)))
			return rc;
	}
	return 0;
}

/* dst[i] = src[i] normalised by columns; src is the Dirichlet array
 * `name` ("pA"), whose columns must not sum to 0. */
static int copy_normalised(double **dst, double *const *src, int n, const int *rows, const long *cols,
			   const char *name, const char *where, struct err *e)
{
	for (int i = 0; i < n; i++) {
		long size = (long)rows[i] * cols[i];
		for (long c = 0; c < cols[i]; c++) {
			double sum = 0;
			for (int r = 0; r < rows[i]; r++)
				sum += src[i][(long)r * cols[i] + c];
			if (!(sum > 0 && isfinite(sum)))
				return err_set(e, ERR_INPUT, "%s: '%s'[%d] column %ld (flat) sums to %g: no distribution to take as '%c'",
					       where, name, i, c, sum, name[1]);
		}
		if (!(dst[i] = alloc_doubles(size, e)))
			return ERR_NOMEM;
		memcpy(dst[i], src[i], sizeof(double) * (size_t)size);
		genmodel_normalise_columns(dst[i], dst[i], rows[i], cols[i]);
	}
	return 0;
}

static int read_arrays_all(struct genmodel *g, const json_t *j, const char *where, struct err *e)
{
	int rc, M = g->n_mod, F = g->n_fac;
	int a_rows[GENMODEL_MAX_MODALITIES], b_rows[GENMODEL_MAX_FACTORS];
	long a_cols[GENMODEL_MAX_MODALITIES], b_cols[GENMODEL_MAX_FACTORS], d_cols[GENMODEL_MAX_FACTORS];

	for (int m = 0; m < M; m++) {
		a_rows[m] = g->num_obs[m];
		a_cols[m] = g->n_joint;
	}
	for (int f = 0; f < F; f++) {
		b_rows[f] = g->num_states[f];
		b_cols[f] = (long)g->num_states[f] * g->num_controls[f];
		d_cols[f] = 1;
	}
	g->has_pA = get(j, "pA") != NULL;
	g->has_pB = get(j, "pB") != NULL;
	g->has_pD = get(j, "pD") != NULL;
	if ((g->has_pA && (rc = read_arrays(j, "pA", g, 1, 'A', g->pA, where, e))) ||
	    (g->has_pB && (rc = read_arrays(j, "pB", g, 0, 'B', g->pB, where, e))) ||
	    (g->has_pD && (rc = read_arrays(j, "pD", g, 0, 'D', g->pD, where, e))))
		return rc;
	for (int m = 0; g->has_pA && m < M; m++) {
		char name[32];
		snprintf(name, sizeof name, "'pA'[%d]", m);
		if ((rc = check_nonnegative(g->pA[m], (long)a_rows[m] * a_cols[m], where, name, e)))
			return rc;
	}
	for (int f = 0; g->has_pB && f < F; f++) {
		char name[32];
		snprintf(name, sizeof name, "'pB'[%d]", f);
		if ((rc = check_nonnegative(g->pB[f], (long)b_rows[f] * b_cols[f], where, name, e)))
			return rc;
	}
	for (int f = 0; g->has_pD && f < F; f++) {
		char name[32];
		snprintf(name, sizeof name, "'pD'[%d]", f);
		if ((rc = check_nonnegative(g->pD[f], g->num_states[f], where, name, e)))
			return rc;
	}
	if (get(j, "A") ? (rc = read_arrays(j, "A", g, 1, 'A', g->A, where, e))
			: (rc = copy_normalised(g->A, g->pA, M, a_rows, a_cols, "pA", where, e)))
		return rc;
	if (get(j, "B") ? (rc = read_arrays(j, "B", g, 0, 'B', g->B, where, e))
			: (rc = copy_normalised(g->B, g->pB, F, b_rows, b_cols, "pB", where, e)))
		return rc;
	if (get(j, "D")) {
		if ((rc = read_arrays(j, "D", g, 0, 'D', g->D, where, e)))
			return rc;
	} else if (g->has_pD) {
		if ((rc = copy_normalised(g->D, g->pD, F, b_rows, d_cols, "pD", where, e)))
			return rc;
	} else {
		for (int f = 0; f < F; f++) {
			if (!(g->D[f] = alloc_doubles(g->num_states[f], e)))
				return ERR_NOMEM;
			for (int s = 0; s < g->num_states[f]; s++)
				g->D[f][s] = 1.0 / g->num_states[f];
		}
	}
	if (get(j, "C")) {
		if ((rc = read_arrays(j, "C", g, 1, 'C', g->C, where, e)))
			return rc;
	} else {
		for (int m = 0; m < M; m++)
			if (!(g->C[m] = alloc_doubles(g->num_obs[m], e)))
				return ERR_NOMEM;
	}
	for (int m = 0; m < M; m++) {
		char name[32];
		snprintf(name, sizeof name, "'A'[%d]", m);
		if ((rc = check_columns(g->A[m], a_rows[m], a_cols[m], g->num_states, F, where, name, e)))
			return rc;
	}
	for (int f = 0; f < F; f++) {
		char name[32];
		int axes[2] = {g->num_states[f], g->num_controls[f]};
		snprintf(name, sizeof name, "'B'[%d]", f);
		if ((rc = check_columns(g->B[f], b_rows[f], b_cols[f], axes, 2, where, name, e)))
			return rc;
		snprintf(name, sizeof name, "'D'[%d]", f);
		if ((rc = check_columns(g->D[f], g->num_states[f], 1, NULL, 0, where, name, e)))
			return rc;
	}
	return 0;
}

static int read_control_fac_idx(struct genmodel *g, const json_t *j, const char *where, struct err *e)
{
	const json_t *v = get(j, "control_fac_idx");

	g->n_control_fac = 0;
	if (!v) {
		for (int f = 0; f < g->n_fac; f++)
			if (g->num_controls[f] > 1)
				g->control_fac_idx[g->n_control_fac++] = f;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) > (size_t)g->n_fac)
		return err_set(e, ERR_INPUT, "%s: 'control_fac_idx' must be a list of at most %d factor indices",
			       where, g->n_fac);
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *x = json_array_get(v, i);
		long f = json_is_integer(x) ? (long)json_integer_value(x) : -1;
		if (f < 0 || f >= g->n_fac)
			return err_set(e, ERR_INPUT, "%s: 'control_fac_idx'[%zu] must be a factor index from 0 to %d",
				       where, i, g->n_fac - 1);
		if (g->num_controls[f] < 2)
			return err_set(e, ERR_INPUT,
				       "%s: 'control_fac_idx'[%zu]: factor %ld has one control, so it is not controllable",
				       where, i, f);
		for (int k = 0; k < g->n_control_fac; k++)
			if (g->control_fac_idx[k] == f)
				return err_set(e, ERR_INPUT, "%s: 'control_fac_idx' names factor %ld twice", where, f);
		g->control_fac_idx[g->n_control_fac++] = (int)f;
	}
	return 0;
}

static int read_E(struct genmodel *g, const json_t *j, const char *where, struct err *e)
{
	const json_t *v = get(j, "E");
	int dims[1];
	int rc;

	if (!v)
		return 0;
	if (!(g->E = alloc_doubles(g->n_policies, e)))
		return ERR_NOMEM;
	dims[0] = (int)g->n_policies;
	if ((rc = read_tensor(v, dims, 1, g->E, where, "'E' (one prior probability per policy)", e)))
		return rc;
	return check_nonnegative(g->E, g->n_policies, where, "'E'", e);
}

static int check_consistency(const struct genmodel *g, const char *where, struct err *e)
{
	const struct genmodel_options *p = &g->opt;

	if (p->learn_A && !g->has_pA)
		return err_set(e, ERR_INPUT, "%s: option 'learn_A' needs 'pA'", where);
	if (p->learn_B && !g->has_pB)
		return err_set(e, ERR_INPUT, "%s: option 'learn_B' needs 'pB'", where);
	if (p->learn_D && !g->has_pD)
		return err_set(e, ERR_INPUT, "%s: option 'learn_D' needs 'pD'", where);
	if (p->algo == GENMODEL_MMP && (p->learn_A || p->learn_B))
		return err_set(e, ERR_INPUT,
			       "%s: learning A or B needs inference_algo VANILLA (pymdp's update_A/update_B "
			       "take unconditioned beliefs, which MMP does not have)",
			       where);
	if (p->algo == GENMODEL_MMP && p->use_param_info_gain && g->has_pB)
		return err_set(e, ERR_INPUT,
			       "%s: use_param_info_gain with 'pB' is not defined under MMP (pymdp 0.0.7 fails there)",
			       where);
	return 0;
}

int genmodel_from_json(struct genmodel *g, json_t *j, const char *where, struct err *e)
{
	int rc;

	memset(g, 0, sizeof *g);
	if (!json_is_object(j))
		return err_set(e, ERR_INPUT, "%s: a generative model must be a JSON object", where);
	g->json = json_incref(j);
	if ((rc = mpjson_check_keys(j, model_keys, where, e)) || (rc = read_shapes(g, j, where, e)) ||
	    (rc = read_options(g, get(j, "options"), where, e)) || (rc = read_arrays_all(g, j, where, e)) ||
	    (rc = read_control_fac_idx(g, j, where, e)) || (rc = make_policies(g, where, e)) ||
	    (rc = read_E(g, j, where, e)) || (rc = check_consistency(g, where, e))) {
		genmodel_free(g);
		return rc;
	}
	return 0;
}

/* A MessagePack map file becomes JSON text and then a jansson object, so
 * one parser checks both forms. */
static int load_msgpack(const char *path, const char *bytes, size_t n, json_t **out, struct err *e)
{
	msgpack_unpacked u;
	struct pack text;
	size_t off = 0;
	int rc;

	struct stream_scan sc = {0};
	const char *why = "cut short";
	/* sizes are checked before the unpacker allocates for them */
	if (stream_scan(&sc, (const unsigned char *)bytes, n, &why) != 1)
		return err_set(e, ERR_INPUT, "%s: not a JSON object or a MessagePack map (%s)", path, why);
	msgpack_unpacked_init(&u);
	pack_init(&text);
	if (msgpack_unpack_next(&u, bytes, n, &off) != MSGPACK_UNPACK_SUCCESS || u.data.type != MSGPACK_OBJECT_MAP)
		rc = err_set(e, ERR_INPUT, "%s: not a JSON object or a MessagePack map", path);
	else if (off != n)
		rc = err_set(e, ERR_INPUT, "%s: trailing bytes after the MessagePack map", path);
	else if (mpjson_print(&u.data, pack_append, &text))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	else
		rc = mpjson_parse(text.data, text.len, out, path, e);
	pack_free(&text);
	msgpack_unpacked_destroy(&u);
	return rc;
}

int genmodel_load(struct genmodel *g, const char *path, struct err *e)
{
	json_t *j = NULL;
	FILE *fp;
	int rc, c;

	memset(g, 0, sizeof *g);
	if (!(fp = fopen(path, "rb")))
		return err_set(e, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
	while ((c = getc(fp)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		;
	if (c == '{' || c == EOF) {
		fclose(fp);
		rc = mpjson_load_file(path, "a generative model file", &j, e);
	} else {
		char *buf = NULL;
		size_t n = 0, cap = 0;
		ungetc(c, fp);
		rc = 0;
		for (;;) {
			if (n == cap) {
				char *nb = cap > (1u << 30) ? NULL : realloc(buf, cap = cap ? 2 * cap : 65536);
				if (!nb) {
					rc = err_set(e, ERR_NOMEM, "%s: out of memory (or larger than 1 GiB)", path);
					break;
				}
				buf = nb;
			}
			size_t k = fread(buf + n, 1, cap - n, fp);
			n += k;
			if (k == 0)
				break;
		}
		if (!rc && ferror(fp))
			rc = err_set(e, ERR_RUNTIME, "%s: read error", path);
		fclose(fp);
		if (!rc)
			rc = load_msgpack(path, buf, n, &j, e);
		free(buf);
	}
	if (rc)
		return rc;
	rc = genmodel_from_json(g, j, path, e);
	json_decref(j);
	return rc;
}

void genmodel_free(struct genmodel *g)
{
	for (int m = 0; m < GENMODEL_MAX_MODALITIES; m++) {
		free(g->A[m]);
		free(g->pA[m]);
		free(g->C[m]);
	}
	for (int f = 0; f < GENMODEL_MAX_FACTORS; f++) {
		free(g->B[f]);
		free(g->pB[f]);
		free(g->D[f]);
		free(g->pD[f]);
	}
	free(g->E);
	free(g->policies);
	json_decref(g->json);
	memset(g, 0, sizeof *g);
}

/* ---- writing models ---- */

static json_t *tensor_json(const double *x, const int *dims, int nd)
{
	json_t *a = json_array();
	long stride = 1;

	if (!a)
		return NULL;
	for (int k = 1; k < nd; k++)
		stride *= dims[k];
	for (int i = 0; i < dims[0]; i++) {
		json_t *v = nd > 1 ? tensor_json(x + i * stride, dims + 1, nd - 1) : json_real(x[i]);
		if (!v || json_array_append_new(a, v)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int genmodel_arrays_json(int n_mod, const int *num_obs, double *const *A, int n_fac, const int *num_states,
			 const int *num_controls, double *const *B, double *const *D, json_t **out, struct err *e)
{
	json_t *j = json_object(), *ja = json_array(), *jb = json_array(), *jc = json_array(), *jd = json_array();
	int ok = j && ja && jb && jc && jd;

	for (int m = 0; ok && m < n_mod; m++) {
		int dims[GENMODEL_MAX_FACTORS + 1] = {num_obs[m]};
		for (int f = 0; f < n_fac; f++)
			dims[1 + f] = num_states[f];
		double *zero = calloc((size_t)num_obs[m], sizeof *zero);
		ok = zero && !json_array_append_new(ja, tensor_json(A[m], dims, n_fac + 1)) &&
		     !json_array_append_new(jc, tensor_json(zero, dims, 1));
		free(zero);
	}
	for (int f = 0; ok && f < n_fac; f++) {
		int dims[3] = {num_states[f], num_states[f], num_controls[f]};
		double *d = D ? NULL : malloc(sizeof *d * (size_t)num_states[f]);
		if (!D && d)
			for (int s = 0; s < num_states[f]; s++)
				d[s] = 1.0 / num_states[f];
		ok = (D || d) && !json_array_append_new(jb, tensor_json(B[f], dims, 3)) &&
		     !json_array_append_new(jd, tensor_json(D ? D[f] : d, dims, 1));
		free(d);
	}
	if (ok && !json_object_set_new(j, "A", ja) && !json_object_set_new(j, "B", jb) &&
	    !json_object_set_new(j, "C", jc) && !json_object_set_new(j, "D", jd)) {
		*out = j;
		return 0;
	}
	json_decref(j);
	return err_set(e, ERR_NOMEM, "out of memory");
}

static int spec_list(const char *v, size_t len, int *out, int max, int *n, const char *key, struct err *e)
{
	int k = 0;
	const char *end = v + len;

	while (v < end) {
		char *stop;
		long x = strtol(v, &stop, 10);
		if (stop == v || x < 1 || x > GENMODEL_MAX_LEVELS || (stop < end && *stop != ':'))
			return err_set(e, ERR_INPUT,
				       "'--random-model': '%s' must be a positive integer or a list like 4:2 (at most %d)",
				       key, GENMODEL_MAX_LEVELS);
		if (k == max)
			return err_set(e, ERR_INPUT, "'--random-model': '%s' lists more than %d", key, max);
		out[k++] = (int)x;
		v = stop < end ? stop + 1 : stop;
	}
	*n = k;
	return 0;
}

int genmodel_spec_parse(const char *arg, struct genmodel_spec *s, struct err *e)
{
	int nc = 0, rc;

	memset(s, 0, sizeof *s);
	s->policy_len = 1;
	s->seed = 1;
	while (*arg) {
		const char *eq = strchr(arg, '='), *comma = strchr(arg, ',');
		size_t klen, vlen;
		if (!comma)
			comma = arg + strlen(arg);
		if (!eq || eq > comma)
			return err_set(e, ERR_INPUT, "'--random-model': expected KEY=VALUE, got '%.*s'",
				       (int)(comma - arg), arg);
		klen = (size_t)(eq - arg);
		vlen = (size_t)(comma - eq - 1);
		if (klen == 3 && !strncmp(arg, "obs", 3))
			rc = spec_list(eq + 1, vlen, s->obs, GENMODEL_MAX_MODALITIES, &s->n_mod, "obs", e);
		else if (klen == 6 && !strncmp(arg, "states", 6))
			rc = spec_list(eq + 1, vlen, s->states, GENMODEL_MAX_FACTORS, &s->n_fac, "states", e);
		else if (klen == 8 && !strncmp(arg, "controls", 8))
			rc = spec_list(eq + 1, vlen, s->controls, GENMODEL_MAX_FACTORS, &nc, "controls", e);
		else if ((klen == 10 && !strncmp(arg, "policy_len", 10)) || (klen == 4 && !strncmp(arg, "seed", 4))) {
			char *stop;
			long x = strtol(eq + 1, &stop, 10);
			if (stop == eq + 1 || stop != comma || x < (klen == 4 ? 0 : 1) || x > (klen == 4 ? 0x7fffffffL : GENMODEL_MAX_POLICY_LEN))
				return err_set(e, ERR_INPUT, "'--random-model': '%.*s' must be a %s integer", (int)klen, arg,
					       klen == 4 ? "non-negative" : "positive");
			if (klen == 4)
				s->seed = (uint64_t)x;
			else
				s->policy_len = (int)x;
			rc = 0;
		} else
			return err_set(e, ERR_INPUT, "'--random-model': unknown key '%.*s' (obs, states, controls, "
				       "policy_len, seed)", (int)klen, arg);
		if (rc)
			return rc;
		arg = *comma ? comma + 1 : comma;
	}
	if (!s->n_mod || !s->n_fac)
		return err_set(e, ERR_INPUT, "'--random-model' needs obs=N and states=N");
	if (!nc)
		for (int f = 0; f < s->n_fac; f++)
			s->controls[f] = 1 + (f == 0); /* pymdp's default would be none; give factor 0 two */
	else if (nc != s->n_fac)
		return err_set(e, ERR_INPUT, "'--random-model': 'controls' lists %d, 'states' %d", nc, s->n_fac);
	return 0;
}

int genmodel_random_json(const struct genmodel_spec *s, json_t **out, struct err *e)
{
	double *A[GENMODEL_MAX_MODALITIES] = {0}, *B[GENMODEL_MAX_FACTORS] = {0};
	long joint = 1;
	struct rng r;
	int rc = 0;

	for (int f = 0; f < s->n_fac; f++)
		if ((joint *= s->states[f]) > GENMODEL_MAX_JOINT)
			return err_set(e, ERR_INPUT, "'--random-model': more than %ld joint states", GENMODEL_MAX_JOINT);
	rng_init(&r, rng_key(0x72616e646f6dULL /* "random" */, s->seed));
	for (int m = 0; m < s->n_mod && !rc; m++) {
		if ((long)s->obs[m] * joint > GENMODEL_MAX_JOINT)
			rc = err_set(e, ERR_INPUT, "'--random-model': A[%d] would have more than %ld entries", m,
				     GENMODEL_MAX_JOINT);
		else if (!(A[m] = malloc(sizeof(double) * (size_t)s->obs[m] * (size_t)joint)))
			rc = err_set(e, ERR_NOMEM, "out of memory");
		else {
			for (long i = 0; i < (long)s->obs[m] * joint; i++)
				A[m][i] = rng_uniform(&r);
			genmodel_normalise_columns(A[m], A[m], s->obs[m], joint);
		}
	}
	for (int f = 0; f < s->n_fac && !rc; f++) {
		long cols = (long)s->states[f] * s->controls[f];
		if (!(B[f] = malloc(sizeof(double) * (size_t)s->states[f] * (size_t)cols)))
			rc = err_set(e, ERR_NOMEM, "out of memory");
		else {
			for (long i = 0; i < (long)s->states[f] * cols; i++)
				B[f][i] = rng_uniform(&r);
			genmodel_normalise_columns(B[f], B[f], s->states[f], cols);
		}
	}
	if (!rc)
		rc = genmodel_arrays_json(s->n_mod, s->obs, A, s->n_fac, s->states, s->controls, B, NULL, out, e);
	if (!rc && s->policy_len != 1) {
		json_t *o = json_pack("{s:i}", "policy_len", s->policy_len);
		if (!o || json_object_set_new(*out, "options", o)) {
			json_decref(*out);
			rc = err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	for (int m = 0; m < s->n_mod; m++)
		free(A[m]);
	for (int f = 0; f < s->n_fac; f++)
		free(B[f]);
	return rc;
}
