/*
 * formula.h - workflow formulas (gt-formula(5)): TOML files of variables
 * and steps that depend on each other, found on a search path and
 * resolved through `extends`.
 *
 * A formula NAME lives in NAME.formula.toml in the first directory of the
 * search path that has one: the rig's (<town>/<rig>/formulas), the town's
 * (<town>/formulas), then the formulas shipped with gt.  Anything with a
 * '/' or ending in ".toml" is a file path instead.
 *
 * This module reads formulas (TOML, schema, extends); cook.h composes
 * and cooks them.  Every error names the file, the line and the step.
 * Keys this module does not know are kept: in the step or at the top of
 * the cooked JSON, as written.
 */
#ifndef GT_FORMULA_H
#define GT_FORMULA_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/options.h"

struct gt_formula_step {
	char *id, *title, *description, *acceptance;
	struct gt_strlist needs; /* owned strings */
	const char *kind;	 /* "step", "leg", "synthesis" (static) */
	const char *file;	 /* where it was written (owned by the formula) */
	int line;
	cJSON *extra; /* every other key, as JSON (an object, never NULL) */
};

struct gt_formula_var {
	char *name, *description, *dflt, *pattern, *type;
	struct gt_strlist enumv; /* owned */
	int required, has_default;
	const char *file;
	int line;
};

/* An aspect's advice: steps inserted before and after every step whose id
 * matches target (a glob). */
struct gt_formula_advice {
	char *target;
	struct gt_formula_step *before, *after;
	size_t nbefore, nafter;
	const char *file;
	int line;
};

struct gt_formula {
	char *name, *description, *type, *path;
	const char *origin;	   /* "rig", "town", "shipped", "file" */
	int version;		   /* >= 1 */
	int pour;		   /* steps become beads */
	struct gt_strlist extends; /* owned */
	struct gt_formula_var *vars;
	size_t nvars, avars;
	/* workflow steps, convoy legs, or an expansion's template */
	struct gt_formula_step *steps;
	size_t nsteps, asteps;
	struct gt_formula_step *synthesis; /* convoy, NULL if none */
	struct gt_formula_advice *advice;
	size_t nadvice, aadvice;
	cJSON *compose;		 /* [compose] as JSON, NULL if none */
	cJSON *extra;		 /* unknown top-level keys (an object, never NULL) */
	struct gt_strlist files; /* owned: every file read, for step->file */
	/* private: which fields were written (for extends) */
	unsigned set;
};

/* Where formulas are looked for, in order. */
#define GT_FORMULA_PATH_MAX 5
struct gt_formula_path {
	char *dirs[GT_FORMULA_PATH_MAX];
	const char *origins[GT_FORMULA_PATH_MAX];
	size_t n;
};

/* The search path for a town root (NULL: none) and rig (NULL: none);
 * bindir is where the running gt programs live (finds the shipped ones:
 * <bindir>/../share/gt/formulas, <bindir>/../formulas, then the install
 * DATADIR). */
void gt_formula_path_init(struct gt_formula_path *p, const char *town_root, const char *rig,
			  const char *bindir);
void gt_formula_path_release(struct gt_formula_path *p);

/* Check a formula name: [A-Za-z0-9][A-Za-z0-9._-]*, at most 100 bytes. */
int gt_formula_name_check(const char *name);

/* Find NAME's file (or take a path as it is): path and origin ("rig",
 * "town", "shipped", "file").  GT_ENOTFOUND naming the directories. */
int gt_formula_find(struct gt_buf *path, const char **origin, const struct gt_formula_path *p,
		    const char *name);

/* Read a formula and everything it extends, but not what it composes
 * (gt_formula_load() in cook.h does both): GT_EINVALID for bad TOML or
 * schema, naming file, line and step; GT_ENOTFOUND. */
int gt_formula_read(struct gt_formula **out, const struct gt_formula_path *p, const char *name);
/* The path to look up what formula name extends and composes: p, with
 * the file's own directory first when name is a file path.  near borrows
 * p's directories; *dir (or NULL) is the added one, freed by the caller. */
void gt_formula_path_near(struct gt_formula_path *near, char **dir, const struct gt_formula_path *p,
			  const char *name);
void gt_formula_free(struct gt_formula *f);

/* Every formula on the path: [{name, type, version, description, origin,
 * path, shadowed}], nearest directory first, by name within each.  all: include those a
 * nearer directory shadows.  A file that does not parse is listed with an
 * "error" member. */
int gt_formula_list(cJSON **out, const struct gt_formula_path *p, int all);

/* The formula as loaded (after extends), as JSON: what gt-formula-show
 * --json prints. */
cJSON *gt_formula_json(const struct gt_formula *f);

/* For cook.c: steps and variables copied between formulas, and a step as
 * JSON. */
void gt_formula_step_copy(struct gt_formula *into, struct gt_formula_step *d,
			  const struct gt_formula_step *s);
void gt_formula_step_release(struct gt_formula_step *s);
/* Append copies of from's variables that f does not declare. */
void gt_formula_inherit_vars(struct gt_formula *f, const struct gt_formula *from);
cJSON *gt_formula_step_json(const struct gt_formula_step *s);

/* Parse "NAME=VALUE" arguments into an object (GT_EUSAGE on a bad one). */
int gt_formula_vars_parse(cJSON **out, const struct gt_strlist *args);

#endif
