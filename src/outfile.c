/*
 * outfile: atomic output files (see outfile.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void closed(struct outfile *o)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
}

static int open_file(struct outfile *o, const char *path, struct err *e)
{
	struct stat st;

	if (!path || !strcmp(path, "-")) {
		if ((o->fd = dup(1)) < 0)
			return err_set(e, ERR_RUNTIME, "<stdout>: %s", strerror(errno));
		o->is_open = 1;
		return 0;
	}
	if (!(o->path = strdup(path)))
		return err_set(e, ERR_NOMEM, "out of memory");
	int exists = stat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode)) {
		/* a device or a pipe: renaming over it would replace it */
		o->fd = open(path, O_WRONLY | O_TRUNC);
	} else {
		/* through a symbolic link, replace the file it names */
		char *real = exists ? realpath(path, NULL) : NULL;
		const char *target = real ? real : path;
		char *copy = strdup(target), *base = strdup(target);
		size_t n = strlen(target) + 32;
		if (real) {
			free(o->path);
			o->path = real;
		}
		if (!copy || !base || !(o->tmp = malloc(n))) {
			free(copy);
			free(base);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
		snprintf(o->tmp, n, "%s/.%s.tmpXXXXXX", dirname(copy), basename(base));
		free(copy);
		free(base);
		o->fd = mkstemp(o->tmp);
		if (o->fd >= 0) {
			/* the mode an existing file had, else 0666 less umask */
			mode_t mask = umask(0);
			umask(mask);
			mode_t mode = exists ? (st.st_mode & 07777) : (0666 & ~mask);
			if (fchmod(o->fd, mode) != 0) {
				/* permissions stay 0600: safe, merely unusual */
			}
		} else {
			free(o->tmp);
			o->tmp = NULL;
		}
	}
	if (o->fd < 0)
		return err_set(e, ERR_RUNTIME, "%s: cannot write: %s", path, strerror(errno));
	o->is_open = 1;
	return 0;
}

int outfile_open(struct outfile *o, const char *path, struct err *e)
{
	closed(o);
	int rc = open_file(o, path, e);
	if (rc)
		outfile_free(o);
	return rc;
}

const char *outfile_name(const struct outfile *o)
{
	return o->path ? o->path : "<stdout>";
}

int outfile_write(struct outfile *o, const void *buf, size_t len)
{
	const char *p = buf;
	size_t off = 0;

	if (!o->is_open)
		return EBADF;
	while (off < len) {
		ssize_t n = write(o->fd, p + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		off += (size_t)n;
	}
	return 0;
}

int outfile_commit(struct outfile *o, struct err *e)
{
	int rc = 0;

	if (!o->is_open)
		return err_set(e, ERR_RUNTIME, "%s: write failed: %s", outfile_name(o), strerror(EBADF));
	if (o->tmp && fsync(o->fd) != 0)
		rc = err_set(e, ERR_RUNTIME, "%s: write failed: %s", outfile_name(o), strerror(errno));
	if (close(o->fd) != 0 && !rc)
		rc = err_set(e, ERR_RUNTIME, "%s: write failed: %s", outfile_name(o), strerror(errno));
	o->is_open = 0;
	o->fd = -1;
	if (!rc && o->tmp) {
		if (rename(o->tmp, o->path) != 0)
			rc = err_set(e, ERR_RUNTIME, "%s: cannot rename %s into place: %s", o->path, o->tmp,
				     strerror(errno));
		else {
			free(o->tmp);
			o->tmp = NULL;
		}
	}
	outfile_free(o);
	return rc;
}

void outfile_free(struct outfile *o)
{
	if (o->is_open)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	closed(o);
}

int outfile_write_file(const char *path, const void *buf, size_t len, struct err *e)
{
	struct outfile o;
	int rc = outfile_open(&o, path, e), en;

	if (rc)
		return rc;
	if ((en = outfile_write(&o, buf, len))) {
		rc = err_set(e, ERR_RUNTIME, "%s: write failed: %s", outfile_name(&o), strerror(en));
		outfile_free(&o);
		return rc;
	}
	return outfile_commit(&o, e);
}
