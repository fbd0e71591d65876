/*
 * t-toml.c - the TOML parser: toml-test's conformance suite (every file
 * listed for TOML 1.0), then what the suite does not check: error messages
 * and their positions, lookups, the positions of values and tables, key
 * order, big tables, plain JSON, reading files.
 *
 * The suite is found at $GT_TOML_TEST, else beside $GT_CORPUS (both are
 * in ../shared), else ../shared/toml-test (tests/run runs from the top of
 * the repository).
 */
#include <stdlib.h>
#include <unistd.h>

#include "gt.h"
#include "base/file.h"
#include "base/toml.h"
#include "tap.h"
#include "toml-tagged.h"

static void check_valid(const char *name, const char *toml, size_t len, const char *json_path)
{
	struct gt_buf json = GT_BUF_INIT, diff = GT_BUF_INIT;
	struct gt_toml *doc = NULL;
	cJSON *want = NULL, *got = NULL;
	int rc, same = 0;

	rc = gt_toml_parse(&doc, toml, len, name);
	if (!rc && gt_read_file(&json, json_path) < 0)
		gt_buf_printf(&diff, "%s", gt_error_last());
	else if (!rc && !(want = cJSON_ParseWithLength(json.ptr, json.len)))
		gt_buf_printf(&diff, "cannot parse %s", json_path);
	else if (!rc)
		same = !tagged_compare(&diff, "", got = tagged_encode(doc), want);
	ok(same, "%s", name);
	if (rc)
		printf("# %s\n", gt_error_last());
	else if (!same)
		printf("# %s\n", diff.ptr);
	cJSON_Delete(got);
	cJSON_Delete(want);
	gt_toml_free(doc);
	gt_buf_release(&json);
	gt_buf_release(&diff);
}

static void suite(void)
{
	const char *root = getenv("GT_TOML_TEST");
	struct gt_buf list = GT_BUF_INIT, path = GT_BUF_INIT, toml = GT_BUF_INIT;
	struct gt_buf rootbuf = GT_BUF_INIT;
	int valid = 0, valid_ok = 0, invalid = 0, invalid_ok = 0, before;
	char *line, *next;

	if ((!root || !*root) && getenv("GT_CORPUS") && *getenv("GT_CORPUS")) {
		/* the corpus and the suite sit side by side in ../shared */
		gt_buf_printf(&rootbuf, "%s/../toml-test", getenv("GT_CORPUS"));
		root = rootbuf.ptr;
	}
	if (!root || !*root)
		root = "../shared/toml-test";
	gt_buf_printf(&path, "%s/tests/files-toml-1.0.0", root);
	if (gt_read_file(&list, path.ptr) < 0) {
		ok(0, "toml-test suite: %s (set GT_TOML_TEST to its directory)", gt_error_last());
		goto out;
	}
	for (line = list.ptr; *line; line = next) {
		size_t n = strcspn(line, "\n");
		struct gt_toml *doc = NULL;

		next = line + n + (line[n] == '\n');
		line[n] = '\0';
		if (n < 5 || strcmp(line + n - 5, ".toml"))
			continue;
		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s/tests/%s", root, line);
		gt_buf_reset(&toml);
		if (gt_read_file(&toml, path.ptr) < 0) {
			ok(0, "%s", line);
			printf("# %s\n", gt_error_last());
			continue;
		}
		before = tap_failed;
		if (!strncmp(line, "valid/", 6)) {
			valid++;
			gt_buf_truncate(&path, path.len - 5);
			gt_buf_adds(&path, ".json");
			check_valid(line, gt_buf_cstr(&toml), toml.len, path.ptr);
			valid_ok += tap_failed == before;
		} else {
			int rc = gt_toml_parse(&doc, gt_buf_cstr(&toml), toml.len, line);

			invalid++;
			ok(rc == GT_EINVALID, "%s", line);
			if (rc != GT_EINVALID)
				printf("# accepted, but it is not valid TOML 1.0\n");
			invalid_ok += tap_failed == before;
			gt_toml_free(doc);
		}
	}
	printf("# toml-test 1.0: valid %d/%d, invalid %d/%d\n", valid_ok, valid, invalid_ok,
	       invalid);
out:
	gt_buf_release(&list);
	gt_buf_release(&path);
	gt_buf_release(&toml);
	gt_buf_release(&rootbuf);
}

/* The error message for doc ("ok" when it parses). */
static const char *error_of(const char *doc)
{
	struct gt_toml *t;

	if (gt_toml_parse(&t, doc, strlen(doc), "t.toml") < 0)
		return gt_error_last();
	gt_toml_free(t);
	return "ok";
}

static struct gt_toml *parse(const char *doc)
{
	struct gt_toml *t = NULL;

	if (gt_toml_parse(&t, doc, strlen(doc), "t.toml") < 0)
		printf("# %s\n", gt_error_last());
	return t;
}

static void errors(void)
{
	is_str(error_of("a = 1\nb = 2\na = 3\n"), "t.toml: line 3, column 1: duplicate key 'a'",
	       "duplicate key: line and column");
	is_str(error_of("[t]\nx.y = 1\n  x.y = 2\n"),
	       "t.toml: line 3, column 3: duplicate key 'x.y'", "duplicate dotted key");
	is_str(error_of("a = 1\nb = \"abc\nc = 2\n"),
	       "t.toml: line 2, column 5: unterminated string", "unterminated string");
	is_str(error_of("s = \"\"\"abc\n\ndef"), "t.toml: line 1, column 5: unterminated string",
	       "unterminated multi-line string");
	is_str(error_of("x = \"a\\qb\""), "t.toml: line 1, column 7: invalid escape '\\q'",
	       "invalid escape");
	is_str(error_of("a b = 1"), "t.toml: line 1, column 3: expected '=' after key",
	       "missing equals sign");
	is_str(error_of("\"é\" = 1\nñ = 2"),
	       "t.toml: line 2, column 1: invalid character 'ñ' in key", "non-ASCII bare key");
	is_str(error_of("k = \"ü\\ud800\""),
	       "t.toml: line 1, column 7: invalid escape '\\ud800': not a unicode scalar value",
	       "columns count characters, not bytes; surrogates refused");
	is_str(error_of("[a]\nx = 1\n\n[a]\n"), "t.toml: line 4, column 1: duplicate table 'a'",
	       "table defined twice");
	is_str(error_of("a = 1\r\nb = \r\n"), "t.toml: line 2, column 5: expected a value",
	       "CRLF lines counted once");
	is_str(error_of("a = {x = 1}\na.y = 2\n"),
	       "t.toml: line 2, column 1: cannot add to inline table 'a'", "inline tables frozen");
	is_str(error_of("a = { x = 1,\n y = 2 }"),
	       "t.toml: line 1, column 13: newline in inline table",
	       "TOML 1.1 inline newline refused");
	is_str(error_of("t = 07:32\n"), "t.toml: line 1, column 10: seconds are required in a time",
	       "TOML 1.1 time without seconds refused");
	is_str(error_of("e = \"\\e\""), "t.toml: line 1, column 6: invalid escape '\\e'",
	       "TOML 1.1 \\e refused");
	is_str(error_of("i = 9223372036854775808"),
	       "t.toml: line 1, column 5: integer '9223372036854775808' out of range",
	       "int64 overflow");
	is_str(error_of("d = 2023-02-29"), "t.toml: line 1, column 13: day out of range",
	       "February 29 outside a leap year");
	is_str(error_of("ok = 1\nbad = \"\xff\""), "t.toml: line 2, column 8: invalid UTF-8",
	       "invalid UTF-8");
	is_str(error_of("x = 1 y = 2"), "t.toml: line 1, column 7: expected newline after value",
	       "two pairs on one line");
	is_str(error_of("[a.b]\n[a]\nb.c = 1\n"),
	       "t.toml: line 3, column 1: cannot add to table 'b' with dotted keys: it has a "
	       "[header]",
	       "dotted keys cannot reach into a table made by a header");
}

static void lookups(void)
{
	struct gt_toml *t = parse("# a formula\n"
				  "name = \"build\"\n"
				  "n = 42\n"
				  "[step.one]\n"
				  "cmd = 'make'\n"
				  "[[run]]\n"
				  "x = 1\n"
				  "[[run]]\n"
				  "  y = { z = [1, 2.5] }\n"
				  "[step]\n"
				  "dt = 1979-05-27T00:32:00.999999-07:00\n");
	const struct gt_toml *v;

	ok(t != NULL, "document parses");
	if (!t)
		return;
	is_str(gt_toml_str(t, "name"), "build", "gt_toml_str");
	ok(gt_toml_str(t, "n") == NULL && gt_toml_str(t, "nope") == NULL,
	   "gt_toml_str: NULL for an integer and for a missing key");
	ok(gt_toml_get(gt_toml_get(t, "n"), "x") == NULL && gt_toml_get(NULL, "x") == NULL,
	   "gt_toml_get: NULL on a non-table");
	v = gt_toml_get(t, "n");
	ok(v && v->type == GT_TOML_INTEGER && v->i == 42 && v->line == 3 && v->column == 5,
	   "integer value and its position (3:5)");
	is_str(gt_toml_str(gt_toml_get(gt_toml_get(t, "step"), "one"), "cmd"), "make",
	       "nested lookup");
	v = gt_toml_get(t, "step");
	ok(v && v->line == 10 && v->column == 1, "implicit table takes the position of [step]");
	v = gt_toml_get(v, "one");
	ok(v && v->line == 4 && v->column == 1 && !strcmp(v->key, "one"), "table position and key");
	v = gt_toml_get(t, "run");
	ok(v && v->type == GT_TOML_ARRAY && v->nkids == 2 && v->kids[1]->line == 8 &&
		   v->kids[1]->column == 1 && v->kids[1]->key == NULL,
	   "array of tables: element at its [[header]], without a key");
	v = v ? gt_toml_get(v->kids[1], "y") : NULL;
	ok(v && v->type == GT_TOML_TABLE && v->line == 9 && v->column == 7,
	   "inline table position (9:7)");
	v = gt_toml_get(v, "z");
	ok(v && v->nkids == 2 && v->kids[1]->type == GT_TOML_FLOAT && v->kids[1]->f == 2.5 &&
		   v->kids[1]->line == 9 && v->kids[1]->column == 17,
	   "array element position (9:17)");
	ok(t->nkids == 4 && !strcmp(t->kids[0]->key, "name") && !strcmp(t->kids[1]->key, "n") &&
		   !strcmp(t->kids[2]->key, "step") && !strcmp(t->kids[3]->key, "run"),
	   "keys in document order");
	{
		struct gt_buf b = GT_BUF_INIT;
		cJSON *j = gt_toml_to_json(t);

		gt_json_write(&b, j);
		is_str(b.ptr,
		       "{\"name\":\"build\",\"n\":42,\"step\":{\"one\":{\"cmd\":\"make\"},"
		       "\"dt\":\"1979-05-27T00:32:00.999999-07:00\"},"
		       "\"run\":[{\"x\":1},{\"y\":{\"z\":[1,2.5]}}]}",
		       "gt_toml_to_json");
		cJSON_Delete(j);
		gt_buf_release(&b);
	}
	gt_toml_free(t);
}

static const char *fmt(const char *doc)
{
	static struct gt_buf b;
	struct gt_toml *t = parse(doc);

	gt_buf_reset(&b);
	if (t && t->nkids == 1)
		gt_toml_datetime_format(&b, t->kids[0]);
	gt_toml_free(t);
	return gt_buf_cstr(&b);
}

static void values(void)
{
	struct gt_toml *t;
	struct gt_buf doc = GT_BUF_INIT;
	int all = 1;

	is_str(fmt("d = 1979-05-27 07:32:00z"), "1979-05-27T07:32:00Z", "offset date-time");
	is_str(fmt("d = 1979-05-27T00:32:00.5+05:30"), "1979-05-27T00:32:00.5+05:30",
	       "fraction and offset kept");
	is_str(fmt("d = 2024-02-29T00:00:00.1234567891"), "2024-02-29T00:00:00.123456789",
	       "leap day; fraction truncated to nanoseconds");
	is_str(fmt("d = 1979-05-27"), "1979-05-27", "local date");
	is_str(fmt("d = 07:32:00.50"), "07:32:00.50", "local time");
	t = parse("s = \"a\\u0000b\"\nm = -9223372036854775808\nh = 0xff_ff\n");
	ok(t && t->kids[0]->len == 3 && !memcmp(t->kids[0]->str, "a\0b", 4),
	   "\\u0000 kept, with its length");
	ok(t && t->kids[1]->i == INT64_MIN && t->kids[2]->i == 0xffff, "INT64_MIN and hex");
	gt_toml_free(t);

	/* big tables go through the hash index: order and lookups still right */
	for (int i = 0; i < 1000; i++)
		gt_buf_printf(&doc, "k%d = %d\n", 999 - i, i);
	gt_buf_adds(&doc, "k5 = 0\n");
	is_str(error_of(doc.ptr), "t.toml: line 1001, column 1: duplicate key 'k5'",
	       "duplicate found in a big table");
	gt_buf_truncate(&doc, doc.len - 7);
	t = parse(doc.ptr);
	for (int i = 0; t && i < 1000; i++) {
		char k[16];
		const struct gt_toml *v;

		snprintf(k, sizeof(k), "k%d", 999 - i);
		v = gt_toml_get(t, k);
		all = all && v && v->i == i && t->kids[i] == v;
	}
	ok(t && all && t->nkids == 1000, "1000 keys: document order and lookups");
	gt_toml_free(t);
	gt_buf_release(&doc);
}

static void files(void)
{
	struct gt_toml *t = NULL;
	char dir[] = "/tmp/t-toml.XXXXXX", path[64];
	FILE *f;

	ok(gt_toml_parse_file(&t, "/nonexistent/x.toml") == GT_ENOTFOUND && !t,
	   "missing file: GT_ENOTFOUND");
	is_str(gt_error_last(), "cannot read '/nonexistent/x.toml': No such file or directory",
	       "missing file: message");
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/f.toml", dir);
	f = fopen(path, "w");
	if (f) {
		fputs("[x]\ny = 'z'\n", f);
		fclose(f);
	}
	ok(gt_toml_parse_file(&t, path) == 0 && t, "gt_toml_parse_file");
	is_str(gt_toml_str(gt_toml_get(t, "x"), "y"), "z", "file contents");
	gt_toml_free(t);
	f = fopen(path, "w");
	if (f) {
		fputs("[x]\ny = \n", f);
		fclose(f);
	}
	ok(gt_toml_parse_file(&t, path) == GT_EINVALID && !t, "bad file: GT_EINVALID");
	ok(!strncmp(gt_error_last(), path, strlen(path)) &&
		   !strcmp(gt_error_last() + strlen(path), ": line 2, column 5: expected a value"),
	   "bad file: message names the path");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	suite();
	errors();
	lookups();
	values();
	files();
	return tap_done();
}
