/*
 * err: formatting of error messages; see err.h for the conventions.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
		e->code = code;
	}
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char head[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	size_t h = strlen(head), m = strlen(e->msg);
	if (h + 2 >= sizeof e->msg)
		h = sizeof e->msg - 3;
	if (h + 2 + m >= sizeof e->msg)
		m = sizeof e->msg - h - 3;
	memmove(e->msg + h + 2, e->msg, m);
	e->msg[h + 2 + m] = 0;
	memcpy(e->msg, head, h);
	memcpy(e->msg + h, ": ", 2);
	return e->code;
}

int err_exit_status(int code)
{
	return code == ERR_INPUT ? 2 : 1;
}
