/*
 * Unit tests for episodes (src/aif/episodes.h): the agent as a filter of
 * observation records, and the closed loop with a world, as programs/agent.c
 * drives them (header by episodes_pack_header, then episodes_closed_loop or
 * episodes_filter, then commit), with the T-maze model of examples/agent.
 *
 * What is checked:
 *   - the closed loop's step records, read back with stream_reader: keys
 *     id, t, obs, state, qs, q_pi, neg_efe, action in that order (no
 *     "trial"); the (id, t, state, obs, action) of 3 episodes of 4 steps
 *     at seed 1 are the table of man/agent.1 (EXAMPLES); every qs and q_pi
 *     is a distribution, q_pi = softmax(16 neg_efe) (gamma 16, E uniform:
 *     THE STEP), the action is the argmax of q_pi (one controllable factor,
 *     policy_len 1), the world moves where the action says, the location
 *     is observed exactly; the header (kind "step", seed, world);
 *   - determinism (header comment): the same bytes for threads 1, 2 and 3,
 *     and shards 0/2 and 1/2 together answer each record once with the
 *     same bytes (matched by id), for a stochastic agent whose every step
 *     draws; another seed gives another stream;
 *   - the filter answers every observation record, in input order: a bad
 *     record (obs out of range, not an integer, wrong length or missing;
 *     no id; a reset that is not a boolean; an action out of range; a
 *     record that is not a map) gets exactly {"id", "status": "bad record:
 *     MESSAGE"} with the documented message, the id its record number when
 *     it has none, *bad is set, and the other episodes go on as if the bad
 *     record had not been there (their records are the same bytes as from
 *     an input without it); threads 1 and 2 give the same bytes; shards
 *     0/2 and 1/2 split by first appearance (a record without an id by its
 *     record index) and together give every record once;
 *   - the draws of a step are keyed by (seed, id, trial, t): a stochastic
 *     episode's records are the same bytes with or without another
 *     episode interleaved before it, and 30 trials at t = 0 with the same
 *     observation do not all draw the same action;
 *   - a closed loop replayed through the filter (its ids and observations,
 *     the same seed) takes the same steps, stochastic draws included: every
 *     value of each filter record equals the loop's, which adds "state";
 *   - replayed actions: "action" replaces the choice (integers, or floats
 *     without fraction), the probabilities are still the agent's own, the
 *     next prior moves under the replayed action; null is absent;
 *   - reset: before the first step it does nothing; later it starts trial
 *     1, 2, .. ("trial" key) at t = 0 with the beliefs of a fresh agent
 *     (no learning: back to D); false is absent;
 *   - timing: one entry per step taken (none for bad records).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aif/episodes.h"
#include "aif/genmodel.h"
#include "aif/world.h"
#include "pack.h"
#include "stream.h"

#include "objects.h"
#include "scratch.h"
#include "streams.h"

#define TMAZE_MODEL "examples/agent/tmaze.json"

static int setup(void **state)
{
	return scratch_setup(state, "test_episodes", "out.mpk");
}

/* ---- models ---- */

/* The T-maze model, its "options" updated with those of the JSON text
 * options (none when NULL). */
static void load_tmaze_options(struct genmodel *g, const char *options)
{
	struct err e = {0};
	json_error_t je;
	json_t *j = json_load_file(TMAZE_MODEL, 0, &je);
	if (!j)
		fail_msg("%s: %s", TMAZE_MODEL, je.text);
	if (options) {
		json_t *o = json_text(options);
		assert_int_equal(json_object_update(json_object_get(j, "options"), o), 0);
		json_decref(o);
	}
	if (genmodel_from_json(g, j, TMAZE_MODEL, &e))
		fail_msg("genmodel_from_json: %s", e.msg);
	json_decref(j);
}

/* The T-maze model; stochastic action selection when asked (every step
 * then draws from its keyed stream). */
static void load_tmaze(struct genmodel *g, int stochastic)
{
	load_tmaze_options(g, stochastic ? "{\"action_selection\": \"stochastic\"}" : NULL);
}

static struct episodes_options options_for(const struct genmodel *g, uint64_t seed, int threads)
{
	struct episodes_options o;
	memset(&o, 0, sizeof o);
	o.g = g;
	o.seed = seed;
	o.threads = threads;
	o.quiet = 1;
	o.prog = "test_episodes";
	return o;
}

/* ---- running, as programs/agent.c does ---- */

static void run_loop(const struct episodes_options *o, const struct world *v, const char *world_name,
		     const struct world_options *wo, long episodes, long steps, const char *out,
		     struct episodes_timing *tm)
{
	struct stream_writer w;
	struct err e = {0};

	writer_open_ok(&w, out);
	episodes_pack_header(stream_writer_packer(&w), o, world_name, wo);
	int rc = episodes_closed_loop(o, v, episodes, steps, &w, tm, &e);
	if (rc)
		fail_msg("episodes_closed_loop: %d: %s", rc, e.msg);
	writer_commit_ok(&w);
}

static void run_filter(const struct episodes_options *o, const char *in, const char *out, int *bad,
		       struct episodes_timing *tm)
{
	struct stream_reader r;
	struct stream_writer w;
	struct err e = {0};

	*bad = 0;
	reader_open_ok(&r, in);
	writer_open_ok(&w, out);
	episodes_pack_header(stream_writer_packer(&w), o, NULL, NULL);
	int rc = episodes_filter(o, &r, &w, bad, tm, &e);
	if (rc)
		fail_msg("episodes_filter: %d: %s", rc, e.msg);
	writer_commit_ok(&w);
	stream_reader_free(&r);
}

/* An observation stream: a header, then one record per JSON text (any
 * JSON value: a non-map makes a record that is not a map). */
static void write_input(const char *path, const char *const *records, int n)
{
	struct stream_writer w;

	writer_open_ok(&w, path);
	writer_header_ok(&w, "observation");
	writer_json_ok(&w, records, n);
	writer_commit_ok(&w);
}

/* ---- reading back ---- */

/* A stream's header and records, each packed again as bytes. */
struct recs {
	int n;
	char *data[512];
	size_t len[512];
	char *header;
	size_t header_len;
	msgpack_unpacked u[512];
};

static void read_recs(const char *path, struct recs *out)
{
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;
	int rc;

	memset(out, 0, sizeof *out);
	reader_open_ok(&r, path);
	while ((rc = stream_reader_next(&r, &rec, &e)) != 0) {
		if (rc != STREAM_RECORD)
			fail_msg("%s: %d: %s", path, rc, e.msg);
		assert_true(out->n < 512);
		out->data[out->n] = obj_bytes(rec, &out->len[out->n]);
		msgpack_unpacked_init(&out->u[out->n]);
		if (msgpack_unpack_next(&out->u[out->n], out->data[out->n], out->len[out->n], NULL) !=
		    MSGPACK_UNPACK_SUCCESS)
			fail_msg("%s: record %d does not unpack again", path, out->n + 1);
		out->n++;
	}
	if (stream_reader_header(&r))
		out->header = obj_bytes(stream_reader_header(&r), &out->header_len);
	stream_reader_free(&r);
}

static void recs_free(struct recs *r)
{
	for (int i = 0; i < r->n; i++) {
		msgpack_unpacked_destroy(&r->u[i]);
		free(r->data[i]);
	}
	free(r->header);
	memset(r, 0, sizeof *r);
}

static const msgpack_object *rec_at(const struct recs *r, int i)
{
	return &r->u[i].data;
}

static long int_field(const msgpack_object *m, const char *key)
{
	const msgpack_object *v = map_field(m, key);
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (long)v->via.u64;
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (long)v->via.i64;
	fail_msg("'%s' is not an integer", key);
	return 0;
}

/* A list of integers into out; returns its length. */
static int ints_field(const msgpack_object *m, const char *key, int *out, int max)
{
	const msgpack_object *v = map_field(m, key);
	assert_int_equal(v->type, MSGPACK_OBJECT_ARRAY);
	assert_true((int)v->via.array.size <= max);
	for (uint32_t i = 0; i < v->via.array.size; i++) {
		assert_int_equal(v->via.array.ptr[i].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
		out[i] = (int)v->via.array.ptr[i].via.u64;
	}
	return (int)v->via.array.size;
}

static int numbers_of(const msgpack_object *v, double *out, int max)
{
	assert_int_equal(v->type, MSGPACK_OBJECT_ARRAY);
	assert_true((int)v->via.array.size <= max);
	for (uint32_t i = 0; i < v->via.array.size; i++)
		if (stream_object_number(&v->via.array.ptr[i], &out[i]))
			fail_msg("not a number at %u", i);
	return (int)v->via.array.size;
}

static int numbers_field(const msgpack_object *m, const char *key, double *out, int max)
{
	return numbers_of(map_field(m, key), out, max);
}

/* The value of key in m packed again, to compare values byte for byte. */
static int same_value(const msgpack_object *a, const msgpack_object *b, const char *key)
{
	size_t la, lb;
	char *x = obj_bytes(map_field(a, key), &la), *y = obj_bytes(map_field(b, key), &lb);
	int same = la == lb && !memcmp(x, y, la);
	free(x);
	free(y);
	return same;
}

static int same_record(const struct recs *a, int i, const struct recs *b, int j)
{
	return a->len[i] == b->len[j] && !memcmp(a->data[i], b->data[j], a->len[i]);
}

/* q_pi is a distribution and softmax(16 neg_efe); the action its argmax. */
static void check_policy_posterior(const msgpack_object *m)
{
	double q[8], g[8], w[8], sum = 0, mx = -INFINITY;
	int n = numbers_field(m, "q_pi", q, 8), action[2];

	assert_int_equal(numbers_field(m, "neg_efe", g, 8), n);
	assert_int_equal(n, 4);
	for (int p = 0; p < n; p++)
		if (16 * g[p] > mx)
			mx = 16 * g[p];
	for (int p = 0; p < n; p++)
		sum += w[p] = exp(16 * g[p] - mx);
	for (int p = 0; p < n; p++) {
		if (!(fabs(q[p] - w[p] / sum) <= 1e-12))
			fail_msg("q_pi[%d] = %.17g, softmax(16 neg_efe) = %.17g", p, q[p], w[p] / sum);
	}
	assert_int_equal(ints_field(m, "action", action, 2), 2);
	assert_int_equal(action[1], 0);
}

static void check_qs(const msgpack_object *m)
{
	const msgpack_object *qs = map_field(m, "qs");
	double x[8];
	assert_int_equal(qs->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(qs->via.array.size, 2);
	static const int sizes[2] = {4, 2};
	for (int f = 0; f < 2; f++) {
		int n = numbers_of(&qs->via.array.ptr[f], x, 8);
		double sum = 0;
		assert_int_equal(n, sizes[f]);
		for (int i = 0; i < n; i++) {
			assert_true(x[i] >= 0);
			sum += x[i];
		}
		if (!(fabs(sum - 1) <= 1e-12))
			fail_msg("qs[%d] sums to %.17g", f, sum);
	}
}

/* ---- the closed loop ---- */

/* man/agent.1, EXAMPLES: agent -m examples/agent/tmaze.json --env tmaze
 * --steps 4 --episodes 3 | mpcat --tsv id t state obs action */
static const int man_table[12][9] = {
	{0, 0, 0, 0, 0, 0, 1, 3, 0}, {0, 1, 3, 0, 3, 0, 0, 1, 0}, {0, 2, 1, 0, 1, 1, 0, 1, 0},
	{0, 3, 1, 0, 1, 1, 0, 1, 0}, {1, 0, 0, 1, 0, 0, 1, 3, 0}, {1, 1, 3, 1, 3, 0, 1, 2, 0},
	{1, 2, 2, 1, 2, 1, 1, 2, 0}, {1, 3, 2, 1, 2, 1, 1, 2, 0}, {2, 0, 0, 0, 0, 0, 0, 3, 0},
	{2, 1, 3, 0, 3, 0, 0, 1, 0}, {2, 2, 1, 0, 1, 1, 0, 1, 0}, {2, 3, 1, 0, 1, 1, 1, 1, 0},
};

static void test_closed_loop_records(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	struct world v;
	struct world_options wo = {3, 3, 0.98};
	struct err e = {0};
	struct episodes_timing tm = {0};
	struct recs r;

	load_tmaze(&g, 0);
	assert_int_equal(world_init(&v, "tmaze", &wo, NULL, &e), 0);
	struct episodes_options o = options_for(&g, 1, 1);
	run_loop(&o, &v, "tmaze", &wo, 3, 4, s->path, &tm);
	assert_int_equal(tm.n, 12);
	for (long k = 0; k < tm.n; k++)
		assert_true(tm.seconds[k] >= 0);
	read_recs(s->path, &r);
	assert_int_equal(r.n, 12);

	/* the header */
	msgpack_unpacked hu;
	assert_non_null(r.header);
	const msgpack_object *h = unpack_whole(&hu, r.header, r.header_len);
	assert_true(stream_object_is_str(map_field(h, "kind"), "step"));
	assert_true(stream_object_is_str(map_field(h, "program"), "agent"));
	assert_int_equal(int_field(h, "seed"), 1);
	const msgpack_object *world = map_field(h, "world");
	assert_true(stream_object_is_str(map_field(world, "name"), "tmaze"));
	double rp;
	assert_int_equal(stream_object_number(map_field(world, "reward_prob"), &rp), 0);
	assert_true(rp == 0.98);
	assert_int_equal(map_field(h, "policies")->via.array.size, 4);
	msgpack_unpacked_destroy(&hu);

	for (int i = 0; i < 12; i++) {
		const msgpack_object *m = rec_at(&r, i);
		char keys[256];
		int st[2], ob[3], ac[2];
		map_keys(m, keys, sizeof keys);
		assert_string_equal(keys, "id t obs state qs q_pi neg_efe action");
		assert_int_equal(int_field(m, "id"), man_table[i][0]);
		assert_int_equal(int_field(m, "t"), man_table[i][1]);
		assert_int_equal(ints_field(m, "state", st, 2), 2);
		assert_int_equal(ints_field(m, "obs", ob, 3), 3);
		assert_int_equal(ints_field(m, "action", ac, 2), 2);
		const int *want = man_table[i];
		if (st[0] != want[2] || st[1] != want[3] || ob[0] != want[4] || ob[1] != want[5] || ob[2] != want[6] ||
		    ac[0] != want[7] || ac[1] != want[8])
			fail_msg("record %d: state %d %d obs %d %d %d action %d %d; "
				 "man/agent.1 says %d %d, %d %d %d, %d %d",
				 i, st[0], st[1], ob[0], ob[1], ob[2], ac[0], ac[1], want[2], want[3], want[4], want[5],
				 want[6], want[7], want[8]);
		/* the location is observed exactly; the world moved as told */
		assert_int_equal(ob[0], st[0]);
		if (want[1] > 0) {
			int prev[2];
			(void)ints_field(rec_at(&r, i - 1), "action", prev, 2);
			assert_int_equal(st[0], prev[0]);
			int pst[2];
			(void)ints_field(rec_at(&r, i - 1), "state", pst, 2);
			assert_int_equal(st[1], pst[1]);
		}
		check_qs(m);
		check_policy_posterior(m);
		/* deterministic: the action is the first argmax of q_pi */
		double q[4];
		(void)numbers_field(m, "q_pi", q, 4);
		int best = 0;
		for (int p = 1; p < 4; p++)
			if (q[p] > q[best])
				best = p;
		assert_int_equal(ac[0], best);
	}
	/* at the cue the agent is sure of the condition the cue shows */
	double qc[2];
	const msgpack_object *qs = map_field(rec_at(&r, 5), "qs"); /* episode 1, t 1: cue 1 */
	(void)numbers_of(&qs->via.array.ptr[1], qc, 2);
	assert_true(qc[1] > 0.999);
	recs_free(&r);
	episodes_timing_free(&tm);
	world_free(&v);
	genmodel_free(&g);
}

static void test_closed_loop_threads_and_shards(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	struct world v;
	struct world_options wo = {3, 3, 0.9};
	struct err e = {0};
	char p1[256], p2[256], p3[256], s0[256], s1[256], s0j[256], other[256];

	scratch_path(s, "j1.mpk", p1, sizeof p1);
	scratch_path(s, "j2.mpk", p2, sizeof p2);
	scratch_path(s, "j3.mpk", p3, sizeof p3);
	scratch_path(s, "s0.mpk", s0, sizeof s0);
	scratch_path(s, "s1.mpk", s1, sizeof s1);
	scratch_path(s, "s0j.mpk", s0j, sizeof s0j);
	scratch_path(s, "other.mpk", other, sizeof other);
	load_tmaze(&g, 1);
	assert_int_equal(world_init(&v, "tmaze", &wo, NULL, &e), 0);
	struct episodes_options o = options_for(&g, 7, 1);
	run_loop(&o, &v, "tmaze", &wo, 7, 6, p1, NULL);
	o.threads = 2;
	run_loop(&o, &v, "tmaze", &wo, 7, 6, p2, NULL);
	o.threads = 3;
	run_loop(&o, &v, "tmaze", &wo, 7, 6, p3, NULL);
	assert_same_file(p1, p2);
	assert_same_file(p1, p3);
	o.threads = 1;
	o.shard_i = 0;
	o.shard_k = 2;
	run_loop(&o, &v, "tmaze", &wo, 7, 6, s0, NULL);
	o.threads = 2;
	run_loop(&o, &v, "tmaze", &wo, 7, 6, s0j, NULL);
	assert_same_file(s0, s0j);
	o.threads = 1;
	o.shard_i = 1;
	run_loop(&o, &v, "tmaze", &wo, 7, 6, s1, NULL);

	struct recs all, a, b;
	read_recs(p1, &all);
	read_recs(s0, &a);
	read_recs(s1, &b);
	assert_int_equal(all.n, 42);
	assert_int_equal(a.n, 4 * 6); /* episodes 0 2 4 6 */
	assert_int_equal(b.n, 3 * 6); /* 1 3 5 */
	/* the headers are equal, so the shards concatenate */
	assert_true(all.header_len == a.header_len && !memcmp(all.header, a.header, a.header_len));
	assert_true(all.header_len == b.header_len && !memcmp(all.header, b.header, b.header_len));
	int used_a[64] = {0}, used_b[64] = {0};
	for (int i = 0; i < all.n; i++) {
		long id = int_field(rec_at(&all, i), "id");
		const struct recs *sh = id % 2 ? &b : &a;
		int *used = id % 2 ? used_b : used_a, found = 0;
		for (int j = 0; j < sh->n && !found; j++)
			if (!used[j] && int_field(rec_at(sh, j), "id") == id && same_record(&all, i, sh, j))
				used[j] = found = 1;
		if (!found)
			fail_msg("record %d (id %ld) of the whole run is not in shard %ld/2", i, id, id % 2);
	}
	for (int j = 0; j < a.n; j++)
		assert_true(used_a[j] && int_field(rec_at(&a, j), "id") % 2 == 0);
	for (int j = 0; j < b.n; j++)
		assert_true(used_b[j] && int_field(rec_at(&b, j), "id") % 2 == 1);
	/* stochastic: the records carry the action probabilities */
	const msgpack_object *ap = map_field(rec_at(&all, 0), "action_probs");
	assert_int_equal(ap->via.array.size, 2);
	recs_free(&a);
	recs_free(&b);

	/* another seed: another stream (somewhere) */
	o = options_for(&g, 8, 1);
	run_loop(&o, &v, "tmaze", &wo, 7, 6, other, NULL);
	struct recs c;
	read_recs(other, &c);
	assert_int_equal(c.n, 42);
	int differ = 0;
	for (int i = 0; i < c.n; i++) {
		if (!same_value(rec_at(&c, i), rec_at(&all, i), "state") ||
		    !same_value(rec_at(&c, i), rec_at(&all, i), "obs") ||
		    !same_value(rec_at(&c, i), rec_at(&all, i), "action"))
			differ++;
	}
	assert_true(differ > 0);
	recs_free(&c);
	recs_free(&all);
	world_free(&v);
	genmodel_free(&g);
}

/* ---- the filter ---- */

static const char *const mixed_input[] = {
	/*  1 */ "{\"id\": \"a\", \"obs\": [0, 0, 1]}",
	/*  2 */ "{\"id\": \"b\", \"obs\": [0, 0, 0]}",
	/*  3 */ "{\"id\": \"a\", \"obs\": [5, 0, 0]}",
	/*  4 */ "{\"id\": \"a\", \"obs\": [3, 0, 0]}",
	/*  5 */ "{\"obs\": [0, 0, 0]}",
	/*  6 */ "{\"id\": \"b\"}",
	/*  7 */ "{\"id\": \"b\", \"obs\": [0, 0]}",
	/*  8 */ "{\"id\": \"c\", \"obs\": [0, 0, 1], \"reset\": 1}",
	/*  9 */ "{\"id\": \"c\", \"obs\": [0, 0, 1], \"action\": [4, 0]}",
	/* 10 */ "{\"id\": \"c\", \"obs\": [0, -1, 1]}",
	/* 11 */ "{\"id\": \"c\", \"obs\": [0, 1.5, 1]}",
	/* 12 */ "7",
	/* 13 */ "{\"id\": \"b\", \"obs\": [3, 0, 1]}",
	/* 14 */ "{\"id\": 7, \"obs\": [0, 0, 1]}",
	/* 15 */ "{\"id\": \"c\", \"obs\": [0, 0, 1], \"action\": [1]}",
};
#define N_MIXED 15

/* What each record of mixed_input gets: a status (bad), or a step of t. */
static const struct {
	const char *id;   /* string id, or NULL: integer id `num` */
	long num;
	const char *status;
	long t;
} mixed_want[N_MIXED] = {
	{"a", 0, NULL, 0},
	{"b", 0, NULL, 0},
	{"a", 0, "bad record: 'obs'[0] is 5, out of range (modality 0 has 4)", 0},
	{"a", 0, NULL, 1},
	{NULL, 5, "bad record: 'id' is missing (it names the episode)", 0},
	{"b", 0, "bad record: 'obs' must be a list of 3 indices (one per modality)", 0},
	{"b", 0, "bad record: 'obs' must be a list of 3 indices (one per modality)", 0},
	{"c", 0, "bad record: 'reset' must be true or false", 0},
	{"c", 0, "bad record: 'action'[0] is 4, out of range (factor 0 has 4)", 0},
	{"c", 0, "bad record: 'obs'[1] is -1, out of range (modality 1 has 3)", 0},
	{"c", 0, "bad record: 'obs'[1] must be an integer", 0},
	{NULL, 12, "bad record: not a map", 0},
	{"b", 0, NULL, 1},
	{NULL, 7, NULL, 0},
	{"c", 0, "bad record: 'action' must be a list of 2 indices (one per factor)", 0},
};

static void check_id(const msgpack_object *m, int i)
{
	const msgpack_object *id = map_field(m, "id");
	if (mixed_want[i].id) {
		if (!stream_object_is_str(id, mixed_want[i].id))
			fail_msg("record %d: id is not '%s'", i + 1, mixed_want[i].id);
	} else {
		if (id->type != MSGPACK_OBJECT_POSITIVE_INTEGER || (long)id->via.u64 != mixed_want[i].num)
			fail_msg("record %d: id is not %ld", i + 1, mixed_want[i].num);
	}
}

static void test_filter_answers_every_record(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	struct episodes_timing tm = {0};
	char in[256], in_a[256], out_a[256], in_b[256], out_b[256];
	int bad;
	struct recs r;

	scratch_path(s, "in.mpk", in, sizeof in);
	write_input(in, mixed_input, N_MIXED);
	load_tmaze(&g, 0);
	struct episodes_options o = options_for(&g, 1, 1);
	run_filter(&o, in, s->path, &bad, &tm);
	assert_int_equal(bad, 1);
	read_recs(s->path, &r);
	assert_int_equal(r.n, N_MIXED);
	int good = 0;
	for (int i = 0; i < N_MIXED; i++) {
		const msgpack_object *m = rec_at(&r, i);
		char keys[256];
		check_id(m, i);
		map_keys(m, keys, sizeof keys);
		if (mixed_want[i].status) {
			assert_string_equal(keys, "id status");
			const msgpack_object *st = map_field(m, "status");
			if (!stream_object_is_str(st, mixed_want[i].status))
				fail_msg("record %d: status '%.*s', want '%s'", i + 1, (int)st->via.str.size,
					 st->via.str.ptr, mixed_want[i].status);
		} else {
			good++;
			assert_string_equal(keys, "id t obs qs q_pi neg_efe action");
			assert_int_equal(int_field(m, "t"), mixed_want[i].t);
			check_qs(m);
			check_policy_posterior(m);
		}
	}
	assert_int_equal(good, 5); /* a 0, b 0, a 1, b 1, 7 0 */
	assert_int_equal(tm.n, 5);
	episodes_timing_free(&tm);

	/* the bad records changed nothing: a's and b's steps alone give the
	 * same bytes */
	static const char *const only_a[] = {"{\"id\": \"a\", \"obs\": [0, 0, 1]}",
					     "{\"id\": \"a\", \"obs\": [3, 0, 0]}"};
	static const char *const only_b[] = {"{\"id\": \"b\", \"obs\": [0, 0, 0]}",
					     "{\"id\": \"b\", \"obs\": [3, 0, 1]}"};
	struct recs ra, rb;
	scratch_path(s, "in_a.mpk", in_a, sizeof in_a);
	scratch_path(s, "out_a.mpk", out_a, sizeof out_a);
	scratch_path(s, "in_b.mpk", in_b, sizeof in_b);
	scratch_path(s, "out_b.mpk", out_b, sizeof out_b);
	write_input(in_a, only_a, 2);
	write_input(in_b, only_b, 2);
	run_filter(&o, in_a, out_a, &bad, NULL);
	assert_int_equal(bad, 0);
	run_filter(&o, in_b, out_b, &bad, NULL);
	assert_int_equal(bad, 0);
	read_recs(out_a, &ra);
	read_recs(out_b, &rb);
	assert_int_equal(ra.n, 2);
	assert_int_equal(rb.n, 2);
	assert_true(same_record(&r, 0, &ra, 0));
	assert_true(same_record(&r, 3, &ra, 1));
	assert_true(same_record(&r, 1, &rb, 0));
	assert_true(same_record(&r, 12, &rb, 1));
	/* b at the cue saw cue 1: sure of condition 1 */
	double qc[2];
	(void)numbers_of(&map_field(rec_at(&rb, 1), "qs")->via.array.ptr[1], qc, 2);
	assert_true(qc[1] > 0.999);
	recs_free(&ra);
	recs_free(&rb);
	recs_free(&r);
	genmodel_free(&g);
}

static void test_filter_threads_and_shards(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	char in[256], j2[256], s0[256], s1[256], s1j[256];
	int bad;

	scratch_path(s, "in.mpk", in, sizeof in);
	scratch_path(s, "j2.mpk", j2, sizeof j2);
	scratch_path(s, "s0.mpk", s0, sizeof s0);
	scratch_path(s, "s1.mpk", s1, sizeof s1);
	scratch_path(s, "s1j.mpk", s1j, sizeof s1j);
	write_input(in, mixed_input, N_MIXED);
	load_tmaze(&g, 1); /* stochastic: the steps draw */
	struct episodes_options o = options_for(&g, 3, 1);
	run_filter(&o, in, s->path, &bad, NULL);
	assert_int_equal(bad, 1);
	o.threads = 2;
	run_filter(&o, in, j2, &bad, NULL);
	assert_int_equal(bad, 1);
	assert_same_file(s->path, j2);
	/* episodes by first appearance: a 0, b 1, c 2, 7 3; the records
	 * without an id by their index: record 5 (index 4) and 12 (index 11) */
	o.threads = 1;
	o.shard_k = 2;
	o.shard_i = 0;
	run_filter(&o, in, s0, &bad, NULL);
	o.shard_i = 1;
	run_filter(&o, in, s1, &bad, NULL);
	o.threads = 2;
	run_filter(&o, in, s1j, &bad, NULL);
	assert_same_file(s1, s1j);

	struct recs all, a, b;
	read_recs(s->path, &all);
	read_recs(s0, &a);
	read_recs(s1, &b);
	assert_int_equal(all.n, N_MIXED);
	/* shard 0: a (1 3 4), record 5, c (8 9 10 11 15); shard 1: b (2 6 7 13), record 12, 7 (14) */
	static const int in_s0[] = {0, 2, 3, 4, 7, 8, 9, 10, 14}, in_s1[] = {1, 5, 6, 11, 12, 13};
	assert_int_equal(a.n, 9);
	assert_int_equal(b.n, 6);
	for (int k = 0; k < 9; k++)
		if (!same_record(&all, in_s0[k], &a, k))
			fail_msg("shard 0/2 record %d is not record %d of the whole run", k + 1, in_s0[k] + 1);
	for (int k = 0; k < 6; k++)
		if (!same_record(&all, in_s1[k], &b, k))
			fail_msg("shard 1/2 record %d is not record %d of the whole run", k + 1, in_s1[k] + 1);
	recs_free(&a);
	recs_free(&b);
	recs_free(&all);
	genmodel_free(&g);
}

/* A closed loop's observations through the filter, same ids, same seed:
 * the same steps, stochastic draws included. */
static void test_filter_replays_closed_loop(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	struct world v;
	struct world_options wo = {3, 3, 0.8};
	struct err e = {0};
	char loop[256], in[256];
	int bad;
	struct recs l, f;

	scratch_path(s, "loop.mpk", loop, sizeof loop);
	scratch_path(s, "in.mpk", in, sizeof in);
	load_tmaze(&g, 1);
	assert_int_equal(world_init(&v, "tmaze", &wo, NULL, &e), 0);
	struct episodes_options o = options_for(&g, 11, 1);
	run_loop(&o, &v, "tmaze", &wo, 4, 5, loop, NULL);
	read_recs(loop, &l);
	assert_int_equal(l.n, 20);
	/* the input: {"id", "obs"} of each step */
	char text[20][128];
	const char *lines[20];
	for (int i = 0; i < l.n; i++) {
		int ob[3];
		(void)ints_field(rec_at(&l, i), "obs", ob, 3);
		snprintf(text[i], sizeof text[i], "{\"id\": %ld, \"obs\": [%d, %d, %d]}",
			 int_field(rec_at(&l, i), "id"), ob[0], ob[1], ob[2]);
		lines[i] = text[i];
	}
	write_input(in, lines, l.n);
	run_filter(&o, in, s->path, &bad, NULL);
	assert_int_equal(bad, 0);
	read_recs(s->path, &f);
	assert_int_equal(f.n, 20);
	for (int i = 0; i < 20; i++) {
		const msgpack_object *fm = rec_at(&f, i), *lm = rec_at(&l, i);
		char fk[256], lk[256];
		map_keys(fm, fk, sizeof fk);
		map_keys(lm, lk, sizeof lk);
		assert_string_equal(fk, "id t obs qs q_pi neg_efe action action_probs");
		assert_string_equal(lk, "id t obs state qs q_pi neg_efe action action_probs");
		static const char *const keys[] = {"id", "t", "obs", "qs", "q_pi", "neg_efe", "action", "action_probs"};
		for (int k = 0; k < 8; k++)
			if (!same_value(fm, lm, keys[k]))
				fail_msg("step %d: '%s' differs between the loop and its replay", i, keys[k]);
	}
	recs_free(&l);
	recs_free(&f);
	world_free(&v);
	genmodel_free(&g);
}

/* The draws of a step are keyed by (seed, id, trial, t): an episode's
 * records are the same bytes whatever other episodes come before it, and
 * a new trial draws afresh. A stochastic agent with alpha 1 draws from
 * its marginal itself (about 0.71 for the cue at t = 0), so the draws
 * show. */
static void test_filter_keys(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	char in_all[256], in_q[256], out_q[256], in_r[256], out_r[256];
	static char text[64][96];
	const char *lines[64];
	int bad;
	struct recs all, q, r;
	/* each agent: a new trial every other step, at the centre, then at the cue */
	static const char *const obs[2] = {"[0, 0, 1], \"reset\": true", "[3, 0, 1]"};

	load_tmaze_options(&g, "{\"action_selection\": \"stochastic\", \"alpha\": 1.0}");
	struct episodes_options o = options_for(&g, 5, 1);

	/* p and q interleaved, then q alone */
	for (int i = 0; i < 40; i++) {
		snprintf(text[i], sizeof text[i], "{\"id\": \"%s\", \"obs\": %s}", i % 2 ? "q" : "p", obs[(i / 2) % 2]);
		lines[i] = text[i];
	}
	scratch_path(s, "all.mpk", in_all, sizeof in_all);
	scratch_path(s, "q.mpk", in_q, sizeof in_q);
	scratch_path(s, "q_out.mpk", out_q, sizeof out_q);
	write_input(in_all, lines, 40);
	for (int i = 0; i < 20; i++)
		lines[i] = text[2 * i + 1];
	write_input(in_q, lines, 20);
	run_filter(&o, in_all, s->path, &bad, NULL);
	run_filter(&o, in_q, out_q, &bad, NULL);
	read_recs(s->path, &all);
	read_recs(out_q, &q);
	assert_int_equal(all.n, 40);
	assert_int_equal(q.n, 20);
	for (int i = 0; i < 20; i++)
		if (!same_record(&all, 2 * i + 1, &q, i))
			fail_msg("q's step %d depends on p being there", i);
	/* the draws did draw: not every action of p and q is the most
	 * probable one (at the centre, 0.71 for the cue: 20 times) */
	int drew = 0;
	for (int i = 0; i < 40; i++) {
		double ap[4];
		int ac[2];
		(void)numbers_of(&map_field(rec_at(&all, i), "action_probs")->via.array.ptr[0], ap, 4);
		(void)ints_field(rec_at(&all, i), "action", ac, 2);
		int best = 0;
		for (int k = 1; k < 4; k++)
			if (ap[k] > ap[best])
				best = k;
		drew |= ac[0] != best;
	}
	assert_true(drew);

	/* 30 trials of one agent, each at t = 0 with the same observation:
	 * the same probabilities, draws keyed by the trial */
	for (int i = 0; i < 30; i++) {
		snprintf(text[i], sizeof text[i], "{\"id\": \"r\", \"obs\": [0, 0, 1], \"reset\": true}");
		lines[i] = text[i];
	}
	scratch_path(s, "r.mpk", in_r, sizeof in_r);
	scratch_path(s, "r_out.mpk", out_r, sizeof out_r);
	write_input(in_r, lines, 30);
	run_filter(&o, in_r, out_r, &bad, NULL);
	read_recs(out_r, &r);
	assert_int_equal(r.n, 30);
	int count[4] = {0, 0, 0, 0};
	for (int i = 0; i < 30; i++) {
		int ac[2];
		assert_int_equal(int_field(rec_at(&r, i), "t"), 0);
		if (i > 0)
			assert_int_equal(int_field(rec_at(&r, i), "trial"), i);
		assert_true(same_value(rec_at(&r, 0), rec_at(&r, i), "action_probs"));
		(void)ints_field(rec_at(&r, i), "action", ac, 2);
		count[ac[0]]++;
	}
	/* P(the same action 30 times) < 0.71^29, and the keys are fixed */
	if (count[3] == 30 || count[0] + count[1] + count[2] == 30)
		fail_msg("30 trials drew the same action: the draws are not keyed by the trial");
	recs_free(&r);
	recs_free(&q);
	recs_free(&all);
	genmodel_free(&g);
}

/* "action" replaces the choice; the probabilities are the agent's own;
 * the next prior follows the action taken. */
static void test_filter_replayed_actions(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	char in[256];
	int bad;
	struct recs r;
	static const char *const input[] = {
		"{\"id\": 1, \"obs\": [0, 0, 1]}",
		"{\"id\": 2, \"obs\": [0, 0, 1], \"action\": [2, 0]}",
		"{\"id\": 2, \"obs\": [2, 1, 1]}",
		"{\"id\": 3, \"obs\": [0, 0, 1], \"action\": [1.0, 0.0]}",
		"{\"id\": 4, \"obs\": [0, 0, 1], \"action\": null}",
		"{\"id\": 5, \"obs\": [0, 0, 1], \"action\": [3, 0]}",
		"{\"id\": 5, \"obs\": [3, 0, 1]}",
	};

	scratch_path(s, "in.mpk", in, sizeof in);
	write_input(in, input, 7);
	load_tmaze(&g, 0);
	struct episodes_options o = options_for(&g, 1, 1);
	run_filter(&o, in, s->path, &bad, NULL);
	assert_int_equal(bad, 0);
	read_recs(s->path, &r);
	assert_int_equal(r.n, 7);
	static const int want_action[7] = {3, 2, -1, 1, 3, 3, -1};
	for (int i = 0; i < 7; i++) {
		int ac[2];
		(void)ints_field(rec_at(&r, i), "action", ac, 2);
		if (want_action[i] >= 0 && ac[0] != want_action[i])
			fail_msg("record %d: action %d, want %d", i + 1, ac[0], want_action[i]);
		assert_int_equal(ac[1], 0);
	}
	/* at t = 0 every agent saw the same: the same beliefs and policy
	 * posterior whatever action was forced */
	for (int i = 1; i < 7; i++) {
		if (i == 2 || i == 6)
			continue;
		assert_true(same_value(rec_at(&r, 0), rec_at(&r, i), "qs"));
		assert_true(same_value(rec_at(&r, 0), rec_at(&r, i), "q_pi"));
		assert_true(same_value(rec_at(&r, 0), rec_at(&r, i), "neg_efe"));
	}
	/* agent 2 went to the left arm (its replayed action) and got the
	 * reward: location 2 for sure, condition 1 with P(reward | left,
	 * condition 1) / (P(.. 1) + P(.. 0)) = 0.98 */
	const msgpack_object *qs = map_field(rec_at(&r, 2), "qs");
	double loc[4], cond[2];
	(void)numbers_of(&qs->via.array.ptr[0], loc, 4);
	(void)numbers_of(&qs->via.array.ptr[1], cond, 2);
	assert_true(loc[2] > 1 - 1e-9);
	if (!(fabs(cond[1] - 0.98) < 1e-6) || !(fabs(cond[0] - 0.02) < 1e-6))
		fail_msg("condition belief [%.17g, %.17g], want [0.02, 0.98]", cond[0], cond[1]);
	/* agent 5 replayed the cue (its own choice): then cue 1 says condition 1 */
	qs = map_field(rec_at(&r, 6), "qs");
	(void)numbers_of(&qs->via.array.ptr[1], cond, 2);
	assert_true(cond[1] > 0.999);
	int ac[2];
	(void)ints_field(rec_at(&r, 6), "action", ac, 2);
	assert_int_equal(ac[0], 2); /* to the left arm, where the reward is */
	recs_free(&r);
	genmodel_free(&g);
}

static void test_filter_reset(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	char in[256], fresh_in[256], fresh_out[256];
	int bad;
	struct recs r, fr;
	static const char *const input[] = {
		"{\"id\": \"x\", \"obs\": [0, 0, 1], \"reset\": true}",
		"{\"id\": \"x\", \"obs\": [3, 0, 0]}",
		"{\"id\": \"x\", \"obs\": [1, 1, 0]}",
		"{\"id\": \"x\", \"obs\": [0, 0, 1], \"reset\": true}",
		"{\"id\": \"x\", \"obs\": [3, 0, 1], \"reset\": false}",
		"{\"id\": \"x\", \"obs\": [0, 0, 0], \"reset\": true}",
	};
	static const long want_t[] = {0, 1, 2, 0, 1, 0}, want_trial[] = {-1, -1, -1, 1, 1, 2};

	scratch_path(s, "in.mpk", in, sizeof in);
	scratch_path(s, "fresh_in.mpk", fresh_in, sizeof fresh_in);
	scratch_path(s, "fresh_out.mpk", fresh_out, sizeof fresh_out);
	write_input(in, input, 6);
	load_tmaze(&g, 0);
	struct episodes_options o = options_for(&g, 1, 1);
	run_filter(&o, in, s->path, &bad, NULL);
	assert_int_equal(bad, 0);
	read_recs(s->path, &r);
	assert_int_equal(r.n, 6);
	for (int i = 0; i < 6; i++) {
		const msgpack_object *m = rec_at(&r, i);
		char keys[256];
		map_keys(m, keys, sizeof keys);
		assert_int_equal(int_field(m, "t"), want_t[i]);
		if (want_trial[i] < 0) {
			assert_string_equal(keys, "id t obs qs q_pi neg_efe action");
		} else {
			assert_string_equal(keys, "id t trial obs qs q_pi neg_efe action");
			assert_int_equal(int_field(m, "trial"), want_trial[i]);
		}
	}
	/* trial 1 starts from D as a fresh agent does: a fresh "y" fed the
	 * same two observations has the same beliefs and choices */
	static const char *const fresh[] = {"{\"id\": \"y\", \"obs\": [0, 0, 1]}",
					    "{\"id\": \"y\", \"obs\": [3, 0, 1]}"};
	write_input(fresh_in, fresh, 2);
	run_filter(&o, fresh_in, fresh_out, &bad, NULL);
	read_recs(fresh_out, &fr);
	assert_int_equal(fr.n, 2);
	static const char *const keys[] = {"t", "obs", "qs", "q_pi", "neg_efe", "action"};
	for (int k = 0; k < 6; k++) {
		if (!same_value(rec_at(&r, 3), rec_at(&fr, 0), keys[k]))
			fail_msg("trial 1, t 0: '%s' is not a fresh agent's", keys[k]);
		if (!same_value(rec_at(&r, 4), rec_at(&fr, 1), keys[k]))
			fail_msg("trial 1, t 1: '%s' is not a fresh agent's", keys[k]);
		/* and the first trial's first step is that too */
		assert_true(same_value(rec_at(&r, 0), rec_at(&fr, 0), keys[k]));
	}
	/* the cue of trial 1 said condition 1: the agent heads left */
	int ac[2];
	(void)ints_field(rec_at(&r, 4), "action", ac, 2);
	assert_int_equal(ac[0], 2);
	recs_free(&fr);
	recs_free(&r);
	genmodel_free(&g);
}

/* The header: the model as read, every policy, the seed, and the world
 * of a closed loop only ({"name", "reward_prob"} or {"name", "shape"}). */
static void test_header(void **state)
{
	(void)state;
	struct genmodel g;
	static const struct {
		const char *world;
		const char *keys;
	} cases[] = {
		{NULL, "biofilter kind program version model policies seed"},
		{"tmaze", "name reward_prob"},
		{"grid", "name shape"},
		{"model", "name"},
	};
	struct world_options wo = {2, 5, 0.75};

	load_tmaze(&g, 0);
	struct episodes_options o = options_for(&g, 123456789012345ULL, 1);
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		struct pack b;
		msgpack_unpacked u;
		char keys[256];
		pack_init(&b);
		episodes_pack_header(pack_packer(&b), &o, cases[c].world, &wo);
		assert_int_equal(b.nomem, 0);
		const msgpack_object *h = unpack_whole(&u, b.data, b.len);
		map_keys(h, keys, sizeof keys);
		if (!cases[c].world) {
			assert_string_equal(keys, cases[c].keys);
		} else {
			assert_string_equal(keys, "biofilter kind program version model policies seed world");
			const msgpack_object *w = map_field(h, "world");
			map_keys(w, keys, sizeof keys);
			assert_string_equal(keys, cases[c].keys);
			assert_true(stream_object_is_str(map_field(w, "name"), cases[c].world));
			if (!strcmp(cases[c].world, "tmaze")) {
				double p;
				assert_int_equal(stream_object_number(map_field(w, "reward_prob"), &p), 0);
				assert_true(p == 0.75);
			} else if (!strcmp(cases[c].world, "grid")) {
				int shape[2];
				assert_int_equal(ints_field(w, "shape", shape, 2), 2);
				assert_int_equal(shape[0], 2);
				assert_int_equal(shape[1], 5);
			}
		}
		assert_int_equal(int_field(h, "biofilter"), 1);
		assert_true(stream_object_is_str(map_field(h, "kind"), "step"));
		assert_int_equal(map_field(h, "seed")->via.u64, 123456789012345ULL);
		/* the policies of the T-maze, policy_len 1: [[0, 0]], [[1, 0]], .. */
		const msgpack_object *pol = map_field(h, "policies");
		assert_int_equal(pol->via.array.size, 4);
		for (uint32_t p = 0; p < 4; p++) {
			const msgpack_object *steps = &pol->via.array.ptr[p];
			assert_int_equal(steps->via.array.size, 1);
			const msgpack_object *a = &steps->via.array.ptr[0];
			assert_int_equal(a->via.array.size, 2);
			assert_int_equal(a->via.array.ptr[0].via.u64, p);
			assert_int_equal(a->via.array.ptr[1].via.u64, 0);
		}
		/* the model as read: its C */
		const msgpack_object *C = map_field(map_field(h, "model"), "C");
		double c1[3];
		assert_int_equal(numbers_of(&C->via.array.ptr[1], c1, 3), 3);
		assert_true(c1[0] == 0 && c1[1] == 3 && c1[2] == -3);
		msgpack_unpacked_destroy(&u);
		pack_free(&b);
	}
	genmodel_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_closed_loop_records, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_closed_loop_threads_and_shards, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_filter_answers_every_record, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_filter_threads_and_shards, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_filter_replays_closed_loop, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_filter_keys, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_filter_replayed_actions, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_filter_reset, setup, scratch_teardown),
		cmocka_unit_test(test_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
