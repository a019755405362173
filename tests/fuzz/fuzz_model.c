/* fuzz_model: the model file parser (model.h) over arbitrary bytes. */
#include "fuzz.h"

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	struct err e = {0};

	if (model_load(&m, fuzz_path(data, size), &e) == 0)
		model_free(&m);
	return 0;
}
