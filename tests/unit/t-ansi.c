/*
 * t-ansi.c - terminal escapes to HTML (base/ansi.h): escaping, the SGR
 * attributes and colours, other sequences dropped, spans always closed.
 */
#include <string.h>

#include "base/ansi.h"
#include "tap.h"

static const char *html(const char *s)
{
	static struct gt_buf b;

	gt_buf_reset(&b);
	gt_ansi_html(&b, s, strlen(s));
	return b.ptr ? b.ptr : "";
}

int main(void)
{
	is_str(html("plain text\n"), "plain text\n", "plain text passes");
	is_str(html("<script>alert('x')&\"</script>"),
	       "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;", "HTML is escaped");
	is_str(html("\033[31mred\033[0m ok"), "<span class=\"a f1\">red</span> ok", "red, reset");
	is_str(html("\033[1;32mbold green"), "<span class=\"a a-b f2\">bold green</span>",
	       "an open span is closed at the end");
	is_str(html("\033[91;44mx\033[39my\033[m"),
	       "<span class=\"a f9 g4\">x</span>"
	       "<span class=\"a g4\">y</span>",
	       "bright colours, default foreground");
	is_str(html("\033[38;5;196mx"), "<span class=\"a\" style=\"color:#ff0000;\">x</span>",
	       "256 colours");
	is_str(html("\033[48;2;1;2;3mx"),
	       "<span class=\"a\" style=\"background:#010203;\">x</span>", "true colour");
	is_str(html("\033[38;5;3mx"), "<span class=\"a f3\">x</span>",
	       "256-colour palette entries are classes");
	is_str(html("a\033[2J\033[H\033[?25lb\033]0;title\007c\033]2;t\033\\d"), "abcd",
	       "cursor moves, modes and titles dropped");
	is_str(html("a\rb\bc\001\tz"), "abc\tz", "control characters dropped");
	is_str(html("\033[1m\033[22m\033[4mu\033[24m."), "<span class=\"a a-u\">u</span>.",
	       "attributes switched off");
	is_str(html("\033[31"), "", "a cut sequence is dropped");
	is_str(html("\033[38;5;999;1mx"), "<span class=\"a a-b\">x</span>", "bad colour ignored");
	is_str(html("caf\xc3\xa9"), "caf\xc3\xa9", "UTF-8 passes");
	return tap_done();
}
