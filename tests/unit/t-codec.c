/*
 * t-codec.c - hashes (known answers), canonical JSON with Go's escaping,
 * strict parsing errors, RFC 3339 times, the pull scanner.
 */
#include "gt.h"
#include "base/jscan.h"
#include "base/sha1.h"
#include "base/sha256.h"
#include "tap.h"

static const char *hex20(const unsigned char *d, char *out)
{
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return out;
}

static const char *canon(const char *in)
{
	static struct gt_buf b;
	cJSON *v = cJSON_Parse(in);

	gt_buf_reset(&b);
	gt_json_write(&b, v);
	cJSON_Delete(v);
	return gt_buf_cstr(&b);
}

int main(void)
{
	unsigned char d[32];
	char hx[65];
	struct gt_sha1 s1;
	int64_t ns = 0;
	cJSON *v = NULL;

	gt_sha256(d, "abc", 3);
	gt_sha256_hex(hx, d);
	is_str(hx, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256 abc");
	gt_sha256(d, "", 0);
	gt_sha256_hex(hx, d);
	is_str(hx, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256 empty");
	{
		char m[1000];

		memset(m, 'a', sizeof(m));
		gt_sha256(d, m, sizeof(m));
		gt_sha256_hex(hx, d);
		is_str(hx, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
		       "sha256 1000 a (multi-block)");
	}
	gt_sha1_init(&s1);
	gt_sha1_update(&s1, "abc", 3);
	gt_sha1_final(&s1, d);
	is_str(hex20(d, hx), "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1 abc");

	is_str(canon("{\"a\":\"<b>&\"}"), "{\"a\":\"\\u003cb\\u003e\\u0026\"}",
	       "html escaped like Go");
	is_str(canon("{\"a\":\"\\u2028\\u2029\"}"), "{\"a\":\"\\u2028\\u2029\"}",
	       "line separators escaped");
	is_str(canon("{\"a\":\"\\n\\t\\r\\b\\f\\u0001\"}"), "{\"a\":\"\\n\\t\\r\\b\\f\\u0001\"}",
	       "control characters");
	is_str(canon("{\"a\":\"é/ü\"}"), "{\"a\":\"é/ü\"}", "UTF-8 raw, slash unescaped");
	is_str(canon("[1,2.5,-0,1e3,12345678901]"), "[1,2.5,0,1000,12345678901]", "numbers");
	is_str(canon("{\"z\":1,\"a\":[true,false,null]}"), "{\"z\":1,\"a\":[true,false,null]}",
	       "key order kept");

	ok(gt_json_parse(&v, "{\"a\":1,}", 8, "in", 1) == GT_EINVALID, "trailing comma refused");
	ok(strstr(gt_error_last(), "in: line 1, column"), "error names line and column: %s",
	   gt_error_last());
	ok(gt_json_parse(&v, "{\"a\":\n\"b\"\n,,}", 13, "f", 10) == GT_EINVALID &&
		   strstr(gt_error_last(), "f: line 12"),
	   "line numbers count from the given first line: %s", gt_error_last());
	ok(gt_json_parse(&v, "{\"a\":\"\xff\"}", 8, "x", 1) == GT_EINVALID &&
		   strstr(gt_error_last(), "invalid UTF-8"),
	   "invalid UTF-8 refused");
	ok(gt_json_parse(&v, "{\"a\":\"\xc0\xaf\"}", 9, "x", 1) == GT_EINVALID, "overlong refused");
	ok(gt_json_parse(&v, "{\"a\":\"\xed\xa0\x80\"}", 10, "x", 1) == GT_EINVALID,
	   "surrogate refused");
	ok(gt_json_parse(&v, "{\"a\":\"x\\u0000y\"}", 16, "x", 1) == GT_EINVALID,
	   "escaped NUL refused");
	ok(gt_json_parse(&v, "{\"a\":1} x", 9, "x", 1) == GT_EINVALID, "trailing data refused");
	ok(gt_json_parse(&v, "{\"a\":[1,2]}", 11, "x", 1) == 0 && cJSON_IsObject(v),
	   "valid parses");
	cJSON_Delete(v);

	ok(gt_time_parse("1970-01-01T00:00:00Z", &ns) == 0 && ns == 0, "epoch");
	ok(gt_time_parse("2025-11-02T21:58:07.295058-08:00", &ns) == 0 &&
		   ns == 1762149487295058000LL,
	   "offset and fraction");
	ok(gt_time_parse("2026-01-01", &ns) == 0 && ns == 1767225600000000000LL, "bare date");
	ok(gt_time_parse("2026-01-01 10:00:00", &ns) == 0, "space form");
	ok(gt_time_parse("2026-13-01T00:00:00Z", &ns) < 0, "month 13 refused");
	ok(gt_time_parse("yesterday", &ns) < 0, "words refused");
	ok(gt_time_cmp("2026-01-01T10:00:00+02:00", "2026-01-01T09:00:00Z") < 0,
	   "compared as instants");

	{
		struct gt_jscan s;
		struct gt_buf b = GT_BUF_INIT;
		const char *k;
		size_t kl;
		int64_t n = 0;
		int seen = 0;
		const char *doc = "{\"skip\":{\"x\":[1,{\"y\":\"}]\\\"\"}]},\"s\":"
				  "\"a\\u00e9\\ud83d\\ude00\\n\","
				  "\"n\":-42,\"b\":true}";

		gt_jscan_init(&s, doc, strlen(doc));
		ok(gt_jscan_enter_object(&s) == 0, "jscan enters");
		while (gt_jscan_next_member(&s, &k, &kl) == 1) {
			if (kl == 1 && *k == 's') {
				gt_jscan_string(&s, &b);
				is_str(b.ptr, "a\xc3\xa9\xf0\x9f\x98\x80\n",
				       "jscan decodes escapes");
				seen++;
			} else if (kl == 1 && *k == 'n') {
				ok(gt_jscan_int(&s, &n) == 0 && n == -42, "jscan int");
				seen++;
			} else if (kl == 1 && *k == 'b') {
				ok(gt_jscan_bool(&s) == 1, "jscan bool");
				seen++;
			} else {
				gt_jscan_skip(&s);
			}
		}
		ok(seen == 3 && !s.err, "jscan skipped the nested value exactly");
		gt_buf_release(&b);
	}
	return tap_done();
}
