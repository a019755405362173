#!/bin/sh
# make demo: solve the Case II models M1, M2, M3 (and the validation model
# M3val) of the paper at their true parameters and print the final states.
# Later issues grow this into the whole calibration.
set -eu
cd "$(dirname "$0")/.."
bin=bin
printf 'Case II at the true parameters (Fritsch et al. 2025, table 3): final states\n\n'
printf '%-6s %6s %8s  %-36s %-36s %s\n' model steps t_end "phi_1..phi_n (phi_0)" "psi_1..psi_n" "newton/step"
for m in M1 M2 M3 M3val; do
	model=examples/case2/$m.json
	"$bin"/mpcat --from-json examples/case2/$m.truth.jsonl |
		"$bin"/solve -m "$model" --steps "$(awk -F'[:,]' '/"steps"/{gsub(/ /,"",$2); print $2}' "$model")" |
		"$bin"/mpcat --tsv id step t state.phi state.phi0 state.psi newton_iterations |
		awk -F'\t' -v m="$m" '{
			n = (NF - 5) / 2   # id step t, n phi, phi0, n psi, iterations
			phi = ""; for (i = 4; i < 4 + n; i++) phi = phi sprintf("%.4f ", $i)
			phi = phi sprintf("(%.4f)", $(4 + n))
			psi = ""; for (i = 5 + n; i < 5 + 2 * n; i++) psi = psi sprintf("%.4f ", $i)
			printf "%-6s %6d %8.4f  %-36s %-36s %.2f\n", m, $2, $3, phi, psi, $NF / $2
		}'
done
