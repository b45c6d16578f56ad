/* SigV4 unit tests: input validation, canonicalisation details the suites do not cover, the
 * signing-key cache (also under threads), secrets kept out of logs, fail-the-Nth sweeps. */
#include "signing_tests.h"

#include "common/common.h"
#include "http/credentials.h"
#include "http/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_AKID "AKIDEXAMPLE"
#define S_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S_TOKEN "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicR+="
#define S_TIME 1440938160 /* 2015-08-30T12:36:00Z */

static struct s3x_credentials *s_creds(struct s3x_allocator *a, const char *id, const char *secret, const char *token) {
    struct s3x_credentials *c = NULL;
    assert_int_equal(s3x_credentials_new(a, id, secret, token, &c), 0);
    return c;
}

static const struct s3x_sigv4_header s_host_only[] = {{"Host", "127.0.0.1:8080"}};

static struct s3x_sigv4_request s_get(void) {
    return (struct s3x_sigv4_request){
        .method = "GET",
        .path = "/bucket/key.txt",
        .headers = s_host_only,
        .header_count = 1,
        .payload_hash = S3X_SIGV4_EMPTY_SHA256,
    };
}

static struct s3x_sigv4_config s_cfg(void) {
    return (struct s3x_sigv4_config){.region = "us-east-1", .time_s = S_TIME, .keep_canonical_request = true};
}

/* Reference signing key with OpenSSL's one-shot HMAC(), independent of sigv4_key.c. */
static void s_ref_signing_key(const char *secret, const char *date8, const char *region, const char *service,
    unsigned char key[32]) {
    size_t n = strlen(secret) + 4;
    char *k0 = malloc(n);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, n - 4);
    unsigned char a[32], b[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), k0, (int)n, (const unsigned char *)date8, strlen(date8), a, &len);
    HMAC(EVP_sha256(), a, 32, (const unsigned char *)region, strlen(region), b, &len);
    HMAC(EVP_sha256(), b, 32, (const unsigned char *)service, strlen(service), a, &len);
    HMAC(EVP_sha256(), a, 32, (const unsigned char *)"aws4_request", 12, key, &len);
    free(k0);
}

static void s_ref_signature(const char *secret, const char *sts, char hex[65]) {
    unsigned char key[32], sig[32];
    unsigned int len = 0;
    s_ref_signing_key(secret, "20150830", "us-east-1", "s3", key);
    HMAC(EVP_sha256(), key, 32, (const unsigned char *)sts, strlen(sts), sig, &len);
    for (int i = 0; i < 32; ++i) {
        snprintf(hex + 2 * i, 3, "%02x", sig[i]);
    }
}

static void test_sha256_hex(void **state) {
    (void)state;
    char hex[65];
    assert_int_equal(s3x__sha256_hex("", 0, hex), 0);
    assert_string_equal(hex, S3X_SIGV4_EMPTY_SHA256);
    assert_int_equal(s3x__sha256_hex("Hello, World!", 13, hex), 0);
    assert_string_equal(hex, "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f");
}

/* Secrets of every length agree with OpenSSL's HMAC(), including those longer than the 64-byte
 * HMAC block (hashed first), with and without the cache. */
static void test_secret_lengths(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_sigv4_key_cache *cache = NULL;
    assert_int_equal(s3x__sigv4_key_cache_new(a, &cache), 0);
    char secret[201];
    for (size_t len = 1; len <= 200; len += (len < 70 ? 1 : 13)) {
        for (size_t i = 0; i < len; ++i) {
            secret[i] = (char)('!' + (i * 7 + len) % 90);
        }
        secret[len] = '\0';
        struct s3x_credentials *c = s_creds(a, S_AKID, secret, NULL);
        struct s3x_sigv4_request req = s_get();
        struct s3x_sigv4_config cfg = s_cfg();
        for (int pass = 0; pass < 2; ++pass) {
            cfg.key_cache = pass ? cache : NULL;
            struct s3x_sigv4_result r;
            assert_int_equal(s3x__sigv4_sign(a, &req, c, &cfg, &r), 0);
            char want[65];
            s_ref_signature(secret, r.string_to_sign, want);
            if (strcmp(want, r.signature) != 0) {
                fail_msg("secret of %zu bytes: signature %s, expected %s", len, r.signature, want);
            }
            s3x__sigv4_result_clean_up(&r);
        }
        s3x_credentials_release(c);
    }
    s3x__sigv4_key_cache_destroy(cache);
}

/* Canonical forms the suites leave out. */
static void test_canonical_details(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_credentials *c = s_creds(a, "test:tester", "testing", NULL);
    const struct s3x_sigv4_header headers[] = {
        {"X-Amz-Meta-B", "\t two  \t words\t "},
        {"host", "h.example"},
        {"x-amz-meta-a", "1"},
        {"X-AMZ-META-A", " 2 "},
        {"User-Agent", "s3xfer/0.1"},       /* never signed */
        {"Transfer-Encoding", "chunked"},   /* never signed */
        {"Content-Type", ""},               /* empty value: signed as "content-type:" */
    };
    struct s3x_sigv4_request req = {
        .method = "PUT",
        .path = "/b/%E2%82%AC//x/./y",
        .query = "uploadId=Z&partNumber=3&&uploads&Upper=1",
        .headers = headers,
        .header_count = 7,
        .payload_hash = S3X_SIGV4_UNSIGNED_PAYLOAD,
    };
    struct s3x_sigv4_config cfg = s_cfg();
    struct s3x_sigv4_result r;
    assert_int_equal(s3x__sigv4_sign(a, &req, c, &cfg, &r), 0);
    assert_string_equal(r.canonical_request,
        "PUT\n"
        "/b/%E2%82%AC//x/./y\n"
        "Upper=1&partNumber=3&uploadId=Z&uploads=\n"
        "content-type:\n"
        "host:h.example\n"
        "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
        "x-amz-date:20150830T123600Z\n"
        "x-amz-meta-a:1,2\n"
        "x-amz-meta-b:two words\n"
        "\n"
        "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-meta-b\n"
        "UNSIGNED-PAYLOAD");
    assert_string_equal(r.signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-meta-b");
    assert_int_equal(r.header_count, 3);
    assert_string_equal(r.headers[0].name, "X-Amz-Date");
    assert_string_equal(r.headers[0].value, "20150830T123600Z");
    assert_string_equal(r.headers[1].name, "x-amz-content-sha256");
    assert_string_equal(r.headers[1].value, "UNSIGNED-PAYLOAD");
    assert_string_equal(r.headers[2].name, "Authorization");
    char want[300];
    snprintf(want, sizeof(want),
        "AWS4-HMAC-SHA256 Credential=test:tester/20150830/us-east-1/s3/aws4_request, "
        "SignedHeaders=%s, Signature=%s",
        r.signed_headers, r.signature);
    assert_string_equal(r.headers[2].value, want);
    assert_null(r.query);
    s3x__sigv4_result_clean_up(&r);
    s3x__sigv4_result_clean_up(&r); /* idempotent */
    s3x_credentials_release(c);
}

/* req.host is the same as a Host header; a session token is signed in both modes. */
static void test_host_field_and_token(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_credentials *c = s_creds(a, S_AKID, S_SECRET, S_TOKEN);
    struct s3x_sigv4_request with_header = s_get();
    struct s3x_sigv4_request with_field = s_get();
    with_field.headers = NULL;
    with_field.header_count = 0;
    with_field.host = "127.0.0.1:8080";
    for (int mode = 0; mode < 2; ++mode) {
        struct s3x_sigv4_config cfg = s_cfg();
        cfg.mode = (enum s3x_sigv4_mode)mode;
        struct s3x_sigv4_result r1, r2;
        assert_int_equal(s3x__sigv4_sign(a, &with_header, c, &cfg, &r1), 0);
        assert_int_equal(s3x__sigv4_sign(a, &with_field, c, &cfg, &r2), 0);
        assert_string_equal(r1.canonical_request, r2.canonical_request);
        assert_string_equal(r1.signature, r2.signature);
        if (mode == S3X_SIGV4_MODE_HEADER) {
            assert_int_equal(r1.header_count, 4);
            assert_string_equal(r1.headers[1].name, "X-Amz-Security-Token");
            assert_string_equal(r1.headers[1].value, S_TOKEN);
            assert_non_null(strstr(r1.canonical_request, "\nx-amz-security-token:" S_TOKEN "\n"));
        } else {
            assert_int_equal(r1.header_count, 0);
            assert_non_null(strstr(r1.query, "&X-Amz-Security-Token=AQoDYXdzEPT%2F%2F"));
            assert_non_null(strstr(r1.canonical_request, "X-Amz-Security-Token=AQoDYXdzEPT%2F%2F"));
            assert_non_null(strstr(r1.query, "&X-Amz-Expires=3600&")); /* the default */
        }
        s3x__sigv4_result_clean_up(&r1);
        s3x__sigv4_result_clean_up(&r2);
    }
    s3x_credentials_release(c);
}

/* time_s 0 means now; every call uses its own date (a retry re-signs with a fresh one). */
static void test_time_now(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_credentials *c = s_creds(a, S_AKID, S_SECRET, NULL);
    struct s3x_sigv4_request req = s_get();
    struct s3x_sigv4_config cfg = s_cfg();
    cfg.time_s = 0;
    int64_t before = s3x__clock_wall_s();
    struct s3x_sigv4_result r;
    assert_int_equal(s3x__sigv4_sign(a, &req, c, &cfg, &r), 0);
    int64_t after = s3x__clock_wall_s();
    char lo[17], hi[17];
    time_t tb = (time_t)before, ta = (time_t)after;
    struct tm tm;
    strftime(lo, sizeof(lo), "%Y%m%dT%H%M%SZ", gmtime_r(&tb, &tm));
    strftime(hi, sizeof(hi), "%Y%m%dT%H%M%SZ", gmtime_r(&ta, &tm));
    assert_true(strcmp(r.date, lo) >= 0 && strcmp(r.date, hi) <= 0);
    s3x__sigv4_result_clean_up(&r);
    cfg.time_s = S_TIME + 86400;
    assert_int_equal(s3x__sigv4_sign(a, &req, c, &cfg, &r), 0);
    assert_string_equal(r.date, "20150831T123600Z");
    assert_non_null(strstr(r.headers[2].value, "Credential=AKIDEXAMPLE/20150831/us-east-1/s3/aws4_request"));
    s3x__sigv4_result_clean_up(&r);
    s3x_credentials_release(c);
}

struct s_bad_case {
    const char *what;
    struct s3x_sigv4_request req;
    struct s3x_sigv4_config cfg;
};

static void test_invalid_inputs(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_credentials *c = s_creds(a, S_AKID, S_SECRET, NULL);
    const struct s3x_sigv4_header crlf[] = {{"Host", "h"}, {"X-Evil", "a\r\nInjected: 1"}};
    const struct s3x_sigv4_header auth[] = {{"Host", "h"}, {"authorization", "x"}};
    const struct s3x_sigv4_header date[] = {{"Host", "h"}, {"X-Amz-Date", "x"}};
    const struct s3x_sigv4_header sha[] = {{"Host", "h"}, {"X-Amz-Content-Sha256", "x"}};
    const struct s3x_sigv4_header two_hosts[] = {{"Host", "h"}, {"host", "h"}};
    const struct s3x_sigv4_header bad_name[] = {{"Host", "h"}, {"Bad Name", "x"}};
    const struct s3x_sigv4_header null_value[] = {{"Host", "h"}, {"X-A", NULL}};
    const struct s3x_sigv4_header no_host[] = {{"X-A", "1"}};
    struct s3x_sigv4_request base = s_get();
    struct s3x_sigv4_config cfg = s_cfg();
    struct s3x_sigv4_config query = s_cfg();
    query.mode = S3X_SIGV4_MODE_QUERY;
    /* S_REQ: a valid request with some fields overridden (designated initialisers later in the
     * list win, which is the point here). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#define S_REQ(...) ((struct s3x_sigv4_request){.method = "GET", .path = "/b/k", .payload_hash = "UNSIGNED-PAYLOAD", \
    .headers = s_host_only, .header_count = 1, __VA_ARGS__})
    const struct s_bad_case cases[] = {
        {"raw space in path", S_REQ(.path = "/b/my file"), cfg},
        {"raw UTF-8 in path", S_REQ(.path = "/b/\xc3\xbc"), cfg},
        {"path without /", S_REQ(.path = "b/k"), cfg},
        {"empty path", S_REQ(.path = ""), cfg},
        {"NULL path", S_REQ(.path = NULL), cfg},
        {"'?' in path", S_REQ(.path = "/b/k?x"), cfg},
        {"bad escape in path", S_REQ(.path = "/b/100%.txt"), cfg},
        {"raw space in query", S_REQ(.query = "prefix=a b"), cfg},
        {"bad escape in query", S_REQ(.query = "a=%G0"), cfg},
        {"CRLF in a header value", S_REQ(.headers = crlf, .header_count = 2), cfg},
        {"Authorization given", S_REQ(.headers = auth, .header_count = 2), cfg},
        {"X-Amz-Date given", S_REQ(.headers = date, .header_count = 2), cfg},
        {"x-amz-content-sha256 given", S_REQ(.headers = sha, .header_count = 2), cfg},
        {"two Host headers", S_REQ(.headers = two_hosts, .header_count = 2), cfg},
        {"Host header and host field", S_REQ(.host = "h"), cfg},
        {"no Host", S_REQ(.headers = no_host, .header_count = 1), cfg},
        {"header name with a space", S_REQ(.headers = bad_name, .header_count = 2), cfg},
        {"NULL header value", S_REQ(.headers = null_value, .header_count = 2), cfg},
        {"headers NULL with a count", S_REQ(.headers = NULL, .header_count = 1), cfg},
        {"empty host field", S_REQ(.headers = NULL, .header_count = 0, .host = ""), cfg},
        {"bad method", S_REQ(.method = "GE T"), cfg},
        {"NULL method", S_REQ(.method = NULL), cfg},
        {"NULL payload hash", S_REQ(.payload_hash = NULL), cfg},
        {"payload hash with a space", S_REQ(.payload_hash = "UNSIGNED PAYLOAD"), cfg},
        {"signature in a presign query", S_REQ(.query = "X-Amz-Signature=abc"), query},
        {"credential in a presign query", S_REQ(.query = "a=1&x-amz-credential=abc"), query},
        {"NULL region", base, (struct s3x_sigv4_config){.time_s = S_TIME}},
        {"region with /", base, (struct s3x_sigv4_config){.region = "us/east", .time_s = S_TIME}},
        {"region with a space", base, (struct s3x_sigv4_config){.region = "us east", .time_s = S_TIME}},
        {"empty service", base, (struct s3x_sigv4_config){.region = "r", .service = "", .time_s = S_TIME}},
        {"negative time", base, (struct s3x_sigv4_config){.region = "r", .time_s = -5}},
        {"year 10000", base, (struct s3x_sigv4_config){.region = "r", .time_s = INT64_C(253402300800)}},
        {"expires > 7 days", base,
            (struct s3x_sigv4_config){.region = "r", .time_s = S_TIME, .mode = S3X_SIGV4_MODE_QUERY,
                .expires_s = S3X_SIGV4_MAX_EXPIRES_S + 1}},
        {"unknown mode", base, (struct s3x_sigv4_config){.region = "r", .time_s = S_TIME, .mode = 7}},
    };
#undef S_REQ
#pragma GCC diagnostic pop
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        struct s3x_sigv4_result r;
        memset(&r, 0x5A, sizeof(r));
        int rc = s3x__sigv4_sign(a, &cases[i].req, c, &cases[i].cfg, &r);
        if (rc != S3X_ERR_INVALID_ARGUMENT) {
            fail_msg("%s: returned %s, expected S3X_ERR_INVALID_ARGUMENT", cases[i].what, s3x_error_name(rc));
        }
        assert_null(r.buffer);
        assert_null(r.signature);
        s3x__sigv4_result_clean_up(&r);
    }
    s3x_credentials_release(c);
}

static void test_invalid_arguments(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_credentials *c = s_creds(a, S_AKID, S_SECRET, NULL);
    struct s3x_sigv4_request base = s_get();
    struct s3x_sigv4_config cfg = s_cfg();
    struct s3x_sigv4_result r;
    assert_int_equal(s3x__sigv4_sign(a, &base, NULL, &cfg, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__sigv4_sign(NULL, &base, c, &cfg, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__sigv4_sign(a, NULL, c, &cfg, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__sigv4_sign(a, &base, c, NULL, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__sigv4_sign(a, &base, c, &cfg, NULL), S3X_ERR_INVALID_ARGUMENT);
    /* the expires limit itself is accepted */
    cfg.mode = S3X_SIGV4_MODE_QUERY;
    cfg.expires_s = S3X_SIGV4_MAX_EXPIRES_S;
    assert_int_equal(s3x__sigv4_sign(a, &base, c, &cfg, &r), 0);
    assert_non_null(strstr(r.query, "&X-Amz-Expires=604800&"));
    s3x__sigv4_result_clean_up(&r);
    s3x_credentials_release(c);
}

static void test_credentials_validation(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_credentials *c = (struct s3x_credentials *)1;
    assert_int_equal(s3x_credentials_new(a, "", "s", NULL, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_null(c);
    assert_int_equal(s3x_credentials_new(a, "AK/ID", "s", NULL, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_credentials_new(a, "AK ID", "s", NULL, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_credentials_new(a, "AKID", "", NULL, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_credentials_new(a, "AKID", "se\ncret", NULL, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_credentials_new(a, "AKID", "s", "to\rken", &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_credentials_new(NULL, "AKID", "s", NULL, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_credentials_new(a, "test:tester", "testing", "", &c), 0);
    assert_string_equal(s3x_credentials_access_key_id(c), "test:tester");
    assert_false(s3x_credentials_has_session_token(c)); /* "" is no token */
    assert_ptr_equal(s3x_credentials_acquire(c), c);
    assert_null(s3x_credentials_release(c));
    assert_null(s3x_credentials_release(c));
    assert_null(s3x_credentials_release(NULL));
    assert_null(s3x_credentials_access_key_id(NULL));
}

/* --- key cache ---------------------------------------------------------------------------- */

static void s_sign_with(struct s3x_allocator *a, struct s3x_sigv4_key_cache *cache, const char *secret,
    int64_t t, const char *region, char sig[65]) {
    struct s3x_credentials *c = s_creds(a, S_AKID, secret, NULL);
    struct s3x_sigv4_request req = s_get();
    struct s3x_sigv4_config cfg = s_cfg();
    cfg.key_cache = cache;
    cfg.time_s = t;
    cfg.region = region;
    struct s3x_sigv4_result r;
    assert_int_equal(s3x__sigv4_sign(a, &req, c, &cfg, &r), 0);
    strcpy(sig, r.signature);
    s3x__sigv4_result_clean_up(&r);
    s3x_credentials_release(c);
}

static void test_key_cache(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_sigv4_key_cache *cache = NULL;
    assert_int_equal(s3x__sigv4_key_cache_new(a, &cache), 0);
    struct s3x_sigv4_key_cache_stats st;
    char plain[65], cached[65];
    s_sign_with(a, NULL, S_SECRET, S_TIME, "us-east-1", plain);
    s_sign_with(a, cache, S_SECRET, S_TIME, "us-east-1", cached); /* miss */
    assert_string_equal(plain, cached);
    s_sign_with(a, cache, S_SECRET, S_TIME + 60, "us-east-1", cached); /* same day: hit */
    s3x__sigv4_key_cache_stats(cache, &st);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.hits, 1);
    /* another day, region or secret is another key */
    s_sign_with(a, cache, S_SECRET, S_TIME + 86400, "us-east-1", cached);
    s_sign_with(a, cache, S_SECRET, S_TIME, "eu-west-1", cached);
    s_sign_with(a, cache, "other-secret", S_TIME, "us-east-1", cached);
    s3x__sigv4_key_cache_stats(cache, &st);
    assert_int_equal(st.misses, 4);
    assert_int_equal(st.hits, 1);
    /* a secret that is a prefix of a cached one is not confused with it */
    s_sign_with(a, cache, "other-secre", S_TIME, "us-east-1", cached);
    s_sign_with(a, NULL, "other-secre", S_TIME, "us-east-1", plain);
    assert_string_equal(plain, cached);
    /* more distinct keys than slots: evictions keep signatures right */
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < S3X_SIGV4_KEY_CACHE_SLOTS + 3; ++i) {
            char region[16];
            snprintf(region, sizeof(region), "region-%d", i);
            s_sign_with(a, cache, S_SECRET, S_TIME, region, cached);
            s_sign_with(a, NULL, S_SECRET, S_TIME, region, plain);
            assert_string_equal(plain, cached);
        }
    }
    /* the most recently used key survives: it is a hit */
    s3x__sigv4_key_cache_stats(cache, &st);
    uint64_t hits = st.hits;
    s_sign_with(a, cache, S_SECRET, S_TIME, "region-10", cached);
    s3x__sigv4_key_cache_stats(cache, &st);
    assert_int_equal(st.hits, hits + 1);
    s3x__sigv4_key_cache_destroy(cache);
    s3x__sigv4_key_cache_destroy(NULL);
    assert_int_equal(s3x__sigv4_key_cache_new(NULL, &cache), S3X_ERR_INVALID_ARGUMENT);
}

#define S_THREADS 4
#define S_SIGNS_PER_THREAD 200

struct s_thread_ctx {
    struct s3x_allocator *a;
    struct s3x_sigv4_key_cache *cache;
    struct s3x_credentials *creds;
    const char *expected[2];
    int index;
    int failures;
};

static void *s_signer_thread(void *p) {
    struct s_thread_ctx *ctx = p;
    for (int i = 0; i < S_SIGNS_PER_THREAD; ++i) {
        struct s3x_sigv4_request req = s_get();
        struct s3x_sigv4_config cfg = s_cfg();
        cfg.keep_canonical_request = false;
        cfg.key_cache = ctx->cache;
        int day = (i + ctx->index) % 2; /* two keys in use, alternating */
        cfg.time_s = S_TIME + day * 86400;
        struct s3x_sigv4_result r;
        if (s3x__sigv4_sign(ctx->a, &req, ctx->creds, &cfg, &r) != 0 || strcmp(r.signature, ctx->expected[day]) != 0) {
            ctx->failures++;
        }
        s3x__sigv4_result_clean_up(&r);
    }
    return NULL;
}

static void test_key_cache_threads(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_sigv4_key_cache *cache = NULL;
    assert_int_equal(s3x__sigv4_key_cache_new(a, &cache), 0);
    struct s3x_credentials *creds = s_creds(a, S_AKID, S_SECRET, NULL);
    char want[2][65];
    s_sign_with(a, NULL, S_SECRET, S_TIME, "us-east-1", want[0]);
    s_sign_with(a, NULL, S_SECRET, S_TIME + 86400, "us-east-1", want[1]);
    pthread_t th[S_THREADS];
    struct s_thread_ctx ctx[S_THREADS];
    for (int i = 0; i < S_THREADS; ++i) {
        ctx[i] = (struct s_thread_ctx){a, cache, creds, {want[0], want[1]}, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, s_signer_thread, &ctx[i]), 0);
    }
    for (int i = 0; i < S_THREADS; ++i) {
        pthread_join(th[i], NULL);
        assert_int_equal(ctx[i].failures, 0);
    }
    struct s3x_sigv4_key_cache_stats st;
    s3x__sigv4_key_cache_stats(cache, &st);
    assert_int_equal(st.hits + st.misses, S_THREADS * S_SIGNS_PER_THREAD);
    assert_true(st.misses >= 2 && st.misses <= 2 * S_THREADS); /* each key derived once per racing thread */
    s3x_credentials_release(creds);
    s3x__sigv4_key_cache_destroy(cache);
}

/* --- secrets never in logs -------------------------------------------------------------------- */

struct s_log_capture {
    char *text;
    size_t len;
    int messages;
};

static void s_capture_sink(enum s3x_log_level level, const char *subsystem, const char *message, void *user) {
    (void)level;
    struct s_log_capture *c = user;
    size_t n = strlen(subsystem) + strlen(message) + 3;
    c->text = realloc(c->text, c->len + n + 1);
    c->len += (size_t)snprintf(c->text + c->len, n + 1, "%s: %s\n", subsystem, message);
    c->messages++;
}

static void s_assert_absent(const char *log, const char *secret, const char *what) {
    if (strstr(log, secret) != NULL) {
        fail_msg("the log contains the %s", what);
    }
}

static void test_trace_log_has_no_secrets(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log_capture cap = {NULL, 0, 0};
    s3x_log_set_sink(s_capture_sink, &cap, S3X_LOG_TRACE);
    struct s3x_sigv4_key_cache *cache = NULL;
    assert_int_equal(s3x__sigv4_key_cache_new(a, &cache), 0);
    struct s3x_credentials *c = s_creds(a, S_AKID, S_SECRET, S_TOKEN);
    char signatures[4][65];
    for (int i = 0; i < 4; ++i) {
        struct s3x_sigv4_request req = s_get();
        req.query = "uploads";
        struct s3x_sigv4_config cfg = s_cfg();
        cfg.mode = (enum s3x_sigv4_mode)(i % 2);
        cfg.key_cache = i >= 2 ? cache : NULL;
        cfg.keep_canonical_request = i == 0;
        struct s3x_sigv4_result r;
        assert_int_equal(s3x__sigv4_sign(a, &req, c, &cfg, &r), 0);
        strcpy(signatures[i], r.signature);
        s3x__sigv4_result_clean_up(&r);
    }
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    assert_non_null(cap.text);
    /* the canonical requests and strings to sign were logged, with the token redacted */
    assert_non_null(strstr(cap.text, "canonical request:\nGET\n/bucket/key.txt\nuploads=\n"));
    assert_non_null(strstr(cap.text, "x-amz-security-token:<redacted>\n"));
    assert_non_null(strstr(cap.text, "X-Amz-Security-Token=<redacted>&X-Amz-SignedHeaders=host"));
    assert_non_null(strstr(cap.text, "string to sign:\nAWS4-HMAC-SHA256\n20150830T123600Z\n"));
    s_assert_absent(cap.text, S_SECRET, "secret");
    s_assert_absent(cap.text, S_TOKEN, "session token");
    s_assert_absent(cap.text, "AQoDYXdzEPT%2F%2F", "encoded session token");
    s_assert_absent(cap.text, "AQoDYXdzEPT", "start of the session token");
    unsigned char key[32];
    char key_hex[65];
    s_ref_signing_key(S_SECRET, "20150830", "us-east-1", "s3", key);
    for (int i = 0; i < 32; ++i) {
        snprintf(key_hex + 2 * i, 3, "%02x", key[i]);
    }
    s_assert_absent(cap.text, key_hex, "signing key");
    for (int i = 0; i < 4; ++i) {
        s_assert_absent(cap.text, signatures[i], "signature");
    }
    free(cap.text);
    s3x_credentials_release(c);
    s3x__sigv4_key_cache_destroy(cache);
}

/* --- fail-the-Nth sweeps -------------------------------------------------------------------- */

struct s_sweep_ctx {
    struct s3x_sigv4_key_cache *cache;
    bool keep;
    bool many_headers;
    bool normalize;
    enum s3x_sigv4_mode mode;
    const char *token;
    char expected[65];
};

static int s_sweep_block(struct s3x_allocator *a, void *p) {
    struct s_sweep_ctx *ctx = p;
    struct s3x_credentials *c = NULL;
    int rc = s3x_credentials_new(a, S_AKID, S_SECRET, ctx->token, &c);
    if (rc != 0) {
        return rc;
    }
    struct s3x_sigv4_header headers[40];
    char names[40][16];
    size_t n = 0;
    headers[n++] = (struct s3x_sigv4_header){"Host", "h.example"};
    for (size_t i = 0; ctx->many_headers && i < 39; ++i) {
        snprintf(names[i], sizeof(names[i]), "x-amz-meta-%zu", i);
        headers[n++] = (struct s3x_sigv4_header){names[i], "v"};
    }
    struct s3x_sigv4_request req = s_get();
    req.headers = headers;
    req.header_count = n;
    req.path = "/a/./b/../c";
    req.query = ctx->many_headers ? "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&n=14&o=15&p=16&"
                                    "q=17&r=18&s=19&t=20&u=21&v=22&w=23&x=24&y=25&z=26&A=1&B=2&C=3&D=4&E=5&F=6&G=7"
                                  : "uploads";
    struct s3x_sigv4_config cfg = s_cfg();
    cfg.key_cache = ctx->cache;
    cfg.keep_canonical_request = ctx->keep;
    cfg.normalize_path = ctx->normalize;
    cfg.mode = ctx->mode;
    struct s3x_sigv4_result r;
    rc = s3x__sigv4_sign(a, &req, c, &cfg, &r);
    if (rc == 0 && ctx->expected[0] == '\0') {
        strcpy(ctx->expected, r.signature); /* the reference run */
    } else if (rc == 0 && strcmp(r.signature, ctx->expected) != 0) {
        rc = S3X_ERR_UNKNOWN; /* a recovered run must still sign correctly */
    }
    s3x__sigv4_result_clean_up(&r);
    s3x_credentials_release(c);
    return rc;
}

static void s_sweep(struct s3x_allocator *a, struct s_sweep_ctx *ctx, int allow_recovery, uint64_t expect_sites) {
    /* the reference signature, from a run without failures and without a cache */
    struct s3x_sigv4_key_cache *cache = ctx->cache;
    ctx->cache = NULL;
    ctx->expected[0] = '\0';
    assert_int_equal(s_sweep_block(a, ctx), 0);
    ctx->cache = cache;
    uint64_t sites = s3x_test_sweep_fail_nth(a, s_sweep_block, ctx, allow_recovery);
    assert_int_equal(sites, expect_sites);
}

static void test_sign_fail_nth(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* credentials + result buffer */
    struct s_sweep_ctx ctx = {.mode = S3X_SIGV4_MODE_HEADER};
    s_sweep(a, &ctx, 0, 2);
    /* + the kept canonical request */
    ctx.keep = true;
    s_sweep(a, &ctx, 0, 3);
    /* + the normalised path, the scratch array for > 32 headers / parameters, and a second
     * step of the kept canonical request (1024 bytes, then 2048: it is ~1.3 KiB here) */
    ctx.normalize = true;
    ctx.many_headers = true;
    s_sweep(a, &ctx, 0, 6);
    ctx.mode = S3X_SIGV4_MODE_QUERY; /* the token makes the canonical request > 2 KiB: 3 steps */
    ctx.token = S_TOKEN;
    s_sweep(a, &ctx, 0, 7);
    ctx.keep = false;
    s_sweep(a, &ctx, 0, 4);
}

static void test_sign_fail_nth_with_cache(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* A warm cache: every swept run is a hit, nothing is derived or inserted. */
    struct s3x_sigv4_key_cache *cache = NULL;
    assert_int_equal(s3x__sigv4_key_cache_new(a, &cache), 0);
    struct s_sweep_ctx ctx = {.cache = cache};
    assert_int_equal(s_sweep_block(a, &ctx), 0);
    s_sweep(a, &ctx, 0, 2);
    struct s3x_sigv4_key_cache_stats st;
    s3x__sigv4_key_cache_stats(cache, &st);
    assert_int_equal(st.misses, 1);
    s3x__sigv4_key_cache_destroy(cache);

    /* A cache that cannot store a key still signs correctly, and stores it next time. */
    struct s3x_allocator *failing = NULL;
    assert_int_equal(s3x_fail_nth_allocator_new(a, 2, &failing), 0); /* 1: the cache, 2: its first slot */
    assert_int_equal(s3x__sigv4_key_cache_new(failing, &cache), 0);
    ctx.cache = cache;
    assert_int_equal(s_sweep_block(a, &ctx), 0); /* compares with the reference signature */
    assert_true(s3x_fail_nth_allocator_fired(failing));
    assert_int_equal(s_sweep_block(a, &ctx), 0); /* miss again: the key was not kept; now stored */
    assert_int_equal(s_sweep_block(a, &ctx), 0); /* hit */
    s3x__sigv4_key_cache_stats(cache, &st);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.hits, 1);
    s3x__sigv4_key_cache_destroy(cache);
    s3x_fail_nth_allocator_destroy(failing);
}

/* A TRACE log whose capture copy cannot be allocated is skipped; the request is still signed. */
static void test_sign_fail_nth_trace(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_log_capture cap = {NULL, 0, 0};
    s3x_log_set_sink(s_capture_sink, &cap, S3X_LOG_TRACE);
    struct s_sweep_ctx ctx = {.mode = S3X_SIGV4_MODE_HEADER};
    s_sweep(a, &ctx, 1, 3);
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    free(cap.text);
}

const struct CMUnitTest s3x_sigv4_tests[] = {
    S3X_TEST(test_sha256_hex),
    S3X_TEST(test_secret_lengths),
    S3X_TEST(test_canonical_details),
    S3X_TEST(test_host_field_and_token),
    S3X_TEST(test_time_now),
    S3X_TEST(test_invalid_inputs),
    S3X_TEST(test_invalid_arguments),
    S3X_TEST(test_credentials_validation),
    S3X_TEST(test_key_cache),
    S3X_TEST(test_key_cache_threads),
    S3X_TEST(test_trace_log_has_no_secrets),
    S3X_TEST(test_sign_fail_nth),
    S3X_TEST(test_sign_fail_nth_with_cache),
    S3X_TEST(test_sign_fail_nth_trace),
};
const size_t s3x_sigv4_tests_count = sizeof(s3x_sigv4_tests) / sizeof(s3x_sigv4_tests[0]);
