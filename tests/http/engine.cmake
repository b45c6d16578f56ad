# Engine tests (issue 4 points 1 and 5) against the fault-injecting server in tests/servers/fault.
find_program(S3XFER_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT S3XFER_PYTHON3)
    find_program(S3XFER_PYTHON3 NAMES python3 REQUIRED)
endif()
set(S3XFER_FAULT_SERVER_DIR ${PROJECT_SOURCE_DIR}/tests/servers/fault)

add_library(s3xfer_engine_test_util STATIC
    ${CMAKE_CURRENT_LIST_DIR}/test_engine_util.c
    ${CMAKE_CURRENT_LIST_DIR}/test_engine_direct_util.c
    ${CMAKE_CURRENT_LIST_DIR}/test_mini_server.c
    ${S3XFER_FAULT_SERVER_DIR}/fault_server.c)
target_include_directories(s3xfer_engine_test_util PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${S3XFER_FAULT_SERVER_DIR})
target_compile_definitions(s3xfer_engine_test_util PRIVATE _GNU_SOURCE
    S3X_FAULT_SERVER_PYTHON="${S3XFER_PYTHON3}"
    S3X_FAULT_SERVER_SCRIPT="${S3XFER_FAULT_SERVER_DIR}/fault_server.py"
    S3X_FAULT_SERVER_TLS_DIR="${S3XFER_FAULT_SERVER_DIR}/tls")
target_link_libraries(s3xfer_engine_test_util PUBLIC s3xfer_test_harness s3xfer_internal)
s3xfer_set_warnings(s3xfer_engine_test_util)
target_compile_options(s3xfer_engine_test_util PRIVATE -Wno-conversion -Wno-sign-conversion -Wno-missing-prototypes)

foreach(t http_engine http_engine_flow http_engine_faults http_engine_buffer_sink http_engine_direct
        http_engine_direct_faults http_engine_direct_mixed http_engine_direct_upload)
    string(REPLACE "http_engine" "test_engine" src ${t})
    s3xfer_add_test(NAME ${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/${src}.c
        LIBS s3xfer_engine_test_util LABELS threads TIMEOUT 120)
endforeach()
