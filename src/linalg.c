/*
 * linalg: out-of-line instances of the kernels in linalg.h, for callers
 * whose order is not a compile-time constant.
 */
#include "linalg.h"

int linalg_lu_factor(double *a, int n, int *piv)
{
	return linalg_lu_factor_n(a, n, piv);
}

void linalg_lu_solve(const double *lu, int n, const int *piv, double *b)
{
	linalg_lu_solve_n(lu, n, piv, b);
}
