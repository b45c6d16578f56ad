/* Retry policy: the CURLcode -> S3X_ERR_* table, the default classification of an attempt, and
 * full-jitter exponential backoff.
 *
 * Invariants: every CURLcode maps to exactly one S3X_ERR_* (unknown ones to HTTP_PROTOCOL, never
 * retried) and the raw code is always kept by the caller; a delay never exceeds max_delay_ms.
 *
 * Worked example (base 100 ms, cap 20 000 ms, 5 attempts): after failure 1 the wait is uniform in
 * [0, 100] ms, after 2 in [0, 200], after 3 in [0, 400], after 4 in [0, 800]; attempt 5 is the last,
 * so the whole budget is at most 1.5 s of waiting. With base 1000 the 9th failure would be capped at
 * 20 000 (2^8 * 1000 = 256 000 > 20 000).
 */
#include "retry.h"

#include "request.h"

#include "../common/common.h"

#include <curl/curl.h>

struct s_curl_map {
    CURLcode code;
    int error;
    bool retryable;
};

/* Codes not listed: HTTP_PROTOCOL, not retried. Write/read/abort codes come from our own callbacks,
 * which record the real cause; they only show here if a callback failed without one. */
static const struct s_curl_map s_curl_map[] = {
    {CURLE_OK, 0, false},
    {CURLE_UNSUPPORTED_PROTOCOL, S3X_ERR_HTTP_BAD_URL, false},
    {CURLE_URL_MALFORMAT, S3X_ERR_HTTP_BAD_URL, false},
    {CURLE_COULDNT_RESOLVE_PROXY, S3X_ERR_HTTP_RESOLVE, true},
    {CURLE_COULDNT_RESOLVE_HOST, S3X_ERR_HTTP_RESOLVE, true},
    {CURLE_COULDNT_CONNECT, S3X_ERR_HTTP_CONNECT, true},
    {CURLE_WEIRD_SERVER_REPLY, S3X_ERR_HTTP_PROTOCOL, true},
    {CURLE_HTTP2, S3X_ERR_HTTP_PROTOCOL, true},
    {CURLE_HTTP2_STREAM, S3X_ERR_HTTP_PROTOCOL, true},
    {CURLE_PARTIAL_FILE, S3X_ERR_HTTP_RECV, true},   /* body shorter than Content-Length */
    {CURLE_GOT_NOTHING, S3X_ERR_HTTP_RECV, true},    /* connection closed before any answer */
    {CURLE_RECV_ERROR, S3X_ERR_HTTP_RECV, true},     /* reset while receiving */
    {CURLE_SEND_ERROR, S3X_ERR_HTTP_SEND, true},     /* reset while sending */
    {CURLE_SEND_FAIL_REWIND, S3X_ERR_HTTP_SEND, false},
    {CURLE_OPERATION_TIMEDOUT, S3X_ERR_HTTP_TIMEOUT, true},
    {CURLE_SSL_CONNECT_ERROR, S3X_ERR_HTTP_TLS, true}, /* handshake failed (often a reset) */
    {CURLE_PEER_FAILED_VERIFICATION, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_CERTPROBLEM, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_CIPHER, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_CACERT_BADFILE, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_ENGINE_NOTFOUND, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_ENGINE_SETFAILED, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_ENGINE_INITFAILED, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_CRL_BADFILE, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_ISSUER_ERROR, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_INVALIDCERTSTATUS, S3X_ERR_HTTP_TLS, false},
    {CURLE_SSL_SHUTDOWN_FAILED, S3X_ERR_HTTP_TLS, true},
    {CURLE_USE_SSL_FAILED, S3X_ERR_HTTP_TLS, false},
    {CURLE_OUT_OF_MEMORY, S3X_ERR_OOM, false},
    {CURLE_WRITE_ERROR, S3X_ERR_IO, false},
    {CURLE_READ_ERROR, S3X_ERR_IO, false},
    {CURLE_ABORTED_BY_CALLBACK, S3X_ERR_CANCELED, false},
    {CURLE_BAD_FUNCTION_ARGUMENT, S3X_ERR_INVALID_ARGUMENT, false},
    {CURLE_TOO_MANY_REDIRECTS, S3X_ERR_HTTP_PROTOCOL, false},
    {CURLE_BAD_CONTENT_ENCODING, S3X_ERR_HTTP_PROTOCOL, false},
    {CURLE_FILESIZE_EXCEEDED, S3X_ERR_HTTP_PROTOCOL, false},
};

int s3x__http_error_from_curl(int curl_code, bool connected, bool *out_retryable) {
    int error = S3X_ERR_HTTP_PROTOCOL;
    bool retryable = false;
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_curl_map); ++i) {
        if ((int)s_curl_map[i].code == curl_code) {
            error = s_curl_map[i].error;
            retryable = s_curl_map[i].retryable;
            break;
        }
    }
    /* curl reports a connect timeout as OPERATION_TIMEDOUT; without a connection it is a connect
     * failure for the user. */
    if (curl_code == CURLE_OPERATION_TIMEDOUT && !connected) {
        error = S3X_ERR_HTTP_CONNECT;
    }
    if (out_retryable != NULL) {
        *out_retryable = retryable;
    }
    return error;
}

bool s3x__http_status_is_retryable(int http_status) {
    switch (http_status) {
    case 408: /* Request Timeout */
    case 429: /* Too Many Requests */
    case 500:
    case 502:
    case 503:
    case 504:
        return true;
    default:
        return false;
    }
}

int s3x__http_classify_default(const struct s3x_http_attempt *attempt, bool *out_retry) {
    bool retry = false;
    int error = attempt->error;
    switch (error) {
    case 0:
        break;
    case S3X_ERR_HTTP_STATUS:
        retry = s3x__http_status_is_retryable(attempt->http_status);
        break;
    case S3X_ERR_HTTP_STALL:
    case S3X_ERR_HTTP_TIMEOUT:
        retry = true;
        break;
    case S3X_ERR_HTTP_CONNECT:
    case S3X_ERR_HTTP_RESOLVE:
    case S3X_ERR_HTTP_TLS:
    case S3X_ERR_HTTP_SEND:
    case S3X_ERR_HTTP_RECV:
    case S3X_ERR_HTTP_PROTOCOL:
        /* Only when curl itself failed so (a hook may raise these codes too: not retried). */
        if (attempt->curl_code != 0) {
            int connected = s3x__http_error_from_curl(attempt->curl_code, true, &retry);
            int unconnected = s3x__http_error_from_curl(attempt->curl_code, false, NULL);
            retry = retry && (error == connected || error == unconnected);
        }
        break;
    default:
        break;
    }
    if (out_retry != NULL) {
        *out_retry = retry;
    }
    return error;
}

/* xorshift64*: fast, good enough for jitter, state owned by one thread. */
static uint64_t s_next(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint64_t s3x__retry_rng_seed(uint64_t entropy) {
    /* splitmix64 finaliser, so nearby seeds give unrelated states */
    uint64_t z = entropy + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return z != 0 ? z : 0x9E3779B97F4A7C15ULL;
}

uint64_t s3x__retry_delay_ms(const struct s3x_retry_policy *policy, uint32_t failures, uint64_t *rng) {
    uint64_t cap = policy->max_delay_ms;
    uint64_t ceiling = policy->base_delay_ms;
    uint32_t doublings = failures > 0 ? failures - 1 : 0;
    for (uint32_t i = 0; i < doublings && ceiling < cap; ++i) {
        ceiling *= 2;
    }
    if (ceiling > cap) {
        ceiling = cap;
    }
    if (*rng == 0) {
        *rng = s3x__retry_rng_seed(0);
    }
    return s_next(rng) % (ceiling + 1);
}
