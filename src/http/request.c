/* The HTTP request object: what to send (method, URL, headers, body source), where the answer
 * goes (sink), the hooks, and the response kept for the caller (status, headers, bodies, result).
 *
 * Ownership. Reference counted. The creator holds one reference; a successful submit gives the
 * engine one more, dropped right after on_complete returns; each inbox entry holds one while
 * queued. The request keeps a reference on the engine from submit until it is destroyed, so
 * resume/cancel from any thread can always reach the engine's mailbox safely.
 *
 * Storage. Request headers: an array of entries, each one allocation "name\0value\0" (set_header
 * replaces in place, so the S3 signer can re-sign every attempt). Response headers: one buffer of
 * "name\0value\0" pairs, reused across attempts. Example: "ETag: \"abc\"\r\n" and
 * "Content-Length: 5\r\n" give resp_headers = `ETag\0"abc"\0Content-Length\05\0` (30 bytes),
 * resp_header_count = 2; lookups compare names case-insensitively.
 */
#include "engine_impl.h"

#include <string.h>
#include <strings.h>

/* --- growable buffers ---------------------------------------------------------------------- */

int s3x__http_buf_reserve(struct s3x_allocator *allocator, struct s3x_http_buf *buf, size_t cap, size_t max) {
    if (cap <= buf->cap) {
        return 0;
    }
    if (cap > max) {
        return S3X_ERR_OVERFLOW;
    }
    size_t new_cap = buf->cap > 0 ? buf->cap : 256;
    while (new_cap < cap) {
        new_cap = new_cap > SIZE_MAX / 2 ? cap : new_cap * 2;
    }
    if (new_cap > max) {
        new_cap = max;
    }
    uint8_t *data = s3x_mem_realloc(allocator, buf->data, buf->cap, new_cap);
    if (data == NULL) {
        return S3X_ERR_OOM;
    }
    buf->data = data;
    buf->cap = new_cap;
    return 0;
}

int s3x__http_buf_append(struct s3x_allocator *allocator, struct s3x_http_buf *buf, const void *data, size_t len,
    size_t max) {
    size_t need = 0;
    if (s3x__add_overflows(buf->len, len, &need) || need > max) {
        return S3X_ERR_OVERFLOW;
    }
    int rc = s3x__http_buf_reserve(allocator, buf, need, max);
    if (rc != 0) {
        return rc;
    }
    if (len > 0) {
        memcpy(buf->data + buf->len, data, len);
    }
    buf->len = need;
    return 0;
}

void s3x__http_buf_clean_up(struct s3x_allocator *allocator, struct s3x_http_buf *buf) {
    s3x_mem_release(allocator, buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

/* --- construction -------------------------------------------------------------------------- */

static int s_validate(const struct s3x_http_request_options *o) {
    if (o->method == NULL || o->method[0] == '\0' || o->url == NULL || o->url[0] == '\0') {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    for (const char *p = o->method; *p != '\0'; ++p) {
        if (*p < 'A' || *p > 'Z') {
            return S3X_ERR_INVALID_ARGUMENT;
        }
    }
    switch (o->body.kind) {
    case S3X_HTTP_BODY_NONE:
        break;
    case S3X_HTTP_BODY_MEMORY:
        if (o->body.data == NULL && o->body.len > 0) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        break;
    case S3X_HTTP_BODY_STREAM:
        if (o->body.read == NULL) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        break;
    default:
        return S3X_ERR_INVALID_ARGUMENT;
    }
    switch (o->sink.kind) {
    case S3X_HTTP_SINK_MEMORY:
        break;
    case S3X_HTTP_SINK_STREAM:
        if (o->sink.write == NULL) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        break;
    case S3X_HTTP_SINK_BUFFER:
        if (o->sink.buffer == NULL && o->sink.capacity != 0) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        break;
    default:
        return S3X_ERR_INVALID_ARGUMENT;
    }
    return 0;
}

static bool s_url_ok(const char *url) {
    for (const char *p = url; *p != '\0'; ++p) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            return false; /* no spaces, controls or CR/LF: the URL goes on the wire as is */
        }
    }
    return url[0] != '\0';
}

int s3x__http_request_new(struct s3x_allocator *allocator, const struct s3x_http_request_options *options,
    struct s3x_http_request **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (allocator == NULL || options == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_validate(options);
    if (rc != 0 || !s_url_ok(options->url)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_http_request *r = s3x_mem_calloc(allocator, 1, sizeof(*r));
    if (r == NULL) {
        return S3X_ERR_OOM;
    }
    r->allocator = allocator;
    s3x__ref_init(&r->refs);
    r->method = s3x_mem_strdup(allocator, options->method);
    r->url = s3x_mem_strdup(allocator, options->url);
    if (r->method == NULL || r->url == NULL) {
        s3x_mem_release(allocator, r->method);
        s3x_mem_release(allocator, r->url);
        s3x_mem_release(allocator, r);
        return S3X_ERR_OOM;
    }
    r->body = options->body;
    r->sink = options->sink;
    if (r->sink.kind == S3X_HTTP_SINK_MEMORY && r->sink.max_bytes == 0) {
        r->sink.max_bytes = S3X_HTTP_MEMORY_SINK_DEFAULT_MAX;
    }
    if (r->body.kind == S3X_HTTP_BODY_MEMORY) {
        r->body.content_length = r->body.len;
    } else if (r->body.kind == S3X_HTTP_BODY_NONE) {
        r->body.content_length = 0;
    }
    r->prepare = options->prepare;
    r->on_headers = options->on_headers;
    r->classify = options->classify;
    r->on_complete = options->on_complete;
    r->user_data = options->user_data;
    r->max_attempts = options->max_attempts;
    r->connect_timeout_ms = options->connect_timeout_ms;
    r->timeout_ms = options->timeout_ms;
    atomic_init(&r->engine, NULL);
    atomic_init(&r->submitted, false);
    atomic_init(&r->cancel_requested, false);
    r->state = S3X_HTTP_REQ_NEW;
    *out = r;
    return 0;
}

struct s3x_http_request *s3x__http_request_acquire(struct s3x_http_request *request) {
    if (request != NULL) {
        s3x__ref_acquire(&request->refs);
    }
    return request;
}

static void s_destroy(struct s3x_http_request *r) {
    struct s3x_allocator *a = r->allocator;
    for (size_t i = 0; i < r->header_count; ++i) {
        s3x_mem_release(a, r->headers[i].name);
    }
    s3x_mem_release(a, r->headers);
    s3x__http_buf_clean_up(a, &r->resp_headers);
    s3x__http_buf_clean_up(a, &r->body_mem);
    s3x__http_buf_clean_up(a, &r->error_body);
    s3x_mem_release(a, r->method);
    s3x_mem_release(a, r->url);
    struct s3x_http_engine *engine = atomic_load_explicit(&r->engine, memory_order_acquire);
    s3x_mem_release(a, r);
    if (engine != NULL) {
        s3x__http_engine_unref(engine);
    }
}

struct s3x_http_request *s3x__http_request_release(struct s3x_http_request *request) {
    if (request != NULL && s3x__ref_release(&request->refs)) {
        s_destroy(request);
    }
    return NULL;
}

/* --- request headers ----------------------------------------------------------------------- */

static bool s_is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static ptrdiff_t s_find_header(const struct s3x_http_request *r, const char *name) {
    for (size_t i = 0; i < r->header_count; ++i) {
        if (strcasecmp(r->headers[i].name, name) == 0) {
            return (ptrdiff_t)i;
        }
    }
    return -1;
}

int s3x__http_request_set_header(struct s3x_http_request *request, const char *name, const char *value) {
    if (request == NULL || name == NULL || name[0] == '\0') {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    for (const char *p = name; *p != '\0'; ++p) {
        if (!s_is_tchar(*p)) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
    }
    if (value != NULL && strpbrk(value, "\r\n") != NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_http_request *r = request;
    ptrdiff_t at = s_find_header(r, name);
    if (value == NULL) {
        if (at >= 0) {
            s3x_mem_release(r->allocator, r->headers[at].name);
            memmove(&r->headers[at], &r->headers[at + 1], (r->header_count - (size_t)at - 1) * sizeof(r->headers[0]));
            r->header_count--;
        }
        return 0;
    }
    size_t name_len = strlen(name), value_len = strlen(value);
    char *entry = s3x_mem_acquire(r->allocator, name_len + value_len + 2);
    if (entry == NULL) {
        return S3X_ERR_OOM;
    }
    memcpy(entry, name, name_len + 1);
    memcpy(entry + name_len + 1, value, value_len + 1);
    if (at >= 0) {
        s3x_mem_release(r->allocator, r->headers[at].name);
    } else {
        if (r->header_count == r->header_cap) {
            size_t cap = r->header_cap > 0 ? r->header_cap * 2 : 8;
            void *grown = s3x_mem_realloc(r->allocator, r->headers, r->header_cap * sizeof(r->headers[0]),
                cap * sizeof(r->headers[0]));
            if (grown == NULL) {
                s3x_mem_release(r->allocator, entry);
                return S3X_ERR_OOM;
            }
            r->headers = grown;
            r->header_cap = cap;
        }
        at = (ptrdiff_t)r->header_count++;
    }
    r->headers[at].name = entry;
    r->headers[at].value = entry + name_len + 1;
    return 0;
}

const char *s3x__http_request_header(const struct s3x_http_request *request, const char *name) {
    if (request == NULL || name == NULL) {
        return NULL;
    }
    ptrdiff_t at = s_find_header(request, name);
    return at >= 0 ? request->headers[at].value : NULL;
}

size_t s3x__http_request_header_count(const struct s3x_http_request *request) {
    return request != NULL ? request->header_count : 0;
}

bool s3x__http_request_header_at(const struct s3x_http_request *request, size_t i, const char **out_name,
    const char **out_value) {
    if (request == NULL || i >= request->header_count) {
        return false;
    }
    *out_name = request->headers[i].name;
    *out_value = request->headers[i].value;
    return true;
}

int s3x__http_request_set_url(struct s3x_http_request *request, const char *url) {
    if (request == NULL || url == NULL || !s_url_ok(url)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    char *copy = s3x_mem_strdup(request->allocator, url);
    if (copy == NULL) {
        return S3X_ERR_OOM;
    }
    s3x_mem_release(request->allocator, request->url);
    request->url = copy;
    return 0;
}

const char *s3x__http_request_url(const struct s3x_http_request *request) {
    return request->url;
}

const char *s3x__http_request_method(const struct s3x_http_request *request) {
    return request->method;
}

void *s3x__http_request_user_data(const struct s3x_http_request *request) {
    return request->user_data;
}

void s3x__http_url_for_log(const char *url, const char **host, int *host_len, const char **path, int *path_len) {
    const char *h = strstr(url, "://");
    h = h != NULL ? h + 3 : url;
    size_t authority = strcspn(h, "/?#");
    const char *at = memchr(h, '@', authority);
    if (at != NULL) { /* never userinfo */
        authority -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    *host = h;
    *host_len = (int)S3X_MIN(authority, (size_t)INT32_MAX);
    *path = h + authority;
    *path_len = (int)S3X_MIN(strcspn(*path, "?#"), (size_t)INT32_MAX); /* never the query */
}

/* --- response ------------------------------------------------------------------------------- */

void s3x__http_response_reset(struct s3x_http_request *r) {
    r->status = 0;
    r->resp_headers.len = 0;
    r->resp_header_count = 0;
    r->body_mem.len = 0;
    r->error_body.len = 0;
    r->error_body_truncated = false;
}

/* Response header storage is bounded: curl refuses header blocks over 100 KiB already. */
#define S_RESPONSE_HEADERS_MAX ((size_t)256 * 1024)

static bool s_is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int s3x__http_response_add_header_line(struct s3x_http_request *r, const char *line, size_t len) {
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line) {
        return 0; /* not a header (obsolete folding or junk): ignored */
    }
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && s_is_space(*v)) {
        ++v;
    }
    while (end > v && s_is_space(end[-1])) {
        --end;
    }
    static const char zero = '\0';
    int rc = s3x__http_buf_append(r->allocator, &r->resp_headers, line, name_len, S_RESPONSE_HEADERS_MAX);
    rc = rc ? rc : s3x__http_buf_append(r->allocator, &r->resp_headers, &zero, 1, S_RESPONSE_HEADERS_MAX);
    rc = rc ? rc : s3x__http_buf_append(r->allocator, &r->resp_headers, v, (size_t)(end - v), S_RESPONSE_HEADERS_MAX);
    rc = rc ? rc : s3x__http_buf_append(r->allocator, &r->resp_headers, &zero, 1, S_RESPONSE_HEADERS_MAX);
    if (rc != 0) {
        return rc == S3X_ERR_OVERFLOW ? S3X_ERR_HTTP_PROTOCOL : rc;
    }
    r->resp_header_count++;
    return 0;
}

int s3x__http_request_status(const struct s3x_http_request *request) {
    return request != NULL ? request->status : 0;
}

bool s3x__http_request_response_header_at(const struct s3x_http_request *request, size_t i, const char **out_name,
    const char **out_value) {
    if (request == NULL || i >= request->resp_header_count) {
        return false;
    }
    const char *p = (const char *)request->resp_headers.data;
    for (size_t k = 0; k < i; ++k) {
        p += strlen(p) + 1;
        p += strlen(p) + 1;
    }
    *out_name = p;
    *out_value = p + strlen(p) + 1;
    return true;
}

const char *s3x__http_request_response_header(const struct s3x_http_request *request, const char *name) {
    if (request == NULL || name == NULL) {
        return NULL;
    }
    const char *p = (const char *)request->resp_headers.data;
    for (size_t k = 0; k < request->resp_header_count; ++k) {
        const char *value = p + strlen(p) + 1;
        if (strcasecmp(p, name) == 0) {
            return value;
        }
        p = value + strlen(value) + 1;
    }
    return NULL;
}

size_t s3x__http_request_response_header_count(const struct s3x_http_request *request) {
    return request != NULL ? request->resp_header_count : 0;
}

const uint8_t *s3x__http_request_response_body(const struct s3x_http_request *request, size_t *out_len) {
    static const uint8_t empty[1] = {0};
    *out_len = request->body_mem.len;
    return request->body_mem.data != NULL ? request->body_mem.data : empty;
}

const struct s3x_http_result *s3x__http_request_result(const struct s3x_http_request *request) {
    return request != NULL && request->has_result ? &request->result : NULL;
}

/* --- control --------------------------------------------------------------------------------- */

void s3x__http_request_resume(struct s3x_http_request *request) {
    if (request == NULL) {
        return;
    }
    struct s3x_http_engine *engine = atomic_load_explicit(&request->engine, memory_order_acquire);
    if (engine != NULL) {
        s3x__http_engine_mail(engine, request, S3X_HTTP_MAIL_RESUME);
    }
}

void s3x__http_request_cancel(struct s3x_http_request *request) {
    if (request == NULL) {
        return;
    }
    /* The flag stops the body callbacks at their next call; the mail ends a paused, connecting,
     * queued or backing-off request. A request not yet submitted sees the flag at submit. */
    atomic_store(&request->cancel_requested, true); /* seq_cst with submit's store of engine */
    struct s3x_http_engine *engine = atomic_load(&request->engine);
    if (engine != NULL) {
        s3x__http_engine_mail(engine, request, S3X_HTTP_MAIL_CANCEL);
    }
}
