/*
 * gt-maintain - housekeeping: remove temporary files killed writers left,
 * repack when objects pile up, verify the ledger (and name its dependency
 * loops), refresh or rebuild the query index.  Safe to run while others
 * write: only temporary files idle for an hour are removed, repacking
 * never drops an object younger than the grace period (store/maint.h),
 * verification reads one snapshot, and the index is replaced atomically.
 * Then the history index of gt-bead-log is brought up to the tip.
 *
 * --auto is what writers start in the background (store/maint.h): do the
 * repack that is due, if any, under the maintenance lock, and nothing
 * else; when another maintenance holds the lock, there is nothing to do.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store/history.h"
#include "store/maint.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-maintain [--repack | --no-repack] [--verify | --no-verify] [--rebuild-index] "
	"[--quarantine] [--json]",
	"gt-maintain --auto [--json]",
	NULL,
};

/* temporary files idle this long belong to no writer */
#define TMP_MAX_AGE 3600
/* how long a manual repack waits for a running maintenance */
#define LOCK_WAIT_MS (10 * 60 * 1000L)

static void report(const char *msg, void *p)
{
	struct gt_cli *cli = p;

	fflush(stdout);
	gt_cli_progress_clear();
	fprintf(stderr, "%s: problem: %s\n", cli->name, msg);
}

static void report_loop(const char *msg, void *p)
{
	gt_cli_warn(p, "%s", msg);
}

/* Remove stale temporary files, warning about those that stay. */
static long clean_tmp(struct gt_cli *cli, const struct gt_repo *r)
{
	long failed, removed = gt_clean_tmp_objects(r, TMP_MAX_AGE, &failed);

	if (failed)
		gt_cli_warn(cli, "could not remove %ld stale temporary files under '%s/objects'",
			    failed, r->common_dir);
	return removed;
}

/* Run job under the maintenance lock (waiting for a running one), git
 * showing its progress where a person watches. */
static int repack(struct gt_maint_report *rep, const struct gt_cli *cli, const struct gt_repo *r,
		  enum gt_maint_job job)
{
	struct gt_maint_conf conf;
	int fd, rc;

	gt_maint_conf_load(&conf, r);
	conf.progress = gt_cli_progress_wanted(cli);
	if ((rc = gt_maint_lock(&fd, r, LOCK_WAIT_MS, "gt-maintain")) < 0)
		return rc;
	rc = gt_maint_run(rep, r, job, &conf);
	gt_maint_unlock(fd);
	return rc;
}

/* Bring the history index (gt-bead-log) up to the tip, counting the
 * commits walked on a terminal: its first build walks the whole history
 * (~20 s at 100,000 commits).  A failure is no failure of maintenance:
 * gt-bead-log walks the history itself when it cannot use the index. */
static void refresh_history(const struct gt_cli *cli, struct gt_ledger *lg)
{
	struct gt_cli_progress line;
	struct gt_progress prog = gt_cli_progress_start(&line, cli, "indexing history", "commits");

	if (gt_history_refresh(lg, NULL, &prog) < 0)
		gt_error_clear();
	gt_cli_progress_end(&line);
}

/* the most repacks one gt-maintain --auto runs back to back */
#define AUTO_ROUNDS 4

/* --auto: what is due, quietly (the report only with --json). */
static int run_auto(struct gt_cli *cli, struct gt_ledger *lg)
{
	const struct gt_repo *r = lg->repo;
	struct gt_maint_conf conf;
	struct gt_maint_census c;
	struct gt_maint_report rep = { 0 };
	const char *state = "done", *history = "none";
	long tmp_removed = 0;
	int fd = -1, rc = 0, rounds = 0;

	gt_maint_conf_load(&conf, r);
	if (!conf.enabled) {
		state = "disabled";
	} else if ((rc = gt_maint_lock(&fd, r, 0, "gt-maintain --auto")) == GT_ETEMP) {
		gt_error_clear();
		rc = 0;
		state = "busy";
	} else if (!rc) {
		tmp_removed = clean_tmp(cli, r);
		/*
		 * What is due, then again what became due while it ran: the
		 * packs a busy town wrote during a full repack (seconds at
		 * 100k beads) are due at once, and when the writes stopped
		 * meanwhile nobody starts another maintenance for them: 291
		 * packs stayed behind 100,000 writes, for every reader to
		 * search.  A few rounds at most, each taking what came
		 * during the one before.
		 */
		for (;;) {
			struct gt_maint_report one = { 0 };
			enum gt_maint_job job;

			gt_maint_census(&c, r, 1);
			job = gt_maint_due(&c, &conf);
			if (rounds && job == GT_MAINT_NONE)
				break;
			rc = gt_maint_run(&one, r, job, &conf);
			if (!rounds++) {
				rep = one;
			} else {
				if (one.job == GT_MAINT_FULL)
					rep.job = GT_MAINT_FULL;
				rep.loose_after = one.loose_after;
				rep.packs_after = one.packs_after;
				rep.bytes_after = one.bytes_after;
				rep.seconds += one.seconds;
				rep.cpu_seconds += one.cpu_seconds;
			}
			if (rc < 0 || job == GT_MAINT_NONE || rounds >= AUTO_ROUNDS)
				break;
		}
		/* the packs are done (git's children too): the next roll-up
		 * may start, even while this one goes on with the history
		 * index, whose first build at a million beads takes ~20 s
		 * (holding the lock through it let a busy town's packs pile
		 * up); it has a lock of its own, and one already at it is
		 * left to it */
		gt_maint_unlock(fd);
		switch (gt_history_refresh_unless_busy(lg)) {
		case 0: history = "done"; break;
		case 1: history = "busy"; break;
		default: history = "failed"; gt_error_clear();
		}
	}
	if (cli->json)
		printf("{\"auto\":true,\"state\":\"%s\",\"repack\":\"%s\",\"repacked\":%s,"
		       "\"loose_objects\":%ld,\"packs\":%ld,\"bytes\":%llu,"
		       "\"loose_after\":%ld,\"packs_after\":%ld,\"bytes_after\":%llu,"
		       "\"tmp_removed\":%ld,\"seconds\":%.3f,\"cpu_seconds\":%.3f,"
		       "\"rounds\":%d,\"history\":\"%s\"}\n",
		       rc < 0 ? "failed" : state, gt_maint_job_name(rep.job),
		       rep.job && !rc ? "true" : "false", rep.loose_before, rep.packs_before,
		       (unsigned long long)rep.bytes_before, rep.loose_after, rep.packs_after,
		       (unsigned long long)rep.bytes_after, tmp_removed, rep.seconds,
		       rep.cpu_seconds, rounds, history);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_maint_report rep = { 0 };
	int force_repack = 0, no_repack = 0, no_verify = 0, rebuild = 0, rc, repacked = 0;
	int quarantine = 0, verify = 0, auto_mode = 0;
	struct gt_strlist moved = { 0 };
	long threshold = -1, loose = 0, packs = 0, checked = -1, tmp_removed;
	size_t problems = 0, self_deps = 0, cycles = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(
			0, "repack", &force_repack,
			"repack everything now (unreachable objects kept for the grace period)"),
		GT_OPT_FLAG(0, "no-repack", &no_repack, "do not repack"),
		GT_OPT_INT(
			0, "threshold", &threshold, "N",
			"repack past N loose objects (default: maintain.loose-threshold or 2000)"),
		GT_OPT_FLAG(0, "verify", &verify, "verify the ledger (the default)"),
		GT_OPT_FLAG(0, "no-verify", &no_verify, "skip verifying the ledger"),
		GT_OPT_FLAG(0, "rebuild-index", &rebuild,
			    "throw the query index away and rebuild it"),
		GT_OPT_FLAG(0, "quarantine", &quarantine,
			    "move unreadable records to quarantine/ (kept, not deleted)"),
		GT_OPT_FLAG(0, "auto", &auto_mode,
			    "only the repack that is due, if no maintenance is running"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "repack, verify the ledger, rebuild the index";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (verify && no_verify)
		gt_cli_usage_error(&cli, "--verify and --no-verify contradict each other");
	if (force_repack && no_repack)
		gt_cli_usage_error(&cli, "--repack and --no-repack contradict each other");
	if (auto_mode && (force_repack || no_repack || verify || no_verify || rebuild ||
			  quarantine || threshold >= 0))
		gt_cli_usage_error(&cli, "--auto takes no other option but --json");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (auto_mode) {
		rc = run_auto(&cli, ctx.lg);
		goto out;
	}
	if ((rc = gt_ctx_config(&ctx)) < 0)
		goto out;
	if (threshold < 0)
		threshold = gt_config_get_long(ctx.cfg, "maintain.loose-threshold", 2000);
	tmp_removed = clean_tmp(&cli, ctx.lg->repo);
	loose = gt_count_loose(ctx.lg->repo);
	packs = gt_count_packs(ctx.lg->repo);
	if (!no_repack && (force_repack || loose > threshold || packs > 50)) {
		/* asked for, or many packs: everything; else roll the loose
		 * objects and small packs up */
		enum gt_maint_job job =
			force_repack || packs > 50 ? GT_MAINT_FULL : GT_MAINT_ROLLUP;

		if ((rc = repack(&rep, &cli, ctx.lg->repo, job)) < 0)
			goto out;
		repacked = 1;
	}
	if (quarantine) {
		if ((rc = gt_ledger_quarantine(&ctx, &moved)) < 0 ||
		    (rc = gt_ledger_refresh(ctx.lg)) < 0)
			goto out;
		for (size_t i = 0; i < moved.n && !cli.json && !cli.quiet; i++)
			printf("quarantined: %s -> quarantine/%s\n", moved.v[i], moved.v[i]);
	}
	if (!no_verify) {
		struct gt_cli_progress line;
		struct gt_progress prog = gt_cli_progress_start(&line, &cli, "verifying", "shards");

		checked = gt_ledger_verify_progress(&ctx, report, &cli, &problems, &prog);
		gt_cli_progress_end(&line);
		if (checked < 0) {
			rc = (int)checked;
			goto out;
		}
	}
	gt_index_clean(ctx.lg);
	if (rebuild && (rc = gt_index_remove(ctx.lg)) < 0)
		goto out;
	if ((rc = gt_index_open(&idx, ctx.lg, NULL)) < 0)
		goto out;
	/* loops are Beads data gt keeps, not damage: warnings */
	if (!no_verify)
		gt_index_loops(idx, report_loop, &cli, &self_deps, &cycles);
	refresh_history(&cli, ctx.lg);
	if (cli.json) {
		printf("{\"loose_objects\":%ld,\"packs\":%ld,\"repacked\":%s,\"repack\":\"%s\","
		       "\"loose_after\":%ld,\"packs_after\":%ld,\"tmp_removed\":%ld,"
		       "\"verified\":%ld,\"problems\":%zu,\"self_dependencies\":%zu,"
		       "\"dependency_cycles\":%zu,\"indexed\":%u,\"index_blobs_parsed\":%u,"
		       "\"quarantined\":",
		       loose, packs, repacked ? "true" : "false", gt_maint_job_name(rep.job),
		       gt_count_loose(ctx.lg->repo), gt_count_packs(ctx.lg->repo), tmp_removed,
		       checked < 0 ? 0 : checked, problems, self_deps, cycles, idx->nrecs,
		       idx->stat_blobs_parsed);
		{
			cJSON *q = cJSON_CreateArray();
			struct gt_buf j = GT_BUF_INIT;

			for (size_t i = 0; i < moved.n; i++)
				cJSON_AddItemToArray(q, cJSON_CreateString(moved.v[i]));
			gt_json_write(&j, q);
			printf("%s}\n", j.ptr);
			cJSON_Delete(q);
			gt_buf_release(&j);
		}
	} else if (!cli.quiet) {
		printf("objects: %ld loose, %ld packs%s, %ld stale temporary files removed\n",
		       loose, packs,
		       !repacked		  ? ""
		       : rep.job == GT_MAINT_FULL ? " (repacked everything)"
						  : " (repacked)",
		       tmp_removed);
		if (checked >= 0)
			printf("ledger: %ld beads checked, %zu problems, %zu self-dependencies, "
			       "%zu dependency cycles\n",
			       checked, problems, self_deps, cycles);
		printf("index: %u beads (%u read from the ledger)\n", idx->nrecs,
		       idx->stat_blobs_parsed);
	}
	if (problems)
		rc = gt_error_set(GT_EINVALID, "the ledger has %zu problems", problems);
out:
	gt_strlist_release_owned(&moved);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
