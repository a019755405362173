/*
 * table: tab-separated rows of chosen record fields, for awk and gnuplot.
 *
 * A field is a key, or a dotted path into nested maps ("state.phi0"); a key
 * that itself contains dots is found first. A field that starts with '^'
 * is looked up in the header of the stream (or section) the record belongs
 * to ("^level"), so records can be labelled by what their header says.
 *
 * Arrays are spread into columns, nested arrays row by row ([[1,2],[3,4]]
 * gives 1 2 3 4). One path segment of a field may end in "[]": the field
 * is then iterated, like jq's .[]; the record gives one row per element
 * of that array, and every iterated field of the row takes its element
 * at the same index ("step[] t[] state.phi[]" turns a trajectory into a
 * row per step; "history[].beta" a header's list of maps into a row per
 * entry). The iterated arrays of a record must have one length; the
 * other fields repeat on every row. A record with empty iterated arrays
 * gives no row.
 *
 * Numbers print in the shortest form that reads back exactly; strings as
 * they are, with tabs and newlines turned into spaces; maps as JSON; nil,
 * and a missing field, is one empty cell.
 */
#ifndef BF_TABLE_H
#define BF_TABLE_H

#include <stddef.h>

#include <msgpack.h>

#include "mpjson.h"

/* The rows of rec (each ending in a newline), fields looked up in rec, or
 * in header (may be NULL) for '^' fields. Returns 0, -1 when the sink
 * failed, or 1 when the record does not fit the fields (an iterated field
 * that is not an array, or iterated arrays of different lengths): nothing
 * is printed and why says what, e.g. "'t[]' has 6 elements, 'step[]' 5". */
int table_print_rows(const msgpack_object *rec, const msgpack_object *header, char *const *fields, int n,
		     mpjson_write_fn write, void *data, char *why, size_t why_size);

/* A header line "# f1 f2[0] f2[1] ..." naming the columns of rec's first
 * row (as table_print_rows would print it). Returns 0 or -1. */
int table_print_header(const msgpack_object *rec, const msgpack_object *header, char *const *fields, int n,
		       mpjson_write_fn write, void *data);

/* The value at a field path (no '^', no "[]"), or NULL. */
const msgpack_object *table_lookup(const msgpack_object *rec, const char *field);

#endif
