/*
 * likelihood: data loading and eq. 29.
 *
 * Loading keeps every data point with its step; the run saves each
 * distinct step once (points of several records may share steps), and
 * row[] maps a point to its saved row.
 */
#include "likelihood.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

#define TWO_PI 6.283185307179586476925286766559

void likelihood_data_free(struct likelihood_data *d)
{
	free(d->row);
	free(d->row_start);
	free(d->by_row);
	free(d->step);
	free(d->phibar);
	free(d->save);
	memset(d, 0, sizeof *d);
}

static int grow(struct likelihood_data *d, size_t *cap, size_t need, struct err *e)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	int *st = realloc(d->step, c * sizeof *st);
	if (st)
		d->step = st;
	double *ph = st ? realloc(d->phibar, c * (size_t)d->species * sizeof *ph) : NULL;
	if (!ph)
		return err_set(e, ERR_NOMEM, "out of memory");
	d->phibar = ph;
	*cap = c;
	return 0;
}

/* One data record: its points appended to d. */
static int load_record(struct likelihood_data *d, const struct stream_reader *r, const msgpack_object *rec,
		       const struct model *m, size_t *cap, struct err *e)
{
	const msgpack_object *st = stream_map_get(rec, "status"), *steps = stream_map_get(rec, "step");
	const msgpack_object *ph = stream_map_get(rec, "phibar"), *t = stream_map_get(rec, "t");
	const msgpack_object *so = stream_map_get(rec, "sigma_obs");
	const int n = m->species;

	if (st && !stream_object_is_str(st, "ok"))
		return err_set(e, ERR_INPUT, "%s: record %ld: the data run failed ('status' is not \"ok\")", r->name,
			       r->record);
	if (!steps || steps->type != MSGPACK_OBJECT_ARRAY)
		return err_set(e, ERR_INPUT, "%s: record %ld: %s 'step' (a list of steps)", r->name, r->record,
			       steps ? "bad" : "missing");
	if (!ph || ph->type != MSGPACK_OBJECT_ARRAY)
		return err_set(e, ERR_INPUT, "%s: record %ld: %s 'phibar' (a row of numbers per step)", r->name,
			       r->record, ph ? "bad" : "missing");
	const uint32_t k = steps->via.array.size;
	if (ph->via.array.size != k)
		return err_set(e, ERR_INPUT, "%s: record %ld: 'phibar' has %u rows for %u steps", r->name, r->record,
			       ph->via.array.size, k);
	if (t && (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size != k))
		return err_set(e, ERR_INPUT, "%s: record %ld: 't' must be a list of %u times, one per step",
			       r->name, r->record, k);
	if (so) {
		double s;
		if (stream_object_number(so, &s) || !(s > 0) || !isfinite(s))
			return err_set(e, ERR_INPUT, "%s: record %ld: 'sigma_obs' must be a positive number", r->name,
				       r->record);
		if (isnan(d->sigma_obs))
			d->sigma_obs = s;
		else if (s != d->sigma_obs && !d->sigma_differs)
			d->sigma_differs = r->record;
	}
	if (grow(d, cap, (size_t)d->points + k, e))
		return ERR_NOMEM;
	for (uint32_t j = 0; j < k; j++) {
		const msgpack_object *row = &ph->via.array.ptr[j];
		double sv, *out = d->phibar + (size_t)(d->points + (int)j) * n;
		if (stream_object_number(&steps->via.array.ptr[j], &sv) || sv != floor(sv) || sv < 0)
			return err_set(e, ERR_INPUT, "%s: record %ld: 'step'[%u] must be a step number", r->name,
				       r->record, j);
		if (sv > m->steps)
			return err_set(e, ERR_INPUT, "%s: record %ld: 'step'[%u] is %.0f, beyond the model's %d steps",
				       r->name, r->record, j, sv, m->steps);
		if (row->type != MSGPACK_OBJECT_ARRAY || (int)row->via.array.size != n)
			return err_set(e, ERR_INPUT,
				       "%s: record %ld: 'phibar'[%u] must be a row of %d numbers, one per species of the model",
				       r->name, r->record, j, n);
		for (int i = 0; i < n; i++)
			if (stream_object_number(&row->via.array.ptr[i], &out[i]) || !isfinite(out[i]))
				return err_set(e, ERR_INPUT, "%s: record %ld: 'phibar'[%u][%d] must be a finite number",
					       r->name, r->record, j, i);
		if (t) {
			double tv, want = sv * m->dt;
			if (stream_object_number(&t->via.array.ptr[j], &tv))
				return err_set(e, ERR_INPUT, "%s: record %ld: 't'[%u] must be a number", r->name,
					       r->record, j);
			if (fabs(tv - want) > 1e-9 * fmax(fabs(want), m->dt))
				return err_set(e, ERR_INPUT,
					       "%s: record %ld: 't'[%u] is %g at step %g, but the model's dt %g makes it %g "
					       "(data for another model?)",
					       r->name, r->record, j, tv, sv, m->dt, want);
		}
		d->step[d->points + (int)j] = (int)sv;
	}
	d->points += (int)k;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* save[] = the distinct steps, row[] = each point's place in it. */
static int index_steps(struct likelihood_data *d, struct err *e)
{
	d->save = malloc(sizeof(int) * (size_t)d->points);
	d->row = malloc(sizeof(int) * (size_t)d->points);
	if (!d->save || !d->row)
		return err_set(e, ERR_NOMEM, "out of memory");
	memcpy(d->save, d->step, sizeof(int) * (size_t)d->points);
	qsort(d->save, (size_t)d->points, sizeof(int), cmp_int);
	d->n_save = 0;
	for (int j = 0; j < d->points; j++)
		if (d->n_save == 0 || d->save[d->n_save - 1] != d->save[j])
			d->save[d->n_save++] = d->save[j];
	for (int j = 0; j < d->points; j++) {
		const int *at = bsearch(&d->step[j], d->save, (size_t)d->n_save, sizeof(int), cmp_int);
		d->row[j] = (int)(at - d->save);
	}
	/* the points of each row, in input order within a row */
	d->row_start = calloc((size_t)d->n_save + 1, sizeof(int));
	d->by_row = malloc(sizeof(int) * (size_t)d->points);
	if (!d->row_start || !d->by_row)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (int j = 0; j < d->points; j++)
		d->row_start[d->row[j] + 1]++;
	for (int r = 0; r < d->n_save; r++)
		d->row_start[r + 1] += d->row_start[r];
	for (int j = 0; j < d->points; j++) /* row_start[r] runs to row r's end */
		d->by_row[d->row_start[d->row[j]]++] = j;
	for (int r = d->n_save; r > 0; r--)
		d->row_start[r] = d->row_start[r - 1];
	d->row_start[0] = 0;
	return 0;
}

int likelihood_data_load(struct likelihood_data *d, const char *path, const struct model *m, struct err *e)
{
	struct stream_reader r;
	const msgpack_object *rec, *h, *kind;
	size_t cap = 0;
	int rc;

	memset(d, 0, sizeof *d);
	d->species = m->species;
	d->sigma_obs = NAN;
	if ((rc = stream_reader_open(&r, path, e)))
		return rc;
	if ((rc = stream_reader_peek_header(&r, e)))
		goto fail;
	h = stream_reader_header(&r);
	if (h && (kind = stream_map_get(h, "kind")) && !stream_object_is_str(kind, "data")) {
		rc = err_set(e, ERR_INPUT, "%s: not a data stream (its header's 'kind' is not \"data\")", r.name);
		goto fail;
	}
	while ((rc = stream_reader_next(&r, &rec, e)) != 0) {
		if (rc < 0 || rc == STREAM_NOT_MAP) {
			rc = rc < 0 ? rc : ERR_INPUT;
			goto fail;
		}
		if ((rc = load_record(d, &r, rec, m, &cap, e)))
			goto fail;
	}
	if (d->points == 0) {
		rc = err_set(e, ERR_INPUT, "%s: no data points", r.name);
		goto fail;
	}
	if ((rc = index_steps(d, e)))
		goto fail;
	stream_reader_free(&r);
	return 0;
fail:
	stream_reader_free(&r);
	likelihood_data_free(d);
	return rc;
}

int likelihood_init(struct likelihood *l, const struct model *m, const struct likelihood_data *d,
		    const int *aleatory, int n_aleatory, double cov, double sigma_obs, struct err *e)
{
	int rc;

	memset(l, 0, sizeof *l);
	if (d->species != m->species)
		return err_set(e, ERR_INPUT, "the data have %d species, the model %d", d->species, m->species);
	if (!(sigma_obs > 0) || !isfinite(sigma_obs))
		return err_set(e, ERR_INPUT, "sigma_obs must be a positive number, got %g", sigma_obs);
	if (!(cov >= 0) || !isfinite(cov))
		return err_set(e, ERR_INPUT, "cov must be a non-negative number, got %g", cov);
	/* tsm_init takes NULL for all parameters; here it means none */
	static const int none[1];
	if ((rc = tsm_init(&l->t, m, aleatory ? aleatory : none, n_aleatory, e)))
		return rc;
	l->data = d;
	l->cov = cov;
	l->sigma2 = sigma_obs * sigma_obs;
	const size_t rows = (size_t)d->n_save, dim = (size_t)l->t.d;
	l->states = malloc(sizeof(double) * rows * dim);
	l->dstate = malloc(sizeof(double) * rows * dim * (size_t)(l->t.P > 0 ? l->t.P : 1));
	l->mean = malloc(sizeof(double) * rows * (size_t)m->species);
	l->var = malloc(sizeof(double) * rows * (size_t)m->species);
	if (!l->states || !l->dstate || !l->mean || !l->var) {
		likelihood_free(l);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

void likelihood_free(struct likelihood *l)
{
	tsm_free(&l->t);
	free(l->states);
	free(l->dstate);
	free(l->mean);
	free(l->var);
	memset(l, 0, sizeof *l);
}

/* One term of eq. 29: data y against mean mu with variance s2. */
static inline double term29(double y, double mu, double s2)
{
	double r = y - mu;
	return -0.5 * log(TWO_PI * s2) - 0.5 * r * r / s2;
}

/* The rows up to r are known (row r's state and sensitivities are g and
 * x, the earlier ones are in the buffers): add their terms and stop when
 * even the best case for the rest cannot reach the floor. A term that is
 * not finite makes the sum NaN, which never stops: the full evaluation
 * reports it. */
static enum solver_status floor_row(void *ctx, int r, const double *g, const double *x)
{
	struct likelihood *l = ctx;
	const struct likelihood_data *d = l->data;
	const int n = d->species, dim = l->t.d, P = l->t.P;
	double mean[MODEL_MAX_SPECIES], var[MODEL_MAX_SPECIES];

	for (; l->next_row <= r; l->next_row++) {
		const int rr = l->next_row;
		const double *gs = rr == r ? g : l->states + (size_t)rr * (size_t)dim;
		const double *xs = rr == r ? x : l->dstate + (size_t)rr * (size_t)dim * (size_t)P;
		tsm_phibar_moments(&l->t, gs, xs, 1, l->sd, mean, var);
		for (int k = d->row_start[rr]; k < d->row_start[rr + 1]; k++) {
			const double *y = d->phibar + (size_t)d->by_row[k] * n;
			for (int i = 0; i < n; i++) {
				l->partial += term29(y[i], mean[i], var[i] + l->sigma2);
			}
		}
	}
	double rest = (double)(d->points - d->row_start[r + 1]) * n * l->term_max;
	/* far below, not within rounding of the sum's other order */
	double margin = 1e-6 * (1 + fabs(l->floor));
	return l->partial + rest < l->floor - margin ? SOLVER_STOPPED : SOLVER_OK;
}

void likelihood_eval_floor(struct likelihood *l, const double *theta, double floor, struct likelihood_result *res)
{
	const struct likelihood_data *d = l->data;
	const int n = d->species;

	memset(res, 0, sizeof *res);
	res->loglik = -INFINITY;
	for (int c = 0; c < l->t.P; c++)
		l->sd[c] = l->cov * theta[l->t.param[c]];
	l->t.on_row = NULL;
	if (floor > -INFINITY) {
		l->floor = floor;
		l->partial = 0;
		l->next_row = 0;
		l->term_max = -0.5 * log(TWO_PI * l->sigma2);
		l->t.on_row = floor_row;
		l->t.on_row_ctx = l;
	}
	tsm_run(&l->t, theta, d->save, d->n_save, l->states, l->dstate, &res->solver);
	l->t.on_row = NULL;
	if (res->solver.status == SOLVER_STOPPED) {
		res->status = LIKELIHOOD_BELOW_FLOOR;
		return;
	}
	if (res->solver.status != SOLVER_OK) {
		res->status = LIKELIHOOD_SOLVER;
		return;
	}
	tsm_phibar_moments(&l->t, l->states, l->dstate, d->n_save, l->sd, l->mean, l->var);
	double sum = 0;
	for (int j = 0; j < d->points; j++) {
		const double *mu = l->mean + (size_t)d->row[j] * n, *var = l->var + (size_t)d->row[j] * n;
		const double *y = d->phibar + (size_t)j * n;
		for (int i = 0; i < n; i++) {
			double s2 = var[i] + l->sigma2;
			if (!(s2 > 0) || !isfinite(s2)) {
				res->status = LIKELIHOOD_VARIANCE;
				res->point = j;
				res->species = i;
				return;
			}
			double term = term29(y[i], mu[i], s2);
			if (!isfinite(term)) {
				res->status = LIKELIHOOD_NONFINITE;
				res->point = j;
				res->species = i;
				return;
			}
			sum += term;
		}
	}
	res->loglik = sum;
}

void likelihood_eval(struct likelihood *l, const double *theta, struct likelihood_result *res)
{
	likelihood_eval_floor(l, theta, -INFINITY, res);
}

void likelihood_status_string(const struct likelihood *l, const struct likelihood_result *res, char *buf,
			      size_t size)
{
	switch (res->status) {
	case LIKELIHOOD_OK:
		snprintf(buf, size, "ok");
		return;
	case LIKELIHOOD_SOLVER:
		snprintf(buf, size, "%s at step %d", solver_status_string(res->solver.status), res->solver.step);
		return;
	case LIKELIHOOD_VARIANCE:
		snprintf(buf, size, "variance not positive and finite at step %d, species %d",
			 l->data->step[res->point], res->species + 1);
		return;
	case LIKELIHOOD_NONFINITE:
		snprintf(buf, size, "non-finite log-likelihood at step %d, species %d", l->data->step[res->point],
			 res->species + 1);
		return;
	case LIKELIHOOD_BELOW_FLOOR:
		snprintf(buf, size, "below loglik_floor at step %d", res->solver.step);
		return;
	}
	snprintf(buf, size, "unknown");
}
