/*
 * normal: Phi, Phi^-1 and truncated draws. Upper-tail work is reflected
 * into the lower tail, where erfc keeps relative precision.
 */
#include "normal.h"

#include <math.h>

double normal_cdf(double x)
{
	return 0.5 * erfc(-x * M_SQRT1_2);
}

double normal_quantile(double p)
{
	/* P. J. Acklam's approximation (relative error 1.15e-9) */
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
				   1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
				   6.680131188771972e+01,  -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
				   -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
				   3.754408661907416e+00};
	double q, r, x;

	if (!(p >= 0 && p <= 1))
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	if (p > 0.5)
		return -normal_quantile(1 - p); /* 1 - p is exact here (Sterbenz) */
	if (p < 0.02425) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	/* one Halley step on Phi(x) - p, which is relatively accurate for x < 0 */
	double err = normal_cdf(x) - p;
	double u = err * exp(NORMAL_LOG_SQRT_2PI + 0.5 * x * x);
	return x - u / (1 + 0.5 * x * u);
}

double normal_log_mass(double a, double b)
{
	if (!(a < b))
		return -INFINITY;
	if (a > 0) /* upper tail: reflect */
		return normal_log_mass(-b, -a);
	/* a <= 0: Phi(a) <= 1/2, so the difference is at least Phi(b) - 1/2
	 * when b > 0, and relatively accurate from erfc when b <= 0 */
	double pa = normal_cdf(a), pb = normal_cdf(b);
	if (b <= 0 && pb > 0)
		return log(pb) + log1p(-pa / pb);
	return log(pb - pa);
}

double normal_truncated(double u, double a, double b)
{
	if (a > 0)
		return -normal_truncated(1 - u, -b, -a);
	double pa = normal_cdf(a), pb = normal_cdf(b);
	double x = normal_quantile(pa + u * (pb - pa));
	/* rounding may step just outside a tiny interval */
	return x < a ? a : x > b ? b : x;
}
