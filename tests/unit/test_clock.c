/*
 * Unit tests for clock (monotonic seconds, durations for people) and
 * progress (the progress line on stderr).
 *
 * clock_format_seconds: the exact strings at the unit boundaries (below
 * 1 ms in us, below 1 s in ms, else s; 3 significant digits) and the
 * header's own examples. clock_now: monotonic over many calls.
 *
 * progress: whether it is on (quiet wins over everything; forced turns it
 * on; otherwise stderr being a terminal decides), counting, and
 * progress_due, whose quarter second is controlled by setting p.last
 * (never by sleeping): off is never due, force is always due when on, a
 * line is due when the last one is 0.3 s old and not when it is 0.1 s
 * old or in the future. The lines themselves are read back from stderr
 * redirected to a scratch file.
 *
 * One test showed a bug in clock.c, now fixed (marked "Fixed bug"
 * below): a duration just under a unit boundary rounded up to "1e+03" of
 * the smaller unit.
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

#include "clock.h"
#include "progress.h"

#include "capture.h"
#include "scratch.h"

static int setup(void **state)
{
	return scratch_setup(state, "test_clock", "stderr.txt");
}

/* ---- clock ---- */

static void expect_format(double s, const char *want)
{
	char buf[64];
	memset(buf, 'Z', sizeof buf);
	clock_format_seconds(buf, sizeof buf, s);
	if (strcmp(buf, want))
		fail_msg("clock_format_seconds(%.17g) = \"%s\", want \"%s\"", s, buf, want);
}

static void test_format_boundaries(void **state)
{
	(void)state;
	expect_format(0, "0 us");
	expect_format(999e-6, "999 us");
	expect_format(1e-3, "1 ms");
	expect_format(0.999, "999 ms");
	expect_format(1, "1 s");
	expect_format(2.5, "2.5 s");
	/* the header's examples */
	expect_format(781e-6, "781 us");
	expect_format(1.21e-3, "1.21 ms");
	/* three significant digits in each unit */
	expect_format(1e-6, "1 us");
	expect_format(1.5e-9, "0.0015 us");
	expect_format(12.34e-6, "12.3 us");
	expect_format(123.4e-3, "123 ms");
	expect_format(1.2345, "1.23 s");
	expect_format(59.94, "59.9 s");
	expect_format(999, "999 s");
}

/* The output is cut to the buffer, and always ends. */
static void test_format_small_buffer(void **state)
{
	(void)state;
	char buf[4];
	clock_format_seconds(buf, sizeof buf, 2.5);
	assert_string_equal(buf, "2.5");
	clock_format_seconds(buf, 1, 2.5);
	assert_string_equal(buf, "");
}

/* Fixed bug (clock.c, clock_format_seconds): the unit is chosen before the
 * rounding to 3 digits, so a duration just under a boundary rounds up to
 * 1000 of the smaller unit and %g prints it in exponent form:
 *     clock_format_seconds(0.9996)  = "1e+03 ms", want "1 s"
 *     clock_format_seconds(999.6e-6) = "1e+03 us", want "1 ms"
 * (profile's and the monitor's reports print such times). */
static void test_format_rounds_over_boundary(void **state)
{
	(void)state;
	char a[64], b[64];

	clock_format_seconds(a, sizeof a, 0.9996);
	clock_format_seconds(b, sizeof b, 999.6e-6);
	if (strcmp(a, "1 s") || strcmp(b, "1 ms"))
		fail_msg("regression: clock_format_seconds(0.9996) = \"%s\" (want \"1 s\"), "
			 "clock_format_seconds(999.6e-6) = \"%s\" (want \"1 ms\")", a, b);
}

static void test_now_monotonic(void **state)
{
	(void)state;
	double last = clock_now();

	assert_true(last > 0);
	for (int i = 0; i < 10000; i++) {
		double t = clock_now();
		if (t < last)
			fail_msg("clock_now went back: %.9f after %.9f", t, last);
		last = t;
	}
}

/* ---- progress ---- */

static void test_init(void **state)
{
	(void)state;
	struct progress p;

	/* quiet: off, forced or not */
	for (int forced = 0; forced <= 1; forced++) {
		memset(&p, 0x55, sizeof p);
		progress_init(&p, forced, 1);
		assert_int_equal(p.on, 0);
		assert_int_equal(p.count, 0);
	}
	/* forced, not quiet: on */
	double before = clock_now();
	memset(&p, 0x55, sizeof p);
	progress_init(&p, 1, 0);
	double after = clock_now();
	assert_int_equal(p.on, 1);
	assert_int_equal(p.count, 0);
	assert_true(p.start == p.last);
	assert_true(p.start >= before && p.start <= after);
	/* neither: on when stderr is a terminal */
	progress_init(&p, 0, 0);
	assert_int_equal(p.on, isatty(2) ? 1 : 0);
}

static void test_add_counts(void **state)
{
	(void)state;
	struct progress p;

	progress_init(&p, 0, 1);
	progress_add(&p, 5, "test", "things");
	assert_int_equal(p.count, 5);
	progress_tick(&p, "test", "things");
	progress_tick(&p, "test", "things");
	assert_int_equal(p.count, 7);
	progress_add(&p, 1000000, "test", "things");
	assert_int_equal(p.count, 1000007);
	progress_add(&p, 0, "test", "things");
	assert_int_equal(p.count, 1000007);

	/* on, but not due (the last line in the future): counts all the same */
	progress_init(&p, 1, 0);
	p.last = clock_now() + 1000;
	progress_add(&p, 3, "test", "things");
	progress_tick(&p, "test", "things");
	assert_int_equal(p.count, 4);
}

static void test_due(void **state)
{
	(void)state;
	struct progress p;

	/* off: never due, not even forced; the time is not noted */
	progress_init(&p, 0, 1);
	p.last = 5;
	assert_int_equal(progress_due(&p, 0), 0);
	assert_int_equal(progress_due(&p, 1), 0);
	assert_true(p.last == 5);

	/* on, forced: due, whenever the last line was; the time is noted */
	progress_init(&p, 1, 0);
	p.last = clock_now() + 1000;
	double before = clock_now();
	assert_int_equal(progress_due(&p, 1), 1);
	assert_true(p.last >= before && p.last <= clock_now());
	assert_int_equal(progress_due(&p, 1), 1);

	/* on: the last line 0.3 s ago is due, and the time is noted */
	double t0 = clock_now();
	p.last = t0 - 0.3;
	assert_int_equal(progress_due(&p, 0), 1);
	assert_true(p.last >= t0 && p.last <= clock_now());
	/* called again at once: within the quarter second, not due */
	double noted = p.last;
	int again = progress_due(&p, 0);
	if (clock_now() - noted < 0.25) /* always, barring a 0.25 s stall */
		assert_int_equal(again, 0);

	/* the last line 0.1 s ago: not due, and the time is not noted */
	t0 = clock_now();
	p.last = t0 - 0.1;
	int due = progress_due(&p, 0);
	if (clock_now() - t0 < 0.15)
		assert_int_equal(due, 0);
	if (!due)
		assert_true(p.last == t0 - 0.1);

	/* the last line in the future: not due */
	p.last = clock_now() + 1000;
	assert_int_equal(progress_due(&p, 0), 0);
	assert_true(p.last > clock_now());
}

/* ---- the lines on stderr ---- */

static void test_lines(void **state)
{
	struct scratch *s = *state;
	struct progress off, on;
	struct capture c;

	progress_init(&off, 1, 1);
	progress_init(&on, 1, 0);
	capture_begin(&c, 2, s->path);
	/* off: nothing, ever */
	progress_add(&off, 5, "test", "things");
	progress_done(&off, "test", "things");
	/* on, not due: nothing */
	on.last = clock_now() + 1000;
	progress_add(&on, 2, "test", "things");
	/* due (the last line a second ago, the start two): a line */
	on.start = clock_now() - 2;
	on.last = clock_now() - 1;
	progress_add(&on, 3, "test", "things");
	/* the last line, with the count and the time */
	progress_done(&on, "test", "things");
	capture_end(&c);

	char *text = scratch_read(s->path, NULL);
	/* "\rtest: 5 things (R/s)" then "\rtest: 5 things in T s\n" */
	const char *second = strstr(text + 1, "\r");
	if (strncmp(text, "\rtest: 5 things (", 17) || !second)
		fail_msg("stderr \"%s\"", text);
	assert_memory_equal(second - 3, "/s)", 3);
	/* 5 things in about 2 s: a rate of 2.5/s, give or take */
	double rate = strtod(text + 17, NULL);
	assert_true(rate > 1 && rate <= 2.5);
	assert_int_equal(strncmp(second, "\rtest: 5 things in ", 19), 0);
	double t = strtod(second + 19, NULL);
	assert_true(t >= 2);
	assert_string_equal(text + strlen(text) - 3, " s\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_boundaries),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_format_rounds_over_boundary),
		cmocka_unit_test(test_now_monotonic),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_add_counts),
		cmocka_unit_test(test_due),
		cmocka_unit_test_setup_teardown(test_lines, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
