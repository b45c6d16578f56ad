# Single-request S3 operations against the S3 test server (skipped without one, unless
# S3X_TEST_REQUIRE_SERVER=1).
s3xfer_add_test(NAME ops
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ops.c ${CMAKE_CURRENT_LIST_DIR}/test_ops_multipart.c
            ${CMAKE_CURRENT_LIST_DIR}/test_ops_util.c
    LIBS s3xfer_s3_test_util LABELS integration threads TIMEOUT 300)
