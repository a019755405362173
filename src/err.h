/*
 * err: error values and messages shared by every module.
 *
 * A function that can fail returns 0 or one of the negative ERR_* codes and,
 * when it fails, fills a struct err with a message in git's style: lowercase,
 * no full stop, the subject in quotes ("model.json: 'dt' must be positive").
 * The program's main prefixes its own name and maps the code to an exit
 * status with err_exit_status(): bad input or usage is 2, anything else 1.
 */
#ifndef BF_ERR_H
#define BF_ERR_H

#include <stddef.h>

#define BF_RESULT __attribute__((warn_unused_result))

enum {
	ERR_RUNTIME = -1, /* a failure at run time: I/O, a child process */
	ERR_INPUT = -2,   /* bad input or usage */
	ERR_NOMEM = -3,   /* an allocation failed */
};

struct err {
	int code;
	char msg[1024];
};

/* Fill e (which may be NULL) and return code, so callers can write
 * `return err_set(e, ERR_INPUT, "...")`. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "prefix: " in front of the message already in e; returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The process exit status for an error code: 2 for ERR_INPUT, else 1. */
int err_exit_status(int code);

#endif
