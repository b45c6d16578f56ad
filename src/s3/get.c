/* Download (auto-ranged GET) through the pool.
 *
 * Part 0 is a ranged GET of the first part_size bytes; its Content-Range gives the object size
 * (416 with "bytes * /0" is an empty object) and its ETag guards every later part with If-Match.
 * Then parts 1..n-1 are reserved in order, at most `window` parts between "reserving" and "done"
 * at a time; a part's request is prepared only when its ticket is granted, and the engine copies
 * its body straight into the claimed buffer (a buffer sink sized to the range: a longer body
 * fails the request). A resumed download (get_resume.c) knows the size, the ETag and the parts
 * already written from its token and fetches only the others, part 0 included.
 *
 * Delivery: to a regular file, each part is written at its offset (pwrite on an I/O thread) into
 * a temporary file in the destination's directory, renamed over the destination at the end; to
 * anything else (a pipe, /dev/null, the write callback, the ticket hand-off) parts go out in
 * order, one at a time, on an I/O thread. Parts waiting for their turn keep their tickets, so
 * their memory counts against the limit; the window bounds them.
 *
 * Part states: IDLE -> RESERVING -> FETCHING -> FETCHED -> WRITING -> DONE. `active` counts
 * parts in RESERVING, FETCHING and WRITING, and a HeadObject in flight: each has exactly one
 * callback to come. The transfer completes when every part is DONE, or when it failed and
 * `active` reached 0.
 *
 * Example: 20 MiB object, 8 MiB parts, window 20: part 0 [0, 8 MiB) learns size 20 MiB -> 3 parts;
 * parts 1 [8, 16) and 2 [16, 20 MiB) are reserved (8 MiB tickets) and fetched in parallel.
 *
 * Checksums. Part 0 asks for them (x-amz-checksum-mode: ENABLED). When its answer covers the
 * whole object (200, or 206 with bytes 0-(size-1)/size) and carries a full-object
 * x-amz-checksum-<alg> (not a composite "...-N", not x-amz-checksum-type COMPOSITE), the bytes
 * are checked on the I/O thread before anything is delivered; a mismatch fails the transfer with
 * S3X_ERR_TRANSFER_CHECKSUM_MISMATCH (nothing written, no ticket handed over). S3 sends no
 * checksum with a partial range, so for an object in several parts HeadObject (If-Match, checksum
 * mode) asks for the object's once part 0 told the size; parts wait in FETCHED until it answers.
 * With a FULL_OBJECT CRC (CRC64NVME, CRC32C, CRC32: what s3xfer's multipart uploads send) each
 * part's CRC is taken on the I/O thread as it is written and the values are folded in order at the
 * end (get_verify.c): a mismatch fails the transfer then (a file is removed; a stream has had
 * the bytes). A COMPOSITE or SHA checksum, none, a failed HeadObject or a resumed download: the
 * parts go unchecked.
 */
#include "s3/get_impl.h"

#include "s3/headers.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct s3x__gpart *s3x__get_part_at(struct s3x__get *g, uint32_t i) {
    return i == 0 ? &g->part0 : &g->rest[i - 1];
}

/* Whether `p` is part 0 of a fresh download, whose answer tells the size (a resumed download
 * knows it from its token). */
static bool s_learns_size(const struct s3x__get *g, const struct s3x__gpart *p) {
    return p->index == 0 && !g->size_known;
}

/* The buffer a part needs: part 0 asks for a whole part while the size is unknown. */
static uint64_t s_want(const struct s3x__get *g, const struct s3x__gpart *p) {
    return s_learns_size(g, p) ? g->part_size : p->len;
}


void s3x__get_fail(struct s3x__get *g, int error, int cause, const struct s3x_s3_error_info *info, const char *what,
    uint32_t part) {
    s3x__transfer_fail(g->t, error, cause, info, "%s (part %u of %u)", what, part + 1,
        g->size_known ? g->num_parts : 0);
    if (g->failing) {
        return;
    }
    g->failing = true;
    uint32_t n = g->size_known ? g->num_parts : 1;
    for (uint32_t i = 0; i < n; ++i) {
        struct s3x__gpart *p = s3x__get_part_at(g, i);
        if (p->state == S3X__GPART_RESERVING) {
            s3x_future_complete_error(p->reservation, S3X_ERR_CANCELED); /* its callback still comes */
        } else if (p->state == S3X__GPART_FETCHING) {
            s3x__s3_request_cancel(p->req);
        }
    }
    if (g->head_pending) {
        s3x__s3_request_cancel(g->head);
    }
}

void s3x__get_release_buffer(struct s3x__get *g, struct s3x__gpart *p) {
    if (p->ticket != NULL) {
        s3x__transfer_unhold(g->t, p->capacity);
        p->ticket = s3x_ticket_release(p->ticket);
        p->buf = NULL;
    }
}

/* --- delivery -------------------------------------------------------------------------------- */


static int s_write_all(int fd, const uint8_t *data, size_t len, uint64_t offset, bool positional) {
    while (len > 0) {
        ssize_t n = positional ? pwrite(fd, data, len, (off_t)offset) : write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return s3x__transfer_errno_error(errno);
        }
        data += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

static void s_delivered_on_loop(struct s3x_task *task, int status);

/* I/O thread: one part to its destination. */
static void s_deliver_io(struct s3x_task *task, int status) {
    struct s3x__gpart *p = task->arg;
    struct s3x__get *g = p->g;
    struct s3x_transfer *t = g->t;
    int rc = status != 0 ? S3X_ERR_CANCELED : 0;
    if (rc == 0 && g->verify.active && g->verify.combine) {
        rc = s3x__get_verify_digest(&g->verify, p->buf, p->filled, &p->crc);
    } else if (rc == 0 && g->verify.active && p->index == 0) {
        rc = s3x__get_verify_bytes(&g->verify, p->buf, p->filled);
    }
    if (rc == 0) {
        switch (g->dest) {
        case S3X__GET_FILE_RANDOM:
            rc = s_write_all(g->fd, p->buf, p->filled, p->offset, true);
            break;
        case S3X__GET_FD_ORDERED:
            rc = s_write_all(g->fd, p->buf, p->filled, p->offset, false);
            break;
        case S3X__GET_WRITE_CB:
            rc = t->write(t, p->buf, p->filled, p->offset, t->user_data);
            break;
        case S3X__GET_TICKET: {
            struct s3x_ticket *ticket = p->ticket;
            p->ticket = NULL; /* the consumer's now */
            rc = t->on_part(t, ticket, p->filled, p->offset, t->user_data);
            break;
        }
        }
    }
    p->io_error = rc;
    s3x_task_init(&p->loop_task, s_delivered_on_loop, p);
    s3x_executor_post(s3x__client_loop(t->client), &p->loop_task);
}

void s3x__get_start_delivery(struct s3x__get *g, struct s3x__gpart *p) {
    p->state = S3X__GPART_WRITING;
    g->active++;
    s3x_task_init(&p->io_task, s_deliver_io, p);
    s3x_executor_post(s3x__client_io(g->t->client), &p->io_task);
}

/* Starts what can be delivered now. */
void s3x__get_deliver_ready(struct s3x__get *g) {
    if (g->failing || g->head_pending) {
        return;
    }
    if (g->dest == S3X__GET_FILE_RANDOM) {
        return; /* parts go out as they arrive (s_on_fetched) */
    }
    if (g->delivering || !g->size_known || g->next_deliver >= g->num_parts) {
        return;
    }
    struct s3x__gpart *p = s3x__get_part_at(g, g->next_deliver);
    if (p->state == S3X__GPART_FETCHED) {
        g->delivering = true;
        s3x__get_start_delivery(g, p);
    }
}

static void s_delivered_on_loop(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s3x__gpart *p = task->arg;
    struct s3x__get *g = p->g;
    g->active--;
    if (g->dest == S3X__GET_TICKET && p->ticket == NULL) {
        s3x__transfer_unhold(g->t, p->capacity); /* handed to the consumer */
        p->buf = NULL;
    }
    s3x__get_release_buffer(g, p);
    p->state = S3X__GPART_DONE;
    if (g->dest != S3X__GET_FILE_RANDOM) {
        g->delivering = false;
        g->next_deliver++;
    }
    if (p->io_error == S3X_ERR_TRANSFER_CHECKSUM_MISMATCH) {
        s3x__get_fail(g, p->io_error, 0, NULL,
            g->verify.unreadable ? "the object's checksum header cannot be read"
                                 : "the data does not match the object's checksum",
            p->index);
    } else if (p->io_error != 0) {
        s3x__get_fail(g, p->io_error, 0, NULL, "writing the data failed", p->index);
    } else {
        p->written = true;
        if (p->index == 0 && g->verify.active && !g->verify.combine) {
            S3X_LOG_DEBUGF("get", "%llu bytes match their %s", (unsigned long long)p->filled,
                s3x_checksum_header_name(g->verify.want.algorithm));
        }
        g->parts_done++;
        atomic_fetch_add(&g->t->parts_done, 1);
        s3x__transfer_progress(g->t, p->filled);
    }
    s3x__get_deliver_ready(g);
    s3x__get_pump(g);
    s3x__get_maybe_finish(g);
}

/* --- fetching -------------------------------------------------------------------------------- */

static int s_on_headers(struct s3x_http_request *http, int status, void *user) {
    struct s3x__gpart *p = user;
    struct s3x__get *g = p->g;
    if (status != 200 && status != 206) {
        return 0; /* an error answer: its body goes to the engine's error buffer */
    }
    const char *cr = s3x__http_request_response_header(http, "content-range");
    struct s3x_s3_content_range range = {0};
    if (status == 206) {
        if (cr == NULL || s3x__s3_parse_content_range(cr, strlen(cr), &range) != 0 || !range.has_range ||
            !range.has_total || range.first != p->offset) {
            return S3X_ERR_HTTP_PROTOCOL;
        }
    } else {
        /* 200: the server ignored the Range; acceptable only when the whole object fits. */
        const char *cl = s3x__http_request_response_header(http, "content-length");
        uint64_t len = 0;
        if (!s_learns_size(g, p) || cl == NULL || s3x__s3_parse_content_length(cl, strlen(cl), &len) != 0 ||
            len > p->capacity) {
            return S3X_ERR_HTTP_PROTOCOL;
        }
        range.has_total = true;
        range.total = len;
        range.last = len == 0 ? 0 : len - 1;
    }
    if (s_learns_size(g, p)) {
        g->size = range.total;
        p->len = S3X_MIN(g->part_size, g->size);
        bool whole = status == 200 || (range.has_range && range.first == 0 && range.last + 1 == range.total);
        memset(&g->verify, 0, sizeof(g->verify));
        if (whole && g->size > 0) {
            s3x__get_verify_note(&g->verify, http, false);
        }
        const char *etag = s3x__http_request_response_header(http, "etag");
        if (etag != NULL && g->etag == NULL) {
            g->etag = s3x_mem_strdup(g->t->allocator, etag);
            if (g->etag == NULL) {
                return S3X_ERR_OOM;
            }
        }
    } else if (range.total != g->size) {
        return S3X_ERR_TRANSFER_OBJECT_CHANGED;
    }
    return 0;
}

int s3x__get_learn_size(struct s3x__get *g) {
    uint64_t n = g->size == 0 ? 1 : (g->size + g->part_size - 1) / g->part_size;
    if (n > UINT32_MAX) {
        return S3X_ERR_OVERFLOW;
    }
    if (n > 1) {
        g->rest = s3x_mem_calloc(g->t->allocator, n - 1, sizeof(struct s3x__gpart));
        if (g->rest == NULL) {
            return S3X_ERR_OOM;
        }
        for (uint32_t i = 1; i < n; ++i) {
            struct s3x__gpart *p = &g->rest[i - 1];
            p->g = g;
            p->index = i;
            p->offset = (uint64_t)i * g->part_size;
            p->len = S3X_MIN(g->part_size, g->size - p->offset);
        }
    }
    /* Only now: every part the count names exists. */
    g->size_known = true;
    g->num_parts = (uint32_t)n;
    atomic_store(&g->t->bytes_total, g->size);
    atomic_store(&g->t->parts_total, n);
    g->next_reserve = 1;
    return 0;
}

/* `bytes=0-N` is unsatisfiable only when the object has no first byte: a 416 to part 0 means an
 * empty object (S3 adds "Content-Range: bytes * /0"; Swift does not). A Content-Range with a
 * non-zero total contradicts that and stays an error. */
static bool s_is_empty_object(struct s3x_s3_request *req) {
    const char *cr = s3x__http_request_response_header(s3x__s3_request_http(req), "content-range");
    struct s3x_s3_content_range range = {0};
    if (cr == NULL || s3x__s3_parse_content_range(cr, strlen(cr), &range) != 0 || !range.has_total) {
        return true;
    }
    return range.total == 0;
}

static void s_on_fetched(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s3x__gpart *p = user;
    struct s3x__get *g = p->g;
    const struct s3x_http_result *res = s3x__http_request_result(s3x__s3_request_http(req));
    s3x__transfer_count_request(g->t, res != NULL ? res->attempts : 1);
    g->active--;
    p->state = S3X__GPART_FETCHED;
    p->filled = error == 0 && res != NULL ? (size_t)res->bytes_received : 0;
    if (s_learns_size(g, p) && error == S3X_ERR_S3_INVALID_RANGE && s_is_empty_object(req)) {
        error = 0; /* 416 for bytes=0-... on an empty object */
        g->size = 0;
        p->len = 0;
        p->filled = 0;
    }
    p->req = s3x__s3_request_release(p->req);
    if (error == S3X_ERR_S3_PRECONDITION_FAILED) {
        error = S3X_ERR_TRANSFER_OBJECT_CHANGED;
    } else if (error == S3X_ERR_OVERFLOW) {
        error = S3X_ERR_HTTP_PROTOCOL; /* a body longer than the range asked for */
    }
    if (error == 0 && p->filled != p->len) {
        error = S3X_ERR_HTTP_RECV; /* a body shorter than its range that the engine let through */
    }
    if (error == 0 && !g->size_known) {
        error = s3x__get_learn_size(g);
        /* The ranged answer carried no checksum. Not when cancelled or pausing already: the
         * HeadObject would only delay the end. */
        if (error == 0 && g->num_parts > 1 && !g->verify.active && !g->failing && !g->pause_deferred) {
            s3x__get_start_head(g);
        }
    }
    bool keep = error == 0 && g->pausing && g->dest == S3X__GET_FILE_RANDOM; /* fetched: worth writing */
    if (error != 0 || (g->failing && !keep)) {
        s3x__get_release_buffer(g, p);
        p->state = S3X__GPART_DONE;
        if (error != 0) {
            s3x__get_fail(g, error, 0, info, "GET failed", p->index);
        }
        s3x__get_maybe_finish(g);
        return;
    }
    if (g->dest == S3X__GET_FILE_RANDOM && !g->head_pending) {
        s3x__get_start_delivery(g, p);
    } else {
        s3x__get_deliver_ready(g);
    }
    if (g->pause_deferred) {
        s3x__get_pause_now(g);
    }
    s3x__get_pump(g);
}

static int s_start_fetch(struct s3x__get *g, struct s3x__gpart *p) {
    char range[64];
    uint64_t last = p->offset + s_want(g, p) - 1;
    snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)p->offset, (unsigned long long)last);
    struct s3x_sigv4_header headers[2] = {{"Range", range}, {"If-Match", g->etag}};
    bool first = s_learns_size(g, p);
    if (first) {
        headers[1] = (struct s3x_sigv4_header){"x-amz-checksum-mode", "ENABLED"};
    }
    struct s3x_s3_request_options o = {
        .method = "GET",
        .bucket = g->t->bucket,
        .key = g->t->key,
        .headers = headers,
        .header_count = (first || g->etag != NULL) ? 2 : 1,
        /* The engine copies the body straight into the part buffer (streaming stores for large
         * ones); more than the range asked for fails the request. */
        .sink = {.kind = S3X_HTTP_SINK_BUFFER, .buffer = p->buf, .capacity = (size_t)s_want(g, p)},
        .on_headers = s_on_headers,
        .on_done = s_on_fetched,
        .user_data = p,
    };
    int rc = s3x__s3_request_new(&g->t->client->s3, &o, &p->req);
    if (rc == 0) {
        rc = s3x__s3_request_submit(p->req);
    }
    if (rc != 0) {
        p->req = s3x__s3_request_release(p->req);
        return rc;
    }
    p->state = S3X__GPART_FETCHING;
    g->active++;
    return 0;
}

/* --- reserving ------------------------------------------------------------------------------- */

static void s_on_reserved(struct s3x_future *f, void *user) {
    struct s3x__gpart *p = user;
    S3X_UNUSED(f);
    struct s3x__get *g = p->g;
    g->active--;
    const char *what = NULL;
    int rc = s3x__transfer_claim_part(g->t, &p->reservation, p->reserve_ns, !g->failing, s_want(g, p), &p->ticket,
        &p->buf, &p->capacity, &what);
    if (rc != 0) {
        p->state = S3X__GPART_DONE;
        if (what != NULL) {
            s3x__get_fail(g, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, what, p->index);
        }
        s3x__get_maybe_finish(g);
        return;
    }
    rc = s_start_fetch(g, p);
    if (rc != 0) {
        s3x__get_release_buffer(g, p);
        p->state = S3X__GPART_DONE;
        s3x__get_fail(g, rc, 0, NULL, "the GET could not be started", p->index);
        s3x__get_maybe_finish(g);
    }
}

static int s_reserve(struct s3x__get *g, struct s3x__gpart *p) {
    size_t size = (size_t)s_want(g, p);
    p->state = S3X__GPART_RESERVING;
    g->active++;
    int rc = s3x__transfer_reserve(g->t, size, s_on_reserved, p, &p->reservation, &p->reserve_ns);
    if (rc != 0) {
        g->active--;
        p->state = S3X__GPART_DONE;
    }
    return rc;
}

/* Reserves the next parts while the window has room. */
void s3x__get_pump(struct s3x__get *g) {
    if (g->failing || !g->size_known) {
        return;
    }
    /* parts in flight = parts below next_reserve that are not done */
    while (!g->failing && g->next_reserve < g->num_parts &&
           g->next_reserve - (g->parts_done - g->skipped_ahead) < g->window) {
        struct s3x__gpart *p = s3x__get_part_at(g, g->next_reserve);
        g->next_reserve++;
        if (p->state == S3X__GPART_DONE) {
            g->skipped_ahead--; /* written by the paused run */
            continue;
        }
        int rc = s_reserve(g, p);
        if (rc != 0) {
            s3x__get_fail(g, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, "no part buffer", p->index);
            return;
        }
    }
}

/* --- finishing ------------------------------------------------------------------------------- */

static void s_finish_loop(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s3x__get *g = task->arg;
    if (g->finish_error != 0) {
        s3x__transfer_fail(g->t, g->finish_error, 0, NULL, "finishing the destination file failed");
    }
    s3x__transfer_complete(g->t, g->size, g->etag);
}

/* I/O thread: close, then rename (success) or remove (failure) the temporary file. */
static void s_finish_io(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s3x__get *g = task->arg;
    if (g->fd >= 0 && g->keep_temp && fdatasync(g->fd) != 0) {
        S3X_LOG_WARNF("get", "fdatasync of %s failed: %s", g->temp_path, strerror(errno));
    }
    if (g->fd >= 0) {
        if (close(g->fd) != 0 && !g->finish_failed) {
            g->finish_error = s3x__transfer_errno_error(errno);
        }
        g->fd = -1;
    }
    if (g->temp_path != NULL) {
        if (!g->finish_failed && g->finish_error == 0 && rename(g->temp_path, g->t->file_path) != 0) {
            g->finish_error = s3x__transfer_errno_error(errno);
        }
        if ((g->finish_failed && !g->keep_temp) || g->finish_error != 0) {
            unlink(g->temp_path);
        }
    }
    s3x_task_init(&g->finish_loop_task, s_finish_loop, g);
    s3x_executor_post(s3x__client_loop(g->t->client), &g->finish_loop_task);
}

void s3x__get_maybe_finish(struct s3x__get *g) {
    if (g->finishing || g->active > 0) {
        return;
    }
    bool all_done = g->size_known && g->parts_done == g->num_parts;
    if (!all_done && !g->failing) {
        return;
    }
    if (all_done && !g->failing && g->verify.combine) {
        s3x__get_check_parts(g);
    }
    if (g->failing) {
        /* Parts fetched but not yet delivered still hold tickets. */
        uint32_t n = g->size_known ? g->num_parts : 1;
        for (uint32_t i = 0; i < n; ++i) {
            struct s3x__gpart *p = s3x__get_part_at(g, i);
            s3x__get_release_buffer(g, p);
            p->state = S3X__GPART_DONE;
        }
    }
    if (g->pausing) {
        s3x__get_make_token(g);
    }
    g->finishing = true;
    g->finish_failed = g->failing;
    s3x_task_init(&g->finish_task, s_finish_io, g);
    s3x_executor_post(s3x__client_io(g->t->client), &g->finish_task);
}

/* --- the vtable ------------------------------------------------------------------------------ */

/* Caller's thread: decides the destination and creates the temporary file, so a destination
 * that cannot be written fails before anything is fetched. */
static int s_open_destination(struct s3x__get *g) {
    struct s3x_transfer *t = g->t;
    if (t->write != NULL) {
        g->dest = S3X__GET_WRITE_CB;
        return 0;
    }
    if (t->on_part != NULL) {
        g->dest = S3X__GET_TICKET;
        return 0;
    }
    struct stat st;
    if (stat(t->file_path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode) || t->resume_token_in != NULL) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        g->dest = S3X__GET_FD_ORDERED;
        g->fd = open(t->file_path, O_WRONLY | O_CLOEXEC);
        return g->fd < 0 ? s3x__transfer_errno_error(errno) : 0;
    }
    g->dest = S3X__GET_FILE_RANDOM;
    if (t->resume_token_in != NULL) {
        return s3x__get_resume_open(g);
    }
    size_t n = strlen(t->file_path);
    g->temp_path = s3x_mem_acquire(t->allocator, n + 32);
    char *dir_copy = s3x_mem_strdup(t->allocator, t->file_path);
    char *base_copy = s3x_mem_strdup(t->allocator, t->file_path);
    int rc = 0;
    if (g->temp_path == NULL || dir_copy == NULL || base_copy == NULL) {
        rc = S3X_ERR_OOM;
    } else {
        snprintf(g->temp_path, n + 32, "%s/.%s.s3xfer-XXXXXX", dirname(dir_copy), basename(base_copy));
        g->fd = mkostemp(g->temp_path, O_CLOEXEC);
        if (g->fd < 0) {
            rc = s3x__transfer_errno_error(errno);
            s3x_mem_release(t->allocator, g->temp_path);
            g->temp_path = NULL;
        } else {
            fchmod(g->fd, 0644);
        }
    }
    s3x_mem_release(t->allocator, dir_copy);
    s3x_mem_release(t->allocator, base_copy);
    return rc;
}

static int s_init(struct s3x_transfer *t) {
    struct s3x__get *g = s3x_mem_calloc(t->allocator, 1, sizeof(*g));
    if (g == NULL) {
        return S3X_ERR_OOM;
    }
    t->impl = g;
    g->t = t;
    g->fd = -1;
    g->part_size = t->client->part_size;
    g->window = t->client->max_connections + t->delivery_window;
    g->part0.g = g;
    g->part0.len = g->part_size;
    int rc = s_open_destination(g);
    t->pausable = rc == 0 && g->dest == S3X__GET_FILE_RANDOM;
    return rc;
}

static void s_start(struct s3x_transfer *t) {
    struct s3x__get *g = t->impl;
    if (g->size_known) { /* resumed: the token told the size */
        s3x__get_pump(g);
        s3x__get_maybe_finish(g);
        return;
    }
    int rc = s_reserve(g, &g->part0);
    if (rc != 0) {
        s3x__get_fail(g, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, "no part buffer", 0);
        s3x__get_maybe_finish(g);
    }
}

static void s_cancel(struct s3x_transfer *t) {
    struct s3x__get *g = t->impl;
    if (g->finishing) {
        return; /* every part is in (or the transfer failed): the outcome is decided */
    }
    s3x__get_fail(g, S3X_ERR_CANCELED, 0, NULL, "canceled", g->next_deliver);
    s3x__get_maybe_finish(g);
}

static void s_destroy(struct s3x_transfer *t) {
    struct s3x__get *g = t->impl;
    if (g->fd >= 0) {
        close(g->fd); /* only when the transfer never started */
    }
    if (g->temp_path != NULL) {
        if (!g->finishing) {
            unlink(g->temp_path);
        }
        s3x_mem_release(t->allocator, g->temp_path);
    }
    s3x_mem_release(t->allocator, g->rest);
    s3x_mem_release(t->allocator, g->etag);
    s3x_mem_release(t->allocator, g);
    t->impl = NULL;
}

const struct s3x_transfer_vtable s3x__get_vtable = {
    .init = s_init,
    .start = s_start,
    .cancel = s_cancel,
    .destroy = s_destroy,
    .pause = s3x__get_pause,
};
