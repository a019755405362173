/*
 * capture: standard output or standard error (file descriptor 1 or 2)
 * pointed at a file while a test calls what writes there, then put back,
 * so that what was written can be read back from the file (scratch_read).
 * stdio's buffers are flushed on both sides. Include after cmocka.h.
 */
#ifndef BF_TEST_CAPTURE_H
#define BF_TEST_CAPTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

struct capture {
	int fd;    /* 1 or 2 */
	int saved; /* a duplicate of what fd was */
};

/* From now on fd writes to path (created, or emptied). */
static inline void capture_begin(struct capture *c, int fd, const char *path)
{
	fflush(NULL);
	int to = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(to >= 0);
	c->fd = fd;
	c->saved = dup(fd);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(to, fd), fd);
	close(to);
}

/* fd as it was before capture_begin. */
static inline void capture_end(struct capture *c)
{
	fflush(NULL);
	assert_int_equal(dup2(c->saved, c->fd), c->fd);
	close(c->saved);
}

#endif
