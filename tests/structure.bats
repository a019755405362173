#!/usr/bin/env bats
# The build's own checks: tools/check-includes (the library's include
# graph has no cycle; make check runs it on src/) and tools/program-list
# (the dispatcher's list from programs/ and the man pages).

load helpers

@test "check-includes: the library has no include cycle" {
	run "$TOP/tools/check-includes" "$TOP/src"
	assert_success
	assert_output ""
}

@test "check-includes: a cycle through a header and a .c is found and named" {
	mkdir -p src/sub
	printf '#include "b.h"\n' >src/a.h
	printf '#include "a.h"\n' >src/a.c
	printf '#include "sub/c.h"\n' >src/b.h
	printf '#include <stdio.h>\n#include "a.h"\n' >src/sub/c.c
	: >src/sub/c.h
	printf '#include "b.h"\n#include "missing.h"\n' >src/d.c
	run "$TOP/tools/check-includes" src
	assert_failure 1
	assert_output --regexp 'check-includes: cycle:( [a-z/]+)+'
	for m in a b sub/c; do
		assert_output --regexp "cycle:.* $m( |\$)"
	done
	refute_output --partial " d"
	# break the cycle: acyclic again
	: >src/sub/c.c
	run "$TOP/tools/check-includes" src
	assert_success
}

@test "check-includes: a module including its own header is not a cycle; a missing folder is bad usage" {
	mkdir src
	printf '#include "x.h"\n' >src/x.c
	: >src/x.h
	run "$TOP/tools/check-includes" src
	assert_success
	run "$TOP/tools/check-includes" nowhere
	assert_failure 2
	assert_output --partial "'nowhere' is not a directory"
}

@test "program-list: each program with its man page's NAME line; a program without a page is an error" {
	run "$TOP/tools/program-list" solve mpcat
	assert_success
	assert_line '	{"solve", "solve the biofilm model for a stream of parameter vectors"},'
	assert_line '	{"mpcat", "print, convert and cut biofilter record streams"},'
	run "$TOP/tools/program-list" solve no-such-program
	assert_failure
	assert_output --partial "'no-such-program' has no man page 'man/no-such-program.1'"
}
