# Shared set-up for the bats suites: load with `load helpers`.
#
# Every test runs in its own temporary directory ($BATS_TEST_TMPDIR, also
# $TMP) with the freshly built programs (../bin) first on PATH. Data:
#   $DATA    tests/data            $GOLDEN  tests/data/golden
#   $EX      examples/case2        $M1      examples/case2/M1.json
# Tests never read ../shared: what they need is in tests/data or made here.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

bats_require_minimum_version 1.5.0

setup() {
	TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
	BIN="$TOP/bin"
	if [ ! -x "$BIN/solve" ] || [ ! -x "$BIN/mpcat" ]; then
		fail "$BIN/solve and $BIN/mpcat are not built: run make first"
	fi
	PATH="$BIN:$PATH"
	DATA="$TOP/tests/data"
	GOLDEN="$DATA/golden"
	EX="$TOP/examples/case2"
	M1="$EX/M1.json"
	TMP="$BATS_TEST_TMPDIR"
	cd "$TMP" || fail "cannot cd to $TMP"
}

# stderr_has TEXT: the last `run --separate-stderr` wrote TEXT to stderr.
stderr_has() {
	case "$stderr" in
	*"$1"*) return 0 ;;
	esac
	batslib_print_kv_single_or_multi 8 expected "$1" stderr "$stderr" |
		batslib_decorate "stderr does not contain the expected text" | fail
}

# stderr_empty: the last `run --separate-stderr` wrote nothing to stderr.
stderr_empty() {
	[ -z "$stderr" ] && return 0
	batslib_print_kv_single_or_multi 8 stderr "$stderr" |
		batslib_decorate "stderr is not empty" | fail
}

# theta_json ID... : one M1-sized theta record (the truth of M1) per ID as
# JSON lines; an ID is written as given (so quote strings yourself).
theta_json() {
	local id
	for id in "$@"; do
		printf '{"id":%s,"theta":[0.8,2.0,1.0,0.1,0.2]}\n' "$id"
	done
}

# theta_stream ID... > FILE: the same records as a stream.
theta_stream() {
	theta_json "$@" | mpcat --from-json
}

# numbered_stream N > FILE: N records {"id": i, "x": i}, i = 1..N.
numbered_stream() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"x\":%d}\n", i, i }' |
		mpcat --from-json
}

# model_json [KEY=JSON ...] [-KEY ...]: an M1-like model file (2 species,
# 5 parameters) with keys set, added, or (-KEY) removed. steps defaults to
# 200 here (M1 has 2500) to keep the suites fast.
model_json() {
	local -A v=(
		[species]=2 [dt]=1e-05 [steps]=200 [eta]='[1.0, 1.0]' [phi0]='[0.2, 0.2]'
		[nutrients]=100.0 [antibiotics]=100.0 [psi0]=0.999 [gamma0]=1e-06 [penalty]=0.0001
	)
	local order=(species dt steps eta phi0 nutrients antibiotics psi0 gamma0 penalty)
	local a k sep=
	for a in "$@"; do
		case "$a" in
		-*) unset "v[${a#-}]" ;;
		*=*)
			k=${a%%=*}
			[[ -v "v[$k]" ]] || order+=("$k")
			v[$k]=${a#*=}
			;;
		esac
	done
	printf '{'
	for k in "${order[@]}"; do
		[[ -v "v[$k]" ]] || continue
		printf '%s"%s": %s' "$sep" "$k" "${v[$k]}"
		sep=', '
	done
	printf '}\n'
}
