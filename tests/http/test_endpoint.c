/* Endpoints and addressing: endpoint URL parsing, DNS-compatible bucket names, path vs
 * virtual-hosted choice, targets (URL, Host, signed path), the wire form of every S3 vector, and
 * consistency between the target and what the signer signs. */
#include "harness.h"

#include "sigv4_vectors.h"

#include "http/credentials.h"
#include "http/endpoint.h"
#include "http/sigv4.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_S3_SUITE S3X_TEST_DATA_DIR "/sigv4-s3"

struct s_url_case {
    const char *url;
    bool https;
    const char *host;
    unsigned port;
    const char *base;
    bool ip;
};

static void test_endpoint_parse_valid(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static const struct s_url_case cases[] = {
        {"http://127.0.0.1:8080", false, "127.0.0.1", 8080, "", true},
        {"https://s3.example.com", true, "s3.example.com", 0, "", false},
        {"HTTPS://S3.Example.COM:443/", true, "s3.example.com", 0, "", false},
        {"http://localhost:80", false, "localhost", 0, "", false},
        {"http://localhost:443", false, "localhost", 443, "", false},
        {"https://h:80", true, "h", 80, "", false},
        {"http://[::1]:9000/base/", false, "[::1]", 9000, "/base", true},
        {"http://[2001:db8::7]", false, "[2001:db8::7]", 0, "", true},
        {"https://minio.local/s3/v1//", true, "minio.local", 0, "/s3/v1", false},
        {"http://my_host.internal:65535/a%20b", false, "my_host.internal", 65535, "/a%20b", false},
        {"http://10.0.0.256:1", false, "10.0.0.256", 1, "", false}, /* not an IPv4 address: a name */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const struct s_url_case *c = &cases[i];
        struct s3x_endpoint ep;
        char err[256];
        int rc = s3x__endpoint_init(&ep, a, c->url, "us-east-1", S3X_ADDRESSING_AUTO, err, sizeof(err));
        if (rc != 0) {
            fail_msg("%s: %s (%s)", c->url, s3x_error_name(rc), err);
        }
        assert_int_equal(ep.https, c->https);
        assert_string_equal(ep.host, c->host);
        assert_int_equal(ep.port, c->port);
        assert_string_equal(ep.base_path, c->base);
        assert_int_equal(ep.host_is_ip, c->ip);
        assert_true(ep.custom);
        s3x__endpoint_clean_up(&ep);
        s3x__endpoint_clean_up(&ep); /* idempotent */
    }
}

static void test_endpoint_parse_invalid(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static const char *const cases[][2] = {
        {"ftp://h", "it must start with http:// or https://"},
        {"s3.example.com:80", "it must start with http:// or https://"},
        {"http://", "no host"},
        {"http://:80", "no host"},
        {"http:///path", "no host"},
        {"http://h:0", "the port must be a number from 1 to 65535"},
        {"http://h:65536", "the port must be a number from 1 to 65535"},
        {"http://h:8x", "the port must be a number from 1 to 65535"},
        {"http://h:", "the port must be a number from 1 to 65535"},
        {"http://h:99999999999999999999", "the port must be a number from 1 to 65535"},
        {"http://user:pw@h", "user info (user@host) is not supported; give credentials separately"},
        {"http://h/?q=1", "an endpoint URL cannot have a query or fragment"},
        {"http://h/#frag", "an endpoint URL cannot have a query or fragment"},
        {"http://h/a b", "blank, control or non-ASCII character (percent-encode the path)"},
        {"http://h/\xc3\xbc", "blank, control or non-ASCII character (percent-encode the path)"},
        {"http://h/a%zz", "the path has characters that must be percent-encoded"},
        {"http://h/a\"b", "the path has characters that must be percent-encoded"},
        {"http://[::1", "malformed IPv6 literal"},
        {"http://[zz]:1", "malformed IPv6 literal"},
        {"http://[]", "malformed IPv6 literal"},
        {"http://[::1]x", "unexpected text after the IPv6 literal"},
        {"http://-h", "the host name has invalid characters"},
        {"http://h*st", "the host name has invalid characters"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        struct s3x_endpoint ep;
        char err[256];
        int rc = s3x__endpoint_init(&ep, a, cases[i][0], "us-east-1", S3X_ADDRESSING_AUTO, err, sizeof(err));
        if (rc != S3X_ERR_HTTP_BAD_URL) {
            fail_msg("%s: returned %s", cases[i][0], s3x_error_name(rc));
        }
        char want[256];
        snprintf(want, sizeof(want), "bad endpoint URL '%s': %s", cases[i][0], cases[i][1]);
        assert_string_equal(err, want);
        assert_null(ep.host);
        assert_null(ep.base_path);
    }
    struct s3x_endpoint ep;
    assert_int_equal(s3x__endpoint_init(&ep, a, NULL, "us-east-1", (enum s3x_addressing_style)9, NULL, 0),
        S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__endpoint_init(&ep, NULL, NULL, "us-east-1", S3X_ADDRESSING_AUTO, NULL, 0),
        S3X_ERR_INVALID_ARGUMENT);
}

static void test_endpoint_default(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_endpoint ep;
    char err[256];
    assert_int_equal(s3x__endpoint_init(&ep, a, NULL, "eu-west-3", S3X_ADDRESSING_AUTO, err, sizeof(err)), 0);
    assert_string_equal(ep.host, "s3.eu-west-3.amazonaws.com");
    assert_true(ep.https);
    assert_false(ep.custom);
    assert_int_equal(ep.port, 0);
    s3x__endpoint_clean_up(&ep);
    assert_int_equal(s3x__endpoint_init(&ep, a, "", "cn-north-1", S3X_ADDRESSING_AUTO, err, sizeof(err)), 0);
    assert_string_equal(ep.host, "s3.cn-north-1.amazonaws.com.cn");
    s3x__endpoint_clean_up(&ep);
    static const char *const bad[] = {"US-EAST-1", "us_east_1", "", "-us", "us-", "a.b", "x/y"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(s3x__endpoint_init(&ep, a, NULL, bad[i], S3X_ADDRESSING_AUTO, err, sizeof(err)),
            S3X_ERR_HTTP_BAD_URL);
        assert_non_null(strstr(err, "cannot form an AWS endpoint host name"));
    }
    assert_int_equal(s3x__endpoint_init(&ep, a, NULL, NULL, S3X_ADDRESSING_AUTO, err, sizeof(err)),
        S3X_ERR_HTTP_BAD_URL);
}

static void test_bucket_dns_compatible(void **state) {
    (void)state;
    static const char *const yes[] = {"abc", "my-bucket", "my.bucket.name", "a1b", "123",
        "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"};
    static const char *const no[] = {"ab", "My-Bucket", "my_bucket", "-abc", "abc-", ".abc", "abc.", "a..b",
        "a.-b", "a-.b", "192.168.1.1", "a b", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234",
        "", NULL};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); ++i) {
        if (!s3x__bucket_is_dns_compatible(yes[i])) {
            fail_msg("%s should be DNS-compatible", yes[i]);
        }
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); ++i) {
        if (s3x__bucket_is_dns_compatible(no[i])) {
            fail_msg("%s should not be DNS-compatible", no[i]);
        }
    }
}

struct s_target_case {
    const char *endpoint; /* NULL: AWS us-east-1 */
    enum s3x_addressing_style style;
    const char *bucket;
    const char *key;
    struct s3x_query_param query[3];
    size_t query_count;
    int rc;
    const char *url;
    const char *host;
    const char *path;
    const char *query_text;
    bool virtual_hosted;
};

static const struct s_target_case s_targets[] = {
    /* AWS endpoint, auto: virtual-hosted when the name allows it */
    {NULL, S3X_ADDRESSING_AUTO, "photos", "x.jpg", {{0}}, 0, 0, "https://photos.s3.us-east-1.amazonaws.com/x.jpg",
        "photos.s3.us-east-1.amazonaws.com", "/x.jpg", "", true},
    {NULL, S3X_ADDRESSING_AUTO, "photos", NULL, {{"list-type", "2"}, {"prefix", "a b/"}}, 2, 0,
        "https://photos.s3.us-east-1.amazonaws.com/?list-type=2&prefix=a%20b%2F", "photos.s3.us-east-1.amazonaws.com",
        "/", "list-type=2&prefix=a%20b%2F", true},
    /* dots over https, uppercase, underscore: path style */
    {NULL, S3X_ADDRESSING_AUTO, "my.bucket", "k", {{0}}, 0, 0, "https://s3.us-east-1.amazonaws.com/my.bucket/k",
        "s3.us-east-1.amazonaws.com", "/my.bucket/k", "", false},
    {NULL, S3X_ADDRESSING_AUTO, "MyBucket", "k", {{0}}, 0, 0, "https://s3.us-east-1.amazonaws.com/MyBucket/k",
        "s3.us-east-1.amazonaws.com", "/MyBucket/k", "", false},
    {NULL, S3X_ADDRESSING_AUTO, "my_bucket", "k", {{0}}, 0, 0, "https://s3.us-east-1.amazonaws.com/my_bucket/k",
        "s3.us-east-1.amazonaws.com", "/my_bucket/k", "", false},
    /* explicit virtual allows dots (the user accepts the certificate question) */
    {NULL, S3X_ADDRESSING_VIRTUAL, "my.bucket", "k", {{0}}, 0, 0, "https://my.bucket.s3.us-east-1.amazonaws.com/k",
        "my.bucket.s3.us-east-1.amazonaws.com", "/k", "", true},
    {NULL, S3X_ADDRESSING_VIRTUAL, "my_bucket", "k", {{0}}, 0, S3X_ERR_INVALID_ARGUMENT, NULL, NULL, NULL, NULL,
        false},
    {NULL, S3X_ADDRESSING_PATH, "photos", "a/b", {{0}}, 0, 0, "https://s3.us-east-1.amazonaws.com/photos/a/b",
        "s3.us-east-1.amazonaws.com", "/photos/a/b", "", false},
    /* custom and IP endpoints: path style, port in Host */
    {"http://127.0.0.1:8080", S3X_ADDRESSING_AUTO, "bucket", "dir/a b+c%.txt", {{"uploads", NULL}}, 1, 0,
        "http://127.0.0.1:8080/bucket/dir/a%20b%2Bc%25.txt?uploads", "127.0.0.1:8080",
        "/bucket/dir/a%20b%2Bc%25.txt", "uploads", false},
    {"http://127.0.0.1:8080", S3X_ADDRESSING_VIRTUAL, "bucket", "k", {{0}}, 0, S3X_ERR_INVALID_ARGUMENT, NULL,
        NULL, NULL, NULL, false},
    {"https://minio.example.com:9000/base/", S3X_ADDRESSING_AUTO, "bucket", "k", {{0}}, 0, 0,
        "https://minio.example.com:9000/base/bucket/k", "minio.example.com:9000", "/base/bucket/k", "", false},
    {"https://minio.example.com/", S3X_ADDRESSING_VIRTUAL, "bucket", "k", {{0}}, 0, 0,
        "https://bucket.minio.example.com/k", "bucket.minio.example.com", "/k", "", true},
    {"http://[::1]:9000", S3X_ADDRESSING_AUTO, "b-1", "k", {{0}}, 0, 0, "http://[::1]:9000/b-1/k", "[::1]:9000",
        "/b-1/k", "", false},
    {"http://h:80/", S3X_ADDRESSING_AUTO, "b", NULL, {{"partNumber", "3"}, {"uploadId", "a/b+c="}}, 2, 0,
        "http://h/b?partNumber=3&uploadId=a%2Fb%2Bc%3D", "h", "/b", "partNumber=3&uploadId=a%2Fb%2Bc%3D", false},
    /* keys are sent verbatim: no normalisation */
    {"http://h", S3X_ADDRESSING_AUTO, "b", "a//b/../c/./~x", {{0}}, 0, 0, "http://h/b/a//b/../c/./~x", "h",
        "/b/a//b/../c/./~x", "", false},
    {"http://h", S3X_ADDRESSING_AUTO, "b", "dir/\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80.bin", {{0}}, 0, 0,
        "http://h/b/dir/%C3%BC%E2%82%AC%F0%9F%98%80.bin", "h", "/b/dir/%C3%BC%E2%82%AC%F0%9F%98%80.bin", "", false},
    /* service level (ListBuckets) */
    {"http://h/base", S3X_ADDRESSING_AUTO, NULL, NULL, {{0}}, 0, 0, "http://h/base/", "h", "/base/", "", false},
    /* refused */
    {"http://h", S3X_ADDRESSING_AUTO, NULL, "k", {{0}}, 0, S3X_ERR_INVALID_ARGUMENT, NULL, NULL, NULL, NULL, false},
    {"http://h", S3X_ADDRESSING_AUTO, "", "k", {{0}}, 0, S3X_ERR_INVALID_ARGUMENT, NULL, NULL, NULL, NULL, false},
    {"http://h", S3X_ADDRESSING_AUTO, "a/b", "k", {{0}}, 0, S3X_ERR_INVALID_ARGUMENT, NULL, NULL, NULL, NULL, false},
    {"http://h", S3X_ADDRESSING_AUTO, "b", "", {{0}}, 0, S3X_ERR_INVALID_ARGUMENT, NULL, NULL, NULL, NULL, false},
    {"http://h", S3X_ADDRESSING_AUTO, "b", "k", {{"", "x"}}, 1, S3X_ERR_INVALID_ARGUMENT, NULL, NULL, NULL, NULL,
        false},
};

static void test_endpoint_targets(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    for (size_t i = 0; i < sizeof(s_targets) / sizeof(s_targets[0]); ++i) {
        const struct s_target_case *c = &s_targets[i];
        struct s3x_endpoint ep;
        char err[256];
        assert_int_equal(s3x__endpoint_init(&ep, a, c->endpoint, "us-east-1", c->style, err, sizeof(err)), 0);
        struct s3x_http_target t;
        int rc = s3x__endpoint_target(&ep, a, c->bucket, c->key, c->query, c->query_count, &t);
        if (rc != c->rc) {
            fail_msg("case %zu: returned %s, expected %s", i, s3x_error_name(rc), s3x_error_name(c->rc));
        }
        if (rc == 0) {
            assert_string_equal(t.url, c->url);
            assert_string_equal(t.host, c->host);
            assert_string_equal(t.path, c->path);
            assert_string_equal(t.query, c->query_text);
            assert_int_equal(t.virtual_hosted, c->virtual_hosted);
        } else {
            assert_null(t.buffer);
        }
        s3x__http_target_clean_up(&t);
        s3x__endpoint_clean_up(&ep);
    }
}

/* The endpoint layer produces exactly the wire form of every botocore vector: same path bytes,
 * same Host, same encoded query parameters (ours sorted). */
static void test_endpoint_matches_s3_vectors(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static char names[64][128];
    size_t n = s3x_vec_list(S_S3_SUITE, names, 64);
    assert_int_equal(n, 21);
    for (size_t i = 0; i < n; ++i) {
        struct s3x_vec_case c;
        assert_int_equal(s3x_vec_load(S_S3_SUITE, names[i], &c), 0);
        const char *host = s3x_vec_header(&c.request, "Host");
        bool virtual_hosted = strcmp(c.addressing_style, "virtual") == 0;
        const char *url = strcmp(host, "127.0.0.1:8080") == 0          ? "http://127.0.0.1:8080"
                          : strcmp(host, "s3.us-east-1.amazonaws.com") == 0 ? "https://s3.us-east-1.amazonaws.com"
                                                                             : NULL;
        struct s3x_endpoint ep;
        assert_int_equal(s3x__endpoint_init(&ep, a, virtual_hosted ? NULL : url, c.region,
                             virtual_hosted ? S3X_ADDRESSING_AUTO : S3X_ADDRESSING_PATH, NULL, 0),
            0);
        /* the request's query, decoded into parameters */
        struct s3x_query_param params[8];
        char *decoded[16];
        size_t np = 0, nd = 0;
        char *q = c.request.query != NULL ? strdup(c.request.query) : NULL;
        char *save = NULL;
        for (char *tok = q != NULL ? strtok_r(q, "&", &save) : NULL; tok != NULL; tok = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(tok, '=');
            if (eq != NULL) {
                *eq = '\0';
            }
            assert_int_equal(s3x__uri_decode(s3x_allocator_system(), tok, strlen(tok), false, &decoded[nd], NULL), 0);
            params[np].key = decoded[nd++];
            params[np].value = NULL;
            if (eq != NULL) {
                assert_int_equal(
                    s3x__uri_decode(s3x_allocator_system(), eq + 1, strlen(eq + 1), false, &decoded[nd], NULL), 0);
                params[np].value = decoded[nd++];
            }
            ++np;
        }
        struct s3x_http_target t;
        assert_int_equal(s3x__endpoint_target(&ep, a, c.bucket, c.key, params, np, &t), 0);
        if (strcmp(t.path, c.request.path) != 0 || strcmp(t.host, host) != 0 || t.virtual_hosted != virtual_hosted) {
            fail_msg("%s: path %s host %s, expected %s %s", c.name, t.path, t.host, c.request.path, host);
        }
        /* same parameters; ours in canonical order */
        const struct s3x_query_param *pp = params;
        char *sorted = NULL;
        assert_int_equal(s3x__query_build(s3x_allocator_system(), pp, np, &sorted, NULL), 0);
        assert_string_equal(t.query, sorted);
        s3x_mem_release(s3x_allocator_system(), sorted);
        for (size_t k = 0; k < nd; ++k) {
            s3x_mem_release(s3x_allocator_system(), decoded[k]);
        }
        free(q);
        s3x__http_target_clean_up(&t);
        s3x__endpoint_clean_up(&ep);
        s3x_vec_free(&c);
    }
}

/* What is signed is what is sent: the canonical request's path line is the target's path and its
 * host line the target's Host, for every addressing case above. */
static void test_target_and_signature_agree(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_credentials *creds = NULL;
    assert_int_equal(s3x_credentials_new(a, "AKID", "secret", NULL, &creds), 0);
    for (size_t i = 0; i < sizeof(s_targets) / sizeof(s_targets[0]); ++i) {
        const struct s_target_case *c = &s_targets[i];
        if (c->rc != 0) {
            continue;
        }
        struct s3x_endpoint ep;
        assert_int_equal(s3x__endpoint_init(&ep, a, c->endpoint, "us-east-1", c->style, NULL, 0), 0);
        struct s3x_http_target t;
        assert_int_equal(s3x__endpoint_target(&ep, a, c->bucket, c->key, c->query, c->query_count, &t), 0);
        struct s3x_sigv4_request req = {
            .method = "GET", .path = t.path, .query = t.query, .host = t.host, .payload_hash = S3X_SIGV4_EMPTY_SHA256};
        struct s3x_sigv4_config cfg = {.region = "us-east-1", .time_s = 1440938160, .keep_canonical_request = true};
        struct s3x_sigv4_result r;
        assert_int_equal(s3x__sigv4_sign(a, &req, creds, &cfg, &r), 0);
        /* the target's query is already in canonical order; bare keys canonicalise as "k=" */
        char canonical_query[512] = "";
        char *copy = strdup(t.query);
        char *save = NULL;
        for (char *tok = strtok_r(copy, "&", &save); tok != NULL; tok = strtok_r(NULL, "&", &save)) {
            snprintf(canonical_query + strlen(canonical_query), sizeof(canonical_query) - strlen(canonical_query),
                "%s%s%s", canonical_query[0] != '\0' ? "&" : "", tok, strchr(tok, '=') == NULL ? "=" : "");
        }
        free(copy);
        char want[1024];
        snprintf(want, sizeof(want), "GET\n%s\n%s\nhost:%s\n", t.path, canonical_query, t.host);
        if (strncmp(r.canonical_request, want, strlen(want)) != 0) {
            fail_msg("case %zu: canonical request starts\n%s\nexpected\n%s", i, r.canonical_request, want);
        }
        s3x__sigv4_result_clean_up(&r);
        s3x__http_target_clean_up(&t);
        s3x__endpoint_clean_up(&ep);
    }
    s3x_credentials_release(creds);
}

static int s_endpoint_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_endpoint ep;
    int rc = s3x__endpoint_init(&ep, a, "http://[::1]:9000/base", NULL, S3X_ADDRESSING_AUTO, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    const struct s3x_query_param q[] = {{"uploadId", "x/y"}, {"partNumber", "1"}};
    struct s3x_http_target t;
    rc = s3x__endpoint_target(&ep, a, "bucket", "a b", q, 2, &t);
    s3x__http_target_clean_up(&t);
    s3x__endpoint_clean_up(&ep);
    return rc;
}

static void test_endpoint_fail_nth(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* host, base path, query (result + scratch), target buffer */
    assert_int_equal(s3x_test_sweep_fail_nth(a, s_endpoint_block, NULL, 0), 5);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_endpoint_parse_valid),
        S3X_TEST(test_endpoint_parse_invalid),
        S3X_TEST(test_endpoint_default),
        S3X_TEST(test_bucket_dns_compatible),
        S3X_TEST(test_endpoint_targets),
        S3X_TEST(test_endpoint_matches_s3_vectors),
        S3X_TEST(test_target_and_signature_agree),
        S3X_TEST(test_endpoint_fail_nth),
    };
    return S3X_TEST_MAIN(argc, argv, "endpoint", tests);
}
