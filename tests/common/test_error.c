#include "tests.h"

#include <s3xfer/error.h>
#include <s3xfer/s3xfer.h>

#include <string.h>

static void test_every_code_has_distinct_name_and_message(void **state) {
    (void)state;
    static const int codes[] = {
#define X_(name, value, msg) value,
        S3X_ERROR_LIST(X_)
#undef X_
    };
    size_t n = sizeof(codes) / sizeof(codes[0]);
    assert_true(n > 40);
    for (size_t i = 0; i < n; ++i) {
        const char *name = s3x_error_name(codes[i]);
        assert_non_null(strstr(name, "S3X_ERR_"));
        assert_true(strlen(s3x_error_str(codes[i])) > 3);
        for (size_t j = i + 1; j < n; ++j) {
            assert_int_not_equal(codes[i], codes[j]);
            assert_string_not_equal(name, s3x_error_name(codes[j]));
        }
    }
}

static void test_known_and_unknown_codes(void **state) {
    (void)state;
    assert_string_equal(s3x_error_name(S3X_OK), "S3X_ERR_OK");
    assert_string_equal(s3x_error_name(S3X_ERR_POOL_SHUTDOWN), "S3X_ERR_POOL_SHUTDOWN");
    assert_string_equal(s3x_error_name(123456), "S3X_ERR_UNKNOWN_CODE");
    assert_string_equal(s3x_error_str(-7), "unknown error code");
    assert_string_equal(s3x_version(), S3XFER_VERSION_STRING);
}

const struct CMUnitTest s3x_error_tests[] = {
    S3X_TEST(test_every_code_has_distinct_name_and_message),
    S3X_TEST(test_known_and_unknown_codes),
};
const size_t s3x_error_tests_count = sizeof(s3x_error_tests) / sizeof(s3x_error_tests[0]);
