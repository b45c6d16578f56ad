# Server-side copy transfer tests (S3X_TRANSFER_COPY) against the S3 test server (skipped without
# one, unless S3X_TEST_REQUIRE_SERVER=1).
s3xfer_add_test(NAME copy SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_copy.c LIBS s3xfer_s3_test_util
    LABELS integration threads TIMEOUT 900)
