/*
 * replay: a main for a fuzz target without libFuzzer. Runs the target on
 * every file under the directories (or files) given, in name order, so the
 * seed corpus and every input that once crashed stay regression tests in
 * make check. Without arguments: tests/fuzz/corpus/T and, if it exists,
 * tests/fuzz/regress/T, T being the target's name (FUZZ_NAME), from the
 * top of the tree. Prints cmocka's summary lines, which tests/run counts: a
 * crash or a sanitizer report ends the process, which tests/run counts
 * as a failure.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static long replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			if (!(buf = realloc(buf, cap))) {
				perror("realloc");
				exit(1);
			}
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static long replay(const char *path)
{
	struct stat st;
	if (stat(path, &st)) {
		perror(path);
		exit(1);
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	struct dirent **list;
	int n = scandir(path, &list, NULL, by_name);
	long count = 0;
	if (n < 0) {
		perror(path);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.') {
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", path, list[i]->d_name);
			count += replay(sub);
		}
		free(list[i]);
	}
	free(list);
	return count;
}

int main(int argc, char **argv)
{
	long count = 0;
	for (int i = 1; i < argc; i++)
		count += replay(argv[i]);
#ifdef FUZZ_NAME
	if (argc == 1) {
		struct stat st;
		count += replay("tests/fuzz/corpus/" FUZZ_NAME);
		if (!stat("tests/fuzz/regress/" FUZZ_NAME, &st))
			count += replay("tests/fuzz/regress/" FUZZ_NAME);
	}
#endif
	if (count == 0) {
		fprintf(stderr, "replay: no inputs\n");
		printf("[  FAILED  ] 1 test(s), listed below:\n");
		return 1;
	}
	printf("[==========] %ld input(s) replayed.\n[  PASSED  ] 1 test(s).\n", count);
	return 0;
}
