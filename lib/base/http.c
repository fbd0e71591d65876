/*
 * http.c - one POST at a time through libcurl's easy interface, and an
 * incremental server-sent-events parser.
 *
 * A new easy handle per request: the callers make a request every few
 * seconds at most, so connection reuse is not worth shared state.  The
 * body of an error response is always collected whole (even when the
 * caller asked for streaming) so the caller can quote the server's
 * message.
 */
#include "base/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/banned.h"

/* An answer bigger than this is not a chat completion. */
#define MAX_BODY (64L << 20)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;
static int initialised;

static void global_init(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	initialised = init_rc == CURLE_OK;
}

void gt_http_shutdown(void)
{
	if (initialised)
		curl_global_cleanup();
	initialised = 0;
}

void gt_http_resp_release(struct gt_http_resp *resp)
{
	gt_buf_release(&resp->body);
	free(resp->content_type);
	resp->content_type = NULL;
	resp->status = 0;
	resp->streamed = 0;
	resp->retry_after_ms = -1;
	resp->transport_error = 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

long gt_http_retry_after_ms(const char *value, time_t now)
{
	const char *s, *end;
	char *num_end;
	double secs;
	time_t t;

	if (!value)
		return -1;
	s = skip_ws(value);
	for (end = s + strlen(s); end > s && strchr(" \t\r\n", end[-1]); end--)
		;
	if (end == s)
		return -1;
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		secs = strtod(s, &num_end);
		if (num_end == end && !errno && secs >= 0) {
			if (secs > (double)(LONG_MAX / 1000 - 1))
				return LONG_MAX / 1000 * 1000;
			return (long)(secs * 1000 + 0.5);
		}
	}
	{
		char *date = gt_strndup(s, (size_t)(end - s));

		t = curl_getdate(date, NULL);
		free(date);
	}
	if (t == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	if ((double)(t - now) > (double)(LONG_MAX / 1000 - 1))
		return LONG_MAX / 1000 * 1000;
	return (long)(t - now) * 1000;
}

struct xfer {
	CURL *curl;
	const struct gt_http_req *req;
	struct gt_http_resp *resp;
	int mode;	    /* 0 undecided, 1 body, 2 stream */
	int cb_rc;	    /* on_data's code when it aborted */
	int too_big;	    /* the body passed MAX_BODY */
	long ra_ms, ra_hdr; /* retry-after-ms and Retry-After, -1 when absent */
};

/* Whether the header line [h, h+len) is "name: ..."; the value then. */
static const char *header_value(struct gt_buf *tmp, const char *h, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || h[n] != ':' || strncasecmp(h, name, n))
		return NULL;
	gt_buf_reset(tmp);
	gt_buf_add(tmp, h + n + 1, len - n - 1);
	while (tmp->len && strchr(" \t\r\n", tmp->ptr[tmp->len - 1]))
		tmp->ptr[--tmp->len] = '\0';
	return skip_ws(tmp->ptr);
}

static size_t on_header(char *h, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	struct gt_buf tmp = GT_BUF_INIT;
	const char *v;

	if (len >= 5 && !strncmp(h, "HTTP/", 5)) {
		/* a new response (after a 100 Continue, say): forget the last */
		x->ra_ms = x->ra_hdr = -1;
	} else if ((v = header_value(&tmp, h, len, "retry-after-ms"))) {
		char *end;
		double ms;

		errno = 0;
		ms = strtod(v, &end);
		if (end != v && !*skip_ws(end) && !errno && ms >= 0 && ms < (double)LONG_MAX)
			x->ra_ms = (long)(ms + 0.5);
	} else if ((v = header_value(&tmp, h, len, "retry-after"))) {
		x->ra_hdr = gt_http_retry_after_ms(v, time(NULL));
	}
	gt_buf_release(&tmp);
	return len;
}

static int is_event_stream(const char *ct)
{
	return ct && !strncasecmp(skip_ws(ct), "text/event-stream", 17);
}

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	if (!x->mode) {
		long st = 0;
		char *ct = NULL;

		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &st);
		curl_easy_getinfo(x->curl, CURLINFO_CONTENT_TYPE, &ct);
		x->mode = x->req->on_data && st >= 200 && st < 300 && is_event_stream(ct) ? 2 : 1;
		x->resp->streamed = x->mode == 2;
	}
	if (x->mode == 2) {
		int rc = x->req->on_data(x->req->ud, data, len);

		if (rc) {
			x->cb_rc = rc;
			return 0; /* CURLE_WRITE_ERROR ends the transfer */
		}
		return len;
	}
	if (x->resp->body.len + len > (size_t)MAX_BODY) {
		x->too_big = 1;
		return 0;
	}
	gt_buf_add(&x->resp->body, data, len);
	return len;
}

/* The URL for messages: no user:password@, no query string (either may
 * hold a key). */
static void safe_url(struct gt_buf *out, const char *url)
{
	const char *p = strstr(url, "://"), *host = p ? p + 3 : url;
	size_t hl = strcspn(host, "/?#"), at;

	gt_buf_add(out, url, (size_t)(host - url));
	for (at = hl; at > 0 && host[at - 1] != '@'; at--)
		;
	gt_buf_add(out, host + at, hl - at);
	gt_buf_add(out, host + hl, strcspn(host + hl, "?#"));
}

static int retryable(CURLcode c)
{
	switch (c) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_FAILED_INIT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_WRITE_ERROR: return 0;
	default: return 1;
	}
}

int gt_http_post_json(struct gt_http_resp *resp, const struct gt_http_req *req)
{
	struct xfer x = { 0 };
	struct curl_slist *hdrs = NULL, *tmp;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct gt_buf where = GT_BUF_INIT;
	const char *body = req->body ? req->body : "";
	char *ct = NULL;
	CURLcode cc;
	int rc = 0;

	gt_http_resp_release(resp);
	if (!req->url || !*req->url)
		return gt_error_set(GT_EINVALID, "no URL to post to");
	pthread_once(&init_once, global_init);
	if (init_rc != CURLE_OK)
		return gt_error_set(GT_EFAIL, "cannot start libcurl: %s",
				    curl_easy_strerror(init_rc));
	if (!(x.curl = curl_easy_init()))
		return gt_error_set(GT_EFAIL, "cannot start libcurl");
	x.req = req;
	x.resp = resp;
	x.ra_ms = x.ra_hdr = -1;

	/* "Expect:" stops curl waiting for a 100 Continue some servers never send */
	static const char *const fixed[] = { "Content-Type: application/json", "Expect:", NULL };
	for (size_t i = 0; fixed[i]; i++)
		if (!(tmp = curl_slist_append(hdrs, fixed[i])))
			goto oom;
		else
			hdrs = tmp;
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		if (!(tmp = curl_slist_append(hdrs, req->headers[i])))
			goto oom;
		else
			hdrs = tmp;

	curl_easy_setopt(x.curl, CURLOPT_URL, req->url);
	curl_easy_setopt(x.curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.curl, CURLOPT_USERAGENT, "gt");
	curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(x.curl, CURLOPT_POST, 1L);
	curl_easy_setopt(x.curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x.curl, CURLOPT_HEADERDATA, &x);
	if (req->timeout_ms > 0)
		curl_easy_setopt(x.curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	if (req->connect_timeout_ms > 0)
		curl_easy_setopt(x.curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);

	cc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(x.curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		resp->content_type = gt_strdup(ct);
	resp->retry_after_ms = x.ra_ms >= 0 ? x.ra_ms : x.ra_hdr;
	safe_url(&where, req->url);
	if (cc == CURLE_OK) {
		rc = 0;
	} else if (x.cb_rc) {
		rc = x.cb_rc; /* the callback recorded its message */
	} else if (x.too_big) {
		rc = gt_error_set(GT_EFAIL, "POST %s: the answer is bigger than %ld MiB", where.ptr,
				  MAX_BODY >> 20);
	} else {
		resp->transport_error = retryable(cc);
		rc = gt_error_set(GT_EFAIL, "POST %s: %s", where.ptr,
				  *errbuf ? errbuf : curl_easy_strerror(cc));
	}
	gt_buf_release(&where);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(x.curl);
	return rc;
oom:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(x.curl);
	return gt_error_set(GT_EFAIL, "out of memory");
}

/* --- server-sent events --- */

void gt_sse_init(struct gt_sse *p, int (*on_event)(void *, const char *, const char *, size_t),
		 void *ud)
{
	memset(p, 0, sizeof(*p));
	p->on_event = on_event;
	p->ud = ud;
}

void gt_sse_release(struct gt_sse *p)
{
	gt_buf_release(&p->line);
	gt_buf_release(&p->data);
	gt_buf_release(&p->event);
	p->has_data = p->after_cr = p->started = 0;
}

static int dispatch(struct gt_sse *p)
{
	int rc = 0;

	if (p->has_data) {
		if (p->data.len && p->data.ptr[p->data.len - 1] == '\n')
			gt_buf_truncate(&p->data, p->data.len - 1);
		p->events++;
		rc = p->on_event(p->ud, gt_buf_cstr(&p->event), gt_buf_cstr(&p->data), p->data.len);
	}
	gt_buf_reset(&p->data);
	gt_buf_reset(&p->event);
	p->has_data = 0;
	return rc;
}

/* One complete line (without its end). */
static int sse_line(struct gt_sse *p)
{
	const char *l = gt_buf_cstr(&p->line), *colon, *val;
	size_t len = p->line.len, flen, vlen;

	if (!p->started) {
		p->started = 1;
		if (len >= 3 && !memcmp(l, "\xEF\xBB\xBF", 3)) {
			l += 3;
			len -= 3;
		}
	}
	if (!len)
		return dispatch(p);
	if (l[0] == ':')
		return 0;
	colon = memchr(l, ':', len);
	flen = colon ? (size_t)(colon - l) : len;
	val = colon ? colon + 1 : l + len;
	if (colon && val < l + len && *val == ' ')
		val++;
	vlen = (size_t)(l + len - val);
	if (flen == 4 && !memcmp(l, "data", 4)) {
		gt_buf_add(&p->data, val, vlen);
		gt_buf_addch(&p->data, '\n');
		p->has_data = 1;
	} else if (flen == 5 && !memcmp(l, "event", 5)) {
		gt_buf_reset(&p->event);
		gt_buf_add(&p->event, val, vlen);
	}
	return 0;
}

int gt_http_sse_feed(struct gt_sse *p, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		int rc;

		if (c == '\n' && p->after_cr) {
			p->after_cr = 0;
			continue;
		}
		p->after_cr = c == '\r';
		if (c != '\n' && c != '\r') {
			/* copy the run up to the next line end in one go */
			size_t j = i;

			while (j < len && data[j] != '\n' && data[j] != '\r')
				j++;
			gt_buf_add(&p->line, data + i, j - i);
			i = j - 1;
			continue;
		}
		rc = sse_line(p);
		gt_buf_reset(&p->line);
		if (rc)
			return rc;
	}
	return 0;
}

int gt_sse_finish(struct gt_sse *p)
{
	int rc = 0;

	if (p->line.len)
		rc = sse_line(p);
	gt_buf_reset(&p->line);
	p->after_cr = 0;
	if (!rc)
		rc = dispatch(p);
	return rc;
}
