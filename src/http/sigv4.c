/* SigV4 signing of S3 requests: canonical request, string to sign, Authorization header or
 * presigned query string.
 *
 * Owns the canonical forms. The S3 rules: the canonical URI is the wire path byte for byte (no
 * normalisation, no second encoding); the canonical query is the wire query split on '&', each
 * value-less key given "=", sorted byte-wise by key then value; header names lower-cased, values
 * trimmed with inner runs of blanks collapsed to one space, repeated headers joined with ',' in
 * the order given; x-amz-content-sha256 sent and signed in header mode. Key material is handled
 * in sigv4_key.c only; this file sees the secret only to pass it on.
 *
 * Invariants: the canonical request streams into SHA-256 (sigv4_canonical.c) and is kept only
 * when asked for (tests, TRACE logs). All result strings live in one buffer whose size is
 * computed exactly before anything is written (s_layout); the builder refuses to write past it
 * (S3X_ERR_INVALID_STATE, which the tests would catch). Log output never contains the secret, the signing key, the
 * signature or the session token (the token is replaced by "<redacted>" in the TRACE copy).
 *
 * Worked example (tests/http/data/sigv4-s3/s3-create-multipart, header mode):
 *   request  POST /bucket/big.bin?uploads, Host 127.0.0.1:8080, payload e3b0...b855 (no body),
 *            2015-08-30T12:36:00Z, us-east-1, s3
 *   canonical request (8 lines):
 *     POST
 *     /bucket/big.bin
 *     uploads=
 *     host:127.0.0.1:8080
 *     x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 *     x-amz-date:20150830T123600Z
 *     (blank)
 *     host;x-amz-content-sha256;x-amz-date
 *     e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 *   string to sign: "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/s3/aws4_request\n"
 *                   + hex SHA-256 of the canonical request
 *   Authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request,
 *                   SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=4d84...4168"
 */
#include "http/sigv4.h"

#include "common/common.h"
#include "http/credentials.h"
#include "http/sigv4_canonical.h"
#include "http/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_ALGORITHM "AWS4-HMAC-SHA256"
#define S_TERMINATOR "aws4_request"

/* Sent but never signed: proxies and HTTP stacks add, drop or rewrite them (botocore skips the
 * first three; the rest are hop-by-hop). */
static const char *const s_unsigned_headers[] = {"user-agent", "expect", "x-amzn-trace-id", "connection",
    "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"};
/* Added by the signer; a request that already has them is being signed twice. */
static const char *const s_reserved_headers[] = {
    "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"};
static const char *const s_reserved_params[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
    "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"};

/* --- small helpers ------------------------------------------------------------------------- */

static bool s_ieq(const char *a, size_t a_len, const char *b) {
    size_t n = strlen(b);
    if (a_len != n) {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        if (s3x__ascii_lower(a[i]) != s3x__ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

static bool s_in_list(const char *s, size_t n, const char *const *list, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        if (s_ieq(s, n, list[i])) {
            return true;
        }
    }
    return false;
}

static bool s_is_tchar(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool s_is_token(const char *s) {
    if (s == NULL || s[0] == '\0') {
        return false;
    }
    for (; *s != '\0'; ++s) {
        if (!s_is_tchar((unsigned char)*s)) {
            return false;
        }
    }
    return true;
}

static bool s_is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* Printable ASCII without space (and without '/' when no_slash): a region, a service, a payload
 * hash. */
static bool s_is_word(const char *s, bool no_slash) {
    if (s == NULL || s[0] == '\0') {
        return false;
    }
    for (; *s != '\0'; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7F || (no_slash && c == '/')) {
            return false;
        }
    }
    return true;
}

/* An already-encoded path or query: printable ASCII, no space, no '#', every '%' followed by
 * two hex digits; the path also has no '?'. A raw space or UTF-8 byte here means the caller
 * forgot to encode. */
static bool s_is_encoded(const char *s, size_t n, bool is_path) {
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F || c == '#' || (is_path && c == '?')) {
            return false;
        }
        if (c == '%' && (n - i < 3 || !s_is_hex(s[i + 1]) || !s_is_hex(s[i + 2]))) {
            return false;
        }
    }
    return true;
}

static bool s_header_value_ok(const char *v) {
    for (; *v != '\0'; ++v) {
        unsigned char c = (unsigned char)*v;
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            return false; /* CR/LF would split the header: refuse rather than sign it */
        }
    }
    return true;
}

/* --- result buffer builder ----------------------------------------------------------------- */

struct s_buf {
    char *p;
    size_t cap;
    size_t len;
    bool overflow;
};

static const char *s_buf_at(const struct s_buf *b) {
    return b->p + b->len;
}

static void s_buf_put(struct s_buf *b, const char *s, size_t n) {
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void s_buf_puts(struct s_buf *b, const char *s) {
    s_buf_put(b, s, strlen(s));
}

static void s_buf_put_encoded(struct s_buf *b, const char *s, size_t n) {
    size_t need = s3x__uri_encoded_len(s, n, false);
    if (b->overflow || need > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    b->len += s3x__uri_encode_to(b->p + b->len, s, n, false);
}

/* n bytes to fill later; NULL (and overflow set) when they do not fit. */
static char *s_buf_reserve(struct s_buf *b, size_t n) {
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = true;
        return NULL;
    }
    char *p = b->p + b->len;
    b->len += n;
    return p;
}

/* Ends the current string. */
static void s_buf_end(struct s_buf *b) {
    s_buf_put(b, "", 1);
}

/* --- signing state ------------------------------------------------------------------------- */

struct s_signing {
    struct s3x_allocator *allocator;
    const struct s3x_sigv4_request *req;
    const struct s3x_credentials *creds;
    const struct s3x_sigv4_config *cfg;
    const char *service;
    uint32_t expires_s;
    bool query_mode;
    bool token_signed;
    char date[17];
    char date8[9];
    char expires_text[12];
    const char *path;
    size_t path_len;
    char *normalized_path; /* owned, only with cfg->normalize_path */
    size_t query_len;
    /* sorted headers to sign; query spans to canonicalise */
    struct s3x_sigv4_signed_header *hdrs;
    size_t hdr_count;
    struct s3x_query_span *spans;
    size_t span_cap;
    void *scratch; /* owned: hdrs and spans when they do not fit inline */
    size_t signed_len;
    size_t scope_len;
    struct s_buf buf;
    const char *scope;
    const char *signed_headers;
    const char *out_query;
    char *query_signature; /* the 64 digits at the end of out_query */
    struct s3x_sigv4_signed_header inline_hdrs[S3X_SIGV4_INLINE_ITEMS];
    struct s3x_query_span inline_spans[S3X_SIGV4_INLINE_ITEMS];
};

static int s_invalid(const char *what) {
    S3X_LOG_DEBUGF("sigv4", "cannot sign: %s", what);
    return S3X_ERR_INVALID_ARGUMENT;
}

static int s_validate(struct s_signing *st) {
    const struct s3x_sigv4_request *req = st->req;
    const struct s3x_sigv4_config *cfg = st->cfg;
    if (!s_is_token(req->method)) {
        return s_invalid("the method is not an HTTP token");
    }
    st->path_len = req->path != NULL ? strlen(req->path) : 0;
    if (st->path_len == 0 || req->path[0] != '/' || !s_is_encoded(req->path, st->path_len, true)) {
        return s_invalid("the path does not start with '/' or is not percent-encoded");
    }
    st->query_len = req->query != NULL ? strlen(req->query) : 0;
    if (!s_is_encoded(req->query, st->query_len, false)) {
        return s_invalid("the query is not percent-encoded");
    }
    st->service = cfg->service != NULL ? cfg->service : "s3";
    if (!s_is_word(cfg->region, true) || !s_is_word(st->service, true)) {
        return s_invalid("the region or service is empty or has a blank, '/' or a non-ASCII byte");
    }
    if (!s_is_word(req->payload_hash, false)) {
        return s_invalid("the payload hash is missing or malformed");
    }
    if (req->headers == NULL && req->header_count > 0) {
        return s_invalid("header_count > 0 without headers");
    }
    st->query_mode = cfg->mode == S3X_SIGV4_MODE_QUERY;
    if (cfg->mode != S3X_SIGV4_MODE_HEADER && !st->query_mode) {
        return s_invalid("unknown signing mode");
    }
    st->expires_s = cfg->expires_s != 0 ? cfg->expires_s : S3X_SIGV4_DEFAULT_EXPIRES_S;
    if (st->expires_s > S3X_SIGV4_MAX_EXPIRES_S) {
        return s_invalid("a presigned URL cannot live more than 7 days");
    }
    snprintf(st->expires_text, sizeof(st->expires_text), "%u", (unsigned)st->expires_s);
    st->token_signed = st->creds->session_token != NULL && !cfg->unsigned_session_token;
    int64_t t = cfg->time_s != 0 ? cfg->time_s : s3x__clock_wall_s();
    time_t tt = (time_t)t;
    struct tm tm;
    /* 253402300799 = 9999-12-31T23:59:59Z: the date must have 4 year digits. */
    if (t < 0 || t > INT64_C(253402300799) || gmtime_r(&tt, &tm) == NULL ||
        strftime(st->date, sizeof(st->date), "%Y%m%dT%H%M%SZ", &tm) != 16) {
        return s_invalid("the time is out of range");
    }
    memcpy(st->date8, st->date, 8);
    st->date8[8] = '\0';
    return 0;
}

/* Generic AWS services sign the normalised path; S3 never does (the option is off for S3). */
static int s_normalize_path(struct s_signing *st) {
    char *out = s3x_mem_acquire(st->allocator, st->path_len + 2);
    if (out == NULL) {
        return S3X_ERR_OOM;
    }
    st->path_len = s3x__uri_normalize_path(st->req->path, st->path_len, out);
    st->normalized_path = out;
    st->path = out;
    return 0;
}

static void s_add_hdr(struct s_signing *st, const char *name, const char *value, bool secret) {
    struct s3x_sigv4_signed_header *h = &st->hdrs[st->hdr_count];
    h->name = name;
    h->name_len = strlen(name);
    h->value = value;
    h->order = st->hdr_count;
    h->secret = secret;
    ++st->hdr_count;
}

/* Room for the headers and query spans: inline, or one scratch allocation. */
static int s_reserve_items(struct s_signing *st) {
    size_t max_hdrs = st->req->header_count + 4;
    size_t max_spans = s3x__query_count(st->req->query, st->query_len) + (st->query_mode ? 7 : 0);
    st->hdrs = st->inline_hdrs;
    st->spans = st->inline_spans;
    st->span_cap = max_spans;
    if (max_hdrs <= S3X_SIGV4_INLINE_ITEMS && max_spans <= S3X_SIGV4_INLINE_ITEMS) {
        return 0;
    }
    size_t hb;
    size_t sb;
    size_t total;
    if (s3x__mul_overflows(max_hdrs, sizeof(struct s3x_sigv4_signed_header), &hb) ||
        s3x__mul_overflows(max_spans, sizeof(struct s3x_query_span), &sb) || s3x__add_overflows(hb, sb, &total)) {
        return S3X_ERR_OVERFLOW;
    }
    st->scratch = s3x_mem_acquire(st->allocator, total);
    if (st->scratch == NULL) {
        return S3X_ERR_OOM;
    }
    st->hdrs = st->scratch;
    st->spans = (struct s3x_query_span *)(void *)((char *)st->scratch + hb);
    return 0;
}

static int s_collect_headers(struct s_signing *st) {
    const struct s3x_sigv4_request *req = st->req;
    bool host_seen = false;
    for (size_t i = 0; i < req->header_count; ++i) {
        const struct s3x_sigv4_header *h = &req->headers[i];
        if (!s_is_token(h->name) || h->value == NULL || !s_header_value_ok(h->value)) {
            return s_invalid("a header name is not a token or its value has a control character");
        }
        size_t n = strlen(h->name);
        if (s_in_list(h->name, n, s_reserved_headers, S3X_ARRAY_LEN(s_reserved_headers))) {
            return s_invalid("the request already carries a signing header (signed twice?)");
        }
        if (s_ieq(h->name, n, "host")) {
            if (req->host != NULL || host_seen) {
                return s_invalid("more than one Host");
            }
            host_seen = true;
        }
        if (!s_in_list(h->name, n, s_unsigned_headers, S3X_ARRAY_LEN(s_unsigned_headers))) {
            s_add_hdr(st, h->name, h->value, false);
        }
    }
    if (req->host != NULL) {
        if (!s_is_word(req->host, true)) {
            return s_invalid("the host is empty or malformed");
        }
        s_add_hdr(st, "host", req->host, false);
    } else if (!host_seen) {
        return s_invalid("no Host");
    }
    if (!st->query_mode) {
        s_add_hdr(st, "x-amz-date", st->date, false);
        if (!st->cfg->omit_content_sha256) {
            s_add_hdr(st, "x-amz-content-sha256", req->payload_hash, false);
        }
        if (st->token_signed) {
            s_add_hdr(st, "x-amz-security-token", st->creds->session_token, true);
        }
    }
    qsort(st->hdrs, st->hdr_count, sizeof(struct s3x_sigv4_signed_header), s3x__sigv4_header_cmp);
    st->signed_len = 0;
    for (size_t i = 0; i < st->hdr_count; ++i) {
        if (i == 0 || !s3x__sigv4_same_name(&st->hdrs[i - 1], &st->hdrs[i])) {
            st->signed_len += st->hdrs[i].name_len + (i > 0 ? 1 : 0);
        }
    }
    return 0;
}

/* Exact size of every result string, NULs included (see s_fill_prefix and s_finish). */
static int s_layout(struct s_signing *st, size_t *total) {
    const struct s3x_credentials *c = st->creds;
    st->scope_len = 8 + 1 + strlen(st->cfg->region) + 1 + strlen(st->service) + 1 + strlen(S_TERMINATOR);
    size_t parts[16];
    size_t np = 0;
    parts[np++] = sizeof(st->date);                                   /* date */
    parts[np++] = st->scope_len + 1;                                  /* scope */
    parts[np++] = st->signed_len + 1;                                 /* signed headers */
    parts[np++] = sizeof(S_ALGORITHM "\n") + 16 + 1 + st->scope_len + 1 + 64; /* string to sign */
    parts[np++] = 65;                                                 /* signature */
    if (!st->query_mode) {
        parts[np++] = sizeof(S_ALGORITHM " Credential=") - 1 + c->access_key_id_len + 1 + st->scope_len +
                      sizeof(", SignedHeaders=") - 1 + st->signed_len + sizeof(", Signature=") - 1 + 64 + 1;
        parts[np++] = strlen(st->req->payload_hash) + 1;
        parts[np++] = c->session_token_len + 1;
    } else {
        /* The scope "YYYYMMDD/region/service/aws4_request" is written later; its three '/'
         * become "%2F". */
        size_t region_enc = s3x__uri_encoded_len(st->cfg->region, strlen(st->cfg->region), false);
        size_t service_enc = s3x__uri_encoded_len(st->service, strlen(st->service), false);
        size_t scope_enc = 8 + 9 + region_enc + service_enc + strlen(S_TERMINATOR);
        size_t id_enc = s3x__uri_encoded_len(c->access_key_id, c->access_key_id_len, false);
        size_t token_enc = s3x__uri_encoded_len(c->session_token, c->session_token_len, false);
        if (scope_enc == SIZE_MAX || id_enc == SIZE_MAX || token_enc == SIZE_MAX) {
            return S3X_ERR_OVERFLOW;
        }
        parts[np++] = st->query_len + 1 + sizeof("X-Amz-Algorithm=" S_ALGORITHM) - 1;
        parts[np++] = sizeof("&X-Amz-Credential=") - 1 + id_enc + 3 + scope_enc;
        parts[np++] = sizeof("&X-Amz-Date=") - 1 + 16 + sizeof("&X-Amz-SignedHeaders=") - 1;
        parts[np++] = st->signed_len * 3 + sizeof("&X-Amz-Expires=") - 1 + strlen(st->expires_text);
        parts[np++] = c->session_token != NULL ? sizeof("&X-Amz-Security-Token=") - 1 + token_enc : 0;
        parts[np++] = sizeof("&X-Amz-Signature=") - 1 + 64 + 1;
    }
    size_t sum = 0;
    for (size_t i = 0; i < np; ++i) {
        if (s3x__add_overflows(sum, parts[i], &sum)) {
            return S3X_ERR_OVERFLOW;
        }
    }
    *total = sum;
    return 0;
}

/* Writes date, scope and signed headers; in query mode also the presigned query with a
 * placeholder signature, and splits its signed part into spans. */
static int s_fill_prefix(struct s_signing *st, struct s3x_sigv4_result *out) {
    struct s_buf *b = &st->buf;
    out->date = s_buf_at(b);
    s_buf_put(b, st->date, 16);
    s_buf_end(b);
    st->scope = s_buf_at(b);
    s_buf_put(b, st->date8, 8);
    s_buf_puts(b, "/");
    s_buf_puts(b, st->cfg->region);
    s_buf_puts(b, "/");
    s_buf_puts(b, st->service);
    s_buf_puts(b, "/" S_TERMINATOR);
    s_buf_end(b);
    st->signed_headers = s_buf_at(b);
    for (size_t i = 0; i < st->hdr_count; ++i) {
        const struct s3x_sigv4_signed_header *h = &st->hdrs[i];
        if (i > 0 && s3x__sigv4_same_name(&st->hdrs[i - 1], h)) {
            continue;
        }
        if (i > 0) {
            s_buf_puts(b, ";");
        }
        for (size_t k = 0; k < h->name_len && !b->overflow; ++k) {
            char c = s3x__ascii_lower(h->name[k]);
            s_buf_put(b, &c, 1);
        }
    }
    s_buf_end(b);
    out->signed_headers = st->signed_headers;
    if (!st->query_mode) {
        return b->overflow ? S3X_ERR_INVALID_STATE : 0;
    }
    const struct s3x_credentials *c = st->creds;
    st->out_query = s_buf_at(b);
    if (st->query_len > 0) {
        s_buf_put(b, st->req->query, st->query_len);
        s_buf_puts(b, "&");
    }
    s_buf_puts(b, "X-Amz-Algorithm=" S_ALGORITHM "&X-Amz-Credential=");
    s_buf_put_encoded(b, c->access_key_id, c->access_key_id_len);
    s_buf_puts(b, "%2F");
    s_buf_put_encoded(b, st->scope, st->scope_len);
    s_buf_puts(b, "&X-Amz-Date=");
    s_buf_put(b, st->date, 16);
    s_buf_puts(b, "&X-Amz-SignedHeaders=");
    s_buf_put_encoded(b, st->signed_headers, st->signed_len);
    s_buf_puts(b, "&X-Amz-Expires=");
    s_buf_puts(b, st->expires_text);
    if (c->session_token != NULL) {
        s_buf_puts(b, "&X-Amz-Security-Token=");
        s_buf_put_encoded(b, c->session_token, c->session_token_len);
    }
    size_t signed_part = (size_t)(s_buf_at(b) - st->out_query);
    s_buf_puts(b, "&X-Amz-Signature=");
    st->query_signature = s_buf_reserve(b, 64); /* written by s_finish */
    s_buf_end(b);
    if (b->overflow) {
        return S3X_ERR_INVALID_STATE;
    }
    out->query = st->out_query;
    size_t n = s3x__query_split(st->out_query, signed_part, st->spans);
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
        if (st->token_signed || !s_ieq(st->spans[i].key, st->spans[i].key_len, "X-Amz-Security-Token")) {
            st->spans[kept++] = st->spans[i];
        }
    }
    st->span_cap = kept;
    return 0;
}

/* The canonical query spans: header mode from the request's query; query mode already split by
 * s_fill_prefix. Rejects X-Amz-* signing parameters in the caller's query. */
static int s_query_spans(struct s_signing *st, size_t *count) {
    if (st->query_mode) {
        size_t user = s3x__query_count(st->req->query, st->query_len);
        for (size_t i = 0; i < user; ++i) {
            if (s_in_list(st->spans[i].key, st->spans[i].key_len, s_reserved_params,
                    S3X_ARRAY_LEN(s_reserved_params))) {
                return s_invalid("the query already carries X-Amz-* signing parameters (signed twice?)");
            }
        }
        *count = st->span_cap;
    } else {
        *count = s3x__query_split(st->req->query, st->query_len, st->spans);
    }
    s3x__query_sort(st->spans, *count);
    return 0;
}

/* String to sign, signature, and the Authorization header or the query's signature. */
static int s_finish(struct s_signing *st, const char *canonical_hash, struct s3x_sigv4_result *out) {
    struct s_buf *b = &st->buf;
    const struct s3x_credentials *c = st->creds;
    const char *sts = s_buf_at(b);
    s_buf_puts(b, S_ALGORITHM "\n");
    s_buf_put(b, st->date, 16);
    s_buf_puts(b, "\n");
    s_buf_put(b, st->scope, st->scope_len);
    s_buf_puts(b, "\n");
    s_buf_put(b, canonical_hash, 64);
    size_t sts_len = (size_t)(s_buf_at(b) - sts);
    s_buf_end(b);
    char *sig = s_buf_reserve(b, 65);
    if (sig == NULL) {
        return S3X_ERR_INVALID_STATE;
    }
    int rc = s3x__sigv4_signature(st->cfg->key_cache, c->secret_access_key, c->secret_access_key_len, st->date8,
        st->cfg->region, st->service, sts, sts_len, sig);
    if (rc != 0) {
        return rc;
    }
    out->string_to_sign = sts;
    out->signature = sig;
    if (st->query_mode) {
        memcpy(st->query_signature, sig, 64);
        return 0;
    }
    const char *auth = s_buf_at(b);
    s_buf_puts(b, S_ALGORITHM " Credential=");
    s_buf_put(b, c->access_key_id, c->access_key_id_len);
    s_buf_puts(b, "/");
    s_buf_put(b, st->scope, st->scope_len);
    s_buf_puts(b, ", SignedHeaders=");
    s_buf_put(b, st->signed_headers, st->signed_len);
    s_buf_puts(b, ", Signature=");
    s_buf_put(b, sig, 64);
    s_buf_end(b);
    const char *payload = s_buf_at(b);
    s_buf_puts(b, st->req->payload_hash);
    s_buf_end(b);
    const char *token = s_buf_at(b);
    s_buf_put(b, c->session_token != NULL ? c->session_token : "", c->session_token_len);
    s_buf_end(b);
    if (b->overflow) {
        return S3X_ERR_INVALID_STATE;
    }
    size_t n = 0;
    out->headers[n++] = (struct s3x_sigv4_header){"X-Amz-Date", out->date};
    if (c->session_token != NULL) {
        out->headers[n++] = (struct s3x_sigv4_header){"X-Amz-Security-Token", token};
    }
    if (!st->cfg->omit_content_sha256) {
        out->headers[n++] = (struct s3x_sigv4_header){"x-amz-content-sha256", payload};
    }
    out->headers[n++] = (struct s3x_sigv4_header){"Authorization", auth};
    out->header_count = n;
    return 0;
}

static void s_log(const struct s_signing *st, const struct s3x_sigv4_canonical_text *text,
    const struct s3x_sigv4_result *out) {
    if (s3x__log_enabled(S3X_LOG_TRACE)) {
        if (text->text != NULL && text->len < (size_t)INT32_MAX) {
            if (text->redact_end > text->redact_begin) {
                S3X_LOG_TRACEF("sigv4", "canonical request:\n%.*s<redacted>%s", (int)text->redact_begin, text->text,
                    text->text + text->redact_end);
            } else {
                S3X_LOG_TRACEF("sigv4", "canonical request:\n%s", text->text);
            }
        }
        S3X_LOG_TRACEF("sigv4", "string to sign:\n%s", out->string_to_sign);
    }
    S3X_LOG_DEBUGF("sigv4", "signed %s %s (%s, scope %s, signed headers %s%s)", st->req->method, st->path,
        st->query_mode ? "presigned URL" : "Authorization header", st->scope, st->signed_headers,
        st->creds->session_token != NULL ? ", session token" : "");
}

/* Hashes the canonical request (keeping its text for the caller or a TRACE log), then signs. */
static int s_sign_canonical(struct s_signing *st, size_t span_count, struct s3x_sigv4_result *out) {
    const struct s3x_sigv4_canonical in = {
        .method = st->req->method,
        .path = st->path,
        .path_len = st->path_len,
        .query = st->spans,
        .query_count = span_count,
        .secret_param = st->query_mode ? "X-Amz-Security-Token" : NULL,
        .headers = st->hdrs,
        .header_count = st->hdr_count,
        .signed_headers = st->signed_headers,
        .signed_len = st->signed_len,
        .payload_hash = st->req->payload_hash,
    };
    bool keep = st->cfg->keep_canonical_request || s3x__log_enabled(S3X_LOG_TRACE);
    struct s3x_sigv4_canonical_text text = {0};
    char hash[65];
    int rc = s3x__sigv4_canonical_hash(st->allocator, &in, hash, keep ? &text : NULL);
    if (rc == 0 && st->cfg->keep_canonical_request && text.text == NULL) {
        rc = S3X_ERR_OOM; /* asked for and not had; a TRACE-only copy is just not logged */
    }
    if (rc == 0) {
        rc = s_finish(st, hash, out);
    }
    if (rc == 0) {
        s_log(st, &text, out);
        if (st->cfg->keep_canonical_request) {
            out->canonical_buffer = text.text;
            out->canonical_request = text.text;
            text.text = NULL;
        }
    }
    s3x_mem_release(st->allocator, text.text);
    return rc;
}

static int s_sign(struct s_signing *st, struct s3x_sigv4_result *out) {
    int rc = s_validate(st);
    if (rc == 0 && st->cfg->normalize_path) {
        rc = s_normalize_path(st);
    }
    if (rc == 0) {
        rc = s_reserve_items(st);
    }
    if (rc == 0) {
        rc = s_collect_headers(st);
    }
    size_t size = 0;
    if (rc == 0) {
        rc = s_layout(st, &size);
    }
    if (rc != 0) {
        return rc;
    }
    out->buffer = s3x_mem_acquire(st->allocator, size);
    if (out->buffer == NULL) {
        return S3X_ERR_OOM;
    }
    st->buf = (struct s_buf){.p = out->buffer, .cap = size};
    size_t span_count = 0;
    rc = s_fill_prefix(st, out);
    if (rc == 0) {
        rc = s_query_spans(st, &span_count);
    }
    if (rc == 0) {
        rc = s_sign_canonical(st, span_count, out);
    }
    return rc;
}

int s3x__sigv4_sign(struct s3x_allocator *allocator, const struct s3x_sigv4_request *req,
    const struct s3x_credentials *creds, const struct s3x_sigv4_config *cfg, struct s3x_sigv4_result *out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (allocator == NULL || req == NULL || creds == NULL || cfg == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    out->allocator = allocator;
    struct s_signing st;
    memset(&st, 0, offsetof(struct s_signing, inline_hdrs));
    st.allocator = allocator;
    st.req = req;
    st.creds = creds;
    st.cfg = cfg;
    st.path = req->path;
    int rc = s_sign(&st, out);
    s3x_mem_release(allocator, st.scratch);
    s3x_mem_release(allocator, st.normalized_path);
    if (rc != 0) {
        s3x__sigv4_result_clean_up(out);
    }
    return rc;
}

void s3x__sigv4_result_clean_up(struct s3x_sigv4_result *result) {
    if (result == NULL) {
        return;
    }
    if (result->allocator != NULL) {
        s3x_mem_release(result->allocator, result->buffer);
        s3x_mem_release(result->allocator, result->canonical_buffer);
    }
    memset(result, 0, sizeof(*result));
}
