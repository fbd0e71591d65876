/*
 * httpd.h - the one HTTP server (libmicrohttpd; only commands that serve
 * HTTP link it), for the dashboard: requests handed to one handler,
 * server-sent event streams fed by a broadcast, and the checks every
 * local web server owes its user, made before the handler sees a request.
 *
 *   Host      with check_host, only loopback names (localhost, 127.0.0.1,
 *             [::1], any port) are served: a page on another site cannot
 *             reach the server through DNS rebinding.
 *   token     when set, every request carries it (?token=..., or the
 *             HttpOnly cookie the server sets when it came in the URL).
 *   POST      carries the per-server csrf secret in the X-Gt-Csrf header
 *             (a page elsewhere cannot set a custom header without a CORS
 *             preflight, which is never answered), and an Origin header,
 *             when there is one, must be this server's own.  Any method
 *             but GET, HEAD and POST is refused.
 *   secrets   strings that are never sent: dynamic bodies and events have
 *             each occurrence replaced by "[redacted]" (static files are
 *             sent as they are).
 *
 * Connections run a thread each (bounded by max_clients); an event
 * stream waits on a condition variable for the next broadcast, sends a
 * comment every 15 s to find clients that went away, and ends when the
 * server stops.  The library never prints: libmicrohttpd's log is off.
 */
#ifndef GT_HTTPD_H
#define GT_HTTPD_H

#include <stddef.h>

#include "base/buf.h"

struct gt_httpd;
struct gt_httpd_req;

struct gt_httpd_opts {
	const char *addr;	    /* numeric IPv4 or IPv6 address (NULL: 127.0.0.1) */
	int port;		    /* 0: a free one (gt_httpd_port() tells which) */
	int check_host;		    /* serve only loopback Host names */
	const char *token;	    /* required of every request when set */
	const char *csrf;	    /* required of every POST (X-Gt-Csrf) */
	const char *const *secrets; /* never sent (NULL-terminated; may be NULL) */
	unsigned max_clients;	    /* connections at once (0: 256) */
	size_t max_body;	    /* request body limit in bytes (0: 64 KiB) */
	/* Called once per request that passed the checks, on the connection's
	 * thread (so possibly on several at once); it must answer with exactly
	 * one gt_httpd_reply*() call. */
	void (*handle)(void *ud, struct gt_httpd_req *req);
	void *ud;
};

/* Start serving.  GT_EUSAGE for a bad address, GT_EFAIL when the socket
 * cannot be bound (in use, not permitted).  *out is freed by stop. */
int gt_httpd_start(struct gt_httpd **out, const struct gt_httpd_opts *o);

/* The port the server listens on. */
int gt_httpd_port(const struct gt_httpd *h);

/* End every event stream, close every connection, wait for their
 * threads and free h (NULL is fine). */
void gt_httpd_stop(struct gt_httpd *h);

/* Send an event to every open event stream: "event: EVENT" and data,
 * one "data:" line per line of it.  With a key, the event is also kept
 * as the latest of that key (replacing the one before), and a stream that
 * opens later starts with the latest event of each key. */
void gt_httpd_broadcast(struct gt_httpd *h, const char *event, const char *key, const char *data);

/* How many event streams are open. */
int gt_httpd_streams(struct gt_httpd *h);

/* The request: method, path (percent-decoded by the server), a query
 * argument, a header (case-insensitive name), the body (NUL-terminated). */
const char *gt_httpd_method(const struct gt_httpd_req *r);
const char *gt_httpd_path(const struct gt_httpd_req *r);
const char *gt_httpd_query(const struct gt_httpd_req *r, const char *name);
const char *gt_httpd_header(const struct gt_httpd_req *r, const char *name);
const char *gt_httpd_body(const struct gt_httpd_req *r, size_t *len);

/* Answer with status, a Content-Type and a body (copied), redacted of the
 * secrets.  Every answer has Cache-Control: no-store, nosniff, a strict
 * Content-Security-Policy and no Referer for links out. */
void gt_httpd_reply(struct gt_httpd_req *r, int status, const char *type, const char *body,
		    size_t len);

/* The same without redaction, for shipped static files. */
void gt_httpd_reply_static(struct gt_httpd_req *r, const char *type, const char *body, size_t len);

/* A JSON error: {"error": msg} with status. */
void gt_httpd_reply_error(struct gt_httpd_req *r, int status, const char *msg);

/* Answer with an event stream fed by gt_httpd_broadcast(). */
void gt_httpd_reply_events(struct gt_httpd_req *r);

/* Replace each occurrence of each secret in b with "[redacted]". */
void gt_httpd_redact(struct gt_buf *b, const char *const *secrets);

#endif
