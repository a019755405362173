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

/* tpcn's chains have decorrelated enough from where they were resampled
 * when every |corr(start, now)| is at most this */
#define TPCN_DECORRELATION 0.7
/* tpcn: the ESS of the weights, as a fraction of N, that picks dbeta */
#define TPCN_TARGET_ESS 0.6
/* tpcn: the first round of a stage, after which decorrelation is checked */
#define TPCN_FIRST_ROUND 5

void tmcmc_settings_default(struct tmcmc_settings *s)
{
	s->kernel = TMCMC_TPCN;
	s->dof = 5;
	s->target_ess = NAN;
	s->min_dbeta = 0;
	s->logl_scale = 1;
	s->scale = NAN;
	s->adapt = 1;
	s->target_acceptance = NAN;
	s->resample = TMCMC_SYSTEMATIC;
	s->chain_steps = 0;
	s->max_chain_steps = 50;
	s->min_chain_steps = 0;
	s->delayed = 1;
	s->decorrelation = NAN;
}

const char *tmcmc_kernel_name(enum tmcmc_kernel k)
{
	return k == TMCMC_RW ? "rw" : "tpcn";
}

int tmcmc_kernel_parse(const char *name, enum tmcmc_kernel *k)
{
	if (!strcmp(name, "rw"))
		*k = TMCMC_RW;
	else if (!strcmp(name, "tpcn"))
		*k = TMCMC_TPCN;
	else
		return -1;
	return 0;
}

double tmcmc_target_ess(const struct tmcmc_settings *s)
{
	return !isnan(s->target_ess) ? s->target_ess : s->kernel == TMCMC_RW ? 0.5 : TPCN_TARGET_ESS;
}

double tmcmc_target_acceptance(const struct tmcmc_settings *s, int d)
{
	if (!isnan(s->target_acceptance))
		return s->target_acceptance;
	return s->kernel == TMCMC_RW ? 0.23 + 0.21 / d : 0.234;
}

double tmcmc_decorrelation(const struct tmcmc_settings *s)
{
	return !isnan(s->decorrelation) ? s->decorrelation : s->kernel == TMCMC_RW ? 0.2 : TPCN_DECORRELATION;
}

int tmcmc_min_chain_steps(const struct tmcmc_settings *s)
{
	return s->min_chain_steps > 0 ? s->min_chain_steps : s->kernel == TMCMC_RW ? 1 : TPCN_FIRST_ROUND;
}

double tmcmc_start_scale(const struct tmcmc_settings *s, int d)
{
	if (!isnan(s->scale))
		return s->scale;
	if (s->kernel == TMCMC_RW)
		return 2.4 / sqrt(d);
	return fmin(2.38 / sqrt(d), 0.99);
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
	/* the scale a later stage starts from: given, or the kernel's default
	 * (the kernel is the stage's to choose) */
	p->scale = s->scale;
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
	double target = tmcmc_target_ess(s) * finite, rem = 1 - beta, x;
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

/* The adaptive chain length also stops when the largest correlation fell
 * by less than STALL_DROP over the last STALL_STEPS steps. */
#define STALL_STEPS 3
#define STALL_DROP 0.03

/* tpcn: delta(x) = (x - mu)^T Sigma^-1 (x - mu), by forward substitution. */
static double mahalanobis(const struct tmcmc_proposal *q, const double *x)
{
	const int d = q->d;
	double y[PRIOR_MAX_DIM], s = 0;
	for (int a = 0; a < d; a++) {
		double v = x[a] - q->center[a];
		for (int j = 0; j < a; j++)
			v -= q->chol[a * d + j] * y[j];
		y[a] = v / q->chol[a * d + a];
		s += y[a] * y[a];
	}
	return s;
}

/* tpcn: log t(x) up to a constant, from delta(x). */
static double log_t(const struct tmcmc_proposal *q, double delta)
{
	return -0.5 * (q->d + q->dof) * log1p(delta / q->dof);
}

/* Chain c's proposal y at step k from x, and log q(x | y) - log q(y | x)
 * in *lq (0 for the symmetric random walk). */
static void propose(const struct tmcmc_proposal *q, const struct population *p, int c, long k, const double *x,
		    double *y, double *lq)
{
	const int d = q->d;
	double z[PRIOR_MAX_DIM];
	struct rng r;

	rng_init(&r, tmcmc_key(p->seed, p->level, p->stage, c, k, TMCMC_PROPOSE));
	if (q->kernel == TMCMC_RW) {
		for (int a = 0; a < d; a++)
			z[a] = rng_normal(&r);
		for (int a = 0; a < d; a++) {
			double dy = 0;
			for (int j = 0; j <= a; j++)
				dy += q->chol[a * d + j] * z[j];
			y[a] = x[a] + q->scale * dy;
		}
		*lq = 0;
		return;
	}
	/* the scale of the t's Gaussian mixture given x: s = (nu + delta) /
	 * chi2_{d+nu}, chi2_k = 2 Gamma(k/2) */
	double delta = mahalanobis(q, x);
	double sx = (q->dof + delta) / (2 * rng_gamma(&r, 0.5 * (d + q->dof)));
	double keep = sqrt(1 - q->scale * q->scale), step = q->scale * sqrt(sx);
	for (int a = 0; a < d; a++)
		z[a] = rng_normal(&r);
	for (int a = 0; a < d; a++) {
		double dy = 0;
		for (int j = 0; j <= a; j++)
			dy += q->chol[a * d + j] * z[j];
		y[a] = q->center[a] + keep * (x[a] - q->center[a]) + step * dy;
	}
	/* reversible for the t: the MH ratio carries t(x) / t(y) */
	*lq = log_t(q, delta) - log_t(q, mahalanobis(q, y));
}

/* The surrogate's features of x: 1, z_a, z_a z_b (a <= b), z = (x - center) / sd. */
static int features(const struct tmcmc_proposal *q, const double *x, double *f)
{
	double z[TMCMC_DA_MAX_DIM];
	int k = 0;
	f[k++] = 1;
	for (int a = 0; a < q->d; a++)
		f[k++] = z[a] = (x[a] - q->center[a]) / q->sd[a];
	for (int a = 0; a < q->d; a++)
		for (int b = a; b < q->d; b++)
			f[k++] = z[a] * z[b];
	return k;
}

static double surrogate(const struct tmcmc_proposal *q, const double *x)
{
	double f[TMCMC_MAX_COEF], s = 0;
	int k = features(q, x, f);
	for (int i = 0; i < k; i++)
		s += q->coef[i] * f[i];
	return s;
}

/* Fit the surrogate by weighted least squares (with a little ridge) to
 * the population's finite logliks; no surrogate when d is too large, or
 * the points too few. */
static void fit_surrogate(struct tmcmc_proposal *q, const struct population *in, const double *w, const double *cov)
{
	const int d = q->d, P = 1 + d + d * (d + 1) / 2;
	double A[TMCMC_MAX_COEF * TMCMC_MAX_COEF], rhs[TMCMC_MAX_COEF], f[TMCMC_MAX_COEF], L[TMCMC_MAX_COEF * TMCMC_MAX_COEF];
	int finite = 0;

	q->n_coef = 0;
	if (d > TMCMC_DA_MAX_DIM)
		return;
	for (int i = 0; i < in->n; i++)
		finite += in->loglik[i] > -INFINITY && w[i] > 0;
	if (finite < 3 * P)
		return;
	for (int a = 0; a < d; a++)
		q->sd[a] = sqrt(cov[a * d + a]) > 0 ? sqrt(cov[a * d + a]) : 1;
	memset(A, 0, sizeof(double) * (size_t)(P * P));
	memset(rhs, 0, sizeof(double) * (size_t)P);
	for (int i = 0; i < in->n; i++) {
		if (!(in->loglik[i] > -INFINITY) || w[i] <= 0)
			continue;
		features(q, in->theta + (size_t)i * (size_t)d, f);
		for (int a = 0; a < P; a++) {
			rhs[a] += w[i] * f[a] * in->loglik[i];
			for (int b = 0; b <= a; b++)
				A[a * P + b] += w[i] * f[a] * f[b];
		}
	}
	for (int a = 0; a < P; a++) {
		A[a * P + a] *= 1 + 1e-8;
		for (int b = 0; b < a; b++)
			A[b * P + a] = A[a * P + b];
	}
	/* Cholesky, then the two triangular solves */
	for (int i = 0; i < P; i++)
		for (int j = 0; j <= i; j++) {
			double x = A[i * P + j];
			for (int k = 0; k < j; k++)
				x -= L[i * P + k] * L[j * P + k];
			if (i == j) {
				if (!(x > 0))
					return;
				L[i * P + i] = sqrt(x);
			} else {
				L[i * P + j] = x / L[j * P + j];
			}
		}
	for (int i = 0; i < P; i++) {
		double x = rhs[i];
		for (int k = 0; k < i; k++)
			x -= L[i * P + k] * q->coef[k];
		q->coef[i] = x / L[i * P + i];
	}
	for (int i = P - 1; i >= 0; i--) {
		double x = q->coef[i];
		for (int k = i + 1; k < P; k++)
			x -= L[k * P + i] * q->coef[k];
		q->coef[i] = x / L[i * P + i];
	}
	q->n_coef = P;
}

int tmcmc_move(struct population *p, int c0, int c1, const struct prior *pr, struct tmcmc_round *rd,
	       const struct tmcmc_evaluator *ev, long *accepted, struct err *e)
{
	const int d = p->d, n = c1 - c0;
	const struct tmcmc_proposal *q = &rd->q;
	double *prop = malloc((size_t)n * (size_t)d * sizeof *prop), *lp = malloc((size_t)n * sizeof *lp);
	double *bth = malloc((size_t)n * (size_t)d * sizeof *bth), *bl = malloc((size_t)n * sizeof *bl);
	double *floor = malloc((size_t)n * sizeof *floor);
	int *ids = malloc((size_t)n * sizeof *ids), rc = 0;

	*accepted = 0;
	if (!prop || !lp || !bth || !bl || !floor || !ids) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (long k = rd->done + 1; n > 0 && k <= rd->done + rd->next; k++) {
		int m = 0;
		for (int c = c0; c < c1; c++) {
			const double *x = p->theta + (size_t)c * (size_t)d;
			double *y = prop + (size_t)(c - c0) * (size_t)d, lq;
			propose(q, p, c, k, x, y, &lq);
			/* outside the support: rejected without an evaluation */
			lp[c - c0] = prior_logpdf(pr, y);
			if (lp[c - c0] > -INFINITY && q->n_coef) {
				/* delayed acceptance (Christen & Fox 2005): the screen
				 * is the MH test with the surrogate for the loglik; a
				 * proposal it passes is accepted iff beta (l' - l) -
				 * beta (s' - s) > log u, s the surrogate */
				struct rng r;
				double ds = surrogate(q, y) - surrogate(q, x);
				rng_init(&r, tmcmc_key(p->seed, p->level, p->stage, c, k, TMCMC_SCREEN));
				if (!(log(rng_uniform(&r)) < q->beta * ds + lp[c - c0] - p->logprior[c] + lq))
					continue;
				rng_init(&r, tmcmc_key(p->seed, p->level, p->stage, c, k, TMCMC_ACCEPT));
				floor[m] = p->loglik[c] + ds + log(rng_uniform(&r)) / q->beta;
				if (isnan(floor[m]))
					floor[m] = -INFINITY;
				ids[m] = c;
				memcpy(bth + (size_t)m * (size_t)d, y, (size_t)d * sizeof *y);
				m++;
			} else if (lp[c - c0] > -INFINITY) {
				/* MH acceptance, log u < lp' - lp + lq + beta (l' - l),
				 * solved for l': accepted iff l' >= floor, the one rule
				 * both for the decision below and for an evaluator that
				 * stops early under the floor, so stopping cannot change
				 * it */
				struct rng r;
				rng_init(&r, tmcmc_key(p->seed, p->level, p->stage, c, k, TMCMC_ACCEPT));
				double lu = log(rng_uniform(&r));
				floor[m] = p->loglik[c] + (lu - (lp[c - c0] - p->logprior[c]) - lq) / q->beta;
				if (isnan(floor[m]))
					floor[m] = -INFINITY;
				ids[m] = c;
				memcpy(bth + (size_t)m * (size_t)d, y, (size_t)d * sizeof *y);
				m++;
			}
		}
		uint64_t te = meter_begin(ev->meter);
		if (m && (rc = ev->eval(ev->ctx, ids, bth, floor, m, d, bl, e)))
			goto out;
		rd->eval_ticks += meter_begin(ev->meter) - te;
		p->evaluations += m;
		for (int j = 0; j < m; j++) {
			int c = ids[j];
			if (bl[j] > -INFINITY && bl[j] >= floor[j]) {
				memcpy(p->theta + (size_t)c * (size_t)d, prop + (size_t)(c - c0) * (size_t)d,
				       (size_t)d * sizeof *p->theta);
				p->loglik[c] = bl[j];
				p->logprior[c] = lp[c - c0];
				(*accepted)++;
			}
		}
	}
out:
	free(prop);
	free(lp);
	free(bth);
	free(bl);
	free(floor);
	free(ids);
	return rc;
}

void tmcmc_stage_round(struct population *out, const struct tmcmc_settings *s, struct tmcmc_round *rd,
		       long accepted)
{
	const int n = out->n, d = out->d, fixed = s->chain_steps > 0;
	const long max = fixed ? s->chain_steps : s->max_chain_steps;
	const double target = tmcmc_target_acceptance(s, d), decorrelation = tmcmc_decorrelation(s);
	const long steps = rd->next;
	const double rate = (double)accepted / ((double)n * (double)steps);

	rd->done += steps;
	rd->accepted += accepted;
	rd->rounds++;
	rd->next = 0;
	if (s->kernel == TMCMC_RW) {
		/* Robbins-Monro on log scale with gain 1/sqrt(k) (Papaioannou
		 * et al. 2015, as adopted by Betz et al. 2016), after each step */
		const long k = rd->done;
		if (s->adapt)
			rd->q.scale *= exp((rate - target) / sqrt(k));
		if (k >= max)
			return;
		if (fixed) {
			rd->next = 1;
			return;
		}
		double r = rd->corr[k % (STALL_STEPS + 1)] = max_abs_corr(rd->start, out->theta, n, d);
		/* decorrelated, or the correlation has stopped falling: a floor
		 * that MH steps cannot lower, such as chains that stay in the
		 * modes they were resampled into */
		if (r <= decorrelation ||
		    (k > STALL_STEPS && rd->corr[(k - STALL_STEPS) % (STALL_STEPS + 1)] - r < STALL_DROP))
			return;
		rd->next = 1;
		return;
	}
	/* tpcn: r toward the target acceptance, once a round */
	if (s->adapt)
		rd->q.scale = fmin(rd->q.scale * exp((rate - target) / sqrt(rd->rounds)), 0.99);
	if (fixed || rd->done >= max)
		return;
	double r = max_abs_corr(rd->start, out->theta, n, d), last = rd->corr[0];
	rd->corr[0] = r;
	/* decorrelated, or the correlation has stopped falling */
	if (r <= decorrelation || last - r < STALL_DROP * (double)steps / STALL_STEPS)
		return;
	/* the steps the decay so far says are left: r ~ rho^k */
	double rho = pow(r, 1.0 / (double)rd->done);
	double need = rho > 0 && rho < 1 ? ceil(log(decorrelation) / log(rho)) - (double)rd->done : (double)max;
	rd->next = (long)fmin(fmax(need, 1), (double)(max - rd->done));
}

/* tpcn: fit a multivariate t with dof degrees of freedom to the weighted
 * samples (EM, Liu & Rubin 1995, nu fixed): the location in center, the
 * scale matrix in cov and its factor in chol; u is n of workspace.
 * Starts from the weighted mean and covariance (in center and cov). */
static int fit_t(const double *th, const double *w, int n, int d, double dof, double *center, double *cov,
		 double *chol, double *u, struct err *e)
{
	struct tmcmc_proposal q = {.kernel = TMCMC_TPCN, .d = d, .beta = 1, .dof = dof};
	int rc;

	for (int it = 0; it < 100; it++) {
		double sum_wu = 0, change = 0, mean[PRIOR_MAX_DIM];
		memcpy(q.center, center, (size_t)d * sizeof *center);
		memcpy(q.chol, chol, (size_t)d * (size_t)d * sizeof *chol);
		for (int i = 0; i < n; i++) {
			u[i] = w[i] > 0 ? w[i] * (dof + d) / (dof + mahalanobis(&q, th + (size_t)i * (size_t)d)) : 0;
			sum_wu += u[i];
		}
		for (int a = 0; a < d; a++)
			mean[a] = 0;
		for (int i = 0; i < n; i++)
			for (int a = 0; a < d; a++)
				mean[a] += u[i] / sum_wu * th[(size_t)i * (size_t)d + (size_t)a];
		for (int a = 0; a < d * d; a++)
			cov[a] = 0;
		for (int i = 0; i < n; i++) {
			double dx[PRIOR_MAX_DIM];
			if (u[i] == 0)
				continue;
			for (int a = 0; a < d; a++)
				dx[a] = th[(size_t)i * (size_t)d + (size_t)a] - mean[a];
			for (int a = 0; a < d; a++)
				for (int c = 0; c <= a; c++)
					cov[a * d + c] += u[i] * dx[a] * dx[c]; /* the weights sum to 1 */
		}
		for (int a = 0; a < d; a++)
			for (int c = 0; c < a; c++)
				cov[c * d + a] = cov[a * d + c];
		for (int a = 0; a < d; a++) {
			double sd = sqrt(cov[a * d + a]);
			change = fmax(change, fabs(mean[a] - center[a]) / (sd > 0 ? sd : 1));
			center[a] = mean[a];
		}
		if ((rc = proposal_factor(cov, center, d, chol, e)))
			return rc;
		if (change < 1e-8)
			break;
	}
	return 0;
}

void tmcmc_round_free(struct tmcmc_round *rd)
{
	free(rd->start);
	memset(rd, 0, sizeof *rd);
}

int tmcmc_stage_begin(const struct population *in, const struct tmcmc_settings *s,
		      struct population *out, struct tmcmc_round *rd, struct err *e)
{
	const int n = in->n, d = in->d;
	double dbeta, ess, *w = NULL, *u = NULL;
	int *idx = NULL, rc;

	memset(out, 0, sizeof *out);
	memset(rd, 0, sizeof *rd);
	if (!(in->beta < 1))
		return err_set(e, ERR_INPUT, "the population is at beta = 1 already: nothing to do");
	for (int i = 0; i < n; i++)
		if (isnan(in->loglik[i]))
			return err_set(e, ERR_INPUT, "chain %d has no loglik yet", i);
	if ((rc = tmcmc_choose_dbeta(in->loglik, n, in->beta, s, &dbeta, &ess, e)))
		return rc;
	if ((rc = population_init(out, n, d, e)))
		return rc;
	w = malloc((size_t)n * sizeof *w);
	u = malloc((size_t)n * sizeof *u);
	idx = malloc((size_t)n * sizeof *idx);
	rd->start = malloc((size_t)n * (size_t)d * sizeof *rd->start);
	if (!w || !u || !idx || !rd->start) {
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
		total += w[i] = exp(dbeta * (in->loglik[i] - lmax));
	for (int i = 0; i < n; i++)
		w[i] /= total;
	struct tmcmc_proposal *q = &rd->q;
	q->kernel = s->kernel;
	q->d = d;
	q->beta = out->beta;
	weighted_cov(in->theta, w, n, d, out->center, out->covariance);
	if ((rc = proposal_factor(out->covariance, out->center, d, q->chol, e)))
		goto fail;
	if (s->kernel == TMCMC_TPCN) {
		out->dof = q->dof = s->dof;
		if ((rc = fit_t(in->theta, w, n, d, s->dof, out->center, out->covariance, q->chol, u, e)))
			goto fail;
	}
	memcpy(q->center, out->center, (size_t)d * sizeof *out->center);
	if (s->delayed && s->kernel == TMCMC_TPCN)
		fit_surrogate(q, in, w, out->covariance);

	struct rng r;
	rng_init(&r, tmcmc_key(in->seed, in->level, out->stage, 0, 0, TMCMC_RESAMPLE));
	tmcmc_resample(w, n, s->resample, &r, idx);
	for (int c = 0; c < n; c++) {
		memcpy(out->theta + (size_t)c * (size_t)d, in->theta + (size_t)idx[c] * (size_t)d,
		       (size_t)d * sizeof *out->theta);
		out->loglik[c] = in->loglik[idx[c]];
		out->logprior[c] = in->logprior[idx[c]];
	}
	memcpy(rd->start, out->theta, (size_t)n * (size_t)d * sizeof *rd->start);
	out->scale_start = !isnan(s->scale) ? s->scale : in->scale > 0 ? in->scale : tmcmc_start_scale(s, d);
	if (s->kernel == TMCMC_TPCN)
		out->scale_start = fmin(out->scale_start, 0.99);
	q->scale = out->scale_start;
	for (int k = 0; k < STALL_STEPS + 1; k++)
		rd->corr[k] = 1; /* no evidence of a stall before the steps are seen */
	if (s->chain_steps > 0)
		rd->next = s->kernel == TMCMC_RW ? 1 : s->chain_steps;
	else
		rd->next = tmcmc_min_chain_steps(s);
	if (rd->next > (s->chain_steps > 0 ? s->chain_steps : s->max_chain_steps))
		rd->next = s->chain_steps > 0 ? s->chain_steps : s->max_chain_steps;
	free(w);
	free(u);
	free(idx);
	return 0;
fail:
	free(w);
	free(u);
	free(idx);
	tmcmc_round_free(rd);
	population_free(out);
	return rc;
}

int tmcmc_stage_end(const struct population *in, struct population *out, struct tmcmc_round *rd, struct err *e)
{
	out->chain_steps = rd->done;
	out->acceptance = rd->done ? (double)rd->accepted / ((double)out->n * (double)rd->done) : 0;
	out->scale = rd->q.scale;
	out->evaluations_total = in->evaluations_total + out->evaluations;
	return population_extend_history(out, in, e);
}

int tmcmc_stage(const struct population *in, const struct prior *pr, const struct tmcmc_settings *s,
		const struct tmcmc_evaluator *ev, struct population *out, struct err *e)
{
	struct tmcmc_round rd;
	uint64_t t0 = meter_begin(ev->meter);
	int rc;

	if ((rc = tmcmc_stage_begin(in, s, out, &rd, e)))
		return rc;
	while (rd.next > 0) {
		long accepted;
		if ((rc = tmcmc_move(out, 0, out->n, pr, &rd, ev, &accepted, e)))
			goto fail;
		tmcmc_stage_round(out, s, &rd, accepted);
	}
	if ((rc = tmcmc_stage_end(in, out, &rd, e)))
		goto fail;
	if (ev->meter) {
		meter_add(ev->meter, METER_SAMPLER, meter_ticks() - t0 - rd.eval_ticks, 1);
		meter_count(ev->meter, METER_STAGES, 1);
		meter_count(ev->meter, METER_EVALUATIONS, out->evaluations);
	}
	tmcmc_round_free(&rd);
	return 0;
fail:
	tmcmc_round_free(&rd);
	population_free(out);
	return rc;
}

void tmcmc_pack_settings(msgpack_packer *pk, const struct tmcmc_settings *s, int d)
{
	struct pack_map m;

	pack_map_begin(&m, pk);
	pack_kv_str(&m, "kernel", tmcmc_kernel_name(s->kernel));
	if (s->kernel == TMCMC_TPCN) {
		pack_kv_double(&m, "dof", s->dof);
		pack_kv_bool(&m, "delayed_acceptance", s->delayed);
	}
	pack_kv_double(&m, "target_ess", tmcmc_target_ess(s));
	pack_kv_double(&m, "min_dbeta", s->min_dbeta);
	pack_kv_double(&m, "logl_scale", s->logl_scale);
	pack_kv_bool(&m, "adapt", s->adapt);
	pack_kv_double(&m, "target_acceptance", tmcmc_target_acceptance(s, d));
	pack_kv_str(&m, "resample", s->resample == TMCMC_SYSTEMATIC ? "systematic" : "multinomial");
	if (s->chain_steps > 0)
		pack_kv_long(&m, "chain_steps", s->chain_steps);
	else
		pack_kv_str(&m, "chain_steps", "auto");
	pack_kv_long(&m, "min_chain_steps", tmcmc_min_chain_steps(s));
	pack_kv_long(&m, "max_chain_steps", s->max_chain_steps);
	pack_kv_double(&m, "decorrelation", tmcmc_decorrelation(s));
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
