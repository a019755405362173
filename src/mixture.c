/*
 * mixture: the Gaussian-mixture test likelihood and its exact evidence
 * and posterior moments under independent priors.
 *
 * Everything is done in logs: the log-likelihood by log-sum-exp over the
 * components (so a theta 50 sds from every mean is still finite and
 * accurate), the evidence from normal_log_mass (so a likelihood 20 prior
 * sds out still has a relatively accurate evidence), and the truncated
 * normal moments from the ratios phi/Z taken as exponentials of log
 * differences (so neither phi nor Z needs to be representable alone).
 */
#include "mixture.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "mpjson.h"
#include "normal.h"

/* ---- the spec file ---- */

static const char *const top_keys[] = {"components", "log_scale", "description", NULL};
static const char *const component_keys[] = {"weight", "mean", "sd", NULL};

static int known(const char *key, const char *const *keys)
{
	for (int i = 0; keys[i]; i++)
		if (!strcmp(key, keys[i]))
			return 1;
	return 0;
}

/* "mean" or "sd" of component j (1-based in messages) into out[0..*d-1];
 * *d = 0 means the first list, which sets the dimension. sd lists must be
 * positive, and large enough that 1/sd is finite (denormals are not). */
static int get_list(json_t *comp, const char *key, const char *where, int j, int *d, int positive,
		    double *out, struct err *e)
{
	const char *what = positive ? "positive" : "finite";
	json_t *v = json_object_get(comp, key);

	if (!v)
		return err_set(e, ERR_INPUT, "%s: component %d: missing key '%s'", where, j, key);
	if (!json_is_array(v))
		return err_set(e, ERR_INPUT, "%s: component %d: '%s' must be a list of numbers", where, j, key);
	size_t n = json_array_size(v);
	if (*d == 0 && (n < 1 || n > PRIOR_MAX_DIM))
		return err_set(e, ERR_INPUT, "%s: component %d: '%s' must have 1 to %d %s numbers, got %zu",
			       where, j, key, PRIOR_MAX_DIM, what, n);
	if (*d != 0 && n != (size_t)*d)
		return err_set(e, ERR_INPUT, "%s: component %d: '%s' must have %d %s numbers, got %zu", where, j,
			       key, *d, what, n);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(v, i);
		double y = json_is_number(x) ? json_number_value(x) : NAN;
		if (!isfinite(y) || (positive && !(y > 0)))
			return err_set(e, ERR_INPUT, "%s: component %d: '%s'[%zu] must be a %s number", where, j,
				       key, i, what);
		if (positive && !isfinite(1 / y))
			return err_set(e, ERR_INPUT, "%s: component %d: '%s'[%zu] is too small (%g)", where, j, key,
				       i, y);
		out[i] = y;
	}
	*d = (int)n;
	return 0;
}

static int get_component(struct mixture *a, json_t *comp, const char *where, int j, double *weight,
			 struct err *e)
{
	struct mixture_component *c = &a->c[j - 1];
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(comp))
		return err_set(e, ERR_INPUT, "%s: component %d must be an object", where, j);
	json_object_foreach(comp, key, v) {
		if (!known(key, component_keys))
			return err_set(e, ERR_INPUT, "%s: component %d: unknown key '%s'", where, j, key);
	}
	*weight = 1;
	if ((v = json_object_get(comp, "weight"))) {
		*weight = json_is_number(v) ? json_number_value(v) : NAN;
		if (!(isfinite(*weight) && *weight > 0))
			return err_set(e, ERR_INPUT, "%s: component %d: 'weight' must be a positive number", where,
				       j);
	}
	if ((rc = get_list(comp, "mean", where, j, &a->d, 0, c->mean, e)) ||
	    (rc = get_list(comp, "sd", where, j, &a->d, 1, c->sd, e)))
		return rc;
	return 0;
}

int mixture_from_json(struct mixture *a, json_t *obj, const char *where, struct err *e)
{
	double weight[MIXTURE_MAX_COMPONENTS], top = 0, sum = 0;
	const char *key;
	json_t *v, *comps;
	int rc;

	memset(a, 0, sizeof *a);
	if (!json_is_object(obj))
		return err_set(e, ERR_INPUT, "%s: a spec must be a JSON object", where);
	json_object_foreach(obj, key, v) {
		if (!known(key, top_keys))
			return err_set(e, ERR_INPUT, "%s: unknown key '%s'", where, key);
	}
	if ((v = json_object_get(obj, "log_scale"))) {
		a->log_scale = json_is_number(v) ? json_number_value(v) : NAN;
		if (!isfinite(a->log_scale))
			return err_set(e, ERR_INPUT, "%s: 'log_scale' must be a finite number", where);
	}
	if (!(comps = json_object_get(obj, "components")))
		return err_set(e, ERR_INPUT, "%s: missing key 'components'", where);
	if (!json_is_array(comps) || json_array_size(comps) < 1 ||
	    json_array_size(comps) > MIXTURE_MAX_COMPONENTS)
		return err_set(e, ERR_INPUT, "%s: 'components' must be a list of 1 to %d objects", where,
			       MIXTURE_MAX_COMPONENTS);
	a->k = (int)json_array_size(comps);
	for (int j = 0; j < a->k; j++) {
		if ((rc = get_component(a, json_array_get(comps, (size_t)j), where, j + 1, &weight[j], e))) {
			memset(a, 0, sizeof *a);
			return rc;
		}
		if (weight[j] > top)
			top = weight[j];
	}
	/* normalise relative to the largest weight: a sum of finite weights
	 * may overflow, a sum of at most 16 numbers in (0, 1] cannot */
	for (int j = 0; j < a->k; j++)
		sum += weight[j] / top;
	for (int j = 0; j < a->k; j++) {
		struct mixture_component *c = &a->c[j];
		c->weight = weight[j] / top / sum;
		c->log_weight = log(weight[j] / top) - log(sum);
		c->log_norm = c->log_weight - a->d * NORMAL_LOG_SQRT_2PI;
		for (int i = 0; i < a->d; i++) {
			c->inv_sd[i] = 1 / c->sd[i];
			c->log_norm -= log(c->sd[i]);
		}
		/* a weight that underflows relative to the largest is 0, which
		 * the spec cannot mean, since it said positive */
		if (!isfinite(c->log_weight) || !isfinite(c->log_norm)) {
			memset(a, 0, sizeof *a);
			return err_set(e, ERR_INPUT, "%s: component %d: 'weight' is too small beside the others "
				       "to be represented", where, j + 1);
		}
	}
	a->json = json_incref(obj);
	return 0;
}

int mixture_load(struct mixture *a, const char *path, struct err *e)
{
	json_t *root;
	int rc;

	memset(a, 0, sizeof *a);
	if ((rc = mpjson_load_file(path, "a spec file", &root, e)))
		return rc;
	rc = mixture_from_json(a, root, path, e);
	json_decref(root);
	return rc;
}

void mixture_free(struct mixture *a)
{
	json_decref(a->json);
	memset(a, 0, sizeof *a);
}

/* ---- the likelihood ---- */

/* Each component's log term at theta into t; the largest. */
static double log_terms(const struct mixture *a, const double *theta, double *t)
{
	double top = -INFINITY;
	for (int j = 0; j < a->k; j++) {
		const struct mixture_component *c = &a->c[j];
		double q = 0;
		for (int i = 0; i < a->d; i++) {
			double z = (theta[i] - c->mean[i]) * c->inv_sd[i];
			q += z * z;
		}
		t[j] = c->log_norm - 0.5 * q;
		if (t[j] > top)
			top = t[j];
	}
	return top;
}

void mixture_responsibilities(const struct mixture *a, const double *theta, double *r)
{
	double top = log_terms(a, theta, r), sum = 0;
	for (int j = 0; j < a->k; j++)
		sum += r[j] = top == -INFINITY ? 0 : exp(r[j] - top);
	for (int j = 0; j < a->k; j++)
		r[j] = sum > 0 ? r[j] / sum : 0;
}

int mixture_batch(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d, double *loglik,
		  struct err *e)
{
	const struct mixture *a = ctx;
	(void)ids;
	(void)floor;
	(void)e;
	for (int i = 0; i < n; i++)
		loglik[i] = mixture_loglik(a, theta + (size_t)i * (size_t)d);
	return 0;
}

double mixture_loglik(const struct mixture *a, const double *theta)
{
	double t[MIXTURE_MAX_COMPONENTS], top = log_terms(a, theta, t), sum = 0;

	/* every term underflowed (or theta is NaN): no component dominates */
	if (top == -INFINITY)
		return -INFINITY;
	for (int j = 0; j < a->k; j++)
		sum += exp(t[j] - top);
	return a->log_scale + top + log(sum);
}

/* ---- exact evidence and moments ---- */

/* phi(x) / Z in logs; 0 for an infinite bound, whose term vanishes. */
static double ratio(double x, double log_z)
{
	return isinf(x) ? 0 : exp(-0.5 * x * x - NORMAL_LOG_SQRT_2PI - log_z);
}

/* The 20-point Gauss-Legendre rule on [-1, 1]: nodes +-x[i], weights w[i]. */
static const double gl_x[10] = {
	0.0765265211334973337546, 0.22778585114164507808,  0.373706088715419560673, 0.510867001950827098004,
	0.636053680726515025453,  0.746331906460150792614, 0.839116971822218823395, 0.912234428251325905868,
	0.963971927277913791268,  0.993128599185094924786,
};
static const double gl_w[10] = {
	0.152753387130725850698, 0.149172986472603746788, 0.142096109318382051329,  0.131688638449176626898,
	0.118194531961518417312, 0.101930119817240435037, 0.0832767415767047487248, 0.0626720483341090635695,
	0.040601429800386941331, 0.0176140071391521183119,
};
enum { GL_PANELS = 10, GL_NODES = 20 };
/* The density is cut where it has fallen by e^-QUAD_CUT from its largest
 * value on the interval: what lies beyond is below 1e-18 of the mass and
 * of the variance even in a far tail, where the variance is 1/x0^2 and
 * the cut sits 50/x0 out. */
#define QUAD_CUT 50.0

/* Mean and variance of the standard normal truncated to [al, be], with
 * 0 <= x0 = max(al, 0) the point of the interval nearest the mode, by
 * quadrature of exp(-(x^2 - x0^2)/2) (at most 1, so nothing underflows)
 * over the part of the interval that holds any mass, in two passes: the
 * mean about x0, then the central second moment, neither of which
 * cancels. Each panel spans at most 5 of the density's length scales
 * (min(1, 1/x0)), where 20 Gauss points are exact to rounding. */
static void quadrature_moments(double al, double be, double *mean, double *var)
{
	double x0 = al > 0 ? al : 0, r = sqrt(x0 * x0 + 2 * QUAD_CUT);
	double lo = al > -r ? al : -r, hi = be < r ? be : r, h = (hi - lo) / GL_PANELS;
	double y[GL_PANELS * GL_NODES], g[GL_PANELS * GL_NODES], s0 = 0, s1 = 0, s2 = 0;

	for (int p = 0; p < GL_PANELS; p++) {
		for (int i = 0; i < GL_NODES; i++) {
			double t = i < 10 ? -gl_x[9 - i] : gl_x[i - 10], w = i < 10 ? gl_w[9 - i] : gl_w[i - 10];
			int n = p * GL_NODES + i;
			/* the node relative to x0 directly (lo - x0 is exact: 0 or
			 * lo), so that a narrow interval far out keeps its digits */
			y[n] = (lo - x0) + h * (p + 0.5 + 0.5 * t);
			g[n] = w * exp(-0.5 * y[n] * (y[n] + 2 * x0));
			s0 += g[n];
			s1 += g[n] * y[n];
		}
	}
	double m = s1 / s0;
	for (int n = 0; n < GL_PANELS * GL_NODES; n++)
		s2 += g[n] * (y[n] - m) * (y[n] - m);
	*mean = x0 + m;
	*var = s2 / s0;
}

/* Mean and variance of the standard normal truncated to [al, be], whose
 * mass is exp(log_z). The closed form, mean = (phi(al) - phi(be)) / Z and
 * var = 1 + (al phi(al) - be phi(be)) / Z - mean^2 with the ratios phi/Z
 * taken in logs, is exact to ~1e-14 while the interval is wide and near
 * the mode. Elsewhere its variance cancels: by about eps al^6 relative
 * in a far tail (terms of size al^2 leave one of size 1/al^2; 1e-8 at 30
 * sds), by about eps / w^2 for a narrow interval of width w (1e-4 at
 * w = 2e-4, a uniform prior far narrower than the likelihood); there the
 * quadrature takes over. */
static void truncated_moments(double al, double be, double log_z, double *mean, double *var)
{
	/* reflect so that the interval does not lie mostly below 0 (al + be
	 * is NaN only for the whole line, which needs no reflection) */
	if (al + be < 0) {
		truncated_moments(-be, -al, log_z, mean, var);
		*mean = -*mean;
		return;
	}
	if (al > 1 || be - al < 1) {
		quadrature_moments(al, be, mean, var);
		return;
	}
	double ra = ratio(al, log_z), rb = ratio(be, log_z);
	double m = ra - rb;
	double v = 1 + (isinf(al) ? 0 : al * ra) - (isinf(be) ? 0 : be * rb) - m * m;

	*mean = m;
	*var = v > 0 ? v : 0;
}

/* One dimension of one component: log z = log of the integral of
 * prior_i(x) N(x; mu, sd^2), and the mean and variance of the posterior
 * piece prior_i(x) N(x; mu, sd^2) / z. */
static void piece(const struct prior_param *p, double mu, double sd, double *log_z, double *mean, double *var)
{
	double center, scale, log_front;

	if (p->kind == PRIOR_UNIFORM) {
		/* the piece is N(mu, sd^2) cut to [lo, hi] */
		center = mu;
		scale = sd;
		log_front = p->log_norm;
	} else {
		/* N(x; m, s^2) N(x; mu, sd^2) = N(x; c, v) N(mu; m, s^2 + sd^2);
		 * hypot keeps s^2 + sd^2 from overflowing for huge sds */
		double m = p->a, s = p->b, h = hypot(s, sd), fs = s / h, fsd = sd / h, dz = (mu - m) / h;
		center = m * fsd * fsd + mu * fs * fs;
		scale = fs * sd;
		log_front = -NORMAL_LOG_SQRT_2PI - log(h) - 0.5 * dz * dz -
			    normal_log_mass((p->lo - m) / s, (p->hi - m) / s);
	}
	double al = (p->lo - center) / scale, be = (p->hi - center) / scale;
	double log_mass = normal_log_mass(al, be), m01, v01;

	*log_z = log_front + log_mass;
	if (log_mass == -INFINITY) {
		*mean = center;
		*var = 0;
		return;
	}
	truncated_moments(al, be, log_mass, &m01, &v01);
	*mean = center + scale * m01;
	*var = scale * scale * v01;
}

int mixture_exact(const struct mixture *a, const struct prior *pr, struct mixture_exact *x, struct err *e)
{
	double log_w[MIXTURE_MAX_COMPONENTS], top = -INFINITY, sum = 0;
	double pm[MIXTURE_MAX_COMPONENTS][PRIOR_MAX_DIM], pv[MIXTURE_MAX_COMPONENTS][PRIOR_MAX_DIM];

	memset(x, 0, sizeof *x);
	if (pr->n != a->d)
		return err_set(e, ERR_INPUT, "the prior has %d parameter%s but the likelihood has dimension %d",
			       pr->n, pr->n == 1 ? "" : "s", a->d);
	for (int j = 0; j < a->k; j++) {
		const struct mixture_component *c = &a->c[j];
		log_w[j] = c->log_weight;
		for (int i = 0; i < a->d; i++) {
			double lz;
			piece(&pr->p[i], c->mean[i], c->sd[i], &lz, &pm[j][i], &pv[j][i]);
			log_w[j] += lz;
		}
		if (isnan(log_w[j]))
			return err_set(e, ERR_INPUT, "component %d: the evidence is not a number", j + 1);
		if (log_w[j] > top)
			top = log_w[j];
	}
	if (top == -INFINITY)
		return err_set(e, ERR_INPUT, "the likelihood has no representable mass inside the prior's support");
	for (int j = 0; j < a->k; j++)
		sum += exp(log_w[j] - top);
	x->log_evidence = a->log_scale + top + log(sum);
	if (!isfinite(x->log_evidence))
		return err_set(e, ERR_INPUT, "the log evidence %g is not representable", x->log_evidence);
	for (int j = 0; j < a->k; j++)
		x->weight[j] = exp(log_w[j] - top) / sum;
	for (int i = 0; i < a->d; i++) {
		double m = 0, v = 0;
		for (int j = 0; j < a->k; j++)
			if (x->weight[j] > 0)
				m += x->weight[j] * pm[j][i];
		/* the law of total variance, not E[x^2] - m^2, which cancels
		 * when the mean is large beside the sd */
		for (int j = 0; j < a->k; j++)
			if (x->weight[j] > 0) {
				double dm = pm[j][i] - m;
				v += x->weight[j] * (pv[j][i] + dm * dm);
			}
		x->mean[i] = m;
		x->sd[i] = sqrt(v);
	}
	return 0;
}
