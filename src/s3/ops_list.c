/* Listings as single requests: ListObjectsV2 (one page, and the every-page iteration),
 * ListBuckets, ListParts and ListMultipartUploads (objects.h).
 *
 * Every listing that can carry keys is requested with encoding-type=url, so keys with bytes XML
 * 1.0 cannot carry survive; responses.c decodes them ('+' as space, as S3 writes it). Parsed
 * strings are moved, not copied, into the public result: the parser and the result share the
 * client's allocator.
 *
 * The iteration (list_all) chains one page after another: page N's callback issues page N+1 with
 * N's NextContinuationToken. A truncated page without a token, or with the token it was asked
 * with, would loop for ever: both end the iteration with S3X_ERR_HTTP_PROTOCOL.
 *
 * Worked example: 10 keys, max_keys 3 -> pages of 3, 3, 3, 1 keys; the first three have
 * is_truncated and a token, the last has neither; on_page runs 4 times, on_done once with 0.
 */
#include "ops_impl.h"

#include <stdio.h>
#include <string.h>

#define S_NUMBER_SIZE 24

static int s_parse_error(int rc) {
    return rc == S3X_ERR_PARSE ? S3X_ERR_HTTP_PROTOCOL : rc;
}

/* A query being built: parameters with non-empty values only (numbers formatted here). */
struct s_query {
    struct s3x_query_param params[10];
    char numbers[3][S_NUMBER_SIZE];
    size_t count;
    size_t numbers_used;
};

static void s_q(struct s_query *q, const char *key, const char *value) {
    if (s3x__op_has(value)) {
        q->params[q->count++] = (struct s3x_query_param){key, value};
    }
}

static void s_q_bare(struct s_query *q, const char *key) {
    q->params[q->count++] = (struct s3x_query_param){key, NULL};
}

static void s_q_u32(struct s_query *q, const char *key, uint32_t value) {
    if (value > 0) {
        char *n = q->numbers[q->numbers_used++];
        snprintf(n, S_NUMBER_SIZE, "%u", value);
        q->params[q->count++] = (struct s3x_query_param){key, n};
    }
}

static int s_get(struct s3x_op *op, const char *bucket, const char *key, struct s_query *q) {
    struct s3x_s3_request_options ro = {.method = "GET", .bucket = bucket, .key = key, .query = q->params,
        .query_count = q->count, .sink = {.kind = S3X_HTTP_SINK_MEMORY, .max_bytes = S3X_HTTP_MEMORY_SINK_DEFAULT_MAX}};
    return s3x__op_submit(op, &ro);
}

static char **s_move_prefixes(struct s3x_allocator *a, struct s3x_s3_common_prefix *src, size_t count, int *rc) {
    if (count == 0) {
        return NULL;
    }
    char **out = s3x_mem_calloc(a, count, sizeof(*out));
    if (out == NULL) {
        *rc = S3X_ERR_OOM;
        return NULL;
    }
    for (size_t i = 0; i < count; ++i) {
        out[i] = src[i].prefix;
        src[i].prefix = NULL;
    }
    return out;
}

/* --- ListObjectsV2 --------------------------------------------------------------------------- */

static void s_move_object(struct s3x_object_info *dst, struct s3x_s3_object *src) {
    dst->key = src->key;
    dst->size = src->size;
    dst->etag = src->etag;
    dst->has_last_modified = src->last_modified_raw != NULL;
    dst->last_modified = src->last_modified;
    dst->last_modified_raw = src->last_modified_raw;
    dst->storage_class = src->storage_class;
    dst->checksums.type = src->checksum_type;
    src->key = NULL;
    src->etag = NULL;
    src->last_modified_raw = NULL;
    src->storage_class = NULL;
    src->checksum_type = NULL;
}

static int s_finish_list(struct s3x_op *op, struct s3x_http_request *http) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    struct s3x_s3_list_objects_v2 lr;
    int rc = s3x__s3_list_objects_v2_parse(op->allocator, body, len, &lr);
    if (rc != 0) {
        return s_parse_error(rc);
    }
    struct s3x_list_result *r = &op->result.list;
    if (lr.contents_count > 0) {
        r->objects = s3x_mem_calloc(op->allocator, lr.contents_count, sizeof(*r->objects));
        if (r->objects == NULL) {
            rc = S3X_ERR_OOM;
        }
    }
    for (size_t i = 0; rc == 0 && i < lr.contents_count; ++i) {
        s_move_object(&r->objects[i], &lr.contents[i]);
    }
    r->objects_count = rc == 0 ? lr.contents_count : 0;
    if (rc == 0) {
        r->common_prefixes = s_move_prefixes(op->allocator, lr.common_prefixes, lr.common_prefixes_count, &rc);
        r->common_prefixes_count = rc == 0 ? lr.common_prefixes_count : 0;
    }
    r->is_truncated = lr.is_truncated;
    r->key_count = lr.key_count;
    r->next_continuation_token = lr.next_continuation_token;
    lr.next_continuation_token = NULL;
    s3x__s3_list_objects_v2_clean_up(op->allocator, &lr);
    return rc;
}

static int s_list_start(struct s3x_op *op, const void *options) {
    const struct s3x_object_list_options *o = options;
    if (!s3x__op_has(o->bucket)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_query q = {0};
    s_q(&q, "list-type", "2");
    s_q(&q, "encoding-type", "url");
    s_q(&q, "prefix", o->prefix);
    s_q(&q, "delimiter", o->delimiter);
    s_q_u32(&q, "max-keys", o->max_keys);
    s_q(&q, "continuation-token", o->continuation_token);
    s_q(&q, "start-after", o->start_after);
    op->finish = s_finish_list;
    return s_get(op, o->bucket, NULL, &q);
}

S3X__OP_DEFINE(s3x_object_list, struct s3x_object_list_options, S3X__OP_LIST, list, s3x_list_fn,
    struct s3x_list_result, s_list_start)

/* --- every page ------------------------------------------------------------------------------ */

struct s_list_all {
    struct s3x_allocator *allocator;
    struct s3x_object_list_options options; /* strings below are the driver's copies */
    char *strings[5];                       /* bucket, prefix, delimiter, start_after, token */
    s3x_list_page_fn *on_page;
    s3x_op_fn *on_done;
    void *user_data;
};

static void s_all_free(struct s_list_all *d) {
    for (size_t i = 0; i < S3X_ARRAY_LEN(d->strings); ++i) {
        s3x_mem_release(d->allocator, d->strings[i]);
    }
    s3x_mem_release(d->allocator, d);
}

static int s_all_set(struct s_list_all *d, size_t slot, const char *value, const char **field) {
    s3x_mem_release(d->allocator, d->strings[slot]);
    d->strings[slot] = NULL;
    *field = NULL;
    if (value == NULL) {
        return 0;
    }
    d->strings[slot] = s3x_mem_strdup(d->allocator, value);
    *field = d->strings[slot];
    return d->strings[slot] != NULL ? 0 : S3X_ERR_OOM;
}

static void s_all_finish(struct s3x_client *client, struct s_list_all *d, int error, struct s3x_s3_error *s3_error) {
    struct s3x_op_result r = {.allocator = d->allocator, .error = error};
    if (s3_error != NULL) {
        r.s3_error = *s3_error;
        memset(s3_error, 0, sizeof(*s3_error));
    }
    d->on_done(client, &r, d->user_data);
    s3x_op_result_clean_up(&r);
    s_all_free(d);
}

/* Whether page `r`, asked for with `asked`, leads to another page; sets *error otherwise. */
static bool s_all_next(const struct s3x_list_result *r, const char *asked, int *error) {
    *error = 0;
    if (!r->is_truncated) {
        return false;
    }
    if (!s3x__op_has(r->next_continuation_token) ||
        (asked != NULL && strcmp(asked, r->next_continuation_token) == 0)) {
        *error = S3X_ERR_HTTP_PROTOCOL;
        return false;
    }
    return true;
}

static void s_all_page(struct s3x_client *client, struct s3x_list_result *page, void *user) {
    struct s_list_all *d = user;
    if (page->error != 0) {
        s_all_finish(client, d, page->error, &page->s3_error);
        return;
    }
    int rc = d->on_page(client, page, d->user_data);
    if (rc != 0) {
        s_all_finish(client, d, rc, NULL);
        return;
    }
    if (!s_all_next(page, d->options.continuation_token, &rc)) {
        s_all_finish(client, d, rc, NULL);
        return;
    }
    rc = s_all_set(d, 4, page->next_continuation_token, &d->options.continuation_token);
    if (rc == 0) {
        rc = s3x_object_list(client, &d->options, s_all_page, d);
    }
    if (rc != 0) {
        s_all_finish(client, d, rc, NULL);
    }
}

int s3x_object_list_all(struct s3x_client *client, const struct s3x_object_list_options *options,
    s3x_list_page_fn *on_page, s3x_op_fn *on_done, void *user_data) {
    if (client == NULL || options == NULL || on_page == NULL || on_done == NULL || !s3x__op_has(options->bucket)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_list_all *d = s3x_mem_calloc(client->allocator, 1, sizeof(*d));
    if (d == NULL) {
        return S3X_ERR_OOM;
    }
    d->allocator = client->allocator;
    d->options.max_keys = options->max_keys;
    d->on_page = on_page;
    d->on_done = on_done;
    d->user_data = user_data;
    int rc = s_all_set(d, 0, options->bucket, &d->options.bucket);
    if (rc == 0) {
        rc = s_all_set(d, 1, options->prefix, &d->options.prefix);
    }
    if (rc == 0) {
        rc = s_all_set(d, 2, options->delimiter, &d->options.delimiter);
    }
    if (rc == 0) {
        rc = s_all_set(d, 3, options->start_after, &d->options.start_after);
    }
    if (rc == 0) {
        rc = s_all_set(d, 4, options->continuation_token, &d->options.continuation_token);
    }
    if (rc == 0) {
        rc = s3x_object_list(client, &d->options, s_all_page, d);
    }
    if (rc != 0) {
        s_all_free(d);
    }
    return rc;
}

int s3x_object_list_all_sync(struct s3x_client *client, const struct s3x_object_list_options *options,
    s3x_list_page_fn *on_page, void *user_data, struct s3x_op_result *out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (client == NULL || options == NULL || on_page == NULL) {
        return out->error = S3X_ERR_INVALID_ARGUMENT;
    }
    out->allocator = client->allocator;
    struct s3x_object_list_options o = *options;
    char *token = NULL; /* the token the current page was asked with (a copy) */
    int rc = 0;
    for (;;) {
        struct s3x_list_result page;
        rc = s3x_object_list_sync(client, &o, &page);
        if (rc != 0) {
            out->s3_error = page.s3_error;
            memset(&page.s3_error, 0, sizeof(page.s3_error));
        } else {
            rc = on_page(client, &page, user_data);
        }
        bool more = rc == 0 && s_all_next(&page, o.continuation_token, &rc);
        if (more) {
            s3x_mem_release(client->allocator, token);
            token = page.next_continuation_token;
            page.next_continuation_token = NULL;
            o.continuation_token = token;
        }
        s3x_list_result_clean_up(&page);
        if (!more) {
            break;
        }
    }
    s3x_mem_release(client->allocator, token);
    return out->error = rc;
}

/* --- ListBuckets ----------------------------------------------------------------------------- */

static int s_finish_buckets(struct s3x_op *op, struct s3x_http_request *http) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    struct s3x_s3_list_buckets lb;
    int rc = s3x__s3_list_buckets_parse(op->allocator, body, len, &lb);
    if (rc != 0) {
        return s_parse_error(rc);
    }
    struct s3x_buckets_result *r = &op->result.buckets;
    if (lb.buckets_count > 0) {
        r->buckets = s3x_mem_calloc(op->allocator, lb.buckets_count, sizeof(*r->buckets));
        if (r->buckets == NULL) {
            rc = S3X_ERR_OOM;
        }
    }
    for (size_t i = 0; rc == 0 && i < lb.buckets_count; ++i) {
        struct s3x_s3_bucket *b = &lb.buckets[i];
        r->buckets[i] = (struct s3x_bucket_info){.name = b->name, .creation_date = b->creation_date,
            .creation_date_raw = b->creation_date_raw, .region = b->region};
        memset(b, 0, sizeof(*b));
    }
    r->buckets_count = rc == 0 ? lb.buckets_count : 0;
    s3x__s3_list_buckets_clean_up(op->allocator, &lb);
    return rc;
}

static int s_buckets_start(struct s3x_op *op, const void *options) {
    const struct s3x_bucket_list_options *o = options;
    struct s_query q = {0};
    s_q(&q, "prefix", o->prefix);
    op->finish = s_finish_buckets;
    return s_get(op, NULL, NULL, &q);
}

static const struct s3x_bucket_list_options s_no_bucket_options;

int s3x_bucket_list(struct s3x_client *client, const struct s3x_bucket_list_options *options,
    s3x_buckets_fn *on_done, void *user_data) {
    if (on_done == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_op *op = NULL;
    int rc = s3x__op_new(client, S3X__OP_BUCKETS, &op);
    if (rc != 0) {
        return rc;
    }
    op->on_done.buckets = on_done;
    op->user_data = user_data;
    return s3x__op_run_async(op, s_buckets_start, options != NULL ? options : &s_no_bucket_options);
}

int s3x_bucket_list_sync(struct s3x_client *client, const struct s3x_bucket_list_options *options,
    struct s3x_buckets_result *out) {
    return s3x__op_run_sync(client, S3X__OP_BUCKETS, s_buckets_start, options != NULL ? options : &s_no_bucket_options,
        out, sizeof(*out));
}

/* --- ListParts ------------------------------------------------------------------------------- */

static int s_finish_parts(struct s3x_op *op, struct s3x_http_request *http) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    struct s3x_s3_list_parts lp;
    int rc = s3x__s3_list_parts_parse(op->allocator, body, len, &lp);
    if (rc != 0) {
        return s_parse_error(rc);
    }
    struct s3x_parts_result *r = &op->result.parts;
    if (lp.parts_count > 0) {
        r->parts = s3x_mem_calloc(op->allocator, lp.parts_count, sizeof(*r->parts));
        if (r->parts == NULL) {
            rc = S3X_ERR_OOM;
        }
    }
    for (size_t i = 0; rc == 0 && i < lp.parts_count; ++i) {
        struct s3x_s3_part *p = &lp.parts[i];
        struct s3x_part_info *q = &r->parts[i];
        q->part_number = p->part_number;
        q->size = p->size;
        q->etag = p->etag;
        q->last_modified = p->last_modified;
        q->last_modified_raw = p->last_modified_raw;
        p->etag = NULL;
        p->last_modified_raw = NULL;
        s3x__op_move_checksums(&q->checksums, &p->checksums);
    }
    r->parts_count = rc == 0 ? lp.parts_count : 0;
    r->is_truncated = lp.is_truncated;
    r->next_part_number_marker = lp.next_part_number_marker;
    r->checksum_algorithm = lp.checksum_algorithm;
    lp.checksum_algorithm = NULL;
    s3x__s3_list_parts_clean_up(op->allocator, &lp);
    return rc;
}

static int s_parts_start(struct s3x_op *op, const void *options) {
    const struct s3x_multipart_options *o = options;
    if (!s3x__op_has(o->bucket) || !s3x__op_has(o->key) || !s3x__op_has(o->upload_id)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_query q = {0};
    s_q(&q, "uploadId", o->upload_id);
    s_q_u32(&q, "max-parts", o->max_parts);
    s_q_u32(&q, "part-number-marker", o->part_number_marker);
    op->finish = s_finish_parts;
    return s_get(op, o->bucket, o->key, &q);
}

S3X__OP_DEFINE(s3x_multipart_list_parts, struct s3x_multipart_options, S3X__OP_PARTS, parts, s3x_parts_fn,
    struct s3x_parts_result, s_parts_start)

/* --- ListMultipartUploads -------------------------------------------------------------------- */

static int s_finish_uploads(struct s3x_op *op, struct s3x_http_request *http) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(http, &len);
    struct s3x_s3_list_multipart_uploads lu;
    int rc = s3x__s3_list_multipart_uploads_parse(op->allocator, body, len, &lu);
    if (rc != 0) {
        return s_parse_error(rc);
    }
    struct s3x_uploads_result *r = &op->result.uploads;
    if (lu.uploads_count > 0) {
        r->uploads = s3x_mem_calloc(op->allocator, lu.uploads_count, sizeof(*r->uploads));
        if (r->uploads == NULL) {
            rc = S3X_ERR_OOM;
        }
    }
    for (size_t i = 0; rc == 0 && i < lu.uploads_count; ++i) {
        struct s3x_s3_upload *u = &lu.uploads[i];
        r->uploads[i] = (struct s3x_upload_info){.key = u->key, .upload_id = u->upload_id, .initiated = u->initiated,
            .initiated_raw = u->initiated_raw, .storage_class = u->storage_class};
        u->key = NULL;
        u->upload_id = NULL;
        u->initiated_raw = NULL;
        u->storage_class = NULL;
    }
    r->uploads_count = rc == 0 ? lu.uploads_count : 0;
    if (rc == 0) {
        r->common_prefixes = s_move_prefixes(op->allocator, lu.common_prefixes, lu.common_prefixes_count, &rc);
        r->common_prefixes_count = rc == 0 ? lu.common_prefixes_count : 0;
    }
    r->is_truncated = lu.is_truncated;
    r->next_key_marker = lu.next_key_marker;
    r->next_upload_id_marker = lu.next_upload_id_marker;
    lu.next_key_marker = NULL;
    lu.next_upload_id_marker = NULL;
    s3x__s3_list_multipart_uploads_clean_up(op->allocator, &lu);
    return rc;
}

static int s_uploads_start(struct s3x_op *op, const void *options) {
    const struct s3x_multipart_list_uploads_options *o = options;
    if (!s3x__op_has(o->bucket)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_query q = {0};
    s_q_bare(&q, "uploads");
    s_q(&q, "encoding-type", "url");
    s_q(&q, "prefix", o->prefix);
    s_q(&q, "delimiter", o->delimiter);
    s_q_u32(&q, "max-uploads", o->max_uploads);
    s_q(&q, "key-marker", o->key_marker);
    s_q(&q, "upload-id-marker", o->upload_id_marker);
    op->finish = s_finish_uploads;
    return s_get(op, o->bucket, NULL, &q);
}

S3X__OP_DEFINE(s3x_multipart_list_uploads, struct s3x_multipart_list_uploads_options, S3X__OP_UPLOADS, uploads,
    s3x_uploads_fn, struct s3x_uploads_result, s_uploads_start)
