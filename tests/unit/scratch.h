/*
 * scratch: a temporary directory per unit test (cmocka set-up and
 * tear-down), with one file name in it ready to use. Removed with
 * whatever the test left there. Include after cmocka.h.
 */
#ifndef BF_TEST_SCRATCH_H
#define BF_TEST_SCRATCH_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static inline int scratch_teardown(void **state)
{
	struct scratch *s = *state;
	DIR *d = opendir(s->dir);
	struct dirent *de;
	char p[512];

	if (d) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				snprintf(p, sizeof p, "%s/%s", s->dir, de->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(s->dir);
	free(s);
	return 0;
}

/* Write text to path, or fail the test. */
static inline void scratch_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		fail_msg("cannot write %s", path);
}

#endif
