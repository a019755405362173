/*
 * biofilter: the dispatcher, as git does: `biofilter solve ...` runs the
 * program `solve` installed beside it (in its libexec directory), so the
 * programs need not sit on PATH under generic names.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/libexec/biofilter"
#endif

static const char *const programs[] = {"solve", "mpcat", NULL};

static void print_usage(FILE *f)
{
	fputs("usage: biofilter PROGRAM [ARGS...]\n\nPrograms:\n", f);
	fputs("  solve        theta records in, trajectories or synthetic data out\n"
	      "  mpcat        show and convert record streams\n"
	      "\nbiofilter PROGRAM --help describes each; man biofilter-stream for the format.\n", f);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
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
	for (int i = 0; programs[i]; i++)
		known |= !strcmp(argv[1], programs[i]);
	if (!known) {
		fprintf(stderr, "biofilter: '%s' is not a biofilter program; see biofilter --help\n", argv[1]);
		return 2;
	}
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : LIBEXECDIR, argv[1]);
	execv(path, argv + 1);
	fprintf(stderr, "biofilter: cannot run '%s': %s\n", path, strerror(errno));
	return 1;
}
