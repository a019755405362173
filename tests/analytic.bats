#!/usr/bin/env bats
# analytic-loglik: the Gaussian-mixture log-likelihood against awk, the
# --exact evidence and posterior against closed forms, the header, the
# stream behaviour (--shard, -o, -z, bad records) and the error paths
# (exit 2 for bad usage, a bad spec or prior, a bad record).
#
# Tolerances: awk computes in double too, so the log-likelihoods agree to
# a few roundings of the squared distance, 1e-13 (1 + |log L|); closed
# forms agree to 1e-12 (absolute for log-evidences and weights of order 1,
# relative for means and sds), the size of a few roundings of the terms.

load helpers

# ---- helpers ----

# a 2-D mixture of weights 1:3 with a log_scale, and its prior
mixture_spec() {
	cat <<-'EOF'
	{"components": [{"weight": 1, "mean": [0.5, -1], "sd": [0.2, 0.5]},
	                {"weight": 3, "mean": [1.5, 0.5], "sd": [0.4, 0.3]}],
	 "log_scale": -2.5}
	EOF
}

mixture_prior() {
	echo '[{"name": "x", "uniform": [-2, 4]}, {"name": "y", "normal": [0, 1], "bounds": [-3, 3]}]'
}

# thetas2 X,Y ...: 2-D theta records with ids 1, 2, ...
thetas2() {
	local i=0 t
	for t in "$@"; do
		i=$((i + 1))
		printf '{"id":%d,"theta":[%s]}\n' "$i" "$t"
	done | mpcat --from-json
}

# mixture_awk X Y: log L of mixture_spec at (X, Y), by log-sum-exp
mixture_awk() {
	awk -v x="$1" -v y="$2" 'function lnorm(v, m, s) { return -0.5 * ((v - m) / s) ^ 2 - log(s) - 0.5 * log(2 * 3.14159265358979323846) }
	BEGIN {
		a = log(0.25) + lnorm(x, 0.5, 0.2) + lnorm(y, -1, 0.5)
		b = log(0.75) + lnorm(x, 1.5, 0.4) + lnorm(y, 0.5, 0.3)
		m = a > b ? a : b
		printf "%.17g\n", -2.5 + m + log(exp(a - m) + exp(b - m))
	}'
}

# close GOT WANT TOL: |GOT - WANT| <= TOL, or fail saying so
close() {
	awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d
		if (!(d <= t)) { printf "got %.17g, want %.17g: differ by %.3g > %.3g\n", g, w, d, t; exit 1 } }'
}

# field JSON KEY [INDEX]: a number from the --exact JSON line
field() {
	echo "$1" | mpcat --from-json | mpcat --tsv "$2" | cut -f "${3:-1}"
}

# ---- the likelihood ----

@test "the log-likelihood of a 2-D mixture is awk's log-sum-exp, near and 50 sds from the means" {
	mixture_spec >spec.json
	thetas2 0.5,-1 1.5,0.5 1,-0.2 -1.3,2.7 10.5,-26 -19,25.5 >th.mpk
	run --separate-stderr analytic-loglik -i th.mpk -o ll.mpk spec.json
	assert_success
	stderr_empty
	mpcat --tsv id loglik status -i ll.mpk >got.tsv
	assert_equal "$(wc -l <got.tsv)" 6
	set -- 0.5,-1 1.5,0.5 1,-0.2 -1.3,2.7 10.5,-26 -19,25.5
	for i in 1 2 3 4 5 6; do
		t=${!i}
		want=$(mixture_awk "${t%,*}" "${t#*,}")
		read -r id got status < <(sed -n "${i}p" got.tsv)
		assert_equal "$id" "$i"
		assert_equal "$status" ok
		close "$got" "$want" "$(awk -v w="$want" 'BEGIN { print 1e-13 * (1 + (w < 0 ? -w : w)) }')"
	done
	# theta 5 is 50 sds from the nearer mean in both coordinates: log L
	# is about -2500, finite, where the densities themselves underflow
	got5=$(sed -n 5p got.tsv | cut -f 2)
	awk -v g="$got5" 'BEGIN { exit !(g < -2400 && g > -2600) }'
}

@test "the header: kind loglik, program, parameters from --prior, the spec as read" {
	mixture_spec >spec.json
	mixture_prior >prior.json
	thetas2 1,0 >th.mpk
	analytic-loglik --prior prior.json -i th.mpk -o ll.mpk spec.json
	run mpcat ll.mpk
	assert_line -n 0 '{"biofilter":1,"kind":"loglik","program":"analytic-loglik","version":"'"$(analytic-loglik --version | awk '{ print $3 }')"'","parameters":["x","y"],"spec":{"components":[{"weight":1,"mean":[0.5,-1],"sd":[0.2,0.5]},{"weight":3,"mean":[1.5,0.5],"sd":[0.4,0.3]}],"log_scale":-2.5}}'
	# without --prior: no parameters, and any theta header is accepted
	analytic-loglik -i th.mpk -o ll.mpk spec.json
	run mpcat --tsv --headers parameters kind -i ll.mpk
	assert_output $'\tloglik'
}

# ---- --exact ----

@test "--exact: N(1, 0.1^2) in U(0, 3) has log-evidence log(1/3), mean 1, sd 0.1" {
	echo '{"components": [{"mean": [1], "sd": [0.1]}]}' >g.json
	echo '[{"name": "x", "uniform": [0, 3]}]' >p.json
	run --separate-stderr analytic-loglik --exact --prior p.json g.json
	assert_success
	stderr_empty
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^\{"log_evidence": [^,]+, "mean": \[[^],]+\], "sd": \[[^],]+\], "weights": \[1\.0\]\}$'
	close "$(field "$output" log_evidence)" "$(awk 'BEGIN { printf "%.17g", log(1 / 3) }')" 1e-12
	close "$(field "$output" mean)" 1 1e-12
	close "$(field "$output" sd)" 0.1 1e-13
}

@test "--exact: N(0, 1) prior, likelihood N(5, 0.2^2): log-evidence log N(5; 0, 1.04), the conjugate posterior" {
	echo '{"components": [{"mean": [5], "sd": [0.2]}], "log_scale": 3}' >g.json
	echo '[{"name": "x", "normal": [0, 1]}]' >p.json
	run analytic-loglik --exact --prior p.json g.json
	assert_success
	want=$(awk 'BEGIN { printf "%.17g", 3 - 0.5 * log(2 * 3.14159265358979323846 * 1.04) - 25 / (2 * 1.04) }')
	close "$(field "$output" log_evidence)" "$want" 1e-12
	close "$(field "$output" mean)" "$(awk 'BEGIN { printf "%.17g", 5 / 1.04 }')" 1e-12
	close "$(field "$output" sd)" "$(awk 'BEGIN { printf "%.17g", sqrt(0.04 / 1.04) }')" 1e-13
}

@test "--exact: a 2-D mixture well inside U(0, 3)^2 keeps its weights; mean and sd by total variance" {
	# every mean 8 or more sds inside the box: the mass outside is 6e-16
	cat >m.json <<-'EOF'
	{"components": [{"weight": 0.5, "mean": [0.8, 0.8], "sd": [0.1, 0.1]},
	                {"weight": 1.5, "mean": [2.2, 2.0], "sd": [0.1, 0.1]}]}
	EOF
	echo '[{"name": "x1", "uniform": [0, 3]}, {"name": "x2", "uniform": [0, 3]}]' >p.json
	run analytic-loglik --exact --prior p.json m.json
	assert_success
	close "$(field "$output" log_evidence)" "$(awk 'BEGIN { printf "%.17g", log(1 / 9) }')" 1e-12
	close "$(field "$output" weights 1)" 0.25 1e-12
	close "$(field "$output" weights 2)" 0.75 1e-12
	# mean = sum w m; var = sum w (sd^2 + (m - mean)^2)
	close "$(field "$output" mean 1)" 1.85 1e-12
	close "$(field "$output" mean 2)" 1.7 1e-12
	close "$(field "$output" sd 1)" "$(awk 'BEGIN { printf "%.17g", sqrt(0.01 + 0.25 * 1.05^2 + 0.75 * 0.35^2) }')" 1e-12
	close "$(field "$output" sd 2)" "$(awk 'BEGIN { printf "%.17g", sqrt(0.01 + 0.25 * 0.9^2 + 0.75 * 0.3^2) }')" 1e-12
}

@test "--exact reads no input and refuses the stream options; it needs --prior of the spec's dimension" {
	mixture_spec >spec.json
	mixture_prior >prior.json
	# stdin is not read: a closed one does not matter
	run --separate-stderr analytic-loglik --exact --prior prior.json spec.json </dev/null
	assert_success
	for extra in '-i x.mpk' '-o out.mpk' '-z' '--shard 0/2'; do
		run --separate-stderr analytic-loglik --exact --prior prior.json $extra spec.json
		assert_failure 2
		assert_output ''
		stderr_has "analytic-loglik: '--exact' reads no input and prints to stdout; drop '-i', '-o', '-z' and '--shard'"
		stderr_has "see analytic-loglik --help"
	done
	[ ! -e out.mpk ]
	run --separate-stderr analytic-loglik --exact spec.json
	assert_failure 2
	stderr_has "'--exact' needs '--prior PRIOR.json'"
	echo '[{"name": "x", "uniform": [0, 1]}]' >p1.json
	run --separate-stderr analytic-loglik --exact --prior p1.json spec.json
	assert_failure 2
	stderr_has "analytic-loglik: p1.json: the prior has 1 parameter, but spec.json has dimension 2"
	# and the same check without --exact
	thetas2 1,0 >th.mpk
	run --separate-stderr analytic-loglik --prior p1.json -i th.mpk spec.json
	assert_failure 2
	stderr_has "the prior has 1 parameter, but spec.json has dimension 2"
}

@test "--exact: a likelihood with no mass inside the prior's support is an error (exit 2)" {
	echo '{"components": [{"mean": [-1000], "sd": [1]}]}' >g.json
	echo '[{"name": "x", "uniform": [0, 3]}]' >p.json
	run --separate-stderr analytic-loglik --exact --prior p.json g.json
	assert_failure 2
	assert_output ''
	stderr_has "analytic-loglik: the likelihood has no representable mass inside the prior's support"
}

# ---- streams ----

@test "--shard I/K: the shards' records together are the unsharded output" {
	mixture_spec >spec.json
	awk 'BEGIN { for (i = 1; i <= 7; i++) printf "{\"id\":%d,\"theta\":[%g,%g]}\n", i, 0.3 * i, 1 - 0.2 * i }' |
		mpcat --from-json >th.mpk
	analytic-loglik -i th.mpk -o all.mpk spec.json
	mpcat --no-header all.mpk | sort >all.json
	assert_equal "$(wc -l <all.json)" 7
	: >shards.json
	for i in 0 1 2; do
		analytic-loglik --shard $i/3 -i th.mpk -o s$i.mpk spec.json
		assert_equal "$(mpcat s$i.mpk | head -1)" "$(mpcat all.mpk | head -1)"
		assert_equal "$(mpcat --tsv id -i s$i.mpk | paste -s -d,)" "$(seq $((i + 1)) 3 7 | paste -s -d,)"
		mpcat --no-header s$i.mpk >>shards.json
	done
	sort shards.json | diff all.json -
	cat s0.mpk s1.mpk s2.mpk | mpcat --no-header | sort | diff all.json -
}

@test "-o writes the stdout bytes atomically, -z compresses; stdin is the default input" {
	mixture_spec >spec.json
	thetas2 1,0 2,1 >th.mpk
	analytic-loglik spec.json <th.mpk >stdout.mpk
	analytic-loglik -i th.mpk -o out.mpk spec.json
	cmp stdout.mpk out.mpk
	analytic-loglik -z -i th.mpk -o out.mpk.gz spec.json
	[ "$(head -c 2 out.mpk.gz | od -An -tx1 | tr -d ' ')" = 1f8b ]
	diff <(mpcat out.mpk.gz) <(mpcat stdout.mpk)
	# a failed run leaves an existing output untouched and no temporary file
	printf 'x' >>th.mpk
	run --separate-stderr analytic-loglik -i th.mpk -o out.mpk spec.json
	assert_failure 2
	cmp stdout.mpk out.mpk
	assert_equal "$(ls -A | grep -c '^\.out\.mpk\.tmp')" 0
}

@test "a bad theta record gets loglik -inf and 'bad record'; the others are answered; exit 2" {
	mixture_spec >spec.json
	printf '%s\n' '{"id":1,"theta":[1,0]}' '{"id":2,"theta":[1]}' '{"id":"c","theta":"x"}' '{"id":4}' \
		'{"id":5,"theta":[2,1]}' | mpcat --from-json >th.mpk
	run --separate-stderr analytic-loglik -i th.mpk -o ll.mpk spec.json
	assert_failure 2
	stderr_has "analytic-loglik: th.mpk: record 2: 'theta' must have 2 numbers, got 1"
	stderr_has "analytic-loglik: th.mpk: record 3: 'theta' must be a list of numbers"
	stderr_has "analytic-loglik: th.mpk: record 4: missing 'theta'"
	run mpcat --tsv id loglik status -i ll.mpk
	assert_equal "${#lines[@]}" 5
	assert_line -n 0 --regexp $'^1\t-[0-9][0-9.e+-]*\tok$'
	assert_line -n 1 $'2\t-Infinity\tbad record: th.mpk: record 2: \'theta\' must have 2 numbers, got 1'
	assert_line -n 2 $'c\t-Infinity\tbad record: th.mpk: record 3: \'theta\' must be a list of numbers'
	assert_line -n 3 $'4\t-Infinity\tbad record: th.mpk: record 4: missing \'theta\''
	assert_line -n 4 --regexp $'^5\t-[0-9][0-9.e+-]*\tok$'
	close "$(mpcat --tsv loglik -i ll.mpk | sed -n 1p)" "$(mixture_awk 1 0)" 1e-12
	# -q: nothing on stderr, the same records, still exit 2
	run --separate-stderr analytic-loglik -q -i th.mpk -o llq.mpk spec.json
	assert_failure 2
	stderr_empty
	cmp ll.mpk llq.mpk
}

@test "a theta stream whose header names other parameters than the prior's is refused (exit 2)" {
	mixture_spec >spec.json
	mixture_prior >prior.json
	printf '%s\n' '{"biofilter":1,"kind":"theta","parameters":["x","z"]}' '{"id":1,"theta":[1,0]}' |
		mpcat --from-json >th.mpk
	run --separate-stderr analytic-loglik --prior prior.json -i th.mpk spec.json
	assert_failure 2
	stderr_has "th.mpk: header: 'parameters'"
	# the same stream is fine without --prior
	run --separate-stderr analytic-loglik -i th.mpk spec.json
	assert_success
}

# ---- errors ----

@test "usage errors: exit 2 with the message and the usage line" {
	mixture_spec >spec.json
	run --separate-stderr analytic-loglik
	assert_failure 2
	assert_output ''
	stderr_has "analytic-loglik: a spec file is required (SPEC.json)"
	stderr_has "usage: analytic-loglik [-i IN] [-o OUT] [options] SPEC.json; see analytic-loglik --help"
	run --separate-stderr analytic-loglik spec.json other.json
	assert_failure 2
	stderr_has "unexpected argument 'other.json'"
	run --separate-stderr analytic-loglik --bogus spec.json
	assert_failure 2
	stderr_has "unknown or ambiguous option '--bogus'"
	run --separate-stderr analytic-loglik -qx spec.json
	assert_failure 2
	stderr_has "unknown or ambiguous option '-x'"
	run --separate-stderr analytic-loglik spec.json --prior
	assert_failure 2
	stderr_has "option '--prior' needs a value"
	for s in 3/3 x 1/0 -1/2; do
		run --separate-stderr analytic-loglik --shard "$s" spec.json
		assert_failure 2
		stderr_has "'--shard'"
	done
	run analytic-loglik --help
	assert_success
	assert_line -n 0 'usage: analytic-loglik [-i IN] [-o OUT] [-z] [options] SPEC.json'
	run analytic-loglik --version
	assert_success
	assert_output --regexp '^analytic-loglik \(biofilter\) [0-9]'
	# through the dispatcher
	run biofilter analytic-loglik --version
	assert_success
	assert_output --partial 'analytic-loglik (biofilter)'
}

@test "a bad spec is an error naming the file and the field (exit 2)" {
	thetas2 1,0 >th.mpk
	echo '{"components": [{"mean": [0, 0], "sd": [1, 1]}, {"mean": [1, 1], "sd": [1]}]}' >spec.json
	run --separate-stderr analytic-loglik -i th.mpk spec.json
	assert_failure 2
	assert_output ''
	stderr_has "analytic-loglik: spec.json: component 2: 'sd' must have 2 positive numbers, got 1"
	echo '{"components": [{"mean": [0], "sd": [0]}]}' >spec.json
	run --separate-stderr analytic-loglik -i th.mpk spec.json
	assert_failure 2
	stderr_has "analytic-loglik: spec.json: component 1: 'sd'[0] must be a positive number"
	echo '{"components": [{"mean": [0], "sd": [1], "weight": -1}]}' >spec.json
	run --separate-stderr analytic-loglik -i th.mpk spec.json
	assert_failure 2
	stderr_has "analytic-loglik: spec.json: component 1: 'weight' must be a positive number"
	echo '{"components": [{"mean": [0], "sd": [1]}], "scale": 2}' >spec.json
	run --separate-stderr analytic-loglik -i th.mpk spec.json
	assert_failure 2
	stderr_has "analytic-loglik: spec.json: unknown key 'scale'"
	echo '{"components": [{"mean": [0], "sd": [1], "mean": [1]}]}' >spec.json
	run --separate-stderr analytic-loglik -i th.mpk spec.json
	assert_failure 2
	stderr_has "analytic-loglik: spec.json: line 1: duplicate object key"
	run --separate-stderr analytic-loglik -i th.mpk nosuch.json
	assert_failure 2
	stderr_has "analytic-loglik: nosuch.json: unable to open nosuch.json"
	# a bad prior, too
	echo '{"components": [{"mean": [0], "sd": [1]}]}' >spec.json
	echo '[{"name": "x", "normal": [0, -1]}]' >p.json
	run --separate-stderr analytic-loglik --exact --prior p.json spec.json
	assert_failure 2
	stderr_has "analytic-loglik: p.json: parameter 1 ('x'): 'normal' must be [mean, sd] with sd > 0"
}
