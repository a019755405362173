/*
 * predictive: chunked sums over posterior samples (see predictive.h).
 * Each worker owns a struct tsm and its buffers; each chunk its sums.
 */
#include "predictive.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "trajectory.h"
#include "tsm.h"
#include "version.h"

#define CHUNK 32

struct worker {
	struct tsm t;
	double *states, *dstate, *mean, *var;
	int ready;
};

struct job {
	const struct plan_level *lv;
	const struct population *p;
	double cov;
	const int *save;
	int rows, n;              /* saved rows, species */
	struct worker *w;
	double *sum;              /* per chunk: rows x n x 3 (mu - ref, (mu - ref)^2, var) */
	double *ref;              /* rows x n: sample 0's mu, so the spread is not lost to rounding */
	long *failed;             /* per chunk */
};

static void run_chunk(void *ctx, int worker, long chunk)
{
	struct job *j = ctx;
	struct worker *w = &j->w[worker];
	const struct model *m = &j->lv->model;
	size_t cells = (size_t)j->rows * (size_t)j->n;
	double *sum = j->sum + (size_t)chunk * cells * 3;
	int end = (int)((chunk + 1) * CHUNK < j->p->n ? (chunk + 1) * CHUNK : j->p->n);

	for (int i = (int)chunk * CHUNK; i < end; i++) {
		double theta[MODEL_MAX_THETA], sd[MODEL_MAX_THETA];
		struct solver_outcome o;
		plan_level_theta(j->lv, j->p->theta + (size_t)i * (size_t)j->p->d, theta);
		tsm_run(&w->t, theta, j->save, j->rows, w->states, w->dstate, &o);
		if (o.status != SOLVER_OK) {
			j->failed[chunk]++;
			continue;
		}
		for (int c = 0; c < m->n_theta; c++)
			sd[c] = j->cov * theta[c];
		tsm_phibar_moments(&w->t, w->states, w->dstate, j->rows, sd, w->mean, w->var);
		for (size_t k = 0; k < cells; k++) {
			double x = w->mean[k] - j->ref[k];
			sum[3 * k] += x;
			sum[3 * k + 1] += x * x;
			sum[3 * k + 2] += w->var[k];
		}
	}
}

void predictive_pack_header(msgpack_packer *pk, const struct plan *pl)
{
	int n = pl->n_levels + pl->has_validation;
	stream_pack_header_start(pk, "predictive", 3);
	stream_pack_str(pk, "version");
	stream_pack_str(pk, BIOFILTER_VERSION);
	stream_pack_str(pk, "plan");
	stream_pack_str(pk, pl->path);
	stream_pack_str(pk, "levels");
	msgpack_pack_array(pk, (size_t)n);
	for (int k = 0; k < n; k++) {
		const struct plan_level *lv = k < pl->n_levels ? &pl->levels[k] : &pl->validation;
		msgpack_pack_map(pk, 3);
		stream_pack_str(pk, "name");
		stream_pack_str(pk, lv->name);
		stream_pack_str(pk, "model");
		stream_pack_str(pk, lv->model_path);
		stream_pack_str(pk, "data");
		if (lv->data_path)
			stream_pack_str(pk, lv->data_path);
		else
			msgpack_pack_nil(pk);
	}
}

static void pack_list(msgpack_packer *pk, const char *key, const double *x, int n)
{
	stream_pack_str(pk, key);
	stream_pack_numbers(pk, x, (size_t)n);
}

int predictive_write(const struct plan_level *lv, double cov, const struct population *p, int threads,
		     long every, struct stream_writer *w, long *failed, struct err *e)
{
	const struct model *m = &lv->model;
	struct job j = {.lv = lv, .p = p, .cov = cov, .n = m->species};
	int *save = NULL, rows, rc, n_chunks = (p->n + CHUNK - 1) / CHUNK;

	if (threads > n_chunks)
		threads = n_chunks;
	if ((rc = trajectory_save_steps(m, NULL, 0, every, &save, &rows, e)))
		return rc;
	j.save = save;
	j.rows = rows;
	size_t cells = (size_t)rows * (size_t)j.n, d = (size_t)model_state_size(m);
	j.sum = calloc((size_t)n_chunks * cells * 3, sizeof *j.sum);
	j.failed = calloc((size_t)n_chunks, sizeof *j.failed);
	j.w = calloc((size_t)threads, sizeof *j.w);
	j.ref = calloc(cells, sizeof *j.ref);
	if (!j.sum || !j.failed || !j.w || !j.ref) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int t = 0; t < threads; t++) {
		struct worker *wk = &j.w[t];
		if ((rc = tsm_init(&wk->t, m, NULL, 0, e)))
			goto out;
		wk->ready = 1;
		if (!(wk->states = malloc(sizeof(double) * (size_t)rows * d)) ||
		    !(wk->dstate = malloc(sizeof(double) * (size_t)rows * d * (size_t)m->n_theta)) ||
		    !(wk->mean = malloc(sizeof(double) * cells)) || !(wk->var = malloc(sizeof(double) * cells))) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	/* the reference: the first sample that runs (zero if none does) */
	for (int i = 0; i < p->n; i++) {
		double theta[MODEL_MAX_THETA], sd0[MODEL_MAX_THETA];
		struct solver_outcome o;
		plan_level_theta(lv, p->theta + (size_t)i * (size_t)p->d, theta);
		tsm_run(&j.w[0].t, theta, save, rows, j.w[0].states, j.w[0].dstate, &o);
		if (o.status != SOLVER_OK)
			continue;
		for (int c = 0; c < m->n_theta; c++)
			sd0[c] = cov * theta[c];
		tsm_phibar_moments(&j.w[0].t, j.w[0].states, j.w[0].dstate, rows, sd0, j.ref, j.w[0].var);
		break;
	}
	pool_run(threads, n_chunks, run_chunk, &j);

	long bad = 0;
	for (int c = 0; c < n_chunks; c++)
		bad += j.failed[c];
	*failed = bad;
	long good = p->n - bad;
	msgpack_packer *pk = stream_writer_packer(w);
	double mean[MODEL_MAX_SPECIES], sd[MODEL_MAX_SPECIES], sdt[MODEL_MAX_SPECIES], lo[MODEL_MAX_SPECIES],
		hi[MODEL_MAX_SPECIES], sdd[MODEL_MAX_SPECIES];
	int has_sigma = isfinite(lv->sigma_obs);
	for (int r = 0; r < rows && good > 0; r++) {
		for (int i = 0; i < j.n; i++) {
			double s1 = 0, s2 = 0, sv = 0;
			for (int c = 0; c < n_chunks; c++) {
				const double *x = j.sum + ((size_t)c * cells + (size_t)r * (size_t)j.n + (size_t)i) * 3;
				s1 += x[0];
				s2 += x[1];
				sv += x[2];
			}
			double dm = s1 / good, spread = s2 / good - dm * dm;
			double v = sv / good + (spread > 0 ? spread : 0);
			double mu = j.ref[(size_t)r * (size_t)j.n + (size_t)i] + dm;
			mean[i] = mu;
			sd[i] = sqrt(v);
			sdt[i] = sqrt(sv / good);
			lo[i] = mu - 2 * sd[i];
			hi[i] = mu + 2 * sd[i];
			sdd[i] = sqrt(v + lv->sigma_obs * lv->sigma_obs);
		}
		msgpack_pack_map(pk, 8 + (size_t)has_sigma);
		stream_pack_str(pk, "level");
		stream_pack_str(pk, lv->name);
		stream_pack_str(pk, "step");
		msgpack_pack_int(pk, save[r]);
		stream_pack_str(pk, "t");
		msgpack_pack_double(pk, save[r] * m->dt);
		pack_list(pk, "mean", mean, j.n);
		pack_list(pk, "sd", sd, j.n);
		pack_list(pk, "sd_tsm", sdt, j.n);
		pack_list(pk, "lower", lo, j.n);
		pack_list(pk, "upper", hi, j.n);
		if (has_sigma)
			pack_list(pk, "sd_data", sdd, j.n);
		if ((rc = stream_writer_flush(w, 0, e)))
			goto out;
	}
out:
	if (j.w)
		for (int t = 0; t < threads; t++) {
			if (j.w[t].ready)
				tsm_free(&j.w[t].t);
			free(j.w[t].states);
			free(j.w[t].dstate);
			free(j.w[t].mean);
			free(j.w[t].var);
		}
	free(j.w);
	free(j.ref);
	free(j.sum);
	free(j.failed);
	free(save);
	return rc;
}
