/*
 * verify.c - ledger verification and repository counts.
 */
#include "store/verify.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "store/bead.h"
#include "store/id.h"
#include "store/objbuf.h"
#include "store/ops.h"
#include "base/banned.h"

struct vctx {
	gt_verify_cb cb;
	void *payload;
	size_t n;
};

static void problem(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct vctx *v, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->n++;
	if (v->cb)
		v->cb(msg, v->payload);
}

static void check_bead(struct vctx *v, struct gt_ctx *ctx, const char *shard, const char *name,
		       const git_oid *blob_id)
{
	size_t len = strlen(name);
	char id[GT_ID_MAX + 8], want[3];
	git_blob *blob;
	cJSON *b = NULL;
	struct gt_buf canon = GT_BUF_INIT;

	if (len <= 5 || strcmp(name + len - 5, ".json") || len - 5 > GT_ID_MAX) {
		problem(v, "beads/%s/%s: not a bead file name", shard, name);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(len - 5), name);
	if (gt_id_check(id) < 0) {
		problem(v, "beads/%s/%s: %s", shard, name, gt_error_last());
		return;
	}
	gt_bead_shard(want, id);
	if (strcmp(want, shard))
		problem(v, "beads/%s/%s: belongs in shard %s", shard, name, want);
	if (git_blob_lookup(&blob, ctx->lg->git, blob_id) < 0) {
		problem(v, "beads/%s/%s: cannot read the blob", shard, name);
		return;
	}
	if (gt_json_parse(&b, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), name, 1) <
	    0) {
		problem(v, "beads/%s/%s: %s", shard, name, gt_error_last());
	} else if (!gt_json_str(b, "id") || strcmp(gt_json_str(b, "id"), id)) {
		problem(v, "beads/%s/%s: the id inside is '%s'", shard, name,
			gt_json_str(b, "id") ? gt_json_str(b, "id") : "(none)");
	} else if (gt_bead_validate(b, &ctx->vocab) < 0) {
		problem(v, "beads/%s/%s: %s", shard, name, gt_error_last());
	} else {
		gt_bead_serialize(&canon, b);
		gt_buf_addch(&canon, '\n');
		if (canon.len != (size_t)git_blob_rawsize(blob) ||
		    memcmp(canon.ptr, git_blob_rawcontent(blob), canon.len))
			problem(v, "beads/%s/%s: not in canonical form", shard, name);
	}
	cJSON_Delete(b);
	gt_buf_release(&canon);
	git_blob_free(blob);
}

long gt_ledger_verify(struct gt_ctx *ctx, gt_verify_cb cb, void *payload, size_t *nproblems)
{
	struct vctx v = { cb, payload, 0 };
	struct gt_ledger *lg = ctx->lg;
	const git_tree_entry *be;
	git_tree *beads = NULL;
	long checked = 0;
	int rc;

	*nproblems = 0;
	if (!lg->tree)
		return gt_error_set(GT_ENOTFOUND, "no ledger");
	if ((rc = gt_ctx_config(ctx)) < 0)
		problem(&v, "config: %s", gt_error_last());
	for (size_t i = 0; i < git_tree_entrycount(lg->tree); i++) {
		const char *n = git_tree_entry_name(git_tree_entry_byindex(lg->tree, i));

		if (strcmp(n, "beads") && strcmp(n, "config") && strcmp(n, "agents") &&
		    strcmp(n, "rigs") && strcmp(n, "beads-config.json") &&
		    strcmp(n, "beads-events.jsonl") && strcmp(n, "estop.json"))
			problem(&v, "%s: not something gt writes", n);
	}
	be = git_tree_entry_byname(lg->tree, "beads");
	if (be && git_tree_lookup(&beads, lg->git, git_tree_entry_id(be)) < 0)
		return gt_error_git(GT_EFAIL, "cannot read the beads tree");
	for (size_t s = 0; beads && s < git_tree_entrycount(beads); s++) {
		const git_tree_entry *se = git_tree_entry_byindex(beads, s);
		const char *sn = git_tree_entry_name(se);
		git_tree *shard;

		if (git_tree_entry_type(se) != GIT_OBJECT_TREE || strlen(sn) != 2) {
			problem(&v, "beads/%s: not a shard", sn);
			continue;
		}
		if (git_tree_lookup(&shard, lg->git, git_tree_entry_id(se)) < 0) {
			problem(&v, "beads/%s: cannot read the shard", sn);
			continue;
		}
		for (size_t i = 0; i < git_tree_entrycount(shard); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(shard, i);

			check_bead(&v, ctx, sn, git_tree_entry_name(e), git_tree_entry_id(e));
			checked++;
		}
		git_tree_free(shard);
	}
	git_tree_free(beads);
	gt_error_clear();
	*nproblems = v.n;
	return checked;
}

long gt_count_loose(const struct gt_repo *repo)
{
	struct gt_buf p = GT_BUF_INIT;
	size_t n;

	gt_buf_printf(&p, "%s/objects", repo->common_dir);
	n = gt_loose_scan(p.ptr, NULL, SIZE_MAX);
	gt_buf_release(&p);
	return (long)n;
}

long gt_count_packs(const struct gt_repo *repo)
{
	struct gt_buf p = GT_BUF_INIT;
	struct dirent *e;
	long n = 0;
	DIR *d;

	gt_buf_printf(&p, "%s/objects/pack", repo->common_dir);
	if ((d = opendir(p.ptr))) {
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);

			n += l > 5 && !strcmp(e->d_name + l - 5, ".pack");
		}
		closedir(d);
	}
	gt_buf_release(&p);
	return n;
}
