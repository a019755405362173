/*
 * jsonl: reading JSON lines (see jsonl.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpjson.h"
#include "stream.h"

#define READ_CHUNK (64 * 1024)

int jsonl_reader_open(struct jsonl_reader *r, const char *path, struct err *e)
{
	memset(r, 0, sizeof *r);
	if (path && !strcmp(path, "-"))
		path = NULL;
	const char *name = path ? path : "<stdin>";
	int fd = path ? open(path, O_RDONLY) : dup(0);
	if (fd < 0)
		return err_set(e, ERR_INPUT, "%s: %s", name, strerror(errno));
	if (!(r->name = strdup(name)) || !(r->buf = malloc(READ_CHUNK)) || !(r->gz = gzdopen(fd, "rb"))) {
		if (!r->gz)
			close(fd);
		jsonl_reader_free(r);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* Room for len + more bytes in r->line. */
static int line_room(struct jsonl_reader *r, size_t len, size_t more, struct err *e)
{
	if (r->cap - len > more)
		return 0;
	size_t ncap = r->cap ? 2 * r->cap : 4096;
	while (ncap - len <= more)
		ncap *= 2;
	char *nl = realloc(r->line, ncap);
	if (!nl)
		return err_set(e, ERR_NOMEM, "out of memory");
	r->line = nl;
	r->cap = ncap;
	return 0;
}

/* One whole line into r->line, without its end: its length, or -1 at
 * the end of the input. Lines are cut at '\n' in the inflated bytes
 * themselves (a NUL byte is part of its line, as gzgets would not have
 * it), and a read error is reported only when the whole lines before it
 * have been taken. */
static long read_line(struct jsonl_reader *r, struct err *e)
{
	size_t len = 0;
	int rc;

	for (;;) {
		if (r->pos < r->have) {
			const char *from = r->buf + r->pos;
			const char *nl = memchr(from, '\n', r->have - r->pos);
			size_t n = nl ? (size_t)(nl - from) : r->have - r->pos;
			if ((rc = line_room(r, len, n, e)))
				return rc;
			memcpy(r->line + len, from, n);
			len += n;
			r->pos += n + (nl != NULL);
			if (nl)
				break;
			continue;
		}
		if (r->eof) {
			if (len == 0)
				return -1;
			break;
		}
		int n = gzread(r->gz, r->buf, READ_CHUNK), zerr;
		const char *zmsg = gzerror(r->gz, &zerr);
		if (n <= 0 && zerr != Z_OK && zerr != Z_STREAM_END)
			return err_set(e, ERR_INPUT, "%s: read error after line %ld: %s", r->name, r->line_no, zmsg);
		r->pos = 0;
		r->have = n > 0 ? (size_t)n : 0;
		r->eof = n <= 0;
	}
	r->line[len] = 0;
	while (len && r->line[len - 1] == '\r')
		r->line[--len] = 0;
	r->line_no++;
	return (long)len;
}

int jsonl_reader_next(struct jsonl_reader *r, json_t **out, struct err *e)
{
	char where[300];
	long len;

	*out = NULL;
	do {
		if ((len = read_line(r, e)) < 0)
			return len == -1 ? 0 : (int)len;
	} while (len == 0 || strspn(r->line, " \t") == (size_t)len);
	snprintf(where, sizeof where, "%s: line %ld", r->name, r->line_no);
	if (memchr(r->line, 0, (size_t)len)) {
		/* not text: a JSON parser would stop at it and take the rest for
		 * the end of the line */
		err_set(e, ERR_INPUT, "%s: a NUL byte (not JSON text)", where);
		return JSONL_BAD;
	}
	int rc = mpjson_parse(r->line, (size_t)len, out, where, e);
	if (rc)
		return rc == ERR_INPUT ? JSONL_BAD : rc;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		err_set(e, ERR_INPUT, "%s: not a JSON object", where);
		return JSONL_BAD;
	}
	return JSONL_OBJECT;
}

int jsonl_pack(const struct jsonl_reader *r, const json_t *j, struct pack *b, struct err *e)
{
	size_t at = b->len;
	struct stream_scan sc = {0};
	const char *why = "empty";

	mpjson_pack(pack_packer(b), j);
	if (b->nomem)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (stream_scan(&sc, (const unsigned char *)b->data + at, b->len - at, &why) != 1) {
		b->len = at;
		err_set(e, ERR_INPUT, "%s: line %ld: %s", r->name, r->line_no, why);
		return JSONL_BAD;
	}
	return 0;
}

void jsonl_reader_free(struct jsonl_reader *r)
{
	if (r->gz)
		gzclose(r->gz);
	free(r->line);
	free(r->buf);
	free(r->name);
	memset(r, 0, sizeof *r);
}
