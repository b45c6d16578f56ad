# The client and its transfers: signed S3 requests, the client, the shared transfer core, GET and PUT.
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/s3_request.c
    ${CMAKE_CURRENT_LIST_DIR}/client.c
    ${CMAKE_CURRENT_LIST_DIR}/transfer.c
    ${CMAKE_CURRENT_LIST_DIR}/get.c
    ${CMAKE_CURRENT_LIST_DIR}/put.c)
