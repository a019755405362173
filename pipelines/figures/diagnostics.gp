# diagnostics.gp: TMCMC sampler diagnostics, stage by stage, for each level.
#
# Supports the calibration of Fritsch et al. 2025, arXiv 2512.15145, which
# samples each level (M1, M2, M3) with transitional MCMC; no paper figure
# shows these, but they tell whether a run can be trusted: the tempering
# exponent beta must reach 1, the effective sample size must not collapse,
# the acceptance rate should stay moderate, and the evidence should settle.
#
# Inputs
#   in    TSV, rows for all levels, each level's stages 1..S in order:
#           level, stage, beta, ess, acceptance, log_evidence
#         (level is a string; log_evidence is the running (cumulative) log
#         evidence estimate after that stage)
# Variables
#   in, out   input file; output stem (writes out.'.png' and out.'.svg')
#   levels    the levels to draw, in key order (default "M1 M2 M3")
#   samples   N, the population size: the ESS axis runs from 0 to N
#             (default: the largest ESS in the file)
#   title     figure title (default "TMCMC diagnostics")
# Layout 2 x 2; size 1000 x 750.
#
#   gnuplot -e "in='d.tsv'; out='diagnostics'; levels='M1 M2 M3'; samples=200; \
#               title='Case II: TMCMC diagnostics'" pipelines/figures/diagnostics.gp

dir = system("dirname '".ARG0."'")
load dir.'/style.gp'

if (!exists("in") || !exists("out")) {
    print "figures: diagnostics.gp: set in and out (gnuplot -e \"in='A.tsv'; out='stem'\")"
    exit status 2
}
msg = problem(in)
if (msg ne "") { print "figures: ".in.": ".msg; exit status 2 }
if (!exists("levels")) { levels = "M1 M2 M3" }
if (!exists("title")) { title = "TMCMC diagnostics" }
if (!exists("samples")) {
    stats [*:*] in using 4 nooutput
    samples = ceil(STATS_max)
}
samples = samples + 0    # a quoted number from the command line works too
nl = words(levels)
W = 1000
H = 750

stats [*:*] in using 2 nooutput
smax = STATS_max
stats [*:*] in using 3 nooutput
bmin = STATS_min

# Row value of column c if the row belongs to level k, else NaN, so that one
# plot command can draw one series per level from the same file.
sel(k, c) = (strcol(1) eq word(levels, k)) ? column(c) : NaN

do for [fmt in "png svg"] {
    eval termcmd(fmt, W, H)
    set output out.'.'.fmt
    set multiplot layout 2, 2 title title font titlefont \
        margins 80.0/W, 1 - 45.0/W, 55.0/H, 1 - 58.0/H \
        spacing 95.0/W, 85.0/H
    set xlabel "TMCMC stage" offset 0, 0.3
    set xrange [0.5:smax + 0.5]
    # Integer stages; about 10 labels at most.
    xstep = (smax <= 12) ? 1 : nicestep(smax, 8)
    set xtics xstep nomirror out scale 0.6
    unset mxtics
    set ytics nomirror out scale 0.6
    set format x "%g"
    set grid back lc "#e0e0e0" lw 1 dt 1
    set border 3 back
    set style data linespoints

    # beta rises over orders of magnitude before it reaches 1; a log axis
    # shows the early stages instead of squashing them onto zero.
    set title "tempering exponent beta"
    set ylabel "beta (dimensionless)"
    set logscale y
    set format y "%g"
    set yrange [(bmin < 1 ? bmin / 2.0 : 0.1):1.5]
    set key bottom right box opaque samplen 3 spacing 1.1 width 1 title "level"
    plot for [k = 1:nl] in using 2:(sel(k, 3)) lw 1.5 dt dtk(k) pt ptk(k) ps 1 \
         lc rgb lck(k) title word(levels, k)
    unset logscale y
    unset key

    set title "effective sample size"
    set ylabel sprintf("ESS (of N = %d samples)", samples)
    set format y "%g"
    set yrange [0:samples]
    set ytics nicestep(samples, 4)
    # N/2 is the usual resampling threshold; its name goes in the right
    # margin, where no data point can hide it.
    set arrow 1 from graph 0, first samples / 2.0 to graph 1, first samples / 2.0 \
        nohead dt 2 lw 1 lc "black" back
    set label 1 "N/2" at graph 1, first samples / 2.0 left offset 0.5, 0
    plot for [k = 1:nl] in using 2:(sel(k, 4)) lw 1.5 dt dtk(k) pt ptk(k) ps 1 \
         lc rgb lck(k) notitle
    unset arrow 1
    unset label 1
    set ytics autofreq

    set title "acceptance rate"
    set ylabel "acceptance rate (fraction)"
    set yrange [0:1]
    set ytics 0.2
    plot for [k = 1:nl] in using 2:(sel(k, 5)) lw 1.5 dt dtk(k) pt ptk(k) ps 1 \
         lc rgb lck(k) notitle
    set ytics autofreq

    set title "log evidence"
    set ylabel "cumulative log evidence"
    set yrange [*:*]
    plot for [k = 1:nl] in using 2:(sel(k, 6)) lw 1.5 dt dtk(k) pt ptk(k) ps 1 \
         lc rgb lck(k) notitle

    unset multiplot
    unset output
}
