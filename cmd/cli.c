/*
 * cli.c - shared main() plumbing for gt commands: options and usage, the
 * one exit path, reading input, opening the ledger and the town.  What
 * commands print is in cli-print.c; beads named by arguments and --stdin
 * in cli-ids.c.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

#ifndef GT_VERSION
#define GT_VERSION "0.0.0"
#endif

static void print_usage(FILE *f, struct gt_cli *cli)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_options_usage(&b, cli->usage, cli->opts);
	fputs(gt_buf_cstr(&b), f);
	gt_buf_release(&b);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static const char *cli_name = "gt"; /* for what gt_cli_close() says */

int gt_cli_parse(struct gt_cli *cli, int argc, char **argv)
{
	int special = 0, n;

	if (!cli->name)
		cli->name = base_name(argv[0]);
	cli_name = cli->name;
	/* a closed pipe is a normal end for a filter, not a crash */
	signal(SIGPIPE, SIG_DFL);
	n = gt_options_parse(argc, argv, cli->opts, &special);
	if (n < 0)
		gt_cli_usage_error(cli, "%s", gt_error_last());
	switch (special) {
	case 'h': print_usage(stdout, cli); exit(gt_cli_finish(cli, 0));
	case 's': printf("%s\n", cli->summary ? cli->summary : ""); exit(gt_cli_finish(cli, 0));
	case 'v': printf("%s version %s\n", cli->name, GT_VERSION); exit(gt_cli_finish(cli, 0));
	case 'c': {
		struct gt_buf b = GT_BUF_INIT;

		gt_options_completion(&b, cli->opts);
		fputs(gt_buf_cstr(&b), stdout);
		gt_buf_release(&b);
		exit(gt_cli_finish(cli, 0));
	}
	}
	return n;
}

void gt_cli_usage_error(struct gt_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: error: ", cli->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage(stderr, cli);
	exit(2);
}

void gt_cli_warn(struct gt_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	gt_cli_progress_clear();
	fprintf(stderr, "%s: warning: ", cli->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int gt_cli_finish(struct gt_cli *cli, int rc)
{
	int status = gt_error_exit_code(rc);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "%s: error: cannot write output: %s\n", cli->name,
				strerror(errno));
		return status ? status : 7;
	}
	if (rc < 0 && rc != GT_ENO && !cli->reported) {
		const char *msg = gt_error_last();
		const char *hint = gt_error_last_hint();

		fprintf(stderr, "%s: error: %s\n", cli->name, *msg ? msg : "failed");
		if (*hint)
			fprintf(stderr, "hint: %s\n", hint);
	}
	return status;
}

void gt_cli_eor(struct gt_cli *cli)
{
	putchar(cli->nul ? '\0' : '\n');
}

int gt_cli_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(1);
}

int gt_cli_read_stdin(struct gt_buf *out)
{
	return gt_read_fd(out, 0, "stdin");
}

int gt_cli_read_text(struct gt_buf *out, const char *file)
{
	int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0, rc;

	if (fd < 0)
		return gt_error_errno(GT_EUSAGE, "cannot open '%s'", file);
	gt_buf_reset(out);
	rc = gt_read_fd(out, fd, file);
	if (fd)
		close(fd);
	if (rc < 0)
		return rc;
	if (memchr(gt_buf_cstr(out), '\0', out->len))
		return gt_error_set(GT_EINVALID, "'%s' contains a NUL byte", file);
	while (out->len && out->ptr[out->len - 1] == '\n')
		gt_buf_truncate(out, out->len - 1);
	return 0;
}

int gt_cli_read_batch(struct gt_batch *b)
{
	struct gt_buf in = GT_BUF_INIT;
	int rc = gt_cli_read_stdin(&in);
	size_t len = in.len;

	if (rc < 0) {
		gt_buf_release(&in);
		return rc;
	}
	return gt_batch_parse(b, gt_buf_detach(&in), len, "stdin");
}

/* An agent running a gt command is alive: say so in its run file, for the
 * witness (heartbeat.h).  Best effort, and only for a valid address. */
static void heartbeat(struct gt_cli *cli, struct gt_ctx *ctx)
{
	const char *me = getenv("GT_AGENT");
	struct gt_address a;

	if (me && *me && gt_address_parse(&a, me) == 0)
		gt_heartbeat_command(ctx->lg->repo, me, cli->name, getenv("GT_BEAD"));
	gt_error_clear();
}

int gt_cli_open(struct gt_cli *cli, struct gt_ctx *ctx)
{
	int rc = gt_git_init();

	memset(ctx, 0, sizeof(*ctx));
	if (rc < 0)
		return rc;
	rc = gt_ctx_open(ctx, cli->gt_dir, cli->actor);
	if (rc < 0) {
		gt_git_shutdown();
		return rc;
	}
	heartbeat(cli, ctx);
	return 0;
}

int gt_cli_town(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_town *t)
{
	int rc = gt_cli_open(cli, ctx);

	memset(t, 0, sizeof(*t));
	if (rc == 0)
		rc = gt_town_open(t, ctx);
	return rc;
}

int gt_cli_formula_path(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_town *t, const char *rig,
			int need_ledger, struct gt_formula_path *p)
{
	int rc;
	char *bindir;

	memset(p, 0, sizeof(*p));
	if (!rig || !*rig)
		rig = getenv("GT_RIG") && *getenv("GT_RIG") ? getenv("GT_RIG") : NULL;
	if (rig && (rc = gt_name_check("rig", rig)) < 0)
		return rc;
	rc = gt_cli_town(cli, ctx, t);
	if (rc == GT_ENOTFOUND && !need_ledger && !cli->gt_dir && !getenv("GT_DIR")) {
		gt_error_clear();
		memset(ctx, 0, sizeof(*ctx));
		bindir = gt_self_bindir();
		gt_formula_path_init(p, NULL, NULL, bindir);
		free(bindir);
		return 0;
	}
	if (rc < 0)
		return rc;
	gt_formula_path_init(p, t->root, rig, t->bindir);
	return 0;
}

void gt_cli_close(struct gt_ctx *ctx, struct gt_index **idx)
{
	if (idx) {
		gt_index_free(*idx);
		*idx = NULL;
	}
	gt_cli_wisps_close();
	if (ctx->lg && ctx->lg->nbad) {
		/* said once, whatever read them */
		fflush(stdout);
		for (size_t i = 0; i < ctx->lg->nbad; i++)
			fprintf(stderr, "%s: warning: left out an unreadable record: %s\n",
				cli_name, ctx->lg->bad[i]);
		fprintf(stderr,
			"hint: gt-maintain --quarantine moves it aside (kept, not deleted)\n");
	}
	/*
	 * The process ends next: the kernel takes back its memory and
	 * mappings in one go.  Freeing the repository first (each pack's
	 * windows and index unmapped one call at a time, every cache freed)
	 * was 2-3% of a write's CPU with 64 writers, and nothing is written
	 * back on the way.  Sanitizer builds free everything, so a leak
	 * shows.
	 */
#ifdef __SANITIZE_ADDRESS__
	if (ctx->lg) {
		gt_ctx_close(ctx);
		gt_git_shutdown();
	}
#endif
}

int gt_cli_rigs(struct gt_ctx *ctx, int nargs, char **argv, struct gt_strlist *out)
{
	cJSON *all = NULL, *it;
	int rc;

	for (int i = 1; i <= nargs; i++)
		gt_strlist_push_dup(out, argv[i]);
	if (nargs)
		return 0;
	if ((rc = gt_rig_list(&all, ctx)) < 0)
		return rc;
	cJSON_ArrayForEach (it, all)
		gt_strlist_push_dup(out, gt_json_str(it, "name"));
	cJSON_Delete(all);
	return 0;
}

int64_t gt_cli_duration(struct gt_cli *cli, const char *opt, const char *value, int64_t min_ms)
{
	int64_t ms = 0;

	if (gt_duration_parse(&ms, value, opt) < 0 || ms < min_ms)
		gt_cli_usage_error(cli, "bad %s '%s'", opt, value);
	return ms;
}

static volatile sig_atomic_t *stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	if (stop_flag)
		*stop_flag = 1;
}

void gt_cli_stop_on_signals(volatile sig_atomic_t *stop)
{
	stop_flag = stop;
	signal(SIGTERM, on_stop_signal);
	signal(SIGINT, on_stop_signal);
	signal(SIGHUP, on_stop_signal);
}

void gt_cli_nap(long ms, volatile sig_atomic_t *stop)
{
	/* in slices, so SIGTERM ends a long wait at once */
	for (long left = ms; left > 0 && !*stop; left -= 100)
		gt_sleep_ms(left < 100 ? left : 100);
}
