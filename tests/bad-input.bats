#!/usr/bin/env bats
# Bad input, across the programs: truncated, corrupt and oversized streams,
# nesting, gzip, headers that disagree, empty input, wrong types, NaN and
# infinities, bad options and bad JSON files (models, priors, plans,
# generative models, specs, reports). Every case asserts the exit status
# (2 for bad input or usage, 1 for a run-time failure such as a broken
# evaluator), a distinctive part of the message (which names the file, the
# record and the field), and, with -o, that no file is left under the final
# name. The other suites test each program's own options in depth; this one
# goes across the programs, one kind of bad input at a time.
#
# Inputs are made here, small: mpcat --from-json, printf with escapes, head
# -c of a valid stream, dd to overwrite a byte. tmcmc-stage uses
# analytic-loglik as its evaluator. The whole file takes a few seconds.

load helpers

eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
setup() {
	helpers_setup
	TMAZE="$TOP/examples/agent/tmaze.json"
	TPRIOR="$TOP/examples/tmcmc/prior.json"  # x1, x2 uniform on [0, 3]
	TSPEC="$TOP/examples/tmcmc/mixture.json" # a 2-D mixture on them
	EVAL="analytic-loglik '$TSPEC'"
}

# The size claims of a corrupt stream: array32 of 4 G elements, map32 of
# 2 G entries, str32 of 4 GiB, bin32 of 4 GiB, ext32 of 4 GiB.
HUGE_ARRAY='\xdd\xff\xff\xff\xff'
HUGE_MAP='\xdf\x7f\xff\xff\xff'
HUGE_STR='\xdb\xff\xff\xff\xff'
HUGE_BIN='\xc6\xff\xff\xff\xff'
HUGE_EXT='\xc9\xff\xff\xff\xff\x01'

# theta2 ID... > FILE: 2-D theta records (for analytic-loglik and the
# tmcmc prior) with a theta header.
theta2() {
	{
		printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["x1","x2"]}'
		local id
		for id in "$@"; do printf '{"id":%s,"theta":[1.0,2.0]}\n' "$id"; done
	} | mpcat --from-json
}

# obs_stream N > FILE: N observation records of the T-maze (ids 1..N).
obs_stream() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"obs\":[0,0,0]}\n", i }' | mpcat --from-json
}

# population N > pop.mpk: stage 0 of the tmcmc prior with N chains.
population() {
	tmcmc-stage --init --prior "$TPRIOR" -N "$1" --seed 1 -o pop.mpk
}

# nested N: a map {"a": ...} whose value is N arrays nested in one another
# around the integer 1: N + 1 levels in all.
nested() {
	printf '\x81\xa1a'
	local i
	for ((i = 0; i < $1; i++)); do printf '\x91'; done
	printf '\x01'
}

# ---- sizes: claims of huge objects are refused before any allocation ----

@test "an array32 claiming 4 G elements: every stream reader refuses it at once (exit 2)" {
	printf "$HUGE_ARRAY" >huge.mpk
	model_json >m.json
	for cmd in "mpcat" "solve -m m.json -i" "sensitivity -m m.json -i" "analytic-loglik $TSPEC -i" \
		"agent -m $TMAZE -i"; do
		run --separate-stderr timeout 10 $cmd huge.mpk
		assert_failure 2
		stderr_has "huge.mpk: before the first record: an object larger than 64 MiB"
	done
}

@test "a map32 claiming 2 G entries, a str32, bin32 or ext32 claiming 4 GiB: refused at once (exit 2)" {
	for claim in "$HUGE_MAP" "$HUGE_STR" "$HUGE_BIN" "$HUGE_EXT"; do
		printf "$claim" >huge.mpk
		run --separate-stderr timeout 10 mpcat huge.mpk
		assert_failure 2
		stderr_has "mpcat: huge.mpk: before the first record: an object larger than 64 MiB"
		run --separate-stderr timeout 10 analytic-loglik -i huge.mpk -o ll.mpk "$TSPEC"
		assert_failure 2
		stderr_has "analytic-loglik: huge.mpk: before the first record: an object larger than 64 MiB"
		[ ! -e ll.mpk ]
	done
}

@test "a huge claim after good records names the last good record; -o leaves nothing" {
	model_json steps=20 >m.json
	{ theta_stream 1 2; printf "$HUGE_MAP"; } >th.mpk
	run --separate-stderr timeout 10 solve -m m.json --steps 0 -i th.mpk -o out.mpk
	assert_failure 2
	stderr_has "solve: th.mpk: after record 2: an object larger than 64 MiB"
	[ ! -e out.mpk ]
	# the claim inside a record: a theta of 4 G numbers
	{ theta_stream 1; printf '\x82\xa2id\x02\xa5theta'; printf "$HUGE_ARRAY"; } >th2.mpk
	run --separate-stderr timeout 10 sensitivity -m m.json --steps 0 -i th2.mpk -o out.mpk
	assert_failure 2
	stderr_has "sensitivity: th2.mpk: after record 1: an object larger than 64 MiB"
	[ ! -e out.mpk ]
}

@test "a str32 claiming 64 MiB exactly is too large; one claiming more than the file holds is truncated" {
	printf '\xdb\x04\x00\x00\x00abc' >at.mpk
	run --separate-stderr timeout 10 analytic-loglik -i at.mpk "$TSPEC"
	assert_failure 2
	stderr_has "at.mpk: before the first record: an object larger than 64 MiB"
	printf '\xd9\xffabc' >short.mpk
	run --separate-stderr mpcat short.mpk
	assert_failure 2
	stderr_has "mpcat: short.mpk: truncated stream before the first record"
}

@test "tmcmc-stage: a population that claims a huge object says so, not 'no header'" {
	printf "$HUGE_ARRAY" >pop.mpk
	run --separate-stderr timeout 10 tmcmc-stage --eval "$EVAL" -i pop.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: pop.mpk: before the first record: an object larger than 64 MiB"
	[ ! -e next.mpk ]
}

@test "sensitivity --data and an infer plan's data: a huge claim is refused, naming the data file" {
	model_json >m.json
	theta_stream 1 >th.mpk
	printf "$HUGE_STR" >d.mpk
	run --separate-stderr timeout 10 sensitivity -m m.json --data d.mpk -i th.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: d.mpk: before the first record: an object larger than 64 MiB"
	[ ! -e ll.mpk ]
	cp "$M1" M1.json
	printf "$HUGE_MAP" >data.mpk
	cat >plan.json <<-'EOF'
	{"parameters": [{"name": "a11", "uniform": [0, 3], "truth": 0.8}, {"name": "a12", "uniform": [0, 3], "truth": 2.0},
	  {"name": "a22", "uniform": [0, 3], "truth": 1.0}, {"name": "b1", "uniform": [0, 3], "truth": 0.1},
	  {"name": "b2", "uniform": [0, 3], "truth": 0.2}],
	 "sigma_obs": 0.005, "tmcmc": {"samples": 20, "chain_steps": 1},
	 "levels": [{"name": "A", "model": "M1.json", "data": "data.mpk", "free": ["a11"]}]}
	EOF
	run --separate-stderr timeout 10 infer plan.json -q -o post.mpk
	assert_failure 2
	stderr_has "infer: plan.json: level 'A': 'data'"
	stderr_has "data.mpk: before the first record: an object larger than 64 MiB"
	[ ! -e post.mpk ]
}

@test "tmcmc-stage: an evaluator whose output claims a huge object or nests too deep: exit 1 naming it" {
	population 5
	run --separate-stderr timeout 10 tmcmc-stage --eval "cat >/dev/null; printf '\\335\\377\\377\\377\\377'" -i pop.mpk -o next.mpk
	assert_failure 1
	stderr_has "its output: before the first record: an object larger than 64 MiB"
	[ ! -e next.mpk ]
	run --separate-stderr timeout 10 tmcmc-stage --eval "cat >/dev/null; printf '\\221%.0s' \$(seq 40)" -i pop.mpk -o next.mpk
	assert_failure 1
	stderr_has "its output: before the first record: objects nested deeper than 32"
	[ ! -e next.mpk ]
}

# ---- nesting ----

@test "objects nested 40 deep are refused by every stream reader (exit 2)" {
	for ((i = 0; i < 40; i++)); do printf '\x91'; done >deep.mpk
	model_json >m.json
	for cmd in "mpcat" "solve -m m.json -i" "analytic-loglik $TSPEC -i" "agent -m $TMAZE -i"; do
		run --separate-stderr timeout 10 $cmd deep.mpk
		assert_failure 2
		stderr_has "deep.mpk: before the first record: objects nested deeper than 32"
	done
	# inside a record, after a good one
	{ numbered_stream 1; nested 40; } >deep2.mpk
	run --separate-stderr mpcat deep2.mpk
	assert_failure 2
	stderr_has "mpcat: deep2.mpk: after record 1: objects nested deeper than 32"
}

@test "an object nested exactly 32 deep is read; 33 deep is 'deeper than 32'" {
	# the map and 31 arrays: 32 levels, which msgpack-c itself unpacks
	nested 31 >d32.mpk
	run --separate-stderr mpcat d32.mpk
	assert_success
	assert_output --partial '{"a":[[[[['
	nested 32 >d33.mpk
	run --separate-stderr mpcat d33.mpk
	assert_failure 2
	stderr_has "d33.mpk: before the first record: objects nested deeper than 32"
}

@test "mpcat --from-json refuses a line nested deeper than the stream readers accept" {
	awk 'BEGIN { printf "{\"a\":"; for (i = 0; i < 40; i++) printf "["; printf "1"; for (i = 0; i < 40; i++) printf "]"; print "}" }' >deep.jsonl
	printf '%s\n' '{"b":1}' >>deep.jsonl
	run --separate-stderr mpcat --from-json -o s.mpk deep.jsonl
	assert_failure 2
	stderr_has "deep.jsonl: line 1"
	# what was written can be read back
	run --separate-stderr mpcat s.mpk
	assert_success
	assert_output '{"b":1}'
}

@test "mpcat --from-json refuses a line whose record would be larger than 64 MiB" {
	{ printf '{"s":"'; head -c $((64 * 1024 * 1024 + 8)) /dev/zero | tr '\0' a; printf '"}\n{"b":1}\n'; } >big.jsonl
	run --separate-stderr mpcat --from-json -o s.mpk big.jsonl
	assert_failure 2
	stderr_has "big.jsonl: line 1"
	run --separate-stderr mpcat s.mpk
	assert_success
	assert_output '{"b":1}'
}

@test "agent -m: a MessagePack model with a huge claim, deep nesting, cut short or trailing bytes (exit 2)" {
	obs_stream 1 >in.mpk
	printf "$HUGE_MAP" >huge.mpk
	run --separate-stderr timeout 10 agent -m huge.mpk -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: huge.mpk: not a JSON object or a MessagePack map (an object larger than 64 MiB"
	nested 40 >deep.mpk
	run --separate-stderr agent -m deep.mpk -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: deep.mpk: not a JSON object or a MessagePack map (objects nested deeper than 32"
	tr -d '\n' <"$TMAZE" | mpcat --from-json >tm.mpk
	head -c 100 tm.mpk >cut.mpk
	run --separate-stderr agent -m cut.mpk -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: cut.mpk: not a JSON object or a MessagePack map (cut short)"
	{ cat tm.mpk; printf x; } >trail.mpk
	run --separate-stderr agent -m trail.mpk -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: trail.mpk: trailing bytes after the MessagePack map"
	[ ! -e out.mpk ]
	# the whole one is a model
	run agent -m tm.mpk -i in.mpk -o out.mpk
	assert_success
}

# ---- truncated streams ----

@test "tmcmc-stage: a population cut inside its header says 'truncated', not 'no header'" {
	population 5
	head -c 100 pop.mpk >cut.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i cut.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: cut.mpk: truncated stream before the first record"
	[ ! -e next.mpk ]
}

@test "tmcmc-stage: a population cut inside a record: exit 2, no output, the input untouched" {
	population 5
	size=$(wc -c <pop.mpk)
	head -c $((size - 10)) pop.mpk >cut.mpk
	sum=$(cksum <cut.mpk)
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i cut.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: cut.mpk: truncated stream after record 4"
	[ ! -e next.mpk ]
	assert_equal "$(cksum <cut.mpk)" "$sum"
}

@test "infer --from: a level's posterior cut inside its header says 'truncated', not 'no header'" {
	cp "$M1" "$DATA/figures/M1.data.mpk" .
	cat >plan.json <<-'EOF'
	{"parameters": [{"name": "a11", "uniform": [0, 3], "truth": 0.8}, {"name": "a12", "uniform": [0, 3], "truth": 2.0},
	  {"name": "a22", "uniform": [0, 3], "truth": 1.0}, {"name": "b1", "uniform": [0, 3], "truth": 0.1},
	  {"name": "b2", "uniform": [0, 3], "truth": 0.2}],
	 "sigma_obs": 0.005, "tmcmc": {"samples": 20, "chain_steps": 1},
	 "levels": [{"name": "A", "model": "M1.json", "data": "M1.data.mpk", "free": ["a11"]}]}
	EOF
	mkdir -p W/A
	infer plan.json --setup A --from W
	tmcmc-stage --init --prior W/A/prior.json -N 20 --seed 1 -o W/A/s0.mpk
	head -c 50 W/A/s0.mpk >W/A/posterior.mpk
	run --separate-stderr infer plan.json --from W -q -o post.mpk
	assert_failure 2
	stderr_has "infer: W/A/posterior.mpk: truncated stream before the first record"
	[ ! -e post.mpk ]
}

@test "solve and sensitivity --set: a theta stream cut inside its header says 'truncated'" {
	model_json steps=20 >m.json
	{ printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["a12","a22","b1","b2"]}'; printf '{"id":1,"theta":[2.0,1.0,0.1,0.2]}\n'; } |
		mpcat --from-json >th.mpk
	head -c 30 th.mpk >cut.mpk
	for prog in solve sensitivity; do
		run --separate-stderr $prog -m m.json --set a11=0.8 --steps 0 -i cut.mpk -o out.mpk
		assert_failure 2
		stderr_has "$prog: cut.mpk: truncated stream before the first record"
		[ ! -e out.mpk ]
	done
}

@test "analytic-loglik --prior and sensitivity --data: streams cut inside a header or a record (exit 2, no file)" {
	theta2 1 2 3 >th.mpk
	head -c 20 th.mpk >cut.mpk
	run --separate-stderr analytic-loglik --prior "$TPRIOR" -i cut.mpk -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: cut.mpk: truncated stream before the first record"
	[ ! -e ll.mpk ]
	head -c 80 th.mpk >cut2.mpk
	run --separate-stderr analytic-loglik -i cut2.mpk -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: cut2.mpk: truncated stream after record 1"
	[ ! -e ll.mpk ]
	model_json >m.json
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	head -c 100 d.mpk >dcut.mpk
	theta_stream 1 >t5.mpk
	run --separate-stderr sensitivity -m m.json --data dcut.mpk -i t5.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: dcut.mpk: truncated stream before the first record"
	[ ! -e ll.mpk ]
}

@test "agent: an observation stream cut inside a record: exit 2, no output file" {
	obs_stream 5 >in.mpk
	size=$(wc -c <in.mpk)
	head -c $((size - 3)) in.mpk >cut.mpk
	run --separate-stderr agent -m "$TMAZE" -i cut.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: cut.mpk: truncated stream after record 4"
	[ ! -e out.mpk ]
}

# ---- corrupt bytes ----

@test "the unused byte 0xc1 written over a record's first byte: exit 2 naming the record before" {
	model_json steps=20 >m.json
	theta_stream 1 2 3 >th.mpk
	# a theta record of M1 is 57 bytes: byte 57 starts record 2
	cp th.mpk bad.mpk
	printf '\xc1' | dd of=bad.mpk bs=1 seek=57 conv=notrunc 2>/dev/null
	run --separate-stderr sensitivity -m m.json --steps 0 -i bad.mpk -o out.mpk
	assert_failure 2
	stderr_has "sensitivity: bad.mpk: corrupt MessagePack after record 1 (byte 0xc1)"
	[ ! -e out.mpk ]
	# over the first float of record 1
	cp th.mpk bad0.mpk
	printf '\xc1' | dd of=bad0.mpk bs=1 seek=12 conv=notrunc 2>/dev/null
	run --separate-stderr solve -m m.json --steps 0 -i bad0.mpk -o out.mpk
	assert_failure 2
	stderr_has "solve: bad0.mpk: corrupt MessagePack before the first record (byte 0xc1)"
	[ ! -e out.mpk ]
}

@test "0xc1 in an observation stream, a theta stream and a population: exit 2 naming the place" {
	obs_stream 3 >in.mpk
	{ head -c 26 in.mpk; printf '\xc1'; } >bad.mpk
	run --separate-stderr agent -m "$TMAZE" -i bad.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: bad.mpk: corrupt MessagePack after record 2 (byte 0xc1)"
	[ ! -e out.mpk ]
	theta2 1 2 >th.mpk
	{ cat th.mpk; printf '\xc1'; } >bad2.mpk
	run --separate-stderr analytic-loglik -i bad2.mpk -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: bad2.mpk: corrupt MessagePack after record 2 (byte 0xc1)"
	[ ! -e ll.mpk ]
	population 5
	{ cat pop.mpk; printf '\xc1'; } >bad3.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i bad3.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: bad3.mpk: corrupt MessagePack after record 5 (byte 0xc1)"
	[ ! -e next.mpk ]
}

@test "JSON text given where a stream is expected: each byte is a record that is not a map (exit 2)" {
	printf '{"id":1,"theta":[1,2]}\n' >in.jsonl
	run --separate-stderr analytic-loglik -i in.jsonl -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: in.jsonl: record 1: not a map"
	# the header is written, with no records
	run mpcat --no-header ll.mpk
	assert_success
	assert_output ''
}

# ---- records that are not maps ----

@test "a stream of arrays: analytic-loglik and sensitivity skip each, sensitivity --data and tmcmc-stage stop" {
	printf '\x92\x01\x02\x92\x03\x04\x92\x05\x06' >arr.mpk
	run --separate-stderr analytic-loglik -i arr.mpk -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: arr.mpk: record 3: not a map"
	model_json >m.json
	run --separate-stderr sensitivity -m m.json -i arr.mpk -o mom.mpk
	assert_failure 2
	stderr_has "sensitivity: arr.mpk: record 2: not a map"
	theta_stream 1 >th.mpk
	run --separate-stderr sensitivity -m m.json --data arr.mpk -i th.mpk -o ll2.mpk
	assert_failure 2
	stderr_has "sensitivity: arr.mpk: record 1: not a map"
	[ ! -e ll2.mpk ]
	population 5
	{ cat pop.mpk; printf '\x92\x01\x02'; } >pop6.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i pop6.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: pop6.mpk: record 6: not a map"
	[ ! -e next.mpk ]
}

# ---- wrong types, NaN and infinities ----

@test "tmcmc-stage: population records of the wrong shape or type (exit 2, the record and field named)" {
	population 5
	mpcat pop.mpk >pop.jsonl
	local cases=(
		'2s/"theta":\[[^]]*\]/"theta":[1.0]/|record 1: '"'theta' must have 2 numbers, got 1"
		'3s/"theta":\[[^]]*\]/"theta":"x"/|record 2: '"'theta' must be a list of numbers"
		'2s/"theta":\[[^]]*\]/"theta":[NaN,1.0]/|record 1: '"'theta'[0] is not finite"
		'4s/"theta":\[[^]]*\]/"theta":[1.0,-Infinity]/|record 3: '"'theta'[1] is not finite"
		'2s/"theta":\[[^]]*\]/"theta":[7.0,1.0]/|record 1: '"'theta' is outside the prior's support"
		'2s/"logprior"/"loglik":"high","logprior"/|record 1: '"'loglik' must be a number"
		'2s/"logprior"/"loglik":Infinity,"logprior"/|record 1: '"'loglik' is +Infinity"
		'6s/"logprior"/"loglik":NaN,"logprior"/|record 5: '"'loglik' is NaN"
	)
	for c in "${cases[@]}"; do
		sed "${c%%|*}" pop.jsonl | mpcat --from-json >bad.mpk
		! cmp -s bad.mpk pop.mpk
		run --separate-stderr tmcmc-stage --eval "$EVAL" -i bad.mpk -o next.mpk
		assert_failure 2
		stderr_has "tmcmc-stage: bad.mpk: ${c#*|}"
		[ ! -e next.mpk ]
	done
}

@test "ids of any MessagePack type (float, map, array, nil, boolean) are copied as given (exit 0)" {
	# man biofilter-stream: an id may be any MessagePack value
	printf '%s\n' '{"id":1.5,"theta":[1,2]}' '{"id":{"a":1},"theta":[1,2]}' '{"id":[1,2],"theta":[1,2]}' \
		'{"id":null,"theta":[1,2]}' '{"id":true,"theta":[1,2]}' | mpcat --from-json >ids.mpk
	run --separate-stderr analytic-loglik -i ids.mpk -o ll.mpk "$TSPEC"
	assert_success
	stderr_empty
	run mpcat --tsv id status -i ll.mpk
	assert_output "$(printf '1.5\tok\n{"a":1}\tok\n1\t2\tok\n\tok\ntrue\tok')"
}

@test "NaN and infinities as raw float64 and float32 bytes: a 'bad record' naming the entry (exit 2)" {
	# {"id":1,"theta":[NaN,1.0]}, {"id":2,"theta":[1.0,-inf]} as float64,
	# {"id":3,"theta":[+inf,1.0]} with a float32 +inf
	{
		printf '\x82\xa2id\x01\xa5theta\x92\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00'
		printf '\x82\xa2id\x02\xa5theta\x92\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00\xcb\xff\xf0\x00\x00\x00\x00\x00\x00'
		printf '\x82\xa2id\x03\xa5theta\x92\xca\x7f\x80\x00\x00\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00'
	} >nan.mpk
	run mpcat nan.mpk
	assert_line -n 0 '{"id":1,"theta":[NaN,1.0]}'
	assert_line -n 2 '{"id":3,"theta":[Infinity,1.0]}'
	run --separate-stderr analytic-loglik -i nan.mpk -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: nan.mpk: record 1: 'theta'[0] is not finite"
	stderr_has "analytic-loglik: nan.mpk: record 2: 'theta'[1] is not finite"
	stderr_has "analytic-loglik: nan.mpk: record 3: 'theta'[0] is not finite"
	run mpcat --tsv id loglik -i ll.mpk
	assert_output "$(printf '1\t-Infinity\n2\t-Infinity\n3\t-Infinity')"
	# sensitivity --data, from JSON's NaN and -Infinity
	model_json >m.json
	theta_stream 1 | solve -m m.json --observe 5 >d.mpk
	printf '%s\n' '{"id":1,"theta":[0.8,NaN,1.0,0.1,0.2]}' '{"id":2,"theta":[0.8,2.0,-Infinity,0.1,0.2]}' |
		mpcat --from-json >th.mpk
	run --separate-stderr sensitivity -m m.json --data d.mpk -i th.mpk -o ll2.mpk
	assert_failure 2
	stderr_has "sensitivity: th.mpk: record 1: 'theta'[1] is not finite"
	stderr_has "sensitivity: th.mpk: record 2: 'theta'[2] is not finite"
}

@test "sensitivity --data: data records of the wrong type or shape (exit 2, the record and field named)" {
	model_json >m.json
	theta_stream 1 >th.mpk
	local cases=(
		'{"step":[10],"phibar":"x","sigma_obs":0.005}|'"record 1: bad 'phibar'"
		'{"step":10,"phibar":[[0.2,0.2]],"sigma_obs":0.005}|'"record 1: bad 'step'"
		'{"step":[-10],"phibar":[[0.2,0.2]],"sigma_obs":0.005}|'"record 1: 'step'[0] must be a step number"
		'{"step":[10.5],"phibar":[[0.2,0.2]],"sigma_obs":0.005}|'"record 1: 'step'[0] must be a step number"
		'{"step":[1e12],"phibar":[[0.2,0.2]],"sigma_obs":0.005}|'"record 1: 'step'[0] is 1000000000000, beyond the model's 200 steps"
		'{"step":[10],"phibar":[[0.2]],"sigma_obs":0.005}|'"record 1: 'phibar'[0] must be a row of 2 numbers"
		'{"step":[10],"phibar":[[0.2,NaN]],"sigma_obs":0.005}|'"record 1: 'phibar'[0][1] must be a finite number"
		'{"step":[10,20],"phibar":[[0.2,0.2]],"sigma_obs":0.005}|'"record 1: 'phibar' has 1 rows for 2 steps"
		'{"step":[10],"phibar":[[0.2,0.2]],"sigma_obs":"x"}|'"record 1: 'sigma_obs' must be a positive number"
	)
	for c in "${cases[@]}"; do
		printf '%s\n' "${c%%|*}" | mpcat --from-json >d.mpk
		run --separate-stderr sensitivity -m m.json --data d.mpk -i th.mpk -o ll.mpk
		assert_failure 2
		stderr_has "sensitivity: d.mpk: ${c#*|}"
		[ ! -e ll.mpk ]
	done
}

@test "agent: 'obs' a string or a map, 'action' a string: a 'bad record' answer each (exit 2)" {
	printf '%s\n' '{"id":"x","obs":"abc"}' '{"id":"y","obs":{"a":1}}' '{"id":"z","obs":[0,0,0],"action":"x"}' |
		mpcat --from-json >in.mpk
	run --separate-stderr agent -m "$TMAZE" -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: in.mpk: record 1: 'obs' must be a list of 3 indices"
	stderr_has "agent: in.mpk: record 2: 'obs' must be a list of 3 indices"
	stderr_has "agent: in.mpk: record 3: 'action' must be a list of 2 indices"
	run mpcat --tsv id status -i out.mpk
	assert_equal "${#lines[@]}" 3
	assert_line -n 0 --partial $'x\tbad record:'
}

# ---- headers ----

@test "tmcmc-stage: a population header whose 'parameters' do not match its prior (exit 2)" {
	population 5
	mpcat pop.mpk >pop.jsonl
	for p in '["x1","y"]' '["x1"]' '["x2","x1"]'; do
		sed "1s/\"parameters\":\[\"x1\",\"x2\"\]/\"parameters\":$p/" pop.jsonl | mpcat --from-json >bad.mpk
		! cmp -s bad.mpk pop.mpk
		run --separate-stderr tmcmc-stage --eval "$EVAL" -i bad.mpk -o next.mpk
		assert_failure 2
		stderr_has "tmcmc-stage: bad.mpk: header: 'parameters' are not the expected ones"
		[ ! -e next.mpk ]
	done
}

@test "tmcmc-stage: population headers with bad values (exit 2, the key named)" {
	population 5
	mpcat pop.mpk >pop.jsonl
	local cases=(
		'1s/"beta":0.0/"beta":"x"/|'"header: 'beta' must be a number"
		'1s/"beta":0.0/"beta":1.5/|'"header: 'beta' must be in [0, 1]"
		'1s/"seed":1/"seed":-1/|'"header: 'seed' must be a non-negative integer"
		'1s/"stage":0/"stage":-1/|'"header: 'stage' must be a non-negative integer"
		'1s/"kind":"population"/"kind":"theta"/|'"the stream is not a population (header 'kind')"
		'1s/"prior":\[{"name":"x1","uniform":\[0.0,3.0\]},{"name":"x2","uniform":\[0.0,3.0\]}\]/"prior":[]/|'"header 'prior': the prior must be a non-empty array"
		'1s/"uniform":\[0.0,3.0\]}\]/"uniform":[3.0,0.0]}]/|'"header 'prior': parameter 2 ('x2'): 'uniform' must be [low, high] with low < high"
	)
	for c in "${cases[@]}"; do
		sed "${c%%|*}" pop.jsonl | mpcat --from-json >bad.mpk
		! cmp -s bad.mpk pop.mpk
		run --separate-stderr tmcmc-stage --eval "$EVAL" -i bad.mpk -o next.mpk
		assert_failure 2
		stderr_has "tmcmc-stage: bad.mpk: ${c#*|}"
		[ ! -e next.mpk ]
	done
}

@test "streams of different kinds concatenated (cat a b): exit 2 in analytic-loglik, sensitivity, agent, tmcmc-stage" {
	theta2 1 2 >th.mpk
	analytic-loglik -i th.mpk "$TSPEC" >ll.mpk
	cat th.mpk ll.mpk >mix.mpk
	run --separate-stderr analytic-loglik -i mix.mpk -o out.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: mix.mpk: the header after record 2 disagrees with the first header"
	[ ! -e out.mpk ]
	model_json >m.json
	{ printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["a11","a12","a22","b1","b2"]}'; theta_json 1 2 3; } |
		mpcat --from-json >t5.mpk
	solve -m m.json --steps 0 -i t5.mpk >traj.mpk
	cat t5.mpk traj.mpk >mix5.mpk
	run --separate-stderr sensitivity -m m.json -i mix5.mpk -o out.mpk
	assert_failure 2
	stderr_has "sensitivity: mix5.mpk: the header after record 3 disagrees with the first header"
	[ ! -e out.mpk ]
	printf '%s\n' '{"biofilter":1,"kind":"observation"}' '{"id":"x","obs":[0,0,0]}' | mpcat --from-json >obs.mpk
	agent -m "$TMAZE" -i obs.mpk >steps.mpk
	cat obs.mpk steps.mpk >mixa.mpk
	run --separate-stderr agent -m "$TMAZE" -i mixa.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: mixa.mpk: the header after record 1 disagrees with the first header"
	[ ! -e out.mpk ]
	population 5
	cat pop.mpk th.mpk >mixp.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i mixp.mpk -o out.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: mixp.mpk: the header after record 5 disagrees with the first header"
	[ ! -e out.mpk ]
	# two populations of different stages
	tmcmc-stage --eval "$EVAL" -i pop.mpk -o s1.mpk
	cat pop.mpk s1.mpk >pp.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i pp.mpk -o out.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: pp.mpk: the header after record 5 disagrees with the first header"
	[ ! -e out.mpk ]
}

@test "a header of format version 2, or a string version: exit 2 in mpcat, sensitivity, analytic-loglik, agent" {
	printf '%s\n' '{"biofilter":2,"kind":"theta"}' '{"id":1,"theta":[1,2]}' | mpcat --from-json >v2.mpk
	model_json >m.json
	for cmd in "mpcat" "sensitivity -m m.json -i" "analytic-loglik $TSPEC -i" "agent -m $TMAZE -i"; do
		run --separate-stderr $cmd v2.mpk -o out.mpk
		assert_failure 2
		stderr_has "v2.mpk: header: 'biofilter' must be 1"
		[ ! -e out.mpk ]
	done
	printf '%s\n' '{"biofilter":"1","kind":"theta"}' | mpcat --from-json >vs.mpk
	run --separate-stderr mpcat vs.mpk
	assert_failure 2
	stderr_has "vs.mpk: header: 'biofilter' must be 1"
}

@test "tmcmc-stage: a population of format version 2 says so, not 'no header'" {
	population 5
	mpcat pop.mpk | sed '1s/"biofilter":1/"biofilter":2/' | mpcat --from-json >v2.mpk
	! cmp -s v2.mpk pop.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i v2.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: v2.mpk: header: 'biofilter' must be 1"
	[ ! -e next.mpk ]
}

# ---- gzip ----

@test "solve and agent: gzip input cut short: exit 2 naming the file, no output file" {
	model_json steps=5 >m.json
	awk 'BEGIN { for (i = 1; i <= 300; i++) printf "{\"id\":%d,\"theta\":[0.8,2.0,1.0,0.1,0.2]}\n", i }' |
		mpcat --from-json -z >th.gz
	size=$(wc -c <th.gz)
	head -c $((size / 2)) th.gz >cut.gz
	run --separate-stderr solve -m m.json --steps 0 -i cut.gz -o out.mpk
	assert_failure 2
	stderr_has "solve: cut.gz: read error after record"
	stderr_has "unexpected end of file"
	[ ! -e out.mpk ]
	obs_stream 300 | gzip -c >obs.gz
	size=$(wc -c <obs.gz)
	head -c $((size - 4)) obs.gz >ocut.gz
	run --separate-stderr agent -m "$TMAZE" -i ocut.gz -o out.mpk
	assert_failure 2
	stderr_has "agent: ocut.gz: read error after record 300: unexpected end of file"
	[ ! -e out.mpk ]
}

@test "gzip followed by garbage, and a lone gzip magic: exit 2 in analytic-loglik and agent" {
	theta2 1 2 3 | gzip -c >th.gz
	{ cat th.gz; printf '\xc1\xc1'; } >junk.gz
	run --separate-stderr analytic-loglik -i junk.gz -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: junk.gz: read error after record 3: data after the gzip data is not gzip"
	[ ! -e ll.mpk ]
	obs_stream 2 | gzip -c >obs.gz
	{ cat obs.gz; echo junk; } >ojunk.gz
	run --separate-stderr agent -m "$TMAZE" -i ojunk.gz -o out.mpk
	assert_failure 2
	stderr_has "agent: ojunk.gz: read error after record 2: data after the gzip data is not gzip"
	[ ! -e out.mpk ]
	printf '\x1f\x8b' >magic.gz
	run --separate-stderr analytic-loglik -i magic.gz -o ll.mpk "$TSPEC"
	assert_failure 2
	stderr_has "analytic-loglik: magic.gz: read error after record 0: unexpected end of file"
	[ ! -e ll.mpk ]
}

@test "tmcmc-stage and infer: gzip populations and data cut short or followed by garbage (exit 2)" {
	tmcmc-stage --init --prior "$TPRIOR" -N 300 --seed 1 -z -o pop.gz
	size=$(wc -c <pop.gz)
	head -c $((size / 2)) pop.gz >cut.gz
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i cut.gz -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: cut.gz: read error after record"
	stderr_has "unexpected end of file"
	[ ! -e next.mpk ]
	cp "$M1" M1.json
	gzip -c "$DATA/figures/M1.data.mpk" >good.gz
	{ cat good.gz; echo garbage; } >data.gz
	cat >plan.json <<-'EOF'
	{"parameters": [{"name": "a11", "uniform": [0, 3], "truth": 0.8}, {"name": "a12", "uniform": [0, 3], "truth": 2.0},
	  {"name": "a22", "uniform": [0, 3], "truth": 1.0}, {"name": "b1", "uniform": [0, 3], "truth": 0.1},
	  {"name": "b2", "uniform": [0, 3], "truth": 0.2}],
	 "sigma_obs": 0.005, "tmcmc": {"samples": 20, "chain_steps": 1},
	 "levels": [{"name": "A", "model": "M1.json", "data": "data.gz", "free": ["a11"]}]}
	EOF
	run --separate-stderr infer plan.json -q -o post.mpk
	assert_failure 2
	stderr_has "infer: plan.json: level 'A': 'data'"
	stderr_has "data.gz: read error after record 1: data after the gzip data is not gzip"
	[ ! -e post.mpk ]
}

# ---- empty input ----

@test "empty input (0 bytes) to a filter: exit 0, a header and no record (sensitivity, analytic-loglik, agent)" {
	: >empty.mpk
	model_json >m.json
	for cmd in "sensitivity -m m.json" "analytic-loglik $TSPEC" "agent -m $TMAZE"; do
		run --separate-stderr $cmd -i empty.mpk -o out.mpk
		assert_success
		stderr_empty
		run mpcat out.mpk
		assert_success
		assert_equal "${#lines[@]}" 1
		assert_line -n 0 --partial '{"biofilter":1,"kind":'
		rm out.mpk
	done
	# mpcat's --msgpack and --tsv: nothing at all
	run --separate-stderr mpcat --msgpack -o out.mpk empty.mpk
	assert_success
	[ ! -s out.mpk ]
}

@test "empty input where records are needed: a population, data, a plan's data (exit 2)" {
	: >empty.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i empty.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: empty.mpk: no header: a population stream starts with one"
	[ ! -e next.mpk ]
	model_json >m.json
	theta_stream 1 >th.mpk
	run --separate-stderr sensitivity -m m.json --data empty.mpk -i th.mpk -o ll.mpk
	assert_failure 2
	stderr_has "sensitivity: empty.mpk: no data points"
	[ ! -e ll.mpk ]
	# a population header without records
	population 5
	mpcat pop.mpk | head -1 | mpcat --from-json >hdr.mpk
	run --separate-stderr tmcmc-stage --eval "$EVAL" -i hdr.mpk -o next.mpk
	assert_failure 2
	stderr_has "tmcmc-stage: hdr.mpk: the population has no records"
}

@test "empty JSON files (0 bytes): model, prior, spec, plan, generative model, report (exit 2 naming each)" {
	: >e.json
	theta_stream 1 >th.mpk
	run --separate-stderr sensitivity -m e.json -i th.mpk
	assert_failure 2
	stderr_has "sensitivity: e.json: line 1:"
	run --separate-stderr tmcmc-stage --init --prior e.json -N 5
	assert_failure 2
	stderr_has "tmcmc-stage: e.json: line 1:"
	run --separate-stderr analytic-loglik -i th.mpk e.json
	assert_failure 2
	stderr_has "analytic-loglik: e.json: line 1:"
	run --separate-stderr infer e.json -q
	assert_failure 2
	stderr_has "infer: e.json: line 1:"
	run --separate-stderr agent -m e.json -i th.mpk
	assert_failure 2
	stderr_has "agent: e.json: line 1:"
	run --separate-stderr profile --from e.json --compare "$DATA/profile/equal.json"
	assert_failure 2
	stderr_has "profile: e.json: line 1:"
}

# ---- options ----

@test "an unknown option: exit 2 naming it, in every program" {
	model_json >m.json
	for cmd in "solve -m m.json" "sensitivity -m m.json" "tmcmc-stage --eval true" "analytic-loglik $TSPEC" \
		"infer plan.json" "agent -m $TMAZE" "profile" "mpcat"; do
		prog=${cmd%% *}
		run --separate-stderr $cmd --no-such-option </dev/null
		assert_failure 2
		assert_output ''
		stderr_has "$prog: unknown or ambiguous option '--no-such-option'"
		stderr_has "see $prog --help"
	done
	# through the dispatcher, the program's own message and status
	run --separate-stderr biofilter sensitivity -m m.json --no-such-option
	assert_failure 2
	stderr_has "sensitivity: unknown or ambiguous option '--no-such-option'"
}

@test "an option without its value: exit 2 naming the option, in every program" {
	model_json >m.json
	local cases=(
		"solve -m m.json --every|--every"
		"sensitivity -m m.json --cov|--cov"
		"tmcmc-stage --init --prior $TPRIOR -N|-N"
		"tmcmc-stage --eval|--eval"
		"analytic-loglik $TSPEC --shard|--shard"
		"infer plan.json -j|-j"
		"agent -m $TMAZE --seed|--seed"
		"profile -r|-r"
		"mpcat --tsv id -o|-o"
	)
	for c in "${cases[@]}"; do
		run --separate-stderr ${c%%|*} </dev/null
		assert_failure 2
		stderr_has "option '${c#*|}' needs a value"
	done
}

@test "bad counts and seeds: -N 0, --seed x, --every 0, -j 0, --episodes 0, --chain-steps 0 (exit 2 naming the option)" {
	model_json >m.json
	theta_stream 1 >th.mpk
	local cases=(
		"tmcmc-stage --init --prior $TPRIOR -N 0|'--samples' must be an integer from 2 to 10000000, got '0'"
		"tmcmc-stage --init --prior $TPRIOR -N -5|'--samples' must be an integer from 2 to 10000000, got '-5'"
		"tmcmc-stage --init --prior $TPRIOR -N 1e12|'--samples' must be an integer from 2 to 10000000, got '1e12'"
		"tmcmc-stage --init --prior $TPRIOR -N 5 --seed x|'--seed' must be an integer from 0 to 2^63-1, got 'x'"
		"tmcmc-stage --init --prior $TPRIOR -N 5 --seed -1|'--seed' must be an integer from 0 to 2^63-1, got '-1'"
		"tmcmc-stage --eval true --chain-steps 0|'--chain-steps' must be an integer from 1 to 100000, got '0'"
		"tmcmc-stage --eval true --scale -1|'--scale' must be in (0, 1e+06], got '-1'"
		"sensitivity -m m.json -i th.mpk --every 0|'--every' must be an integer from 1 to 100000000, got '0'"
		"sensitivity -m m.json -i th.mpk --every -3|'--every' must be an integer from 1 to 100000000, got '-3'"
		"sensitivity -m m.json -i th.mpk --cov -1|'--cov' must not be negative, got '-1'"
		"sensitivity -m m.json -i th.mpk --cov x|'--cov' must be a finite number, got 'x'"
		"solve -m m.json -i th.mpk --seed x|'--seed' must be an integer from 0 to 9223372036854775807, got 'x'"
		"solve -m m.json -i th.mpk --observe 0|'--observe' must be an integer from 1 to 100000000, got '0'"
		"infer plan.json -j 0|'--threads' must be an integer from 1 to 256, got '0'"
		"infer plan.json --every 0|'--every' must be an integer from 1 to 100000000, got '0'"
		"agent -m $TMAZE --seed x|'--seed' must be an integer from 0 to 9223372036854775807, got 'x'"
		"agent -m $TMAZE -j -1|'--threads' must be an integer from 1 to 256, got '-1'"
		"agent -m $TMAZE --env tmaze --episodes 0|'--episodes' must be an integer from 1 to 100000000, got '0'"
		"agent -m $TMAZE --env tmaze --steps 1000000000000|'--steps' must be an integer from 1 to 100000000"
		"profile -c solve -j 0|'--threads' must be an integer from 1 to 256, got '0'"
	)
	for c in "${cases[@]}"; do
		run --separate-stderr ${c%%|*} </dev/null
		assert_failure 2
		assert_output ''
		stderr_has "${c#*|}"
	done
}

@test "tmcmc-stage --eval '' (no command) is a usage error (exit 2), not an evaluator failure" {
	population 5
	run --separate-stderr tmcmc-stage --eval '' -i pop.mpk -o next.mpk
	assert_failure 2
	stderr_has "'--eval'"
	[ ! -e next.mpk ]
}

@test "biofilter: an unknown, empty or path-like program name is a usage error naming it" {
	for name in nosuch '' ../bin/solve /bin/sh -; do
		run --separate-stderr biofilter "$name"
		assert_failure 2
		stderr_has "biofilter: '$name' is not a biofilter program"
	done
}

# ---- model files ----

@test "sensitivity: bad model files (invalid JSON, unknown key, wrong type, negative dt, empty eta) exit 2" {
	theta_stream 1 >th.mpk
	local cases=(
		'steps=200,|line 1:'
		'colour=1|'"unknown key 'colour'"
		'steps="200"|'"'steps' must be an integer"
		'dt=-1e-05|'"'dt' must be positive"
		'eta=[]|'"'eta' must have 2 entries (one per species), got 0"
		'species=1000|'"'species' must be between 1 and 32, got 1000"
		'species=0|'"'species' must be between 1 and 32, got 0"
	)
	for c in "${cases[@]}"; do
		model_json "${c%%|*}" >m.json
		run --separate-stderr sensitivity -m m.json -i th.mpk -o out.mpk
		assert_failure 2
		assert_output ''
		stderr_has "sensitivity: m.json: ${c#*|}"
		[ ! -e out.mpk ]
	done
}

@test "a model claiming 1e12 steps or 100 species is refused at once, not allocated" {
	theta_stream 1 >th.mpk
	model_json steps=1000000000000 >m.json
	for prog in solve sensitivity; do
		run --separate-stderr timeout 5 $prog -m m.json -i th.mpk -o out.mpk
		assert_failure 2
		stderr_has "$prog: m.json: 'steps' must be between 1 and 100000000, got 1000000000000"
		[ ! -e out.mpk ]
	done
	model_json steps=1e12 >m.json
	run --separate-stderr timeout 5 solve -m m.json -i th.mpk
	assert_failure 2
	stderr_has "solve: m.json: 'steps' must be between 1 and 100000000"
	model_json species=100 >m.json
	run --separate-stderr timeout 5 sensitivity -m m.json -i th.mpk
	assert_failure 2
	stderr_has "sensitivity: m.json: 'species' must be between 1 and 32, got 100"
}

# ---- prior files ----

@test "tmcmc-stage --init: bad prior files exit 2 naming the file and the parameter, and write nothing" {
	local cases=(
		'[{"name": "a", "uniform": [0, 1]|line 2:'
		'[]|the prior must be a non-empty array of parameters'
		'{}|the prior must be a non-empty array of parameters'
		'[1]|parameter 1: must be an object'
		'[{"name": "a", "uniform": [0, 1], "colour": 2}]|'"parameter 1 ('a'): unknown key 'colour'"
		'[{"name": 3, "uniform": [0, 1]}]|'"parameter 1: 'name' must be a non-empty string"
		'[{"name": "", "uniform": [0, 1]}]|'"parameter 1: 'name' must be a non-empty string"
		'[{"name": "a", "uniform": "x"}]|'"parameter 1 ('a'): 'uniform' must be [low, high]"
		'[{"name": "a", "uniform": [0, 1, 2]}]|'"parameter 1 ('a'): 'uniform' must be [low, high]"
		'[{"name": "a", "uniform": [0, 1]}, {"name": "a", "uniform": [0, 1]}]|'"parameter 2 ('a'): the name is used twice"
		'[{"name": "a"}]|'"parameter 1 ('a'): give one of 'uniform' or 'normal'"
		'[{"name": "a", "uniform": [0, 1], "normal": [0, 1]}]|'"parameter 1 ('a'): give one of 'uniform' or 'normal'"
		'[{"name": "a", "uniform": [-1e308, 1e308]}]|'"parameter 1 ('a'): 'uniform' has a width that is not representable"
		'[{"name": "a", "uniform": [0, 1e400]}]|line 1: real number overflow'
		'[{"name": "a", "uniform": [0, 1], "truth": "x"}]|'"parameter 1 ('a'): 'truth' must be a number"
	)
	for c in "${cases[@]}"; do
		printf '%s\n' "${c%%|*}" >p.json
		run --separate-stderr tmcmc-stage --init --prior p.json -N 5 -o pop.mpk
		assert_failure 2
		stderr_has "tmcmc-stage: p.json: ${c#*|}"
		[ ! -e pop.mpk ]
	done
}

# ---- plan files ----

@test "infer: bad plans (invalid JSON, empty levels, wrong types, bad numbers) exit 2 before any work" {
	cp "$M1" "$DATA/figures/M1.data.mpk" .
	cat >good.json <<-'EOF'
	{"parameters": [{"name": "a11", "uniform": [0, 3], "truth": 0.8}, {"name": "a12", "uniform": [0, 3], "truth": 2.0},
	  {"name": "a22", "uniform": [0, 3], "truth": 1.0}, {"name": "b1", "uniform": [0, 3], "truth": 0.1},
	  {"name": "b2", "uniform": [0, 3], "truth": 0.2}],
	 "cov": 0.005, "sigma_obs": 0.005, "tmcmc": {"samples": 20, "chain_steps": 1},
	 "levels": [{"name": "A", "model": "M1.json", "data": "M1.data.mpk", "free": ["a11"]}]}
	EOF
	local cases=(
		's/"levels": \[.*\]}$/"levels": []}/|'"'levels' must be a non-empty list"
		's/"cov": 0.005/"cov": "x"/|'"'cov' must be a number"
		's/"cov": 0.005/"cov": -1/|'"'cov' must not be negative"
		's/"sigma_obs": 0.005/"sigma_obs": 0/|'"'sigma_obs' must be positive"
		's/"samples": 20/"samples": 0/|'"'tmcmc': 'samples' must be between 2 and 10000000, got 0"
		's/"samples": 20/"samples": 1e12/|'"'tmcmc': 'samples' must be between 2 and 10000000, got 1000000000000"
		's/"free": \["a11"\]/"free": []/|'"level 'A': 'free' must be a non-empty list of parameter names"
		's/"free": \["a11"\]/"free": "a11"/|'"level 'A': 'free' must be a non-empty list of parameter names"
		's/"name": "A"/"name": 5/|'"level 1: 'name' must be a non-empty string"
		's/"cov": 0.005,/"cov": 0.005,,/|line 4:'
	)
	for c in "${cases[@]}"; do
		sed "${c%%|*}" good.json >bad.json
		! cmp -s bad.json good.json
		run --separate-stderr infer bad.json -q -o post.mpk
		assert_failure 2
		assert_output ''
		stderr_has "infer: bad.json: ${c#*|}"
		[ ! -e post.mpk ]
	done
	# the plan itself is good
	run --separate-stderr infer good.json -q -j 1 -o post.mpk
	assert_success
}

# ---- generative models (agent) ----

@test "agent: bad generative models (invalid JSON, empty or ill-typed arrays, unknown key, bad options) exit 2" {
	printf '{"id":"x","obs":[0]}\n' | mpcat --from-json >in.mpk
	local cases=(
		'{"A": [|line 2:'
		'[1, 2]|not a JSON object or a MessagePack map'
		'{"A": [], "B": []}|'"'B' must have 1 to 8 factors, got 0"
		'{"A": "x", "B": [[[[1.0]]]]}|'"'A' must be a list with one array per modality"
		'{"A": [[[1.0]]], "B": [[[1.0]]]}|'"'B'[0] must be a states x states x controls list"
		'{"A": [[[1.0]]], "B": [[[[1.0]]]], "Z": 1}|'"unknown key 'Z'"
		'{"A": [[[1.0]]], "B": [[[[1.0]]]], "C": [[]]}|'"'C'[0] must have 1 entries, got 0"
		'{"A": [[[1.0]]], "B": [[[[1.0, 0.0]]]]}|'"'B'[0] column [:, 0, 1] sums to 0, not 1"
		'{"A": [[[1.0]]], "B": [[[[1.0]]]], "options": {"policy_len": "x"}}|'"'options': 'policy_len' must be an integer"
		'{"A": [[[1.0]]], "B": [[[[1.0]]]], "options": {"policy_len": 100}}|'"'options': 'policy_len' must be between 1 and 64, got 100"
		'{"A": [[[1.0]]], "B": [[[[1.0]]],[[[1.0]]],[[[1.0]]],[[[1.0]]],[[[1.0]]],[[[1.0]]],[[[1.0]]],[[[1.0]]],[[[1.0]]]]}|'"'B' must have 1 to 8 factors, got 9"
	)
	for c in "${cases[@]}"; do
		printf '%s\n' "${c%%|*}" >g.json
		run --separate-stderr agent -m g.json -i in.mpk -o out.mpk
		assert_failure 2
		assert_output ''
		stderr_has "agent: g.json: ${c#*|}"
		[ ! -e out.mpk ]
	done
	# the smallest good model
	echo '{"A": [[[1.0]]], "B": [[[[1.0]]]]}' >g.json
	run --separate-stderr agent -m g.json -i in.mpk -o out.mpk
	assert_success
}

@test "agent: a policy_len whose policies would not fit (4^64) is refused at once" {
	sed 's/"policy_len": 1}/"policy_len": 64}/' "$TMAZE" >m.json
	! cmp -s m.json "$TMAZE"
	obs_stream 1 >in.mpk
	run --separate-stderr timeout 5 agent -m m.json -i in.mpk -o out.mpk
	assert_failure 2
	stderr_has "agent: m.json: 'policy_len' 64 gives more than"
	[ ! -e out.mpk ]
}

# ---- analytic-loglik specs ----

@test "analytic-loglik: specs with empty or ill-typed components exit 2 naming the field" {
	theta2 1 >th.mpk
	local cases=(
		'{"components": []}|'"'components' must be a list of 1 to 64 objects"
		'{"components": {}}|'"'components' must be a list of 1 to 64 objects"
		'{}|'"missing key 'components'"
		'{"components": [{"mean": [], "sd": []}]}|'"component 1: 'mean' must have 1 to 64 finite numbers, got 0"
		'{"components": [{"mean": [0, "x"], "sd": [1, 1]}]}|'"component 1: 'mean'[1] must be a finite number"
		'{"components": [{"mean": [0, 0], "sd": [1, 1]}], "log_scale": "x"}|'"'log_scale' must be a finite number"
		'{"components": [{"mean": [0, 0], "sd": [1e-320, 1]}]}|'"component 1: 'sd'[0] is too small"
		'{"components": [{"mean": [0, 0], "sd": [1, 1]}, {"mean": [0], "sd": [1]}]}|'"component 2: 'mean' must have 2 finite numbers, got 1"
	)
	for c in "${cases[@]}"; do
		printf '%s\n' "${c%%|*}" >spec.json
		run --separate-stderr analytic-loglik -i th.mpk -o ll.mpk spec.json
		assert_failure 2
		assert_output ''
		stderr_has "analytic-loglik: spec.json: ${c#*|}"
		[ ! -e ll.mpk ]
	done
}

# ---- profile reports ----

@test "profile --from: a report that is an array, lacks results, or is of another format (exit 2)" {
	echo '[]' >arr.json
	run --separate-stderr profile --from arr.json --compare "$DATA/profile/equal.json"
	assert_failure 2
	stderr_has "profile: arr.json: not a profile report (no 'results')"
	echo '{"report": "biofilter profile", "format": 1, "results": "x"}' >str.json
	run --separate-stderr profile --from str.json --compare "$DATA/profile/equal.json"
	assert_failure 2
	stderr_has "profile: str.json: not a profile report (no 'results')"
	# format 1 is the only one there is (man profile); a format 2 report is not read as if it were
	sed 's/"format": *1/"format": 2/' "$DATA/profile/equal.json" >f2.json
	! cmp -s f2.json "$DATA/profile/equal.json"
	run --separate-stderr profile --from f2.json --compare "$DATA/profile/equal.json"
	assert_failure 2
	stderr_has "f2.json"
	stderr_has "'format'"
}
