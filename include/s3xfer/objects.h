/* s3xfer: S3 operations as single requests (HeadObject, GetObject, PutObject, DeleteObject,
 * ListObjectsV2, CopyObject, buckets, and the multipart calls one by one).
 *
 * The transfer API (transfer.h) moves large objects in parts through the pool; the calls here are
 * for everything else: one signed request each (retried like every request of the client), small
 * bodies held in memory, results as plain structs.
 *
 * Every operation comes in two forms:
 *
 *   // asynchronous: `on_done` fires exactly once on the client's event thread (possibly before
 *   // the call returns), unless the call returns an error, in which case it never fires.
 *   int s3x_object_head(client, &options, on_done, user_data);
 *
 *   // blocking: waits for the answer and fills `*out` (always, even on failure: clean it up).
 *   struct s3x_object_result r;
 *   int rc = s3x_object_head_sync(client, &options, &r);   // rc == r.error
 *   if (rc == 0) printf("%llu bytes\n", (unsigned long long)r.info.size);
 *   else printf("%s (%s)\n", s3x_error_str(rc), r.s3_error.code ? r.s3_error.code : "-");
 *   s3x_object_result_clean_up(&r);
 *
 * Results. A result lives, in the asynchronous form, until the callback returns; the library
 * cleans it up afterwards. To keep it, move it out of the callback:
 *   kept = *result; memset(result, 0, sizeof(*result));    ... s3x_object_result_clean_up(&kept);
 * Strings in results are NUL-terminated copies owned by the result, NULL when the server sent
 * nothing. A result and its strings may be used and cleaned up on any thread.
 *
 * Options. Zero-initialise an options struct; every field's zero is its default (a checksum
 * algorithm left unset means the client's, as in transfers). Strings are copied or used before
 * the call returns, except the memory bodies (`data` of PutObject and UploadPart), which must
 * stay valid and unchanged until the callback has fired (the sync forms return after that).
 * Bucket and key are given unencoded (any UTF-8 key; the library encodes).
 *
 * Errors. The int returned by an asynchronous call is 0, S3X_ERR_INVALID_ARGUMENT (a missing
 * bucket/key/upload id, a bad part number, ...), S3X_ERR_OOM, or S3X_ERR_HTTP_ENGINE_SHUTDOWN. The
 * result's `error` is 0 or any S3X_ERR_*: transport errors (S3X_ERR_HTTP_*), S3 errors mapped from
 * the answer's <Code> (S3X_ERR_S3_*, with the raw code, message and request id kept in
 * `s3_error`), S3X_ERR_HTTP_PROTOCOL for a success answer that cannot be read (a 200 to
 * Complete or a copy whose body is not the expected document does not prove success),
 * S3X_ERR_OVERFLOW for a GetObject body over its limit, S3X_ERR_CANCELED when the client is
 * released with the operation in flight.
 *
 * HEAD answers carry no body, so their S3 code is not sent. HeadObject on a 404 asks a HeadBucket
 * to tell a missing key (S3X_ERR_S3_NO_SUCH_KEY) from a missing bucket (S3X_ERR_S3_NO_SUCH_BUCKET);
 * `s3_error.code` is then set to "NoSuchKey" or "NoSuchBucket" (derived, documented here, not
 * sent), and `http_status`/`request_id` are the HeadObject's. Other HEAD failures map from the
 * status alone: 403 -> S3X_ERR_S3_ACCESS_DENIED (also for a wrong secret: only a request with a
 * body can say SignatureDoesNotMatch), 412 -> S3X_ERR_S3_PRECONDITION_FAILED.
 *
 * Threads and lifetime. Callbacks run on the client's event thread and must not block; they may
 * start further operations. An operation does not keep the client alive: releasing the client's
 * last reference (never from a callback) completes every operation still in flight with
 * S3X_ERR_CANCELED, inside that release. The _sync forms must not be called on the event thread
 * (from a callback): they return S3X_ERR_INVALID_STATE there.
 */
#ifndef S3XFER_OBJECTS_H
#define S3XFER_OBJECTS_H

#include <s3xfer/checksum.h>
#include <s3xfer/client.h>
#include <s3xfer/exports.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- shared shapes --------------------------------------------------------------------------- */

/* What the server said when an operation failed (all zero / NULL on success, and for failures
 * that got no answer, such as a refused connection). */
struct s3x_s3_error {
    int http_status;  /* of the failed answer; 200 for an <Error> inside a 200; 0 when none */
    char *code;       /* the S3 <Code> ("NoSuchKey"); see the HEAD note above */
    char *message;    /* the S3 <Message> */
    char *request_id; /* <RequestId>, else the x-amz-request-id header */
    char *host_id;    /* <HostId>, else the x-amz-id-2 header */
};

/* Flexible checksums as the server reported them: base64 (a composite value ends "-N"), NULL
 * when absent. */
struct s3x_checksums {
    char *crc32;
    char *crc32c;
    char *crc64nvme;
    char *sha1;
    char *sha256;
    char *type; /* "FULL_OBJECT" or "COMPOSITE" */
};

/* One user metadata entry (x-amz-meta-<name>). Names are sent and returned in lower case. In a
 * result, both strings belong to the result. */
struct s3x_metadata {
    const char *name; /* without the "x-amz-meta-" prefix */
    const char *value;
};

/* An object as HeadObject, GetObject and listings describe it. Fields a given answer does not
 * carry are 0 / NULL (a listing has no content type or metadata; an upload's answer has no key). */
struct s3x_object_info {
    char *key;               /* listings (decoded); HeadObject/GetObject: the key asked for */
    uint64_t size;           /* the whole object's size (also for a ranged GET) */
    char *etag;              /* as sent, quotes included: "\"9b2cf535f27731c974343645a3985328\"" */
    bool has_last_modified;
    int64_t last_modified;   /* seconds since the epoch, UTC */
    char *last_modified_raw; /* the text as sent (HTTP date or ISO-8601) */
    char *content_type;
    char *storage_class;
    char *version_id;
    struct s3x_checksums checksums;
    struct s3x_metadata *metadata; /* HeadObject and GetObject: the x-amz-meta-* headers */
    size_t metadata_count;
};

/* A byte range of a GetObject answer (206 Partial Content). */
struct s3x_byte_range {
    bool present; /* false: the whole object came (200) */
    uint64_t first;
    uint64_t last; /* inclusive */
};

/* --- results and callbacks ------------------------------------------------------------------- */

/* Operations that answer nothing but success: DeleteObject, CreateBucket, DeleteBucket,
 * HeadBucket, AbortMultipartUpload, and the end of a list-all iteration. */
struct s3x_op_result {
    struct s3x_allocator *allocator; /* private */
    int error;
    struct s3x_s3_error s3_error;
};
typedef void(s3x_op_fn)(struct s3x_client *client, struct s3x_op_result *result, void *user_data);
S3X_API void s3x_op_result_clean_up(struct s3x_op_result *result);

/* Operations on one object or part: HeadObject, GetObject, PutObject, CopyObject,
 * CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload. */
struct s3x_object_result {
    struct s3x_allocator *allocator; /* private */
    int error;
    struct s3x_s3_error s3_error;
    int http_status;             /* of the successful answer (200, 204, 206); 0 on failure */
    struct s3x_object_info info; /* etag (and checksums, version id) for PUT, copy, part, complete */
    uint8_t *data;               /* GetObject: the body (NULL for an empty one) */
    size_t data_len;
    struct s3x_byte_range range; /* GetObject */
    char *upload_id;             /* CreateMultipartUpload */
    char *location;              /* CompleteMultipartUpload: <Location> */
};
typedef void(s3x_object_fn)(struct s3x_client *client, struct s3x_object_result *result, void *user_data);
S3X_API void s3x_object_result_clean_up(struct s3x_object_result *result);

/* One page of ListObjectsV2. Keys and prefixes are decoded (the page is always requested with
 * encoding-type=url, so any key survives XML). */
struct s3x_list_result {
    struct s3x_allocator *allocator; /* private */
    int error;
    struct s3x_s3_error s3_error;
    struct s3x_object_info *objects; /* key, size, etag, last_modified, storage_class, checksums.type */
    size_t objects_count;
    char **common_prefixes;          /* with a delimiter: the "directories" of this page */
    size_t common_prefixes_count;
    bool is_truncated;               /* more pages follow */
    char *next_continuation_token;   /* for the next page when is_truncated */
    uint64_t key_count;              /* as the server counted (objects + prefixes) */
};
typedef void(s3x_list_fn)(struct s3x_client *client, struct s3x_list_result *result, void *user_data);
S3X_API void s3x_list_result_clean_up(struct s3x_list_result *result);

/* One part of ListParts. */
struct s3x_part_info {
    uint32_t part_number;
    uint64_t size;
    char *etag;
    int64_t last_modified;
    char *last_modified_raw;
    struct s3x_checksums checksums;
};

/* One page of ListParts. */
struct s3x_parts_result {
    struct s3x_allocator *allocator; /* private */
    int error;
    struct s3x_s3_error s3_error;
    struct s3x_part_info *parts;
    size_t parts_count;
    bool is_truncated;
    uint32_t next_part_number_marker; /* for the next page */
    char *checksum_algorithm;         /* the upload's, "CRC32C"...; NULL when none */
};
typedef void(s3x_parts_fn)(struct s3x_client *client, struct s3x_parts_result *result, void *user_data);
S3X_API void s3x_parts_result_clean_up(struct s3x_parts_result *result);

/* One multipart upload in progress. */
struct s3x_upload_info {
    char *key; /* decoded */
    char *upload_id;
    int64_t initiated;
    char *initiated_raw;
    char *storage_class;
};

/* One page of ListMultipartUploads. */
struct s3x_uploads_result {
    struct s3x_allocator *allocator; /* private */
    int error;
    struct s3x_s3_error s3_error;
    struct s3x_upload_info *uploads;
    size_t uploads_count;
    char **common_prefixes;
    size_t common_prefixes_count;
    bool is_truncated;
    char *next_key_marker; /* for the next page (with next_upload_id_marker) */
    char *next_upload_id_marker;
};
typedef void(s3x_uploads_fn)(struct s3x_client *client, struct s3x_uploads_result *result, void *user_data);
S3X_API void s3x_uploads_result_clean_up(struct s3x_uploads_result *result);

/* One bucket of ListBuckets. */
struct s3x_bucket_info {
    char *name;
    int64_t creation_date;
    char *creation_date_raw;
    char *region; /* BucketRegion when the server sends it */
};

struct s3x_buckets_result {
    struct s3x_allocator *allocator; /* private */
    int error;
    struct s3x_s3_error s3_error;
    struct s3x_bucket_info *buckets;
    size_t buckets_count;
};
typedef void(s3x_buckets_fn)(struct s3x_client *client, struct s3x_buckets_result *result, void *user_data);
S3X_API void s3x_buckets_result_clean_up(struct s3x_buckets_result *result);

/* --- objects --------------------------------------------------------------------------------- */

/* HeadObject. */
struct s3x_object_head_options {
    const char *bucket;
    const char *key;
    const char *if_match;      /* ETag; a mismatch fails with S3X_ERR_S3_PRECONDITION_FAILED */
    const char *if_none_match; /* ETag or "*"; a match fails with S3X_ERR_S3_PRECONDITION_FAILED
                                * (the 304 Not Modified of a HEAD is reported that way) */
    const char *version_id;
};
S3X_API int s3x_object_head(struct s3x_client *client, const struct s3x_object_head_options *options,
    s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_object_head_sync(struct s3x_client *client, const struct s3x_object_head_options *options,
    struct s3x_object_result *out);

/* GetObject into memory: for small objects and ranges (use a transfer for large ones). */
#define S3X_OBJECT_GET_MAX_DEFAULT ((size_t)16 * 1024 * 1024)
struct s3x_object_get_options {
    const char *bucket;
    const char *key;
    /* The Range header value as S3 takes it: "bytes=0-99", "bytes=100-" or "bytes=-100" (the last
     * 100 bytes). NULL: the whole object. A range starting past the end fails with
     * S3X_ERR_S3_INVALID_RANGE; an end past the end is clipped by the server. */
    const char *range;
    const char *if_match;      /* ETag; a mismatch fails with S3X_ERR_S3_PRECONDITION_FAILED */
    const char *if_none_match; /* a match fails with S3X_ERR_S3_PRECONDITION_FAILED (304) */
    const char *version_id;
    size_t max_bytes;          /* a longer body fails with S3X_ERR_OVERFLOW; 0 = 16 MiB */
};
S3X_API int s3x_object_get(struct s3x_client *client, const struct s3x_object_get_options *options,
    s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_object_get_sync(struct s3x_client *client, const struct s3x_object_get_options *options,
    struct s3x_object_result *out);

/* PutObject from memory: for small objects (use a transfer for large ones; S3 takes at most
 * 5 GiB in one PUT). */
struct s3x_object_put_options {
    const char *bucket;
    const char *key;
    const void *data; /* borrowed until on_done; NULL with len 0 for an empty object */
    size_t len;
    const char *content_type;
    const struct s3x_metadata *metadata;
    size_t metadata_count;
    /* Computed over `data` and sent as x-amz-checksum-<alg>: `checksum` when checksum_set (NONE
     * sends none), else the client's algorithm (as transfers do). */
    enum s3x_checksum_algorithm checksum;
    bool checksum_set;
    const char *if_none_match; /* "*": fail with S3X_ERR_S3_PRECONDITION_FAILED if the key exists */
};
S3X_API int s3x_object_put(struct s3x_client *client, const struct s3x_object_put_options *options,
    s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_object_put_sync(struct s3x_client *client, const struct s3x_object_put_options *options,
    struct s3x_object_result *out);

/* DeleteObject. Deleting a key that does not exist succeeds (S3's rule). */
struct s3x_object_delete_options {
    const char *bucket;
    const char *key;
    const char *version_id;
};
S3X_API int s3x_object_delete(struct s3x_client *client, const struct s3x_object_delete_options *options,
    s3x_op_fn *on_done, void *user_data);
S3X_API int s3x_object_delete_sync(struct s3x_client *client, const struct s3x_object_delete_options *options,
    struct s3x_op_result *out);

/* CopyObject, server side (S3 copies at most 5 GiB this way; larger objects need UploadPartCopy).
 * An <Error> inside the 200 answer is an error (retried when transient). */
enum s3x_metadata_directive {
    S3X_METADATA_COPY = 0, /* keep the source's metadata and content type */
    S3X_METADATA_REPLACE,  /* use content_type and metadata below */
};
struct s3x_object_copy_options {
    const char *source_bucket;
    const char *source_key;
    const char *source_version_id;
    const char *source_if_match; /* x-amz-copy-source-if-match */
    const char *bucket;          /* destination */
    const char *key;
    enum s3x_metadata_directive metadata_directive;
    const char *content_type; /* REPLACE */
    const struct s3x_metadata *metadata;
    size_t metadata_count;
};
/* The result's info has the new object's etag and last_modified. */
S3X_API int s3x_object_copy(struct s3x_client *client, const struct s3x_object_copy_options *options,
    s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_object_copy_sync(struct s3x_client *client, const struct s3x_object_copy_options *options,
    struct s3x_object_result *out);

/* ListObjectsV2, one page. Always requested with encoding-type=url; results are decoded. */
struct s3x_object_list_options {
    const char *bucket;
    const char *prefix;
    const char *delimiter;          /* "/" groups keys into common prefixes */
    uint32_t max_keys;              /* 0 = the server's default (1000) */
    const char *continuation_token; /* next_continuation_token of the previous page */
    const char *start_after;        /* list keys after this one (first page) */
};
S3X_API int s3x_object_list(struct s3x_client *client, const struct s3x_object_list_options *options,
    s3x_list_fn *on_done, void *user_data);
S3X_API int s3x_object_list_sync(struct s3x_client *client, const struct s3x_object_list_options *options,
    struct s3x_list_result *out);

/* Every page of a listing, in order, starting at options->continuation_token (usually NULL).
 * `on_page` gets each page (its result is cleaned up after it returns unless moved out) and
 * returns 0 to go on or an S3X_ERR_* to stop: the iteration then ends with that error.
 * The asynchronous form calls on_page and then on_done (exactly once, after the last page or the
 * first failure) on the event thread; the blocking form calls on_page on the calling thread and
 * returns the error also found in *out. */
typedef int(s3x_list_page_fn)(struct s3x_client *client, struct s3x_list_result *page, void *user_data);
S3X_API int s3x_object_list_all(struct s3x_client *client, const struct s3x_object_list_options *options,
    s3x_list_page_fn *on_page, s3x_op_fn *on_done, void *user_data);
S3X_API int s3x_object_list_all_sync(struct s3x_client *client, const struct s3x_object_list_options *options,
    s3x_list_page_fn *on_page, void *user_data, struct s3x_op_result *out);

/* --- buckets --------------------------------------------------------------------------------- */

/* CreateBucket. The bucket is created in `region` (NULL: the client's region); any region but
 * us-east-1 is sent as a LocationConstraint body. Creating a bucket you already own fails with
 * S3X_ERR_S3_BUCKET_OWNED_BY_YOU (AWS outside us-east-1) or S3X_ERR_S3_BUCKET_EXISTS. */
struct s3x_bucket_create_options {
    const char *bucket;
    const char *region;
};
S3X_API int s3x_bucket_create(struct s3x_client *client, const struct s3x_bucket_create_options *options,
    s3x_op_fn *on_done, void *user_data);
S3X_API int s3x_bucket_create_sync(struct s3x_client *client, const struct s3x_bucket_create_options *options,
    struct s3x_op_result *out);

/* DeleteBucket (HeadBucket takes the same options). DeleteBucket of a bucket that still holds
 * objects fails with S3X_ERR_S3_UNKNOWN and code "BucketNotEmpty". HeadBucket of a missing
 * bucket fails with S3X_ERR_S3_NO_SUCH_BUCKET (code "NoSuchBucket", derived: HEAD has no body). */
struct s3x_bucket_options {
    const char *bucket;
};
S3X_API int s3x_bucket_delete(struct s3x_client *client, const struct s3x_bucket_options *options, s3x_op_fn *on_done,
    void *user_data);
S3X_API int s3x_bucket_delete_sync(struct s3x_client *client, const struct s3x_bucket_options *options,
    struct s3x_op_result *out);
S3X_API int s3x_bucket_head(struct s3x_client *client, const struct s3x_bucket_options *options, s3x_op_fn *on_done,
    void *user_data);
S3X_API int s3x_bucket_head_sync(struct s3x_client *client, const struct s3x_bucket_options *options,
    struct s3x_op_result *out);

/* ListBuckets: the buckets the credentials own. `options` may be NULL (none defined yet). */
struct s3x_bucket_list_options {
    const char *prefix; /* only names starting with this (AWS; other servers may ignore it) */
};
S3X_API int s3x_bucket_list(struct s3x_client *client, const struct s3x_bucket_list_options *options,
    s3x_buckets_fn *on_done, void *user_data);
S3X_API int s3x_bucket_list_sync(struct s3x_client *client, const struct s3x_bucket_list_options *options,
    struct s3x_buckets_result *out);

/* --- multipart uploads, one call at a time --------------------------------------------------- */

/* CreateMultipartUpload: the result's upload_id names the upload in every later call. */
struct s3x_multipart_create_options {
    const char *bucket;
    const char *key;
    const char *content_type;
    const struct s3x_metadata *metadata;
    size_t metadata_count;
    /* Announced as x-amz-checksum-algorithm (every part must then carry that checksum):
     * `checksum` when checksum_set (NONE announces none), else the client's algorithm. */
    enum s3x_checksum_algorithm checksum;
    bool checksum_set;
};
S3X_API int s3x_multipart_create(struct s3x_client *client, const struct s3x_multipart_create_options *options,
    s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_multipart_create_sync(struct s3x_client *client, const struct s3x_multipart_create_options *options,
    struct s3x_object_result *out);

/* UploadPart from memory. Every part but the last must be at least 5 MiB (S3 checks this at
 * Complete: S3X_ERR_S3_ENTITY_TOO_SMALL). */
struct s3x_multipart_upload_part_options {
    const char *bucket;
    const char *key;
    const char *upload_id;
    uint32_t part_number; /* 1..10000 */
    const void *data;     /* borrowed until on_done */
    size_t len;
    /* Computed over `data` and sent as x-amz-checksum-<alg>: `checksum` when checksum_set (NONE
     * sends none), else the client's algorithm; use the upload's. The value is returned in
     * result.info.checksums (as computed when the server does not echo it). */
    enum s3x_checksum_algorithm checksum;
    bool checksum_set;
};
/* result.info.etag is the part's ETag, needed for Complete. */
S3X_API int s3x_multipart_upload_part(struct s3x_client *client,
    const struct s3x_multipart_upload_part_options *options, s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_multipart_upload_part_sync(struct s3x_client *client,
    const struct s3x_multipart_upload_part_options *options, struct s3x_object_result *out);

/* UploadPartCopy: a part copied server side from (a range of) another object. */
struct s3x_multipart_copy_part_options {
    const char *bucket;
    const char *key;
    const char *upload_id;
    uint32_t part_number;
    const char *source_bucket;
    const char *source_key;
    const char *source_version_id;
    const char *source_if_match;
    bool has_source_range; /* false: the whole source object */
    uint64_t source_first; /* inclusive byte range of the source */
    uint64_t source_last;
};
S3X_API int s3x_multipart_copy_part(struct s3x_client *client, const struct s3x_multipart_copy_part_options *options,
    s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_multipart_copy_part_sync(struct s3x_client *client,
    const struct s3x_multipart_copy_part_options *options, struct s3x_object_result *out);

/* One part of CompleteMultipartUpload. */
struct s3x_completed_part {
    uint32_t part_number; /* strictly increasing along the list */
    const char *etag;     /* as UploadPart returned it */
    const char *checksum; /* the part's checksum of the upload's algorithm (base64), or NULL */
};

/* CompleteMultipartUpload. Checksum elements are written when the client's
 * checksum_in_complete is set, the algorithm is not NONE and the part has one (OpenStack Swift
 * rejects them). A wrong ETag fails with S3X_ERR_S3_INVALID_PART; an <Error> inside the 200
 * answer is an error (retried when transient). */
struct s3x_multipart_complete_options {
    const char *bucket;
    const char *key;
    const char *upload_id;
    const struct s3x_completed_part *parts;
    size_t parts_count; /* 1..10000 */
    /* The upload's algorithm: `checksum` when checksum_set, else the client's. */
    enum s3x_checksum_algorithm checksum;
    bool checksum_set;
};
/* result.info.etag is the object's ("<md5 of md5s>-N"), result.location its URL. */
S3X_API int s3x_multipart_complete(struct s3x_client *client, const struct s3x_multipart_complete_options *options,
    s3x_object_fn *on_done, void *user_data);
S3X_API int s3x_multipart_complete_sync(struct s3x_client *client,
    const struct s3x_multipart_complete_options *options, struct s3x_object_result *out);

/* AbortMultipartUpload (and ListParts, with its paging fields). Aborting an unknown upload fails
 * with S3X_ERR_S3_NO_SUCH_UPLOAD. */
struct s3x_multipart_options {
    const char *bucket;
    const char *key;
    const char *upload_id;
    uint32_t max_parts;          /* ListParts: 0 = the server's default (1000) */
    uint32_t part_number_marker; /* ListParts: list parts after this one */
};
S3X_API int s3x_multipart_abort(struct s3x_client *client, const struct s3x_multipart_options *options,
    s3x_op_fn *on_done, void *user_data);
S3X_API int s3x_multipart_abort_sync(struct s3x_client *client, const struct s3x_multipart_options *options,
    struct s3x_op_result *out);
S3X_API int s3x_multipart_list_parts(struct s3x_client *client, const struct s3x_multipart_options *options,
    s3x_parts_fn *on_done, void *user_data);
S3X_API int s3x_multipart_list_parts_sync(struct s3x_client *client, const struct s3x_multipart_options *options,
    struct s3x_parts_result *out);

/* ListMultipartUploads, one page: the uploads in progress in a bucket (to find orphans). */
struct s3x_multipart_list_uploads_options {
    const char *bucket;
    const char *prefix;
    const char *delimiter;
    uint32_t max_uploads; /* 0 = the server's default (1000) */
    const char *key_marker;
    const char *upload_id_marker;
};
S3X_API int s3x_multipart_list_uploads(struct s3x_client *client,
    const struct s3x_multipart_list_uploads_options *options, s3x_uploads_fn *on_done, void *user_data);
S3X_API int s3x_multipart_list_uploads_sync(struct s3x_client *client,
    const struct s3x_multipart_list_uploads_options *options, struct s3x_uploads_result *out);

#ifdef __cplusplus
}
#endif

#endif
