/*
 * trajectory: the records `solve` writes (DESIGN §3): trajectories of the
 * state or of the observables phibar_i = phi_i psi_i, and synthetic data.
 *
 * Synthetic data (DESIGN §1): phibar at `points` steps evenly spaced from
 * 5% of the run to its end (k_j = floor(s0 + j (steps - s0)/(points-1)),
 * s0 = floor(0.05 steps), the last exactly `steps`, as the reference code
 * and the golden files do), plus N(0, noise^2). With aleatory > 0 each point
 * comes from its own run with theta_p ~ N(theta_p, (aleatory theta_p)^2),
 * as the paper does. Random numbers come from streams keyed by the caller's
 * key (seed and record id), then the point and the purpose.
 */
#ifndef BF_TRAJECTORY_H
#define BF_TRAJECTORY_H

#include <msgpack.h>
#include <stdint.h>

#include "pack.h"
#include "solver.h"

/* The steps a run saves (--steps, --every): `steps` (ascending, n_steps of
 * them, each at most the model's) when n_steps > 0, else every `every`-th
 * step from 0. *save is allocated; the caller frees it. */
BF_RESULT int trajectory_save_steps(const struct model *m, const int *steps, int n_steps, long every,
				    int **save, int *n, struct err *e);

/* The data steps for `points` points; out has room for `points`. */
BF_RESULT int trajectory_data_steps(int steps, int points, int *out, struct err *e);

/* A trajectory record for a finished (or failed) solver_run. `id` is
 * packed as given. */
void trajectory_pack(msgpack_packer *pk, const struct model *m, const msgpack_object *id,
		     const double *theta, const struct solver_outcome *o, const int *save,
		     const double *states, int observables);

/* The "status" entry of a record: "ok" or "<why> at step K". */
void trajectory_pack_status(struct pack_map *m, const struct solver_outcome *o);

/* The "step" and "t" entries (t = step dt) for steps[0..n-1]. */
void trajectory_pack_steps(struct pack_map *m, const struct model *md, const int *steps, int n);

/* The entries of a record for a theta that could not be used: "id" and
 * "status": "bad record: <why>", in a map the caller begins and ends
 * (after any entries of its own). */
void trajectory_pack_bad(struct pack_map *m, const msgpack_object *id, const char *why);

struct trajectory_observation {
	double noise;      /* sigma_obs */
	double aleatory;   /* relative sd of theta per point, 0 for none */
	uint64_t key;      /* random stream key: seed and record id */
};

/* Make the data of one theta at steps[0..n-1] (ascending) into phibar
 * (n x species); rows is workspace of n x state size. Returns the outcome
 * of the (first failing) run in *o; phibar is set only when it is ok.
 * s's meter, if set, times every run. */
void trajectory_observe(struct solver *s, const struct model *m, const double *theta, const int *steps,
			int n, const struct trajectory_observation *ob, double *rows, double *phibar,
			struct solver_outcome *o);

void trajectory_pack_data(msgpack_packer *pk, const struct model *m, const msgpack_object *id,
			  const int *steps, int n, const double *phibar, double noise,
			  const struct solver_outcome *o);

#endif
