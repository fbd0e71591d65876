/*
 * http.h - a small HTTP client for JSON APIs (libcurl), and a parser for
 * server-sent events.
 *
 * This is the only module that links libcurl.  It knows nothing of the APIs
 * it talks to: gt_http_post_json() sends one POST and reports what came
 * back (status, body or streamed bytes, Retry-After, whether the transport
 * failed); deciding what a status means is the caller's business.
 *
 * Header lines may hold secrets (an Authorization header): they never go
 * into an error message, and curl's verbose output is never turned on.
 */
#ifndef GT_HTTP_H
#define GT_HTTP_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"

struct gt_http_req {
	const char *url;
	const char *const *headers; /* "Name: value" lines, NULL-terminated (may be NULL) */
	const char *body;	    /* JSON text sent with Content-Type: application/json */
	long timeout_ms;	    /* the whole request; 0: none */
	long connect_timeout_ms;    /* 0: curl's default (300 s) */
	/* Streaming: when set, the body of a 2xx response that is an event
	 * stream (Content-Type text/event-stream) goes to on_data as it
	 * arrives instead of into resp->body.  A non-zero return aborts the
	 * request, and gt_http_post_json() returns that value (a GT_E* code
	 * whose message the callback recorded). */
	int (*on_data)(void *ud, const char *data, size_t len);
	void *ud;
};

struct gt_http_resp {
	long status;	     /* HTTP status of the final response; 0 when none came */
	struct gt_buf body;  /* the body when it was not streamed */
	int streamed;	     /* whether the body went to on_data */
	long retry_after_ms; /* Retry-After (or retry-after-ms) in ms; -1 when absent */
	int transport_error; /* connection refused, dropped or timed out: retrying may work */
	char *content_type;  /* the Content-Type header (malloc'd) or NULL */
};

#define GT_HTTP_RESP_INIT                      \
	{                                      \
		0, GT_BUF_INIT, 0, -1, 0, NULL \
	}

/* Free what resp holds and make it empty (GT_HTTP_RESP_INIT) again. */
void gt_http_resp_release(struct gt_http_resp *resp);

/* POST req->body to req->url and wait for the answer.  resp must be
 * initialised (GT_HTTP_RESP_INIT); it is reset first.  Returns 0 whenever a
 * response arrived, whatever its status (the caller reads resp->status).
 * GT_EFAIL with curl's message when no complete response arrived (refused,
 * dropped, timed out, TLS failure; resp->transport_error is then 1 when
 * retrying may help, 0 for a bad URL), GT_EINVALID for a missing URL, or
 * the on_data callback's own code when it aborted the request.  Redirects
 * are not followed (they would carry the Authorization header elsewhere).
 * curl_global_init() runs once, on the first call. */
int gt_http_post_json(struct gt_http_resp *resp, const struct gt_http_req *req);

/* Release curl's global state; call at most once, when no request will be
 * made again (at exit), so leak checkers stay quiet. */
void gt_http_shutdown(void);

/* A Retry-After value in milliseconds from now: delta-seconds ("120",
 * fractions accepted) or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", also
 * the RFC 850 and asctime forms).  A date in the past gives 0; -1 when value
 * is neither. */
long gt_http_retry_after_ms(const char *value, time_t now);

/*
 * Server-sent events (the WHATWG EventSource format): feed bytes as they
 * arrive, in chunks split anywhere; each complete event (ended by a blank
 * line) with at least one data: line calls on_event with its event name
 * ("" when none) and its data (lines joined with '\n').  Lines end with
 * \n, \r\n or \r; a line starting with ':' is a comment; a leading byte
 * order mark is skipped; id: and retry: fields are ignored.
 */
struct gt_sse {
	int (*on_event)(void *ud, const char *event, const char *data, size_t len);
	void *ud;
	struct gt_buf line, data, event;
	int has_data; /* a data: line was seen for the event being built */
	int after_cr; /* the last byte was \r: a following \n ends nothing */
	int started;  /* past the first line (and its optional byte order mark) */
	long events;  /* events dispatched */
};

void gt_sse_init(struct gt_sse *p, int (*on_event)(void *, const char *, const char *, size_t),
		 void *ud);
/* Parse data[0..len).  0, or the first non-zero return of on_event (the
 * parser stops there). */
int gt_http_sse_feed(struct gt_sse *p, const char *data, size_t len);
/* At the end of the stream: an unterminated last line and an event without
 * its blank line are dispatched too (servers that close the connection
 * right after the last data: line lose nothing).  Same returns. */
int gt_sse_finish(struct gt_sse *p);
void gt_sse_release(struct gt_sse *p);

#endif
