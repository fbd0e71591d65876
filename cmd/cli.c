/*
 * cli.c - shared main() plumbing for gt commands.
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

int gt_cli_parse(struct gt_cli *cli, int argc, char **argv)
{
	int special = 0, n;

	if (!cli->name)
		cli->name = base_name(argv[0]);
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

int gt_cli_open(struct gt_cli *cli, struct gt_ctx *ctx)
{
	int rc = gt_git_init();

	memset(ctx, 0, sizeof(*ctx));
	if (rc < 0)
		return rc;
	rc = gt_ctx_open(ctx, cli->gt_dir, cli->actor);
	if (rc < 0)
		gt_git_shutdown();
	return rc;
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

int gt_cli_molecule(struct gt_ctx *ctx, struct gt_index **idx, const char *arg, struct gt_buf *id)
{
	struct gt_buf full = GT_BUF_INIT;
	int rc = 0;

	/* wisps are not in the ledger's index: their ids are taken whole */
	if (arg && gt_mol_is_wisp(arg))
		gt_buf_adds(&full, arg);
	else if (arg)
		rc = gt_cli_resolve(ctx, idx, arg, &full);
	if (rc == 0)
		rc = gt_mol_resolve(id, ctx, arg ? full.ptr : NULL);
	gt_buf_release(&full);
	return rc;
}

void gt_cli_print_molecule(struct gt_cli *cli, const cJSON *st)
{
	const cJSON *s;
	int64_t done = 0, total = 0;

	if (cli->json) {
		gt_cli_print_json(cli, st);
		return;
	}
	gt_json_int(st, "done", &done);
	gt_json_int(st, "total", &total);
	printf("%s\t%s", gt_json_str(st, "id"), gt_json_str(st, "formula"));
	if (gt_json_str(st, "work"))
		printf(" on %s", gt_json_str(st, "work"));
	printf("\t%lld/%lld steps done\t%s%s\n", (long long)done, (long long)total,
	       gt_json_str(st, "status"), gt_json_bool(st, "wisp") ? " (wisp)" : "");
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(st, "steps")) {
		const char *state = gt_json_str(s, "state");
		const char *mark = !strcmp(state, "done")      ? "[x]"
				   : !strcmp(state, "current") ? "[>]"
							       : "[ ]";

		printf("  %s %s\t%s", mark, gt_json_str(s, "id"), gt_json_str(s, "title"));
		if (!strcmp(state, "current"))
			printf("\t<- current");
		else if (gt_json_str(s, "waiting_for"))
			printf("\t(waits for %s)", gt_json_str(s, "waiting_for"));
		printf("\n");
	}
}

void gt_cli_print_json(struct gt_cli *cli, const cJSON *v)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_json_write(&b, v);
	fwrite(b.ptr, 1, b.len, stdout);
	gt_cli_eor(cli);
	gt_buf_release(&b);
}

void gt_cli_print_message(struct gt_cli *cli, const cJSON *m, int full)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(m, "metadata");
	const char *state = strcmp(gt_bead_status(m), "open") ? "acked"
			    : gt_json_str(md, "read_at")      ? "read"
							      : "new";
	const char *subject = gt_json_str(m, "title"), *body = gt_json_str(m, "description");

	if (cli->json) {
		gt_cli_print_json(cli, m);
		return;
	}
	if (!full) {
		printf("%s\t%s\t%s\t%s", gt_bead_id(m), state,
		       gt_json_str(m, "sender") ? gt_json_str(m, "sender") : "",
		       subject ? subject : "");
		gt_cli_eor(cli);
		return;
	}
	printf("Message: %s%s\nFrom: %s\nTo: %s\nDate: %s\nSubject: %s\n", gt_bead_id(m),
	       gt_json_bool(m, "ephemeral") ? " (wisp)" : "",
	       gt_json_str(m, "sender") ? gt_json_str(m, "sender") : "",
	       gt_json_str(m, "assignee") ? gt_json_str(m, "assignee") : "",
	       gt_json_str(m, "created_at") ? gt_json_str(m, "created_at") : "",
	       subject ? subject : "");
	if (gt_json_str(md, "reply_to"))
		printf("In-Reply-To: %s\n", gt_json_str(md, "reply_to"));
	if (body && *body)
		printf("\n%s%s", body, body[strlen(body) - 1] == '\n' ? "" : "\n");
	if (cli->nul)
		putchar('\0');
	else
		putchar('\n');
}

void gt_cli_print_sent(struct gt_cli *cli, const cJSON *msgs)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, msgs) {
		if (cli->json) {
			gt_cli_print_json(cli, it);
		} else if (!cli->quiet) {
			printf("%s\t%s", gt_bead_id(it), gt_json_str(it, "assignee"));
			gt_cli_eor(cli);
		}
	}
}

void gt_cli_close(struct gt_ctx *ctx, struct gt_index **idx)
{
	if (idx) {
		gt_index_free(*idx);
		*idx = NULL;
	}
	if (ctx->lg) {
		gt_ctx_close(ctx);
		gt_git_shutdown();
	}
}

int gt_cli_resolve(struct gt_ctx *ctx, struct gt_index **idx, const char *input, struct gt_buf *out)
{
	int rc;

	/* the exact id is the common case: no configuration needed for it */
	if (gt_ledger_has_bead(ctx->lg, input)) {
		gt_buf_reset(out);
		gt_buf_adds(out, input);
		return 0;
	}
	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	return gt_resolve_id(out, ctx->lg, ctx->prefix, idx, input);
}

void gt_cli_print_bead(struct gt_cli *cli, const cJSON *bead)
{
	struct gt_buf b = GT_BUF_INIT;

	if (cli->json) {
		gt_bead_serialize(&b, bead);
		fwrite(b.ptr, 1, b.len, stdout);
		gt_cli_eor(cli);
	} else {
		gt_format_bead(&b, bead, gt_cli_color());
		fputs(gt_buf_cstr(&b), stdout);
	}
	gt_buf_release(&b);
}

int gt_cli_print_ids(struct gt_cli *cli, struct gt_ledger *lg, const char *const *ids,
		     const git_oid *const *blobs, size_t n, const char *const *extra_col)
{
	struct gt_table t;
	struct gt_buf out = GT_BUF_INIT;
	int rc = 0;

	gt_table_init(&t, extra_col ? 7 : 6);
	for (size_t i = 0; i < n && !rc; i++) {
		cJSON *b;

		rc = gt_ledger_read_bead_blob(&b, lg, blobs ? blobs[i] : NULL, ids[i]);
		if (rc < 0)
			break;
		if (cli->json) {
			gt_buf_reset(&out);
			gt_bead_canonicalize(b);
			if (extra_col && extra_col[i]) {
				cJSON *by = cJSON_Parse(extra_col[i]);

				/* Beads' BlockedIssue: the issue, then the blockers */
				cJSON_AddNumberToObject(b, "blocked_by_count",
							cJSON_GetArraySize(by));
				cJSON_AddItemToObject(b, "blocked_by", by);
			}
			gt_json_write(&out, b);
			fwrite(out.ptr, 1, out.len, stdout);
			gt_cli_eor(cli);
		} else if (cli->nul) {
			fputs(gt_bead_id(b), stdout);
			gt_cli_eor(cli);
		} else {
			gt_table_add_bead(&t, b);
			if (extra_col) {
				cJSON *a = cJSON_Parse(extra_col[i] ? extra_col[i] : "[]"), *c;
				struct gt_buf col = GT_BUF_INIT;

				cJSON_ArrayForEach (c, a)
					gt_buf_printf(&col, "%s%s", col.len ? "," : "",
						      cJSON_IsString(c) ? c->valuestring : "");
				gt_table_add(&t, col.ptr);
				gt_buf_release(&col);
				cJSON_Delete(a);
			}
		}
		cJSON_Delete(b);
	}
	if (!cli->json && !cli->nul) {
		gt_buf_reset(&out);
		gt_table_render(&t, &out, isatty(1));
		fputs(gt_buf_cstr(&out), stdout);
	}
	gt_table_release(&t);
	gt_buf_release(&out);
	return rc;
}

void gt_cli_print_batch(struct gt_cli *cli, const struct gt_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct gt_record *r = &b->v[i];

		if (r->error) {
			if (cli->json) {
				struct gt_buf j = GT_BUF_INIT;

				gt_buf_printf(&j, "{\"line\":%ld,\"error\":", r->line);
				gt_json_write_string(&j, r->error);
				gt_buf_printf(&j, ",\"exit\":%d}", gt_error_exit_code(r->rc));
				fputs(j.ptr, stdout);
				gt_buf_release(&j);
			} else {
				printf("error: line %ld: %s", r->line, r->error);
			}
			gt_cli_eor(cli);
		} else if (r->out.len) {
			fwrite(r->out.ptr, 1, r->out.len, stdout);
			gt_cli_eor(cli);
		}
	}
}

int gt_cli_fields_apply(struct gt_cli_fields *f, struct gt_bead_spec *s)
{
	int rc, p;

	if (f->description && f->description_file)
		return gt_error_set(GT_EUSAGE, "use either --description or --description-file");
	if (f->description_file && f->file_read) {
		s->description = gt_buf_cstr(&f->file_text);
	} else if (f->description_file) {
		f->file_read = 1;
		if ((rc = gt_cli_read_text(&f->file_text, f->description_file)) < 0)
			return rc;
		s->description = gt_buf_cstr(&f->file_text);
	} else if (f->description) {
		s->description = f->description;
	}
	if (f->design)
		s->design = f->design;
	if (f->acceptance)
		s->acceptance = f->acceptance;
	if (f->notes)
		s->notes = f->notes;
	if (f->type)
		s->type = f->type;
	if (f->assignee)
		s->assignee = f->assignee;
	if (f->owner)
		s->owner = f->owner;
	if (f->status)
		s->status = f->status;
	if (f->defer_until)
		s->defer_until = f->defer_until;
	if (f->due)
		s->due_at = f->due;
	if (f->external_ref)
		s->external_ref = f->external_ref;
	if (f->ephemeral)
		s->ephemeral = 1;
	if (f->priority) {
		if ((rc = gt_priority_parse(f->priority, &p)) < 0)
			return GT_EUSAGE;
		s->priority = p;
	}
	for (size_t i = 0; i < f->labels.n; i++)
		gt_strlist_push(&s->labels, f->labels.v[i]);
	if (!f->deps_done) { /* --deps a,b,c as well as repeated --deps */
		gt_cli_split_list(&f->deps_split, &f->deps, &f->deps_keep);
		f->deps_done = 1;
	}
	for (size_t i = 0; i < f->deps_split.n; i++)
		gt_strlist_push(&s->deps, f->deps_split.v[i]);
	if (f->metadata) {
		cJSON *m;

		if ((rc = gt_json_parse(&m, f->metadata, strlen(f->metadata), "--metadata", 1)) < 0)
			return rc;
		if (!cJSON_IsObject(m)) {
			cJSON_Delete(m);
			return gt_error_set(GT_EINVALID, "--metadata must be a JSON object");
		}
		cJSON_Delete(s->metadata);
		s->metadata = m;
	}
	return 0;
}

void gt_cli_fields_release(struct gt_cli_fields *f)
{
	gt_strlist_release(&f->labels);
	gt_strlist_release(&f->deps);
	gt_strlist_release(&f->deps_split);
	gt_buf_release(&f->deps_keep);
	gt_buf_release(&f->file_text);
}

struct run_ids {
	struct gt_cli *cli;
	struct gt_ctx *ctx;
	gt_cli_id_op op;
	void *arg;
};

static int run_id(struct gt_txn *tx, struct gt_record *rec, void *p)
{
	struct run_ids *r = p;
	const char *id = rec->text;
	int rc;

	if (rec->json && !(id = gt_json_str(rec->json, "id")))
		return gt_error_set(GT_EINVALID, "record has no \"id\"");
	if ((rc = r->op(tx, r->ctx, id, rec, r->arg)) < 0)
		return rc;
	if (r->cli->json) {
		cJSON *b;

		if (gt_txn_bead_get(tx, id, &b) == 0)
			gt_bead_serialize(&rec->out, b);
	} else {
		gt_buf_adds(&rec->out, id);
	}
	return 0;
}

int gt_cli_run_ids(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, int nargs,
		   char **args, const char *command, gt_cli_id_op op, void *arg, int keep_going)
{
	struct gt_batch batch = { 0 };
	int rc;

	if (cli->use_stdin && (rc = gt_cli_read_batch(&batch)) < 0) {
		gt_batch_release(&batch);
		return rc;
	}
	return gt_cli_run_batch(cli, ctx, idx, nargs, args, &batch, command, op, arg, keep_going);
}

int gt_cli_run_batch(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, int nargs,
		     char **args, struct gt_batch *pre, const char *command, gt_cli_id_op op,
		     void *arg, int keep_going)
{
	struct gt_batch batch = *pre;
	struct gt_buf ids = GT_BUF_INIT;
	struct gt_txn_opts to = { .command = command };
	struct run_ids r = { cli, ctx, op, arg };
	int rc = 0;

	memset(pre, 0, sizeof(*pre));
	if (nargs) {
		struct gt_record *v = gt_calloc((size_t)nargs + batch.n, sizeof(*v));
		size_t off = 0;

		for (int i = 0; i < nargs && !rc; i++) {
			struct gt_buf id = GT_BUF_INIT;

			rc = gt_cli_resolve(ctx, idx, args[i], &id);
			gt_buf_add(&ids, gt_buf_cstr(&id), id.len + 1);
			gt_buf_release(&id);
		}
		if (rc < 0) {
			free(v);
			goto out;
		}
		for (int i = 0; i < nargs; i++) {
			v[i].text = ids.ptr + off;
			v[i].line = 0; /* from the command line, not stdin */
			off += strlen(ids.ptr + off) + 1;
		}
		if (batch.n)
			memcpy(v + nargs, batch.v, batch.n * sizeof(*v));
		free(batch.v);
		batch.v = v;
		batch.n += (size_t)nargs;
	}
	rc = gt_batch_transact(ctx->lg, &to, &batch, run_id, &r, keep_going);
	if ((rc >= 0 || keep_going) && (!cli->quiet || cli->json))
		gt_cli_print_batch(cli, &batch);
	if (rc < 0 && keep_going)
		gt_error_set(rc, "some records failed");
out:
	gt_batch_release(&batch);
	gt_buf_release(&ids);
	return rc;
}

/* "a,b" and repeated options both add to the list */
void gt_cli_split_list(struct gt_strlist *out, const struct gt_strlist *in, struct gt_buf *keep)
{
	for (size_t i = 0; i < in->n; i++) {
		for (const char *p = in->v[i]; *p;) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);

			if (len) {
				gt_buf_add(keep, p, len);
				gt_buf_addch(keep, '\0');
			}
			p += len + (e ? 1 : 0);
		}
	}
	/* pointers are taken after all appends (the buffer may move) */
	for (size_t off = 0; off < keep->len; off += strlen(keep->ptr + off) + 1)
		gt_strlist_push(out, keep->ptr + off);
}
