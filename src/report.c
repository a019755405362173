/*
 * report: the JSON document of profile (see report.h) and its tables.
 * Invariant: r->doc always has "results", "sweeps" and "leaks" arrays.
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "mpjson.h"
#include "outfile.h"
#include "version.h"

#ifndef BIOFILTER_COMMIT
#define BIOFILTER_COMMIT ""
#endif

#if defined(__clang__)
#define COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

/* The value of "key" in a "key : value" line of a /proc file. */
static void proc_field(const char *path, const char *key, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t n = strlen(key);

	*buf = 0;
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, n) && (line[n] == ':' || line[n] == ' ' || line[n] == '\t')) {
			const char *v = strchr(line, ':');
			if (!v)
				continue;
			v++;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
			break;
		}
	fclose(f);
}

static json_t *machine_json(void)
{
	char host[256] = "", cpu[256], mem[64], sys[512] = "";
	struct utsname u;

	if (gethostname(host, sizeof host - 1))
		snprintf(host, sizeof host, "unknown");
	if (!uname(&u))
		snprintf(sys, sizeof sys, "%s %s %s", u.sysname, u.release, u.machine);
	proc_field("/proc/cpuinfo", "model name", cpu, sizeof cpu);
	proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return json_pack("{s:s,s:s,s:s,s:I,s:I}", "hostname", host, "system", sys, "cpu", *cpu ? cpu : "unknown",
			 "cores", (json_int_t)(cores > 0 ? cores : 1), "memory_kib", (json_int_t)strtol(mem, NULL, 10));
}

static void report_empty(struct report *r)
{
	r->doc = NULL;
}

int report_init(struct report *r, const struct report_settings *s, struct err *e)
{
	char date[32];
	time_t now = time(NULL);
	struct tm tm;

	report_empty(r);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	r->doc = json_pack("{s:s,s:i,s:s,s:s,s:s,s:o,s:s,s:{s:b,s:i,s:i,s:i},s:[],s:[],s:[]}", "report",
			   "biofilter profile", "format", REPORT_FORMAT, "version", BIOFILTER_VERSION, "commit",
			   *BIOFILTER_COMMIT ? BIOFILTER_COMMIT : "unknown", "date", date, "machine", machine_json(),
			   "compiler", COMPILER, "settings", "quick", s->quick, "repeat", s->repeat, "warmup", s->warmup,
			   "threads", s->threads, "results", "sweeps", "leaks");
	return r->doc ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

void report_free(struct report *r)
{
	json_decref(r->doc);
	r->doc = NULL;
}

int report_load(struct report *r, const char *path, struct err *e)
{
	json_t *doc;
	int rc;

	report_empty(r);
	if ((rc = mpjson_load_file(path, "a profile report", &doc, e)))
		return rc;
	const json_t *res = json_object_get(doc, "results");
	if (!json_is_object(doc) || !json_is_array(res)) {
		json_decref(doc);
		return err_set(e, ERR_INPUT, "%s: not a profile report (no 'results')", path);
	}
	/* a report of another format may mean other things by the same keys */
	const json_t *fmt = json_object_get(doc, "format");
	if (fmt && (!json_is_integer(fmt) || json_integer_value(fmt) != REPORT_FORMAT)) {
		json_decref(doc);
		return err_set(e, ERR_INPUT, "%s: 'format' must be %d (this profile's report format)", path,
			       REPORT_FORMAT);
	}
	size_t i;
	json_t *x;
	json_array_foreach(res, i, x) {
		const json_t *sec = json_object_get(x, "seconds"), *med = json_object_get(sec, "median");
		/* items too: only the same work compares */
		if (!json_is_string(json_object_get(x, "name")) || !json_is_number(med) ||
		    !json_is_integer(json_object_get(x, "peak_rss_kib")) || !json_is_integer(json_object_get(x, "items"))) {
			json_decref(doc);
			return err_set(e, ERR_INPUT,
				       "%s: results[%zu]: needs 'name', 'items', 'seconds.median' and 'peak_rss_kib'",
				       path, i);
		}
		/* a ratio to it must be a number */
		if (!(json_number_value(med) > 0) || !isfinite(json_number_value(med)) ||
		    json_integer_value(json_object_get(x, "peak_rss_kib")) < 0) {
			json_decref(doc);
			return err_set(e, ERR_INPUT,
				       "%s: results[%zu]: 'seconds.median' must be positive and 'peak_rss_kib' not "
				       "negative", path, i);
		}
	}
	/* the other arrays may be missing from a hand-made baseline */
	static const char *const arrays[] = {"sweeps", "leaks"};
	for (int k = 0; k < 2; k++)
		if (!json_is_array(json_object_get(doc, arrays[k])))
			json_object_set_new(doc, arrays[k], json_array());
	r->doc = doc;
	return 0;
}

static json_t *stats_json(const struct measure_stats *s)
{
	return json_pack("{s:f,s:f,s:f}", "min", s->min, "median", s->median, "max", s->max);
}

int report_add_result(struct report *r, const struct report_result *x, struct err *e)
{
	struct measure_stats per = {x->seconds.min / (double)x->items, x->seconds.median / (double)x->items,
				    x->seconds.max / (double)x->items};
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:o,s:o,s:f,s:I}", "name", x->name, "component",
			      x->component, "command", x->command, "unit", x->unit, "items", (json_int_t)x->items,
			      "repeat", x->repeat, "seconds", stats_json(&x->seconds), "per_item_seconds",
			      stats_json(&per), "throughput_per_second", (double)x->items / x->seconds.median,
			      "peak_rss_kib", (json_int_t)x->peak_rss_kib);

	if (!o) {
		json_decref(x->counters);
		json_decref(x->figures);
		json_decref(x->phases);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	json_object_set_new(o, "counters", x->counters ? x->counters : json_object());
	json_object_set_new(o, "figures", x->figures ? x->figures : json_object());
	if (x->phases) {
		json_object_set_new(o, "phases", x->phases);
		json_object_set_new(o, "phases_wall_seconds", json_real(x->phases_wall));
	}
	return json_array_append_new(json_object_get(r->doc, "results"), o) ? err_set(e, ERR_NOMEM, "out of memory")
									    : 0;
}

int report_add_sweep(struct report *r, const char *name, const char *title, const char *const *cols, int n_cols,
		     const double *cells, int n_rows, struct err *e)
{
	json_t *c = json_array(), *rows = json_array();

	for (int j = 0; c && j < n_cols; j++)
		json_array_append_new(c, json_string(cols[j]));
	for (int i = 0; rows && i < n_rows; i++) {
		json_t *row = json_array();
		for (int j = 0; row && j < n_cols; j++) {
			double v = cells[(size_t)i * n_cols + j];
			/* counts stay integers; a cell that could not be measured is null */
			json_array_append_new(row, !isfinite(v)	       ? json_null()
						   : v == rint(v) && fabs(v) < 1e15 ? json_integer((json_int_t)v)
										   : json_real(v));
		}
		json_array_append_new(rows, row);
	}
	json_t *o = json_pack("{s:s,s:s,s:o,s:o}", "name", name, "title", title, "columns", c, "rows", rows);
	if (!o || json_array_append_new(json_object_get(r->doc, "sweeps"), o))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

int report_add_leak(struct report *r, const char *component, const long *rss_kib, int runs, long growth_kib,
		    int flagged, struct err *e)
{
	json_t *a = json_array();
	for (int i = 0; a && i < runs; i++)
		json_array_append_new(a, json_integer(rss_kib[i]));
	json_t *o = json_pack("{s:s,s:i,s:o,s:I,s:b}", "component", component, "runs", runs, "rss_kib", a,
			      "growth_kib", (json_int_t)growth_kib, "flagged", flagged);
	if (!o || json_array_append_new(json_object_get(r->doc, "leaks"), o))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

static const json_t *find_result(const json_t *doc, const char *name)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(doc, "results"), i, x) {
		if (!strcmp(json_string_value(json_object_get(x, "name")), name))
			return x;
	}
	return NULL;
}

static double median_of(const json_t *x)
{
	return json_number_value(json_object_get(json_object_get(x, "seconds"), "median"));
}

static double peak_of(const json_t *x)
{
	return (double)json_integer_value(json_object_get(x, "peak_rss_kib"));
}

int report_compare(struct report *r, const struct report *base, const char *base_name, double time_tol,
		   double mem_tol, int *regressions, struct err *e)
{
	json_t *entries = json_array();
	size_t i;
	json_t *x;

	*regressions = 0;
	if (!entries)
		return err_set(e, ERR_NOMEM, "out of memory");
	json_array_foreach(json_object_get(r->doc, "results"), i, x) {
		const char *name = json_string_value(json_object_get(x, "name"));
		const json_t *b = find_result(base->doc, name);
		json_t *o;
		if (!b) {
			o = json_pack("{s:s,s:s}", "name", name, "status", "new");
		} else if (json_integer_value(json_object_get(x, "items")) !=
			   json_integer_value(json_object_get(b, "items"))) {
			/* a --quick report against a full one: other work */
			o = json_pack("{s:s,s:s}", "name", name, "status", "incomparable");
		} else {
			double tr = median_of(x) / median_of(b), mr = peak_of(b) > 0 ? peak_of(x) / peak_of(b) : 1.0;
			int treg = tr > 1 + time_tol, mreg = mr > 1 + mem_tol;
			*regressions += treg + mreg;
			o = json_pack("{s:s,s:s,s:f,s:f,s:f,s:I,s:I,s:f,s:b,s:b}", "name", name, "status",
				      treg || mreg ? "regression" : "ok", "median_seconds", median_of(x),
				      "baseline_median_seconds", median_of(b), "time_ratio", tr, "peak_rss_kib",
				      (json_int_t)peak_of(x), "baseline_peak_rss_kib", (json_int_t)peak_of(b),
				      "memory_ratio", mr, "time_regression", treg, "memory_regression", mreg);
		}
		if (!o || json_array_append_new(entries, o)) {
			json_decref(entries);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	json_array_foreach(json_object_get(base->doc, "results"), i, x) {
		const char *name = json_string_value(json_object_get(x, "name"));
		if (!find_result(r->doc, name))
			json_array_append_new(entries, json_pack("{s:s,s:s}", "name", name, "status", "missing"));
	}
	json_t *c = json_pack("{s:s,s:f,s:f,s:o,s:i}", "baseline", base_name, "time_tolerance", time_tol,
			      "memory_tolerance", mem_tol, "entries", entries, "regressions", *regressions);
	if (!c || json_object_set_new(r->doc, "comparison", c))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

/* ---- tables for people ---- */

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static double num_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void print_results(const json_t *doc, FILE *f)
{
	const json_t *res = json_object_get(doc, "results");
	size_t i;
	json_t *x;

	if (!json_array_size(res))
		return;
	fprintf(f, "%-28s %7s %10s %10s %10s %11s %14s %10s\n", "result", "items", "median", "min", "max", "per item",
		"per second", "peak RSS");
	json_array_foreach(res, i, x) {
		char med[32], lo[32], hi[32], per[32];
		const json_t *s = json_object_get(x, "seconds");
		clock_format_seconds(med, sizeof med, num_of(s, "median"));
		clock_format_seconds(lo, sizeof lo, num_of(s, "min"));
		clock_format_seconds(hi, sizeof hi, num_of(s, "max"));
		clock_format_seconds(per, sizeof per, num_of(json_object_get(x, "per_item_seconds"), "median"));
		fprintf(f, "%-28s %7lld %10s %10s %10s %11s %14.4g %7.1f MiB\n", str_of(x, "name"),
			(long long)json_integer_value(json_object_get(x, "items")), med, lo, hi, per,
			num_of(x, "throughput_per_second"), peak_of(x) / 1024.0);
	}
	/* the programs' own figures and the phases, one line each */
	fputc('\n', f);
	json_array_foreach(res, i, x) {
		const json_t *fig = json_object_get(x, "figures"), *ph = json_object_get(x, "phases");
		const char *k;
		json_t *v;
		if (!json_object_size(fig) && !json_object_size(ph))
			continue;
		fprintf(f, "%s (%s):", str_of(x, "name"), str_of(x, "unit"));
		json_object_foreach((json_t *)fig, k, v) {
			fprintf(f, " %s %.4g;", k, json_number_value(v));
		}
		if (json_object_size(ph)) {
			char w[32];
			clock_format_seconds(w, sizeof w, num_of(x, "phases_wall_seconds"));
			fprintf(f, " phases of %s:", w);
			json_object_foreach((json_t *)ph, k, v) {
				fprintf(f, " %s %.1f%%", k, 100 * num_of(v, "share"));
			}
		}
		fputc('\n', f);
	}
}

static void print_sweeps(const json_t *doc, FILE *f)
{
	size_t i, j, k;
	json_t *s, *c, *row, *v;

	json_array_foreach(json_object_get(doc, "sweeps"), i, s) {
		fprintf(f, "\nsweep %s: %s\n", str_of(s, "name"), str_of(s, "title"));
		json_array_foreach(json_object_get(s, "columns"), j, c) {
			fprintf(f, "%s%14s", j ? " " : "", json_string_value(c));
		}
		fputc('\n', f);
		json_array_foreach(json_object_get(s, "rows"), j, row) {
			json_array_foreach(row, k, v) {
				if (json_is_null(v))
					fprintf(f, "%s%14s", k ? " " : "", "-");
				else
					fprintf(f, "%s%14.5g", k ? " " : "", json_number_value(v));
			}
			fputc('\n', f);
		}
	}
}

static void print_leaks(const json_t *doc, FILE *f)
{
	size_t i, j;
	json_t *l, *v;

	json_array_foreach(json_object_get(doc, "leaks"), i, l) {
		fprintf(f, "\nleak check %s, %lld runs in one process, resident memory after each (KiB):\n ",
			str_of(l, "component"), (long long)json_integer_value(json_object_get(l, "runs")));
		json_array_foreach(json_object_get(l, "rss_kib"), j, v) {
			fprintf(f, " %lld", (long long)json_integer_value(v));
		}
		fprintf(f, "\n  growth after the first run: %lld KiB: %s\n",
			(long long)json_integer_value(json_object_get(l, "growth_kib")),
			json_is_true(json_object_get(l, "flagged")) ? "LEAK?" : "ok");
	}
}

static void print_comparison(const json_t *doc, FILE *f)
{
	const json_t *c = json_object_get(doc, "comparison");
	size_t i;
	json_t *x;

	if (!c)
		return;
	fprintf(f, "\ncompared with %s (a regression: median time +%.0f%%, peak memory +%.0f%%):\n",
		str_of(c, "baseline"), 100 * num_of(c, "time_tolerance"), 100 * num_of(c, "memory_tolerance"));
	fprintf(f, "%-28s %10s %10s %7s %10s %10s %7s  %s\n", "result", "median", "baseline", "ratio", "peak RSS",
		"baseline", "ratio", "");
	json_array_foreach(json_object_get(c, "entries"), i, x) {
		const char *st = str_of(x, "status");
		if (strcmp(st, "ok") && strcmp(st, "regression")) {
			fprintf(f, "%-28s %s\n", str_of(x, "name"),
				!strcmp(st, "new")	    ? "new: not in the baseline"
				: !strcmp(st, "missing") ? "missing: only in the baseline"
							 : "incomparable: other 'items' than the baseline's (--quick?)");
			continue;
		}
		char med[32], bmed[32];
		clock_format_seconds(med, sizeof med, num_of(x, "median_seconds"));
		clock_format_seconds(bmed, sizeof bmed, num_of(x, "baseline_median_seconds"));
		fprintf(f, "%-28s %10s %10s %7.2f %6.1f MiB %6.1f MiB %7.2f  %s%s\n", str_of(x, "name"), med, bmed,
			num_of(x, "time_ratio"), num_of(x, "peak_rss_kib") / 1024,
			num_of(x, "baseline_peak_rss_kib") / 1024, num_of(x, "memory_ratio"),
			json_is_true(json_object_get(x, "time_regression")) ? "REGRESSION time " : "",
			json_is_true(json_object_get(x, "memory_regression")) ? "REGRESSION memory" : "");
	}
	fprintf(f, "%lld regression(s)\n", (long long)json_integer_value(json_object_get(c, "regressions")));
}

void report_print(const struct report *r, FILE *f)
{
	const json_t *m = json_object_get(r->doc, "machine");

	fprintf(f, "biofilter %s (commit %s, %s), %s, %lld cores; %s\n", str_of(r->doc, "version"),
		str_of(r->doc, "commit"), str_of(r->doc, "compiler"), str_of(m, "cpu"),
		(long long)json_integer_value(json_object_get(m, "cores")), str_of(r->doc, "date"));
	print_results(r->doc, f);
	print_sweeps(r->doc, f);
	print_leaks(r->doc, f);
	print_comparison(r->doc, f);
}

/* Text, atomically (outfile.h). */
static int write_text(const char *path, const char *text, struct err *e)
{
	return outfile_write_file(path, text, strlen(text), e);
}

int report_write_tsv(const struct report *r, const char *sweep, const char *path, struct err *e)
{
	size_t i, j;
	json_t *s, *c, *row, *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return err_set(e, ERR_NOMEM, "out of memory");
	json_array_foreach(json_object_get(r->doc, "sweeps"), i, s) {
		if (strcmp(str_of(s, "name"), sweep))
			continue;
		fprintf(f, "# %s\n#", str_of(s, "title"));
		json_array_foreach(json_object_get(s, "columns"), j, c) {
			fprintf(f, "%s%s", j ? "\t" : " ", json_string_value(c));
		}
		fputc('\n', f);
		json_array_foreach(json_object_get(s, "rows"), j, row) {
			size_t k;
			json_array_foreach(row, k, v) {
				char num[40];
				if (json_is_null(v))
					snprintf(num, sizeof num, "NaN");
				else if (json_is_integer(v))
					snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
				else
					snprintf(num, sizeof num, "%.9g", json_real_value(v));
				fprintf(f, "%s%s", k ? "\t" : "", num);
			}
			fputc('\n', f);
		}
	}
	if (fclose(f)) {
		free(buf);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	int rc = write_text(path, buf, e);
	free(buf);
	return rc;
}

int report_write(const struct report *r, const char *path, struct err *e)
{
	char *text = json_dumps(r->doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (!text)
		return err_set(e, ERR_NOMEM, "out of memory");
	size_t n = strlen(text);
	char *t = realloc(text, n + 2);
	if (!t) {
		free(text);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	t[n] = '\n';
	t[n + 1] = 0;
	int rc = write_text(path, t, e);
	free(t);
	return rc;
}
