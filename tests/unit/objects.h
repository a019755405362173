/*
 * objects: MessagePack objects for tests, built from JSON text written in
 * the test, and looked into. Include after cmocka.h.
 *
 * JSON text is read by mpjson_parse, so NaN, Infinity and -Infinity may
 * stand bare where a number goes, and packed by mpjson_pack: a test writes
 * down a record as a stream would give it, and the module under test sees
 * exactly those bytes. What JSON cannot say at all (a float32, an integer
 * above 2^63 - 1) is packed by hand between obj_begin and obj_end.
 *
 * Looking into an object: its one object unpacked from bytes that it
 * must take whole, a map's keys in order, a map's value that must be
 * there (and be a number), an object packed again as bytes. Each fails
 * the test when what it needs is not so.
 */
#ifndef BF_TEST_OBJECTS_H
#define BF_TEST_OBJECTS_H

#include <jansson.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpjson.h"
#include "pack.h"
#include "stream.h"

/* The JSON text (any JSON value) as a new jansson value, or fail. */
static inline json_t *json_text(const char *text)
{
	json_t *j = NULL;
	struct err e = {0};
	if (mpjson_parse(text, strlen(text), &j, "the test's JSON", &e))
		fail_msg("%s:\n%s", e.msg, text);
	return j;
}

/* Pack the JSON text. */
static inline void obj_pack_text(msgpack_packer *pk, const char *text)
{
	json_t *j = json_text(text);
	mpjson_pack(pk, j);
	json_decref(j);
}

/* Unpack the one object in data[0..len), which it must take whole, into
 * u (the caller destroys u). */
static inline const msgpack_object *unpack_whole(msgpack_unpacked *u, const char *data, size_t len)
{
	size_t off = 0;
	msgpack_unpacked_init(u);
	assert_int_equal(msgpack_unpack_next(u, data, len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, len);
	return &u->data;
}

/* An object, alive until obj_free: packed with obj_begin's packer, then
 * unpacked by obj_end; or built from JSON text by obj_build. */
struct obj {
	struct pack b;
	msgpack_unpacked u;
};

static inline msgpack_packer *obj_begin(struct obj *o)
{
	pack_init(&o->b);
	return pack_packer(&o->b);
}

static inline const msgpack_object *obj_end(struct obj *o)
{
	assert_int_equal(o->b.nomem, 0);
	return unpack_whole(&o->u, o->b.data, o->b.len);
}

static inline const msgpack_object *obj_build(struct obj *o, const char *text)
{
	obj_pack_text(obj_begin(o), text);
	return obj_end(o);
}

static inline void obj_free(struct obj *o)
{
	msgpack_unpacked_destroy(&o->u);
	pack_free(&o->b);
}

/* o packed again: malloc'ed bytes, their number into *len. */
static inline char *obj_bytes(const msgpack_object *o, size_t *len)
{
	struct pack b;
	pack_init(&b);
	msgpack_pack_object(pack_packer(&b), *o);
	char *bytes = pack_release(&b, len);
	assert_non_null(bytes);
	return bytes;
}

/* The keys of the map m in order, joined by single spaces, into buf (cut
 * to its size); every key must be a string. */
static inline void map_keys(const msgpack_object *m, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;
		assert_int_equal(k->type, MSGPACK_OBJECT_STR);
		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%.*s", i ? " " : "", (int)k->via.str.size,
					      k->via.str.ptr);
	}
}

/* The value of key in the map m, which must be there. */
static inline const msgpack_object *map_field(const msgpack_object *m, const char *key)
{
	const msgpack_object *v = stream_map_get(m, key);
	if (!v)
		fail_msg("no '%s'", key);
	return v;
}

/* The value of key in the map m, which must be there and be a number. */
static inline double map_number(const msgpack_object *m, const char *key)
{
	double x;
	if (stream_object_number(map_field(m, key), &x))
		fail_msg("'%s' is not a number", key);
	return x;
}

#endif
