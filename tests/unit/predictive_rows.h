/*
 * predictive_rows: a predictive stream (predictive.h; man/biofilter-
 * stream.5, kind "predictive") read back, record by record, into rows of
 * two species: the record's keys in order, its level, step and t, and its
 * numbers (mean, sd, sd_tsm, lower, upper, sd_data when there, phi_mean,
 * phi_sd, psi_mean, psi_sd), every one of which must be there and be
 * finite; and the level names its header lists. Include after cmocka.h.
 */
#ifndef BF_TEST_PREDICTIVE_ROWS_H
#define BF_TEST_PREDICTIVE_ROWS_H

#include <stdio.h>
#include <string.h>

#include "stream.h"

#include "objects.h"
#include "streams.h"

struct predictive_row {
	char keys[256];
	char level[64];
	long step;
	double t;
	double mean[2], sd[2], sd_tsm[2], lower[2], upper[2], sd_data[2];
	double phi_mean[2], phi_sd[2], psi_mean[2], psi_sd[2];
	int has_sd_data;
};

static inline void predictive_numbers(const struct stream_reader *r, const msgpack_object *rec, const char *key,
				      double *out)
{
	struct err e = {0};
	if (stream_field_numbers(r, rec, key, out, 2, &e))
		fail_msg("%s", e.msg);
}

/* The records of the predictive stream at path into rows (at most max),
 * and, when names is not NULL, the header's level names (at most
 * max_names) and their number; returns the number of records. */
static inline int predictive_rows(const char *path, struct predictive_row *rows, int max, char names[][64],
				  int max_names, int *n_names)
{
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;
	int n = 0, rc;

	reader_open_ok(&r, path);
	while ((rc = stream_reader_next(&r, &rec, &e)) == STREAM_RECORD) {
		struct predictive_row *x = &rows[n];
		assert_true(n < max);
		memset(x, 0, sizeof *x);
		map_keys(rec, x->keys, sizeof x->keys);
		const msgpack_object *lv = map_field(rec, "level");
		assert_int_equal(lv->type, MSGPACK_OBJECT_STR);
		snprintf(x->level, sizeof x->level, "%.*s", (int)lv->via.str.size, lv->via.str.ptr);
		double step;
		if (stream_field_number(&r, rec, "step", &step, &e) || stream_field_number(&r, rec, "t", &x->t, &e))
			fail_msg("%s", e.msg);
		x->step = (long)step;
		predictive_numbers(&r, rec, "mean", x->mean);
		predictive_numbers(&r, rec, "sd", x->sd);
		predictive_numbers(&r, rec, "sd_tsm", x->sd_tsm);
		predictive_numbers(&r, rec, "lower", x->lower);
		predictive_numbers(&r, rec, "upper", x->upper);
		predictive_numbers(&r, rec, "phi_mean", x->phi_mean);
		predictive_numbers(&r, rec, "phi_sd", x->phi_sd);
		predictive_numbers(&r, rec, "psi_mean", x->psi_mean);
		predictive_numbers(&r, rec, "psi_sd", x->psi_sd);
		if ((x->has_sd_data = stream_map_get(rec, "sd_data") != NULL))
			predictive_numbers(&r, rec, "sd_data", x->sd_data);
		n++;
	}
	if (rc < 0)
		fail_msg("%s: %s", path, e.msg);
	if (names) {
		const msgpack_object *h = stream_reader_header(&r), *levels;
		assert_non_null(h);
		assert_true(stream_object_is_str(stream_map_get(h, "kind"), "predictive"));
		levels = map_field(h, "levels");
		*n_names = (int)levels->via.array.size;
		assert_true(*n_names <= max_names);
		for (int k = 0; k < *n_names; k++) {
			const msgpack_object *nm = stream_map_get(&levels->via.array.ptr[k], "name");
			snprintf(names[k], 64, "%.*s", (int)nm->via.str.size, nm->via.str.ptr);
		}
	}
	stream_reader_free(&r);
	return n;
}

#endif
