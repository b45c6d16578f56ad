/* The single-request operations of objects.h (internal): one `struct s3x_op` per call, shared by
 * ops.c (life cycle, sync waiting, errors, results), ops_object.c (objects and buckets),
 * ops_list.c (listings) and ops_multipart.c (multipart calls).
 *
 * Life of an operation:
 *   s3x__op_new(client, kind, &op)         the result is zeroed, its allocator set
 *   <op-specific start>                    fills a request; s3x__op_submit sends it
 *   on the event thread: 2xx -> op->finish parses the answer into op->result
 *                        else -> the S3 error goes into result.s3_error; op->on_error may send a
 *                                follow-up request (HeadObject's HeadBucket) and return true
 *   s3x__op_complete(op)                   callback (or sync hand-off), result clean-up, free
 *
 * Ownership: the op owns its s3 request, a body it built (XML) and the result until it is handed
 * over. Nothing of the op is touched by the caller after a successful submit: the completion may
 * already have run on the event thread.
 */
#ifndef S3XFER_S3_OPS_IMPL_H
#define S3XFER_S3_OPS_IMPL_H

#include <s3xfer/objects.h>

#include "s3/client_impl.h"
#include "s3/complete_body.h"
#include "s3/headers.h"
#include "s3/responses.h"
#include "s3/s3_request.h"

enum s3x__op_kind {
    S3X__OP_STATUS = 1, /* struct s3x_op_result */
    S3X__OP_OBJECT,     /* struct s3x_object_result */
    S3X__OP_LIST,       /* struct s3x_list_result */
    S3X__OP_PARTS,      /* struct s3x_parts_result */
    S3X__OP_UPLOADS,    /* struct s3x_uploads_result */
    S3X__OP_BUCKETS,    /* struct s3x_buckets_result */
};

struct s3x_op;
struct s3x__op_waiter;

/* Parses a successful answer into op->result; returns 0 or the error of the operation. */
typedef int(s3x__op_finish_fn)(struct s3x_op *op, struct s3x_http_request *http);
/* Sees a failed answer after result.s3_error was filled. Returns true when it took over (sent a
 * follow-up whose completion calls s3x__op_complete), false to complete with `*error`, which it
 * may change. */
typedef bool(s3x__op_on_error_fn)(struct s3x_op *op, int *error, struct s3x_http_request *http);

struct s3x_op {
    struct s3x_client *client;
    struct s3x_allocator *allocator; /* the client's */
    enum s3x__op_kind kind;
    union {
        s3x_op_fn *status;
        s3x_object_fn *object;
        s3x_list_fn *list;
        s3x_parts_fn *parts;
        s3x_uploads_fn *uploads;
        s3x_buckets_fn *buckets;
    } on_done;
    void *user_data;
    struct s3x__op_waiter *waiter; /* the _sync forms: the result is moved to the waiter */
    union {
        struct s3x_op_result status;
        struct s3x_object_result object;
        struct s3x_list_result list;
        struct s3x_parts_result parts;
        struct s3x_uploads_result uploads;
        struct s3x_buckets_result buckets;
    } result;
    s3x__op_finish_fn *finish;     /* NULL: a 2xx answer needs no parsing */
    s3x__op_on_error_fn *on_error; /* optional */
    struct s3x_s3_request *request;
    struct s3x_s3_buf body;        /* a body the op built (XML documents) */
    char *bucket;                  /* kept for follow-ups (HeadObject -> HeadBucket) */
    char *key;
    bool keep_error;               /* a follow-up's failure leaves result.s3_error alone */
    uint64_t size;                 /* PutObject / UploadPart: the body's length, for the result */
    /* UploadPart / PutObject: the checksum computed over the body, for the result. */
    enum s3x_checksum_algorithm checksum;
    char checksum_value[S3X_CHECKSUM_VALUE_TEXT_MAX];
    void *ext; /* op-specific state (the list-all driver) */
};

/* --- life cycle (ops.c) ------------------------------------------------------------------------ */

/* A new op of `kind` with its result zeroed and result.allocator set. Returns 0,
 * S3X_ERR_INVALID_ARGUMENT (NULL client), S3X_ERR_OOM. */
int s3x__op_new(struct s3x_client *client, enum s3x__op_kind kind, struct s3x_op **out);
/* Frees an op that was never submitted, or whose completion has run. NULL allowed. */
void s3x__op_destroy(struct s3x_op *op);

/* Builds the request from `o` (its on_done/user_data are set here) and submits it. On 0 the op
 * belongs to the event thread; on an error nothing was sent and the op is still the caller's. */
int s3x__op_submit(struct s3x_op *op, struct s3x_s3_request_options *o);

/* Delivers the result (callback or sync hand-off), cleans it up and destroys the op. Event
 * thread, or the caller's thread for a waiter whose start failed. */
void s3x__op_complete(struct s3x_op *op);

/* The shared head of every result kind. */
int *s3x__op_error(struct s3x_op *op);
struct s3x_s3_error *s3x__op_s3_error(struct s3x_op *op);

/* Copies the S3 error info of a failed request into `dst` (strings that cannot be copied stay
 * NULL: the error code is what matters). */
void s3x__op_copy_error(struct s3x_allocator *a, struct s3x_s3_error *dst, const struct s3x_s3_error_info *info);
void s3x__s3_error_clean_up(struct s3x_allocator *a, struct s3x_s3_error *e);

/* Starting an op the way the public functions do. `start` builds and submits the op's request
 * and must not touch the op after a successful submit. */
typedef int(s3x__op_start_fn)(struct s3x_op *op, const void *options);
/* Asynchronous form: the callback must have been stored by the caller in op->on_done. */
int s3x__op_run_async(struct s3x_op *op, s3x__op_start_fn *start, const void *options);
/* Blocking form: `out` is a result of `kind`, `out_size` its size; always filled. Returns its
 * error. S3X_ERR_INVALID_STATE on the event thread. */
int s3x__op_run_sync(struct s3x_client *client, enum s3x__op_kind kind, s3x__op_start_fn *start, const void *options,
    void *out, size_t out_size);

/* The two public entry points of one operation. */
#define S3X__OP_DEFINE(name, options_type, kind, member, fn_type, result_type, start)                        \
    int name(struct s3x_client *client, const options_type *options, fn_type *on_done, void *user_data) {     \
        if (on_done == NULL) {                                                                                \
            return S3X_ERR_INVALID_ARGUMENT;                                                                  \
        }                                                                                                     \
        struct s3x_op *op = NULL;                                                                             \
        int rc = s3x__op_new(client, kind, &op);                                                              \
        if (rc != 0) {                                                                                        \
            return rc;                                                                                        \
        }                                                                                                     \
        op->on_done.member = on_done;                                                                         \
        op->user_data = user_data;                                                                            \
        return s3x__op_run_async(op, start, options);                                                         \
    }                                                                                                         \
    int name##_sync(struct s3x_client *client, const options_type *options, result_type *out) {               \
        return s3x__op_run_sync(client, kind, start, options, out, sizeof(*out));                             \
    }

/* --- request building helpers (ops.c) ---------------------------------------------------------- */

/* Headers of a request being built: names built here ("x-amz-meta-...") are owned. */
#define S3X__OP_HEADERS_INLINE 12
struct s3x__op_headers {
    struct s3x_allocator *allocator;
    struct s3x_sigv4_header inline_items[S3X__OP_HEADERS_INLINE];
    struct s3x_sigv4_header *items;
    size_t count;
    size_t capacity;
    char *owned[S3X__OP_HEADERS_INLINE]; /* strings made here, freed by clean_up */
    char **owned_more;
    size_t owned_count;
    size_t owned_capacity;
};
void s3x__op_headers_init(struct s3x__op_headers *h, struct s3x_allocator *allocator);
/* Adds name: value when value is not NULL. Returns 0 or S3X_ERR_OOM. */
int s3x__op_headers_add(struct s3x__op_headers *h, const char *name, const char *value);
/* Adds a header whose value the list takes ownership of (freed even on failure; a NULL value is
 * taken for a failed allocation: S3X_ERR_OOM). */
int s3x__op_headers_add_owned(struct s3x__op_headers *h, const char *name, char *value);
/* x-amz-meta-<name>: <value> for each entry, names lower-cased. S3X_ERR_INVALID_ARGUMENT for a
 * NULL or empty name or a NULL value. */
int s3x__op_headers_add_metadata(struct s3x__op_headers *h, const struct s3x_metadata *metadata, size_t count);
void s3x__op_headers_clean_up(struct s3x__op_headers *h);

/* The algorithm an operation uses: `alg` when `set`, else the client's. */
static inline enum s3x_checksum_algorithm s3x__op_algorithm(const struct s3x_op *op, enum s3x_checksum_algorithm alg,
    bool set) {
    return set ? alg : op->client->checksum;
}

/* Computes the checksum of data[0..len) into op->checksum_value and adds its header. */
int s3x__op_add_checksum(struct s3x_op *op, struct s3x__op_headers *h, enum s3x_checksum_algorithm alg,
    const void *data, size_t len);

/* The x-amz-copy-source value: "<bucket>/<encoded key>[?versionId=<encoded>]". */
int s3x__op_copy_source(struct s3x_allocator *a, const char *bucket, const char *key, const char *version_id,
    char **out);

/* Whether a string option is present and non-empty. */
static inline bool s3x__op_has(const char *s) {
    return s != NULL && s[0] != '\0';
}

/* --- answer parsing helpers (ops_object.c) ------------------------------------------------------ */

/* Fills `info` (and `range` when not NULL) from the response headers of an object answer. */
int s3x__op_object_info_from_headers(struct s3x_op *op, struct s3x_http_request *http, struct s3x_object_info *info,
    struct s3x_byte_range *range);
/* Puts the checksum this op computed (op->checksum_value) into `c` when the server did not echo
 * one (Swift never does). */
int s3x__op_fill_sent_checksum(struct s3x_op *op, struct s3x_checksums *c);
/* A <CopyObjectResult> / <CopyPartResult> answer into `info`: etag, last modified, checksums.
 * Returns 0, S3X_ERR_HTTP_PROTOCOL (unreadable, or no ETag: a 200 that proves nothing), S3X_ERR_OOM. */
int s3x__op_copy_result_into_info(struct s3x_op *op, struct s3x_http_request *http, struct s3x_object_info *info);
/* Moves the internal checksums into the public ones (the source is left zero-filled). */
void s3x__op_move_checksums(struct s3x_checksums *dst, struct s3x_s3_checksums *src);
void s3x__op_checksums_clean_up(struct s3x_allocator *a, struct s3x_checksums *c);
void s3x__op_object_info_clean_up(struct s3x_allocator *a, struct s3x_object_info *info);

#endif
