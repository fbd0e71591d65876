/*
 * cook.c - from a loaded formula to a step DAG: [compose] (expansions
 * replacing a step, aspects wrapping steps), {{var}} substitution,
 * variable checks, and the graph checks (unknown needs, cycles), each
 * error naming file, line and step.  See cook.h.
 */
#include "formula/cook.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "formula/formula.h"
#include "base/banned.h"

/* ---- substitution ---- */

static int name_char(char c, int first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (!first && c >= '0' && c <= '9');
}

void gt_formula_subst(struct gt_buf *out, const char *s, const cJSON *vars)
{
	while (*s) {
		const char *open = strstr(s, "{{"), *n, *val = NULL;
		char *name;

		if (!open) {
			gt_buf_adds(out, s);
			return;
		}
		gt_buf_add(out, s, (size_t)(open - s));
		n = open + 2;
		if (name_char(*n, 1)) {
			const char *e = n + 1;

			while (name_char(*e, 0))
				e++;
			if (e[0] == '}' && e[1] == '}') {
				name = gt_strndup(n, (size_t)(e - n));
				val = gt_json_str(vars, name);
				free(name);
				if (val) {
					gt_buf_adds(out, val);
					s = e + 2;
					continue;
				}
			}
		}
		gt_buf_add(out, "{{", 2);
		s = open + 2;
	}
}

static char *subst(const char *s, const cJSON *vars)
{
	struct gt_buf b = GT_BUF_INIT;

	if (!s)
		return NULL;
	gt_formula_subst(&b, s, vars);
	return gt_buf_detach(&b);
}

/* Substitute in every string inside a JSON value, in place. */
static void subst_json(cJSON *v, const cJSON *vars)
{
	cJSON *c;

	if (cJSON_IsString(v) && strstr(v->valuestring, "{{")) {
		char *s = subst(v->valuestring, vars);

		cJSON_SetValuestring(v, s);
		free(s);
	}
	cJSON_ArrayForEach (c, v)
		subst_json(c, vars);
}

/* Replace the literal placeholder ph (e.g. "{target}") with val. */
static char *replace(const char *s, const char *ph, const char *val)
{
	struct gt_buf b = GT_BUF_INIT;
	size_t pl = strlen(ph);
	const char *m;

	if (!s)
		return NULL;
	while ((m = strstr(s, ph))) {
		gt_buf_add(&b, s, (size_t)(m - s));
		gt_buf_adds(&b, val);
		s = m + pl;
	}
	gt_buf_adds(&b, s);
	return gt_buf_detach(&b);
}

/* What an expansion's steps may say about the step they replace:
 * its title, description and id (the longer names first). */
static const char *const target_ph[] = { "{target.title}", "{target.description}", "{target.id}",
					 "{target}" };

/* An expansion cooked on its own expands a target called "main". */
static void main_target(cJSON *v)
{
	static const char *const val[] = { "main", "", "main", "main" };
	cJSON *c;

	if (cJSON_IsString(v) && strstr(v->valuestring, "{target")) {
		char *cur = gt_strdup(v->valuestring);

		for (size_t i = 0; i < 4; i++) {
			char *n = replace(cur, target_ph[i], val[i]);

			free(cur);
			cur = n;
		}
		cJSON_SetValuestring(v, cur);
		free(cur);
	}
	cJSON_ArrayForEach (c, v)
		main_target(c);
}

static void step_placeholders(struct gt_formula_step *d, const char *const *ph,
			      const char *const *val, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char **fields[] = { &d->id, &d->title, &d->description, &d->acceptance };

		for (size_t i = 0; i < 4; i++) {
			char *s = replace(*fields[i], ph[k], val[k] ? val[k] : "");

			free(*fields[i]);
			*fields[i] = s;
		}
		for (size_t i = 0; i < d->needs.n; i++) {
			char *s = replace(d->needs.v[i], ph[k], val[k] ? val[k] : "");

			free((char *)d->needs.v[i]);
			d->needs.v[i] = s;
		}
	}
}

/* ---- compose ---- */

static ssize_t step_index(const struct gt_formula *f, const char *id)
{
	for (size_t i = 0; i < f->nsteps; i++)
		if (!strcmp(f->steps[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* Insert n steps at position at (taking them over). */
static void insert_steps(struct gt_formula *f, size_t at, struct gt_formula_step *v, size_t n)
{
	GT_ALLOC_GROW(f->steps, f->nsteps + n, f->asteps);
	memmove(&f->steps[at + n], &f->steps[at], (f->nsteps - at) * sizeof(*f->steps));
	memcpy(&f->steps[at], v, n * sizeof(*v));
	f->nsteps += n;
}

/* Every step other than the ones in skip that needs from now needs to. */
static void repoint(struct gt_formula *f, const char *from, const char *to,
		    const struct gt_strlist *skip)
{
	for (size_t i = 0; i < f->nsteps; i++) {
		struct gt_strlist *nd = &f->steps[i].needs;

		if (gt_strlist_has(skip, f->steps[i].id))
			continue;
		for (size_t j = 0; j < nd->n; j++)
			if (!strcmp(nd->v[j], from)) {
				free((char *)nd->v[j]);
				nd->v[j] = gt_strdup(to);
			}
	}
}

static void set_needs(struct gt_formula_step *s, const struct gt_strlist *needs)
{
	gt_strlist_release_owned(&s->needs);
	for (size_t i = 0; i < needs->n; i++)
		gt_strlist_push_dup(&s->needs, needs->v[i]);
}

/* compose.expand: replace the target step with the expansion's steps;
 * entry steps take over the target's needs, and what needed the target
 * needs the expansion's last steps. */
static int expand_one(struct gt_formula *f, const struct gt_formula *x, const char *target,
		      int line)
{
	ssize_t at = step_index(f, target);
	struct gt_formula_step *t, *v;
	struct gt_strlist sinks = { 0 }, tneeds = { 0 };
	const char *val[4];
	size_t n = x->nsteps;

	if (at < 0)
		return gt_error_set(GT_EINVALID,
				    "%s: line %d: compose.expand: no step '%s' to expand", f->path,
				    line, target);
	if (strcmp(x->type, "expansion"))
		return gt_error_set(GT_EINVALID,
				    "%s: line %d: compose.expand: '%s' is a %s formula, not an "
				    "expansion",
				    f->path, line, x->name, x->type);
	if (!n)
		return gt_error_set(GT_EINVALID, "%s: expansion '%s' has no template steps",
				    x->path, x->name);
	t = &f->steps[at];
	val[0] = t->title;
	val[1] = t->description;
	val[2] = t->id;
	val[3] = t->id;
	for (size_t i = 0; i < t->needs.n; i++)
		gt_strlist_push_dup(&tneeds, t->needs.v[i]);
	v = gt_calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		gt_formula_step_copy(f, &v[i], &x->steps[i]);
		step_placeholders(&v[i], target_ph, val, 4);
	}
	for (size_t i = 0; i < n; i++) {
		int needed = 0;

		if (!v[i].needs.n)
			set_needs(&v[i], &tneeds);
		for (size_t j = 0; j < n && !needed; j++)
			needed = gt_strlist_has(&v[j].needs, v[i].id);
		if (!needed)
			gt_strlist_push(&sinks, v[i].id);
	}
	/* the target goes; what needed it needs the last expanded step */
	{
		char *tid = gt_strdup(t->id);

		gt_formula_step_release(t);
		memmove(&f->steps[at], &f->steps[at + 1],
			(f->nsteps - (size_t)at - 1) * sizeof(*f->steps));
		f->nsteps--;
		insert_steps(f, (size_t)at, v, n);
		for (size_t i = 0; i < f->nsteps; i++) {
			struct gt_strlist *nd = &f->steps[i].needs;
			struct gt_strlist keep = { 0 };
			int hit = 0;

			for (size_t j = 0; j < nd->n; j++) {
				if (!strcmp(nd->v[j], tid))
					hit = 1;
				else
					gt_strlist_push_dup(&keep, nd->v[j]);
			}
			if (!hit) {
				gt_strlist_release_owned(&keep);
				continue;
			}
			for (size_t j = 0; j < sinks.n; j++)
				if (!gt_strlist_has(&keep, sinks.v[j]))
					gt_strlist_push_dup(&keep, sinks.v[j]);
			gt_strlist_release_owned(nd);
			*nd = keep;
		}
		free(tid);
	}
	free(v);
	gt_strlist_release(&sinks);
	gt_strlist_release_owned(&tneeds);
	gt_formula_inherit_vars(f, x);
	return 0;
}

/* One aspect's advice around every original step its target matches. */
static void advise(struct gt_formula *f, const struct gt_formula *a)
{
	struct gt_strlist orig = { 0 };

	for (size_t i = 0; i < f->nsteps; i++)
		gt_strlist_push_dup(&orig, f->steps[i].id);
	for (size_t k = 0; k < a->nadvice; k++) {
		const struct gt_formula_advice *ad = &a->advice[k];

		for (size_t o = 0; o < orig.n; o++) {
			const char *sid = orig.v[o];
			const char *ph[] = { "{step.id}" };
			const char *val[] = { sid };
			struct gt_strlist mine = { 0 };
			ssize_t at;

			if (fnmatch(ad->target, sid, 0) != 0)
				continue;
			at = step_index(f, sid);
			if (ad->nbefore) {
				struct gt_formula_step *v = gt_calloc(ad->nbefore, sizeof(*v));

				for (size_t i = 0; i < ad->nbefore; i++) {
					gt_formula_step_copy(f, &v[i], &ad->before[i]);
					step_placeholders(&v[i], ph, val, 1);
					gt_strlist_release_owned(&v[i].needs);
					if (i)
						gt_strlist_push_dup(&v[i].needs, v[i - 1].id);
					else
						for (size_t j = 0; j < f->steps[at].needs.n; j++)
							gt_strlist_push_dup(
								&v[i].needs,
								f->steps[at].needs.v[j]);
				}
				gt_strlist_release_owned(&f->steps[at].needs);
				gt_strlist_push_dup(&f->steps[at].needs, v[ad->nbefore - 1].id);
				insert_steps(f, (size_t)at, v, ad->nbefore);
				free(v);
				at += (ssize_t)ad->nbefore;
			}
			if (ad->nafter) {
				struct gt_formula_step *v = gt_calloc(ad->nafter, sizeof(*v));

				for (size_t i = 0; i < ad->nafter; i++) {
					gt_formula_step_copy(f, &v[i], &ad->after[i]);
					step_placeholders(&v[i], ph, val, 1);
					gt_strlist_release_owned(&v[i].needs);
					gt_strlist_push_dup(&v[i].needs, i ? v[i - 1].id : sid);
					gt_strlist_push(&mine, v[i].id);
				}
				insert_steps(f, (size_t)at + 1, v, ad->nafter);
				repoint(f, sid, f->steps[at + (ssize_t)ad->nafter].id, &mine);
				free(v);
			}
			gt_strlist_release(&mine);
		}
	}
	gt_strlist_release_owned(&orig);
	gt_formula_inherit_vars(f, a);
}

static int compose(struct gt_formula *f, const struct gt_formula_path *p, int depth)
{
	static int nesting; /* loads below compose compose too */
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(f->compose, "expand");
	const cJSON *asp = cJSON_GetObjectItemCaseSensitive(f->compose, "aspects");
	const cJSON *it;
	int rc = 0;

	if (!f->compose)
		return 0;
	if (depth > 5 || nesting > 5)
		return gt_error_set(GT_EINVALID, "%s: compose nests more than 5 deep", f->path);
	if (ex && !cJSON_IsArray(ex))
		return gt_error_set(GT_EINVALID, "%s: compose.expand must be an array of tables",
				    f->path);
	cJSON_ArrayForEach (it, ex) {
		const char *target = gt_json_str(it, "target"), *with = gt_json_str(it, "with");
		struct gt_formula *x = NULL;

		if (!target || !with)
			return gt_error_set(GT_EINVALID,
					    "%s: compose.expand entries need target and with",
					    f->path);
		nesting++;
		rc = gt_formula_load(&x, p, with);
		nesting--;
		if (rc == 0)
			rc = expand_one(f, x, target, 0);
		gt_formula_free(x);
		if (rc < 0)
			return rc;
	}
	if (asp && !cJSON_IsArray(asp))
		return gt_error_set(GT_EINVALID, "%s: compose.aspects must be an array of names",
				    f->path);
	cJSON_ArrayForEach (it, asp) {
		struct gt_formula *a = NULL;

		if (!cJSON_IsString(it))
			return gt_error_set(GT_EINVALID, "%s: compose.aspects must hold names",
					    f->path);
		nesting++;
		rc = gt_formula_load(&a, p, it->valuestring);
		nesting--;
		if (rc == 0) {
			if (strcmp(a->type, "aspect"))
				rc = gt_error_set(GT_EINVALID,
						  "%s: compose.aspects: '%s' is a %s formula, not "
						  "an aspect",
						  f->path, a->name, a->type);
			else
				advise(f, a);
		}
		gt_formula_free(a);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int gt_formula_load(struct gt_formula **out, const struct gt_formula_path *p, const char *name)
{
	struct gt_formula_path near;
	char *dir;
	int rc;

	gt_formula_path_near(&near, &dir, p, name);
	rc = gt_formula_read(out, &near, name);
	if (rc == 0 && (rc = compose(*out, &near, 0)) < 0) {
		gt_formula_free(*out);
		*out = NULL;
	}
	free(dir);
	return rc;
}

/* ---- variables ---- */

static int check_var(const struct gt_formula_var *v, const char *val)
{
	if (v->enumv.n && !gt_strlist_has(&v->enumv, val)) {
		struct gt_buf b = GT_BUF_INIT;
		int rc;

		for (size_t i = 0; i < v->enumv.n; i++)
			gt_buf_printf(&b, "%s%s", i ? ", " : "", v->enumv.v[i]);
		rc = gt_error_set(GT_EINVALID, "%s: line %d: variable '%s' is '%s', not one of: %s",
				  v->file, v->line, v->name, val, b.ptr);
		gt_buf_release(&b);
		return rc;
	}
	if (v->pattern) {
		regex_t re;
		int bad;

		if (regcomp(&re, v->pattern, REG_EXTENDED | REG_NOSUB) != 0)
			return gt_error_set(GT_EINVALID,
					    "%s: line %d: variable '%s': bad pattern '%s'", v->file,
					    v->line, v->name, v->pattern);
		bad = regexec(&re, val, 0, NULL, 0) != 0;
		regfree(&re);
		if (bad)
			return gt_error_set(GT_EINVALID,
					    "%s: line %d: variable '%s' is '%s', which does not "
					    "match %s",
					    v->file, v->line, v->name, val, v->pattern);
	}
	return 0;
}

static int resolve_vars(cJSON **out, const struct gt_formula *f, const cJSON *given, int partial)
{
	cJSON *vals = cJSON_CreateObject();
	struct gt_buf missing = GT_BUF_INIT;
	const struct gt_formula_var *first = NULL;
	const cJSON *g;
	int rc = 0;

	for (size_t i = 0; i < f->nvars && !rc; i++) {
		const struct gt_formula_var *v = &f->vars[i];
		const char *val = gt_json_str(given, v->name);

		if (!val && v->has_default)
			val = v->dflt;
		if (!val && v->required) {
			gt_buf_printf(&missing, "%s'%s'", missing.len ? ", " : "", v->name);
			if (!first)
				first = v;
			continue;
		}
		if (!val && partial)
			continue;
		if (!val)
			val = "";
		rc = check_var(v, val);
		gt_json_set_str(vals, v->name, val);
	}
	/* values for names the formula does not declare are used as given */
	cJSON_ArrayForEach (g, given)
		if (cJSON_IsString(g) && !cJSON_GetObjectItemCaseSensitive(vals, g->string))
			gt_json_set_str(vals, g->string, g->valuestring);
	if (rc == 0 && missing.len && !partial) {
		rc = gt_error_set(GT_EINVALID, "%s: line %d: missing required variable%s %s",
				  first->file, first->line, strchr(missing.ptr, ',') ? "s" : "",
				  missing.ptr);
		gt_error_hint("give %s with --var %s=VALUE", first->name, first->name);
	}
	gt_buf_release(&missing);
	if (rc < 0) {
		cJSON_Delete(vals);
		return rc;
	}
	*out = vals;
	return 0;
}

/* ---- the graph ---- */

struct graph {
	const struct gt_formula_step **s;
	size_t n;
	int *state; /* 0 new, 1 on the path, 2 done */
	size_t *order, norder;
};

static ssize_t gindex(const struct graph *g, const char *id)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->s[i]->id, id))
			return (ssize_t)i;
	return -1;
}

static int step_err(const struct gt_formula_step *s, const char *msg, const char *arg)
{
	return gt_error_set(GT_EINVALID, "%s: line %d: step '%s': %s%s%s%s", s->file, s->line,
			    s->id, msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
}

/* Depth-first: a step goes out after everything it needs. */
static int visit(struct graph *g, size_t i, size_t *path, size_t depth)
{
	const struct gt_formula_step *s = g->s[i];

	if (g->state[i] == 2)
		return 0;
	if (g->state[i] == 1) {
		struct gt_buf b = GT_BUF_INIT;
		size_t from = 0;
		int rc;

		while (from < depth && path[from] != i)
			from++;
		for (size_t k = from; k < depth; k++)
			gt_buf_printf(&b, "%s -> ", g->s[path[k]]->id);
		gt_buf_adds(&b, s->id);
		rc = gt_error_set(GT_EINVALID, "%s: line %d: step '%s': dependency cycle: %s",
				  s->file, s->line, s->id, b.ptr);
		gt_buf_release(&b);
		return rc;
	}
	g->state[i] = 1;
	path[depth] = i;
	for (size_t k = 0; k < s->needs.n; k++) {
		ssize_t j = gindex(g, s->needs.v[k]);
		int rc;

		if (j < 0)
			return step_err(s, "needs unknown step", s->needs.v[k]);
		if ((size_t)j == i)
			return step_err(s, "needs itself", NULL);
		if ((rc = visit(g, (size_t)j, path, depth + 1)) < 0)
			return rc;
	}
	g->state[i] = 2;
	g->order[g->norder++] = i;
	return 0;
}

int gt_formula_cook(cJSON **out, const struct gt_formula *f, const cJSON *given, int partial)
{
	struct graph g = { 0 };
	struct gt_formula_step synth = { 0 };
	cJSON *dag = NULL, *vals = NULL, *steps;
	size_t *path = NULL;
	int rc = 0;

	*out = NULL;
	if (!strcmp(f->type, "aspect"))
		return gt_error_set(GT_EINVALID,
				    "%s: '%s' is an aspect: apply it from another formula's "
				    "[compose] aspects",
				    f->path, f->name);
	if ((rc = resolve_vars(&vals, f, given, partial)) < 0)
		return rc;
	if (!strcmp(f->type, "expansion") && !cJSON_GetObjectItemCaseSensitive(vals, "target"))
		gt_json_set_str(vals, "target", "main");
	g.n = f->nsteps + (f->synthesis ? 1 : 0);
	if (!g.n) {
		cJSON_Delete(vals);
		return gt_error_set(GT_EINVALID, "%s: formula '%s' has no steps", f->path, f->name);
	}
	g.s = gt_calloc(g.n, sizeof(*g.s));
	g.state = gt_calloc(g.n, sizeof(*g.state));
	g.order = gt_calloc(g.n, sizeof(*g.order));
	path = gt_calloc(g.n + 1, sizeof(*path));
	for (size_t i = 0; i < f->nsteps; i++)
		g.s[i] = &f->steps[i];
	if (f->synthesis) {
		/* the synthesis waits for the legs it names, else for all of them */
		synth = *f->synthesis;
		memset(&synth.needs, 0, sizeof(synth.needs));
		for (size_t i = 0; i < f->synthesis->needs.n; i++)
			gt_strlist_push(&synth.needs, f->synthesis->needs.v[i]);
		if (!f->synthesis->needs.n)
			for (size_t i = 0; i < f->nsteps; i++)
				if (!strcmp(f->steps[i].kind, "leg"))
					gt_strlist_push(&synth.needs, f->steps[i].id);
		g.s[f->nsteps] = &synth;
	}
	for (size_t i = 0; i < g.n && !rc; i++)
		for (size_t j = 0; j < i && !rc; j++)
			if (!strcmp(g.s[i]->id, g.s[j]->id))
				rc = gt_error_set(GT_EINVALID,
						  "%s: line %d: step '%s': duplicate id (also at "
						  "%s: line %d)",
						  g.s[i]->file, g.s[i]->line, g.s[i]->id,
						  g.s[j]->file, g.s[j]->line);
	for (size_t i = 0; i < g.n && !rc; i++)
		rc = visit(&g, i, path, 0);
	if (rc < 0)
		goto out;

	dag = cJSON_CreateObject();
	gt_json_set_str(dag, "formula", f->name);
	gt_json_set_int(dag, "version", f->version);
	gt_json_set_str(dag, "type", f->type);
	gt_json_set_str(dag, "description", "");
	if (f->description) {
		char *d = subst(f->description, vals);

		gt_json_set_str(dag, "description", d);
		free(d);
	}
	gt_json_set_str(dag, "source", f->path);
	gt_json_set_bool(dag, "pour", f->pour);
	cJSON_AddItemToObject(dag, "vars", cJSON_Duplicate(vals, 1));
	steps = cJSON_AddArrayToObject(dag, "steps");
	for (size_t k = 0; k < g.norder; k++) {
		cJSON *s = gt_formula_step_json(g.s[g.order[k]]);

		subst_json(s, vals);
		if (!strcmp(f->type, "expansion"))
			main_target(s);
		cJSON_AddItemToArray(steps, s);
	}
	for (const cJSON *x = f->extra->child; x; x = x->next)
		if (!cJSON_GetObjectItemCaseSensitive(dag, x->string)) {
			cJSON *c = cJSON_Duplicate(x, 1);

			subst_json(c, vals);
			cJSON_AddItemToObject(dag, x->string, c);
		}
	*out = dag;
out:
	gt_strlist_release(&synth.needs);
	cJSON_Delete(vals);
	free(g.s);
	free(g.state);
	free(g.order);
	free(path);
	return rc;
}
