/* The common layer's test lists, one per file, joined in test_common_main.c. */
#ifndef S3XFER_TESTS_COMMON_H
#define S3XFER_TESTS_COMMON_H
#include "harness.h"
extern const struct CMUnitTest s3x_allocator_tests[];
extern const size_t s3x_allocator_tests_count;
extern const struct CMUnitTest s3x_error_tests[];
extern const size_t s3x_error_tests_count;
extern const struct CMUnitTest s3x_log_tests[];
extern const size_t s3x_log_tests_count;
#endif
