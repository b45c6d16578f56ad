/* One signed S3 request on the transfer engine: the glue between endpoints (where it goes), the
 * signer (re-signed before every attempt with a fresh date), the engine (how it travels) and S3
 * error documents (what a failure means).
 *
 *   struct s3x_s3_request_options o = {.method = "HEAD", .bucket = "b", .key = "k",
 *                                      .on_done = done, .user_data = me};
 *   s3x__s3_request_new(ctx, &o, &req);  s3x__s3_request_submit(req);
 *   done(req, error, info, me)   -- engine thread, exactly once after a successful submit
 *
 * The caller's body and sink hooks are forwarded with the caller's user_data. A failed request
 * carries its S3 error (status, <Code>, message, request id) in `info`.
 */
#ifndef S3XFER_S3_S3_REQUEST_H
#define S3XFER_S3_S3_REQUEST_H

#include "http/endpoint.h"
#include "http/request.h"
#include "http/sigv4.h"
#include "s3/s3_error.h"

#include <s3xfer/credentials.h>

struct s3x_http_engine;

/* What every request of a client shares. Immutable once the client is built. */
struct s3x_s3_context {
    struct s3x_allocator *allocator;
    struct s3x_http_engine *engine;
    struct s3x_endpoint endpoint;
    const char *region;
    struct s3x_credentials *credentials; /* NULL: anonymous (unless a provider is set) */
    s3x_credentials_provider_fn *credentials_provider;
    void *credentials_provider_user_data;
    struct s3x_sigv4_key_cache *key_cache;
};

struct s3x_s3_request;

/* Exactly once per submitted request, on the engine thread. `info` is NULL on success. */
typedef void(s3x_s3_on_done_fn)(struct s3x_s3_request *request, int error, const struct s3x_s3_error_info *info,
    void *user_data);

struct s3x_s3_request_options {
    const char *method;
    const char *bucket; /* NULL: service-level */
    const char *key;    /* NULL: bucket-level */
    const struct s3x_query_param *query;
    size_t query_count;
    const struct s3x_sigv4_header *headers; /* extra headers, copied: Range, If-Match, ... */
    size_t header_count;
    /* The body; its hooks receive the http request and this options' user_data. */
    struct s3x_http_body body;
    /* NULL: the SHA-256 of a MEMORY body up to S3X_S3_HASHED_BODY_MAX, UNSIGNED-PAYLOAD for a
     * larger or streamed body, the empty hash for none. */
    const char *payload_hash;
    struct s3x_http_sink sink;
    s3x_http_on_headers_fn *on_headers;
    /* The operation can fail inside a 200 answer (CompleteMultipartUpload, CopyObject,
     * UploadPartCopy): the body is checked for an <Error> document. Needs a MEMORY sink. */
    bool error_in_200;
    uint32_t max_attempts; /* 0: the engine's */
    s3x_s3_on_done_fn *on_done;
    void *user_data;
};

/* Small bodies (XML documents) are hashed and signed; part bodies go UNSIGNED-PAYLOAD. */
#define S3X_S3_HASHED_BODY_MAX ((size_t)1024 * 1024)

int s3x__s3_request_new(struct s3x_s3_context *ctx, const struct s3x_s3_request_options *options,
    struct s3x_s3_request **out);
/* Returns 0 (on_done fires once) or an error (on_done never fires). */
int s3x__s3_request_submit(struct s3x_s3_request *request);
void s3x__s3_request_cancel(struct s3x_s3_request *request);
struct s3x_s3_request *s3x__s3_request_acquire(struct s3x_s3_request *request);
struct s3x_s3_request *s3x__s3_request_release(struct s3x_s3_request *request);
/* The underlying HTTP request: response headers, body, result. */
struct s3x_http_request *s3x__s3_request_http(struct s3x_s3_request *request);
void *s3x__s3_request_user_data(const struct s3x_s3_request *request);

#endif
