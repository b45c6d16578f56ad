/* The part of a transfer every kind shares: options, reference counting, the one-shot completion,
 * cancel, waiting, results and metrics (see transfer_impl.h). */
#include "transfer_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void s3x_transfer_options_init(struct s3x_transfer_options *o) {
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->delivery_window_parts = 4;
}

static int s_validate(const struct s3x_transfer_options *o) {
    if (o->struct_size < sizeof(*o) || o->bucket == NULL || o->bucket[0] == '\0' || o->key == NULL ||
        o->key[0] == '\0') {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    int targets = (o->file_path != NULL) + (o->write != NULL) + (o->on_part != NULL) + (o->read != NULL);
    if (o->kind == S3X_TRANSFER_COPY) {
        bool source_ok = o->source_bucket != NULL && o->source_bucket[0] != '\0' && o->source_key != NULL &&
                         o->source_key[0] != '\0';
        return targets == 0 && source_ok && o->resume_token == NULL ? 0 : S3X_ERR_INVALID_ARGUMENT;
    }
    if (o->source_bucket != NULL || o->source_key != NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (o->resume_token != NULL && o->file_path == NULL) {
        return S3X_ERR_INVALID_ARGUMENT; /* only file transfers resume */
    }
    if (o->kind == S3X_TRANSFER_PUSH) {
        bool admission_ok =
            o->admission == S3X_TRANSFER_ADMISSION_WAIT || o->admission == S3X_TRANSFER_ADMISSION_FAIL_FAST;
        return targets == 0 && admission_ok ? 0 : S3X_ERR_INVALID_ARGUMENT;
    }
    if (targets != 1) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (o->kind == S3X_TRANSFER_GET) {
        return o->read != NULL ? S3X_ERR_INVALID_ARGUMENT : 0;
    }
    if (o->kind == S3X_TRANSFER_PUT) {
        return (o->write != NULL || o->on_part != NULL) ? S3X_ERR_INVALID_ARGUMENT : 0;
    }
    return S3X_ERR_INVALID_ARGUMENT;
}

static void s_free(struct s3x_transfer *t) {
    if (t->impl != NULL) {
        t->vtable->destroy(t);
    }
    for (size_t i = 0; i < S3X_ARRAY_LEN(t->strings); ++i) {
        s3x_mem_release(t->allocator, t->strings[i]);
    }
    s3x_mem_release(t->allocator, t->bucket);
    s3x_mem_release(t->allocator, t->key);
    s3x_mem_release(t->allocator, t->file_path);
    s3x_mem_release(t->allocator, t->content_type);
    s3x_mem_release(t->allocator, t->source_bucket);
    s3x_mem_release(t->allocator, t->source_key);
    s3x_mem_release(t->allocator, t->resume_token_in);
    s3x_mem_release(t->allocator, t->resume_token);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    s3x_client_release(t->client);
    s3x_mem_release(t->allocator, t);
}

/* Copies `s` into *out unless it is NULL; false when out of memory. */
static bool s_dup_option(struct s3x_transfer *t, const char *s, char **out) {
    if (s != NULL) {
        *out = s3x_mem_strdup(t->allocator, s);
    }
    return s == NULL || *out != NULL;
}

static int s_copy_strings(struct s3x_transfer *t, const struct s3x_transfer_options *o) {
    bool ok = s_dup_option(t, o->bucket, &t->bucket);
    ok = s_dup_option(t, o->key, &t->key) && ok;
    ok = s_dup_option(t, o->file_path, &t->file_path) && ok;
    ok = s_dup_option(t, o->content_type, &t->content_type) && ok;
    ok = s_dup_option(t, o->source_bucket, &t->source_bucket) && ok;
    ok = s_dup_option(t, o->source_key, &t->source_key) && ok;
    ok = s_dup_option(t, o->resume_token, &t->resume_token_in) && ok;
    return ok ? 0 : S3X_ERR_OOM;
}

static void s_start_task(struct s3x_task *task, int status) {
    struct s3x_transfer *t = task->arg;
    if (status != 0 || atomic_load(&t->cancel_requested)) {
        s3x__transfer_fail(t, S3X_ERR_CANCELED, 0, NULL, "%s",
            status != 0 ? "the client shut down before the transfer started" : "canceled before it started");
        if (t->vtable->abandon != NULL) {
            t->vtable->abandon(t);
        }
        s3x__transfer_complete(t, 0, NULL);
        return;
    }
    t->vtable->start(t);
}

int s3x_transfer_start(struct s3x_client *client, const struct s3x_transfer_options *o, struct s3x_transfer **out) {
    if (client == NULL || o == NULL || out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    int rc = s_validate(o);
    if (rc != 0) {
        return rc;
    }
    struct s3x_transfer *t = s3x_mem_calloc(client->allocator, 1, sizeof(*t));
    if (t == NULL) {
        return S3X_ERR_OOM;
    }
    t->allocator = client->allocator;
    t->client = s3x_client_acquire(client);
    t->kind = o->kind;
    s3x__ref_init(&t->ref);
    atomic_init(&t->app_refs, 1);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    t->write = o->write;
    t->on_part = o->on_part;
    t->read = o->read;
    t->delivery_window = o->delivery_window_parts == 0 ? 4 : o->delivery_window_parts;
    t->checksum = o->checksum_set ? o->checksum : client->checksum;
    t->admission = o->admission;
    t->on_progress = o->on_progress;
    t->on_done = o->on_done;
    t->user_data = o->user_data;
    t->vtable = o->kind == S3X_TRANSFER_GET    ? &s3x__get_vtable
                : o->kind == S3X_TRANSFER_PUT  ? &s3x__put_vtable
                : o->kind == S3X_TRANSFER_PUSH ? &s3x__push_vtable
                                               : &s3x__copy_vtable;
    atomic_init(&t->bytes_total, S3X_TRANSFER_SIZE_UNKNOWN);
    t->start_ns = s3x__clock_mono_ns();
    rc = s_copy_strings(t, o);
    if (rc == 0) {
        rc = t->vtable->init(t);
    }
    if (rc != 0) {
        s_free(t);
        return rc;
    }
    s3x__ref_acquire(&t->ref); /* the running reference, dropped by s3x__transfer_complete */
    s3x_task_init(&t->start_task, s_start_task, t);
    s3x_executor_post(s3x__client_loop(client), &t->start_task);
    *out = t;
    return 0;
}

void s3x__transfer_ref(struct s3x_transfer *t) {
    s3x__ref_acquire(&t->ref);
}

void s3x__transfer_unref(struct s3x_transfer *t) {
    if (s3x__ref_release(&t->ref)) {
        s_free(t);
    }
}

struct s3x_transfer *s3x_transfer_acquire(struct s3x_transfer *t) {
    if (t != NULL) {
        atomic_fetch_add(&t->app_refs, 1);
        s3x__ref_acquire(&t->ref);
    }
    return t;
}

struct s3x_transfer *s3x_transfer_release(struct s3x_transfer *t) {
    if (t == NULL) {
        return NULL;
    }
    if (atomic_fetch_sub(&t->app_refs, 1) == 1 && t->vtable->released != NULL) {
        t->vtable->released(t); /* may post a cancel, which holds its own reference */
    }
    s3x__transfer_unref(t);
    return NULL;
}

/* The end of a cancel or pause task: drops the reference its poster took (never the last: see
 * s_final_task). */
static void s_control_task_done(struct s3x_transfer *t) {
    pthread_mutex_lock(&t->lock);
    t->tasks_queued--;
    pthread_mutex_unlock(&t->lock);
    s3x__transfer_unref(t); /* taken when posted; never the last: see s_final_task */
}

static void s_cancel_task(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s3x_transfer *t = task->arg;
    if (!t->finished) {
        t->vtable->cancel(t);
    }
    s_control_task_done(t);
}

static void s_pause_task(struct s3x_task *task, int status) {
    S3X_UNUSED(status);
    struct s3x_transfer *t = task->arg;
    if (!t->finished && !atomic_load(&t->cancel_requested)) {
        t->vtable->pause(t);
    }
    s_control_task_done(t);
}

/* Posts `task` to the event thread unless the transfer is done (then there is nothing to do). */
static void s_post_control(struct s3x_transfer *t, struct s3x_task *task, s3x_task_fn *fn) {
    pthread_mutex_lock(&t->lock);
    if (!t->done) {
        t->tasks_queued++;
        s3x__transfer_ref(t);
        s3x_task_init(task, fn, t);
        s3x_executor_post(s3x__client_loop(t->client), task);
    }
    pthread_mutex_unlock(&t->lock);
}

void s3x_transfer_cancel(struct s3x_transfer *t) {
    if (t == NULL || atomic_exchange(&t->cancel_requested, true)) {
        return;
    }
    s_post_control(t, &t->cancel_task, s_cancel_task);
}

int s3x_transfer_pause(struct s3x_transfer *t) {
    if (t == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (!t->pausable || t->vtable->pause == NULL) {
        return S3X_ERR_UNSUPPORTED;
    }
    if (!atomic_exchange(&t->pause_requested, true)) {
        s_post_control(t, &t->pause_task, s_pause_task);
    }
    return 0;
}

const char *s3x_transfer_resume_token(const struct s3x_transfer *t) {
    const struct s3x_transfer_result *r = t != NULL ? s3x_transfer_result(t) : NULL;
    return r != NULL && r->error == S3X_ERR_TRANSFER_PAUSED ? t->resume_token : NULL;
}

int s3x_transfer_wait(struct s3x_transfer *t, uint64_t timeout_ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    if (timeout_ms != UINT64_MAX) {
        uint64_t ns = (uint64_t)deadline.tv_nsec + (timeout_ms % 1000u) * 1000000u;
        deadline.tv_sec += (time_t)(timeout_ms / 1000u) + (time_t)(ns / 1000000000u);
        deadline.tv_nsec = (long)(ns % 1000000000u);
    }
    int rc = 0;
    pthread_mutex_lock(&t->lock);
    while (!t->done && rc == 0) {
        if (timeout_ms == UINT64_MAX) {
            pthread_cond_wait(&t->cond, &t->lock);
        } else if (pthread_cond_timedwait(&t->cond, &t->lock, &deadline) != 0) {
            rc = t->done ? 0 : S3X_ERR_TIMEOUT;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

const struct s3x_transfer_result *s3x_transfer_result(const struct s3x_transfer *t) {
    struct s3x_transfer *m = (struct s3x_transfer *)(uintptr_t)t;
    pthread_mutex_lock(&m->lock);
    bool done = m->done;
    pthread_mutex_unlock(&m->lock);
    return done ? &t->result : NULL;
}

void s3x_transfer_metrics(const struct s3x_transfer *t, struct s3x_transfer_metrics *out) {
    memset(out, 0, sizeof(*out));
    out->bytes_done = atomic_load(&t->bytes_done);
    out->bytes_total = atomic_load(&t->bytes_total);
    out->parts_total = atomic_load(&t->parts_total);
    out->parts_done = atomic_load(&t->parts_done);
    out->parts_skipped = atomic_load(&t->parts_skipped);
    out->requests = atomic_load(&t->requests);
    out->retries = atomic_load(&t->retries);
    out->memory_wait_ns = atomic_load(&t->memory_wait_ns);
    out->peak_memory_bytes = atomic_load(&t->peak_memory);
    uint64_t end = atomic_load(&t->end_ns);
    out->elapsed_ns = (end != 0 ? end : s3x__clock_mono_ns()) - t->start_ns;
}

/* --- for the kinds --------------------------------------------------------------------------- */

void s3x__transfer_set_resume_token(struct s3x_transfer *t, char *token) {
    s3x_mem_release(t->allocator, t->resume_token);
    t->resume_token = token;
}

void s3x__transfer_describe(const struct s3x_transfer *t, char *out, size_t size) {
    snprintf(out, size, "s3://%s/%s", t->bucket, t->key);
}

static char *s_dup_or_empty(struct s3x_transfer *t, const char *s, size_t slot) {
    if (s == NULL || s[0] == '\0') {
        return NULL;
    }
    t->strings[slot] = s3x_mem_strdup(t->allocator, s);
    return t->strings[slot];
}

static const char *s_kind_word(const struct s3x_transfer *t) {
    switch (t->kind) {
    case S3X_TRANSFER_GET: return "download";
    case S3X_TRANSFER_COPY: return "copy to";
    default: return "upload";
    }
}

bool s3x__transfer_fail(struct s3x_transfer *t, int error, int cause, const struct s3x_s3_error_info *info,
    const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    char name[160];
    s3x__transfer_describe(t, name, sizeof(name));
    if (t->failed) {
        S3X_LOG_DEBUGF("transfer", "%s: later failure ignored: %s: %s", name, what, s3x_error_name(error));
        return false;
    }
    t->failed = true;
    t->result.error = error;
    t->result.cause = cause;
    char message[640];
    if (info != NULL && info->code != NULL) {
        snprintf(message, sizeof(message), "%s %s: %s: %s (%s, HTTP %d%s%s)", s_kind_word(t),
            name, what, s3x_error_str(error), info->code, info->http_status, info->request_id ? ", request id " : "",
            info->request_id ? info->request_id : "");
    } else if (cause != 0) {
        snprintf(message, sizeof(message), "%s %s: %s: %s (cause: %s)", s_kind_word(t),
            name, what, s3x_error_str(error), s3x_error_str(cause));
    } else {
        snprintf(message, sizeof(message), "%s %s: %s: %s", s_kind_word(t), name,
            what, s3x_error_str(error));
    }
    s_dup_or_empty(t, message, 0);
    if (info != NULL) {
        t->result.http_status = info->http_status;
        s_dup_or_empty(t, info->code, 1);
        s_dup_or_empty(t, info->message, 2);
        s_dup_or_empty(t, info->request_id, 3);
    }
    S3X_LOG_INFOF("transfer", "%s", message);
    return true;
}

static void s_final_task(struct s3x_task *task, int status) {
    struct s3x_transfer *t = task->arg;
    pthread_mutex_lock(&t->lock);
    if (t->tasks_queued > 0 && status == 0) {
        /* A cancel or pause task is queued behind this one: let it run first, so that its reference is
         * not the last one (which would leave the teardown to the event thread). */
        pthread_mutex_unlock(&t->lock);
        s3x_executor_post(s3x__client_loop(t->client), &t->final_task);
        return;
    }
    t->done = true;
    bool last = s3x__ref_release(&t->ref); /* the running reference */
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    if (last) {
        s_free(t);
    }
}

void s3x__transfer_complete(struct s3x_transfer *t, uint64_t object_size, const char *etag) {
    if (t->finished) {
        return;
    }
    t->finished = true;
    atomic_store(&t->end_ns, s3x__clock_mono_ns());
    struct s3x_transfer_result *r = &t->result;
    r->object_size = object_size;
    if (!t->failed) {
        r->error = 0;
        s_dup_or_empty(t, etag, 4);
    }
    r->message = t->strings[0] ? t->strings[0] : "";
    r->s3_code = t->strings[1] ? t->strings[1] : "";
    r->s3_message = t->strings[2] ? t->strings[2] : "";
    r->request_id = t->strings[3] ? t->strings[3] : "";
    r->etag = t->strings[4] ? t->strings[4] : "";
    if (t->on_done != NULL) {
        t->on_done(t, r, t->user_data);
    }
    /* The rest happens in a task of its own, after the event-thread call chain that completed the
     * transfer has unwound (it may still touch the transfer's state): waiters wake only then, and
     * the running reference goes before they do, so the last reference is dropped by the
     * application's thread, never left to the event thread. */
    s3x_task_init(&t->final_task, s_final_task, t);
    s3x_executor_post(s3x__client_loop(t->client), &t->final_task);
}

void s3x__transfer_progress(struct s3x_transfer *t, uint64_t delta) {
    uint64_t done = atomic_fetch_add(&t->bytes_done, delta) + delta;
    if (t->on_progress != NULL && delta > 0) {
        t->on_progress(t, done, atomic_load(&t->bytes_total), t->user_data);
    }
}

void s3x__transfer_hold(struct s3x_transfer *t, uint64_t bytes) {
    t->held_bytes += bytes;
    if (t->held_bytes > atomic_load(&t->peak_memory)) {
        atomic_store(&t->peak_memory, t->held_bytes);
    }
}

void s3x__transfer_unhold(struct s3x_transfer *t, uint64_t bytes) {
    t->held_bytes -= S3X_MIN(bytes, t->held_bytes);
}

void s3x__transfer_count_request(struct s3x_transfer *t, uint32_t attempts) {
    atomic_fetch_add(&t->requests, attempts == 0 ? 1 : attempts);
    if (attempts > 1) {
        atomic_fetch_add(&t->retries, attempts - 1);
    }
}

int s3x__transfer_errno_error(int e) {
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return S3X_ERR_DISK_FULL;
    case EACCES:
    case EPERM:
    case EROFS:
        return S3X_ERR_PERMISSION;
    case ENOENT:
    case ENOTDIR:
        return S3X_ERR_NOT_FOUND;
    default:
        return S3X_ERR_IO;
    }
}

int s3x__transfer_claim_part(struct s3x_transfer *t, struct s3x_future **reservation, uint64_t reserve_ns, bool wanted,
    uint64_t size, struct s3x_ticket **ticket, uint8_t **buf, size_t *capacity, const char **what) {
    atomic_fetch_add(&t->memory_wait_ns, s3x__clock_mono_ns() - reserve_ns);
    struct s3x_ticket *got = NULL;
    int rc = s3x_ticket_take(*reservation, &got);
    *reservation = s3x_future_release(*reservation);
    *ticket = NULL;
    *what = NULL;
    if (!wanted) {
        s3x_ticket_release(got);
        return S3X_ERR_CANCELED;
    }
    if (rc != 0) {
        *what = "no part buffer";
        return rc;
    }
    void *claimed = NULL;
    rc = s3x_ticket_claim(got, &claimed);
    size_t have = s3x_ticket_size(got);
    if (rc == 0 && have < size) {
        rc = S3X_ERR_INVALID_STATE; /* a custom pool handed out a short ticket */
    }
    if (rc != 0) {
        s3x_ticket_release(got);
        *what = "the part buffer could not be claimed";
        return rc;
    }
    *ticket = got;
    *buf = claimed;
    *capacity = have;
    s3x__transfer_hold(t, have);
    return 0;
}

int s3x__transfer_reserve(struct s3x_transfer *t, size_t size, s3x_future_callback_fn *fn, void *user,
    struct s3x_future **out, uint64_t *out_start_ns) {
    struct s3x_pool_reserve_options ro = {.size_bytes = size, .priority = S3X_POOL_PRIORITY_NORMAL, .requester = t};
    *out_start_ns = s3x__clock_mono_ns();
    *out = s3x_pool_reserve(t->client->pool, &ro);
    int rc = s3x_future_on_done(*out, s3x__client_loop(t->client), fn, user);
    if (rc != 0) {
        *out = s3x_future_release(*out);
    }
    return rc;
}
