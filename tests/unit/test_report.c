/*
 * Unit tests for report: profile's JSON report (src/report.h).
 *
 * A report is built in memory (report_init, report_add_result with real
 * counters, figures and phases, report_add_sweep, report_add_leak,
 * report_compare), written with report_write to a scratch file and read
 * back with jansson: every field the top comment of report.h lists must be
 * there with its JSON type, and the values put in must come back.
 *
 * Tolerance: report_write prints reals with 10 significant digits
 * (JSON_REAL_PRECISION(10)), so a real comes back within 5e-10 of itself,
 * relative; the derived ones (throughput = items / median, per item =
 * seconds / items) are one division more, within a few ulps before the
 * printing. REL = 1e-9 covers both, and nothing looser is needed.
 *
 * report_compare: the thresholds are strict inequalities on the ratios
 * current / baseline (time 1.2, memory 1.5 by default); ratios 0.01 on
 * either side of them must fall on the right side. Results only one report
 * has are "new" or "missing" and never counted.
 *
 * report_load refuses what is not a report with ERR_INPUT and a message
 * that names the file and, for a bad result, results[i]: a result needs
 * "name", "items" (only the same work compares), "seconds.median" (> 0, a
 * ratio's denominator) and "peak_rss_kib" (an integer, not negative).
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
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "report.h"
#include "scratch.h"

#define REL 1e-9

static int setup(void **state)
{
	return scratch_setup(state, "test_report", "report.json");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}

/* ---- helpers ---- */

static void near(double got, double want, const char *what)
{
	if (!(fabs(got - want) <= REL * fabs(want)))
		fail_msg("%s: %.17g, want %.17g (within %g relative)", what, got, want, REL);
}

/* o[key] exists and has the JSON type t; returns it. */
static json_t *field(const json_t *o, const char *key, json_type t, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		fail_msg("%s: no \"%s\"", where, key);
	/* a number may be an integer or a real where the report says number */
	if (json_typeof(v) != t)
		fail_msg("%s: \"%s\" has JSON type %d, want %d", where, key, (int)json_typeof(v), (int)t);
	return v;
}

/* o[key] is a number (integer or real); returns its value. */
static double number(const json_t *o, const char *key, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		fail_msg("%s: \"%s\" is missing or not a number", where, key);
	return json_number_value(v);
}

static json_t *load_written(const char *path)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	if (!doc)
		fail_msg("%s: line %d: %s", path, je.line, je.text);
	return doc;
}

static void init_report(struct report *r)
{
	struct report_settings s = {1, 3, 1, 2};
	struct err e = {0};
	if (report_init(r, &s, &e))
		fail_msg("report_init: %s", e.msg);
}

/* A result with only what report_compare reads: name, median, peak. */
static void add_simple(struct report *r, const char *name, double median, long peak)
{
	struct report_result x = {name, "solve", "solve -m M1.json", "trajectories", 100, 3,
				  {median, median, median}, peak, NULL, NULL, NULL, 0};
	struct err e = {0};
	if (report_add_result(r, &x, &e))
		fail_msg("report_add_result: %s", e.msg);
}

static const json_t *entry(const struct report *r, const char *name)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(r->doc, "comparison"), "entries"), i, x) {
		if (!strcmp(json_string_value(json_object_get(x, "name")), name))
			return x;
	}
	fail_msg("no comparison entry \"%s\"", name);
	return NULL;
}

static const char *status_of(const struct report *r, const char *name)
{
	return json_string_value(json_object_get(entry(r, name), "status"));
}

static int flag(const struct report *r, const char *name, const char *key)
{
	const json_t *v = json_object_get(entry(r, name), key);
	if (!json_is_boolean(v))
		fail_msg("entry \"%s\": \"%s\" is not a boolean", name, key);
	return json_is_true(v);
}

static size_t n_entries(const struct report *r)
{
	return json_array_size(json_object_get(json_object_get(r->doc, "comparison"), "entries"));
}

/* ---- the written report has every documented field ---- */

static void test_every_field(void **state)
{
	struct scratch *s = *state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	init_report(&r);
	json_t *counters = json_pack("{s:I,s:I,s:I,s:I}", "records", (json_int_t)100, "bad_records", (json_int_t)0,
				     "steps", (json_int_t)250000, "newton_iterations", (json_int_t)226920);
	json_t *figures = json_pack("{s:f}", "newton_per_step", 226920.0 / 250000.0);
	json_t *phases = json_pack("{s:{s:f,s:f,s:I},s:{s:f,s:f,s:I},s:{s:f,s:f,s:I}}", "assembly", "seconds",
				   0.01366605768, "share", 0.2108146289, "laps", (json_int_t)476920, "factorisation",
				   "seconds", 0.008378928214, "share", 0.129254587, "laps", (json_int_t)226920, "other",
				   "seconds", 0.04277966, "share", 0.6599307841, "laps", (json_int_t)0);
	assert_non_null(counters);
	assert_non_null(figures);
	assert_non_null(phases);
	const double min = 0.041234567, median = 0.043896644, max = 0.0512345678;
	struct report_result x = {"solve M1",   "solve",	"solve -q -m M1.json --steps 2500",
				  "trajectories", 100, 3, {min, median, max}, 2496, counters, figures, phases,
				  0.064824997};
	if (report_add_result(&r, &x, &e))
		fail_msg("report_add_result: %s", e.msg);
	static const char *const cols[] = {"steps", "solve_ms", "tsm_ms"};
	const double cells[] = {250, 0.2485154, NAN, 500, 0.16413345, 0.268601};
	if (report_add_sweep(&r, "steps", "M1 against the number of time steps", cols, 3, cells, 2, &e))
		fail_msg("report_add_sweep: %s", e.msg);
	const long rss[] = {2692, 2700, 2700, 2704};
	if (report_add_leak(&r, "solve", rss, 4, 12, 0, &e))
		fail_msg("report_add_leak: %s", e.msg);
	init_report(&base);
	add_simple(&base, "solve M1", median, 2496);
	if (report_compare(&r, &base, "base.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_int_equal(regressions, 0);
	if (report_write(&r, s->path, &e))
		fail_msg("report_write: %s", e.msg);
	report_free(&r);
	report_free(&base);

	json_t *doc = load_written(s->path);
	assert_true(json_is_object(doc));
	assert_string_equal(json_string_value(field(doc, "report", JSON_STRING, "top")), "biofilter profile");
	assert_int_equal(json_integer_value(field(doc, "format", JSON_INTEGER, "top")), REPORT_FORMAT);
	assert_true(json_string_length(field(doc, "version", JSON_STRING, "top")) > 0);
	assert_true(json_string_length(field(doc, "commit", JSON_STRING, "top")) > 0);
	/* ISO 8601 in UTC: 2026-11-21T09:30:00Z */
	const char *date = json_string_value(field(doc, "date", JSON_STRING, "top"));
	assert_int_equal(strlen(date), 20);
	for (int i = 0; i < 20; i++) {
		const char *shape = "dddd-dd-ddTdd:dd:ddZ";
		if (shape[i] == 'd' ? !(date[i] >= '0' && date[i] <= '9') : date[i] != shape[i])
			fail_msg("date \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", date);
	}
	json_t *m = field(doc, "machine", JSON_OBJECT, "top");
	field(m, "hostname", JSON_STRING, "machine");
	field(m, "system", JSON_STRING, "machine");
	field(m, "cpu", JSON_STRING, "machine");
	assert_true(json_integer_value(field(m, "cores", JSON_INTEGER, "machine")) >= 1);
	assert_true(json_integer_value(field(m, "memory_kib", JSON_INTEGER, "machine")) >= 0);
	assert_true(json_string_length(field(doc, "compiler", JSON_STRING, "top")) > 0);
	json_t *st = field(doc, "settings", JSON_OBJECT, "top");
	assert_true(json_is_true(json_object_get(st, "quick")));
	assert_int_equal(json_integer_value(field(st, "repeat", JSON_INTEGER, "settings")), 3);
	assert_int_equal(json_integer_value(field(st, "warmup", JSON_INTEGER, "settings")), 1);
	assert_int_equal(json_integer_value(field(st, "threads", JSON_INTEGER, "settings")), 2);

	/* the result */
	json_t *res = field(doc, "results", JSON_ARRAY, "top");
	assert_int_equal(json_array_size(res), 1);
	json_t *o = json_array_get(res, 0);
	assert_string_equal(json_string_value(field(o, "name", JSON_STRING, "result")), "solve M1");
	assert_string_equal(json_string_value(field(o, "component", JSON_STRING, "result")), "solve");
	assert_string_equal(json_string_value(field(o, "command", JSON_STRING, "result")),
			    "solve -q -m M1.json --steps 2500");
	assert_string_equal(json_string_value(field(o, "unit", JSON_STRING, "result")), "trajectories");
	assert_int_equal(json_integer_value(field(o, "items", JSON_INTEGER, "result")), 100);
	assert_int_equal(json_integer_value(field(o, "repeat", JSON_INTEGER, "result")), 3);
	json_t *sec = field(o, "seconds", JSON_OBJECT, "result");
	near(number(sec, "min", "seconds"), min, "seconds.min");
	near(number(sec, "median", "seconds"), median, "seconds.median");
	near(number(sec, "max", "seconds"), max, "seconds.max");
	json_t *per = field(o, "per_item_seconds", JSON_OBJECT, "result");
	near(number(per, "min", "per_item_seconds"), min / 100, "per_item_seconds.min");
	near(number(per, "median", "per_item_seconds"), median / 100, "per_item_seconds.median");
	near(number(per, "max", "per_item_seconds"), max / 100, "per_item_seconds.max");
	near(number(o, "throughput_per_second", "result"), 100 / median, "throughput_per_second");
	assert_int_equal(json_integer_value(field(o, "peak_rss_kib", JSON_INTEGER, "result")), 2496);
	json_t *c = field(o, "counters", JSON_OBJECT, "result");
	assert_int_equal(json_object_size(c), 4);
	assert_int_equal(json_integer_value(field(c, "steps", JSON_INTEGER, "counters")), 250000);
	assert_int_equal(json_integer_value(field(c, "newton_iterations", JSON_INTEGER, "counters")), 226920);
	assert_int_equal(json_integer_value(field(c, "records", JSON_INTEGER, "counters")), 100);
	json_t *f = field(o, "figures", JSON_OBJECT, "result");
	near(number(f, "newton_per_step", "figures"), 0.90768, "figures.newton_per_step");
	json_t *ph = field(o, "phases", JSON_OBJECT, "result");
	assert_int_equal(json_object_size(ph), 3);
	const char *k;
	json_t *v;
	json_object_foreach(ph, k, v) {
		assert_true(json_is_object(v));
		number(v, "seconds", k);
		number(v, "share", k);
		field(v, "laps", JSON_INTEGER, k);
	}
	near(number(json_object_get(ph, "assembly"), "seconds", "assembly"), 0.01366605768, "assembly.seconds");
	near(number(json_object_get(ph, "assembly"), "share", "assembly"), 0.2108146289, "assembly.share");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ph, "assembly"), "laps")), 476920);
	near(number(o, "phases_wall_seconds", "result"), 0.064824997, "phases_wall_seconds");

	/* the sweep: counts stay integers, a cell that could not be measured is null */
	json_t *sw = field(doc, "sweeps", JSON_ARRAY, "top");
	assert_int_equal(json_array_size(sw), 1);
	o = json_array_get(sw, 0);
	assert_string_equal(json_string_value(field(o, "name", JSON_STRING, "sweep")), "steps");
	assert_string_equal(json_string_value(field(o, "title", JSON_STRING, "sweep")),
			    "M1 against the number of time steps");
	json_t *cl = field(o, "columns", JSON_ARRAY, "sweep");
	assert_int_equal(json_array_size(cl), 3);
	for (size_t j = 0; j < 3; j++)
		assert_string_equal(json_string_value(json_array_get(cl, j)), cols[j]);
	json_t *rows = field(o, "rows", JSON_ARRAY, "sweep");
	assert_int_equal(json_array_size(rows), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *row = json_array_get(rows, i);
		assert_true(json_is_array(row));
		assert_int_equal(json_array_size(row), 3);
		assert_true(json_is_integer(json_array_get(row, 0)));
		assert_int_equal(json_integer_value(json_array_get(row, 0)), (json_int_t)cells[3 * i]);
		near(json_number_value(json_array_get(row, 1)), cells[3 * i + 1], "sweep cell");
	}
	assert_true(json_is_null(json_array_get(json_array_get(rows, 0), 2)));
	near(json_number_value(json_array_get(json_array_get(rows, 1), 2)), 0.268601, "sweep cell");

	/* the leak check */
	json_t *lk = field(doc, "leaks", JSON_ARRAY, "top");
	assert_int_equal(json_array_size(lk), 1);
	o = json_array_get(lk, 0);
	assert_string_equal(json_string_value(field(o, "component", JSON_STRING, "leak")), "solve");
	assert_int_equal(json_integer_value(field(o, "runs", JSON_INTEGER, "leak")), 4);
	json_t *rk = field(o, "rss_kib", JSON_ARRAY, "leak");
	assert_int_equal(json_array_size(rk), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_true(json_is_integer(json_array_get(rk, i)));
		assert_int_equal(json_integer_value(json_array_get(rk, i)), rss[i]);
	}
	assert_int_equal(json_integer_value(field(o, "growth_kib", JSON_INTEGER, "leak")), 12);
	assert_true(json_is_false(field(o, "flagged", JSON_FALSE, "leak")));

	/* the comparison */
	json_t *cmp = field(doc, "comparison", JSON_OBJECT, "top");
	assert_string_equal(json_string_value(field(cmp, "baseline", JSON_STRING, "comparison")), "base.json");
	near(number(cmp, "time_tolerance", "comparison"), 0.2, "time_tolerance");
	near(number(cmp, "memory_tolerance", "comparison"), 0.5, "memory_tolerance");
	assert_int_equal(json_integer_value(field(cmp, "regressions", JSON_INTEGER, "comparison")), 0);
	json_t *en = field(cmp, "entries", JSON_ARRAY, "comparison");
	assert_int_equal(json_array_size(en), 1);
	o = json_array_get(en, 0);
	assert_string_equal(json_string_value(field(o, "name", JSON_STRING, "entry")), "solve M1");
	near(number(o, "median_seconds", "entry"), median, "median_seconds");
	near(number(o, "baseline_median_seconds", "entry"), median, "baseline_median_seconds");
	near(number(o, "time_ratio", "entry"), 1.0, "time_ratio");
	assert_int_equal(json_integer_value(field(o, "peak_rss_kib", JSON_INTEGER, "entry")), 2496);
	assert_int_equal(json_integer_value(field(o, "baseline_peak_rss_kib", JSON_INTEGER, "entry")), 2496);
	near(number(o, "memory_ratio", "entry"), 1.0, "memory_ratio");
	assert_true(json_is_false(field(o, "time_regression", JSON_FALSE, "entry")));
	assert_true(json_is_false(field(o, "memory_regression", JSON_FALSE, "entry")));
	json_decref(doc);
}

/* A report written and loaded again is the same document (to the 10
 * digits of the reals), and a loaded report compares as a built one. */
static void test_write_load_round_trip(void **state)
{
	struct scratch *s = *state;
	struct report r, back;
	struct err e = {0};
	int regressions = -1;

	init_report(&r);
	add_simple(&r, "solve M1", 0.125, 16000);
	add_simple(&r, "solve M2", 0.5, 20000);
	if (report_write(&r, s->path, &e))
		fail_msg("report_write: %s", e.msg);
	if (report_load(&back, s->path, &e))
		fail_msg("report_load: %s", e.msg);
	assert_true(json_equal(r.doc, back.doc));
	if (report_compare(&back, &r, "self", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_int_equal(regressions, 0);
	assert_int_equal(n_entries(&back), 2);
	report_free(&r);
	report_free(&back);
}

/* ---- report_compare ---- */

static void test_compare_equal(void **state)
{
	(void)state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	init_report(&r);
	init_report(&base);
	add_simple(&r, "solve M1", 0.125, 16000);
	add_simple(&r, "solve M2", 0.5, 20000);
	add_simple(&base, "solve M1", 0.125, 16000);
	add_simple(&base, "solve M2", 0.5, 20000);
	if (report_compare(&r, &base, "equal.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_int_equal(regressions, 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.doc, "comparison"), "regressions")), 0);
	assert_int_equal(n_entries(&r), 2);
	static const char *const names[] = {"solve M1", "solve M2"};
	for (int i = 0; i < 2; i++) {
		assert_string_equal(status_of(&r, names[i]), "ok");
		assert_false(flag(&r, names[i], "time_regression"));
		assert_false(flag(&r, names[i], "memory_regression"));
		near(number(entry(&r, names[i]), "time_ratio", names[i]), 1.0, "time_ratio");
		near(number(entry(&r, names[i]), "memory_ratio", names[i]), 1.0, "memory_ratio");
	}
	report_free(&r);
	report_free(&base);
}

/* The baseline's median is 1/1.25 of the current one: 25% slower. */
static void test_compare_slower(void **state)
{
	(void)state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	init_report(&r);
	init_report(&base);
	add_simple(&r, "solve M1", 0.125, 16000);
	add_simple(&r, "solve M2", 0.5, 20000);
	add_simple(&base, "solve M1", 0.125 / 1.25, 16000);
	add_simple(&base, "solve M2", 0.5, 20000);
	if (report_compare(&r, &base, "slower.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_int_equal(regressions, 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r.doc, "comparison"), "regressions")), 1);
	assert_string_equal(status_of(&r, "solve M1"), "regression");
	assert_true(flag(&r, "solve M1", "time_regression"));
	assert_false(flag(&r, "solve M1", "memory_regression"));
	near(number(entry(&r, "solve M1"), "time_ratio", "solve M1"), 1.25, "time_ratio");
	near(number(entry(&r, "solve M1"), "baseline_median_seconds", "solve M1"), 0.1, "baseline median");
	assert_string_equal(status_of(&r, "solve M2"), "ok");
	assert_false(flag(&r, "solve M2", "time_regression"));
	/* a larger tolerance lets it pass */
	report_free(&r);
	init_report(&r);
	add_simple(&r, "solve M1", 0.125, 16000);
	if (report_compare(&r, &base, "slower.json", 0.3, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_int_equal(regressions, 0);
	assert_false(flag(&r, "solve M1", "time_regression"));
	report_free(&r);
	report_free(&base);
}

/* Ratios 1.19 / 1.21 around the time threshold 1.2, and 1.4 / 1.6 around
 * the memory threshold 1.5. */
static void test_compare_thresholds(void **state)
{
	(void)state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	init_report(&r);
	init_report(&base);
	add_simple(&r, "t119", 1.19, 10000);
	add_simple(&r, "t121", 1.21, 10000);
	add_simple(&r, "m140", 1.0, 14000);
	add_simple(&r, "m160", 1.0, 16000);
	add_simple(&r, "faster", 0.5, 5000);
	add_simple(&base, "t119", 1.0, 10000);
	add_simple(&base, "t121", 1.0, 10000);
	add_simple(&base, "m140", 1.0, 10000);
	add_simple(&base, "m160", 1.0, 10000);
	add_simple(&base, "faster", 1.0, 10000);
	if (report_compare(&r, &base, "b.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_false(flag(&r, "t119", "time_regression"));
	assert_string_equal(status_of(&r, "t119"), "ok");
	assert_true(flag(&r, "t121", "time_regression"));
	assert_false(flag(&r, "t121", "memory_regression"));
	assert_string_equal(status_of(&r, "t121"), "regression");
	assert_false(flag(&r, "m140", "memory_regression"));
	assert_string_equal(status_of(&r, "m140"), "ok");
	assert_true(flag(&r, "m160", "memory_regression"));
	assert_false(flag(&r, "m160", "time_regression"));
	near(number(entry(&r, "m160"), "memory_ratio", "m160"), 1.6, "memory_ratio");
	/* faster and smaller is never a regression */
	assert_false(flag(&r, "faster", "time_regression"));
	assert_false(flag(&r, "faster", "memory_regression"));
	assert_int_equal(regressions, 2);
	report_free(&r);
	report_free(&base);
}

/* A result that regresses in time and memory counts twice. */
static void test_compare_both(void **state)
{
	(void)state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	init_report(&r);
	init_report(&base);
	add_simple(&r, "solve M1", 0.125, 16000);
	add_simple(&base, "solve M1", 0.1, 10000);
	if (report_compare(&r, &base, "b.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_true(flag(&r, "solve M1", "time_regression"));
	assert_true(flag(&r, "solve M1", "memory_regression"));
	assert_int_equal(regressions, 2);
	report_free(&r);
	report_free(&base);
}

/* Results whose "items" differ (a --quick report against a full one) are
 * other work: listed as incomparable, whatever their times, never counted. */
static void test_compare_incomparable(void **state)
{
	(void)state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;
	struct report_result quick = {"solve M1", "solve", "solve", "trajectories", 100, 3,
				      {1.0, 1.0, 1.0}, 64000, NULL, NULL, NULL, 0};
	struct report_result full = {"solve M1", "solve", "solve", "trajectories", 500, 5,
				     {0.1, 0.1, 0.1}, 16000, NULL, NULL, NULL, 0};

	init_report(&r);
	init_report(&base);
	if (report_add_result(&r, &quick, &e) || report_add_result(&base, &full, &e))
		fail_msg("report_add_result: %s", e.msg);
	add_simple(&r, "solve M2", 0.125, 16000);
	add_simple(&base, "solve M2", 0.1, 16000);
	if (report_compare(&r, &base, "full.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_string_equal(status_of(&r, "solve M1"), "incomparable");
	assert_null(json_object_get(entry(&r, "solve M1"), "time_regression"));
	assert_string_equal(status_of(&r, "solve M2"), "regression");
	assert_int_equal(regressions, 1);
	assert_int_equal(n_entries(&r), 2);
	report_free(&r);
	report_free(&base);
}

static void test_compare_new_missing(void **state)
{
	(void)state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	init_report(&r);
	init_report(&base);
	add_simple(&r, "only current", 10.0, 100000);
	add_simple(&r, "both", 0.5, 20000);
	add_simple(&base, "both", 0.5, 20000);
	add_simple(&base, "only baseline", 0.001, 10);
	if (report_compare(&r, &base, "b.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	assert_int_equal(regressions, 0);
	assert_int_equal(n_entries(&r), 3);
	assert_string_equal(status_of(&r, "only current"), "new");
	assert_string_equal(status_of(&r, "only baseline"), "missing");
	assert_string_equal(status_of(&r, "both"), "ok");
	/* new and missing entries carry no ratios or flags */
	assert_null(json_object_get(entry(&r, "only current"), "time_regression"));
	assert_null(json_object_get(entry(&r, "only baseline"), "time_ratio"));
	report_free(&r);
	report_free(&base);
}

/* ---- report_load ---- */

/* report_load of text must fail with ERR_INPUT and a message holding the
 * path and want (may be NULL). */
static void expect_refused(const struct scratch *s, const char *text, const char *want)
{
	struct report r;
	struct err e = {0};

	scratch_write(s->path, text);
	int rc = report_load(&r, s->path, &e);
	if (rc == 0) {
		report_free(&r);
		fail_msg("report_load accepted %s", text);
	}
	assert_int_equal(rc, ERR_INPUT);
	if (!strstr(e.msg, s->path))
		fail_msg("message \"%s\" does not name %s", e.msg, s->path);
	if (want && !strstr(e.msg, want))
		fail_msg("message \"%s\" does not say \"%s\"", e.msg, want);
}

#define GOOD "{\"name\": \"solve M1\", \"items\": 100, \"seconds\": {\"median\": 0.1}, \"peak_rss_kib\": 1000}"
#define GOOD2 "{\"name\": \"solve M2\", \"items\": 100, \"seconds\": {\"median\": 0.1}, \"peak_rss_kib\": 1000}"

static void test_load_refusals(void **state)
{
	struct scratch *s = *state;
	expect_refused(s, "this is not JSON\n", NULL);
	expect_refused(s, "", NULL);
	expect_refused(s, "{\"report\": \"biofilter profile\", \"format\": 1}\n", "results");
	expect_refused(s, "[]\n", "results");
	expect_refused(s, "{\"results\": {}}\n", "results");
	expect_refused(s, "{\"results\": [" GOOD ", {\"seconds\": {\"median\": 0.1}, \"peak_rss_kib\": 1000}]}\n",
		       "results[1]");
	expect_refused(s, "{\"results\": [{\"name\": 7, \"seconds\": {\"median\": 0.1}, \"peak_rss_kib\": 1000}]}\n",
		       "results[0]");
	expect_refused(s, "{\"results\": [{\"name\": \"a\", \"seconds\": {\"min\": 0.1}, \"peak_rss_kib\": 1000}]}\n",
		       "results[0]");
	expect_refused(s, "{\"results\": [{\"name\": \"a\", \"seconds\": 0.1, \"peak_rss_kib\": 1000}]}\n",
		       "results[0]");
	expect_refused(s, "{\"results\": [" GOOD ", " GOOD ", {\"name\": \"a\", \"seconds\": {\"median\": 0.1}}]}\n",
		       "results[2]");
	expect_refused(s,
		       "{\"results\": [{\"name\": \"a\", \"seconds\": {\"median\": \"fast\"}, \"peak_rss_kib\": 1000}]}\n",
		       "results[0]");
	/* a time or memory that no ratio can be taken to */
	expect_refused(s, "{\"results\": [" GOOD ", {\"name\": \"a\", \"items\": 1, \"seconds\": {\"median\": -0.1}, "
			  "\"peak_rss_kib\": 1000}]}\n",
		       "results[1]");
	expect_refused(s, "{\"results\": [{\"name\": \"a\", \"items\": 1, \"seconds\": {\"median\": 0.1}, "
			  "\"peak_rss_kib\": -1}]}\n",
		       "results[0]");
}

/* A hand-made baseline needs only the results' name, median and peak; the
 * loaded report gets "sweeps" and "leaks" arrays (report.c's invariant). */
static void test_load_minimal(void **state)
{
	struct scratch *s = *state;
	struct report r;
	struct err e = {0};

	scratch_write(s->path, "{\"results\": [" GOOD "]}\n");
	if (report_load(&r, s->path, &e))
		fail_msg("report_load: %s", e.msg);
	assert_true(json_is_array(json_object_get(r.doc, "sweeps")));
	assert_true(json_is_array(json_object_get(r.doc, "leaks")));
	assert_int_equal(json_array_size(json_object_get(r.doc, "results")), 1);
	report_free(&r);
}

/* A baseline result without "items": report_compare matches results by
 * their items, so it must either be refused at load (saying which result)
 * or be compared (a result 25% slower flagged). Silently "incomparable",
 * --fail-on-regression would pass whatever the times. */
static void test_load_minimal_compares(void **state)
{
	struct scratch *s = *state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	scratch_write(s->path, "{\"results\": [{\"name\": \"solve M1\", \"seconds\": {\"median\": 0.1}, "
			       "\"peak_rss_kib\": 16000}]}\n");
	if (report_load(&base, s->path, &e)) {
		/* refused: then the message must say what is missing */
		assert_non_null(strstr(e.msg, "results[0]"));
		return;
	}
	init_report(&r);
	add_simple(&r, "solve M1", 0.125, 16000);
	if (report_compare(&r, &base, "minimal.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	if (strcmp(status_of(&r, "solve M1"), "regression"))
		fail_msg("a result 25%% slower than a baseline that report_load accepted is \"%s\", not a regression",
			 status_of(&r, "solve M1"));
	assert_int_equal(regressions, 1);
	report_free(&r);
	report_free(&base);
}

/* A baseline median of 0 makes the time ratio infinite. The baseline must
 * either be refused (a median time must be positive) or its result still
 * be compared: a result may not vanish from the comparison while it is
 * counted as a regression. */
static void test_load_zero_median(void **state)
{
	struct scratch *s = *state;
	struct report r, base;
	struct err e = {0};
	int regressions = -1;

	scratch_write(s->path, "{\"results\": [{\"name\": \"solve M1\", \"items\": 100, \"seconds\": {\"median\": 0}, "
			       "\"peak_rss_kib\": 1000}, " GOOD2 "]}\n");
	if (report_load(&base, s->path, &e)) {
		assert_non_null(strstr(e.msg, "results[0]"));
		return;
	}
	init_report(&r);
	add_simple(&r, "solve M1", 0.1, 1000);
	if (report_compare(&r, &base, "zero.json", 0.2, 0.5, &regressions, &e))
		fail_msg("report_compare: %s", e.msg);
	/* "solve M1" in both, "solve M2" missing */
	if (n_entries(&r) != 2)
		fail_msg("%zu comparison entries, want 2 (\"solve M1\" compared, \"solve M2\" missing); "
			 "%d regression(s) counted",
			 n_entries(&r), regressions);
	assert_string_equal(status_of(&r, "solve M2"), "missing");
	assert_true(flag(&r, "solve M1", "time_regression"));
	assert_int_equal(regressions, 1);
	report_free(&r);
	report_free(&base);
}

/* ---- report_write_tsv ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4096];
	size_t n;
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static void test_write_tsv(void **state)
{
	struct scratch *s = *state;
	struct report r;
	struct err e = {0};
	char path[160];
	static const char *const a_cols[] = {"steps", "solve_ms", "newton_per_step"};
	const double a[] = {250, 0.2485154, 1.118, 500, NAN, 1.059, 1000, 0.4391124, INFINITY};
	static const char *const b_cols[] = {"threads", "seconds"};
	const double b[] = {1, 3.03848645, 2, 1.56100766};

	snprintf(path, sizeof path, "%s/steps.tsv", s->dir);
	init_report(&r);
	if (report_add_sweep(&r, "threads", "infer on 1 and 2 threads", b_cols, 2, b, 2, &e) ||
	    report_add_sweep(&r, "steps", "M1, cost against the number of time steps", a_cols, 3, a, 3, &e))
		fail_msg("report_add_sweep: %s", e.msg);
	if (report_write_tsv(&r, "steps", path, &e))
		fail_msg("report_write_tsv: %s", e.msg);
	assert_string_equal(slurp(path), "# M1, cost against the number of time steps\n"
					 "# steps\tsolve_ms\tnewton_per_step\n"
					 "250\t0.2485154\t1.118\n"
					 "500\tNaN\t1.059\n"
					 "1000\t0.4391124\tNaN\n");
	snprintf(path, sizeof path, "%s/threads.tsv", s->dir);
	if (report_write_tsv(&r, "threads", path, &e))
		fail_msg("report_write_tsv: %s", e.msg);
	assert_string_equal(slurp(path), "# infer on 1 and 2 threads\n"
					 "# threads\tseconds\n"
					 "1\t3.03848645\n"
					 "2\t1.56100766\n");
	report_free(&r);
}

/* ---- report_write is atomic ---- */

static void test_write_atomic(void **state)
{
	struct scratch *s = *state;
	struct report r;
	struct err e = {0};
	char path[160];
	struct stat st;

	init_report(&r);
	add_simple(&r, "solve M1", 0.125, 16000);
	/* into a missing directory: a run-time error naming the file, nothing written */
	snprintf(path, sizeof path, "%s/nodir/report.json", s->dir);
	int rc = report_write(&r, path, &e);
	assert_int_equal(rc, ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "report.json"));
	assert_int_not_equal(stat(path, &st), 0);
	/* over an older file: replaced whole */
	scratch_write(s->path, "old\n");
	if (report_write(&r, s->path, &e))
		fail_msg("report_write: %s", e.msg);
	json_t *doc = load_written(s->path);
	assert_true(json_equal(doc, r.doc));
	json_decref(doc);
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_equal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_slower, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_thresholds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_new_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_incomparable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_minimal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_minimal_compares, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_zero_median, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_tsv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
