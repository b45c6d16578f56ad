/* Multipart uploads one call at a time: CreateMultipartUpload, UploadPart (from memory),
 * UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload (objects.h). ListParts and
 * ListMultipartUploads live with the other listings in ops_list.c.
 *
 * Complete and UploadPartCopy can fail inside a 200 answer: their requests set error_in_200, so
 * s3_request.c classifies (and retries) such an <Error> like a failed status.
 *
 * Worked example, UploadPartCopy of bytes 5 MiB..10 MiB-1 of "src/a b" in bucket "b" as part 2:
 * PUT /<bucket>/<key>?partNumber=2&uploadId=<id> with x-amz-copy-source "b/src/a%20b" and
 * x-amz-copy-source-range "bytes=5242880-10485759"; the answer's <CopyPartResult><ETag> is the
 * part's ETag for Complete.
 */
#include "ops_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define S_PART_NUMBER_SIZE 16

static bool s_part_number_ok(uint32_t n) {
    return n >= 1 && n <= S3X_MAX_PARTS;
}

static int s_parse_error(int rc) {
    return rc == S3X_ERR_PARSE ? S3X_ERR_HTTP_PROTOCOL : rc;
}

static int s_keep_key(struct s3x_op *op, const char *key) {
    op->key = s3x_mem_strdup(op->allocator, key);
    return op->key != NULL ? 0 : S3X_ERR_OOM;
}

static int s_key_into_info(struct s3x_op *op) {
    struct s3x_object_info *info = &op->result.object.info;
    info->key = s3x_mem_strdup(op->allocator, op->key);
    return info->key != NULL ? 0 : S3X_ERR_OOM;
}

/* Submits `method` on bucket/key with `query`, the headers (freed here) and an optional body. */
static int s_send(struct s3x_op *op, const char *method, const char *bucket, const char *key,
    const struct s3x_query_param *query, size_t query_count, struct s3x__op_headers *h, struct s3x_http_body body,
    bool error_in_200) {
    struct s3x_s3_request_options ro = {
        .method = method,
        .bucket = bucket,
        .key = key,
        .query = query,
        .query_count = query_count,
        .headers = h->items,
        .header_count = h->count,
        .body = body,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY, .max_bytes = S3X_HTTP_MEMORY_SINK_DEFAULT_MAX},
        .error_in_200 = error_in_200,
    };
    int rc = s3x__op_submit(op, &ro);
    s3x__op_headers_clean_up(h);
    return rc;
}

/* --- CreateMultipartUpload ------------------------------------------------------------------- */

static int s_finish_create(struct s3x_op *op, struct s3x_http_request *http) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    struct s3x_s3_initiate_multipart_upload r;
    int rc = s3x__s3_initiate_multipart_upload_parse(op->allocator, body, len, &r);
    if (rc != 0) {
        return s_parse_error(rc);
    }
    op->result.object.upload_id = r.upload_id;
    r.upload_id = NULL;
    s3x__s3_initiate_multipart_upload_clean_up(op->allocator, &r);
    if (op->result.object.upload_id[0] == '\0') {
        return S3X_ERR_HTTP_PROTOCOL;
    }
    return s_key_into_info(op);
}

static int s_create_start(struct s3x_op *op, const void *options) {
    const struct s3x_multipart_create_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    enum s3x_checksum_algorithm alg = s3x__op_algorithm(op, o->checksum, o->checksum_set);
    if (alg != S3X_CHECKSUM_NONE && s3x_checksum_api_name(alg) == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_key(op, o->key);
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "Content-Type", o->content_type);
    }
    if (rc == 0 && alg != S3X_CHECKSUM_NONE) {
        rc = s3x__op_headers_add(&h, "x-amz-checksum-algorithm", s3x_checksum_api_name(alg));
    }
    if (rc == 0) {
        rc = s3x__op_headers_add_metadata(&h, o->metadata, o->metadata_count);
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_create;
    struct s3x_query_param query[1] = {{"uploads", NULL}};
    return s_send(op, "POST", o->bucket, o->key, query, 1, &h, (struct s3x_http_body){0}, false);
}

S3X__OP_DEFINE(s3x_multipart_create, struct s3x_multipart_create_options, S3X__OP_OBJECT, object, s3x_object_fn,
    struct s3x_object_result, s_create_start)

/* --- UploadPart ------------------------------------------------------------------------------ */

static int s_finish_part(struct s3x_op *op, struct s3x_http_request *http) {
    struct s3x_object_result *r = &op->result.object;
    int rc = s3x__op_object_info_from_headers(op, http, &r->info, NULL);
    if (rc != 0) {
        return rc;
    }
    if (r->info.etag == NULL) {
        return S3X_ERR_HTTP_PROTOCOL;
    }
    /* The headers' Content-Length and Content-Type are the (empty) answer's: the part's size is
     * what was sent. Swift and older servers do not echo the checksum: report the one sent. */
    r->info.size = op->size;
    s3x_mem_release(op->allocator, r->info.content_type);
    r->info.content_type = NULL;
    rc = s_key_into_info(op);
    return rc == 0 ? s3x__op_fill_sent_checksum(op, &r->info.checksums) : rc;
}

static int s_part_start(struct s3x_op *op, const void *options) {
    const struct s3x_multipart_upload_part_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key) || !s3x__op_has(o->upload_id) ||
        !s_part_number_ok(o->part_number) || (o->data == NULL && o->len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_key(op, o->key);
    op->size = o->len;
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s3x__op_add_checksum(op, &h, s3x__op_algorithm(op, o->checksum, o->checksum_set), o->data, o->len);
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_part;
    char number[S_PART_NUMBER_SIZE];
    snprintf(number, sizeof(number), "%" PRIu32, o->part_number);
    struct s3x_query_param query[2] = {{"partNumber", number}, {"uploadId", o->upload_id}};
    struct s3x_http_body body = {.kind = o->len > 0 ? S3X_HTTP_BODY_MEMORY : S3X_HTTP_BODY_NONE, .data = o->data,
        .len = o->len};
    return s_send(op, "PUT", o->bucket, o->key, query, 2, &h, body, false);
}

S3X__OP_DEFINE(s3x_multipart_upload_part, struct s3x_multipart_upload_part_options, S3X__OP_OBJECT, object,
    s3x_object_fn, struct s3x_object_result, s_part_start)

/* --- UploadPartCopy -------------------------------------------------------------------------- */

static int s_finish_copy_part(struct s3x_op *op, struct s3x_http_request *http) {
    struct s3x_object_info *info = &op->result.object.info;
    int rc = s3x__op_copy_result_into_info(op, http, info);
    info->size = op->size;
    return rc == 0 ? s_key_into_info(op) : rc;
}

static int s_copy_part_headers(struct s3x_op *op, const struct s3x_multipart_copy_part_options *o,
    struct s3x__op_headers *h) {
    char *source = NULL;
    int rc = s3x__op_copy_source(op->allocator, o->source_bucket, o->source_key, o->source_version_id, &source);
    if (rc == 0) {
        rc = s3x__op_headers_add_owned(h, "x-amz-copy-source", source);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add(h, "x-amz-copy-source-if-match", o->source_if_match);
    }
    if (rc == 0 && o->has_source_range) {
        char range[64];
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, o->source_first, o->source_last);
        rc = s3x__op_headers_add_owned(h, "x-amz-copy-source-range", s3x_mem_strdup(op->allocator, range));
    }
    return rc;
}

static int s_copy_part_start(struct s3x_op *op, const void *options) {
    const struct s3x_multipart_copy_part_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key) || !s3x__op_has(o->upload_id) ||
        !s_part_number_ok(o->part_number) || (o->has_source_range && o->source_first > o->source_last)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_key(op, o->key);
    op->size = o->has_source_range ? o->source_last - o->source_first + 1 : 0;
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s_copy_part_headers(op, o, &h);
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_copy_part;
    char number[S_PART_NUMBER_SIZE];
    snprintf(number, sizeof(number), "%" PRIu32, o->part_number);
    struct s3x_query_param query[2] = {{"partNumber", number}, {"uploadId", o->upload_id}};
    return s_send(op, "PUT", o->bucket, o->key, query, 2, &h, (struct s3x_http_body){0}, true);
}

S3X__OP_DEFINE(s3x_multipart_copy_part, struct s3x_multipart_copy_part_options, S3X__OP_OBJECT, object,
    s3x_object_fn, struct s3x_object_result, s_copy_part_start)

/* --- CompleteMultipartUpload ----------------------------------------------------------------- */

static int s_finish_complete(struct s3x_op *op, struct s3x_http_request *http) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    struct s3x_s3_complete_multipart_upload c;
    /* A 200 whose body cannot be read does not prove the object exists. */
    int rc = s3x__s3_complete_multipart_upload_parse(op->allocator, body, len, &c);
    if (rc != 0) {
        return s_parse_error(rc);
    }
    struct s3x_object_result *r = &op->result.object;
    r->info.etag = c.etag;
    r->location = c.location;
    s3x__op_move_checksums(&r->info.checksums, &c.checksums);
    c.etag = NULL;
    c.location = NULL;
    s3x__s3_complete_multipart_upload_clean_up(op->allocator, &c);
    if (r->info.etag == NULL) {
        return S3X_ERR_HTTP_PROTOCOL;
    }
    const char *version = s3x__http_request_response_header(http, "x-amz-version-id");
    if (version != NULL && (r->info.version_id = s3x_mem_strdup(op->allocator, version)) == NULL) {
        return S3X_ERR_OOM;
    }
    return s_key_into_info(op);
}

static int s_complete_body(struct s3x_op *op, const struct s3x_multipart_complete_options *o) {
    struct s3x_s3_complete_part *parts = s3x_mem_calloc(op->allocator, o->parts_count, sizeof(*parts));
    if (parts == NULL) {
        return S3X_ERR_OOM;
    }
    enum s3x_checksum_algorithm alg = s3x__op_algorithm(op, o->checksum, o->checksum_set);
    for (size_t i = 0; i < o->parts_count; ++i) {
        const struct s3x_completed_part *p = &o->parts[i];
        parts[i].part_number = p->part_number;
        parts[i].etag = p->etag;
        switch (alg) {
        case S3X_CHECKSUM_CRC32: parts[i].checksum_crc32 = p->checksum; break;
        case S3X_CHECKSUM_CRC32C: parts[i].checksum_crc32c = p->checksum; break;
        case S3X_CHECKSUM_CRC64NVME: parts[i].checksum_crc64nvme = p->checksum; break;
        case S3X_CHECKSUM_SHA1: parts[i].checksum_sha1 = p->checksum; break;
        case S3X_CHECKSUM_SHA256: parts[i].checksum_sha256 = p->checksum; break;
        default: break;
        }
    }
    bool with_checksums = op->client->checksum_in_complete && alg != S3X_CHECKSUM_NONE;
    int rc = s3x__s3_complete_body_write(parts, o->parts_count, with_checksums, &op->body);
    s3x_mem_release(op->allocator, parts);
    return rc;
}

static int s_complete_start(struct s3x_op *op, const void *options) {
    const struct s3x_multipart_complete_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key) || !s3x__op_has(o->upload_id) || o->parts == NULL ||
        o->parts_count == 0 || o->parts_count > S3X_MAX_PARTS) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_key(op, o->key);
    if (rc == 0) {
        rc = s_complete_body(op, o);
    }
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "Content-Type", "application/xml");
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_complete;
    struct s3x_query_param query[1] = {{"uploadId", o->upload_id}};
    struct s3x_http_body body = {.kind = S3X_HTTP_BODY_MEMORY, .data = (const uint8_t *)op->body.data,
        .len = op->body.len};
    return s_send(op, "POST", o->bucket, o->key, query, 1, &h, body, true);
}

S3X__OP_DEFINE(s3x_multipart_complete, struct s3x_multipart_complete_options, S3X__OP_OBJECT, object,
    s3x_object_fn, struct s3x_object_result, s_complete_start)

/* --- AbortMultipartUpload -------------------------------------------------------------------- */

static int s_abort_start(struct s3x_op *op, const void *options) {
    const struct s3x_multipart_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key) || !s3x__op_has(o->upload_id)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    struct s3x_query_param query[1] = {{"uploadId", o->upload_id}};
    return s_send(op, "DELETE", o->bucket, o->key, query, 1, &h, (struct s3x_http_body){0}, false);
}

S3X__OP_DEFINE(s3x_multipart_abort, struct s3x_multipart_options, S3X__OP_STATUS, status, s3x_op_fn,
    struct s3x_op_result, s_abort_start)
