/*
 * stream: reading and writing MessagePack record streams.
 *
 * Reader invariants: `msg` owns the current record's zone, `header_zone`
 * the first header's; `record` counts every record seen, shard or not;
 * after any error (a parse error, a truncated input, a disagreeing
 * header) `dead` is set and every later call fails at once.
 * Writer invariants: every byte packed goes into `buf` (a struct pack, so
 * its maps count their entries) and leaves it only at a flush between
 * records; the first failure (memory or write) is kept in buf.nomem or
 * `error` and reported by the next flush or commit; `out` (outfile.h)
 * makes a named file appear only on commit.
 */
#define _POSIX_C_SOURCE 200809L
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "outfile.h"
#include "version.h"

#define READ_CHUNK (64 * 1024)
#define WRITE_BLOCK (1024 * 1024)

int stream_reader_open(struct stream_reader *r, const char *path, struct err *e)
{
	int fd;

	memset(r, 0, sizeof *r);
	if (!path || !strcmp(path, "-")) {
		path = "<stdin>";
		fd = dup(0);
	} else {
		fd = open(path, O_RDONLY);
	}
	if (fd < 0)
		return err_set(e, ERR_INPUT, "%s: %s", path, strerror(errno));
	return stream_reader_open_fd(r, fd, path, e);
}

int stream_reader_open_fd(struct stream_reader *r, int fd, const char *name, struct err *e)
{
	memset(r, 0, sizeof *r);
	if (!(r->name = strdup(name))) {
		close(fd);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	r->fd = fd;
	if (!msgpack_unpacker_init(&r->up, READ_CHUNK)) {
		close(fd);
		r->fd = -1;
		free(r->name);
		r->name = NULL;
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	msgpack_unpacked_init(&r->msg);
	return 0;
}

void stream_reader_shard(struct stream_reader *r, unsigned i, unsigned k)
{
	r->shard_i = i;
	r->shard_k = k;
}

void stream_reader_free(struct stream_reader *r)
{
	if (r->name) {
		msgpack_unpacked_destroy(&r->msg);
		msgpack_unpacker_destroy(&r->up);
		if (r->fd >= 0)
			close(r->fd);
		if (r->gzip)
			inflateEnd(&r->z);
		free(r->zin);
	}
	if (r->header_zone)
		msgpack_zone_free(r->header_zone);
	free(r->parked);
	free(r->name);
	memset(r, 0, sizeof *r);
}

const msgpack_object *stream_map_get(const msgpack_object *map, const char *key)
{
	size_t len = strlen(key);

	if (map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == len &&
		    !memcmp(kv->key.via.str.ptr, key, len))
			return &kv->val;
	}
	return NULL;
}

int stream_object_number(const msgpack_object *o, double *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER: *out = (double)o->via.u64; return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = (double)o->via.i64; return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: *out = o->via.f64; return 0;
	default: return -1;
	}
}

int stream_object_is_str(const msgpack_object *o, const char *s)
{
	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
	       !memcmp(o->via.str.ptr, s, o->via.str.size);
}

/* read(2), again after a signal. */
/* read(2), waiting no later than r->deadline when one is set (ETIMEDOUT). */
static ssize_t read_some(struct stream_reader *r, void *buf, size_t n)
{
	for (;;) {
		if (r->deadline > 0) {
			double left = r->deadline - clock_now();
			struct pollfd p = {.fd = r->fd, .events = POLLIN};
			int ms = left <= 0 ? 0 : left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
			int k = poll(&p, 1, ms);
			if (k < 0 && errno == EINTR)
				continue;
			if (k == 0) {
				r->timed_out = 1;
				errno = ETIMEDOUT;
				return -1;
			}
		}
		ssize_t k = read(r->fd, buf, n);
		if (k >= 0 || errno != EINTR)
			return k;
	}
}

static int read_error(struct stream_reader *r, const char *msg, struct err *e)
{
	r->in_eof = 1;
	return err_set(e, ERR_INPUT, "%s: read error after record %ld: %s", r->name, r->record, msg);
}

/* More compressed bytes into z; 0, or a negative error. */
static int refill_gzip(struct stream_reader *r, struct err *e)
{
	if (r->z.avail_in > 0 || r->in_eof)
		return 0;
	ssize_t k = read_some(r, r->zin, READ_CHUNK);
	if (k < 0)
		return read_error(r, strerror(errno), e);
	if (k == 0)
		r->in_eof = 1;
	r->z.next_in = r->zin;
	r->z.avail_in = (uInt)k;
	return 0;
}

/* Inflate into buf; the number of bytes, 0 at the end, or an error. */
static ssize_t read_gzip(struct stream_reader *r, unsigned char *buf, size_t cap, struct err *e)
{
	for (;;) {
		int rc = refill_gzip(r, e);
		if (rc)
			return rc;
		if (r->member_end) {
			/* another member, or the end; nothing else may follow */
			if (r->z.avail_in == 0 && r->in_eof)
				return 0;
			if (r->z.avail_in == 0)
				continue;
			if (r->z.next_in[0] != 0x1f)
				return read_error(r, "data after the gzip data is not gzip", e);
			if (inflateReset(&r->z) != Z_OK)
				return read_error(r, "cannot restart inflating", e);
			r->member_end = 0;
		}
		r->z.next_out = buf;
		r->z.avail_out = (uInt)cap;
		int z = inflate(&r->z, Z_NO_FLUSH);
		size_t got = cap - r->z.avail_out;
		if (z == Z_STREAM_END)
			r->member_end = 1;
		else if (z == Z_BUF_ERROR && r->in_eof && r->z.avail_in == 0)
			return read_error(r, "unexpected end of file", e);
		else if (z != Z_OK && z != Z_BUF_ERROR)
			return read_error(r, r->z.msg ? r->z.msg : "corrupt gzip data", e);
		if (got > 0)
			return (ssize_t)got;
	}
}

/* Look at the first bytes: gzip (0x1f, never the first byte of a map) or
 * not. Plain bytes read here go straight to the unpacker. */
static ssize_t start(struct stream_reader *r, unsigned char *buf, size_t cap, struct err *e)
{
	r->started = 1;
	if (!(r->zin = malloc(READ_CHUNK)))
		return err_set(e, ERR_NOMEM, "%s: out of memory", r->name);
	ssize_t k = read_some(r, r->zin, READ_CHUNK);
	if (k < 0)
		return read_error(r, strerror(errno), e);
	if (k == 0 || r->zin[0] != 0x1f) {
		if (k == 0)
			r->in_eof = 1;
		memcpy(buf, r->zin, (size_t)k < cap ? (size_t)k : cap);
		if ((size_t)k > cap) /* cannot happen: cap >= READ_CHUNK */
			return read_error(r, "internal buffer too small", e);
		return k;
	}
	r->gzip = 1;
	memset(&r->z, 0, sizeof r->z);
	if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
		r->gzip = 0;
		return err_set(e, ERR_NOMEM, "%s: out of memory", r->name);
	}
	r->z.next_in = r->zin;
	r->z.avail_in = (uInt)k;
	return read_gzip(r, buf, cap, e);
}

/* Fill the unpacker; returns 1 if bytes were added, 0 at the end of input. */
static int fill(struct stream_reader *r, struct err *e)
{
	if (!msgpack_unpacker_reserve_buffer(&r->up, READ_CHUNK))
		return err_set(e, ERR_NOMEM, "%s: out of memory", r->name);
	unsigned char *buf = (unsigned char *)msgpack_unpacker_buffer(&r->up);
	size_t cap = msgpack_unpacker_buffer_capacity(&r->up);
	ssize_t n;

	if (!r->started)
		n = start(r, buf, cap, e);
	else if (r->gzip)
		n = read_gzip(r, buf, cap, e);
	else if (r->in_eof)
		n = 0;
	else if ((n = read_some(r, buf, cap)) < 0)
		n = read_error(r, strerror(errno), e);
	if (n < 0) {
		r->eof = 1;
		return (int)n;
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	msgpack_unpacker_buffer_consumed(&r->up, (size_t)n);
	return 1;
}

/* Where the next record is, for messages. */
static const char *place(const struct stream_reader *r, char *buf, size_t size)
{
	if (r->record == 0)
		return "before the first record";
	snprintf(buf, size, "after record %ld", r->record);
	return buf;
}

/* Big-endian unsigned of n bytes at p. */
static uint64_t be(const unsigned char *p, int n)
{
	uint64_t x = 0;
	for (int i = 0; i < n; i++)
		x = x << 8 | p[i];
	return x;
}

int stream_scan(struct stream_scan *s, const unsigned char *d, size_t n, const char **why)
{
	size_t pos = s->pos;

	if (s->depth == 0) { /* a new object: one element due */
		if (n == 0)
			return 0;
		s->depth = 1;
		s->left[0] = 1;
		pos = 0;
	}
	while (s->depth > 0 && pos < n) {
		unsigned b = d[pos];
		if (b == 0xcb || b <= 0x7f) {
			/* the bulk of biofilter's streams: runs of float64 (or
			 * small integers) in an array, skipped in a tight loop */
			uint64_t *left = &s->left[s->depth - 1], k = *left; /* k: no aliasing with d */
			while (k > 0 && pos < n) {
				if (d[pos] == 0xcb) {
					if (pos + 9 > n)
						break;
					pos += 9;
				} else if (d[pos] <= 0x7f) {
					pos++;
				} else {
					break;
				}
				k--;
			}
			*left = k;
			if (pos > STREAM_MAX_RECORD) {
				*why = "an object larger than " STREAM_MAX_RECORD_TEXT " (corrupt stream?)";
				goto corrupt;
			}
			while (s->depth > 0 && s->left[s->depth - 1] == 0)
				s->depth--;
			if (*left > 0 && pos < n && (d[pos] == 0xcb || d[pos] <= 0x7f))
				break; /* a float64 cut short: wait for its bytes */
			continue;
		}
		size_t head = 1, body = 0;
		uint64_t items = 0; /* elements of a container (2 per map entry) */
		int container = 0, sz = 0;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
		} else if (b <= 0x8f) {
			container = 1, items = 2 * (uint64_t)(b & 0x0f);
		} else if (b <= 0x9f) {
			container = 1, items = b & 0x0f;
		} else if (b <= 0xbf) {
			body = b & 0x1f;
		} else if (b == 0xc1) {
			*why = "corrupt MessagePack (byte 0xc1)";
			memset(s, 0, sizeof *s);
			return STREAM_SCAN_BAD_BYTE;
		} else if (b >= 0xc4 && b <= 0xc6) { /* bin 8, 16, 32 */
			sz = 1 << (b - 0xc4);
		} else if (b >= 0xc7 && b <= 0xc9) { /* ext 8, 16, 32: size, type */
			sz = 1 << (b - 0xc7), body = 1;
		} else if (b == 0xca || b == 0xcb) {
			body = b == 0xca ? 4 : 8;
		} else if (b >= 0xcc && b <= 0xd3) { /* uint, int 8..64 */
			body = (size_t)1 << ((b - 0xcc) & 3);
		} else if (b >= 0xd4 && b <= 0xd8) { /* fixext 1..16, and its type */
			body = 1 + ((size_t)1 << (b - 0xd4));
		} else if (b >= 0xd9 && b <= 0xdb) { /* str 8, 16, 32 */
			sz = 1 << (b - 0xd9);
		} else if (b == 0xdc || b == 0xdd) {
			container = 1, sz = b == 0xdc ? 2 : 4;
		} else { /* 0xde, 0xdf: map 16, 32 */
			container = 2, sz = b == 0xde ? 2 : 4;
		}
		if (sz) {
			if (pos + 1 + (size_t)sz > n)
				break;
			uint64_t len = be(d + pos + 1, sz);
			head += (size_t)sz;
			if (container)
				items = container == 2 ? 2 * len : len;
			else
				body += len;
		}
		/* every element takes a byte at least: a claim larger than a
		 * record can hold is corrupt, whatever follows */
		if (items > STREAM_MAX_RECORD || body > STREAM_MAX_RECORD || pos + head + body > STREAM_MAX_RECORD) {
			*why = "an object larger than " STREAM_MAX_RECORD_TEXT " (corrupt stream?)";
			goto corrupt;
		}
		if (pos + head + body > n)
			break;
		pos += head + body;
		s->left[s->depth - 1]--;
		if (container) {
			/* depth 1 is the top level's; an empty container counts
			 * too, as it does for msgpack-c's unpacker */
			if (s->depth > STREAM_MAX_DEPTH) {
				*why = "objects nested deeper than " STREAM_MAX_DEPTH_TEXT " (corrupt stream?)";
				goto corrupt;
			}
			if (items > 0)
				s->left[s->depth++] = items;
		}
		while (s->depth > 0 && s->left[s->depth - 1] == 0)
			s->depth--;
	}
	s->pos = pos;
	return s->depth == 0;
corrupt:
	memset(s, 0, sizeof *s);
	return STREAM_SCAN_TOO_LARGE;
}

/* Whether header h starts a section of its own: a posterior stream's
 * (kind "posterior"), whose levels each have a header. */
static int sectioned(const msgpack_object *h)
{
	const msgpack_object *k = stream_map_get(h, "kind");
	return k && stream_object_is_str(k, "posterior");
}

int stream_header_follows(const msgpack_object *prev, const msgpack_object *next)
{
	if (msgpack_object_equal(*next, *prev))
		return STREAM_HEADER_SAME;
	if (sectioned(prev) && sectioned(next))
		return STREAM_HEADER_SECTION;
	return STREAM_HEADER_DISAGREES;
}

int stream_header_sectioned(const msgpack_object *h)
{
	return sectioned(h);
}

/* Scan the buffered bytes of the next message (stream_scan): 1 whole, 0
 * more needed, or an error. */
static int scan(struct stream_reader *r, struct err *e)
{
	const char *why;
	char at[64];
	int rc = stream_scan(&r->scan, (const unsigned char *)r->up.buffer + r->up.off, r->up.used - r->up.off, &why);

	if (rc == STREAM_SCAN_BAD_BYTE) /* as the unpacker's own complaint reads */
		return err_set(e, ERR_INPUT, "%s: corrupt MessagePack %s (byte 0xc1)", r->name, place(r, at, sizeof at));
	if (rc < 0)
		return err_set(e, ERR_INPUT, "%s: %s: %s", r->name, place(r, at, sizeof at), why);
	return rc;
}

static int take_header(struct stream_reader *r, struct err *e)
{
	const msgpack_object *v = stream_map_get(&r->msg.data, "biofilter");

	if (r->have_header) {
		switch (stream_header_follows(&r->header, &r->msg.data)) {
		case STREAM_HEADER_SECTION:
			/* a posterior stream: each level starts its own section */
			msgpack_zone_free(r->header_zone);
			r->header_zone = msgpack_unpacked_release_zone(&r->msg);
			r->header = r->msg.data;
			r->sections++;
			return 0;
		case STREAM_HEADER_DISAGREES:
			return err_set(e, ERR_INPUT,
				       "%s: the header after record %ld disagrees with the first header "
				       "(streams of different kinds or models concatenated?)",
				       r->name, r->record);
		default:
			return 0;
		}
	}
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != STREAM_VERSION)
		return err_set(e, ERR_INPUT, "%s: header: 'biofilter' must be %d (the stream format version)",
			       r->name, STREAM_VERSION);
	r->header_zone = msgpack_unpacked_release_zone(&r->msg);
	r->header = r->msg.data;
	r->have_header = 1;
	return 0;
}

static int next_object(struct stream_reader *r, const msgpack_object **rec, struct err *e);

static int next_raw(struct stream_reader *r, const msgpack_object **rec, struct err *e)
{
	int rc = next_object(r, rec, e);
	if (rc < 0)
		r->dead = 1;
	return rc;
}

static int next_object(struct stream_reader *r, const msgpack_object **rec, struct err *e)
{
	if (r->dead)
		return err_set(e, ERR_INPUT, "%s: cannot read on after an error at record %ld", r->name, r->record);
	for (;;) {
		msgpack_unpack_return ret = MSGPACK_UNPACK_CONTINUE;
		int whole = scan(r, e);
		if (whole < 0) {
			r->eof = 1;
			return whole;
		}
		if (whole)
			ret = msgpack_unpacker_next(&r->up, &r->msg);
		else if (r->eof && r->up.used > r->up.off) {
			/* a message begun and never finished */
			memset(&r->scan, 0, sizeof r->scan);
			if (r->record == 0)
				return err_set(e, ERR_INPUT, "%s: truncated stream before the first record", r->name);
			return err_set(e, ERR_INPUT, "%s: truncated stream after record %ld", r->name, r->record);
		}
		switch (ret) {
		case MSGPACK_UNPACK_SUCCESS:
			break;
		case MSGPACK_UNPACK_EXTRA_BYTES:
		case MSGPACK_UNPACK_CONTINUE: {
			if (r->eof) {
				if (msgpack_unpacker_message_size(&r->up) > 0) {
					/* a message begun and never finished; forget it */
					msgpack_unpacker_reset(&r->up);
					if (r->record == 0)
						return err_set(e, ERR_INPUT, "%s: truncated stream before the first record",
							       r->name);
					return err_set(e, ERR_INPUT, "%s: truncated stream after record %ld",
						       r->name, r->record);
				}
				return 0;
			}
			int rc = fill(r, e);
			if (rc < 0)
				return rc;
			continue;
		}
		case MSGPACK_UNPACK_NOMEM_ERROR:
			r->eof = 1;
			msgpack_unpacker_reset(&r->up);
			return err_set(e, ERR_INPUT, "%s: after record %ld: an object too large for memory "
				       "(corrupt stream?)", r->name, r->record);
		default:
			r->eof = 1;
			msgpack_unpacker_reset(&r->up);
			return err_set(e, ERR_INPUT, "%s: corrupt MessagePack after record %ld", r->name, r->record);
		}
		const msgpack_object *o = &r->msg.data;
		if (o->type == MSGPACK_OBJECT_MAP && stream_map_get(o, "biofilter")) {
			int rc = take_header(r, e);
			if (rc)
				return rc;
			continue;
		}
		r->record++;
		if (r->shard_k > 1 && (unsigned long)(r->record - 1) % r->shard_k != r->shard_i)
			continue;
		*rec = o;
		if (o->type != MSGPACK_OBJECT_MAP) {
			err_set(e, ERR_INPUT, "%s: record %ld: not a map", r->name, r->record);
			return STREAM_NOT_MAP;
		}
		return STREAM_RECORD;
	}
}

/* peek_header parks the first record's result here for the next call */
struct parked {
	int rc;
	const msgpack_object *rec;
	struct err e;
};

int stream_reader_peek_header(struct stream_reader *r, struct err *e)
{
	if (r->parked)
		return 0;
	struct parked *p = malloc(sizeof *p);
	if (!p)
		return err_set(e, ERR_NOMEM, "out of memory");
	p->rc = next_raw(r, &p->rec, &p->e);
	if (p->rc < 0 && !r->have_header) {
		/* the header itself could not be read: a caller checking it
		 * must hear why, not that there is none */
		*e = p->e;
		int rc = p->rc;
		free(p);
		return rc;
	}
	r->parked = p;
	return 0;
}

int stream_reader_next(struct stream_reader *r, const msgpack_object **rec, struct err *e)
{
	if (r->parked) {
		struct parked *p = r->parked;
		int rc = p->rc;
		*rec = p->rec;
		if ((rc < 0 || rc == STREAM_NOT_MAP) && e)
			*e = p->e;
		free(p);
		r->parked = NULL;
		return rc;
	}
	uint64_t t0 = meter_begin(r->meter);
	int rc = next_raw(r, rec, e);
	meter_lap(r->meter, METER_READ, t0);
	return rc;
}

const msgpack_object *stream_reader_header(const struct stream_reader *r)
{
	return r->have_header ? &r->header : NULL;
}

int stream_field_number(const struct stream_reader *r, const msgpack_object *rec, const char *key,
			double *out, struct err *e)
{
	const msgpack_object *o = stream_map_get(rec, key);

	if (!o)
		return err_set(e, ERR_INPUT, "%s: record %ld: missing '%s'", r->name, r->record, key);
	if (stream_object_number(o, out))
		return err_set(e, ERR_INPUT, "%s: record %ld: '%s' must be a number", r->name, r->record, key);
	if (!isfinite(*out))
		return err_set(e, ERR_INPUT, "%s: record %ld: '%s' is not finite", r->name, r->record, key);
	return 0;
}

int stream_field_numbers(const struct stream_reader *r, const msgpack_object *rec, const char *key,
			 double *out, size_t n, struct err *e)
{
	const msgpack_object *o = stream_map_get(rec, key);

	if (!o)
		return err_set(e, ERR_INPUT, "%s: record %ld: missing '%s'", r->name, r->record, key);
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return err_set(e, ERR_INPUT, "%s: record %ld: '%s' must be a list of numbers",
			       r->name, r->record, key);
	if (o->via.array.size != n)
		return err_set(e, ERR_INPUT, "%s: record %ld: '%s' must have %zu numbers, got %u",
			       r->name, r->record, key, n, o->via.array.size);
	for (size_t i = 0; i < n; i++) {
		if (stream_object_number(&o->via.array.ptr[i], &out[i]))
			return err_set(e, ERR_INPUT, "%s: record %ld: '%s'[%zu] must be a number",
				       r->name, r->record, key, i);
		if (!isfinite(out[i]))
			return err_set(e, ERR_INPUT, "%s: record %ld: '%s'[%zu] is not finite",
				       r->name, r->record, key, i);
	}
	return 0;
}

int stream_reader_check_names(const struct stream_reader *r, const char *key, const char *const *names,
			      int n, struct err *e)
{
	const msgpack_object *h = stream_reader_header(r), *p;

	if (!h || !(p = stream_map_get(h, key)))
		return 0;
	int same = p->type == MSGPACK_OBJECT_ARRAY && (int)p->via.array.size == n;
	for (int i = 0; same && i < n; i++)
		same = stream_object_is_str(&p->via.array.ptr[i], names[i]);
	if (!same)
		return err_set(e, ERR_INPUT, "%s: header: '%s' are not the expected ones (%s %s ...)", r->name, key,
			       n > 0 ? names[0] : "", n > 1 ? names[1] : "");
	return 0;
}

const msgpack_object *stream_record_id(const struct stream_reader *r, const msgpack_object *rec,
				       msgpack_object *tmp)
{
	const msgpack_object *id = stream_map_get(rec, "id");

	if (id)
		return id;
	tmp->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
	tmp->via.u64 = (uint64_t)r->record;
	return tmp;
}

/* ---- writer ---- */

static const char *writer_name(const struct stream_writer *w)
{
	return outfile_name(&w->out);
}

int stream_writer_write(void *data, const char *buf, size_t len)
{
	struct stream_writer *w = data;
	return pack_append(&w->buf, buf, len);
}

static int writer_open(struct stream_writer *w, const char *path, int compress, struct err *e)
{
	int rc = outfile_open(&w->out, path, e);
	if (rc || !compress)
		return rc;
	/* zlib gets its own descriptor; the outfile's stays for fsync */
	int zfd = dup(w->out.fd);
	if (zfd < 0 || !(w->gz = gzdopen(zfd, "wb6"))) {
		if (zfd >= 0)
			close(zfd);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

int stream_writer_open(struct stream_writer *w, const char *path, int compress, struct err *e)
{
	stream_writer_init(w);
	int rc = writer_open(w, path, compress, e);
	if (rc)
		stream_writer_free(w); /* what was made before the error; w stays freeable */
	return rc;
}

static int write_all(struct stream_writer *w)
{
	size_t off = 0, len = w->buf.len;
	uint64_t t0 = meter_begin(w->meter);

	if (w->gz) {
		while (off < len) {
			unsigned chunk = len - off > (1u << 30) ? (1u << 30) : (unsigned)(len - off);
			if (gzwrite(w->gz, w->buf.data + off, chunk) != (int)chunk) {
				int zerr;
				gzerror(w->gz, &zerr);
				w->error = zerr == Z_ERRNO && errno ? errno : EIO;
				meter_lap(w->meter, METER_WRITE, t0);
				return -1;
			}
			off += chunk;
		}
	} else if (len && (w->error = outfile_write(&w->out, w->buf.data, len))) {
		meter_lap(w->meter, METER_WRITE, t0);
		return -1;
	}
	pack_clear(&w->buf);
	meter_lap(w->meter, METER_WRITE, t0);
	return 0;
}

int stream_writer_flush(struct stream_writer *w, int force, struct err *e)
{
	if (w->buf.open) {
		/* a record's bytes would go out with its map's size still open */
		fprintf(stderr, "biofilter: internal error: '%s' flushed inside an open map\n", writer_name(w));
		abort();
	}
	if (w->buf.nomem)
		return err_set(e, ERR_NOMEM, "%s: out of memory", writer_name(w));
	if (!w->error && (force || w->buf.len >= WRITE_BLOCK))
		write_all(w);
	if (w->error)
		return err_set(e, ERR_RUNTIME, "%s: write failed: %s", writer_name(w), strerror(w->error));
	return 0;
}

static int finish(struct stream_writer *w, struct err *e)
{
	if (w->gz) {
		int zrc = gzclose(w->gz);
		w->gz = NULL;
		if (zrc != Z_OK)
			return err_set(e, ERR_RUNTIME, "%s: write failed: %s", writer_name(w),
				       zrc == Z_ERRNO ? strerror(errno) : "compression error");
	}
	return outfile_commit(&w->out, e);
}

int stream_writer_commit(struct stream_writer *w, struct err *e)
{
	int rc = stream_writer_flush(w, 1, e);

	if (rc)
		return rc;
	/* closing (the gzip trailer, fsync) is writing too */
	uint64_t t0 = meter_begin(w->meter);
	rc = finish(w, e);
	meter_lap(w->meter, METER_WRITE, t0);
	return rc;
}

void stream_writer_init(struct stream_writer *w)
{
	memset(w, 0, sizeof *w);
	w->out.fd = -1;
	pack_init(&w->buf);
}

void stream_writer_free(struct stream_writer *w)
{
	/* Output to stdout or a device is not atomic anyway: what was
	 * produced before a failure still goes out, whole records only. A
	 * named file's temporary is removed instead. */
	if (!outfile_is_atomic(&w->out) && !w->error && !w->buf.nomem && !w->buf.open && w->buf.len &&
	    (w->out.is_open || w->gz))
		write_all(w);
	if (w->gz)
		gzclose(w->gz);
	outfile_free(&w->out);
	pack_free(&w->buf);
	stream_writer_init(w);
}

void stream_header_begin(struct pack_map *m, msgpack_packer *pk, const char *kind)
{
	pack_map_begin(m, pk);
	pack_key(m, "biofilter");
	msgpack_pack_int(pk, STREAM_VERSION);
	pack_kv_str(m, "kind", kind);
}

void stream_header_program(struct pack_map *m, msgpack_packer *pk, const char *kind, const char *program)
{
	stream_header_begin(m, pk, kind);
	pack_kv_str(m, "program", program);
	pack_kv_str(m, "version", BIOFILTER_VERSION);
}
