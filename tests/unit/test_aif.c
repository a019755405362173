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

#include "aif/aif.h"
#include "aif/world.h"
#include "aif/genmodel.h"

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


/* ---- beyond the golden runs ---- */

static json_t *load_gold(const char *file)
{
	char path[256];
	json_error_t je;
	snprintf(path, sizeof path, "%s/%s", DATA_DIR, file);
	json_t *gold = json_load_file(path, 0, &je);
	assert_non_null(gold);
	return gold;
}

static void load_model(struct genmodel *g, json_t *mj)
{
	struct err e = {0};
	if (genmodel_from_json(g, mj, "model", &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
}

/* The built-in T-maze is the world pymdp's TMazeEnv builds: the golden
 * T-maze run's A, B and D are that environment's. */
static void tmaze_world(void **state)
{
	(void)state;
	struct world v;
	struct world_options wo = {3, 3, 0.98};
	struct err e = {0};
	json_t *gold = load_gold("s09_tmaze.json"), *mj = NULL;
	struct genmodel g, w;

	assert_int_equal(world_init(&v, "tmaze", &wo, NULL, &e), 0);
	assert_int_equal(world_model_json(&v, &mj, &e), 0);
	load_model(&w, mj);
	json_t *m2 = model_of(gold);
	load_model(&g, m2);
	assert_int_equal(world_check_model(&v, &g, "s09", &e), 0);
	for (int m = 0; m < g.n_mod; m++)
		for (long i = 0; i < (long)g.num_obs[m] * g.n_joint; i++)
			assert_true(fabs(g.A[m][i] - w.A[m][i]) < 1e-15);
	for (int f = 0; f < g.n_fac; f++) {
		for (long i = 0; i < (long)g.num_states[f] * g.num_states[f] * g.num_controls[f]; i++)
			assert_true(g.B[f][i] == w.B[f][i]);
		for (int s = 0; s < g.num_states[f]; s++)
			assert_true(g.D[f][s] == w.D[f][s]);
	}
	genmodel_free(&g);
	genmodel_free(&w);
	world_free(&v);
	json_decref(mj);
	json_decref(m2);
	json_decref(gold);
}

/* pymdp's GridWorldEnv on 2 x 3: UP RIGHT DOWN LEFT STAY from cells 0
 * (top left), 4 (bottom middle) and 5 (bottom right). */
static void grid_world(void **state)
{
	(void)state;
	struct world v;
	struct world_options wo = {2, 3, 0.98};
	struct err e = {0};
	const int from[3] = {0, 4, 5}, to[3][5] = {{0, 1, 3, 0, 0}, {1, 5, 4, 3, 4}, {2, 5, 5, 4, 5}};
	struct rng r;
	int obs[1];

	assert_int_equal(world_init(&v, "grid", &wo, NULL, &e), 0);
	assert_int_equal(v.num_states[0], 6);
	assert_int_equal(v.num_controls[0], 5);
	for (int k = 0; k < 3; k++)
		for (int u = 0; u < 5; u++)
			for (int s = 0; s < 6; s++)
				assert_true(v.B[0][((long)s * 6 + from[k]) * 5 + u] == (s == to[k][u]));
	/* the cell is observed exactly */
	rng_init(&r, 7);
	world_reset(&v, &r, obs);
	for (int t = 0; t < 20; t++) {
		assert_int_equal(obs[0], v.state[0]);
		int u = t % 5;
		world_step(&v, &u, &r, obs);
	}
	world_free(&v);
}

/* MMP on the T-maze over the golden observations: every belief and the
 * policy posterior are distributions, and the agent goes to the cue, then
 * to the arm the cue names, as the VANILLA agent does. */
static void mmp_tmaze(void **state)
{
	(void)state;
	json_t *gold = load_gold("s09_tmaze.json"), *mj = model_of(gold);
	const json_t *steps = json_object_get(gold, "steps");
	struct genmodel g;
	struct aif_agent a;
	struct err e = {0};

	json_object_set_new(json_object_get(mj, "options"), "inference_algo", json_string("MMP"));
	json_object_set_new(json_object_get(mj, "options"), "inference_horizon", json_integer(2));
	load_model(&g, mj);
	assert_int_equal(aif_agent_init(&a, &g, &e), 0);
	for (size_t t = 0; t < json_array_size(steps); t++) {
		const json_t *st = json_array_get(steps, t), *jo = json_object_get(st, "obs");
		int obs[3];
		for (int m = 0; m < 3; m++)
			obs[m] = (int)json_integer_value(json_array_get(jo, (size_t)m));
		aif_agent_step(&a, obs, NULL, NULL);
		for (int f = 0; f < g.n_fac; f++) {
			double s = 0;
			for (int i = 0; i < g.num_states[f]; i++)
				s += a.qs[a.soff[f] + i];
			assert_true(fabs(s - 1) < 1e-12);
		}
		double s = 0;
		for (long p = 0; p < g.n_policies; p++) {
			assert_true(isfinite(a.neg_efe[p]) && isfinite(a.vfe[p]));
			s += a.q_pi[p];
		}
		assert_true(fabs(s - 1) < 1e-12);
		if (t == 0)
			assert_int_equal(a.action[0], 3); /* to the cue */
		if (t == 1) /* the golden cue said condition 0: the right arm */
			assert_int_equal(a.action[0], json_integer_value(json_array_get(json_object_get(st, "action"), 0)));
	}
	aif_agent_free(&a);
	genmodel_free(&g);
	json_decref(mj);
	json_decref(gold);
}

/* update_B_action "previous": the counts go to the action that caused the
 * transition, a_{t-1}, by lr qs_t (x) qs_{t-1}, masked by B > 0. */
static void update_B_previous(void **state)
{
	(void)state;
	json_t *gold = load_gold("s08_learn_A_B_lr05.json"), *mj = model_of(gold);
	const json_t *steps = json_object_get(gold, "steps");
	struct genmodel g;
	struct aif_agent a;
	struct err e = {0};

	json_object_set_new(json_object_get(mj, "options"), "update_B_action", json_string("previous"));
	json_object_set_new(json_object_get(mj, "options"), "learn_A", json_false());
	load_model(&g, mj);
	assert_int_equal(aif_agent_init(&a, &g, &e), 0);
	int ns = g.num_states[0], nc = g.num_controls[0], a0 = -1;
	double *q0 = malloc(sizeof(double) * (size_t)ns);
	assert_non_null(q0);
	for (size_t t = 0; t < 2; t++) {
		int obs[1] = {(int)json_integer_value(json_array_get(json_object_get(json_array_get(steps, t), "obs"), 0))};
		aif_agent_step(&a, obs, NULL, NULL);
		if (t == 0) {
			a0 = a.action[0];
			memcpy(q0, a.qs, sizeof(double) * (size_t)ns);
		}
	}
	for (int i = 0; i < ns; i++)
		for (int j = 0; j < ns; j++)
			for (int u = 0; u < nc; u++) {
				long k = ((long)i * ns + j) * nc + u;
				double want = g.pB[0][k] + (u == a0 && g.B[0][k] > 0 ? 0.5 * (a.qs[i] * q0[j]) : 0.0);
				assert_true(fabs(a.pB[0][k] - want) < 1e-15);
			}
	free(q0);
	aif_agent_free(&a);
	genmodel_free(&g);
	json_decref(mj);
	json_decref(gold);
}

/* learn_D: a new trial adds lr_pD times the last trial's first belief to
 * pD, and D becomes pD normalised. */
static void learn_D(void **state)
{
	(void)state;
	json_t *gold = load_gold("s01_single_6s_4o_3u.json"), *mj = model_of(gold);
	struct genmodel g;
	struct aif_agent a;
	struct err e = {0};
	double pd[6] = {1, 2, 3, 1, 1, 2}, first[6];

	json_object_set_new(mj, "pD", json_pack("[[f,f,f,f,f,f]]", pd[0], pd[1], pd[2], pd[3], pd[4], pd[5]));
	json_object_set_new(json_object_get(mj, "options"), "learn_D", json_true());
	json_object_set_new(json_object_get(mj, "options"), "lr_pD", json_real(0.5));
	load_model(&g, mj);
	assert_int_equal(aif_agent_init(&a, &g, &e), 0);
	for (int t = 0; t < 3; t++) {
		int obs[1] = {t % 4};
		aif_agent_step(&a, obs, NULL, NULL);
		if (t == 0)
			memcpy(first, a.qs, sizeof first);
	}
	aif_agent_new_trial(&a);
	assert_int_equal(a.t, 0);
	double sum = 0;
	for (int s = 0; s < 6; s++) {
		assert_true(fabs(a.pD[0][s] - (pd[s] + 0.5 * first[s])) < 1e-15);
		sum += a.pD[0][s];
	}
	for (int s = 0; s < 6; s++)
		assert_true(fabs(a.D[0][s] - a.pD[0][s] / sum) < 1e-15);
	aif_agent_free(&a);
	genmodel_free(&g);
	json_decref(mj);
	json_decref(gold);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s01), cmocka_unit_test(s02), cmocka_unit_test(s03), cmocka_unit_test(s04),
		cmocka_unit_test(s05), cmocka_unit_test(s06), cmocka_unit_test(s07), cmocka_unit_test(s08),
		cmocka_unit_test(s09), cmocka_unit_test(s10), cmocka_unit_test(s11), cmocka_unit_test(s12),
		cmocka_unit_test(tmaze_world), cmocka_unit_test(grid_world), cmocka_unit_test(mmp_tmaze),
		cmocka_unit_test(update_B_previous), cmocka_unit_test(learn_D),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
