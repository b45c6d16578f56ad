s3xfer_add_test(NAME checksums SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_checksums.c TIMEOUT 120)
