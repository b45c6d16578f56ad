/* Signed S3 requests on the engine (see s3_request.h).
 *
 * An s3 request owns one http request whose user_data is the s3 request; the caller's hooks are
 * called through trampolines with the caller's user_data. Before every attempt `s_prepare`
 * signs: it collects the request's headers (minus the ones the signer adds, which a previous
 * attempt left behind), signs with the current time, and sets the four signing headers. After
 * every attempt `s_classify` turns a failed answer (or an <Error> inside a 200) into an S3X_ERR_*
 * code and decides whether to retry. On completion the S3 error document is parsed into `info`.
 *
 * Ownership: the s3 request holds the http request; the http request's hooks run while the
 * engine holds a reference on the http request, and the s3 request keeps itself alive from submit
 * until on_done has returned (a reference taken at submit, dropped after on_done).
 */
#include "s3_request.h"

#include "common/common.h"
#include "http/credentials.h"
#include "http/engine.h"
#include "s3/responses.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct s3x_s3_request {
    struct s3x_allocator *allocator;
    struct s3x_ref_count ref;
    struct s3x_s3_context *ctx;
    struct s3x_http_request *http;
    struct s3x_http_target target;
    char payload_hash[65];
    const char *payload_hash_ref; /* payload_hash or a constant */
    bool error_in_200;
    /* the caller's hooks */
    s3x_http_read_fn *read;
    s3x_http_rewind_fn *rewind;
    s3x_http_write_fn *write;
    s3x_http_on_retry_fn *on_retry;
    s3x_http_on_headers_fn *on_headers;
    s3x_s3_on_done_fn *on_done;
    void *user_data;
};

static const char *const s_signer_headers[] = {"authorization", "x-amz-date", "x-amz-security-token",
    "x-amz-content-sha256"};

static bool s_is_signer_header(const char *name) {
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_signer_headers); ++i) {
        if (strcasecmp(name, s_signer_headers[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* --- trampolines: the caller's hooks with the caller's user_data -------------------------- */

static int s_read(struct s3x_http_request *http, uint8_t *buffer, size_t capacity, size_t *out_len, void *user) {
    struct s3x_s3_request *r = user;
    return r->read(http, buffer, capacity, out_len, r->user_data);
}

static int s_rewind(struct s3x_http_request *http, void *user) {
    struct s3x_s3_request *r = user;
    return r->rewind(http, r->user_data);
}

static int s_write(struct s3x_http_request *http, const uint8_t *data, size_t len, void *user) {
    struct s3x_s3_request *r = user;
    return r->write(http, data, len, r->user_data);
}

static void s_on_retry(struct s3x_http_request *http, uint32_t next_attempt, void *user) {
    struct s3x_s3_request *r = user;
    if (r->on_retry != NULL) {
        r->on_retry(http, next_attempt, r->user_data);
    }
}

static int s_on_headers(struct s3x_http_request *http, int status, void *user) {
    struct s3x_s3_request *r = user;
    return r->on_headers(http, status, r->user_data);
}

/* --- signing, before every attempt -------------------------------------------------------- */

static int s_get_credentials(struct s3x_s3_context *ctx, struct s3x_credentials **out) {
    *out = NULL;
    if (ctx->credentials_provider != NULL) {
        int rc = ctx->credentials_provider(out, ctx->credentials_provider_user_data);
        if (rc == 0 && *out == NULL) {
            rc = S3X_ERR_CREDENTIALS_NOT_FOUND;
        }
        return rc;
    }
    *out = s3x_credentials_acquire(ctx->credentials);
    return 0;
}

static int s_prepare(struct s3x_http_request *http, uint32_t attempt, void *user) {
    struct s3x_s3_request *r = user;
    S3X_UNUSED(attempt);
    /* Remove what a previous attempt's signature left. */
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_signer_headers); ++i) {
        if (s3x__http_request_header(http, s_signer_headers[i]) != NULL) {
            int rc = s3x__http_request_set_header(http, s_signer_headers[i], NULL);
            if (rc != 0) {
                return rc;
            }
        }
    }
    struct s3x_credentials *creds = NULL;
    int rc = s_get_credentials(r->ctx, &creds);
    if (rc != 0 || creds == NULL) {
        return rc; /* anonymous: sent unsigned */
    }
    struct s3x_sigv4_header inline_headers[S3X_SIGV4_INLINE_ITEMS];
    struct s3x_sigv4_header *headers = inline_headers;
    size_t count = s3x__http_request_header_count(http);
    if (count > S3X_SIGV4_INLINE_ITEMS) {
        headers = s3x_mem_calloc(r->allocator, count, sizeof(*headers));
        if (headers == NULL) {
            s3x_credentials_release(creds);
            return S3X_ERR_OOM;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < count; ++i) {
        const char *name;
        const char *value;
        if (s3x__http_request_header_at(http, i, &name, &value) && !s_is_signer_header(name) &&
            strcasecmp(name, "expect") != 0) {
            headers[n].name = name;
            headers[n].value = value;
            ++n;
        }
    }
    struct s3x_sigv4_request sreq = {
        .method = s3x__http_request_method(http),
        .path = r->target.path,
        .query = r->target.query,
        .host = r->target.host,
        .headers = headers,
        .header_count = n,
        .payload_hash = r->payload_hash_ref,
    };
    struct s3x_sigv4_config cfg = {.region = r->ctx->region, .key_cache = r->ctx->key_cache};
    struct s3x_sigv4_result signed_result = {0};
    rc = s3x__sigv4_sign(r->allocator, &sreq, creds, &cfg, &signed_result);
    if (headers != inline_headers) {
        s3x_mem_release(r->allocator, headers);
    }
    s3x_credentials_release(creds);
    for (size_t i = 0; rc == 0 && i < signed_result.header_count; ++i) {
        rc = s3x__http_request_set_header(http, signed_result.headers[i].name, signed_result.headers[i].value);
    }
    s3x__sigv4_result_clean_up(&signed_result);
    return rc;
}

/* --- classification after every attempt --------------------------------------------------- */

/* The S3 error of a failed answer: from its <Error> body's <Code> when there is one. */
static int s_error_of_body(struct s3x_s3_request *r, int status, const uint8_t *body, size_t len) {
    struct s3x_s3_error_doc doc;
    if (body != NULL && len > 0 && s3x__s3_error_doc_parse(r->allocator, body, len, &doc) == 0) {
        int err = s3x__s3_error_from_code(doc.code, status);
        s3x__s3_error_doc_clean_up(r->allocator, &doc);
        return err;
    }
    return s3x__s3_error_from_code(NULL, status);
}

static int s_classify(struct s3x_http_request *http, const struct s3x_http_attempt *attempt, bool *out_retry,
    void *user) {
    struct s3x_s3_request *r = user;
    *out_retry = false;
    if (attempt->http_status >= 200 && attempt->http_status < 300 && attempt->error == 0) {
        if (!r->error_in_200) {
            return 0;
        }
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(http, &len);
        if (!s3x__s3_response_is_error(body, len)) {
            return 0;
        }
        int err = s_error_of_body(r, attempt->http_status, body, len);
        *out_retry = s3x__s3_error_is_retryable(err, attempt->http_status);
        S3X_LOG_WARNF("s3", "%s %s: error inside a %d answer (%s)%s", s3x__http_request_method(http), r->target.path,
            attempt->http_status, s3x_error_name(err), *out_retry ? ", retrying" : "");
        return err;
    }
    if (attempt->http_status == 0 || (attempt->error != 0 && attempt->error != S3X_ERR_HTTP_STATUS)) {
        /* Transport failure (or a hook's error): the engine's policy decides. */
        return s3x__http_classify_default(attempt, out_retry);
    }
    int err = s_error_of_body(r, attempt->http_status, attempt->error_body, attempt->error_body_len);
    bool default_retry = false;
    s3x__http_classify_default(attempt, &default_retry);
    *out_retry = s3x__s3_error_is_retryable(err, attempt->http_status) || default_retry;
    return err;
}

static void s_on_complete(struct s3x_http_request *http, const struct s3x_http_result *result, void *user) {
    struct s3x_s3_request *r = user;
    struct s3x_s3_error_info info;
    struct s3x_s3_error_info *info_ptr = NULL;
    int error = result->error;
    if (error != 0 && result->http_status != 0 && error != S3X_ERR_CANCELED) {
        const uint8_t *body = result->error_body;
        size_t len = result->error_body_len;
        if (body == NULL && r->error_in_200) {
            body = s3x__http_request_response_body(http, &len);
        }
        if (s3x__s3_error_info_init(&info, r->allocator, result->http_status, body, len,
                s3x__http_request_response_header(http, "x-amz-request-id"),
                s3x__http_request_response_header(http, "x-amz-id-2")) == 0) {
            info.error = error;
            info_ptr = &info;
        }
    }
    if (r->on_done != NULL) {
        r->on_done(r, error, info_ptr, r->user_data);
    }
    if (info_ptr != NULL) {
        s3x__s3_error_info_clean_up(info_ptr);
    }
    s3x__s3_request_release(r); /* the reference taken at submit */
}

/* --- construction ------------------------------------------------------------------------- */

static int s_set_payload_hash(struct s3x_s3_request *r, const struct s3x_s3_request_options *o) {
    if (o->payload_hash != NULL) {
        if (strlen(o->payload_hash) >= sizeof(r->payload_hash)) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        strcpy(r->payload_hash, o->payload_hash);
        r->payload_hash_ref = r->payload_hash;
        return 0;
    }
    switch (o->body.kind) {
    case S3X_HTTP_BODY_NONE:
        r->payload_hash_ref = S3X_SIGV4_EMPTY_SHA256;
        return 0;
    case S3X_HTTP_BODY_MEMORY:
        if (o->body.len <= S3X_S3_HASHED_BODY_MAX) {
            r->payload_hash_ref = r->payload_hash;
            return s3x__sha256_hex(o->body.data, o->body.len, r->payload_hash);
        }
        r->payload_hash_ref = S3X_SIGV4_UNSIGNED_PAYLOAD;
        return 0;
    case S3X_HTTP_BODY_STREAM:
    default:
        r->payload_hash_ref = S3X_SIGV4_UNSIGNED_PAYLOAD;
        return 0;
    }
}

static int s_make_http(struct s3x_s3_request *r, const struct s3x_s3_request_options *o) {
    struct s3x_http_request_options ho = {
        .method = o->method,
        .url = r->target.url,
        .body = o->body,
        .sink = o->sink,
        .prepare = s_prepare,
        .on_headers = o->on_headers != NULL ? s_on_headers : NULL,
        .classify = s_classify,
        .on_complete = s_on_complete,
        .user_data = r,
        .max_attempts = o->max_attempts,
    };
    if (o->body.kind == S3X_HTTP_BODY_STREAM) {
        ho.body.read = o->body.read != NULL ? s_read : NULL;
        ho.body.rewind = o->body.rewind != NULL ? s_rewind : NULL;
    }
    if (o->sink.kind == S3X_HTTP_SINK_STREAM) {
        ho.sink.write = o->sink.write != NULL ? s_write : NULL;
    }
    if (o->sink.kind == S3X_HTTP_SINK_STREAM || o->sink.kind == S3X_HTTP_SINK_BUFFER) {
        ho.sink.on_retry = s_on_retry; /* with the caller's user_data */
    }
    int rc = s3x__http_request_new(r->allocator, &ho, &r->http);
    for (size_t i = 0; rc == 0 && i < o->header_count; ++i) {
        rc = s3x__http_request_set_header(r->http, o->headers[i].name, o->headers[i].value);
    }
    return rc;
}

int s3x__s3_request_new(struct s3x_s3_context *ctx, const struct s3x_s3_request_options *o,
    struct s3x_s3_request **out) {
    if (ctx == NULL || o == NULL || out == NULL || o->method == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (o->error_in_200 && o->sink.kind != S3X_HTTP_SINK_MEMORY) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_s3_request *r = s3x_mem_calloc(ctx->allocator, 1, sizeof(*r));
    if (r == NULL) {
        return S3X_ERR_OOM;
    }
    r->allocator = ctx->allocator;
    s3x__ref_init(&r->ref);
    r->ctx = ctx;
    r->error_in_200 = o->error_in_200;
    r->read = o->body.read;
    r->rewind = o->body.rewind;
    r->write = o->sink.write;
    r->on_retry = o->sink.on_retry;
    r->on_headers = o->on_headers;
    r->on_done = o->on_done;
    r->user_data = o->user_data;
    int rc = s_set_payload_hash(r, o);
    if (rc == 0) {
        rc = s3x__endpoint_target(&ctx->endpoint, r->allocator, o->bucket, o->key, o->query, o->query_count, &r->target);
    }
    if (rc == 0) {
        rc = s_make_http(r, o);
    }
    if (rc != 0) {
        s3x__s3_request_release(r);
        return rc;
    }
    *out = r;
    return 0;
}

int s3x__s3_request_submit(struct s3x_s3_request *r) {
    s3x__s3_request_acquire(r); /* dropped after on_done */
    int rc = s3x__http_engine_submit(r->ctx->engine, r->http);
    if (rc != 0) {
        s3x__s3_request_release(r);
    }
    return rc;
}

void s3x__s3_request_cancel(struct s3x_s3_request *r) {
    if (r != NULL && r->http != NULL) {
        s3x__http_request_cancel(r->http);
    }
}

struct s3x_s3_request *s3x__s3_request_acquire(struct s3x_s3_request *r) {
    if (r != NULL) {
        s3x__ref_acquire(&r->ref);
    }
    return r;
}

struct s3x_s3_request *s3x__s3_request_release(struct s3x_s3_request *r) {
    if (r != NULL && s3x__ref_release(&r->ref)) {
        s3x__http_request_release(r->http);
        s3x__http_target_clean_up(&r->target);
        s3x_mem_release(r->allocator, r);
    }
    return NULL;
}

struct s3x_http_request *s3x__s3_request_http(struct s3x_s3_request *r) {
    return r->http;
}

void *s3x__s3_request_user_data(const struct s3x_s3_request *r) {
    return r->user_data;
}
