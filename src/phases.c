/*
 * phases: the --phases document (see phases.h).
 */
#include "phases.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "mpjson.h"
#include "pack.h"
#include "version.h"

/* The shape's fields, in the document's order. */
static const struct pack_field shape_fields[] = {
	{"threads", offsetof(struct phases_shape, threads), 1},
	{"levels", offsetof(struct phases_shape, levels), 1},
	{"samples", offsetof(struct phases_shape, samples), 1},
	{"policies", offsetof(struct phases_shape, policies), 1},
	{"stage", offsetof(struct phases_shape, stage), 1},
	{"beta", offsetof(struct phases_shape, beta), 0},
	{"acceptance", offsetof(struct phases_shape, acceptance), 0},
	{"chain_steps", offsetof(struct phases_shape, chain_steps), 1},
};
#define SHAPE_FIELDS (sizeof shape_fields / sizeof *shape_fields)

static long *shape_long(struct phases_shape *s, size_t k)
{
	return (long *)((char *)s + shape_fields[k].off);
}

static double *shape_double(struct phases_shape *s, size_t k)
{
	return (double *)((char *)s + shape_fields[k].off);
}

void phases_shape_init(struct phases_shape *s)
{
	for (size_t k = 0; k < SHAPE_FIELDS; k++) {
		if (shape_fields[k].count)
			*shape_long(s, k) = -1;
		else
			*shape_double(s, k) = NAN;
	}
}

void phases_init(struct phases *ph)
{
	memset(ph, 0, sizeof *ph);
	phases_shape_init(&ph->shape);
}

int phases_write(struct meter *m, int n, const char *path, const char *prog, const struct phases_shape *shape,
		 struct err *e)
{
	struct meter_report r;
	struct pack b;
	struct pack_map doc, map, one;

	meter_report(m, n, &r);
	pack_init(&b);
	msgpack_packer *pk = pack_packer(&b);
	pack_map_begin(&doc, pk);
	pack_kv_str(&doc, "program", prog);
	pack_kv_str(&doc, "version", BIOFILTER_VERSION);
	pack_kv_double(&doc, "wall_seconds", r.wall_seconds);
	pack_kv_double(&doc, "timer_overhead_ns", r.timer_overhead_ns);
	pack_kv_double(&doc, "timer_seconds", r.timer_seconds);
	pack_key(&doc, "phases");
	pack_map_begin(&map, pk);
	for (int p = 0; p < METER_PHASES; p++) {
		if (!m->laps[p])
			continue;
		pack_key(&map, meter_phase_name(p));
		pack_map_begin(&one, pk);
		pack_kv_double(&one, "seconds", r.seconds[p]);
		pack_kv_long(&one, "laps", m->laps[p]);
		pack_map_end(&one);
	}
	pack_map_end(&map);
	pack_key(&doc, "counters");
	pack_map_begin(&map, pk);
	for (int c = 0; c < METER_COUNTERS; c++)
		pack_kv_long(&map, meter_counter_name(c), m->count[c]);
	pack_map_end(&map);
	pack_kv_long(&doc, "peak_rss_kib", r.peak_rss_kib);
	if (shape)
		pack_fields(&doc, shape, shape_fields, SHAPE_FIELDS, 1);
	pack_map_end(&doc);
	int rc = mpjson_write_file(path, &b, e);
	pack_free(&b);
	return rc;
}

static void copy_string(char *dst, size_t size, const json_t *j)
{
	const char *s = json_string_value(j);
	snprintf(dst, size, "%s", s ? s : "");
}

int phases_load(struct phases *ph, const char *path, struct err *e)
{
	json_t *doc, *phases, *counters;
	int rc;

	phases_init(ph);
	if ((rc = mpjson_load_file(path, "a --phases file", &doc, e)))
		return rc;
	if (!json_is_object(phases = json_object_get(doc, "phases"))) {
		json_decref(doc);
		return err_set(e, ERR_RUNTIME, "%s: no 'phases'", path);
	}
	copy_string(ph->program, sizeof ph->program, json_object_get(doc, "program"));
	copy_string(ph->version, sizeof ph->version, json_object_get(doc, "version"));
	ph->wall_seconds = json_number_value(json_object_get(doc, "wall_seconds"));
	ph->timer_overhead_ns = json_number_value(json_object_get(doc, "timer_overhead_ns"));
	ph->timer_seconds = json_number_value(json_object_get(doc, "timer_seconds"));
	ph->peak_rss_kib = (long)json_integer_value(json_object_get(doc, "peak_rss_kib"));
	for (int p = 0; p < METER_PHASES; p++) {
		const json_t *x = json_object_get(phases, meter_phase_name(p));
		ph->seconds[p] = json_number_value(json_object_get(x, "seconds"));
		ph->laps[p] = (long)json_integer_value(json_object_get(x, "laps"));
	}
	counters = json_object_get(doc, "counters");
	for (int c = 0; c < METER_COUNTERS; c++)
		ph->count[c] = (long)json_integer_value(json_object_get(counters, meter_counter_name(c)));
	for (size_t k = 0; k < SHAPE_FIELDS; k++) {
		const json_t *x = json_object_get(doc, shape_fields[k].key);
		if (!json_is_number(x))
			continue;
		if (shape_fields[k].count)
			*shape_long(&ph->shape, k) = (long)json_number_value(x);
		else
			*shape_double(&ph->shape, k) = json_number_value(x);
	}
	json_decref(doc);
	return 0;
}

void phases_add(struct phases *acc, const struct phases *src)
{
	acc->wall_seconds += src->wall_seconds;
	acc->timer_seconds += src->timer_seconds;
	for (int p = 0; p < METER_PHASES; p++) {
		acc->seconds[p] += src->seconds[p];
		acc->laps[p] += src->laps[p];
	}
	for (int c = 0; c < METER_COUNTERS; c++)
		acc->count[c] += src->count[c];
}
