/* S3 error mapping: <Code> and HTTP status -> S3X_ERR_*, retry classification, and the error
 * record. Every S3 code the library knows is in s_codes below and nowhere else.
 *
 * Worked example: CompleteMultipartUpload answers 200 with
 * <Error><Code>InternalError</Code>...</Error>: s3x__s3_error_from_code("InternalError", 200)
 * gives S3X_ERR_S3_INTERNAL_ERROR (the code decides), and s3x__s3_error_is_retryable(that, 200)
 * is true. The same document with <Code>InvalidPart</Code> gives S3X_ERR_S3_INVALID_PART, not
 * retryable. A HEAD of a missing key answers 404 with no body: from_code(NULL, 404) gives
 * S3X_ERR_S3_NO_SUCH_KEY.
 */
#include "s3/s3_error.h"

#include "common/common.h"

#include <string.h>

struct s_code {
    const char *code;
    int error;
};

static const struct s_code s_codes[] = {
    {"AccessDenied", S3X_ERR_S3_ACCESS_DENIED},
    {"AllAccessDisabled", S3X_ERR_S3_ACCESS_DENIED},
    {"AccountProblem", S3X_ERR_S3_ACCESS_DENIED},
    {"SignatureDoesNotMatch", S3X_ERR_S3_SIGNATURE_MISMATCH},
    {"InvalidAccessKeyId", S3X_ERR_S3_INVALID_ACCESS_KEY},
    {"NoSuchKey", S3X_ERR_S3_NO_SUCH_KEY},
    {"NoSuchVersion", S3X_ERR_S3_NO_SUCH_KEY},
    {"NoSuchBucket", S3X_ERR_S3_NO_SUCH_BUCKET},
    {"NoSuchUpload", S3X_ERR_S3_NO_SUCH_UPLOAD},
    {"InvalidPart", S3X_ERR_S3_INVALID_PART},
    {"InvalidPartOrder", S3X_ERR_S3_INVALID_PART_ORDER},
    {"EntityTooSmall", S3X_ERR_S3_ENTITY_TOO_SMALL},
    {"EntityTooLarge", S3X_ERR_S3_ENTITY_TOO_LARGE},
    {"MaxMessageLengthExceeded", S3X_ERR_S3_ENTITY_TOO_LARGE},
    {"PreconditionFailed", S3X_ERR_S3_PRECONDITION_FAILED},
    {"InvalidRange", S3X_ERR_S3_INVALID_RANGE},
    {"SlowDown", S3X_ERR_S3_SLOW_DOWN},
    {"Throttling", S3X_ERR_S3_SLOW_DOWN},
    {"ThrottlingException", S3X_ERR_S3_SLOW_DOWN},
    {"RequestThrottled", S3X_ERR_S3_SLOW_DOWN},
    {"TooManyRequestsException", S3X_ERR_S3_SLOW_DOWN},
    {"RequestLimitExceeded", S3X_ERR_S3_SLOW_DOWN},
    {"BandwidthLimitExceeded", S3X_ERR_S3_SLOW_DOWN},
    {"InternalError", S3X_ERR_S3_INTERNAL_ERROR},
    {"ServiceUnavailable", S3X_ERR_S3_SERVICE_UNAVAILABLE},
    {"RequestTimeout", S3X_ERR_S3_REQUEST_TIMEOUT},
    {"BucketAlreadyExists", S3X_ERR_S3_BUCKET_EXISTS},
    {"BucketAlreadyOwnedByYou", S3X_ERR_S3_BUCKET_OWNED_BY_YOU},
    {"BadDigest", S3X_ERR_S3_BAD_DIGEST},
    {"InvalidDigest", S3X_ERR_S3_BAD_DIGEST},
    {"XAmzContentSHA256Mismatch", S3X_ERR_S3_BAD_DIGEST},
    {"MalformedXML", S3X_ERR_S3_MALFORMED_XML},
    {"InvalidRequest", S3X_ERR_S3_INVALID_REQUEST},
    {"NotImplemented", S3X_ERR_S3_NOT_IMPLEMENTED},
    {"ExpiredToken", S3X_ERR_S3_EXPIRED_TOKEN},
    {"TokenRefreshRequired", S3X_ERR_S3_EXPIRED_TOKEN},
    {"InvalidToken", S3X_ERR_S3_INVALID_TOKEN},
    {"RequestTimeTooSkewed", S3X_ERR_S3_CLOCK_SKEW},
    {"InvalidArgument", S3X_ERR_S3_INVALID_ARGUMENT},
    {"InvalidBucketName", S3X_ERR_S3_INVALID_BUCKET_NAME},
    {"KeyTooLongError", S3X_ERR_S3_KEY_TOO_LONG},
    {"PermanentRedirect", S3X_ERR_S3_WRONG_REGION},
    {"TemporaryRedirect", S3X_ERR_S3_WRONG_REGION},
    {"AuthorizationHeaderMalformed", S3X_ERR_S3_WRONG_REGION},
    {"IllegalLocationConstraintException", S3X_ERR_S3_WRONG_REGION},
};

static int s_from_status(int http_status, bool have_unknown_code) {
    switch (http_status) {
    case 301:
    case 307: return S3X_ERR_S3_WRONG_REGION;
    case 403: return S3X_ERR_S3_ACCESS_DENIED;
    case 404: return have_unknown_code ? S3X_ERR_S3_UNKNOWN : S3X_ERR_S3_NO_SUCH_KEY;
    case 412: return S3X_ERR_S3_PRECONDITION_FAILED;
    case 416: return S3X_ERR_S3_INVALID_RANGE;
    case 429:
    case 503: return S3X_ERR_S3_SLOW_DOWN;
    case 500: return S3X_ERR_S3_INTERNAL_ERROR;
    default: return S3X_ERR_S3_UNKNOWN;
    }
}

int s3x__s3_error_from_code(const char *s3_code, int http_status) {
    if (s3_code == NULL || s3_code[0] == '\0') {
        return s_from_status(http_status, false);
    }
    for (size_t k = 0; k < S3X_ARRAY_LEN(s_codes); ++k) {
        if (strcmp(s_codes[k].code, s3_code) == 0) {
            return s_codes[k].error;
        }
    }
    return s_from_status(http_status, true);
}

static bool s_transient(int err) {
    return err == S3X_ERR_S3_SLOW_DOWN || err == S3X_ERR_S3_SERVICE_UNAVAILABLE || err == S3X_ERR_S3_INTERNAL_ERROR ||
           err == S3X_ERR_S3_REQUEST_TIMEOUT;
}

bool s3x__s3_error_is_retryable(int err, int http_status) {
    if (s_transient(err)) {
        return true;
    }
    switch (http_status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504: return true;
    default: break;
    }
    return http_status >= 200 && http_status < 300 && err == S3X_ERR_S3_UNKNOWN;
}

/* --- the record ------------------------------------------------------------------------------- */

static int s_dup(struct s3x_allocator *a, const char *primary, const char *fallback, char **out) {
    const char *s = primary != NULL ? primary : fallback;
    *out = NULL;
    if (s == NULL) {
        return 0;
    }
    *out = s3x_mem_strdup(a, s);
    return *out != NULL ? 0 : S3X_ERR_OOM;
}

int s3x__s3_error_info_init_from_doc(struct s3x_s3_error_info *info, struct s3x_allocator *allocator,
    int http_status, const struct s3x_s3_error_doc *doc, const char *request_id_header, const char *host_id_header) {
    if (info == NULL || allocator == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(info, 0, sizeof(*info));
    info->allocator = allocator;
    info->http_status = http_status;
    struct s3x_s3_error_doc none = {0};
    const struct s3x_s3_error_doc *d = doc != NULL ? doc : &none;
    info->error = s3x__s3_error_from_code(d->code, http_status);
    int rc = s_dup(allocator, d->code, NULL, &info->code);
    if (rc == 0) {
        rc = s_dup(allocator, d->message, NULL, &info->message);
    }
    if (rc == 0) {
        rc = s_dup(allocator, d->request_id, request_id_header, &info->request_id);
    }
    if (rc == 0) {
        rc = s_dup(allocator, d->host_id, host_id_header, &info->host_id);
    }
    if (rc != 0) {
        s3x__s3_error_info_clean_up(info);
    }
    return rc;
}

int s3x__s3_error_info_init(struct s3x_s3_error_info *info, struct s3x_allocator *allocator, int http_status,
    const void *body, size_t body_len, const char *request_id_header, const char *host_id_header) {
    if (info == NULL || allocator == NULL || (body == NULL && body_len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(info, 0, sizeof(*info));
    struct s3x_s3_error_doc doc = {0};
    bool parsed = false;
    if (body_len > 0) {
        int rc = s3x__s3_error_doc_parse(allocator, body, body_len, &doc);
        if (rc == S3X_ERR_OOM) {
            return rc;
        }
        parsed = rc == 0;
        if (!parsed) {
            S3X_LOG_DEBUGF("s3", "HTTP %d: the %zu-byte body is not an S3 error document", http_status, body_len);
        }
    }
    int rc = s3x__s3_error_info_init_from_doc(info, allocator, http_status, parsed ? &doc : NULL, request_id_header,
        host_id_header);
    s3x__s3_error_doc_clean_up(allocator, &doc);
    return rc;
}

void s3x__s3_error_info_clean_up(struct s3x_s3_error_info *info) {
    if (info == NULL) {
        return;
    }
    s3x_mem_release(info->allocator, info->code);
    s3x_mem_release(info->allocator, info->message);
    s3x_mem_release(info->allocator, info->request_id);
    s3x_mem_release(info->allocator, info->host_id);
    memset(info, 0, sizeof(*info));
}
