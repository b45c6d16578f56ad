/* Retry policy of the transfer engine: error mapping, what is retryable, backoff delays. */
#ifndef S3XFER_SRC_HTTP_RETRY_H
#define S3XFER_SRC_HTTP_RETRY_H

#include <stdbool.h>
#include <stdint.h>

struct s3x_retry_policy {
    uint32_t max_attempts;  /* >= 1 */
    uint32_t base_delay_ms; /* >= 1 */
    uint32_t max_delay_ms;  /* >= base_delay_ms */
};

/* The one place that maps a CURLcode to an S3X_ERR_* (0 for CURLE_OK). *out_retryable says whether
 * a request that failed so deserves another attempt (may be NULL). `connected` is false when the
 * attempt never got a connection (a timeout then is a connect failure). */
int s3x__http_error_from_curl(int curl_code, bool connected, bool *out_retryable);

/* Statuses worth retrying: 408, 429, 500, 502, 503, 504. */
bool s3x__http_status_is_retryable(int http_status);

/* Full-jitter exponential backoff: a uniform random delay in [0, min(max, base * 2^(failures-1))]
 * milliseconds, where `failures` >= 1 counts the attempts that failed so far. `rng` is the caller's
 * xorshift state (never 0). */
uint64_t s3x__retry_delay_ms(const struct s3x_retry_policy *policy, uint32_t failures, uint64_t *rng);

/* Seeds a generator state for s3x__retry_delay_ms (never returns 0). */
uint64_t s3x__retry_rng_seed(uint64_t entropy);

#endif
