/*
 * fuzz_stream: the stream reader (stream.h) over arbitrary bytes, gzip or
 * not: every record is read to the end, printed as JSON and as a TSV row
 * with iterated and header fields (table.h) to a sink that drops it.
 */
#include "fuzz.h"

#include "mpjson.h"
#include "stream.h"
#include "table.h"

static int sink(void *data, const char *s, size_t n)
{
	(void)data;
	(void)s;
	(void)n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const fields[] = {"id", "theta", "step[]", "state.phi[]", "^level", "history[].beta"};
	struct stream_reader r;
	struct err e = {0};
	const msgpack_object *rec;
	char why[256];
	int rc, fd = fuzz_fd(data, size);

	if (stream_reader_open_fd(&r, fd, "fuzz", &e))
		return 0; /* the reader owns fd once opened, and closes it on failure */
	if (stream_reader_peek_header(&r, &e) == 0) {
		while ((rc = stream_reader_next(&r, &rec, &e)) > 0) {
			(void)mpjson_print(rec, sink, NULL);
			(void)table_print_rows(rec, stream_reader_header(&r), fields, 6, sink, NULL, why, sizeof why);
		}
	}
	stream_reader_free(&r);
	return 0;
}
