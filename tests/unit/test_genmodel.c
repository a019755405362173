/*
 * Unit tests for genmodel: reading, checking and making the generative
 * model of a discrete active-inference agent (DESIGN §3).
 *
 * The models are small enough to check by hand: one modality of 4
 * outcomes over one factor of 3 states with 2 controls (control 0 keeps
 * the state, control 1 moves it on by one), written out below; models of
 * other shapes (two factors, nine factors, two modalities) are built here
 * with a uniform A and an identity B. test_aif.c checks the models of
 * pymdp's golden runs; this suite checks what those cannot reach: the
 * defaults, the shapes and limits, and every refusal.
 *
 * What is checked exactly: the shapes inferred from the arrays, the arrays
 * as read (C order, A[m][o * n_joint + s]), pymdp 0.0.7's defaults for
 * every option and for a missing C (zero), D (uniform) or A/B/D (the
 * normalised pA/pB/pD), JSON null as "not given", the policies in
 * itertools.product order ([policy][step][factor], time-major, the last
 * factor at the last step fastest), control_fac_idx's default, the same
 * model from a JSON file and from a MessagePack map file, the random-model
 * spec and its models (valid, reproducible by seed).
 *
 * Every refusal is ERR_INPUT with a message that starts with the `where`
 * given (or the file's path) and names the array or key and the index at
 * fault; the needles below are distinctive parts of those messages.
 * genmodel_free is called after every load, failed ones too: it must be
 * safe on the zeroed struct a failed load leaves.
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

#include <jansson.h>
#include <msgpack.h>

#include "aif/genmodel.h"
#include "mpjson.h"

#include "objects.h"
#include "scratch.h"

#define WHERE "m.json"

static int setup(void **state)
{
	return scratch_setup(state, "test_genmodel", "m.json");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}

/* ---- the hand-made model ---- */

/* A[0] is 4 outcomes x 3 states; its columns sum to 1 */
#define AV "[[[0.5, 0.1, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, 0.5]]]"
/* B[0][s'][s][u]: u = 0 keeps s, u = 1 moves s to s + 1 (mod 3) */
#define BV "[[[[1, 0], [0, 0], [0, 1]], [[0, 1], [1, 0], [0, 0]], [[0, 0], [0, 1], [1, 0]]]]"
#define A_ "\"A\": " AV
#define B_ "\"B\": " BV
#define C_ "\"C\": [[0.0, 1.0, 2.0, 3.0]]"
#define D_ "\"D\": [[0.5, 0.25, 0.25]]"
/* counts: pA normalises to the columns below, pB to B, pD to D */
#define PA_ "\"pA\": [[[2, 1, 0], [1, 2, 0], [1, 3, 1], [0, 4, 3]]]"
#define PB_ "\"pB\": [[[[2, 0], [0, 0], [0, 1]], [[0, 3], [1, 0], [0, 0]], [[0, 0], [0, 1], [4, 0]]]]"
#define PD_ "\"pD\": [[2, 1, 1]]"
#define MODEL "{" A_ ", " B_ ", " C_ ", " D_ "}"
#define WITH(x) "{" A_ ", " B_ ", " C_ ", " D_ ", " x "}"
#define OPTS(x) WITH("\"options\": {" x "}")

static const double A_want[4][3] = {{0.5, 0.1, 0.0}, {0.25, 0.2, 0.0}, {0.25, 0.3, 0.5}, {0.0, 0.4, 0.5}};
/* pA normalised by columns (sums 4, 10, 4) */
static const double pA_norm[4][3] = {{0.5, 0.1, 0.0}, {0.25, 0.2, 0.0}, {0.25, 0.3, 0.25}, {0.0, 0.4, 0.75}};

static double B_want(int to, int from, int u)
{
	return u == 0 ? to == from : to == (from + 1) % 3;
}

/* ---- helpers ---- */

/* Load j (the caller keeps its reference), or fail with the message. */
static void load_json_ok(struct genmodel *g, json_t *j, const char *what)
{
	struct err e = {0};
	int rc = genmodel_from_json(g, j, WHERE, &e);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		fail_msg("%s: refused (%d)", what, rc);
	}
}

static void load_ok(struct genmodel *g, const char *text)
{
	json_t *j = json_text(text);
	load_json_ok(g, j, text);
	json_decref(j); /* the model keeps its own reference */
}

/* genmodel_from_json must refuse j: ERR_INPUT, a message that starts with
 * "m.json: " and contains n1 and n2 (either may be NULL). With both NULL
 * j must load instead (a control). */
static void expect_refusal(json_t *j, const char *what, const char *n1, const char *n2)
{
	struct genmodel g;
	struct err e = {0};
	int rc = genmodel_from_json(&g, j, WHERE, &e);

	if (!n1 && !n2) {
		if (rc) {
			fprintf(stderr, "%s\n", e.msg);
			fail_msg("refused (%d), want accepted: %s", rc, what);
		}
		genmodel_free(&g);
		return;
	}
	if (rc != ERR_INPUT) {
		if (rc)
			fprintf(stderr, "%s\n", e.msg);
		genmodel_free(&g);
		fail_msg("got %d (%s), want ERR_INPUT: %s", rc, rc ? "refused" : "accepted", what);
	}
	assert_int_equal(e.code, ERR_INPUT);
	if (strncmp(e.msg, WHERE ": ", strlen(WHERE ": ")) || (n1 && !strstr(e.msg, n1)) || (n2 && !strstr(e.msg, n2))) {
		fprintf(stderr, "%s\n", e.msg);
		fail_msg("the message does not start with \"" WHERE ": \" and name \"%s\" and \"%s\": %s", n1 ? n1 : "",
			 n2 ? n2 : "", what);
	}
	genmodel_free(&g);
	/* a failed load leaves nothing behind */
	assert_null(g.A[0]);
	assert_null(g.json);
	assert_null(g.policies);
}

struct bad {
	const char *text, *n1, *n2;
};

static void refuse_all(const struct bad *cases, size_t n)
{
	for (size_t c = 0; c < n; c++) {
		char what[2048];
		snprintf(what, sizeof what, "case %zu: %s", c, cases[c].text);
		json_t *j = json_text(cases[c].text);
		expect_refusal(j, what, cases[c].n1, cases[c].n2);
		json_decref(j);
	}
}

/* A list (of lists ...) of shape dims[0..nd-1], every entry v. */
static json_t *filled(const int *dims, int nd, double v)
{
	json_t *a = json_array();
	for (int i = 0; i < dims[0]; i++)
		json_array_append_new(a, nd > 1 ? filled(dims + 1, nd - 1, v) : json_real(v));
	return a;
}

/* ns x ns x nc: every control keeps the state. */
static json_t *identity_B(int ns, int nc)
{
	json_t *b = json_array();
	for (int to = 0; to < ns; to++) {
		json_t *row = json_array();
		for (int from = 0; from < ns; from++) {
			json_t *col = json_array();
			for (int u = 0; u < nc; u++)
				json_array_append_new(col, json_integer(to == from));
			json_array_append_new(row, col);
		}
		json_array_append_new(b, row);
	}
	return b;
}

/* A model of uniform A[m] (obs[m] x states...) and identity B[f]. */
static json_t *model_json(int n_mod, const int *obs, int n_fac, const int *states, const int *controls)
{
	json_t *j = json_object(), *A = json_array(), *B = json_array();
	for (int m = 0; m < n_mod; m++) {
		int dims[GENMODEL_MAX_FACTORS + 2];
		dims[0] = obs[m];
		for (int f = 0; f < n_fac; f++)
			dims[1 + f] = states[f];
		json_array_append_new(A, filled(dims, n_fac + 1, 1.0 / obs[m]));
	}
	for (int f = 0; f < n_fac; f++)
		json_array_append_new(B, identity_B(states[f], controls[f]));
	json_object_set_new(j, "A", A);
	json_object_set_new(j, "B", B);
	return j;
}

static void set_options(json_t *j, const char *options)
{
	json_object_set_new(j, "options", json_text(options));
}

/* Every column (along the first axis) of x, rows x cols, sums to 1. */
static void assert_columns(const char *what, const double *x, int rows, long cols, double tol)
{
	for (long c = 0; c < cols; c++) {
		double s = 0;
		for (int r = 0; r < rows; r++) {
			if (!(x[(long)r * cols + c] >= 0))
				fail_msg("%s: entry [%d, col %ld] = %g", what, r, c, x[(long)r * cols + c]);
			s += x[(long)r * cols + c];
		}
		if (!(fabs(s - 1) <= tol))
			fail_msg("%s: column %ld sums to %.17g", what, c, s);
	}
}

/* ---- good models ---- */

/* The hand-made model: shapes, every array as written, one policy per
 * control, the default control factor; genmodel_free clears it. */
static void test_one_factor(void **state)
{
	(void)state;
	struct genmodel g;
	json_t *j = json_text(MODEL);

	load_json_ok(&g, j, MODEL);
	assert_int_equal(g.n_mod, 1);
	assert_int_equal(g.n_fac, 1);
	assert_int_equal(g.num_obs[0], 4);
	assert_int_equal(g.num_states[0], 3);
	assert_int_equal(g.num_controls[0], 2);
	assert_int_equal(g.n_joint, 3);
	for (int o = 0; o < 4; o++)
		for (int s = 0; s < 3; s++)
			if (genmodel_A(&g, 0, o, s) != A_want[o][s] || g.A[0][o * 3 + s] != A_want[o][s])
				fail_msg("A[0][%d, %d] = %g, want %g", o, s, genmodel_A(&g, 0, o, s), A_want[o][s]);
	for (int to = 0; to < 3; to++)
		for (int from = 0; from < 3; from++)
			for (int u = 0; u < 2; u++)
				if (g.B[0][(to * 3 + from) * 2 + u] != B_want(to, from, u))
					fail_msg("B[0][%d, %d, %d] = %g", to, from, u, g.B[0][(to * 3 + from) * 2 + u]);
	for (int o = 0; o < 4; o++)
		assert_true(g.C[0][o] == o);
	assert_true(g.D[0][0] == 0.5 && g.D[0][1] == 0.25 && g.D[0][2] == 0.25);
	assert_false(g.has_pA || g.has_pB || g.has_pD);
	assert_null(g.pA[0]);
	assert_null(g.pB[0]);
	assert_null(g.pD[0]);
	assert_null(g.E);
	/* nothing for the absent modalities and factors */
	assert_null(g.A[1]);
	assert_null(g.B[1]);
	/* policy_len 1: one policy per control */
	assert_int_equal(g.n_policies, 2);
	assert_int_equal(g.policies[0], 0);
	assert_int_equal(g.policies[1], 1);
	assert_int_equal(g.n_control_fac, 1);
	assert_int_equal(g.control_fac_idx[0], 0);
	/* the model keeps the object it was read from */
	assert_ptr_equal(g.json, j);
	genmodel_free(&g);
	assert_null(g.A[0]);
	assert_null(g.policies);
	assert_null(g.json);
	assert_int_equal(g.n_mod, 0);
	assert_int_equal(g.n_policies, 0);
	/* j is still ours, and whole */
	assert_int_equal(json_object_size(j), 4);
	json_decref(j);
}

/* pymdp 0.0.7's Agent defaults. */
static void test_default_options(void **state)
{
	(void)state;
	struct genmodel g;

	load_ok(&g, MODEL);
	const struct genmodel_options *o = &g.opt;
	assert_int_equal(o->policy_len, 1);
	assert_int_equal(o->inference_horizon, 1);
	assert_int_equal(o->algo, GENMODEL_VANILLA);
	assert_int_equal(o->num_iter, 10);
	assert_true(o->dF == 1.0);
	assert_true(o->dF_tol == 0.001);
	assert_true(o->gamma == 16.0);
	assert_true(o->alpha == 16.0);
	assert_true(o->lr_pA == 1.0 && o->lr_pB == 1.0 && o->lr_pD == 1.0);
	assert_int_equal(o->use_utility, 1);
	assert_int_equal(o->use_states_info_gain, 1);
	assert_int_equal(o->use_param_info_gain, 0);
	assert_int_equal(o->stochastic, 0); /* deterministic */
	assert_int_equal(o->full, 0);       /* marginal */
	assert_int_equal(o->learn_A, 0);
	assert_int_equal(o->learn_B, 0);
	assert_int_equal(o->learn_D, 0);
	assert_int_equal(o->update_B_previous, 0);
	assert_int_equal(o->learn_modality[0], 1);
	assert_int_equal(o->learn_factor[0], 1);
	genmodel_free(&g);

	/* "options": {} is the same */
	load_ok(&g, OPTS(""));
	assert_int_equal(g.opt.policy_len, 1);
	assert_true(g.opt.gamma == 16.0);
	assert_int_equal(g.opt.learn_modality[0], 1);
	genmodel_free(&g);
}

/* Every option given, none at its default; "all" and lists of indices
 * for the learnt modalities and factors. */
static void test_options_given(void **state)
{
	(void)state;
	struct genmodel g;

	load_ok(&g, WITH(PD_ ", \"options\": {\"policy_len\": 2, \"inference_algo\": \"MMP\", \"inference_horizon\": 3, "
			     "\"num_iter\": 5.0, \"dF\": 0.5, \"dF_tol\": 0.0001, \"gamma\": 4, \"alpha\": 2.5, "
			     "\"lr_pA\": 0.5, \"lr_pB\": 0.25, \"lr_pD\": 0.125, \"use_utility\": false, "
			     "\"use_states_info_gain\": false, \"use_param_info_gain\": true, "
			     "\"action_selection\": \"stochastic\", \"sampling_mode\": \"full\", \"learn_D\": true, "
			     "\"update_B_action\": \"previous\", \"modalities_to_learn\": [], \"factors_to_learn\": \"all\", "
			     "\"use_BMA\": true, \"policy_sep_prior\": false, \"save_belief_hist\": false}"));
	const struct genmodel_options *o = &g.opt;
	assert_int_equal(o->policy_len, 2);
	assert_int_equal(o->algo, GENMODEL_MMP);
	assert_int_equal(o->inference_horizon, 3);
	assert_int_equal(o->num_iter, 5);
	assert_true(o->dF == 0.5);
	assert_true(o->dF_tol == 0.0001);
	assert_true(o->gamma == 4.0);
	assert_true(o->alpha == 2.5);
	assert_true(o->lr_pA == 0.5 && o->lr_pB == 0.25 && o->lr_pD == 0.125);
	assert_int_equal(o->use_utility, 0);
	assert_int_equal(o->use_states_info_gain, 0);
	assert_int_equal(o->use_param_info_gain, 1);
	assert_int_equal(o->stochastic, 1);
	assert_int_equal(o->full, 1);
	assert_int_equal(o->learn_D, 1);
	assert_int_equal(o->update_B_previous, 1);
	assert_int_equal(o->learn_modality[0], 0);
	assert_int_equal(o->learn_factor[0], 1);
	assert_int_equal(g.has_pD, 1);
	/* two steps of two controls */
	assert_int_equal(g.n_policies, 4);
	genmodel_free(&g);

	/* VANILLA has no horizon: pymdp ignores it */
	load_ok(&g, OPTS("\"inference_horizon\": 3"));
	assert_int_equal(g.opt.algo, GENMODEL_VANILLA);
	assert_int_equal(g.opt.inference_horizon, 1);
	genmodel_free(&g);

	/* two modalities, two factors: the masks follow the lists */
	json_t *j = model_json(2, (const int[]){2, 3}, 2, (const int[]){2, 2}, (const int[]){2, 1});
	set_options(j, "{\"modalities_to_learn\": [1], \"factors_to_learn\": [1, 1]}");
	load_json_ok(&g, j, "two modalities");
	assert_int_equal(g.opt.learn_modality[0], 0);
	assert_int_equal(g.opt.learn_modality[1], 1);
	assert_int_equal(g.opt.learn_factor[0], 0);
	assert_int_equal(g.opt.learn_factor[1], 1);
	genmodel_free(&g);
	set_options(j, "{\"modalities_to_learn\": \"all\"}");
	load_json_ok(&g, j, "two modalities, all");
	assert_int_equal(g.opt.learn_modality[0], 1);
	assert_int_equal(g.opt.learn_modality[1], 1);
	assert_int_equal(g.opt.learn_factor[0], 1);
	assert_int_equal(g.opt.learn_factor[1], 1);
	genmodel_free(&g);
	json_decref(j);
}

/* A missing C is zero, a missing D uniform. */
static void test_missing_C_and_D(void **state)
{
	(void)state;
	struct genmodel g;

	load_ok(&g, "{" A_ ", " B_ "}");
	assert_non_null(g.C[0]);
	for (int o = 0; o < 4; o++)
		assert_true(g.C[0][o] == 0.0);
	for (int s = 0; s < 3; s++)
		assert_true(g.D[0][s] == 1.0 / 3);
	genmodel_free(&g);
}

/* Without A, B, D: the normalised pA, pB, pD; the counts are kept as
 * given. */
static void test_arrays_from_counts(void **state)
{
	(void)state;
	struct genmodel g;

	load_ok(&g, "{" PA_ ", " PB_ ", " PD_ "}");
	assert_true(g.has_pA && g.has_pB && g.has_pD);
	assert_int_equal(g.num_obs[0], 4);
	assert_int_equal(g.num_states[0], 3);
	assert_int_equal(g.num_controls[0], 2);
	for (int o = 0; o < 4; o++)
		for (int s = 0; s < 3; s++)
			if (fabs(genmodel_A(&g, 0, o, s) - pA_norm[o][s]) > 1e-15)
				fail_msg("A[0][%d, %d] = %.17g, want %g", o, s, genmodel_A(&g, 0, o, s), pA_norm[o][s]);
	for (int to = 0; to < 3; to++)
		for (int from = 0; from < 3; from++)
			for (int u = 0; u < 2; u++)
				if (g.B[0][(to * 3 + from) * 2 + u] != B_want(to, from, u))
					fail_msg("B[0][%d, %d, %d] = %g", to, from, u, g.B[0][(to * 3 + from) * 2 + u]);
	assert_true(g.D[0][0] == 0.5 && g.D[0][1] == 0.25 && g.D[0][2] == 0.25);
	/* the counts as given */
	assert_true(g.pA[0][0] == 2 && g.pA[0][11] == 3);
	assert_true(g.pB[0][0] == 2 && g.pB[0][16] == 4);
	assert_true(g.pD[0][0] == 2 && g.pD[0][1] == 1);
	/* C is zero */
	assert_true(g.C[0][0] == 0 && g.C[0][3] == 0);
	genmodel_free(&g);

	/* a given A wins over pA (pA normalised differs in column 2) */
	load_ok(&g, WITH(PA_));
	assert_true(g.has_pA);
	for (int o = 0; o < 4; o++)
		for (int s = 0; s < 3; s++)
			assert_true(genmodel_A(&g, 0, o, s) == A_want[o][s]);
	assert_true(g.pA[0][2 * 3 + 2] == 1);
	genmodel_free(&g);

	/* pD alone: D is pD normalised, A and B as given */
	load_ok(&g, "{" A_ ", " B_ ", \"pD\": [[1, 1, 2]]}");
	assert_true(g.D[0][0] == 0.25 && g.D[0][1] == 0.25 && g.D[0][2] == 0.5);
	genmodel_free(&g);
}

/* JSON null stands for "not given" (the golden files' "pA": null). */
static void test_null_is_absent(void **state)
{
	(void)state;
	struct genmodel g;

	load_ok(&g, WITH("\"pA\": null, \"pB\": null, \"pD\": null, \"E\": null, \"control_fac_idx\": null, "
			 "\"options\": null, \"num_obs\": null, \"num_states\": null, \"num_controls\": null"));
	assert_false(g.has_pA || g.has_pB || g.has_pD);
	assert_null(g.pA[0]);
	assert_null(g.E);
	assert_int_equal(g.n_control_fac, 1);
	assert_int_equal(g.opt.policy_len, 1);
	genmodel_free(&g);

	load_ok(&g, "{" A_ ", " B_ ", \"C\": null, \"D\": null}");
	assert_true(g.C[0][2] == 0.0);
	assert_true(g.D[0][1] == 1.0 / 3);
	genmodel_free(&g);

	/* "B": null with pB: B is pB normalised */
	load_ok(&g, "{" A_ ", \"B\": null, " PB_ "}");
	assert_true(g.has_pB);
	assert_true(g.B[0][(1 * 3 + 0) * 2 + 1] == 1.0);
	genmodel_free(&g);

	/* a null pA does not satisfy learn_A */
	json_t *j = json_text(WITH("\"pA\": null, \"options\": {\"learn_A\": true}"));
	expect_refusal(j, "learn_A with pA null", "option 'learn_A' needs 'pA'", NULL);
	json_decref(j);
}

/* ---- policies and control factors ---- */

/* Controls [2, 3] and policy_len 2: 36 policies in itertools.product
 * order over (step 0 factor 0, step 0 factor 1, step 1 factor 0, step 1
 * factor 1), the last fastest; layout [policy][step][factor]. */
static void test_policies_two_factors(void **state)
{
	(void)state;
	struct genmodel g;
	json_t *j = model_json(1, (const int[]){2}, 2, (const int[]){2, 3}, (const int[]){2, 3});

	set_options(j, "{\"policy_len\": 2}");
	load_json_ok(&g, j, "two factors");
	assert_int_equal(g.n_fac, 2);
	assert_int_equal(g.n_joint, 6);
	assert_int_equal(g.n_policies, 36);
	static const struct {
		int p, pol[2][2];
	} some[] = {
		{0, {{0, 0}, {0, 0}}},  {1, {{0, 0}, {0, 1}}},  {2, {{0, 0}, {0, 2}}},  {3, {{0, 0}, {1, 0}}},
		{5, {{0, 0}, {1, 2}}},  {6, {{0, 1}, {0, 0}}},  {17, {{0, 2}, {1, 2}}}, {18, {{1, 0}, {0, 0}}},
		{23, {{1, 0}, {1, 2}}}, {35, {{1, 2}, {1, 2}}},
	};
	for (size_t i = 0; i < sizeof some / sizeof *some; i++)
		for (int t = 0; t < 2; t++)
			for (int f = 0; f < 2; f++)
				if (g.policies[(some[i].p * 2 + t) * 2 + f] != some[i].pol[t][f])
					fail_msg("policy %d step %d factor %d = %d, want %d", some[i].p, t, f,
						 g.policies[(some[i].p * 2 + t) * 2 + f], some[i].pol[t][f]);
	/* all of them, as nested loops enumerate them */
	long p = 0;
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 3; b++)
			for (int c = 0; c < 2; c++)
				for (int d = 0; d < 3; d++, p++) {
					const int *q = &g.policies[p * 4];
					if (q[0] != a || q[1] != b || q[2] != c || q[3] != d)
						fail_msg("policy %ld is [[%d, %d], [%d, %d]], want [[%d, %d], [%d, %d]]", p,
							 q[0], q[1], q[2], q[3], a, b, c, d);
				}
	assert_int_equal(g.n_control_fac, 2);
	assert_int_equal(g.control_fac_idx[0], 0);
	assert_int_equal(g.control_fac_idx[1], 1);
	genmodel_free(&g);
	json_decref(j);
}

/* A factor with one control stays at control 0 in every policy and is
 * not in the default control_fac_idx. */
static void test_policies_uncontrolled_factor(void **state)
{
	(void)state;
	struct genmodel g;
	json_t *j = model_json(1, (const int[]){2}, 2, (const int[]){2, 3}, (const int[]){1, 3});

	set_options(j, "{\"policy_len\": 2}");
	load_json_ok(&g, j, "controls [1, 3]");
	assert_int_equal(g.n_policies, 9);
	for (long p = 0; p < 9; p++) {
		const int *q = &g.policies[p * 4];
		if (q[0] != 0 || q[2] != 0 || q[1] != p / 3 || q[3] != p % 3)
			fail_msg("policy %ld is [[%d, %d], [%d, %d]]", p, q[0], q[1], q[2], q[3]);
	}
	assert_int_equal(g.n_control_fac, 1);
	assert_int_equal(g.control_fac_idx[0], 1);
	genmodel_free(&g);
	json_decref(j);

	/* no controllable factor at all: one policy, no control factors */
	j = model_json(1, (const int[]){2}, 2, (const int[]){2, 3}, (const int[]){1, 1});
	load_json_ok(&g, j, "controls [1, 1]");
	assert_int_equal(g.n_policies, 1);
	assert_int_equal(g.n_control_fac, 0);
	assert_int_equal(g.policies[0], 0);
	assert_int_equal(g.policies[1], 0);
	genmodel_free(&g);
	json_decref(j);
}

/* An explicit control_fac_idx is kept in its order; the policies still
 * range over every factor's controls, as in pymdp. */
static void test_control_fac_idx_given(void **state)
{
	(void)state;
	struct genmodel g;
	json_t *j = model_json(1, (const int[]){2}, 2, (const int[]){2, 3}, (const int[]){2, 3});

	json_object_set_new(j, "control_fac_idx", json_text("[1]"));
	load_json_ok(&g, j, "control_fac_idx [1]");
	assert_int_equal(g.n_control_fac, 1);
	assert_int_equal(g.control_fac_idx[0], 1);
	assert_int_equal(g.n_policies, 6);
	genmodel_free(&g);

	json_object_set_new(j, "control_fac_idx", json_text("[1, 0]"));
	load_json_ok(&g, j, "control_fac_idx [1, 0]");
	assert_int_equal(g.n_control_fac, 2);
	assert_int_equal(g.control_fac_idx[0], 1);
	assert_int_equal(g.control_fac_idx[1], 0);
	genmodel_free(&g);

	json_object_set_new(j, "control_fac_idx", json_text("[]"));
	load_json_ok(&g, j, "control_fac_idx []");
	assert_int_equal(g.n_control_fac, 0);
	genmodel_free(&g);
	json_decref(j);
}

static void test_control_fac_idx_refused(void **state)
{
	(void)state;
	static const struct {
		int controls0;
		const char *idx, *n1, *n2;
	} cases[] = {
		{2, "[2]", "'control_fac_idx'[0]", "must be a factor index from 0 to 1"},
		{2, "[0, -1]", "'control_fac_idx'[1]", "must be a factor index from 0 to 1"},
		{2, "[0.0]", "'control_fac_idx'[0]", "must be a factor index"},
		{2, "[\"1\"]", "'control_fac_idx'[0]", "must be a factor index"},
		{1, "[0]", "'control_fac_idx'[0]", "factor 0 has one control"},
		{2, "[1, 1]", "'control_fac_idx'", "names factor 1 twice"},
		{2, "[0, 1, 0]", "'control_fac_idx'", "must be a list of at most 2 factor indices"},
		{2, "1", "'control_fac_idx'", "must be a list of at most 2"},
		{2, "\"all\"", "'control_fac_idx'", "must be a list"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		json_t *j = model_json(1, (const int[]){2}, 2, (const int[]){2, 3}, (const int[]){cases[c].controls0, 3});
		json_object_set_new(j, "control_fac_idx", json_text(cases[c].idx));
		expect_refusal(j, cases[c].idx, cases[c].n1, cases[c].n2);
		json_decref(j);
	}
}

/* ---- bad models ---- */

static void test_refuse_structure(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{"[1, 2]", "a generative model must be a JSON object", NULL},
		{"\"model\"", "a generative model must be a JSON object", NULL},
		{WITH("\"F\": 1"), "unknown key 'F'", NULL},
		{WITH("\"a\": 1"), "unknown key 'a'", NULL},
		{"{" A_ ", " C_ "}", "missing key 'B' (or 'pB')", NULL},
		{"{" B_ ", " D_ "}", "missing key 'A' (or 'pA')", NULL},
		{"{\"A\": null, " B_ "}", "missing key 'A'", NULL},
		{"{\"A\": 1, " B_ "}", "'A' must be a list with one array per modality", NULL},
		{"{" A_ ", \"B\": {}}", "'B' must be a list with one array per factor", NULL},
		{"{\"A\": [], " B_ "}", "'A' must have 1 to 8 modalities, got 0", NULL},
		{"{" A_ ", \"B\": []}", "'B' must have 1 to 8 factors, got 0", NULL},
		{"{" A_ ", \"B\": [[[1, 0], [0, 1]]]}", "'B'[0] must be a states x states x controls", NULL},
		{"{" A_ ", \"B\": [[]]}", "'B'[0] must be a states x states x controls", NULL},
		{"{\"A\": [[]], " B_ "}", "'A'[0] must be a non-empty list", NULL},
		{"{\"A\": [3], " B_ "}", "'A'[0] must be a non-empty list", NULL},
		{"{" A_ ", " B_ ", \"C\": {}}", "'C' must be a list with one array per modality", NULL},
		{WITH("\"pD\": 1"), "'pD' must be a list with one array per factor", NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
	/* no object at all */
	expect_refusal(NULL, "NULL", "a generative model must be a JSON object", NULL);
}

/* Shapes: the arrays' own, and the optional num_* keys, must agree. */
static void test_refuse_shapes(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		/* num_obs / num_states / num_controls against the arrays */
		{WITH("\"num_obs\": [4], \"num_states\": [3], \"num_controls\": [2]"), NULL, NULL},
		{WITH("\"num_obs\": [5]"), "'num_obs'[0] does not match the arrays' 4", NULL},
		{WITH("\"num_obs\": [4, 4]"), "'num_obs' must be a list of 1", NULL},
		{WITH("\"num_obs\": 4"), "'num_obs' must be a list of 1", NULL},
		{WITH("\"num_obs\": [\"4\"]"), "'num_obs'[0] does not match", NULL},
		{WITH("\"num_states\": [2]"), "'num_states'[0] does not match the arrays' 3", NULL},
		{WITH("\"num_controls\": [3]"), "'num_controls'[0] does not match the arrays' 2", NULL},
		/* A's trailing axes are B's states */
		{"{\"A\": [[[0.5, 0.5], [0.5, 0.5]]], " B_ "}", "'A'[0][0] must have 3 entries, got 2", NULL},
		{"{\"A\": [[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.0]]], " B_ "}", "'A'[0][1] must have 3 entries, got 4",
		 NULL},
		{"{\"A\": [[[[0.5], [0.5], [0.5]], [[0.5], [0.5], [0.5]]]], " B_ "}", "'A'[0][0][0] must be a number",
		 NULL},
		{"{\"A\": [[0.5, 0.5]], " B_ "}", "'A'[0][0] must be a list of 3", NULL},
		/* B is states x states x controls throughout */
		{"{" A_ ", \"B\": [[[[1, 0], [0, 0], [0, 1]], [[0, 1], [1], [0, 0]], [[0, 0], [0, 1], [1, 0]]]]}",
		 "'B'[0][1][1] must have 2 entries, got 1", NULL},
		{"{" A_ ", \"B\": [[[[1, 0], [0, 0]], [[0, 1], [1, 0]], [[0, 0], [0, 1]]]]}",
		 "'B'[0][0] must have 3 entries, got 2", NULL},
		/* C, D, pA, pB, pD of the wrong shape */
		{"{" A_ ", " B_ ", \"C\": [[0, 1, 2, 3], [0]]}", "'C' must have 1 arrays, got 2", NULL},
		{"{" A_ ", " B_ ", \"C\": [[0, 1, 2]]}", "'C'[0] must have 4 entries, got 3", NULL},
		{"{" A_ ", " B_ ", \"D\": [[0.5, 0.5]]}", "'D'[0] must have 3 entries, got 2", NULL},
		{"{" A_ ", " B_ ", \"D\": [[0.5, 0.25, 0.25], [1]]}", "'D' must have 1 arrays, got 2", NULL},
		{WITH("\"pA\": [[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]"), "'pA'[0] must have 4 entries, got 3", NULL},
		{WITH("\"pB\": [[[[1, 1], [1, 1], [1, 1]]]]"), "'pB'[0] must have 3 entries, got 1", NULL},
		{WITH("\"pD\": [[1, 1, 1, 1]]"), "'pD'[0] must have 3 entries, got 4", NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

/* Entries: numbers, non-negative, columns that are distributions. */
static void test_refuse_values(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		/* JSON has no NaN: a string stands for a non-number */
		{"{\"A\": [[[0.5, \"x\", 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, 0.5]]], " B_ "}",
		 "'A'[0][0][1] must be a number", NULL},
		{"{\"A\": [[[0.5, 0.1, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, null]]], " B_ "}",
		 "'A'[0][3][2] must be a number", NULL},
		{"{\"A\": [[[0.5, 0.1, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, true]]], " B_ "}",
		 "'A'[0][3][2] must be a number", NULL},
		/* a column that does not sum to 1 */
		{"{\"A\": [[[0.5, 0.2, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, 0.5]]], " B_ "}",
		 "'A'[0] column [:, 1] sums to 1.1", NULL},
		{"{\"A\": [[[0.5, 0.1, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, 0.0]]], " B_ "}",
		 "'A'[0] column [:, 2] sums to 0.5", NULL},
		/* a negative entry, even in a column that sums to 1 */
		{"{\"A\": [[[0.6, 0.1, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [-0.1, 0.4, 0.5]]], " B_ "}",
		 "'A'[0][3, 0] is negative (-0.1)", NULL},
		/* B: state 1, control 0 */
		{"{" A_ ", \"B\": [[[[1, 0], [0, 0], [0, 1]], [[0, 1], [0.5, 0], [0, 0]], [[0, 0], [0, 1], [1, 0]]]]}",
		 "'B'[0] column [:, 1, 0] sums to 0.5", NULL},
		/* B: state 2, control 1 */
		{"{" A_ ", \"B\": [[[[1, 0], [0, 0], [0, 0]], [[0, 1], [1, 0], [0, 0]], [[0, 0], [0, 1], [1, 0]]]]}",
		 "'B'[0] column [:, 2, 1] sums to 0", NULL},
		{"{" A_ ", \"B\": [[[[2, 0], [0, 0], [0, 1]], [[-1, 1], [1, 0], [0, 0]], [[0, 0], [0, 1], [1, 0]]]]}",
		 "'B'[0][1, 0, 0] is negative (-1)", NULL},
		{"{" A_ ", \"B\": [[[[1, 0], [0, 0], [0, 1]], [[0, 1], [1, 0], [0, 0]], [[0, 0], [0, 1], [1, \"0\"]]]]}",
		 "'B'[0][2][2][1] must be a number", NULL},
		/* D */
		{"{" A_ ", " B_ ", \"D\": [[0.5, 0.25, 0.5]]}", "'D'[0] column [:] sums to 1.25", NULL},
		{"{" A_ ", " B_ ", \"D\": [[1.5, -0.5, 0]]}", "'D'[0][1] is negative (-0.5)", NULL},
		/* C may be any real */
		{"{" A_ ", " B_ ", \"C\": [[-1, 0, 5.5, -3]]}", NULL, NULL},
		{"{" A_ ", " B_ ", \"C\": [[-1, \"0\", 5.5, -3]]}", "'C'[0][1] must be a number", NULL},
		/* counts: non-negative, any total */
		{WITH("\"pA\": [[[1, 1, 0], [1, 2, 0], [1, 3, -1], [0, 4, 1]]]"),
		 "'pA'[0] has a negative entry (-1) at flat index 8", NULL},
		{WITH("\"pA\": [[[1, 1, 0], [1, 2, 0], [1, 3, 1], [0, 4, 1]]]"), NULL, NULL},
		{WITH("\"pB\": [[[[1, 0], [0, 0], [0, 1]], [[0, 1], [1, 0], [0, 0]], [[0, 0], [0, 1], [1, -2]]]]"),
		 "'pB'[0] has a negative entry (-2) at flat index 17", NULL},
		{WITH("\"pD\": [[1, -1, 1]]"), "'pD'[0] has a negative entry (-1) at flat index 1", NULL},
		{WITH("\"pD\": [[1, \"x\", 1]]"), "'pD'[0][1] must be a number", NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

/* Columns must sum to 1 within 1e-6: off by 1e-7 passes, 1e-5 does not,
 * either way, in A, B and D. */
static void test_normalisation_tolerance(void **state)
{
	(void)state;
	static const double offs[] = {1e-7, -1e-7, 1e-5, -1e-5};
	char text[1024];

	for (int k = 0; k < 4; k++) {
		double d = offs[k];
		int ok = fabs(d) < 1e-6;
		json_t *j;

		snprintf(text, sizeof text,
			 "{\"A\": [[[%.17g, 0.1, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, 0.5]]], " B_ "}",
			 0.5 + d);
		j = json_text(text);
		expect_refusal(j, text, ok ? NULL : "'A'[0] column [:, 0] sums to", NULL);
		json_decref(j);

		snprintf(text, sizeof text,
			 "{" A_ ", \"B\": [[[[1, 0], [0, 0], [0, 1]], [[0, 1], [1, 0], [0, 0]], [[0, 0], [0, %.17g], [1, 0]]]]}",
			 1 + d);
		j = json_text(text);
		expect_refusal(j, text, ok ? NULL : "'B'[0] column [:, 1, 1] sums to", NULL);
		json_decref(j);

		snprintf(text, sizeof text, "{" A_ ", " B_ ", \"D\": [[0.5, 0.25, %.17g]]}", 0.25 + d);
		j = json_text(text);
		expect_refusal(j, text, ok ? NULL : "'D'[0] column [:] sums to", NULL);
		json_decref(j);
	}
	/* an accepted column is kept as written, not renormalised */
	struct genmodel g;
	snprintf(text, sizeof text, "{" A_ ", " B_ ", \"D\": [[0.5, 0.25, %.17g]]}", 0.25 + 1e-7);
	load_ok(&g, text);
	assert_true(g.D[0][2] == 0.25 + 1e-7);
	genmodel_free(&g);
}

/* E: one non-negative prior per policy. */
static void test_E(void **state)
{
	(void)state;
	struct genmodel g;

	load_ok(&g, WITH("\"E\": [0.25, 0.75]"));
	assert_non_null(g.E);
	assert_true(g.E[0] == 0.25 && g.E[1] == 0.75);
	genmodel_free(&g);
	/* four policies at policy_len 2 */
	load_ok(&g, WITH("\"E\": [1, 2, 3, 4], \"options\": {\"policy_len\": 2}"));
	assert_int_equal(g.n_policies, 4);
	assert_true(g.E[3] == 4);
	genmodel_free(&g);

	static const struct bad cases[] = {
		{WITH("\"E\": [1]"), "'E' (one prior probability per policy) must have 2 entries, got 1", NULL},
		{WITH("\"E\": [0.25, 0.25, 0.5]"), "'E'", "must have 2 entries, got 3"},
		{WITH("\"E\": [0.25, 0.75], \"options\": {\"policy_len\": 2}"), "'E'", "must have 4 entries, got 2"},
		{WITH("\"E\": [-0.5, 1.5]"), "'E' has a negative entry (-0.5) at flat index 0", NULL},
		{WITH("\"E\": [0.5, \"x\"]"), "'E' (one prior probability per policy)[1] must be a number", NULL},
		{WITH("\"E\": 1"), "'E'", "must be a list of 2"},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

static void test_refuse_policy_len(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{OPTS("\"policy_len\": 0"), "'options': 'policy_len' must be between 1 and 64, got 0", NULL},
		{OPTS("\"policy_len\": -1"), "'policy_len' must be between 1 and 64", NULL},
		{OPTS("\"policy_len\": 65"), "'policy_len' must be between 1 and 64, got 65", NULL},
		{OPTS("\"policy_len\": 1.5"), "'policy_len' must be an integer", NULL},
		{OPTS("\"policy_len\": \"2\""), "'policy_len' must be an integer", NULL},
		{OPTS("\"policy_len\": 2.0"), NULL, NULL},
		{OPTS("\"num_iter\": 0"), "'num_iter' must be between 1", NULL},
		{OPTS("\"inference_horizon\": 0"), "'inference_horizon' must be between 1", NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

/* More than GENMODEL_MAX_POLICIES policies: 2^23 with one factor of two
 * controls, 6^9 with controls [2, 3]. */
static void test_refuse_too_many_policies(void **state)
{
	(void)state;
	json_t *two = model_json(1, (const int[]){2}, 2, (const int[]){2, 3}, (const int[]){2, 3});
	json_t *one = json_text(OPTS("\"policy_len\": 23"));
	json_t *cases[] = {one, two};
	char want[64];

	set_options(two, "{\"policy_len\": 9}");
	snprintf(want, sizeof want, "gives more than %ld policies", GENMODEL_MAX_POLICIES);
	for (int c = 0; c < 2; c++) {
		struct genmodel g;
		struct err e = {0};
		int rc = genmodel_from_json(&g, cases[c], WHERE, &e);
		if (rc != ERR_INPUT || !strstr(e.msg, want) || strncmp(e.msg, WHERE ": ", strlen(WHERE) + 2) ||
		    !strstr(e.msg, c ? "'policy_len' 9" : "'policy_len' 23")) {
			fprintf(stderr, "%s\n", e.msg);
			fail_msg("case %d: got %d, want ERR_INPUT and \"%s\"", c, rc, want);
		}
		genmodel_free(&g);
	}
	json_decref(one);
	json_decref(two);
}

static void test_refuse_choices(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{OPTS("\"inference_algo\": \"FOO\""), "'options': option 'inference_algo' must be 'VANILLA' or 'MMP'",
		 NULL},
		{OPTS("\"inference_algo\": \"vanilla\""), "option 'inference_algo' must be", NULL},
		{OPTS("\"inference_algo\": 0"), "option 'inference_algo' must be", NULL},
		{OPTS("\"action_selection\": \"random\""),
		 "option 'action_selection' must be 'deterministic' or 'stochastic'", NULL},
		{OPTS("\"sampling_mode\": \"joint\""), "option 'sampling_mode' must be 'marginal' or 'full'", NULL},
		{OPTS("\"update_B_action\": \"next\""), "option 'update_B_action' must be 'current' or 'previous'", NULL},
		{OPTS("\"action_selection\": \"deterministic\", \"sampling_mode\": \"marginal\", "
		      "\"update_B_action\": \"current\", \"inference_algo\": \"VANILLA\""),
		 NULL, NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

static void test_refuse_bools_and_numbers(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{OPTS("\"use_utility\": \"yes\""), "'options': option 'use_utility' must be true or false", NULL},
		{OPTS("\"use_states_info_gain\": 1"), "option 'use_states_info_gain' must be true or false", NULL},
		{OPTS("\"use_param_info_gain\": null"), "option 'use_param_info_gain' must be true or false", NULL},
		{OPTS("\"learn_A\": \"true\""), "option 'learn_A' must be true or false", NULL},
		{OPTS("\"use_BMA\": 0"), "option 'use_BMA' must be true or false", NULL},
		{OPTS("\"gamma\": \"x\""), "'options': 'gamma' must be a number", NULL},
		{OPTS("\"alpha\": [1]"), "'alpha' must be a number", NULL},
		{OPTS("\"dF_tol\": -1"), "'dF_tol' and the learning rates must not be negative", NULL},
		{OPTS("\"lr_pB\": -0.5"), "'dF_tol' and the learning rates must not be negative", NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

static void test_refuse_unknown_option(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{OPTS("\"polcy_len\": 2"), "'options': unknown key 'polcy_len'", NULL},
		{OPTS("\"policy_len\": 2, \"E\": [1, 1, 1, 1]"), "'options': unknown key 'E'", NULL},
		{WITH("\"options\": [1]"), "'options' must be an object", NULL},
		{WITH("\"options\": \"fast\""), "'options' must be an object", NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

static void test_refuse_learning(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{OPTS("\"modalities_to_learn\": [5]"), "option 'modalities_to_learn'[0] must be an index from 0 to 0",
		 NULL},
		{OPTS("\"modalities_to_learn\": [0, -1]"), "option 'modalities_to_learn'[1] must be an index", NULL},
		{OPTS("\"modalities_to_learn\": [0.5]"), "option 'modalities_to_learn'[0] must be an index", NULL},
		{OPTS("\"modalities_to_learn\": \"some\""), "option 'modalities_to_learn' must be \"all\" or a list",
		 NULL},
		{OPTS("\"factors_to_learn\": [1]"), "option 'factors_to_learn'[0] must be an index from 0 to 0", NULL},
		{OPTS("\"learn_A\": true"), "option 'learn_A' needs 'pA'", NULL},
		{OPTS("\"learn_B\": true"), "option 'learn_B' needs 'pB'", NULL},
		{OPTS("\"learn_D\": true"), "option 'learn_D' needs 'pD'", NULL},
		{WITH(PA_ ", \"options\": {\"learn_A\": true}"), NULL, NULL},
		{WITH(PB_ ", \"options\": {\"learn_B\": true}"), NULL, NULL},
		/* MMP has no unconditioned beliefs to learn A or B from */
		{WITH(PB_ ", \"options\": {\"learn_B\": true, \"inference_algo\": \"MMP\"}"),
		 "learning A or B needs inference_algo VANILLA", NULL},
		{WITH(PA_ ", \"options\": {\"learn_A\": true, \"inference_algo\": \"MMP\"}"),
		 "learning A or B needs inference_algo VANILLA", NULL},
		{WITH(PD_ ", \"options\": {\"learn_D\": true, \"inference_algo\": \"MMP\"}"), NULL, NULL},
		{WITH(PB_ ", \"options\": {\"use_param_info_gain\": true, \"inference_algo\": \"MMP\"}"),
		 "use_param_info_gain with 'pB' is not defined under MMP", NULL},
		{WITH(PA_ ", \"options\": {\"use_param_info_gain\": true, \"inference_algo\": \"MMP\"}"), NULL, NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

/* pymdp keywords whose numpy code breaks: refused, not reinterpreted. */
static void test_refuse_unsupported(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{OPTS("\"use_BMA\": false"), "'options': option 'use_BMA' false is not supported", NULL},
		{OPTS("\"policy_sep_prior\": true"), "option 'policy_sep_prior' true is not supported", NULL},
		{OPTS("\"save_belief_hist\": true"), "option 'save_belief_hist' true is not supported", NULL},
		{OPTS("\"use_BMA\": true, \"policy_sep_prior\": false, \"save_belief_hist\": false"), NULL, NULL},
	};
	refuse_all(cases, sizeof cases / sizeof *cases);
}

/* The limits: 8 factors, 8 modalities, 2^22 joint states or entries of
 * one A[m]. */
static void test_refuse_too_large(void **state)
{
	(void)state;
	int states[9], controls[9], obs[9];
	for (int i = 0; i < 9; i++)
		states[i] = 2, controls[i] = 1, obs[i] = 2;

	json_t *j = model_json(1, obs, 9, states, controls);
	expect_refusal(j, "9 factors", "'B' must have 1 to 8 factors, got 9", NULL);
	json_decref(j);
	j = model_json(1, obs, 8, states, controls);
	expect_refusal(j, "8 factors", NULL, NULL);
	json_decref(j);
	j = model_json(9, obs, 1, states, controls);
	expect_refusal(j, "9 modalities", "'A' must have 1 to 8 modalities, got 9", NULL);
	json_decref(j);

	/* 3 factors of 200 states: 8e6 joint states (refused before A is read) */
	j = json_object();
	json_t *B = json_array();
	for (int f = 0; f < 3; f++)
		json_array_append_new(B, filled((const int[]){200, 200, 1}, 3, 0.005));
	json_object_set_new(j, "B", B);
	json_object_set_new(j, "A", json_text("[[0, 0]]"));
	expect_refusal(j, "8e6 joint states", "more than 4194304 joint hidden states", NULL);
	json_decref(j);

	/* 64 x 64 joint states and 1025 outcomes: A[0] would have 4198400 */
	j = json_object();
	B = json_array();
	for (int f = 0; f < 2; f++)
		json_array_append_new(B, filled((const int[]){64, 64, 1}, 3, 1.0 / 64));
	json_object_set_new(j, "B", B);
	json_t *A = json_array(), *A0 = json_array();
	for (int o = 0; o < 1025; o++)
		json_array_append_new(A0, json_integer(0));
	json_array_append_new(A, A0);
	json_object_set_new(j, "A", A);
	expect_refusal(j, "A[0] too large", "'A'[0] has more than 4194304 entries", NULL);
	json_decref(j);
}

/* ---- genmodel_load ---- */

/* j as one MessagePack map (plus `extra` bytes after it). */
static void write_msgpack(const char *path, const json_t *j, const char *extra, size_t n_extra)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	mpjson_pack(&pk, j);
	if (n_extra)
		msgpack_sbuffer_write(&sb, extra, n_extra);
	scratch_write_bytes(path, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

static void assert_same_doubles(const char *what, const double *x, const double *y, long n)
{
	if ((x == NULL) != (y == NULL))
		fail_msg("%s: one is NULL", what);
	if (x && memcmp(x, y, sizeof(double) * (size_t)n))
		fail_msg("%s differ", what);
}

static void assert_same_model(const struct genmodel *a, const struct genmodel *b)
{
	assert_int_equal(a->n_mod, b->n_mod);
	assert_int_equal(a->n_fac, b->n_fac);
	assert_int_equal(a->n_joint, b->n_joint);
	for (int m = 0; m < a->n_mod; m++) {
		long n = (long)a->num_obs[m] * a->n_joint;
		assert_int_equal(a->num_obs[m], b->num_obs[m]);
		assert_same_doubles("A", a->A[m], b->A[m], n);
		assert_same_doubles("pA", a->pA[m], b->pA[m], n);
		assert_same_doubles("C", a->C[m], b->C[m], a->num_obs[m]);
	}
	for (int f = 0; f < a->n_fac; f++) {
		long n = (long)a->num_states[f] * a->num_states[f] * a->num_controls[f];
		assert_int_equal(a->num_states[f], b->num_states[f]);
		assert_int_equal(a->num_controls[f], b->num_controls[f]);
		assert_same_doubles("B", a->B[f], b->B[f], n);
		assert_same_doubles("pB", a->pB[f], b->pB[f], n);
		assert_same_doubles("D", a->D[f], b->D[f], a->num_states[f]);
		assert_same_doubles("pD", a->pD[f], b->pD[f], a->num_states[f]);
	}
	assert_int_equal(a->has_pA, b->has_pA);
	assert_int_equal(a->has_pB, b->has_pB);
	assert_int_equal(a->has_pD, b->has_pD);
	assert_int_equal(a->n_policies, b->n_policies);
	assert_same_doubles("E", a->E, b->E, a->n_policies);
	assert_memory_equal(a->policies, b->policies, sizeof(int) * (size_t)(a->n_policies * a->opt.policy_len * a->n_fac));
	assert_int_equal(a->n_control_fac, b->n_control_fac);
	assert_memory_equal(a->control_fac_idx, b->control_fac_idx, sizeof a->control_fac_idx);
	const struct genmodel_options *p = &a->opt, *q = &b->opt;
	assert_true(p->policy_len == q->policy_len && p->inference_horizon == q->inference_horizon &&
		    p->algo == q->algo && p->num_iter == q->num_iter && p->dF == q->dF && p->dF_tol == q->dF_tol &&
		    p->gamma == q->gamma && p->alpha == q->alpha && p->lr_pA == q->lr_pA && p->lr_pB == q->lr_pB &&
		    p->lr_pD == q->lr_pD && p->use_utility == q->use_utility &&
		    p->use_states_info_gain == q->use_states_info_gain && p->use_param_info_gain == q->use_param_info_gain &&
		    p->stochastic == q->stochastic && p->full == q->full && p->learn_A == q->learn_A &&
		    p->learn_B == q->learn_B && p->learn_D == q->learn_D && p->update_B_previous == q->update_B_previous);
	assert_memory_equal(p->learn_modality, q->learn_modality, sizeof p->learn_modality);
	assert_memory_equal(p->learn_factor, q->learn_factor, sizeof p->learn_factor);
	assert_true(json_equal(a->json, b->json));
}

#define FULL_MODEL                                                                                              \
	WITH(PA_ ", " PB_ ", \"E\": [0.1, 0.2, 0.3, 0.4], \"options\": {\"policy_len\": 2, \"gamma\": 8.5, "       \
		 "\"learn_A\": true, \"lr_pA\": 0.5, \"action_selection\": \"stochastic\"}")

/* The same model from a JSON file, a MessagePack map file and the parsed
 * object: the same arrays, bit for bit. */
static void test_load_json_and_msgpack(void **state)
{
	struct scratch *s = *state;
	struct genmodel gj, gm, go;
	struct err e = {0};
	char mpk[256];
	json_t *j = json_text(FULL_MODEL);

	/* leading white space is allowed before a JSON object */
	scratch_write(s->path, "\n  " FULL_MODEL "\n");
	if (genmodel_load(&gj, s->path, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	snprintf(mpk, sizeof mpk, "%s/m.mpk", s->dir);
	write_msgpack(mpk, j, NULL, 0);
	if (genmodel_load(&gm, mpk, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	load_json_ok(&go, j, "FULL_MODEL");
	assert_int_equal(gj.n_policies, 4);
	assert_true(gj.opt.gamma == 8.5);
	assert_true(gj.E[2] == 0.3);
	assert_same_model(&gj, &go);
	assert_same_model(&gm, &go);
	genmodel_free(&gj);
	genmodel_free(&gm);
	genmodel_free(&go);
	json_decref(j);
}

/* Files that are not models: the messages name the file. */
static void test_load_refusals(void **state)
{
	struct scratch *s = *state;
	struct genmodel g;
	struct err e = {0};
	char path[256], want[300];
	int rc;

#define LOAD_REFUSED(p, needle)                                                                                 \
	do {                                                                                                    \
		memset(&e, 0, sizeof e);                                                                        \
		rc = genmodel_load(&g, (p), &e);                                                                \
		if (rc != ERR_INPUT || strncmp(e.msg, (p), strlen(p)) || !strstr(e.msg, (needle))) {            \
			fprintf(stderr, "%s\n", e.msg);                                                         \
			fail_msg("%s: got %d, want ERR_INPUT and a message naming the file and \"%s\"", (p), rc, \
				 (needle));                                                                     \
		}                                                                                               \
		genmodel_free(&g);                                                                              \
	} while (0)

	/* no file */
	snprintf(path, sizeof path, "%s/absent.json", s->dir);
	LOAD_REFUSED(path, "cannot open");
	/* a directory */
	LOAD_REFUSED(s->dir, "directory");
	/* garbage bytes: not MessagePack, or MessagePack but not a map */
	scratch_write_bytes(s->path, "\xc1\xc1\xc1\xc1", 4);
	LOAD_REFUSED(s->path, "not a JSON object or a MessagePack map");
	scratch_write(s->path, "garbage!");
	LOAD_REFUSED(s->path, "not a JSON object or a MessagePack map");
	scratch_write(s->path, "[1, 2]");
	LOAD_REFUSED(s->path, "not a JSON object or a MessagePack map");
	/* a map and more */
	json_t *j = json_text(MODEL);
	write_msgpack(s->path, j, "\x01", 1);
	LOAD_REFUSED(s->path, "trailing bytes after the MessagePack map");
	json_decref(j);
	/* empty, or broken JSON */
	scratch_write(s->path, "");
	LOAD_REFUSED(s->path, "");
	scratch_write(s->path, "{\"A\": [[[0.5, 0.5]]],\n \"B\": [");
	LOAD_REFUSED(s->path, "line 2");
	scratch_write(s->path, "{\"A\": 1, \"A\": 2}");
	LOAD_REFUSED(s->path, "duplicate");
	/* a bad model: the file's path is the `where` */
	scratch_write(s->path, "{" A_ ", " B_ ", \"D\": [[0.5, 0.25, 0.5]]}");
	LOAD_REFUSED(s->path, "'D'[0] column [:] sums to 1.25");
	snprintf(want, sizeof want, "%s: 'options': unknown key 'x'", s->path);
	scratch_write(s->path, OPTS("\"x\": 1"));
	LOAD_REFUSED(s->path, want);
	/* a MessagePack NaN reaches the model as a non-number */
	json_t *nan = NULL;
	const char *text = "{\"A\": [[[NaN, 0.1, 0.0], [0.25, 0.2, 0.0], [0.25, 0.3, 0.5], [0.0, 0.4, 0.5]]], " B_ "}";
	if (mpjson_parse(text, strlen(text), &nan, "NaN model", &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	write_msgpack(s->path, nan, NULL, 0);
	LOAD_REFUSED(s->path, "'A'[0][0][0] must be");
	json_decref(nan);
#undef LOAD_REFUSED
}

/* ---- random models ---- */

static void spec_ok(const char *arg, struct genmodel_spec *sp)
{
	struct err e = {0};
	if (genmodel_spec_parse(arg, sp, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail_msg("genmodel_spec_parse(\"%s\") refused", arg);
	}
}

static void test_spec_parse(void **state)
{
	(void)state;
	struct genmodel_spec sp;

	spec_ok("obs=6,states=8,controls=4", &sp);
	assert_int_equal(sp.n_mod, 1);
	assert_int_equal(sp.n_fac, 1);
	assert_int_equal(sp.obs[0], 6);
	assert_int_equal(sp.states[0], 8);
	assert_int_equal(sp.controls[0], 4);
	assert_int_equal(sp.policy_len, 1);
	assert_true(sp.seed == 1);

	spec_ok("obs=4:3,states=4:2,controls=4:1,policy_len=2,seed=7", &sp);
	assert_int_equal(sp.n_mod, 2);
	assert_int_equal(sp.n_fac, 2);
	assert_int_equal(sp.obs[0], 4);
	assert_int_equal(sp.obs[1], 3);
	assert_int_equal(sp.states[0], 4);
	assert_int_equal(sp.states[1], 2);
	assert_int_equal(sp.controls[0], 4);
	assert_int_equal(sp.controls[1], 1);
	assert_int_equal(sp.policy_len, 2);
	assert_true(sp.seed == 7);

	/* any order; without controls, factor 0 has two and the rest one */
	spec_ok("seed=0,states=3:5:2,obs=2", &sp);
	assert_int_equal(sp.n_fac, 3);
	assert_int_equal(sp.controls[0], 2);
	assert_int_equal(sp.controls[1], 1);
	assert_int_equal(sp.controls[2], 1);
	assert_true(sp.seed == 0);

	/* the limits */
	spec_ok("obs=4096,states=2:2:2:2:2:2:2:2,policy_len=64", &sp);
	assert_int_equal(sp.n_fac, 8);
	assert_int_equal(sp.obs[0], 4096);
	assert_int_equal(sp.policy_len, 64);
}

static void test_spec_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *arg, *needle;
	} cases[] = {
		{"obs=6,states=8,colour=1", "unknown key 'colour'"},
		{"obs=6,states=8,seeds=1", "unknown key 'seeds'"},
		{"obs=6,controls=4", "needs obs=N and states=N"},
		{"states=6", "needs obs=N and states=N"},
		{"", "needs obs=N and states=N"},
		{"obs=6,states=4:2,controls=3", "'controls' lists 1, 'states' 2"},
		{"obs=6,states=4,controls=3:3", "'controls' lists 2, 'states' 1"},
		{"obs=0,states=2", "'obs' must be a positive integer"},
		{"obs=6,states=4:0", "'states' must be a positive integer"},
		{"obs=6,states=4,controls=0", "'controls' must be a positive integer"},
		{"obs=4097,states=2", "at most 4096"},
		{"obs=6,states=x", "'states' must be a positive integer"},
		{"obs=6,states=4;2", "'states' must be a positive integer"},
		{"obs=6,states=2,policy_len=0", "'policy_len' must be a positive integer"},
		{"obs=6,states=2,policy_len=65", "'policy_len' must be a positive integer"},
		{"obs=6,states=2,policy_len=2x", "'policy_len' must be a positive integer"},
		{"obs=6,states=2,seed=-1", "'seed' must be a non-negative integer"},
		{"obs=6,states=2:2:2:2:2:2:2:2:2", "'states' lists more than 8"},
		{"obs=2:2:2:2:2:2:2:2:2,states=2", "'obs' lists more than 8"},
		{"obs,states=2", "expected KEY=VALUE, got 'obs'"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		struct genmodel_spec sp;
		struct err e = {0};
		int rc = genmodel_spec_parse(cases[c].arg, &sp, &e);
		if (rc != ERR_INPUT || strncmp(e.msg, "'--random-model'", 16) || !strstr(e.msg, cases[c].needle)) {
			fprintf(stderr, "%s\n", e.msg);
			fail_msg("\"%s\": got %d, want ERR_INPUT and \"%s\"", cases[c].arg, rc, cases[c].needle);
		}
	}
}

/* A random model loads, has the spec's shapes and proper distributions
 * (every column within 1e-12 of 1), C zero and D uniform. */
static void test_random_model(void **state)
{
	(void)state;
	struct genmodel_spec sp;
	struct genmodel g;
	struct err e = {0};
	json_t *j = NULL;

	spec_ok("obs=4:3,states=4:2,controls=4:1,policy_len=2,seed=7", &sp);
	if (genmodel_random_json(&sp, &j, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	load_json_ok(&g, j, "random model");
	assert_int_equal(g.n_mod, 2);
	assert_int_equal(g.n_fac, 2);
	assert_int_equal(g.num_obs[0], 4);
	assert_int_equal(g.num_obs[1], 3);
	assert_int_equal(g.num_states[0], 4);
	assert_int_equal(g.num_states[1], 2);
	assert_int_equal(g.num_controls[0], 4);
	assert_int_equal(g.num_controls[1], 1);
	assert_int_equal(g.n_joint, 8);
	assert_int_equal(g.opt.policy_len, 2);
	assert_int_equal(g.n_policies, 16);
	for (int m = 0; m < 2; m++) {
		assert_columns("A", g.A[m], g.num_obs[m], g.n_joint, 1e-12);
		for (int o = 0; o < g.num_obs[m]; o++)
			assert_true(g.C[m][o] == 0.0);
		/* drawn, not degenerate */
		assert_true(g.A[m][0] > 0 && g.A[m][0] < 1);
	}
	for (int f = 0; f < 2; f++) {
		assert_columns("B", g.B[f], g.num_states[f], (long)g.num_states[f] * g.num_controls[f], 1e-12);
		assert_columns("D", g.D[f], g.num_states[f], 1, 1e-12);
		for (int s = 0; s < g.num_states[f]; s++)
			assert_true(fabs(g.D[f][s] - 1.0 / g.num_states[f]) < 1e-15);
	}
	assert_false(g.has_pA || g.has_pB || g.has_pD);
	genmodel_free(&g);
	json_decref(j);

	/* policy_len 1 writes no options */
	spec_ok("obs=6,states=8,controls=4", &sp);
	if (genmodel_random_json(&sp, &j, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	assert_null(json_object_get(j, "options"));
	load_json_ok(&g, j, "random model 6/8/4");
	assert_int_equal(g.num_obs[0], 6);
	assert_int_equal(g.num_states[0], 8);
	assert_int_equal(g.num_controls[0], 4);
	assert_int_equal(g.n_policies, 4);
	assert_columns("A", g.A[0], 6, 8, 1e-12);
	assert_columns("B", g.B[0], 8, 32, 1e-12);
	genmodel_free(&g);
	json_decref(j);
}

/* The seed decides the model: the same seed, the same JSON. */
static void test_random_seed(void **state)
{
	(void)state;
	struct genmodel_spec sp;
	struct err e = {0};
	json_t *a = NULL, *b = NULL, *c = NULL;

	spec_ok("obs=4:3,states=4:2,controls=4:1,seed=7", &sp);
	if (genmodel_random_json(&sp, &a, &e) || genmodel_random_json(&sp, &b, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	sp.seed = 8;
	if (genmodel_random_json(&sp, &c, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	assert_true(json_equal(a, b));
	assert_false(json_equal(a, c));
	/* and in B alone too: the streams are not merely shifted in A */
	assert_false(json_equal(json_object_get(a, "B"), json_object_get(c, "B")));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

/* Specs whose arrays would be too large are refused before allocating. */
static void test_random_too_large(void **state)
{
	(void)state;
	static const struct {
		const char *arg, *needle;
	} cases[] = {
		{"obs=2,states=4096:4096", "more than 4194304 joint states"},
		{"obs=2,states=4096:1024", "A[0] would have more than 4194304 entries"},
		{"obs=1:4096,states=1024:1024", "A[1] would have more than"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		struct genmodel_spec sp;
		struct err e = {0};
		json_t *j = NULL;
		spec_ok(cases[c].arg, &sp);
		int rc = genmodel_random_json(&sp, &j, &e);
		if (rc != ERR_INPUT || !strstr(e.msg, cases[c].needle)) {
			fprintf(stderr, "%s\n", e.msg);
			fail_msg("\"%s\": got %d, want ERR_INPUT and \"%s\"", cases[c].arg, rc, cases[c].needle);
		}
		assert_null(j);
	}
}

/* genmodel_arrays_json: flat C-order arrays to a model file, D given or
 * uniform, C zero; it reads back as written. */
static void test_arrays_json(void **state)
{
	(void)state;
	/* two modalities over factors of 2 and 3 states */
	double A0[2 * 6], A1[3 * 6], B0[2 * 2 * 2], B1[3 * 3 * 1], D0[2] = {0.25, 0.75}, D1[3] = {0.5, 0.5, 0.0};
	double *A[] = {A0, A1}, *B[] = {B0, B1}, *D[] = {D0, D1};
	const int num_obs[] = {2, 3}, num_states[] = {2, 3}, num_controls[] = {2, 1};
	struct genmodel g;
	struct err e = {0};
	json_t *j = NULL;

	for (int s = 0; s < 6; s++) {
		A0[s] = 0.125 * (s + 1), A0[6 + s] = 1 - A0[s];
		A1[s] = 0.5, A1[6 + s] = 0.25, A1[12 + s] = 0.25;
	}
	for (int i = 0; i < 8; i++) /* B0[to][from][u] */
		B0[i] = ((i >> 2) == ((i >> 1) & 1)) ^ (i & 1);
	for (int i = 0; i < 9; i++)
		B1[i] = i / 3 == i % 3;
	if (genmodel_arrays_json(2, num_obs, A, 2, num_states, num_controls, B, D, &j, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	load_json_ok(&g, j, "genmodel_arrays_json");
	assert_int_equal(g.n_mod, 2);
	assert_int_equal(g.n_fac, 2);
	assert_int_equal(g.n_joint, 6);
	assert_memory_equal(g.A[0], A0, sizeof A0);
	assert_memory_equal(g.A[1], A1, sizeof A1);
	assert_memory_equal(g.B[0], B0, sizeof B0);
	assert_memory_equal(g.B[1], B1, sizeof B1);
	assert_memory_equal(g.D[0], D0, sizeof D0);
	assert_memory_equal(g.D[1], D1, sizeof D1);
	assert_true(g.C[0][0] == 0 && g.C[1][2] == 0);
	genmodel_free(&g);
	json_decref(j);

	/* no D: uniform */
	if (genmodel_arrays_json(2, num_obs, A, 2, num_states, num_controls, B, NULL, &j, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	load_json_ok(&g, j, "genmodel_arrays_json, no D");
	assert_true(g.D[0][0] == 0.5 && g.D[0][1] == 0.5);
	assert_true(g.D[1][0] == 1.0 / 3 && g.D[1][2] == 1.0 / 3);
	genmodel_free(&g);
	json_decref(j);
}

/* genmodel_free on a zeroed struct, twice, and after a failed load. */
static void test_free_is_safe(void **state)
{
	(void)state;
	struct genmodel g;
	struct err e = {0};

	memset(&g, 0, sizeof g);
	genmodel_free(&g);
	genmodel_free(&g);
	json_t *j = json_text(OPTS("\"policy_len\": 0"));
	assert_int_equal(genmodel_from_json(&g, j, WHERE, &e), ERR_INPUT);
	genmodel_free(&g);
	genmodel_free(&g);
	json_decref(j);
	load_ok(&g, MODEL);
	genmodel_free(&g);
	genmodel_free(&g);
}


/* Counts with a column of zeros cannot stand in for a missing A, B or D
 * (normalising would give NaN); an empty seed in a spec is not 0. */
static void test_refuse_zero_count_columns(void **state)
{
	(void)state;
	const char *texts[] = {
		"{\"pA\": [[[2, 1, 0], [1, 2, 0], [1, 3, 0], [0, 4, 0]]], " B_ "}",
		"{" A_ ", \"pB\": [[[[0, 0], [0, 0], [0, 1]], [[0, 1], [1, 0], [0, 0]], [[0, 0], [0, 1], [1, 0]]]]}",
		"{" A_ ", " B_ ", \"pD\": [[0, 0, 0]]}",
	};
	const char *names[] = {"'pA'[0]", "'pB'[0]", "'pD'[0]"};
	for (int c = 0; c < 3; c++) {
		struct genmodel g;
		struct err e = {0};
		json_t *j = json_text(texts[c]);
		int rc = genmodel_from_json(&g, j, WHERE, &e);
		if (rc != ERR_INPUT || !strstr(e.msg, names[c]) || !strstr(e.msg, "sums to 0")) {
			fprintf(stderr, "%s\n", e.msg);
			fail_msg("case %d: got %d", c, rc);
		}
		genmodel_free(&g);
		json_decref(j);
	}
	struct genmodel_spec sp;
	struct err e = {0};
	assert_int_equal(genmodel_spec_parse("obs=6,states=2,seed=", &sp, &e), ERR_INPUT);
	assert_int_equal(genmodel_spec_parse("obs=6,states=2,seed=0", &sp, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_factor),
		cmocka_unit_test(test_default_options),
		cmocka_unit_test(test_options_given),
		cmocka_unit_test(test_missing_C_and_D),
		cmocka_unit_test(test_arrays_from_counts),
		cmocka_unit_test(test_null_is_absent),
		cmocka_unit_test(test_policies_two_factors),
		cmocka_unit_test(test_policies_uncontrolled_factor),
		cmocka_unit_test(test_control_fac_idx_given),
		cmocka_unit_test(test_control_fac_idx_refused),
		cmocka_unit_test(test_refuse_structure),
		cmocka_unit_test(test_refuse_shapes),
		cmocka_unit_test(test_refuse_values),
		cmocka_unit_test(test_normalisation_tolerance),
		cmocka_unit_test(test_E),
		cmocka_unit_test(test_refuse_policy_len),
		cmocka_unit_test(test_refuse_too_many_policies),
		cmocka_unit_test(test_refuse_choices),
		cmocka_unit_test(test_refuse_bools_and_numbers),
		cmocka_unit_test(test_refuse_unknown_option),
		cmocka_unit_test(test_refuse_learning),
		cmocka_unit_test(test_refuse_unsupported),
		cmocka_unit_test(test_refuse_too_large),
		cmocka_unit_test_setup_teardown(test_load_json_and_msgpack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_refusals, setup, teardown),
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_spec_refusals),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_random_seed),
		cmocka_unit_test(test_random_too_large),
		cmocka_unit_test(test_arrays_json),
		cmocka_unit_test(test_free_is_safe),
		cmocka_unit_test(test_refuse_zero_count_columns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
