/*
 * stream: MessagePack record streams (DESIGN §3, man/biofilter-stream.5).
 *
 * A stream is a sequence of MessagePack maps. A map with the key
 * "biofilter" is a header; the first one describes the stream and any later
 * one (streams concatenate) must agree with it exactly, except in a
 * posterior stream (kind "posterior"), where each level's header starts a
 * section of its own. Every other map is
 * a record. A stream without a header is accepted (records only). Input
 * that starts with the gzip magic is decompressed on the fly.
 *
 * Reader: the record returned by stream_reader_next() lives until the next
 * call; copy what you keep. Records are numbered from 1 in input order,
 * counting those skipped by --shard, so messages and shards agree across
 * processes. Input is read with read(2) as it arrives (a record is
 * answered before the writer of the pipe has written the next one); gzip
 * input, recognised by its first byte, is inflated member by member, and
 * anything after a gzip member other than another member is an error.
 * Writer: packs into a buffer (pack.h: maps count their own entries) that
 * is flushed in large blocks, between records only; output to a named
 * regular file appears only at stream_writer_commit() (outfile.h), so a
 * failed or killed run never leaves a partial file under the final name.
 * A zeroed writer, or STREAM_WRITER_INIT, is closed and safe to free.
 */
#ifndef BF_STREAM_H
#define BF_STREAM_H

#include <msgpack.h>
#include <stdint.h>
#include <zlib.h>

#include "err.h"
#include "meter.h"
#include "outfile.h"
#include "pack.h"

#define STREAM_VERSION 1
#define STREAM_MAX_ARRAY 100000000u /* sanity bound on any array we index */
/* The largest record (or header) read, in bytes: a record is checked to
 * be whole and within this before it is unpacked, so a corrupt size
 * (an array that claims 2^32 elements) is refused before anything is
 * allocated for it, and what is allocated stays below 24 bytes per byte
 * read. 64 MiB is 300 times the largest record biofilter writes (a solve
 * trajectory of M2 at every step, 270 KB). */
#define STREAM_MAX_RECORD (64u << 20)
#define STREAM_MAX_RECORD_TEXT "64 MiB"
#define STREAM_MAX_DEPTH 32 /* nesting, as msgpack-c's unpacker allows */
#define STREAM_MAX_DEPTH_TEXT "32"

/* A scan of MessagePack bytes that checks one object is whole and within
 * the limits without unpacking it, resumable as bytes arrive: bytes
 * scanned, and the elements still due at each open level. Zeroed: before
 * an object. */
struct stream_scan {
	size_t pos;
	int depth;
	uint64_t left[STREAM_MAX_DEPTH + 2];
};

/* Whether header h starts a section of its own: a posterior stream's
 * (kind "posterior"), whose levels each have a header. */
int stream_header_sectioned(const msgpack_object *h);

/* How a header `next` that comes after `prev` in a stream (or in the next
 * stream of a concatenation) stands: the same header again (streams
 * concatenate), a new section (both sectioned, as a posterior stream's
 * levels), or a disagreement, which is an error. The rule for readers and
 * for mpcat's --msgpack alike. */
enum { STREAM_HEADER_SAME, STREAM_HEADER_SECTION, STREAM_HEADER_DISAGREES };
int stream_header_follows(const msgpack_object *prev, const msgpack_object *next);

/* What stream_scan returns for corrupt bytes: a size beyond the limits,
 * or a byte MessagePack does not use. */
enum { STREAM_SCAN_TOO_LARGE = -1, STREAM_SCAN_BAD_BYTE = -2 };

/* Scan on over d[0..n-1] (the same bytes as before, and maybe more): 1
 * when the object is whole (s->pos is its length, and s is zeroed for the
 * next one on the next call), 0 when more bytes are needed, or
 * STREAM_SCAN_TOO_LARGE (larger than STREAM_MAX_RECORD, or nested deeper
 * than STREAM_MAX_DEPTH) or STREAM_SCAN_BAD_BYTE (the unused byte 0xc1),
 * with *why saying which. The unpacker allocates for a container as soon
 * as it reads its header, so only a whole object should be given to it. */
int stream_scan(struct stream_scan *s, const unsigned char *d, size_t n, const char **why);

struct stream_reader {
	char *name;              /* file name for messages, "<stdin>" for stdin */
	int fd;                  /* -1 when closed */
	int started;             /* the first bytes have been looked at */
	int gzip;                /* the input is gzip: inflated through z */
	z_stream z;
	unsigned char *zin;      /* compressed bytes read ahead */
	int in_eof, member_end;
	msgpack_unpacker up;
	msgpack_unpacked msg;    /* the current record */
	msgpack_zone *header_zone;
	msgpack_object header;   /* valid when have_header: the current section's */
	int have_header;
	long sections;           /* headers that started a new section (posterior) */
	long record;             /* number of the last record read (1-based) */
	unsigned shard_i, shard_k; /* keep records with (record-1) % k == i */
	int eof;
	int dead;                /* an error was returned: nothing more is read */
	void *parked;           /* the first record, read ahead by peek_header */
	struct stream_scan scan; /* of the message being buffered */
	double deadline;         /* clock_now() time after which a read fails, or 0 */
	int timed_out;           /* a read failed so */
	struct meter *meter;     /* set after opening to time reading, or NULL */
};

/* Open path ("-" or NULL: stdin) for reading. A zeroed reader is closed
 * and safe to free; stream_reader_free leaves it so. */
BF_RESULT int stream_reader_open(struct stream_reader *r, const char *path, struct err *e);
/* Read from an open descriptor (a pipe), which the reader then owns (also
 * on failure); name is for messages. */
BF_RESULT int stream_reader_open_fd(struct stream_reader *r, int fd, const char *name, struct err *e);

/* Keep only records whose 0-based index is i mod k (headers still seen). */
void stream_reader_shard(struct stream_reader *r, unsigned i, unsigned k);

/* Next record: returns STREAM_RECORD and sets *rec, 0 at the end, or a
 * negative error (truncated or corrupt input, a disagreeing header), after
 * which the stream cannot be read further. A record that is not a map
 * returns STREAM_NOT_MAP with *rec set and e filled; reading may go on. */
enum { STREAM_RECORD = 1, STREAM_NOT_MAP = 2 };
BF_RESULT int stream_reader_next(struct stream_reader *r, const msgpack_object **rec, struct err *e);

/* The header (of the current section), or NULL if none has been seen
 * (yet). Reading a record reads the header before it. */
const msgpack_object *stream_reader_header(const struct stream_reader *r);

/* Read up to the first record without consuming it, so the header is known
 * before any record is handled. Returns 0, or the error when what comes
 * first cannot be read (a header cut short, a corrupt size, a bad
 * version); an error in the first record after a good header is kept for
 * stream_reader_next. */
BF_RESULT int stream_reader_peek_header(struct stream_reader *r, struct err *e);

void stream_reader_free(struct stream_reader *r);

/* If the header has `key` (e.g. "parameters"), it must be the list of
 * strings names[0..n-1]; a stream without it is taken as it is. */
BF_RESULT int stream_reader_check_names(const struct stream_reader *r, const char *key,
					const char *const *names, int n, struct err *e);

/* The record's "id", or its 1-based record number in *tmp when it has
 * none (answers must name the record they answer). */
const msgpack_object *stream_record_id(const struct stream_reader *r, const msgpack_object *rec,
				       msgpack_object *tmp);

/* Accessors. A number is any MessagePack integer or float. */
const msgpack_object *stream_map_get(const msgpack_object *map, const char *key);
int stream_object_number(const msgpack_object *o, double *out); /* 0 or -1 */
/* Is o the string s? */
int stream_object_is_str(const msgpack_object *o, const char *s);

/* Field accessors for records: errors name the file, record and field,
 * e.g. "theta.mpk: record 3: 'theta' must have 5 numbers, got 4". Values
 * must be finite. */
BF_RESULT int stream_field_number(const struct stream_reader *r, const msgpack_object *rec,
				  const char *key, double *out, struct err *e);
BF_RESULT int stream_field_numbers(const struct stream_reader *r, const msgpack_object *rec,
				   const char *key, double *out, size_t n, struct err *e);

struct stream_writer {
	struct outfile out;      /* the file, stdout or a device (outfile.h) */
	gzFile gz;               /* when compressing */
	struct pack buf;         /* packed records not yet written (pack.h) */
	int error;               /* sticky errno of the first failed write */
	struct meter *meter;     /* set after opening to time writing, or NULL */
};

/* A writer that is not open: safe to free, and to open. */
#define STREAM_WRITER_INIT {OUTFILE_INIT, NULL, {0}, 0, NULL}
void stream_writer_init(struct stream_writer *w);

/* Open path ("-" or NULL: stdout); compress with gzip when `compress`.
 * A named file appears only on commit (outfile.h). On error nothing is
 * left to free (stream_writer_free is harmless). */
BF_RESULT int stream_writer_open(struct stream_writer *w, const char *path, int compress, struct err *e);

/* The packer to pack records with: maps through pack_map_begin (pack.h),
 * which counts their entries. Its errors are sticky and reported by
 * stream_writer_flush/commit. */
static inline msgpack_packer *stream_writer_packer(struct stream_writer *w) { return pack_packer(&w->buf); }

/* Append raw bytes (text output); the signature of mpjson_write_fn. */
int stream_writer_write(void *w, const char *buf, size_t len);

/* Call after each record: writes the buffer out when it is large (or
 * always, when `force`), and reports any earlier packing or write error.
 * Inside an open map it is a bug (the process stops with a message). */
BF_RESULT int stream_writer_flush(struct stream_writer *w, int force, struct err *e);

/* Flush, close and rename into place. After a failed commit, or without a
 * commit, stream_writer_free removes the temporary file; for stdout or a
 * device it writes out what was buffered, whole records only. */
BF_RESULT int stream_writer_commit(struct stream_writer *w, struct err *e);
/* Close (removing an uncommitted temporary file); w is then as after
 * stream_writer_init. */
void stream_writer_free(struct stream_writer *w);

/* Begin a header map: "biofilter" and "kind", then the caller's entries,
 * then pack_map_end(m). */
void stream_header_begin(struct pack_map *m, msgpack_packer *pk, const char *kind);
/* The same for a program's output: then "program" and "version". */
void stream_header_program(struct pack_map *m, msgpack_packer *pk, const char *kind, const char *program);

#endif
