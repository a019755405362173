/*
 * Unit tests for pack: the MessagePack buffer and its self-counting maps.
 *
 * The point of pack_map_begin/pack_key/pack_map_end is that a map's size
 * is counted, not declared, and that the bytes are still exactly those of
 * msgpack-c's msgpack_pack_map(pk, n) followed by the same entries: a
 * fixmap below 16 entries, map 16 below 65536, map 32 above, the header
 * widened in place at the end. So every test here packs the same thing
 * twice, once with pack.h into a struct pack and once with plain msgpack-c
 * calls into a msgpack_sbuffer, and compares the bytes; then unpacks the
 * result to check the size msgpack_unpack_next sees. The sizes tried are
 * the boundaries: 0, 1, 15, 16 (fixmap / map 16), 65535, 65536 (map 16 /
 * map 32), nested maps that both widen, and the pack_kv_* helpers against
 * the msgpack-c calls they stand for.
 *
 * Also: pack_str of "" (one byte, 0xa0), pack_release / pack_clear /
 * pack_free (a zeroed struct and a freed one are safe to free again), the
 * sticky nomem flag, and misuse (a counted map on a packer that does not
 * write into a struct pack, a map ended that was not begun, a clear inside
 * an open map), which aborts by design: run in a forked child that must die
 * by SIGABRT after printing "internal error".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pack.h"

#include "objects.h"

/* A huge allocation is refused by a sanitizer's allocator with a report
 * and an abort, not with NULL: the real allocation failure is then not
 * tried (the sticky flag is still tested, set by hand). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* ---- the reference: plain msgpack-c into an sbuffer ---- */

struct ref {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void ref_init(struct ref *r)
{
	msgpack_sbuffer_init(&r->sb);
	msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
}

static void ref_free(struct ref *r)
{
	msgpack_sbuffer_destroy(&r->sb);
}

/* A struct pack and a reference, both empty (b's packer returned); both
 * freed. */
static msgpack_packer *both_init(struct pack *b, struct ref *r)
{
	pack_init(b);
	ref_init(r);
	return pack_packer(b);
}

static void both_free(struct pack *b, struct ref *r)
{
	pack_free(b);
	ref_free(r);
}

/* A string as msgpack-c packs it (an empty body is not given to the body
 * packer, which asserts on a NULL body in some sinks). */
static void ref_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	if (n)
		msgpack_pack_str_body(pk, s, n);
}

/* got[0..glen) must be want[0..wlen) byte for byte; what names the case. */
static void assert_same_bytes(const char *got, size_t glen, const char *want, size_t wlen, const char *what)
{
	size_t n = glen < wlen ? glen : wlen;
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %zu is 0x%02x, msgpack-c's is 0x%02x (lengths %zu and %zu)", what, i,
				 (unsigned char)got[i], (unsigned char)want[i], glen, wlen);
	if (glen != wlen)
		fail_msg("%s: %zu bytes, msgpack-c packs %zu", what, glen, wlen);
}

static void assert_same_as_ref(const struct pack *b, const struct ref *r, const char *what)
{
	assert_int_equal(b->nomem, 0);
	assert_int_equal(b->open, 0);
	assert_same_bytes(b->data, b->len, r->sb.data, r->sb.size, what);
}

/* The first place of needle[0..n) in hay[0..len), or NULL. */
static const char *find(const char *hay, size_t len, const char *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* ---- entries, the same both ways ---- */

static void key_name(char *buf, size_t size, uint32_t i)
{
	snprintf(buf, size, "k%u", (unsigned)i);
}

/* Entry i's value: an unsigned int, a negative int or a string, by i. */
static void pack_value(msgpack_packer *pk, uint32_t i)
{
	switch (i % 3) {
	case 0: msgpack_pack_uint32(pk, i); break;
	case 1: msgpack_pack_int64(pk, -(int64_t)i - 1); break;
	default: {
		char s[16];
		snprintf(s, sizeof s, "v%u", (unsigned)i);
		ref_str(pk, s);
	}
	}
}

/* A counted map of n entries, and the same with msgpack_pack_map(n). */
static void counted_map(msgpack_packer *pk, uint32_t n)
{
	struct pack_map m;
	char key[16];

	pack_map_begin(&m, pk);
	for (uint32_t i = 0; i < n; i++) {
		key_name(key, sizeof key, i);
		pack_key(&m, key);
		pack_value(pack_map_packer(&m), i);
	}
	assert_int_equal(m.n, n);
	pack_map_end(&m);
}

static void declared_map(msgpack_packer *pk, uint32_t n)
{
	char key[16];

	msgpack_pack_map(pk, n);
	for (uint32_t i = 0; i < n; i++) {
		key_name(key, sizeof key, i);
		ref_str(pk, key);
		pack_value(pk, i);
	}
}

/* ---- map sizes at the header boundaries ---- */

static void test_map_sizes(void **state)
{
	(void)state;
	static const uint32_t sizes[] = {0, 1, 2, 15, 16, 17, 255, 256, 65535, 65536, 65537};
	/* the header bytes, written down from the MessagePack spec */
	static const struct {
		uint32_t n;
		size_t width;
		unsigned char head[5];
	} heads[] = {
		{0, 1, {0x80}},
		{1, 1, {0x81}},
		{15, 1, {0x8f}},
		{16, 3, {0xde, 0x00, 0x10}},
		{65535, 3, {0xde, 0xff, 0xff}},
		{65536, 5, {0xdf, 0x00, 0x01, 0x00, 0x00}},
	};

	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		struct pack b;
		struct ref r;
		char what[64];
		msgpack_unpacked u;

		snprintf(what, sizeof what, "a map of %u entries", (unsigned)sizes[k]);
		both_init(&b, &r);
		counted_map(pack_packer(&b), sizes[k]);
		declared_map(&r.pk, sizes[k]);
		assert_same_as_ref(&b, &r, what);

		const msgpack_object *o = unpack_whole(&u, b.data, b.len);
		assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
		if (o->via.map.size != sizes[k])
			fail_msg("%s: msgpack_unpack_next sees %u entries", what, (unsigned)o->via.map.size);
		if (sizes[k]) { /* the last entry is the last one packed */
			char key[16];
			const msgpack_object_kv *kv = &o->via.map.ptr[sizes[k] - 1];
			key_name(key, sizeof key, sizes[k] - 1);
			assert_int_equal(kv->key.type, MSGPACK_OBJECT_STR);
			assert_int_equal(kv->key.via.str.size, strlen(key));
			assert_memory_equal(kv->key.via.str.ptr, key, strlen(key));
		}
		msgpack_unpacked_destroy(&u);

		for (size_t h = 0; h < sizeof heads / sizeof *heads; h++)
			if (heads[h].n == sizes[k]) {
				assert_true(b.len >= heads[h].width);
				assert_memory_equal(b.data, heads[h].head, heads[h].width);
			}
		both_free(&b, &r);
	}
}

/* Entries packed with other msgpack-c calls inside a counted map (arrays,
 * nil, floats) count once each, whatever their size. */
static void test_map_with_containers(void **state)
{
	(void)state;
	struct pack b;
	struct ref r;
	struct pack_map m;

	msgpack_packer *pk = both_init(&b, &r);
	pack_map_begin(&m, pk);
	for (int i = 0; i < 20; i++) {
		char key[16];
		snprintf(key, sizeof key, "a%d", i);
		pack_key(&m, key);
		msgpack_pack_array(pk, (size_t)i);
		for (int j = 0; j < i; j++)
			msgpack_pack_double(pk, j * 0.5);
	}
	pack_key(&m, "nil");
	msgpack_pack_nil(pk);
	pack_map_end(&m);

	msgpack_pack_map(&r.pk, 21);
	for (int i = 0; i < 20; i++) {
		char key[16];
		snprintf(key, sizeof key, "a%d", i);
		ref_str(&r.pk, key);
		msgpack_pack_array(&r.pk, (size_t)i);
		for (int j = 0; j < i; j++)
			msgpack_pack_double(&r.pk, j * 0.5);
	}
	ref_str(&r.pk, "nil");
	msgpack_pack_nil(&r.pk);
	assert_same_as_ref(&b, &r, "21 entries with arrays");

	msgpack_unpacked u;
	const msgpack_object *o = unpack_whole(&u, b.data, b.len);
	assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(o->via.map.size, 21);
	assert_int_equal(o->via.map.ptr[19].val.via.array.size, 19);
	assert_int_equal(o->via.map.ptr[20].val.type, MSGPACK_OBJECT_NIL);
	msgpack_unpacked_destroy(&u);
	both_free(&b, &r);
}

/* ---- nested maps ---- */

/* outer (18 entries: map 16) holding, at entry 2, a map of 16 entries
 * (map 16) whose entry 3 is a fixmap of 15 and entry 9 a map of 1;
 * at entry 7, a map of 65536 (map 32); at entry 12, an empty map; and
 * after it, two more top-level maps in the same buffer, one of 17 and
 * one of 3. Every widening moves bytes that other maps' headers sit
 * before or after. */
static void nested_counted(msgpack_packer *pk)
{
	struct pack_map outer, mid, in, big, empty;
	char key[16];

	pack_map_begin(&outer, pk);
	for (uint32_t i = 0; i < 18; i++) {
		key_name(key, sizeof key, i);
		pack_key(&outer, key);
		if (i == 2) {
			pack_map_begin(&mid, pk);
			for (uint32_t j = 0; j < 16; j++) {
				key_name(key, sizeof key, j);
				pack_key(&mid, key);
				if (j == 3) {
					pack_map_begin(&in, pk);
					for (uint32_t k = 0; k < 15; k++) {
						key_name(key, sizeof key, k);
						pack_key(&in, key);
						pack_value(pk, k);
					}
					pack_map_end(&in);
				} else if (j == 9) {
					counted_map(pk, 1);
				} else {
					pack_value(pk, j);
				}
			}
			assert_int_equal(pk == pack_map_packer(&mid), 1);
			pack_map_end(&mid);
		} else if (i == 7) {
			pack_map_begin(&big, pk);
			for (uint32_t j = 0; j < 65536; j++) {
				key_name(key, sizeof key, j);
				pack_key(&big, key);
				pack_value(pk, j);
			}
			pack_map_end(&big);
		} else if (i == 12) {
			pack_map_begin(&empty, pk);
			pack_map_end(&empty);
		} else {
			pack_value(pk, i);
		}
	}
	pack_map_end(&outer);
	counted_map(pk, 17);
	counted_map(pk, 3);
}

static void nested_declared(msgpack_packer *pk)
{
	char key[16];

	msgpack_pack_map(pk, 18);
	for (uint32_t i = 0; i < 18; i++) {
		key_name(key, sizeof key, i);
		ref_str(pk, key);
		if (i == 2) {
			msgpack_pack_map(pk, 16);
			for (uint32_t j = 0; j < 16; j++) {
				key_name(key, sizeof key, j);
				ref_str(pk, key);
				if (j == 3)
					declared_map(pk, 15);
				else if (j == 9)
					declared_map(pk, 1);
				else
					pack_value(pk, j);
			}
		} else if (i == 7) {
			declared_map(pk, 65536);
		} else if (i == 12) {
			msgpack_pack_map(pk, 0);
		} else {
			pack_value(pk, i);
		}
	}
	declared_map(pk, 17);
	declared_map(pk, 3);
}

static void test_nested(void **state)
{
	(void)state;
	struct pack b;
	struct ref r;
	msgpack_unpacked u;
	size_t off = 0;

	both_init(&b, &r);
	nested_counted(pack_packer(&b));
	nested_declared(&r.pk);
	assert_same_as_ref(&b, &r, "nested maps");
	/* the outer header is map 16 (18 entries), the one of entry 2 too */
	assert_memory_equal(b.data, "\xde\x00\x12", 3);

	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
	const msgpack_object *o = &u.data;
	assert_int_equal(o->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(o->via.map.size, 18);
	const msgpack_object *mid = &o->via.map.ptr[2].val;
	assert_int_equal(mid->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(mid->via.map.size, 16);
	assert_int_equal(mid->via.map.ptr[3].val.type, MSGPACK_OBJECT_MAP);
	assert_int_equal(mid->via.map.ptr[3].val.via.map.size, 15);
	assert_int_equal(mid->via.map.ptr[9].val.via.map.size, 1);
	assert_int_equal(o->via.map.ptr[7].val.type, MSGPACK_OBJECT_MAP);
	assert_int_equal(o->via.map.ptr[7].val.via.map.size, 65536);
	assert_int_equal(o->via.map.ptr[12].val.type, MSGPACK_OBJECT_MAP);
	assert_int_equal(o->via.map.ptr[12].val.via.map.size, 0);
	/* entry 17 of the outer map, after every widening */
	assert_int_equal(o->via.map.ptr[16].val.type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(o->via.map.ptr[16].val.via.i64, -17);
	assert_int_equal(o->via.map.ptr[17].val.type, MSGPACK_OBJECT_STR);
	assert_int_equal(o->via.map.ptr[17].val.via.str.size, 3);
	assert_memory_equal(o->via.map.ptr[17].val.via.str.ptr, "v17", 3);
	/* then the two maps that follow */
	assert_int_equal(msgpack_unpack_next(&u, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(u.data.via.map.size, 17);
	assert_int_equal(msgpack_unpack_next(&u, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(u.data.via.map.size, 3);
	assert_int_equal(off, b.len);
	msgpack_unpacked_destroy(&u);
	both_free(&b, &r);
}

/* A counted map inside an array, and maps inside a counted map's array. */
static void test_maps_in_arrays(void **state)
{
	(void)state;
	struct pack b;
	struct ref r;
	struct pack_map m;

	msgpack_packer *pk = both_init(&b, &r);
	msgpack_pack_array(pk, 3);
	counted_map(pk, 16);
	pack_map_begin(&m, pk);
	pack_key(&m, "list");
	msgpack_pack_array(pk, 2);
	counted_map(pk, 20);
	counted_map(pk, 0);
	pack_map_end(&m);
	counted_map(pk, 2);

	msgpack_pack_array(&r.pk, 3);
	declared_map(&r.pk, 16);
	msgpack_pack_map(&r.pk, 1);
	ref_str(&r.pk, "list");
	msgpack_pack_array(&r.pk, 2);
	declared_map(&r.pk, 20);
	declared_map(&r.pk, 0);
	declared_map(&r.pk, 2);
	assert_same_as_ref(&b, &r, "maps in arrays");
	both_free(&b, &r);
}

/* ---- values and whole entries ---- */

static void test_kv_helpers(void **state)
{
	(void)state;
	struct pack b;
	struct ref r, obj;
	struct pack_map m;
	msgpack_unpacked u;
	static const double xs[] = {0.5, -1e300, 3};
	static const char long_str[] = "a string of more than thirty-one bytes, so str 8";

	/* an object to pass on as it was: {"id": [1, -2, "x", nil, 1.5]} */
	ref_init(&obj);
	msgpack_pack_map(&obj.pk, 1);
	ref_str(&obj.pk, "id");
	msgpack_pack_array(&obj.pk, 5);
	msgpack_pack_int(&obj.pk, 1);
	msgpack_pack_int(&obj.pk, -2);
	ref_str(&obj.pk, "x");
	msgpack_pack_nil(&obj.pk);
	msgpack_pack_double(&obj.pk, 1.5);
	const msgpack_object *o = unpack_whole(&u, obj.sb.data, obj.sb.size);

	pack_init(&b);
	pack_map_begin(&m, pack_packer(&b));
	pack_kv_double(&m, "d", 2.5);
	pack_kv_double(&m, "d0", -0.0);
	pack_kv_double(&m, "nan", NAN);
	pack_kv_double(&m, "inf", -INFINITY);
	pack_kv_long(&m, "l0", 0);
	pack_kv_long(&m, "l127", 127);
	pack_kv_long(&m, "l128", 128);
	pack_kv_long(&m, "l-1", -1);
	pack_kv_long(&m, "l-33", -33);
	pack_kv_long(&m, "lmax", LONG_MAX);
	pack_kv_long(&m, "lmin", LONG_MIN);
	pack_kv_str(&m, "s", "abc");
	pack_kv_str(&m, "empty", "");
	pack_kv_str(&m, "long", long_str);
	pack_kv_numbers(&m, "xs", xs, 3);
	pack_kv_numbers(&m, "none", xs, 0);
	pack_kv_bool(&m, "t", 1);
	pack_kv_bool(&m, "f", 0);
	pack_kv_bool(&m, "seven", 7);
	pack_kv_object(&m, "obj", o);
	pack_kv_object(&m, "id", &o->via.map.ptr[0].val);
	pack_map_end(&m);

	ref_init(&r);
	msgpack_packer *pk = &r.pk;
	msgpack_pack_map(pk, 21);
	ref_str(pk, "d");
	msgpack_pack_double(pk, 2.5);
	ref_str(pk, "d0");
	msgpack_pack_double(pk, -0.0);
	ref_str(pk, "nan");
	msgpack_pack_double(pk, NAN);
	ref_str(pk, "inf");
	msgpack_pack_double(pk, -INFINITY);
	ref_str(pk, "l0");
	msgpack_pack_long(pk, 0);
	ref_str(pk, "l127");
	msgpack_pack_long(pk, 127);
	ref_str(pk, "l128");
	msgpack_pack_long(pk, 128);
	ref_str(pk, "l-1");
	msgpack_pack_long(pk, -1);
	ref_str(pk, "l-33");
	msgpack_pack_long(pk, -33);
	ref_str(pk, "lmax");
	msgpack_pack_long(pk, LONG_MAX);
	ref_str(pk, "lmin");
	msgpack_pack_long(pk, LONG_MIN);
	ref_str(pk, "s");
	msgpack_pack_str(pk, 3);
	msgpack_pack_str_body(pk, "abc", 3);
	ref_str(pk, "empty");
	msgpack_pack_str(pk, 0);
	ref_str(pk, "long");
	msgpack_pack_str(pk, strlen(long_str));
	msgpack_pack_str_body(pk, long_str, strlen(long_str));
	ref_str(pk, "xs");
	msgpack_pack_array(pk, 3);
	for (int i = 0; i < 3; i++)
		msgpack_pack_double(pk, xs[i]);
	ref_str(pk, "none");
	msgpack_pack_array(pk, 0);
	ref_str(pk, "t");
	msgpack_pack_true(pk);
	ref_str(pk, "f");
	msgpack_pack_false(pk);
	ref_str(pk, "seven");
	msgpack_pack_true(pk);
	ref_str(pk, "obj");
	msgpack_pack_object(pk, *o);
	ref_str(pk, "id");
	msgpack_pack_object(pk, o->via.map.ptr[0].val);
	assert_same_as_ref(&b, &r, "pack_kv_* helpers");
	/* 21 entries: map 16 */
	assert_memory_equal(b.data, "\xde\x00\x15", 3);
	/* the object packed as it was: the same bytes as its source */
	const char *at = find(b.data, b.len, "\xa3obj", 4);
	assert_non_null(at);
	assert_true((size_t)(at - b.data) + 4 + obj.sb.size <= b.len);
	assert_memory_equal(at + 4, obj.sb.data, obj.sb.size);

	msgpack_unpacked u2;
	const msgpack_object *back = unpack_whole(&u2, b.data, b.len);
	assert_int_equal(back->type, MSGPACK_OBJECT_MAP);
	assert_int_equal(back->via.map.size, 21);
	assert_true(msgpack_object_equal(back->via.map.ptr[19].val, *o));
	msgpack_unpacked_destroy(&u2);

	msgpack_unpacked_destroy(&u);
	both_free(&b, &r);
	ref_free(&obj);
}

/* pack_str, pack_strs, pack_numbers, pack_bool on their own, through a
 * struct pack and through an sbuffer (they take any packer). */
static void test_values(void **state)
{
	(void)state;
	static const char *const strs[] = {"a", "", "bc"};
	static const double xs[] = {1, 0.1};

	for (int sink = 0; sink < 2; sink++) {
		struct pack b;
		struct ref via, r;

		pack_init(&b);
		ref_init(&via);
		ref_init(&r);
		msgpack_packer *pk = sink ? &via.pk : pack_packer(&b);
		pack_str(pk, "");
		pack_str(pk, "xyz");
		pack_strs(pk, strs, 3);
		pack_strs(pk, strs, 0);
		pack_numbers(pk, xs, 2);
		pack_bool(pk, 0);
		pack_bool(pk, -1);

		msgpack_pack_str(&r.pk, 0);
		msgpack_pack_str(&r.pk, 3);
		msgpack_pack_str_body(&r.pk, "xyz", 3);
		msgpack_pack_array(&r.pk, 3);
		msgpack_pack_str(&r.pk, 1);
		msgpack_pack_str_body(&r.pk, "a", 1);
		msgpack_pack_str(&r.pk, 0);
		msgpack_pack_str(&r.pk, 2);
		msgpack_pack_str_body(&r.pk, "bc", 2);
		msgpack_pack_array(&r.pk, 0);
		msgpack_pack_array(&r.pk, 2);
		msgpack_pack_double(&r.pk, 1);
		msgpack_pack_double(&r.pk, 0.1);
		msgpack_pack_false(&r.pk);
		msgpack_pack_true(&r.pk);

		if (sink)
			assert_same_bytes(via.sb.data, via.sb.size, r.sb.data, r.sb.size, "values into an sbuffer");
		else
			assert_same_as_ref(&b, &r, "values into a struct pack");
		pack_free(&b);
		ref_free(&via);
		ref_free(&r);
	}
}

/* An empty string is one byte, 0xa0 (fixstr of length 0), and unpacks as
 * a string of size 0. */
static void test_empty_string(void **state)
{
	(void)state;
	struct pack b;
	struct ref r;
	msgpack_unpacked u;

	pack_init(&b);
	pack_str(pack_packer(&b), "");
	assert_int_equal(b.len, 1);
	assert_int_equal((unsigned char)b.data[0], 0xa0);
	ref_init(&r);
	msgpack_pack_str(&r.pk, 0);
	assert_same_as_ref(&b, &r, "pack_str(\"\")");
	const msgpack_object *o = unpack_whole(&u, b.data, b.len);
	assert_int_equal(o->type, MSGPACK_OBJECT_STR);
	assert_int_equal(o->via.str.size, 0);
	msgpack_unpacked_destroy(&u);

	/* an empty key counts as an entry */
	struct pack_map m;
	pack_clear(&b);
	pack_map_begin(&m, pack_packer(&b));
	pack_key(&m, "");
	pack_str(pack_packer(&b), "");
	pack_map_end(&m);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "\x81\xa0\xa0", 3);
	both_free(&b, &r);
}

/* ---- the buffer's life ---- */

static void test_release(void **state)
{
	(void)state;
	struct pack b;
	struct ref r;
	size_t len = 12345;

	/* empty: NULL, length 0 */
	pack_init(&b);
	assert_null(pack_release(&b, &len));
	assert_int_equal(len, 0);

	/* bytes: the caller's, b left empty */
	ref_init(&r);
	counted_map(pack_packer(&b), 20);
	declared_map(&r.pk, 20);
	char *d = pack_release(&b, &len);
	assert_non_null(d);
	assert_same_bytes(d, len, r.sb.data, r.sb.size, "released bytes");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(d);

	/* b packs again after a release, from the start */
	counted_map(pack_packer(&b), 20);
	assert_same_as_ref(&b, &r, "packed after a release");

	/* memory but no bytes (cleared): NULL, and the memory is freed
	 * (valgrind would see it leak) */
	pack_clear(&b);
	assert_non_null(b.data);
	len = 99;
	assert_null(pack_release(&b, &len));
	assert_int_equal(len, 0);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
	both_free(&b, &r);
}

static void test_clear(void **state)
{
	(void)state;
	struct pack b;
	struct ref r;

	both_init(&b, &r);
	counted_map(pack_packer(&b), 300);
	char *data = b.data;
	size_t cap = b.cap;
	assert_true(b.len > 0);
	pack_clear(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data); /* the memory is kept */
	assert_int_equal(b.cap, cap);
	counted_map(pack_packer(&b), 16);
	declared_map(&r.pk, 16);
	assert_same_as_ref(&b, &r, "packed after a clear");
	assert_ptr_equal(b.data, data);
	both_free(&b, &r);
}

/* A zeroed struct pack is safe to free, and so is a freed one, again and
 * again; each is then as after pack_init (its packer writes into it). */
static void test_free_twice(void **state)
{
	(void)state;
	struct pack z;
	struct ref r;

	memset(&z, 0, sizeof z);
	pack_free(&z);
	pack_free(&z);
	assert_null(z.data);
	assert_int_equal(z.len, 0);
	assert_int_equal(z.cap, 0);
	assert_int_equal(z.nomem, 0);
	assert_int_equal(z.open, 0);
	assert_ptr_equal(z.pk.data, &z);
	assert_true(z.pk.callback == pack_append);

	ref_init(&r);
	counted_map(pack_packer(&z), 16);
	declared_map(&r.pk, 16);
	assert_same_as_ref(&z, &r, "packed after freeing a zeroed struct");
	pack_free(&z);
	assert_null(z.data);
	assert_int_equal(z.len, 0);
	pack_free(&z);
	assert_null(z.data);
	ref_free(&r);
}

/* nomem, once set, refuses every later append, survives pack_clear, makes
 * pack_release return NULL; a counted map on such a buffer leaves it as
 * it was; pack_free resets it. */
static void check_sticky(struct pack *b, const char *before, size_t n)
{
	size_t len = 1;

	assert_int_equal(b->nomem, 1);
	/* a small append fails, though memory is there */
	assert_int_equal(pack_append(b, "abc", 3), -1);
	assert_int_equal(msgpack_pack_int(pack_packer(b), 5), -1);
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, before, n);
	/* a counted map (widened or not) changes nothing */
	counted_map(pack_packer(b), 3);
	counted_map(pack_packer(b), 40);
	assert_int_equal(b->open, 0);
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, before, n);
	assert_int_equal(b->nomem, 1);
	/* release, with bytes there: NULL (they are incomplete), and the
	 * memory is freed */
	assert_true(b->len > 0);
	assert_null(pack_release(b, &len));
	assert_int_equal(len, 0);
	assert_null(b->data);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->nomem, 1);
	assert_int_equal(pack_append(b, "x", 1), -1);
	assert_int_equal(b->len, 0);
	/* clear keeps it */
	pack_clear(b);
	assert_int_equal(b->len, 0);
	assert_int_equal(b->nomem, 1);
	assert_int_equal(pack_append(b, "x", 1), -1);
	assert_int_equal(b->len, 0);
	/* free resets it */
	pack_free(b);
	assert_int_equal(b->nomem, 0);
	assert_int_equal(pack_append(b, "x", 1), 0);
	assert_int_equal(b->len, 1);
	assert_int_equal(b->data[0], 'x');
	pack_free(b);
}

static void test_nomem_sticky(void **state)
{
	(void)state;
	struct pack b;
	char before[64];

	/* set by hand, after some bytes */
	pack_init(&b);
	counted_map(pack_packer(&b), 2);
	assert_true(b.len < sizeof before);
	size_t n = b.len;
	memcpy(before, b.data, n);
	b.nomem = 1;
	check_sticky(&b, before, n);

	/* a real allocation failure: 2^60 bytes more (the buffer would grow
	 * to 2^61, beyond any address space) cannot be had, so realloc
	 * returns NULL; nothing is copied */
	if (SANITIZED)
		return;
	pack_init(&b);
	counted_map(pack_packer(&b), 2);
	assert_int_equal(b.len, n);
	assert_int_equal(pack_append(&b, before, (size_t)1 << 60), -1);
	assert_int_equal(b.nomem, 1);
	check_sticky(&b, before, n);
}

/* ---- misuse aborts ---- */

enum { MISUSE_FOREIGN_PACKER, MISUSE_END_UNBEGUN, MISUSE_CLEAR_OPEN };

static void misuse(int how)
{
	struct pack b;
	struct pack_map m;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	switch (how) {
	case MISUSE_FOREIGN_PACKER:
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		pack_map_begin(&m, &pk);
		break;
	case MISUSE_END_UNBEGUN:
		pack_init(&b);
		m.b = &b;
		m.at = 0;
		m.n = 0;
		pack_map_end(&m);
		break;
	case MISUSE_CLEAR_OPEN:
		pack_init(&b);
		pack_map_begin(&m, pack_packer(&b));
		pack_clear(&b);
		break;
	}
}

/* Run misuse(how) in a child, its stderr into a pipe: it must die by
 * SIGABRT, having said "internal error" and what. */
static void expect_abort(int how, const char *what)
{
	int fds[2];
	char msg[512];
	size_t n = 0;
	ssize_t k;
	int status;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		close(fds[1]);
		misuse(how);
		_exit(0); /* not reached when it aborts */
	}
	close(fds[1]);
	while (n < sizeof msg - 1 && (k = read(fds[0], msg + n, sizeof msg - 1 - n)) > 0)
		n += (size_t)k;
	msg[n] = 0;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("%s: the child was not killed by SIGABRT (status 0x%x; stderr \"%s\")", what, status, msg);
	if (!strstr(msg, "internal error"))
		fail_msg("%s: stderr \"%s\" does not say \"internal error\"", what, msg);
	if (!strstr(msg, what))
		fail_msg("%s: stderr \"%s\" does not say what", what, msg);
}

static void test_misuse_aborts(void **state)
{
	(void)state;
	expect_abort(MISUSE_FOREIGN_PACKER, "does not write into a struct pack");
	expect_abort(MISUSE_END_UNBEGUN, "a map ended that was not begun");
	expect_abort(MISUSE_CLEAR_OPEN, "cleared inside an open map");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_sizes),
		cmocka_unit_test(test_map_with_containers),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_maps_in_arrays),
		cmocka_unit_test(test_kv_helpers),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_empty_string),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_free_twice),
		cmocka_unit_test(test_nomem_sticky),
		cmocka_unit_test(test_misuse_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
