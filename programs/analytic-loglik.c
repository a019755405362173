/*
 * analytic-loglik: theta records in, log-likelihood records of a Gaussian
 * mixture with analytic densities out (DESIGN §4: the test evaluator of
 * tmcmc-stage --eval); with --exact, the exact log-evidence and posterior
 * summaries under a prior, for checking a sampler against.
 * See man/analytic-loglik.1. This main parses options and wires library
 * calls; the densities are in mixture.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mixture.h"
#include "cli.h"
#include "mpjson.h"
#include "prior.h"
#include "stream.h"
#include "thetaloop.h"
#include "trajectory.h"

static const char usage[] =
	"usage: analytic-loglik [-i IN] [-o OUT] [-z] [options] SPEC.json\n"
	"       analytic-loglik --exact --prior PRIOR.json SPEC.json\n"
	"\n"
	"Reads theta records ({\"id\", \"theta\"}) and writes, per theta, the log-likelihood\n"
	"of a mixture of axis-aligned Gaussians given by SPEC.json\n"
	"({\"components\": [{\"weight\", \"mean\", \"sd\"}, ...], \"log_scale\"}): the test\n"
	"evaluator of tmcmc-stage --eval. With --exact, prints instead the exact\n"
	"log-evidence, posterior mean and sd, and component weights under the prior.\n"
	"\n"
	"  -i, --input FILE     theta stream (default: stdin; gzip is read as is)\n"
	"  -o, --output FILE    output stream (default: stdout), written atomically\n"
	"  -z, --compress       gzip the output\n"
	"      --prior FILE     prior file (JSON): the parameter names, which the\n"
	"                       input's header must agree with; required by --exact\n"
	"      --exact          print {\"log_evidence\", \"mean\", \"sd\", \"weights\"} as one\n"
	"                       line of JSON and read no input\n"
	"      --shard I/K      handle only records whose index is I mod K\n"
	"      --progress       show progress on stderr even when it is not a terminal\n"
	"  -q, --quiet          no progress; bad records are not reported one by one\n"
	"                       (they still get a record with loglik -inf and exit status 2)\n"
	"  -h, --help           this help\n"
	"      --version        print the version\n"
	"\n"
	"Exit status: 0 success, 1 run-time failure, 2 bad input or usage.\n";

static const char synopsis[] = "[-i IN] [-o OUT] [options] SPEC.json";

enum { OPT_PRIOR = 256, OPT_EXACT, OPT_SHARD, OPT_PROGRESS, OPT_VERSION };

static const struct option longopts[] = {
	{"input", required_argument, NULL, 'i'},
	{"output", required_argument, NULL, 'o'},
	{"compress", no_argument, NULL, 'z'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"prior", required_argument, NULL, OPT_PRIOR},
	{"exact", no_argument, NULL, OPT_EXACT},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct options {
	const char *spec, *prior, *in, *out;
	int compress, quiet, progress, exact, shard_set;
	unsigned shard_i, shard_k;
};

static int parse_options(int argc, char **argv, struct options *o, struct err *e)
{
	int c, rc = 0;

	memset(o, 0, sizeof *o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:o:zqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case 'z': o->compress = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("analytic-loglik"); exit(0);
		case OPT_PRIOR: o->prior = optarg; break;
		case OPT_EXACT: o->exact = 1; break;
		case OPT_SHARD:
			rc = cli_parse_shard(optarg, &o->shard_i, &o->shard_k, e);
			o->shard_set = 1;
			break;
		case OPT_PROGRESS: o->progress = 1; break;
		default: return cli_bad_option(c, argv, e);
		}
		if (rc)
			return rc;
	}
	if (optind == argc)
		return err_set(e, ERR_INPUT, "a spec file is required (SPEC.json)");
	if (argc - optind > 1)
		return err_set(e, ERR_INPUT, "unexpected argument '%s' (one spec file; the input is read with -i "
			       "or stdin)", argv[optind + 1]);
	o->spec = argv[optind];
	if (o->exact && !o->prior)
		return err_set(e, ERR_INPUT, "'--exact' needs '--prior PRIOR.json'");
	if (o->exact && (o->in || o->out || o->compress || o->shard_set))
		return err_set(e, ERR_INPUT, "'--exact' reads no input and prints to stdout; "
			       "drop '-i', '-o', '-z' and '--shard'");
	return 0;
}

struct run {
	struct options o;
	struct mixture a;
	struct prior pr;
	struct stream_reader r;
	struct thetaloop_map map;
	struct stream_writer w;
	int bad; /* some record was bad: exit 2 at the end */
};

static void pack_header(msgpack_packer *pk, const struct run *u)
{
	struct pack_map h;

	stream_header_program(&h, pk, "loglik", "analytic-loglik");
	if (u->o.prior) {
		pack_key(&h, "parameters");
		pack_strs(pk, (const char *const *)u->pr.names, u->pr.n);
	}
	pack_key(&h, "spec");
	mpjson_pack(pk, u->a.json);
	pack_map_end(&h);
}

static void answer(void *ctx, msgpack_packer *pk, const msgpack_object *id, const double *theta,
		   const msgpack_object *rec)
{
	(void)rec;
	const struct run *u = ctx;
	struct pack_map m;

	pack_map_begin(&m, pk);
	pack_kv_object(&m, "id", id);
	pack_kv_double(&m, "loglik", mixture_loglik(&u->a, theta));
	pack_kv_str(&m, "status", "ok");
	pack_map_end(&m);
}

static void answer_bad(void *ctx, msgpack_packer *pk, const msgpack_object *id, const char *why)
{
	struct pack_map m;

	(void)ctx;
	/* a likelihood consumer matches by id: answer with -inf */
	pack_map_begin(&m, pk);
	trajectory_pack_bad(&m, id, why);
	pack_kv_double(&m, "loglik", -INFINITY);
	pack_map_end(&m);
}

static void print_numbers(FILE *f, const char *key, const double *x, int n)
{
	char buf[64];

	fprintf(f, ", \"%s\": [", key);
	for (int i = 0; i < n; i++) {
		mpjson_format_double(buf, sizeof buf, x[i]);
		fprintf(f, "%s%s", i ? ", " : "", buf);
	}
	fputc(']', f);
}

static int exact(struct run *u, struct err *e)
{
	struct mixture_exact x;
	char buf[64];
	int rc;

	if ((rc = mixture_exact(&u->a, &u->pr, &x, e)))
		return rc;
	mpjson_format_double(buf, sizeof buf, x.log_evidence);
	printf("{\"log_evidence\": %s", buf);
	print_numbers(stdout, "mean", x.mean, u->a.d);
	print_numbers(stdout, "sd", x.sd, u->a.d);
	print_numbers(stdout, "weights", x.weight, u->a.k);
	fputs("}\n", stdout);
	if (fflush(stdout) || ferror(stdout))
		return err_set(e, ERR_RUNTIME, "cannot write to standard output");
	return 0;
}

static int process(struct run *u, struct err *e)
{
	const struct thetaloop l = {"analytic-loglik", "thetas", &u->map, u->o.quiet, u->o.progress,
				      answer, answer_bad, u, NULL, NULL};

	pack_header(stream_writer_packer(&u->w), u);
	return thetaloop_run(&l, &u->r, &u->w, &u->bad, e);
}

/* Everything between the options and the clean-up. */
static int run_all(struct run *u, struct err *e)
{
	int rc;

	if ((rc = mixture_load(&u->a, u->o.spec, e)) || (u->o.prior && (rc = prior_load(&u->pr, u->o.prior, e))))
		return rc;
	if (u->o.prior && u->pr.n != u->a.d)
		return err_set(e, ERR_INPUT, "%s: the prior has %d parameter%s, but %s has dimension %d",
			       u->o.prior, u->pr.n, u->pr.n == 1 ? "" : "s", u->o.spec, u->a.d);
	if (u->o.exact)
		return exact(u, e);
	if ((rc = thetaloop_open(&u->r, u->o.in, u->o.shard_i, u->o.shard_k,
			      u->o.prior ? (const char *const *)u->pr.names : NULL, u->a.d, NULL, &u->map, e)) ||
	    (rc = stream_writer_open(&u->w, u->o.out, u->o.compress, e)) || (rc = process(u, e)))
		return rc;
	return stream_writer_commit(&u->w, e);
}

int main(int argc, char **argv)
{
	struct run u;
	struct err e = {0};
	int rc;

	cli_init();
	memset(&u, 0, sizeof u);
	if ((rc = parse_options(argc, argv, &u.o, &e))) {
		cli_option_error("analytic-loglik", synopsis, rc, &e);
		return err_exit_status(rc);
	}
	rc = run_all(&u, &e);
	if (rc)
		fprintf(stderr, "analytic-loglik: %s\n", e.msg);
	stream_writer_free(&u.w);
	stream_reader_free(&u.r);
	mixture_free(&u.a);
	prior_free(&u.pr);
	if (rc)
		return err_exit_status(rc);
	return u.bad ? 2 : 0;
}
