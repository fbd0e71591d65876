/*
 * httpd.c - the HTTP server (httpd.h) on libmicrohttpd, one thread per
 * connection.  Event streams read a shared ring of the last RING frames
 * under one mutex; a stream that falls further behind skips ahead (its
 * page reloads the state it lost from the latest keyed events).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "base/error.h"
#include "base/httpd.h"
#include "base/banned.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000 /* Linux's, hidden without _GNU_SOURCE */
#endif

#define RING	     512
#define KEYS	     512
#define PING_SECONDS 15

struct frame {
	uint64_t seq;
	char *text;
};

struct gt_httpd {
	struct MHD_Daemon *d;
	struct gt_httpd_opts o;
	int port;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping, streams;
	uint64_t seq; /* of the newest frame */
	struct frame ring[RING];
	char *keys[KEYS], *latest[KEYS];
	size_t nkeys;
};

struct gt_httpd_req {
	struct gt_httpd *h;
	struct MHD_Connection *c;
	const char *method, *path;
	struct gt_buf body;
	int too_big, answered, set_cookie;
};

struct stream {
	struct gt_httpd *h;
	int fd; /* the client's socket, to notice it hang up */
	uint64_t cursor;
	struct gt_buf pending;
	size_t off;
};

static char *find(char *hay, size_t n, const char *needle, size_t k)
{
	for (size_t i = 0; k && i + k <= n; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
			return hay + i;
	return NULL;
}

void gt_httpd_redact(struct gt_buf *b, const char *const *secrets)
{
	for (; secrets && *secrets; secrets++) {
		size_t n = strlen(*secrets), i = 0;
		struct gt_buf o = GT_BUF_INIT;
		char *hit;

		if (!n || !b->len || !find(b->ptr, b->len, *secrets, n))
			continue;
		while ((hit = find(b->ptr + i, b->len - i, *secrets, n))) {
			gt_buf_add(&o, b->ptr + i, (size_t)(hit - (b->ptr + i)));
			gt_buf_adds(&o, "[redacted]");
			i = (size_t)(hit - b->ptr) + n;
		}
		gt_buf_add(&o, b->ptr + i, b->len - i);
		gt_buf_release(b);
		*b = o;
	}
}

/* ---- the checks ---- */

/* Whether two secrets are equal, in time that does not tell how much of
 * them matched. */
static int same_secret(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned char d = na != nb;

	for (size_t i = 0; i < na && i < nb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

static int loopback_host(const char *host)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "[::1]" };
	size_t n;

	if (!host)
		return 0;
	n = host[0] == '[' ? (strchr(host, ']') ? (size_t)(strchr(host, ']') - host) + 1 : 0)
			   : strcspn(host, ":");
	if (!n || (host[n] && (host[n] != ':' || !host[n + 1] ||
			       strspn(host + n + 1, "0123456789") != strlen(host + n + 1))))
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == n && !strncasecmp(host, names[i], n))
			return 1;
	return 0;
}

static const char *cookie_token(struct MHD_Connection *c)
{
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "gt_token");
}

/* NULL when the request may go on, else why not (and *status). */
static const char *refused(struct gt_httpd_req *r, int *status)
{
	const struct gt_httpd_opts *o = &r->h->o;
	const char *host = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Host");

	*status = 403;
	if (o->check_host && !loopback_host(host))
		return "this server answers only to a loopback Host (localhost, 127.0.0.1)";
	if (o->token) {
		const char *q = MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, "token");
		const char *k = cookie_token(r->c);

		if (q && same_secret(q, o->token))
			r->set_cookie = !(k && same_secret(k, o->token));
		else if (!(k && same_secret(k, o->token)))
			return "a valid token is required (the URL gt-dashboard printed)";
	}
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD") && strcmp(r->method, "POST")) {
		*status = 405;
		return "method not allowed";
	}
	if (!strcmp(r->method, "POST")) {
		const char *x = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "X-Gt-Csrf");
		const char *origin = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Origin");
		const char *site =
			MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Sec-Fetch-Site");

		if (!o->csrf || !x || !same_secret(x, o->csrf))
			return "the X-Gt-Csrf header is missing or wrong";
		if (origin) {
			struct gt_buf want = GT_BUF_INIT;
			int ok = host && (gt_buf_printf(&want, "http://%s", host), 1) &&
				 !strcasecmp(origin, want.ptr);

			gt_buf_release(&want);
			if (!ok)
				return "cross-origin requests are refused";
		}
		if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
			return "cross-site requests are refused";
		if (r->too_big) {
			*status = 413;
			return "request body too large";
		}
	}
	return NULL;
}

/* ---- answers ---- */

static void common_headers(struct gt_httpd_req *r, struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data: blob:; "
				"style-src 'self' 'unsafe-inline'; script-src 'self'; "
				"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
				"form-action 'none'");
	if (r->set_cookie) {
		struct gt_buf c = GT_BUF_INIT;

		gt_buf_printf(&c, "gt_token=%s; Path=/; HttpOnly; SameSite=Strict", r->h->o.token);
		MHD_add_response_header(resp, "Set-Cookie", c.ptr);
		gt_buf_release(&c);
	}
}

static void send_buf(struct gt_httpd_req *r, int status, const char *type, const char *body,
		     size_t len)
{
	struct MHD_Response *resp;

	if (r->answered)
		return;
	r->answered = 1;
	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return;
	common_headers(r, resp);
	if (type)
		MHD_add_response_header(resp, "Content-Type", type);
	MHD_queue_response(r->c, (unsigned)status, resp);
	MHD_destroy_response(resp);
}

void gt_httpd_reply(struct gt_httpd_req *r, int status, const char *type, const char *body,
		    size_t len)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_buf_add(&b, body ? body : "", body ? len : 0);
	gt_httpd_redact(&b, r->h->o.secrets);
	send_buf(r, status, type, b.ptr, b.len);
	gt_buf_release(&b);
}

void gt_httpd_reply_static(struct gt_httpd_req *r, const char *type, const char *body, size_t len)
{
	send_buf(r, 200, type, body, len);
}

void gt_httpd_reply_error(struct gt_httpd_req *r, int status, const char *msg)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_buf_adds(&b, "{\"error\":\"");
	for (const char *p = msg; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			gt_buf_printf(&b, "\\%c", c);
		else if (c < 0x20)
			gt_buf_printf(&b, "\\u%04x", c);
		else
			gt_buf_addch(&b, c);
	}
	gt_buf_adds(&b, "\"}\n");
	gt_httpd_reply(r, status, "application/json", b.ptr, b.len);
	gt_buf_release(&b);
}

/* ---- event streams ---- */

static void take_new(struct stream *s)
{
	struct gt_httpd *h = s->h;
	uint64_t from = s->cursor + 1;

	if (h->seq >= RING && from <= h->seq - RING)
		from = h->seq - RING + 1; /* fell behind: what is still there */
	for (uint64_t q = from; q <= h->seq; q++)
		gt_buf_adds(&s->pending, h->ring[q % RING].text);
	s->cursor = h->seq;
}

/* Whether the client closed its end (a stream that only waits would
 * otherwise hold its thread until the next ping fails). */
static int hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (fd < 0 || poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return 1;
	/* readable: a client of an event stream sends nothing, so this is
	 * the end of its input, or a second request we do not serve */
	return (p.revents & POLLIN) && recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct gt_httpd *h = s->h;
	int waited = 0;
	size_t n;

	pthread_mutex_lock(&h->mu);
	while (s->off >= s->pending.len) {
		struct timespec until;

		gt_buf_reset(&s->pending);
		s->off = 0;
		if (h->stopping) {
			pthread_mutex_unlock(&h->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (h->seq > s->cursor) {
			take_new(s);
			break;
		}
		if (hung_up(s->fd)) {
			pthread_mutex_unlock(&h->mu);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		/* wait a second at a time, pinging every PING_SECONDS */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (pthread_cond_timedwait(&h->cv, &h->mu, &until) == ETIMEDOUT &&
		    ++waited >= PING_SECONDS && h->seq == s->cursor && !h->stopping)
			gt_buf_adds(&s->pending, ": ping\n\n");
	}
	pthread_mutex_unlock(&h->mu);
	n = s->pending.len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->pending.ptr + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	pthread_mutex_lock(&s->h->mu);
	s->h->streams--;
	pthread_mutex_unlock(&s->h->mu);
	gt_buf_release(&s->pending);
	free(s);
}

void gt_httpd_reply_events(struct gt_httpd_req *r)
{
	struct gt_httpd *h = r->h;
	struct stream *s = gt_calloc(1, sizeof(*s));
	struct MHD_Response *resp;

	if (r->answered) {
		free(s);
		return;
	}
	r->answered = 1;
	s->h = h;
	{
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CONNECTION_FD);

		s->fd = ci ? ci->connect_fd : -1;
	}
	pthread_mutex_lock(&h->mu);
	h->streams++;
	gt_buf_adds(&s->pending, "retry: 2000\n\n");
	for (size_t i = 0; i < h->nkeys; i++)
		gt_buf_adds(&s->pending, h->latest[i]);
	s->cursor = h->seq;
	pthread_mutex_unlock(&h->mu);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s,
						 stream_free);
	if (!resp) {
		stream_free(s);
		return;
	}
	common_headers(r, resp);
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	MHD_queue_response(r->c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
}

void gt_httpd_broadcast(struct gt_httpd *h, const char *event, const char *key, const char *data)
{
	struct gt_buf f = GT_BUF_INIT;
	const char *p = data;

	gt_buf_printf(&f, "event: %s\n", event);
	do {
		size_t n = strcspn(p, "\n");

		gt_buf_adds(&f, "data: ");
		gt_buf_add(&f, p, n);
		gt_buf_addch(&f, '\n');
		p += n;
	} while (*p && *++p);
	gt_buf_addch(&f, '\n');
	gt_httpd_redact(&f, h->o.secrets);
	pthread_mutex_lock(&h->mu);
	if (key) {
		size_t i;

		for (i = 0; i < h->nkeys && strcmp(h->keys[i], key); i++)
			;
		if (i == h->nkeys && i < KEYS) {
			h->keys[i] = gt_strdup(key);
			h->latest[i] = NULL;
			h->nkeys++;
		}
		if (i < KEYS) {
			free(h->latest[i]);
			h->latest[i] = gt_strdup(f.ptr);
		}
	}
	h->seq++;
	free(h->ring[h->seq % RING].text);
	h->ring[h->seq % RING].seq = h->seq;
	h->ring[h->seq % RING].text = gt_buf_detach(&f);
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

int gt_httpd_streams(struct gt_httpd *h)
{
	int n;

	pthread_mutex_lock(&h->mu);
	n = h->streams;
	pthread_mutex_unlock(&h->mu);
	return n;
}

/* ---- requests ---- */

const char *gt_httpd_method(const struct gt_httpd_req *r)
{
	return r->method;
}

const char *gt_httpd_path(const struct gt_httpd_req *r)
{
	return r->path;
}

const char *gt_httpd_query(const struct gt_httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

const char *gt_httpd_header(const struct gt_httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *gt_httpd_body(const struct gt_httpd_req *r, size_t *len)
{
	if (len)
		*len = r->body.len;
	return r->body.ptr ? r->body.ptr : "";
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct gt_httpd *h = cls;
	struct gt_httpd_req *r = *con_cls;
	const char *why;
	int status;

	if (!r) {
		r = gt_calloc(1, sizeof(*r));
		r->h = h;
		r->c = c;
		r->method = method;
		r->path = url;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > h->o.max_body)
			r->too_big = 1;
		else
			gt_buf_add(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if ((why = refused(r, &status)))
		gt_httpd_reply_error(r, status, why);
	else
		h->o.handle(h->o.ud, r);
	if (!r->answered)
		gt_httpd_reply_error(r, 500, "no answer");
	return MHD_YES;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct gt_httpd_req *r = *con_cls;

	if (r) {
		gt_buf_release(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

int gt_httpd_start(struct gt_httpd **out, const struct gt_httpd_opts *o)
{
	struct gt_httpd *h = gt_calloc(1, sizeof(*h));
	struct sockaddr_in a4 = { 0 };
	struct sockaddr_in6 a6 = { 0 };
	const char *addr = o->addr ? o->addr : "127.0.0.1";
	unsigned flags =
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	const struct sockaddr *sa;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	h->o = *o;
	if (!h->o.max_clients)
		h->o.max_clients = 256;
	if (!h->o.max_body)
		h->o.max_body = 65536;
	if (o->port < 0 || o->port > 65535) {
		free(h);
		return gt_error_set(GT_EUSAGE, "bad port %d", o->port);
	}
	if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)o->port);
		sa = (const struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)o->port);
		sa = (const struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		free(h);
		return gt_error_set(GT_EUSAGE, "bad address '%s' (a numeric IPv4 or IPv6 address)",
				    addr);
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
				MHD_OPTION_CONNECTION_LIMIT, h->o.max_clients,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(4 * PING_SECONDS),
				MHD_OPTION_END);
	if (!h->d) {
		int e = errno;

		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
		free(h);
		return gt_error_set(GT_EFAIL, "cannot listen on %s port %d: %s", addr, o->port,
				    e ? strerror(e) : "libmicrohttpd failed");
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : o->port;
	*out = h;
	return 0;
}

int gt_httpd_port(const struct gt_httpd *h)
{
	return h->port;
}

void gt_httpd_stop(struct gt_httpd *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	MHD_stop_daemon(h->d);
	for (size_t i = 0; i < RING; i++)
		free(h->ring[i].text);
	for (size_t i = 0; i < h->nkeys; i++) {
		free(h->keys[i]);
		free(h->latest[i]);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}
