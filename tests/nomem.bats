#!/usr/bin/env bats
# Allocation failures (issue 9): every allocation of a small run of each
# program is made to fail in turn (tests/nomem/failmalloc.c, preloaded:
# FAILMALLOC_NTH=k fails the k-th malloc, calloc, realloc or
# posix_memalign of the process). Each of those runs must end with a
# message and exit status 1 or 2 (or 0, where the allocation was one the
# program can do without), never with a crash, and must leave nothing
# under its output's final name.

load helpers

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
	FM="$TOP/build/tests/failmalloc.so"
	[ -e "$FM" ] || fail "$FM is not built: run make check"
	PATH="$TOP/bin:$PATH"
	DATA="$TOP/tests/data"
	cd "$BATS_TEST_TMPDIR" || fail
	cp "$DATA/figures/M1.json" "$DATA/figures/M1.data.mpk" .
	printf '{"id":1,"theta":[0.8,2.0,1.0,0.1,0.2]}\n{"id":2,"theta":[0.7,2.1,1.0,0.1,0.2]}\n' >th.jsonl
	mpcat --from-json -i th.jsonl -o th.mpk
}

# walk CMD...: CMD (writing -o out.mpk) with each of its allocations
# failing in turn, k = 1 .. the number a clean run makes.
walk() {
	local n k st
	FAILMALLOC_COUNT=count LD_PRELOAD="$FM" "$@" >/dev/null 2>&1 || true
	n=$(cat count)
	[ "$n" -gt 10 ] || fail "only $n allocations counted: is the library preloaded?"
	rm -f out.mpk
	for ((k = 1; k <= n; k++)); do
		st=0
		FAILMALLOC_NTH=$k LD_PRELOAD="$FM" "$@" >stdout 2>stderr || st=$?
		[ "$st" -lt 128 ] || fail "allocation $k of $n: killed by signal $((st - 128)): $(head -c 300 stderr)"
		[ "$st" -le 2 ] || fail "allocation $k of $n: exit status $st"
		if [ "$st" -ne 0 ]; then
			[ -s stderr ] || fail "allocation $k of $n: exit $st without a message"
			# exit 2 with the other records written is a bad record's
			# outcome: allowed where the allocation reads as one (below)
			[ ! -e out.mpk ] || { [ "$st" -eq 2 ] && [ -n "${BAD_RECORD_OK:-}" ]; } ||
				fail "allocation $k of $n: exit $st but out.mpk was written"
		fi
		rm -f out.mpk
	done
	echo "$n allocations walked"
}

@test "mpcat: every allocation failing in turn is handled" {
	walk mpcat -i th.mpk --tsv id 'theta[]' -o out.mpk
	# jansson's lexer reports some of its own allocation failures as a
	# syntax error (string or '}' expected): that line is then a bad
	# record, skipped with exit 2, the others written
	BAD_RECORD_OK=1 walk mpcat --from-json -i th.jsonl -o out.mpk
}

@test "solve: every allocation failing in turn is handled" {
	walk solve -m M1.json -i th.mpk --every 500 -o out.mpk
}

@test "sensitivity: every allocation failing in turn is handled" {
	walk sensitivity -m M1.json -i th.mpk --data M1.data.mpk -o out.mpk
}

@test "tmcmc-stage: every allocation failing in turn is handled" {
	walk tmcmc-stage --init --prior "$TOP/examples/tmcmc/prior.json" -N 5 -o out.mpk
	tmcmc-stage --init --prior "$TOP/examples/tmcmc/prior.json" -N 6 -o s0.mpk
	walk tmcmc-stage -i s0.mpk -e "$TOP/bin/analytic-loglik $TOP/examples/tmcmc/mixture.json" --chain-steps 1 -o out.mpk
}

@test "infer: every allocation failing in turn is handled" {
	cat >p.json <<'JSON'
{"parameters": [{"name": "a11", "uniform": [0, 3]}, {"name": "a12", "uniform": [0, 3]}, {"name": "a22", "uniform": [0, 3]},
  {"name": "b1", "uniform": [0, 3]}, {"name": "b2", "uniform": [0, 3]}],
 "cov": 0.005, "sigma_obs": 0.005, "tmcmc": {"samples": 8, "seed": 1, "chain_steps": 1},
 "levels": [{"name": "M1", "model": "M1.json", "data": "M1.data.mpk", "free": ["a11", "a12", "a22", "b1", "b2"]}]}
JSON
	walk infer p.json -q -j 2 -o out.mpk
}

@test "agent: every allocation failing in turn is handled" {
	walk agent -m "$TOP/examples/agent/tmaze.json" --env tmaze --steps 3 --episodes 2 -j 2 -o out.mpk
}
