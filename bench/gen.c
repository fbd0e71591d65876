/*
 * gen.c - deterministic generator of realistic beads for the benchmarks.
 *
 * usage: gen N SEED PREFIX > beads.jsonl
 *
 * Writes N beads as Beads JSONL (one issue per line, era C field order) so
 * that every benchmark run measures the same ledger.  The mix imitates a
 * busy town: 30% open, 5% in_progress, 60% closed, 5% blocked, deferred or
 * hooked; priorities 0-4; ~3% epics, each with 5-40 children "<epic>.<n>"
 * linked by parent-child edges (so children make up about two thirds of
 * the beads); ~25% of the beads carry a "blocks" edge to an earlier bead,
 * partly as chains of 5-20 beads; a few "related" and "discovered-from"
 * edges.  Descriptions are ~800 bytes of random words, so a bead is ~1 KB.
 * created_at is spread over two years (2024-2025) in creation order; edges
 * only ever point at earlier beads, so there are no cycles.
 *
 * The only source of variation is SEED (splitmix64): the same N, SEED and
 * PREFIX always give byte-identical output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "base/banned.h"

#define ID_DIGITS  6
#define ID_MAX	   96
#define CHAINS	   6
#define START_TIME 1704067200LL /* 2024-01-01T00:00:00Z */
#define SPAN	   (2LL * 365 * 24 * 3600)

/* uniform in [0, n) (n > 0); the modulo bias is irrelevant here */
static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static int percent(unsigned p)
{
	return below(100) < p;
}

static const char *const words[] = {
	"agent",      "api",	  "async",    "backoff",  "batch",    "bead",	    "branch",
	"buffer",     "build",	  "cache",    "callback", "channel",  "checkout",   "cli",
	"client",     "commit",	  "compile",  "config",	  "conflict", "context",    "convoy",
	"crash",      "daemon",	  "deadlock", "debug",	  "default",  "dependency", "deploy",
	"diff",	      "docs",	  "edge",     "encode",	  "endpoint", "error",	    "event",
	"export",     "fallback", "fetch",    "field",	  "file",     "filter",	    "flag",
	"flaky",      "format",	  "graph",    "handler",  "hash",     "header",	    "hook",
	"import",     "index",	  "input",    "issue",	  "job",      "json",	    "key",
	"latency",    "layout",	  "ledger",   "limit",	  "lock",     "log",	    "loop",
	"mail",	      "memory",	  "merge",    "message",  "metric",   "migrate",    "mock",
	"module",     "monitor",  "mutex",    "network",  "node",     "null",	    "object",
	"offset",     "option",	  "order",    "output",	  "pack",     "page",	    "panic",
	"parse",      "patch",	  "path",     "payload",  "pipeline", "plugin",	    "pointer",
	"polecat",    "pool",	  "port",     "prefix",	  "process",  "prompt",	    "proxy",
	"query",      "queue",	  "race",     "rebase",	  "record",   "refactor",   "refinery",
	"regression", "release",  "remote",   "render",	  "repo",     "request",    "retry",
	"rig",	      "rollback", "route",    "runtime",  "schema",   "scope",	    "script",
	"session",    "shard",	  "signal",   "sling",	  "socket",   "sort",	    "stack",
	"state",      "status",	  "stream",   "string",	  "sync",     "table",	    "task",
	"template",   "test",	  "thread",   "timeout",  "token",    "trace",	    "tree",
	"update",     "upgrade",  "user",     "validate", "value",    "version",    "witness",
	"worker",     "worktree", "write",    "yaml",	  "zombie",   "the",	    "a",
	"when",	      "after",	  "before",   "with",	  "without",  "should",	    "does",
	"not",	      "and",	  "or",	      "for",	  "on",	      "in",	    "is",
	"every",      "no",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const label_vocab[] = {
	"area:cli",
	"area:docs",
	"area:import",
	"area:index",
	"area:ledger",
	"area:merge",
	"area:sessions",
	"area:sync",
	"backend",
	"blocked-upstream",
	"frontend",
	"good-first-issue",
	"needs-design",
	"needs-review",
	"needs-test",
	"perf",
	"regression",
	"security",
	"tech-debt",
	"ux",
	"v1",
	"v2",
	"wontfix-candidate",
	"windows",
};
#define NLABELS (sizeof(label_vocab) / sizeof(label_vocab[0]))

static const char *const agents[] = {
	"bench/polecats/furiosa",
	"bench/polecats/nux",
	"bench/polecats/slit",
	"bench/polecats/capable",
	"bench/polecats/toast",
	"bench/polecats/dag",
	"bench/crew/max",
	"bench/crew/joe",
	"bench/refinery",
	"mayor",
	"alice",
	"bob",
};
#define NAGENTS (sizeof(agents) / sizeof(agents[0]))

static const char *const creators[] = {
	"mayor", "bench/crew/max", "bench/crew/joe", "alice", "bob", "bench/witness",
};
#define NCREATORS (sizeof(creators) / sizeof(creators[0]))

struct dep {
	size_t target; /* index of the bead depended on */
	const char *type;
};

struct bead {
	char id[ID_MAX];
	int64_t created;
};

static struct bead *beads;

/* --- a set of used 6-digit base36 values, open addressing -------------- */

static uint64_t *idset;
static size_t idset_mask;

static int idset_add(uint64_t v)
{
	size_t i = (size_t)((v * 0x9e3779b97f4a7c15ULL) >> 7) & idset_mask;

	v++; /* 0 marks an empty slot */
	while (idset[i]) {
		if (idset[i] == v)
			return 0;
		i = (i + 1) & idset_mask;
	}
	idset[i] = v;
	return 1;
}

static void new_root_id(char *out, const char *prefix)
{
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	const uint64_t space = 2176782336ULL; /* 36^6 */
	char digits[ID_DIGITS + 1];
	uint64_t v;

	do
		v = below(space);
	while (!idset_add(v));
	for (int k = ID_DIGITS - 1; k >= 0; k--) {
		digits[k] = b36[v % 36];
		v /= 36;
	}
	digits[ID_DIGITS] = '\0';
	snprintf(out, ID_MAX, "%s-%s", prefix, digits);
}

/* --- output ----------------------------------------------------------- */

static void put_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void put_time(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("\"%s\"", s);
}

static void put_words(size_t min_len, int capital)
{
	size_t len = 0;

	putchar('"');
	while (len < min_len) {
		const char *w = words[below(NWORDS)];

		if (len) {
			putchar(' ');
			len++;
		}
		if (capital && len == 0) {
			putchar(w[0] - 'a' + 'A');
			fputs(w + 1, stdout);
		} else {
			fputs(w, stdout);
		}
		len += strlen(w);
	}
	putchar('"');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_labels(void)
{
	const char *pick[3] = { NULL, NULL, NULL };
	size_t n = 0, want = 1 + (size_t)below(3);

	while (n < want) {
		const char *l = label_vocab[below(NLABELS)];
		size_t k;

		for (k = 0; k < n && pick[k] != l; k++)
			;
		if (k == n)
			pick[n++] = l;
	}
	qsort(pick, n, sizeof(pick[0]), cmp_str);
	fputs(",\"labels\":[", stdout);
	for (size_t k = 0; k < n; k++) {
		if (k)
			putchar(',');
		put_str(pick[k]);
	}
	putchar(']');
}

/* --- the bead mix ----------------------------------------------------- */

static const char *pick_status(void)
{
	uint64_t r = below(100);

	if (r < 30)
		return "open";
	if (r < 35)
		return "in_progress";
	if (r < 95)
		return "closed";
	if (r < 97)
		return "blocked";
	if (r < 99)
		return "deferred";
	return "hooked";
}

static int pick_priority(void)
{
	uint64_t r = below(100);

	return r < 5 ? 0 : r < 25 ? 1 : r < 70 ? 2 : r < 90 ? 3 : 4;
}

static const char *pick_type(void)
{
	uint64_t r = below(100);

	return r < 45 ? "task" : r < 70 ? "bug" : r < 90 ? "feature" : "chore";
}

struct chain {
	size_t last;	    /* newest bead of the chain */
	unsigned remaining; /* beads still to add; 0: slot free */
};

static int has_target(const struct dep *d, size_t n, size_t t)
{
	for (size_t k = 0; k < n; k++)
		if (d[k].target == t)
			return 1;
	return 0;
}

static void emit(size_t i, const char *type, size_t parent, int is_child, struct chain *chains)
{
	struct bead *b = &beads[i];
	const char *status = pick_status();
	const char *creator = creators[below(NCREATORS)];
	int64_t updated = b->created + (int64_t)below(30 * 24 * 3600);
	struct dep deps[6];
	size_t nd = 0;
	int assigned;

	if (is_child)
		deps[nd++] = (struct dep){ parent, "parent-child" };
	if (i > 0 && percent(13)) {
		/* join (or start) one of a few interleaved chains */
		struct chain *c = &chains[below(CHAINS)];

		if (c->remaining == 0) {
			c->remaining = 4 + (unsigned)below(16); /* 5-20 long */
			c->last = i;
		} else {
			if (!has_target(deps, nd, c->last))
				deps[nd++] = (struct dep){ c->last, "blocks" };
			c->last = i;
			c->remaining--;
		}
	}
	if (i > 0 && percent(15)) {
		/* a recent bead, as real blockers usually are */
		size_t lo = i > 2000 ? i - 2000 : 0;
		size_t t = lo + (size_t)below(i - lo);

		if (!has_target(deps, nd, t))
			deps[nd++] = (struct dep){ t, "blocks" };
	}
	if (i > 0 && percent(2)) {
		size_t t = (size_t)below(i);

		if (!has_target(deps, nd, t))
			deps[nd++] = (struct dep){ t, "related" };
	}
	if (i > 0 && percent(2)) {
		size_t t = (size_t)below(i);

		if (!has_target(deps, nd, t))
			deps[nd++] = (struct dep){ t, "discovered-from" };
	}

	fputs("{\"id\":", stdout);
	put_str(b->id);
	fputs(",\"title\":", stdout);
	put_words(20 + (size_t)below(40), 1);
	fputs(",\"description\":", stdout);
	put_words(760 + (size_t)below(80), 0);
	printf(",\"status\":\"%s\",\"priority\":%d,\"issue_type\":\"%s\"", status, pick_priority(),
	       type);
	if (!strcmp(status, "in_progress") || !strcmp(status, "hooked"))
		assigned = 1;
	else if (!strcmp(status, "closed"))
		assigned = percent(50);
	else
		assigned = percent(20);
	if (assigned) {
		fputs(",\"assignee\":", stdout);
		put_str(agents[below(NAGENTS)]);
	}
	fputs(",\"created_at\":", stdout);
	put_time(b->created);
	fputs(",\"created_by\":", stdout);
	put_str(creator);
	fputs(",\"updated_at\":", stdout);
	put_time(updated);
	if (!strcmp(status, "closed")) {
		fputs(",\"closed_at\":", stdout);
		put_time(updated);
	}
	if (percent(35))
		put_labels();
	if (nd) {
		fputs(",\"dependencies\":[", stdout);
		for (size_t k = 0; k < nd; k++) {
			if (k)
				putchar(',');
			fputs("{\"issue_id\":", stdout);
			put_str(b->id);
			fputs(",\"depends_on_id\":", stdout);
			put_str(beads[deps[k].target].id);
			printf(",\"type\":\"%s\",\"created_at\":", deps[k].type);
			put_time(b->created);
			fputs(",\"created_by\":", stdout);
			put_str(creator);
			putchar('}');
		}
		putchar(']');
	}
	fputs("}\n", stdout);
}

static int valid_prefix(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 20 || p[n - 1] == '-')
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
		      (p[k] >= '0' && p[k] <= '9') || p[k] == '-' || p[k] == '_'))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	static char obuf[1 << 20];
	struct chain chains[CHAINS] = { { 0, 0 } };
	size_t n, i = 0, epic = 0, children = 0, child_no = 0;
	unsigned long long seed;
	char *end;
	long long ln;

	bench_prog = "gen";
	if (argc != 4) {
		fputs("usage: gen N SEED PREFIX\n", stderr);
		return 2;
	}
	errno = 0;
	ln = strtoll(argv[1], &end, 10);
	if (errno || *end || ln < 1 || ln > 100000000) {
		fprintf(stderr, "gen: bad N '%s'\n", argv[1]);
		return 2;
	}
	n = (size_t)ln;
	errno = 0;
	seed = strtoull(argv[2], &end, 10);
	if (errno || *end || !*argv[2]) {
		fprintf(stderr, "gen: bad SEED '%s'\n", argv[2]);
		return 2;
	}
	if (!valid_prefix(argv[3])) {
		fprintf(stderr, "gen: bad PREFIX '%s'\n", argv[3]);
		return 2;
	}
	bench_rng = seed;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));

	beads = calloc(n, sizeof(*beads));
	for (idset_mask = 1; idset_mask < 2 * n; idset_mask <<= 1)
		;
	idset = calloc(idset_mask, sizeof(*idset));
	idset_mask--;
	if (!beads || !idset) {
		fputs("gen: out of memory\n", stderr);
		return 1;
	}

	for (i = 0; i < n; i++) {
		int64_t slot = SPAN / (int64_t)n;

		beads[i].created = START_TIME + (int64_t)i * slot +
				   (int64_t)below((uint64_t)(slot > 1 ? slot : 1));
		if (children) {
			char cid[ID_MAX + 32];
			int len = snprintf(cid, sizeof(cid), "%s.%zu", beads[epic].id, ++child_no);

			if (len < 0 || len >= ID_MAX)
				len = ID_MAX - 1;
			memcpy(beads[i].id, cid, (size_t)len);
			beads[i].id[len] = '\0';
			emit(i, pick_type(), epic, 1, chains);
			children--;
			continue;
		}
		new_root_id(beads[i].id, argv[3]);
		/* 9.2% of top-level beads are epics: with ~22.5 children each
		 * that makes ~3% of all beads epics */
		if (n - i > 5 && below(1000) < 92) {
			size_t want = 5 + (size_t)below(36);

			epic = i;
			child_no = 0;
			children = want < n - i - 1 ? want : n - i - 1;
			emit(i, "epic", 0, 0, chains);
		} else {
			emit(i, pick_type(), 0, 0, chains);
		}
	}
	free(beads);
	free(idset);
	if (fflush(stdout) || ferror(stdout)) {
		perror("gen: write error");
		return 1;
	}
	return 0;
}
