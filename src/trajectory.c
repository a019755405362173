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

void trajectory_pack_status(msgpack_packer *pk, const struct solver_outcome *o)
{
	char buf[128];

	stream_pack_str(pk, "status");
	if (o->status == SOLVER_OK) {
		stream_pack_str(pk, "ok");
	} else {
		snprintf(buf, sizeof buf, "%s at step %d", solver_status_string(o->status), o->step);
		stream_pack_str(pk, buf);
	}
}

void trajectory_pack_steps(msgpack_packer *pk, const struct model *m, const int *steps, int n)
{
	stream_pack_str(pk, "step");
	msgpack_pack_array(pk, (size_t)n);
	for (int r = 0; r < n; r++)
		msgpack_pack_int(pk, steps[r]);
	stream_pack_str(pk, "t");
	msgpack_pack_array(pk, (size_t)n);
	for (int r = 0; r < n; r++)
		msgpack_pack_double(pk, steps[r] * m->dt);
}

void trajectory_pack(msgpack_packer *pk, const struct model *m, const msgpack_object *id,
		     const double *theta, const struct solver_outcome *o, const int *save,
		     const double *states, int observables)
{
	const int n = m->species, d = model_state_size(m), rows = o->saved;

	msgpack_pack_map(pk, 7);
	stream_pack_str(pk, "id");
	msgpack_pack_object(pk, *id);
	stream_pack_str(pk, "theta");
	stream_pack_numbers(pk, theta, (size_t)m->n_theta);
	trajectory_pack_status(pk, o);
	stream_pack_str(pk, "newton_iterations");
	msgpack_pack_int64(pk, o->newton_iterations);
	trajectory_pack_steps(pk, m, save, rows);
	if (observables) {
		stream_pack_str(pk, "phibar");
		msgpack_pack_array(pk, (size_t)rows);
		for (int r = 0; r < rows; r++) {
			const double *g = states + (size_t)r * d;
			msgpack_pack_array(pk, (size_t)n);
			for (int i = 0; i < n; i++)
				msgpack_pack_double(pk, g[i] * g[n + 1 + i]);
		}
		return;
	}
	stream_pack_str(pk, "state");
	msgpack_pack_map(pk, 4);
	stream_pack_str(pk, "phi");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		stream_pack_numbers(pk, states + (size_t)r * d, (size_t)n);
	stream_pack_str(pk, "phi0");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		msgpack_pack_double(pk, states[(size_t)r * d + n]);
	stream_pack_str(pk, "psi");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		stream_pack_numbers(pk, states + (size_t)r * d + n + 1, (size_t)n);
	stream_pack_str(pk, "gamma");
	msgpack_pack_array(pk, (size_t)rows);
	for (int r = 0; r < rows; r++)
		msgpack_pack_double(pk, states[(size_t)r * d + 2 * n + 1]);
}

void trajectory_pack_bad(msgpack_packer *pk, const msgpack_object *id, const char *why, int extra)
{
	char buf[1100];

	snprintf(buf, sizeof buf, "bad record: %s", why);
	msgpack_pack_map(pk, 2 + (size_t)extra);
	stream_pack_str(pk, "id");
	msgpack_pack_object(pk, *id);
	stream_pack_str(pk, "status");
	stream_pack_str(pk, buf);
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

	msgpack_pack_map(pk, o->status == SOLVER_OK ? 7 : 2);
	stream_pack_str(pk, "id");
	msgpack_pack_object(pk, *id);
	trajectory_pack_status(pk, o);
	if (o->status != SOLVER_OK)
		return;
	stream_pack_str(pk, "newton_iterations");
	msgpack_pack_int64(pk, o->newton_iterations);
	trajectory_pack_steps(pk, m, steps, n);
	stream_pack_str(pk, "phibar");
	msgpack_pack_array(pk, (size_t)n);
	for (int j = 0; j < n; j++)
		stream_pack_numbers(pk, phibar + (size_t)j * ns, (size_t)ns);
	stream_pack_str(pk, "sigma_obs");
	msgpack_pack_double(pk, noise);
}
