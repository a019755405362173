/*
 * outfile: an output file that appears whole or not at all (DESIGN §3:
 * "output written to a temporary file and renamed, so a killed run never
 * leaves a half file that Make would take as done").
 *
 * A regular file, or a new one, is written to a temporary file beside it
 * (beside the file a symbolic link names, which is the one replaced), with
 * the mode an existing file had (else 0666 less the umask); outfile_commit
 * fsyncs it and renames it into place. Without a commit, outfile_free
 * removes the temporary file, so a failed or killed run leaves the old
 * file, or none, under the final name. Standard output ("-" or NULL), a
 * device or a pipe (/dev/null, /dev/stdout) is written directly: renaming
 * over it would replace it.
 *
 * A zeroed struct outfile (or OUTFILE_INIT) is closed and safe to free;
 * outfile_free leaves it so.
 */
#ifndef BF_OUTFILE_H
#define BF_OUTFILE_H

#include <stddef.h>

#include "err.h"

struct outfile {
	char *path;   /* the final name; NULL for stdout */
	char *tmp;    /* the temporary name while writing, or NULL (direct) */
	int fd;       /* valid while is_open */
	int is_open;
};

#define OUTFILE_INIT {NULL, NULL, -1, 0}

/* Open path ("-" or NULL: stdout). Errors: "PATH: cannot write: REASON".
 * On error o is closed (and safe to free). */
BF_RESULT int outfile_open(struct outfile *o, const char *path, struct err *e);

/* The name for messages: the path, or "<stdout>". */
const char *outfile_name(const struct outfile *o);

/* Whether the file goes into place only on commit (a regular file). */
static inline int outfile_is_atomic(const struct outfile *o) { return o->tmp != NULL; }

/* Write all of buf (retrying short writes and EINTR): 0 or the errno of
 * the failure. */
int outfile_write(struct outfile *o, const void *buf, size_t len);

/* fsync (a temporary file), close and rename into place. Errors:
 * "PATH: write failed: REASON", "PATH: cannot rename TMP into place:
 * REASON". o is closed afterwards either way. */
BF_RESULT int outfile_commit(struct outfile *o, struct err *e);

/* Close without committing: a temporary file is removed. */
void outfile_free(struct outfile *o);

/* A whole text written atomically to path ("-": stdout): open, write,
 * commit. */
BF_RESULT int outfile_write_file(const char *path, const void *buf, size_t len, struct err *e);

#endif
