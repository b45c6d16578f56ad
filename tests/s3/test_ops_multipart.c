/* Multipart calls one by one, CopyObject and UploadPartCopy against the S3 test server. Part of
 * the `ops` test executable (main in test_ops.c). */
#include "test_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB ((size_t)1024 * 1024)

static char *s_create(struct ops_env *e, const char *key) {
    const struct s3x_metadata meta[1] = {{"origin", "multipart"}};
    struct s3x_multipart_create_options co = {.bucket = e->bucket, .key = key, .content_type = "text/x-parts",
        .metadata = meta, .metadata_count = 1}; /* the client's checksum: CRC32C */
    struct s3x_object_result r;
    assert_int_equal(s3x_multipart_create_sync(e->client, &co, &r), 0);
    assert_non_null(r.upload_id);
    assert_string_equal(r.info.key, key);
    char *id = strdup(r.upload_id);
    s3x_object_result_clean_up(&r);
    return id;
}

static uint8_t *s_get_all(struct ops_env *e, const char *key, size_t *len) {
    struct s3x_object_get_options go = {.bucket = e->bucket, .key = key};
    struct s3x_object_result r;
    int rc = s3x_object_get_sync(e->client, &go, &r);
    if (rc != 0) {
        fail_msg("GetObject %s: %s", key, s3x_error_name(rc));
    }
    uint8_t *copy = malloc(r.data_len + 1);
    memcpy(copy, r.data, r.data_len);
    *len = r.data_len;
    s3x_object_result_clean_up(&r);
    return copy;
}

/* ListParts, one part per page: part 1 (5 MiB, `etag1`), then part 2 (1000 bytes). */
static void s_check_parts(struct ops_env *e, const char *key, const char *id, const char *etag1) {
    struct s3x_multipart_options lp = {.bucket = e->bucket, .key = key, .upload_id = id, .max_parts = 1};
    struct s3x_parts_result pr;
    assert_int_equal(s3x_multipart_list_parts_sync(e->client, &lp, &pr), 0);
    assert_int_equal(pr.parts_count, 1);
    assert_int_equal(pr.parts[0].part_number, 1);
    assert_int_equal(pr.parts[0].size, 5 * MIB);
    assert_true(ops_etag_equal(pr.parts[0].etag, etag1));
    assert_true(pr.is_truncated);
    lp.part_number_marker = pr.next_part_number_marker;
    s3x_parts_result_clean_up(&pr);
    assert_int_equal(s3x_multipart_list_parts_sync(e->client, &lp, &pr), 0);
    assert_int_equal(pr.parts_count, 1);
    assert_int_equal(pr.parts[0].part_number, 2);
    assert_int_equal(pr.parts[0].size, 1000);
    assert_false(pr.is_truncated);
    s3x_parts_result_clean_up(&pr);

}

void test_multipart_round_trip(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    const size_t size = 5 * MIB + 1000;
    uint8_t *data = malloc(size);
    ops_fill(data, size, 21);
    const char *key = "mp/object one";
    char *id = s_create(&e, key);

    /* The upload is listed while in progress. */
    struct s3x_multipart_list_uploads_options lu = {.bucket = e.bucket, .prefix = "mp/"};
    struct s3x_uploads_result ur;
    assert_int_equal(s3x_multipart_list_uploads_sync(e.client, &lu, &ur), 0);
    assert_int_equal(ur.uploads_count, 1);
    assert_string_equal(ur.uploads[0].key, key);
    assert_string_equal(ur.uploads[0].upload_id, id);
    s3x_uploads_result_clean_up(&ur);

    /* Part 1 blocking, part 2 asynchronous. */
    struct s3x_multipart_upload_part_options p1 = {.bucket = e.bucket, .key = key, .upload_id = id,
        .part_number = 1, .data = data, .len = 5 * MIB};
    struct s3x_object_result r1;
    assert_int_equal(s3x_multipart_upload_part_sync(e.client, &p1, &r1), 0);
    assert_non_null(r1.info.etag);
    assert_non_null(r1.info.checksums.crc32c);
    assert_int_equal(r1.info.size, 5 * MIB);
    struct ops_counter c2 = {0};
    struct s3x_multipart_upload_part_options p2 = p1;
    p2.part_number = 2;
    p2.data = data + 5 * MIB;
    p2.len = 1000;
    assert_int_equal(s3x_multipart_upload_part(e.client, &p2, ops_object_cb, &c2), 0);
    ops_wait(&c2.calls, 1);
    assert_int_equal(c2.object.error, 0);
    assert_non_null(c2.object.info.etag);

    s_check_parts(&e, key, id, r1.info.etag);

    struct s3x_completed_part parts[2] = {{1, r1.info.etag, r1.info.checksums.crc32c},
        {2, c2.object.info.etag, c2.object.info.checksums.crc32c}};
    struct s3x_multipart_complete_options co = {.bucket = e.bucket, .key = key, .upload_id = id, .parts = parts,
        .parts_count = 2};
    struct s3x_object_result done;
    /* With checksum elements in the body (a client with checksum_in_complete): Swift refuses
     * them, which proves they were written; the upload is still there. */
    struct s3x_client_options copt;
    s3x_test_client_options(&copt);
    copt.checksum_in_complete = true;
    struct s3x_client *with = s3x_test_client_new(e.a, &copt);
    assert_int_equal(s3x_multipart_complete_sync(with, &co, &done), S3X_ERR_S3_MALFORMED_XML);
    assert_string_equal(done.s3_error.code, "MalformedXML");
    s3x_object_result_clean_up(&done);
    s3x_client_release(with);
    assert_int_equal(s3x_multipart_complete_sync(e.client, &co, &done), 0);
    assert_non_null(done.info.etag);
    assert_non_null(strstr(done.info.etag, "-2"));
    assert_non_null(done.location);
    ops_assert_no_uploads(&e);

    size_t len = 0;
    uint8_t *back = s_get_all(&e, key, &len);
    assert_int_equal(len, size);
    assert_memory_equal(back, data, size);
    free(back);
    struct s3x_object_head_options ho = {.bucket = e.bucket, .key = key};
    struct s3x_object_result head;
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &head), 0);
    assert_int_equal(head.info.size, size);
    assert_string_equal(head.info.content_type, "text/x-parts");
    assert_int_equal(head.info.metadata_count, 1);
    assert_string_equal(head.info.metadata[0].value, "multipart");
    assert_true(ops_etag_equal(head.info.etag, done.info.etag));
    s3x_object_result_clean_up(&head);

    s3x_object_result_clean_up(&done);
    s3x_object_result_clean_up(&r1);
    ops_counter_clean_up(&c2);
    free(id);
    free(data);
    ops_env_clean_up(&e);
}

void test_multipart_wrong_etag(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    const char *key = "wrong etag";
    char *id = s_create(&e, key);
    uint8_t data[100];
    ops_fill(data, sizeof(data), 5);
    struct s3x_multipart_upload_part_options p1 = {.bucket = e.bucket, .key = key, .upload_id = id,
        .part_number = 1, .data = data, .len = sizeof(data)};
    struct s3x_object_result r;
    assert_int_equal(s3x_multipart_upload_part_sync(e.client, &p1, &r), 0);
    s3x_object_result_clean_up(&r);

    struct s3x_completed_part parts[1] = {{1, "\"0123456789abcdef0123456789abcdef\"", NULL}};
    struct s3x_multipart_complete_options co = {.bucket = e.bucket, .key = key, .upload_id = id, .parts = parts,
        .parts_count = 1};
    assert_int_equal(s3x_multipart_complete_sync(e.client, &co, &r), S3X_ERR_S3_INVALID_PART);
    assert_string_equal(r.s3_error.code, "InvalidPart");
    assert_non_null(r.s3_error.message);
    assert_null(r.info.etag);
    s3x_object_result_clean_up(&r);

    /* The upload is still there until aborted; then it is gone for good. */
    struct s3x_multipart_options mo = {.bucket = e.bucket, .key = key, .upload_id = id};
    struct s3x_parts_result pr;
    assert_int_equal(s3x_multipart_list_parts_sync(e.client, &mo, &pr), 0);
    assert_int_equal(pr.parts_count, 1);
    s3x_parts_result_clean_up(&pr);
    struct ops_counter abort_cb = {0};
    assert_int_equal(s3x_multipart_abort(e.client, &mo, ops_status_cb, &abort_cb), 0);
    ops_wait(&abort_cb.calls, 1);
    assert_int_equal(abort_cb.status.error, 0);
    ops_assert_no_uploads(&e);
    struct s3x_op_result st;
    assert_int_equal(s3x_multipart_abort_sync(e.client, &mo, &st), S3X_ERR_S3_NO_SUCH_UPLOAD);
    assert_string_equal(st.s3_error.code, "NoSuchUpload");
    s3x_op_result_clean_up(&st);
    assert_int_equal(s3x_multipart_list_parts_sync(e.client, &mo, &pr), S3X_ERR_S3_NO_SUCH_UPLOAD);
    s3x_parts_result_clean_up(&pr);
    usleep(10000);
    assert_int_equal(atomic_load(&abort_cb.calls), 1);
    ops_counter_clean_up(&abort_cb);
    free(id);
    ops_env_clean_up(&e);
}

void test_copy_object(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    const char *src = "src/a b+c%\xc3\xbc";
    uint8_t data[4096];
    ops_fill(data, sizeof(data), 9);
    const struct s3x_metadata meta[1] = {{"kept", "yes"}};
    struct s3x_object_put_options po = {.bucket = e.bucket, .key = src, .data = data, .len = sizeof(data),
        .content_type = "text/x-source", .metadata = meta, .metadata_count = 1};
    struct s3x_object_result put;
    assert_int_equal(s3x_object_put_sync(e.client, &po, &put), 0);

    struct s3x_object_copy_options co = {.source_bucket = e.bucket, .source_key = src, .bucket = e.bucket,
        .key = "dst/copy 1", .source_if_match = put.info.etag};
    struct s3x_object_result r;
    assert_int_equal(s3x_object_copy_sync(e.client, &co, &r), 0);
    assert_true(ops_etag_equal(r.info.etag, put.info.etag)); /* same bytes, same MD5 */
    assert_true(r.info.has_last_modified);
    s3x_object_result_clean_up(&r);
    size_t len = 0;
    uint8_t *back = s_get_all(&e, "dst/copy 1", &len);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(back, data, len);
    free(back);
    struct s3x_object_head_options ho = {.bucket = e.bucket, .key = "dst/copy 1"};
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &r), 0);
    assert_string_equal(r.info.content_type, "text/x-source");
    assert_int_equal(r.info.metadata_count, 1);
    assert_string_equal(r.info.metadata[0].name, "kept");
    s3x_object_result_clean_up(&r);

    /* REPLACE: new content type and metadata. */
    const struct s3x_metadata meta2[1] = {{"replaced", "1"}};
    co.key = "dst/copy 2";
    co.metadata_directive = S3X_METADATA_REPLACE;
    co.content_type = "text/x-replaced";
    co.metadata = meta2;
    co.metadata_count = 1;
    assert_int_equal(s3x_object_copy_sync(e.client, &co, &r), 0);
    s3x_object_result_clean_up(&r);
    ho.key = "dst/copy 2";
    assert_int_equal(s3x_object_head_sync(e.client, &ho, &r), 0);
    assert_string_equal(r.info.content_type, "text/x-replaced");
    assert_int_equal(r.info.metadata_count, 1);
    assert_string_equal(r.info.metadata[0].name, "replaced");
    s3x_object_result_clean_up(&r);

    /* A missing source, a source that changed. */
    struct s3x_object_copy_options missing = {.source_bucket = e.bucket, .source_key = "nope", .bucket = e.bucket,
        .key = "dst/never"};
    assert_int_equal(s3x_object_copy_sync(e.client, &missing, &r), S3X_ERR_S3_NO_SUCH_KEY);
    assert_string_equal(r.s3_error.code, "NoSuchKey");
    s3x_object_result_clean_up(&r);
    struct s3x_object_copy_options changed = {.source_bucket = e.bucket, .source_key = src, .bucket = e.bucket,
        .key = "dst/never", .source_if_match = "\"ffffffffffffffffffffffffffffffff\""};
    assert_int_equal(s3x_object_copy_sync(e.client, &changed, &r), S3X_ERR_S3_PRECONDITION_FAILED);
    s3x_object_result_clean_up(&r);
    s3x_object_result_clean_up(&put);
    ops_env_clean_up(&e);
}

void test_upload_part_copy(void **state) {
    struct ops_env e;
    ops_env_init(&e, state);
    const size_t size = 6 * MIB + 100;
    uint8_t *data = malloc(size);
    ops_fill(data, size, 33);
    ops_put(&e, "big source", data, size);

    char *id = s_create(&e, "assembled");
    struct s3x_multipart_copy_part_options c1 = {.bucket = e.bucket, .key = "assembled", .upload_id = id,
        .part_number = 1, .source_bucket = e.bucket, .source_key = "big source", .has_source_range = true,
        .source_first = 0, .source_last = 5 * MIB - 1};
    struct s3x_object_result r1;
    assert_int_equal(s3x_multipart_copy_part_sync(e.client, &c1, &r1), 0);
    assert_non_null(r1.info.etag);
    assert_int_equal(r1.info.size, 5 * MIB);
    struct ops_counter c2cb = {0};
    struct s3x_multipart_copy_part_options c2 = c1;
    c2.part_number = 2;
    c2.source_first = 5 * MIB;
    c2.source_last = size - 1;
    assert_int_equal(s3x_multipart_copy_part(e.client, &c2, ops_object_cb, &c2cb), 0);
    ops_wait(&c2cb.calls, 1);
    assert_int_equal(c2cb.object.error, 0);
    struct s3x_completed_part parts[2] = {{1, r1.info.etag, NULL}, {2, c2cb.object.info.etag, NULL}};
    struct s3x_multipart_complete_options co = {.bucket = e.bucket, .key = "assembled", .upload_id = id,
        .parts = parts, .parts_count = 2};
    struct s3x_object_result done;
    assert_int_equal(s3x_multipart_complete_sync(e.client, &co, &done), 0);
    s3x_object_result_clean_up(&done);

    /* CopyObject of the same source: both copies hold the source's bytes. */
    struct s3x_object_copy_options whole = {.source_bucket = e.bucket, .source_key = "big source",
        .bucket = e.bucket, .key = "copied"};
    assert_int_equal(s3x_object_copy_sync(e.client, &whole, &done), 0);
    s3x_object_result_clean_up(&done);
    const char *copies[2] = {"assembled", "copied"};
    for (size_t i = 0; i < 2; ++i) {
        size_t len = 0;
        uint8_t *back = s_get_all(&e, copies[i], &len);
        assert_int_equal(len, size);
        assert_memory_equal(back, data, size);
        free(back);
    }
    ops_assert_no_uploads(&e);
    s3x_object_result_clean_up(&r1);
    ops_counter_clean_up(&c2cb);
    free(id);
    free(data);
    ops_env_clean_up(&e);
}
