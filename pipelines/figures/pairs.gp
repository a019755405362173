# pairs.gp: posterior pair (corner) plot of one model level.
#
# Mirrors the posterior pair plots of Fritsch et al. 2025, arXiv 2512.15145
# (figs 3, 8, 10, 12): marginal histograms on the diagonal with the true value,
# pairwise scatter below it with the true point, correlations above it.
#
# Inputs
#   in    samples TSV, d columns theta_1..theta_d, one row per posterior sample
# Variables
#   in, out   input file; output stem (writes out.'.png' and out.'.svg')
#   d         parameters, 1..14 (default: the number of names, else columns)
#   names     parameter names, e.g. "a11 a12 a22 b1 b2" (default theta_1..)
#   truth     true values, e.g. "0.8 2 1 0.1 0.2"; "-" (or a missing word)
#             means the truth of that parameter is unknown (default "")
#   title     figure title (default "posterior")
# Layout d x d; size 220 d + 60 square, at most 2000.
#
#   gnuplot -e "in='s.tsv'; out='pairs-M1'; d=5; names='a11 a12 a22 b1 b2'; \
#               truth='0.8 2 1 0.1 0.2'; title='M1: posterior'" pipelines/figures/pairs.gp

dir = system("dirname '".ARG0."'")
load dir.'/style.gp'

if (!exists("in") || !exists("out")) {
    print "figures: pairs.gp: set in and out (gnuplot -e \"in='A.tsv'; out='stem'\")"
    exit status 2
}
msg = problem(in)
if (msg ne "") { print "figures: ".in.": ".msg; exit status 2 }
if (!exists("names")) { names = "" }
if (!exists("truth")) { truth = "" }
if (!exists("title")) { title = "posterior" }
if (!exists("d")) {
    if (words(names) > 0) {
        d = words(names)
    } else {
        stats in using 1 nooutput
        d = STATS_columns
    }
}
d = clampi(d, 1, 14)
name(i) = (words(names) >= i) ? word(names, i) : sprintf("theta_%d", i)
hastruth(i) = (words(truth) >= i) && (word(truth, i) ne "-")
W = (220 * d + 60 > 2000) ? 2000 : 220 * d + 60
H = W

# Per parameter: data range (for the bins), plot range (data and truth, with
# a margin, shared by the histogram, its column and its row so that the
# panels line up), bin width and tic step.
array mn[d]; array mx[d]; array lo[d]; array hi[d]; array bw[d]; array tv[d]
array t0[d]; array ts[d]; array t1[d]
do for [i = 1:d] {
    stats [*:*] in using i nooutput
    mn[i] = STATS_min
    mx[i] = STATS_max
    # A constant column would give zero-width bins; give it a visible width.
    if (mx[i] <= mn[i]) {
        mn[i] = mn[i] - (mn[i] != 0 ? abs(mn[i]) * 0.01 : 0.5)
        mx[i] = mx[i] + (mx[i] != 0 ? abs(mx[i]) * 0.01 : 0.5)
    }
    bw[i] = (mx[i] - mn[i]) / 20.0
    tv[i] = hastruth(i) ? word(truth, i) + 0.0 : NaN
    a = hastruth(i) && tv[i] < mn[i] ? tv[i] : mn[i]
    b = hastruth(i) && tv[i] > mx[i] ? tv[i] : mx[i]
    lo[i] = a - 0.06 * (b - a)
    hi[i] = b + 0.06 * (b - a)
    # Tics: 2-3 labels per axis on multiples of a 1-2-5 step (0.78 0.8
    # 0.82), kept off the outer 10% of the range so that labels of
    # neighbouring panels, which nearly touch, do not run into each other.
    # Walk down the 1-2-5 ladder until the inner range holds two multiples;
    # if that gives more than three, label every second one.
    a = lo[i] + 0.1 * (hi[i] - lo[i])
    b = hi[i] - 0.1 * (hi[i] - lo[i])
    s = nicestep(hi[i] - lo[i], 1.5)
    while (floor(b / s) - ceil(a / s) < 1) { s = ladderdown(s) }
    t0[i] = ceil(a / s) * s
    ts[i] = (floor(b / s) - ceil(a / s) >= 3) ? 2 * s : s
    t1[i] = floor(b / s) * s
}
# Bin centre of x for parameter i; the maximum goes into the last bin.
bin(x, i) = mn[i] + bw[i] * ((x >= mx[i] ? 19 : floor((x - mn[i]) / bw[i])) + 0.5)

do for [fmt in "png svg"] {
    eval termcmd(fmt, W, H)
    set output out.'.'.fmt
    # Tic labels sit on the outer edges only, so the panels can nearly touch;
    # the small gap holds the diagonal titles, whose upper neighbour is an
    # axis-free correlation panel.
    set multiplot layout d, d title title font titlefont \
        margins 75.0/W, 1 - 15.0/W, 55.0/H, 1 - 50.0/H \
        spacing 12.0/W, 14.0/H
    unset key
    # Inward tics: outward ones on inner panels would poke into the narrow
    # gaps and look like tics of the neighbouring panel.
    set tics in scale 0.9, 0.5 nomirror
    set format x "%g"
    set format y "%g"
    do for [i = 1:d] {
        do for [j = 1:d] {
            unset arrow
            unset label
            unset title
            unset xlabel
            unset ylabel
            set border 3
            set xtics t0[j], ts[j], t1[j] in nomirror
            set ytics t0[i], ts[i], t1[i] in nomirror
            set mxtics 2
            set mytics 2
            set xrange [lo[j]:hi[j]]
            if (i == d) {
                set xlabel name(j) offset 0, 0.3
                set format x "%g"
            } else {
                set format x ""
            }
            if (j == 1 && i > 1) {
                set ylabel name(i) offset 1, 0
                set format y "%g"
            } else {
                set format y ""
            }
            if (i == j) {
                # Marginal histogram; counts are not comparable across panels
                # and only clutter the edges, so the y axis has no tics.
                set title name(i) offset 0, -0.4
                set border 1
                unset ytics
                set yrange [0:*]
                set offsets 0, 0, graph 0.08, 0
                if (i == 1) { set ylabel "count" offset 1, 0 }
                if (hastruth(i)) {
                    set arrow from tv[i], graph 0 to tv[i], graph 1 nohead dt 2 lw 1.5 lc "black" front
                }
                set boxwidth bw[i] absolute
                plot in using (bin(column(i), i)):(1.0) smooth frequency \
                     with boxes fs solid 1.0 border lc "black" fc rgb band lw 0.8
                set offsets 0, 0, 0, 0
            }
            if (i > j) {
                set yrange [lo[i]:hi[i]]
                if (hastruth(i) && hastruth(j)) {
                    # A white halo keeps the cross visible on a dense cloud.
                    plot in using j:i with points pt 7 ps 0.25 lc "black", \
                         '+' using (tv[j]):(tv[i]) every ::0::0 with points pt 2 ps 2 lw 5 lc "white", \
                         '+' using (tv[j]):(tv[i]) every ::0::0 with points pt 2 ps 2 lw 2 lc "black"
                } else {
                    plot in using j:i with points pt 7 ps 0.25 lc "black"
                }
            }
            if (i < j) {
                stats [*:*][*:*] in using j:i nooutput
                r = STATS_correlation
                # A constant column has no correlation: r is NaN (r != r).
                ra = (r == r) ? abs(r) : 0
                if (r == r && ra < 0.005) { r = 0.0 }    # no "r = -0.00"
                unset border
                # Not `unset tics`: a later `set tics` would switch on the
                # x2/y2 tics too. The next panel sets x/y tics again anyway.
                unset xtics
                unset ytics
                set xrange [0:1]
                set yrange [0:1]
                # Size grows with |r| and strong correlations are bold, so the
                # eye finds them without colour.
                fsz = 9 + int(9 * ra)
                f = sprintf("Sans%s,%g", ra > 0.5 ? ":Bold" : "", fsz * scale)
                set label (r == r ? sprintf("r = %.2f", r) : "r = n/a") at graph 0.5, 0.5 center font f
                plot NaN notitle
            }
        }
    }
    unset multiplot
    unset output
}
