/*
 * scratch: a temporary directory per unit test (cmocka set-up and
 * tear-down), with one file name in it ready to use. Removed with
 * whatever the test left there, directories included. Also the tests'
 * whole-file helpers: the path of a name in the directory, the names a
 * directory holds, a file written from text or bytes, read back whole,
 * copied, and two files compared byte for byte; each fails the test when
 * it cannot do its work. Include after cmocka.h.
 */
#ifndef BF_TEST_SCRATCH_H
#define BF_TEST_SCRATCH_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct scratch {
	char dir[64];
	char path[128]; /* dir/<file> */
};

/* prefix names the directory, file the path's last part. */
static inline int scratch_setup(void **state, const char *prefix, const char *file)
{
	struct scratch *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	snprintf(s->dir, sizeof s->dir, "/tmp/%s.XXXXXX", prefix);
	if (!mkdtemp(s->dir)) {
		free(s);
		return -1;
	}
	snprintf(s->path, sizeof s->path, "%s/%s", s->dir, file);
	*state = s;
	return 0;
}

/* Remove path: a file or link, or a directory with all below it. */
static inline void scratch_remove(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) || !S_ISDIR(st.st_mode) || !(d = opendir(path))) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			size_t n = strlen(path) + strlen(de->d_name) + 2;
			char *p = malloc(n);
			if (!p)
				break;
			snprintf(p, n, "%s/%s", path, de->d_name);
			scratch_remove(p);
			free(p);
		}
	closedir(d);
	rmdir(path);
}

static inline int scratch_teardown(void **state)
{
	struct scratch *s = *state;

	scratch_remove(s->dir);
	free(s);
	return 0;
}

/* The path of name in the scratch directory, into out. */
static inline void scratch_path(const struct scratch *s, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", s->dir, name);
}

static inline int scratch_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir but . and .. (at most 64), sorted, each followed by a
 * newline, into out; their number. */
static inline int scratch_list(const char *dir, char *out, size_t size)
{
	char *names[64];
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			assert_true(n < 64);
			names[n] = strdup(de->d_name);
			assert_non_null(names[n]);
			n++;
		}
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, scratch_cmp_names);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		assert_true(strlen(out) + strlen(names[i]) + 2 <= size);
		strcat(out, names[i]);
		strcat(out, "\n");
		free(names[i]);
	}
	return n;
}

/* Write len bytes to path, or fail the test. */
static inline void scratch_write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		fail_msg("cannot write %s", path);
}

/* Write text to path, or fail the test. */
static inline void scratch_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		fail_msg("cannot write %s", path);
}

/* The whole file at path (any kind a read reaches the end of), malloc'ed
 * and NUL-terminated after its bytes; their number into *len unless len
 * is NULL. Fails the test when the file cannot be read. */
static inline char *scratch_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	do {
		if (n + 1 >= cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
	} while (k > 0);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* Copy the file from to the file to, or fail the test. */
static inline void scratch_copy(const char *from, const char *to)
{
	size_t n;
	char *bytes = scratch_read(from, &n);
	scratch_write_bytes(to, bytes, n);
	free(bytes);
}

/* The files a and b hold the same bytes. */
static inline void assert_same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = scratch_read(a, &la), *y = scratch_read(b, &lb);
	if (la != lb || memcmp(x, y, la))
		fail_msg("%s (%zu bytes) and %s (%zu bytes) differ", a, la, b, lb);
	free(x);
	free(y);
}

#endif
