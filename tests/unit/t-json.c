/*
 * t-json.c - canonical JSON text told from its text alone
 * (gt_json_canonical_span, gt_json_canonical_object): everything
 * gt_json_write writes is taken whole, and text gt would write otherwise
 * (white space, other escapes, other spellings of a number, bad UTF-8)
 * or that is not JSON is not.
 */
#include <string.h>

#include "gt.h"
#include "tap.h"

static int whole(const char *s)
{
	return gt_json_canonical_span(s, strlen(s)) == strlen(s);
}

static int refused(const char *s)
{
	return gt_json_canonical_span(s, strlen(s)) == 0;
}

/* parsed and written by gt, then checked */
static int round_trip(const char *json)
{
	cJSON *v = cJSON_Parse(json);
	struct gt_buf b = GT_BUF_INIT;
	int r;

	if (!v)
		return 0;
	gt_json_write(&b, v);
	r = gt_json_canonical_span(b.ptr, b.len) == b.len;
	gt_buf_release(&b);
	cJSON_Delete(v);
	return r;
}

int main(void)
{
	struct gt_json_member *m;
	char deep[200];
	int n;

	ok(whole("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}"), "an object");
	ok(whole("\"tab\\there \\\"quoted\\\" \\\\ \\u003c\\u003e\\u0026 \\u0001 \\u2028\""),
	   "the escapes gt writes");
	ok(whole("\"caf\xc3\xa9 \xe2\x82\xac\""), "UTF-8 as it is");
	ok(whole("-12") && whole("0") && whole("1.5") && whole("1e+21") && whole("0.1"),
	   "numbers as gt prints them");
	ok(whole("[]") && whole("{}") && whole("[[],{}]"), "empty ones");
	ok(round_trip("{\"t\": \"a <b> & c\\u2029\", \"n\": [1, 2.25, -3e-7, 1e300], "
		      "\"x\": {\"y\": [\"\\b\\f\\n\\r\\t\\u001f\", null]}}"),
	   "whatever gt writes");
	ok(round_trip("[\"\xf0\x9f\x98\x80\", 123456789012, 0.30000000000000004]"),
	   "four-byte UTF-8, long numbers");

	ok(refused("{\"a\": 1}") && refused(" 1") && refused("[1, 2]"), "white space");
	ok(refused("\"a\\/b\"") && refused("\"\\u0041\"") && refused("\"\\u003C\"") &&
		   refused("\"\\u000a\""),
	   "escapes gt does not write");
	ok(refused("\"<\"") && refused("\"\xe2\x80\xa8\"") && refused("\"a\x01\""),
	   "what gt escapes, unescaped");
	ok(refused("1.0") && refused("-0") && refused("1E2") && refused("+1") && refused("01") &&
		   refused("1e2"),
	   "other spellings of a number");
	ok(refused("\"\xc3\"") && refused("\"\xff\"") && refused("\"\xed\xa0\x80\""), "bad UTF-8");
	ok(refused("tru") && refused("nul") && refused("\"open") && refused("[1,") &&
		   refused("{\"a\"}") && refused("{\"a\":}") && refused("[1,]") && refused("") &&
		   refused("{1:2}") && refused("\"\\u12\""),
	   "not JSON");
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	ok(gt_json_canonical_span(deep, 200) == 0, "deeper than 64: not taken");
	ok(gt_json_canonical_span(deep + 40, 120) == 120, "60 deep: taken");

	n = gt_json_canonical_object(&m, "{\"id\":\"t-1\",\"labels\":[\"a\",\"b\"],\"p\":2}\n", 37);
	ok(n == 3 && m[0].klen == 2 && !memcmp(m[0].key, "id", 2) && m[0].vlen == 5 &&
		   !memcmp(m[0].val, "\"t-1\"", 5) && m[1].vlen == 9 && m[2].vlen == 1 &&
		   m[2].val[0] == '2',
	   "an object's members, a newline after it");
	free(m);
	ok(gt_json_canonical_object(&m, "{}", 2) == 0 && !m, "no members");
	ok(gt_json_canonical_object(&m, "{\"a\\u0026\":1}", 13) == -1 && !m,
	   "a key with an escape: not split");
	ok(gt_json_canonical_object(&m, "[1]", 3) == -1 &&
		   gt_json_canonical_object(&m, "{\"a\":1} ", 8) == -1 &&
		   gt_json_canonical_object(&m, "{\"a\":1,}", 8) == -1 &&
		   gt_json_canonical_object(&m, "{\"a\":1", 6) == -1,
	   "not an object in canonical form");
	return tap_done();
}
