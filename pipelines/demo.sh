#!/bin/sh
# make demo: solve the Case II models M1, M2, M3 (and the validation model
# M3val) of the paper at their true parameters and print the final states,
# then the TSM moments and the likelihood of synthetic data at the truth.
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

# The TSM moments at the end of each run, and the likelihood (paper eq. 29)
# of synthetic data (20 points, sigma_obs 0.005) at the truth.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '\nTSM at the true parameters (cov 0.005): phibar at the end, and log L of 20 noisy data points\n\n'
printf '%-6s  %-62s %s\n' model "phibar_i mean +- sd" "log L"
for m in M1 M2 M3 M3val; do
	model=examples/case2/$m.json
	"$bin"/mpcat --from-json examples/case2/$m.truth.jsonl -o "$tmp/theta.mpk"
	"$bin"/solve -m "$model" --observe 20 --seed 1 -i "$tmp/theta.mpk" -o "$tmp/data.mpk"
	loglik=$("$bin"/sensitivity -m "$model" --data "$tmp/data.mpk" -i "$tmp/theta.mpk" | "$bin"/mpcat --tsv loglik)
	"$bin"/sensitivity -m "$model" --steps "$(awk -F'[:,]' '/"steps"/{gsub(/ /,"",$2); print $2}' "$model")" \
		-i "$tmp/theta.mpk" | "$bin"/mpcat --tsv mean var |
		awk -F'\t' -v m="$m" -v l="$loglik" '{
			n = NF / 2; s = ""
			for (i = 1; i <= n; i++) s = s sprintf("%.4f+-%.4f ", $i, sqrt($(n + i)))
			printf "%-6s  %-62s %.2f\n", m, s, l
		}'
done
