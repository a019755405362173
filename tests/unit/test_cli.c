/*
 * Unit tests for cli: the parsing of option values that every program's
 * main shares, and the messages it gives (man pages, "OPTIONS"; cli.h).
 *
 * Every option error is ERR_INPUT (exit 2) with a message in one style,
 * "'--every' must be an integer from 1 to 10, got 'x'", so each refusal
 * is checked for the code, the whole message as written down here, and an
 * output left as it was; each acceptance for the exact value. Bounds are
 * checked on both sides of each end (inclusive ends accepted, the next
 * value out refused), the four messages of cli_parse_double_in on each
 * combination of open ends.
 *
 * cli_bad_option is driven through glibc's getopt_long with the programs'
 * own conventions (an option string that starts with ':', so a missing
 * value is ':' and nothing is printed by getopt itself), and must name
 * the option as the user wrote it: "-x" also inside a bundle like -qx or
 * -xq, "--bogus" for a long one. cli_option_error's two lines are read
 * back from a scratch file that stderr is pointed at for the call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"

#include "capture.h"
#include "scratch.h"

static int setup(void **state)
{
	return scratch_setup(state, "test_cli", "stderr.txt");
}

/* ---- helpers ---- */

/* A refusal: ERR_INPUT returned and in e, with exactly the message want. */
static void assert_refused(int rc, const struct err *e, const char *want)
{
	assert_int_equal(rc, ERR_INPUT);
	assert_int_equal(e->code, ERR_INPUT);
	assert_string_equal(e->msg, want);
}

static void long_ok(const char *arg, long lo, long hi, long want)
{
	struct err e = {0};
	long v = -12345;
	int rc = cli_parse_long(arg, "--every", lo, hi, &v, &e);
	if (rc)
		fail_msg("cli_parse_long('%s', %ld, %ld) refused: %s", arg, lo, hi, e.msg);
	assert_int_equal(v, want);
}

static void long_bad(const char *arg, long lo, long hi, const char *want)
{
	struct err e = {0};
	long v = -12345;
	assert_refused(cli_parse_long(arg, "--every", lo, hi, &v, &e), &e, want);
	assert_int_equal(v, -12345); /* untouched */
}

static void double_in_ok(const char *arg, double lo, double hi, int open, double want)
{
	struct err e = {0};
	double v = -999;
	if (cli_parse_double_in(arg, "--x", lo, hi, open, &v, &e))
		fail_msg("cli_parse_double_in('%s', %g, %g, %d) refused: %s", arg, lo, hi, open, e.msg);
	assert_true(v == want);
}

static void double_in_bad(const char *arg, double lo, double hi, int open, const char *want)
{
	struct err e = {0};
	double v = -999;
	assert_refused(cli_parse_double_in(arg, "--x", lo, hi, open, &v, &e), &e, want);
}

/* ---- cli_parse_long ---- */

static void test_parse_long_bounds(void **state)
{
	(void)state;
	long_ok("5", 1, 10, 5);
	long_ok("1", 1, 10, 1);   /* both ends inclusive */
	long_ok("10", 1, 10, 10);
	long_ok("-3", -5, 5, -3);
	long_ok("+7", 1, 10, 7);
	long_ok("007", 1, 10, 7); /* base 10, not octal */
	long_bad("0", 1, 10, "'--every' must be an integer from 1 to 10, got '0'");
	long_bad("11", 1, 10, "'--every' must be an integer from 1 to 10, got '11'");
	long_bad("-6", -5, 5, "'--every' must be an integer from -5 to 5, got '-6'");
	/* the extremes of long, and one past them */
	long_ok("9223372036854775807", 0, LONG_MAX, LONG_MAX);
	long_ok("-9223372036854775808", LONG_MIN, 0, LONG_MIN);
	long_bad("9223372036854775808", 0, LONG_MAX,
		 "'--every' must be an integer from 0 to 9223372036854775807, got '9223372036854775808'");
	long_bad("-9223372036854775809", LONG_MIN, 0,
		 "'--every' must be an integer from -9223372036854775808 to 0, got '-9223372036854775809'");
}

static void test_parse_long_junk(void **state)
{
	(void)state;
	long_bad("x", 1, 10, "'--every' must be an integer from 1 to 10, got 'x'");
	long_bad("", 1, 10, "'--every' must be an integer from 1 to 10, got ''");
	long_bad("5x", 1, 10, "'--every' must be an integer from 1 to 10, got '5x'");
	long_bad("5 ", 1, 10, "'--every' must be an integer from 1 to 10, got '5 '");
	long_bad("2.0", 1, 10, "'--every' must be an integer from 1 to 10, got '2.0'");
	long_bad("1e1", 1, 100, "'--every' must be an integer from 1 to 100, got '1e1'");
	long_bad("-", 1, 10, "'--every' must be an integer from 1 to 10, got '-'");
	long_bad("99999999999999999999999", 1, 10,
		 "'--every' must be an integer from 1 to 10, got '99999999999999999999999'");
}

/* ---- cli_parse_double ---- */

static void test_parse_double(void **state)
{
	(void)state;
	struct err e = {0};
	double v = 0;

	assert_int_equal(cli_parse_double("2.5", "--tol", &v, &e), 0);
	assert_true(v == 2.5);
	assert_int_equal(cli_parse_double("-1e3", "--tol", &v, &e), 0);
	assert_true(v == -1000);
	assert_int_equal(cli_parse_double("0.1", "--tol", &v, &e), 0);
	assert_true(v == 0.1);
	assert_int_equal(cli_parse_double("7", "--tol", &v, &e), 0);
	assert_true(v == 7);

	static const char *const bad[] = {"nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999",
					  "", "x", "1.5x", "1.5 ", "--1"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char want[128];
		v = -42;
		snprintf(want, sizeof want, "'--tol' must be a finite number, got '%s'", bad[i]);
		assert_refused(cli_parse_double(bad[i], "--tol", &v, &e), &e, want);
		assert_true(v == -42); /* untouched */
	}
}

/*
 * Fixed bug (cli_parse_double, minor): a subnormal number is refused as not
 * finite. strtod sets errno to ERANGE when the result is subnormal (it
 * underflows the normal range although it is exact enough to be a
 * double), and the errno test takes that for an error:
 *
 *     cli_parse_double("1e-310", "--tol", ...)  ->  "'--tol' must be a
 *         finite number, got '1e-310'"
 *
 * while 1e-310 is a finite double (mpjson_format_double prints such
 * numbers on purpose). The smallest normal number, 2.2250738585072014e-308,
 * is accepted; the next one down is not.
 */
static void test_parse_double_subnormal(void **state)
{
	(void)state;
	struct err e = {0};
	double v = 0;

	assert_int_equal(cli_parse_double("2.2250738585072014e-308", "--tol", &v, &e), 0);
	assert_true(v == 2.2250738585072014e-308);
	if (cli_parse_double("1e-310", "--tol", &v, &e))
		fail_msg("cli_parse_double(\"1e-310\") refused a finite number: %s", e.msg);
	assert_true(v == 1e-310);
}

/* ---- cli_parse_double_in ---- */

/* (0, inf) and [0, inf): "must be positive", "must not be negative". */
static void test_parse_double_in_half_lines(void **state)
{
	(void)state;
	double_in_ok("1e-300", 0, INFINITY, CLI_OPEN_LO, 1e-300);
	double_in_ok("5", 0, INFINITY, CLI_OPEN_LO, 5);
	double_in_bad("0", 0, INFINITY, CLI_OPEN_LO, "'--x' must be positive, got '0'");
	double_in_bad("-0", 0, INFINITY, CLI_OPEN_LO, "'--x' must be positive, got '-0'");
	double_in_bad("-2", 0, INFINITY, CLI_OPEN_LO, "'--x' must be positive, got '-2'");
	/* both ends open on (0, inf): still "positive" */
	double_in_bad("0", 0, INFINITY, CLI_OPEN_LO | CLI_OPEN_HI, "'--x' must be positive, got '0'");

	double_in_ok("0", 0, INFINITY, 0, 0);
	double_in_ok("3.25", 0, INFINITY, 0, 3.25);
	double_in_bad("-0.5", 0, INFINITY, 0, "'--x' must not be negative, got '-0.5'");
	double_in_bad("-1e-300", 0, INFINITY, CLI_OPEN_HI, "'--x' must not be negative, got '-1e-300'");

	/* infinity itself is never a value, even below an infinite bound */
	double_in_bad("inf", 0, INFINITY, 0, "'--x' must be a finite number, got 'inf'");
}

/* A bounded interval, each combination of open ends. */
static void test_parse_double_in_intervals(void **state)
{
	(void)state;
	/* [0, 1] */
	double_in_ok("0", 0, 1, 0, 0);
	double_in_ok("1", 0, 1, 0, 1);
	double_in_ok("0.5", 0, 1, 0, 0.5);
	double_in_bad("1.5", 0, 1, 0, "'--x' must be in [0, 1], got '1.5'");
	double_in_bad("-0.001", 0, 1, 0, "'--x' must be in [0, 1], got '-0.001'");
	/* (0, 1] */
	double_in_ok("1", 0, 1, CLI_OPEN_LO, 1);
	double_in_bad("0", 0, 1, CLI_OPEN_LO, "'--x' must be in (0, 1], got '0'");
	double_in_bad("2", 0, 1, CLI_OPEN_LO, "'--x' must be in (0, 1], got '2'");
	/* [0, 1) */
	double_in_ok("0", 0, 1, CLI_OPEN_HI, 0);
	double_in_bad("1", 0, 1, CLI_OPEN_HI, "'--x' must be in [0, 1), got '1'");
	/* (0, 1): "between" */
	double_in_ok("0.999", 0, 1, CLI_OPEN_LO | CLI_OPEN_HI, 0.999);
	double_in_bad("0", 0, 1, CLI_OPEN_LO | CLI_OPEN_HI, "'--x' must be between 0 and 1, got '0'");
	double_in_bad("1", 0, 1, CLI_OPEN_LO | CLI_OPEN_HI, "'--x' must be between 0 and 1, got '1'");
	/* other ends print with %g */
	double_in_bad("0.25", 0.5, 2.5, 0, "'--x' must be in [0.5, 2.5], got '0.25'");
	double_in_bad("0.25", 0.5, INFINITY, 0, "'--x' must be in [0.5, inf], got '0.25'");
	double_in_ok("1e6", 0.5, INFINITY, 0, 1e6);
	/* the number is checked as a number first */
	double_in_bad("0.5x", 0, 1, 0, "'--x' must be a finite number, got '0.5x'");
	double_in_bad("nan", 0, 1, 0, "'--x' must be a finite number, got 'nan'");
}

/* ---- cli_parse_stats ---- */

static void test_parse_stats(void **state)
{
	(void)state;
	struct err e = {0};
	double s = -1;

	assert_int_equal(cli_parse_stats(NULL, &s, &e), 0);
	assert_true(s == CLI_STATS_INTERVAL);
	assert_true(s == 10.0);
	assert_int_equal(cli_parse_stats("2.5", &s, &e), 0);
	assert_true(s == 2.5);
	/* 0: a line after every unit of work (man/solve.1) */
	assert_int_equal(cli_parse_stats("0", &s, &e), 0);
	assert_true(s == 0);
	assert_refused(cli_parse_stats("-1", &s, &e), &e, "'--stats' must not be negative, got '-1'");
	assert_refused(cli_parse_stats("", &s, &e), &e, "'--stats' must be a finite number, got ''");
	assert_refused(cli_parse_stats("1s", &s, &e), &e, "'--stats' must be a finite number, got '1s'");
}

/* ---- cli_parse_shard ---- */

static void test_parse_shard(void **state)
{
	(void)state;
	struct err e = {0};
	unsigned i = 77, k = 77;

	assert_int_equal(cli_parse_shard("0/1", &i, &k, &e), 0);
	assert_int_equal(i, 0);
	assert_int_equal(k, 1);
	assert_int_equal(cli_parse_shard("2/3", &i, &k, &e), 0);
	assert_int_equal(i, 2);
	assert_int_equal(k, 3);
	assert_int_equal(cli_parse_shard("999999/1000000", &i, &k, &e), 0);
	assert_int_equal(i, 999999);
	assert_int_equal(k, 1000000);

	static const char *const bad[] = {"1/1", "-1/2", "2/", "a/b", "0/0", "3/2", "/2", "1", "",
					  "1/2x", "1/-2", "0/1000001", "1//2", "1/2/3", "99999999999999999999/2"};
	for (size_t n = 0; n < sizeof bad / sizeof *bad; n++) {
		char want[128];
		i = k = 77;
		snprintf(want, sizeof want, "'--shard' must be I/K with 0 <= I < K, got '%s'", bad[n]);
		assert_refused(cli_parse_shard(bad[n], &i, &k, &e), &e, want);
		assert_int_equal(i, 77); /* untouched */
		assert_int_equal(k, 77);
	}
}

/* ---- cli_parse_list ---- */

static void list_ok(const char *arg, long lo, long hi, const int *want, int n_want)
{
	struct err e = {0};
	int *v = NULL, n = -1;
	if (cli_parse_list(arg, "--steps", lo, hi, &v, &n, &e))
		fail_msg("cli_parse_list('%s') refused: %s", arg, e.msg);
	assert_non_null(v);
	assert_int_equal(n, n_want);
	for (int i = 0; i < n_want; i++)
		if (v[i] != want[i])
			fail_msg("cli_parse_list('%s')[%d] = %d, want %d", arg, i, v[i], want[i]);
	free(v);
}

static void list_bad(const char *arg, long lo, long hi)
{
	struct err e = {0};
	int sentinel = 5, *v = &sentinel, n = -1;
	char want[256];
	snprintf(want, sizeof want, "'--steps' must be a comma-separated list of integers from %ld to %ld, got '%s'",
		 lo, hi, arg);
	assert_refused(cli_parse_list(arg, "--steps", lo, hi, &v, &n, &e), &e, want);
	assert_ptr_equal(v, &sentinel); /* nothing handed out (and nothing leaked: valgrind) */
	assert_int_equal(n, -1);
}

static void test_parse_list(void **state)
{
	(void)state;
	list_ok("5", 0, 100, (const int[]){5}, 1);
	list_ok("3,1,2", 0, 100, (const int[]){1, 2, 3}, 3);
	list_ok("7,3,7,3,3,0", 0, 100, (const int[]){0, 3, 7}, 3);
	list_ok("100,0", 0, 100, (const int[]){0, 100}, 2); /* both ends inclusive */
	list_ok("-2,-5", -5, 5, (const int[]){-5, -2}, 2);
	list_ok("4,4,4,4", 0, 100, (const int[]){4}, 1);

	static const char *const bad[] = {"101", "1,101", "-1,2", "", ",", "1,,2", ",1", "1,", "1,x", "1;2", "1.5",
					  "1, 2x", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		list_bad(bad[i], 0, 100);
}

/* ---- cli_parse_command ---- */

static void test_parse_command(void **state)
{
	(void)state;
	struct err e = {0};
	const char *out = NULL;
	const char *cmd = "bin/analytic-loglik -m m.json";

	assert_int_equal(cli_parse_command(cmd, "--eval", &out, &e), 0);
	assert_ptr_equal(out, cmd);
	assert_int_equal(cli_parse_command(" x ", "--eval", &out, &e), 0);
	assert_string_equal(out, " x ");

	assert_refused(cli_parse_command("", "--eval", &out, &e), &e, "'--eval' needs a command, got ''");
	assert_refused(cli_parse_command("   ", "--eval", &out, &e), &e, "'--eval' needs a command, got '   '");
	assert_refused(cli_parse_command(" \t\n", "--eval", &out, &e), &e,
		       "'--eval' needs a command, got ' \t\n'");
}

/* ---- cli_bad_option ---- */

static const struct option longopts[] = {
	{"quiet", no_argument, NULL, 'q'},
	{"every", required_argument, NULL, 'e'},
	{"verbose", no_argument, NULL, 'v'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* Run getopt_long over argv (NULL-terminated) as the programs do; the
 * first error goes through cli_bad_option into e, whose return is given
 * back; 0 when every option was good. The good options seen before the
 * error are in seen ("qe" for -q then -e). */
static int parse(char **argv, struct err *e, char *seen)
{
	int argc = 0, c;
	while (argv[argc])
		argc++;
	optind = 0; /* glibc: start over, bundles included */
	*seen = 0;
	while ((c = getopt_long(argc, argv, ":qe:", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
		case 'e':
		case 'v':
		case 'V': {
			size_t n = strlen(seen);
			seen[n] = (char)c;
			seen[n + 1] = 0;
			break;
		}
		default:
			return cli_bad_option(c, argv, e);
		}
	}
	return 0;
}

static void bad_option(char **argv, const char *want_seen, const char *want)
{
	struct err e = {0};
	char seen[16];
	assert_refused(parse(argv, &e, seen), &e, want);
	assert_string_equal(seen, want_seen);
}

static void test_bad_option_missing_value(void **state)
{
	(void)state;
	bad_option((char *[]){"prog", "-e", NULL}, "", "option '-e' needs a value");
	bad_option((char *[]){"prog", "-q", "--every", NULL}, "q", "option '--every' needs a value");
	/* the end of a bundle */
	bad_option((char *[]){"prog", "-qe", NULL}, "q", "option '-e' needs a value");
	/* an abbreviation, as written */
	bad_option((char *[]){"prog", "--ev", NULL}, "", "option '--ev' needs a value");

	/* and the good forms of the same, for contrast */
	struct err e = {0};
	char seen[16];
	assert_int_equal(parse((char *[]){"prog", "-qe5", "--every", "3", "--every=4", "--verb", NULL}, &e, seen), 0);
	assert_string_equal(seen, "qeeev");
}

static void test_bad_option_unknown(void **state)
{
	(void)state;
	bad_option((char *[]){"prog", "-x", NULL}, "", "unknown or ambiguous option '-x'");
	bad_option((char *[]){"prog", "-q", "-x", NULL}, "q", "unknown or ambiguous option '-x'");
	bad_option((char *[]){"prog", "--quiet", "-x", NULL}, "q", "unknown or ambiguous option '-x'");
	/* inside a bundle: last, first, middle */
	bad_option((char *[]){"prog", "-qx", NULL}, "q", "unknown or ambiguous option '-x'");
	bad_option((char *[]){"prog", "-xq", NULL}, "", "unknown or ambiguous option '-x'");
	bad_option((char *[]){"prog", "-qxq", NULL}, "q", "unknown or ambiguous option '-x'");
	bad_option((char *[]){"prog", "-q", "-xq", NULL}, "q", "unknown or ambiguous option '-x'");
	bad_option((char *[]){"prog", "--every", "5", "-xq", NULL}, "e", "unknown or ambiguous option '-x'");
	/* long options: unknown, ambiguous (--verbose, --version) */
	bad_option((char *[]){"prog", "--bogus", NULL}, "", "unknown or ambiguous option '--bogus'");
	bad_option((char *[]){"prog", "-q", "--bogus=1", NULL}, "q", "unknown or ambiguous option '--bogus=1'");
	bad_option((char *[]){"prog", "--ver", NULL}, "", "unknown or ambiguous option '--ver'");
}

/*
 * Fixed bug (cli_bad_option): an unknown short option that is not the last of
 * its bundle, right after a long option, is reported under the long
 * option's name. getopt_long leaves optind on the bundle while it is not
 * finished, so argv[optind - 1] is the argument before it, and a "--"
 * there is taken as the option the user wrote:
 *
 *     prog --quiet -xq     ->  unknown or ambiguous option '--quiet'
 *     prog --every=3 -xq   ->  unknown or ambiguous option '--every=3'
 *
 * where '-x' is meant (as for "prog -q -xq" and "prog -xq").
 */
static void test_bad_option_bundle_after_long_option(void **state)
{
	(void)state;
	bad_option((char *[]){"prog", "--quiet", "-xq", NULL}, "q", "unknown or ambiguous option '-x'");
	bad_option((char *[]){"prog", "--every=3", "-xq", NULL}, "e", "unknown or ambiguous option '-x'");
}

/* ---- cli_option_error ---- */

/* Call cli_option_error with stderr on path; the text it wrote (the
 * caller frees it). */
static char *option_error_text(const char *path, const char *prog, const char *synopsis, int rc,
			       const struct err *e)
{
	struct capture c;

	capture_begin(&c, 2, path);
	cli_option_error(prog, synopsis, rc, e);
	capture_end(&c);
	return scratch_read(path, NULL);
}

static void test_option_error(void **state)
{
	struct scratch *s = *state;
	static const struct {
		int code;
		const char *msg, *prog, *synopsis, *want;
	} cases[] = {
		{ERR_INPUT, "'--every' must be an integer from 1 to 10, got 'x'", "solve", "-m MODEL.json [options]",
		 "solve: '--every' must be an integer from 1 to 10, got 'x'\n"
		 "usage: solve -m MODEL.json [options]; see solve --help\n"},
		/* other errors: the message alone */
		{ERR_RUNTIME, "out.mpk: No space left on device", "mpcat", "[--json|--tsv]",
		 "mpcat: out.mpk: No space left on device\n"},
		{ERR_NOMEM, "out of memory", "mpcat", "[--json|--tsv]", "mpcat: out of memory\n"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct err e = {0};
		err_set(&e, cases[i].code, "%s", cases[i].msg);
		char *text = option_error_text(s->path, cases[i].prog, cases[i].synopsis, cases[i].code, &e);
		assert_string_equal(text, cases[i].want);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long_bounds),
		cmocka_unit_test(test_parse_long_junk),
		cmocka_unit_test(test_parse_double),
		cmocka_unit_test(test_parse_double_subnormal),
		cmocka_unit_test(test_parse_double_in_half_lines),
		cmocka_unit_test(test_parse_double_in_intervals),
		cmocka_unit_test(test_parse_stats),
		cmocka_unit_test(test_parse_shard),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_parse_command),
		cmocka_unit_test(test_bad_option_missing_value),
		cmocka_unit_test(test_bad_option_unknown),
		cmocka_unit_test(test_bad_option_bundle_after_long_option),
		cmocka_unit_test_setup_teardown(test_option_error, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
