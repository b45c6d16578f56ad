/* Upload (single PutObject or multipart) through the pool.
 *
 * Sources: a regular file (size known: parts are read in parallel by offset with pread) or a
 * stream (the read callback, or a file that is not regular such as a pipe: parts are filled in
 * order, one read at a time). Each part: reserve -> (granted) claim -> read + checksum on an I/O
 * thread -> UploadPart with the buffer as body -> ETag kept, ticket released.
 *
 * Known size below the multipart threshold: one PutObject. A stream whose first part ends before
 * the buffer is full: one PutObject too. Otherwise CreateMultipartUpload first (while the first
 * parts are already being reserved and read: a part that is ready before the upload id is known
 * waits), parts in parallel within `window`, then CompleteMultipartUpload. Once an upload id
 * exists, any failure or cancel ends with AbortMultipartUpload when nothing is in flight, so no
 * orphaned parts remain.
 *
 * Part size: the client's, raised for a known size so that at most 10,000 parts are needed
 * (rounded up to 1 MiB). Example: 100 GiB with 8 MiB parts would need 12,800 parts, so parts of
 * ceil(100 GiB / 10,000) = 10.24 MiB -> 11 MiB are used (9,310 parts). A stream keeps the client's
 * part size and fails with S3X_ERR_TRANSFER_TOO_MANY_PARTS when data remains after part 10,000.
 *
 * Part states: RESERVING -> READING -> READY -> UPLOADING -> DONE. `active` counts parts in
 * RESERVING, READING and UPLOADING plus a control request (create/complete/abort) in flight.
 *
 * The request side (part uploads, create, complete, abort, completion) is shared with pushed
 * writes (push.c) through put_impl.h: a source with hooks (`u->source`) hands over filled stream
 * parts with s3x__put_part_filled and decides what happens to a part's buffer after its upload.
 */
#include "put_impl.h"

#include "s3/responses.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MIB ((uint64_t)1024 * 1024)

static void s_upload_ready(struct s3x__put *u);

void s3x__put_fail_ex(struct s3x__put *u, int error, int cause, const struct s3x_s3_error_info *info, const char *what,
    bool let_finish) {
    s3x__transfer_fail(u->t, error, cause, info, "%s", what);
    if (u->failing) {
        return;
    }
    u->failing = true;
    for (uint32_t i = 0; i < u->num_parts; ++i) {
        struct s3x__upart *p = u->parts[i];
        if (p->state == S3X__UPART_RESERVING) {
            s3x_future_complete_error(p->reservation, S3X_ERR_CANCELED);
        } else if (p->state == S3X__UPART_UPLOADING && !let_finish) {
            s3x__s3_request_cancel(p->req);
        }
    }
    /* A control request in flight (create, complete) is left to finish: cancelling a create the
     * server already executed would leave an upload nobody aborts. */
    if (u->source != NULL) {
        u->source->on_fail(u);
    }
}

void s3x__put_fail(struct s3x__put *u, int error, int cause, const struct s3x_s3_error_info *info, const char *what) {
    s3x__put_fail_ex(u, error, cause, info, what, false);
}

static void s_release_buffer(struct s3x__put *u, struct s3x__upart *p) {
    if (p->ticket != NULL && u->source != NULL) {
        u->source->release_buffer(u, p);
    } else if (p->ticket != NULL) {
        s3x__transfer_unhold(u->t, p->capacity);
        p->ticket = s3x_ticket_release(p->ticket);
        p->buf = NULL;
    }
}

void s3x__put_count_attempts(struct s3x__put *u, struct s3x_s3_request *req) {
    const struct s3x_http_result *res = s3x__http_request_result(s3x__s3_request_http(req));
    s3x__transfer_count_request(u->t, res != NULL ? res->attempts : 1);
}

/* The object's type: the caller's, else S3's default for objects. */
static const char *s_content_type(const struct s3x__put *u) {
    return u->t->content_type != NULL ? u->t->content_type : "binary/octet-stream";
}


/* Adds a part slot (stream parts are created as they are reached). */
struct s3x__upart *s3x__put_add_part(struct s3x__put *u) {
    if (u->num_parts == u->parts_cap) {
        uint32_t cap = u->parts_cap == 0 ? 16 : u->parts_cap * 2;
        struct s3x__upart **grown =
            s3x_mem_realloc(u->t->allocator, u->parts, u->parts_cap * sizeof(*grown), cap * sizeof(*grown));
        if (grown == NULL) {
            return NULL;
        }
        u->parts = grown;
        u->parts_cap = cap;
    }
    struct s3x__upart *p = s3x_mem_calloc(u->t->allocator, 1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    p->u = u;
    p->index = u->num_parts;
    p->offset = (uint64_t)p->index * u->part_size;
    p->len = u->stream ? 0 : (size_t)S3X_MIN(u->part_size, u->size - p->offset);
    u->parts[u->num_parts++] = p;
    return p;
}

/* --- reading (I/O thread) --------------------------------------------------------------------- */

static int s_read_stream(struct s3x__put *u, struct s3x__upart *p) {
    struct s3x_transfer *t = u->t;
    size_t want = (size_t)u->part_size;
    while (p->len < want) {
        size_t got = 0;
        int rc;
        if (t->read != NULL) {
            rc = t->read(t, p->buf + p->len, want - p->len, &got, t->user_data);
        } else {
            ssize_t n = read(u->fd, p->buf + p->len, want - p->len);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            rc = n < 0 ? s3x__transfer_errno_error(errno) : 0;
            got = n < 0 ? 0 : (size_t)n;
        }
        if (rc != 0) {
            return rc;
        }
        if (got == 0) {
            p->eof = true;
            break;
        }
        p->len += got;
    }
    return 0;
}

static int s_read_positional(struct s3x__put *u, struct s3x__upart *p) {
    size_t done = 0;
    while (done < p->len) {
        ssize_t n = pread(u->fd, p->buf + done, p->len - done, (off_t)(p->offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return s3x__transfer_errno_error(errno);
        }
        if (n == 0) {
            return S3X_ERR_IO; /* the file shrank while it was being uploaded */
        }
        done += (size_t)n;
    }
    return 0;
}

static int s_checksum(struct s3x__put *u, struct s3x__upart *p) {
    enum s3x_checksum_algorithm alg = u->t->checksum;
    p->checksum[0] = '\0';
    if (alg == S3X_CHECKSUM_NONE) {
        return 0;
    }
    struct s3x_checksum_state st;
    struct s3x_checksum_value v;
    int rc = s3x_checksum_init(&st, alg);
    if (rc == 0) {
        rc = s3x_checksum_update(&st, p->buf, p->len);
    }
    if (rc == 0) {
        rc = s3x_checksum_final_value(&st, &v);
    }
    if (rc == 0) {
        rc = s3x_checksum_value_format(&v, p->checksum, sizeof(p->checksum));
    }
    s3x_checksum_clean_up(&st);
    return rc;
}

static void s_read_done_loop(struct s3x_task *task, int status);

static void s_read_io(struct s3x_task *task, int status) {
    struct s3x__upart *p = task->arg;
    struct s3x__put *u = p->u;
    int rc = status != 0 ? S3X_ERR_CANCELED : 0;
    if (rc == 0) {
        rc = u->stream ? s_read_stream(u, p) : s_read_positional(u, p);
    }
    if (rc == 0) {
        rc = s_checksum(u, p);
    }
    p->io_error = rc;
    s3x_task_init(&p->loop_task, s_read_done_loop, p);
    s3x_executor_post(s3x__client_loop(u->t->client), &p->loop_task);
}

static void s_start_read(struct s3x__put *u, struct s3x__upart *p) {
    p->state = S3X__UPART_READING;
    u->active++;
    if (u->stream) {
        u->reading = true;
    }
    s3x_task_init(&p->io_task, s_read_io, p);
    s3x_executor_post(s3x__client_io(u->t->client), &p->io_task);
}

/* Stream: starts the next read in order, if its part has its buffer. */
static void s_read_next(struct s3x__put *u) {
    if (!u->stream || u->reading || u->failing || u->next_read >= u->num_parts) {
        return;
    }
    struct s3x__upart *p = u->parts[u->next_read];
    if (p->state == S3X__UPART_IDLE && p->ticket != NULL) {
        s_start_read(u, p);
    }
}

/* A stream part holds its data: READY, counted, the end of the stream noted. Returns false when
 * the part fails the upload (data beyond max_parts). */
static bool s_stream_part_filled(struct s3x__put *u, struct s3x__upart *p) {
    p->state = S3X__UPART_READY;
    u->size += p->len;
    if (p->eof) {
        u->eof_seen = true;
        if (p->index == 0) {
            u->single = true; /* the whole stream fits one part */
        }
        atomic_store(&u->t->bytes_total, u->size);
        /* Parts reserved beyond the end are not needed. */
        for (uint32_t i = p->index + 1; i < u->num_parts; ++i) {
            struct s3x__upart *extra = u->parts[i];
            if (extra->state == S3X__UPART_RESERVING) {
                s3x_future_complete_error(extra->reservation, S3X_ERR_CANCELED);
            } else {
                s_release_buffer(u, extra);
                extra->state = S3X__UPART_DONE;
            }
        }
        if (p->len == 0 && p->index > 0) {
            s_release_buffer(u, p);
            p->state = S3X__UPART_DONE; /* an empty last part is not sent */
        }
    }
    if (p->index >= u->max_parts && p->len > 0) {
        char what[64];
        snprintf(what, sizeof(what), "the stream needs more than %u parts", u->max_parts);
        s3x__put_fail(u, S3X_ERR_TRANSFER_TOO_MANY_PARTS, 0, NULL, what);
        s_release_buffer(u, p);
        p->state = S3X__UPART_DONE;
        return false;
    }
    return true;
}

void s3x__put_part_filled(struct s3x__put *u, struct s3x__upart *p) {
    if (s_stream_part_filled(u, p)) {
        s_upload_ready(u);
    }
}

static void s_read_done_loop(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s3x__upart *p = task->arg;
    struct s3x__put *u = p->u;
    u->active--;
    if (u->stream) {
        u->reading = false;
        u->next_read++;
    }
    if (p->io_error != 0 || u->failing) {
        s_release_buffer(u, p);
        p->state = S3X__UPART_DONE;
        if (p->io_error != 0) {
            s3x__put_fail(u, p->io_error, 0, NULL, "reading the source failed");
        }
        s3x__put_maybe_advance(u);
        return;
    }
    if (u->stream && !s_stream_part_filled(u, p)) {
        s3x__put_maybe_advance(u);
        return;
    }
    p->state = S3X__UPART_READY;
    s_upload_ready(u);
    s3x__put_pump(u);
    s_read_next(u);
    s3x__put_maybe_advance(u);
}

/* --- reserving ----------------------------------------------------------------------------- */

static void s_on_reserved(struct s3x_future *f, void *user) {
    struct s3x__upart *p = user;
    S3X_UNUSED(f);
    struct s3x__put *u = p->u;
    u->active--;
    const char *what = NULL;
    bool wanted = !u->failing && !(u->stream && u->eof_seen);
    int rc = s3x__transfer_claim_part(u->t, &p->reservation, p->reserve_ns, wanted, u->stream ? u->part_size : p->len,
        &p->ticket, &p->buf, &p->capacity, &what);
    if (rc != 0) {
        p->state = S3X__UPART_DONE;
        if (what != NULL) {
            s3x__put_fail(u, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, what);
        }
        s3x__put_maybe_advance(u);
        return;
    }
    p->state = S3X__UPART_IDLE;
    if (u->stream) {
        s_read_next(u);
    } else {
        s_start_read(u, p);
    }
}

static int s_reserve(struct s3x__put *u, struct s3x__upart *p) {
    size_t size = (size_t)(u->stream ? u->part_size : p->len);
    if (size == 0) {
        p->state = S3X__UPART_READY; /* an empty object: nothing to hold */
        return 0;
    }
    p->state = S3X__UPART_RESERVING;
    u->active++;
    int rc = s3x__transfer_reserve(u->t, size, s_on_reserved, p, &p->reservation, &p->reserve_ns);
    if (rc != 0) {
        u->active--;
        p->state = S3X__UPART_DONE;
    }
    return rc;
}

void s3x__put_pump(struct s3x__put *u) {
    if (u->failing || u->stage != S3X__PUT_PARTS) {
        return;
    }
    if (u->source != NULL) {
        u->source->pump(u);
        return;
    }
    if (u->listing) {
        return; /* resuming: ListParts decides which parts go */
    }
    while (!u->failing) {
        bool more = u->stream ? (!u->eof_seen && u->next_reserve <= u->max_parts) : u->next_reserve < u->num_parts;
        /* parts in flight = parts below next_reserve that are not done */
        if (!more || u->next_reserve - (u->parts_done - u->skipped_ahead) >= u->window) {
            return;
        }
        struct s3x__upart *p = u->stream ? s3x__put_add_part(u) : u->parts[u->next_reserve];
        if (p == NULL) {
            s3x__put_fail(u, S3X_ERR_OOM, 0, NULL, "out of memory");
            return;
        }
        u->next_reserve++;
        if (p->state == S3X__UPART_DONE) {
            u->skipped_ahead--; /* the paused run sent it */
            continue;
        }
        int rc = s_reserve(u, p);
        if (rc != 0) {
            s3x__put_fail(u, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, "no part buffer");
            return;
        }
        if (p->state == S3X__UPART_READY) {
            s_upload_ready(u);
        }
    }
}

/* --- uploading ----------------------------------------------------------------------------- */

static void s_on_uploaded(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s3x__upart *p = user;
    struct s3x__put *u = p->u;
    const struct s3x_http_result *res = s3x__http_request_result(s3x__s3_request_http(req));
    s3x__transfer_count_request(u->t, res != NULL ? res->attempts : 1);
    u->active--;
    if (error == 0) {
        const char *etag = s3x__http_request_response_header(s3x__s3_request_http(req), "etag");
        if (etag == NULL || (p->etag = s3x_mem_strdup(u->t->allocator, etag)) == NULL) {
            error = etag == NULL ? S3X_ERR_HTTP_PROTOCOL : S3X_ERR_OOM;
        }
    }
    p->req = s3x__s3_request_release(p->req);
    s_release_buffer(u, p);
    p->state = S3X__UPART_DONE;
    if (error != 0) {
        s3x__put_fail(u, error, 0, info, u->single ? "PutObject failed" : "UploadPart failed");
    } else {
        u->parts_done++;
        atomic_fetch_add(&u->t->parts_done, 1);
        s3x__transfer_progress(u->t, p->len);
    }
    s3x__put_pump(u);
    s3x__put_maybe_advance(u);
}

static int s_start_upload(struct s3x__put *u, struct s3x__upart *p) {
    char number[16];
    snprintf(number, sizeof(number), "%u", p->index + 1);
    struct s3x_query_param query[2] = {{"partNumber", number}, {"uploadId", u->upload_id}};
    struct s3x_sigv4_header headers[2];
    size_t header_count = 0;
    if (p->checksum[0] != '\0') {
        headers[header_count++] = (struct s3x_sigv4_header){s3x_checksum_header_name(u->t->checksum), p->checksum};
    }
    if (u->single) {
        headers[header_count++] = (struct s3x_sigv4_header){"Content-Type", s_content_type(u)};
    }
    struct s3x_s3_request_options o = {
        .method = "PUT",
        .bucket = u->t->bucket,
        .key = u->t->key,
        .query = u->single ? NULL : query,
        .query_count = u->single ? 0 : 2,
        .headers = headers,
        .header_count = header_count,
        .body = {.kind = p->len > 0 ? S3X_HTTP_BODY_MEMORY : S3X_HTTP_BODY_NONE, .data = p->buf, .len = p->len},
        .payload_hash = p->len > 0 ? S3X_SIGV4_UNSIGNED_PAYLOAD : NULL,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY},
        .on_done = s_on_uploaded,
        .user_data = p,
    };
    int rc = s3x__s3_request_new(&u->t->client->s3, &o, &p->req);
    if (rc == 0) {
        rc = s3x__s3_request_submit(p->req);
    }
    if (rc != 0) {
        p->req = s3x__s3_request_release(p->req);
        return rc;
    }
    p->state = S3X__UPART_UPLOADING;
    u->active++;
    return 0;
}

static void s_start_create(struct s3x__put *u);

/* Uploads every READY part that can go now. */
static void s_upload_ready(struct s3x__put *u) {
    if (u->failing || u->stage != S3X__PUT_PARTS) {
        return;
    }
    if (!u->single && u->upload_id == NULL) {
        /* A part is ready: the multipart upload is needed now (unless the stream may still turn
         * out to fit one part). */
        bool decided = !u->stream || u->eof_seen || (u->num_parts > 0 && u->parts[0]->state == S3X__UPART_READY);
        if (decided && !u->create_sent) {
            s_start_create(u);
        }
        return;
    }
    for (uint32_t i = 0; i < u->num_parts; ++i) {
        struct s3x__upart *p = u->parts[i];
        if (p->state == S3X__UPART_READY) {
            int rc = s_start_upload(u, p);
            if (rc != 0) {
                s_release_buffer(u, p);
                p->state = S3X__UPART_DONE;
                s3x__put_fail(u, rc, 0, NULL, "the upload request could not be started");
                return;
            }
        }
    }
}

/* --- control requests: create, complete, abort ------------------------------------------------ */

static void s_on_created(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s3x__put *u = user;
    u->active--;
    s3x__put_count_attempts(u, req);
    if (error == 0) {
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
        struct s3x_s3_initiate_multipart_upload r;
        error = s3x__s3_initiate_multipart_upload_parse(u->t->allocator, body, len, &r);
        if (error == 0) {
            u->upload_id = r.upload_id;
            r.upload_id = NULL;
            s3x__s3_initiate_multipart_upload_clean_up(u->t->allocator, &r);
            if (u->upload_id[0] == '\0') { /* required by the parser, but empty: nothing to abort */
                s3x_mem_release(u->t->allocator, u->upload_id);
                u->upload_id = NULL;
                error = S3X_ERR_HTTP_PROTOCOL;
            }
        }
    }
    u->control = s3x__s3_request_release(u->control);
    if (error != 0) {
        s3x__put_fail(u, error, 0, info, "CreateMultipartUpload failed");
    } else {
        S3X_LOG_DEBUGF("put", "multipart upload %s started", u->upload_id);
        s_upload_ready(u);
    }
    s3x__put_maybe_advance(u);
}

int s3x__put_control(struct s3x__put *u, const char *method, const struct s3x_query_param *query, size_t query_count,
    const struct s3x_sigv4_header *headers, size_t header_count, const uint8_t *body, size_t body_len,
    bool error_in_200, s3x_s3_on_done_fn *on_done) {
    struct s3x_s3_request_options o = {
        .method = method,
        .bucket = u->t->bucket,
        .key = u->t->key,
        .query = query,
        .query_count = query_count,
        .headers = headers,
        .header_count = header_count,
        .body = {.kind = body != NULL ? S3X_HTTP_BODY_MEMORY : S3X_HTTP_BODY_NONE, .data = body, .len = body_len},
        .sink = {.kind = S3X_HTTP_SINK_MEMORY},
        .error_in_200 = error_in_200,
        .on_done = on_done,
        .user_data = u,
    };
    int rc = s3x__s3_request_new(&u->t->client->s3, &o, &u->control);
    if (rc == 0) {
        rc = s3x__s3_request_submit(u->control);
    }
    if (rc != 0) {
        u->control = s3x__s3_request_release(u->control);
        return rc;
    }
    u->active++;
    return 0;
}

/* The CRCs give the object a FULL_OBJECT checksum: the CRC of all its bytes, which S3 checks at
 * Complete. SHA-1/SHA-256 can only be COMPOSITE (a hash of the parts' digests). */
static bool s_full_object_checksum(const struct s3x__put *u) {
    return s3x_checksum_supports_type(u->t->checksum, S3X_CHECKSUM_TYPE_FULL_OBJECT);
}

/* Folds the parts' CRCs, in order, into the object's: crc(A||B) from crc(A), crc(B), len(B).
 * Example: parts of 8 MiB and 3 bytes -> combine(combine(0, crc1, 8 MiB), crc2, 3). Writes the
 * base64 value into `out`; returns 0, or an error when a part has no checksum. */
static int s_full_object_value(const struct s3x__put *u, char *out, size_t out_size) {
    struct s3x_checksum_value acc;
    memset(&acc, 0, sizeof(acc));
    acc.algorithm = u->t->checksum;
    acc.digest_len = s3x_checksum_digest_size(u->t->checksum);
    for (uint32_t i = 0; i < u->num_parts; ++i) {
        const struct s3x__upart *p = u->parts[i];
        if (p->etag == NULL) {
            continue;
        }
        struct s3x_checksum_value v;
        int rc = s3x_checksum_value_parse(u->t->checksum, p->checksum, strlen(p->checksum), &v);
        if (rc == 0) {
            rc = s3x_checksum_value_combine(&acc, &v, p->len);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return s3x_checksum_value_format(&acc, out, out_size);
}

static void s_start_create(struct s3x__put *u) {
    u->create_sent = true;
    struct s3x_query_param query[1] = {{"uploads", NULL}};
    struct s3x_sigv4_header headers[3];
    size_t n = 0;
    if (u->t->checksum != S3X_CHECKSUM_NONE) {
        headers[n++] = (struct s3x_sigv4_header){"x-amz-checksum-algorithm", s3x_checksum_api_name(u->t->checksum)};
    }
    if (s_full_object_checksum(u)) {
        headers[n++] = (struct s3x_sigv4_header){"x-amz-checksum-type", "FULL_OBJECT"};
    }
    headers[n++] = (struct s3x_sigv4_header){"Content-Type", s_content_type(u)};
    int rc = s3x__put_control(u, "POST", query, 1, headers, n, NULL, 0, false, s_on_created);
    if (rc != 0) {
        s3x__put_fail(u, rc, 0, NULL, "CreateMultipartUpload could not be started");
    }
}

static void s_on_completed(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s3x__put *u = user;
    u->active--;
    s3x__put_count_attempts(u, req);
    if (error == 0) {
        size_t len = 0;
        const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
        struct s3x_s3_complete_multipart_upload r;
        /* A 200 whose body cannot be read (truncated, empty) does not prove the object exists. */
        error = s3x__s3_complete_multipart_upload_parse(u->t->allocator, body, len, &r);
        if (error == 0) {
            u->etag = r.etag;
            r.etag = NULL;
            s3x__s3_complete_multipart_upload_clean_up(u->t->allocator, &r);
        } else if (error == S3X_ERR_PARSE) {
            error = S3X_ERR_HTTP_PROTOCOL;
        }
    }
    u->control = s3x__s3_request_release(u->control);
    if (error != 0) {
        s3x__put_fail(u, error, 0, info, "CompleteMultipartUpload failed");
    } else {
        u->stage = S3X__PUT_FINISHED;
    }
    s3x__put_maybe_advance(u);
}

static int s_start_complete(struct s3x__put *u) {
    uint32_t n = 0;
    struct s3x_s3_complete_part *parts = s3x_mem_calloc(u->t->allocator, u->num_parts, sizeof(*parts));
    if (parts == NULL) {
        return S3X_ERR_OOM;
    }
    bool with_checksums = u->t->client->checksum_in_complete && u->t->checksum != S3X_CHECKSUM_NONE;
    for (uint32_t i = 0; i < u->num_parts; ++i) {
        struct s3x__upart *p = u->parts[i];
        if (p->etag == NULL) {
            continue; /* an empty trailing stream part that was never sent */
        }
        parts[n].part_number = p->index + 1;
        parts[n].etag = p->etag;
        switch (u->t->checksum) {
        case S3X_CHECKSUM_CRC32: parts[n].checksum_crc32 = p->checksum; break;
        case S3X_CHECKSUM_CRC32C: parts[n].checksum_crc32c = p->checksum; break;
        case S3X_CHECKSUM_CRC64NVME: parts[n].checksum_crc64nvme = p->checksum; break;
        case S3X_CHECKSUM_SHA1: parts[n].checksum_sha1 = p->checksum; break;
        case S3X_CHECKSUM_SHA256: parts[n].checksum_sha256 = p->checksum; break;
        default: break;
        }
        ++n;
    }
    int rc = s3x__s3_complete_body_write(parts, n, with_checksums, &u->complete_body);
    s3x_mem_release(u->t->allocator, parts);
    if (rc != 0) {
        return rc;
    }
    u->stage = S3X__PUT_COMPLETING;
    struct s3x_query_param query[1] = {{"uploadId", u->upload_id}};
    /* S3 ignores the Content-Type of Complete; OpenStack Swift gives it to the object. Send the
     * object's own type so both end up with it. */
    struct s3x_sigv4_header headers[3] = {{"Content-Type", s_content_type(u)}};
    size_t header_count = 1;
    char full[S3X_CHECKSUM_VALUE_TEXT_MAX];
    if (s_full_object_checksum(u) && s_full_object_value(u, full, sizeof(full)) == 0) {
        headers[header_count++] = (struct s3x_sigv4_header){s3x_checksum_header_name(u->t->checksum), full};
        headers[header_count++] = (struct s3x_sigv4_header){"x-amz-checksum-type", "FULL_OBJECT"};
    }
    return s3x__put_control(u, "POST", query, 1, headers, header_count, (const uint8_t *)u->complete_body.data,
        u->complete_body.len, true, s_on_completed);
}

static void s_on_aborted(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    S3X_UNUSED(req);
    S3X_UNUSED(info);
    struct s3x__put *u = user;
    u->active--;
    s3x__put_count_attempts(u, req);
    if (error != 0 && error != S3X_ERR_S3_NO_SUCH_UPLOAD) {
        S3X_LOG_WARNF("put", "AbortMultipartUpload of %s failed: %s; parts may remain", u->upload_id,
            s3x_error_name(error));
    }
    u->control = s3x__s3_request_release(u->control);
    u->stage = S3X__PUT_FINISHED;
    s3x__put_maybe_advance(u);
}

/* Moves to the next stage when nothing is in flight. */
void s3x__put_maybe_advance(struct s3x__put *u) {
    if (u->active > 0 || u->stage == S3X__PUT_ABORTING || (u->source != NULL && u->source->busy(u))) {
        return;
    }
    if (u->failing) {
        for (uint32_t i = 0; i < u->num_parts; ++i) {
            s_release_buffer(u, u->parts[i]);
        }
        if (u->pausing && s3x__put_finish_paused(u)) {
            return;
        }
        if (u->upload_id != NULL && u->stage != S3X__PUT_FINISHED) {
            u->stage = S3X__PUT_ABORTING;
            struct s3x_query_param query[1] = {{"uploadId", u->upload_id}};
            if (s3x__put_control(u, "DELETE", query, 1, NULL, 0, NULL, 0, false, s_on_aborted) == 0) {
                return;
            }
            S3X_LOG_WARNF("put", "AbortMultipartUpload of %s could not be sent", u->upload_id);
        }
        u->stage = S3X__PUT_FINISHED;
        s3x__transfer_complete(u->t, u->size, NULL);
        return;
    }
    if (u->stage == S3X__PUT_FINISHED) {
        s3x__transfer_complete(u->t, u->size, u->etag);
        return;
    }
    bool all_read = u->stream ? u->eof_seen : true;
    bool all_sent = true;
    for (uint32_t i = 0; i < u->num_parts; ++i) {
        if (u->parts[i]->state != S3X__UPART_DONE) {
            all_sent = false;
        }
    }
    if (u->stage != S3X__PUT_PARTS || !all_read || !all_sent || u->next_reserve < (u->stream ? 0 : u->num_parts)) {
        return;
    }
    if (u->single) {
        if (u->parts_done == 0 && u->num_parts > 0 && u->parts[0]->etag == NULL) {
            return;
        }
        u->etag = u->parts[0]->etag;
        u->parts[0]->etag = NULL;
        u->stage = S3X__PUT_FINISHED;
        s3x__transfer_complete(u->t, u->size, u->etag);
        return;
    }
    int rc = s_start_complete(u);
    if (rc != 0) {
        s3x__put_fail(u, rc, 0, NULL, "CompleteMultipartUpload could not be started");
        s3x__put_maybe_advance(u);
    }
}

/* --- the vtable ---------------------------------------------------------------------------- */

static int s_plan(struct s3x__put *u) {
    struct s3x_client *c = u->t->client;
    u->part_size = c->part_size;
    if (u->stream) {
        return 0;
    }
    if (u->size < c->multipart_threshold || u->size <= u->part_size) {
        u->single = true;
        u->part_size = S3X_MAX(u->size, 1);
        return s3x__put_add_part(u) == NULL ? S3X_ERR_OOM : 0;
    }
    uint64_t min_part = (u->size + S3X_MAX_PARTS - 1) / S3X_MAX_PARTS;
    if (min_part > u->part_size) {
        u->part_size = (min_part + S_MIB - 1) / S_MIB * S_MIB;
    }
    if (u->part_size > S3X_PART_SIZE_MAX) {
        return S3X_ERR_TRANSFER_TOO_MANY_PARTS;
    }
    uint64_t n = (u->size + u->part_size - 1) / u->part_size;
    for (uint64_t i = 0; i < n; ++i) {
        if (s3x__put_add_part(u) == NULL) {
            return S3X_ERR_OOM;
        }
    }
    return 0;
}

static int s_init(struct s3x_transfer *t) {
    struct s3x__put *u = s3x_mem_calloc(t->allocator, 1, sizeof(*u));
    if (u == NULL) {
        return S3X_ERR_OOM;
    }
    t->impl = u;
    s3x__put_init(u, t);
    if (t->read != NULL) {
        u->stream = true;
    } else {
        u->fd = open(t->file_path, O_RDONLY | O_CLOEXEC);
        if (u->fd < 0) {
            return s3x__transfer_errno_error(errno);
        }
        struct stat st;
        if (fstat(u->fd, &st) != 0) {
            return s3x__transfer_errno_error(errno);
        }
        if (S_ISDIR(st.st_mode)) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        u->stream = !S_ISREG(st.st_mode);
        u->size = u->stream ? 0 : (uint64_t)st.st_size;
        u->mtime_sec = (int64_t)st.st_mtim.tv_sec;
        u->mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
        if (!u->stream) {
            t->pausable = true;
            u->abs_path = s3x__resume_abs_path(t->allocator, t->file_path);
        }
        if (t->resume_token_in != NULL) {
            int rc = s3x__put_resume_init(u, &st);
            if (rc != 0 || u->upload_id != NULL) {
                atomic_store(&t->bytes_total, u->size);
                atomic_store(&t->parts_total, u->num_parts);
                return rc;
            }
        }
    }
    if (!u->stream) {
        atomic_store(&t->bytes_total, u->size);
    }
    int rc = s_plan(u);
    if (rc == 0 && !u->stream) {
        atomic_store(&t->parts_total, u->num_parts);
    }
    return rc;
}

static void s_start(struct s3x_transfer *t) {
    struct s3x__put *u = t->impl;
    u->stage = S3X__PUT_PARTS;
    if (u->listing) {
        s3x__put_start_list(u, 0);
    }
    s3x__put_pump(u);
    s3x__put_maybe_advance(u);
}

void s3x__put_cancel(struct s3x__put *u) {
    if (u->stage == S3X__PUT_COMPLETING && !u->failing) {
        /* CompleteMultipartUpload is on its way: the object may exist already, so the transfer
         * reports what Complete answers rather than a cancel that did not happen. */
        S3X_LOG_DEBUGF("put", "cancel ignored: CompleteMultipartUpload of %s was sent", u->upload_id);
        return;
    }
    s3x__put_fail(u, S3X_ERR_CANCELED, 0, NULL, "canceled");
    s3x__put_maybe_advance(u);
}

static void s_cancel(struct s3x_transfer *t) {
    s3x__put_cancel(t->impl);
}

void s3x__put_init(struct s3x__put *u, struct s3x_transfer *t) {
    u->t = t;
    u->fd = -1;
    u->stream = true;
    u->part_size = t->client->part_size;
    u->max_parts = S3X_MAX_PARTS;
    u->window = t->client->max_connections + 2;
    s3x__s3_buf_init(&u->complete_body, t->allocator);
}

void s3x__put_clean_up(struct s3x__put *u) {
    struct s3x_allocator *a = u->t->allocator;
    for (uint32_t i = 0; i < u->num_parts; ++i) {
        s3x_mem_release(a, u->parts[i]->etag);
        s3x_mem_release(a, u->parts[i]);
    }
    s3x_mem_release(a, u->parts);
    u->parts = NULL;
    u->num_parts = 0;
    s3x__s3_buf_clean_up(&u->complete_body);
    s3x_mem_release(a, u->upload_id);
    s3x_mem_release(a, u->etag);
    s3x_mem_release(a, u->abs_path);
    if (u->resume != NULL) {
        s3x__resume_clean_up(a, u->resume);
        s3x_mem_release(a, u->resume);
    }
    u->upload_id = NULL;
    u->etag = NULL;
    u->abs_path = NULL;
    u->resume = NULL;
}

static void s_destroy(struct s3x_transfer *t) {
    struct s3x__put *u = t->impl;
    if (u->fd >= 0) {
        close(u->fd);
    }
    s3x__put_clean_up(u);
    s3x_mem_release(t->allocator, u);
    t->impl = NULL;
}

const struct s3x_transfer_vtable s3x__put_vtable = {
    .init = s_init,
    .start = s_start,
    .cancel = s_cancel,
    .destroy = s_destroy,
    .pause = s3x__put_pause,
};
