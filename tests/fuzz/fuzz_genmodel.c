/* fuzz_genmodel: the generative-model file parser of agent (genmodel.h)
 * over arbitrary bytes. */
#include "fuzz.h"

#include "aif/genmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct genmodel g;
	struct err e = {0};

	if (genmodel_load(&g, fuzz_path(data, size), &e) == 0)
		genmodel_free(&g);
	return 0;
}
