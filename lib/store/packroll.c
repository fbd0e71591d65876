/*
 * packroll.c - roll small packs into one (packroll.h).
 */
#include "store/packroll.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "store/packwrite.h"
#include "base/banned.h"

struct cand {
	const char *name; /* "pack-<hex>.pack" */
	uint32_t n;	  /* objects, from its index */
};

/* "<dir>/<pack name without .pack><suffix>" */
static void file_of(struct gt_buf *out, const char *dir, const char *pack, const char *suffix)
{
	gt_buf_reset(out);
	gt_buf_printf(out, "%s/%.*s%s", dir, (int)(strlen(pack) - 5), pack, suffix);
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n ? 1 : strcmp(x->name, y->name);
}

/* Remove a pack ("pack-<hex>.pack" in dir), its index first. */
static void remove_pack(const char *dir, const char *pack)
{
	static const char *const order[] = { ".idx", ".pack", ".rev", ".bitmap" };
	struct gt_buf path = GT_BUF_INIT;

	for (size_t k = 0; k < sizeof(order) / sizeof(*order); k++) {
		file_of(&path, dir, pack, order[k]);
		unlink(path.ptr);
	}
	gt_buf_release(&path);
}

/* One new pack of the objects of packs[0..n), each once, with deltas
 * between them (libgit2's pack builder); its name ("pack-<hex>.pack")
 * goes to made.  Only for packs that share objects: it costs ~15 ms of
 * delta search per commit's pack at 100k beads. */
static int build_with_deltas(git_repository *git, const char *dir, const char *const *packs,
			     size_t n, struct gt_buf *made)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	git_packbuilder *pb = NULL;
	int rc = 0;

	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (git_packbuilder_new(&pb, git) < 0)
		return gt_error_git(GT_EFAIL, "cannot start a pack");
	git_packbuilder_set_threads(pb, 1);
	for (size_t i = 0; i < n && !rc; i++) {
		const unsigned char *ids;
		uint32_t count;

		file_of(&path, dir, packs[i], ".idx");
		if (gt_pack_idx_read(&data, path.ptr, &count) < 0) {
			rc = GT_EFAIL;
			break;
		}
		ids = (const unsigned char *)data.ptr + 8 + 1024;
		for (uint32_t k = 0; k < count && !rc; k++) {
			git_oid id;

			git_oid_fromraw(&id, ids + (size_t)k * GIT_OID_RAWSZ);
			if (git_packbuilder_insert(pb, &id, NULL) < 0)
				rc = gt_error_git(GT_EFAIL, "cannot add %s to the pack",
						  git_oid_tostr_s(&id));
		}
	}
	if (!rc && git_packbuilder_write(pb, dir, 0, NULL, NULL) < 0)
		rc = gt_error_git(GT_EFAIL, "cannot write the rolled-up pack");
	if (!rc) {
		gt_buf_reset(made);
		gt_buf_printf(made, "pack-%s.pack", git_packbuilder_name(pb));
	}
	git_packbuilder_free(pb);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

/* One new pack of packs[0..n) copied as they are (packwrite.h), or,
 * when an object is in two of them, built again with deltas. */
static int concatenate(git_repository *git, const char *common_dir, const char *dir,
		       const char *const *packs, size_t n, struct gt_buf *made)
{
	struct gt_buf objdir = GT_BUF_INIT;
	const char **paths = gt_calloc(n ? n : 1, sizeof(*paths));
	char name[GIT_OID_HEXSZ + 1];
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct gt_buf p = GT_BUF_INIT;

		file_of(&p, dir, packs[i], "");
		paths[i] = gt_buf_detach(&p);
	}
	gt_buf_printf(&objdir, "%s/objects", common_dir);
	rc = gt_pack_concat(objdir.ptr, paths, n, name);
	if (rc == 0) {
		gt_buf_reset(made);
		gt_buf_printf(made, "pack-%s.pack", name);
	} else if (rc == 1) {
		rc = build_with_deltas(git, dir, packs, n, made);
	}
	for (size_t i = 0; i < n; i++)
		free((char *)paths[i]);
	free(paths);
	gt_buf_release(&objdir);
	return rc;
}

int gt_pack_rollup(git_repository *git, const char *common_dir, const struct gt_strlist *packs)
{
	struct gt_buf dir = GT_BUF_INIT, path = GT_BUF_INIT, joined = GT_BUF_INIT;
	struct cand *c = NULL;
	const char **list = NULL;
	size_t nc = 0, alloc = 0, take = 0;
	uint64_t sum = 0;
	int rc = 0;

	gt_buf_printf(&dir, "%s/objects/pack", common_dir);
	for (size_t i = 0; i < packs->n; i++) {
		uint32_t count;

		file_of(&path, dir.ptr, packs->v[i], ".idx");
		if (gt_pack_idx_count(path.ptr, &count) < 0) {
			gt_error_clear(); /* removed meanwhile, or not ours to judge */
			continue;
		}
		GT_ALLOC_GROW(c, nc + 1, alloc);
		c[nc].name = packs->v[i];
		c[nc].n = count;
		nc++;
	}
	if (nc > 1)
		qsort(c, nc, sizeof(*c), cand_cmp);
	/* smallest first, while the next is at most twice the sum so far */
	while (take < nc && (take < 2 || c[take].n <= 2 * sum))
		sum += c[take++].n;
	if (take < 2)
		goto out;
	list = gt_calloc(take, sizeof(*list));
	for (size_t i = 0; i < take; i++)
		list[i] = c[i].name;
	if ((rc = concatenate(git, common_dir, dir.ptr, list, take, &joined)) < 0)
		goto out;
	for (size_t i = 0; i < take; i++)
		if (strcmp(list[i], joined.ptr))
			remove_pack(dir.ptr, list[i]);
out:
	free(c);
	free(list);
	gt_buf_release(&dir);
	gt_buf_release(&path);
	gt_buf_release(&joined);
	return rc;
}
