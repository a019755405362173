/*
 * fuzz_evalcmd: the evaluator protocol reader (evalcmd.h): arbitrary bytes
 * as an evaluator's answer to a batch of ids 0, 3, 4 and 7.
 */
#include "fuzz.h"

#include "evalcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int ids[] = {0, 3, 4, 7};
	double loglik[4];
	struct err e = {0};

	int timed_out;
	int rc = evalcmd_read_answers(fuzz_fd(data, size), ids, 4, 0, loglik, &timed_out, &e);
	(void)rc; /* a refusal is an answer too: only crashes are findings */
	return 0;
}
