/* Pushed writes (S3X_TRANSFER_PUSH): an upload whose data the application hands over with
 * s3x_transfer_write, chunk by chunk, in any order across any number of open streams.
 *
 * Owns: the stream's buffers (its admission reservation, the stage being filled, the buffers of
 * the parts it handed to the upload engine until they come back) and the write in flight. The
 * requests (PutObject, or CreateMultipartUpload / UploadPart / Complete, AbortMultipartUpload on
 * failure) belong to the engine shared with put.c (put_impl.h); this file is its source.
 *
 * No deadlock under a memory cap. The failure to design out (aws-c-s3 #417/#418): hundreds of
 * uploads open, the application writes to them in an order the client does not control, every
 * buffer is held by a half-filled part, nobody can progress. The rules:
 *   1. Admission: s3x_transfer_start reserves one part at HIGH priority, so streams are admitted
 *      in start order (the pool's FIFO). Writes before admission wait; with FAIL_FAST the
 *      reservation is no_wait and start fails with S3X_ERR_POOL_EXHAUSTED.
 *   2. An admitted stream keeps at least one buffer until its end: a buffer coming back from an
 *      uploaded part becomes the stage if the stage has none, else it goes back to the pool.
 *   3. Extra buffers are asked with no_wait at LOW priority: granted only from free memory when
 *      nobody waits in the pool, never forced, so the limit holds and admission is not delayed.
 * So a stream waiting for memory holds only buffers of uploads in flight, which finish without
 * anyone's help and come back to it; at rest (no upload in flight) it holds exactly one buffer.
 * Every admitted stream can progress, and a stream waiting for admission waits only on streams
 * that can.
 *
 * Invariant (event thread, checked in debug builds):
 *   held = (stage.ticket ? 1 : 0) + #{parts whose ticket is not NULL}
 *   admitted && !eof_submitted && !failing  =>  held >= 1
 *
 * Worked example: limit 16 parts of 5 MiB (80 MiB), 200 streams started at once. Streams 0-15
 * are granted their buffer at start; 16-199 wait in the pool's HIGH queue, in start order. The
 * application writes 64 KiB chunks to 199, 198, ..., 0: writes to 16-199 stay pending, writes to
 * 0-15 are copied at once. When stream 3 ends, its PutObject returns its buffer to the pool, which
 * grants it to stream 16: its pending write is copied and its future completes. Pool peak: 16
 * buffers = 80 MiB. A 12 MiB stream alone under a 2-part limit: part 1 fills the guaranteed
 * buffer and uploads; the next bytes go into an extra buffer (no_wait: the second slot is free);
 * part 2 fills it and uploads while the next write waits; part 1's buffer comes back and becomes
 * the stage (part 3, 2 MiB, ends the stream); part 2's buffer goes back to the pool.
 *
 * Threads. The write in flight is run by one thread at a time (`wstate`): the caller copies into
 * the stage itself when the stage has room (no thread hop for small writes); otherwise the write
 * goes to the event thread, which submits full stages and finds buffers, and copies run on an I/O
 * thread, never on the event thread. `lock` guards the hand-offs and the stage's buffer.
 */
#include "put_impl.h"

#include "future/future_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Who runs the write in flight (and may touch the stage's bytes and checksum). */
enum s_wstate {
    W_NONE,   /* no write in flight */
    W_APP,    /* the caller of s3x_transfer_write copies (fast path) */
    W_POSTED, /* handed to the event thread: write_task posted, not yet run */
    W_LOOP,   /* the event thread has it (waiting for a buffer, or between copies) */
    W_IO,     /* an I/O thread copies */
};

/* The part being filled. ticket/buf/capacity change on the event thread under `lock`; len and
 * sum belong to the thread running the write (W_NONE: nobody changes them). */
struct s_stage {
    struct s3x_ticket *ticket;
    uint8_t *buf;
    size_t capacity; /* the part size */
    size_t len;
    struct s3x_checksum_state sum;
    bool sum_live; /* sum initialized (clean it up) */
};

struct s_push {
    struct s3x__put u; /* the engine (event thread) */
    struct s3x_transfer *t;

    /* event thread */
    struct s3x_future *admission; /* the guaranteed buffer's reservation, until its callback */
    bool admission_watched;       /* its callback is registered (by start) */
    uint64_t admission_ns;
    bool admitted;
    bool eof_submitted;
    struct s3x_future *extra; /* an extra reservation the pool answers later */
    uint32_t held;
    uint32_t max_held; /* buffers at most: the engine's window */
    size_t copy_len;   /* bytes the I/O copy in flight moves */

    /* the write in flight: set by s3x_transfer_write, then owned by the thread running it */
    const uint8_t *w_data;
    size_t w_len;
    bool w_eof;
    int w_error; /* a copy (checksum) error to report on the event thread */
    struct s3x_future *w_future;
    struct s3x_task write_task;
    struct s3x_task copy_task;
    struct s3x_task copied_task;

    /* synced: under lock */
    pthread_mutex_t lock;
    enum s_wstate wstate;
    bool written;    /* a write was accepted */
    bool eof_called; /* a write with eof was accepted */
    int error;       /* the transfer's error once it failed; later writes complete with it */
    struct s_stage stage;
};

static void s_run(struct s_push *s);

static struct s_push *s_of(struct s3x__put *u) {
    return S3X_CONTAINER_OF(u, struct s_push, u);
}

static enum s_wstate s_wstate(struct s_push *s) {
    pthread_mutex_lock(&s->lock);
    enum s_wstate ws = s->wstate;
    pthread_mutex_unlock(&s->lock);
    return ws;
}

static void s_set_wstate(struct s_push *s, enum s_wstate ws) {
    pthread_mutex_lock(&s->lock);
    s->wstate = ws;
    pthread_mutex_unlock(&s->lock);
}

/* --- buffers (event thread) -------------------------------------------------------------------- */

/* Whether the stream keeps a buffer coming back from an upload (rule 2): until its end, while
 * more parts may come. */
static bool s_keeps(const struct s_push *s) {
    return s->admitted && !s->eof_submitted && !s->u.failing && s->u.num_parts < s->u.max_parts;
}

#if !defined(NDEBUG)
static void s_check(struct s_push *s) {
    uint32_t n = s->stage.ticket != NULL ? 1u : 0u;
    for (uint32_t i = 0; i < s->u.num_parts; ++i) {
        n += s->u.parts[i]->ticket != NULL ? 1u : 0u;
    }
    if (n != s->held || (s_keeps(s) && s->held == 0)) {
        abort(); /* broken buffer accounting is a bug in this file, never the caller's input */
    }
}
#    define S_CHECK(s) s_check(s)
#else
#    define S_CHECK(s) ((void)(s))
#endif

static void s_give_back(struct s_push *s, struct s3x_ticket *ticket) {
    s3x__transfer_unhold(s->t, s3x_ticket_size(ticket));
    s3x_ticket_release(ticket);
    s->held--;
}

/* The stage has no buffer; `ticket` (claimed at `buf`) becomes it. */
static void s_stage_set_synced(struct s_push *s, struct s3x_ticket *ticket, uint8_t *buf) {
    s->stage.ticket = ticket;
    s->stage.buf = buf;
    s->stage.capacity = (size_t)s->u.part_size;
    s->stage.len = 0;
}

/* Failure: the stage's buffer goes back. Only while no other thread runs the write. */
static void s_stage_drop(struct s_push *s) {
    pthread_mutex_lock(&s->lock);
    struct s3x_ticket *ticket = s->stage.ticket;
    s->stage.ticket = NULL;
    s->stage.buf = NULL;
    s->stage.capacity = 0;
    s->stage.len = 0;
    pthread_mutex_unlock(&s->lock);
    if (s->stage.sum_live) {
        s3x_checksum_clean_up(&s->stage.sum);
        s->stage.sum_live = false;
    }
    if (ticket != NULL) {
        s_give_back(s, ticket);
    }
}

/* A granted ticket becomes the (empty) stage. false when it cannot be claimed: the upload failed. */
static bool s_adopt(struct s_push *s, struct s3x_ticket *ticket) {
    s->held++;
    s3x__transfer_hold(s->t, s3x_ticket_size(ticket));
    void *buf = NULL;
    int rc = s3x_ticket_claim(ticket, &buf);
    if (rc == 0 && s3x_ticket_size(ticket) < s->u.part_size) {
        rc = S3X_ERR_INVALID_STATE; /* a pool that granted less than asked */
    }
    if (rc != 0) {
        s_give_back(s, ticket);
        s3x__put_fail(&s->u, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, "a part buffer could not be claimed");
        return false;
    }
    pthread_mutex_lock(&s->lock);
    s_stage_set_synced(s, ticket, buf);
    pthread_mutex_unlock(&s->lock);
    return true;
}

static void s_on_extra(struct s3x_future *f, void *user) {
    struct s_push *s = user;
    struct s3x_ticket *ticket = NULL;
    int rc = s3x_ticket_take(f, &ticket);
    s->extra = s3x_future_release(s->extra);
    if (rc == 0 && s->stage.ticket == NULL && s_keeps(s)) {
        s_adopt(s, ticket); /* (on failure it gave the ticket back and failed the upload) */
    } else {
        s3x_ticket_release(ticket); /* not needed any more; NULL when refused */
    }
    s_run(s);
    s3x__put_maybe_advance(&s->u);
}

/* An extra buffer for the empty stage, only if the pool has one free with nobody waiting.
 * Returns true when the stage has it. */
static bool s_take_extra(struct s_push *s) {
    if (!s->admitted || s->extra != NULL || s->held >= s->max_held) {
        return false;
    }
    struct s3x_pool_reserve_options ro = {
        .size_bytes = (size_t)s->u.part_size,
        .priority = S3X_POOL_PRIORITY_LOW,
        .requester = s->t,
        .no_wait = true,
    };
    struct s3x_future *f = s3x_pool_reserve(s->t->client->pool, &ro);
    if (!s3x_future_is_done(f)) {
        /* A pool that answers no_wait later: take it if it still helps when it comes. */
        s->extra = f;
        if (s3x_future_on_done(f, s3x__client_loop(s->t->client), s_on_extra, s) != 0) {
            s3x_future_complete_error(f, S3X_ERR_CANCELED);
            s->extra = s3x_future_release(f);
        }
        return false;
    }
    struct s3x_ticket *ticket = NULL;
    int rc = s3x_ticket_take(f, &ticket);
    s3x_future_release(f);
    if (rc != 0) {
        return false; /* the pool is short: wait for an upload to return a buffer */
    }
    return s_adopt(s, ticket);
}

/* --- the engine's hooks ------------------------------------------------------------------------ */

static void s_release_part_buffer(struct s3x__put *u, struct s3x__upart *p) {
    struct s_push *s = s_of(u);
    struct s3x_ticket *ticket = p->ticket;
    uint8_t *buf = p->buf;
    p->ticket = NULL;
    p->buf = NULL;
    bool keep = s_keeps(s);
    if (keep) {
        pthread_mutex_lock(&s->lock);
        keep = s->stage.ticket == NULL;
        if (keep) {
            s_stage_set_synced(s, ticket, buf);
        }
        pthread_mutex_unlock(&s->lock);
    }
    if (!keep) {
        s_give_back(s, ticket);
    }
    S_CHECK(s);
}

static void s_pump(struct s3x__put *u) {
    s_run(s_of(u));
}

static void s_finish_write(struct s_push *s, int error) {
    pthread_mutex_lock(&s->lock);
    struct s3x_future *f = s->w_future;
    s->w_future = NULL;
    s->w_data = NULL;
    s->w_len = 0;
    s->wstate = W_NONE;
    pthread_mutex_unlock(&s->lock);
    if (error != 0) {
        s3x_future_complete_error(f, error);
    } else {
        s3x_future_complete(f, NULL, NULL);
    }
    s3x_future_release(f);
}

static void s_on_fail(struct s3x__put *u) {
    struct s_push *s = s_of(u);
    pthread_mutex_lock(&s->lock);
    s->error = s->t->result.error != 0 ? s->t->result.error : S3X_ERR_UNKNOWN;
    enum s_wstate ws = s->wstate;
    pthread_mutex_unlock(&s->lock);
    if (s->admission != NULL) {
        s3x_future_complete_error(s->admission, S3X_ERR_CANCELED);
        if (!s->admission_watched) {
            s->admission = s3x_future_release(s->admission);
        }
    }
    if (s->extra != NULL) {
        s3x_future_complete_error(s->extra, S3X_ERR_CANCELED);
    }
    /* A write run by another thread (W_APP, W_POSTED, W_IO) comes back to the event thread and
     * finishes there; the transfer waits for it (s_busy). */
    if (ws == W_NONE || ws == W_LOOP) {
        s_stage_drop(s);
    }
    if (ws == W_LOOP) {
        s_finish_write(s, s->error);
    }
}

static bool s_busy(struct s3x__put *u) {
    struct s_push *s = s_of(u);
    return s_wstate(s) != W_NONE || (s->admission != NULL && s->admission_watched) || s->extra != NULL;
}

static const struct s3x__put_source s_source = {
    .release_buffer = s_release_part_buffer,
    .pump = s_pump,
    .on_fail = s_on_fail,
    .busy = s_busy,
};

/* --- filling ------------------------------------------------------------------------------------ */

/* Copies into the stage at `dst` and adds to its checksum. Run by the write's thread. */
static int s_copy(struct s_push *s, uint8_t *dst, const uint8_t *data, size_t n) {
    memcpy(dst, data, n);
    struct s_stage *st = &s->stage;
    if (s->t->checksum == S3X_CHECKSUM_NONE) {
        return 0;
    }
    if (!st->sum_live) {
        int rc = s3x_checksum_init(&st->sum, s->t->checksum);
        if (rc != 0) {
            return rc;
        }
        st->sum_live = true;
    }
    return s3x_checksum_update(&st->sum, dst, n);
}

static int s_checksum_final(struct s_push *s, char *out, size_t size) {
    out[0] = '\0';
    struct s_stage *st = &s->stage;
    if (s->t->checksum == S3X_CHECKSUM_NONE) {
        return 0;
    }
    int rc = 0;
    if (!st->sum_live) {
        rc = s3x_checksum_init(&st->sum, s->t->checksum); /* an empty part */
        st->sum_live = rc == 0;
    }
    struct s3x_checksum_value v;
    if (rc == 0) {
        rc = s3x_checksum_final_value(&st->sum, &v);
    }
    if (rc == 0) {
        rc = s3x_checksum_value_format(&v, out, size);
    }
    if (st->sum_live) {
        s3x_checksum_clean_up(&st->sum);
        st->sum_live = false;
    }
    return rc;
}

/* The stage (full, or the last one) becomes the next part. Event thread, W_LOOP. */
static void s_submit(struct s_push *s, bool eof) {
    struct s3x__put *u = &s->u;
    pthread_mutex_lock(&s->lock);
    struct s3x_ticket *ticket = s->stage.ticket;
    uint8_t *buf = s->stage.buf;
    size_t len = s->stage.len;
    s->stage.ticket = NULL;
    s->stage.buf = NULL;
    s->stage.capacity = 0;
    s->stage.len = 0;
    pthread_mutex_unlock(&s->lock);
    char checksum[S3X_CHECKSUM_VALUE_TEXT_MAX];
    int rc = s_checksum_final(s, checksum, sizeof(checksum));
    struct s3x__upart *p = rc == 0 ? s3x__put_add_part(u) : NULL;
    if (p == NULL) {
        if (ticket != NULL) {
            s_give_back(s, ticket);
        }
        s3x__put_fail(u, rc != 0 ? rc : S3X_ERR_OOM, 0, NULL, rc != 0 ? "the part checksum failed" : "out of memory");
        return;
    }
    p->ticket = ticket;
    p->buf = buf;
    p->capacity = s3x_ticket_size(ticket);
    p->len = len;
    p->eof = eof;
    memcpy(p->checksum, checksum, sizeof(checksum));
    if (eof) {
        s->eof_submitted = true;
        if (s->admission != NULL) {
            s3x_future_complete_error(s->admission, S3X_ERR_CANCELED); /* not needed any more */
        }
    }
    s3x__put_part_filled(u, p);
}

static void s_copied_task(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s_push *s = task->arg;
    s->stage.len += s->copy_len;
    s->w_data += s->copy_len;
    s->w_len -= s->copy_len;
    s_set_wstate(s, W_LOOP);
    if (s->w_error != 0) {
        s3x__put_fail(&s->u, s->w_error, 0, NULL, "the part checksum failed");
    }
    s_run(s);
    s3x__put_maybe_advance(&s->u);
}

static void s_copy_task(struct s3x_task *task, int status) {
    struct s_push *s = task->arg;
    s->w_error = status != 0 ? S3X_ERR_CANCELED : s_copy(s, s->stage.buf + s->stage.len, s->w_data, s->copy_len);
    s3x_task_init(&s->copied_task, s_copied_task, s);
    s3x_executor_post(s3x__client_loop(s->t->client), &s->copied_task);
}

/* Moves as much of the write as fits into the stage, on an I/O thread. */
static void s_start_copy(struct s_push *s) {
    s->copy_len = S3X_MIN(s->w_len, s->stage.capacity - s->stage.len);
    s_set_wstate(s, W_IO);
    s3x_task_init(&s->copy_task, s_copy_task, s);
    s3x_executor_post(s3x__client_io(s->t->client), &s->copy_task);
}

/* Drives the write the event thread holds (W_LOOP) as far as it can go: submits full stages,
 * finds buffers, starts copies, ends the object, completes the write. */
static void s_run(struct s_push *s) {
    struct s3x__put *u = &s->u;
    while (s_wstate(s) == W_LOOP) {
        S_CHECK(s);
        if (u->failing) {
            s_stage_drop(s);
            s_finish_write(s, s->error);
            return;
        }
        struct s_stage *st = &s->stage;
        bool ending = s->w_len == 0 && s->w_eof;
        if (st->buf != NULL && st->len == st->capacity && !ending) {
            s_submit(s, false);
            continue;
        }
        if (s->w_len > 0) {
            if (u->num_parts >= u->max_parts) { /* the stage would be part max_parts + 1 */
                char what[64];
                snprintf(what, sizeof(what), "the stream needs more than %u parts", u->max_parts);
                s3x__put_fail(u, S3X_ERR_TRANSFER_TOO_MANY_PARTS, 0, NULL, what);
                continue;
            }
            if (st->buf == NULL && !s_take_extra(s)) {
                return; /* waits: for admission, an upload's buffer, or a late extra */
            }
            if (st->buf != NULL) {
                s_start_copy(s);
                return;
            }
            continue;
        }
        if (s->w_eof) {
            s_submit(s, true);
            if (u->failing) {
                continue;
            }
        }
        s_finish_write(s, 0);
        return;
    }
}

/* --- the application's side ---------------------------------------------------------------------- */

static void s_write_task(struct s3x_task *task, int status) {
    struct s_push *s = task->arg;
    struct s3x_transfer *t = s->t;
    s_set_wstate(s, W_LOOP);
    if (status != 0) {
        s3x__put_fail(&s->u, S3X_ERR_CANCELED, 0, NULL, "the client shut down");
    } else if (s->w_error != 0) {
        s3x__put_fail(&s->u, s->w_error, 0, NULL, "the part checksum failed");
    }
    s_run(s);
    s3x__put_maybe_advance(&s->u);
    s3x__transfer_unref(t); /* taken by s3x_transfer_write */
}

struct s3x_future *s3x_transfer_write(struct s3x_transfer *t, const void *data, size_t len, bool eof) {
    if (t == NULL || (data == NULL && len > 0) || t->kind != S3X_TRANSFER_PUSH) {
        return s3x__future_static_error(S3X_ERR_INVALID_ARGUMENT);
    }
    struct s_push *s = t->impl;
    struct s3x_future *f = NULL;
    if (s3x_future_new(t->allocator, &f) != 0) {
        return s3x__future_static_error(S3X_ERR_OOM);
    }
    pthread_mutex_lock(&s->lock);
    int rc = s->wstate != W_NONE ? S3X_ERR_INVALID_STATE : s->error;
    if (rc == 0 && s->eof_called) {
        rc = S3X_ERR_INVALID_STATE;
    }
    if (rc != 0) {
        pthread_mutex_unlock(&s->lock);
        s3x_future_complete_error(f, rc);
        return f;
    }
    s->written = true;
    if (len == 0 && !eof) {
        pthread_mutex_unlock(&s->lock);
        s3x_future_complete(f, NULL, NULL); /* nothing to take */
        return f;
    }
    s->eof_called = eof;
    struct s_stage *st = &s->stage;
    size_t n = 0;
    int copy_error = 0;
    if (len > 0 && st->buf != NULL) {
        /* Fast path: the stage has room; copy on this thread. */
        n = S3X_MIN(len, st->capacity - st->len);
        uint8_t *dst = st->buf + st->len;
        s->wstate = W_APP;
        pthread_mutex_unlock(&s->lock);
        copy_error = s_copy(s, dst, data, n);
        pthread_mutex_lock(&s->lock);
        st->len += n;
        if (copy_error == 0 && s->error == 0 && n == len && !eof && st->len < st->capacity) {
            s->wstate = W_NONE;
            pthread_mutex_unlock(&s->lock);
            s3x_future_complete(f, NULL, NULL);
            return f;
        }
    }
    /* The rest goes to the event thread: a full stage to submit, a buffer to find, the end. */
    s->w_data = (const uint8_t *)data + n;
    s->w_len = len - n;
    s->w_eof = eof;
    s->w_error = copy_error;
    s->w_future = s3x_future_acquire(f);
    s->wstate = W_POSTED;
    /* Posted under the lock: a failure that sees W_POSTED (s_on_fail) knows the task is queued
     * ahead of anything it posts, in particular ahead of the final task of a transfer abandoned
     * before its start, so the last reference is never left to this task on the event thread.
     * (The executor never runs a task inline while the client is alive: no re-entry.) */
    s3x__transfer_ref(t);
    s3x_task_init(&s->write_task, s_write_task, s);
    s3x_executor_post(s3x__client_loop(t->client), &s->write_task);
    pthread_mutex_unlock(&s->lock);
    return f;
}

int s3x__push_set_max_parts(struct s3x_transfer *t, uint32_t max_parts) {
    if (t == NULL || t->kind != S3X_TRANSFER_PUSH || max_parts == 0 || max_parts > S3X_MAX_PARTS) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_push *s = t->impl;
    pthread_mutex_lock(&s->lock);
    bool fresh = !s->written;
    if (fresh) {
        s->u.max_parts = max_parts;
    }
    pthread_mutex_unlock(&s->lock);
    return fresh ? 0 : S3X_ERR_INVALID_STATE;
}

/* --- the vtable ---------------------------------------------------------------------------------- */

static void s_on_admitted(struct s3x_future *f, void *user) {
    struct s_push *s = user;
    struct s3x__put *u = &s->u;
    struct s3x_ticket *ticket = NULL;
    int rc = s3x_ticket_take(f, &ticket);
    s->admission = s3x_future_release(s->admission);
    uint64_t waited = s3x__clock_mono_ns() - s->admission_ns;
    atomic_fetch_add(&s->t->memory_wait_ns, waited);
    if (u->failing || s->eof_submitted) {
        s3x_ticket_release(ticket); /* not needed any more (NULL when cancelled) */
    } else if (rc != 0) {
        s3x__put_fail(u, S3X_ERR_BUFFER_ALLOCATION_FAILED, rc, NULL, "no buffer to admit the stream");
    } else if (s_adopt(s, ticket)) {
        s->admitted = true;
        S3X_LOG_DEBUGF("push", "s3://%s/%s admitted after %llu us", s->t->bucket, s->t->key,
            (unsigned long long)(waited / 1000u));
    }
    s_run(s);
    s3x__put_maybe_advance(u);
}

static int s_init(struct s3x_transfer *t) {
    struct s_push *s = s3x_mem_calloc(t->allocator, 1, sizeof(*s));
    if (s == NULL) {
        return S3X_ERR_OOM;
    }
    t->impl = s;
    s->t = t;
    s3x__put_init(&s->u, t);
    s->u.source = &s_source;
    s->max_held = s->u.window;
    pthread_mutex_init(&s->lock, NULL);
    /* The guaranteed buffer, asked now so that streams are admitted in the order they start. */
    struct s3x_pool_reserve_options ro = {
        .size_bytes = (size_t)s->u.part_size,
        .priority = S3X_POOL_PRIORITY_HIGH,
        .requester = t,
        .no_wait = t->admission == S3X_TRANSFER_ADMISSION_FAIL_FAST,
    };
    s->admission_ns = s3x__clock_mono_ns();
    s->admission = s3x_pool_reserve(t->client->pool, &ro);
    if (s3x_future_is_done(s->admission) && s3x_future_error(s->admission) != 0) {
        return s3x_future_error(s->admission); /* POOL_EXHAUSTED for FAIL_FAST when memory is short */
    }
    return 0;
}

static void s_start(struct s3x_transfer *t) {
    struct s_push *s = t->impl;
    s->u.stage = S3X__PUT_PARTS;
    s->admission_watched = true;
    if (s3x_future_on_done(s->admission, s3x__client_loop(t->client), s_on_admitted, s) != 0) {
        s->admission_watched = false;
        s3x__put_fail(&s->u, S3X_ERR_INVALID_STATE, 0, NULL, "the admission reservation could not be watched");
        s3x__put_maybe_advance(&s->u);
    }
}

static void s_cancel(struct s3x_transfer *t) {
    struct s_push *s = t->impl;
    s3x__put_cancel(&s->u);
}

static void s_abandon(struct s3x_transfer *t) {
    struct s_push *s = t->impl;
    s3x__put_fail(&s->u, S3X_ERR_CANCELED, 0, NULL, "not started");
}

static void s_destroy(struct s3x_transfer *t) {
    struct s_push *s = t->impl;
    if (s->admission != NULL) {
        s3x_future_complete_error(s->admission, S3X_ERR_CANCELED);
        s3x_future_release(s->admission);
    }
    if (s->extra != NULL) {
        s3x_future_complete_error(s->extra, S3X_ERR_CANCELED);
        s3x_future_release(s->extra);
    }
    if (s->w_future != NULL) {
        s3x_future_complete_error(s->w_future, S3X_ERR_CANCELED);
        s3x_future_release(s->w_future);
    }
    s3x_ticket_release(s->stage.ticket);
    if (s->stage.sum_live) {
        s3x_checksum_clean_up(&s->stage.sum);
    }
    for (uint32_t i = 0; i < s->u.num_parts; ++i) {
        s3x_ticket_release(s->u.parts[i]->ticket);
    }
    s3x__put_clean_up(&s->u);
    pthread_mutex_destroy(&s->lock);
    s3x_mem_release(t->allocator, s);
    t->impl = NULL;
}

/* The application let go of a stream it never ended: nobody can write its end any more, so it
 * is cancelled (its buffer goes back, the multipart upload is aborted). An ended stream finishes
 * on its own. */
static void s_released(struct s3x_transfer *t) {
    struct s_push *s = t->impl;
    pthread_mutex_lock(&s->lock);
    bool ended = s->eof_called;
    pthread_mutex_unlock(&s->lock);
    if (!ended) {
        s3x_transfer_cancel(t);
    }
}

const struct s3x_transfer_vtable s3x__push_vtable = {
    .init = s_init,
    .start = s_start,
    .cancel = s_cancel,
    .destroy = s_destroy,
    .abandon = s_abandon,
    .released = s_released,
};
