# check-posterior.awk: a TMCMC posterior against the exact answer.
#
#   awk -v evtol=0.15 -v split_at=1.5 -f tests/check-posterior.awk EXACT GOT THETA
#
# EXACT is one line of `analytic-loglik --exact ... | mpcat --from-json |
# mpcat --tsv log_evidence mean sd weights`: the exact log-evidence, then d
# means, d standard deviations, then the component weights. GOT is the
# population's log_evidence (mpcat --tsv --headers log_evidence). THETA has
# one chain per line, d columns (mpcat --tsv theta).
#
# Checks, printing each figure and "FAIL" where one is out:
#   |log_evidence - exact| <= evtol;
#   every mean within 3 Monte Carlo standard errors sd/sqrt(N) (the chains
#     of a final population are taken as independent draws);
#   every sd within 10% of the exact sd;
#   with split_at given (two components split along the first parameter),
#     the fraction of chains with theta_1 < split_at within 0.1 of the
#     first weight.
# Exits 1 when a check fails.
BEGIN { FS = "\t"; bad = 0 }
FILENAME == ARGV[1] { for (i = 1; i <= NF; i++) ex[i] = $i; nex = NF; next }
FILENAME == ARGV[2] { got = $1; next }
{
	d = NF; n++
	for (j = 1; j <= d; j++) { s[j] += $j; ss[j] += $j * $j }
	if (split_at != "" && $1 < split_at) low++
}
END {
	if (!n) { print "no chains"; exit 1 }
	err = got - ex[1]
	printf "log_evidence %.6f exact %.6f error %+.4f (allowed %g)%s\n", got, ex[1], err, evtol,
		(err > evtol || -err > evtol) ? " FAIL" : ""
	if (err > evtol || -err > evtol) bad = 1
	for (j = 1; j <= d; j++) {
		m = s[j] / n; v = (ss[j] - n * m * m) / (n - 1); sd = sqrt(v > 0 ? v : 0)
		em = ex[1 + j]; esd = ex[1 + d + j]; se = esd / sqrt(n)
		z = (m - em) / se
		printf "theta_%d mean %.5f exact %.5f (%+.2f se)%s sd %.5f exact %.5f (%+.1f%%)%s\n", j, m, em, z,
			(z > 3 || z < -3) ? " FAIL" : "", sd, esd, 100 * (sd / esd - 1),
			(sd > 1.1 * esd || sd < 0.9 * esd) ? " FAIL" : ""
		if (z > 3 || z < -3 || sd > 1.1 * esd || sd < 0.9 * esd) bad = 1
	}
	if (split_at != "") {
		w = low / n; ew = ex[2 + 2 * d]
		printf "weight of theta_1 < %g: %.4f exact %.4f%s\n", split_at, w, ew, (w - ew > 0.1 || ew - w > 0.1) ? " FAIL" : ""
		if (w - ew > 0.1 || ew - w > 0.1 || low == 0 || low == n) bad = 1
	}
	exit bad
}
