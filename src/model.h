/*
 * model: the biofilm model file (DESIGN §3) and the layout of theta.
 *
 * A model is read from a JSON object with exactly the keys of DESIGN §3;
 * an unknown key, a missing required key, an ill-typed value or a list of
 * the wrong length is an error that names the key. Once loaded a model is
 * immutable and may be shared by threads. It keeps the JSON it came from,
 * so that programs can carry it in stream headers.
 *
 * State layout (length 2n+2): g = [phi_1..phi_n, phi_0, psi_1..psi_n, gamma].
 * Theta layout: the upper triangle of A row by row, then b:
 * a11 a12 .. a1n a22 .. ann b1 .. bn (length n(n+1)/2 + n).
 */
#ifndef BF_MODEL_H
#define BF_MODEL_H

#include <jansson.h>

#include "err.h"
#include "pack.h"

#define MODEL_MAX_SPECIES 32
#define MODEL_MAX_STATE (2 * MODEL_MAX_SPECIES + 2)
#define MODEL_MAX_THETA (MODEL_MAX_SPECIES * (MODEL_MAX_SPECIES + 1) / 2 + MODEL_MAX_SPECIES)
#define MODEL_MAX_STEPS 100000000

struct model {
	int species;            /* n */
	double dt;
	int steps;
	double eta[MODEL_MAX_SPECIES];
	double phi0[MODEL_MAX_SPECIES];
	double psi0, gamma0;
	double nutrients;       /* c*, constant */
	int antibiotics_after_step; /* alpha* = before for steps 1..K, after beyond */
	double antibiotics_before, antibiotics_after;
	double penalty;         /* Kp */
	double tolerance;       /* Newton, on max|Q| */
	int max_newton;
	int n_theta;
	char **names;           /* n_theta parameter names, theta order */
	json_t *json;           /* the model object as read (owned) */
};

/* Read a model file. On failure m is left empty (model_free is still safe). */
BF_RESULT int model_load(struct model *m, const char *path, struct err *e);

/* Build a model from a JSON object; `where` names it in messages. Takes a
 * new reference to obj. */
BF_RESULT int model_from_json(struct model *m, json_t *obj, const char *where, struct err *e);

void model_free(struct model *m);

static inline int model_state_size(const struct model *m) { return 2 * m->species + 2; }

/* n(n+1)/2 + n: the length of theta for n species. */
int model_theta_size(int species);

/* alpha* at time step k (k >= 1). */
double model_antibiotics(const struct model *m, int step);

/* Unpack theta into the symmetric n x n matrix A (row-major) and b. */
void model_unpack_theta(const struct model *m, const double *theta, double *A, double *b);

/* The initial state g_0 (DESIGN §1). */
void model_initial_state(const struct model *m, double *g);

/* The default name of a_ij (1 <= i <= j) or, for j = 0, of b_i, in a
 * model of n species: "a12", "b3"; "a10_11" when n > 9. */
void model_default_name(int n, int i, int j, char *buf, size_t size);

/* The index in theta of parameter `name`, or -1. */
int model_param_index(const struct model *m, const char *name);

/* Parse a comma-separated list of parameter names ("a11,b1"; "all";
 * "none" for no parameter) into ascending indices; out has room for
 * n_theta. An empty list, an unknown or repeated name is an error naming it;
 * `opt` names the option in messages. */
BF_RESULT int model_param_list(const struct model *m, const char *list, const char *opt, int *out, int *n,
			       struct err *e);

/* A header's "parameters" (the names in theta order) and "model" (the
 * model file as read) entries, for the streams computed from m. */
void model_pack_entries(struct pack_map *h, const struct model *m);

#endif
