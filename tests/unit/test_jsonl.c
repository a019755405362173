/*
 * Unit tests for jsonl: JSON lines in (mpcat --from-json).
 *
 * Each test writes a file into a scratch directory, plain or gzip (zlib's
 * gzopen/gzwrite), and reads it back: the objects must come in order with
 * their line numbers (r->line_no), blank and whitespace-only lines
 * skipped but counted; CRLF endings, a last line without an end, and
 * lines longer than 64 KiB (and at the reader's 4 KiB buffer boundaries)
 * read whole; a line that is not an object ([1,2], 3, "s", null) or not
 * JSON at all is JSONL_BAD with a message naming the file and line, and
 * reading goes on; NaN/Infinity/-Infinity tokens are accepted; gzip input
 * reads the same as plain; a missing file is ERR_INPUT naming it; "-" is
 * standard input ("<stdin>" in messages). jsonl_pack must give bytes that
 * msgpack_unpack_next reads back as the same map (checked value by value
 * against the JSON), appended after what the buffer held, and must refuse
 * an object nested deeper than STREAM_MAX_DEPTH with JSONL_BAD, leaving
 * the buffer as it was; exactly STREAM_MAX_DEPTH levels are accepted. A
 * zeroed reader is safe to free.
 *
 * Two tests showed bugs in jsonl.c, now fixed (marked "Fixed bug"
 * below): a raw NUL byte in a line swallowed the next line, and a
 * truncated gzip file lost complete lines that preceded the damage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "jsonl.h"
#include "stream.h"

#include "objects.h"
#include "scratch.h"

static int setup(void **state)
{
	return scratch_setup(state, "test_jsonl", "in.jsonl");
}

/* ---- input files ---- */

static void spit_gz(const char *path, const char *buf, size_t len)
{
	gzFile g = gzopen(path, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, buf, (unsigned)len), (int)len);
	assert_int_equal(gzclose(g), Z_OK);
}

static void open_reader(struct jsonl_reader *r, const char *path)
{
	struct err e = {0};
	if (jsonl_reader_open(r, path, &e))
		fail_msg("jsonl_reader_open %s: %s", path, e.msg);
}

/* A file at path holding text, and a reader on it. */
static void open_text(struct jsonl_reader *r, const char *path, const char *text)
{
	scratch_write(path, text);
	open_reader(r, path);
}

/* The next line must be an object equal to the JSON want, on line_no. */
static void expect_object(struct jsonl_reader *r, const char *want, long line_no)
{
	json_t *j = NULL, *w;
	json_error_t je;
	struct err e = {0};
	int rc = jsonl_reader_next(r, &j, &e);

	if (rc != JSONL_OBJECT)
		fail_msg("want %s on line %ld, got %d (%s)", want, line_no, rc, e.msg);
	if (r->line_no != line_no)
		fail_msg("%s: on line %ld, want %ld", want, r->line_no, line_no);
	assert_non_null(j);
	assert_non_null(w = json_loads(want, 0, &je));
	if (!json_equal(j, w)) {
		char *got = json_dumps(j, JSON_COMPACT);
		fail_msg("line %ld: got %s, want %s", line_no, got, want);
	}
	json_decref(w);
	json_decref(j);
}

/* The next line must be bad (ERR_INPUT), on line_no, with message want
 * exactly, or only starting with want when not whole. */
static void expect_bad_line(struct jsonl_reader *r, const char *want, long line_no, int whole)
{
	json_t *j = (json_t *)1;
	struct err e = {0};
	int rc = jsonl_reader_next(r, &j, &e);

	if (rc != JSONL_BAD)
		fail_msg("line %ld: want JSONL_BAD, got %d", line_no, rc);
	assert_null(j);
	assert_int_equal(r->line_no, line_no);
	assert_int_equal(e.code, ERR_INPUT);
	if (whole && strcmp(e.msg, want))
		fail_msg("line %ld: message \"%s\", want \"%s\"", line_no, e.msg, want);
	if (!whole && strncmp(e.msg, want, strlen(want)))
		fail_msg("line %ld: message \"%s\" does not start \"%s\"", line_no, e.msg, want);
}

/* The next line must be bad, with message want exactly. */
static void expect_bad(struct jsonl_reader *r, const char *want, long line_no)
{
	expect_bad_line(r, want, line_no, 1);
}

/* The next line must be bad, its message starting with want. */
static void expect_bad_prefix(struct jsonl_reader *r, const char *want, long line_no)
{
	expect_bad_line(r, want, line_no, 0);
}

/* The next line must be bad, "not a JSON object". */
static void expect_not_object(struct jsonl_reader *r, const char *path, long line_no)
{
	char want[512];
	snprintf(want, sizeof want, "%s: line %ld: not a JSON object", path, line_no);
	expect_bad(r, want, line_no);
}

/* At the end: 0, and 0 again. */
static void expect_end(struct jsonl_reader *r)
{
	json_t *j = (json_t *)1;
	struct err e = {0};
	for (int k = 0; k < 2; k++) {
		int rc = jsonl_reader_next(r, &j, &e);
		if (rc != 0)
			fail_msg("want the end, got %d on line %ld (%s)", rc, r->line_no, e.msg);
		assert_null(j);
	}
}

/* At the end, and done with the reader. */
static void expect_end_free(struct jsonl_reader *r)
{
	expect_end(r);
	jsonl_reader_free(r);
}

/* ---- lines ---- */

static const char lines_text[] = "{\"a\": 1}\n"                 /* 1 */
				 "\n"                           /* 2: blank */
				 "   \t \n"                     /* 3: white */
				 "{\"b\": [1, 2.5, \"x\"]}\n"   /* 4 */
				 "\t{\"c\": {\"d\": null}}  \n" /* 5: padded */
				 "\n"                           /* 6 */
				 "\n"                           /* 7 */
				 "{}\n"                         /* 8 */
				 "{\"e\": true}";               /* 9: no end */

static void read_lines(const char *path)
{
	struct jsonl_reader r;

	open_reader(&r, path);
	assert_string_equal(r.name, path);
	expect_object(&r, "{\"a\": 1}", 1);
	expect_object(&r, "{\"b\": [1, 2.5, \"x\"]}", 4);
	expect_object(&r, "{\"c\": {\"d\": null}}", 5);
	expect_object(&r, "{}", 8);
	expect_object(&r, "{\"e\": true}", 9);
	expect_end(&r);
	assert_int_equal(r.line_no, 9);
	jsonl_reader_free(&r);
}

static void test_lines(void **state)
{
	struct scratch *s = *state;

	scratch_write(s->path, lines_text);
	read_lines(s->path);
}

/* The same lines gzipped read the same; and two gzip members one after
 * the other (as `cat a.gz b.gz`) read as one file. */
static void test_gzip(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	char path[256], b[256];
	size_t na, nb;

	snprintf(path, sizeof path, "%s/in.jsonl.gz", s->dir);
	spit_gz(path, lines_text, strlen(lines_text));
	read_lines(path);

	/* two members */
	snprintf(b, sizeof b, "%s/b.gz", s->dir);
	spit_gz(path, "{\"m\": 1}\n\n", 10);
	spit_gz(b, "{\"m\": 2}\n", 9);
	FILE *fa = fopen(path, "ab"), *fb = fopen(b, "rb");
	char buf[4096];
	assert_non_null(fa);
	assert_non_null(fb);
	nb = fread(buf, 1, sizeof buf, fb);
	na = fwrite(buf, 1, nb, fa);
	assert_int_equal(na, nb);
	fclose(fb);
	assert_int_equal(fclose(fa), 0);
	open_reader(&r, path);
	expect_object(&r, "{\"m\": 1}", 1);
	expect_object(&r, "{\"m\": 2}", 3);
	expect_end_free(&r);
}

static void test_crlf(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	static const char text[] = "{\"a\": \"x\"}\r\n"
				   "\r\n"
				   "  \t\r\n"
				   "{\"b\": 2}\r\n"
				   "{\"c\": 3}\r";

	open_text(&r, s->path, text);
	expect_object(&r, "{\"a\": \"x\"}", 1);
	expect_object(&r, "{\"b\": 2}", 4);
	expect_object(&r, "{\"c\": 3}", 5);
	expect_end_free(&r);
}

/* {"s": "xxx..."} of exactly len bytes (len >= 9) into buf. */
static void padded_object(char *buf, size_t len)
{
	memcpy(buf, "{\"s\": \"", 7);
	memset(buf + 7, 'x', len - 9);
	memcpy(buf + len - 2, "\"}", 2);
	buf[len] = 0;
}

/* Lines longer than 64 KiB (a string of 200000 bytes; an array of 30000
 * numbers), and lines about the reader's buffer sizes (4096, 8192: a
 * line's end may fall on either side of a refill). */
static void test_long_lines(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	static const size_t lens[] = {4093, 4094, 4095, 4096, 4097, 4098, 8190, 8191, 8192, 8193, 65535, 65536, 65537};
	enum { NL = sizeof lens / sizeof *lens, BIG = 200000, NUMS = 30000 };
	size_t cap = BIG + 64 + NUMS * 8 + 64;
	for (size_t k = 0; k < NL; k++)
		cap += lens[k] + 2;
	char *text = malloc(cap), *p = text;
	assert_non_null(text);

	/* 1: the long string */
	padded_object(p, BIG + 9);
	p += BIG + 9;
	*p++ = '\n';
	/* 2: the long array */
	p += sprintf(p, "{\"n\": [");
	for (int i = 0; i < NUMS; i++)
		p += sprintf(p, "%s%d", i ? "," : "", i);
	p += sprintf(p, "]}\n");
	assert_true(p - text > 65536 + BIG);
	/* 3..: lines of the given lengths */
	for (size_t k = 0; k < NL; k++) {
		padded_object(p, lens[k]);
		p += lens[k];
		*p++ = '\n';
	}
	/* and a short one after them */
	p += sprintf(p, "{\"last\": 1}\n");
	scratch_write_bytes(s->path, text, (size_t)(p - text));

	for (int gz = 0; gz <= 1; gz++) {
		char path[256];
		json_t *j;
		struct err e = {0};

		snprintf(path, sizeof path, "%s/%s", s->dir, gz ? "in.gz" : "in.jsonl");
		if (gz)
			spit_gz(path, text, (size_t)(p - text));
		open_reader(&r, path);

		assert_int_equal(jsonl_reader_next(&r, &j, &e), JSONL_OBJECT);
		assert_int_equal(r.line_no, 1);
		const char *str = json_string_value(json_object_get(j, "s"));
		assert_non_null(str);
		assert_int_equal(strlen(str), BIG);
		assert_int_equal(strspn(str, "x"), BIG);
		json_decref(j);

		assert_int_equal(jsonl_reader_next(&r, &j, &e), JSONL_OBJECT);
		assert_int_equal(r.line_no, 2);
		json_t *n = json_object_get(j, "n");
		assert_int_equal(json_array_size(n), NUMS);
		for (int i = 0; i < NUMS; i++)
			if (json_integer_value(json_array_get(n, (size_t)i)) != i)
				fail_msg("n[%d] = %lld", i, (long long)json_integer_value(json_array_get(n, (size_t)i)));
		json_decref(j);

		for (size_t k = 0; k < NL; k++) {
			int rc = jsonl_reader_next(&r, &j, &e);
			if (rc != JSONL_OBJECT)
				fail_msg("a line of %zu bytes: %d (%s)", lens[k], rc, e.msg);
			assert_int_equal(r.line_no, 3 + (long)k);
			str = json_string_value(json_object_get(j, "s"));
			assert_non_null(str);
			if (strlen(str) != lens[k] - 9)
				fail_msg("a line of %zu bytes: a string of %zu, want %zu", lens[k], strlen(str), lens[k] - 9);
			json_decref(j);
		}
		expect_object(&r, "{\"last\": 1}", 3 + NL);
		expect_end_free(&r);
	}
	free(text);
}

/* ---- bad lines ---- */

static void test_not_objects(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	static const char text[] = "[1,2]\n"
				   "3\n"
				   "\n"
				   "\"a string\"\n"
				   "null\n"
				   "{\"ok\": 1}\n"
				   "true\n"
				   "[]\n"
				   "{\"ok\": 2}\n";

	open_text(&r, s->path, text);
	static const long bad[] = {1, 2, 4, 5};
	for (int k = 0; k < 4; k++)
		expect_not_object(&r, s->path, bad[k]);
	expect_object(&r, "{\"ok\": 1}", 6);
	expect_not_object(&r, s->path, 7);
	expect_not_object(&r, s->path, 8);
	expect_object(&r, "{\"ok\": 2}", 9);
	expect_end_free(&r);
}

static void test_invalid_json(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	char want[512];
	static const char text[] = "{\"a\": }\n"
				   "{\"ok\": 1}\n"
				   "{\"a\": 1} trailing\n"
				   "\n"
				   "{\"a\": \"unterminated}\n"
				   "{'single': 1}\n"
				   "{\"a\": nan}\n"
				   "{\"a\": 1,}\n"
				   "{\"ok\": 2}\n";

	open_text(&r, s->path, text);
	snprintf(want, sizeof want, "%s: line 1: column ", s->path);
	expect_bad_prefix(&r, want, 1);
	expect_object(&r, "{\"ok\": 1}", 2);
	static const long bad[] = {3, 5, 6, 7, 8};
	for (int k = 0; k < 5; k++) {
		snprintf(want, sizeof want, "%s: line %ld: ", s->path, bad[k]);
		expect_bad_prefix(&r, want, bad[k]);
	}
	expect_object(&r, "{\"ok\": 2}", 9);
	expect_end_free(&r);
}

/* ---- NaN and the infinities, through jsonl_pack ---- */

static void assert_str(const msgpack_object *o, const char *want)
{
	assert_non_null(o);
	assert_int_equal(o->type, MSGPACK_OBJECT_STR);
	assert_int_equal(o->via.str.size, strlen(want));
	assert_memory_equal(o->via.str.ptr, want, strlen(want));
}

static double as_double(const msgpack_object *o)
{
	assert_non_null(o);
	assert_true(o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32);
	return o->via.f64;
}

/* A reader on a file holding text, whose first line must be an object
 * that jsonl_pack packs, after what b holds. */
static void pack_first_line(struct jsonl_reader *r, const char *path, const char *text, struct pack *b)
{
	struct err e = {0};
	json_t *j;

	open_text(r, path, text);
	assert_int_equal(jsonl_reader_next(r, &j, &e), JSONL_OBJECT);
	assert_int_equal(jsonl_pack(r, j, b, &e), 0);
	json_decref(j);
}

static void test_nan_infinity(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	struct pack b;
	msgpack_unpacked u;
	static const char text[] = "{\"x\": NaN, \"y\": Infinity, \"z\": -Infinity, \"s\": \"NaN\","
				   " \"t\": \"Infinity here\", \"a\": [NaN, 1.5, -Infinity]}\n";

	pack_init(&b);
	pack_first_line(&r, s->path, text, &b);
	const msgpack_object *o = unpack_whole(&u, b.data, b.len);
	assert_int_equal(o->via.map.size, 6);
	assert_true(isnan(as_double(stream_map_get(o, "x"))));
	assert_true(as_double(stream_map_get(o, "y")) == INFINITY);
	assert_true(as_double(stream_map_get(o, "z")) == -INFINITY);
	assert_str(stream_map_get(o, "s"), "NaN"); /* in a string: a string */
	assert_str(stream_map_get(o, "t"), "Infinity here");
	const msgpack_object *a = stream_map_get(o, "a");
	assert_non_null(a);
	assert_int_equal(a->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(a->via.array.size, 3);
	assert_true(isnan(as_double(&a->via.array.ptr[0])));
	assert_true(as_double(&a->via.array.ptr[1]) == 1.5);
	assert_true(as_double(&a->via.array.ptr[2]) == -INFINITY);
	msgpack_unpacked_destroy(&u);
	pack_free(&b);
	expect_end_free(&r);
}

/* ---- jsonl_pack ---- */

/* The packed map read back is the JSON, value by value; it follows what
 * was in the buffer. */
static void test_pack(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	struct pack b;
	msgpack_unpacked u;
	static const char text[] = "{\"id\": 7, \"theta\": [1.5, -2, 3e300, 0.1], \"name\": \"x\\ty\\u00e9\","
				   " \"nested\": {\"a\": [true, false, null], \"b\": {}}, \"\": \"\", \"neg\": -40000000000,"
				   " \"f\": 2.0}\n";

	pack_init(&b);
	pack_str(pack_packer(&b), "before");
	size_t at = b.len;
	char before[16];
	memcpy(before, b.data, at);
	pack_first_line(&r, s->path, text, &b);
	assert_true(b.len > at);
	assert_memory_equal(b.data, before, at);

	const msgpack_object *o = unpack_whole(&u, b.data + at, b.len - at);
	assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(o->via.map.size, 7);

	const msgpack_object *v = stream_map_get(o, "id");
	assert_non_null(v);
	assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(v->via.u64, 7);
	v = stream_map_get(o, "theta");
	assert_non_null(v);
	assert_int_equal(v->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(v->via.array.size, 4);
	assert_true(as_double(&v->via.array.ptr[0]) == 1.5);
	assert_int_equal(v->via.array.ptr[1].type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(v->via.array.ptr[1].via.i64, -2);
	assert_true(as_double(&v->via.array.ptr[2]) == 3e300);
	assert_true(as_double(&v->via.array.ptr[3]) == 0.1);
	assert_str(stream_map_get(o, "name"), "x\ty\xc3\xa9");
	v = stream_map_get(o, "nested");
	assert_non_null(v);
	const msgpack_object *na = stream_map_get(v, "a");
	assert_non_null(na);
	assert_int_equal(na->via.array.size, 3);
	assert_int_equal(na->via.array.ptr[0].type, MSGPACK_OBJECT_BOOLEAN);
	assert_true(na->via.array.ptr[0].via.boolean);
	assert_int_equal(na->via.array.ptr[1].type, MSGPACK_OBJECT_BOOLEAN);
	assert_false(na->via.array.ptr[1].via.boolean);
	assert_int_equal(na->via.array.ptr[2].type, MSGPACK_OBJECT_NIL);
	const msgpack_object *nb = stream_map_get(v, "b");
	assert_non_null(nb);
	assert_int_equal(nb->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(nb->via.map.size, 0);
	assert_str(stream_map_get(o, ""), "");
	v = stream_map_get(o, "neg");
	assert_non_null(v);
	assert_int_equal(v->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_true(v->via.i64 == -40000000000LL);
	/* a float with an integer value stays a float */
	assert_true(as_double(stream_map_get(o, "f")) == 2.0);
	msgpack_unpacked_destroy(&u);

	/* a stream reader reads it as a record */
	struct stream_scan sc = {0};
	const char *why = NULL;
	assert_int_equal(stream_scan(&sc, (const unsigned char *)b.data + at, b.len - at, &why), 1);
	assert_int_equal(sc.pos, b.len - at);
	pack_free(&b);
	jsonl_reader_free(&r);
}

/* {"a": [[...[]...]]}: depth containers in all (the map is one). */
static char *nested_line(int depth)
{
	char *t = malloc((size_t)depth * 2 + 16), *p = t;
	assert_non_null(t);
	p += sprintf(p, "{\"a\": ");
	for (int i = 1; i < depth; i++)
		*p++ = '[';
	for (int i = 1; i < depth; i++)
		*p++ = ']';
	p += sprintf(p, "}\n");
	return t;
}

/* Nested exactly STREAM_MAX_DEPTH deep: packed. One more: refused, the
 * buffer as it was, the message naming the line; a stream reader would
 * refuse it too (msgpack-c's unpacker stops at the same depth). */
static void test_pack_depth(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	struct pack b;
	struct err e = {0};
	json_t *j;
	char want[512];
	char *ok = nested_line(STREAM_MAX_DEPTH), *deep = nested_line(STREAM_MAX_DEPTH + 1);
	char *text = malloc(strlen(ok) + strlen(deep) + 1);

	assert_non_null(text);
	strcpy(text, ok);
	strcat(text, deep);
	open_text(&r, s->path, text);
	pack_init(&b);
	pack_str(pack_packer(&b), "kept");
	size_t at = b.len;

	assert_int_equal(jsonl_reader_next(&r, &j, &e), JSONL_OBJECT);
	assert_int_equal(jsonl_pack(&r, j, &b, &e), 0);
	json_decref(j);
	size_t after_ok = b.len;
	assert_true(after_ok == at + 1 + 2 + STREAM_MAX_DEPTH - 1); /* fixmap, "a", the arrays */

	/* msgpack-c's unpacker reads the accepted one */
	msgpack_unpacked u;
	size_t off = at;
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
	msgpack_unpacked_destroy(&u);

	assert_int_equal(jsonl_reader_next(&r, &j, &e), JSONL_OBJECT);
	assert_int_equal(r.line_no, 2);
	char keep[256];
	assert_true(b.len <= sizeof keep);
	memcpy(keep, b.data, b.len);
	assert_int_equal(jsonl_pack(&r, j, &b, &e), JSONL_BAD);
	json_decref(j);
	assert_int_equal(b.len, after_ok);
	assert_memory_equal(b.data, keep, after_ok);
	assert_int_equal(e.code, ERR_INPUT);
	snprintf(want, sizeof want, "%s: line 2: objects nested deeper than %d", s->path, STREAM_MAX_DEPTH);
	if (strncmp(e.msg, want, strlen(want)))
		fail_msg("message \"%s\", want \"%s ...\"", e.msg, want);

	expect_end(&r);
	pack_free(&b);
	jsonl_reader_free(&r);
	free(ok);
	free(deep);
	free(text);
}

/* ---- opening ---- */

static void test_missing(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	struct err e = {0};
	char path[256];

	snprintf(path, sizeof path, "%s/missing.jsonl", s->dir);
	assert_int_equal(jsonl_reader_open(&r, path, &e), ERR_INPUT);
	assert_int_equal(e.code, ERR_INPUT);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "No such file"));
	jsonl_reader_free(&r); /* safe after a failed open */
	jsonl_reader_free(&r);
}

/* An empty file: the end at once. */
static void test_empty(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;

	scratch_write_bytes(s->path, "", 0);
	open_reader(&r, s->path);
	expect_end(&r);
	assert_int_equal(r.line_no, 0);
	jsonl_reader_free(&r);
	/* blank lines only */
	scratch_write_bytes(s->path, "\n \n\t\n", 5);
	open_reader(&r, s->path);
	expect_end(&r);
	assert_int_equal(r.line_no, 3);
	jsonl_reader_free(&r);
}

/* "-" and NULL: standard input, "<stdin>" in messages. */
static void test_stdin(void **state)
{
	struct scratch *s = *state;
	static const char text[] = "{\"in\": 1}\n[0]\n";
	int rc[2] = {0, 0}, bad[2] = {0, 0};
	long line[2] = {0, 0};
	char name[2][32] = {"", ""}, msg[2][1024] = {"", ""};
	json_t *j = NULL;

	scratch_write(s->path, text);
	int saved = dup(0);
	assert_true(saved >= 0);
	for (int k = 0; k < 2; k++) {
		struct jsonl_reader r;
		struct err e = {0};
		int fd = open(s->path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(dup2(fd, 0), 0);
		close(fd);
		rc[k] = jsonl_reader_open(&r, k ? NULL : "-", &e);
		snprintf(name[k], sizeof name[k], "%s", rc[k] ? "" : r.name);
		if (!rc[k]) {
			rc[k] = jsonl_reader_next(&r, &j, &e);
			json_decref(j);
			line[k] = r.line_no;
			bad[k] = jsonl_reader_next(&r, &j, &e);
			snprintf(msg[k], sizeof msg[k], "%s", e.msg);
		}
		jsonl_reader_free(&r);
	}
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(rc[k], JSONL_OBJECT);
		assert_string_equal(name[k], "<stdin>");
		assert_int_equal(line[k], 1);
		assert_int_equal(bad[k], JSONL_BAD);
		assert_string_equal(msg[k], "<stdin>: line 2: not a JSON object");
	}
}

static void test_zeroed_free(void **state)
{
	(void)state;
	struct jsonl_reader r;

	memset(&r, 0, sizeof r);
	jsonl_reader_free(&r);
	jsonl_reader_free(&r);
	assert_null(r.gz);
	assert_null(r.line);
	assert_null(r.name);
}

/* ---- fixed bugs ---- */

/* Fixed bug (jsonl.c, read_line): a raw NUL byte in a line makes read_line take
 * the line for unfinished (strlen stops at the NUL, so the '\n' gzgets
 * stored after it is not seen) and read the next line onto it: the next
 * line is lost, and the lines after it are numbered one short. Input
 * (26 bytes):
 *     {"a":1}\0x\n{"b":2}\n{"c":3}\n
 * Want: line 1 JSONL_BAD (not JSON), {"b":2} on line 2, {"c":3} on line 3.
 * Got: line 1 JSONL_BAD ("column 8: end of file expected near '{'", the
 * two lines joined), then {"c":3} as line 2, and {"b":2} never. */
static void test_nul_byte_swallows_next_line(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	struct err e = {0};
	json_t *j;
	int rc[4];
	long line[4];
	char got[4][64];

	scratch_write_bytes(s->path, "{\"a\":1}\0x\n{\"b\":2}\n{\"c\":3}\n", 26);
	open_reader(&r, s->path);
	/* read it all first (and free the reader), then judge */
	for (int k = 0; k < 4; k++) {
		rc[k] = jsonl_reader_next(&r, &j, &e);
		line[k] = r.line_no;
		got[k][0] = 0;
		if (rc[k] == JSONL_OBJECT) {
			char *t = json_dumps(j, JSON_COMPACT);
			snprintf(got[k], sizeof got[k], "%s", t ? t : "?");
			free(t);
			json_decref(j);
		}
	}
	jsonl_reader_free(&r);

	assert_int_equal(rc[0], JSONL_BAD);
	assert_int_equal(line[0], 1);
	if (rc[1] != JSONL_OBJECT || strcmp(got[1], "{\"b\":2}") || line[1] != 2)
		fail_msg("regression: after the line with a NUL byte, got %s (%d) as line %ld; want {\"b\":2} as line 2",
			 got[1], rc[1], line[1]);
	if (rc[2] != JSONL_OBJECT || strcmp(got[2], "{\"c\":3}") || line[2] != 3)
		fail_msg("regression: got %s (%d) as line %ld; want {\"c\":3} as line 3", got[2], rc[2], line[2]);
	assert_int_equal(rc[3], 0);
}

/* The text zlib can inflate from a (damaged) gzip file, and its whole
 * lines: inflate directly, stopping at the first error. */
static long whole_lines_inflatable(const char *gz, size_t len)
{
	z_stream z;
	unsigned char out[65536];
	long lines = 0;

	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (unsigned char *)gz;
	z.avail_in = (unsigned)len;
	int rc;
	do {
		z.next_out = out;
		z.avail_out = sizeof out;
		rc = inflate(&z, Z_NO_FLUSH);
		for (unsigned char *p = out; p < z.next_out; p++)
			lines += *p == '\n';
	} while (rc == Z_OK);
	inflateEnd(&z);
	return lines;
}

/* Fixed bug (jsonl.c, read_line): with a truncated gzip file, read_line checks
 * gzerror() after every gzgets(), and zlib sets the error as soon as its
 * read-ahead hits the damage, while whole lines it already inflated are
 * still buffered (gzgets would go on returning them: zlib lets reading
 * continue after Z_BUF_ERROR). So the reading stops early: lines that are
 * whole in the file are lost, and the message puts the damage after the
 * wrong line. Input: 2000 lines {"i": N, "pad": "x" * 40} (N = 0..1999),
 * gzipped with gzwrite, the last 20 bytes cut off: inflate gives 1996
 * whole lines (and gzgets returns all 1996 before it returns NULL), but
 * jsonl returns 1838 and then "read error after line 1838: unexpected end
 * of file" (zlib 1.2.13). */
static void test_truncated_gzip_loses_whole_lines(void **state)
{
	struct scratch *s = *state;
	struct jsonl_reader r;
	char path[256], line[128];
	enum { N = 2000, CUT = 20 };
	size_t cap = (size_t)N * 80, len = 0;
	char *text = malloc(cap);
	json_t *j;
	struct err e = {0};
	int rc;
	long got = 0;

	assert_non_null(text);
	for (int i = 0; i < N; i++) {
		int n = snprintf(line, sizeof line, "{\"i\": %d, \"pad\": \"%s\"}\n", i,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		memcpy(text + len, line, (size_t)n);
		len += (size_t)n;
	}
	snprintf(path, sizeof path, "%s/cut.gz", s->dir);
	spit_gz(path, text, len);
	free(text);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *gz = malloc(cap);
	assert_non_null(gz);
	size_t glen = fread(gz, 1, cap, f);
	fclose(f);
	assert_true(glen > CUT && glen < cap);
	scratch_write_bytes(path, gz, glen - CUT);
	long whole = whole_lines_inflatable(gz, glen - CUT);
	free(gz);
	assert_true(whole > 0 && whole < N);

	open_reader(&r, path);
	while ((rc = jsonl_reader_next(&r, &j, &e)) == JSONL_OBJECT) {
		assert_int_equal(json_integer_value(json_object_get(j, "i")), got);
		json_decref(j);
		got++;
	}
	/* the damage is an error, not a clean end */
	assert_true(rc < 0);
	assert_non_null(strstr(e.msg, path));
	jsonl_reader_free(&r);
	if (got != whole)
		fail_msg("regression: %ld of the %ld whole lines read before the error (\"%s\")", got, whole, e.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_gzip, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_crlf, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_not_objects, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_json, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_nan_infinity, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_pack, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_pack_depth, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_stdin, setup, scratch_teardown),
		cmocka_unit_test(test_zeroed_free),
		cmocka_unit_test_setup_teardown(test_nul_byte_swallows_next_line, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_gzip_loses_whole_lines, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
