/* Single-request S3 operations (objects.h) against the S3 test server: every operation round
 * trips, errors keep their S3 code, listings page and decode, ranges, copies, multipart calls one
 * by one, and a fail-the-Nth sweep. Every test runs with the harness's tracking allocator; the
 * asynchronous forms are checked for exact callback counts. Multipart and copy tests are in
 * test_ops_multipart.c. */
#include "test_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- put, head, get, delete ------------------------------------------------------------------ */

/* If-Match with another ETag, If-None-Match with this one. */
static void s_preconditions(struct ops_env *e, const char *key, const char *etag) {
    struct s3x_object_get_options go = {.bucket = e->bucket, .key = key, .if_match = "\"00000000000000000000000000000000\""};
    struct s3x_object_result get;
    assert_int_equal(s3x_object_get_sync(e->client, &go, &get), S3X_ERR_S3_PRECONDITION_FAILED);
    assert_int_equal(get.s3_error.http_status, 412);
    assert_null(get.data);
    s3x_object_result_clean_up(&get);
    struct s3x_object_head_options ho = {.bucket = e->bucket, .key = key, .if_match = go.if_match};
    assert_int_equal(s3x_object_head_sync(e->client, &ho, &get), S3X_ERR_S3_PRECONDITION_FAILED);
    s3x_object_result_clean_up(&get);
    go.if_match = NULL;
    go.if_none_match = etag;
    assert_int_equal(s3x_object_get_sync(e->client, &go, &get), S3X_ERR_S3_PRECONDITION_FAILED);
    assert_int_equal(get.s3_error.http_status, 304);
    s3x_object_result_clean_up(&get);
}

static void test_put_head_get_delete(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    uint8_t data[3000];
    ops_fill(data, sizeof(data), 7);
    const struct s3x_metadata meta[2] = {{"Color", "blue"}, {"owner", "s3xfer test"}};
    struct s3x_object_put_options po = {.bucket = e.bucket, .key = "dir/obj 1+x", .data = data, .len = sizeof(data),
        .content_type = "application/x-test", .metadata = meta, .metadata_count = 2,
        .checksum = S3X_CHECKSUM_SHA256, .checksum_set = true};
    struct s3x_object_result put;
    assert_int_equal(s3x_object_put_sync(e.client, &po, &put), 0);
    assert_int_equal(put.error, 0);
    assert_int_equal(put.http_status, 200);
    assert_non_null(put.info.etag);
    assert_int_equal(put.info.size, sizeof(data));
    assert_string_equal(put.info.key, "dir/obj 1+x");
    assert_non_null(put.info.checksums.sha256); /* computed and sent (Swift does not echo it) */
    assert_null(put.info.checksums.crc32c);
    assert_null(put.s3_error.code);

    struct s3x_object_head_options ho = {.bucket = e.bucket, .key = "dir/obj 1+x"};
    struct s3x_object_result head;
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &head), 0);
    assert_int_equal(head.info.size, sizeof(data));
    assert_string_equal(head.info.etag, put.info.etag);
    assert_string_equal(head.info.content_type, "application/x-test");
    assert_true(head.info.has_last_modified);
    assert_true(head.info.last_modified > 1600000000);
    assert_non_null(head.info.last_modified_raw);
    assert_int_equal(head.info.metadata_count, 2);
    int found = 0;
    for (size_t i = 0; i < head.info.metadata_count; ++i) {
        const struct s3x_metadata *m = &head.info.metadata[i];
        found += strcmp(m->name, "color") == 0 && strcmp(m->value, "blue") == 0;
        found += strcmp(m->name, "owner") == 0 && strcmp(m->value, "s3xfer test") == 0;
    }
    assert_int_equal(found, 2);
    assert_null(head.data);

    struct s3x_object_get_options go = {.bucket = e.bucket, .key = "dir/obj 1+x", .if_match = put.info.etag};
    struct s3x_object_result get;
    assert_int_equal(s3x_object_get_sync(e.client, &go, &get), 0);
    assert_int_equal(get.http_status, 200);
    assert_int_equal(get.data_len, sizeof(data));
    assert_memory_equal(get.data, data, sizeof(data));
    assert_false(get.range.present);
    assert_int_equal(get.info.size, sizeof(data));
    assert_string_equal(get.info.etag, put.info.etag);
    assert_int_equal(get.info.metadata_count, 2);
    s3x_object_result_clean_up(&get);

    s_preconditions(&e, "dir/obj 1+x", put.info.etag);

    /* Delete, then the key is gone; deleting it again still succeeds (S3's rule). */
    struct s3x_object_delete_options dopt = {.bucket = e.bucket, .key = "dir/obj 1+x"};
    struct s3x_op_result del;
    assert_int_equal(s3x_object_delete_sync(e.client, &dopt, &del), 0);
    s3x_op_result_clean_up(&del);
    struct s3x_object_result head2;
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &head2), S3X_ERR_S3_NO_SUCH_KEY);
    s3x_object_result_clean_up(&head2);
    assert_int_equal(s3x_object_delete_sync(e.client, &dopt, &del), 0);
    s3x_op_result_clean_up(&del);

    s3x_object_result_clean_up(&head);
    s3x_object_result_clean_up(&put);
    ops_env_clean_up(&e);
}

static void test_empty_and_checksums(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    uint8_t data[10] = {0};
    /* An empty object, with the client's checksum (CRC32C); then one with none. */
    struct s3x_object_put_options empty = {.bucket = e.bucket, .key = "empty"};
    struct s3x_object_result r;
    assert_int_equal(s3x_object_put_sync(e.client, &empty, &r), 0);
    assert_string_equal(r.info.checksums.crc32c, "AAAAAA==");
    s3x_object_result_clean_up(&r);
    struct s3x_object_put_options none = {.bucket = e.bucket, .key = "none", .data = data, .len = 10,
        .checksum = S3X_CHECKSUM_NONE, .checksum_set = true};
    assert_int_equal(s3x_object_put_sync(e.client, &none, &r), 0);
    assert_null(r.info.checksums.crc32c);
    assert_null(r.info.checksums.sha256);
    s3x_object_result_clean_up(&r);
    struct s3x_object_get_options ge = {.bucket = e.bucket, .key = "empty"};
    assert_int_equal(s3x_object_get_sync(e.client, &ge, &r), 0);
    assert_int_equal(r.data_len, 0);
    assert_null(r.data);
    assert_int_equal(r.info.size, 0);
    s3x_object_result_clean_up(&r);

    /* More headers than the inline room of a request being built: 20 metadata entries. */
    char names[20][16];
    char values[20][16];
    struct s3x_metadata meta[20];
    for (int i = 0; i < 20; ++i) {
        snprintf(names[i], sizeof(names[i]), "Key-%02d", i);
        snprintf(values[i], sizeof(values[i]), "value %d", i);
        meta[i] = (struct s3x_metadata){names[i], values[i]};
    }
    struct s3x_object_put_options many = {.bucket = e.bucket, .key = "many", .data = data, .len = 10,
        .metadata = meta, .metadata_count = 20};
    assert_int_equal(s3x_object_put_sync(e.client, &many, &r), 0);
    s3x_object_result_clean_up(&r);
    struct s3x_object_head_options ho = {.bucket = e.bucket, .key = "many"};
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &r), 0);
    assert_int_equal(r.info.metadata_count, 20);
    int found = 0;
    for (size_t i = 0; i < r.info.metadata_count; ++i) {
        int n = -1;
        if (sscanf(r.info.metadata[i].name, "key-%d", &n) == 1 && n >= 0 && n < 20) {
            found += strcmp(r.info.metadata[i].value, values[n]) == 0;
        }
    }
    assert_int_equal(found, 20);
    s3x_object_result_clean_up(&r);
    ops_env_clean_up(&e);
}

static void test_bad_arguments(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    struct ops_counter c = {0};
    struct s3x_object_head_options no_key = {.bucket = e.bucket};
    assert_int_equal(s3x_object_head(e.client, &no_key, ops_object_cb, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_object_head(e.client, NULL, ops_object_cb, &c), S3X_ERR_INVALID_ARGUMENT);
    struct s3x_object_head_options ok = {.bucket = e.bucket, .key = "k"};
    assert_int_equal(s3x_object_head(e.client, &ok, NULL, &c), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x_object_head(NULL, &ok, ops_object_cb, &c), S3X_ERR_INVALID_ARGUMENT);
    struct s3x_object_result r;
    assert_int_equal(s3x_object_head_sync(e.client, &no_key, &r), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(r.error, S3X_ERR_INVALID_ARGUMENT);
    s3x_object_result_clean_up(&r);
    const struct s3x_metadata bad_meta[1] = {{"", "v"}};
    struct s3x_object_put_options po = {.bucket = e.bucket, .key = "k", .metadata = bad_meta, .metadata_count = 1};
    assert_int_equal(s3x_object_put_sync(e.client, &po, &r), S3X_ERR_INVALID_ARGUMENT);
    s3x_object_result_clean_up(&r);
    struct s3x_multipart_upload_part_options part = {.bucket = e.bucket, .key = "k", .upload_id = "u"};
    assert_int_equal(s3x_multipart_upload_part_sync(e.client, &part, &r), S3X_ERR_INVALID_ARGUMENT); /* part 0 */
    s3x_object_result_clean_up(&r);
    struct s3x_completed_part parts[2] = {{2, "\"a\"", NULL}, {1, "\"b\"", NULL}}; /* not increasing */
    struct s3x_multipart_complete_options co = {.bucket = e.bucket, .key = "k", .upload_id = "u", .parts = parts,
        .parts_count = 2};
    assert_int_equal(s3x_multipart_complete_sync(e.client, &co, &r), S3X_ERR_INVALID_ARGUMENT);
    s3x_object_result_clean_up(&r);
    struct s3x_object_copy_options copy = {.source_bucket = e.bucket, .source_key = "a", .bucket = e.bucket,
        .key = "b", .content_type = "text/plain"}; /* content type without REPLACE */
    assert_int_equal(s3x_object_copy_sync(e.client, &copy, &r), S3X_ERR_INVALID_ARGUMENT);
    s3x_object_result_clean_up(&r);
    struct s3x_bucket_create_options bad_region = {.bucket = "x", .region = "eu</x>"};
    struct s3x_op_result st;
    assert_int_equal(s3x_bucket_create_sync(e.client, &bad_region, &st), S3X_ERR_INVALID_ARGUMENT);
    s3x_op_result_clean_up(&st);
    assert_int_equal(atomic_load(&c.calls), 0); /* a refused call never calls back */
    ops_env_clean_up(&e);
}

/* --- the asynchronous forms ------------------------------------------------------------------ */

static void s_sync_inside(struct s3x_client *client, struct s3x_object_result *result, void *user) {
    struct ops_counter *c = user;
    /* A blocking call on the event thread would wait for itself: refused. */
    struct s3x_object_head_options ho = {.bucket = "b", .key = "k"};
    struct s3x_object_result inner;
    c->inner_error = s3x_object_head_sync(client, &ho, &inner);
    s3x_object_result_clean_up(&inner);
    ops_object_cb(client, result, user);
}

static void test_async_forms(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    uint8_t data[100];
    ops_fill(data, sizeof(data), 3);
    struct ops_counter put = {0};
    struct s3x_object_put_options po = {.bucket = e.bucket, .key = "async", .data = data, .len = sizeof(data)};
    assert_int_equal(s3x_object_put(e.client, &po, ops_object_cb, &put), 0);
    ops_wait(&put.calls, 1);
    assert_int_equal(put.object.error, 0);

    /* Several at once, each with its own counter. */
    struct ops_counter head = {0};
    struct ops_counter get = {0};
    struct ops_counter list = {0};
    struct ops_counter missing = {0};
    struct ops_counter inside = {0};
    struct s3x_object_head_options ho = {.bucket = e.bucket, .key = "async"};
    struct s3x_object_get_options go = {.bucket = e.bucket, .key = "async", .range = "bytes=10-19"};
    struct s3x_object_list_options lo = {.bucket = e.bucket};
    struct s3x_object_head_options hm = {.bucket = e.bucket, .key = "missing"};
    assert_int_equal(s3x_object_head(e.client, &ho, ops_object_cb, &head), 0);
    assert_int_equal(s3x_object_get(e.client, &go, ops_object_cb, &get), 0);
    assert_int_equal(s3x_object_list(e.client, &lo, ops_list_cb, &list), 0);
    assert_int_equal(s3x_object_head(e.client, &hm, ops_object_cb, &missing), 0);
    assert_int_equal(s3x_object_head(e.client, &ho, s_sync_inside, &inside), 0);
    ops_wait(&head.calls, 1);
    ops_wait(&get.calls, 1);
    ops_wait(&list.calls, 1);
    ops_wait(&missing.calls, 1);
    ops_wait(&inside.calls, 1);
    assert_int_equal(head.object.error, 0);
    assert_string_equal(head.object.info.etag, put.object.info.etag);
    assert_int_equal(get.object.error, 0);
    assert_int_equal(get.object.data_len, 10);
    assert_memory_equal(get.object.data, data + 10, 10);
    assert_int_equal(list.list.error, 0);
    assert_int_equal(list.list.objects_count, 1);
    assert_string_equal(list.list.objects[0].key, "async");
    assert_int_equal(missing.object.error, S3X_ERR_S3_NO_SUCH_KEY);
    assert_string_equal(missing.object.s3_error.code, "NoSuchKey");
    assert_int_equal(inside.inner_error, S3X_ERR_INVALID_STATE);

    struct ops_counter del = {0};
    struct s3x_object_delete_options dopt = {.bucket = e.bucket, .key = "async"};
    assert_int_equal(s3x_object_delete(e.client, &dopt, ops_status_cb, &del), 0);
    ops_wait(&del.calls, 1);
    assert_int_equal(del.status.error, 0);

    /* Exactly once each, also after everything settled. */
    usleep(20000);
    struct ops_counter *all[] = {&put, &head, &get, &list, &missing, &inside, &del};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); ++i) {
        assert_int_equal(atomic_load(&all[i]->calls), 1);
        ops_counter_clean_up(all[i]);
    }
    ops_env_clean_up(&e);
}

/* Releasing the client with operations in flight: each completes exactly once (done or
 * canceled) inside the release, and nothing leaks. */
static void test_release_in_flight(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    struct ops_counter c[8];
    memset(c, 0, sizeof(c));
    struct s3x_object_list_options lo = {.bucket = e.bucket};
    for (size_t i = 0; i < 8; ++i) {
        assert_int_equal(s3x_object_list(e.client, &lo, ops_list_cb, &c[i]), 0);
    }
    e.client = s3x_client_release(e.client);
    for (size_t i = 0; i < 8; ++i) {
        assert_int_equal(atomic_load(&c[i].calls), 1);
        assert_true(c[i].list.error == 0 || c[i].list.error == S3X_ERR_CANCELED);
        ops_counter_clean_up(&c[i]);
    }
    ops_env_clean_up(&e);
}

/* --- errors ---------------------------------------------------------------------------------- */

static void test_missing_key_and_bucket(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    struct s3x_object_result r;
    struct s3x_object_get_options go = {.bucket = e.bucket, .key = "no such key"};
    assert_int_equal(s3x_object_get_sync(e.client, &go, &r), S3X_ERR_S3_NO_SUCH_KEY);
    assert_int_equal(r.s3_error.http_status, 404);
    assert_string_equal(r.s3_error.code, "NoSuchKey");
    assert_non_null(r.s3_error.message);
    assert_non_null(r.s3_error.request_id);
    s3x_object_result_clean_up(&r);

    go.bucket = "s3x-no-such-bucket-here";
    assert_int_equal(s3x_object_get_sync(e.client, &go, &r), S3X_ERR_S3_NO_SUCH_BUCKET);
    assert_string_equal(r.s3_error.code, "NoSuchBucket");
    s3x_object_result_clean_up(&r);

    /* HEAD has no body: the library asks HeadBucket to tell the two apart. */
    struct s3x_object_head_options ho = {.bucket = e.bucket, .key = "no such key"};
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &r), S3X_ERR_S3_NO_SUCH_KEY);
    assert_int_equal(r.s3_error.http_status, 404);
    assert_string_equal(r.s3_error.code, "NoSuchKey");
    assert_int_equal(r.http_status, 0);
    s3x_object_result_clean_up(&r);
    ho.bucket = "s3x-no-such-bucket-here";
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &r), S3X_ERR_S3_NO_SUCH_BUCKET);
    assert_int_equal(r.s3_error.http_status, 404);
    assert_string_equal(r.s3_error.code, "NoSuchBucket");
    s3x_object_result_clean_up(&r);

    struct s3x_op_result st;
    struct s3x_bucket_options bo = {.bucket = "s3x-no-such-bucket-here"};
    assert_int_equal(s3x_bucket_head_sync(e.client, &bo, &st), S3X_ERR_S3_NO_SUCH_BUCKET);
    assert_string_equal(st.s3_error.code, "NoSuchBucket");
    s3x_op_result_clean_up(&st);
    bo.bucket = e.bucket;
    assert_int_equal(s3x_bucket_head_sync(e.client, &bo, &st), 0);
    s3x_op_result_clean_up(&st);

    struct s3x_list_result lr;
    struct s3x_object_list_options lo = {.bucket = "s3x-no-such-bucket-here"};
    assert_int_equal(s3x_object_list_sync(e.client, &lo, &lr), S3X_ERR_S3_NO_SUCH_BUCKET);
    assert_string_equal(lr.s3_error.code, "NoSuchBucket");
    s3x_list_result_clean_up(&lr);
    ops_env_clean_up(&e);
}

static void test_wrong_secret(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    opt.config.secret_access_key = "not-the-secret";
    opt.max_attempts = 1;
    struct s3x_client *client = s3x_test_client_new(a, &opt);
    struct s3x_list_result lr;
    struct s3x_object_list_options lo = {.bucket = "any-bucket"};
    assert_int_equal(s3x_object_list_sync(client, &lo, &lr), S3X_ERR_S3_SIGNATURE_MISMATCH);
    assert_int_equal(lr.s3_error.http_status, 403);
    assert_string_equal(lr.s3_error.code, "SignatureDoesNotMatch");
    assert_non_null(lr.s3_error.message);
    s3x_list_result_clean_up(&lr);
    struct s3x_object_result r;
    uint8_t byte = 1;
    struct s3x_object_put_options po = {.bucket = "any-bucket", .key = "k", .data = &byte, .len = 1};
    assert_int_equal(s3x_object_put_sync(client, &po, &r), S3X_ERR_S3_SIGNATURE_MISMATCH);
    assert_string_equal(r.s3_error.code, "SignatureDoesNotMatch");
    s3x_object_result_clean_up(&r);
    /* HEAD carries no body: a 403 is all it can say. */
    struct s3x_object_head_options ho = {.bucket = "any-bucket", .key = "k"};
    assert_int_equal(s3x_object_head_sync(client, &ho, &r), S3X_ERR_S3_ACCESS_DENIED);
    assert_int_equal(r.s3_error.http_status, 403);
    s3x_object_result_clean_up(&r);
    s3x_client_release(client);
}

/* --- ranges ---------------------------------------------------------------------------------- */

static void s_get_range(struct ops_env *e, const char *range, size_t max, struct s3x_object_result *r) {
    struct s3x_object_get_options go = {.bucket = e->bucket, .key = "ranged", .range = range, .max_bytes = max};
    s3x_object_get_sync(e->client, &go, r);
}

static void test_ranges(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    uint8_t data[1000];
    ops_fill(data, sizeof(data), 11);
    ops_put(&e, "ranged", data, sizeof(data));
    struct s3x_object_result r;

    s_get_range(&e, "bytes=0-0", 0, &r);
    assert_int_equal(r.error, 0);
    assert_int_equal(r.http_status, 206);
    assert_int_equal(r.data_len, 1);
    assert_int_equal(r.data[0], data[0]);
    assert_true(r.range.present);
    assert_int_equal(r.range.first, 0);
    assert_int_equal(r.range.last, 0);
    assert_int_equal(r.info.size, 1000);
    s3x_object_result_clean_up(&r);

    s_get_range(&e, "bytes=-100", 0, &r);
    assert_int_equal(r.error, 0);
    assert_int_equal(r.data_len, 100);
    assert_memory_equal(r.data, data + 900, 100);
    assert_int_equal(r.range.first, 900);
    assert_int_equal(r.range.last, 999);
    assert_int_equal(r.info.size, 1000);
    s3x_object_result_clean_up(&r);

    s_get_range(&e, "bytes=990-5000", 0, &r); /* the end is clipped */
    assert_int_equal(r.error, 0);
    assert_int_equal(r.data_len, 10);
    assert_memory_equal(r.data, data + 990, 10);
    assert_int_equal(r.range.last, 999);
    s3x_object_result_clean_up(&r);

    s_get_range(&e, "bytes=1000-", 0, &r); /* starts past the end */
    assert_int_equal(r.error, S3X_ERR_S3_INVALID_RANGE);
    assert_int_equal(r.s3_error.http_status, 416);
    assert_string_equal(r.s3_error.code, "InvalidRange");
    assert_null(r.data);
    s3x_object_result_clean_up(&r);

    s_get_range(&e, NULL, 999, &r); /* a body over the caller's limit */
    assert_int_equal(r.error, S3X_ERR_OVERFLOW);
    assert_null(r.data);
    s3x_object_result_clean_up(&r);
    s_get_range(&e, NULL, 1000, &r);
    assert_int_equal(r.error, 0);
    assert_int_equal(r.data_len, 1000);
    s3x_object_result_clean_up(&r);
    ops_env_clean_up(&e);
}

/* --- listings -------------------------------------------------------------------------------- */

/* Ten keys, byte-wise sorted, with characters XML and URLs care about. */
static const char *const s_keys[10] = {"a b", "a+b", "a%b", "a&b<c>", "dir/one", "dir/sub/two", "dir/three",
    "plain", "\xc3\xbc-umlaut", "~tilde=eq"};

static int s_strcmp(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void s_put_keys(struct ops_env *e, const char **sorted) {
    for (size_t i = 0; i < 10; ++i) {
        ops_put(e, s_keys[i], (const uint8_t *)s_keys[i], strlen(s_keys[i]));
        sorted[i] = s_keys[i];
    }
    qsort(sorted, 10, sizeof(sorted[0]), s_strcmp);
}

struct s_collect {
    const char *keys[16];
    char *owned[16];
    size_t count;
    int pages;
    atomic_int done;
    int error;
};

static int s_collect_page(struct s3x_client *client, struct s3x_list_result *page, void *user) {
    (void)client;
    struct s_collect *c = user;
    c->pages++;
    for (size_t i = 0; i < page->objects_count && c->count < 16; ++i) {
        c->owned[c->count] = strdup(page->objects[i].key);
        c->keys[c->count] = c->owned[c->count];
        assert_int_equal(page->objects[i].size, strlen(page->objects[i].key));
        c->count++;
    }
    return 0;
}

static void s_collect_done(struct s3x_client *client, struct s3x_op_result *r, void *user) {
    (void)client;
    struct s_collect *c = user;
    c->error = r->error;
    atomic_fetch_add(&c->done, 1);
}

static void s_collect_check(struct s_collect *c, const char **sorted) {
    assert_int_equal(c->count, 10);
    for (size_t i = 0; i < 10; ++i) {
        assert_string_equal(c->keys[i], sorted[i]);
        free(c->owned[i]);
    }
}

static void test_list_pages(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    const char *sorted[10];
    s_put_keys(&e, sorted);

    /* By hand: max-keys 3 over 10 keys gives pages of 3, 3, 3, 1. */
    struct s3x_object_list_options lo = {.bucket = e.bucket, .max_keys = 3};
    char *token = NULL;
    size_t seen = 0;
    int pages = 0;
    for (;;) {
        struct s3x_list_result page;
        lo.continuation_token = token;
        assert_int_equal(s3x_object_list_sync(e.client, &lo, &page), 0);
        pages++;
        assert_int_equal(page.objects_count, pages < 4 ? 3 : 1);
        for (size_t i = 0; i < page.objects_count; ++i) {
            assert_string_equal(page.objects[i].key, sorted[seen++]);
            assert_non_null(page.objects[i].etag);
            assert_true(page.objects[i].has_last_modified);
        }
        free(token);
        token = NULL;
        bool more = page.is_truncated;
        if (more) {
            assert_non_null(page.next_continuation_token);
            token = strdup(page.next_continuation_token);
        }
        s3x_list_result_clean_up(&page);
        if (!more) {
            break;
        }
    }
    assert_int_equal(pages, 4);
    assert_int_equal(seen, 10);

    /* Every page, blocking and asynchronous. */
    struct s_collect c1 = {0};
    lo.continuation_token = NULL;
    struct s3x_op_result done;
    assert_int_equal(s3x_object_list_all_sync(e.client, &lo, s_collect_page, &c1, &done), 0);
    s3x_op_result_clean_up(&done);
    assert_int_equal(c1.pages, 4);
    s_collect_check(&c1, sorted);
    struct s_collect c2 = {0};
    assert_int_equal(s3x_object_list_all(e.client, &lo, s_collect_page, s_collect_done, &c2), 0);
    ops_wait(&c2.done, 1);
    usleep(20000);
    assert_int_equal(atomic_load(&c2.done), 1);
    assert_int_equal(c2.error, 0);
    assert_int_equal(c2.pages, 4);
    s_collect_check(&c2, sorted);
    ops_env_clean_up(&e);
}

static int s_stop_after_one(struct s3x_client *client, struct s3x_list_result *page, void *user) {
    (void)client;
    (void)page;
    int *pages = user;
    return ++*pages == 1 ? S3X_ERR_CANCELED : 0;
}

static void test_list_delimiter_prefix(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    const char *sorted[10];
    s_put_keys(&e, sorted);
    struct s3x_list_result r;
    struct s3x_object_list_options lo = {.bucket = e.bucket, .delimiter = "/"};
    assert_int_equal(s3x_object_list_sync(e.client, &lo, &r), 0);
    assert_int_equal(r.objects_count, 7); /* the 10 keys but dir/... */
    assert_int_equal(r.common_prefixes_count, 1);
    assert_string_equal(r.common_prefixes[0], "dir/");
    assert_false(r.is_truncated);
    s3x_list_result_clean_up(&r);

    lo.prefix = "dir/";
    assert_int_equal(s3x_object_list_sync(e.client, &lo, &r), 0);
    assert_int_equal(r.objects_count, 2);
    assert_string_equal(r.objects[0].key, "dir/one");
    assert_string_equal(r.objects[1].key, "dir/three");
    assert_int_equal(r.common_prefixes_count, 1);
    assert_string_equal(r.common_prefixes[0], "dir/sub/");
    s3x_list_result_clean_up(&r);

    /* Prefixes and start-after with characters that need encoding. */
    struct s3x_object_list_options lp = {.bucket = e.bucket, .prefix = "a"};
    assert_int_equal(s3x_object_list_sync(e.client, &lp, &r), 0);
    assert_int_equal(r.objects_count, 4);
    s3x_list_result_clean_up(&r);
    lp.prefix = "a+";
    assert_int_equal(s3x_object_list_sync(e.client, &lp, &r), 0);
    assert_int_equal(r.objects_count, 1);
    assert_string_equal(r.objects[0].key, "a+b");
    s3x_list_result_clean_up(&r);
    lp.prefix = "\xc3\xbc";
    assert_int_equal(s3x_object_list_sync(e.client, &lp, &r), 0);
    assert_int_equal(r.objects_count, 1);
    assert_string_equal(r.objects[0].key, "\xc3\xbc-umlaut");
    s3x_list_result_clean_up(&r);
    struct s3x_object_list_options ls = {.bucket = e.bucket, .start_after = "plain"};
    assert_int_equal(s3x_object_list_sync(e.client, &ls, &r), 0);
    assert_int_equal(r.objects_count, 2);
    assert_string_equal(r.objects[0].key, "~tilde=eq");
    assert_string_equal(r.objects[1].key, "\xc3\xbc-umlaut");
    s3x_list_result_clean_up(&r);

    /* Every key reads back through its decoded name. */
    for (size_t i = 0; i < 10; ++i) {
        struct s3x_object_get_options go = {.bucket = e.bucket, .key = s_keys[i]};
        struct s3x_object_result g;
        assert_int_equal(s3x_object_get_sync(e.client, &go, &g), 0);
        assert_int_equal(g.data_len, strlen(s_keys[i]));
        assert_memory_equal(g.data, s_keys[i], g.data_len);
        s3x_object_result_clean_up(&g);
    }

    /* A page callback that stops the iteration ends it with its error. */
    int pages = 0;
    struct s3x_op_result done;
    struct s3x_object_list_options lm = {.bucket = e.bucket, .max_keys = 2};
    assert_int_equal(s3x_object_list_all_sync(e.client, &lm, s_stop_after_one, &pages, &done), S3X_ERR_CANCELED);
    assert_int_equal(pages, 1);
    s3x_op_result_clean_up(&done);
    ops_env_clean_up(&e);
}

/* --- buckets --------------------------------------------------------------------------------- */

static void test_buckets(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    char name[80];
    snprintf(name, sizeof(name), "%s-new", e.bucket);
    struct s3x_op_result st;
    struct s3x_bucket_create_options co = {.bucket = name};
    assert_int_equal(s3x_bucket_create_sync(e.client, &co, &st), 0);
    s3x_op_result_clean_up(&st);
    int rc = s3x_bucket_create_sync(e.client, &co, &st);
    assert_true(rc == S3X_ERR_S3_BUCKET_EXISTS || rc == S3X_ERR_S3_BUCKET_OWNED_BY_YOU);
    assert_non_null(st.s3_error.code);
    s3x_op_result_clean_up(&st);

    struct s3x_buckets_result bl;
    assert_int_equal(s3x_bucket_list_sync(e.client, NULL, &bl), 0);
    int found = 0;
    for (size_t i = 0; i < bl.buckets_count; ++i) {
        found += strcmp(bl.buckets[i].name, name) == 0 || strcmp(bl.buckets[i].name, e.bucket) == 0;
    }
    assert_int_equal(found, 2);
    s3x_buckets_result_clean_up(&bl);

    /* Not empty: refused with the server's code. */
    uint8_t byte = 0;
    struct s3x_object_put_options po = {.bucket = name, .key = "k", .data = &byte, .len = 1};
    struct s3x_object_result pr;
    assert_int_equal(s3x_object_put_sync(e.client, &po, &pr), 0);
    s3x_object_result_clean_up(&pr);
    struct s3x_bucket_options bo = {.bucket = name};
    assert_int_equal(s3x_bucket_delete_sync(e.client, &bo, &st), S3X_ERR_S3_UNKNOWN);
    assert_string_equal(st.s3_error.code, "BucketNotEmpty");
    assert_int_equal(st.s3_error.http_status, 409);
    s3x_op_result_clean_up(&st);
    struct s3x_object_delete_options dopt = {.bucket = name, .key = "k"};
    assert_int_equal(s3x_object_delete_sync(e.client, &dopt, &st), 0);
    s3x_op_result_clean_up(&st);
    assert_int_equal(s3x_bucket_delete_sync(e.client, &bo, &st), 0);
    s3x_op_result_clean_up(&st);
    assert_int_equal(s3x_bucket_head_sync(e.client, &bo, &st), S3X_ERR_S3_NO_SUCH_BUCKET);
    s3x_op_result_clean_up(&st);
    assert_int_equal(s3x_bucket_delete_sync(e.client, &bo, &st), S3X_ERR_S3_NO_SUCH_BUCKET);
    s3x_op_result_clean_up(&st);

    /* Another region goes as a LocationConstraint body; this server lives in us-east-1 only. */
    struct s3x_bucket_create_options other = {.bucket = name, .region = "eu-west-1"};
    assert_int_not_equal(s3x_bucket_create_sync(e.client, &other, &st), 0);
    assert_string_equal(st.s3_error.code, "InvalidLocationConstraint"); /* the body was read */
    assert_int_equal(st.s3_error.http_status, 400);
    s3x_op_result_clean_up(&st);
    ops_env_clean_up(&e);
}

/* --- fail-the-Nth sweep ---------------------------------------------------------------------- */

struct s_sweep {
    char bucket[64];
};

static int s_sweep_block(struct s3x_allocator *a, void *ctx) {
    struct s_sweep *s = ctx;
    struct s3x_client_options opt;
    s3x_test_client_options(&opt);
    opt.max_attempts = 1;
    struct s3x_client *client = NULL;
    int rc = s3x_client_new(a, &opt, &client);
    if (rc != 0) {
        return rc;
    }
    struct s3x_object_head_options ho = {.bucket = s->bucket, .key = "swept"};
    struct s3x_object_result hr;
    rc = s3x_object_head_sync(client, &ho, &hr);
    if (rc == 0 && (hr.info.size != 5 || hr.info.etag == NULL)) {
        rc = S3X_ERR_UNKNOWN;
    }
    s3x_object_result_clean_up(&hr);
    if (rc == 0) {
        struct s3x_object_list_options lo = {.bucket = s->bucket, .max_keys = 2};
        struct s3x_list_result lr;
        rc = s3x_object_list_sync(client, &lo, &lr);
        if (rc == 0 && (lr.objects_count != 2 || !lr.is_truncated)) {
            rc = S3X_ERR_UNKNOWN;
        }
        s3x_list_result_clean_up(&lr);
    }
    s3x_client_release(client);
    return rc;
}

static void test_sweep_head_list(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    ops_put(&e, "swept", (const uint8_t *)"12345", 5);
    ops_put(&e, "swept 2", (const uint8_t *)"x", 1);
    ops_put(&e, "swept 3", (const uint8_t *)"y", 1);
    struct s_sweep s;
    snprintf(s.bucket, sizeof(s.bucket), "%s", e.bucket);
    /* No other client may allocate from the tracking allocator while the sweep counts bytes. */
    e.client = s3x_client_release(e.client);
    /* Recovery allowed: the signing-key cache works without its entry when that allocation
     * fails. The block checks the answers, so a recovered run is a correct run. */
    uint64_t sites = s3x_test_sweep_fail_nth(e.a, s_sweep_block, &s, 1);
    print_message("fail-nth sweep: %llu allocation sites\n", (unsigned long long)sites);
    assert_true(sites > 20);
    ops_env_clean_up(&e);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        S3X_TEST(test_put_head_get_delete),
        S3X_TEST(test_empty_and_checksums),
        S3X_TEST(test_bad_arguments),
        S3X_TEST(test_async_forms),
        S3X_TEST(test_release_in_flight),
        S3X_TEST(test_missing_key_and_bucket),
        S3X_TEST(test_wrong_secret),
        S3X_TEST(test_ranges),
        S3X_TEST(test_list_pages),
        S3X_TEST(test_list_delimiter_prefix),
        S3X_TEST(test_buckets),
        S3X_TEST(test_sweep_head_list),
        S3X_TEST(test_multipart_round_trip),
        S3X_TEST(test_multipart_wrong_etag),
        S3X_TEST(test_copy_object),
        S3X_TEST(test_upload_part_copy),
    };
    return S3X_TEST_MAIN(argc, argv, "ops", tests);
}
