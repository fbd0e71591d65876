/*
 * dot.c - DOT quoting and running Graphviz (dot.h).
 */
#include "base/dot.h"

#include <string.h>

#include "base/error.h"
#include "base/proc.h"
#include "base/banned.h"

/* The length of the UTF-8 sequence at s (1..4), or 0 when it is not one
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned long cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

void gt_dot_quote(struct gt_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	gt_buf_addch(out, '"');
	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '"' || *p == '\\') {
			gt_buf_addch(out, '\\');
			gt_buf_addch(out, *p);
		} else if (*p == '\n') {
			gt_buf_adds(out, "\\n");
		} else if (*p < 0x20 || *p == 0x7f) {
			/* dropped: tabs, carriage returns, escapes */
		} else if (!n) {
			gt_buf_addch(out, '?');
			n = 1;
		} else {
			gt_buf_add(out, p, n);
			p += n;
			continue;
		}
		p++;
	}
	gt_buf_addch(out, '"');
}

int gt_dot_render(struct gt_buf *out, const struct gt_buf *dot, const char *format)
{
	struct gt_buf arg = GT_BUF_INIT, err = GT_BUF_INIT;
	struct gt_proc_opts o = { 0 };
	const char *argv[3];
	int rc, st = 0;

	gt_buf_printf(&arg, "-T%s", format);
	argv[0] = "dot";
	argv[1] = arg.ptr;
	argv[2] = NULL;
	gt_buf_reset(out);
	o.in = dot;
	o.out = out;
	o.err = &err;
	rc = gt_run(argv, &o, &st);
	if (rc < 0 && st == 127) {
		rc = gt_error_set(GT_EFAIL, "cannot run 'dot': Graphviz is not installed");
		gt_error_hint("install the Debian package graphviz (apt-get install graphviz)");
	} else if (rc < 0) {
		const char *line = gt_proc_telling_line(&err);

		rc = gt_error_set(GT_EFAIL, "dot %s failed%s%s", arg.ptr, *line ? ": " : "", line);
	}
	gt_buf_release(&arg);
	gt_buf_release(&err);
	return rc;
}
