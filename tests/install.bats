#!/usr/bin/env bats
# make install and the biofilter dispatcher.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	top="$BATS_TEST_DIRNAME/.."
}

@test "make install puts the dispatcher on PATH and the programs in libexec" {
	run make -s -C "$top" install PREFIX=/opt/bf DESTDIR="$BATS_TEST_TMPDIR/root"
	assert_success
	root="$BATS_TEST_TMPDIR/root/opt/bf"
	[ -x "$root/bin/biofilter" ]
	[ -x "$root/libexec/biofilter/solve" ]
	[ -x "$root/libexec/biofilter/mpcat" ]
	[ ! -e "$root/bin/solve" ]
	[ -f "$root/share/man/man5/biofilter-stream.5" ]
	run "$root/bin/biofilter" solve --version
	assert_success
	assert_output --partial "solve (biofilter)"
	# an installed tree still works after it is moved
	mv "$BATS_TEST_TMPDIR/root/opt/bf" "$BATS_TEST_TMPDIR/moved"
	run "$BATS_TEST_TMPDIR/moved/bin/biofilter" mpcat --version
	assert_success
	assert_output --partial "mpcat (biofilter)"
}

@test "biofilter runs a program with its arguments and passes its exit status" {
	run "$top/bin/biofilter" solve
	assert_failure 2
	assert_output --partial "solve: a model file is required"
}

@test "biofilter without a program, or with an unknown one, is a usage error" {
	run "$top/bin/biofilter"
	assert_failure 2
	assert_output --partial "usage: biofilter PROGRAM"
	run "$top/bin/biofilter" frobnicate
	assert_failure 2
	assert_output --partial "'frobnicate' is not a biofilter program"
	run "$top/bin/biofilter" --help
	assert_success
	assert_output --partial "solve"
}

@test "biofilter --help lists every program of programs/, each with its man page's NAME line" {
	run "$top/bin/biofilter" --help
	assert_success
	n=0
	for main in "$top"/programs/*.c; do
		p=$(basename "$main" .c)
		[ "$p" = biofilter ] && continue
		nd=$(sed -n 's/^\.Nd //p' "$top/man/$p.1" | sed 's/\\-/-/g')
		[ -n "$nd" ] || fail "man/$p.1 has no NAME line"
		assert_line --regexp "^  $p +$(printf '%s' "$nd" | sed 's/[][().*^$+?{}|]/\\&/g')\$"
		n=$((n + 1))
	done
	# solve sensitivity tmcmc-stage infer agent mpcat analytic-loglik profile
	[ "$n" -ge 8 ]
	# nothing else is listed
	[ "$(printf '%s\n' "$output" | grep -c '^  [a-z]')" -eq "$n" ]
}

@test "biofilter profile runs profile (it was installed but refused)" {
	run "$top/bin/biofilter" profile --version
	assert_success
	assert_output --partial "profile (biofilter)"
	run "$top/bin/biofilter" profile --no-such-option
	assert_failure 2
	assert_output --partial "profile:"
}
