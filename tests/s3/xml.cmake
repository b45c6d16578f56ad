# Tests of the S3 response layer (src/s3/xml.cmake). Included by tests/s3/CMakeLists.txt.
s3xfer_add_test(NAME s3_xml SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_xml.c TIMEOUT 120)
s3xfer_add_test(NAME s3_responses SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_responses.c TIMEOUT 120)
s3xfer_add_test(NAME s3_headers SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_headers.c TIMEOUT 120)
s3xfer_add_test(NAME s3_error SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_s3_error.c TIMEOUT 120)
s3xfer_add_test(NAME s3_complete_body SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_complete_body.c TIMEOUT 120)
