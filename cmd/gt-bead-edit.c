/*
 * gt-bead-edit - edit one text field of a bead in $VISUAL / $EDITOR.
 *
 * The field goes to a temporary file, the editor runs on it, and the text
 * comes back in one transaction whose precondition is that the bead's
 * blob is still the one read before the editor started: an edit never
 * overwrites a change made meanwhile.  When that fails (or the text is
 * refused) the file is kept and its path given, so nothing typed is lost.
 * The editor runs as `sh -c '<editor> "$1"' <editor> <file>`: the editor
 * setting may hold arguments, the file name is never parsed by the shell.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-edit [options] ID",
	NULL,
};

static const char *const fields[] = { "description",	     "title", "design", "notes",
				      "acceptance_criteria", NULL };

struct edit {
	struct gt_ctx *ctx;
	const char *id, *path, *field, *text;
	git_oid blob; /* the bead as read before the editor ran */
};

/* Run the editor on file; GT_EFAIL when it cannot start or fails. */
static int run_editor(const char *file)
{
	const char *ed = getenv("VISUAL");
	struct gt_buf script = GT_BUF_INIT;
	struct sigaction ign = { 0 }, old_int, old_quit;
	pid_t pid;
	int status = 0, rc = 0;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	gt_buf_printf(&script, "%s \"$1\"", ed);
	fflush(stdout);
	/* as system(3): ^C belongs to the editor while it runs */
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		const char *argv[] = { "sh", "-c", script.ptr, ed, file, NULL };

		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execvp("sh", (char *const *)argv);
		_exit(127);
	}
	if (pid < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot run the editor '%s'", ed);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = gt_error_set(GT_EFAIL, "the editor '%s' %s %d", ed,
				  WIFEXITED(status) ? "exited with" : "was killed by signal",
				  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	gt_buf_release(&script);
	return rc;
}

static int apply(struct gt_txn *tx, void *p)
{
	struct edit *e = p;
	struct gt_buf data = GT_BUF_INIT;
	struct gt_bead_spec spec;
	git_oid now;
	int rc, changed = 0;

	rc = gt_ledger_read_file(&data, &now, gt_txn_ledger(tx), gt_txn_base(tx), e->path);
	if (rc == GT_ENOTFOUND)
		rc = gt_error_set(GT_ECONFLICT, "bead '%s' was removed while it was edited", e->id);
	if (rc == 0 && !git_oid_equal(&now, &e->blob)) {
		cJSON *b = NULL;
		const char *by;

		gt_record_parse(&b, &data, e->path);
		by = gt_json_str(b, "updated_at");
		rc = gt_error_set(GT_ECONFLICT, "bead '%s' changed while it was edited%s%s%s",
				  e->id, by ? " (updated at " : "", by ? by : "", by ? ")" : "");
		cJSON_Delete(b);
	}
	gt_buf_release(&data);
	if (rc < 0)
		return rc;
	gt_bead_spec_init(&spec);
	if (!strcmp(e->field, "title"))
		spec.title = e->text;
	else if (!strcmp(e->field, "design"))
		spec.design = e->text;
	else if (!strcmp(e->field, "notes"))
		spec.notes = e->text;
	else if (!strcmp(e->field, "acceptance_criteria"))
		spec.acceptance = e->text;
	else
		spec.description = e->text;
	rc = gt_op_update(tx, e->ctx, e->id, &spec, &changed);
	gt_bead_spec_release(&spec);
	return rc;
}

/* Write text (and a final newline) to a new temporary file named in out. */
static int write_temp(struct gt_buf *out, const char *id, const char *field, const char *text)
{
	const char *dir = getenv("TMPDIR");
	size_t len = strlen(text);
	int fd, rc = 0;

	gt_buf_reset(out);
	gt_buf_printf(out, "%s/gt-edit-%s-%s-XXXXXX.md", dir && *dir ? dir : "/tmp", id, field);
	if ((fd = mkstemps(out->ptr, 3)) < 0)
		return gt_error_errno(GT_EFAIL, "cannot create '%s'", out->ptr);
	if (gt_write_all(fd, text, len) < 0 ||
	    (len && text[len - 1] != '\n' && gt_write_all(fd, "\n", 1) < 0))
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", out->ptr);
	if (close(fd) < 0 && !rc)
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", out->ptr);
	if (rc < 0)
		unlink(out->ptr);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT, path = GT_BUF_INIT, data = GT_BUF_INIT;
	struct gt_buf tmp = GT_BUF_INIT, before = GT_BUF_INIT, after = GT_BUF_INIT;
	struct gt_txn_opts to = { .command = "gt-bead-edit" };
	struct gt_ledger *store;
	struct edit e = { .ctx = &ctx };
	const char *field = "description", *old;
	cJSON *b = NULL;
	int rc, nargs, keep = 0, i;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "field", &field, "FIELD",
			      "description (default), title, design, notes, acceptance_criteria"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "edit a bead's description (or another text field) in $EDITOR";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs != 1)
		gt_cli_usage_error(&cli, nargs ? "one id only" : "an id is required");
	for (i = 0; fields[i] && strcmp(fields[i], field); i++)
		;
	if (!fields[i])
		gt_cli_usage_error(&cli,
				   "unknown --field '%s' (description, title, design, notes, "
				   "acceptance_criteria)",
				   field);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 || (rc = gt_ctx_config(&ctx)) < 0 ||
	    (rc = gt_cli_resolve(&ctx, &idx, argv[1], &id)) < 0)
		goto out;
	store = gt_cli_wisp(&ctx, id.ptr);
	store = store ? store : ctx.lg;
	gt_bead_path(&path, id.ptr);
	if ((rc = gt_ledger_read_file(&data, &e.blob, store, NULL, path.ptr)) < 0 ||
	    (rc = gt_record_parse(&b, &data, path.ptr)) < 0)
		goto out;
	old = gt_json_str(b, field) ? gt_json_str(b, field) : "";
	if ((rc = write_temp(&tmp, id.ptr, field, old)) < 0 ||
	    (rc = gt_read_file(&before, tmp.ptr)) < 0 || (rc = run_editor(tmp.ptr)) < 0 ||
	    (rc = gt_read_file(&after, tmp.ptr)) < 0)
		goto out;
	keep = after.len != before.len ||
	       memcmp(gt_buf_cstr(&after), gt_buf_cstr(&before), after.len);
	if (memchr(gt_buf_cstr(&after), '\0', after.len)) {
		rc = gt_error_set(GT_EINVALID, "the text holds a NUL byte");
		goto out;
	}
	while (after.len && after.ptr[after.len - 1] == '\n')
		gt_buf_truncate(&after, after.len - 1);
	if (!strcmp(field, "title") && strchr(gt_buf_cstr(&after), '\n')) {
		rc = gt_error_set(GT_EINVALID, "a title is one line");
		goto out;
	}
	if (!strcmp(gt_buf_cstr(&after), old)) {
		keep = 0; /* nothing to write: no commit */
		goto out;
	}
	e.id = id.ptr;
	e.path = path.ptr;
	e.field = field;
	e.text = gt_buf_cstr(&after);
	if ((rc = gt_ledger_transact(store, &to, apply, &e)) < 0)
		goto out;
	keep = 0;
	if (cli.json) {
		cJSON_Delete(b);
		b = NULL;
		if ((rc = gt_ledger_refresh(store)) < 0 ||
		    (rc = gt_ledger_read_bead(&b, store, NULL, id.ptr)) < 0)
			goto out;
		gt_cli_print_bead(&cli, b);
	} else if (!cli.quiet) {
		printf("%s\n", id.ptr);
	}
out:
	if (tmp.len && keep && rc < 0)
		gt_error_hint("the edited text is kept in '%s'", tmp.ptr); /* never lost */
	else if (tmp.len)
		unlink(tmp.ptr);
	cJSON_Delete(b);
	gt_buf_release(&id);
	gt_buf_release(&path);
	gt_buf_release(&data);
	gt_buf_release(&tmp);
	gt_buf_release(&before);
	gt_buf_release(&after);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
