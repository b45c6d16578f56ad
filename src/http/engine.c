/* The transfer engine's event thread: the inbox other threads post to, the loop around
 * curl_multi_poll, transfer slots, timers, the executor, and shutdown.
 *
 * Threads. One event thread owns the multi handle, every easy handle and every `loop` field. Other
 * threads touch only `synced` (under `lock`): they append tasks (executor posts) and mail (submit,
 * cancel, resume of one request), raise `inbox_flag` and wake the loop with curl_multi_wakeup, at
 * most once per drain (`wake_pending`). Posting never allocates: tasks and mail are intrusive. The
 * loop takes the lock only when the flag is up, so a running transfer costs no lock per iteration.
 *
 * One loop iteration:  drain inbox -> run due timers -> start queued requests while slots are free
 *   -> curl_multi_perform -> finish transfers curl reports done -> service the direct connections
 *   (direct.c) the last poll found ready -> start queued again -> sleep in curl_multi_poll, with
 *   the busy direct connections' sockets as extra descriptors, until the nearest of: curl's own
 *   timeout, our nearest timer, a wakeup, a ready direct socket.
 *
 * Slots. At most max_active requests are ACTIVE (an easy handle, or a direct connection); the rest
 * wait in `queue` (FIFO), so curl never holds transfers pending for a connection (except with a
 * per-host limit below max_connections: curl then holds a host's excess until one of its own
 * transfers there ends; direct connections are not used then) and easy handles never exceed
 * max_active (they are recycled through a free list). Example: max_connections 8, 64 submitted ->
 * 8 ACTIVE, 56 QUEUED; as each finishes, the oldest queued one starts on the freed handle and
 * (keep-alive) on the freed connection: 64 requests, 8 handles, 8 connections.
 *
 * Timers. One per request at most (`timer_link`): the stall window of an ACTIVE request, or the
 * backoff of a request waiting to retry. `timers` is sorted by deadline; insertion scans from the
 * tail, which is O(1) for stall windows (they all have the same length).
 *
 * Shutdown. destroy sets `stopping` (no more mail; posts run inline with EXECUTOR_SHUTDOWN) and
 * wakes the loop, which leaves its loop and then, until nothing is left: completes the requests of
 * the mail taken (SUBMIT) and every request in `all` with S3X_ERR_CANCELED, and runs queued tasks
 * with S3X_ERR_EXECUTOR_SHUTDOWN. Callbacks run during that drain may post and submit; they get
 * the shutdown behaviour, so the drain terminates.
 */
#include "engine_impl.h"

#include <curl/curl.h>

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#if LIBCURL_VERSION_NUM < 0x075000
#    error "s3xfer needs libcurl 7.80 or later (CURLOPT_PREREQFUNCTION)"
#endif

#define S_DEFAULT_MAX_CONNECTIONS 64u
#define S_DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define S_DEFAULT_STALL_WINDOW_MS 30000u /* "no byte in 30 s", as curl users set --speed-time */
#define S_DEFAULT_STALL_MIN_BYTES 1u
#define S_DEFAULT_MAX_ATTEMPTS 5u
#define S_DEFAULT_RETRY_BASE_MS 100u
#define S_DEFAULT_RETRY_MAX_MS 20000u
#define S_DEFAULT_ERROR_BODY_MAX ((size_t)64 * 1024) /* S3 error documents are < 2 KiB */
/* libcurl's per-handle buffers (docs/engine.md, "Data path"). Each recv() reads at most the
 * receive buffer and hands it to the write callback in one call; each send() sends at most the
 * upload buffer. Larger buffers mean fewer recv, poll and callback calls and fewer ACKs: GET 2 GiB
 * on loopback, 16 connections, client CPU 0.65 s/GiB at 64 KiB, 0.48 at 256 KiB, 0.46 at 512 KiB;
 * PUT 0.72 / 0.62 / 0.60. But these buffers live outside the pool's budget (each handle keeps
 * its own, and touches all of it), and the process must stay within memory limit + 16 MiB, of
 * which ~11 MiB are libraries, stacks and heap; so by default all handles together get about
 * S_BUFFERS_TOTAL per direction (more where the floor applies: 64 connections x 64 KiB = 4 MiB):
 * per handle = clamp(S_BUFFERS_TOTAL / max_connections, S_BUFFER_FLOOR, S_BUFFER_CAP).
 * Example: 16 connections -> 192 KiB each (3 MiB); 6 -> 512 KiB; 64 -> 64 KiB (curl's upload
 * default, 4x its receive default). Explicit options are taken as given, clamped to what curl 7.88
 * accepts (receive 1 KiB .. 10 MiB, upload 16 KiB .. 2 MiB). */
#define S_BUFFERS_TOTAL (3L * 1024 * 1024)
#define S_BUFFER_FLOOR (64L * 1024)
#define S_BUFFER_CAP (512L * 1024)
#define S_MIN_RECV_BUFFER 1024L
#define S_MAX_RECV_BUFFER (10L * 1024 * 1024)
#define S_MIN_SEND_BUFFER (16L * 1024)
#define S_MAX_SEND_BUFFER (2L * 1024 * 1024)
/* Longest sleep with nothing to wait for; every event that matters wakes the loop earlier. */
#define S_IDLE_POLL_MS 60000u
#define S_DEFAULT_IDLE_MS 5000u

static _Thread_local const struct s3x_http_engine *s_current;

/* --- intrusive lists ------------------------------------------------------------------------- */

#define S_LINK(r, off) ((struct s3x_http_link *)(void *)((char *)(r) + (off)))
#define S_ALL offsetof(struct s3x_http_request, all_link)
#define S_QUEUE offsetof(struct s3x_http_request, queue_link)
#define S_TIMER offsetof(struct s3x_http_request, timer_link)

static void s_list_insert_after(struct s3x_http_list *l, struct s3x_http_request *pos, struct s3x_http_request *r,
    size_t off) {
    struct s3x_http_link *link = S_LINK(r, off);
    link->prev = pos;
    link->next = pos != NULL ? S_LINK(pos, off)->next : l->head;
    if (link->next != NULL) {
        S_LINK(link->next, off)->prev = r;
    } else {
        l->tail = r;
    }
    if (pos != NULL) {
        S_LINK(pos, off)->next = r;
    } else {
        l->head = r;
    }
    l->count++;
}

static void s_list_append(struct s3x_http_list *l, struct s3x_http_request *r, size_t off) {
    s_list_insert_after(l, l->tail, r, off);
}

static void s_list_remove(struct s3x_http_list *l, struct s3x_http_request *r, size_t off) {
    struct s3x_http_link *link = S_LINK(r, off);
    if (link->prev != NULL) {
        S_LINK(link->prev, off)->next = link->next;
    } else {
        l->head = link->next;
    }
    if (link->next != NULL) {
        S_LINK(link->next, off)->prev = link->prev;
    } else {
        l->tail = link->prev;
    }
    link->prev = link->next = NULL;
    l->count--;
}

/* --- timers ---------------------------------------------------------------------------------- */

void s3x__http_timer_arm(struct s3x_http_engine *e, struct s3x_http_request *r, uint64_t deadline_ns) {
    if (r->timer_armed) {
        s_list_remove(&e->loop.timers, r, S_TIMER);
    }
    r->deadline_ns = deadline_ns;
    r->timer_armed = true;
    struct s3x_http_request *pos = e->loop.timers.tail;
    while (pos != NULL && pos->deadline_ns > deadline_ns) {
        pos = pos->timer_link.prev;
    }
    s_list_insert_after(&e->loop.timers, pos, r, S_TIMER);
}

void s3x__http_timer_disarm(struct s3x_http_engine *e, struct s3x_http_request *r) {
    if (r->timer_armed) {
        s_list_remove(&e->loop.timers, r, S_TIMER);
        r->timer_armed = false;
    }
}

static void s_run_timers(struct s3x_http_engine *e) {
    uint64_t now = s3x__clock_mono_ns();
    struct s3x_http_request *r;
    while ((r = e->loop.timers.head) != NULL && r->deadline_ns <= now) {
        s3x__http_timer_disarm(e, r);
        if (r->state == S3X_HTTP_REQ_ACTIVE) {
            s3x__http_attempt_stall_check(e, r);
        } else if (r->state == S3X_HTTP_REQ_BACKOFF) {
            r->state = S3X_HTTP_REQ_QUEUED;
            s_list_append(&e->loop.queue, r, S_QUEUE);
        }
    }
}

/* --- completion, cancel, slots ------------------------------------------------------------- */

void s3x__http_request_complete(struct s3x_http_engine *e, struct s3x_http_request *r, int error) {
    s3x__http_timer_disarm(e, r);
    if (r->state != S3X_HTTP_REQ_NEW) {
        s_list_remove(&e->loop.all, r, S_ALL);
    }
    r->state = S3X_HTTP_REQ_DONE;
    if (error == S3X_ERR_CANCELED) {
        snprintf(r->errbuf, sizeof(r->errbuf), "canceled"); /* not curl's "failure writing output" */
    }
    struct s3x_http_result *res = &r->result;
    res->error = error;
    res->http_status = r->status;
    res->curl_code = r->last_curl_code;
    res->curl_message = r->errbuf;
    res->attempts = r->attempt;
    res->bytes_sent = r->attempt_sent;
    res->bytes_received = r->attempt_received;
    res->total_bytes_sent = r->total_sent;
    res->total_bytes_received = r->total_received;
    res->error_body = r->error_body.len > 0 ? r->error_body.data : NULL;
    res->error_body_len = r->error_body.len;
    res->error_body_truncated = r->error_body_truncated;
    r->has_result = true;
    if (s3x__log_enabled(S3X_LOG_DEBUG)) {
        const char *host = NULL, *path = NULL;
        int host_len = 0, path_len = 0;
        s3x__http_url_for_log(r->url, &host, &host_len, &path, &path_len);
        S3X_LOG_DEBUGF(S3X_HTTP_SUBSYSTEM, "%s %.*s %.*s done: %s, status %d, %u attempt(s), %llu B sent, %llu B received",
            r->method, host_len, host, path_len, path, s3x_error_name(error), r->status, r->attempt,
            (unsigned long long)r->attempt_sent, (unsigned long long)r->attempt_received);
    }
    atomic_fetch_add_explicit(&e->stats.completed, 1, memory_order_relaxed);
    if (r->on_complete != NULL) {
        r->on_complete(r, res, r->user_data);
    }
    s3x__http_request_release(r); /* the engine's reference, taken at submit */
}

void s3x__http_request_backoff(struct s3x_http_engine *e, struct s3x_http_request *r, uint64_t delay_ms) {
    r->state = S3X_HTTP_REQ_BACKOFF;
    s3x__http_timer_arm(e, r, s3x__clock_mono_ns() + delay_ms * 1000000u);
}

static void s_cancel(struct s3x_http_engine *e, struct s3x_http_request *r) {
    switch (r->state) {
    case S3X_HTTP_REQ_QUEUED:
        s_list_remove(&e->loop.queue, r, S_QUEUE);
        s3x__http_request_complete(e, r, S3X_ERR_CANCELED);
        break;
    case S3X_HTTP_REQ_ACTIVE:
        s3x__http_attempt_finish(e, r, CURLE_OK, S3X_ERR_CANCELED);
        break;
    case S3X_HTTP_REQ_BACKOFF:
        s3x__http_request_complete(e, r, S3X_ERR_CANCELED);
        break;
    default:
        break;
    }
}

static void s_pump(struct s3x_http_engine *e) {
    struct s3x_http_request *r;
    while (e->loop.active < e->max_active && (r = e->loop.queue.head) != NULL) {
        s_list_remove(&e->loop.queue, r, S_QUEUE);
        s3x__http_attempt_start(e, r);
    }
}

/* --- inbox ----------------------------------------------------------------------------------- */

static void s_wake_synced(struct s3x_http_engine *e) {
    /* Set after the append, under the lock: the loop's exchange-then-lock never misses an item. */
    atomic_store_explicit(&e->inbox_flag, true, memory_order_release);
    /* The engine thread checks the flag before it sleeps: it needs no wakeup for its own posts. */
    if (!e->synced.wake_pending && s_current != e) {
        e->synced.wake_pending = true;
        curl_multi_wakeup(e->multi);
    }
}

static void s_mail_synced(struct s3x_http_engine *e, struct s3x_http_request *r, unsigned bits) {
    r->mail.bits |= bits;
    if (!r->mail.queued) {
        r->mail.queued = true;
        r->mail.next = NULL;
        s3x__http_request_acquire(r); /* the inbox's reference */
        if (e->synced.mail_tail != NULL) {
            e->synced.mail_tail->mail.next = r;
        } else {
            e->synced.mail_head = r;
        }
        e->synced.mail_tail = r;
    }
    s_wake_synced(e);
}

void s3x__http_engine_mail(struct s3x_http_engine *e, struct s3x_http_request *r, unsigned bits) {
    pthread_mutex_lock(&e->lock);
    if (!e->synced.stopping) { /* once stopping, shutdown cancels every request anyway */
        s_mail_synced(e, r, bits);
    }
    pthread_mutex_unlock(&e->lock);
}

/* Detaches the inbox. Returns the mail chain (through taken_next, bits in mail_taken). */
static struct s3x_http_request *s_take_synced(struct s3x_http_engine *e, struct s3x_task **tasks) {
    *tasks = e->synced.task_head;
    e->synced.task_head = e->synced.task_tail = NULL;
    struct s3x_http_request *mails = e->synced.mail_head;
    e->synced.mail_head = e->synced.mail_tail = NULL;
    for (struct s3x_http_request *r = mails; r != NULL; r = r->mail.next) {
        r->taken_next = r->mail.next; /* mail.next may be reused as soon as queued is false */
        r->mail_taken = r->mail.bits;
        r->mail.bits = 0;
        r->mail.queued = false;
    }
    e->synced.wake_pending = false;
    return mails;
}

static void s_handle_mail(struct s3x_http_engine *e, struct s3x_http_request *r, unsigned bits) {
    if ((bits & S3X_HTTP_MAIL_SUBMIT) != 0 && r->state == S3X_HTTP_REQ_NEW) {
        r->state = S3X_HTTP_REQ_QUEUED;
        s_list_append(&e->loop.all, r, S_ALL);
        s_list_append(&e->loop.queue, r, S_QUEUE);
        if (atomic_load(&r->cancel_requested)) {
            bits |= S3X_HTTP_MAIL_CANCEL;
        }
    }
    if ((bits & S3X_HTTP_MAIL_CANCEL) != 0) {
        s_cancel(e, r);
    }
    if ((bits & S3X_HTTP_MAIL_RESUME) != 0 && r->state == S3X_HTTP_REQ_ACTIVE) {
        s3x__http_attempt_resume(e, r);
    }
}

static void s_run_tasks(struct s3x_http_engine *e, struct s3x_task *task, int status) {
    while (task != NULL) {
        struct s3x_task *next = task->next;
        task->next = NULL;
        task->fn(task, status); /* may free the task */
        if (status == 0) {
            atomic_fetch_add_explicit(&e->stats.tasks, 1, memory_order_relaxed);
        }
        task = next;
    }
}

/* Returns true when the engine is stopping (the inbox is then left to the shutdown drain). */
static bool s_drain(struct s3x_http_engine *e) {
    struct s3x_task *tasks = NULL;
    if (!atomic_exchange_explicit(&e->inbox_flag, false, memory_order_acq_rel)) {
        return false; /* nothing posted: no lock in the steady state of a transfer */
    }
    pthread_mutex_lock(&e->lock);
    if (e->synced.stopping) {
        pthread_mutex_unlock(&e->lock);
        return true;
    }
    struct s3x_http_request *mails = s_take_synced(e, &tasks);
    pthread_mutex_unlock(&e->lock);
    while (mails != NULL) {
        struct s3x_http_request *r = mails;
        mails = r->taken_next;
        s_handle_mail(e, r, r->mail_taken);
        s3x__http_request_release(r);
    }
    s_run_tasks(e, tasks, 0);
    return false;
}

static void s_shutdown_drain(struct s3x_http_engine *e) {
    for (;;) {
        struct s3x_task *tasks = NULL;
        pthread_mutex_lock(&e->lock);
        struct s3x_http_request *mails = s_take_synced(e, &tasks);
        pthread_mutex_unlock(&e->lock);
        bool worked = mails != NULL || tasks != NULL || e->loop.all.head != NULL;
        while (mails != NULL) {
            struct s3x_http_request *r = mails;
            mails = r->taken_next;
            if ((r->mail_taken & S3X_HTTP_MAIL_SUBMIT) != 0 && r->state == S3X_HTTP_REQ_NEW) {
                s3x__http_request_complete(e, r, S3X_ERR_CANCELED);
            }
            s3x__http_request_release(r);
        }
        s_run_tasks(e, tasks, S3X_ERR_EXECUTOR_SHUTDOWN);
        while (e->loop.all.head != NULL) {
            s_cancel(e, e->loop.all.head);
        }
        if (!worked) {
            break;
        }
    }
}

/* --- invariants (engine_impl.h), checked after every loop step in debug and sanitizer builds -- */

#if !defined(NDEBUG) || defined(S3XFER_ASAN)
#    include <stdlib.h>
#    define S_CHECK(cond)                                                                          \
        do {                                                                                       \
            if (!(cond)) {                                                                         \
                S3X_LOG_ERRORF(S3X_HTTP_SUBSYSTEM, "engine invariant broken: %s", #cond);          \
                abort();                                                                           \
            }                                                                                      \
        } while (0)

static void s_validate(const struct s3x_http_engine *e) {
    size_t all = 0, queued = 0, active = 0;
    for (const struct s3x_http_request *r = e->loop.all.head; r != NULL; r = r->all_link.next, ++all) {
        S_CHECK(r->state == S3X_HTTP_REQ_QUEUED || r->state == S3X_HTTP_REQ_ACTIVE ||
                r->state == S3X_HTTP_REQ_BACKOFF);
        S_CHECK((r->state == S3X_HTTP_REQ_ACTIVE) == (r->easy != NULL));
        S_CHECK(r->state != S3X_HTTP_REQ_BACKOFF || r->timer_armed);
        S_CHECK(r->moved >= r->stall_mark);
        active += r->state == S3X_HTTP_REQ_ACTIVE;
    }
    for (const struct s3x_http_request *r = e->loop.queue.head; r != NULL; r = r->queue_link.next, ++queued) {
        S_CHECK(r->state == S3X_HTTP_REQ_QUEUED);
    }
    uint64_t last = 0;
    for (const struct s3x_http_request *r = e->loop.timers.head; r != NULL; r = r->timer_link.next) {
        S_CHECK(r->timer_armed && r->deadline_ns >= last);
        S_CHECK(r->state == S3X_HTTP_REQ_BACKOFF ||
                (r->state == S3X_HTTP_REQ_ACTIVE && r->connected && !r->recv_paused && !r->send_paused));
        last = r->deadline_ns;
    }
    S_CHECK(all == e->loop.all.count && queued == e->loop.queue.count && active == e->loop.active);
    /* busy direct connections are active requests that hold no handle of the free list's kind */
    S_CHECK(e->loop.busy_count <= e->loop.active);
    S_CHECK(e->loop.active - e->loop.busy_count + e->loop.free_count <= e->max_active);
    for (uint32_t i = 0; i < e->loop.busy_count; ++i) {
        const struct s3x_http_conn *c = e->loop.busy[i];
        S_CHECK(c->busy_index == i && c->request != NULL && c->request->direct.conn == c);
    }
}
#else
static void s_validate(const struct s3x_http_engine *e) {
    S3X_UNUSED(e);
}
#endif

/* --- the loop ---------------------------------------------------------------------------------- */

static void s_read_done(struct s3x_http_engine *e) {
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        CURLcode code = msg->data.result;
        char *priv = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        if (priv != NULL) {
            struct s3x_http_request *r = (struct s3x_http_request *)(void *)priv;
            if (!s3x__http_direct_connected(e, r, msg->easy_handle, (int)code)) {
                s3x__http_attempt_finish(e, r, (int)code, 0);
            }
        }
    }
}

/* on_idle: once per period in which no request was held and no task ran for idle_ns. Returns the
 * milliseconds until it is due (UINT64_MAX: nothing to wait for). */
static uint64_t s_idle_check(struct s3x_http_engine *e, bool worked) {
    if (e->on_idle == NULL) {
        return UINT64_MAX;
    }
    if (e->loop.all.head != NULL) { /* a request's completion ends this loop step: checked again then */
        e->loop.quiet_since_ns = 0;
        e->loop.quiet_reported = false;
        return UINT64_MAX;
    }
    uint64_t now = s3x__clock_mono_ns();
    if (worked || e->loop.quiet_since_ns == 0) {
        e->loop.quiet_since_ns = now;
        e->loop.quiet_reported = false;
    }
    if (e->loop.quiet_reported) {
        return UINT64_MAX;
    }
    uint64_t due = e->loop.quiet_since_ns + e->idle_ns;
    if (now < due) {
        return (due - now + 999999u) / 1000000u;
    }
    e->loop.quiet_reported = true;
    e->on_idle(e->on_idle_user_data);
    return UINT64_MAX;
}

static int s_poll_timeout_ms(struct s3x_http_engine *e, uint64_t idle_ms) {
    uint64_t wait = S3X_MIN((uint64_t)S_IDLE_POLL_MS, idle_ms);
    long curl_ms = -1;
    if (curl_multi_timeout(e->multi, &curl_ms) == CURLM_OK && curl_ms >= 0 && (uint64_t)curl_ms < wait) {
        wait = (uint64_t)curl_ms;
    }
    if (e->loop.timers.head != NULL) {
        uint64_t now = s3x__clock_mono_ns(), deadline = e->loop.timers.head->deadline_ns;
        uint64_t timer_ms = deadline > now ? (deadline - now + 999999u) / 1000000u : 0;
        wait = S3X_MIN(wait, timer_ms);
    }
    if ((e->loop.active < e->max_active && e->loop.queue.head != NULL) || e->loop.direct_ready ||
        atomic_load_explicit(&e->inbox_flag, memory_order_acquire)) {
        wait = 0;
    }
    return (int)wait;
}

static void *s_main(void *arg) {
    struct s3x_http_engine *e = arg;
    s_current = e;
    for (;;) {
        uint64_t tasks_before = atomic_load_explicit(&e->stats.tasks, memory_order_relaxed);
        if (s_drain(e)) {
            break;
        }
        s_run_timers(e);
        s_pump(e);
        int running = 0;
        CURLMcode mc = curl_multi_perform(e->multi, &running);
        if (mc != CURLM_OK) {
            S3X_LOG_WARNF(S3X_HTTP_SUBSYSTEM, "curl_multi_perform: %s", curl_multi_strerror(mc));
        }
        s_read_done(e);
        s3x__http_direct_service(e);
        s_pump(e);
        s_validate(e);
        bool worked = atomic_load_explicit(&e->stats.tasks, memory_order_relaxed) != tasks_before;
        int wait = s_poll_timeout_ms(e, s_idle_check(e, worked));
        uint32_t extra = s3x__http_direct_poll_set(e);
        if (wait > 0 || extra > 0) {
            /* the direct connections' sockets ride along: their revents are read next iteration */
            curl_multi_poll(e->multi, (struct curl_waitfd *)e->loop.waitfds, extra, wait, NULL);
        }
    }
    s_shutdown_drain(e);
    s_current = NULL;
    return NULL;
}

/* --- executor ---------------------------------------------------------------------------------- */

static void s_post(struct s3x_executor *executor, struct s3x_task *task) {
    struct s3x_http_engine *e = executor->impl;
    task->next = NULL;
    pthread_mutex_lock(&e->lock);
    if (e->synced.stopping) {
        pthread_mutex_unlock(&e->lock);
        task->fn(task, S3X_ERR_EXECUTOR_SHUTDOWN);
        return;
    }
    if (e->synced.task_tail != NULL) {
        e->synced.task_tail->next = task;
    } else {
        e->synced.task_head = task;
    }
    e->synced.task_tail = task;
    s_wake_synced(e);
    pthread_mutex_unlock(&e->lock);
}

static const struct s3x_executor_vtable s_executor_vtable = {.post = s_post};

struct s3x_executor *s3x__http_engine_executor(struct s3x_http_engine *engine) {
    return &engine->executor;
}

bool s3x__http_engine_is_current(const struct s3x_http_engine *engine) {
    return engine != NULL && s_current == engine;
}

/* --- construction ------------------------------------------------------------------------------ */

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static int s_curl_init_error;

static void s_curl_global_init(void) {
    /* Never cleaned up: libcurl's global state lives as long as the process. */
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (v == NULL || v->version_num < 0x075000) {
        s_curl_init_error = S3X_ERR_UNSUPPORTED;
        return;
    }
    s_curl_init_error = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : S3X_ERR_SYS;
}

static void s_free(struct s3x_http_engine *e) {
    if (e->share != NULL) {
        curl_share_cleanup(e->share); /* creation failed after the share: destroy did not run */
    }
    pthread_mutex_destroy(&e->lock);
    s3x__http_direct_clean_up(e);
    s3x_mem_release(e->allocator, e->loop.free_handles);
    s3x_mem_release(e->allocator, e->ca_file);
    s3x_mem_release(e->allocator, e->ca_path);
    s3x_mem_release(e->allocator, e->proxy);
    s3x_mem_release(e->allocator, e);
}

void s3x__http_engine_unref(struct s3x_http_engine *e) {
    if (s3x__ref_release(&e->refs)) {
        s_free(e);
    }
}

/* A buffer size option: 0 = the default, else clamped to what libcurl 7.88 accepts. */
static long s_buffer_bytes(uint32_t asked, long dflt, long lo, long hi) {
    if (asked == 0) {
        return dflt;
    }
    return asked < (uint32_t)lo ? lo : asked > (uint32_t)hi ? hi : (long)asked;
}

static bool s_env_set(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0';
}

static void s_resolve_options(struct s3x_http_engine *e, const struct s3x_http_engine_options *o) {
    e->max_active = o->max_connections ? o->max_connections : S_DEFAULT_MAX_CONNECTIONS;
    e->max_per_host = o->max_connections_per_host ? S3X_MIN(o->max_connections_per_host, e->max_active)
                                                  : e->max_active;
    e->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : S_DEFAULT_CONNECT_TIMEOUT_MS;
    e->request_timeout_ms = o->request_timeout_ms;
    e->stall_min_bytes = o->stall_min_bytes ? o->stall_min_bytes : S_DEFAULT_STALL_MIN_BYTES;
    uint64_t window_ms = o->stall_window_ms ? o->stall_window_ms : S_DEFAULT_STALL_WINDOW_MS;
    e->stall_window_ns = o->stall_detection_disable ? 0 : window_ms * 1000000u;
    e->retry.max_attempts = o->max_attempts ? o->max_attempts : S_DEFAULT_MAX_ATTEMPTS;
    e->retry.base_delay_ms = o->retry_base_delay_ms ? o->retry_base_delay_ms : S_DEFAULT_RETRY_BASE_MS;
    e->retry.max_delay_ms = o->retry_max_delay_ms ? o->retry_max_delay_ms : S_DEFAULT_RETRY_MAX_MS;
    if (e->retry.max_delay_ms < e->retry.base_delay_ms) {
        e->retry.max_delay_ms = e->retry.base_delay_ms;
    }
    e->error_body_max = o->error_body_max_bytes ? o->error_body_max_bytes : S_DEFAULT_ERROR_BODY_MAX;
    e->tls_verify = !o->tls_verify_disable;
    long share = S_BUFFERS_TOTAL / (long)e->max_active;
    long dflt = share < S_BUFFER_FLOOR ? S_BUFFER_FLOOR : share > S_BUFFER_CAP ? S_BUFFER_CAP : share;
    e->recv_buffer_bytes = s_buffer_bytes(o->recv_buffer_bytes, dflt, S_MIN_RECV_BUFFER, S_MAX_RECV_BUFFER);
    e->send_buffer_bytes = s_buffer_bytes(o->send_buffer_bytes, dflt, S_MIN_SEND_BUFFER, S_MAX_SEND_BUFFER);
    e->direct_disable = o->direct_receive_disable;
    e->on_idle = o->on_idle;
    e->on_idle_user_data = o->on_idle_user_data;
    e->idle_ns = (uint64_t)(o->idle_ms ? o->idle_ms : S_DEFAULT_IDLE_MS) * 1000000u;
    /* The variables libcurl reads when no proxy is set (it ignores HTTP_PROXY in capitals):
     * direct connections go only where libcurl would not use a proxy. */
    bool all = s_env_set("all_proxy") || s_env_set("ALL_PROXY");
    e->env_proxy_http = all || s_env_set("http_proxy");
    e->env_proxy_https = all || s_env_set("https_proxy") || s_env_set("HTTPS_PROXY");
}

static int s_dup_opt(struct s3x_allocator *a, const char *s, char **out) {
    *out = NULL;
    if (s == NULL) {
        return 0;
    }
    *out = s3x_mem_strdup(a, s);
    return *out != NULL ? 0 : S3X_ERR_OOM;
}

static int s_init_multi(struct s3x_http_engine *e) {
    CURLM *multi = curl_multi_init();
    if (multi == NULL) {
        return S3X_ERR_OOM;
    }
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)e->max_active);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)e->max_per_host);
    /* The cache's size counts direct connections too (they are never evicted): twice the slots,
     * so curl's own idle connections are not closed for them. MAX_TOTAL still bounds all. */
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 2L * (long)e->max_active);
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING); /* HTTP/1.1, no h2 */
    e->multi = multi;
    /* Without it each new direct connection (a new easy handle) would do a full TLS handshake.
     * Used by the engine thread only: no lock callbacks. Optional: NULL just costs handshakes. */
    CURLSH *share = curl_share_init();
    if (share != NULL && curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        curl_share_cleanup(share);
        share = NULL;
    }
    e->share = share;
    return 0;
}

int s3x__http_engine_new(struct s3x_allocator *allocator, const struct s3x_http_engine_options *options,
    struct s3x_http_engine **out) {
    if (out != NULL) {
        *out = NULL;
    }
    if (allocator == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    static const struct s3x_http_engine_options defaults = {0};
    const struct s3x_http_engine_options *o = options != NULL ? options : &defaults;
    pthread_once(&s_curl_once, s_curl_global_init);
    if (s_curl_init_error != 0) {
        return s_curl_init_error;
    }
    struct s3x_http_engine *e = s3x_mem_calloc(allocator, 1, sizeof(*e));
    if (e == NULL) {
        return S3X_ERR_OOM;
    }
    e->allocator = allocator;
    s3x__ref_init(&e->refs);
    s_resolve_options(e, o);
    int rc = s_dup_opt(allocator, o->ca_file, &e->ca_file);
    rc = rc ? rc : s_dup_opt(allocator, o->ca_path, &e->ca_path);
    rc = rc ? rc : s_dup_opt(allocator, o->proxy, &e->proxy);
    if (rc == 0) {
        e->loop.free_handles = s3x_mem_calloc(allocator, e->max_active, sizeof(void *));
        rc = e->loop.free_handles != NULL ? 0 : S3X_ERR_OOM;
    }
    rc = rc ? rc : s3x__http_direct_init(e);
    pthread_mutex_init(&e->lock, NULL);
    atomic_init(&e->inbox_flag, false);
    rc = rc ? rc : s_init_multi(e);
    if (rc != 0) {
        s_free(e);
        return rc;
    }
    e->executor.vtable = &s_executor_vtable;
    e->executor.impl = e;
    e->loop.rng = s3x__retry_rng_seed(s3x__clock_mono_ns() ^ (uint64_t)(uintptr_t)e);
    e->loop.quiet_since_ns = s3x__clock_mono_ns();
    e->loop.quiet_reported = true; /* on_idle only after some work */
    if (pthread_create(&e->thread, NULL, s_main, e) != 0) {
        curl_multi_cleanup(e->multi);
        s_free(e);
        return S3X_ERR_SYS;
    }
    *out = e;
    return 0;
}

int s3x__http_engine_destroy(struct s3x_http_engine *engine) {
    if (engine == NULL) {
        return 0;
    }
    if (s_current == engine) {
        S3X_LOG_ERRORF(S3X_HTTP_SUBSYSTEM, "s3x__http_engine_destroy called on the engine's own thread: ignored");
        return S3X_ERR_INVALID_STATE;
    }
    pthread_mutex_lock(&engine->lock);
    engine->synced.stopping = true;
    atomic_store(&engine->inbox_flag, true);
    curl_multi_wakeup(engine->multi);
    pthread_mutex_unlock(&engine->lock);
    pthread_join(engine->thread, NULL);
    /* The thread is gone: its loop state is ours now. */
    s3x__http_direct_close_all(engine);
    s3x__http_handles_clean_up(engine);
    if (engine->share != NULL) {
        curl_share_cleanup(engine->share); /* after every handle that used it */
        engine->share = NULL;
    }
    curl_multi_cleanup(engine->multi);
    engine->multi = NULL;
    s3x__http_engine_unref(engine);
    return 0;
}

int s3x__http_engine_submit(struct s3x_http_engine *engine, struct s3x_http_request *request) {
    if (engine == NULL || request == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (atomic_exchange(&request->submitted, true)) {
        return S3X_ERR_INVALID_STATE;
    }
    pthread_mutex_lock(&engine->lock);
    if (engine->synced.stopping) {
        pthread_mutex_unlock(&engine->lock);
        atomic_store(&request->submitted, false);
        return S3X_ERR_HTTP_ENGINE_SHUTDOWN;
    }
    s3x__ref_acquire(&engine->refs);    /* the request's reference on the engine */
    atomic_store(&request->engine, engine); /* seq_cst: pairs with cancel's flag-then-load */
    s3x__http_request_acquire(request); /* the engine's reference, until on_complete returned */
    atomic_fetch_add_explicit(&engine->stats.submitted, 1, memory_order_relaxed);
    s_mail_synced(engine, request, S3X_HTTP_MAIL_SUBMIT);
    pthread_mutex_unlock(&engine->lock);
    return 0;
}

void s3x__http_engine_stats(const struct s3x_http_engine *engine, struct s3x_http_engine_stats *out) {
    memset(out, 0, sizeof(*out));
    if (engine == NULL) {
        return;
    }
    out->requests_submitted = atomic_load_explicit(&engine->stats.submitted, memory_order_relaxed);
    out->requests_completed = atomic_load_explicit(&engine->stats.completed, memory_order_relaxed);
    out->attempts = atomic_load_explicit(&engine->stats.attempts, memory_order_relaxed);
    out->retries = atomic_load_explicit(&engine->stats.retries, memory_order_relaxed);
    out->stalls = atomic_load_explicit(&engine->stats.stalls, memory_order_relaxed);
    out->connections_opened = atomic_load_explicit(&engine->stats.connections, memory_order_relaxed);
    out->handles_created = atomic_load_explicit(&engine->stats.handles, memory_order_relaxed);
    out->tasks_run = atomic_load_explicit(&engine->stats.tasks, memory_order_relaxed);
    out->direct_attempts = atomic_load_explicit(&engine->stats.direct_attempts, memory_order_relaxed);
    out->direct_reconnects = atomic_load_explicit(&engine->stats.direct_reconnects, memory_order_relaxed);
}
