/*
 * prior: parsing, packing, density and draws of independent priors.
 * Invariant: after a successful parse every parameter has lo < hi, a
 * positive sd, and a support of positive mass, so log_norm is finite.
 */
#include "prior.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"
#include "normal.h"
#include "stream.h"

static int bad(struct err *e, const char *where, int i, const struct prior_param *p, const char *what)
{
	if (p && p->name)
		return err_set(e, ERR_INPUT, "%s: parameter %d ('%s'): %s", where, i + 1, p->name, what);
	return err_set(e, ERR_INPUT, "%s: parameter %d: %s", where, i + 1, what);
}

/* [x, y] of numbers, or of numbers and nulls when `open_ok` (null: +-inf) */
static int get_pair(const msgpack_object *o, int open_ok, double *x, double *y)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
		return -1;
	double v[2];
	for (int k = 0; k < 2; k++) {
		const msgpack_object *a = &o->via.array.ptr[k];
		if (open_ok && a->type == MSGPACK_OBJECT_NIL)
			v[k] = k ? INFINITY : -INFINITY;
		else if (stream_object_number(a, &v[k]) || !isfinite(v[k]))
			return -1;
	}
	*x = v[0];
	*y = v[1];
	return 0;
}

static int parse_param(struct prior_param *p, const msgpack_object *o, const char *where, int i, struct err *e)
{
	const msgpack_object *uni = NULL, *nor = NULL, *bounds = NULL;

	if (o->type != MSGPACK_OBJECT_MAP)
		return bad(e, where, i, NULL, "must be an object");
	for (uint32_t k = 0; k < o->via.map.size; k++) {
		const msgpack_object *key = &o->via.map.ptr[k].key, *val = &o->via.map.ptr[k].val;
		if (stream_object_is_str(key, "name")) {
			if (val->type != MSGPACK_OBJECT_STR || val->via.str.size == 0)
				return bad(e, where, i, NULL, "'name' must be a non-empty string");
			if (!(p->name = strndup(val->via.str.ptr, val->via.str.size)))
				return err_set(e, ERR_NOMEM, "out of memory");
		} else if (stream_object_is_str(key, "uniform")) {
			uni = val;
		} else if (stream_object_is_str(key, "normal")) {
			nor = val;
		} else if (stream_object_is_str(key, "bounds")) {
			bounds = val;
		} else if (stream_object_is_str(key, "truth")) {
			if (stream_object_number(val, &p->truth) || !isfinite(p->truth))
				return bad(e, where, i, p, "'truth' must be a number");
			p->has_truth = 1;
		} else {
			char what[160];
			if (key->type == MSGPACK_OBJECT_STR)
				snprintf(what, sizeof what, "unknown key '%.*s'", (int)(key->via.str.size > 64 ? 64 : key->via.str.size),
					 key->via.str.ptr);
			else
				snprintf(what, sizeof what, "keys must be strings");
			return bad(e, where, i, p, what);
		}
	}
	if (!p->name)
		return bad(e, where, i, NULL, "'name' is missing");
	if (!uni == !nor)
		return bad(e, where, i, p, "give one of 'uniform' or 'normal'");
	if (uni) {
		if (bounds)
			return bad(e, where, i, p, "'bounds' goes with 'normal'");
		p->kind = PRIOR_UNIFORM;
		if (get_pair(uni, 0, &p->a, &p->b) || !(p->a < p->b))
			return bad(e, where, i, p, "'uniform' must be [low, high] with low < high");
		p->lo = p->a;
		p->hi = p->b;
		p->log_norm = -log(p->b - p->a);
		if (!isfinite(p->log_norm))
			return bad(e, where, i, p, "'uniform' has a width that is not representable");
		return 0;
	}
	p->kind = PRIOR_NORMAL;
	if (get_pair(nor, 0, &p->a, &p->b) || !(p->b > 0))
		return bad(e, where, i, p, "'normal' must be [mean, sd] with sd > 0");
	p->lo = -INFINITY;
	p->hi = INFINITY;
	if (bounds) {
		if (get_pair(bounds, 1, &p->lo, &p->hi) || !(p->lo < p->hi))
			return bad(e, where, i, p, "'bounds' must be [low, high] with low < high (null: open)");
		p->bounded = 1;
	}
	double mass = normal_log_mass((p->lo - p->a) / p->b, (p->hi - p->a) / p->b);
	p->log_norm = -NORMAL_LOG_SQRT_2PI - log(p->b) - mass;
	if (!isfinite(p->log_norm))
		return bad(e, where, i, p, "'bounds' hold no probability of the normal");
	return 0;
}

int prior_from_object(struct prior *pr, const msgpack_object *o, const char *where, struct err *e)
{
	memset(pr, 0, sizeof *pr);
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0)
		return err_set(e, ERR_INPUT, "%s: the prior must be a non-empty array of parameters", where);
	if (o->via.array.size > PRIOR_MAX_DIM)
		return err_set(e, ERR_INPUT, "%s: at most %d parameters, got %u", where, PRIOR_MAX_DIM,
			       o->via.array.size);
	int n = (int)o->via.array.size, rc;
	if (!(pr->p = calloc((size_t)n, sizeof *pr->p)) || !(pr->names = calloc((size_t)n, sizeof *pr->names))) {
		prior_free(pr);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	pr->n = n;
	for (int i = 0; i < n; i++) {
		if ((rc = parse_param(&pr->p[i], &o->via.array.ptr[i], where, i, e))) {
			prior_free(pr);
			return rc;
		}
		pr->names[i] = pr->p[i].name;
		for (int j = 0; j < i; j++)
			if (!strcmp(pr->names[j], pr->names[i])) {
				rc = bad(e, where, i, &pr->p[i], "the name is used twice");
				prior_free(pr);
				return rc;
			}
	}
	return 0;
}

int prior_from_json(struct prior *pr, const json_t *j, const char *where, struct err *e)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_zone zone;
	msgpack_object o;
	int rc;

	memset(pr, 0, sizeof *pr);
	/* one parser for files and headers: go through MessagePack */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	mpjson_pack(&pk, j);
	if (!msgpack_zone_init(&zone, 4096)) {
		msgpack_sbuffer_destroy(&sb);
		return err_set(e, ERR_NOMEM, "%s: out of memory", where);
	}
	size_t off = 0;
	if (!sb.data || msgpack_unpack(sb.data, sb.size, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS)
		rc = err_set(e, ERR_NOMEM, "%s: out of memory", where);
	else
		rc = prior_from_object(pr, &o, where, e);
	msgpack_zone_destroy(&zone);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

int prior_load(struct prior *pr, const char *path, struct err *e)
{
	json_t *root;
	int rc;

	memset(pr, 0, sizeof *pr);
	if ((rc = mpjson_load_file(path, "a prior file", &root, e)))
		return rc;
	rc = prior_from_json(pr, root, path, e);
	json_decref(root);
	return rc;
}

int prior_select(struct prior *dst, const struct prior *src, const int *idx, int n, struct err *e)
{
	memset(dst, 0, sizeof *dst);
	if (n > 0 && (!(dst->p = calloc((size_t)n, sizeof *dst->p)) ||
		      !(dst->names = calloc((size_t)n, sizeof *dst->names)))) {
		prior_free(dst);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		dst->p[i] = src->p[idx[i]];
		if (!(dst->p[i].name = strdup(src->p[idx[i]].name))) {
			prior_free(dst);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
		dst->names[i] = dst->p[i].name;
		dst->n = i + 1;
	}
	return 0;
}

void prior_pack(msgpack_packer *pk, const struct prior *pr)
{
	msgpack_pack_array(pk, (size_t)pr->n);
	for (int i = 0; i < pr->n; i++) {
		const struct prior_param *p = &pr->p[i];
		struct pack_map m;
		pack_map_begin(&m, pk);
		pack_kv_str(&m, "name", p->name);
		double ab[2] = {p->a, p->b};
		pack_kv_numbers(&m, p->kind == PRIOR_UNIFORM ? "uniform" : "normal", ab, 2);
		if (p->bounded) {
			pack_key(&m, "bounds");
			msgpack_pack_array(pk, 2);
			if (isinf(p->lo))
				msgpack_pack_nil(pk);
			else
				msgpack_pack_double(pk, p->lo);
			if (isinf(p->hi))
				msgpack_pack_nil(pk);
			else
				msgpack_pack_double(pk, p->hi);
		}
		if (p->has_truth)
			pack_kv_double(&m, "truth", p->truth);
		pack_map_end(&m);
	}
}

void prior_free(struct prior *pr)
{
	if (pr->p)
		for (int i = 0; i < pr->n; i++)
			free(pr->p[i].name);
	free(pr->p);
	free(pr->names);
	memset(pr, 0, sizeof *pr);
}

double prior_logpdf(const struct prior *pr, const double *theta)
{
	double lp = 0;
	for (int i = 0; i < pr->n; i++) {
		const struct prior_param *p = &pr->p[i];
		double x = theta[i];
		/* the support is closed; NaN fails every comparison */
		if (!(x >= p->lo && x <= p->hi))
			return -INFINITY;
		if (p->kind == PRIOR_UNIFORM) {
			lp += p->log_norm;
		} else {
			double z = (x - p->a) / p->b;
			lp += p->log_norm - 0.5 * z * z;
		}
	}
	return lp;
}

void prior_draw(const struct prior *pr, struct rng *r, double *theta)
{
	for (int i = 0; i < pr->n; i++) {
		const struct prior_param *p = &pr->p[i];
		double u = rng_uniform(r);
		if (p->kind == PRIOR_UNIFORM) {
			theta[i] = p->a + u * (p->b - p->a);
		} else {
			double z = normal_truncated(u, (p->lo - p->a) / p->b, (p->hi - p->a) / p->b);
			theta[i] = p->a + p->b * z;
		}
		/* rounding must not leave the support the density is zero outside */
		if (theta[i] < p->lo)
			theta[i] = p->lo;
		if (theta[i] > p->hi)
			theta[i] = p->hi;
	}
}
