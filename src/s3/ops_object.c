/* Object and bucket operations as single requests: HeadObject, GetObject, PutObject,
 * DeleteObject, CopyObject, CreateBucket, DeleteBucket, HeadBucket (objects.h), and reading an
 * object's description from response headers.
 *
 * HEAD answers have no body, so a 404 cannot say whether the key or the bucket is missing:
 * HeadObject then sends HeadBucket (keep_error keeps the HeadObject's status and request id) and
 * names the error from its answer: 2xx -> NoSuchKey, 404 -> NoSuchBucket, anything else leaves
 * the status mapping (NoSuchKey) without a code.
 *
 * Worked example, GetObject of "bytes=-100" on a 1000-byte object: 206 with Content-Range
 * "bytes 900-999/1000" and Content-Length 100 -> data_len 100, range {present, 900, 999},
 * info.size 1000 (the whole object's size, from the range's total).
 */
#include "ops_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* --- object descriptions from headers -------------------------------------------------------- */

void s3x__op_checksums_clean_up(struct s3x_allocator *a, struct s3x_checksums *c) {
    s3x_mem_release(a, c->crc32);
    s3x_mem_release(a, c->crc32c);
    s3x_mem_release(a, c->crc64nvme);
    s3x_mem_release(a, c->sha1);
    s3x_mem_release(a, c->sha256);
    s3x_mem_release(a, c->type);
    memset(c, 0, sizeof(*c));
}

void s3x__op_move_checksums(struct s3x_checksums *dst, struct s3x_s3_checksums *src) {
    dst->crc32 = src->crc32;
    dst->crc32c = src->crc32c;
    dst->crc64nvme = src->crc64nvme;
    dst->sha1 = src->sha1;
    dst->sha256 = src->sha256;
    dst->type = src->type;
    memset(src, 0, sizeof(*src));
}

void s3x__op_object_info_clean_up(struct s3x_allocator *a, struct s3x_object_info *info) {
    s3x_mem_release(a, info->key);
    s3x_mem_release(a, info->etag);
    s3x_mem_release(a, info->last_modified_raw);
    s3x_mem_release(a, info->content_type);
    s3x_mem_release(a, info->storage_class);
    s3x_mem_release(a, info->version_id);
    s3x__op_checksums_clean_up(a, &info->checksums);
    s3x_mem_release(a, info->metadata); /* one block: the entries and their strings */
    memset(info, 0, sizeof(*info));
}

static const char s_meta_prefix[] = "x-amz-meta-";
#define S_META_PREFIX_LEN (sizeof(s_meta_prefix) - 1)

static bool s_is_meta(const char *name) {
    return strncasecmp(name, s_meta_prefix, S_META_PREFIX_LEN) == 0 && name[S_META_PREFIX_LEN] != '\0';
}

/* The x-amz-meta-* headers as one block: the entries, then their strings (names lower-cased). */
static int s_metadata(struct s3x_op *op, struct s3x_http_request *http, struct s3x_object_info *info) {
    size_t count = 0;
    size_t bytes = 0;
    size_t n = s3x__http_request_response_header_count(http);
    for (size_t i = 0; i < n; ++i) {
        const char *name;
        const char *value;
        if (s3x__http_request_response_header_at(http, i, &name, &value) && s_is_meta(name)) {
            ++count;
            bytes += strlen(name) - S_META_PREFIX_LEN + 1 + strlen(value) + 1;
        }
    }
    if (count == 0) {
        return 0;
    }
    struct s3x_metadata *block = s3x_mem_acquire(op->allocator, count * sizeof(*block) + bytes);
    if (block == NULL) {
        return S3X_ERR_OOM;
    }
    char *text = (char *)(block + count);
    size_t k = 0;
    for (size_t i = 0; i < n && k < count; ++i) {
        const char *name;
        const char *value;
        if (!s3x__http_request_response_header_at(http, i, &name, &value) || !s_is_meta(name)) {
            continue;
        }
        const char *short_name = name + S_META_PREFIX_LEN;
        size_t nl = strlen(short_name);
        size_t vl = strlen(value);
        for (size_t c = 0; c < nl; ++c) {
            text[c] = (char)tolower((unsigned char)short_name[c]);
        }
        text[nl] = '\0';
        block[k].name = text;
        text += nl + 1;
        memcpy(text, value, vl + 1);
        block[k].value = text;
        text += vl + 1;
        ++k;
    }
    info->metadata = block;
    info->metadata_count = count;
    return 0;
}

static int s_dup_header(struct s3x_op *op, struct s3x_http_request *http, const char *name, char **out) {
    const char *v = s3x__http_request_response_header(http, name);
    if (v == NULL) {
        return 0;
    }
    *out = s3x_mem_strdup(op->allocator, v);
    return *out != NULL ? 0 : S3X_ERR_OOM;
}

static int s_read_headers(struct s3x_http_request *http, struct s3x_s3_response_headers *h) {
    size_t n = s3x__http_request_response_header_count(http);
    for (size_t i = 0; i < n; ++i) {
        const char *name;
        const char *value;
        if (!s3x__http_request_response_header_at(http, i, &name, &value)) {
            continue;
        }
        int rc = s3x__s3_response_headers_add(h, name, strlen(name), value, strlen(value));
        if (rc != 0) {
            if (rc == S3X_ERR_PARSE) {
                S3X_LOG_WARNF("ops", "malformed response header %s: %s", name, value);
                return S3X_ERR_HTTP_PROTOCOL;
            }
            return rc;
        }
    }
    return 0;
}

int s3x__op_object_info_from_headers(struct s3x_op *op, struct s3x_http_request *http, struct s3x_object_info *info,
    struct s3x_byte_range *range) {
    struct s3x_s3_response_headers h;
    s3x__s3_response_headers_init(&h, op->allocator);
    int rc = s_read_headers(http, &h);
    if (rc == 0) {
        info->etag = h.etag;
        h.etag = NULL;
        info->last_modified_raw = h.last_modified_raw;
        h.last_modified_raw = NULL;
        info->has_last_modified = h.has_last_modified;
        info->last_modified = h.last_modified;
        info->version_id = h.version_id;
        h.version_id = NULL;
        s3x__op_move_checksums(&info->checksums, &h.checksums);
        info->size = h.has_content_length ? h.content_length : 0;
        if (range != NULL && h.has_content_range && h.content_range.has_range) {
            range->present = true;
            range->first = h.content_range.first;
            range->last = h.content_range.last;
            if (h.content_range.has_total) {
                info->size = h.content_range.total;
            }
        }
        rc = s_dup_header(op, http, "content-type", &info->content_type);
    }
    if (rc == 0) {
        rc = s_dup_header(op, http, "x-amz-storage-class", &info->storage_class);
    }
    if (rc == 0) {
        rc = s_metadata(op, http, info);
    }
    s3x__s3_response_headers_clean_up(&h);
    return rc;
}

int s3x__op_fill_sent_checksum(struct s3x_op *op, struct s3x_checksums *c) {
    char **slot = NULL;
    switch (op->checksum) {
    case S3X_CHECKSUM_CRC32: slot = &c->crc32; break;
    case S3X_CHECKSUM_CRC32C: slot = &c->crc32c; break;
    case S3X_CHECKSUM_CRC64NVME: slot = &c->crc64nvme; break;
    case S3X_CHECKSUM_SHA1: slot = &c->sha1; break;
    case S3X_CHECKSUM_SHA256: slot = &c->sha256; break;
    default: return 0;
    }
    if (*slot == NULL && op->checksum_value[0] != '\0') {
        *slot = s3x_mem_strdup(op->allocator, op->checksum_value);
        return *slot != NULL ? 0 : S3X_ERR_OOM;
    }
    return 0;
}

/* The answer of a PUT-like request: ETag (required), version id, checksums. */
static int s_finish_put(struct s3x_op *op, struct s3x_http_request *http) {
    struct s3x_object_info *info = &op->result.object.info;
    int rc = s3x__op_object_info_from_headers(op, http, info, NULL);
    if (rc == 0 && info->etag == NULL) {
        return S3X_ERR_HTTP_PROTOCOL;
    }
    /* The answer's own Content-Length and Content-Type describe the (empty) answer, not the
     * object: the size is what was sent, the type is not known here. */
    info->size = op->size;
    s3x_mem_release(op->allocator, info->content_type);
    info->content_type = NULL;
    if (rc == 0 && op->key != NULL) {
        info->key = s3x_mem_strdup(op->allocator, op->key);
        rc = info->key != NULL ? 0 : S3X_ERR_OOM;
    }
    return rc == 0 ? s3x__op_fill_sent_checksum(op, &info->checksums) : rc;
}

/* --- shared request plumbing ---------------------------------------------------------------- */

static int s_keep_names(struct s3x_op *op, const char *bucket, const char *key) {
    op->bucket = s3x_mem_strdup(op->allocator, bucket);
    if (op->bucket == NULL) {
        return S3X_ERR_OOM;
    }
    if (key != NULL) {
        op->key = s3x_mem_strdup(op->allocator, key);
        if (op->key == NULL) {
            return S3X_ERR_OOM;
        }
    }
    return 0;
}

/* Submits method bucket/key with the headers and optional versionId, then frees the headers. */
static int s_send(struct s3x_op *op, struct s3x_s3_request_options *ro, struct s3x__op_headers *h,
    const char *version_id) {
    struct s3x_query_param query[1] = {{"versionId", version_id}};
    if (s3x__op_has(version_id)) {
        ro->query = query;
        ro->query_count = 1;
    }
    ro->headers = h->items;
    ro->header_count = h->count;
    if (ro->sink.kind == S3X_HTTP_SINK_MEMORY && ro->sink.max_bytes == 0) {
        ro->sink.max_bytes = S3X_HTTP_MEMORY_SINK_DEFAULT_MAX;
    }
    int rc = s3x__op_submit(op, ro);
    s3x__op_headers_clean_up(h);
    return rc;
}

/* A 304 (If-None-Match matched) is reported as a failed precondition. */
static void s_not_modified(int *error, struct s3x_http_request *http) {
    if (s3x__http_request_status(http) == 304) {
        *error = S3X_ERR_S3_PRECONDITION_FAILED;
    }
}

static void s_set_code(struct s3x_op *op, const char *code) {
    struct s3x_s3_error *e = s3x__op_s3_error(op);
    if (e->code == NULL) {
        e->code = s3x_mem_strdup(op->allocator, code); /* NULL on OOM: the error code decides */
    }
}

/* --- HeadObject -------------------------------------------------------------------------------- */

static int s_finish_head(struct s3x_op *op, struct s3x_http_request *http) {
    struct s3x_object_info *info = &op->result.object.info;
    int rc = s3x__op_object_info_from_headers(op, http, info, NULL);
    if (rc == 0) {
        info->key = s3x_mem_strdup(op->allocator, op->key);
        rc = info->key != NULL ? 0 : S3X_ERR_OOM;
    }
    return rc;
}

static int s_probe_finish(struct s3x_op *op, struct s3x_http_request *http) {
    S3X_UNUSED(http);
    s_set_code(op, "NoSuchKey");
    return S3X_ERR_S3_NO_SUCH_KEY;
}

static bool s_probe_on_error(struct s3x_op *op, int *error, struct s3x_http_request *http) {
    if (s3x__http_request_status(http) == 404) {
        *error = S3X_ERR_S3_NO_SUCH_BUCKET;
        s_set_code(op, "NoSuchBucket");
    } else {
        *error = S3X_ERR_S3_NO_SUCH_KEY; /* undecided: the HeadObject's own mapping */
    }
    return false;
}

static bool s_head_on_error(struct s3x_op *op, int *error, struct s3x_http_request *http) {
    s_not_modified(error, http);
    if (s3x__http_request_status(http) != 404 || s3x__op_s3_error(op)->code != NULL) {
        return false;
    }
    op->keep_error = true;
    op->finish = s_probe_finish;
    op->on_error = s_probe_on_error;
    struct s3x_s3_request_options ro = {.method = "HEAD", .bucket = op->bucket, .sink = {.kind = S3X_HTTP_SINK_MEMORY}};
    if (s3x__op_submit(op, &ro) == 0) {
        return true;
    }
    S3X_LOG_DEBUGF("ops", "HeadBucket %s could not be sent; reporting a missing key", op->bucket);
    return false;
}

static int s_head_start(struct s3x_op *op, const void *options) {
    const struct s3x_object_head_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_names(op, o->bucket, o->key);
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "If-Match", o->if_match);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "If-None-Match", o->if_none_match);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "x-amz-checksum-mode", "ENABLED");
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_head;
    op->on_error = s_head_on_error;
    struct s3x_s3_request_options ro = {.method = "HEAD", .bucket = o->bucket, .key = o->key,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY}};
    return s_send(op, &ro, &h, o->version_id);
}

S3X__OP_DEFINE(s3x_object_head, struct s3x_object_head_options, S3X__OP_OBJECT, object, s3x_object_fn,
    struct s3x_object_result, s_head_start)

/* --- GetObject --------------------------------------------------------------------------------- */

static int s_finish_get(struct s3x_op *op, struct s3x_http_request *http) {
    struct s3x_object_result *r = &op->result.object;
    int rc = s3x__op_object_info_from_headers(op, http, &r->info, &r->range);
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    if (rc == 0 && !r->range.present) {
        r->info.size = len; /* the whole object came */
    }
    if (rc == 0 && len > 0) {
        r->data = s3x_mem_acquire(op->allocator, len);
        if (r->data == NULL) {
            return S3X_ERR_OOM;
        }
        memcpy(r->data, body, len);
        r->data_len = len;
    }
    if (rc == 0) {
        r->info.key = s3x_mem_strdup(op->allocator, op->key);
        rc = r->info.key != NULL ? 0 : S3X_ERR_OOM;
    }
    return rc;
}

static bool s_get_on_error(struct s3x_op *op, int *error, struct s3x_http_request *http) {
    S3X_UNUSED(op);
    s_not_modified(error, http);
    return false;
}

static int s_get_start(struct s3x_op *op, const void *options) {
    const struct s3x_object_get_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_names(op, o->bucket, o->key);
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "Range", o->range);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "If-Match", o->if_match);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "If-None-Match", o->if_none_match);
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_get;
    op->on_error = s_get_on_error;
    struct s3x_s3_request_options ro = {.method = "GET", .bucket = o->bucket, .key = o->key,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY, .max_bytes = o->max_bytes != 0 ? o->max_bytes : S3X_OBJECT_GET_MAX_DEFAULT}};
    return s_send(op, &ro, &h, o->version_id);
}

S3X__OP_DEFINE(s3x_object_get, struct s3x_object_get_options, S3X__OP_OBJECT, object, s3x_object_fn,
    struct s3x_object_result, s_get_start)

/* --- PutObject --------------------------------------------------------------------------------- */

static int s_put_start(struct s3x_op *op, const void *options) {
    const struct s3x_object_put_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key) || (o->data == NULL && o->len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_names(op, o->bucket, o->key);
    op->size = o->len;
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "Content-Type", o->content_type);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add(&h, "If-None-Match", o->if_none_match);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add_metadata(&h, o->metadata, o->metadata_count);
    }
    if (rc == 0) {
        rc = s3x__op_add_checksum(op, &h, s3x__op_algorithm(op, o->checksum, o->checksum_set), o->data, o->len);
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_put;
    struct s3x_s3_request_options ro = {.method = "PUT", .bucket = o->bucket, .key = o->key,
        .body = {.kind = o->len > 0 ? S3X_HTTP_BODY_MEMORY : S3X_HTTP_BODY_NONE, .data = o->data, .len = o->len},
        .sink = {.kind = S3X_HTTP_SINK_MEMORY}};
    return s_send(op, &ro, &h, NULL);
}

S3X__OP_DEFINE(s3x_object_put, struct s3x_object_put_options, S3X__OP_OBJECT, object, s3x_object_fn,
    struct s3x_object_result, s_put_start)

/* --- DeleteObject ------------------------------------------------------------------------------ */

static int s_delete_start(struct s3x_op *op, const void *options) {
    const struct s3x_object_delete_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    struct s3x_s3_request_options ro = {.method = "DELETE", .bucket = o->bucket, .key = o->key,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY}};
    return s_send(op, &ro, &h, o->version_id);
}

S3X__OP_DEFINE(s3x_object_delete, struct s3x_object_delete_options, S3X__OP_STATUS, status, s3x_op_fn,
    struct s3x_op_result, s_delete_start)

/* --- CopyObject -------------------------------------------------------------------------------- */

int s3x__op_copy_result_into_info(struct s3x_op *op, struct s3x_http_request *http, struct s3x_object_info *info) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    struct s3x_s3_copy_result cr;
    int rc = s3x__s3_copy_result_parse(op->allocator, body, len, &cr, NULL);
    if (rc != 0) {
        return rc == S3X_ERR_PARSE ? S3X_ERR_HTTP_PROTOCOL : rc;
    }
    info->etag = cr.etag;
    info->last_modified_raw = cr.last_modified_raw;
    info->last_modified = cr.last_modified;
    info->has_last_modified = cr.last_modified_raw != NULL;
    s3x__op_move_checksums(&info->checksums, &cr.checksums);
    cr.etag = NULL;
    cr.last_modified_raw = NULL;
    s3x__s3_copy_result_clean_up(op->allocator, &cr);
    return info->etag != NULL ? 0 : S3X_ERR_HTTP_PROTOCOL;
}

static int s_finish_copy(struct s3x_op *op, struct s3x_http_request *http) {
    struct s3x_object_info *info = &op->result.object.info;
    int rc = s3x__op_copy_result_into_info(op, http, info);
    if (rc != 0) {
        return rc;
    }
    rc = s_dup_header(op, http, "x-amz-version-id", &info->version_id);
    if (rc == 0 && op->key != NULL) {
        info->key = s3x_mem_strdup(op->allocator, op->key);
        rc = info->key != NULL ? 0 : S3X_ERR_OOM;
    }
    return rc;
}

static int s_copy_headers(struct s3x_op *op, const struct s3x_object_copy_options *o, struct s3x__op_headers *h) {
    char *source = NULL;
    int rc = s3x__op_copy_source(op->allocator, o->source_bucket, o->source_key, o->source_version_id, &source);
    if (rc == 0) {
        rc = s3x__op_headers_add_owned(h, "x-amz-copy-source", source);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add(h, "x-amz-copy-source-if-match", o->source_if_match);
    }
    if (rc != 0) {
        return rc;
    }
    if (o->metadata_directive == S3X_METADATA_COPY) {
        return s3x__op_headers_add(h, "x-amz-metadata-directive", "COPY");
    }
    rc = s3x__op_headers_add(h, "x-amz-metadata-directive", "REPLACE");
    if (rc == 0) {
        rc = s3x__op_headers_add(h, "Content-Type", o->content_type);
    }
    if (rc == 0) {
        rc = s3x__op_headers_add_metadata(h, o->metadata, o->metadata_count);
    }
    return rc;
}

static int s_copy_start(struct s3x_op *op, const void *options) {
    const struct s3x_object_copy_options *o = options;
    bool replace = o->metadata_directive == S3X_METADATA_REPLACE;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key) ||
        (o->metadata_directive != S3X_METADATA_COPY && !replace) ||
        (!replace && (o->metadata_count > 0 || o->content_type != NULL))) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int rc = s_keep_names(op, o->bucket, o->key);
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    if (rc == 0) {
        rc = s_copy_headers(op, o, &h);
    }
    if (rc != 0) {
        s3x__op_headers_clean_up(&h);
        return rc;
    }
    op->finish = s_finish_copy;
    struct s3x_s3_request_options ro = {.method = "PUT", .bucket = o->bucket, .key = o->key,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY}, .error_in_200 = true};
    return s_send(op, &ro, &h, NULL);
}

S3X__OP_DEFINE(s3x_object_copy, struct s3x_object_copy_options, S3X__OP_OBJECT, object, s3x_object_fn,
    struct s3x_object_result, s_copy_start)

/* --- buckets --------------------------------------------------------------------------------- */

static bool s_region_ok(const char *region) {
    for (const char *p = region; *p != '\0'; ++p) {
        if (!isalnum((unsigned char)*p) && *p != '-') {
            return false;
        }
    }
    return region[0] != '\0';
}

static int s_location_body(struct s3x_op *op, const char *region) {
    static const char head[] = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                               "<LocationConstraint>";
    static const char tail[] = "</LocationConstraint></CreateBucketConfiguration>";
    size_t rl = strlen(region);
    int rc = s3x__s3_buf_reserve(&op->body, sizeof(head) - 1 + rl + sizeof(tail) - 1);
    if (rc != 0) {
        return rc;
    }
    memcpy(op->body.data + op->body.len, head, sizeof(head) - 1);
    op->body.len += sizeof(head) - 1;
    memcpy(op->body.data + op->body.len, region, rl);
    op->body.len += rl;
    memcpy(op->body.data + op->body.len, tail, sizeof(tail) - 1);
    op->body.len += sizeof(tail) - 1;
    return 0;
}

static int s_bucket_create_start(struct s3x_op *op, const void *options) {
    const struct s3x_bucket_create_options *o = options;
    const char *region = o->region != NULL ? o->region : op->client->region;
    if (!s3x__op_has(o->bucket) || region == NULL || !s_region_ok(region)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    struct s3x_s3_request_options ro = {.method = "PUT", .bucket = o->bucket, .sink = {.kind = S3X_HTTP_SINK_MEMORY}};
    if (strcmp(region, "us-east-1") != 0) {
        int rc = s_location_body(op, region);
        if (rc == 0) {
            rc = s3x__op_headers_add(&h, "Content-Type", "application/xml");
        }
        if (rc != 0) {
            s3x__op_headers_clean_up(&h);
            return rc;
        }
        ro.body = (struct s3x_http_body){.kind = S3X_HTTP_BODY_MEMORY, .data = (const uint8_t *)op->body.data,
            .len = op->body.len};
    }
    return s_send(op, &ro, &h, NULL);
}

S3X__OP_DEFINE(s3x_bucket_create, struct s3x_bucket_create_options, S3X__OP_STATUS, status, s3x_op_fn,
    struct s3x_op_result, s_bucket_create_start)

static int s_bucket_simple(struct s3x_op *op, const struct s3x_bucket_options *o, const char *method) {
    if (!s3x__op_has(o->bucket)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x__op_headers h;
    s3x__op_headers_init(&h, op->allocator);
    struct s3x_s3_request_options ro = {.method = method, .bucket = o->bucket, .sink = {.kind = S3X_HTTP_SINK_MEMORY}};
    return s_send(op, &ro, &h, NULL);
}

static int s_bucket_delete_start(struct s3x_op *op, const void *options) {
    return s_bucket_simple(op, options, "DELETE");
}

S3X__OP_DEFINE(s3x_bucket_delete, struct s3x_bucket_options, S3X__OP_STATUS, status, s3x_op_fn,
    struct s3x_op_result, s_bucket_delete_start)

static bool s_bucket_head_on_error(struct s3x_op *op, int *error, struct s3x_http_request *http) {
    if (s3x__http_request_status(http) == 404 && s3x__op_s3_error(op)->code == NULL) {
        *error = S3X_ERR_S3_NO_SUCH_BUCKET;
        s_set_code(op, "NoSuchBucket");
    }
    return false;
}

static int s_bucket_head_start(struct s3x_op *op, const void *options) {
    op->on_error = s_bucket_head_on_error;
    return s_bucket_simple(op, options, "HEAD");
}

S3X__OP_DEFINE(s3x_bucket_head, struct s3x_bucket_options, S3X__OP_STATUS, status, s3x_op_fn, struct s3x_op_result,
    s_bucket_head_start)
