/* Shared pieces of the single-request operation tests. */
#include "test_ops.h"

#include <string.h>
#include <unistd.h>

void ops_env_init(struct ops_env *e, void **state) {
    memset(e, 0, sizeof(*e));
    e->a = s3x_test_allocator(state);
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    e->client = s3x_test_client_new(e->a, &opt);
    s3x_test_create_bucket(e->client, e->bucket, sizeof(e->bucket));
}

void ops_env_clean_up(struct ops_env *e) {
    e->client = s3x_client_release(e->client);
}

void ops_object_cb(struct s3x_client *client, struct s3x_object_result *result, void *user) {
    (void)client;
    struct ops_counter *c = user;
    s3x_object_result_clean_up(&c->object);
    c->object = *result; /* moved out: the library cleans up the zeros left behind */
    memset(result, 0, sizeof(*result));
    atomic_fetch_add(&c->calls, 1);
}

void ops_list_cb(struct s3x_client *client, struct s3x_list_result *result, void *user) {
    (void)client;
    struct ops_counter *c = user;
    s3x_list_result_clean_up(&c->list);
    c->list = *result;
    memset(result, 0, sizeof(*result));
    atomic_fetch_add(&c->calls, 1);
}

void ops_status_cb(struct s3x_client *client, struct s3x_op_result *result, void *user) {
    (void)client;
    struct ops_counter *c = user;
    s3x_op_result_clean_up(&c->status);
    c->status = *result;
    memset(result, 0, sizeof(*result));
    atomic_fetch_add(&c->calls, 1);
}

void ops_counter_clean_up(struct ops_counter *c) {
    s3x_object_result_clean_up(&c->object);
    s3x_list_result_clean_up(&c->list);
    s3x_op_result_clean_up(&c->status);
}

void ops_wait(atomic_int *calls, int n) {
    uint64_t deadline = s3x_test_now_ms() + 30000;
    while (atomic_load(calls) < n && s3x_test_now_ms() < deadline) {
        usleep(500);
    }
    assert_true(atomic_load(calls) >= n);
}

void ops_fill(uint8_t *data, size_t len, uint32_t seed) {
    for (size_t i = 0; i < len; ++i) {
        data[i] = s3x_test_pattern_byte(i, seed);
    }
}

void ops_put(struct ops_env *e, const char *key, const uint8_t *data, size_t len) {
    struct s3x_object_put_options po = {.bucket = e->bucket, .key = key, .data = data, .len = len};
    struct s3x_object_result r;
    int rc = s3x_object_put_sync(e->client, &po, &r);
    if (rc != 0) {
        fail_msg("PutObject %s: %s (%s)", key, s3x_error_name(rc), r.s3_error.code ? r.s3_error.code : "-");
    }
    s3x_object_result_clean_up(&r);
}

void ops_assert_no_uploads(struct ops_env *e) {
    struct s3x_multipart_list_uploads_options lo = {.bucket = e->bucket};
    struct s3x_uploads_result r;
    assert_int_equal(s3x_multipart_list_uploads_sync(e->client, &lo, &r), 0);
    for (size_t i = 0; i < r.uploads_count; ++i) {
        print_message("orphaned upload: %s %s\n", r.uploads[i].key, r.uploads[i].upload_id);
    }
    assert_int_equal(r.uploads_count, 0);
    s3x_uploads_result_clean_up(&r);
}

static void s_unquote(const char *s, const char **out, size_t *len) {
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        *out = s + 1;
        *len = n - 2;
    } else {
        *out = s;
        *len = n;
    }
}

bool ops_etag_equal(const char *a, const char *b) {
    if (a == NULL || b == NULL) {
        return false;
    }
    const char *pa;
    const char *pb;
    size_t la;
    size_t lb;
    s_unquote(a, &pa, &la);
    s_unquote(b, &pb, &lb);
    return la == lb && memcmp(pa, pb, la) == 0;
}
