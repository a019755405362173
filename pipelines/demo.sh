#!/bin/sh
# make demo: solve the Case II models M1, M2, M3 (and the validation model
# M3val) of the paper at their true parameters and print the final states,
# then the TSM moments and the likelihood of synthetic data at the truth,
# then a TMCMC run on an analytic test density with a known answer.
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

# Transitional MCMC to beta = 1 on the analytic two-component mixture
# (weights 0.3, 0.7 at (0.8, 0.8) and (2.2, 2.2), sd 0.1, U(0, 3)^2 prior),
# against the exact log-evidence and mode weights.
printf '\nTMCMC on a bimodal test density (pipelines/tmcmc.sh, N = 1000, seed 1)\n\n'
pipelines/tmcmc.sh -q -p examples/tmcmc/prior.json -N 1000 -s 1 \
	-e "$bin/analytic-loglik examples/tmcmc/mixture.json" -d "$tmp/tmcmc"
exact=$("$bin"/analytic-loglik --exact --prior examples/tmcmc/prior.json examples/tmcmc/mixture.json |
	"$bin"/mpcat --from-json | "$bin"/mpcat --tsv log_evidence weights)
"$bin"/mpcat -i "$tmp/tmcmc/posterior.mpk" --tsv theta | awk -v exact="$exact" '
	$1 < 1.5 { low++ } { n++ }
	END { split(exact, x, "\t")
	      printf "\nmode weights %.3f %.3f (exact %.3f %.3f)\n", low / n, 1 - low / n, x[2], x[3]
	      printf "log-evidence exact %.4f\n", x[1] }'
