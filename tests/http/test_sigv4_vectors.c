/* SigV4 against the vector suites: every case of the AWS signing test suite (38 cases,
 * tests/http/data/sigv4/v4) and of the S3 vectors generated with botocore (21 cases,
 * tests/http/data/sigv4-s3), in header and in query (presigned) mode. Each case compares the
 * canonical request, the string to sign, the signature, and the signed request (Authorization
 * and the added headers; or the presigned query).
 *
 * How the suites map onto the S3 signer:
 *  - The AWS suite's request.txt has raw paths and queries ("/example space/", "?ሴ=bar"); the
 *    test encodes them once the S3 way (that is what goes on the wire) and signs that. The
 *    `normalize: true` cases use the signer's generic-AWS normalize_path option, `sign_body:
 *    false` cases omit x-amz-content-sha256 (omit_content_sha256), `omit_session_token` uses
 *    unsigned_session_token, and the payload hash is the body's SHA-256 in both modes.
 *  - The S3 suite is already in wire form; the test checks that our encoder reproduces it
 *    (encode(decode(x)) == x), and signs with the S3 defaults: payload from context.json in header
 *    mode, UNSIGNED-PAYLOAD in query mode. botocore orders presigned parameters differently from
 *    the AWS suite and writes "uploads=" for "uploads", so presigned queries are compared as
 *    sets of parameters (with "k" == "k="), besides the exact canonical request and signature.
 */
#include "signing_tests.h"

#include "sigv4_vectors.h"

#include "http/credentials.h"
#include "http/sigv4.h"
#include "http/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_AWS_SUITE S3X_TEST_DATA_DIR "/sigv4/v4"
#define S_S3_SUITE S3X_TEST_DATA_DIR "/sigv4-s3"
#define S_AWS_CASES 38
#define S_S3_CASES 21

/* encode(decode(raw)): the S3 wire form of a path or query component (malloc'd), NULL if raw has
 * a malformed escape. */
static char *s_wire(const char *raw, size_t len, bool keep_slash) {
    struct s3x_allocator *sys = s3x_allocator_system();
    char *dec = NULL;
    size_t dec_len = 0;
    if (s3x__uri_decode(sys, raw, len, false, &dec, &dec_len) != 0) {
        return NULL;
    }
    char *enc = NULL;
    int rc = s3x__uri_encode(sys, dec, dec_len, keep_slash, &enc);
    s3x_mem_release(sys, dec);
    return rc == 0 ? enc : NULL;
}

/* The wire form of a query: each component's key and value re-encoded, order and bare keys kept. */
static char *s_wire_query(const char *q) {
    if (q == NULL) {
        return NULL;
    }
    size_t cap = strlen(q) * 3 + 1;
    char *out = calloc(1, cap);
    const char *p = q;
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t kn = eq != NULL ? (size_t)(eq - p) : n;
        char *k = s_wire(p, kn, false);
        if (out[0] != '\0') {
            strcat(out, "&");
        }
        strcat(out, k != NULL ? k : "?");
        free(k);
        if (eq != NULL) {
            char *v = s_wire(eq + 1, n - kn - 1, false);
            strcat(out, "=");
            strcat(out, v != NULL ? v : "?");
            free(v);
        }
        p += n;
        if (*p == '&') {
            ++p;
        }
    }
    return out;
}

static int s_cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The parameters of a query as sorted "k=v" strings (bare "k" -> "k="), joined by '\n'. */
static char *s_param_set(const char *q) {
    char *copy = strdup(q != NULL ? q : "");
    char *items[64];
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, "&", &save); t != NULL && n < 64; t = strtok_r(NULL, "&", &save)) {
        items[n] = malloc(strlen(t) + 2);
        strcpy(items[n], t);
        if (strchr(t, '=') == NULL) {
            strcat(items[n], "=");
        }
        ++n;
    }
    qsort(items, n, sizeof(items[0]), s_cmp_str);
    char *out = calloc(1, strlen(q != NULL ? q : "") + 2 * n + 1);
    for (size_t i = 0; i < n; ++i) {
        strcat(out, items[i]);
        strcat(out, "\n");
        free(items[i]);
    }
    free(copy);
    return out;
}

static int s_check_eq(const char *ctx, const char *what, const char *want, const char *got) {
    if (want == NULL || got == NULL || strcmp(want, got) != 0) {
        print_error("%s: %s differs\n--- expected\n%s\n--- got\n%s\n", ctx, what, want ? want : "(null)",
            got ? got : "(null)");
        return 1;
    }
    return 0;
}

/* Header mode: the expected signed request = the request's headers + the signer's, as a
 * multiset of (lower-case name, value); and the same Authorization. */
static int s_check_signed_headers(const char *ctx, const struct s3x_vec_case *c, const struct s3x_sigv4_result *r,
    const struct s3x_vec_http *want) {
    int bad = s_check_eq(ctx, "Authorization", s3x_vec_header(want, "Authorization"),
        r->headers[r->header_count - 1].value);
    size_t total = c->request.header_count + r->header_count;
    if (want->header_count != total) {
        print_error("%s: signed request has %zu headers, expected %zu\n", ctx, total, want->header_count);
        return bad + 1;
    }
    bool used[S3X_VEC_MAX_HEADERS] = {false};
    for (size_t i = 0; i < total; ++i) {
        const char *name = i < c->request.header_count ? c->request.headers[i].name
                                                        : r->headers[i - c->request.header_count].name;
        const char *value = i < c->request.header_count ? c->request.headers[i].value
                                                         : r->headers[i - c->request.header_count].value;
        bool found = false;
        for (size_t k = 0; k < want->header_count && !found; ++k) {
            if (!used[k] && strcasecmp(want->headers[k].name, name) == 0 && strcmp(want->headers[k].value, value) == 0) {
                used[k] = found = true;
            }
        }
        if (!found) {
            print_error("%s: header %s:%s is not in the expected signed request\n", ctx, name, value);
            ++bad;
        }
    }
    return bad;
}

static int s_check_presigned(const char *ctx, const struct s3x_vec_case *c, bool s3_suite,
    const struct s3x_sigv4_result *r, const struct s3x_vec_http *want) {
    int bad = 0;
    if (r->header_count != 0) {
        print_error("%s: query mode added headers\n", ctx);
        ++bad;
    }
    if (s3_suite) {
        char *a = s_param_set(want->query);
        char *b = s_param_set(r->query);
        bad += s_check_eq(ctx, "presigned parameters", a, b);
        free(a);
        free(b);
    } else {
        char *w = s_wire_query(want->query);
        bad += s_check_eq(ctx, "presigned query", w, r->query);
        free(w);
    }
    char tail[96];
    snprintf(tail, sizeof(tail), "&X-Amz-Signature=%s", r->signature);
    size_t n = strlen(r->query);
    if (n < strlen(tail) || strcmp(r->query + n - strlen(tail), tail) != 0) {
        print_error("%s: the presigned query does not end with the signature\n", ctx);
        ++bad;
    }
    S3X_UNUSED_TEST(c);
    return bad;
}

static int s_compare(const char *ctx, const struct s3x_vec_case *c, bool s3_suite, const char *prefix,
    const struct s3x_sigv4_result *r) {
    char file[64];
    int bad = 0;
    snprintf(file, sizeof(file), "%s-canonical-request.txt", prefix);
    char *want = s3x_vec_read(c, file, NULL);
    bad += s_check_eq(ctx, "canonical request", want, r->canonical_request);
    free(want);
    snprintf(file, sizeof(file), "%s-string-to-sign.txt", prefix);
    want = s3x_vec_read(c, file, NULL);
    bad += s_check_eq(ctx, "string to sign", want, r->string_to_sign);
    free(want);
    snprintf(file, sizeof(file), "%s-signature.txt", prefix);
    want = s3x_vec_read(c, file, NULL);
    bad += s_check_eq(ctx, "signature", want, r->signature);
    free(want);
    snprintf(file, sizeof(file), "%s-signed-request.txt", prefix);
    size_t len = 0;
    char *text = s3x_vec_read(c, file, &len);
    struct s3x_vec_http signed_req;
    if (text == NULL || s3x_vec_parse_http(text, len, &signed_req) != 0) {
        print_error("%s: cannot read %s\n", ctx, file);
        free(text);
        return bad + 1;
    }
    free(text);
    bad += s_check_eq(ctx, "signed request path", c->request.path, signed_req.path);
    if (strcmp(prefix, "header") == 0) {
        bad += s_check_signed_headers(ctx, c, r, &signed_req);
    } else {
        bad += s_check_presigned(ctx, c, s3_suite, r, &signed_req);
    }
    s3x_vec_http_free(&signed_req);
    return bad;
}

/* Signs one case in one mode and compares; returns the number of mismatches. */
static int s_run_case(struct s3x_allocator *a, const struct s3x_vec_case *c, bool s3_suite, enum s3x_sigv4_mode mode) {
    char ctx[200];
    snprintf(ctx, sizeof(ctx), "%s [%s]", c->name, mode == S3X_SIGV4_MODE_HEADER ? "header" : "query");
    char *path = s_wire(c->request.path, strlen(c->request.path), true);
    char *query = s_wire_query(c->request.query);
    int bad = 0;
    if (s3_suite) { /* already wire form: our encoder must agree with it byte for byte */
        bad += s_check_eq(ctx, "wire path", c->request.path, path);
        if (c->request.query != NULL) {
            bad += s_check_eq(ctx, "wire query", c->request.query, query);
        }
    }
    struct s3x_sigv4_header headers[S3X_VEC_MAX_HEADERS];
    for (size_t i = 0; i < c->request.header_count; ++i) {
        headers[i] = (struct s3x_sigv4_header){c->request.headers[i].name, c->request.headers[i].value};
    }
    char body_hash[65];
    assert_int_equal(s3x__sha256_hex(c->request.body != NULL ? c->request.body : "", c->request.body_len, body_hash), 0);
    const char *payload = body_hash;
    if (s3_suite) {
        payload = mode == S3X_SIGV4_MODE_QUERY ? S3X_SIGV4_UNSIGNED_PAYLOAD : c->payload;
        if (c->sign_body) {
            bad += s_check_eq(ctx, "payload (body SHA-256)", c->payload, body_hash);
        }
    }
    struct s3x_sigv4_request req = {
        .method = c->request.method,
        .path = path,
        .query = query,
        .headers = headers,
        .header_count = c->request.header_count,
        .payload_hash = payload,
    };
    struct s3x_sigv4_config cfg = {
        .region = c->region,
        .service = c->service,
        .time_s = c->time_s,
        .mode = mode,
        .expires_s = c->expires_s,
        .normalize_path = c->normalize,
        .omit_content_sha256 = !s3_suite && !c->sign_body,
        .unsigned_session_token = c->omit_session_token,
        .keep_canonical_request = true,
    };
    struct s3x_credentials *creds = NULL;
    assert_int_equal(s3x_credentials_new(a, c->access_key_id, c->secret_access_key, c->token, &creds), 0);
    struct s3x_sigv4_result r;
    int rc = s3x__sigv4_sign(a, &req, creds, &cfg, &r);
    if (rc != 0) {
        print_error("%s: sign failed: %s\n", ctx, s3x_error_name(rc));
        ++bad;
    } else {
        bad += s_compare(ctx, c, s3_suite, mode == S3X_SIGV4_MODE_HEADER ? "header" : "query", &r);
    }
    s3x__sigv4_result_clean_up(&r);
    s3x_credentials_release(creds);
    free(path);
    free(query);
    return bad;
}

static void s_run_suite(void **state, const char *dir, bool s3_suite, size_t expected, enum s3x_sigv4_mode mode) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static char names[128][128];
    size_t n = s3x_vec_list(dir, names, 128);
    assert_int_equal(n, expected); /* every case of the suite, no fewer */
    int failures = 0;
    for (size_t i = 0; i < n; ++i) {
        struct s3x_vec_case c;
        assert_int_equal(s3x_vec_load(dir, names[i], &c), 0);
        if (s3_suite) {
            assert_false(c.normalize); /* S3 never normalises */
        }
        int bad = s_run_case(a, &c, s3_suite, mode);
        failures += bad != 0;
        s3x_vec_free(&c);
    }
    if (failures != 0) {
        fail_msg("%d of %zu cases failed", failures, n);
    }
}

static void test_aws_suite_header_mode(void **state) {
    s_run_suite(state, S_AWS_SUITE, false, S_AWS_CASES, S3X_SIGV4_MODE_HEADER);
}

static void test_aws_suite_query_mode(void **state) {
    s_run_suite(state, S_AWS_SUITE, false, S_AWS_CASES, S3X_SIGV4_MODE_QUERY);
}

static void test_s3_suite_header_mode(void **state) {
    s_run_suite(state, S_S3_SUITE, true, S_S3_CASES, S3X_SIGV4_MODE_HEADER);
}

static void test_s3_suite_query_mode(void **state) {
    s_run_suite(state, S_S3_SUITE, true, S_S3_CASES, S3X_SIGV4_MODE_QUERY);
}

/* The mismatch reporting itself: a wrong secret must make a case fail (the suite runner cannot
 * pass vacuously). */
static void test_suite_runner_detects_a_wrong_signature(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_vec_case c;
    assert_int_equal(s3x_vec_load(S_S3_SUITE, "s3-get-object", &c), 0);
    assert_int_equal(s_run_case(a, &c, true, S3X_SIGV4_MODE_HEADER), 0);
    c.secret_access_key[0] ^= 1;
    assert_true(s_run_case(a, &c, true, S3X_SIGV4_MODE_HEADER) > 0);
    assert_true(s_run_case(a, &c, true, S3X_SIGV4_MODE_QUERY) > 0);
    s3x_vec_free(&c);
}

const struct CMUnitTest s3x_sigv4_vector_tests[] = {
    S3X_TEST(test_aws_suite_header_mode),
    S3X_TEST(test_aws_suite_query_mode),
    S3X_TEST(test_s3_suite_header_mode),
    S3X_TEST(test_s3_suite_query_mode),
    S3X_TEST(test_suite_runner_detects_a_wrong_signature),
};
const size_t s3x_sigv4_vector_tests_count = sizeof(s3x_sigv4_vector_tests) / sizeof(s3x_sigv4_vector_tests[0]);
