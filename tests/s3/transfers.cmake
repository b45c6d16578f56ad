# Client and transfer tests against the S3 test server (skipped without one, unless
# S3X_TEST_REQUIRE_SERVER=1).
add_library(s3xfer_s3_test_util STATIC ${CMAKE_CURRENT_LIST_DIR}/s3_test_util.c)
target_link_libraries(s3xfer_s3_test_util PUBLIC s3xfer_test_harness s3xfer_internal)
target_compile_definitions(s3xfer_s3_test_util PRIVATE _GNU_SOURCE)
s3xfer_add_test(NAME transfer SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_transfer.c LIBS s3xfer_s3_test_util
    LABELS integration threads TIMEOUT 600)
s3xfer_add_test(NAME transfer_pools
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_transfer_pools.c ${PROJECT_SOURCE_DIR}/examples/recording_pool.c
    LIBS s3xfer_s3_test_util LABELS integration threads TIMEOUT 900)
s3xfer_add_test(NAME push SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_push.c LIBS s3xfer_s3_test_util
    LABELS integration threads TIMEOUT 600)
