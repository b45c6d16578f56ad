/* S3 response bodies parsed into C structs, and the CompleteMultipartUpload request body
 * (internal).
 *
 * Parsing rules, common to every document:
 *   - elements are matched by local name (any namespace or none), in any order; unknown elements
 *     are skipped wherever they appear; a repeated value element keeps its last value;
 *   - a string field is NULL when its element is absent, otherwise a NUL-terminated copy made
 *     through the parser's allocator (an empty element gives ""); strings are exact: no trimming;
 *   - numbers are decimal digits only (surrounding XML whitespace tolerated), rejected when empty,
 *     signed, or beyond the field's type; an absent number reads 0 and an absent boolean false;
 *     booleans are "true" / "false" (ASCII case-insensitive);
 *   - dates are ISO-8601 ("2009-10-12T17:50:30.000Z"): epoch seconds (fraction dropped) plus the
 *     raw text; a malformed date fails the parse;
 *   - with <EncodingType>url</EncodingType> (anywhere in the document), the fields S3 encodes
 *     (ListObjectsV2: Prefix, Delimiter, StartAfter, Contents/Key, CommonPrefixes/Prefix;
 *     ListMultipartUploads: Prefix, Delimiter, KeyMarker, NextKeyMarker, Upload/Key,
 *     CommonPrefixes/Prefix) are percent-decoded, '+' read as a space (what AWS, Swift and
 *     botocore do); a bad escape or an escaped NUL fails the parse;
 *   - an entry missing its identifying element (a Contents without Key or Size, a Part without
 *     PartNumber, ETag or Size, an Upload without Key or UploadId, a CommonPrefixes without
 *     Prefix, a Bucket without Name) and an InitiateMultipartUploadResult without UploadId fail
 *     the parse: a caller must never act on half an entry;
 *   - every failure is S3X_ERR_PARSE (malformed, refused or over a limit of src/s3/xml.h) or
 *     S3X_ERR_OOM, and leaves nothing allocated.
 *
 * Error documents: CompleteMultipartUpload, CopyObject and UploadPartCopy can answer 200 and
 * carry an <Error> (S3 has already sent the status when the operation fails). Parse those bodies
 * with s3x__s3_response_parse / the response parser and look at `kind`; every parse accepts an
 * <Error> root besides the expected one. s3x__s3_response_is_error is a quick look at the root
 * element that allocates nothing.
 */
#ifndef S3XFER_S3_RESPONSES_H
#define S3XFER_S3_RESPONSES_H

#include <s3xfer/allocator.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The flexible-checksum elements of a result, base64 as received (composite values keep their
 * "-N"); NULL when absent. */
struct s3x_s3_checksums {
    char *crc32;     /* ChecksumCRC32 */
    char *crc32c;    /* ChecksumCRC32C */
    char *crc64nvme; /* ChecksumCRC64NVME */
    char *sha1;      /* ChecksumSHA1 */
    char *sha256;    /* ChecksumSHA256 */
    char *type;      /* ChecksumType: "FULL_OBJECT" or "COMPOSITE" */
};

/* <Error>: every element kept raw. */
struct s3x_s3_error_doc {
    char *code;
    char *message;
    char *request_id;
    char *host_id;
    char *resource;
    char *key;
    char *bucket_name;
    char *region;   /* AuthorizationHeaderMalformed, PermanentRedirect */
    char *endpoint; /* PermanentRedirect, TemporaryRedirect */
};

/* <Contents> of a listing. */
struct s3x_s3_object {
    char *key;
    uint64_t size;
    char *etag; /* quotes as received */
    int64_t last_modified;
    char *last_modified_raw;
    char *storage_class;
    char *checksum_algorithm; /* the last <ChecksumAlgorithm> when several are listed */
    char *checksum_type;
};

struct s3x_s3_common_prefix {
    char *prefix;
};

/* <ListBucketResult> of ListObjectsV2 (a V1 answer parses too; its Marker fields are skipped). */
struct s3x_s3_list_objects_v2 {
    char *name;
    char *prefix;
    char *delimiter;
    char *continuation_token;
    char *next_continuation_token;
    char *start_after;
    char *encoding_type;
    uint64_t key_count;
    uint64_t max_keys;
    bool is_truncated;
    struct s3x_s3_object *contents;
    size_t contents_count;
    struct s3x_s3_common_prefix *common_prefixes;
    size_t common_prefixes_count;
};

/* <InitiateMultipartUploadResult> */
struct s3x_s3_initiate_multipart_upload {
    char *bucket;
    char *key;
    char *upload_id;
};

/* <CompleteMultipartUploadResult> */
struct s3x_s3_complete_multipart_upload {
    char *location;
    char *bucket;
    char *key;
    char *etag; /* S3: "<md5 of md5s>-N"; Swift: the same form, "md5-N" */
    struct s3x_s3_checksums checksums;
};

/* <Part> of ListParts. */
struct s3x_s3_part {
    uint32_t part_number;
    char *etag;
    uint64_t size;
    int64_t last_modified;
    char *last_modified_raw;
    struct s3x_s3_checksums checksums; /* `type` unused */
};

/* <ListPartsResult> */
struct s3x_s3_list_parts {
    char *bucket;
    char *key;
    char *upload_id;
    char *storage_class;
    char *checksum_algorithm;
    char *checksum_type;
    uint32_t part_number_marker;
    uint32_t next_part_number_marker;
    uint32_t max_parts;
    bool is_truncated;
    struct s3x_s3_part *parts;
    size_t parts_count;
};

/* <Upload> of ListMultipartUploads. */
struct s3x_s3_upload {
    char *key;
    char *upload_id;
    int64_t initiated;
    char *initiated_raw;
    char *storage_class;
    char *checksum_algorithm;
};

/* <ListMultipartUploadsResult> */
struct s3x_s3_list_multipart_uploads {
    char *bucket;
    char *key_marker;
    char *upload_id_marker;
    char *next_key_marker;
    char *next_upload_id_marker;
    char *prefix;
    char *delimiter;
    char *encoding_type;
    uint32_t max_uploads;
    bool is_truncated;
    struct s3x_s3_upload *uploads;
    size_t uploads_count;
    struct s3x_s3_common_prefix *common_prefixes;
    size_t common_prefixes_count;
};

/* <CopyObjectResult> and <CopyPartResult> */
struct s3x_s3_copy_result {
    char *etag;
    int64_t last_modified;
    char *last_modified_raw;
    struct s3x_s3_checksums checksums;
};

/* <Bucket> of ListBuckets. */
struct s3x_s3_bucket {
    char *name;
    int64_t creation_date;
    char *creation_date_raw;
    char *region; /* BucketRegion */
};

/* <ListAllMyBucketsResult> (owner details are skipped) */
struct s3x_s3_list_buckets {
    char *continuation_token;
    char *prefix;
    struct s3x_s3_bucket *buckets;
    size_t buckets_count;
};

/* Which root element a body has. */
enum s3x_s3_response_kind {
    S3X_S3_RESPONSE_NONE = 0, /* not parsed, or "any" when given as the expected kind */
    S3X_S3_RESPONSE_ERROR,
    S3X_S3_RESPONSE_LIST_OBJECTS_V2,           /* ListBucketResult */
    S3X_S3_RESPONSE_INITIATE_MULTIPART_UPLOAD, /* InitiateMultipartUploadResult */
    S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD, /* CompleteMultipartUploadResult */
    S3X_S3_RESPONSE_LIST_PARTS,                /* ListPartsResult */
    S3X_S3_RESPONSE_LIST_MULTIPART_UPLOADS,    /* ListMultipartUploadsResult */
    S3X_S3_RESPONSE_COPY_OBJECT,               /* CopyObjectResult */
    S3X_S3_RESPONSE_COPY_PART,                 /* CopyPartResult */
    S3X_S3_RESPONSE_LIST_BUCKETS,              /* ListAllMyBucketsResult */
};
#define S3X_S3_RESPONSE_KIND_COUNT 10

/* The root element name of a kind ("Error", "ListBucketResult"...); NULL for NONE and values
 * outside the enum. */
const char *s3x__s3_response_root_name(enum s3x_s3_response_kind kind);

/* A parsed body: `kind` says which member of `u` is filled. */
struct s3x_s3_response {
    struct s3x_allocator *allocator;
    enum s3x_s3_response_kind kind;
    union {
        struct s3x_s3_error_doc error;
        struct s3x_s3_list_objects_v2 list_objects_v2;
        struct s3x_s3_initiate_multipart_upload initiate;
        struct s3x_s3_complete_multipart_upload complete;
        struct s3x_s3_list_parts list_parts;
        struct s3x_s3_list_multipart_uploads list_uploads;
        struct s3x_s3_copy_result copy; /* COPY_OBJECT and COPY_PART */
        struct s3x_s3_list_buckets list_buckets;
    } u;
};

/* --- incremental parsing -------------------------------------------------------------------- */

struct s3x_s3_response_parser;

/* A parser for a body expected to be `expected` (or an <Error>, always accepted; COPY_OBJECT and
 * COPY_PART accept each other's root); NONE accepts any root listed above. Another root fails
 * with S3X_ERR_PARSE as soon as it is seen.
 * Returns 0, S3X_ERR_OOM, S3X_ERR_INVALID_ARGUMENT. */
int s3x__s3_response_parser_new(struct s3x_allocator *allocator, enum s3x_s3_response_kind expected,
    struct s3x_s3_response_parser **out);
/* Feeds the next bytes of the body. Returns 0, S3X_ERR_PARSE, S3X_ERR_OOM; errors are sticky. */
int s3x__s3_response_parser_feed(struct s3x_s3_response_parser *parser, const void *data, size_t len);
/* Ends the body and moves the result into `*out` (the parser keeps nothing of it; release it with
 * s3x__s3_response_clean_up). On S3X_ERR_PARSE or S3X_ERR_OOM `*out` is zero-filled and needs no
 * clean-up. Returns 0, S3X_ERR_PARSE, S3X_ERR_OOM, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_INVALID_STATE
 * (called twice: `*out` is left alone). */
int s3x__s3_response_parser_finish(struct s3x_s3_response_parser *parser, struct s3x_s3_response *out);
/* NULL is allowed; frees whatever the parser still holds. */
void s3x__s3_response_parser_destroy(struct s3x_s3_response_parser *parser);

/* The whole body at once. Same results as new + feed + finish + destroy. */
int s3x__s3_response_parse(struct s3x_allocator *allocator, enum s3x_s3_response_kind expected, const void *body,
    size_t len, struct s3x_s3_response *out);

/* Frees every string and array and zero-fills `*response`. A zero-filled response is accepted. */
void s3x__s3_response_clean_up(struct s3x_s3_response *response);

/* Whether the body's root element is <Error> (any namespace prefix), looking past an optional
 * BOM, leading whitespace, the XML declaration, comments and processing instructions; the first
 * few hundred bytes of a body are enough. Allocates nothing and never fails: false when the root
 * cannot be found. Only a full parse says whether the document is well formed. */
bool s3x__s3_response_is_error(const void *body, size_t len);

/* --- one-shot parsers, one per document -----------------------------------------------------
 * Each requires its own root element (an <Error> root is S3X_ERR_PARSE here: use
 * s3x__s3_response_parse to tell them apart), returns 0, S3X_ERR_PARSE or S3X_ERR_OOM, fills
 * `*out` only on success (zero-filled otherwise), and has a clean_up that frees everything and
 * zero-fills (NULL and zero-filled structs accepted). */

int s3x__s3_error_doc_parse(struct s3x_allocator *a, const void *body, size_t len, struct s3x_s3_error_doc *out);
void s3x__s3_error_doc_clean_up(struct s3x_allocator *a, struct s3x_s3_error_doc *doc);

int s3x__s3_list_objects_v2_parse(struct s3x_allocator *a, const void *body, size_t len,
    struct s3x_s3_list_objects_v2 *out);
void s3x__s3_list_objects_v2_clean_up(struct s3x_allocator *a, struct s3x_s3_list_objects_v2 *r);

int s3x__s3_initiate_multipart_upload_parse(struct s3x_allocator *a, const void *body, size_t len,
    struct s3x_s3_initiate_multipart_upload *out);
void s3x__s3_initiate_multipart_upload_clean_up(struct s3x_allocator *a, struct s3x_s3_initiate_multipart_upload *r);

int s3x__s3_complete_multipart_upload_parse(struct s3x_allocator *a, const void *body, size_t len,
    struct s3x_s3_complete_multipart_upload *out);
void s3x__s3_complete_multipart_upload_clean_up(struct s3x_allocator *a, struct s3x_s3_complete_multipart_upload *r);

int s3x__s3_list_parts_parse(struct s3x_allocator *a, const void *body, size_t len, struct s3x_s3_list_parts *out);
void s3x__s3_list_parts_clean_up(struct s3x_allocator *a, struct s3x_s3_list_parts *r);

int s3x__s3_list_multipart_uploads_parse(struct s3x_allocator *a, const void *body, size_t len,
    struct s3x_s3_list_multipart_uploads *out);
void s3x__s3_list_multipart_uploads_clean_up(struct s3x_allocator *a, struct s3x_s3_list_multipart_uploads *r);

/* CopyObjectResult or CopyPartResult, whichever the body has (`*out_kind` may be NULL): the two
 * documents have the same shape and servers differ in which one UploadPartCopy answers with. */
int s3x__s3_copy_result_parse(struct s3x_allocator *a, const void *body, size_t len, struct s3x_s3_copy_result *out,
    enum s3x_s3_response_kind *out_kind);
void s3x__s3_copy_result_clean_up(struct s3x_allocator *a, struct s3x_s3_copy_result *r);

int s3x__s3_list_buckets_parse(struct s3x_allocator *a, const void *body, size_t len, struct s3x_s3_list_buckets *out);
void s3x__s3_list_buckets_clean_up(struct s3x_allocator *a, struct s3x_s3_list_buckets *r);

#endif
