/*
 * episodes: the agent as a filter over many episodes, and the closed loop
 * with a world (DESIGN §3: observation records in, step records out).
 *
 * An observation record is {"id", "obs": [index per modality]}, optionally
 * "action": [index per factor] (take this action instead of choosing: a
 * replay) and "reset": true (a new trial for that agent: see
 * aif_agent_new_trial). Each id is its own agent; its records are handled
 * in input order. Episodes are numbered by first appearance in the input,
 * and --shard I/K keeps those numbered I mod K, so every process agrees
 * without talking. A bad record (no id, obs missing or out of range) gets
 * a record {"id", "status": why} and a message, and the run goes on.
 *
 * Output bytes never depend on the thread count: the random numbers of a
 * step are keyed by (seed, id, trial, t), results are packed per record and
 * written in input order (per episode, in episode order, for a closed loop).
 */
#ifndef BF_EPISODES_H
#define BF_EPISODES_H
#include <msgpack.h>
#include <stdint.h>
#include "progress.h"
#include "aif/world.h"
#include "err.h"
#include "aif/genmodel.h"
#include "meter.h"
#include "monitor.h"
#include "stream.h"

struct episodes_options {
	const struct genmodel *g;
	uint64_t seed;
	int learnt;           /* add pA/pB/pD that are being learnt */
	int threads;          /* > 1: read everything, run episodes on threads */
	unsigned shard_i, shard_k;
	int unbuffered;       /* flush every record (a live world on a pipe) */
	int quiet;            /* do not report bad records one by one */
	const char *prog;     /* for messages */
	struct progress *progress; /* counts steps written, or NULL */
	struct meter *meters;  /* one per thread to time the agents' steps, or NULL */
	struct monitor *monitor; /* gets each step's time (--stats), or NULL */
};

/* Wall time of each agent step (infer_states, infer_policies, the action
 * and learning), in seconds, when the caller asks for it. */
struct episodes_timing {
	double *seconds;
	long n, cap;
};
void episodes_timing_free(struct episodes_timing *t);

/* The step stream's header: the model, its policies, the seed, and the
 * world for a closed loop (NULL otherwise). */
void episodes_pack_header(msgpack_packer *pk, const struct episodes_options *o, const char *world,
			  const struct world_options *wo);

/* Observation records from r to step records on w; *bad is set when some
 * record was bad. */
BF_RESULT int episodes_filter(const struct episodes_options *o, struct stream_reader *r, struct stream_writer *w,
			      int *bad, struct episodes_timing *tm, struct err *e);

/* n_episodes episodes (ids 0, 1, ...) of n_steps steps against the world;
 * records add "state", the world's hidden state the observation came from. */
BF_RESULT int episodes_closed_loop(const struct episodes_options *o, const struct world *world, long n_episodes,
				   long n_steps, struct stream_writer *w, struct episodes_timing *tm, struct err *e);
#endif
