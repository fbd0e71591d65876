/*
 * heartbeat.c - the run files monitors keep per agent (heartbeat.h).
 */
#include "town/heartbeat.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "store/repo.h"
#include "town/agent.h"
#include "base/banned.h"

int64_t gt_heartbeat_now(void)
{
	return (int64_t)time(NULL);
}

static int path_of(struct gt_buf *out, const struct gt_repo *r, const char *address,
		   const char *ext, int mkdirs)
{
	struct gt_buf name = GT_BUF_INIT;
	int rc;

	gt_buf_adds(&name, "run/agents/");
	gt_agent_key(&name, address);
	gt_buf_adds(&name, ext);
	rc = gt_repo_runtime_path(out, r, name.ptr, mkdirs);
	gt_buf_release(&name);
	return rc;
}

static cJSON *read_json(const struct gt_repo *r, const char *address, const char *ext)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	cJSON *v = NULL;

	if (path_of(&path, r, address, ext, 0) == 0 && gt_read_file(&data, path.ptr) == 0 &&
	    gt_json_parse(&v, data.ptr, data.len, path.ptr, 1) == 0 && !cJSON_IsObject(v)) {
		cJSON_Delete(v);
		v = NULL;
	}
	gt_error_clear(); /* a missing or broken run file means "nothing known" */
	gt_buf_release(&path);
	gt_buf_release(&data);
	return v;
}

static int write_json(const struct gt_repo *r, const char *address, const char *ext, const cJSON *v)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	int rc;

	if ((rc = path_of(&path, r, address, ext, 1)) == 0) {
		gt_json_write(&data, v);
		gt_buf_addch(&data, '\n');
		rc = gt_write_file_atomic(path.ptr, data.ptr, data.len);
	}
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

cJSON *gt_heartbeat_read(const struct gt_repo *r, const char *address)
{
	cJSON *v = read_json(r, address, ".json");

	return v ? v : cJSON_CreateObject();
}

int gt_heartbeat_write(const struct gt_repo *r, const char *address, const cJSON *hb)
{
	return write_json(r, address, ".json", hb);
}

void gt_heartbeat_remove(const struct gt_repo *r, const char *address)
{
	const char *exts[] = { ".json", ".cmd" };
	struct gt_buf path = GT_BUF_INIT;

	for (size_t i = 0; i < 2; i++)
		if (path_of(&path, r, address, exts[i], 0) == 0)
			unlink(path.ptr);
	gt_buf_release(&path);
}

int gt_heartbeat_command(const struct gt_repo *r, const char *address, const char *command,
			 const char *bead)
{
	cJSON *v = cJSON_CreateObject();
	int rc;

	gt_json_set_str(v, "command", command);
	gt_json_set_int(v, "at", gt_heartbeat_now());
	if (bead && *bead)
		gt_json_set_str(v, "bead", bead);
	rc = write_json(r, address, ".cmd", v);
	cJSON_Delete(v);
	return rc;
}

cJSON *gt_heartbeat_last_command(const struct gt_repo *r, const char *address)
{
	return read_json(r, address, ".cmd");
}

void gt_heartbeat_hash(char out[17], const char *text, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)text[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}
