# Tests of the signing half of the http layer. Included by tests/http/CMakeLists.txt.
# The vector suites are found through the absolute source path of tests/http/data.
set(_s3x_signing_dir ${CMAKE_CURRENT_LIST_DIR})
s3xfer_add_test(NAME signing
    SOURCES ${_s3x_signing_dir}/test_signing_main.c ${_s3x_signing_dir}/test_sigv4_vectors.c
        ${_s3x_signing_dir}/test_sigv4.c ${_s3x_signing_dir}/test_uri.c ${_s3x_signing_dir}/sigv4_vectors.c
    LABELS threads)
target_compile_definitions(test_signing PRIVATE S3X_TEST_DATA_DIR="${_s3x_signing_dir}/data")
s3xfer_add_test(NAME credentials SOURCES ${_s3x_signing_dir}/test_credentials.c)
s3xfer_add_test(NAME endpoint
    SOURCES ${_s3x_signing_dir}/test_endpoint.c ${_s3x_signing_dir}/sigv4_vectors.c)
target_compile_definitions(test_endpoint PRIVATE S3X_TEST_DATA_DIR="${_s3x_signing_dir}/data")
# Against the S3 server scripts/test starts (S3X_TEST_ENDPOINT...); skipped without one.
s3xfer_add_test(NAME sigv4_live SOURCES ${_s3x_signing_dir}/test_sigv4_live.c LABELS integration)
