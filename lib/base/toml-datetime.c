/*
 * toml-datetime.c - TOML's dates and times: scanning the four kinds
 * (offset date-time, local date-time, local date, local time) with their
 * ranges checked, and writing them back as RFC 3339 text.
 *
 * Kept apart from toml.c because it is self-contained and fiddly: every
 * field has a fixed width, and a date may or may not be followed by a time
 * depending on the character after it.
 */
#include "base/toml.h"

#include <stdio.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/banned.h"

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s[at..]; -1 when they are not all there */
static int fixed(const char *s, size_t len, size_t at, int n)
{
	int v = 0;

	if (at + (size_t)n > len)
		return -1;
	for (int k = 0; k < n; k++) {
		if (!is_digit(s[at + k]))
			return -1;
		v = v * 10 + (s[at + k] - '0');
	}
	return v;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int bad(size_t *used, size_t at, const char **why, const char *reason)
{
	*used = at;
	*why = reason;
	return GT_EINVALID;
}

/* HH:MM:SS[.frac] at s[at..]; sets *end past it */
static int scan_time(struct gt_toml_datetime *dt, const char *s, size_t len, size_t at, size_t *end,
		     const char **why)
{
	size_t i;

	dt->hour = fixed(s, len, at, 2);
	if (dt->hour < 0 || at + 2 >= len || s[at + 2] != ':')
		return bad(end, at, why, "invalid time (expected HH:MM:SS)");
	dt->minute = fixed(s, len, at + 3, 2);
	if (dt->minute < 0)
		return bad(end, at + 3, why, "invalid time (expected HH:MM:SS)");
	if (at + 5 >= len || s[at + 5] != ':')
		return bad(end, at + 5, why, "seconds are required in a time");
	dt->second = fixed(s, len, at + 6, 2);
	if (dt->second < 0)
		return bad(end, at + 6, why, "invalid time (expected HH:MM:SS)");
	if (dt->hour > 23)
		return bad(end, at, why, "hour out of range");
	if (dt->minute > 59)
		return bad(end, at + 3, why, "minute out of range");
	if (dt->second > 60) /* 60: a leap second, as RFC 3339 allows */
		return bad(end, at + 6, why, "second out of range");
	i = at + 8;
	dt->nanosecond = 0;
	dt->frac_digits = 0;
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || !is_digit(s[i]))
			return bad(end, i, why, "expected digits after '.'");
		/* digits beyond nanoseconds are dropped */
		for (; i < len && is_digit(s[i]); i++) {
			if (dt->frac_digits < 9) {
				dt->nanosecond = dt->nanosecond * 10 + (s[i] - '0');
				dt->frac_digits++;
			}
		}
		for (int k = dt->frac_digits; k < 9; k++)
			dt->nanosecond *= 10;
	}
	*end = i;
	return 0;
}

int gt_toml_scan_datetime(struct gt_toml_datetime *dt, enum gt_toml_type *type, const char *s,
			  size_t len, size_t *used, const char **why)
{
	size_t i;
	int rc, h, m;

	*dt = (struct gt_toml_datetime){ 0 };
	if (len >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':') {
		rc = scan_time(dt, s, len, 0, used, why);
		*type = GT_TOML_TIME_LOCAL;
		return rc;
	}
	dt->year = fixed(s, len, 0, 4);
	if (dt->year < 0 || len < 5 || s[4] != '-')
		return bad(used, 0, why, "invalid date (expected YYYY-MM-DD)");
	dt->month = fixed(s, len, 5, 2);
	if (dt->month < 0 || len < 8 || s[7] != '-')
		return bad(used, 5, why, "invalid date (expected YYYY-MM-DD)");
	dt->day = fixed(s, len, 8, 2);
	if (dt->day < 0)
		return bad(used, 8, why, "invalid date (expected YYYY-MM-DD)");
	if (dt->month < 1 || dt->month > 12)
		return bad(used, 5, why, "month out of range");
	if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
		return bad(used, 8, why, "day out of range");
	*type = GT_TOML_DATE_LOCAL;
	*used = 10;
	/* a space separates a time only when a time follows it */
	if (len > 10 && (s[10] == 'T' || s[10] == 't')) {
		if (len == 11 || !is_digit(s[11]))
			return bad(used, 11, why, "expected a time after 'T'");
	} else if (!(len > 13 && s[10] == ' ' && is_digit(s[11]) && is_digit(s[12]) &&
		     s[13] == ':')) {
		return 0;
	}
	rc = scan_time(dt, s, len, 11, &i, why);
	if (rc < 0) {
		*used = i;
		return rc;
	}
	*type = GT_TOML_DATETIME_LOCAL;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		*type = GT_TOML_DATETIME;
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		h = fixed(s, len, i + 1, 2);
		m = i + 3 < len && s[i + 3] == ':' ? fixed(s, len, i + 4, 2) : -1;
		if (h < 0 || m < 0)
			return bad(used, i, why, "invalid time offset (expected +HH:MM)");
		if (h > 23)
			return bad(used, i + 1, why, "time offset hour out of range");
		if (m > 59)
			return bad(used, i + 4, why, "time offset minute out of range");
		dt->offset_minutes = (s[i] == '-' ? -1 : 1) * (h * 60 + m);
		*type = GT_TOML_DATETIME;
		i += 6;
	}
	*used = i;
	return 0;
}

static void add_time(struct gt_buf *out, const struct gt_toml_datetime *dt)
{
	gt_buf_printf(out, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
	if (dt->frac_digits > 0 && dt->frac_digits <= 9) {
		long frac = dt->nanosecond;

		for (int k = dt->frac_digits; k < 9; k++)
			frac /= 10;
		gt_buf_printf(out, ".%0*ld", dt->frac_digits, frac);
	}
}

void gt_toml_datetime_format(struct gt_buf *out, const struct gt_toml *v)
{
	const struct gt_toml_datetime *dt = &v->dt;
	int off = dt->offset_minutes;

	switch (v->type) {
	case GT_TOML_DATE_LOCAL:
		gt_buf_printf(out, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
		break;
	case GT_TOML_TIME_LOCAL: add_time(out, dt); break;
	case GT_TOML_DATETIME_LOCAL:
	case GT_TOML_DATETIME:
		gt_buf_printf(out, "%04d-%02d-%02dT", dt->year, dt->month, dt->day);
		add_time(out, dt);
		if (v->type == GT_TOML_DATETIME_LOCAL)
			break;
		if (!off)
			gt_buf_addch(out, 'Z');
		else
			gt_buf_printf(out, "%c%02d:%02d", off < 0 ? '-' : '+',
				      (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
		break;
	default: break;
	}
}
