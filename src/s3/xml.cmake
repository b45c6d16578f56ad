# S3 responses: the safe expat layer, response documents, headers, error mapping, and the
# CompleteMultipartUpload request body. Included by src/s3/CMakeLists.txt.
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/complete_body.c
    ${CMAKE_CURRENT_LIST_DIR}/headers.c
    ${CMAKE_CURRENT_LIST_DIR}/responses.c
    ${CMAKE_CURRENT_LIST_DIR}/s3_error.c
    ${CMAKE_CURRENT_LIST_DIR}/xml.c)
