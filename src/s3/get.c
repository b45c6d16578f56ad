/* Download (auto-ranged GET) through the pool.
 *
 * Part 0 is a ranged GET of the first part_size bytes; its Content-Range gives the object size
 * (416 with "bytes * /0" is an empty object) and its ETag guards every later part with If-Match.
 * Then parts 1..n-1 are reserved in order, at most `window` parts between "reserving" and "done"
 * at a time; a part's request is prepared only when its ticket is granted, and the engine copies
 * its body straight into the claimed buffer (a buffer sink sized to the range: a longer body
 * fails the request). A resumed download (see "pause and resume" below) knows the size, the ETag
 * and the parts already written from its token and fetches only the others, part 0 included.
 *
 * Delivery: to a regular file, each part is written at its offset (pwrite on an I/O thread) into
 * a temporary file in the destination's directory, renamed over the destination at the end; to
 * anything else (a pipe, /dev/null, the write callback, the ticket hand-off) parts go out in
 * order, one at a time, on an I/O thread. Parts waiting for their turn keep their tickets, so
 * their memory counts against the limit; the window bounds them.
 *
 * Part states: IDLE -> RESERVING -> FETCHING -> FETCHED -> WRITING -> DONE. `active` counts
 * parts in RESERVING, FETCHING and WRITING: each has exactly one callback to come. The transfer
 * completes when every part is DONE, or when it failed and `active` reached 0.
 *
 * Example: 20 MiB object, 8 MiB parts, window 20: part 0 [0, 8 MiB) learns size 20 MiB -> 3 parts;
 * parts 1 [8, 16) and 2 [16, 20 MiB) are reserved (8 MiB tickets) and fetched in parallel.
 *
 * Checksums. Part 0 asks for them (x-amz-checksum-mode: ENABLED). When its answer covers the
 * whole object (200, or 206 with bytes 0-(size-1)/size) and carries a full-object
 * x-amz-checksum-<alg> (not a composite "...-N", not x-amz-checksum-type COMPOSITE), the bytes
 * are checked on the I/O thread before anything is delivered; a mismatch fails the transfer with
 * S3X_ERR_TRANSFER_CHECKSUM_MISMATCH (nothing written, no ticket handed over). Parts of larger
 * objects are not checked: S3 sends no checksum with a partial range.
 */
#include "transfer_impl.h"

#include "s3/headers.h"
#include "s3/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum s_state { P_IDLE, P_RESERVING, P_FETCHING, P_FETCHED, P_WRITING, P_DONE };
enum s_dest { D_FILE_RANDOM, D_FD_ORDERED, D_WRITE_CB, D_TICKET };

struct s_get;

struct s_part {
    struct s_get *g;
    uint32_t index;
    enum s_state state;
    uint64_t offset;
    uint64_t len; /* expected bytes (part 0: up to part_size until the size is known) */
    struct s3x_future *reservation;
    uint64_t reserve_ns;
    struct s3x_ticket *ticket;
    uint8_t *buf;
    size_t capacity;
    size_t filled;
    struct s3x_s3_request *req;
    struct s3x_task io_task;
    struct s3x_task loop_task;
    int io_error;
    bool written; /* in the destination (for a resume token) */
};

struct s_get {
    struct s3x_transfer *t;
    uint64_t part_size;
    bool size_known;
    uint64_t size;
    char *etag;
    uint32_t num_parts;
    struct s_part part0;
    /* part 0's answer covered the whole object and named its checksum (event thread writes in
     * on_headers, the I/O thread reads after the delivery task is posted) */
    bool verify;
    bool verify_unreadable; /* a checksum header that does not parse */
    struct s3x_checksum_value verify_value;
    struct s_part *rest; /* parts 1..num_parts-1 */
    uint32_t next_reserve;
    uint32_t next_deliver; /* ordered destinations */
    bool delivering;
    uint32_t parts_done;
    uint32_t active;
    uint32_t window;
    bool failing;
    bool finishing;
    enum s_dest dest;
    int fd;
    char *temp_path;
    int finish_error;
    struct s3x_task finish_task;
    struct s3x_task finish_loop_task;
    /* pause and resume (to a regular file) */
    bool pausing;        /* paused: keep the temporary file, leave a token */
    bool pause_deferred; /* paused before the size was known: pause once part 0 tells it */
    bool keep_temp;      /* the token names the temporary file: do not remove it */
    bool finish_failed;  /* g->failing when the finish was posted (what the I/O thread reads) */
    uint32_t skipped_ahead; /* parts done by the paused run, at index >= next_reserve */
};

static struct s_part *s_part_at(struct s_get *g, uint32_t i) {
    return i == 0 ? &g->part0 : &g->rest[i - 1];
}

/* Whether `p` is part 0 of a fresh download, whose answer tells the size (a resumed download
 * knows it from its token). */
static bool s_learns_size(const struct s_get *g, const struct s_part *p) {
    return p->index == 0 && !g->size_known;
}

/* The buffer a part needs: part 0 asks for a whole part while the size is unknown. */
static uint64_t s_want(const struct s_get *g, const struct s_part *p) {
    return s_learns_size(g, p) ? g->part_size : p->len;
}

static void s_pump(struct s_get *g);
static void s_maybe_finish(struct s_get *g);
static void s_pause_now(struct s_get *g);
static void s_make_token(struct s_get *g);

static void s_fail(struct s_get *g, int error, int cause, const struct s3x_s3_error_info *info, const char *what,
    uint32_t part) {
    s3x__transfer_fail(g->t, error, cause, info, "%s (part %u of %u)", what, part + 1, g->size_known ? g->num_parts : 0);
    if (g->failing) {
        return;
    }
    g->failing = true;
    uint32_t n = g->size_known ? g->num_parts : 1;
    for (uint32_t i = 0; i < n; ++i) {
        struct s_part *p = s_part_at(g, i);
        if (p->state == P_RESERVING) {
            s3x_future_complete_error(p->reservation, S3X_ERR_CANCELED); /* its callback still comes */
        } else if (p->state == P_FETCHING) {
            s3x__s3_request_cancel(p->req);
        }
    }
}

static void s_release_buffer(struct s_get *g, struct s_part *p) {
    if (p->ticket != NULL) {
        s3x__transfer_unhold(g->t, p->capacity);
        p->ticket = s3x_ticket_release(p->ticket);
        p->buf = NULL;
    }
}

/* --- checksums ------------------------------------------------------------------------------ */

/* The full-object checksum of a whole-object answer, in preference order (cheapest first). */
static void s_note_checksum(struct s_get *g, struct s3x_http_request *http, bool whole) {
    static const enum s3x_checksum_algorithm order[] = {S3X_CHECKSUM_CRC64NVME, S3X_CHECKSUM_CRC32C,
        S3X_CHECKSUM_CRC32, S3X_CHECKSUM_SHA1, S3X_CHECKSUM_SHA256};
    g->verify = false;
    g->verify_unreadable = false;
    const char *type = s3x__http_request_response_header(http, "x-amz-checksum-type");
    if (!whole || g->size == 0 || (type != NULL && strcasecmp(type, "COMPOSITE") == 0)) {
        return;
    }
    for (size_t i = 0; i < S3X_ARRAY_LEN(order); ++i) {
        const char *value = s3x__http_request_response_header(http, s3x_checksum_header_name(order[i]));
        if (value == NULL) {
            continue;
        }
        int rc = s3x_checksum_value_parse(order[i], value, strlen(value), &g->verify_value);
        if (rc == 0 && g->verify_value.part_count > 0) {
            continue; /* composite "...-N": a hash of the parts' digests, not of these bytes */
        }
        g->verify = true;
        g->verify_unreadable = rc != 0;
        g->verify_value.algorithm = order[i];
        return;
    }
}

/* I/O thread: part 0's bytes against the checksum its answer carried. */
static int s_verify(const struct s_get *g, const struct s_part *p) {
    if (g->verify_unreadable) {
        return S3X_ERR_TRANSFER_CHECKSUM_MISMATCH;
    }
    struct s3x_checksum_state st;
    struct s3x_checksum_value got;
    int rc = s3x_checksum_init(&st, g->verify_value.algorithm);
    if (rc == 0) {
        rc = s3x_checksum_update(&st, p->buf, p->filled);
    }
    if (rc == 0) {
        rc = s3x_checksum_final_value(&st, &got);
    }
    s3x_checksum_clean_up(&st);
    if (rc == 0 && !s3x_checksum_value_equal(&got, &g->verify_value)) {
        rc = S3X_ERR_TRANSFER_CHECKSUM_MISMATCH;
    }
    return rc;
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
    struct s_part *p = task->arg;
    struct s_get *g = p->g;
    struct s3x_transfer *t = g->t;
    int rc = status != 0 ? S3X_ERR_CANCELED : 0;
    if (rc == 0 && p->index == 0 && g->verify) {
        rc = s_verify(g, p);
    }
    if (rc == 0) {
        switch (g->dest) {
        case D_FILE_RANDOM:
            rc = s_write_all(g->fd, p->buf, p->filled, p->offset, true);
            break;
        case D_FD_ORDERED:
            rc = s_write_all(g->fd, p->buf, p->filled, p->offset, false);
            break;
        case D_WRITE_CB:
            rc = t->write(t, p->buf, p->filled, p->offset, t->user_data);
            break;
        case D_TICKET: {
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

static void s_start_delivery(struct s_get *g, struct s_part *p) {
    p->state = P_WRITING;
    g->active++;
    s3x_task_init(&p->io_task, s_deliver_io, p);
    s3x_executor_post(s3x__client_io(g->t->client), &p->io_task);
}

/* Starts what can be delivered now. */
static void s_deliver_ready(struct s_get *g) {
    if (g->failing) {
        return;
    }
    if (g->dest == D_FILE_RANDOM) {
        return; /* parts go out as they arrive (s_on_fetched) */
    }
    if (g->delivering || !g->size_known || g->next_deliver >= g->num_parts) {
        return;
    }
    struct s_part *p = s_part_at(g, g->next_deliver);
    if (p->state == P_FETCHED) {
        g->delivering = true;
        s_start_delivery(g, p);
    }
}

static void s_delivered_on_loop(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s_part *p = task->arg;
    struct s_get *g = p->g;
    g->active--;
    if (g->dest == D_TICKET && p->ticket == NULL) {
        s3x__transfer_unhold(g->t, p->capacity); /* handed to the consumer */
        p->buf = NULL;
    }
    s_release_buffer(g, p);
    p->state = P_DONE;
    if (g->dest != D_FILE_RANDOM) {
        g->delivering = false;
        g->next_deliver++;
    }
    if (p->io_error == S3X_ERR_TRANSFER_CHECKSUM_MISMATCH) {
        s_fail(g, p->io_error, 0, NULL,
            g->verify_unreadable ? "the object's checksum header cannot be read"
                                 : "the data does not match the object's checksum",
            p->index);
    } else if (p->io_error != 0) {
        s_fail(g, p->io_error, 0, NULL, "writing the data failed", p->index);
    } else {
        p->written = true;
        if (p->index == 0 && g->verify) {
            S3X_LOG_DEBUGF("get", "%llu bytes match their %s", (unsigned long long)p->filled,
                s3x_checksum_header_name(g->verify_value.algorithm));
        }
        g->parts_done++;
        atomic_fetch_add(&g->t->parts_done, 1);
        s3x__transfer_progress(g->t, p->filled);
    }
    s_deliver_ready(g);
    s_pump(g);
    s_maybe_finish(g);
}

/* --- fetching -------------------------------------------------------------------------------- */

static int s_on_headers(struct s3x_http_request *http, int status, void *user) {
    struct s_part *p = user;
    struct s_get *g = p->g;
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
        if (!s_learns_size(g, p) || cl == NULL || s3x__s3_parse_content_length(cl, strlen(cl), &len) != 0 || len > p->capacity) {
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
        s_note_checksum(g, http, whole);
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

static int s_learn_size(struct s_get *g) {
    uint64_t n = g->size == 0 ? 1 : (g->size + g->part_size - 1) / g->part_size;
    if (n > UINT32_MAX) {
        return S3X_ERR_OVERFLOW;
    }
    if (n > 1) {
        g->rest = s3x_mem_calloc(g->t->allocator, n - 1, sizeof(struct s_part));
        if (g->rest == NULL) {
            return S3X_ERR_OOM;
        }
        for (uint32_t i = 1; i < n; ++i) {
            struct s_part *p = &g->rest[i - 1];
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
    struct s_part *p = user;
    struct s_get *g = p->g;
    const struct s3x_http_result *res = s3x__http_request_result(s3x__s3_request_http(req));
    s3x__transfer_count_request(g->t, res != NULL ? res->attempts : 1);
    g->active--;
    p->state = P_FETCHED;
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
        error = s_learn_size(g);
    }
    bool keep = error == 0 && g->pausing && g->dest == D_FILE_RANDOM; /* fetched: worth writing */
    if (error != 0 || (g->failing && !keep)) {
        s_release_buffer(g, p);
        p->state = P_DONE;
        if (error != 0) {
            s_fail(g, error, 0, info, "GET failed", p->index);
        }
        s_maybe_finish(g);
        return;
    }
    if (g->dest == D_FILE_RANDOM) {
        s_start_delivery(g, p);
    } else {
        s_deliver_ready(g);
    }
    if (g->pause_deferred) {
        s_pause_now(g);
    }
    s_pump(g);
}

static int s_start_fetch(struct s_get *g, struct s_part *p) {
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
    p->state = P_FETCHING;
    g->active++;
    return 0;
}

/* --- reserving ------------------------------------------------------------------------------- */

static void s_on_reserved(struct s3x_future *f, void *user) {
    struct s_part *p = user;
    S3X_UNUSED(f);
    struct s_get *g = p->g;
    g->active--;
    const char *what = NULL;
    int rc = s3x__transfer_claim_part(g->t, &p->reservation, p->reserve_ns, !g->failing, s_want(g, p), &p->ticket,
        &p->buf, &p->capacity, &what);
    if (rc != 0) {
        p->state = P_DONE;
        if (what != NULL) {
            s_fail(g, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, what, p->index);
        }
        s_maybe_finish(g);
        return;
    }
    rc = s_start_fetch(g, p);
    if (rc != 0) {
        s_release_buffer(g, p);
        p->state = P_DONE;
        s_fail(g, rc, 0, NULL, "the GET could not be started", p->index);
        s_maybe_finish(g);
    }
}

static int s_reserve(struct s_get *g, struct s_part *p) {
    size_t size = (size_t)s_want(g, p);
    p->state = P_RESERVING;
    g->active++;
    int rc = s3x__transfer_reserve(g->t, size, s_on_reserved, p, &p->reservation, &p->reserve_ns);
    if (rc != 0) {
        g->active--;
        p->state = P_DONE;
    }
    return rc;
}

/* Reserves the next parts while the window has room. */
static void s_pump(struct s_get *g) {
    if (g->failing || !g->size_known) {
        return;
    }
    /* parts in flight = parts below next_reserve that are not done */
    while (!g->failing && g->next_reserve < g->num_parts &&
           g->next_reserve - (g->parts_done - g->skipped_ahead) < g->window) {
        struct s_part *p = s_part_at(g, g->next_reserve);
        g->next_reserve++;
        if (p->state == P_DONE) {
            g->skipped_ahead--; /* written by the paused run */
            continue;
        }
        int rc = s_reserve(g, p);
        if (rc != 0) {
            s_fail(g, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, "no part buffer", p->index);
            return;
        }
    }
}

/* --- finishing ------------------------------------------------------------------------------- */

static void s_finish_loop(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s_get *g = task->arg;
    if (g->finish_error != 0) {
        s3x__transfer_fail(g->t, g->finish_error, 0, NULL, "finishing the destination file failed");
    }
    s3x__transfer_complete(g->t, g->size, g->etag);
}

/* I/O thread: close, then rename (success) or remove (failure) the temporary file. */
static void s_finish_io(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s_get *g = task->arg;
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

static void s_maybe_finish(struct s_get *g) {
    if (g->finishing || g->active > 0) {
        return;
    }
    bool all_done = g->size_known && g->parts_done == g->num_parts;
    if (!all_done && !g->failing) {
        return;
    }
    if (g->failing) {
        /* Parts fetched but not yet delivered still hold tickets. */
        uint32_t n = g->size_known ? g->num_parts : 1;
        for (uint32_t i = 0; i < n; ++i) {
            struct s_part *p = s_part_at(g, i);
            s_release_buffer(g, p);
            p->state = P_DONE;
        }
    }
    if (g->pausing) {
        s_make_token(g);
    }
    g->finishing = true;
    g->finish_failed = g->failing;
    s3x_task_init(&g->finish_task, s_finish_io, g);
    s3x_executor_post(s3x__client_io(g->t->client), &g->finish_task);
}

/* --- pause and resume ------------------------------------------------------------------------ */

/* Stops at a part boundary: reservations and fetches are cancelled, parts already fetched are
 * still written, then s_maybe_finish keeps the temporary file and leaves a token. */
static void s_pause_now(struct s_get *g) {
    g->pause_deferred = false;
    g->pausing = true;
    s_fail(g, S3X_ERR_TRANSFER_PAUSED, 0, NULL, "paused", g->parts_done);
}

static void s_pause(struct s3x_transfer *t) {
    struct s_get *g = t->impl;
    if (g->failing || g->finishing || g->dest != D_FILE_RANDOM) {
        return;
    }
    if (!g->size_known) {
        g->pause_deferred = true; /* part 0 tells the size and the ETag the token needs */
        return;
    }
    s_pause_now(g);
    s_maybe_finish(g);
}

/* Event thread, nothing in flight: the token names the object, the temporary file and the parts
 * written to it. Without a token (no ETag to guard a resume, out of memory) the temporary file
 * goes, as after any failure. */
static void s_make_token(struct s_get *g) {
    struct s3x_transfer *t = g->t;
    if (!g->size_known || g->etag == NULL || g->temp_path == NULL) {
        S3X_LOG_WARNF("get", "paused without a resume token (%s)", g->etag == NULL ? "no ETag" : "nothing known");
        return;
    }
    char *file = s3x__resume_abs_path(t->allocator, t->file_path);
    char *temp = s3x__resume_abs_path(t->allocator, g->temp_path);
    struct s3x__resume r = {
        .kind = S3X__RESUME_GET,
        .bucket = t->bucket,
        .key = t->key,
        .file = file != NULL ? file : t->file_path,
        .size = g->size,
        .part_size = g->part_size,
        .etag = g->etag,
        .temp_path = temp != NULL ? temp : g->temp_path,
    };
    int rc = 0;
    for (uint32_t i = 0; i < g->num_parts && rc == 0; ++i) {
        if (s_part_at(g, i)->written) {
            rc = s3x__resume_add_part(t->allocator, &r, i + 1, NULL, NULL);
        }
    }
    char *token = NULL;
    if (rc == 0) {
        rc = s3x__resume_format(t->allocator, &r, &token);
    }
    s3x_mem_release(t->allocator, r.parts);
    s3x_mem_release(t->allocator, file);
    s3x_mem_release(t->allocator, temp);
    if (rc != 0) {
        S3X_LOG_WARNF("get", "no resume token: %s", s3x_error_name(rc));
        return;
    }
    S3X_LOG_DEBUGF("get", "paused with %u of %u parts in %s", g->parts_done, g->num_parts, g->temp_path);
    s3x__transfer_set_resume_token(t, token);
    g->keep_temp = true;
}

/* Marks the token's parts done: they are in the temporary file already. */
static int s_mark_resumed(struct s_get *g, const struct s3x__resume *r, uint64_t temp_size) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < r->parts_count; ++i) {
        uint32_t number = r->parts[i].number;
        if (number > g->num_parts) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        struct s_part *p = s_part_at(g, number - 1);
        if (p->offset + p->len > temp_size) {
            return S3X_ERR_INVALID_ARGUMENT; /* the temporary file lost data the token claims */
        }
        p->state = P_DONE;
        p->written = true;
        bytes += p->len;
    }
    if (g->size == 0 && g->part0.state != P_DONE) {
        g->part0.state = P_DONE; /* nothing to fetch */
        g->part0.written = true;
    }
    for (uint32_t i = 0; i < g->num_parts; ++i) {
        if (s_part_at(g, i)->state == P_DONE) {
            g->parts_done++;
            g->skipped_ahead++;
        }
    }
    atomic_store(&g->t->parts_done, g->parts_done);
    atomic_store(&g->t->parts_skipped, g->parts_done);
    atomic_store(&g->t->bytes_done, bytes);
    return 0;
}

/* Caller's thread: the token must describe a download of this object to this file, and its
 * temporary file must still be there. */
static int s_resume_open(struct s_get *g) {
    struct s3x_transfer *t = g->t;
    struct s3x__resume r;
    int rc = s3x__resume_parse(t->allocator, t->resume_token_in, &r);
    char *file = rc == 0 ? s3x__resume_abs_path(t->allocator, t->file_path) : NULL;
    if (rc == 0 && (r.kind != S3X__RESUME_GET || strcmp(r.bucket, t->bucket) != 0 || strcmp(r.key, t->key) != 0 ||
                       strcmp(r.file, file != NULL ? file : t->file_path) != 0)) {
        rc = S3X_ERR_INVALID_ARGUMENT;
    }
    s3x_mem_release(t->allocator, file);
    int fd = -1;
    struct stat st;
    if (rc == 0 && ((fd = open(r.temp_path, O_WRONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)) {
        rc = s3x__transfer_errno_error(errno);
    }
    if (rc == 0 && !S_ISREG(st.st_mode)) {
        rc = S3X_ERR_INVALID_ARGUMENT;
    }
    if (rc == 0) {
        g->size = r.size;
        g->part_size = r.part_size;
        g->etag = r.etag;
        r.etag = NULL;
        rc = s_learn_size(g);
    }
    if (rc == 0) {
        g->next_reserve = 0;
        g->part0.len = S3X_MIN(g->part_size, g->size);
        rc = s_mark_resumed(g, &r, (uint64_t)st.st_size);
    }
    if (rc == 0) {
        g->fd = fd; /* only now: from here on a failure removes the temporary file */
        g->temp_path = r.temp_path;
        r.temp_path = NULL;
    } else if (fd >= 0) {
        close(fd);
    }
    s3x__resume_clean_up(t->allocator, &r);
    return rc == S3X_ERR_PARSE ? S3X_ERR_INVALID_ARGUMENT : rc;
}

/* --- the vtable ------------------------------------------------------------------------------ */

/* Caller's thread: decides the destination and creates the temporary file, so a destination
 * that cannot be written fails before anything is fetched. */
static int s_open_destination(struct s_get *g) {
    struct s3x_transfer *t = g->t;
    if (t->write != NULL) {
        g->dest = D_WRITE_CB;
        return 0;
    }
    if (t->on_part != NULL) {
        g->dest = D_TICKET;
        return 0;
    }
    struct stat st;
    if (stat(t->file_path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode) || t->resume_token_in != NULL) {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        g->dest = D_FD_ORDERED;
        g->fd = open(t->file_path, O_WRONLY | O_CLOEXEC);
        return g->fd < 0 ? s3x__transfer_errno_error(errno) : 0;
    }
    g->dest = D_FILE_RANDOM;
    if (t->resume_token_in != NULL) {
        return s_resume_open(g);
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
    struct s_get *g = s3x_mem_calloc(t->allocator, 1, sizeof(*g));
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
    t->pausable = rc == 0 && g->dest == D_FILE_RANDOM;
    return rc;
}

static void s_start(struct s3x_transfer *t) {
    struct s_get *g = t->impl;
    if (g->size_known) { /* resumed: the token told the size */
        s_pump(g);
        s_maybe_finish(g);
        return;
    }
    int rc = s_reserve(g, &g->part0);
    if (rc != 0) {
        s_fail(g, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, "no part buffer", 0);
        s_maybe_finish(g);
    }
}

static void s_cancel(struct s3x_transfer *t) {
    struct s_get *g = t->impl;
    if (g->finishing) {
        return; /* every part is in (or the transfer failed): the outcome is decided */
    }
    s_fail(g, S3X_ERR_CANCELED, 0, NULL, "canceled", g->next_deliver);
    s_maybe_finish(g);
}

static void s_destroy(struct s3x_transfer *t) {
    struct s_get *g = t->impl;
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
    .pause = s_pause,
};
