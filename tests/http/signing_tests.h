/* The signing tests' lists (SigV4 vectors, SigV4 unit tests, URI encoding), one per file, joined
 * in test_signing_main.c. */
#ifndef S3XFER_TESTS_SIGNING_H
#define S3XFER_TESTS_SIGNING_H
#include "harness.h"

#define S3X_UNUSED_TEST(x) ((void)(x))

extern const struct CMUnitTest s3x_sigv4_vector_tests[];
extern const size_t s3x_sigv4_vector_tests_count;
extern const struct CMUnitTest s3x_sigv4_tests[];
extern const size_t s3x_sigv4_tests_count;
extern const struct CMUnitTest s3x_uri_tests[];
extern const size_t s3x_uri_tests_count;
#endif
