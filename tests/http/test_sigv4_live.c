/* The signer against a real S3 server: requests built by the endpoint layer, signed by
 * s3x__sigv4_sign and sent with plain libcurl (no transfer engine) to the server scripts/test
 * starts (OpenStack Swift + s3api: S3X_TEST_ENDPOINT, S3X_TEST_ACCESS_KEY, S3X_TEST_SECRET_KEY,
 * S3X_TEST_REGION). Every test is skipped when S3X_TEST_ENDPOINT is not set.
 *
 * What the server proves that the vectors cannot: the wire path equals the signed path for keys
 * with spaces, '+', '%', '=', '&', '~', UTF-8 and "//.." (no normalisation by curl, thanks to
 * CURLOPT_PATH_AS_IS); the signed body hash and UNSIGNED-PAYLOAD are accepted; presigned URLs
 * work; "?uploads" canonicalises as the server expects; the access key "test:tester" with a ':'
 * works; a wrong secret is refused with SignatureDoesNotMatch. */
#include "harness.h"

#include "http/credentials.h"
#include "http/endpoint.h"
#include "http/sigv4.h"
#include "http/uri.h"

#include <s3xfer/error.h>

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct s_live {
    const char *endpoint;
    const char *access_key;
    const char *secret;
    const char *region;
};

static bool s_live_env(struct s_live *l) {
    l->endpoint = getenv("S3X_TEST_ENDPOINT");
    l->access_key = getenv("S3X_TEST_ACCESS_KEY");
    l->secret = getenv("S3X_TEST_SECRET_KEY");
    l->region = getenv("S3X_TEST_REGION");
    if (l->region == NULL) {
        l->region = "us-east-1";
    }
    return l->endpoint != NULL && l->access_key != NULL && l->secret != NULL;
}

#define S_SKIP_WITHOUT_SERVER(l)                                                                     \
    do {                                                                                             \
        if (!s_live_env(l)) {                                                                        \
            print_message("S3X_TEST_ENDPOINT is not set: no S3 server, skipped\n");                  \
            skip();                                                                                  \
        }                                                                                            \
    } while (0)

struct s_response {
    long status;
    char *body;
    size_t len;
};

static size_t s_collect(char *data, size_t size, size_t n, void *user) {
    struct s_response *r = user;
    r->body = realloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, data, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

struct s_call {
    const char *method;
    const char *bucket;
    const char *key;
    const struct s3x_query_param *query;
    size_t query_count;
    const char *body; /* NULL: none */
    size_t body_len;
    bool unsigned_payload;
    enum s3x_sigv4_mode mode;
    const char *secret; /* NULL: the server's */
};

/* Builds, signs and sends one request. */
static struct s_response s_send(struct s3x_allocator *a, const struct s_live *l, const struct s_call *c) {
    struct s3x_endpoint ep;
    char err[256];
    assert_int_equal(s3x__endpoint_init(&ep, a, l->endpoint, l->region, S3X_ADDRESSING_AUTO, err, sizeof(err)), 0);
    struct s3x_http_target t;
    assert_int_equal(s3x__endpoint_target(&ep, a, c->bucket, c->key, c->query, c->query_count, &t), 0);
    char payload[65];
    assert_int_equal(s3x__sha256_hex(c->body != NULL ? c->body : "", c->body_len, payload), 0);
    char length[32];
    snprintf(length, sizeof(length), "%zu", c->body_len);
    const struct s3x_sigv4_header headers[] = {{"Content-Length", length}};
    struct s3x_sigv4_request req = {
        .method = c->method,
        .path = t.path,
        .query = t.query,
        .host = t.host,
        .headers = headers,
        .header_count = c->body != NULL ? 1 : 0,
        .payload_hash = c->unsigned_payload || c->mode == S3X_SIGV4_MODE_QUERY ? S3X_SIGV4_UNSIGNED_PAYLOAD : payload,
    };
    struct s3x_credentials *creds = NULL;
    assert_int_equal(s3x_credentials_new(a, l->access_key, c->secret != NULL ? c->secret : l->secret, NULL, &creds), 0);
    struct s3x_sigv4_config cfg = {.region = l->region, .mode = c->mode};
    struct s3x_sigv4_result r;
    assert_int_equal(s3x__sigv4_sign(a, &req, creds, &cfg, &r), 0);

    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    char *url = NULL;
    if (c->mode == S3X_SIGV4_MODE_QUERY) {
        size_t n = strlen(l->endpoint) + strlen(t.host) + strlen(t.path) + strlen(r.query) + 16;
        url = malloc(n);
        snprintf(url, n, "%s://%s%s?%s", ep.https ? "https" : "http", t.host, t.path, r.query);
    } else {
        url = strdup(t.url);
    }
    struct curl_slist *list = NULL;
    char line[4096];
    for (size_t i = 0; i < r.header_count; ++i) {
        snprintf(line, sizeof(line), "%s: %s", r.headers[i].name, r.headers[i].value);
        list = curl_slist_append(list, line);
    }
    list = curl_slist_append(list, "Expect:");
    struct s_response resp = {0, NULL, 0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, c->method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (strcmp(c->method, "HEAD") == 0) {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    if (c->body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    }
    CURLcode cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        fail_msg("%s %s: %s", c->method, url, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    free(url);
    s3x__sigv4_result_clean_up(&r);
    s3x_credentials_release(creds);
    s3x__http_target_clean_up(&t);
    s3x__endpoint_clean_up(&ep);
    return resp;
}

static void s_expect(struct s3x_allocator *a, const struct s_live *l, const struct s_call *c, long status,
    const char *body) {
    struct s_response r = s_send(a, l, c);
    if (r.status != status || (body != NULL && (r.body == NULL || r.len != strlen(body) || strcmp(r.body, body) != 0))) {
        fail_msg("%s %s/%s [%s]: status %ld, expected %ld; body: %s", c->method, c->bucket ? c->bucket : "",
            c->key ? c->key : "", c->mode == S3X_SIGV4_MODE_QUERY ? "presigned" : "header", r.status, status,
            r.body ? r.body : "");
    }
    free(r.body);
}

static void s_bucket_name(char *out, size_t n, const char *what) {
    snprintf(out, n, "s3x-sign-%s-%ld-%ld", what, (long)getpid(), (long)time(NULL));
}

static const char *const s_keys[] = {
    "plain.txt",
    "my file.txt",
    "a+b.txt",
    "100%.txt",
    "%20literal",
    "a=b&c.txt",
    "~user/file~1.txt",
    "dir/\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80.bin",
    "a//b/../c",
    "semi;colon,comma!(paren)'quote'*star",
};

static void test_live_keys_round_trip(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_live l;
    S_SKIP_WITHOUT_SERVER(&l);
    char bucket[64];
    s_bucket_name(bucket, sizeof(bucket), "keys");
    s_expect(a, &l, &(struct s_call){.method = "PUT", .bucket = bucket}, 200, NULL);
    for (size_t i = 0; i < sizeof(s_keys) / sizeof(s_keys[0]); ++i) {
        char body[256];
        snprintf(body, sizeof(body), "object %zu: %s", i, s_keys[i]);
        size_t n = strlen(body);
        /* PUT with the body's SHA-256 signed, then with UNSIGNED-PAYLOAD (same content) */
        s_expect(a, &l, &(struct s_call){"PUT", bucket, s_keys[i], NULL, 0, body, n, false, 0, NULL}, 200, NULL);
        s_expect(a, &l, &(struct s_call){"PUT", bucket, s_keys[i], NULL, 0, body, n, true, 0, NULL}, 200, NULL);
        s_expect(a, &l, &(struct s_call){.method = "GET", .bucket = bucket, .key = s_keys[i]}, 200, body);
        s_expect(a, &l, &(struct s_call){.method = "HEAD", .bucket = bucket, .key = s_keys[i]}, 200, NULL);
        s_expect(a, &l, &(struct s_call){.method = "GET", .bucket = bucket, .key = s_keys[i],
            .mode = S3X_SIGV4_MODE_QUERY}, 200, body);
    }
    /* ListObjectsV2 with a query that needs encoding and sorting; every key comes back */
    const struct s3x_query_param list[] = {{"list-type", "2"}, {"prefix", ""}, {"encoding-type", "url"},
        {"max-keys", "1000"}};
    struct s_response r = s_send(a, &l, &(struct s_call){.method = "GET", .bucket = bucket, .query = list,
        .query_count = 4});
    assert_int_equal(r.status, 200);
    size_t found = 0;
    for (const char *p = r.body; (p = strstr(p, "<Key>")) != NULL; ++found) {
        p += 5;
        const char *end = strstr(p, "</Key>");
        assert_non_null(end);
        char *key = NULL;
        /* S3 writes spaces as '+' with encoding-type=url; '+' itself as %2B */
        assert_int_equal(s3x__uri_decode(a, p, (size_t)(end - p), true, &key, NULL), 0);
        bool known = false;
        for (size_t i = 0; i < sizeof(s_keys) / sizeof(s_keys[0]); ++i) {
            known = known || strcmp(key, s_keys[i]) == 0;
        }
        if (!known) {
            fail_msg("listed key \"%s\" is none of ours", key);
        }
        s3x_mem_release(a, key);
    }
    free(r.body);
    assert_int_equal(found, sizeof(s_keys) / sizeof(s_keys[0]));
    for (size_t i = 0; i < sizeof(s_keys) / sizeof(s_keys[0]); ++i) {
        s_expect(a, &l, &(struct s_call){.method = "DELETE", .bucket = bucket, .key = s_keys[i]}, 204, NULL);
    }
    s_expect(a, &l, &(struct s_call){.method = "DELETE", .bucket = bucket}, 204, NULL);
}

/* POST ?uploads (a value-less key) and DELETE ?uploadId=... with an id that needs encoding. */
static void test_live_multipart_queries(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_live l;
    S_SKIP_WITHOUT_SERVER(&l);
    char bucket[64];
    s_bucket_name(bucket, sizeof(bucket), "mpu");
    s_expect(a, &l, &(struct s_call){.method = "PUT", .bucket = bucket}, 200, NULL);
    for (int mode = 0; mode < 2; ++mode) {
        const struct s3x_query_param uploads[] = {{"uploads", NULL}};
        struct s_response r = s_send(a, &l, &(struct s_call){.method = "POST", .bucket = bucket, .key = "big file+1",
            .query = uploads, .query_count = 1, .mode = (enum s3x_sigv4_mode)mode});
        assert_int_equal(r.status, 200);
        const char *id = strstr(r.body, "<UploadId>");
        assert_non_null(id);
        id += 10;
        char upload_id[256];
        snprintf(upload_id, sizeof(upload_id), "%.*s", (int)(strstr(id, "</UploadId>") - id), id);
        free(r.body);
        const struct s3x_query_param abort_q[] = {{"uploadId", upload_id}};
        s_expect(a, &l, &(struct s_call){.method = "DELETE", .bucket = bucket, .key = "big file+1", .query = abort_q,
            .query_count = 1, .mode = (enum s3x_sigv4_mode)mode}, 204, NULL);
    }
    s_expect(a, &l, &(struct s_call){.method = "DELETE", .bucket = bucket}, 204, NULL);
}

static void test_live_wrong_secret(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s_live l;
    S_SKIP_WITHOUT_SERVER(&l);
    for (int mode = 0; mode < 2; ++mode) {
        struct s_response r = s_send(a, &l, &(struct s_call){.method = "GET", .bucket = "any-bucket", .key = "k",
            .secret = "not-the-secret", .mode = (enum s3x_sigv4_mode)mode});
        assert_int_equal(r.status, 403);
        assert_non_null(r.body);
        assert_non_null(strstr(r.body, "<Code>SignatureDoesNotMatch</Code>"));
        free(r.body);
    }
}

int main(int argc, char **argv) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_live_keys_round_trip),
        S3X_TEST(test_live_multipart_queries),
        S3X_TEST(test_live_wrong_secret),
    };
    int rc = S3X_TEST_MAIN(argc, argv, "sigv4_live", tests);
    curl_global_cleanup();
    return rc;
}
