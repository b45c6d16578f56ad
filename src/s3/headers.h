/* S3 response headers the transfers need, and the value grammars behind them (internal):
 * Content-Range, Content-Length, ETag, Last-Modified (HTTP dates), ISO-8601 dates (XML bodies),
 * x-amz-checksum-*, x-amz-request-id / x-amz-id-2.
 *
 * Value parsers take (text, len) with no NUL needed, tolerate optional whitespace (space, tab)
 * around the value, and return 0 or S3X_ERR_PARSE (S3X_ERR_INVALID_ARGUMENT for NULL pointers).
 * Numbers are decimal digits only: no sign, no "0x", nothing past UINT64_MAX.
 */
#ifndef S3XFER_S3_HEADERS_H
#define S3XFER_S3_HEADERS_H

#include <s3xfer/allocator.h>

#include "s3/responses.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- value grammars -------------------------------------------------------------------------- */

/* One or more decimal digits, nothing else (callers trim). */
int s3x__s3_parse_u64(const char *text, size_t len, uint64_t *out);

/* Content-Length: 1*DIGIT. */
int s3x__s3_parse_content_length(const char *value, size_t len, uint64_t *out);

/* Content-Range of a 206 or 416 answer (RFC 9110 14.4, "bytes" ASCII case-insensitive), with
 * '*' written as <star> here to keep this comment open:
 *   "bytes 0-99/1000"    -> has_range, first 0, last 99, has_total, total 1000
 *   "bytes 0-99/<star>"  -> has_range, total unknown (has_total false)
 *   "bytes <star>/1000"  -> no range (the form of a 416 answer), total 1000
 * Checked: first <= last, last < total when the total is known. */
struct s3x_s3_content_range {
    bool has_range;
    bool has_total;
    uint64_t first;
    uint64_t last;
    uint64_t total;
};
int s3x__s3_parse_content_range(const char *value, size_t len, struct s3x_s3_content_range *out);

/* HTTP dates (RFC 9110 5.6.7: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete
 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years 70-99 are 19xx, 00-69 20xx) and asctime
 * "Sun Nov  6 08:49:37 1994") to epoch seconds. The weekday must be a valid name but is not
 * checked against the date. */
int s3x__s3_parse_http_date(const char *value, size_t len, int64_t *out);

/* IMF-fixdate of `epoch_s`, 29 characters + NUL into out. Returns 0, S3X_ERR_INVALID_ARGUMENT
 * (a year outside 0..9999). */
#define S3X_HTTP_DATE_SIZE 30
int s3x__s3_format_http_date(int64_t epoch_s, char out[S3X_HTTP_DATE_SIZE]);

/* ISO-8601 date-time as S3 writes it in XML: "2009-10-12T17:50:30.000Z"; any number of fraction
 * digits or none; 'Z', "+hh:mm", "-hh:mm", "+hhmm" or "-hhmm" (required); 'T' and 'Z' in either
 * case. The fraction is dropped. */
int s3x__s3_parse_iso8601(const char *value, size_t len, int64_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31, not validated). */
int64_t s3x__s3_days_from_civil(int64_t year, unsigned month, unsigned day);

/* ETags are kept exactly as received (quotes and all). Equal when the opaque values are: an
 * optional weak prefix "W/" and one pair of surrounding double quotes are ignored on each side,
 * so "\"abc\"", "abc" and "W/\"abc\"" are equal; the rest compares byte for byte. False when
 * either is NULL. */
bool s3x__s3_etag_equal(const char *a, const char *b);

/* --- the headers of one response ------------------------------------------------------------- */

/* What a transfer needs from a response's headers. Strings are owned copies (NULL when absent). */
struct s3x_s3_response_headers {
    struct s3x_allocator *allocator;
    int http_status; /* from the status line when lines are fed, else 0 */
    bool has_content_length;
    uint64_t content_length;
    bool has_content_range;
    struct s3x_s3_content_range content_range;
    char *etag; /* as received, quotes included */
    bool has_last_modified;  /* false also when Last-Modified was present but malformed */
    int64_t last_modified;
    char *last_modified_raw;
    char *request_id; /* x-amz-request-id */
    char *id_2;       /* x-amz-id-2 (the "host id") */
    char *version_id; /* x-amz-version-id */
    bool has_parts_count;
    uint32_t parts_count; /* x-amz-mp-parts-count (GET with partNumber) */
    struct s3x_s3_checksums checksums; /* x-amz-checksum-<alg> values and x-amz-checksum-type */
};

void s3x__s3_response_headers_init(struct s3x_s3_response_headers *h, struct s3x_allocator *allocator);

/* Records one header (name ASCII case-insensitive; value trimmed of surrounding whitespace).
 * Headers not listed above are ignored. A tracked header that appears twice must repeat the same
 * value. Content-Length, Content-Range, x-amz-mp-parts-count and the checksum values are
 * validated (a checksum must decode to its algorithm's digest size, "-N" allowed); a malformed
 * Last-Modified is kept raw only (has_last_modified false), since it decides nothing.
 * Returns 0, S3X_ERR_PARSE, S3X_ERR_OOM, S3X_ERR_INVALID_ARGUMENT. On error the headers are
 * unchanged. */
int s3x__s3_response_headers_add(struct s3x_s3_response_headers *h, const char *name, size_t name_len,
    const char *value, size_t value_len);

/* Records one raw header line as libcurl's header callback delivers it ("ETag: \"abc\"\r\n"). A
 * status line ("HTTP/1.1 206 Partial Content") starts a new response (after a 100 Continue or a
 * redirect): everything recorded so far is dropped and http_status set. The empty line ending
 * the headers and continuation lines (obsolete folding) are ignored. A line without ':' is
 * S3X_ERR_PARSE. Other results as s3x__s3_response_headers_add. */
int s3x__s3_response_headers_add_line(struct s3x_s3_response_headers *h, const char *line, size_t len);

/* Drops everything recorded (http_status too); the allocator stays. */
void s3x__s3_response_headers_reset(struct s3x_s3_response_headers *h);
/* Frees everything and zero-fills. A zero-filled struct is accepted. */
void s3x__s3_response_headers_clean_up(struct s3x_s3_response_headers *h);

#endif
