/*
 * table: tab-separated rows of chosen record fields, for awk and gnuplot.
 *
 * A field is a key, or a dotted path into nested maps ("state.phi0"); a key
 * that itself contains dots is found first. Arrays are spread into
 * columns, nested arrays row by row ([[1,2],[3,4]] gives 1 2 3 4). Numbers
 * print in the shortest form that reads back exactly; strings as they are,
 * with tabs and newlines turned into spaces; maps as JSON; a missing field
 * is one empty cell.
 */
#ifndef BF_TABLE_H
#define BF_TABLE_H

#include <msgpack.h>

#include "mpjson.h"

/* One row (ending in a newline). Returns 0 or -1 (the sink failed). */
int table_print_row(const msgpack_object *rec, char *const *fields, int n, mpjson_write_fn write, void *data);

/* A header line "# f1 f2[0] f2[1] ..." naming the columns of rec's row. */
int table_print_header(const msgpack_object *rec, char *const *fields, int n, mpjson_write_fn write,
		       void *data);

/* The value at a field path, or NULL. */
const msgpack_object *table_lookup(const msgpack_object *rec, const char *field);

#endif
