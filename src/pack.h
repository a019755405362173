/*
 * pack: MessagePack packed into a growable buffer, with maps that count
 * their own entries.
 *
 * msgpack-c wants a map's size before its entries, and a size counted by
 * hand (`msgpack_pack_map(pk, ok ? 8 + jacobian : 4)`) goes wrong silently
 * when a field is added: the stream is then corrupt from that record on.
 * Here a map is begun with pack_map_begin, which reserves a one-byte
 * header; each entry is begun with pack_key (or written whole by a
 * pack_kv_* helper), which counts it; pack_map_end writes the count into
 * the header, widening it in place when there are 16 entries or more. The
 * bytes are exactly msgpack_pack_map's: fixmap below 16 entries, map 16
 * below 65536, map 32 above.
 *
 * Invariants: a packer given to pack_map_begin writes into a struct pack
 * (pack_packer's, or a stream writer's), checked at run time, since
 * patching a header needs the bytes; the bytes of an open map stay in the
 * buffer until its end, so its owner must not hand them on while
 * `open` is non-zero (stream_writer_flush checks); an allocation failure
 * is sticky (`nomem`) and reported by the owner; array sizes are passed as
 * they are, since they come from the data's own lengths.
 */
#ifndef BF_PACK_H
#define BF_PACK_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

struct pack {
	char *data;
	size_t len, cap;
	int nomem;           /* an allocation failed: the bytes are incomplete */
	int open;            /* maps begun and not yet ended */
	msgpack_packer pk;   /* writes into this buffer (pack_init) */
};

/* An empty buffer whose packer appends to it. The packer points into b,
 * so b must not be moved or copied afterwards. */
void pack_init(struct pack *b);
/* Free the memory; b is then as after pack_init (safe to free again). */
void pack_free(struct pack *b);
/* Forget the bytes, keep the memory (and a sticky nomem). */
void pack_clear(struct pack *b);
/* Take the bytes (malloc'ed, *len long; NULL when empty or after an
 * allocation failure); b is left empty. */
char *pack_release(struct pack *b, size_t *len);
static inline msgpack_packer *pack_packer(struct pack *b) { return &b->pk; }
/* The packer's sink: append len bytes; 0, or -1 with nomem set. */
int pack_append(void *b, const char *buf, size_t len);

/* A map being packed: entries are counted, not declared. */
struct pack_map {
	struct pack *b;
	size_t at;           /* offset of the reserved header byte */
	uint32_t n;          /* entries so far */
};
void pack_map_begin(struct pack_map *m, msgpack_packer *pk);
/* Begin an entry: its key; pack the value next, with m's packer. */
void pack_key(struct pack_map *m, const char *key);
void pack_map_end(struct pack_map *m);
static inline msgpack_packer *pack_map_packer(const struct pack_map *m) { return &m->b->pk; }

/* Values. A string may be empty (msgpack-c's body packer refuses an
 * empty body through some sinks, so none is written). */
void pack_str(msgpack_packer *pk, const char *s);
void pack_strs(msgpack_packer *pk, const char *const *s, int n);
void pack_numbers(msgpack_packer *pk, const double *x, size_t n);
void pack_bool(msgpack_packer *pk, int v);

/* Whole entries: the key, then the value. */
void pack_kv_double(struct pack_map *m, const char *key, double x);
void pack_kv_long(struct pack_map *m, const char *key, long x);
void pack_kv_str(struct pack_map *m, const char *key, const char *s);
void pack_kv_numbers(struct pack_map *m, const char *key, const double *x, size_t n);
void pack_kv_bool(struct pack_map *m, const char *key, int v);
/* A value read from a stream (a record's id), packed as it was. */
void pack_kv_object(struct pack_map *m, const char *key, const msgpack_object *o);

/* A struct's numeric fields as map entries, in a table: the key, the
 * field's offset, and whether it is a count (a long) or a double. */
struct pack_field {
	const char *key;
	size_t off;
	int count;
};
/* Pack the n fields f of the struct at base into m; with skip_absent, a
 * negative count or a NaN double is left out. */
void pack_fields(struct pack_map *m, const void *base, const struct pack_field *f, size_t n, int skip_absent);

#endif
