#!/bin/sh
# make demo: the Case II calibration of the paper (Fritsch et al. 2025),
# quick preset (examples/case2/quick.json: N = 200 per level, at most 8 MH
# steps per stage). First the four models at their true parameters, then
# the synthetic data (examples/case2/Makefile), then `infer`: M1, M2, M3
# in turn, the summary of each level, the recovery of all 14 parameters and
# the validation run M3val against its data, a T-maze agent, and the
# figures of all of it (pipelines/figures.mk). The streams land in
# demo-out/case2, the figures in demo-out/case2/figures.
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

# The synthetic data: 20 points per model, each from its own run at theta ~
# N(truth, (0.005 truth)^2), plus N(0, 0.005^2) noise (examples/case2/Makefile).
make -s -C examples/case2 BIN="$PWD/$bin"
out=demo-out/case2
mkdir -p "$out"
printf '\nCalibration: bin/infer examples/case2/quick.json (N = 200 per level, %s threads)\n\n' "$(nproc)"
"$bin"/infer examples/case2/quick.json -o "$out/posterior.mpk" -p "$out/predictive.mpk" --every 1 |
	tee "$out/summary.txt"

# All 14 parameters: truth against the posterior (the rows of the tables above)
printf 'Recovery of the 14 parameters (truth inside the 95%% interval: yes/no)\n\n'
awk '/^level / { level = $2 }
     /^parameter / { t = 1; next }
     /^correlation/ { t = 0 }
     t && NF == 7 { printf "%-6s %-4s truth %-5s mean %-8.4g std %-8.3g %s\n", $1, level, $2, $3, $5,
                    ($6 <= $2 && $2 <= $7) ? "yes" : "no" }' "$out/summary.txt"

# The validation run: M3val (antibiotics from step 500) at the M3 posterior,
# against its own data, which the calibration never saw.
printf '\nValidation M3val: data against the posterior predictive (mean +- 2 sd_data: model and noise)\n\n'
"$bin"/mpcat -i examples/case2/M3val.data.mpk --tsv step phibar >"$out/val.data.tsv"
"$bin"/mpcat -i "$out/predictive.mpk" --tsv level step mean sd_data | awk '$1 == "validation"' >"$out/val.pred.tsv"
awk -F'\t' '
	NR == FNR { for (k = 1; k <= NF / 5; k++) { step[++n] = $k; for (i = 1; i <= 4; i++) y[n, i] = $(NF / 5 + (k - 1) * 4 + i) } next }
	{ m = (NF - 2) / 2; for (i = 1; i <= m; i++) { mu[$2, i] = $(2 + i); sd[$2, i] = $(2 + m + i) } }
	END {
		for (j = 1; j <= n; j++) {
			s = step[j]; line = sprintf("step %5d:", s)
			for (i = 1; i <= 4; i++) {
				d = (y[j, i] - mu[s, i]) / sd[s, i]; inside += (d * d <= 4); total++
				line = line sprintf("  %.4f (%.4f+-%.4f)", y[j, i], mu[s, i], 2 * sd[s, i])
			}
			print line
		}
		printf "\n%d of %d data points inside the band\n", inside, total
	}' "$out/val.data.tsv" "$out/val.pred.tsv"
printf '\nStreams in %s: posterior.mpk (bin/mpcat -i ... --tsv --headers level log_evidence),\npredictive.mpk, summary.txt\n' "$out"

# The other system: a pymdp-compatible agent in pymdp's T-maze, 100 trials
# of 3 steps (centre, then its choice twice): it asks the cue first, then
# goes to the arm the cue names.
printf '\nT-maze agent (examples/agent/tmaze.json): 100 trials of 3 steps\n\n'
"$bin"/agent -m examples/agent/tmaze.json --env tmaze --steps 3 --episodes 100 --seed 1 -o "$out/tmaze.mpk"
"$bin"/mpcat -i "$out/tmaze.mpk" --tsv id t obs action | awk -F'\t' '
	# columns: id, t, obs (location, reward, cue), action (location, condition)
	$2 == 1 { cue += ($3 == 3) }
	$2 == 2 { n++; reward += ($4 == 1); loss += ($4 == 2) }
	END { printf "first move to the cue: %d of %d trials; then reward %d, loss %d\n", cue, n, reward, loss }'
printf 'Steps in %s/tmaze.mpk (bin/mpcat -i ... --tsv id t obs action q_pi)\n' "$out"

# The figures of the paper from these streams (pipelines/figures.mk, gnuplot)
fig=$out/figures
printf '\nFigures (pipelines/figures.mk OUT=%s AGENT=%s/tmaze.mpk)\n\n' "$out" "$out"
make -s -j "$(nproc)" -f pipelines/figures.mk OUT="$out" AGENT="$out/tmaze.mpk" FIG="$fig" >/dev/null
for f in "$fig"/*.png; do
	case $(basename "$f" .png) in
	fit-validation) what="M3val (antibiotics from step 500) at the M3 posterior against its own data" ;;
	fit-*) what="data against the posterior predictive: phibar, phi, psi with mean +- 2 sd" ;;
	pairs-*) what="posterior pair plot: histograms, scatter, correlations, truth" ;;
	recovery) what="the 14 parameters: truth against posterior mean +- 1 sd" ;;
	diagnostics) what="TMCMC per stage and level: beta, ESS, acceptance, log-evidence" ;;
	prior-*) what="prior predictive: 50 draws of the prior, solved, against the data" ;;
	agent) what="T-maze episode 0: beliefs over time and the policy posterior" ;;
	*) what= ;;
	esac
	printf '  %-22s %s\n' "$(basename "$f")" "$what"
done
printf '\nFigures in %s (PNG and SVG; the tables they were drawn from in %s/tsv)\n' "$fig" "$fig"
