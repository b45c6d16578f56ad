# The client and its transfers: signed S3 requests, the client, the shared transfer core, GET, PUT
# and pushed writes.
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/s3_request.c
    ${CMAKE_CURRENT_LIST_DIR}/client.c
    ${CMAKE_CURRENT_LIST_DIR}/transfer.c
    ${CMAKE_CURRENT_LIST_DIR}/get.c
    ${CMAKE_CURRENT_LIST_DIR}/put.c
    ${CMAKE_CURRENT_LIST_DIR}/push.c)
