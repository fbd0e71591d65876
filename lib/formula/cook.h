/*
 * cook.h - from formulas to a step DAG: loading a formula whole (what it
 * extends and what it composes: expansions replacing a step, aspects
 * wrapping steps) and cooking it.
 *
 * Cooking substitutes {{var}} in every text, checks the graph (unknown
 * needs, cycles, missing required variables, enum and pattern) and gives
 * the DAG as JSON: {formula, version, type, description, source, pour,
 * vars: {NAME: value}, steps: [{id, title, description, acceptance, needs,
 * kind, ...}], ...}.  Every error names the file, the line and the step.
 */
#ifndef GT_COOK_H
#define GT_COOK_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "formula/formula.h"

/* Load a formula and everything it extends and composes (GT_EINVALID for
 * bad TOML or schema, naming file, line and step; GT_ENOTFOUND).  For a
 * file path, the formulas it extends and composes are looked for in its
 * own directory first. */
int gt_formula_load(struct gt_formula **out, const struct gt_formula_path *p, const char *name);

/* Cook: vars is an object of NAME: "value" (NULL: none).  partial leaves
 * {{NAME}} of variables without a value as written instead of failing.
 * *out is the DAG described above, steps in an order where every step
 * comes after the steps it needs. */
int gt_formula_cook(cJSON **out, const struct gt_formula *f, const cJSON *vars, int partial);

/* Replace {{NAME}} in s with vars' NAME (a string); names without a value
 * are left as written.  Appends to out. */
void gt_formula_subst(struct gt_buf *out, const char *s, const cJSON *vars);

#endif
