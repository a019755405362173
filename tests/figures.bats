#!/usr/bin/env bats
# pipelines/figures.mk and pipelines/figures/*.gp: every figure alone (PNG
# signature and its exact pixel size from the formulas in the .gp headers,
# the SVG beside it, no temporary file left), the whole `all` target with
# and without AGENT, the tables in FIG/tsv against counts taken
# independently from the streams, bad input (exit 2, a message naming what
# is wrong, no figure left), and Make's bookkeeping (a second run does
# nothing; a newer posterior remakes only what reads it).
#
# Data: tests/data/figures, a fixed calibration made from inside that
# directory (the predictive's header names plan.json and M*.data.mpk
# relative to it): Case II cut to N = 60, levels M1 (species 1 2, 5
# parameters), M2 (species 3 4, 5 parameters), M3 (species 1-4, 4
# parameters) and the validation (species 1-4); tmaze.mpk is
# `agent -m examples/agent/tmaze.json --env tmaze --steps 3 --episodes 2
# --seed 1` (2 hidden-state factors, 4 + 2 states, 4 policies).
#
# Each test copies the fixture into its own directory and runs the
# Makefile there with OUT=. FIG=fig. setup_file makes `all` once (with
# AGENT) for the tests that only read its results. The whole file takes
# about 10 s. The four "truncated" tests found that a failing mpcat inside
# a pipe went unnoticed (figures.mk now runs its recipes with pipefail).

load helpers

# the helpers' setup, then the fixture in the test's directory
eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
setup() {
	helpers_setup
	command -v gnuplot >/dev/null || fail "gnuplot is not installed"
	cp -R "$DATA/figures/." .
	MK="$TOP/pipelines/figures.mk"
}

setup_file() {
	local top
	top="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
	export PATH="$top/bin:$PATH"
	# one run of `all` with the agent figure, shared by the tests that only
	# read its results
	export ALL="$BATS_FILE_TMPDIR/all"
	mkdir -p "$ALL"
	cp -R "$top/tests/data/figures/." "$ALL/"
	(cd "$ALL" && make --no-print-directory -f "$top/pipelines/figures.mk" OUT=. FIG=fig AGENT=tmaze.mpk) \
		>"$BATS_FILE_TMPDIR/all.out" 2>"$BATS_FILE_TMPDIR/all.err"
	echo $? >"$BATS_FILE_TMPDIR/all.status"
}

# figmake ARG...: run the Makefile here with OUT=. FIG=fig.
figmake() {
	run --separate-stderr make --no-print-directory -f "$MK" OUT=. FIG=fig "$@"
}

# all_ok: the shared `all` run of setup_file succeeded.
all_ok() {
	[ "$(cat "$BATS_FILE_TMPDIR/all.status")" = 0 ] && return 0
	cat "$BATS_FILE_TMPDIR/all.out" "$BATS_FILE_TMPDIR/all.err"
	fail "the \`all\` run of setup_file failed"
}

# png_size FILE: "WxH" from the PNG's IHDR chunk (bytes 16..23, big endian).
png_size() {
	od -An -tu1 -j16 -N8 "$1" |
		awk '{ printf "%dx%d\n", (($1 * 256 + $2) * 256 + $3) * 256 + $4, (($5 * 256 + $6) * 256 + $7) * 256 + $8 }'
}

# The sizes the .gp headers give.
fit_size() { local w=$((300 * $1 + 100)); echo "$((w < 700 ? 700 : w))x800"; }
pairs_size() { local w=$((220 * $1 + 60)); w=$((w > 2000 ? 2000 : w)); echo "${w}x$w"; }
prior_size() { local w=$((350 * $1 + 100)); echo "$((w < 700 ? 700 : w))x450"; }
agent_size() { echo "900x$((250 * ($1 + 1) + 50))"; }

# check_figure DIR NAME WxH: DIR/NAME.png is a PNG of exactly WxH pixels,
# DIR/NAME.svg an SVG of the same size, and DIR holds no temporary file.
check_figure() {
	local png="$1/$2.png" svg="$1/$2.svg" sig
	[ -s "$png" ] || fail "no $png"
	sig=$(od -An -tx1 -N8 "$png" | tr -d ' \n')
	[ "$sig" = 89504e470d0a1a0a ] || fail "$png: not a PNG (starts $sig)"
	[ "$(od -An -c -j12 -N4 "$png" | tr -d ' \n')" = IHDR ] || fail "$png: no IHDR chunk first"
	assert_equal "$(png_size "$png")" "$3"
	[ -s "$svg" ] || fail "no $svg"
	[ "$(head -c 5 "$svg")" = '<?xml' ] || fail "$svg: no XML preamble: $(head -c 60 "$svg")"
	grep -q '<svg' "$svg" || fail "$svg: no <svg element"
	grep -q "width=\"${3%x*}\" height=\"${3#*x}\"" "$svg" || fail "$svg: not $3"
	no_tmp "$1"
}

# no_tmp DIR: nothing named *.tmp* under DIR.
no_tmp() {
	local left
	left=$(find "$1" -name '*.tmp*')
	[ -z "$left" ] || fail "temporary files left: $left"
}

# no_figures [ERE]: no PNG or SVG (finished or temporary) under fig/ whose
# name matches ERE (default: any).
no_figures() {
	local left
	left=$(find . -path './fig/*' \( -name '*.png' -o -name '*.svg' \) 2>/dev/null | grep -E "${1:-.}" || true)
	[ -z "$left" ] || fail "figures left behind: $left"
}

# only_figure NAME: fig/ holds NAME.png and NAME.svg and no other figure.
only_figure() {
	assert_equal "$(cd fig && ls -- *.png *.svg | tr '\n' ' ')" "$1.png $1.svg "
}

# ncols FILE: the distinct field counts of FILE's non-blank lines.
ncols() {
	awk -F'\t' 'NF { print NF }' "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# ---- each figure alone ----

@test "fit-M1: 2 species, 700x800" {
	figmake fig/fit-M1.png
	assert_success
	check_figure fig fit-M1 "$(fit_size 2)"
	assert_equal "$(fit_size 2)" 700x800
	only_figure fit-M1
}

@test "fit-M2: 2 species, 700x800" {
	figmake fig/fit-M2.png
	assert_success
	check_figure fig fit-M2 "$(fit_size 2)"
	only_figure fit-M2
}

@test "fit-M3: 4 species, 1300x800" {
	figmake fig/fit-M3.png
	assert_success
	check_figure fig fit-M3 "$(fit_size 4)"
	assert_equal "$(fit_size 4)" 1300x800
	only_figure fit-M3
}

@test "fit-validation: 4 species, 1300x800" {
	figmake fig/fit-validation.png
	assert_success
	check_figure fig fit-validation "$(fit_size 4)"
	only_figure fit-validation
}

@test "pairs-M1: 5 parameters, 1160x1160" {
	figmake fig/pairs-M1.png
	assert_success
	check_figure fig pairs-M1 "$(pairs_size 5)"
	assert_equal "$(pairs_size 5)" 1160x1160
	only_figure pairs-M1
}

@test "pairs-M2: 5 parameters, 1160x1160" {
	figmake fig/pairs-M2.png
	assert_success
	check_figure fig pairs-M2 "$(pairs_size 5)"
	only_figure pairs-M2
}

@test "pairs-M3: 4 parameters, 940x940" {
	figmake fig/pairs-M3.png
	assert_success
	check_figure fig pairs-M3 "$(pairs_size 4)"
	assert_equal "$(pairs_size 4)" 940x940
	only_figure pairs-M3
}

@test "recovery: 1000x500" {
	figmake fig/recovery.png
	assert_success
	check_figure fig recovery 1000x500
	only_figure recovery
}

@test "diagnostics: 1000x750" {
	figmake fig/diagnostics.png
	assert_success
	check_figure fig diagnostics 1000x750
	only_figure diagnostics
}

@test "prior-M1: 2 species, 800x450" {
	figmake fig/prior-M1.png
	assert_success
	check_figure fig prior-M1 "$(prior_size 2)"
	assert_equal "$(prior_size 2)" 800x450
	only_figure prior-M1
}

@test "agent (AGENT=tmaze.mpk): 2 factors, 900x800" {
	figmake AGENT=tmaze.mpk fig/agent.png
	assert_success
	check_figure fig agent "$(agent_size 2)"
	assert_equal "$(agent_size 2)" 900x800
	only_figure agent
}

# ---- all ----

@test "all with AGENT: 11 figures, PNG and SVG, named on the last line" {
	all_ok
	local names="fit-M1 fit-M2 fit-M3 fit-validation pairs-M1 pairs-M2 pairs-M3 recovery diagnostics prior-M1 agent"
	local f want=""
	run grep -c '^figures: ' "$BATS_FILE_TMPDIR/all.out"
	assert_output 1
	run cat "$BATS_FILE_TMPDIR/all.out"
	assert_line "figures: fig: $(printf '%s.png ' $names | sed 's/ $//')"
	for f in $names; do want="$want$f.png"$'\n'"$f.svg"$'\n'; done
	assert_equal "$(cd "$ALL/fig" && ls -- *.png *.svg | sort)" "$(printf '%s' "$want" | sort)"
	# nothing else but the tables
	assert_equal "$(ls -A "$ALL/fig" | wc -l)" 23
	[ -d "$ALL/fig/tsv" ]
	no_tmp "$ALL/fig"
	# every size again, in the shared run
	check_figure "$ALL/fig" fit-M1 "$(fit_size 2)"
	check_figure "$ALL/fig" fit-M2 "$(fit_size 2)"
	check_figure "$ALL/fig" fit-M3 "$(fit_size 4)"
	check_figure "$ALL/fig" fit-validation "$(fit_size 4)"
	check_figure "$ALL/fig" pairs-M1 "$(pairs_size 5)"
	check_figure "$ALL/fig" pairs-M2 "$(pairs_size 5)"
	check_figure "$ALL/fig" pairs-M3 "$(pairs_size 4)"
	check_figure "$ALL/fig" recovery 1000x500
	check_figure "$ALL/fig" diagnostics 1000x750
	check_figure "$ALL/fig" prior-M1 "$(prior_size 2)"
	check_figure "$ALL/fig" agent "$(agent_size 2)"
}

@test "all without AGENT: 10 figures, no agent" {
	local names="fit-M1 fit-M2 fit-M3 fit-validation pairs-M1 pairs-M2 pairs-M3 recovery diagnostics prior-M1"
	local f want=""
	figmake
	assert_success
	assert_line "figures: fig: $(printf '%s.png ' $names | sed 's/ $//')"
	refute_output --partial agent
	for f in $names; do want="$want$f.png"$'\n'"$f.svg"$'\n'; done
	assert_equal "$(cd fig && ls -- *.png *.svg | sort)" "$(printf '%s' "$want" | sort)"
	[ ! -e fig/tsv/agent.tsv ]
	no_tmp fig
}

# ---- the tables ----

@test "tsv/recovery.tsv: 14 rows (level, name, truth, mean, sd), the plan's truths" {
	all_ok
	cd "$ALL"
	local t=fig/tsv/recovery.tsv
	# independent count: every level's parameters in the posterior headers
	local n
	n=$(mpcat -i posterior.mpk --tsv --headers parameters | wc -w)
	assert_equal "$n" 14
	assert_equal "$(wc -l <"$t")" "$n"
	assert_equal "$(ncols "$t")" 5
	# levels and names in the order of the posterior's headers
	assert_equal "$(cut -f1,2 "$t" | tr '\t\n' '  ')" \
		"$(mpcat -i posterior.mpk --tsv --headers level parameters |
			awk -F'\t' '{ for (i = 2; i <= NF; i++) printf "%s %s ", $1, $i }')"
	grep -q "^M1	a11	0.8	" "$t" || fail "no M1 a11 truth 0.8 row"
	# each truth is the plan's; mean a number, sd positive
	awk '/"name":/ && /"truth":/ {
			match($0, /"name": *"[^"]*"/); nm = substr($0, RSTART, RLENGTH); sub(/.*: *"/, "", nm); sub(/"$/, "", nm)
			match($0, /"truth": *[-0-9.eE+]+/); tr = substr($0, RSTART, RLENGTH); sub(/.*: */, "", tr)
			print nm "\t" tr }' plan.json >truths.tsv
	assert_equal "$(wc -l <truths.tsv)" 14
	run awk -F'\t' 'NR == FNR { t[$1] = $2; next }
		!($2 in t) { print "no truth in the plan for " $2; bad = 1; next }
		$3 + 0 != t[$2] + 0 { print $2 ": truth " $3 ", plan " t[$2]; bad = 1 }
		$4 !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ { print $2 ": mean " $4; bad = 1 }
		!($5 + 0 > 0) { print $2 ": sd " $5; bad = 1 }
		END { exit bad }' truths.tsv "$t"
	assert_success
}

@test "tsv/diagnostics.tsv: one row per stage of each level, stages 1..S, beta ending at 1" {
	all_ok
	cd "$ALL"
	local t=fig/tsv/diagnostics.tsv
	mpcat -i posterior.mpk --tsv --headers level stages >stages.tsv
	assert_equal "$(wc -l <stages.tsv)" 3
	assert_equal "$(wc -l <"$t")" "$(awk '{ s += $2 } END { print s }' stages.tsv)"
	assert_equal "$(ncols "$t")" 6
	run awk -F'\t' 'NR == FNR { want[$1] = $2; order[++nl] = $1; next }
		$1 != cur { if (cur != "" && k != want[cur]) { print cur ": " k " stages, header " want[cur]; bad = 1 }
			cur = $1; k = 0; seen[$1]++ }
		{ k++; if ($2 != k) { print cur ": stage " $2 " in row " k; bad = 1 }; last[cur] = $3 }
		END {
			if (k != want[cur]) { print cur ": " k " stages, header " want[cur]; bad = 1 }
			for (i = 1; i <= nl; i++) {
				if (seen[order[i]] != 1) { print order[i] ": rows not contiguous or missing"; bad = 1 }
				if (last[order[i]] + 0 != 1) { print order[i] ": last beta " last[order[i]]; bad = 1 }
			}
			exit bad }' stages.tsv "$t"
	assert_success
}

@test "tsv/pairs-M1.tsv: 60 samples of 5 parameters; pairs-M3.tsv 60 of 4" {
	all_ok
	cd "$ALL"
	local lv n d
	for lv in M1 M3; do
		n=$(mpcat -i posterior.mpk --tsv --headers level samples | awk -F'\t' -v l=$lv '$1 == l { print $2 }')
		d=$(mpcat -i posterior.mpk --tsv --headers level parameters | awk -F'\t' -v l=$lv '$1 == l { print NF - 1 }')
		assert_equal "$n" 60
		assert_equal "$(wc -l <fig/tsv/pairs-$lv.tsv)" "$n"
		assert_equal "$(ncols fig/tsv/pairs-$lv.tsv)" "$d"
	done
	assert_equal "$(ncols fig/tsv/pairs-M1.tsv)" 5
	assert_equal "$(ncols fig/tsv/pairs-M3.tsv)" 4
}

@test "tsv/fit-*.tsv: 2 + 6n columns, a row per predictive record of the level" {
	all_ok
	cd "$ALL"
	local lv n
	for lv in M1:2 M2:2 M3:4 validation:4; do
		n=${lv#*:} lv=${lv%:*}
		assert_equal "$(ncols fig/tsv/fit-$lv.tsv)" "$((2 + 6 * n))"
		assert_equal "$(wc -l <fig/tsv/fit-$lv.tsv)" "$(mpcat -i predictive.mpk --tsv level | grep -cx "$lv")"
	done
	assert_equal "$(ncols fig/tsv/fit-M3.tsv)" 26
}

@test "tsv/data-*.tsv: 20 points of 2 + n columns" {
	all_ok
	cd "$ALL"
	local lv n f
	for lv in M1:2:M1 M2:2:M2 M3:4:M3 validation:4:M3val; do
		IFS=: read -r lv n f <<<"$lv"
		assert_equal "$(mpcat -i "$f.data.mpk" --tsv 't[]' | wc -l)" 20
		assert_equal "$(wc -l <fig/tsv/data-$lv.tsv)" 20
		assert_equal "$(ncols fig/tsv/data-$lv.tsv)" "$((2 + n))"
	done
}

@test "tsv/prior7s1-M1.tsv: PRIOR_SAMPLES=7 gives 7 blocks of 251 steps, blank lines between" {
	figmake PRIOR_SAMPLES=7 fig/prior-M1.png
	assert_success
	check_figure fig prior-M1 "$(prior_size 2)"
	local t=fig/tsv/prior7s1-M1.tsv steps
	steps=$(awk -F'[:,]' '/"steps"/ { print $2 + 0 }' M1.json)
	assert_equal "$steps" 2500
	# blocks: paragraphs, each one id, every 10th step saved (0..steps)
	run awk -v RS= -F'\n' '{ print NF }' "$t"
	assert_equal "${#lines[@]}" 7
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u)" "$((steps / 10 + 1))"
	assert_equal "$(grep -c '^$' "$t")" 6
	assert_equal "$(ncols "$t")" 5
	assert_equal "$(awk -F'\t' 'NF { print $1 }' "$t" | uniq | wc -l)" 7
	assert_equal "$(awk -F'\t' 'NF { print $1 }' "$t" | sort -u | wc -l)" 7
	grep -q "7 draws" fig/prior-M1.svg || fail "the title does not name 7 draws"
}

@test "tsv/agent.tsv: the 3 steps of episode 0; EPISODE=1 gives episode 1's" {
	all_ok
	local width
	# t, qs of both factors, q_pi, action: counted from the first record
	width=$((1 + $(mpcat -i tmaze.mpk -n 1 --tsv qs q_pi action | awk -F'\t' '{ print NF }')))
	assert_equal "$width" 13
	assert_equal "$(mpcat -i tmaze.mpk --tsv id | grep -cx 0)" 3
	assert_equal "$(wc -l <"$ALL/fig/tsv/agent.tsv")" 3
	assert_equal "$(ncols "$ALL/fig/tsv/agent.tsv")" "$width"
	assert_equal "$(cut -f1 "$ALL/fig/tsv/agent.tsv" | tr '\n' ' ')" "0 1 2 "
	# q_pi (after t and the 4 + 2 beliefs) is episode 0's
	assert_equal "$(cut -f8-11 "$ALL/fig/tsv/agent.tsv")" \
		"$(mpcat -i tmaze.mpk --tsv id q_pi | awk -F'\t' '$1 == 0' | cut -f2-)"
	figmake AGENT=tmaze.mpk EPISODE=1 fig/agent.png
	assert_success
	check_figure fig agent "$(agent_size 2)"
	assert_equal "$(wc -l <fig/tsv/agent.tsv)" 3
	assert_equal "$(cut -f8-11 fig/tsv/agent.tsv)" \
		"$(mpcat -i tmaze.mpk --tsv id q_pi | awk -F'\t' '$1 == 1' | cut -f2-)"
	[ "$(cut -f8-11 fig/tsv/agent.tsv)" != "$(cut -f8-11 "$ALL/fig/tsv/agent.tsv")" ] ||
		fail "episodes 0 and 1 gave the same table"
}

# ---- bad input ----

@test "no OUT: usage message, exit 2, nothing made" {
	run --separate-stderr make --no-print-directory -f "$MK" FIG=fig
	assert_failure 2
	stderr_has "give the calibration's directory"
	[ ! -e fig ]
	run --separate-stderr make --no-print-directory -f "$MK" OUT= FIG=fig
	assert_failure 2
	stderr_has "give the calibration's directory"
	[ ! -e fig ]
}

@test "OUT without posterior.mpk: the message names it" {
	mkdir empty
	run --separate-stderr make --no-print-directory -f "$MK" OUT=empty FIG=fig
	assert_failure 2
	stderr_has "'empty/posterior.mpk': no such file"
	[ ! -e fig ]
}

@test "predictive.mpk missing: the message names it" {
	rm predictive.mpk
	figmake
	assert_failure 2
	stderr_has "predictive.mpk': no such file"
	[ ! -e fig ]
}

@test "AGENT naming a missing file: the message names it" {
	figmake AGENT=nope.mpk
	assert_failure 2
	stderr_has "'nope.mpk': no such file"
	[ ! -e fig ]
}

@test "EPISODE with no steps: the message names the episode, no agent figure or table" {
	figmake AGENT=tmaze.mpk EPISODE=99 fig/agent.png
	assert_failure 2
	stderr_has "'tmaze.mpk': no steps of episode 99"
	no_figures
	[ ! -e fig/tsv/agent.tsv ]
	no_tmp fig
}

@test "a level's data file removed: the message names the level and the file" {
	rm M2.data.mpk
	figmake fig/fit-M2.png
	assert_failure 2
	stderr_has "level 'M2'"
	stderr_has "'M2.data.mpk' not found"
	no_figures
	[ ! -e fig/tsv/data-M2.tsv ]
	no_tmp fig
}

@test "the plan removed: the prior figure's message names the plan" {
	rm plan.json
	figmake fig/prior-M1.png
	assert_failure 2
	stderr_has "plan 'plan.json'"
	stderr_has "not found"
	no_figures
	[ ! -e fig/tsv/prior50s1-M1.tsv ]
}

@test "a posterior.mpk that is not a posterior stream (the predictive, or a cut header)" {
	cp predictive.mpk posterior.mpk
	figmake
	assert_failure 2
	stderr_has "not a posterior stream"
	[ ! -e fig ]
	# cut inside its header: mpcat says so, and figures.mk stops there
	head -c 100 "$DATA/figures/posterior.mpk" >posterior.mpk
	figmake
	assert_failure 2
	stderr_has "posterior.mpk: truncated stream before the first record"
	stderr_has "posterior.mpk': cannot be read"
	[ ! -e fig ]
}

# A cut inside M1's samples (after record 15 of 60): the header is whole,
# so the levels are known; every table read from the stream must fail.

@test "a truncated posterior.mpk: pairs-M1 fails, no figure" {
	head -c 5000 "$DATA/figures/posterior.mpk" >posterior.mpk
	figmake fig/pairs-M1.png
	assert_failure 2
	stderr_has "truncated"
	no_figures
}

@test "a truncated posterior.mpk: all fails, no figure of the posterior left" {
	head -c 5000 "$DATA/figures/posterior.mpk" >posterior.mpk
	figmake
	assert_failure 2
	stderr_has "truncated"
	# the fits read only the (whole) predictive: they may be made first
	no_figures '/(pairs-|recovery|diagnostics)'
}

@test "a truncated predictive.mpk: fit-validation fails, no figure" {
	# cut inside the validation's records (after record 97 of 101)
	head -c 32000 "$DATA/figures/predictive.mpk" >predictive.mpk
	figmake fig/fit-validation.png
	assert_failure 2
	stderr_has "truncated"
	no_figures
}

@test "a truncated AGENT stream: the agent figure fails, no figure" {
	# cut inside episode 1 (after record 5 of 6)
	head -c 2600 "$DATA/figures/tmaze.mpk" >tmaze.mpk
	figmake AGENT=tmaze.mpk EPISODE=1 fig/agent.png
	assert_failure 2
	stderr_has "truncated"
	no_figures
}

# ---- Make's bookkeeping ----

# age_all: setup_file's finished run here, the inputs 10 s old, the outputs
# 5 s old, and ./marker 3 s old (newer than all of them).
age_all() {
	local now
	cp -a "$ALL/." .
	now=$(date +%s)
	find . -path ./fig -prune -o -type f -exec touch -d "@$((now - 10))" {} +
	find fig -type f -exec touch -d "@$((now - 5))" {} +
	touch -d "@$((now - 3))" marker
}

@test "a second run does nothing" {
	all_ok
	age_all
	local files
	files=$(cd fig && ls -- *.png *.svg | sed 's|^|fig/|')
	run --separate-stderr make --no-print-directory -q -f "$MK" OUT=. FIG=fig AGENT=tmaze.mpk $files
	assert_success
	figmake AGENT=tmaze.mpk
	assert_success
	stderr_empty
	assert_output "$(cat "$BATS_FILE_TMPDIR/all.out" | grep '^figures: ')"
	assert_equal "$(find fig -type f -newer marker)" ""
}

@test "a newer posterior.mpk remakes pairs, recovery and diagnostics only" {
	all_ok
	age_all
	touch posterior.mpk
	figmake AGENT=tmaze.mpk
	assert_success
	assert_equal "$(find fig -maxdepth 1 -type f -newer marker | sort | tr '\n' ' ')" \
		"fig/diagnostics.png fig/diagnostics.svg fig/pairs-M1.png fig/pairs-M1.svg fig/pairs-M2.png fig/pairs-M2.svg fig/pairs-M3.png fig/pairs-M3.svg fig/recovery.png fig/recovery.svg "
	# the agent, the fits and the prior were not touched
	[ ! fig/agent.png -nt marker ]
	[ ! fig/tsv/agent.tsv -nt marker ]
	[ ! fig/fit-M1.png -nt marker ]
	[ ! fig/prior-M1.png -nt marker ]
	no_tmp fig
}
