/*
 * Unit tests for population: the N samples of a TMCMC stage as a stream
 * (population.h; man/biofilter-stream.5, kind "population").
 *
 * A population is written with population_write and read back with
 * population_read; every field that is read back must come back exactly
 * (n, d, theta, loglik with NaN for a record without one and -inf kept,
 * the seed up to 2^64 - 1, level, stage, beta, log_evidence and its
 * standard error, scale, evaluations_total, the history entry by entry,
 * and the prior parameter by parameter), the logprior recomputed from the
 * prior (a logprior in the input is not trusted; the expected values are
 * computed here from the densities' formulas with erfc, not with the
 * module's normal.h), and what is not read back (the stage's own dbeta,
 * ESS, acceptance, covariance) left at zero. The header as written is
 * checked key by key against the order the man page gives, with a
 * population_extra's entry at its end, for stage 0 (acceptance nil,
 * proposal "prior", ESS N) and after it (the proposal map).
 *
 * population_read's refusals are checked on streams written here from
 * JSON text (objects.h: mpjson's bare NaN, Infinity and -Infinity stand
 * for what JSON cannot say), one defect at a time on an otherwise
 * good population, each for its exact message, which names the file and
 * the record and field, or the header key. Nothing may leak on any of
 * these paths (valgrind).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"
#include "pack.h"
#include "population.h"
#include "prior.h"
#include "stream.h"

#include "objects.h"
#include "scratch.h"
#include "streams.h"

static int setup(void **state)
{
	return scratch_setup(state, "test_population", "pop.mpk");
}

#define PI 3.14159265358979323846

/* ---- priors ---- */

/* a uniform [0, 3] (truth 0.8), b N(0, 1), c N(1, 2^2) truncated to [0, inf) */
static const char PRIOR3[] = "[{\"name\": \"a\", \"uniform\": [0, 3], \"truth\": 0.8},"
			     " {\"name\": \"b\", \"normal\": [0, 1]},"
			     " {\"name\": \"c\", \"normal\": [1, 2], \"bounds\": [0, null]}]";
static const char PRIOR2[] = "[{\"name\": \"a\", \"uniform\": [0, 3]}, {\"name\": \"b\", \"normal\": [0, 1]}]";

static void prior_text(struct prior *pr, const char *text)
{
	json_t *j = json_text(text);
	struct err e = {0};

	if (prior_from_json(pr, j, "prior", &e))
		fail_msg("prior_from_json: %s", e.msg);
	json_decref(j);
}

/* PRIOR3's log density, from the formulas. */
static double logpdf3(const double *t)
{
	double lsq = 0.5 * log(2 * PI), z = (t[2] - 1) / 2;
	double mass_c = 0.5 * erfc(-0.5 / sqrt(2.0)); /* P(N(1, 4) >= 0) = Phi(0.5) */
	return -log(3.0) + (-lsq - 0.5 * t[1] * t[1]) + (-log(2.0) - lsq - 0.5 * z * z - log(mass_c));
}

/* ---- streams from JSON text ---- */

/* A good stage-2 header for PRIOR2 and two records, as written by a
 * stage; the history has entries for stages 1 and 2. */
static const char BASE_HEADER[] =
	"{\"biofilter\": 1, \"kind\": \"population\", \"version\": \"test\", \"parameters\": [\"a\", \"b\"],"
	" \"prior\": [{\"name\": \"a\", \"uniform\": [0.0, 3.0]}, {\"name\": \"b\", \"normal\": [0.0, 1.0]}],"
	" \"seed\": 7, \"level\": 1, \"stage\": 2, \"samples\": 2, \"beta\": 0.5, \"dbeta\": 0.25,"
	" \"log_evidence\": -1.5, \"log_evidence_se\": 0.5, \"ess\": 1.5, \"acceptance\": 0.25, \"scale\": 0.4,"
	" \"chain_steps\": 10, \"evaluations\": 20, \"evaluations_total\": 30,"
	" \"history\": [{\"stage\": 1, \"beta\": 0.25, \"dbeta\": 0.25, \"ess\": 1.5, \"acceptance\": 0.5,"
	" \"scale\": 0.5, \"chain_steps\": 8, \"evaluations_total\": 10, \"log_evidence\": -1.0},"
	" {\"stage\": 2, \"beta\": 0.5, \"dbeta\": 0.25, \"ess\": 1.5, \"acceptance\": 0.25,"
	" \"scale\": 0.4, \"chain_steps\": 10, \"evaluations_total\": 30, \"log_evidence\": -1.5}]}";
static const char *const BASE_RECORDS[] = {
	"{\"id\": 0, \"theta\": [1.0, 0.5], \"loglik\": -2.0, \"logprior\": -1.0}",
	"{\"id\": 1, \"theta\": [2.0, -0.5], \"loglik\": -3.0, \"logprior\": -1.0}",
};

/* BASE_HEADER with key set to the JSON value (removed when NULL); key
 * NULL: as it is. */
static json_t *header_with(const char *key, const char *value)
{
	json_t *h = json_text(BASE_HEADER);
	if (key && value)
		json_object_set_new(h, key, json_text(value));
	else if (key)
		json_object_del(h, key);
	return h;
}

/* Write the header (none when NULL; taken) and the records (JSON texts). */
static void write_json_stream(const char *path, json_t *header, const char *const *recs, int n)
{
	struct stream_writer w;

	writer_open_ok(&w, path);
	if (header) {
		mpjson_pack(stream_writer_packer(&w), header);
		json_decref(header);
		writer_flush_ok(&w);
	}
	writer_json_ok(&w, recs, n);
	writer_commit_ok(&w);
}

/* population_read must refuse path with ERR_INPUT and the message
 * "<path>: " want; nothing is left to free. */
static void read_refused(const char *path, const char *want)
{
	struct population p;
	struct prior pr;
	struct err e = {0};
	char full[1024];

	int rc = population_read(&p, &pr, path, &e);
	snprintf(full, sizeof full, "%s: %s", path, want);
	if (rc != ERR_INPUT)
		fail_msg("population_read returned %d, want ERR_INPUT for \"%s\" (message: %s)", rc, want,
			 rc ? e.msg : "none");
	assert_string_equal(e.msg, full);
	assert_null(p.theta); /* p and pr as after a memset: nothing to free */
	assert_null(pr.p);
}

/* The header with key set to value refused with want. */
static void header_refused(const char *path, const char *key, const char *value, const char *want)
{
	write_json_stream(path, header_with(key, value), BASE_RECORDS, 2);
	read_refused(path, want);
}

/* ---- writing ---- */

/* A stage-2 population of 4 chains over PRIOR3, every field set. */
static void make_population(struct population *p)
{
	static const double theta[4][3] = {{0.5, -1.25, 0.75}, {2.75, 0.0, 3.5}, {0.0, 2.5, 0.0}, {3.0, -0.5, 10.25}};
	static const double loglik[4] = {-1.5, NAN, -INFINITY, 0.25};
	struct err e = {0};

	assert_int_equal(population_init(p, 4, 3, &e), 0);
	for (int c = 0; c < 4; c++) {
		memcpy(p->theta + 3 * c, theta[c], sizeof theta[c]);
		p->loglik[c] = loglik[c];
		p->logprior[c] = 99; /* not what the prior says: recomputed on reading */
	}
	p->seed = UINT64_MAX;
	p->level = 3;
	p->stage = 2;
	p->beta = 0.375;
	p->log_evidence = -12.5;
	p->log_evidence_se = 0.125;
	p->evaluations_total = 1234;
	p->dbeta = 0.25;
	p->ess = 3.5;
	p->acceptance = 0.3;
	p->evaluations = 400;
	p->chain_steps = 100;
	p->scale = 0.8;
	p->scale_start = 0.6;
	for (int i = 0; i < 9; i++)
		p->covariance[i] = i + 0.5;
	p->history = calloc(2, sizeof *p->history);
	assert_non_null(p->history);
	p->n_history = 2;
	p->history[0] = (struct population_stage){1, 0.125, 0.125, 3.25, 0.5, 1.5, -3.75, 50, 600};
	p->history[1] = (struct population_stage){2, 0.375, 0.25, 3.5, 0.3, 0.8, -12.5, 100, 1234};
}

static void write_population(const char *path, const struct population *p, const struct prior *pr,
			     const struct population_extra *x)
{
	struct stream_writer w;
	struct err e = {0};

	writer_open_ok(&w, path);
	if (population_write(p, pr, x, &w, &e))
		fail_msg("population_write: %s", e.msg);
	writer_commit_ok(&w);
}

static void test_init(void **state)
{
	(void)state;
	struct population p;
	struct err e = {0};

	memset(&p, 0x5a, sizeof p);
	assert_int_equal(population_init(&p, 5, 3, &e), 0);
	assert_int_equal(p.n, 5);
	assert_int_equal(p.d, 3);
	assert_true(isnan(p.scale) && isnan(p.scale_start));
	assert_true(p.seed == 0 && p.level == 0 && p.stage == 0 && p.beta == 0 && p.log_evidence == 0);
	assert_true(p.evaluations_total == 0 && p.n_history == 0);
	assert_null(p.history);
	/* the arrays are n x d, n, n and d x d (valgrind checks the ends) */
	for (int i = 0; i < 15; i++)
		p.theta[i] = i;
	for (int i = 0; i < 5; i++)
		p.loglik[i] = p.logprior[i] = i;
	for (int i = 0; i < 9; i++)
		assert_true(p.covariance[i] == 0);
	assert_true(p.theta[14] == 14 && p.loglik[4] == 4);
	population_free(&p);
	assert_null(p.theta);
	population_free(&p); /* again: harmless */

	assert_int_equal(population_init(&p, 1, 1, &e), 0);
	p.theta[0] = 1;
	assert_true(p.covariance[0] == 0);
	population_free(&p);
}

static void test_round_trip(void **state)
{
	struct scratch *s = *state;
	struct population p, q;
	struct prior pr, qr;
	struct err e = {0};

	prior_text(&pr, PRIOR3);
	make_population(&p);
	write_population(s->path, &p, &pr, NULL);
	if (population_read(&q, &qr, s->path, &e))
		fail_msg("population_read: %s", e.msg);

	assert_int_equal(q.n, 4);
	assert_int_equal(q.d, 3);
	for (int c = 0; c < 4; c++) {
		for (int k = 0; k < 3; k++)
			assert_true(q.theta[3 * c + k] == p.theta[3 * c + k]);
		double want = logpdf3(p.theta + 3 * c);
		if (!(fabs(q.logprior[c] - want) <= 1e-14 * (1 + fabs(want))))
			fail_msg("logprior[%d] = %.17g, want %.17g", c, q.logprior[c], want);
	}
	assert_true(q.loglik[0] == -1.5);
	assert_true(isnan(q.loglik[1]));
	assert_true(q.loglik[2] == -INFINITY);
	assert_true(q.loglik[3] == 0.25);
	assert_true(q.seed == UINT64_MAX);
	assert_int_equal(q.level, 3);
	assert_int_equal(q.stage, 2);
	assert_true(q.beta == 0.375);
	assert_true(q.log_evidence == -12.5);
	assert_true(q.log_evidence_se == 0.125);
	assert_true(q.scale == 0.8);
	assert_int_equal(q.evaluations_total, 1234);
	assert_int_equal(q.n_history, 2);
	for (int i = 0; i < 2; i++) {
		const struct population_stage *a = &p.history[i], *b = &q.history[i];
		assert_int_equal(b->stage, a->stage);
		assert_true(b->beta == a->beta && b->dbeta == a->dbeta && b->ess == a->ess);
		assert_true(b->acceptance == a->acceptance && b->scale == a->scale);
		assert_true(b->log_evidence == a->log_evidence);
		assert_int_equal(b->chain_steps, a->chain_steps);
		assert_int_equal(b->evaluations_total, a->evaluations_total);
	}
	/* what a stage did is not read back, but for its chain steps (the next
	 * stage's prediction) */
	assert_true(q.dbeta == 0 && q.ess == 0 && q.acceptance == 0);
	assert_true(q.evaluations == 0 && q.chain_steps == p.chain_steps);
	assert_true(isnan(q.scale_start));
	for (int i = 0; i < 9; i++)
		assert_true(q.covariance[i] == 0);

	/* the prior */
	assert_int_equal(qr.n, 3);
	for (int i = 0; i < 3; i++) {
		const struct prior_param *a = &pr.p[i], *b = &qr.p[i];
		assert_string_equal(qr.names[i], pr.names[i]);
		assert_int_equal(b->kind, a->kind);
		assert_true(b->a == a->a && b->b == a->b && b->lo == a->lo && b->hi == a->hi);
		assert_int_equal(b->bounded, a->bounded);
		assert_int_equal(b->has_truth, a->has_truth);
		assert_true(!a->has_truth || b->truth == a->truth);
	}
	assert_string_equal(qr.names[2], "c");
	assert_true(qr.p[0].has_truth && qr.p[0].truth == 0.8);
	assert_true(qr.p[2].bounded && qr.p[2].lo == 0 && qr.p[2].hi == INFINITY);

	population_free(&q);
	prior_free(&qr);

	/* stage 0 (no history, no logliks) and seed 0 */
	free(p.history);
	p.history = NULL;
	p.n_history = 0;
	p.stage = 0;
	p.seed = 0;
	p.evaluations_total = 0;
	for (int c = 0; c < 4; c++)
		p.loglik[c] = NAN;
	write_population(s->path, &p, &pr, NULL);
	if (population_read(&q, &qr, s->path, &e))
		fail_msg("population_read (stage 0): %s", e.msg);
	assert_int_equal(q.n, 4);
	assert_int_equal(q.stage, 0);
	assert_true(q.seed == 0);
	assert_int_equal(q.n_history, 0);
	assert_null(q.history);
	for (int c = 0; c < 4; c++)
		assert_true(isnan(q.loglik[c]));
	population_free(&q);
	prior_free(&qr);

	population_free(&p);
	prior_free(&pr);
}

/* ---- the header as written ---- */

struct extra_ctx {
	int calls;
	const struct population *seen;
};

static void pack_extra(struct pack_map *h, const void *ctx, const struct population *p)
{
	struct extra_ctx *x = (struct extra_ctx *)ctx;
	struct pack_map m;

	x->calls++;
	x->seen = p;
	pack_key(h, "tmcmc");
	pack_map_begin(&m, pack_map_packer(h));
	pack_kv_double(&m, "target_ess", 0.5);
	pack_kv_long(&m, "stage_seen", p->stage);
	pack_map_end(&m);
}

static const char KEYS[] = "biofilter kind version parameters prior seed level stage samples beta dbeta "
			   "log_evidence log_evidence_se ess acceptance scale chain_steps evaluations "
			   "evaluations_total proposal history";

static void test_write_header(void **state)
{
	struct scratch *s = *state;
	struct population p, q;
	struct prior pr, qr;
	struct err e = {0};
	struct extra_ctx ctx = {0};
	const struct population_extra x = {pack_extra, &ctx};
	struct stream_reader r;
	const msgpack_object *rec, *h, *v;
	char keys[1024], want[1024];

	prior_text(&pr, PRIOR3);
	make_population(&p);
	write_population(s->path, &p, &pr, &x);
	assert_int_equal(ctx.calls, 1);
	assert_ptr_equal(ctx.seen, &p);

	if (stream_reader_open(&r, s->path, &e) || stream_reader_peek_header(&r, &e))
		fail_msg("reading %s: %s", s->path, e.msg);
	h = stream_reader_header(&r);
	assert_non_null(h);
	map_keys(h, keys, sizeof keys);
	snprintf(want, sizeof want, "%s tmcmc", KEYS);
	assert_string_equal(keys, want);
	assert_true(stream_object_is_str(stream_map_get(h, "kind"), "population"));
	v = stream_map_get(h, "parameters");
	assert_true(v && v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 3);
	assert_true(stream_object_is_str(&v->via.array.ptr[0], "a") && stream_object_is_str(&v->via.array.ptr[2], "c"));
	v = stream_map_get(h, "seed");
	assert_true(v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 == UINT64_MAX);
	assert_true(map_number(h, "samples") == 4);
	assert_true(map_number(h, "dbeta") == 0.25);
	assert_true(map_number(h, "ess") == 3.5);
	assert_true(map_number(h, "acceptance") == 0.3);
	assert_true(map_number(h, "chain_steps") == 100);
	assert_true(map_number(h, "evaluations") == 400);
	v = stream_map_get(h, "proposal");
	assert_true(v && v->type == MSGPACK_OBJECT_MAP);
	assert_true(map_number(v, "scale_start") == 0.6);
	assert_true(map_number(v, "scale_end") == 0.8);
	v = stream_map_get(v, "covariance");
	assert_true(v && v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 3);
	for (int a = 0; a < 3; a++) {
		const msgpack_object *row = &v->via.array.ptr[a];
		assert_true(row->type == MSGPACK_OBJECT_ARRAY && row->via.array.size == 3);
		for (int b = 0; b < 3; b++) {
			double c;
			assert_int_equal(stream_object_number(&row->via.array.ptr[b], &c), 0);
			assert_true(c == 3 * a + b + 0.5);
		}
	}
	v = stream_map_get(h, "history");
	assert_true(v && v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 2);
	map_keys(&v->via.array.ptr[1], keys, sizeof keys);
	assert_string_equal(keys, "stage beta dbeta ess acceptance scale chain_steps evaluations_total log_evidence");
	assert_true(map_number(&v->via.array.ptr[1], "evaluations_total") == 1234);
	v = stream_map_get(h, "tmcmc");
	assert_true(v && v->type == MSGPACK_OBJECT_MAP);
	assert_true(map_number(v, "target_ess") == 0.5);
	assert_true(map_number(v, "stage_seen") == 2);

	/* the records: ids 0..N-1, no loglik for NaN, the logprior as given */
	for (int c = 0; c < 4; c++) {
		assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
		map_keys(rec, keys, sizeof keys);
		assert_string_equal(keys, c == 1 ? "id theta logprior" : "id theta loglik logprior");
		assert_true(map_number(rec, "id") == c);
		assert_true(map_number(rec, "logprior") == 99);
		if (c == 2)
			assert_true(map_number(rec, "loglik") == -INFINITY);
	}
	assert_int_equal(stream_reader_next(&r, &rec, &e), 0);
	stream_reader_free(&r);

	/* and it reads back */
	if (population_read(&q, &qr, s->path, &e))
		fail_msg("population_read: %s", e.msg);
	assert_int_equal(q.n, 4);
	population_free(&q);
	prior_free(&qr);

	/* stage 0: acceptance nil, proposal "prior", ESS N */
	p.stage = 0;
	p.n_history = 0;
	write_population(s->path, &p, &pr, NULL);
	if (stream_reader_open(&r, s->path, &e) || stream_reader_peek_header(&r, &e))
		fail_msg("reading %s: %s", s->path, e.msg);
	h = stream_reader_header(&r);
	map_keys(h, keys, sizeof keys);
	assert_string_equal(keys, KEYS);
	assert_int_equal(stream_map_get(h, "acceptance")->type, MSGPACK_OBJECT_NIL);
	assert_true(stream_object_is_str(stream_map_get(h, "proposal"), "prior"));
	assert_true(map_number(h, "ess") == 4);
	v = stream_map_get(h, "history");
	assert_true(v->type == MSGPACK_OBJECT_ARRAY && v->via.array.size == 0);
	stream_reader_free(&r);

	population_free(&p);
	prior_free(&pr);
}

/* ---- history ---- */

static void test_extend_history(void **state)
{
	(void)state;
	struct population in, p;
	struct err e = {0};

	assert_int_equal(population_init(&in, 2, 1, &e), 0);
	assert_int_equal(population_init(&p, 2, 1, &e), 0);
	p.stage = 1;
	p.beta = 0.125;
	p.dbeta = 0.125;
	p.ess = 1.75;
	p.acceptance = 0.5;
	p.scale = 1.25;
	p.log_evidence = -2.5;
	p.chain_steps = 7;
	p.evaluations_total = 14;
	p.evaluations = 999;     /* not in an entry */
	p.scale_start = 0.75;    /* not in an entry */

	/* from a stage-0 input: one entry */
	assert_int_equal(population_extend_history(&p, &in, &e), 0);
	assert_int_equal(p.n_history, 1);
	const struct population_stage *h = &p.history[0];
	assert_int_equal(h->stage, 1);
	assert_true(h->beta == 0.125 && h->dbeta == 0.125 && h->ess == 1.75 && h->acceptance == 0.5);
	assert_true(h->scale == 1.25 && h->log_evidence == -2.5);
	assert_int_equal(h->chain_steps, 7);
	assert_int_equal(h->evaluations_total, 14);

	/* the next stage: in's entries, then its own; p's old history replaced */
	struct population next;
	assert_int_equal(population_init(&next, 2, 1, &e), 0);
	next.history = calloc(5, sizeof *next.history); /* stale: must be freed, not kept */
	next.n_history = 5;
	next.stage = 2;
	next.beta = 1;
	next.dbeta = 0.875;
	next.ess = 1.5;
	next.acceptance = 0.25;
	next.scale = 0.5;
	next.log_evidence = -4;
	next.chain_steps = 9;
	next.evaluations_total = 32;
	assert_int_equal(population_extend_history(&next, &p, &e), 0);
	assert_int_equal(next.n_history, 2);
	assert_int_equal(next.history[0].stage, 1);
	assert_true(next.history[0].beta == 0.125 && next.history[0].log_evidence == -2.5);
	assert_int_equal(next.history[0].evaluations_total, 14);
	assert_int_equal(next.history[1].stage, 2);
	assert_true(next.history[1].beta == 1 && next.history[1].dbeta == 0.875 && next.history[1].ess == 1.5);
	assert_true(next.history[1].acceptance == 0.25 && next.history[1].scale == 0.5);
	assert_true(next.history[1].log_evidence == -4);
	assert_int_equal(next.history[1].chain_steps, 9);
	assert_int_equal(next.history[1].evaluations_total, 32);
	/* in's history is its own still */
	assert_int_equal(p.n_history, 1);
	assert_true(next.history != p.history);

	population_free(&in);
	population_free(&p);
	population_free(&next);
}

/* ---- reading: what is accepted ---- */

static void test_read_variants(void **state)
{
	struct scratch *s = *state;
	struct population p;
	struct prior pr;
	struct err e = {0};

	/* the base as it is; records in input order whatever their ids, and
	 * a record's logprior not trusted */
	const char *const recs[] = {
		"{\"id\": 5, \"theta\": [1.5, 0.0], \"loglik\": -1.0, \"logprior\": 0.0}",
		"{\"id\": 2, \"theta\": [0.0, 1.0], \"loglik\": -Infinity}",
	};
	write_json_stream(s->path, header_with(NULL, NULL), recs, 2);
	if (population_read(&p, &pr, s->path, &e))
		fail_msg("population_read: %s", e.msg);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.d, 2);
	assert_true(p.theta[0] == 1.5 && p.theta[1] == 0 && p.theta[2] == 0 && p.theta[3] == 1);
	assert_true(p.loglik[0] == -1 && p.loglik[1] == -INFINITY);
	double lsq = 0.5 * log(2 * PI);
	assert_true(fabs(p.logprior[0] - (-log(3.0) - lsq)) < 1e-15);
	assert_true(fabs(p.logprior[1] - (-log(3.0) - lsq - 0.5)) < 1e-15);
	assert_int_equal(p.seed, 7);
	assert_int_equal(p.level, 1);
	assert_int_equal(p.evaluations_total, 30);
	assert_int_equal(p.n_history, 2);
	assert_int_equal(p.history[1].chain_steps, 10);
	/* the header's prior is PRIOR2's */
	struct prior want;
	prior_text(&want, PRIOR2);
	assert_int_equal(pr.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(pr.names[i], want.names[i]);
		assert_int_equal(pr.p[i].kind, want.p[i].kind);
		assert_true(pr.p[i].a == want.p[i].a && pr.p[i].b == want.p[i].b);
		assert_true(pr.p[i].lo == want.p[i].lo && pr.p[i].hi == want.p[i].hi);
		assert_true(pr.p[i].log_norm == want.p[i].log_norm);
	}
	prior_free(&want);
	population_free(&p);
	prior_free(&pr);

	/* optional keys left out: level 0, evaluations_total 0, scale NaN,
	 * no history, no samples count, no kind, no parameters */
	json_t *h = header_with(NULL, NULL);
	static const char *const optional[] = {"level", "evaluations_total", "scale", "history", "samples",
					       "kind", "parameters", "log_evidence_se", "version"};
	for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
		json_object_del(h, optional[i]);
	write_json_stream(s->path, h, BASE_RECORDS, 2);
	if (population_read(&p, &pr, s->path, &e))
		fail_msg("population_read without the optional keys: %s", e.msg);
	assert_int_equal(p.level, 0);
	assert_int_equal(p.evaluations_total, 0);
	assert_true(isnan(p.scale));
	assert_int_equal(p.n_history, 0);
	assert_true(p.log_evidence_se == 0);
	assert_int_equal(p.stage, 2);
	assert_true(p.beta == 0.5 && p.log_evidence == -1.5);
	population_free(&p);
	prior_free(&pr);

	/* the history may be shorter than the stages, and skip some; beta 0
	 * and 1 are in [0, 1]; numbers as floats with integer values */
	h = header_with("history", "[{\"stage\": 2.0, \"beta\": 0.5, \"dbeta\": 0.25, \"ess\": 1.5, "
				   "\"acceptance\": 0.25, \"scale\": 0.4, \"chain_steps\": 10.0, "
				   "\"evaluations_total\": 30, \"log_evidence\": -1.5}]");
	json_object_set_new(h, "beta", json_real(1.0));
	json_object_set_new(h, "stage", json_real(2.0));
	write_json_stream(s->path, h, BASE_RECORDS, 2);
	if (population_read(&p, &pr, s->path, &e))
		fail_msg("population_read with one history entry: %s", e.msg);
	assert_int_equal(p.n_history, 1);
	assert_int_equal(p.history[0].stage, 2);
	assert_int_equal(p.history[0].chain_steps, 10);
	assert_true(p.beta == 1);
	population_free(&p);
	prior_free(&pr);
}

/* ---- reading: refusals ---- */

static void test_read_record_errors(void **state)
{
	struct scratch *s = *state;
	const char *P = s->path;
	const char *const good = BASE_RECORDS[0];
	struct {
		const char *rec; /* record 2 (record 1 is good) */
		const char *want;
	} cases[] = {
		{"{\"id\": 1, \"theta\": [3.5, 0.0]}", "record 2: 'theta' is outside the prior's support"},
		{"{\"id\": 1, \"theta\": [-0.001, 0.0]}", "record 2: 'theta' is outside the prior's support"},
		{"{\"id\": 1, \"theta\": [1.0]}", "record 2: 'theta' must have 2 numbers, got 1"},
		{"{\"id\": 1, \"theta\": [1.0, 2.0, 3.0]}", "record 2: 'theta' must have 2 numbers, got 3"},
		{"{\"id\": 1, \"theta\": [1.0, Infinity]}", "record 2: 'theta'[1] is not finite"},
		{"{\"id\": 1, \"theta\": [NaN, 0.0]}", "record 2: 'theta'[0] is not finite"},
		{"{\"id\": 1, \"theta\": [1.0, \"x\"]}", "record 2: 'theta'[1] must be a number"},
		{"{\"id\": 1, \"theta\": 1.0}", "record 2: 'theta' must be a list of numbers"},
		{"{\"id\": 1}", "record 2: missing 'theta'"},
		{"{\"id\": 1, \"theta\": [1.0, 0.0], \"loglik\": Infinity}",
		 "record 2: 'loglik' is +Infinity (leave it out to have the record evaluated)"},
		{"{\"id\": 1, \"theta\": [1.0, 0.0], \"loglik\": NaN}",
		 "record 2: 'loglik' is NaN (leave it out to have the record evaluated)"},
		{"{\"id\": 1, \"theta\": [1.0, 0.0], \"loglik\": \"-1\"}", "record 2: 'loglik' must be a number"},
		{"{\"id\": 1, \"theta\": [1.0, 0.0], \"loglik\": null}", "record 2: 'loglik' must be a number"},
		{"[1, 2]", "record 2: not a map"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *const recs[] = {good, cases[i].rec};
		write_json_stream(P, header_with(NULL, NULL), recs, 2);
		read_refused(P, cases[i].want);
	}

	/* no records; fewer than "samples" says */
	write_json_stream(P, header_with(NULL, NULL), NULL, 0);
	read_refused(P, "the population has no records");
	write_json_stream(P, header_with(NULL, NULL), BASE_RECORDS, 1);
	read_refused(P, "header: 'samples' says 2, the stream has 1 records (cut short?)");
	header_refused(P, "samples", "3", "header: 'samples' says 3, the stream has 2 records (cut short?)");
	header_refused(P, "samples", "\"2\"", "header: 'samples' must be a number (of records)");
	/* no header at all */
	write_json_stream(P, NULL, BASE_RECORDS, 2);
	read_refused(P, "no header: a population stream starts with one (tmcmc-stage --init makes stage 0)");
}

static void test_read_header_errors(void **state)
{
	struct scratch *s = *state;
	static const struct {
		const char *key, *value; /* the header's key set to the JSON value, removed when NULL */
		const char *want;
	} cases[] = {
		{"kind", "\"theta\"", "the stream is not a population (header 'kind')"},
		{"prior", NULL, "the header has no 'prior': not a population"},
		{"prior", "3", "header 'prior': the prior must be a non-empty array of parameters"},
		{"prior", "[]", "header 'prior': the prior must be a non-empty array of parameters"},
		{"parameters", "[\"b\", \"a\"]", "header: 'parameters' are not the expected ones (a b ...)"},
		{"parameters", "[\"a\"]", "header: 'parameters' are not the expected ones (a b ...)"},
		{"seed", NULL, "header: 'seed' must be a non-negative integer"},
		{"seed", "-1", "header: 'seed' must be a non-negative integer"},
		{"seed", "7.0", "header: 'seed' must be a non-negative integer"},
		{"level", "-1", "header: 'level' must be a non-negative integer"},
		{"level", "1.5", "header: 'level' must be a non-negative integer"},
		{"level", "\"1\"", "header: 'level' must be a number"},
		{"stage", NULL, "the header has no 'stage': not a population"},
		{"stage", "-2", "header: 'stage' must be a non-negative integer"},
		{"stage", "2.5", "header: 'stage' must be a non-negative integer"},
		{"stage", "Infinity", "header: 'stage' must be a number"},
		{"beta", NULL, "the header has no 'beta': not a population"},
		{"beta", "1.5", "header: 'beta' must be in [0, 1]"},
		{"beta", "-0.25", "header: 'beta' must be in [0, 1]"},
		{"beta", "NaN", "header: 'beta' must be a number"},
		{"log_evidence", NULL, "the header has no 'log_evidence': not a population"},
		{"log_evidence", "-Infinity", "header: 'log_evidence' must be a number"},
		{"log_evidence_se", "NaN", "header: 'log_evidence_se' must be a number"},
		{"evaluations_total", "-1", "header: 'evaluations_total' must be a non-negative integer"},
		{"evaluations_total", "2.5", "header: 'evaluations_total' must be a non-negative integer"},
		{"scale", "0", "header: 'scale' must be positive"},
		{"scale", "-0.5", "header: 'scale' must be positive"},
		{"scale", "NaN", "header: 'scale' must be a number"},
		{"scale", "Infinity", "header: 'scale' must be a number"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		header_refused(s->path, cases[i].key, cases[i].value, cases[i].want);
}

/* A history entry of stage st with chain_steps cs and evaluations_total
 * et (the other fields good). */
static void entry(char *out, size_t size, const char *st, const char *cs, const char *et)
{
	snprintf(out, size,
		 "{\"stage\": %s, \"beta\": 0.5, \"dbeta\": 0.25, \"ess\": 1.5, \"acceptance\": 0.25, "
		 "\"scale\": 0.4, \"chain_steps\": %s, \"evaluations_total\": %s, \"log_evidence\": -1.5}",
		 st, cs, et);
}

static void test_read_history_errors(void **state)
{
	struct scratch *s = *state;
	const char *P = s->path;
	char e1[512], e2[512], e3[512], list[2048];

	/* the header's stage is 2 */
	header_refused(P, "history", "{}", "header: 'history' must be a list");
	header_refused(P, "history", "3", "header: 'history' must be a list");
	entry(e1, sizeof e1, "1", "8", "10");
	entry(e2, sizeof e2, "2", "10", "30");
	entry(e3, sizeof e3, "2", "10", "30");
	snprintf(list, sizeof list, "[%s, %s, %s]", e1, e2, e3);
	header_refused(P, "history", list, "header: 'history' has 3 entries for 2 stages");

	/* out of order, twice the same stage, stage 0, beyond the header's */
	snprintf(list, sizeof list, "[%s, %s]", e2, e1);
	header_refused(P, "history", list, "header: 'history[1].stage' must be a stage after 2 and not after 2");
	snprintf(list, sizeof list, "[%s, %s]", e1, e1);
	header_refused(P, "history", list, "header: 'history[1].stage' must be a stage after 1 and not after 2");
	static const char *const stages[] = {"0", "3", "1.5"};
	for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) {
		entry(e3, sizeof e3, stages[i], "0", "0");
		snprintf(list, sizeof list, "[%s]", e3);
		header_refused(P, "history", list,
			       "header: 'history[0].stage' must be a stage after 0 and not after 2");
	}

	/* negative or fractional counts */
	static const char *const counts[][2] = {{"-1", "10"}, {"8", "-1"}, {"1.5", "10"}, {"8", "0.5"}, {"8", "1e16"}};
	for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
		entry(e3, sizeof e3, "2", counts[i][0], counts[i][1]);
		snprintf(list, sizeof list, "[%s, %s]", e1, e3);
		header_refused(P, "history", list,
			       "header: 'history[1]': 'chain_steps' and 'evaluations_total' must be non-negative integers");
	}

	/* a field missing or not a finite number; an entry not a map */
	header_refused(P, "history",
		       "[{\"stage\": 1, \"beta\": 0.5, \"dbeta\": 0.25, \"acceptance\": 0.25, \"scale\": 0.4, "
		       "\"chain_steps\": 1, \"evaluations_total\": 1, \"log_evidence\": -1.5}]",
		       "header: 'history[0].ess' must be a number");
	header_refused(P, "history",
		       "[{\"stage\": 1, \"beta\": NaN, \"dbeta\": 0.25, \"ess\": 1, \"acceptance\": 0.25, "
		       "\"scale\": 0.4, \"chain_steps\": 1, \"evaluations_total\": 1, \"log_evidence\": -1.5}]",
		       "header: 'history[0].beta' must be a number");
	header_refused(P, "history",
		       "[{\"stage\": 1, \"beta\": 0.5, \"dbeta\": 0.25, \"ess\": 1, \"acceptance\": 0.25, "
		       "\"scale\": 0.4, \"chain_steps\": 1, \"evaluations_total\": 1, \"log_evidence\": \"x\"}]",
		       "header: 'history[0].log_evidence' must be a number");
	header_refused(P, "history", "[5]", "header: 'history[0].stage' must be a number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_write_header, setup, scratch_teardown),
		cmocka_unit_test(test_extend_history),
		cmocka_unit_test_setup_teardown(test_read_variants, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_read_record_errors, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_read_header_errors, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_read_history_errors, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
