/*
 * cli-print.c - what commands print: JSON lines, beads, tables of beads,
 * batch reports, messages and molecules (cli.h).
 */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

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
		if (rc == GT_EINVALID) {
			/* left out, and said once when the command ends */
			gt_ledger_note_bad(lg, gt_error_last());
			gt_error_clear();
			rc = 0;
			continue;
		}
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
