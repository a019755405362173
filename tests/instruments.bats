#!/usr/bin/env bats
# The instruments of solve, sensitivity, infer, agent and tmcmc-stage:
# --phases FILE (the timers and counters as JSON: src/meter.h, and each
# program's man page) and --stats[=S] (the rolling monitor on stderr:
# src/monitor.c); tmcmc-stage has --phases only.
#
# What is checked: every documented field with its type; counters that
# match the work done (records, steps integrated, Newton iterations,
# evaluations, stages, agent steps), counted here independently (from the
# output streams and the sizes given); the phases each program documents,
# with laps that follow from the algorithm (a factorisation per Newton
# update, a residual per iteration and one more to see it converged, a TSM
# step per time step, a step's parts once per agent step); on one thread
# the phases add up to at most the run's wall time (the man pages say so);
# --stats=0 prints one line per unit of work and one "all" line; bad
# values of --stats exit 2; and the instruments change nothing: the output
# streams are byte-identical with and without them.
#
# The whole file takes a few seconds (small models: 200 steps, 3 thetas; a
# one-level plan of 40 samples).

load helpers

# phases_file FILE PROGRAM ONE_THREAD > FLAT: FILE is a --phases file of
# PROGRAM with every documented field; with ONE_THREAD (1) its phases add up
# to at most its wall time. Prints the flattened file.
phases_file() {
	[ -s "$1" ] || fail "no --phases file $1"
	jflat "$1" >"$1.flat"
	local f="$1.flat" c k sum
	assert_equal "$(jv $f program)" "\"$2\""
	[[ "$(jv $f version)" == \"?*\" ]] || fail "'version' is not a string"
	is "$(jv $f wall_seconds)" '>' 0 wall_seconds
	# a counter read costs a few ns to a few hundred (a system call)
	is "$(jv $f timer_overhead_ns)" '>' 0 timer_overhead_ns
	is "$(jv $f timer_overhead_ns)" '<' 5000 timer_overhead_ns
	is "$(jv $f timer_seconds)" '>=' 0 timer_seconds
	assert_equal "$(jv $f phases)" '{'
	assert_equal "$(jv $f counters)" '{'
	for c in records bad_records steps newton_iterations evaluations stages agent_steps; do
		[[ "$(jv $f counters.$c)" =~ ^[0-9]+$ ]] || fail "counters.$c is not a count"
	done
	# only the phases that ran: each has laps
	awk -F'\t' '$1 ~ /^phases\.[a-z]+\.laps$/ && !($2 >= 1) { print $1 " " $2; bad = 1 } END { exit bad }' "$f" ||
		fail "a phase without laps"
	awk -F'\t' '$1 ~ /^phases\.[a-z]+\.seconds$/ && !($2 >= 0) { print $1 " " $2; bad = 1 } END { exit bad }' "$f" ||
		fail "a phase with negative seconds"
	is "$(jv $f peak_rss_kib)" '>' 0 peak_rss_kib
	if [ "$3" = 1 ]; then
		sum=$(awk -F'\t' '$1 ~ /^phases\.[a-z]+\.seconds$/ { s += $2 } END { printf "%.17g", s }' "$f")
		is "$sum" '<=' "$(jv $f wall_seconds)" "the phases' seconds against wall_seconds"
	fi
	cat "$f"
}

# has_phases FLAT NAME...: the phases NAME are there.
has_phases() {
	local f=$1 p
	shift
	for p in "$@"; do
		assert_equal "$(jv $f phases.$p)" '{'
	done
}

# stats_lines PROGRAM UNIT N: $stderr holds exactly N "PROGRAM: stats:" lines of
# one UNIT each, then one "PROGRAM: stats: all N UNIT" line, all in the
# documented format (with rss and peak).
stats_lines() {
	local re="^$1: stats: (all )?[0-9]+ $2 in [0-9.]+ s: mean [0-9.]+ [mun]?s, sd [0-9.]+ [mun]?s, min [0-9.]+ [mun]?s, max [0-9.]+ [mun]?s; rss [0-9.]+ MiB, peak [0-9.]+ MiB$"
	grep "^$1: stats:" <<<"$stderr" >stats.txt || true
	assert_equal "$(wc -l <stats.txt)" $(($3 + 1))
	run grep -vE "$re" stats.txt
	[ -z "$output" ] || fail "not in the format of a stats line: $output"
	assert_equal "$(grep -c "^$1: stats: 1 $2 in " stats.txt)" "$3"
	assert_equal "$(tail -n 1 stats.txt | grep -c "^$1: stats: all $3 $2 in ")" 1
}

# ---- solve ----

@test "solve --phases: the documented fields; records, steps and Newton iterations of the work" {
	model_json >m.json
	theta_stream 1 2 3 >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk --phases ph.json
	assert_success
	stderr_empty
	phases_file ph.json solve 1 >/dev/null
	local f=ph.json.flat newton
	has_phases $f assembly factorisation read write
	assert_equal "$(jv $f counters.records)" 3
	assert_equal "$(jv $f counters.bad_records)" 0
	# all 200 steps of the model, three times
	assert_equal "$(jv $f counters.steps)" 600
	# the records say how many Newton updates each took
	newton=$(mpcat --tsv newton_iterations -i out.mpk | awk '{ s += $1 } END { print s }')
	is "$newton" '>' 0
	assert_equal "$(jv $f counters.newton_iterations)" "$newton"
	for c in evaluations stages agent_steps; do
		assert_equal "$(jv $f counters.$c)" 0
	done
	# a residual per Newton iteration and one more that finds it converged;
	# a factorisation per update
	assert_equal "$(jv $f phases.assembly.laps)" $((600 + newton))
	assert_equal "$(jv $f phases.factorisation.laps)" "$newton"
}

@test "solve --phases: the integration stops at the last saved step (--steps, --every)" {
	model_json >m.json
	theta_stream 1 2 3 >th.mpk
	solve -m m.json -i th.mpk -o out.mpk --steps 0,50 --phases a.json
	assert_equal "$(jflat a.json | jv /dev/stdin counters.steps)" 150
	solve -m m.json -i th.mpk -o out.mpk --every 60 --phases b.json
	assert_equal "$(jflat b.json | jv /dev/stdin counters.steps)" $((3 * 180))
	solve -m m.json -i th.mpk -o out.mpk --every 50 --phases c.json
	assert_equal "$(jflat c.json | jv /dev/stdin counters.steps)" 600
}

@test "solve --phases with a bad record: counted, the file still written, exit 2" {
	model_json >m.json
	{
		theta_json 1
		echo '{"id":2,"theta":[0.8,2.0]}'
		theta_json 3
	} | mpcat --from-json >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk --phases ph.json
	assert_failure 2
	phases_file ph.json solve 1 >/dev/null
	assert_equal "$(jv ph.json.flat counters.records)" 3
	assert_equal "$(jv ph.json.flat counters.bad_records)" 1
	assert_equal "$(jv ph.json.flat counters.steps)" 400
}

@test "solve --phases after a fatal error: no file; into a missing directory: exit 1 naming it" {
	model_json >m.json
	theta_stream 1 2 3 4 >th.mpk
	head -c 70 th.mpk >cut.mpk
	run --separate-stderr solve -m m.json -i cut.mpk -o out.mpk --phases ph.json
	assert_failure 2
	[ ! -e ph.json ]
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk --phases nodir/ph.json
	assert_failure 1
	stderr_has "nodir/ph.json"
}

@test "solve --observe --phases: refused, or the solver's work counted" {
	# --observe integrates the model once per data point's theta (here
	# with --aleatory: every point from its own run), so its steps and
	# Newton iterations are work like any other
	model_json >m.json
	theta_stream 1 2 3 >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o data.mpk --observe 5 --aleatory 0.005 --phases ph.json
	if [ "$status" -eq 2 ]; then
		stderr_has "'--phases'"
		return
	fi
	assert_success
	phases_file ph.json solve 1 >/dev/null
	assert_equal "$(jv ph.json.flat counters.records)" 3
	is "$(jv ph.json.flat counters.steps)" '>=' 600 "the steps of three runs to step 200 at least"
	is "$(jv ph.json.flat counters.newton_iterations)" '>' 0
	has_phases ph.json.flat assembly factorisation
}

@test "solve --stats=0: a line per trajectory and an 'all' line, also with -q" {
	model_json >m.json
	theta_stream 1 2 3 >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk --stats=0
	assert_success
	stats_lines solve trajectories 3
	run --separate-stderr solve -q -m m.json -i th.mpk -o out.mpk --stats=0
	assert_success
	stats_lines solve trajectories 3
	# a long interval: the one partial window, then the whole run
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk --stats=1000
	assert_success
	assert_equal "$(grep -c '^solve: stats: ' <<<"$stderr")" 2
	assert_equal "$(grep -c '^solve: stats: 3 trajectories in ' <<<"$stderr")" 1
	assert_equal "$(grep -c '^solve: stats: all 3 trajectories in ' <<<"$stderr")" 1
}

@test "--stats=x, --stats=-1, --stats= and '--stats 5': exit 2 naming the option or the argument" {
	model_json >m.json
	theta_stream 1 >th.mpk
	local p v
	for p in solve sensitivity agent; do
		for v in x -1 ''; do
			if [ $p = agent ]; then
				run --separate-stderr agent -m "$TOP/examples/agent/tmaze.json" --env tmaze --steps 2 -o out.mpk "--stats=$v"
			else
				run --separate-stderr $p -m m.json -i th.mpk -o out.mpk "--stats=$v"
			fi
			assert_failure 2
			stderr_has "'--stats'"
			[ ! -e out.mpk ]
		done
	done
	# the value is optional, so it needs the equals sign
	run --separate-stderr solve --stats 5 -m m.json -i th.mpk -o out.mpk
	assert_failure 2
	stderr_has "'5'"
	[ ! -e out.mpk ]
}

@test "solve: the output is the same bytes with and without --phases and --stats" {
	model_json >m.json
	theta_stream 1 2 3 >th.mpk
	solve -m m.json -i th.mpk -o plain.mpk
	solve -m m.json -i th.mpk -o inst.mpk --phases ph.json --stats=0 2>/dev/null
	cmp plain.mpk inst.mpk
	solve -m m.json -i th.mpk --observables --every 20 >plain2.mpk
	solve -m m.json -i th.mpk --observables --every 20 --phases ph2.json --stats >inst2.mpk 2>/dev/null
	cmp plain2.mpk inst2.mpk
}

# ---- sensitivity ----

@test "sensitivity --phases: + the TSM step once per time step; --stats=0 counts thetas" {
	model_json >m.json
	theta_stream 1 2 3 >th.mpk
	sensitivity -m m.json -i th.mpk -o plain.mpk
	run --separate-stderr sensitivity -m m.json -i th.mpk -o out.mpk --phases ph.json --stats=0
	assert_success
	cmp plain.mpk out.mpk
	stats_lines sensitivity thetas 3
	phases_file ph.json sensitivity 1 >/dev/null
	local f=ph.json.flat newton
	has_phases $f assembly factorisation sensitivity read write
	assert_equal "$(jv $f counters.records)" 3
	assert_equal "$(jv $f counters.steps)" 600
	assert_equal "$(jv $f counters.evaluations)" 0
	newton=$(mpcat --tsv newton_iterations -i out.mpk | awk '{ s += $1 } END { print s }')
	assert_equal "$(jv $f counters.newton_iterations)" "$newton"
	assert_equal "$(jv $f phases.sensitivity.laps)" 600
	assert_equal "$(jv $f phases.factorisation.laps)" "$newton"
	assert_equal "$(jv $f phases.assembly.laps)" $((600 + newton))
}

@test "sensitivity --data --phases: one evaluation per theta; --stats=0 counts evaluations" {
	model_json >m.json
	theta_stream '"d"' | solve -q -m m.json --observe 10 --noise 0.005 --seed 1 -o data.mpk
	theta_stream 1 2 3 4 >th.mpk
	sensitivity -m m.json --data data.mpk -i th.mpk -o plain.mpk
	run --separate-stderr sensitivity -m m.json --data data.mpk -i th.mpk -o out.mpk --phases ph.json --stats=0
	assert_success
	cmp plain.mpk out.mpk
	stats_lines sensitivity evaluations 4
	phases_file ph.json sensitivity 1 >/dev/null
	assert_equal "$(jv ph.json.flat counters.records)" 4
	assert_equal "$(jv ph.json.flat counters.evaluations)" 4
	# the data's last point is at the model's last step
	assert_equal "$(jv ph.json.flat counters.steps)" 800
	has_phases ph.json.flat assembly factorisation sensitivity
}

# ---- infer ----

# tiny_plan: a one-level plan on the 200-step model, b1 and b2 free, N = 40,
# 2 MH steps per stage, with its model and data, in the test's directory.
tiny_plan() {
	model_json >model.json
	theta_stream '"t"' | solve -q -m model.json --observe 10 --noise 0.005 --seed 1 -o data.mpk
	cat >plan.json <<-'JSON'
		{
		 "parameters": [
		  {"name": "a11", "uniform": [0, 3], "truth": 0.8},
		  {"name": "a12", "uniform": [0, 3], "truth": 2.0},
		  {"name": "a22", "uniform": [0, 3], "truth": 1.0},
		  {"name": "b1", "uniform": [0, 1], "truth": 0.1},
		  {"name": "b2", "uniform": [0, 1], "truth": 0.2}
		 ],
		 "cov": 0.005,
		 "sigma_obs": 0.005,
		 "tmcmc": {"samples": 40, "chain_steps": 2, "seed": 3},
		 "levels": [
		  {"name": "A", "model": "model.json", "data": "data.mpk", "free": ["b1", "b2"]}
		 ]
		}
	JSON
}

@test "infer --phases: evaluations and stages of the posterior, the likelihood's phases; --stats=0 a line per evaluation" {
	tiny_plan
	infer plan.json -q -j 1 -o plain.mpk
	run --separate-stderr infer plan.json -q -j 1 -o post.mpk --phases ph.json --stats=0
	assert_success
	cmp plain.mpk post.mpk
	phases_file ph.json infer 1 >/dev/null
	local f=ph.json.flat ev
	has_phases $f assembly factorisation sensitivity sampler
	assert_equal "$(jv $f threads)" 1
	assert_equal "$(jv $f levels)" 1
	assert_equal "$(jv $f samples)" 40
	# the posterior's header counts the level's evaluations and stages
	ev=$(mpcat -i post.mpk --tsv --headers evaluations)
	is "$ev" '>=' 40
	assert_equal "$(jv $f counters.evaluations)" "$ev"
	assert_equal "$(jv $f counters.stages)" "$(mpcat -i post.mpk --tsv --headers stages)"
	assert_equal "$(jv $f phases.sampler.laps)" "$(jv $f counters.stages)"
	# each evaluation integrates at most the model's 200 steps, with a TSM
	# step per converged step and a factorisation per Newton update
	is "$(jv $f counters.steps)" '<=' $((ev * 200))
	is "$(jv $f phases.sensitivity.laps)" '<=' "$(jv $f counters.steps)"
	is "$(jv $f phases.sensitivity.laps)" '>' 0
	is "$(jv $f phases.factorisation.laps)" '>=' "$(jv $f counters.newton_iterations)"
	# one stats line per evaluation, then the whole run
	stats_lines infer evaluations "$ev"
}

@test "infer -j 2 --phases: the same work and posterior as one thread" {
	tiny_plan
	infer plan.json -q -j 1 -o one.mpk -p one.pred --phases one.json
	infer plan.json -q -j 2 -o two.mpk -p two.pred --phases two.json
	cmp one.mpk two.mpk
	cmp one.pred two.pred # the predictive's pool too (check-sanitize's TSan build runs this)
	phases_file two.json infer 0 >/dev/null
	jflat one.json >one.flat
	assert_equal "$(jv two.json.flat threads)" 2
	local c
	for c in records bad_records steps newton_iterations evaluations stages; do
		assert_equal "$(jv two.json.flat counters.$c)" "$(jv one.flat counters.$c)"
	done
	assert_equal "$(jv two.json.flat phases.sensitivity.laps)" "$(jv one.flat phases.sensitivity.laps)"
}

@test "infer: --stats with --eval, and --phases with --from, exit 2 naming the options" {
	tiny_plan
	run --separate-stderr infer plan.json -q --stats=0 -e "sensitivity -m model.json --data data.mpk" -o post.mpk
	assert_failure 2
	stderr_has "'--stats'"
	stderr_has "'--eval'"
	[ ! -e post.mpk ]
	run --separate-stderr infer plan.json -q --stats=x
	assert_failure 2
	stderr_has "'--stats'"
	run --separate-stderr infer plan.json -q --stats=-1
	assert_failure 2
	stderr_has "'--stats'"
	run --separate-stderr infer plan.json -q --from somewhere --phases ph.json
	assert_failure 2
	stderr_has "'--phases'"
	[ ! -e ph.json ]
}

# ---- agent ----

@test "agent --phases, closed loop of 4 steps x 3 episodes: 12 agent steps, a lap of each part per step" {
	local T="$TOP/examples/agent/tmaze.json"
	agent -m "$T" --env tmaze --steps 4 --episodes 3 --seed 1 -o plain.mpk
	run --separate-stderr agent -m "$T" --env tmaze --steps 4 --episodes 3 --seed 1 -o out.mpk --phases ph.json --stats=0
	assert_success
	cmp plain.mpk out.mpk
	assert_equal "$(mpcat --tsv t -i out.mpk | wc -l)" 12
	stats_lines agent steps 12
	phases_file ph.json agent 1 >/dev/null
	local f=ph.json.flat p
	has_phases $f states policies action write
	for p in states policies action; do
		assert_equal "$(jv $f phases.$p.laps)" 12
	done
	# nothing is learnt: no learning phase
	run jv $f phases.learning
	assert_failure
	assert_equal "$(jv $f counters.agent_steps)" 12
	for c in steps newton_iterations evaluations stages; do
		assert_equal "$(jv $f counters.$c)" 0
	done
	assert_equal "$(jv $f threads)" 1
	# the T-maze: 4 actions of the controllable factor, policy_len 1
	assert_equal "$(jv $f policies)" 4
}

@test "agent -j 2 --phases: the threads' meters summed, the same steps and output" {
	local T="$TOP/examples/agent/tmaze.json"
	agent -m "$T" --env tmaze --steps 5 --episodes 4 -j 1 -o one.mpk
	run --separate-stderr agent -m "$T" --env tmaze --steps 5 --episodes 4 -j 2 -o two.mpk --phases ph.json --stats=0
	assert_success
	cmp one.mpk two.mpk
	stats_lines agent steps 20
	phases_file ph.json agent 0 >/dev/null
	assert_equal "$(jv ph.json.flat threads)" 2
	assert_equal "$(jv ph.json.flat counters.agent_steps)" 20
	assert_equal "$(jv ph.json.flat phases.states.laps)" 20
}

@test "agent --phases as a filter that learns: read and learning phases, a step per observation" {
	awk 'BEGIN { n = split("1 1 2 3 3 1 2 2 2 2", o, " "); for (i = 1; i <= n; i++) printf "{\"id\":\"l\",\"obs\":[%d]}\n", o[i] }' |
		mpcat --from-json >obs.mpk
	agent -m "$DATA/agent/s08.json" -i obs.mpk -o plain.mpk
	run --separate-stderr agent -m "$DATA/agent/s08.json" -i obs.mpk -o out.mpk --phases ph.json --stats=0
	assert_success
	cmp plain.mpk out.mpk
	stats_lines agent steps 10
	phases_file ph.json agent 1 >/dev/null
	has_phases ph.json.flat read write states policies action learning
	assert_equal "$(jv ph.json.flat counters.agent_steps)" 10
	assert_equal "$(jv ph.json.flat phases.learning.laps)" 10
}

@test "agent --phases with a bad observation record: the file written, the bad record counted" {
	{
		echo '{"id":"g","obs":[0,0,0]}'
		echo '{"id":"g","obs":[9,0,0]}'
		echo '{"id":"g","obs":[3,0,0]}'
	} | mpcat --from-json >obs.mpk
	run --separate-stderr agent -m "$TOP/examples/agent/tmaze.json" -i obs.mpk -o out.mpk --phases ph.json
	assert_failure 2
	phases_file ph.json agent 1 >/dev/null
	assert_equal "$(jv ph.json.flat counters.agent_steps)" 2
	# "bad_records" applies here: the record was answered with its status
	# (solve and sensitivity count theirs); 0 would say none was bad
	assert_equal "$(jv ph.json.flat counters.bad_records)" 1
}

@test "agent: --phases and --stats with a model file to write: exit 2" {
	run --separate-stderr agent --random-model obs=2,states=2,controls=2,seed=1 --phases ph.json
	assert_failure 2
	stderr_has "'--random-model'"
	[ ! -e ph.json ]
	run --separate-stderr agent --random-model obs=2,states=2,controls=2,seed=1 --stats=0
	assert_failure 2
	run --separate-stderr agent --env tmaze --env-model --phases ph.json
	assert_failure 2
	[ ! -e ph.json ]
}

# ---- tmcmc-stage ----

@test "tmcmc-stage --init --phases: stage 0, nothing evaluated" {
	run --separate-stderr tmcmc-stage --init --prior "$DATA/tmcmc/uniform2.json" -N 100 --seed 1 -o s0.mpk --phases ph.json
	assert_success
	phases_file ph.json tmcmc-stage 1 >/dev/null
	local f=ph.json.flat
	assert_equal "$(jv $f stage)" 0
	is "$(jv $f beta)" '==' 0
	is "$(jv $f acceptance)" '==' 0
	assert_equal "$(jv $f chain_steps)" 0
	assert_equal "$(jv $f counters.evaluations)" 0
	assert_equal "$(jv $f counters.stages)" 0
	has_phases $f write
}

@test "tmcmc-stage --phases, one stage: stages 1, the header's evaluations, beta and chain steps" {
	tmcmc-stage --init --prior "$DATA/tmcmc/uniform2.json" -N 100 --seed 1 -o s0.mpk
	local eval="analytic-loglik '$DATA/tmcmc/gauss2.json'"
	tmcmc-stage --eval "$eval" -i s0.mpk -o plain.mpk
	run --separate-stderr tmcmc-stage --eval "$eval" -i s0.mpk -o s1.mpk --phases ph.json
	assert_success
	cmp plain.mpk s1.mpk
	phases_file ph.json tmcmc-stage 1 >/dev/null
	local f=ph.json.flat steps beta
	has_phases $f sampler evaluator write
	assert_equal "$(jv $f counters.stages)" 1
	assert_equal "$(jv $f phases.sampler.laps)" 1
	assert_equal "$(jv $f stage)" 1
	assert_equal "$(jv $f stage)" "$(mpcat -i s1.mpk --tsv --headers stage)"
	# stage 0's 100 likelihoods, then the MH steps' proposals
	is "$(jv $f counters.evaluations)" '>=' 100
	assert_equal "$(jv $f counters.evaluations)" "$(mpcat -i s1.mpk --tsv --headers evaluations)"
	beta=$(jv $f beta)
	is "$beta" '>' 0
	is "$beta" '<=' 1
	is "$beta" '==' "$(mpcat -i s1.mpk --tsv --headers beta)"
	is "$(jv $f acceptance)" '>=' 0
	is "$(jv $f acceptance)" '<=' 1
	steps=$(jv $f chain_steps)
	assert_equal "$steps" "$(mpcat -i s1.mpk --tsv --headers chain_steps)"
	# a batch for the missing likelihoods, then at most one per MH step
	is "$(jv $f phases.evaluator.laps)" '>=' 2
	is "$(jv $f phases.evaluator.laps)" '<=' $((steps + 1))
	for c in records steps newton_iterations agent_steps; do
		assert_equal "$(jv $f counters.$c)" 0
	done
}

@test "tmcmc-stage: a failed stage writes no --phases file; --stats is not an option" {
	tmcmc-stage --init --prior "$DATA/tmcmc/uniform2.json" -N 20 --seed 1 -o s0.mpk
	run --separate-stderr tmcmc-stage --eval false -i s0.mpk -o s1.mpk --phases ph.json
	[ "$status" -ne 0 ]
	[ ! -e ph.json ]
	[ ! -e s1.mpk ]
	run --separate-stderr tmcmc-stage --eval "analytic-loglik '$DATA/tmcmc/gauss2.json'" -i s0.mpk -o s1.mpk --stats=0
	assert_failure 2
	stderr_has "'--stats=0'"
	[ ! -e s1.mpk ]
}
