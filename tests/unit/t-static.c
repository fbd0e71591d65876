/*
 * t-static.c - lib/base/static.c, what the statically linked commands use
 * instead of glibc's NSS: the user database read from /etc/passwd answers
 * as glibc's getpwuid_r() does (this test is linked dynamically, so the
 * real one is here to compare with), and libgit2's name lookups fail.
 */
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <unistd.h>

#include "gt.h"
#include "tap.h"

int __wrap_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
		      struct passwd **result);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
void __wrap_freeaddrinfo(struct addrinfo *res);

/* The wrapped and the real answer for uid agree, field by field. */
static void same_as_glibc(uid_t uid, const char *what)
{
	struct passwd a, b, *ra = NULL, *rb = NULL;
	char ba[4096], bb[4096];
	int ea = __wrap_getpwuid_r(uid, &a, ba, sizeof(ba), &ra);
	int eb = getpwuid_r(uid, &b, bb, sizeof(bb), &rb);

	ok(ea == 0 && eb == 0, "%s: both answer (%d, %d)", what, ea, eb);
	ok((ra == NULL) == (rb == NULL), "%s: both find it, or neither", what);
	if (!ra || !rb)
		return;
	ok(ra == &a, "%s: the result is the caller's struct", what);
	is_str(a.pw_name, b.pw_name, "%s: name", what);
	is_str(a.pw_dir, b.pw_dir, "%s: home", what);
	is_str(a.pw_shell, b.pw_shell, "%s: shell", what);
	is_str(a.pw_gecos, b.pw_gecos, "%s: gecos", what);
	ok(a.pw_uid == b.pw_uid && a.pw_gid == b.pw_gid, "%s: uid and gid", what);
	ok(a.pw_dir >= ba && a.pw_dir < ba + sizeof(ba), "%s: strings in the caller's buffer",
	   what);
}

int main(void)
{
	struct passwd pw, *r = &pw;
	struct addrinfo *ai = (struct addrinfo *)1;
	char small[4];

	same_as_glibc(getuid(), "this user");
	same_as_glibc(0, "root");
	same_as_glibc((uid_t)3999999999u, "a uid nobody has");

	ok(__wrap_getpwuid_r(0, &pw, small, sizeof(small), &r) == ERANGE && r == NULL,
	   "a buffer too small: ERANGE, as glibc says it (the caller grows it)");

	ok(__wrap_getaddrinfo("localhost", "80", NULL, &ai) == EAI_FAIL && ai == NULL,
	   "libgit2's name lookups fail: gt never uses its transports");
	__wrap_freeaddrinfo(NULL);
	return tap_done();
}
