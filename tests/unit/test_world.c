/*
 * Unit tests for world (src/aif/world.h): the closed loop's worlds, as
 * pymdp's TMazeEnv and GridWorldEnv build them, and the agent's own model
 * as a world.
 *
 * What is checked, each against values derived here and not read back
 * from the module:
 *   - world_init of "tmaze", "grid" (R x C) and "model" (the T-maze model
 *     of examples/agent, genmodel_load): the shapes, who owns the arrays
 *     (the model world shares the model's, and world_free leaves them to
 *     genmodel_free: valgrind would see a double free); an unknown name,
 *     "model" without a model, a bad grid size and a bad reward_prob are
 *     ERR_INPUT with messages naming what is wrong;
 *   - every column of A[m] (per joint state), of B[f][:, s, u] and D[f]
 *     is a distribution (to 1e-12: the entries are 0, 1, p, 1 - p, 1/n);
 *   - the T-maze's entries as man/agent.1 (WORLDS) describes them, for
 *     reward_prob 0.98 and 0.7: location observed exactly, reward p in
 *     the arm of the condition and loss p in the other, the cue at the
 *     cue location is the condition and a coin elsewhere, control u goes
 *     to location u, the condition never moves, start at the centre;
 *   - grid moves: from every cell of a 3 x 4 grid, UP RIGHT DOWN LEFT STAY
 *     lead where row/column arithmetic says (a move off the grid stays),
 *     in B (a single 1 in the column) and through world_step; the cell is
 *     observed exactly; 1 x 1 and 1 x 5 grids;
 *   - world_reset/world_step draw only from the rng given: the same key
 *     gives the same states and observations over 50 steps, another key
 *     another sequence somewhere within them (the keys are fixed, so this
 *     is not a matter of chance); the T-maze starts at the centre with
 *     location 0 and no reward observed, and over 400 keys each condition
 *     comes up 200 +- 5 sd (binomial) times; at the cue location the cue
 *     shows the condition, and in the arms (reward_prob 1, then 0) the
 *     reward and loss fall where the condition says;
 *   - world_check_model accepts the T-maze model for the T-maze world and
 *     refuses models of other shapes (modalities/factors, outcomes,
 *     states/controls), each with its documented message;
 *   - world_model_json gives A, B, C (zeros), D that genmodel_from_json
 *     accepts and that equal the world's arrays exactly.
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

#include "aif/genmodel.h"
#include "aif/world.h"
#include "rng.h"

#define TMAZE_MODEL "examples/agent/tmaze.json"

static const struct world_options default_options = {3, 3, 0.98};

static void init_ok(struct world *v, const char *name, const struct world_options *o, const struct genmodel *g)
{
	struct err e = {0};
	int rc = world_init(v, name, o, g, &e);
	if (rc)
		fail_msg("world_init %s: %d: %s", name, rc, e.msg);
}

static void load_tmaze_model(struct genmodel *g)
{
	struct err e = {0};
	if (genmodel_load(g, TMAZE_MODEL, &e))
		fail_msg("genmodel_load %s: %s", TMAZE_MODEL, e.msg);
}

static double A_at(const struct world *v, int m, int o, long s)
{
	return v->A[m][(long)o * v->n_joint + s];
}

static double B_at(const struct world *v, int f, int to, int from, int u)
{
	int ns = v->num_states[f];
	return v->B[f][((long)to * ns + from) * v->num_controls[f] + u];
}

/* ---- shapes and refusals ---- */

/* v's kind; its modalities' outcomes; its factors' states and controls;
 * its joint states; whether it owns its arrays. */
static void assert_shape(const struct world *v, int kind, int n_mod, const int *obs, int n_fac, const int *states,
			 const int *controls, long n_joint, int own)
{
	assert_int_equal(v->kind, kind);
	assert_int_equal(v->n_mod, n_mod);
	assert_int_equal(v->n_fac, n_fac);
	for (int m = 0; m < n_mod; m++)
		assert_int_equal(v->num_obs[m], obs[m]);
	for (int f = 0; f < n_fac; f++) {
		assert_int_equal(v->num_states[f], states[f]);
		assert_int_equal(v->num_controls[f], controls[f]);
	}
	assert_int_equal(v->n_joint, n_joint);
	assert_int_equal(v->own, own);
}

static void test_tmaze_shapes(void **state)
{
	(void)state;
	struct world v;

	init_ok(&v, "tmaze", &default_options, NULL);
	assert_shape(&v, WORLD_TMAZE, 3, (const int[]){4, 3, 2}, 2, (const int[]){4, 2}, (const int[]){4, 1}, 8, 1);
	world_free(&v);
	/* freed is zeroed: safe to free again */
	assert_int_equal(v.n_mod, 0);
	assert_null(v.A[0]);
	world_free(&v);
}

static void test_grid_shapes(void **state)
{
	(void)state;
	static const int shapes[][2] = {{3, 4}, {1, 1}, {1, 5}, {64, 64}};
	for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
		struct world v;
		struct world_options o = {shapes[k][0], shapes[k][1], 0.98};
		int n = shapes[k][0] * shapes[k][1];
		init_ok(&v, "grid", &o, NULL);
		assert_shape(&v, WORLD_GRID, 1, &n, 1, &n, (const int[]){5}, n, 1);
		world_free(&v);
	}
}

static void test_model_shapes(void **state)
{
	(void)state;
	struct genmodel g;
	struct world v;

	load_tmaze_model(&g);
	init_ok(&v, "model", &default_options, &g);
	/* the model's own arrays, not copies: world_free must leave them */
	assert_shape(&v, WORLD_MODEL, 3, g.num_obs, 2, g.num_states, g.num_controls, 8, 0);
	assert_int_equal(v.num_obs[1], 3);
	assert_int_equal(v.num_controls[0], 4);
	for (int m = 0; m < 3; m++)
		assert_ptr_equal(v.A[m], g.A[m]);
	for (int f = 0; f < 2; f++) {
		assert_ptr_equal(v.B[f], g.B[f]);
		assert_ptr_equal(v.D[f], g.D[f]);
	}
	world_free(&v);
	/* still the model's: readable, and freed once by genmodel_free */
	assert_true(g.A[0][0] == 1.0);
	genmodel_free(&g);
}

static void expect_refusal(const char *name, const struct world_options *o, const struct genmodel *g,
			   const char *want)
{
	struct world v;
	struct err e = {0};
	int rc = world_init(&v, name, o, g, &e);
	if (rc != ERR_INPUT)
		fail_msg("world_init %s: %d, want ERR_INPUT (%s)", name, rc, e.msg);
	if (!strstr(e.msg, want))
		fail_msg("world_init %s: message '%s' lacks '%s'", name, e.msg, want);
	world_free(&v); /* zeroed or empty: harmless */
}

static void test_refusals(void **state)
{
	(void)state;
	struct world_options o = default_options;

	expect_refusal("maze", &o, NULL, "unknown environment 'maze' (tmaze, grid or model)");
	expect_refusal("", &o, NULL, "unknown environment ''");
	expect_refusal("TMAZE", &o, NULL, "unknown environment 'TMAZE'");
	expect_refusal("model", &o, NULL, "'--env model' needs a model (-m)");
	o.rows = 0;
	expect_refusal("grid", &o, NULL, "'--grid' must be ROWSxCOLS with at most 4096 cells");
	o.rows = 3;
	o.cols = -1;
	expect_refusal("grid", &o, NULL, "'--grid'");
	o.rows = 64;
	o.cols = 65; /* 4160 cells */
	expect_refusal("grid", &o, NULL, "at most 4096 cells");
	o = default_options;
	o.reward_prob = 1.5;
	expect_refusal("tmaze", &o, NULL, "'--reward-prob' must be in [0, 1]");
	o.reward_prob = -0.01;
	expect_refusal("tmaze", &o, NULL, "'--reward-prob'");
	o.reward_prob = NAN;
	expect_refusal("tmaze", &o, NULL, "'--reward-prob'");
	/* the ends of the range are fine */
	struct world v;
	o.reward_prob = 0;
	init_ok(&v, "tmaze", &o, NULL);
	world_free(&v);
	o.reward_prob = 1;
	init_ok(&v, "tmaze", &o, NULL);
	world_free(&v);
}

/* ---- the arrays ---- */

/* The world's A, B and D are the model's: A to within tol, B and D
 * exactly (over the model's shapes). */
static void assert_arrays_are_model(const struct world *v, const struct genmodel *g, double tol)
{
	for (int m = 0; m < g->n_mod; m++)
		for (long i = 0; i < (long)g->num_obs[m] * g->n_joint; i++)
			if (!(fabs(v->A[m][i] - g->A[m][i]) <= tol))
				fail_msg("A[%d] flat %ld: world %.17g, model %.17g", m, i, v->A[m][i], g->A[m][i]);
	for (int f = 0; f < g->n_fac; f++) {
		for (long i = 0; i < (long)g->num_states[f] * g->num_states[f] * g->num_controls[f]; i++)
			assert_true(v->B[f][i] == g->B[f][i]);
		for (int s = 0; s < g->num_states[f]; s++)
			assert_true(v->D[f][s] == g->D[f][s]);
	}
}

/* Every column of A, B and D is a distribution: non-negative, sum 1. */
static void check_columns(const struct world *v, const char *what)
{
	for (int m = 0; m < v->n_mod; m++)
		for (long s = 0; s < v->n_joint; s++) {
			double sum = 0;
			for (int o = 0; o < v->num_obs[m]; o++) {
				double x = A_at(v, m, o, s);
				if (!(x >= 0))
					fail_msg("%s: A[%d][%d, %ld] = %g", what, m, o, s, x);
				sum += x;
			}
			if (!(fabs(sum - 1) <= 1e-12))
				fail_msg("%s: A[%d] column %ld sums to %.17g", what, m, s, sum);
		}
	for (int f = 0; f < v->n_fac; f++) {
		int ns = v->num_states[f];
		for (int from = 0; from < ns; from++)
			for (int u = 0; u < v->num_controls[f]; u++) {
				double sum = 0;
				for (int to = 0; to < ns; to++) {
					double x = B_at(v, f, to, from, u);
					if (!(x >= 0))
						fail_msg("%s: B[%d][%d, %d, %d] = %g", what, f, to, from, u, x);
					sum += x;
				}
				if (!(fabs(sum - 1) <= 1e-12))
					fail_msg("%s: B[%d][:, %d, %d] sums to %.17g", what, f, from, u, sum);
			}
		double sum = 0;
		for (int s = 0; s < ns; s++) {
			assert_true(v->D[f][s] >= 0);
			sum += v->D[f][s];
		}
		if (!(fabs(sum - 1) <= 1e-12))
			fail_msg("%s: D[%d] sums to %.17g", what, f, sum);
	}
}

static void test_columns_sum_to_one(void **state)
{
	(void)state;
	struct world v;
	struct world_options o = default_options;
	struct genmodel g;

	init_ok(&v, "tmaze", &o, NULL);
	check_columns(&v, "tmaze 0.98");
	world_free(&v);
	o.reward_prob = 0.7;
	init_ok(&v, "tmaze", &o, NULL);
	check_columns(&v, "tmaze 0.7");
	world_free(&v);
	o.rows = 3;
	o.cols = 4;
	init_ok(&v, "grid", &o, NULL);
	check_columns(&v, "grid 3x4");
	world_free(&v);
	o.rows = 1;
	o.cols = 1;
	init_ok(&v, "grid", &o, NULL);
	check_columns(&v, "grid 1x1");
	world_free(&v);
	load_tmaze_model(&g);
	init_ok(&v, "model", &o, &g);
	check_columns(&v, "model tmaze.json");
	world_free(&v);
	genmodel_free(&g);
}

/* The T-maze as man/agent.1 (WORLDS) tells it: joint state s = loc * 2 +
 * condition; the condition's arm is 1 (right) for 0 and 2 (left) for 1. */
static void check_tmaze_entries(double p)
{
	struct world v;
	struct world_options o = {3, 3, p};

	init_ok(&v, "tmaze", &o, NULL);
	for (int loc = 0; loc < 4; loc++)
		for (int c = 0; c < 2; c++) {
			long s = loc * 2 + c;
			for (int k = 0; k < 4; k++)
				assert_true(A_at(&v, 0, k, s) == (k == loc ? 1.0 : 0.0));
			double want_reward[3];
			if (loc == 0 || loc == 3) {
				want_reward[0] = 1;
				want_reward[1] = want_reward[2] = 0;
			} else if (loc == c + 1) {
				want_reward[0] = 0;
				want_reward[1] = p;
				want_reward[2] = 1 - p;
			} else {
				want_reward[0] = 0;
				want_reward[1] = 1 - p;
				want_reward[2] = p;
			}
			for (int k = 0; k < 3; k++)
				if (A_at(&v, 1, k, s) != want_reward[k])
					fail_msg("p %g: reward A[1][%d, loc %d, cond %d] = %.17g, want %.17g", p, k,
						 loc, c, A_at(&v, 1, k, s), want_reward[k]);
			for (int k = 0; k < 2; k++) {
				double want = loc == 3 ? (k == c ? 1.0 : 0.0) : 0.5;
				if (A_at(&v, 2, k, s) != want)
					fail_msg("p %g: cue A[2][%d, loc %d, cond %d] = %g, want %g", p, k, loc, c,
						 A_at(&v, 2, k, s), want);
			}
		}
	for (int from = 0; from < 4; from++)
		for (int u = 0; u < 4; u++)
			for (int to = 0; to < 4; to++)
				assert_true(B_at(&v, 0, to, from, u) == (to == u ? 1.0 : 0.0));
	for (int from = 0; from < 2; from++)
		for (int to = 0; to < 2; to++)
			assert_true(B_at(&v, 1, to, from, 0) == (to == from ? 1.0 : 0.0));
	assert_true(v.D[0][0] == 1 && v.D[0][1] == 0 && v.D[0][2] == 0 && v.D[0][3] == 0);
	assert_true(v.D[1][0] == 0.5 && v.D[1][1] == 0.5);
	world_free(&v);
}

static void test_tmaze_entries(void **state)
{
	(void)state;
	check_tmaze_entries(0.98);
	check_tmaze_entries(0.7);
}

/* The built-in T-maze is the example model's A, B and D exactly. */
static void test_tmaze_is_example_model(void **state)
{
	(void)state;
	struct world v;
	struct genmodel g;

	load_tmaze_model(&g);
	init_ok(&v, "tmaze", &default_options, NULL);
	assert_arrays_are_model(&v, &g, 1e-15); /* 1 - 0.98 is not 0.02 to the last bit */
	world_free(&v);
	genmodel_free(&g);
}

/* ---- grid moves ---- */

enum { UP, RIGHT, DOWN, LEFT, STAY };

/* Where control u takes the agent from cell s of a rows x cols grid. */
static int grid_next(int rows, int cols, int s, int u)
{
	int y = s / cols, x = s % cols;
	switch (u) {
	case UP: y = y > 0 ? y - 1 : y; break;
	case RIGHT: x = x < cols - 1 ? x + 1 : x; break;
	case DOWN: y = y < rows - 1 ? y + 1 : y; break;
	case LEFT: x = x > 0 ? x - 1 : x; break;
	default: break;
	}
	return y * cols + x;
}

static void check_grid_moves(int rows, int cols)
{
	struct world v;
	struct world_options o = {rows, cols, 0.98};
	struct rng r;
	int n = rows * cols, obs[1];

	init_ok(&v, "grid", &o, NULL);
	rng_init(&r, 11);
	for (int s = 0; s < n; s++) {
		for (int to = 0; to < n; to++)
			assert_true(A_at(&v, 0, to, s) == (to == s ? 1.0 : 0.0));
		assert_true(v.D[0][s] == 1.0 / n);
		for (int u = 0; u < 5; u++) {
			int want = grid_next(rows, cols, s, u);
			for (int to = 0; to < n; to++)
				if (B_at(&v, 0, to, s, u) != (to == want ? 1.0 : 0.0))
					fail_msg("%dx%d: B[%d, %d, %d] = %g, want the move to %d", rows, cols, to, s, u,
						 B_at(&v, 0, to, s, u), want);
			/* and the world takes it */
			v.state[0] = s;
			world_step(&v, &u, &r, obs);
			if (v.state[0] != want || obs[0] != want)
				fail_msg("%dx%d: control %d from cell %d: state %d, obs %d, want %d", rows, cols, u, s,
					 v.state[0], obs[0], want);
		}
	}
	world_free(&v);
}

static void test_grid_moves(void **state)
{
	(void)state;
	/* spot checks by hand on 3 x 4: cell = row * 4 + column */
	assert_int_equal(grid_next(3, 4, 0, UP), 0);
	assert_int_equal(grid_next(3, 4, 0, LEFT), 0);
	assert_int_equal(grid_next(3, 4, 0, RIGHT), 1);
	assert_int_equal(grid_next(3, 4, 0, DOWN), 4);
	assert_int_equal(grid_next(3, 4, 5, UP), 1);
	assert_int_equal(grid_next(3, 4, 11, RIGHT), 11);
	assert_int_equal(grid_next(3, 4, 11, DOWN), 11);
	assert_int_equal(grid_next(3, 4, 7, RIGHT), 7);
	assert_int_equal(grid_next(3, 4, 8, LEFT), 8);
	assert_int_equal(grid_next(3, 4, 6, STAY), 6);
	check_grid_moves(3, 4);
	check_grid_moves(1, 1);
	check_grid_moves(1, 5);
	check_grid_moves(4, 1);
}

/* ---- drawing from the rng given ---- */

/* 50 steps with controls cycling; states and observations into
 * obs_out[t][m] and state_out[t][f] (t = 0 is the reset). */
#define RUN_STEPS 50
static void run_world(struct world *v, uint64_t key, int obs_out[RUN_STEPS + 1][3],
		      int state_out[RUN_STEPS + 1][2])
{
	struct rng r;
	int obs[3] = {-1, -1, -1};

	rng_init(&r, key);
	world_reset(v, &r, obs);
	memcpy(obs_out[0], obs, sizeof obs);
	memcpy(state_out[0], v->state, sizeof(int) * 2);
	for (int t = 1; t <= RUN_STEPS; t++) {
		int a[2] = {(t * 7) % v->num_controls[0], 0};
		world_step(v, a, &r, obs);
		memcpy(obs_out[t], obs, sizeof obs);
		memcpy(state_out[t], v->state, sizeof(int) * 2);
	}
}

static void check_keyed(const char *name, const struct world_options *o)
{
	struct world v;
	int o1[RUN_STEPS + 1][3], o2[RUN_STEPS + 1][3], o3[RUN_STEPS + 1][3];
	int s1[RUN_STEPS + 1][2], s2[RUN_STEPS + 1][2], s3[RUN_STEPS + 1][2];

	memset(o1, 0, sizeof o1);
	memset(o2, 0, sizeof o2);
	memset(o3, 0, sizeof o3);
	memset(s1, 0, sizeof s1);
	memset(s2, 0, sizeof s2);
	memset(s3, 0, sizeof s3);
	init_ok(&v, name, o, NULL);
	run_world(&v, 42, o1, s1);
	/* other draws in between (another world's) change nothing */
	struct rng other;
	rng_init(&other, 99);
	for (int k = 0; k < 17; k++)
		(void)rng_next(&other);
	run_world(&v, 42, o2, s2);
	run_world(&v, 43, o3, s3);
	int differs = 0;
	for (int t = 0; t <= RUN_STEPS; t++) {
		for (int m = 0; m < v.n_mod; m++) {
			if (o1[t][m] != o2[t][m])
				fail_msg("%s: the same key gave obs[%d] %d then %d at step %d", name, m, o1[t][m],
					 o2[t][m], t);
			assert_true(o1[t][m] >= 0 && o1[t][m] < v.num_obs[m]);
			differs |= o1[t][m] != o3[t][m];
		}
		for (int f = 0; f < v.n_fac; f++) {
			assert_int_equal(s1[t][f], s2[t][f]);
			differs |= s1[t][f] != s3[t][f];
		}
	}
	if (!differs)
		fail_msg("%s: keys 42 and 43 gave the same 50 steps", name);
	world_free(&v);
}

static void test_reset_step_keyed(void **state)
{
	(void)state;
	struct world_options grid = {4, 4, 0.98};
	check_keyed("tmaze", &default_options);
	check_keyed("grid", &grid);
}

/* The T-maze starts at the centre, location 0 and no reward observed; the
 * condition is a fair coin; the cue location shows it; the arms reward or
 * punish as the condition says. */
static void test_tmaze_episode(void **state)
{
	(void)state;
	struct world v;
	struct world_options o = {3, 3, 1.0};
	int count[2] = {0, 0}, obs[3];

	init_ok(&v, "tmaze", &o, NULL);
	for (uint64_t key = 0; key < 400; key++) {
		struct rng r;
		rng_init(&r, rng_key(1234, key));
		world_reset(&v, &r, obs);
		assert_int_equal(v.state[0], 0);
		assert_int_equal(obs[0], 0);
		assert_int_equal(obs[1], 0);
		assert_true(v.state[1] == 0 || v.state[1] == 1);
		count[v.state[1]]++;
		int c = v.state[1];
		/* to the cue: the cue is the condition */
		int a[2] = {3, 0};
		world_step(&v, a, &r, obs);
		assert_int_equal(v.state[0], 3);
		assert_int_equal(v.state[1], c);
		assert_int_equal(obs[0], 3);
		assert_int_equal(obs[1], 0);
		assert_int_equal(obs[2], c);
		/* to the condition's arm: reward (reward_prob 1) */
		a[0] = c + 1;
		world_step(&v, a, &r, obs);
		assert_int_equal(obs[0], c + 1);
		assert_int_equal(obs[1], 1);
		/* to the other arm: loss */
		a[0] = 2 - c;
		world_step(&v, a, &r, obs);
		assert_int_equal(obs[0], 2 - c);
		assert_int_equal(obs[1], 2);
		assert_int_equal(v.state[1], c);
		/* back to the centre: nothing */
		a[0] = 0;
		world_step(&v, a, &r, obs);
		assert_int_equal(obs[0], 0);
		assert_int_equal(obs[1], 0);
	}
	/* binomial(400, 1/2): sd 10 */
	if (abs(count[0] - 200) > 50)
		fail_msg("condition 0 drawn %d times in 400", count[0]);
	world_free(&v);
	/* reward_prob 0: the condition's arm always punishes */
	o.reward_prob = 0;
	init_ok(&v, "tmaze", &o, NULL);
	for (uint64_t key = 0; key < 20; key++) {
		struct rng r;
		rng_init(&r, key);
		world_reset(&v, &r, obs);
		int a[2] = {v.state[1] + 1, 0};
		world_step(&v, a, &r, obs);
		assert_int_equal(obs[1], 2);
		a[0] = 2 - v.state[1];
		world_step(&v, a, &r, obs);
		assert_int_equal(obs[1], 1);
	}
	world_free(&v);
}

/* The model as the world: starts from D (the centre), moves under B. */
static void test_model_world_steps(void **state)
{
	(void)state;
	struct genmodel g;
	struct world v;
	struct rng r;
	int obs[3];

	load_tmaze_model(&g);
	init_ok(&v, "model", &default_options, &g);
	rng_init(&r, 5);
	for (int k = 0; k < 20; k++) {
		world_reset(&v, &r, obs);
		assert_int_equal(v.state[0], 0);
		assert_int_equal(obs[0], 0);
		for (int u = 0; u < 4; u++) {
			int a[2] = {(u + k) % 4, 0};
			int c = v.state[1];
			world_step(&v, a, &r, obs);
			assert_int_equal(v.state[0], a[0]);
			assert_int_equal(obs[0], a[0]);
			assert_int_equal(v.state[1], c);
			if (a[0] == 3)
				assert_int_equal(obs[2], c);
		}
	}
	world_free(&v);
	genmodel_free(&g);
}

/* ---- the model check ---- */

static void model_from_world(struct genmodel *g, const char *name, const struct world_options *o)
{
	struct world v;
	struct err e = {0};
	json_t *j = NULL;

	init_ok(&v, name, o, NULL);
	if (world_model_json(&v, &j, &e))
		fail_msg("world_model_json: %s", e.msg);
	if (genmodel_from_json(g, j, name, &e))
		fail_msg("genmodel_from_json: %s", e.msg);
	json_decref(j);
	world_free(&v);
}

/* A random model of the spec (genmodel_spec_parse's). */
static void random_model(struct genmodel *g, const char *spec)
{
	struct genmodel_spec sp;
	struct err e = {0};
	json_t *j = NULL;

	assert_int_equal(genmodel_spec_parse(spec, &sp, &e), 0);
	assert_int_equal(genmodel_random_json(&sp, &j, &e), 0);
	assert_int_equal(genmodel_from_json(g, j, "random", &e), 0);
	json_decref(j);
}

static void expect_check_refusal(const struct world *v, const struct genmodel *g, const char *want)
{
	struct err e = {0};
	int rc = world_check_model(v, g, "m.json", &e);
	if (rc != ERR_INPUT)
		fail_msg("world_check_model: %d, want ERR_INPUT", rc);
	if (strcmp(e.msg, want))
		fail_msg("world_check_model: '%s', want '%s'", e.msg, want);
}

static void test_check_model(void **state)
{
	(void)state;
	struct world tmaze, grid;
	struct genmodel g, g22, gr;
	struct world_options o = {3, 3, 0.98}, o22 = {2, 2, 0.98};
	struct err e = {0};

	load_tmaze_model(&g);
	init_ok(&tmaze, "tmaze", &o, NULL);
	init_ok(&grid, "grid", &o, NULL);
	assert_int_equal(world_check_model(&tmaze, &g, "m.json", &e), 0);
	/* the grid's own model */
	model_from_world(&g22, "grid", &o22);
	assert_int_equal(world_check_model(&grid, &g22, "m.json", &e), ERR_INPUT);
	expect_check_refusal(&grid, &g22, "m.json: modality 0 has 9 outcomes in the 'grid' world, 4 in the model");
	expect_check_refusal(&grid, &g, "m.json: the 'grid' world has 1 modalities and 1 factors, the model 3 and 2");
	expect_check_refusal(&tmaze, &g22,
			     "m.json: the 'tmaze' world has 3 modalities and 2 factors, the model 1 and 1");
	/* the T-maze's outcomes and states, other controls */
	random_model(&gr, "obs=4:3:2,states=4:2,controls=3:1");
	expect_check_refusal(&tmaze, &gr,
			     "m.json: factor 0 has 4 states and 4 controls in the 'tmaze' world, 4 and 3 in the model");
	genmodel_free(&gr);
	/* other states of the second factor */
	random_model(&gr, "obs=4:3:2,states=4:3,controls=4:1");
	expect_check_refusal(&tmaze, &gr,
			     "m.json: factor 1 has 2 states and 1 controls in the 'tmaze' world, 3 and 1 in the model");
	genmodel_free(&gr);
	/* other outcomes of the last modality */
	random_model(&gr, "obs=4:3:3,states=4:2,controls=4:1");
	expect_check_refusal(&tmaze, &gr, "m.json: modality 2 has 2 outcomes in the 'tmaze' world, 3 in the model");
	genmodel_free(&gr);
	/* the model world fits its own model */
	struct world mw;
	init_ok(&mw, "model", &o, &g22);
	assert_int_equal(world_check_model(&mw, &g22, "m.json", &e), 0);
	expect_check_refusal(&mw, &g, "m.json: the 'model' world has 1 modalities and 1 factors, the model 3 and 2");
	world_free(&mw);
	genmodel_free(&g22);
	genmodel_free(&g);
	world_free(&grid);
	world_free(&tmaze);
}

/* ---- the world as a model file ---- */

static void check_model_json(const char *name, const struct world_options *o, const struct genmodel *src)
{
	struct world v;
	struct genmodel g;
	struct err e = {0};
	json_t *j = NULL;

	init_ok(&v, name, o, src);
	if (world_model_json(&v, &j, &e))
		fail_msg("%s: world_model_json: %s", name, e.msg);
	assert_true(json_is_object(j));
	/* A, B, C, D, as the man page says; C zeros */
	assert_non_null(json_object_get(j, "A"));
	assert_non_null(json_object_get(j, "B"));
	assert_non_null(json_object_get(j, "D"));
	json_t *C = json_object_get(j, "C");
	assert_true(json_is_array(C));
	assert_int_equal(json_array_size(C), (size_t)v.n_mod);
	for (int m = 0; m < v.n_mod; m++) {
		json_t *cm = json_array_get(C, (size_t)m);
		assert_int_equal(json_array_size(cm), (size_t)v.num_obs[m]);
		for (int k = 0; k < v.num_obs[m]; k++)
			assert_true(json_number_value(json_array_get(cm, (size_t)k)) == 0);
	}
	if (genmodel_from_json(&g, j, name, &e))
		fail_msg("%s: genmodel_from_json refuses world_model_json's model: %s", name, e.msg);
	assert_int_equal(g.n_mod, v.n_mod);
	assert_int_equal(g.n_fac, v.n_fac);
	assert_int_equal(g.n_joint, v.n_joint);
	for (int m = 0; m < v.n_mod; m++) {
		assert_int_equal(g.num_obs[m], v.num_obs[m]);
		for (int k = 0; k < v.num_obs[m]; k++)
			assert_true(g.C[m][k] == 0);
	}
	for (int f = 0; f < v.n_fac; f++) {
		assert_int_equal(g.num_states[f], v.num_states[f]);
		assert_int_equal(g.num_controls[f], v.num_controls[f]);
	}
	assert_arrays_are_model(&v, &g, 0);
	/* and the world fits it */
	assert_int_equal(world_check_model(&v, &g, name, &e), 0);
	genmodel_free(&g);
	json_decref(j);
	world_free(&v);
}

static void test_model_json(void **state)
{
	(void)state;
	struct world_options o = {3, 3, 0.98}, o2 = {2, 5, 0.6};
	struct genmodel g;

	check_model_json("tmaze", &o, NULL);
	check_model_json("tmaze", &o2, NULL);
	check_model_json("grid", &o, NULL);
	check_model_json("grid", &o2, NULL);
	load_tmaze_model(&g);
	check_model_json("model", &o, &g);
	genmodel_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmaze_shapes),
		cmocka_unit_test(test_grid_shapes),
		cmocka_unit_test(test_model_shapes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_columns_sum_to_one),
		cmocka_unit_test(test_tmaze_entries),
		cmocka_unit_test(test_tmaze_is_example_model),
		cmocka_unit_test(test_grid_moves),
		cmocka_unit_test(test_reset_step_keyed),
		cmocka_unit_test(test_tmaze_episode),
		cmocka_unit_test(test_model_world_steps),
		cmocka_unit_test(test_check_model),
		cmocka_unit_test(test_model_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
