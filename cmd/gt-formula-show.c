/*
 * gt-formula-show - one formula as resolved (extends and compose
 * applied, variables not yet substituted): where it came from, its
 * variables and its steps.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-formula-show [--rig RIG] [--json] FORMULA",
	NULL,
};

static void print_human(const cJSON *f)
{
	const cJSON *v, *s, *n;
	int64_t ver = 0;

	gt_json_int(f, "version", &ver);
	printf("%s (%s, version %lld%s)\nsource: %s (%s)\n", gt_json_str(f, "formula"),
	       gt_json_str(f, "type"), (long long)ver, gt_json_bool(f, "pour") ? ", poured" : "",
	       gt_json_str(f, "source"), gt_json_str(f, "origin"));
	if (*gt_json_str(f, "description"))
		printf("\n%s\n", gt_json_str(f, "description"));
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, "vars")))
		printf("\nvariables:\n");
	cJSON_ArrayForEach (v, cJSON_GetObjectItemCaseSensitive(f, "vars")) {
		printf("  %s", v->string);
		if (gt_json_bool(v, "required"))
			printf(" (required)");
		else if (gt_json_str(v, "default"))
			printf(" = \"%s\"", gt_json_str(v, "default"));
		if (gt_json_str(v, "description"))
			printf("  %s", gt_json_str(v, "description"));
		printf("\n");
	}
	printf("\nsteps:\n");
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(f, "steps")) {
		int first = 1;

		printf("  %s\t%s", gt_json_str(s, "id"), gt_json_str(s, "title"));
		cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			printf("%s%s", first ? "\t(needs " : ", ", n->valuestring);
			first = 0;
		}
		printf("%s%s\n", first ? "" : ")",
		       strcmp(gt_json_str(s, "kind"), "step") ? "\t[leg]" : "");
	}
	if ((s = cJSON_GetObjectItemCaseSensitive(f, "synthesis")))
		printf("  %s\t%s\t(after the legs) [synthesis]\n", gt_json_str(s, "id"),
		       gt_json_str(s, "title"));
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_formula_path path;
	struct gt_formula *f = NULL;
	const char *rig = NULL;
	cJSON *j = NULL;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "rig", &rig, "RIG",
			      "look in RIG's formulas first (default: $GT_RIG)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show a formula";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "one formula is required");
	if ((rc = gt_cli_formula_path(&cli, &ctx, &t, rig, 0, &path)) < 0 ||
	    (rc = gt_formula_load(&f, &path, argv[1])) < 0)
		goto out;
	j = gt_formula_json(f);
	if (cli.json)
		gt_cli_print_json(&cli, j);
	else
		print_human(j);
out:
	cJSON_Delete(j);
	gt_formula_free(f);
	gt_formula_path_release(&path);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
