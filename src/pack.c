/*
 * pack: a MessagePack buffer and self-counting maps (see pack.h).
 */
#include "pack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A misused packer is a bug in biofilter, not bad input: say so and stop,
 * in every build, rather than write a corrupt stream. */
static void bug(const char *what)
{
	fprintf(stderr, "biofilter: internal error: %s\n", what);
	abort();
}

void pack_init(struct pack *b)
{
	memset(b, 0, sizeof *b);
	msgpack_packer_init(&b->pk, b, pack_append);
}

void pack_free(struct pack *b)
{
	free(b->data);
	pack_init(b);
}

void pack_clear(struct pack *b)
{
	if (b->open)
		bug("a packed buffer cleared inside an open map");
	b->len = 0;
}

char *pack_release(struct pack *b, size_t *len)
{
	char *d = b->nomem || !b->len ? NULL : b->data;
	*len = d ? b->len : 0;
	if (!d)
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

static int reserve(struct pack *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	char *d = realloc(b->data, cap);
	if (!d) {
		b->nomem = 1;
		return -1;
	}
	b->data = d;
	b->cap = cap;
	return 0;
}

int pack_append(void *data, const char *buf, size_t len)
{
	struct pack *b = data;
	if (b->nomem || reserve(b, len))
		return -1;
	memcpy(b->data + b->len, buf, len);
	b->len += len;
	return 0;
}

void pack_map_begin(struct pack_map *m, msgpack_packer *pk)
{
	if (pk->callback != pack_append)
		bug("a counted map on a packer that does not write into a struct pack");
	m->b = pk->data;
	m->at = m->b->len;
	m->n = 0;
	m->b->open++;
	pack_append(m->b, "\x80", 1); /* fixmap header, patched at the end */
}

void pack_key(struct pack_map *m, const char *key)
{
	m->n++;
	pack_str(&m->b->pk, key);
}

void pack_map_end(struct pack_map *m)
{
	struct pack *b = m->b;
	unsigned char head[5];
	size_t width;

	if (b->open <= 0)
		bug("a map ended that was not begun");
	b->open--;
	if (b->nomem)
		return;
	if (m->n < 16) {
		b->data[m->at] = (char)(0x80 | m->n);
		return;
	}
	if (m->n < 65536) {
		head[0] = 0xde;
		head[1] = (unsigned char)(m->n >> 8);
		head[2] = (unsigned char)m->n;
		width = 3;
	} else {
		head[0] = 0xdf;
		head[1] = (unsigned char)(m->n >> 24);
		head[2] = (unsigned char)(m->n >> 16);
		head[3] = (unsigned char)(m->n >> 8);
		head[4] = (unsigned char)m->n;
		width = 5;
	}
	/* widen the header: the entries move up by width - 1 bytes */
	if (reserve(b, width - 1))
		return;
	memmove(b->data + m->at + width, b->data + m->at + 1, b->len - m->at - 1);
	memcpy(b->data + m->at, head, width);
	b->len += width - 1;
}

void pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	if (n) /* the body packer rejects empty bodies */
		msgpack_pack_str_body(pk, s, n);
}

void pack_strs(msgpack_packer *pk, const char *const *s, int n)
{
	msgpack_pack_array(pk, (size_t)n);
	for (int i = 0; i < n; i++)
		pack_str(pk, s[i]);
}

void pack_numbers(msgpack_packer *pk, const double *x, size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_double(pk, x[i]);
}

void pack_bool(msgpack_packer *pk, int v)
{
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void pack_kv_double(struct pack_map *m, const char *key, double x)
{
	pack_key(m, key);
	msgpack_pack_double(&m->b->pk, x);
}

void pack_kv_long(struct pack_map *m, const char *key, long x)
{
	pack_key(m, key);
	msgpack_pack_long(&m->b->pk, x);
}

void pack_kv_str(struct pack_map *m, const char *key, const char *s)
{
	pack_key(m, key);
	pack_str(&m->b->pk, s);
}

void pack_kv_numbers(struct pack_map *m, const char *key, const double *x, size_t n)
{
	pack_key(m, key);
	pack_numbers(&m->b->pk, x, n);
}

void pack_kv_bool(struct pack_map *m, const char *key, int v)
{
	pack_key(m, key);
	pack_bool(&m->b->pk, v);
}

void pack_fields(struct pack_map *m, const void *base, const struct pack_field *f, size_t n, int skip_absent)
{
	for (size_t k = 0; k < n; k++) {
		const char *at = (const char *)base + f[k].off;
		if (f[k].count) {
			long v = *(const long *)at;
			if (!skip_absent || v >= 0)
				pack_kv_long(m, f[k].key, v);
		} else {
			double v = *(const double *)at;
			if (!skip_absent || !isnan(v))
				pack_kv_double(m, f[k].key, v);
		}
	}
}

void pack_kv_object(struct pack_map *m, const char *key, const msgpack_object *o)
{
	pack_key(m, key);
	msgpack_pack_object(&m->b->pk, *o);
}
