/*
 * Unit tests for meter (in-program timers and counters) and phases (the
 * --phases document they become, and profile's reading of it).
 *
 * meter: the arithmetic is exact and checked so: a lap adds the ticks
 * between its start and its end (the values meter_begin and meter_lap
 * return) and one lap; meter_add and meter_count add what they are given;
 * meter_merge adds every phase, lap, counter and begin; a NULL meter is a
 * no-op everywhere. Names: every phase and counter by its documented name
 * (man/solve.1, man/profile.1), "unknown" out of range. meter_report
 * merges the threads' meters into m[0] and turns ticks into seconds: a
 * phase without laps has 0 s whatever its ticks, and phases' seconds are
 * in the ratio of their ticks (a few counter reads apart: 2e10 and 6e10
 * ticks give 1 : 3 to 1e-6), the timers' cost is the cost of one read
 * times the reads (begins and laps). Only those ratios depend on the
 * clock, not on how long anything took.
 *
 * phases: phases_write then phases_load gives back program, version,
 * every counter, the laps of each phase that ran and none of the others
 * (absent from the file, laps 0 after loading), the shape's set fields
 * and only those (unset: long -1, double NaN); the seconds loaded are the
 * file's (parsed independently with jansson). The file is one line of
 * JSON whose top-level keys come in the documented order. phases_load of
 * a file without "phases" fails with "PATH: no 'phases'"; phases_add sums
 * two documents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meter.h"
#include "phases.h"
#include "version.h"

#include "scratch.h"

static int setup(void **state)
{
	return scratch_setup(state, "test_meter", "phases.json");
}

/* The documented names, in the enums' order. */
static const char *const phase_names[METER_PHASES] = {
	"assembly", "factorisation", "sensitivity", "read", "write", "sampler",
	"evaluator", "states", "policies", "action", "learning",
};
static const char *const counter_names[METER_COUNTERS] = {
	"records", "bad_records", "steps", "newton_iterations", "evaluations", "stages", "agent_steps",
};

/* ---- meter arithmetic ---- */

static void test_lap_arithmetic(void **state)
{
	(void)state;
	struct meter m;

	meter_init(&m);
	assert_true(m.wall0 > 0);
	for (int p = 0; p < METER_PHASES; p++) {
		assert_int_equal(m.ticks[p], 0);
		assert_int_equal(m.laps[p], 0);
	}
	assert_int_equal(m.begins, 0);

	/* a lap adds exactly the ticks between the values returned */
	uint64_t t0 = meter_begin(&m);
	assert_int_equal(m.begins, 1);
	uint64_t t1 = meter_lap(&m, METER_READ, t0);
	assert_true(t1 >= t0);
	assert_int_equal(m.ticks[METER_READ], t1 - t0);
	assert_int_equal(m.laps[METER_READ], 1);
	/* laps chain: each starts where the last ended */
	uint64_t t2 = meter_lap(&m, METER_WRITE, t1);
	uint64_t t3 = meter_lap(&m, METER_READ, t2);
	assert_true(t3 >= t2 && t2 >= t1);
	assert_int_equal(m.ticks[METER_READ], (t1 - t0) + (t3 - t2));
	assert_int_equal(m.ticks[METER_WRITE], t2 - t1);
	assert_int_equal(m.laps[METER_READ], 2);
	assert_int_equal(m.laps[METER_WRITE], 1);
	assert_int_equal(m.begins, 1);
	/* a lap from a given start */
	uint64_t t4 = meter_lap(&m, METER_SAMPLER, t3 - 1000);
	assert_int_equal(m.ticks[METER_SAMPLER], t4 - t3 + 1000);

	/* meter_add: ticks and laps as given */
	meter_add(&m, METER_EVALUATOR, 12345, 7);
	meter_add(&m, METER_EVALUATOR, 5, 1);
	assert_int_equal(m.ticks[METER_EVALUATOR], 12350);
	assert_int_equal(m.laps[METER_EVALUATOR], 8);

	/* counters */
	meter_count(&m, METER_RECORDS, 1);
	meter_count(&m, METER_RECORDS, 41);
	meter_count(&m, METER_BAD, 3);
	meter_count(&m, METER_BAD, -1);
	meter_count(&m, METER_AGENT_STEPS, 1000000000L);
	assert_int_equal(m.count[METER_RECORDS], 42);
	assert_int_equal(m.count[METER_BAD], 2);
	assert_int_equal(m.count[METER_AGENT_STEPS], 1000000000L);
	assert_int_equal(m.count[METER_STEPS], 0);

	/* untouched phases stay 0 */
	assert_int_equal(m.ticks[METER_ASSEMBLY], 0);
	assert_int_equal(m.laps[METER_LEARNING], 0);
}

/* A NULL meter: every call does nothing (and returns 0). */
static void test_null_meter(void **state)
{
	(void)state;
	struct meter *none = NULL;

	assert_int_equal(meter_begin(none), 0);
	assert_int_equal(meter_lap(none, METER_FACTOR, 123), 0);
	meter_add(none, METER_FACTOR, 1, 1);
	meter_count(none, METER_STEPS, 5);
}

static void test_merge(void **state)
{
	(void)state;
	struct meter a, b;

	meter_init(&a);
	meter_init(&b);
	for (int p = 0; p < METER_PHASES; p++) {
		meter_add(&a, p, (uint64_t)(1000 + p), p);
		meter_add(&b, p, (uint64_t)(20 * p), 2 * p + 1);
	}
	for (int c = 0; c < METER_COUNTERS; c++) {
		meter_count(&a, c, c);
		meter_count(&b, c, 100 * c + 1);
	}
	a.begins = 3;
	b.begins = 40;
	struct meter b0 = b;

	meter_merge(&a, &b);
	for (int p = 0; p < METER_PHASES; p++) {
		assert_int_equal(a.ticks[p], 1000 + p + 20 * p);
		assert_int_equal(a.laps[p], p + 2 * p + 1);
	}
	for (int c = 0; c < METER_COUNTERS; c++)
		assert_int_equal(a.count[c], c + 100 * c + 1);
	assert_int_equal(a.begins, 43);
	/* the source is left as it was */
	assert_memory_equal(&b, &b0, sizeof b);

	/* merging an empty meter changes nothing */
	struct meter empty, a0 = a;
	meter_init(&empty);
	meter_merge(&a, &empty);
	for (int p = 0; p < METER_PHASES; p++) {
		assert_int_equal(a.ticks[p], a0.ticks[p]);
		assert_int_equal(a.laps[p], a0.laps[p]);
	}
	for (int c = 0; c < METER_COUNTERS; c++)
		assert_int_equal(a.count[c], a0.count[c]);
	assert_int_equal(a.begins, a0.begins);
}

static void test_init_threads(void **state)
{
	(void)state;
	struct meter *m = NULL;
	struct err e = {0};

	assert_int_equal(meter_init_threads(&m, 4, &e), 0);
	assert_non_null(m);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(m[i].begins, 0);
		assert_true(m[i].wall0 > 0);
		for (int p = 0; p < METER_PHASES; p++)
			assert_int_equal(m[i].laps[p], 0);
		for (int c = 0; c < METER_COUNTERS; c++)
			assert_int_equal(m[i].count[c], 0);
	}
	free(m);
	m = NULL;
	assert_int_equal(meter_init_threads(&m, 0, &e), 0);
	assert_non_null(m);
	free(m);
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;

	for (int p = 0; p < METER_PHASES; p++)
		assert_string_equal(meter_phase_name((enum meter_phase)p), phase_names[p]);
	for (int c = 0; c < METER_COUNTERS; c++)
		assert_string_equal(meter_counter_name((enum meter_counter)c), counter_names[c]);
	assert_string_equal(meter_phase_name(METER_ASSEMBLY), "assembly");
	assert_string_equal(meter_phase_name(METER_LEARNING), "learning");
	assert_string_equal(meter_counter_name(METER_NEWTON), "newton_iterations");
	assert_string_equal(meter_counter_name(METER_AGENT_STEPS), "agent_steps");
	/* out of range */
	assert_string_equal(meter_phase_name(METER_PHASES), "unknown");
	assert_string_equal(meter_phase_name((enum meter_phase)(METER_PHASES + 100)), "unknown");
	assert_string_equal(meter_counter_name(METER_COUNTERS), "unknown");
	assert_string_equal(meter_counter_name((enum meter_counter)(METER_COUNTERS + 7)), "unknown");
	/* every name distinct */
	for (int p = 0; p < METER_PHASES; p++)
		for (int q = p + 1; q < METER_PHASES; q++)
			assert_string_not_equal(meter_phase_name(p), meter_phase_name(q));
}

/* ---- meter_report ---- */

static void test_report(void **state)
{
	(void)state;
	struct meter m[3];
	struct meter_report r;

	for (int i = 0; i < 3; i++)
		meter_init(&m[i]);
	/* factorisation: 2e10 ticks in 1 lap (thread 1); sensitivity: 6e10
	 * in 1 (threads 0 and 2); assembly: ticks but no laps; read: laps
	 * but no ticks */
	meter_add(&m[1], METER_FACTOR, 20000000000u, 1);
	meter_add(&m[0], METER_SENSITIVITY, 10000000000u, 0);
	meter_add(&m[2], METER_SENSITIVITY, 50000000000u, 1);
	meter_add(&m[2], METER_ASSEMBLY, 7000000000u, 0);
	meter_add(&m[0], METER_READ, 0, 5);
	meter_count(&m[0], METER_RECORDS, 2);
	meter_count(&m[1], METER_RECORDS, 3);
	meter_count(&m[2], METER_RECORDS, 4);
	meter_count(&m[2], METER_STAGES, 1);
	m[0].begins = 1;
	m[1].begins = 2;
	m[2].begins = 4;

	meter_report(m, 3, &r);
	/* merged into m[0] */
	assert_int_equal(m[0].count[METER_RECORDS], 9);
	assert_int_equal(m[0].count[METER_STAGES], 1);
	assert_int_equal(m[0].laps[METER_FACTOR], 1);
	assert_int_equal(m[0].laps[METER_SENSITIVITY], 1);
	assert_int_equal(m[0].ticks[METER_SENSITIVITY], 60000000000u);
	assert_int_equal(m[0].laps[METER_READ], 5);
	assert_int_equal(m[0].begins, 7);
	/* the others as they were */
	assert_int_equal(m[1].count[METER_RECORDS], 3);
	assert_int_equal(m[2].count[METER_RECORDS], 4);

	/* seconds: none without laps; none for laps of no time; the others
	 * in the ratio of their ticks */
	assert_true(r.seconds[METER_ASSEMBLY] == 0);
	assert_true(r.seconds[METER_READ] == 0);
	assert_true(r.seconds[METER_WRITE] == 0);
	assert_true(r.seconds[METER_FACTOR] > 0);
	double ratio = r.seconds[METER_SENSITIVITY] / r.seconds[METER_FACTOR];
	if (fabs(ratio - 3) > 1e-6)
		fail_msg("sensitivity / factorisation seconds = %.9g, want 3 (6e10 and 2e10 ticks)", ratio);

	/* the timers: one read costs timer_overhead_ns; there were 7 begins
	 * and 7 laps (1 + 1 + 5) */
	assert_true(r.timer_overhead_ns > 0);
	double want = r.timer_overhead_ns * 1e-9 * 14;
	if (fabs(r.timer_seconds - want) > 1e-12 * want)
		fail_msg("timer_seconds %.17g, want 14 reads of %.17g ns = %.17g", r.timer_seconds,
			 r.timer_overhead_ns, want);
	assert_true(r.wall_seconds >= 0 && r.wall_seconds < 3600);
	assert_true(r.peak_rss_kib > 0);
}

/* ---- the --phases document ---- */

/* The keys of the top-level object of the JSON text, in order, into
 * keys[] (up to max); their number. */
static int top_keys(const char *text, char keys[][32], int max)
{
	int depth = 0, n = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '"') {
			const char *start = ++p;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			assert_true(*p == '"');
			const char *q = p + 1;
			while (*q == ' ')
				q++;
			if (depth == 1 && *q == ':') {
				assert_true(n < max);
				snprintf(keys[n], 32, "%.*s", (int)(p - start), start);
				n++;
			}
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
	}
	assert_int_equal(depth, 0);
	return n;
}

/* The meters of a 2-thread run: thread 0 and thread 1's laps and counts
 * (sums known), phases that ran: factorisation, read, sampler, learning
 * (this one with laps but no ticks). */
static void two_threads(struct meter m[2], long scale)
{
	meter_init(&m[0]);
	meter_init(&m[1]);
	meter_add(&m[0], METER_FACTOR, 3000000000u * (uint64_t)scale, 4 * scale);
	meter_add(&m[1], METER_FACTOR, 1000000000u * (uint64_t)scale, 2 * scale);
	meter_add(&m[1], METER_READ, 500000000u, 1);
	meter_add(&m[0], METER_SAMPLER, 90000000000u, 9);
	meter_add(&m[1], METER_LEARNING, 0, 3);
	for (int c = 0; c < METER_COUNTERS; c++) {
		meter_count(&m[0], c, (c + 1) * scale);
		meter_count(&m[1], c, 10 * c * scale);
	}
	m[0].begins = 5;
	m[1].begins = 6;
}

static void test_write_load(void **state)
{
	struct scratch *s = *state;
	struct meter m[2];
	struct phases_shape shape;
	struct phases ph;
	struct err e = {0};
	json_error_t je;

	two_threads(m, 1);
	phases_shape_init(&shape);
	shape.threads = 2;
	shape.samples = 1000;
	shape.stage = 0; /* 0 is a value, not absent */
	shape.policies = -5; /* negative: absent */
	shape.beta = 0.25;
	shape.chain_steps = 12;
	assert_int_equal(phases_write(m, 2, s->path, "tmcmc-stage", &shape, &e), 0);

	/* one line of JSON */
	char *text = scratch_read(s->path, NULL);
	size_t len = strlen(text);
	assert_true(len > 2);
	assert_int_equal(text[len - 1], '\n');
	assert_ptr_equal(strchr(text, '\n'), text + len - 1);
	assert_int_equal(text[0], '{');

	/* the keys in the documented order, the shape's present only */
	static const char *const order[] = {
		"program", "version", "wall_seconds", "timer_overhead_ns", "timer_seconds", "phases", "counters",
		"peak_rss_kib", "threads", "samples", "stage", "beta", "chain_steps",
	};
	enum { NKEYS = sizeof order / sizeof *order };
	char keys[32][32];
	int n = top_keys(text, keys, 32);
	for (int k = 0; k < n && k < NKEYS; k++)
		if (strcmp(keys[k], order[k]))
			fail_msg("key %d is \"%s\", want \"%s\"", k, keys[k], order[k]);
	assert_int_equal(n, NKEYS);
	free(text);

	/* the file as jansson reads it */
	json_t *doc = json_load_file(s->path, 0, &je);
	if (!doc)
		fail_msg("%s: %s", s->path, je.text);
	json_t *phases = json_object_get(doc, "phases");
	assert_true(json_is_object(phases));
	assert_int_equal(json_object_size(phases), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(phases, "factorisation"), "laps")), 6);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(phases, "read"), "laps")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(phases, "sampler"), "laps")), 9);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(phases, "learning"), "laps")), 3);
	assert_int_equal(json_object_size(json_object_get(doc, "counters")), METER_COUNTERS);

	/* phases_load gives it back */
	assert_int_equal(phases_load(&ph, s->path, &e), 0);
	assert_string_equal(ph.program, "tmcmc-stage");
	assert_string_equal(ph.version, BIOFILTER_VERSION);
	assert_true(ph.wall_seconds == json_number_value(json_object_get(doc, "wall_seconds")));
	assert_true(ph.timer_overhead_ns == json_number_value(json_object_get(doc, "timer_overhead_ns")));
	assert_true(ph.timer_seconds == json_number_value(json_object_get(doc, "timer_seconds")));
	assert_int_equal(ph.peak_rss_kib, json_integer_value(json_object_get(doc, "peak_rss_kib")));
	assert_true(ph.wall_seconds >= 0);
	assert_true(ph.timer_overhead_ns > 0);
	assert_true(ph.peak_rss_kib > 0);
	/* 11 begins and 6 + 1 + 9 + 3 laps */
	double want = ph.timer_overhead_ns * 1e-9 * (11 + 19);
	assert_true(fabs(ph.timer_seconds - want) <= 1e-9 * want);
	for (int c = 0; c < METER_COUNTERS; c++)
		if (ph.count[c] != (c + 1) + 10 * c)
			fail_msg("counter %s: %ld, want %d", counter_names[c], ph.count[c], (c + 1) + 10 * c);
	for (int p = 0; p < METER_PHASES; p++) {
		long laps = p == METER_FACTOR ? 6 : p == METER_READ ? 1 : p == METER_SAMPLER ? 9 : p == METER_LEARNING ? 3 : 0;
		if (ph.laps[p] != laps)
			fail_msg("phase %s: %ld laps, want %ld", phase_names[p], ph.laps[p], laps);
		const json_t *x = json_object_get(phases, phase_names[p]);
		if (!laps) {
			assert_null(x);
			assert_true(ph.seconds[p] == 0);
		} else {
			assert_non_null(x);
			assert_true(ph.seconds[p] == json_number_value(json_object_get(x, "seconds")));
		}
	}
	/* seconds: the learning laps took no ticks; sampler 9e10 ticks and
	 * factorisation 4e9, in that ratio */
	assert_true(ph.seconds[METER_LEARNING] == 0);
	assert_true(ph.seconds[METER_FACTOR] > 0);
	double ratio = ph.seconds[METER_SAMPLER] / ph.seconds[METER_FACTOR];
	if (fabs(ratio - 22.5) > 1e-4)
		fail_msg("sampler / factorisation seconds %.9g, want 22.5", ratio);

	/* the shape: set fields back, unset ones absent */
	assert_int_equal(ph.shape.threads, 2);
	assert_int_equal(ph.shape.samples, 1000);
	assert_int_equal(ph.shape.stage, 0);
	assert_int_equal(ph.shape.chain_steps, 12);
	assert_true(ph.shape.beta == 0.25);
	assert_int_equal(ph.shape.levels, -1);
	assert_int_equal(ph.shape.policies, -1);
	assert_true(isnan(ph.shape.acceptance));
	assert_null(json_object_get(doc, "levels"));
	assert_null(json_object_get(doc, "policies"));
	assert_null(json_object_get(doc, "acceptance"));
	assert_true(json_is_integer(json_object_get(doc, "threads")));
	assert_true(json_is_real(json_object_get(doc, "beta")));
	json_decref(doc);
}

/* Without a shape: no shape keys, every shape field absent after loading;
 * every field of a full shape comes back. */
static void test_shapes(void **state)
{
	struct scratch *s = *state;
	struct meter m;
	struct phases_shape shape;
	struct phases ph;
	struct err e = {0};
	char keys[32][32];

	meter_init(&m);
	assert_int_equal(phases_write(&m, 1, s->path, "solve", NULL, &e), 0);
	char *text = scratch_read(s->path, NULL);
	int n = top_keys(text, keys, 32);
	free(text);
	assert_int_equal(n, 8);
	assert_string_equal(keys[7], "peak_rss_kib");
	assert_int_equal(phases_load(&ph, s->path, &e), 0);
	assert_string_equal(ph.program, "solve");
	assert_int_equal(ph.shape.threads, -1);
	assert_int_equal(ph.shape.levels, -1);
	assert_int_equal(ph.shape.samples, -1);
	assert_int_equal(ph.shape.policies, -1);
	assert_int_equal(ph.shape.stage, -1);
	assert_int_equal(ph.shape.chain_steps, -1);
	assert_true(isnan(ph.shape.beta));
	assert_true(isnan(ph.shape.acceptance));
	/* nothing ran: no phases, counters all 0 */
	for (int p = 0; p < METER_PHASES; p++)
		assert_int_equal(ph.laps[p], 0);
	for (int c = 0; c < METER_COUNTERS; c++)
		assert_int_equal(ph.count[c], 0);

	/* every field, in the documented order */
	meter_init(&m);
	shape = (struct phases_shape){.threads = 8, .levels = 3, .samples = 2000, .policies = 16,
				      .stage = 5, .chain_steps = 7, .beta = 1.0, .acceptance = 0.234};
	assert_int_equal(phases_write(&m, 1, s->path, "infer", &shape, &e), 0);
	text = scratch_read(s->path, NULL);
	n = top_keys(text, keys, 32);
	free(text);
	static const char *const tail[] = {"threads", "levels", "samples", "policies",
					   "stage", "beta", "acceptance", "chain_steps"};
	assert_int_equal(n, 16);
	for (int k = 0; k < 8; k++)
		assert_string_equal(keys[8 + k], tail[k]);
	assert_int_equal(phases_load(&ph, s->path, &e), 0);
	assert_int_equal(ph.shape.threads, 8);
	assert_int_equal(ph.shape.levels, 3);
	assert_int_equal(ph.shape.samples, 2000);
	assert_int_equal(ph.shape.policies, 16);
	assert_int_equal(ph.shape.stage, 5);
	assert_int_equal(ph.shape.chain_steps, 7);
	assert_true(ph.shape.beta == 1.0);
	assert_true(ph.shape.acceptance == 0.234);

	/* a program name longer than the field: cut, still a string */
	meter_init(&m);
	assert_int_equal(phases_write(&m, 1, s->path, "a-program-name-of-forty-characters-long!", NULL, &e), 0);
	assert_int_equal(phases_load(&ph, s->path, &e), 0);
	assert_string_equal(ph.program, "a-program-name-of-forty-charact");
}

static void test_load_refusals(void **state)
{
	struct scratch *s = *state;
	struct phases ph;
	struct err e = {0};
	char want[256], missing[256];

	snprintf(want, sizeof want, "%s: no 'phases'", s->path);
	scratch_write(s->path, "{\"program\": \"solve\", \"counters\": {\"records\": 3}}\n");
	memset(&ph, 0x55, sizeof ph);
	assert_int_equal(phases_load(&ph, s->path, &e), ERR_RUNTIME);
	assert_string_equal(e.msg, want);
	/* ph is an empty document all the same */
	assert_int_equal(ph.count[METER_RECORDS], 0);
	assert_int_equal(ph.laps[METER_READ], 0);
	assert_int_equal(ph.shape.threads, -1);
	assert_true(isnan(ph.shape.beta));

	/* "phases" that is not an object */
	scratch_write(s->path, "{\"phases\": [1, 2]}\n");
	memset(&e, 0, sizeof e);
	assert_int_equal(phases_load(&ph, s->path, &e), ERR_RUNTIME);
	assert_string_equal(e.msg, want);

	/* not JSON: the file and line named */
	scratch_write(s->path, "{\"phases\": {}}\n{oops\n");
	memset(&e, 0, sizeof e);
	assert_int_equal(phases_load(&ph, s->path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, s->path));
	assert_non_null(strstr(e.msg, "line 2"));

	/* missing */
	snprintf(missing, sizeof missing, "%s/missing.json", s->dir);
	memset(&e, 0, sizeof e);
	assert_true(phases_load(&ph, missing, &e) < 0);
	assert_non_null(strstr(e.msg, missing));
}

/* A document with only some fields: the rest absent or 0; names that are
 * not phases or counters are ignored. */
static void test_load_partial(void **state)
{
	struct scratch *s = *state;
	struct phases ph;
	struct err e = {0};

	scratch_write(s->path, "{\"phases\": {\"read\": {\"seconds\": 0.5, \"laps\": 3},"
			       " \"bogus\": {\"seconds\": 9, \"laps\": 9}},"
			       " \"counters\": {\"steps\": 17, \"bogus\": 4}, \"beta\": 0.5, \"threads\": 3}\n");
	assert_int_equal(phases_load(&ph, s->path, &e), 0);
	assert_string_equal(ph.program, "");
	assert_true(ph.wall_seconds == 0);
	for (int p = 0; p < METER_PHASES; p++) {
		assert_int_equal(ph.laps[p], p == METER_READ ? 3 : 0);
		assert_true(ph.seconds[p] == (p == METER_READ ? 0.5 : 0));
	}
	for (int c = 0; c < METER_COUNTERS; c++)
		assert_int_equal(ph.count[c], c == METER_STEPS ? 17 : 0);
	assert_true(ph.shape.beta == 0.5);
	assert_int_equal(ph.shape.threads, 3);
	assert_int_equal(ph.shape.samples, -1);
	assert_true(isnan(ph.shape.acceptance));
}

/* ---- phases_add ---- */

static void test_add(void **state)
{
	struct scratch *s = *state;
	struct meter m[2];
	struct phases a, b, acc;
	struct err e = {0};
	char path2[256];

	snprintf(path2, sizeof path2, "%s/second.json", s->dir);
	two_threads(m, 1);
	assert_int_equal(phases_write(m, 2, s->path, "tmcmc-stage", NULL, &e), 0);
	two_threads(m, 3);
	assert_int_equal(phases_write(m, 2, path2, "tmcmc-stage", NULL, &e), 0);
	assert_int_equal(phases_load(&a, s->path, &e), 0);
	assert_int_equal(phases_load(&b, path2, &e), 0);

	phases_init(&acc);
	for (int p = 0; p < METER_PHASES; p++) {
		assert_int_equal(acc.laps[p], 0);
		assert_true(acc.seconds[p] == 0);
	}
	assert_int_equal(acc.shape.threads, -1);
	assert_true(isnan(acc.shape.beta));
	phases_add(&acc, &a);
	phases_add(&acc, &b);

	assert_true(acc.wall_seconds == a.wall_seconds + b.wall_seconds);
	assert_true(acc.timer_seconds == a.timer_seconds + b.timer_seconds);
	for (int p = 0; p < METER_PHASES; p++) {
		assert_true(acc.seconds[p] == a.seconds[p] + b.seconds[p]);
		assert_int_equal(acc.laps[p], a.laps[p] + b.laps[p]);
	}
	/* the laps and counts, known */
	assert_int_equal(acc.laps[METER_FACTOR], 6 + 18);
	assert_int_equal(acc.laps[METER_READ], 2);
	assert_int_equal(acc.laps[METER_SAMPLER], 18);
	assert_int_equal(acc.laps[METER_LEARNING], 6);
	assert_int_equal(acc.laps[METER_ASSEMBLY], 0);
	for (int c = 0; c < METER_COUNTERS; c++)
		assert_int_equal(acc.count[c], 4 * ((c + 1) + 10 * c));

	/* by hand: every phase and counter */
	struct phases x, y;
	phases_init(&x);
	phases_init(&y);
	x.wall_seconds = 1.5;
	y.wall_seconds = 2.25;
	x.timer_seconds = 0.125;
	y.timer_seconds = 0.5;
	for (int p = 0; p < METER_PHASES; p++) {
		x.seconds[p] = p;
		y.seconds[p] = 0.5 * p;
		x.laps[p] = p;
		y.laps[p] = 100;
	}
	for (int c = 0; c < METER_COUNTERS; c++) {
		x.count[c] = c;
		y.count[c] = 1000 * c;
	}
	phases_add(&x, &y);
	assert_true(x.wall_seconds == 3.75);
	assert_true(x.timer_seconds == 0.625);
	for (int p = 0; p < METER_PHASES; p++) {
		assert_true(x.seconds[p] == 1.5 * p);
		assert_int_equal(x.laps[p], p + 100);
	}
	for (int c = 0; c < METER_COUNTERS; c++)
		assert_int_equal(x.count[c], 1001 * c);
	/* y is not changed */
	assert_true(y.wall_seconds == 2.25);
	assert_int_equal(y.laps[0], 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lap_arithmetic),
		cmocka_unit_test(test_null_meter),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_init_threads),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_report),
		cmocka_unit_test_setup_teardown(test_write_load, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_shapes, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_load_refusals, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_load_partial, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_add, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
