/*
 * history.c - a long ledger history, quickly: a git fast-import stream of
 * COMMITS ledger commits on top of refs/gt/ledger.
 *
 * usage: history [-s SEED] [-H HOT] [-g GROUP%] [-r REPORT] COMMITS
 *            (in the ledger repository) | git fast-import --quiet
 *
 * Each commit is what gt's writers make (lib/store/ledger.c write_commit,
 * lib/store/ops.c note_change): one bead changed in its canonical form
 * (gt_bead_serialize), subject "<command>: <verb> <id>[: <detail>]",
 * author and committer the acting agent ("app/polecats/jade" <app.
 * polecats.jade@gt.invalid>), a "Gt-Bead: <id>" trailer (and "Gt-Reason"
 * for a close with a reason).  GROUP% of the commits (default 15) are
 * group commits of 2 to 6 operations by different agents, in the format of
 * lib/store/ledger.h: the first subject followed by " (+N operations)",
 * then a "Gt-Op: <command> by <name> <<email>>: <summary>" line and that
 * operation's trailers per operation.
 *
 * The operations, on the beads of the tip's tree: a label added (35%), a
 * priority changed (20%), a comment (15%), an open bead taken into
 * progress (15%), an in-progress bead closed (15%); what does not apply
 * to the bead picked becomes a comment.  80% of them touch HOT beads
 * (default 2000) picked once at random, the rest any bead, so the hot ones
 * gather a realistic log of dozens of changes.  Commit times run one to
 * three seconds apart and end now.
 *
 * REPORT gets "id changes" lines: the most changed bead first, then the
 * least changed one (once, at 100k beads), the earliest changed of those
 * (gt-bead-log's two cases: a long log, and a short one far down).  Deterministic for a given
 * ledger, COMMITS and SEED, but for the commit times.
 */
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "base/buf.h"
#include "store/bead.h"
#include "store/repo.h"
#include "base/banned.h"

struct bead {
	char *path; /* beads/xx/<id>.json */
	char *id;
	git_oid blob;
	char *now; /* current serialized form; NULL: still the tip's blob */
	long touches, first;
};

static struct bead *beads;
static size_t nbeads, alloc_beads;
static git_repository *repo;

static int collect(const char *root, const git_tree_entry *e, void *payload)
{
	const char *name = git_tree_entry_name(e);
	size_t len = strlen(name);
	struct gt_buf b = GT_BUF_INIT;

	(void)payload;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || len < 6 || strcmp(name + len - 5, ".json"))
		return 0;
	if (nbeads == alloc_beads) {
		alloc_beads = alloc_beads ? 2 * alloc_beads : 4096;
		beads = xrealloc(beads, alloc_beads * sizeof(*beads));
	}
	gt_buf_printf(&b, "beads/%s%s", root, name);
	memset(&beads[nbeads], 0, sizeof(beads[nbeads]));
	beads[nbeads].path = gt_buf_detach(&b);
	beads[nbeads].id = xstrdup(name);
	beads[nbeads].id[len - 5] = '\0';
	beads[nbeads].first = -1;
	git_oid_cpy(&beads[nbeads].blob, git_tree_entry_id(e));
	nbeads++;
	return 0;
}

static cJSON *load(struct bead *b)
{
	cJSON *j;

	if (b->now) {
		j = cJSON_Parse(b->now);
	} else {
		git_blob *blob;

		if (git_blob_lookup(&blob, repo, &b->blob) < 0)
			die("cannot read a bead's blob");
		j = cJSON_ParseWithLength(git_blob_rawcontent(blob),
					  (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
	}
	if (!j)
		die("a bead in the ledger does not parse");
	return j;
}

static void store(struct bead *b, cJSON *j)
{
	struct gt_buf out = GT_BUF_INIT;

	gt_bead_serialize(&out, j);
	gt_buf_addch(&out, '\n');
	free(b->now);
	b->now = gt_buf_detach(&out);
}

static const char *const rigs[] = { "app", "web", "infra" };
static const char *const names[] = { "agate",  "basalt", "beryl", "calcite", "chert",
				     "cobalt", "copper", "flint", "garnet",  "jade" };
static const char *const labels[] = {
	"needs-review",	    "flaky",	"perf", "regression",	    "triaged",
	"blocked-upstream", "security", "docs", "good-first-issue", "ux"
};
static const char *const words[] = { "rebased", "the",	"branch", "onto",  "main",
				     "tests",	"pass", "again",  "after", "fixing",
				     "a",	"race", "in",	  "lock",  "handling",
				     "waiting", "on",	"review", "merge", "queue" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* the agent acting: name and e-mail the way resolve_actor() makes them */
static void actor(char *name, size_t nlen, char *email, size_t elen)
{
	const char *rig = rigs[rnd() % NELEM(rigs)], *who = names[rnd() % NELEM(names)];

	snprintf(name, nlen, "%s/polecats/%s", rig, who);
	snprintf(email, elen, "%s.polecats.%s@gt.invalid", rig, who);
}

/* One operation on bead b at time `when`: changes it and appends the
 * command to cmd, the summary to sum and the trailers to tr. */
static void operate(struct bead *b, const char *when, const char *who, struct gt_buf *cmd,
		    struct gt_buf *sum, struct gt_buf *tr)
{
	cJSON *j = load(b);
	const char *status = gt_bead_status(j);
	unsigned op = (unsigned)(rnd() % 100);

	if (op < 35) {
		const char *l = labels[rnd() % NELEM(labels)];

		if (gt_bead_label_add(j, l)) {
			gt_buf_adds(cmd, "gt-bead-label");
			gt_buf_printf(sum, "label %s: +%s", b->id, l);
			goto done;
		}
	} else if (op < 55) {
		int p = (gt_bead_priority(j) + 1 + (int)(rnd() % 4)) % 5;

		cJSON_DeleteItemFromObjectCaseSensitive(j, "priority");
		cJSON_AddNumberToObject(j, "priority", p);
		gt_buf_adds(cmd, "gt-bead-update");
		gt_buf_printf(sum, "update %s: priority", b->id);
		goto done;
	} else if (op >= 70 && op < 85 && !strcmp(status, "open")) {
		gt_bead_set_str(j, "status", "in_progress");
		gt_bead_set_str(j, "assignee", who);
		gt_buf_adds(cmd, "gt-bead-update");
		gt_buf_printf(sum, "update %s: status, assignee", b->id);
		goto done;
	} else if (op >= 85 && !strcmp(status, "in_progress")) {
		gt_bead_set_str(j, "status", "closed");
		gt_bead_set_str(j, "closed_at", when);
		gt_bead_set_str(j, "close_reason", "done");
		gt_buf_adds(cmd, "gt-bead-close");
		gt_buf_printf(sum, "close %s: done", b->id);
		gt_buf_adds(tr, "Gt-Reason: done\n");
		goto done;
	}
	/* a comment: what every other case falls back to */
	{
		cJSON *comments = cJSON_GetObjectItemCaseSensitive(j, "comments"), *c;
		struct gt_buf text = GT_BUF_INIT;
		int next = 1;
		size_t n = 6 + rnd() % 12;

		if (!cJSON_IsArray(comments)) {
			cJSON_DeleteItemFromObjectCaseSensitive(j, "comments");
			comments = cJSON_AddArrayToObject(j, "comments");
		}
		next += cJSON_GetArraySize(comments);
		for (size_t k = 0; k < n; k++)
			gt_buf_printf(&text, "%s%s", k ? " " : "", words[rnd() % NELEM(words)]);
		c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "id", next);
		cJSON_AddStringToObject(c, "issue_id", b->id);
		cJSON_AddStringToObject(c, "author", who);
		cJSON_AddStringToObject(c, "text", text.ptr);
		cJSON_AddStringToObject(c, "created_at", when);
		cJSON_AddItemToArray(comments, c);
		gt_buf_adds(cmd, "gt-bead-comment");
		gt_buf_printf(sum, "comment %s: %s", b->id, text.ptr);
		gt_buf_release(&text);
	}
done:
	gt_bead_set_str(j, "updated_at", when);
	gt_bead_canonicalize(j);
	store(b, j);
	cJSON_Delete(j);
	gt_buf_printf(tr, "Gt-Bead: %s\n", b->id);
}

static void data(const char *p, size_t n)
{
	printf("data %zu\n", n);
	fwrite(p, 1, n, stdout);
	putchar('\n');
}

int main(int argc, char **argv)
{
	static char obuf[1 << 20];
	long commits, hot = 2000, group = 15;
	uint64_t seed = 42;
	const char *report = NULL;
	size_t *hotset;
	git_reference *ref;
	git_commit *tip;
	git_tree *tree, *sub;
	git_tree_entry *e;
	int64_t t;
	int opt;

	bench_prog = "history";
	while ((opt = getopt(argc, argv, "s:H:g:r:")) != -1) {
		switch (opt) {
		case 's': seed = (uint64_t)parse_num(optarg, "seed", 0, 1); break;
		case 'H': hot = (long)parse_num(optarg, "hot bead count", 1, 1); break;
		case 'g': group = (long)parse_num(optarg, "group percentage", 0, 1); break;
		case 'r': report = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	commits = (long)parse_num(argv[optind], "commit count", 1, 1);
	if (group > 100)
		die("the group percentage is at most 100");
	bench_rng = seed;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));

	if (gt_git_init() < 0 || git_repository_open_ext(&repo, ".", 0, NULL) < 0)
		die("not in a git repository");
	if (git_reference_lookup(&ref, repo, "refs/gt/ledger") < 0 ||
	    git_commit_lookup(&tip, repo, git_reference_target(ref)) < 0 ||
	    git_commit_tree(&tree, tip) < 0)
		die("no ledger here (refs/gt/ledger)");
	if (git_tree_entry_bypath(&e, tree, "beads") < 0 ||
	    git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0)
		die("the ledger has no beads/ tree");
	git_tree_walk(sub, GIT_TREEWALK_PRE, collect, NULL);
	if (!nbeads)
		die("the ledger has no beads");
	if ((size_t)hot > nbeads)
		hot = (long)nbeads;
	/* the hot beads: a partial Fisher-Yates shuffle of the indexes */
	hotset = xrealloc(NULL, nbeads * sizeof(*hotset));
	for (size_t i = 0; i < nbeads; i++)
		hotset[i] = i;
	for (size_t i = 0; i < (size_t)hot; i++) {
		size_t j = i + rnd() % (nbeads - i), x = hotset[i];

		hotset[i] = hotset[j];
		hotset[j] = x;
	}

	printf("feature done\n");
	t = (int64_t)time(NULL) - 2 * commits;
	for (long c = 0; c < commits; c++) {
		struct gt_buf msg = GT_BUF_INIT, tr = GT_BUF_INIT, subj = GT_BUF_INIT;
		int nops = 1 + ((long)(rnd() % 100) < group ? 1 + (int)(rnd() % 5) : 0);
		size_t touched[8];
		char when[40], name[64], email[96];

		t += 1 + (int64_t)(rnd() % 3);
		gt_time_seconds(when, sizeof(when), t);
		for (int k = 0; k < nops; k++) {
			struct gt_buf cmd = GT_BUF_INIT, sum = GT_BUF_INIT, optr = GT_BUF_INIT;
			char oname[64], oemail[96];
			size_t i =
				rnd() % 100 < 80 ? hotset[rnd() % (uint64_t)hot] : rnd() % nbeads;

			actor(oname, sizeof(oname), oemail, sizeof(oemail));
			if (!k) {
				memcpy(name, oname, sizeof(name));
				memcpy(email, oemail, sizeof(email));
			}
			operate(&beads[i], when, oname, &cmd, &sum, &optr);
			if (beads[i].first < 0)
				beads[i].first = c;
			beads[i].touches++;
			touched[k] = i;
			if (!k)
				gt_buf_printf(&subj, "%s: %s", cmd.ptr, sum.ptr);
			if (nops > 1)
				gt_buf_printf(&tr, "Gt-Op: %s by %s <%s>: %s\n", cmd.ptr, oname,
					      oemail, sum.ptr);
			gt_buf_adds(&tr, optr.ptr);
			gt_buf_release(&cmd);
			gt_buf_release(&sum);
			gt_buf_release(&optr);
		}
		gt_buf_adds(&msg, subj.ptr);
		if (nops > 1)
			gt_buf_printf(&msg, " (+%d operations)", nops - 1);
		gt_buf_printf(&msg, "\n\n%s", tr.ptr);

		printf("commit refs/gt/ledger\n");
		printf("author %s <%s> %lld +0000\n", name, email, (long long)t);
		printf("committer %s <%s> %lld +0000\n", name, email, (long long)t);
		data(msg.ptr, msg.len);
		if (!c)
			printf("from %s\n", git_oid_tostr_s(git_commit_id(tip)));
		for (int k = 0; k < nops; k++) {
			struct bead *b = &beads[touched[k]];
			int again = 0;

			for (int m = k + 1; m < nops; m++)
				again |= touched[m] == touched[k];
			if (again) /* a later operation in this commit wrote it too */
				continue;
			printf("M 100644 inline %s\n", b->path);
			data(b->now, strlen(b->now));
		}
		putchar('\n');
		gt_buf_release(&msg);
		gt_buf_release(&tr);
		gt_buf_release(&subj);
	}
	printf("done\n");
	if (fflush(stdout) || ferror(stdout))
		die("write error");

	if (report) {
		FILE *f = fopen(report, "w");
		size_t most = 0, once = SIZE_MAX;

		if (!f)
			die("cannot write the report");
		for (size_t i = 0; i < nbeads; i++) {
			if (beads[i].touches > beads[most].touches)
				most = i;
			if (beads[i].touches &&
			    (once == SIZE_MAX || beads[i].touches < beads[once].touches ||
			     (beads[i].touches == beads[once].touches &&
			      beads[i].first < beads[once].first)))
				once = i;
		}
		fprintf(f, "%s %ld\n", beads[most].id, beads[most].touches);
		if (once != SIZE_MAX)
			fprintf(f, "%s %ld\n", beads[once].id, beads[once].touches);
		if (fclose(f))
			die("cannot write the report");
	}
	for (size_t i = 0; i < nbeads; i++) {
		free(beads[i].path);
		free(beads[i].id);
		free(beads[i].now);
	}
	free(beads);
	free(hotset);
	git_tree_entry_free(e);
	git_tree_free(sub);
	git_tree_free(tree);
	git_commit_free(tip);
	git_reference_free(ref);
	git_repository_free(repo);
	gt_git_shutdown();
	return 0;

usage:
	fputs("usage: history [-s SEED] [-H HOT] [-g GROUP%] [-r REPORT] COMMITS "
	      "| git fast-import --quiet\n",
	      stderr);
	return 2;
}
