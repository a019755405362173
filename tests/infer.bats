#!/usr/bin/env bats
# infer: Case I recovery with the quick preset, Case II end to end (three
# levels and the validation predictive), byte identity of infer -j1, -j2,
# --eval and pipelines/calibrate.mk, the pipeline's resumption, bad plans
# (exit 2, the message names the plan, the level and the key), -q and --json.
#
# Data are made here with solve --observe as the examples' Makefiles make
# them; plans are written next to them (their paths are relative to the
# plan). setup_file makes the Case I data, a small two-level plan on it and
# one pipeline run of that plan, shared by the tests below.
#
# Timing, measured on the 2-core machine while it was shared with other
# work (about twice the idle times): the whole file 1 min 54 s; setup_file
# ~20 s (mostly the pipeline: GNU parallel and a process per stage), Case I
# quick ~15 s, Case II quick ~75 s, the rest a few seconds each.

load helpers

# case1_data DIR: Case I's model and its synthetic data (20 points, as
# examples/case1/Makefile makes them) in DIR.
case1_data() {
	local top="$BATS_TEST_DIRNAME/.." bin="$BATS_TEST_DIRNAME/../bin"
	mkdir -p "$1"
	cp "$top/examples/case1/model.json" "$1/"
	"$bin/mpcat" --from-json -i "$top/examples/case1/truth.jsonl" |
		"$bin/solve" -q -m "$1/model.json" --observe 20 --noise 0.005 --aleatory 0.005 --seed 1 -o "$1/data.mpk"
}

# small_plan > FILE: two levels on the Case I model and data: A learns a11,
# a22, b1, b2 with a12 at its truth; B learns a12 with the others fixed at
# A's MAP. N = 60 and 2 chain steps: about a second.
small_plan() {
	cat <<'JSON'
{
 "parameters": [
  {"name": "a11", "uniform": [0, 3], "truth": 1.0},
  {"name": "a12", "uniform": [0, 0.5], "truth": 0.1},
  {"name": "a22", "uniform": [0, 3], "truth": 1.0},
  {"name": "b1", "uniform": [0, 3], "truth": 1.0},
  {"name": "b2", "uniform": [0, 3], "truth": 2.0}
 ],
 "cov": 0.005,
 "sigma_obs": 0.005,
 "tmcmc": {"samples": 60, "chain_steps": 2, "seed": 3},
 "levels": [
  {"name": "A", "model": "model.json", "data": "data.mpk", "free": ["a11", "a22", "b1", "b2"]},
  {"name": "B", "model": "model.json", "data": "data.mpk", "free": ["a12"], "fixed": "map"}
 ]
}
JSON
}

setup_file() {
	export C1="$BATS_FILE_TMPDIR/case1"
	case1_data "$C1"
	small_plan >"$C1/p.json"
	# one pipeline run of the small plan (tests "byte identity" and "resumes")
	export PIPE_OK=
	if command -v parallel >/dev/null; then
		(cd "$C1" && make -f "$BATS_TEST_DIRNAME/../pipelines/calibrate.mk" PLAN=p.json OUT=pipe JOBS=2) \
			>"$C1/pipe.log" 2>&1 && PIPE_OK=1
	fi
}

# small_here: the small plan, its model and data in the test's directory.
small_here() {
	cp "$C1/p.json" "$C1/model.json" "$C1/data.mpk" .
}

# edit_plan SED_SCRIPT IN OUT: OUT is IN edited by sed; fails when the edit
# changed nothing (so that a test cannot pass on an unedited plan).
edit_plan() {
	sed "$1" "$2" >"$3"
	if cmp -s "$2" "$3"; then
		fail "edit_plan: '$1' changed nothing in $2"
	fi
}

# ---- Case I: recovery ----

@test "Case I, quick preset: every truth inside its 95% interval" {
	cp "$TOP/examples/case1/quick.json" .
	case1_data .
	run --separate-stderr infer quick.json --json -o post.mpk
	echo "$stderr"
	[ "$status" -eq 0 ]
	echo "$output" >summary.json
	# --json without -q is JSON only (no table mixed in): it parses
	tr -d '\n' <summary.json | mpcat --from-json >/dev/null
	# each parameter object ends with q975; the level's own "name" is
	# overwritten by the first parameter's before any q975
	run awk '
		/"name":/ { v = $2; gsub(/[",]/, "", v); name = v }
		/"truth":/ { truth = $2 + 0 }
		/"q025":/ { lo = $2 + 0 }
		/"q975":/ { hi = $2 + 0; n++
			printf "%s truth %g in [%g, %g]\n", name, truth, lo, hi
			if (truth < lo || truth > hi) { print "  OUTSIDE"; bad = 1 } }
		END { if (n != 5) { print n " parameters, not 5"; bad = 1 }; exit bad }' summary.json
	echo "$output"
	[ "$status" -eq 0 ]
	# the posterior stream: one level, 200 samples
	run mpcat -i post.mpk --tsv --headers kind level samples
	[ "$output" = "$(printf 'posterior\tcase1\t200')" ]
	[ "$(mpcat -i post.mpk --tsv id | wc -l)" -eq 200 ]
}

# ---- Case II: end to end ----

@test "Case II: three levels, MAP hand-off to M3, the validation predictive" {
	# The quick preset as it ships (N = 200): 46 s of CPU time, 74 s wall on
	# this 2-core machine while it was shared with other work (M2's 5000
	# steps dominate).
	local m
	for m in M1 M2 M3 M3val; do
		cp "$EX/$m.json" .
		mpcat --from-json -i "$EX/$m.truth.jsonl" |
			solve -q -m "$m.json" --observe 20 --noise 0.005 --aleatory 0.005 --seed 1 -o "$m.data.mpk"
	done
	cp "$EX/quick.json" plan.json
	run --separate-stderr infer plan.json -o post.mpk -p pred.mpk
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	# three level summaries, in order, each with its table
	[ "$(grep '^level ' <<<"$output" | cut -d' ' -f2 | tr '\n' ' ')" = "M1 M2 M3 " ]
	[ "$(grep -c '^parameter  *truth  *mean  *MAP  *std  *2.5%  *97.5%$' <<<"$output")" -eq 3 ]
	# M3's table says where its fixed values come from
	grep '^fixed: .*a11=[0-9.]* (MAP of M1).*b4=[0-9.]* (MAP of M2)' <<<"$output"

	# three posterior headers, one per level
	run mpcat -i post.mpk --tsv --headers kind level level_index
	[ "$output" = "$(printf 'posterior\tM1\t0\nposterior\tM2\t1\nposterior\tM3\t2')" ]
	[ "$(mpcat -i post.mpk --json | grep -c '"kind":"posterior"')" -eq 3 ]
	# M1 and M2 fix nothing; M3 fixes every M1 and M2 parameter at its MAP
	run mpcat -i post.mpk --tsv --headers fixed
	[ "${lines[0]}" = "{}" ] && [ "${lines[1]}" = "{}" ]
	mpcat -i post.mpk --tsv --headers level parameters summary.map >maps.tsv
	names=$(awk -F'\t' '$1 != "M3" { n = (NF - 1) / 2; for (i = 2; i <= n + 1; i++) print $i }' maps.tsv)
	[ "$(wc -w <<<"$names")" -eq 10 ]
	fields=$(for p in $names; do printf 'fixed.%s ' "$p"; done)
	# shellcheck disable=SC2086
	mpcat -i post.mpk --tsv --headers level $fields | awk -F'\t' '$1 == "M3"' >fixed.tsv
	run awk -F'\t' -v names="$names" '
		FNR == NR { n = (NF - 1) / 2; for (i = 2; i <= n + 1; i++) map[$i] = $(i + n); next }
		{ k = split(names, nm, "\n")
		  for (i = 1; i <= k; i++) {
			printf "%s fixed %s MAP %s\n", nm[i], $(i + 1), map[nm[i]]
			if ($(i + 1) == "" || $(i + 1) + 0 != map[nm[i]] + 0) bad = 1 } }
		END { exit bad }' maps.tsv fixed.tsv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 10 ]

	# the predictive: every level and the validation
	run mpcat -i pred.mpk --tsv --headers kind
	[ "$output" = predictive ]
	run sh -c "mpcat -i pred.mpk --tsv level | uniq"
	[ "$output" = "$(printf 'M1\nM2\nM3\nvalidation')" ]
	# its header names each level's global species
	run mpcat -i pred.mpk --tsv --headers 'levels[].name' 'levels[].species'
	[ "$output" = "$(printf 'M1\t1\t2\nM2\t3\t4\nM3\t1\t2\t3\t4\nvalidation\t1\t2\t3\t4')" ]
	# phi and psi: at step 0 the model's initial state, with no spread; at
	# every step the phibar mean, an average of products phi_s psi_s, is
	# the product of the averages plus their covariance over the samples,
	# which Cauchy-Schwarz bounds by phi_sd psi_sd
	run sh -c "mpcat -i pred.mpk --tsv level step phi_mean phi_sd psi_mean psi_sd | awk -F'\t' '\$2 == 0' | sort -u"
	[ "$output" = "$(printf 'M1\t0\t0.2\t0.2\t0\t0\t0.999\t0.999\t0\t0\nM2\t0\t0.2\t0.2\t0\t0\t0.999\t0.999\t0\t0\nM3\t0\t0.02\t0.02\t0.02\t0.02\t0\t0\t0\t0\t0.999\t0.999\t0.999\t0.999\t0\t0\t0\t0\nvalidation\t0\t0.02\t0.02\t0.02\t0.02\t0\t0\t0\t0\t0.999\t0.999\t0.999\t0.999\t0\t0\t0\t0')" ]
	run sh -c "mpcat -i pred.mpk --tsv mean phi_mean phi_sd psi_mean psi_sd | awk -F'\t' '
		{ n = NF / 5
		  for (i = 1; i <= n; i++) {
			d = \$i - \$(n + i) * \$(3 * n + i); b = \$(2 * n + i) * \$(4 * n + i)
			if (d < 0) d = -d
			if (d > b + 1e-15) { print NR, i, d, b; bad++ }
			if (\$(2 * n + i) > 0) spread++ } }
		END { print NR, spread; exit bad > 0 }'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${output##* }" -gt 1000 ] # sds that are not zero were compared

	# the posterior headers carry the plan's truths and every stage's diagnostics
	run mpcat -i post.mpk --tsv --headers level 'parameters[]' 'truth[]'
	[ "${lines[0]}" = "$(printf 'M1\ta11\t0.8')" ]
	[ "${lines[13]}" = "$(printf 'M3\ta24\t1')" ]
	[ "${#lines[@]}" -eq 14 ]
	mpcat -i post.mpk --tsv --headers level stages beta log_evidence >last.tsv
	mpcat -i post.mpk --tsv --headers level 'history[].stage' 'history[].beta' 'history[].log_evidence' >history.tsv
	run awk -F'\t' 'FNR == NR { stages[$1] = $2; beta[$1] = $3; z[$1] = $4; next }
		{ n[$1]++; if ($2 != n[$1]) bad = 1; last[$1] = $0; lb[$1] = $3; lz[$1] = $4 }
		END { for (l in stages) { print l, n[l], stages[l], lb[l], lz[l], z[l]
			if (n[l] != stages[l] || lb[l] != 1 || lz[l] != z[l]) bad = 1 }
		      exit bad }' last.tsv history.tsv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}

# ---- byte identity ----

@test "infer -j1, -j2 and --eval 'sensitivity ...' give the same posterior and predictive bytes" {
	small_here
	infer p.json -q -j1 -o j1.mpk -p j1p.mpk
	infer p.json -q -j2 -o j2.mpk -p j2p.mpk
	# shellcheck disable=SC2016
	infer p.json -q --eval 'sensitivity -q $BIOFILTER_EVAL_ARGS' -o ev.mpk -p evp.mpk
	cmp j1.mpk j2.mpk
	cmp j1.mpk ev.mpk
	cmp j1p.mpk j2p.mpk
	cmp j1p.mpk evp.mpk
	# two levels, 60 samples each
	[ "$(mpcat -i j1.mpk --tsv --headers level | tr '\n' ' ')" = "A B " ]
	[ "$(mpcat -i j1.mpk --tsv id | wc -l)" -eq 120 ]
}

@test "pipelines/calibrate.mk JOBS=2 gives infer's posterior and predictive bytes" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	[ -n "$PIPE_OK" ] || { cat "$C1/pipe.log"; fail "the pipeline run of setup_file failed"; }
	small_here
	infer p.json -q -j2 -o infer.mpk -p inferp.mpk
	cmp infer.mpk "$C1/pipe/posterior.mpk"
	cmp inferp.mpk "$C1/pipe/predictive.mpk"
	# a file per stage; each level's posterior is its last stage
	for l in A B; do
		last=$(ls "$C1/pipe/$l"/stage-*.mpk | tail -1)
		cmp "$last" "$C1/pipe/$l/posterior.mpk"
	done
}

@test "pipelines/calibrate.mk resumes: only the missing last stage of the last level is redone" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	[ -n "$PIPE_OK" ] || { cat "$C1/pipe.log"; fail "the pipeline run of setup_file failed"; }
	# a copy of setup_file's run, times kept
	cp -a "$C1/." .
	last=$(ls pipe/B/stage-*.mpk | tail -1)
	[ "$last" != pipe/B/stage-000.mpk ]
	cp "$last" last.keep
	rm "$last" pipe/B/posterior.mpk pipe/posterior.mpk
	# (the predictive and the summary are remade with pipe/posterior.mpk)
	listing() { find pipe -type f ! -name predictive.mpk ! -name summary.txt -printf '%p %T@\n' | sort; }
	listing >before
	run make -f "$TOP/pipelines/calibrate.mk" PLAN=p.json OUT=pipe JOBS=2
	echo "$output"
	[ "$status" -eq 0 ]
	cmp "$C1/pipe/posterior.mpk" pipe/posterior.mpk
	cmp "$C1/pipe/predictive.mpk" pipe/predictive.mpk
	cmp last.keep "$last"
	# no tmcmc-stage --init, no stage of A: every file there before is untouched
	listing >after
	run comm -23 before after
	echo "$output"
	[ -z "$output" ]
	# what was made: the missing files, nothing else
	run sh -c "comm -13 before after | cut -d' ' -f1"
	[ "$output" = "$(printf '%s\n' "$last" pipe/B/posterior.mpk pipe/posterior.mpk | sort)" ]
	# and Make has nothing left to do
	make -q -f "$TOP/pipelines/calibrate.mk" PLAN=p.json OUT=pipe JOBS=2
}

# ---- bad plans ----

# bad_plan PLAN TEXT...: infer PLAN fails with exit 2 before any work,
# writes no output, and its message has every TEXT.
bad_plan() {
	local plan=$1 t
	shift
	run --separate-stderr infer "$plan" -q -o post.mpk
	echo "stderr: $stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ ! -e post.mpk ]
	for t in "$@"; do
		stderr_has "$t"
	done
}

@test "bad plan: a missing model file" {
	small_here
	edit_plan '/"name": "B"/s/"model": "model.json"/"model": "nosuch.json"/' p.json bad.json
	bad_plan bad.json "bad.json" "level 'B'" "'model'" "nosuch.json" "No such file or directory"
}

@test "bad plan: a missing data file" {
	small_here
	edit_plan '/"name": "B"/s/"data": "data.mpk"/"data": "nodata.mpk"/' p.json bad.json
	bad_plan bad.json "bad.json" "level 'B'" "'data'" "nodata.mpk" "No such file or directory"
}

@test "bad plan: an unknown parameter in 'free'" {
	small_here
	edit_plan 's/"free": \["a12"\]/"free": ["a99"]/' p.json bad.json
	bad_plan bad.json "infer: bad.json: level 'B': 'free': unknown parameter 'a99'"
}

@test "bad plan: a free parameter that is not in the level's model" {
	small_here
	# a33 is a plan parameter, but the 2-species model has no a33
	edit_plan 's/"free": \["a12"\]/"free": ["a12", "a33"]/
		s/^\( *{"name": "b2".*}\)$/\1,\n  {"name": "a33", "uniform": [0, 3], "truth": 1.0}/' p.json bad.json
	bad_plan bad.json "infer: bad.json: level 'B': 'free': 'a33' is not a parameter of the level's model model.json"
}

@test "bad plan: data of another species count than the level's model" {
	small_here
	# data of Case II's 4-species M3 for the 2-species level B
	mpcat --from-json -i "$EX/M3.truth.jsonl" |
		solve -q -m "$EX/M3.json" --observe 5 --noise 0.005 --seed 1 -o four.mpk
	edit_plan '/"name": "B"/s/"data": "data.mpk"/"data": "four.mpk"/' p.json bad.json
	bad_plan bad.json "bad.json" "level 'B'" "four.mpk" "2 numbers, one per species"
}

@test "bad plan: a parameter neither free nor learnt earlier, without a truth" {
	small_here
	edit_plan 's/{"name": "a12", "uniform": \[0, 0.5\], "truth": 0.1}/{"name": "a12", "uniform": [0, 0.5]}/' p.json bad.json
	bad_plan bad.json "infer: bad.json: level 'A': parameter 'a12' is neither free here nor learnt by an earlier level, and has no 'truth'"
}

@test "bad plan: an unknown key, at the top and in a level" {
	small_here
	edit_plan 's/"cov": 0.005,/"cov": 0.005, "colour": 1,/' p.json bad.json
	bad_plan bad.json "infer: bad.json: unknown key 'colour'"
	edit_plan 's/"levels"/"levles"/' p.json bad.json
	bad_plan bad.json "infer: bad.json: unknown key 'levles'"
	edit_plan 's/"fixed": "map"}/"fixed": "map", "colour": 2}/' p.json bad.json
	bad_plan bad.json "infer: bad.json: level 'B': unknown key 'colour'"
	edit_plan 's/"seed": 3}/"seed": 3, "colour": 2}/' p.json bad.json
	bad_plan bad.json "bad.json" "unknown key 'colour'"
}

@test "bad plan: 'fixed' neither \"map\" nor \"mean\"" {
	small_here
	edit_plan 's/"fixed": "map"/"fixed": "median"/' p.json bad.json
	bad_plan bad.json "infer: bad.json: level 'B': 'fixed' must be \"map\" or \"mean\", got 'median'"
	edit_plan 's/"fixed": "map"/"fixed": 1/' p.json bad.json
	bad_plan bad.json "infer: bad.json: level 'B': 'fixed' must be"
}

@test "usage errors: no plan, two plans, an unknown option" {
	small_here
	run --separate-stderr infer -q
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	stderr_has "infer: no plan file given"
	stderr_has "usage: infer PLAN.json"
	run --separate-stderr infer p.json p.json -q
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	stderr_has "infer: unexpected argument 'p.json' (one plan file)"
	run --separate-stderr infer p.json --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	stderr_has "infer: unknown or ambiguous option '--bogus'"
	stderr_has "see infer --help"
}

# ---- output ----

@test "-q prints nothing; --json prints a JSON summary that parses" {
	small_here
	run --separate-stderr infer p.json -q -o post.mpk
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	stderr_empty
	[ -s post.mpk ]
	run --separate-stderr infer p.json -q --json
	[ "$status" -eq 0 ]
	stderr_empty
	echo "$output" >summary.json
	tr -d '\n' <summary.json | mpcat --from-json >/dev/null
	grep -q '"log_evidence": *[-0-9]' summary.json
	grep -q '"plan": *"p.json"' summary.json
	[ "$(grep -c '"q975":' summary.json)" -eq 5 ]
	# the level names, in order, and B's value fixed at A's MAP
	[ "$(grep -o '"name": *"[AB]"' summary.json | tr -d ' \n')" = '"name":"A""name":"B"' ]
	map_b2=$(mpcat -i post.mpk --tsv --headers summary.map | head -1 | cut -f4)
	fixed_b2=$(mpcat -i post.mpk --tsv --headers fixed.b2 | tail -1)
	[ -n "$map_b2" ] && [ "$map_b2" = "$fixed_b2" ]
}

@test "'fixed': \"mean\" hands on the posterior mean, and a truth is recorded as fixed" {
	small_here
	edit_plan 's/"fixed": "map"/"fixed": "mean"/' p.json mean.json
	infer mean.json -q -o post.mpk
	run mpcat -i post.mpk --tsv --headers level fixed.a12 summary.mean
	echo "$output"
	a=$(printf '%s\n' "${lines[0]}" | cut -f1,2)
	[ "$a" = "$(printf 'A\t0.1')" ]
	mean_a=$(printf '%s\n' "${lines[0]}" | cut -f3-6)
	fixed_b=$(mpcat -i post.mpk --tsv --headers fixed.a11 fixed.a22 fixed.b1 fixed.b2 | tail -1)
	[ -n "$mean_a" ] && [ "$mean_a" = "$fixed_b" ]
}
