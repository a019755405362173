/*
 * tmcmc: one TMCMC stage (Ching & Chen 2007; Betz, Papaioannou & Straub
 * 2016). Invariants: a population handed to tmcmc_stage has every loglik
 * known (finite or -inf) and every theta inside the prior's support; the
 * chains of the output are numbered in the order of the samples they were
 * resampled from.
 */
#include "tmcmc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

void tmcmc_settings_default(struct tmcmc_settings *s)
{
	s->target_ess = 0.5;
	s->min_dbeta = 0;
	s->logl_scale = 1;
	s->scale = NAN;
	s->adapt = 1;
	s->target_acceptance = NAN;
	s->resample = TMCMC_SYSTEMATIC;
	s->chain_steps = 0;
	s->max_chain_steps = 50;
	s->decorrelation = 0.2;
}

uint64_t tmcmc_key(uint64_t seed, long level, long stage, long chain, long step, enum tmcmc_purpose purpose)
{
	uint64_t k = rng_key(seed, (uint64_t)level);
	k = rng_key(k, (uint64_t)stage);
	k = rng_key(k, (uint64_t)chain);
	k = rng_key(k, (uint64_t)step);
	return rng_key(k, (uint64_t)purpose);
}

int tmcmc_init(struct population *p, const struct prior *pr, int n, uint64_t seed, long level,
	       const struct tmcmc_settings *s, struct err *e)
{
	int rc;

	if ((rc = population_init(p, n, pr->n, e)))
		return rc;
	p->seed = seed;
	p->level = level;
	p->scale = isnan(s->scale) ? 2.4 / sqrt(pr->n) : s->scale;
	p->scale_start = p->scale;
	for (int c = 0; c < n; c++) {
		struct rng r;
		double *th = p->theta + (size_t)c * (size_t)p->d;
		rng_init(&r, tmcmc_key(seed, level, 0, c, 0, TMCMC_DRAW));
		prior_draw(pr, &r, th);
		p->logprior[c] = prior_logpdf(pr, th);
		p->loglik[c] = NAN;
	}
	return 0;
}

int tmcmc_evaluate_missing(struct population *p, const struct tmcmc_evaluator *ev, long *evaluations,
			   struct err *e)
{
	int m = 0, rc = 0;
	for (int i = 0; i < p->n; i++)
		m += isnan(p->loglik[i]);
	if (!m)
		return 0;
	int *ids = malloc((size_t)m * sizeof *ids);
	double *th = malloc((size_t)m * (size_t)p->d * sizeof *th), *l = malloc((size_t)m * sizeof *l);
	if (!ids || !th || !l) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	m = 0;
	for (int i = 0; i < p->n; i++)
		if (isnan(p->loglik[i])) {
			ids[m] = i;
			memcpy(th + (size_t)m * (size_t)p->d, p->theta + (size_t)i * (size_t)p->d,
			       (size_t)p->d * sizeof *th);
			m++;
		}
	if ((rc = ev->eval(ev->ctx, ids, th, NULL, m, p->d, l, e)))
		goto out;
	for (int j = 0; j < m; j++)
		p->loglik[ids[j]] = l[j];
	*evaluations += m;
	p->evaluations_total += m;
	meter_count(ev->meter, METER_EVALUATIONS, m);
out:
	free(ids);
	free(th);
	free(l);
	return rc;
}

int tmcmc_advance(struct population *in, const struct prior *pr, const struct tmcmc_settings *s,
		  const struct tmcmc_evaluator *ev, struct population *out, struct err *e)
{
	long missing = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (!(in->beta < 1))
		return err_set(e, ERR_INPUT, "the population is at beta = 1 already: nothing to do");
	if ((rc = tmcmc_evaluate_missing(in, ev, &missing, e)) || (rc = tmcmc_stage(in, pr, s, ev, out, e)))
		return rc;
	out->evaluations += missing;
	return 0;
}

/* The ESS of w_i = exp(x (l_i - lmax)) as a count. */
static double ess_of(const double *l, int n, double lmax, double x)
{
	double s = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double w = exp(x * (l[i] - lmax)); /* 0 for l = -inf */
		s += w;
		s2 += w * w;
	}
	return s * s / s2;
}

int tmcmc_choose_dbeta(const double *l, int n, double beta, const struct tmcmc_settings *s, double *dbeta,
		       double *ess, struct err *e)
{
	double lmax = -INFINITY;
	int finite = 0;

	for (int i = 0; i < n; i++)
		if (l[i] > -INFINITY) {
			finite++;
			if (l[i] > lmax)
				lmax = l[i];
		}
	if (!finite)
		return err_set(e, ERR_RUNTIME, "no sample has a finite loglik: the likelihood is zero everywhere "
			       "the population has looked");
	/* the target counts the samples that can carry weight at all: with
	 * some -inf logliks the ESS can never reach a fraction of N */
	double target = s->target_ess * finite, rem = 1 - beta, x;
	/* the weights of logliks scaled by ls at x are those of l at ls x */
	double ls = s->logl_scale;
	if (ess_of(l, n, lmax, ls * rem) >= target) {
		x = rem;
	} else {
		/* ESS falls monotonically from `finite` at 0: bisect, keeping
		 * ESS(lo) >= target */
		double lo = 0, hi = rem;
		for (int it = 0; it < 200; it++) {
			double mid = 0.5 * (lo + hi);
			if (mid <= lo || mid >= hi)
				break;
			if (ess_of(l, n, lmax, ls * mid) >= target)
				lo = mid;
			else
				hi = mid;
		}
		x = lo > 0 ? lo : hi;
	}
	if (x < s->min_dbeta)
		x = s->min_dbeta;
	if (x > rem)
		x = rem;
	*dbeta = x;
	*ess = ess_of(l, n, lmax, x);
	return 0;
}

double tmcmc_log_mean_weight(const double *l, int n, double dbeta)
{
	double m = -INFINITY, s = 0;
	for (int i = 0; i < n; i++)
		if (dbeta * l[i] > m)
			m = dbeta * l[i];
	if (m == -INFINITY)
		return -INFINITY;
	for (int i = 0; i < n; i++)
		s += exp(dbeta * l[i] - m);
	return m + log(s / n);
}

void tmcmc_resample(const double *w, int n, enum tmcmc_resample how, struct rng *rng, int *idx)
{
	double total = 0;
	int last = 0; /* rounding must not carry a search onto zero weights at the end */
	for (int i = 0; i < n; i++) {
		total += w[i];
		if (w[i] > 0)
			last = i;
	}
	if (how == TMCMC_SYSTEMATIC) {
		/* one uniform: the points (u + j) / n against the cumulative weights */
		double u = rng_uniform(rng), cum = w[0] / total;
		int i = 0;
		for (int j = 0; j < n; j++) {
			double pos = (u + j) / n;
			while (cum < pos && i < last)
				cum += w[++i] / total;
			idx[j] = i;
		}
		return;
	}
	/* multinomial: n independent uniforms, generated already sorted as
	 * normalised sums of n + 1 exponentials (so no sort and no search),
	 * replaying the stream once the total is known */
	struct rng replay = *rng;
	double t = 0, cum = w[0] / total, pos = 0;
	for (int j = 0; j <= n; j++)
		t -= log(rng_uniform(rng));
	int i = 0;
	for (int j = 0; j < n; j++) {
		pos -= log(rng_uniform(&replay)) / t;
		while (cum < pos && i < last)
			cum += w[++i] / total;
		idx[j] = i;
	}
}

/* Weighted mean and covariance (w sums to 1), two passes for accuracy. */
static void weighted_cov(const double *th, const double *w, int n, int d, double *mean, double *cov)
{
	for (int a = 0; a < d; a++)
		mean[a] = 0;
	for (int i = 0; i < n; i++)
		for (int a = 0; a < d; a++)
			mean[a] += w[i] * th[(size_t)i * (size_t)d + (size_t)a];
	for (int a = 0; a < d * d; a++)
		cov[a] = 0;
	for (int i = 0; i < n; i++) {
		double dx[PRIOR_MAX_DIM];
		if (w[i] == 0)
			continue;
		for (int a = 0; a < d; a++)
			dx[a] = th[(size_t)i * (size_t)d + (size_t)a] - mean[a];
		for (int a = 0; a < d; a++)
			for (int b = 0; b <= a; b++)
				cov[a * d + b] += w[i] * dx[a] * dx[b];
	}
	for (int a = 0; a < d; a++)
		for (int b = 0; b < a; b++)
			cov[b * d + a] = cov[a * d + b];
}

/* Lower Cholesky factor of c + jitter I; 0, or -1 if not positive definite. */
static int cholesky(const double *c, double jitter, int d, double *l)
{
	for (int i = 0; i < d; i++)
		for (int j = 0; j <= i; j++) {
			double s = c[i * d + j] + (i == j ? jitter : 0);
			for (int k = 0; k < j; k++)
				s -= l[i * d + k] * l[j * d + k];
			if (i == j) {
				if (!(s > 0))
					return -1;
				l[i * d + i] = sqrt(s);
			} else {
				l[i * d + j] = s / l[j * d + j];
			}
		}
	for (int i = 0; i < d; i++)
		for (int j = i + 1; j < d; j++)
			l[i * d + j] = 0;
	return 0;
}

/* A factor of the proposal covariance. Samples that coincide in some
 * direction (few distinct survivors of a resampling) make the covariance
 * singular: add the least jitter, relative to the largest variance, that
 * makes it positive definite. */
static int proposal_factor(const double *cov, const double *mean, int d, double *l, struct err *e)
{
	double big = 0, size = 0;
	for (int a = 0; a < d; a++) {
		if (cov[a * d + a] > big)
			big = cov[a * d + a];
		if (fabs(mean[a]) > size)
			size = fabs(mean[a]);
	}
	/* spread at the rounding level of the values themselves is no spread:
	 * the chains are copies of one point (too few MH steps to move them) */
	if (!(big > 1e-24 * size * size) || !isfinite(big))
		return err_set(e, ERR_RUNTIME, "the weighted samples have collapsed to a single point: "
			       "no proposal covariance (more MH steps per stage, or more chains)");
	if (!cholesky(cov, 0, d, l))
		return 0;
	for (double j = 1e-12; j <= 1e-2; j *= 10)
		if (!cholesky(cov, j * big, d, l))
			return 0;
	return err_set(e, ERR_RUNTIME, "the weighted sample covariance is not positive definite");
}

/* max over parameters of |corr(a, b)| across the n chains; a parameter
 * that does not vary at the start says nothing and counts as 0, one that
 * no longer varies has not mixed and counts as 1. */
static double max_abs_corr(const double *a, const double *b, int n, int d)
{
	double worst = 0;
	for (int j = 0; j < d; j++) {
		double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
		for (int i = 0; i < n; i++) {
			ma += a[(size_t)i * (size_t)d + (size_t)j];
			mb += b[(size_t)i * (size_t)d + (size_t)j];
		}
		ma /= n;
		mb /= n;
		for (int i = 0; i < n; i++) {
			double x = a[(size_t)i * (size_t)d + (size_t)j] - ma, y = b[(size_t)i * (size_t)d + (size_t)j] - mb;
			saa += x * x;
			sbb += y * y;
			sab += x * y;
		}
		double r = saa == 0 ? 0 : sbb == 0 ? 1 : fabs(sab) / sqrt(saa * sbb);
		if (r > worst)
			worst = r;
	}
	return worst;
}

struct stage_buffers {
	double *w, *start, *prop, *lp_prop, *bth, *bl, *floor;
	int *idx, *ids;
	uint64_t eval_ticks;     /* time inside the evaluator (when metered) */
};

static void stage_buffers_free(struct stage_buffers *b)
{
	free(b->w);
	free(b->start);
	free(b->prop);
	free(b->lp_prop);
	free(b->bth);
	free(b->bl);
	free(b->floor);
	free(b->idx);
	free(b->ids);
}

static int stage_buffers_init(struct stage_buffers *b, int n, int d, struct err *e)
{
	size_t nd = (size_t)n * (size_t)d;
	memset(b, 0, sizeof *b);
	b->w = malloc((size_t)n * sizeof *b->w);
	b->start = malloc(nd * sizeof *b->start);
	b->prop = malloc(nd * sizeof *b->prop);
	b->lp_prop = malloc((size_t)n * sizeof *b->lp_prop);
	b->bth = malloc(nd * sizeof *b->bth);
	b->bl = malloc((size_t)n * sizeof *b->bl);
	b->floor = malloc((size_t)n * sizeof *b->floor);
	b->idx = malloc((size_t)n * sizeof *b->idx);
	b->ids = malloc((size_t)n * sizeof *b->ids);
	if (!b->w || !b->start || !b->prop || !b->lp_prop || !b->bth || !b->bl || !b->floor || !b->idx || !b->ids) {
		stage_buffers_free(b);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* The adaptive chain length also stops when the largest correlation fell
 * by less than STALL_DROP over the last STALL_STEPS steps. */
#define STALL_STEPS 3
#define STALL_DROP 0.03

/* The MH steps of a stage on out's chains at out->beta. */
static int move_chains(struct population *out, const struct prior *pr, const struct tmcmc_settings *s,
		       const struct tmcmc_evaluator *ev, const double *chol, struct stage_buffers *b, struct err *e)
{
	int n = out->n, d = out->d, k, rc;
	double scale = out->scale_start, beta = out->beta;
	double target = isnan(s->target_acceptance) ? 0.23 + 0.21 / d : s->target_acceptance;
	int steps = s->chain_steps > 0 ? s->chain_steps : s->max_chain_steps;
	long accepted = 0;
	double corr[STALL_STEPS + 1]; /* ring of the last correlations */

	memcpy(b->start, out->theta, (size_t)n * (size_t)d * sizeof *b->start);
	for (k = 1; k <= steps; k++) {
		int m = 0;
		for (int c = 0; c < n; c++) {
			struct rng r;
			const double *x = out->theta + (size_t)c * (size_t)d;
			double *y = b->prop + (size_t)c * (size_t)d, z[PRIOR_MAX_DIM];
			rng_init(&r, tmcmc_key(out->seed, out->level, out->stage, c, k, TMCMC_PROPOSE));
			for (int a = 0; a < d; a++)
				z[a] = rng_normal(&r);
			for (int a = 0; a < d; a++) {
				double dy = 0;
				for (int j = 0; j <= a; j++)
					dy += chol[a * d + j] * z[j];
				y[a] = x[a] + scale * dy;
			}
			/* outside the support: rejected without an evaluation */
			b->lp_prop[c] = prior_logpdf(pr, y);
			if (b->lp_prop[c] > -INFINITY) {
				/* MH acceptance, log u < lp' - lp + beta (l' - l), solved
				 * for l': accepted iff l' >= floor, the one rule both for
				 * the decision below and for an evaluator that stops
				 * early under the floor, so stopping cannot change it */
				rng_init(&r, tmcmc_key(out->seed, out->level, out->stage, c, k, TMCMC_ACCEPT));
				double lu = log(rng_uniform(&r));
				b->floor[m] = out->loglik[c] + (lu - (b->lp_prop[c] - out->logprior[c])) / beta;
				if (isnan(b->floor[m]))
					b->floor[m] = -INFINITY;
				b->ids[m] = c;
				memcpy(b->bth + (size_t)m * (size_t)d, y, (size_t)d * sizeof *y);
				m++;
			}
		}
		uint64_t te = meter_begin(ev->meter);
		if (m && (rc = ev->eval(ev->ctx, b->ids, b->bth, b->floor, m, d, b->bl, e)))
			return rc;
		b->eval_ticks += meter_begin(ev->meter) - te;
		out->evaluations += m;
		int acc = 0;
		for (int j = 0; j < m; j++) {
			int c = b->ids[j];
			double l = b->bl[j];
			if (l > -INFINITY && l >= b->floor[j]) {
				memcpy(out->theta + (size_t)c * (size_t)d, b->prop + (size_t)c * (size_t)d,
				       (size_t)d * sizeof *out->theta);
				out->loglik[c] = l;
				out->logprior[c] = b->lp_prop[c];
				acc++;
			}
		}
		accepted += acc;
		/* Robbins-Monro on log scale with gain 1/sqrt(k) (Papaioannou
		 * et al. 2015, as adopted by Betz et al. 2016) */
		if (s->adapt)
			scale *= exp(((double)acc / n - target) / sqrt(k));
		if (s->chain_steps == 0) {
			double r = corr[k % (STALL_STEPS + 1)] = max_abs_corr(b->start, out->theta, n, d);
			/* decorrelated, or the correlation has stopped falling: a
			 * floor that MH steps cannot lower, such as chains that
			 * stay in the modes they were resampled into */
			if (r <= s->decorrelation ||
			    (k > STALL_STEPS && corr[(k - STALL_STEPS) % (STALL_STEPS + 1)] - r < STALL_DROP)) {
				k++;
				break;
			}
		}
	}
	out->chain_steps = k - 1;
	out->acceptance = (double)accepted / ((double)n * (double)(k - 1));
	out->scale = scale;
	return 0;
}

int tmcmc_stage(const struct population *in, const struct prior *pr, const struct tmcmc_settings *s,
		const struct tmcmc_evaluator *ev, struct population *out, struct err *e)
{
	int n = in->n, d = in->d, rc;
	double dbeta, ess, mean[PRIOR_MAX_DIM];
	double *chol = NULL;
	struct stage_buffers b;
	uint64_t t0 = meter_begin(ev->meter);

	memset(out, 0, sizeof *out);
	if (!(in->beta < 1))
		return err_set(e, ERR_INPUT, "the population is at beta = 1 already: nothing to do");
	for (int i = 0; i < n; i++)
		if (isnan(in->loglik[i]))
			return err_set(e, ERR_INPUT, "chain %d has no loglik yet", i);
	if ((rc = tmcmc_choose_dbeta(in->loglik, n, in->beta, s, &dbeta, &ess, e)))
		return rc;
	if ((rc = stage_buffers_init(&b, n, d, e)))
		return rc;
	if ((rc = population_init(out, n, d, e)))
		goto fail;
	if (!(chol = malloc((size_t)d * (size_t)d * sizeof *chol))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	out->seed = in->seed;
	out->level = in->level;
	out->stage = in->stage + 1;
	out->beta = dbeta >= 1 - in->beta ? 1.0 : in->beta + dbeta;
	out->dbeta = dbeta;
	out->ess = ess;
	out->log_evidence = in->log_evidence + tmcmc_log_mean_weight(in->loglik, n, dbeta);
	/* the relative variance of a mean of N weights is (1/ESS - 1/N); it
	 * ignores the correlation that resampling leaves between chains, so
	 * it is a lower estimate */
	double v = 1 / ess - 1.0 / n;
	out->log_evidence_se = sqrt(in->log_evidence_se * in->log_evidence_se + (v > 0 ? v : 0));

	double lmax = -INFINITY, total = 0;
	for (int i = 0; i < n; i++)
		if (in->loglik[i] > lmax)
			lmax = in->loglik[i];
	for (int i = 0; i < n; i++)
		total += b.w[i] = exp(dbeta * (in->loglik[i] - lmax));
	for (int i = 0; i < n; i++)
		b.w[i] /= total;
	weighted_cov(in->theta, b.w, n, d, mean, out->covariance);
	if ((rc = proposal_factor(out->covariance, mean, d, chol, e)))
		goto fail;

	struct rng r;
	rng_init(&r, tmcmc_key(in->seed, in->level, out->stage, 0, 0, TMCMC_RESAMPLE));
	tmcmc_resample(b.w, n, s->resample, &r, b.idx);
	for (int c = 0; c < n; c++) {
		memcpy(out->theta + (size_t)c * (size_t)d, in->theta + (size_t)b.idx[c] * (size_t)d,
		       (size_t)d * sizeof *out->theta);
		out->loglik[c] = in->loglik[b.idx[c]];
		out->logprior[c] = in->logprior[b.idx[c]];
	}
	out->scale_start = !isnan(s->scale) ? s->scale : in->scale > 0 ? in->scale : 2.4 / sqrt(d);
	if ((rc = move_chains(out, pr, s, ev, chol, &b, e)))
		goto fail;
	out->evaluations_total = in->evaluations_total + out->evaluations;
	if ((rc = population_extend_history(out, in, e)))
		goto fail;
	uint64_t eval_ticks = b.eval_ticks;
	free(chol);
	stage_buffers_free(&b);
	if (ev->meter) {
		meter_add(ev->meter, METER_SAMPLER, meter_ticks() - t0 - eval_ticks, 1);
		meter_count(ev->meter, METER_STAGES, 1);
		meter_count(ev->meter, METER_EVALUATIONS, out->evaluations);
	}
	return 0;
fail:
	free(chol);
	stage_buffers_free(&b);
	population_free(out);
	return rc;
}

void tmcmc_pack_settings(msgpack_packer *pk, const struct tmcmc_settings *s, int d)
{
	struct pack_map m;

	pack_map_begin(&m, pk);
	pack_kv_double(&m, "target_ess", s->target_ess);
	pack_kv_double(&m, "min_dbeta", s->min_dbeta);
	pack_kv_double(&m, "logl_scale", s->logl_scale);
	pack_kv_bool(&m, "adapt", s->adapt);
	pack_kv_double(&m, "target_acceptance", isnan(s->target_acceptance) ? 0.23 + 0.21 / d : s->target_acceptance);
	pack_kv_str(&m, "resample", s->resample == TMCMC_SYSTEMATIC ? "systematic" : "multinomial");
	if (s->chain_steps > 0)
		pack_kv_long(&m, "chain_steps", s->chain_steps);
	else
		pack_kv_str(&m, "chain_steps", "auto");
	pack_kv_long(&m, "max_chain_steps", s->max_chain_steps);
	pack_kv_double(&m, "decorrelation", s->decorrelation);
	pack_map_end(&m);
}

static void pack_settings_entry(struct pack_map *h, const void *ctx, const struct population *p)
{
	pack_key(h, "tmcmc");
	tmcmc_pack_settings(pack_map_packer(h), ctx, p->d);
}

int tmcmc_write_population(const struct population *p, const struct prior *pr, const struct tmcmc_settings *s,
			   struct stream_writer *w, struct err *e)
{
	const struct population_extra x = {pack_settings_entry, s};
	return population_write(p, pr, s ? &x : NULL, w, e);
}
