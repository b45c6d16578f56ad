/* S3 errors: the one place where S3 <Code> values and HTTP statuses become S3X_ERR_* codes, and
 * the record that keeps the raw values for the caller (internal; the record becomes public later
 * through the transfer result).
 */
#ifndef S3XFER_S3_S3_ERROR_H
#define S3XFER_S3_S3_ERROR_H

#include <s3xfer/allocator.h>

#include "s3/responses.h"

#include <stdbool.h>
#include <stddef.h>

/* The S3X_ERR_* code of an S3 error.
 *
 * A known <Code> (case-sensitive, as S3 writes them) decides alone: AccessDenied ->
 * S3X_ERR_S3_ACCESS_DENIED, NoSuchKey -> S3X_ERR_S3_NO_SUCH_KEY, SlowDown -> S3X_ERR_S3_SLOW_DOWN,
 * and so on (the table in s3_error.c).
 *
 * Without a code (NULL or "": a HEAD answer has no body, a proxy may send none), the status
 * decides: 301/307 -> WRONG_REGION, 403 -> ACCESS_DENIED, 404 -> NO_SUCH_KEY (the answer to a
 * HEAD of a missing key; a missing bucket cannot be told apart without a body), 412 ->
 * PRECONDITION_FAILED, 416 -> INVALID_RANGE, 429 and 503 -> SLOW_DOWN, 500 -> INTERNAL_ERROR,
 * anything else -> S3_UNKNOWN.
 *
 * An unknown code falls back on the status the same way, except that 404 gives S3_UNKNOWN (an
 * unknown code on a 404, say NoSuchLifecycleConfiguration, is not a missing key). */
int s3x__s3_error_from_code(const char *s3_code, int http_status);

/* Whether an S3 error is worth retrying: the transient codes (SLOW_DOWN, SERVICE_UNAVAILABLE,
 * INTERNAL_ERROR, REQUEST_TIMEOUT) and the statuses 429, 500, 502, 503, 504 are; other 4xx answers
 * are not. An <Error> inside a 2xx answer (CompleteMultipartUpload, CopyObject and UploadPartCopy
 * fail that way after the 200 went out) is retried unless its code is a known permanent one
 * (InvalidPart, NoSuchUpload, AccessDenied...): S3_UNKNOWN there is retryable, as S3 documents
 * for these operations. Codes outside the S3 group (transport errors) are decided by the
 * transfer engine's own policy and read false here unless the status says otherwise. */
bool s3x__s3_error_is_retryable(int err, int http_status);

/* What a failed S3 request leaves for the caller. Strings are owned copies, NULL when unknown. */
struct s3x_s3_error_info {
    struct s3x_allocator *allocator;
    int error;       /* S3X_ERR_* from s3x__s3_error_from_code */
    int http_status; /* as received (200 for an <Error> inside a success) */
    char *code;      /* the S3 <Code> */
    char *message;
    char *request_id; /* <RequestId>, else the x-amz-request-id header */
    char *host_id;    /* <HostId>, else the x-amz-id-2 header */
};

/* Fills `info` from a failed response: the status, the body (may be empty: then only the status
 * and headers count; a body that is not an S3 <Error> document is ignored, and logged), and the
 * request-id headers (NULL when absent). Returns 0 or S3X_ERR_OOM (then `info` is zero-filled and
 * needs no clean-up); a malformed body is not an error here. */
int s3x__s3_error_info_init(struct s3x_s3_error_info *info, struct s3x_allocator *allocator, int http_status,
    const void *body, size_t body_len, const char *request_id_header, const char *host_id_header);

/* The same from an <Error> document already parsed (NULL for none). */
int s3x__s3_error_info_init_from_doc(struct s3x_s3_error_info *info, struct s3x_allocator *allocator,
    int http_status, const struct s3x_s3_error_doc *doc, const char *request_id_header, const char *host_id_header);

/* Frees the strings and zero-fills. A zero-filled info is accepted. */
void s3x__s3_error_info_clean_up(struct s3x_s3_error_info *info);

#endif
