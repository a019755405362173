/*
 * measure: timed runs of programs (see measure.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "measure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

/* The last non-empty line of a file, for a failed run's message. */
static void last_line(const char *path, char *buf, size_t size)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char line[1024];

	*buf = 0;
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (*line)
			snprintf(buf, size, "%.*s", (int)size - 1, line);
	}
	fclose(f);
}

static int redirect(const char *path, int fd, int flags)
{
	int f = open(path ? path : "/dev/null", flags, 0666);
	if (f < 0)
		return -1;
	if (f != fd) {
		if (dup2(f, fd) < 0)
			return -1;
		close(f);
	}
	return 0;
}

int measure_run(char *const *argv, const char *in, const char *out, const char *errlog, struct measure_run *r,
		struct err *e)
{
	struct rusage ru;
	int status;
	double t0 = clock_now();
	pid_t pid = fork();

	memset(r, 0, sizeof *r);
	if (pid < 0)
		return err_set(e, ERR_RUNTIME, "cannot start '%s': %s", argv[0], strerror(errno));
	if (pid == 0) {
		if (redirect(in, 0, O_RDONLY) || redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC) ||
		    redirect(errlog, 2, O_WRONLY | O_CREAT | O_TRUNC))
			_exit(126);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return err_set(e, ERR_RUNTIME, "waiting for '%s': %s", argv[0], strerror(errno));
	r->seconds = clock_now() - t0;
	r->peak_rss_kib = ru.ru_maxrss;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (r->status) {
		char cmd[512], why[512];
		measure_command_line(argv, cmd, sizeof cmd);
		last_line(errlog, why, sizeof why);
		return err_set(e, ERR_RUNTIME, "'%s' failed (exit status %d)%s%s", cmd, r->status, *why ? ": " : "",
			       why);
	}
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void measure_stats(double *x, int n, struct measure_stats *s)
{
	qsort(x, (size_t)n, sizeof *x, compare_doubles);
	s->min = x[0];
	s->max = x[n - 1];
	s->median = n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

void measure_command_line(char *const *argv, char *buf, size_t size)
{
	size_t len = 0;

	*buf = 0;
	for (int i = 0; argv[i] && len < size; i++) {
		const char *a = argv[i];
		/* the programs by their names: the report should not depend on
		 * where the build tree is */
		if (i == 0 && strrchr(a, '/'))
			a = strrchr(a, '/') + 1;
		int quote = !*a || strpbrk(a, " \t'\"$\\") != NULL;
		len += (size_t)snprintf(buf + len, size - len, "%s%s%s%s", i ? " " : "", quote ? "'" : "", a,
					quote ? "'" : "");
	}
}
