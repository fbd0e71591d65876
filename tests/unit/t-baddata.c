/*
 * t-baddata.c - bad data that must neither overflow nor slip through
 * (issue 14): times of years 1..9999, hostile numbers in the JSON
 * parser, the pull scanner and bead validation, and ids in dependencies.
 * Expected values are worked out by hand (days from 0001-01-01 to the
 * epoch: 719162; to 9999-12-31: 2932896).
 */
#include <stdint.h>

#include "gt.h"
#include "base/jscan.h"
#include "tap.h"

static int parses(const char *s, int64_t sec, int32_t nsec)
{
	struct gt_time t = { 12345, 678 };

	return gt_time_parse_exact(&t, s) == 0 && t.sec == sec && t.nsec == nsec;
}

static int refused(const char *s)
{
	struct gt_time t = { 12345, 678 };

	return gt_time_parse_exact(&t, s) < 0 && t.sec == 12345 && t.nsec == 678;
}

static const char *whole(const char *s)
{
	static char out[64];

	if (gt_time_whole_seconds(out, sizeof(out), s) < 0)
		return "(refused)";
	return out;
}

/* the first value of "[<text>, 7]" through gt_jscan_int, and whether the
 * scanner still reads the 7 after it */
static int scan_int(const char *text, int64_t *v, int *next_ok)
{
	struct gt_buf b = GT_BUF_INIT;
	struct gt_jscan s;
	int64_t seven = 0;
	int rc;

	gt_buf_printf(&b, "[%s, 7]", text);
	gt_jscan_init(&s, b.ptr, b.len);
	gt_jscan_enter_array(&s);
	gt_jscan_next_element(&s);
	rc = gt_jscan_int(&s, v);
	*next_ok = gt_jscan_next_element(&s) == 1 && gt_jscan_int(&s, &seven) == 0 && seven == 7 &&
		   !s.err;
	gt_buf_release(&b);
	return rc;
}

static int parse_fails_at(const char *json, const char *where)
{
	cJSON *v = NULL;
	int rc = gt_json_parse(&v, json, strlen(json), "in", 1);

	cJSON_Delete(v);
	return rc == GT_EINVALID && !v && strstr(gt_error_last(), where);
}

static int validate(const char *json)
{
	cJSON *b = NULL;
	int rc;

	if (gt_json_parse(&b, json, strlen(json), "bead", 1) < 0)
		return 99;
	rc = gt_bead_validate(b, NULL);
	cJSON_Delete(b);
	return rc;
}

#define BEAD(extra) "{\"id\":\"t-a1\",\"title\":\"x\",\"priority\":2" extra "}"

int main(void)
{
	int64_t v, ns;
	int next;
	cJSON *o;

	/* times: years 1..9999 exactly, and nothing else */
	ok(parses("1970-01-01T00:00:00Z", 0, 0), "the epoch");
	ok(parses("0001-01-01T00:00:00Z", -719162LL * 86400, 0), "year 1");
	ok(parses("9999-12-31T23:59:59Z", 2932896LL * 86400 + 86399, 0), "9999-12-31");
	ok(parses("9999-12-31T23:59:59.999999999Z", 2932896LL * 86400 + 86399, 999999999),
	   "9999-12-31 with nanoseconds");
	ok(parses("2262-04-11T23:47:16.854775808Z", 9223372036LL, 854775808),
	   "one ns past int64 nanoseconds");
	ok(parses("1969-12-31T23:59:59.25Z", -1, 250000000), "before the epoch: floor + fraction");
	ok(parses("9999-12-31T23:59:59-23:59", 2932896LL * 86400 + 86399 + 86340, 0),
	   "an offset past year 9999 in UTC");
	ok(parses("2024-02-29", 19782LL * 86400, 0), "a leap day");
	ok(refused("2023-02-29T00:00:00Z"), "no 29 February in 2023");
	ok(refused("2023-04-31T00:00:00Z"), "no 31 April");
	ok(refused("1900-02-29T00:00:00Z"), "1900 was not a leap year");
	ok(refused("10000-01-01T00:00:00Z") && refused("+9999-01-01T00:00:00Z"),
	   "five-digit and signed years");
	ok(refused("2026-01-01T24:00:00Z") && refused("2026-13-01"), "hour 24, month 13");

	ok(gt_time_parse("9999-12-31T23:59:59Z", &ns) == 0 && ns == INT64_MAX,
	   "nanoseconds clamp at the top");
	ok(gt_time_parse("0001-01-01T00:00:00Z", &ns) == 0 && ns == INT64_MIN,
	   "nanoseconds clamp at the bottom");
	ok(gt_time_parse("2262-04-11T23:47:16.854775807Z", &ns) == 0 && ns == INT64_MAX - 0,
	   "the last nanosecond int64 holds (as the clamp)");
	ok(gt_time_parse("2262-04-11T23:47:15Z", &ns) == 0 && ns == 9223372035000000000LL,
	   "a second before the end is exact");

	ok(gt_time_cmp("9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z") > 0, "9999 after 2262");
	ok(gt_time_cmp("2262-04-12T00:00:00Z", "2262-04-11T23:59:59Z") > 0,
	   "both past the ns range, still ordered");
	ok(gt_time_cmp("0001-01-01T00:00:00Z", "1677-01-01T00:00:00Z") < 0, "year 1 before 1677");
	ok(gt_time_cmp("9999-12-31T23:59:59.000000001Z", "9999-12-31T23:59:59Z") > 0,
	   "one nanosecond apart in 9999");
	ok(gt_time_cmp("9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z") == 0,
	   "equal instants, different text");
	ok(gt_time_cmp("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z") == 0,
	   "offsets compare as instants");

	is_str(whole("9999-12-31T23:59:59.7Z"), "9999-12-31T23:59:59Z", "9999 to whole seconds");
	is_str(whole("0001-01-01T00:00:00Z"), "0001-01-01T00:00:00Z", "year 1 round-trips");
	is_str(whole("1969-12-31T23:59:59.5Z"), "1969-12-31T23:59:59Z", "rounded down before 1970");
	is_str(whole("2500-06-15T12:00:00+02:00"), "2500-06-15T10:00:00Z", "2500 in UTC");

	/* the pull scanner: no overflow, no wrong value */
	ok(scan_int("42", &v, &next) == 0 && v == 42 && next, "a plain integer");
	ok(scan_int("9223372036854775807", &v, &next) == 0 && v == INT64_MAX && next, "INT64_MAX");
	ok(scan_int("-9223372036854775808", &v, &next) == 0 && v == INT64_MIN && next, "INT64_MIN");
	ok(scan_int("9223372036854775808", &v, &next) < 0 && next, "one past INT64_MAX: refused");
	ok(scan_int("99999999999999999999999999999999999999", &v, &next) < 0 && next,
	   "38 digits: refused");
	ok(scan_int("1e20", &v, &next) < 0 && next, "1e20: refused (was read as 1)");
	ok(scan_int("1e99999", &v, &next) < 0 && next, "a huge exponent: refused");
	ok(scan_int("-1e99999", &v, &next) < 0 && next, "a huge negative exponent: refused");
	ok(scan_int("1e-99999", &v, &next) < 0 && next, "a tiny fraction: refused");
	ok(scan_int("2.5", &v, &next) < 0 && next, "a fraction: refused");
	ok(scan_int("3.0", &v, &next) == 0 && v == 3 && next, "3.0 is whole");
	ok(scan_int("4E2", &v, &next) == 0 && v == 400 && next, "4E2 is 400");
	ok(scan_int("\"2\"", &v, &next) < 0 && next, "a string is skipped");

	/* the strict parser: numbers beyond a double cannot be written back */
	ok(parse_fails_at("{\"a\":1e999}", "line 1, column 6: number out of range"),
	   "1e999 refused, with its column");
	ok(parse_fails_at("{\"s\":\"1e999\",\n\"n\":[1,-1e400]}", "line 2, column 8"),
	   "the number, not a string that looks like one");
	ok(gt_json_parse(&o, "[1e308,-1e308,1e-400]", 21, "in", 1) == 0, "doubles in range parse");
	cJSON_Delete(o);

	/* integers out of cJSON numbers: never cast what does not fit */
	o = cJSON_Parse("{\"big\":1e20,\"neg\":-1e20,\"max\":9007199254740992,\"frac\":2.7}");
	ok(gt_json_int(o, "big", &v) == GT_EINVALID && gt_json_int(o, "neg", &v) == GT_EINVALID,
	   "gt_json_int: 1e20 is out of range");
	ok(gt_json_int(o, "max", &v) == 0 && v == 9007199254740992LL, "2^53 fits");
	ok(gt_json_int(o, "frac", &v) == 0 && v == 2, "a fraction is dropped, as before");
	ok(gt_json_int(o, "none", &v) == GT_ENOTFOUND, "absent");
	ok(gt_json_to_int(cJSON_GetObjectItem(o, "frac"), &v) == GT_EINVALID &&
		   gt_json_to_int(cJSON_GetObjectItem(o, "big"), &v) == GT_EINVALID &&
		   gt_json_to_int(cJSON_GetObjectItem(o, "max"), &v) == 0,
	   "gt_json_to_int: whole numbers in range only");
	cJSON_Delete(o);

	/* bead validation */
	ok(validate(BEAD("")) == 0, "a plain bead");
	ok(validate("{\"id\":\"t-a1\",\"title\":\"x\",\"priority\":1e20}") == GT_EINVALID &&
		   strstr(gt_error_last(), "out of range"),
	   "priority 1e20: out of range");
	ok(validate(BEAD(",\"estimated_minutes\":-1e19")) == GT_EINVALID,
	   "an integer field below int64");
	ok(validate(BEAD(",\"estimated_minutes\":9.5")) == GT_EINVALID, "a fraction");
	ok(validate(BEAD(",\"defer_until\":\"9999-12-31T23:59:59Z\"")) == 0, "defer_until 9999");
	ok(validate(BEAD(",\"defer_until\":\"2023-02-30\"")) == GT_EINVALID, "30 February");
	ok(validate(BEAD(",\"dependencies\":[{\"issue_id\":\"t-a1\",\"depends_on_id\":"
			 "\"../../etc/passwd\",\"type\":\"blocks\"}]")) == GT_EINVALID &&
		   strstr(gt_error_last(), "../../etc/passwd"),
	   "a dependency on ../../etc/passwd");
	ok(validate(BEAD(",\"dependencies\":[{\"issue_id\":\"../x\",\"depends_on_id\":"
			 "\"t-b2\",\"type\":\"blocks\"}]")) == GT_EINVALID,
	   "a dependency from ../x");
	ok(validate(BEAD(",\"dependencies\":[{\"issue_id\":\"t-a1\",\"depends_on_id\":"
			 "\"t-a1.1\",\"type\":\"parent-child\"}]")) == 0,
	   "a child id as a target");
	ok(validate(BEAD(",\"dependencies\":[{\"issue_id\":\"t-a1\",\"depends_on_id\":"
			 "\"t-a1\",\"type\":\"blocks\"}]")) == 0,
	   "a self-dependency is kept (Beads data has them)");
	ok(validate(BEAD(",\"dependencies\":[{\"issue_id\":\"t-a1\",\"depends_on_id\":"
			 "\"external:bd:cap-1\",\"type\":\"tracks\"}]")) == 0,
	   "an external target");
	ok(gt_dep_target_check("external:x") < 0 && gt_dep_target_check("external::y") < 0 &&
		   gt_dep_target_check("external:x:") < 0 &&
		   gt_dep_target_check("external:x:a\nb") < 0,
	   "malformed external targets");
	ok(gt_dep_target_check("/etc/passwd") < 0 && gt_dep_target_check("a/../b") < 0 &&
		   gt_dep_target_check("") < 0,
	   "paths are not ids");

	return tap_done();
}
