/*
 * jsonl: JSON lines in (mpcat --from-json; DESIGN §3). A file or stdin,
 * gzip or not, is read a line at a time however long its lines; each
 * line that is not blank is one JSON value, parsed with the NaN and
 * Infinity extension of mpjson.h, which must be an object.
 *
 * A bad line (not JSON, not an object, or one a stream reader would
 * refuse once packed: nested too deeply, too large) is JSONL_BAD with a
 * message naming the file and line ("obs.jsonl: line 3: not a JSON
 * object"); the caller reports it and reading goes on. A read error
 * (a corrupt gzip member) ends the reading.
 */
#ifndef BF_JSONL_H
#define BF_JSONL_H

#include <jansson.h>
#include <zlib.h>

#include "err.h"
#include "pack.h"

struct jsonl_reader {
	char *name;          /* for messages: the path, or "<stdin>" */
	gzFile gz;
	char *line;          /* the current line, without its end */
	size_t cap;
	char *buf;           /* inflated bytes read ahead: buf[pos..have) */
	size_t pos, have;
	int eof;
	long line_no;        /* 1-based number of the current line */
};

enum { JSONL_OBJECT = 1, JSONL_BAD = 2 };

/* Open path ("-" or NULL: stdin). A zeroed reader is safe to free. */
BF_RESULT int jsonl_reader_open(struct jsonl_reader *r, const char *path, struct err *e);

/* The next line's object: JSONL_OBJECT with *out (a new reference, the
 * caller's to json_decref), 0 at the end, JSONL_BAD with e filled (the line
 * is passed over), or a negative error. */
BF_RESULT int jsonl_reader_next(struct jsonl_reader *r, json_t **out, struct err *e);

/* Pack j, the current line's object, onto b as one MessagePack map, and
 * check it as a stream reader would (stream_scan): 0, or JSONL_BAD with e
 * filled, b as it was. */
BF_RESULT int jsonl_pack(const struct jsonl_reader *r, const json_t *j, struct pack *b, struct err *e);

void jsonl_reader_free(struct jsonl_reader *r);

#endif
