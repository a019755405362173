/*
 * Unit tests for likelihood: loading data streams (DESIGN §3, kind "data")
 * and the eq. 29 log-likelihood with first-order TSM moments (DESIGN §1).
 *
 * Loading: data streams are written here with the stream writer, record by
 * record, and the loaded points, distinct saved steps and point-to-row map
 * are checked exactly; every refusal is ERR_INPUT with a message naming the
 * file, the record and the field (the bad record is always record 2, after
 * a good one, so the number is not the default 1 by luck).
 *
 * Evaluation: the reference is computed here from the parts: one tsm_run
 * of Case II M1 (examples/case2/M1.json) with every parameter a column,
 * mean phi_i psi_i and var = sum_p ((psi_i dphi_i/dtheta_p + phi_i
 * dpsi_i/dtheta_p) cov theta_p)^2 over the aleatory parameters, and eq. 29
 * summed over the points in input order. Tolerance 1e-12 relative: the
 * arithmetic is the same up to the order of the operations (the library
 * scales by sd = cov theta_p before squaring, and computes each saved
 * step's moments once for all points at it; columns of a subset run are
 * bitwise those of the full run, test_tsm), so only rounding may differ:
 * measured, the variances within 3e-16 relative and log L identical. A
 * real error is far larger: leaving out the variance moves log L by
 * 0.03 at truth and 3.3 at the other theta, leaving out one column of
 * five by 2.4e-4 at least.
 *
 * The cov = 0 case is also checked against solve's own trajectory
 * (solver_run): the TSM run reaches the same roots by another Newton path
 * (it reuses its factorisation), so the two agree only as far as the
 * Newton tolerance lets them, measured 2.3e-9 in phibar at most over M1's
 * steps (2.4e-9 for M3); allowed 1e-8 per mean.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "likelihood.h"
#include "stream.h"

#include "examples.h"
#include "scratch.h"
#include "streams.h"

#define TWO_PI 6.283185307179586476925286766559
#define REL_TOL 1e-12

static const double M1_TRUTH[5] = {0.8, 2.0, 1.0, 0.1, 0.2};

/* ---- a scratch directory per test ---- */

static int setup(void **state)
{
	return scratch_setup(state, "test_likelihood", "data.mpk");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}

/* ---- writing data streams ---- */

/* One data record. Steps are packed as integers unless float_steps or the
 * value is not an integer; rows is the number of phibar rows (0: k). */
struct data_rec {
	int k;
	const double *step;
	const double *phibar; /* rows x cols, row-major */
	int cols;
	const double *t;      /* k times, or NULL for no 't' */
	double sigma;         /* NAN: no 'sigma_obs' */
	const char *status;   /* NULL: no 'status' */
	int float_steps;
	int rows;
	int omit;             /* 1: no 'step', 2: no 'phibar', 4: 't' a number, not a list */
};

static void pack_rec(msgpack_packer *pk, const struct data_rec *r)
{
	const int rows = r->rows ? r->rows : r->k;
	size_t keys = !(r->omit & 1) + !(r->omit & 2) + (r->t || (r->omit & 4)) + !isnan(r->sigma) +
		      (r->status != NULL);

	msgpack_pack_map(pk, keys);
	if (!(r->omit & 1)) {
		pack_str(pk, "step");
		msgpack_pack_array(pk, (size_t)r->k);
		for (int j = 0; j < r->k; j++) {
			double s = r->step[j];
			if (!r->float_steps && s == floor(s) && fabs(s) < 1e15)
				msgpack_pack_int64(pk, (int64_t)s);
			else
				msgpack_pack_double(pk, s);
		}
	}
	if (r->omit & 4) {
		pack_str(pk, "t");
		msgpack_pack_double(pk, r->step[0] * 1e-5);
	} else if (r->t) {
		pack_str(pk, "t");
		pack_numbers(pk, r->t, (size_t)r->k);
	}
	if (!(r->omit & 2)) {
		pack_str(pk, "phibar");
		msgpack_pack_array(pk, (size_t)rows);
		for (int j = 0; j < rows; j++)
			pack_numbers(pk, r->phibar + (size_t)j * r->cols, (size_t)r->cols);
	}
	if (!isnan(r->sigma)) {
		pack_str(pk, "sigma_obs");
		msgpack_pack_double(pk, r->sigma);
	}
	if (r->status) {
		pack_str(pk, "status");
		pack_str(pk, r->status);
	}
}

/* A stream at path: a header of `kind` (none when NULL) and the records. */
static void write_data(const char *path, const char *kind, const struct data_rec *recs, int n)
{
	struct stream_writer w;

	writer_open_ok(&w, path);
	if (kind)
		writer_header_ok(&w, kind);
	for (int i = 0; i < n; i++) {
		pack_rec(stream_writer_packer(&w), &recs[i]);
		writer_flush_ok(&w);
	}
	writer_commit_ok(&w);
}

static void load_ok(struct likelihood_data *d, const char *path, const struct model *m)
{
	struct err e = {0};
	int rc = likelihood_data_load(d, path, m, &e);
	if (rc)
		fail_msg("likelihood_data_load: %d: %s", rc, e.msg);
}

/* ---- loading ---- */

/* Two records sharing steps, out of order: every point kept in input
 * order, the distinct steps ascending, each point mapped to its row. */
static void test_load_rows(void **state)
{
	struct scratch *s = *state;
	struct model m;
	struct likelihood_data d;

	load_example(&m, "M1");
	const double st1[] = {500, 100, 2500}, t1[] = {500 * 1e-5, 100 * 1e-5, 2500 * 1e-5};
	const double ph1[] = {0.11, 0.12, 0.21, 0.22, 0.31, 0.32};
	const double st2[] = {100, 0, 1500, 500};
	const double ph2[] = {0.41, 0.42, 0.51, 0.52, 0.61, 0.62, 0.71, 0.72};
	const struct data_rec recs[] = {
		{.k = 3, .step = st1, .phibar = ph1, .cols = 2, .t = t1, .sigma = 0.005},
		/* steps as floats (1500.0 is a step number), status "ok" */
		{.k = 4, .step = st2, .phibar = ph2, .cols = 2, .sigma = 0.005, .status = "ok", .float_steps = 1},
	};
	write_data(s->path, "data", recs, 2);
	load_ok(&d, s->path, &m);

	assert_int_equal(d.species, 2);
	assert_int_equal(d.points, 7);
	const int want_step[] = {500, 100, 2500, 100, 0, 1500, 500};
	const int want_save[] = {0, 100, 500, 1500, 2500};
	const int want_row[] = {2, 1, 4, 1, 0, 3, 2};
	for (int j = 0; j < 7; j++) {
		assert_int_equal(d.step[j], want_step[j]);
		assert_int_equal(d.row[j], want_row[j]);
		assert_int_equal(d.save[d.row[j]], d.step[j]);
		const double *want = j < 3 ? ph1 + 2 * j : ph2 + 2 * (j - 3);
		assert_true(d.phibar[2 * j] == want[0]);
		assert_true(d.phibar[2 * j + 1] == want[1]);
	}
	assert_int_equal(d.n_save, 5);
	for (int r = 0; r < 5; r++)
		assert_int_equal(d.save[r], want_save[r]);
	assert_true(d.sigma_obs == 0.005);
	assert_int_equal(d.sigma_differs, 0);
	likelihood_data_free(&d);
	assert_null(d.save);
	assert_int_equal(d.points, 0);

	/* no header at all is accepted (records only), and no sigma_obs
	 * anywhere leaves it NAN */
	const struct data_rec bare = {.k = 1, .step = st1, .phibar = ph1, .cols = 2, .sigma = NAN};
	write_data(s->path, NULL, &bare, 1);
	load_ok(&d, s->path, &m);
	assert_int_equal(d.points, 1);
	assert_int_equal(d.n_save, 1);
	assert_int_equal(d.save[0], 500);
	assert_int_equal(d.row[0], 0);
	assert_true(isnan(d.sigma_obs));
	assert_int_equal(d.sigma_differs, 0);
	likelihood_data_free(&d);
	model_free(&m);
}

/* sigma_obs is the first record's that gives one; sigma_differs the
 * first record that disagrees with it. */
static void test_load_sigma(void **state)
{
	struct scratch *s = *state;
	struct model m;
	struct likelihood_data d;
	const double st[] = {10}, ph[] = {0.2, 0.2};

	load_example(&m, "M1");
	struct data_rec recs[5];
	const double sig[5] = {NAN, 0.01, 0.01, 0.02, 0.03};
	for (int i = 0; i < 5; i++)
		recs[i] = (struct data_rec){.k = 1, .step = st, .phibar = ph, .cols = 2, .sigma = sig[i]};
	write_data(s->path, "data", recs, 5);
	load_ok(&d, s->path, &m);
	assert_int_equal(d.points, 5);
	assert_int_equal(d.n_save, 1);
	for (int j = 0; j < 5; j++)
		assert_int_equal(d.row[j], 0);
	assert_true(d.sigma_obs == 0.01);
	assert_int_equal(d.sigma_differs, 4);
	likelihood_data_free(&d);

	/* all agree */
	for (int i = 0; i < 5; i++)
		recs[i].sigma = 0.005;
	write_data(s->path, "data", recs, 5);
	load_ok(&d, s->path, &m);
	assert_true(d.sigma_obs == 0.005);
	assert_int_equal(d.sigma_differs, 0);
	likelihood_data_free(&d);
	model_free(&m);
}

/* A bad record 2 after a good record 1: ERR_INPUT, a message naming the
 * file, "record 2" and the field; d left empty. */
static const double good_st[] = {100}, good_ph[] = {0.2, 0.3};
static const double st_100[] = {100}, st_two[] = {100, 200};
static const double ph_three[] = {0.2, 0.3, 0.4}, ph_one[] = {0.2};
static const double ph_two_rows[] = {0.2, 0.3, 0.2, 0.3};
static const double ph_nan[] = {0.2, NAN}, ph_inf[] = {INFINITY, 0.2};

static const struct bad_rec {
	const char *what;
	struct data_rec rec;
	const char *needle;
} bad_recs[] = {
	{"a phibar row of 3 numbers", {.k = 1, .step = st_100, .phibar = ph_three, .cols = 3, .sigma = NAN},
	 "'phibar'[0]"},
	{"a phibar row of 1 number", {.k = 1, .step = st_100, .phibar = ph_one, .cols = 1, .sigma = NAN},
	 "'phibar'[0]"},
	{"phibar not finite", {.k = 1, .step = st_100, .phibar = ph_nan, .cols = 2, .sigma = NAN},
	 "'phibar'[0][1]"},
	{"phibar infinite", {.k = 1, .step = st_100, .phibar = ph_inf, .cols = 2, .sigma = NAN},
	 "'phibar'[0][0]"},
	{"2 phibar rows for 1 step",
	 {.k = 1, .step = st_100, .phibar = ph_two_rows, .cols = 2, .sigma = NAN, .rows = 2}, "'phibar'"},
	{"a step beyond the model's 2500",
	 {.k = 2, .step = (const double[]){100, 2501}, .phibar = ph_two_rows, .cols = 2, .sigma = NAN},
	 "'step'[1] is 2501"},
	{"a non-integer step", {.k = 1, .step = (const double[]){2.5}, .phibar = good_ph, .cols = 2, .sigma = NAN},
	 "'step'[0]"},
	{"a negative step", {.k = 1, .step = (const double[]){-1}, .phibar = good_ph, .cols = 2, .sigma = NAN},
	 "'step'[0]"},
	{"a NaN step", {.k = 1, .step = (const double[]){NAN}, .phibar = good_ph, .cols = 2, .sigma = NAN},
	 "'step'[0]"},
	{"t made with dt 1e-4 (M3's), not M1's 1e-5",
	 {.k = 2, .step = st_two, .phibar = ph_two_rows, .cols = 2, .t = (const double[]){100 * 1e-5, 200 * 1e-4},
	  .sigma = NAN},
	 "'t'[1]"},
	{"t off by 1e-6 relative",
	 {.k = 1, .step = st_100, .phibar = good_ph, .cols = 2, .t = (const double[]){100 * 1e-5 * (1 + 1e-6)},
	  .sigma = NAN},
	 "'t'[0]"},
	{"status other than ok",
	 {.k = 1, .step = st_100, .phibar = good_ph, .cols = 2, .sigma = NAN,
	  .status = "newton did not converge at step 5"},
	 "'status'"},
	{"sigma_obs negative", {.k = 1, .step = st_100, .phibar = good_ph, .cols = 2, .sigma = -0.005},
	 "'sigma_obs'"},
	{"sigma_obs zero", {.k = 1, .step = st_100, .phibar = good_ph, .cols = 2, .sigma = 0}, "'sigma_obs'"},
	{"1 phibar row for no steps", {.k = 0, .step = NULL, .phibar = good_ph, .cols = 2, .sigma = NAN, .rows = 1},
	 "'phibar' has 1 rows for 0 steps"},
	{"no 'step'", {.k = 1, .step = st_100, .phibar = good_ph, .cols = 2, .sigma = NAN, .omit = 1}, "'step'"},
	{"no 'phibar'", {.k = 1, .step = st_100, .phibar = good_ph, .cols = 2, .sigma = NAN, .omit = 2},
	 "'phibar'"},
	{"t not a list", {.k = 1, .step = st_100, .phibar = good_ph, .cols = 2, .sigma = NAN, .omit = 4}, "'t'"},
};

static void assert_refused(const char *what, int rc, const struct err *e, const struct likelihood_data *d,
			   const char *path, const char *record, const char *needle)
{
	if (rc != ERR_INPUT)
		fail_msg("%s: got %d (%s), want ERR_INPUT", what, rc, rc ? e->msg : "accepted");
	assert_int_equal(e->code, ERR_INPUT);
	if (!strstr(e->msg, path) || (record && !strstr(e->msg, record)) || (needle && !strstr(e->msg, needle)))
		fail_msg("%s: message \"%s\" does not name the file, \"%s\" and \"%s\"", what, e->msg,
			 record ? record : "", needle ? needle : "");
	/* nothing is kept on failure */
	assert_int_equal(d->points, 0);
	assert_null(d->step);
	assert_null(d->phibar);
	assert_null(d->save);
	assert_null(d->row);
}

static void test_load_errors(void **state)
{
	struct scratch *s = *state;
	struct model m;
	struct err e = {0};
	struct likelihood_data d;
	const struct data_rec good = {.k = 1, .step = good_st, .phibar = good_ph, .cols = 2, .sigma = 0.005};

	load_example(&m, "M1");
	for (size_t c = 0; c < sizeof bad_recs / sizeof *bad_recs; c++) {
		const struct data_rec recs[2] = {good, bad_recs[c].rec};
		write_data(s->path, "data", recs, 2);
		int rc = likelihood_data_load(&d, s->path, &m, &e);
		assert_refused(bad_recs[c].what, rc, &e, &d, s->path, "record 2", bad_recs[c].needle);
		likelihood_data_free(&d);
	}

	/* rows of mixed lengths: the short second row is named */
	{
		struct stream_writer w;
		writer_open_ok(&w, s->path);
		writer_header_ok(&w, "data");
		msgpack_packer *pk = stream_writer_packer(&w);
		pack_rec(pk, &good);
		msgpack_pack_map(pk, 2);
		pack_str(pk, "step");
		msgpack_pack_array(pk, 2);
		msgpack_pack_int(pk, 10);
		msgpack_pack_int(pk, 20);
		pack_str(pk, "phibar");
		msgpack_pack_array(pk, 2);
		pack_numbers(pk, good_ph, 2);
		pack_numbers(pk, ph_three, 3);
		writer_commit_ok(&w);
		int rc = likelihood_data_load(&d, s->path, &m, &e);
		assert_refused("rows of 2 and 3 numbers", rc, &e, &d, s->path, "record 2", "'phibar'[1]");
		likelihood_data_free(&d);
	}

	/* a record that is not a map */
	{
		struct stream_writer w;
		writer_open_ok(&w, s->path);
		writer_header_ok(&w, "data");
		msgpack_packer *pk = stream_writer_packer(&w);
		pack_rec(pk, &good);
		msgpack_pack_array(pk, 1);
		msgpack_pack_int(pk, 1);
		writer_commit_ok(&w);
		int rc = likelihood_data_load(&d, s->path, &m, &e);
		assert_refused("a record that is not a map", rc, &e, &d, s->path, "record 2", "not a map");
		likelihood_data_free(&d);
	}
	model_free(&m);
}

/* The stream as a whole: another kind, no points, no file. */
static void test_load_stream_errors(void **state)
{
	struct scratch *s = *state;
	struct model m;
	struct err e = {0};
	struct likelihood_data d;
	const struct data_rec good = {.k = 1, .step = good_st, .phibar = good_ph, .cols = 2, .sigma = 0.005};
	const struct data_rec none = {.k = 0, .step = NULL, .phibar = NULL, .cols = 2, .sigma = 0.005};
	int rc;

	load_example(&m, "M1");
	write_data(s->path, "trajectory", &good, 1);
	rc = likelihood_data_load(&d, s->path, &m, &e);
	assert_refused("a trajectory stream", rc, &e, &d, s->path, NULL, "'kind'");

	write_data(s->path, "data", NULL, 0);
	rc = likelihood_data_load(&d, s->path, &m, &e);
	assert_refused("a header and no records", rc, &e, &d, s->path, NULL, "no data points");

	write_data(s->path, "data", &none, 1);
	rc = likelihood_data_load(&d, s->path, &m, &e);
	assert_refused("a record with no steps", rc, &e, &d, s->path, NULL, "no data points");

	write_data(s->path, NULL, NULL, 0); /* an empty file */
	rc = likelihood_data_load(&d, s->path, &m, &e);
	assert_refused("an empty file", rc, &e, &d, s->path, NULL, "no data points");

	unlink(s->path);
	rc = likelihood_data_load(&d, s->path, &m, &e);
	if (rc == 0)
		fail_msg("a missing file was accepted");
	assert_non_null(strstr(e.msg, s->path));
	assert_int_equal(d.points, 0);
	model_free(&m);
}

/* ---- evaluation ---- */

struct point {
	int step;
	double y[MODEL_MAX_SPECIES];
};

/* The data of the evaluation tests, two records (points in this order):
 * steps 1250 125 2500 | 500 1250 0 2000. */
#define N_POINTS 7
static const int point_steps[N_POINTS] = {1250, 125, 2500, 500, 1250, 0, 2000};
static const int eval_save[] = {0, 125, 500, 1250, 2000, 2500};
#define N_SAVE 6

/* Points near M1's trajectory at truth: phibar plus offsets of a few
 * sigma_obs (so the residual terms matter), written to path; pts gets
 * them as written. */
static void make_points(const struct model *m, const char *path, struct point *pts)
{
	const int n = m->species, d = model_state_size(m);
	struct solver sv;
	struct solver_outcome o;
	double states[N_SAVE * MODEL_MAX_STATE];

	solver_init(&sv, m, M1_TRUTH);
	solver_run(&sv, eval_save, N_SAVE, states, &o);
	assert_int_equal(o.status, SOLVER_OK);
	for (int j = 0; j < N_POINTS; j++) {
		int r = 0;
		while (eval_save[r] != point_steps[j])
			r++;
		const double *g = states + r * d;
		pts[j].step = point_steps[j];
		for (int i = 0; i < n; i++)
			pts[j].y[i] = g[i] * g[n + 1 + i] + 0.006 * sin(1.0 + 3 * j + i);
	}
	double st[N_POINTS], ph[N_POINTS * 2], t[N_POINTS];
	for (int j = 0; j < N_POINTS; j++) {
		st[j] = pts[j].step;
		t[j] = pts[j].step * m->dt;
		ph[2 * j] = pts[j].y[0];
		ph[2 * j + 1] = pts[j].y[1];
	}
	const struct data_rec recs[2] = {
		{.k = 3, .step = st, .phibar = ph, .cols = 2, .t = t, .sigma = 0.005},
		{.k = 4, .step = st + 3, .phibar = ph + 6, .cols = 2, .t = t + 3, .sigma = 0.005},
	};
	write_data(path, "data", recs, 2);
}

/* The reference: one full-column TSM run, the moments and eq. 29 by hand.
 * mean and var (N_SAVE x n) are returned for the moment checks. */
static double reference(const struct model *m, const double *theta, const struct point *pts,
			const int *ale, int n_ale, double cov, double sigma, double *mean, double *var)
{
	const int n = m->species, d = model_state_size(m), P = m->n_theta;
	struct tsm t;
	struct err e = {0};
	struct solver_outcome o;
	double *states = malloc(sizeof(double) * N_SAVE * (size_t)d);
	double *ds = malloc(sizeof(double) * N_SAVE * (size_t)d * (size_t)P);

	assert_non_null(states);
	assert_non_null(ds);
	assert_int_equal(tsm_init(&t, m, NULL, 0, &e), 0);
	tsm_run(&t, theta, eval_save, N_SAVE, states, ds, &o);
	assert_int_equal(o.status, SOLVER_OK);
	for (int r = 0; r < N_SAVE; r++) {
		const double *g = states + (size_t)r * d;
		for (int i = 0; i < n; i++) {
			const double phi = g[i], psi = g[n + 1 + i];
			double v = 0;
			for (int a = 0; a < n_ale; a++) {
				const int p = ale[a];
				const double dphi = ds[((size_t)r * d + i) * P + p];
				const double dpsi = ds[((size_t)r * d + n + 1 + i) * P + p];
				const double term = (psi * dphi + phi * dpsi) * cov * theta[p];
				v += term * term;
			}
			mean[r * n + i] = phi * psi;
			var[r * n + i] = v;
		}
	}
	double ll = 0;
	for (int j = 0; j < N_POINTS; j++) {
		int r = 0;
		while (eval_save[r] != pts[j].step)
			r++;
		for (int i = 0; i < n; i++) {
			const double s2 = var[r * n + i] + sigma * sigma, res = pts[j].y[i] - mean[r * n + i];
			ll += -0.5 * log(TWO_PI * s2) - 0.5 * res * res / s2;
		}
	}
	tsm_free(&t);
	free(states);
	free(ds);
	return ll;
}

static void assert_close(const char *what, double got, double want, double rel)
{
	if (!(fabs(got - want) <= rel * fabs(want)))
		fail_msg("%s: got %.17g, want %.17g (relative error %.3g, allowed %.3g)", what, got, want,
			 fabs(got - want) / fabs(want), rel);
}

/* likelihood_eval at theta against the reference; returns its loglik. */
static double check_eval(const struct model *m, const struct likelihood_data *d, const struct point *pts,
			 const double *theta, const int *ale, int n_ale, double cov, double sigma)
{
	struct likelihood l;
	struct likelihood_result res;
	struct err e = {0};
	double mean[N_SAVE * MODEL_MAX_SPECIES], var[N_SAVE * MODEL_MAX_SPECIES];
	const int n = m->species;
	char what[128];

	if (likelihood_init(&l, m, d, ale, n_ale, cov, sigma, &e))
		fail_msg("likelihood_init: %s", e.msg);
	likelihood_eval(&l, theta, &res);
	if (res.status != LIKELIHOOD_OK) {
		char buf[128];
		likelihood_status_string(&l, &res, buf, sizeof buf);
		fail_msg("likelihood_eval: %s", buf);
	}
	const double want = reference(m, theta, pts, ale, n_ale, cov, sigma, mean, var);
	snprintf(what, sizeof what, "loglik (%d aleatory, cov %g, sigma %g)", n_ale, cov, sigma);
	assert_close(what, res.loglik, want, REL_TOL);
	assert_int_equal(res.solver.status, SOLVER_OK);
	assert_true(res.solver.newton_iterations > 0);
	/* the moments at the saved rows */
	assert_int_equal(d->n_save, N_SAVE);
	for (int r = 0; r < N_SAVE; r++)
		for (int i = 0; i < n; i++) {
			snprintf(what, sizeof what, "mean at step %d species %d", eval_save[r], i + 1);
			assert_close(what, l.mean[r * n + i], mean[r * n + i], REL_TOL);
			snprintf(what, sizeof what, "var at step %d species %d", eval_save[r], i + 1);
			if (var[r * n + i] == 0)
				assert_true(l.var[r * n + i] == 0);
			else
				assert_close(what, l.var[r * n + i], var[r * n + i], REL_TOL);
		}
	/* evaluating again on the same workspace gives the same bits */
	struct likelihood_result again;
	likelihood_eval(&l, theta, &again);
	assert_true(again.loglik == res.loglik);
	likelihood_free(&l);
	return res.loglik;
}

static void test_eval(void **state)
{
	struct scratch *s = *state;
	struct model m;
	struct likelihood_data d;
	struct point pts[N_POINTS];
	const int all[] = {0, 1, 2, 3, 4}, some[] = {0, 3}, one[] = {4}, nothing[1] = {-1};

	load_example(&m, "M1");
	make_points(&m, s->path, pts);
	load_ok(&d, s->path, &m);
	assert_int_equal(d.points, N_POINTS);

	/* at truth and off it; sigma other than the data's 0.005 (the
	 * argument is what counts) */
	const double off[5] = {0.9, 1.8, 1.1, 0.12, 0.15};
	const double *thetas[2] = {M1_TRUTH, off};
	for (int k = 0; k < 2; k++) {
		const double *th = thetas[k];
		double l_all = check_eval(&m, &d, pts, th, all, 5, 0.005, 0.005);
		double l_some = check_eval(&m, &d, pts, th, some, 2, 0.005, 0.005);
		check_eval(&m, &d, pts, th, one, 1, 0.01, 0.004);
		check_eval(&m, &d, pts, th, all, 5, 0.02, 0.004);
		/* the aleatory set matters (else a dropped column would go
		 * unseen) */
		assert_true(fabs(l_all - l_some) > 1e-3);

		/* cov = 0, and no aleatory parameter: the plain Gaussian with
		 * s2 = sigma^2, from the same trajectory's means */
		double plain = 0, sigma = 0.005, mean[N_SAVE * MODEL_MAX_SPECIES], var[N_SAVE * MODEL_MAX_SPECIES];
		(void)reference(&m, th, pts, all, 5, 0.0, sigma, mean, var);
		for (int r = 0; r < N_SAVE * 2; r++)
			assert_true(var[r] == 0);
		for (int j = 0; j < N_POINTS; j++) {
			int r = 0;
			while (eval_save[r] != pts[j].step)
				r++;
			for (int i = 0; i < 2; i++) {
				double res = pts[j].y[i] - mean[r * 2 + i];
				plain += -0.5 * log(TWO_PI * sigma * sigma) - 0.5 * res * res / (sigma * sigma);
			}
		}
		double l0 = check_eval(&m, &d, pts, th, all, 5, 0.0, sigma);
		assert_close("cov 0 against the plain Gaussian", l0, plain, REL_TOL);
		/* (an empty list, not NULL: likelihood_init hands aleatory to
		 * tsm_init, where NULL means every parameter) */
		double lnone = check_eval(&m, &d, pts, th, nothing, 0, 0.005, sigma);
		assert_close("no aleatory parameter against the plain Gaussian", lnone, plain, REL_TOL);

		/* and from solve's own trajectory (solver_run): the same root
		 * reached by another Newton path (the TSM run reuses its
		 * factorisation), so the means agree only to what the Newton
		 * tolerance leaves, measured at most 2.3e-9 in phibar over all
		 * of M1's steps; allowed 1e-8 per mean, i.e. |d log L| <=
		 * 1e-8 sum |d - mu| / sigma^2 */
		struct solver sv;
		struct solver_outcome o;
		double states[N_SAVE * MODEL_MAX_STATE], plain_solve = 0, bound = 0;
		const int dd = model_state_size(&m);
		solver_init(&sv, &m, th);
		solver_run(&sv, eval_save, N_SAVE, states, &o);
		assert_int_equal(o.status, SOLVER_OK);
		for (int j = 0; j < N_POINTS; j++) {
			int r = 0;
			while (eval_save[r] != pts[j].step)
				r++;
			for (int i = 0; i < 2; i++) {
				double mu = states[r * dd + i] * states[r * dd + 3 + i], res = pts[j].y[i] - mu;
				assert_true(fabs(mu - mean[r * 2 + i]) <= 1e-8);
				plain_solve += -0.5 * log(TWO_PI * sigma * sigma) - 0.5 * res * res / (sigma * sigma);
				bound += 1e-8 * (fabs(res) + 1e-8) / (sigma * sigma);
			}
		}
		if (!(fabs(l0 - plain_solve) <= bound))
			fail_msg("cov 0: %.17g, from solve's trajectory %.17g, allowed %.3g", l0, plain_solve, bound);
		/* the variance is not negligible here: it must move log L */
		assert_true(fabs(l_all - l0) > 1e-3);
	}
	likelihood_data_free(&d);
	model_free(&m);
}

/* Early rejection: for floors below, at and above the full value, a
 * stopped evaluation is below the floor for certain, and one that is not
 * stopped is the full value to the bit; far below the value (a bad theta
 * against a good floor) it stops before the end of the run. The same
 * workspace is used throughout, so a stop leaves nothing behind. */
static void test_eval_floor(void **state)
{
	struct scratch *s = *state;
	struct model m;
	struct likelihood_data d;
	struct likelihood l;
	struct point pts[N_POINTS];
	struct err e;
	const int all[] = {0, 1, 2, 3, 4};
	const double far[5] = {2.5, 0.3, 2.9, 1.5, 2.0}, off[5] = {0.9, 1.8, 1.1, 0.12, 0.15};
	const double *thetas[3] = {M1_TRUTH, off, far};

	load_example(&m, "M1");
	make_points(&m, s->path, pts);
	load_ok(&d, s->path, &m);
	assert_int_equal(likelihood_init(&l, &m, &d, all, 5, 0.005, 0.005, &e), 0);
	for (int k = 0; k < 3; k++) {
		struct likelihood_result full, got;
		likelihood_eval(&l, thetas[k], &full);
		assert_int_equal(full.status, LIKELIHOOD_OK);
		const double deltas[] = {-1e3, -10, -1, -1e-9, 0, 1e-9, 1, 10, 1e3};
		for (size_t j = 0; j < sizeof deltas / sizeof *deltas; j++) {
			double floor = full.loglik + deltas[j];
			likelihood_eval_floor(&l, thetas[k], floor, &got);
			if (got.status == LIKELIHOOD_BELOW_FLOOR) {
				assert_true(full.loglik < floor);
				assert_true(got.loglik == -INFINITY);
				assert_true(got.solver.step > 0 && got.solver.step <= m.steps);
			} else {
				assert_int_equal(got.status, LIKELIHOOD_OK);
				assert_memory_equal(&got.loglik, &full.loglik, sizeof got.loglik);
			}
			/* within rounding of the value it never stops */
			if (fabs(deltas[j]) <= 1e-9)
				assert_int_equal(got.status, LIKELIHOOD_OK);
		}
	}
	/* the far theta against the truth's value: stopped at an early data
	 * step, long before the run's end */
	struct likelihood_result truth, got;
	likelihood_eval(&l, M1_TRUTH, &truth);
	likelihood_eval_floor(&l, far, truth.loglik - 1, &got);
	assert_int_equal(got.status, LIKELIHOOD_BELOW_FLOOR);
	assert_true(got.solver.step <= 500);
	char why[128];
	likelihood_status_string(&l, &got, why, sizeof why);
	assert_true(strstr(why, "below loglik_floor at step") != NULL);
	/* and the workspace evaluates as before */
	struct likelihood_result again;
	likelihood_eval(&l, M1_TRUTH, &again);
	assert_memory_equal(&again.loglik, &truth.loglik, sizeof again.loglik);
	likelihood_free(&l);
	likelihood_data_free(&d);
	model_free(&m);
}

/* A theta Newton cannot follow: a status, loglik -inf, and the message
 * names the step; the same workspace then evaluates a good theta as if
 * nothing had happened. */
static void test_eval_solver_failure(void **state)
{
	struct scratch *s = *state;
	struct model m;
	struct likelihood_data d;
	struct likelihood l;
	struct likelihood_result res, good1, good2;
	struct point pts[N_POINTS];
	struct err e = {0};
	const int all[] = {0, 1, 2, 3, 4};
	char buf[128], want[128];

	load_example(&m, "M1");
	make_points(&m, s->path, pts);
	load_ok(&d, s->path, &m);
	assert_int_equal(likelihood_init(&l, &m, &d, all, 5, 0.005, 0.005, &e), 0);
	likelihood_eval(&l, M1_TRUTH, &good1);
	assert_int_equal(good1.status, LIKELIHOOD_OK);
	likelihood_status_string(&l, &good1, buf, sizeof buf);
	assert_string_equal(buf, "ok");

	double bad[5];
	memcpy(bad, M1_TRUTH, sizeof bad);
	bad[0] = 80;
	likelihood_eval(&l, bad, &res);
	assert_int_equal(res.status, LIKELIHOOD_SOLVER);
	assert_true(res.solver.status != SOLVER_OK);
	assert_true(isinf(res.loglik) && res.loglik < 0);
	assert_true(res.solver.step >= 1 && res.solver.step <= 2500);
	likelihood_status_string(&l, &res, buf, sizeof buf);
	snprintf(want, sizeof want, "%s at step %d", solver_status_string(res.solver.status), res.solver.step);
	assert_string_equal(buf, want);
	print_message("a11 = 80: \"%s\"\n", buf);

	likelihood_eval(&l, M1_TRUTH, &good2);
	assert_int_equal(good2.status, LIKELIHOOD_OK);
	assert_true(good2.loglik == good1.loglik);
	likelihood_free(&l);
	likelihood_data_free(&d);
	model_free(&m);
}

static void test_init_errors(void **state)
{
	struct scratch *s = *state;
	struct model m, m3;
	struct likelihood_data d, d3;
	struct likelihood l;
	struct point pts[N_POINTS];
	struct err e = {0};
	const int all[] = {0, 1, 2, 3, 4};

	load_example(&m, "M1");
	make_points(&m, s->path, pts);
	load_ok(&d, s->path, &m);

	const double bad_sigma[] = {0, -0.005, NAN, INFINITY, -INFINITY};
	for (size_t k = 0; k < sizeof bad_sigma / sizeof *bad_sigma; k++) {
		e = (struct err){0};
		if (likelihood_init(&l, &m, &d, all, 5, 0.005, bad_sigma[k], &e) != ERR_INPUT)
			fail_msg("sigma_obs %g accepted", bad_sigma[k]);
		assert_non_null(strstr(e.msg, "sigma_obs"));
		likelihood_free(&l);
	}
	const double bad_cov[] = {-0.005, -1e-300, NAN, INFINITY};
	for (size_t k = 0; k < sizeof bad_cov / sizeof *bad_cov; k++) {
		e = (struct err){0};
		if (likelihood_init(&l, &m, &d, all, 5, bad_cov[k], 0.005, &e) != ERR_INPUT)
			fail_msg("cov %g accepted", bad_cov[k]);
		assert_non_null(strstr(e.msg, "cov"));
		likelihood_free(&l);
	}
	/* aleatory indices: ascending, no repeats, in range */
	const int unsorted[] = {3, 0}, repeated[] = {1, 1}, beyond[] = {5}, negative[] = {-1};
	const int *bad_ale[] = {unsorted, repeated, beyond, negative};
	const int bad_n[] = {2, 2, 1, 1};
	for (int k = 0; k < 4; k++) {
		assert_int_equal(likelihood_init(&l, &m, &d, bad_ale[k], bad_n[k], 0.005, 0.005, &e), ERR_INPUT);
		likelihood_free(&l);
	}
	assert_int_equal(likelihood_init(&l, &m, &d, all, 6, 0.005, 0.005, &e), ERR_INPUT);
	likelihood_free(&l);

	/* 4-species data (M3's) for the 2-species M1 */
	load_example(&m3, "M3");
	const double st[] = {100}, ph[] = {0.01, 0.02, 0.03, 0.04};
	const struct data_rec r4 = {.k = 1, .step = st, .phibar = ph, .cols = 4, .sigma = 0.005};
	write_data(s->path, "data", &r4, 1);
	load_ok(&d3, s->path, &m3);
	assert_int_equal(d3.species, 4);
	e = (struct err){0};
	assert_int_equal(likelihood_init(&l, &m, &d3, all, 5, 0.005, 0.005, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "species"));
	likelihood_free(&l);
	/* and 4-species data are refused by a 2-species model at loading */
	struct likelihood_data d2;
	assert_int_equal(likelihood_data_load(&d2, s->path, &m, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "'phibar'[0]"));
	likelihood_data_free(&d2);

	likelihood_data_free(&d3);
	likelihood_data_free(&d);
	model_free(&m3);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_sigma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_stream_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eval_solver_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eval_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
