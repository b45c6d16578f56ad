/* Shared pieces of the single-request operation tests (test_ops*.c). */
#ifndef S3XFER_TESTS_S3_TEST_OPS_H
#define S3XFER_TESTS_S3_TEST_OPS_H

#include "s3_test_util.h"

#include <s3xfer/error.h>
#include <s3xfer/objects.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A client on the test server with a fresh bucket, on the test's tracking allocator. */
struct ops_env {
    struct s3x_allocator *a;
    struct s3x_client *client;
    char bucket[64];
};
void ops_env_init(struct ops_env *e, void **state);
void ops_env_clean_up(struct ops_env *e);

/* Counts callbacks and keeps (moves out) the last result. */
struct ops_counter {
    atomic_int calls;
    int inner_error;
    struct s3x_object_result object;
    struct s3x_list_result list;
    struct s3x_op_result status;
};
void ops_object_cb(struct s3x_client *client, struct s3x_object_result *result, void *user);
void ops_list_cb(struct s3x_client *client, struct s3x_list_result *result, void *user);
void ops_status_cb(struct s3x_client *client, struct s3x_op_result *result, void *user);
void ops_counter_clean_up(struct ops_counter *c);
/* Waits (30 s at most) until *calls reaches n. */
void ops_wait(atomic_int *calls, int n);

/* Pattern bytes of seed `seed`. */
void ops_fill(uint8_t *data, size_t len, uint32_t seed);
/* PutObject that must succeed. */
void ops_put(struct ops_env *e, const char *key, const uint8_t *data, size_t len);
/* ETags equal ignoring surrounding quotes (headers and XML documents differ). */
bool ops_etag_equal(const char *a, const char *b);
/* The bucket holds no multipart upload in progress. */
void ops_assert_no_uploads(struct ops_env *e);

/* test_ops_multipart.c */
void test_multipart_round_trip(void **state);
void test_multipart_wrong_etag(void **state);
void test_copy_object(void **state);
void test_upload_part_copy(void **state);

#endif
