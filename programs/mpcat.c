/*
 * mpcat: show, convert and cut record streams. See man/mpcat.1.
 * This main parses options and wires library calls.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "jsonl.h"
#include "mpjson.h"
#include "stream.h"
#include "table.h"

static const char usage[] =
	"usage: mpcat [--json | --msgpack] [options] [FILE...]\n"
	"       mpcat --tsv [options] FIELD...\n"
	"       mpcat --from-json [options] [FILE...]\n"
	"\n"
	"Prints biofilter record streams (MessagePack, gzip or not) as JSON lines,\n"
	"as a tab table of chosen fields, or as a stream again; turns JSON lines into\n"
	"a stream. Reads the FILEs in turn, or -i FILE, or stdin.\n"
	"\n"
	"      --json           one JSON object per line, headers included (default)\n"
	"      --tsv            a tab table of the FIELDs given as arguments (or\n"
	"                       comma-separated); arrays spread into columns, a.b\n"
	"                       reaches into maps, ^a is the header's a; a[] gives a\n"
	"                       row per element of a (step[] t[] state.phi[]: a row\n"
	"                       per step); headers are not printed\n"
	"      --msgpack        write the records as one stream (one header)\n"
	"      --from-json      read JSON lines, write a stream\n"
	"  -n, --head N         stop after N records\n"
	"      --no-header      leave stream headers out of --json output\n"
	"  -H, --header         with --tsv, first print a '# ' line naming the columns\n"
	"      --headers        with --tsv, print the fields of each stream's header\n"
	"                       instead of its records (mpcat -i POP --tsv --headers beta)\n"
	"      --shard I/K      only records whose index is I mod K\n"
	"  -i, --input FILE     read FILE (default: the FILE arguments, or stdin)\n"
	"  -o, --output FILE    write FILE atomically (default: stdout)\n"
	"  -z, --compress       gzip the output\n"
	"  -q, --quiet          do not report bad records one by one (the exit status\n"
	"                       still says there were some)\n"
	"  -h, --help           this help\n"
	"      --version        print the version\n"
	"\n"
	"Exit status: 0 success, 1 run-time failure, 2 bad input or usage.\n";

enum mode { MODE_JSON, MODE_TSV, MODE_MSGPACK, MODE_FROM_JSON };
enum { OPT_JSON = 256, OPT_TSV, OPT_MSGPACK, OPT_FROM_JSON, OPT_NO_HEADER, OPT_HEADERS, OPT_SHARD, OPT_VERSION };

static const struct option longopts[] = {
	{"json", no_argument, NULL, OPT_JSON},
	{"tsv", no_argument, NULL, OPT_TSV},
	{"msgpack", no_argument, NULL, OPT_MSGPACK},
	{"from-json", no_argument, NULL, OPT_FROM_JSON},
	{"head", required_argument, NULL, 'n'},
	{"no-header", no_argument, NULL, OPT_NO_HEADER},
	{"header", no_argument, NULL, 'H'},
	{"headers", no_argument, NULL, OPT_HEADERS},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"input", required_argument, NULL, 'i'},
	{"output", required_argument, NULL, 'o'},
	{"compress", no_argument, NULL, 'z'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

struct mpcat {
	enum mode mode;
	int mode_set, no_header, tsv_header, tsv_headers, compress, quiet;
	long head;              /* -1: no limit */
	unsigned shard_i, shard_k;
	const char *in, *out;
	char **inputs;          /* files to read; NULL entry means stdin */
	char *in_one;
	int n_inputs;
	char **fields;          /* --tsv */
	int n_fields;
	struct stream_writer w;
	long written;           /* records written */
	long records_seen;      /* records read, all inputs: one numbering, as for cat a b */
	int header_done;        /* --msgpack: header written; --tsv: names printed */
	/* --msgpack: a copy of the header written last (a later stream's must
	 * agree with it, or start a new section of a posterior stream), and
	 * the file it came from */
	msgpack_unpacked last;
	msgpack_sbuffer last_bytes; /* last's strings point into these */
	char *last_name;
	int bad;                /* some record was bad: exit 2 at the end */
};

static int set_mode(struct mpcat *c, enum mode m, struct err *e)
{
	if (c->mode_set && c->mode != m)
		return err_set(e, ERR_INPUT, "give one of '--json', '--tsv', '--msgpack', '--from-json'");
	c->mode = m;
	c->mode_set = 1;
	return 0;
}

static int add_fields(struct mpcat *c, const char *arg, struct err *e)
{
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char **nf = realloc(c->fields, sizeof *nf * (size_t)(c->n_fields + 1));
		if (!nf || !(nf[c->n_fields] = strdup(f))) {
			if (nf)
				c->fields = nf;
			free(copy);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
		c->fields = nf;
		c->n_fields++;
	}
	free(copy);
	return 0;
}

static int parse_options(int argc, char **argv, struct mpcat *c, struct err *e)
{
	int opt, rc = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:Hi:o:zqh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON: rc = set_mode(c, MODE_JSON, e); break;
		case OPT_TSV: rc = set_mode(c, MODE_TSV, e); break;
		case OPT_MSGPACK: rc = set_mode(c, MODE_MSGPACK, e); break;
		case OPT_FROM_JSON: rc = set_mode(c, MODE_FROM_JSON, e); break;
		case 'n': rc = cli_parse_long(optarg, "--head", 0, 0x7fffffffffffffffL, &c->head, e); break;
		case OPT_NO_HEADER: c->no_header = 1; break;
		case 'H': c->tsv_header = 1; break;
		case OPT_HEADERS: c->tsv_headers = 1; break;
		case OPT_SHARD: rc = cli_parse_shard(optarg, &c->shard_i, &c->shard_k, e); break;
		case 'i': c->in = optarg; break;
		case 'o': c->out = optarg; break;
		case 'z': c->compress = 1; break;
		case 'q': c->quiet = 1; break;
		case 'h': fputs(usage, stdout); exit(0);
		case OPT_VERSION: cli_print_version("mpcat"); exit(0);
		default: return cli_bad_option(opt, argv, e);
		}
		if (rc)
			return rc;
	}
	if (c->mode == MODE_TSV) {
		for (int i = optind; i < argc; i++)
			if ((rc = add_fields(c, argv[i], e)))
				return rc;
		if (!c->n_fields)
			return err_set(e, ERR_INPUT, "'--tsv' needs at least one FIELD");
	} else if (c->tsv_header) {
		return err_set(e, ERR_INPUT, "'--header' goes with '--tsv'");
	} else if (c->tsv_headers) {
		return err_set(e, ERR_INPUT, "'--headers' goes with '--tsv'");
	}
	if (c->no_header && c->mode != MODE_JSON)
		return err_set(e, ERR_INPUT, "'--no-header' goes with '--json'");
	if (c->mode == MODE_TSV || optind == argc) {
		/* one input: -i FILE, or stdin (a NULL path) */
		c->inputs = &c->in_one;
		c->in_one = (char *)c->in;
		c->n_inputs = 1;
	} else {
		if (c->in)
			return err_set(e, ERR_INPUT, "give input files as '-i FILE' or as arguments, not both");
		c->inputs = argv + optind;
		c->n_inputs = argc - optind;
	}
	return 0;
}

static int done(const struct mpcat *c)
{
	return c->head >= 0 && c->written >= c->head;
}

/* JSON lines in, a stream out. Lines that are not JSON objects are
 * reported and skipped. */
static int from_json(struct mpcat *c, const char *path, struct err *e)
{
	struct jsonl_reader r;
	struct pack line;
	struct err le;
	json_t *j;
	int rc;

	if ((rc = jsonl_reader_open(&r, path, e)))
		return rc;
	pack_init(&line);
	while (!done(c) && (rc = jsonl_reader_next(&r, &j, &le)) != 0) {
		if (rc < 0) {
			*e = le;
			break;
		}
		if (rc == JSONL_OBJECT && !json_object_get(j, "biofilter")) {
			/* a record: number it as stream readers do */
			long index = c->records_seen++;
			if (c->shard_k > 1 && (unsigned long)index % c->shard_k != c->shard_i) {
				json_decref(j);
				continue;
			}
			c->written++;
		}
		/* packed aside first: a line no reader would take (nested too
		 * deeply, too large) is refused here, not written */
		pack_clear(&line);
		if (rc == JSONL_OBJECT)
			rc = jsonl_pack(&r, j, &line, &le);
		json_decref(j);
		if (rc < 0) {
			*e = le;
			break;
		}
		if (rc == JSONL_BAD) {
			if (!c->quiet)
				fprintf(stderr, "mpcat: %s\n", le.msg);
			c->bad = 1;
			continue;
		}
		stream_writer_write(&c->w, line.data, line.len);
		if ((rc = stream_writer_flush(&c->w, 0, e)))
			break;
	}
	pack_free(&line);
	jsonl_reader_free(&r);
	return rc < 0 ? rc : 0;
}

/* --msgpack: write header h (of r) and keep a copy of it, to compare the
 * next file's with: the reader's own goes with the reader. */
static int write_header(struct mpcat *c, const struct stream_reader *r, const msgpack_object *h, struct err *e)
{
	msgpack_sbuffer *sb = &c->last_bytes;
	msgpack_packer pk;
	size_t off = 0;

	msgpack_pack_object(stream_writer_packer(&c->w), *h);
	msgpack_sbuffer_clear(sb);
	free(c->last_name);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (msgpack_pack_object(&pk, *h) != 0 || !sb->data ||
	    msgpack_unpack_next(&c->last, sb->data, sb->size, &off) != MSGPACK_UNPACK_SUCCESS ||
	    !(c->last_name = strdup(r->name)))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}


static int emit_header(struct mpcat *c, struct stream_reader *r, struct err *e)
{
	const msgpack_object *h = stream_reader_header(r);

	if (!h)
		return 0; /* with --headers nothing to print; the records are still read, for their errors */
	switch (c->mode) {
	case MODE_JSON:
		if (c->no_header)
			return 0;
		/* a failed write is sticky; the flush reports it */
		if (mpjson_print(h, stream_writer_write, &c->w) == 0)
			stream_writer_write(&c->w, "\n", 1);
		return stream_writer_flush(&c->w, 0, e);
	case MODE_MSGPACK:
		if (c->header_done) {
			int how = stream_header_follows(&c->last.data, h);
			if (how == STREAM_HEADER_SAME)
				return 0; /* streams concatenate: one header */
			if (how == STREAM_HEADER_DISAGREES)
				return err_set(e, ERR_INPUT, "%s: its header disagrees with that of %s", r->name,
					       c->last_name);
		}
		c->header_done = 1; /* a first header, or a posterior stream's next section */
		return write_header(c, r, h, e);
	case MODE_TSV:
		if (!c->tsv_headers)
			return 0;
		/* sticky write errors are reported by the flush */
		if (c->tsv_header && !c->header_done)
			(void)table_print_header(h, h, c->fields, c->n_fields, stream_writer_write, &c->w);
		c->header_done = 1;
		char why[256];
		if (table_print_rows(h, h, c->fields, c->n_fields, stream_writer_write, &c->w, why, sizeof why) == 1) {
			if (!c->quiet)
				fprintf(stderr, "mpcat: %s: header: %s\n", r->name, why);
			c->bad = 1;
		}
		return stream_writer_flush(&c->w, 0, e) ? -1 : 2;
	default:
		return 0;
	}
}

static int cat(struct mpcat *c, const char *path, struct err *e)
{
	struct stream_reader r;
	const msgpack_object *rec;
	struct err re;
	int rc;

	if ((rc = stream_reader_open(&r, path, e)))
		return rc;
	stream_reader_shard(&r, c->shard_i, c->shard_k);
	r.record = c->records_seen;
	if ((rc = stream_reader_peek_header(&r, e)) || (rc = emit_header(c, &r, e)) < 0)
		goto out;
	int sectioned = stream_reader_header(&r) && stream_header_sectioned(stream_reader_header(&r));
	int headers_only = c->mode == MODE_TSV && c->tsv_headers;
	if (headers_only && stream_reader_header(&r) && !sectioned) {
		/* --tsv --headers: the records are not wanted, and the header was whole */
		rc = 0;
		goto out;
	}
	rc = 0;
	long sections = r.sections;
	while (!done(c) && (rc = stream_reader_next(&r, &rec, &re)) != 0) {
		if (rc < 0) {
			*e = re;
			goto out;
		}
		if (r.sections != sections) { /* a posterior stream's next level */
			sections = r.sections;
			if ((rc = emit_header(c, &r, e)) < 0)
				goto out;
		}
		if (headers_only)
			continue;
		if (rc == STREAM_NOT_MAP) {
			if (!c->quiet)
				fprintf(stderr, "mpcat: %s\n", re.msg);
			c->bad = 1;
		}
		if (c->mode == MODE_JSON) {
			if (mpjson_print(rec, stream_writer_write, &c->w) == 0)
				stream_writer_write(&c->w, "\n", 1);
		} else if (c->mode == MODE_TSV) {
			if (rc == STREAM_NOT_MAP)
				continue;
			const msgpack_object *h = stream_reader_header(&r);
			char why[256];
			if (c->tsv_header && !c->header_done) {
				if (table_print_header(rec, h, c->fields, c->n_fields, stream_writer_write, &c->w)) {
					/* the sticky error is reported by the flush below */
				}
				c->header_done = 1;
			}
			if (table_print_rows(rec, h, c->fields, c->n_fields, stream_writer_write, &c->w, why,
					     sizeof why) == 1) {
				if (!c->quiet)
					fprintf(stderr, "mpcat: %s: record %ld: %s\n", r.name, r.record, why);
				c->bad = 1;
			}
		} else {
			msgpack_pack_object(stream_writer_packer(&c->w), *rec);
		}
		c->written++;
		if ((rc = stream_writer_flush(&c->w, 0, e)))
			goto out;
	}
out:
	c->records_seen = r.record;
	stream_reader_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	struct mpcat c;
	struct err e = {0};
	int rc;

	cli_init();
	memset(&c, 0, sizeof c);
	msgpack_unpacked_init(&c.last);
	msgpack_sbuffer_init(&c.last_bytes);
	c.head = -1;
	if ((rc = parse_options(argc, argv, &c, &e))) {
		cli_option_error("mpcat", "[--json|--tsv|--msgpack|--from-json] [options]", rc, &e);
		goto end;
	}
	rc = stream_writer_open(&c.w, c.out, c.compress, &e);
	for (int i = 0; i < c.n_inputs && !done(&c) && !rc; i++) {
		const char *path = c.inputs[i];
		rc = c.mode == MODE_FROM_JSON ? from_json(&c, path, &e) : cat(&c, path, &e);
	}
	if (!rc)
		rc = stream_writer_commit(&c.w, &e);
	if (rc)
		fprintf(stderr, "mpcat: %s\n", e.msg);
end:
	stream_writer_free(&c.w);
	msgpack_unpacked_destroy(&c.last);
	msgpack_sbuffer_destroy(&c.last_bytes);
	free(c.last_name);
	for (int i = 0; i < c.n_fields; i++)
		free(c.fields[i]);
	free(c.fields);
	if (rc)
		return err_exit_status(rc);
	return c.bad ? 2 : 0;
}
