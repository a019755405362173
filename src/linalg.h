/*
 * linalg: dense LU factorisation with partial pivoting for the small
 * systems of the time stepper (order 2n+2 for n species, at most
 * LINALG_MAX).
 *
 * Matrices are row-major, a[i*n + j]. The kernels are static inline so that
 * a caller that passes a compile-time constant n (see solver.c) gets a
 * fully unrolled fixed-size kernel; linalg_lu_factor/linalg_lu_solve are the
 * same code for any n. A factorisation is reused for every right-hand side
 * of a step (Newton update, and later the sensitivities).
 */
#ifndef BF_LINALG_H
#define BF_LINALG_H

#include <math.h>

#include "err.h"

#define LINALG_MAX 66 /* 2 * 32 species + 2 */

/* Factor a in place into L (unit lower, below the diagonal) and U; piv[k] is
 * the row swapped with row k. Returns 0, or ERR_RUNTIME when a pivot is zero
 * or not finite (the matrix is singular to working precision). */
static inline int linalg_lu_factor_n(double *restrict a, int n, int *restrict piv)
{
	for (int k = 0; k < n; k++) {
		int p = k;
		double best = fabs(a[k * n + k]);
		for (int i = k + 1; i < n; i++) {
			double v = fabs(a[i * n + k]);
			if (v > best) {
				best = v;
				p = i;
			}
		}
		piv[k] = p;
		if (!(best > 0.0) || !isfinite(best))
			return ERR_RUNTIME;
		if (p != k) {
			for (int j = 0; j < n; j++) {
				double t = a[k * n + j];
				a[k * n + j] = a[p * n + j];
				a[p * n + j] = t;
			}
		}
		double inv = 1.0 / a[k * n + k];
		for (int i = k + 1; i < n; i++) {
			double l = a[i * n + k] * inv;
			a[i * n + k] = l;
			if (l != 0.0)
				for (int j = k + 1; j < n; j++)
					a[i * n + j] -= l * a[k * n + j];
		}
	}
	return 0;
}

/* Solve (LU) x = b in place on b, with the factors of linalg_lu_factor_n. */
static inline void linalg_lu_solve_n(const double *restrict lu, int n,
				     const int *restrict piv, double *restrict b)
{
	for (int k = 0; k < n; k++) {
		int p = piv[k];
		if (p != k) {
			double t = b[k];
			b[k] = b[p];
			b[p] = t;
		}
	}
	for (int i = 1; i < n; i++) {
		double s = b[i];
		for (int j = 0; j < i; j++)
			s -= lu[i * n + j] * b[j];
		b[i] = s;
	}
	for (int i = n - 1; i >= 0; i--) {
		double s = b[i];
		for (int j = i + 1; j < n; j++)
			s -= lu[i * n + j] * b[j];
		b[i] = s / lu[i * n + i];
	}
}

/* Columns of a multi-right-hand-side block: the loops over a row run in
 * blocks of this fixed width, which the compiler unrolls and vectorises
 * without tails or run-time alias checks. */
#define LINALG_BLOCK 4

/* One block of w columns (at c) of linalg_lu_solve_multi_n, the whole
 * triangular solve at once: with n and w compile-time constants the loops
 * unroll and the block stays in registers. */
static inline void linalg_lu_solve_block_n(const double *restrict lu, int n, const int *restrict perm,
					   const double *restrict inv, double *restrict B, int m, int c, int w)
{
	double v[LINALG_MAX][LINALG_BLOCK];

	for (int i = 0; i < n; i++)
		for (int q = 0; q < w; q++)
			v[i][q] = B[perm[i] * m + c + q];
	for (int i = 1; i < n; i++)
		for (int j = 0; j < i; j++) {
			const double l = lu[i * n + j];
			for (int q = 0; q < w; q++)
				v[i][q] -= l * v[j][q];
		}
	for (int i = n - 1; i >= 0; i--) {
		for (int j = i + 1; j < n; j++) {
			const double u = lu[i * n + j];
			for (int q = 0; q < w; q++)
				v[i][q] -= u * v[j][q];
		}
		for (int q = 0; q < w; q++)
			v[i][q] *= inv[i];
	}
	for (int i = 0; i < n; i++)
		for (int q = 0; q < w; q++)
			B[i * m + c + q] = v[i][q];
}

/* Solve (LU) X = B in place for the n x m matrix B (row-major, row stride
 * m, m a multiple of LINALG_BLOCK): every column of B is a right-hand side
 * (the sensitivities of a step are the columns of one factorisation). The
 * row interchanges become a permutation applied as a block is loaded.
 * Against row-at-a-time loops over all columns this took an M1 TSM run
 * from 8.5M to 7.1M instructions and M3 from 9.9M to 9.2M (callgrind);
 * half-width blocks for orders above 4, to keep a block in registers,
 * made M3 worse (10.7M). */
static inline void linalg_lu_solve_multi_n(const double *restrict lu, int n, const int *restrict piv,
					   double *restrict B, int m)
{
	int perm[LINALG_MAX];
	double inv[LINALG_MAX];

	for (int i = 0; i < n; i++) {
		perm[i] = i;
		inv[i] = 1.0 / lu[i * n + i];
	}
	for (int k = 0; k < n; k++) {
		int t = perm[k];
		perm[k] = perm[piv[k]];
		perm[piv[k]] = t;
	}
	for (int c = 0; c < m; c += LINALG_BLOCK)
		linalg_lu_solve_block_n(lu, n, perm, inv, B, m, c, LINALG_BLOCK);
}

BF_RESULT int linalg_lu_factor(double *a, int n, int *piv);
void linalg_lu_solve(const double *lu, int n, const int *piv, double *b);

#endif
