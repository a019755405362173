# prior.gp: prior predictive spread of phibar against the data.
#
# Mirrors the prior-predictive figure of Fritsch et al. 2025,
# arXiv 2512.15145 (fig 5): trajectories simulated from prior samples, one
# thin grey line each, with the data on top, to show that the prior covers
# the data without being absurdly wide.
#
# Inputs
#   in    TSV, one row per saved step of each prior sample, a blank line
#         between samples (so each sample is its own line):
#           id, step, t, phibar_1..phibar_n
#   data  data TSV (or '' for none), one row per data point:
#           step, t, phibar_1..phibar_n
# Variables
#   in, out       input file; output stem (writes out.'.png' and out.'.svg')
#   data          data file or '' (default '')
#   n             species in this level, 1..10 (default: from in's columns)
#   species       global species numbers, e.g. "1 2" (default "1 2 .. n")
#   title         figure title (default "prior predictive")
# Layout 1 x n; size (350 n + 100, min 700) x 450.
#
#   gnuplot -e "in='p.tsv'; data='d.tsv'; out='prior-M1'; n=2; species='1 2'; \
#               title='M1: prior predictive'" pipelines/figures/prior.gp

dir = system("dirname '".ARG0."'")
load dir.'/style.gp'

if (!exists("in") || !exists("out")) {
    print "figures: prior.gp: set in and out (gnuplot -e \"in='A.tsv'; out='stem'\")"
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
    stats [*:*] in using 1 nooutput
    n = int(STATS_columns - 3)
}
n = clampi(n, 1, 10)
if (!exists("species")) { species = "" }
sp(i) = (words(species) >= i) ? word(species, i) : sprintf("%d", i)
if (!exists("title")) { title = "prior predictive" }

W = (350 * n + 100 < 700) ? 700 : 350 * n + 100
H = 450

stats [*:*] in using 3 nooutput
tlo = STATS_min
thi = STATS_max

do for [fmt in "png svg"] {
    eval termcmd(fmt, W, H)
    set output out.'.'.fmt
    set multiplot layout 1, n title title font titlefont \
        margins 75.0/W, 1 - 15.0/W, 80.0/H, 1 - 60.0/H \
        spacing 75.0/W, 0
    set xrange [tlo:thi]
    set xtics nicestep(thi - tlo, 2.5) nomirror out scale 0.6
    set mxtics 2
    set ytics nomirror out scale 0.6
    set format x "%g"
    set format y "%g"
    # Volume fractions are non-negative: anchor the axis at 0 so the spread
    # is seen in proportion.
    set yrange [0:*]
    set xlabel "t (dimensionless)" offset 0, 0.3
    set border 3 back
    do for [i = 1:n] {
        set title sprintf("phibar_%s", sp(i)) offset 0, -0.4
        set ylabel sprintf("phibar_%s = phi_%s psi_%s", sp(i), sp(i), sp(i)) offset 0.5, 0
        if (i == 1) {
            # The grey lines fill the whole panel, so no corner inside it is
            # free: the key goes below the panels, centred in the figure.
            set key at screen 0.5, screen 4.0/H center bottom horizontal \
                reverse Left samplen 2 width 2
        } else {
            unset key
        }
        # The samples' `title` goes on the first line only, hence two
        # commands: `every :::0::0` is the first sample (block 0).
        if (data ne "") {
            plot in using 3:(column(3 + i)) every :::1 with lines lw 0.7 lc rgb grey2 notitle, \
                 in using 3:(column(3 + i)) every :::0::0 with lines lw 0.7 lc rgb grey2 title "prior samples", \
                 data using 2:(column(2 + i)) with points pt 6 ps 0.9 lw 1.2 lc "black" title "data"
        } else {
            plot in using 3:(column(3 + i)) every :::1 with lines lw 0.7 lc rgb grey2 notitle, \
                 in using 3:(column(3 + i)) every :::0::0 with lines lw 0.7 lc rgb grey2 title "prior samples"
        }
    }
    unset multiplot
    unset output
}
