#include "tests.h"

#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct s_captured {
    int count;
    enum s3x_log_level last_level;
    char last[256];
};

static void s_capture(enum s3x_log_level level, const char *subsystem, const char *message, void *user) {
    struct s_captured *c = user;
    c->count++;
    c->last_level = level;
    snprintf(c->last, sizeof(c->last), "%s|%s", subsystem, message);
}

static void test_log_silent_by_default(void **state) {
    (void)state;
    unsetenv("S3XFER_LOG");
    assert_int_equal(s3x_log_level(), S3X_LOG_NONE);
    assert_false(s3x__log_enabled(S3X_LOG_ERROR));
}

static void test_log_sink_and_level(void **state) {
    (void)state;
    struct s_captured c = {0};
    s3x_log_set_sink(s_capture, &c, S3X_LOG_INFO);
    S3X_LOG_DEBUGF("test", "hidden %d", 1);
    assert_int_equal(c.count, 0);
    S3X_LOG_INFOF("test", "shown %d", 2);
    S3X_LOG_ERRORF("pool", "bad %s", "thing");
    assert_int_equal(c.count, 2);
    assert_int_equal(c.last_level, S3X_LOG_ERROR);
    assert_string_equal(c.last, "pool|bad thing");
    s3x_log_set_sink(NULL, NULL, S3X_LOG_TRACE);
    S3X_LOG_ERRORF("test", "after removal");
    assert_int_equal(c.count, 2);
}

static void test_log_env_variable(void **state) {
    (void)state;
    setenv("S3XFER_LOG", "warn", 1);
    /* The first log call reads the environment; set_sink(NULL) re-reads it. */
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    assert_int_equal(s3x_log_level(), S3X_LOG_WARN);
    unsetenv("S3XFER_LOG");
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    assert_int_equal(s3x_log_level(), S3X_LOG_NONE);
}

static void test_log_level_parse(void **state) {
    (void)state;
    enum s3x_log_level l;
    assert_int_equal(s3x_log_level_parse("DEBUG", &l), 0);
    assert_int_equal(l, S3X_LOG_DEBUG);
    assert_int_equal(s3x_log_level_parse("warning", &l), 0);
    assert_int_equal(l, S3X_LOG_WARN);
    assert_int_equal(s3x_log_level_parse("loud", &l), S3X_ERR_INVALID_ARGUMENT);
    assert_string_equal(s3x_log_level_name(S3X_LOG_ERROR), "error");
}

const struct CMUnitTest s3x_log_tests[] = {
    S3X_TEST(test_log_silent_by_default),
    S3X_TEST(test_log_sink_and_level),
    S3X_TEST(test_log_env_variable),
    S3X_TEST(test_log_level_parse),
};
const size_t s3x_log_tests_count = sizeof(s3x_log_tests) / sizeof(s3x_log_tests[0]);
