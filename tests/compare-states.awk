# compare-states.awk: compare solve's saved states with golden states.
#
#   awk -v steps=0,10,20,... [-v rtol=1e-8] [-v floor=1e-12] \
#       -f tests/compare-states.awk OURS GOLDEN
#
# OURS is the trajectory record flattened by
#   mpcat --tsv state.phi state.phi0 state.psi state.gamma
# i.e. R rows of phi_1..phi_n, then R phi_0, then R rows of psi_1..psi_n,
# then R gamma, R being the number of saved steps (the entries of `steps`).
# GOLDEN is the golden file's `states` flattened by `mpcat --tsv states`:
# R rows of [phi_1..phi_n, phi_0, psi_1..psi_n, gamma]. Cells may be split
# over lines and separated by tabs or spaces in either file.
#
# A cell passes when |ours - golden| <= rtol * max(|golden|, floor)
# (rtol 1e-8, floor 1e-12 unless given). Prints the worst relative error
# |ours - golden| / max(|golden|, floor), with its step and component; for
# cells out of tolerance (the first 20) a line naming the step and the
# component, and exits 1. A shape mismatch or a cell that is not a number
# is a failure too.

BEGIN {
	if (rtol == "")
		rtol = 1e-8
	if (floor == "")
		floor = 1e-12
	if (steps == "") {
		print "compare-states: give -v steps=K1,K2,... (the saved steps)"
		failed = 1
		exit 1
	}
	R = split(steps, step, ",")
	numre = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"
}

# read every cell of both files
FNR == 1 { file++ }
{
	for (i = 1; i <= NF; i++) {
		if (file == 1)
			ours[++no] = $i
		else
			ref[++nr] = $i
	}
}

function abs(x) { return x < 0 ? -x : x }

# the name of component j (0-based) of a state of n species
function component(j, n) {
	if (j < n)
		return "phi_" (j + 1)
	if (j == n)
		return "phi_0"
	if (j <= 2 * n)
		return "psi_" (j - n)
	return "gamma"
}

# index in OURS of row r (0-based), component j (0-based)
function ours_index(r, j, n) {
	if (j < n)
		return r * n + j + 1
	if (j == n)
		return R * n + r + 1
	if (j <= 2 * n)
		return R * n + R + r * n + (j - n - 1) + 1
	return 2 * R * n + R + r + 1
}

END {
	if (failed)
		exit 1
	if (file != 2) {
		print "compare-states: give two files, OURS and GOLDEN"
		exit 1
	}
	d = nr / R
	n = (d - 2) / 2
	if (nr == 0 || d != int(d) || n != int(n) || n < 1) {
		printf "compare-states: the golden file has %d cells, not %d steps x (2n + 2)\n", nr, R
		exit 1
	}
	if (no != nr) {
		printf "compare-states: ours has %d cells, the golden file %d (%d steps x %d)\n", no, nr, R, d
		exit 1
	}
	worst = 0
	wstep = step[1]
	wcomp = component(0, n)
	bad = 0
	for (r = 0; r < R; r++) {
		for (j = 0; j < d; j++) {
			g = ref[r * d + j + 1]
			o = ours[ours_index(r, j, n)]
			if (o !~ numre || g !~ numre) {
				if (++bad <= 20)
					printf "step %s: %s: not a number: ours '%s', golden '%s'\n", step[r + 1], component(j, n), o, g
				continue
			}
			scale = abs(g + 0)
			if (scale < floor)
				scale = floor
			err = abs(o - g) / scale
			if (err > worst) {
				worst = err
				wstep = step[r + 1]
				wcomp = component(j, n)
			}
			if (err > rtol && ++bad <= 20)
				printf "step %s: %s: ours %s, golden %s, relative error %.3g > %g\n",
					step[r + 1], component(j, n), o, g, err, rtol
		}
	}
	printf "worst relative error %.3g at step %s (%s); %d steps x %d components, tolerance %g\n",
		worst, wstep, wcomp, R, d, rtol
	if (bad) {
		printf "compare-states: %d cells out of tolerance\n", bad
		exit 1
	}
}
