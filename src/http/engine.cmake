# The transfer engine: event thread, requests, retries (issue 4, points 1 and 5).
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/engine.c
    ${CMAKE_CURRENT_LIST_DIR}/attempt.c
    ${CMAKE_CURRENT_LIST_DIR}/direct.c
    ${CMAKE_CURRENT_LIST_DIR}/direct_answer.c
    ${CMAKE_CURRENT_LIST_DIR}/request.c
    ${CMAKE_CURRENT_LIST_DIR}/retry.c)
