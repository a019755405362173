/*
 * examples: load a model of examples/case2 (tests run from the top of the
 * tree; EXAMPLES_DIR may say otherwise). Include after <cmocka.h>.
 */
#ifndef BF_TEST_EXAMPLES_H
#define BF_TEST_EXAMPLES_H

#include <stdio.h>

#include "model.h"

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "examples/case2"
#endif

/* Load EXAMPLES_DIR/name.json into m, or fail the test. */
static inline void load_example(struct model *m, const char *name)
{
	char path[256];
	struct err e = {0};

	snprintf(path, sizeof path, "%s/%s.json", EXAMPLES_DIR, name);
	if (model_load(m, path, &e))
		fail_msg("model_load %s: %s", path, e.msg);
}

#endif
