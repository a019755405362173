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

# JSON without jq (profile reports, --phases files).

# jflat FILE: the JSON document in FILE as "path<TAB>value" lines (strings
# keep their quotes; an object or array shows as '{' or '[' at its path).
jflat() {
	awk '
	function path(   p, k) {
		p = ""
		for (k = 1; k <= d; k++)
			p = p (k > 1 ? "." : "") (typ[k] == "o" ? key[k] : idx[k])
		return p
	}
	function done() { if (d > 0) { if (typ[d] == "o") want_key[d] = 1; else idx[d]++ } }
	function put(v) { print path() "\t" v; done() }
	{ s = s $0 "\n" }
	END {
		n = length(s); d = 0
		for (i = 1; i <= n; ) {
			c = substr(s, i, 1)
			if (c == " " || c == "\t" || c == "\n" || c == "\r" || c == "," || c == ":") { i++; continue }
			if (c == "{" || c == "[") {
				print path() "\t" c
				d++; typ[d] = c == "{" ? "o" : "a"; idx[d] = 0; want_key[d] = 1; i++; continue
			}
			if (c == "}" || c == "]") { d--; done(); i++; continue }
			if (c == "\"") {
				for (j = i + 1; j <= n; j++) {
					ch = substr(s, j, 1)
					if (ch == "\\") { j++; continue }
					if (ch == "\"") break
				}
				v = substr(s, i, j - i + 1); i = j + 1
				if (typ[d] == "o" && want_key[d]) { key[d] = substr(v, 2, length(v) - 2); want_key[d] = 0; continue }
				put(v); continue
			}
			for (j = i; j <= n && index(" \t\r\n,}]", substr(s, j, 1)) == 0; j++) ;
			put(substr(s, i, j - i)); i = j
		}
	}' "$@"
}

# jv FLAT PATH: the value at PATH of a flattened document; fails when absent.
jv() {
	awk -F'\t' -v p="$2" '$1 == p { print $2; f = 1; exit } END { exit !f }' "$1" ||
		fail "$1: no '$2'"
}

# is A OP B [WHAT]: A and B are numbers and A OP B holds (OP: < <= > >= ==).
is() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		num = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"
		if (a !~ num || b !~ num) exit 1
		a += 0; b += 0
		if (op == "<") exit !(a < b)
		if (op == "<=") exit !(a <= b)
		if (op == ">") exit !(a > b)
		if (op == ">=") exit !(a >= b)
		if (op == "==") exit !(a == b)
		exit 1
	}' || fail "expected $1 $2 $3${4:+ ($4)}"
}
