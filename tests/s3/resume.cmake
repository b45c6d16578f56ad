# Resume tokens (unit) and pause/resume against the S3 test server, with a fresh process
# (resume_child, public API only) doing the resuming.
s3xfer_add_test(NAME resume_token SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_resume_token.c)
add_executable(resume_child ${CMAKE_CURRENT_LIST_DIR}/resume_child.c)
target_link_libraries(resume_child PRIVATE s3xfer)
s3xfer_set_warnings(resume_child)
s3xfer_add_test(NAME resume SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_resume.c LIBS s3xfer_s3_test_util
    LABELS integration threads TIMEOUT 600)
target_compile_definitions(test_resume PRIVATE S3X_RESUME_CHILD="$<TARGET_FILE:resume_child>")
