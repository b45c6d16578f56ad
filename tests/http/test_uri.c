/* URI encoding the S3 way, decoding of `encoding-type=url` results, query building, and the
 * generic path normalisation (table tests, round trips, fail-the-Nth sweeps). */
#include "signing_tests.h"

#include "http/uri.h"

#include <s3xfer/error.h>

#include <stdlib.h>
#include <string.h>

struct s_enc_case {
    const char *in;
    const char *path;  /* keep_slash = true */
    const char *query; /* keep_slash = false */
};

static const struct s_enc_case s_enc_cases[] = {
    {"", "", ""},
    {"plain.txt", "plain.txt", "plain.txt"},
    {"my file.txt", "my%20file.txt", "my%20file.txt"},
    {"a+b", "a%2Bb", "a%2Bb"},
    {"100%.txt", "100%25.txt", "100%25.txt"},
    {"%20", "%2520", "%2520"}, /* never decoded first: a literal "%20" in a key is 3 bytes */
    {"~user/file~1", "~user/file~1", "~user%2Ffile~1"},
    {"a=b&c", "a%3Db%26c", "a%3Db%26c"},
    {"a//b/../c", "a//b/../c", "a%2F%2Fb%2F..%2Fc"},
    {"..", "..", ".."},
    {"-._~AZaz09", "-._~AZaz09", "-._~AZaz09"},
    {"dir/\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80.bin", "dir/%C3%BC%E2%82%AC%F0%9F%98%80.bin",
        "dir%2F%C3%BC%E2%82%AC%F0%9F%98%80.bin"},
    {"!*'();:@$,?#[]\"<>\\^`{|}", "%21%2A%27%28%29%3B%3A%40%24%2C%3F%23%5B%5D%22%3C%3E%5C%5E%60%7B%7C%7D",
        "%21%2A%27%28%29%3B%3A%40%24%2C%3F%23%5B%5D%22%3C%3E%5C%5E%60%7B%7C%7D"},
    {"\t\n\x7f\xff", "%09%0A%7F%FF", "%09%0A%7F%FF"},
    {"1+ab/cd==", "1%2Bab/cd%3D%3D", "1%2Bab%2Fcd%3D%3D"},
};

static void test_uri_encode_table(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    for (size_t i = 0; i < sizeof(s_enc_cases) / sizeof(s_enc_cases[0]); ++i) {
        const struct s_enc_case *c = &s_enc_cases[i];
        for (int slash = 0; slash < 2; ++slash) {
            const char *want = slash ? c->path : c->query;
            char *got = NULL;
            assert_int_equal(s3x__uri_encode(a, c->in, strlen(c->in), slash, &got), 0);
            if (strcmp(got, want) != 0) {
                fail_msg("encode(\"%s\", keep_slash=%d) = \"%s\", expected \"%s\"", c->in, slash, got, want);
            }
            assert_int_equal(s3x__uri_encoded_len(c->in, strlen(c->in), slash), strlen(want));
            /* and back */
            char *back = NULL;
            size_t back_len = 0;
            assert_int_equal(s3x__uri_decode(a, got, strlen(got), false, &back, &back_len), 0);
            assert_int_equal(back_len, strlen(c->in));
            assert_memory_equal(back, c->in, back_len);
            s3x_mem_release(a, back);
            s3x_mem_release(a, got);
        }
    }
}

static void test_uri_encode_every_byte(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    char in[255];
    for (int i = 1; i < 256; ++i) {
        in[i - 1] = (char)i;
    }
    char *enc = NULL;
    assert_int_equal(s3x__uri_encode(a, in, sizeof(in), false, &enc), 0);
    /* 66 unreserved bytes stay, the other 189 take 3 bytes each */
    assert_int_equal(strlen(enc), 66 + 189 * 3);
    for (const char *p = enc; *p != '\0'; ++p) {
        if (*p == '%') {
            assert_true((p[1] >= '0' && p[1] <= '9') || (p[1] >= 'A' && p[1] <= 'F'));
            assert_true((p[2] >= '0' && p[2] <= '9') || (p[2] >= 'A' && p[2] <= 'F'));
            p += 2;
        } else {
            assert_true(s3x__uri_is_unreserved((unsigned char)*p));
        }
    }
    char *dec = NULL;
    size_t dec_len = 0;
    assert_int_equal(s3x__uri_decode(a, enc, strlen(enc), false, &dec, &dec_len), 0);
    assert_int_equal(dec_len, sizeof(in));
    assert_memory_equal(dec, in, sizeof(in));
    s3x_mem_release(a, dec);
    s3x_mem_release(a, enc);
}

struct s_dec_case {
    const char *in;
    bool plus_as_space;
    int rc;
    const char *out;
};

static const struct s_dec_case s_dec_cases[] = {
    {"my%20file.txt", false, 0, "my file.txt"},
    {"a+b", false, 0, "a+b"},
    {"a+b", true, 0, "a b"},    /* S3's encoding-type=url writes spaces as '+' */
    {"a%2Bb", true, 0, "a+b"},  /* and '+' as %2B */
    {"%c3%bc%C3%BC", false, 0, "\xc3\xbc\xc3\xbc"},
    {"100%25", false, 0, "100%"},
    {"%", false, S3X_ERR_PARSE, NULL},
    {"%2", false, S3X_ERR_PARSE, NULL},
    {"%zz", false, S3X_ERR_PARSE, NULL},
    {"a%g1", false, S3X_ERR_PARSE, NULL},
    {"nul%00byte", false, S3X_ERR_PARSE, NULL},
    {"", false, 0, ""},
};

static void test_uri_decode_table(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    for (size_t i = 0; i < sizeof(s_dec_cases) / sizeof(s_dec_cases[0]); ++i) {
        const struct s_dec_case *c = &s_dec_cases[i];
        char *out = (char *)1;
        size_t n = 99;
        int rc = s3x__uri_decode(a, c->in, strlen(c->in), c->plus_as_space, &out, &n);
        if (rc != c->rc) {
            fail_msg("decode(\"%s\") returned %s, expected %s", c->in, s3x_error_name(rc), s3x_error_name(c->rc));
        }
        if (rc == 0) {
            assert_string_equal(out, c->out);
            assert_int_equal(n, strlen(c->out));
            s3x_mem_release(a, out);
        } else {
            assert_null(out);
        }
    }
    /* in place */
    char buf[] = "a%20b+c";
    size_t n = 0;
    assert_int_equal(s3x__uri_decode_in_place(buf, strlen(buf), true, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(buf, "a b c");
    assert_int_equal(s3x__uri_decode(NULL, "x", 1, false, &(char *){NULL}, NULL), S3X_ERR_INVALID_ARGUMENT);
}

static void test_query_build(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    const struct s3x_query_param list[] = {
        {"list-type", "2"},
        {"prefix", "a/b"},
        {"continuation-token", "1+ab/cd=="},
        {"delimiter", "/"},
        {"encoding-type", "url"},
    };
    char *q = NULL;
    size_t n = 0;
    assert_int_equal(s3x__query_build(a, list, 5, &q, &n), 0);
    assert_string_equal(q,
        "continuation-token=1%2Bab%2Fcd%3D%3D&delimiter=%2F&encoding-type=url&list-type=2&prefix=a%2Fb");
    assert_int_equal(n, strlen(q));
    s3x_mem_release(a, q);

    /* value-less keys are written bare, sort as an empty value; uppercase sorts first */
    const struct s3x_query_param mixed[] = {{"uploads", NULL}, {"X-Amz-Date", "x"}, {"a", ""}, {"a", NULL}, {"a", "b"}};
    assert_int_equal(s3x__query_build(a, mixed, 5, &q, NULL), 0);
    assert_string_equal(q, "X-Amz-Date=x&a&a=&a=b&uploads");
    s3x_mem_release(a, q);

    /* sorted on the encoded bytes, not the raw ones: raw '~' (0x7E) > raw 'é', but "%C3" < "~" */
    const struct s3x_query_param enc[] = {{"~", "1"}, {"\xc3\xa9", "2"}, {"!", "3"}};
    assert_int_equal(s3x__query_build(a, enc, 3, &q, NULL), 0);
    assert_string_equal(q, "%21=3&%C3%A9=2&~=1");
    s3x_mem_release(a, q);

    assert_int_equal(s3x__query_build(a, NULL, 0, &q, &n), 0);
    assert_string_equal(q, "");
    assert_int_equal(n, 0);
    s3x_mem_release(a, q);

    const struct s3x_query_param bad[] = {{"", "x"}};
    assert_int_equal(s3x__query_build(a, bad, 1, &q, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_null(q);
}

static void test_query_split_and_sort(void **state) {
    (void)state;
    const char *q = "b=2&&a&A=1&a=&b=1&";
    size_t count = s3x__query_count(q, strlen(q));
    assert_int_equal(count, 5);
    struct s3x_query_span spans[5];
    assert_int_equal(s3x__query_split(q, strlen(q), spans), 5);
    s3x__query_sort(spans, 5);
    const char *want[][2] = {{"A", "1"}, {"a", NULL}, {"a", ""}, {"b", "1"}, {"b", "2"}};
    for (size_t i = 0; i < 5; ++i) {
        assert_int_equal(spans[i].key_len, strlen(want[i][0]));
        assert_memory_equal(spans[i].key, want[i][0], spans[i].key_len);
        if (want[i][1] == NULL) {
            assert_null(spans[i].value);
        } else {
            assert_int_equal(spans[i].value_len, strlen(want[i][1]));
            assert_memory_equal(spans[i].value, want[i][1], spans[i].value_len);
        }
    }
    assert_int_equal(s3x__query_count("", 0), 0);
    assert_int_equal(s3x__query_count("&&", 2), 0);
}

static void test_normalize_path(void **state) {
    (void)state;
    const char *cases[][2] = {
        {"/", "/"},
        {"//", "/"},
        {"/./", "/"},
        {"/example/..", "/"},
        {"/example1/example2/../..", "/"},
        {"/./example", "/example"},
        {"//example//", "/example/"},
        {"/a/b/../c/", "/a/c/"},
        {"/../../a", "/a"},
        {"/a%20b/.", "/a%20b"},
        {"/a/..b/.c", "/a/..b/.c"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        char out[64];
        size_t n = s3x__uri_normalize_path(cases[i][0], strlen(cases[i][0]), out);
        if (strcmp(out, cases[i][1]) != 0 || n != strlen(cases[i][1])) {
            fail_msg("normalize(\"%s\") = \"%s\", expected \"%s\"", cases[i][0], out, cases[i][1]);
        }
    }
}

static int s_uri_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    const struct s3x_query_param p[] = {{"partNumber", "3"}, {"uploadId", "abc/def+ghi="}};
    char *q = NULL;
    int rc = s3x__query_build(a, p, 2, &q, NULL);
    if (rc != 0) {
        return rc;
    }
    char *e = NULL;
    rc = s3x__uri_encode(a, "dir/a b", 7, true, &e);
    if (rc == 0) {
        char *d = NULL;
        rc = s3x__uri_decode(a, e, strlen(e), false, &d, NULL);
        s3x_mem_release(a, d);
    }
    s3x_mem_release(a, e);
    s3x_mem_release(a, q);
    return rc;
}

static void test_uri_fail_nth(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    assert_int_equal(s3x_test_sweep_fail_nth(a, s_uri_block, NULL, 0), 4);
}

const struct CMUnitTest s3x_uri_tests[] = {
    S3X_TEST(test_uri_encode_table),
    S3X_TEST(test_uri_encode_every_byte),
    S3X_TEST(test_uri_decode_table),
    S3X_TEST(test_query_build),
    S3X_TEST(test_query_split_and_sort),
    S3X_TEST(test_normalize_path),
    S3X_TEST(test_uri_fail_nth),
};
const size_t s3x_uri_tests_count = sizeof(s3x_uri_tests) / sizeof(s3x_uri_tests[0]);
