/* libFuzzer target: response header values and header blocks (src/s3/headers.c).
 *
 * The whole input goes through every value parser, with invariants checked on success:
 *   Content-Range: first <= last, last < total when known, a range or a total at least;
 *   HTTP dates: format(parse(x)) parses back to the same instant; ISO-8601 within years 0..9999
 *   give or take a day; ETag comparison reflexive and symmetric.
 * Then the input, cut at '\n', is fed as header lines to a header record under a tracking
 * allocator (and once more under a fail-the-Nth allocator): every result is 0, S3X_ERR_PARSE or
 * S3X_ERR_OOM, and nothing is left allocated. Any violation traps. */
#include "common/common.h"
#include "s3/headers.h"

#include <s3xfer/allocator.h>
#include <s3xfer/error.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

static void s_values(const char *s, size_t n) {
    struct s3x_s3_content_range r;
    if (s3x__s3_parse_content_range(s, n, &r) == 0) {
        S_CHECK(r.has_range || r.has_total);
        S_CHECK(!r.has_range || r.first <= r.last);
        S_CHECK(!(r.has_range && r.has_total) || r.last < r.total);
    }
    uint64_t v;
    (void)s3x__s3_parse_content_length(s, n, &v);

    int64_t t;
    if (s3x__s3_parse_http_date(s, n, &t) == 0) {
        char out[S3X_HTTP_DATE_SIZE];
        S_CHECK(s3x__s3_format_http_date(t, out) == 0);
        int64_t back = 0;
        S_CHECK(s3x__s3_parse_http_date(out, strlen(out), &back) == 0 && back == t);
    }
    if (s3x__s3_parse_iso8601(s, n, &t) == 0) {
        S_CHECK(t >= INT64_C(-62167219200) - 86400 && t <= INT64_C(253402300799) + 86400);
    }
}

static void s_etags(const char *s, size_t n) {
    char *a = malloc(n + 1);
    if (a == NULL) {
        return;
    }
    memcpy(a, s, n);
    a[n] = '\0'; /* stops at the first NUL of the input, if any */
    size_t half = strlen(a) / 2;
    char *b = strdup(a + half);
    if (b != NULL) {
        a[half] = '\0';
        S_CHECK(s3x__s3_etag_equal(a, a) && s3x__s3_etag_equal(b, b));
        S_CHECK(s3x__s3_etag_equal(a, b) == s3x__s3_etag_equal(b, a));
        free(b);
    }
    free(a);
}

/* Feeds the lines of the input; returns the last error seen. */
static void s_lines(struct s3x_allocator *a, const char *s, size_t n) {
    struct s3x_s3_response_headers h;
    s3x__s3_response_headers_init(&h, a);
    size_t start = 0;
    while (start < n) {
        const char *nl = memchr(s + start, '\n', n - start);
        size_t end = nl != NULL ? (size_t)(nl - s) + 1 : n;
        int rc = s3x__s3_response_headers_add_line(&h, s + start, end - start);
        S_CHECK(rc == 0 || rc == S3X_ERR_PARSE || rc == S3X_ERR_OOM);
        start = end;
    }
    S_CHECK(!h.has_content_range || !h.content_range.has_range || h.content_range.first <= h.content_range.last);
    S_CHECK(h.http_status >= 0 && h.http_status <= 999);
    s3x__s3_response_headers_clean_up(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    s_values(s, size);
    s_etags(s, size);

    struct s3x_allocator *tracking = NULL;
    if (s3x_tracking_allocator_new(NULL, &tracking) != 0) {
        return 0;
    }
    s_lines(tracking, s, size);
    struct s3x_allocator *fail = NULL;
    if (s3x_fail_nth_allocator_new(tracking, 1 + size % 8, &fail) == 0) {
        s_lines(fail, s, size);
        s3x_fail_nth_allocator_destroy(fail);
    }
    struct s3x_tracking_stats stats;
    s3x_tracking_allocator_stats(tracking, &stats);
    S_CHECK(stats.outstanding_count == 0);
    s3x_tracking_allocator_destroy(tracking);
    return 0;
}
