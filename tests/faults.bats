#!/usr/bin/env bats
# Faults: nothing finished is lost and nothing half-made is left under a
# final name when a neighbour dies or hangs, the disk is full, stdout is
# closed, or the run is killed or interrupted (issue 9).
#
#   - pipelines/calibrate.mk killed with SIGKILL in the middle of a stage,
#     then make again: the byte-identical posterior of infer;
#   - an evaluator that dies, exits non-zero, or hangs (--eval-timeout):
#     a clear error, exit 1, the input population kept and no output;
#     with infer --eval, the finished levels in POSTERIOR.partial;
#   - writes to a full device (/dev/full), past a file size limit (EFBIG,
#     as a full disk), and into a closed pipe (| head -c 10): a message, a
#     non-zero exit, and no file under the final name;
#   - SIGINT and SIGTERM stop infer before its next batch: exit 130 or 143
#     and the finished levels written to POSTERIOR.partial, the same bytes
#     as those levels of an uninterrupted run.
#
# The plan: Case II's M1 and M2 from tests/data/figures, N = 24, at most
# 2 MH steps per stage (infer: 1.5 s; calibrate.mk: about 15 s here).

load helpers

# plan_here: the two-level plan and its models and data in the test's directory.
plan_here() {
	cp "$DATA/figures/M1.json" "$DATA/figures/M2.json" "$DATA/figures/M1.data.mpk" "$DATA/figures/M2.data.mpk" .
	cat >p.json <<'EOF'
{"description": "faults: Case II M1 and M2, N = 24, at most 2 MH steps per stage",
 "parameters": [{"name": "a11", "uniform": [0, 3], "truth": 0.8}, {"name": "a12", "uniform": [0, 3], "truth": 2.0},
  {"name": "a22", "uniform": [0, 3], "truth": 1.0}, {"name": "a33", "uniform": [0, 3], "truth": 1.5},
  {"name": "a34", "uniform": [0, 3], "truth": 1.0}, {"name": "a44", "uniform": [0, 3], "truth": 2.0},
  {"name": "b1", "uniform": [0, 3], "truth": 0.1}, {"name": "b2", "uniform": [0, 3], "truth": 0.2},
  {"name": "b3", "uniform": [0, 3], "truth": 0.3}, {"name": "b4", "uniform": [0, 3], "truth": 0.4}],
 "cov": 0.005, "sigma_obs": 0.005, "tmcmc": {"samples": 24, "seed": 1, "max_chain_steps": 2},
 "levels": [
  {"name": "M1", "model": "M1.json", "data": "M1.data.mpk", "species": [1, 2], "free": ["a11", "a12", "a22", "b1", "b2"]},
  {"name": "M2", "model": "M2.json", "data": "M2.data.mpk", "species": [3, 4], "free": ["a33", "a34", "a44", "b3", "b4"]}]}
EOF
}

# wait_for FILE SECONDS: until FILE exists (fails after SECONDS).
wait_for() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	fail "no $1 after $2 s"
}

# no_final FILE: neither FILE nor a temporary beside it is left.
no_final() {
	[ ! -e "$1" ] || fail "$1 was left"
	local left
	left=$(find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1").tmp*" -o -maxdepth 1 -name ".$(basename "$1")*")
	[ -z "$left" ] || fail "temporaries left: $left"
}

# ---- killed pipeline ----

@test "calibrate.mk killed with SIGKILL in the middle of a stage, then make again: infer's posterior, byte for byte" {
	plan_here
	infer p.json -q -o infer.mpk -p infer-p.mpk
	# its own process group, so that the kill reaches make, parallel and
	# every shard at once, as a lost machine would
	setsid make -s -f "$TOP/pipelines/calibrate.mk" PLAN=p.json OUT=out JOBS=2 >/dev/null 2>&1 &
	local pid=$!
	wait_for out/M1/stage-003.mpk 60
	kill -KILL -- "-$pid"
	wait "$pid" || true
	[ ! -e out/posterior.mpk ] || fail "the run finished before the kill: nothing was tested"
	# nothing half-written under a final name: every stage file is whole
	local f
	for f in out/M1/stage-*.mpk; do
		mpcat -q -i "$f" --tsv id >/dev/null || fail "$f is not a whole stream"
	done
	run make -s -f "$TOP/pipelines/calibrate.mk" PLAN=p.json OUT=out JOBS=2
	assert_success
	cmp infer.mpk out/posterior.mpk
	cmp infer-p.mpk out/predictive.mpk
}

# ---- evaluators that die or hang ----

@test "tmcmc-stage: an evaluator killed by a signal or exiting non-zero: exit 1, named, input kept, no output" {
	tmcmc-stage --init --prior "$TOP/examples/tmcmc/prior.json" -N 20 --seed 1 -o s0.mpk
	cp s0.mpk s0.orig
	run --separate-stderr tmcmc-stage -i s0.mpk -e 'kill -9 $$' -o s1.mpk
	assert_failure 1
	stderr_has "evaluator 'kill -9 \$\$' was killed by signal 9"
	no_final s1.mpk
	run --separate-stderr tmcmc-stage -i s0.mpk -e "$TOP/bin/analytic-loglik $TOP/examples/tmcmc/mixture.json | head -c 30" -o s1.mpk
	assert_failure 1
	stderr_has "evaluator '"
	stderr_has "truncated"
	no_final s1.mpk
	run --separate-stderr tmcmc-stage -i s0.mpk -e 'cat >/dev/null; exit 3' -o s1.mpk
	assert_failure 1
	stderr_has "exited with status 3"
	no_final s1.mpk
	cmp s0.mpk s0.orig
}

@test "tmcmc-stage --eval-timeout: a hung evaluator is stopped, with all it started; exit 1, no output" {
	tmcmc-stage --init --prior "$TOP/examples/tmcmc/prior.json" -N 20 --seed 1 -o s0.mpk
	local t0=$SECONDS
	# the shell starts a sleep of its own: the whole group must go
	run --separate-stderr tmcmc-stage -i s0.mpk -e 'sleep 300; echo never' --eval-timeout 1 -o s1.mpk
	assert_failure 1
	stderr_has "evaluator 'sleep 300; echo never' did not answer a batch of 20 within 1 s (--eval-timeout): stopped it"
	[ $((SECONDS - t0)) -lt 10 ] || fail "took $((SECONDS - t0)) s"
	no_final s1.mpk
	! pgrep -f 'sleep 300' >/dev/null || fail "the evaluator's sleep is still running"
	# an evaluator inside the limit is not disturbed
	run tmcmc-stage -i s0.mpk -e "$TOP/bin/analytic-loglik $TOP/examples/tmcmc/mixture.json" --eval-timeout 60 -o s1.mpk
	assert_success
	[ -s s1.mpk ]
	run --separate-stderr tmcmc-stage -i s0.mpk --eval-timeout 1
	assert_failure 2
	stderr_has "'--eval-timeout' goes with '--eval'"
	run --separate-stderr tmcmc-stage -i s0.mpk -e true --eval-timeout 0
	assert_failure 2
	stderr_has "'--eval-timeout'"
}

@test "infer --eval: an evaluator that dies in the second level: exit 1, the first level in POSTERIOR.partial" {
	plan_here
	infer p.json -q -o full.mpk
	# dies as soon as it is asked about M2
	# shellcheck disable=SC2016
	run --separate-stderr infer p.json -q -o post.mpk \
		-e '[ "$BIOFILTER_LEVEL" = M2 ] && kill -9 $$; sensitivity -q $BIOFILTER_EVAL_ARGS'
	assert_failure 1
	stderr_has "was killed by signal 9"
	stderr_has "level 'M2' did not finish; the posterior of M1 is in post.mpk.partial"
	no_final post.mpk
	[ "$(mpcat -i post.mpk.partial --tsv --headers level)" = M1 ]
	# the same bytes as M1's section of the whole run
	cmp <(mpcat -i post.mpk.partial --json) <(mpcat -i full.mpk --json | awk '/"level":"M2"/ { exit } { print }')
	# a later run that finishes removes the stale partial
	infer p.json -q -o post.mpk
	[ ! -e post.mpk.partial ]
	cmp post.mpk full.mpk
}

@test "infer --eval-timeout: a hung evaluator fails the level, exit 1" {
	plan_here
	run --separate-stderr infer p.json -q -o post.mpk -e 'sleep 300' --eval-timeout 1
	assert_failure 1
	stderr_has "did not answer a batch of 24 within 1 s (--eval-timeout)"
	no_final post.mpk
	[ ! -e post.mpk.partial ] # no level finished
	run --separate-stderr infer p.json -q --eval-timeout 1
	assert_failure 2
	stderr_has "'--eval-timeout' goes with '--eval'"
}

# ---- full disks and closed pipes ----

@test "writes to a full device: every program says so and exits 1" {
	plan_here
	theta_stream 1 2 >th.mpk
	run --separate-stderr solve -m M1.json -i th.mpk -o /dev/full
	assert_failure 1
	stderr_has "No space left on device"
	run --separate-stderr sensitivity -m M1.json -i th.mpk -o /dev/full
	assert_failure 1
	stderr_has "No space left on device"
	run --separate-stderr mpcat -i th.mpk -o /dev/full
	assert_failure 1
	stderr_has "No space left on device"
	run --separate-stderr sh -c 'mpcat -i th.mpk --tsv id theta >/dev/full'
	assert_failure 1
	stderr_has "No space left on device"
	run --separate-stderr tmcmc-stage --init --prior "$TOP/examples/tmcmc/prior.json" -N 5 -o /dev/full
	assert_failure 1
	stderr_has "No space left on device"
	run --separate-stderr infer p.json -q -o /dev/full
	assert_failure 1
	stderr_has "No space left on device"
	run --separate-stderr agent -m "$TOP/examples/agent/tmaze.json" --env tmaze --steps 3 -o /dev/full
	assert_failure 1
	stderr_has "No space left on device"
	run --separate-stderr sh -c "analytic-loglik '$TOP/examples/tmcmc/mixture.json' -i th.mpk >/dev/full"
	[ "$status" -ne 0 ]
}

@test "a file size limit (EFBIG, as a full disk): a message, exit 1, nothing under the final name" {
	plan_here
	theta_stream 1 2 3 4 5 6 7 8 >th.mpk
	# 1 block of 512 bytes: the header alone fits, the trajectories do not
	run --separate-stderr bash -c 'ulimit -f 1; solve -m M1.json -i th.mpk --every 1 -o traj.mpk'
	assert_failure 1
	stderr_has "traj.mpk: write failed: File too large"
	no_final traj.mpk
	run --separate-stderr bash -c 'ulimit -f 1; infer p.json -q -o post.mpk'
	assert_failure 1
	stderr_has "post.mpk: write failed: File too large"
	no_final post.mpk
}

@test "a closed stdout (| head -c 10): a message and a non-zero exit, for each program" {
	plan_here
	theta_stream 1 2 3 >th.mpk
	run bash -c 'set -o pipefail; sensitivity -m M1.json -i th.mpk 2>err | head -c 10 >/dev/null'
	[ "$status" -ne 0 ]
	grep -q "Broken pipe" err
	run bash -c 'for i in $(seq 2000); do cat th.mpk; done >many.mpk; set -o pipefail; mpcat -i many.mpk --json 2>err | head -c 10 >/dev/null'
	[ "$status" -ne 0 ]
	grep -q "Broken pipe" err
	run bash -c 'set -o pipefail; agent -m "$0/examples/agent/tmaze.json" --env tmaze --steps 3 --episodes 2000 2>err | head -c 10 >/dev/null' "$TOP"
	[ "$status" -ne 0 ]
	grep -q "Broken pipe" err
	run bash -c 'set -o pipefail; tmcmc-stage --init --prior "$0/examples/tmcmc/prior.json" -N 100000 2>err | head -c 10 >/dev/null' "$TOP"
	[ "$status" -ne 0 ]
	grep -q "Broken pipe" err
}

# ---- interrupting infer ----

# interrupt SIGNAL: infer on the plan, SIGNAL once M1 is done (its summary
# printed), then wait; sets status. M2's likelihoods come through an
# evaluator that takes 0.3 s a batch, so the signal surely finds M2
# running (the bytes are those of in-process likelihoods all the same).
interrupt() {
	# shellcheck disable=SC2016
	infer p.json -j 1 -o post.mpk \
		-e 'if [ "$BIOFILTER_LEVEL" = M2 ]; then sleep 0.3; fi; sensitivity -q $BIOFILTER_EVAL_ARGS' \
		>summary.txt 2>err.txt &
	local pid=$!
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q '^level M1' summary.txt 2>/dev/null && break
		sleep 0.05
	done
	kill "-$1" "$pid"
	status=0
	wait "$pid" || status=$?
}

@test "SIGINT stops infer cleanly: exit 130, the finished level in POSTERIOR.partial, nothing under POSTERIOR" {
	plan_here
	infer p.json -q -o full.mpk
	interrupt INT
	cat err.txt
	[ "$status" -eq 130 ]
	grep -q "SIGINT: stopped in level 'M2'" err.txt
	grep -q "the posterior of M1 is in post.mpk.partial" err.txt
	no_final post.mpk
	cmp <(mpcat -i post.mpk.partial --json) <(mpcat -i full.mpk --json | awk '/"level":"M2"/ { exit } { print }')
}

@test "SIGTERM stops infer cleanly: exit 143, the finished level in POSTERIOR.partial" {
	plan_here
	interrupt TERM
	cat err.txt
	[ "$status" -eq 143 ]
	grep -q "SIGTERM: stopped in level 'M2'" err.txt
	[ "$(mpcat -i post.mpk.partial --tsv --headers level)" = M1 ]
	no_final post.mpk
}
