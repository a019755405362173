/*
 * fuzz.h: what the fuzz targets share. Each target is a libFuzzer entry
 * point, LLVMFuzzerTestOneInput, over one of biofilter's input parsers;
 * built with clang -fsanitize=fuzzer it is fuzzed (make fuzz), built with
 * replay.c instead it replays the corpus and every past crash as a
 * regression test (make check).
 *
 * Parsers that take a path read the input through a memfd named by
 * /proc/self/fd/N, so no file is written per input; the memfd is made once
 * and rewritten (the target's only state, kept for speed, not meaning).
 * A parser may refuse its input: only a crash, a sanitizer report or a
 * hang is a finding. Error messages are not printed.
 */
#ifndef BF_FUZZ_H
#define BF_FUZZ_H

#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The path of a memfd that holds exactly data[0..size-1]. */
static inline const char *fuzz_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		if ((fd = memfd_create("fuzz-input", 0)) < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("memfd");
		abort();
	}
	return path;
}

/* A fresh descriptor reading data from its start (the caller closes it). */
static inline int fuzz_fd(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(data, size);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		abort();
	}
	return fd;
}

#endif
