/*
 * table: formatting of tab-separated rows.
 */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

const msgpack_object *table_lookup(const msgpack_object *rec, const char *field)
{
	const msgpack_object *o = stream_map_get(rec, field);
	const char *dot = strchr(field, '.');

	if (o || !dot)
		return o;
	char head[256];
	size_t n = (size_t)(dot - field);
	if (n >= sizeof head)
		return NULL;
	memcpy(head, field, n);
	head[n] = 0;
	o = stream_map_get(rec, head);
	return o ? table_lookup(o, dot + 1) : NULL;
}

static int put(mpjson_write_fn w, void *d, const char *s)
{
	return w(d, s, strlen(s));
}

/* Print the cells of o, each preceded by a tab unless it is the first of
 * the row (*first). */
static int cells(const msgpack_object *o, int *first, mpjson_write_fn w, void *d)
{
	char buf[64];

	if (o && o->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if (cells(&o->via.array.ptr[i], first, w, d))
				return -1;
		return 0;
	}
	if (!*first && put(w, d, "\t"))
		return -1;
	*first = 0;
	if (!o)
		return 0;
	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: {
		mpjson_format_double(buf, sizeof buf, o->via.f64);
		size_t n = strlen(buf);
		if (n > 2 && !strcmp(buf + n - 2, ".0"))
			buf[n - 2] = 0;
		return put(w, d, buf);
	}
	case MSGPACK_OBJECT_STR:
		for (uint32_t i = 0; i < o->via.str.size; i++) {
			char c = o->via.str.ptr[i];
			if (c == '\t' || c == '\n' || c == '\r')
				c = ' ';
			if (w(d, &c, 1))
				return -1;
		}
		return 0;
	case MSGPACK_OBJECT_NIL:
		return 0;
	default:
		return mpjson_print(o, w, d);
	}
}

int table_print_row(const msgpack_object *rec, char *const *fields, int n, mpjson_write_fn w, void *d)
{
	int first = 1;

	for (int f = 0; f < n; f++)
		if (cells(table_lookup(rec, fields[f]), &first, w, d))
			return -1;
	return put(w, d, "\n");
}

static int names(const msgpack_object *o, const char *name, int *first, mpjson_write_fn w, void *d)
{
	if (o && o->type == MSGPACK_OBJECT_ARRAY) {
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			char sub[512];
			snprintf(sub, sizeof sub, "%s[%u]", name, i);
			if (names(&o->via.array.ptr[i], sub, first, w, d))
				return -1;
		}
		return 0;
	}
	if (put(w, d, *first ? "# " : "\t") || put(w, d, name))
		return -1;
	*first = 0;
	return 0;
}

int table_print_header(const msgpack_object *rec, char *const *fields, int n, mpjson_write_fn w, void *d)
{
	int first = 1;

	for (int f = 0; f < n; f++)
		if (names(table_lookup(rec, fields[f]), fields[f], &first, w, d))
			return -1;
	return put(w, d, "\n");
}
