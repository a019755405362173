/*
 * plan: reading a plan file and resolving, for every level, where each
 * model parameter's value comes from (see plan.h). Invariant: a loaded
 * plan's levels have their models, data and mappings complete; only the
 * fixed values of parameters learnt earlier wait for plan_level_fix.
 */
#include "plan.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"

static const char *const plan_keys[] = {"parameters", "cov", "sigma_obs", "tmcmc", "levels", "validation",
					"description", NULL};
static const char *const level_keys[] = {"name", "model", "data", "free", "species", "fixed", NULL};
static const char *const validation_keys[] = {"model", "data", "species", "fixed", NULL};
static const char *const tmcmc_keys[] = {"samples", "seed", "kernel", "dof", "target_ess", "min_dbeta",
					 "logl_scale", "scale", "adapt", "target_acceptance", "resample",
					 "chain_steps", "min_chain_steps", "max_chain_steps", "decorrelation",
					 "delayed_acceptance", NULL};

/* A path of the plan: as it is when absolute or when the plan is in the
 * working directory, else beside the plan. */
static int resolve(const char *plan_path, const char *path, char **out, struct err *e)
{
	const char *slash = strrchr(plan_path, '/');
	size_t dl = slash ? (size_t)(slash - plan_path) + 1 : 0;

	if (path[0] == '/')
		dl = 0;
	if (!(*out = malloc(dl + strlen(path) + 1)))
		return err_set(e, ERR_NOMEM, "out of memory");
	memcpy(*out, plan_path, dl);
	strcpy(*out + dl, path);
	return 0;
}

static int get_string(const json_t *obj, const char *key, const char *where, int required, const char **out,
		      struct err *e)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			return err_set(e, ERR_INPUT, "%s: missing key '%s'", where, key);
		return 0;
	}
	if (!json_is_string(v) || !*json_string_value(v))
		return err_set(e, ERR_INPUT, "%s: '%s' must be a non-empty string", where, key);
	*out = json_string_value(v);
	return 0;
}

static int get_settings(struct plan *p, const json_t *t, const char *where, struct err *e)
{
	struct tmcmc_settings *s = &p->tmcmc;
	double x;
	int k, rc;
	json_t *v;

	tmcmc_settings_default(s);
	p->samples = 500;
	p->seed = 0;
	if (!t)
		return 0;
	if (!json_is_object(t))
		return err_set(e, ERR_INPUT, "%s: must be an object", where);
	if ((rc = mpjson_check_keys(t, tmcmc_keys, where, e)) ||
	    (rc = mpjson_get_int(t, "samples", where, 0, 500, 2, POPULATION_MAX_N, &k, e)))
		return rc;
	p->samples = k;
	if ((v = json_object_get(t, "seed"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return err_set(e, ERR_INPUT, "%s: 'seed' must be a non-negative integer", where);
		p->seed = (uint64_t)json_integer_value(v);
	}
	if ((rc = mpjson_get_number(t, "target_ess", where, 0, s->target_ess, &s->target_ess, e)) ||
	    (rc = mpjson_get_number(t, "min_dbeta", where, 0, s->min_dbeta, &s->min_dbeta, e)) ||
	    (rc = mpjson_get_number(t, "logl_scale", where, 0, s->logl_scale, &s->logl_scale, e)) ||
	    (rc = mpjson_get_number(t, "decorrelation", where, 0, s->decorrelation, &s->decorrelation, e)))
		return rc;
	if ((v = json_object_get(t, "kernel")) &&
	    (!json_is_string(v) || tmcmc_kernel_parse(json_string_value(v), &s->kernel)))
		return err_set(e, ERR_INPUT, "%s: 'kernel' must be \"tpcn\" or \"rw\"", where);
	if ((rc = mpjson_get_number(t, "dof", where, 0, s->dof, &s->dof, e)))
		return rc;
	if (!(s->dof >= 1 && s->dof <= 1e6))
		return err_set(e, ERR_INPUT, "%s: 'dof' must be from 1 to 1e6", where);
	if (!isnan(s->target_ess) && !(s->target_ess > 0 && s->target_ess <= 1))
		return err_set(e, ERR_INPUT, "%s: 'target_ess' must be in (0, 1]", where);
	if (!(s->min_dbeta >= 0 && s->min_dbeta <= 1))
		return err_set(e, ERR_INPUT, "%s: 'min_dbeta' must be in [0, 1]", where);
	if (!(s->logl_scale > 0))
		return err_set(e, ERR_INPUT, "%s: 'logl_scale' must be positive", where);
	if (!isnan(s->decorrelation) && !(s->decorrelation > 0 && s->decorrelation <= 1))
		return err_set(e, ERR_INPUT, "%s: 'decorrelation' must be in (0, 1]", where);
	if (json_object_get(t, "scale")) {
		if ((rc = mpjson_get_number(t, "scale", where, 1, 0, &x, e)))
			return rc;
		if (!(x > 0))
			return err_set(e, ERR_INPUT, "%s: 'scale' must be positive", where);
		s->scale = x;
	}
	if (json_object_get(t, "target_acceptance")) {
		if ((rc = mpjson_get_number(t, "target_acceptance", where, 1, 0, &x, e)))
			return rc;
		if (!(x > 0 && x < 1))
			return err_set(e, ERR_INPUT, "%s: 'target_acceptance' must be between 0 and 1",
				       where);
		s->target_acceptance = x;
	}
	if ((v = json_object_get(t, "adapt"))) {
		if (!json_is_boolean(v))
			return err_set(e, ERR_INPUT, "%s: 'adapt' must be true or false", where);
		s->adapt = json_is_true(v);
	}
	if ((v = json_object_get(t, "delayed_acceptance"))) {
		if (!json_is_boolean(v))
			return err_set(e, ERR_INPUT, "%s: 'delayed_acceptance' must be true or false", where);
		s->delayed = json_is_true(v);
	}
	if ((v = json_object_get(t, "resample"))) {
		const char *r = json_string_value(v);
		if (r && !strcmp(r, "systematic"))
			s->resample = TMCMC_SYSTEMATIC;
		else if (r && !strcmp(r, "multinomial"))
			s->resample = TMCMC_MULTINOMIAL;
		else
			return err_set(e, ERR_INPUT, "%s: 'resample' must be \"systematic\" or "
				       "\"multinomial\"", where);
	}
	if ((v = json_object_get(t, "chain_steps"))) {
		if (json_is_string(v) && !strcmp(json_string_value(v), "auto"))
			s->chain_steps = 0;
		else if ((rc = mpjson_get_int(t, "chain_steps", where, 1, 0, 1, 100000, &s->chain_steps, e)))
			return err_set(e, ERR_INPUT, "%s: 'chain_steps' must be \"auto\" or an integer "
				       "from 1 to 100000", where);
	}
	if ((rc = mpjson_get_int(t, "min_chain_steps", where, 0, s->min_chain_steps, 1, 100000, &s->min_chain_steps, e)))
		return rc;
	return mpjson_get_int(t, "max_chain_steps", where, 0, s->max_chain_steps, 1, 100000, &s->max_chain_steps, e);
}

/* The global species of each local one; identity when absent. */
static int get_species(const json_t *obj, const char *where, int n, int *species, int *mapped, struct err *e)
{
	json_t *v = json_object_get(obj, "species");

	*mapped = v != NULL;
	for (int i = 0; i < n; i++)
		species[i] = i + 1;
	if (!v)
		return 0;
	if (!json_is_array(v) || (int)json_array_size(v) != n)
		return err_set(e, ERR_INPUT, "%s: 'species' must list %d global species (one per species of the "
			       "model)", where, n);
	for (int i = 0; i < n; i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > MODEL_MAX_SPECIES)
			return err_set(e, ERR_INPUT, "%s: 'species'[%d] must be an integer from 1 to %d", where, i,
				       MODEL_MAX_SPECIES);
		species[i] = (int)json_integer_value(x);
		for (int j = 0; j < i; j++)
			if (species[j] == species[i])
				return err_set(e, ERR_INPUT, "%s: 'species' names species %d twice", where, species[i]);
	}
	return 0;
}

/* Rename the model's parameters to global names through the species map:
 * position (i, j) of the theta layout becomes a_{s_i s_j} (indices sorted),
 * b_i becomes b_{s_i}. */
static int global_names(struct model *m, const int *species, int n_global, const char *where, struct err *e)
{
	int n = m->species, k;
	char local[32], global[32];

	for (k = 0; k < m->n_theta; k++) {
		int i, j;
		if (k < n * (n + 1) / 2) {
			int r = k;
			for (i = 1; r >= n - i + 1; i++)
				r -= n - i + 1;
			j = i + r;
		} else {
			i = k - n * (n + 1) / 2 + 1;
			j = 0;
		}
		model_default_name(n, i, j, local, sizeof local);
		if (strcmp(m->names[k], local))
			return err_set(e, ERR_INPUT, "%s: 'species' maps the default parameter names, but the model "
				       "names parameter %d '%s'", where, k + 1, m->names[k]);
		int gi = species[i - 1], gj = j ? species[j - 1] : 0;
		if (j && gj < gi) {
			int t = gi;
			gi = gj;
			gj = t;
		}
		model_default_name(n_global, gi, gj, global, sizeof global);
		char *s = strdup(global);
		if (!s)
			return err_set(e, ERR_NOMEM, "out of memory");
		free(m->names[k]);
		m->names[k] = s;
	}
	return 0;
}

static int param_index(const struct prior *pr, const char *name)
{
	for (int i = 0; i < pr->n; i++)
		if (!strcmp(pr->names[i], name))
			return i;
	return -1;
}

/* Where each model parameter's value comes from (see plan.h). */
static int resolve_sources(struct plan *p, struct plan_level *lv, const char *where, struct err *e)
{
	int nt = lv->model.n_theta;

	if (!(lv->global = malloc(sizeof(int) * (size_t)nt)) || !(lv->from_free = malloc(sizeof(int) * (size_t)nt)) ||
	    !(lv->from_level = malloc(sizeof(int) * (size_t)nt)) ||
	    !(lv->from_pos = malloc(sizeof(int) * (size_t)nt)) ||
	    !(lv->fixed_value = malloc(sizeof(double) * (size_t)nt)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (int j = 0; j < nt; j++) {
		int g = param_index(&p->params, lv->model.names[j]);
		if (g < 0)
			return err_set(e, ERR_INPUT, "%s: model parameter '%s' is not among the plan's 'parameters'",
				       where, lv->model.names[j]);
		lv->global[j] = g;
		lv->from_free[j] = lv->from_level[j] = lv->from_pos[j] = -1;
		lv->fixed_value[j] = NAN;
		for (int f = 0; f < lv->prior.n; f++)
			if (lv->free[f] == g)
				lv->from_free[j] = f;
		if (lv->from_free[j] >= 0)
			continue;
		for (int l = 0; l < lv->index && l < p->n_levels; l++)
			for (int f = 0; f < p->levels[l].prior.n; f++)
				if (p->levels[l].free[f] == g) {
					lv->from_level[j] = l;
					lv->from_pos[j] = f;
				}
		if (lv->from_level[j] >= 0)
			continue;
		if (!p->params.p[g].has_truth)
			return err_set(e, ERR_INPUT, "%s: parameter '%s' is neither free here nor learnt by an "
				       "earlier level, and has no 'truth' to be fixed at", where, p->params.names[g]);
		lv->fixed_value[j] = p->params.p[g].truth;
	}
	return 0;
}

static int get_free(struct plan *p, struct plan_level *lv, const json_t *obj, const char *where, struct err *e)
{
	json_t *v = json_object_get(obj, "free");
	int n = 0, idx[PRIOR_MAX_DIM];

	if (!v)
		return err_set(e, ERR_INPUT, "%s: missing key 'free'", where);
	if (!json_is_array(v) || json_array_size(v) == 0)
		return err_set(e, ERR_INPUT, "%s: 'free' must be a non-empty list of parameter names", where);
	if (json_array_size(v) > PRIOR_MAX_DIM)
		return err_set(e, ERR_INPUT, "%s: 'free' has more than %d names", where, PRIOR_MAX_DIM);
	/* plan order, whatever the order of the list */
	for (int g = 0; g < p->params.n; g++) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			if (json_is_string(x) && !strcmp(json_string_value(x), p->params.names[g]))
				idx[n++] = g;
	}
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		const char *name = json_string_value(x);
		if (!name)
			return err_set(e, ERR_INPUT, "%s: 'free'[%zu] must be a parameter name", where, i);
		if (param_index(&p->params, name) < 0)
			return err_set(e, ERR_INPUT, "%s: 'free': unknown parameter '%s' (not among the plan's "
				       "'parameters')", where, name);
		if (model_param_index(&lv->model, name) < 0)
			return err_set(e, ERR_INPUT, "%s: 'free': '%s' is not a parameter of the level's model %s "
				       "(it has %s .. %s)", where, name, lv->model_path, lv->model.names[0],
				       lv->model.names[lv->model.n_theta - 1]);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(json_string_value(json_array_get(v, k)), name))
				return err_set(e, ERR_INPUT, "%s: 'free' names '%s' twice", where, name);
	}
	for (int f = 0; f < n; f++)
		lv->free[f] = idx[f];
	return prior_select(&lv->prior, &p->params, idx, n, e);
}

static int load_level(struct plan *p, struct plan_level *lv, const json_t *obj, int n_global, int is_validation,
		      struct err *e)
{
	char where[512];
	const char *name, *model, *data, *fixed;
	int *species = lv->species, mapped, rc;

	if (is_validation) {
		snprintf(where, sizeof where, "%s: 'validation'", p->path);
		name = "validation";
	} else {
		snprintf(where, sizeof where, "%s: level %d", p->path, lv->index + 1);
		if ((rc = get_string(obj, "name", where, 1, &name, e)))
			return rc;
		for (const char *c = name; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
				return err_set(e, ERR_INPUT, "%s: 'name' must be letters, digits, '_', '.' and '-' "
					       "(it names files), got '%s'", where, name);
		snprintf(where, sizeof where, "%s: level '%s'", p->path, name);
		for (int l = 0; l < lv->index; l++)
			if (!strcmp(p->levels[l].name, name))
				return err_set(e, ERR_INPUT, "%s: the name is used by level %d too", where, l + 1);
	}
	if (!(lv->name = strdup(name)))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = mpjson_check_keys(obj, is_validation ? validation_keys : level_keys, where, e)) ||
	    (rc = get_string(obj, "model", where, 1, &model, e)) ||
	    (rc = get_string(obj, "data", where, !is_validation, &data, e)) ||
	    (rc = get_string(obj, "fixed", where, 0, &fixed, e)))
		return rc;
	lv->fixed = PLAN_MAP;
	if (fixed && !strcmp(fixed, "mean"))
		lv->fixed = PLAN_MEAN;
	else if (fixed && strcmp(fixed, "map"))
		return err_set(e, ERR_INPUT, "%s: 'fixed' must be \"map\" or \"mean\", got '%s'", where, fixed);
	if ((rc = resolve(p->path, model, &lv->model_path, e)))
		return rc;
	if ((rc = model_load(&lv->model, lv->model_path, e)))
		return err_prefix(e, "%s: 'model'", where);
	if ((rc = get_species(obj, where, lv->model.species, species, &mapped, e)) ||
	    (mapped && (rc = global_names(&lv->model, species, n_global, where, e))))
		return rc;
	if (is_validation) {
		/* its theta is the last level's: it runs at that posterior */
		const struct plan_level *last = &p->levels[p->n_levels - 1];
		memcpy(lv->free, last->free, sizeof lv->free);
		if ((rc = prior_select(&lv->prior, &p->params, last->free, last->prior.n, e)))
			return rc;
	} else if ((rc = get_free(p, lv, obj, where, e))) {
		return rc;
	}
	if ((rc = resolve_sources(p, lv, where, e)))
		return rc;
	lv->sigma_obs = p->sigma_obs;
	if (!data)
		return 0;
	if ((rc = resolve(p->path, data, &lv->data_path, e)))
		return rc;
	if ((rc = likelihood_data_load(&lv->data, lv->data_path, &lv->model, e)))
		return err_prefix(e, "%s: 'data' (for a model of %d species)", where, lv->model.species);
	lv->has_data = 1;
	if (isnan(lv->sigma_obs)) {
		if (isnan(lv->data.sigma_obs))
			return err_set(e, ERR_INPUT, "%s: the data %s do not say their 'sigma_obs': give the plan's "
				       "'sigma_obs'", where, lv->data_path);
		if (lv->data.sigma_differs)
			return err_set(e, ERR_INPUT, "%s: the records of %s disagree on 'sigma_obs' (record %ld): "
				       "give the plan's 'sigma_obs'", where, lv->data_path, lv->data.sigma_differs);
		lv->sigma_obs = lv->data.sigma_obs;
	}
	return 0;
}

/* The largest global species index: it decides the width of the names. */
static int count_global_species(const json_t *levels, const json_t *validation)
{
	int n = 0;
	size_t i;
	json_t *lv;
	json_array_foreach(levels, i, lv) {
		json_t *s = json_object_get(lv, "species"), *x;
		size_t k;
		json_array_foreach(s, k, x)
			if (json_is_integer(x) && json_integer_value(x) > n && json_integer_value(x) <= MODEL_MAX_SPECIES)
				n = (int)json_integer_value(x);
	}
	json_t *s = json_object_get(validation, "species"), *x;
	json_array_foreach(s, i, x)
		if (json_is_integer(x) && json_integer_value(x) > n && json_integer_value(x) <= MODEL_MAX_SPECIES)
			n = (int)json_integer_value(x);
	return n;
}

static int load_plan(struct plan *p, const char *path, struct err *e)
{
	json_t *root, *v, *levels, *validation;
	int rc;

	memset(p, 0, sizeof *p);
	if (!(p->path = strdup(path)))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = mpjson_load_file(path, "a plan file", &root, e)))
		return rc;
	if (!json_is_object(root)) {
		rc = err_set(e, ERR_INPUT, "%s: a plan must be a JSON object", path);
		goto out;
	}
	if ((rc = mpjson_check_keys(root, plan_keys, path, e)))
		goto out;
	if (!(v = json_object_get(root, "parameters"))) {
		rc = err_set(e, ERR_INPUT, "%s: missing key 'parameters'", path);
		goto out;
	}
	char where[512];
	snprintf(where, sizeof where, "%s: 'parameters'", path);
	if ((rc = prior_from_json(&p->params, v, where, e)) ||
	    (rc = mpjson_get_number(root, "cov", path, 0, 0.005, &p->cov, e)) ||
	    (rc = mpjson_get_number(root, "sigma_obs", path, 0, NAN, &p->sigma_obs, e)))
		goto out;
	if (!json_object_get(root, "sigma_obs"))
		p->sigma_obs = NAN;
	if (!(p->cov >= 0)) {
		rc = err_set(e, ERR_INPUT, "%s: 'cov' must not be negative", path);
		goto out;
	}
	if (json_object_get(root, "sigma_obs") && !(p->sigma_obs > 0)) {
		rc = err_set(e, ERR_INPUT, "%s: 'sigma_obs' must be positive", path);
		goto out;
	}
	snprintf(where, sizeof where, "%s: 'tmcmc'", path);
	if ((rc = get_settings(p, json_object_get(root, "tmcmc"), where, e)))
		goto out;
	levels = json_object_get(root, "levels");
	validation = json_object_get(root, "validation");
	if (!levels || !json_is_array(levels) || !json_array_size(levels)) {
		rc = err_set(e, ERR_INPUT, "%s: 'levels' must be a non-empty list", path);
		goto out;
	}
	if (json_array_size(levels) > 1000) {
		rc = err_set(e, ERR_INPUT, "%s: 'levels' has more than 1000 levels", path);
		goto out;
	}
	if (validation && !json_is_object(validation)) {
		rc = err_set(e, ERR_INPUT, "%s: 'validation' must be an object", path);
		goto out;
	}
	int n_global = count_global_species(levels, validation);
	if (!(p->levels = calloc(json_array_size(levels), sizeof *p->levels))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < json_array_size(levels); k++) {
		json_t *lj = json_array_get(levels, k);
		struct plan_level *lv = &p->levels[k];
		p->n_levels = (int)k + 1;
		lv->index = (int)k;
		if (!json_is_object(lj)) {
			rc = err_set(e, ERR_INPUT, "%s: level %zu must be an object", path, k + 1);
			goto out;
		}
		if ((rc = load_level(p, lv, lj, n_global, 0, e)))
			goto out;
	}
	if (validation) {
		p->has_validation = 1;
		p->validation.index = p->n_levels;
		if ((rc = load_level(p, &p->validation, validation, n_global, 1, e)))
			goto out;
	}
out:
	json_decref(root);
	return rc;
}

static void level_free(struct plan_level *lv)
{
	free(lv->name);
	free(lv->model_path);
	free(lv->data_path);
	model_free(&lv->model);
	if (lv->has_data)
		likelihood_data_free(&lv->data);
	prior_free(&lv->prior);
	free(lv->global);
	free(lv->from_free);
	free(lv->from_level);
	free(lv->from_pos);
	free(lv->fixed_value);
}

int plan_load(struct plan *p, const char *path, struct err *e)
{
	int rc = load_plan(p, path, e);
	if (rc)
		plan_free(p); /* what was read before the error */
	return rc;
}

void plan_free(struct plan *p)
{
	for (int k = 0; k < p->n_levels; k++)
		level_free(&p->levels[k]);
	free(p->levels);
	if (p->has_validation)
		level_free(&p->validation);
	prior_free(&p->params);
	free(p->path);
	memset(p, 0, sizeof *p);
}

void plan_level_fix(struct plan_level *lv, const double *const *map, const double *const *mean)
{
	for (int j = 0; j < lv->model.n_theta; j++)
		if (lv->from_level[j] >= 0)
			lv->fixed_value[j] = (lv->fixed == PLAN_MAP ? map : mean)[lv->from_level[j]][lv->from_pos[j]];
}

int plan_level_takes_from(const struct plan_level *lv, int l)
{
	for (int j = 0; j < lv->model.n_theta; j++)
		if (lv->from_level[j] == l)
			return 1;
	return 0;
}

void plan_level_theta(const struct plan_level *lv, const double *free_theta, double *model_theta)
{
	for (int j = 0; j < lv->model.n_theta; j++)
		model_theta[j] = lv->from_free[j] >= 0 ? free_theta[lv->from_free[j]] : lv->fixed_value[j];
}

json_t *plan_level_model_json(const struct plan_level *lv)
{
	json_t *m = json_deep_copy(lv->model.json), *names = json_array();
	if (!m || !names) {
		json_decref(m);
		json_decref(names);
		return NULL;
	}
	for (int j = 0; j < lv->model.n_theta; j++)
		if (json_array_append_new(names, json_string(lv->model.names[j]))) {
			json_decref(names);
			json_decref(m);
			return NULL;
		}
	if (json_object_set_new(m, "parameters", names)) {
		json_decref(m);
		return NULL;
	}
	return m;
}
