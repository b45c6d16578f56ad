# Reliability tests (issue 9) against the fault server's S3 store (tests/servers/fault): fault
# scenarios, security checks, and the soak (which also runs against the S3 test server when
# S3X_TEST_ENDPOINT is set).
find_program(S3XFER_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT S3XFER_PYTHON3)
    find_program(S3XFER_PYTHON3 NAMES python3 REQUIRED)
endif()
set(S3XFER_FAULT_SERVER_DIR ${PROJECT_SOURCE_DIR}/tests/servers/fault)

add_library(s3xfer_fault_test_util STATIC
    ${CMAKE_CURRENT_LIST_DIR}/fault_test_util.c
    ${S3XFER_FAULT_SERVER_DIR}/fault_server.c)
target_include_directories(s3xfer_fault_test_util PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${S3XFER_FAULT_SERVER_DIR})
target_compile_definitions(s3xfer_fault_test_util PRIVATE _GNU_SOURCE
    S3X_FAULT_SERVER_PYTHON="${S3XFER_PYTHON3}"
    S3X_FAULT_SERVER_SCRIPT="${S3XFER_FAULT_SERVER_DIR}/fault_server.py"
    S3X_FAULT_SERVER_TLS_DIR="${S3XFER_FAULT_SERVER_DIR}/tls")
target_link_libraries(s3xfer_fault_test_util PUBLIC s3xfer_s3_test_util)
s3xfer_set_warnings(s3xfer_fault_test_util)
target_compile_options(s3xfer_fault_test_util PRIVATE -Wno-conversion -Wno-sign-conversion -Wno-missing-prototypes)

s3xfer_add_test(NAME faults SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_faults.c LIBS s3xfer_fault_test_util
    LABELS integration threads TIMEOUT 300)
s3xfer_add_test(NAME security SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_security.c LIBS s3xfer_fault_test_util
    LABELS integration threads TIMEOUT 300)
s3xfer_add_test(NAME soak SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_soak.c LIBS s3xfer_fault_test_util
    LABELS integration threads TIMEOUT 900)
