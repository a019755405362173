/*
 * clock: the time of a run as programs measure and print it: monotonic
 * seconds (never stepped back by the system clock, so differences are
 * durations), and durations written for people with a unit that suits
 * them. A leaf: it depends on nothing of biofilter's.
 */
#ifndef BF_CLOCK_H
#define BF_CLOCK_H

#include <stddef.h>

/* Monotonic seconds (CLOCK_MONOTONIC) from an arbitrary origin. */
double clock_now(void);

/* A duration with a unit that suits it, 3 significant digits: "781 us",
 * "1.21 ms", "2.5 s". */
void clock_format_seconds(char *buf, size_t size, double s);

#endif
