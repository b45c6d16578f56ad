/* Helpers for tests that talk to the S3 test server scripts/test starts (S3X_TEST_ENDPOINT,
 * S3X_TEST_ACCESS_KEY, S3X_TEST_SECRET_KEY, S3X_TEST_REGION). Without a server the test is
 * skipped, unless S3X_TEST_REQUIRE_SERVER=1 (scripts/test sets it), where it fails. */
#ifndef S3XFER_TESTS_S3_TEST_UTIL_H
#define S3XFER_TESTS_S3_TEST_UTIL_H

#include "harness.h"

#include <s3xfer/client.h>
#include <s3xfer/transfer.h>

#include <stdint.h>

/* Skips (or fails) the test when no server is configured. Fills `opt` with defaults pointing at
 * the server (path style, checksums left out of Complete: Swift rejects them). */
void s3x_test_client_options(struct s3x_client_options *opt);
struct s3x_client *s3x_test_client_new(struct s3x_allocator *a, const struct s3x_client_options *opt);
/* A fresh bucket name unique to this process and call ("s3x-test-<pid>-<n>"), created. */
void s3x_test_create_bucket(struct s3x_client *client, char *name, size_t size);
/* Runs one transfer to completion; returns its error. *out_result copied when not NULL. */
int s3x_test_run_transfer(struct s3x_client *client, const struct s3x_transfer_options *o, uint64_t *out_size);
/* Multipart uploads in progress in `bucket` (ListMultipartUploads), to prove none was orphaned. */
size_t s3x_test_count_multipart_uploads(struct s3x_client *client, const char *bucket);
/* Deterministic content: byte i of a file made with seed s. */
uint8_t s3x_test_pattern_byte(uint64_t i, uint32_t seed);
void s3x_test_write_pattern_file(const char *path, uint64_t size, uint32_t seed);
/* Asserts the file holds exactly `size` pattern bytes of `seed`. */
void s3x_test_assert_pattern_file(const char *path, uint64_t size, uint32_t seed);
/* A fresh temporary directory (removed by s3x_test_rm_rf). */
void s3x_test_temp_dir(char *out, size_t size);
void s3x_test_rm_rf(const char *dir);
/* The number of entries in `dir` (to prove no partial file was left). */
int s3x_test_dir_entries(const char *dir);

#endif
