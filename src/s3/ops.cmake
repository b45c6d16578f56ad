# Single-request S3 operations (include/s3xfer/objects.h): objects, buckets, listings, multipart calls.
target_sources(s3xfer_obj PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/ops.c
    ${CMAKE_CURRENT_LIST_DIR}/ops_object.c
    ${CMAKE_CURRENT_LIST_DIR}/ops_list.c
    ${CMAKE_CURRENT_LIST_DIR}/ops_multipart.c)
