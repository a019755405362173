/*
 * Unit tests for aif and genmodel against pymdp 0.0.7.1: every scenario in
 * tests/data/aif (copied from ../shared/golden/aif; its README says how
 * each was made and how pymdp computes each quantity).
 *
 * Each golden file's model and options become a generative-model object
 * (the same keys a model file has); the policies must equal pymdp's list,
 * and each step's qs, q_pi, neg_efe, action probabilities and learnt
 * pA/pB must agree within 1e-10 absolute, the golden README's figure: its
 * own numpy re-derivation agreed to 2e-14, and our EFE sums the same terms
 * in a different order (per time step over the policy tree). Deterministic
 * actions must be equal; stochastic runs replay pymdp's action_taken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aif.h"
#include "genmodel.h"

#define DATA_DIR "tests/data/aif"
#define TOL 1e-10

/* The golden option keys that are pymdp Agent keywords (the rest describe
 * how the run was made). */
static const char *const agent_keys[] = {"policy_len", "inference_horizon", "inference_algo", "gamma", "alpha",
					 "use_utility", "use_states_info_gain", "use_param_info_gain",
					 "action_selection", "sampling_mode", "modalities_to_learn", "lr_pA",
					 "factors_to_learn", "lr_pB", "num_iter", "dF", "dF_tol", "learn_A",
					 "learn_B", NULL};

static json_t *model_of(const json_t *gold)
{
	const json_t *m = json_object_get(gold, "model"), *o = json_object_get(gold, "options");
	json_t *j = json_object(), *opt = json_object();
	const char *keys[] = {"A", "B", "C", "D", "pA", "pB", "control_fac_idx", NULL};

	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(m, keys[i]);
		if (v && !json_is_null(v))
			json_object_set(j, keys[i], v);
	}
	if (json_object_get(o, "E") && !json_is_null(json_object_get(o, "E")))
		json_object_set(j, "E", json_object_get(o, "E"));
	for (int i = 0; agent_keys[i]; i++) {
		json_t *v = json_object_get(o, agent_keys[i]);
		if (v && !json_is_null(v))
			json_object_set(opt, agent_keys[i], v);
	}
	json_object_set_new(j, "options", opt);
	return j;
}

/* Compare a flat array with a list (of lists ...) of numbers; returns the
 * largest absolute difference, or INFINITY when the shapes differ. */
static double flat_diff(const json_t *want, const double *got, long *k)
{
	double d = 0;
	if (json_is_number(want))
		return fabs(json_number_value(want) - got[(*k)++]);
	if (!json_is_array(want))
		return INFINITY;
	for (size_t i = 0; i < json_array_size(want); i++) {
		double x = flat_diff(json_array_get(want, i), got, k);
		if (!(x <= d))
			d = x;
	}
	return d;
}

static void check_close(const char *file, int step, const char *what, const json_t *want, const double *got,
			long n)
{
	long k = 0;
	double d = flat_diff(want, got, &k);
	if (!(d <= TOL) || k != n) {
		fprintf(stderr, "%s: step %d: '%s' differs by %g (%ld of %ld values)\n", file, step, what, d, k, n);
		fail();
	}
}

static void run_scenario(const char *file)
{
	char path[256];
	json_error_t je;
	snprintf(path, sizeof path, "%s/%s", DATA_DIR, file);
	json_t *gold = json_load_file(path, 0, &je);
	assert_non_null(gold);
	json_t *mj = model_of(gold);
	struct genmodel g;
	struct aif_agent a;
	struct err e = {0};

	if (genmodel_from_json(&g, mj, file, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	/* the policies, in pymdp's order */
	const json_t *pols = json_object_get(gold, "policies");
	assert_int_equal(json_array_size(pols), g.n_policies);
	for (long p = 0; p < g.n_policies; p++) {
		const json_t *pol = json_array_get(pols, (size_t)p);
		for (int t = 0; t < g.opt.policy_len; t++)
			for (int f = 0; f < g.n_fac; f++)
				assert_int_equal(json_integer_value(json_array_get(json_array_get(pol, (size_t)t), (size_t)f)),
						 g.policies[(p * g.opt.policy_len + t) * g.n_fac + f]);
	}
	if (aif_agent_init(&a, &g, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	const json_t *steps = json_object_get(gold, "steps");
	assert_true(json_array_size(steps) > 0);
	for (size_t t = 0; t < json_array_size(steps); t++) {
		const json_t *st = json_array_get(steps, t);
		int obs[GENMODEL_MAX_MODALITIES], taken[GENMODEL_MAX_FACTORS];
		const json_t *jo = json_object_get(st, "obs"), *jt = json_object_get(st, "action_taken");
		for (int m = 0; m < g.n_mod; m++)
			obs[m] = (int)json_integer_value(json_array_get(jo, (size_t)m));
		for (int f = 0; jt && f < g.n_fac; f++)
			taken[f] = (int)json_number_value(json_array_get(jt, (size_t)f));
		assert_int_equal(aif_check_obs(&g, obs), -1);
		aif_agent_step(&a, obs, jt ? taken : NULL, NULL);
		check_close(file, (int)t, "qs", json_object_get(st, "qs"), a.qs, a.sum_states);
		check_close(file, (int)t, "q_pi", json_object_get(st, "q_pi"), a.q_pi, g.n_policies);
		check_close(file, (int)t, "neg_efe", json_object_get(st, "neg_efe"), a.neg_efe, g.n_policies);
		if (json_object_get(st, "action"))
			for (int f = 0; f < g.n_fac; f++)
				assert_int_equal(json_number_value(json_array_get(json_object_get(st, "action"), (size_t)f)),
						 a.action[f]);
		if (json_object_get(st, "action_probs"))
			check_close(file, (int)t, "action_probs", json_object_get(st, "action_probs"), a.action_probs,
				    a.sum_controls);
		if (json_object_get(st, "policy_probs"))
			check_close(file, (int)t, "policy_probs", json_object_get(st, "policy_probs"), a.policy_probs,
				    g.n_policies);
		if (json_object_get(st, "pA_after"))
			for (int m = 0; m < g.n_mod; m++)
				check_close(file, (int)t, "pA_after",
					    json_array_get(json_object_get(st, "pA_after"), (size_t)m), a.pA[m],
					    (long)g.num_obs[m] * g.n_joint);
		if (json_object_get(st, "pB_after"))
			for (int f = 0; f < g.n_fac; f++)
				check_close(file, (int)t, "pB_after",
					    json_array_get(json_object_get(st, "pB_after"), (size_t)f), a.pB[f],
					    (long)g.num_states[f] * g.num_states[f] * g.num_controls[f]);
	}
	aif_agent_free(&a);
	genmodel_free(&g);
	json_decref(mj);
	json_decref(gold);
}

#define SCENARIO(name, file)                                                                                    \
	static void name(void **state)                                                                          \
	{                                                                                                       \
		(void)state;                                                                                    \
		run_scenario(file);                                                                             \
	}
SCENARIO(s01, "s01_single_6s_4o_3u.json")
SCENARIO(s02, "s02_single_16s_8o_4u.json")
SCENARIO(s03, "s03_policy_len2.json")
SCENARIO(s04, "s04_policy_len3.json")
SCENARIO(s05, "s05_two_factors_one_uncontrolled.json")
SCENARIO(s06, "s06_no_states_info_gain.json")
SCENARIO(s07, "s07_param_info_gain.json")
SCENARIO(s08, "s08_learn_A_B_lr05.json")
SCENARIO(s09, "s09_tmaze.json")
SCENARIO(s10, "s10_stochastic_marginal_alpha4.json")
SCENARIO(s11, "s11_two_controlled_full_mode_pl2.json")
SCENARIO(s12, "s12_gamma4_E_prior.json")

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s01), cmocka_unit_test(s02), cmocka_unit_test(s03), cmocka_unit_test(s04),
		cmocka_unit_test(s05), cmocka_unit_test(s06), cmocka_unit_test(s07), cmocka_unit_test(s08),
		cmocka_unit_test(s09), cmocka_unit_test(s10), cmocka_unit_test(s11), cmocka_unit_test(s12),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
