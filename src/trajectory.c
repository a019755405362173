/*
 * trajectory: packing of trajectory and data records; synthetic data.
 */
#include "trajectory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "stream.h"

enum { PURPOSE_NOISE = 1, PURPOSE_ALEATORY = 2 };

int trajectory_data_steps(int steps, int points, int *out, struct err *e)
{
	if (points < 1 || points > steps)
		return err_set(e, ERR_INPUT, "'--observe' must be from 1 to the number of steps (%d)", steps);
	int s0 = (int)(0.05 * steps);
	if (s0 < 1)
		s0 = 1;
	double delta = points > 1 ? (double)(steps - s0) / (points - 1) : 0;
	for (int j = 0; j < points; j++) {
		out[j] = (j == points - 1) ? steps : (int)(s0 + j * delta);
		if (j && out[j] <= out[j - 1])
			return err_set(e, ERR_INPUT, "'--observe': %d points do not fit between steps %d and %d",
				       points, s0, steps);
	}
	return 0;
}

int trajectory_save_steps(const struct model *m, const int *steps, int n_steps, long every, int **save,
			  int *n, struct err *e)
{
	*save = NULL;
	*n = 0;
	if (n_steps > 0) {
		if (steps[n_steps - 1] > m->steps)
			return err_set(e, ERR_INPUT, "'--steps': step %d is beyond the model's %d steps",
				       steps[n_steps - 1], m->steps);
		if (!(*save = malloc(sizeof(int) * (size_t)n_steps)))
			return err_set(e, ERR_NOMEM, "out of memory");
		memcpy(*save, steps, sizeof(int) * (size_t)n_steps);
		*n = n_steps;
		return 0;
	}
	int rows = (int)(m->steps / every) + 1;
	if (!(*save = malloc(sizeof(int) * (size_t)rows)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (int r = 0; r < rows; r++)
		(*save)[r] = (int)(r * every);
	*n = rows;
	return 0;
}

void trajectory_pack_status(struct pack_map *m, const struct solver_outcome *o)
{
	char buf[128];

	if (o->status == SOLVER_OK) {
		pack_kv_str(m, "status", "ok");
	} else {
		snprintf(buf, sizeof buf, "%s at step %d", solver_status_string(o->status), o->step);
		pack_kv_str(m, "status", buf);
	}
}

void trajectory_pack_steps(struct pack_map *m, const struct model *md, const int *steps, int n)
{
	msgpack_packer *pk = pack_map_packer(m);

	pack_key(m, "step");
	msgpack_pack_array(pk, (size_t)n);
	for (int r = 0; r < n; r++)
		msgpack_pack_int(pk, steps[r]);
	pack_key(m, "t");
	msgpack_pack_array(pk, (size_t)n);
	for (int r = 0; r < n; r++)
		msgpack_pack_double(pk, steps[r] * md->dt);
}

void trajectory_pack(msgpack_packer *pk, const struct model *m, const msgpack_object *id,
		     const double *theta, const struct solver_outcome *o, const int *save,
		     const double *states, int observables)
{
	const int n = m->species, d = model_state_size(m), rows = o->saved;
	struct pack_map rec, st;

	pack_map_begin(&rec, pk);
	pack_kv_object(&rec, "id", id);
	pack_kv_numbers(&rec, "theta", theta, (size_t)m->n_theta);
	trajectory_pack_status(&rec, o);
	pack_kv_long(&rec, "newton_iterations", o->newton_iterations);
	trajectory_pack_steps(&rec, m, save, rows);
	if (observables) {
		pack_key(&rec, "phibar");
		msgpack_pack_array(pk, (size_t)rows);
		for (int r = 0; r < rows; r++) {
			const double *g = states + (size_t)r * d;
			msgpack_pack_array(pk, (size_t)n);
			for (int i = 0; i < n; i++)
				msgpack_pack_double(pk, g[i] * g[n + 1 + i]);
		}
		pack_map_end(&rec);
		return;
	}
	pack_key(&rec, "state");
	pack_map_begin(&st, pk);
	pack_key(&st, "phi");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		pack_numbers(pk, states + (size_t)r * d, (size_t)n);
	pack_key(&st, "phi0");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		msgpack_pack_double(pk, states[(size_t)r * d + n]);
	pack_key(&st, "psi");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		pack_numbers(pk, states + (size_t)r * d + n + 1, (size_t)n);
	pack_key(&st, "gamma");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		msgpack_pack_double(pk, states[(size_t)r * d + 2 * n + 1]);
	pack_map_end(&st);
	pack_map_end(&rec);
}

void trajectory_pack_bad(struct pack_map *m, const msgpack_object *id, const char *why)
{
	char buf[1100];

	snprintf(buf, sizeof buf, "bad record: %s", why);
	pack_kv_object(m, "id", id);
	pack_kv_str(m, "status", buf);
}

void trajectory_observe(struct solver *s, const struct model *m, const double *theta, const int *steps,
			int n, const struct trajectory_observation *ob, double *rows, double *phibar,
			struct solver_outcome *o)
{
	const int ns = m->species, d = model_state_size(m);
	struct meter *meter = s->meter; /* solver_init clears it */
	struct rng noise;

	memset(o, 0, sizeof *o);
	if (ob->aleatory > 0) {
		for (int j = 0; j < n; j++) {
			double th[MODEL_MAX_THETA];
			struct solver_outcome oj;
			struct rng r;
			rng_init(&r, rng_key(rng_key(ob->key, PURPOSE_ALEATORY), (uint64_t)j));
			for (int p = 0; p < m->n_theta; p++)
				th[p] = theta[p] * (1.0 + ob->aleatory * rng_normal(&r));
			solver_init(s, m, th);
			s->meter = meter;
			solver_run(s, &steps[j], 1, rows + (size_t)j * d, &oj);
			o->newton_iterations += oj.newton_iterations;
			if (oj.status != SOLVER_OK) {
				o->status = oj.status;
				o->step = oj.step;
				return;
			}
		}
		o->saved = n;
	} else {
		solver_init(s, m, theta);
		s->meter = meter;
		solver_run(s, steps, n, rows, o);
		if (o->status != SOLVER_OK)
			return;
	}
	rng_init(&noise, rng_key(ob->key, PURPOSE_NOISE));
	for (int j = 0; j < n; j++)
		for (int i = 0; i < ns; i++) {
			const double *g = rows + (size_t)j * d;
			phibar[j * ns + i] = g[i] * g[ns + 1 + i] + ob->noise * rng_normal(&noise);
		}
}

void trajectory_pack_data(msgpack_packer *pk, const struct model *m, const msgpack_object *id,
			  const int *steps, int n, const double *phibar, double noise,
			  const struct solver_outcome *o)
{
	const int ns = m->species;
	struct pack_map rec;

	pack_map_begin(&rec, pk);
	pack_kv_object(&rec, "id", id);
	trajectory_pack_status(&rec, o);
	if (o->status == SOLVER_OK) {
		pack_kv_long(&rec, "newton_iterations", o->newton_iterations);
		trajectory_pack_steps(&rec, m, steps, n);
		pack_key(&rec, "phibar");
		msgpack_pack_array(pk, (size_t)n);
		for (int j = 0; j < n; j++)
			pack_numbers(pk, phibar + (size_t)j * ns, (size_t)ns);
		pack_kv_double(&rec, "sigma_obs", noise);
	}
	pack_map_end(&rec);
}
