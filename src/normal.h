/*
 * normal: the standard normal distribution's special functions, written
 * for the tails: priors truncated far out, likelihoods many standard
 * deviations from the prior mean, and exact evidences of test problems
 * all need Phi and its inverse where 1 - Phi(x) underflows naively.
 */
#ifndef BF_NORMAL_H
#define BF_NORMAL_H

#define NORMAL_LOG_SQRT_2PI 0.91893853320467274178

/* Phi(x), accurate to relative rounding in the lower tail (erfc). */
double normal_cdf(double x);
/* Phi^-1(p) for 0 < p < 1 (Acklam's rational approximation refined by one
 * Halley step: close to full double precision, tails included); -inf at
 * p = 0, +inf at p = 1, NaN outside. */
double normal_quantile(double p);
/* log(Phi(b) - Phi(a)) for a < b (either may be infinite), without the
 * cancellation of the naive difference when both are far in a tail. */
double normal_log_mass(double a, double b);
/* The inverse-CDF draw from the standard normal truncated to [a, b],
 * given u uniform on (0, 1); exact to rounding even when [a, b] lies far
 * in a tail, where rejection sampling would never finish. */
double normal_truncated(double u, double a, double b);

#endif
