/* fuzz_prior: the prior file parser (prior.h) over arbitrary bytes, and
 * the log-density at the prior's own bounds when it parses. */
#include "fuzz.h"

#include "prior.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prior pr;
	struct err e = {0};

	if (prior_load(&pr, fuzz_path(data, size), &e) == 0) {
		double x[PRIOR_MAX_DIM];
		for (int i = 0; i < pr.n; i++)
			x[i] = pr.p[i].lo;
		(void)prior_logpdf(&pr, x);
		prior_free(&pr);
	}
	return 0;
}
