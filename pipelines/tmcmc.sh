#!/bin/sh
# tmcmc.sh: a whole TMCMC run, stage by stage, as files.
#
#   pipelines/tmcmc.sh -p PRIOR.json -N COUNT -e 'CMD' -d DIR [-s SEED]
#                      [-l LEVEL] [-q] [-- tmcmc-stage stage options]
#
# Draws stage 0 (DIR/stage-000.mpk; --seed SEED --level LEVEL, and
# --scale when the stage options give one), then runs `tmcmc-stage --eval CMD`
# on each population until beta is 1, one file per stage; the last is
# copied to DIR/posterior.mpk. Every file is written atomically, so an
# interrupted run resumes where it stopped when started again with the same
# arguments. Prints a tab-separated table of the stages (stage, beta, log_evidence, its
# standard error, ESS, acceptance, scale, chain steps, evaluations).
#
# For a batch fanned out over cores or hosts, use pipelines/eval-parallel
# as CMD's first word: -e 'pipelines/eval-parallel sensitivity -m M --data D'.
#
# Exit status: 0, 1 when a stage failed, 2 for bad usage.
set -eu

prog=tmcmc.sh
usage() {
	echo "usage: $prog -p PRIOR.json -N COUNT -e CMD -d DIR [-s SEED] [-l LEVEL] [-q] [-- stage options]" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
# the build tree's programs, when this runs from a checkout
[ -x "$here/../bin/tmcmc-stage" ] && PATH="$here/../bin:$PATH"

prior= n= cmd= dir= seed=0 level=0 quiet=
while getopts p:N:e:d:s:l:qh opt; do
	case $opt in
	p) prior=$OPTARG ;;
	N) n=$OPTARG ;;
	e) cmd=$OPTARG ;;
	d) dir=$OPTARG ;;
	s) seed=$OPTARG ;;
	l) level=$OPTARG ;;
	q) quiet=1 ;;
	h) sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$prior" ] && [ -n "$n" ] && [ -n "$cmd" ] && [ -n "$dir" ] || usage

mkdir -p "$dir"
stage_file() { printf '%s/stage-%03d.mpk' "$dir" "$1"; }
beta_of() { mpcat -i "$1" --tsv --headers beta; }

# resume after the last stage written
i=0
while [ -e "$(stage_file $((i + 1)))" ]; do i=$((i + 1)); done
f=$(stage_file $i)
if [ ! -e "$f" ]; then
	# stage 0 starts from the stage options' --scale, as later stages do
	scale=$(printf '%s\n' "$@" | awk 'p { print; exit } $0 == "--scale" { p = 1 }')
	tmcmc-stage --init --prior "$prior" -N "$n" --seed "$seed" --level "$level" ${scale:+--scale "$scale"} -o "$f"
elif [ -z "$quiet" ]; then
	echo "$prog: resuming from $f" >&2
fi
verbose=-v
[ -n "$quiet" ] && verbose=
while [ "$(beta_of "$f")" != 1 ]; do
	next=$(stage_file $((i + 1)))
	tmcmc-stage $verbose --eval "$cmd" -i "$f" -o "$next" "$@"
	i=$((i + 1))
	f=$next
	[ $i -lt 10000 ] || { echo "$prog: no end after 10000 stages" >&2; exit 1; }
done
cp "$f" "$dir/posterior.mpk.tmp" && mv "$dir/posterior.mpk.tmp" "$dir/posterior.mpk"

# the table, rounded for reading (the headers hold every digit)
j=0
while [ $j -le $i ]; do
	mpcat -i "$(stage_file $j)" --tsv --headers $([ $j -eq 0 ] && echo -H) \
		stage beta log_evidence log_evidence_se ess acceptance scale chain_steps evaluations
	j=$((j + 1))
done | awk -F'\t' -v OFS='\t' '!/^#/ { for (k = 2; k <= 7; k++) if ($k != "") $k = sprintf("%.6g", $k) } { print }'
