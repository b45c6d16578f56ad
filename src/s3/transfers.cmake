# The client and its transfers: signed S3 requests, the client, the shared transfer core, GET, PUT
# pushed writes, server-side copy and resume tokens.
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/s3_request.c
    ${CMAKE_CURRENT_LIST_DIR}/client.c
    ${CMAKE_CURRENT_LIST_DIR}/transfer.c
    ${CMAKE_CURRENT_LIST_DIR}/get.c
    ${CMAKE_CURRENT_LIST_DIR}/get_verify.c
    ${CMAKE_CURRENT_LIST_DIR}/get_resume.c
    ${CMAKE_CURRENT_LIST_DIR}/put.c
    ${CMAKE_CURRENT_LIST_DIR}/put_resume.c
    ${CMAKE_CURRENT_LIST_DIR}/push.c
    ${CMAKE_CURRENT_LIST_DIR}/copy.c
    ${CMAKE_CURRENT_LIST_DIR}/resume.c)
