/* Response headers and value grammars: numbers, Content-Range, HTTP and ISO-8601 dates, ETag
 * comparison, and the per-response header record (struct s3x_s3_response_headers).
 *
 * Dates never go through the C library's time zone machinery: a date is turned into days since
 * the epoch by s3x__s3_days_from_civil (Hinnant's days_from_civil), so parsing is pure, thread-
 * safe and independent of TZ. Worked example: "Sun, 06 Nov 1994 08:49:37 GMT":
 * days_from_civil(1994, 11, 6) = 9075, and 9075 * 86400 + 8 * 3600 + 49 * 60 + 37 = 784111777.
 *
 * Header record invariant: a field is set at most once per response (a repeat must carry the
 * same value, else S3X_ERR_PARSE), and a failed add leaves the record as it was.
 */
#include "s3/headers.h"

#include "common/common.h"

#include <s3xfer/checksum.h>

#include <string.h>
#include <strings.h>

/* --- small helpers ---------------------------------------------------------------------------- */

static bool s_is_ows(char c) {
    return c == ' ' || c == '\t';
}

static void s_trim(const char **s, size_t *len) {
    while (*len > 0 && s_is_ows((*s)[0])) {
        ++*s;
        --*len;
    }
    while (*len > 0 && s_is_ows((*s)[*len - 1])) {
        --*len;
    }
}

static bool s_is_digit(char c) {
    return c >= '0' && c <= '9';
}

int s3x__s3_parse_u64(const char *text, size_t len, uint64_t *out) {
    if (out == NULL || (text == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (len == 0) {
        return S3X_ERR_PARSE;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; ++i) {
        if (!s_is_digit(text[i])) {
            return S3X_ERR_PARSE;
        }
        if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(text[i] - '0'), &v)) {
            return S3X_ERR_PARSE;
        }
    }
    *out = v;
    return 0;
}

int s3x__s3_parse_content_length(const char *value, size_t len, uint64_t *out) {
    if (value == NULL && len > 0) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    s_trim(&value, &len);
    return s3x__s3_parse_u64(value, len, out);
}

/* Reads digits at s[*i..) up to `stop` (exclusive) or the end. */
static int s_u64_until(const char *s, size_t len, size_t *i, char stop, uint64_t *out) {
    size_t start = *i;
    while (*i < len && s[*i] != stop) {
        ++*i;
    }
    return s3x__s3_parse_u64(s + start, *i - start, out);
}

int s3x__s3_parse_content_range(const char *value, size_t len, struct s3x_s3_content_range *out) {
    if (out == NULL || (value == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    s_trim(&value, &len);
    if (len < 6 || strncasecmp(value, "bytes", 5) != 0 || value[5] != ' ') {
        return S3X_ERR_PARSE;
    }
    size_t i = 5;
    while (i < len && value[i] == ' ') {
        ++i;
    }
    struct s3x_s3_content_range r = {0};
    if (i < len && value[i] == '*') {
        ++i;
    } else {
        r.has_range = true;
        if (s_u64_until(value, len, &i, '-', &r.first) != 0 || i == len) {
            return S3X_ERR_PARSE;
        }
        ++i;
        if (s_u64_until(value, len, &i, '/', &r.last) != 0 || r.first > r.last) {
            return S3X_ERR_PARSE;
        }
    }
    if (i == len || value[i] != '/') {
        return S3X_ERR_PARSE;
    }
    ++i;
    if (r.has_range && len - i == 1 && value[i] == '*') {
        *out = r; /* total unknown */
        return 0;
    }
    if (s3x__s3_parse_u64(value + i, len - i, &r.total) != 0 || (r.has_range && r.last >= r.total)) {
        return S3X_ERR_PARSE;
    }
    r.has_total = true;
    *out = r;
    return 0;
}

/* --- dates ------------------------------------------------------------------------------------ */

int64_t s3x__s3_days_from_civil(int64_t year, unsigned month, unsigned day) {
    int64_t y = year - (month <= 2 ? 1 : 0);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t m = (int64_t)month;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + (int64_t)day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void s_civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

static unsigned s_days_in_month(int64_t year, unsigned month) {
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static const char *const s_months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
    "Nov", "Dec"};
static const char *const s_wday_short[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const s_wday_long[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday"};

/* A cursor over a value: every reader advances on success and fails without side effects
 * that matter (the whole parse fails). */
struct s_cursor {
    const char *s;
    size_t len;
    size_t i;
};

static bool s_lit(struct s_cursor *c, const char *lit) {
    size_t n = strlen(lit);
    if (c->len - c->i < n || memcmp(c->s + c->i, lit, n) != 0) {
        return false;
    }
    c->i += n;
    return true;
}

static bool s_num(struct s_cursor *c, size_t digits, unsigned *out) {
    if (c->len - c->i < digits) {
        return false;
    }
    unsigned v = 0;
    for (size_t k = 0; k < digits; ++k) {
        char ch = c->s[c->i + k];
        if (!s_is_digit(ch)) {
            return false;
        }
        v = v * 10 + (unsigned)(ch - '0');
    }
    c->i += digits;
    *out = v;
    return true;
}

static bool s_one_of(struct s_cursor *c, const char *const *names, size_t count, unsigned *out) {
    for (size_t k = 0; k < count; ++k) {
        if (s_lit(c, names[k])) {
            *out = (unsigned)k;
            return true;
        }
    }
    return false;
}

static bool s_time(struct s_cursor *c, unsigned *h, unsigned *m, unsigned *s) {
    return s_num(c, 2, h) && s_lit(c, ":") && s_num(c, 2, m) && s_lit(c, ":") && s_num(c, 2, s) && *h <= 23 &&
           *m <= 59 && *s <= 60;
}

struct s_tm {
    int64_t year;
    unsigned month; /* 1..12 */
    unsigned day, hour, min, sec;
};

static int s_epoch(const struct s_tm *t, int64_t *out) {
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > s_days_in_month(t->year, t->month)) {
        return S3X_ERR_PARSE;
    }
    *out = s3x__s3_days_from_civil(t->year, t->month, t->day) * 86400 + (int64_t)t->hour * 3600 +
           (int64_t)t->min * 60 + (int64_t)t->sec;
    return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool s_imf_fixdate(struct s_cursor *c, struct s_tm *t) {
    unsigned wd = 0, mon = 0, y = 0;
    bool ok = s_one_of(c, s_wday_short, 7, &wd) && s_lit(c, ", ") && s_num(c, 2, &t->day) && s_lit(c, " ") &&
              s_one_of(c, s_months, 12, &mon) && s_lit(c, " ") && s_num(c, 4, &y) && s_lit(c, " ") &&
              s_time(c, &t->hour, &t->min, &t->sec) && s_lit(c, " GMT") && c->i == c->len;
    t->month = mon + 1;
    t->year = y;
    return ok;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static bool s_rfc850(struct s_cursor *c, struct s_tm *t) {
    unsigned wd = 0, mon = 0, y = 0;
    bool ok = s_one_of(c, s_wday_long, 7, &wd) && s_lit(c, ", ") && s_num(c, 2, &t->day) && s_lit(c, "-") &&
              s_one_of(c, s_months, 12, &mon) && s_lit(c, "-") && s_num(c, 2, &y) && s_lit(c, " ") &&
              s_time(c, &t->hour, &t->min, &t->sec) && s_lit(c, " GMT") && c->i == c->len;
    t->month = mon + 1;
    t->year = y < 70 ? 2000 + (int64_t)y : 1900 + (int64_t)y;
    return ok;
}

/* "Sun Nov  6 08:49:37 1994" */
static bool s_asctime(struct s_cursor *c, struct s_tm *t) {
    unsigned wd = 0, mon = 0, y = 0;
    bool ok = s_one_of(c, s_wday_short, 7, &wd) && s_lit(c, " ") && s_one_of(c, s_months, 12, &mon) &&
              s_lit(c, " ") && (s_lit(c, " ") ? s_num(c, 1, &t->day) : s_num(c, 2, &t->day)) && s_lit(c, " ") &&
              s_time(c, &t->hour, &t->min, &t->sec) && s_lit(c, " ") && s_num(c, 4, &y) && c->i == c->len;
    t->month = mon + 1;
    t->year = y;
    return ok;
}

int s3x__s3_parse_http_date(const char *value, size_t len, int64_t *out) {
    if (out == NULL || (value == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    s_trim(&value, &len);
    bool (*const forms[])(struct s_cursor *, struct s_tm *) = {s_imf_fixdate, s_rfc850, s_asctime};
    for (size_t k = 0; k < S3X_ARRAY_LEN(forms); ++k) {
        struct s_cursor c = {value, len, 0};
        struct s_tm t = {0};
        if (forms[k](&c, &t)) {
            return s_epoch(&t, out);
        }
    }
    return S3X_ERR_PARSE;
}

int s3x__s3_format_http_date(int64_t epoch_s, char out[S3X_HTTP_DATE_SIZE]) {
    /* 0000-01-01 and 9999-12-31T23:59:59 */
    if (out == NULL || epoch_s < INT64_C(-62167219200) || epoch_s > INT64_C(253402300799)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int64_t days = epoch_s >= 0 ? epoch_s / 86400 : -((-epoch_s + 86399) / 86400);
    int64_t secs = epoch_s - days * 86400;
    int64_t year;
    unsigned month, day;
    s_civil_from_days(days, &year, &month, &day);
    unsigned wday = (unsigned)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    unsigned h = (unsigned)(secs / 3600), m = (unsigned)(secs / 60 % 60), s = (unsigned)(secs % 60);
    char *o = out;
    memcpy(o, s_wday_short[wday], 3);
    o += 3;
    *o++ = ',';
    *o++ = ' ';
    unsigned fields[] = {day, h, m, s};
    o[0] = (char)('0' + fields[0] / 10);
    o[1] = (char)('0' + fields[0] % 10);
    o[2] = ' ';
    o += 3;
    memcpy(o, s_months[month - 1], 3);
    o += 3;
    *o++ = ' ';
    unsigned y = (unsigned)year;
    o[0] = (char)('0' + y / 1000);
    o[1] = (char)('0' + y / 100 % 10);
    o[2] = (char)('0' + y / 10 % 10);
    o[3] = (char)('0' + y % 10);
    o[4] = ' ';
    o += 5;
    for (size_t k = 1; k < 4; ++k) {
        o[0] = (char)('0' + fields[k] / 10);
        o[1] = (char)('0' + fields[k] % 10);
        o[2] = k < 3 ? ':' : ' ';
        o += 3;
    }
    memcpy(o, "GMT", 4);
    return 0;
}

static bool s_lit_ci(struct s_cursor *c, char lit) {
    if (c->i < c->len && (c->s[c->i] == lit || c->s[c->i] == (char)(lit | 0x20))) {
        ++c->i;
        return true;
    }
    return false;
}

/* "Z", "+hh:mm", "-hh:mm", "+hhmm", "-hhmm" -> seconds east of UTC. */
static bool s_zone(struct s_cursor *c, int64_t *offset) {
    if (s_lit_ci(c, 'Z')) {
        *offset = 0;
        return c->i == c->len;
    }
    int64_t sign;
    if (s_lit(c, "+")) {
        sign = 1;
    } else if (s_lit(c, "-")) {
        sign = -1;
    } else {
        return false;
    }
    unsigned h, m;
    if (!s_num(c, 2, &h)) {
        return false;
    }
    s_lit(c, ":");
    if (!s_num(c, 2, &m) || h > 23 || m > 59) {
        return false;
    }
    *offset = sign * ((int64_t)h * 3600 + (int64_t)m * 60);
    return c->i == c->len;
}

int s3x__s3_parse_iso8601(const char *value, size_t len, int64_t *out) {
    if (out == NULL || (value == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    s_trim(&value, &len);
    struct s_cursor c = {value, len, 0};
    struct s_tm t = {0};
    unsigned y = 0;
    if (!(s_num(&c, 4, &y) && s_lit(&c, "-") && s_num(&c, 2, &t.month) && s_lit(&c, "-") && s_num(&c, 2, &t.day) &&
            s_lit_ci(&c, 'T') && s_time(&c, &t.hour, &t.min, &t.sec))) {
        return S3X_ERR_PARSE;
    }
    t.year = y;
    if (s_lit(&c, ".")) {
        size_t start = c.i;
        while (c.i < c.len && s_is_digit(c.s[c.i])) {
            ++c.i;
        }
        if (c.i == start) {
            return S3X_ERR_PARSE;
        }
    }
    int64_t offset;
    int64_t local;
    if (!s_zone(&c, &offset) || s_epoch(&t, &local) != 0) {
        return S3X_ERR_PARSE;
    }
    *out = local - offset;
    return 0;
}

/* --- ETags ------------------------------------------------------------------------------------ */

static void s_etag_opaque(const char *e, const char **s, size_t *len) {
    size_t n = strlen(e);
    if (n >= 2 && e[0] == 'W' && e[1] == '/') {
        e += 2;
        n -= 2;
    }
    if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
        e += 1;
        n -= 2;
    }
    *s = e;
    *len = n;
}

bool s3x__s3_etag_equal(const char *a, const char *b) {
    if (a == NULL || b == NULL) {
        return false;
    }
    const char *sa, *sb;
    size_t la, lb;
    s_etag_opaque(a, &sa, &la);
    s_etag_opaque(b, &sb, &lb);
    return la == lb && memcmp(sa, sb, la) == 0;
}

/* --- the header record ------------------------------------------------------------------------ */

void s3x__s3_response_headers_init(struct s3x_s3_response_headers *h, struct s3x_allocator *allocator) {
    memset(h, 0, sizeof(*h));
    h->allocator = allocator;
}

static void s_free_strings(struct s3x_s3_response_headers *h) {
    struct s3x_allocator *a = h->allocator;
    char **strings[] = {&h->etag, &h->last_modified_raw, &h->request_id, &h->id_2, &h->version_id,
        &h->checksums.crc32, &h->checksums.crc32c, &h->checksums.crc64nvme, &h->checksums.sha1,
        &h->checksums.sha256, &h->checksums.type};
    for (size_t k = 0; k < S3X_ARRAY_LEN(strings); ++k) {
        s3x_mem_release(a, *strings[k]);
        *strings[k] = NULL;
    }
}

void s3x__s3_response_headers_reset(struct s3x_s3_response_headers *h) {
    if (h == NULL) {
        return;
    }
    struct s3x_allocator *a = h->allocator;
    s_free_strings(h);
    s3x__s3_response_headers_init(h, a);
}

void s3x__s3_response_headers_clean_up(struct s3x_s3_response_headers *h) {
    if (h == NULL) {
        return;
    }
    s_free_strings(h);
    memset(h, 0, sizeof(*h));
}

static bool s_name_is(const char *name, size_t len, const char *want) {
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* Sets *slot to a copy of value, or checks a repeat carries the same value. */
static int s_set_string(struct s3x_s3_response_headers *h, char **slot, const char *value, size_t len) {
    if (*slot != NULL) {
        return strlen(*slot) == len && memcmp(*slot, value, len) == 0 ? 0 : S3X_ERR_PARSE;
    }
    char *copy = s3x_mem_strndup(h->allocator, value, len);
    if (copy == NULL) {
        return S3X_ERR_OOM;
    }
    *slot = copy;
    return 0;
}

static bool s_has_control(const char *s, size_t len) {
    for (size_t k = 0; k < len; ++k) {
        unsigned char c = (unsigned char)s[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return true;
        }
    }
    return false;
}

static char **s_checksum_slot(struct s3x_s3_checksums *c, enum s3x_checksum_algorithm alg) {
    switch (alg) {
    case S3X_CHECKSUM_CRC32: return &c->crc32;
    case S3X_CHECKSUM_CRC32C: return &c->crc32c;
    case S3X_CHECKSUM_CRC64NVME: return &c->crc64nvme;
    case S3X_CHECKSUM_SHA1: return &c->sha1;
    case S3X_CHECKSUM_SHA256: return &c->sha256;
    default: return NULL;
    }
}

static int s_add_number(struct s3x_s3_response_headers *h, const char *name, size_t nlen, const char *v, size_t vlen) {
    if (s_name_is(name, nlen, "content-length")) {
        uint64_t n;
        if (s3x__s3_parse_u64(v, vlen, &n) != 0 || (h->has_content_length && h->content_length != n)) {
            return S3X_ERR_PARSE;
        }
        h->has_content_length = true;
        h->content_length = n;
        return 0;
    }
    if (s_name_is(name, nlen, "content-range")) {
        struct s3x_s3_content_range r;
        if (s3x__s3_parse_content_range(v, vlen, &r) != 0 ||
            (h->has_content_range && memcmp(&r, &h->content_range, sizeof(r)) != 0)) {
            return S3X_ERR_PARSE;
        }
        h->has_content_range = true;
        h->content_range = r;
        return 0;
    }
    /* x-amz-mp-parts-count */
    uint64_t n;
    if (s3x__s3_parse_u64(v, vlen, &n) != 0 || n > UINT32_MAX || (h->has_parts_count && h->parts_count != n)) {
        return S3X_ERR_PARSE;
    }
    h->has_parts_count = true;
    h->parts_count = (uint32_t)n;
    return 0;
}

static int s_add_last_modified(struct s3x_s3_response_headers *h, const char *v, size_t vlen) {
    int rc = s_set_string(h, &h->last_modified_raw, v, vlen);
    if (rc == 0 && !h->has_last_modified) {
        h->has_last_modified = s3x__s3_parse_http_date(v, vlen, &h->last_modified) == 0;
        if (!h->has_last_modified) {
            S3X_LOG_DEBUGF("s3", "ignoring a malformed Last-Modified (%zu bytes)", vlen);
        }
    }
    return rc;
}

int s3x__s3_response_headers_add(struct s3x_s3_response_headers *h, const char *name, size_t name_len,
    const char *value, size_t value_len) {
    if (h == NULL || name == NULL || (value == NULL && value_len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    s_trim(&value, &value_len);
    if (s_has_control(value, value_len)) {
        return S3X_ERR_PARSE;
    }
    if (s_name_is(name, name_len, "content-length") || s_name_is(name, name_len, "content-range") ||
        s_name_is(name, name_len, "x-amz-mp-parts-count")) {
        return s_add_number(h, name, name_len, value, value_len);
    }
    if (s_name_is(name, name_len, "etag")) {
        return value_len == 0 ? S3X_ERR_PARSE : s_set_string(h, &h->etag, value, value_len);
    }
    if (s_name_is(name, name_len, "last-modified")) {
        return s_add_last_modified(h, value, value_len);
    }
    if (s_name_is(name, name_len, "x-amz-request-id")) {
        return s_set_string(h, &h->request_id, value, value_len);
    }
    if (s_name_is(name, name_len, "x-amz-id-2")) {
        return s_set_string(h, &h->id_2, value, value_len);
    }
    if (s_name_is(name, name_len, "x-amz-version-id")) {
        return s_set_string(h, &h->version_id, value, value_len);
    }
    if (s_name_is(name, name_len, "x-amz-checksum-type")) {
        return s_set_string(h, &h->checksums.type, value, value_len);
    }
    enum s3x_checksum_algorithm alg;
    if (s3x_checksum_algorithm_from_header(name, name_len, &alg) == 0) {
        struct s3x_checksum_value parsed;
        char **slot = s_checksum_slot(&h->checksums, alg);
        if (slot == NULL || s3x_checksum_value_parse(alg, value, value_len, &parsed) != 0) {
            return S3X_ERR_PARSE;
        }
        return s_set_string(h, slot, value, value_len);
    }
    return 0;
}

static int s_status_line(struct s3x_s3_response_headers *h, const char *line, size_t len) {
    size_t i = 5; /* past "HTTP/" */
    while (i < len && line[i] != ' ') {
        ++i;
    }
    if (len - i < 4 || !s_is_digit(line[i + 1]) || !s_is_digit(line[i + 2]) || !s_is_digit(line[i + 3]) ||
        (len - i > 4 && line[i + 4] != ' ')) {
        return S3X_ERR_PARSE;
    }
    int status = (line[i + 1] - '0') * 100 + (line[i + 2] - '0') * 10 + (line[i + 3] - '0');
    s3x__s3_response_headers_reset(h);
    h->http_status = status;
    return 0;
}

int s3x__s3_response_headers_add_line(struct s3x_s3_response_headers *h, const char *line, size_t len) {
    if (h == NULL || (line == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        --len;
    }
    if (len == 0 || s_is_ows(line[0])) {
        return 0; /* end of the headers, or an obsolete continuation line */
    }
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        return s_status_line(h, line, len);
    }
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line || s_is_ows(colon[-1])) {
        return S3X_ERR_PARSE;
    }
    size_t name_len = (size_t)(colon - line);
    return s3x__s3_response_headers_add(h, line, name_len, colon + 1, len - name_len - 1);
}
