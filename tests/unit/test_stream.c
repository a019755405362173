/*
 * Unit tests for stream: writing and reading MessagePack record streams
 * (DESIGN §3, man/biofilter-stream.5).
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
#include <sys/stat.h>
#include <unistd.h>

#include "stream.h"

#include "scratch.h"

/* ---- a scratch directory per test ---- */

static int setup(void **state)
{
	return scratch_setup(state, "test_stream", "out.mpk");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}

/* ---- files as bytes ---- */

/* out = a followed by b */
static void cat(const char *out, const char *a, const char *b)
{
	size_t na, nb;
	char *ba = scratch_read(a, &na), *bb = scratch_read(b, &nb);
	char *both = malloc(na + nb + 1);
	assert_non_null(both);
	memcpy(both, ba, na);
	memcpy(both + na, bb, nb);
	scratch_write_bytes(out, both, na + nb);
	free(ba);
	free(bb);
	free(both);
}

/* ---- writing ---- */

static void pack_header(msgpack_packer *pk, const char *kind, const char *param)
{
	struct pack_map h;
	stream_header_begin(&h, pk, kind);
	pack_key(&h, "parameters");
	msgpack_pack_array(pk, 2);
	pack_str(pk, "a");
	pack_str(pk, param);
	pack_map_end(&h);
}

/* {"id": id, "theta": [id, id / 4]} */
static void pack_record(msgpack_packer *pk, long id)
{
	const double theta[2] = {(double)id, id / 4.0};
	msgpack_pack_map(pk, 2);
	pack_str(pk, "id");
	msgpack_pack_long(pk, id);
	pack_str(pk, "theta");
	pack_numbers(pk, theta, 2);
}

/* A stream at path: a header (unless kind is NULL) and records with ids
 * first..first+n-1. */
static void write_stream(const char *path, int compress, const char *kind, long first, int n)
{
	struct stream_writer w;
	struct err e = {0};

	if (stream_writer_open(&w, path, compress, &e))
		fail_msg("stream_writer_open: %s", e.msg);
	msgpack_packer *pk = stream_writer_packer(&w);
	if (kind) {
		pack_header(pk, kind, "b");
		assert_int_equal(stream_writer_flush(&w, 0, &e), 0);
	}
	for (int i = 0; i < n; i++) {
		pack_record(pk, first + i);
		assert_int_equal(stream_writer_flush(&w, 0, &e), 0);
	}
	if (stream_writer_commit(&w, &e))
		fail_msg("stream_writer_commit: %s", e.msg);
	stream_writer_free(&w);
}

/* ---- reading ---- */

static void open_reader(struct stream_reader *r, const char *path)
{
	struct err e = {0};
	if (stream_reader_open(r, path, &e))
		fail_msg("stream_reader_open: %s", e.msg);
}

static long record_id(const msgpack_object *rec)
{
	const msgpack_object *id = stream_map_get(rec, "id");
	double x;
	assert_non_null(id);
	assert_int_equal(stream_object_number(id, &x), 0);
	return (long)x;
}

/* Read every record; ids into ids[] (up to max); returns the final return
 * code of stream_reader_next (0 at a clean end) and the count in *n. */
static int read_ids(struct stream_reader *r, long *ids, int max, int *n, struct err *e)
{
	const msgpack_object *rec;
	int rc;

	*n = 0;
	while ((rc = stream_reader_next(r, &rec, e)) == STREAM_RECORD) {
		assert_true(*n < max);
		ids[*n] = record_id(rec);
		assert_int_equal(r->record, ids[*n]); /* ids were written 1, 2, ... */
		(*n)++;
	}
	return rc;
}

/* After a negative error the reader stays at its end (stream.h: "after
 * which the stream cannot be read further"): no more records, no more
 * objects. */
static void assert_stays_at_end(struct stream_reader *r, const char *after)
{
	const msgpack_object *rec;
	struct err e = {0};
	for (int k = 0; k < 3; k++) {
		int rc = stream_reader_next(r, &rec, &e);
		if (rc > 0)
			fail_msg("after %s, stream_reader_next returned %d (record %ld%s%s)", after, rc, r->record,
				 rc == STREAM_NOT_MAP ? ": " : "", rc == STREAM_NOT_MAP ? e.msg : "");
	}
}

/* ---- tests ---- */

static void test_roundtrip(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;
	char names[256];

	write_stream(s->path, 0, "theta", 1, 10);
	/* only the final file is left in the directory */
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "out.mpk\n");

	open_reader(&r, s->path);
	assert_null(stream_reader_header(&r));
	assert_int_equal(stream_reader_peek_header(&r, &e), 0);
	const msgpack_object *h = stream_reader_header(&r);
	assert_non_null(h);
	assert_true(stream_object_is_str(stream_map_get(h, "kind"), "theta"));
	const msgpack_object *v = stream_map_get(h, "biofilter");
	assert_non_null(v);
	assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(v->via.u64, STREAM_VERSION);
	const msgpack_object *params = stream_map_get(h, "parameters");
	assert_non_null(params);
	assert_int_equal(params->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(params->via.array.size, 2);
	assert_true(stream_object_is_str(&params->via.array.ptr[1], "b"));
	assert_null(stream_map_get(h, "model"));

	for (long k = 1; k <= 10; k++) {
		double theta[2];
		assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
		assert_int_equal(r.record, k);
		assert_int_equal(record_id(rec), k);
		assert_int_equal(stream_field_numbers(&r, rec, "theta", theta, 2, &e), 0);
		assert_true(theta[0] == (double)k && theta[1] == k / 4.0);
		double id;
		assert_int_equal(stream_field_number(&r, rec, "id", &id, &e), 0);
		assert_true(id == (double)k);
		/* the header stays available while records are read */
		assert_ptr_equal(stream_reader_header(&r), h);
	}
	assert_int_equal(stream_reader_next(&r, &rec, &e), 0);
	assert_int_equal(stream_reader_next(&r, &rec, &e), 0);
	assert_int_equal(r.record, 10);
	stream_reader_free(&r);
}

/* A stream without a header: records only. An empty stream: nothing. */
static void test_no_header_and_empty(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	long ids[8];
	int n;

	write_stream(s->path, 0, NULL, 1, 3);
	open_reader(&r, s->path);
	assert_int_equal(read_ids(&r, ids, 8, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_null(stream_reader_header(&r));
	stream_reader_free(&r);

	scratch_write_bytes(s->path, "", 0);
	open_reader(&r, s->path);
	assert_int_equal(stream_reader_peek_header(&r, &e), 0);
	assert_null(stream_reader_header(&r));
	assert_int_equal(read_ids(&r, ids, 8, &n, &e), 0);
	assert_int_equal(n, 0);
	stream_reader_free(&r);
}

static void test_open_missing(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	char path[256];

	scratch_path(s, "missing.mpk", path, sizeof path);
	assert_int_equal(stream_reader_open(&r, path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, path));
	stream_reader_free(&r);
}

/* stream_field_number(s) errors name the file, the record and the field. */
static void test_field_errors(void **state)
{
	struct scratch *s = *state;
	struct stream_writer w;
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;
	double x[3];

	assert_int_equal(stream_writer_open(&w, s->path, 0, &e), 0);
	msgpack_packer *pk = stream_writer_packer(&w);
	pack_header(pk, "theta", "b");
	/* 1: three numbers (ints and floats mixed, a negative int) */
	msgpack_pack_map(pk, 2);
	pack_str(pk, "theta");
	msgpack_pack_array(pk, 3);
	msgpack_pack_int(pk, 1);
	msgpack_pack_double(pk, 2.5);
	msgpack_pack_int(pk, -3);
	pack_str(pk, "x");
	msgpack_pack_float(pk, 0.5f);
	/* 2: not a number inside */
	msgpack_pack_map(pk, 2);
	pack_str(pk, "theta");
	msgpack_pack_array(pk, 2);
	msgpack_pack_double(pk, 1);
	pack_str(pk, "two");
	pack_str(pk, "x");
	pack_str(pk, "one");
	/* 3: a NaN and an infinity */
	msgpack_pack_map(pk, 2);
	pack_str(pk, "theta");
	msgpack_pack_array(pk, 2);
	msgpack_pack_double(pk, 1);
	msgpack_pack_double(pk, NAN);
	pack_str(pk, "x");
	msgpack_pack_double(pk, -INFINITY);
	/* 4: theta not a list; x missing */
	msgpack_pack_map(pk, 1);
	pack_str(pk, "theta");
	msgpack_pack_double(pk, 1);
	assert_int_equal(stream_writer_commit(&w, &e), 0);
	stream_writer_free(&w);

	open_reader(&r, s->path);

	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(stream_field_numbers(&r, rec, "theta", x, 3, &e), 0);
	assert_true(x[0] == 1 && x[1] == 2.5 && x[2] == -3);
	assert_int_equal(stream_field_number(&r, rec, "x", x, &e), 0);
	assert_true(x[0] == 0.5);
	/* wrong length */
	assert_int_equal(stream_field_numbers(&r, rec, "theta", x, 2, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, s->path));
	assert_non_null(strstr(e.msg, "record 1"));
	assert_non_null(strstr(e.msg, "'theta'"));
	assert_non_null(strstr(e.msg, "2 numbers, got 3"));
	/* missing */
	assert_int_equal(stream_field_numbers(&r, rec, "phi", x, 2, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 1"));
	assert_non_null(strstr(e.msg, "'phi'"));
	assert_int_equal(stream_field_number(&r, rec, "y", x, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 1"));
	assert_non_null(strstr(e.msg, "'y'"));

	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(stream_field_numbers(&r, rec, "theta", x, 2, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 2"));
	assert_non_null(strstr(e.msg, "'theta'[1]"));
	assert_non_null(strstr(e.msg, "must be a number"));
	assert_int_equal(stream_field_number(&r, rec, "x", x, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 2"));
	assert_non_null(strstr(e.msg, "'x'"));

	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(stream_field_numbers(&r, rec, "theta", x, 2, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 3"));
	assert_non_null(strstr(e.msg, "'theta'[1]"));
	assert_non_null(strstr(e.msg, "not finite"));
	assert_int_equal(stream_field_number(&r, rec, "x", x, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 3"));
	assert_non_null(strstr(e.msg, "'x'"));
	assert_non_null(strstr(e.msg, "not finite"));

	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(stream_field_numbers(&r, rec, "theta", x, 1, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 4"));
	assert_non_null(strstr(e.msg, "'theta' must be a list"));
	assert_int_equal(stream_field_number(&r, rec, "x", x, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 4"));

	assert_int_equal(stream_reader_next(&r, &rec, &e), 0);
	stream_reader_free(&r);
}

/* cat a b, with the same header: one stream, records numbered on. */
static void test_concatenated(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	char a[256], b[256];
	long ids[16];
	int n;

	scratch_path(s, "a.mpk", a, sizeof a);
	scratch_path(s, "b.mpk", b, sizeof b);
	write_stream(a, 0, "theta", 1, 3);
	write_stream(b, 0, "theta", 4, 2);
	cat(s->path, a, b);
	open_reader(&r, s->path);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), 0);
	assert_int_equal(n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ids[i], i + 1);
	assert_true(stream_object_is_str(stream_map_get(stream_reader_header(&r), "kind"), "theta"));
	stream_reader_free(&r);

	/* a part that is a header alone, then a part with records and no header */
	write_stream(b, 0, "theta", 4, 0);
	cat(s->path, a, b);
	scratch_path(s, "c.mpk", b, sizeof b);
	write_stream(b, 0, NULL, 4, 2);
	scratch_path(s, "ab.mpk", a, sizeof a);
	rename(s->path, a);
	cat(s->path, a, b);
	open_reader(&r, s->path);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), 0);
	assert_int_equal(n, 5);
	stream_reader_free(&r);
}

/* cat a b into s->path, a 3 theta records, b 2 records of another kind,
 * and open it; a and b (256 bytes each) get the parts' names. */
static void open_disagreeing(struct scratch *s, struct stream_reader *r, char *a, char *b)
{
	scratch_path(s, "a.mpk", a, 256);
	scratch_path(s, "b.mpk", b, 256);
	write_stream(a, 0, "theta", 1, 3);
	write_stream(b, 0, "trajectory", 4, 2);
	cat(s->path, a, b);
	open_reader(r, s->path);
}

/* cat a b with different headers is an error that says so. */
static void test_disagreeing_header(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	char a[256], b[256];
	long ids[16];
	int n;

	/* another kind */
	open_disagreeing(s, &r, a, b);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), ERR_INPUT);
	assert_int_equal(n, 3);
	assert_non_null(strstr(e.msg, s->path));
	assert_non_null(strstr(e.msg, "disagrees"));
	assert_non_null(strstr(e.msg, "record 3"));
	stream_reader_free(&r);

	/* the same kind, another parameter list */
	struct stream_writer w;
	assert_int_equal(stream_writer_open(&w, b, 0, &e), 0);
	pack_header(stream_writer_packer(&w), "theta", "c");
	pack_record(stream_writer_packer(&w), 4);
	assert_int_equal(stream_writer_commit(&w, &e), 0);
	stream_writer_free(&w);
	cat(s->path, a, b);
	open_reader(&r, s->path);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), ERR_INPUT);
	assert_int_equal(n, 3);
	assert_non_null(strstr(e.msg, "disagrees"));
	stream_reader_free(&r);
}

/* ... after which the reader yields nothing more (the records after the
 * disagreeing header belong to another stream). */
static void test_disagreeing_header_stays_at_end(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	char a[256], b[256];
	long ids[16];
	int n;

	open_disagreeing(s, &r, a, b);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), ERR_INPUT);
	assert_stays_at_end(&r, "a disagreeing header");
	stream_reader_free(&r);
}

/* A header with another format version is refused. */
static void test_header_version(void **state)
{
	struct scratch *s = *state;
	struct stream_writer w;
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;

	assert_int_equal(stream_writer_open(&w, s->path, 0, &e), 0);
	msgpack_packer *pk = stream_writer_packer(&w);
	msgpack_pack_map(pk, 2);
	pack_str(pk, "biofilter");
	msgpack_pack_int(pk, 2);
	pack_str(pk, "kind");
	pack_str(pk, "theta");
	pack_record(pk, 1);
	assert_int_equal(stream_writer_commit(&w, &e), 0);
	stream_writer_free(&w);
	open_reader(&r, s->path);
	assert_int_equal(stream_reader_next(&r, &rec, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "'biofilter'"));
	stream_reader_free(&r);
}

/* A file cut short in its last record: the records before it, then an
 * error that says "truncated". */
static void test_truncated(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;
	long ids[16];
	int n;
	size_t len;

	write_stream(s->path, 0, "theta", 1, 5);
	char *bytes = scratch_read(s->path, &len);
	for (size_t cut = 1; cut <= 3; cut++) {
		scratch_write_bytes(s->path, bytes, len - cut);
		open_reader(&r, s->path);
		memset(&e, 0, sizeof e);
		assert_int_equal(read_ids(&r, ids, 16, &n, &e), ERR_INPUT);
		assert_int_equal(n, 4);
		assert_non_null(strstr(e.msg, s->path));
		assert_non_null(strstr(e.msg, "truncated"));
		assert_non_null(strstr(e.msg, "record 4"));
		stream_reader_free(&r);
	}
	/* cut inside the header */
	scratch_write_bytes(s->path, bytes, 5);
	open_reader(&r, s->path);
	assert_int_equal(stream_reader_next(&r, &rec, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "truncated"));
	stream_reader_free(&r);
	free(bytes);
}

/* ... after which the reader yields nothing more: not the pieces of the
 * cut record parsed as objects of their own. */
static void test_truncated_stays_at_end(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	long ids[16];
	int n;
	size_t len;
	char what[64];

	write_stream(s->path, 0, "theta", 1, 5);
	char *bytes = scratch_read(s->path, &len);
	for (size_t cut = 1; cut <= 3; cut++) {
		scratch_write_bytes(s->path, bytes, len - cut);
		open_reader(&r, s->path);
		assert_int_equal(read_ids(&r, ids, 16, &n, &e), ERR_INPUT);
		snprintf(what, sizeof what, "a stream truncated by %zu bytes", cut);
		assert_stays_at_end(&r, what);
		stream_reader_free(&r);
	}
	free(bytes);
}

/* Bytes that are not MessagePack (0xc1 is never used). */
static void test_corrupt(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	long ids[16];
	int n;
	char a[256], b[256];

	scratch_path(s, "a.mpk", a, sizeof a);
	scratch_path(s, "b.mpk", b, sizeof b);
	write_stream(a, 0, "theta", 1, 2);
	scratch_write_bytes(b, "\xc1\x01\x02", 3);
	cat(s->path, a, b);
	open_reader(&r, s->path);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), ERR_INPUT);
	assert_int_equal(n, 2);
	assert_non_null(strstr(e.msg, "record 2"));
	assert_stays_at_end(&r, "corrupt input");
	stream_reader_free(&r);
}

/* Two readers in lockstep see equal records and headers. */
static void assert_same_stream(const char *p1, const char *p2, int want)
{
	struct stream_reader r1, r2;
	struct err e = {0};
	const msgpack_object *a, *b;
	int n = 0, rc1, rc2;

	open_reader(&r1, p1);
	open_reader(&r2, p2);
	for (;;) {
		rc1 = stream_reader_next(&r1, &a, &e);
		rc2 = stream_reader_next(&r2, &b, &e);
		assert_int_equal(rc1, rc2);
		if (rc1 != STREAM_RECORD)
			break;
		assert_true(msgpack_object_equal(*a, *b));
		assert_int_equal(r1.record, r2.record);
		n++;
	}
	assert_int_equal(rc1, 0);
	assert_int_equal(n, want);
	assert_true(msgpack_object_equal(*stream_reader_header(&r1), *stream_reader_header(&r2)));
	stream_reader_free(&r1);
	stream_reader_free(&r2);
}

static void test_gzip(void **state)
{
	struct scratch *s = *state;
	char plain[256], gz[256], gz2[256], both[256], names[512];
	size_t len;

	scratch_path(s, "plain.mpk", plain, sizeof plain);
	scratch_path(s, "a.mpk.gz", gz, sizeof gz);
	write_stream(plain, 0, "theta", 1, 1000);
	write_stream(gz, 1, "theta", 1, 1000);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 2);
	char *bytes = scratch_read(gz, &len);
	assert_true(len > 2 && (unsigned char)bytes[0] == 0x1f && (unsigned char)bytes[1] == 0x8b);
	free(bytes);
	assert_same_stream(plain, gz, 1000);

	/* cat a.gz b.gz: gzip members concatenate */
	scratch_path(s, "b.mpk.gz", gz2, sizeof gz2);
	scratch_path(s, "both.mpk.gz", both, sizeof both);
	write_stream(gz2, 1, "theta", 1001, 500);
	cat(both, gz, gz2);
	write_stream(plain, 0, "theta", 1, 1500);
	assert_same_stream(plain, both, 1500);
}

/* A gzip stream cut short is an error, not a clean end. */
static void test_gzip_truncated(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	long ids[2000];
	int n;
	size_t len;

	write_stream(s->path, 1, "theta", 1, 1000);
	char *bytes = scratch_read(s->path, &len);
	/* within the trailer (CRC and length), and within the deflate data */
	const size_t cuts[] = {1, 4, 8, 12, len / 2};
	for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
		scratch_write_bytes(s->path, bytes, len - cuts[k]);
		open_reader(&r, s->path);
		memset(&e, 0, sizeof e);
		int rc = read_ids(&r, ids, 2000, &n, &e);
		if (rc >= 0)
			fail_msg("gzip stream cut by %zu of %zu bytes: %d records then a clean end", cuts[k], len,
				 n);
		assert_int_equal(rc, ERR_INPUT);
		assert_non_null(strstr(e.msg, s->path));
		stream_reader_free(&r);
	}
	free(bytes);
}

/* --shard I/K: records with (number - 1) % K == I, numbered as in the
 * whole stream; headers are still read. */
static void test_shard(void **state)
{
	struct scratch *s = *state;
	struct stream_reader r;
	struct err e = {0};
	long ids[16];
	int n;

	write_stream(s->path, 0, "theta", 1, 10);

	open_reader(&r, s->path);
	stream_reader_shard(&r, 1, 3);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 5);
	assert_int_equal(ids[2], 8);
	assert_non_null(stream_reader_header(&r));
	assert_int_equal(r.record, 10);
	stream_reader_free(&r);

	open_reader(&r, s->path);
	stream_reader_shard(&r, 0, 3);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), 0);
	assert_int_equal(n, 4);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[3], 10);
	stream_reader_free(&r);

	open_reader(&r, s->path);
	stream_reader_shard(&r, 2, 3);
	assert_int_equal(stream_reader_peek_header(&r, &e), 0);
	assert_non_null(stream_reader_header(&r));
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[2], 9);
	stream_reader_free(&r);

	/* 0/1 is everything */
	open_reader(&r, s->path);
	stream_reader_shard(&r, 0, 1);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), 0);
	assert_int_equal(n, 10);
	stream_reader_free(&r);

	/* the shards of a concatenated stream count records across both parts */
	char a[256], b[256];
	scratch_path(s, "a.mpk", a, sizeof a);
	scratch_path(s, "b.mpk", b, sizeof b);
	write_stream(a, 0, "theta", 1, 4);
	write_stream(b, 0, "theta", 5, 6);
	cat(s->path, a, b);
	open_reader(&r, s->path);
	stream_reader_shard(&r, 1, 3);
	assert_int_equal(read_ids(&r, ids, 16, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[1], 5);
	stream_reader_free(&r);
}

/* A record that is not a map: STREAM_NOT_MAP with the object and a
 * message; reading goes on. */
static void test_not_a_map(void **state)
{
	struct scratch *s = *state;
	struct stream_writer w;
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;

	assert_int_equal(stream_writer_open(&w, s->path, 0, &e), 0);
	msgpack_packer *pk = stream_writer_packer(&w);
	pack_header(pk, "theta", "b");
	pack_record(pk, 1);
	msgpack_pack_int(pk, 42);
	pack_record(pk, 3);
	msgpack_pack_array(pk, 1);
	msgpack_pack_nil(pk);
	pack_record(pk, 5);
	assert_int_equal(stream_writer_commit(&w, &e), 0);
	stream_writer_free(&w);

	open_reader(&r, s->path);
	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(record_id(rec), 1);
	memset(&e, 0, sizeof e);
	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_NOT_MAP);
	assert_int_equal(rec->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(rec->via.u64, 42);
	assert_int_equal(r.record, 2);
	assert_int_equal(e.code, ERR_INPUT);
	assert_non_null(strstr(e.msg, "record 2"));
	assert_non_null(strstr(e.msg, "not a map"));
	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(record_id(rec), 3);
	memset(&e, 0, sizeof e);
	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_NOT_MAP);
	assert_int_equal(rec->type, MSGPACK_OBJECT_ARRAY);
	assert_non_null(strstr(e.msg, "record 4"));
	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(record_id(rec), 5);
	assert_int_equal(stream_reader_next(&r, &rec, &e), 0);
	stream_reader_free(&r);

	/* the same when the first record is the bad one and was read ahead by
	 * stream_reader_peek_header */
	assert_int_equal(stream_writer_open(&w, s->path, 0, &e), 0);
	pk = stream_writer_packer(&w);
	pack_header(pk, "theta", "b");
	pack_str(pk, "oops");
	pack_record(pk, 2);
	assert_int_equal(stream_writer_commit(&w, &e), 0);
	stream_writer_free(&w);
	open_reader(&r, s->path);
	assert_int_equal(stream_reader_peek_header(&r, &e), 0);
	assert_non_null(stream_reader_header(&r));
	memset(&e, 0, sizeof e);
	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_NOT_MAP);
	assert_int_equal(rec->type, MSGPACK_OBJECT_STR);
	assert_non_null(strstr(e.msg, "record 1"));
	assert_int_equal(stream_reader_next(&r, &rec, &e), STREAM_RECORD);
	assert_int_equal(record_id(rec), 2);
	assert_int_equal(stream_reader_next(&r, &rec, &e), 0);
	stream_reader_free(&r);
}

/* Without a commit nothing is left: no file under the final name, no
 * temporary file; an existing file under that name is left as it was. */
static void test_free_without_commit(void **state)
{
	struct scratch *s = *state;
	struct stream_writer w;
	struct err e = {0};
	char names[512];

	for (int compress = 0; compress <= 1; compress++) {
		assert_int_equal(stream_writer_open(&w, s->path, compress, &e), 0);
		msgpack_packer *pk = stream_writer_packer(&w);
		pack_header(pk, "theta", "b");
		for (int i = 1; i <= 100; i++)
			pack_record(pk, i);
		assert_int_equal(stream_writer_flush(&w, 1, &e), 0);
		/* the data went to a temporary file beside the final name */
		assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
		assert_true(strncmp(names, ".out.mpk.tmp", 12) == 0);
		assert_int_equal(access(s->path, F_OK), -1);
		stream_writer_free(&w);
		assert_int_equal(scratch_list(s->dir, names, sizeof names), 0);
	}

	/* an old file survives an uncommitted write */
	scratch_write_bytes(s->path, "old", 3);
	assert_int_equal(stream_writer_open(&w, s->path, 0, &e), 0);
	pack_record(stream_writer_packer(&w), 1);
	assert_int_equal(stream_writer_flush(&w, 1, &e), 0);
	stream_writer_free(&w);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	size_t len;
	char *bytes = scratch_read(s->path, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(bytes, "old", 3);
	free(bytes);

	/* and a commit replaces it */
	write_stream(s->path, 0, "theta", 1, 2);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	bytes = scratch_read(s->path, &len);
	assert_true(len > 3);
	free(bytes);
}

/* A commit after a failed write reports it. */
static void test_dev_full(void **state)
{
	(void)state;
	struct stream_writer w;
	struct err e = {0};

	if (access("/dev/full", W_OK) != 0)
		skip();
	for (int compress = 0; compress <= 1; compress++) {
		memset(&e, 0, sizeof e);
		assert_int_equal(stream_writer_open(&w, "/dev/full", compress, &e), 0);
		msgpack_packer *pk = stream_writer_packer(&w);
		pack_header(pk, "theta", "b");
		for (int i = 1; i <= 10; i++) {
			pack_record(pk, i);
			assert_int_equal(stream_writer_flush(&w, 0, &e), 0); /* still buffered */
		}
		int rc = stream_writer_commit(&w, &e);
		if (rc != ERR_RUNTIME)
			fail_msg("compress = %d: commit to /dev/full returned %d, want ERR_RUNTIME", compress, rc);
		assert_int_equal(e.code, ERR_RUNTIME);
		assert_non_null(strstr(e.msg, "/dev/full"));
		stream_writer_free(&w);
	}
	/* /dev/full is still a device (not replaced by a rename) */
	struct stat st;
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* A write error in a large output shows at the flush that hits it, and
 * stays reported. */
static void test_dev_full_flush(void **state)
{
	(void)state;
	struct stream_writer w;
	struct err e = {0};
	int rc = 0, i;

	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(stream_writer_open(&w, "/dev/full", 0, &e), 0);
	msgpack_packer *pk = stream_writer_packer(&w);
	for (i = 1; i <= 1000000 && rc == 0; i++) {
		pack_record(pk, i);
		rc = stream_writer_flush(&w, 0, &e);
	}
	assert_int_equal(rc, ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "write failed"));
	assert_int_equal(stream_writer_flush(&w, 0, &e), ERR_RUNTIME);
	assert_int_equal(stream_writer_commit(&w, &e), ERR_RUNTIME);
	stream_writer_free(&w);
}

static void test_accessors(void **state)
{
	(void)state;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	double x;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	pack_str(&pk, "a");
	msgpack_pack_int(&pk, -7);
	pack_str(&pk, "");
	pack_str(&pk, "");
	msgpack_pack_int(&pk, 5); /* a non-string key */
	msgpack_pack_true(&pk);
	pack_str(&pk, "ab");
	msgpack_pack_float(&pk, 1.5f);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);

	const msgpack_object *m = &u.data;
	assert_non_null(stream_map_get(m, "a"));
	assert_int_equal(stream_object_number(stream_map_get(m, "a"), &x), 0);
	assert_true(x == -7);
	assert_true(stream_object_is_str(stream_map_get(m, ""), ""));
	assert_false(stream_object_is_str(stream_map_get(m, ""), "x"));
	assert_false(stream_object_is_str(NULL, ""));
	assert_int_equal(stream_object_number(stream_map_get(m, "ab"), &x), 0);
	assert_true(x == 1.5);
	assert_null(stream_map_get(m, "b"));
	assert_null(stream_map_get(m, "5"));
	assert_int_equal(stream_object_number(stream_map_get(m, ""), &x), -1);
	/* not a map */
	assert_null(stream_map_get(stream_map_get(m, "a"), "a"));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_header_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concatenated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disagreeing_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disagreeing_header_stays_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_stays_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_without_commit, setup, teardown),
		cmocka_unit_test(test_dev_full),
		cmocka_unit_test(test_dev_full_flush),
		cmocka_unit_test(test_accessors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
