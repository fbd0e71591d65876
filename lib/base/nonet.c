/*
 * nonet.c - stand-ins for libssh2 and GSSAPI in the static libgit2 link.
 *
 * gt never talks to a remote through libgit2: moving the ledger between
 * machines goes through the git CLI, with the user's ssh and credential
 * helpers.  Yet a static libgit2 refers to libssh2 (its ssh transport) and
 * GSSAPI (HTTP Negotiate), and linking the real ones makes every process
 * map libssh2, OpenSSL's libcrypto and five Kerberos libraries: about 1 ms
 * of a ~2 ms start, on every command.  These stubs satisfy the linker and
 * make those transports fail cleanly ("SSH session failed to start") if
 * anything ever tried them.  libssh2_init succeeds, since libgit2 calls it
 * from git_libgit2_init().  Linked only with the static libgit2 (see the
 * Makefile), never into libgt.a.
 */
#include <libssh2.h>
#include <stddef.h>
#include <stdint.h>

#include "base/banned.h"

/* ---- libssh2 (prototypes from libssh2.h) ---- */

int libssh2_init(int flags)
{
	return 0;
}

void libssh2_exit(void)
{
}

#define FAIL_INT -1

LIBSSH2_SESSION *libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC((*a)), LIBSSH2_FREE_FUNC((*f)),
					 LIBSSH2_REALLOC_FUNC((*r)), void *abstract)
{
	return NULL;
}

void **libssh2_session_abstract(LIBSSH2_SESSION *s)
{
	return NULL;
}

int libssh2_session_handshake(LIBSSH2_SESSION *s, libssh2_socket_t sock)
{
	return FAIL_INT;
}

int libssh2_session_disconnect_ex(LIBSSH2_SESSION *s, int reason, const char *desc,
				  const char *lang)
{
	return FAIL_INT;
}

int libssh2_session_free(LIBSSH2_SESSION *s)
{
	return FAIL_INT;
}

int libssh2_session_last_error(LIBSSH2_SESSION *s, char **msg, int *len, int want_buf)
{
	if (msg)
		*msg = (char *)"ssh is not available in this build of gt";
	if (len)
		*len = 40;
	return FAIL_INT;
}

int libssh2_session_method_pref(LIBSSH2_SESSION *s, int type, const char *prefs)
{
	return FAIL_INT;
}

void libssh2_session_set_blocking(LIBSSH2_SESSION *s, int blocking)
{
}

const char *libssh2_session_hostkey(LIBSSH2_SESSION *s, size_t *len, int *type)
{
	return NULL;
}

const char *libssh2_hostkey_hash(LIBSSH2_SESSION *s, int type)
{
	return NULL;
}

char *libssh2_userauth_list(LIBSSH2_SESSION *s, const char *user, unsigned int len)
{
	return NULL;
}

int libssh2_userauth_authenticated(LIBSSH2_SESSION *s)
{
	return 0;
}

int libssh2_userauth_password_ex(LIBSSH2_SESSION *s, const char *user, unsigned int ulen,
				 const char *pass, unsigned int plen,
				 LIBSSH2_PASSWD_CHANGEREQ_FUNC((*cb)))
{
	return FAIL_INT;
}

int libssh2_userauth_keyboard_interactive_ex(LIBSSH2_SESSION *s, const char *user, unsigned int len,
					     LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC((*cb)))
{
	return FAIL_INT;
}

int libssh2_userauth_publickey(LIBSSH2_SESSION *s, const char *user, const unsigned char *key,
			       size_t len, LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC((*sign)),
			       void **abstract)
{
	return FAIL_INT;
}

int libssh2_userauth_publickey_fromfile_ex(LIBSSH2_SESSION *s, const char *user, unsigned int len,
					   const char *pub, const char *priv, const char *pass)
{
	return FAIL_INT;
}

int libssh2_userauth_publickey_frommemory(LIBSSH2_SESSION *s, const char *user, size_t ulen,
					  const char *pub, size_t publen, const char *priv,
					  size_t privlen, const char *pass)
{
	return FAIL_INT;
}

LIBSSH2_AGENT *libssh2_agent_init(LIBSSH2_SESSION *s)
{
	return NULL;
}

int libssh2_agent_connect(LIBSSH2_AGENT *a)
{
	return FAIL_INT;
}

int libssh2_agent_disconnect(LIBSSH2_AGENT *a)
{
	return FAIL_INT;
}

void libssh2_agent_free(LIBSSH2_AGENT *a)
{
}

int libssh2_agent_list_identities(LIBSSH2_AGENT *a)
{
	return FAIL_INT;
}

int libssh2_agent_get_identity(LIBSSH2_AGENT *a, struct libssh2_agent_publickey **store,
			       struct libssh2_agent_publickey *prev)
{
	return FAIL_INT;
}

int libssh2_agent_userauth(LIBSSH2_AGENT *a, const char *user, struct libssh2_agent_publickey *id)
{
	return FAIL_INT;
}

LIBSSH2_KNOWNHOSTS *libssh2_knownhost_init(LIBSSH2_SESSION *s)
{
	return NULL;
}

void libssh2_knownhost_free(LIBSSH2_KNOWNHOSTS *h)
{
}

int libssh2_knownhost_readfile(LIBSSH2_KNOWNHOSTS *h, const char *file, int type)
{
	return FAIL_INT;
}

int libssh2_knownhost_checkp(LIBSSH2_KNOWNHOSTS *h, const char *host, int port, const char *key,
			     size_t len, int mask, struct libssh2_knownhost **known)
{
	return LIBSSH2_KNOWNHOST_CHECK_FAILURE;
}

LIBSSH2_CHANNEL *libssh2_channel_open_ex(LIBSSH2_SESSION *s, const char *type, unsigned int tlen,
					 unsigned int win, unsigned int pkt, const char *msg,
					 unsigned int mlen)
{
	return NULL;
}

int libssh2_channel_process_startup(LIBSSH2_CHANNEL *c, const char *req, unsigned int rlen,
				    const char *msg, unsigned int mlen)
{
	return FAIL_INT;
}

ssize_t libssh2_channel_read_ex(LIBSSH2_CHANNEL *c, int stream, char *buf, size_t len)
{
	return FAIL_INT;
}

ssize_t libssh2_channel_write_ex(LIBSSH2_CHANNEL *c, int stream, const char *buf, size_t len)
{
	return FAIL_INT;
}

void libssh2_channel_set_blocking(LIBSSH2_CHANNEL *c, int blocking)
{
}

int libssh2_channel_close(LIBSSH2_CHANNEL *c)
{
	return FAIL_INT;
}

int libssh2_channel_free(LIBSSH2_CHANNEL *c)
{
	return FAIL_INT;
}

/* ---- GSSAPI (RFC 2744 C bindings; opaque types as pointers) ---- */

typedef uint32_t gt_om_uint32;
#define GT_GSS_S_FAILURE (13u << 16)

void *GSS_C_NT_HOSTBASED_SERVICE;

gt_om_uint32 gss_display_status(gt_om_uint32 *minor, gt_om_uint32 status, int type, void *mech,
				gt_om_uint32 *ctx, void *out);
gt_om_uint32 gss_release_buffer(gt_om_uint32 *minor, void *buf);
gt_om_uint32 gss_delete_sec_context(gt_om_uint32 *minor, void *ctx, void *out);
gt_om_uint32 gss_import_name(gt_om_uint32 *minor, void *in, void *type, void *out);
gt_om_uint32 gss_release_name(gt_om_uint32 *minor, void *name);
gt_om_uint32 gss_indicate_mechs(gt_om_uint32 *minor, void *mechs);
gt_om_uint32 gss_release_oid_set(gt_om_uint32 *minor, void *set);
gt_om_uint32 gss_init_sec_context(gt_om_uint32 *minor, void *cred, void *ctx, void *target,
				  void *mech, gt_om_uint32 flags, gt_om_uint32 time, void *chan,
				  void *in, void *actual, void *out, gt_om_uint32 *ret_flags,
				  gt_om_uint32 *ret_time);

gt_om_uint32 gss_display_status(gt_om_uint32 *minor, gt_om_uint32 status, int type, void *mech,
				gt_om_uint32 *ctx, void *out)
{
	return GT_GSS_S_FAILURE;
}

gt_om_uint32 gss_release_buffer(gt_om_uint32 *minor, void *buf)
{
	return 0;
}

gt_om_uint32 gss_delete_sec_context(gt_om_uint32 *minor, void *ctx, void *out)
{
	return 0;
}

gt_om_uint32 gss_import_name(gt_om_uint32 *minor, void *in, void *type, void *out)
{
	return GT_GSS_S_FAILURE;
}

gt_om_uint32 gss_release_name(gt_om_uint32 *minor, void *name)
{
	return 0;
}

gt_om_uint32 gss_indicate_mechs(gt_om_uint32 *minor, void *mechs)
{
	return GT_GSS_S_FAILURE;
}

gt_om_uint32 gss_release_oid_set(gt_om_uint32 *minor, void *set)
{
	return 0;
}

gt_om_uint32 gss_init_sec_context(gt_om_uint32 *minor, void *cred, void *ctx, void *target,
				  void *mech, gt_om_uint32 flags, gt_om_uint32 time, void *chan,
				  void *in, void *actual, void *out, gt_om_uint32 *ret_flags,
				  gt_om_uint32 *ret_time)
{
	return GT_GSS_S_FAILURE;
}
