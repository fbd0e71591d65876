/*
 * formula.c - reading formulas: the search path, the schema of
 * gt-formula(5) on top of the TOML tree (every error naming file, line and
 * step), `extends`, and listing.  Cooking is in cook.c.
 */
#include "formula/formula.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "base/toml.h"
#include "base/banned.h"

#ifndef GT_DATADIR
#define GT_DATADIR "/usr/local/share/gt"
#endif

#define SUFFIX ".formula.toml"

/* which top-level fields a file wrote (for extends: unset ones inherit) */
enum { SET_DESC = 1, SET_TYPE = 2, SET_VERSION = 4, SET_POUR = 8 };

/* ---- search path ---- */

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void path_add(struct gt_formula_path *p, const char *dir, const char *origin)
{
	char *real = realpath(dir, NULL); /* "bin/../formulas" reads badly in errors */

	if (p->n < GT_FORMULA_PATH_MAX - 1) { /* one left for a file's own */
		p->dirs[p->n] = gt_strdup(real ? real : dir);
		p->origins[p->n++] = origin;
	}
	free(real);
}

void gt_formula_path_init(struct gt_formula_path *p, const char *town_root, const char *rig,
			  const char *bindir)
{
	struct gt_buf b = GT_BUF_INIT;

	memset(p, 0, sizeof(*p));
	if (town_root && rig) {
		gt_buf_printf(&b, "%s/%s/formulas", town_root, rig);
		path_add(p, b.ptr, "rig");
	}
	if (town_root) {
		gt_buf_reset(&b);
		gt_buf_printf(&b, "%s/formulas", town_root);
		path_add(p, b.ptr, "town");
	}
	/* installed beside the programs, the build tree, then the prefix */
	if (bindir) {
		gt_buf_reset(&b);
		gt_buf_printf(&b, "%s/../share/gt/formulas", bindir);
		if (!is_dir(b.ptr)) {
			gt_buf_reset(&b);
			gt_buf_printf(&b, "%s/../formulas", bindir);
		}
	}
	if (!b.len || !is_dir(b.ptr)) {
		gt_buf_reset(&b);
		gt_buf_adds(&b, GT_DATADIR "/formulas");
	}
	path_add(p, b.ptr, "shipped");
	gt_buf_release(&b);
}

void gt_formula_path_release(struct gt_formula_path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->dirs[i]);
	memset(p, 0, sizeof(*p));
}

int gt_formula_name_check(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 100)
		return gt_error_set(GT_EUSAGE, "bad formula name '%s'", name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i && (c == '.' || c == '_' || c == '-'))))
			return gt_error_set(GT_EUSAGE,
					    "bad formula name '%s': use letters, digits, '.', "
					    "'_' and '-'",
					    name);
	}
	return 0;
}

static int is_file_arg(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') || (n > 5 && !strcmp(name + n - 5, ".toml"));
}

int gt_formula_find(struct gt_buf *path, const char **origin, const struct gt_formula_path *p,
		    const char *name)
{
	struct gt_buf where = GT_BUF_INIT;
	struct stat st;
	int rc;

	gt_buf_reset(path);
	if (is_file_arg(name)) {
		if (stat(name, &st) < 0)
			return gt_error_errno(GT_ENOTFOUND, "cannot read formula file '%s'", name);
		gt_buf_adds(path, name);
		*origin = "file";
		return 0;
	}
	if ((rc = gt_formula_name_check(name)) < 0)
		return rc;
	for (size_t i = 0; i < p->n; i++) {
		gt_buf_reset(path);
		gt_buf_printf(path, "%s/%s" SUFFIX, p->dirs[i], name);
		if (stat(path->ptr, &st) == 0) {
			*origin = p->origins[i];
			gt_buf_release(&where);
			return 0;
		}
		gt_buf_printf(&where, "%s%s", where.len ? ", " : "", p->dirs[i]);
	}
	gt_buf_reset(path);
	rc = gt_error_set(GT_ENOTFOUND, "formula '%s' not found (looked in %s)", name,
			  gt_buf_cstr(&where));
	gt_error_hint("gt-formula-list shows the formulas there are");
	gt_buf_release(&where);
	return rc;
}

/* ---- errors ---- */

static int ferr(const char *file, int line, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int ferr(const char *file, int line, const char *step, const char *fmt, ...)
{
	struct gt_buf b = GT_BUF_INIT;
	va_list ap;
	int rc;

	gt_buf_printf(&b, "%s", file);
	if (line > 0)
		gt_buf_printf(&b, ": line %d", line);
	if (step)
		gt_buf_printf(&b, ": step '%s'", step);
	gt_buf_adds(&b, ": ");
	va_start(ap, fmt);
	gt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = gt_error_set(GT_EINVALID, "%s", b.ptr);
	gt_buf_release(&b);
	return rc;
}

/* ---- schema ---- */

struct reader {
	struct gt_formula *f;
	const char *file;
};

static int want_type(const struct reader *r, const struct gt_toml *v, enum gt_toml_type type,
		     const char *what, const char *step)
{
	if (v->type == type)
		return 0;
	return ferr(r->file, v->line, step, "%s must be a %s, not a %s", what,
		    gt_toml_type_name(type), gt_toml_type_name(v->type));
}

/* A string, or (lists) a string or an array of strings. */
static int get_str(char **out, const struct reader *r, const struct gt_toml *v, const char *what,
		   const char *step)
{
	int rc = want_type(r, v, GT_TOML_STRING, what, step);

	if (rc == 0) {
		free(*out);
		*out = gt_strdup(v->str);
	}
	return rc;
}

static int get_list(struct gt_strlist *out, const struct reader *r, const struct gt_toml *v,
		    const char *what, const char *step)
{
	if (v->type == GT_TOML_STRING) {
		gt_strlist_push_dup(out, v->str);
		return 0;
	}
	if (v->type != GT_TOML_ARRAY)
		return ferr(r->file, v->line, step, "%s must be a string or an array of strings",
			    what);
	for (size_t i = 0; i < v->nkids; i++) {
		if (v->kids[i]->type != GT_TOML_STRING)
			return ferr(r->file, v->kids[i]->line, step,
				    "%s must hold strings, not a %s", what,
				    gt_toml_type_name(v->kids[i]->type));
		gt_strlist_push_dup(out, v->kids[i]->str);
	}
	return 0;
}

static int step_id_check(const char *id)
{
	if (!*id)
		return -1;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' ||
		      *c == '{' || *c == '}'))
			return -1;
	return 0;
}

void gt_formula_step_release(struct gt_formula_step *s)
{
	free(s->id);
	free(s->title);
	free(s->description);
	free(s->acceptance);
	gt_strlist_release_owned(&s->needs);
	cJSON_Delete(s->extra);
	memset(s, 0, sizeof(*s));
}

/* Read one step table (kind "step", "leg" or "synthesis"). */
static int read_step(struct gt_formula_step *s, const struct reader *r, const struct gt_toml *t,
		     const char *kind, const char *what)
{
	const struct gt_toml *id = gt_toml_get(t, "id");
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->file = r->file;
	s->line = t->line;
	s->extra = cJSON_CreateObject();
	if (t->type != GT_TOML_TABLE)
		return ferr(r->file, t->line, NULL, "%s must be tables", what);
	if (!strcmp(kind, "synthesis") && !id)
		s->id = gt_strdup("synthesis");
	else if (!id)
		return ferr(r->file, t->line, NULL, "%s entry without an id", what);
	else if ((rc = get_str(&s->id, r, id, "id", NULL)) < 0)
		return rc;
	if (step_id_check(s->id) < 0)
		return ferr(r->file, id ? id->line : t->line, s->id,
			    "bad id: use letters, digits, '.', '_' and '-'");
	for (size_t i = 0; i < t->nkids && !rc; i++) {
		const struct gt_toml *v = t->kids[i];
		const char *k = v->key;

		if (!strcmp(k, "id"))
			continue;
		if (!strcmp(k, "title"))
			rc = get_str(&s->title, r, v, "title", s->id);
		else if (!strcmp(k, "description"))
			rc = get_str(&s->description, r, v, "description", s->id);
		else if (!strcmp(k, "acceptance"))
			rc = get_str(&s->acceptance, r, v, "acceptance", s->id);
		else if (!strcmp(k, "needs") || !strcmp(k, "depends_on"))
			rc = get_list(&s->needs, r, v, k, s->id);
		else
			cJSON_AddItemToObject(s->extra, k, gt_toml_to_json(v));
	}
	if (rc == 0 && !s->title)
		s->title = gt_strdup(s->id);
	return rc;
}

static struct gt_formula_step *step_new(struct gt_formula *f)
{
	GT_ALLOC_GROW(f->steps, f->nsteps + 1, f->asteps);
	return &f->steps[f->nsteps++];
}

static int read_steps(struct reader *r, const struct gt_toml *arr, const char *kind,
		      const char *what)
{
	struct gt_formula *f = r->f;
	int rc;

	if (arr->type != GT_TOML_ARRAY)
		return ferr(r->file, arr->line, NULL, "%s must be an array of tables ([[%s]])",
			    what, what);
	for (size_t i = 0; i < arr->nkids; i++) {
		struct gt_formula_step s;

		if ((rc = read_step(&s, r, arr->kids[i], kind, what)) < 0) {
			gt_formula_step_release(&s);
			return rc;
		}
		for (size_t j = 0; j < f->nsteps; j++)
			if (!strcmp(f->steps[j].id, s.id)) {
				rc = ferr(r->file, s.line, s.id,
					  "duplicate id (first defined at line %d)",
					  f->steps[j].line);
				gt_formula_step_release(&s);
				return rc;
			}
		*step_new(f) = s;
	}
	return 0;
}

static void var_release(struct gt_formula_var *v)
{
	free(v->name);
	free(v->description);
	free(v->dflt);
	free(v->pattern);
	free(v->type);
	gt_strlist_release_owned(&v->enumv);
	memset(v, 0, sizeof(*v));
}

static int read_var(struct gt_formula_var *v, const struct reader *r, const struct gt_toml *t)
{
	int rc = 0;

	memset(v, 0, sizeof(*v));
	v->name = gt_strdup(t->key);
	v->file = r->file;
	v->line = t->line;
	if (t->type == GT_TOML_STRING) { /* name = "default" */
		v->dflt = gt_strdup(t->str);
		v->has_default = 1;
		return 0;
	}
	if (t->type != GT_TOML_TABLE)
		return ferr(r->file, t->line, NULL,
			    "variable '%s' must be a table or a default string", t->key);
	for (size_t i = 0; i < t->nkids && !rc; i++) {
		const struct gt_toml *x = t->kids[i];
		const char *k = x->key;

		if (!strcmp(k, "description"))
			rc = get_str(&v->description, r, x, "description", NULL);
		else if (!strcmp(k, "default")) {
			/* numbers and bools are fine as defaults: keep their text */
			if (x->type == GT_TOML_STRING) {
				v->dflt = gt_strdup(x->str);
			} else if (x->type == GT_TOML_INTEGER || x->type == GT_TOML_BOOL ||
				   x->type == GT_TOML_FLOAT) {
				cJSON *j = gt_toml_to_json(x);
				char *s = cJSON_PrintUnformatted(j);

				v->dflt = gt_strdup(s);
				cJSON_free(s);
				cJSON_Delete(j);
			} else {
				rc = ferr(r->file, x->line, NULL,
					  "default of variable '%s' must be a string", v->name);
			}
			v->has_default = 1;
		} else if (!strcmp(k, "required")) {
			if ((rc = want_type(r, x, GT_TOML_BOOL, "required", NULL)) == 0)
				v->required = x->b;
		} else if (!strcmp(k, "pattern"))
			rc = get_str(&v->pattern, r, x, "pattern", NULL);
		else if (!strcmp(k, "type"))
			rc = get_str(&v->type, r, x, "type", NULL);
		else if (!strcmp(k, "enum"))
			rc = get_list(&v->enumv, r, x, "enum", NULL);
		/* anything else: documentation for people, ignored */
	}
	/* required with a default (Gas Town ships such formulas): the
	 * default satisfies it */
	if (v->required && v->has_default)
		v->required = 0;
	return rc;
}

static int read_vars(struct reader *r, const struct gt_toml *t)
{
	struct gt_formula *f = r->f;
	int rc;

	if (t->type != GT_TOML_TABLE)
		return ferr(r->file, t->line, NULL, "vars must be a table");
	for (size_t i = 0; i < t->nkids; i++) {
		GT_ALLOC_GROW(f->vars, f->nvars + 1, f->avars);
		if ((rc = read_var(&f->vars[f->nvars], r, t->kids[i])) < 0) {
			var_release(&f->vars[f->nvars]);
			return rc;
		}
		f->nvars++;
	}
	return 0;
}

static int read_advice(struct reader *r, const struct gt_toml *arr)
{
	struct gt_formula *f = r->f;
	int rc = 0;

	if (arr->type != GT_TOML_ARRAY)
		return ferr(r->file, arr->line, NULL, "advice must be an array of tables");
	for (size_t i = 0; i < arr->nkids && !rc; i++) {
		const struct gt_toml *t = arr->kids[i];
		struct gt_formula_advice *a;
		const char *names[] = { "before", "after" };

		if (t->type != GT_TOML_TABLE)
			return ferr(r->file, t->line, NULL, "advice must be tables");
		GT_ALLOC_GROW(f->advice, f->nadvice + 1, f->aadvice);
		a = &f->advice[f->nadvice++];
		memset(a, 0, sizeof(*a));
		a->file = r->file;
		a->line = t->line;
		if (!gt_toml_str(t, "target"))
			return ferr(r->file, t->line, NULL, "advice without a target");
		a->target = gt_strdup(gt_toml_str(t, "target"));
		for (int k = 0; k < 2 && !rc; k++) {
			/* before/after, or Beads' around = { before, after } */
			const struct gt_toml *l = gt_toml_get(t, names[k]);

			if (!l)
				l = gt_toml_get(gt_toml_get(t, "around"), names[k]);
			struct gt_formula_step **v = k ? &a->after : &a->before;
			size_t *n = k ? &a->nafter : &a->nbefore;

			if (!l)
				continue;
			if (l->type != GT_TOML_ARRAY)
				return ferr(r->file, l->line, NULL,
					    "advice %s must be an array of steps", names[k]);
			*v = gt_calloc(l->nkids ? l->nkids : 1, sizeof(**v));
			for (size_t j = 0; j < l->nkids && !rc; j++, (*n)++)
				rc = read_step(&(*v)[j], r, l->kids[j], "step", names[k]);
		}
	}
	return rc;
}

/* Read one file into f (no extends yet). */
static int read_file(struct gt_formula *f, const char *path, const char *origin)
{
	struct gt_toml *doc = NULL;
	struct reader r = { f, NULL };
	const struct gt_toml *v;
	int rc;

	gt_strlist_push_dup(&f->files, path);
	r.file = f->files.v[f->files.n - 1];
	f->path = gt_strdup(path);
	f->origin = origin;
	f->version = 1;
	f->extra = cJSON_CreateObject();
	if ((rc = gt_toml_parse_file(&doc, path)) < 0)
		return rc;
	if (!(v = gt_toml_get(doc, "formula"))) {
		rc = ferr(path, 0, NULL, "no 'formula' key naming the formula");
		goto out;
	}
	if ((rc = get_str(&f->name, &r, v, "formula", NULL)) < 0)
		goto out;
	for (size_t i = 0; i < doc->nkids && !rc; i++) {
		const char *k = doc->kids[i]->key;

		v = doc->kids[i];
		if (!strcmp(k, "formula"))
			continue;
		if (!strcmp(k, "description")) {
			rc = get_str(&f->description, &r, v, k, NULL);
			f->set |= SET_DESC;
		} else if (!strcmp(k, "type")) {
			rc = get_str(&f->type, &r, v, k, NULL);
			f->set |= SET_TYPE;
		} else if (!strcmp(k, "version")) {
			if ((rc = want_type(&r, v, GT_TOML_INTEGER, k, NULL)) == 0 &&
			    (v->i < 1 || v->i > 1000000000))
				rc = ferr(path, v->line, NULL, "version must be 1 or more");
			f->version = (int)v->i;
			f->set |= SET_VERSION;
		} else if (!strcmp(k, "pour")) {
			if ((rc = want_type(&r, v, GT_TOML_BOOL, k, NULL)) == 0)
				f->pour = v->b;
			f->set |= SET_POUR;
		} else if (!strcmp(k, "extends")) {
			rc = get_list(&f->extends, &r, v, k, NULL);
		} else if (!strcmp(k, "vars")) {
			rc = read_vars(&r, v);
		} else if (!strcmp(k, "steps") || !strcmp(k, "template")) {
			rc = read_steps(&r, v, "step", k);
		} else if (!strcmp(k, "legs")) {
			rc = read_steps(&r, v, "leg", k);
		} else if (!strcmp(k, "synthesis")) {
			f->synthesis = gt_calloc(1, sizeof(*f->synthesis));
			rc = read_step(f->synthesis, &r, v, "synthesis", k);
		} else if (!strcmp(k, "advice")) {
			rc = read_advice(&r, v);
		} else if (!strcmp(k, "compose")) {
			if ((rc = want_type(&r, v, GT_TOML_TABLE, k, NULL)) == 0)
				f->compose = gt_toml_to_json(v);
		} else {
			cJSON_AddItemToObject(f->extra, k, gt_toml_to_json(v));
		}
	}
	if (rc)
		goto out;
	if (!f->type) {
		/* as Gas Town infers it */
		int legs = f->nsteps && !strcmp(f->steps[0].kind, "leg");

		f->type = gt_strdup(legs			   ? "convoy"
				    : f->nadvice		   ? "aspect"
				    : gt_toml_get(doc, "template") ? "expansion"
								   : "workflow");
	} else if (strcmp(f->type, "workflow") && strcmp(f->type, "convoy") &&
		   strcmp(f->type, "expansion") && strcmp(f->type, "aspect")) {
		rc = ferr(path, gt_toml_get(doc, "type")->line, NULL,
			  "type '%s' is not workflow, convoy, expansion or aspect", f->type);
	}
out:
	gt_toml_free(doc);
	return rc;
}

/* ---- extends ---- */

/* A step or a variable keeps a pointer to the name of its file, which
 * must live as long as the formula it is copied into. */
static const char *adopt_file(struct gt_formula *f, const char *file)
{
	for (size_t i = 0; i < f->files.n; i++)
		if (!strcmp(f->files.v[i], file))
			return f->files.v[i];
	gt_strlist_push_dup(&f->files, file);
	return f->files.v[f->files.n - 1];
}

void gt_formula_step_copy(struct gt_formula *into, struct gt_formula_step *d,
			  const struct gt_formula_step *s)
{
	*d = *s;
	d->id = gt_strdup(s->id);
	d->title = s->title ? gt_strdup(s->title) : NULL;
	d->description = s->description ? gt_strdup(s->description) : NULL;
	d->acceptance = s->acceptance ? gt_strdup(s->acceptance) : NULL;
	memset(&d->needs, 0, sizeof(d->needs));
	for (size_t i = 0; i < s->needs.n; i++)
		gt_strlist_push_dup(&d->needs, s->needs.v[i]);
	d->extra = cJSON_Duplicate(s->extra, 1);
	d->file = adopt_file(into, s->file);
}

void gt_formula_inherit_vars(struct gt_formula *f, const struct gt_formula *from)
{
	for (size_t i = 0; i < from->nvars; i++) {
		const struct gt_formula_var *s = &from->vars[i];
		struct gt_formula_var *d;
		size_t j;

		for (j = 0; j < f->nvars; j++)
			if (!strcmp(f->vars[j].name, s->name))
				break;
		if (j < f->nvars)
			continue; /* declared here: ours wins */
		GT_ALLOC_GROW(f->vars, f->nvars + 1, f->avars);
		d = &f->vars[f->nvars++];
		*d = *s;
		d->name = gt_strdup(s->name);
		d->description = s->description ? gt_strdup(s->description) : NULL;
		d->dflt = s->dflt ? gt_strdup(s->dflt) : NULL;
		d->pattern = s->pattern ? gt_strdup(s->pattern) : NULL;
		d->type = s->type ? gt_strdup(s->type) : NULL;
		memset(&d->enumv, 0, sizeof(d->enumv));
		for (size_t k = 0; k < s->enumv.n; k++)
			gt_strlist_push_dup(&d->enumv, s->enumv.v[k]);
		d->file = adopt_file(f, s->file);
	}
}

/* Merge parent into child the way Beads does: the parent's variables
 * unless the child declares them, the parent's steps first, a child step
 * with a parent step's id replacing it in place. */
static void inherit(struct gt_formula *f, const struct gt_formula *parent)
{
	struct gt_formula_step *own = f->steps;
	size_t nown = f->nsteps;

	f->steps = NULL;
	f->nsteps = f->asteps = 0;
	for (size_t i = 0; i < parent->nsteps; i++) {
		gt_formula_step_copy(f, step_new(f), &parent->steps[i]);
	}
	for (size_t i = 0; i < nown; i++) {
		size_t j;

		for (j = 0; j < f->nsteps; j++)
			if (!strcmp(f->steps[j].id, own[i].id))
				break;
		if (j < f->nsteps) {
			gt_formula_step_release(&f->steps[j]);
			f->steps[j] = own[i];
		} else {
			*step_new(f) = own[i];
		}
	}
	free(own);
	gt_formula_inherit_vars(f, parent);
	if (!f->synthesis && parent->synthesis) {
		f->synthesis = gt_calloc(1, sizeof(*f->synthesis));
		gt_formula_step_copy(f, f->synthesis, parent->synthesis);
	}
	if (!(f->set & SET_DESC) && parent->description)
		f->description = gt_strdup(parent->description);
	if (!(f->set & SET_TYPE)) {
		free(f->type);
		f->type = gt_strdup(parent->type);
	}
	if (!(f->set & SET_POUR))
		f->pour = parent->pour;
	if (!f->compose && parent->compose) {
		f->compose = cJSON_Duplicate(parent->compose, 1);
	} else if (parent->compose) {
		/* the parent's expansions and aspects, then the child's */
		for (const cJSON *x = parent->compose->child; x; x = x->next) {
			cJSON *mine = cJSON_GetObjectItemCaseSensitive(f->compose, x->string);

			if (!mine) {
				cJSON_AddItemToObject(f->compose, x->string, cJSON_Duplicate(x, 1));
			} else if (cJSON_IsArray(mine) && cJSON_IsArray(x)) {
				int i = 0;

				for (const cJSON *e = x->child; e; e = e->next)
					gt_json_array_insert(mine, i++, cJSON_Duplicate(e, 1));
			}
		}
	}
	for (const cJSON *x = parent->extra->child; x; x = x->next)
		if (!cJSON_GetObjectItemCaseSensitive(f->extra, x->string))
			cJSON_AddItemToObject(f->extra, x->string, cJSON_Duplicate(x, 1));
	f->set |= parent->set & (SET_DESC | SET_POUR);
}

static int load(struct gt_formula **out, const struct gt_formula_path *p, const char *name,
		struct gt_strlist *chain);

static int resolve_extends(struct gt_formula *f, const struct gt_formula_path *p,
			   struct gt_strlist *chain)
{
	int rc = 0;

	for (size_t i = f->extends.n; i-- > 0 && !rc;) {
		/* in reverse, so the first parent's steps end up first */
		struct gt_formula *parent = NULL;

		if ((rc = load(&parent, p, f->extends.v[i], chain)) == 0)
			inherit(f, parent);
		gt_formula_free(parent);
	}
	return rc;
}

static int load(struct gt_formula **out, const struct gt_formula_path *p, const char *name,
		struct gt_strlist *chain)
{
	struct gt_formula *f = gt_calloc(1, sizeof(*f));
	struct gt_buf path = GT_BUF_INIT, cyc = GT_BUF_INIT;
	const char *origin = NULL;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < chain->n; i++)
		if (!strcmp(chain->v[i], name)) {
			for (size_t j = i; j < chain->n; j++)
				gt_buf_printf(&cyc, "%s -> ", chain->v[j]);
			rc = gt_error_set(GT_EINVALID, "formula '%s' extends itself: %s%s", name,
					  cyc.ptr, name);
			gt_buf_release(&cyc);
			free(f);
			return rc;
		}
	if (chain->n > 16) {
		free(f);
		return gt_error_set(GT_EINVALID, "formula '%s': extends nests too deep", name);
	}
	if ((rc = gt_formula_find(&path, &origin, p, name)) == 0 &&
	    (rc = read_file(f, path.ptr, origin)) == 0) {
		if (!is_file_arg(name) && strcmp(f->name, name))
			rc = ferr(path.ptr, 0, NULL,
				  "the file is named for '%s' but says formula = \"%s\"", name,
				  f->name);
	}
	if (rc == 0) {
		gt_strlist_push_dup(chain, f->name);
		rc = resolve_extends(f, p, chain);
		free((char *)chain->v[--chain->n]);
	}
	gt_buf_release(&path);
	if (rc < 0) {
		gt_formula_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void gt_formula_path_near(struct gt_formula_path *near, char **dir, const struct gt_formula_path *p,
			  const char *name)
{
	const char *slash;

	*near = *p;
	*dir = NULL;
	if (!is_file_arg(name))
		return;
	/* a file's own directory comes first for what it extends and
	 * composes: formulas that go together sit together */
	slash = strrchr(name, '/');
	*dir = slash ? gt_strndup(name, (size_t)(slash - name + (slash == name))) : gt_strdup(".");
	memmove(&near->dirs[1], &near->dirs[0], sizeof(near->dirs[0]) * (GT_FORMULA_PATH_MAX - 1));
	memmove(&near->origins[1], &near->origins[0],
		sizeof(near->origins[0]) * (GT_FORMULA_PATH_MAX - 1));
	near->dirs[0] = *dir;
	near->origins[0] = "file";
	if (near->n < GT_FORMULA_PATH_MAX)
		near->n++;
}

int gt_formula_read(struct gt_formula **out, const struct gt_formula_path *p, const char *name)
{
	struct gt_strlist chain = { 0 };
	int rc = load(out, p, name, &chain);

	gt_strlist_release_owned(&chain);
	return rc;
}

void gt_formula_free(struct gt_formula *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->description);
	free(f->type);
	free(f->path);
	gt_strlist_release_owned(&f->extends);
	for (size_t i = 0; i < f->nvars; i++)
		var_release(&f->vars[i]);
	free(f->vars);
	for (size_t i = 0; i < f->nsteps; i++)
		gt_formula_step_release(&f->steps[i]);
	free(f->steps);
	if (f->synthesis)
		gt_formula_step_release(f->synthesis);
	free(f->synthesis);
	for (size_t i = 0; i < f->nadvice; i++) {
		for (size_t j = 0; j < f->advice[i].nbefore; j++)
			gt_formula_step_release(&f->advice[i].before[j]);
		for (size_t j = 0; j < f->advice[i].nafter; j++)
			gt_formula_step_release(&f->advice[i].after[j]);
		free(f->advice[i].before);
		free(f->advice[i].after);
		free(f->advice[i].target);
	}
	free(f->advice);
	cJSON_Delete(f->compose);
	cJSON_Delete(f->extra);
	gt_strlist_release_owned(&f->files);
	free(f);
}

/* ---- listing ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gt_formula_list(cJSON **out, const struct gt_formula_path *p, int all)
{
	cJSON *arr = cJSON_CreateArray();
	struct gt_strlist seen = { 0 };

	for (size_t d = 0; d < p->n; d++) {
		DIR *dir = opendir(p->dirs[d]);
		struct dirent *e;
		char **names = NULL;
		size_t n = 0, alloc = 0;

		if (!dir)
			continue;
		while ((e = readdir(dir))) {
			size_t len = strlen(e->d_name), sl = strlen(SUFFIX);

			if (len > sl && !strcmp(e->d_name + len - sl, SUFFIX) &&
			    e->d_name[0] != '.') {
				GT_ALLOC_GROW(names, n + 1, alloc);
				names[n++] = gt_strndup(e->d_name, len - sl);
			}
		}
		closedir(dir);
		if (n)
			qsort(names, n, sizeof(*names), by_name);
		for (size_t i = 0; i < n; i++) {
			int shadowed = gt_strlist_has(&seen, names[i]);
			struct gt_buf path = GT_BUF_INIT;
			struct gt_formula *f = gt_calloc(1, sizeof(*f));
			cJSON *o;

			if (shadowed && !all)
				goto next;
			gt_buf_printf(&path, "%s/%s" SUFFIX, p->dirs[d], names[i]);
			o = cJSON_CreateObject();
			gt_json_set_str(o, "name", names[i]);
			if (read_file(f, path.ptr, p->origins[d]) == 0) {
				gt_json_set_str(o, "type", f->type);
				gt_json_set_int(o, "version", f->version);
				gt_json_set_str(o, "description",
						f->description ? f->description : "");
				gt_json_set_int(o, "steps", (int64_t)f->nsteps);
			} else {
				gt_json_set_str(o, "error", gt_error_last());
				gt_error_clear();
			}
			gt_json_set_str(o, "origin", p->origins[d]);
			gt_json_set_str(o, "path", path.ptr);
			gt_json_set_bool(o, "shadowed", shadowed);
			cJSON_AddItemToArray(arr, o);
			if (!shadowed)
				gt_strlist_push_dup(&seen, names[i]);
		next:
			gt_formula_free(f);
			gt_buf_release(&path);
			free(names[i]);
		}
		free(names);
	}
	gt_strlist_release_owned(&seen);
	*out = arr;
	return 0;
}

/* ---- JSON ---- */

cJSON *gt_formula_step_json(const struct gt_formula_step *s)
{
	cJSON *o = cJSON_CreateObject(), *needs = cJSON_CreateArray();

	gt_json_set_str(o, "id", s->id);
	gt_json_set_str(o, "title", s->title);
	if (s->description)
		gt_json_set_str(o, "description", s->description);
	if (s->acceptance)
		gt_json_set_str(o, "acceptance", s->acceptance);
	for (size_t i = 0; i < s->needs.n; i++)
		cJSON_AddItemToArray(needs, cJSON_CreateString(s->needs.v[i]));
	cJSON_AddItemToObject(o, "needs", needs);
	gt_json_set_str(o, "kind", s->kind);
	for (const cJSON *x = s->extra->child; x; x = x->next)
		if (!cJSON_GetObjectItemCaseSensitive(o, x->string))
			cJSON_AddItemToObject(o, x->string, cJSON_Duplicate(x, 1));
	return o;
}

cJSON *gt_formula_json(const struct gt_formula *f)
{
	cJSON *o = cJSON_CreateObject(), *vars = cJSON_CreateObject(), *steps;

	gt_json_set_str(o, "formula", f->name);
	gt_json_set_int(o, "version", f->version);
	gt_json_set_str(o, "type", f->type);
	gt_json_set_str(o, "description", f->description ? f->description : "");
	gt_json_set_str(o, "source", f->path);
	gt_json_set_str(o, "origin", f->origin);
	gt_json_set_bool(o, "pour", f->pour);
	if (f->extends.n) {
		cJSON *e = cJSON_AddArrayToObject(o, "extends");

		for (size_t i = 0; i < f->extends.n; i++)
			cJSON_AddItemToArray(e, cJSON_CreateString(f->extends.v[i]));
	}
	for (size_t i = 0; i < f->nvars; i++) {
		const struct gt_formula_var *v = &f->vars[i];
		cJSON *x = cJSON_CreateObject();

		if (v->description)
			gt_json_set_str(x, "description", v->description);
		gt_json_set_bool(x, "required", v->required);
		if (v->has_default)
			gt_json_set_str(x, "default", v->dflt);
		if (v->pattern)
			gt_json_set_str(x, "pattern", v->pattern);
		if (v->enumv.n) {
			cJSON *e = cJSON_AddArrayToObject(x, "enum");

			for (size_t j = 0; j < v->enumv.n; j++)
				cJSON_AddItemToArray(e, cJSON_CreateString(v->enumv.v[j]));
		}
		cJSON_AddItemToObject(vars, v->name, x);
	}
	cJSON_AddItemToObject(o, "vars", vars);
	steps = cJSON_AddArrayToObject(o, "steps");
	for (size_t i = 0; i < f->nsteps; i++)
		cJSON_AddItemToArray(steps, gt_formula_step_json(&f->steps[i]));
	if (f->synthesis)
		cJSON_AddItemToObject(o, "synthesis", gt_formula_step_json(f->synthesis));
	for (const cJSON *x = f->extra->child; x; x = x->next)
		if (!cJSON_GetObjectItemCaseSensitive(o, x->string))
			cJSON_AddItemToObject(o, x->string, cJSON_Duplicate(x, 1));
	return o;
}

int gt_formula_vars_parse(cJSON **out, const struct gt_strlist *args)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; i < args->n; i++) {
		const char *eq = strchr(args->v[i], '=');
		char *name;

		if (!eq || eq == args->v[i]) {
			cJSON_Delete(o);
			return gt_error_set(GT_EUSAGE, "--var wants NAME=VALUE, not '%s'",
					    args->v[i]);
		}
		name = gt_strndup(args->v[i], (size_t)(eq - args->v[i]));
		gt_json_set_str(o, name, eq + 1);
		free(name);
	}
	*out = o;
	return 0;
}
