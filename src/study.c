/*
 * study: the accuracy study (see study.h).
 */
#include "study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "mixture.h"
#include "population.h"
#include "prior.h"

static const struct problem {
	const char *name, *spec, *prior, *title;
} problems[] = {
	{"gauss2", "gauss2.json", "prior.json", "2-D Gaussian, U(0,3)^2"},
	{"gauss5", "gauss5.json", "prior5.json", "5-D Gaussian, U(0,3)^5"},
	{"gauss6", "gauss6.json", "prior6.json", "6-D Gaussian, U(0,3)^6"},
	{"tail2", "tail2.json", "normal2.json", "far tail: N(0,1)^2 prior, the likelihood at 5 (posterior 4.8 sds out)"},
	{"bimodal", "mixture.json", "prior.json", "bimodal mixture 0.3/0.7, U(0,3)^2"},
	{"ridge3", "ridge3.json", "prior3.json", "3-D ridge of correlation 0.99, U(0,3)^3"},
	{"banana2", "banana2.json", "prior.json", "curved ridge (a quarter arc of radius 2), U(0,3)^2"},
};
#define N_PROBLEMS (sizeof problems / sizeof *problems)

int study_run(const struct mixture *a, const struct prior *pr, const struct tmcmc_settings *s, int n, uint64_t seed,
	      struct study_run *out, struct err *e)
{
	struct population cur, next;
	struct mixture_exact x;
	struct tmcmc_evaluator ev = {mixture_batch, (void *)a, NULL};
	int rc, d = pr->n;

	memset(out, 0, sizeof *out);
	memset(&next, 0, sizeof next);
	if ((rc = mixture_exact(a, pr, &x, e)) || (rc = tmcmc_init(&cur, pr, n, seed, 0, s, e)))
		return rc;
	while (!rc && cur.beta < 1) {
		if (!(rc = tmcmc_advance(&cur, pr, s, &ev, &next, e))) {
			out->steps += next.chain_steps;
			population_free(&cur);
			cur = next;
			memset(&next, 0, sizeof next);
		}
	}
	if (rc) {
		population_free(&cur);
		return rc;
	}
	out->log_evidence_error = cur.log_evidence - x.log_evidence;
	out->evaluations = cur.evaluations_total;
	out->stages = cur.stage;
	for (int j = 0; j < d; j++) {
		double m = 0, v = 0;
		for (int c = 0; c < n; c++)
			m += cur.theta[(size_t)c * (size_t)d + (size_t)j];
		m /= n;
		for (int c = 0; c < n; c++) {
			double dx = cur.theta[(size_t)c * (size_t)d + (size_t)j] - m;
			v += dx * dx;
		}
		double sd = sqrt(v / (n - 1)), z = (m - x.mean[j]) / (x.sd[j] / sqrt(n));
		out->sum_z2 += z * z;
		out->max_abs_z = fmax(out->max_abs_z, fabs(z));
		out->max_sd_error = fmax(out->max_sd_error, fabs(sd / x.sd[j] - 1));
	}
	double w[MIXTURE_MAX_COMPONENTS] = {0}, r[MIXTURE_MAX_COMPONENTS];
	for (int c = 0; c < n; c++) {
		mixture_responsibilities(a, cur.theta + (size_t)c * (size_t)d, r);
		for (int k = 0; k < a->k; k++)
			w[k] += r[k] / n;
	}
	for (int k = 0; k < a->k; k++)
		out->max_weight_error = fmax(out->max_weight_error, fabs(w[k] - x.weight[k]));
	population_free(&cur);
	return 0;
}

static const char *const columns[] = {
	"problem",    "samples",    "kernel",	  "seeds",	   "stages",	    "evaluations",	  "steps_per_stage",
	"logz_rms",   "logz_worst", "logz_bias",  "mean_z_rms",   "mean_z_worst",   "sd_error_worst", "weight_error_worst",
};
#define N_COLUMNS (sizeof columns / sizeof *columns)

/* One row: the problem at N under s over the seeds. */
static int study_row(const struct study_options *o, int problem, const struct mixture *a, const struct prior *pr,
		     const struct tmcmc_settings *s, int n, double *row, struct err *e)
{
	double sum2 = 0, worst = 0, bias = 0, z2 = 0, zmax = 0, sdmax = 0, wmax = 0, ev = 0, st = 0, steps = 0;
	int rc;

	for (int seed = 1; seed <= o->seeds; seed++) {
		struct study_run x;
		if ((rc = study_run(a, pr, s, n, (uint64_t)seed, &x, e)))
			return err_prefix(e, "seed %d", seed);
		sum2 += x.log_evidence_error * x.log_evidence_error;
		worst = fmax(worst, fabs(x.log_evidence_error));
		bias += x.log_evidence_error;
		z2 += x.sum_z2;
		zmax = fmax(zmax, x.max_abs_z);
		sdmax = fmax(sdmax, x.max_sd_error);
		wmax = fmax(wmax, x.max_weight_error);
		ev += (double)x.evaluations;
		st += (double)x.stages;
		steps += (double)x.steps;
	}
	const double k = o->seeds;
	const double v[N_COLUMNS] = {problem,	   n,		  s->kernel,	       k,	    st / k,
				     ev / k,	   steps / st,	  sqrt(sum2 / k),      worst,	    bias / k,
				     sqrt(z2 / (k * pr->n)), zmax, sdmax,	       wmax};
	memcpy(row, v, sizeof v);
	return 0;
}

int study_accuracy(const struct study_options *o, struct report *r, struct err *e)
{
	const int per_problem = 2 * o->n_sizes, rows = (int)N_PROBLEMS * per_problem;
	double *cells = malloc(sizeof(double) * N_COLUMNS * (size_t)rows);
	char title[1024];
	int rc = 0, len;

	if (!cells)
		return err_set(e, ERR_NOMEM, "out of memory");
	len = snprintf(title, sizeof title, "TMCMC against exact answers; kernel 0 rw (old default), 1 tpcn (new); "
		       "problems:");
	for (size_t p = 0; p < N_PROBLEMS; p++)
		len += snprintf(title + len, sizeof title - (size_t)len, " %zu %s (%s)%s", p + 1, problems[p].name,
				problems[p].title, p + 1 < N_PROBLEMS ? ";" : "");
	for (size_t p = 0; !rc && p < N_PROBLEMS; p++) {
		char path[4200];
		struct mixture a;
		struct prior pr;

		memset(&a, 0, sizeof a);
		memset(&pr, 0, sizeof pr);
		snprintf(path, sizeof path, "%s/tmcmc/%s", o->examples, problems[p].spec);
		if (!(rc = mixture_load(&a, path, e))) {
			snprintf(path, sizeof path, "%s/tmcmc/%s", o->examples, problems[p].prior);
			rc = prior_load(&pr, path, e);
		}
		for (int i = 0; !rc && i < per_problem; i++) {
			struct tmcmc_settings s;
			tmcmc_settings_default(&s);
			s.kernel = i % 2 ? TMCMC_TPCN : TMCMC_RW;
			double t0 = clock_now();
			rc = study_row(o, (int)p + 1, &a, &pr, &s, o->sizes[i / 2],
				       cells + ((size_t)p * (size_t)per_problem + (size_t)i) * N_COLUMNS, e);
			if (!rc && !o->quiet)
				fprintf(stderr, "profile: accuracy %s: N %d, %s: %d seeds in %.1f s\n", problems[p].name,
					o->sizes[i / 2], tmcmc_kernel_name(s.kernel), o->seeds, clock_now() - t0);
		}
		if (rc)
			err_prefix(e, "accuracy %s", problems[p].name);
		mixture_free(&a);
		prior_free(&pr);
	}
	if (!rc)
		rc = report_add_sweep(r, "accuracy", title, columns, (int)N_COLUMNS, cells, rows, e);
	free(cells);
	return rc;
}
