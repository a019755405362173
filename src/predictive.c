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

/* The observables, each one number per species: phibar_i = phi_i psi_i,
 * phi_i and psi_i; their moments are stored in this order. */
enum { PHIBAR, PHI, PSI, QUANTITIES };

struct worker {
	struct tsm t;
	double *states, *dstate;
	double *pmean, *pvar, *svar;    /* rows x species phibar moments, rows x state size variances */
	double *mean, *var;             /* rows x QUANTITIES x species */
	int ready;
};

struct job {
	const struct plan_level *lv;
	const struct population *p;
	double cov;
	const int *save;
	int rows, n;              /* saved rows, species */
	struct worker *w;
	double *sum;              /* per chunk: cells x 3 (mu - ref, (mu - ref)^2, var) */
	double *ref;              /* cells: sample 0's mu, so the spread is not lost to rounding */
	long *failed;             /* per chunk */
};

/* The moments of every quantity at one sample's run: w->mean and w->var,
 * cell (r, q, i) at (r QUANTITIES + q) n + i. */
static void moments(struct worker *w, int rows, int n, const double *sd)
{
	const int d = w->t.d;

	tsm_phibar_moments(&w->t, w->states, w->dstate, rows, sd, w->pmean, w->pvar);
	tsm_state_var(&w->t, w->dstate, rows, sd, w->svar);
	for (int r = 0; r < rows; r++) {
		const double *g = w->states + (size_t)r * d, *sv = w->svar + (size_t)r * d;
		double *m = w->mean + (size_t)r * QUANTITIES * n, *v = w->var + (size_t)r * QUANTITIES * n;
		for (int i = 0; i < n; i++) {
			m[PHIBAR * n + i] = w->pmean[(size_t)r * n + i];
			v[PHIBAR * n + i] = w->pvar[(size_t)r * n + i];
			m[PHI * n + i] = g[i];
			v[PHI * n + i] = sv[i];
			m[PSI * n + i] = g[n + 1 + i];
			v[PSI * n + i] = sv[n + 1 + i];
		}
	}
}

static void run_chunk(void *ctx, int worker, long chunk)
{
	struct job *j = ctx;
	struct worker *w = &j->w[worker];
	const struct model *m = &j->lv->model;
	size_t cells = (size_t)j->rows * QUANTITIES * (size_t)j->n;
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
		moments(w, j->rows, j->n, sd);
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
	struct pack_map h, m;

	stream_header_begin(&h, pk, "predictive");
	pack_kv_str(&h, "version", BIOFILTER_VERSION);
	pack_kv_str(&h, "plan", pl->path);
	pack_key(&h, "levels");
	msgpack_pack_array(pk, (size_t)n);
	for (int k = 0; k < n; k++) {
		const struct plan_level *lv = k < pl->n_levels ? &pl->levels[k] : &pl->validation;
		pack_map_begin(&m, pk);
		pack_kv_str(&m, "name", lv->name);
		pack_key(&m, "species");
		msgpack_pack_array(pk, (size_t)lv->model.species);
		for (int i = 0; i < lv->model.species; i++)
			msgpack_pack_int(pk, lv->species[i]);
		pack_kv_str(&m, "model", lv->model_path);
		pack_key(&m, "data");
		if (lv->data_path)
			pack_str(pk, lv->data_path);
		else
			msgpack_pack_nil(pk);
		pack_map_end(&m);
	}
	pack_map_end(&h);
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
	size_t cells = (size_t)rows * QUANTITIES * (size_t)j.n, d = (size_t)model_state_size(m);
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
		size_t rn = (size_t)rows * (size_t)j.n;
		if ((rc = tsm_init(&wk->t, m, NULL, 0, e)))
			goto out;
		wk->ready = 1;
		if (!(wk->states = malloc(sizeof(double) * (size_t)rows * d)) ||
		    !(wk->dstate = malloc(sizeof(double) * (size_t)rows * d * (size_t)m->n_theta)) ||
		    !(wk->pmean = malloc(sizeof(double) * rn)) || !(wk->pvar = malloc(sizeof(double) * rn)) ||
		    !(wk->svar = malloc(sizeof(double) * (size_t)rows * d)) ||
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
		moments(&j.w[0], rows, j.n, sd0);
		memcpy(j.ref, j.w[0].mean, sizeof(double) * cells);
		break;
	}
	pool_run(threads, n_chunks, run_chunk, &j);

	long bad = 0;
	for (int c = 0; c < n_chunks; c++)
		bad += j.failed[c];
	*failed = bad;
	long good = p->n - bad;
	msgpack_packer *pk = stream_writer_packer(w);
	/* per quantity and species: mean, sd (total), sd_tsm */
	double mean[QUANTITIES][MODEL_MAX_SPECIES], sd[QUANTITIES][MODEL_MAX_SPECIES],
		sdt[QUANTITIES][MODEL_MAX_SPECIES];
	double var[MODEL_MAX_SPECIES], lo[MODEL_MAX_SPECIES], hi[MODEL_MAX_SPECIES], sdd[MODEL_MAX_SPECIES];
	int has_sigma = isfinite(lv->sigma_obs);
	for (int r = 0; r < rows && good > 0; r++) {
		for (int q = 0; q < QUANTITIES; q++)
			for (int i = 0; i < j.n; i++) {
				size_t k = ((size_t)r * QUANTITIES + (size_t)q) * (size_t)j.n + (size_t)i;
				double s1 = 0, s2 = 0, sv = 0;
				for (int c = 0; c < n_chunks; c++) {
					const double *x = j.sum + ((size_t)c * cells + k) * 3;
					s1 += x[0];
					s2 += x[1];
					sv += x[2];
				}
				double dm = s1 / good, spread = s2 / good - dm * dm;
				double v = sv / good + (spread > 0 ? spread : 0);
				mean[q][i] = j.ref[k] + dm;
				sd[q][i] = sqrt(v);
				sdt[q][i] = sqrt(sv / good);
				if (q == PHIBAR)
					var[i] = v;
			}
		for (int i = 0; i < j.n; i++) {
			lo[i] = mean[PHIBAR][i] - 2 * sd[PHIBAR][i];
			hi[i] = mean[PHIBAR][i] + 2 * sd[PHIBAR][i];
			sdd[i] = sqrt(var[i] + lv->sigma_obs * lv->sigma_obs);
		}
		const size_t ns = (size_t)j.n;
		struct pack_map rec;
		pack_map_begin(&rec, pk);
		pack_kv_str(&rec, "level", lv->name);
		pack_kv_long(&rec, "step", save[r]);
		pack_kv_double(&rec, "t", save[r] * m->dt);
		pack_kv_numbers(&rec, "mean", mean[PHIBAR], ns);
		pack_kv_numbers(&rec, "sd", sd[PHIBAR], ns);
		pack_kv_numbers(&rec, "sd_tsm", sdt[PHIBAR], ns);
		pack_kv_numbers(&rec, "lower", lo, ns);
		pack_kv_numbers(&rec, "upper", hi, ns);
		if (has_sigma)
			pack_kv_numbers(&rec, "sd_data", sdd, ns);
		pack_kv_numbers(&rec, "phi_mean", mean[PHI], ns);
		pack_kv_numbers(&rec, "phi_sd", sd[PHI], ns);
		pack_kv_numbers(&rec, "psi_mean", mean[PSI], ns);
		pack_kv_numbers(&rec, "psi_sd", sd[PSI], ns);
		pack_map_end(&rec);
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
			free(j.w[t].pmean);
			free(j.w[t].pvar);
			free(j.w[t].svar);
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
