/*
 * episodes: observation records to step records, one agent per id (see
 * episodes.h). Streaming with one thread: each record is answered as it
 * arrives, so a world on the other end of a pipe can react. With more
 * threads: the whole input is read, each episode runs on a worker, the
 * records are packed into buffers and written in input order.
 */
#include "aif/episodes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aif/aif.h"
#include "clock.h"
#include "mpjson.h"
#include "pool.h"
#include "progress.h"

/* ---- one parsed observation record ---- */

struct obsrec {
	int obs[GENMODEL_MAX_MODALITIES], action[GENMODEL_MAX_FACTORS];
	int has_action, reset, bad;
	long episode;            /* index by first appearance, -1 without id */
	char *id;                /* the id, packed */
	size_t id_len;
	char why[256];           /* when bad */
	struct pack out;         /* batch mode: the answer (pack_init'ed where it is
				  * packed, as records move while being read) */
	double seconds;
};

struct episode {
	char *id;
	size_t id_len;
	long index, trial;
	struct aif_agent *agent;
	long *recs, n_recs, cap_recs; /* batch mode: its records */
	int rc;
	struct err err;
};

/* Episodes by packed id: open addressing, grown at half load. */
struct table {
	struct episode *eps;      /* by index */
	long n, cap;
	long *slot;               /* hash slots: episode index + 1, 0 empty */
	long n_slots;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static int table_grow(struct table *t)
{
	long ns = t->n_slots ? 2 * t->n_slots : 1024;
	long *slot = calloc((size_t)ns, sizeof *slot);
	if (!slot)
		return -1;
	for (long k = 0; k < t->n; k++) {
		uint64_t h = hash_bytes(t->eps[k].id, t->eps[k].id_len);
		long i = (long)(h % (uint64_t)ns);
		while (slot[i])
			i = (i + 1) % ns;
		slot[i] = k + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->n_slots = ns;
	return 0;
}

/* The episode of this id, added if new; NULL when out of memory. */
static struct episode *table_get(struct table *t, const char *id, size_t len)
{
	if (2 * (t->n + 1) > t->n_slots && table_grow(t))
		return NULL;
	uint64_t h = hash_bytes(id, len);
	long i = (long)(h % (uint64_t)t->n_slots);
	for (; t->slot[i]; i = (i + 1) % t->n_slots) {
		struct episode *ep = &t->eps[t->slot[i] - 1];
		if (ep->id_len == len && !memcmp(ep->id, id, len))
			return ep;
	}
	if (t->n == t->cap) {
		long nc = t->cap ? 2 * t->cap : 64;
		struct episode *ne = realloc(t->eps, sizeof *ne * (size_t)nc);
		if (!ne)
			return NULL;
		t->eps = ne;
		t->cap = nc;
	}
	struct episode *ep = &t->eps[t->n];
	memset(ep, 0, sizeof *ep);
	if (!(ep->id = malloc(len ? len : 1)))
		return NULL;
	memcpy(ep->id, id, len);
	ep->id_len = len;
	ep->index = t->n;
	t->slot[i] = ++t->n;
	return ep;
}

static void table_free(struct table *t)
{
	for (long k = 0; k < t->n; k++) {
		free(t->eps[k].id);
		free(t->eps[k].recs);
		if (t->eps[k].agent) {
			aif_agent_free(t->eps[k].agent);
			free(t->eps[k].agent);
		}
	}
	free(t->eps);
	free(t->slot);
	memset(t, 0, sizeof *t);
}

/* ---- packing ---- */

static void pack_ints(msgpack_packer *pk, const int *x, int n)
{
	msgpack_pack_array(pk, (size_t)n);
	for (int i = 0; i < n; i++)
		msgpack_pack_int(pk, x[i]);
}

/* A C-order tensor as nested lists. */
static void pack_tensor(msgpack_packer *pk, const double *x, const int *dims, int nd)
{
	long stride = 1;
	if (nd == 1) {
		pack_numbers(pk, x, (size_t)dims[0]);
		return;
	}
	for (int k = 1; k < nd; k++)
		stride *= dims[k];
	msgpack_pack_array(pk, (size_t)dims[0]);
	for (int i = 0; i < dims[0]; i++)
		pack_tensor(pk, x + i * stride, dims + 1, nd - 1);
}

/* Per-factor (or per-modality) pieces of a concatenated vector. */
static void pack_split(msgpack_packer *pk, const double *x, const int *sizes, int n)
{
	msgpack_pack_array(pk, (size_t)n);
	for (int i = 0; i < n; i++) {
		pack_numbers(pk, x, (size_t)sizes[i]);
		x += sizes[i];
	}
}

static void pack_raw(msgpack_packer *pk, const char *bytes, size_t len)
{
	pk->callback(pk->data, bytes, len);
}

static void pack_step(msgpack_packer *pk, const struct episodes_options *o, const struct aif_agent *a,
		      const struct episode *ep, long t, const int *obs, const int *state)
{
	const struct genmodel *g = o->g;
	const struct genmodel_options *go = &g->opt;
	struct pack_map m;

	pack_map_begin(&m, pk);
	pack_key(&m, "id");
	pack_raw(pk, ep->id, ep->id_len);
	pack_kv_long(&m, "t", t);
	if (ep->trial > 0)
		pack_kv_long(&m, "trial", ep->trial);
	pack_key(&m, "obs");
	pack_ints(pk, obs, g->n_mod);
	if (state) {
		pack_key(&m, "state");
		pack_ints(pk, state, g->n_fac);
	}
	pack_key(&m, "qs");
	pack_split(pk, a->qs, g->num_states, g->n_fac);
	pack_kv_numbers(&m, "q_pi", a->q_pi, (size_t)g->n_policies);
	pack_kv_numbers(&m, "neg_efe", a->neg_efe, (size_t)g->n_policies);
	pack_key(&m, "action");
	pack_ints(pk, a->action, g->n_fac);
	if (go->stochastic && go->full) {
		pack_kv_numbers(&m, "policy_probs", a->policy_probs, (size_t)g->n_policies);
	} else if (go->stochastic) {
		pack_key(&m, "action_probs");
		pack_split(pk, a->action_probs, g->num_controls, g->n_fac);
	}
	if (o->learnt && go->learn_A) {
		pack_key(&m, "pA");
		msgpack_pack_array(pk, (size_t)g->n_mod);
		for (int k = 0; k < g->n_mod; k++) {
			int dims[GENMODEL_MAX_FACTORS + 1] = {g->num_obs[k]};
			memcpy(dims + 1, g->num_states, sizeof(int) * (size_t)g->n_fac);
			pack_tensor(pk, a->pA[k], dims, g->n_fac + 1);
		}
	}
	if (o->learnt && go->learn_B) {
		pack_key(&m, "pB");
		msgpack_pack_array(pk, (size_t)g->n_fac);
		for (int f = 0; f < g->n_fac; f++) {
			int dims[3] = {g->num_states[f], g->num_states[f], g->num_controls[f]};
			pack_tensor(pk, a->pB[f], dims, 3);
		}
	}
	if (o->learnt && go->learn_D) {
		pack_key(&m, "pD");
		msgpack_pack_array(pk, (size_t)g->n_fac);
		for (int f = 0; f < g->n_fac; f++)
			pack_numbers(pk, a->pD[f], (size_t)g->num_states[f]);
	}
	pack_map_end(&m);
}

static void pack_bad(msgpack_packer *pk, const struct obsrec *x, long record)
{
	struct pack_map m;
	char status[300];

	pack_map_begin(&m, pk);
	pack_key(&m, "id");
	if (x->id)
		pack_raw(pk, x->id, x->id_len);
	else
		msgpack_pack_long(pk, record);
	snprintf(status, sizeof status, "bad record: %s", x->why); /* as solve and sensitivity say it */
	pack_kv_str(&m, "status", status);
	pack_map_end(&m);
}

void episodes_pack_header(msgpack_packer *pk, const struct episodes_options *o, const char *world,
			  const struct world_options *wo)
{
	const struct genmodel *g = o->g;
	int L = g->opt.policy_len, F = g->n_fac;
	struct pack_map h, w;

	stream_header_program(&h, pk, "step", "agent");
	pack_key(&h, "model");
	mpjson_pack(pk, g->json);
	pack_key(&h, "policies");
	msgpack_pack_array(pk, (size_t)g->n_policies);
	for (long p = 0; p < g->n_policies; p++) {
		msgpack_pack_array(pk, (size_t)L);
		for (int t = 0; t < L; t++)
			pack_ints(pk, g->policies + (p * L + t) * F, F);
	}
	pack_key(&h, "seed");
	msgpack_pack_uint64(pk, o->seed);
	if (world) {
		pack_key(&h, "world");
		pack_map_begin(&w, pk);
		pack_kv_str(&w, "name", world);
		if (!strcmp(world, "tmaze")) {
			pack_kv_double(&w, "reward_prob", wo->reward_prob);
		} else if (!strcmp(world, "grid")) {
			int shape[2] = {wo->rows, wo->cols};
			pack_key(&w, "shape");
			pack_ints(pk, shape, 2);
		}
		pack_map_end(&w);
	}
	pack_map_end(&h);
}

/* ---- reading observation records ---- */

static int get_index(const msgpack_object *v, long long *out)
{
	double d;
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*out = v->via.u64 > (uint64_t)INT64_MAX ? INT64_MAX : (long long)v->via.u64;
		return 0;
	}
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*out = v->via.i64;
		return 0;
	}
	if (stream_object_number(v, &d) == 0 && d == floor(d) && fabs(d) < 9e15) {
		*out = (long long)d; /* pymdp's actions are floats */
		return 0;
	}
	return -1;
}

/* "obs" or "action": n indices each below sizes[i]. */
static int read_indices(const msgpack_object *rec, const char *key, const int *sizes, int n, const char *what,
			int *out, char *why, size_t wsize)
{
	const msgpack_object *v = stream_map_get(rec, key);

	if (!v || v->type != MSGPACK_OBJECT_ARRAY || (int)v->via.array.size != n) {
		snprintf(why, wsize, "'%s' must be a list of %d indices (one per %s)", key, n, what);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		long long x;
		if (get_index(&v->via.array.ptr[i], &x)) {
			snprintf(why, wsize, "'%s'[%d] must be an integer", key, i);
			return -1;
		}
		if (x < 0 || x >= sizes[i]) {
			snprintf(why, wsize, "'%s'[%d] is %lld, out of range (%s %d has %d)", key, i, x, what, i, sizes[i]);
			return -1;
		}
		out[i] = (int)x;
	}
	return 0;
}

/* The id packed as MessagePack (malloc'ed), the episode's key. */
static int pack_id(const msgpack_object *id, char **bytes, size_t *len)
{
	struct pack b;

	pack_init(&b);
	msgpack_pack_object(pack_packer(&b), *id);
	*bytes = pack_release(&b, len);
	return *bytes ? 0 : -1;
}

/* Parse rec into x; a bad record sets x->bad and x->why (not an error). */
static int parse_record(const struct genmodel *g, const msgpack_object *rec, int not_map, struct obsrec *x,
			struct err *e)
{
	const msgpack_object *id, *v;

	memset(x, 0, sizeof *x);
	x->episode = -1;
	if (not_map) {
		x->bad = 1;
		snprintf(x->why, sizeof x->why, "not a map");
		return 0;
	}
	if ((id = stream_map_get(rec, "id")) && pack_id(id, &x->id, &x->id_len))
		return err_set(e, ERR_NOMEM, "out of memory");
	if (!id) {
		x->bad = 1;
		snprintf(x->why, sizeof x->why, "'id' is missing (it names the episode)");
		return 0;
	}
	if (read_indices(rec, "obs", g->num_obs, g->n_mod, "modality", x->obs, x->why, sizeof x->why)) {
		x->bad = 1;
		return 0;
	}
	if ((v = stream_map_get(rec, "action")) && v->type != MSGPACK_OBJECT_NIL) {
		if (read_indices(rec, "action", g->num_controls, g->n_fac, "factor", x->action, x->why, sizeof x->why)) {
			x->bad = 1;
			return 0;
		}
		x->has_action = 1;
	}
	if ((v = stream_map_get(rec, "reset"))) {
		if (v->type != MSGPACK_OBJECT_BOOLEAN) {
			x->bad = 1;
			snprintf(x->why, sizeof x->why, "'reset' must be true or false");
			return 0;
		}
		x->reset = v->via.boolean;
	}
	return 0;
}

/* ---- one step ---- */

static int ensure_agent(const struct episodes_options *o, struct episode *ep, int worker, struct err *e)
{
	if (ep->agent)
		return 0;
	if (!(ep->agent = calloc(1, sizeof *ep->agent)))
		return err_set(e, ERR_NOMEM, "out of memory");
	int rc = aif_agent_init(ep->agent, o->g, e);
	if (rc) {
		free(ep->agent);
		ep->agent = NULL;
	} else if (o->meters) {
		ep->agent->meter = &o->meters[worker];
	}
	return rc;
}

static uint64_t step_key(const struct episodes_options *o, const struct episode *ep, long t)
{
	uint64_t k = rng_key(0x6167656e74ULL /* "agent" */, o->seed);
	k = rng_key_bytes(k, ep->id, ep->id_len);
	return rng_key(rng_key(k, (uint64_t)ep->trial), (uint64_t)t);
}

/* The agent of ep takes one step on obs (forced action or NULL) and packs
 * its record; returns the step's seconds. */
static double run_step(const struct episodes_options *o, struct episode *ep, const int *obs, const int *forced,
		       int reset, const int *state, msgpack_packer *pk)
{
	struct aif_agent *a = ep->agent;
	struct rng r;

	if (reset && a->t > 0) {
		aif_agent_new_trial(a);
		ep->trial++;
	}
	long t = a->t;
	rng_init(&r, step_key(o, ep, t));
	double t0 = clock_now();
	aif_agent_step(a, obs, forced, &r);
	double s = clock_now() - t0;
	pack_step(pk, o, a, ep, t, obs, state);
	return s;
}

static int timing_add(struct episodes_timing *tm, double s)
{
	if (!tm)
		return 0;
	if (tm->n == tm->cap) {
		long nc = tm->cap ? 2 * tm->cap : 1024;
		double *ns = realloc(tm->seconds, sizeof *ns * (size_t)nc);
		if (!ns)
			return -1;
		tm->seconds = ns;
		tm->cap = nc;
	}
	tm->seconds[tm->n++] = s;
	return 0;
}

/* A step's time, for --timing and --stats, in output order. */
static int step_done(const struct episodes_options *o, struct episodes_timing *tm, double s)
{
	monitor_record(o->monitor, s);
	return timing_add(tm, s);
}

void episodes_timing_free(struct episodes_timing *t)
{
	free(t->seconds);
	memset(t, 0, sizeof *t);
}

static void report_bad(const struct episodes_options *o, const struct stream_reader *r, long record,
		       const struct obsrec *x)
{
	if (!o->quiet)
		fprintf(stderr, "%s: %s: record %ld: %s\n", o->prog, r->name, record, x->why);
}

static void progress(const struct episodes_options *o, long k)
{
	if (o->progress)
		progress_add(o->progress, k, o->prog, "steps");
}

/* A bad record: said on stderr, answered with its status, counted. */
static void answer_bad(const struct episodes_options *o, const struct stream_reader *r, long record,
		       const struct obsrec *x, msgpack_packer *pk, int *bad)
{
	report_bad(o, r, record, x);
	pack_bad(pk, x, record);
	*bad = 1;
	meter_count(o->meters, METER_BAD, 1);
}

/* Is this record ours under --shard? */
static int ours(const struct episodes_options *o, const struct obsrec *x, long record)
{
	long k = x->episode >= 0 ? x->episode : record - 1;
	return o->shard_k <= 1 || (unsigned long)(k % (long)o->shard_k) == o->shard_i;
}

/* ---- streaming: one thread ---- */

/* One record of the stream: answered if ours; 0 or a negative error. */
static int stream_one(const struct episodes_options *o, struct table *t, struct stream_reader *r,
		      struct stream_writer *w, struct obsrec *x, int *bad, struct episodes_timing *tm,
		      struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	struct episode *ep = NULL;
	int rc;

	if (x->id && !(ep = table_get(t, x->id, x->id_len)))
		return err_set(e, ERR_NOMEM, "out of memory");
	x->episode = ep ? ep->index : -1;
	if (!ours(o, x, r->record))
		return 0;
	meter_count(o->meters, METER_RECORDS, 1);
	if (x->bad) {
		answer_bad(o, r, r->record, x, pk, bad);
	} else if ((rc = ensure_agent(o, ep, 0, e))) {
		return rc;
	} else if (step_done(o, tm, run_step(o, ep, x->obs, x->has_action ? x->action : NULL, x->reset, NULL, pk))) {
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	if ((rc = stream_writer_flush(w, o->unbuffered, e)))
		return rc;
	progress(o, 1);
	return 0;
}

static int filter_stream(const struct episodes_options *o, struct stream_reader *r, struct stream_writer *w,
			 int *bad, struct episodes_timing *tm, struct err *e)
{
	struct table t = {0};
	int rc;

	for (;;) {
		const msgpack_object *rec;
		struct obsrec x;
		if ((rc = stream_reader_next(r, &rec, e)) <= 0 ||
		    (rc = parse_record(o->g, rec, rc == STREAM_NOT_MAP, &x, e)))
			break;
		rc = stream_one(o, &t, r, w, &x, bad, tm, e);
		free(x.id);
		if (rc)
			break;
	}
	table_free(&t);
	return rc < 0 ? rc : 0;
}

/* ---- batch: episodes on threads ---- */

struct batch {
	const struct episodes_options *o;
	struct table t;
	struct obsrec *recs;
	long n, cap;
	long *todo, n_todo;       /* our episodes */
};

static void batch_episode(void *ctx, int worker, long item)
{
	struct batch *b = ctx;
	struct episode *ep = &b->t.eps[b->todo[item]];

	if ((ep->rc = ensure_agent(b->o, ep, worker, &ep->err)))
		return;
	for (long k = 0; k < ep->n_recs; k++) {
		struct obsrec *x = &b->recs[ep->recs[k]];
		pack_init(&x->out);
		x->seconds = run_step(b->o, ep, x->obs, x->has_action ? x->action : NULL, x->reset, NULL,
				      pack_packer(&x->out));
		if (x->out.nomem) {
			ep->rc = err_set(&ep->err, ERR_NOMEM, "out of memory");
			return;
		}
		/* the agent is not needed after its last record */
		if (k == ep->n_recs - 1) {
			aif_agent_free(ep->agent);
			free(ep->agent);
			ep->agent = NULL;
		}
	}
}

static int batch_read(struct batch *b, struct stream_reader *r, struct err *e)
{
	int rc;

	for (;;) {
		const msgpack_object *rec;
		struct obsrec *x;
		if ((rc = stream_reader_next(r, &rec, e)) <= 0)
			return rc;
		if (b->n == b->cap) {
			long nc = b->cap ? 2 * b->cap : 1024;
			struct obsrec *nr = realloc(b->recs, sizeof *nr * (size_t)nc);
			if (!nr)
				return err_set(e, ERR_NOMEM, "out of memory");
			b->recs = nr;
			b->cap = nc;
		}
		x = &b->recs[b->n];
		if ((rc = parse_record(b->o->g, rec, rc == STREAM_NOT_MAP, x, e)))
			return rc;
		b->n++;
		memset(&x->out, 0, sizeof x->out); /* safe to free; packed into in place, later */
		if (x->id) {
			struct episode *ep = table_get(&b->t, x->id, x->id_len);
			if (!ep)
				return err_set(e, ERR_NOMEM, "out of memory");
			x->episode = ep->index;
			if (!x->bad && ours(b->o, x, b->n)) {
				if (ep->n_recs == ep->cap_recs) {
					long nc = ep->cap_recs ? 2 * ep->cap_recs : 16;
					long *nr = realloc(ep->recs, sizeof *nr * (size_t)nc);
					if (!nr)
						return err_set(e, ERR_NOMEM, "out of memory");
					ep->recs = nr;
					ep->cap_recs = nc;
				}
				ep->recs[ep->n_recs++] = b->n - 1;
			}
		}
	}
}

static int filter_batch(const struct episodes_options *o, struct stream_reader *r, struct stream_writer *w,
			int *bad, struct episodes_timing *tm, struct err *e)
{
	struct batch b = {o, {0}, NULL, 0, 0, NULL, 0};
	int rc = batch_read(&b, r, e);

	if (!rc && !(b.todo = malloc(sizeof(long) * (size_t)(b.t.n ? b.t.n : 1))))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	for (long k = 0; !rc && k < b.t.n; k++)
		if (b.t.eps[k].n_recs)
			b.todo[b.n_todo++] = k;
	if (!rc)
		pool_run(o->threads, b.n_todo, batch_episode, &b);
	for (long k = 0; !rc && k < b.n_todo; k++)
		if (b.t.eps[b.todo[k]].rc) {
			*e = b.t.eps[b.todo[k]].err;
			rc = e->code;
		}
	msgpack_packer *pk = stream_writer_packer(w);
	for (long i = 0; !rc && i < b.n; i++) {
		struct obsrec *x = &b.recs[i];
		if (!ours(o, x, i + 1))
			continue;
		meter_count(o->meters, METER_RECORDS, 1);
		if (x->bad) {
			answer_bad(o, r, i + 1, x, pk, bad);
		} else {
			stream_writer_write(w, x->out.data, x->out.len);
			if (step_done(o, tm, x->seconds))
				rc = err_set(e, ERR_NOMEM, "out of memory");
		}
		if (!rc)
			rc = stream_writer_flush(w, 0, e);
		progress(o, 1);
	}
	for (long i = 0; i < b.n; i++) {
		free(b.recs[i].id);
		pack_free(&b.recs[i].out);
	}
	free(b.recs);
	free(b.todo);
	table_free(&b.t);
	return rc;
}

int episodes_filter(const struct episodes_options *o, struct stream_reader *r, struct stream_writer *w, int *bad,
		    struct episodes_timing *tm, struct err *e)
{
	return o->threads > 1 ? filter_batch(o, r, w, bad, tm, e) : filter_stream(o, r, w, bad, tm, e);
}

/* ---- closed loop ---- */

struct loop {
	const struct episodes_options *o;
	const struct world *world;
	long n_steps;
	struct pack *out;         /* per episode (threads), or NULL */
	double *seconds;          /* per episode and step */
	int *rc;
	struct err *errs;
	struct stream_writer *w;  /* one thread: write as we go */
	long *todo;               /* threads: our episodes */
	struct episodes_timing *tm;
};

static int loop_episode(const struct loop *l, long k, int worker, msgpack_packer *pk, struct err *e)
{
	const struct episodes_options *o = l->o;
	struct episode ep;
	struct world v = *l->world; /* the arrays are shared and read-only; the state is ours */
	struct rng r;
	int obs[GENMODEL_MAX_MODALITIES], rc = 0;
	msgpack_object id = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)k};

	memset(&ep, 0, sizeof ep);
	if (pack_id(&id, &ep.id, &ep.id_len))
		return err_set(e, ERR_NOMEM, "out of memory");
	ep.index = k;
	if ((rc = ensure_agent(o, &ep, worker, e)))
		goto done;
	rng_init(&r, rng_key_bytes(rng_key(0x776f726c64ULL /* "world" */, o->seed), ep.id, ep.id_len));
	world_reset(&v, &r, obs);
	for (long t = 0; t < l->n_steps; t++) {
		int state[GENMODEL_MAX_FACTORS];
		memcpy(state, v.state, sizeof state);
		l->seconds[k * l->n_steps + t] = run_step(o, &ep, obs, NULL, 0, state, pk);
		if (l->w) {
			if (step_done(o, l->tm, l->seconds[k * l->n_steps + t]))
				rc = err_set(e, ERR_NOMEM, "out of memory");
			if (rc || (rc = stream_writer_flush(l->w, o->unbuffered, e)))
				goto done;
			progress(o, 1);
		}
		world_step(&v, ep.agent->action, &r, obs);
	}
done:
	if (ep.agent) {
		aif_agent_free(ep.agent);
		free(ep.agent);
	}
	free(ep.id);
	return rc;
}

static void loop_worker(void *ctx, int worker, long item)
{
	struct loop *l = ctx;
	long k = l->todo[item];
	pack_init(&l->out[k]);
	l->rc[k] = loop_episode(l, k, worker, pack_packer(&l->out[k]), &l->errs[k]);
}

int episodes_closed_loop(const struct episodes_options *o, const struct world *world, long n_episodes, long n_steps,
			 struct stream_writer *w, struct episodes_timing *tm, struct err *e)
{
	struct loop l = {o, world, n_steps, NULL, NULL, NULL, NULL, NULL, NULL, tm};
	int rc = 0;
	long n_todo = 0;

	if (!(l.seconds = malloc(sizeof(double) * (size_t)(n_episodes * n_steps > 0 ? n_episodes * n_steps : 1))))
		return err_set(e, ERR_NOMEM, "out of memory");
	if (o->threads <= 1) {
		l.w = w;
		for (long k = 0; !rc && k < n_episodes; k++)
			if (o->shard_k <= 1 || (unsigned long)(k % (long)o->shard_k) == o->shard_i)
				rc = loop_episode(&l, k, 0, stream_writer_packer(w), e);
	} else {
		l.out = calloc((size_t)n_episodes, sizeof *l.out);
		l.rc = calloc((size_t)n_episodes, sizeof *l.rc);
		l.errs = calloc((size_t)n_episodes, sizeof *l.errs);
		l.todo = malloc(sizeof(long) * (size_t)n_episodes);
		if (!l.out || !l.rc || !l.errs || !l.todo) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
		} else {
			for (long k = 0; k < n_episodes; k++)
				if (o->shard_k <= 1 || (unsigned long)(k % (long)o->shard_k) == o->shard_i)
					l.todo[n_todo++] = k;
			pool_run(o->threads, n_todo, loop_worker, &l);
			for (long k = 0; !rc && k < n_episodes; k++) {
				if (o->shard_k > 1 && (unsigned long)(k % (long)o->shard_k) != o->shard_i)
					continue;
				if (l.rc[k]) {
					*e = l.errs[k];
					rc = e->code;
					break;
				}
				if (l.out[k].nomem) {
					rc = err_set(e, ERR_NOMEM, "out of memory");
					break;
				}
				stream_writer_write(w, l.out[k].data, l.out[k].len);
				rc = stream_writer_flush(w, 0, e);
				progress(o, n_steps);
				for (long t = 0; !rc && t < n_steps; t++)
					if (step_done(o, tm, l.seconds[k * n_steps + t]))
						rc = err_set(e, ERR_NOMEM, "out of memory");
			}
			for (long k = 0; k < n_episodes; k++)
				pack_free(&l.out[k]);
		}
		free(l.out);
		free(l.rc);
		free(l.errs);
		free(l.todo);
	}
	free(l.seconds);
	return rc;
}
