/*
 * world: the T-maze, the grid world and the model-as-world, as generative
 * processes (see world.h). The T-maze's and grid's arrays are built exactly
 * as pymdp's TMazeEnv._construct_likelihood_dist/_construct_transition_dist
 * and GridWorldEnv.get_likelihood_dist/get_transition_dist build theirs.
 */
#include "aif/world.h"

#include <stdlib.h>
#include <string.h>

enum { T_LOC, T_COND };           /* T-maze factors */
enum { T_OBS_LOC, T_OBS_REWARD, T_OBS_CUE };
enum { UP, RIGHT, DOWN, LEFT, STAY };

static int alloc_arrays(struct world *v, struct err *e)
{
	v->own = 1;
	v->n_joint = 1;
	for (int f = 0; f < v->n_fac; f++)
		v->n_joint *= v->num_states[f];
	for (int m = 0; m < v->n_mod; m++)
		if (!(v->A[m] = calloc((size_t)v->num_obs[m] * (size_t)v->n_joint, sizeof(double))))
			return err_set(e, ERR_NOMEM, "out of memory");
	for (int f = 0; f < v->n_fac; f++) {
		int ns = v->num_states[f];
		if (!(v->B[f] = calloc((size_t)ns * (size_t)ns * (size_t)v->num_controls[f], sizeof(double))) ||
		    !(v->D[f] = calloc((size_t)ns, sizeof(double))))
			return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

static double *at_A(struct world *v, int m, int o, long s)
{
	return v->A[m] + (long)o * v->n_joint + s;
}

static double *at_B(struct world *v, int f, int to, int from, int u)
{
	int ns = v->num_states[f];
	return v->B[f] + ((long)to * ns + from) * v->num_controls[f] + u;
}

static int build_tmaze(struct world *v, double p, struct err *e)
{
	int rc;

	v->n_fac = 2;
	v->num_states[T_LOC] = 4;
	v->num_states[T_COND] = 2;
	v->num_controls[T_LOC] = 4;
	v->num_controls[T_COND] = 1;
	v->n_mod = 3;
	v->num_obs[T_OBS_LOC] = 4;
	v->num_obs[T_OBS_REWARD] = 3;
	v->num_obs[T_OBS_CUE] = 2;
	if ((rc = alloc_arrays(v, e)))
		return rc;
	for (int loc = 0; loc < 4; loc++)
		for (int c = 0; c < 2; c++) {
			long s = loc * 2 + c;
			if (loc == 0 || loc == 3) {
				*at_A(v, T_OBS_REWARD, 0, s) = 1.0; /* no reward at the centre and the cue */
				if (loc == 0)
					*at_A(v, T_OBS_CUE, 0, s) = *at_A(v, T_OBS_CUE, 1, s) = 0.5;
				else
					*at_A(v, T_OBS_CUE, c, s) = 1.0; /* the cue tells the condition */
			} else {
				int high = loc == c + 1 ? 1 : 2; /* reward where the condition says, else loss */
				*at_A(v, T_OBS_REWARD, high, s) = p;
				*at_A(v, T_OBS_REWARD, 3 - high, s) = 1.0 - p;
				*at_A(v, T_OBS_CUE, 0, s) = *at_A(v, T_OBS_CUE, 1, s) = 0.5;
			}
			*at_A(v, T_OBS_LOC, loc, s) = 1.0;
		}
	for (int from = 0; from < 4; from++)
		for (int u = 0; u < 4; u++)
			*at_B(v, T_LOC, u, from, u) = 1.0; /* action u goes to location u */
	*at_B(v, T_COND, 0, 0, 0) = *at_B(v, T_COND, 1, 1, 0) = 1.0;
	v->D[T_LOC][0] = 1.0;
	v->D[T_COND][0] = v->D[T_COND][1] = 0.5;
	return 0;
}

static int build_grid(struct world *v, int rows, int cols, struct err *e)
{
	int n = rows * cols, rc;

	v->n_fac = v->n_mod = 1;
	v->num_states[0] = v->num_obs[0] = n;
	v->num_controls[0] = 5;
	if ((rc = alloc_arrays(v, e)))
		return rc;
	for (int s = 0; s < n; s++) {
		int y = s / cols, x = s % cols;
		int next[5] = {y == 0 ? s : s - cols, x == cols - 1 ? s : s + 1, y == rows - 1 ? s : s + cols,
			       x == 0 ? s : s - 1, s};
		for (int u = 0; u < 5; u++)
			*at_B(v, 0, next[u], s, u) = 1.0;
		*at_A(v, 0, s, s) = 1.0;
		v->D[0][s] = 1.0 / n;
	}
	return 0;
}

int world_init(struct world *v, const char *name, const struct world_options *o, const struct genmodel *g,
	     struct err *e)
{
	int rc;

	memset(v, 0, sizeof *v);
	if (!strcmp(name, "tmaze")) {
		v->kind = WORLD_TMAZE;
		if (!(o->reward_prob >= 0 && o->reward_prob <= 1))
			return err_set(e, ERR_INPUT, "'--reward-prob' must be in [0, 1]");
		rc = build_tmaze(v, o->reward_prob, e);
	} else if (!strcmp(name, "grid")) {
		v->kind = WORLD_GRID;
		if (o->rows < 1 || o->cols < 1 || (long)o->rows * o->cols > GENMODEL_MAX_LEVELS)
			return err_set(e, ERR_INPUT, "'--grid' must be ROWSxCOLS with at most %d cells", GENMODEL_MAX_LEVELS);
		rc = build_grid(v, o->rows, o->cols, e);
	} else if (!strcmp(name, "model")) {
		if (!g)
			return err_set(e, ERR_INPUT, "'--env model' needs a model (-m)");
		v->kind = WORLD_MODEL;
		v->n_mod = g->n_mod;
		v->n_fac = g->n_fac;
		v->n_joint = g->n_joint;
		memcpy(v->num_obs, g->num_obs, sizeof v->num_obs);
		memcpy(v->num_states, g->num_states, sizeof v->num_states);
		memcpy(v->num_controls, g->num_controls, sizeof v->num_controls);
		memcpy(v->A, g->A, sizeof v->A);
		memcpy(v->B, g->B, sizeof v->B);
		memcpy(v->D, g->D, sizeof v->D);
		return 0;
	} else {
		return err_set(e, ERR_INPUT, "unknown environment '%s' (tmaze, grid or model)", name);
	}
	if (rc)
		world_free(v);
	return rc;
}

void world_free(struct world *v)
{
	if (v->own) {
		for (int m = 0; m < v->n_mod; m++)
			free(v->A[m]);
		for (int f = 0; f < v->n_fac; f++) {
			free(v->B[f]);
			free(v->D[f]);
		}
	}
	memset(v, 0, sizeof *v);
}

int world_check_model(const struct world *v, const struct genmodel *g, const char *where, struct err *e)
{
	const char *name = v->kind == WORLD_TMAZE ? "tmaze" : v->kind == WORLD_GRID ? "grid" : "model";

	if (g->n_mod != v->n_mod || g->n_fac != v->n_fac)
		return err_set(e, ERR_INPUT, "%s: the '%s' world has %d modalities and %d factors, the model %d and %d",
			       where, name, v->n_mod, v->n_fac, g->n_mod, g->n_fac);
	for (int m = 0; m < v->n_mod; m++)
		if (g->num_obs[m] != v->num_obs[m])
			return err_set(e, ERR_INPUT, "%s: modality %d has %d outcomes in the '%s' world, %d in the model",
				       where, m, v->num_obs[m], name, g->num_obs[m]);
	for (int f = 0; f < v->n_fac; f++)
		if (g->num_states[f] != v->num_states[f] || g->num_controls[f] != v->num_controls[f])
			return err_set(e, ERR_INPUT,
				       "%s: factor %d has %d states and %d controls in the '%s' world, %d and %d in the model",
				       where, f, v->num_states[f], v->num_controls[f], name, g->num_states[f],
				       g->num_controls[f]);
	return 0;
}

static void observe(struct world *v, struct rng *r, int *obs)
{
	long s = 0;
	double p[GENMODEL_MAX_LEVELS];

	for (int f = 0; f < v->n_fac; f++)
		s = s * v->num_states[f] + v->state[f];
	for (int m = 0; m < v->n_mod; m++) {
		for (int o = 0; o < v->num_obs[m]; o++)
			p[o] = v->A[m][(long)o * v->n_joint + s];
		obs[m] = rng_categorical(r, p, v->num_obs[m]);
	}
}

void world_reset(struct world *v, struct rng *r, int *obs)
{
	for (int f = 0; f < v->n_fac; f++)
		v->state[f] = rng_categorical(r, v->D[f], v->num_states[f]);
	observe(v, r, obs);
}

void world_step(struct world *v, const int *action, struct rng *r, int *obs)
{
	double p[GENMODEL_MAX_LEVELS];

	for (int f = 0; f < v->n_fac; f++) {
		int ns = v->num_states[f], nc = v->num_controls[f];
		for (int i = 0; i < ns; i++)
			p[i] = v->B[f][((long)i * ns + v->state[f]) * nc + action[f]];
		v->state[f] = rng_categorical(r, p, ns);
	}
	observe(v, r, obs);
}

int world_model_json(const struct world *v, json_t **out, struct err *e)
{
	return genmodel_arrays_json(v->n_mod, v->num_obs, v->A, v->n_fac, v->num_states, v->num_controls, v->B, v->D,
				    out, e);
}
