/* AWS Signature Version 4 for S3 (internal).
 *
 * Engine-agnostic: the engine calls a "prepare" hook before every attempt of a request, and the
 * S3 layer calls s3x__sigv4_sign from it, so each attempt gets a fresh date. The request is
 * described exactly as it goes on the wire (path and query already encoded, see uri.h); the
 * signer never encodes, decodes or normalises it (S3 rules), and adds what it returns:
 *   header mode: X-Amz-Date, [X-Amz-Security-Token], x-amz-content-sha256, Authorization;
 *   query mode (presigned URL): a complete query string replacing the request's.
 *
 * Cost per call: no allocation beyond one result buffer (and, for more than
 * S3X_SIGV4_INLINE_ITEMS headers or query parameters, one scratch array); OpenSSL's own digest
 * contexts; the signing key comes from the key cache when one is given.
 */
#ifndef S3XFER_HTTP_SIGV4_H
#define S3XFER_HTTP_SIGV4_H

#include <s3xfer/allocator.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3x_credentials;

#define S3X_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of zero bytes: the payload hash of a request without a body. */
#define S3X_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Presigned URLs live at most 7 days (AWS limit); default 1 hour. */
#define S3X_SIGV4_MAX_EXPIRES_S 604800u
#define S3X_SIGV4_DEFAULT_EXPIRES_S 3600u
/* Headers / query parameters sorted on the stack; more take one scratch allocation. */
#define S3X_SIGV4_INLINE_ITEMS 32

struct s3x_sigv4_header {
    const char *name;
    const char *value;
};

/* A request as it goes on the wire. */
struct s3x_sigv4_request {
    const char *method; /* "GET", "PUT", ... */
    const char *path;   /* encoded, starts with '/', e.g. "/bucket/my%20file.txt" */
    const char *query;  /* encoded, without '?'; NULL or "" for none, e.g. "uploads" */
    /* The Host header value ("127.0.0.1:8080"). NULL: `headers` must hold exactly one Host. */
    const char *host;
    const struct s3x_sigv4_header *headers;
    size_t header_count;
    /* x-amz-content-sha256: lowercase hex SHA-256 of the body, S3X_SIGV4_UNSIGNED_PAYLOAD for a
     * streamed body, S3X_SIGV4_EMPTY_SHA256 for none. Presigned URLs: UNSIGNED-PAYLOAD. */
    const char *payload_hash;
};

enum s3x_sigv4_mode {
    S3X_SIGV4_MODE_HEADER = 0, /* Authorization header */
    S3X_SIGV4_MODE_QUERY = 1,  /* presigned URL */
};

struct s3x_sigv4_key_cache;

struct s3x_sigv4_config {
    const char *region;  /* "us-east-1" */
    const char *service; /* NULL: "s3" */
    int64_t time_s;      /* seconds since the epoch; 0: now */
    enum s3x_sigv4_mode mode;
    uint32_t expires_s;  /* query mode: 1..S3X_SIGV4_MAX_EXPIRES_S; 0: the default */
    struct s3x_sigv4_key_cache *key_cache; /* optional, shared by any number of threads */

    /* Generic AWS services only (the AWS test suite); S3 leaves these false. */
    bool normalize_path;         /* remove "." and ".." segments and empty segments */
    bool omit_content_sha256;    /* header mode: neither send nor sign x-amz-content-sha256 */
    bool unsigned_session_token; /* add the session token after signing (not signed) */

    /* Tests and debugging: keep the exact canonical request in the result. */
    bool keep_canonical_request;
};

/* What to add to the request. All strings live in one buffer owned by the result. */
struct s3x_sigv4_result {
    struct s3x_sigv4_header headers[4]; /* header mode, in this order: X-Amz-Date,
                                         * [X-Amz-Security-Token], [x-amz-content-sha256],
                                         * Authorization */
    size_t header_count;
    const char *query;          /* query mode: the whole query string for the URL (no '?'):
                                 * the request's query, then X-Amz-Algorithm, -Credential, -Date,
                                 * -SignedHeaders, -Expires, [-Security-Token], -Signature */
    const char *date;           /* "20150830T123600Z" */
    const char *signed_headers; /* "host;x-amz-content-sha256;x-amz-date" */
    const char *string_to_sign;
    const char *signature;      /* 64 hex digits */
    const char *canonical_request; /* only with keep_canonical_request, else NULL */

    /* private */
    struct s3x_allocator *allocator;
    char *buffer;
    char *canonical_buffer;
};

/* Signs `req`. Headers named authorization, x-amz-date, x-amz-security-token or
 * x-amz-content-sha256 must not be in req->headers (the signer adds them: signing twice is a
 * bug); in query mode the query must not already hold X-Amz-* signing parameters. Headers that
 * proxies or the HTTP stack may rewrite are sent but not signed: user-agent, expect,
 * x-amzn-trace-id, connection, keep-alive, proxy-connection, te, trailer, transfer-encoding,
 * upgrade. Credentials must be non-NULL (anonymous requests are simply not signed).
 * Returns 0, S3X_ERR_INVALID_ARGUMENT (malformed input: an unencoded path, a header value with a
 * line break, a bad region...), S3X_ERR_OOM, S3X_ERR_UNSUPPORTED (OpenSSL lacks HMAC-SHA256).
 * On failure *out holds nothing to clean up. Thread-safe. */
int s3x__sigv4_sign(struct s3x_allocator *allocator, const struct s3x_sigv4_request *req,
    const struct s3x_credentials *creds, const struct s3x_sigv4_config *cfg, struct s3x_sigv4_result *out);

/* Frees the result's strings; safe on a zeroed or already cleaned result. */
void s3x__sigv4_result_clean_up(struct s3x_sigv4_result *result);

/* --- signing keys and hashing (sigv4_key.c) ------------------------------------------------ */

/* Cache of derived signing keys per (secret, date, region, service), so a signature costs one
 * HMAC instead of five. Thread-safe; holds S3X_SIGV4_KEY_CACHE_SLOTS keys, least recently used
 * evicted; key material is wiped on eviction and destruction. */
#define S3X_SIGV4_KEY_CACHE_SLOTS 8

struct s3x_sigv4_key_cache_stats {
    uint64_t hits;
    uint64_t misses;
};

int s3x__sigv4_key_cache_new(struct s3x_allocator *allocator, struct s3x_sigv4_key_cache **out);
/* NULL is allowed. */
void s3x__sigv4_key_cache_destroy(struct s3x_sigv4_key_cache *cache);
void s3x__sigv4_key_cache_stats(struct s3x_sigv4_key_cache *cache, struct s3x_sigv4_key_cache_stats *out);

/* HMAC-SHA256(signing key, string_to_sign) as 64 lowercase hex digits + NUL, the signing key
 * derived from (secret, date8 "YYYYMMDD", region, service) or taken from `cache` (may be NULL).
 * A cache that cannot store a new key (out of memory) still signs. Returns 0, S3X_ERR_OOM,
 * S3X_ERR_UNSUPPORTED. */
int s3x__sigv4_signature(struct s3x_sigv4_key_cache *cache, const char *secret, size_t secret_len,
    const char *date8, const char *region, const char *service, const char *string_to_sign, size_t sts_len,
    char out_hex[65]);

/* SHA-256 of data as 64 lowercase hex digits + NUL (a payload hash). Returns 0, S3X_ERR_OOM,
 * S3X_ERR_UNSUPPORTED. */
int s3x__sha256_hex(const void *data, size_t len, char out_hex[65]);

/* Incremental SHA-256 for the canonical request; lives on the caller's stack. */
struct s3x_sha256 {
    void *ctx; /* EVP_MD_CTX */
    bool failed;
};
/* Returns 0, S3X_ERR_OOM, S3X_ERR_UNSUPPORTED; on failure nothing to discard. */
int s3x__sha256_init(struct s3x_sha256 *h);
void s3x__sha256_update(struct s3x_sha256 *h, const void *data, size_t len);
/* Finishes, writes the hex digest and frees the context. Returns 0 or S3X_ERR_UNSUPPORTED. */
int s3x__sha256_finish(struct s3x_sha256 *h, char out_hex[65]);
/* Frees the context without finishing; safe after finish or a failed init. */
void s3x__sha256_discard(struct s3x_sha256 *h);

#endif
