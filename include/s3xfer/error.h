/* s3xfer: error codes.
 *
 * Every function that can fail returns an int: 0 (S3X_OK) or one of the codes below. The list is
 * the single table of the library: the enum, s3x_error_name() and s3x_error_str() are generated
 * from it, so a code can never lack a name or a message. Codes are stable: new ones are appended
 * to their group, existing values never change.
 *
 * Groups: 1..99 common, 100..199 future/executor, 200..299 pool, 300..399 http and credentials,
 * 400..499 S3 (mapped from the S3 <Code> of an error response), 500..599 transfers.
 */
#ifndef S3XFER_ERROR_H
#define S3XFER_ERROR_H

#include <s3xfer/exports.h>

/* X(NAME, value, "message") */
#define S3X_ERROR_LIST(X)                                                                          \
    X(OK, 0, "success")                                                                            \
    X(OOM, 1, "out of memory")                                                                     \
    X(INVALID_ARGUMENT, 2, "invalid argument")                                                     \
    X(INVALID_STATE, 3, "operation not valid in the object's current state")                      \
    X(OVERFLOW, 4, "size or count overflows")                                                      \
    X(TIMEOUT, 5, "timed out")                                                                     \
    X(CANCELED, 6, "canceled")                                                                     \
    X(UNSUPPORTED, 7, "not supported")                                                             \
    X(SYS, 8, "system call failed")                                                                \
    X(IO, 9, "input/output error")                                                                 \
    X(NOT_FOUND, 10, "not found")                                                                  \
    X(PARSE, 11, "malformed input")                                                                \
    X(DISK_FULL, 12, "no space left on device")                                                    \
    X(PERMISSION, 13, "permission denied")                                                         \
    X(UNKNOWN, 99, "unknown error")                                                                \
    X(FUTURE_NOT_DONE, 100, "the future has not completed yet")                                    \
    X(FUTURE_VALUE_TAKEN, 101, "the future's value was already taken")                            \
    X(FUTURE_CALLBACK_SET, 102, "a callback is already registered on this future")                \
    X(EXECUTOR_SHUTDOWN, 103, "the executor is shut down; the task ran without it")                \
    X(POOL_SHUTDOWN, 200, "the buffer pool was destroyed with this reservation pending")           \
    X(BUFFER_TOO_LARGE, 201, "the reservation is larger than the pool's memory limit")            \
    X(BUFFER_SIZE_ZERO, 202, "a reservation of 0 bytes is not allowed")                           \
    X(POOL_EXHAUSTED, 203, "the pool cannot grant the reservation without waiting")               \
    X(POOL_INVALID_VTABLE, 204, "the pool or ticket vtable lacks a required function")            \
    X(BUFFER_ALLOCATION_FAILED, 205, "a part buffer could not be reserved from the pool")         \
    X(HTTP_CONNECT, 300, "could not connect to the endpoint")                                      \
    X(HTTP_RESOLVE, 301, "could not resolve the endpoint's host name")                             \
    X(HTTP_TLS, 302, "TLS handshake or certificate verification failed")                          \
    X(HTTP_SEND, 303, "sending the request failed")                                                \
    X(HTTP_RECV, 304, "receiving the response failed (connection reset or truncated body)")        \
    X(HTTP_STALL, 305, "the transfer stalled: too few bytes moved in the allowed time")            \
    X(HTTP_STATUS, 306, "the server answered with an unexpected HTTP status")                      \
    X(HTTP_PROTOCOL, 307, "HTTP protocol error")                                                   \
    X(HTTP_BAD_URL, 308, "malformed endpoint or URL")                                              \
    X(HTTP_ENGINE_SHUTDOWN, 309, "the transfer engine is shutting down")                           \
    X(HTTP_TIMEOUT, 310, "the request did not complete within its time limit")                     \
    X(CREDENTIALS_NOT_FOUND, 320, "no AWS credentials were found")                                 \
    X(CONFIG_PARSE, 321, "the AWS config or credentials file is malformed")                       \
    X(PROFILE_NOT_FOUND, 322, "the requested AWS profile does not exist")                         \
    X(S3_ACCESS_DENIED, 400, "S3: access denied")                                                  \
    X(S3_SIGNATURE_MISMATCH, 401, "S3: the request signature does not match (check the secret key)") \
    X(S3_INVALID_ACCESS_KEY, 402, "S3: the access key id does not exist")                         \
    X(S3_NO_SUCH_KEY, 403, "S3: no such key")                                                      \
    X(S3_NO_SUCH_BUCKET, 404, "S3: no such bucket")                                                \
    X(S3_NO_SUCH_UPLOAD, 405, "S3: no such multipart upload")                                      \
    X(S3_INVALID_PART, 406, "S3: a part of the multipart upload is missing or its ETag is wrong") \
    X(S3_INVALID_PART_ORDER, 407, "S3: the parts of the multipart upload are not in order")       \
    X(S3_ENTITY_TOO_SMALL, 408, "S3: a part is smaller than the minimum part size")               \
    X(S3_ENTITY_TOO_LARGE, 409, "S3: the object or part is too large")                            \
    X(S3_PRECONDITION_FAILED, 410, "S3: precondition failed (the object changed)")               \
    X(S3_INVALID_RANGE, 411, "S3: the requested range is not satisfiable")                        \
    X(S3_SLOW_DOWN, 412, "S3: slow down (throttled)")                                              \
    X(S3_INTERNAL_ERROR, 413, "S3: internal server error")                                         \
    X(S3_BUCKET_EXISTS, 414, "S3: the bucket already exists")                                      \
    X(S3_BAD_DIGEST, 415, "S3: the body does not match its digest")                               \
    X(S3_REQUEST_TIMEOUT, 416, "S3: the server timed out reading the request")                    \
    X(S3_MALFORMED_XML, 417, "S3: the request XML is malformed")                                   \
    X(S3_INVALID_REQUEST, 418, "S3: invalid request")                                              \
    X(S3_NOT_IMPLEMENTED, 419, "S3: the server does not implement this")                          \
    X(S3_EXPIRED_TOKEN, 420, "S3: the session token has expired")                                 \
    X(S3_INVALID_TOKEN, 421, "S3: the session token is malformed or not valid")                    \
    X(S3_CLOCK_SKEW, 422, "S3: the request time is too far from the server's clock")              \
    X(S3_INVALID_ARGUMENT, 423, "S3: invalid argument")                                            \
    X(S3_INVALID_BUCKET_NAME, 424, "S3: the bucket name is not valid")                             \
    X(S3_KEY_TOO_LONG, 425, "S3: the key is too long")                                              \
    X(S3_BUCKET_OWNED_BY_YOU, 426, "S3: the bucket already exists and is yours")                  \
    X(S3_SERVICE_UNAVAILABLE, 427, "S3: service unavailable")                                      \
    X(S3_WRONG_REGION, 428, "S3: the bucket must be addressed in another region or at another endpoint") \
    X(S3_UNKNOWN, 499, "S3: the server returned an error")                                        \
    X(TRANSFER_TOO_MANY_PARTS, 500, "the transfer would need more than 10,000 parts")             \
    X(TRANSFER_CHECKSUM_MISMATCH, 501, "the data does not match its checksum")                     \
    X(TRANSFER_OBJECT_CHANGED, 502, "the object changed during the transfer")                     \
    X(TRANSFER_PAUSED, 503, "the transfer was paused")

enum s3x_error {
#define S3X_ERROR_ENUM_(name, value, msg) S3X_ERR_##name = (value),
    S3X_ERROR_LIST(S3X_ERROR_ENUM_)
#undef S3X_ERROR_ENUM_
};
#define S3X_OK S3X_ERR_OK

/* The stable name of a code ("S3X_ERR_OOM"); "S3X_ERR_UNKNOWN_CODE" for a value not in the list.
 * Never returns NULL. Thread-safe. */
S3X_API const char *s3x_error_name(int error);

/* A human-readable message for a code; never NULL. Thread-safe. */
S3X_API const char *s3x_error_str(int error);

#endif
