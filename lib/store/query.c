/*
 * query.c - partial ids and list filters over the index.
 */
#include "store/query.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/options.h"
#include "store/graph.h"
#include "store/id.h"
#include "store/index.h"
#include "store/ledger.h"
#include "base/banned.h"

int gt_ledger_has_bead(struct gt_ledger *lg, const char *id)
{
	struct gt_buf path = GT_BUF_INIT;
	git_tree_entry *e = NULL;
	int found;

	if (!lg->tree || gt_id_check(id) < 0) {
		gt_error_clear();
		return 0;
	}
	gt_bead_path(&path, id);
	found = git_tree_entry_bypath(&e, lg->tree, path.ptr) == 0;
	git_tree_entry_free(e);
	gt_buf_release(&path);
	git_error_clear();
	return found;
}

int gt_resolve_id(struct gt_buf *out, struct gt_ledger *lg, const char *prefix,
		  struct gt_index **idxp, const char *input)
{
	struct gt_buf cand = GT_BUF_INIT, withp = GT_BUF_INIT;
	size_t il = strlen(input), nc = 0;
	const char *first = NULL;
	int rc;

	gt_buf_reset(out);
	if (!il)
		return gt_error_set(GT_EUSAGE, "empty bead id");
	if (gt_ledger_has_bead(lg, input)) {
		gt_buf_adds(out, input);
		return 0;
	}
	if (prefix && !strchr(input, '-')) {
		gt_buf_printf(&withp, "%s-%s", prefix, input);
		if (gt_ledger_has_bead(lg, withp.ptr)) {
			gt_buf_adds(out, withp.ptr);
			gt_buf_release(&withp);
			return 0;
		}
	}
	gt_buf_release(&withp);
	if (!*idxp && (rc = gt_index_open(idxp, lg, NULL)) < 0)
		return rc;
	for (uint32_t r = 0; r < (*idxp)->nrecs; r++) {
		const char *id = gt_index_id(*idxp, r), *dash = strchr(id, '-');
		const char *last = strrchr(id, '-');

		/* the whole id, the id past its prefix, or (for typed ids:
		 * hq-cv-5ag, hq-mol-j8s) the hash past the last dash */
		if (strncmp(id, input, il) && !(dash && !strncmp(dash + 1, input, il)) &&
		    !(last && last != dash && !strchr(input, '-') && !strncmp(last + 1, input, il)))
			continue;
		if (nc < 10)
			gt_buf_printf(&cand, "%s%s", nc ? ", " : "", id);
		if (!nc)
			first = id;
		nc++;
	}
	if (nc == 1) {
		gt_buf_adds(out, first);
		rc = 0;
	} else if (!nc) {
		rc = gt_error_set(GT_ENOTFOUND, "bead '%s' not found", input);
	} else {
		gt_error_set(GT_EAMBIGUOUS, "'%s' is ambiguous: %s%s", input, cand.ptr,
			     nc > 10 ? ", ..." : "");
		gt_error_hint("give more of the id");
		rc = GT_EAMBIGUOUS;
	}
	gt_buf_release(&cand);
	return rc;
}

void gt_list_filter_init(struct gt_list_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->priority_min = 0;
	f->priority_max = 4;
}

void gt_list_filter_release(struct gt_list_filter *f)
{
	gt_strlist_release(&f->statuses);
	gt_strlist_release(&f->types);
	gt_strlist_release(&f->assignees);
	gt_strlist_release(&f->labels);
	gt_strlist_release(&f->labels_any);
	gt_strlist_release(&f->ids);
}

static int direct_child(const struct gt_index *idx, const struct gt_irec *r, uint32_t parent,
			uint16_t pc)
{
	for (uint32_t k = 0; k < r->nedges; k++) {
		const struct gt_iedge *e = &idx->edges[r->edges + k];

		if (e->type == pc && gt_index_ref(idx, e->target) == parent)
			return 1;
	}
	return 0;
}

int gt_list(uint32_t **out, size_t *n, const struct gt_index *idx, const struct gt_list_filter *f)
{
	uint16_t pc = gt_index_vocab_find(idx, "parent-child");
	uint32_t parent = GT_IREF_NONE, *v;
	int all = f->all || gt_strlist_has(&f->statuses, "all");
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (f->parent && (parent = gt_index_find(idx, f->parent)) == GT_IREF_NONE)
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", f->parent);
	v = gt_malloc((idx->nrecs ? idx->nrecs : 1) * sizeof(*v));
	for (uint32_t r = 0; r < idx->nrecs; r++) {
		const struct gt_irec *rec = &idx->recs[r];
		const char *status = gt_index_vocab(idx, rec->status);

		if (f->statuses.n && !all) {
			if (!gt_strlist_has(&f->statuses, status))
				continue;
		} else if (!all && (!strcmp(status, "closed") || !strcmp(status, "tombstone"))) {
			continue;
		} else if (all && !strcmp(status, "tombstone") &&
			   !gt_strlist_has(&f->statuses, "tombstone")) {
			continue; /* deletions only when asked for by name */
		}
		if (f->types.n && !gt_strlist_has(&f->types, gt_index_vocab(idx, rec->type)))
			continue;
		if (f->no_assignee && rec->assignee)
			continue;
		if (f->assignees.n &&
		    !gt_strlist_has(&f->assignees, gt_index_str(idx, rec->assignee)))
			continue;
		if (rec->priority < f->priority_min || rec->priority > f->priority_max)
			continue;
		if (f->ids.n && !gt_strlist_has(&f->ids, gt_index_str(idx, rec->id)))
			continue;
		if (!gt_labels_match(idx, rec, &f->labels, &f->labels_any) ||
		    (parent != GT_IREF_NONE && !direct_child(idx, rec, parent, pc)))
			continue;
		v[cnt++] = r;
	}
	if ((rc = gt_sort_records(v, cnt, idx, f->sort ? f->sort : "priority", f->reverse)) < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int gt_contains_ci(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);

	if (!nl)
		return 1;
	for (; *hay; hay++) {
		size_t i = 0;

		while (i < nl && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == nl)
			return 1;
	}
	return 0;
}

int gt_list_beads(cJSON *out, struct gt_ledger *lg, const struct gt_list_filter *f,
		  int (*pred)(const cJSON *bead, const void *arg), const void *arg)
{
	struct gt_index *idx = NULL;
	uint32_t *v = NULL;
	size_t n = 0;
	int rc = gt_index_open(&idx, lg, NULL);

	if (rc == 0)
		rc = gt_list(&v, &n, idx, f);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		cJSON *b = NULL;

		rc = gt_ledger_read_bead_blob(&b, lg, gt_index_oid(idx, v[i]),
					      gt_index_id(idx, v[i]));
		if (rc == 0 && (!pred || pred(b, arg)))
			cJSON_AddItemToArray(out, b);
		else
			cJSON_Delete(b);
	}
	free(v);
	gt_index_free(idx);
	return rc;
}
