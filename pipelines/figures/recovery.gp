# recovery.gp: true parameter values against posterior mean +- 1 sd.
#
# Mirrors the parameter-recovery figure of Fritsch et al. 2025,
# arXiv 2512.15145 (fig 14): every free parameter of every level (M1, M2, M3
# for Case II) on one axis, so a biased or overconfident level stands out.
#
# Inputs
#   in    TSV, one row per free parameter per level, levels in order:
#           level, name, truth, mean, sd
#         truth may be an empty cell (unknown truth: no cross for that row)
# Variables
#   in, out   input file; output stem (writes out.'.png' and out.'.svg')
#   title     figure title (default "parameter recovery")
# Size 1000 x 500.
#
#   gnuplot -e "in='r.tsv'; out='recovery'; title='Case II: parameter recovery'" \
#           pipelines/figures/recovery.gp

dir = system("dirname '".ARG0."'")
load dir.'/style.gp'

if (!exists("in") || !exists("out")) {
    print "figures: recovery.gp: set in and out (gnuplot -e \"in='A.tsv'; out='stem'\")"
    exit status 2
}
msg = problem(in)
if (msg ne "") { print "figures: ".in.": ".msg; exit status 2 }
if (!exists("title")) { title = "parameter recovery" }
W = 1000
H = 500

# One pass over the rows to find where each level starts (the rows of a
# level are contiguous), so the groups can be separated and named. Only
# column 1 is read here, so rows with an empty truth still count.
prev = ""; starts = ""; levs = ""; nr = 0
stats [*:*] in using (lv = strcol(1), \
        (lv ne prev) ? (starts = starts.sprintf(" %d", $0), levs = levs." ".lv, prev = lv, 0) : 0, \
        nr = $0 + 1, 0) nooutput
nlev = words(levs)
gstart(k) = word(starts, k) + 0
gend(k) = (k < nlev) ? gstart(k + 1) - 1 : nr - 1

# y range from everything drawn: mean +- sd and the truths, with headroom
# for the level names. Parameters of this model are mostly positive; start
# at 0 then, so the magnitudes compare honestly.
stats [*:*] in using ($4 - $5) nooutput
ylo = STATS_min
stats [*:*] in using ($4 + $5) nooutput
yhi = STATS_max
stats [*:*] in using 3 nooutput
if (STATS_records > 0) {
    ylo = (STATS_min < ylo) ? STATS_min : ylo
    yhi = (STATS_max > yhi) ? STATS_max : yhi
}
if (ylo >= 0) { ylo = 0 } else { ylo = ylo - 0.08 * (yhi - ylo) }
yhi = yhi + 0.1 * (yhi - ylo)

do for [fmt in "png svg"] {
    eval termcmd(fmt, W, H)
    set output out.'.'.fmt
    set title title font titlefont offset 0, 1.2
    # Room above the plot for the level names, below it for the key.
    set tmargin 4.5
    set bmargin 6
    set lmargin 10
    set rmargin 3
    set xrange [-0.6:nr - 0.4]
    set yrange [ylo:yhi]
    set xlabel "parameter" offset 0, 0.3
    set ylabel "parameter value (dimensionless)"
    set format y "%g"
    set ytics nomirror out scale 0.6
    # Names can be long or many (one per free parameter); turn them when
    # they would not fit side by side.
    if (nr > 24) {
        set xtics rotate by 60 right nomirror out scale 0.6
    } else {
        set xtics norotate nomirror out scale 0.6
    }
    set grid ytics back lc "#e0e0e0" lw 1 dt 1
    set border 3 back
    unset arrow
    unset label
    do for [k = 1:nlev] {
        if (k > 1) {
            set arrow from gstart(k) - 0.5, graph 0 to gstart(k) - 0.5, graph 1 \
                nohead dt 2 lw 1 lc "#707070" back
        }
        set label word(levs, k) at first (gstart(k) + gend(k)) / 2.0, graph 1.04 center font boldfont
    }
    set key below horizontal center samplen 2 spacing 1.2 width 2
    # Truth first, so the posterior mean is drawn on top of its cross.
    plot in using 0:3 with points pt 2 ps 2 lw 2 lc rgb grey1 title "truth", \
         in using 0:4:5:xtic(2) with yerrorbars pt 7 ps 1 lw 1.5 lc "black" \
            title "posterior mean ± 1 sd"
    unset output
}
