/*
 * gt-top - the town cockpit in a terminal: agents, convoys, the merge
 * queue, escalations, the e-stop and the feed, refreshed every interval
 * and whenever the ledger moves; keys to peek at an agent's pane, attach
 * to it, nudge it and acknowledge escalations.
 *
 * What it shows is lib/flow/top.h's layout of gt_town_status() and
 * gt_feed_read(): the records gt-status and gt-feed print.  This file only
 * draws (curses) and reads keys; --once prints one frame as plain text,
 * and a terminal curses cannot drive (TERM=dumb) gets a plain frame every
 * interval, as gt-status --watch does.
 */
#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "base/ansi.h"
#include "flow/top.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-top [--once] [--interval DURATION] [--feed N] [--nudge-mode MODE]",
	NULL,
};

static volatile sig_atomic_t stop;

/* how often the ledger tip is looked at, and keys are waited for */
#define TICK_MS	      250
#define NUDGE_WAIT_MS 5000

enum { FOCUS_AGENTS, FOCUS_ESCALATIONS };
/* colour pairs of the cockpit; the pane's colours are allocated after them */
enum { C_HEAD = 1, C_ALERT, C_GOOD, C_BAD, C_BAR, C_KEYS, C_PANE };

struct top {
	struct gt_ctx *ctx;
	struct gt_town *t;
	cJSON *model;
	struct gt_top_frame frame;
	long feed_n;
	int64_t interval, next;
	enum gt_nudge_mode mode;
	git_oid seen;
	int colour, focus, sel[2], scroll, follow, peek, help;
	char refreshed[16];
	char msg[512];
	int msg_bad;
	struct gt_buf pane;
	short pairs[9][9]; /* pane colours (fg+1, bg+1) to their pair */
	short next_pair;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(struct top *tp, int bad, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct top *tp, int bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tp->msg, sizeof(tp->msg), fmt, ap);
	va_end(ap);
	tp->msg_bad = bad;
}

static const cJSON *list(const struct top *tp, int focus)
{
	return cJSON_GetObjectItemCaseSensitive(tp->model,
						focus == FOCUS_AGENTS ? "agents" : "escalations");
}

/* The selected agent's address or escalation's id, or NULL. */
static const char *selected(const struct top *tp, int focus)
{
	const cJSON *it = cJSON_GetArrayItem(list(tp, focus), tp->sel[focus]);

	return gt_json_str(it, focus == FOCUS_AGENTS ? "address" : "id");
}

static int width(void)
{
	const char *c = getenv("COLUMNS");
	struct winsize ws;
	long n;

	if (c && gt_parse_long(c, 20, 10000, &n) == 0)
		return (int)n;
	if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 120;
}

/* Read the town again; on an error the last frame is kept. */
static int reload(struct top *tp, int cols)
{
	cJSON *m = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	tp->next = now_ms() + tp->interval;
	if ((rc = gt_top_read(&m, tp->ctx, tp->t, tp->feed_n)) < 0)
		return rc;
	cJSON_Delete(tp->model);
	tp->model = m;
	git_oid_cpy(&tp->seen, &tp->ctx->lg->tip);
	gmtime_r(&now, &tm);
	strftime(tp->refreshed, sizeof(tp->refreshed), "%H:%M:%SZ", &tm);
	for (int f = FOCUS_AGENTS; f <= FOCUS_ESCALATIONS; f++) {
		int n = cJSON_GetArraySize(list(tp, f));

		if (tp->sel[f] >= n)
			tp->sel[f] = n ? n - 1 : 0;
	}
	if (tp->focus == FOCUS_ESCALATIONS && !cJSON_GetArraySize(list(tp, FOCUS_ESCALATIONS)))
		tp->focus = FOCUS_AGENTS;
	gt_top_layout(&tp->frame, tp->model, cols);
	return 0;
}

/* Whether the ledger moved since the frame was read (one ref read). */
static int ledger_moved(struct top *tp)
{
	return gt_ledger_refresh(tp->ctx->lg) == 0 && git_oid_cmp(&tp->seen, &tp->ctx->lg->tip);
}

/* ---- plain text: --once, and terminals curses cannot drive ---- */

static void print_frame(const struct gt_top_frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		printf("%s\n", f->lines[i].text);
}

static int plain(struct top *tp, int once)
{
	int first = 1, rc;

	do {
		if (!first)
			gt_cli_nap((long)tp->interval, &stop);
		if (stop)
			break;
		if ((rc = reload(tp, width())) < 0)
			return rc;
		if (!first)
			printf("\n");
		print_frame(&tp->frame);
		fflush(stdout);
		first = 0;
	} while (!once && !stop);
	return 0;
}

/* ---- drawing ---- */

static attr_t pair(const struct top *tp, short p)
{
	return tp->colour ? COLOR_PAIR(p) : 0;
}

static attr_t line_attr(const struct top *tp, const struct gt_top_line *l)
{
	switch (l->kind) {
	case GT_TOP_TITLE: return A_BOLD;
	case GT_TOP_ALERT: return A_BOLD | pair(tp, C_ALERT);
	case GT_TOP_HEADING: return A_BOLD | pair(tp, C_HEAD);
	case GT_TOP_COLUMNS:
	case GT_TOP_NONE: return A_DIM;
	case GT_TOP_ESCALATION: {
		const char *sev = gt_json_str(
			cJSON_GetArrayItem(list(tp, FOCUS_ESCALATIONS), l->index), "severity");

		return sev && (!strcmp(sev, "critical") || !strcmp(sev, "high")) ? pair(tp, C_ALERT)
										 : 0;
	}
	case GT_TOP_AGENT: {
		const char *st =
			gt_json_str(cJSON_GetArrayItem(list(tp, FOCUS_AGENTS), l->index), "state");

		if (!st)
			return 0;
		if (!strcmp(st, "working"))
			return pair(tp, C_GOOD);
		if (!strcmp(st, "stuck") || !strcmp(st, "dead") || !strcmp(st, "stalled"))
			return pair(tp, C_BAD);
		return 0;
	}
	default: return 0;
	}
}

static int is_selected(const struct top *tp, const struct gt_top_line *l)
{
	return (tp->focus == FOCUS_AGENTS && l->kind == GT_TOP_AGENT &&
		l->index == tp->sel[FOCUS_AGENTS]) ||
	       (tp->focus == FOCUS_ESCALATIONS && l->kind == GT_TOP_ESCALATION &&
		l->index == tp->sel[FOCUS_ESCALATIONS]);
}

/* Add s (len bytes) at the cursor, no wider than the columns left on
 * the line. */
static void put(WINDOW *w, const char *s, size_t len)
{
	int x = getcurx(w), maxx = getmaxx(w);
	size_t n;

	if (x >= maxx)
		return;
	n = gt_top_fit(s, (size_t)(maxx - x));
	waddnstr(w, s, (int)(n < len ? n : len));
}

/* Scroll so that the selected row is on the screen (when the selection
 * moved), and never past the end. */
static void place(struct top *tp, int rows)
{
	int max = (int)tp->frame.n - rows;

	if (tp->follow) {
		for (size_t i = 0; i < tp->frame.n; i++) {
			if (!is_selected(tp, &tp->frame.lines[i]))
				continue;
			if ((int)i < tp->scroll)
				tp->scroll = (int)i;
			if ((int)i >= tp->scroll + rows)
				tp->scroll = (int)i - rows + 1;
		}
		tp->follow = 0;
	}
	if (tp->scroll > max)
		tp->scroll = max;
	if (tp->scroll < 0)
		tp->scroll = 0;
}

static void draw_body(struct top *tp, int rows)
{
	place(tp, rows);
	for (int y = 0; y < rows && tp->scroll + y < (int)tp->frame.n; y++) {
		const struct gt_top_line *l = &tp->frame.lines[tp->scroll + y];
		attr_t a = line_attr(tp, l);

		if (is_selected(tp, l))
			a = (a & ~A_COLOR) | A_REVERSE | A_BOLD;
		move(y, 0);
		attrset(a);
		put(stdscr, l->text, strlen(l->text));
		if (is_selected(tp, l))
			mvaddch(y, 0, '>');
		if (l->kind == GT_TOP_CONVOY && l->fill && tp->colour)
			mvchgat(y,
				(int)gt_top_columns(l->text) -
					(int)gt_top_columns(l->text + l->bar),
				(int)l->fill, A_BOLD, C_BAR, NULL);
		attrset(A_NORMAL);
	}
}

static void draw_status(struct top *tp)
{
	static const char keys[] = " j/k select  p peek  a attach  n nudge  e escalations  "
				   "A ack  r refresh  ? help  q quit";
	char line[160];

	move(LINES - 2, 0);
	clrtoeol();
	if (tp->msg[0]) {
		attrset(tp->msg_bad ? A_BOLD | pair(tp, C_ALERT) : A_BOLD);
		put(stdscr, tp->msg, strlen(tp->msg));
	} else {
		snprintf(line, sizeof(line), "refreshed %s, every %lld ms; %s", tp->refreshed,
			 (long long)tp->interval,
			 tp->focus == FOCUS_AGENTS ? "agents selected" : "escalations selected");
		attrset(A_DIM);
		put(stdscr, line, strlen(line));
	}
	attrset(A_REVERSE | pair(tp, C_KEYS));
	move(LINES - 1, 0);
	clrtoeol();
	put(stdscr, keys, sizeof(keys) - 1);
	for (int x = getcurx(stdscr); x < COLS - 1; x++)
		addch(' ');
	attrset(A_NORMAL);
}

/* A box over the body, titled; returns the window (the caller deletes it). */
static WINDOW *boxed(const char *title, int rows)
{
	int h = rows, w = COLS;
	WINDOW *win;

	if (h < 3 || w < 10)
		return NULL;
	if (!(win = newwin(h, w, 0, 0)))
		return NULL;
	werase(win);
	box(win, 0, 0);
	wmove(win, 0, 2);
	put(win, title, strlen(title));
	return win;
}

static short pane_pair(struct top *tp, int fg, int bg)
{
	short *p = &tp->pairs[fg + 1][bg + 1];

	if (!*p && tp->next_pair < COLOR_PAIRS &&
	    init_pair(tp->next_pair, (short)fg, (short)bg) == OK)
		*p = tp->next_pair++;
	return *p;
}

static attr_t style_attr(struct top *tp, const struct gt_ansi_style *st)
{
	attr_t a = 0;

	if (!tp->colour)
		return 0;
	if (st->bold)
		a |= A_BOLD;
	if (st->underline)
		a |= A_UNDERLINE;
	if (st->reverse)
		a |= A_REVERSE;
	if (st->fg >= 0 || st->bg >= 0)
		a |= COLOR_PAIR(pane_pair(tp, gt_ansi_basic(st->fg), gt_ansi_basic(st->bg)));
	return a;
}

static void draw_peek(struct top *tp, int rows)
{
	const char *who = selected(tp, FOCUS_AGENTS), *s;
	char title[200];
	WINDOW *win;
	struct gt_ansi_style st = GT_ANSI_STYLE_INIT;
	const char *text;
	size_t len, n;
	int y = 1;

	snprintf(title, sizeof(title), " %s (p or Esc closes) ", who ? who : "no agent");
	if (!(win = boxed(title, rows)))
		return;
	s = gt_buf_cstr(&tp->pane);
	/* the capture holds rows-2 lines: each starts on its own row */
	wmove(win, y, 1);
	while (gt_ansi_next(&s, &st, &text, &len)) {
		if (*text == '\n' && len == 1) {
			if (++y >= rows - 1)
				break;
			wmove(win, y, 1);
			continue;
		}
		if (getcurx(win) >= COLS - 1)
			continue; /* the right border */
		wattrset(win, style_attr(tp, &st));
		if (*text == '\t') /* curses would jump to a tab stop */
			text = " ";
		n = gt_top_fit(text, (size_t)(COLS - 1 - getcurx(win)));
		waddnstr(win, text, (int)(n < len ? n : len));
		wattrset(win, A_NORMAL);
	}
	wnoutrefresh(win);
	delwin(win);
}

static void capture(struct top *tp, int rows)
{
	const char *who = selected(tp, FOCUS_AGENTS);

	gt_buf_reset(&tp->pane);
	if (!who || gt_top_capture(&tp->pane, tp->t, who, rows - 2, tp->colour) < 0) {
		gt_buf_reset(&tp->pane);
		gt_buf_adds(&tp->pane, who ? gt_error_last() : "no agent selected");
	}
}

static void draw_help(int rows)
{
	static const char *const lines[] = {
		"j, k, arrows   select an agent (or an escalation)",
		"g, G           the first, the last",
		"PgUp, PgDn     scroll",
		"p, Enter       peek: the agent's pane (again: close)",
		"a              attach to the agent's session (detach: prefix, d)",
		"n              nudge the agent: type a line, Enter sends, Esc cancels",
		"e, Tab         move between agents and escalations",
		"A, Enter       acknowledge the selected escalation",
		"r, Ctrl-L      read the town again now",
		"q              quit",
	};
	WINDOW *win = boxed(" gt-top keys (any key closes) ", rows);
	int y = 1;

	if (!win)
		return;
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines) && y < rows - 1; i++, y++) {
		wmove(win, y, 2);
		put(win, lines[i], strlen(lines[i]));
	}
	wnoutrefresh(win);
	delwin(win);
}

static void draw(struct top *tp)
{
	int rows = LINES - 2;

	erase();
	if (LINES < 3 || COLS < 20) {
		/* too small for anything but saying so */
		mvaddnstr(0, 0, "gt-top: too small", COLS);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	draw_body(tp, rows);
	draw_status(tp);
	wnoutrefresh(stdscr);
	if (tp->peek)
		draw_peek(tp, rows);
	else if (tp->help)
		draw_help(rows);
	doupdate();
}

/* ---- actions ---- */

/* Read a line of text on the status line; 1 when entered, 0 when
 * cancelled (Esc, or an interrupt). */
static int prompt(struct top *tp, const char *label, struct gt_buf *text)
{
	gt_buf_reset(text);
	curs_set(1);
	for (;;) {
		const char *shown;
		size_t cols;
		int c;

		if (stop)
			break;
		draw(tp);
		move(LINES - 2, 0);
		clrtoeol();
		attrset(A_BOLD);
		put(stdscr, label, strlen(label));
		attrset(A_NORMAL);
		/* the end of a long text, so the cursor stays in sight */
		shown = gt_buf_cstr(text);
		cols = COLS > getcurx(stdscr) + 1 ? (size_t)(COLS - getcurx(stdscr) - 1) : 0;
		while (gt_top_columns(shown) > cols)
			shown++;
		put(stdscr, shown, strlen(shown));
		refresh();
		c = getch();
		if (c == KEY_RESIZE) {
			gt_top_layout(&tp->frame, tp->model, COLS);
		} else if (c == ERR) {
			continue;
		} else if (c == '\n' || c == '\r' || c == KEY_ENTER) {
			curs_set(0);
			return 1;
		} else if (c == 27 || c == 7) { /* Esc, Ctrl-G */
			break;
		} else if (c == KEY_BACKSPACE || c == 127 || c == 8) {
			size_t n = text->len;

			while (n && ((unsigned char)text->ptr[n - 1] & 0xc0) == 0x80)
				n--;
			gt_buf_truncate(text, n ? n - 1 : 0);
		} else if (c == 21) { /* Ctrl-U */
			gt_buf_reset(text);
		} else if (c >= 0x20 && c < 0x100 && c != 0x7f) {
			gt_buf_addch(text, c);
		}
	}
	curs_set(0);
	return 0;
}

static void nudge(struct top *tp)
{
	const char *who = selected(tp, FOCUS_AGENTS);
	struct gt_buf text = GT_BUF_INIT, label = GT_BUF_INIT;
	int queued = 0;

	if (!who) {
		say(tp, 1, "no agent to nudge");
		return;
	}
	gt_buf_printf(&label, "nudge %s: ", who);
	if (prompt(tp, label.ptr, &text) && text.len) {
		say(tp, 0, "nudging %s ...", who);
		draw(tp);
		if (gt_worker_nudge(tp->ctx, tp->t, who, text.ptr, tp->mode, NUDGE_WAIT_MS,
				    &queued) < 0)
			say(tp, 1, "nudge %s: %s", who, gt_error_last());
		else
			say(tp, 0, "nudged %s (%s)", who, queued ? "queued" : "typed");
	} else {
		say(tp, 0, "nudge cancelled");
	}
	gt_buf_release(&text);
	gt_buf_release(&label);
}

/* Whether this process runs inside the town's own tmux server ($TMUX
 * names its socket), where attaching means switching the client. */
static int inside_town_server(const struct gt_town *t)
{
	const char *tmux = getenv("TMUX"), *dir = getenv("TMUX_TMPDIR");
	struct gt_buf ours = GT_BUF_INIT, theirs = GT_BUF_INIT;
	char a[PATH_MAX], b[PATH_MAX];
	int same = 0;

	if (!tmux || !*tmux)
		return 0;
	gt_buf_printf(&ours, "%s/tmux-%ld/%s", dir && *dir ? dir : "/tmp", (long)getuid(),
		      t->socket);
	gt_buf_add(&theirs, tmux, strcspn(tmux, ","));
	same = realpath(ours.ptr, a) && realpath(theirs.ptr, b) && !strcmp(a, b);
	gt_buf_release(&ours);
	gt_buf_release(&theirs);
	return same;
}

/* Run argv on this terminal (stdin too, which gt_run() does not give)
 * and wait for it; its exit status, or -1 when it could not start. */
static int run_here(const char *const *argv)
{
	pid_t pid = fork();
	int st = 0;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) != 127 ? WEXITSTATUS(st) : -1;
}

static void attach(struct top *tp)
{
	const char *who = selected(tp, FOCUS_AGENTS);
	struct gt_buf s = GT_BUF_INIT, target = GT_BUF_INIT;
	int status;

	if (!who) {
		say(tp, 1, "no agent to attach to");
		return;
	}
	gt_session_name(&s, who);
	gt_buf_printf(&target, "=%s", s.ptr);
	if (gt_session_has(tp->t->socket, s.ptr) != 0) {
		say(tp, 1, "no session for '%s' (gt-session-start %s starts it)", who, who);
	} else if (inside_town_server(tp->t)) {
		if (gt_tmux(NULL, tp->t->socket, "switch-client", "-t", target.ptr, NULL) < 0)
			say(tp, 1, "attach %s: %s", who, gt_error_last());
		else
			say(tp, 0, "switched to %s", who);
	} else {
		const char *argv[] = { "tmux", "-L",	   tp->t->socket, "attach-session",
				       "-t",   target.ptr, NULL };

		/* curses lets go of the terminal while tmux has it */
		def_prog_mode();
		endwin();
		if ((status = run_here(argv)) != 0)
			say(tp, 1, "attach %s: tmux %s", who,
			    status < 0 ? "could not run" : "failed");
		else
			say(tp, 0, "back from %s", who);
		reset_prog_mode();
		clearok(stdscr, TRUE);
		tp->next = 0;
	}
	gt_buf_release(&s);
	gt_buf_release(&target);
}

static void ack(struct top *tp)
{
	const char *id = selected(tp, FOCUS_ESCALATIONS);
	struct gt_buf copy = GT_BUF_INIT;
	int changed = 0;

	if (!id) {
		say(tp, 1, "no open escalation to acknowledge");
		return;
	}
	gt_buf_adds(&copy, id);
	if (gt_escalation_ack(tp->ctx, copy.ptr, NULL, &changed) < 0)
		say(tp, 1, "ack %s: %s", copy.ptr, gt_error_last());
	else
		say(tp, 0, "%s %s", copy.ptr, changed ? "acked" : "acked already");
	tp->next = 0;
	gt_buf_release(&copy);
}

static void move_sel(struct top *tp, int by, int to)
{
	int n = cJSON_GetArraySize(list(tp, tp->focus)), *sel = &tp->sel[tp->focus];

	if (to >= 0)
		*sel = to;
	*sel += by;
	if (*sel >= n)
		*sel = n - 1;
	if (*sel < 0)
		*sel = 0;
	tp->follow = 1;
	if (tp->peek)
		capture(tp, LINES - 2);
}

/* Act on key c; 0 to quit. */
static int key(struct top *tp, int c)
{
	int rows = LINES - 2;

	if (tp->help && c != ERR && c != KEY_RESIZE) {
		tp->help = 0;
		return 1;
	}
	if (c != ERR && c != KEY_RESIZE)
		tp->msg[0] = 0;
	switch (c) {
	case 'q':
	case 'Q': return 0;
	case KEY_RESIZE:
		gt_top_layout(&tp->frame, tp->model, COLS);
		tp->follow = 1;
		if (tp->peek)
			capture(tp, rows);
		break;
	case 'j':
	case KEY_DOWN: move_sel(tp, 1, -1); break;
	case 'k':
	case KEY_UP: move_sel(tp, -1, -1); break;
	case 'g':
	case KEY_HOME: move_sel(tp, 0, 0); break;
	case 'G':
	case KEY_END: move_sel(tp, 0, INT_MAX / 2); break;
	case KEY_NPAGE: tp->scroll += rows > 1 ? rows - 1 : 1; break;
	case KEY_PPAGE: tp->scroll -= rows > 1 ? rows - 1 : 1; break;
	case 'e':
	case '\t':
		if (tp->focus == FOCUS_AGENTS && !cJSON_GetArraySize(list(tp, FOCUS_ESCALATIONS))) {
			say(tp, 0, "no open escalations");
			break;
		}
		tp->focus = !tp->focus;
		tp->peek = 0;
		tp->follow = 1;
		break;
	case 27: tp->peek = 0; break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (tp->focus == FOCUS_ESCALATIONS) {
			ack(tp);
			break;
		}
		/* fall through - Enter on an agent peeks */
	case 'p':
		tp->focus = FOCUS_AGENTS;
		if ((tp->peek = !tp->peek))
			capture(tp, rows);
		break;
	case 'A':
		tp->focus = FOCUS_ESCALATIONS;
		ack(tp);
		break;
	case 'a': attach(tp); break;
	case 'n': nudge(tp); break;
	case 'r':
	case 12: /* Ctrl-L */
		clearok(stdscr, TRUE);
		tp->next = 0;
		break;
	case '?': tp->help = 1; break;
	default: break;
	}
	return 1;
}

static void colours(struct top *tp)
{
	const char *nc = getenv("NO_COLOR");

	tp->colour = !(nc && *nc) && has_colors() && start_color() == OK;
	if (!tp->colour)
		return;
	use_default_colors();
	init_pair(C_HEAD, COLOR_CYAN, -1);
	init_pair(C_ALERT, COLOR_RED, -1);
	init_pair(C_GOOD, COLOR_GREEN, -1);
	init_pair(C_BAD, COLOR_RED, -1);
	init_pair(C_BAR, COLOR_BLACK, COLOR_GREEN);
	init_pair(C_KEYS, COLOR_BLACK, COLOR_CYAN);
	tp->next_pair = C_PANE;
}

static int cockpit(struct top *tp)
{
	SCREEN *scr = newterm(NULL, stdout, stdin);

	if (!scr)
		return plain(tp, 0);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	timeout(TICK_MS);
	colours(tp);
	while (!stop) {
		int c;

		if (now_ms() >= tp->next || ledger_moved(tp)) {
			if (reload(tp, COLS) < 0)
				say(tp, 1, "cannot read the town: %s", gt_error_last());
			if (tp->peek)
				capture(tp, LINES - 2);
		}
		draw(tp);
		c = getch();
		if (!key(tp, c))
			break;
	}
	endwin();
	delscreen(scr);
	return 0;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct top tp = { .ctx = &ctx, .t = &t, .pane = GT_BUF_INIT };
	const char *interval_s = "2s", *mode_s = "wait-idle";
	long feed_n = 8;
	int rc = 0, once = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "once", &once, "print one frame as plain text and exit"),
		GT_OPT_STRING(0, "interval", &interval_s, "DURATION",
			      "read the town every DURATION (default 2s)"),
		GT_OPT_INT(0, "feed", &feed_n, "N", "show the last N feed events (default 8)"),
		GT_OPT_STRING(0, "nudge-mode", &mode_s, "MODE",
			      "n: immediate, wait-idle (default) or queue"),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "the town cockpit: agents, convoys, queue, escalations, live";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	tp.interval = gt_cli_duration(&cli, "--interval", interval_s, 100);
	if (feed_n < 0 || feed_n > 1000)
		gt_cli_usage_error(&cli, "--feed must be a number from 0 to 1000");
	if (gt_nudge_mode_parse(&tp.mode, mode_s) < 0)
		gt_cli_usage_error(&cli, "%s", gt_error_last());
	tp.feed_n = feed_n;
	setlocale(LC_ALL, "");
	if (!once && (!isatty(0) || !isatty(1))) {
		rc = gt_error_set(GT_EUSAGE, "the cockpit needs a terminal");
		gt_error_hint("gt-top --once prints one frame as text");
		goto out;
	}
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	gt_cli_stop_on_signals(&stop);
	if (once) {
		rc = plain(&tp, 1);
	} else {
		const char *term = getenv("TERM");

		rc = !term || !*term || !strcmp(term, "dumb") ? plain(&tp, 0) : cockpit(&tp);
	}
out:
	cJSON_Delete(tp.model);
	gt_top_frame_release(&tp.frame);
	gt_buf_release(&tp.pane);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
