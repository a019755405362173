/*
 * Unit tests for model: reading model files (DESIGN §3), defaults, every
 * validation error, the theta layout, and parameter lists as options give
 * them (model_param_list: "a12,b1", "all", "none"; ascending indices out,
 * malformed, unknown or repeated names refused naming the option).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

#include "objects.h"

/* Case I of the paper, with only the required keys. */
static const char *const base =
	"{\"species\": 2, \"dt\": 1e-4, \"steps\": 1000, \"eta\": [1, 2], \"phi0\": [0.25, 0.30],"
	" \"nutrients\": 100, \"antibiotics\": 10}";

/* base with key set to the JSON value `value`, or removed when NULL */
static json_t *base_with(const char *key, const char *value)
{
	json_t *o = json_text(base);
	if (value)
		json_object_set_new(o, key, json_text(value));
	else
		json_object_del(o, key);
	return o;
}

static void load_ok(struct model *m, json_t *o)
{
	struct err e = {0};
	int rc = model_from_json(m, o, "test.json", &e);
	if (rc)
		fail_msg("model_from_json: %d: %s", rc, e.msg);
}

static void test_defaults(void **state)
{
	(void)state;
	struct model m;
	json_t *o = json_text(base);

	load_ok(&m, o);
	assert_int_equal(m.species, 2);
	assert_true(m.dt == 1e-4);
	assert_int_equal(m.steps, 1000);
	assert_true(m.eta[0] == 1 && m.eta[1] == 2);
	assert_true(m.phi0[0] == 0.25 && m.phi0[1] == 0.30);
	assert_true(m.nutrients == 100);
	assert_true(m.psi0 == 0.999);
	assert_true(m.gamma0 == 1e-6);
	assert_true(m.penalty == 1e-4);
	assert_true(m.tolerance == 1e-6);
	assert_int_equal(m.max_newton, 100);
	/* a number: the same alpha at every step */
	assert_true(model_antibiotics(&m, 1) == 10);
	assert_true(model_antibiotics(&m, 1000) == 10);
	assert_true(model_antibiotics(&m, 1001) == 10);
	assert_int_equal(m.n_theta, 5);
	assert_int_equal(model_state_size(&m), 6);
	const char *const names[5] = {"a11", "a12", "a22", "b1", "b2"};
	for (int k = 0; k < 5; k++) {
		assert_string_equal(m.names[k], names[k]);
		assert_int_equal(model_param_index(&m, names[k]), k);
	}
	assert_int_equal(model_param_index(&m, "a21"), -1);
	assert_int_equal(model_param_index(&m, ""), -1);
	/* the model keeps (a reference to) the object it came from */
	assert_ptr_equal(m.json, o);
	assert_int_equal(o->refcount, 2);
	model_free(&m);
	assert_int_equal(o->refcount, 1);
	json_decref(o);
	/* model_free leaves m empty, and a second call is harmless */
	assert_null(m.names);
	assert_null(m.json);
	model_free(&m);
}

static void test_all_keys(void **state)
{
	(void)state;
	struct model m;
	json_t *o = json_text("{\"species\": 3, \"dt\": 0.5, \"steps\": 7, \"eta\": [1, 2, 3], \"phi0\": 0.1,"
			  " \"psi0\": 0.5, \"gamma0\": -2, \"nutrients\": 0, \"antibiotics\": 0,"
			  " \"penalty\": 0, \"tolerance\": 1e-9, \"max_newton\": 3.0,"
			  " \"parameters\": [\"p1\", \"p2\", \"p3\", \"p4\", \"p5\", \"p6\", \"x\", \"y\", \"z\"]}");

	load_ok(&m, o);
	json_decref(o);
	assert_int_equal(m.species, 3);
	assert_true(m.dt == 0.5);
	assert_int_equal(m.steps, 7);
	/* phi0 as a number: the same for every species */
	for (int i = 0; i < 3; i++)
		assert_true(m.phi0[i] == 0.1 && m.eta[i] == i + 1);
	assert_true(m.psi0 == 0.5);
	assert_true(m.gamma0 == -2);
	assert_true(m.nutrients == 0);
	assert_true(m.penalty == 0);
	assert_true(m.tolerance == 1e-9);
	assert_int_equal(m.max_newton, 3); /* an integral float is an integer */
	assert_int_equal(m.n_theta, 9);
	assert_string_equal(m.names[0], "p1");
	assert_string_equal(m.names[8], "z");
	assert_int_equal(model_param_index(&m, "y"), 7);

	double g[8];
	model_initial_state(&m, g);
	assert_true(g[0] == 0.1 && g[1] == 0.1 && g[2] == 0.1);
	assert_true(g[3] == 1 - (0.1 + 0.1 + 0.1));
	assert_true(g[4] == 0.5 && g[5] == 0.5 && g[6] == 0.5);
	assert_true(g[7] == -2);
	model_free(&m);
}

static void test_theta_size(void **state)
{
	(void)state;
	assert_int_equal(model_theta_size(1), 2);
	assert_int_equal(model_theta_size(2), 5);
	assert_int_equal(model_theta_size(4), 14);
	for (int n = 1; n <= MODEL_MAX_SPECIES; n++)
		assert_int_equal(model_theta_size(n), n * (n + 1) / 2 + n);
	assert_int_equal(model_theta_size(MODEL_MAX_SPECIES), MODEL_MAX_THETA);
}

/* Default names: a%d%d below 10 species, a%d_%d from 10 on. */
static void test_default_names(void **state)
{
	(void)state;
	char buf[32];

	for (int n = 1; n <= MODEL_MAX_SPECIES; n++) {
		struct model m;
		json_t *o = json_pack("{s:i, s:f, s:i, s:f, s:f, s:f, s:f}", "species", n, "dt", 1e-4,
				      "steps", 10, "eta", 1.0, "phi0", 0.5 / n, "nutrients", 1.0,
				      "antibiotics", 0.0);
		/* eta must be a list: replace the number */
		json_t *eta = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(eta, json_real(1.0));
		json_object_set_new(o, "eta", eta);
		load_ok(&m, o);
		json_decref(o);
		assert_int_equal(m.n_theta, model_theta_size(n));
		int k = 0;
		for (int i = 1; i <= n; i++)
			for (int j = i; j <= n; j++) {
				snprintf(buf, sizeof buf, n >= 10 ? "a%d_%d" : "a%d%d", i, j);
				assert_string_equal(m.names[k], buf);
				assert_int_equal(model_param_index(&m, buf), k);
				k++;
			}
		for (int i = 1; i <= n; i++) {
			snprintf(buf, sizeof buf, "b%d", i);
			assert_string_equal(m.names[k++], buf);
		}
		if (n == 10) {
			assert_int_equal(model_param_index(&m, "a1_10"), 9);
			assert_int_equal(model_param_index(&m, "a10_10"), 54);
			assert_int_equal(model_param_index(&m, "b10"), 64);
			assert_int_equal(model_param_index(&m, "a110"), -1);
		}
		if (n == 9)
			assert_int_equal(model_param_index(&m, "a19"), 8);
		model_free(&m);
	}
}

static void test_unpack_theta(void **state)
{
	(void)state;
	struct model m;
	json_t *o = json_text("{\"species\": 3, \"dt\": 1, \"steps\": 1, \"eta\": [1, 1, 1], \"phi0\": 0.1,"
			  " \"nutrients\": 1, \"antibiotics\": 1}");
	/* a11 a12 a13 a22 a23 a33 b1 b2 b3 */
	const double theta[9] = {11, 12, 13, 22, 23, 33, 1, 2, 3};
	const double want[9] = {11, 12, 13, 12, 22, 23, 13, 23, 33};
	double A[9], b[3];

	load_ok(&m, o);
	json_decref(o);
	model_unpack_theta(&m, theta, A, b);
	assert_memory_equal(A, want, sizeof want);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			assert_true(A[i * 3 + j] == A[j * 3 + i]);
	assert_true(b[0] == 1 && b[1] == 2 && b[2] == 3);
	/* the names say the same */
	assert_int_equal(model_param_index(&m, "a13"), 2);
	assert_int_equal(model_param_index(&m, "a23"), 4);
	assert_int_equal(model_param_index(&m, "b1"), 6);
	model_free(&m);
}

/* {"after_step": K, "before": a, "after": b}: a for steps 1..K, b after. */
static void test_antibiotics_schedule(void **state)
{
	(void)state;
	struct model m;
	json_t *o = base_with("antibiotics", "{\"after_step\": 500, \"before\": 0, \"after\": 50}");

	load_ok(&m, o);
	json_decref(o);
	assert_int_equal(m.antibiotics_after_step, 500);
	assert_true(model_antibiotics(&m, 1) == 0);
	assert_true(model_antibiotics(&m, 499) == 0);
	assert_true(model_antibiotics(&m, 500) == 0);
	assert_true(model_antibiotics(&m, 501) == 50);
	assert_true(model_antibiotics(&m, 1000) == 50);
	model_free(&m);

	/* K = 0: "after" from the first step */
	o = base_with("antibiotics", "{\"after_step\": 0, \"before\": 7, \"after\": 3.5}");
	load_ok(&m, o);
	json_decref(o);
	assert_true(model_antibiotics(&m, 1) == 3.5);
	model_free(&m);
}

static void test_model_load(void **state)
{
	(void)state;
	char path[] = "/tmp/test_model.XXXXXX";
	struct model m;
	struct err e = {0};
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(base, f);
	fclose(f);
	assert_int_equal(model_load(&m, path, &e), 0);
	assert_int_equal(m.species, 2);
	assert_int_equal(m.n_theta, 5);
	model_free(&m);

	/* a syntax error names the file and line */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"species\": 2,\n \"dt\": }\n", f);
	fclose(f);
	assert_int_equal(model_load(&m, path, &e), ERR_INPUT);
	assert_int_equal(e.code, ERR_INPUT);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "line 2"));
	assert_null(m.names);
	assert_null(m.json);
	model_free(&m);

	/* a key given twice */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"species\": 2, \"species\": 3}", f);
	fclose(f);
	assert_int_equal(model_load(&m, path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "species"));

	/* a validation error names the file; m is left empty */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"species\": 2, \"dt\": -1}", f);
	fclose(f);
	assert_int_equal(model_load(&m, path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "'dt'"));
	assert_null(m.names);
	assert_null(m.json);
	model_free(&m);

	unlink(path);
	assert_int_equal(model_load(&m, path, &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, path));
	model_free(&m);
}

/* Every error: ERR_INPUT, a message that starts with `where` and names the
 * key in quotes. */
static const struct bad_case {
	const char *key, *value; /* set key to value (JSON), or remove it when NULL */
	const char *needle;      /* must appear in the message */
} bad_cases[] = {
	/* unknown keys */
	{"foo", "1", "unknown key 'foo'"},
	{"Species", "2", "'Species'"},
	{"antibiotic", "1", "'antibiotic'"},
	/* missing keys */
	{"species", NULL, "missing key 'species'"},
	{"dt", NULL, "missing key 'dt'"},
	{"steps", NULL, "missing key 'steps'"},
	{"eta", NULL, "missing key 'eta'"},
	{"phi0", NULL, "missing key 'phi0'"},
	{"nutrients", NULL, "missing key 'nutrients'"},
	{"antibiotics", NULL, "missing key 'antibiotics'"},
	/* ill-typed values */
	{"species", "\"2\"", "'species'"},
	{"species", "2.5", "'species'"},
	{"species", "[2]", "'species'"},
	{"species", "true", "'species'"},
	{"dt", "\"1e-4\"", "'dt'"},
	{"dt", "null", "'dt'"},
	{"steps", "\"1000\"", "'steps'"},
	{"steps", "10.5", "'steps'"},
	{"eta", "\"1\"", "'eta'"},
	{"eta", "1", "'eta'"}, /* eta must be a list */
	{"eta", "[1, \"2\"]", "'eta'"},
	{"eta", "{}", "'eta'"},
	{"phi0", "\"0.2\"", "'phi0'"},
	{"phi0", "[0.2, null]", "'phi0'"},
	{"psi0", "\"0.9\"", "'psi0'"},
	{"gamma0", "[]", "'gamma0'"},
	{"nutrients", "\"100\"", "'nutrients'"},
	{"antibiotics", "\"10\"", "'antibiotics'"},
	{"antibiotics", "[10]", "'antibiotics'"},
	{"penalty", "false", "'penalty'"},
	{"tolerance", "\"1e-6\"", "'tolerance'"},
	{"max_newton", "1.5", "'max_newton'"},
	{"max_newton", "\"100\"", "'max_newton'"},
	{"parameters", "\"a11\"", "'parameters'"},
	/* out of range */
	{"species", "0", "'species'"},
	{"species", "-1", "'species'"},
	{"species", "33", "'species'"},
	{"dt", "-1e-4", "'dt'"},
	{"dt", "0", "'dt'"},
	{"steps", "0", "'steps'"},
	{"steps", "-5", "'steps'"},
	{"steps", "100000001", "'steps'"},
	{"steps", "1e300", "'steps'"},
	{"eta", "[1]", "'eta'"},
	{"eta", "[1, 2, 3]", "'eta'"},
	{"eta", "[]", "'eta'"},
	{"eta", "[1, 0]", "'eta'"},
	{"eta", "[-1, 1]", "'eta'"},
	{"phi0", "[0.2]", "'phi0'"},
	{"phi0", "[0.5, 0.5]", "'phi0'"},
	{"phi0", "[0.6, 0.7]", "'phi0'"},
	{"phi0", "0.5", "'phi0'"}, /* 0.5 for each of 2 species sums to 1 */
	{"phi0", "[0.2, 0]", "'phi0'"},
	{"phi0", "[0.2, -0.1]", "'phi0'"},
	{"psi0", "1", "'psi0'"},
	{"psi0", "1.0", "'psi0'"},
	{"psi0", "0", "'psi0'"},
	{"psi0", "1.5", "'psi0'"},
	{"nutrients", "-1", "'nutrients'"},
	{"antibiotics", "-1", "'antibiotics'"},
	{"penalty", "-1e-4", "'penalty'"},
	{"tolerance", "0", "'tolerance'"},
	{"tolerance", "-1", "'tolerance'"},
	{"max_newton", "0", "'max_newton'"},
	/* the antibiotics schedule */
	{"antibiotics", "{\"after_step\": 5, \"before\": 1}", "'after'"},
	{"antibiotics", "{\"before\": 1, \"after\": 2}", "'after_step'"},
	{"antibiotics", "{\"after_step\": 5, \"before\": 1, \"after\": 2, \"when\": 3}", "'when'"},
	{"antibiotics", "{\"after_step\": -1, \"before\": 1, \"after\": 2}", "'after_step'"},
	{"antibiotics", "{\"after_step\": 1.5, \"before\": 1, \"after\": 2}", "'after_step'"},
	{"antibiotics", "{\"after_step\": 5, \"before\": \"x\", \"after\": 2}", "'before'"},
	{"antibiotics", "{\"after_step\": 5, \"before\": 1, \"after\": -2}", "'antibiotics'"},
	/* bad parameter names */
	{"parameters", "[\"a\", \"b\", \"c\", \"d\"]", "'parameters'"},
	{"parameters", "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]", "'parameters'"},
	{"parameters", "[]", "'parameters'"},
	{"parameters", "[\"a\", \"b\", \"a\", \"d\", \"e\"]", "'parameters'"},
	{"parameters", "[\"a\", \"b\", \"c\", \"d\", \"\"]", "'parameters'"},
	{"parameters", "[\"a\", \"b\", \"c\", \"d\", 5]", "'parameters'"},
	{"parameters", "{\"a\": 1}", "'parameters'"},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof bad_cases / sizeof *bad_cases; c++) {
		const struct bad_case *b = &bad_cases[c];
		struct model m;
		struct err e = {0};
		json_t *o = base_with(b->key, b->value);
		int rc = model_from_json(&m, o, "test.json", &e);
		if (rc != ERR_INPUT)
			fail_msg("%s = %s: got %d (%s), want ERR_INPUT", b->key, b->value ? b->value : "(removed)",
				 rc, rc ? e.msg : "accepted");
		assert_int_equal(e.code, ERR_INPUT);
		if (strncmp(e.msg, "test.json: ", 11) != 0 || !strstr(e.msg, b->needle))
			fail_msg("%s = %s: message \"%s\" does not name \"%s\"", b->key,
				 b->value ? b->value : "(removed)", e.msg, b->needle);
		/* no reference is kept on failure, and freeing is safe */
		assert_int_equal(o->refcount, 1);
		model_free(&m);
		json_decref(o);
	}
}

/* A duplicate parameter name is named in the message. */
static void test_duplicate_parameter_named(void **state)
{
	(void)state;
	struct model m;
	struct err e = {0};
	json_t *o = base_with("parameters", "[\"a\", \"b\", \"c\", \"b\", \"e\"]");

	assert_int_equal(model_from_json(&m, o, "test.json", &e), ERR_INPUT);
	assert_non_null(strstr(e.msg, "'b'"));
	model_free(&m);
	json_decref(o);
}

/* A model must be an object. */
static void test_not_an_object(void **state)
{
	(void)state;
	const char *const texts[] = {"[1, 2]", "1", "\"model\"", "null"};

	for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
		struct model m;
		struct err e = {0};
		json_t *o = json_text(texts[k]);
		assert_int_equal(model_from_json(&m, o, "test.json", &e), ERR_INPUT);
		assert_non_null(strstr(e.msg, "test.json"));
		model_free(&m);
		json_decref(o);
	}
}

/* model_param_list: names to ascending indices (Case I: a11 a12 a22 b1 b2). */
static void param_list_ok(const struct model *m, const char *list, const int *want, int nwant)
{
	int out[MODEL_MAX_THETA], n = -1;
	struct err e = {0};

	for (int p = 0; p < MODEL_MAX_THETA; p++)
		out[p] = -7;
	int rc = model_param_list(m, list, "--free", out, &n, &e);
	if (rc)
		fail_msg("\"%s\": %d: %s", list, rc, e.msg);
	if (n != nwant)
		fail_msg("\"%s\": %d parameters, want %d", list, n, nwant);
	for (int k = 0; k < n; k++)
		if (out[k] != want[k])
			fail_msg("\"%s\": [%d] is %d, want %d", list, k, out[k], want[k]);
	for (int k = n; k < MODEL_MAX_THETA; k++)
		assert_int_equal(out[k], -7); /* nothing written beyond */
}

static void test_param_list(void **state)
{
	(void)state;
	struct model m;
	json_t *o = json_text(base);

	load_ok(&m, o);
	json_decref(o);
	param_list_ok(&m, "a12,b1", (const int[]){1, 3}, 2);
	param_list_ok(&m, "b2,a11", (const int[]){0, 4}, 2);
	param_list_ok(&m, "b2,b1,a22,a12,a11", (const int[]){0, 1, 2, 3, 4}, 5);
	param_list_ok(&m, "a22", (const int[]){2}, 1);
	param_list_ok(&m, "all", (const int[]){0, 1, 2, 3, 4}, 5);
	param_list_ok(&m, "none", NULL, 0);
	model_free(&m);

	/* the model's own names */
	o = base_with("parameters", "[\"k1\", \"k2\", \"k3\", \"s1\", \"s2\"]");
	load_ok(&m, o);
	json_decref(o);
	param_list_ok(&m, "s1,k2", (const int[]){1, 3}, 2);
	model_free(&m);
}

/* Every refusal is ERR_INPUT and names the option and the offending name
 * (or, for a malformed list, the list). */
static void test_param_list_errors(void **state)
{
	(void)state;
	static const struct {
		const char *list, *needle;
	} bad[] = {
		{"", "'--free' is empty"},   /* an empty shell variable, not "none" */
		{"a13", "'a13'"},             /* unknown */
		{"a11,c1", "'c1'"},           /* unknown after a good one */
		{"A11", "'A11'"},             /* names are case-sensitive */
		{" a11", "' a11'"},           /* no blanks */
		{"none,a11", "'none'"},       /* "none" only alone */
		{"all,b1", "'all'"},          /* "all" only alone */
		{"a11,b1,a11", "'a11'"},      /* repeated */
		{"b2,b2", "'b2'"},
		{"a11,", "'a11,'"},           /* trailing comma */
		{"a11,,b1", "'a11,,b1'"},     /* empty element */
		{",a11", "',a11'"},           /* leading comma */
		{",", "','"},
	};
	struct model m;
	json_t *o = json_text(base);

	load_ok(&m, o);
	json_decref(o);
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		int out[MODEL_MAX_THETA], n = -1;
		struct err e = {0};
		int rc = model_param_list(&m, bad[k].list, "--free", out, &n, &e);
		if (rc != ERR_INPUT)
			fail_msg("\"%s\": got %d (%s), want ERR_INPUT", bad[k].list, rc, rc ? e.msg : "accepted");
		assert_int_equal(e.code, ERR_INPUT);
		if (!strstr(e.msg, "'--free'") || !strstr(e.msg, bad[k].needle))
			fail_msg("\"%s\": message \"%s\" does not name '--free' and %s", bad[k].list, e.msg,
				 bad[k].needle);
	}
	/* a repeated name is said to be repeated */
	{
		int out[MODEL_MAX_THETA], n;
		struct err e = {0};
		assert_int_equal(model_param_list(&m, "a11,b1,a11", "--aleatory", out, &n, &e), ERR_INPUT);
		assert_non_null(strstr(e.msg, "'--aleatory'"));
		assert_non_null(strstr(e.msg, "twice"));
	}
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_theta_size),
		cmocka_unit_test(test_default_names),
		cmocka_unit_test(test_unpack_theta),
		cmocka_unit_test(test_antibiotics_schedule),
		cmocka_unit_test(test_model_load),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duplicate_parameter_named),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_param_list),
		cmocka_unit_test(test_param_list_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
