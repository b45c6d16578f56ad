/* Single-request operations (objects.h): the life cycle every operation shares, the blocking
 * forms, the S3 error record, result clean-ups and request-building helpers (see ops_impl.h).
 *
 * Invariants:
 *   - an op's callback fires exactly once iff its start returned 0; the result it gets is
 *     cleaned up after the callback returns (a callback that moved it out left zeros behind);
 *   - a blocking call gets the result moved into its `out` before the op is destroyed, and is
 *     woken only after the destruction, so nothing of the op outlives the call;
 *   - every result kind begins with (allocator, error, s3_error): the helpers below rely on that.
 *
 * Worked example, HeadObject of a missing key in an existing bucket: HEAD /b/k answers 404 with
 * no body -> s3_request maps it (no <Code>) to S3X_ERR_S3_NO_SUCH_KEY -> s_on_request_done copies
 * status 404 and the request id into result.s3_error -> on_error (ops_object.c) sends HEAD /b ->
 * 200 -> the result is S3X_ERR_S3_NO_SUCH_KEY with code "NoSuchKey"; a 404 there would have made
 * it S3X_ERR_S3_NO_SUCH_BUCKET with code "NoSuchBucket".
 */
#include "ops_impl.h"

#include "http/uri.h"

#include <ctype.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct s3x__op_waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    void *out;
    size_t out_size;
};

/* --- results ------------------------------------------------------------------------------- */

void s3x__s3_error_clean_up(struct s3x_allocator *a, struct s3x_s3_error *e) {
    if (e == NULL || a == NULL) {
        return;
    }
    s3x_mem_release(a, e->code);
    s3x_mem_release(a, e->message);
    s3x_mem_release(a, e->request_id);
    s3x_mem_release(a, e->host_id);
    memset(e, 0, sizeof(*e));
}

static char *s_dup(struct s3x_allocator *a, const char *s) {
    return s != NULL ? s3x_mem_strdup(a, s) : NULL;
}

void s3x__op_copy_error(struct s3x_allocator *a, struct s3x_s3_error *dst, const struct s3x_s3_error_info *info) {
    s3x__s3_error_clean_up(a, dst);
    if (info == NULL) {
        return;
    }
    dst->http_status = info->http_status;
    dst->code = s_dup(a, info->code);
    dst->message = s_dup(a, info->message);
    dst->request_id = s_dup(a, info->request_id);
    dst->host_id = s_dup(a, info->host_id);
}

void s3x_op_result_clean_up(struct s3x_op_result *r) {
    if (r == NULL) {
        return;
    }
    s3x__s3_error_clean_up(r->allocator, &r->s3_error);
    memset(r, 0, sizeof(*r));
}

void s3x_object_result_clean_up(struct s3x_object_result *r) {
    if (r == NULL || r->allocator == NULL) {
        return;
    }
    struct s3x_allocator *a = r->allocator;
    s3x__s3_error_clean_up(a, &r->s3_error);
    s3x__op_object_info_clean_up(a, &r->info);
    s3x_mem_release(a, r->data);
    s3x_mem_release(a, r->upload_id);
    s3x_mem_release(a, r->location);
    memset(r, 0, sizeof(*r));
}

static void s_free_strings(struct s3x_allocator *a, char **strings, size_t count) {
    for (size_t i = 0; strings != NULL && i < count; ++i) {
        s3x_mem_release(a, strings[i]);
    }
    s3x_mem_release(a, strings);
}

void s3x_list_result_clean_up(struct s3x_list_result *r) {
    if (r == NULL || r->allocator == NULL) {
        return;
    }
    struct s3x_allocator *a = r->allocator;
    s3x__s3_error_clean_up(a, &r->s3_error);
    for (size_t i = 0; r->objects != NULL && i < r->objects_count; ++i) {
        s3x__op_object_info_clean_up(a, &r->objects[i]);
    }
    s3x_mem_release(a, r->objects);
    s_free_strings(a, r->common_prefixes, r->common_prefixes_count);
    s3x_mem_release(a, r->next_continuation_token);
    memset(r, 0, sizeof(*r));
}

void s3x_parts_result_clean_up(struct s3x_parts_result *r) {
    if (r == NULL || r->allocator == NULL) {
        return;
    }
    struct s3x_allocator *a = r->allocator;
    s3x__s3_error_clean_up(a, &r->s3_error);
    for (size_t i = 0; r->parts != NULL && i < r->parts_count; ++i) {
        s3x_mem_release(a, r->parts[i].etag);
        s3x_mem_release(a, r->parts[i].last_modified_raw);
        s3x__op_checksums_clean_up(a, &r->parts[i].checksums);
    }
    s3x_mem_release(a, r->parts);
    s3x_mem_release(a, r->checksum_algorithm);
    memset(r, 0, sizeof(*r));
}

void s3x_uploads_result_clean_up(struct s3x_uploads_result *r) {
    if (r == NULL || r->allocator == NULL) {
        return;
    }
    struct s3x_allocator *a = r->allocator;
    s3x__s3_error_clean_up(a, &r->s3_error);
    for (size_t i = 0; r->uploads != NULL && i < r->uploads_count; ++i) {
        s3x_mem_release(a, r->uploads[i].key);
        s3x_mem_release(a, r->uploads[i].upload_id);
        s3x_mem_release(a, r->uploads[i].initiated_raw);
        s3x_mem_release(a, r->uploads[i].storage_class);
    }
    s3x_mem_release(a, r->uploads);
    s_free_strings(a, r->common_prefixes, r->common_prefixes_count);
    s3x_mem_release(a, r->next_key_marker);
    s3x_mem_release(a, r->next_upload_id_marker);
    memset(r, 0, sizeof(*r));
}

void s3x_buckets_result_clean_up(struct s3x_buckets_result *r) {
    if (r == NULL || r->allocator == NULL) {
        return;
    }
    struct s3x_allocator *a = r->allocator;
    s3x__s3_error_clean_up(a, &r->s3_error);
    for (size_t i = 0; r->buckets != NULL && i < r->buckets_count; ++i) {
        s3x_mem_release(a, r->buckets[i].name);
        s3x_mem_release(a, r->buckets[i].creation_date_raw);
        s3x_mem_release(a, r->buckets[i].region);
    }
    s3x_mem_release(a, r->buckets);
    memset(r, 0, sizeof(*r));
}

static void s_result_clean_up(struct s3x_op *op) {
    switch (op->kind) {
    case S3X__OP_STATUS: s3x_op_result_clean_up(&op->result.status); break;
    case S3X__OP_OBJECT: s3x_object_result_clean_up(&op->result.object); break;
    case S3X__OP_LIST: s3x_list_result_clean_up(&op->result.list); break;
    case S3X__OP_PARTS: s3x_parts_result_clean_up(&op->result.parts); break;
    case S3X__OP_UPLOADS: s3x_uploads_result_clean_up(&op->result.uploads); break;
    case S3X__OP_BUCKETS: s3x_buckets_result_clean_up(&op->result.buckets); break;
    default: break;
    }
}

int *s3x__op_error(struct s3x_op *op) {
    return &op->result.status.error; /* the common initial sequence of every result */
}

struct s3x_s3_error *s3x__op_s3_error(struct s3x_op *op) {
    return &op->result.status.s3_error;
}

static size_t s_result_size(enum s3x__op_kind kind) {
    switch (kind) {
    case S3X__OP_STATUS: return sizeof(struct s3x_op_result);
    case S3X__OP_OBJECT: return sizeof(struct s3x_object_result);
    case S3X__OP_LIST: return sizeof(struct s3x_list_result);
    case S3X__OP_PARTS: return sizeof(struct s3x_parts_result);
    case S3X__OP_UPLOADS: return sizeof(struct s3x_uploads_result);
    case S3X__OP_BUCKETS: return sizeof(struct s3x_buckets_result);
    default: return 0;
    }
}

/* --- life cycle ------------------------------------------------------------------------------ */

int s3x__op_new(struct s3x_client *client, enum s3x__op_kind kind, struct s3x_op **out) {
    *out = NULL;
    if (client == NULL || s_result_size(kind) == 0) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_op *op = s3x_mem_calloc(client->allocator, 1, sizeof(*op));
    if (op == NULL) {
        return S3X_ERR_OOM;
    }
    op->client = client;
    op->allocator = client->allocator;
    op->kind = kind;
    op->result.status.allocator = client->allocator;
    s3x__s3_buf_init(&op->body, client->allocator);
    *out = op;
    return 0;
}

void s3x__op_destroy(struct s3x_op *op) {
    if (op == NULL) {
        return;
    }
    s_result_clean_up(op);
    op->request = s3x__s3_request_release(op->request);
    s3x__s3_buf_clean_up(&op->body);
    s3x_mem_release(op->allocator, op->bucket);
    s3x_mem_release(op->allocator, op->key);
    s3x_mem_release(op->allocator, op);
}

static void s_deliver(struct s3x_op *op) {
    switch (op->kind) {
    case S3X__OP_STATUS: op->on_done.status(op->client, &op->result.status, op->user_data); break;
    case S3X__OP_OBJECT: op->on_done.object(op->client, &op->result.object, op->user_data); break;
    case S3X__OP_LIST: op->on_done.list(op->client, &op->result.list, op->user_data); break;
    case S3X__OP_PARTS: op->on_done.parts(op->client, &op->result.parts, op->user_data); break;
    case S3X__OP_UPLOADS: op->on_done.uploads(op->client, &op->result.uploads, op->user_data); break;
    case S3X__OP_BUCKETS: op->on_done.buckets(op->client, &op->result.buckets, op->user_data); break;
    default: break;
    }
}

void s3x__op_complete(struct s3x_op *op) {
    struct s3x__op_waiter *w = op->waiter;
    if (w != NULL) {
        /* Move the result out, destroy the op, and only then wake the caller. */
        memcpy(w->out, &op->result, w->out_size);
        memset(&op->result, 0, sizeof(op->result));
        s3x__op_destroy(op);
        pthread_mutex_lock(&w->lock);
        w->done = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    s_deliver(op);
    s3x__op_destroy(op);
}

static void s_on_request_done(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info,
    void *user) {
    struct s3x_op *op = user;
    struct s3x_http_request *http = s3x__s3_request_http(req);
    if (error == 0) {
        if (op->kind == S3X__OP_OBJECT) {
            op->result.object.http_status = s3x__http_request_status(http);
        }
        if (op->finish != NULL) {
            error = op->finish(op, http);
        }
        if (error != 0 && op->kind == S3X__OP_OBJECT) {
            op->result.object.http_status = 0;
        }
    } else {
        if (!op->keep_error) {
            s3x__op_copy_error(op->allocator, s3x__op_s3_error(op), info);
            if (info == NULL) {
                const struct s3x_http_result *res = s3x__http_request_result(http);
                s3x__op_s3_error(op)->http_status = res != NULL ? res->http_status : 0;
            }
        }
        if (op->on_error != NULL && op->on_error(op, &error, http)) {
            return; /* a follow-up request completes the op */
        }
    }
    *s3x__op_error(op) = error;
    s3x__op_complete(op);
}

int s3x__op_submit(struct s3x_op *op, struct s3x_s3_request_options *o) {
    o->on_done = s_on_request_done;
    o->user_data = op;
    struct s3x_s3_request *req = NULL;
    int rc = s3x__s3_request_new(&op->client->s3, o, &req);
    if (rc != 0) {
        return rc;
    }
    /* A follow-up replaces the finished request; the op keeps one reference to its current one. */
    s3x__s3_request_release(op->request);
    op->request = req;
    rc = s3x__s3_request_submit(req);
    if (rc != 0) {
        op->request = s3x__s3_request_release(op->request);
    }
    return rc;
}

int s3x__op_run_async(struct s3x_op *op, s3x__op_start_fn *start, const void *options) {
    int rc = options != NULL ? start(op, options) : S3X_ERR_INVALID_ARGUMENT;
    if (rc != 0) {
        s3x__op_destroy(op);
    }
    return rc;
}

/* Sets the head every result kind starts with (allocator, error): the layout of a common initial
 * sequence is the same in every struct, so the offsets of struct s3x_op_result hold for all. */
static int s_set_head(void *out, struct s3x_allocator *allocator, int error) {
    memcpy((char *)out + offsetof(struct s3x_op_result, allocator), &allocator, sizeof(allocator));
    memcpy((char *)out + offsetof(struct s3x_op_result, error), &error, sizeof(error));
    return error;
}

int s3x__op_run_sync(struct s3x_client *client, enum s3x__op_kind kind, s3x__op_start_fn *start, const void *options,
    void *out, size_t out_size) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, out_size);
    if (client == NULL || options == NULL) {
        return s_set_head(out, NULL, S3X_ERR_INVALID_ARGUMENT);
    }
    if (s3x__http_engine_is_current(client->engine)) {
        return s_set_head(out, client->allocator, S3X_ERR_INVALID_STATE);
    }
    struct s3x_op *op = NULL;
    int rc = s3x__op_new(client, kind, &op);
    if (rc != 0) {
        return s_set_head(out, client->allocator, rc);
    }
    struct s3x__op_waiter w = {.out = out, .out_size = out_size};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    op->waiter = &w;
    rc = start(op, options);
    if (rc != 0) {
        s3x__op_destroy(op);
        s_set_head(out, client->allocator, rc);
    } else {
        pthread_mutex_lock(&w.lock);
        while (!w.done) {
            pthread_cond_wait(&w.cond, &w.lock);
        }
        pthread_mutex_unlock(&w.lock);
        memcpy(&rc, (char *)out + offsetof(struct s3x_op_result, error), sizeof(rc));
    }
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
    return rc;
}

/* --- request building ------------------------------------------------------------------------ */

void s3x__op_headers_init(struct s3x__op_headers *h, struct s3x_allocator *allocator) {
    memset(h, 0, sizeof(*h));
    h->allocator = allocator;
    h->items = h->inline_items;
    h->capacity = S3X__OP_HEADERS_INLINE;
}

static int s_keep(struct s3x__op_headers *h, char *s) {
    if (h->owned_count < S3X__OP_HEADERS_INLINE) {
        h->owned[h->owned_count++] = s;
        return 0;
    }
    size_t i = h->owned_count - S3X__OP_HEADERS_INLINE;
    if (i == h->owned_capacity) {
        size_t cap = h->owned_capacity == 0 ? 8 : h->owned_capacity * 2;
        char **grown = s3x_mem_realloc(h->allocator, h->owned_more, h->owned_capacity * sizeof(char *),
            cap * sizeof(char *));
        if (grown == NULL) {
            return S3X_ERR_OOM;
        }
        h->owned_more = grown;
        h->owned_capacity = cap;
    }
    h->owned_more[i] = s;
    h->owned_count++;
    return 0;
}

int s3x__op_headers_add(struct s3x__op_headers *h, const char *name, const char *value) {
    if (value == NULL) {
        return 0;
    }
    if (h->count == h->capacity) {
        size_t cap = h->capacity * 2;
        struct s3x_sigv4_header *grown = s3x_mem_calloc(h->allocator, cap, sizeof(*grown));
        if (grown == NULL) {
            return S3X_ERR_OOM;
        }
        memcpy(grown, h->items, h->count * sizeof(*grown));
        if (h->items != h->inline_items) {
            s3x_mem_release(h->allocator, h->items);
        }
        h->items = grown;
        h->capacity = cap;
    }
    h->items[h->count].name = name;
    h->items[h->count].value = value;
    h->count++;
    return 0;
}

int s3x__op_headers_add_owned(struct s3x__op_headers *h, const char *name, char *value) {
    int rc = value != NULL ? s_keep(h, value) : S3X_ERR_OOM;
    if (rc != 0) {
        s3x_mem_release(h->allocator, value);
        return rc;
    }
    return s3x__op_headers_add(h, name, value);
}

int s3x__op_headers_add_metadata(struct s3x__op_headers *h, const struct s3x_metadata *metadata, size_t count) {
    static const char prefix[] = "x-amz-meta-";
    if (count > 0 && metadata == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < count; ++i) {
        if (!s3x__op_has(metadata[i].name) || metadata[i].value == NULL) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        size_t len = strlen(metadata[i].name);
        char *name = s3x_mem_acquire(h->allocator, sizeof(prefix) + len);
        if (name == NULL) {
            return S3X_ERR_OOM;
        }
        memcpy(name, prefix, sizeof(prefix) - 1);
        for (size_t k = 0; k <= len; ++k) {
            name[sizeof(prefix) - 1 + k] = (char)tolower((unsigned char)metadata[i].name[k]);
        }
        int rc = s_keep(h, name);
        if (rc != 0) {
            s3x_mem_release(h->allocator, name);
            return rc;
        }
        rc = s3x__op_headers_add(h, name, metadata[i].value);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

void s3x__op_headers_clean_up(struct s3x__op_headers *h) {
    for (size_t i = 0; i < h->owned_count; ++i) {
        s3x_mem_release(h->allocator,
            i < S3X__OP_HEADERS_INLINE ? h->owned[i] : h->owned_more[i - S3X__OP_HEADERS_INLINE]);
    }
    s3x_mem_release(h->allocator, h->owned_more);
    if (h->items != h->inline_items) {
        s3x_mem_release(h->allocator, h->items);
    }
    memset(h, 0, sizeof(*h));
}

int s3x__op_add_checksum(struct s3x_op *op, struct s3x__op_headers *h, enum s3x_checksum_algorithm alg,
    const void *data, size_t len) {
    op->checksum = alg;
    op->checksum_value[0] = '\0';
    if (alg == S3X_CHECKSUM_NONE) {
        return 0;
    }
    if (s3x_checksum_header_name(alg) == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_checksum_state st;
    struct s3x_checksum_value v;
    int rc = s3x_checksum_init(&st, alg);
    if (rc != 0) {
        return rc;
    }
    rc = s3x_checksum_update(&st, data, len);
    if (rc == 0) {
        rc = s3x_checksum_final_value(&st, &v);
    }
    if (rc == 0) {
        rc = s3x_checksum_value_format(&v, op->checksum_value, sizeof(op->checksum_value));
    }
    s3x_checksum_clean_up(&st);
    if (rc == 0) {
        rc = s3x__op_headers_add(h, s3x_checksum_header_name(alg), op->checksum_value);
    }
    return rc;
}

int s3x__op_copy_source(struct s3x_allocator *a, const char *bucket, const char *key, const char *version_id,
    char **out) {
    *out = NULL;
    if (!s3x__op_has(bucket) || !s3x__op_has(key)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    char *eb = NULL;
    char *ek = NULL;
    char *ev = NULL;
    int rc = s3x__uri_encode(a, bucket, strlen(bucket), false, &eb);
    if (rc == 0) {
        rc = s3x__uri_encode(a, key, strlen(key), true, &ek);
    }
    if (rc == 0 && s3x__op_has(version_id)) {
        rc = s3x__uri_encode(a, version_id, strlen(version_id), false, &ev);
    }
    if (rc == 0) {
        /* "bucket" "/" key ["?versionId=" version] NUL */
        size_t n = strlen(eb) + 1 + strlen(ek) + (ev != NULL ? strlen("?versionId=") + strlen(ev) : 0) + 1;
        *out = s3x_mem_acquire(a, n);
        if (*out == NULL) {
            rc = S3X_ERR_OOM;
        } else {
            snprintf(*out, n, "%s/%s%s%s", eb, ek, ev != NULL ? "?versionId=" : "", ev != NULL ? ev : "");
        }
    }
    s3x_mem_release(a, eb);
    s3x_mem_release(a, ek);
    s3x_mem_release(a, ev);
    return rc;
}
