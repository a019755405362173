/*
 * population: reading and writing population streams. Invariant: a read
 * population has n >= 1 chains, each theta inside the prior's support with
 * its logprior computed here (a logprior in the input is not trusted).
 */
#include "population.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

int population_init(struct population *p, int n, int d, struct err *e)
{
	memset(p, 0, sizeof *p);
	p->n = n;
	p->d = d;
	p->scale = NAN;
	p->scale_start = NAN;
	p->theta = malloc((size_t)n * (size_t)d * sizeof *p->theta);
	p->loglik = malloc((size_t)n * sizeof *p->loglik);
	p->logprior = malloc((size_t)n * sizeof *p->logprior);
	p->covariance = calloc((size_t)d * (size_t)d, sizeof *p->covariance);
	p->center = calloc((size_t)d, sizeof *p->center);
	if (!p->theta || !p->loglik || !p->logprior || !p->covariance || !p->center) {
		population_free(p);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

void population_free(struct population *p)
{
	free(p->theta);
	free(p->loglik);
	free(p->logprior);
	free(p->covariance);
	free(p->center);
	free(p->history);
	memset(p, 0, sizeof *p);
}

int population_extend_history(struct population *p, const struct population *in, struct err *e)
{
	struct population_stage *h = malloc(sizeof *h * (size_t)(in->n_history + 1));

	if (!h)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (in->n_history)
		memcpy(h, in->history, sizeof *h * (size_t)in->n_history);
	h[in->n_history] = (struct population_stage){
		.stage = p->stage,
		.beta = p->beta,
		.dbeta = p->dbeta,
		.ess = p->ess,
		.acceptance = p->acceptance,
		.scale = p->scale,
		.log_evidence = p->log_evidence,
		.chain_steps = p->chain_steps,
		.evaluations_total = p->evaluations_total,
	};
	free(p->history);
	p->history = h;
	p->n_history = in->n_history + 1;
	return 0;
}

/* The fields of a history entry in the header's order. */
static const struct pack_field stage_fields[] = {
	{"stage", offsetof(struct population_stage, stage), 1},
	{"beta", offsetof(struct population_stage, beta), 0},
	{"dbeta", offsetof(struct population_stage, dbeta), 0},
	{"ess", offsetof(struct population_stage, ess), 0},
	{"acceptance", offsetof(struct population_stage, acceptance), 0},
	{"scale", offsetof(struct population_stage, scale), 0},
	{"chain_steps", offsetof(struct population_stage, chain_steps), 1},
	{"evaluations_total", offsetof(struct population_stage, evaluations_total), 1},
	{"log_evidence", offsetof(struct population_stage, log_evidence), 0},
};
#define STAGE_FIELDS (sizeof stage_fields / sizeof *stage_fields)

void population_pack_history(msgpack_packer *pk, const struct population *p)
{
	msgpack_pack_array(pk, (size_t)p->n_history);
	for (long i = 0; i < p->n_history; i++) {
		struct pack_map m;
		pack_map_begin(&m, pk);
		pack_fields(&m, &p->history[i], stage_fields, STAGE_FIELDS, 0);
		pack_map_end(&m);
	}
}

/* The header's "history", if any: entries for stages 1..p->stage at most,
 * in increasing order, every field a finite number, the counts
 * non-negative integers. */
static int read_history(struct population *p, const struct stream_reader *r, const msgpack_object *h,
			struct err *e)
{
	const msgpack_object *v = stream_map_get(h, "history");

	if (!v)
		return 0;
	if (v->type != MSGPACK_OBJECT_ARRAY)
		return err_set(e, ERR_INPUT, "%s: header: 'history' must be a list", r->name);
	uint32_t n = v->via.array.size;
	if (n > (uint64_t)p->stage)
		return err_set(e, ERR_INPUT, "%s: header: 'history' has %u entries for %ld stages", r->name, n,
			       p->stage);
	if (!n)
		return 0;
	if (!(p->history = calloc(n, sizeof *p->history)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *o = &v->via.array.ptr[i];
		double x[STAGE_FIELDS];
		for (size_t k = 0; k < STAGE_FIELDS; k++) {
			const msgpack_object *f = o->type == MSGPACK_OBJECT_MAP ? stream_map_get(o, stage_fields[k].key) : NULL;
			if (!f || stream_object_number(f, &x[k]) || !isfinite(x[k]))
				return err_set(e, ERR_INPUT, "%s: header: 'history[%u].%s' must be a number", r->name,
					       i, stage_fields[k].key);
		}
		long prev = i ? p->history[i - 1].stage : 0;
		if (x[0] != floor(x[0]) || x[0] <= prev || x[0] > p->stage) /* stage_fields[0] is the stage */
			return err_set(e, ERR_INPUT, "%s: header: 'history[%u].stage' must be a stage after %ld "
				       "and not after %ld", r->name, i, prev, p->stage);
		char *entry = (char *)&p->history[i];
		for (size_t k = 0; k < STAGE_FIELDS; k++) {
			if (!stage_fields[k].count) {
				*(double *)(entry + stage_fields[k].off) = x[k];
				continue;
			}
			if (x[k] < 0 || x[k] != floor(x[k]) || x[k] > 9e15)
				return err_set(e, ERR_INPUT, "%s: header: 'history[%u]': 'chain_steps' and "
					       "'evaluations_total' must be non-negative integers", r->name, i);
			*(long *)(entry + stage_fields[k].off) = (long)x[k];
		}
		p->n_history = i + 1;
	}
	return 0;
}

static int header_number(const struct stream_reader *r, const msgpack_object *h, const char *key, int required,
			 double *out, struct err *e)
{
	const msgpack_object *v = stream_map_get(h, key);
	if (!v) {
		if (required)
			return err_set(e, ERR_INPUT, "%s: the header has no '%s': not a population", r->name, key);
		return 0;
	}
	if (stream_object_number(v, out) || !isfinite(*out))
		return err_set(e, ERR_INPUT, "%s: header: '%s' must be a number", r->name, key);
	return 0;
}

static int read_header(struct population *p, struct prior *pr, const struct stream_reader *r, struct err *e)
{
	const msgpack_object *h = stream_reader_header(r), *v;
	double x;
	int rc;

	if (!h)
		return err_set(e, ERR_INPUT, "%s: no header: a population stream starts with one "
			       "(tmcmc-stage --init makes stage 0)", r->name);
	if ((v = stream_map_get(h, "kind")) && !stream_object_is_str(v, "population"))
		return err_set(e, ERR_INPUT, "%s: the stream is not a population (header 'kind')", r->name);
	if (!(v = stream_map_get(h, "prior")))
		return err_set(e, ERR_INPUT, "%s: the header has no 'prior': not a population", r->name);
	char where[600];
	snprintf(where, sizeof where, "%s: header 'prior'", r->name);
	if ((rc = prior_from_object(pr, v, where, e)))
		return rc;
	if ((rc = stream_reader_check_names(r, "parameters", (const char *const *)pr->names, pr->n, e)))
		return rc;
	if (!(v = stream_map_get(h, "seed")) || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return err_set(e, ERR_INPUT, "%s: header: 'seed' must be a non-negative integer", r->name);
	p->seed = v->via.u64;
	p->level = 0;
	if ((rc = header_number(r, h, "level", 0, &x, e)))
		return rc;
	if (stream_map_get(h, "level")) {
		if (x < 0 || x != floor(x) || x > 1e9)
			return err_set(e, ERR_INPUT, "%s: header: 'level' must be a non-negative integer", r->name);
		p->level = (long)x;
	}
	if ((rc = header_number(r, h, "stage", 1, &x, e)))
		return rc;
	if (x < 0 || x != floor(x) || x > 1e9)
		return err_set(e, ERR_INPUT, "%s: header: 'stage' must be a non-negative integer", r->name);
	p->stage = (long)x;
	if ((rc = header_number(r, h, "beta", 1, &p->beta, e)) ||
	    (rc = header_number(r, h, "log_evidence", 1, &p->log_evidence, e)))
		return rc;
	if (!(p->beta >= 0 && p->beta <= 1))
		return err_set(e, ERR_INPUT, "%s: header: 'beta' must be in [0, 1]", r->name);
	if ((rc = header_number(r, h, "log_evidence_se", 0, &p->log_evidence_se, e)))
		return rc;
	if ((rc = header_number(r, h, "evaluations_total", 0, &x, e)))
		return rc;
	if (stream_map_get(h, "evaluations_total")) {
		if (x < 0 || x != floor(x) || x > 9e15)
			return err_set(e, ERR_INPUT, "%s: header: 'evaluations_total' must be a non-negative integer",
				       r->name);
		p->evaluations_total = (long)x;
	}
	/* how many MH steps the stage that made it took: a prediction for the next */
	if ((rc = header_number(r, h, "chain_steps", 0, &x, e)))
		return rc;
	if (stream_map_get(h, "chain_steps")) {
		if (x < 0 || x != floor(x) || x > 1e9)
			return err_set(e, ERR_INPUT, "%s: header: 'chain_steps' must be a non-negative integer", r->name);
		p->chain_steps = (long)x;
	}
	p->scale = NAN;
	if ((rc = header_number(r, h, "scale", 0, &p->scale, e)))
		return rc;
	if (stream_map_get(h, "scale") && !(p->scale > 0))
		return err_set(e, ERR_INPUT, "%s: header: 'scale' must be positive", r->name);
	return read_history(p, r, h, e);
}

/* Append a record's theta and loglik to growing arrays. */
static int read_record(const struct stream_reader *r, const msgpack_object *rec, const struct prior *pr,
		       double *theta, double *loglik, double *logprior, struct err *e)
{
	const msgpack_object *v;
	int rc;

	if ((rc = stream_field_numbers(r, rec, "theta", theta, (size_t)pr->n, e)))
		return rc;
	*logprior = prior_logpdf(pr, theta);
	if (*logprior == -INFINITY)
		return err_set(e, ERR_INPUT, "%s: record %ld: 'theta' is outside the prior's support", r->name,
			       r->record);
	*loglik = NAN;
	if ((v = stream_map_get(rec, "loglik"))) {
		if (stream_object_number(v, loglik))
			return err_set(e, ERR_INPUT, "%s: record %ld: 'loglik' must be a number", r->name, r->record);
		if (isnan(*loglik) || *loglik == INFINITY)
			return err_set(e, ERR_INPUT, "%s: record %ld: 'loglik' is %s (leave it out to have the "
				       "record evaluated)", r->name, r->record, isnan(*loglik) ? "NaN" : "+Infinity");
	}
	return 0;
}

int population_read(struct population *p, struct prior *pr, const char *path, struct err *e)
{
	struct stream_reader r;
	const msgpack_object *rec;
	struct population q;
	int rc, cap = 0, n = 0;

	memset(p, 0, sizeof *p);
	memset(pr, 0, sizeof *pr);
	memset(&q, 0, sizeof q);
	if ((rc = stream_reader_open(&r, path, e)))
		return rc;
	if ((rc = stream_reader_peek_header(&r, e)) || (rc = read_header(&q, pr, &r, e)))
		goto fail;
	q.d = pr->n;
	while ((rc = stream_reader_next(&r, &rec, e)) != 0) {
		if (rc < 0)
			goto fail;
		if (rc == STREAM_NOT_MAP) {
			rc = ERR_INPUT;
			goto fail;
		}
		if (n == cap) {
			if (cap >= POPULATION_MAX_N) {
				rc = err_set(e, ERR_INPUT, "%s: more than %d records", r.name, POPULATION_MAX_N);
				goto fail;
			}
			int nc = cap ? 2 * cap : 256;
			double *t = realloc(q.theta, (size_t)nc * (size_t)q.d * sizeof *t);
			if (t)
				q.theta = t;
			double *l = realloc(q.loglik, (size_t)nc * sizeof *l);
			if (l)
				q.loglik = l;
			double *lp = realloc(q.logprior, (size_t)nc * sizeof *lp);
			if (lp)
				q.logprior = lp;
			if (!t || !l || !lp) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				goto fail;
			}
			cap = nc;
		}
		if ((rc = read_record(&r, rec, pr, q.theta + (size_t)n * (size_t)q.d, q.loglik + n, q.logprior + n,
				      e)))
			goto fail;
		n++;
	}
	if (!n) {
		rc = err_set(e, ERR_INPUT, "%s: the population has no records", r.name);
		goto fail;
	}
	const msgpack_object *ns = stream_reader_header(&r) ? stream_map_get(stream_reader_header(&r), "samples") : NULL;
	double hn;
	if (ns && stream_object_number(ns, &hn)) {
		rc = err_set(e, ERR_INPUT, "%s: header: 'samples' must be a number (of records)", r.name);
		goto fail;
	}
	if (ns && hn != n) {
		rc = err_set(e, ERR_INPUT, "%s: header: 'samples' says %g, the stream has %d records (cut short?)",
			     r.name, hn, n);
		goto fail;
	}
	if (!(q.covariance = calloc((size_t)q.d * (size_t)q.d, sizeof *q.covariance)) ||
	    !(q.center = calloc((size_t)q.d, sizeof *q.center))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	q.n = n;
	q.scale_start = NAN;
	*p = q; /* the arrays move over (they may be longer than n) */
	stream_reader_free(&r);
	return 0;
fail:
	free(q.history);
	free(q.covariance);
	free(q.center);
	free(q.theta);
	free(q.loglik);
	free(q.logprior);
	prior_free(pr);
	stream_reader_free(&r);
	return rc;
}

int population_write(const struct population *p, const struct prior *pr, const struct population_extra *x,
		     struct stream_writer *w, struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	int first = p->stage == 0, rc;
	struct pack_map h, prop;

	stream_header_begin(&h, pk, "population");
	pack_kv_str(&h, "version", BIOFILTER_VERSION);
	pack_key(&h, "parameters");
	pack_strs(pk, (const char *const *)pr->names, pr->n);
	pack_key(&h, "prior");
	prior_pack(pk, pr);
	pack_key(&h, "seed");
	msgpack_pack_uint64(pk, p->seed);
	pack_kv_long(&h, "level", p->level);
	pack_kv_long(&h, "stage", p->stage);
	pack_kv_long(&h, "samples", p->n);
	pack_kv_double(&h, "beta", p->beta);
	pack_kv_double(&h, "dbeta", p->dbeta);
	pack_kv_double(&h, "log_evidence", p->log_evidence);
	pack_kv_double(&h, "log_evidence_se", p->log_evidence_se);
	pack_kv_double(&h, "ess", first ? p->n : p->ess);
	pack_key(&h, "acceptance");
	if (first)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_double(pk, p->acceptance);
	if (!isnan(p->scale)) /* stage 0 has none unless one was given */
		pack_kv_double(&h, "scale", p->scale);
	pack_kv_long(&h, "chain_steps", p->chain_steps);
	pack_kv_long(&h, "evaluations", p->evaluations);
	pack_kv_long(&h, "evaluations_total", p->evaluations_total);
	if (first) {
		pack_kv_str(&h, "proposal", "prior");
	} else {
		pack_key(&h, "proposal");
		pack_map_begin(&prop, pk);
		pack_kv_double(&prop, "scale_start", p->scale_start);
		pack_kv_double(&prop, "scale_end", p->scale);
		pack_key(&prop, "covariance");
		msgpack_pack_array(pk, (size_t)p->d);
		for (int a = 0; a < p->d; a++)
			pack_numbers(pk, p->covariance + (size_t)a * (size_t)p->d, (size_t)p->d);
		if (p->dof > 0) {
			pack_kv_numbers(&prop, "center", p->center, (size_t)p->d);
			pack_kv_double(&prop, "dof", p->dof);
		}
		pack_map_end(&prop);
	}
	pack_key(&h, "history");
	population_pack_history(pk, p);
	if (x)
		x->pack(&h, x->ctx, p);
	pack_map_end(&h);
	if ((rc = stream_writer_flush(w, 0, e)))
		return rc;
	return population_write_records(p, w, e);
}

int population_write_records(const struct population *p, struct stream_writer *w, struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	int rc;

	for (int c = 0; c < p->n; c++) {
		struct pack_map m;
		pack_map_begin(&m, pk);
		pack_kv_long(&m, "id", c);
		pack_kv_numbers(&m, "theta", p->theta + (size_t)c * (size_t)p->d, (size_t)p->d);
		if (!isnan(p->loglik[c]))
			pack_kv_double(&m, "loglik", p->loglik[c]);
		pack_kv_double(&m, "logprior", p->logprior[c]);
		pack_map_end(&m);
		if ((rc = stream_writer_flush(w, 0, e)))
			return rc;
	}
	return 0;
}
