/*
 * t-ansi.c - terminal text as styled runs, stripped and as HTML
 * (base/ansi.h): escaping, the SGR attributes and colours, other sequences
 * dropped, spans always closed; and the cockpit's layout (flow/top.h):
 * widths, cuts, the convoy bar, empty sections.
 */
#include "gt.h"
#include "base/ansi.h"
#include "flow/top.h"
#include "tap.h"

/* The runs of s as "[fg,bg,bru]text" pieces, one string, the colours
 * folded onto the basic eight as gt-top shows them. */
static const char *runs(const char *s)
{
	static struct gt_buf b;
	struct gt_ansi_style st = GT_ANSI_STYLE_INIT;
	const char *text;
	size_t len;

	gt_buf_reset(&b);
	while (gt_ansi_next(&s, &st, &text, &len)) {
		gt_buf_printf(&b, "[%d,%d,%c%c%c]", gt_ansi_basic(st.fg), gt_ansi_basic(st.bg),
			      st.bold ? 'b' : '-', st.reverse ? 'r' : '-',
			      st.underline ? 'u' : '-');
		gt_buf_add(&b, text, len);
	}
	return gt_buf_cstr(&b);
}

static const char *strip(const char *s)
{
	static struct gt_buf b;

	gt_buf_reset(&b);
	gt_ansi_strip(&b, s);
	return gt_buf_cstr(&b);
}

static const char *html(const char *s)
{
	static struct gt_buf b;

	gt_buf_reset(&b);
	gt_ansi_html(&b, s);
	return b.ptr ? b.ptr : "";
}

static const char *line_of(const struct gt_top_frame *f, enum gt_top_kind kind, int index)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->lines[i].kind == kind && f->lines[i].index == index)
			return f->lines[i].text;
	return NULL;
}

int main(void)
{
	struct gt_top_frame f = { 0 };
	cJSON *m;
	const char *l;
	int wide = 1;

	is_str(runs("plain"), "[-1,-1,---]plain", "plain text is one run");
	is_str(runs("\033[31mred\033[0m off"), "[1,-1,---]red[-1,-1,---] off", "SGR 31, reset");
	is_str(runs("\033[1;4;7;42mx\033[22;24;27;49my"), "[-1,2,bru]x[-1,-1,---]y",
	       "attributes on and off, background");
	is_str(runs("\033[91ma\033[38;5;196mb\033[38;5;21mc\033[38;2;250;250;250md"),
	       "[1,-1,---]a[1,-1,---]b[4,-1,---]c[7,-1,---]d",
	       "bright, 256 and 24-bit colours fold onto the basic eight");
	is_str(runs("\033[32mg\033[mh"), "[2,-1,---]g[-1,-1,---]h", "ESC[m resets");
	is_str(runs("a\nb"), "[-1,-1,---]a[-1,-1,---]\n[-1,-1,---]b", "a newline is a run");
	is_str(strip("\033]0;title\007a\tb\033[2J\033(Bc\rd\033[?25le"), "a bcde",
	       "OSC, CSI, charset and control characters dropped; a tab is a space");
	is_str(strip("cut\033["), "cut", "an escape cut short at the end");
	is_str(strip("\033[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23;24;"
		     "25;26;27;28;29;30;31;32;33;34;35;36mlong"),
	       "long", "too many parameters");

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
	{
		struct gt_ansi_style st = GT_ANSI_STYLE_INIT;
		const char *s = "\033[91;48;5;200mx\ty", *text;
		size_t len;

		ok(gt_ansi_next(&s, &st, &text, &len) && len == 1 && *text == 'x' && st.fg == 9 &&
			   st.bg == 200,
		   "a run keeps the colours as they were given");
		ok(gt_ansi_next(&s, &st, &text, &len) && len == 1 && *text == '\t',
		   "a tab is a run of its own");
		ok(gt_ansi_basic(-1) == -1 && gt_ansi_basic(9) == 1 &&
			   gt_ansi_basic(GT_ANSI_RGB) == 0,
		   "folding onto the basic eight");
	}

	ok(gt_top_columns("h\xc3\xa9llo") == 5, "columns count code points");
	ok(gt_top_fit("h\xc3\xa9llo", 2) == 3, "a cut never splits a character");
	ok(gt_top_fit("abc", 10) == 3, "a short string fits whole");

	m = cJSON_Parse(
		"{\"town\":\"acme\",\"deacon\":{\"running\":true,\"pid\":42},"
		"\"estop\":{\"rigs\":{\"app\":{\"reason\":\"bad\\u0007deploy\"}},\"parked\":[]},"
		"\"rigs\":[{\"name\":\"app\",\"agents\":2,\"working\":1}],"
		"\"agents\":[{\"address\":\"app/crew/ann\",\"state\":\"idle\","
		"\"session_running\":true,\"restarts\":0},"
		"{\"address\":\"app/polecats/jade\",\"state\":\"working\",\"hook\":\"ap-x1\","
		"\"step\":\"test\",\"session_running\":false,\"restarts\":2,"
		"\"last_command\":\"gt-done\"}],"
		"\"convoys\":[{\"id\":\"hq-cv-1\",\"title\":\"Launch\",\"done\":1,\"total\":4}],"
		"\"merge_queue\":[],\"escalations\":[],\"feed\":[]}");
	gt_top_layout(&f, m, 120);
	is_str(f.lines[0].text, "town acme  deacon running (pid 42)  E-STOP", "title");
	is_str(line_of(&f, GT_TOP_ALERT, -1), "E-STOP in force for rig app: bad deploy",
	       "an e-stop, control characters as spaces");
	l = line_of(&f, GT_TOP_AGENT, 1);
	ok(l && !strncmp(l, "  app/polecats/jade  working  ap-x1  test  stopped  -", 52),
	   "an agent's row: [%s]", l ? l : "");
	ok(l && strstr(l, "  2         gt-done"), "restarts and last command");
	l = line_of(&f, GT_TOP_CONVOY, 0);
	is_str(l, "  hq-cv-1  [#####---------------] 1/4  Launch", "a convoy with its bar");
	for (size_t i = 0; i < f.n; i++)
		if (f.lines[i].kind == GT_TOP_CONVOY)
			ok(f.lines[i].bar == 12 && f.lines[i].fill == 5, "the bar's place");
	ok(line_of(&f, GT_TOP_NONE, -1) != NULL, "an empty section says (none)");
	gt_top_layout(&f, m, 30);
	for (size_t i = 0; i < f.n; i++)
		wide &= gt_top_columns(f.lines[i].text) <= 30;
	ok(wide, "30 columns: no line wider");
	is_str(line_of(&f, GT_TOP_CONVOY, 0), "  hq-cv-1  [##--------] 1/4  L",
	       "a narrow screen: a shorter bar, the title cut");
	gt_top_layout(&f, m, 20);
	for (size_t i = 0; i < f.n; i++)
		if (f.lines[i].kind == GT_TOP_CONVOY)
			ok(!strcmp(f.lines[i].text, "  hq-cv-1  [##------") &&
				   f.lines[i].bar == 12 && f.lines[i].fill == 2,
			   "the bar cut by the edge: [%s]", f.lines[i].text);
	gt_top_layout(&f, NULL, 5);
	ok(f.n > 0, "no model at all still lays out");
	gt_top_frame_release(&f);
	cJSON_Delete(m);
	return tap_done();
}
