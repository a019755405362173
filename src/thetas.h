/*
 * thetas: the loop of a program that answers theta records (DESIGN §3):
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
#ifndef BF_THETAS_H
#define BF_THETAS_H

#include "model.h"
#include "stream.h"

struct thetas_loop {
	const char *prog;      /* for messages and progress: "solve" */
	const char *what;      /* progress unit: "trajectories" */
	int n_theta;
	int quiet, progress;
	/* the answer to a good record, and to one whose theta is bad */
	void (*answer)(void *ctx, msgpack_packer *pk, const msgpack_object *id, const double *theta);
	void (*bad)(void *ctx, msgpack_packer *pk, const msgpack_object *id, const char *why);
	void *ctx;
};

/* Open the theta stream at path (NULL or "-": stdin) for parameters
 * names[0..n-1]: keep shard i of k (k = 0: all), read its header, whose
 * "parameters", if any, must be these (names NULL: any). */
BF_RESULT int thetas_open(struct stream_reader *r, const char *path, unsigned shard_i, unsigned shard_k,
			  const char *const *names, int n, struct err *e);

/* Run the loop over r's records, answers to w. *bad is set when some
 * record was bad. Returns 0 or a negative error (in e). */
BF_RESULT int thetas_run(const struct thetas_loop *l, struct stream_reader *r, struct stream_writer *w,
			 int *bad, struct err *e);

#endif
