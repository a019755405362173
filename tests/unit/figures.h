/*
 * figures: a plan in the scratch directory (scratch.h) over the M1 model
 * and data of tests/data/figures, copied beside it (a plan's paths are
 * relative to the plan), and the five M1 parameters with their truths for
 * the plan's text: a11 0.8, a12 2.0, a22 1.0, b1 0.1, b2 0.2, each
 * uniform on [0, 3], as in tests/data/figures/plan.json. Tests run from
 * the top of the tree. Include after cmocka.h.
 */
#ifndef BF_TEST_FIGURES_H
#define BF_TEST_FIGURES_H

#include <stdio.h>

#include "plan.h"

#include "scratch.h"

#define FIGURES "tests/data/figures"

/* "parameters": [...], the five of M1 in its theta order */
#define M1_PARAMETERS                                                                                            \
	"\"parameters\": [{\"name\": \"a11\", \"uniform\": [0, 3], \"truth\": 0.8},\n"                            \
	" {\"name\": \"a12\", \"uniform\": [0, 3], \"truth\": 2.0},\n"                                            \
	" {\"name\": \"a22\", \"uniform\": [0, 3], \"truth\": 1.0},\n"                                            \
	" {\"name\": \"b1\", \"uniform\": [0, 3], \"truth\": 0.1},\n"                                             \
	" {\"name\": \"b2\", \"uniform\": [0, 3], \"truth\": 0.2}]"

/* Copy FIGURES/name into the scratch directory. */
static inline void figures_copy(const struct scratch *s, const char *name)
{
	char from[256], to[256];

	snprintf(from, sizeof from, "%s/%s", FIGURES, name);
	scratch_path(s, name, to, sizeof to);
	scratch_copy(from, to);
}

/* M1.json and M1.data.mpk into the scratch directory, the plan text into
 * s->path, and the plan loaded into p, or fail the test. */
static inline void load_m1_plan(const struct scratch *s, struct plan *p, const char *text)
{
	struct err e = {0};

	figures_copy(s, "M1.json");
	figures_copy(s, "M1.data.mpk");
	scratch_write(s->path, text);
	if (plan_load(p, s->path, &e))
		fail_msg("plan_load: %s", e.msg);
}

#endif
