/*
 * batch.c - --stdin batches.
 */
#include "store/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "store/ledger.h"
#include "base/banned.h"

int gt_batch_parse(struct gt_batch *b, char *data, size_t len, const char *what)
{
	size_t alloc = 0, pos = 0;
	long line = 0;

	memset(b, 0, sizeof(*b));
	b->data = data;
	while (pos < len) {
		char *s = data + pos, *nl = memchr(s, '\n', len - pos), *e;
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		struct gt_record *r;
		int rc;

		line++;
		pos += l + (nl ? 1 : 0);
		if (memchr(s, '\0', l)) {
			gt_error_set(GT_EINVALID, "%s: line %ld: NUL byte", what, line);
			return GT_EINVALID;
		}
		s[l] = '\0';
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (!*s)
			continue;
		GT_ALLOC_GROW(b->v, b->n + 1, alloc);
		r = &b->v[b->n++];
		memset(r, 0, sizeof(*r));
		r->line = line;
		if (*s != '{') {
			size_t bad;

			if (gt_utf8_check(s, strlen(s), &bad) < 0)
				return gt_error_set(GT_EINVALID, "%s: line %ld: invalid UTF-8",
						    what, line);
			r->text = s;
			continue;
		}
		rc = gt_json_parse(&r->json, s, (size_t)(e - s), what, line);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void gt_batch_release(struct gt_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		cJSON_Delete(b->v[i].json);
		free(b->v[i].error);
		gt_buf_release(&b->v[i].out);
	}
	free(b->v);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

struct run {
	struct gt_batch *b;
	gt_batch_fn fn;
	void *payload;
	int keep_going;
	size_t failed; /* index of the record that failed this attempt */
};

static int run_all(struct gt_txn *tx, void *p)
{
	struct run *r = p;

	for (size_t i = 0; i < r->b->n; i++) {
		struct gt_record *rec = &r->b->v[i];
		int rc;

		if (rec->error)
			continue; /* set aside by an earlier attempt */
		gt_buf_reset(&rec->out);
		rec->rc = 0;
		rc = r->fn(tx, rec, r->payload);
		if (rc < 0) {
			/* name the input line (records from arguments have none) */
			if (rec->line > 0 && !strstr(gt_error_last(), "line ")) {
				char msg[4096];

				snprintf(msg, sizeof(msg), "%s", gt_error_last());
				gt_error_set(rc, "stdin: line %ld: %s", rec->line, msg);
			}
			rec->rc = rc;
			r->failed = i;
			return rc;
		}
	}
	return 0;
}

int gt_batch_transact(struct gt_ledger *lg, const struct gt_txn_opts *opts, struct gt_batch *b,
		      gt_batch_fn fn, void *payload, int keep_going)
{
	struct run r = { b, fn, payload, keep_going, 0 };
	int first_fail = 0;

	for (;;) {
		int rc;

		r.failed = (size_t)-1;
		rc = gt_ledger_transact(lg, opts, run_all, &r);
		if (rc >= 0)
			return first_fail;
		if (r.failed == (size_t)-1)
			return rc; /* the commit itself failed */
		if (!keep_going)
			return rc;
		/* set the failed record aside and run the rest again */
		b->v[r.failed].error = gt_strdup(gt_error_last());
		gt_buf_reset(&b->v[r.failed].out);
		if (!first_fail)
			first_fail = rc;
	}
}
