/*
 * Unit tests for table: the rows of mpcat --tsv (man/mpcat.1, section
 * TSV; table.h).
 *
 * Records are written here as JSON text, packed into MessagePack and
 * unpacked back into an object by objects.h (mpjson's bare NaN, Infinity
 * and -Infinity where a number goes; a float32 and 2^64 - 1, which JSON
 * cannot say, packed by hand), so that the module under test sees
 * exactly what a stream gives it and the expected text can be written down from the man page by hand: cells
 * separated by single tabs, a newline per row, arrays spread, nested maps
 * reached by dotted paths (a key with dots in it first), '^' fields from
 * the header, iterated fields ("t[]", "history[].beta") giving one row per
 * element in step, a missing field or nil one empty cell, floats in the
 * shortest form that reads back without a trailing ".0", maps as JSON.
 * A record that does not fit its iterated fields prints nothing and
 * returns 1 with the reason; a failing sink is -1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#include "objects.h"

/* ---- a memory sink ---- */

struct sink {
	char text[4096];
	size_t len;
	long room; /* bytes it takes before failing; < 0: any */
};

static int sink_write(void *data, const char *buf, size_t len)
{
	struct sink *s = data;
	if (s->room >= 0) {
		if ((long)len > s->room)
			return -1;
		s->room -= (long)len;
	}
	assert_true(s->len + len < sizeof s->text);
	memcpy(s->text + s->len, buf, len);
	s->len += len;
	s->text[s->len] = 0;
	return 0;
}

/* A record and its header (the header may be NULL) as objects, and the
 * fields (space-separated) as a list. */
struct table_case {
	struct obj ro, ho;
	const msgpack_object *rec, *h;
	const char *what; /* the record, in messages */
	char copy[512], *fields[32];
	int n;
};

static void case_fields(struct table_case *c, const char *fields_text)
{
	char *save = NULL;

	c->n = 0;
	snprintf(c->copy, sizeof c->copy, "%s", fields_text);
	for (char *f = strtok_r(c->copy, " ", &save); f; f = strtok_r(NULL, " ", &save))
		c->fields[c->n++] = f;
}

/* The record and header from JSON text. */
static void case_build(struct table_case *c, const char *rec_json, const char *header_json, const char *fields_text)
{
	c->rec = obj_build(&c->ro, rec_json);
	c->h = header_json ? obj_build(&c->ho, header_json) : NULL;
	c->what = rec_json;
	case_fields(c, fields_text);
}

static void case_free(struct table_case *c)
{
	obj_free(&c->ro);
	if (c->h)
		obj_free(&c->ho);
}

/* table_print_rows must return 0 and print exactly want. */
static void case_rows_are(const struct table_case *c, const char *want)
{
	struct sink s = {.room = -1};
	char why[256] = "";

	int rc = table_print_rows(c->rec, c->h, c->fields, c->n, sink_write, &s, why, sizeof why);
	if (rc)
		fail_msg("table_print_rows(%s | %s) returned %d: %s", c->what, c->copy, rc, why);
	if (strcmp(s.text, want))
		fail_msg("table_print_rows(%s | %s):\n got: \"%s\"\nwant: \"%s\"", c->what, c->copy, s.text, want);
}

/* The rows of the record (JSON) under header (JSON or NULL) for the
 * fields (space-separated): must return 0 and print exactly want. */
static void rows_are(const char *rec_json, const char *header_json, const char *fields_text, const char *want)
{
	struct table_case c;

	case_build(&c, rec_json, header_json, fields_text);
	case_rows_are(&c, want);
	case_free(&c);
}

/* The same for the record {key: value}, the value packed by pack (what
 * says it in messages), the field key, no header. */
static void packed_rows_are(const char *key, void (*pack)(msgpack_packer *), const char *what, const char *want)
{
	struct table_case c = {.h = NULL, .what = what};
	msgpack_packer *pk = obj_begin(&c.ro);

	msgpack_pack_map(pk, 1);
	pack_str(pk, key);
	pack(pk);
	c.rec = obj_end(&c.ro);
	case_fields(&c, key);
	case_rows_are(&c, want);
	case_free(&c);
}

/* The record does not fit the fields: 1, nothing printed, why as want. */
static void rows_refused(const char *rec_json, const char *header_json, const char *fields_text, const char *want)
{
	struct table_case c;
	struct sink s = {.room = -1};
	char why[256] = "";

	case_build(&c, rec_json, header_json, fields_text);
	assert_int_equal(table_print_rows(c.rec, c.h, c.fields, c.n, sink_write, &s, why, sizeof why), 1);
	assert_int_equal(s.len, 0);
	assert_string_equal(why, want);
	case_free(&c);
}

static void header_is(const char *rec_json, const char *header_json, const char *fields_text, const char *want)
{
	struct table_case c;
	struct sink s = {.room = -1};

	case_build(&c, rec_json, header_json, fields_text);
	assert_int_equal(table_print_header(c.rec, c.h, c.fields, c.n, sink_write, &s), 0);
	assert_string_equal(s.text, want);
	case_free(&c);
}

/* values JSON text cannot say */
static void pack_u64max(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, UINT64_MAX);
}

static void pack_floats32(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 3);
	msgpack_pack_float(pk, 0.5f);
	msgpack_pack_float(pk, 3.0f);
	msgpack_pack_float(pk, 0.1f);
}

/* ---- rows ---- */

static void test_plain_fields(void **state)
{
	(void)state;
	rows_are("{\"id\": 7, \"status\": \"ok\", \"x\": 1.5, \"n\": -3, \"yes\": true, \"no\": false, \"nil\": null}",
		 NULL, "id status x n yes no nil", "7\tok\t1.5\t-3\ttrue\tfalse\t\n");
	/* fields in the order asked, again and again */
	rows_are("{\"a\": 1, \"b\": 2}", NULL, "b a b", "2\t1\t2\n");
	/* missing: one empty cell each, wherever they are */
	rows_are("{\"a\": 1, \"b\": 2}", NULL, "zz a yy b xx", "\t1\t\t2\t\n");
	rows_are("{\"a\": 1}", NULL, "zz", "\n");
	/* strings as they are, tabs, newlines and carriage returns as spaces */
	rows_are("{\"s\": \"a\\tb\\nc\\rd \\\"q\\\"\", \"e\": \"\"}", NULL, "s e", "a b c d \"q\"\t\n");
	/* a map: one cell of JSON (floats keep their .0 there) */
	rows_are("{\"m\": {\"k\": \"v\", \"x\": 1.0, \"l\": [1, 2]}, \"z\": 0}", NULL, "m z",
		 "{\"k\":\"v\",\"x\":1.0,\"l\":[1,2]}\t0\n");
	packed_rows_are("u", pack_u64max, "{\"u\": 2^64 - 1}", "18446744073709551615\n");
}

static void test_arrays_spread(void **state)
{
	(void)state;
	rows_are("{\"id\": 1, \"v\": [1, 2, 3]}", NULL, "id v id", "1\t1\t2\t3\t1\n");
	/* nested arrays row by row */
	rows_are("{\"m\": [[1, 2], [3, 4]], \"k\": 9}", NULL, "m k", "1\t2\t3\t4\t9\n");
	rows_are("{\"m\": [[[1], [2, 3]], [], [[4]]]}", NULL, "m", "1\t2\t3\t4\n");
	/* an empty array gives no cell at all */
	rows_are("{\"e\": [], \"a\": 1}", NULL, "a e a", "1\t1\n");
	rows_are("{\"e\": [], \"a\": 1}", NULL, "e a", "1\n");
	/* maps and nils inside arrays: a cell each */
	rows_are("{\"v\": [{\"a\": 1}, null, \"s\", 2.5]}", NULL, "v", "{\"a\":1}\t\ts\t2.5\n");
}

static void test_dotted_paths(void **state)
{
	(void)state;
	const char *rec = "{\"state\": {\"phi0\": 0.5, \"inner\": {\"k\": \"deep\"}, \"v\": [1, 2]}, "
			  "\"a.b\": 9, \"a\": {\"b\": 8, \"c.d\": 7, \"c\": {\"d\": 6}}}";
	rows_are(rec, NULL, "state.phi0 state.inner.k state.v state.none none.x", "0.5\tdeep\t1\t2\t\t\n");
	/* a key with dots in it first, at each level */
	rows_are(rec, NULL, "a.b a.c.d a.c", "9\t7\t{\"d\":6}\n");
	/* a path through something that is not a map */
	rows_are(rec, NULL, "state.phi0.x state.v.0", "\t\n");
	/* the whole nested map */
	rows_are(rec, NULL, "state", "{\"phi0\":0.5,\"inner\":{\"k\":\"deep\"},\"v\":[1,2]}\n");
}

static void test_header_fields(void **state)
{
	(void)state;
	const char *h = "{\"biofilter\": 1, \"kind\": \"posterior\", \"level\": 2, \"parameters\": [\"a\", \"b\"], "
			"\"prior\": {\"a\": {\"uniform\": [0.0, 3.0]}}}";
	const char *rec = "{\"id\": 3, \"theta\": [0.25, 2.0], \"level\": 99}";

	rows_are(rec, h, "^level id theta ^parameters", "2\t3\t0.25\t2\ta\tb\n");
	/* '^' looks in the header only, the plain name in the record only */
	rows_are(rec, h, "level ^level ^id", "99\t2\t\n");
	rows_are(rec, h, "^prior.a.uniform", "0\t3\n");
	/* without a header such a field is missing */
	rows_are(rec, NULL, "^level id theta ^parameters", "\t3\t0.25\t2\t\n");
}

static void test_iterated(void **state)
{
	(void)state;
	/* a trajectory: a row per saved step, the other fields repeated */
	rows_are("{\"id\": 5, \"step\": [0, 10, 20], \"t\": [0.0, 0.5, 1.0], "
		 "\"state\": {\"phi\": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.5]]}}",
		 NULL, "id step[] t[] state.phi[]", "5\t0\t0\t1\t2\n5\t10\t0.5\t3\t4\n5\t20\t1\t5\t6.5\n");
	/* the repeated field may come anywhere, and repeat arrays whole */
	rows_are("{\"t\": [1, 2], \"v\": [7, 8]}", NULL, "t[] v v", "1\t7\t8\t7\t8\n2\t7\t8\t7\t8\n");
	/* one element: one row */
	rows_are("{\"t\": [4]}", NULL, "t[]", "4\n");
	/* only the first [] iterates: "m[][]" takes row k of m, the rest of
	 * the path ("[]") not being ".key" is no value there */
	rows_are("{\"m\": [[1, 2], [3, 4]]}", NULL, "m[] m[][]", "1\t2\t\n3\t4\t\n");
	/* empty iterated arrays: no row at all */
	rows_are("{\"id\": 1, \"t\": [], \"s\": []}", NULL, "id t[] s[]", "");
}

static void test_iterated_maps(void **state)
{
	(void)state;
	const char *h = "{\"biofilter\": 1, \"kind\": \"population\", \"stage\": 3, \"history\": ["
			"{\"stage\": 1, \"beta\": 0.01, \"log_evidence\": -3.5}, "
			"{\"stage\": 2, \"beta\": 0.25}, "
			"{\"stage\": 3, \"beta\": 1.0, \"log_evidence\": -7.25}]}";

	/* the header as the record (mpcat --headers) */
	rows_are(h, NULL, "stage history[].stage history[].beta history[].log_evidence",
		 "3\t1\t0.01\t-3.5\n3\t2\t0.25\t\n3\t3\t1\t-7.25\n");
	/* and the header of a record, with ^ */
	rows_are("{\"id\": 9}", h, "^history[].beta id", "0.01\t9\n0.25\t9\n1\t9\n");
	/* an element that is not a map, or lacks the key: an empty cell */
	rows_are("{\"h\": [{\"b\": 1}, 7, {\"c\": 2}, {\"b\": {\"x\": 1}}]}", NULL, "h[].b",
		 "1\n\n\n{\"x\":1}\n");
	/* the element itself, a map as JSON */
	rows_are("{\"h\": [{\"b\": 1}, {\"b\": 2}]}", NULL, "h[]", "{\"b\":1}\n{\"b\":2}\n");
	/* a deeper path after [] */
	rows_are("{\"h\": [{\"s\": {\"x\": [1, 2]}}, {\"s\": {\"x\": [3, 4]}}]}", NULL, "h[].s.x", "1\t2\n3\t4\n");
}

static void test_iterated_misfits(void **state)
{
	(void)state;
	rows_refused("{\"step\": [1, 2, 3, 4, 5], \"t\": [0, 1, 2, 3, 4, 5]}", NULL, "step[] t[]",
		     "'t[]' has 6 elements, 'step[]' 5");
	rows_refused("{\"a\": [1], \"b\": [1], \"c\": [1, 2]}", NULL, "a[] b[] c[]", "'c[]' has 2 elements, 'b[]' 1");
	/* an empty one against a full one */
	rows_refused("{\"a\": [1], \"b\": []}", NULL, "a[] b[]", "'b[]' has 0 elements, 'a[]' 1");
	rows_refused("{\"id\": 1}", NULL, "id h[].b", "'h[].b': 'h' is missing");
	rows_refused("{\"h\": 3}", NULL, "h[].b", "'h[].b': 'h' is not an array");
	rows_refused("{\"h\": {\"b\": 1}}", NULL, "h[].b", "'h[].b': 'h' is not an array");
	rows_refused("{\"s\": {\"phi\": 2}}", NULL, "s.phi[]", "'s.phi[]': 's.phi' is not an array");
	/* the header's, and no header at all */
	rows_refused("{\"id\": 1}", "{\"biofilter\": 1, \"h\": \"x\"}", "^h[]", "'^h[]': '^h' is not an array");
	rows_refused("{\"id\": 1}", NULL, "^h[]", "'^h[]': '^h' is missing");
}

/* Floats as mpjson prints them, without a trailing ".0". */
static void test_floats(void **state)
{
	(void)state;
	rows_are("{\"x\": [1.0, 100.0, -2.0, 0.0, 0.1, 0.3333333333333333, 1e-06, 1e300, 1.5e-300, "
		 "123456789012345680000.0, 2.5e-08, 1e15, 1e17]}",
		 NULL, "x",
		 "1\t100\t-2\t0\t0.1\t0.3333333333333333\t1e-06\t1e+300\t1.5e-300\t"
		 "1.2345678901234568e+20\t2.5e-08\t1e+15\t1e+17\n");
	rows_are("{\"x\": [NaN, Infinity, -Infinity, -0.0, 5e-324]}", NULL, "x",
		 "NaN\tInfinity\t-Infinity\t-0\t5e-324\n");
	/* a float32 prints as the double it is */
	packed_rows_are("x", pack_floats32, "{\"x\": float32 [0.5, 3, 0.1]}", "0.5\t3\t0.10000000149011612\n");
	/* integers as they are, never with a point */
	rows_are("{\"i\": [0, 1000000, -9007199254740993]}", NULL, "i", "0\t1000000\t-9007199254740993\n");
}

static void test_failing_sink(void **state)
{
	(void)state;
	struct obj o;
	const msgpack_object *rec = obj_build(&o, "{\"t\": [1, 2, 3], \"id\": 4}");
	char *fields[] = {"id", "t[]"};
	char why[64];

	/* the sink fails at once, in the middle, at the last newline */
	for (long room = 0; room < 12; room++) {
		struct sink s = {.room = room};
		assert_int_equal(table_print_rows(rec, NULL, fields, 2, sink_write, &s, why, sizeof why), -1);
		assert_int_equal(s.len, (size_t)room);
		s = (struct sink){.room = room};
		if (room < 9) /* "# id\tt[]\n" is 9 bytes */
			assert_int_equal(table_print_header(rec, NULL, fields, 2, sink_write, &s), -1);
	}
	struct sink s = {.room = 12};
	assert_int_equal(table_print_rows(rec, NULL, fields, 2, sink_write, &s, why, sizeof why), 0);
	assert_string_equal(s.text, "4\t1\n4\t2\n4\t3\n");
	obj_free(&o);
}

/* ---- table_lookup ---- */

static void test_lookup(void **state)
{
	(void)state;
	struct obj o;
	const msgpack_object *rec = obj_build(&o, "{\"a\": {\"b\": 8, \"c.d\": {\"e\": 5}}, \"a.b\": 9, \"n\": null}");
	const msgpack_object *v;

	v = table_lookup(rec, "a.b");
	assert_non_null(v);
	assert_int_equal(v->via.u64, 9);
	/* in a: "c.d.e" whole, then "c" and "d.e"; the path is split at its
	 * first dot only, so "c.d" and "e" is not tried (man/mpcat.1, TSV) */
	v = table_lookup(rec, "a.c.d.e");
	assert_null(v);
	v = table_lookup(rec, "a.c.d");
	assert_non_null(v);
	assert_int_equal(v->type, MSGPACK_OBJECT_MAP);
	v = table_lookup(rec, "n");
	assert_non_null(v);
	assert_int_equal(v->type, MSGPACK_OBJECT_NIL);
	assert_null(table_lookup(rec, "zz"));
	assert_null(table_lookup(rec, "a.zz"));
	assert_null(table_lookup(rec, "n.x"));
	assert_null(table_lookup(NULL, "a"));
	obj_free(&o);
}

/* ---- the -H line ---- */

static void test_header_line(void **state)
{
	(void)state;
	const char *traj = "{\"id\": 5, \"step\": [0, 10], \"t\": [0.0, 0.5], "
			   "\"state\": {\"phi\": [[1.0, 2.0], [3.0, 4.0]]}}";

	header_is(traj, NULL, "id step state.phi",
		  "# id\tstep[0]\tstep[1]\tstate.phi[0][0]\tstate.phi[0][1]\tstate.phi[1][0]\tstate.phi[1][1]\n");
	header_is(traj, NULL, "id step[] t[] state.phi[]", "# id\tstep[]\tt[]\tstate.phi[][0]\tstate.phi[][1]\n");
	/* '^' kept in the name; missing fields named once */
	header_is(traj, "{\"biofilter\": 1, \"level\": 1, \"parameters\": [\"a\", \"b\"]}", "^level ^parameters nope",
		  "# ^level\t^parameters[0]\t^parameters[1]\tnope\n");
	/* an empty iterated array is named once; an empty plain one, which
	 * gives no cell on the rows, no column */
	header_is("{\"t\": [], \"e\": [], \"a\": 1}", NULL, "t[] e a", "# t[]\ta\n");
	/* a map is one column */
	header_is("{\"h\": [{\"b\": [1, 2]}], \"m\": {\"x\": 1}}", NULL, "h[].b m", "# h[].b[0]\th[].b[1]\tm\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_fields),
		cmocka_unit_test(test_arrays_spread),
		cmocka_unit_test(test_dotted_paths),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_iterated),
		cmocka_unit_test(test_iterated_maps),
		cmocka_unit_test(test_iterated_misfits),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_failing_sink),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_header_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
