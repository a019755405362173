/*
 * Unit tests for outfile: output that appears whole or not at all (DESIGN
 * §3), so that a killed run never leaves a half file Make would take as
 * done.
 *
 * Checked on the file system itself, in a scratch directory: before the
 * commit the final name does not exist (or keeps its old bytes) and a
 * temporary ".NAME.tmpXXXXXX" is beside it; a commit leaves exactly the
 * bytes written and nothing else in the directory; outfile_free without a
 * commit removes the temporary and leaves the old file untouched; an
 * existing file keeps its mode (a new one gets 0666 less the umask);
 * through a symbolic link, the file the link names is replaced (its
 * temporary beside it) and the link stays a link; "-" and NULL write to
 * standard output (fd 1 redirected to a scratch file around the call,
 * which must still be open after the commit); a device (/dev/null) or a
 * FIFO is written directly, with no temporary and no rename; a path in a
 * missing directory fails with ERR_RUNTIME and "PATH: cannot write: ...";
 * a zeroed struct outfile and OUTFILE_INIT are safe to free (and freeing
 * a zeroed one does not close fd 0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

#include "capture.h"
#include "scratch.h"

/* ---- a scratch directory per test (with a "sub" directory in it at
 * times, which scratch_teardown removes too) ---- */

static int setup(void **state)
{
	return scratch_setup(state, "test_outfile", "out.txt");
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* ---- files ---- */

/* The file at path holds exactly want[0..len). */
static void assert_file_bytes(const char *path, const void *want, size_t len)
{
	size_t n;
	char *got = scratch_read(path, &n);
	if (n != len)
		fail_msg("%s: %zu bytes, want %zu", path, n, len);
	assert_memory_equal(got, want, len);
	free(got);
}

static void assert_file_text(const char *path, const char *want)
{
	assert_file_bytes(path, want, strlen(want));
}

static void assert_missing(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0)
		fail_msg("%s exists, and should not", path);
	assert_int_equal(errno, ENOENT);
}

/* The one temporary of name in dir: ".NAME.tmp" and six more characters;
 * its full path into tmp. Fails unless there is exactly one. */
static void find_temporary(const char *dir, const char *name, char *tmp, size_t size)
{
	char prefix[128];
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	snprintf(prefix, sizeof prefix, ".%s.tmp", name);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			if (strlen(de->d_name) != strlen(prefix) + 6)
				fail_msg("temporary %s/%s: want %sXXXXXX", dir, de->d_name, prefix);
			join(tmp, size, dir, de->d_name);
			found++;
		}
	closedir(d);
	if (found != 1)
		fail_msg("%d temporaries %sXXXXXX in %s, want 1", found, prefix, dir);
}

static mode_t file_mode(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void assert_closed(const struct outfile *o)
{
	assert_null(o->path);
	assert_null(o->tmp);
	assert_int_equal(o->fd, -1);
	assert_int_equal(o->is_open, 0);
}

static void must_open(struct outfile *o, const char *path)
{
	struct err e = {0};
	if (outfile_open(o, path, &e))
		fail_msg("outfile_open %s: %s", path ? path : "(null)", e.msg);
}

static void must_write(struct outfile *o, const void *buf, size_t len)
{
	int en = outfile_write(o, buf, len);
	if (en)
		fail_msg("outfile_write %s: %s", outfile_name(o), strerror(en));
}

static void must_commit(struct outfile *o)
{
	struct err e = {0};
	if (outfile_commit(o, &e))
		fail_msg("outfile_commit: %s", e.msg);
	assert_closed(o);
}

/* ---- a new file ---- */

/* Bytes with a NUL and every byte value, in several writes, one of them
 * large: exactly those bytes. Before the commit only the temporary
 * exists, with the mode the file will have. */
static void test_new_file(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	char names[512], tmp[256], want[512];
	enum { BIG = 3 << 20 };
	unsigned char bytes[256];
	unsigned char *big = malloc(BIG);

	assert_non_null(big);
	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)i;
	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 7 + i / 1000);
	mode_t old = umask(022);

	must_open(&o, s->path);
	assert_true(outfile_is_atomic(&o));
	assert_string_equal(outfile_name(&o), s->path);
	assert_int_equal(o.is_open, 1);
	must_write(&o, "a\0b", 3);
	must_write(&o, bytes, sizeof bytes);
	must_write(&o, "", 0);
	must_write(&o, big, BIG);

	assert_missing(s->path);
	find_temporary(s->dir, "out.txt", tmp, sizeof tmp);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	snprintf(want, sizeof want, "%s\n", strrchr(tmp, '/') + 1);
	assert_string_equal(names, want);
	assert_int_equal(file_mode(tmp), 0644);

	must_commit(&o);
	umask(old);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "out.txt\n");
	assert_int_equal(file_mode(s->path), 0644);

	size_t n;
	char *got = scratch_read(s->path, &n);
	assert_int_equal(n, 3 + 256 + BIG);
	assert_memory_equal(got, "a\0b", 3);
	assert_memory_equal(got + 3, bytes, 256);
	assert_memory_equal(got + 3 + 256, big, BIG);
	free(got);
	free(big);

	/* freeing after a commit is harmless: the file stays */
	outfile_free(&o);
	assert_closed(&o);
	struct stat st;
	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_size, 3 + 256 + BIG);
}

/* A new file's mode is 0666 less the umask, whatever the umask. */
static void test_new_file_umask(void **state)
{
	struct scratch *s = *state;
	static const mode_t masks[] = {022, 077, 002, 0};
	struct err e = {0};

	for (size_t k = 0; k < sizeof masks / sizeof *masks; k++) {
		unlink(s->path);
		mode_t old = umask(masks[k]);
		int rc = outfile_write_file(s->path, "x", 1, &e);
		umask(old);
		assert_int_equal(rc, 0);
		if (file_mode(s->path) != (0666 & ~masks[k]))
			fail_msg("umask %03o: mode %03o, want %03o", (unsigned)masks[k], (unsigned)file_mode(s->path),
				 (unsigned)(0666 & ~masks[k]));
	}
}

/* ---- an existing file ---- */

/* Until the commit the old bytes stay under the name; the commit replaces
 * them (a shorter text leaves nothing of the longer one). */
static void test_replace(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	char names[512], tmp[256];

	scratch_write(s->path, "the old contents, longer than the new\n");
	must_open(&o, s->path);
	assert_true(outfile_is_atomic(&o));
	must_write(&o, "new\n", 4);
	assert_file_text(s->path, "the old contents, longer than the new\n");
	find_temporary(s->dir, "out.txt", tmp, sizeof tmp);
	assert_file_text(tmp, "new\n");
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 2);
	must_commit(&o);
	assert_file_text(s->path, "new\n");
	assert_missing(tmp);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "out.txt\n");
}

/* Without a commit: the temporary goes, the old file stays as it was, a
 * new file never appears. */
static void test_free_without_commit(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	char names[512], tmp[256];

	/* an old file */
	scratch_write(s->path, "old\n");
	assert_int_equal(chmod(s->path, 0640), 0);
	must_open(&o, s->path);
	must_write(&o, "new and unfinished", 18);
	find_temporary(s->dir, "out.txt", tmp, sizeof tmp);
	outfile_free(&o);
	assert_closed(&o);
	assert_missing(tmp);
	assert_file_text(s->path, "old\n");
	assert_int_equal(file_mode(s->path), 0640);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "out.txt\n");
	outfile_free(&o); /* again: harmless */

	/* no old file */
	assert_int_equal(unlink(s->path), 0);
	must_open(&o, s->path);
	must_write(&o, "x", 1);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	outfile_free(&o);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 0);
	assert_missing(s->path);
}

/* An existing file keeps its mode, whatever the umask: set by chmod, not
 * by creation. */
static void test_mode_kept(void **state)
{
	struct scratch *s = *state;
	static const mode_t modes[] = {0640, 0600, 0755, 0444, 0664};
	struct err e = {0};
	char tmp[256];
	struct outfile o;

	for (size_t k = 0; k < sizeof modes / sizeof *modes; k++) {
		scratch_write(s->path, "old");
		assert_int_equal(chmod(s->path, modes[k]), 0);
		mode_t old = umask(077);
		must_open(&o, s->path);
		find_temporary(s->dir, "out.txt", tmp, sizeof tmp);
		if (file_mode(tmp) != modes[k])
			fail_msg("temporary of a file of mode %03o: mode %03o", (unsigned)modes[k],
				 (unsigned)file_mode(tmp));
		must_write(&o, "new", 3);
		must_commit(&o);
		umask(old);
		if (file_mode(s->path) != modes[k])
			fail_msg("a file of mode %03o has mode %03o after a commit", (unsigned)modes[k],
				 (unsigned)file_mode(s->path));
		assert_file_text(s->path, "new");
		/* the same through outfile_write_file */
		assert_int_equal(outfile_write_file(s->path, "again", 5, &e), 0);
		assert_int_equal(file_mode(s->path), modes[k]);
		assert_file_text(s->path, "again");
		assert_int_equal(chmod(s->path, 0644), 0);
		assert_int_equal(unlink(s->path), 0);
	}
}

/* ---- symbolic links ---- */

/* Writing through a link replaces the file it names (in another
 * directory: the temporary is beside that file), and the link stays a
 * link to it. Two links deep too. */
static void test_symlink(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	struct stat st;
	char sub[128], real[256], link1[256], link2[256], tmp[256], names[512], target[256];
	struct err e = {0};

	scratch_path(s, "sub", sub, sizeof sub);
	join(real, sizeof real, sub, "real.txt");
	scratch_path(s, "link1", link1, sizeof link1);
	scratch_path(s, "link2", link2, sizeof link2);
	assert_int_equal(mkdir(sub, 0755), 0);
	scratch_write(real, "old\n");
	assert_int_equal(chmod(real, 0640), 0);
	assert_int_equal(symlink("sub/real.txt", link1), 0);
	assert_int_equal(symlink("link1", link2), 0);

	must_open(&o, link1);
	assert_true(outfile_is_atomic(&o));
	must_write(&o, "through the link\n", 17);
	/* the temporary is beside the real file, not beside the link */
	find_temporary(sub, "real.txt", tmp, sizeof tmp);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 3);
	assert_string_equal(names, "link1\nlink2\nsub\n");
	assert_file_text(real, "old\n");
	must_commit(&o);

	assert_file_text(real, "through the link\n");
	assert_int_equal(file_mode(real), 0640);
	assert_int_equal(lstat(link1, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	ssize_t n = readlink(link1, target, sizeof target - 1);
	assert_true(n > 0);
	target[n] = 0;
	assert_string_equal(target, "sub/real.txt");
	assert_int_equal(scratch_list(sub, names, sizeof names), 1);
	assert_string_equal(names, "real.txt\n");

	/* a link to a link */
	assert_int_equal(outfile_write_file(link2, "two deep\n", 9, &e), 0);
	assert_file_text(real, "two deep\n");
	assert_int_equal(lstat(link2, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(link1, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 3);
	assert_int_equal(scratch_list(sub, names, sizeof names), 1);

	/* without a commit, through the link: nothing changes */
	must_open(&o, link1);
	must_write(&o, "lost", 4);
	outfile_free(&o);
	assert_file_text(real, "two deep\n");
	assert_int_equal(scratch_list(sub, names, sizeof names), 1);
	assert_int_equal(lstat(link1, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

/* ---- a relative name ---- */

/* A bare name (no directory): the temporary is in the current one. */
static void test_relative_name(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	char cwd[PATH_MAX], tmp[256], names[512];

	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(s->dir), 0);
	must_open(&o, "bare.txt");
	must_write(&o, "relative\n", 9);
	find_temporary(".", "bare.txt", tmp, sizeof tmp);
	assert_missing("bare.txt");
	must_commit(&o);
	assert_file_text("bare.txt", "relative\n");
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "bare.txt\n");
}

/* ---- standard output ---- */

static void test_stdout(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	struct capture c;
	struct err e = {0};
	char names[512];
	int rc1, rc2, rc3, en1, en2, atomic1, atomic2;
	char name1[32], name2[32];
	ssize_t after;

	capture_begin(&c, 1, s->path);
	/* "-" */
	rc1 = outfile_open(&o, "-", &e);
	atomic1 = rc1 ? -1 : outfile_is_atomic(&o);
	snprintf(name1, sizeof name1, "%s", rc1 ? "" : outfile_name(&o));
	en1 = rc1 ? -1 : outfile_write(&o, "dash\n", 5);
	rc1 = rc1 ? rc1 : outfile_commit(&o, &e);
	/* NULL */
	rc2 = outfile_open(&o, NULL, &e);
	atomic2 = rc2 ? -1 : outfile_is_atomic(&o);
	snprintf(name2, sizeof name2, "%s", rc2 ? "" : outfile_name(&o));
	en2 = rc2 ? -1 : outfile_write(&o, "null\n", 5);
	rc2 = rc2 ? rc2 : outfile_commit(&o, &e);
	/* a whole text */
	rc3 = outfile_write_file("-", "whole\n", 6, &e);
	/* fd 1 itself is still open: only a duplicate was closed */
	after = write(1, "after\n", 6);
	/* freeing without a commit does not close it either */
	if (!outfile_open(&o, "-", &e))
		outfile_free(&o);
	after += write(1, "free\n", 5);
	capture_end(&c);

	assert_int_equal(rc1, 0);
	assert_int_equal(rc2, 0);
	assert_int_equal(rc3, 0);
	assert_int_equal(en1, 0);
	assert_int_equal(en2, 0);
	assert_int_equal(atomic1, 0);
	assert_int_equal(atomic2, 0);
	assert_string_equal(name1, "<stdout>");
	assert_string_equal(name2, "<stdout>");
	assert_int_equal(after, 11);
	assert_file_text(s->path, "dash\nnull\nwhole\nafter\nfree\n");
	assert_closed(&o);
	/* no temporary anywhere near */
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
}

/* ---- devices and pipes: written directly ---- */

static void test_dev_null(void **state)
{
	(void)state;
	struct outfile o;
	struct stat st;
	struct err e = {0};

	must_open(&o, "/dev/null");
	assert_false(outfile_is_atomic(&o));
	assert_null(o.tmp);
	assert_string_equal(outfile_name(&o), "/dev/null");
	must_write(&o, "discarded", 9);
	must_commit(&o);
	assert_int_equal(outfile_write_file("/dev/null", "x", 1, &e), 0);
	/* still the device: not renamed over */
	assert_int_equal(lstat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

/* A FIFO: its reader gets the bytes as they are written, before any
 * commit; it stays a FIFO. */
static void test_fifo(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	struct stat st;
	char fifo[256], buf[64], names[512];

	scratch_path(s, "fifo", fifo, sizeof fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	must_open(&o, fifo);
	assert_false(outfile_is_atomic(&o));
	must_write(&o, "piped", 5);
	ssize_t n = read(rd, buf, sizeof buf);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "piped", 5);
	must_commit(&o);
	close(rd);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "fifo\n");
}

/* ---- errors ---- */

static void test_missing_directory(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	struct err e = {0};
	char path[256], want[512];

	scratch_path(s, "no/such/dir/out.txt", path, sizeof path);
	snprintf(want, sizeof want, "%s: cannot write: %s", path, strerror(ENOENT));

	assert_int_equal(outfile_open(&o, path, &e), ERR_RUNTIME);
	assert_int_equal(e.code, ERR_RUNTIME);
	assert_string_equal(e.msg, want);
	assert_closed(&o); /* closed, and safe to free */
	outfile_free(&o);
	assert_closed(&o);
	/* a closed outfile refuses writes and commits */
	assert_int_equal(outfile_write(&o, "x", 1), EBADF);
	memset(&e, 0, sizeof e);
	assert_int_equal(outfile_commit(&o, &e), ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "write failed"));

	memset(&e, 0, sizeof e);
	assert_int_equal(outfile_write_file(path, "x", 1, &e), ERR_RUNTIME);
	assert_string_equal(e.msg, want);
	assert_missing(path);
}

/* A rename that fails (the name became a directory meanwhile): the error
 * names the path and the temporary, and the temporary is removed. */
static void test_rename_fails(void **state)
{
	struct scratch *s = *state;
	struct outfile o;
	struct err e = {0};
	struct stat st;
	char path[256], tmp[256], names[512];

	scratch_path(s, "sub", path, sizeof path);
	must_open(&o, path);
	must_write(&o, "x", 1);
	find_temporary(s->dir, "sub", tmp, sizeof tmp);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(outfile_commit(&o, &e), ERR_RUNTIME);
	assert_closed(&o);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "cannot rename"));
	assert_non_null(strstr(e.msg, tmp));
	assert_missing(tmp);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "sub\n");
}

/* ---- freeing what was never opened ---- */

static void test_zeroed_free(void **state)
{
	(void)state;
	struct outfile z, init = OUTFILE_INIT;
	int fd0 = fcntl(0, F_GETFD);

	memset(&z, 0, sizeof z);
	assert_false(outfile_is_atomic(&z));
	assert_string_equal(outfile_name(&z), "<stdout>");
	outfile_free(&z);
	assert_closed(&z);
	outfile_free(&z);
	assert_closed(&z);
	/* a zeroed struct's fd is 0: freeing it must not close stdin */
	assert_int_equal(fcntl(0, F_GETFD) == -1, fd0 == -1);

	assert_int_equal(init.fd, -1);
	assert_int_equal(init.is_open, 0);
	outfile_free(&init);
	assert_closed(&init);
	outfile_free(&init);
	assert_closed(&init);
}

/* ---- outfile_write_file ---- */

static void test_write_file(void **state)
{
	struct scratch *s = *state;
	struct err e = {0};
	char names[512];
	static const char text[] = "{\"a\": 1}\n";

	assert_int_equal(outfile_write_file(s->path, text, strlen(text), &e), 0);
	assert_file_text(s->path, text);
	/* over a longer file: exactly the new bytes */
	scratch_write(s->path, "0123456789012345678901234567890123456789\n");
	assert_int_equal(outfile_write_file(s->path, "ab", 2, &e), 0);
	assert_file_text(s->path, "ab");
	/* nothing: an empty file */
	assert_int_equal(outfile_write_file(s->path, "", 0, &e), 0);
	assert_file_bytes(s->path, "", 0);
	assert_int_equal(scratch_list(s->dir, names, sizeof names), 1);
	assert_string_equal(names, "out.txt\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_file, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_new_file_umask, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_free_without_commit, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_mode_kept, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_relative_name, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_stdout, setup, scratch_teardown),
		cmocka_unit_test(test_dev_null),
		cmocka_unit_test_setup_teardown(test_fifo, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_rename_fails, setup, scratch_teardown),
		cmocka_unit_test(test_zeroed_free),
		cmocka_unit_test_setup_teardown(test_write_file, setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
