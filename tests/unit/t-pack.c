/*
 * t-pack.c - the pack writer: packs of every size read back through
 * libgit2 object for object, and git verify-pack (which re-inflates every
 * entry and checks the CRCs, offsets and both checksums) accepts them.
 */
#include <git2.h>
#include <stdlib.h>
#include <unistd.h>

#include "gt.h"
#include "store/packwrite.h"
#include "tap.h"

struct set {
	struct gt_packobj *o;
	size_t n;
};

static const struct gt_packobj *get(void *ctx, size_t i)
{
	return &((struct set *)ctx)->o[i];
}

/* n objects of assorted sizes (0, 15, 16, 2047, a megabyte ...). */
static void make(struct set *s, size_t n, unsigned seed)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 127, 2047, 2048, 70000, 1u << 20 };

	s->n = n;
	s->o = calloc(n ? n : 1, sizeof(*s->o));
	for (size_t i = 0; i < n; i++) {
		size_t len = i < 9 ? sizes[i] : 200 + (i * 37 + seed) % 1800;
		unsigned char *d = malloc(len ? len : 1);

		for (size_t k = 0; k < len; k++) /* some text, some noise */
			d[k] = (unsigned char)(k % 3 ? 'a' + (k + i) % 26
						     : (k * 2654435761u + i) >> 7);
		if (len >= 8)
			snprintf((char *)d, 8, "%07u",
				 (unsigned)(i % 10000000)); /* distinct contents */
		s->o[i].type = GIT_OBJECT_BLOB;
		s->o[i].len = len;
		s->o[i].data = d;
		git_odb_hash(&s->o[i].id, d, len, GIT_OBJECT_BLOB);
	}
}

static void drop(struct set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free((void *)s->o[i].data);
	free(s->o);
}

/* Every object reads back the same from a freshly opened repository. */
static int reads_back(const char *gitdir, const struct set *s)
{
	git_repository *r;
	git_odb *odb;
	int bad = 0;

	if (git_repository_open(&r, gitdir) < 0 || git_repository_odb(&odb, r) < 0)
		return 0;
	for (size_t i = 0; i < s->n && !bad; i++) {
		git_odb_object *o;

		if (git_odb_read(&o, odb, &s->o[i].id) < 0) {
			bad = 1;
			break;
		}
		bad = git_odb_object_size(o) != s->o[i].len ||
		      memcmp(git_odb_object_data(o), s->o[i].data, s->o[i].len) != 0;
		git_odb_object_free(o);
	}
	git_odb_free(odb);
	git_repository_free(r);
	return !bad;
}

static int verify_pack(const char *gitdir, const char *name)
{
	char cmd[8400];

	snprintf(cmd, sizeof(cmd), "git verify-pack '%s/objects/pack/pack-%s.idx' >/dev/null 2>&1",
		 gitdir, name);
	return system(cmd) == 0;
}

int main(void)
{
	char dir[] = "/tmp/gt-t-pack.XXXXXX", gitdir[4200], objdir[4300], name[GIT_OID_HEXSZ + 1];
	const size_t counts[] = { 1, 9, 2047, 2048, 12000 };
	git_repository *r;

	git_libgit2_init();
	if (!mkdtemp(dir) || git_repository_init(&r, dir, 1) < 0) {
		ok(0, "a scratch repository");
		return tap_done();
	}
	git_repository_free(r);
	snprintf(gitdir, sizeof(gitdir), "%s", dir);
	snprintf(objdir, sizeof(objdir), "%s/objects", dir);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		struct set s;

		make(&s, counts[c], (unsigned)c);
		ok(gt_pack_write(objdir, get, &s, s.n, name) == 0, "%zu objects: written", s.n);
		ok(verify_pack(gitdir, name), "%zu objects: git verify-pack accepts it", s.n);
		ok(reads_back(gitdir, &s), "%zu objects: every object reads back", s.n);
		drop(&s);
	}
	{
		struct set s;
		char before[8192], after[8192], cmd[4400];
		FILE *f;
		size_t nb, na;

		struct gt_packobj keep;

		make(&s, 3, 9);
		keep = s.o[2];
		s.o[2] = s.o[0]; /* the same object twice */
		snprintf(cmd, sizeof(cmd), "ls -a '%s/objects/pack'", dir);
		f = popen(cmd, "r");
		nb = fread(before, 1, sizeof(before) - 1, f);
		pclose(f);
		ok(gt_pack_write(objdir, get, &s, s.n, name) == GT_EFAIL,
		   "a duplicate id is refused");
		f = popen(cmd, "r");
		na = fread(after, 1, sizeof(after) - 1, f);
		pclose(f);
		ok(na == nb && !memcmp(before, after, na), "and leaves no file behind");
		s.o[2] = keep;
		drop(&s);
	}
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ok(system(cmd) == 0, "cleaned up");
	}
	git_libgit2_shutdown();
	return tap_done();
}
