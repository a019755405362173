#!/usr/bin/env bats
# sensitivity: the TSM sensitivities against finite differences of whole
# trajectories (1 to 6 species), the eq. 29 log-likelihood against an
# independent computation, --sigma-obs, --cov, --aleatory, the error paths
# (exit 2 bad input or usage), and the stream behaviour (--shard, -o,
# headers, step 0, agreement with solve).

load helpers

# ---- helpers ----

# species_model N DT STEPS ANTIBIOTICS [TOLERANCE]: a model file for N
# species: eta 1, 1.25, 1.5, ...; phi0 0.5/N + 0.01 i (sum 0.5 + 0.005 N(N+1)
# <= 0.71); nutrients 100; ANTIBIOTICS as JSON (a number or a schedule);
# Newton tolerance 1e-12 unless given (the solver raises it to its
# rounding floor 4 eps max|g| / dt, 8.9e-11 at dt = 1e-5).
species_model() {
	awk -v n="$1" -v dt="$2" -v steps="$3" -v ab="$4" -v tol="${5:-1e-12}" 'BEGIN {
		printf "{\"species\": %d, \"dt\": %s, \"steps\": %d, \"eta\": [", n, dt, steps
		for (i = 1; i <= n; i++) printf "%s%.2f", (i > 1 ? ", " : ""), 1 + 0.25 * (i - 1)
		printf "], \"phi0\": ["
		for (i = 1; i <= n; i++) printf "%s%.4f", (i > 1 ? ", " : ""), 0.5 / n + 0.01 * i
		printf "], \"nutrients\": 100, \"antibiotics\": %s, \"tolerance\": %s}\n", ab, tol
	}'
}

# random_thetas N K: K theta records (ids 1..K) for N species, a_ij uniform
# in [0.5, 2], b_i in [0.1, 0.4]; deterministic (awk's srand(N)).
random_thetas() {
	awk -v n="$1" -v k="$2" 'BEGIN {
		srand(n)
		for (r = 1; r <= k; r++) {
			printf "{\"id\":%d,\"theta\":[", r
			sep = ""
			for (i = 1; i <= n; i++)
				for (j = i; j <= n; j++) { printf "%s%.6g", sep, 0.5 + 1.5 * rand(); sep = "," }
			for (i = 1; i <= n; i++) printf ",%.6g", 0.1 + 0.3 * rand()
			print "]}"
		}
	}' | mpcat --from-json
}

# compare_jacobians N DT ROWS TSM FD FD2: compare every dstate_dtheta entry
# of TSM (sensitivity --jacobian) with FD (--method fd, relative step
# h = 1e-5) and FD2 (--method fd --fd-step 2e-5), ROWS saved steps each.
#
# Tolerance of an entry, |tsm - fd| <= 1e-5 |fd| + |fd - fd2| + noise:
# - the central difference has a truncation error C h^2; fd2 has 4 C h^2, so
#   |fd - fd2| = 3 C h^2 bounds it (with a factor 3 to spare). It is tiny
#   almost everywhere (it only matters near strong nonlinearity, e.g. a
#   species pressed against the phi_0 penalty wall, where C h^2 reaches
#   1e-5 relative at h = 1e-5);
# - rounding noise of fd: the states are known to about 4 eps max|g| (each
#   step's Newton solution is accurate to the residual's rounding floor
#   4 eps max|g| / dt times dt for phi, phi_0 and psi, all in (0, 1)), so the
#   difference quotient carries 4 eps / H with H = h max(|theta_p|, 1) the
#   absolute step; gamma enters the residual without a 1/dt, so it is only
#   known to the floor itself, 4 eps / dt, and its noise is 4 eps / (dt H);
# - 1e-5 relative for the rest (the TSM is the exact derivative of the
#   discrete map at states converged to ~1e-12; this is slack).
# Prints the worst ratio |tsm - fd| / tolerance and where it is; fails when
# it exceeds 1, when the shapes, ids or statuses differ, or when fewer than
# half of the entries at steps > 0 are "significant" (tolerance below
# 1e-3 |fd|), so that the comparison cannot pass by being vacuous. Measured
# on the models of fd_check: worst ratios 0.05 to 0.3, every entry
# significant; with the history term dropped (as in the seed's code) the
# worst ratio is 1e5 to 1e9, and with the sign of dQ/db_i flipped it fails
# too.
compare_jacobians() {
	local n=$1 dt=$2 rows=$3
	paste <(mpcat --tsv id status -i "$4") <(mpcat --tsv id status -i "$5") <(mpcat --tsv id status -i "$6") |
		awk -F'\t' '$1 != $3 || $1 != $5 || $2 != "ok" || $4 != "ok" || $6 != "ok" {
			printf "record %d: tsm id %s status %s; fd id %s status %s; fd(2h) id %s status %s\n", NR, $1, $2, $3, $4, $5, $6
			bad = 1 } END { exit bad }' || return 1
	paste <(mpcat --tsv id status theta dstate_dtheta -i "$4") \
		<(mpcat --tsv id status theta dstate_dtheta -i "$5") \
		<(mpcat --tsv id status theta dstate_dtheta -i "$6") >joined.tsv
	awk -F'\t' -v n="$n" -v dt="$dt" -v R="$rows" '
	function abs(x) { return x < 0 ? -x : x }
	function name(s) {
		if (s < n) return "phi_" (s + 1)
		if (s == n) return "phi_0"
		if (s < 2 * n + 1) return "psi_" (s - n)
		return "gamma"
	}
	BEGIN { eps = 2.220446049250313e-16; h = 1e-5; d = 2 * n + 2; P = n * (n + 1) / 2 + n; worst = 0 }
	{
		m = NF / 3
		if (NF % 3 || m != 2 + P + R * d * P) {
			printf "record %d: %d cells, expected 3 x %d\n", NR, NF, 2 + P + R * d * P; bad = 1; next
		}
		if ($1 != $(m + 1) || $1 != $(2 * m + 1)) { printf "record %d: ids %s %s %s\n", NR, $1, $(m + 1), $(2 * m + 1); bad = 1 }
		if ($2 != "ok" || $(m + 2) != "ok" || $(2 * m + 2) != "ok") {
			printf "record %d: status %s / %s / %s\n", NR, $2, $(m + 2), $(2 * m + 2); bad = 1; next
		}
		for (k = 0; k < R * d * P; k++) {
			r = int(k / (d * P)); s = int(k / P) % d; p = k % P
			t = $(2 + P + 1 + k); f = $(m + 2 + P + 1 + k); f2 = $(2 * m + 2 + P + 1 + k)
			th = abs($(2 + 1 + p)); H = h * (th > 1 ? th : 1)
			noise = (s == d - 1 ? 4 * eps / dt : 4 * eps) / H
			floor = abs(f - f2) + noise
			tol = 1e-5 * abs(f) + floor
			ratio = abs(t - f) / tol
			if (ratio > worst) {
				worst = ratio
				at = sprintf("record %s, row %d, d %s / d theta[%d]: tsm %.17g fd %.17g fd(2h) %.17g", $1, r, name(s), p, t, f, f2)
			}
			if (r > 0) { later++; if (floor < 1e-3 * abs(f)) significant++ }
		}
		records++
	}
	END {
		printf "%d records, %d entries at steps > 0, %d significant; worst |tsm - fd| / tolerance %.3g at %s\n",
			records, later, significant, worst, at
		if (worst > 1 || significant < 0.5 * later || records == 0) bad = 1
		exit bad
	}' joined.tsv
}

# loglik_awk N SIGMA MOMENTS DATA: eq. 29 computed here from the moments
# (mpcat --tsv step mean var of one moments record) and the data (mpcat
# --tsv step phibar, one line per data record): the sum over points and
# species of -0.5 log(2 pi s2) - 0.5 (d - mean)^2 / s2, s2 = var + SIGMA^2.
loglik_awk() {
	awk -F'\t' -v n="$1" -v sigma="$2" '
	FNR == NR {
		R = NF / (1 + 2 * n)
		for (r = 0; r < R; r++) {
			row[$(r + 1)] = r
			for (i = 1; i <= n; i++) {
				mu[r, i] = $(R + r * n + i)
				var[r, i] = $(R + R * n + r * n + i)
			}
		}
		next
	}
	{
		K = NF / (1 + n)
		for (j = 1; j <= K; j++) {
			if (!($j in row)) { print "data step " $j " not in the moments"; exit 1 }
			r = row[$j]
			for (i = 1; i <= n; i++) {
				y = $(K + (j - 1) * n + i); s2 = var[r, i] + sigma * sigma
				sum += -0.5 * log(2 * 3.141592653589793 * s2) - 0.5 * (y - mu[r, i]) ^ 2 / s2
				points++
			}
		}
	}
	END { printf "%.17g %d\n", sum, points }' "$3" "$4"
}

# close_to GOT WANT RTOL: |GOT - WANT| <= RTOL |WANT|, printing both.
close_to() {
	awk -v a="$1" -v b="$2" -v rtol="$3" 'BEGIN {
		d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b
		printf "got %.17g, want %.17g, relative difference %.3g\n", a, b, (s > 0 ? d / s : d)
		exit !(a == a + 0 && b == b + 0 && d <= rtol * s)
	}'
}

# cells_close A B RTOL [ATOL]: two tables of numbers of the same shape agree
# cell by cell, |a - b| <= RTOL |b| + ATOL; prints the worst cell.
cells_close() {
	paste "$1" "$2" | awk -F'\t' -v rtol="$3" -v atol="${4:-0}" '
	function abs(x) { return x < 0 ? -x : x }
	{
		if (NF % 2) { print "row " NR ": the tables differ in shape"; bad = 1; next }
		m = NF / 2
		for (j = 1; j <= m; j++) {
			a = $j; b = $(m + j); d = abs(a - b); cells++
			r = d / (rtol * abs(b) + atol + 1e-300)
			if (r > worst) { worst = r; at = sprintf("row %d cell %d: %.17g vs %.17g", NR, j, a, b) }
		}
	}
	END {
		printf "%d rows, %d cells; worst difference / tolerance %.3g %s\n", NR, cells, worst, at
		exit bad || NR == 0 || worst > 1
	}'
}

# one_theta ID THETA...: a theta record as a stream.
one_theta() {
	local id=$1
	shift
	printf '{"id":%s,"theta":[%s]}\n' "$id" "$(tr ' ' ',' <<<"$*")" | mpcat --from-json
}

# ---- TSM against finite differences ----

# fd_check DT: for 1 to 6 species, models with time step DT (300 steps,
# antibiotics constant for odd n, switched up after step 150 for even n)
# and 3 random thetas each: compare_jacobians at steps 0, 1, 2, 150, 151,
# 300. Goes through every n, then fails if any failed.
fd_check() {
	local dt=$1 n ab failed=0 steps=0,1,2,150,151,300
	for n in 1 2 3 4 5 6; do
		if ((n % 2)); then ab=10; else ab='{"after_step": 150, "before": 5, "after": 50}'; fi
		species_model $n "$dt" 300 "$ab" >m$n.json
		random_thetas $n 3 >th$n.mpk
		sensitivity -m m$n.json --jacobian --steps $steps -i th$n.mpk -o tsm$n.mpk
		sensitivity -m m$n.json --jacobian --method fd --steps $steps -i th$n.mpk -o fd$n.mpk
		sensitivity -m m$n.json --jacobian --method fd --fd-step 2e-5 --steps $steps -i th$n.mpk -o fd2$n.mpk
		echo "species $n, dt $dt:"
		compare_jacobians $n "$dt" 6 tsm$n.mpk fd$n.mpk fd2$n.mpk || failed=1
	done
	return $failed
}

@test "--jacobian: the TSM matches central differences of whole trajectories, 1 to 6 species, dt 1e-5" {
	run fd_check 1e-5
	echo "$output"
	assert_success
}

@test "--jacobian: the TSM matches central differences of whole trajectories, 1 to 6 species, dt 1e-4" {
	# larger steps, stronger dynamics: some species press against the phi_0
	# penalty wall, where the truncation estimate |fd - fd(2h)| matters
	run fd_check 1e-4
	echo "$output"
	assert_success
}

@test "--jacobian: the sensitivities are not those without the history term" {
	# Dropping dQ/dg_{k-1} x1_{k-1} leaves x1_k = -J_k^-1 dQ/dtheta, a single
	# step's response, of order dt; the true sensitivities grow with time.
	# d phi_1 / d a11 after 300 steps must be far from one step's worth.
	species_model 2 1e-5 300 10 >m.json
	random_thetas 2 1 >th.mpk
	sensitivity -m m.json --jacobian --steps 1,300 -i th.mpk -o j.mpk
	run mpcat --tsv dstate_dtheta -i j.mpk
	# row 1 (step 1), state phi_1, column a11 is cell 1; row 2 starts at 6 x 5 + 1
	run awk -F'\t' '{ one = $1; last = $31; if (one < 0) one = -one; if (last < 0) last = -last
		printf "step 1: %.3g, step 300: %.3g\n", one, last; exit !(one > 0 && last > 50 * one) }' <<<"$output"
	echo "$output"
	assert_success
}

@test "--jacobian: dstate_dtheta has a [state][parameter] matrix per saved step, zero at step 0" {
	species_model 3 1e-5 50 10 >m.json
	random_thetas 3 1 >th.mpk
	sensitivity -m m.json --jacobian --steps 0,10,50 -i th.mpk -o j.mpk
	# 3 steps x 8 states x 9 parameters
	if command -v jq >/dev/null; then
		run bash -c "mpcat --no-header j.mpk | jq -c '[(.dstate_dtheta | length), (.dstate_dtheta[] | length), (.dstate_dtheta[][] | length)] | unique'"
		assert_output '[3,8,9]'
	fi
	run mpcat --tsv dstate_dtheta -i j.mpk
	assert_equal "$(awk -F'\t' '{ print NF }' <<<"$output")" 216
	assert_equal "$(cut -f1-72 <<<"$output" | tr '\t' '\n' | sort -u)" 0
	refute [ "$(cut -f73-216 <<<"$output" | tr '\t' '\n' | sort -u)" = 0 ]
	# the header says so
	run bash -c 'mpcat j.mpk | head -1'
	assert_output --partial '"method":"tsm","jacobian":true'
	sensitivity -m m.json --steps 0,10,50 -i th.mpk -o nojac.mpk
	run mpcat --no-header nojac.mpk
	refute_output --partial dstate_dtheta
	run bash -c 'mpcat nojac.mpk | head -1'
	assert_output --partial '"method":"tsm","jacobian":false'
}

# ---- the log-likelihood ----

# loglik_setup: m.json (M1-like, 200 steps), data.mpk (two data sets of 8
# points made at the M1 truth, seed 5), th.mpk (one theta away from the
# truth), $steps (the data steps), mom.tsv (the moments there), dat.tsv.
loglik_setup() {
	model_json tolerance=1e-10 >m.json
	theta_stream 1 2 | solve -m m.json --observe 8 --seed 5 >data.mpk
	one_theta '"x"' 0.9 1.8 1.1 0.12 0.18 >th.mpk
	steps=$(mpcat --tsv step -i data.mpk | head -1 | tr '\t' ',')
	[ "$(mpcat --tsv step -i data.mpk | sort -u | wc -l)" -eq 1 ] || fail "the data sets have different steps"
	mpcat --tsv step phibar -i data.mpk >dat.tsv
}

@test "--data: the log-likelihood is eq. 29 over the moments at the data steps" {
	loglik_setup
	assert_equal "$(mpcat --tsv sigma_obs -i data.mpk | sort -u)" 0.005
	sensitivity -m m.json --steps "$steps" -i th.mpk | mpcat --tsv step mean var >mom.tsv
	want=$(loglik_awk 2 0.005 mom.tsv dat.tsv)
	assert_equal "${want#* }" 32
	run --separate-stderr sensitivity -m m.json --data data.mpk -i th.mpk -o ll.mpk
	assert_success
	stderr_empty
	run mpcat --tsv id status -i ll.mpk
	assert_output "x	ok"
	run close_to "$(mpcat --tsv loglik -i ll.mpk)" "${want% *}" 1e-9
	echo "$output"
	assert_success
	# the record is {"id", "loglik", "status", "newton_iterations"}
	run mpcat --no-header ll.mpk
	assert_output --regexp '^\{"id":"x","loglik":-?[0-9.e+-]+,"status":"ok","newton_iterations":[1-9][0-9]*\}$'
	# the variance matters: without it (sigma only) the value differs
	awk -F'\t' '{ for (i = 1; i <= NF; i++) if (i > NF / 5 * 3) $i = 0; print }' OFS='\t' mom.tsv >novar.tsv
	novar=$(loglik_awk 2 0.005 novar.tsv dat.tsv)
	run close_to "$(mpcat --tsv loglik -i ll.mpk)" "${novar% *}" 1e-6
	assert_failure
}

@test "--data: each data record is a data set; their log-likelihoods add" {
	loglik_setup
	mpcat --head 1 data.mpk | mpcat --from-json >first.mpk
	mpcat --json data.mpk | sed -n '1p;3p' | mpcat --from-json >second.mpk
	a=$(sensitivity -m m.json --data first.mpk -i th.mpk | mpcat --tsv loglik)
	b=$(sensitivity -m m.json --data second.mpk -i th.mpk | mpcat --tsv loglik)
	both=$(sensitivity -m m.json --data data.mpk -i th.mpk | mpcat --tsv loglik)
	run close_to "$both" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.17g", a + b }')" 1e-12
	echo "$output"
	assert_success
	run bash -c 'sensitivity -m m.json --data first.mpk -i th.mpk | mpcat | head -1'
	assert_output --partial '"points":8}'
}

@test "--sigma-obs S overrides the data's sigma_obs" {
	loglik_setup
	sensitivity -m m.json --steps "$steps" -i th.mpk | mpcat --tsv step mean var >mom.tsv
	for s in 0.01 0.002; do
		want=$(loglik_awk 2 $s mom.tsv dat.tsv)
		sensitivity -m m.json --data data.mpk --sigma-obs $s -i th.mpk -o ll.mpk
		run close_to "$(mpcat --tsv loglik -i ll.mpk)" "${want% *}" 1e-9
		echo "$output"
		assert_success
		run bash -c 'mpcat ll.mpk | head -1'
		assert_output --partial "\"sigma_obs\":$s,"
	done
	# and the data's own 0.005 is not what was used
	default=$(sensitivity -m m.json --data data.mpk -i th.mpk | mpcat --tsv loglik)
	run close_to "$(mpcat --tsv loglik -i ll.mpk)" "$default" 1e-6
	assert_failure
}

@test "--data without sigma_obs in the data needs --sigma-obs" {
	loglik_setup
	mpcat --json data.mpk | sed 's/,"sigma_obs":0\.005//' | mpcat --from-json >nosigma.mpk
	assert_equal "$(mpcat --tsv sigma_obs -i nosigma.mpk | paste -s -d,)" ,
	run --separate-stderr sensitivity -m m.json --data nosigma.mpk -i th.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: nosigma.mpk: the data do not say their 'sigma_obs'; give '--sigma-obs S'"
	[ ! -e ll.mpk ]
	sensitivity -m m.json --steps "$steps" -i th.mpk | mpcat --tsv step mean var >mom.tsv
	want=$(loglik_awk 2 0.005 mom.tsv dat.tsv)
	run --separate-stderr sensitivity -m m.json --data nosigma.mpk --sigma-obs 0.005 -i th.mpk -o ll.mpk
	assert_success
	run close_to "$(mpcat --tsv loglik -i ll.mpk)" "${want% *}" 1e-9
	assert_success
}

@test "--data: records that disagree on sigma_obs need --sigma-obs" {
	loglik_setup
	mpcat --json data.mpk | awk 'NR == 3 { sub(/"sigma_obs":0\.005/, "\"sigma_obs\":0.01") } 1' | mpcat --from-json >mixed.mpk
	assert_equal "$(mpcat --tsv sigma_obs -i mixed.mpk | paste -s -d,)" 0.005,0.01
	run --separate-stderr sensitivity -m m.json --data mixed.mpk -i th.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: mixed.mpk: record 2: 'sigma_obs' differs from an earlier record's 0.005; give '--sigma-obs S'"
	[ ! -e ll.mpk ]
	# told which, it takes that one for every record
	a=$(sensitivity -m m.json --data mixed.mpk --sigma-obs 0.007 -i th.mpk | mpcat --tsv loglik)
	b=$(sensitivity -m m.json --data data.mpk --sigma-obs 0.007 -i th.mpk | mpcat --tsv loglik)
	assert_equal "$a" "$b"
}

@test "--data - reads the data from stdin when the thetas come with -i" {
	loglik_setup
	sensitivity -m m.json --data data.mpk -i th.mpk >want.mpk
	sensitivity -m m.json --data - -i th.mpk <data.mpk >got.mpk
	cmp want.mpk got.mpk
	for input in '' '-i -'; do
		run --separate-stderr sensitivity -m m.json --data - $input <data.mpk
		assert_failure 2
		assert_output ''
		stderr_has "the data and the thetas cannot both come from stdin"
	done
}

@test "--data: a variance that overflows gets loglik -inf and a status naming the step and species; exit 0" {
	loglik_setup
	run --separate-stderr sensitivity -m m.json --data data.mpk --cov 1e200 -i th.mpk -o ll.mpk
	assert_success
	run mpcat --tsv id loglik status -i ll.mpk
	assert_output "x	-Infinity	variance not positive and finite at step ${steps%%,*}, species 1"
	run --separate-stderr sensitivity -m m.json --data data.mpk --cov inf -i th.mpk
	assert_failure 2
	stderr_has "'--cov' must be a finite number, got 'inf'"
}

@test "--cov 0: every variance is 0 and the log-likelihood is that of Gaussian noise alone" {
	loglik_setup
	sensitivity -m m.json --cov 0 --steps "$steps" -i th.mpk -o mom0.mpk
	run mpcat --tsv var -i mom0.mpk
	assert_equal "$(tr '\t' '\n' <<<"$output" | sort -u)" 0
	assert_equal "$(tr '\t' '\n' <<<"$output" | wc -l)" 16
	run bash -c 'mpcat mom0.mpk | head -1'
	assert_output --partial '"cov":0.0,'
	# the means do not depend on --cov
	sensitivity -m m.json --steps "$steps" -i th.mpk | mpcat --tsv mean >mean_default
	mpcat --tsv mean -i mom0.mpk >mean0
	cmp mean_default mean0
	# eq. 29 with s2 = sigma^2: -0.5 log(2 pi s^2) - 0.5 r^2 / s^2
	mpcat --tsv step mean var -i mom0.mpk >mom.tsv
	want=$(awk -F'\t' -v s=0.005 'NR == FNR { R = NF / 5; for (r = 0; r < R; r++) for (i = 1; i <= 2; i++) mu[$(r + 1), i] = $(R + 2 * r + i); next }
		{ K = NF / 3; for (j = 1; j <= K; j++) for (i = 1; i <= 2; i++) { y = $(K + 2 * (j - 1) + i)
			sum += -0.5 * log(2 * 3.141592653589793 * s * s) - 0.5 * (y - mu[$j, i]) ^ 2 / (s * s) } }
		END { printf "%.17g", sum }' mom.tsv dat.tsv)
	got=$(sensitivity -m m.json --cov 0 --data data.mpk -i th.mpk | mpcat --tsv loglik)
	run close_to "$got" "$want" 1e-9
	echo "$output"
	assert_success
	# --aleatory none is the same thing
	got=$(sensitivity -m m.json --aleatory none --data data.mpk -i th.mpk | mpcat --tsv loglik)
	run close_to "$got" "$want" 1e-12
	assert_success
}

@test "--cov C scales every variance by C^2" {
	loglik_setup
	sensitivity -m m.json --steps "$steps" -i th.mpk | mpcat --tsv var >v005
	sensitivity -m m.json --cov 0.02 --steps "$steps" -i th.mpk | mpcat --tsv var >v02
	awk -F'\t' '{ for (i = 1; i <= NF; i++) printf "%s%.17g", (i > 1 ? "\t" : ""), $i * 16; print "" }' v005 >v005x16
	run cells_close v02 v005x16 1e-12
	echo "$output"
	assert_success
	run --separate-stderr sensitivity -m m.json --cov -0.1 -i th.mpk
	assert_failure 2
	stderr_has "'--cov' must not be negative, got '-0.1'"
}

@test "--aleatory a11: the variance is (psi dphi + phi dpsi)^2 (cov a11)^2 from the a11 column" {
	model_json tolerance=1e-12 >m.json
	one_theta 1 0.9 1.8 1.1 0.12 0.18 >th.mpk
	steps=0,40,120,200
	sensitivity -m m.json --aleatory a11 --steps $steps -i th.mpk -o a11.mpk
	run bash -c 'mpcat a11.mpk | head -1'
	assert_output --partial '"cov":0.005,"aleatory":["a11"]'
	sensitivity -m m.json --jacobian --steps $steps -i th.mpk | mpcat --tsv dstate_dtheta >jac
	solve -m m.json --steps $steps -i th.mpk | mpcat --tsv state.phi state.psi >states
	# jac: 4 steps x 6 states x 5 parameters; a11 is column 0; states: 4 x 2
	# phi, then 4 x 2 psi. var_i = ((psi_i dphi_i + phi_i dpsi_i) 0.005 0.9)^2
	paste jac states | awk -F'\t' '{
		R = 4; n = 2; d = 6; P = 5; sd = 0.005 * 0.9
		for (r = 0; r < R; r++) for (i = 0; i < n; i++) {
			phi = $(R * d * P + r * n + i + 1); psi = $(R * d * P + R * n + r * n + i + 1)
			dphi = $(r * d * P + i * P + 1); dpsi = $(r * d * P + (n + 1 + i) * P + 1)
			v = (psi * dphi + phi * dpsi) * sd
			printf "%s%.17g", (r + i ? "\t" : ""), v * v
		}
		print ""
	}' >want
	mpcat --tsv var -i a11.mpk >got
	run cells_close got want 1e-9 1e-300
	echo "$output"
	assert_success
	# not every variance is zero (the check is not vacuous) and not that of all
	assert [ "$(cut -f3- got | tr '\t' '\n' | sort -u | grep -c .)" -eq 6 ]
	sensitivity -m m.json --steps $steps -i th.mpk | mpcat --tsv var >all
	run cells_close got all 1e-3
	assert_failure
}

@test "--aleatory: the variance is the sum of the one-parameter variances" {
	model_json tolerance=1e-12 >m.json
	one_theta 1 0.9 1.8 1.1 0.12 0.18 >th.mpk
	for p in a11 a12 a22 b1 b2; do
		sensitivity -m m.json --aleatory $p --every 50 -i th.mpk | mpcat --tsv var >v_$p
	done
	paste v_a11 v_a12 v_a22 v_b1 v_b2 | awk -F'\t' '{ m = NF / 5; for (j = 1; j <= m; j++) {
		s = 0; for (q = 0; q < 5; q++) s += $(q * m + j); printf "%s%.17g", (j > 1 ? "\t" : ""), s } print "" }' >sum
	sensitivity -m m.json --every 50 -i th.mpk | mpcat --tsv var >all
	run cells_close all sum 1e-12 1e-300
	echo "$output"
	assert_success
	# a subset, in any order, is taken in model order
	sensitivity -m m.json --aleatory b2,a11 --every 50 -i th.mpk -o sub.mpk
	run bash -c 'mpcat sub.mpk | head -1'
	assert_output --partial '"aleatory":["a11","b2"]'
	paste v_a11 v_b2 | awk -F'\t' '{ m = NF / 2; for (j = 1; j <= m; j++) printf "%s%.17g", (j > 1 ? "\t" : ""), $j + $(m + j); print "" }' >sum2
	mpcat --tsv var -i sub.mpk >got
	run cells_close got sum2 1e-12 1e-300
	assert_success
}

@test "--aleatory restricts the log-likelihood's variance too" {
	loglik_setup
	sensitivity -m m.json --aleatory a12,b1 --steps "$steps" -i th.mpk | mpcat --tsv step mean var >mom.tsv
	want=$(loglik_awk 2 0.005 mom.tsv dat.tsv)
	sensitivity -m m.json --aleatory a12,b1 --data data.mpk -i th.mpk -o ll.mpk
	run close_to "$(mpcat --tsv loglik -i ll.mpk)" "${want% *}" 1e-9
	echo "$output"
	assert_success
	run bash -c 'mpcat ll.mpk | head -1'
	assert_output --partial '"aleatory":["a12","b1"],"sigma_obs":0.005,"points":16}'
}

# ---- errors ----

@test "data with another species count than the model: exit 2 naming the file, record and field" {
	model_json >m.json
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	model_json species=3 'eta=[1, 1, 1]' 'phi0=[0.2, 0.2, 0.2]' >m3.json
	one_theta 1 1 1 1 1 1 1 0.1 0.1 0.1 >th3.mpk
	run --separate-stderr sensitivity -m m3.json --data d.mpk -i th3.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: d.mpk: record 1: 'phibar'[0] must be a row of 3 numbers, one per species of the model"
	[ ! -e ll.mpk ]
}

@test "data beyond the model's run, or made with another dt: exit 2 naming the file, record and field" {
	model_json >m.json
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	assert_equal "$(mpcat --tsv step -i d.mpk)" "$(printf '10\t57\t105\t152\t200')"
	theta_stream 1 >th.mpk
	model_json steps=100 >short.json
	run --separate-stderr sensitivity -m short.json --data d.mpk -i th.mpk
	assert_failure 2
	assert_output ''
	stderr_has "sensitivity: d.mpk: record 1: 'step'[2] is 105, beyond the model's 100 steps"
	model_json dt=2e-05 >dt.json
	run --separate-stderr sensitivity -m dt.json --data d.mpk -i th.mpk
	assert_failure 2
	assert_output ''
	stderr_has "sensitivity: d.mpk: record 1: 't'[0] is 0.0001 at step 10, but the model's dt 2e-05 makes it 0.0002"
	# a hand-made data stream: the second record is the bad one
	printf '%s\n' '{"step":[10],"t":[0.0001],"phibar":[[0.2,0.2]],"sigma_obs":0.005}' \
		'{"step":[20],"t":[0.0003],"phibar":[[0.2,0.2]],"sigma_obs":0.005}' | mpcat --from-json >hand.mpk
	run --separate-stderr sensitivity -m m.json --data hand.mpk -i th.mpk
	assert_failure 2
	stderr_has "hand.mpk: record 2: 't'[0] is 0.0003 at step 20"
	# without t the steps alone are taken
	printf '%s\n' '{"step":[10,20],"phibar":[[0.2,0.2],[0.2,0.2]],"sigma_obs":0.005}' | mpcat --from-json >not.mpk
	run --separate-stderr sensitivity -m m.json --data not.mpk -i th.mpk
	assert_success
}

@test "bad --sigma-obs values are usage errors (exit 2)" {
	model_json >m.json
	theta_stream 1 >th.mpk
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	for v in 0 -1 -0.005; do
		run --separate-stderr sensitivity -m m.json --data d.mpk --sigma-obs "$v" -i th.mpk
		assert_failure 2
		assert_output ''
		stderr_has "'--sigma-obs' must be positive, got '$v'"
	done
	for v in x '' 0.1x nan inf; do
		run --separate-stderr sensitivity -m m.json --data d.mpk --sigma-obs "$v" -i th.mpk
		assert_failure 2
		assert_output ''
		stderr_has "'--sigma-obs'"
		stderr_has "got '$v'"
	done
}

@test "a data stream that is not of kind data is refused (exit 2)" {
	model_json >m.json
	theta_stream 1 >th.mpk
	# a trajectory stream (kind trajectory)
	solve -m m.json --steps 0,10 -i th.mpk >traj.mpk
	run --separate-stderr sensitivity -m m.json --data traj.mpk -i th.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: traj.mpk: not a data stream (its header's 'kind' is not \"data\")"
	[ ! -e ll.mpk ]
	# a theta stream with a header of kind theta
	printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["a11","a12","a22","b1","b2"]}' \
		'{"id":1,"theta":[0.8,2,1,0.1,0.2]}' | mpcat --from-json >theta.mpk
	run --separate-stderr sensitivity -m m.json --data theta.mpk -i th.mpk
	assert_failure 2
	stderr_has "sensitivity: theta.mpk: not a data stream"
	# without a header, the records say what is missing
	run --separate-stderr sensitivity -m m.json --data th.mpk -i th.mpk
	assert_failure 2
	stderr_has "sensitivity: th.mpk: record 1: missing 'step'"
	# a data set from a failed run
	one_theta 1 80 2 1 0.1 0.2 | solve -m m.json --observe 5 >failed.mpk
	run --separate-stderr sensitivity -m m.json --data failed.mpk -i th.mpk
	assert_failure 2
	stderr_has "sensitivity: failed.mpk: record 1: the data run failed"
	# a missing file
	run --separate-stderr sensitivity -m m.json --data nofile.mpk -i th.mpk
	assert_failure 2
	stderr_has "sensitivity: nofile.mpk: No such file or directory"
}

@test "an unknown --aleatory name is an error naming it (exit 2)" {
	model_json >m.json
	theta_stream 1 >th.mpk
	run --separate-stderr sensitivity -m m.json --aleatory a11,x9 -i th.mpk
	assert_failure 2
	assert_output ''
	stderr_has "'--aleatory': the model has no parameter 'x9'"
	run --separate-stderr sensitivity -m m.json --aleatory a11,a11 -i th.mpk
	assert_failure 2
	stderr_has "'--aleatory': parameter 'a11' is named twice"
	run --separate-stderr sensitivity -m m.json --aleatory a11, -i th.mpk
	assert_failure 2
	stderr_has "is not a list of parameter names"
	run --separate-stderr sensitivity -m m.json --aleatory '' -i th.mpk
	assert_failure 2
	stderr_has "'--aleatory' is empty (give 'none' for no parameter)"
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	run --separate-stderr sensitivity -m m.json --aleatory b3 --data d.mpk -i th.mpk
	assert_failure 2
	stderr_has "the model has no parameter 'b3'"
}

@test "--steps beyond the run, or not a list of steps, is an error (exit 2)" {
	model_json steps=200 >m.json
	theta_stream 1 >th.mpk
	run --separate-stderr sensitivity -m m.json --steps 0,201 -i th.mpk
	assert_failure 2
	assert_output ''
	stderr_has "'--steps': step 201 is beyond the model's 200 steps"
	for v in x -1 1,,2 1.5; do
		run --separate-stderr sensitivity -m m.json --steps "$v" -i th.mpk
		assert_failure 2
		stderr_has "'--steps'"
	done
	run --separate-stderr sensitivity -m m.json --steps 200 -i th.mpk
	assert_success
}

@test "a bad theta record gets a loglik record with -inf and 'bad record'; the others are answered; exit 2" {
	model_json >m.json
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	printf '%s\n' '{"id":1,"theta":[0.8,2,1,0.1,0.2]}' '{"id":2,"theta":[0.8,2,1,0.1]}' \
		'{"id":3,"theta":"x"}' '{"id":4}' '{"id":5,"theta":[0.9,2,1,0.1,0.2]}' | mpcat --from-json >th.mpk
	run --separate-stderr sensitivity -m m.json --data d.mpk -i th.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: th.mpk: record 2: 'theta' must have 5 numbers, got 4"
	stderr_has "sensitivity: th.mpk: record 3: 'theta' must be a list of numbers"
	stderr_has "sensitivity: th.mpk: record 4: missing 'theta'"
	run mpcat --tsv id loglik status -i ll.mpk
	assert_equal "${#lines[@]}" 5
	assert_line -n 0 --regexp $'^1\t-?[0-9][0-9.e+-]*\tok$'
	assert_line -n 1 $'2\t-Infinity\tbad record: th.mpk: record 2: \'theta\' must have 5 numbers, got 4'
	assert_line -n 2 $'3\t-Infinity\tbad record: th.mpk: record 3: \'theta\' must be a list of numbers'
	assert_line -n 3 $'4\t-Infinity\tbad record: th.mpk: record 4: missing \'theta\''
	assert_line -n 4 --regexp $'^5\t-?[0-9][0-9.e+-]*\tok$'
	# the good records' values are those of a clean run
	printf '%s\n' '{"id":1,"theta":[0.8,2,1,0.1,0.2]}' '{"id":5,"theta":[0.9,2,1,0.1,0.2]}' | mpcat --from-json >good.mpk
	sensitivity -m m.json --data d.mpk -i good.mpk | mpcat --tsv id loglik >clean
	mpcat --tsv id loglik status -i ll.mpk | awk -F'\t' '$3 == "ok" { print $1 "\t" $2 }' >kept
	cmp clean kept
	# -q: nothing on stderr, the same records, still exit 2
	run --separate-stderr sensitivity -q -m m.json --data d.mpk -i th.mpk -o llq.mpk
	assert_failure 2
	stderr_empty
	cmp ll.mpk llq.mpk
	# in the moments mode too: a record with the status, the rest answered
	run --separate-stderr sensitivity -m m.json --steps 0,100 -i th.mpk -o mom.mpk
	assert_failure 2
	run mpcat --tsv id status -i mom.mpk
	assert_line -n 1 $'2\tbad record: th.mpk: record 2: \'theta\' must have 5 numbers, got 4'
	assert_line -n 4 $'5\tok'
}

@test "a theta where Newton fails gets loglik -inf and a status naming the step; exit 0" {
	model_json >m.json
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	printf '%s\n' '{"id":1,"theta":[0.8,2,1,0.1,0.2]}' '{"id":2,"theta":[80,2,1,0.1,0.2]}' \
		'{"id":3,"theta":[0.8,2,1,0.1,0.2]}' | mpcat --from-json >th.mpk
	run --separate-stderr sensitivity -m m.json --data d.mpk -i th.mpk -o ll.mpk
	assert_success
	run mpcat --tsv id loglik status -i ll.mpk
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 --regexp $'^1\t-?[0-9][0-9.e+-]*\tok$'
	assert_line -n 1 --regexp $'^2\t-Infinity\tnewton did not converge at step [1-9][0-9]*$'
	assert_line -n 2 --regexp $'^3\t-?[0-9][0-9.e+-]*\tok$'
	# the step is within the run
	k=$(mpcat --tsv status -i ll.mpk | sed -n '2s/.* at step //p')
	[ "$k" -ge 1 ] && [ "$k" -le 200 ]
	# moments mode: a record with the status, no moments, exit 0
	run --separate-stderr sensitivity -m m.json --steps 0,100 -i th.mpk -o mom.mpk
	assert_success
	run mpcat --no-header mom.mpk
	assert_line -n 1 --regexp '^\{"id":2,"theta":\[80\.0,2\.0,1\.0,0\.1,0\.2\],"status":"newton did not converge at step [1-9][0-9]*","newton_iterations":[0-9]+\}$'
}

@test "conflicting options are usage errors (exit 2)" {
	model_json >m.json
	theta_stream 1 >th.mpk
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	for extra in '--jacobian' '--method fd' '--every 5' '--steps 0,10'; do
		run --separate-stderr sensitivity -m m.json --data d.mpk $extra -i th.mpk
		assert_failure 2
		assert_output ''
		stderr_has "'--data' takes its steps from the data and uses the TSM"
		stderr_has "see sensitivity --help"
	done
	run --separate-stderr sensitivity -m m.json --sigma-obs 0.01 -i th.mpk
	assert_failure 2
	stderr_has "'--sigma-obs' needs '--data FILE'"
	run --separate-stderr sensitivity -m m.json --fd-step 1e-4 -i th.mpk
	assert_failure 2
	stderr_has "'--fd-step' needs '--method fd'"
	run --separate-stderr sensitivity -m m.json --method fd --fd-step 1e-4 -i th.mpk
	assert_success
	run --separate-stderr sensitivity -m m.json --every 5 --steps 0,10 -i th.mpk
	assert_failure 2
	stderr_has "give '--every' or '--steps', not both"
	run --separate-stderr sensitivity -m m.json --method bogus -i th.mpk
	assert_failure 2
	stderr_has "'--method' must be tsm or fd, got 'bogus'"
	for v in 0 1 -1e-5 x; do
		run --separate-stderr sensitivity -m m.json --method fd --fd-step "$v" -i th.mpk
		assert_failure 2
		stderr_has "'--fd-step'"
	done
	run --separate-stderr sensitivity --steps 0 -i th.mpk
	assert_failure 2
	stderr_has "a model file is required"
	run --separate-stderr sensitivity -m m.json extra -i th.mpk
	assert_failure 2
	stderr_has "unexpected argument 'extra'"
}

@test "a theta stream whose header names other parameters is refused (exit 2)" {
	model_json >m.json
	printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["a11","a12","a22","b1","b3"]}' \
		'{"id":1,"theta":[0.8,2,1,0.1,0.2]}' | mpcat --from-json >th.mpk
	run --separate-stderr sensitivity -m m.json -i th.mpk
	assert_failure 2
	stderr_has "th.mpk: header: 'parameters' are not the expected ones"
}

# ---- streams ----

# several_thetas K: K theta records, ids 1..K, around the M1 truth.
several_thetas() {
	awk -v k="$1" 'BEGIN { for (r = 1; r <= k; r++)
		printf "{\"id\":%d,\"theta\":[%.3f,%.3f,1.0,%.3f,0.2]}\n", r, 0.6 + 0.05 * r, 2.2 - 0.05 * r, 0.1 + 0.01 * r }' |
		mpcat --from-json
}

@test "--shard I/K: the shards' records together are the unsharded output" {
	model_json >m.json
	several_thetas 7 >th.mpk
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	for mode in "--every 50" "--jacobian --steps 0,100,200" "--data d.mpk"; do
		sensitivity -m m.json $mode -i th.mpk -o all.mpk
		mpcat --no-header all.mpk | sort >all.json
		assert_equal "$(wc -l <all.json)" 7
		: >shards.json
		for i in 0 1 2; do
			sensitivity -m m.json $mode --shard $i/3 -i th.mpk -o s$i.mpk
			# the header is the unsharded one; the records are those of index i mod 3
			assert_equal "$(mpcat s$i.mpk | head -1)" "$(mpcat all.mpk | head -1)"
			assert_equal "$(mpcat --tsv id -i s$i.mpk | paste -s -d,)" "$(seq $((i + 1)) 3 7 | paste -s -d,)"
			mpcat --no-header s$i.mpk >>shards.json
		done
		sort shards.json | diff all.json -
		# concatenated shard files are a valid stream too
		cat s0.mpk s1.mpk s2.mpk | mpcat --no-header | sort | diff all.json -
	done
}

@test "-o writes the stdout bytes to a file, atomically: nothing is left when a run fails" {
	model_json >m.json
	several_thetas 4 >th.mpk
	sensitivity -m m.json --every 100 -i th.mpk >want.mpk
	run --separate-stderr sensitivity -m m.json --every 100 -i th.mpk -o got.mpk
	assert_success
	assert_output ''
	cmp want.mpk got.mpk
	mkdir out
	# a truncated theta stream
	head -c 60 th.mpk >cut.mpk
	run --separate-stderr sensitivity -m m.json --every 100 -i cut.mpk -o out/m.mpk
	assert_failure 2
	stderr_has "cut.mpk: truncated stream"
	assert_equal "$(ls -A out)" ""
	# bad data
	printf '%s\n' '{"step":[500],"phibar":[[0.2,0.2]],"sigma_obs":0.005}' | mpcat --from-json >bad.mpk
	run --separate-stderr sensitivity -m m.json --data bad.mpk -i th.mpk -o out/ll.mpk
	assert_failure 2
	assert_equal "$(ls -A out)" ""
	# an older file is left as it was
	echo old >out/m.mpk
	run sensitivity -m m.json --every 100 -i cut.mpk -o out/m.mpk
	assert_failure 2
	assert_equal "$(cat out/m.mpk)" old
	assert_equal "$(ls -A out)" m.mpk
	# an output that cannot be created is a run-time error (exit 1)
	run --separate-stderr sensitivity -m m.json --every 100 -i th.mpk -o nodir/m.mpk
	assert_failure 1
	stderr_has "sensitivity: nodir/m.mpk: cannot write"
	# -z
	sensitivity -m m.json --every 100 -i th.mpk -z -o z.gz
	gzip -dc z.gz | cmp - want.mpk
}

@test "the moments header: kind, program, parameters, model, cov, aleatory, method, jacobian" {
	model_json >m.json
	theta_stream 1 >th.mpk
	sensitivity -m m.json --steps 0,10 -i th.mpk -o mom.mpk
	run bash -c 'mpcat mom.mpk | head -1'
	assert_output '{"biofilter":1,"kind":"moments","program":"sensitivity","version":"'"$(sensitivity --version | awk '{ print $NF }')"'","parameters":["a11","a12","a22","b1","b2"],"model":{"species":2,"dt":1e-05,"steps":200,"eta":[1.0,1.0],"phi0":[0.2,0.2],"nutrients":100.0,"antibiotics":100.0,"psi0":0.999,"gamma0":1e-06,"penalty":0.0001},"cov":0.005,"aleatory":["a11","a12","a22","b1","b2"],"method":"tsm","jacobian":false}'
	sensitivity -m m.json --steps 0,10 --cov 0.01 --aleatory none --jacobian --method fd -i th.mpk -o fd.mpk
	run bash -c 'mpcat fd.mpk | head -1'
	assert_output --partial '"cov":0.01,"aleatory":[],"method":"fd","jacobian":true}'
	# the record: id, theta, status, newton_iterations, step, t, mean, var
	run mpcat --no-header mom.mpk
	assert_output --regexp '^\{"id":1,"theta":\[0\.8,2\.0,1\.0,0\.1,0\.2\],"status":"ok","newton_iterations":[1-9][0-9]*,"step":\[0,10\],"t":\[0\.0,0\.0001\],"mean":\[\[[^]]*\],\[[^]]*\]\],"var":\[\[0\.0,0\.0\],\[[^]]*\]\]\}$'
}

@test "the loglik header: kind, parameters, model, cov, aleatory, sigma_obs, points" {
	model_json >m.json
	theta_stream 1 | solve -m m.json --observe 6 --noise 0.01 >d.mpk
	theta_stream 1 >th.mpk
	sensitivity -m m.json --data d.mpk --cov 0.002 -i th.mpk -o ll.mpk
	run bash -c 'mpcat ll.mpk | head -1'
	assert_output --regexp '^\{"biofilter":1,"kind":"loglik","program":"sensitivity","version":"[^"]+","parameters":\["a11","a12","a22","b1","b2"\],"model":\{"species":2,.*"penalty":0\.0001\},"cov":0\.002,"aleatory":\["a11","a12","a22","b1","b2"\],"sigma_obs":0\.01,"points":6\}$'
}

@test "moments at step 0: var 0 and mean phi0 psi0" {
	model_json 'phi0=[0.25, 0.3]' psi0=0.9 >m.json
	several_thetas 2 >th.mpk
	sensitivity -m m.json --steps 0,5 -i th.mpk -o mom.mpk
	run mpcat --tsv step var -i mom.mpk
	assert_line -n 0 --regexp $'^0\t5\t0\t0\t'
	assert_line -n 1 --regexp $'^0\t5\t0\t0\t'
	mpcat --tsv mean -i mom.mpk | cut -f1,2 >got
	printf '%.17g\t%.17g\n' 0.225 0.27 0.225 0.27 >want
	run cells_close got want 1e-15
	echo "$output"
	assert_success
	# and the step-5 variances are not 0
	run mpcat --tsv var -i mom.mpk
	refute_line --regexp $'\t0\t0$'
}

@test "--every K: moments at steps 0, K, 2K, ... with t = step dt" {
	model_json >m.json
	theta_stream 1 >th.mpk
	sensitivity -m m.json --every 70 -i th.mpk -o mom.mpk
	assert_equal "$(mpcat --tsv step -i mom.mpk)" "$(printf '0\t70\t140')"
	run close_to "$(mpcat --tsv t -i mom.mpk | cut -f2)" 0.0007 1e-15
	assert_success
	run close_to "$(mpcat --tsv t -i mom.mpk | cut -f3)" 0.0014 1e-15
	assert_success
	# the same t as solve's
	assert_equal "$(mpcat --tsv t -i mom.mpk)" "$(solve -m m.json --every 70 -i th.mpk | mpcat --tsv t)"
	# the same moments as --steps at those steps
	sensitivity -m m.json --every 70 -i th.mpk | mpcat --tsv mean var >a
	sensitivity -m m.json --steps 0,70,140 -i th.mpk | mpcat --tsv mean var >b
	cmp a b
}

# mean_vs_solve MODEL THETAS STEPS RTOL: sensitivity's mean equals solve
# --observables' phibar within RTOL relative (0: exactly), record by record.
mean_vs_solve() {
	sensitivity -m "$1" --steps "$3" -i "$2" | mpcat --tsv id status mean >mean.tsv
	solve -m "$1" --observables --steps "$3" -i "$2" | mpcat --tsv id status phibar >phibar.tsv
	paste mean.tsv phibar.tsv | awk -F'\t' -v rtol="$4" '
	function abs(x) { return x < 0 ? -x : x }
	{
		m = NF / 2
		if (NF % 2 || $1 != $(m + 1) || $2 != $(m + 2)) { printf "record %d: %s %s vs %s %s\n", NR, $1, $2, $(m + 1), $(m + 2); bad = 1; next }
		off = 0
		for (j = 3; j <= m; j++) {
			r = abs($j - $(m + j)) / abs($(m + j))
			if (r > rtol && !off++) printf "record %s cell %d: mean %.17g, solve phibar %.17g (relative %.3g)\n", $1, j - 2, $j, $(m + j), r
			if (r > worst) worst = r
		}
		if (off) { printf "record %s: %d of %d cells off\n", $1, off, m - 2; bad = 1 }
		n++
	}
	END { printf "%d records, worst relative difference %.3g\n", n, worst; exit bad || n == 0 }'
}

@test "the moments' mean is solve's phibar bit for bit, 1 to 6 species, dt 1e-5 and 1e-4" {
	# The TSM run is solve's run: the same predictor and full Newton updates
	# (the sensitivities only read the converged states), so the means are
	# the same doubles, not merely close.
	local failed=0
	for n in 1 2 3 4 5 6; do
		for dt in 1e-5 1e-4; do
			species_model $n $dt 300 10 >m.json
			random_thetas $n 10 >th.mpk
			echo "species $n, dt $dt:"
			run mean_vs_solve m.json th.mpk 0,1,2,3,100,200,300 0
			echo "$output"
			[ "$status" -eq 0 ] || failed=1
		done
	done
	[ "$failed" -eq 0 ]
}

@test "the moments' mean is solve's phibar on M1 at its truth, default tolerance, bit for bit" {
	theta_stream 1 >th.mpk
	run mean_vs_solve "$M1" th.mpk "$(seq -s, 0 125 2500)" 0
	echo "$output"
	assert_success
}

@test "the TSM run succeeds where solve does: M3val, just after the antibiotics are switched on" {
	# Three thetas of M3's prior range (a13 a14 a23 a24 in U(0,3), the rest
	# at the truth) that solve runs to the end. A TSM run that reused its
	# factorisation for the next step's first Newton update (as an earlier
	# version did) jumped past psi = 1 here and failed at step 502 or 503.
	printf '%s\n' '{"id":11,"theta":[0.8,2.0,2.1547,1.3096,1.0,2.9335,0.2999,1.5,1.0,2.0,0.1,0.2,0.3,0.4]}' \
		'{"id":14,"theta":[0.8,2.0,2.9603,1.0049,1.0,2.8963,1.3382,1.5,1.0,2.0,0.1,0.2,0.3,0.4]}' \
		'{"id":33,"theta":[0.8,2.0,0.5467,2.166,1.0,0.4594,1.9863,1.5,1.0,2.0,0.1,0.2,0.3,0.4]}' |
		mpcat --from-json >th.mpk
	assert_equal "$(solve -m "$EX/M3val.json" --steps 1500 -i th.mpk | mpcat --tsv status | sort -u)" ok
	run mean_vs_solve "$EX/M3val.json" th.mpk 0,500,501,502,503,1000,1500 0
	echo "$output"
	assert_success
}
