#!/usr/bin/env bats
# agent: discrete active-inference agents (pymdp 0.0.7's numpy Agent) as a
# filter and in closed loops. Parity with pymdp's own runs (tests/data/aif)
# through the program, replay, seeds, threads and shards, the T-maze and
# grid worlds, random models, learning, resets, bad input (exit 2, the
# message names the thing at fault) and atomic output.
#
# Data: examples/agent/tmaze.json (pymdp's T-maze), and two model files made
# once with python3 from pymdp's reference runs:
#   tests/data/agent/s12.json  s12_gamma4_E_prior's model: A, B, C, D,
#                              control_fac_idx, E, options {gamma: 4}
#   tests/data/agent/s08.json  s08_learn_A_B_lr05's model: A, B, C, D, pA,
#                              pB, control_fac_idx, options {lr_pA: 0.5,
#                              lr_pB: 0.5, learn_A: true, learn_B: true}
# The golden numbers below are copied from tests/data/aif/s09_tmaze.json,
# s12_gamma4_E_prior.json and s08_learn_A_B_lr05.json.
#
# The whole file takes a few seconds.

load helpers

# the helpers' setup, then the agent's own data
eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
setup() {
	helpers_setup
	[ -x "$BIN/agent" ] || fail "$BIN/agent is not built: run make first"
	TMAZE="$TOP/examples/agent/tmaze.json"
	AGDATA="$DATA/agent"
}

# same_values N_EXACT EXPECTED ACTUAL: two tables (whitespace-separated) of
# the same shape; the first N_EXACT columns equal, the others numbers within
# 1e-10 absolute.
same_values() {
	awk -v nx="$1" -v tol=1e-10 '
		NR == FNR { want[FNR] = $0; n = FNR; next }
		{
			m = FNR
			if (!(FNR in want)) { print "line " FNR ": not expected: " $0; bad = 1; next }
			k = split(want[FNR], w)
			if (k != NF) { printf "line %d: %d columns, expected %d\n", FNR, NF, k; bad = 1; next }
			for (i = 1; i <= NF; i++) {
				if (i <= nx) {
					if ($i != w[i]) { printf "line %d column %d: %s, expected %s\n", FNR, i, $i, w[i]; bad = 1 }
				} else if ($i !~ /^-?[0-9]/ || $i - w[i] > tol || w[i] - $i > tol) {
					printf "line %d column %d: %s, expected %s (within %g)\n", FNR, i, $i, w[i], tol; bad = 1
				}
			}
		}
		END { if (m != n) { printf "%d lines, expected %d\n", m, n; bad = 1 }; exit bad }' "$2" "$3"
}

# stochastic MODEL > FILE: MODEL (a one-line JSON object without
# "options", as agent --random-model and --env-model write them) with
# options {"action_selection": "stochastic"} added.
stochastic() {
	sed '$ s/}$/, "options": {"action_selection": "stochastic"}}/' "$1"
}

# the T-maze with stochastic action selection (tmaze.json ends in "options":
# {"policy_len": 1}})
stochastic_tmaze() {
	sed 's/"policy_len": 1}/"policy_len": 1, "action_selection": "stochastic"}/' "$TMAZE"
}

# random_stochastic SEED > FILE: a random model (6 outcomes, 8 states, 4
# controls) with stochastic action selection.
random_stochastic() {
	agent --random-model "obs=6,states=8,controls=4,seed=$1" | stochastic /dev/stdin
}

# interleaved > FILE.jsonl: episodes "a" and "b" (6 records) and "c" (4),
# their records interleaved a b c a b c ..., observations 0..5 of a
# one-modality model.
interleaved() {
	awk 'BEGIN {
		split("a b c", ids, " ")
		for (k = 0; k < 6; k++)
			for (j = 1; j <= 3; j++)
				if (ids[j] != "c" || k < 4)
					printf "{\"id\":\"%s\",\"obs\":[%d]}\n", ids[j], (k * 3 + j) % 6
	}'
}

# bad_record JSON TEXT: a stream of a good record, the record JSON and a good
# record for the T-maze: exit 2, the message names the input, record 2 and
# TEXT; the bad record is answered with its status, the others with steps.
bad_record() {
	{
		echo '{"id":"x","obs":[0,0,0]}'
		echo "$1"
		echo '{"id":"x","obs":[3,0,0]}'
	} | mpcat --from-json >in.mpk
	run --separate-stderr agent -m "$TMAZE" -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "in.mpk: record 2: "
	stderr_has "$2"
	run mpcat --tsv t status -i out.mpk
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 "$(printf '0\t')"
	assert_line -n 1 --regexp "^$(printf '\t').*$(printf '%s' "$2" | sed 's/[][().*^$]/\\&/g')"
	assert_line -n 2 "$(printf '1\t')"
}

# ---- parity with pymdp 0.0.7.1 ----

@test "T-maze filter: actions, q_pi and neg_efe of pymdp's run (s09) within 1e-10" {
	cat >obs.jsonl <<'JSON'
{"id":"g","obs":[0,0,0]}
{"id":"g","obs":[3,0,0]}
{"id":"g","obs":[1,1,1]}
{"id":"g","obs":[1,1,1]}
{"id":"g","obs":[1,1,1]}
{"id":"g","obs":[1,1,0]}
JSON
	# t, action (2 factors), q_pi (4 policies), neg_efe (4)
	cat >want.txt <<'TXT'
0 3 0 1.0770827541325583e-05 0.14705677319928653 0.14705677319928653 0.7058756827738855 -5.1303870801325075 -4.535278787783192 -4.535278787783192 -4.4372400121077185
1 1 0 9.72095001407315e-21 1.0 9.449754976497664e-41 9.720932510910977e-21 -5.1303870801325075 -2.250386855063427 -8.010386855063384 -5.130387192667663
2 1 0 9.720950014073012e-21 1.0 9.449754976497395e-41 9.720932510910839e-21 -5.1303870801325075 -2.250386855063426 -8.010386855063384 -5.130387192667663
3 1 0 9.720950014073012e-21 1.0 9.449754976497395e-41 9.720932510910839e-21 -5.1303870801325075 -2.250386855063426 -8.010386855063384 -5.130387192667663
4 1 0 9.720950014073012e-21 1.0 9.449754976497395e-41 9.720932510910839e-21 -5.1303870801325075 -2.250386855063426 -8.010386855063384 -5.130387192667663
5 1 0 9.720950014073012e-21 1.0 9.449754976497395e-41 9.720932510910839e-21 -5.1303870801325075 -2.250386855063426 -8.010386855063384 -5.130387192667663
TXT
	run --separate-stderr bash -c 'mpcat --from-json obs.jsonl | agent -m "$0" >out.mpk' "$TMAZE"
	assert_success
	stderr_empty
	mpcat --tsv t action q_pi neg_efe -i out.mpk >got.txt
	run same_values 3 want.txt got.txt
	echo "$output"
	assert_success
	# each record carries the observation and both factors' beliefs
	run mpcat --tsv id obs -i out.mpk
	assert_line -n 1 "$(printf 'g\t3\t0\t0')"
	run mpcat --no-header --json -i out.mpk
	assert_line -n 0 --regexp '^\{"id":"g","t":0,"obs":\[0,0,0\],"qs":\[\[[^]]*\],\[[^]]*\]\],"q_pi":\[[^]]*\],"neg_efe":\[[^]]*\],"action":\[3,0\]\}$'
}

@test "gamma 4 and a policy prior E: pymdp's run (s12) within 1e-10" {
	cat >obs.jsonl <<'JSON'
{"id":"g","obs":[1]}
{"id":"g","obs":[0]}
{"id":"g","obs":[1]}
{"id":"g","obs":[1]}
{"id":"g","obs":[0]}
{"id":"g","obs":[0]}
{"id":"g","obs":[4]}
{"id":"g","obs":[3]}
JSON
	cat >want.txt <<'TXT'
0 3 0.00017918489300854565 0.0005354054687762004 0.13679039849743013 0.8624950111407852 -4.206096173962377 -4.026753635291408 -2.660972770559713 -2.211614203325812
1 3 0.0002242801965149028 0.0036978741991448463 0.29423998309361926 0.7018378625107209 -4.125470145189746 -3.5191248329035014 -2.4449797582330204 -2.2386394008827715
2 3 8.990506915361765e-05 0.00010008864169951686 0.17210634727603613 0.8277036590131107 -4.410498446172595 -4.477981974239196 -2.635543383852381 -2.2538940520390778
3 3 7.772955241469129e-05 8.472993844002233e-05 0.18222741478408908 0.8176101257250563 -4.437749990866861 -4.510500620241423 -2.6121295144394976 -2.2478332930000375
4 3 9.151330596843027e-05 0.0006329721739327812 0.2512353167818459 0.7480401977382528 -4.28184457527626 -3.8926680543083396 -2.416752668587627 -2.154972313497528
5 3 0.0012854090753738696 0.005133344190004586 0.2421812235036397 0.7514000232309819 -3.8896416307174055 -3.6377805494024766 -2.6943126302221923 -2.422235984913372
6 0 0.5709678515693364 0.02655940738748666 0.38173112262532516 0.020741618417851788 -2.9112262252164345 -3.7725224477401924 -3.126203650187234 -3.865333535028151
7 1 0.360324496895322 0.6395497691388836 1.4279121754270633e-05 0.00011145484404000608 -2.4410157725334822 -2.391884912230993 -5.089329552177091 -4.586610604677373
TXT
	cp "$AGDATA/s12.json" m.json
	mpcat --from-json obs.jsonl >obs.mpk
	run --separate-stderr agent -m m.json -i obs.mpk -o out.mpk
	assert_success
	stderr_empty
	mpcat --tsv t action q_pi neg_efe -i out.mpk >got.txt
	run same_values 2 want.txt got.txt
	echo "$output"
	assert_success
	# without E and gamma the numbers are not these (the test can fail)
	sed -e 's/"E": \[[^]]*\], //' -e 's/"gamma": 4.0/"gamma": 16.0/' m.json >plain.json
	run ! cmp -s m.json plain.json
	agent -m plain.json -i obs.mpk | mpcat --tsv t action q_pi neg_efe >plain.txt
	run same_values 2 want.txt plain.txt
	assert_failure
}

# ---- replay, seeds ----

@test "replay: the given actions are taken, action_probs still reported" {
	stochastic_tmaze >st.json
	grep -q '"action_selection": "stochastic"' st.json
	# [0,0] at t = 0 is what the agent would almost never choose
	cat >obs.jsonl <<'JSON'
{"id":"r","obs":[0,0,0],"action":[0,0]}
{"id":"r","obs":[0,0,1],"action":[2,0]}
{"id":"r","obs":[2,2,0],"action":[3,0]}
{"id":"r","obs":[3,0,1],"action":[1,0]}
JSON
	run --separate-stderr bash -c 'mpcat --from-json obs.jsonl | agent -m st.json --seed 5 | mpcat --tsv t action'
	assert_success
	assert_output "$(printf '0\t0\t0\n1\t2\t0\n2\t3\t0\n3\t1\t0')"
	run bash -c 'mpcat --from-json obs.jsonl | agent -m st.json --seed 5 | mpcat --no-header --json'
	assert_equal "${#lines[@]}" 4
	for i in 0 1 2 3; do
		assert_line -n "$i" --regexp '"action_probs":\[\[[^]]*\],\[1\.0\]\]'
		refute_line -n "$i" --partial '"policy_probs"'
	done
	# the next prior follows the replayed action: after [0,0] the agent
	# believes what it sees (the centre at t = 1); after [1,0] the same
	# observation contradicts where it expected to be
	sed '1s/"action":\[0,0\]/"action":[1,0]/' obs.jsonl >obs2.jsonl
	run ! cmp -s obs.jsonl obs2.jsonl
	run bash -c 'mpcat --from-json obs.jsonl | agent -m st.json | mpcat --tsv t qs | awk "NR == 2 { printf \"%s %.6f\n\", \$1, \$2 }"'
	assert_output '1 1.000000'
	run bash -c 'mpcat --from-json obs2.jsonl | agent -m st.json | mpcat --tsv t qs | awk "NR == 2 { printf \"%s %.6f\n\", \$1, \$2 }"'
	refute_output '1 1.000000'
}

@test "replaying the agent's own stochastic choices gives the same records" {
	random_stochastic 2 >rs.json
	awk 'BEGIN { for (t = 0; t < 30; t++) printf "{\"id\":\"e\",\"obs\":[%d]}\n", (t * 7) % 6 }' |
		mpcat --from-json >obs.mpk
	agent -m rs.json -i obs.mpk --seed 3 -o free.mpk
	mpcat --tsv id obs action -i free.mpk |
		awk -F'\t' '{ printf "{\"id\":\"%s\",\"obs\":[%s],\"action\":[%s]}\n", $1, $2, $3 }' |
		mpcat --from-json >replay.mpk
	# any seed: the actions are given
	agent -m rs.json -i replay.mpk --seed 99 -o replayed.mpk
	mpcat --no-header --json free.mpk >a.jsonl
	mpcat --no-header --json replayed.mpk >b.jsonl
	run wc -l <a.jsonl
	assert_output 30
	grep -q '"action_probs"' a.jsonl
	cmp a.jsonl b.jsonl
}

@test "--seed: same seed same bytes; another seed other stochastic actions" {
	random_stochastic 2 >rs.json
	grep -q '"action_selection": "stochastic"' rs.json
	agent -m rs.json --env model --steps 50 --seed 7 -o a.mpk
	agent -m rs.json --env model --steps 50 --seed 7 -o b.mpk
	agent -m rs.json --env model --steps 50 --seed 8 -o c.mpk
	cmp a.mpk b.mpk
	run mpcat --tsv --headers seed -i c.mpk
	assert_output 8
	[ "$(mpcat --tsv action -i a.mpk | wc -l)" -eq 50 ]
	[ "$(mpcat --tsv action -i a.mpk | sort -u | wc -l)" -ge 2 ]
	[ "$(mpcat --tsv action -i a.mpk)" != "$(mpcat --tsv action -i c.mpk)" ]
	mpcat --no-header --json -i a.mpk | grep -q '"action_probs"'
	# in a filter the observations are the same: only the choices differ
	awk 'BEGIN { for (t = 0; t < 50; t++) printf "{\"id\":1,\"obs\":[%d]}\n", t % 6 }' | mpcat --from-json >obs.mpk
	agent -m rs.json -i obs.mpk --seed 7 -o f7.mpk
	agent -m rs.json -i obs.mpk --seed 8 -o f8.mpk
	[ "$(mpcat --tsv action -i f7.mpk)" != "$(mpcat --tsv action -i f8.mpk)" ]
	# a deterministic agent does not depend on the seed
	mpcat --from-json <<<'{"id":1,"obs":[0,0,0]}' >t.mpk
	[ "$(agent -m "$TMAZE" -i t.mpk --seed 1 | mpcat --no-header --json)" = \
		"$(agent -m "$TMAZE" -i t.mpk --seed 2 | mpcat --no-header --json)" ]
}

# ---- threads and shards ----

@test "-j 1 and -j 2 give the same bytes; shards partition the episodes; t per episode" {
	random_stochastic 4 >rs.json
	interleaved >in.jsonl
	[ "$(wc -l <in.jsonl)" -eq 16 ]
	mpcat --from-json in.jsonl >in.mpk
	agent -m rs.json -i in.mpk -o plain.mpk
	agent -m rs.json -i in.mpk -j 1 -o j1.mpk
	agent -m rs.json -i in.mpk -j 2 -o j2.mpk
	agent -m rs.json -i in.mpk -j 3 -o j3.mpk
	cmp plain.mpk j1.mpk
	cmp j1.mpk j2.mpk
	cmp j1.mpk j3.mpk
	# records come out in input order; each episode counts t 0, 1, 2, ...
	run mpcat --tsv id -i j1.mpk
	assert_output "$(awk -F'"' '{ print $4 }' in.jsonl)"
	run bash -c 'mpcat --tsv id t -i j1.mpk | awk -F"\t" "\$2 != n[\$1]++ { print; bad = 1 } END { exit bad }"'
	assert_success
	[ "$(mpcat --tsv id t -i j1.mpk | grep -c '^c')" -eq 4 ]
	# shards: episodes numbered by first appearance (a 0, b 1, c 2)
	agent -m rs.json -i in.mpk --shard 0/2 -o s0.mpk
	agent -m rs.json -i in.mpk --shard 1/2 -j 2 -o s1.mpk
	run bash -c 'mpcat --tsv id -i s0.mpk | sort -u | tr "\n" " "'
	assert_output 'a c '
	run bash -c 'mpcat --tsv id -i s1.mpk | sort -u | tr "\n" " "'
	assert_output 'b '
	mpcat --no-header --json j1.mpk | sort >all.jsonl
	mpcat --no-header --json s0.mpk s1.mpk | sort >shards.jsonl
	[ "$(wc -l <all.jsonl)" -eq 16 ]
	cmp all.jsonl shards.jsonl
	# an episode's records (and its random choices) do not depend on the others
	grep '"b"' in.jsonl | mpcat --from-json | agent -m rs.json | mpcat --no-header --json >b_alone.jsonl
	mpcat --no-header --json j1.mpk | grep '^{"id":"b"' >b_mixed.jsonl
	[ "$(wc -l <b_alone.jsonl)" -eq 6 ]
	cmp b_alone.jsonl b_mixed.jsonl
}

@test "ids 1 and \"1\" are different agents" {
	printf '{"id":1,"obs":[0,0,0]}\n{"id":"1","obs":[0,0,0]}\n{"id":1,"obs":[3,0,0]}\n' | mpcat --from-json >in.mpk
	run bash -c 'agent -m "$0" -i in.mpk | mpcat --no-header --json | cut -d, -f1-2' "$TMAZE"
	assert_success
	assert_output "$(printf '{"id":1,"t":0\n{"id":"1","t":0\n{"id":1,"t":1')"
}

@test "closed loops: -j and --shard do not change the episodes" {
	agent -m "$TMAZE" --env tmaze --steps 3 --episodes 5 -o j1.mpk
	agent -m "$TMAZE" --env tmaze --steps 3 --episodes 5 -j 2 -o j2.mpk
	cmp j1.mpk j2.mpk
	agent -m "$TMAZE" --env tmaze --steps 3 --episodes 5 --shard 0/2 -o s0.mpk
	agent -m "$TMAZE" --env tmaze --steps 3 --episodes 5 --shard 1/2 -o s1.mpk
	run bash -c 'mpcat --tsv id -i s1.mpk | uniq | tr "\n" " "'
	assert_output '1 3 '
	mpcat --no-header --json j1.mpk | sort >all.jsonl
	mpcat --no-header --json s0.mpk s1.mpk | sort >shards.jsonl
	[ "$(wc -l <all.jsonl)" -eq 15 ]
	cmp all.jsonl shards.jsonl
}

# ---- worlds ----

@test "T-maze closed loop: the agent visits the cue, then the cued arm, and is rewarded" {
	run --separate-stderr agent -m "$TMAZE" --env tmaze --steps 4 --episodes 20 --seed 1 -o out.mpk
	assert_success
	stderr_empty
	run mpcat --tsv --headers kind world -i out.mpk
	assert_output "$(printf 'step\t{"name":"tmaze","reward_prob":0.98}')"
	# id t action[2] obs[3] state[2]
	mpcat --tsv id t action obs state -i out.mpk >loop.tsv
	[ "$(wc -l <loop.tsv)" -eq 80 ]
	run awk -F'\t' '
		$2 == 0 { n++; if ($3 != 3 || $4 != 0) { print "episode " $1 ": first action " $3 "," $4; bad = 1 } }
		$2 == 1 {
			if ($5 != 3) { print "episode " $1 ": not at the cue at t = 1"; bad = 1 }
			if ($7 != $9) { print "episode " $1 ": cue " $7 " but condition " $9; bad = 1 }
			if ($3 == 1 || $3 == 2) { arm++; if ($3 != 1 + $7) { print "episode " $1 ": cue " $7 ", arm " $3; bad = 1 } }
		}
		$2 == 3 && $6 == 1 { rewarded++ }
		END {
			printf "%d episodes, %d went to an arm, %d rewarded at the end\n", n, arm, rewarded
			if (n != 20 || arm < 15 || rewarded < 15) bad = 1
			exit bad
		}' loop.tsv
	echo "$output"
	assert_success
	# the observations come from the hidden state: location observed exactly
	run awk -F'\t' '$5 != $8 { print; bad = 1 } END { exit bad }' loop.tsv
	assert_success
}

@test "--env tmaze --env-model: the T-maze's own process as a model file" {
	run --separate-stderr agent --env tmaze --env-model -o w.json
	assert_success
	printf '{"id":"e","obs":[0,0,0]}\n' | mpcat --from-json >in.mpk
	run --separate-stderr agent -m w.json -i in.mpk -o out.mpk
	assert_success
	# its A and B are the example's (pymdp's T-maze), C is zero
	numbers() { tr -d ' \n' <"$1" | sed 's/"C".*//' | grep -oE -- '-?[0-9.]+(e-?[0-9]+)?'; }
	numbers "$TMAZE" >want.txt
	numbers w.json >got.txt
	[ "$(wc -l <want.txt)" -eq 140 ] # A 72 numbers, B 68
	run same_values 0 want.txt got.txt
	echo "$output"
	assert_success
	run bash -c "tr -d ' \n' <w.json | grep -o '\"C\":[^a-zA-Z]*\"D\"'"
	assert_output '"C":[[0.0,0.0,0.0,0.0],[0.0,0.0,0.0],[0.0,0.0]],"D"'
	# --reward-prob makes another world
	agent --env tmaze --env-model --reward-prob 0.5 -o w5.json
	numbers w5.json >w5.txt
	run same_values 0 want.txt w5.txt
	assert_failure
}

@test "grid world: obs is the cell, moves follow UP RIGHT DOWN LEFT STAY" {
	run --separate-stderr agent --env grid --grid 3x3 --env-model -o g.json
	assert_success
	run --separate-stderr agent -m g.json --env grid --grid 3x3 --steps 6 --episodes 3 --seed 2 -o out.mpk
	assert_success
	run mpcat --tsv --headers world -i out.mpk
	assert_output --partial '"grid"'
	run bash -c 'mpcat --tsv obs state -i out.mpk | awk -F"\t" "\$1 != \$2 { print; bad = 1 } END { exit bad || NR != 18 }"'
	assert_success
	# a 2 x 3 grid and a stochastic agent: every move is the world's
	agent --env grid --grid 2x3 --env-model | stochastic /dev/stdin >g23.json
	sed -i 's/"action_selection": "stochastic"/&, "alpha": 0.1/' g23.json
	grep -q '"alpha": 0.1' g23.json
	agent -m g23.json --env grid --grid 2x3 --steps 30 --episodes 3 --seed 4 -o g23.mpk
	run bash -c 'mpcat --tsv id state action obs -i g23.mpk | awk -F"\t" "
		function move(s, a,  r, c) { r = int(s / 3); c = s % 3
			if (a == 0 && r > 0) r--; if (a == 1 && c < 2) c++
			if (a == 2 && r < 1) r++; if (a == 3 && c > 0) c--
			return r * 3 + c }
		NR > 1 && \$1 == id && \$2 != move(s, a) { print \"from \" s \" by \" a \": \" \$2; bad = 1 }
		\$2 != \$4 || \$2 > 5 { print \"obs \" \$4 \" state \" \$2; bad = 1 }
		{ id = \$1; s = \$2; a = \$3; used[a] = 1 }
		END { exit bad || NR != 90 || length(used) != 5 }"'
	echo "$output"
	assert_success
}

@test "a model of the wrong shape for the world is refused" {
	agent --env grid --grid 2x3 --env-model -o g23.json
	run --separate-stderr agent -m g23.json --env grid --grid 3x3 --steps 2
	assert_failure 2
	stderr_has "g23.json"
	stderr_has "modality 0"
	assert_output ''
	run --separate-stderr agent -m "$TMAZE" --env grid --steps 2
	assert_failure 2
	stderr_has "modalities"
	stderr_has "factors"
	agent --env grid --grid 3x3 --env-model -o g.json
	run --separate-stderr agent -m g.json --env tmaze --steps 2
	assert_failure 2
	stderr_has "'tmaze'"
}

@test "--env model: the agent's own model is the world" {
	agent --random-model obs=6,states=8,controls=4,seed=3 -o r.json
	run --separate-stderr agent -m r.json --env model --steps 5 --episodes 2 -o out.mpk
	assert_success
	run mpcat --tsv id t -i out.mpk
	assert_output "$(printf '0\t0\n0\t1\n0\t2\n0\t3\n0\t4\n1\t0\n1\t1\n1\t2\n1\t3\n1\t4')"
	run mpcat --no-header --json -i out.mpk
	assert_line -n 0 --regexp '^\{"id":0,"t":0,"obs":\[[0-5]\],"state":\[[0-7]\],"qs"'
}

# ---- --random-model ----

@test "--random-model: a valid model, the same for the same seed, policy_len" {
	run --separate-stderr agent --random-model obs=6,states=8,controls=4,seed=5 -o r1.json
	assert_success
	agent --random-model obs=6,states=8,controls=4,seed=5 >r2.json
	agent --random-model obs=6,states=8,controls=4,seed=6 >r3.json
	cmp r1.json r2.json
	run ! cmp -s r1.json r3.json
	# JSON that mpcat reads, and a model the agent accepts
	tr -d '\n' <r1.json | mpcat --from-json >/dev/null
	printf '{"id":1,"obs":[5]}\n' | mpcat --from-json >in.mpk
	run --separate-stderr agent -m r1.json -i in.mpk -o out.mpk
	assert_success
	[ "$(mpcat --tsv q_pi -i out.mpk | awk '{ print NF }')" -eq 4 ]
	run mpcat --tsv --headers policies -i out.mpk
	assert_output "$(printf '0\t1\t2\t3')"
	agent --random-model obs=6,states=8,controls=4,policy_len=2 -o p2.json
	run agent -m p2.json -i in.mpk -o p2.mpk
	assert_success
	[ "$(mpcat --tsv q_pi -i p2.mpk | awk '{ print NF }')" -eq 16 ]
	# lists: two factors and two modalities, 3 x 2 policies
	agent --random-model obs=5:3,states=4:2,controls=3:2 -o l.json
	printf '{"id":1,"obs":[4,2]}\n' | mpcat --from-json | agent -m l.json -o l.mpk
	[ "$(mpcat --tsv q_pi -i l.mpk | awk '{ print NF }')" -eq 6 ]
	[ "$(mpcat --tsv qs -i l.mpk | awk '{ print NF }')" -eq 6 ]
}

@test "--random-model: bad specs exit 2 with a message" {
	local spec
	for spec in obs=6 obs=0,states=8,controls=4 foo=1,obs=6,states=8 obs=6,states=8,controls=x \
		obs=6,states=8,controls=4,policy_len=0 obs=5:3,states=4:2,controls=3 ''; do
		run --separate-stderr agent --random-model "$spec" -o r.json
		echo "spec '$spec': $status $stderr"
		assert_failure 2
		stderr_has "'--random-model'"
		[ ! -e r.json ]
	done
	run --separate-stderr agent --random-model foo=1,obs=6,states=8
	stderr_has "'foo'"
	run --separate-stderr agent --random-model obs=6,states=8,controls=4,policy_len=0
	stderr_has "'policy_len'"
}

# ---- learning, resets ----

@test "learning A and B: pA and pB with --learnt (pymdp's s08 within 1e-10), none without" {
	cp "$AGDATA/s08.json" m.json
	awk 'BEGIN { n = split("1 1 2 3 3 1 2 2 2 2", o, " "); for (i = 1; i <= n; i++) printf "{\"id\":\"l\",\"obs\":[%d]}\n", o[i] }' |
		mpcat --from-json >obs.mpk
	run --separate-stderr agent -m m.json -i obs.mpk --learnt -o out.mpk
	assert_success
	run bash -c 'mpcat --tsv action -i out.mpk | tr "\n" " "'
	assert_output '1 1 0 0 0 1 0 0 0 0 '
	mpcat --no-header --json -i out.mpk >out.jsonl
	[ "$(grep -c '"pA":' out.jsonl)" -eq 10 ]
	[ "$(grep -c '"pB":' out.jsonl)" -eq 10 ]
	run ! grep -q '"pD":' out.jsonl
	# pB is learnt from the second step on (pymdp's schedule)
	mpcat --tsv pB -i out.mpk >pB.tsv
	[ "$(sed -n 1p pB.tsv)" != "$(sed -n 2p pB.tsv)" ]
	# pA after the last step, as pymdp has it
	echo '1.0733 0.8045 1.1982 0.8674 0.9978 0.9409395450888584 1.8281526885567385 3.2226574150141993 1.2418931648891884 0.5565571864510153 1.513320752632928 0.9497138059991872 1.4621667824238838 0.7250444302410246 4.054554228702977 2.2634071816654338 2.242177169455667 0.7760627998629019 3.1342195812126548 1.3752332678033414' >want.txt
	mpcat --tsv pA -i out.mpk | tail -n 1 >got.txt
	run same_values 0 want.txt got.txt
	echo "$output"
	assert_success
	# without --learnt: the same steps, no Dirichlet parameters
	run agent -m m.json -i obs.mpk -o plain.mpk
	assert_success
	run ! grep -q -e '"pA"' -e '"pB"' <(mpcat --no-header --json -i plain.mpk)
	[ "$(mpcat --tsv t action q_pi -i plain.mpk)" = "$(mpcat --tsv t action q_pi -i out.mpk)" ]
	# --learnt with nothing being learnt adds nothing
	printf '{"id":1,"obs":[0,0,0]}\n' | mpcat --from-json | agent -m "$TMAZE" --learnt | mpcat --no-header --json >t.jsonl
	run ! grep -q '"p[ABD]"' t.jsonl
}

@test "reset: t restarts at 0 and the records say which trial" {
	cat >in.jsonl <<'JSON'
{"id":"r","obs":[0,0,0]}
{"id":"r","obs":[3,0,1]}
{"id":"r","obs":[0,0,0],"reset":true}
{"id":"r","obs":[3,0,0]}
{"id":"s","obs":[0,0,0]}
{"id":"r","obs":[0,0,0],"reset":true}
{"id":"r","obs":[0,0,0],"reset":false}
JSON
	run --separate-stderr bash -c 'mpcat --from-json in.jsonl | agent -m "$0" | mpcat --no-header --json | cut -d, -f1-3' "$TMAZE"
	assert_success
	assert_output "$(
		cat <<'OUT'
{"id":"r","t":0,"obs":[0
{"id":"r","t":1,"obs":[3
{"id":"r","t":0,"trial":1
{"id":"r","t":1,"trial":1
{"id":"s","t":0,"obs":[0
{"id":"r","t":0,"trial":2
{"id":"r","t":1,"trial":2
OUT
	)"
	# a new trial forgets the last: the records after a reset are a fresh
	# agent's (the cue at t = 1 showed the other condition before it)
	mpcat --from-json in.jsonl | agent -m "$TMAZE" | mpcat --tsv qs q_pi >all.tsv
	printf '{"id":"n","obs":[0,0,0]}\n{"id":"n","obs":[3,0,0]}\n' | mpcat --from-json | agent -m "$TMAZE" | mpcat --tsv qs q_pi >fresh.tsv
	[ "$(sed -n 3,4p all.tsv)" = "$(cat fresh.tsv)" ]
	[ "$(sed -n 2p all.tsv)" != "$(sed -n 4p all.tsv)" ]
}

# ---- bad input ----

@test "usage errors: no model, unknown option, -j 0, --shard 2/2, --steps without --env, --env nowhere" {
	printf '{"id":"x","obs":[0,0,0]}\n' | mpcat --from-json >in.mpk
	run --separate-stderr agent -i in.mpk
	assert_failure 2
	stderr_has "-m"
	assert_output ''
	run --separate-stderr agent -m "$TMAZE" -i in.mpk --frobnicate
	assert_failure 2
	stderr_has "'--frobnicate'"
	run --separate-stderr agent -m "$TMAZE" -i in.mpk -j 0
	assert_failure 2
	stderr_has "'--threads'"
	stderr_has "'0'"
	run --separate-stderr agent -m "$TMAZE" -i in.mpk --shard 2/2
	assert_failure 2
	stderr_has "'--shard'"
	stderr_has "'2/2'"
	run --separate-stderr agent -m "$TMAZE" -i in.mpk --steps 3
	assert_failure 2
	stderr_has "'--steps'"
	stderr_has "'--env'"
	run --separate-stderr agent -m "$TMAZE" -i in.mpk --episodes 3
	assert_failure 2
	stderr_has "'--env'"
	run --separate-stderr agent -m "$TMAZE" --env nowhere
	assert_failure 2
	stderr_has "'nowhere'"
	assert_output ''
	run --separate-stderr agent -m "$TMAZE" --env tmaze --steps 0
	assert_failure 2
	stderr_has "'--steps'"
	run --separate-stderr agent -m "$TMAZE" --env tmaze --reward-prob 1.5
	assert_failure 2
	stderr_has "'--reward-prob'"
	run --separate-stderr agent -m "$TMAZE" --env grid --grid 0x3
	assert_failure 2
	stderr_has "'--grid'"
	run --separate-stderr agent --env model --env-model
	assert_failure 2
	stderr_has "-m"
}

@test "bad models: missing file, unknown option key, unknown key, A not normalised" {
	printf '{"id":"x","obs":[0,0,0]}\n' | mpcat --from-json >in.mpk
	run --separate-stderr agent -m nothere.json -i in.mpk
	assert_failure 2
	stderr_has "nothere.json"
	assert_output ''
	sed 's/"policy_len": 1}/"policy_len": 1, "polcy_len": 2}/' "$TMAZE" >badopt.json
	grep -q polcy_len badopt.json
	run --separate-stderr agent -m badopt.json -i in.mpk
	assert_failure 2
	stderr_has "badopt.json"
	stderr_has "'polcy_len'"
	sed 's/"control_fac_idx"/"Q": 1, "control_fac_idx"/' "$TMAZE" >badkey.json
	grep -q '"Q"' badkey.json
	run --separate-stderr agent -m badkey.json -i in.mpk
	assert_failure 2
	stderr_has "'Q'"
	# the first [1.0, 1.0] is A[0][0][0]: outcome 0 at the centre, both conditions
	sed '0,/\[1\.0, 1\.0\]/s//[1.0, 0.9]/' "$TMAZE" >badA.json
	run ! cmp -s "$TMAZE" badA.json
	run --separate-stderr agent -m badA.json -i in.mpk
	assert_failure 2
	stderr_has "badA.json: 'A'[0] column"
	stderr_has "sums to"
	assert_output ''
	# and a B column: B[0][:, 0, 0] = [1, 1, 0, 0]
	sed '0,/\[1\.0, 0\.0, 0\.0, 0\.0\],$/s//[1.0, 1.0, 0.0, 0.0],/' "$TMAZE" >badB.json
	run ! cmp -s "$TMAZE" badB.json
	run --separate-stderr agent -m badB.json -i in.mpk
	assert_failure 2
	stderr_has "'B'[0]"
	stderr_has "sums to"
}

@test "bad record: an observation out of range (the others are answered)" {
	bad_record '{"id":"y","obs":[0,5,0]}' "'obs'[1] is 5, out of range"
}

@test "bad record: a negative observation" {
	bad_record '{"id":"y","obs":[0,0,-1]}' "'obs'[2] is -1, out of range"
}

@test "bad record: an obs list of the wrong length" {
	bad_record '{"id":"y","obs":[0,0]}' "'obs' must be a list of 3"
}

@test "bad record: no obs, or not integers" {
	bad_record '{"id":"y"}' "'obs' must be a list of 3"
	bad_record '{"id":"y","obs":[0,0.5,0]}' "'obs'[1] must be an integer"
}

@test "bad record: no id" {
	bad_record '{"obs":[0,0,0]}' "'id' is missing"
}

@test "bad record: an action out of range, or of the wrong length" {
	bad_record '{"id":"y","obs":[0,0,0],"action":[4,0]}' "'action'[0] is 4, out of range"
	bad_record '{"id":"y","obs":[0,0,0],"action":[0,1]}' "'action'[1] is 1, out of range"
	bad_record '{"id":"y","obs":[0,0,0],"action":[0]}' "'action' must be a list of 2"
}

@test "bad record: reset that is not a boolean" {
	bad_record '{"id":"y","obs":[0,0,0],"reset":1}' "'reset' must be true or false"
}

@test "bad record: not a map" {
	{
		printf '{"id":"x","obs":[0,0,0]}\n' | mpcat --from-json
		printf '\x93\x01\x02\x03' # the array [1, 2, 3]
		printf '{"id":"x","obs":[3,0,0]}\n' | mpcat --from-json
	} >in.mpk
	run --separate-stderr agent -m "$TMAZE" -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "in.mpk: record 2: not a map"
	run mpcat --tsv t status -i out.mpk
	assert_output "$(printf '0\t\n\tbad record: not a map\n1\t')"
}

@test "bad records: -q keeps quiet but exit 2; -j 2 and shards answer them alike" {
	{
		echo '{"id":"a","obs":[0,0,0]}'
		echo '{"id":"b","obs":[0,5,0]}'
		echo '{"obs":[0,0,0]}'
		echo '{"id":"c","obs":[0,0,0],"action":[9,0]}'
		echo '{"id":"a","obs":[3,0,0]}'
		echo '{"id":"d","obs":[0,0,0]}'
	} | mpcat --from-json >in.mpk
	run --separate-stderr agent -m "$TMAZE" -i in.mpk -q -o q.mpk
	assert_failure 2
	stderr_empty
	run --separate-stderr agent -m "$TMAZE" -i in.mpk -j 2 -o j2.mpk
	assert_failure 2
	cmp q.mpk j2.mpk
	[ "$(mpcat --tsv status -i q.mpk | grep -c .)" -eq 3 ]
	mpcat --no-header --json q.mpk | sort >all.jsonl
	run agent -m "$TMAZE" -i in.mpk -q --shard 0/3 -o s0.mpk
	run agent -m "$TMAZE" -i in.mpk -q --shard 1/3 -o s1.mpk
	run agent -m "$TMAZE" -i in.mpk -q --shard 2/3 -o s2.mpk
	mpcat --no-header --json s0.mpk s1.mpk s2.mpk | sort >shards.jsonl
	cmp all.jsonl shards.jsonl
}

@test "bad record: a huge observation index is reported as given" {
	bad_record '{"id":"y","obs":[0,1099511627776,0]}' "'obs'[1] is 1099511627776, out of range"
}

# ---- output, --help, --version ----

@test "-o is atomic: a bad model leaves no file and an old file as it was" {
	printf '{"id":"x","obs":[0,0,0]}\n' | mpcat --from-json >in.mpk
	sed '0,/\[1\.0, 1\.0\]/s//[1.0, 0.9]/' "$TMAZE" >badA.json
	mkdir out
	run --separate-stderr agent -m badA.json -i in.mpk -o out/steps.mpk
	assert_failure 2
	assert_equal "$(ls -A out)" ""
	echo old >out/steps.mpk
	run --separate-stderr agent -m badA.json -i in.mpk -o out/steps.mpk
	assert_failure 2
	assert_equal "$(cat out/steps.mpk)" old
	assert_equal "$(ls -A out)" "steps.mpk"
	run --separate-stderr agent -m "$TMAZE" -i nothere.mpk -o out/x.mpk
	assert_failure 2
	stderr_has "nothere.mpk"
	assert_equal "$(ls -A out)" "steps.mpk"
	# a good run replaces it; -z compresses
	agent -m "$TMAZE" -i in.mpk -o out/steps.mpk
	agent -m "$TMAZE" -i in.mpk -z -o out/steps.mpk.gz
	[ "$(head -c 2 out/steps.mpk.gz | od -An -tx1 | tr -d ' ')" = 1f8b ]
	cmp <(mpcat out/steps.mpk) <(mpcat out/steps.mpk.gz)
}

@test "--help and --version" {
	run --separate-stderr agent --help
	assert_success
	stderr_empty
	assert_output --partial 'usage: agent -m MODEL'
	assert_output --partial '--env'
	assert_output --partial '--random-model'
	run --separate-stderr agent -h
	assert_success
	run --separate-stderr agent --version
	assert_success
	assert_output --regexp '^agent .*[0-9]+\.[0-9]+\.[0-9]+$'
}

@test "-u on a pipe: each record is answered while the writer still holds the pipe open" {
	echo '{"id":"a","obs":[0,0,0]}' | mpcat --from-json >one.mpk
	n=$(agent -m "$TMAZE" -i one.mpk | wc -c)
	# the writer keeps the pipe open for 4 s after its first record; the
	# header and the answer must arrive within 2 s
	got=$( { cat one.mpk; sleep 4; } | agent -m "$TMAZE" -u 2>/dev/null | { timeout 2 head -c "$n"; } | wc -c)
	assert_equal "$got" "$n"
	# without -u the answer waits in the output buffer
	got=$( { cat one.mpk; sleep 3; } | agent -m "$TMAZE" 2>/dev/null | { timeout 1 head -c "$n"; } | wc -c)
	assert_equal "$got" 0
}
