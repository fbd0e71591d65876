/*
 * static.c - what a statically linked command uses instead of glibc's NSS.
 *
 * The commands are linked statically where every library they need has a
 * static build (Makefile, "Static commands"): a process then starts
 * without the dynamic loader, its relocations and its dozens of mappings,
 * which is most of what a ledger write costs beyond its own work when a
 * town's agents write all at once.  glibc's static library still loads
 * its NSS modules at run time for the user and host databases, from the
 * shared glibc installed then, which must be the very version linked (the
 * linker warns of it).  libgit2 is the only caller of either, and gt needs
 * neither through it:
 *
 * - getpwuid_r(): libgit2's fallback for the home directory when HOME is
 *   unset.  Answered here from /etc/passwd, as a static libc without NSS
 *   (musl's) answers it;
 * - getaddrinfo(): libgit2's own network transports, which gt never uses
 *   (see nonet.c).  Fails, as it would without a network.
 *
 * The linker sends libgit2's calls here with --wrap; linked only into the
 * static commands, never into libgt.a.
 */
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/banned.h"

int __wrap_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
		      struct passwd **result);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
void __wrap_freeaddrinfo(struct addrinfo *res);

/* The seven fields of one line of /etc/passwd, split in place. */
static int split_passwd(char *line, char *f[7])
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	f[n++] = line;
	for (char *p = line; *p && n < 7; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n == 7 ? 0 : -1;
}

int __wrap_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
		      struct passwd **result)
{
	FILE *fp = fopen("/etc/passwd", "re");
	char line[4096];
	int rc = 0;

	*result = NULL;
	if (!fp)
		return errno;
	while (fgets(line, sizeof(line), fp)) {
		char *f[7], *end, *at = buf;
		unsigned long id;
		size_t need = 0;

		if (split_passwd(line, f) < 0)
			continue;
		errno = 0;
		id = strtoul(f[2], &end, 10);
		if (errno || *end || end == f[2] || id != (unsigned long)uid)
			continue;
		for (int i = 0; i < 7; i++)
			need += strlen(f[i]) + 1;
		if (need > buflen) {
			rc = ERANGE;
			break;
		}
		for (int i = 0; i < 7; i++) {
			size_t len = strlen(f[i]) + 1;

			memcpy(at, f[i], len);
			f[i] = at;
			at += len;
		}
		pw->pw_name = f[0];
		pw->pw_passwd = f[1];
		pw->pw_uid = uid;
		pw->pw_gid = (gid_t)strtoul(f[3], NULL, 10);
		pw->pw_gecos = f[4];
		pw->pw_dir = f[5];
		pw->pw_shell = f[6];
		*result = pw;
		break;
	}
	fclose(fp);
	return rc;
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	*res = NULL;
	return EAI_FAIL;
}

void __wrap_freeaddrinfo(struct addrinfo *res)
{
	(void)res; /* never given one */
}
