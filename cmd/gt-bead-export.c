/*
 * gt-bead-export - write the ledger as Beads data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-export [--format FORMAT | --type-lines] [-o FILE] [--no-tombstones] [--skip-bad]",
	"gt-bead-export --format backup -o DIR",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_export_opts o = { 0 };
	struct gt_buf tmp = GT_BUF_INIT;
	const char *format = NULL, *output = NULL;
	int type_lines = 0, rc, nargs;
	size_t count = 0;
	FILE *f = stdout;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "format", &format, "FORMAT",
			      "beads (default: .beads/issues.jsonl lines), type-lines, list, "
			      "deletions, backup"),
		GT_OPT_FLAG(0, "type-lines", &type_lines, "same as --format type-lines"),
		GT_OPT_STRING('o', "output", &output, "PATH",
			      "write to PATH (replaced atomically); a directory for backup"),
		GT_OPT_FLAG(0, "no-tombstones", &o.no_tombstones, "leave deleted beads out"),
		GT_OPT_FLAG(0, "skip-bad", &o.skip_bad,
			    "leave out records that do not parse (and say which)"),
		GT_OPT_FLAG(0, "include-ephemeral", &o.include_ephemeral,
			    "include ephemeral beads (wisps); backups always do, as bd's"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "export the ledger as Beads JSONL";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs)
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (type_lines && format && strcmp(format, "type-lines"))
		gt_cli_usage_error(&cli, "--type-lines contradicts --format %s", format);
	if (type_lines)
		format = "type-lines";
	if (!format || !strcmp(format, "beads"))
		o.format = GT_EXPORT_BEADS;
	else if (!strcmp(format, "type-lines"))
		o.format = GT_EXPORT_TYPE_LINES;
	else if (!strcmp(format, "list"))
		o.format = GT_EXPORT_LIST;
	else if (!strcmp(format, "deletions"))
		o.format = GT_EXPORT_DELETIONS;
	else if (!strcmp(format, "backup"))
		o.format = GT_EXPORT_BACKUP;
	else
		gt_cli_usage_error(&cli, "unknown format '%s'", format);
	if (o.format == GT_EXPORT_BACKUP && !output)
		gt_cli_usage_error(&cli, "--format backup needs -o DIR");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	/*
	 * Every tree is read once: caching them would only keep a big
	 * ledger's whole listing in memory.  And the pack is mapped a window
	 * at a time, at most three at once: reading blobs in id order, which
	 * is no order in the pack, would otherwise map all of it and keep it
	 * resident (a million beads: 717 MB of RSS, 40 MB of it our own;
	 * bounded: 101 MB, for 20% more time remapping).
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)0);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)64 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)192 << 20);
	if (o.format == GT_EXPORT_BACKUP) {
		o.dir = output;
	} else if (output && strcmp(output, "-")) {
		gt_buf_printf(&tmp, "%s.%ld.tmp", output, (long)getpid());
		if (!(f = fopen(tmp.ptr, "wb"))) {
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", output);
			goto out;
		}
	}
	rc = gt_export(ctx.lg, &o, f, &count);
	if (f != stdout) {
		if (fclose(f) != 0 && !rc)
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", output);
		if (!rc && rename(tmp.ptr, output) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", output);
		if (rc)
			unlink(tmp.ptr);
	}
	if (!rc && (output || o.format == GT_EXPORT_BACKUP) && !cli.quiet && strcmp(output, "-"))
		fprintf(stderr, "%s: %zu beads written to %s\n", cli.name, count, output);
out:
	gt_buf_release(&tmp);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
