/*
 * fuzz_plan: the plan parser (plan.h) over arbitrary bytes. The plan is
 * written as plan.json into a directory that holds the Case II models and
 * data of tests/data/figures, so that the files a plan names can be found
 * and the parser goes past them (a plan's paths are relative to it).
 */
#include "fuzz.h"

#include <string.h>

#include "plan.h"

#ifndef FUZZ_DATA
#define FUZZ_DATA "tests/data/figures"
#endif

static char dir[256];

/* The directory goes when the process does (make check replays it on
 * every run: it must not pile up in /tmp). */
static void remove_dir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) {
		/* nothing more to do at exit */
	}
}

static const char *plan_dir(void)
{
	static const char *const files[] = {"M1.json", "M2.json", "M3.json", "M3val.json", "M1.data.mpk",
					    "M2.data.mpk", "M3.data.mpk", "M3val.data.mpk"};

	if (dir[0])
		return dir;
	snprintf(dir, sizeof dir, "/tmp/biofilter-fuzz-plan-%ld", (long)getpid());
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
	if (system(cmd))
		abort();
	atexit(remove_dir);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(cmd, sizeof cmd, "cp '%s/%s' %s/", FUZZ_DATA, files[i], dir);
		if (system(cmd))
			abort();
	}
	return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[300];
	struct plan p;
	struct err e = {0};

	snprintf(path, sizeof path, "%s/plan.json", plan_dir());
	FILE *f = fopen(path, "w");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		abort();
	if (plan_load(&p, path, &e) == 0)
		plan_free(&p);
	return 0;
}
