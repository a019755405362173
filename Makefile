# biofilter: build, check, demo, bench, install, clean.
#
#   make                 build the programs into bin/
#   make check           build with -Werror and run every test (quiet on success)
#   make check-sanitize  the tests again on ASan+UBSan and TSan builds (clang)
#   make check-valgrind  every program once under valgrind's memcheck
#   make demo            solve the Case II models at their true parameters
#   make bench           profile every component; report in build/bench.json,
#                        compared with bench/baseline.json
#   make fuzz            run each fuzz target (tests/fuzz) for FUZZ_SECONDS
#   make install PREFIX=/usr/local   the biofilter dispatcher and the programs
#
# The README's two commands run tools/install-deps first, which installs the
# Debian packages this needs.

CC      ?= cc
OPTFLAGS ?= -O3 -g
CFLAGS  ?= $(OPTFLAGS)
WARN     = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes
# -Werror in `make check` only, so that a user's plain `make` on a newer
# compiler still builds. An object built without it is built again by
# `make check` (build/werror is removed by every other compile), but a
# `make install` after `make check` rebuilds nothing.
ifneq ($(filter check,$(MAKECMDGOALS)),)
WERROR   = -Werror
WERROR_STAMP = build/werror
endif
CPPFLAGS += -D_DEFAULT_SOURCE -Isrc -Ibuild/gen
DEPFLAGS = -MMD -MP
LDLIBS   = -lmsgpackc -ljansson -lz -lm -lpthread
PREFIX  ?= /usr/local
LIBEXECDIR = $(PREFIX)/libexec/biofilter

# The layers (README "Layout"): programs/ holds one main per program and
# nothing else; src/ the library, flat, one module per concept; src/aif/
# the active-inference sub-library. The program list is the folder: a
# main added there is built, installed, dispatched and checked.
PROGRAMS := $(filter-out biofilter,$(sort $(basename $(notdir $(wildcard programs/*.c)))))
LIB_SRCS := $(sort $(wildcard src/*.c src/aif/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=build/%.o)
UNIT_TESTS = $(patsubst tests/unit/%.c,build/tests/%,$(wildcard tests/unit/test_*.c))
# fuzz targets (tests/fuzz): libFuzzer builds for `make fuzz`, and replays
# of their corpus and past crashes as tests in `make check`
FUZZ_TARGETS = stream model prior plan genmodel evalcmd
FUZZ_REPLAYS = $(FUZZ_TARGETS:%=build/tests/fuzz_%)
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_DATA = -DFUZZ_DATA='"$(CURDIR)/tests/data/figures"'
MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)

all: $(PROGRAMS:%=bin/%) bin/biofilter

# the compiler and flags of the objects in build/: a change rebuilds them
FLAGS := $(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS)
build/flags: FORCE | build
	@echo '$(FLAGS)' | cmp -s - $@ || echo '$(FLAGS)' > $@
build/werror: | build
	@touch $@
# what a compile depends on besides its source
BUILD_STAMPS = build/flags $(WERROR_STAMP)
NOTE_NO_WERROR = $(if $(WERROR),,@rm -f build/werror)

# profile's reports name the commit they were measured at (as git's
# GIT-VERSION-FILE): build/commit changes only when the commit does
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
build/commit: FORCE | build
	@echo '$(COMMIT)' | cmp -s - $@ || echo '$(COMMIT)' > $@
build/src/report.o: build/commit
build/src/report.o: CPPFLAGS += -DBIOFILTER_COMMIT='"$(COMMIT)"'
FORCE:

# the dispatcher's program list, generated (as git's command-list.h) from
# the mains in programs/ and the NAME line (.Nd) of each one's man page
build/gen/program-list.h: tools/program-list $(PROGRAMS:%=programs/%.c) $(PROGRAMS:%=man/%.1) | build
	@mkdir -p $(@D)
	tools/program-list $(PROGRAMS) > $@.tmp && mv $@.tmp $@
build/programs/biofilter.o: build/gen/program-list.h

build/%.o: %.c $(BUILD_STAMPS)
	@mkdir -p $(@D)
	$(NOTE_NO_WERROR)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(WARN) $(WERROR) $(CFLAGS) -c $< -o $@

build/libbiofilter.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

bin/%: build/programs/%.o build/libbiofilter.a | bin
	$(CC) $(CFLAGS) $(LDFLAGS) $< build/libbiofilter.a $(LDLIBS) -o $@

build/tests/%: tests/unit/%.c build/libbiofilter.a $(BUILD_STAMPS) | build/tests
	$(NOTE_NO_WERROR)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(WARN) $(WERROR) $(CFLAGS) $< build/libbiofilter.a $(LDLIBS) -lcmocka -o $@

build/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c build/libbiofilter.a $(BUILD_STAMPS) | build/tests
	$(NOTE_NO_WERROR)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(FUZZ_DATA) -DFUZZ_NAME='"$*"' $(WARN) $(WERROR) $(CFLAGS) $< tests/fuzz/replay.c \
		build/libbiofilter.a $(LDLIBS) -o $@

build/fuzz/%.o: %.c | build/fuzz
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(DEPFLAGS) $(WARN) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS:%.c=build/fuzz/%.o)
	clang $(CPPFLAGS) $(DEPFLAGS) $(FUZZ_DATA) $(WARN) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< \
		$(LIB_SRCS:%.c=build/fuzz/%.o) $(LDLIBS) -o $@

build bin build/tests build/fuzz:
	mkdir -p $@

# preloaded by tests/nomem.bats: the n-th allocation of a process fails
build/tests/failmalloc.so: tests/nomem/failmalloc.c | build/tests
	$(CC) -shared -fPIC -O1 -g -Wall -Wextra $< -ldl -o $@

check: all $(UNIT_TESTS) $(FUZZ_REPLAYS) build/tests/failmalloc.so
	@tests/run $(UNIT_TESTS) $(FUZZ_REPLAYS)

# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS='stream plan']: each target for
# FUZZ_SECONDS, from tests/fuzz/corpus/T (read only) into build/fuzz/corpus/T;
# a crash lands in build/fuzz/crash-T-*: copy it to tests/fuzz/regress/T
fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t && \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s" && \
		build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix=build/fuzz/crash-$$t- -print_final_stats=1 \
			build/fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>build/fuzz/$$t.log || \
			{ tail -40 build/fuzz/$$t.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^Done' build/fuzz/$$t.log; \
	done

# the whole suite again on clang builds with sanitizers (tools/check-sanitize)
check-sanitize:
	@tools/check-sanitize

# every program once under valgrind's memcheck (tools/check-valgrind)
check-valgrind: all
	@tools/check-valgrind

demo: all
	@pipelines/demo.sh

bench: all
	@bin/profile -o build/bench.json --compare bench/baseline.json

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 bin/biofilter $(DESTDIR)$(PREFIX)/bin/biofilter
	install -m 755 $(PROGRAMS:%=bin/%) $(DESTDIR)$(LIBEXECDIR)/
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(PREFIX)/share/man/man5/)
	install -d $(DESTDIR)$(PREFIX)/share/biofilter/examples/case2 $(DESTDIR)$(PREFIX)/share/biofilter/examples/tmcmc
	install -m 644 examples/case2/*.json examples/case2/*.jsonl $(DESTDIR)$(PREFIX)/share/biofilter/examples/case2/
	install -m 644 examples/tmcmc/*.json $(DESTDIR)$(PREFIX)/share/biofilter/examples/tmcmc/

clean:
	rm -rf build bin

.PHONY: all check check-sanitize check-valgrind demo bench install clean fuzz FORCE
.DELETE_ON_ERROR:
# the programs' objects are intermediate files of the bin/% rule: keep them
# (a bare .SECONDARY would also let a new library object go unbuilt)
.PRECIOUS: build/%.o build/programs/%.o

# what each object includes (-MMD -MP): a header change rebuilds its users
-include $(wildcard build/src/*.d build/src/aif/*.d build/programs/*.d build/tests/*.d build/fuzz/src/*.d build/fuzz/src/aif/*.d)
