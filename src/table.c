/*
 * table: formatting of tab-separated rows (see table.h).
 *
 * A field is resolved per row: the part before "[]" names the iterated
 * array, the element at the row's index stands in for it, and the rest of
 * the path is looked up in that element. Fields are short, so the split
 * copies into a fixed buffer; a longer one is simply not found.
 */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

#define FIELD_MAX 256

const msgpack_object *table_lookup(const msgpack_object *rec, const char *field)
{
	if (!rec)
		return NULL;
	const msgpack_object *o = stream_map_get(rec, field);
	const char *dot = strchr(field, '.');

	if (o || !dot)
		return o;
	char head[FIELD_MAX];
	size_t n = (size_t)(dot - field);
	if (n >= sizeof head)
		return NULL;
	memcpy(head, field, n);
	head[n] = 0;
	o = stream_map_get(rec, head);
	return o ? table_lookup(o, dot + 1) : NULL;
}

/* The object a field starts from, and the field without its '^'. */
static const msgpack_object *origin(const msgpack_object *rec, const msgpack_object *header, const char **field)
{
	if (**field == '^') {
		(*field)++;
		return header;
	}
	return rec;
}

/* The array an iterated field iterates over, in *arr (NULL if missing or
 * not an array, and then *found says which); returns 0 when the field is
 * not iterated, 1 when it is. */
static int iterated(const msgpack_object *rec, const msgpack_object *header, const char *field,
		    const msgpack_object **arr, int *found)
{
	const msgpack_object *o = origin(rec, header, &field);
	const char *brackets = strstr(field, "[]");
	char head[FIELD_MAX];

	*arr = NULL;
	*found = 0;
	if (!brackets)
		return 0;
	size_t n = (size_t)(brackets - field);
	if (n >= sizeof head)
		return 1;
	memcpy(head, field, n);
	head[n] = 0;
	o = n ? table_lookup(o, head) : o;
	*found = o != NULL;
	if (o && o->type == MSGPACK_OBJECT_ARRAY)
		*arr = o;
	return 1;
}

/* The value of field in row k. */
static const msgpack_object *resolve(const msgpack_object *rec, const msgpack_object *header, const char *field,
				     uint32_t k)
{
	const msgpack_object *arr;
	int found;

	if (!iterated(rec, header, field, &arr, &found)) {
		const msgpack_object *o = origin(rec, header, &field);
		return table_lookup(o, field);
	}
	if (!arr || k >= arr->via.array.size)
		return NULL;
	const char *rest = strstr(field, "[]") + 2;
	const msgpack_object *el = &arr->via.array.ptr[k];
	if (!*rest)
		return el;
	return *rest == '.' ? table_lookup(el, rest + 1) : NULL;
}

/* The number of rows of rec: 1 without iterated fields; -1 (and why) when
 * the iterated fields disagree. */
static long count_rows(const msgpack_object *rec, const msgpack_object *header, char *const *fields, int n,
		       char *why, size_t why_size)
{
	long rows = -1;
	int first = -1;

	for (int f = 0; f < n; f++) {
		const msgpack_object *arr;
		int found;
		if (!iterated(rec, header, fields[f], &arr, &found))
			continue;
		if (!arr) {
			int len = (int)(strstr(fields[f], "[]") - fields[f]);
			snprintf(why, why_size, "'%s': '%.*s' is %s", fields[f], len, fields[f],
				 found ? "not an array" : "missing");
			return -1;
		}
		long len = (long)arr->via.array.size;
		if (rows >= 0 && len != rows) {
			snprintf(why, why_size, "'%s' has %ld elements, '%s' %ld", fields[f], len, fields[first], rows);
			return -1;
		}
		rows = len;
		first = f;
	}
	return rows < 0 ? 1 : rows;
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

int table_print_rows(const msgpack_object *rec, const msgpack_object *header, char *const *fields, int n,
		     mpjson_write_fn w, void *d, char *why, size_t why_size)
{
	long rows = count_rows(rec, header, fields, n, why, why_size);

	if (rows < 0)
		return 1;
	for (long k = 0; k < rows; k++) {
		int first = 1;
		for (int f = 0; f < n; f++)
			if (cells(resolve(rec, header, fields[f], (uint32_t)k), &first, w, d))
				return -1;
		if (put(w, d, "\n"))
			return -1;
	}
	return 0;
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

int table_print_header(const msgpack_object *rec, const msgpack_object *header, char *const *fields, int n,
		       mpjson_write_fn w, void *d)
{
	int first = 1;

	for (int f = 0; f < n; f++)
		if (names(resolve(rec, header, fields[f], 0), fields[f], &first, w, d))
			return -1;
	return put(w, d, "\n");
}
