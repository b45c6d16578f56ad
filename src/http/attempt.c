/* One attempt of a request on a libcurl easy handle: handle recycling, per-attempt setup, the curl
 * callbacks of the data path, pause/resume, stall checks, and the end of an attempt (classify,
 * retry or complete). Everything here runs on the engine thread.
 *
 * Data path. A GET into a buffer sink runs on a direct connection instead (direct.c: no copy);
 * this file still owns its attempt's life (start, classify, retry, finish). For the others curl
 * calls s_write_cb / s_read_cb with each chunk (at most the handle's receive /
 * upload buffer: engine.c sizes them); they call straight into the sink or source hook, or copy
 * into a buffer sink (streaming stores into large buffers), and bump plain counters: no
 * allocation, lock or system call per chunk (one relaxed atomic load of cancel_requested). A
 * memory sink grows by doubling (a bounded number of times). Example: an 8 MiB part on a buffer
 * sink with 192 KiB handles: about 43 callbacks, each copying at buffer + attempt_received.
 *
 * Callbacks never end a transfer themselves (curl forbids removing a handle from inside its
 * callbacks): they record local_error and return curl's abort value; curl then reports the transfer
 * done and s3x__http_attempt_finish runs from the loop. Cancel from any thread sets
 * cancel_requested, which the next callback turns into an abort; a paused or connecting transfer,
 * which gets no callbacks, is ended by the cancel mail instead.
 *
 * Pause. A hook returning S3X_HTTP_PAUSE pauses that direction (CURL_WRITEFUNC_PAUSE /
 * CURL_READFUNC_PAUSE) and disarms the stall timer: a transfer we hold back is not stalled. Resume
 * calls curl_easy_pause(CONT) from the loop; curl delivers the held chunk from INSIDE that call, so
 * s_write_cb re-enters there and may pause again or fail; afterwards we check for both, end the
 * attempt ourselves on failure (curl 7.88 would otherwise keep a failed transfer going, curl issue
 * #13337) and else restart the stall window.
 *
 * Stall. From the moment the request is sent (PREREQ callback) the attempt runs in windows of
 * stall_window: a window in which fewer than stall_min_bytes moved (headers and body, both ways)
 * ends the attempt with S3X_ERR_HTTP_STALL. Example: window 30 s, minimum 1 B; a server sends the
 * headers then nothing: 30 s later the attempt is aborted and (by default) retried. curl's
 * LOW_SPEED_LIMIT/TIME is not used although 7.88 does not fire it during a pause (measured: a
 * download and an upload paused 3 s with 1 B/s over 1 s both completed): it ends with
 * CURLE_OPERATION_TIMEDOUT, the same code as the total timeout, so the cause (and whether the
 * connect phase was involved) would be a guess; it also averages speed instead of counting bytes.
 */
#include "engine_impl.h"

#include <curl/curl.h>

#include <stdio.h>
#include <string.h>

/* Non-temporal copies into buffer sinks on x86-64, except under sanitizers, which do not see
 * stores made by intrinsics: there every copy is a memcpy they check. */
#if defined(__SSE2__) && !defined(S3XFER_ASAN) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#    define S_STREAMING 1
#    if defined(__has_feature)
#        if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#            undef S_STREAMING
#        endif
#    endif
#endif
#if defined(S_STREAMING)
#    include <emmintrin.h>
#endif

/* Chunks smaller than this are copied with memcpy even into a large buffer sink: the fence and
 * the alignment head are not worth it for a few cache lines. */
#define S_STREAMING_COPY_MIN ((size_t)4096)

static struct s3x_http_engine *s_engine(struct s3x_http_request *r) {
    return atomic_load_explicit(&r->engine, memory_order_relaxed);
}

/* --- easy handles: a free list, so the steady state creates none ---------------------------- */

static CURL *s_handle_get(struct s3x_http_engine *e) {
    if (e->loop.free_count > 0) {
        return e->loop.free_handles[--e->loop.free_count];
    }
    CURL *h = curl_easy_init();
    if (h != NULL) {
        atomic_fetch_add_explicit(&e->stats.handles, 1, memory_order_relaxed);
        /* Once per handle: curl 7.88 refuses a new receive size while it still holds its buffer
         * (after some transfers), and the sizes never change anyway. Failure leaves curl's
         * defaults. */
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, e->recv_buffer_bytes);
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, e->send_buffer_bytes);
    }
    return h;
}

static void s_handle_put(struct s3x_http_engine *e, CURL *h) {
    /* Forget the request: its buffers and callbacks' data go away with it. */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_PRIVATE, NULL);
    if (e->loop.free_count < e->max_active) {
        e->loop.free_handles[e->loop.free_count++] = h;
    } else {
        curl_easy_cleanup(h);
    }
}

void s3x__http_handles_clean_up(struct s3x_http_engine *e) {
    while (e->loop.free_count > 0) {
        curl_easy_cleanup(e->loop.free_handles[--e->loop.free_count]);
    }
}

/* --- stall windows -------------------------------------------------------------------------- */

/* A stall window runs from now; a direct attempt's total deadline (curl keeps the others') cuts it
 * short. */
void s3x__http_attempt_window_start(struct s3x_http_engine *e, struct s3x_http_request *r) {
    uint64_t deadline = 0;
    if (e->stall_window_ns != 0) {
        r->stall_mark = r->moved;
        deadline = s3x__clock_mono_ns() + e->stall_window_ns;
    }
    if (r->direct.deadline_ns != 0 && (deadline == 0 || r->direct.deadline_ns < deadline)) {
        deadline = r->direct.deadline_ns;
    }
    if (deadline != 0) {
        s3x__http_timer_arm(e, r, deadline);
    }
}

void s3x__http_attempt_stall_check(struct s3x_http_engine *e, struct s3x_http_request *r) {
    if (r->recv_paused || r->send_paused || !r->connected) {
        return; /* re-armed on resume */
    }
    uint64_t now = s3x__clock_mono_ns();
    if (r->direct.deadline_ns != 0 && now >= r->direct.deadline_ns) {
        snprintf(r->errbuf, sizeof(r->errbuf), "Operation timed out with %llu bytes received",
            (unsigned long long)r->attempt_received);
        s3x__http_attempt_finish(e, r, CURLE_OPERATION_TIMEDOUT, 0);
        return;
    }
    if (e->stall_window_ns == 0) {
        return; /* not reached: only a deadline arms the timer then */
    }
    uint64_t moved = r->moved - r->stall_mark;
    if (moved >= e->stall_min_bytes) {
        s3x__http_attempt_window_start(e, r);
        return;
    }
    atomic_fetch_add_explicit(&e->stats.stalls, 1, memory_order_relaxed);
    snprintf(r->local_msg, sizeof(r->local_msg), "stalled: %llu bytes moved in %llu ms (minimum %llu)",
        (unsigned long long)moved, (unsigned long long)(e->stall_window_ns / 1000000u),
        (unsigned long long)e->stall_min_bytes);
    s3x__http_attempt_finish(e, r, CURLE_OK, S3X_ERR_HTTP_STALL);
}

/* --- curl callbacks --------------------------------------------------------------------------- */

static bool s_aborting(const struct s3x_http_request *r) {
    return r->local_error != 0 || atomic_load_explicit(&r->cancel_requested, memory_order_relaxed);
}

static void s_fail(struct s3x_http_request *r, int error, const char *msg) {
    r->local_error = error;
    if (msg != NULL) {
        snprintf(r->local_msg, sizeof(r->local_msg), "%s", msg);
    }
}

static int s_prereq_cb(void *clientp, char *primary_ip, char *local_ip, int primary_port, int local_port) {
    S3X_UNUSED(primary_ip);
    S3X_UNUSED(local_ip);
    S3X_UNUSED(primary_port);
    S3X_UNUSED(local_port);
    struct s3x_http_request *r = clientp;
    r->connected = true;
    if (!r->recv_paused && !r->send_paused) {
        s3x__http_attempt_window_start(s_engine(r), r);
    }
    return CURL_PREREQFUNC_OK;
}

/* The final status and headers are in: size the memory sink, call on_headers, check the buffer
 * sink. content_length is -1 when the answer has none. */
int s3x__http_attempt_headers_done(struct s3x_http_request *r, int status, int64_t content_length) {
    r->status = status;
    r->headers_done = true;
    r->status_ok = status >= 200 && status <= 299;
    if (r->status_ok && r->sink.kind == S3X_HTTP_SINK_MEMORY && !r->is_head) {
        if (content_length > 0 && (uint64_t)content_length > r->sink.max_bytes) {
            s_fail(r, S3X_ERR_OVERFLOW, "response body larger than the memory sink's maximum");
            return r->local_error;
        }
        if (content_length > 0 &&
            s3x__http_buf_reserve(r->allocator, &r->body_mem, (size_t)content_length, r->sink.max_bytes) != 0) {
            s_fail(r, S3X_ERR_OOM, "no memory for the response body");
            return r->local_error;
        }
    }
    if (r->on_headers != NULL) {
        int rc = r->on_headers(r, r->status, r->user_data);
        if (rc != 0) {
            s_fail(r, rc, "the on_headers hook failed the attempt");
            return rc;
        }
    }
    /* After on_headers: the hook knows what the answer means (a 200 where a range was asked,
     * say) and its error is the more specific one. */
    if (r->status_ok && r->sink.kind == S3X_HTTP_SINK_BUFFER && !r->is_head && content_length > 0 &&
        (uint64_t)content_length > r->sink.capacity) {
        s_fail(r, S3X_ERR_OVERFLOW, "response body larger than the sink's buffer");
        return r->local_error;
    }
    return 0;
}

static int s_headers_done(struct s3x_http_request *r) {
    long status = 0;
    curl_off_t length = -1;
    curl_easy_getinfo((CURL *)r->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo((CURL *)r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    return s3x__http_attempt_headers_done(r, (int)status, (int64_t)length);
}

static size_t s_header_cb(char *buffer, size_t size, size_t nitems, void *userdata) {
    struct s3x_http_request *r = userdata;
    size_t len = size * nitems;
    if (s_aborting(r)) {
        return 0;
    }
    r->moved += len;
    if (len >= 5 && memcmp(buffer, "HTTP/", 5) == 0) {
        /* A status line: the start of a (possibly interim) response. */
        s3x__http_response_reset(r);
        r->headers_done = false;
        return len;
    }
    if (r->headers_done) {
        return len; /* trailers of a chunked body: not kept */
    }
    if (len <= 2 && (buffer[0] == '\r' || buffer[0] == '\n')) {
        long status = 0;
        curl_easy_getinfo((CURL *)r->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 100 && status <= 199) {
            return len; /* interim response; the final one follows */
        }
        return s_headers_done(r) == 0 ? len : 0;
    }
    int rc = s3x__http_response_add_header_line(r, buffer, len);
    if (rc != 0) {
        s_fail(r, rc, "response headers too large or out of memory");
        return 0;
    }
    return len;
}

static void s_error_body_append(struct s3x_http_engine *e, struct s3x_http_request *r, const char *data, size_t len) {
    size_t room = e->error_body_max - r->error_body.len;
    size_t take = S3X_MIN(room, len);
    if (take < len) {
        r->error_body_truncated = true;
    }
    if (take > 0 && s3x__http_buf_append(r->allocator, &r->error_body, data, take, e->error_body_max) != 0) {
        r->error_body_truncated = true; /* diagnostics only: never fails the attempt */
    }
}

/* Copies a received chunk into a buffer sink. `streaming`: with non-temporal stores, 64 bytes per
 * step into 16-byte aligned destinations (head and tail by memcpy), then a store fence so the
 * bytes are visible before whatever publishes the buffer to another thread (the weakly ordered
 * stores are not ordered by a later mutex release on their own). Figures: docs/engine.md. */
static void s_copy_out(uint8_t *dst, const char *src, size_t n, bool streaming) {
#if defined(S_STREAMING)
    if (streaming && n >= S_STREAMING_COPY_MIN) {
        size_t head = (16u - ((uintptr_t)dst & 15u)) & 15u;
        memcpy(dst, src, head);
        dst += head;
        src += head;
        n -= head;
        for (; n >= 64; n -= 64, dst += 64, src += 64) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + 16));
            __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + 32));
            __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + 48));
            _mm_stream_si128((__m128i *)(void *)dst, a);
            _mm_stream_si128((__m128i *)(void *)(dst + 16), b);
            _mm_stream_si128((__m128i *)(void *)(dst + 32), c);
            _mm_stream_si128((__m128i *)(void *)(dst + 48), d);
        }
        _mm_sfence();
    }
#else
    (void)streaming;
#endif
    memcpy(dst, src, n);
}

/* One piece of the answer's body: into the sink (2xx) or the bounded error body. Returns 0,
 * S3X_HTTP_PAUSE (a stream sink paused; nothing consumed) or the error (local_error set). */
static int s_body(struct s3x_http_request *r, const char *ptr, size_t len) {
    if (S3X_UNLIKELY(!r->status_ok)) {
        s_error_body_append(s_engine(r), r, ptr, len);
    } else if (r->sink.kind == S3X_HTTP_SINK_BUFFER) {
        if (len > r->sink.capacity - r->attempt_received) { /* attempt_received <= capacity */
            s_fail(r, S3X_ERR_OVERFLOW, "response body larger than the sink's buffer");
            return r->local_error;
        }
        if (len > 0) { /* buffer may be NULL with capacity 0 */
            s_copy_out(r->sink.buffer + r->attempt_received, ptr, len,
                r->sink.capacity >= S3X_HTTP_BUFFER_SINK_STREAMING_MIN);
        }
    } else if (r->sink.kind == S3X_HTTP_SINK_MEMORY) {
        int rc = s3x__http_buf_append(r->allocator, &r->body_mem, ptr, len, r->sink.max_bytes);
        if (rc != 0) {
            s_fail(r, rc, rc == S3X_ERR_OVERFLOW ? "response body larger than the memory sink's maximum"
                                                 : "no memory for the response body");
            return rc;
        }
    } else {
        int rc = r->sink.write(r, (const uint8_t *)ptr, len, r->user_data);
        if (rc == S3X_HTTP_PAUSE) {
            return rc;
        }
        if (rc != 0) {
            s_fail(r, rc, "the response sink failed the attempt");
            return rc;
        }
    }
    r->moved += len;
    r->attempt_received += len;
    return 0;
}

int s3x__http_attempt_body(struct s3x_http_request *r, const uint8_t *data, size_t len) {
    return s_body(r, (const char *)data, len);
}

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct s3x_http_request *r = userdata;
    size_t len = size * nmemb;
    if (S3X_UNLIKELY(s_aborting(r))) {
        return 0; /* != len: curl fails the transfer with CURLE_WRITE_ERROR */
    }
    if (S3X_UNLIKELY(!r->headers_done) && s_headers_done(r) != 0) {
        return 0;
    }
    int rc = s_body(r, ptr, len);
    if (rc == S3X_HTTP_PAUSE) {
        r->recv_paused = true;
        s3x__http_timer_disarm(s_engine(r), r);
        return CURL_WRITEFUNC_PAUSE;
    }
    return rc == 0 ? len : 0;
}

static size_t s_read_cb(char *buffer, size_t size, size_t nitems, void *userdata) {
    struct s3x_http_request *r = userdata;
    size_t cap = size * nitems;
    if (S3X_UNLIKELY(s_aborting(r))) {
        return CURL_READFUNC_ABORT;
    }
    r->source_touched = true;
    uint64_t length = r->body.content_length;
    if (length != S3X_HTTP_LENGTH_UNKNOWN && length - r->attempt_sent < cap) {
        cap = (size_t)(length - r->attempt_sent); /* the source can never over-produce */
    }
    size_t n = 0;
    if (cap == 0 || r->body.kind == S3X_HTTP_BODY_NONE) {
        return 0;
    }
    if (r->body.kind == S3X_HTTP_BODY_MEMORY) {
        n = cap; /* cap <= len - sent, by the clamp above */
        memcpy(buffer, r->body.data + r->attempt_sent, n);
    } else {
        int rc = r->body.read(r, (uint8_t *)buffer, cap, &n, r->user_data);
        if (rc == S3X_HTTP_PAUSE) {
            r->send_paused = true;
            s3x__http_timer_disarm(s_engine(r), r);
            return CURL_READFUNC_PAUSE;
        }
        if (rc != 0 || n > cap) {
            s_fail(r, rc != 0 ? rc : S3X_ERR_INVALID_ARGUMENT, "the body source failed the attempt");
            return CURL_READFUNC_ABORT;
        }
        if (n == 0 && length != S3X_HTTP_LENGTH_UNKNOWN) {
            snprintf(r->local_msg, sizeof(r->local_msg), "the body source ended after %llu of %llu bytes",
                (unsigned long long)r->attempt_sent, (unsigned long long)length);
            r->local_error = S3X_ERR_IO;
            return CURL_READFUNC_ABORT;
        }
    }
    r->attempt_sent += n;
    r->moved += n;
    return n;
}

/* curl re-sends a body from the start when a reused connection turns out dead. */
static int s_seek_cb(void *userp, curl_off_t offset, int origin) {
    struct s3x_http_request *r = userp;
    if (origin != SEEK_SET || offset != 0) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    if (r->body.kind == S3X_HTTP_BODY_STREAM && r->source_touched) {
        if (r->body.rewind == NULL) {
            return CURL_SEEKFUNC_CANTSEEK;
        }
        int rc = r->body.rewind(r, r->user_data);
        if (rc != 0) {
            s_fail(r, rc, "the body source could not rewind");
            return CURL_SEEKFUNC_FAIL;
        }
    }
    r->attempt_sent = 0;
    return CURL_SEEKFUNC_OK;
}

/* --- setting up an attempt ---------------------------------------------------------------------- */

/* A small header line is formatted on the stack; curl copies it. */
#define S_HEADER_LINE_STACK 512

static int s_append_header(struct s3x_allocator *a, struct curl_slist **list, const char *name, const char *value) {
    size_t n = strlen(name), v = strlen(value), total = n + v + 3;
    char stack[S_HEADER_LINE_STACK];
    char *line = total <= sizeof(stack) ? stack : s3x_mem_acquire(a, total);
    if (line == NULL) {
        return S3X_ERR_OOM;
    }
    memcpy(line, name, n);
    if (v == 0) {
        memcpy(line + n, ";", 2); /* curl's syntax for a header with an empty value */
    } else {
        memcpy(line + n, ": ", 2);
        memcpy(line + n + 2, value, v + 1);
    }
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (line != stack) {
        s3x_mem_release(a, line);
    }
    if (grown == NULL) {
        return S3X_ERR_OOM;
    }
    *list = grown;
    return 0;
}

static int s_build_headers(struct s3x_http_request *r, struct curl_slist **out) {
    struct curl_slist *list = NULL;
    int rc = 0;
    if (s3x__http_request_header(r, "Expect") == NULL) {
        /* An empty Expect: curl sends no "Expect: 100-continue" (one round trip per upload). */
        struct curl_slist *grown = curl_slist_append(list, "Expect:");
        rc = grown != NULL ? 0 : S3X_ERR_OOM;
        list = grown;
    }
    for (size_t i = 0; rc == 0 && i < r->header_count; ++i) {
        rc = s_append_header(r->allocator, &list, r->headers[i].name, r->headers[i].value);
    }
    if (rc != 0) {
        curl_slist_free_all(list);
        list = NULL;
    }
    *out = list;
    return rc;
}

#define S_SET(h, opt, val)                                                                         \
    do {                                                                                           \
        if (c == CURLE_OK) {                                                                       \
            c = curl_easy_setopt((h), (opt), (val));                                               \
            if (c != CURLE_OK) {                                                                   \
                snprintf(r->local_msg, sizeof(r->local_msg), "curl_easy_setopt(%s): %s", #opt,    \
                    curl_easy_strerror(c));                                                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Every option any attempt sets is set by every attempt, so a recycled handle carries nothing over
 * (curl_easy_reset would also drop its buffers); only CURLOPT_BUFFERSIZE is set once, at creation. */
static CURLcode s_set_method(struct s3x_http_request *r, CURL *h) {
    CURLcode c = CURLE_OK;
    const char *m = r->method;
    bool is_get = strcmp(m, "GET") == 0, is_put = strcmp(m, "PUT") == 0;
    r->is_head = strcmp(m, "HEAD") == 0;
    bool upload = !r->is_head && (r->body.kind != S3X_HTTP_BODY_NONE || is_put || strcmp(m, "POST") == 0);
    S_SET(h, CURLOPT_HTTPGET, 1L); /* back to a plain GET: clears NOBODY and UPLOAD */
    S_SET(h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    S_SET(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)-1);
    if (r->is_head) {
        S_SET(h, CURLOPT_NOBODY, 1L);
    } else if (upload) {
        uint64_t length = r->body.content_length;
        S_SET(h, CURLOPT_UPLOAD, 1L);
        S_SET(h, CURLOPT_INFILESIZE_LARGE,
            length == S3X_HTTP_LENGTH_UNKNOWN ? (curl_off_t)-1 : (curl_off_t)length); /* -1: chunked */
        if (!is_put) {
            S_SET(h, CURLOPT_CUSTOMREQUEST, m);
        }
    } else if (!is_get) {
        S_SET(h, CURLOPT_CUSTOMREQUEST, m);
    }
    return c;
}

static int s_configure(struct s3x_http_engine *e, struct s3x_http_request *r, CURL *h, struct curl_slist *headers) {
    CURLcode c = CURLE_OK;
    long connect_ms = (long)(r->connect_timeout_ms ? r->connect_timeout_ms : e->connect_timeout_ms);
    long total_ms = (long)(r->timeout_ms ? r->timeout_ms : e->request_timeout_ms);
    S_SET(h, CURLOPT_PRIVATE, (void *)r);
    S_SET(h, CURLOPT_URL, r->url);
    S_SET(h, CURLOPT_PATH_AS_IS, 1L);
    S_SET(h, CURLOPT_NOSIGNAL, 1L);
    S_SET(h, CURLOPT_TCP_NODELAY, 1L);
    S_SET(h, CURLOPT_TCP_KEEPALIVE, 1L);
    S_SET(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    S_SET(h, CURLOPT_FOLLOWLOCATION, 0L);
    S_SET(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    S_SET(h, CURLOPT_SSL_VERIFYPEER, e->tls_verify ? 1L : 0L);
    S_SET(h, CURLOPT_SSL_VERIFYHOST, e->tls_verify ? 2L : 0L);
    if (e->ca_file != NULL) {
        S_SET(h, CURLOPT_CAINFO, e->ca_file);
    }
    if (e->ca_path != NULL) {
        S_SET(h, CURLOPT_CAPATH, e->ca_path);
    }
    if (e->proxy != NULL) {
        S_SET(h, CURLOPT_PROXY, e->proxy);
    }
    S_SET(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    S_SET(h, CURLOPT_TIMEOUT_MS, total_ms);
    S_SET(h, CURLOPT_ERRORBUFFER, r->errbuf);
    S_SET(h, CURLOPT_HEADERFUNCTION, s_header_cb);
    S_SET(h, CURLOPT_HEADERDATA, (void *)r);
    S_SET(h, CURLOPT_WRITEFUNCTION, s_write_cb);
    S_SET(h, CURLOPT_WRITEDATA, (void *)r);
    S_SET(h, CURLOPT_READFUNCTION, s_read_cb);
    S_SET(h, CURLOPT_READDATA, (void *)r);
    S_SET(h, CURLOPT_SEEKFUNCTION, s_seek_cb);
    S_SET(h, CURLOPT_SEEKDATA, (void *)r);
    S_SET(h, CURLOPT_PREREQFUNCTION, s_prereq_cb);
    S_SET(h, CURLOPT_PREREQDATA, (void *)r);
    S_SET(h, CURLOPT_HTTPHEADER, headers);
    if (c == CURLE_OK) {
        c = s_set_method(r, h);
    }
    if (c == CURLE_OK) {
        return 0;
    }
    return c == CURLE_OUT_OF_MEMORY ? S3X_ERR_OOM : S3X_ERR_UNSUPPORTED;
}

/* --- the life of an attempt --------------------------------------------------------------------- */

static void s_log_attempt(const struct s3x_http_request *r, const char *what, bool with_status) {
    if (!s3x__log_enabled(S3X_LOG_DEBUG)) {
        return;
    }
    /* method, host and path only: never the query (presigned credentials) nor header values */
    const char *host = NULL, *path = NULL;
    int host_len = 0, path_len = 0;
    s3x__http_url_for_log(r->url, &host, &host_len, &path, &path_len);
    if (!with_status) {
        S3X_LOG_DEBUGF(S3X_HTTP_SUBSYSTEM, "%s %.*s %.*s attempt %u: %s", r->method, host_len, host, path_len, path,
            r->attempt, what);
    } else {
        S3X_LOG_DEBUGF(S3X_HTTP_SUBSYSTEM, "%s %.*s %.*s attempt %u: %s (status %d)", r->method, host_len, host,
            path_len, path, r->attempt, what, r->status);
    }
}

/* Before attempt `next` >= 2: the sink restarts at byte 0 and the source is rewound (if the last
 * attempt read from it). */
static int s_restart_bodies(struct s3x_http_request *r, uint32_t next, bool source_touched) {
    if (r->sink.kind != S3X_HTTP_SINK_MEMORY && r->sink.on_retry != NULL) {
        r->sink.on_retry(r, next, r->user_data);
    }
    if (r->body.kind == S3X_HTTP_BODY_STREAM && source_touched) {
        if (r->body.rewind == NULL) {
            return S3X_ERR_INVALID_STATE; /* not reached: finish does not retry such a request */
        }
        int rc = r->body.rewind(r, r->user_data);
        if (rc != 0) {
            snprintf(r->local_msg, sizeof(r->local_msg), "the body source could not rewind for attempt %u", next);
            return rc;
        }
    }
    return 0;
}

static void s_reset_attempt_state(struct s3x_http_request *r) {
    r->connected = false;
    r->recv_paused = r->send_paused = false;
    r->headers_done = false;
    r->status_ok = false;
    r->source_touched = false;
    r->local_error = 0;
    r->last_curl_code = 0;
    r->attempt_sent = r->attempt_received = 0;
    r->moved = r->stall_mark = 0;
    r->errbuf[0] = '\0';
    r->local_msg[0] = '\0';
    r->direct = (struct s3x_http_direct){0};
    s3x__http_response_reset(r);
}


static void s_fail_start(struct s3x_http_engine *e, struct s3x_http_request *r, int error) {
    if (r->local_msg[0] != '\0') {
        memcpy(r->errbuf, r->local_msg, sizeof(r->errbuf));
    }
    s3x__http_request_complete(e, r, error);
}

/* The attempt runs on a direct connection (direct.c). */
static void s_start_direct(struct s3x_http_engine *e, struct s3x_http_request *r, uint32_t next) {
    r->is_head = false;
    int rc = s3x__http_direct_start(e, r);
    if (rc != 0) {
        s_fail_start(e, r, rc);
        return;
    }
    r->attempt = next;
    r->state = S3X_HTTP_REQ_ACTIVE;
    e->loop.active++;
    atomic_fetch_add_explicit(&e->stats.attempts, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->stats.direct_attempts, 1, memory_order_relaxed);
    if (next > 1) {
        atomic_fetch_add_explicit(&e->stats.retries, 1, memory_order_relaxed);
    }
    s_log_attempt(r, "start (direct)", false);
}

void s3x__http_attempt_start(struct s3x_http_engine *e, struct s3x_http_request *r) {
    if (atomic_load(&r->cancel_requested)) {
        s3x__http_request_complete(e, r, S3X_ERR_CANCELED);
        return;
    }
    uint32_t next = r->attempt + 1;
    bool source_touched = r->source_touched;
    s_reset_attempt_state(r);
    int rc = next > 1 ? s_restart_bodies(r, next, source_touched) : 0;
    if (rc == 0 && r->prepare != NULL) {
        rc = r->prepare(r, next, r->user_data);
    }
    if (rc != 0) {
        s_fail_start(e, r, rc);
        return;
    }
    if (s3x__http_direct_eligible(e, r)) {
        s_start_direct(e, r, next);
        return;
    }
    s3x__http_direct_make_room(e);
    struct curl_slist *headers = NULL;
    CURL *h = s_handle_get(e);
    rc = h != NULL ? s_build_headers(r, &headers) : S3X_ERR_OOM;
    r->easy = h;
    rc = rc ? rc : s_configure(e, r, h, headers);
    if (rc == 0 && curl_multi_add_handle(e->multi, h) != CURLM_OK) {
        rc = S3X_ERR_OOM;
    }
    if (rc != 0) {
        if (h != NULL) {
            s_handle_put(e, h);
        }
        r->easy = NULL;
        curl_slist_free_all(headers);
        s_fail_start(e, r, rc);
        return;
    }
    r->slist = headers;
    r->attempt = next;
    r->state = S3X_HTTP_REQ_ACTIVE;
    e->loop.active++;
    atomic_fetch_add_explicit(&e->stats.attempts, 1, memory_order_relaxed);
    if (next > 1) {
        atomic_fetch_add_explicit(&e->stats.retries, 1, memory_order_relaxed);
    }
    s_log_attempt(r, "start", false);
}

/* The curl half of ending an attempt: connections counted, the handle out of the multi handle and
 * back to the free list. */
static void s_detach_curl(struct s3x_http_engine *e, struct s3x_http_request *r) {
    CURL *h = r->easy;
    long connects = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
        atomic_fetch_add_explicit(&e->stats.connections, (uint64_t)connects, memory_order_relaxed);
    }
    if (!r->headers_done) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        r->status = (int)status;
    }
    curl_multi_remove_handle(e->multi, h);
    s_handle_put(e, h);
    r->easy = NULL;
    curl_slist_free_all(r->slist);
    r->slist = NULL;
}

/* Ends the attempt's hold on its transfer (a curl handle or a direct connection). */
static void s_detach(struct s3x_http_engine *e, struct s3x_http_request *r) {
    if (r->direct.phase != S3X_HTTP_DIRECT_OFF) {
        s3x__http_direct_detach(e, r);
    } else {
        s_detach_curl(e, r);
    }
    e->loop.active--;
    s3x__http_timer_disarm(e, r);
    r->recv_paused = r->send_paused = false;
    r->total_sent += r->attempt_sent;
    r->total_received += r->attempt_received;
}

static int s_attempt_error(struct s3x_http_request *r, int curl_code, int forced_error) {
    if (forced_error != 0) {
        return forced_error;
    }
    if (r->local_error != 0) {
        return r->local_error;
    }
    if (curl_code != CURLE_OK) {
        return s3x__http_error_from_curl(curl_code, r->connected, NULL);
    }
    return r->status >= 200 && r->status <= 299 ? 0 : S3X_ERR_HTTP_STATUS;
}

void s3x__http_attempt_finish(struct s3x_http_engine *e, struct s3x_http_request *r, int curl_code, int forced_error) {
    s_detach(e, r);
    if (curl_code == CURLE_OK && forced_error == 0 && r->local_error == 0 && !r->headers_done) {
        /* curl 7.88 reports OK for an answer cut inside its headers ("HTTP/1.1 200 OK\r\nContent-Le"
         * then close): a receive error, as the direct path reports it. */
        curl_code = CURLE_RECV_ERROR;
        snprintf(r->errbuf, sizeof(r->errbuf), "connection closed in the answer's headers");
    }
    r->last_curl_code = curl_code;
    if ((forced_error != 0 || r->local_error != 0) && r->local_msg[0] != '\0') {
        memcpy(r->errbuf, r->local_msg, sizeof(r->errbuf));
    }
    if (forced_error == S3X_ERR_CANCELED || atomic_load(&r->cancel_requested)) {
        s_log_attempt(r, "canceled", true);
        s3x__http_request_complete(e, r, S3X_ERR_CANCELED);
        return;
    }
    struct s3x_http_attempt at = {
        .attempt = r->attempt,
        .error = s_attempt_error(r, curl_code, forced_error),
        .http_status = r->status,
        .curl_code = curl_code,
        .error_body = r->error_body.len > 0 ? r->error_body.data : NULL,
        .error_body_len = r->error_body.len,
    };
    bool retry = false;
    int error = r->classify != NULL ? r->classify(r, &at, &retry, r->user_data)
                                    : s3x__http_classify_default(&at, &retry);
    if (atomic_load(&r->cancel_requested)) {
        error = S3X_ERR_CANCELED; /* canceled while (or before) classify ran: cancel wins */
    }
    if (error == 0) {
        s3x__http_request_complete(e, r, 0);
        return;
    }
    uint32_t max_attempts = r->max_attempts ? r->max_attempts : e->retry.max_attempts;
    bool rewindable = r->body.kind != S3X_HTTP_BODY_STREAM || r->body.rewind != NULL || !r->source_touched;
    if (retry && error != S3X_ERR_CANCELED && r->attempt < max_attempts && rewindable) {
        uint64_t delay_ms = s3x__retry_delay_ms(&e->retry, r->attempt, &e->loop.rng);
        if (s3x__log_enabled(S3X_LOG_DEBUG)) {
            char what[96];
            snprintf(what, sizeof(what), "%s, retry in %llu ms", s3x_error_name(error), (unsigned long long)delay_ms);
            s_log_attempt(r, what, true);
        }
        s3x__http_request_backoff(e, r, delay_ms);
        return;
    }
    s3x__http_request_complete(e, r, error);
}

void s3x__http_attempt_resume(struct s3x_http_engine *e, struct s3x_http_request *r) {
    if (!r->recv_paused && !r->send_paused) {
        return;
    }
    r->recv_paused = r->send_paused = false;
    /* curl may call s_write_cb from inside this call with the chunk it held back. */
    CURLcode c = curl_easy_pause((CURL *)r->easy, CURLPAUSE_CONT);
    if (c != CURLE_OK || s_aborting(r)) {
        s3x__http_attempt_finish(e, r, (int)c, 0);
        return;
    }
    if (!r->recv_paused && !r->send_paused && r->connected) {
        s3x__http_attempt_window_start(e, r);
    }
}
