/*
 * thetas: the theta-record loop shared by solve and sensitivity.
 */
#include "thetas.h"

#include <stdio.h>

#include "cli.h"

int thetas_open(struct stream_reader *r, const char *path, unsigned shard_i, unsigned shard_k,
		const char *const *names, int n, struct err *e)
{
	int rc;

	if ((rc = stream_reader_open(r, path, e)))
		return rc;
	stream_reader_shard(r, shard_i, shard_k);
	if ((rc = stream_reader_peek_header(r, e)))
		return rc;
	return names ? stream_reader_check_names(r, "parameters", names, n, e) : 0;
}

int thetas_run(const struct thetas_loop *l, struct stream_reader *r, struct stream_writer *w, int *bad,
	       struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	const msgpack_object *rec;
	struct cli_progress prog;
	struct err re;
	int rc;

	cli_progress_init(&prog, l->progress, l->quiet);
	while ((rc = stream_reader_next(r, &rec, &re)) != 0) {
		if (rc < 0) {
			*e = re;
			return rc;
		}
		if (rc == STREAM_NOT_MAP) {
			/* no id to answer with: say so and go on */
			if (!l->quiet)
				fprintf(stderr, "%s: %s\n", l->prog, re.msg);
			*bad = 1;
			continue;
		}
		msgpack_object idnum;
		const msgpack_object *id = stream_record_id(r, rec, &idnum);
		double theta[MODEL_MAX_THETA];
		if (stream_field_numbers(r, rec, "theta", theta, (size_t)l->n_theta, &re)) {
			if (!l->quiet)
				fprintf(stderr, "%s: %s\n", l->prog, re.msg);
			l->bad(l->ctx, pk, id, re.msg);
			*bad = 1;
		} else {
			l->answer(l->ctx, pk, id, theta);
		}
		if ((rc = stream_writer_flush(w, 0, e)))
			return rc;
		cli_progress_tick(&prog, l->prog, l->what);
	}
	cli_progress_done(&prog, l->prog, l->what);
	return 0;
}
