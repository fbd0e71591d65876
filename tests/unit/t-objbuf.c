/*
 * t-objbuf.c - a process reads the packs it wrote: forty flushes in one
 * process (past the sixteen it reads through backends of their own, then
 * by listing objects/pack again), every object of every round readable
 * after each; a pack removed before it was ever read (rolled into another
 * by a second process) is found in the pack that took its objects.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gt.h"
#include "store/objbuf.h"
#include "store/packwrite.h"
#include "tap.h"

#define ROUNDS 40

/* The content of round k's object. */
static void content(char *buf, size_t size, int k)
{
	snprintf(buf, size, "round %d of the object buffer's packs\n", k);
}

/* Whether the object of round k reads back the same through odb. */
static int readable(git_odb *odb, const git_oid *id, int k)
{
	git_odb_object *o;
	char want[128];
	int same;

	content(want, sizeof(want), k);
	if (git_odb_exists(odb, id) != 1 || git_odb_read(&o, odb, id) < 0)
		return 0;
	same = git_odb_object_size(o) == strlen(want) &&
	       !memcmp(git_odb_object_data(o), want, strlen(want));
	git_odb_object_free(o);
	return same;
}

/* Flush one object (round k) as a pack of its own; *name: the pack. */
static int flush_round(struct gt_objbuf *ob, git_odb *odb, int k, git_oid *id)
{
	char buf[128];

	content(buf, sizeof(buf), k);
	gt_objbuf_collect(ob, 1);
	if (git_odb_write(id, odb, buf, strlen(buf), GIT_OBJECT_BLOB) < 0)
		return -1;
	return gt_objbuf_flush(ob, 1);
}

struct one {
	struct gt_packobj o;
};

static const struct gt_packobj *get_one(void *ctx, size_t i)
{
	(void)i;
	return &((struct one *)ctx)->o;
}

int main(void)
{
	char dir[] = "/tmp/gt-t-objbuf.XXXXXX", objdir[4300], name[GIT_OID_HEXSZ + 1], cmd[8800];
	git_oid ids[ROUNDS + 1];
	git_repository *r;
	struct gt_objbuf *ob;
	git_odb *odb;
	int all = 1;

	git_libgit2_init();
	if (!mkdtemp(dir) || git_repository_init(&r, dir, 1) < 0 || gt_objbuf_attach(&ob, r) < 0 ||
	    git_repository_odb(&odb, r) < 0) {
		ok(0, "a scratch repository with the object buffer");
		return tap_done();
	}
	snprintf(objdir, sizeof(objdir), "%s/objects", dir);
	for (int k = 0; k < ROUNDS && all; k++) {
		if (flush_round(ob, odb, k, &ids[k]) < 0) {
			all = 0;
			break;
		}
		gt_objbuf_collect(ob, 0);
		for (int j = 0; j <= k && all; j++)
			all = readable(odb, &ids[j], j);
		if (!all)
			printf("# after round %d: an object is not readable\n", k);
	}
	ok(all, "%d flushes in one process: every object readable after each", ROUNDS);
	{
		/* round 40 flushed, then, before anything reads it, rolled into
		 * another pack by someone else and removed */
		struct one one;
		char buf[128], *hex;
		int rolled;

		rolled = flush_round(ob, odb, ROUNDS, &ids[ROUNDS]) == 0;
		gt_objbuf_collect(ob, 0);
		content(buf, sizeof(buf), ROUNDS);
		memset(&one, 0, sizeof(one));
		git_oid_cpy(&one.o.id, &ids[ROUNDS]);
		one.o.type = GIT_OBJECT_BLOB;
		one.o.data = (const unsigned char *)buf;
		one.o.len = strlen(buf);
		hex = git_oid_tostr_s(&ids[ROUNDS]);
		rolled = rolled && gt_pack_write(objdir, get_one, &one, 1, name) == 0;
		/* remove every pack holding it but the new one */
		snprintf(cmd, sizeof(cmd),
			 "cd '%s/pack' && for i in pack-*.idx; do "
			 "[ \"$i\" = pack-%s.idx ] && continue; "
			 "git show-index <\"$i\" | grep -q ' %s ' && rm -f \"${i%%.idx}\".pack "
			 "\"$i\"; "
			 "done; true",
			 objdir, name, hex);
		rolled = rolled && system(cmd) == 0;
		ok(rolled, "an own pack rolled into another and removed, unread");
		ok(readable(odb, &ids[ROUNDS], ROUNDS), "its object is read from the other pack");
	}
	git_odb_free(odb);
	git_repository_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "cleaned up");
	git_libgit2_shutdown();
	return tap_done();
}
