/*
 * evalcmd: run an evaluator command on one batch. Invariant: on return the
 * command and the writer have been waited for, and every descriptor opened
 * here is closed, whether the batch succeeded or not.
 */
#define _POSIX_C_SOURCE 200809L
#include "evalcmd.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "stream.h"

void evalcmd_init(struct evalcmd *c, const char *cmd, const char *const *names, int d)
{
	memset(c, 0, sizeof *c);
	c->cmd = cmd;
	c->names = names;
	c->d = d;
}

/* The batch as a theta stream in memory. */
static int pack_batch(const struct evalcmd *c, const int *ids, const double *theta, const double *floor, int n,
		      struct pack *b, struct err *e)
{
	msgpack_packer *pk = pack_packer(b);
	struct pack_map m;

	stream_header_begin(&m, pk, "theta");
	pack_key(&m, "parameters");
	pack_strs(pk, c->names, c->d);
	pack_map_end(&m);
	for (int i = 0; i < n; i++) {
		pack_map_begin(&m, pk);
		pack_kv_long(&m, "id", ids[i]);
		pack_kv_numbers(&m, "theta", theta + (size_t)i * (size_t)c->d, (size_t)c->d);
		if (floor && isfinite(floor[i]))
			pack_kv_double(&m, "loglik_floor", floor[i]);
		pack_map_end(&m);
	}
	if (b->nomem)
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

/* Describe how a child ended; "" when it exited 0. */
static void describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		buf[0] = 0;
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended abnormally");
}

static pid_t spawn_command(const char *cmd, int in_fd, int out_fd, int close1, int close2, int group)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (group)
			setpgid(0, 0);
		if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0)
			_exit(127);
		close(in_fd);
		close(out_fd);
		close(close1);
		close(close2);
		/* the evaluator is an ordinary filter: default SIGPIPE */
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && group)
		setpgid(pid, pid); /* as the child does: whichever runs first */
	return pid;
}

static pid_t spawn_writer(const struct pack *b, int fd, int close1)
{
	pid_t pid = fork();
	if (pid == 0) {
		close(close1);
		size_t off = 0;
		while (off < b->len) {
			ssize_t k = write(fd, b->data + off, b->len - off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				_exit(1); /* the command stopped reading: its answers will tell */
			off += (size_t)k;
		}
		_exit(0);
	}
	return pid;
}

/* Index of id in the strictly increasing ids[0..n-1], or -1. */
static int find_id(const int *ids, int n, long long id)
{
	int lo = 0, hi = n - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (ids[mid] == id)
			return mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int evalcmd_read_answers(int fd, const int *ids, int n, double deadline, double *loglik, int *timed_out,
			 struct err *e)
{
	struct stream_reader r;
	const msgpack_object *rec, *h, *v;
	int rc, got = 0;
	char name[64];

	*timed_out = 0;
	snprintf(name, sizeof name, "its output");
	if ((rc = stream_reader_open_fd(&r, fd, name, e)))
		return rc;
	r.deadline = deadline;
	for (int i = 0; i < n; i++)
		loglik[i] = NAN;
	while ((rc = stream_reader_next(&r, &rec, e)) != 0) {
		if (rc < 0)
			goto out;
		if (rc == STREAM_NOT_MAP) {
			rc = ERR_RUNTIME;
			goto out;
		}
		if (got == 0 && (h = stream_reader_header(&r)) && (v = stream_map_get(h, "kind")) &&
		    !stream_object_is_str(v, "loglik")) {
			rc = err_set(e, ERR_RUNTIME, "wrote a stream that is not of kind 'loglik'");
			goto out;
		}
		v = stream_map_get(rec, "id");
		long long id;
		if (!v || (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 > (uint64_t)INT32_MAX)) {
			rc = err_set(e, ERR_RUNTIME, "record %ld has no usable 'id'", r.record);
			goto out;
		}
		if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			id = (long long)v->via.u64;
		else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			id = -1;
		else {
			rc = err_set(e, ERR_RUNTIME, "record %ld: 'id' is not one that was asked for", r.record);
			goto out;
		}
		int k = find_id(ids, n, id);
		if (k < 0) {
			rc = err_set(e, ERR_RUNTIME, "returned unknown id %lld (record %ld)", id, r.record);
			goto out;
		}
		if (!isnan(loglik[k])) {
			rc = err_set(e, ERR_RUNTIME, "returned id %lld twice (record %ld)", id, r.record);
			goto out;
		}
		double l;
		if (!(v = stream_map_get(rec, "loglik")) || stream_object_number(v, &l)) {
			rc = err_set(e, ERR_RUNTIME, "record %ld (id %lld): 'loglik' is missing or not a number",
				     r.record, id);
			goto out;
		}
		if (isnan(l) || l == INFINITY) {
			rc = err_set(e, ERR_RUNTIME, "returned a loglik of %s for id %lld (record %ld)",
				     isnan(l) ? "NaN" : "+Infinity", id, r.record);
			goto out;
		}
		loglik[k] = l;
		got++;
	}
	if (got < n) {
		int k = 0;
		while (!isnan(loglik[k]))
			k++;
		if (n - got == 1)
			rc = err_set(e, ERR_RUNTIME, "returned no loglik for id %d", ids[k]);
		else
			rc = err_set(e, ERR_RUNTIME, "returned no loglik for id %d and %d more", ids[k], n - got - 1);
	}
out:
	*timed_out = r.timed_out;
	stream_reader_free(&r);
	return rc;
}

int evalcmd_eval(void *ctx, const int *ids, const double *theta, const double *floor, int n, int d, double *loglik,
		 struct err *e)
{
	struct evalcmd *c = ctx;
	struct pack sb;
	int to[2], from[2], rc, status;
	double t0 = clock_now();

	if (d != c->d)
		return err_set(e, ERR_RUNTIME, "evaluator: batch of dimension %d, expected %d", d, c->d);
	pack_init(&sb);
	if ((rc = pack_batch(c, ids, theta, floor, n, &sb, e))) {
		pack_free(&sb);
		return rc;
	}
	if (pipe(to) < 0) {
		pack_free(&sb);
		return err_set(e, ERR_RUNTIME, "evaluator '%s': pipe: %s", c->cmd, strerror(errno));
	}
	if (pipe(from) < 0) {
		close(to[0]);
		close(to[1]);
		pack_free(&sb);
		return err_set(e, ERR_RUNTIME, "evaluator '%s': pipe: %s", c->cmd, strerror(errno));
	}
	fflush(NULL); /* a child must not flush our buffers again */
	pid_t cmd = spawn_command(c->cmd, to[0], from[1], to[1], from[0], c->timeout > 0);
	close(to[0]);
	close(from[1]);
	pid_t writer = cmd > 0 ? spawn_writer(&sb, to[1], from[0]) : -1;
	close(to[1]);
	pack_free(&sb);
	if (cmd < 0 || writer < 0) {
		int err = errno;
		close(from[0]);
		if (cmd > 0)
			waitpid(cmd, NULL, 0);
		return err_set(e, ERR_RUNTIME, "evaluator '%s': fork: %s", c->cmd, strerror(err));
	}
	struct err re;
	int timed_out;
	int read_rc = evalcmd_read_answers(from[0], ids, n, c->timeout > 0 ? t0 + c->timeout : 0, loglik, &timed_out,
					   &re);
	if (timed_out) {
		kill(-cmd, SIGKILL);
		kill(writer, SIGKILL);
	}
	while (waitpid(writer, &status, 0) < 0 && errno == EINTR)
		;
	rc = 0;
	if (c->timeout > 0 && !timed_out) {
		/* the answers are in, but the command may linger: the deadline
		 * holds until it has exited */
		double deadline = t0 + c->timeout;
		while ((rc = (int)waitpid(cmd, &status, WNOHANG)) == 0 && clock_now() < deadline)
			usleep(10000);
		if (rc == 0) {
			kill(-cmd, SIGKILL);
			timed_out = 1;
		}
	}
	while (rc <= 0 && (rc = (int)waitpid(cmd, &status, 0)) < 0 && errno == EINTR)
		;
	c->seconds += clock_now() - t0;
	c->batches++;
	c->thetas += n;
	if (timed_out)
		return err_set(e, ERR_RUNTIME, "evaluator '%s' did not answer a batch of %d within %g s "
			       "(--eval-timeout): stopped it", c->cmd, n, c->timeout);
	char how[128];
	describe_status(rc < 0 ? 1 << 8 : status, how, sizeof how);
	/* how the command ended explains a garbled or short answer, which is
	 * then not worth a word */
	if (how[0])
		return err_set(e, ERR_RUNTIME, "evaluator '%s' %s", c->cmd, how);
	if (read_rc)
		return err_set(e, ERR_RUNTIME, "evaluator '%s': %s", c->cmd, re.msg);
	return 0;
}
