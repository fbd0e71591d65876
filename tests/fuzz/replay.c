/*
 * replay.c - run a fuzz harness over saved inputs without libFuzzer, so
 * the corpora under tests/fuzz/corpus/ are regression tests of the normal
 * (gcc, optionally sanitizer) build: `replay DIR|FILE...` calls the
 * harness's LLVMFuzzerTestOneInput once per file, directories in name
 * order, and prints "<n> inputs" on stdout.  A harness reports a broken
 * property by aborting, as it does under libFuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/banned.h"
#include "fuzz.h"

static size_t ninputs;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_file(const char *path)
{
	struct gt_buf b = GT_BUF_INIT;
	uint8_t *copy;

	if (gt_read_file(&b, path) < 0) {
		fprintf(stderr, "replay: error: cannot read '%s'\n", path);
		return -1;
	}
	/* an exact-size copy, so ASan sees a read past the end of the input */
	copy = gt_malloc(b.len ? b.len : 1);
	if (b.len)
		memcpy(copy, b.ptr, b.len);
	if (getenv("GT_REPLAY_VERBOSE"))
		fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	gt_buf_release(&b);
	ninputs++;
	return 0;
}

static int run_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: error: cannot read '%s': %s\n", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		GT_ALLOC_GROW(names, n + 1, alloc);
		names[n++] = gt_strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct gt_buf p = GT_BUF_INIT;
		struct stat st;

		gt_buf_printf(&p, "%s/%s", path, names[i]);
		if (!rc && stat(p.ptr, &st) == 0 && S_ISREG(st.st_mode))
			rc = run_file(p.ptr);
		gt_buf_release(&p);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc && !rc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: error: '%s': %s\n", argv[i], strerror(errno));
			rc = -1;
		} else {
			rc = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
		}
	}
	if (rc < 0)
		return 1;
	printf("%zu inputs\n", ninputs);
	return 0;
}
