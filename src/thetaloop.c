/*
 * thetaloop: the theta-record loop shared by solve and sensitivity.
 */
#include "thetaloop.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "progress.h"

static int name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* Parse "name=value,..." into map->fixed; taken[p] marks the set ones. */
static int parse_set(const char *const *names, int n, const char *set, struct thetaloop_map *map, int *taken, struct err *e)
{
	const char *s = set;

	/* an empty list fixes nothing: the header still names the numbers */
	while (*s) {
		const char *eq = strchr(s, '='), *end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		if (!eq || eq > end || eq == s)
			return err_set(e, ERR_INPUT, "'--set': '%.*s' is not name=value", (int)(end - s), s);
		char name[64], num[64];
		if (eq - s >= (long)sizeof name || end - eq - 1 >= (long)sizeof num)
			return err_set(e, ERR_INPUT, "'--set': '%.*s' is too long", (int)(end - s), s);
		memcpy(name, s, (size_t)(eq - s));
		name[eq - s] = 0;
		memcpy(num, eq + 1, (size_t)(end - eq - 1));
		num[end - eq - 1] = 0;
		int p = name_index(names, n, name);
		if (p < 0)
			return err_set(e, ERR_INPUT, "'--set': the model has no parameter '%s'", name);
		if (taken[p])
			return err_set(e, ERR_INPUT, "'--set': '%s' is set twice", name);
		char *stop;
		errno = 0;
		double v = strtod(num, &stop);
		if (!*num || *stop || errno || !isfinite(v))
			return err_set(e, ERR_INPUT, "'--set': the value of '%s' must be a finite number, got '%s'", name,
				       num);
		map->fixed[p] = v;
		taken[p] = 1;
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* With --set: the header names the parameters the records carry. */
static int map_from_header(const struct stream_reader *r, const char *const *names, int n, struct thetaloop_map *map,
			   int *taken, struct err *e)
{
	const msgpack_object *h = stream_reader_header(r), *v = h ? stream_map_get(h, "parameters") : NULL;

	if (!v || v->type != MSGPACK_OBJECT_ARRAY)
		return err_set(e, ERR_INPUT, "%s: with '--set' the header must name the stream's 'parameters'",
			       r->name);
	if (v->via.array.size > MODEL_MAX_THETA)
		return err_set(e, ERR_INPUT, "%s: header: too many 'parameters'", r->name);
	map->n_in = (int)v->via.array.size;
	for (int k = 0; k < map->n_in; k++) {
		const msgpack_object *x = &v->via.array.ptr[k];
		char name[64];
		if (x->type != MSGPACK_OBJECT_STR || x->via.str.size >= sizeof name)
			return err_set(e, ERR_INPUT, "%s: header: 'parameters'[%d] must be a parameter name", r->name, k);
		memcpy(name, x->via.str.ptr, x->via.str.size);
		name[x->via.str.size] = 0;
		int p = name_index(names, n, name);
		if (p < 0)
			return err_set(e, ERR_INPUT, "%s: the stream's parameter '%s' is not one of the model's", r->name,
				       name);
		if (taken[p] == 1)
			return err_set(e, ERR_INPUT, "%s: '--set' fixes '%s', which the stream carries too", r->name,
				       name);
		if (taken[p] == 2)
			return err_set(e, ERR_INPUT, "%s: header: 'parameters' names '%s' twice", r->name, name);
		taken[p] = 2;
		map->index[k] = p;
	}
	for (int p = 0; p < n; p++)
		if (!taken[p])
			return err_set(e, ERR_INPUT, "%s: the stream does not carry '%s' and '--set' does not fix it",
				       r->name, names[p]);
	return 0;
}

int thetaloop_open(struct stream_reader *r, const char *path, unsigned shard_i, unsigned shard_k,
		const char *const *names, int n, const char *set, struct thetaloop_map *map, struct err *e)
{
	int rc, taken[MODEL_MAX_THETA] = {0};

	memset(map, 0, sizeof *map);
	map->names = names;
	if ((rc = stream_reader_open(r, path, e)))
		return rc;
	stream_reader_shard(r, shard_i, shard_k);
	if ((rc = stream_reader_peek_header(r, e)))
		return rc;
	if (set)
		return (rc = parse_set(names, n, set, map, taken, e)) ? rc : map_from_header(r, names, n, map, taken, e);
	map->n_in = n;
	for (int p = 0; p < n; p++)
		map->index[p] = p;
	return names ? stream_reader_check_names(r, "parameters", names, n, e) : 0;
}

/* Does the header list `now` name the numbers the map takes, in order? */
static int names_equal(const msgpack_object *now, const char *const *names, const struct thetaloop_map *map)
{
	if (now->type != MSGPACK_OBJECT_ARRAY || (int)now->via.array.size != map->n_in)
		return 0;
	for (int k = 0; k < map->n_in; k++) {
		const msgpack_object *x = &now->via.array.ptr[k];
		const char *want = names[map->index[k]];
		if (x->type != MSGPACK_OBJECT_STR || x->via.str.size != strlen(want) ||
		    memcmp(x->via.str.ptr, want, x->via.str.size))
			return 0;
	}
	return 1;
}

int thetaloop_run(const struct thetaloop *l, struct stream_reader *r, struct stream_writer *w, int *bad,
	       struct err *e)
{
	msgpack_packer *pk = stream_writer_packer(w);
	const msgpack_object *rec;
	struct progress prog;
	struct err re;
	int rc;

	progress_init(&prog, l->progress, l->quiet);
	long sections = r->sections;
	while ((rc = stream_reader_next(r, &rec, &re)) != 0) {
		if (rc < 0) {
			*e = re;
			return rc;
		}
		if (r->sections != sections) {
			/* a posterior stream's next level: its thetas are other
			 * parameters unless its header names the same ones */
			sections = r->sections;
			const msgpack_object *now = stream_map_get(stream_reader_header(r), "parameters");
			if (!now || !l->map->names || !names_equal(now, l->map->names, l->map))
				return err_set(e, ERR_INPUT, "%s: record %ld: a new section (level) of the stream names "
					       "other 'parameters' than its first; give one level at a time", r->name,
					       r->record);
		}
		if (rc == STREAM_NOT_MAP) {
			/* no id to answer with: say so and go on */
			if (!l->quiet)
				fprintf(stderr, "%s: %s\n", l->prog, re.msg);
			*bad = 1;
			meter_count(l->meter, METER_BAD, 1);
			continue;
		}
		msgpack_object idnum;
		const msgpack_object *id = stream_record_id(r, rec, &idnum);
		double in[MODEL_MAX_THETA], theta[MODEL_MAX_THETA];
		if (stream_field_numbers(r, rec, "theta", in, (size_t)l->map->n_in, &re)) {
			if (!l->quiet)
				fprintf(stderr, "%s: %s\n", l->prog, re.msg);
			l->bad(l->ctx, pk, id, re.msg);
			*bad = 1;
			meter_count(l->meter, METER_BAD, 1);
		} else {
			memcpy(theta, l->map->fixed, sizeof theta);
			for (int k = 0; k < l->map->n_in; k++)
				theta[l->map->index[k]] = in[k];
			double t0 = l->monitor ? clock_now() : 0;
			l->answer(l->ctx, pk, id, theta, rec);
			if (l->monitor)
				monitor_record(l->monitor, clock_now() - t0);
		}
		meter_count(l->meter, METER_RECORDS, 1);
		if ((rc = stream_writer_flush(w, 0, e)))
			return rc;
		progress_tick(&prog, l->prog, l->what);
	}
	progress_done(&prog, l->prog, l->what);
	return 0;
}
