/*
 * formula.c - in-process cost of a formula: TOML parse, and load + cook.
 *
 * usage: formula [-n N] FILE [NAME=VALUE...]
 *        formula --json FILE
 *
 * The first form runs N iterations (default 2000) of each of two jobs on
 * FILE, after one unmeasured run of each that must succeed:
 *
 *   parse   gt_toml_parse_file(): read the file and parse the TOML
 *   cook    gt_formula_load() (the file is a path, so no search; whatever
 *           it extends or composes is found on the shipped search path)
 *           then gt_formula_cook() with the NAME=VALUE variables
 *
 * Each iteration is timed alone, without the freeing of what it made, and
 * the figures printed are nearest-rank percentiles in microseconds:
 *
 *   parse_us P50 P90
 *   cook_us P50 P90
 *
 * The second form prints gt_toml_to_json() of the file as compact JSON:
 * the same data for a jq baseline (bench/formula.sh).  Exits 1 when the
 * file does not parse or cook (the library's message on stderr), 2 on a
 * usage error.
 */
#include <cjson/cJSON.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "base/error.h"
#include "formula/cook.h"
#include "base/options.h"
#include "base/toml.h"
#include "base/banned.h"

static void usage(void)
{
	fputs("usage: formula [-n N] FILE [NAME=VALUE...]\n"
	      "       formula --json FILE\n",
	      stderr);
	exit(2);
}

static void fail(void)
{
	fprintf(stderr, "%s: %s\n", bench_prog, gt_error_last());
	exit(1);
}

static int print_json(const char *file)
{
	struct gt_toml *root = NULL;
	cJSON *j;
	char *s;

	if (gt_toml_parse_file(&root, file) < 0)
		fail();
	j = gt_toml_to_json(root);
	s = j ? cJSON_PrintUnformatted(j) : NULL;
	if (!s)
		die("out of memory");
	puts(s);
	cJSON_free(s);
	cJSON_Delete(j);
	gt_toml_free(root);
	if (fflush(stdout) || ferror(stdout))
		return 2;
	return 0;
}

/* One read + parse; its time in ns. */
static int64_t parse_once(const char *file)
{
	struct gt_toml *root = NULL;
	int64_t t0 = now_ns(), t;

	if (gt_toml_parse_file(&root, file) < 0)
		fail();
	t = now_ns() - t0;
	gt_toml_free(root);
	return t;
}

/* One load + cook; its time in ns. */
static int64_t cook_once(const struct gt_formula_path *p, const char *file, const cJSON *vars)
{
	struct gt_formula *f = NULL;
	cJSON *dag = NULL;
	int64_t t0 = now_ns(), t;

	if (gt_formula_load(&f, p, file) < 0 || gt_formula_cook(&dag, f, vars, 0) < 0)
		fail();
	t = now_ns() - t0;
	cJSON_Delete(dag);
	gt_formula_free(f);
	return t;
}

static void report(const char *what, int64_t *ns, size_t n)
{
	qsort(ns, n, sizeof(*ns), cmp_i64);
	printf("%s %.1f %.1f\n", what, pct_ms(ns, n, 50) * 1e3, pct_ms(ns, n, 90) * 1e3);
}

int main(int argc, char **argv)
{
	struct gt_formula_path path;
	struct gt_strlist args = { 0 };
	cJSON *vars = NULL;
	const char *file;
	int64_t *parse_ns, *cook_ns;
	long n = 2000;
	int opt;

	bench_prog = "formula";
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		if (argc != 3)
			usage();
		return print_json(argv[2]);
	}
	while ((opt = getopt(argc, argv, "+n:")) != -1) {
		switch (opt) {
		case 'n': n = (long)parse_num(optarg, "iteration count", 1, 1); break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	file = argv[optind++];
	for (; optind < argc; optind++)
		gt_strlist_push(&args, argv[optind]);
	if (gt_formula_vars_parse(&vars, &args) < 0) {
		fprintf(stderr, "%s: %s\n", bench_prog, gt_error_last());
		exit(2);
	}
	gt_formula_path_init(&path, NULL, NULL, NULL);

	parse_ns = xrealloc(NULL, (size_t)n * sizeof(*parse_ns));
	cook_ns = xrealloc(NULL, (size_t)n * sizeof(*cook_ns));
	/* the check runs: a file that does not parse or cook stops here */
	parse_once(file);
	cook_once(&path, file, vars);
	for (long i = 0; i < n; i++)
		parse_ns[i] = parse_once(file);
	for (long i = 0; i < n; i++)
		cook_ns[i] = cook_once(&path, file, vars);
	report("parse_us", parse_ns, (size_t)n);
	report("cook_us", cook_ns, (size_t)n);

	free(parse_ns);
	free(cook_ns);
	cJSON_Delete(vars);
	gt_strlist_release(&args);
	gt_formula_path_release(&path);
	if (fflush(stdout) || ferror(stdout))
		return 2;
	return 0;
}
