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

#include "tmcmc.h"
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
	if (!p->theta || !p->loglik || !p->logprior || !p->covariance) {
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

/* The fields of a history entry in the header's order: the key, the
 * place in struct population_stage, and whether it is a count (a long). */
static const struct {
	const char *key;
	size_t off;
	int count;
} stage_fields[] = {
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
		const char *h = (const char *)&p->history[i];
		msgpack_pack_map(pk, STAGE_FIELDS);
		for (size_t k = 0; k < STAGE_FIELDS; k++) {
			if (stage_fields[k].count) {
				stream_pack_str(pk, stage_fields[k].key);
				msgpack_pack_long(pk, *(const long *)(h + stage_fields[k].off));
			} else {
				stream_pack_kv_double(pk, stage_fields[k].key, *(const double *)(h + stage_fields[k].off));
			}
		}
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
	if (!(q.covariance = calloc((size_t)q.d * (size_t)q.d, sizeof *q.covariance))) {
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
	free(q.theta);
	free(q.loglik);
	free(q.logprior);
	prior_free(pr);
	stream_reader_free(&r);
	return rc;
}

void population_pack_settings(msgpack_packer *pk, const struct tmcmc_settings *s, int d)
{
	msgpack_pack_map(pk, 9);
	stream_pack_kv_double(pk, "target_ess", s->target_ess);
	stream_pack_kv_double(pk, "min_dbeta", s->min_dbeta);
	stream_pack_kv_double(pk, "logl_scale", s->logl_scale);
	stream_pack_str(pk, "adapt");
	if (s->adapt)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	stream_pack_kv_double(pk, "target_acceptance", isnan(s->target_acceptance) ? 0.23 + 0.21 / d : s->target_acceptance);
	stream_pack_str(pk, "resample");
	stream_pack_str(pk, s->resample == TMCMC_SYSTEMATIC ? "systematic" : "multinomial");
	stream_pack_str(pk, "chain_steps");
	if (s->chain_steps > 0)
		msgpack_pack_int(pk, s->chain_steps);
	else
		stream_pack_str(pk, "auto");
	stream_pack_str(pk, "max_chain_steps");
	msgpack_pack_int(pk, s->max_chain_steps);
	stream_pack_kv_double(pk, "decorrelation", s->decorrelation);
}

int population_write(const struct population *p, const struct prior *pr, const struct tmcmc_settings *s,
		     struct stream_writer *w, struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	int first = p->stage == 0, rc;

	stream_pack_header_start(pk, "population", 19 + (s != NULL));
	stream_pack_str(pk, "version");
	stream_pack_str(pk, BIOFILTER_VERSION);
	stream_pack_str(pk, "parameters");
	stream_pack_strs(pk, (const char *const *)pr->names, pr->n);
	stream_pack_str(pk, "prior");
	prior_pack(pk, pr);
	stream_pack_str(pk, "seed");
	msgpack_pack_uint64(pk, p->seed);
	stream_pack_str(pk, "level");
	msgpack_pack_long(pk, p->level);
	stream_pack_str(pk, "stage");
	msgpack_pack_long(pk, p->stage);
	stream_pack_str(pk, "samples");
	msgpack_pack_int(pk, p->n);
	stream_pack_kv_double(pk, "beta", p->beta);
	stream_pack_kv_double(pk, "dbeta", p->dbeta);
	stream_pack_kv_double(pk, "log_evidence", p->log_evidence);
	stream_pack_kv_double(pk, "log_evidence_se", p->log_evidence_se);
	stream_pack_kv_double(pk, "ess", first ? p->n : p->ess);
	stream_pack_str(pk, "acceptance");
	if (first)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_double(pk, p->acceptance);
	stream_pack_kv_double(pk, "scale", p->scale);
	stream_pack_str(pk, "chain_steps");
	msgpack_pack_long(pk, p->chain_steps);
	stream_pack_str(pk, "evaluations");
	msgpack_pack_long(pk, p->evaluations);
	stream_pack_str(pk, "evaluations_total");
	msgpack_pack_long(pk, p->evaluations_total);
	stream_pack_str(pk, "proposal");
	if (first) {
		stream_pack_str(pk, "prior");
	} else {
		msgpack_pack_map(pk, 3);
		stream_pack_kv_double(pk, "scale_start", p->scale_start);
		stream_pack_kv_double(pk, "scale_end", p->scale);
		stream_pack_str(pk, "covariance");
		msgpack_pack_array(pk, (size_t)p->d);
		for (int a = 0; a < p->d; a++)
			stream_pack_numbers(pk, p->covariance + (size_t)a * (size_t)p->d, (size_t)p->d);
	}
	stream_pack_str(pk, "history");
	population_pack_history(pk, p);
	if (s) {
		stream_pack_str(pk, "tmcmc");
		population_pack_settings(pk, s, p->d);
	}
	if ((rc = stream_writer_flush(w, 0, e)))
		return rc;
	return population_write_records(p, w, e);
}

int population_write_records(const struct population *p, struct stream_writer *w, struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	int rc;

	for (int c = 0; c < p->n; c++) {
		int known = !isnan(p->loglik[c]);
		msgpack_pack_map(pk, 3 + (size_t)known);
		stream_pack_str(pk, "id");
		msgpack_pack_int(pk, c);
		stream_pack_str(pk, "theta");
		stream_pack_numbers(pk, p->theta + (size_t)c * (size_t)p->d, (size_t)p->d);
		if (known)
			stream_pack_kv_double(pk, "loglik", p->loglik[c]);
		stream_pack_kv_double(pk, "logprior", p->logprior[c]);
		if ((rc = stream_writer_flush(w, 0, e)))
			return rc;
	}
	return 0;
}
