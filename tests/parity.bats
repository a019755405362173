#!/usr/bin/env bats
# Golden parity: solve reproduces the reference solver's states (tests/data/
# golden, Newton tolerance 1e-13 there, 1e-12 in the model files) within
# 1e-8 relative, with an absolute floor of 1e-12.

load helpers

# golden_inputs CASE: from tests/data/golden/CASE.json make golden.mpk,
# theta.mpk (the golden theta as a record), $steps (the golden steps, comma-
# separated) and ref.tsv (the golden states, flattened).
golden_inputs() {
	local g="$GOLDEN/$1.json"
	[ -f "$g" ] && [ -f "$GOLDEN/$1.model.json" ] || fail "missing golden files for $1"
	mpcat --from-json "$g" >golden.mpk
	steps=$(mpcat --tsv steps -i golden.mpk | tr '\t' ',')
	[ -n "$steps" ] || fail "$g: no steps"
	local theta
	theta=$(mpcat --tsv theta -i golden.mpk | tr '\t' ',')
	printf '{"id":"%s","theta":[%s]}\n' "$1" "$theta" | mpcat --from-json >theta.mpk
	mpcat --tsv states -i golden.mpk >ref.tsv
}

# golden_parity CASE: solve the golden theta at the golden steps and
# compare every saved state.
golden_parity() {
	golden_inputs "$1"
	run --separate-stderr solve -m "$GOLDEN/$1.model.json" --steps "$steps" -i theta.mpk -o traj.mpk
	assert_success
	run mpcat --tsv id status -i traj.mpk
	assert_output "$1	ok"
	# the steps saved are the golden ones
	assert_equal "$(mpcat --tsv step -i traj.mpk | tr '\t' ',')" "$steps"
	# the theta solved is the golden one, to the last bit
	assert_equal "$(mpcat --tsv theta -i traj.mpk)" "$(mpcat --tsv theta -i golden.mpk)"
	mpcat --tsv state.phi state.phi0 state.psi state.gamma -i traj.mpk >ours.tsv
	run awk -v steps="$steps" -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv ref.tsv
	echo "$output"
	assert_success
	assert_output --partial "worst relative error"
}

@test "golden parity: case1" {
	golden_parity case1
}

@test "golden parity: case2_M1" {
	golden_parity case2_M1
}

@test "golden parity: case2_M2" {
	golden_parity case2_M2
}

@test "golden parity: case2_M3" {
	golden_parity case2_M3
}

@test "golden parity: case2_M3val (antibiotics switched on after step 500)" {
	golden_parity case2_M3val
}

@test "the golden model files are the golden runs' models (plus the tolerance)" {
	for c in case1 case2_M1 case2_M2 case2_M3 case2_M3val; do
		mpcat --from-json "$GOLDEN/$c.json" | mpcat --tsv model >a
		# the model file as one JSON line, without its tolerance
		tr -d ' \n' <"$GOLDEN/$c.model.json" | sed 's/,"tolerance":[^,}]*//' >line.json
		printf '\n' >>line.json
		mpcat --from-json line.json | mpcat >b
		run cat b
		assert_output "$(cat a)"
	done
}

@test "compare-states.awk: identical states pass with a worst error of 0" {
	golden_inputs case1
	solve -m "$GOLDEN/case1.model.json" --steps "$steps" -i theta.mpk |
		mpcat --tsv state.phi state.phi0 state.psi state.gamma >ours.tsv
	# ours in the golden layout: rows of phi_1..phi_n, phi_0, psi_1..psi_n, gamma
	awk -F'\t' -v R="$(tr ',' '\n' <<<"$steps" | wc -l)" '{
		n = (NF / R - 2) / 2
		for (r = 0; r < R; r++) {
			row = ""
			for (j = 0; j < n; j++) row = row $(r * n + j + 1) "\t"
			row = row $(R * n + r + 1)
			for (j = 0; j < n; j++) row = row "\t" $(R * n + R + r * n + j + 1)
			row = row "\t" $(2 * R * n + R + r + 1)
			print row
		}
	}' ours.tsv >rows.tsv
	run awk -v steps="$steps" -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv rows.tsv
	assert_success
	assert_output --regexp '^worst relative error 0 at step '
}

@test "compare-states.awk fails, naming the step and component, when a value is perturbed" {
	golden_inputs case2_M1
	solve -m "$GOLDEN/case2_M1.model.json" --steps "$steps" -i theta.mpk |
		mpcat --tsv state.phi state.phi0 state.psi state.gamma >ours.tsv
	# the golden layout: 101 rows of phi_1 phi_2 phi_0 psi_1 psi_2 gamma.
	# Row 51 is step 1250; its 5th cell is psi_2.
	assert_equal "$(tr ',' '\n' <<<"$steps" | sed -n 51p)" 1250
	awk '{ for (i = 1; i <= NF; i++) if (i == 50 * 6 + 5) $i = sprintf("%.17g", $i * (1 + 1e-6)) } 1' ref.tsv >perturbed.tsv
	run awk -v steps="$steps" -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv perturbed.tsv
	assert_failure
	assert_output --partial "step 1250: psi_2: ours"
	assert_output --regexp 'worst relative error 1e-06 at step 1250 \(psi_2\)'
	assert_output --partial "1 cells out of tolerance"
	# a perturbation well inside the tolerance passes
	awk '{ for (i = 1; i <= NF; i++) if (i == 50 * 6 + 5) $i = sprintf("%.17g", $i * (1 + 1e-10)) } 1' ref.tsv >small.tsv
	run awk -v steps="$steps" -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv small.tsv
	assert_success
	# the first cell of all, phi_1 at step 0
	awk '{ $1 = "0.20000001" } 1' ref.tsv >first.tsv
	run awk -v steps="$steps" -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv first.tsv
	assert_failure
	assert_output --partial "step 0: phi_1: ours 0.2, golden 0.20000001"
}

@test "compare-states.awk: the absolute floor 1e-12 for values near zero" {
	# one species, one step: phi_1 phi_0 psi_1 gamma in both layouts
	printf '0.5\t0.5\t0.9\t1e-21\n' >ours.tsv
	printf '0.5\t0.5\t0.9\t0\n' >ref.tsv
	run awk -v steps=7 -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv ref.tsv
	assert_success
	printf '0.5\t0.5\t0.9\t1e-19\n' >ours.tsv
	run awk -v steps=7 -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv ref.tsv
	assert_failure
	assert_output --partial "step 7: gamma: ours 1e-19, golden 0, relative error 1e-07 > 1e-08"
	# the tolerance can be given
	run awk -v steps=7 -v rtol=1e-6 -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv ref.tsv
	assert_success
}

@test "compare-states.awk fails on a shape mismatch, a missing step or a NaN" {
	golden_inputs case1
	solve -m "$GOLDEN/case1.model.json" --steps "$steps" -i theta.mpk |
		mpcat --tsv state.phi state.phi0 state.psi state.gamma >ours.tsv
	# a step fewer in ours
	solve -m "$GOLDEN/case1.model.json" --steps "${steps%,*}" -i theta.mpk |
		mpcat --tsv state.phi state.phi0 state.psi state.gamma >short.tsv
	run awk -v steps="$steps" -f "$BATS_TEST_DIRNAME/compare-states.awk" short.tsv ref.tsv
	assert_failure
	assert_output --partial "ours has 600 cells, the golden file 606"
	# a NaN in ours
	awk -F'\t' -v OFS='\t' '{ $7 = "NaN" } 1' ours.tsv >nan.tsv
	run awk -v steps="$steps" -f "$BATS_TEST_DIRNAME/compare-states.awk" nan.tsv ref.tsv
	assert_failure
	assert_output --partial "not a number: ours 'NaN'"
	# no steps given
	run awk -f "$BATS_TEST_DIRNAME/compare-states.awk" ours.tsv ref.tsv
	assert_failure
	assert_output --partial "give -v steps="
}
