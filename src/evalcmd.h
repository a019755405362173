/*
 * evalcmd: the evaluator protocol (DESIGN §4). A likelihood is any command
 * that reads theta records on stdin and writes loglik records on stdout;
 * this runs one through /bin/sh for each batch and matches answers to
 * questions by id.
 *
 * The command's stdin is fed by a forked writer while this process reads
 * its stdout, so neither side can block the other whatever the batch size.
 * With a timeout the command runs in a process group of its own, so that
 * when a batch takes longer the command and all it started are killed,
 * not only the shell (without one it stays in ours, and a Ctrl-C at the
 * terminal reaches it as it reaches us).
 * The command's stderr is ours. Anything wrong with an answer is a run-time
 * error (exit 1) that names the command: a non-zero exit or a signal, a
 * stream that cannot be read, a missing, unknown or repeated id, a loglik
 * that is NaN, +inf or not a number. -inf, with any status, is a valid
 * answer: no likelihood there.
 */
#ifndef BF_EVALCMD_H
#define BF_EVALCMD_H

#include "err.h"

struct evalcmd {
	const char *cmd;
	const char *const *names; /* parameter names for the theta header */
	int d;
	long batches, thetas;     /* counters, for reports */
	double seconds;           /* wall time spent waiting on the command */
	double timeout;           /* seconds a batch may take, or 0: no limit */
};

void evalcmd_init(struct evalcmd *c, const char *cmd, const char *const *names, int d);
/* Evaluate theta[i*d..] for ids[i] (strictly increasing), i < n, into
 * loglik[i]. The signature of tmcmc_evaluator's eval; a finite floor[i]
 * goes to the command as the record's "loglik_floor" (an evaluator may
 * answer -inf when it knows the loglik is below it). */
BF_RESULT int evalcmd_eval(void *c, const int *ids, const double *theta, const double *floor, int n, int d,
			   double *loglik,
			   struct err *e);

/* Read a batch's answers from fd (which this closes): loglik[i] for
 * ids[i], i < n, waiting no later than deadline (a clock_now() time; 0: no
 * limit). The first problem (the stream, an id missing, unknown or
 * repeated, a loglik that is not a number, NaN or +inf, the deadline)
 * goes into e as a run-time error, as evalcmd_eval reports it; *timed_out
 * says whether it was the deadline. */
BF_RESULT int evalcmd_read_answers(int fd, const int *ids, int n, double deadline, double *loglik,
				   int *timed_out, struct err *e);

#endif
