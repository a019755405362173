/*
 * biofilter: the dispatcher, as git does: `biofilter solve ...` runs the
 * program `solve`, so the programs need not sit on PATH under generic
 * names. The programs are found relative to this executable, so an
 * installed tree can be moved: first $BIOFILTER_EXEC_PATH, then
 * DIR/../libexec/biofilter (make install), then DIR itself (the build
 * tree's bin/), where DIR holds this executable. The list of programs is
 * generated from programs/ and the man pages (tools/program-list).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"


/* program_list: every program's name and summary (generated) */
#include "program-list.h"

enum { N_PROGRAMS = sizeof program_list / sizeof *program_list };

static void print_usage(FILE *f)
{
	int width = 0;
	for (int i = 0; i < N_PROGRAMS; i++) {
		int n = (int)strlen(program_list[i].name);
		width = n > width ? n : width;
	}
	fputs("usage: biofilter PROGRAM [ARGS...]\n\nPrograms:\n", f);
	for (int i = 0; i < N_PROGRAMS; i++)
		fprintf(f, "  %-*s  %s\n", width, program_list[i].name, program_list[i].summary);
	fputs("\nbiofilter PROGRAM --help describes each; man biofilter-stream for the format.\n", f);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX + 64]; /* room for the suffixes after a full path */
	const char *dir = getenv("BIOFILTER_EXEC_PATH");

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		cli_print_version("biofilter");
		return 0;
	}
	int known = 0;
	for (int i = 0; i < N_PROGRAMS; i++)
		known |= !strcmp(argv[1], program_list[i].name);
	if (!known) {
		fprintf(stderr, "biofilter: '%s' is not a biofilter program; see biofilter --help\n", argv[1]);
		return 2;
	}
	if (dir && *dir) {
		snprintf(path, sizeof path, "%.*s/%.32s", PATH_MAX, dir, argv[1]);
		execv(path, argv + 1);
		fprintf(stderr, "biofilter: cannot run '%s': %s\n", path, strerror(errno));
		return 1;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "biofilter: cannot find my own location: %s\n", strerror(errno));
		return 1;
	}
	self[n] = 0;
	*strrchr(self, '/') = 0;
	if (snprintf(path, sizeof path, "%s/../libexec/biofilter/%s", self, argv[1]) >= (int)sizeof path ||
	    access(path, X_OK) != 0)
		snprintf(path, sizeof path, "%s/%.32s", self, argv[1]);
	execv(path, argv + 1);
	fprintf(stderr, "biofilter: cannot run '%s': %s\n", path, strerror(errno));
	return 1;
}
