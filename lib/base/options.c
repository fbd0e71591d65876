/*
 * options.c - table-driven option parsing.
 */
#include "base/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/banned.h"

void gt_strlist_push(struct gt_strlist *l, const char *s)
{
	GT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = s;
}

void gt_strlist_release(struct gt_strlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

void gt_strlist_push_dup(struct gt_strlist *l, const char *s)
{
	gt_strlist_push(l, s ? gt_strdup(s) : NULL);
}

void gt_strlist_release_owned(struct gt_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i]);
	gt_strlist_release(l);
}

void gt_strlist_release_wiped(struct gt_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i])
			memset((char *)l->v[i], 0, strlen(l->v[i]));
	gt_strlist_release_owned(l);
}

int gt_strlist_has(const struct gt_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

int gt_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return GT_EINVALID;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return GT_EINVALID;
	*out = v;
	return 0;
}

static int takes_arg(const struct gt_option *o)
{
	return o->type == GT_OPT_TYPE_STRING || o->type == GT_OPT_TYPE_INT ||
	       o->type == GT_OPT_TYPE_LIST;
}

static int apply(const struct gt_option *o, const char *arg, int negated, const char *shown)
{
	long v;

	switch (o->type) {
	case GT_OPT_TYPE_FLAG: *(int *)o->value = !negated; return 0;
	case GT_OPT_TYPE_STRING: *(const char **)o->value = arg; return 0;
	case GT_OPT_TYPE_INT:
		if (gt_parse_long(arg, -2147483647L, 2147483647L, &v) < 0)
			return gt_error_set(GT_EUSAGE, "option '%s' expects a number, not '%s'",
					    shown, arg);
		*(long *)o->value = v;
		return 0;
	case GT_OPT_TYPE_LIST: gt_strlist_push(o->value, arg); return 0;
	default: return gt_error_set(GT_EUSAGE, "option '%s' is not usable", shown);
	}
}

static const struct gt_option *find_long(const struct gt_option *opts, const char *name, size_t len,
					 int *negated)
{
	const struct gt_option *o;

	*negated = 0;
	for (o = opts; o->type != GT_OPT_TYPE_END; o++)
		if (o->long_name && strlen(o->long_name) == len &&
		    !strncmp(o->long_name, name, len))
			return o;
	if (len > 3 && !strncmp(name, "no-", 3)) {
		for (o = opts; o->type != GT_OPT_TYPE_END; o++)
			if (o->type == GT_OPT_TYPE_FLAG && o->long_name &&
			    strlen(o->long_name) == len - 3 &&
			    !strncmp(o->long_name, name + 3, len - 3)) {
				*negated = 1;
				return o;
			}
	}
	return NULL;
}

static const struct gt_option *find_short(const struct gt_option *opts, int c)
{
	for (const struct gt_option *o = opts; o->type != GT_OPT_TYPE_END; o++)
		if (o->short_name == c && o->type != GT_OPT_TYPE_GROUP)
			return o;
	return NULL;
}

static int parse_long_opt(int argc, char **argv, int *i, const struct gt_option *opts, int *special)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct gt_option *o;
	int negated;

	if (len == 4 && !strncmp(name, "help", 4)) {
		*special = 'h';
		return 0;
	}
	/* a command's own --summary (gt-mol-squash) wins over gt help's */
	if (len == 7 && !strncmp(name, "summary", 7) && !find_long(opts, name, len, &negated)) {
		*special = 's';
		return 0;
	}
	if (len == 7 && !strncmp(name, "version", 7)) {
		*special = 'v';
		return 0;
	}
	if (len == 17 && !strncmp(name, "completion-helper", 17)) {
		*special = 'c';
		return 0;
	}
	o = find_long(opts, name, len, &negated);
	if (!o)
		return gt_error_set(GT_EUSAGE, "unknown option '--%.*s'", (int)len, name);
	if (!takes_arg(o)) {
		if (eq)
			return gt_error_set(GT_EUSAGE, "option '--%s' takes no value",
					    o->long_name);
		return apply(o, NULL, negated, argv[*i]);
	}
	if (eq)
		return apply(o, eq + 1, 0, o->long_name);
	if (*i + 1 >= argc)
		return gt_error_set(GT_EUSAGE, "option '--%s' requires a value", o->long_name);
	(*i)++;
	return apply(o, argv[*i], 0, o->long_name);
}

static int parse_short_opts(int argc, char **argv, int *i, const struct gt_option *opts,
			    int *special)
{
	const char *p = argv[*i] + 1;

	for (; *p; p++) {
		const struct gt_option *o;
		char shown[3] = { '-', *p, '\0' };

		if (*p == 'h') {
			*special = 'h';
			return 0;
		}
		o = find_short(opts, *p);
		if (!o)
			return gt_error_set(GT_EUSAGE, "unknown option '-%c'", *p);
		if (!takes_arg(o)) {
			apply(o, NULL, 0, shown);
			continue;
		}
		if (p[1])
			return apply(o, p + 1, 0, shown);
		if (*i + 1 >= argc)
			return gt_error_set(GT_EUSAGE, "option '-%c' requires a value", *p);
		(*i)++;
		return apply(o, argv[*i], 0, shown);
	}
	return 0;
}

int gt_options_parse(int argc, char **argv, const struct gt_option *opts, int *special)
{
	int nargs = 1, rc, only_args = 0;

	*special = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_args || a[0] != '-' || !a[1]) {
			argv[nargs++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (a[1] == '-')
			rc = parse_long_opt(argc, argv, &i, opts, special);
		else
			rc = parse_short_opts(argc, argv, &i, opts, special);
		if (rc < 0)
			return rc;
		if (*special)
			return 0;
	}
	argv[nargs] = NULL;
	return nargs - 1;
}

static void usage_row(struct gt_buf *out, const struct gt_option *o)
{
	size_t start = out->len, w;

	gt_buf_adds(out, "    ");
	if (o->short_name)
		gt_buf_printf(out, "-%c%s", o->short_name, o->long_name ? ", " : "");
	if (o->long_name)
		gt_buf_printf(out, "--%s", o->long_name);
	if (takes_arg(o))
		gt_buf_printf(out, " %s", o->argh ? o->argh : "VALUE");
	w = out->len - start;
	if (w < 30)
		gt_buf_printf(out, "%*s", (int)(30 - w), "");
	else
		gt_buf_printf(out, "\n%30s", "");
	gt_buf_printf(out, "%s\n", o->help ? o->help : "");
}

void gt_options_usage(struct gt_buf *out, const char *const *usage, const struct gt_option *opts)
{
	static const struct gt_option help = GT_OPT_FLAG('h', "help", NULL, "show this help");

	for (int i = 0; usage[i]; i++)
		gt_buf_printf(out, "%s %s\n", i ? "   or:" : "usage:", usage[i]);
	gt_buf_addch(out, '\n');
	for (const struct gt_option *o = opts; o->type != GT_OPT_TYPE_END; o++) {
		if (o->hidden)
			continue;
		if (o->type == GT_OPT_TYPE_GROUP)
			gt_buf_printf(out, "\n%s\n", o->help);
		else
			usage_row(out, o);
	}
	usage_row(out, &help);
}

void gt_options_completion(struct gt_buf *out, const struct gt_option *opts)
{
	for (const struct gt_option *o = opts; o->type != GT_OPT_TYPE_END; o++) {
		if (o->type == GT_OPT_TYPE_GROUP)
			continue;
		char sh[3] = { o->short_name ? '-' : 0, (char)o->short_name, 0 };

		gt_buf_printf(out, "%s%s\t%s\t%s\t%s\n", o->long_name ? "--" : "",
			      o->long_name ? o->long_name : "", sh,
			      takes_arg(o) ? (o->argh ? o->argh : "VALUE") : "",
			      o->help ? o->help : "");
	}
	gt_buf_adds(out, "--help\t-h\t\tshow this help\n");
}

int gt_duration_parse(int64_t *ms, const char *s, const char *what)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "", 1000 },   { "ms", 1 },	{ "s", 1000 },
		      { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
	char *end;
	long long n;

	errno = 0;
	n = s && *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : -1;
	if (n >= 0 && !errno && n < INT64_MAX / 86400000)
		for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
			if (!strcmp(end, units[i].unit)) {
				*ms = n * units[i].ms;
				return 0;
			}
	return gt_error_set(GT_EINVALID, "%s: '%s' is not a duration (N, Nms, Ns, Nm, Nh, Nd)",
			    what, s ? s : "");
}

int gt_env_off(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "0");
}
