/*
 * runstate.c - run state files and run directories.
 */
#include "town/runstate.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/options.h"
#include "store/repo.h"
#include "town/agent.h"
#include "base/banned.h"

void gt_run_id_new(struct gt_buf *out, const char *address)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	unsigned r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
	r = (unsigned)(ts.tv_nsec ^ (getpid() << 8)) & 0xffff;
	gt_buf_reset(out);
	gt_agent_key(out, address);
	gt_buf_printf(out, ".%s.%04x", when, r);
}

static int run_id_ok(const char *run)
{
	if (!*run || strlen(run) > 200 || run[0] == '.')
		return 0;
	for (const char *p = run; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			return 0;
	return !strstr(run, "..");
}

int gt_run_dir(struct gt_buf *out, const struct gt_repo *r, const char *run, int mkdirs)
{
	struct gt_buf rel = GT_BUF_INIT;
	int rc;

	if (!run_id_ok(run))
		return gt_error_set(GT_EUSAGE, "bad run id '%s'", run);
	gt_buf_printf(&rel, "runs/%s/x", run);
	gt_buf_reset(out);
	rc = gt_repo_runtime_path(out, r, rel.ptr, mkdirs);
	if (rc == 0) {
		out->len -= 2;
		out->ptr[out->len] = '\0';
	}
	gt_buf_release(&rel);
	return rc;
}

static int state_path(struct gt_buf *out, const struct gt_repo *r, const char *session, int mk)
{
	struct gt_buf rel = GT_BUF_INIT;
	int rc;

	gt_buf_printf(&rel, "run/sessions/%s.json", session);
	rc = gt_repo_runtime_path(out, r, rel.ptr, mk);
	gt_buf_release(&rel);
	return rc;
}

int gt_runstate_read(cJSON **out, const struct gt_repo *r, const char *session)
{
	struct gt_buf p = GT_BUF_INIT, d = GT_BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = state_path(&p, r, session, 0)) == 0 && (rc = gt_read_file(&d, p.ptr)) == 0) {
		*out = cJSON_Parse(d.ptr);
		if (!*out)
			rc = gt_error_set(GT_ENOTFOUND, "run state of %s does not parse", session);
	}
	gt_buf_release(&p);
	gt_buf_release(&d);
	return rc;
}

int gt_runstate_write(const struct gt_repo *r, const char *session, const cJSON *st)
{
	struct gt_buf p = GT_BUF_INIT, d = GT_BUF_INIT;
	int rc;

	if ((rc = state_path(&p, r, session, 1)) == 0) {
		gt_json_write(&d, st);
		gt_buf_addch(&d, '\n');
		rc = gt_write_file_atomic(p.ptr, d.ptr, d.len);
	}
	gt_buf_release(&p);
	gt_buf_release(&d);
	return rc;
}

void gt_runstate_remove(const struct gt_repo *r, const char *session)
{
	struct gt_buf p = GT_BUF_INIT;

	if (state_path(&p, r, session, 0) == 0)
		unlink(p.ptr);
	gt_error_clear();
	gt_buf_release(&p);
}

static int env_path(struct gt_buf *out, const struct gt_repo *r, const char *run, int mk)
{
	struct gt_buf rel = GT_BUF_INIT;
	int rc;

	if (!run_id_ok(run))
		return gt_error_set(GT_EUSAGE, "bad run id '%s'", run);
	gt_buf_printf(&rel, "run/env/%s", run);
	rc = gt_repo_runtime_path(out, r, rel.ptr, mk);
	gt_buf_release(&rel);
	return rc;
}

int gt_runenv_write(const struct gt_repo *r, const char *run, const struct gt_strlist *env)
{
	struct gt_buf p = GT_BUF_INIT, tmp = GT_BUF_INIT, d = GT_BUF_INIT;
	int rc, fd;

	if ((rc = env_path(&p, r, run, 1)) < 0)
		goto out;
	for (size_t i = 0; i < env->n; i++)
		if (env->v[i]) {
			gt_buf_adds(&d, env->v[i]);
			gt_buf_addch(&d, '\0');
		}
	gt_buf_printf(&tmp, "%s.tmp", p.ptr);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, d.ptr ? d.ptr : "", d.len) != (ssize_t)d.len || fsync(fd) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", tmp.ptr);
		if (fd >= 0)
			close(fd);
		unlink(tmp.ptr);
		goto out;
	}
	close(fd);
	if (rename(tmp.ptr, p.ptr) < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", p.ptr);
out:
	gt_buf_release(&p);
	gt_buf_release(&tmp);
	gt_buf_release(&d);
	return rc;
}

int gt_runenv_take(struct gt_strlist *env, const struct gt_repo *r, const char *run)
{
	struct gt_buf p = GT_BUF_INIT, d = GT_BUF_INIT;
	int rc;

	if ((rc = env_path(&p, r, run, 0)) == 0 && (rc = gt_read_file(&d, p.ptr)) == 0) {
		unlink(p.ptr);
		for (size_t i = 0; i < d.len;) {
			size_t l = strnlen(d.ptr + i, d.len - i);

			if (l && memchr(d.ptr + i, '=', l))
				gt_strlist_push_dup(env, d.ptr + i);
			i += l + 1;
		}
		memset(d.ptr, 0, d.len); /* no copy of a secret lingers */
	}
	gt_buf_release(&p);
	gt_buf_release(&d);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int gt_run_list(struct gt_strlist *out, const struct gt_repo *r, const char *address)
{
	struct gt_buf dir = GT_BUF_INIT, key = GT_BUF_INIT;
	struct dirent **list = NULL;
	int n, rc;

	if ((rc = gt_repo_runtime_path(&dir, r, "runs", 0)) < 0)
		return rc;
	gt_agent_key(&key, address);
	gt_buf_addch(&key, '.');
	n = scandir(dir.ptr, &list, NULL, by_name);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		/* the key, then a timestamp: "app.polecats.jade." never matches
		 * "app.polecats.jade.x." because a timestamp follows directly */
		if (!strncmp(name, key.ptr, key.len) && name[key.len] >= '0' &&
		    name[key.len] <= '9' && strlen(name + key.len) == 20)
			gt_strlist_push_dup(out, name);
		free(list[i]);
	}
	free(list);
	gt_buf_release(&dir);
	gt_buf_release(&key);
	return 0;
}

int gt_run_read(cJSON **out, const struct gt_repo *r, const char *run)
{
	struct gt_buf dir = GT_BUF_INIT, p = GT_BUF_INIT, d = GT_BUF_INIT;
	struct stat st;
	int rc;

	*out = NULL;
	if ((rc = gt_run_dir(&dir, r, run, 0)) < 0)
		return rc;
	if (stat(dir.ptr, &st) < 0) {
		rc = gt_error_set(GT_ENOTFOUND, "no run '%s'", run);
		goto out;
	}
	*out = cJSON_CreateObject();
	gt_json_set_str(*out, "run", run);
	gt_buf_printf(&p, "%s/record.json", dir.ptr);
	if (gt_read_file(&d, p.ptr) == 0) {
		cJSON *rec = cJSON_Parse(d.ptr);

		if (rec)
			cJSON_AddItemToObject(*out, "record", rec);
	}
	gt_buf_reset(&p);
	gt_buf_reset(&d);
	gt_buf_printf(&p, "%s/summary.txt", dir.ptr);
	if (gt_read_file(&d, p.ptr) == 0)
		gt_json_set_str(*out, "summary", d.ptr ? d.ptr : "");
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/transcript.jsonl", dir.ptr);
	if (stat(p.ptr, &st) == 0)
		gt_json_set_str(*out, "transcript", p.ptr);
	gt_error_clear();
out:
	gt_buf_release(&dir);
	gt_buf_release(&p);
	gt_buf_release(&d);
	return rc;
}

int gt_run_previous(cJSON **out, const struct gt_repo *r, const char *address, const char *skip)
{
	struct gt_strlist runs = { 0 };
	int rc;

	*out = NULL;
	if ((rc = gt_run_list(&runs, r, address)) < 0)
		return rc;
	rc = gt_error_set(GT_ENOTFOUND, "no earlier run of %s", address);
	for (size_t i = runs.n; i-- > 0;) {
		cJSON *o = NULL;

		if (skip && !strcmp(runs.v[i], skip))
			continue;
		if (gt_run_read(&o, r, runs.v[i]) == 0 &&
		    cJSON_GetObjectItemCaseSensitive(o, "record")) {
			gt_error_clear();
			*out = o;
			rc = 0;
			break;
		}
		cJSON_Delete(o);
	}
	gt_strlist_release_owned(&runs);
	return rc;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		struct gt_buf p = GT_BUF_INIT;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		gt_buf_printf(&p, "%s/%s", dir, e->d_name);
		unlink(p.ptr); /* a run directory holds files only */
		gt_buf_release(&p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int gt_run_prune(const struct gt_repo *r, int64_t ttl_ms, long *removed)
{
	struct gt_buf dir = GT_BUF_INIT;
	struct dirent **list = NULL;
	time_t now = time(NULL);
	long gone = 0;
	int n, rc;

	if (removed)
		*removed = 0;
	if ((rc = gt_repo_runtime_path(&dir, r, "runs", 0)) < 0)
		return rc;
	n = scandir(dir.ptr, &list, NULL, by_name);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		/* sorted by name: the next entry of the same agent is newer */
		const char *next = i + 1 < n ? list[i + 1]->d_name : "";
		const char *dot = strchr(name, '.') ? strrchr(name, '.') : NULL;
		struct gt_buf p = GT_BUF_INIT;
		struct stat st;
		size_t key = 0;

		/* the agent key is what comes before ".<timestamp>.<hex>" */
		if (dot && dot - name > 16)
			key = (size_t)(dot - name) - 16;
		gt_buf_printf(&p, "%s/%s/record.json", dir.ptr, name);
		if (name[0] != '.' && key && !strncmp(next, name, key) && next[key] == '.' &&
		    stat(p.ptr, &st) == 0 && (int64_t)(now - st.st_mtime) * 1000 > ttl_ms) {
			gt_buf_reset(&p);
			gt_buf_printf(&p, "%s/%s", dir.ptr, name);
			rm_tree(p.ptr);
			gone++;
		}
		gt_buf_release(&p);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	gt_buf_release(&dir);
	if (removed)
		*removed = gone;
	return 0;
}
