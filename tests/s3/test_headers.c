/* Tests of the response header parsing (src/s3/headers.c): value grammars, dates, ETags and the
 * per-response header record, with header blocks captured from the Swift test server. */
#include "harness.h"

#include "common/common.h"
#include "s3/headers.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void test_u64_and_content_length(void **state) {
    (void)state;
    uint64_t v = 1;
    assert_int_equal(s3x__s3_parse_u64("0", 1, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(s3x__s3_parse_u64("18446744073709551615", 20, &v), 0);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(s3x__s3_parse_u64("18446744073709551616", 20, &v), S3X_ERR_PARSE);
    assert_int_equal(s3x__s3_parse_u64("", 0, &v), S3X_ERR_PARSE);
    assert_int_equal(s3x__s3_parse_u64(" 1", 2, &v), S3X_ERR_PARSE);
    assert_int_equal(s3x__s3_parse_u64("12", 1, &v), 0); /* only len bytes are read */
    assert_int_equal(v, 1);
    assert_int_equal(s3x__s3_parse_u64(NULL, 0, &v), S3X_ERR_PARSE);
    assert_int_equal(s3x__s3_parse_u64(NULL, 1, &v), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__s3_parse_u64("1", 1, NULL), S3X_ERR_INVALID_ARGUMENT);

    assert_int_equal(s3x__s3_parse_content_length(" \t5242880 ", 10, &v), 0);
    assert_int_equal(v, 5242880);
    const char *bad[] = {"", "-1", "+1", "1,1", "5, 5", "0x5", "1e9", "99999999999999999999", "1 2"};
    for (size_t i = 0; i < S3X_ARRAY_LEN(bad); ++i) {
        if (s3x__s3_parse_content_length(bad[i], strlen(bad[i]), &v) != S3X_ERR_PARSE) {
            fail_msg("Content-Length \"%s\" accepted", bad[i]);
        }
    }
}

static void test_content_range(void **state) {
    (void)state;
    static const struct {
        const char *value;
        int rc;
        bool has_range, has_total;
        uint64_t first, last, total;
    } cases[] = {
        {"bytes 0-3/11", 0, true, true, 0, 3, 11},
        {"bytes 0-0/1", 0, true, true, 0, 0, 1},
        {"  BYTES   10-19/20 ", 0, true, true, 10, 19, 20},
        {"bytes 0-99/*", 0, true, false, 0, 99, 0},
        {"bytes */1000", 0, false, true, 0, 0, 1000},
        {"bytes */0", 0, false, true, 0, 0, 0},
        {"bytes 5368709120-5368709121/5497558138880", 0, true, true, UINT64_C(5368709120), UINT64_C(5368709121),
            UINT64_C(5497558138880)},
        {"bytes 0-18446744073709551614/18446744073709551615", 0, true, true, 0, UINT64_MAX - 1, UINT64_MAX},
        {"bytes 3-2/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},      /* first > last */
        {"bytes 0-10/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},     /* last >= total */
        {"bytes 0-0/0", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes */*", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes 0-1", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes 0-/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes -5/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes 0-1/", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes 0-1/1x", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes 0 - 1/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes=0-1/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"items 0-1/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes 0-1/18446744073709551616", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes 0-1/10/10", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
        {"bytes */10 ", 0, false, true, 0, 0, 10},
        {"bytes 0-1/*x", S3X_ERR_PARSE, 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(cases); ++i) {
        struct s3x_s3_content_range r;
        memset(&r, 0xAB, sizeof(r));
        int rc = s3x__s3_parse_content_range(cases[i].value, strlen(cases[i].value), &r);
        if (rc != cases[i].rc) {
            fail_msg("\"%s\": %s", cases[i].value, s3x_error_name(rc));
        }
        if (rc == 0) {
            assert_int_equal(r.has_range, cases[i].has_range);
            assert_int_equal(r.has_total, cases[i].has_total);
            assert_int_equal(r.first, cases[i].first);
            assert_int_equal(r.last, cases[i].last);
            assert_int_equal(r.total, cases[i].total);
        } else {
            assert_false(r.has_range);
            assert_false(r.has_total);
        }
    }
    assert_int_equal(s3x__s3_parse_content_range("x", 1, NULL), S3X_ERR_INVALID_ARGUMENT);
}

static void test_http_dates(void **state) {
    (void)state;
    static const struct {
        const char *value;
        int rc;
        int64_t epoch;
    } cases[] = {
        {"Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 0, 784111777},
        {"Sun Nov  6 08:49:37 1994", 0, 784111777},
        {"Sun Nov 16 08:49:37 1994", 0, 784975777},
        {"Wed, 25 Nov 2026 14:08:49 GMT", 0, 1795615729},
        {" Thu, 01 Jan 1970 00:00:00 GMT\t", 0, 0},
        {"Wed, 31 Dec 1969 23:59:59 GMT", 0, -1},
        {"Thu, 29 Feb 2024 12:00:00 GMT", 0, 1709208000},
        {"Fri, 31 Dec 9999 23:59:59 GMT", 0, INT64_C(253402300799)},
        {"Tuesday, 01-Jan-69 00:00:00 GMT", 0, INT64_C(3124224000)}, /* 2069 */
        {"Wednesday, 01-Jan-70 00:00:00 GMT", 0, 0},
        {"Sat, 31 Dec 2016 23:59:60 GMT", 0, 1483228800},              /* a leap second */
        {"Mon, 06 Nov 1994 08:49:37 GMT", 0, 784111777},               /* weekday not checked */
        {"Sun, 06 Nov 1994 08:49:37 UTC", S3X_ERR_PARSE, 0},
        {"Sun, 06 Nov 1994 08:49:37", S3X_ERR_PARSE, 0},
        {"Sun, 6 Nov 1994 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"sun, 06 Nov 1994 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"Sun, 06 nov 1994 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"Xyz, 06 Nov 1994 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"Sun, 31 Nov 1994 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"Thu, 29 Feb 2023 12:00:00 GMT", S3X_ERR_PARSE, 0},
        {"Thu, 29 Feb 1900 12:00:00 GMT", S3X_ERR_PARSE, 0},
        {"Sun, 00 Nov 1994 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"Sun, 06 Nov 1994 24:00:00 GMT", S3X_ERR_PARSE, 0},
        {"Sun, 06 Nov 1994 08:60:00 GMT", S3X_ERR_PARSE, 0},
        {"Sun, 06 Nov 1994 08:49:61 GMT", S3X_ERR_PARSE, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT x", S3X_ERR_PARSE, 0},
        {"Sun, 06 Nov 94 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"Sun Nov 6 08:49:37 1994", S3X_ERR_PARSE, 0},
        {"Sun, 06-Nov-94 08:49:37 GMT", S3X_ERR_PARSE, 0},
        {"1994-11-06T08:49:37Z", S3X_ERR_PARSE, 0},
        {"", S3X_ERR_PARSE, 0},
        {"Sun, 06 Nov 1994 08:49:3", S3X_ERR_PARSE, 0},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(cases); ++i) {
        int64_t t = 42;
        int rc = s3x__s3_parse_http_date(cases[i].value, strlen(cases[i].value), &t);
        if (rc != cases[i].rc || (rc == 0 && t != cases[i].epoch)) {
            fail_msg("\"%s\": %s, %lld", cases[i].value, s3x_error_name(rc), (long long)t);
        }
    }
    assert_int_equal(s3x__s3_parse_http_date("x", 1, NULL), S3X_ERR_INVALID_ARGUMENT);
}

static void test_format_http_date(void **state) {
    (void)state;
    char out[S3X_HTTP_DATE_SIZE];
    assert_int_equal(s3x__s3_format_http_date(784111777, out), 0);
    assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_int_equal(s3x__s3_format_http_date(0, out), 0);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_int_equal(s3x__s3_format_http_date(-1, out), 0);
    assert_string_equal(out, "Wed, 31 Dec 1969 23:59:59 GMT");
    assert_int_equal(s3x__s3_format_http_date(INT64_C(-62167219200), out), 0);
    assert_string_equal(out, "Sat, 01 Jan 0000 00:00:00 GMT");
    assert_int_equal(s3x__s3_format_http_date(INT64_C(253402300799), out), 0);
    assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    assert_int_equal(s3x__s3_format_http_date(INT64_C(253402300800), out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__s3_format_http_date(INT64_C(-62167219201), out), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__s3_format_http_date(0, NULL), S3X_ERR_INVALID_ARGUMENT);

    /* Against the C library (glibc's gmtime_r and strftime in the C locale) over a spread of
     * instants from year 1000 (strftime does not pad %Y to 4 digits below it) to 9999, and round
     * trip through the parser. */
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = (int64_t)(x % UINT64_C(284012524800)) - INT64_C(30610224000);
        assert_int_equal(s3x__s3_format_http_date(t, out), 0);
        time_t tt = (time_t)t;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        char want[64];
        strftime(want, sizeof(want), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        assert_string_equal(out, want);
        int64_t back = 0;
        assert_int_equal(s3x__s3_parse_http_date(out, strlen(out), &back), 0);
        assert_int_equal(back, t);
    }
}

static void test_iso8601(void **state) {
    (void)state;
    static const struct {
        const char *value;
        int rc;
        int64_t epoch;
    } cases[] = {
        {"2009-10-12T17:50:30.000Z", 0, 1255369830},
        {"2009-10-12T17:50:30Z", 0, 1255369830},
        {"2009-10-12t17:50:30.123456789z", 0, 1255369830},
        {"2009-10-12T17:50:30.9Z", 0, 1255369830}, /* the fraction is dropped, not rounded */
        {"2009-10-12T19:50:30+02:00", 0, 1255369830},
        {"2009-10-12T15:20:30-0230", 0, 1255369830},
        {" 2009-10-12T17:50:30.000Z \t", 0, 1255369830},
        {"\n2009-10-12T17:50:30.000Z", S3X_ERR_PARSE, 0}, /* XML whitespace is the caller's to trim */
        {"1970-01-01T00:00:00Z", 0, 0},
        {"0000-03-01T00:00:00Z", 0, INT64_C(-62162035200)},
        {"2000-02-29T00:00:00Z", 0, 951782400},
        {"2009-10-12T17:50:30", S3X_ERR_PARSE, 0},
        {"2009-10-12T17:50:30.Z", S3X_ERR_PARSE, 0},
        {"2009-10-12 17:50:30Z", S3X_ERR_PARSE, 0},
        {"2009-10-12T17:50Z", S3X_ERR_PARSE, 0},
        {"2009-1-12T17:50:30Z", S3X_ERR_PARSE, 0},
        {"2009-13-12T17:50:30Z", S3X_ERR_PARSE, 0},
        {"2009-00-12T17:50:30Z", S3X_ERR_PARSE, 0},
        {"2009-02-29T17:50:30Z", S3X_ERR_PARSE, 0},
        {"2009-10-12T24:00:00Z", S3X_ERR_PARSE, 0},
        {"2009-10-12T17:50:30+24:00", S3X_ERR_PARSE, 0},
        {"2009-10-12T17:50:30+01:60", S3X_ERR_PARSE, 0},
        {"2009-10-12T17:50:30+1", S3X_ERR_PARSE, 0},
        {"2009-10-12T17:50:30ZZ", S3X_ERR_PARSE, 0},
        {"2009-10-12T17:50:30.000Z junk", S3X_ERR_PARSE, 0},
        {"+2009-10-12T17:50:30Z", S3X_ERR_PARSE, 0},
        {"", S3X_ERR_PARSE, 0},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(cases); ++i) {
        int64_t t = 42;
        int rc = s3x__s3_parse_iso8601(cases[i].value, strlen(cases[i].value), &t);
        if (rc != cases[i].rc || (rc == 0 && t != cases[i].epoch)) {
            fail_msg("\"%s\": %s, %lld", cases[i].value, s3x_error_name(rc), (long long)t);
        }
    }
    assert_int_equal(s3x__s3_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(s3x__s3_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(s3x__s3_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(s3x__s3_days_from_civil(-1, 12, 31), -719529);
}

static void test_etag_equal(void **state) {
    (void)state;
    assert_true(s3x__s3_etag_equal("\"abc\"", "\"abc\""));
    assert_true(s3x__s3_etag_equal("\"abc\"", "abc"));
    assert_true(s3x__s3_etag_equal("W/\"abc\"", "\"abc\""));
    assert_true(s3x__s3_etag_equal("\"4b6d33fe448ab13e30c721ebec088267-2\"", "4b6d33fe448ab13e30c721ebec088267-2"));
    assert_true(s3x__s3_etag_equal("\"\"", ""));
    assert_false(s3x__s3_etag_equal("\"abc\"", "\"abd\""));
    assert_false(s3x__s3_etag_equal("\"abc\"", "\"ABC\""));
    assert_false(s3x__s3_etag_equal("\"abc\"", "\"abc"));
    assert_false(s3x__s3_etag_equal("\"abc-1\"", "\"abc\""));
    assert_false(s3x__s3_etag_equal("\"\"abc\"\"", "abc"));
    assert_false(s3x__s3_etag_equal(NULL, "a"));
    assert_false(s3x__s3_etag_equal("a", NULL));
}

/* A ranged GET answered by the Swift test server, as libcurl hands the lines over. */
static const char *const s_swift_range_lines[] = {
    "HTTP/1.1 206 Partial Content\r\n",
    "Content-Type: binary/octet-stream\r\n",
    "ETag: \"68a0697b83411b6cb6b7fe791c4cef7b\"\r\n",
    "Last-Modified: Wed, 25 Nov 2026 14:08:49 GMT\r\n",
    "Content-Range: bytes 0-3/11\r\n",
    "Content-Length: 4\r\n",
    "x-amz-id-2: txd7519eef915e4a1eb62ad-006b06ebf0\r\n",
    "x-amz-request-id: txd7519eef915e4a1eb62ad-006b06ebf0\r\n",
    "X-Trans-Id: txd7519eef915e4a1eb62ad-006b06ebf0\r\n",
    "X-Openstack-Request-Id: txd7519eef915e4a1eb62ad-006b06ebf0\r\n",
    "Date: Wed, 25 Nov 2026 14:08:48 GMT\r\n",
    "\r\n",
};

static void test_response_headers_swift(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_response_headers h;
    s3x__s3_response_headers_init(&h, a);
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_swift_range_lines); ++i) {
        const char *l = s_swift_range_lines[i];
        assert_int_equal(s3x__s3_response_headers_add_line(&h, l, strlen(l)), 0);
    }
    assert_int_equal(h.http_status, 206);
    assert_true(h.has_content_length);
    assert_int_equal(h.content_length, 4);
    assert_true(h.has_content_range);
    assert_true(h.content_range.has_range);
    assert_int_equal(h.content_range.first, 0);
    assert_int_equal(h.content_range.last, 3);
    assert_int_equal(h.content_range.total, 11);
    assert_string_equal(h.etag, "\"68a0697b83411b6cb6b7fe791c4cef7b\"");
    assert_true(h.has_last_modified);
    assert_int_equal(h.last_modified, 1795615729);
    assert_string_equal(h.last_modified_raw, "Wed, 25 Nov 2026 14:08:49 GMT");
    assert_string_equal(h.request_id, "txd7519eef915e4a1eb62ad-006b06ebf0");
    assert_string_equal(h.id_2, "txd7519eef915e4a1eb62ad-006b06ebf0");
    assert_null(h.version_id);
    assert_null(h.checksums.crc32c);
    assert_false(h.has_parts_count);
    s3x__s3_response_headers_clean_up(&h);
    assert_null(h.etag);
    s3x__s3_response_headers_clean_up(&h);
    s3x__s3_response_headers_clean_up(NULL);
}

static void test_response_headers_aws(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_response_headers h;
    s3x__s3_response_headers_init(&h, a);
    /* A 100 Continue block first: the second status line starts over. */
    const char *lines[] = {
        "HTTP/1.1 100 Continue\r\n",
        "ETag: \"stale\"\r\n",
        "\r\n",
        "HTTP/2 200\r\n",
        "x-amz-id-2: Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==\r\n",
        "X-AMZ-REQUEST-ID: 0A49CE4060975EAC\r\n",
        "x-amz-version-id: 3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo\r\n",
        "x-amz-checksum-crc32c: 4waSgw==\r\n",
        "x-amz-checksum-sha256: 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\r\n",
        "x-amz-checksum-crc64nvme: AAAAAAAAAAA=\r\n",
        "x-amz-checksum-crc32: AAAAAA==-3\r\n",
        "x-amz-checksum-sha1: 2jmj7l5rSw0yVb/vlWAYkK/YBwk=\r\n",
        "x-amz-checksum-type: COMPOSITE\r\n",
        "x-amz-checksum-mode: ENABLED\r\n",
        "x-amz-mp-parts-count: 3\r\n",
        "ETag:\"d41d8cd98f00b204e9800998ecf8427e-3\"\n",
        "Content-Length: 5497558138880\r\n",
        "Last-Modified: yesterday\r\n",
        "  folded continuation\r\n",
        "\tanother\r\n",
        "Server: AmazonS3\r\n",
        "\r\n",
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(lines); ++i) {
        int rc = s3x__s3_response_headers_add_line(&h, lines[i], strlen(lines[i]));
        if (rc != 0) {
            fail_msg("line %zu: %s", i, s3x_error_name(rc));
        }
    }
    assert_int_equal(h.http_status, 200);
    assert_string_equal(h.etag, "\"d41d8cd98f00b204e9800998ecf8427e-3\"");
    assert_string_equal(h.request_id, "0A49CE4060975EAC");
    assert_string_equal(h.id_2, "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==");
    assert_string_equal(h.version_id, "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo");
    assert_string_equal(h.checksums.crc32c, "4waSgw==");
    assert_string_equal(h.checksums.sha256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    assert_string_equal(h.checksums.crc64nvme, "AAAAAAAAAAA=");
    assert_string_equal(h.checksums.crc32, "AAAAAA==-3");
    assert_string_equal(h.checksums.sha1, "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    assert_string_equal(h.checksums.type, "COMPOSITE");
    assert_true(h.has_parts_count);
    assert_int_equal(h.parts_count, 3);
    assert_int_equal(h.content_length, UINT64_C(5497558138880));
    assert_false(h.has_content_range);
    /* A malformed Last-Modified decides nothing: kept raw, no date. */
    assert_false(h.has_last_modified);
    assert_string_equal(h.last_modified_raw, "yesterday");

    /* Repeats must agree. */
    assert_int_equal(s3x__s3_response_headers_add(&h, "etag", 4, "\"d41d8cd98f00b204e9800998ecf8427e-3\"", 36), 0);
    assert_int_equal(s3x__s3_response_headers_add(&h, "ETag", 4, "\"other\"", 7), S3X_ERR_PARSE);
    assert_int_equal(s3x__s3_response_headers_add(&h, "Content-Length", 14, "5497558138880", 13), 0);
    assert_int_equal(s3x__s3_response_headers_add(&h, "Content-Length", 14, "5", 1), S3X_ERR_PARSE);
    assert_int_equal(h.content_length, UINT64_C(5497558138880));
    assert_int_equal(s3x__s3_response_headers_add(&h, "x-amz-checksum-crc32c", 21, "AAAAAA==", 8), S3X_ERR_PARSE);
    assert_string_equal(h.checksums.crc32c, "4waSgw==");

    /* A new status line drops everything. */
    assert_int_equal(s3x__s3_response_headers_add_line(&h, "HTTP/1.1 404 Not Found\r\n", 24), 0);
    assert_int_equal(h.http_status, 404);
    assert_null(h.etag);
    assert_false(h.has_content_length);
    assert_null(h.checksums.crc32c);
    assert_ptr_equal(h.allocator, a);
    s3x__s3_response_headers_clean_up(&h);
}

static void test_response_headers_rejects(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_response_headers h;
    s3x__s3_response_headers_init(&h, a);
    const char *bad[] = {
        "Content-Length: -1",
        "Content-Length: 12abc",
        "content-length: 99999999999999999999999",
        "Content-Range: bytes 5-4/10",
        "Content-Range: bytes 0-10/10",
        "ETag: ",
        "ETag: \"a\x01\"",
        "x-amz-checksum-crc32c: 4waSgw",       /* not padded */
        "x-amz-checksum-crc32c: AAAAAAAA",     /* 6 bytes, not 4 */
        "x-amz-checksum-sha256: 4waSgw==",     /* 4 bytes, not 32 */
        "x-amz-checksum-crc32: AAAAAA==-0",
        "x-amz-checksum-crc32: AAAAAA==-x",
        "x-amz-mp-parts-count: 4294967296",
        "x-amz-mp-parts-count: two",
        "no colon here",
        ": no name",
        "Name : space before the colon",
        "HTTP/1.1 20 OK",
        "HTTP/1.1 2000 OK",
        "HTTP/1.1",
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(bad); ++i) {
        int rc = s3x__s3_response_headers_add_line(&h, bad[i], strlen(bad[i]));
        if (rc != S3X_ERR_PARSE) {
            fail_msg("\"%s\": %s", bad[i], s3x_error_name(rc));
        }
    }
    /* Nothing was recorded by the failures. */
    assert_false(h.has_content_length);
    assert_false(h.has_content_range);
    assert_null(h.etag);
    assert_null(h.checksums.crc32c);
    assert_false(h.has_parts_count);
    assert_int_equal(h.http_status, 0);
    /* Control bytes are refused in any value; otherwise untracked headers are ignored, and an
     * empty line or value is fine. */
    assert_int_equal(s3x__s3_response_headers_add_line(&h, "X-Whatever: \x01", 13), S3X_ERR_PARSE);
    assert_int_equal(s3x__s3_response_headers_add_line(&h, "X-Whatever: anything at all", 27), 0);
    assert_int_equal(s3x__s3_response_headers_add_line(&h, "x-amz-request-id:", 17), 0);
    assert_string_equal(h.request_id, "");
    assert_int_equal(s3x__s3_response_headers_add_line(&h, "", 0), 0);
    assert_int_equal(s3x__s3_response_headers_add_line(&h, NULL, 0), 0);
    assert_int_equal(s3x__s3_response_headers_add_line(NULL, "a: b", 4), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__s3_response_headers_add(&h, NULL, 0, "b", 1), S3X_ERR_INVALID_ARGUMENT);
    s3x__s3_response_headers_clean_up(&h);
}

static int s_headers_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_s3_response_headers h;
    s3x__s3_response_headers_init(&h, a);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < S3X_ARRAY_LEN(s_swift_range_lines); ++i) {
        rc = s3x__s3_response_headers_add_line(&h, s_swift_range_lines[i], strlen(s_swift_range_lines[i]));
    }
    const char *more = "x-amz-checksum-crc32c: 4waSgw==";
    if (rc == 0) {
        rc = s3x__s3_response_headers_add_line(&h, more, strlen(more));
    }
    if (rc == 0) {
        assert_string_equal(h.checksums.crc32c, "4waSgw==");
    } else {
        assert_int_equal(rc, S3X_ERR_OOM);
    }
    s3x__s3_response_headers_clean_up(&h);
    return rc;
}

static void test_response_headers_fail_nth(void **state) {
    /* etag, last-modified, id-2, request-id, checksum: five copies. */
    assert_int_equal(s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_headers_block, NULL, 0), 5);
}

static const struct CMUnitTest tests[] = {
    S3X_TEST(test_u64_and_content_length),
    S3X_TEST(test_content_range),
    S3X_TEST(test_http_dates),
    S3X_TEST(test_format_http_date),
    S3X_TEST(test_iso8601),
    S3X_TEST(test_etag_equal),
    S3X_TEST(test_response_headers_swift),
    S3X_TEST(test_response_headers_aws),
    S3X_TEST(test_response_headers_rejects),
    S3X_TEST(test_response_headers_fail_nth),
};

int main(int argc, char **argv) {
    return S3X_TEST_MAIN(argc, argv, "s3_headers", tests);
}
