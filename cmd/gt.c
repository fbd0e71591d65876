/*
 * gt.c - the `gt` front door: runs gt-<noun>-<verb> or gt-<verb>.
 *
 *   gt bead add "Fix it"   ->  gt-bead-add "Fix it"
 *   gt ready               ->  gt-ready
 *   gt help                ->  every installed gt-* command, one line each
 *
 * Commands are found beside this executable first, then on PATH (git's
 * rule for git-* commands).  gt links nothing but libc, so dispatching
 * costs one extra exec and well under a millisecond.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GT_VERSION
#define GT_VERSION "0.0.0"
#endif

static char self_dir[PATH_MAX - 64];

static void find_self_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
	char *slash;

	if (n <= 0) {
		self_dir[0] = '\0';
		return;
	}
	self_dir[n] = '\0';
	slash = strrchr(self_dir, '/');
	if (slash)
		*slash = '\0';
}

static int is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Find the command in self_dir, then PATH; fills out on success. */
static int locate(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (self_dir[0]) {
		snprintf(out, len, "%s/%s", self_dir, cmd);
		if (is_exec(out))
			return 1;
	}
	while (path && *path) {
		const char *e = strchr(path, ':');
		size_t dl = e ? (size_t)(e - path) : strlen(path);

		if (dl == 0)
			snprintf(out, len, "./%s", cmd);
		else
			snprintf(out, len, "%.*s/%s", (int)dl, path, cmd);
		if (is_exec(out))
			return 1;
		path = e ? e + 1 : NULL;
	}
	return 0;
}

static int valid_word(const char *s)
{
	if (!*s || *s == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

struct name_list {
	char **v;
	size_t n, alloc;
};

static void add_names_from(struct name_list *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char full[PATH_MAX];
		int dup = 0;

		if (strncmp(e->d_name, "gt-", 3) || !valid_word(e->d_name + 3))
			continue;
		snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
		if (!is_exec(full))
			continue;
		for (size_t i = 0; i < l->n && !dup; i++)
			dup = !strcmp(l->v[i], e->d_name);
		if (dup)
			continue;
		if (l->n == l->alloc) {
			l->alloc = l->alloc ? l->alloc * 2 : 64;
			l->v = realloc(l->v, l->alloc * sizeof(*l->v));
			if (!l->v)
				abort();
		}
		l->v[l->n] = strdup(e->d_name);
		if (!l->v[l->n])
			abort();
		l->n++;
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The one-line summary a command prints for --summary. */
static void summary_of(const char *cmd, char *out, size_t len)
{
	char path[PATH_MAX];
	int fds[2];
	pid_t pid;
	ssize_t n;
	size_t got = 0;

	out[0] = '\0';
	if (!locate(cmd, path, sizeof(path)) || pipe(fds) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", 0);

		dup2(fds[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(fds[0]);
		close(fds[1]);
		execl(path, cmd, "--summary", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && got + 1 < len && (n = read(fds[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	out[strcspn(out, "\n")] = '\0';
}

static int list_commands(void)
{
	struct name_list l = { 0 };
	const char *path = getenv("PATH");
	size_t width = 0;

	if (self_dir[0])
		add_names_from(&l, self_dir);
	while (path && *path) {
		const char *e = strchr(path, ':');
		size_t dl = e ? (size_t)(e - path) : strlen(path);
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%.*s", (int)dl, dl ? path : ".");
		add_names_from(&l, dir);
		path = e ? e + 1 : NULL;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	for (size_t i = 0; i < l.n; i++)
		if (strlen(l.v[i]) > width)
			width = strlen(l.v[i]);
	printf("usage: gt <noun> <verb> [args] | gt <verb> [args] | gt help [command]\n\n");
	for (size_t i = 0; i < l.n; i++) {
		char sum[512];

		summary_of(l.v[i], sum, sizeof(sum));
		printf("  %-*s  %s\n", (int)width, l.v[i], sum);
		free(l.v[i]);
	}
	free(l.v);
	printf("\nSee gt(7) for the vocabulary and exit codes, gt-<command>(1) for each "
	       "command.\n");
	return 0;
}

static int run(const char *path, const char *cmd, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));

	if (!args)
		abort();
	args[0] = (char *)cmd;
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	execv(path, args);
	fprintf(stderr, "gt: error: cannot run '%s': %s\n", path, strerror(errno));
	free(args);
	return 7;
}

int main(int argc, char **argv)
{
	char cmd[256], path[PATH_MAX];

	find_self_dir();
	if (argc < 2) {
		list_commands();
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("gt version %s\n", GT_VERSION);
		return fflush(stdout) ? 7 : 0;
	}
	if (!strcmp(argv[1], "--summary")) {
		printf("run gt-<noun>-<verb> commands; list them all\n");
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc >= 3 && valid_word(argv[2])) {
			snprintf(cmd, sizeof(cmd), "gt-%s", argv[2]);
			if (argc >= 4 && valid_word(argv[3])) {
				snprintf(cmd, sizeof(cmd), "gt-%s-%s", argv[2], argv[3]);
				if (!locate(cmd, path, sizeof(path)))
					snprintf(cmd, sizeof(cmd), "gt-%s", argv[2]);
			}
			if (!locate(cmd, path, sizeof(path))) {
				fprintf(stderr, "gt: error: no command '%s'\n", cmd);
				return 3;
			}
			{
				char *a[] = { "--help" };

				return run(path, cmd, 1, a);
			}
		}
		return list_commands() ? 7 : (fflush(stdout) ? 7 : 0);
	}
	if (!valid_word(argv[1])) {
		fprintf(stderr, "gt: error: unknown command '%s'\n", argv[1]);
		fprintf(stderr, "hint: run 'gt help' to list the commands\n");
		return 2;
	}
	if (argc >= 3 && valid_word(argv[2]) &&
	    (size_t)snprintf(cmd, sizeof(cmd), "gt-%s-%s", argv[1], argv[2]) < sizeof(cmd) &&
	    locate(cmd, path, sizeof(path)))
		return run(path, cmd, argc - 3, argv + 3);
	if ((size_t)snprintf(cmd, sizeof(cmd), "gt-%s", argv[1]) < sizeof(cmd) &&
	    locate(cmd, path, sizeof(path)))
		return run(path, cmd, argc - 2, argv + 2);
	if (argc >= 3 && valid_word(argv[2]))
		fprintf(stderr, "gt: error: no command 'gt-%s-%s' or 'gt-%s'\n", argv[1], argv[2],
			argv[1]);
	else
		fprintf(stderr, "gt: error: no command 'gt-%s'\n", argv[1]);
	fprintf(stderr, "hint: run 'gt help' to list the commands\n");
	return 2;
}
