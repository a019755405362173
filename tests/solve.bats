#!/usr/bin/env bats
# solve: every option, and its errors (exit 2 bad input or usage, 1 run time).

load helpers

# header FILE: the stream's header as a JSON line.
header() {
	mpcat "$1" | sed -n 1p
}

# same_numbers A B: two tables of numbers agree cell by cell within 1e-15
# relative (t = step * dt may differ in the last bit from a decimal).
same_numbers() {
	paste "$1" "$2" | awk -F'\t' '{
		m = NF / 2
		for (j = 1; j <= m; j++) {
			a = $j; b = $(m + j); d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a
			if (d > 1e-15 * s) { printf "row %d cell %d: %s vs %s\n", NR, j, a, b; bad = 1 }
		}
	} END { exit bad }'
}

# ---- the basics: -m, stdin/stdout, -i, -o, -z ----

@test "-m MODEL: theta records on stdin, a trajectory stream on stdout" {
	model_json >m.json
	theta_stream 1 2 >th.mpk
	run --separate-stderr bash -c 'solve -m m.json <th.mpk >out.mpk'
	assert_success
	stderr_empty
	run mpcat out.mpk
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 --partial '{"biofilter":1,"kind":"trajectory","program":"solve"'
	assert_line -n 0 --partial '"parameters":["a11","a12","a22","b1","b2"]'
	assert_line -n 0 --partial '"model":{"species":2,"dt":1e-05,"steps":200'
	assert_line -n 0 --partial '"observables":false'
	run mpcat --tsv id status theta -i out.mpk
	assert_line -n 0 "$(printf '1\tok\t0.8\t2\t1\t0.1\t0.2')"
	assert_line -n 1 "$(printf '2\tok\t0.8\t2\t1\t0.1\t0.2')"
}

@test "a trajectory record has id, theta, status, newton_iterations, step, t and state" {
	model_json >m.json
	theta_stream 1 | solve -m m.json --steps 0,200 >out.mpk
	run mpcat --no-header out.mpk
	assert_output --regexp '^\{"id":1,"theta":\[0\.8,2\.0,1\.0,0\.1,0\.2\],"status":"ok","newton_iterations":[1-9][0-9]*,"step":\[0,200\],"t":\[0\.0,0\.002\],"state":\{"phi":\[\[.*\]\],"phi0":\[.*\],"psi":\[\[.*\]\],"gamma":\[.*\]\}\}$'
}

@test "-i FILE and --model give the same bytes as stdin and -m" {
	model_json >m.json
	theta_stream 1 2 3 >th.mpk
	solve -m m.json <th.mpk >a.mpk
	solve --model m.json -i th.mpk >b.mpk
	solve -m m.json --input th.mpk >c.mpk
	cmp a.mpk b.mpk
	cmp a.mpk c.mpk
	solve -m m.json -i - <th.mpk >d.mpk
	cmp a.mpk d.mpk
}

@test "-o - is stdout" {
	model_json >m.json
	theta_stream 1 >th.mpk
	solve -m m.json -i th.mpk >want.mpk
	solve -m m.json -i th.mpk -o - >got.mpk
	cmp want.mpk got.mpk
}

@test "-o FILE writes the same bytes as stdout, and nothing to stdout" {
	model_json >m.json
	theta_stream 1 2 >th.mpk
	solve -m m.json -i th.mpk >want.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk
	assert_success
	assert_output ''
	cmp want.mpk out.mpk
	solve -m m.json -i th.mpk --output out2.mpk
	cmp want.mpk out2.mpk
}

@test "-o is atomic: a run that fails leaves no file and no temporary file" {
	model_json >m.json
	theta_stream 1 2 3 4 >th.mpk
	head -c 70 th.mpk >cut.mpk
	mkdir out
	run --separate-stderr solve -m m.json -i cut.mpk -o out/traj.mpk
	assert_failure 2
	stderr_has "cut.mpk: truncated stream"
	assert_equal "$(ls -A out)" ""
	# a bad model: nothing written either
	model_json dt=-1 >bad.json
	run solve -m bad.json -i th.mpk -o out/traj.mpk
	assert_failure 2
	assert_equal "$(ls -A out)" ""
	# an older file is left as it was
	echo old >out/traj.mpk
	run solve -m m.json -i cut.mpk -o out/traj.mpk
	assert_failure 2
	assert_equal "$(cat out/traj.mpk)" old
	assert_equal "$(ls -A out)" traj.mpk
}

@test "-o into a missing directory is a run-time error (exit 1) naming the file" {
	model_json >m.json
	theta_stream 1 >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o nodir/out.mpk
	assert_failure 1
	stderr_has "solve: nodir/out.mpk: cannot write"
}

@test "-z gzips the output; gzip input is read as is" {
	model_json >m.json
	theta_stream 1 2 >th.mpk
	solve -m m.json -i th.mpk >plain.mpk
	solve -m m.json -i th.mpk -z >out.gz
	assert_equal "$(od -An -tx1 -N2 out.gz | tr -d ' ')" 1f8b
	gzip -dc out.gz | cmp - plain.mpk
	solve -m m.json -i th.mpk --compress -o out2.gz
	gzip -dc out2.gz | cmp - plain.mpk
	gzip -c th.mpk >th.mpk.gz
	solve -m m.json -i th.mpk.gz | cmp - plain.mpk
	gzip -c th.mpk | solve -m m.json | cmp - plain.mpk
}

@test "an empty input gives a stream with only the header" {
	model_json >m.json
	run bash -c 'solve -m m.json </dev/null | mpcat'
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_line -n 0 --partial '"kind":"trajectory"'
}

@test "solve reads its own output (a trajectory carries theta)" {
	model_json >m.json
	theta_stream 1 2 | solve -m m.json --steps 0,10 >a.mpk
	solve -m m.json --steps 0,10 -i a.mpk >b.mpk
	cmp a.mpk b.mpk
}

# ---- which steps: default, --every, --steps ----

@test "by default every step 0..steps is saved, with t = step * dt" {
	model_json steps=20 dt=2e-05 >m.json
	theta_stream 1 | solve -m m.json >out.mpk
	run mpcat --tsv status step -i out.mpk
	assert_output "ok	$(seq 0 20 | paste -s -)"
	mpcat --tsv t -i out.mpk >t
	seq 0 20 | awk '{ printf "%s%.17g", (NR > 1 ? "\t" : ""), $1 * 2e-05 } END { print "" }' >want
	run same_numbers t want
	assert_success
	run mpcat --tsv state.gamma -i out.mpk
	assert_equal "$(awk -F'\t' '{ print NF }' <<<"$output")" 21
}

@test "--every K saves steps 0, K, 2K, ..." {
	model_json steps=200 >m.json
	theta_stream 1 >th.mpk
	run bash -c 'solve -m m.json --every 50 -i th.mpk | mpcat --tsv step'
	assert_output "$(printf '0\t50\t100\t150\t200')"
	solve -m m.json --every 70 -i th.mpk | mpcat --tsv step t >got
	printf '0\t70\t140\t0\t0.0007\t0.0014\n' >want
	run same_numbers got want
	assert_success
	run bash -c 'solve -m m.json --every 1000 -i th.mpk | mpcat --tsv step'
	assert_output 0
	run bash -c 'solve -m m.json --every 1 -i th.mpk | mpcat --tsv step'
	assert_output "$(seq 0 200 | paste -s -)"
}

@test "--every: the states at 0, K, 2K are those of the full run" {
	model_json steps=60 >m.json
	theta_stream 1 >th.mpk
	solve -m m.json -i th.mpk | mpcat --tsv state.phi0 | cut -f1,21,41,61 >all
	solve -m m.json --every 20 -i th.mpk | mpcat --tsv state.phi0 >every
	cmp all every
}

@test "--steps LIST saves exactly those steps, sorted, without repeats" {
	model_json steps=200 >m.json
	theta_stream 1 >th.mpk
	run bash -c 'solve -m m.json --steps 200,0,7,100,7 -i th.mpk | mpcat --tsv step'
	assert_output "$(printf '0\t7\t100\t200')"
	run bash -c 'solve -m m.json --steps 13 -i th.mpk | mpcat --tsv step state.phi0'
	assert_output --regexp $'^13\t0\\.[0-9]+$'
	# the same states as the full run at those steps
	solve -m m.json -i th.mpk | mpcat --tsv state.psi | cut -f1,2,15,16,201,202,401,402 >all
	solve -m m.json --steps 0,7,100,200 -i th.mpk | mpcat --tsv state.psi >some
	cmp all some
}

@test "--steps 0 is the initial state: phi0, 1 - sum(phi0), psi0, gamma0 of the model" {
	model_json 'phi0=[0.25, 0.5]' psi0=0.9 gamma0=2e-06 >m.json
	theta_stream 1 | solve -m m.json --steps 0 >out.mpk
	run mpcat --tsv state.phi state.phi0 state.psi state.gamma step newton_iterations status -i out.mpk
	assert_success
	assert_output "$(printf '0.25\t0.5\t0.25\t0.9\t0.9\t2e-06\t0\t0\tok')"
	# the defaults: psi0 0.999 and gamma0 1e-6; a number for phi0 is every species'
	model_json phi0=0.3 -psi0 -gamma0 >d.json
	theta_stream 1 | solve -m d.json --steps 0 >out.mpk
	run mpcat --tsv state.phi state.psi state.gamma -i out.mpk
	assert_output "$(printf '0.3\t0.3\t0.999\t0.999\t1e-06')"
	run mpcat --tsv state.phi0 -i out.mpk
	assert_output --regexp '^0\.(4|39999999999999|40000000000000)[0-9]*$'
}

@test "--steps beyond the model's steps, or not a list of integers, is an error (exit 2)" {
	model_json steps=200 >m.json
	theta_stream 1 >th.mpk
	run --separate-stderr solve -m m.json --steps 0,201 -i th.mpk
	assert_failure 2
	stderr_has "'--steps': step 201 is beyond the model's 200 steps"
	for v in x 1,x -1 1,,2 1, '' 1.5; do
		run --separate-stderr solve -m m.json --steps "$v" -i th.mpk
		assert_failure 2
		stderr_has "'--steps' must be a comma-separated list of integers from 0 to"
		stderr_has "got '$v'"
	done
}

@test "--every must be a positive integer (exit 2)" {
	model_json >m.json
	for v in 0 -2 x 1.5 ''; do
		run --separate-stderr solve -m m.json --every "$v" </dev/null
		assert_failure 2
		stderr_has "'--every' must be an integer from 1 to"
	done
}

@test "--every and --steps together are a usage error (exit 2)" {
	model_json >m.json
	run --separate-stderr solve -m m.json --every 5 --steps 0,10 </dev/null
	assert_failure 2
	stderr_has "give '--every' or '--steps', not both"
}

# ---- --observables ----

@test "--observables writes phibar_i = phi_i psi_i at the saved steps" {
	model_json steps=200 >m.json
	theta_stream 1 7 >th.mpk
	solve -m m.json --every 20 -i th.mpk >state.mpk
	solve -m m.json --every 20 --observables -i th.mpk >obs.mpk
	run header obs.mpk
	assert_output --partial '"observables":true'
	run mpcat --no-header --head 1 obs.mpk
	refute_output --partial '"state"'
	assert_output --partial '"phibar":[['
	assert_equal "$(mpcat --tsv step -i obs.mpk)" "$(mpcat --tsv step -i state.mpk)"
	# phi rows (11 x 2 cells), then psi rows; phibar rows (11 x 2)
	paste <(mpcat --tsv state.phi state.psi -i state.mpk) <(mpcat --tsv phibar -i obs.mpk) >joined
	run awk -F'\t' '{
		m = (NF) / 3
		if (m != 22) { print "record " NR ": " NF " cells"; bad = 1 }
		for (j = 1; j <= m; j++) {
			want = $j * $(m + j); got = $(2 * m + j)
			d = want - got; if (d < 0) d = -d
			if (d > 1e-15 * (want < 0 ? -want : want)) { printf "record %d cell %d: phi*psi %.17g, phibar %.17g\n", NR, j, want, got; bad = 1 }
		}
	} END { if (NR != 2) { print NR " records"; bad = 1 } exit bad }' joined
	assert_success
}

# ---- --observe: synthetic data ----

@test "--observe 20 on M1: steps 125, 250, ..., 2500 and sigma_obs in the record" {
	theta_stream '"M1"' >th.mpk
	solve -m "$M1" --observe 20 -i th.mpk >data.mpk
	run header data.mpk
	assert_output --partial '"kind":"data"'
	assert_output --partial '"points":20,"noise":0.005,"seed":1,"aleatory":0.0'
	run mpcat --tsv id status step sigma_obs -i data.mpk
	assert_output "M1	ok	$(seq 125 125 2500 | paste -s -)	0.005"
	run mpcat --tsv phibar -i data.mpk
	assert_equal "$(awk -F'\t' '{ print NF }' <<<"$output")" 40
	run mpcat --tsv t -i data.mpk
	assert_output --regexp $'^0\\.00125\t0\\.0025\t.*\t0\\.025$'
}

@test "--observe N: N points from 5% of the run to its end" {
	model_json steps=200 >m.json
	theta_stream 1 >th.mpk
	run bash -c 'solve -m m.json --observe 1 -i th.mpk | mpcat --tsv step'
	assert_output 200
	run bash -c 'solve -m m.json --observe 2 -i th.mpk | mpcat --tsv step'
	assert_output "$(printf '10\t200')"
	run bash -c 'solve -m m.json --observe 5 -i th.mpk | mpcat --tsv step'
	assert_output "$(printf '10\t57\t105\t152\t200')"
}

@test "--observe --noise 0 gives exactly the phibar of the trajectory at those steps" {
	theta_stream '"M1"' 2 >th.mpk
	solve -m "$M1" --observe 20 --noise 0 -i th.mpk >data.mpk
	solve -m "$M1" --observables --steps "$(seq -s, 125 125 2500)" -i th.mpk >obs.mpk
	run mpcat --tsv sigma_obs -i data.mpk
	assert_output "$(printf '0\n0')"
	mpcat --tsv id step phibar -i data.mpk >a
	mpcat --tsv id step phibar -i obs.mpk >b
	run diff a b
	assert_success
}

@test "--observe: noise of sd --noise around the trajectory's phibar" {
	theta_stream '"M1"' >th.mpk
	solve -m "$M1" --observe 200 --noise 0 -i th.mpk | mpcat --tsv phibar >clean
	solve -m "$M1" --observe 200 --noise 0.01 -i th.mpk | mpcat --tsv phibar >noisy
	solve -m "$M1" --observe 200 --noise 0.01 -i th.mpk >noisy.mpk
	run mpcat --tsv sigma_obs -i noisy.mpk
	assert_output 0.01
	# 400 residuals: every one differs, their sd is near 0.01, their mean near 0
	run awk -F'\t' 'NR == FNR { for (i = 1; i <= NF; i++) c[i] = $i; next }
		{ for (i = 1; i <= NF; i++) { r = $i - c[i]; if (r == 0) same++; s += r; ss += r * r; n++ } }
		END { m = s / n; sd = sqrt(ss / n - m * m); printf "n=%d same=%d mean=%.4f sd=%.4f\n", n, same, m, sd
		      exit !(n == 400 && same == 0 && sd > 0.009 && sd < 0.011 && m > -0.0015 && m < 0.0015) }' clean noisy
	assert_success
}

@test "--observe --seed: the same seed gives the same bytes, another seed other data" {
	theta_stream '"M1"' 2 >th.mpk
	solve -m "$M1" --observe 20 --seed 7 -i th.mpk >a.mpk
	solve -m "$M1" --observe 20 --seed 7 -i th.mpk >b.mpk
	cmp a.mpk b.mpk
	solve -m "$M1" --observe 20 --seed 8 -i th.mpk >c.mpk
	run cmp -s a.mpk c.mpk
	assert_failure
	run diff <(mpcat --tsv phibar -i a.mpk) <(mpcat --tsv phibar -i c.mpk)
	assert_failure
	# the default seed is 1
	solve -m "$M1" --observe 20 -i th.mpk | mpcat --no-header >d
	solve -m "$M1" --observe 20 --seed 1 -i th.mpk | mpcat --no-header >e
	cmp d e
}

@test "--observe: the noise is keyed by the record's id, not by its position" {
	theta_json '"a"' '"b"' | mpcat --from-json >ab.mpk
	theta_json '"b"' | mpcat --from-json >b.mpk
	solve -m "$M1" --observe 10 -i ab.mpk | mpcat --tsv id phibar | sed -n 2p >b_in_ab
	solve -m "$M1" --observe 10 -i b.mpk | mpcat --tsv id phibar >b_alone
	cmp b_in_ab b_alone
	# and two ids get different noise
	solve -m "$M1" --observe 10 -i ab.mpk | mpcat --tsv phibar >both
	assert_equal "$(sort -u both | wc -l)" 2
}

@test "--aleatory COV: deterministic for a seed, and not the data without it" {
	theta_stream '"M1"' >th.mpk
	solve -m "$M1" --observe 10 --aleatory 0.05 --seed 3 -i th.mpk >a.mpk
	solve -m "$M1" --observe 10 --aleatory 0.05 --seed 3 -i th.mpk >b.mpk
	cmp a.mpk b.mpk
	run header a.mpk
	assert_output --partial '"aleatory":0.05'
	run --separate-stderr mpcat --tsv status step -i a.mpk
	assert_output "ok	$(printf '125\t388\t652\t916\t1180\t1444\t1708\t1972\t2236\t2500')"
	solve -m "$M1" --observe 10 --seed 3 -i th.mpk >c.mpk
	run diff <(mpcat --tsv phibar -i a.mpk) <(mpcat --tsv phibar -i c.mpk)
	assert_failure
	solve -m "$M1" --observe 10 --aleatory 0.05 --seed 4 -i th.mpk >d.mpk
	run diff <(mpcat --tsv phibar -i a.mpk) <(mpcat --tsv phibar -i d.mpk)
	assert_failure
	# with no data noise it is still random: the theta of each point is
	solve -m "$M1" --observe 10 --aleatory 0.05 --noise 0 -i th.mpk | mpcat --tsv phibar >x
	solve -m "$M1" --observe 10 --noise 0 -i th.mpk | mpcat --tsv phibar >y
	run cmp -s x y
	assert_failure
	# --aleatory 0 is no aleatory
	solve -m "$M1" --observe 10 --aleatory 0 -i th.mpk | mpcat --tsv phibar >z
	solve -m "$M1" --observe 10 -i th.mpk | mpcat --tsv phibar >w
	cmp z w
}

@test "--observe with --every, --steps or --observables is a usage error (exit 2)" {
	model_json >m.json
	for extra in '--every 5' '--steps 0,10' '--observables'; do
		run --separate-stderr solve -m m.json --observe 5 $extra </dev/null
		assert_failure 2
		stderr_has "'--observe' chooses its own steps and writes phibar"
	done
}

@test "--noise, --seed and --aleatory without --observe are usage errors (exit 2)" {
	model_json >m.json
	for extra in '--noise 0.1' '--seed 3' '--aleatory 0.1'; do
		run --separate-stderr solve -m m.json $extra </dev/null
		assert_failure 2
		stderr_has "need '--observe N'"
	done
}

@test "bad --observe, --noise, --seed, --aleatory values are errors (exit 2)" {
	model_json steps=200 >m.json
	run --separate-stderr solve -m m.json --observe 0 </dev/null
	assert_failure 2
	stderr_has "'--observe' must be an integer from 1 to"
	run --separate-stderr solve -m m.json --observe x </dev/null
	assert_failure 2
	run --separate-stderr solve -m m.json --observe 201 </dev/null
	assert_failure 2
	stderr_has "'--observe' must be from 1 to the number of steps (200)"
	run --separate-stderr solve -m m.json --observe 200 </dev/null
	assert_failure 2
	stderr_has "'--observe': 200 points do not fit between steps 10 and 200"
	run --separate-stderr solve -m m.json --observe 5 --noise -0.1 </dev/null
	assert_failure 2
	stderr_has "'--noise' must not be negative, got '-0.1'"
	for v in x inf nan ''; do
		run --separate-stderr solve -m m.json --observe 5 --noise "$v" </dev/null
		assert_failure 2
		stderr_has "'--noise' must be a finite number, got '$v'"
	done
	run --separate-stderr solve -m m.json --observe 5 --aleatory -1 </dev/null
	assert_failure 2
	stderr_has "'--aleatory' must not be negative"
	run --separate-stderr solve -m m.json --observe 5 --seed -1 </dev/null
	assert_failure 2
	stderr_has "'--seed' must be an integer from 0"
	run --separate-stderr solve -m m.json --observe 5 --seed 1.5 </dev/null
	assert_failure 2
}

# ---- --shard ----

@test "--shard I/K solves the records whose index is I mod K; the shards make the whole" {
	model_json steps=50 >m.json
	theta_stream 1 2 3 4 5 6 7 >th.mpk
	run bash -c 'solve -m m.json --steps 0,50 --shard 1/3 -i th.mpk | mpcat --tsv id'
	assert_output "$(printf '2\n5')"
	solve -m m.json --steps 0,50 -i th.mpk | mpcat --no-header | sort >all
	for i in 0 1 2; do solve -m m.json --steps 0,50 --shard $i/3 -i th.mpk | mpcat --no-header; done | sort >shards
	cmp all shards
	# every shard has the header
	solve -m m.json --shard 2/3 -i th.mpk >s2.mpk
	run header s2.mpk
	assert_output --partial '"kind":"trajectory"'
}

@test "--shard does not change the data of a theta (the noise is keyed by id)" {
	theta_stream 1 2 3 4 >th.mpk
	solve -m "$M1" --observe 10 -i th.mpk | mpcat --tsv id phibar | sed -n '2p;4p' >all
	solve -m "$M1" --observe 10 --shard 1/2 -i th.mpk | mpcat --tsv id phibar >shard
	cmp all shard
}

@test "bad --shard values are usage errors (exit 2)" {
	model_json >m.json
	for v in 3/3 x 1/0 -1/2 0/1000001; do
		run --separate-stderr solve -m m.json --shard "$v" </dev/null
		assert_failure 2
		stderr_has "'--shard' must be I/K with 0 <= I < K, got '$v'"
	done
}

# ---- id ----

@test "the id is carried through: integers, strings, and others as they are" {
	model_json steps=10 >m.json
	theta_json 17 '"M1"' -3 '"with space"' '[1,"a"]' '{"k":1}' | mpcat --from-json >th.mpk
	solve -m m.json --steps 0 -i th.mpk >out.mpk
	run mpcat --no-header out.mpk
	assert_line -n 0 --partial '{"id":17,'
	assert_line -n 1 --partial '{"id":"M1",'
	assert_line -n 2 --partial '{"id":-3,'
	assert_line -n 3 --partial '{"id":"with space",'
	assert_line -n 4 --partial '{"id":[1,"a"],'
	assert_line -n 5 --partial '{"id":{"k":1},'
	# also in data records
	solve -m m.json --observe 2 -i th.mpk >data.mpk
	run mpcat --tsv id -i data.mpk
	assert_line -n 1 M1
}

@test "a record without an id gets its record number (counting records skipped by --shard)" {
	model_json steps=10 >m.json
	printf '%s\n' '{"theta":[0.8,2.0,1.0,0.1,0.2]}' '{"id":"x","theta":[0.8,2.0,1.0,0.1,0.2]}' \
		'{"theta":[0.8,2.0,1.0,0.1,0.2]}' '{"theta":[0.8,2.0,1.0,0.1,0.2]}' | mpcat --from-json >th.mpk
	run bash -c 'solve -m m.json --steps 0 -i th.mpk | mpcat --tsv id'
	assert_output "$(printf '1\nx\n3\n4')"
	run bash -c 'solve -m m.json --steps 0 --shard 1/2 -i th.mpk | mpcat --tsv id'
	assert_output "$(printf 'x\n4')"
	run bash -c 'solve -m m.json --steps 0 -i th.mpk | mpcat --no-header --head 1'
	assert_output --partial '{"id":1,'
}

# ---- progress, quiet, help, version ----

@test "--progress writes progress to stderr; without it (not a terminal) stderr is quiet" {
	model_json steps=10 >m.json
	theta_stream 1 2 3 >th.mpk
	run --separate-stderr solve -m m.json --progress -i th.mpk -o out.mpk
	assert_success
	stderr_has "solve: 3 trajectories"
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk
	assert_success
	stderr_empty
}

@test "-q: bad records are not reported one by one, but still get a status and exit 2" {
	model_json steps=10 >m.json
	{ theta_json 1; printf '%s\n' '{"id":2,"theta":[1]}'; } | mpcat --from-json >th.mpk
	{ cat th.mpk; printf '\x05'; } >th2.mpk
	run --separate-stderr solve -q -m m.json --steps 0 -i th2.mpk -o out.mpk
	assert_failure 2
	stderr_empty
	run mpcat --tsv id status -i out.mpk
	assert_line -n 1 "2	bad record: th2.mpk: record 2: 'theta' must have 5 numbers, got 1"
}

@test "-q: no progress even with --progress" {
	model_json steps=10 >m.json
	theta_stream 1 2 3 >th.mpk
	run --separate-stderr solve -m m.json --progress -q -i th.mpk -o out.mpk
	assert_success
	stderr_empty
	run --separate-stderr solve -m m.json --quiet -i th.mpk -o out.mpk
	assert_success
	stderr_empty
}

@test "--help and -h print the usage and exit 0" {
	run solve --help
	assert_success
	assert_line -n 0 --partial "usage: solve -m MODEL.json"
	for opt in --model --input --output --compress --every --steps --observables --observe --noise --seed --aleatory --shard --progress --quiet --version; do
		assert_output --partial -- "$opt"
	done
	run solve -h
	assert_success
	assert_line -n 0 --partial "usage: solve"
}

@test "--help says '5%', not '5%%'" {
	run solve --help
	refute_output --partial '%%'
}

@test "--version prints the program and version" {
	run solve --version
	assert_success
	assert_output --regexp '^solve \(biofilter\) [0-9]+\.[0-9]+\.[0-9]+$'
}

# ---- usage errors ----

@test "without -m: exit 2, a model file is required" {
	theta_stream 1 >th.mpk
	run --separate-stderr solve -i th.mpk
	assert_failure 2
	stderr_has "solve: a model file is required (-m MODEL.json)"
	stderr_has "see solve --help"
}

@test "an unknown option, an option without value, an extra argument: exit 2" {
	model_json >m.json
	run --separate-stderr solve -m m.json --bogus
	assert_failure 2
	stderr_has "option '--bogus'"
	run --separate-stderr solve -m
	assert_failure 2
	stderr_has "option '-m' needs a value"
	run --separate-stderr solve -m m.json th.mpk
	assert_failure 2
	stderr_has "unexpected argument 'th.mpk'"
}

@test "long options take --option=value and unambiguous prefixes; an ambiguous one is an error" {
	model_json steps=200 >m.json
	theta_stream 1 >th.mpk
	run bash -c 'solve --model=m.json --every=100 --input=th.mpk | mpcat --tsv step'
	assert_output "$(printf '0\t100\t200')"
	run bash -c 'solve -m m.json --ste 0,5 -i th.mpk | mpcat --tsv step'
	assert_output "$(printf '0\t5')"
	run --separate-stderr solve -m m.json --obs 5 -i th.mpk
	assert_failure 2
	stderr_has "'--obs'"
}

@test "an unknown short option inside a cluster is named" {
	model_json >m.json
	run --separate-stderr solve -xq -m m.json
	assert_failure 2
	stderr_has "'-x'"
}

# ---- bad model files ----

@test "a missing model file: exit 2 naming it" {
	run --separate-stderr solve -m no-such.json </dev/null
	assert_failure 2
	stderr_has "solve: no-such.json:"
	stderr_has "No such file or directory"
}

@test "an unreadable model file: exit 2 naming it" {
	[ "$(id -u)" -ne 0 ] || skip "root reads any file"
	model_json >m.json
	chmod 000 m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "solve: m.json:"
	stderr_has "Permission denied"
}

@test "a directory as model file: exit 2 naming it" {
	mkdir d
	run --separate-stderr solve -m d </dev/null
	assert_failure 2
	stderr_has "solve: d:"
}

@test "a model file with a JSON syntax error: exit 2 naming the file and line" {
	printf '{"species": 2,\n "dt": ,\n}\n' >m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "solve: m.json: line 2:"
	: >empty.json
	run --separate-stderr solve -m empty.json </dev/null
	assert_failure 2
	stderr_has "empty.json"
	printf '{"dt": 1, "dt": 2}' >dup.json
	run --separate-stderr solve -m dup.json </dev/null
	assert_failure 2
	stderr_has "dup.json: line 1: duplicate object key"
}

@test "a model that is not an object: exit 2" {
	echo '[1, 2]' >m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "m.json: a model must be a JSON object"
}

@test "an unknown key in the model: exit 2 naming the key" {
	model_json foo=1 >m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "solve: m.json: unknown key 'foo'"
	model_json 'antibiotics={"after_step": 5, "before": 1, "after": 2, "x": 0}' >a.json
	run --separate-stderr solve -m a.json </dev/null
	assert_failure 2
	stderr_has "a.json: 'antibiotics': unknown key 'x'"
}

@test "a missing required key: exit 2 naming the key" {
	for key in species dt steps eta phi0 nutrients antibiotics; do
		model_json "-$key" >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "solve: m.json: missing key '$key'"
	done
	model_json 'antibiotics={"after_step": 5, "before": 1}' >m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "m.json: 'antibiotics': missing key 'after'"
}

@test "integers may be written as whole reals; antibiotics may switch at a step" {
	cat >m.json <<-'EOF'
	{"species": 2.0, "dt": 1e-05, "steps": 200.0, "eta": [1.0, 1.0], "phi0": [0.2, 0.2],
	 "nutrients": 100.0, "antibiotics": {"after_step": 100.0, "before": 0, "after": 50}, "max_newton": 50.0}
	EOF
	theta_stream 1 >th.mpk
	run bash -c 'solve -m m.json --steps 0,200 -i th.mpk | mpcat --tsv status step'
	assert_success
	assert_output "$(printf 'ok\t0\t200')"
	# the switch changes the run after step 100 only
	model_json steps=200 antibiotics=0 >zero.json
	solve -m m.json --steps 100,200 -i th.mpk | mpcat --tsv state.gamma >sw
	solve -m zero.json --steps 100,200 -i th.mpk | mpcat --tsv state.gamma >nosw
	assert_equal "$(cut -f1 sw)" "$(cut -f1 nosw)"
	refute [ "$(cut -f2 sw)" = "$(cut -f2 nosw)" ]
}

@test "the optional keys may be left out" {
	model_json -psi0 -gamma0 -penalty >m.json
	theta_stream 1 >th.mpk
	run bash -c 'solve -m m.json --steps 0,10 -i th.mpk | mpcat --tsv status'
	assert_success
	assert_output ok
}

@test "an ill-typed key: exit 2 naming the key" {
	local cases=(
		'dt="x"|'"'dt' must be a number"
		'steps=2.5|'"'steps' must be an integer"
		'species="two"|'"'species' must be an integer"
		'eta="x"|'"'eta' must be a list of numbers"
		'eta=[1, "x"]|'"'eta'[1] must be a number"
		'phi0="x"|'"'phi0' must be a list of numbers or a number"
		'psi0=[0.5]|'"'psi0' must be a number"
		'nutrients=null|'"'nutrients' must be a number"
		'antibiotics="x"|'"'antibiotics' must be a number or"
		'tolerance="x"|'"'tolerance' must be a number"
		'max_newton=1.5|'"'max_newton' must be an integer"
		'parameters=[1, 2, 3, 4, 5]|'"'parameters'[0] must be a non-empty string"
	)
	for c in "${cases[@]}"; do
		model_json "${c%%|*}" >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "solve: m.json: ${c#*|}"
	done
}

@test "dt zero or negative: exit 2" {
	for v in -1e-05 0 -0.0; do
		model_json dt=$v >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "m.json: 'dt' must be positive"
	done
}

@test "steps zero or negative: exit 2" {
	for v in 0 -5; do
		model_json steps=$v >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "m.json: 'steps' must be between 1 and"
		stderr_has "got $v"
	done
}

@test "eta or phi0 of the wrong length: exit 2" {
	for v in '[1.0]' '[1.0, 1.0, 1.0]' '[]'; do
		model_json "eta=$v" >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "m.json: 'eta' must have 2 entries (one per species)"
	done
	model_json 'phi0=[0.1]' >m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "m.json: 'phi0' must have 2 entries"
}

@test "eta or phi0 not positive: exit 2" {
	model_json 'eta=[1.0, -1.0]' >m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "m.json: 'eta'[1] must be positive"
	model_json 'phi0=[0.0, 0.2]' >m.json
	run --separate-stderr solve -m m.json </dev/null
	assert_failure 2
	stderr_has "m.json: 'phi0'[0] must be positive"
}

@test "phi0 summing to 1 or more: exit 2" {
	for v in '[0.5, 0.5]' '[0.6, 0.6]' '0.5' '[0.25, 0.75]'; do
		model_json "phi0=$v" >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "m.json: 'phi0' sums to"
		stderr_has "it must be below 1"
	done
}

@test "psi0 outside (0, 1): exit 2" {
	for v in 0 1 1.5 -0.1 1.0; do
		model_json psi0=$v >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "m.json: 'psi0' must lie strictly between 0 and 1"
	done
}

@test "other out-of-range model values: exit 2 naming the key" {
	local cases=(
		'species=0|'"'species' must be between 1 and 32"
		'species=33|'"'species' must be between 1 and 32"
		'tolerance=0|'"'tolerance' must be positive"
		'max_newton=0|'"'max_newton' must be between 1 and"
		'nutrients=-1|'"'nutrients' must not be negative"
		'penalty=-1|'"'penalty' must not be negative"
		'antibiotics=-1|'"'antibiotics' must be finite and not negative"
		'parameters=["a", "b"]|'"'parameters' must be a list of 5 names"
		'parameters=["a", "b", "c", "d", "a"]|'"'parameters' names 'a' twice"
		'dt=1e999|m.json'
	)
	for c in "${cases[@]}"; do
		model_json "${c%%|*}" >m.json
		run --separate-stderr solve -m m.json </dev/null
		assert_failure 2
		stderr_has "${c#*|}"
		stderr_has "m.json"
	done
}

# ---- bad input records ----

@test "a theta of the wrong length: a 'bad record' record, the others solved, exit 2" {
	model_json steps=20 >m.json
	printf '%s\n' '{"id":"a","theta":[0.8,2.0,1.0,0.1,0.2]}' '{"id":"b","theta":[0.8,2.0,1.0,0.1]}' \
		'{"id":"c","theta":[0.8,2.0,1.0,0.1,0.2,0.3]}' '{"id":"d","theta":[0.8,2.0,1.0,0.1,0.2]}' |
		mpcat --from-json >th.mpk
	run --separate-stderr solve -m m.json --steps 0,20 -i th.mpk -o out.mpk
	assert_failure 2
	stderr_has "solve: th.mpk: record 2: 'theta' must have 5 numbers, got 4"
	stderr_has "solve: th.mpk: record 3: 'theta' must have 5 numbers, got 6"
	run mpcat --tsv id status step -i out.mpk
	assert_line -n 0 "$(printf 'a\tok\t0\t20')"
	assert_line -n 1 "$(printf "b\tbad record: th.mpk: record 2: 'theta' must have 5 numbers, got 4\t")"
	assert_line -n 2 "$(printf "c\tbad record: th.mpk: record 3: 'theta' must have 5 numbers, got 6\t")"
	assert_line -n 3 "$(printf 'd\tok\t0\t20')"
	run mpcat --no-header out.mpk
	assert_line -n 1 "{\"id\":\"b\",\"status\":\"bad record: th.mpk: record 2: 'theta' must have 5 numbers, got 4\"}"
}

@test "a NaN or infinite theta: a 'bad record' record naming the entry, exit 2" {
	model_json steps=20 >m.json
	printf '%s\n' '{"id":1,"theta":[0.8,NaN,1.0,0.1,0.2]}' '{"id":2,"theta":[0.8,2.0,1.0,0.1,Infinity]}' \
		'{"id":3,"theta":[0.8,2.0,1.0,0.1,0.2]}' | mpcat --from-json >th.mpk
	run --separate-stderr solve -m m.json --steps 0 -i th.mpk -o out.mpk
	assert_failure 2
	stderr_has "th.mpk: record 1: 'theta'[1] is not finite"
	stderr_has "th.mpk: record 2: 'theta'[4] is not finite"
	run mpcat --tsv id status -i out.mpk
	assert_line -n 0 "1	bad record: th.mpk: record 1: 'theta'[1] is not finite"
	assert_line -n 1 "2	bad record: th.mpk: record 2: 'theta'[4] is not finite"
	assert_line -n 2 "3	ok"
}

@test "a missing or ill-typed theta: a 'bad record' record, exit 2" {
	model_json steps=20 >m.json
	printf '%s\n' '{"id":1}' '{"id":2,"theta":"x"}' '{"id":3,"theta":[0.8,2.0,"x",0.1,0.2]}' \
		'{"id":4,"theta":[0.8,2.0,1.0,0.1,0.2]}' | mpcat --from-json >th.mpk
	run --separate-stderr solve -m m.json --steps 0 -i th.mpk -o out.mpk
	assert_failure 2
	run mpcat --tsv id status -i out.mpk
	assert_line -n 0 "1	bad record: th.mpk: record 1: missing 'theta'"
	assert_line -n 1 "2	bad record: th.mpk: record 2: 'theta' must be a list of numbers"
	assert_line -n 2 "3	bad record: th.mpk: record 3: 'theta'[2] must be a number"
	assert_line -n 3 "4	ok"
	# the same with --observe
	run --separate-stderr solve -m m.json --observe 2 -i th.mpk -o data.mpk
	assert_failure 2
	run mpcat --tsv id status -i data.mpk
	assert_line -n 0 "1	bad record: th.mpk: record 1: missing 'theta'"
	assert_line -n 3 "4	ok"
}

@test "a record that is not a map: exit 2 naming it, the other records solved" {
	model_json steps=20 >m.json
	{ theta_stream 1 2; printf '\x05'; theta_stream 4; } >th.mpk
	run --separate-stderr solve -m m.json --steps 0 -i th.mpk -o out.mpk
	assert_failure 2
	stderr_has "solve: th.mpk: record 3: not a map"
	run mpcat --tsv id status -i out.mpk
	assert_output "$(printf '1\tok\n2\tok\n4\tok')"
}

@test "a truncated input stream: exit 2, truncated" {
	model_json steps=20 >m.json
	theta_stream 1 2 3 >th.mpk
	size=$(wc -c <th.mpk)
	for n in 10 $((size - 3)); do
		head -c $n th.mpk >cut.mpk
		run --separate-stderr solve -m m.json -i cut.mpk
		assert_failure 2
		stderr_has "solve: cut.mpk: truncated stream"
	done
	run --separate-stderr bash -c 'head -c 50 th.mpk | solve -m m.json'
	assert_failure 2
	stderr_has "<stdin>: truncated stream"
}

@test "corrupt input bytes: exit 2 naming the file" {
	model_json steps=20 >m.json
	{ theta_stream 1; printf '\xc1'; } >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk
	assert_failure 2
	stderr_has "solve: th.mpk: corrupt MessagePack after record 1"
}

@test "input headers: a disagreeing repeated header, or a 'biofilter' that is not 1: exit 2" {
	model_json steps=20 >m.json
	{ printf '%s\n' '{"biofilter":1,"kind":"theta"}'; theta_json 1; } | mpcat --from-json >a.mpk
	{ printf '%s\n' '{"biofilter":1,"kind":"other"}'; theta_json 2; } | mpcat --from-json >b.mpk
	cat a.mpk b.mpk >ab.mpk
	run --separate-stderr solve -m m.json -i ab.mpk -o out.mpk
	assert_failure 2
	stderr_has "solve: ab.mpk: the header after record 1 disagrees with the first header"
	[ ! -e out.mpk ]
	cat a.mpk a.mpk >aa.mpk
	run bash -c 'solve -m m.json --steps 0 -i aa.mpk | mpcat --tsv id'
	assert_success
	assert_output "$(printf '1\n1')"
	{ printf '%s\n' '{"biofilter":2,"kind":"theta"}'; theta_json 1; } | mpcat --from-json >v2.mpk
	run --separate-stderr solve -m m.json -i v2.mpk
	assert_failure 2
	stderr_has "solve: v2.mpk: header: 'biofilter' must be 1"
}

@test "a missing input file: exit 2 naming it" {
	model_json >m.json
	run --separate-stderr solve -m m.json -i no-such.mpk
	assert_failure 2
	stderr_has "solve: no-such.mpk: No such file or directory"
}

@test "an input header with other 'parameters': exit 2" {
	model_json steps=20 >m.json
	{ printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["a","b","c","d","e"]}'; theta_json 1; } |
		mpcat --from-json >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o out.mpk
	assert_failure 2
	stderr_has "solve: th.mpk: header: 'parameters' are not the expected ones"
	[ ! -e out.mpk ]
	# the parameters of a 4-species model are not those of a 2-species one
	solve -m "$EX/M3.json" </dev/null >m3.mpk
	run --separate-stderr solve -m m.json -i m3.mpk
	assert_failure 2
	stderr_has "m3.mpk: header: 'parameters' are not the expected ones"
}

@test "an input header with the model's 'parameters' is accepted, named or default" {
	model_json steps=20 >m.json
	{ printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["a11","a12","a22","b1","b2"]}'; theta_json 1; } |
		mpcat --from-json >th.mpk
	run bash -c 'solve -m m.json --steps 0 -i th.mpk | mpcat --tsv status'
	assert_success
	assert_output ok
	model_json steps=20 'parameters=["p","q","r","s","t"]' >named.json
	{ printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["p","q","r","s","t"]}'; theta_json 1; } |
		mpcat --from-json >named.mpk
	solve -m named.json --steps 0 -i named.mpk >out.mpk
	run header out.mpk
	assert_output --partial '"parameters":["p","q","r","s","t"]'
}

# ---- output failures ----

@test "-o /dev/full: exit 1, 'write failed', no crash" {
	model_json steps=20 >m.json
	theta_stream 1 2 >th.mpk
	run --separate-stderr solve -m m.json -i th.mpk -o /dev/full
	assert_failure 1
	stderr_has "solve: /dev/full: write failed"
	run --separate-stderr solve -m m.json -i th.mpk -z -o /dev/full
	assert_failure 1
	stderr_has "write failed"
	run --separate-stderr bash -c 'solve -m m.json -i th.mpk >/dev/full'
	assert_failure 1
	stderr_has "solve: <stdout>: write failed"
}

@test "a closed stdout (solve | head -c 10) is a failure with a message" {
	model_json steps=10 >m.json
	awk 'BEGIN { for (i = 1; i <= 8000; i++) printf "{\"id\":%d,\"theta\":[0.8,2.0,1.0,0.1,0.2]}\n", i }' |
		mpcat --from-json >th.mpk
	run --separate-stderr bash -c 'solve -m m.json -i th.mpk | head -c 10 >/dev/null; echo "status ${PIPESTATUS[0]}"'
	assert_output 'status 1'
	stderr_has "solve: <stdout>: write failed"
}

# ---- Newton failures are records, not crashes ----

@test "Newton failing (max_newton 1, tolerance 1e-14): a status per record, exit 0" {
	model_json steps=50 max_newton=1 tolerance=1e-14 >m.json
	theta_stream 1 2 3 >th.mpk
	run --separate-stderr solve -m m.json --steps 0,50 -i th.mpk -o out.mpk
	assert_success
	run mpcat --tsv id status step -i out.mpk
	assert_line -n 0 "$(printf '1\tnewton did not converge at step 1\t0')"
	assert_equal "${#lines[@]}" 3
	# the state saved before the failure is there
	run mpcat --tsv state.phi state.phi0 -i out.mpk
	assert_line -n 0 "$(printf '0.2\t0.2\t0.6')"
	# and data records too
	run --separate-stderr solve -m m.json --observe 3 -i th.mpk -o data.mpk
	assert_success
	run mpcat --no-header --head 1 data.mpk
	assert_output '{"id":1,"status":"newton did not converge at step 1"}'
}

@test "a theta where Newton fails (a11 = 1e6): a failure status, the others solved, exit 0" {
	model_json steps=200 >m.json
	printf '%s\n' '{"id":1,"theta":[1e6,2.0,1.0,0.1,0.2]}' '{"id":2,"theta":[0.8,2.0,1.0,0.1,0.2]}' \
		'{"id":3,"theta":[1e300,1e300,1e300,1e300,1e300]}' '{"id":4,"theta":[0.8,2.0,1.0,0.1,0.2]}' |
		mpcat --from-json >th.mpk
	run --separate-stderr solve -m m.json --steps 0,200 -i th.mpk -o out.mpk
	assert_success
	run mpcat --tsv id status -i out.mpk
	assert_equal "${#lines[@]}" 4
	assert_line -n 0 --regexp '^1	(newton did not converge|singular jacobian|non-finite residual) at step [0-9]+$'
	assert_line -n 1 "2	ok"
	assert_line -n 2 --regexp '^3	(newton did not converge|singular jacobian|non-finite residual) at step [0-9]+$'
	assert_line -n 3 "4	ok"
	run --separate-stderr solve -m m.json --observe 4 -i th.mpk -o data.mpk
	assert_success
	run mpcat --tsv id status -i data.mpk
	assert_line -n 0 --regexp '^1	(newton did not converge|singular jacobian|non-finite residual) at step [0-9]+$'
	assert_line -n 1 "2	ok"
}
