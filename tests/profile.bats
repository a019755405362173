#!/usr/bin/env bats
# profile: usage errors (exit 2, the message names the option or file), a
# real run of the solve component and its JSON report, the comparison with
# hand-made baselines (tests/data/profile: current.json against equal,
# slower, memory and within.json, no measuring), the five sweeps, the leak
# check, and the atomic report file.
#
# The reports are read with jflat (tests/helpers.bash; awk, no jq), which
# flattens any JSON into lines "path<TAB>value": results.0.seconds.median,
# sweeps.0.rows.3.1, ... Strings keep their quotes; an object or array
# shows as '{' or '[' at its own path.
#
# Tolerances: the report prints reals with 10 significant digits and the TSV
# with 9, so a figure that the report derives from two others (per item,
# throughput, ratios, us per step) is checked within 1e-7 relative of the
# same computation here. Times themselves are never compared with numbers
# of our own, only with each other where the work decides their order.
#
# Timing, 2-core machine: about 16 s (the infer component and the threads
# sweep, 8 s and 5 s, run the Case II quick preset; everything else runs
# with --quick -r 1 -w 0 on single components, but for the steps sweep,
# which keeps --quick's 3 repetitions after a warm-up: see its test).

load helpers

# jcount FLAT PATH: the number of elements of the array (or keys of the
# object) at PATH.
jcount() {
	awk -F'\t' -v p="$2." '
		index($1, p) == 1 && index(substr($1, length(p) + 1), ".") == 0 { n++ }
		END { print n + 0 }' "$1"
}

# ri FLAT NAME: the index in "results" of the result named NAME.
ri() {
	awk -F'\t' -v n="\"$2\"" '$1 ~ /^results\.[0-9]+\.name$/ && $2 == n { split($1, a, "."); print a[2]; f = 1; exit }
		END { exit !f }' "$1" || fail "$1: no result '$2'"
}

# near A B REL [WHAT]: |A - B| <= REL |B|.
near() {
	awk -v a="$1" -v b="$2" -v r="$3" 'BEGIN {
		d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
		exit !(a ~ /^[-+]?[0-9.]/ && d <= r * m) }' || fail "expected $1 within $3 (relative) of $2${4:+ ($4)}"
}

# DP NAME: the path of tests/data/profile/NAME.
DP() { printf '%s/profile/%s' "$DATA" "$1"; }

# fake_bin DIR: DIR holds the programs profile runs, all the real ones but
# solve, which notes that it ran (DIR/solve-ran) and fails.
fake_bin() {
	local p
	mkdir "$1"
	for p in sensitivity tmcmc-stage analytic-loglik infer agent mpcat; do
		ln -s "$BIN/$p" "$1/$p"
	done
	printf '#!/bin/sh\ntouch "%s/solve-ran"\necho "solve: broken on purpose" >&2\nexit 1\n' "$PWD/$1" >"$1/solve"
	chmod +x "$1/solve"
}

# ---- usage and bad input ----

@test "--help: the usage on stdout, exit 0; --version" {
	run --separate-stderr profile --help
	assert_success
	stderr_empty
	assert_line -n 0 --partial 'usage: profile'
	assert_output --partial '--sweep'
	assert_output --partial '--leak'
	assert_output --partial '--compare'
	assert_output --partial '--fail-on-regression'
	run profile --version
	assert_success
	assert_output --partial 'profile'
}

@test "an unknown option or argument: exit 2 naming it, nothing on stdout" {
	run --separate-stderr profile --bogus
	assert_failure 2
	assert_output ''
	stderr_has "'--bogus'"
	run --separate-stderr profile -c solve extra
	assert_failure 2
	stderr_has "'extra'"
}

@test "unknown component, sweep or leak names: exit 2 naming the option and the name" {
	run --separate-stderr profile -c solve,nosuch
	assert_failure 2
	assert_output ''
	stderr_has "'--component'"
	stderr_has "'nosuch'"
	run --separate-stderr profile --sweep steps,nosweep
	assert_failure 2
	stderr_has "'--sweep'"
	stderr_has "'nosweep'"
	run --separate-stderr profile --leak leaky
	assert_failure 2
	stderr_has "'--leak'"
	stderr_has "'leaky'"
}

@test "numeric options out of range: exit 2 naming the option" {
	local opt val name
	while read -r opt val name; do
		run --separate-stderr profile "$opt" "$val" -c solve
		assert_failure 2
		assert_output ''
		stderr_has "'$name'"
	done <<-'END'
		-r 0 --repeat
		-r x --repeat
		-r 65 --repeat
		-w -1 --warmup
		-K 1 --runs
		-j 0 --threads
		--time-tolerance -1 --time-tolerance
		--memory-tolerance x --memory-tolerance
	END
}

@test "--tsv needs exactly one --sweep: exit 2 naming '--tsv'" {
	run --separate-stderr profile --tsv t.tsv
	assert_failure 2
	stderr_has "'--tsv'"
	run --separate-stderr profile -c solve --tsv t.tsv
	assert_failure 2
	stderr_has "'--tsv'"
	run --separate-stderr profile --sweep steps,species --tsv t.tsv
	assert_failure 2
	stderr_has "'--tsv'"
	[ ! -e t.tsv ]
}

@test "--from needs --compare and measures nothing; --fail-on-regression needs --compare" {
	run --separate-stderr profile --from "$(DP current.json)"
	assert_failure 2
	stderr_has "'--from'"
	stderr_has "'--compare"
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP equal.json)" -c solve
	assert_failure 2
	stderr_has "'--from'"
	run --separate-stderr profile --fail-on-regression
	assert_failure 2
	stderr_has "'--fail-on-regression'"
	run --separate-stderr profile -c solve --fail-on-regression
	assert_failure 2
	stderr_has "'--fail-on-regression'"
}

@test "a missing or unreadable baseline: exit 2 naming the file, before any measuring" {
	# were solve measured first, it would fail (exit 1) and leave its mark
	fake_bin fakebin
	run --separate-stderr profile -c solve --quick -q --bin fakebin --examples "$TOP/examples" --compare missing.json
	assert_failure 2
	assert_output ''
	stderr_has "missing.json"
	[ ! -e fakebin/solve-ran ]
	mkdir adir
	run --separate-stderr profile --from "$(DP current.json)" --compare adir
	assert_failure 2
	stderr_has "adir"
	echo 'this is not JSON' >text.json
	run --separate-stderr profile --from "$(DP current.json)" --compare text.json
	assert_failure 2
	stderr_has "text.json"
	run --separate-stderr profile --from text.json --compare "$(DP equal.json)"
	assert_failure 2
	stderr_has "text.json"
}

@test "a baseline that is not a report: exit 2 naming the file and what is missing" {
	echo '{"report": "biofilter profile", "format": 1}' >nores.json
	run --separate-stderr profile --from "$(DP current.json)" --compare nores.json
	assert_failure 2
	assert_output ''
	stderr_has "nores.json"
	stderr_has "results"
	# the second result has no median
	sed '0,/"median": 0.5,/s/"median": 0.5,//' "$(DP equal.json)" >nomedian.json
	! cmp -s nomedian.json "$(DP equal.json)"
	run --separate-stderr profile --from "$(DP current.json)" --compare nomedian.json
	assert_failure 2
	stderr_has "nomedian.json"
	stderr_has "results[1]"
	# the first result has no peak
	sed '0,/"peak_rss_kib": 16000,/s/"peak_rss_kib": 16000,//' "$(DP equal.json)" >nopeak.json
	! cmp -s nopeak.json "$(DP equal.json)"
	run --separate-stderr profile --from "$(DP current.json)" --compare nopeak.json
	assert_failure 2
	stderr_has "results[0]"
	# the third result has no name, then no items
	sed 's/"name": "tmcmc gauss5", //' "$(DP equal.json)" >noname.json
	! cmp -s noname.json "$(DP equal.json)"
	run --separate-stderr profile --from "$(DP current.json)" --compare noname.json
	assert_failure 2
	stderr_has "results[2]"
	sed 's/"items": 15973, //' "$(DP equal.json)" >noitems.json
	! cmp -s noitems.json "$(DP equal.json)"
	run --separate-stderr profile --from "$(DP current.json)" --compare noitems.json
	assert_failure 2
	stderr_has "results[2]"
	# the same checks on the report of --from
	run --separate-stderr profile --from noitems.json --compare "$(DP current.json)"
	assert_failure 2
	stderr_has "noitems.json"
	stderr_has "results[2]"
}

# ---- a real run: the solve component ----

@test "-c solve --quick: the report has every field, and the solver's counters and phases" {
	run --separate-stderr profile -c solve --quick -r 1 -w 0 -q -o r.json
	echo "$stderr"
	assert_success
	stderr_empty
	assert_line --regexp '^solve M1 +100 '
	assert_line --regexp '^solve M2 +100 '
	assert_line --regexp '^solve M3 +100 '
	jflat r.json >r.flat
	assert_equal "$(jv r.flat report)" '"biofilter profile"'
	assert_equal "$(jv r.flat format)" 1
	local k
	for k in machine settings; do
		assert_equal "$(jv r.flat $k)" '{'
	done
	for k in version commit date compiler machine.hostname machine.system machine.cpu; do
		[[ "$(jv r.flat $k)" == \"?*\" ]] || fail "'$k' is not a non-empty string"
	done
	[[ "$(jv r.flat date)" =~ ^\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\"$ ]]
	is "$(jv r.flat machine.cores)" '>=' 1
	is "$(jv r.flat machine.memory_kib)" '>' 0
	assert_equal "$(jv r.flat settings.quick)" true
	assert_equal "$(jv r.flat settings.repeat)" 1
	assert_equal "$(jv r.flat settings.warmup)" 0
	is "$(jv r.flat settings.threads)" '>=' 1
	assert_equal "$(jv r.flat results)" '['
	assert_equal "$(jcount r.flat results)" 3
	assert_equal "$(jv r.flat sweeps)" '['
	assert_equal "$(jv r.flat leaks)" '['
	local m i r steps newton med items share sum
	for m in M1 M2 M3; do
		i=$(ri r.flat "solve $m")
		r="results.$i"
		steps=$(sed -n 's/^ *"steps": *\([0-9]*\).*/\1/p' "$EX/$m.json")
		assert_equal "$(jv r.flat $r.component)" '"solve"'
		assert_equal "$(jv r.flat $r.unit)" '"trajectories"'
		[[ "$(jv r.flat $r.command)" == \"solve\ *--steps\ $steps* ]] || fail "$m: command $(jv r.flat $r.command)"
		items=$(jv r.flat $r.items)
		assert_equal "$items" 100
		assert_equal "$(jv r.flat $r.repeat)" 1
		med=$(jv r.flat $r.seconds.median)
		is "$med" '>' 0 "$m median"
		is "$(jv r.flat $r.seconds.min)" '<=' "$med"
		is "$(jv r.flat $r.seconds.max)" '>=' "$med"
		near "$(jv r.flat $r.per_item_seconds.median)" "$(awk -v a="$med" 'BEGIN { printf "%.17g", a / 100 }')" 1e-7 "$m per item"
		near "$(jv r.flat $r.throughput_per_second)" "$(awk -v a="$med" 'BEGIN { printf "%.17g", 100 / a }')" 1e-7 "$m throughput"
		is "$(jv r.flat $r.peak_rss_kib)" '>' 0 "$m peak"
		# the counters: 100 thetas, each integrated to the model's last step
		assert_equal "$(jv r.flat $r.counters.records)" 100
		assert_equal "$(jv r.flat $r.counters.bad_records)" 0
		assert_equal "$(jv r.flat $r.counters.steps)" $((100 * steps))
		newton=$(jv r.flat $r.counters.newton_iterations)
		is "$newton" '>' 0 "$m Newton iterations"
		# about one Newton update per step at these thetas (src/solver.c: 0.9 to 1.1 at the truths)
		is "$(jv r.flat $r.figures.newton_per_step)" '>=' 0.5 "$m newton_per_step"
		is "$(jv r.flat $r.figures.newton_per_step)" '<=' 3 "$m newton_per_step"
		near "$(jv r.flat $r.figures.newton_per_step)" "$(awk -v a="$newton" -v b=$((100 * steps)) 'BEGIN { printf "%.17g", a / b }')" 1e-7 "$m newton_per_step"
		# a residual per Newton iteration and one more to see it converged; a factorisation per update
		assert_equal "$(jv r.flat $r.phases.assembly.laps)" $((100 * steps + newton))
		assert_equal "$(jv r.flat $r.phases.factorisation.laps)" "$newton"
		for k in assembly factorisation; do
			share=$(jv r.flat $r.phases.$k.share)
			is "$share" '>' 0 "$m $k share"
			is "$share" '<' 1 "$m $k share"
			is "$(jv r.flat $r.phases.$k.seconds)" '>' 0 "$m $k seconds"
		done
		is "$(jv r.flat $r.phases_wall_seconds)" '>' 0
		# one thread: the phases, the timers' reads and the rest ("other",
		# never negative) share the --phases run's wall time
		is "$(jv r.flat $r.phases.other.share)" '>=' 0
		is "$(jv r.flat $r.phases.timers.share)" '>=' 0
		sum=$(awk -F'\t' -v p="$r.phases." '
			index($1, p) == 1 && $1 ~ /\.share$/ && split(substr($1, length(p) + 1), a, ".") == 2 { s += $2 }
			END { printf "%.12g", s }' r.flat)
		near "$sum" 1 1e-6 "$m: the sum of the phases' shares"
	done
}

@test "-c sensitivity,agent: results, units, items and the programs' own figures" {
	run --separate-stderr profile -c sensitivity,agent --quick -r 1 -w 0 -q -o r.json
	echo "$stderr"
	assert_success
	jflat r.json >r.flat
	assert_equal "$(jcount r.flat results)" 7
	local m i r
	for m in M1 M2 M3; do
		i=$(ri r.flat "sensitivity $m")
		r="results.$i"
		assert_equal "$(jv r.flat $r.unit)" '"evaluations"'
		assert_equal "$(jv r.flat $r.items)" 100
		assert_equal "$(jv r.flat $r.counters.evaluations)" 100
		is "$(jv r.flat $r.figures.newton_per_step)" '>=' 0.5
		is "$(jv r.flat $r.figures.newton_per_step)" '<=' 3
		# the TSM step once per time step
		assert_equal "$(jv r.flat $r.phases.sensitivity.laps)" "$(jv r.flat $r.counters.steps)"
		is "$(jv r.flat $r.phases.sensitivity.share)" '>' 0
		is "$(jv r.flat $r.phases.sensitivity.share)" '<' 1
	done
	# (observations, states, controls, policy_len) = (6, 8, 4, 1), (16, 32, 8, 1),
	# (6, 8, 4, 3), (6, 8, 4, 5); --quick runs a quarter of 2000, 2000, 1000, 200 steps
	local name steps policies k
	while IFS='|' read -r name steps policies; do
		i=$(ri r.flat "agent $name")
		r="results.$i"
		assert_equal "$(jv r.flat $r.unit)" '"steps"'
		assert_equal "$(jv r.flat $r.items)" "$steps"
		assert_equal "$(jv r.flat $r.counters.agent_steps)" "$steps"
		assert_equal "$(jv r.flat $r.figures.policies)" "$policies"
		is "$(jv r.flat $r.figures.step_seconds)" '>' 0
		for k in states policies action; do
			assert_equal "$(jv r.flat $r.phases.$k.laps)" "$steps"
		done
	done <<-'END'
		s8 o6 c4 p1|500|4
		s32 o16 c8 p1|500|8
		s8 o6 c4 p3|250|64
		s8 o6 c4 p5|50|1024
	END
}

@test "-c infer: the Case II quick preset's result, evaluations and levels" {
	run --separate-stderr profile -c infer --quick -r 1 -w 0 -q -j 2 -o r.json
	echo "$stderr"
	assert_success
	jflat r.json >r.flat
	local i r
	i=$(ri r.flat "infer case2 quick")
	r="results.$i"
	assert_equal "$(jv r.flat $r.unit)" '"evaluations"'
	assert_equal "$(jv r.flat settings.threads)" 2
	is "$(jv r.flat $r.items)" '>' 0
	assert_equal "$(jv r.flat $r.items)" "$(jv r.flat $r.counters.evaluations)"
	assert_equal "$(jv r.flat $r.figures.levels)" 3
	assert_equal "$(jv r.flat $r.figures.stages)" "$(jv r.flat $r.counters.stages)"
	# at least one stage per level
	is "$(jv r.flat $r.counters.stages)" '>=' 3
	for k in assembly factorisation sensitivity sampler; do
		is "$(jv r.flat $r.phases.$k.laps)" '>' 0 "$k laps"
	done
}

# ---- --compare with planted regressions, through --from ----

@test "--compare an equal baseline: 0 regressions, exit 0 even with --fail-on-regression" {
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP equal.json)" --fail-on-regression -o c.json
	assert_success
	stderr_empty
	assert_line '0 regression(s)'
	refute_output --partial 'REGRESSION'
	assert_line --regexp '^solve M1 +125 ms +125 ms +1\.00 '
	# a result only the report has is new, one only the baseline has missing: neither counts
	assert_line --regexp '^agent s8 o6 c4 p1 +new'
	assert_line --regexp '^tmcmc gauss5 +missing'
	jflat c.json >c.flat
	assert_equal "$(jv c.flat comparison)" '{'
	assert_equal "$(jv c.flat comparison.regressions)" 0
	assert_equal "$(jcount c.flat comparison.entries)" 4
	# the results are those of current.json, as they were
	assert_equal "$(jcount c.flat results)" 3
	assert_equal "$(jv c.flat "results.$(ri c.flat 'solve M1').seconds.median")" 0.125
}

@test "--compare a baseline 20% faster (current 25% slower): REGRESSION time, exit 1 only with --fail-on-regression" {
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP slower.json)" -o c.json
	assert_success
	assert_line --regexp '^solve M1 .* 1\.25 .*REGRESSION time'
	refute_line --regexp '^solve M2 .*REGRESSION'
	refute_output --partial 'REGRESSION memory'
	assert_line '1 regression(s)'
	jflat c.json >c.flat
	assert_equal "$(jv c.flat comparison.regressions)" 1
	local e
	e=$(awk -F'\t' '$1 ~ /^comparison\.entries\.[0-9]+\.name$/ && $2 == "\"solve M1\"" { sub(/\.name$/, "", $1); print $1 }' c.flat)
	assert_equal "$(jv c.flat $e.time_regression)" true
	assert_equal "$(jv c.flat $e.memory_regression)" false
	near "$(jv c.flat $e.time_ratio)" 1.25 1e-9
	near "$(jv c.flat comparison.time_tolerance)" 0.2 1e-9
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP slower.json)" --fail-on-regression
	assert_failure 1
	assert_line '1 regression(s)'
	# --time-tolerance 30: within
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP slower.json)" --time-tolerance 30 --fail-on-regression
	assert_success
	assert_line '0 regression(s)'
}

@test "--compare a baseline with 1.6 times less memory: REGRESSION memory" {
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP memory.json)" --fail-on-regression -o c.json
	assert_failure 1
	assert_line --regexp '^solve M1 .* 1\.60 +REGRESSION memory'
	refute_output --partial 'REGRESSION time'
	assert_line '1 regression(s)'
	jflat c.json >c.flat
	assert_equal "$(jv c.flat comparison.regressions)" 1
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP memory.json)" --memory-tolerance 70 --fail-on-regression
	assert_success
	assert_line '0 regression(s)'
}

@test "--compare within the tolerances (10% slower, 1.4 times the memory): no regression" {
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP within.json)" --fail-on-regression -o c.json
	assert_success
	assert_line --regexp '^solve M1 .* 1\.10 .* 1\.40 *$'
	refute_output --partial 'REGRESSION'
	assert_line '0 regression(s)'
	jflat c.json >c.flat
	assert_equal "$(jv c.flat comparison.regressions)" 0
}

@test "a baseline median of 0: refused, or the result still listed as a regression" {
	sed 's/"min": 0.1, "median": 0.1,/"min": 0, "median": 0,/' "$(DP slower.json)" >zero.json
	! cmp -s zero.json "$(DP slower.json)"
	run --separate-stderr profile --from "$(DP current.json)" --compare zero.json -o c.json
	if [ "$status" -eq 2 ]; then
		stderr_has "results[0]"
		return
	fi
	assert_success
	assert_line '1 regression(s)'
	# the regression that is counted must be shown
	assert_line --regexp '^solve M1 .*REGRESSION time'
}

@test "--compare a baseline of other work (other items, as --quick against a full run): incomparable, not counted" {
	# solve M1 of the baseline ran 500 thetas in 0.1 s; ours 100 in 0.125 s
	sed '0,/"items": 100,/s/"items": 100,/"items": 500,/' "$(DP slower.json)" >full.json
	! cmp -s full.json "$(DP slower.json)"
	run --separate-stderr profile --from "$(DP current.json)" --compare full.json --fail-on-regression -o c.json
	assert_success
	assert_line --regexp '^solve M1 +incomparable'
	refute_output --partial 'REGRESSION'
	assert_line '0 regression(s)'
	jflat c.json >c.flat
	assert_equal "$(jv c.flat comparison.regressions)" 0
	assert_equal "$(awk -F'\t' '$1 ~ /^comparison\.entries\.[0-9]+\.status$/ && $2 == "\"incomparable\"" { n++ } END { print n + 0 }' c.flat)" 1
}

# ---- sweeps ----

# tsv_rows FILE: FILE is a sweep's TSV: a '# ' title line, a '# ' line of
# column names, then rows of numbers separated by tabs; prints the rows.
tsv_rows() {
	sed -n 1p "$1" | grep -q '^# .' || fail "$1: line 1 is not '# title'"
	sed -n 2p "$1" | grep -q '^# [a-z_]*\(	[a-z_]*\)*$' || fail "$1: line 2 is not '# column<TAB>...'"
	sed 1,2d "$1" | awk -F'\t' '
		NR == 1 { nf = NF }
		NF != nf { printf "row %d: %d columns, not %d\n", NR, NF, nf; bad = 1 }
		{ for (i = 1; i <= NF; i++) if ($i !~ /^(-?[0-9.]+([eE][-+]?[0-9]+)?|NaN)$/) { printf "row %d: %s\n", NR, $i; bad = 1 } }
		END { exit bad }' || fail "$1: rows of numbers expected"
	sed 1,2d "$1"
}

# report_rows FLAT NAME: the number of rows of the report's sweep NAME.
report_rows() {
	local i
	i=$(awk -F'\t' -v n="\"$2\"" '$1 ~ /^sweeps\.[0-9]+\.name$/ && $2 == n { split($1, a, "."); print a[2] }' "$1")
	[ -n "$i" ] || fail "$1: no sweep '$2'"
	jcount "$1" "sweeps.$i.rows"
}

@test "--sweep steps: 250 500 1000 2500 with --quick, times per step consistent with times per trajectory" {
	# The default repetitions of --quick (3 after a warm-up). Which of
	# solve and TSM takes longer is a timing, for profile to report, not a
	# test to assert: on a loaded machine the rows with 250 and 500 steps
	# (0.4 ms a trajectory, start-up included) came out inverted.
	run --separate-stderr profile --sweep steps --quick -q --tsv s.tsv -o r.json
	echo "$stderr"
	assert_success
	assert_equal "$(sed -n 2p s.tsv)" "$(printf '# steps\tsolve_ms\ttsm_ms\tsolve_us_per_step\ttsm_us_per_step\tnewton_per_step')"
	tsv_rows s.tsv >rows.tsv
	assert_equal "$(cut -f1 rows.tsv | tr '\n' ' ')" '250 500 1000 2500 '
	cat s.tsv
	run awk -F'\t' '
		function rel(a, b) { d = a - b; if (d < 0) d = -d; return d / (b < 0 ? -b : b) }
		{
			if (!($2 > 0 && $3 > 0)) { print "row " NR ": times must be positive"; bad = 1 }
			if (rel($4, 1e3 * $2 / $1) > 1e-7) { print "row " NR ": solve_us_per_step is not 1000 solve_ms / steps"; bad = 1 }
			if (rel($5, 1e3 * $3 / $1) > 1e-7) { print "row " NR ": tsm_us_per_step is not 1000 tsm_ms / steps"; bad = 1 }
			if (!($6 >= 0.5 && $6 <= 3)) { print "row " NR ": newton_per_step " $6; bad = 1 }
		}
		END { exit bad }' rows.tsv
	echo "$output"
	assert_success
	jflat r.json >r.flat
	assert_equal "$(report_rows r.flat steps)" 4
}

@test "--sweep species: species 1 to 10, n(n+1)/2 + n parameters, tsm_over_solve = tsm_ms / solve_ms" {
	run --separate-stderr profile --sweep species --quick -r 1 -w 0 -q --tsv s.tsv -o r.json
	echo "$stderr"
	assert_success
	assert_equal "$(sed -n 2p s.tsv)" "$(printf '# species\tparameters\tsolve_ms\ttsm_ms\ttsm_over_solve')"
	tsv_rows s.tsv >rows.tsv
	assert_equal "$(wc -l <rows.tsv)" 10
	run awk -F'\t' '
		{
			if ($1 != NR) { print "row " NR ": species " $1; bad = 1 }
			if ($2 != NR * (NR + 1) / 2 + NR) { print "row " NR ": parameters " $2; bad = 1 }
			if (!($3 > 0 && $4 > 0)) { print "row " NR ": times must be positive"; bad = 1 }
			d = $5 - $4 / $3; if (d < 0) d = -d
			if (d > 1e-7 * $5) { print "row " NR ": tsm_over_solve " $5 " is not " $4 / $3; bad = 1 }
		}
		END { exit bad }' rows.tsv
	echo "$output"
	assert_success
	jflat r.json >r.flat
	assert_equal "$(report_rows r.flat species)" 10
}

@test "--sweep accuracy --quick --seeds 2: every problem at N 500 with both kernels, errors near the exact answers" {
	run --separate-stderr profile --sweep accuracy --quick --seeds 2 -q --tsv s.tsv -o r.json
	echo "$stderr"
	assert_success
	assert_equal "$(sed -n 2p s.tsv)" "$(printf '# problem\tsamples\tkernel\tseeds\tstages\tevaluations\tsteps_per_stage\tlogz_rms\tlogz_worst\tlogz_bias\tmean_z_rms\tmean_z_worst\tsd_error_worst\tweight_error_worst')"
	tsv_rows s.tsv >rows.tsv
	# seven problems, each with the old kernel (0) then the new (1)
	assert_equal "$(cut -f1-3 rows.tsv | tr '\t\n' ', ')" "$(for p in 1 2 3 4 5 6 7; do printf '%s,500,0 %s,500,1 ' "$p" "$p"; done)"
	run awk -F'\t' '
		{
			if ($4 != 2) { print "row " NR ": seeds " $4; bad = 1 }
			if (!($5 >= 1 && $6 >= 500)) { print "row " NR ": stages " $5 ", evaluations " $6; bad = 1 }
			# the rms is at most the worst, and |bias| at most the rms
			if (!($8 <= $9 + 1e-12 && ($10 < 0 ? -$10 : $10) <= $8 + 1e-12)) { print "row " NR ": logz " $8 " " $9 " " $10; bad = 1 }
			# Monte Carlo errors of N = 500: a log-evidence within 1 nat, means
			# within 6 standard errors, sds within 30%, weights within 0.15
			if (!($9 < 1 && $12 < 6 && $13 < 0.3 && $14 < 0.15)) { print "row " NR ": errors " $9 " " $12 " " $13 " " $14; bad = 1 }
			# the new kernel takes at most half the evaluations of the old
			# one on the 5-D and 6-D Gaussians
			if ($3 == 1 && ($1 == 2 || $1 == 3)) { if (!($6 <= old[$1] / 2)) { print "problem " $1 ": " $6 " evaluations against " old[$1]; bad = 1 } }
			if ($3 == 0) old[$1] = $6
		}
		END { exit bad }' rows.tsv
	echo "$output"
	assert_success
	jflat r.json >r.flat
	assert_equal "$(report_rows r.flat accuracy)" 14
	assert_equal "$(jv r.flat sweeps.0.name)" '"accuracy"'
}

@test "--sweep samples with the tmcmc component: N = 100, 200, 500, and the same work at N = 200" {
	run --separate-stderr profile -c tmcmc --sweep samples --quick -r 1 -w 0 -q --tsv s.tsv -o r.json
	echo "$stderr"
	assert_success
	assert_equal "$(sed -n 2p s.tsv)" "$(printf '# samples\tstages\tevaluations\tseconds\tsampler_seconds\tevaluator_seconds\tsampler_us_per_evaluation')"
	tsv_rows s.tsv >rows.tsv
	assert_equal "$(cut -f1 rows.tsv | tr '\n' ' ')" '100 200 500 '
	run awk -F'\t' '
		{
			if (!($2 >= 1)) { print "row " NR ": stages " $2; bad = 1 }
			# every chain is evaluated once before the first stage moves it
			if (!($3 >= $1)) { print "row " NR ": evaluations " $3 " < N"; bad = 1 }
			if (!($4 > 0 && $5 > 0 && $6 > 0)) { print "row " NR ": times must be positive"; bad = 1 }
			# the stages run one after the other: their sampler and evaluator phases fit in the wall time
			if (!($5 + $6 <= $4)) { print "row " NR ": sampler + evaluator " $5 + $6 " > seconds " $4; bad = 1 }
			d = $7 - 1e6 * $5 / $3; if (d < 0) d = -d
			if (d > 1e-7 * $7) { print "row " NR ": sampler_us_per_evaluation"; bad = 1 }
		}
		END { exit bad }' rows.tsv
	echo "$output"
	assert_success
	jflat r.json >r.flat
	assert_equal "$(report_rows r.flat samples)" 3
	# the tmcmc component is the same run at N = 200 (--quick), seeded: the same stages and evaluations
	local i
	i=$(ri r.flat "tmcmc gauss5")
	assert_equal "$(jv r.flat results.$i.unit)" '"evaluations"'
	assert_equal "$(jv r.flat results.$i.items)" "$(awk -F'\t' '$1 == 200 { print $3 }' rows.tsv)"
	assert_equal "$(jv r.flat results.$i.figures.stages)" "$(awk -F'\t' '$1 == 200 { print $2 }' rows.tsv)"
	assert_equal "$(jv r.flat results.$i.counters.evaluations)" "$(jv r.flat results.$i.items)"
	is "$(jv r.flat results.$i.figures.sampler_seconds)" '>' 0
	is "$(jv r.flat results.$i.figures.evaluator_seconds)" '>' 0
}

@test "--sweep threads -j 2: threads 1 and 2, speedup 1 on one thread, efficiency = speedup / threads" {
	run --separate-stderr profile --sweep threads --quick -r 1 -w 0 -q -j 2 --tsv s.tsv -o r.json
	echo "$stderr"
	assert_success
	assert_equal "$(sed -n 2p s.tsv)" "$(printf '# threads\tseconds\tspeedup\tefficiency')"
	tsv_rows s.tsv >rows.tsv
	assert_equal "$(cut -f1 rows.tsv | tr '\n' ' ')" '1 2 '
	assert_equal "$(sed -n 1p rows.tsv | cut -f3)" 1
	assert_equal "$(sed -n 1p rows.tsv | cut -f4)" 1
	run awk -F'\t' '
		NR == 1 { t1 = $2 }
		{
			if (!($2 > 0)) { print "row " NR ": seconds " $2; bad = 1 }
			d = $3 - t1 / $2; if (d < 0) d = -d
			if (d > 1e-7 * $3) { print "row " NR ": speedup " $3 " is not " t1 / $2; bad = 1 }
			d = $4 - $3 / $1; if (d < 0) d = -d
			if (d > 1e-7 * $4) { print "row " NR ": efficiency " $4 " is not " $3 / $1; bad = 1 }
		}
		END { exit bad }' rows.tsv
	echo "$output"
	assert_success
	jflat r.json >r.flat
	assert_equal "$(report_rows r.flat threads)" 2
}

@test "--sweep agent: the 60 rows of the grid then policy_len 1 to 5; policies = controls^policy_len" {
	run --separate-stderr profile --sweep agent --quick -r 1 -w 0 -q --tsv s.tsv -o r.json
	echo "$stderr"
	assert_success
	assert_equal "$(sed -n 2p s.tsv)" "$(printf '# states\tobservations\tcontrols\tpolicy_len\tpolicies\tstep_us\tsteps_per_second')"
	tsv_rows s.tsv >rows.tsv
	assert_equal "$(wc -l <rows.tsv)" 65
	# the grid: states 2..32 x observations 2..16 x controls 2, 4, 8, each once, policy_len 1
	assert_equal "$(head -n 60 rows.tsv | cut -f1-4 | sort -u | wc -l)" 60
	run awk -F'\t' '
		NR <= 60 {
			if ($1 !~ /^(2|4|8|16|32)$/ || $2 !~ /^(2|4|8|16)$/ || $3 !~ /^(2|4|8)$/ || $4 != 1) { print "grid row " NR ": " $0; bad = 1 }
		}
		NR > 60 {
			if ($1 != 8 || $2 != 6 || $3 != 4 || $4 != NR - 60) { print "policy_len row " NR ": " $0; bad = 1 }
		}
		{
			p = 1; for (k = 0; k < $4; k++) p *= $3
			if ($5 != p) { print "row " NR ": policies " $5 ", not " $3 "^" $4; bad = 1 }
			if (!($6 > 0)) { print "row " NR ": step_us " $6; bad = 1 }
			d = $6 * $7 / 1e6 - 1; if (d < 0) d = -d
			if (d > 1e-7) { print "row " NR ": steps_per_second is not 1e6 / step_us"; bad = 1 }
		}
		END { exit bad }' rows.tsv
	echo "$output"
	assert_success
	jflat r.json >r.flat
	assert_equal "$(report_rows r.flat agent)" 65
}

# ---- leak check ----

@test "--leak solve -K 4: four resident sizes, growth last - first, not flagged" {
	run --separate-stderr profile --leak solve -K 4 -q -o l.json
	echo "$stderr"
	assert_success
	assert_output --partial 'leak check solve, 4 runs'
	jflat l.json >l.flat
	assert_equal "$(jcount l.flat leaks)" 1
	assert_equal "$(jcount l.flat results)" 0
	assert_equal "$(jv l.flat leaks.0.component)" '"solve"'
	assert_equal "$(jv l.flat leaks.0.runs)" 4
	assert_equal "$(jcount l.flat leaks.0.rss_kib)" 4
	local k first last
	for k in 0 1 2 3; do
		is "$(jv l.flat leaks.0.rss_kib.$k)" '>' 0
	done
	first=$(jv l.flat leaks.0.rss_kib.0)
	last=$(jv l.flat leaks.0.rss_kib.3)
	assert_equal "$(jv l.flat leaks.0.growth_kib)" $((last - first))
	assert_equal "$(jv l.flat leaks.0.flagged)" false
}

# ---- the report file ----

@test "-o into a missing directory: exit 1 naming the file, nothing written" {
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP equal.json)" -o nodir/r.json
	assert_failure 1
	stderr_has "nodir/r.json"
	[ ! -e nodir ]
}

@test "-o into a directory that cannot be written: exit 1, no file" {
	[ "$(id -u)" -ne 0 ] || skip "root writes into any directory"
	mkdir ro
	chmod 555 ro
	run --separate-stderr profile --from "$(DP current.json)" --compare "$(DP equal.json)" -o ro/r.json
	chmod 755 ro
	assert_failure 1
	stderr_has "r.json"
	assert_equal "$(ls -A ro)" ''
}

@test "-o is atomic: a write that fails half-way leaves the older report and no temporary file" {
	mkdir out
	echo old >out/r.json
	# a file size limit of 1 KiB; the report with its comparison is larger
	run --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 1; exec profile --from "$1" --compare "$2" -o out/r.json' _ \
		"$(DP current.json)" "$(DP equal.json)"
	assert_failure 1
	stderr_has "r.json"
	assert_equal "$(cat out/r.json)" old
	assert_equal "$(ls -A out)" r.json
}

@test "a program that fails: exit 1 quoting it, the older report and TSV left as they were" {
	fake_bin fakebin
	mkdir out
	echo old >out/r.json
	run --separate-stderr profile -c solve --quick -r 1 -w 0 -q --bin fakebin --examples "$TOP/examples" -o out/r.json
	assert_failure 1
	[ -e fakebin/solve-ran ]
	stderr_has "broken on purpose"
	assert_equal "$(cat out/r.json)" old
	assert_equal "$(ls -A out)" r.json
	run --separate-stderr profile --sweep steps --quick -r 1 -w 0 -q --bin fakebin --examples "$TOP/examples" --tsv out/s.tsv
	assert_failure 1
	assert_equal "$(ls -A out)" r.json
	# --bin without the programs: exit 2 naming the option
	run --separate-stderr profile -c solve --quick -q --bin nosuchdir
	assert_failure 2
	stderr_has "'--bin"
}
