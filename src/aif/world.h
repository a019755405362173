/*
 * world: worlds for a closed loop, as pymdp's environments are: a generative
 * process with its own true A and B, a hidden state, an initial state rule.
 *
 *   tmaze  pymdp's TMazeEnv: location (centre, right arm, left arm, cue) x
 *          reward condition; observations location, reward (none, reward,
 *          loss), cue; the agent starts at the centre and the condition is
 *          drawn at reset; reward_prob in the rewarded arm (0.98).
 *   grid   pymdp's GridWorldEnv: rows x cols cells, actions UP RIGHT DOWN
 *          LEFT STAY, the cell observed exactly, start drawn uniformly.
 *   model  the agent's own generative model as the world, start from D.
 *
 * Each step: the state moves under B[f][:, s_f, a_f], then each modality
 * is drawn from A[m][:, s]; every draw is from the rng the caller passes,
 * so an episode depends only on its key.
 */
#ifndef BF_WORLD_H
#define BF_WORLD_H
#include <jansson.h>
#include "err.h"
#include "aif/genmodel.h"
#include "rng.h"

enum world_kind { WORLD_TMAZE, WORLD_GRID, WORLD_MODEL };

struct world_options {
	int rows, cols;       /* grid */
	double reward_prob;   /* tmaze */
};

struct world {
	int kind;
	int n_mod, n_fac;
	int num_obs[GENMODEL_MAX_MODALITIES], num_states[GENMODEL_MAX_FACTORS], num_controls[GENMODEL_MAX_FACTORS];
	long n_joint;
	double *A[GENMODEL_MAX_MODALITIES], *B[GENMODEL_MAX_FACTORS], *D[GENMODEL_MAX_FACTORS];
	int own;              /* the arrays are ours (tmaze, grid), not the model's */
	int state[GENMODEL_MAX_FACTORS];
};

/* name: "tmaze", "grid" or "model" (which needs g). */
BF_RESULT int world_init(struct world *v, const char *name, const struct world_options *o, const struct genmodel *g,
		       struct err *e);
void world_free(struct world *v);
/* The agent's model must have the world's shapes. */
BF_RESULT int world_check_model(const struct world *v, const struct genmodel *g, const char *where, struct err *e);
/* Draw the initial state, then the first observation. */
void world_reset(struct world *v, struct rng *r, int *obs);
/* Move under the actions, then observe. */
void world_step(struct world *v, const int *action, struct rng *r, int *obs);
/* The world as a generative-model file (A, B, C zero, D its start). */
BF_RESULT int world_model_json(const struct world *v, json_t **out, struct err *e);
#endif
