/* Direct connections: download and upload parts on connections the engine drives itself, so a
 * part's bytes go from the socket (or TLS) straight into the part buffer and back out of it, with
 * no copy through libcurl's buffers. libcurl still resolves, connects, does TLS and moves the bytes
 * (a CONNECT_ONLY transfer, then curl_easy_send / curl_easy_recv). This file owns the connections
 * (opening, keeping, replacing, closing, polling), the request head and the sending;
 * direct_answer.c reads the answer. Everything here runs on the engine thread.
 *
 * Which attempts. A GET with no body into a BUFFER sink (a download part: received straight into
 * it), or a PUT/POST of a MEMORY body (an upload part: sent straight from it; no Expect,
 * Content-Length or Transfer-Encoding header of the caller's) into a MEMORY or BUFFER sink; over
 * an http(s) URL without user info or fragment, no proxy (the engine's proxy option "" or, when
 * unset, no proxy variable in the environment at engine start), no per-host limit below
 * max_connections, and the engine's direct_receive_disable off. Every other attempt runs on a
 * libcurl transfer (attempt.c), with the same hooks and results.
 *
 * Why. On loopback the event thread is the limit: with libcurl's write callback each body byte is
 * copied twice (kernel -> curl's buffer -> part buffer); here once. Uploads likewise skip the copy
 * into curl's upload buffer (13 % of a 2 GiB PUT's client CPU in perf). While a body is being
 * sent the socket is also polled for reading: an early answer (an error before the body was read)
 * stops the sending and is read; the connection is then not reused. Measured with the probes in
 * bench/ (2 GiB, 16 connections, 8 MiB ranges, one thread): curl's path with the copy 1480-1650
 * MB/s at 0.66-0.80 CPU s/GiB; curl_easy_recv into the buffers 2070-2390 MB/s at 0.39-0.47.
 *
 * A connection. A CONNECT_ONLY easy handle added to the multi handle: curl connects (timeouts,
 * TLS options as for every attempt) and reports it done; the handle then stays in the multi handle
 * until the connection is closed (removing it makes curl close the connection). Its socket joins
 * the engine's poll set as an extra descriptor while a request is on it. After a clean answer
 * (HTTP/1.1, no "Connection: close", framing that ended exactly) it goes to the idle list, most
 * recent first, and the next direct attempt to the same origin takes it after a zero-timeout peek
 * shows the server has not closed it. A reused connection that fails before any answer byte (the
 * server closed it meanwhile) is replaced once within the attempt, unseen (direct_reconnects), as
 * curl does for its own connections. Limits: direct connections count against max_connections
 * with libcurl's: before any new connection, idle direct ones are closed until
 * active + idle <= max_connections (direct attempts run only when that is also the per-host limit).
 *
 * The request head is formatted into the connection's `out` buffer (kept, so the steady state
 * allocates nothing): "<METHOD> <path?query> HTTP/1.1", Host (from the URL, ":port" only when not
 * the scheme's default, as curl and the signer do; or the request's own Host header), curl's
 * default Accept header unless one is set, Content-Length for a body, then the request's headers
 * (no Expect). Reading the answer: direct_answer.c.
 *
 * Fairness. A ready connection is read at most S_READ_BUDGET times per loop iteration; if it had
 * more it is marked `ready` and serviced again without waiting for poll (also needed for TLS,
 * where decrypted bytes can wait inside OpenSSL while the socket is not readable).
 *
 * Lifetime: a closed connection's memory waits in the graveyard until the next poll set is
 * built, because the last poll's table may still name it.
 */
#include "engine_impl.h"

#include <curl/curl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define S_READ_BUDGET 4
/* The largest read curl_easy_recv makes is the handle's buffer size (curl 7.88 caps each read at
 * it). curl also mallocs a buffer of that size per handle that a CONNECT_ONLY transfer never
 * touches (address space, not memory). A recv returns what the socket holds, ~400 KiB on average
 * on loopback, so 2 MiB rarely binds. */
#define S_RECV_MAX (2L * 1024 * 1024)
/* Most one curl_easy_send hands to TLS: curl 7.88 does not let OpenSSL write partially, so an
 * SSL_write of a whole 8 MiB part would report nothing sent until all of it went (stall detection
 * would see no progress on a slow link). curl's own path writes its upload buffer (192 KiB). */
#define S_TLS_SEND_MAX ((size_t)256 * 1024)
/* An idle connection older than this is closed rather than reused (curl's CURLOPT_MAXAGE_CONN). */
#define S_IDLE_MAX_NS ((uint64_t)118 * 1000 * 1000 * 1000)

/* --- tables -------------------------------------------------------------------------------- */

int s3x__http_direct_init(struct s3x_http_engine *e) {
    struct s3x_allocator *a = e->allocator;
    e->loop.busy = s3x_mem_calloc(a, e->max_active, sizeof(*e->loop.busy));
    e->loop.wait_conns = s3x_mem_calloc(a, e->max_active, sizeof(*e->loop.wait_conns));
    e->loop.waitfds = s3x_mem_calloc(a, e->max_active, sizeof(struct curl_waitfd));
    return e->loop.busy != NULL && e->loop.wait_conns != NULL && e->loop.waitfds != NULL ? 0 : S3X_ERR_OOM;
}

static void s_bury(struct s3x_http_engine *e) {
    while (e->loop.graveyard != NULL) {
        struct s3x_http_conn *c = e->loop.graveyard;
        e->loop.graveyard = c->next;
        s3x__http_buf_clean_up(e->allocator, &c->out);
        s3x__http_buf_clean_up(e->allocator, &c->in);
        s3x_mem_release(e->allocator, c->origin);
        s3x_mem_release(e->allocator, c);
    }
}

void s3x__http_direct_clean_up(struct s3x_http_engine *e) {
    s_bury(e);
    s3x_mem_release(e->allocator, e->loop.busy);
    s3x_mem_release(e->allocator, e->loop.wait_conns);
    s3x_mem_release(e->allocator, e->loop.waitfds);
    e->loop.busy = NULL;
    e->loop.wait_conns = NULL;
    e->loop.waitfds = NULL;
}

static void s_busy_add(struct s3x_http_engine *e, struct s3x_http_conn *c) {
    c->busy_index = e->loop.busy_count;
    e->loop.busy[e->loop.busy_count++] = c;
}

static void s_busy_remove(struct s3x_http_engine *e, struct s3x_http_conn *c) {
    struct s3x_http_conn *last = e->loop.busy[--e->loop.busy_count];
    e->loop.busy[c->busy_index] = last;
    last->busy_index = c->busy_index;
}

/* Closes a connection that is neither idle nor busy any more (curl closes the socket). */
static void s_close(struct s3x_http_engine *e, struct s3x_http_conn *c) {
    if (c->easy != NULL) {
        curl_multi_remove_handle(e->multi, c->easy);
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
    }
    c->request = NULL;
    c->next = e->loop.graveyard;
    e->loop.graveyard = c;
}

static struct s3x_http_conn *s_idle_unlink(struct s3x_http_engine *e, struct s3x_http_conn **link) {
    struct s3x_http_conn *c = *link;
    *link = c->next;
    c->next = NULL;
    e->loop.idle_count--;
    return c;
}

/* Closes the oldest idle connections while `in_use` connections and the idle ones would pass
 * max_connections (direct attempts run only when that is also the per-host limit). */
static void s_make_room(struct s3x_http_engine *e, uint32_t in_use) {
    while (e->loop.idle_count > 0 && in_use + e->loop.idle_count > e->max_active) {
        struct s3x_http_conn **link = &e->loop.idle; /* the oldest is last */
        while ((*link)->next != NULL) {
            link = &(*link)->next;
        }
        s_close(e, s_idle_unlink(e, link));
    }
}

void s3x__http_direct_make_room(struct s3x_http_engine *e) {
    s_make_room(e, e->loop.active + 1);
}

void s3x__http_direct_close_all(struct s3x_http_engine *e) {
    while (e->loop.idle != NULL) {
        s_close(e, s_idle_unlink(e, &e->loop.idle));
    }
    while (e->loop.busy_count > 0) { /* not reached: every request completed first */
        struct s3x_http_conn *c = e->loop.busy[0];
        s_busy_remove(e, c);
        s_close(e, c);
    }
    s_bury(e);
}

/* --- URLs ---------------------------------------------------------------------------------- */

/* Splits "scheme://authority/path?query" into the origin ("scheme://authority"), the authority
 * and the request target ("/path?query", "/" when empty). Returns false for what direct
 * connections do not handle (other schemes, user info, a fragment, no host). */
static bool s_split_url(const char *url, size_t *origin_len, const char **authority, size_t *authority_len,
    const char **target, bool *https) {
    size_t scheme;
    if (strncasecmp(url, "http://", 7) == 0) {
        scheme = 7;
        *https = false;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        scheme = 8;
        *https = true;
    } else {
        return false;
    }
    const char *a = url + scheme;
    size_t n = strcspn(a, "/?#");
    if (n == 0 || memchr(a, '@', n) != NULL || strchr(url, '#') != NULL) {
        return false;
    }
    *authority = a;
    *authority_len = n;
    *origin_len = scheme + n;
    *target = a + n;
    return true;
}

/* The Host value curl sends: the authority without the scheme's default port. */
static size_t s_host_len(const char *authority, size_t len, bool https) {
    const char *dflt = https ? ":443" : ":80";
    size_t d = strlen(dflt);
    if (len > d && memcmp(authority + len - d, dflt, d) == 0 && authority[len - d - 1] != ':') {
        return len - d;
    }
    return len;
}

bool s3x__http_direct_eligible(const struct s3x_http_engine *e, const struct s3x_http_request *r) {
    /* A per-host limit below the total is curl's to enforce: it counts direct connections in its
     * per-host bundles but only wakes a transfer pending on a full host when one of its own
     * transfers ends, so a direct connection could leave one waiting for ever. */
    if (e->direct_disable || e->max_per_host < e->max_active) {
        return false;
    }
    bool get = strcmp(r->method, "GET") == 0 && r->body.kind == S3X_HTTP_BODY_NONE &&
               r->sink.kind == S3X_HTTP_SINK_BUFFER;
    /* An upload from memory (a part buffer): sent straight from it. No Expect (no 100-continue
     * wait), no framing of the caller's own. */
    bool upload = (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0) &&
                  r->body.kind == S3X_HTTP_BODY_MEMORY && r->body.len > 0 && r->sink.kind != S3X_HTTP_SINK_STREAM &&
                  s3x__http_request_header(r, "Expect") == NULL &&
                  s3x__http_request_header(r, "Content-Length") == NULL &&
                  s3x__http_request_header(r, "Transfer-Encoding") == NULL;
    if (!get && !upload) {
        return false;
    }
    size_t origin_len, authority_len;
    const char *authority, *target;
    bool https;
    if (!s_split_url(r->url, &origin_len, &authority, &authority_len, &target, &https)) {
        return false;
    }
    if (e->proxy != NULL) {
        return e->proxy[0] == '\0';
    }
    return https ? !e->env_proxy_https : !e->env_proxy_http;
}

/* --- the request head ---------------------------------------------------------------------- */

static int s_put(struct s3x_http_engine *e, struct s3x_http_conn *c, const char *s, size_t n) {
    return s3x__http_buf_append(e->allocator, &c->out, s, n, SIZE_MAX);
}

static int s_put_header(struct s3x_http_engine *e, struct s3x_http_conn *c, const char *name, const char *value,
    size_t value_len) {
    int rc = s_put(e, c, name, strlen(name));
    rc = rc ? rc : s_put(e, c, value_len > 0 ? ": " : ":", value_len > 0 ? 2 : 1);
    rc = rc ? rc : s_put(e, c, value, value_len);
    return rc ? rc : s_put(e, c, "\r\n", 2);
}

static int s_format_head(struct s3x_http_engine *e, struct s3x_http_request *r, struct s3x_http_conn *c) {
    size_t origin_len, authority_len;
    const char *authority, *target;
    bool https;
    s_split_url(r->url, &origin_len, &authority, &authority_len, &target, &https);
    c->out.len = 0;
    c->out_sent = 0;
    int rc = s_put(e, c, r->method, strlen(r->method));
    rc = rc ? rc : s_put(e, c, " ", 1);
    if (target[0] != '/') {
        rc = rc ? rc : s_put(e, c, "/", 1); /* "http://h?q" -> "/?q", as curl sends it */
    }
    rc = rc ? rc : s_put(e, c, target, strlen(target));
    rc = rc ? rc : s_put(e, c, " HTTP/1.1\r\n", 11);
    const char *host = s3x__http_request_header(r, "Host");
    if (rc == 0 && host == NULL) {
        rc = s_put_header(e, c, "Host", authority, s_host_len(authority, authority_len, https));
    }
    if (rc == 0 && s3x__http_request_header(r, "Accept") == NULL) {
        rc = s_put(e, c, "Accept: */*\r\n", 13);
    }
    if (rc == 0 && r->body.kind == S3X_HTTP_BODY_MEMORY) {
        char length[32];
        int n = snprintf(length, sizeof(length), "%zu", r->body.len);
        rc = s_put_header(e, c, "Content-Length", length, (size_t)n);
    }
    for (size_t i = 0; rc == 0 && i < r->header_count; ++i) {
        if (strcasecmp(r->headers[i].name, "Expect") != 0) {
            rc = s_put_header(e, c, r->headers[i].name, r->headers[i].value, strlen(r->headers[i].value));
        }
    }
    return rc ? rc : s_put(e, c, "\r\n", 2);
}

/* --- connections --------------------------------------------------------------------------- */

/* A zero-timeout peek: an idle connection the server has not closed has nothing to read. */
static bool s_idle_alive(const struct s3x_http_conn *c, uint64_t now) {
    if (now - c->idle_since_ns > S_IDLE_MAX_NS) {
        return false;
    }
    char byte;
    ssize_t n = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && errno == EAGAIN; /* EWOULDBLOCK is EAGAIN on Linux */
}

static struct s3x_http_conn *s_take_idle(struct s3x_http_engine *e, const char *url, size_t origin_len) {
    uint64_t now = s3x__clock_mono_ns();
    for (struct s3x_http_conn **link = &e->loop.idle; *link != NULL;) {
        struct s3x_http_conn *c = *link;
        if (strlen(c->origin) != origin_len || strncasecmp(c->origin, url, origin_len) != 0) {
            link = &c->next;
            continue;
        }
        s_idle_unlink(e, link);
        if (s_idle_alive(c, now)) {
            return c;
        }
        if (now - c->idle_since_ns <= S_IDLE_MAX_NS) { /* not too old: the server closed it */
            atomic_fetch_add_explicit(&e->stats.direct_reconnects, 1, memory_order_relaxed);
        }
        s_close(e, c);
    }
    return NULL;
}

#define S_SET(opt, val)                                                                            \
    do {                                                                                           \
        if (c == CURLE_OK) {                                                                       \
            c = curl_easy_setopt(h, (opt), (val));                                                 \
        }                                                                                          \
    } while (0)

static int s_configure_connect(struct s3x_http_engine *e, struct s3x_http_request *r, CURL *h, const char *url) {
    CURLcode c = CURLE_OK;
    long connect_ms = (long)(r->connect_timeout_ms ? r->connect_timeout_ms : e->connect_timeout_ms);
    long total_ms = (long)(r->timeout_ms ? r->timeout_ms : e->request_timeout_ms);
    if (r->direct.deadline_ns != 0) { /* a replacement connection gets what is left of it */
        uint64_t now = s3x__clock_mono_ns();
        uint64_t left = r->direct.deadline_ns > now ? (r->direct.deadline_ns - now) / 1000000u : 0;
        total_ms = left > 0 ? (long)left : 1;
    }
    S_SET(CURLOPT_URL, url);
    S_SET(CURLOPT_CONNECT_ONLY, 1L);
    S_SET(CURLOPT_BUFFERSIZE, S_RECV_MAX); /* curl_easy_recv reads at most this much at once */
    S_SET(CURLOPT_PROXY, "");
    S_SET(CURLOPT_NOSIGNAL, 1L);
    S_SET(CURLOPT_TCP_NODELAY, 1L);
    S_SET(CURLOPT_TCP_KEEPALIVE, 1L);
    S_SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    S_SET(CURLOPT_SSL_VERIFYPEER, e->tls_verify ? 1L : 0L);
    S_SET(CURLOPT_SSL_VERIFYHOST, e->tls_verify ? 2L : 0L);
    if (e->ca_file != NULL) {
        S_SET(CURLOPT_CAINFO, e->ca_file);
    }
    if (e->ca_path != NULL) {
        S_SET(CURLOPT_CAPATH, e->ca_path);
    }
    S_SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    S_SET(CURLOPT_TIMEOUT_MS, total_ms);
    S_SET(CURLOPT_ERRORBUFFER, r->errbuf);
    S_SET(CURLOPT_PRIVATE, (void *)r);
    if (e->share != NULL) {
        S_SET(CURLOPT_SHARE, e->share); /* TLS sessions: a new connection resumes, no full handshake */
    }
    if (c == CURLE_OK) {
        return 0;
    }
    snprintf(r->local_msg, sizeof(r->local_msg), "curl_easy_setopt: %s", curl_easy_strerror(c));
    return c == CURLE_OUT_OF_MEMORY ? S3X_ERR_OOM : S3X_ERR_UNSUPPORTED;
}
#undef S_SET

/* A new connection for the request: its CONNECT_ONLY transfer joins the multi handle. */
static int s_connect(struct s3x_http_engine *e, struct s3x_http_request *r, size_t origin_len, uint32_t in_use) {
    s_make_room(e, in_use);
    struct s3x_http_conn *c = s3x_mem_calloc(e->allocator, 1, sizeof(*c));
    if (c == NULL) {
        return S3X_ERR_OOM;
    }
    c->fd = -1;
    c->tls = origin_len > 5 && strncasecmp(r->url, "https", 5) == 0;
    c->origin = s3x_mem_acquire(e->allocator, origin_len + 2);
    bool staged = s3x__http_buf_reserve(e->allocator, &c->in, S3X_HTTP_DIRECT_STAGING, SIZE_MAX) == 0;
    CURL *h = c->origin != NULL && staged ? curl_easy_init() : NULL;
    int rc = h != NULL ? 0 : S3X_ERR_OOM;
    if (rc == 0) {
        memcpy(c->origin, r->url, origin_len);
        memcpy(c->origin + origin_len, "/", 2); /* curl's URL; the origin is without the '/' */
        rc = s_configure_connect(e, r, h, c->origin);
        c->origin[origin_len] = '\0';
    }
    if (rc == 0 && curl_multi_add_handle(e->multi, h) != CURLM_OK) {
        rc = S3X_ERR_OOM;
    }
    if (rc != 0) {
        if (h != NULL) {
            curl_easy_cleanup(h);
        }
        s3x__http_buf_clean_up(e->allocator, &c->in);
        s3x_mem_release(e->allocator, c->origin);
        s3x_mem_release(e->allocator, c);
        return rc;
    }
    c->easy = h;
    c->request = r;
    s_busy_add(e, c);
    r->direct.conn = c;
    r->direct.phase = S3X_HTTP_DIRECT_CONNECTING;
    r->easy = h;
    r->connected = false;
    return 0;
}

/* The request goes on connection c: its head is written from the next service on. */
static int s_begin(struct s3x_http_engine *e, struct s3x_http_request *r, struct s3x_http_conn *c) {
    int rc = s_format_head(e, r, c);
    if (rc != 0) {
        return rc;
    }
    c->request = r;
    c->ready = true; /* write without waiting for a poll */
    c->in_pos = c->in_len = 0;
    e->loop.direct_ready = true;
    r->direct.conn = c;
    r->direct.phase = S3X_HTTP_DIRECT_SENDING;
    r->attempt_sent = 0; /* a replacement connection sends the body again from its start */
    r->direct.send_failed = false;
    r->direct.body_incomplete = false;
    r->easy = c->easy;
    r->connected = true;
    s3x__http_attempt_window_start(e, r);
    return 0;
}

int s3x__http_direct_start(struct s3x_http_engine *e, struct s3x_http_request *r) {
    size_t origin_len, authority_len;
    const char *authority, *target;
    bool https;
    s_split_url(r->url, &origin_len, &authority, &authority_len, &target, &https);
    uint32_t total_ms = r->timeout_ms ? r->timeout_ms : e->request_timeout_ms;
    r->direct.deadline_ns = total_ms != 0 ? s3x__clock_mono_ns() + (uint64_t)total_ms * 1000000u : 0;
    struct s3x_http_conn *c = s_take_idle(e, r->url, origin_len);
    if (c == NULL) {
        return s_connect(e, r, origin_len, e->loop.active + 1); /* r is not counted yet */
    }
    s_busy_add(e, c);
    int rc = s_begin(e, r, c);
    if (rc != 0) {
        s_busy_remove(e, c);
        s_close(e, c);
    }
    return rc;
}

bool s3x__http_direct_connected(struct s3x_http_engine *e, struct s3x_http_request *r, void *easy, int curl_code) {
    struct s3x_http_conn *c = r->direct.conn;
    if (r->direct.phase != S3X_HTTP_DIRECT_CONNECTING || c == NULL || c->easy != easy) {
        return false;
    }
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, NULL); /* the handle outlives this request */
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (curl_code == CURLE_OK) {
        curl_easy_getinfo(c->easy, CURLINFO_ACTIVESOCKET, &fd);
        if (fd == CURL_SOCKET_BAD) {
            curl_code = CURLE_COULDNT_CONNECT;
            snprintf(r->errbuf, sizeof(r->errbuf), "no socket after connecting");
        }
    }
    if (curl_code != CURLE_OK) {
        s3x__http_attempt_finish(e, r, curl_code, 0);
        return true;
    }
    atomic_fetch_add_explicit(&e->stats.connections, 1, memory_order_relaxed);
    c->fd = (int)fd;
    int rc = s_begin(e, r, c);
    if (rc != 0) {
        s3x__http_direct_fail(e, r, rc, "no memory for the request head");
    }
    return true;
}

void s3x__http_direct_detach(struct s3x_http_engine *e, struct s3x_http_request *r) {
    struct s3x_http_conn *c = r->direct.conn;
    r->direct.conn = NULL;
    r->direct.phase = S3X_HTTP_DIRECT_OFF;
    r->easy = NULL;
    if (c == NULL) {
        return;
    }
    s_busy_remove(e, c);
    c->request = NULL;
    c->ready = false;
    if (r->direct.reusable) {
        c->served++;
        c->idle_since_ns = s3x__clock_mono_ns();
        c->next = e->loop.idle;
        e->loop.idle = c;
        e->loop.idle_count++;
    } else {
        s_close(e, c);
    }
}

/* The server closed the connection (n == 0) or it failed (code). Returns -1 (ended) or 0 (a
 * replacement connection is being opened). */
int s3x__http_direct_lost(struct s3x_http_engine *e, struct s3x_http_request *r, int code) {
    struct s3x_http_direct *d = &r->direct;
    struct s3x_http_conn *c = d->conn;
    if (!d->got_bytes && c->served > 0 && !d->reconnected) {
        /* The server closed a kept connection before our request reached it: a new one. */
        size_t origin_len = strlen(c->origin);
        d->reconnected = true;
        d->conn = NULL;
        s_busy_remove(e, c);
        s_close(e, c);
        atomic_fetch_add_explicit(&e->stats.direct_reconnects, 1, memory_order_relaxed);
        int rc = s_connect(e, r, origin_len, e->loop.active); /* r is counted already */
        if (rc != 0) { /* phase is not OFF: finish detaches (no connection) */
            s3x__http_direct_fail(e, r, rc, "could not open a new connection");
            return -1;
        }
        s3x__http_timer_disarm(e, r); /* the stall window starts again once connected */
        return 0;
    }
    if (d->send_failed && !d->got_bytes) {
        s3x__http_direct_end(e, r, CURLE_SEND_ERROR, "sending the request failed");
        return -1;
    }
    if (code != CURLE_OK) {
        s3x__http_direct_end(e, r, code, code == CURLE_SEND_ERROR ? "sending the request failed" : "receiving the answer failed");
        return -1;
    }
    if (d->phase == S3X_HTTP_DIRECT_BODY && d->framing == S3X_HTTP_FRAME_CLOSE) {
        s3x__http_direct_complete(e, r);
        return -1;
    }
    if (!d->got_bytes) {
        s3x__http_direct_end(e, r, CURLE_GOT_NOTHING, "Empty reply from server");
        return -1;
    }
    if (d->phase == S3X_HTTP_DIRECT_BODY) {
        char msg[96];
        snprintf(msg, sizeof(msg), "transfer closed with %llu bytes remaining to read",
            (unsigned long long)(d->framing == S3X_HTTP_FRAME_LENGTH ? d->body_left : 0));
        s3x__http_direct_end(e, r, CURLE_PARTIAL_FILE, msg);
        return -1;
    }
    s3x__http_direct_end(e, r, CURLE_RECV_ERROR, "connection closed in the answer's headers");
    return -1;
}

/* Writes the request head, then a memory body straight from the caller's buffer. Returns 1 (all
 * written, or sending failed: read the answer next), 0 (wait for the socket). A failure is not
 * the end: the server may have answered and closed (a 403 before the body, say), so the answer is
 * read; without one, a kept connection is replaced (s_lost) and a fresh one ends with SEND_ERROR. */
static int s_send(struct s3x_http_request *r, struct s3x_http_conn *c) {
    for (;;) {
        bool head = c->out_sent < c->out.len;
        const uint8_t *p = head ? c->out.data + c->out_sent : r->body.data + r->attempt_sent;
        size_t left = head ? c->out.len - c->out_sent
                           : (r->body.kind == S3X_HTTP_BODY_MEMORY ? r->body.len - (size_t)r->attempt_sent : 0);
        if (left == 0) {
            break;
        }
        if (c->tls && left > S_TLS_SEND_MAX) {
            left = S_TLS_SEND_MAX; /* the same pointer and length again after AGAIN, as SSL_write wants */
        }
        size_t n = 0;
        CURLcode code = curl_easy_send(c->easy, p, left, &n);
        if (code == CURLE_AGAIN) {
            return 0;
        }
        if (code != CURLE_OK) {
            /* Read before deciding: an answer the server sent before closing (a 403, a 503
             * SlowDown) is still queued; without one, s_lost replaces a kept connection. */
            r->direct.send_failed = true;
            r->direct.body_incomplete = true;
            r->direct.phase = S3X_HTTP_DIRECT_HEAD;
            return 1;
        }
        if (head) {
            c->out_sent += n;
        } else {
            r->attempt_sent += n;
        }
        r->moved += n;
    }
    r->direct.phase = S3X_HTTP_DIRECT_HEAD;
    return 1;
}

static void s_service_one(struct s3x_http_engine *e, struct s3x_http_conn *c, short revents) {
    struct s3x_http_request *r = c->request;
    if (r == NULL || r->direct.conn != c || r->direct.phase == S3X_HTTP_DIRECT_CONNECTING) {
        return;
    }
    if (atomic_load_explicit(&r->cancel_requested, memory_order_relaxed)) {
        s3x__http_attempt_finish(e, r, CURLE_OK, S3X_ERR_CANCELED);
        return;
    }
    if (r->direct.phase == S3X_HTTP_DIRECT_SENDING && (revents & CURL_WAIT_POLLIN) != 0 &&
        (s3x__http_direct_read_early(e, r, c) < 0 || r->direct.conn != c)) {
        return; /* ended (r may be gone), or moved to a replacement connection (c is closed) */
    }
    if (r->direct.phase == S3X_HTTP_DIRECT_SENDING && s_send(r, c) <= 0) {
        return;
    }
    for (int i = 0; i < S_READ_BUDGET; ++i) {
        int rc = s3x__http_direct_read(e, r, c);
        if (rc <= 0) {
            return;
        }
        if (atomic_load_explicit(&r->cancel_requested, memory_order_relaxed)) {
            /* canceled from a hook (on_headers) or another thread: not one more byte */
            s3x__http_attempt_finish(e, r, CURLE_OK, S3X_ERR_CANCELED);
            return;
        }
    }
    c->ready = true;
    e->loop.direct_ready = true;
}

void s3x__http_direct_service(struct s3x_http_engine *e) {
    struct curl_waitfd *fds = e->loop.waitfds;
    struct s3x_http_conn **conns = e->loop.wait_conns;
    uint32_t n = e->loop.wait_count;
    e->loop.wait_count = 0;
    for (uint32_t i = 0; i < n; ++i) {
        if (fds[i].revents != 0) {
            s_service_one(e, conns[i], fds[i].revents); /* closed ones wait in the graveyard */
        }
    }
    if (!e->loop.direct_ready) {
        return;
    }
    /* Those with more to read: a snapshot, since servicing reorders `busy`. */
    e->loop.direct_ready = false;
    n = 0;
    for (uint32_t i = 0; i < e->loop.busy_count; ++i) {
        if (e->loop.busy[i]->ready) {
            e->loop.busy[i]->ready = false;
            conns[n++] = e->loop.busy[i];
        }
    }
    for (uint32_t i = 0; i < n; ++i) {
        s_service_one(e, conns[i], 0);
    }
}

/* Idle connections past their age are closed (the server has likely closed its end: the socket
 * would sit in CLOSE_WAIT until reused). At most once a second. */
static void s_sweep_idle(struct s3x_http_engine *e) {
    uint64_t now = s3x__clock_mono_ns();
    if (e->loop.idle == NULL || now - e->loop.idle_swept_ns < 1000000000u) {
        return;
    }
    e->loop.idle_swept_ns = now;
    for (struct s3x_http_conn **link = &e->loop.idle; *link != NULL;) {
        if (now - (*link)->idle_since_ns > S_IDLE_MAX_NS) {
            s_close(e, s_idle_unlink(e, link));
        } else {
            link = &(*link)->next;
        }
    }
}

uint32_t s3x__http_direct_poll_set(struct s3x_http_engine *e) {
    s_sweep_idle(e);
    s_bury(e);
    struct curl_waitfd *fds = e->loop.waitfds;
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->loop.busy_count; ++i) {
        struct s3x_http_conn *c = e->loop.busy[i];
        struct s3x_http_request *r = c->request;
        if (r == NULL || r->direct.phase == S3X_HTTP_DIRECT_CONNECTING || c->fd < 0) {
            continue; /* curl polls a connecting socket itself */
        }
        fds[n].fd = (curl_socket_t)c->fd;
        /* sending: writable, or an early answer */
        fds[n].events = (short)(r->direct.phase == S3X_HTTP_DIRECT_SENDING ? CURL_WAIT_POLLOUT | CURL_WAIT_POLLIN
                                                                            : CURL_WAIT_POLLIN);
        fds[n].revents = 0;
        e->loop.wait_conns[n] = c;
        ++n;
    }
    e->loop.wait_count = n;
    return n;
}
