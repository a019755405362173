/*
 * Unit tests for linalg: LU factorisation with partial pivoting and the
 * triangular solves (linalg_lu_factor, linalg_lu_solve).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <string.h>

#include "linalg.h"
#include "rng.h"

#define NMAX 20

/* max_i |(A x - b)_i| and max_i (|A| |x|)_i, for the normwise relative
 * residual. A is the original (unfactored) matrix. */
static void residual_norms(const double *a, int n, const double *x, const double *b,
			   double *res, double *scale)
{
	*res = 0;
	*scale = 0;
	for (int i = 0; i < n; i++) {
		double r = -b[i], s = 0;
		for (int j = 0; j < n; j++) {
			r += a[i * n + j] * x[j];
			s += fabs(a[i * n + j]) * fabs(x[j]);
		}
		*res = fabs(r) > *res ? fabs(r) : *res;
		*scale = s > *scale ? s : *scale;
	}
}

static void test_known_3x3(void **state)
{
	(void)state;
	/* 2x + y + z = 5, 4x - 6y = -2, -2x + 7y + 2z = 9: x = 1, y = 1, z = 2 */
	double a[9] = {2, 1, 1, 4, -6, 0, -2, 7, 2};
	double b[3] = {5, -2, 9};
	const double want[3] = {1, 1, 2};
	int piv[3];

	assert_int_equal(linalg_lu_factor(a, 3, piv), 0);
	/* the first pivot is the 4 of row 1 (largest in column 0) */
	assert_int_equal(piv[0], 1);
	for (int k = 0; k < 3; k++)
		assert_in_range(piv[k], k, 2);
	linalg_lu_solve(a, 3, piv, b);
	for (int i = 0; i < 3; i++)
		assert_true(fabs(b[i] - want[i]) <= 4 * DBL_EPSILON * fabs(want[i]));
}

static void test_order_one(void **state)
{
	(void)state;
	double a[1] = {-4}, b[1] = {2};
	int piv[1];

	assert_int_equal(linalg_lu_factor(a, 1, piv), 0);
	assert_int_equal(piv[0], 0);
	linalg_lu_solve(a, 1, piv, b);
	assert_true(b[0] == -0.5);
}

/*
 * Random diagonally dominant systems of orders 1..20, half of them with
 * their rows shuffled so that partial pivoting has rows to swap.
 *
 * Tolerance. LU with partial pivoting is backward stable: the computed x
 * solves (A + dA) x = b with |dA| <= gamma_3n |L||U|, where
 * gamma_k = k u / (1 - k u) and u = DBL_EPSILON / 2 (Higham, Accuracy and
 * Stability of Numerical Algorithms, Thm 9.4). For diagonally dominant A
 * the growth factor is at most about 2 and |L||U| stays of the size of
 * |A|, so max|A x - b| <~ 3n u * c * max(|A||x|) with c a small constant;
 * evaluating the residual here adds about n u max(|A||x|). We allow
 * 8 n eps = 16 n u, i.e. c up to about 5: generous for a correct
 * factorisation (the largest ratio seen is printed), yet a wrong swap or a
 * dropped elimination term gives residuals of order |A||x| itself.
 *
 * The forward error is checked too: when a_ii - sum_{j!=i} |a_ij| >= delta
 * for every row, ||A^-1||_inf <= 1/delta, so ||x - x*||_inf is at most
 * (|A x - b| + |A x* - b|) / delta, the second term being the rounding of
 * forming b (factor 2 for the rounding of the check).
 */
static void test_random_diagonally_dominant(void **state)
{
	(void)state;
	struct rng r;
	double a[NMAX * NMAX], lu[NMAX * NMAX], xt[NMAX], b[NMAX], x[NMAX];
	int piv[NMAX];
	double worst = 0;
	int swaps = 0;

	rng_init(&r, rng_key(20250101, 1));
	for (int n = 1; n <= NMAX; n++) {
		for (int trial = 0; trial < 25; trial++) {
			double delta = INFINITY;
			for (int i = 0; i < n; i++) {
				double off = 0;
				for (int j = 0; j < n; j++) {
					if (j == i)
						continue;
					a[i * n + j] = 2 * rng_uniform(&r) - 1;
					off += fabs(a[i * n + j]);
				}
				double margin = 0.5 + rng_uniform(&r);
				double sign = rng_uniform(&r) < 0.5 ? -1 : 1;
				a[i * n + i] = sign * (off + margin);
				delta = margin < delta ? margin : delta;
				xt[i] = 10 * (2 * rng_uniform(&r) - 1);
			}
			/* in every other trial shuffle the rows, so that the pivots
			 * are found off the diagonal (unshuffled, the dominant diagonal
			 * is nearly always the largest entry of its column and rows are
			 * hardly ever swapped); delta and the bounds below do not change */
			if (trial % 2)
				for (int i = n - 1; i > 0; i--) {
					int k = (int)(rng_next(&r) % (uint64_t)(i + 1));
					for (int j = 0; j < n; j++) {
						double t = a[i * n + j];
						a[i * n + j] = a[k * n + j];
						a[k * n + j] = t;
					}
				}
			for (int i = 0; i < n; i++) {
				b[i] = 0;
				for (int j = 0; j < n; j++)
					b[i] += a[i * n + j] * xt[j];
			}
			memcpy(lu, a, sizeof(double) * (size_t)(n * n));
			memcpy(x, b, sizeof(double) * (size_t)n);
			assert_int_equal(linalg_lu_factor(lu, n, piv), 0);
			for (int k = 0; k < n; k++) {
				assert_in_range(piv[k], k, n - 1);
				swaps += piv[k] != k;
			}
			linalg_lu_solve(lu, n, piv, x);

			double res, scale;
			residual_norms(a, n, x, b, &res, &scale);
			double tol = 8.0 * n * DBL_EPSILON;
			if (!(res <= tol * scale))
				fail_msg("n = %d, trial %d: |Ax - b| = %g > %g |A||x| = %g", n, trial, res,
					 tol, tol * scale);
			worst = fmax(worst, res / (n * DBL_EPSILON * scale));

			/* forward error against the x the right-hand side was made from;
			 * |b - A x*| itself carries the rounding of forming b */
			double bres, bscale;
			residual_norms(a, n, xt, b, &bres, &bscale);
			double ferr = 0;
			for (int i = 0; i < n; i++)
				ferr = fabs(x[i] - xt[i]) > ferr ? fabs(x[i] - xt[i]) : ferr;
			double fbound = 2.0 * (res + bres + tol * scale) / delta;
			if (!(ferr <= fbound))
				fail_msg("n = %d, trial %d: |x - x*| = %g > %g", n, trial, ferr, fbound);
		}
	}
	print_message("largest |Ax - b| / (n eps |A||x|): %.3g (allowed 8); %d row swaps\n", worst, swaps);
	assert_true(swaps > 0); /* the pivoting was exercised */
}

/* The static inline kernel and the out-of-line function are the same code:
 * same factors, same pivots, same solution bit for bit. */
static void test_inline_matches_outofline(void **state)
{
	(void)state;
	struct rng r;
	double a1[NMAX * NMAX], a2[NMAX * NMAX], b1[NMAX], b2[NMAX];
	int p1[NMAX], p2[NMAX];

	rng_init(&r, rng_key(20250101, 2));
	for (int n = 1; n <= NMAX; n++) {
		for (int i = 0; i < n * n; i++)
			a1[i] = a2[i] = 2 * rng_uniform(&r) - 1;
		for (int i = 0; i < n; i++)
			b1[i] = b2[i] = rng_uniform(&r);
		int rc1 = linalg_lu_factor(a1, n, p1);
		int rc2 = linalg_lu_factor_n(a2, n, p2);
		assert_int_equal(rc1, rc2);
		if (rc1)
			continue;
		assert_memory_equal(p1, p2, sizeof(int) * (size_t)n);
		assert_memory_equal(a1, a2, sizeof(double) * (size_t)(n * n));
		linalg_lu_solve(a1, n, p1, b1);
		linalg_lu_solve_n(a2, n, p2, b2);
		assert_memory_equal(b1, b2, sizeof(double) * (size_t)n);
	}
}

/* A factorisation serves several right-hand sides. */
static void test_several_rhs(void **state)
{
	(void)state;
	double a[4] = {1, 2, 3, 4}, lu[4];
	int piv[2];
	const double rhs[3][2] = {{5, 11}, {1, 0}, {0, 1}};
	const double want[3][2] = {{1, 2}, {-2, 1.5}, {1, -0.5}};

	memcpy(lu, a, sizeof a);
	assert_int_equal(linalg_lu_factor(lu, 2, piv), 0);
	for (int k = 0; k < 3; k++) {
		double x[2] = {rhs[k][0], rhs[k][1]};
		linalg_lu_solve(lu, 2, piv, x);
		for (int i = 0; i < 2; i++)
			assert_true(fabs(x[i] - want[k][i]) <= 8 * DBL_EPSILON);
	}
}

/* A zero on the diagonal: without pivoting the first step divides by 0. */
static void test_needs_pivoting(void **state)
{
	(void)state;
	/* [0 2 1; 1 0 3; 2 1 0] x = b for x = (1, -1, 2) */
	const double a0[9] = {0, 2, 1, 1, 0, 3, 2, 1, 0};
	const double xt[3] = {1, -1, 2};
	double a[9], b[3];
	int piv[3];

	memcpy(a, a0, sizeof a);
	for (int i = 0; i < 3; i++) {
		b[i] = 0;
		for (int j = 0; j < 3; j++)
			b[i] += a0[i * 3 + j] * xt[j];
	}
	assert_int_equal(linalg_lu_factor(a, 3, piv), 0);
	assert_int_equal(piv[0], 2); /* |2| is the largest in column 0 */
	linalg_lu_solve(a, 3, piv, b);
	for (int i = 0; i < 3; i++)
		assert_true(fabs(b[i] - xt[i]) <= 8 * DBL_EPSILON);

	/* the plain 2x2 permutation matrix */
	double p[4] = {0, 1, 1, 0}, y[2] = {3, 4};
	int pp[2];
	assert_int_equal(linalg_lu_factor(p, 2, pp), 0);
	assert_int_equal(pp[0], 1);
	linalg_lu_solve(p, 2, pp, y);
	assert_true(y[0] == 4 && y[1] == 3);
}

/* Singular matrices. A zero column stays exactly zero under elimination
 * (0 - l * 0), so its pivot is exactly 0 whatever the other entries. Two
 * equal rows receive the same updates until one becomes a pivot row; the
 * other then gets l = a * (1/a), which is exactly 1 only when 1/a rounds
 * favourably, so the integers below are chosen so that the arithmetic is
 * exact (pivots 4 and 3/4) and the singularity is exact, not merely to
 * working precision. */
static void test_singular(void **state)
{
	(void)state;
	int piv[4];

	double zero_col[9] = {1, 0, 2, 3, 0, 5, 7, 0, 11};
	assert_int_equal(linalg_lu_factor(zero_col, 3, piv), ERR_RUNTIME);

	double zero_first_col[9] = {0, 1, 2, 0, 3, 4, 0, 5, 7};
	assert_int_equal(linalg_lu_factor(zero_first_col, 3, piv), ERR_RUNTIME);

	double equal_rows[9] = {1, 2, 3, 1, 2, 3, 4, 5, 6};
	assert_int_equal(linalg_lu_factor(equal_rows, 3, piv), ERR_RUNTIME);

	double equal_rows4[16] = {2, 1, 0, 1, 1, 1, 1, 1, 4, 2, 1, 0, 1, 1, 1, 1};
	assert_int_equal(linalg_lu_factor(equal_rows4, 4, piv), ERR_RUNTIME);

	double zero[4] = {0, 0, 0, 0};
	assert_int_equal(linalg_lu_factor(zero, 2, piv), ERR_RUNTIME);

	double zero1[1] = {0};
	assert_int_equal(linalg_lu_factor(zero1, 1, piv), ERR_RUNTIME);
}

/* A NaN (or an infinity) anywhere in a dense matrix ends in a non-finite
 * pivot: a NaN below the pivot row spreads along its row through the
 * multiplier; one in a pivot row spreads down its column to every row
 * below (all multipliers are non-zero here). */
static void test_nonfinite(void **state)
{
	(void)state;
	const int n = 4;
	const double base[16] = {4, 1, 2, 1, 1, 5, 1, 2, 2, 1, 6, 1, 1, 2, 1, 7};
	const double bad[3] = {NAN, INFINITY, -INFINITY};
	double a[16];
	int piv[4];

	memcpy(a, base, sizeof a);
	assert_int_equal(linalg_lu_factor(a, n, piv), 0);
	for (int k = 0; k < 3; k++) {
		for (int pos = 0; pos < n * n; pos++) {
			memcpy(a, base, sizeof a);
			a[pos] = bad[k];
			int rc = linalg_lu_factor(a, n, piv);
			if (rc != ERR_RUNTIME)
				fail_msg("%g at (%d, %d): got %d, want ERR_RUNTIME", bad[k], pos / n, pos % n, rc);
		}
	}
	double one[1] = {NAN};
	assert_int_equal(linalg_lu_factor(one, 1, piv), ERR_RUNTIME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_3x3),
		cmocka_unit_test(test_order_one),
		cmocka_unit_test(test_random_diagonally_dominant),
		cmocka_unit_test(test_inline_matches_outofline),
		cmocka_unit_test(test_several_rhs),
		cmocka_unit_test(test_needs_pivoting),
		cmocka_unit_test(test_singular),
		cmocka_unit_test(test_nonfinite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
