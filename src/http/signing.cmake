# The signing half of the http layer: SigV4, URI encoding, credentials and AWS configuration
# files, endpoint resolution. Included by src/http/CMakeLists.txt.
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/aws_config.c
    ${CMAKE_CURRENT_LIST_DIR}/credentials.c
    ${CMAKE_CURRENT_LIST_DIR}/endpoint.c
    ${CMAKE_CURRENT_LIST_DIR}/sigv4.c
    ${CMAKE_CURRENT_LIST_DIR}/sigv4_canonical.c
    ${CMAKE_CURRENT_LIST_DIR}/sigv4_key.c
    ${CMAKE_CURRENT_LIST_DIR}/uri.c)
