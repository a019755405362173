/*
 * Unit tests for thetaloop: the theta-record loop of solve and sensitivity
 * (thetaloop.h; man/solve.1, --set and "bad record"; DESIGN §3).
 *
 * Theta streams are written into a scratch file with the stream writer,
 * opened with thetaloop_open for a model's parameter names, and run with
 * callbacks that pack a small answer ({"id", "theta"} or {"id",
 * "error"}) and note what they were given. What must hold:
 *
 * - thetaloop_open maps each record's numbers to the model's theta: in
 *   order without --set (a header's "parameters", if any, must then be
 *   the model's names in order); with --set "a=1,b=2", by the names the
 *   header gives, the set values filled in, every --set and header error
 *   refused with its message (unknown name, set twice, not a finite
 *   number, too long, not name=value, a header without "parameters", a
 *   parameter both set and carried, one neither set nor carried, ...);
 * - thetaloop_run answers every good record in input order, with its id
 *   (or its record number when it has none) and its theta mapped through
 *   the map; a record with a bad theta (wrong count, non-finite, not a
 *   list, missing) goes to `bad` with the reason, which names the file,
 *   record and field, and is reported on stderr as "prog: reason"; a
 *   record that is not a map is only reported; either sets *bad;
 * - shards keep records (record - 1) % k == i, counting all of them;
 * - the meter counts answered records (good and bad) and bad ones, the
 *   not-map ones among the bad only;
 * - a posterior stream's new section is refused unless its header names
 *   the same parameters.
 *
 * The answers are read back from the output stream with the stream
 * reader and compared with the values written in, computed by hand.
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
#include <unistd.h>

#include "meter.h"
#include "pack.h"
#include "stream.h"
#include "thetaloop.h"

#include "capture.h"
#include "scratch.h"
#include "streams.h"

static int setup(void **state)
{
	return scratch_setup(state, "test_thetaloop", "theta.mpk");
}

/* ---- writing theta streams ---- */

enum rkind {
	GOOD,     /* {"id": id, "theta": th[0..n-1]} */
	NOID,     /* {"theta": th} */
	STRID,    /* {"id": "r<id>", "theta": th} */
	STRTHETA, /* {"id": id, "theta": "x"} */
	NOTHETA,  /* {"id": id} */
	NOTMAP,   /* [id, 2] */
	SECTION,  /* a new header: kind posterior, "level": id, "parameters": params */
};

struct trec {
	enum rkind k;
	long id;
	int n;
	double th[6];
	const char *const *params;
	int np;
};

static void pack_header(msgpack_packer *pk, const char *kind, long level, const char *const *params, int np)
{
	struct pack_map h;
	stream_header_begin(&h, pk, kind);
	pack_kv_long(&h, "level", level);
	if (params) {
		pack_key(&h, "parameters");
		pack_strs(pk, params, np);
	}
	pack_map_end(&h);
}

/* A stream at path: a header of `kind` with "parameters" params (no
 * header when kind is NULL, none of those when params is NULL), then the
 * records. */
static void write_thetas(const char *path, const char *kind, const char *const *params, int np,
			 const struct trec *recs, int n)
{
	struct stream_writer w;

	writer_open_ok(&w, path);
	msgpack_packer *pk = stream_writer_packer(&w);
	if (kind) {
		pack_header(pk, kind, 1, params, np);
		writer_flush_ok(&w);
	}
	for (int i = 0; i < n; i++) {
		const struct trec *t = &recs[i];
		struct pack_map m;
		char sid[32];
		switch (t->k) {
		case SECTION:
			pack_header(pk, "posterior", t->id, t->params, t->np);
			break;
		case NOTMAP:
			msgpack_pack_array(pk, 2);
			msgpack_pack_long(pk, t->id);
			msgpack_pack_int(pk, 2);
			break;
		default:
			pack_map_begin(&m, pk);
			if (t->k == STRID) {
				snprintf(sid, sizeof sid, "r%ld", t->id);
				pack_kv_str(&m, "id", sid);
			} else if (t->k != NOID) {
				pack_kv_long(&m, "id", t->id);
			}
			if (t->k == STRTHETA)
				pack_kv_str(&m, "theta", "x");
			else if (t->k != NOTHETA)
				pack_kv_numbers(&m, "theta", t->th, (size_t)t->n);
			pack_kv_str(&m, "note", "extra keys are kept out of the way");
			pack_map_end(&m);
		}
		writer_flush_ok(&w);
	}
	writer_commit_ok(&w);
}

/* ---- the callbacks ---- */

#define MAXREC 16

/* What the callbacks saw. An id is kept as a number, or as -1000 - its
 * string's digits ("r7": -1007) for a string id. */
struct seen {
	int d; /* the model's parameters */
	int n_answer, n_bad;
	long answer_id[MAXREC], bad_id[MAXREC];
	double theta[MAXREC][MODEL_MAX_THETA];
	char why[MAXREC][256];
	int rec_has_theta[MAXREC];
};

static long id_value(const msgpack_object *id)
{
	double x;
	if (id->type == MSGPACK_OBJECT_STR) {
		char buf[32];
		assert_true(id->via.str.size > 1 && id->via.str.size < sizeof buf && id->via.str.ptr[0] == 'r');
		memcpy(buf, id->via.str.ptr + 1, id->via.str.size - 1);
		buf[id->via.str.size - 1] = 0;
		return -1000 - atol(buf);
	}
	assert_int_equal(stream_object_number(id, &x), 0);
	return (long)x;
}

static void answer(void *ctx, msgpack_packer *pk, const msgpack_object *id, const double *theta,
		   const msgpack_object *rec)
{
	struct seen *s = ctx;
	struct pack_map m;

	assert_true(s->n_answer < MAXREC);
	s->answer_id[s->n_answer] = id_value(id);
	memcpy(s->theta[s->n_answer], theta, (size_t)s->d * sizeof *theta);
	s->rec_has_theta[s->n_answer] = rec && stream_map_get(rec, "theta") != NULL;
	s->n_answer++;
	pack_map_begin(&m, pk);
	pack_kv_object(&m, "id", id);
	pack_kv_numbers(&m, "theta", theta, (size_t)s->d);
	pack_map_end(&m);
}

static void bad(void *ctx, msgpack_packer *pk, const msgpack_object *id, const char *why)
{
	struct seen *s = ctx;
	struct pack_map m;

	assert_true(s->n_bad < MAXREC);
	s->bad_id[s->n_bad] = id_value(id);
	snprintf(s->why[s->n_bad], sizeof s->why[0], "%s", why);
	s->n_bad++;
	pack_map_begin(&m, pk);
	pack_kv_object(&m, "id", id);
	pack_kv_str(&m, "error", why);
	pack_map_end(&m);
}

/* ---- running ---- */

/* Open path for names (thetaloop_open), or fail the test. */
static void open_ok(struct stream_reader *r, const char *path, unsigned si, unsigned sk, const char *const *names,
		    int n, const char *set, struct thetaloop_map *map)
{
	struct err e = {0};
	if (thetaloop_open(r, path, si, sk, names, n, set, map, &e))
		fail_msg("thetaloop_open(set %s): %s", set ? set : "NULL", e.msg);
}

/* Open must refuse with ERR_INPUT and exactly the message want. */
static void open_refused(const char *path, const char *const *names, int n, const char *set, const char *want)
{
	struct stream_reader r;
	struct thetaloop_map map;
	struct err e = {0};

	int rc = thetaloop_open(&r, path, 0, 0, names, n, set, &map, &e);
	stream_reader_free(&r);
	if (rc != ERR_INPUT)
		fail_msg("thetaloop_open(set '%s') returned %d, want ERR_INPUT (%s)", set ? set : "NULL", rc, want);
	assert_string_equal(e.msg, want);
}

/* Open path for names as open_ok does (shard si of sk, set) and run the
 * loop into out; returns thetaloop_run's code (its message in e),
 * *bad_flag its flag. Stderr goes to errpath when that is not NULL, and
 * the loop is then not quiet. */
static int run(const char *path, unsigned si, unsigned sk, const char *const *names, int n, const char *set,
	       struct seen *s, struct meter *m, const char *out, const char *errpath, int *bad_flag, struct err *e)
{
	struct stream_reader r;
	struct thetaloop_map map;
	struct stream_writer w;
	struct capture c;
	int rc;

	open_ok(&r, path, si, sk, names, n, set, &map);
	struct thetaloop l = {"solve", "trajectories", &map, errpath == NULL, 0, answer, bad, s, m, NULL};
	writer_open_ok(&w, out);
	if (errpath)
		capture_begin(&c, 2, errpath);
	*bad_flag = 0;
	rc = thetaloop_run(&l, &r, &w, bad_flag, e);
	if (errpath)
		capture_end(&c);
	writer_commit_ok(&w);
	stream_reader_free(&r);
	return rc;
}

/* An answer read back. */
struct back {
	long id;
	int n;
	double theta[MODEL_MAX_THETA];
	char error[256];
};

/* Read the answers in out; returns their number. */
static int read_back(const char *out, struct back *b, int max)
{
	struct stream_reader r;
	const msgpack_object *rec;
	struct err e = {0};
	int n = 0, rc;

	reader_open_ok(&r, out);
	while ((rc = stream_reader_next(&r, &rec, &e)) == STREAM_RECORD) {
		assert_true(n < max);
		const msgpack_object *id = stream_map_get(rec, "id"), *th = stream_map_get(rec, "theta"),
				     *er = stream_map_get(rec, "error");
		assert_non_null(id);
		b[n].id = id_value(id);
		b[n].n = 0;
		b[n].error[0] = 0;
		if (th) {
			assert_int_equal(th->type, MSGPACK_OBJECT_ARRAY);
			b[n].n = (int)th->via.array.size;
			for (int k = 0; k < b[n].n; k++)
				assert_int_equal(stream_object_number(&th->via.array.ptr[k], &b[n].theta[k]), 0);
		}
		if (er) {
			assert_int_equal(er->type, MSGPACK_OBJECT_STR);
			snprintf(b[n].error, sizeof b[n].error, "%.*s", (int)er->via.str.size, er->via.str.ptr);
		}
		n++;
	}
	if (rc)
		fail_msg("reading %s back: %d %s", out, rc, e.msg);
	stream_reader_free(&r);
	return n;
}

static void assert_theta(const double *got, const double *want, int d)
{
	for (int k = 0; k < d; k++)
		if (got[k] != want[k])
			fail_msg("theta[%d] = %.17g, want %.17g", k, got[k], want[k]);
}

static const char *const ABC[] = {"a", "b", "c"};
static const char *const ABCD[] = {"a", "b", "c", "d"};

/* ---- thetaloop_open ---- */

static void test_open_plain(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct thetaloop_map map;
	const struct trec recs[] = {{GOOD, 1, 3, {1, 2, 3}, NULL, 0}};

	/* no header */
	write_thetas(s->path, NULL, NULL, 0, recs, 1);
	open_ok(&r, s->path, 0, 0, ABC, 3, NULL, &map);
	assert_int_equal(map.n_in, 3);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(map.index[k], k);
		assert_true(map.fixed[k] == 0);
	}
	assert_ptr_equal(map.names, ABC);
	stream_reader_free(&r);

	/* a header without "parameters", and one with the model's names */
	write_thetas(s->path, "theta", NULL, 0, recs, 1);
	open_ok(&r, s->path, 0, 0, ABC, 3, NULL, &map);
	assert_int_equal(map.n_in, 3);
	stream_reader_free(&r);
	write_thetas(s->path, "theta", ABC, 3, recs, 1);
	open_ok(&r, s->path, 0, 0, ABC, 3, NULL, &map);
	assert_int_equal(map.n_in, 3);
	assert_int_equal(map.index[2], 2);
	stream_reader_free(&r);

	/* names NULL: any names */
	write_thetas(s->path, "theta", (const char *const[]){"x", "y"}, 2, recs, 1);
	open_ok(&r, s->path, 0, 0, NULL, 3, NULL, &map);
	assert_int_equal(map.n_in, 3);
	assert_null(map.names);
	stream_reader_free(&r);

	/* other names, or the same in another order, or fewer: refused */
	char want[512];
	snprintf(want, sizeof want, "%s: header: 'parameters' are not the expected ones (a b ...)", s->path);
	write_thetas(s->path, "theta", (const char *const[]){"a", "c", "b"}, 3, recs, 1);
	open_refused(s->path, ABC, 3, NULL, want);
	write_thetas(s->path, "theta", ABC, 2, recs, 1);
	open_refused(s->path, ABC, 3, NULL, want);

	/* a file that is not there */
	char missing[200];
	scratch_path(s, "nope.mpk", missing, sizeof missing);
	snprintf(want, sizeof want, "%s: No such file or directory", missing);
	open_refused(missing, ABC, 3, NULL, want);
}

static void test_open_set(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct thetaloop_map map;
	const struct trec recs[] = {{GOOD, 1, 2, {4, 5}, NULL, 0}};

	/* a and c set, the stream carries d then b */
	write_thetas(s->path, "theta", (const char *const[]){"d", "b"}, 2, recs, 1);
	open_ok(&r, s->path, 0, 0, ABCD, 4, "a=1,c=2.5", &map);
	assert_int_equal(map.n_in, 2);
	assert_int_equal(map.index[0], 3);
	assert_int_equal(map.index[1], 1);
	assert_true(map.fixed[0] == 1);
	assert_true(map.fixed[2] == 2.5);
	assert_true(map.fixed[1] == 0 && map.fixed[3] == 0);
	stream_reader_free(&r);

	/* in another order, with exponents and signs */
	open_ok(&r, s->path, 0, 0, ABCD, 4, "c=-1e-3,a=+7", &map);
	assert_true(map.fixed[0] == 7);
	assert_true(map.fixed[2] == -1e-3);
	stream_reader_free(&r);

	/* an empty list sets nothing but maps by the header's names */
	write_thetas(s->path, "theta", (const char *const[]){"c", "a", "b"}, 3, recs, 1);
	open_ok(&r, s->path, 0, 0, ABC, 3, "", &map);
	assert_int_equal(map.n_in, 3);
	assert_int_equal(map.index[0], 2);
	assert_int_equal(map.index[1], 0);
	assert_int_equal(map.index[2], 1);
	stream_reader_free(&r);
}

static void test_open_set_errors(void **state)
{
	struct scratch *s = *state;
	const struct trec recs[] = {{GOOD, 1, 2, {4, 5}, NULL, 0}};
	char want[512], set[256];

	/* the list itself */
	static const struct {
		const char *set, *want;
	} lists[] = {
		{"x=1", "'--set': the model has no parameter 'x'"},
		{"a=1,c=2,a=3", "'--set': 'a' is set twice"},
		{"a=abc", "'--set': the value of 'a' must be a finite number, got 'abc'"},
		{"a=", "'--set': the value of 'a' must be a finite number, got ''"},
		{"a=1x,c=2", "'--set': the value of 'a' must be a finite number, got '1x'"},
		{"c=2,a=inf", "'--set': the value of 'a' must be a finite number, got 'inf'"},
		{"a=nan", "'--set': the value of 'a' must be a finite number, got 'nan'"},
		{"a=1e999", "'--set': the value of 'a' must be a finite number, got '1e999'"},
		{"a", "'--set': 'a' is not name=value"},
		{"a,c=1", "'--set': 'a' is not name=value"},
		{"=1", "'--set': '=1' is not name=value"},
		{"a=1,,c=2", "'--set': '' is not name=value"},
	};
	write_thetas(s->path, "theta", (const char *const[]){"d", "b"}, 2, recs, 1);
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		open_refused(s->path, ABCD, 4, lists[i].set, lists[i].want);
	/* too long: a name of 64 characters, a value of 64 */
	snprintf(set, sizeof set, "%064d=1", 0);
	snprintf(want, sizeof want, "'--set': '%s' is too long", set);
	open_refused(s->path, ABCD, 4, set, want);
	snprintf(set, sizeof set, "a=1.%062d", 0);
	snprintf(want, sizeof want, "'--set': '%s' is too long", set);
	open_refused(s->path, ABCD, 4, set, want);
	/* but 63 of each is not too long (an unknown name, a good value) */
	char name63[64];
	snprintf(name63, sizeof name63, "%063d", 0);
	snprintf(set, sizeof set, "%s=1", name63);
	snprintf(want, sizeof want, "'--set': the model has no parameter '%s'", name63);
	open_refused(s->path, ABCD, 4, set, want);
	snprintf(set, sizeof set, "a=1.%061d,c=2", 0); /* a value of 63 characters */
	struct stream_reader r;
	struct thetaloop_map map;
	open_ok(&r, s->path, 0, 0, ABCD, 4, set, &map);
	assert_true(map.fixed[0] == 1 && map.fixed[2] == 2);
	stream_reader_free(&r);

	/* the header against the list */
	snprintf(want, sizeof want, "%s: '--set' fixes 'b', which the stream carries too", s->path);
	open_refused(s->path, ABCD, 4, "a=1,b=2,c=3", want);
	snprintf(want, sizeof want, "%s: the stream does not carry 'c' and '--set' does not fix it", s->path);
	open_refused(s->path, ABCD, 4, "a=1", want);
	write_thetas(s->path, "theta", (const char *const[]){"d", "z"}, 2, recs, 1);
	snprintf(want, sizeof want, "%s: the stream's parameter 'z' is not one of the model's", s->path);
	open_refused(s->path, ABCD, 4, "a=1,c=2", want);
	write_thetas(s->path, "theta", (const char *const[]){"d", "b", "d"}, 3, recs, 1);
	snprintf(want, sizeof want, "%s: header: 'parameters' names 'd' twice", s->path);
	open_refused(s->path, ABCD, 4, "a=1,c=2", want);
	/* no "parameters", no header */
	snprintf(want, sizeof want, "%s: with '--set' the header must name the stream's 'parameters'", s->path);
	write_thetas(s->path, "theta", NULL, 0, recs, 1);
	open_refused(s->path, ABCD, 4, "a=1,c=2", want);
	write_thetas(s->path, NULL, NULL, 0, recs, 1);
	open_refused(s->path, ABCD, 4, "a=1,c=2", want);
}

/* ---- thetaloop_run ---- */

static void test_run_good(void **state)
{
	struct scratch *s = *state;
	struct seen seen = {.d = 3};
	struct meter m;
	struct err e = {0};
	struct back b[MAXREC];
	char out[200];
	int badf;
	const struct trec recs[] = {
		{GOOD, 10, 3, {0.5, 1.5, -2}, NULL, 0},
		{GOOD, 11, 3, {1e-300, 0, 1e300}, NULL, 0},
		{STRID, 7, 3, {3, 2, 1}, NULL, 0},
		{NOID, 0, 3, {9, 8, 7}, NULL, 0}, /* record 4: its id is 4 */
		{GOOD, 12, 3, {-1, -2, -3}, NULL, 0},
	};

	scratch_path(s, "out.mpk", out, sizeof out);
	write_thetas(s->path, "theta", ABC, 3, recs, 5);
	meter_init(&m);
	assert_int_equal(run(s->path, 0, 0, ABC, 3, NULL, &seen, &m, out, NULL, &badf, &e), 0);

	const long ids[] = {10, 11, -1007, 4, 12};
	assert_int_equal(badf, 0);
	assert_int_equal(seen.n_bad, 0);
	assert_int_equal(seen.n_answer, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(seen.answer_id[i], ids[i]);
		assert_theta(seen.theta[i], recs[i].th, 3);
		assert_true(seen.rec_has_theta[i]);
	}
	assert_int_equal(m.count[METER_RECORDS], 5);
	assert_int_equal(m.count[METER_BAD], 0);

	assert_int_equal(read_back(out, b, MAXREC), 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(b[i].id, ids[i]);
		assert_int_equal(b[i].n, 3);
		assert_theta(b[i].theta, recs[i].th, 3);
	}
}

/* --set: the records carry d and b; a and c come from the list. */
static void test_run_set(void **state)
{
	struct scratch *s = *state;
	struct seen seen = {.d = 4};
	struct err e = {0};
	struct back b[MAXREC];
	char out[200];
	int badf;
	const struct trec recs[] = {
		{GOOD, 1, 2, {4, 5}, NULL, 0},
		{GOOD, 2, 2, {40, 50}, NULL, 0},
		{GOOD, 3, 3, {4, 5, 6}, NULL, 0}, /* three numbers: the stream carries two */
	};

	scratch_path(s, "out.mpk", out, sizeof out);
	write_thetas(s->path, "theta", (const char *const[]){"d", "b"}, 2, recs, 3);
	assert_int_equal(run(s->path, 0, 0, ABCD, 4, "a=1,c=2.5", &seen, NULL, out, NULL, &badf, &e), 0);

	assert_int_equal(seen.n_answer, 2);
	assert_theta(seen.theta[0], (const double[]){1, 5, 2.5, 4}, 4);
	assert_theta(seen.theta[1], (const double[]){1, 50, 2.5, 40}, 4);
	assert_int_equal(seen.n_bad, 1);
	assert_int_equal(badf, 1);
	char want[512];
	snprintf(want, sizeof want, "%s: record 3: 'theta' must have 2 numbers, got 3", s->path);
	assert_string_equal(seen.why[0], want);

	assert_int_equal(read_back(out, b, MAXREC), 3);
	assert_theta(b[0].theta, (const double[]){1, 5, 2.5, 4}, 4);
	assert_theta(b[1].theta, (const double[]){1, 50, 2.5, 40}, 4);
	assert_int_equal(b[2].id, 3);
	assert_string_equal(b[2].error, want);
}

static void test_run_bad_records(void **state)
{
	struct scratch *s = *state;
	struct seen seen = {.d = 3};
	struct meter m;
	struct err e = {0};
	struct back b[MAXREC];
	char out[200], errpath[200];
	int badf;
	const struct trec recs[] = {
		{GOOD, 1, 3, {1, 2, 3}, NULL, 0},
		{GOOD, 2, 2, {1, 2}, NULL, 0},       /* too few */
		{GOOD, 3, 3, {1, NAN, 3}, NULL, 0},  /* not finite */
		{STRTHETA, 4, 0, {0}, NULL, 0},      /* not a list */
		{NOTHETA, 5, 0, {0}, NULL, 0},       /* missing */
		{NOTMAP, 6, 0, {0}, NULL, 0},        /* only reported */
		{GOOD, 7, 3, {-INFINITY, 0, 0}, NULL, 0},
		{GOOD, 8, 3, {4, 5, 6}, NULL, 0},
	};

	scratch_path(s, "out.mpk", out, sizeof out);
	scratch_path(s, "stderr.txt", errpath, sizeof errpath);
	write_thetas(s->path, "theta", ABC, 3, recs, 8);
	meter_init(&m);
	assert_int_equal(run(s->path, 0, 0, ABC, 3, NULL, &seen, &m, out, errpath, &badf, &e), 0);

	const char *P = s->path;
	char why[5][256], msg[6][256];
	snprintf(why[0], sizeof why[0], "%s: record 2: 'theta' must have 3 numbers, got 2", P);
	snprintf(why[1], sizeof why[1], "%s: record 3: 'theta'[1] is not finite", P);
	snprintf(why[2], sizeof why[2], "%s: record 4: 'theta' must be a list of numbers", P);
	snprintf(why[3], sizeof why[3], "%s: record 5: missing 'theta'", P);
	snprintf(why[4], sizeof why[4], "%s: record 7: 'theta'[0] is not finite", P);
	const long bad_ids[] = {2, 3, 4, 5, 7};

	assert_int_equal(badf, 1);
	assert_int_equal(seen.n_answer, 2);
	assert_int_equal(seen.answer_id[0], 1);
	assert_int_equal(seen.answer_id[1], 8);
	assert_theta(seen.theta[1], (const double[]){4, 5, 6}, 3);
	assert_int_equal(seen.n_bad, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(seen.bad_id[i], bad_ids[i]);
		assert_string_equal(seen.why[i], why[i]);
	}
	/* answered: 7 (good and bad); bad: 5 with a theta, 1 not a map */
	assert_int_equal(m.count[METER_RECORDS], 7);
	assert_int_equal(m.count[METER_BAD], 6);

	/* stderr: "solve: why" in input order (records 2 to 7), the not-map
	 * record's too */
	char wanttext[2048] = "";
	for (int i = 0; i < 6; i++) {
		if (i == 4)
			snprintf(msg[i], sizeof msg[i], "solve: %s: record 6: not a map\n", P);
		else
			snprintf(msg[i], sizeof msg[i], "solve: %s\n", why[i < 4 ? i : 4]);
		strncat(wanttext, msg[i], sizeof wanttext - strlen(wanttext) - 1);
	}
	char *text = scratch_read(errpath, NULL);
	assert_string_equal(text, wanttext);
	free(text);

	/* the output: an answer per map record, in order */
	const long out_ids[] = {1, 2, 3, 4, 5, 7, 8};
	assert_int_equal(read_back(out, b, MAXREC), 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(b[i].id, out_ids[i]);
	assert_string_equal(b[0].error, "");
	assert_theta(b[0].theta, (const double[]){1, 2, 3}, 3);
	for (int i = 1; i <= 5; i++) {
		assert_string_equal(b[i].error, why[i - 1]);
		assert_int_equal(b[i].n, 0);
	}
	assert_string_equal(b[6].error, "");
}

static void test_run_shards(void **state)
{
	struct scratch *s = *state;
	struct err e = {0};
	struct back b[MAXREC];
	char out[200];
	int badf;
	struct trec recs[7];

	for (int i = 0; i < 7; i++)
		recs[i] = (struct trec){GOOD, 100 + i, 3, {i, 2 * i, 3 * i}, NULL, 0};
	recs[2].k = NOTMAP; /* record 3: in shard 0 of 2 and shard 2 of 3 only */
	scratch_path(s, "out.mpk", out, sizeof out);
	write_thetas(s->path, "theta", ABC, 3, recs, 7);

	static const struct {
		unsigned i, k;
		int n;
		long ids[7];
		int bad, n_bad;
	} cases[] = {
		{1, 2, 3, {101, 103, 105}, 0, 0},
		{0, 2, 3, {100, 104, 106}, 1, 1},
		{2, 3, 1, {105}, 1, 1},
		{0, 3, 3, {100, 103, 106}, 0, 0},
		{0, 1, 6, {100, 101, 103, 104, 105, 106}, 1, 1},
		{0, 0, 6, {100, 101, 103, 104, 105, 106}, 1, 1},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		struct seen seen = {.d = 3};
		struct meter m;

		meter_init(&m);
		int rc = run(s->path, cases[c].i, cases[c].k, ABC, 3, NULL, &seen, &m, out, NULL, &badf, &e);
		assert_int_equal(rc, 0);
		assert_int_equal(seen.n_answer, cases[c].n);
		assert_int_equal(badf, cases[c].bad);
		assert_int_equal(m.count[METER_RECORDS], cases[c].n);
		assert_int_equal(m.count[METER_BAD], cases[c].n_bad);
		assert_int_equal(read_back(out, b, MAXREC), cases[c].n);
		for (int i = 0; i < cases[c].n; i++) {
			long k = cases[c].ids[i] - 100;
			assert_int_equal(seen.answer_id[i], cases[c].ids[i]);
			assert_int_equal(b[i].id, cases[c].ids[i]);
			assert_theta(b[i].theta, (const double[]){(double)k, 2.0 * k, 3.0 * k}, 3);
		}
	}
}

/* A posterior stream: a new section must name the same parameters. */
static void test_run_sections(void **state)
{
	struct scratch *s = *state;
	struct err e = {0};
	struct back b[MAXREC];
	char out[200], want[512];
	int badf;
	const struct trec same[] = {
		{GOOD, 1, 3, {1, 1, 1}, NULL, 0},
		{SECTION, 2, 0, {0}, ABC, 3},
		{GOOD, 2, 3, {2, 2, 2}, NULL, 0},
		{SECTION, 3, 0, {0}, (const char *const[]){"a", "b"}, 2},
		{GOOD, 3, 3, {3, 3, 3}, NULL, 0},
		{GOOD, 4, 3, {4, 4, 4}, NULL, 0},
	};

	scratch_path(s, "out.mpk", out, sizeof out);
	write_thetas(s->path, "posterior", ABC, 3, same, 6);
	struct seen seen = {.d = 3};
	assert_int_equal(run(s->path, 0, 0, ABC, 3, NULL, &seen, NULL, out, NULL, &badf, &e), ERR_INPUT);
	snprintf(want, sizeof want,
		 "%s: record 3: a new section (level) of the stream names other 'parameters' than its first; "
		 "give one level at a time", s->path);
	assert_string_equal(e.msg, want);
	/* the records before were answered */
	assert_int_equal(seen.n_answer, 2);
	assert_int_equal(read_back(out, b, MAXREC), 2);
	assert_int_equal(b[1].id, 2);

	/* the same again, with --set: the sections must name what the map
	 * takes, in the header's order */
	const struct trec set[] = {
		{GOOD, 1, 2, {1, 2}, NULL, 0},
		{SECTION, 2, 0, {0}, (const char *const[]){"c", "b"}, 2},
		{GOOD, 2, 2, {3, 4}, NULL, 0},
		{SECTION, 3, 0, {0}, (const char *const[]){"b", "c"}, 2},
		{GOOD, 3, 2, {5, 6}, NULL, 0},
	};
	write_thetas(s->path, "posterior", (const char *const[]){"c", "b"}, 2, set, 5);
	struct seen seen2 = {.d = 3};
	assert_int_equal(run(s->path, 0, 0, ABC, 3, "a=9", &seen2, NULL, out, NULL, &badf, &e), ERR_INPUT);
	snprintf(want, sizeof want,
		 "%s: record 3: a new section (level) of the stream names other 'parameters' than its first; "
		 "give one level at a time", s->path);
	assert_string_equal(e.msg, want);
	assert_int_equal(seen2.n_answer, 2);
	assert_theta(seen2.theta[0], (const double[]){9, 2, 1}, 3);
	assert_theta(seen2.theta[1], (const double[]){9, 4, 3}, 3);
}

/* A stream cut short: the loop ends with the reader's error, after the
 * records before it were answered. */
static void test_run_truncated(void **state)
{
	struct scratch *s = *state;
	struct seen seen = {.d = 3};
	struct err e = {0};
	char out[200], want[512];
	int badf;
	const struct trec recs[] = {{GOOD, 1, 3, {1, 2, 3}, NULL, 0}, {GOOD, 2, 3, {4, 5, 6}, NULL, 0}};

	scratch_path(s, "out.mpk", out, sizeof out);
	write_thetas(s->path, "theta", ABC, 3, recs, 2);
	/* drop the last byte of the second record */
	FILE *f = fopen(s->path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(s->path, size - 1), 0);

	assert_int_equal(run(s->path, 0, 0, ABC, 3, NULL, &seen, NULL, out, NULL, &badf, &e), ERR_INPUT);
	snprintf(want, sizeof want, "%s: truncated stream after record 1", s->path);
	assert_string_equal(e.msg, want);
	assert_int_equal(seen.n_answer, 1);
	assert_int_equal(seen.answer_id[0], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_plain, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_open_set, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_open_set_errors, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_run_good, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_run_set, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_run_bad_records, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_run_shards, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_run_sections, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_run_truncated, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
