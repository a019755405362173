# agent.gp: one active-inference episode: beliefs over time and the policy
# posterior.
#
# Belongs to the active-inference part of biofilter, which plans experiments
# on the model of Fritsch et al. 2025, arXiv 2512.15145 (the paper itself has
# no such figure). One grey-level heatmap per hidden-state factor, q(s) over
# time, then one of q(pi) over time: a belief that sharpens shows as a dark
# cell emerging from a grey column.
#
# Inputs
#   in    TSV, one row per step of ONE episode:
#           t, qs (all factors' beliefs concatenated: sum(sizes) columns),
#           q_pi (npolicies columns), action_1
#         (action_1 is not drawn: the policy panel already shows the choice)
# Variables
#   in, out     input file; output stem (writes out.'.png' and out.'.svg')
#   sizes       states per hidden-state factor, e.g. "4 2" (required)
#   npolicies   number of policies (default: the columns left after qs,
#               less one for action_1)
#   title       figure title (default "agent episode")
# Layout: (factors + 1) rows x 1; size 900 x (250 (factors + 1) + 50).
#
#   gnuplot -e "in='e.tsv'; out='agent'; sizes='4 2'; npolicies=4; \
#               title='tmaze: episode 1'" pipelines/figures/agent.gp

dir = system("dirname '".ARG0."'")
load dir.'/style.gp'

if (!exists("in") || !exists("out") || !exists("sizes")) {
    print "figures: agent.gp: set in, out and sizes (gnuplot -e \"in='A.tsv'; out='stem'; sizes='4 2'\")"
    exit status 2
}
msg = problem(in)
if (msg ne "") { print "figures: ".in.": ".msg; exit status 2 }
if (!exists("title")) { title = "agent episode" }
nf = words(sizes)
if (nf < 1) { print "figures: agent.gp: sizes is empty"; exit status 2 }

# Column offsets of each factor's block within the qs columns.
array off[nf]
array sz[nf]
total = 0
do for [f = 1:nf] {
    sz[f] = word(sizes, f) + 0
    off[f] = total
    total = total + sz[f]
}
if (!exists("npolicies")) {
    stats [*:*] in using 1 nooutput
    npolicies = STATS_columns - 2 - total
}
npolicies = int(npolicies + 0)
# Column of state s (0-based) of factor f, and of policy p (0-based).
qscol(f, s) = 2 + off[f] + s
qpicol(p) = 2 + total + p

W = 900
H = 250 * (nf + 1) + 50

stats [*:*] in using 1 nooutput
tlo = STATS_min
thi = STATS_max
nt = STATS_records
# One label per step while they fit, else a 1-2-5 step.
tstep = (thi - tlo <= 25) ? 1 : nicestep(thi - tlo, 10)
# State and policy axes likewise: every index up to 12, then fewer.
istep(k) = (k <= 12) ? 1 : nicestep(k, 8)

do for [fmt in "png svg"] {
    eval termcmd(fmt, W, H)
    set output out.'.'.fmt
    # Right margin for the colour boxes, which gnuplot puts beside each plot.
    set multiplot layout nf + 1, 1 title title font titlefont \
        margins 75.0/W, 1 - 110.0/W, 50.0/H, 1 - 55.0/H \
        spacing 0, 80.0/H
    set xrange [tlo - 0.5:thi + 0.5]
    set xtics tstep nomirror out scale 0.6
    set ytics nomirror out scale 0.6
    set format x "%g"
    set format y "%g"
    set xlabel "time step t" offset 0, 0.3
    set cbrange [0:1]
    set cbtics 0.25 out scale 0.6
    set format cb "%g"
    set colorbox vertical default
    unset key
    set border 15 front
    # Every cell drawn as a box centred on (t, index), coloured by value;
    # unlike `image`, this works for a single row and irregular t. A faint
    # border keeps cells with q = 0 (white) visible as cells.
    set style fill solid 1.0 border lc "#d0d0d0"
    do for [f = 1:nf] {
        set title sprintf("beliefs, factor %d", f) offset 0, -0.4
        set ylabel "state index"
        set cblabel "q(s)"
        set yrange [-0.5:sz[f] - 0.5]
        set ytics istep(sz[f])
        plot for [s = 0:sz[f] - 1] in using 1:(s):(0.5):(0.5):(column(qscol(f, s))) \
             with boxxyerror fc palette
    }
    set title "policy posterior q(pi)" offset 0, -0.4
    set ylabel "policy index"
    set cblabel "q(pi)"
    set yrange [-0.5:npolicies - 0.5]
    set ytics istep(npolicies)
    plot for [p = 0:npolicies - 1] in using 1:(p):(0.5):(0.5):(column(qpicol(p))) \
         with boxxyerror fc palette
    unset multiplot
    unset output
}
