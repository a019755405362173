/*
 * streams: the record streams a test writes for the module under test to
 * read, and opening what it wrote, through stream.h's writer and reader.
 * Each step fails the test when the stream code refuses it: open a
 * writer, flush what was just packed (a header or a record), write an
 * empty header of a kind, write one record per JSON text (objects.h: bare
 * NaN, Infinity and -Infinity allowed), commit and free; open a reader.
 * Include after cmocka.h.
 */
#ifndef BF_TEST_STREAMS_H
#define BF_TEST_STREAMS_H

#include "pack.h"
#include "stream.h"

#include "objects.h"

static inline void writer_open_ok(struct stream_writer *w, const char *path)
{
	struct err e = {0};
	if (stream_writer_open(w, path, 0, &e))
		fail_msg("stream_writer_open %s: %s", path, e.msg);
}

/* Write out the header or record packed since the last flush. */
static inline void writer_flush_ok(struct stream_writer *w)
{
	struct err e = {0};
	assert_int_equal(stream_writer_flush(w, 0, &e), 0);
}

/* A header with nothing but "biofilter" and "kind". */
static inline void writer_header_ok(struct stream_writer *w, const char *kind)
{
	struct pack_map h;
	stream_header_begin(&h, stream_writer_packer(w), kind);
	pack_map_end(&h);
	writer_flush_ok(w);
}

/* A record per JSON text (any JSON value: a non-map makes a record that
 * is not a map). */
static inline void writer_json_ok(struct stream_writer *w, const char *const *texts, int n)
{
	for (int i = 0; i < n; i++) {
		obj_pack_text(stream_writer_packer(w), texts[i]);
		writer_flush_ok(w);
	}
}

/* Commit, then free. */
static inline void writer_commit_ok(struct stream_writer *w)
{
	struct err e = {0};
	if (stream_writer_commit(w, &e))
		fail_msg("stream_writer_commit: %s", e.msg);
	stream_writer_free(w);
}

static inline void reader_open_ok(struct stream_reader *r, const char *path)
{
	struct err e = {0};
	if (stream_reader_open(r, path, &e))
		fail_msg("stream_reader_open %s: %s", path, e.msg);
}

#endif
