/* S3 response documents -> C structs, driven by tables.
 *
 * Each document kind is described once (struct s_doc): its root element, the value elements
 * directly under the root (struct s_field: element name, type, offset of the member), and its
 * lists of entries (struct s_list: the entry element, an optional wrapper element such as
 * <Buckets>, the entry's fields, the offsets of the array and its count). One SAX handler over
 * src/s3/xml.h fills any document from its table, and one clean-up frees any document, so a new
 * field is one table line, and parsing, freeing and the fail-the-Nth sweep all follow.
 *
 * Per open element the parser keeps what it is (struct s_level): the root, a wrapper, an entry,
 * a value field, or something skipped (unknown elements and everything inside them).
 *
 * Invariants (between callbacks):
 *   result.kind == doc->kind once the root has started, NONE before
 *   for each list L: *count(L) <= capacity[L]; entries [0, count) are initialised (zero or parsed)
 *   levels[d] describes the open element at depth d, 1 <= d <= depth
 *   item_seen holds the fields seen in the open entry, root_seen those seen under the root
 *
 * Worked example: "<ListBucketResult><Contents><Key>a</Key><Size>5</Size></Contents>
 * <EncodingType>url</EncodingType></ListBucketResult>": depth 1 root (doc ListObjectsV2); depth 2
 * Contents starts entry 0 (capacity 0 -> 4, count 1); depth 3 Key and Size fill it (item_seen =
 * bits 0 and 1, the required ones); EncodingType is a root field; at the root's end, "url" makes
 * the parser percent-decode the flagged fields ("a" stays "a").
 */
#include "s3/responses.h"

#include "common/common.h"
#include "http/uri.h"
#include "s3/headers.h"
#include "s3/xml.h"

#include <string.h>
#include <strings.h>

enum s_type {
    S_STR,     /* char * */
    S_STR_URL, /* char *, percent-decoded when the document says EncodingType url */
    S_U64,     /* uint64_t */
    S_U32,     /* uint32_t */
    S_BOOL,    /* bool */
    S_DATE,    /* int64_t at offset, char * (raw) at raw_offset */
};

struct s_field {
    const char *name;
    enum s_type type;
    bool required;
    size_t offset;
    size_t raw_offset;
};

struct s_list {
    const char *wrapper; /* NULL: entries sit right under the root */
    const char *entry;
    size_t entry_size;
    const struct s_field *fields;
    size_t field_count;
    size_t array_offset; /* of the entry pointer in the document struct */
    size_t count_offset; /* of the size_t count */
};

#define S_MAX_LISTS 2
#define S_MAX_FIELDS 32 /* seen masks are uint32_t */

struct s_doc {
    enum s3x_s3_response_kind kind;
    const char *root;
    size_t size;
    const struct s_field *fields;
    size_t field_count;
    const struct s_list *lists;
    size_t list_count;
    bool has_encoding; /* EncodingType is one of the fields (named "EncodingType") */
};

#define S_F(st, name, type, member) {name, type, false, offsetof(st, member), 0}
#define S_REQ(st, name, type, member) {name, type, true, offsetof(st, member), 0}
#define S_DATE_F(st, name, member) {name, S_DATE, false, offsetof(st, member), offsetof(st, member##_raw)}
#define S_CHECKSUM_FIELDS(st)                                                                      \
    S_F(st, "ChecksumCRC32", S_STR, checksums.crc32), S_F(st, "ChecksumCRC32C", S_STR, checksums.crc32c),  \
        S_F(st, "ChecksumCRC64NVME", S_STR, checksums.crc64nvme),                                  \
        S_F(st, "ChecksumSHA1", S_STR, checksums.sha1), S_F(st, "ChecksumSHA256", S_STR, checksums.sha256), \
        S_F(st, "ChecksumType", S_STR, checksums.type)
#define S_LIST(wrapper, entry, st, fields, doc_st, array, count)                                   \
    {wrapper, entry, sizeof(st), fields, S3X_ARRAY_LEN(fields), offsetof(doc_st, array), offsetof(doc_st, count)}
#define S_DOC(kind, root, st, fields, lists, has_encoding)                                         \
    {kind, root, sizeof(st), fields, S3X_ARRAY_LEN(fields), lists, S3X_ARRAY_LEN(lists), has_encoding}

/* --- the tables ------------------------------------------------------------------------------- */

static const struct s_field s_error_fields[] = {
    S_F(struct s3x_s3_error_doc, "Code", S_STR, code),
    S_F(struct s3x_s3_error_doc, "Message", S_STR, message),
    S_F(struct s3x_s3_error_doc, "RequestId", S_STR, request_id),
    S_F(struct s3x_s3_error_doc, "HostId", S_STR, host_id),
    S_F(struct s3x_s3_error_doc, "Resource", S_STR, resource),
    S_F(struct s3x_s3_error_doc, "Key", S_STR, key),
    S_F(struct s3x_s3_error_doc, "BucketName", S_STR, bucket_name),
    S_F(struct s3x_s3_error_doc, "Region", S_STR, region),
    S_F(struct s3x_s3_error_doc, "Endpoint", S_STR, endpoint),
};

static const struct s_field s_object_fields[] = {
    S_REQ(struct s3x_s3_object, "Key", S_STR_URL, key),
    S_REQ(struct s3x_s3_object, "Size", S_U64, size),
    S_F(struct s3x_s3_object, "ETag", S_STR, etag),
    S_DATE_F(struct s3x_s3_object, "LastModified", last_modified),
    S_F(struct s3x_s3_object, "StorageClass", S_STR, storage_class),
    S_F(struct s3x_s3_object, "ChecksumAlgorithm", S_STR, checksum_algorithm),
    S_F(struct s3x_s3_object, "ChecksumType", S_STR, checksum_type),
};

static const struct s_field s_prefix_fields[] = {
    S_REQ(struct s3x_s3_common_prefix, "Prefix", S_STR_URL, prefix),
};

static const struct s_field s_lov2_fields[] = {
    S_F(struct s3x_s3_list_objects_v2, "Name", S_STR, name),
    S_F(struct s3x_s3_list_objects_v2, "Prefix", S_STR_URL, prefix),
    S_F(struct s3x_s3_list_objects_v2, "Delimiter", S_STR_URL, delimiter),
    S_F(struct s3x_s3_list_objects_v2, "ContinuationToken", S_STR, continuation_token),
    S_F(struct s3x_s3_list_objects_v2, "NextContinuationToken", S_STR, next_continuation_token),
    S_F(struct s3x_s3_list_objects_v2, "StartAfter", S_STR_URL, start_after),
    S_F(struct s3x_s3_list_objects_v2, "EncodingType", S_STR, encoding_type),
    S_F(struct s3x_s3_list_objects_v2, "KeyCount", S_U64, key_count),
    S_F(struct s3x_s3_list_objects_v2, "MaxKeys", S_U64, max_keys),
    S_F(struct s3x_s3_list_objects_v2, "IsTruncated", S_BOOL, is_truncated),
};
static const struct s_list s_lov2_lists[] = {
    S_LIST(NULL, "Contents", struct s3x_s3_object, s_object_fields, struct s3x_s3_list_objects_v2, contents,
        contents_count),
    S_LIST(NULL, "CommonPrefixes", struct s3x_s3_common_prefix, s_prefix_fields, struct s3x_s3_list_objects_v2,
        common_prefixes, common_prefixes_count),
};

static const struct s_field s_initiate_fields[] = {
    S_F(struct s3x_s3_initiate_multipart_upload, "Bucket", S_STR, bucket),
    S_F(struct s3x_s3_initiate_multipart_upload, "Key", S_STR, key),
    S_REQ(struct s3x_s3_initiate_multipart_upload, "UploadId", S_STR, upload_id),
};

static const struct s_field s_complete_fields[] = {
    S_F(struct s3x_s3_complete_multipart_upload, "Location", S_STR, location),
    S_F(struct s3x_s3_complete_multipart_upload, "Bucket", S_STR, bucket),
    S_F(struct s3x_s3_complete_multipart_upload, "Key", S_STR, key),
    S_F(struct s3x_s3_complete_multipart_upload, "ETag", S_STR, etag),
    S_CHECKSUM_FIELDS(struct s3x_s3_complete_multipart_upload),
};

static const struct s_field s_part_fields[] = {
    S_REQ(struct s3x_s3_part, "PartNumber", S_U32, part_number),
    S_REQ(struct s3x_s3_part, "ETag", S_STR, etag),
    S_REQ(struct s3x_s3_part, "Size", S_U64, size),
    S_DATE_F(struct s3x_s3_part, "LastModified", last_modified),
    S_CHECKSUM_FIELDS(struct s3x_s3_part),
};

static const struct s_field s_list_parts_fields[] = {
    S_F(struct s3x_s3_list_parts, "Bucket", S_STR, bucket),
    S_F(struct s3x_s3_list_parts, "Key", S_STR, key),
    S_F(struct s3x_s3_list_parts, "UploadId", S_STR, upload_id),
    S_F(struct s3x_s3_list_parts, "StorageClass", S_STR, storage_class),
    S_F(struct s3x_s3_list_parts, "ChecksumAlgorithm", S_STR, checksum_algorithm),
    S_F(struct s3x_s3_list_parts, "ChecksumType", S_STR, checksum_type),
    S_F(struct s3x_s3_list_parts, "PartNumberMarker", S_U32, part_number_marker),
    S_F(struct s3x_s3_list_parts, "NextPartNumberMarker", S_U32, next_part_number_marker),
    S_F(struct s3x_s3_list_parts, "MaxParts", S_U32, max_parts),
    S_F(struct s3x_s3_list_parts, "IsTruncated", S_BOOL, is_truncated),
};
static const struct s_list s_list_parts_lists[] = {
    S_LIST(NULL, "Part", struct s3x_s3_part, s_part_fields, struct s3x_s3_list_parts, parts, parts_count),
};

static const struct s_field s_upload_fields[] = {
    S_REQ(struct s3x_s3_upload, "Key", S_STR_URL, key),
    S_REQ(struct s3x_s3_upload, "UploadId", S_STR, upload_id),
    S_DATE_F(struct s3x_s3_upload, "Initiated", initiated),
    S_F(struct s3x_s3_upload, "StorageClass", S_STR, storage_class),
    S_F(struct s3x_s3_upload, "ChecksumAlgorithm", S_STR, checksum_algorithm),
};

static const struct s_field s_list_uploads_fields[] = {
    S_F(struct s3x_s3_list_multipart_uploads, "Bucket", S_STR, bucket),
    S_F(struct s3x_s3_list_multipart_uploads, "KeyMarker", S_STR_URL, key_marker),
    S_F(struct s3x_s3_list_multipart_uploads, "UploadIdMarker", S_STR, upload_id_marker),
    S_F(struct s3x_s3_list_multipart_uploads, "NextKeyMarker", S_STR_URL, next_key_marker),
    S_F(struct s3x_s3_list_multipart_uploads, "NextUploadIdMarker", S_STR, next_upload_id_marker),
    S_F(struct s3x_s3_list_multipart_uploads, "Prefix", S_STR_URL, prefix),
    S_F(struct s3x_s3_list_multipart_uploads, "Delimiter", S_STR_URL, delimiter),
    S_F(struct s3x_s3_list_multipart_uploads, "EncodingType", S_STR, encoding_type),
    S_F(struct s3x_s3_list_multipart_uploads, "MaxUploads", S_U32, max_uploads),
    S_F(struct s3x_s3_list_multipart_uploads, "IsTruncated", S_BOOL, is_truncated),
};
static const struct s_list s_list_uploads_lists[] = {
    S_LIST(NULL, "Upload", struct s3x_s3_upload, s_upload_fields, struct s3x_s3_list_multipart_uploads, uploads,
        uploads_count),
    S_LIST(NULL, "CommonPrefixes", struct s3x_s3_common_prefix, s_prefix_fields,
        struct s3x_s3_list_multipart_uploads, common_prefixes, common_prefixes_count),
};

static const struct s_field s_copy_fields[] = {
    S_F(struct s3x_s3_copy_result, "ETag", S_STR, etag),
    S_DATE_F(struct s3x_s3_copy_result, "LastModified", last_modified),
    S_CHECKSUM_FIELDS(struct s3x_s3_copy_result),
};

static const struct s_field s_bucket_fields[] = {
    S_REQ(struct s3x_s3_bucket, "Name", S_STR, name),
    S_DATE_F(struct s3x_s3_bucket, "CreationDate", creation_date),
    S_F(struct s3x_s3_bucket, "BucketRegion", S_STR, region),
};
static const struct s_field s_list_buckets_fields[] = {
    S_F(struct s3x_s3_list_buckets, "ContinuationToken", S_STR, continuation_token),
    S_F(struct s3x_s3_list_buckets, "Prefix", S_STR, prefix),
};
static const struct s_list s_list_buckets_lists[] = {
    S_LIST("Buckets", "Bucket", struct s3x_s3_bucket, s_bucket_fields, struct s3x_s3_list_buckets, buckets,
        buckets_count),
};

static const struct s_list s_no_lists[1] = {{0}};

/* The seen masks are 32 bits wide and the parser keeps a capacity per list. */
#define S_FITS(fields) _Static_assert(S3X_ARRAY_LEN(fields) <= S_MAX_FIELDS, #fields " has too many fields")
S_FITS(s_error_fields);
S_FITS(s_object_fields);
S_FITS(s_lov2_fields);
S_FITS(s_complete_fields);
S_FITS(s_part_fields);
S_FITS(s_list_parts_fields);
S_FITS(s_upload_fields);
S_FITS(s_list_uploads_fields);
S_FITS(s_copy_fields);
_Static_assert(S3X_ARRAY_LEN(s_lov2_lists) <= S_MAX_LISTS && S3X_ARRAY_LEN(s_list_uploads_lists) <= S_MAX_LISTS,
    "more lists than S_MAX_LISTS");

/* Indexed by kind. */
static const struct s_doc s_docs[S3X_S3_RESPONSE_KIND_COUNT] = {
    [S3X_S3_RESPONSE_NONE] = {0},
    [S3X_S3_RESPONSE_ERROR] = {S3X_S3_RESPONSE_ERROR, "Error", sizeof(struct s3x_s3_error_doc), s_error_fields,
        S3X_ARRAY_LEN(s_error_fields), s_no_lists, 0, false},
    [S3X_S3_RESPONSE_LIST_OBJECTS_V2] = S_DOC(S3X_S3_RESPONSE_LIST_OBJECTS_V2, "ListBucketResult",
        struct s3x_s3_list_objects_v2, s_lov2_fields, s_lov2_lists, true),
    [S3X_S3_RESPONSE_INITIATE_MULTIPART_UPLOAD] = {S3X_S3_RESPONSE_INITIATE_MULTIPART_UPLOAD,
        "InitiateMultipartUploadResult", sizeof(struct s3x_s3_initiate_multipart_upload), s_initiate_fields,
        S3X_ARRAY_LEN(s_initiate_fields), s_no_lists, 0, false},
    [S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD] = {S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD,
        "CompleteMultipartUploadResult", sizeof(struct s3x_s3_complete_multipart_upload), s_complete_fields,
        S3X_ARRAY_LEN(s_complete_fields), s_no_lists, 0, false},
    [S3X_S3_RESPONSE_LIST_PARTS] = S_DOC(S3X_S3_RESPONSE_LIST_PARTS, "ListPartsResult", struct s3x_s3_list_parts,
        s_list_parts_fields, s_list_parts_lists, false),
    [S3X_S3_RESPONSE_LIST_MULTIPART_UPLOADS] = S_DOC(S3X_S3_RESPONSE_LIST_MULTIPART_UPLOADS,
        "ListMultipartUploadsResult", struct s3x_s3_list_multipart_uploads, s_list_uploads_fields,
        s_list_uploads_lists, true),
    [S3X_S3_RESPONSE_COPY_OBJECT] = {S3X_S3_RESPONSE_COPY_OBJECT, "CopyObjectResult",
        sizeof(struct s3x_s3_copy_result), s_copy_fields, S3X_ARRAY_LEN(s_copy_fields), s_no_lists, 0, false},
    [S3X_S3_RESPONSE_COPY_PART] = {S3X_S3_RESPONSE_COPY_PART, "CopyPartResult", sizeof(struct s3x_s3_copy_result),
        s_copy_fields, S3X_ARRAY_LEN(s_copy_fields), s_no_lists, 0, false},
    [S3X_S3_RESPONSE_LIST_BUCKETS] = S_DOC(S3X_S3_RESPONSE_LIST_BUCKETS, "ListAllMyBucketsResult",
        struct s3x_s3_list_buckets, s_list_buckets_fields, s_list_buckets_lists, false),
};

const char *s3x__s3_response_root_name(enum s3x_s3_response_kind kind) {
    if ((int)kind <= (int)S3X_S3_RESPONSE_NONE || (int)kind >= S3X_S3_RESPONSE_KIND_COUNT) {
        return NULL;
    }
    return s_docs[kind].root;
}

static const struct s_doc *s_doc_by_root(const char *name) {
    for (size_t k = 1; k < S3X_S3_RESPONSE_KIND_COUNT; ++k) {
        if (strcmp(s_docs[k].root, name) == 0) {
            return &s_docs[k];
        }
    }
    return NULL;
}

/* --- member access ---------------------------------------------------------------------------- */

static char **s_str_at(void *base, size_t offset) {
    return (char **)(void *)((char *)base + offset);
}

static void **s_array_at(void *base, const struct s_list *l) {
    return (void **)(void *)((char *)base + l->array_offset);
}

static size_t *s_count_at(void *base, const struct s_list *l) {
    return (size_t *)(void *)((char *)base + l->count_offset);
}

static void *s_entry_at(void *base, const struct s_list *l, size_t index) {
    return (char *)*s_array_at(base, l) + index * l->entry_size;
}

static void s_fields_clean(struct s3x_allocator *a, void *base, const struct s_field *fields, size_t count) {
    for (size_t k = 0; k < count; ++k) {
        const struct s_field *f = &fields[k];
        if (f->type == S_STR || f->type == S_STR_URL) {
            s3x_mem_release(a, *s_str_at(base, f->offset));
        } else if (f->type == S_DATE) {
            s3x_mem_release(a, *s_str_at(base, f->raw_offset));
        }
    }
}

static void s_doc_clean(struct s3x_allocator *a, const struct s_doc *doc, void *base) {
    if (base == NULL || doc == NULL || doc->root == NULL) {
        return;
    }
    s_fields_clean(a, base, doc->fields, doc->field_count);
    for (size_t l = 0; l < doc->list_count; ++l) {
        const struct s_list *list = &doc->lists[l];
        size_t n = *s_count_at(base, list);
        for (size_t i = 0; i < n; ++i) {
            s_fields_clean(a, s_entry_at(base, list, i), list->fields, list->field_count);
        }
        s3x_mem_release(a, *s_array_at(base, list));
    }
    memset(base, 0, doc->size);
}

void s3x__s3_response_clean_up(struct s3x_s3_response *r) {
    if (r == NULL) {
        return;
    }
    if ((int)r->kind > (int)S3X_S3_RESPONSE_NONE && (int)r->kind < S3X_S3_RESPONSE_KIND_COUNT) {
        s_doc_clean(r->allocator, &s_docs[r->kind], &r->u);
    }
    memset(r, 0, sizeof(*r));
}

/* --- values ----------------------------------------------------------------------------------- */

static bool s_is_xml_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void s_trim_xml(const char **s, size_t *len) {
    while (*len > 0 && s_is_xml_space((*s)[0])) {
        ++*s;
        --*len;
    }
    while (*len > 0 && s_is_xml_space((*s)[*len - 1])) {
        --*len;
    }
}

static int s_set_str(struct s3x_allocator *a, char **slot, const char *text, size_t len) {
    char *copy = s3x_mem_strndup(a, text, len);
    if (copy == NULL) {
        return S3X_ERR_OOM;
    }
    s3x_mem_release(a, *slot);
    *slot = copy;
    return 0;
}

static int s_store(struct s3x_allocator *a, const struct s_field *f, void *base, const char *text, size_t len) {
    if (f->type == S_STR || f->type == S_STR_URL) {
        return s_set_str(a, s_str_at(base, f->offset), text, len);
    }
    const char *t = text;
    size_t n = len;
    s_trim_xml(&t, &n);
    char *member = (char *)base + f->offset;
    switch (f->type) {
    case S_U64:
    case S_U32: {
        uint64_t v;
        if (s3x__s3_parse_u64(t, n, &v) != 0 || (f->type == S_U32 && v > UINT32_MAX)) {
            return S3X_ERR_PARSE;
        }
        if (f->type == S_U64) {
            memcpy(member, &v, sizeof(v));
        } else {
            uint32_t v32 = (uint32_t)v;
            memcpy(member, &v32, sizeof(v32));
        }
        return 0;
    }
    case S_BOOL: {
        bool v;
        if (n == 4 && strncasecmp(t, "true", 4) == 0) {
            v = true;
        } else if (n == 5 && strncasecmp(t, "false", 5) == 0) {
            v = false;
        } else {
            return S3X_ERR_PARSE;
        }
        memcpy(member, &v, sizeof(v));
        return 0;
    }
    case S_DATE: {
        int64_t v;
        if (s3x__s3_parse_iso8601(t, n, &v) != 0) {
            return S3X_ERR_PARSE;
        }
        int rc = s_set_str(a, s_str_at(base, f->raw_offset), text, len);
        if (rc == 0) {
            memcpy(member, &v, sizeof(v));
        }
        return rc;
    }
    default: return S3X_ERR_PARSE;
    }
}

static bool s_required_seen(const struct s_field *fields, size_t count, uint32_t seen) {
    for (size_t k = 0; k < count; ++k) {
        if (fields[k].required && (seen & (UINT32_C(1) << k)) == 0) {
            return false;
        }
    }
    return true;
}

static int s_decode_fields(void *base, const struct s_field *fields, size_t count) {
    for (size_t k = 0; k < count; ++k) {
        char *s = fields[k].type == S_STR_URL ? *s_str_at(base, fields[k].offset) : NULL;
        if (s != NULL && s3x__uri_decode_in_place(s, strlen(s), true, NULL) != 0) {
            return S3X_ERR_PARSE;
        }
    }
    return 0;
}

/* EncodingType url: decodes the flagged fields of the document and of every entry, in place. */
static int s_url_decode(const struct s_doc *doc, void *base) {
    char *encoding = NULL;
    for (size_t k = 0; k < doc->field_count; ++k) {
        if (strcmp(doc->fields[k].name, "EncodingType") == 0) {
            encoding = *s_str_at(base, doc->fields[k].offset);
        }
    }
    if (encoding == NULL || strcasecmp(encoding, "url") != 0) {
        return 0;
    }
    int rc = s_decode_fields(base, doc->fields, doc->field_count);
    for (size_t l = 0; rc == 0 && l < doc->list_count; ++l) {
        const struct s_list *list = &doc->lists[l];
        size_t n = *s_count_at(base, list);
        for (size_t i = 0; rc == 0 && i < n; ++i) {
            rc = s_decode_fields(s_entry_at(base, list, i), list->fields, list->field_count);
        }
    }
    return rc;
}

/* --- the SAX side ----------------------------------------------------------------------------- */

enum s_ctx { S_CTX_SKIP = 0, S_CTX_ROOT, S_CTX_WRAPPER, S_CTX_ENTRY, S_CTX_FIELD };

struct s_level {
    enum s_ctx ctx;
    const struct s_list *list;   /* WRAPPER, ENTRY, and FIELD of an entry */
    const struct s_field *field; /* FIELD */
    size_t field_index;          /* FIELD */
};

struct s3x_s3_response_parser {
    struct s3x_allocator *allocator;
    struct s3x_xml_parser *xml;
    enum s3x_s3_response_kind expected;
    const struct s_doc *doc; /* once the root has started */
    struct s3x_s3_response result;
    size_t capacity[S_MAX_LISTS];
    uint32_t root_seen;
    uint32_t entry_seen;
    bool root_done;
    bool finished;
    struct s_level levels[S3X_XML_DEPTH_HARD_MAX + 1];
};

static int s_find_field(const struct s_field *fields, size_t count, const char *name, struct s_level *lv) {
    for (size_t k = 0; k < count; ++k) {
        if (strcmp(fields[k].name, name) == 0) {
            lv->ctx = S_CTX_FIELD;
            lv->field = &fields[k];
            lv->field_index = k;
            return 1;
        }
    }
    return 0;
}

static bool s_is_copy(enum s3x_s3_response_kind kind) {
    return kind == S3X_S3_RESPONSE_COPY_OBJECT || kind == S3X_S3_RESPONSE_COPY_PART;
}

/* Whether a root of kind `got` answers a request expecting `expected`. */
static bool s_acceptable(enum s3x_s3_response_kind expected, enum s3x_s3_response_kind got) {
    return expected == S3X_S3_RESPONSE_NONE || got == expected || got == S3X_S3_RESPONSE_ERROR ||
           (s_is_copy(expected) && s_is_copy(got));
}

static int s_start_root(struct s3x_s3_response_parser *p, const char *name) {
    const struct s_doc *doc = s_doc_by_root(name);
    if (doc == NULL || !s_acceptable(p->expected, doc->kind)) {
        S3X_LOG_DEBUGF("s3", "unexpected root element <%.64s>", name);
        return S3X_ERR_PARSE;
    }
    p->doc = doc;
    p->result.kind = doc->kind;
    memset(&p->levels[1], 0, sizeof(p->levels[1]));
    p->levels[1].ctx = S_CTX_ROOT;
    return 0;
}

static int s_start_entry(struct s3x_s3_response_parser *p, const struct s_list *list, struct s_level *lv) {
    size_t li = (size_t)(list - p->doc->lists);
    void *base = &p->result.u;
    size_t *count = s_count_at(base, list);
    if (*count == p->capacity[li]) {
        size_t cap = p->capacity[li] == 0 ? 4 : p->capacity[li] * 2;
        size_t old_bytes = p->capacity[li] * list->entry_size;
        size_t new_bytes;
        if (s3x__mul_overflows(cap, list->entry_size, &new_bytes)) {
            return S3X_ERR_OOM;
        }
        void *grown = s3x_mem_realloc(p->allocator, *s_array_at(base, list), old_bytes, new_bytes);
        if (grown == NULL) {
            return S3X_ERR_OOM;
        }
        *s_array_at(base, list) = grown;
        p->capacity[li] = cap;
    }
    memset(s_entry_at(base, list, *count), 0, list->entry_size);
    *count += 1;
    p->entry_seen = 0;
    lv->ctx = S_CTX_ENTRY;
    lv->list = list;
    return 0;
}

static int s_on_start(struct s3x_xml_parser *xml, size_t depth, const char *name, void *user) {
    S3X_UNUSED(xml);
    struct s3x_s3_response_parser *p = user;
    if (depth == 1) {
        return s_start_root(p, name);
    }
    const struct s_level *parent = &p->levels[depth - 1];
    struct s_level *lv = &p->levels[depth];
    memset(lv, 0, sizeof(*lv));
    switch (parent->ctx) {
    case S_CTX_ROOT:
        for (size_t l = 0; l < p->doc->list_count; ++l) {
            const struct s_list *list = &p->doc->lists[l];
            if (list->wrapper == NULL && strcmp(list->entry, name) == 0) {
                return s_start_entry(p, list, lv);
            }
            if (list->wrapper != NULL && strcmp(list->wrapper, name) == 0) {
                lv->ctx = S_CTX_WRAPPER;
                lv->list = list;
                return 0;
            }
        }
        s_find_field(p->doc->fields, p->doc->field_count, name, lv);
        return 0;
    case S_CTX_WRAPPER:
        return strcmp(parent->list->entry, name) == 0 ? s_start_entry(p, parent->list, lv) : 0;
    case S_CTX_ENTRY:
        if (s_find_field(parent->list->fields, parent->list->field_count, name, lv)) {
            lv->list = parent->list;
        }
        return 0;
    default: return 0; /* inside a value or a skipped element: skipped */
    }
}

static int s_end_field(struct s3x_s3_response_parser *p, const struct s_level *lv, const char *text, size_t len) {
    if (text == NULL) {
        S3X_LOG_DEBUGF("s3", "<%s> has child elements", lv->field->name);
        return S3X_ERR_PARSE;
    }
    void *base = &p->result.u;
    uint32_t *seen = &p->root_seen;
    if (lv->list != NULL) {
        base = s_entry_at(base, lv->list, *s_count_at(base, lv->list) - 1);
        seen = &p->entry_seen;
    }
    int rc = s_store(p->allocator, lv->field, base, text, len);
    if (rc == 0) {
        *seen |= UINT32_C(1) << lv->field_index;
    } else if (rc == S3X_ERR_PARSE) {
        S3X_LOG_DEBUGF("s3", "malformed <%s> value", lv->field->name);
    }
    return rc;
}

static int s_on_end(struct s3x_xml_parser *xml, size_t depth, const char *name, const char *text, size_t len,
    void *user) {
    S3X_UNUSED(xml);
    S3X_UNUSED(name);
    struct s3x_s3_response_parser *p = user;
    const struct s_level *lv = &p->levels[depth];
    switch (lv->ctx) {
    case S_CTX_FIELD: return s_end_field(p, lv, text, len);
    case S_CTX_ENTRY:
        if (!s_required_seen(lv->list->fields, lv->list->field_count, p->entry_seen)) {
            S3X_LOG_DEBUGF("s3", "<%s> lacks a required element", lv->list->entry);
            return S3X_ERR_PARSE;
        }
        return 0;
    case S_CTX_ROOT:
        if (!s_required_seen(p->doc->fields, p->doc->field_count, p->root_seen)) {
            S3X_LOG_DEBUGF("s3", "<%s> lacks a required element", p->doc->root);
            return S3X_ERR_PARSE;
        }
        p->root_done = true;
        return p->doc->has_encoding ? s_url_decode(p->doc, &p->result.u) : 0;
    default: return 0;
    }
}

/* --- entry points ----------------------------------------------------------------------------- */

int s3x__s3_response_parser_new(struct s3x_allocator *allocator, enum s3x_s3_response_kind expected,
    struct s3x_s3_response_parser **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (allocator == NULL || out == NULL || (int)expected < 0 || (int)expected >= S3X_S3_RESPONSE_KIND_COUNT) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_s3_response_parser *p = s3x_mem_calloc(allocator, 1, sizeof(*p));
    if (p == NULL) {
        return S3X_ERR_OOM;
    }
    p->allocator = allocator;
    p->expected = expected;
    p->result.allocator = allocator;
    static const struct s3x_xml_handler handler = {.on_start = s_on_start, .on_end = s_on_end};
    int rc = s3x__xml_parser_new(allocator, &handler, NULL, p, &p->xml);
    if (rc != 0) {
        s3x_mem_release(allocator, p);
        return rc;
    }
    *out = p;
    return 0;
}

int s3x__s3_response_parser_feed(struct s3x_s3_response_parser *p, const void *data, size_t len) {
    if (p == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    return p->finished ? S3X_ERR_INVALID_STATE : s3x__xml_parser_feed(p->xml, data, len);
}

int s3x__s3_response_parser_finish(struct s3x_s3_response_parser *p, struct s3x_s3_response *out) {
    if (p == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (p->finished) {
        return S3X_ERR_INVALID_STATE; /* `*out` untouched: it may hold the first call's result */
    }
    memset(out, 0, sizeof(*out));
    p->finished = true;
    int rc = s3x__xml_parser_finish(p->xml);
    if (rc == 0 && !p->root_done) {
        rc = S3X_ERR_PARSE;
    }
    if (rc != 0) {
        s3x__s3_response_clean_up(&p->result);
        return rc;
    }
    *out = p->result;
    memset(&p->result, 0, sizeof(p->result));
    return 0;
}

void s3x__s3_response_parser_destroy(struct s3x_s3_response_parser *p) {
    if (p == NULL) {
        return;
    }
    s3x__s3_response_clean_up(&p->result);
    s3x__xml_parser_destroy(p->xml);
    s3x_mem_release(p->allocator, p);
}

int s3x__s3_response_parse(struct s3x_allocator *allocator, enum s3x_s3_response_kind expected, const void *body,
    size_t len, struct s3x_s3_response *out) {
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_s3_response_parser *p = NULL;
    int rc = s3x__s3_response_parser_new(allocator, expected, &p);
    if (rc == 0) {
        rc = s3x__s3_response_parser_feed(p, body, len);
    }
    if (rc == 0) {
        rc = s3x__s3_response_parser_finish(p, out);
    }
    s3x__s3_response_parser_destroy(p);
    return rc;
}

bool s3x__s3_response_is_error(const void *body, size_t len) {
    char root[8];
    return s3x__xml_sniff_root(body, len, root, sizeof(root)) && strcmp(root, "Error") == 0;
}

/* --- one-shot parsers ------------------------------------------------------------------------- */

static int s_parse_typed(struct s3x_allocator *a, enum s3x_s3_response_kind kind, const void *body, size_t len,
    void *out, size_t size, enum s3x_s3_response_kind *out_kind) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, size);
    struct s3x_s3_response r;
    int rc = s3x__s3_response_parse(a, kind, body, len, &r);
    if (rc != 0) {
        return rc;
    }
    if (r.kind == S3X_S3_RESPONSE_ERROR && kind != S3X_S3_RESPONSE_ERROR) {
        S3X_LOG_DEBUGF("s3", "expected <%s>, got an <Error> document", s_docs[kind].root);
        s3x__s3_response_clean_up(&r);
        return S3X_ERR_PARSE;
    }
    memcpy(out, &r.u, size);
    if (out_kind != NULL) {
        *out_kind = r.kind;
    }
    return 0;
}

static void s_clean_typed(struct s3x_allocator *a, enum s3x_s3_response_kind kind, void *doc) {
    s_doc_clean(a, &s_docs[kind], doc);
}

#define S_TYPED(prefix, st, kind)                                                                  \
    int prefix##_parse(struct s3x_allocator *a, const void *body, size_t len, st *out) {           \
        return s_parse_typed(a, kind, body, len, out, sizeof(*out), NULL);                         \
    }                                                                                              \
    void prefix##_clean_up(struct s3x_allocator *a, st *r) {                                       \
        s_clean_typed(a, kind, r);                                                                 \
    }

S_TYPED(s3x__s3_error_doc, struct s3x_s3_error_doc, S3X_S3_RESPONSE_ERROR)
S_TYPED(s3x__s3_list_objects_v2, struct s3x_s3_list_objects_v2, S3X_S3_RESPONSE_LIST_OBJECTS_V2)
S_TYPED(s3x__s3_initiate_multipart_upload, struct s3x_s3_initiate_multipart_upload,
    S3X_S3_RESPONSE_INITIATE_MULTIPART_UPLOAD)
S_TYPED(s3x__s3_complete_multipart_upload, struct s3x_s3_complete_multipart_upload,
    S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD)
S_TYPED(s3x__s3_list_parts, struct s3x_s3_list_parts, S3X_S3_RESPONSE_LIST_PARTS)
S_TYPED(s3x__s3_list_multipart_uploads, struct s3x_s3_list_multipart_uploads, S3X_S3_RESPONSE_LIST_MULTIPART_UPLOADS)
S_TYPED(s3x__s3_list_buckets, struct s3x_s3_list_buckets, S3X_S3_RESPONSE_LIST_BUCKETS)

int s3x__s3_copy_result_parse(struct s3x_allocator *a, const void *body, size_t len, struct s3x_s3_copy_result *out,
    enum s3x_s3_response_kind *out_kind) {
    return s_parse_typed(a, S3X_S3_RESPONSE_COPY_OBJECT, body, len, out, sizeof(*out), out_kind);
}

void s3x__s3_copy_result_clean_up(struct s3x_allocator *a, struct s3x_s3_copy_result *r) {
    s_clean_typed(a, S3X_S3_RESPONSE_COPY_OBJECT, r);
}
