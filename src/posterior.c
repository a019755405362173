/*
 * posterior: summary statistics of a level's samples and the posterior
 * stream. Sums run over the samples in id order, so results depend on the
 * population only.
 */
#include "posterior.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mpjson.h"
#include "tmcmc.h"
#include "version.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double posterior_quantile(double *x, int n, double p)
{
	if (n < 1)
		return NAN;
	qsort(x, (size_t)n, sizeof *x, cmp_double);
	double h = (n - 1) * p;
	int lo = (int)floor(h);
	if (lo >= n - 1)
		return x[n - 1];
	return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

void posterior_summary_free(struct posterior_summary *s)
{
	free(s->mean);
	free(s->map);
	free(s->sd);
	free(s->q025);
	free(s->q975);
	free(s->corr);
	memset(s, 0, sizeof *s);
}

int posterior_summary_init(struct posterior_summary *s, const struct population *p, struct err *e)
{
	int n = p->n, d = p->d;
	double *col;

	memset(s, 0, sizeof *s);
	s->d = d;
	s->mean = calloc((size_t)d, sizeof *s->mean);
	s->map = malloc((size_t)d * sizeof *s->map);
	s->sd = malloc((size_t)d * sizeof *s->sd);
	s->q025 = malloc((size_t)d * sizeof *s->q025);
	s->q975 = malloc((size_t)d * sizeof *s->q975);
	s->corr = calloc((size_t)d * (size_t)d, sizeof *s->corr);
	col = malloc((size_t)n * sizeof *col);
	if (!s->mean || !s->map || !s->sd || !s->q025 || !s->q975 || !s->corr || !col) {
		free(col);
		posterior_summary_free(s);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	s->map_id = 0;
	s->map_logpost = -INFINITY;
	for (int i = 0; i < n; i++) {
		double lp = p->loglik[i] + p->logprior[i];
		if (lp > s->map_logpost) {
			s->map_logpost = lp;
			s->map_id = i;
		}
	}
	memcpy(s->map, p->theta + (size_t)s->map_id * (size_t)d, (size_t)d * sizeof *s->map);
	for (int i = 0; i < n; i++)
		for (int a = 0; a < d; a++)
			s->mean[a] += p->theta[(size_t)i * (size_t)d + (size_t)a];
	for (int a = 0; a < d; a++)
		s->mean[a] /= n;
	/* covariance, then scaled to correlation */
	for (int i = 0; i < n; i++) {
		const double *t = p->theta + (size_t)i * (size_t)d;
		for (int a = 0; a < d; a++)
			for (int b = 0; b <= a; b++)
				s->corr[a * d + b] += (t[a] - s->mean[a]) * (t[b] - s->mean[b]);
	}
	for (int a = 0; a < d; a++)
		s->sd[a] = n > 1 ? sqrt(s->corr[a * d + a] / (n - 1)) : 0;
	/* the diagonal last: it scales the others */
	for (int a = 0; a < d; a++)
		for (int b = 0; b < a; b++) {
			double den = sqrt(s->corr[a * d + a] * s->corr[b * d + b]);
			s->corr[a * d + b] = s->corr[b * d + a] = den > 0 ? s->corr[a * d + b] / den : 0;
		}
	for (int a = 0; a < d; a++)
		s->corr[a * d + a] = 1;
	for (int a = 0; a < d; a++) {
		for (int i = 0; i < n; i++)
			col[i] = p->theta[(size_t)i * (size_t)d + (size_t)a];
		s->q025[a] = posterior_quantile(col, n, 0.025);
		s->q975[a] = posterior_quantile(col, n, 0.975);
	}
	free(col);
	return 0;
}

int posterior_write(const struct plan *pl, const struct plan_level *lv, const struct population *p,
		    const struct posterior_summary *s, struct stream_writer *w, struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	const struct model *m = &lv->model;
	int d = p->d, rc;
	json_t *model = plan_level_model_json(lv);
	struct pack_map h, fixed, sum;

	if (!model)
		return err_set(e, ERR_NOMEM, "out of memory");
	stream_header_begin(&h, pk, "posterior");
	pack_kv_str(&h, "version", BIOFILTER_VERSION);
	pack_kv_str(&h, "level", lv->name);
	pack_kv_long(&h, "level_index", lv->index);
	pack_key(&h, "parameters");
	pack_strs(pk, (const char *const *)lv->prior.names, lv->prior.n);
	pack_key(&h, "prior");
	prior_pack(pk, &lv->prior);
	/* the plan's truths, so a figure or a table can mark them */
	pack_key(&h, "truth");
	msgpack_pack_array(pk, (size_t)d);
	for (int a = 0; a < d; a++) {
		const struct prior_param *q = &pl->params.p[lv->free[a]];
		if (q->has_truth)
			msgpack_pack_double(pk, q->truth);
		else
			msgpack_pack_nil(pk);
	}
	pack_key(&h, "model");
	mpjson_pack(pk, model);
	json_decref(model);
	pack_key(&h, "fixed");
	pack_map_begin(&fixed, pk);
	for (int j = 0; j < m->n_theta; j++)
		if (lv->from_free[j] < 0)
			pack_kv_double(&fixed, m->names[j], lv->fixed_value[j]);
	pack_map_end(&fixed);
	pack_key(&h, "seed");
	msgpack_pack_uint64(pk, p->seed);
	pack_kv_long(&h, "samples", p->n);
	pack_kv_long(&h, "stages", p->stage);
	pack_kv_double(&h, "beta", p->beta);
	pack_kv_double(&h, "log_evidence", p->log_evidence);
	pack_kv_double(&h, "log_evidence_se", p->log_evidence_se);
	pack_kv_long(&h, "evaluations", p->evaluations_total);
	pack_kv_double(&h, "scale", p->scale);
	pack_key(&h, "tmcmc");
	tmcmc_pack_settings(pk, &pl->tmcmc, d);
	pack_key(&h, "history");
	population_pack_history(pk, p);
	pack_key(&h, "summary");
	pack_map_begin(&sum, pk);
	pack_kv_numbers(&sum, "mean", s->mean, (size_t)d);
	pack_kv_numbers(&sum, "map", s->map, (size_t)d);
	pack_kv_long(&sum, "map_id", s->map_id);
	pack_kv_double(&sum, "map_logpost", s->map_logpost);
	pack_kv_numbers(&sum, "sd", s->sd, (size_t)d);
	pack_kv_numbers(&sum, "q025", s->q025, (size_t)d);
	pack_kv_numbers(&sum, "q975", s->q975, (size_t)d);
	pack_key(&sum, "correlation");
	msgpack_pack_array(pk, (size_t)d);
	for (int a = 0; a < d; a++)
		pack_numbers(pk, s->corr + (size_t)a * (size_t)d, (size_t)d);
	pack_map_end(&sum);
	pack_map_end(&h);
	if ((rc = stream_writer_flush(w, 0, e)))
		return rc;
	return population_write_records(p, w, e);
}
