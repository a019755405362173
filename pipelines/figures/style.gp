# style.gp: shared look and input checks for the biofilter figure scripts.
#
# Loaded by every figure script (fit.gp, pairs.gp, recovery.gp,
# diagnostics.gp, prior.gp, agent.gp) with
#     dir = system("dirname '".ARG0."'")
#     load dir.'/style.gp'
# so the scripts run from any working directory.
#
# Defines
#   problem(f)            "" when f is a readable file with at least one data
#                         row, else "cannot read" or "no rows"
#   termcmd(fmt, w, h)    the `set terminal` command for fmt "png" or "svg",
#                         w x h times the variable scale (default 1)
#   band, grey1, grey2    fill and line colours (grey only: the figures must
#                         survive black-and-white printing)
#   dtk(k), ptk(k), lck(k) dash type, point type and colour of series k, so
#                         that series differ in dash AND point, never in hue
#   nicestep(span, n)     a 1-2-5 tic step giving about n intervals on span
#   ladderdown(s)         the next smaller 1-2-5 step below s
#   clampi(x, lo, hi)     an integer clamped to [lo, hi]

# ---- input checks ---------------------------------------------------------
# gnuplot 5.4 cannot catch its own errors (no try), and a missing or empty file
# makes `plot` or `stats` fail with a message of its own and status 1. The
# Makefile wants one recognisable message and status 2, so the scripts look at
# the file through the shell before gnuplot reads it.
readable(f) = system("test -f '".f."' && test -r '".f."'; echo $?") == 0
# A data row is any line that is neither blank nor a '#' comment (mpcat -H
# writes its column names as a '# ' line).
nrows(f) = system("grep -c -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' '".f."' 2>/dev/null") + 0
# ?: evaluates only the branch taken, so nrows never runs on a missing file.
problem(f) = !readable(f) ? "cannot read" : (nrows(f) == 0 ? "no rows" : "")

# ---- terminals --------------------------------------------------------------
# Plain (noenhanced) text: names like phibar_3 or a12 are printed literally
# rather than as sub/superscripts, which keeps them readable and searchable
# in the SVG. UTF-8 for the "±" in key titles. The SVG is `fixed`: it then
# carries width and height (the PNG's pixel size) as well as a viewBox, so
# it still scales.
# `scale` (default 1) shrinks or grows the whole figure, fonts and lines
# with it, so the layout stays the same (scale=0.6 for README thumbnails).
set encoding utf8
if (!exists("scale")) scale = 1
scale = scale + 0
fontspec = sprintf("Sans,%g", 10 * scale)
titlefont = sprintf("Sans,%g", 12 * scale)
boldfont = sprintf("Sans:Bold,%g", 10 * scale)
termcmd(fmt, w, h) = (fmt eq "png") \
    ? sprintf('set terminal pngcairo noenhanced size %d,%d font "%s" linewidth %g background "white"', \
              int(w * scale + 0.5), int(h * scale + 0.5), fontspec, scale) \
    : sprintf('set terminal svg noenhanced size %d,%d fixed font "%s" linewidth %g background "white"', \
              int(w * scale + 0.5), int(h * scale + 0.5), fontspec, scale)

# ---- colours and series ---------------------------------------------------
# Opaque light grey for bands (no transparency: some viewers and printers
# render alpha badly and overlapping bands would change the grey level).
band  = "#c8c8c8"
grey1 = "#606060"
grey2 = "#909090"
# Series k: dash type cycles 1..5 (solid, dashed, dotted, dash-dot, ...),
# point type through filled/open shapes, colour black / dark grey / mid grey.
# The three cycles have coprime lengths, so the first 30 series all differ.
dtk(k) = 1 + (k - 1) % 5
ptk(k) = word("7 4 9 6 5 8 13 12", 1 + (k - 1) % 8) + 0
lck(k) = word("#000000 #505050 #8c8c8c", 1 + (k - 1) % 3)

# Heatmaps: white = 0, black = 1.
set palette defined (0 "white", 1 "black")

# ---- helpers ---------------------------------------------------------------
# Tic step with about n intervals over span, rounded to 1, 2 or 5 x 10^k, so
# that small panels carry 2-3 readable tics instead of gnuplot's default 5-8.
nice125(x) = (x < 1.5) ? 1 : (x < 3.5) ? 2 : (x < 7.5) ? 5 : 10
nicestep(span, n) = (span <= 0) ? 1 : \
    10**floor(log10(span / n)) * nice125(span / n / 10**floor(log10(span / n)))
# The next smaller step on the 1-2-5 ladder (5 -> 2 -> 1 -> 0.5).
mant(s) = s / 10.0**floor(log10(s) + 1e-9)
ladderdown(s) = (mant(s) > 4) ? s * 0.4 : s * 0.5
clampi(x, lo, hi) = int(x < lo ? lo : (x > hi ? hi : x))

# Every input is a tab-separated table; an empty cell (two tabs in a row) is a
# missing value. With separator tab, gnuplot 5.4 treats an empty field as
# missing and skips that point without shifting the later columns.
set datafile separator tab
set datafile commentschars "#"
