/*
 * t-dot.c - DOT quoting (base/dot.h) for titles from strangers, and
 * gt_run() feeding a child's stdin (how dot gets its graph): more than a
 * pipe holds both ways, and a child that never reads it.
 */
#include "gt.h"
#include "tap.h"

static const char *quote(const char *s)
{
	static struct gt_buf b;

	gt_buf_reset(&b);
	gt_dot_quote(&b, s);
	return b.ptr;
}

int main(void)
{
	struct gt_buf in = GT_BUF_INIT, out = GT_BUF_INIT;
	struct gt_proc_opts o = { 0 };
	const char *cat[] = { "cat", NULL }, *no_read[] = { "true", NULL };
	int st = -1;

	is_str(quote("plain"), "\"plain\"", "plain text");
	is_str(quote(NULL), "\"\"", "NULL is empty");
	is_str(quote("a \"b\" c"), "\"a \\\"b\\\" c\"", "quotes escaped");
	is_str(quote("back\\slash\\"), "\"back\\\\slash\\\\\"", "backslashes, a last one too");
	is_str(quote("\\N \\G \\l"), "\"\\\\N \\\\G \\\\l\"", "no Graphviz escape fires");
	is_str(quote("two\nlines"), "\"two\\nlines\"", "line break as \\n");
	is_str(quote("tab\there\r\x1b[31m"), "\"tabhere[31m\"", "control characters dropped");
	is_str(quote("<script>&"), "\"<script>&\"", "markup is Graphviz's to escape");
	is_str(quote("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x9b"),
	       "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\x9b\"", "UTF-8 kept");
	is_str(quote("bad\xff\xc3"), "\"bad??\"", "bytes that are not UTF-8 become ?");
	is_str(quote("\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80"), "\"?? ??? ????\"",
	       "overlong, surrogate, past U+10FFFF: ?");

	/* 1 MB through cat: it writes while we still write */
	for (int i = 0; i < 1 << 20; i++)
		gt_buf_addch(&in, 'a' + i % 26);
	o.in = &in;
	o.out = &out;
	ok(gt_run(cat, &o, &st) == 0 && st == 0, "cat ran");
	ok(out.len == in.len && !memcmp(out.ptr, in.ptr, in.len), "all of stdin came back");
	/* a child that ends without reading: EPIPE here, not SIGPIPE */
	gt_buf_reset(&out);
	ok(gt_run(no_read, &o, &st) == 0 && st == 0, "a child that never reads");
	gt_buf_release(&in);
	gt_buf_release(&out);
	return tap_done();
}
