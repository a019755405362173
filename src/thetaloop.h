/*
 * thetaloop: the loop of a program that answers theta records (DESIGN §3):
 * read each record of the input, take its "theta" (as many finite numbers
 * as the model has parameters), let the program write its answer, flush,
 * tick the progress meter.
 *
 * Bad records do not stop a run: a record without a usable theta is
 * reported on stderr (unless quiet) and answered through the program's
 * `bad` callback (which names the id), a record that is not a map (no id
 * to answer) is only reported; either sets *bad so that the program exits
 * 2 at the end. A read or write error ends the loop with that error.
 */
#ifndef BF_THETALOOP_H
#define BF_THETALOOP_H

#include "meter.h"
#include "model.h"
#include "monitor.h"
#include "stream.h"

/* How a record's numbers become the model's theta. */
struct thetaloop_map {
	int n_in;                        /* numbers per record */
	int index[MODEL_MAX_THETA];      /* the model index of the k-th number */
	double fixed[MODEL_MAX_THETA];   /* the model's theta, set values filled in */
	const char *const *names;        /* the parameter names (NULL: any) */
};

struct thetaloop {
	const char *prog;      /* for messages and progress: "solve" */
	const char *what;      /* progress unit: "trajectories" */
	const struct thetaloop_map *map;
	int quiet, progress;
	/* the answer to a good record, and to one whose theta is bad */
	void (*answer)(void *ctx, msgpack_packer *pk, const msgpack_object *id, const double *theta,
		       const msgpack_object *rec);
	void (*bad)(void *ctx, msgpack_packer *pk, const msgpack_object *id, const char *why);
	void *ctx;
	struct meter *meter;     /* counts records (and bad ones), or NULL */
	struct monitor *monitor; /* gets each answer's wall time (--stats), or NULL */
};

/* Open the theta stream at path (NULL or "-": stdin) for parameters
 * names[0..n-1] (names NULL: any names, no --set): keep shard i of k (k =
 * 0: all), read its header and build the map. `set` is the --set list or
 * NULL; without it the header's "parameters", if any, must be names. */
BF_RESULT int thetaloop_open(struct stream_reader *r, const char *path, unsigned shard_i, unsigned shard_k,
			  const char *const *names, int n, const char *set, struct thetaloop_map *map,
			  struct err *e);

/* Run the loop over r's records, answers to w. *bad is set when some
 * record was bad. Returns 0 or a negative error (in e). */
BF_RESULT int thetaloop_run(const struct thetaloop *l, struct stream_reader *r, struct stream_writer *w,
			 int *bad, struct err *e);

#endif
