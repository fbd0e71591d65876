/*
 * feed.c - ledger history as events (feed.h).
 */
#include "store/feed.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "store/bead.h"
#include "base/banned.h"

static void add_unique(cJSON *arr, const char *s, size_t len)
{
	cJSON *it;

	cJSON_ArrayForEach (it, arr)
		if (strlen(it->valuestring) == len && !strncmp(it->valuestring, s, len))
			return;
	{
		char *v = gt_strndup(s, len);

		cJSON_AddItemToArray(arr, cJSON_CreateString(v));
		free(v);
	}
}

static cJSON *event(git_commit *c)
{
	const char *msg = git_commit_message(c), *nl, *colon, *line;
	const git_signature *a = git_commit_author(c);
	cJSON *e = cJSON_CreateObject(), *beads, *agents, *rigs, *mrs, *commits;
	char when[40];
	int64_t secs = (int64_t)git_commit_time(c);

	gt_time_seconds(when, sizeof(when), secs);
	gt_json_set_str(e, "time", when);
	gt_json_set_str(e, "actor", a && a->name ? a->name : "");
	nl = strchr(msg, '\n');
	colon = strstr(msg, ": ");
	if (colon && (!nl || colon < nl)) {
		char *cmd = gt_strndup(msg, (size_t)(colon - msg));

		gt_json_set_str(e, "command", cmd);
		free(cmd);
		colon += 2;
	} else {
		colon = msg;
	}
	{
		char *sum = gt_strndup(colon, nl ? (size_t)(nl - colon) : strlen(colon));

		gt_json_set_str(e, "summary", sum);
		free(sum);
	}
	gt_json_set_str(e, "commit", git_oid_tostr_s(git_commit_id(c)));
	beads = cJSON_AddArrayToObject(e, "beads");
	agents = cJSON_AddArrayToObject(e, "agents");
	rigs = cJSON_AddArrayToObject(e, "rigs");
	mrs = cJSON_AddArrayToObject(e, "merge_requests");
	commits = cJSON_AddArrayToObject(e, "commits");
	for (line = nl; line && *line; line = strchr(line, '\n')) {
		const char *v, *end;
		cJSON *to = NULL;

		line++;
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (!strncmp(line, "Gt-Bead: ", 9))
			to = beads, v = line + 9;
		else if (!strncmp(line, "Gt-Agent: ", 10))
			to = agents, v = line + 10;
		else if (!strncmp(line, "Gt-Rig: ", 8))
			to = rigs, v = line + 8;
		else if (!strncmp(line, "Gt-Merge-Request: ", 18))
			to = mrs, v = line + 18;
		else if (!strncmp(line, "Gt-Commit: ", 11))
			to = commits, v = line + 11;
		if (to && end > v)
			add_unique(to, v, (size_t)(end - v));
	}
	return e;
}

static int has(const cJSON *e, const char *key, const char *val, int prefix)
{
	const cJSON *it;
	size_t n = strlen(val);

	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(e, key))
		if (prefix ? !strncmp(it->valuestring, val, n) &&
				     (it->valuestring[n] == '-' || it->valuestring[n] == '/')
			   : !strcmp(it->valuestring, val))
			return 1;
	return 0;
}

static int pass(const cJSON *e, const struct gt_feed_filter *f)
{
	const char *actor = gt_json_str(e, "actor");

	if (f->agent && strcmp(actor, f->agent) && !has(e, "agents", f->agent, 0))
		return 0;
	if (f->bead && !has(e, "beads", f->bead, 0) && !has(e, "merge_requests", f->bead, 0) &&
	    !strstr(gt_json_str(e, "summary"), f->bead))
		return 0;
	if (f->rig) {
		size_t n = strlen(f->rig);
		int in = has(e, "rigs", f->rig, 0) || has(e, "agents", f->rig, 1) ||
			 (!strncmp(actor, f->rig, n) && actor[n] == '/');

		if (!in && f->rig_prefix)
			in = has(e, "beads", f->rig_prefix, 1) ||
			     has(e, "merge_requests", f->rig_prefix, 1);
		if (!in)
			return 0;
	}
	return 1;
}

int gt_feed_read(cJSON **out, struct gt_ledger *lg, const git_oid *after,
		 const struct gt_feed_filter *f, long limit)
{
	git_revwalk *w = NULL;
	git_oid id;
	int rc = 0, n = 0;

	*out = cJSON_CreateArray();
	if (!lg->has_tip)
		return 0;
	if (git_revwalk_new(&w, lg->git) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
	    git_revwalk_push(w, &lg->tip) < 0) {
		git_revwalk_free(w);
		return gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	}
	if (after && !git_oid_is_zero(after) && git_revwalk_hide(w, after) < 0)
		gt_error_clear(); /* rewritten history: show it all */
	/* newest first from the walk; kept newest first, reversed at the end */
	while (git_revwalk_next(&id, w) == 0) {
		git_commit *c = NULL;
		cJSON *e;

		if (git_commit_lookup(&c, lg->git, &id) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read ledger commit %s",
					  git_oid_tostr_s(&id));
			break;
		}
		if (f->since_ns && (int64_t)git_commit_time(c) * 1000000000LL < f->since_ns) {
			git_commit_free(c);
			break;
		}
		e = event(c);
		git_commit_free(c);
		if (!pass(e, f)) {
			cJSON_Delete(e);
			continue;
		}
		gt_json_array_insert(*out, 0, e);
		if (limit > 0 && ++n >= limit)
			break;
	}
	git_revwalk_free(w);
	return rc;
}
