/*
 * Unit tests for mpjson: shortest round-trip doubles, and JSON lines with
 * the NaN/Infinity extension through jansson, MessagePack and back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpjson.h"
#include "rng.h"
#include "stream.h"

#include "objects.h"

/* ---- a growing text sink for mpjson_print ---- */

struct sink {
	char *buf;
	size_t len, cap;
	size_t limit; /* fail once this many bytes would be exceeded (0: never) */
};

static int sink_write(void *data, const char *buf, size_t len)
{
	struct sink *k = data;
	if (k->limit && k->len + len > k->limit)
		return -1;
	if (k->len + len + 1 > k->cap) {
		k->cap = 2 * (k->len + len + 1);
		k->buf = realloc(k->buf, k->cap);
		assert_non_null(k->buf);
	}
	memcpy(k->buf + k->len, buf, len);
	k->len += len;
	k->buf[k->len] = 0;
	return 0;
}

/* ---- mpjson_format_double ---- */

static void expect_format(double x, const char *want)
{
	char buf[32];
	mpjson_format_double(buf, sizeof buf, x);
	if (strcmp(buf, want))
		fail_msg("mpjson_format_double(%.17g) = \"%s\", want \"%s\"", x, buf, want);
}

static void test_format_known(void **state)
{
	(void)state;
	expect_format(0.1, "0.1");
	expect_format(1.0, "1.0");
	expect_format(-1.0, "-1.0");
	expect_format(0.0, "0.0");
	expect_format(-0.0, "-0.0");
	expect_format(100.0, "100.0");
	expect_format(2.5, "2.5");
	expect_format(1e-300, "1e-300");
	expect_format(1e300, "1e+300");
	expect_format(1e21, "1e+21");
	expect_format(123456789.0, "123456789.0");
	expect_format(0.3, "0.3");
	expect_format(0.1 + 0.2, "0.30000000000000004");
	expect_format(1.0 / 3.0, "0.3333333333333333");
	expect_format(2.0 / 3.0, "0.6666666666666666");
	expect_format(DBL_MIN, "2.2250738585072014e-308");
	expect_format(DBL_EPSILON, "2.220446049250313e-16");
	expect_format(DBL_MAX, "1.7976931348623157e+308");
	expect_format(NAN, "NaN");
	expect_format(-NAN, "NaN");
	expect_format(INFINITY, "Infinity");
	expect_format(-INFINITY, "-Infinity");

	/* 1/3 reads back exactly */
	char buf[32];
	mpjson_format_double(buf, sizeof buf, 1.0 / 3.0);
	assert_true(strtod(buf, NULL) == 1.0 / 3.0);
	/* -0.0 keeps its sign */
	mpjson_format_double(buf, sizeof buf, -0.0);
	assert_true(signbit(strtod(buf, NULL)));
}

/* Significant digits of a formatted number ("1.25e-3" -> 3). */
static int significant_digits(const char *s)
{
	int n = 0, started = 0, trailing_zeros = 0;
	for (; *s && *s != 'e' && *s != 'E'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s == '0' && !started)
			continue;
		started = 1;
		n++;
		trailing_zeros = *s == '0' ? trailing_zeros + 1 : 0;
	}
	return n - trailing_zeros;
}

/* No %.*g with fewer significant digits than buf reads back to x. */
static void assert_no_shorter_form(double x, const char *buf)
{
	char shorter[400]; /* %.*g of a double can take 300+ characters */
	int digits = significant_digits(buf);

	for (int p = 1; p < digits; p++) {
		snprintf(shorter, sizeof shorter, "%.*g", p, x);
		if (strtod(shorter, NULL) == x)
			fail_msg("%a printed as \"%s\" (%d digits), but \"%s\" reads back too", x, buf, digits,
				 shorter);
	}
}

/* For random doubles (random bit patterns, so every exponent): the text
 * reads back to the same double (bit for bit), shows it is a float ('.' or
 * an exponent), and is shortest: no printf precision with fewer
 * significant digits reads back to x. Subnormals are checked apart
 * (test_format_subnormal), so that this covers all the normal range. */
static void test_format_random_shortest(void **state)
{
	(void)state;
	struct rng r;
	char buf[32], shorter[400]; /* %.*g of a double can take 300+ characters */
	int tried = 0;

	rng_init(&r, rng_key(42, 1));
	while (tried < 20000) {
		uint64_t bits = rng_next(&r);
		double x;
		memcpy(&x, &bits, sizeof x);
		if (!isfinite(x) || (x != 0 && fabs(x) < DBL_MIN))
			continue;
		/* half of them in a human range, where short forms are common */
		if (tried % 2)
			x = ldexp(rng_uniform(&r), (int)(rng_next(&r) % 40) - 20);
		if (tried % 4 == 1) {
			/* a short decimal: k digits */
			int k = 1 + (int)(rng_next(&r) % 15);
			snprintf(shorter, sizeof shorter, "%.*e", k - 1, x);
			x = strtod(shorter, NULL);
		}
		mpjson_format_double(buf, sizeof buf, x);
		double y = strtod(buf, NULL);
		if (memcmp(&x, &y, sizeof x))
			fail_msg("%a printed as \"%s\" reads back as %a", x, buf, y);
		if (!strpbrk(buf, ".e"))
			fail_msg("%a printed as \"%s\": neither '.' nor an exponent", x, buf);
		assert_no_shorter_form(x, buf);
		tried++;
	}
}

/* Subnormal doubles: they read back, and the text is shortest too
 * (mpjson.h: "the shortest form that reads back to the same double"). */
static void test_format_subnormal(void **state)
{
	(void)state;
	struct rng r;
	char buf[32];

	/* round trip */
	rng_init(&r, rng_key(42, 2));
	for (int i = 0; i < 2000; i++) {
		uint64_t bits = rng_next(&r) & 0x000fffffffffffffULL; /* exponent 0 */
		double x, y;
		memcpy(&x, &bits, sizeof x);
		mpjson_format_double(buf, sizeof buf, x);
		y = strtod(buf, NULL);
		if (memcmp(&x, &y, sizeof x))
			fail_msg("%a printed as \"%s\" reads back as %a", x, buf, y);
	}
	/* shortest */
	expect_format(5e-324, "5e-324"); /* the smallest, 0x1p-1074 */
	expect_format(1e-310, "1e-310");
	expect_format(2.5e-320, "2.5e-320");
	for (int i = 0; i < 2000; i++) {
		uint64_t bits = rng_next(&r) & 0x000fffffffffffffULL;
		double x;
		memcpy(&x, &bits, sizeof x);
		mpjson_format_double(buf, sizeof buf, x);
		assert_no_shorter_form(x, buf);
	}
}

/* ---- the JSON line round trip ---- */

/* Parse a line, pack it into sb, unpack it into u and print it. u points
 * into sb: the caller destroys both. */
static char *roundtrip(const char *line, msgpack_sbuffer *sb, msgpack_unpacked *u)
{
	json_t *j = NULL;
	struct err e = {0};
	msgpack_packer pk;
	struct sink k = {0};

	if (mpjson_parse(line, strlen(line), &j, "line 1", &e))
		fail_msg("mpjson_parse: %s", e.msg);
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	mpjson_pack(&pk, j);
	json_decref(j);
	assert_int_equal(mpjson_print(unpack_whole(u, sb->data, sb->size), sink_write, &k), 0);
	return k.buf;
}

/* A compact line prints back byte for byte. */
static const char *const canonical =
	"{\"a\":{\"b\":{\"c\":[1,-2,3.5,0.1,1e-300,-0.0,1.0,NaN,Infinity,-Infinity]},\"d\":[]},"
	"\"e\":{},"
	"\"q\":\"say \\\"hi\\\"\","
	"\"bs\":\"back\\\\slash\\\\\","
	"\"nl\":\"line1\\nline2\\ttab\\r\","
	"\"ctl\":\"\\u0001x\\u001f\","
	"\"s\":\"NaN\","
	"\"s2\":\"Infinity and -Infinity\","
	"\"s3\":\"\\\\\","
	"\"s4\":\"\\\"NaN\\\"\","
	"\"NaN\":NaN,"
	"\"n\":null,\"t\":true,\"f\":false,"
	"\"big\":9223372036854775807,\"min\":-9223372036854775808,\"int\":42,\"neg\":-7,\"zero\":0,"
	"\"u\":\"h\xc3\xa9llo\","
	"\"deep\":[[[[{\"x\":[NaN,{\"y\":-Infinity}]}]]]]}";

static void test_line_roundtrip(void **state)
{
	(void)state;
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	char *out = roundtrip(canonical, &sb, &u);

	if (strcmp(out, canonical))
		fail_msg("round trip changed the line:\n  in:  %s\n  out: %s", canonical, out);

	const msgpack_object *o = &u.data;
	/* the bare tokens are floats, the quoted ones strings */
	const msgpack_object *c = map_field(map_field(map_field(o, "a"), "b"), "c");
	assert_int_equal(c->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(c->via.array.size, 10);
	assert_int_equal(c->via.array.ptr[0].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(c->via.array.ptr[1].type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(c->via.array.ptr[2].type, MSGPACK_OBJECT_FLOAT64);
	assert_int_equal(c->via.array.ptr[6].type, MSGPACK_OBJECT_FLOAT64); /* 1.0 stays a float */
	assert_true(c->via.array.ptr[6].via.f64 == 1.0);
	assert_true(signbit(c->via.array.ptr[5].via.f64));
	assert_int_equal(c->via.array.ptr[7].type, MSGPACK_OBJECT_FLOAT64);
	assert_true(isnan(c->via.array.ptr[7].via.f64));
	assert_true(c->via.array.ptr[8].via.f64 == INFINITY);
	assert_true(c->via.array.ptr[9].via.f64 == -INFINITY);
	assert_true(stream_object_is_str(map_field(o, "s"), "NaN"));
	assert_true(stream_object_is_str(map_field(o, "s2"), "Infinity and -Infinity"));
	assert_true(stream_object_is_str(map_field(o, "s4"), "\"NaN\""));
	assert_true(stream_object_is_str(map_field(o, "q"), "say \"hi\""));
	assert_true(stream_object_is_str(map_field(o, "bs"), "back\\slash\\"));
	assert_true(stream_object_is_str(map_field(o, "nl"), "line1\nline2\ttab\r"));
	assert_true(stream_object_is_str(map_field(o, "ctl"), "\001x\037"));
	assert_true(isnan(map_field(o, "NaN")->via.f64));
	assert_int_equal(map_field(o, "big")->via.u64, 9223372036854775807ULL);
	assert_int_equal(map_field(o, "min")->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_true(map_field(o, "min")->via.i64 == INT64_MIN);
	assert_int_equal(map_field(o, "n")->type, MSGPACK_OBJECT_NIL);
	assert_int_equal(map_field(o, "t")->type, MSGPACK_OBJECT_BOOLEAN);
	free(out);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/* Whitespace goes; everything else stays. */
static void test_line_whitespace(void **state)
{
	(void)state;
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	char *out = roundtrip(" { \"x\" : [ NaN , -Infinity,Infinity ] ,\t\"y\" : \"a NaN b\" ,"
			      " \"z\":1e2 } ", &sb, &u);
	assert_string_equal(out, "{\"x\":[NaN,-Infinity,Infinity],\"y\":\"a NaN b\",\"z\":100.0}");
	free(out);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/* A line may be any JSON value, the bare tokens included. */
static void test_line_scalars(void **state)
{
	(void)state;
	static const char *const lines[][2] = {
		{"NaN", "NaN"},   {"Infinity", "Infinity"}, {"-Infinity", "-Infinity"},
		{"[NaN]", "[NaN]"}, {"\"NaN\"", "\"NaN\""},  {"0.5", "0.5"},
		{"7", "7"},       {"null", "null"},         {"[]", "[]"},
	};
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		msgpack_sbuffer sb;
		msgpack_unpacked u;
		char *out = roundtrip(lines[i][0], &sb, &u);
		if (strcmp(out, lines[i][1]))
			fail_msg("\"%s\" came back as \"%s\"", lines[i][0], out);
		free(out);
		msgpack_unpacked_destroy(&u);
		msgpack_sbuffer_destroy(&sb);
	}
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"{\"a\": }", "{\"a\": 1", "[1, 2,]", "nan", "[inf]", "NaNx", "[NaN NaN]", "{\"a\": \"x}",
		"", "[1] [2]",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *j = NULL;
		struct err e = {0};
		int rc = mpjson_parse(bad[i], strlen(bad[i]), &j, "in.jsonl: line 3", &e);
		if (rc != ERR_INPUT)
			fail_msg("\"%s\": got %d, want ERR_INPUT", bad[i], rc);
		assert_null(j);
		assert_true(strncmp(e.msg, "in.jsonl: line 3: ", 18) == 0);
		assert_non_null(strstr(e.msg, "column"));
	}
}

/* The text is the first len bytes, not up to a NUL. */
static void test_parse_length(void **state)
{
	(void)state;
	json_t *j = NULL;
	struct err e = {0};
	const char *text = "[1, NaN]garbage";

	assert_int_equal(mpjson_parse(text, 8, &j, "x", &e), 0);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
}

/* Bare tokens one after another are malformed JSON, and must be reported
 * as such. Each NaN becomes an 11-byte tagged string, so this is also a
 * test that the rewriting buffer is large enough (run in a child: an
 * overflow corrupts the heap and aborts the process). */
static void test_parse_many_adjacent_tokens(void **state)
{
	(void)state;
	static const char *const toks[] = {"NaN", "Infinity", "-Infinity"};

	for (size_t t = 0; t < 3; t++) {
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			size_t n = 1000, len = strlen(toks[t]);
			char *line = malloc(n * len + 1);
			if (!line)
				_exit(3);
			for (size_t i = 0; i < n; i++)
				memcpy(line + i * len, toks[t], len);
			line[n * len] = 0;
			json_t *j = NULL;
			struct err e = {0};
			int rc = mpjson_parse(line, n * len, &j, "x", &e);
			json_decref(j);
			free(line);
			_exit(rc == ERR_INPUT ? 0 : 1);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status))
			fail_msg("mpjson_parse of 1000 adjacent %s tokens killed the process with signal %d "
				 "(heap overflow in rewrite_specials?)", toks[t], WTERMSIG(status));
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status))
			fail_msg("mpjson_parse of 1000 adjacent %s tokens: %s", toks[t],
				 WEXITSTATUS(status) == 1 ? "not ERR_INPUT" : "no memory");
	}
}

/* mpjson_print of what JSON lacks: float32, binary, non-string keys. */
static void test_print_other_types(void **state)
{
	(void)state;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	struct sink k = {0};

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_int(&pk, 5);
	msgpack_pack_float(&pk, 0.5f);
	msgpack_pack_nil(&pk);
	msgpack_pack_bin(&pk, 3);
	msgpack_pack_bin_body(&pk, "\x01\x02\xff", 3);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "k", 1);
	msgpack_pack_false(&pk);
	msgpack_pack_double(&pk, NAN);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "\"q", 2);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(mpjson_print(&u.data, sink_write, &k), 0);
	/* an array key is named, not quoted: quoting nested keys again at each
	 * level grows exponentially (a fuzzer's 1 KiB stream printed 134 MB) */
	assert_string_equal(k.buf, "{\"5\":0.5,\"null\":[1,2,255],\"[array]\":false,\"NaN\":\"\\\"q\"}");
	free(k.buf);

	/* a failing sink fails the print, wherever it fails */
	size_t full = strlen("{\"5\":0.5,\"null\":[1,2,255],\"[\\\"k\\\"]\":false,\"NaN\":\"\\\"q\"}");
	for (size_t limit = 1; limit < full; limit++) {
		struct sink f = {0};
		f.limit = limit;
		if (mpjson_print(&u.data, sink_write, &f) != -1)
			fail_msg("a sink failing after %zu bytes: mpjson_print did not fail", limit);
		free(f.buf);
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_random_shortest),
		cmocka_unit_test(test_format_subnormal),
		cmocka_unit_test(test_line_roundtrip),
		cmocka_unit_test(test_line_whitespace),
		cmocka_unit_test(test_line_scalars),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_length),
		cmocka_unit_test(test_parse_many_adjacent_tokens),
		cmocka_unit_test(test_print_other_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
