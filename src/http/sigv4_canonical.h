/* The SigV4 canonical request (internal to the signer, see sigv4.c): its pieces, already in
 * canonical order, stream into SHA-256; a copy is kept only when asked for (tests, TRACE logs),
 * with the session token's byte range recorded so a log can redact it. */
#ifndef S3XFER_HTTP_SIGV4_CANONICAL_H
#define S3XFER_HTTP_SIGV4_CANONICAL_H

#include <s3xfer/allocator.h>

#include "http/uri.h"

#include <stdbool.h>
#include <stddef.h>

static inline char s3x__ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* One header to sign, as given (name in any case, value untrimmed). */
struct s3x_sigv4_signed_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t order;  /* position in the request: keeps repeated headers in the caller's order */
    bool secret;   /* the session token: redacted from the kept copy's log */
};

/* qsort comparator: name case-insensitively, then order (a stable, total order). */
int s3x__sigv4_header_cmp(const void *a, const void *b);
/* Whether two headers have the same name, ignoring case. */
bool s3x__sigv4_same_name(const struct s3x_sigv4_signed_header *a, const struct s3x_sigv4_signed_header *b);

struct s3x_sigv4_canonical {
    const char *method;
    const char *path; /* the canonical URI, written verbatim */
    size_t path_len;
    const struct s3x_query_span *query; /* sorted (s3x__query_sort) */
    size_t query_count;
    const char *secret_param; /* a query key whose value is redacted, or NULL */
    const struct s3x_sigv4_signed_header *headers; /* sorted (s3x__sigv4_header_cmp) */
    size_t header_count;
    const char *signed_headers; /* "host;x-amz-date" */
    size_t signed_len;
    const char *payload_hash;
};

/* A kept copy: text[0..len) NUL-terminated; the secret, if any, at [redact_begin, redact_end). */
struct s3x_sigv4_canonical_text {
    char *text;
    size_t len;
    size_t redact_begin;
    size_t redact_end;
};

/* Writes the hex SHA-256 of the canonical request of `in` to hash_hex. With `keep` also stores a
 * copy (from `allocator`, the caller frees keep->text); keep->text is NULL if the copy could not
 * be allocated, the hash being right all the same. Returns 0, S3X_ERR_OOM, S3X_ERR_UNSUPPORTED. */
int s3x__sigv4_canonical_hash(struct s3x_allocator *allocator, const struct s3x_sigv4_canonical *in,
    char hash_hex[65], struct s3x_sigv4_canonical_text *keep);

#endif
