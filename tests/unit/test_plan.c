/*
 * Unit tests for plan: reading a plan file (DESIGN §3) and resolving, for
 * every level, where each model parameter's value comes from.
 *
 * Every test writes its own small world to a scratch directory: a
 * two-species model (m2.json), a four-species one (m4.json), one whose
 * parameters have their own names (mc.json), and data streams made here
 * with the stream writer and msgpack-c, as `solve --observe` makes them
 * (header {"biofilter": 1, "kind": "data"}, records {"step", "phibar",
 * "sigma_obs"}). The plans name these files relative to themselves.
 *
 * What is checked exactly: the global names each level's model gets
 * through "species" (identity without it), the free parameters in plan
 * order whatever the order of "free", where every other parameter comes
 * from (the latest earlier level that learnt it, at its position in that
 * level's theta, or its truth), plan_level_fix taking the MAP or the mean
 * as the level's "fixed" says, plan_level_theta assembling the model's
 * theta, the validation level taking the last level's free parameters,
 * and the TMCMC settings. Every refusal is ERR_INPUT with a message that
 * starts with the plan's path and names the level (or the top-level key)
 * and the key at fault; plan_free is called after every failed load, as
 * infer does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "stream.h"

#include "scratch.h"
#include "streams.h"

static int setup(void **state)
{
	return scratch_setup(state, "test_plan", "plan.json");
}

static int teardown(void **state)
{
	return scratch_teardown(state);
}

/* ---- the files a plan names ---- */

static const char model2[] =
	"{\"species\": 2, \"dt\": 1e-05, \"steps\": 100, \"eta\": [1, 1], \"phi0\": [0.2, 0.2],\n"
	" \"nutrients\": 100, \"antibiotics\": 100, \"psi0\": 0.999, \"gamma0\": 1e-06, \"penalty\": 0.0001}\n";
static const char model4[] =
	"{\"species\": 4, \"dt\": 0.0001, \"steps\": 100, \"eta\": [1, 1, 1, 1], \"phi0\": [0.02, 0.02, 0.02, 0.02],\n"
	" \"nutrients\": 25, \"antibiotics\": 0}\n";
static const char model_custom[] =
	"{\"species\": 2, \"dt\": 1e-05, \"steps\": 100, \"eta\": [1, 1], \"phi0\": [0.2, 0.2],\n"
	" \"nutrients\": 100, \"antibiotics\": 100, \"parameters\": [\"x1\", \"x2\", \"x3\", \"x4\", \"x5\"]}\n";

/* A data stream of `records` records for `species` species at steps 10,
 * 50, 100; record r says sigma[r] (NAN: no 'sigma_obs'). */
static void write_data(const struct scratch *s, const char *file, int species, int records, const double *sigma)
{
	static const int steps[] = {10, 50, 100};
	char path[256];
	struct stream_writer w;

	scratch_path(s, file, path, sizeof path);
	writer_open_ok(&w, path);
	writer_header_ok(&w, "data");
	msgpack_packer *pk = stream_writer_packer(&w);
	for (int r = 0; r < records; r++) {
		msgpack_pack_map(pk, isnan(sigma[r]) ? 2 : 3);
		pack_str(pk, "step");
		msgpack_pack_array(pk, 3);
		for (int k = 0; k < 3; k++)
			msgpack_pack_int(pk, steps[k]);
		pack_str(pk, "phibar");
		msgpack_pack_array(pk, 3);
		for (int k = 0; k < 3; k++) {
			msgpack_pack_array(pk, (size_t)species);
			for (int i = 0; i < species; i++)
				msgpack_pack_double(pk, 0.1 + 0.01 * k + 0.001 * i);
		}
		if (!isnan(sigma[r])) {
			pack_str(pk, "sigma_obs");
			msgpack_pack_double(pk, sigma[r]);
		}
		writer_flush_ok(&w);
	}
	writer_commit_ok(&w);
}

static void write_file(const struct scratch *s, const char *file, const char *text)
{
	char path[256];
	scratch_path(s, file, path, sizeof path);
	scratch_write(path, text);
}

/* m2.json, m4.json, mc.json; d2.mpk and d4.mpk (sigma_obs 0.005),
 * d2nosig.mpk (none), d2mixed.mpk (0.005, then 0.006). */
static void write_world(const struct scratch *s)
{
	const double sig[] = {0.005}, nosig[] = {NAN}, mixed[] = {0.005, 0.006};

	write_file(s, "m2.json", model2);
	write_file(s, "m4.json", model4);
	write_file(s, "mc.json", model_custom);
	write_data(s, "d2.mpk", 2, 1, sig);
	write_data(s, "d4.mpk", 4, 1, sig);
	write_data(s, "d2nosig.mpk", 2, 1, nosig);
	write_data(s, "d2mixed.mpk", 2, 2, mixed);
}

static void load_ok(const struct scratch *s, struct plan *p, const char *text)
{
	struct err e = {0};
	scratch_write(s->path, text);
	int rc = plan_load(p, s->path, &e);
	if (rc)
		fail_msg("plan_load: %d: %s\nplan: %s", rc, e.msg, text);
}

static void assert_names(const char *what, char *const *names, int n, const char *const *want, int n_want)
{
	if (n != n_want)
		fail_msg("%s: %d names, want %d", what, n, n_want);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], want[i]))
			fail_msg("%s: name %d is '%s', want '%s'", what, i, names[i], want[i]);
}

static void assert_ints(const char *what, const int *got, const int *want, int n)
{
	for (int i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("%s[%d] = %d, want %d", what, i, got[i], want[i]);
}

static void assert_path(const struct scratch *s, const char *got, const char *file)
{
	char want[256];
	scratch_path(s, file, want, sizeof want);
	assert_non_null(got);
	assert_string_equal(got, want);
}

/* ---- plan texts ---- */

#define U(n, t) "{\"name\": \"" n "\", \"uniform\": [0, 3], \"truth\": " t "}"
#define UN(n) "{\"name\": \"" n "\", \"uniform\": [0, 3]}"

/* the 14 parameters of Case II, not in model order: each species' b first */
#define P14_LIST                                                                                          \
	U("b1", "0.1") ", " U("a11", "0.8") ", " U("a12", "2.0") ", " U("a13", "2.0") ", " U("a14", "1.0") ", " \
	U("b2", "0.2") ", " U("a22", "1.0") ", " U("a23", "2.0") ", " U("a24", "1.0") ", " U("b3", "0.3") ", "   \
	U("a33", "1.5") ", " U("a34", "1.0") ", " U("b4", "0.4") ", " U("a44", "2.0")
#define P14 "\"parameters\": [" P14_LIST "]"
/* two species, model order */
#define P2 "\"parameters\": [" U("a11", "0.8") ", " U("a12", "2.0") ", " U("a22", "1.0") ", " U("b1", "0.1") ", " \
	   U("b2", "0.2") "]"

static const char *const P14_NAMES[] = {"b1", "a11", "a12", "a13", "a14", "b2", "a22",
					"a23", "a24", "b3",  "a33", "a34", "b4",  "a44"};

/* Case II's hierarchy: M1 on species 1, 2; M2 on 3, 4; M3 on all four;
 * the validation on all four without data. Lists out of order. */
static const char case2[] =
	"{" P14 ",\n"
	" \"levels\": [\n"
	"  {\"name\": \"L1\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"species\": [1, 2],\n"
	"   \"free\": [\"b2\", \"a11\", \"b1\", \"a22\", \"a12\"]},\n"
	"  {\"name\": \"L2\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"species\": [3, 4],\n"
	"   \"free\": [\"b4\", \"a44\", \"a34\", \"b3\", \"a33\"], \"fixed\": \"map\"},\n"
	"  {\"name\": \"L3\", \"model\": \"m4.json\", \"data\": \"d4.mpk\", \"species\": [1, 2, 3, 4],\n"
	"   \"free\": [\"a24\", \"a13\", \"a23\", \"a14\"], \"fixed\": \"mean\"}],\n"
	" \"validation\": {\"model\": \"m4.json\", \"species\": [1, 2, 3, 4]}}\n";

static const char *const M4_GLOBAL[] = {"a11", "a12", "a13", "a14", "a22", "a23", "a24",
					"a33", "a34", "a44", "b1",  "b2",  "b3",  "b4"};

/* ---- loading: names, free parameters, sources ---- */

static void test_case2(void **state)
{
	struct scratch *s = *state;
	struct plan p;

	write_world(s);
	load_ok(s, &p, case2);
	assert_string_equal(p.path, s->path);
	assert_names("plan parameters", p.params.names, p.params.n, P14_NAMES, 14);
	assert_int_equal(p.n_levels, 3);
	assert_true(p.has_validation);
	/* defaults */
	assert_true(p.cov == 0.005);
	assert_true(isnan(p.sigma_obs));
	assert_int_equal(p.samples, 500);
	assert_true(p.seed == 0);

	/* L1: species [1, 2] is the identity; free in plan order */
	const struct plan_level *l1 = &p.levels[0];
	assert_string_equal(l1->name, "L1");
	assert_int_equal(l1->index, 0);
	assert_path(s, l1->model_path, "m2.json");
	assert_path(s, l1->data_path, "d2.mpk");
	assert_true(l1->has_data);
	assert_int_equal(l1->data.species, 2);
	assert_int_equal(l1->data.points, 3);
	assert_true(l1->sigma_obs == 0.005);
	assert_int_equal(l1->fixed, PLAN_MAP);
	assert_names("L1 model", l1->model.names, l1->model.n_theta,
		     (const char *const[]){"a11", "a12", "a22", "b1", "b2"}, 5);
	assert_names("L1 free", l1->prior.names, l1->prior.n, (const char *const[]){"b1", "a11", "a12", "b2", "a22"},
		     5);
	assert_ints("L1 free", l1->free, (const int[]){0, 1, 2, 5, 6}, 5);
	assert_ints("L1 global", l1->global, (const int[]){1, 2, 6, 0, 5}, 5);
	assert_ints("L1 from_free", l1->from_free, (const int[]){1, 2, 4, 0, 3}, 5);
	assert_ints("L1 from_level", l1->from_level, (const int[]){-1, -1, -1, -1, -1}, 5);
	/* the level's prior is the plan's, restricted */
	for (int f = 0; f < l1->prior.n; f++) {
		const struct prior_param *a = &l1->prior.p[f], *b = &p.params.p[l1->free[f]];
		assert_string_equal(a->name, b->name);
		assert_true(a->kind == b->kind && a->a == b->a && a->b == b->b && a->truth == b->truth);
	}

	/* L2: species [3, 4] maps a11 a12 a22 b1 b2 to a33 a34 a44 b3 b4 */
	const struct plan_level *l2 = &p.levels[1];
	assert_string_equal(l2->name, "L2");
	assert_int_equal(l2->index, 1);
	assert_path(s, l2->model_path, "m2.json");
	assert_int_equal(l2->fixed, PLAN_MAP);
	assert_names("L2 model", l2->model.names, l2->model.n_theta,
		     (const char *const[]){"a33", "a34", "a44", "b3", "b4"}, 5);
	assert_names("L2 free", l2->prior.names, l2->prior.n, (const char *const[]){"b3", "a33", "a34", "b4", "a44"},
		     5);
	assert_ints("L2 free", l2->free, (const int[]){9, 10, 11, 12, 13}, 5);
	assert_ints("L2 global", l2->global, (const int[]){10, 11, 13, 9, 12}, 5);
	assert_ints("L2 from_free", l2->from_free, (const int[]){1, 2, 4, 0, 3}, 5);
	assert_ints("L2 from_level", l2->from_level, (const int[]){-1, -1, -1, -1, -1}, 5);

	/* L3: four free, the rest learnt by L1 and L2 */
	const struct plan_level *l3 = &p.levels[2];
	assert_string_equal(l3->name, "L3");
	assert_int_equal(l3->index, 2);
	assert_path(s, l3->model_path, "m4.json");
	assert_path(s, l3->data_path, "d4.mpk");
	assert_int_equal(l3->data.species, 4);
	assert_int_equal(l3->fixed, PLAN_MEAN);
	assert_names("L3 model", l3->model.names, l3->model.n_theta, M4_GLOBAL, 14);
	assert_names("L3 free", l3->prior.names, l3->prior.n, (const char *const[]){"a13", "a14", "a23", "a24"}, 4);
	assert_ints("L3 free", l3->free, (const int[]){3, 4, 7, 8}, 4);
	static const int l3_global[] = {1, 2, 3, 4, 6, 7, 8, 10, 11, 13, 0, 5, 9, 12};
	static const int l3_from_free[] = {-1, -1, 0, 1, -1, 2, 3, -1, -1, -1, -1, -1, -1, -1};
	static const int l3_from_level[] = {0, 0, -1, -1, 0, -1, -1, 1, 1, 1, 0, 0, 1, 1};
	static const int l3_from_pos[] = {1, 2, -1, -1, 4, -1, -1, 1, 2, 4, 0, 3, 0, 3};
	assert_ints("L3 global", l3->global, l3_global, 14);
	assert_ints("L3 from_free", l3->from_free, l3_from_free, 14);
	assert_ints("L3 from_level", l3->from_level, l3_from_level, 14);
	assert_ints("L3 from_pos", l3->from_pos, l3_from_pos, 14);

	/* the validation: L3's free parameters, the rest as for L3, no data */
	const struct plan_level *v = &p.validation;
	assert_string_equal(v->name, "validation");
	assert_int_equal(v->index, 3);
	assert_path(s, v->model_path, "m4.json");
	assert_null(v->data_path);
	assert_false(v->has_data);
	assert_true(isnan(v->sigma_obs));
	assert_int_equal(v->fixed, PLAN_MAP);
	assert_names("validation model", v->model.names, v->model.n_theta, M4_GLOBAL, 14);
	assert_names("validation free", v->prior.names, v->prior.n, (const char *const[]){"a13", "a14", "a23", "a24"},
		     4);
	assert_ints("validation free", v->free, l3->free, 4);
	assert_ints("validation global", v->global, l3_global, 14);
	assert_ints("validation from_free", v->from_free, l3_from_free, 14);
	assert_ints("validation from_level", v->from_level, l3_from_level, 14);
	assert_ints("validation from_pos", v->from_pos, l3_from_pos, 14);

	/* nothing learnt yet: the learnt values wait for plan_level_fix */
	for (int j = 0; j < 14; j++)
		assert_true(isnan(l3->fixed_value[j]));

	/* plan_level_fix: L3 takes the means, the validation the MAPs */
	const double map0[] = {10, 11, 12, 13, 14}, mean0[] = {20, 21, 22, 23, 24};
	const double map1[] = {30, 31, 32, 33, 34}, mean1[] = {40, 41, 42, 43, 44};
	const double map2[] = {50, 51, 52, 53}, mean2[] = {60, 61, 62, 63};
	const double *const maps[] = {map0, map1, map2}, *const means[] = {mean0, mean1, mean2};
	plan_level_fix(&p.levels[2], maps, means);
	plan_level_fix(&p.validation, maps, means);
	const double free_theta[] = {0.5, 0.6, 0.7, 0.8};
	double theta[14];
	plan_level_theta(l3, free_theta, theta);
	static const double l3_theta[] = {21, 22, 0.5, 0.6, 24, 0.7, 0.8, 41, 42, 44, 20, 23, 40, 43};
	for (int j = 0; j < 14; j++)
		if (theta[j] != l3_theta[j])
			fail_msg("L3 theta[%d] (%s) = %g, want %g", j, M4_GLOBAL[j], theta[j], l3_theta[j]);
	plan_level_theta(v, free_theta, theta);
	static const double v_theta[] = {11, 12, 0.5, 0.6, 14, 0.7, 0.8, 31, 32, 34, 10, 13, 30, 33};
	for (int j = 0; j < 14; j++)
		if (theta[j] != v_theta[j])
			fail_msg("validation theta[%d] (%s) = %g, want %g", j, M4_GLOBAL[j], theta[j], v_theta[j]);
	/* free entries keep no fixed value */
	for (int j = 0; j < 14; j++)
		if (l3_from_free[j] >= 0)
			assert_true(isnan(l3->fixed_value[j]));

	/* L1's theta is its free theta, permuted into model order */
	plan_level_theta(l1, (const double[]){0.1, 0.8, 2.0, 0.2, 1.0}, theta);
	static const double l1_theta[] = {0.8, 2.0, 1.0, 0.1, 0.2};
	for (int j = 0; j < 5; j++)
		assert_true(theta[j] == l1_theta[j]);

	/* the model file of a level: the model with its global names */
	json_t *mj = plan_level_model_json(l2);
	assert_non_null(mj);
	json_t *names = json_object_get(mj, "parameters");
	assert_true(json_is_array(names));
	assert_int_equal(json_array_size(names), 5);
	const char *want[] = {"a33", "a34", "a44", "b3", "b4"};
	for (int j = 0; j < 5; j++)
		assert_string_equal(json_string_value(json_array_get(names, (size_t)j)), want[j]);
	assert_int_equal(json_integer_value(json_object_get(mj, "species")), 2);
	assert_int_equal(json_integer_value(json_object_get(mj, "steps")), 100);
	/* a copy: the level's own JSON is untouched */
	assert_null(json_object_get(l2->model.json, "parameters"));
	struct model back;
	struct err e = {0};
	if (model_from_json(&back, mj, "plan_level_model_json", &e))
		fail_msg("the level's model JSON does not load: %s", e.msg);
	assert_names("reloaded model", back.names, back.n_theta, want, 5);
	model_free(&back);
	json_decref(mj);

	plan_free(&p);
	assert_null(p.levels);
	assert_null(p.path);
	assert_int_equal(p.n_levels, 0);
}

/* Without "species" a level's names are its model's own; [1, 2] of a
 * two-species model changes nothing either; reversed species swap. */
static void test_identity_and_reversed(void **state)
{
	struct scratch *s = *state;
	struct plan p;

	write_world(s);
	load_ok(s, &p,
		"{" P14 ",\n"
		" \"levels\": [\n"
		"  {\"name\": \"a\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a12\"]},\n"
		"  {\"name\": \"b\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"species\": [1, 2], \"free\": [\"b2\"]},\n"
		"  {\"name\": \"c\", \"model\": \"m4.json\", \"data\": \"d4.mpk\", \"free\": [\"a34\"]},\n"
		"  {\"name\": \"d\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"species\": [4, 3],\n"
		"   \"free\": [\"a33\", \"b4\", \"a34\", \"b3\", \"a44\"]},\n"
		"  {\"name\": \"e\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"species\": [4, 1], \"free\": [\"a14\"]}]}\n");
	assert_int_equal(p.n_levels, 5);
	assert_names("no species", p.levels[0].model.names, 5, (const char *const[]){"a11", "a12", "a22", "b1", "b2"},
		     5);
	assert_names("species [1, 2]", p.levels[1].model.names, 5,
		     (const char *const[]){"a11", "a12", "a22", "b1", "b2"}, 5);
	assert_names("four species, no species", p.levels[2].model.names, 14, M4_GLOBAL, 14);
	/* [4, 3]: a11 -> a44, a12 -> a43 = a34, a22 -> a33, b1 -> b4, b2 -> b3 */
	const struct plan_level *d = &p.levels[3];
	assert_names("species [4, 3]", d->model.names, 5, (const char *const[]){"a44", "a34", "a33", "b4", "b3"}, 5);
	assert_names("species [4, 3] free", d->prior.names, d->prior.n,
		     (const char *const[]){"b3", "a33", "a34", "b4", "a44"}, 5);
	assert_ints("species [4, 3] from_free", d->from_free, (const int[]){4, 2, 1, 3, 0}, 5);
	double theta[5];
	plan_level_theta(d, (const double[]){3, 33, 34, 4, 44}, theta);
	static const double want[] = {44, 34, 33, 4, 3};
	for (int j = 0; j < 5; j++)
		assert_true(theta[j] == want[j]);
	/* [4, 1]: a12 -> a41 = a14 */
	assert_names("species [4, 1]", p.levels[4].model.names, 5,
		     (const char *const[]){"a44", "a14", "a11", "b4", "b1"}, 5);
	/* a level's "free" is checked against the global names */
	assert_int_equal(p.levels[4].from_free[1], 0);
	plan_free(&p);

	/* a model with its own names and no "species" keeps them */
	load_ok(s, &p,
		"{\"parameters\": [" U("x1", "1") ", " U("x2", "2") ", " U("x3", "3") ", " U("x4", "4") ", " U("x5", "5")
		"], \"levels\": [{\"name\": \"a\", \"model\": \"mc.json\", \"data\": \"d2.mpk\", \"free\": [\"x4\"]}]}");
	assert_names("own names", p.levels[0].model.names, 5, (const char *const[]){"x1", "x2", "x3", "x4", "x5"}, 5);
	assert_ints("own names global", p.levels[0].global, (const int[]){0, 1, 2, 3, 4}, 5);
	plan_free(&p);
}

/* The latest earlier level that learnt a parameter gives it; what no
 * level learnt is fixed at its truth, before and after plan_level_fix. */
static void test_sources(void **state)
{
	struct scratch *s = *state;
	struct plan p;

	write_world(s);
	load_ok(s, &p,
		"{" P2 ", \"sigma_obs\": 0.01, \"cov\": 0.02,\n"
		" \"levels\": [\n"
		"  {\"name\": \"one\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a12\", \"a11\"]},\n"
		"  {\"name\": \"two\", \"model\": \"m2.json\", \"data\": \"d2nosig.mpk\", \"free\": [\"b1\", \"a11\"],\n"
		"   \"fixed\": \"mean\"},\n"
		"  {\"name\": \"three\", \"model\": \"m2.json\", \"data\": \"d2mixed.mpk\", \"free\": [\"a22\"]}],\n"
		" \"validation\": {\"model\": \"m2.json\", \"data\": \"d2.mpk\", \"fixed\": \"mean\"}}\n");
	assert_true(p.sigma_obs == 0.01);
	assert_true(p.cov == 0.02);
	/* the plan's sigma_obs wins over (and stands in for) the data's */
	for (int l = 0; l < 3; l++)
		assert_true(p.levels[l].sigma_obs == 0.01);
	assert_true(p.validation.sigma_obs == 0.01);

	const struct plan_level *two = &p.levels[1], *three = &p.levels[2], *v = &p.validation;
	/* two: a11 free (again), a12 from one, a22 b2 truth */
	assert_ints("two from_free", two->from_free, (const int[]){0, -1, -1, 1, -1}, 5);
	assert_ints("two from_level", two->from_level, (const int[]){-1, 0, -1, -1, -1}, 5);
	assert_ints("two from_pos", two->from_pos, (const int[]){-1, 1, -1, -1, -1}, 5);
	/* three: a11 from two (the latest), a12 from one, b1 from two */
	assert_ints("three from_free", three->from_free, (const int[]){-1, -1, 0, -1, -1}, 5);
	assert_ints("three from_level", three->from_level, (const int[]){1, 0, -1, 1, -1}, 5);
	assert_ints("three from_pos", three->from_pos, (const int[]){0, 1, -1, 1, -1}, 5);
	assert_true(three->fixed_value[4] == 0.2);
	/* the validation: three's free parameter a22, the rest as three */
	assert_int_equal(v->prior.n, 1);
	assert_string_equal(v->prior.names[0], "a22");
	assert_true(v->has_data);
	assert_int_equal(v->fixed, PLAN_MEAN);
	assert_ints("validation from_level", v->from_level, (const int[]){1, 0, -1, 1, -1}, 5);

	/* truths are in place from the start */
	assert_true(two->fixed_value[2] == 1.0 && two->fixed_value[4] == 0.2);
	assert_true(isnan(two->fixed_value[1]));

	const double map0[] = {0.81, 2.01}, mean0[] = {0.79, 1.99};
	const double map1[] = {0.82, 0.11}, mean1[] = {0.78, 0.09};
	const double map2[] = {1.01}, mean2[] = {0.99};
	const double *const maps[] = {map0, map1, map2}, *const means[] = {mean0, mean1, mean2};
	plan_level_fix(&p.levels[1], maps, means);
	plan_level_fix(&p.levels[2], maps, means);
	plan_level_fix(&p.validation, maps, means);
	double theta[5];
	/* two is "mean": a12 is one's mean */
	plan_level_theta(two, (const double[]){0.7, 0.15}, theta);
	static const double want_two[] = {0.7, 1.99, 1.0, 0.15, 0.2};
	for (int j = 0; j < 5; j++)
		if (theta[j] != want_two[j])
			fail_msg("two theta[%d] = %g, want %g", j, theta[j], want_two[j]);
	/* three is "map" (the default) */
	plan_level_theta(three, (const double[]){0.95}, theta);
	static const double want_three[] = {0.82, 2.01, 0.95, 0.11, 0.2};
	for (int j = 0; j < 5; j++)
		if (theta[j] != want_three[j])
			fail_msg("three theta[%d] = %g, want %g", j, theta[j], want_three[j]);
	/* the validation is "mean" */
	plan_level_theta(v, (const double[]){0.95}, theta);
	static const double want_v[] = {0.78, 1.99, 0.95, 0.09, 0.2};
	for (int j = 0; j < 5; j++)
		if (theta[j] != want_v[j])
			fail_msg("validation theta[%d] = %g, want %g", j, theta[j], want_v[j]);
	/* a second fix with other values replaces the first */
	const double map0b[] = {0.5, 0.6};
	const double *const maps_b[] = {map0b, map1, map2};
	plan_level_fix(&p.levels[2], maps_b, means);
	plan_level_theta(three, (const double[]){0.95}, theta);
	assert_true(theta[1] == 0.6 && theta[0] == 0.82 && theta[4] == 0.2);
	plan_free(&p);
}

/* The TMCMC settings, every key given, and "auto" chain steps. */
static void test_settings(void **state)
{
	struct scratch *s = *state;
	struct plan p;

	write_world(s);
	load_ok(s, &p,
		"{" P2 ", \"description\": \"settings\",\n"
		" \"tmcmc\": {\"samples\": 40, \"seed\": 7, \"target_ess\": 0.3, \"min_dbeta\": 0.01, \"logl_scale\": 2,\n"
		"           \"scale\": 0.5, \"adapt\": false, \"target_acceptance\": 0.3, \"resample\": \"multinomial\",\n"
		"           \"chain_steps\": 3, \"max_chain_steps\": 9, \"decorrelation\": 0.4},\n"
		" \"levels\": [{\"name\": \"L\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}]}");
	assert_int_equal(p.samples, 40);
	assert_true(p.seed == 7);
	assert_true(p.tmcmc.target_ess == 0.3);
	assert_true(p.tmcmc.min_dbeta == 0.01);
	assert_true(p.tmcmc.logl_scale == 2);
	assert_true(p.tmcmc.scale == 0.5);
	assert_int_equal(p.tmcmc.adapt, 0);
	assert_true(p.tmcmc.target_acceptance == 0.3);
	assert_int_equal(p.tmcmc.resample, TMCMC_MULTINOMIAL);
	assert_int_equal(p.tmcmc.chain_steps, 3);
	assert_int_equal(p.tmcmc.max_chain_steps, 9);
	assert_true(p.tmcmc.decorrelation == 0.4);
	assert_false(p.has_validation);
	plan_free(&p);

	load_ok(s, &p,
		"{" P2 ", \"tmcmc\": {\"chain_steps\": \"auto\", \"resample\": \"systematic\", \"seed\": 12345678901},\n"
		" \"levels\": [{\"name\": \"L\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}]}");
	struct tmcmc_settings dflt;
	tmcmc_settings_default(&dflt);
	assert_int_equal(p.tmcmc.chain_steps, 0);
	assert_int_equal(p.tmcmc.resample, TMCMC_SYSTEMATIC);
	assert_int_equal(p.samples, 500);
	assert_true(p.seed == 12345678901u);
	/* the defaults, some NaN (the kernel's): as tmcmc_settings_default has them */
	assert_true(isnan(p.tmcmc.target_ess) && isnan(dflt.target_ess));
	assert_true(p.tmcmc.kernel == dflt.kernel && p.tmcmc.dof == dflt.dof && p.tmcmc.delayed == dflt.delayed);
	assert_true(p.tmcmc.max_chain_steps == dflt.max_chain_steps && p.tmcmc.min_chain_steps == dflt.min_chain_steps &&
		    p.tmcmc.adapt == dflt.adapt && isnan(p.tmcmc.scale) && isnan(p.tmcmc.target_acceptance));
	plan_free(&p);
}

/* Paths are relative to the plan file; absolute ones are kept; a plan in
 * the working directory resolves against it. */
static void test_paths(void **state)
{
	struct scratch *s = *state;
	struct plan p;
	char text[2048], abs_model[256], rel_data[256], cwd[PATH_MAX];

	write_world(s);
	scratch_path(s, "m2.json", abs_model, sizeof abs_model);
	const char *base = strrchr(s->dir, '/') + 1;
	snprintf(rel_data, sizeof rel_data, "../%s/d2.mpk", base);
	snprintf(text, sizeof text,
		 "{" P2 ", \"levels\": [{\"name\": \"L\", \"model\": \"%s\", \"data\": \"%s\", \"free\": [\"a11\"]}]}",
		 abs_model, rel_data);
	load_ok(s, &p, text);
	assert_string_equal(p.levels[0].model_path, abs_model);
	char want[512];
	snprintf(want, sizeof want, "%s/%s", s->dir, rel_data);
	assert_string_equal(p.levels[0].data_path, want);
	plan_free(&p);

	/* from inside the directory, the plan named without one */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(s->dir), 0);
	scratch_write("plan.json",
		      "{" P2 ", \"levels\": [{\"name\": \"L\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", "
		      "\"free\": [\"a11\"]}]}");
	struct err e = {0};
	int rc = plan_load(&p, "plan.json", &e);
	int back = chdir(cwd);
	if (rc)
		fail_msg("plan_load plan.json from its directory: %s", e.msg);
	assert_int_equal(back, 0);
	assert_string_equal(p.levels[0].model_path, "m2.json");
	assert_string_equal(p.levels[0].data_path, "d2.mpk");
	plan_free(&p);
}

/* ---- refusals ---- */

#define L1_BODY "\"name\": \"L1\", \"model\": \"m2.json\", \"data\": \"d2.mpk\""
#define LEVEL(x) "{" L1_BODY ", " x "}"
#define PLAN2(levels) "{" P2 ", \"levels\": [" levels "]}"
#define PLAN14(levels) "{" P14 ", \"levels\": [" levels "]}"
#define OK_LEVEL LEVEL("\"free\": [\"a11\"]")
#define TMCMC(x) "{" P2 ", \"tmcmc\": {" x "}, \"levels\": [" OK_LEVEL "]}"
#define VALIDATION(x) "{" P14 ", \"levels\": [" LEVEL("\"free\": [\"a11\"]") "], \"validation\": {" x "}}"

static const struct bad_plan {
	const char *text;
	const char *where;  /* the level or section as named in the message, or NULL for the plan */
	const char *needle; /* the key and what is wrong */
} bad_plans[] = {
	/* the plan */
	{"[1]", NULL, "a plan must be a JSON object"},
	{"{" P2 ", \"levels\": [" OK_LEVEL "], \"bogus\": 1}", NULL, "unknown key 'bogus'"},
	{"{\"levels\": [" OK_LEVEL "]}", NULL, "missing key 'parameters'"},
	{"{\"parameters\": [], \"levels\": [" OK_LEVEL "]}", "'parameters'", "non-empty array"},
	{"{\"parameters\": [" U("a11", "1") ", " U("a11", "1") "], \"levels\": [" OK_LEVEL "]}", "'parameters'",
	 "used twice"},
	{"{" P2 ", \"cov\": -1, \"levels\": [" OK_LEVEL "]}", NULL, "'cov' must not be negative"},
	{"{" P2 ", \"cov\": \"x\", \"levels\": [" OK_LEVEL "]}", NULL, "'cov' must be a number"},
	{"{" P2 ", \"sigma_obs\": 0, \"levels\": [" OK_LEVEL "]}", NULL, "'sigma_obs' must be positive"},
	{"{" P2 ", \"sigma_obs\": -0.005, \"levels\": [" OK_LEVEL "]}", NULL, "'sigma_obs' must be positive"},
	{"{" P2 ", \"sigma_obs\": \"x\", \"levels\": [" OK_LEVEL "]}", NULL, "'sigma_obs' must be a number"},
	{"{" P2 "}", NULL, "'levels' must be a non-empty list"},
	{"{" P2 ", \"levels\": []}", NULL, "'levels' must be a non-empty list"},
	{"{" P2 ", \"levels\": " OK_LEVEL "}", NULL, "'levels' must be a non-empty list"},
	{PLAN2("1"), NULL, "level 1 must be an object"},
	{PLAN2(OK_LEVEL ", [1]"), NULL, "level 2 must be an object"},
	{"{" P2 ", \"levels\": [" OK_LEVEL "], \"validation\": 1}", NULL, "'validation' must be an object"},
	/* the TMCMC settings */
	{"{" P2 ", \"tmcmc\": 1, \"levels\": [" OK_LEVEL "]}", "'tmcmc'", "must be an object"},
	{TMCMC("\"bogus\": 1"), "'tmcmc'", "unknown key 'bogus'"},
	{TMCMC("\"samples\": 1"), "'tmcmc'", "'samples' must be between 2 and"},
	{TMCMC("\"samples\": \"x\""), "'tmcmc'", "'samples' must be an integer"},
	{TMCMC("\"samples\": 10.5"), "'tmcmc'", "'samples' must be an integer"},
	{TMCMC("\"seed\": -1"), "'tmcmc'", "'seed' must be a non-negative integer"},
	{TMCMC("\"seed\": 1.5"), "'tmcmc'", "'seed' must be a non-negative integer"},
	{TMCMC("\"target_ess\": 0"), "'tmcmc'", "'target_ess' must be in (0, 1]"},
	{TMCMC("\"target_ess\": 1.5"), "'tmcmc'", "'target_ess' must be in (0, 1]"},
	{TMCMC("\"target_ess\": \"x\""), "'tmcmc'", "'target_ess' must be a number"},
	{TMCMC("\"min_dbeta\": -0.1"), "'tmcmc'", "'min_dbeta' must be in [0, 1]"},
	{TMCMC("\"min_dbeta\": 1.1"), "'tmcmc'", "'min_dbeta' must be in [0, 1]"},
	{TMCMC("\"logl_scale\": 0"), "'tmcmc'", "'logl_scale' must be positive"},
	{TMCMC("\"decorrelation\": 0"), "'tmcmc'", "'decorrelation' must be in (0, 1]"},
	{TMCMC("\"decorrelation\": 2"), "'tmcmc'", "'decorrelation' must be in (0, 1]"},
	{TMCMC("\"scale\": 0"), "'tmcmc'", "'scale' must be positive"},
	{TMCMC("\"scale\": \"x\""), "'tmcmc'", "'scale' must be a number"},
	{TMCMC("\"target_acceptance\": 0"), "'tmcmc'", "'target_acceptance' must be between 0 and 1"},
	{TMCMC("\"target_acceptance\": 1"), "'tmcmc'", "'target_acceptance' must be between 0 and 1"},
	{TMCMC("\"adapt\": 1"), "'tmcmc'", "'adapt' must be true or false"},
	{TMCMC("\"resample\": \"stratified\""), "'tmcmc'", "'resample' must be \"systematic\" or \"multinomial\""},
	{TMCMC("\"resample\": 1"), "'tmcmc'", "'resample' must be"},
	{TMCMC("\"chain_steps\": \"x\""), "'tmcmc'", "'chain_steps' must be \"auto\" or an integer from 1 to 100000"},
	{TMCMC("\"chain_steps\": 0"), "'tmcmc'", "'chain_steps' must be \"auto\" or an integer from 1 to 100000"},
	{TMCMC("\"chain_steps\": 100001"), "'tmcmc'", "'chain_steps' must be \"auto\" or an integer"},
	{TMCMC("\"chain_steps\": 2.5"), "'tmcmc'", "'chain_steps' must be \"auto\" or an integer"},
	{TMCMC("\"max_chain_steps\": 0"), "'tmcmc'", "'max_chain_steps' must be between 1 and 100000"},
	{TMCMC("\"max_chain_steps\": \"x\""), "'tmcmc'", "'max_chain_steps' must be an integer"},
	/* a level's name */
	{PLAN2("{\"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"), "level 1",
	 "missing key 'name'"},
	{PLAN2("{\"name\": \"\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"), "level 1",
	 "'name' must be a non-empty string"},
	{PLAN2("{\"name\": 3, \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"), "level 1",
	 "'name' must be a non-empty string"},
	{PLAN2("{\"name\": \"a/b\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"), "level 1",
	 "'name' must be letters, digits"},
	{PLAN2(OK_LEVEL ", {\"name\": \"../x\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a12\"]}"),
	 "level 2", "got '../x'"},
	{PLAN2(OK_LEVEL ", {\"name\": \"a b\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", \"free\": [\"a12\"]}"),
	 "level 2", "'name' must be letters"},
	{PLAN2(OK_LEVEL ", " LEVEL("\"free\": [\"a12\"]")), "level 'L1'", "the name is used by level 1 too"},
	/* a level's keys */
	{PLAN2(LEVEL("\"free\": [\"a11\"], \"extra\": 1")), "level 'L1'", "unknown key 'extra'"},
	{PLAN2("{\"name\": \"L1\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"), "level 'L1'",
	 "missing key 'model'"},
	{PLAN2("{\"name\": \"L1\", \"model\": 2, \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"), "level 'L1'",
	 "'model' must be a non-empty string"},
	{PLAN2("{\"name\": \"L1\", \"model\": \"m2.json\", \"free\": [\"a11\"]}"), "level 'L1'",
	 "missing key 'data'"},
	{PLAN2("{\"name\": \"L1\", \"model\": \"m2.json\", \"data\": \"\", \"free\": [\"a11\"]}"), "level 'L1'",
	 "'data' must be a non-empty string"},
	/* 'free' */
	{PLAN2("{" L1_BODY "}"), "level 'L1'", "missing key 'free'"},
	{PLAN2(LEVEL("\"free\": []")), "level 'L1'", "'free' must be a non-empty list of parameter names"},
	{PLAN2(LEVEL("\"free\": \"a11\"")), "level 'L1'", "'free' must be a non-empty list of parameter names"},
	{PLAN2(LEVEL("\"free\": [\"a11\", 1]")), "level 'L1'", "'free'[1] must be a parameter name"},
	{PLAN2(LEVEL("\"free\": [\"a11\", \"zz\"]")), "level 'L1'",
	 "'free': unknown parameter 'zz' (not among the plan's 'parameters')"},
	{PLAN2(LEVEL("\"free\": [\"a11\", \"b2\", \"a11\"]")), "level 'L1'", "'free' names 'a11' twice"},
	{PLAN14(LEVEL("\"species\": [1, 2], \"free\": [\"a11\", \"a33\"]")), "level 'L1'",
	 "'free': 'a33' is not a parameter of the level's model"},
	{PLAN14(LEVEL("\"species\": [3, 4], \"free\": [\"a11\"]")), "level 'L1'",
	 "'free': 'a11' is not a parameter of the level's model"},
	/* 'species' */
	{PLAN2(LEVEL("\"species\": [1], \"free\": [\"a11\"]")), "level 'L1'",
	 "'species' must list 2 global species (one per species of the model)"},
	{PLAN14(LEVEL("\"species\": [1, 2, 3], \"free\": [\"a11\"]")), "level 'L1'", "'species' must list 2"},
	{PLAN2(LEVEL("\"species\": 1, \"free\": [\"a11\"]")), "level 'L1'", "'species' must list 2"},
	{PLAN2(LEVEL("\"species\": [2, 2], \"free\": [\"a11\"]")), "level 'L1'", "'species' names species 2 twice"},
	{PLAN2(LEVEL("\"species\": [0, 1], \"free\": [\"a11\"]")), "level 'L1'",
	 "'species'[0] must be an integer from 1 to 32"},
	{PLAN2(LEVEL("\"species\": [1, 33], \"free\": [\"a11\"]")), "level 'L1'", "'species'[1] must be an integer"},
	{PLAN2(LEVEL("\"species\": [1, \"2\"], \"free\": [\"a11\"]")), "level 'L1'", "'species'[1] must be an integer"},
	{PLAN2(LEVEL("\"species\": [1, 2.5], \"free\": [\"a11\"]")), "level 'L1'", "'species'[1] must be an integer"},
	{"{\"parameters\": [" U("x1", "1") "], \"levels\": [{\"name\": \"L1\", \"model\": \"mc.json\", "
	 "\"data\": \"d2.mpk\", \"species\": [1, 2], \"free\": [\"x1\"]}]}",
	 "level 'L1'", "'species' maps the default parameter names, but the model names parameter 1 'x1'"},
	/* 'fixed' */
	{PLAN2(LEVEL("\"free\": [\"a11\"], \"fixed\": \"median\"")), "level 'L1'",
	 "'fixed' must be \"map\" or \"mean\", got 'median'"},
	{PLAN2(LEVEL("\"free\": [\"a11\"], \"fixed\": \"MAP\"")), "level 'L1'", "'fixed' must be \"map\" or \"mean\""},
	{PLAN2(LEVEL("\"free\": [\"a11\"], \"fixed\": 1")), "level 'L1'", "'fixed' must be a non-empty string"},
	/* where the other parameters come from */
	{"{\"parameters\": [" U("a11", "0.8") ", " U("a12", "2") ", " U("a22", "1") ", " U("b1", "0.1") ", " UN("b2")
	 "], \"levels\": [" OK_LEVEL "]}",
	 "level 'L1'", "parameter 'b2' is neither free here nor learnt by an earlier level, and has no 'truth'"},
	{"{\"parameters\": [" U("a11", "0.8") ", " U("a12", "2") ", " U("a22", "1") ", " U("b1", "0.1")
	 "], \"levels\": [" OK_LEVEL "]}",
	 "level 'L1'", "model parameter 'b2' is not among the plan's 'parameters'"},
	/* learnt by a later level does not count */
	{"{\"parameters\": [" U("a11", "0.8") ", " UN("a12") ", " U("a22", "1") ", " U("b1", "0.1") ", " U("b2", "0.2")
	 "], \"levels\": [" OK_LEVEL ", {\"name\": \"L2\", \"model\": \"m2.json\", \"data\": \"d2.mpk\", "
	 "\"free\": [\"a12\"]}]}",
	 "level 'L1'", "parameter 'a12' is neither free here"},
	/* the data's sigma_obs, when the plan gives none */
	{PLAN2("{\"name\": \"L1\", \"model\": \"m2.json\", \"data\": \"d2nosig.mpk\", \"free\": [\"a11\"]}"),
	 "level 'L1'", "d2nosig.mpk do not say their 'sigma_obs': give the plan's 'sigma_obs'"},
	{PLAN2("{\"name\": \"L1\", \"model\": \"m2.json\", \"data\": \"d2mixed.mpk\", \"free\": [\"a11\"]}"),
	 "level 'L1'", "d2mixed.mpk disagree on 'sigma_obs' (record 2)"},
	/* the validation */
	{VALIDATION("\"model\": \"m4.json\", \"free\": [\"a11\"]"), "'validation'", "unknown key 'free'"},
	{VALIDATION("\"model\": \"m4.json\", \"name\": \"v\""), "'validation'", "unknown key 'name'"},
	{VALIDATION("\"data\": \"d4.mpk\""), "'validation'", "missing key 'model'"},
	{VALIDATION("\"model\": \"m4.json\", \"species\": [1, 2]"), "'validation'", "'species' must list 4"},
	{VALIDATION("\"model\": \"m4.json\", \"species\": [1, 2, 3, 1]"), "'validation'", "names species 1 twice"},
	{VALIDATION("\"model\": \"m4.json\", \"fixed\": \"max\""), "'validation'", "'fixed' must be \"map\" or"},
	{"{\"parameters\": [" U("a11", "0.8") ", " U("a12", "2") ", " U("a22", "1") ", " U("b1", "0.1") ", " UN("b2")
	 "], \"levels\": [{" L1_BODY ", \"free\": [\"a11\", \"b2\"]}, {\"name\": \"L2\", \"model\": \"m2.json\", "
	 "\"data\": \"d2.mpk\", \"free\": [\"a12\"]}], \"validation\": {\"model\": \"m2.json\", \"species\": [1, 2]}}",
	 NULL, NULL /* accepted: b2 is learnt by L1 (checked in test_refusals) */},
	{"{\"parameters\": [" U("a11", "0.8") ", " U("a12", "2") ", " U("a22", "1") ", " U("b1", "0.1") ", " U("b2", "0.2")
	 ", " UN("a33") ", " U("a34", "1") ", " U("a44", "2") ", " U("b3", "0.3") ", " U("b4", "0.4") ", "
	 U("a13", "2") ", " U("a14", "1") ", " U("a23", "2") ", " U("a24", "1") "], \"levels\": [" OK_LEVEL
	 "], \"validation\": {\"model\": \"m4.json\"}}",
	 "'validation'", "parameter 'a33' is neither free here nor learnt"},
};

static void test_refusals(void **state)
{
	struct scratch *s = *state;
	struct plan p;
	struct err e = {0};

	write_world(s);
	for (size_t c = 0; c < sizeof bad_plans / sizeof *bad_plans; c++) {
		const struct bad_plan *b = &bad_plans[c];
		scratch_write(s->path, b->text);
		memset(&e, 0, sizeof e);
		int rc = plan_load(&p, s->path, &e);
		if (!b->needle) { /* a control: this one must load */
			if (rc)
				fail_msg("case %zu: refused: %s\nplan: %s", c, e.msg, b->text);
			plan_free(&p);
			continue;
		}
		if (rc != ERR_INPUT)
			fail_msg("case %zu: got %d (%s), want ERR_INPUT\nplan: %s", c, rc, rc ? e.msg : "accepted",
				 b->text);
		assert_int_equal(e.code, ERR_INPUT);
		if (strncmp(e.msg, s->path, strlen(s->path)) || (b->where && !strstr(e.msg, b->where)) ||
		    !strstr(e.msg, b->needle))
			fail_msg("case %zu: message \"%s\" does not start with the plan and name \"%s\" and \"%s\"\n"
				 "plan: %s",
				 c, e.msg, b->where ? b->where : "", b->needle, b->text);
		plan_free(&p);
	}

	/* more than 64 free names */
	char text[8192];
	int n = snprintf(text, sizeof text, "{" P2 ", \"levels\": [{" L1_BODY ", \"free\": [");
	for (int i = 0; i < 65; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "%s\"a11\"", i ? ", " : "");
	snprintf(text + n, sizeof text - (size_t)n, "]}]}");
	scratch_write(s->path, text);
	assert_int_equal(plan_load(&p, s->path, &e), ERR_INPUT);
	if (strncmp(e.msg, s->path, strlen(s->path)) || !strstr(e.msg, "level 'L1'") ||
	    !strstr(e.msg, "'free' has more than 64 names"))
		fail_msg("65 free names: \"%s\"", e.msg);
	plan_free(&p);

	/* not JSON, and no file */
	scratch_write(s->path, "{\"parameters\": [");
	assert_int_equal(plan_load(&p, s->path, &e), ERR_INPUT);
	assert_int_equal(strncmp(e.msg, s->path, strlen(s->path)), 0);
	plan_free(&p);
	char absent[256];
	scratch_path(s, "absent.json", absent, sizeof absent);
	assert_int_equal(plan_load(&p, absent, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, absent));
	plan_free(&p);
}

/* The files a plan names: a model or data file that is not there or is
 * wrong, data of the wrong species count. The messages must name the
 * file at fault and, as plan.h promises, the plan, the level and the key. */
static void test_refusals_in_files(void **state)
{
	struct scratch *s = *state;
	struct plan p;
	struct err e = {0};
	static const struct {
		const char *text, *file, *needle;
	} cases[] = {
		{PLAN14("{\"name\": \"L1\", \"model\": \"m4.json\", \"data\": \"d2.mpk\", \"free\": [\"a13\"]}"),
		 "d2.mpk", "'phibar'[0] must be a row of 4 numbers"},
		{PLAN14(OK_LEVEL ", {\"name\": \"L2\", \"model\": \"m2.json\", \"data\": \"d4.mpk\", \"species\": [3, 4], "
			"\"free\": [\"a33\"]}"),
		 "d4.mpk", "'phibar'[0] must be a row of 2 numbers"},
		{PLAN2("{\"name\": \"L1\", \"model\": \"absent.json\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"),
		 "absent.json", ""},
		{PLAN2("{\"name\": \"L1\", \"model\": \"m2.json\", \"data\": \"absent.mpk\", \"free\": [\"a11\"]}"),
		 "absent.mpk", ""},
		{PLAN2("{\"name\": \"L1\", \"model\": \"d2.mpk\", \"data\": \"d2.mpk\", \"free\": [\"a11\"]}"), "d2.mpk",
		 ""},
	};
	static const char *const level[] = {"level 'L1'", "level 'L2'", "level 'L1'", "level 'L1'", "level 'L1'"};
	static const char *const key[] = {"'data'", "'data'", "'model'", "'data'", "'model'"};

	write_world(s);
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		scratch_write(s->path, cases[c].text);
		memset(&e, 0, sizeof e);
		int rc = plan_load(&p, s->path, &e);
		if (rc != ERR_INPUT)
			fail_msg("case %zu: got %d (%s), want ERR_INPUT", c, rc, rc ? e.msg : "accepted");
		if (!strstr(e.msg, cases[c].file) || !strstr(e.msg, cases[c].needle))
			fail_msg("case %zu: message \"%s\" does not name %s and \"%s\"", c, e.msg, cases[c].file,
				 cases[c].needle);
		plan_free(&p);
	}
	/* the plan and the level, as for the plan's own keys */
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		scratch_write(s->path, cases[c].text);
		memset(&e, 0, sizeof e);
		int rc = plan_load(&p, s->path, &e);
		plan_free(&p);
		if (rc != ERR_INPUT || strncmp(e.msg, s->path, strlen(s->path)) || !strstr(e.msg, level[c]) ||
		    !strstr(e.msg, key[c]))
			fail_msg("case %zu: message \"%s\" does not start with the plan %s and name %s and %s", c,
				 e.msg, s->path, level[c], key[c]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_case2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_and_reversed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_in_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
