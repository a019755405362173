#!/usr/bin/env bats
# mpcat: every option, and its errors (exit 2 bad input or usage, 1 run time).

load helpers

# headed KIND N: a stream with the header {"biofilter":1,"kind":KIND} and
# N records {"id": i, "x": i}.
headed() {
	{
		printf '{"biofilter":1,"kind":"%s","parameters":["x"]}\n' "$1"
		awk -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"x\":%d}\n", i, i }'
	} | mpcat --from-json
}

# ---- --json (the default) ----

@test "--json is the default: one JSON object per line, the header first" {
	headed theta 2 >s.mpk
	run mpcat s.mpk
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 '{"biofilter":1,"kind":"theta","parameters":["x"]}'
	assert_line -n 1 '{"id":1,"x":1}'
	assert_line -n 2 '{"id":2,"x":2}'
	run mpcat --json s.mpk
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 --partial '"biofilter":1'
}

@test "--no-header leaves the headers out" {
	headed theta 2 >s.mpk
	run mpcat --no-header s.mpk
	assert_success
	assert_equal "${#lines[@]}" 2
	refute_output --partial biofilter
	assert_line -n 0 '{"id":1,"x":1}'
}

@test "--json reads stdin, and a stream without a header is fine" {
	numbered_stream 3 >s.mpk
	run bash -c 'mpcat <s.mpk'
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 2 '{"id":3,"x":3}'
}

@test "an empty input is an empty stream" {
	run --separate-stderr mpcat </dev/null
	assert_success
	assert_output ''
	stderr_empty
}

@test "concatenated streams (cat a a) show the header once, records in order" {
	headed theta 2 >s.mpk
	cat s.mpk s.mpk >cat.mpk
	run mpcat cat.mpk
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_equal "$(grep -c biofilter <<<"$output")" 1
	assert_line -n 3 '{"id":1,"x":1}'
}

# ---- --tsv ----

@test "--tsv: fields as arguments or comma-separated give the same table" {
	printf '%s\n' '{"id":"a","n":1,"f":2.5}' '{"id":"b","n":2,"f":0.1}' | mpcat --from-json >s.mpk
	run mpcat --tsv id n f -i s.mpk
	assert_success
	assert_line -n 0 "$(printf 'a\t1\t2.5')"
	assert_line -n 1 "$(printf 'b\t2\t0.1')"
	expected=$output
	run mpcat --tsv id,n,f -i s.mpk
	assert_success
	assert_output "$expected"
	run mpcat --tsv id,n f -i s.mpk
	assert_output "$expected"
}

@test "--tsv reads stdin; headers are not printed" {
	headed theta 2 >s.mpk
	run bash -c 'mpcat --tsv id x <s.mpk'
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 "$(printf '1\t1')"
	refute_output --partial biofilter
}

@test "--tsv: a dotted path reaches into maps (state.phi0)" {
	printf '%s\n' '{"id":1,"state":{"phi0":[0.6,0.5],"deep":{"x":"y"}}}' | mpcat --from-json >s.mpk
	run mpcat --tsv state.phi0 state.deep.x -i s.mpk
	assert_success
	assert_output "$(printf '0.6\t0.5\ty')"
}

@test "--tsv: a key that itself has a dot is found before the path" {
	printf '%s\n' '{"a.b":1,"a":{"b":2}}' | mpcat --from-json >s.mpk
	run mpcat --tsv a.b -i s.mpk
	assert_success
	assert_output 1
}

@test "--tsv: arrays, and arrays of arrays, spread into columns" {
	printf '%s\n' '{"theta":[0.8,2.0,1.0],"phi":[[1,2],[3,4],[5,6]]}' | mpcat --from-json >s.mpk
	run mpcat --tsv theta phi -i s.mpk
	assert_success
	assert_output "$(printf '0.8\t2\t1\t1\t2\t3\t4\t5\t6')"
}

@test "--tsv: a missing field is an empty cell" {
	printf '%s\n' '{"a":1,"c":3}' '{"b":2}' | mpcat --from-json >s.mpk
	run mpcat --tsv a b c -i s.mpk
	assert_success
	assert_line -n 0 "$(printf '1\t\t3')"
	assert_line -n 1 "$(printf '\t2\t')"
	# the missing cells are real cells: every row has 3 of them
	assert_equal "$(mpcat --tsv a b c -i s.mpk | awk -F'\t' '{print NF}' | sort -u)" 3
}

@test "--tsv: strings lose tabs and newlines, null is empty, maps print as JSON" {
	printf '%s\n' '{"s":"a\tb\nc","z":null,"m":{"k":[1,true]}}' | mpcat --from-json >s.mpk
	run mpcat --tsv s z m -i s.mpk
	assert_success
	assert_output "$(printf 'a b c\t\t{"k":[1,true]}')"
}

@test "--tsv: an empty array gives no cell, booleans print as words" {
	printf '%s\n' '{"c":[],"d":true,"e":[[],[1]],"f":false}' | mpcat --from-json >s.mpk
	run mpcat --tsv -H c d e f -i s.mpk
	assert_success
	assert_line -n 0 "$(printf '# d\te[1][0]\tf')"
	assert_line -n 1 "$(printf 'true\t1\tfalse')"
}

@test "--tsv: floats print with all their digits, whole ones without .0" {
	printf '%s\n' '{"x":[1.0,0.1,3.141592653589793,1e-05,-2.5e+20,7]}' | mpcat --from-json >s.mpk
	run mpcat --tsv x -i s.mpk
	assert_success
	assert_output "$(printf '1\t0.1\t3.141592653589793\t1e-05\t-2.5e+20\t7')"
}

@test "-H / --header: first a '# ' line naming the columns" {
	printf '%s\n' '{"id":"a","theta":[1,2],"s":{"p":[[1,2]]}}' '{"id":"b","theta":[3,4],"s":{"p":[[5,6]]}}' |
		mpcat --from-json >s.mpk
	run mpcat --tsv -H id,theta s.p -i s.mpk
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 "$(printf '# id\ttheta[0]\ttheta[1]\ts.p[0][0]\ts.p[0][1]')"
	assert_line -n 1 "$(printf 'a\t1\t2\t1\t2')"
	run mpcat --tsv --header id -i s.mpk
	assert_success
	assert_line -n 0 '# id'
	assert_equal "${#lines[@]}" 3
}

@test "--tsv without a field is a usage error" {
	run mpcat --tsv </dev/null
	assert_failure 2
	assert_output --partial "'--tsv' needs at least one FIELD"
}

@test "--no-header with another mode than --json is a usage error" {
	numbered_stream 1 >s.mpk
	run mpcat --no-header --tsv id -i s.mpk
	assert_failure 2
	assert_output --partial "'--no-header' goes with '--json'"
	run mpcat --no-header --msgpack s.mpk
	assert_failure 2
}

@test "-H without --tsv is a usage error" {
	numbered_stream 1 >s.mpk
	run mpcat -H s.mpk
	assert_failure 2
	assert_output --partial "'--header' goes with '--tsv'"
}

@test "two output modes at once are a usage error" {
	run mpcat --json --tsv x </dev/null
	assert_failure 2
	assert_output --partial "give one of"
	run mpcat --msgpack --from-json </dev/null
	assert_failure 2
}

# ---- --msgpack ----

@test "--msgpack writes the records as one stream with a single header" {
	headed theta 2 >s.mpk
	mpcat --msgpack s.mpk s.mpk >out.mpk
	run mpcat out.mpk
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_equal "$(grep -c '"biofilter"' <<<"$output")" 1
	assert_line -n 0 --partial '"biofilter":1'
	assert_line -n 4 '{"id":2,"x":2}'
}

@test "--msgpack of one stream gives the same bytes back" {
	headed theta 3 >s.mpk
	mpcat --msgpack s.mpk >out.mpk
	cmp s.mpk out.mpk
}

@test "--msgpack: files whose headers disagree are an error (exit 2) naming both" {
	headed theta 2 >a.mpk
	headed loglik 2 >b.mpk
	run --separate-stderr mpcat --msgpack a.mpk b.mpk
	assert_failure 2
	stderr_has "b.mpk: its header disagrees with that of a.mpk"
}

@test "a stream whose second header disagrees (cat a b) is an error (exit 2)" {
	headed theta 2 >a.mpk
	headed loglik 2 >b.mpk
	cat a.mpk b.mpk >ab.mpk
	for mode in --json --msgpack; do
		run --separate-stderr mpcat $mode ab.mpk
		assert_failure 2
		stderr_has "ab.mpk: the header after record 2 disagrees with the first header"
	done
}

@test "a header of another format version is an error" {
	printf '%s\n' '{"biofilter":2,"kind":"theta"}' '{"id":1}' | mpcat --from-json >s.mpk
	run --separate-stderr mpcat s.mpk
	assert_failure 2
	stderr_has "s.mpk: header: 'biofilter' must be 1"
}

# ---- --from-json ----

@test "--from-json: JSON -> stream -> JSON is identical (numbers, strings, nesting, NaN, Infinity)" {
	cat >in.jsonl <<-'EOF'
	{"i":0,"neg":-42,"big":9007199254740993,"min":-9223372036854775808,"f":0.1,"one":1.0,"zero":0.0,"nz":-0.0}
	{"tiny":1e-300,"sub":5e-324,"huge":1.7976931348623157e+308,"g":-2.5e+20,"pi":3.141592653589793,"third":0.3333333333333333}
	{"s":"tab\there \"quoted\" back\\slash nl\n cr\r ctl\u0001 uni é","empty":"","t":true,"f":false,"n":null}
	{"nested":{"a":{"b":[1,2.0,{"c":null,"d":[[],{}]}]},"e":{}},"list":[[1,2],[3,[4,[5]]]]}
	{"x":NaN,"y":Infinity,"z":-Infinity,"arr":[NaN,1.5,-Infinity,Infinity]}
	{"s":"NaN and Infinity inside strings stay strings","t":"-Infinity","u":"NaN"}
	EOF
	mpcat --from-json in.jsonl >s.mpk
	run mpcat s.mpk
	assert_success
	assert_output "$(cat in.jsonl)"
}

@test "--from-json: NaN and Infinity become floats, their names inside strings stay strings" {
	printf '%s\n' '{"x":NaN,"y":-Infinity,"s":"NaN"}' | mpcat --from-json >s.mpk
	# float64 NaN is cb 7f f8 00.., -Infinity cb ff f0 00..; "NaN" is a3 4e 61 4e
	od -An -tx1 -v s.mpk | tr -d ' \n' >hex
	run cat hex
	assert_output --partial 'a178cb7ff8'
	assert_output --partial 'a179cbfff0000000000000'
	assert_output --partial 'a173a34e614e'
}

@test "--from-json: a stream read twice through mpcat is byte-identical (every double kept exactly)" {
	printf '%s\n' '{"id":1,"theta":[0.8,2.0,1.0,0.1,0.2],"s":"x"}' '{"id":"two","v":[NaN,1e-5,5e-324,2.2250738585072014e-308,0.30000000000000004,123456789.123456789]}' |
		mpcat --from-json >a.mpk
	mpcat a.mpk | mpcat --from-json >b.mpk
	cmp a.mpk b.mpk
}

@test "--from-json: blank lines are skipped, CRLF line ends accepted, a last line without newline read" {
	printf '{"a":1}\r\n\n   \n{"a":2}\n{"a":3}' | mpcat --from-json >s.mpk
	run mpcat s.mpk
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 2 '{"a":3}'
}

@test "--from-json: a header line passes through as the stream's header" {
	printf '%s\n' '{"biofilter":1,"kind":"theta"}' '{"id":1}' '{"id":2}' | mpcat --from-json >s.mpk
	run mpcat s.mpk
	assert_success
	assert_line -n 0 '{"biofilter":1,"kind":"theta"}'
	run mpcat --no-header s.mpk
	assert_equal "${#lines[@]}" 2
}

@test "--from-json: of a key given twice the last value is kept" {
	printf '%s\n' '{"a":1,"b":2,"a":3}' | mpcat --from-json >s.mpk
	run mpcat s.mpk
	assert_output '{"a":3,"b":2}'
}

@test "--from-json: an integer beyond 64 bits is a bad line, reported with its line number" {
	printf '%s\n' '{"a":1}' '{"b":18446744073709551616}' >in.jsonl
	run --separate-stderr mpcat --from-json -o s.mpk in.jsonl
	assert_failure 2
	stderr_has "in.jsonl: line 2"
	run mpcat s.mpk
	assert_output '{"a":1}'
}

@test "--from-json: a long line (over 100 kB) is read whole" {
	awk 'BEGIN { printf "{\"v\":["; for (i = 0; i < 20000; i++) printf "%s%d", i ? "," : "", i; print "]}" }' >long.jsonl
	mpcat --from-json long.jsonl >s.mpk
	run mpcat s.mpk
	assert_success
	assert_output "$(cat long.jsonl)"
}

@test "--from-json: a bad JSON line is reported with its line number; the others are converted; exit 2" {
	printf '%s\n' '{"a":1}' '{"b": oops}' '{"c":3}' >in.jsonl
	run --separate-stderr mpcat --from-json -o s.mpk in.jsonl
	assert_failure 2
	stderr_has "in.jsonl: line 2"
	run mpcat s.mpk
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 '{"a":1}'
	assert_line -n 1 '{"c":3}'
}

@test "--from-json: a line that is not an object is reported with its line number; exit 2" {
	printf '%s\n' '{"a":1}' '' '[1,2]' '{"c":3}' '7' >in.jsonl
	run --separate-stderr mpcat --from-json -o s.mpk in.jsonl
	assert_failure 2
	stderr_has "in.jsonl: line 3: not a JSON object"
	stderr_has "in.jsonl: line 5: not a JSON object"
	run mpcat s.mpk
	assert_equal "${#lines[@]}" 2
	assert_line -n 1 '{"c":3}'
}

@test "--from-json: a line of many bare NaN tokens is a bad line, not a crash" {
	# each NaN is rewritten internally into a longer tagged string
	awk 'BEGIN { printf "{\"a\":"; for (i = 0; i < 100000; i++) printf "NaN"; print "}" }' >nans.jsonl
	printf '%s\n' '{"b":1}' >>nans.jsonl
	run --separate-stderr mpcat --from-json -o s.mpk nans.jsonl
	assert_failure 2
	stderr_has "nans.jsonl: line 1"
	run mpcat s.mpk
	assert_output '{"b":1}'
	# and a long line of valid NaNs converts
	awk 'BEGIN { printf "{\"a\":["; for (i = 0; i < 100000; i++) printf "NaN,"; print "-Infinity]}" }' >many.jsonl
	mpcat --from-json many.jsonl >m.mpk
	run mpcat m.mpk
	assert_success
	assert_output "$(cat many.jsonl)"
}

@test "--from-json: a bad line with NaN tokens is reported in the user's terms" {
	printf '%s\n' '{"a":NaN NaN}' >in.jsonl
	run --separate-stderr mpcat --from-json in.jsonl
	assert_failure 2
	stderr_has "in.jsonl: line 1: column 10:"
	[[ "$stderr" != *'\u0001'* ]]
}

@test "--from-json: stdin is named <stdin> in messages" {
	run --separate-stderr bash -c 'printf "{\"a\":1}\n{x\n" | mpcat --from-json >/dev/null'
	assert_failure 2
	stderr_has "<stdin>: line 2"
}

@test "--from-json reads several files in turn" {
	printf '%s\n' '{"a":1}' >one.jsonl
	printf '%s\n' '{"a":2}' '{"a":3}' >two.jsonl
	mpcat --from-json one.jsonl two.jsonl >s.mpk
	run mpcat --tsv a -i s.mpk
	assert_output "$(printf '1\n2\n3')"
}

# ---- --head ----

@test "--head N stops after N records (headers are not records)" {
	headed theta 5 >s.mpk
	run mpcat --head 2 s.mpk
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 2 '{"id":2,"x":2}'
	run mpcat -n 3 --tsv id -i s.mpk
	assert_output "$(printf '1\n2\n3')"
	run mpcat --head 10 --no-header s.mpk
	assert_equal "${#lines[@]}" 5
}

@test "--head 0 prints no record" {
	numbered_stream 3 >s.mpk
	run mpcat --head 0 s.mpk
	assert_success
	refute_output --partial '"id"'
}

@test "--head 0 reads nothing and writes nothing, not even a header" {
	headed theta 3 >s.mpk
	run --separate-stderr mpcat --head 0 s.mpk
	assert_success
	assert_output ''
	run --separate-stderr mpcat --head 0 --msgpack no-such.mpk
	assert_success
	assert_output ''
}

@test "--head counts across files, and stops before a corrupt tail" {
	numbered_stream 2 >a.mpk
	run mpcat --head 3 --no-header a.mpk a.mpk a.mpk
	assert_success
	assert_equal "${#lines[@]}" 3
	{ cat a.mpk; printf '\xc1\xc1'; } >bad.mpk
	run mpcat --head 2 bad.mpk
	assert_success
	assert_equal "${#lines[@]}" 2
}

@test "--head with --from-json counts records" {
	printf '%s\n' '{"biofilter":1,"kind":"theta"}' '{"a":1}' '{"a":2}' '{"a":3}' | mpcat --from-json --head 2 >s.mpk
	run mpcat s.mpk
	assert_equal "${#lines[@]}" 3
	assert_line -n 2 '{"a":2}'
}

@test "bad --head values are usage errors (exit 2) naming the value" {
	numbered_stream 1 >s.mpk
	for v in x -1 1.5 '' 3x; do
		run mpcat --head "$v" s.mpk
		assert_failure 2
		assert_output --partial "'--head' must be an integer from 0"
		assert_output --partial "got '$v'"
	done
	run mpcat s.mpk --head
	assert_failure 2
	assert_output --partial "option '--head' needs a value"
}

# ---- --shard ----

@test "--shard I/K keeps the records whose index is I mod K" {
	numbered_stream 7 >s.mpk
	run mpcat --shard 0/3 --tsv id -i s.mpk
	assert_output "$(printf '1\n4\n7')"
	run mpcat --shard 1/3 --tsv id -i s.mpk
	assert_output "$(printf '2\n5')"
	run mpcat --shard 2/3 --tsv id -i s.mpk
	assert_output "$(printf '3\n6')"
	run mpcat --shard 0/1 --tsv id -i s.mpk
	assert_equal "${#lines[@]}" 7
}

@test "--shard: shards 0/3 1/3 2/3 together give every record once" {
	headed theta 20 >s.mpk
	for i in 0 1 2; do mpcat --shard $i/3 --no-header s.mpk; done | sort >all
	mpcat --no-header s.mpk | sort >want
	run diff want all
	assert_success
	# headers pass through every shard
	assert_equal "$(mpcat --shard 2/3 s.mpk | head -1)" "$(mpcat s.mpk | head -1)"
	mpcat --shard 1/3 --msgpack s.mpk >part.mpk
	run mpcat part.mpk
	assert_line -n 0 --partial '"biofilter":1'
}

@test "--shard numbers records across concatenated files, as one stream" {
	numbered_stream 3 >a.mpk
	cat a.mpk a.mpk >aa.mpk
	run mpcat --shard 0/2 --tsv id -i aa.mpk
	assert_output "$(printf '1\n3\n2')"
	# FILE arguments are numbered as one stream too, as cat a a is
	run mpcat --shard 0/2 --no-header a.mpk a.mpk
	assert_output "$(mpcat --shard 0/2 --no-header aa.mpk)"
	printf '%s\n' '{"a":1}' '{"a":2}' '{"a":3}' >a.jsonl
	mpcat --from-json --shard 1/2 a.jsonl a.jsonl >s.mpk
	run mpcat --tsv a -i s.mpk
	assert_output "$(printf '2\n1\n3')"
}

@test "messages number records across FILE arguments as one stream" {
	numbered_stream 2 >a.mpk
	{ numbered_stream 1; printf '\x05'; } >b.mpk
	run --separate-stderr mpcat a.mpk b.mpk
	assert_failure 2
	stderr_has "b.mpk: record 4: not a map"
}

@test "--shard: K may be up to 1000000" {
	numbered_stream 3 >s.mpk
	run mpcat --shard 2/1000000 --tsv id -i s.mpk
	assert_success
	assert_output 3
}

@test "bad --shard values are usage errors (exit 2)" {
	numbered_stream 1 >s.mpk
	for v in 3/3 x 1/0 -1/3 1/ /3 1/3x 4/3 1/-3 0/3/1 0/1000001; do
		run mpcat --shard "$v" s.mpk
		assert_failure 2
		assert_output --partial "'--shard' must be I/K with 0 <= I < K, got '$v'"
	done
}

@test "--shard applies to --from-json too" {
	printf '%s\n' '{"a":1}' '{"a":2}' '{"a":3}' | mpcat --from-json --shard 0/2 >s.mpk
	run mpcat --tsv a -i s.mpk
	assert_output "$(printf '1\n3')"
}

# ---- -i, FILE arguments, -o ----

@test "-i FILE reads that file; '-' is stdin" {
	numbered_stream 2 >s.mpk
	run mpcat -i s.mpk
	assert_success
	assert_equal "${#lines[@]}" 2
	run bash -c 'mpcat --input - <s.mpk'
	assert_equal "${#lines[@]}" 2
	run bash -c 'mpcat - <s.mpk'
	assert_equal "${#lines[@]}" 2
}

@test "--from-json: '-' is stdin too" {
	run bash -c 'printf "{\"a\":1}\n" | mpcat --from-json - | mpcat'
	assert_success
	assert_output '{"a":1}'
}

@test "several FILE arguments are read in turn" {
	numbered_stream 2 >a.mpk
	printf '%s\n' '{"id":"b"}' | mpcat --from-json >b.mpk
	run mpcat --no-header a.mpk b.mpk a.mpk
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_line -n 2 '{"id":"b"}'
	assert_line -n 4 '{"id":2,"x":2}'
}

@test "-i and FILE arguments together are a usage error" {
	numbered_stream 1 >s.mpk
	run mpcat -i s.mpk s.mpk
	assert_failure 2
	assert_output --partial "not both"
}

@test "-o FILE writes the output there, the same bytes as stdout" {
	headed theta 3 >s.mpk
	mpcat s.mpk >want.json
	run --separate-stderr mpcat -o out.json s.mpk
	assert_success
	assert_output ''
	cmp want.json out.json
	mpcat --output out2.mpk --msgpack s.mpk
	cmp s.mpk out2.mpk
}

@test "-o is atomic: a failed run leaves no file under the final name and no temporary file" {
	headed theta 50 >s.mpk
	head -c 300 s.mpk >trunc.mpk
	mkdir out
	run --separate-stderr mpcat --msgpack -o out/res.mpk s.mpk trunc.mpk
	assert_failure 2
	stderr_has "trunc.mpk: truncated stream"
	assert_equal "$(ls -A out)" ""
	# an older file under the name is left as it was
	echo old >out/res.mpk
	run mpcat -o out/res.mpk trunc.mpk
	assert_failure 2
	assert_equal "$(cat out/res.mpk)" old
	assert_equal "$(ls -A out)" res.mpk
}

@test "-o into a missing directory, or onto a directory: a run-time error (exit 1), nothing written" {
	numbered_stream 1 >s.mpk
	run mpcat -o nodir/out.json s.mpk
	assert_failure 1
	[ ! -e nodir ]
	mkdir d
	run mpcat -o d s.mpk
	assert_failure 1
	assert_equal "$(ls -A d)" ""
}

@test "an output that cannot be opened: the message names it" {
	numbered_stream 1 >s.mpk
	run --separate-stderr bash -c 'mpcat s.mpk >&-'
	assert_failure 1
	stderr_has "mpcat: <stdout>:"
	run --separate-stderr mpcat -o nodir/out.json s.mpk
	assert_failure 1
	stderr_has "mpcat: nodir/out.json: cannot write"
	mkdir d
	run --separate-stderr mpcat -o d s.mpk
	assert_failure 1
	stderr_has "mpcat: d: cannot write"
}

@test "-o /dev/full: exit 1 and 'write failed'" {
	numbered_stream 3 >s.mpk
	run --separate-stderr mpcat -o /dev/full s.mpk
	assert_failure 1
	stderr_has "/dev/full: write failed"
	run --separate-stderr mpcat -z -o /dev/full s.mpk
	assert_failure 1
	stderr_has "/dev/full: write failed"
	run --separate-stderr mpcat --msgpack -o /dev/full s.mpk
	assert_failure 1
	stderr_has "write failed"
}

@test "stdout full (>/dev/full): exit 1 and 'write failed'" {
	numbered_stream 3 >s.mpk
	run --separate-stderr bash -c 'mpcat s.mpk >/dev/full'
	assert_failure 1
	stderr_has "<stdout>: write failed"
}

@test "a closed stdout (mpcat | head -c 10) is a failure with a message, not a silent death" {
	# far more than a pipe holds, so mpcat must see the reader go away
	numbered_stream 40000 >s.mpk
	run --separate-stderr bash -c 'mpcat s.mpk | head -c 10; st=${PIPESTATUS[0]}; echo; echo "status $st"'
	assert_line -n 0 '{"id":1,"x'
	assert_line -n 1 'status 1'
	stderr_has "mpcat: <stdout>: write failed"
	run --separate-stderr bash -c 'mpcat --tsv id x -i s.mpk | head -c 10 >/dev/null; echo "status ${PIPESTATUS[0]}"'
	assert_output 'status 1'
	stderr_has "write failed"
}

# ---- -z and gzip input ----

@test "-z writes gzip; gzip -d gives the uncompressed output" {
	headed theta 3 >s.mpk
	mpcat -z --msgpack s.mpk >s.gz
	assert_equal "$(od -An -tx1 -N2 s.gz | tr -d ' ')" 1f8b
	gzip -dc s.gz | cmp - s.mpk
	mpcat --compress s.mpk >j.gz
	assert_equal "$(gzip -dc j.gz)" "$(mpcat s.mpk)"
	mpcat -z -o z.mpk.gz --msgpack s.mpk
	gzip -dc z.mpk.gz | cmp - s.mpk
}

@test "gzip input is read transparently (streams and JSON lines)" {
	headed theta 3 >s.mpk
	gzip -c s.mpk >s.mpk.gz
	run mpcat s.mpk.gz
	assert_success
	assert_output "$(mpcat s.mpk)"
	run bash -c 'gzip -c s.mpk | mpcat --tsv id'
	assert_output "$(printf '1\n2\n3')"
	mpcat s.mpk | gzip -c >j.gz
	mpcat --from-json j.gz | cmp - s.mpk
	# a stream written with -z reads back as itself
	mpcat -z --msgpack s.mpk | mpcat --msgpack | cmp - s.mpk
}

@test "gzip members concatenate; plain data after gzip data is an error" {
	numbered_stream 3 >s.mpk
	gzip -c s.mpk >a.gz
	cat a.gz a.gz >aa.gz
	run mpcat --tsv id -i aa.gz
	assert_success
	assert_equal "${#lines[@]}" 6
	cat a.gz s.mpk >mixed
	run --separate-stderr mpcat --tsv id -i mixed
	assert_failure 2
	stderr_has "mixed: read error after record 3: data after the gzip data is not gzip"
}

@test "gzip cut short: exit 2 with a message naming the file" {
	numbered_stream 3000 | gzip -c >s.gz
	size=$(wc -c <s.gz)
	head -c $((size / 2)) s.gz >cut.gz
	run --separate-stderr mpcat cut.gz
	assert_failure 2
	stderr_has "cut.gz: read error after record"
	mpcat s.gz | gzip -c >j.gz
	size=$(wc -c <j.gz)
	head -c $((size / 2)) j.gz >jcut.gz
	run --separate-stderr mpcat --from-json jcut.gz
	assert_failure 2
	stderr_has "jcut.gz: read error after line"
}

@test "gzip with only its last bytes (the trailer) missing is an error too" {
	numbered_stream 5 | gzip -c >s.gz
	size=$(wc -c <s.gz)
	head -c $((size - 4)) s.gz >cut.gz
	run --separate-stderr mpcat cut.gz
	assert_failure 2
	stderr_has "cut.gz"
}

# ---- --help, --version, usage errors ----

@test "--help and -h print the usage and exit 0" {
	run mpcat --help
	assert_success
	assert_line -n 0 --partial "usage: mpcat"
	for opt in --json --tsv --msgpack --from-json --head --no-header --header --shard --input --output --compress --quiet --version; do
		assert_output --partial -- "$opt"
	done
	run mpcat -h
	assert_success
	assert_line -n 0 --partial "usage: mpcat"
}

@test "--version prints the program and version" {
	run mpcat --version
	assert_success
	assert_output --regexp '^mpcat \(biofilter\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "an unknown option is a usage error (exit 2) naming it" {
	run --separate-stderr mpcat --bogus
	assert_failure 2
	stderr_has "option '--bogus'"
	stderr_has "see mpcat --help"
	run --separate-stderr mpcat -x
	assert_failure 2
	stderr_has "option '-x'"
}

@test "an unknown short option inside a cluster is named" {
	run --separate-stderr mpcat -xq
	assert_failure 2
	stderr_has "'-x'"
}

@test "long options take --option=value and unambiguous prefixes; an ambiguous one is an error" {
	numbered_stream 5 >s.mpk
	run mpcat --head=2 --no-header s.mpk
	assert_success
	assert_equal "${#lines[@]}" 2
	run mpcat --sha 1/2 --no-h s.mpk
	assert_success
	assert_output "$(printf '%s\n' '{"id":2,"x":2}' '{"id":4,"x":4}')"
	run --separate-stderr mpcat --he 1 s.mpk
	assert_failure 2
	stderr_has "'--he'"
}

@test "an option without its value is a usage error" {
	for opt in -i -o --shard -n; do
		run --separate-stderr mpcat "$opt"
		assert_failure 2
		stderr_has "needs a value"
	done
}

# ---- bad input ----

@test "a missing file: exit 2, the message names the file" {
	run --separate-stderr mpcat no-such.mpk
	assert_failure 2
	stderr_has "mpcat: no-such.mpk: No such file or directory"
	run --separate-stderr mpcat -i no-such.mpk
	assert_failure 2
	stderr_has "no-such.mpk"
	run --separate-stderr mpcat --from-json no-such.jsonl
	assert_failure 2
	stderr_has "no-such.jsonl"
	numbered_stream 1 >s.mpk
	run --separate-stderr mpcat s.mpk no-such.mpk
	assert_failure 2
	stderr_has "no-such.mpk"
}

@test "a directory as input: exit 2 naming it" {
	mkdir d
	run --separate-stderr mpcat d
	assert_failure 2
	stderr_has "d: read error"
}

@test "a truncated stream: exit 2, the message says truncated and names the file" {
	headed theta 6 >s.mpk
	size=$(wc -c <s.mpk)
	for n in 5 40 $((size - 1)); do
		head -c $n s.mpk >cut.mpk
		run --separate-stderr mpcat cut.mpk
		assert_failure 2
		stderr_has "cut.mpk: truncated stream"
	done
	run --separate-stderr bash -c 'head -c 60 s.mpk | mpcat'
	assert_failure 2
	stderr_has "<stdin>: truncated stream"
}

@test "on stdout, the records before a fatal error are still printed" {
	numbered_stream 3 >s.mpk
	{ cat s.mpk; printf '\xc1'; } >bad.mpk
	run --separate-stderr mpcat bad.mpk
	assert_failure 2
	assert_output "$(mpcat s.mpk)"
	run --separate-stderr mpcat s.mpk no-such.mpk
	assert_failure 2
	assert_output "$(mpcat s.mpk)"
}

@test "corrupt bytes: exit 2, the message names the file and the record" {
	numbered_stream 2 >s.mpk
	{ cat s.mpk; printf '\xc1\xc1\xc1'; } >bad.mpk
	run --separate-stderr mpcat bad.mpk
	assert_failure 2
	stderr_has "bad.mpk: corrupt MessagePack after record 2"
	printf '\xc1' >bad0.mpk
	run --separate-stderr mpcat --tsv id -i bad0.mpk
	assert_failure 2
	stderr_has "bad0.mpk: corrupt MessagePack before the first record"
}

@test "a corrupt array or map length (4 G entries) is an error, not a crash" {
	for b in '\xdd\xff\xff\xff\xff' '\xdf\xff\xff\xff\xff' '\xdb\xff\xff\xff\xff'; do
		printf "$b" >huge.mpk
		run --separate-stderr timeout 20 mpcat huge.mpk
		assert_failure 2
		stderr_has "huge.mpk"
	done
}

@test "a record that is not a map: exit 2, named, and the other records still printed" {
	{ numbered_stream 2; printf '\x05'; printf '%s\n' '{"id":4}' | mpcat --from-json; } >s.mpk
	run --separate-stderr mpcat s.mpk
	assert_failure 2
	stderr_has "s.mpk: record 3: not a map"
	assert_equal "${#lines[@]}" 4
	assert_line -n 0 '{"id":1,"x":1}'
	assert_line -n 2 '5'
	assert_line -n 3 '{"id":4}'
	run --separate-stderr mpcat --tsv id -i s.mpk
	assert_failure 2
	stderr_has "record 3: not a map"
	assert_output "$(printf '1\n2\n4')"
	run --separate-stderr mpcat --msgpack -o out.mpk s.mpk
	assert_failure 2
	run --separate-stderr mpcat --no-header out.mpk
	assert_failure 2
	assert_equal "${#lines[@]}" 4
	assert_line -n 2 '5'
}

@test "-q keeps the warnings off stderr but not the exit status" {
	{ numbered_stream 1; printf '\x05'; } >s.mpk
	run --separate-stderr mpcat -q s.mpk
	assert_failure 2
	stderr_empty
	printf '%s\n' '{"a":1}' 'oops' >in.jsonl
	run --separate-stderr mpcat --quiet --from-json -o out.mpk in.jsonl
	assert_failure 2
	stderr_empty
}

@test "--tsv --headers: the fields of each input's first header, not the records" {
	echo '{"biofilter": 1, "kind": "population", "beta": 0.25, "stage": 3}
{"id": 0, "beta": 9}' | mpcat --from-json >a.mpk
	echo '{"biofilter": 1, "kind": "population", "beta": 1.0, "stage": 4}' | mpcat --from-json >b.mpk
	run mpcat --tsv --headers stage beta -i a.mpk
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '3\t0.25')" ]
	run mpcat --tsv -H --headers beta -i b.mpk
	[ "$output" = "$(printf '# beta\n1')" ]
	# a stream without a header has none to print
	numbered_stream 3 >n.mpk
	run mpcat --tsv --headers id -i n.mpk
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run --separate-stderr mpcat --json --headers
	[ "$status" -eq 2 ]
	stderr_has "'--headers' goes with '--tsv'"
}

@test "--tsv --headers: a stream cut inside its header is an error, not an empty table" {
	echo '{"biofilter": 1, "kind": "population", "beta": 0.25, "stage": 3, "pad": "0123456789012345678901234567890123456789"}
{"id": 0}' | mpcat --from-json >a.mpk
	head -c 40 a.mpk >cut.mpk
	run --separate-stderr mpcat --tsv --headers stage -i cut.mpk
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	stderr_has "cut.mpk: truncated stream before the first record"
}

# ---- --tsv: header fields (^) and iterated fields ([]) ----

@test "--tsv: 'a[]' gives a row per element, parallel arrays side by side, other fields repeat" {
	printf '%s\n' '{"id":"r","step":[0,5,10],"t":[0.0,0.5,1.0],"state":{"phi":[[1,2],[3,4],[5,6]]}}' \
		'{"id":"s","step":[7,8],"t":[2.0,2.5],"state":{"phi":[[9,9],[8,8]]}}' | mpcat --from-json >s.mpk
	run --separate-stderr mpcat -i s.mpk --tsv id 'step[]' 't[]' 'state.phi[]'
	assert_success
	stderr_empty
	assert_output "$(printf 'r\t0\t0\t1\t2\nr\t5\t0.5\t3\t4\nr\t10\t1\t5\t6\ns\t7\t2\t9\t9\ns\t8\t2.5\t8\t8')"
	# comma-separated, and in another order: the rows follow the elements
	run mpcat -i s.mpk --tsv 't[],id' 'step[]'
	assert_success
	assert_line -n 0 "$(printf '0\tr\t0')"
	assert_line -n 4 "$(printf '2.5\ts\t8')"
	assert_equal "${#lines[@]}" 5
}

@test "--tsv: fields without [] are as before, one row per record, arrays spread" {
	printf '%s\n' '{"id":"r","step":[0,5,10],"t":[0.0,0.5,1.0],"state":{"phi":[[1,2],[3,4],[5,6]]}}' |
		mpcat --from-json >s.mpk
	run mpcat -i s.mpk --tsv id step t state.phi
	assert_success
	assert_output "$(printf 'r\t0\t5\t10\t0\t0.5\t1\t1\t2\t3\t4\t5\t6')"
	# a single iterated field: one cell per row
	run mpcat -i s.mpk --tsv 'step[]'
	assert_success
	assert_output "$(printf '0\n5\n10')"
}

@test "--tsv: 'a[].b' reaches into each map of a list; a missing key is an empty cell" {
	printf '%s\n' '{"id":1,"h":[{"b":1,"c":"x"},{"b":2.5,"c":{"d":[3]}},{"c":"z"}]}' | mpcat --from-json >s.mpk
	run --separate-stderr mpcat -i s.mpk --tsv id 'h[].b' 'h[].c'
	assert_success
	stderr_empty
	assert_output "$(printf '1\t1\tx\n1\t2.5\t{"d":[3]}\n1\t\tz')"
	# a dotted path inside the element
	run mpcat -i s.mpk --tsv 'h[].c.d'
	assert_success
	assert_output "$(printf '\n3\n')"
	# the element itself: a map is one JSON cell
	run mpcat -i s.mpk --tsv 'h[]'
	assert_success
	assert_line -n 0 '{"b":1,"c":"x"}'
	assert_equal "${#lines[@]}" 3
}

@test "--tsv: a record whose iterated arrays are empty gives no row" {
	printf '%s\n' '{"id":1,"a":[],"b":[]}' '{"id":2,"a":[7],"b":[8]}' '{"id":3,"a":[],"b":[]}' |
		mpcat --from-json >s.mpk
	run --separate-stderr mpcat -i s.mpk --tsv id 'a[]' 'b[]'
	assert_success
	stderr_empty
	assert_output "$(printf '2\t7\t8')"
	run --separate-stderr mpcat -i s.mpk --tsv id 'a[]'
	assert_success
	assert_output "$(printf '2\t7')"
	# -H still names the columns after the first record, which has no row
	run mpcat -i s.mpk --tsv -H id 'a[]' 'b[]'
	assert_success
	assert_output "$(printf '# id\ta[]\tb[]\n2\t7\t8')"
}

@test "-H names an iterated field's columns with its [] (st.phi[][0]), and ^ fields as given" {
	printf '%s\n' '{"biofilter":1,"kind":"trajectory","program":"solve"}' \
		'{"id":"r","step":[0,5],"st":{"phi":[[1,2],[3,4]]}}' | mpcat --from-json >s.mpk
	run mpcat -i s.mpk --tsv -H ^program id 'step[]' 'st.phi[]'
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 "$(printf '# ^program\tid\tstep[]\tst.phi[][0]\tst.phi[][1]')"
	assert_line -n 1 "$(printf 'solve\tr\t0\t1\t2')"
	assert_line -n 2 "$(printf 'solve\tr\t5\t3\t4')"
}

@test "--tsv: iterated arrays of different lengths: the record is reported and skipped, the others print, exit 2" {
	printf '%s\n' '{"id":1,"step":[0,1],"t":[0.0,0.1]}' \
		'{"id":2,"step":[0,1,2,3,4],"t":[0.0,0.1,0.2,0.3,0.4,0.5]}' \
		'{"id":3,"step":[9],"t":[0.9]}' | mpcat --from-json >s.mpk
	run --separate-stderr mpcat -i s.mpk --tsv id 'step[]' 't[]'
	assert_failure 2
	stderr_has "mpcat: s.mpk: record 2: 't[]' has 6 elements, 'step[]' 5"
	assert_output "$(printf '1\t0\t0\n1\t1\t0.1\n3\t9\t0.9')"
	# -q: no message, the same rows and exit status
	run --separate-stderr mpcat -q -i s.mpk --tsv id 'step[]' 't[]'
	assert_failure 2
	stderr_empty
	assert_equal "${#lines[@]}" 3
	# -o: the output is still completed
	run --separate-stderr mpcat -i s.mpk -o out.tsv --tsv id 'step[]' 't[]'
	assert_failure 2
	assert_equal "$(cat out.tsv)" "$(printf '1\t0\t0\n1\t1\t0.1\n3\t9\t0.9')"
}

@test "--tsv: an iterated field that is missing or not an array is reported; exit 2" {
	printf '%s\n' '{"id":1,"h":[{"b":1}]}' '{"id":2}' '{"id":3,"h":5}' '{"id":4,"h":{"b":2}}' '{"id":5,"h":[{"b":6}]}' |
		mpcat --from-json >s.mpk
	run --separate-stderr mpcat -i s.mpk --tsv id 'h[].b'
	assert_failure 2
	stderr_has "mpcat: s.mpk: record 2: 'h[].b': 'h' is missing"
	stderr_has "mpcat: s.mpk: record 3: 'h[].b': 'h' is not an array"
	stderr_has "mpcat: s.mpk: record 4: 'h[].b': 'h' is not an array"
	assert_output "$(printf '1\t1\n5\t6')"
	# a dotted path before the []
	run --separate-stderr mpcat -i s.mpk --tsv 'x.y[]'
	assert_failure 2
	stderr_has "record 1: 'x.y[]': 'x.y' is missing"
}

@test "--tsv: ^ fields come from the stream's header; without a header they are empty" {
	printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["p","q"],"meta":{"run":"A"}}' \
		'{"id":1,"theta":[10,20]}' '{"id":2,"theta":[30,40]}' | mpcat --from-json >s.mpk
	run --separate-stderr mpcat -i s.mpk --tsv ^kind ^meta.run id
	assert_success
	assert_output "$(printf 'theta\tA\t1\ntheta\tA\t2')"
	# a header list iterated alongside a record list
	run mpcat -i s.mpk --tsv id '^parameters[]' 'theta[]'
	assert_success
	assert_output "$(printf '1\tp\t10\n1\tq\t20\n2\tp\t30\n2\tq\t40')"
	# '^x' is the header's x, not the record's
	run mpcat -i s.mpk --tsv ^id ^theta id
	assert_success
	assert_output "$(printf '\t\t1\n\t\t2')"
	# a stream without a header: an empty cell; iterated, a missing field
	numbered_stream 2 >n.mpk
	run --separate-stderr mpcat -i n.mpk --tsv ^kind id
	assert_success
	assert_output "$(printf '\t1\n\t2')"
	run --separate-stderr mpcat -i n.mpk --tsv id '^parameters[]'
	assert_failure 2
	stderr_has "n.mpk: record 1: '^parameters[]': '^parameters' is missing"
	stderr_has "n.mpk: record 2: '^parameters[]': '^parameters' is missing"
	assert_output ''
}

# posterior_like > FILE: a posterior stream of three sections (levels A, B,
# C), each header with its own parameters and truths.
posterior_like() {
	printf '%s\n' \
		'{"biofilter":1,"kind":"posterior","level":"A","parameters":["a1","a2"],"truth":[0.5,null],"history":[{"stage":1,"beta":0.25},{"stage":2,"beta":1.0}]}' \
		'{"id":0,"theta":[1.0,2.0]}' '{"id":1,"theta":[3.0,4.0]}' \
		'{"biofilter":1,"kind":"posterior","level":"B","parameters":["b1"],"truth":[7],"history":[{"stage":1,"beta":1.0}]}' \
		'{"id":0,"theta":[5.0]}' \
		'{"biofilter":1,"kind":"posterior","level":"C","parameters":["c1","c2","c3"],"truth":[1,2,3],"history":[]}' \
		'{"id":0,"theta":[6.0,7.0,8.0]}' '{"id":1,"theta":[9.0,10.0,11.0]}' |
		mpcat --from-json
}

@test "--tsv: in a posterior stream ^ fields come from the header of the record's section" {
	posterior_like >p.mpk
	run --separate-stderr mpcat -i p.mpk --tsv ^level id theta
	assert_success
	stderr_empty
	assert_output "$(printf 'A\t0\t1\t2\nA\t1\t3\t4\nB\t0\t5\nC\t0\t6\t7\t8\nC\t1\t9\t10\t11')"
	# each section's names and truths, iterated with the record's theta
	run --separate-stderr mpcat -i p.mpk --tsv ^level id '^parameters[]' 'theta[]' '^truth[]'
	assert_success
	stderr_empty
	assert_output "$(printf '%s\n' 'A	0	a1	1	0.5' 'A	0	a2	2	' 'A	1	a1	3	0.5' 'A	1	a2	4	' \
		'B	0	b1	5	7' 'C	0	c1	6	1' 'C	0	c2	7	2' 'C	0	c3	8	3' \
		'C	1	c1	9	1' 'C	1	c2	10	2' 'C	1	c3	11	3')"
	# -H names the columns after the first record
	run mpcat -i p.mpk --tsv -H ^level '^parameters[]' 'theta[]'
	assert_success
	assert_line -n 0 "$(printf '# ^level\t^parameters[]\ttheta[]')"
	assert_equal "${#lines[@]}" 12
}

@test "--tsv: a header list and a record list of different lengths: that record is reported, exit 2" {
	posterior_like >p.mpk
	# level B's record has 2 thetas against 1 name
	mpcat -i p.mpk --json | sed 's/"theta":\[5.0\]/"theta":[5.0,5.5]/' | mpcat --from-json >q.mpk
	run --separate-stderr mpcat -i q.mpk --tsv ^level '^parameters[]' 'theta[]'
	assert_failure 2
	stderr_has "mpcat: q.mpk: record 3: 'theta[]' has 2 elements, '^parameters[]' 1"
	assert_equal "${#lines[@]}" 10
	refute_output --partial B
}

@test "--tsv --headers with []: a row per element of each section's header list" {
	posterior_like >p.mpk
	run --separate-stderr mpcat -i p.mpk --tsv --headers level 'parameters[]' 'truth[]'
	assert_success
	stderr_empty
	assert_output "$(printf '%s\n' 'A	a1	0.5' 'A	a2	' 'B	b1	7' 'C	c1	1' 'C	c2	2' 'C	c3	3')"
	# a list of maps; level C's empty history gives no row
	run --separate-stderr mpcat -i p.mpk --tsv --headers -H level 'history[].stage' 'history[].beta'
	assert_success
	assert_output "$(printf '%s\n' '# level	history[].stage	history[].beta' 'A	1	0.25' 'A	2	1' 'B	1	1')"
	# without [], a row per section as before; ^x is x itself here
	run mpcat -i p.mpk --tsv --headers level ^level truth
	assert_success
	assert_output "$(printf '%s\n' 'A	A	0.5	' 'B	B	7' 'C	C	1	2	3')"
	# a population stream: its one header
	echo '{"biofilter": 1, "kind": "population", "stage": 2, "history": [{"stage": 1, "beta": 0.5}, {"stage": 2, "beta": 1.0}]}
{"id": 0}' | mpcat --from-json >pop.mpk
	run mpcat -i pop.mpk --tsv --headers stage 'history[].stage' 'history[].beta'
	assert_success
	assert_output "$(printf '2\t1\t0.5\n2\t2\t1')"
}

@test "--tsv --headers: a header that does not fit the iterated fields says 'header:'; exit 2" {
	posterior_like >p.mpk
	run --separate-stderr mpcat -i p.mpk --tsv --headers level 'parameters[]' 'truth[]' 'history[].beta'
	assert_failure 2
	stderr_has "mpcat: p.mpk: header: 'history[].beta' has 0 elements, 'truth[]' 3"
	# levels A and B have as many history entries as parameters: they print
	assert_output "$(printf '%s\n' 'A	a1	0.5	0.25' 'A	a2		1' 'B	b1	7	1')"
	[ "$(grep -c header: <<<"$stderr")" -eq 1 ]
	echo '{"biofilter": 1, "kind": "population", "history": 3}' | mpcat --from-json >pop.mpk
	run --separate-stderr mpcat -i pop.mpk --tsv --headers 'history[].beta'
	assert_failure 2
	stderr_has "mpcat: pop.mpk: header: 'history[].beta': 'history' is not an array"
	run --separate-stderr mpcat -i pop.mpk --tsv --headers 'nothing[]'
	assert_failure 2
	stderr_has "mpcat: pop.mpk: header: 'nothing[]': 'nothing' is missing"
	assert_output ''
}

@test "--msgpack: two copies of a posterior stream of three levels give six sections" {
	printf '%s\n' '{"biofilter":1,"kind":"posterior","level":"A"}' '{"id":0}' \
		'{"biofilter":1,"kind":"posterior","level":"B"}' '{"id":1}' \
		'{"biofilter":1,"kind":"posterior","level":"C"}' '{"id":2}' | mpcat --from-json >p.mpk
	run --separate-stderr mpcat --msgpack p.mpk p.mpk -o two.mpk
	assert_success
	run mpcat -i two.mpk --tsv ^level id
	assert_output "$(printf 'A\t0\nB\t1\nC\t2\nA\t0\nB\t1\nC\t2')"
	# a stream of another kind still has to agree
	printf '%s\n' '{"biofilter":1,"kind":"theta"}' '{"id":9}' | mpcat --from-json >t.mpk
	run --separate-stderr mpcat --msgpack p.mpk t.mpk -o bad.mpk
	assert_failure 2
	stderr_has "t.mpk: its header disagrees with that of p.mpk"
	[ ! -e bad.mpk ]
}
