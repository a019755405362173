# fit.gp: observed data against the posterior predictive of one model level.
#
# Mirrors the posterior-predictive figures of Fritsch et al. 2025,
# arXiv 2512.15145 (figs 4, 9, 11, 13, 15): per species, the model's phibar
# (= phi * psi, the observed quantity) with a mean +- 2 sd band and the data on
# top, plus the two latent fields phi and psi with their own bands.
#
# Inputs
#   in    predictive TSV, 2 + 6n columns, one row per saved step:
#           step, t, mean_1..mean_n, sd_1..sd_n            (phibar)
#                    phi_mean_1..n, phi_sd_1..n            (phi)
#                    psi_mean_1..n, psi_sd_1..n            (psi)
#   data  data TSV (or '' for none), 2 + n columns, one row per data point:
#           step, t, phibar_1..phibar_n
# Variables
#   in, out       input file; output stem (writes out.'.png' and out.'.svg')
#   data          data file or '' (default '')
#   n             species in this level, 1..10 (default: from in's columns)
#   species       global species numbers, e.g. "3 4" (default "1 2 .. n")
#   title         figure title (default "posterior predictive")
# Layout: 3 rows (phibar, phi, psi) x n columns (species); key in the first
# panel only. Size (300 n + 100, min 700) x 800.
#
#   gnuplot -e "in='p.tsv'; data='d.tsv'; out='fit-M1'; n=2; species='1 2'; \
#               title='M1: posterior predictive'" pipelines/figures/fit.gp

dir = system("dirname '".ARG0."'")
load dir.'/style.gp'

if (!exists("in") || !exists("out")) {
    print "figures: fit.gp: set in and out (gnuplot -e \"in='A.tsv'; out='stem'\")"
    exit status 2
}
if (!exists("data")) { data = "" }
msg = problem(in)
if (msg ne "") { print "figures: ".in.": ".msg; exit status 2 }
if (data ne "") {
    msg = problem(data)
    if (msg ne "") { print "figures: ".data.": ".msg; exit status 2 }
}
if (!exists("n")) {
    stats in using 1 nooutput
    n = int((STATS_columns - 2) / 6)
}
n = clampi(n, 1, 10)
if (!exists("species")) { species = "" }
# Fall back to the local index when species names fewer words than n.
sp(i) = (words(species) >= i) ? word(species, i) : sprintf("%d", i)
if (!exists("title")) { title = "posterior predictive" }

# Column of quantity q (0 phibar mean, 1 phibar sd, 2 phi mean, 3 phi sd,
# 4 psi mean, 5 psi sd) for local species i.
col(q, i) = 2 + q * n + i

W = (300 * n + 100 < 700) ? 700 : 300 * n + 100
H = 800

# One x range for all panels so columns and rows line up in time.
stats in using 2 nooutput
tlo = STATS_min
thi = STATS_max

rowname(r)  = word("phibar phi psi", r)
rowlabel(r, s) = (r == 1) ? sprintf("phibar_%s = phi_%s psi_%s", s, s, s) \
               : (r == 2) ? sprintf("phi_%s (volume fraction)", s) \
               :            sprintf("psi_%s (viability)", s)

do for [fmt in "png svg"] {
    eval termcmd(fmt, W, H)
    set output out.'.'.fmt
    # Margins and gaps in pixels, converted to screen fractions: the gaps
    # must hold the next panel's y tic labels and y label (horizontal) and
    # the x label plus the next row's title (vertical).
    set multiplot layout 3, n title title font titlefont \
        margins 70.0/W, 1 - 15.0/W, 45.0/H, 1 - 52.0/H \
        spacing 75.0/W, 75.0/H
    set xrange [tlo:thi]
    set xtics nicestep(thi - tlo, 2.5)
    set mxtics 2
    set format x "%g"
    set format y "%g"
    set ytics autofreq
    set xlabel "t (dimensionless)" offset 0, 0.3
    set grid back lc "#e0e0e0" lw 1 dt 1
    set border 3 back
    set tics nomirror out scale 0.6
    do for [r = 1:3] {
        do for [i = 1:n] {
            set title sprintf("%s_%s", rowname(r), sp(i)) offset 0, -0.4
            set ylabel rowlabel(r, sp(i)) offset 0.5, 0
            m = col(2 * (r - 1), i)
            s = col(2 * (r - 1) + 1, i)
            if (r == 1 && i == 1) {
                # Extra room at the top of this panel only, so the key sits
                # above the band and the data whatever their shape.
                set key top left reverse Left samplen 2 spacing 1.1
                set offsets 0, 0, graph 0.3, 0
            } else {
                unset key
                set offsets 0, 0, 0, 0
            }
            if (r == 1 && data ne "") {
                plot in using 2:(column(m) - 2 * column(s)):(column(m) + 2 * column(s)) \
                         with filledcurves fc rgb band fs solid 1.0 noborder title "mean ± 2 sd", \
                     in using 2:m with lines lc "black" lw 1.5 title "mean", \
                     data using 2:(column(2 + i)) with points pt 6 ps 0.8 lc "black" title "data"
            } else {
                plot in using 2:(column(m) - 2 * column(s)):(column(m) + 2 * column(s)) \
                         with filledcurves fc rgb band fs solid 1.0 noborder title "mean ± 2 sd", \
                     in using 2:m with lines lc "black" lw 1.5 title "mean"
            }
        }
    }
    unset multiplot
    unset output
}
