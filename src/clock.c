/*
 * clock: monotonic time and durations for people (see clock.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "clock.h"

#include <stdio.h>
#include <time.h>

double clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void clock_format_seconds(char *buf, size_t size, double s)
{
	/* the unit is chosen after rounding to 3 digits: 999.6 us is 1 ms,
	 * not "1e+03 us" */
	if (s < 0.9995e-3)
		snprintf(buf, size, "%.3g us", s * 1e6);
	else if (s < 0.9995)
		snprintf(buf, size, "%.3g ms", s * 1e3);
	else if (s < 999.5)
		snprintf(buf, size, "%.3g s", s);
	else
		snprintf(buf, size, "%.0f s", s);
}
