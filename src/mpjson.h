/*
 * mpjson: between MessagePack objects and JSON text.
 *
 * JSON has no NaN or infinities; biofilter writes them as the bare tokens
 * NaN, Infinity and -Infinity (as Python's json module does) and reads them
 * back. Floats are printed in the shortest form that reads back to the same
 * double, always with a '.' or an exponent, so a float stays a float
 * through JSON and back; integers stay integers.
 */
#ifndef BF_MPJSON_H
#define BF_MPJSON_H

#include <jansson.h>
#include <msgpack.h>

#include "err.h"
#include "pack.h"

/* A byte sink, the signature of msgpack's packer callback: 0 or -1. */
typedef int (*mpjson_write_fn)(void *data, const char *buf, size_t len);

/* Print o as one line of JSON (no newline). Returns 0 or -1 (sink failed). */
int mpjson_print(const msgpack_object *o, mpjson_write_fn write, void *data);

/* Format a double as mpjson_print does, into buf (at least 32 bytes). */
void mpjson_format_double(char *buf, size_t size, double x);

/* Parse one line of JSON text (with the NaN/Infinity extension) into a new
 * jansson value. `where` names the line in messages. */
BF_RESULT int mpjson_parse(const char *text, size_t len, json_t **out, const char *where, struct err *e);

/* Load a JSON file (model, prior, plan, spec): duplicate keys are refused;
 * errors name the file and the line ("m.json: line 3: ..."), and a
 * directory is said not to be `what` ("a model file"). */
BF_RESULT int mpjson_load_file(const char *path, const char *what, json_t **out, struct err *e);

/* Keys of JSON objects (model and plan files), with errors that name the
 * key: "m.json: unknown key 'dtt'", "m.json: missing key 'dt'". */
BF_RESULT int mpjson_check_keys(const json_t *obj, const char *const *known, const char *where,
				struct err *e);
/* A finite number; when absent, dflt unless required. */
BF_RESULT int mpjson_get_number(const json_t *obj, const char *key, const char *where, int required,
				double dflt, double *out, struct err *e);
/* An integer in [lo, hi] (a float with an integer value is accepted). */
BF_RESULT int mpjson_get_int(const json_t *obj, const char *key, const char *where, int required, int dflt,
			     long lo, long hi, int *out, struct err *e);

/* Pack a jansson value. */
void mpjson_pack(msgpack_packer *pk, const json_t *j);
/* Write the one MessagePack object packed in b as a line of JSON to path
 * ("-" or NULL: stdout), atomically (outfile.h): model and prior files
 * that programs make, --phases documents. */
BF_RESULT int mpjson_write_file(const char *path, const struct pack *b, struct err *e);
/* The same for a jansson value. */
BF_RESULT int mpjson_write_json_file(const char *path, const json_t *j, struct err *e);

#endif
