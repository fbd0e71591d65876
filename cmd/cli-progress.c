/*
 * cli-progress.c - the progress line of long work (cli.h): on stderr, only
 * when it is a terminal and -q was not given, rewritten in place with \r
 * at most ten times a second, and ended with a newline (its last count
 * standing) when the work ends.  Never anything in a pipe or a file.
 * A delayed one (git's start_delayed_progress()) draws nothing until
 * its work has taken GT_PROGRESS_DELAY seconds (default 2): for work that
 * is short most of the time, in a command whose output stands alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "base/options.h"
#include "base/banned.h"

#define PROGRESS_EVERY_MS 100
#define PROGRESS_DELAY_S  2

/* the line on the terminal now, if any: a message to stderr clears it */
static struct gt_cli_progress *drawn;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* n with commas between thousands: 41,200 */
static void add_count(struct gt_buf *b, uint64_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			gt_buf_addch(b, ',');
		gt_buf_addch(b, digits[i]);
	}
}

static void draw(struct gt_cli_progress *p, const char *end)
{
	struct gt_buf line = GT_BUF_INIT;
	size_t width, unit = strlen(p->unit);

	gt_buf_printf(&line, "\r%s: ", p->what);
	add_count(&line, p->done);
	if (p->total) {
		gt_buf_addch(&line, '/');
		add_count(&line, p->total);
	}
	/* a count alone: "1 commit", not "1 commits" (units are plurals in -s) */
	if (!p->total && p->done == 1 && unit > 1 && p->unit[unit - 1] == 's')
		unit--;
	gt_buf_printf(&line, " %.*s", (int)unit, p->unit);
	if (p->total)
		gt_buf_printf(
			&line, " (%llu%%)",
			(unsigned long long)(p->done >= p->total ? 100 : p->done * 100 / p->total));
	/* blank what a longer line before left */
	width = line.len;
	while (line.len < p->width)
		gt_buf_addch(&line, ' ');
	p->width = width;
	gt_buf_adds(&line, end);
	fputs(line.ptr, stderr);
	fflush(stderr);
	gt_buf_release(&line);
	p->shown = 1;
	p->last_ms = now_ms();
	p->delay_ms = 0; /* once drawn, drawn again at once after a clear */
	drawn = *end ? NULL : p;
}

static void tell(void *arg, uint64_t done, uint64_t total)
{
	struct gt_cli_progress *p = arg;

	p->done = done;
	p->total = total;
	if (p->delay_ms && now_ms() - p->start_ms < p->delay_ms)
		return;
	if (p->shown && done != total && now_ms() - p->last_ms < PROGRESS_EVERY_MS)
		return;
	draw(p, "");
}

int gt_cli_progress_wanted(const struct gt_cli *cli)
{
	return !cli->quiet && isatty(2);
}

struct gt_progress gt_cli_progress_start(struct gt_cli_progress *p, const struct gt_cli *cli,
					 const char *what, const char *unit)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->unit = unit;
	p->on = gt_cli_progress_wanted(cli);
	return (struct gt_progress){ p->on ? tell : NULL, p };
}

struct gt_progress gt_cli_progress_start_delayed(struct gt_cli_progress *p,
						 const struct gt_cli *cli, const char *what,
						 const char *unit)
{
	struct gt_progress prog = gt_cli_progress_start(p, cli, what, unit);
	const char *v = getenv("GT_PROGRESS_DELAY");
	long s;

	if (!v || gt_parse_long(v, 0, 24 * 3600, &s) < 0)
		s = PROGRESS_DELAY_S;
	p->start_ms = now_ms();
	p->delay_ms = s * 1000;
	return prog;
}

void gt_cli_progress_end(struct gt_cli_progress *p)
{
	if (p->on && p->shown)
		draw(p, "\n");
	p->shown = 0;
}

void gt_cli_progress_clear(void)
{
	struct gt_buf blank = GT_BUF_INIT;

	if (!drawn)
		return;
	gt_buf_addch(&blank, '\r');
	for (size_t i = 1; i < drawn->width; i++)
		gt_buf_addch(&blank, ' ');
	gt_buf_addch(&blank, '\r');
	fputs(blank.ptr, stderr);
	fflush(stderr);
	gt_buf_release(&blank);
	/* the next count draws it again */
	drawn->shown = 0;
	drawn->width = 0;
	drawn = NULL;
}
