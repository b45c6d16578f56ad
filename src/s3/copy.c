/* Server-side copy (S3X_TRANSFER_COPY): source_bucket/source_key -> bucket/key without any data
 * passing through the client, and without pool memory (answers are small XML documents held in
 * ordinary memory, bounded by S_ANSWER_MAX).
 *
 * Stages (event thread):
 *   HEAD      HeadObject of the source: size, ETag, Last-Modified, and what S3 keeps with an object
 *             (Content-Type, Cache-Control, Content-Disposition, Content-Encoding,
 *             Content-Language, Expires, x-amz-website-redirect-location, x-amz-meta-*). A 404
 *             has no body: PROBE (HeadBucket of the source bucket) tells NoSuchKey from
 *             NoSuchBucket, as HeadObject in ops_object.c does.
 *   SINGLE    size < the client's multipart threshold (and <= 5 GiB), or an empty source: one
 *             CopyObject, metadata directive COPY, guarded by x-amz-copy-source-if-match.
 *   CREATE    CreateMultipartUpload with the source's headers (above).
 *   PARTS     UploadPartCopy of byte ranges, at most `window` (the client's max_connections) in
 *             flight, each guarded by x-amz-copy-source-if-match; the ETag of <CopyPartResult>.
 *   COMPLETE  CompleteMultipartUpload with the ETags in part order.
 *   ABORT     after any failure or cancel once an upload id exists, when nothing is in flight.
 *
 * Part size: the client's, raised (to whole MiB) so that at most 10,000 parts are needed; more
 * than 5 GiB a part fails with S3X_ERR_TRANSFER_TOO_MANY_PARTS. Example: 600 MiB with 8 MiB parts
 * -> 75 parts, part 75 = bytes 620,756,992..629,145,599; 100 GiB with 8 MiB parts would need
 * 12,800 parts -> ceil(100 GiB / 10,000) = 10.24 MiB -> 11 MiB parts, 9,310 of them.
 *
 * The guard. A 412 to a guarded request means the source changed, or that the server cannot
 * evaluate x-amz-copy-source-if-match (OpenStack Swift's s3api answers 412 for every multipart
 * source, whose ETag ends in "-N"). A 412 therefore sends a CHECK: HeadObject If-Match on the
 * ETag. 412/404, or another Last-Modified: the source changed (S3X_ERR_TRANSFER_OBJECT_CHANGED).
 * Unchanged: the server cannot guard, so the copy goes on without the header (the 412'd requests
 * are sent again) and the source is checked once more (VERIFY, the same HeadObject) after the
 * last part, before CompleteMultipartUpload (or after the CopyObject). The same ETag and
 * Last-Modified before and after mean no write happened in between. (After an unguarded
 * CopyObject a changed source fails the transfer, but the destination, one consistent version of
 * the source, stays.)
 *
 * Checksums: none are announced or sent; the data never reaches the client, the server computes
 * what it keeps.
 *
 * Cancel: aborts requests that leave nothing on the server (HEADs, part copies) and a CopyObject
 * (the server may still have finished it); a CreateMultipartUpload in flight is left to finish so
 * that its upload can be aborted. Once
 * CompleteMultipartUpload has been sent the copy cannot be undone: a cancel arriving then is
 * ignored and the transfer reports the outcome of the Complete.
 *
 * Invariants (event thread):
 *   active = parts in COPYING + (control != NULL ? 1 : 0)
 *   parts_done = parts in DONE; the transfer completes once, when active == 0 and either it
 *   failed (after ABORT when an upload id exists) or the last request succeeded
 *   checking => control is the CHECK; no part starts while checking
 */
#include "transfer_impl.h"

#include "s3/complete_body.h"
#include "s3/headers.h"
#include "s3/ops_impl.h"
#include "s3/responses.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define S_MIB ((uint64_t)1024 * 1024)
/* S3 copies at most 5 GiB with one CopyObject. */
#define S_COPY_OBJECT_MAX ((uint64_t)5 * 1024 * 1024 * 1024)
/* Copy answers are a few hundred bytes (AWS may pad a slow CopyObject with whitespace). */
#define S_ANSWER_MAX ((size_t)256 * 1024)

enum s_stage { S_HEAD, S_PROBE, S_SINGLE, S_CREATE, S_PARTS, S_VERIFY, S_COMPLETE, S_ABORT, S_DONE };
enum s_part_state { P_IDLE, P_COPYING, P_WAITING /* got 412; sent again once the CHECK says so */, P_DONE };

struct s_copy;

struct s_part {
    struct s_copy *c;
    uint32_t index; /* part number index + 1 */
    enum s_part_state state;
    uint64_t first; /* source byte range, inclusive */
    uint64_t last;
    struct s3x_s3_request *req;
    char *etag;
};

struct s_copy {
    struct s3x_transfer *t;
    enum s_stage stage;
    char *source_name; /* "s3://bucket/key", for messages */
    char *copy_source; /* the x-amz-copy-source value */
    /* the source, from its HEAD */
    uint64_t size;
    char *etag;
    char *last_modified; /* raw, NULL when not sent */
    struct s3x__op_headers forward; /* sent with CreateMultipartUpload */
    const char *content_type;       /* within `forward` */
    int head_status;                /* a 404 HEAD, kept while the PROBE runs */
    char *head_request_id;
    /* the copy */
    bool single;
    bool unguarded; /* the server cannot evaluate x-amz-copy-source-if-match */
    bool checking;  /* a CHECK is in flight */
    bool verified;  /* unguarded: the VERIFY found the source unchanged */
    uint64_t part_size;
    uint32_t num_parts;
    struct s_part *parts;
    uint32_t next_part;
    uint32_t requeued; /* parts back in IDLE below next_part */
    uint32_t in_flight;
    uint32_t parts_done;
    uint32_t window;
    uint32_t active;
    bool failing;
    struct s3x_s3_request *control;
    bool control_cancelable;
    char *upload_id;
    struct s3x_s3_buf complete_body;
    char *new_etag;
};

static void s_maybe_advance(struct s_copy *c);
static void s_pump(struct s_copy *c);
static void s_start_single(struct s_copy *c);

/* Records a failure (the first wins) and stops what can be stopped; the caller advances. */
static void s_fail(struct s_copy *c, int error, const struct s3x_s3_error_info *info, const char *fmt, ...)
    S3X_PRINTF(4, 5);
static void s_fail(struct s_copy *c, int error, const struct s3x_s3_error_info *info, const char *fmt, ...) {
    char what[256]; /* s3x__transfer_fail keeps 256 */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    s3x__transfer_fail(c->t, error, 0, info, "%s", what);
    if (c->failing) {
        return;
    }
    c->failing = true;
    for (uint32_t i = 0; i < c->num_parts; ++i) {
        if (c->parts[i].state == P_COPYING) {
            s3x__s3_request_cancel(c->parts[i].req);
        }
    }
    if (c->control != NULL && c->control_cancelable) {
        s3x__s3_request_cancel(c->control);
    }
}

static void s_count(struct s_copy *c, struct s3x_s3_request *req) {
    const struct s3x_http_result *res = s3x__http_request_result(s3x__s3_request_http(req));
    s3x__transfer_count_request(c->t, res != NULL ? res->attempts : 1);
}

/* Submits a request (to the destination unless o->bucket is set) with a bounded memory sink. */
static int s_submit(struct s_copy *c, struct s3x_s3_request_options *o, struct s3x_s3_request **out) {
    if (o->bucket == NULL) {
        o->bucket = c->t->bucket;
        o->key = c->t->key;
    }
    o->sink = (struct s3x_http_sink){.kind = S3X_HTTP_SINK_MEMORY, .max_bytes = S_ANSWER_MAX};
    int rc = s3x__s3_request_new(&c->t->client->s3, o, out);
    if (rc == 0) {
        rc = s3x__s3_request_submit(*out);
    }
    if (rc != 0) {
        *out = s3x__s3_request_release(*out);
        return rc;
    }
    c->active++;
    return 0;
}

static int s_control(struct s_copy *c, struct s3x_s3_request_options *o, bool cancelable) {
    o->user_data = c;
    c->control_cancelable = cancelable;
    return s_submit(c, o, &c->control);
}

/* The end of a control request: counted, released. */
static void s_control_done(struct s_copy *c, struct s3x_s3_request *req) {
    c->active--;
    s_count(c, req);
    c->control = s3x__s3_request_release(c->control);
}

/* The ETag of a <CopyObjectResult> / <CopyPartResult> answer (a 200 that cannot be read proves
 * nothing: HTTP_PROTOCOL). */
static int s_copy_answer_etag(struct s_copy *c, struct s3x_s3_request *req, char **out) {
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
    struct s3x_s3_copy_result cr;
    int rc = s3x__s3_copy_result_parse(c->t->allocator, body, len, &cr, NULL);
    if (rc != 0) {
        return rc == S3X_ERR_PARSE ? S3X_ERR_HTTP_PROTOCOL : rc;
    }
    bool ok = cr.etag != NULL && cr.etag[0] != '\0';
    if (ok) {
        *out = cr.etag;
        cr.etag = NULL;
    }
    s3x__s3_copy_result_clean_up(c->t->allocator, &cr);
    return ok ? 0 : S3X_ERR_HTTP_PROTOCOL;
}

/* --- the CHECK: has the source changed? (HeadObject If-Match) --------------------------------- */

static void s_on_check(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s_copy *c = user;
    const char *lm = s3x__http_request_response_header(s3x__s3_request_http(req), "last-modified");
    bool changed = error == S3X_ERR_S3_PRECONDITION_FAILED || error == S3X_ERR_S3_NO_SUCH_KEY ||
                   (error == 0 && c->last_modified != NULL && (lm == NULL || strcmp(lm, c->last_modified) != 0));
    s_control_done(c, req);
    c->checking = false;
    if (changed) {
        s_fail(c, S3X_ERR_TRANSFER_OBJECT_CHANGED, NULL, "the source %s changed during the copy", c->source_name);
    } else if (error != 0 && (error != S3X_ERR_CANCELED || !c->failing)) {
        s_fail(c, error, info, "HeadObject of the source %s failed", c->source_name);
    } else if (error == 0 && !c->failing && c->stage == S_VERIFY) {
        c->verified = true;
        c->stage = c->single ? S_DONE : S_PARTS; /* PARTS with every part done: Complete is next */
    } else if (error == 0 && !c->failing) {
        S3X_LOG_WARNF("copy", "%s: the server refuses x-amz-copy-source-if-match although the source is unchanged; "
                              "copying without it and checking the source again at the end",
            c->source_name);
        c->unguarded = true;
        for (uint32_t i = 0; i < c->num_parts; ++i) {
            if (c->parts[i].state == P_WAITING) {
                c->parts[i].state = P_IDLE;
                c->requeued++;
            }
        }
        if (c->single) {
            s_start_single(c);
        } else {
            s_pump(c);
        }
    }
    s_maybe_advance(c);
}

static void s_start_check(struct s_copy *c) {
    struct s3x_sigv4_header headers[1] = {{"If-Match", c->etag}};
    struct s3x_s3_request_options o = {.method = "HEAD", .bucket = c->t->source_bucket, .key = c->t->source_key,
        .headers = headers, .header_count = 1, .on_done = s_on_check};
    c->checking = true;
    int rc = s_control(c, &o, true);
    if (rc != 0) {
        c->checking = false;
        s_fail(c, rc, NULL, "HeadObject of the source %s could not be sent", c->source_name);
    }
}

/* --- parts ------------------------------------------------------------------------------------ */

static void s_on_part(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s_part *p = user;
    struct s_copy *c = p->c;
    c->active--;
    c->in_flight--;
    s_count(c, req);
    if (error == 0) {
        error = s_copy_answer_etag(c, req, &p->etag);
    }
    p->req = s3x__s3_request_release(p->req);
    if (error == 0) {
        p->state = P_DONE;
        c->parts_done++;
        atomic_fetch_add(&c->t->parts_done, 1);
        s3x__transfer_progress(c->t, p->last - p->first + 1);
    } else if (error == S3X_ERR_S3_PRECONDITION_FAILED && !c->failing) {
        p->state = c->unguarded ? P_IDLE : P_WAITING; /* sent guarded before the CHECK decided */
        c->requeued += c->unguarded ? 1 : 0;
        if (!c->unguarded && !c->checking) {
            s_start_check(c);
        }
    } else {
        p->state = P_IDLE;
        if (error != S3X_ERR_CANCELED || !c->failing) {
            s_fail(c, error, info, "UploadPartCopy from %s failed (part %" PRIu32 " of %" PRIu32 ")", c->source_name,
                p->index + 1, c->num_parts);
        }
    }
    s_pump(c);
    s_maybe_advance(c);
}

static int s_start_part(struct s_copy *c, struct s_part *p) {
    char range[64];
    snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64, p->first, p->last);
    char number[16];
    snprintf(number, sizeof(number), "%" PRIu32, p->index + 1);
    struct s3x_query_param query[2] = {{"partNumber", number}, {"uploadId", c->upload_id}};
    struct s3x_sigv4_header headers[3] = {
        {"x-amz-copy-source", c->copy_source}, {"x-amz-copy-source-range", range},
        {"x-amz-copy-source-if-match", c->etag}};
    struct s3x_s3_request_options o = {.method = "PUT", .query = query, .query_count = 2, .headers = headers,
        .header_count = c->unguarded ? 2 : 3, .error_in_200 = true, .on_done = s_on_part, .user_data = p};
    int rc = s_submit(c, &o, &p->req);
    if (rc == 0) {
        p->state = P_COPYING;
        c->in_flight++;
    }
    return rc;
}

/* The next part to send: one sent again after a 412 first, else the next new one. */
static struct s_part *s_next_part(struct s_copy *c) {
    if (c->requeued > 0) {
        for (uint32_t i = 0; i < c->next_part; ++i) {
            if (c->parts[i].state == P_IDLE) {
                c->requeued--;
                return &c->parts[i];
            }
        }
        c->requeued = 0;
    }
    return c->next_part < c->num_parts ? &c->parts[c->next_part++] : NULL;
}

static void s_pump(struct s_copy *c) {
    while (c->stage == S_PARTS && !c->failing && !c->checking && c->in_flight < c->window) {
        struct s_part *p = s_next_part(c);
        if (p == NULL) {
            return;
        }
        int rc = s_start_part(c, p);
        if (rc != 0) {
            s_fail(c, rc, NULL, "UploadPartCopy from %s could not be sent (part %" PRIu32 " of %" PRIu32 ")",
                c->source_name, p->index + 1, c->num_parts);
        }
    }
}

/* --- control requests: CopyObject, create, complete, abort ---------------------------------- */

static void s_on_single(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s_copy *c = user;
    if (error == 0) {
        error = s_copy_answer_etag(c, req, &c->new_etag);
    }
    s_control_done(c, req);
    if (error == 0 && c->failing) {
        /* canceled as the answer came: the transfer reports the cancel */
    } else if (error == 0) {
        atomic_store(&c->t->parts_done, 1);
        s3x__transfer_progress(c->t, c->size);
        c->stage = c->unguarded && !c->verified ? S_VERIFY : S_DONE;
        if (c->stage == S_VERIFY) {
            s_start_check(c);
        }
    } else if (error == S3X_ERR_S3_PRECONDITION_FAILED && !c->failing && !c->unguarded) {
        s_start_check(c);
    } else if (error != S3X_ERR_CANCELED || !c->failing) {
        s_fail(c, error == S3X_ERR_S3_PRECONDITION_FAILED ? S3X_ERR_TRANSFER_OBJECT_CHANGED : error, info,
            "CopyObject from %s failed", c->source_name);
    }
    s_maybe_advance(c);
}

static void s_start_single(struct s_copy *c) {
    struct s3x_sigv4_header headers[3] = {{"x-amz-copy-source", c->copy_source},
        {"x-amz-metadata-directive", "COPY"}, {"x-amz-copy-source-if-match", c->etag}};
    struct s3x_s3_request_options o = {.method = "PUT", .headers = headers, .header_count = c->unguarded ? 2 : 3,
        .error_in_200 = true, .on_done = s_on_single};
    int rc = s_control(c, &o, true);
    if (rc != 0) {
        s_fail(c, rc, NULL, "CopyObject from %s could not be sent", c->source_name);
    }
}

static void s_on_created(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s_copy *c = user;
    if (error == 0) {
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
        struct s3x_s3_initiate_multipart_upload r;
        error = s3x__s3_initiate_multipart_upload_parse(c->t->allocator, body, len, &r);
        if (error == 0) {
            c->upload_id = r.upload_id; /* kept even when failing meanwhile: it must be aborted */
            r.upload_id = NULL;
            s3x__s3_initiate_multipart_upload_clean_up(c->t->allocator, &r);
            if (c->upload_id[0] == '\0') { /* required by the parser, but empty: nothing to abort */
                s3x_mem_release(c->t->allocator, c->upload_id);
                c->upload_id = NULL;
                error = S3X_ERR_HTTP_PROTOCOL;
            }
        } else if (error == S3X_ERR_PARSE) {
            error = S3X_ERR_HTTP_PROTOCOL;
        }
    }
    s_control_done(c, req);
    if (error != 0) {
        s_fail(c, error, info, "CreateMultipartUpload for the copy of %s failed", c->source_name);
    } else {
        S3X_LOG_DEBUGF("copy", "multipart upload %s: %" PRIu32 " parts of %" PRIu64 " bytes from %s", c->upload_id,
            c->num_parts, c->part_size, c->source_name);
        c->stage = S_PARTS;
        s_pump(c);
    }
    s_maybe_advance(c);
}

static void s_start_create(struct s_copy *c) {
    c->stage = S_CREATE;
    struct s3x_query_param query[1] = {{"uploads", NULL}};
    struct s3x_s3_request_options o = {.method = "POST", .query = query, .query_count = 1,
        .headers = c->forward.items, .header_count = c->forward.count, .on_done = s_on_created};
    int rc = s_control(c, &o, false);
    if (rc != 0) {
        s_fail(c, rc, NULL, "CreateMultipartUpload for the copy of %s could not be sent", c->source_name);
    }
}

static void s_on_completed(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s_copy *c = user;
    if (error == 0) {
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
        struct s3x_s3_complete_multipart_upload r;
        error = s3x__s3_complete_multipart_upload_parse(c->t->allocator, body, len, &r);
        if (error == 0) {
            c->new_etag = r.etag;
            r.etag = NULL;
            s3x__s3_complete_multipart_upload_clean_up(c->t->allocator, &r);
            error = c->new_etag != NULL ? 0 : S3X_ERR_HTTP_PROTOCOL;
        } else if (error == S3X_ERR_PARSE) {
            error = S3X_ERR_HTTP_PROTOCOL;
        }
    }
    s_control_done(c, req);
    if (error != 0) {
        s_fail(c, error, info, "CompleteMultipartUpload of the copy of %s failed", c->source_name);
    } else {
        c->stage = S_DONE;
    }
    s_maybe_advance(c);
}

static int s_start_complete(struct s_copy *c) {
    struct s3x_s3_complete_part *parts = s3x_mem_calloc(c->t->allocator, c->num_parts, sizeof(*parts));
    if (parts == NULL) {
        return S3X_ERR_OOM;
    }
    for (uint32_t i = 0; i < c->num_parts; ++i) {
        parts[i].part_number = i + 1;
        parts[i].etag = c->parts[i].etag;
    }
    /* No checksums: the server computed the parts' data, the client never saw it. */
    int rc = s3x__s3_complete_body_write(parts, c->num_parts, false, &c->complete_body);
    s3x_mem_release(c->t->allocator, parts);
    if (rc != 0) {
        return rc;
    }
    c->stage = S_COMPLETE;
    struct s3x_query_param query[1] = {{"uploadId", c->upload_id}};
    /* S3 ignores the Content-Type of Complete; OpenStack Swift gives it to the object. */
    struct s3x_sigv4_header headers[1] = {{"Content-Type", c->content_type}};
    struct s3x_s3_request_options o = {.method = "POST", .query = query, .query_count = 1, .headers = headers,
        .header_count = 1, .body = {.kind = S3X_HTTP_BODY_MEMORY, .data = (const uint8_t *)c->complete_body.data,
        .len = c->complete_body.len}, .error_in_200 = true, .on_done = s_on_completed};
    return s_control(c, &o, false);
}

static void s_on_aborted(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    S3X_UNUSED(info);
    struct s_copy *c = user;
    s_control_done(c, req);
    if (error != 0 && error != S3X_ERR_S3_NO_SUCH_UPLOAD) {
        S3X_LOG_WARNF("copy", "AbortMultipartUpload of %s failed: %s; parts may remain", c->upload_id,
            s3x_error_name(error));
    }
    c->stage = S_DONE;
    s_maybe_advance(c);
}

static void s_finish(struct s_copy *c) {
    c->stage = S_DONE;
    s3x__transfer_complete(c->t, c->size, c->failing ? NULL : c->new_etag);
}

/* Moves on when nothing is in flight: abort or finish after a failure, Complete (or VERIFY)
 * after the last part, finish after the last request. */
static void s_maybe_advance(struct s_copy *c) {
    if (c->active > 0 || c->t->finished) {
        return;
    }
    if (c->failing) {
        if (c->upload_id != NULL && c->stage != S_ABORT && c->stage != S_DONE) {
            c->stage = S_ABORT;
            struct s3x_query_param query[1] = {{"uploadId", c->upload_id}};
            struct s3x_s3_request_options o = {.method = "DELETE", .query = query, .query_count = 1,
                .on_done = s_on_aborted};
            if (s_control(c, &o, false) == 0) {
                return;
            }
            S3X_LOG_WARNF("copy", "AbortMultipartUpload of %s could not be sent", c->upload_id);
        }
        s_finish(c);
        return;
    }
    if (c->stage == S_DONE) {
        s_finish(c);
        return;
    }
    if (c->stage != S_PARTS || c->parts_done < c->num_parts) {
        return;
    }
    if (c->unguarded && !c->verified) {
        c->stage = S_VERIFY;
        s_start_check(c);
    } else {
        int rc = s_start_complete(c);
        if (rc != 0) {
            s_fail(c, rc, NULL, "CompleteMultipartUpload of the copy of %s could not be sent", c->source_name);
        }
    }
    if (c->failing) {
        s_maybe_advance(c);
    }
}

/* --- the source ------------------------------------------------------------------------------ */

/* Keeps a header of the source for CreateMultipartUpload: one allocation holds the value, then
 * the name (the forward list owns the value pointer, so both go with it). */
static int s_forward(struct s_copy *c, const char *name, const char *value) {
    size_t nl = strlen(name);
    size_t vl = strlen(value);
    char *block = s3x_mem_acquire(c->t->allocator, vl + 1 + nl + 1);
    if (block == NULL) {
        return S3X_ERR_OOM;
    }
    memcpy(block, value, vl + 1);
    memcpy(block + vl + 1, name, nl + 1);
    return s3x__op_headers_add_owned(&c->forward, block + vl + 1, block);
}

static int s_dup(struct s_copy *c, const char *s, char **out) {
    *out = s != NULL ? s3x_mem_strdup(c->t->allocator, s) : NULL;
    return s == NULL || *out != NULL ? 0 : S3X_ERR_OOM;
}

/* What the HEAD of the source says. Returns 0, HTTP_PROTOCOL (no size or ETag), OOM. */
static int s_read_source(struct s_copy *c, struct s3x_http_request *http) {
    static const char *const kept[] = {"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language",
        "Expires", "x-amz-website-redirect-location"};
    const char *cl = s3x__http_request_response_header(http, "content-length");
    const char *etag = s3x__http_request_response_header(http, "etag");
    if (cl == NULL || s3x__s3_parse_content_length(cl, strlen(cl), &c->size) != 0 || etag == NULL || etag[0] == '\0') {
        return S3X_ERR_HTTP_PROTOCOL;
    }
    int rc = s_dup(c, etag, &c->etag);
    if (rc == 0) {
        rc = s_dup(c, s3x__http_request_response_header(http, "last-modified"), &c->last_modified);
    }
    const char *type = s3x__http_request_response_header(http, "content-type");
    if (rc == 0) {
        rc = s_forward(c, "Content-Type", type != NULL ? type : "binary/octet-stream");
        c->content_type = rc == 0 ? c->forward.items[c->forward.count - 1].value : NULL;
    }
    for (size_t i = 0; rc == 0 && i < S3X_ARRAY_LEN(kept); ++i) {
        const char *v = s3x__http_request_response_header(http, kept[i]);
        rc = v != NULL ? s_forward(c, kept[i], v) : 0;
    }
    size_t n = s3x__http_request_response_header_count(http);
    for (size_t i = 0; rc == 0 && i < n; ++i) {
        const char *name;
        const char *value;
        if (s3x__http_request_response_header_at(http, i, &name, &value) &&
            strncasecmp(name, "x-amz-meta-", 11) == 0 && name[11] != '\0') {
            rc = s_forward(c, name, value);
        }
    }
    return rc;
}

/* Single CopyObject or multipart: the plan, the metrics' totals. */
static int s_plan(struct s_copy *c) {
    struct s3x_client *client = c->t->client;
    atomic_store(&c->t->bytes_total, c->size);
    c->single = c->size == 0 || (c->size < client->multipart_threshold && c->size <= S_COPY_OBJECT_MAX);
    if (c->single) {
        atomic_store(&c->t->parts_total, 1);
        return 0;
    }
    c->part_size = client->part_size;
    uint64_t min_part = (c->size + S3X_MAX_PARTS - 1) / S3X_MAX_PARTS;
    if (min_part > c->part_size) {
        c->part_size = (min_part + S_MIB - 1) / S_MIB * S_MIB;
    }
    if (c->part_size > S3X_PART_SIZE_MAX) {
        return S3X_ERR_TRANSFER_TOO_MANY_PARTS;
    }
    c->num_parts = (uint32_t)((c->size + c->part_size - 1) / c->part_size);
    c->parts = s3x_mem_calloc(c->t->allocator, c->num_parts, sizeof(*c->parts));
    if (c->parts == NULL) {
        c->num_parts = 0;
        return S3X_ERR_OOM;
    }
    for (uint32_t i = 0; i < c->num_parts; ++i) {
        struct s_part *p = &c->parts[i];
        p->c = c;
        p->index = i;
        p->first = (uint64_t)i * c->part_size;
        p->last = S3X_MIN(p->first + c->part_size, c->size) - 1;
    }
    atomic_store(&c->t->parts_total, c->num_parts);
    return 0;
}

static void s_on_probe(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    S3X_UNUSED(info);
    struct s_copy *c = user;
    int status = s3x__http_request_status(s3x__s3_request_http(req));
    s_control_done(c, req);
    if (error == S3X_ERR_CANCELED && c->failing) {
        s_maybe_advance(c);
        return;
    }
    /* As HeadObject in ops_object.c: the bucket answers -> the key is missing; 404 -> the bucket. */
    bool bucket = error != 0 && status == 404;
    static char no_such_key[] = "NoSuchKey";
    static char no_such_bucket[] = "NoSuchBucket";
    struct s3x_s3_error_info named = {.error = bucket ? S3X_ERR_S3_NO_SUCH_BUCKET : S3X_ERR_S3_NO_SUCH_KEY,
        .http_status = c->head_status, .code = bucket ? no_such_bucket : no_such_key,
        .request_id = c->head_request_id};
    s_fail(c, named.error, &named, "HeadObject of the source %s failed", c->source_name);
    s_maybe_advance(c);
}

/* A 404 to the HEAD: which of bucket or key is missing? Returns true when the PROBE was sent. */
static bool s_start_probe(struct s_copy *c, const struct s3x_s3_error_info *info) {
    c->head_status = info->http_status;
    if (s_dup(c, info->request_id, &c->head_request_id) != 0) {
        return false;
    }
    c->stage = S_PROBE;
    struct s3x_s3_request_options o = {.method = "HEAD", .bucket = c->t->source_bucket, .on_done = s_on_probe};
    return s_control(c, &o, true) == 0;
}

static void s_on_head(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s_copy *c = user;
    if (error == 0 && !c->failing) {
        error = s_read_source(c, s3x__s3_request_http(req));
        info = NULL;
    }
    bool missing = error == S3X_ERR_S3_NO_SUCH_KEY && info != NULL && info->code == NULL;
    s_control_done(c, req);
    if (c->failing) {
        s_maybe_advance(c); /* canceled meanwhile */
        return;
    }
    if (missing && s_start_probe(c, info)) {
        return;
    }
    if (error == 0) {
        error = s_plan(c);
        if (error != 0) {
            s_fail(c, error, NULL, "%s (%" PRIu64 " bytes) cannot be copied", c->source_name, c->size);
        } else if (c->single) {
            c->stage = S_SINGLE;
            s_start_single(c);
        } else {
            s_start_create(c);
        }
    } else {
        s_fail(c, error, info, "HeadObject of the source %s failed", c->source_name);
    }
    s_maybe_advance(c);
}

/* --- the vtable ------------------------------------------------------------------------------ */

static int s_init(struct s3x_transfer *t) {
    struct s_copy *c = s3x_mem_calloc(t->allocator, 1, sizeof(*c));
    if (c == NULL) {
        return S3X_ERR_OOM;
    }
    t->impl = c;
    c->t = t;
    c->window = S3X_MAX(t->client->max_connections, 1);
    s3x__op_headers_init(&c->forward, t->allocator);
    s3x__s3_buf_init(&c->complete_body, t->allocator);
    size_t n = strlen(t->source_bucket) + strlen(t->source_key) + sizeof("s3:///");
    c->source_name = s3x_mem_acquire(t->allocator, n);
    if (c->source_name == NULL) {
        return S3X_ERR_OOM;
    }
    snprintf(c->source_name, n, "s3://%s/%s", t->source_bucket, t->source_key);
    return s3x__op_copy_source(t->allocator, t->source_bucket, t->source_key, NULL, &c->copy_source);
}

static void s_start(struct s3x_transfer *t) {
    struct s_copy *c = t->impl;
    struct s3x_s3_request_options o = {.method = "HEAD", .bucket = t->source_bucket, .key = t->source_key,
        .on_done = s_on_head};
    int rc = s_control(c, &o, true);
    if (rc != 0) {
        s_fail(c, rc, NULL, "HeadObject of the source %s could not be sent", c->source_name);
        s_maybe_advance(c);
    }
}

static void s_cancel(struct s3x_transfer *t) {
    struct s_copy *c = t->impl;
    if (c->stage == S_COMPLETE && !c->failing) {
        S3X_LOG_INFOF("copy", "%s: canceled after CompleteMultipartUpload was sent; the copy completes",
            c->source_name);
        return;
    }
    s_fail(c, S3X_ERR_CANCELED, NULL, "the copy from %s", c->source_name);
    s_maybe_advance(c);
}

static void s_destroy(struct s3x_transfer *t) {
    struct s_copy *c = t->impl;
    struct s3x_allocator *a = t->allocator;
    for (uint32_t i = 0; i < c->num_parts; ++i) {
        s3x__s3_request_release(c->parts[i].req);
        s3x_mem_release(a, c->parts[i].etag);
    }
    s3x_mem_release(a, c->parts);
    s3x__s3_request_release(c->control);
    s3x__op_headers_clean_up(&c->forward);
    s3x__s3_buf_clean_up(&c->complete_body);
    s3x_mem_release(a, c->source_name);
    s3x_mem_release(a, c->copy_source);
    s3x_mem_release(a, c->etag);
    s3x_mem_release(a, c->last_modified);
    s3x_mem_release(a, c->head_request_id);
    s3x_mem_release(a, c->upload_id);
    s3x_mem_release(a, c->new_etag);
    s3x_mem_release(a, c);
    t->impl = NULL;
}

/* No `pause`: a copy cannot be resumed (t->pausable stays false). */
const struct s3x_transfer_vtable s3x__copy_vtable = {
    .init = s_init,
    .start = s_start,
    .cancel = s_cancel,
    .destroy = s_destroy,
};
