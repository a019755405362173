/*
 * mpjson: JSON text from MessagePack objects, and MessagePack from JSON.
 *
 * The NaN/Infinity extension on input is done by rewriting those bare
 * tokens (outside strings) into strings tagged with a leading \u0001 before
 * jansson parses the line; mpjson_pack turns the tagged strings back into
 * floats. A real string cannot start with \u0001 in practice, and one that
 * does and spells a tag is the only thing this misreads.
 */
#include "mpjson.h"

#include "outfile.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TAG "\\u0001"

void mpjson_format_double(char *buf, size_t size, double x)
{
	if (isnan(x)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(x)) {
		snprintf(buf, size, x > 0 ? "Infinity" : "-Infinity");
		return;
	}
	/* 15 digits always read back uniquely for normal doubles, and %g drops
	 * trailing zeros, so starting there finds the shortest form; a
	 * subnormal has fewer significant bits and may need fewer digits */
	for (int prec = fabs(x) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	if (!strpbrk(buf, ".eEn"))
		strncat(buf, ".0", size - strlen(buf) - 1);
}

static int put(mpjson_write_fn w, void *d, const char *s)
{
	return w(d, s, strlen(s));
}

static int print_str(const char *s, size_t n, mpjson_write_fn w, void *d)
{
	size_t start = 0;

	if (w(d, "\"", 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (i > start && w(d, s + start, i - start))
			return -1;
		switch (c) {
		case '"': strcpy(esc, "\\\""); break;
		case '\\': strcpy(esc, "\\\\"); break;
		case '\n': strcpy(esc, "\\n"); break;
		case '\t': strcpy(esc, "\\t"); break;
		case '\r': strcpy(esc, "\\r"); break;
		default: snprintf(esc, sizeof esc, "\\u%04x", c);
		}
		if (put(w, d, esc))
			return -1;
		start = i + 1;
	}
	if (n > start && w(d, s + start, n - start))
		return -1;
	return w(d, "\"", 1);
}

struct sink {
	char *buf;
	size_t len, cap;
};

static int sink_write(void *data, const char *buf, size_t len)
{
	struct sink *k = data;
	if (k->len + len > k->cap) {
		size_t cap = 2 * (k->len + len) + 16;
		char *nb = realloc(k->buf, cap);
		if (!nb)
			return -1;
		k->buf = nb;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, buf, len);
	k->len += len;
	return 0;
}

int mpjson_print(const msgpack_object *o, mpjson_write_fn w, void *d)
{
	char buf[64];

	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return put(w, d, "null");
	case MSGPACK_OBJECT_BOOLEAN: return put(w, d, o->via.boolean ? "true" : "false");
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->via.u64);
		return put(w, d, buf);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(buf, sizeof buf, "%lld", (long long)o->via.i64);
		return put(w, d, buf);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		mpjson_format_double(buf, sizeof buf, o->via.f64);
		return put(w, d, buf);
	case MSGPACK_OBJECT_STR: return print_str(o->via.str.ptr, o->via.str.size, w, d);
	case MSGPACK_OBJECT_BIN:
		/* binary is not used by biofilter; show its bytes */
		if (put(w, d, "["))
			return -1;
		for (uint32_t i = 0; i < o->via.bin.size; i++) {
			snprintf(buf, sizeof buf, "%s%u", i ? "," : "", (unsigned char)o->via.bin.ptr[i]);
			if (put(w, d, buf))
				return -1;
		}
		return put(w, d, "]");
	case MSGPACK_OBJECT_ARRAY:
		if (put(w, d, "["))
			return -1;
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if ((i && put(w, d, ",")) || mpjson_print(&o->via.array.ptr[i], w, d))
				return -1;
		return put(w, d, "]");
	case MSGPACK_OBJECT_MAP:
		if (put(w, d, "{"))
			return -1;
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			if (i && put(w, d, ","))
				return -1;
			if (kv->key.type == MSGPACK_OBJECT_STR) {
				if (print_str(kv->key.via.str.ptr, kv->key.via.str.size, w, d))
					return -1;
			} else if (kv->key.type == MSGPACK_OBJECT_ARRAY || kv->key.type == MSGPACK_OBJECT_MAP) {
				/* a container as a key is not biofilter's; quoting its JSON
				 * would escape each nested key again, doubling the output
				 * per level (a 1 KiB stream printed 134 MB) */
				if (put(w, d, kv->key.type == MSGPACK_OBJECT_ARRAY ? "\"[array]\"" : "\"{map}\""))
					return -1;
			} else {
				/* JSON keys are strings: quote the key's own JSON */
				struct sink k = {0};
				int rc = mpjson_print(&kv->key, sink_write, &k);
				rc = rc || print_str(k.buf, k.len, w, d);
				free(k.buf);
				if (rc)
					return -1;
			}
			if (put(w, d, ":") || mpjson_print(&kv->val, w, d))
				return -1;
		}
		return put(w, d, "}");
	default:
		return put(w, d, "null");
	}
}

/* Rewrite bare NaN, Infinity, -Infinity outside strings as tagged strings;
 * from[k] gets the input offset of output byte k, so that an error in the
 * rewritten text can be reported at the user's column. */
static char *rewrite_specials(const char *text, size_t len, size_t **from)
{
	static const char *const tok[] = {"-Infinity", "Infinity", "NaN"};
	/* the longest rewrite: NaN (3 bytes) becomes "\u0001NaN" (11) */
	size_t cap = len * 4 + 1, k = 0;
	char *out = malloc(cap);
	size_t *map = malloc(cap * sizeof *map);
	int in_str = 0;

	if (!out || !map) {
		free(out);
		free(map);
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		char c = text[i];
		int hit = 0;
		if (!in_str) {
			for (int t = 0; t < 3 && !hit; t++) {
				size_t n = strlen(tok[t]);
				if (i + n <= len && !memcmp(text + i, tok[t], n)) {
					size_t w = (size_t)sprintf(out + k, "\"" TAG "%s\"", tok[t]);
					for (size_t j = 0; j < w; j++)
						map[k + j] = i;
					k += w;
					i += n;
					hit = 1;
				}
			}
			if (hit)
				continue;
			in_str = c == '"';
		} else if (c == '\\' && i + 1 < len) {
			map[k] = i;
			out[k++] = text[i++];
		} else if (c == '"') {
			in_str = 0;
		}
		map[k] = i;
		out[k++] = text[i++];
	}
	map[k] = len;
	out[k] = 0;
	*from = map;
	return out;
}

/* jansson's message, with our tagged strings shown as the user wrote them */
static void untag(char *msg)
{
	static const char *const tok[] = {"-Infinity", "Infinity", "NaN"};
	for (int t = 0; t < 3; t++) {
		char tagged[32];
		snprintf(tagged, sizeof tagged, "\"" TAG "%s\"", tok[t]);
		for (char *p; (p = strstr(msg, tagged));) {
			size_t n = strlen(tok[t]), tl = strlen(tagged);
			memcpy(p, tok[t], n);
			memmove(p + n, p + tl, strlen(p + tl) + 1);
		}
	}
}

/* jansson's failure for want of memory is not the input's fault (and its
 * message is then sometimes empty) */
static int out_of_memory(const json_error_t *je)
{
	return json_error_code(je) == json_error_out_of_memory || !je->text[0];
}

int mpjson_parse(const char *text, size_t len, json_t **out, const char *where, struct err *e)
{
	json_error_t je;
	size_t *from;
	char *t = rewrite_specials(text, len, &from);

	if (!t)
		return err_set(e, ERR_NOMEM, "out of memory");
	*out = json_loads(t, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	/* jansson's column is that of the last byte it read; all bytes of a
	 * tagged token map to the token's first byte in the user's text */
	size_t pos = je.position > 0 && (size_t)je.position <= strlen(t) ? from[je.position - 1] : 0;
	free(t);
	free(from);
	if (!*out) {
		if (out_of_memory(&je))
			return err_set(e, ERR_NOMEM, "%s: out of memory", where);
		untag(je.text);
		return err_set(e, ERR_INPUT, "%s: column %zu: %s", where, pos + 1, je.text);
	}
	return 0;
}

void mpjson_pack(msgpack_packer *pk, const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach((json_t *)j, key, v) {
			size_t n = strlen(key);
			msgpack_pack_str(pk, n);
			if (n)
				msgpack_pack_str_body(pk, key, n);
			mpjson_pack(pk, v);
		}
		break;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach(j, i, v)
			mpjson_pack(pk, v);
		break;
	case JSON_STRING: {
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		if (n > 1 && s[0] == 1) {
			if (!strcmp(s + 1, "NaN")) {
				msgpack_pack_double(pk, NAN);
				break;
			}
			if (!strcmp(s + 1, "Infinity")) {
				msgpack_pack_double(pk, INFINITY);
				break;
			}
			if (!strcmp(s + 1, "-Infinity")) {
				msgpack_pack_double(pk, -INFINITY);
				break;
			}
		}
		msgpack_pack_str(pk, n);
		if (n)
			msgpack_pack_str_body(pk, s, n);
		break;
	}
	case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(j)); break;
	case JSON_REAL: msgpack_pack_double(pk, json_real_value(j)); break;
	case JSON_TRUE: msgpack_pack_true(pk); break;
	case JSON_FALSE: msgpack_pack_false(pk); break;
	case JSON_NULL: msgpack_pack_nil(pk); break;
	}
}

int mpjson_load_file(const char *path, const char *what, json_t **out, struct err *e)
{
	json_error_t je;
	struct stat st;

	*out = NULL;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return err_set(e, ERR_INPUT, "%s: is a directory, not %s", path, what);
	if (!(*out = json_load_file(path, JSON_REJECT_DUPLICATES, &je))) {
		if (out_of_memory(&je))
			return err_set(e, ERR_NOMEM, "%s: out of memory", path);
		if (je.line < 1)
			return err_set(e, ERR_INPUT, "%s: %s", path, je.text);
		return err_set(e, ERR_INPUT, "%s: line %d: %s", path, je.line, je.text);
	}
	return 0;
}

int mpjson_check_keys(const json_t *obj, const char *const *known, const char *where, struct err *e)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		int ok = 0;
		for (int i = 0; known[i]; i++)
			ok |= !strcmp(key, known[i]);
		if (!ok)
			return err_set(e, ERR_INPUT, "%s: unknown key '%s'", where, key);
	}
	return 0;
}

int mpjson_get_number(const json_t *obj, const char *key, const char *where, int required, double dflt,
		      double *out, struct err *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return err_set(e, ERR_INPUT, "%s: missing key '%s'", where, key);
		*out = dflt;
		return 0;
	}
	if (!json_is_number(v))
		return err_set(e, ERR_INPUT, "%s: '%s' must be a number", where, key);
	*out = json_number_value(v);
	if (!isfinite(*out))
		return err_set(e, ERR_INPUT, "%s: '%s' must be finite", where, key);
	return 0;
}

int mpjson_get_int(const json_t *obj, const char *key, const char *where, int required, int dflt, long lo,
		   long hi, int *out, struct err *e)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (!v) {
		if (required)
			return err_set(e, ERR_INPUT, "%s: missing key '%s'", where, key);
		*out = dflt;
		return 0;
	}
	if (json_is_integer(v))
		d = (double)json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))
		d = json_real_value(v);
	else
		return err_set(e, ERR_INPUT, "%s: '%s' must be an integer", where, key);
	if (d < lo || d > hi)
		return err_set(e, ERR_INPUT, "%s: '%s' must be between %ld and %ld, got %.0f", where, key, lo, hi,
			       d);
	*out = (int)d;
	return 0;
}

int mpjson_write_file(const char *path, const struct pack *b, struct err *e)
{
	msgpack_unpacked u;
	struct pack text;
	int rc;

	msgpack_unpacked_init(&u);
	pack_init(&text);
	if (b->nomem || !b->len || msgpack_unpack_next(&u, b->data, b->len, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    mpjson_print(&u.data, pack_append, &text) || pack_append(&text, "\n", 1))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	else
		rc = outfile_write_file(path, text.data, text.len, e);
	pack_free(&text);
	msgpack_unpacked_destroy(&u);
	return rc;
}

int mpjson_write_json_file(const char *path, const json_t *j, struct err *e)
{
	struct pack b;

	pack_init(&b);
	mpjson_pack(pack_packer(&b), j);
	int rc = mpjson_write_file(path, &b, e);
	pack_free(&b);
	return rc;
}
