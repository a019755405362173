/*
 * model: parsing and validation of model files; theta layout.
 *
 * Invariants after a successful load: 1 <= species <= MODEL_MAX_SPECIES;
 * dt > 0; 1 <= steps <= MODEL_MAX_STEPS; every eta > 0; every phi0 > 0 with
 * sum < 1; 0 < psi0 < 1; tolerance > 0; max_newton >= 1; names holds
 * n_theta distinct non-empty strings. All numbers are finite.
 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"

static const char *const known_keys[] = {
	"species", "dt", "steps", "eta", "phi0", "psi0", "gamma0", "nutrients",
	"antibiotics", "penalty", "tolerance", "max_newton", "parameters", NULL,
};

int model_theta_size(int species)
{
	return species * (species + 1) / 2 + species;
}

/* A list of n positive numbers, or (if scalar_ok) one number for all. */
static int get_list(json_t *obj, const char *key, const char *where, int n, int scalar_ok,
		    double *out, struct err *e)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return err_set(e, ERR_INPUT, "%s: missing key '%s'", where, key);
	if (scalar_ok && json_is_number(v)) {
		for (int i = 0; i < n; i++)
			out[i] = json_number_value(v);
	} else if (json_is_array(v)) {
		if ((int)json_array_size(v) != n)
			return err_set(e, ERR_INPUT, "%s: '%s' must have %d entries (one per species), got %zu",
				       where, key, n, json_array_size(v));
		for (int i = 0; i < n; i++) {
			json_t *x = json_array_get(v, i);
			if (!json_is_number(x))
				return err_set(e, ERR_INPUT, "%s: '%s'[%d] must be a number", where, key, i);
			out[i] = json_number_value(x);
		}
	} else {
		return err_set(e, ERR_INPUT, "%s: '%s' must be a list of numbers%s", where, key,
			       scalar_ok ? " or a number" : "");
	}
	for (int i = 0; i < n; i++)
		if (!isfinite(out[i]) || out[i] <= 0)
			return err_set(e, ERR_INPUT, "%s: '%s'[%d] must be positive", where, key, i);
	return 0;
}

static int get_antibiotics(struct model *m, json_t *obj, const char *where, struct err *e)
{
	json_t *v = json_object_get(obj, "antibiotics");
	const char *key;
	json_t *x;

	if (!v)
		return err_set(e, ERR_INPUT, "%s: missing key 'antibiotics'", where);
	if (json_is_number(v)) {
		m->antibiotics_after_step = m->steps;
		m->antibiotics_before = m->antibiotics_after = json_number_value(v);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if (strcmp(key, "after_step") && strcmp(key, "before") && strcmp(key, "after"))
				return err_set(e, ERR_INPUT, "%s: 'antibiotics': unknown key '%s'", where, key);
		}
		char sub[300];
		snprintf(sub, sizeof sub, "%s: 'antibiotics'", where);
		int rc;
		if ((rc = mpjson_get_int(v, "after_step", sub, 1, 0, 0, MODEL_MAX_STEPS,
				  &m->antibiotics_after_step, e)) ||
		    (rc = mpjson_get_number(v, "before", sub, 1, 0, &m->antibiotics_before, e)) ||
		    (rc = mpjson_get_number(v, "after", sub, 1, 0, &m->antibiotics_after, e)))
			return rc;
	} else {
		return err_set(e, ERR_INPUT,
			       "%s: 'antibiotics' must be a number or {\"after_step\", \"before\", \"after\"}",
			       where);
	}
	if (!isfinite(m->antibiotics_before) || !isfinite(m->antibiotics_after) ||
	    m->antibiotics_before < 0 || m->antibiotics_after < 0)
		return err_set(e, ERR_INPUT, "%s: 'antibiotics' must be finite and not negative", where);
	return 0;
}

void model_default_name(int n, int i, int j, char *buf, size_t size)
{
	if (j)
		snprintf(buf, size, n > 9 ? "a%d_%d" : "a%d%d", i, j);
	else
		snprintf(buf, size, "b%d", i);
}

static int default_names(struct model *m, struct err *e)
{
	int n = m->species, k = 0;

	for (int i = 1; i <= n; i++)
		for (int j = i; j <= n; j++) {
			char buf[32];
			model_default_name(n, i, j, buf, sizeof buf);
			if (!(m->names[k++] = strdup(buf)))
				return err_set(e, ERR_NOMEM, "out of memory");
		}
	for (int i = 1; i <= n; i++) {
		char buf[32];
		model_default_name(n, i, 0, buf, sizeof buf);
		if (!(m->names[k++] = strdup(buf)))
			return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int get_names(struct model *m, json_t *obj, const char *where, struct err *e)
{
	json_t *v = json_object_get(obj, "parameters");

	m->names = calloc((size_t)m->n_theta, sizeof *m->names);
	if (!m->names)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!v)
		return default_names(m, e);
	if (!json_is_array(v) || (int)json_array_size(v) != m->n_theta)
		return err_set(e, ERR_INPUT, "%s: 'parameters' must be a list of %d names (the length of theta)",
			       where, m->n_theta);
	for (int i = 0; i < m->n_theta; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (!s || !*s)
			return err_set(e, ERR_INPUT, "%s: 'parameters'[%d] must be a non-empty string", where, i);
		for (int j = 0; j < i; j++)
			if (!strcmp(m->names[j], s))
				return err_set(e, ERR_INPUT, "%s: 'parameters' names '%s' twice", where, s);
		if (!(m->names[i] = strdup(s)))
			return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

int model_from_json(struct model *m, json_t *obj, const char *where, struct err *e)
{
	int rc;

	memset(m, 0, sizeof *m);
	if (!json_is_object(obj))
		return err_set(e, ERR_INPUT, "%s: a model must be a JSON object", where);
	if ((rc = mpjson_check_keys(obj, known_keys, where, e)))
		return rc;
	if ((rc = mpjson_get_int(obj, "species", where, 1, 0, 1, MODEL_MAX_SPECIES, &m->species, e)) ||
	    (rc = mpjson_get_number(obj, "dt", where, 1, 0, &m->dt, e)))
		return rc;
	if (!(m->dt > 0))
		return err_set(e, ERR_INPUT, "%s: 'dt' must be positive", where);
	if ((rc = mpjson_get_int(obj, "steps", where, 1, 0, 1, MODEL_MAX_STEPS, &m->steps, e)) ||
	    (rc = get_list(obj, "eta", where, m->species, 0, m->eta, e)) ||
	    (rc = get_list(obj, "phi0", where, m->species, 1, m->phi0, e)) ||
	    (rc = mpjson_get_number(obj, "psi0", where, 0, 0.999, &m->psi0, e)) ||
	    (rc = mpjson_get_number(obj, "gamma0", where, 0, 1e-6, &m->gamma0, e)) ||
	    (rc = mpjson_get_number(obj, "nutrients", where, 1, 0, &m->nutrients, e)) ||
	    (rc = get_antibiotics(m, obj, where, e)) ||
	    (rc = mpjson_get_number(obj, "penalty", where, 0, 1e-4, &m->penalty, e)) ||
	    (rc = mpjson_get_number(obj, "tolerance", where, 0, 1e-6, &m->tolerance, e)) ||
	    (rc = mpjson_get_int(obj, "max_newton", where, 0, 100, 1, 1000000, &m->max_newton, e)))
		return rc;
	double sum = 0;
	for (int i = 0; i < m->species; i++)
		sum += m->phi0[i];
	if (!(sum < 1))
		return err_set(e, ERR_INPUT, "%s: 'phi0' sums to %g; it must be below 1 (phi_0 = 1 - sum)",
			       where, sum);
	if (!(m->psi0 > 0 && m->psi0 < 1))
		return err_set(e, ERR_INPUT, "%s: 'psi0' must lie strictly between 0 and 1", where);
	if (m->nutrients < 0)
		return err_set(e, ERR_INPUT, "%s: 'nutrients' must not be negative", where);
	if (m->penalty < 0)
		return err_set(e, ERR_INPUT, "%s: 'penalty' must not be negative", where);
	if (!(m->tolerance > 0))
		return err_set(e, ERR_INPUT, "%s: 'tolerance' must be positive", where);
	m->n_theta = model_theta_size(m->species);
	if ((rc = get_names(m, obj, where, e)))
		return rc;
	m->json = json_incref(obj);
	return 0;
}

int model_load(struct model *m, const char *path, struct err *e)
{
	json_t *root;
	int rc;

	memset(m, 0, sizeof *m);
	if ((rc = mpjson_load_file(path, "a model file", &root, e)))
		return rc;
	rc = model_from_json(m, root, path, e);
	json_decref(root);
	if (rc)
		model_free(m);
	return rc;
}

void model_free(struct model *m)
{
	if (m->names)
		for (int i = 0; i < m->n_theta; i++)
			free(m->names[i]);
	free(m->names);
	json_decref(m->json);
	memset(m, 0, sizeof *m);
}

double model_antibiotics(const struct model *m, int step)
{
	return step <= m->antibiotics_after_step ? m->antibiotics_before : m->antibiotics_after;
}

void model_unpack_theta(const struct model *m, const double *theta, double *A, double *b)
{
	int n = m->species, k = 0;

	for (int i = 0; i < n; i++)
		for (int j = i; j < n; j++)
			A[i * n + j] = A[j * n + i] = theta[k++];
	for (int i = 0; i < n; i++)
		b[i] = theta[k++];
}

void model_initial_state(const struct model *m, double *g)
{
	int n = m->species;
	double sum = 0;

	for (int i = 0; i < n; i++) {
		g[i] = m->phi0[i];
		sum += m->phi0[i];
		g[n + 1 + i] = m->psi0;
	}
	g[n] = 1.0 - sum;
	g[2 * n + 1] = m->gamma0;
}

int model_param_index(const struct model *m, const char *name)
{
	for (int i = 0; i < m->n_theta; i++)
		if (!strcmp(m->names[i], name))
			return i;
	return -1;
}

int model_param_list(const struct model *m, const char *list, const char *opt, int *out, int *n,
		     struct err *e)
{
	char seen[MODEL_MAX_THETA] = {0}, name[64];

	*n = 0;
	if (!strcmp(list, "all")) {
		for (int p = 0; p < m->n_theta; p++)
			out[p] = p;
		*n = m->n_theta;
		return 0;
	}
	if (!strcmp(list, "none"))
		return 0;
	if (!*list) /* most likely an empty shell variable: say so */
		return err_set(e, ERR_INPUT, "'%s' is empty (give 'none' for no parameter)", opt);
	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");
		if (len == 0 || len >= sizeof name)
			return err_set(e, ERR_INPUT, "'%s': '%s' is not a list of parameter names", opt, list);
		memcpy(name, s, len);
		name[len] = 0;
		int p = model_param_index(m, name);
		if (p < 0)
			return err_set(e, ERR_INPUT, "'%s': the model has no parameter '%s' (it has %s .. %s)", opt,
				       name, m->names[0], m->names[m->n_theta - 1]);
		if (seen[p]++)
			return err_set(e, ERR_INPUT, "'%s': parameter '%s' is named twice", opt, name);
		s += len;
		if (*s == ',' && !*++s)
			return err_set(e, ERR_INPUT, "'%s': '%s' is not a list of parameter names", opt, list);
	}
	for (int p = 0; p < m->n_theta; p++)
		if (seen[p])
			out[(*n)++] = p;
	return 0;
}

void model_pack_entries(struct pack_map *h, const struct model *m)
{
	pack_key(h, "parameters");
	pack_strs(pack_map_packer(h), (const char *const *)m->names, m->n_theta);
	pack_key(h, "model");
	mpjson_pack(pack_map_packer(h), m->json);
}
